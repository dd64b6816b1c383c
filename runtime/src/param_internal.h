/* param_internal.h - parameter bookkeeping for start-up and tests. */
#ifndef MIRA_PARAM_INTERNAL_H
#define MIRA_PARAM_INTERNAL_H

/* Warns about every parameter that no mira_param() call read. */
void mira_param_warn_unused(void);

/* Forgets every parameter. */
void mira_param_reset(void);

#endif
