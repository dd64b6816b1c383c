/*
 * random.c - mira_platform_random on the xen guest.
 *
 * RDRAND where CPUID.1:ECX bit 30 announces it; Intel's DRNG guide advises
 * retrying a read that reports no data (CF=0) up to 10 times.  Without
 * RDRAND, or if it keeps failing, the bytes come from a ChaCha20 keystream
 * whose key is mixed from the TSC and Xen's system time at the first call
 * and stirred with the TSC at every call; after each call the key is
 * replaced by fresh keystream, so earlier output cannot be recomputed from
 * the state.  The seed has little entropy: this is NOT cryptographic (see
 * mira/random.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <mira/log.h>

#include "../../chacha20.h"
#include "../../platform.h"
#include "xen_internal.h"

enum source { SOURCE_UNKNOWN, SOURCE_RDRAND, SOURCE_CHACHA };
static enum source source;

static uint32_t key[8];
static uint32_t nonce[3];
static uint32_t counter;

static bool rdrand64(uint64_t *v)
{
    for (int i = 0; i < 10; i++) {
        unsigned char ok;
        __asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
        if (ok)
            return true;
    }
    return false;
}

static void stir(uint32_t k[8], int i, uint64_t v)
{
    k[i % 8] ^= (uint32_t)v;
    k[(i + 1) % 8] ^= (uint32_t)(v >> 32);
}

static void choose_source(void)
{
    uint32_t r[4];
    cpuid(1, 0, r);
    bool has_rdrand = (r[2] >> 30) & 1;
    uint64_t probe;
    source = has_rdrand && rdrand64(&probe) ? SOURCE_RDRAND : SOURCE_CHACHA;
    /* Seed the fallback in any case: RDRAND may still fail later. */
    for (int i = 0; i < 8; i += 2) {
        stir(key, i, rdtsc());
        if (mira_xen_present && mira_xen_vcpu_info != NULL)
            stir(key, i + 1, mira_xen_system_time());
    }
    if (source == SOURCE_RDRAND)
        mira_log(MIRA_LOG_DEBUG, "random", "source: RDRAND");
    else
        mira_log(MIRA_LOG_DEBUG, "random", "source: ChaCha20 keyed from the TSC "
                 "(no RDRAND: not cryptographic)");
}

static void chacha_bytes(uint8_t *p, size_t n)
{
    uint8_t block[64];
    stir(key, (int)(counter & 7), rdtsc());
    while (n > 0) {
        mira_chacha20_block(key, counter++, nonce, block);
        size_t k = n < sizeof(block) ? n : sizeof(block);
        memcpy(p, block, k);
        p += k;
        n -= k;
    }
    /* Fast key erasure: the next key is keystream nobody has seen. */
    mira_chacha20_block(key, counter++, nonce, block);
    memcpy(key, block, sizeof(key));
    if (counter == 0)
        nonce[0]++;
}

void mira_platform_random(void *buf, size_t n)
{
    if (source == SOURCE_UNKNOWN)
        choose_source();
    uint8_t *p = buf;
    if (source == SOURCE_RDRAND) {
        while (n > 0) {
            uint64_t v;
            if (!rdrand64(&v))
                break; /* exhausted: the rest from the fallback */
            size_t k = n < sizeof(v) ? n : sizeof(v);
            memcpy(p, &v, k);
            p += k;
            n -= k;
        }
    }
    if (n > 0)
        chacha_bytes(p, n);
}
