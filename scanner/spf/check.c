/* check.c -- the SPF check's evaluation tree: the domain's TXT, then every include and
 * redirect target and every a/mx/exists name, depth first, one lookup at a time; the
 * limits of RFC 7208 4.6.4 counted across the tree; and its hooks (scanner/check.h). */
#include "scanner/spf/check.h"

#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/text.h"
#include "dns/engine.h"
#include "dns/wire.h"
#include "scanner/job.h"
#include "scanner/spf/line.h"

/* One domain's SPF check as the functions below see it. */
struct sc {
        struct spf_state *st;
        struct lookup *l;
        const char *domain;
        struct spf_scratch *s; /* NULL in start() */
};

static uint16_t sat16(unsigned v)
{
        return v > 65535 ? 65535 : (uint16_t)v;
}

/* ---- growing inline buffers: inline bytes first, a heap copy once outgrown ------------- */

/* Append n bytes to the buffer (inl, cap_inl) / *big; *len and *cap track it. Runs on a
 * classifier mid-scan: out of memory aborts (common/check.h). */
static char *buf_put(char *inl, size_t cap_inl, char **big, uint32_t *len, uint32_t *cap,
                     const void *data, size_t n)
{
        size_t have = *big ? *cap : cap_inl;
        if (*len + n > have) {
                size_t ncap = have * 2;
                while (ncap < *len + n)
                        ncap *= 2;
                char *p = ds_xmalloc(ncap, "a domain's SPF tree");
                memcpy(p, *big ? *big : inl, *len);
                free(*big);
                *big = p;
                *cap = (uint32_t)ncap;
        }
        char *at = (*big ? *big : inl) + *len;
        memcpy(at, data, n);
        *len += (uint32_t)n;
        return at;
}

static const char *names_of(const struct spf_state *st)
{
        return st->names_big ? st->names_big : st->names_inl;
}

static const char *held_of(const struct spf_state *st)
{
        return st->held_big ? st->held_big : st->held_inl;
}

/* The name node k asks (node 0: the domain), into out (DS_NAME_MAX_TEXT + 1 bytes). */
static void node_name(const struct sc *c, unsigned k, char *out)
{
        const struct spf_node *n = &c->st->nodes[k];
        if (k == 0) {
                ds_concat(out, DS_NAME_MAX_TEXT + 1, &c->domain, 1);
                return;
        }
        memcpy(out, names_of(c->st) + n->name_off, n->name_len);
        out[n->name_len] = 0;
}

/* ---- issues and the end of the evaluation --------------------------------------------- */

const char *const spf_tree_codes[] = {
    "too_many_lookups",
    "too_many_void_lookups",
    "too_many_mx",
    "include_missing",
    "redirect_missing",
    "include_permerror",
    "redirect_permerror",
    "include_loop",
    "dns_error",
    "ptr_used",
    "macro",
    "include_pass_all",
    "pass_all_mechanism",
    "neutral_all_mechanism",
    "budget_exceeded",
    NULL,
};

/* code's index in spf_tree_codes, or -1 when it is not listed. */
static int tree_code(const char *code)
{
        for (int i = 0; spf_tree_codes[i]; i++)
                if (strcmp(spf_tree_codes[i], code) == 0)
                        return i;
        return -1;
}

/* Each code once per node: SPF_TREE_ISSUES holds them all (check.h). */
static void issue(struct sc *c, const char *code, bool error, int node)
{
        struct spf_state *st = c->st;
        int k = tree_code(code);
        if (ds_fails(k >= 0))
                return;
        for (unsigned i = 0; i < st->nissues; i++)
                if (st->issues[i].code == k && st->issues[i].node == node)
                        return;
        if (ds_fails(st->nissues < SPF_TREE_ISSUES))
                return;
        st->issues[st->nissues++] =
            (struct spf_tree_note){.code = (uint8_t)k, .error = error, .node = (int8_t)node};
}

