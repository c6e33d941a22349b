/* reparse.c -- skip a second parse of the same record (see reparse.h). */
#include "scanner/dmarc/reparse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool same_outcome(const struct dmarc_reparse *m, const char *text, size_t len, size_t limit,
                         const struct dmarc_record *rec)
{
        if (!m->valid || m->len != len || m->no_sentences != rec->no_sentences ||
            (len && memcmp(m->text, text, len) != 0))
                return false;
        return limit == m->limit || (!rec->over_budget && rec->mem.budget.used <= limit);
}

static void remember(struct dmarc_reparse *m, const char *text, size_t len, size_t limit,
                     bool no_sentences)
{
        if (len > m->cap) {
                char *t = realloc(m->text, len);
                if (!t) {
                        m->valid = false; /* parsing again is always right */
                        return;
                }
                m->text = t;
                m->cap = len;
        }
        if (len)
                memcpy(m->text, text, len);
        m->len = len;
        m->limit = limit;
        m->no_sentences = no_sentences;
        m->valid = true;
}

int dmarc_reparse(struct dmarc_reparse *m, const char *text, size_t len, size_t limit,
                  struct dmarc_record *rec)
{
        if (same_outcome(m, text, len, limit, rec)) {
                rec->mem.budget.limit = limit;
                m->skipped++;
                return rec->valid ? 0 : 1;
        }
        rec->mem.budget.limit = limit;
        int rc = dmarc_parse(text, len, rec);
        if (rc < 0)
                m->valid = false;
        else
                remember(m, text, len, limit, rec->no_sentences);
        return rc;
}

void dmarc_reparse_free(struct dmarc_reparse *m)
{
        free(m->text);
        *m = (struct dmarc_reparse){0};
}
