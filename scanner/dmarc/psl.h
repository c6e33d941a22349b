/* psl.h -- the Public Suffix List (libpsl): organizational domains the RFC 7489 way.
 * Contract: ds_psl_open() loads a list once (a .dat or .dafsa file, or the distribution's
 * list, as the .dat beside its .dafsa when there is one, or libpsl's built-in copy) and,
 * from a text list, a hash table of its ASCII rules (suffixes.h) that answers plain names,
 * libpsl the rest; the table is kept only when it reads the list as libpsl does. It remembers where
 * it came from and how old it is, for the run's metadata. After that every function is a read-only
 * lookup: thread-safe, no allocation, no global state. Names are lower-case A-labels without a
 * trailing dot (what the input reader and the record parser produce). */
#ifndef DS_PSL_H
#define DS_PSL_H

#include <stdbool.h>
#include <stddef.h>

struct ds_psl;

/* path NULL: the distribution's list (Debian: /usr/share/publicsuffix), else libpsl's
 * built-in list. On failure returns -errno and writes a message to err. */
int ds_psl_open(struct ds_psl **out, const char *path, char *err, size_t errlen);
void ds_psl_close(struct ds_psl *p);

/* RFC 7489 3.2 organizational domain: the public suffix of name plus one label, as a
 * pointer into name. NULL when name is itself a public suffix (or empty): it has none.
 * The implicit "*" rule applies, so an unlisted TLD is a public suffix. */
const char *ds_psl_org(const struct ds_psl *p, const char *name);

/* Is name a public suffix (ICANN or private section, "*" rule included)? */
bool ds_psl_is_suffix(const struct ds_psl *p, const char *name);

/* Are plain names answered from the list's own hash table (a text list was loaded)? */
bool ds_psl_fast(const struct ds_psl *p);

/* Where the list came from: a path, or "builtin". */
const char *ds_psl_source(const struct ds_psl *p);
/* How old it is: the list's "// VERSION:" line when it has one, else the file's
 * modification date (YYYY-MM-DD, UTC), or the built-in list's date. */
const char *ds_psl_date(const struct ds_psl *p);

#endif