/* An error that fixes the result: a receiver stops evaluating here. */
static void stop(struct sc *c, enum spf_result r, const char *code, int node)
{
        issue(c, code, true, node);
        c->st->result = (uint8_t)r;
        c->st->nstack = 0;
}

/* ---- reading a reply ------------------------------------------------------------------ */

struct want {
        uint16_t qtype;
        int count; /* RRs of qtype at the name; -1: malformed */
};

static int count_rrs(const struct wire_reply *r, const uint8_t *name, size_t len, uint16_t qtype)
{
        struct wire_rr_iter it;
        struct wire_rr rr;
        int n = 0, rc;
        wire_rr_iter_init(&it, r);
        while ((rc = wire_rr_next(&it, &rr)) == 1 && rr.section == WIRE_SEC_ANSWER)
                if (rr.type == qtype && rr.rclass == WIRE_CLASS_IN &&
                    wire_name_equal(r->pkt, r->len, rr.owner_off, name, len) == 1)
                        n++;
        return rc < 0 ? -1 : n;
}

static bool has_data(const struct wire_reply *r, const uint8_t *name, size_t len, void *ctx)
{
        struct want *w = ctx;
        w->count = count_rrs(r, name, len, w->qtype);
        return w->count != 0;
}

/* Room for n TXT strings in s->txts. */
static void txts_room(struct spf_scratch *s, size_t n)
{
        s->txts = ds_xgrow(s->txts, &s->txts_cap, n * sizeof(*s->txts), "a reply's SPF records");
}

/* The SPF records among the TXT strings at the name into s->txts (joined), every one, the
 * others only counted. False when malformed. */
static bool collect_txts(struct spf_scratch *s, const struct wire_reply *r, const uint8_t *name,
                         size_t len)
{
        struct wire_rr_iter it;
        struct wire_rr rr;
        size_t used = 0;
        s->ntxt = s->ntxt_other = 0;
        wire_rr_iter_init(&it, r);
        while (wire_rr_next(&it, &rr) == 1 && rr.section == WIRE_SEC_ANSWER) {
                if (rr.type != WIRE_TYPE_TXT || rr.rclass != WIRE_CLASS_IN ||
                    wire_name_equal(r->pkt, r->len, rr.owner_off, name, len) != 1)
                        continue;
                s->text =
                    ds_xgrow(s->text, &s->text_cap, used + rr.rdlen + 1, "a reply's TXT records");
                int n = wire_txt_join(r, &rr, (uint8_t *)s->text + used, s->text_cap - used);
                if (n < 0)
                        return false;
                if (!spf_is_record(s->text + used, (size_t)n)) {
                        s->ntxt_other++;
                        continue;
                }
                txts_room(s, s->ntxt + 1u);
                s->txts[s->ntxt++] = (struct spf_txt){.text = NULL, .len = (size_t)n};
                used += (size_t)n;
        }
        /* The buffer may have moved while it grew: point the strings into it last. */
        for (unsigned i = 0, off = 0; i < s->ntxt; off += (unsigned)s->txts[i++].len)
                s->txts[i].text = s->text + off;
        return true;
}

enum read { READ_FOLLOW, READ_DONE };

/* The reply to the current node's lookup: its status, and its records in s (TXT) or
 * *count (A, MX). */
static enum read read_reply(struct sc *c, int *status, int *count)
{
        struct wire_reply r;
        struct want w = {.qtype = c->l->qtype, .count = 0};
        if (lookup_read(c->l, &r, status, has_data, &w) == LOOKUP_READ_FOLLOW)
                return READ_FOLLOW;
        c->s->ntxt = c->s->ntxt_other = 0;
        *count = 0;
        if (*status != WIRE_RCODE_NOERROR)
                return READ_DONE;
        if (c->l->qtype == WIRE_TYPE_TXT) {
                if (!collect_txts(c->s, &r, c->l->qname, c->l->qname_len))
                        *status = LOOKUP_MALFORMED;
                *count = (int)(c->s->ntxt + c->s->ntxt_other);
                return READ_DONE;
        }
        *count = count_rrs(&r, c->l->qname, c->l->qname_len, c->l->qtype);
        if (*count < 0)
                *status = LOOKUP_MALFORMED;
        return READ_DONE;
}

