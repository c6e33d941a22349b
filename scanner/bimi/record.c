/* record.c -- the BIMI record (the BIMI draft) read into l, a and codes; the draft's DMARC
 * prerequisite. */
#include "scanner/bimi/record.h"

#include <string.h>

#include "scanner/dmarc/verdict.h"
#include "scanner/txtrec/tags.h"
#include "scanner/txtrec/uri.h"

const char *const bimi_issue_codes[] = {
    "multiple_records", "version_case", "syntax",      "duplicate_tag",   "l_missing",
    "l_multiple",       "l_not_https",  "l_not_svg",   "a_not_https",     "a_not_pem",
    "a_self",           "declined",     "unknown_tag", "budget_exceeded", NULL,
};

static struct bimi_span span_of(const struct tag_list *tl, const char *name)
{
        const struct tag *g = tags_find(tl, name);
        if (!g)
                return (struct bimi_span){.present = false};
        return (struct bimi_span){.present = true, .p = g->value, .n = g->value_len};
}

static void location(const struct bimi_span *l, struct txtrec *t)
{
        if (!l->present) {
                txtrec_issue(t, "l_missing", true);
                return;
        }
        if (l->n == 0)
                return;
        if (memchr(l->p, ',', l->n))
                txtrec_issue(t, "l_multiple", true);
        else if (uri_kind(l->p, l->n) != URI_HTTPS)
                txtrec_issue(t, "l_not_https", true);
        else if (!uri_path_ends(l->p, l->n, ".svg"))
                txtrec_issue(t, "l_not_svg", false);
}

static void authority(const struct bimi_span *a, struct txtrec *t)
{
        if (!a->present || a->n == 0)
                return;
        if (a->n == 4 && memcmp(a->p, "self", 4) == 0)
                txtrec_issue(t, "a_self", false);
        else if (uri_kind(a->p, a->n) != URI_HTTPS)
                txtrec_issue(t, "a_not_https", true);
        else if (!uri_path_ends(a->p, a->n, ".pem"))
                txtrec_issue(t, "a_not_pem", false);
}

void bimi_parse(const char *text, size_t n, struct bimi_record *rec, struct txtrec *t)
{
        /* Receivers ignore tags they do not know (avp, the avatar preference of later
         * drafts, is one they may know). */
        static const char *const known[] = {"v", "l", "a", "avp", NULL};
        memset(rec, 0, sizeof(*rec));
        const struct tag_list *tl = txtrec_tags(t, text, n);
        txtrec_extensions(t, tl, known, false, "unknown_tag");
        rec->l = span_of(tl, "l");
        rec->a = span_of(tl, "a");
        location(&rec->l, t);
        authority(&rec->a, t);
        if (rec->l.present && rec->l.n == 0 && (!rec->a.present || rec->a.n == 0))
                txtrec_issue(t, "declined", false);
}

int bimi_dmarc_ok(int posture, bool enforcing, bool partial, int org_sp)
{
        if (posture < 0 || posture == POSTURE_ERROR)
                return -1;
        bool strict = posture == POSTURE_REJECT || posture == POSTURE_QUARANTINE;
        bool sp_ok = org_sp < 0 || org_sp == POSTURE_REJECT || org_sp == POSTURE_QUARANTINE;
        return strict && enforcing && !partial && sp_ok;
}
