/* fake_xenstored.c - a small xenstored serving the ring in memory (see
 * fake_xenstored.h).  Its ring code is its own (not mira/xen/byte_ring.h),
 * so that it checks the client's rather than sharing its mistakes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mira/fiber.h>
#include <mira/log.h>
#include "fake_xenstored.h"
#include "xs_shim.h"

#define NODES 256
#define PATH_MAX_ 256
#define TX_WRITES 16
#define TXS 8
#define WATCHES 32

struct xenstore_domain_interface fake_xsd_ring;

struct node {
    bool used;
    char path[PATH_MAX_];
    char *value;
    size_t len;
};
struct tx {
    uint32_t id; /* 0: free */
    unsigned base_gen;
    int nwrites;
    struct node writes[TX_WRITES];
};
struct watch {
    bool used;
    char path[PATH_MAX_], token[64];
};

static struct {
    struct node tree[NODES];
    unsigned gen;
    struct tx txs[TXS];
    uint32_t next_tx;
    struct watch watches[WATCHES];
    /* requests being assembled, replies waiting for ring space */
    char in[sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX + 1];
    size_t in_have;
    char out[256 * 1024];
    size_t out_head, out_tail;
    enum fake_xsd_fault fault;
    bool stalled, stop;
    char ev_path[PATH_MAX_], ev_token[64];
    bool ev_pending, ev_before;
    unsigned requests;
} S;
static struct mira_waitq serverq = MIRA_WAITQ_INIT;
static struct mira_fiber *server;

static void node_clear(struct node *n)
{
    free(n->value);
    memset(n, 0, sizeof(*n));
}

static void node_set(struct node *n, const char *path, const char *value, size_t len)
{
    char *v = malloc(len + 1);
    if (v == NULL)
        mira_panic("fake xenstored: out of memory");
    memcpy(v, value, len);
    v[len] = 0;
    free(n->value);
    n->used = true;
    snprintf(n->path, sizeof(n->path), "%s", path);
    n->value = v;
    n->len = len;
}

void fake_xsd_reset(void)
{
    for (int i = 0; i < NODES; i++)
        node_clear(&S.tree[i]);
    for (int t = 0; t < TXS; t++)
        for (int i = 0; i < TX_WRITES; i++)
            node_clear(&S.txs[t].writes[i]);
    memset(&S, 0, sizeof(S));
    memset(&fake_xsd_ring, 0, sizeof(fake_xsd_ring));
    mira_waitq_init(&serverq, false);
    server = NULL;
    S.next_tx = 1;
    node_set(&S.tree[0], "domid", "7", 1);
    node_set(&S.tree[1], "name", "fake", 4);
}

/* --- output: replies go to S.out, then to the ring as space allows --- */

static void out_put(const void *data, size_t len)
{
    if (S.out_head + len > sizeof(S.out))
        mira_panic("fake xenstored: output overflow");
    memcpy(S.out + S.out_head, data, len);
    S.out_head += len;
}

static void emit(uint32_t type, uint32_t req_id, uint32_t tx_id, const void *payload,
                 size_t len)
{
    struct xsd_sockmsg h = {.type = type, .req_id = req_id, .tx_id = tx_id,
                            .len = (uint32_t)len};
    out_put(&h, sizeof(h));
    out_put(payload, len);
}

static void emit_str(uint32_t type, uint32_t req_id, uint32_t tx_id, const char *s)
{
    emit(type, req_id, tx_id, s, strlen(s) + 1);
}

static void emit_event(const char *path, const char *token)
{
    char p[PATH_MAX_ + 64];
    size_t a = strlen(path) + 1, b = strlen(token) + 1;
    memcpy(p, path, a);
    memcpy(p + a, token, b);
    emit(XS_WATCH_EVENT, 0, 0, p, a + b);
}

static bool flush(void)
{
    struct xenstore_domain_interface *r = &fake_xsd_ring;
    size_t moved = 0;
    while (S.out_tail < S.out_head) {
        uint32_t prod = r->rsp_prod, cons = __atomic_load_n(&r->rsp_cons, __ATOMIC_ACQUIRE);
        uint32_t space = XENSTORE_RING_SIZE - (prod - cons);
        if (space == 0)
            break;
        r->rsp[MASK_XENSTORE_IDX(prod)] = S.out[S.out_tail++];
        __atomic_store_n(&r->rsp_prod, prod + 1, __ATOMIC_RELEASE);
        moved++;
    }
    if (S.out_tail == S.out_head)
        S.out_tail = S.out_head = 0;
    if (moved)
        xs_shim_notify_guest();
    return moved > 0;
}

