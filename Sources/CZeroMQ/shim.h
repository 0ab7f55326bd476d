// libzmq (Debian: libzmq3-dev). Only the `ZeroMQ` target imports this module.
#include <zmq.h>
