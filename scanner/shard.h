/* shard.h -- which domains belong to this machine when a scan is split over N of them.
 * Contract (zmap's model): a domain belongs to shard hash(seed, normalized name) mod N, so
 * each domain is in exactly one shard whatever the input's order or file split, and every
 * machine may read the same input. An illegal line belongs by its raw field, so the union of
 * the shards' outputs is the unsharded output, line for line. The hash is part of the
 * output's meaning: it never changes between versions (tests pin it). Pure functions. */
#ifndef DS_SHARD_H
#define DS_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/input.h"

#define SHARD_COUNT_MAX 65536

struct shard_spec {
        unsigned index, count; /* 0 <= index < count; count 1 = no sharding */
        uint64_t seed;
};

/* The 64-bit hash of (seed, bytes): FNV-1a folded through splitmix64's finalizer. */
uint64_t shard_hash(uint64_t seed, const char *p, size_t n);
bool shard_owns(const struct shard_spec *s, const struct input_item *it);

/* "I/N" (0 <= I < N <= SHARD_COUNT_MAX). Returns 0 or -EINVAL with a message. */
int shard_parse(const char *arg, struct shard_spec *out, char *err, size_t errlen);
/* This process's index from the scheduler: JOB_COMPLETION_INDEX (Kubernetes Indexed Job),
 * else SLURM_ARRAY_TASK_ID less SLURM_ARRAY_TASK_MIN (a Slurm job array; 0 when MIN is
 * unset). getenv_fn is getenv, or a test's. */
int shard_from_env(unsigned count, const char *(*getenv_fn)(const char *), struct shard_spec *out,
                   char *err, size_t errlen);

#endif
