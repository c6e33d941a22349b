/* selectors.h -- the --dkim-selectors list: "s1,google,k1" (DKIM selectors are
 * dot-separated labels of letters, digits, '-' and '_'; RFC 6376 3.1).
 * Contract: dkim_selectors_check() validates a list once (cli); the accessors then read it
 * in place, without allocating. */
#ifndef DS_DKIM_SELECTORS_H
#define DS_DKIM_SELECTORS_H

#include <stdbool.h>
#include <stddef.h>

#define DKIM_SELECTORS_MAX 8
#define DKIM_SELECTOR_MAX  63 /* octets of one selector */

/* 0, or -EINVAL with a message in err (empty, a bad octet or label, too long, too many). */
int dkim_selectors_check(const char *list, char *err, size_t errlen);

/* Selectors in a checked list (0 for NULL). */
unsigned dkim_selectors_count(const char *list);

/* The i-th selector into out (DKIM_SELECTOR_MAX + 1 bytes). */
void dkim_selector_at(const char *list, unsigned i, char *out);

#endif
