// glibc's <malloc.h> (malloc_trim), which Swift's Glibc module does not export. Part of libc:
// nothing to link. Only the `Recording` target imports it.
#include <malloc.h>
