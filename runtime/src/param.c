/* param.c - runtime parameters (see mira/param.h). */
#include <stdlib.h>
#include <string.h>
#include <mira/log.h>
#include <mira/param.h>
#include "param_internal.h"
#include "platform.h"

struct param {
    struct param *next;
    char *key, *value;
    int used;
};

static struct param *params;

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d == NULL)
        mira_panic("out of memory for parameters");
    memcpy(d, s, n);
    return d;
}

void mira_param_add(const char *key, const char *value)
{
    struct param **pp = &params;
    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    if (*pp) { /* the last setting of a key wins */
        free((*pp)->value);
        (*pp)->value = dup_str(value);
        return;
    }
    struct param *p = calloc(1, sizeof(*p));
    if (p == NULL)
        mira_panic("out of memory for parameters");
    p->key = dup_str(key);
    p->value = dup_str(value);
    *pp = p;
}

const char *mira_param(const char *key, const char *dflt)
{
    for (struct param *p = params; p; p = p->next) {
        if (strcmp(p->key, key) == 0) {
            p->used = 1;
            return p->value;
        }
    }
    return dflt;
}

void mira_param_warn_unused(void)
{
    for (struct param *p = params; p; p = p->next)
        if (!p->used)
            mira_log(MIRA_LOG_WARN, "param", "parameter '%s' is not used by this unikernel",
                     p->key);
}

void mira_param_reset(void)
{
    while (params) {
        struct param *p = params;
        params = p->next;
        free(p->key);
        free(p->value);
        free(p);
    }
}
