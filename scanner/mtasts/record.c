/* record.c -- the MTA-STS TXT record (RFC 8461 3.1) read into its id and codes. */
#include "scanner/mtasts/record.h"

#include <string.h>

#include "common/text.h"
#include "scanner/txtrec/tags.h"

const char *const mtasts_issue_codes[] = {
    "multiple_records",  "version_case",    "syntax", "duplicate_tag", "id_missing", "id_invalid",
    "extension_invalid", "budget_exceeded", NULL,
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
        static const char *const known[] = {"v", "id", NULL};
        memset(rec, 0, sizeof(*rec));
        const struct tag_list *tl = txtrec_tags(t, text, n);
        txtrec_extensions(t, tl, known, true, "extension_invalid");
        const struct tag *id = tags_find(tl, "id");
        if (!id) {
                txtrec_issue(t, "id_missing", true);
        } else if (!id_ok(id->value, id->value_len)) {
                txtrec_issue(t, "id_invalid", true);
        } else {
                rec->id = id->value;
                rec->id_len = id->value_len;
        }
}
