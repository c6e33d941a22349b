/* discovery.h -- which _dmarc names to ask, and which record applies (RFC 9989 4.10,
 * RFC 7489 6.6.3), as pure functions with no DNS: the job feeds in what each lookup found.
 * Contract: a struct discovery_ctx is created once per scan and only read afterwards
 * (shared by every classifier thread). Names are plain text, lower-case, no trailing dot;
 * the names of a walk are suffixes of the author domain and are handled as byte offsets
 * into it, so a walk needs no name buffers. No allocation, no global state. The readings
 * behind every rule below are in docs/verdicts.md. */
#ifndef DS_DISCOVERY_H
#define DS_DISCOVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "scanner/dmarc/record.h"
#include "scanner/dmarc/psl.h"

/* RFC 9989 4.10: a walk never asks more than eight names. */
#define DISCOVERY_WALK_MAX 8
/* RFC 9989 4.10 step 4: a name of x >= 8 labels is shortened to this many after the
 * first query. */
#define DISCOVERY_SHORTEN_TO 7

enum discovery_mode {
        DISCOVERY_TREE = 0, /* RFC 9989 DNS tree walk (the default) */
        DISCOVERY_RFC7489,  /* _dmarc.<domain>, then _dmarc.<PSL organizational domain> */
        DISCOVERY_EXACT,    /* _dmarc.<domain> only, and no further lookups of any kind */
};

struct discovery_ctx {
        enum discovery_mode mode;
        struct ds_psl *psl; /* owned; NULL only in unit tests (then orgs are the names) */
};

/* "tree", "rfc7489", "exact". */
const char *discovery_mode_name(enum discovery_mode m);
/* Returns 0, or -1 when s names no mode. */
int discovery_mode_parse(const char *s, enum discovery_mode *m);

/* Create / free the scan's context (loads the PSL: psl_file NULL for the default). */
int discovery_ctx_open(struct discovery_ctx **out, enum discovery_mode mode, const char *psl_file,
                       char *err, size_t errlen);
void discovery_ctx_close(struct discovery_ctx *c);

/* Labels in name ("" has 0). */
unsigned discovery_labels(const char *name);

/* Offset of the name one label longer than the suffix at off, on the way to domain
 * (off itself when off is 0: the domain has nothing below it on its own path). */
unsigned discovery_one_below(const char *domain, unsigned off);

/* The organizational domain of name by the PSL (RFC 7489 3.2) as an offset into name;
 * -1 when name is a public suffix itself, or there is no PSL (c or c->psl NULL). */
int discovery_psl_org(const struct discovery_ctx *c, const char *name);

/* The names a discovery asks, as offsets into domain, in order; returns how many (1..8).
 * tree: the domain, then (RFC 9989 4.10 steps 4-7) its parents down to the TLD, shortened
 * to 7 labels first when the domain has 8 or more. rfc7489: the domain, then its PSL
 * organizational domain when that differs. exact (or c NULL): the domain. */
unsigned discovery_plan(const struct discovery_ctx *c, const char *domain,
                        uint8_t off[DISCOVERY_WALK_MAX]);

/* What one asked name held, after RFC 9989 4.10 step 2 / 6. */
enum walk_kind {
        WALK_NONE = 0, /* no DMARC record (NXDOMAIN, NODATA, only other TXT) */
        WALK_RECORD,   /* exactly one well-formed DMARC record (maybe with an unusable p) */
        WALK_BROKEN,   /* exactly one record that is not a valid DMARC record (v_*, duplicate) */
        WALK_MULTIPLE, /* more than one DMARC record: all discarded */
};

/* Is the parsed record a "valid DMARC Policy Record" for the walk: one whose errors, if
 * any, are only about p/sp/np (RFC 9989 4.10.1 lets such a record apply, as p=none when it
 * has a usable rua, else with no DMARC processing)? */
bool discovery_well_formed(const struct dmarc_record *r);

/* The walk's memory: indexes into the plan, -1 for none. */
struct walk {
        uint8_t mode;     /* enum discovery_mode */
        uint8_t n;        /* names fed so far */
        bool exact;       /* the domain itself has a well-formed record */
        bool done;        /* stopped (psd tag, RFC 7489 rule, or the plan ran out) */
        int8_t last_rec;  /* the well-formed record with the fewest labels so far */
        int8_t first_bad; /* the first name with broken or multiple records */
        int8_t stop;      /* the record whose psd=y/n stopped the walk */
        uint8_t stop_psd; /* enum dmarc_psd of that record */
        int8_t held;      /* the name whose records the caller must keep (see walk_feed) */
};

void walk_init(struct walk *w, enum discovery_mode mode);

/* walk_feed() result bits. */
#define WALK_HOLD 1u /* keep this name's records: they may be reported or applied */
#define WALK_STOP 2u /* ask no further name */

/* Feed name i (i == w->n) of the plan off[0..nplan) of domain. Returns WALK_HOLD when the
 * caller must keep this name's records (replacing what it kept before), WALK_STOP when the
 * walk is over. At most one name is held at a time: the one that the outcome will report. */
unsigned walk_feed(struct walk *w, const char *domain, const uint8_t *off, unsigned nplan,
                   unsigned i, enum walk_kind k, enum dmarc_psd psd);

enum discovery_how { HOW_NONE = 0, HOW_EXACT, HOW_TREE_WALK, HOW_PSL_ORG };
/* "exact", "tree_walk", "psl_org"; NULL for HOW_NONE. */
const char *discovery_how_name(enum discovery_how h);

struct walk_outcome {
        int applied;  /* plan index of the record that applies; -1: none */
        int reported; /* plan index whose records are reported: applied, else the first
                       * broken/multiple name (posture invalid), else 0 (missing) */
        bool invalid; /* no record applies but broken or multiple records were seen */
        int org_off;  /* the domain's organizational domain (offset into domain); -1 unknown */
        enum discovery_how how;
};

/* After the walk is done (or cut short by a DNS failure with org_failed: only when the
 * domain's own record applies). psl_org: discovery_psl_org(domain) for rfc7489/exact. */
void walk_result(const struct walk *w, const char *domain, const uint8_t *off, int psl_org,
                 bool org_failed, struct walk_outcome *o);

#endif
