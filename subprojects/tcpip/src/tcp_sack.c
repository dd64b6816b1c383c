/* tcp_sack.c - the sender's SACK scoreboard.  See tcp_sack.h. */
#include "tcp_sack.h"

#include <string.h>

static bool lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static bool le(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static uint32_t smax(uint32_t a, uint32_t b) { return lt(a, b) ? b : a; }
static uint32_t smin(uint32_t a, uint32_t b) { return lt(a, b) ? a : b; }

void tcp_sack_clear(struct tcp_sack_board *b)
{
    b->n = 0;
}

static void remove_at(struct tcp_sack_board *b, unsigned i)
{
    memmove(&b->r[i], &b->r[i + 1], (b->n - i - 1) * sizeof(b->r[0]));
    b->n--;
}

bool tcp_sack_add(struct tcp_sack_board *b, uint32_t left, uint32_t right)
{
    uint32_t before = tcp_sack_bytes(b, left, right);
    if (before == right - left)
        return false;
    unsigned i = 0;
    while (i < b->n && lt(b->r[i].right, left))
        i++;
    if (i < b->n && le(b->r[i].left, right)) {
        /* Touches range i: widen it, then swallow the ones it reaches. */
        b->r[i].left = smin(b->r[i].left, left);
        b->r[i].right = smax(b->r[i].right, right);
        while (i + 1 < b->n && le(b->r[i + 1].left, b->r[i].right)) {
            b->r[i].right = smax(b->r[i].right, b->r[i + 1].right);
            remove_at(b, i + 1);
        }
        return true;
    }
    if (b->n == TCP_SACK_MAX)
        return false;
    memmove(&b->r[i + 1], &b->r[i], (b->n - i) * sizeof(b->r[0]));
    b->r[i] = (struct tcp_range){ left, right };
    b->n++;
    return true;
}

void tcp_sack_trim(struct tcp_sack_board *b, uint32_t una)
{
    while (b->n > 0 && le(b->r[0].right, una))
        remove_at(b, 0);
    if (b->n > 0 && lt(b->r[0].left, una))
        b->r[0].left = una;
}

uint32_t tcp_sack_bytes(const struct tcp_sack_board *b, uint32_t from, uint32_t to)
{
    uint32_t sum = 0;
    for (unsigned i = 0; i < b->n; i++) {
        uint32_t l = smax(b->r[i].left, from), r = smin(b->r[i].right, to);
        if (lt(l, r))
            sum += r - l;
    }
    return sum;
}

uint32_t tcp_sack_lost_edge(const struct tcp_sack_board *b, uint32_t una, uint32_t mss)
{
    /* Every byte of the hole below range k has the same bytes SACKed
     * above it: those of ranges k and up. */
    uint64_t above = 0;
    for (unsigned k = b->n; k-- > 0;) {
        above += b->r[k].right - b->r[k].left;
        if (above > (uint64_t)(TCP_SACK_DUPTHRESH - 1) * mss)
            return smax(b->r[k].left, una);
    }
    return una;
}

uint32_t tcp_sack_pipe(const struct tcp_sack_board *b, uint32_t una, uint32_t max,
                       uint32_t high_rxt, uint32_t mss)
{
    uint32_t lost = tcp_sack_lost_edge(b, una, mss);
    uint32_t rxt = smin(smax(high_rxt, una), max);
    uint32_t not_lost = (max - lost) - tcp_sack_bytes(b, lost, max);
    uint32_t resent = (rxt - una) - tcp_sack_bytes(b, una, rxt);
    return not_lost + resent;
}

bool tcp_sack_hole(const struct tcp_sack_board *b, uint32_t from, uint32_t limit, uint32_t mss,
                   uint32_t *seq, uint32_t *len)
{
    uint32_t s = from;
    for (unsigned i = 0; i < b->n; i++) {
        if (le(b->r[i].right, s))
            continue;
        if (le(b->r[i].left, s)) {
            s = b->r[i].right; /* inside range i: the hole starts after it */
            continue;
        }
        /* Range i is the next above s. */
        if (!lt(s, limit))
            return false;
        *seq = s;
        *len = smin(smin(b->r[i].left, limit) - s, mss);
        return true;
    }
    if (!lt(s, limit))
        return false;
    *seq = s;
    *len = smin(limit - s, mss);
    return true;
}

uint32_t tcp_sack_highest(const struct tcp_sack_board *b, uint32_t una)
{
    return b->n > 0 ? b->r[b->n - 1].right : una;
}

bool tcp_sack_rescue(const struct tcp_sack_board *b, uint32_t una, uint32_t max, uint32_t mss,
                     uint32_t *seq, uint32_t *len)
{
    uint32_t top = max, floor = una;
    for (unsigned k = b->n; k-- > 0;) {
        if (b->r[k].right == top) {
            top = b->r[k].left;
            continue;
        }
        floor = smax(b->r[k].right, una);
        break;
    }
    if (!lt(una, top))
        return false;
    uint32_t n = smin(top - floor, mss);
    *seq = top - n;
    *len = n;
    return true;
}

const char *tcp_sack_check(const struct tcp_sack_board *b, uint32_t una, uint32_t max)
{
    if (b->n > TCP_SACK_MAX)
        return "scoreboard count";
    for (unsigned i = 0; i < b->n; i++) {
        const struct tcp_range *r = &b->r[i];
        if (!lt(r->left, r->right))
            return "scoreboard range empty";
        if (lt(r->left, una) || lt(max, r->right))
            return "scoreboard range outside [SND.UNA, SND.MAX]";
        if (i > 0 && !lt(b->r[i - 1].right, r->left))
            return "scoreboard ranges unsorted or touching";
    }
    return NULL;
}
