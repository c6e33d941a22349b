/* record.c -- the MTA-STS TXT record (RFC 8461 3.1) read into its id and codes. */
#include "scanner/mtasts/record.h"

#include <string.h>

#include "common/text.h"
#include "scanner/txtrec/tags.h"

const char *const mtasts_issue_codes[] = {
    "multiple_records", "version_case",      "syntax", "duplicate_tag", "id_missing",
    "id_invalid",       "extension_invalid", NULL,
};

/* sts-id = 1*32( ALPHA / DIGIT ) */
static bool id_ok(const char *p, size_t n)
{
        if (n == 0 || n > MTASTS_ID_MAX)
                return false;
        for (size_t i = 0; i < n; i++)
                if (!ds_ascii_alpha((unsigned char)p[i]) && !ds_ascii_digit((unsigned char)p[i]))
                        return false;
        return true;
}

void mtasts_parse(const char *text, size_t n, struct mtasts_record *rec, struct txtrec *t)
{
        struct tag_list tl;
        memset(rec, 0, sizeof(*rec));
        tags_split(text, n, &tl);
        if (tl.no_equals || tl.empty_name || tl.too_many)
                txtrec_issue(t, "syntax", true);
        if (tl.dup)
                txtrec_issue(t, "duplicate_tag", true);
        /* The version is tags[0]: the record was chosen by its first octets. */
        for (unsigned i = 1; i < tl.n; i++) {
                const struct tag *g = &tl.tags[i];
                bool known = (g->name_len == 1 && g->name[0] == 'v') ||
                             (g->name_len == 2 && memcmp(g->name, "id", 2) == 0);
                if (!known &&
                    (!tags_name_ok(g->name, g->name_len) || !tags_value_ok(g->value, g->value_len)))
                        txtrec_issue(t, "extension_invalid", true);
        }
        const struct tag *id = tags_find(&tl, "id");
        if (!id) {
                txtrec_issue(t, "id_missing", true);
        } else if (!id_ok(id->value, id->value_len)) {
                txtrec_issue(t, "id_invalid", true);
        } else {
                rec->id = id->value;
                rec->id_len = id->value_len;
        }
}