/* --- the tree --- */

static bool under(const char *path, const char *top)
{
    size_t n = strlen(top);
    return strncmp(path, top, n) == 0 && (path[n] == 0 || path[n] == '/');
}

static struct node *find(const char *path)
{
    for (int i = 0; i < NODES; i++)
        if (S.tree[i].used && strcmp(S.tree[i].path, path) == 0)
            return &S.tree[i];
    return NULL;
}

static void fire(const char *path)
{
    for (int i = 0; i < WATCHES; i++)
        if (S.watches[i].used && under(path, S.watches[i].path))
            emit_event(path, S.watches[i].token);
}

static void store_node(const char *path, const char *value, size_t len, bool notify)
{
    /* parents exist, as in xenstored (made silently) */
    char parent[PATH_MAX_];
    snprintf(parent, sizeof(parent), "%s", path);
    for (char *s = strrchr(parent, '/'); s; s = strrchr(parent, '/')) {
        *s = 0;
        if (find(parent) == NULL)
            store_node(parent, "", 0, false);
    }
    struct node *n = find(path);
    for (int i = 0; n == NULL && i < NODES; i++)
        if (!S.tree[i].used)
            n = &S.tree[i];
    if (n == NULL)
        mira_panic("fake xenstored: tree full");
    node_set(n, path, value, len);
    S.gen++;
    if (notify)
        fire(path);
}

static void store(const char *path, const char *value, size_t len)
{
    store_node(path, value, len, true);
}

static bool remove_tree(const char *path)
{
    bool any = false;
    for (int i = 0; i < NODES; i++) {
        if (S.tree[i].used && under(S.tree[i].path, path)) {
            node_clear(&S.tree[i]);
            any = true;
        }
    }
    if (any) {
        S.gen++;
        fire(path);
    }
    return any;
}

void fake_xsd_write(const char *path, const char *value)
{
    store(path, value, strlen(value));
    fake_xsd_kick();
}

static struct tx *find_tx(uint32_t id)
{
    for (int i = 0; i < TXS && id; i++)
        if (S.txs[i].id == id)
            return &S.txs[i];
    return NULL;
}

static void tx_free(struct tx *t)
{
    for (int i = 0; i < TX_WRITES; i++)
        node_clear(&t->writes[i]);
    memset(t, 0, sizeof(*t));
}

/* --- requests --- */

static void directory(const struct xsd_sockmsg *h, const char *path)
{
    static char list[XENSTORE_PAYLOAD_MAX];
    size_t len = 0, n = strlen(path);
    if (find(path) == NULL) {
        emit_str(XS_ERROR, h->req_id, h->tx_id, "ENOENT");
        return;
    }
    for (int i = 0; i < NODES; i++) {
        const char *p = S.tree[i].path;
        if (!S.tree[i].used || strncmp(p, path, n) != 0 || p[n] != '/' || strchr(p + n + 1, '/'))
            continue;
        size_t k = strlen(p + n + 1) + 1;
        if (len + k > sizeof(list))
            mira_panic("fake xenstored: directory too long");
        memcpy(list + len, p + n + 1, k);
        len += k;
    }
    emit(XS_DIRECTORY, h->req_id, h->tx_id, list, len);
}

