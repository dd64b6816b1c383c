/* resolve.h - opening a key below a directory without ever leaving it
 * (see mira/kv_direct.h). */
#ifndef KV_DIRECT_RESOLVE_H
#define KV_DIRECT_RESOLVE_H

#include <stdbool.h>

/* kv_direct_open: opens normalised key below directory root with open
 * flags (O_PATH, O_RDONLY, O_DIRECTORY...; O_CLOEXEC is added).  Returns
 * the descriptor, or MIRA_ENOENT (missing, or escaping the directory),
 * MIRA_EINVAL (a file used as a directory) or MIRA_EIO. */
int kv_direct_open(int root, const char *key, int flags);

/* kv_direct_force_walk: for tests, resolves by the component walk even
 * where openat2 exists. */
void kv_direct_force_walk(bool on);

#endif
