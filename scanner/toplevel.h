/* toplevel.h -- the verdicts at the top of a domain's line ("exists", "posture",
 * "enforcing", "partial", "spoofable", "spoofable_reason"), combined in this one place from
 * what each check reported (struct check_facts). docs/verdicts.md has the rules.
 * Contract: pure functions; no DNS, no allocation. Today DMARC alone decides posture and
 * spoofability; the SPF and MX rules of issue 7 go in toplevel_combine(). */
#ifndef DS_TOPLEVEL_H
#define DS_TOPLEVEL_H

#include <stdbool.h>
#include <stdint.h>

#include "output/json.h"

struct check_facts;

struct toplevel {
        bool known;     /* false: every field is written as null */
        int8_t exists;  /* enum tristate */
        int8_t posture; /* enum posture; -1: null */
        bool enforcing, partial;
        int8_t spoofable;   /* enum spoofable; -1: null */
        const char *reason; /* NULL: null */
};

/* facts[0..n) in the order of the job's checks. */
void toplevel_combine(const struct check_facts *facts, unsigned n, struct toplevel *out);

/* The fields, in the line's order. */
void toplevel_render(const struct toplevel *t, struct jw *w);

#endif
