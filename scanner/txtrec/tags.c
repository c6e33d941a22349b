/* tags.c -- "tag=value; ..." lists split into spans. */
#include "scanner/txtrec/tags.h"

#include <string.h>

#include "common/text.h"

/* RFC 6376 3.2's FWS, and the *WSP of the others: CR and LF are kept out of names by
 * trimming them too (a record's strings may end in them). */
static void trim(const char **p, size_t *n)
{
        while (*n && ((*p)[0] == ' ' || (*p)[0] == '\t' || (*p)[0] == '\r' || (*p)[0] == '\n')) {
                (*p)++;
                (*n)--;
        }
        while (*n && ((*p)[*n - 1] == ' ' || (*p)[*n - 1] == '\t' || (*p)[*n - 1] == '\r' ||
                      (*p)[*n - 1] == '\n'))
                (*n)--;
}

static bool same_name(const struct tag *t, const char *p, size_t n)
{
        return t->name_len == n && memcmp(t->name, p, n) == 0;
}

static void take(struct tag_list *out, const char *f, size_t n)
{
        trim(&f, &n);
        if (!n)
                return;
        const char *eq = memchr(f, '=', n);
        if (!eq) {
                out->no_equals = true;
                return;
        }
        const char *name = f, *value = eq + 1;
        size_t name_len = (size_t)(eq - f), value_len = n - name_len - 1;
        trim(&name, &name_len);
        trim(&value, &value_len);
        if (!name_len) {
                out->empty_name = true;
                return;
        }
        for (unsigned i = 0; i < out->n && !out->dup; i++)
                if (same_name(&out->tags[i], name, name_len)) {
                        out->dup = name;
                        out->dup_len = name_len;
                }
        if (out->n == TAGS_MAX) {
                out->too_many = true;
                return;
        }
        out->tags[out->n++] = (struct tag){
            .name = name, .name_len = name_len, .value = value, .value_len = value_len};
}

void tags_split(const char *text, size_t n, struct tag_list *out)
{
        memset(out, 0, sizeof(*out));
        size_t start = 0;
        for (size_t i = 0; i <= n; i++)
                if (i == n || text[i] == ';') {
                        take(out, text + start, i - start);
                        start = i + 1;
                }
}

const struct tag *tags_find(const struct tag_list *t, const char *name)
{
        size_t n = strlen(name);
        for (unsigned i = 0; i < t->n; i++)
                if (same_name(&t->tags[i], name, n))
                        return &t->tags[i];
        return NULL;
}

static bool alnum(unsigned char c)
{
        return ds_ascii_alpha(c) || ds_ascii_digit(c);
}

bool tags_name_ok(const char *p, size_t n)
{
        if (n == 0 || n > 32 || !alnum((unsigned char)p[0]))
                return false;
        for (size_t i = 1; i < n; i++)
                if (!alnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
                        return false;
        return true;
}

bool tags_value_ok(const char *p, size_t n)
{
        if (n == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                if (c < 0x21 || c > 0x7e || c == ';' || c == '=')
                        return false;
        }
        return true;
}