static void handle(const struct xsd_sockmsg *h, const char *payload)
{
    const char *a = payload;
    size_t alen = strnlen(a, h->len);
    const char *b = alen < h->len ? a + alen + 1 : a + alen;
    size_t blen = h->len - (alen < h->len ? alen + 1 : alen);
    struct tx *t = find_tx(h->tx_id);
    if (h->tx_id && t == NULL) {
        emit_str(XS_ERROR, h->req_id, h->tx_id, "ENOENT");
        return;
    }
    switch (h->type) {
    case XS_READ: {
        const struct node *n = NULL;
        for (int i = 0; t && i < t->nwrites; i++)
            if (strcmp(t->writes[i].path, a) == 0)
                n = &t->writes[i];
        if (n == NULL)
            n = find(a);
        if (n == NULL)
            emit_str(XS_ERROR, h->req_id, h->tx_id, "ENOENT");
        else
            emit(XS_READ, h->req_id, h->tx_id, n->value, n->len);
        return;
    }
    case XS_WRITE:
        if (t) {
            if (t->nwrites == TX_WRITES)
                mira_panic("fake xenstored: transaction too big");
            node_set(&t->writes[t->nwrites++], a, b, blen);
        } else {
            store(a, b, blen);
        }
        emit_str(XS_WRITE, h->req_id, h->tx_id, "OK");
        return;
    case XS_RM:
        if (remove_tree(a))
            emit_str(XS_RM, h->req_id, h->tx_id, "OK");
        else
            emit_str(XS_ERROR, h->req_id, h->tx_id, "ENOENT");
        return;
    case XS_DIRECTORY:
        directory(h, a);
        return;
    case XS_WATCH:
        for (int i = 0; i < WATCHES; i++) {
            if (!S.watches[i].used) {
                S.watches[i].used = true;
                snprintf(S.watches[i].path, sizeof(S.watches[i].path), "%s", a);
                snprintf(S.watches[i].token, sizeof(S.watches[i].token), "%s", b);
                emit_str(XS_WATCH, h->req_id, 0, "OK");
                emit_event(a, b); /* fired once at once */
                return;
            }
        }
        emit_str(XS_ERROR, h->req_id, 0, "ENOSPC");
        return;
    case XS_UNWATCH:
        for (int i = 0; i < WATCHES; i++) {
            if (S.watches[i].used && strcmp(S.watches[i].path, a) == 0 &&
                strcmp(S.watches[i].token, b) == 0) {
                S.watches[i].used = false;
                emit_str(XS_UNWATCH, h->req_id, 0, "OK");
                return;
            }
        }
        emit_str(XS_ERROR, h->req_id, 0, "ENOENT");
        return;
    case XS_TRANSACTION_START:
        for (int i = 0; i < TXS; i++) {
            if (S.txs[i].id == 0) {
                char id[16];
                S.txs[i].id = S.next_tx++;
                S.txs[i].base_gen = S.gen;
                snprintf(id, sizeof(id), "%u", S.txs[i].id);
                emit_str(XS_TRANSACTION_START, h->req_id, 0,
                         S.fault == FAKE_XSD_BAD_TX_ID ? "x1" : id);
                return;
            }
        }
        emit_str(XS_ERROR, h->req_id, 0, "ENOSPC");
        return;
    case XS_TRANSACTION_END:
        if (t == NULL) {
            emit_str(XS_ERROR, h->req_id, 0, "EINVAL");
        } else if (strcmp(a, "T") == 0 && t->base_gen != S.gen) {
            tx_free(t);
            emit_str(XS_ERROR, h->req_id, 0, "EAGAIN");
        } else {
            if (strcmp(a, "T") == 0)
                for (int i = 0; i < t->nwrites; i++)
                    store(t->writes[i].path, t->writes[i].value, t->writes[i].len);
            tx_free(t);
            emit_str(XS_TRANSACTION_END, h->req_id, 0, "OK");
        }
        return;
    default:
        emit_str(XS_ERROR, h->req_id, h->tx_id, "EINVAL");
    }
}

