/* discovery.c -- RFC 9989 tree walk and RFC 7489 PSL discovery, without DNS. */
#include "scanner/dmarc/discovery.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const MODE_NAMES[] = {"tree", "rfc7489", "exact"};

const char *discovery_mode_name(enum discovery_mode m)
{
        return (unsigned)m < 3 ? MODE_NAMES[m] : "?";
}

int discovery_mode_parse(const char *s, enum discovery_mode *m)
{
        for (unsigned i = 0; i < 3; i++)
                if (strcmp(s, MODE_NAMES[i]) == 0) {
                        *m = (enum discovery_mode)i;
                        return 0;
                }
        return -1;
}

int discovery_ctx_open(struct discovery_ctx **out, enum discovery_mode mode, const char *psl_file,
                       char *err, size_t errlen)
{
        struct discovery_ctx *c = calloc(1, sizeof(*c));
        if (!c) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
        }
        c->mode = mode;
        /* Every mode needs the PSL: report receivers' organizations are looked up in it. */
        int rc = ds_psl_open(&c->psl, psl_file, err, errlen);
        if (rc < 0) {
                free(c);
                return rc;
        }
        *out = c;
        return 0;
}

void discovery_ctx_close(struct discovery_ctx *c)
{
        if (!c)
                return;
        ds_psl_close(c->psl);
        free(c);
}

unsigned discovery_labels(const char *name)
{
        if (!*name)
                return 0;
        unsigned n = 1;
        for (const char *p = name; *p; p++)
                n += *p == '.';
        return n;
}

/* Offset of the suffix of name that has `keep` labels (keep <= labels(name)). */
static unsigned suffix_with(const char *name, unsigned keep)
{
        unsigned drop = discovery_labels(name) - keep;
        unsigned off = 0;
        while (drop--)
                off += (unsigned)strcspn(name + off, ".") + 1;
        return off;
}

unsigned discovery_one_below(const char *domain, unsigned off)
{
        if (off == 0)
                return 0;
        /* domain[off - 1] is the '.' before the suffix: back up to the label before it. */
        unsigned i = off - 1;
        while (i > 0 && domain[i - 1] != '.')
                i--;
        return i;
}

int discovery_psl_org(const struct discovery_ctx *c, const char *name)
{
        if (!c || !c->psl)
                return -1;
        const char *org = ds_psl_org(c->psl, name);
        return org ? (int)(org - name) : -1;
}

unsigned discovery_plan(const struct discovery_ctx *c, const char *domain,
                        uint8_t off[DISCOVERY_WALK_MAX])
{
        unsigned n = 0;
        off[n++] = 0;
        enum discovery_mode mode = c ? c->mode : DISCOVERY_EXACT;
        if (mode == DISCOVERY_RFC7489) {
                int org = discovery_psl_org(c, domain);
                if (org > 0)
                        off[n++] = (uint8_t)org;
                return n;
        }
        if (mode != DISCOVERY_TREE)
                return n;
        unsigned x = discovery_labels(domain);
        /* Step 4: x < 8 drops one label, x >= 8 jumps to 7; step 7: one label at a time. */
        unsigned next = x >= DISCOVERY_WALK_MAX ? DISCOVERY_SHORTEN_TO : x - 1;
        for (unsigned keep = next; keep >= 1 && n < DISCOVERY_WALK_MAX; keep--)
                off[n++] = (uint8_t)suffix_with(domain, keep);
        return n;
}

bool discovery_well_formed(const struct dmarc_record *r)
{
        for (unsigned i = 0; i < r->error_count; i++) {
                const char *c = r->errors[i].code;
                if (strcmp(c, "p_missing") && strcmp(c, "p_invalid") && strcmp(c, "sp_invalid") &&
                    strcmp(c, "np_invalid"))
                        return false;
        }
        /* Errors beyond the kept ones are never policy errors alone: be safe. */
        return r->errors_dropped == 0;
}

void walk_init(struct walk *w, enum discovery_mode mode)
{
        memset(w, 0, sizeof(*w));
        w->mode = (uint8_t)mode;
        w->last_rec = w->first_bad = w->stop = w->held = -1;
}

/* A psd=y or psd=n record at a parent in the tree walk: the walk stops, and the record
 * that applies (when the domain has none) is decided now. */
static unsigned feed_psd_stop(struct walk *w, const char *domain, const uint8_t *off, unsigned i,
                              enum dmarc_psd psd)
{
        w->stop = (int8_t)i;
        w->stop_psd = (uint8_t)psd;
        w->done = true;
        if (w->exact)
                return WALK_STOP;
        if (psd == DMARC_PSD_Y && w->last_rec >= 0 &&
            off[w->last_rec] == discovery_one_below(domain, off[i]))
                return WALK_STOP; /* the organizational domain's record, already held */
        w->held = (int8_t)i;
        return WALK_STOP | WALK_HOLD;
}

