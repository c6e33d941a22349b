/* toplevel.c -- exists, posture and spoofability from the checks' facts. */
#include "scanner/toplevel.h"

#include "scanner/check.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/spoof.h"

/* Each check says yes (its answers show the name), no (an NXDOMAIN for the name, RFC 8020)
 * or nothing. Answers that disagree (servers out of step, a zone changing during the scan)
 * say nothing either. */
static int8_t exists_of(const struct check_facts *facts, unsigned n)
{
        bool yes = false, no = false;
        for (unsigned i = 0; i < n; i++) {
                yes |= facts[i].exists == TRI_YES;
                no |= facts[i].exists == TRI_NO;
        }
        return yes == no ? TRI_UNKNOWN : yes ? TRI_YES : TRI_NO;
}

void toplevel_combine(const struct check_facts *facts, unsigned n, struct toplevel *out)
{
        *out = (struct toplevel){
            .known = true, .exists = exists_of(facts, n), .posture = -1, .spoofable = -1};
        struct spoof_in in = {.dmarc = -1, .spf = -1, .mail = -1};
        for (unsigned i = 0; i < n; i++) {
                const struct check_facts *f = &facts[i];
                if (out->posture < 0 && f->posture >= 0) {
                        out->posture = f->posture;
                        out->enforcing = f->enforcing;
                        out->partial = f->partial;
                }
                if (in.dmarc < 0 && f->spoofable >= 0) {
                        in.dmarc = f->spoofable;
                        in.dmarc_reason = f->reason;
                }
                if (in.spf < 0)
                        in.spf = f->spf;
                if (in.mail < 0)
                        in.mail = f->mail;
        }
        struct spoof_out s;
        spoof_decide(&in, &s);
        out->spoofable = s.spoofable;
        out->reason = s.reason;
}

void toplevel_render(const struct toplevel *t, struct jw *w)
{
        if (!t || !t->known) {
                static const char *const keys[] = {"exists",  "posture",   "enforcing",
                                                   "partial", "spoofable", "spoofable_reason"};
                for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                        jw_null(w, keys[i]);
                return;
        }
        jw_tri(w, "exists", t->exists);
        jw_cstr(w, "posture", t->posture >= 0 ? posture_name((enum posture)t->posture) : NULL);
        if (t->posture >= 0) {
                jw_bool(w, "enforcing", t->enforcing);
                jw_bool(w, "partial", t->partial);
        } else {
                jw_null(w, "enforcing");
                jw_null(w, "partial");
        }
        jw_cstr(w, "spoofable",
                t->spoofable >= 0 ? spoofable_name((enum spoofable)t->spoofable) : NULL);
        jw_cstr(w, "spoofable_reason", t->reason);
}
