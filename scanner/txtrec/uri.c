/* uri.c -- mailto:, https: or another scheme, from a URI's text. */
#include "scanner/txtrec/uri.h"

#include <stdbool.h>
#include <string.h>

#include "common/text.h"

static bool printable(const char *p, size_t n)
{
        for (size_t i = 0; i < n; i++)
                if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
                        return false;
        return true;
}

static bool starts(const char *p, size_t n, const char *lit)
{
        size_t k = strlen(lit);
        return n >= k && ds_ascii_ieq(p, k, lit);
}

static bool host_char(unsigned char c)
{
        return ds_ascii_alpha(c) || ds_ascii_digit(c) || c == '-' || c == '.';
}

/* mailto:local@domain[?...]: one '@', both sides non-empty, a dot in the domain. */
static bool mailto_ok(const char *p, size_t n)
{
        size_t end = 0;
        while (end < n && p[end] != '?')
                end++;
        const char *at = memchr(p, '@', end);
        if (!at || at == p || memchr(at + 1, '@', (size_t)(p + end - at - 1)))
                return false;
        const char *d = at + 1;
        size_t dn = (size_t)(p + end - d);
        if (dn < 3 || !memchr(d, '.', dn) || d[0] == '.' || d[dn - 1] == '.')
                return false;
        for (size_t i = 0; i < dn; i++)
                if (!host_char((unsigned char)d[i]))
                        return false;
        return true;
}

/* //host[:port][/...]: a non-empty host. */
static bool https_ok(const char *p, size_t n)
{
        if (n < 3 || p[0] != '/' || p[1] != '/')
                return false;
        size_t i = 2;
        while (i < n && host_char((unsigned char)p[i]))
                i++;
        return i > 2 && (i == n || p[i] == '/' || p[i] == ':' || p[i] == '?' || p[i] == '#');
}

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" (RFC 3986 3.1) */
static bool has_scheme(const char *p, size_t n)
{
        if (!n || !ds_ascii_alpha((unsigned char)p[0]))
                return false;
        for (size_t i = 1; i < n; i++) {
                unsigned char c = (unsigned char)p[i];
                if (c == ':')
                        return i + 1 < n;
                if (!ds_ascii_alpha(c) && !ds_ascii_digit(c) && c != '+' && c != '-' && c != '.')
                        return false;
        }
        return false;
}

enum uri_kind uri_kind(const char *p, size_t n)
{
        if (!printable(p, n))
                return URI_INVALID;
        if (starts(p, n, "mailto:"))
                return mailto_ok(p + 7, n - 7) ? URI_MAILTO : URI_INVALID;
        if (starts(p, n, "https:"))
                return https_ok(p + 6, n - 6) ? URI_HTTPS : URI_INVALID;
        return has_scheme(p, n) ? URI_OTHER : URI_INVALID;
}

bool uri_path_ends(const char *p, size_t n, const char *suffix)
{
        size_t end = 0, k = strlen(suffix);
        while (end < n && p[end] != '?' && p[end] != '#')
                end++;
        return end >= k && ds_ascii_ieq(p + end - k, k, suffix);
}
