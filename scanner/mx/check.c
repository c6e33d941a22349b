/* check.c -- the MX check: <domain> MX, its hosts sorted, null MX (RFC 7505), and its hooks
 * (scanner/check.h). */
#include "scanner/mx/check.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/text.h"
#include "dns/wire.h"
#include "common/tristate.h"
#include "scanner/job.h"
#include "scanner/mx/line.h"

/* ---- the reply ------------------------------------------------------------------------ */

/* The next MX RR of the answer owned by name (class IN): 1, or 0 at the end. */
static int next_mx(struct wire_rr_iter *it, const uint8_t *name, size_t name_len,
                   struct wire_rr *rr)
{
        while (wire_rr_next(it, rr) == 1 && rr->section == WIRE_SEC_ANSWER) {
                if (rr->type != WIRE_TYPE_MX || rr->rclass != WIRE_CLASS_IN)
                        continue;
                if (wire_name_equal(it->r->pkt, it->r->len, rr->owner_off, name, name_len) == 1)
                        return 1;
        }
        return 0;
}

/* lookup_read()'s question after a CNAME: does the reply hold the data at the final owner,
 * or did the CNAME leave the server's zone (then its target is asked)? */
static bool has_mx(const struct wire_reply *r, const uint8_t *name, size_t name_len, void *ctx)
{
        (void)ctx;
        struct wire_rr_iter it;
        struct wire_rr rr;
        wire_rr_iter_init(&it, r);
        return next_mx(&it, name, name_len, &rr) == 1;
}

/* Every MX RR at name holds exactly a preference and a name. */
static bool mx_rdata_ok(const struct wire_reply *r, const uint8_t *name, size_t name_len)
{
        struct wire_rr_iter it;
        struct wire_rr rr;
        uint8_t host[DS_NAME_MAX_WIRE];
        uint16_t pref;
        wire_rr_iter_init(&it, r);
        while (next_mx(&it, name, name_len, &rr) == 1)
                if (wire_mx_read(r, &rr, &pref, host, sizeof(host)) < 0)
                        return false;
        return true;
}

/* ---- the result ----------------------------------------------------------------------- */

const char *const mx_issue_codes[] = {
    "null_mx_mixed",  "mx_is_ip",       "null_mx_preference", "null_mx_multiple",
    "duplicate_host", "cname_dangling", "budget_exceeded",    NULL,
};

static void issue(struct mx_result *m, const char *code, bool error)
{
        for (unsigned i = 0; i < m->nissues; i++)
                if (m->issues[i].code == code)
                        return;
        if (ds_fails(m->nissues < MX_ISSUES_MAX) || ds_fails(ds_listed(mx_issue_codes, code)))
                return;
        m->issues[m->nissues++] = (struct mx_issue){.code = code, .error = error};
}

/* Lower-case text of a wire name (escapes are digits: unaffected). */
static void name_text(const uint8_t *name, size_t len, char *out, size_t cap)
{
        if (ds_fails(wire_name_to_text(name, len, out, cap) >= 0)) {
                out[0] = 0;
                return;
        }
        for (char *p = out; *p; p++)
                if (*p >= 'A' && *p <= 'Z')
                        *p = (char)(*p - 'A' + 'a');
}

/* An exchange written as an address: "192.0.2.1", "[192.0.2.1]", "2001:db8::1". Senders
 * look it up as a host name and find nothing (RFC 5321 5.1: the exchange is a domain). */
static bool looks_like_ip(const char *text)
{
        char buf[64];
        unsigned char addr[16];
        size_t n = strlen(text);
        if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
                text++;
                n -= 2;
        }
        if (n == 0 || n >= sizeof(buf))
                return false;
        memcpy(buf, text, n);
        buf[n] = 0;
        return inet_pton(AF_INET, buf, addr) == 1 || inet_pton(AF_INET6, buf, addr) == 1;
}

