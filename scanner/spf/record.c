/* record.c -- SPF record grammar (RFC 7208 section 12). See record.h for the contract and
 * docs/spf-grammar.md for every issue code and the reading of the RFC behind it.
 * The record is walked in place: terms are byte ranges of the input; what the result keeps
 * (terms, targets and their names, issues, the redirect) is appended to the record's own
 * storage (out->mem), charged to its byte budget, and the result's pointers are set into it
 * once the parse is over (a vector may move while it grows). Nothing is cleared but what a
 * parse uses: a reused record costs no allocation and no large memset. */
#include "scanner/spf/record.h"

#include "common/text.h"
#include "scanner/spf/lex.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SNIP_MAX 48 /* quoted excerpt of the record inside a sentence, NUL included */

/* What one term parsed to, before it is kept. */
struct parsed {
        struct spf_term t;
        struct spf_span spec; /* domain-spec or modifier value, without cidr */
        bool ok;              /* no error in this term */
        bool name_ok;         /* spec names a queryable domain (no macro, valid labels) */
        char name[DS_NAME_MAX_TEXT + 1]; /* set (and read) only when name_ok */
};

struct ctx {
        struct spf_record *r;
        const char *base;
        unsigned index; /* of the current term */
        bool seen_all, seen_redirect, seen_exp;
        bool warned_after_all, warned_ptr;
        struct parsed redirect; /* the first redirect term, evaluated after the mechanisms */
        unsigned redirect_index;
        long redirect_off;     /* its domain-spec in mem.bytes; -1: none kept */
        bool redirect_refused; /* ... because the budget refused it */
};

/* ---- bytes ---- */

/* Case-insensitive comparison with a lower-case literal. */
static bool span_ieq(struct spf_span s, const char *lit)
{
        return ds_ascii_ieq(s.p, s.n, lit);
}

/* ---- issues ---- */

