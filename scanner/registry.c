/* registry.c -- the checks dmarcscan knows, and --checks parsed against them. */
#include "scanner/check.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "common/text.h"
#include "output/json.h"
#include "scanner/bimi/check.h"
#include "scanner/dkim/check.h"
#include "scanner/dmarc/check.h"
#include "scanner/dnssec/check.h"
#include "scanner/mtasts/check.h"
#include "scanner/mx/check.h"
#include "scanner/spf/check.h"
#include "scanner/tlsrpt/check.h"

/* A new check adds its line here (and nothing elsewhere): one a line, so that checks added
 * side by side merge cleanly. */
/* clang-format off */
const struct check_ops *const check_registry[] = {
    &dmarc_check,
    &spf_check,
    &mx_check,
    &dnssec_check,
    &mtasts_check,
    &tlsrpt_check,
    &bimi_check,
    &dkim_check,
    NULL,
};
/* clang-format on */

/* The output contract's check objects, in the line's order: every line has them, whether
 * their checks exist yet or not. */
static const char *const contract_order[] = {"dmarc", "spf",  "mx",     "mta_sts", "tls_rpt",
                                             "bimi",  "dkim", "dnssec", NULL};

/* A check's name is its object's key ("tls_rpt"); --checks may spell it with a hyphen, as
 * the protocols are named ("tls-rpt"). */
static bool same_name(const char *key, const char *given)
{
        for (; *key && *given; key++, given++)
                if (*key != *given && !(*key == '_' && *given == '-'))
                        return false;
        return *key == *given;
}

static const struct check_ops *find(const struct check_ops *const *table, const char *name)
{
        for (; *table; table++)
                if (same_name((*table)->name, name))
                        return *table;
        return NULL;
}

/* "dmarc, spf" from the table's names. */
static void known(const struct check_ops *const *table, char *out, size_t cap)
{
        size_t used = 0;
        out[0] = 0;
        for (unsigned i = 0; table[i] && used < cap; i++)
                used +=
                    (size_t)snprintf(out + used, cap - used, "%s%s", i ? ", " : "", table[i]->name);
}

static int add(struct check_set *set, const struct check_ops *ops, char *err, size_t errlen)
{
        if (check_set_find(set, ops->name) >= 0)
                return 0;
        size_t off = 0;
        if (set->n) {
                unsigned last = set->n - 1;
                off = set->state_off[last] + set->ops[last]->state_size;
        }
        off = (off + 15) & ~(size_t)15;
        if (set->n == DS_CHECKS_MAX || off + ops->state_size > DS_CHECK_STATE_MAX) {
                snprintf(err, errlen, "too many checks at once (room for %d)", DS_CHECKS_MAX);
                return -EINVAL;
        }
        set->state_off[set->n] = (uint16_t)off;
        set->ops[set->n++] = ops;
        set->reads_ad |= ops->reads_ad;
        return 0;
}

static void add_object(struct check_set *set, const char *name, int check)
{
        if (ds_fails(set->nobj < DS_LINE_OBJECTS_MAX))
                return;
        set->obj_name[set->nobj] = name;
        set->obj_klen[set->nobj] = jw_key_len(name);
        set->obj_check[set->nobj++] = (int8_t)check;
}

/* The null members of the objects not enabled, written once (check_set: null_text); a name
 * that needs escapes, or one past the room, is left to the line writer. */
static void null_runs(struct check_set *set)
{
        size_t used = 0;
        bool has[DS_LINE_OBJECTS_MAX] = {false};
        for (unsigned k = 0; k < set->nobj; k++) {
                size_t klen = set->obj_klen[k] & ~JW_TRUSTED;
                set->null_next[k] = 0;
                if (set->obj_check[k] >= 0 || !(set->obj_klen[k] & JW_TRUSTED) ||
                    used + klen + 9 > sizeof(set->null_text))
                        continue;
                set->null_off[k] = (uint16_t)used;
                used += (size_t)snprintf(set->null_text + used, sizeof(set->null_text) - used,
                                         ",\"%s\":null", set->obj_name[k]);
                set->null_end[k] = (uint16_t)used;
                has[k] = true;
        }
        for (unsigned k = set->nobj; k-- > 0;) {
                if (!has[k])
                        continue;
                set->null_next[k] = (uint8_t)(k + 1);
                if (k + 1 < set->nobj && has[k + 1]) { /* the run goes on: its end is k+1's */
                        set->null_next[k] = set->null_next[k + 1];
                        set->null_end[k] = set->null_end[k + 1];
                }
        }
}

/* The line's check objects: the contract's, in its order (null unless enabled); then the
 * table's other checks. */
static void layout(struct check_set *set, const struct check_ops *const *table)
{
        set->nobj = 0;
        for (const char *const *c = contract_order; *c; c++)
                add_object(set, *c, check_set_find(set, *c));
        for (const struct check_ops *const *t = table; *t; t++)
                if (!ds_listed(contract_order, (*t)->name))
                        add_object(set, (*t)->name, check_set_find(set, (*t)->name));
        null_runs(set);
}

/* The check named name in table ("all": every one), added to set (once). The message in err
 * has no prefix. */
static int add_named(struct check_set *set, const char *name, const struct check_ops *const *table,
                     char *err, size_t errlen)
{
        if (strcmp(name, "all") == 0) {
                for (const struct check_ops *const *t = table; *t; t++)
                        if (add(set, *t, err, errlen) < 0)
                                return -EINVAL;
                return 0;
        }
        const struct check_ops *ops = find(table, name);
        if (ops)
                return add(set, ops, err, errlen);
        char names[128];
        known(table, names, sizeof(names));
        snprintf(err, errlen, "unknown check '%s' (known: %s)", name, names);
        return -EINVAL;
}

int check_set_parse(struct check_set *set, const char *list, const struct check_ops *const *table,
                    char *err, size_t errlen)
{
        char buf[256], why[200];
        snprintf(buf, sizeof(buf), "%s", list);
        memset(set, 0, sizeof(*set));
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (add_named(set, t, table, why, sizeof(why)) < 0) {
                        snprintf(err, errlen, "--checks: %s", why);
                        return -EINVAL;
                }
        }
        if (!set->n) {
                snprintf(err, errlen, "--checks: empty list");
                return -EINVAL;
        }
        layout(set, table);
        return 0;
}

int check_set_add(struct check_set *set, const char *name, const struct check_ops *const *table,
                  char *err, size_t errlen)
{
        int rc = add_named(set, name, table, err, errlen);
        if (rc == 0)
                layout(set, table);
        return rc;
}

int check_set_find(const struct check_set *set, const char *name)
{
        for (unsigned i = 0; i < set->n; i++)
                if (strcmp(set->ops[i]->name, name) == 0)
                        return (int)i;
        return -1;
}
