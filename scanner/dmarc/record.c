/* record.c -- DMARC record grammar (RFC 7489, RFC 9989). See record.h for the contract and
 * docs/dmarc-grammar.md for every issue code and the reading of the RFCs behind it.
 * The record is walked in place: tag-specs are byte ranges of the input; what the result
 * keeps (tag values, URIs, hosts, issues) is appended to the record's own storage
 * (out->mem), charged to its byte budget, and the result's pointers are set into it once the
 * parse is over (a vector may move while it grows). */
#include "scanner/dmarc/record.h"

#include "common/check.h"
#include "common/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SNIP_MAX 44 /* quoted excerpt of the record inside a sentence, NUL included */

/* A byte range of the input; never NUL-terminated. */
struct span {
        const char *p;
        size_t n;
};

struct ctx {
        struct dmarc_record *r;
        const char *base;                  /* the text: issue terms are offsets into it */
        struct span val[DMARC_TAG_COUNT];  /* value of each tag's first occurrence */
        uint32_t val_off[DMARC_TAG_COUNT]; /* its copy in mem.bytes */
        bool dup_reported[DMARC_TAG_COUNT];
        bool size_warned; /* uri_size_obsolete is said once per record */
        bool p_bad, sp_bad, np_bad;
        unsigned rua_usable; /* usable rua URIs, kept or refused by the budget */
};

static const char *const tag_names[DMARC_TAG_COUNT] = {
    "v", "p", "sp", "np", "psd", "t", "adkim", "aspf", "fo", "rua", "ruf", "pct", "rf", "ri",
};

/* ---- bytes ---- */

/* RFC 5234 WSP: only SP and HTAB. CR, LF and NBSP are not whitespace here. */

