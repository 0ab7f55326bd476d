// HDF5 C library, serial build (Debian: libhdf5-dev; include path from pkg-config `hdf5`).
#include <hdf5.h>