/* ---- the tree ------------------------------------------------------------------------- */

/* Is name asked by node k or one of its ancestors (an include or redirect loop)? */
static bool in_ancestry(const struct sc *c, int k, const char *name)
{
        char buf[DS_NAME_MAX_TEXT + 1];
        for (; k >= 0; k = c->st->nodes[k].parent) {
                node_name(c, (unsigned)k, buf);
                if (strcmp(buf, name) == 0)
                        return true;
        }
        return false;
}

/* A new node for target t of node parent's record rec; -1 only on a broken invariant (the
 * lookup limit bounds the tree: SPF_NODES_MAX). */
static int add_node(struct sc *c, unsigned parent, const struct spf_record *rec,
                    const struct spf_target *t)
{
        struct spf_state *st = c->st;
        if (ds_fails(st->nnodes < SPF_NODES_MAX))
                return -1;
        char self[DS_NAME_MAX_TEXT + 1];
        const char *name = t->name;
        if (t->self) {
                node_name(c, parent, self);
                name = self;
        }
        size_t n = strnlen(name, DS_NAME_MAX_TEXT);
        uint32_t len = st->names_len, cap = st->names_cap;
        char *at = buf_put(st->names_inl, SPF_NAMES_INLINE, &st->names_big, &len, &cap, name, n);
        st->names_len = (uint16_t)len;
        st->names_cap = (uint16_t)cap;
        const struct spf_term *term = t->term < rec->term_count ? &rec->terms[t->term] : NULL;
        unsigned k = st->nnodes++;
        st->nodes[k] = (struct spf_node){
            .name_off = (uint16_t)(at - names_of(st)),
            .name_len = (uint8_t)n,
            .kind = (uint8_t)t->kind,
            .parent = (int8_t)parent,
            .depth = (uint8_t)(st->nodes[parent].depth + 1),
            .status = LOOKUP_PENDING,
            .qualifier = (uint8_t)(term ? term->qualifier : SPF_Q_PASS),
            .wide = t->kind == SPF_EXISTS ||
                    (t->kind == SPF_A && term && term->has_cidr4 && term->cidr4 == 0)};
        return (int)k;
}

/* Node k is on the main path when redirects alone lead to it from the domain: its record
 * decides the effective all. */
static bool main_path(const struct sc *c, unsigned k)
{
        for (; k != 0; k = (unsigned)c->st->nodes[k].parent)
                if (c->st->nodes[k].kind != SPF_REDIRECT)
                        return false;
        return true;
}

/* Does a pass of node k's record make the domain's policy pass? Only when every step
 * from the domain is a redirect or a "+include" (RFC 7208 5.2: include matches when the
 * included record passes; its own qualifier then applies). */
static bool passes_through(const struct sc *c, unsigned k)
{
        bool via_include = false;
        for (; k != 0; k = (unsigned)c->st->nodes[k].parent) {
                const struct spf_node *n = &c->st->nodes[k];
                if (n->kind == SPF_INCLUDE && n->qualifier != SPF_Q_PASS)
                        return false;
                via_include |= n->kind == SPF_INCLUDE;
        }
        return via_include;
}

/* A term of node k's record matches every client (of a family) with qualifier q: with "+"
 * anyone passes when redirects and +includes alone lead to k; with "?" anyone is neutral
 * when redirects alone do (a neutral include does not match). about: the node the warning
 * names; -1 when the domain's own record already says it (record.c). */
