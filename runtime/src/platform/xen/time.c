/*
 * time.c - the clocks of the xen guest (the idle wait is in idle.c).
 *
 * On Xen the monotonic clock is the PV clock: vcpu_time_info in the shared
 * info page gives Xen's system time at a TSC stamp and the TSC scaling, so
 * now = system_time + ((rdtsc - tsc_timestamp) << shift) * mul / 2^32.
 * (rdtscp is never used: it faults under TCG's emulated SVM.)  The wall
 * clock adds shared_info's wc_sec/wc_nsec (the wall time at system time 0).
 * Without Xen (QEMU's direct PVH boot) the TSC is calibrated against the
 * PIT and the wall clock is the CMOS RTC, read once at boot.
 */
#include <stdint.h>
#include <mira/xen/hvm.h>
#include "../../platform.h"
#include "xen_internal.h"

static uint64_t boot_system_time;
static mira_time_t last_monotonic;
static uint64_t tsc_hz, tsc_boot; /* without Xen */

/* The TSC at the guest's first instruction (entry.S). */
extern uint64_t mira_xen_boot_tsc;

/* Nanoseconds from the first instruction to now: the TSC ticks between
 * them scaled by the PV clock's current tsc_to_system_mul and tsc_shift
 * (both ends read with one set of parameters).  Extrapolating the first
 * instruction into system time from the PV clock's stamp instead gave 0
 * in the rig: the stamp and system time Xen had written before the guest
 * ran were later replaced, so the two ends were in different frames. */
static uint64_t ns_since_first_insn(void)
{
    volatile struct vcpu_time_info *t = &mira_xen_vcpu_info->time;
    uint32_t version, mul;
    int8_t shift;
    uint64_t tsc;
    do {
        version = t->version;
        barrier();
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        __asm__ volatile("lfence" ::: "memory");
        tsc = rdtsc();
        barrier();
    } while ((version & 1) || version != t->version);
    if (tsc <= mira_xen_boot_tsc)
        return 0;
    uint64_t delta = tsc - mira_xen_boot_tsc;
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

uint64_t mira_xen_system_time(void)
{
    volatile struct vcpu_time_info *t = &mira_xen_vcpu_info->time;
    uint32_t version;
    uint64_t tsc, stamp, sys;
    uint32_t mul;
    int8_t shift;
    do {
        version = t->version;
        barrier();
        stamp = t->tsc_timestamp;
        sys = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        __asm__ volatile("lfence" ::: "memory");
        tsc = rdtsc();
        barrier();
    } while ((version & 1) || version != t->version);
    uint64_t delta = tsc - stamp;
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return sys + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

static void calibrate_tsc(void)
{
    /* PIT channel 2, mode 0, gate on: counts 11932 ticks = 10 ms. */
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));
    outb(0x43, 0xb0);
    outb(0x42, 11932 & 0xff);
    outb(0x42, 11932 >> 8);
    uint64_t t0 = rdtsc();
    unsigned long spins = 0;
    while (!(inb(0x61) & 0x20) && ++spins < 100000000ul)
        ;
    uint64_t t1 = rdtsc();
    tsc_hz = (t1 - t0) * 100;
    if (tsc_hz < 1000000)
        tsc_hz = 1000000000; /* no PIT? assume 1 GHz */
}

static uint8_t cmos(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

/* The wall clock without Xen: the CMOS RTC, read once at boot. */
static mira_time_t rtc_epoch_ns;

static void read_rtc(void)
{
    while (cmos(0x0a) & 0x80) /* update in progress */
        ;
    unsigned v[6] = {cmos(0x00), cmos(0x02), cmos(0x04), cmos(0x07), cmos(0x08),
                     cmos(0x09)};
    if (!(cmos(0x0b) & 0x04)) /* BCD */
        for (int i = 0; i < 6; i++)
            v[i] = (v[i] & 0x0f) + (v[i] >> 4) * 10;
    long y = 2000 + (long)v[5], m = (long)v[4], d = (long)v[3];
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return;
    /* days since 1970-01-01 (civil calendar, March-based years) */
    y -= m <= 2;
    long era = y / 400, yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = era * 146097 + doe - 719468;
    rtc_epoch_ns = ((mira_time_t)days * 86400 + v[2] * 3600 + v[1] * 60 + v[0]) *
                   MIRA_SECONDS(1);
}

void mira_xen_time_init(void)
{
    if (mira_xen_present) {
        boot_system_time = mira_xen_system_time();
    } else {
        calibrate_tsc();
        tsc_boot = rdtsc();
        read_rtc();
    }
}

mira_time_t mira_platform_monotonic(void)
{
    mira_time_t now;
    if (mira_xen_present && mira_xen_vcpu_info == NULL)
        now = 0; /* a panic before the shared info page is mapped */
    else if (mira_xen_present)
        now = (mira_time_t)(mira_xen_system_time() - boot_system_time);
    else if (tsc_hz) {
        uint64_t d = rdtsc() - tsc_boot;
        now = (mira_time_t)(d / tsc_hz * 1000000000u +
                            d % tsc_hz * 1000000000u / tsc_hz);
    }
    else
        now = 0;
    if (now < last_monotonic)
        now = last_monotonic;
    last_monotonic = now;
    return now;
}

mira_time_t mira_platform_wall(void)
{
    if (!mira_xen_present)
        return rtc_epoch_ns + mira_platform_monotonic();
    volatile struct shared_info *s = mira_xen_shared_info;
    uint32_t version;
    uint64_t sec, nsec;
    do {
        version = s->wc_version;
        barrier();
        sec = s->wc_sec | ((uint64_t)s->wc_sec_hi << 32);
        nsec = s->wc_nsec;
        barrier();
    } while ((version & 1) || version != s->wc_version);
    return (mira_time_t)(sec * 1000000000u + nsec + mira_xen_system_time());
}

uint64_t mira_xen_system_time_at(mira_time_t monotonic)
{
    return boot_system_time + (uint64_t)(monotonic < 0 ? 0 : monotonic);
}

long long mira_platform_boot_ns(const char **clock)
{
    if (!mira_xen_present || mira_xen_vcpu_info == NULL || mira_xen_boot_tsc == 0) {
        *clock = "no PV clock without Xen";
        return -1;
    }
    *clock = "Xen's PV clock scale, TSC from the guest's first instruction";
    return (long long)ns_since_first_insn();
}
