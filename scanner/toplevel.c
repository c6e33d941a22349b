/* toplevel.c -- exists, posture and spoofability from the checks' facts. */
#include "scanner/toplevel.h"

#include "scanner/check.h"
#include "scanner/dmarc/verdict.h"

void toplevel_combine(const struct check_facts *facts, unsigned n, struct toplevel *out)
{
        *out =
            (struct toplevel){.known = true, .exists = TRI_UNKNOWN, .posture = -1, .spoofable = -1};
        for (unsigned i = 0; i < n; i++) {
                const struct check_facts *f = &facts[i];
                if (out->exists == TRI_UNKNOWN)
                        out->exists = f->exists;
                if (out->posture < 0 && f->posture >= 0) {
                        out->posture = f->posture;
                        out->enforcing = f->enforcing;
                        out->partial = f->partial;
                }
                if (out->spoofable < 0 && f->spoofable >= 0) {
                        out->spoofable = f->spoofable;
                        out->reason = f->reason;
                }
        }
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
