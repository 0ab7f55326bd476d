// Umbrella header of the CWireCodec module (see README.md).
#include "wire_arena.h"
#include "google/protobuf/any.pb-c.h"
#include "franka_controller.pb-c.h"
#include "franka_robot_state.pb-c.h"
#include "pld_arm.pb-c.h"
