/* registry.c -- the profiles dmarcscan knows, --profile, and the profile's member of a line. */
#include "scanner/profile/profile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "scanner/job.h"
#include "scanner/profile/bod1801.h"

/* A new profile adds its line here (and nothing elsewhere). */
const struct profile_ops *const profile_registry[] = {
    &bod1801_profile,
    NULL,
};

int profile_select(struct profile_set *ps, const char *name,
                   const struct profile_ops *const *profiles, const struct check_ops *const *checks,
                   struct check_set *set, char *err, size_t errlen)
{
        memset(ps, 0, sizeof(*ps));
        const struct profile_ops *ops = NULL;
        for (const struct profile_ops *const *t = profiles; *t && !ops; t++)
                if (strcmp((*t)->name, name) == 0)
                        ops = *t;
        if (!ops) {
                int used = snprintf(err, errlen, "--profile: unknown profile '%s' (known:", name);
                for (const struct profile_ops *const *t = profiles; *t; t++)
                        if (used >= 0 && (size_t)used < errlen)
                                used +=
                                    snprintf(err + used, errlen - (size_t)used, " %s", (*t)->name);
                if (used >= 0 && (size_t)used < errlen)
                        snprintf(err + used, errlen - (size_t)used, ")");
                return -EINVAL;
        }
        for (unsigned k = 0; k < PROFILE_NEEDS_MAX && ops->needs[k]; k++) {
                char why[160];
                if (check_set_add(set, ops->needs[k], checks, why, sizeof(why)) < 0) {
                        snprintf(err, errlen, "--profile %s needs the %s check: %s", name,
                                 ops->needs[k], why);
                        return -EINVAL;
                }
                ps->check[k] = (int8_t)check_set_find(set, ops->needs[k]);
        }
        ps->ops = ops;
        return 0;
}

void profile_write(const struct profile_set *ps, const struct job *j, const struct job_scratch *s,
                   struct jw *w)
{
        if (!ps || !ps->ops)
                return;
        if (j->in.status != INPUT_ITEM_OK) {
                jw_null(w, ps->ops->key);
                return;
        }
        struct profile_arg a = {.job = j};
        for (unsigned k = 0; k < PROFILE_NEEDS_MAX && ps->ops->needs[k]; k++) {
                int i = ps->check[k];
                if (ds_fails(i >= 0 && (unsigned)i < j->set->n))
                        continue; /* render() sees NULL: the rules it feeds are undecided */
                a.scratch[k] = s->check[i];
                a.state[k] = job_state(j, (unsigned)i);
        }
        ps->ops->render(&a, w);
}
