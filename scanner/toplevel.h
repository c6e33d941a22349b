/* toplevel.h -- the verdicts at the top of a domain's line ("exists", "posture",
 * "enforcing", "partial", "spoofable", "spoofable_reason"), combined in this one place from
 * what each check reported (struct check_facts), whichever checks ran. docs/verdicts.md has
 * the rules. Contract: pure functions; no DNS, no allocation; the result does not depend on
 * the order of the facts. Posture, enforcing and partial are the DMARC check's; exists is
 * what the checks' answers say (one NXDOMAIN at the apex says no, unless another check's
 * answer says yes: then null); spoofability is the decision table of scanner/spoof.h. */
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
