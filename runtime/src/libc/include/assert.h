/* assert.h - the Mira xen guest's libc: assert panics the unikernel. */
#ifndef MIRA_LIBC_ASSERT_H
#define MIRA_LIBC_ASSERT_H

_Noreturn void mira_libc_assert_fail(const char *expr, const char *file,
                                     int line, const char *func);

#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e)                                                             \
    ((e) ? (void)0 : mira_libc_assert_fail(#e, __FILE__, __LINE__, __func__))
#endif

#ifndef __cplusplus
#define static_assert _Static_assert
#endif

#endif
