/* blkfront_util.c - blkfront's pure helpers (mira/blkfront_util.h). */
#include <mira/blkfront_util.h>
#include <mira/error.h>

#define PAGE 4096u

uint32_t mira_blkfront_disk_id(unsigned disk)
{
    if (disk < 16)
        return 202u << 8 | disk << 4;
    return 1u << 28 | disk << 8;
}

int mira_blkfront_parse_vdev(const char *s, uint32_t *id)
{
    if (s[0] >= '0' && s[0] <= '9') {
        uint64_t v = 0;
        for (const char *p = s; *p; p++) {
            if (*p < '0' || *p > '9')
                return MIRA_EINVAL;
            v = v * 10 + (uint64_t)(*p - '0');
            if (v > UINT32_MAX)
                return MIRA_EINVAL;
        }
        *id = (uint32_t)v;
        return 0;
    }
    if (s[0] != 'x' || s[1] != 'v' || s[2] != 'd' || s[3] == '\0')
        return MIRA_EINVAL;
    /* Bijective base 26: a = 1 ... z = 26, so xvdaa follows xvdz. */
    unsigned long n = 0;
    for (const char *p = s + 3; *p; p++) {
        if (*p < 'a' || *p > 'z' || n > (1ul << 20))
            return MIRA_EINVAL;
        n = n * 26 + (unsigned long)(*p - 'a' + 1);
    }
    if (n - 1 >= (1ul << 20))
        return MIRA_EINVAL;
    *id = mira_blkfront_disk_id((unsigned)(n - 1));
    return 0;
}

void mira_blkfront_disk_name(unsigned disk, char *buf, size_t size)
{
    char tmp[16];
    int k = 0;
    if (size < 8) {
        if (size > 0)
            buf[0] = '\0';
        return;
    }
    if (disk >= 702) { /* 26 + 26 * 26: past xvdzz */
        unsigned d = disk;
        char digits[12];
        int n = 0;
        do {
            digits[n++] = (char)('0' + d % 10);
            d /= 10;
        } while (d);
        const char *pre = "disk";
        size_t i = 0;
        for (; pre[i] && i + 1 < size; i++)
            buf[i] = pre[i];
        while (n > 0 && i + 1 < size)
            buf[i++] = digits[--n];
        buf[i] = '\0';
        return;
    }
    unsigned long n = disk + 1ul;
    while (n > 0) {
        tmp[k++] = (char)('a' + (n - 1) % 26);
        n = (n - 1) / 26;
    }
    buf[0] = 'x';
    buf[1] = 'v';
    buf[2] = 'd';
    int i = 3;
    while (k > 0)
        buf[i++] = tmp[--k];
    buf[i] = '\0';
}

unsigned long mira_blkfront_pages(uintptr_t addr, size_t len)
{
    return (unsigned long)((addr + len - 1) / PAGE - addr / PAGE + 1);
}

size_t mira_blkfront_chunk_len(uintptr_t addr, size_t len, unsigned max_pages,
                               uint32_t sector)
{
    /* The first page holds what is left of it; each further one a page. */
    size_t first = PAGE - addr % PAGE;
    size_t most = first + (size_t)(max_pages - 1) * PAGE;
    size_t n = len < most ? len : most;
    return n - n % sector;
}

size_t mira_blkfront_in_page(uintptr_t page, uintptr_t addr, size_t len,
                             size_t *offset)
{
    uintptr_t lo = addr > page ? addr : page;
    uintptr_t end = addr + len, pend = page + PAGE;
    uintptr_t hi = end < pend ? end : pend;
    if (hi <= lo) {
        *offset = 0;
        return 0;
    }
    *offset = lo - page;
    return hi - lo;
}
