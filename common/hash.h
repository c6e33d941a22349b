/* hash.h -- the one 64-bit string hash of the project: FNV-1a over the bytes, then the seed
 * and splitmix64's finalizer (FNV's low bits alone are poorly mixed, and hash tables and
 * "mod N" read exactly those). Contract: pure; the values are part of the shard
 * assignment (scanner/shard.h) and must never change. */
#ifndef DS_HASH_H
#define DS_HASH_H

#include <stddef.h>
#include <stdint.h>

#define DS_FNV_OFFSET 14695981039346656037ULL
#define DS_FNV_PRIME  1099511628211ULL

/* splitmix64's finalizer: every bit of h reaches the low bits a table index reads. */
static inline uint64_t ds_hash_mix(uint64_t h)
{
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
        return h ^ (h >> 31);
}

static inline uint64_t ds_hash(uint64_t seed, const char *p, size_t n)
{
        uint64_t h = DS_FNV_OFFSET;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)p[i]) * DS_FNV_PRIME;
        return ds_hash_mix(h ^ (seed + 0x9e3779b97f4a7c15ULL));
}

/* ds_hash of the bytes with ASCII upper case read as lower case (DNS names, RFC 4343). */
static inline uint64_t ds_hash_lower(uint64_t seed, const uint8_t *p, size_t n)
{
        uint64_t h = DS_FNV_OFFSET;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (p[i] >= 'A' && p[i] <= 'Z' ? p[i] | 0x20u : p[i])) * DS_FNV_PRIME;
        return ds_hash_mix(h ^ (seed + 0x9e3779b97f4a7c15ULL));
}

#endif
