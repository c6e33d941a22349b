/* hash.h -- the one 64-bit string hash of the project: FNV-1a over the bytes, then the seed
 * and splitmix64's finalizer (FNV's low bits alone are poorly mixed, and hash tables and
 * "mod N" read exactly those). Contract: pure; the values are part of the shard
 * assignment (scanner/shard.h) and must never change. */
#ifndef DS_HASH_H
#define DS_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t ds_hash(uint64_t seed, const char *p, size_t n)
{
        uint64_t h = 14695981039346656037ULL;
        for (size_t i = 0; i < n; i++)
                h = (h ^ (unsigned char)p[i]) * 1099511628211ULL;
        h ^= seed + 0x9e3779b97f4a7c15ULL;
        h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ULL;
        h = (h ^ (h >> 27)) * 0x94d049bb133111ebULL;
        return h ^ (h >> 31);
}

#endif
