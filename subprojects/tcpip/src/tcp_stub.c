/* tcp_stub.c - stands in for the TCP module (tcp_*.c) until it lands:
 * every TCP call is refused with MIRA_ENOTSUP, segments for us are
 * dropped.  meson.build compiles it only while tcp_module_sources names
 * it; the TCP module replaces that list and this file goes. */
#include "stack_internal.h"

int tcpip_tcp_init(struct tcpip_stack *s)
{
    (void)s;
    return MIRA_OK;
}

void tcpip_tcp_fini(struct tcpip_stack *s)
{
    (void)s;
}

void tcpip_tcp_input(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst,
                     struct mira_pbuf *seg)
{
    (void)src;
    (void)dst;
    (void)s;
    mira_pbuf_free(seg);
}

void tcpip_tcp_icmp_error(struct tcpip_stack *s, mira_ipv4_t src, mira_ipv4_t dst, uint8_t type,
                          uint8_t code, const uint8_t *quoted_tcp, size_t len)
{
    (void)s, (void)src, (void)dst, (void)type, (void)code, (void)quoted_tcp, (void)len;
}

int tcpip_tcp_listen(struct mira_stack *s, uint16_t port, int backlog,
                     struct mira_tcp_listener **out)
{
    (void)s, (void)port, (void)backlog, (void)out;
    return MIRA_ENOTSUP;
}

int tcpip_tcp_accept(struct mira_tcp_listener *l, struct mira_tcp **out, mira_time_t deadline)
{
    (void)l, (void)out, (void)deadline;
    return MIRA_ENOTSUP;
}

/* No listener or connection is ever made: these are never called. */
void tcpip_tcp_listener_close(struct mira_tcp_listener *l)
{
    (void)l;
}

void tcpip_tcp_listener_free(struct mira_tcp_listener *l)
{
    (void)l;
}

int tcpip_tcp_connect(struct mira_stack *s, const struct mira_endpoint *to,
                      struct mira_tcp **out, mira_time_t deadline)
{
    (void)s, (void)to, (void)out, (void)deadline;
    return MIRA_ENOTSUP;
}

long tcpip_tcp_read(struct mira_tcp *c, void *buf, size_t len, mira_time_t deadline)
{
    (void)c, (void)buf, (void)len, (void)deadline;
    return MIRA_ENOTSUP;
}

long tcpip_tcp_write(struct mira_tcp *c, const void *buf, size_t len, mira_time_t deadline)
{
    (void)c, (void)buf, (void)len, (void)deadline;
    return MIRA_ENOTSUP;
}

int tcpip_tcp_shutdown(struct mira_tcp *c)
{
    (void)c;
    return MIRA_ENOTSUP;
}

void tcpip_tcp_close(struct mira_tcp *c)
{
    (void)c;
}

void tcpip_tcp_free(struct mira_tcp *c)
{
    (void)c;
}