static void everyone(struct sc *c, unsigned k, enum spf_qualifier q, int about)
{
        struct spf_state *st = c->st;
        if (q == SPF_Q_PASS && (main_path(c, k) || passes_through(c, k))) {
                st->everyone_pass = true;
                if (about >= 0)
                        issue(c, "pass_all_mechanism", false, about);
        } else if (q == SPF_Q_NEUTRAL && main_path(c, k)) {
                st->everyone_neutral = true;
                if (about >= 0)
                        issue(c, "neutral_all_mechanism", false, about);
        }
}

/* Warnings of an included record worth carrying to the domain's line. */
static void carry_warnings(struct sc *c, const struct spf_record *rec, unsigned k)
{
        for (unsigned i = 0; i < rec->warning_count; i++) {
                const char *code = rec->warnings[i].code;
                if (strcmp(code, "ptr_used") == 0 || strcmp(code, "macro") == 0)
                        issue(c, code, false, (int)k);
        }
}

/* A usable record of node k: count its lookups and queue its targets, in the order a
 * receiver meets them (the stack pops the first target first, the redirect last). */
static void evaluate(struct sc *c, const struct spf_record *rec, unsigned k)
{
        struct spf_state *st = c->st;
        st->dns_lookups = sat16(st->dns_lookups + rec->lookup_terms);
        if (k != 0)
                carry_warnings(c, rec, k);
        if (main_path(c, k) && !rec->redirect_applies) {
                st->all = (uint8_t)rec->all;
                st->all_known = true;
                st->permissive = rec->open == SPF_OPEN_YES;
        }
        if (rec->all == SPF_ALL_PASS && !rec->redirect_applies && passes_through(c, k)) {
                /* "+all" at the end of an included record: every sender matches the include
                 * and passes, whatever the domain's own all says. */
                st->include_pass_all = true;
                issue(c, "include_pass_all", false, (int)k);
        }
        if (rec->everyone_pass)
                everyone(c, k, SPF_Q_PASS, k != 0 ? (int)k : -1);
        if (rec->everyone_neutral)
                everyone(c, k, SPF_Q_NEUTRAL, k != 0 ? (int)k : -1);
        if (st->dns_lookups > SPF_LOOKUP_LIMIT) {
                stop(c, SPF_RESULT_PERMERROR, "too_many_lookups", -1);
                return;
        }
        int added[SPF_NODES_MAX];
        unsigned n = 0;
        for (unsigned i = 0; i < rec->target_count; i++) {
                int node = add_node(c, k, rec, &rec->targets[i]);
                if (node < 0)
                        break;
                added[n++] = node;
        }
        while (n > 0 && st->nstack < SPF_NODES_MAX)
                st->stack[st->nstack++] = (uint8_t)added[--n];
}

/* The next node to ask, or CHECK_DONE. */
static enum check_step advance(struct sc *c)
{
        struct spf_state *st = c->st;
        if (st->nstack == 0)
                return CHECK_DONE;
        unsigned k = st->stack[--st->nstack];
        char name[DS_NAME_MAX_TEXT + 1];
        node_name(c, k, name);
        /* Caught where a receiver meets it, after the terms before it: an error they give
         * (a temperror, a third void lookup) comes first, as it would for the receiver. */
        bool tree = st->nodes[k].kind == SPF_INCLUDE || st->nodes[k].kind == SPF_REDIRECT;
        if (tree && in_ancestry(c, st->nodes[k].parent, name)) {
                stop(c, SPF_RESULT_PERMERROR, "include_loop", (int)k);
                return CHECK_DONE;
        }
        static const uint16_t qtype[SPF_KIND_COUNT] = {
            [SPF_ALL] = WIRE_TYPE_TXT, /* node 0: the domain */
            [SPF_INCLUDE] = WIRE_TYPE_TXT, [SPF_REDIRECT] = WIRE_TYPE_TXT, [SPF_A] = WIRE_TYPE_A,
            [SPF_MX] = WIRE_TYPE_MX,       [SPF_EXISTS] = WIRE_TYPE_A,
        };
        uint16_t qt = qtype[st->nodes[k].kind];
        if (ds_fails(qt != 0) || lookup_set(c->l, name, qt) < 0) {
                /* The parser keeps only valid names: this cannot be asked, nor can it match. */
                st->nodes[k].status = LOOKUP_NAME_TOO_LONG;
                return advance(c);
        }
        /* Names under another domain are asked by many (a provider's include, its a and mx
         * names); the domain's own are not. */
        c->l->shared = strcmp(name, c->domain) != 0;
        st->cur = (uint8_t)k;
        st->nodes[k].order = st->norder++;
        return CHECK_QUERY;
}

