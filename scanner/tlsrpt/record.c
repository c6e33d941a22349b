/* record.c -- the TLS-RPT record (RFC 8460 3) read into its report URIs and codes. */
#include "scanner/tlsrpt/record.h"

#include "common/text.h"
#include "scanner/txtrec/tags.h"
#include "scanner/txtrec/uri.h"

const char *const tlsrpt_issue_codes[] = {
    "multiple_records",  "version_case",    "syntax",     "duplicate_tag",
    "rua_missing",       "rua_empty",       "rua_scheme", "rua_invalid",
    "extension_invalid", "budget_exceeded", NULL,
};

static void uri(struct tlsrpt_record *rec, struct txtrec *t, const char *p, size_t n)
{
        if (n == 0) {
                txtrec_issue(t, "rua_empty", true);
                return;
        }
        switch (uri_kind(p, n)) {
        case URI_MAILTO:
        case URI_HTTPS:
                break;
        case URI_OTHER:
                txtrec_issue(t, "rua_scheme", true);
                break;
        default:
                txtrec_issue(t, "rua_invalid", true);
                break;
        }
        struct tlsrpt_uri *u = ds_vec_push(&rec->mem, sizeof(*u), &t->budget, "TLS-RPT URIs");
        if (!u) {
                rec->nrua_dropped++;
                txtrec_issue(t, "budget_exceeded", true);
                return;
        }
        *u = (struct tlsrpt_uri){.p = p, .n = n};
}

/* rua = URI *(*WSP "," *WSP URI) */
static void rua(struct tlsrpt_record *rec, struct txtrec *t, const char *p, size_t n)
{
        size_t start = 0;
        for (size_t i = 0; i <= n; i++)
                if (i == n || p[i] == ',') {
                        const char *u = p + start;
                        size_t un = i - start;
                        ds_trim(&u, &un);
                        uri(rec, t, u, un);
                        start = i + 1;
                }
}

void tlsrpt_parse(const char *text, size_t n, struct tlsrpt_record *rec, struct txtrec *t)
{
        static const char *const known[] = {"v", "rua", NULL};
        rec->mem.n = 0;
        rec->nrua_dropped = 0;
        const struct tag_list *tl = txtrec_tags(t, text, n);
        txtrec_extensions(t, tl, known, true, "extension_invalid");
        const struct tag *r = tags_find(tl, "rua");
        if (r)
                rua(rec, t, r->value, r->value_len);
        else
                txtrec_issue(t, "rua_missing", true);
        rec->rua = rec->mem.buf;
        rec->nrua = rec->mem.n;
}

void tlsrpt_record_free(struct tlsrpt_record *rec)
{
        ds_vec_free(&rec->mem);
        rec->rua = NULL;
        rec->nrua = 0;
}
