/* inttypes.h - the Mira xen guest's libc (LP64 format macros). */
#ifndef MIRA_LIBC_INTTYPES_H
#define MIRA_LIBC_INTTYPES_H

#include <stdint.h>

#define PRId32 "d"
#define PRIu32 "u"
#define PRIx32 "x"
#define PRId64 "ld"
#define PRIu64 "lu"
#define PRIx64 "lx"
#define PRIX64 "lX"

#endif