static void add_issue(struct ctx *c, bool error, const struct spf_term *t, const char *code,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_issue(struct ctx *c, bool error, const struct spf_term *t, const char *code,
                      const char *fmt, ...)
{
        struct spf_record *r = c->r;
        if (error) {
                r->valid = false;
                r->result = SPF_RESULT_PERMERROR;
        }
        struct spf_issue *is = ds_vec_push(error ? &r->mem.errors : &r->mem.warnings, sizeof(*is),
                                           &r->mem.budget, "a record's issues");
        if (!is) {
                (*(error ? &r->errors_dropped : &r->warnings_dropped))++;
                return;
        }
        is->code = code;
        is->term = t ? (int)c->index : -1;
        is->offset = t ? t->offset : 0;
        is->len = t ? t->len : 0;
        if (t != NULL)
                ds_snip(is->text, sizeof is->text, c->base + t->offset, t->len);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(is->msg, sizeof is->msg, fmt, ap);
        va_end(ap);
}

#define ERR(c, p, code, ...)                                                                       \
        do {                                                                                       \
                (p)->ok = false;                                                                   \
                add_issue(c, true, &(p)->t, code, __VA_ARGS__);                                    \
        } while (0)
#define WARN_TERM(c, p, code, ...) add_issue(c, false, &(p)->t, code, __VA_ARGS__)
#define WARN(c, code, ...)         add_issue(c, false, NULL, code, __VA_ARGS__)

/* The term as written, for a sentence. */
static const char *term_text(const struct ctx *c, const struct parsed *p, char *buf)
{
        return ds_snip(buf, SNIP_MAX, c->base + p->t.offset, p->t.len);
}

/* ---- domain-specs (RFC 7208 7.1, 12; scanner/spf/lex.c reads their bytes) ---- */

/* A domain-spec (RFC 7208 12): macro-string domain-end. Records macro and name. */
static void parse_domain_spec(struct ctx *c, struct parsed *p, struct spf_span spec)
{
        char buf[SNIP_MAX];
        bool last_macro = false;
        p->spec = spec;
        p->t.has_spec = true;
        p->t.spec_offset = (uint32_t)(spec.p - c->base);
        p->t.spec_len = (uint32_t)spec.n;
        if (spec.n == 0) {
                ERR(c, p, "domain_spec_invalid", "\"%s\" has an empty domain-spec",
                    term_text(c, p, buf));
                return;
        }
        if (!spf_macro_string(spec, &p->t.macro, &last_macro)) {
                ERR(c, p, "macro_invalid",
                    "\"%s\" has a '%%' that does not start a valid macro (%%{slodiphv...}, %%%%, "
                    "%%_, %%-)",
                    term_text(c, p, buf));
                return;
        }
        if (!last_macro && !spf_domain_end(spec)) {
                ERR(c, p, "domain_spec_invalid",
                    "\"%s\" does not end in a domain name (a dot and a top label that is not "
                    "all digits) or a macro",
                    term_text(c, p, buf));
                return;
        }
        if (!p->t.macro)
                p->name_ok = spf_target_name(spec, p->name);
}

/* ---- addresses and prefix lengths (scanner/spf/lex.c reads them) ---- */

/* RFC 7208 5.6 dual-cidr-length: [ "/" ip4 ] [ "//" ip6 ], in that order, off the end of
 * *rest. Returns false (error said) when a length is malformed or out of range. */
static bool parse_dual_cidr(struct ctx *c, struct parsed *p, struct spf_span *rest)
{
        char buf[SNIP_MAX];
        struct spf_span d;
        enum spf_cidr_split k = spf_split_cidr(rest, &d);
        if (k == SPF_CIDR_TWO) {
                if (!spf_prefix(d, 128, &p->t.cidr6))
                        goto bad;
                p->t.has_cidr6 = true;
                k = spf_split_cidr(rest, &d);
                if (k == SPF_CIDR_TWO)
                        goto bad; /* "//n//m" */
        }
        if (k == SPF_CIDR_ONE) {
                if (!spf_prefix(d, 32, &p->t.cidr4))
                        goto bad;
                p->t.has_cidr4 = true;
        }
        return true;
bad:
        ERR(c, p, "cidr_invalid",
            "\"%s\" has a malformed or out-of-range prefix length (IPv4 0-32 after '/', IPv6 "
            "0-128 after '//')",
            term_text(c, p, buf));
        return false;
}

/* "ip4:" / "ip6:" network [ "/" length ]. */
static void parse_ip(struct ctx *c, struct parsed *p, struct spf_span rest, bool v6)
{
        char buf[SNIP_MAX];
        const char *name = v6 ? "ip6" : "ip4";
        if (rest.n < 2 || rest.p[0] != ':') {
                ERR(c, p, "missing_argument", "\"%s\": %s needs \":address\"", term_text(c, p, buf),
                    name);
                return;
        }
        struct spf_span net = spf_tail(rest, 1), d;
        enum spf_cidr_split k = spf_split_cidr(&net, &d);
        unsigned max = v6 ? 128 : 32;
        uint8_t *len = v6 ? &p->t.cidr6 : &p->t.cidr4;
        if (k == SPF_CIDR_TWO || (k == SPF_CIDR_ONE && !spf_prefix(d, max, len))) {
                ERR(c, p, "cidr_invalid",
                    "\"%s\" has a malformed or out-of-range prefix length (0-%u after one '/')",
                    term_text(c, p, buf), max);
                return;
        }
        if (k == SPF_CIDR_ONE)
                *(v6 ? &p->t.has_cidr6 : &p->t.has_cidr4) = true;
        if (!(v6 ? spf_ip6(net, p->t.addr) : spf_ip4(net, p->t.addr)))
                ERR(c, p, v6 ? "ip6_invalid" : "ip4_invalid", "\"%s\" is not a valid %s network",
                    term_text(c, p, buf), v6 ? "IPv6" : "dotted-quad IPv4");
}

/* ---- terms ---- */

static const struct {
        const char *name;
        enum spf_kind kind;
} mechanisms[] = {
    {"all", SPF_ALL}, {"include", SPF_INCLUDE}, {"a", SPF_A},     {"mx", SPF_MX},
    {"ptr", SPF_PTR}, {"ip4", SPF_IP4},         {"ip6", SPF_IP6}, {"exists", SPF_EXISTS},
};

static bool is_lookup(enum spf_kind k)
{
        return k == SPF_INCLUDE || k == SPF_A || k == SPF_MX || k == SPF_PTR || k == SPF_EXISTS ||
               k == SPF_REDIRECT;
}

/* include, exists: ":" domain-spec required. */
static void parse_required_spec(struct ctx *c, struct parsed *p, struct spf_span rest)
{
        char buf[SNIP_MAX];
        if (rest.n == 0 || rest.p[0] != ':') {
                ERR(c, p, "missing_argument", "\"%s\": %s needs \":domain\"", term_text(c, p, buf),
                    spf_kind_name(p->t.kind));
                return;
        }
        parse_domain_spec(c, p, spf_tail(rest, 1));
}

/* a, mx: [ ":" domain-spec ] [ dual-cidr-length ]; ptr: [ ":" domain-spec ]. */
static void parse_optional_spec(struct ctx *c, struct parsed *p, struct spf_span rest, bool cidr)
{
        char buf[SNIP_MAX];
        if (cidr && !parse_dual_cidr(c, p, &rest))
                return;
        if (rest.n == 0)
                return;
        if (rest.p[0] == ':') {
                parse_domain_spec(c, p, spf_tail(rest, 1));
                return;
        }
        if (cidr)
                ERR(c, p, "cidr_invalid",
                    "\"%s\" has a malformed prefix length (IPv4 0-32 after '/', IPv6 0-128 "
                    "after '//')",
                    term_text(c, p, buf));
        else
                ERR(c, p, "unexpected_argument", "\"%s\": ptr takes only \":domain\"",
                    term_text(c, p, buf));
}

static void parse_mechanism(struct ctx *c, struct parsed *p, struct spf_span term)
{
        char buf[SNIP_MAX];
        static const char quals[] = "+-~?";
        const char *q = term.n > 0 && term.p[0] != 0 ? strchr(quals, term.p[0]) : NULL;
        if (q != NULL) {
                p->t.qualifier = (enum spf_qualifier)(q - quals);
                term = spf_tail(term, 1);
        }
        size_t n = 0;
        while (n < term.n && term.p[n] != ':' && term.p[n] != '/')
                n++;
        struct spf_span name = {term.p, n}, rest = spf_tail(term, n);
        size_t i = 0;
        while (i < sizeof mechanisms / sizeof mechanisms[0] && !span_ieq(name, mechanisms[i].name))
                i++;
        if (i == sizeof mechanisms / sizeof mechanisms[0]) {
                p->t.kind = SPF_INVALID;
                ERR(c, p, "unknown_mechanism",
                    "\"%s\" is neither a known mechanism nor a name=value modifier",
                    term_text(c, p, buf));
                return;
        }
        p->t.kind = mechanisms[i].kind;
        switch (p->t.kind) {
        case SPF_ALL:
                if (rest.n > 0)
                        ERR(c, p, "unexpected_argument", "\"%s\": all takes no argument",
                            term_text(c, p, buf));
                break;
        case SPF_INCLUDE:
        case SPF_EXISTS:
                parse_required_spec(c, p, rest);
                break;
        case SPF_A:
        case SPF_MX:
                p->t.cidr4 = 32;
                p->t.cidr6 = 128;
                parse_optional_spec(c, p, rest, true);
                break;
        case SPF_PTR:
                parse_optional_spec(c, p, rest, false);
                break;
        case SPF_IP4:
                p->t.cidr4 = 32;
                parse_ip(c, p, rest, false);
                break;
        case SPF_IP6:
                p->t.cidr6 = 128;
                parse_ip(c, p, rest, true);
                break;
        default:
                break;
        }
}

/* RFC 7208 12 modifier: name "=" ...; name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ).
 * Returns the length of the name when term is a modifier, 0 when it is a directive. */
static size_t modifier_name_len(struct spf_span term)
{
        if (term.n == 0 || !ds_ascii_alpha((unsigned char)term.p[0]))
                return 0;
        size_t i = 1;
        while (i < term.n && (spf_is_alnum((unsigned char)term.p[i]) || term.p[i] == '-' ||
                              term.p[i] == '_' || term.p[i] == '.'))
                i++;
        return (i < term.n && term.p[i] == '=') ? i : 0;
}

static void parse_modifier(struct ctx *c, struct parsed *p, struct spf_span term, size_t name_len)
{
        char buf[SNIP_MAX];
        struct spf_span name = {term.p, name_len}, value = spf_tail(term, name_len + 1);
        bool redirect = span_ieq(name, "redirect"), exp = span_ieq(name, "exp");
        if (!redirect && !exp) {
                bool has_macro, last_macro;
                p->t.kind = SPF_UNKNOWN_MODIFIER;
                p->t.has_spec = value.n > 0;
                p->t.spec_offset = (uint32_t)(value.p - c->base);
                p->t.spec_len = (uint32_t)value.n;
                if (!spf_macro_string(value, &has_macro, &last_macro)) {
                        ERR(c, p, "macro_invalid",
                            "\"%s\" has a '%%' that does not start a valid macro",
                            term_text(c, p, buf));
                        return;
                }
                p->t.macro = has_macro;
                WARN_TERM(c, p, "unknown_modifier",
                          "\"%s\" is not a known modifier; receivers ignore it",
                          term_text(c, p, buf));
                return;
        }
        p->t.kind = redirect ? SPF_REDIRECT : SPF_EXP;
        bool *seen = redirect ? &c->seen_redirect : &c->seen_exp;
        if (*seen)
                ERR(c, p, "duplicate_modifier", "\"%s\": %s appears more than once",
                    term_text(c, p, buf), redirect ? "redirect" : "exp");
        *seen = true;
        if (value.n == 0) {
                ERR(c, p, "missing_argument", "\"%s\" has no domain", term_text(c, p, buf));
                return;
        }
        parse_domain_spec(c, p, value);
}

/* RFC 7208 12 macro-literal and SP: a term holds only visible ASCII. */
static bool visible(struct spf_span term, size_t *bad)
{
        for (size_t i = 0; i < term.n; i++) {
                unsigned char ch = (unsigned char)term.p[i];
                if (ch < 0x21 || ch > 0x7e) {
                        *bad = i;
                        return false;
                }
        }
        return true;
}

static void parse_term(struct ctx *c, struct parsed *p, struct spf_span term)
{
        char buf[SNIP_MAX];
        size_t bad = 0, name_len;
        p->t = (struct spf_term){.offset = (uint32_t)(term.p - c->base), .len = (uint32_t)term.n};
        p->spec = (struct spf_span){NULL, 0};
        p->ok = true;
        p->name_ok = false;
        if (!visible(term, &bad)) {
                p->t.kind = SPF_INVALID;
                ERR(c, p, "invalid_character",
                    "\"%s\" holds byte 0x%02x, which is not allowed in a term (terms are "
                    "separated by spaces only)",
                    term_text(c, p, buf), (unsigned char)term.p[bad]);
                return;
        }
        name_len = modifier_name_len(term);
        if (name_len > 0)
                parse_modifier(c, p, term, name_len);
        else
                parse_mechanism(c, p, term);
}

/* ---- what a receiver evaluates and asks ---- */

static void add_target(struct ctx *c, const struct parsed *p, unsigned index)
{
        struct spf_record *r = c->r;
        long name_off = 0;
        if (p->t.has_spec)
                name_off = ds_vec_append_str(&r->mem.bytes, p->name, strlen(p->name),
                                             &r->mem.budget, "a record's names");
        struct spf_target *t = name_off < 0 ? NULL
                                            : ds_vec_push(&r->mem.targets, sizeof(*t),
                                                          &r->mem.budget, "a record's targets");
        if (!t) {
                r->targets_dropped++;
                return;
        }
        t->kind = p->t.kind;
        t->term = index;
        t->self = !p->t.has_spec;
        switch (p->t.kind) {
        case SPF_INCLUDE:
        case SPF_REDIRECT:
                t->qtypes = SPF_QT_TXT;
                break;
        case SPF_A:
                t->qtypes = SPF_QT_A | SPF_QT_AAAA;
                break;
        case SPF_MX:
                t->qtypes = SPF_QT_MX;
                break;
        default: /* exists: A even for an IPv6 client (RFC 7208 5.7) */
                t->qtypes = SPF_QT_A;
                break;
        }
        t->name_off = (uint32_t)name_off;
}

/* Counts an evaluated term; lists it as a target when its name is known. */
static void account(struct ctx *c, struct parsed *p, unsigned index)
{
        char buf[SNIP_MAX];
        struct spf_record *r = c->r;
        if (!p->t.evaluated || !is_lookup(p->t.kind))
                return;
        r->lookup_terms++;
        if (p->t.macro) {
                r->macro_terms++;
                return;
        }
        if (p->t.kind == SPF_PTR || !p->ok)
                return; /* ptr asks the client's address, unknown here */
        if (p->t.has_spec && !p->name_ok) {
                bool fatal = p->t.kind == SPF_INCLUDE || p->t.kind == SPF_REDIRECT;
                if (fatal)
                        ERR(c, p, "domain_invalid",
                            "\"%s\" names no valid domain (empty label or label over 63 "
                            "octets): a permerror when evaluated",
                            term_text(c, p, buf));
                else
                        WARN_TERM(c, p, "domain_invalid",
                                  "\"%s\" names no valid domain (empty label or label over 63 "
                                  "octets): it cannot match",
                                  term_text(c, p, buf));
                return;
        }
        add_target(c, p, index);
}

/* An evaluated ip4:<any>/0 or ip6:<any>/0 matches every client of that family: with "+"
 * anyone passes the record (RFC 7208 4.6.2), with "?" anyone is neutral. "-" and "~" close
 * nothing more than an all would. */
static void weigh_everyone(struct ctx *c, const struct parsed *p)
{
        char buf[SNIP_MAX];
        struct spf_record *r = c->r;
        bool wide =
            (p->t.kind == SPF_IP4 && p->t.cidr4 == 0) || (p->t.kind == SPF_IP6 && p->t.cidr6 == 0);
        if (!wide)
                return;
        if (p->t.qualifier == SPF_Q_PASS) {
                r->everyone_pass = true;
                WARN_TERM(c, p, "pass_all_mechanism",
                          "\"%s\" matches every %s client, so anyone passes, as with +all",
                          term_text(c, p, buf), p->t.kind == SPF_IP4 ? "IPv4" : "IPv6");
        } else if (p->t.qualifier == SPF_Q_NEUTRAL) {
                r->everyone_neutral = true;
                WARN_TERM(c, p, "neutral_all_mechanism",
                          "\"%s\" matches every %s client, so anyone is neutral, as with ?all",
                          term_text(c, p, buf), p->t.kind == SPF_IP4 ? "IPv4" : "IPv6");
        }
}

/* Warnings that depend on the term's place, and the record-wide facts it sets. */
static void place_term(struct ctx *c, struct parsed *p)
{
        char buf[SNIP_MAX];
        struct spf_record *r = c->r;
        bool mechanism = p->t.kind <= SPF_EXISTS;
        if (mechanism && c->seen_all && !c->warned_after_all) {
                WARN_TERM(c, p, "mechanisms_after_all",
                          "\"%s\" comes after all, so receivers never evaluate it",
                          term_text(c, p, buf));
                c->warned_after_all = true;
        }
        p->t.evaluated = mechanism && !c->seen_all;
        if (p->t.kind == SPF_ALL && !c->seen_all) {
                c->seen_all = true;
                r->all = (enum spf_all)(SPF_ALL_PASS + (int)p->t.qualifier);
        }
        if (p->t.kind == SPF_PTR && !c->warned_ptr) {
                WARN_TERM(c, p, "ptr_used",
                          "\"%s\": the ptr mechanism is slow and unreliable and SHOULD NOT be "
                          "used",
                          term_text(c, p, buf));
                c->warned_ptr = true;
        }
        if (p->t.evaluated && p->ok)
                weigh_everyone(c, p);
        if (p->t.kind == SPF_EXP)
                r->has_exp = true;
        if (p->t.kind == SPF_REDIRECT && !r->has_redirect) {
                r->has_redirect = true;
                c->redirect = *p;
                c->redirect_index = c->index;
        }
}

static void keep_term(struct ctx *c, const struct parsed *p)
{
        struct spf_record *r = c->r;
        struct spf_term *t =
            ds_vec_push(&r->mem.terms, sizeof(*t), &r->mem.budget, "a record's terms");
        if (t)
                *t = p->t;
        else
                r->terms_dropped++;
}

/* The redirect's domain-spec, whole, into the record's bytes (the normalized name when it
 * has one), unless the budget refuses it. */
static void keep_redirect(struct ctx *c, const struct parsed *p)
{
        struct spf_record *r = c->r;
        r->redirect_macro = p->t.macro;
        if (p->spec.n == 0)
                return; /* "redirect=": said as missing_argument */
        bool named = !p->t.macro && p->name_ok;
        c->redirect_off =
            ds_vec_append_str(&r->mem.bytes, named ? p->name : p->spec.p,
                              named ? strlen(p->name) : p->spec.n, &r->mem.budget, "a redirect");
        c->redirect_refused = c->redirect_off < 0;
}

/* The redirect, evaluated last and only without all (RFC 7208 5.1, 6.1). */
static void finish_redirect(struct ctx *c)
{
        char buf[SNIP_MAX];
        struct spf_record *r = c->r;
        struct parsed *p = &c->redirect;
        if (!r->has_redirect)
                return;
        keep_redirect(c, p);
        c->index = c->redirect_index;
        if (c->seen_all) {
                WARN_TERM(c, p, "redirect_ignored",
                          "\"%s\" is ignored because the record has an all mechanism",
                          term_text(c, p, buf));
                return;
        }
        r->redirect_applies = true;
        p->t.evaluated = true;
        if (c->index < r->mem.terms.n)
                ((struct spf_term *)r->mem.terms.buf)[c->index].evaluated = true;
        account(c, p, c->index);
}

static void record_warnings(struct ctx *c, size_t len)
{
        struct spf_record *r = c->r;
        if (len > SPF_LONG_RECORD)
                WARN(c, "record_too_long",
                     "the record is %zu bytes; over %d it may not fit one UDP answer with the "
                     "others at the name",
                     len, SPF_LONG_RECORD);
        if (!c->seen_all && !r->has_redirect)
                WARN(c, "no_all",
                     "no all and no redirect: mail from anyone else gets neutral, as with ?all");
        if (r->macro_terms > 0)
                WARN(c, "macro",
                     "%u evaluated term(s) use macros: their names depend on each message and "
                     "are not looked up here",
                     r->macro_terms);
        if (c->seen_all)
                r->open = (r->all == SPF_ALL_PASS || r->all == SPF_ALL_NEUTRAL) ? SPF_OPEN_YES
                                                                                : SPF_OPEN_NO;
        else
                r->open = r->redirect_applies ? SPF_OPEN_REDIRECT : SPF_OPEN_YES;
}

/* Splits off the next term; terms are separated by one or more SP (RFC 7208 12). */
static bool next_term(struct spf_span *rest, struct spf_span *term)
{
        while (rest->n > 0 && rest->p[0] == ' ')
                *rest = spf_tail(*rest, 1);
        if (rest->n == 0)
                return false;
        const char *sp = memchr(rest->p, ' ', rest->n);
        size_t n = sp ? (size_t)(sp - rest->p) : rest->n;
        *term = (struct spf_span){rest->p, n};
        *rest = spf_tail(*rest, n);
        return true;
}

bool spf_is_record(const char *text, size_t len)
{
        if (text == NULL || len < 6 || !span_ieq((struct spf_span){text, 6}, "v=spf1"))
                return false;
        return len == 6 || text[6] == ' ';
}

/* Every result field to its zero, the storage emptied but kept. */
static void reset(struct spf_record *r)
{
        struct spf_mem mem = r->mem;
        memset(r, 0, offsetof(struct spf_record, mem));
        r->mem = mem;
        r->mem.terms.n = r->mem.targets.n = r->mem.errors.n = r->mem.warnings.n = 0;
        r->mem.bytes.n = 0;
        ds_budget_reset(&r->mem.budget);
}

/* The parse is over, nothing moves any more: point the result into the storage. */
static void set_pointers(const struct ctx *c)
{
        struct spf_record *r = c->r;
        const char *bytes = r->mem.bytes.buf;
        struct spf_target *targets = r->mem.targets.buf;
        for (unsigned i = 0; i < r->mem.targets.n; i++)
                targets[i].name = targets[i].self ? "" : bytes + targets[i].name_off;
        r->redirect = c->redirect_refused    ? NULL
                      : c->redirect_off >= 0 ? bytes + c->redirect_off
                                             : "";
        r->terms = r->mem.terms.buf;
        r->term_count = r->mem.terms.n;
        r->targets = targets;
        r->target_count = r->mem.targets.n;
        r->errors = r->mem.errors.buf;
        r->error_count = r->mem.errors.n;
        r->warnings = r->mem.warnings.buf;
        r->warning_count = r->mem.warnings.n;
        r->over_budget = r->terms_dropped || r->targets_dropped || r->errors_dropped ||
                         r->warnings_dropped || r->redirect == NULL;
}

void spf_record_free(struct spf_record *r)
{
        ds_vec_free(&r->mem.terms);
        ds_vec_free(&r->mem.targets);
        ds_vec_free(&r->mem.errors);
        ds_vec_free(&r->mem.warnings);
        ds_vec_free(&r->mem.bytes);
        reset(r);
        r->redirect = "";
}

static void parse(struct ctx *c, const char *text, size_t len)
{
        struct spf_record *r = c->r;
        r->records = 1;
        if (!spf_is_record(text, len)) {
                r->records = 0;
                return;
        }
        r->result = SPF_RESULT_OK;
        r->valid = true;
        struct spf_span rest = {text + 6, len - 6}, term;
        struct parsed p;
        for (c->index = 0; next_term(&rest, &term); c->index++) {
                parse_term(c, &p, term);
                place_term(c, &p);
                account(c, &p, c->index);
                keep_term(c, &p);
        }
        finish_redirect(c);
        record_warnings(c, len);
}

int spf_parse(const char *text, size_t len, struct spf_record *out)
{
        if (out == NULL || (text == NULL && len > 0) || len > DS_TXT_MAX)
                return -EINVAL;
        reset(out);
        struct ctx c = {.r = out, .base = text, .redirect_off = -1};
        parse(&c, text, len);
        set_pointers(&c);
        return out->valid ? 0 : 1;
}

int spf_select(const struct spf_txt *txts, size_t n, struct spf_record *out)
{
        if (out == NULL || (txts == NULL && n > 0))
                return -EINVAL;
        unsigned records = 0;
        size_t chosen = 0;
        for (size_t i = 0; i < n; i++) {
                if (txts[i].text == NULL && txts[i].len > 0)
                        return -EINVAL;
                if (spf_is_record(txts[i].text, txts[i].len)) {
                        records++;
                        chosen = i;
                }
        }
        if (records == 1) {
                int rc = spf_parse(txts[chosen].text, txts[chosen].len, out);
                out->selected = chosen;
                return rc;
        }
        reset(out);
        struct ctx c = {.r = out, .redirect_off = -1};
        out->records = records;
        if (records > 0)
                add_issue(&c, true, NULL, "multiple_records",
                          "%u TXT records at the name begin with v=spf1; receivers return "
                          "permerror",
                          records);
        set_pointers(&c);
        return 1;
}
