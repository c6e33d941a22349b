/* lex.c -- the byte-level pieces of the SPF record grammar (RFC 7208 section 12): see
 * lex.h. */
#include "scanner/spf/lex.h"

#include "dns/limits.h"

#include <arpa/inet.h>
#include <string.h>

/* One macro-expand at s.p[0] == '%': "%%", "%_", "%-" or "%{" letter *DIGIT ["r"]
 * *delimiter "}". Returns its length, 0 when malformed. c, r and t are refused: RFC 7208
 * 7.1 allows them only in the explanation text fetched for exp=, never in a term. */
static size_t macro_len(struct spf_span s)
{
        if (s.n < 2)
                return 0;
        if (s.p[1] == '%' || s.p[1] == '_' || s.p[1] == '-')
                return 2;
        if (s.p[1] != '{' || s.n < 4)
                return 0;
        unsigned char letter = ds_ascii_lower((unsigned char)s.p[2]);
        if (letter == 0 || strchr("slodiphv", letter) == NULL)
                return 0;
        size_t i = 3;
        size_t digits = i;
        while (i < s.n && ds_ascii_digit((unsigned char)s.p[i]))
                i++;
        /* RFC 7208 7.3: a digit transformer must be nonzero. */
        if (i > digits) {
                bool zero = true;
                for (size_t k = digits; k < i; k++)
                        zero = zero && s.p[k] == '0';
                if (zero)
                        return 0;
        }
        if (i < s.n && ds_ascii_lower((unsigned char)s.p[i]) == 'r')
                i++;
        while (i < s.n && s.p[i] != 0 && strchr(".-+,/_=", s.p[i]) != NULL)
                i++;
        return (i < s.n && s.p[i] == '}') ? i + 1 : 0;
}

bool spf_macro_string(struct spf_span s, bool *has_macro, bool *last_macro)
{
        *has_macro = *last_macro = false;
        for (size_t i = 0; i < s.n;) {
                if (s.p[i] != '%') {
                        *last_macro = false;
                        i++;
                        continue;
                }
                size_t m = macro_len(spf_tail(s, i));
                if (m == 0)
                        return false;
                *has_macro = *last_macro = true;
                i += m;
        }
        return true;
}

/* RFC 7208 12 toplabel: alphanumerics and '-', starting and ending alphanumeric, with a
 * letter or a '-' (so an all-numeric label, the end of an address, is not one). */
static bool is_toplabel(struct spf_span l)
{
        if (l.n == 0 || !spf_is_alnum((unsigned char)l.p[0]) ||
            !spf_is_alnum((unsigned char)l.p[l.n - 1]))
                return false;
        bool letter_or_dash = false;
        for (size_t i = 0; i < l.n; i++) {
                unsigned char ch = (unsigned char)l.p[i];
                if (!spf_is_alnum(ch) && ch != '-')
                        return false;
                letter_or_dash = letter_or_dash || ds_ascii_alpha(ch) || ch == '-';
        }
        return letter_or_dash;
}

bool spf_domain_end(struct spf_span s)
{
        if (s.n > 0 && s.p[s.n - 1] == '.')
                s.n--;
        size_t i = s.n;
        while (i > 0 && (spf_is_alnum((unsigned char)s.p[i - 1]) || s.p[i - 1] == '-'))
                i--;
        return i > 0 && s.p[i - 1] == '.' && is_toplabel(spf_tail(s, i));
}

bool spf_target_name(struct spf_span s, char *name)
{
        if (s.n > 0 && s.p[s.n - 1] == '.')
                s.n--;
        while (s.n > DS_NAME_MAX_TEXT) {
                const char *dot = memchr(s.p, '.', s.n);
                if (dot == NULL)
                        return false;
                s = spf_tail(s, (size_t)(dot - s.p) + 1);
        }
        size_t label = 0;
        for (size_t i = 0; i <= s.n; i++) {
                if (i == s.n || s.p[i] == '.') {
                        if (label == 0 || label > DS_LABEL_MAX)
                                return false;
                        label = 0;
                } else {
                        label++;
                }
                if (i < s.n)
                        name[i] = (char)ds_ascii_lower((unsigned char)s.p[i]);
        }
        name[s.n] = '\0';
        return true;
}

bool spf_ip4(struct spf_span s, uint8_t *addr)
{
        size_t i = 0;
        for (int part = 0; part < 4; part++) {
                if (part > 0) {
                        if (i >= s.n || s.p[i] != '.')
                                return false;
                        i++;
                }
                size_t start = i;
                unsigned v = 0;
                while (i < s.n && ds_ascii_digit((unsigned char)s.p[i]) && i - start < 3)
                        v = v * 10 + (unsigned)(s.p[i++] - '0');
                size_t n = i - start;
                if (n == 0 || v > 255 || (n > 1 && s.p[start] == '0'))
                        return false;
                addr[part] = (uint8_t)v;
        }
        return i == s.n;
}

/* Through inet_pton on a bounded copy. */
bool spf_ip6(struct spf_span s, uint8_t *addr)
{
        char buf[INET6_ADDRSTRLEN];
        if (s.n == 0 || s.n >= sizeof buf)
                return false;
        for (size_t i = 0; i < s.n; i++) {
                unsigned char ch = (unsigned char)s.p[i];
                if (!ds_ascii_digit(ch) &&
                    !(ds_ascii_lower(ch) >= 'a' && ds_ascii_lower(ch) <= 'f') && ch != ':' &&
                    ch != '.')
                        return false;
        }
        memcpy(buf, s.p, s.n);
        buf[s.n] = '\0';
        return inet_pton(AF_INET6, buf, addr) == 1;
}

bool spf_prefix(struct spf_span d, unsigned max, uint8_t *out)
{
        if (d.n == 0 || d.n > 3 || (d.n > 1 && d.p[0] == '0'))
                return false;
        unsigned v = 0;
        for (size_t i = 0; i < d.n; i++)
                v = v * 10 + (unsigned)(d.p[i] - '0');
        if (v > max)
                return false;
        *out = (uint8_t)v;
        return true;
}

enum spf_cidr_split spf_split_cidr(struct spf_span *s, struct spf_span *digits)
{
        size_t i = s->n;
        while (i > 0 && ds_ascii_digit((unsigned char)s->p[i - 1]))
                i--;
        if (i == s->n || i == 0 || s->p[i - 1] != '/')
                return SPF_CIDR_NONE;
        *digits = spf_tail(*s, i);
        bool two = i >= 2 && s->p[i - 2] == '/';
        s->n = i - (two ? 2 : 1);
        return two ? SPF_CIDR_TWO : SPF_CIDR_ONE;
}
