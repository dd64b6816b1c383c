/* param_internal.h - parameter bookkeeping for start-up and tests. */
#ifndef MIRA_PARAM_INTERNAL_H
#define MIRA_PARAM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <mira/param.h>

/* The declaration that matches key (exact, or a "*-" wildcard), or NULL. */
const struct mira_param_decl *mira_param_find_decl(const char *key);

/* Calls report(key, ctx) for every given parameter that no declaration
 * matches, in the order given; returns how many there were. */
size_t mira_param_each_unknown(void (*report)(const char *key, void *ctx),
                               void *ctx);

/* Calls line(text, ctx) once per declared parameter, sorted by key, with a
 * line "<prefix><key>  <help> (default: <dflt>)" (no newline); a wildcard
 * key "*-x" is shown as "<device>-x".  Returns how many. */
size_t mira_param_each_help(const char *prefix,
                            void (*line)(const char *text, void *ctx), void *ctx);

/* Warns about every declared parameter that was given but no mira_param()
 * call read (unknown ones were reported at start). */
void mira_param_warn_unused(void);

/* Forgets every parameter given. */
void mira_param_reset(void);

#endif
