/*
 * mira/param.h - runtime parameters: key=value settings given at boot.
 *
 * On unix they are the program's "--key=value" arguments; on xen they are
 * the "key=value" words of the kernel command line (extra= in the .xl).
 * Drivers read theirs when they connect, e.g. "block0-file" or "ipv4".
 * A parameter that nobody reads is reported at start as a warning.
 */
#ifndef MIRA_PARAM_H
#define MIRA_PARAM_H

/* mira_param: the value of key, or dflt if it was not given.  A key given
 * without "=value" has the value "". */
const char *mira_param(const char *key, const char *dflt);

#endif
