// MuJoCo 2.2 (Debian: libmujoco-dev, which ships no pkg-config file; headers in /usr/include/mujoco).
#include <mujoco/mujoco.h>
