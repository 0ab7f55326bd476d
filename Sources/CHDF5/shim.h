// HDF5 C library, serial build (Debian: libhdf5-dev; include path from pkg-config `hdf5`).
#include <hdf5.h>

// HDF5 names its predefined types, property-list classes and open flags with macros that
// expand to global variables behind H5open(); Swift cannot import those. These accessors
// return the same values. Nothing else belongs here: the typed wrapper is Sources/Recording/HDF5.

static inline hid_t pld_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t pld_h5t_native_int8(void) { return H5T_NATIVE_INT8; }
static inline hid_t pld_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t pld_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t pld_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t pld_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t pld_h5t_c_s1(void) { return H5T_C_S1; }

static inline hid_t pld_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t pld_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t pld_h5p_link_create(void) { return H5P_LINK_CREATE; }

static inline unsigned pld_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned pld_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline unsigned pld_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }

static inline hsize_t pld_h5s_unlimited(void) { return H5S_UNLIMITED; }
static inline size_t pld_h5t_variable(void) { return H5T_VARIABLE; }
