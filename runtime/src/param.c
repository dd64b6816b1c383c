/* param.c - runtime parameters (see mira/param.h). */
#include <stdlib.h>
#include <string.h>
#include <mira/format.h>
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

static const struct mira_param_decl *find_exact_decl(const char *key);

const char *mira_param(const char *key, const char *dflt)
{
    for (struct param *p = params; p; p = p->next) {
        if (strcmp(p->key, key) == 0) {
            p->used = 1;
            return p->value;
        }
    }
    /* A declaration of this very key (not a "*-" wildcard) with a default
     * overrides the caller's: how the build bakes in a value, e.g. the
     * generated main.c's "kv0-block-file" naming the image built for kv0. */
    const struct mira_param_decl *d = find_exact_decl(key);
    return d != NULL && d->dflt != NULL ? d->dflt : dflt;
}

/* --- declarations: the "mira_params" section of pointers ---
 * The linker defines __start_/__stop_ for a section named like a C
 * identifier (the xen linker script keeps it); weak, so that a program
 * without any declaration links too. */
extern const struct mira_param_decl *const __start_mira_params[]
    __attribute__((weak));
extern const struct mira_param_decl *const __stop_mira_params[]
    __attribute__((weak));

static size_t decl_count(void)
{
    if (__start_mira_params == NULL || __stop_mira_params == NULL)
        return 0;
    return (size_t)(__stop_mira_params - __start_mira_params);
}

static bool decl_matches(const struct mira_param_decl *d, const char *key)
{
    if (d->key[0] == '*' && d->key[1] == '-') {
        /* "*-x": any "<device>-x" with a non-empty device */
        size_t klen = strlen(key), slen = strlen(d->key + 1);
        return klen > slen && strcmp(key + klen - slen, d->key + 1) == 0;
    }
    return strcmp(d->key, key) == 0;
}

const struct mira_param_decl *mira_param_find_decl(const char *key)
{
    size_t n = decl_count();
    for (size_t i = 0; i < n; i++) {
        const struct mira_param_decl *d = __start_mira_params[i];
        if (d != NULL && decl_matches(d, key))
            return d;
    }
    return NULL;
}

static const struct mira_param_decl *find_exact_decl(const char *key)
{
    size_t n = decl_count();
    for (size_t i = 0; i < n; i++) {
        const struct mira_param_decl *d = __start_mira_params[i];
        if (d != NULL && d->key[0] != '*' && strcmp(d->key, key) == 0)
            return d;
    }
    return NULL;
}

size_t mira_param_each_unknown(void (*report)(const char *key, void *ctx),
                               void *ctx)
{
    size_t n = 0;
    for (struct param *p = params; p; p = p->next) {
        if (mira_param_find_decl(p->key) == NULL) {
            report(p->key, ctx);
            n++;
        }
    }
    return n;
}

/* The declaration that sorts first after prev (NULL: the first), by key;
 * a key declared twice is listed once. */
static const struct mira_param_decl *next_decl(const struct mira_param_decl *prev)
{
    const struct mira_param_decl *best = NULL;
    size_t n = decl_count();
    for (size_t i = 0; i < n; i++) {
        const struct mira_param_decl *d = __start_mira_params[i];
        if (d == NULL || (prev && strcmp(d->key, prev->key) <= 0))
            continue;
        if (best == NULL || strcmp(d->key, best->key) < 0)
            best = d;
    }
    return best;
}

size_t mira_param_each_help(const char *prefix,
                            void (*line)(const char *text, void *ctx), void *ctx)
{
    size_t n = 0;
    char text[256], key[64];
    for (const struct mira_param_decl *d = next_decl(NULL); d; d = next_decl(d)) {
        if (d->key[0] == '*')
            mira_snprintf(key, sizeof(key), "<device>%s", d->key + 1);
        else
            mira_snprintf(key, sizeof(key), "%s", d->key);
        if (d->dflt != NULL && d->dflt[0] != '\0')
            mira_snprintf(text, sizeof(text), "%s%-22s %s (default: %s)", prefix, key,
                          d->help, d->dflt);
        else
            mira_snprintf(text, sizeof(text), "%s%-22s %s", prefix, key, d->help);
        line(text, ctx);
        n++;
    }
    return n;
}

void mira_param_warn_unused(void)
{
    for (struct param *p = params; p; p = p->next)
        if (!p->used && mira_param_find_decl(p->key) != NULL)
            mira_log(MIRA_LOG_WARN, "param", "parameter '%s' was given but nothing read it",
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
