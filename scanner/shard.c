/* shard.c -- shard membership and the scheduler's index (see shard.h). */
#include "scanner/shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"

uint64_t shard_hash(uint64_t seed, const char *p, size_t n)
{
        return ds_hash(seed, p, n);
}

bool shard_owns(const struct shard_spec *s, const struct input_item *it)
{
        if (!s || s->count <= 1)
                return true;
        const char *key = it->status == INPUT_ITEM_OK ? it->domain : it->raw;
        return shard_hash(s->seed, key, strlen(key)) % s->count == s->index;
}

static int parse_num(const char *s, const char *end, unsigned long max, unsigned long *out)
{
        if (s == end || end - s > 9)
                return -EINVAL;
        unsigned long v = 0;
        for (const char *p = s; p < end; p++) {
                if (*p < '0' || *p > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned long)(*p - '0');
        }
        if (v > max)
                return -EINVAL;
        *out = v;
        return 0;
}

int shard_parse(const char *arg, struct shard_spec *out, char *err, size_t errlen)
{
        const char *slash = strchr(arg, '/');
        unsigned long i, n;
        if (!slash || parse_num(arg, slash, SHARD_COUNT_MAX, &i) < 0 ||
            parse_num(slash + 1, slash + strlen(slash), SHARD_COUNT_MAX, &n) < 0 || n == 0 ||
            i >= n) {
                snprintf(err, errlen,
                         "--shard: '%s' is not I/N with 0 <= I < N <= %d (e.g. 0/4 .. 3/4)", arg,
                         SHARD_COUNT_MAX);
                return -EINVAL;
        }
        out->index = (unsigned)i;
        out->count = (unsigned)n;
        return 0;
}

int shard_from_env(unsigned count, const char *(*getenv_fn)(const char *), struct shard_spec *out,
                   char *err, size_t errlen)
{
        const char *name = "JOB_COMPLETION_INDEX";
        const char *v = getenv_fn(name);
        unsigned long base = 0, idx;
        if (!v || !*v) {
                name = "SLURM_ARRAY_TASK_ID";
                v = getenv_fn(name);
                const char *min = getenv_fn("SLURM_ARRAY_TASK_MIN");
                if (min && *min && parse_num(min, min + strlen(min), 1000000000, &base) < 0) {
                        snprintf(err, errlen,
                                 "--shard-from-env: SLURM_ARRAY_TASK_MIN='%s' is not "
                                 "a number",
                                 min);
                        return -EINVAL;
                }
        }
        if (!v || !*v) {
                snprintf(err, errlen,
                         "--shard-from-env: neither JOB_COMPLETION_INDEX (Kubernetes Indexed "
                         "Job) nor SLURM_ARRAY_TASK_ID (Slurm job array) is set");
                return -EINVAL;
        }
        if (parse_num(v, v + strlen(v), 1000000000, &idx) < 0 || idx < base ||
            idx - base >= count) {
                snprintf(err, errlen,
                         "--shard-from-env %u: %s='%s' does not name one of %u shards (0..%u%s)",
                         count, name, v, count, count - 1,
                         base ? " after SLURM_ARRAY_TASK_MIN" : "");
                return -EINVAL;
        }
        out->index = (unsigned)(idx - base);
        out->count = count;
        return 0;
}
