/*
 * mira/random.h - random bytes, for TCP initial sequence numbers and ports,
 * DHCP transaction ids, hash seeds.
 *
 * Where the bytes come from:
 *   - unix: the host kernel (getrandom(2)): cryptographic quality.
 *   - xen: the CPU's RDRAND instruction where CPUID announces it (each
 *     read retried up to 10 times, as Intel advises): cryptographic
 *     quality.  Without RDRAND, a ChaCha20 keystream keyed from the TSC
 *     and Xen's system time at boot and stirred with the TSC at every
 *     call: unpredictable enough for sequence numbers and ports against an
 *     off-path peer, but NOT cryptographic (the seed has little entropy).
 *     A debug log line at the first call says which source is in use.
 *
 * These calls never fail and never wait on a fiber.
 */
#ifndef MIRA_RANDOM_H
#define MIRA_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/* mira_random_bytes: fills buf[0..n-1] with random bytes. */
void mira_random_bytes(void *buf, size_t n);

/* mira_random_u32: a random 32-bit number. */
uint32_t mira_random_u32(void);

#endif
