/* stdlib.h - the Mira xen guest's libc: memory allocation and conversions. */
#ifndef MIRA_LIBC_STDLIB_H
#define MIRA_LIBC_STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void *malloc(size_t size);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t size);
void free(void *p);

_Noreturn void abort(void);
_Noreturn void exit(int status);

long strtol(const char *s, char **end, int base);
unsigned long strtoul(const char *s, char **end, int base);
long long strtoll(const char *s, char **end, int base);
unsigned long long strtoull(const char *s, char **end, int base);
int atoi(const char *s);
int abs(int x);
long labs(long x);

void qsort(void *base, size_t n, size_t size,
           int (*cmp)(const void *, const void *));

#endif
