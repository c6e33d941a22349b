/* policy.c -- the MTA-STS policy file read into mode, max_age and mx patterns (RFC 8461 3.2),
 * and the MX host match (4.1). */
#include "scanner/mtasts/policy.h"

#include <string.h>

#include "common/check.h"
#include "common/text.h"

const char *const mtasts_policy_codes[] = {
    "version_missing", "version_invalid", "mode_missing",    "mode_invalid", "max_age_missing",
    "max_age_invalid", "mx_missing",      "mx_invalid",      "line_invalid", "duplicate_field",
    "max_age_short",   "content_type",    "budget_exceeded", "not_text",     NULL,
};

void mtasts_policy_issue(struct mtasts_policy *p, const char *code, bool error)
{
        for (unsigned i = 0; i < p->nissues; i++)
                if (p->issues[i].code == code)
                        return;
        if (ds_fails(p->nissues < MTASTS_POLICY_CODES) ||
            ds_fails(ds_listed(mtasts_policy_codes, code)))
                return;
        p->issues[p->nissues++] = (struct mtasts_policy_issue){.code = code, .error = error};
}

bool mtasts_policy_valid(const struct mtasts_policy *p)
{
        for (unsigned i = 0; i < p->nissues; i++)
                if (p->issues[i].error)
                        return false;
        return true;
}

const char *mtasts_mode_name(int mode)
{
        switch (mode) {
        case MTASTS_MODE_ENFORCE:
                return "enforce";
        case MTASTS_MODE_TESTING:
                return "testing";
        case MTASTS_MODE_NONE:
                return "none";
        default:
                return NULL;
        }
}

static bool span_is(const char *p, size_t n, const char *lit)
{
        return n == strlen(lit) && memcmp(p, lit, n) == 0;
}

/* A host name: dot-separated labels of letters, digits and inner hyphens, 1-63 octets each,
 * 253 in all, no trailing dot. */
static bool domain_ok(const char *p, size_t n)
{
        if (n == 0 || n > 253)
                return false;
        size_t label = 0;
        for (size_t i = 0; i <= n; i++) {
                if (i == n || p[i] == '.') {
                        if (label == 0 || label > 63 || p[i - 1] == '-' || p[i - label] == '-')
                                return false;
                        label = 0;
                        continue;
                }
                unsigned char c = (unsigned char)p[i];
                if (!ds_ascii_alpha(c) && !ds_ascii_digit(c) && c != '-')
                        return false;
                label++;
        }
        return true;
}

static void take_mx(struct mtasts_policy *p, const char *v, size_t n)
{
        const char *host = v;
        size_t hn = n;
        if (n >= 2 && v[0] == '*' && v[1] == '.') {
                host += 2;
                hn -= 2;
        }
        if (!domain_ok(host, hn)) {
                p->mx_invalid++;
                mtasts_policy_issue(p, "mx_invalid", true);
                return;
        }
        struct mtasts_span *s = ds_vec_push(&p->mx, sizeof(*s), &p->budget, "MTA-STS mx patterns");
        if (!s) {
                mtasts_policy_issue(p, "budget_exceeded", true);
                return;
        }
        s->off = (uint32_t)(v - p->body);
        s->len = (uint32_t)n;
}

static void take_max_age(struct mtasts_policy *p, const char *v, size_t n)
{
        if (!ds_ascii_all_digits(v, n) || n > 10) {
                mtasts_policy_issue(p, "max_age_invalid", true);
                return;
        }
        int64_t x = 0;
        for (size_t i = 0; i < n; i++)
                x = x * 10 + (v[i] - '0');
        if (x > MTASTS_MAX_AGE_MAX) {
                mtasts_policy_issue(p, "max_age_invalid", true);
                return;
        }
        p->max_age = x;
        if (x < MTASTS_MAX_AGE_SHORT)
                mtasts_policy_issue(p, "max_age_short", false);
}

static void take_mode(struct mtasts_policy *p, const char *v, size_t n)
{
        if (span_is(v, n, "enforce"))
                p->mode = MTASTS_MODE_ENFORCE;
        else if (span_is(v, n, "testing"))
                p->mode = MTASTS_MODE_TESTING;
        else if (span_is(v, n, "none"))
                p->mode = MTASTS_MODE_NONE;
        else
                mtasts_policy_issue(p, "mode_invalid", true);
}

