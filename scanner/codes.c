/* codes.c -- lookups in the documented codes (codes.h), and their metadata object. The table
 * itself is generated from docs/ (scripts/gen-codes). */
#include "scanner/codes.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"

static bool same(const char *a, const char *b)
{
        return !a || strcmp(a, b) == 0;
}

const struct code_doc *code_doc_find(const char *code, const char *where, const char *kind)
{
        for (const struct code_doc *d = code_docs; d->code; d++)
                if (strcmp(d->code, code) == 0 && same(where, d->where) && same(kind, d->kind))
                        return d;
        return NULL;
}

/* Whether an entry before e has e's field (and code, unless code is NULL): then e is not the
 * first of its field (or of its code in that field) and was written with that one. */
static bool seen_before(const struct code_doc *e, const char *code)
{
        for (const struct code_doc *d = code_docs; d < e; d++)
                if (strcmp(d->field, e->field) == 0 && same(code, d->code))
                        return true;
        return false;
}

static bool shown(const char *field, const char *const *members)
{
        char member[64];
        snprintf(member, sizeof(member), "%.*s", (int)strcspn(field, "."), field);
        return ds_listed(members, member);
}

/* Every explanation of first's code in first's field, as one string. */
static void explanations(const struct code_doc *first, char *out, size_t cap)
{
        size_t used = 0;
        unsigned n = 0;
        out[0] = 0;
        for (const struct code_doc *d = first; d->code; d++)
                n += strcmp(d->field, first->field) == 0 && strcmp(d->code, first->code) == 0;
        for (const struct code_doc *d = first; d->code && used < cap; d++) {
                if (strcmp(d->field, first->field) != 0 || strcmp(d->code, first->code) != 0)
                        continue;
                if (n == 1)
                        used += (size_t)snprintf(out + used, cap - used, "%s", d->text);
                else
                        used += (size_t)snprintf(out + used, cap - used, "%s%s: %s",
                                                 d == first ? "" : " | ", d->where, d->text);
        }
}

static void field_object(struct jw *w, const struct code_doc *first)
{
        char text[4096];
        jw_obj_open(w, first->field);
        for (const struct code_doc *d = first; d->code; d++) {
                if (strcmp(d->field, first->field) != 0 || seen_before(d, d->code))
                        continue;
                explanations(d, text, sizeof(text));
                jw_cstr(w, d->code, text);
        }
        jw_obj_close(w);
}

void codes_write(struct jw *w, const char *key, const char *const *members)
{
        jw_obj_open(w, key);
        for (const struct code_doc *d = code_docs; d->code; d++)
                if (shown(d->field, members) && !seen_before(d, NULL))
                        field_object(w, d);
        jw_obj_close(w);
}
