/* guest_ctype.c - the guest's ctype.h functions are static inline; this
 * file, compiled with the guest's headers, exports them as functions so
 * that test_ctype.c can compare them with glibc's.  Built into the guest
 * library; objcopy renames these to mira_guest_* too (guest_syms.txt). */
#include <ctype.h>

int ctype_isdigit(int c) { return isdigit(c); }
int ctype_isxdigit(int c) { return isxdigit(c); }
int ctype_islower(int c) { return islower(c); }
int ctype_isupper(int c) { return isupper(c); }
int ctype_isalpha(int c) { return isalpha(c); }
int ctype_isalnum(int c) { return isalnum(c); }
int ctype_isspace(int c) { return isspace(c); }
int ctype_isprint(int c) { return isprint(c); }
int ctype_tolower(int c) { return tolower(c); }
int ctype_toupper(int c) { return toupper(c); }
