/* selectors.c -- the --dkim-selectors list, checked once and read in place. */
#include "scanner/dkim/selectors.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"

static bool label_char(unsigned char c)
{
        return ds_ascii_alpha(c) || ds_ascii_digit(c) || c == '-' || c == '_';
}

/* One selector p[0..n): labels of label_char, none empty. */
static bool selector_ok(const char *p, size_t n)
{
        if (n == 0 || n > DKIM_SELECTOR_MAX || p[0] == '.' || p[n - 1] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!label_char((unsigned char)p[i]) && !(p[i] == '.' && p[i + 1] != '.'))
                        return false;
        return true;
}

int dkim_selectors_check(const char *list, char *err, size_t errlen)
{
        unsigned n = 0;
        const char *p = list;
        for (;;) {
                size_t len = strcspn(p, ",");
                if (!selector_ok(p, len)) {
                        snprintf(err, errlen,
                                 "--dkim-selectors: '%.*s' is not a selector (labels of letters, "
                                 "digits, '-', '_', at most %d octets)",
                                 (int)(len > 64 ? 64 : len), p, DKIM_SELECTOR_MAX);
                        return -EINVAL;
                }
                if (++n > DKIM_SELECTORS_MAX) {
                        snprintf(err, errlen, "--dkim-selectors: at most %d selectors",
                                 DKIM_SELECTORS_MAX);
                        return -EINVAL;
                }
                if (!p[len])
                        return 0;
                p += len + 1;
        }
}

unsigned dkim_selectors_count(const char *list)
{
        if (!list)
                return 0;
        unsigned n = 1;
        for (; *list; list++)
                n += *list == ',';
        return n;
}

void dkim_selector_at(const char *list, unsigned i, char *out)
{
        for (; i; i--)
                list += strcspn(list, ",") + 1;
        size_t len = strcspn(list, ",");
        snprintf(out, DKIM_SELECTOR_MAX + 1, "%.*s", (int)len, list);
}