/* ---- one reply per kind --------------------------------------------------------------- */

/* RFC 7208 4.5 selection and parse of s->txts into rec, within the domain's budget: what its
 * own record holds (own_bytes; own: this is that record) and rec at once. Past it the line
 * says budget_exceeded. */
static void select_record(struct sc *c, struct spf_record *rec, bool own)
{
        struct ds_budget *b = &c->s->budget;
        ds_budget_reset(b);
        if (!own)
                (void)ds_budget_take(b, c->st->own_bytes);
        size_t left = ds_budget_left(b);
        rec->mem.budget.limit = left ? left : 1; /* 0 would be the default */
        spf_select(c->s->txts, c->s->ntxt, rec);
        if (own)
                c->st->own_bytes = (uint32_t)rec->mem.budget.used;
        if (rec->over_budget)
                issue(c, "budget_exceeded", true, -1);
}

static void hold_spf_txts(struct sc *c)
{
        struct spf_state *st = c->st;
        st->held_len = 0;
        st->records = 0;
        st->other_txt = sat16(c->s->ntxt_other);
        for (unsigned i = 0; i < c->s->ntxt; i++) {
                const struct spf_txt *t = &c->s->txts[i];
                uint16_t n = (uint16_t)t->len;
                buf_put(st->held_inl, SPF_HELD_INLINE, &st->held_big, &st->held_len, &st->held_cap,
                        &n, sizeof(n));
                buf_put(st->held_inl, SPF_HELD_INLINE, &st->held_big, &st->held_len, &st->held_cap,
                        t->text, n);
                st->records++;
        }
}

static void after_domain(struct sc *c, int status)
{
        struct spf_state *st = c->st;
        if (lookup_failed(status)) {
                stop(c, SPF_RESULT_TEMPERROR, "dns_error", 0);
                return;
        }
        if (status != WIRE_RCODE_NOERROR) {
                st->result = SPF_RESULT_NONE;
                return;
        }
        hold_spf_txts(c);
        struct spf_record *rec = &c->s->spf.rec;
        select_record(c, rec, true);
        st->result = (uint8_t)rec->result;
        if (rec->result == SPF_RESULT_OK)
                evaluate(c, rec, 0);
}

/* An include or redirect target's record. */
static void after_tree_node(struct sc *c, unsigned k, int status, int count)
{
        struct spf_state *st = c->st;
        bool include = st->nodes[k].kind == SPF_INCLUDE;
        if (lookup_failed(status)) {
                stop(c, SPF_RESULT_TEMPERROR, "dns_error", (int)k);
                return;
        }
        struct spf_record *rec = &c->s->tmp;
        select_record(c, rec, false);
        st->nodes[k].result = (uint8_t)rec->result;
        if (status == WIRE_RCODE_NXDOMAIN || count == 0)
                st->void_lookups = sat16(st->void_lookups + 1u);
        if (rec->result == SPF_RESULT_NONE) {
                stop(c, SPF_RESULT_PERMERROR, include ? "include_missing" : "redirect_missing",
                     (int)k);
                return;
        }
        if (rec->result != SPF_RESULT_OK) {
                stop(c, SPF_RESULT_PERMERROR, include ? "include_permerror" : "redirect_permerror",
                     (int)k);
                return;
        }
        evaluate(c, rec, k);
}