static unsigned feed_record(struct walk *w, const char *domain, const uint8_t *off, unsigned i,
                            enum dmarc_psd psd)
{
        if (i == 0) {
                w->exact = true;
                w->last_rec = 0;
                w->held = 0;
                unsigned r = WALK_HOLD;
                /* RFC 7489 stops at the domain's own record; RFC 9989 only at a psd tag. */
                if (w->mode != DISCOVERY_TREE || psd != DMARC_PSD_U) {
                        w->done = true;
                        w->stop = w->mode == DISCOVERY_TREE ? 0 : -1;
                        w->stop_psd = (uint8_t)psd;
                        r |= WALK_STOP;
                }
                return r;
        }
        if (w->mode != DISCOVERY_TREE) { /* rfc7489: the organizational domain's record */
                w->last_rec = (int8_t)i;
                w->held = (int8_t)i;
                w->done = true;
                return WALK_HOLD | WALK_STOP;
        }
        if (psd != DMARC_PSD_U) {
                unsigned r = feed_psd_stop(w, domain, off, i, psd);
                if (psd == DMARC_PSD_N)
                        w->last_rec = (int8_t)i;
                return r;
        }
        w->last_rec = (int8_t)i;
        if (w->exact)
                return 0;
        w->held = (int8_t)i;
        return WALK_HOLD;
}

unsigned walk_feed(struct walk *w, const char *domain, const uint8_t *off, unsigned nplan,
                   unsigned i, enum walk_kind k, enum dmarc_psd psd)
{
        unsigned r = 0;
        w->n = (uint8_t)(i + 1);
        if (k == WALK_RECORD) {
                r = feed_record(w, domain, off, i, psd);
        } else if (k != WALK_NONE) {
                if (w->first_bad < 0)
                        w->first_bad = (int8_t)i;
                /* Report it only while nothing else can apply. */
                if (!w->exact && w->last_rec < 0 && w->held < 0) {
                        w->held = (int8_t)i;
                        r |= WALK_HOLD;
                }
                /* RFC 7489 6.6.3 step 5: several records at the domain end discovery. */
                if (w->mode == DISCOVERY_RFC7489 && i == 0 && k == WALK_MULTIPLE) {
                        w->done = true;
                        r |= WALK_STOP;
                }
        }
        if (w->n >= nplan)
                w->done = true;
        if (w->done)
                r |= WALK_STOP;
        return r;
}

const char *discovery_how_name(enum discovery_how h)
{
        switch (h) {
        case HOW_EXACT:
                return "exact";
        case HOW_TREE_WALK:
                return "tree_walk";
        case HOW_PSL_ORG:
                return "psl_org";
        default:
                return NULL;
        }
}

/* RFC 9989 4.10.2 selection, for the domain where the walk started. */
static int tree_org(const struct walk *w, const char *domain, const uint8_t *off)
{
        if (w->stop >= 0) {
                if (w->stop_psd == DMARC_PSD_N)
                        return off[w->stop];
                /* psd=y: one label below it; at the starting domain itself rule 2 does not
                 * apply and its own record is the only one: it is its own. */
                return w->stop == 0 ? 0 : (int)discovery_one_below(domain, off[w->stop]);
        }
        return w->last_rec >= 0 ? off[w->last_rec] : 0; /* rule 3, else the initial target */
}

/* RFC 9989 4.10.1: the domain's own record, else the organizational domain's, else the
 * public suffix domain's. */
static int tree_applied(const struct walk *w, const char *domain, const uint8_t *off)
{
        if (w->exact)
                return 0;
        if (w->stop < 0)
                return w->last_rec;
        if (w->stop_psd == DMARC_PSD_N)
                return w->stop;
        int org = (int)discovery_one_below(domain, off[w->stop]);
        if (w->last_rec >= 0 && off[w->last_rec] == org)
                return w->last_rec;
        return w->stop; /* the public suffix domain's record */
}

void walk_result(const struct walk *w, const char *domain, const uint8_t *off, int psl_org,
                 bool org_failed, struct walk_outcome *o)
{
        memset(o, 0, sizeof(*o));
        if (w->mode == DISCOVERY_TREE) {
                o->applied = tree_applied(w, domain, off);
                o->org_off = org_failed ? -1 : tree_org(w, domain, off);
        } else {
                o->applied = w->exact ? 0 : (w->mode == DISCOVERY_RFC7489 ? w->last_rec : -1);
                o->org_off = psl_org >= 0 ? psl_org : 0;
        }
        if (o->applied >= 0) {
                o->reported = o->applied;
                o->how = o->applied == 0
                             ? HOW_EXACT
                             : (w->mode == DISCOVERY_TREE ? HOW_TREE_WALK : HOW_PSL_ORG);
        } else if (w->first_bad >= 0) {
                o->reported = w->first_bad;
                o->invalid = true;
                o->how = w->first_bad == 0
                             ? HOW_EXACT
                             : (w->mode == DISCOVERY_TREE ? HOW_TREE_WALK : HOW_PSL_ORG);
        } else {
                o->applied = -1;
                o->reported = 0;
        }
}