static int host_cmp(const void *a, const void *b)
{
        const struct mx_host *x = a, *y = b;
        if (x->pref != y->pref)
                return x->pref < y->pref ? -1 : 1;
        return strcmp(x->name, y->name);
}

/* Keep (pref, name): every host of the reply, unless the budget refuses it (counted). */
static void host_add(struct mx_result *m, uint16_t pref, const char *name)
{
        long off = ds_vec_append(&m->names, name, strlen(name) + 1, &m->budget, "MX host names");
        struct mx_host *h =
            off < 0 ? NULL : ds_vec_push(&m->hosts_mem, sizeof(*h), &m->budget, "MX hosts");
        if (!h) {
                m->hosts_dropped++;
                return;
        }
        h->pref = pref;
        h->name_off = (uint32_t)off;
        m->nhosts++;
}

/* Every host read: point the names into their storage (it no longer moves) and sort by
 * (preference, name). */
static void hosts_sort(struct mx_result *m)
{
        struct mx_host *h = m->hosts_mem.buf;
        for (unsigned i = 0; i < m->nhosts; i++)
                h[i].name = (const char *)m->names.buf + h[i].name_off;
        if (m->nhosts)
                qsort(h, m->nhosts, sizeof(*h), host_cmp);
        m->hosts = h;
}

/* One MX RR: "." counts as a null MX, anything else is a host. */
static void take_mx(struct mx_result *m, const struct wire_reply *r, const struct wire_rr *rr,
                    bool *root_pref_nonzero)
{
        uint8_t wire[DS_NAME_MAX_WIRE];
        char text[MX_HOST_TEXT_MAX];
        uint16_t pref;
        int n = wire_mx_read(r, rr, &pref, wire, sizeof(wire));
        if (ds_fails(n > 0)) /* on_reply() made a bad rdata MALFORMED */
                return;
        if (wire[0] == 0) {
                m->nroot++;
                *root_pref_nonzero |= pref != 0;
                return;
        }
        name_text(wire, (size_t)n, text, sizeof(text));
        if (looks_like_ip(text))
                issue(m, "mx_is_ip", true);
        host_add(m, pref, text);
}

/* A name listed twice, at any preferences. */
static void find_duplicates(struct mx_result *m)
{
        for (unsigned i = 0; i < m->nhosts; i++)
                for (unsigned k = i + 1; k < m->nhosts; k++)
                        if (strcmp(m->hosts[i].name, m->hosts[k].name) == 0) {
                                issue(m, "duplicate_host", false);
                                return;
                        }
}

/* The MX RRs of the reply kept in l (its final owner is l->qname). */
static void collect(struct mx_result *m, const struct lookup *l)
{
        struct wire_reply r;
        struct wire_rr_iter it;
        struct wire_rr rr;
        bool root_pref_nonzero = false;
        if (ds_fails(lookup_parse(l, &r) == 0)) {
                m->status = LOOKUP_MALFORMED; /* on_reply() parsed this very reply */
                return;
        }
        wire_rr_iter_init(&it, &r);
        while (next_mx(&it, l->qname, l->qname_len, &rr) == 1)
                take_mx(m, &r, &rr, &root_pref_nonzero);
        hosts_sort(m);
        find_duplicates(m);
        if (m->hosts_dropped)
                issue(m, "budget_exceeded", true);
        unsigned real = m->nhosts + m->hosts_dropped;
        m->null_mx = m->nroot && !real;
        if (m->nroot && real)
                issue(m, "null_mx_mixed", true);
        if (m->null_mx && m->nroot > 1)
                issue(m, "null_mx_multiple", false);
        if (m->null_mx && root_pref_nonzero)
                issue(m, "null_mx_preference", false);
}

/* exists and mail from the status. A CNAME at the domain shows that it exists, whatever
 * its target says (as the DMARC check's existence rule, docs/verdicts.md). */