/* Handles one request, applying the fault asked for. */
static void serve(const struct xsd_sockmsg *h, const char *payload)
{
    enum fake_xsd_fault f = S.fault;
    S.requests++;
    if (S.ev_pending && S.ev_before) {
        emit_event(S.ev_path, S.ev_token);
        S.ev_pending = false;
    }
    switch (f) {
    case FAKE_XSD_OK:
    case FAKE_XSD_BAD_TX_ID:
        handle(h, payload);
        break;
    case FAKE_XSD_SWALLOW:
        break;
    case FAKE_XSD_OVERSIZED: {
        struct xsd_sockmsg bad = *h;
        bad.len = XENSTORE_PAYLOAD_MAX + 1;
        out_put(&bad, sizeof(bad));
        out_put("junk", 4);
        break;
    }
    case FAKE_XSD_BAD_TYPE:
        emit_str(XS_TYPE_COUNT + 7, h->req_id, 0, "OK");
        break;
    case FAKE_XSD_UNKNOWN_REQ_ID:
        emit_str(h->type, h->req_id + 1000, 0, "OK");
        handle(h, payload);
        break;
    case FAKE_XSD_TRUNCATED: {
        struct xsd_sockmsg cut = *h;
        cut.len = 100;
        out_put(&cut, sizeof(cut));
        out_put("0123456789", 10);
        S.stalled = true;
        break;
    }
    case FAKE_XSD_EVENT_NO_NUL:
        emit(XS_WATCH_EVENT, 0, 0, "abc", 3);
        handle(h, payload);
        break;
    case FAKE_XSD_WRONG_TYPE: {
        size_t before = S.out_head;
        handle(h, payload);
        struct xsd_sockmsg *r = (struct xsd_sockmsg *)(S.out + before);
        r->type = h->type == XS_DIRECTORY ? XS_READ : XS_DIRECTORY;
        break;
    }
    }
    S.fault = FAKE_XSD_OK;
    if (S.ev_pending) {
        emit_event(S.ev_path, S.ev_token);
        S.ev_pending = false;
    }
}

/* Moves request bytes into S.in; handles a complete request. */
static bool take_request(void)
{
    struct xenstore_domain_interface *r = &fake_xsd_ring;
    bool moved = false;
    for (;;) {
        const size_t hs = sizeof(struct xsd_sockmsg);
        struct xsd_sockmsg h;
        size_t want = hs;
        if (S.in_have >= hs) {
            memcpy(&h, S.in, hs);
            if (h.len > XENSTORE_PAYLOAD_MAX)
                mira_panic("fake xenstored: request of %u bytes", h.len);
            want = hs + h.len;
        }
        if (S.in_have >= hs && S.in_have == want) {
            S.in[S.in_have] = 0;
            S.in_have = 0;
            serve(&h, S.in + hs);
            return true;
        }
        uint32_t prod = __atomic_load_n(&r->req_prod, __ATOMIC_ACQUIRE), cons = r->req_cons;
        if (prod == cons)
            return moved;
        if (prod - cons > XENSTORE_RING_SIZE)
            mira_panic("fake xenstored: request ring indices corrupt");
        S.in[S.in_have++] = r->req[MASK_XENSTORE_IDX(cons)];
        __atomic_store_n(&r->req_cons, cons + 1, __ATOMIC_RELEASE);
        moved = true;
    }
}

bool fake_xsd_step(void)
{
    bool progress = flush();
    while (!S.stalled && S.out_head == 0 && take_request()) {
        progress = true;
        xs_shim_notify_guest(); /* request space was made */
        flush();
    }
    return progress;
}

static void server_fiber(void *arg)
{
    (void)arg;
    while (!S.stop)
        if (!fake_xsd_step())
            mira_wait(&serverq);
}

void fake_xsd_spawn(void)
{
    S.stop = false;
    server = mira_spawn_joinable("fake-xenstored", server_fiber, NULL, 0);
    if (server == NULL)
        mira_panic("fake xenstored: cannot spawn");
}

void fake_xsd_stop(void)
{
    S.stop = true;
    mira_wake_all(&serverq);
    mira_join(server);
    server = NULL;
}

void fake_xsd_kick(void)
{
    mira_wake_all(&serverq);
}

void fake_xsd_fault(enum fake_xsd_fault fault)
{
    S.fault = fault;
}

void fake_xsd_stall(bool stalled)
{
    S.stalled = stalled;
    fake_xsd_kick();
}

void fake_xsd_event(const char *path, const char *token)
{
    emit_event(path, token);
    fake_xsd_kick();
}

void fake_xsd_event_with_next_reply(const char *path, const char *token, bool before)
{
    snprintf(S.ev_path, sizeof(S.ev_path), "%s", path);
    snprintf(S.ev_token, sizeof(S.ev_token), "%s", token);
    S.ev_pending = true;
    S.ev_before = before;
}

unsigned fake_xsd_requests(void)
{
    return S.requests;
}
