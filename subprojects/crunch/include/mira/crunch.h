/*
 * mira/crunch.h - the key/value driver over files compiled into the image.
 *
 * At build time mira-crunch turns a directory into a C file that defines
 * the device's data, `const struct mira_crunch_data mira_crunch_<device>`
 * (see docs/tutorial.md, step 3); the generated main.c passes it to
 * mira_crunch_connect.  Reads copy from the image, inflating deflated
 * blocks as they go; nothing waits.  Works on every target.
 */
#ifndef MIRA_CRUNCH_H
#define MIRA_CRUNCH_H

#include <stddef.h>
#include <mira/kv_ro.h>

/* A crunched directory: the index and the data of
 * mira/crunch_format.h. */
struct mira_crunch_data {
    const unsigned char *index;
    size_t index_len;
    const unsigned char *data;
    size_t data_len;
};

/* mira_crunch_connect: checks data's index (once, entirely: its header, the
 * tree, names, and every file's region and block table) and stores the
 * device named name (kept by pointer) in *out.  Returns 0, MIRA_ECORRUPT
 * (the index cannot be trusted; logged) or MIRA_ENOMEM. */
int mira_crunch_connect(struct mira_kv_ro **out, const char *name,
                        const struct mira_crunch_data *data);

#endif
