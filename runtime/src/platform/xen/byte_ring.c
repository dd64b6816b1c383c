/* byte_ring.c - byte ring copies (see mira/xen/byte_ring.h); pure C, unit tested. */
#include <string.h>
#include <mira/xen/byte_ring.h>

size_t mira_byte_ring_put(char *ring, uint32_t size, uint32_t prod, uint32_t cons,
                     const void *src, size_t n)
{
    uint32_t space = mira_byte_ring_space(prod, cons, size);
    if (n > space)
        n = space;
    uint32_t off = prod & (size - 1);
    size_t first = size - off < n ? size - off : n;
    memcpy(ring + off, src, first);
    memcpy(ring, (const char *)src + first, n - first);
    return n;
}

size_t mira_byte_ring_get(const char *ring, uint32_t size, uint32_t prod,
                     uint32_t cons, void *dst, size_t n)
{
    uint32_t used = mira_byte_ring_used(prod, cons);
    if (used > size)
        return 0;
    if (n > used)
        n = used;
    uint32_t off = cons & (size - 1);
    size_t first = size - off < n ? size - off : n;
    memcpy(dst, ring + off, first);
    memcpy((char *)dst + first, ring, n - first);
    return n;
}
