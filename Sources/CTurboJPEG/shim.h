// libjpeg-turbo's TurboJPEG API (Debian: libturbojpeg0-dev). Only the `TurboJPEG` target imports it.
#include <turbojpeg.h>
