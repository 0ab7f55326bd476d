// Mesa's offscreen OpenGL (Debian: libosmesa6-dev), giving MuJoCo's renderer a context without a
// display. Headers only: the library is not linked but loaded with dlopen on first use
// (Sources/MuJoCo/OSMesaLibrary.swift says why). Only the `MuJoCo` target imports this module.
#include <GL/osmesa.h>