/* An a, mx or exists name: whether it is void, how many MX names it has, and whether a
 * wide term (a:<name>/0, exists) matches every client: the name has an A record. */
static void after_name(struct sc *c, unsigned k, int status, int count)
{
        struct spf_state *st = c->st;
        if (lookup_failed(status)) {
                stop(c, SPF_RESULT_TEMPERROR, "dns_error", (int)k);
                return;
        }
        st->nodes[k].answers = (uint8_t)(count > 255 ? 255 : count);
        if (status == WIRE_RCODE_NXDOMAIN || count == 0) {
                st->void_lookups = sat16(st->void_lookups + 1u);
                if (st->void_lookups > SPF_VOID_LIMIT) {
                        stop(c, SPF_RESULT_PERMERROR, "too_many_void_lookups", (int)k);
                        return;
                }
        }
        if (st->nodes[k].kind == SPF_MX && count > SPF_MX_NAMES_LIMIT) {
                stop(c, SPF_RESULT_PERMERROR, "too_many_mx", (int)k);
                return;
        }
        if (st->nodes[k].wide && status == WIRE_RCODE_NOERROR && count > 0)
                everyone(c, (unsigned)st->nodes[k].parent,
                         (enum spf_qualifier)st->nodes[k].qualifier, (int)k);
}

/* ---- the result in the scratch -------------------------------------------------------- */

static void result_fill(const struct sc *c, struct spf_eval *d)
{
        const struct spf_state *st = c->st;
        d->status = st->nodes[0].status;
        d->result = (enum spf_result)st->result;
        d->all = (enum spf_all)st->all;
        d->all_known = st->all_known && st->result == SPF_RESULT_OK;
        d->include_pass_all = st->include_pass_all && st->result == SPF_RESULT_OK;
        d->everyone_pass = st->everyone_pass && st->result == SPF_RESULT_OK;
        d->permissive = st->permissive || d->include_pass_all || d->everyone_pass ||
                        (st->everyone_neutral && st->result == SPF_RESULT_OK);
        d->records = st->records;
        d->other_txt = st->other_txt;
        d->dns_lookups = st->dns_lookups;
        d->void_lookups = st->void_lookups;
        d->attempts = c->l->attempts;
        d->nnodes = st->nnodes;
        memcpy(d->nodes, st->nodes, st->nnodes * sizeof(st->nodes[0]));
        d->nissues = st->nissues;
        for (unsigned i = 0; i < st->nissues; i++)
                d->issues[i] = (struct spf_tree_issue){.code = spf_tree_codes[st->issues[i].code],
                                                       .error = st->issues[i].error,
                                                       .node = st->issues[i].node};
        d->held_text = held_of(st);
        d->held_len = st->held_len;
        d->names = names_of(st);
        d->budget = c->s->budget.limit ? c->s->budget.limit : DS_DOMAIN_BUDGET;
}

/* The domain's record parsed again from the held text (the scratch served others since). */
static void reparse(struct sc *c)
{
        struct spf_scratch *s = c->s;
        const char *p = held_of(c->st);
        txts_room(s, c->st->records);
        s->ntxt = 0;
        for (uint32_t off = 0; off + 2 <= c->st->held_len && s->ntxt < c->st->records;) {
                uint16_t len;
                memcpy(&len, p + off, sizeof(len));
                s->txts[s->ntxt++] = (struct spf_txt){.text = p + off + 2, .len = len};
                off += 2u + len;
        }
        select_record(c, &s->spf.rec, true);
}

/* ---- the check's hooks ---------------------------------------------------------------- */

static struct sc sc_of(const struct check_arg *a)
{
        return (struct sc){.st = a->state, .l = a->l, .domain = a->job->in.domain, .s = a->scratch};
}

