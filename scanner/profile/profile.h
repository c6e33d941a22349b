/* profile.h -- a profile: a reading of a domain's check results against a published
 * standard (BOD 18-01 first), written as one object of the line after the check objects.
 * Contract: a profile is one const struct profile_ops. It sits above the checks: it reads,
 * never changes, the results the checks it needs left in the classifier's scratch after
 * job_conclude(), and it is pure (no DNS, no allocation). Choosing a profile (--profile)
 * enables the checks it needs (profile_select); a check that is not implemented is a usage
 * error. The needed checks are looked up once, when the option is parsed, so writing a line
 * compares no names. Adding a profile is a file under scanner/profile/ and a line in
 * profile_registry (scanner/profile/registry.c). */
#ifndef DS_PROFILE_H
#define DS_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "output/json.h"
#include "scanner/check.h"

struct job;
struct job_scratch;

#define PROFILE_NEEDS_MAX 4 /* checks a profile reads */

/* What a profile's render() gets: each needed check's result, in the order of needs. */
struct profile_arg {
        const struct job *job;
        const void *scratch[PROFILE_NEEDS_MAX]; /* the check's scratch, holding this job's result */
        const void *state[PROFILE_NEEDS_MAX];   /* the check's per-domain state in the job */
};

struct profile_ops {
        const char *name;                     /* in --profile, e.g. "bod-18-01" */
        const char *key;                      /* its object's key in the line, e.g. "bod1801" */
        const char *needs[PROFILE_NEEDS_MAX]; /* the checks it reads; NULL after the last */
        /* Its member of the line, named key, for an input item that was checked. */
        void (*render)(const struct profile_arg *a, struct jw *w);
};

/* The scan's profile: none, or one, with the index of each needed check in the set. */
struct profile_set {
        const struct profile_ops *ops; /* NULL: no profile */
        int8_t check[PROFILE_NEEDS_MAX];
};

/* NULL-terminated: every profile dmarcscan knows. */
extern const struct profile_ops *const profile_registry[];

/* Choose the profile named name from profiles (NULL-terminated) and add the checks it
 * needs, from checks (the table set was parsed against), to set: after --checks was parsed,
 * set's own checks keep their order. Returns 0, or -EINVAL with a message in err (unknown
 * profile, a needed check not implemented, too many checks). */
int profile_select(struct profile_set *ps, const char *name,
                   const struct profile_ops *const *profiles, const struct check_ops *const *checks,
                   struct check_set *set, char *err, size_t errlen);

/* The profile's member of j's line (nothing when ps has no profile): null for an input item
 * that was not checked (ILLEGAL_INPUT, EXCLUDED). After job_conclude(). */
void profile_write(const struct profile_set *ps, const struct job *j, const struct job_scratch *s,
                   struct jw *w);

#endif
