/* suffixes.h -- the Public Suffix List's ASCII rules in one hash table: the public suffix of
 * a plain name in one lookup per label.
 * Contract: suffixes_load() reads a list in the PSL's text format (.dat); it refuses a file
 * it cannot read whole as such (a .dafsa, a rule with a '*' anywhere but a leading "*.").
 * After that suffixes_find() is a read-only lookup (thread-safe, no allocation). It answers
 * only for names of lower-case letters, digits, '-' and '_' in non-empty labels with no
 * "xn--" label: rules written in Unicode (the list's IDN rules, skipped at load) can only
 * match such a label, so every other name is left to libpsl, which stays the reference
 * (test_suffixes compares the two over every rule of the list and the shared domain lists).
 * Like libpsl's, a rule is taken as written: "*.x" makes "x" a suffix too, and a rule in
 * capitals matches no name.
 * Why: libpsl spends 200-400 ns on a lookup (its DAFSA walk per candidate suffix, and its
 * checks of the name), 9 % of the instructions of an exact scan. */
#ifndef DS_SUFFIXES_H
#define DS_SUFFIXES_H

#include <stdbool.h>
#include <stddef.h>

struct suffixes;

/* Returns 0, or -errno (-EINVAL: not a text list this table can hold whole). */
int suffixes_load(struct suffixes **out, const char *path);
void suffixes_free(struct suffixes *s);

/* The PSL algorithm (publicsuffix.org/list, "Algorithm", the implicit "*" rule included):
 * returns true with *suffix_off the offset in name of its public suffix (0: name is itself
 * a public suffix), or false when the name is not one this table answers for. */
bool suffixes_find(const struct suffixes *s, const char *name, size_t n, size_t *suffix_off);

/* The i-th slot's key (a rule, or a suffix of one), for checks against another reader of
 * the list; false past the last slot, and *len 0 for an empty slot. */
bool suffixes_key(const struct suffixes *s, size_t i, const char **key, size_t *len);

/* Keys held (rules and their suffixes). */
size_t suffixes_count(const struct suffixes *s);
/* Rules held, and rules skipped at load for being written in Unicode. */
size_t suffixes_rules(const struct suffixes *s);
size_t suffixes_skipped(const struct suffixes *s);

#endif
