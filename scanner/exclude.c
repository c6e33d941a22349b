/* exclude.c -- suffix set of excluded domains: an open-addressing hash set of names. */
#include "scanner/exclude.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/limits.h"
#include "scanner/input.h"

struct exclude {
        char **slots;
        size_t cap, n;
};

static uint64_t hash(const char *s, size_t n)
{
        uint64_t h = 1469598103934665603u; /* FNV-1a */
        for (size_t i = 0; i < n; i++)
                h = (h ^ (uint8_t)s[i]) * 1099511628211u;
        return h;
}

static bool lookup(const struct exclude *x, const char *s, size_t n)
{
        if (!x->cap)
                return false;
        for (size_t i = hash(s, n) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
                const char *v = x->slots[i];
                if (!v)
                        return false;
                if (strlen(v) == n && memcmp(v, s, n) == 0)
                        return true;
        }
}

static int grow(struct exclude *x)
{
        size_t cap = x->cap ? x->cap * 2 : 1024;
        char **slots = calloc(cap, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < x->cap; i++) {
                char *v = x->slots[i];
                if (!v)
                        continue;
                size_t j = hash(v, strlen(v)) & (cap - 1);
                while (slots[j])
                        j = (j + 1) & (cap - 1);
                slots[j] = v;
        }
        free(x->slots);
        x->slots = slots;
        x->cap = cap;
        return 0;
}

static int insert(struct exclude *x, const char *name)
{
        size_t n = strlen(name);
        if (lookup(x, name, n))
                return 0;
        if ((x->n + 1) * 2 > x->cap && grow(x) < 0)
                return -ENOMEM;
        char *copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        size_t i = hash(name, n) & (x->cap - 1);
        while (x->slots[i])
                i = (i + 1) & (x->cap - 1);
        x->slots[i] = copy;
        x->n++;
        return 0;
}

static char *trim(char *s)
{
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strcspn(s, "#\r\n");
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
        s[n] = 0;
        return s;
}

int exclude_load(struct exclude **out, const char *path, char *err, size_t errlen)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                int e = errno;
                snprintf(err, errlen, "--exclude %s: %s", path, strerror(e));
                return -e;
        }
        struct exclude *x = calloc(1, sizeof(*x));
        char line[DS_INPUT_LINE_MAX];
        unsigned long lineno = 0;
        int rc = x ? 0 : -ENOMEM;
        while (rc == 0 && fgets(line, sizeof(line), f)) {
                lineno++;
                char *s = trim(line);
                if (!*s)
                        continue;
                char name[DS_NAME_MAX_TEXT + 1];
                const char *why = NULL;
                if (input_normalize_domain(s, strlen(s), name, sizeof(name), &why) < 0) {
                        snprintf(err, errlen, "--exclude %s line %lu: '%s': %s", path, lineno, s,
                                 why ? why : "not a domain name");
                        rc = -EINVAL;
                        break;
                }
                rc = insert(x, name);
        }
        fclose(f);
        if (rc < 0) {
                if (rc == -ENOMEM)
                        snprintf(err, errlen, "--exclude %s: out of memory", path);
                exclude_free(x);
                return rc;
        }
        *out = x;
        return 0;
}

bool exclude_match(const struct exclude *x, const char *domain)
{
        for (const char *p = domain; p && *p;) {
                if (lookup(x, p, strlen(p)))
                        return true;
                p = strchr(p, '.');
                if (p)
                        p++;
        }
        return false;
}

void exclude_free(struct exclude *x)
{
        if (!x)
                return;
        for (size_t i = 0; i < x->cap; i++)
                free(x->slots[i]);
        free(x->slots);
        free(x);
}
