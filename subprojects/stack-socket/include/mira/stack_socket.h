/*
 * mira/stack_socket.h - the network stack of -Dnet=socket (unix target):
 * mira/stack.h over the host kernel's sockets.
 *
 * No tap device and no privileges are needed (except for ports below 1024):
 * the unikernel's UDP sockets and TCP connections are the host's, on the
 * host's addresses.  Sockets are non-blocking; a call that would block
 * waits for its descriptor in the scheduler's poll loop
 * (mira_unix_wait_fd), so it suspends only its fiber.
 *
 * Runtime parameters (device stack0 shown; every device has its own):
 *   --stack0-ipv4=ADDR   the host address to bind and connect from
 *                        (default 0.0.0.0: every address of the host;
 *                        e.g. 127.0.0.1 for loopback only).  "/N" after it
 *                        is accepted and reported as the prefix.
 */
#ifndef MIRA_STACK_SOCKET_H
#define MIRA_STACK_SOCKET_H

#include <mira/stack.h>

/* mira_stack_socket_connect: the stack of device name (kept by pointer)
 * into *out.  Returns 0, or MIRA_EINVAL (a bad --<name>-ipv4, after one
 * error line naming it) or MIRA_ENOMEM. */
int mira_stack_socket_connect(struct mira_stack **out, const char *name);

#endif