static void classify(struct mx_result *m)
{
        if (m->status == WIRE_RCODE_NOERROR) {
                m->exists = TRI_YES;
                m->mail = m->nhosts    ? MAIL_FACT_MX
                          : m->null_mx ? MAIL_FACT_NULL_MX
                                       : MAIL_FACT_NO_MX;
        } else if (m->status == WIRE_RCODE_NXDOMAIN) {
                /* Senders resolving a dangling alias meet the NXDOMAIN too. */
                m->exists = m->cname_hops ? TRI_YES : TRI_NO;
                m->mail = MAIL_FACT_NXDOMAIN;
                if (m->cname_hops)
                        issue(m, "cname_dangling", false);
        } else {
                m->exists = m->cname_hops ? TRI_YES : TRI_UNKNOWN;
                m->mail = MAIL_FACT_ERROR;
        }
}

void mx_read(struct mx_result *m, int status, const struct lookup *l)
{
        m->status = status;
        m->attempts = l->attempts;
        m->cname_hops = l->cname_hops;
        m->target[0] = 0;
        if (l->cname_hops)
                name_text(l->qname, l->qname_len, m->target, sizeof(m->target));
        m->null_mx = false;
        m->nroot = m->nhosts = m->hosts_dropped = m->nissues = 0;
        m->hosts_mem.n = m->names.n = 0;
        m->hosts = NULL;
        ds_budget_reset(&m->budget);
        if (m->status == WIRE_RCODE_NOERROR)
                collect(m, l);
        classify(m);
}

/* ---- the check's hooks ---------------------------------------------------------------- */

static enum check_step mx_start(const struct check_arg *a)
{
        struct mx_state *st = a->state;
        st->status = LOOKUP_PENDING;
        /* The input check let only names of at most 253 characters through. */
        if (ds_fails(lookup_set(a->l, a->job->in.domain, WIRE_TYPE_MX) == 0)) {
                snprintf(a->job->in.error, sizeof(a->job->in.error),
                         "name too long to ask (over 255 octets)");
                return CHECK_ILLEGAL;
        }
        return CHECK_QUERY;
}

enum check_step mx_answer(struct lookup *l, int16_t *status)
{
        struct wire_reply r;
        int st;
        if (lookup_read(l, &r, &st, has_mx, NULL) == LOOKUP_READ_FOLLOW)
                return CHECK_QUERY;
        /* wire_reply_parse() does not look inside MX rdata: a bad one spoils the reply, as a
         * bad TXT or CNAME rdata does. */
        if (st == WIRE_RCODE_NOERROR && !mx_rdata_ok(&r, l->qname, l->qname_len))
                st = LOOKUP_MALFORMED;
        *status = (int16_t)st;
        return CHECK_DONE;
}

static enum check_step mx_on_reply(const struct check_arg *a)
{
        struct mx_state *st = a->state;
        return mx_answer(a->l, &st->status);
}

/* The reply is still in a->l (check.h above): the result is rebuilt from it every time,
 * one parse of one packet, so the state stays a status. */
static void mx_conclude(const struct check_arg *a, struct check_facts *f)
{
        struct mx_scratch *s = a->scratch;
        const struct mx_state *st = a->state;
        mx_read(&s->mx, st->status, a->l);
        f->status = s->mx.status;
        f->exists = s->mx.exists;
        f->mail = s->mx.mail;
}

static void mx_render(const struct check_arg *a, struct jw *w)
{
        const struct mx_scratch *s = a->scratch;
        mx_line_write(w, &s->mx);
}

void mx_result_free(struct mx_result *m)
{
        ds_vec_free(&m->hosts_mem);
        ds_vec_free(&m->names);
}

static void mx_scratch_free(void *scratch)
{
        struct mx_scratch *s = scratch;
        mx_result_free(&s->mx);
}

const struct check_ops mx_check = {
    .name = "mx",
    .state_size = sizeof(struct mx_state),
    .scratch_size = sizeof(struct mx_scratch),
    .scratch_free = mx_scratch_free,
    .start = mx_start,
    .on_reply = mx_on_reply,
    .conclude = mx_conclude,
    .render = mx_render,
};
