// Mesa's offscreen OpenGL (Debian: libosmesa6-dev), giving MuJoCo's renderer a context without a
// display. Only the `MuJoCo` target imports this module.
#include <GL/osmesa.h>
