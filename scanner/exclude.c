/* exclude.c -- suffix set of excluded domains (a strset of names). */
#include "scanner/exclude.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "dns/limits.h"
#include "scanner/domain.h"
#include "scanner/limits.h"
#include "scanner/input.h"
#include "scanner/strset.h"

struct exclude {
        struct strset *names;
};

static bool lookup(const struct exclude *x, const char *s, size_t n)
{
        return strset_contains(x->names, s, n);
}

static int insert(struct exclude *x, const char *name)
{
        return strset_intern(x->names, name, strlen(name)) ? 0 : -ENOMEM;
}

/* The name on a line: up to a comment or the line's end, blanks left out. */
static char *trim(char *s)
{
        const char *p = s;
        size_t n = strcspn(s, "#\r\n");
        ds_trim(&p, &n);
        char *out = s + (p - s);
        out[n] = 0;
        return out;
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
        int rc = x ? strset_new(&x->names, 1024) : -ENOMEM;
        while (rc == 0 && fgets(line, sizeof(line), f)) {
                lineno++;
                char *s = trim(line);
                if (!*s)
                        continue;
                char name[DS_NAME_MAX_TEXT + 1];
                const char *why = NULL;
                if (domain_normalize_field(s, strlen(s), name, sizeof(name), &why) < 0) {
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
        strset_free(x->names);
        free(x);
}
