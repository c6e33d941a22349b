/* reparse.h -- a DMARC record parsed once per text: the walk parses the record it meets
 * (is it well formed?) and the verdict parses the one that applies, most often the same
 * bytes in the same classifier scratch a moment later; that second parse (5,000
 * instructions, a tenth of an exact scan's) is skipped.
 * Contract: dmarc_reparse() leaves rec exactly as dmarc_parse(text, len, rec) under the
 * budget limit would. It skips the parse when rec holds one of the same bytes whose outcome
 * the limit cannot change: the same limit, or nothing refused and no more used than it (a
 * parse's output is its own copy: nothing in rec points into text). Every parse into rec
 * must go through it, so that the memo always describes what rec holds. The memo's copy of
 * the text is owned (dmarc_reparse_free); when it cannot grow, the memo is dropped. */
#ifndef DS_DMARC_REPARSE_H
#define DS_DMARC_REPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/dmarc/record.h"

struct dmarc_reparse {
        char *text; /* owned: the bytes rec was parsed from */
        size_t len, cap;
        size_t limit;      /* the budget limit of that parse */
        bool no_sentences; /* and its rec->no_sentences */
        bool valid;        /* rec holds the parse of text[0, len) under limit */
        uint64_t skipped;
};

/* Returns dmarc_parse's result (for a skipped parse: that of the parse it stands for). */
int dmarc_reparse(struct dmarc_reparse *m, const char *text, size_t len, size_t limit,
                  struct dmarc_record *rec);
void dmarc_reparse_free(struct dmarc_reparse *m);

#endif
