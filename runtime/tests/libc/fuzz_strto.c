/* fuzz_strto.c - differential fuzz target: the guest's strtol, strtoul,
 * strtoll and strtoull against glibc's on the same string.  The first byte
 * picks the base (0 or 2..36); the rest, up to a NUL, is the string.  Any
 * difference in value or end pointer aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "guest_libc.h"

static void differ(const char *fn, const char *s, int base)
{
    fprintf(stderr, "%s(\"%s\", %d): the guest and glibc differ\n", fn, s, base);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int base = data[0] % 36;
    base = base == 1 ? 0 : base; /* 0, 2..35 */
    if (data[0] >= 216)
        base = 36;
    char *s = malloc(size);
    if (s == NULL)
        return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = 0;
    char *ge, *e;
    if (mira_guest_strtol(s, &ge, base) != strtol(s, &e, base) || ge != e)
        differ("strtol", s, base);
    if (mira_guest_strtoul(s, &ge, base) != strtoul(s, &e, base) || ge != e)
        differ("strtoul", s, base);
    if (mira_guest_strtoll(s, &ge, base) != strtoll(s, &e, base) || ge != e)
        differ("strtoll", s, base);
    if (mira_guest_strtoull(s, &ge, base) != strtoull(s, &e, base) || ge != e)
        differ("strtoull", s, base);
    free(s);
    return 0;
}
