/* tests/xen/guests/random: the guest's randomness source (RDRAND where the
 * CPU has it, else the ChaCha20 fallback) gives bytes that differ from one
 * call to the next and look uniform.  The bounds are loose on purpose: a
 * working source fails them with a probability far below 1e-9, a broken
 * one (zeros, a repeated block, a stuck byte) every time. */
#include <stdint.h>
#include <string.h>
#include <mira/console.h>
#include <mira/random.h>

#define SAMPLE 65536

static uint8_t sample[SAMPLE];

int unikernel_start(struct mira_console *c)
{
    uint8_t a[32], b[32];
    mira_random_bytes(a, sizeof(a));
    mira_random_bytes(b, sizeof(b));
    if (memcmp(a, b, sizeof(a)) == 0) {
        mira_console_log(c, "random: FAIL: two draws of 32 bytes are equal");
        return 1;
    }

    /* Byte frequencies over 64 KiB: each of the 256 values is expected
     * 256 times (standard deviation 16); allow 128..384 (8 sigma). */
    mira_random_bytes(sample, sizeof(sample));
    unsigned count[256] = {0};
    for (size_t i = 0; i < sizeof(sample); i++)
        count[sample[i]]++;
    for (unsigned v = 0; v < 256; v++) {
        if (count[v] < 128 || count[v] > 384) {
            mira_console_log(c, "random: FAIL: byte %u seen %u times in %u bytes",
                             v, count[v], (unsigned)SAMPLE);
            return 1;
        }
    }

    /* Every bit of a u32 takes both values over 256 draws. */
    uint32_t ones = 0, zeros = 0;
    for (int i = 0; i < 256; i++) {
        uint32_t x = mira_random_u32();
        ones |= x;
        zeros |= ~x;
    }
    if (ones != UINT32_MAX || zeros != UINT32_MAX) {
        mira_console_log(c, "random: FAIL: stuck bits in mira_random_u32 (%08x %08x)",
                         (unsigned)ones, (unsigned)zeros);
        return 1;
    }
    mira_console_log(c, "random: ok");
    return 0;
}