/* What the single-valued keys have seen. */
struct seen {
        bool version, mode, max_age;
};

/* A field seen before counts once (the first), said as a warning. */
static bool first(struct mtasts_policy *p, bool *seen)
{
        if (*seen) {
                mtasts_policy_issue(p, "duplicate_field", false);
                return false;
        }
        *seen = true;
        return true;
}

static void take_line(struct mtasts_policy *p, struct seen *s, const char *line, size_t n)
{
        const char *colon = memchr(line, ':', n);
        if (!colon || colon == line) {
                mtasts_policy_issue(p, "line_invalid", true);
                return;
        }
        const char *key = line;
        size_t kn = (size_t)(colon - line);
        const char *v = colon + 1;
        size_t vn = n - kn - 1;
        ds_trim(&v, &vn);
        if (span_is(key, kn, "version")) {
                if (first(p, &s->version) && !span_is(v, vn, "STSv1"))
                        mtasts_policy_issue(p, "version_invalid", true);
        } else if (span_is(key, kn, "mode")) {
                if (first(p, &s->mode))
                        take_mode(p, v, vn);
        } else if (span_is(key, kn, "max_age")) {
                if (first(p, &s->max_age))
                        take_max_age(p, v, vn);
        } else if (span_is(key, kn, "mx")) {
                take_mx(p, v, vn);
        }
        /* any other key is an extension (sts-policy-extension): ignored */
}

/* NUL or control octets other than tab, CR and LF: no text file. */
static bool is_text(const char *body, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)body[i];
                if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
                        return false;
        }
        return true;
}

void mtasts_policy_parse(struct mtasts_policy *p, const char *body, size_t n)
{
        struct seen s = {0};
        p->body = body;
        p->mode = MTASTS_MODE_NONE_SET;
        p->max_age = -1;
        p->mx.n = 0;
        p->mx_invalid = 0;
        p->nissues = 0;
        ds_budget_reset(&p->budget);
        if (!is_text(body, n))
                mtasts_policy_issue(p, "not_text", true);
        for (size_t at = 0; at < n;) {
                const char *nl = memchr(body + at, '\n', n - at);
                size_t end = nl ? (size_t)(nl - body) : n;
                size_t len = end - at;
                if (len && body[at + len - 1] == '\r')
                        len--;
                if (len)
                        take_line(p, &s, body + at, len);
                at = end + 1;
        }
        if (!s.version)
                mtasts_policy_issue(p, "version_missing", true);
        if (!s.mode)
                mtasts_policy_issue(p, "mode_missing", true);
        if (!s.max_age)
                mtasts_policy_issue(p, "max_age_missing", true);
        /* "none" needs no pattern: the domain is leaving MTA-STS (RFC 8461 5) */
        if (p->mx.n == 0 && p->mx_invalid == 0 && p->mode != MTASTS_MODE_NONE)
                mtasts_policy_issue(p, "mx_missing", true);
}

static bool ieq(const char *a, size_t n, const char *b, size_t m)
{
        if (n != m)
                return false;
        for (size_t i = 0; i < n; i++)
                if (ds_ascii_lower((unsigned char)a[i]) != ds_ascii_lower((unsigned char)b[i]))
                        return false;
        return true;
}

bool mtasts_policy_match(const struct mtasts_policy *p, const char *host)
{
        size_t hn = strlen(host);
        const char *dot = memchr(host, '.', hn);
        for (unsigned i = 0; i < p->mx.n; i++) {
                struct mtasts_span s = mtasts_policy_mx(p, i);
                const char *pat = p->body + s.off;
                if (s.len >= 2 && pat[0] == '*' && pat[1] == '.') {
                        /* one label, then the rest: "*.example.com" is not example.com */
                        if (dot && dot != host &&
                            ieq(dot + 1, hn - (size_t)(dot - host) - 1, pat + 2, s.len - 2))
                                return true;
                } else if (ieq(host, hn, pat, s.len)) {
                        return true;
                }
        }
        return false;
}

void mtasts_policy_free(struct mtasts_policy *p)
{
        ds_vec_free(&p->mx);
}