static bool is_hex(unsigned char c)
{
        return ds_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static struct span trim(struct span s)
{
        ds_trim(&s.p, &s.n);
        return s;
}

/* Case-insensitive comparison with a lower-case literal. */
static bool span_ieq(struct span s, const char *lit)
{
        return ds_ascii_ieq(s.p, s.n, lit);
}

/* Splits off the next item before sep. Yields every item, empty ones included, then false.
 * rest->p == NULL marks the end. */
static bool take(struct span *rest, char sep, struct span *item)
{
        if (rest->p == NULL)
                return false;
        const char *hit = memchr(rest->p, sep, rest->n);
        if (hit == NULL) {
                *item = *rest;
                rest->p = NULL;
                rest->n = 0;
                return true;
        }
        item->p = rest->p;
        item->n = (size_t)(hit - rest->p);
        rest->n -= item->n + 1;
        rest->p = hit + 1;
        return true;
}

/* The bytes of s for a sentence (see ds_snip). */
static const char *snip(char *dst, size_t cap, struct span s)
{
        return ds_snip(dst, cap, s.p, s.n);
}

/* ---- issues ---- */

/* Returns the issue added with an empty msg, or NULL when the budget refused it (counted as
 * dropped). */
static struct dmarc_issue *new_issue(struct dmarc_record *r, bool error, const char *code)
{
        if (error)
                r->valid = false;
        struct dmarc_issue *is = ds_vec_push(error ? &r->mem.errors : &r->mem.warnings, sizeof(*is),
                                             &r->mem.budget, "a record's issues");
        if (!is) {
                (*(error ? &r->errors_dropped : &r->warnings_dropped))++;
                return NULL;
        }
        is->code = code;
        is->msg[0] = '\0';
        return is;
}

/* new_issue() with its sentence. */
static struct dmarc_issue *add_issue(struct dmarc_record *r, bool error, const char *code,
                                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct dmarc_issue *add_issue(struct dmarc_record *r, bool error, const char *code,
                                     const char *fmt, ...)
{
        struct dmarc_issue *is = new_issue(r, error, code);
        if (!is)
                return NULL;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(is->msg, sizeof is->msg, fmt, ap);
        va_end(ap);
        return is;
}

/* The issue is (when it was kept) about s, bytes of the text. */
static void about(const struct ctx *c, struct dmarc_issue *is, struct span s)
{
        if (!is)
                return;
        is->term_off = (uint32_t)(s.p - c->base);
        is->term_len = (uint32_t)s.n;
}

/* The sentence's arguments (excerpts of the record) are not even computed without it. */
#define ISSUE(c, error, code, ...)                                                                 \
        ((c)->r->no_sentences ? new_issue((c)->r, error, code)                                     \
                              : add_issue((c)->r, error, code, __VA_ARGS__))
#define WARN(c, code, ...)       ISSUE(c, false, code, __VA_ARGS__)
#define ERR(c, code, ...)        ISSUE(c, true, code, __VA_ARGS__)
#define WARN_AT(c, s, code, ...) about((c), ISSUE(c, false, code, __VA_ARGS__), (s))
#define ERR_AT(c, s, code, ...)  about((c), ISSUE(c, true, code, __VA_ARGS__), (s))

/* ---- tag-specs ---- */

/* One tag-spec "name = value" (RFC 9989 4.8: dmarc-tag = 1*ALPHA equals 1*dmarc-value). */
struct tagspec {
        struct span name, value;
        bool has_eq;
};

static struct tagspec split_tagspec(struct span frag)
{
        struct tagspec t = {.name = frag, .has_eq = false};
        const char *eq = memchr(frag.p, '=', frag.n);
        if (eq != NULL) {
                t.has_eq = true;
                t.name = trim((struct span){frag.p, (size_t)(eq - frag.p)});
                t.value = trim((struct span){eq + 1, frag.n - (size_t)(eq - frag.p) - 1});
        }
        return t;
}

static bool name_is_alpha(struct span name)
{
        if (name.n == 0)
                return false;
        for (size_t i = 0; i < name.n; i++)
                if (!ds_ascii_alpha((unsigned char)name.p[i]))
                        return false;
        return true;
}

static int tag_lookup(struct span name)
{
        for (int i = 0; i < DMARC_TAG_COUNT; i++)
                if (span_ieq(name, tag_names[i]))
                        return i;
        return -1;
}

static bool is_v_tag(struct tagspec t)
{
        return t.has_eq && span_ieq(t.name, "v");
}

/* RFC 9989 4.7: v must be first and exactly "DMARC1" (case-sensitive), else the whole
 * record is ignored. Returns 0 when it is, -1 after recording the error. */
static int check_version(struct ctx *c, struct span rec)
{
        struct span rest = rec, frag;
        bool first = true;
        char buf[SNIP_MAX];
        while (take(&rest, ';', &frag)) {
                frag = trim(frag);
                if (frag.n == 0)
                        continue; /* empty tag-specs (";;") carry nothing */
                struct tagspec t = split_tagspec(frag);
                if (first && is_v_tag(t)) {
                        if (t.value.n == 6 && memcmp(t.value.p, "DMARC1", 6) == 0)
                                return 0;
                        ERR(c, "v_invalid",
                            "v is \"%s\", not DMARC1 (exact and case-sensitive); the record is "
                            "ignored",
                            snip(buf, sizeof buf, t.value));
                        return -1;
                }
                if (!first && is_v_tag(t)) {
                        ERR(c, "v_not_first", "v=%s is not the first tag; the record is ignored",
                            snip(buf, sizeof buf, t.value));
                        return -1;
                }
                first = false;
        }
        ERR(c, "v_missing", "the record does not begin with a v=DMARC1 tag; it is ignored");
        return -1;
}

/* Copies s and a NUL into the record's bytes: the offset, or -1 when the budget refuses. */
static long keep_bytes(struct dmarc_record *r, struct span s)
{
        long off = ds_vec_append(&r->mem.bytes, s.p, s.n, &r->mem.budget, "a record's text");
        if (off >= 0 && ds_vec_append(&r->mem.bytes, "", 1, &r->mem.budget, "a record's text") < 0)
                off = -1;
        if (off < 0)
                r->over_budget = true;
        return off;
}

static void keep_raw(struct ctx *c, int tag, struct span value, unsigned position)
{
        struct dmarc_tag_seen *seen = &c->r->tags[tag];
        long off = keep_bytes(c->r, value);
        seen->present = true;
        seen->truncated = off < 0;
        seen->position = position;
        seen->len = off < 0 ? 0 : (uint32_t)value.n;
        c->val_off[tag] = off < 0 ? UINT32_MAX : (uint32_t)off;
}

static void note_tagspec(struct ctx *c, struct span frag, unsigned position)
{
        char buf[SNIP_MAX];
        struct tagspec t = split_tagspec(frag);
        if (!t.has_eq) {
                WARN_AT(c, frag, "syntax", "\"%s\" is not a tag=value pair; ignored",
                        snip(buf, sizeof buf, frag));
                return;
        }
        if (!name_is_alpha(t.name)) {
                WARN_AT(c, frag, "syntax",
                        "tag name \"%s\" is not letters only; the tag is ignored",
                        snip(buf, sizeof buf, t.name));
                return;
        }
        int tag = tag_lookup(t.name);
        if (tag < 0) {
                WARN_AT(c, frag, "unknown_tag", "unknown tag \"%s\" ignored",
                        snip(buf, sizeof buf, t.name));
                return;
        }
        if (c->r->tags[tag].present) {
                /* RFC 6376 3.2, whose tag-list syntax DMARC uses: a duplicate invalidates all. */
                if (!c->dup_reported[tag])
                        ERR_AT(c, frag, "duplicate_tag",
                               "tag %s appears more than once; the record is invalid",
                               tag_names[tag]);
                c->dup_reported[tag] = true;
                return;
        }
        keep_raw(c, tag, t.value, position);
        c->val[tag] = t.value;
}

static void collect_tags(struct ctx *c, struct span rec)
{
        struct span rest = rec, frag;
        unsigned position = 0;
        while (take(&rest, ';', &frag)) {
                frag = trim(frag);
                if (frag.n == 0)
                        continue;
                note_tagspec(c, frag, position++);
        }
        c->r->tag_count = position;
}

/* ---- keyword tags ---- */

static int parse_policy(struct span v, enum dmarc_policy *out)
{
        if (span_ieq(v, "none"))
                *out = DMARC_POLICY_NONE;
        else if (span_ieq(v, "quarantine"))
                *out = DMARC_POLICY_QUARANTINE;
        else if (span_ieq(v, "reject"))
                *out = DMARC_POLICY_REJECT;
        else
                return -1;
        return 0;
}

/* Returns the index of v in the lower-case choices, or -1. */
static int parse_choice(struct span v, const char *const *choices, int n)
{
        for (int i = 0; i < n; i++)
                if (span_ieq(v, choices[i]))
                        return i;
        return -1;
}

static void parse_policies(struct ctx *c)
{
        struct dmarc_record *r = c->r;
        enum dmarc_policy p = DMARC_POLICY_NONE, sp = DMARC_POLICY_NONE, np = DMARC_POLICY_NONE;
        c->p_bad = r->tags[DMARC_TAG_P].present && parse_policy(c->val[DMARC_TAG_P], &p) != 0;
        r->p = p;
        c->sp_bad = r->tags[DMARC_TAG_SP].present && parse_policy(c->val[DMARC_TAG_SP], &sp) != 0;
        r->sp = (r->tags[DMARC_TAG_SP].present && !c->sp_bad) ? sp : r->p;
        c->np_bad = r->tags[DMARC_TAG_NP].present && parse_policy(c->val[DMARC_TAG_NP], &np) != 0;
        r->np = (r->tags[DMARC_TAG_NP].present && !c->np_bad) ? np : r->sp;
}

/* A keyword tag other than the policies: invalid values fall back to the default with a
 * warning (RFC 9989 4.8: syntax errors are discarded in favour of defaults). Returns the
 * choice index, or def when the tag is absent or invalid. */
static int keyword_tag(struct ctx *c, enum dmarc_tag tag, const char *const *choices, int n,
                       int def, const char *code, const char *default_name)
{
        char buf[SNIP_MAX];
        if (!c->r->tags[tag].present)
                return def;
        int i = parse_choice(c->val[tag], choices, n);
        if (i >= 0)
                return i;
        WARN(c, code, "%s=\"%s\" is not valid; the default %s=%s applies", tag_names[tag],
             snip(buf, sizeof buf, c->val[tag]), tag_names[tag], default_name);
        return def;
}

static void parse_flags(struct ctx *c)
{
        static const char *const yn[] = {"n", "y"};
        static const char *const unp[] = {"u", "y", "n"};
        static const char *const rs[] = {"r", "s"};
        struct dmarc_record *r = c->r;
        r->testing = keyword_tag(c, DMARC_TAG_T, yn, 2, 0, "t_invalid", "n") == 1;
        r->psd =
            (enum dmarc_psd)keyword_tag(c, DMARC_TAG_PSD, unp, 3, DMARC_PSD_U, "psd_invalid", "u");
        r->adkim = (enum dmarc_align)keyword_tag(c, DMARC_TAG_ADKIM, rs, 2, DMARC_ALIGN_RELAXED,
                                                 "adkim_invalid", "r");
        r->aspf = (enum dmarc_align)keyword_tag(c, DMARC_TAG_ASPF, rs, 2, DMARC_ALIGN_RELAXED,
                                                "aspf_invalid", "r");
}

/* fo: RFC 7489 allows any ':'-list of 0, 1, d, s with WSP around ':'; RFC 9989 4.8 adds
 * that each appears at most once and 0 and 1 exclude each other. Both are enforced. */
static int parse_fo_bits(struct span v, unsigned *bits)
{
        struct span rest = v, tok;
        *bits = 0;
        while (take(&rest, ':', &tok)) {
                tok = trim(tok);
                if (tok.n != 1)
                        return -1;
                unsigned char ch = ds_ascii_lower((unsigned char)tok.p[0]);
                unsigned bit = ch == '0'   ? DMARC_FO_0
                               : ch == '1' ? DMARC_FO_1
                               : ch == 'd' ? DMARC_FO_D
                               : ch == 's' ? DMARC_FO_S
                                           : 0;
                if (bit == 0 || (*bits & bit))
                        return -1;
                *bits |= bit;
        }
        if ((*bits & DMARC_FO_0) && (*bits & DMARC_FO_1))
                return -1;
        return 0;
}

static void fo_to_text(unsigned bits, char *out)
{
        static const char flags[] = "01ds";
        size_t o = 0;
        for (int i = 0; i < 4; i++) {
                if (!(bits & (1u << i)))
                        continue;
                if (o > 0)
                        out[o++] = ':';
                out[o++] = flags[i];
        }
        out[o] = '\0';
}

static void parse_fo(struct ctx *c)
{
        struct dmarc_record *r = c->r;
        char buf[SNIP_MAX];
        unsigned bits = DMARC_FO_0;
        if (r->tags[DMARC_TAG_FO].present) {
                if (parse_fo_bits(c->val[DMARC_TAG_FO], &bits) != 0) {
                        WARN(c, "fo_invalid",
                             "fo=\"%s\" is not valid (0, 1, d, s once each, 0 and 1 not together); "
                             "the default fo=0 applies",
                             snip(buf, sizeof buf, c->val[DMARC_TAG_FO]));
                        bits = DMARC_FO_0;
                }
                if (!r->tags[DMARC_TAG_RUF].present)
                        WARN(c, "fo_without_ruf",
                             "fo is set but there is no ruf tag, so it is ignored");
        }
        r->fo = bits;
        fo_to_text(bits, r->fo_text);
}

/* ---- reporting URIs ---- */

/* RFC 3986 characters allowed unencoded in a URI ('%' is checked apart), and the atext of
 * a mailto: local part (RFC 6068 2). */
#define URI_LO                                                                                     \
        (DS_CSET_DIGITS | DS_CBIT('-') | DS_CBIT('.') | DS_CBIT(':') | DS_CBIT('/') |              \
         DS_CBIT('?') | DS_CBIT('#') | DS_CBIT('!') | DS_CBIT('$') | DS_CBIT('&') |                \
         DS_CBIT('\'') | DS_CBIT('(') | DS_CBIT(')') | DS_CBIT('*') | DS_CBIT('+') |               \
         DS_CBIT(',') | DS_CBIT(';') | DS_CBIT('='))
#define URI_HI                                                                                     \
        (DS_CSET_LETTERS | DS_CBIT('_') | DS_CBIT('~') | DS_CBIT('[') | DS_CBIT(']') | DS_CBIT('@'))
#define LOCAL_LO                                                                                   \
        (DS_CSET_DIGITS | DS_CBIT('!') | DS_CBIT('$') | DS_CBIT('&') | DS_CBIT('\'') |             \
         DS_CBIT('*') | DS_CBIT('+') | DS_CBIT('-') | DS_CBIT('/') | DS_CBIT('=') | DS_CBIT('.'))
#define LOCAL_HI (DS_CSET_LETTERS | DS_CBIT('_') | DS_CBIT('~'))

static bool uri_chars_ok(struct span s)
{
        for (size_t i = 0; i < s.n; i++) {
                unsigned char c = (unsigned char)s.p[i];
                if (c == '%') {
                        if (i + 2 >= s.n || !is_hex((unsigned char)s.p[i + 1]) ||
                            !is_hex((unsigned char)s.p[i + 2]))
                                return false;
                        i += 2;
                } else if (!ds_ascii_in_set(c, URI_LO, URI_HI)) {
                        return false;
                }
        }
        return true;
}

/* RFC 7489 6.2: "!" 1*DIGIT [k/m/g/t], units powers of two. */
static int parse_size(struct span s, uint64_t *bytes)
{
        size_t i = 0;
        uint64_t v = 0;
        for (; i < s.n && ds_ascii_digit((unsigned char)s.p[i]); i++) {
                unsigned d = (unsigned)(s.p[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -1;
                v = v * 10 + d;
        }
        if (i == 0)
                return -1;
        static const char units[] = "kmgt";
        unsigned shift = 0;
        if (i < s.n) {
                unsigned char ch = ds_ascii_lower((unsigned char)s.p[i]);
                const char *u = ch != 0 ? strchr(units, ch) : NULL;
                if (u == NULL || i + 1 != s.n)
                        return -1;
                shift = 10u * (unsigned)(u - units + 1);
        }
        if (shift && v > (UINT64_MAX >> shift))
                return -1;
        *bytes = v << shift;
        return 0;
}

/* An RFC 5321-style domain: LDH labels (underscore tolerated), 1-63 octets, no label
 * starting or ending with '-', 253 octets at most, one trailing dot allowed. Writes it in
 * lower case into host. */
static int parse_host(struct span d, char *host)
{
        if (d.n > 0 && d.p[d.n - 1] == '.')
                d.n--;
        if (d.n == 0 || d.n > DS_NAME_MAX_TEXT)
                return -1;
        size_t label = 0;
        for (size_t i = 0; i <= d.n; i++) {
                unsigned char ch = i < d.n ? (unsigned char)d.p[i] : '.';
                if (ch == '.') {
                        if (label == 0 || label > DS_LABEL_MAX || d.p[i - 1] == '-')
                                return -1;
                        label = 0;
                } else if (ds_ascii_alpha(ch) || ds_ascii_digit(ch) || ch == '_' || ch == '-') {
                        if (label == 0 && ch == '-')
                                return -1;
                        label++;
                } else {
                        return -1;
                }
                if (i < d.n)
                        host[i] = (char)ds_ascii_lower(ch);
        }
        host[d.n] = '\0';
        return 0;
}

/* Local part of a mailto: address (RFC 6068 2): atext allowed unencoded in a URI, dots,
 * and %HH. Returns 0 when acceptable. */
static int check_local(struct span l)
{
        if (l.n == 0)
                return -1;
        for (size_t i = 0; i < l.n; i++) {
                unsigned char ch = (unsigned char)l.p[i];
                if (ch == '%')
                        continue; /* pct-encoding was checked with the whole URI */
                if (!ds_ascii_in_set(ch, LOCAL_LO, LOCAL_HI))
                        return -1;
        }
        return 0;
}

/* "mailto:" addr-spec [ "?" hfields ]; one address, since a DMARC URI cannot hold an
 * unencoded comma. Writes the domain into host. */
static int parse_mailto(struct span rest, char *host)
{
        const char *q = memchr(rest.p, '?', rest.n);
        struct span addr = {rest.p, q ? (size_t)(q - rest.p) : rest.n};
        const char *at = memchr(addr.p, '@', addr.n);
        if (at == NULL)
                return -1;
        struct span local = {addr.p, (size_t)(at - addr.p)};
        struct span domain = {at + 1, addr.n - local.n - 1};
        if (memchr(domain.p, '@', domain.n) != NULL || check_local(local) != 0)
                return -1;
        return parse_host(domain, host);
}

static size_t scheme_len(struct span s)
{
        size_t i = 0;
        if (s.n == 0 || !ds_ascii_alpha((unsigned char)s.p[0]))
                return 0;
        while (i < s.n &&
               (ds_ascii_alpha((unsigned char)s.p[i]) || ds_ascii_digit((unsigned char)s.p[i]) ||
                s.p[i] == '+' || s.p[i] == '-' || s.p[i] == '.'))
                i++;
        return (i < s.n && s.p[i] == ':') ? i : 0;
}

/* Splits the obsolete "!size" suffix (RFC 7489 6.2; RFC 9989 4.8 obs-dmarc-report-size) off
 * item. A '!' inside a URI must be percent-encoded, so the first one starts the suffix. */
static int split_size(struct ctx *c, enum dmarc_tag tag, struct span *item, uint64_t *size)
{
        char buf[SNIP_MAX];
        const char *bang = memchr(item->p, '!', item->n);
        *size = 0;
        if (bang == NULL)
                return 0;
        struct span suffix = {bang + 1, item->n - (size_t)(bang - item->p) - 1};
        if (parse_size(suffix, size) != 0) {
                WARN_AT(c, *item, "uri_invalid",
                        "%s URI \"%s\" has a malformed size suffix; dropped", tag_names[tag],
                        snip(buf, sizeof buf, *item));
                return -1;
        }
        if (!c->size_warned)
                WARN(c, "uri_size_obsolete",
                     "%s URI \"%s\" has a size limit, removed by RFC 9989; receivers ignore it",
                     tag_names[tag], snip(buf, sizeof buf, *item));
        c->size_warned = true;
        item->n = (size_t)(bang - item->p);
        return 0;
}

/* Validates one list item into *u and host. Returns 0 to keep it, -1 when dropped (said
 * why); *kept is the URI as written, without the "!size" suffix. */
static int parse_uri(struct ctx *c, enum dmarc_tag tag, struct span item, struct dmarc_uri *u,
                     char *host, struct span *kept)
{
        char buf[SNIP_MAX];
        const char *name = tag_names[tag];
        struct span whole = item; /* as written, "!size" included */
        if (item.n == 0) {
                WARN(c, "uri_invalid", "%s has an empty URI in its list", name);
                return -1;
        }
        if (split_size(c, tag, &item, &u->size_limit) != 0)
                return -1;
        size_t sl = scheme_len(item);
        if (sl == 0 || !uri_chars_ok(item)) {
                WARN_AT(c, whole, "uri_invalid", "%s value \"%s\" is not a URI; dropped", name,
                        snip(buf, sizeof buf, item));
                return -1;
        }
        if (!span_ieq((struct span){item.p, sl}, "mailto")) {
                WARN_AT(c, whole, "uri_unsupported_scheme", "%s URI \"%s\" is not mailto:; dropped",
                        name, snip(buf, sizeof buf, item));
                return -1;
        }
        if (parse_mailto((struct span){item.p + sl + 1, item.n - sl - 1}, host) != 0) {
                WARN_AT(c, whole, "uri_invalid",
                        "%s URI \"%s\" is not a valid mailto: address; dropped", name,
                        snip(buf, sizeof buf, item));
                return -1;
        }
        *kept = item;
        return 0;
}

/* Keeps every usable URI of the list (after those already in mem.uris), all of them: a
 * dataset of report receivers needs each one. Only the budget can refuse one. */
static void parse_uri_list(struct ctx *c, enum dmarc_tag tag, unsigned *count)
{
        struct dmarc_record *r = c->r;
        if (!r->tags[tag].present)
                return;
        struct span rest = c->val[tag], item, kept;
        char host[DS_NAME_MAX_TEXT + 1];
        while (take(&rest, ',', &item)) {
                struct dmarc_uri u = {0};
                if (parse_uri(c, tag, trim(item), &u, host, &kept) != 0)
                        continue;
                c->rua_usable += tag == DMARC_TAG_RUA;
                long uri_off = keep_bytes(r, kept);
                long host_off = uri_off < 0 ? -1 : keep_bytes(r, (struct span){host, strlen(host)});
                struct dmarc_uri *dst = host_off < 0
                                            ? NULL
                                            : ds_vec_push(&r->mem.uris, sizeof(*dst),
                                                          &r->mem.budget, "a record's URIs");
                if (!dst) {
                        r->over_budget = true;
                        r->uris_dropped++;
                        continue;
                }
                u.uri_off = (uint32_t)uri_off;
                u.host_off = (uint32_t)host_off;
                *dst = u;
                (*count)++;
        }
}

/* ---- tags removed by RFC 9989 ---- */

/* 1*max DIGIT no greater than limit; -1 otherwise. */
static int parse_uint(struct span v, size_t max_digits, uint64_t limit, uint64_t *out)
{
        uint64_t n = 0;
        if (v.n == 0 || v.n > max_digits)
                return -1;
        for (size_t i = 0; i < v.n; i++) {
                if (!ds_ascii_digit((unsigned char)v.p[i]))
                        return -1;
                n = n * 10 + (uint64_t)(v.p[i] - '0');
        }
        if (n > limit)
                return -1;
        *out = n;
        return 0;
}

static void parse_pct(struct ctx *c)
{
        char buf[SNIP_MAX];
        uint64_t pct = 100;
        c->r->pct = 100;
        if (!c->r->tags[DMARC_TAG_PCT].present)
                return;
        WARN(c, "pct_obsolete", "pct was removed by RFC 9989; only RFC 7489 receivers use it");
        /* RFC 7489 6.4: 1*3DIGIT, 0-100. */
        if (parse_uint(c->val[DMARC_TAG_PCT], 3, 100, &pct) != 0) {
                WARN(c, "pct_invalid",
                     "pct=\"%s\" is not an integer from 0 to 100; pct=100 applies",
                     snip(buf, sizeof buf, c->val[DMARC_TAG_PCT]));
                return;
        }
        c->r->pct = (unsigned)pct;
        if (pct == 0)
                WARN(c, "pct_zero",
                     "pct=0: RFC 7489 receivers apply the next weaker policy to every "
                     "failing message");
        else if (pct < 100)
                WARN(c, "pct_partial",
                     "pct=%u: RFC 7489 receivers apply the policy to only %u%% of "
                     "failing messages, the next weaker one to the rest",
                     (unsigned)pct, (unsigned)pct);
}

/* RFC 7489 6.4: Keyword *(*WSP ":" *WSP Keyword); "afrf" is the only registered format. */
static void parse_rf(struct ctx *c)
{
        char buf[SNIP_MAX];
        if (!c->r->tags[DMARC_TAG_RF].present)
                return;
        WARN(c, "rf_obsolete", "rf was removed by RFC 9989");
        struct span rest = c->val[DMARC_TAG_RF], tok;
        while (take(&rest, ':', &tok)) {
                if (!span_ieq(trim(tok), "afrf")) {
                        WARN(c, "rf_invalid", "rf=\"%s\" names a format other than afrf",
                             snip(buf, sizeof buf, c->val[DMARC_TAG_RF]));
                        return;
                }
        }
}

static void parse_ri(struct ctx *c)
{
        char buf[SNIP_MAX];
        uint64_t ri = 86400;
        c->r->ri = 86400;
        if (!c->r->tags[DMARC_TAG_RI].present)
                return;
        WARN(c, "ri_obsolete", "ri was removed by RFC 9989; reports are daily");
        /* RFC 7489 6.3: a 32-bit unsigned integer of seconds. */
        if (parse_uint(c->val[DMARC_TAG_RI], 10, UINT32_MAX, &ri) != 0) {
                WARN(c, "ri_invalid",
                     "ri=\"%s\" is not a 32-bit count of seconds; ri=86400 applies",
                     snip(buf, sizeof buf, c->val[DMARC_TAG_RI]));
                return;
        }
        c->r->ri = (uint32_t)ri;
}

/* ---- verdict ---- */

/* One policy problem, said as an error (record unusable) or, under the p=none fallback,
 * as a warning. */
static void policy_issue(struct ctx *c, bool fallback, const char *code, const char *what)
{
        if (fallback)
                WARN(c, code, "%s; rua has a usable URI, so the record acts as p=none", what);
        else if (c->rua_usable > 0)
                ERR(c, code, "%s; another error makes the record unusable, so no p=none fallback",
                    what);
        else
                ERR(c, code, "%s and rua has no usable URI, so receivers apply no DMARC", what);
}

/* RFC 9989 4.10.1 (RFC 7489 6.6.3 step 6): a missing or invalid p, or an invalid sp or
 * np, makes the record act as "p=none" when rua holds a valid URI; otherwise receivers
 * apply no DMARC. Only kept (mailto:) URIs count: the others are ignored by receivers. */
static void resolve_policy(struct ctx *c)
{
        struct dmarc_record *r = c->r;
        char what[DMARC_MSG_MAX], buf[SNIP_MAX];
        bool p_missing = !r->tags[DMARC_TAG_P].present;
        if (!p_missing && !c->p_bad && !c->sp_bad && !c->np_bad)
                return;
        /* A record an error already makes unusable cannot act as anything: no fallback. */
        bool fallback = r->valid && c->rua_usable > 0;
        if (p_missing)
                policy_issue(c, fallback, "p_missing", "there is no p tag");
        static const enum dmarc_tag tags[] = {DMARC_TAG_P, DMARC_TAG_SP, DMARC_TAG_NP};
        static const char *const codes[] = {"p_invalid", "sp_invalid", "np_invalid"};
        const bool bad[] = {c->p_bad, c->sp_bad, c->np_bad};
        for (int i = 0; i < 3; i++) {
                if (!bad[i])
                        continue;
                snprintf(what, sizeof what, "%s=\"%s\" is not none, quarantine or reject",
                         tag_names[tags[i]], snip(buf, sizeof buf, c->val[tags[i]]));
                policy_issue(c, fallback, codes[i], what);
        }
        if (fallback) {
                r->policy_fallback = true;
                r->p = r->sp = r->np = DMARC_POLICY_NONE;
        }
}

static void posture_warnings(struct ctx *c)
{
        struct dmarc_record *r = c->r;
        const struct dmarc_tag_seen *p = &r->tags[DMARC_TAG_P];
        if (p->present && p->position != 1)
                WARN(
                    c, "p_not_second",
                    "p is not the tag right after v, as RFC 7489 6.3 requires (RFC 9989 does not)");
        if (r->tags[DMARC_TAG_SP].present && !c->sp_bad && r->sp < r->p)
                WARN(c, "sp_weaker_than_p", "sp=%s is weaker than p=%s for existing subdomains",
                     dmarc_policy_name(r->sp), dmarc_policy_name(r->p));
        if (r->tags[DMARC_TAG_NP].present && !c->np_bad && r->np < r->p)
                WARN(c, "np_weaker_than_p", "np=%s is weaker than p=%s for non-existent subdomains",
                     dmarc_policy_name(r->np), dmarc_policy_name(r->p));
        if (r->testing)
                WARN(c, "testing",
                     "t=y: the owner is testing; receivers apply one policy level lower");
        if (c->rua_usable == 0)
                WARN(c, "no_rua", "no usable rua URI: nobody receives aggregate reports");
}

static void set_defaults(struct dmarc_record *r)
{
        r->valid = true;
        r->pct = 100;
        r->fo = DMARC_FO_0;
        fo_to_text(DMARC_FO_0, r->fo_text);
        r->ri = 86400;
}

/* The parse is over, nothing moves any more: point the result into the storage. */
static void set_pointers(const struct ctx *c)
{
        struct dmarc_record *r = c->r;
        const char *bytes = r->mem.bytes.buf;
        struct dmarc_uri *uris = r->mem.uris.buf;
        for (unsigned t = 0; t < DMARC_TAG_COUNT; t++)
                if (r->tags[t].present)
                        r->tags[t].value = r->tags[t].truncated ? "" : bytes + c->val_off[t];
        for (unsigned i = 0; i < r->mem.uris.n; i++) {
                uris[i].uri = bytes + uris[i].uri_off;
                uris[i].host = bytes + uris[i].host_off;
        }
        ds_require(r->rua_count + r->ruf_count == r->mem.uris.n);
        r->rua = uris;
        r->ruf = uris ? uris + r->rua_count : NULL;
        r->errors = r->mem.errors.buf;
        r->error_count = r->mem.errors.n;
        r->warnings = r->mem.warnings.buf;
        r->warning_count = r->mem.warnings.n;
        r->over_budget = r->over_budget || r->errors_dropped || r->warnings_dropped;
}

/* Every result field to its zero, the storage emptied but kept. */
static void reset(struct dmarc_record *r)
{
        struct dmarc_mem mem = r->mem;
        memset(r, 0, offsetof(struct dmarc_record, mem));
        r->mem = mem;
        r->mem.uris.n = r->mem.errors.n = r->mem.warnings.n = r->mem.bytes.n = 0;
        ds_budget_reset(&r->mem.budget);
}

void dmarc_record_free(struct dmarc_record *r)
{
        ds_vec_free(&r->mem.uris);
        ds_vec_free(&r->mem.errors);
        ds_vec_free(&r->mem.warnings);
        ds_vec_free(&r->mem.bytes);
        r->rua = r->ruf = NULL;
        r->errors = r->warnings = NULL;
        r->rua_count = r->ruf_count = r->error_count = r->warning_count = 0;
}

static int parse(struct ctx *c, struct span rec)
{
        if (check_version(c, rec) != 0)
                return 1;
        collect_tags(c, rec);
        parse_policies(c);
        parse_flags(c);
        parse_fo(c);
        parse_uri_list(c, DMARC_TAG_RUA, &c->r->rua_count);
        parse_uri_list(c, DMARC_TAG_RUF, &c->r->ruf_count);
        parse_pct(c);
        parse_rf(c);
        parse_ri(c);
        resolve_policy(c);
        posture_warnings(c);
        return c->r->valid ? 0 : 1;
}

int dmarc_parse(const char *text, size_t len, struct dmarc_record *out)
{
        if (out == NULL || (text == NULL && len > 0))
                return -EINVAL;
        reset(out);
        set_defaults(out);
        struct span rec = {text != NULL ? text : "", len};
        struct ctx c = {.r = out, .base = rec.p};
        int rc = parse(&c, rec);
        set_pointers(&c);
        return rc;
}

/* ---- names (the enumerations' words: scanner/dmarc/names.c) ---- */

const char *dmarc_tag_name(enum dmarc_tag tag)
{
        if ((unsigned)tag >= DMARC_TAG_COUNT)
                return NULL;
        return tag_names[tag];
}
