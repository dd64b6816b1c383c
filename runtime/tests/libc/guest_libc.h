/* guest_libc.h - the guest libc's functions as the tests see them: renamed
 * from NAME to mira_guest_NAME by objcopy (see meson.build), so that glibc's
 * NAME stays the reference in the same process.  Also the hosted page
 * allocator's counters (page_stub.c). */
#ifndef MIRA_TEST_GUEST_LIBC_H
#define MIRA_TEST_GUEST_LIBC_H

#include <stdarg.h>
#include <stddef.h>

void *mira_guest_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *mira_guest_memmove(void *dst, const void *src, size_t n);
void *mira_guest_memset(void *dst, int c, size_t n);
int mira_guest_memcmp(const void *a, const void *b, size_t n);
void *mira_guest_memchr(const void *s, int c, size_t n);
size_t mira_guest_strlen(const char *s);
size_t mira_guest_strnlen(const char *s, size_t max);
int mira_guest_strcmp(const char *a, const char *b);
int mira_guest_strncmp(const char *a, const char *b, size_t n);
char *mira_guest_strchr(const char *s, int c);
char *mira_guest_strrchr(const char *s, int c);
char *mira_guest_strcpy(char *restrict dst, const char *restrict src);
char *mira_guest_strncpy(char *restrict dst, const char *restrict src, size_t n);
char *mira_guest_strcat(char *restrict dst, const char *restrict src);
char *mira_guest_strstr(const char *hay, const char *needle);
char *mira_guest_strdup(const char *s);
char *mira_guest_strndup(const char *s, size_t n);
size_t mira_guest_strspn(const char *s, const char *accept);
size_t mira_guest_strcspn(const char *s, const char *reject);

long mira_guest_strtol(const char *s, char **end, int base);
unsigned long mira_guest_strtoul(const char *s, char **end, int base);
long long mira_guest_strtoll(const char *s, char **end, int base);
unsigned long long mira_guest_strtoull(const char *s, char **end, int base);
int mira_guest_atoi(const char *s);
int mira_guest_abs(int x);
long mira_guest_labs(long x);
void mira_guest_qsort(void *base, size_t n, size_t size,
                      int (*cmp)(const void *, const void *));

void *mira_guest_malloc(size_t size);
void *mira_guest_calloc(size_t n, size_t size);
void *mira_guest_realloc(void *p, size_t size);
void mira_guest_free(void *p);

int mira_guest_vsnprintf(char *restrict buf, size_t size,
                         const char *restrict fmt, va_list ap);
int mira_guest_snprintf(char *restrict buf, size_t size,
                        const char *restrict fmt, ...)
    __attribute__((format(printf, 3, 4)));
int mira_guest_sprintf(char *restrict buf, const char *restrict fmt, ...)
    __attribute__((format(printf, 2, 3)));
int mira_guest_vprintf(const char *restrict fmt, va_list ap);
int mira_guest_printf(const char *restrict fmt, ...)
    __attribute__((format(printf, 1, 2)));
int mira_guest_puts(const char *s);
int mira_guest_putchar(int c);

/* ctype.h's inline functions, exported by guest_ctype.c. */
int mira_guest_isdigit(int c);
int mira_guest_isxdigit(int c);
int mira_guest_islower(int c);
int mira_guest_isupper(int c);
int mira_guest_isalpha(int c);
int mira_guest_isalnum(int c);
int mira_guest_isspace(int c);
int mira_guest_isprint(int c);
int mira_guest_tolower(int c);
int mira_guest_toupper(int c);

/* --- the hosted page allocator under the guest malloc (page_stub.c) --- */

/* Pages handed out since the start, and pages handed out and not yet
 * returned. */
extern size_t mira_test_pages_taken;
extern size_t mira_test_pages_live;

/* -1: pages never run out; n >= 0: the next n page allocations succeed and
 * every one after them fails, until this is set back to -1. */
extern long mira_test_pages_fail_after;

/* --- a deterministic pseudo-random generator (splitmix64) --- */

/* The next value of the generator whose state is *s. */
static inline unsigned long long mira_test_rand(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A value in [0, n) from the generator *s (n > 0). */
static inline size_t mira_test_below(unsigned long long *s, size_t n)
{
    return (size_t)(mira_test_rand(s) % n);
}

#endif