static enum check_step spf_start(const struct check_arg *a)
{
        struct sc c = sc_of(a);
        c.st->nnodes = 1;
        c.st->nodes[0] = (struct spf_node){.kind = SPF_ALL, .parent = -1, .status = LOOKUP_PENDING};
        c.st->stack[c.st->nstack++] = 0;
        c.st->result = SPF_RESULT_NONE;
        return advance(&c);
}

static enum check_step spf_on_reply(const struct check_arg *a)
{
        struct sc c = sc_of(a);
        int status, count;
        if (read_reply(&c, &status, &count) == READ_FOLLOW)
                return CHECK_QUERY;
        unsigned k = c.st->cur;
        c.st->nodes[k].status = (int16_t)status;
        switch (c.st->nodes[k].kind) {
        case SPF_ALL:
                after_domain(&c, status);
                break;
        case SPF_INCLUDE:
        case SPF_REDIRECT:
                after_tree_node(&c, k, status, count);
                break;
        default:
                after_name(&c, k, status, count);
                break;
        }
        if (k == 0) { /* the scratch holds the domain's record until another's replaces it */
                c.s->spf.for_state = a->state;
                c.s->spf.for_gen = a->job->gen;
        }
        return advance(&c);
}

static enum spf_fact fact_of(const struct spf_eval *d)
{
        switch (d->result) {
        case SPF_RESULT_NONE:
                return SPF_FACT_NONE;
        case SPF_RESULT_PERMERROR:
                return SPF_FACT_PERMERROR;
        case SPF_RESULT_TEMPERROR:
                return SPF_FACT_TEMPERROR;
        case SPF_RESULT_OK:
                break;
        }
        if (!d->all_known)
                return SPF_FACT_NEUTRAL; /* a redirect by macro: no all is known to apply */
        if (d->all == SPF_ALL_PASS || d->include_pass_all || d->everyone_pass)
                return SPF_FACT_PASS_ALL;
        return d->permissive ? SPF_FACT_NEUTRAL : SPF_FACT_FAIL;
}

static void spf_conclude(const struct check_arg *a, struct check_facts *f)
{
        struct sc c = sc_of(a);
        struct spf_eval *d = &c.s->spf;
        if (d->for_state != a->state || d->for_gen != a->job->gen)
                reparse(&c);
        d->parsed = c.st->records > 0;
        result_fill(&c, d);
        d->for_state = a->state;
        d->for_gen = a->job->gen;
        f->status = d->status;
        f->exists = d->status == WIRE_RCODE_NXDOMAIN  ? TRI_NO
                    : d->status == WIRE_RCODE_NOERROR ? TRI_YES
                                                      : TRI_UNKNOWN;
        f->spf = (int8_t)fact_of(d);
}

static void spf_render(const struct check_arg *a, struct jw *w)
{
        const struct spf_scratch *s = a->scratch;
        spf_line_write(w, &s->spf, a->job->in.domain, a->env && a->env->details);
}

static void spf_clear(void *state)
{
        struct spf_state *st = state;
        free(st->names_big);
        free(st->held_big);
        st->names_big = st->held_big = NULL;
}

static void spf_scratch_free(void *scratch)
{
        struct spf_scratch *s = scratch;
        spf_record_free(&s->spf.rec);
        spf_record_free(&s->tmp);
        free(s->txts);
        free(s->text);
        s->txts = NULL;
        s->text = NULL;
        s->txts_cap = s->text_cap = 0;
}

const struct check_ops spf_check = {
    .name = "spf",
    .state_size = sizeof(struct spf_state),
    .scratch_size = sizeof(struct spf_scratch),
    .scratch_free = spf_scratch_free,
    .start = spf_start,
    .on_reply = spf_on_reply,
    .conclude = spf_conclude,
    .render = spf_render,
    .clear = spf_clear,
};
