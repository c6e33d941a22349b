/* record.c -- a scan line reduced to the facts `dmarcscan diff` compares. */
#include "scanner/diff/record.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "common/hash.h"
#include "scanner/diff/jscan.h"

static const char *const STATUS[DST_N] = {NULL, "OK", "EXCLUDED"};
static const char *const POSTURE[DP_N] = {NULL,      "reject",  "quarantine", "none",
                                          "missing", "invalid", "error"};
static const char *const SPOOF[DSP_N] = {NULL, "yes", "subdomains_only", "maybe", "no", "unknown"};
static const char *const ALL[DA_N] = {NULL, "fail", "softfail", "neutral", "pass", "null"};
static const char *const CHANGE[DIFF_CHANGE_KINDS] = {
    "status",       "posture_up",     "posture_down",     "posture_other",
    "record_added", "record_removed", "enforcing_gained", "enforcing_lost",
    "spf_all",      "spoofable",      "receivers"};

static const char *name_of(const char *const *names, unsigned n, unsigned v)
{
        return v < n ? names[v] : NULL;
}

const char *diff_status_name(unsigned v)
{
        return name_of(STATUS, DST_N, v);
}
const char *diff_posture_name(unsigned v)
{
        return name_of(POSTURE, DP_N, v);
}
const char *diff_spoof_name(unsigned v)
{
        return name_of(SPOOF, DSP_N, v);
}
const char *diff_all_name(unsigned v)
{
        return name_of(ALL, DA_N, v);
}

const char *diff_change_name(unsigned bit)
{
        for (unsigned i = 0; i < DIFF_CHANGE_KINDS; i++)
                if (bit == 1u << i)
                        return CHANGE[i];
        return NULL;
}

/* The index of the string among names[1..n), 0 when it is none of them. */
static uint8_t lookup(const char *const *names, unsigned n, const char *v, size_t len)
{
        for (unsigned i = 1; i < n; i++)
                if (strlen(names[i]) == len && memcmp(v, names[i], len) == 0)
                        return (uint8_t)i;
        return 0;
}

/* One receiver's organization: its bytes in the encoder's names. */
struct diff_org {
        uint32_t off, len;
};

/* The facts of one line, as read (the receivers' organizations in e). */
struct facts {
        char domain[DIFF_DOMAIN_MAX];
        size_t domain_len;
        bool has_domain, has_status;
        uint8_t status, posture, enforcing, spoofable, spf_all;
        struct diff_enc *e;
};

/* A string or null member into names' index (0 for null or an unknown value). */
static uint8_t named(struct jscan *js, const char *const *names, unsigned n)
{
        char v[64];
        size_t len;
        if (js_peek(js) != JS_STRING)
                return js_literal(js) == JS_NULL ? 0 : (js->bad = true, 0);
        if (!js_string(js, v, sizeof v, &len))
                return 0;
        return lookup(names, n, v, len);
}

static uint8_t tri(struct jscan *js)
{
        enum js_type t = js_literal(js);
        return t == JS_TRUE ? DT_TRUE : t == JS_FALSE ? DT_FALSE : DT_NULL;
}

/* "spf": null, or an object whose "all" is the effective all. */
static uint8_t spf_all_of(struct jscan *js)
{
        if (js_peek(js) != JS_OBJECT)
                return js_literal(js) == JS_NULL ? DA_NA : (js->bad = true, DA_NA);
        uint8_t all = DA_NONE;
        const char *k;
        size_t kl;
        js_enter(js);
        while (js_key(js, &k, &kl) > 0) {
                if (js_key_is(k, kl, "all") && js_peek(js) == JS_STRING) {
                        uint8_t v = named(js, ALL, DA_N - 1);
                        all = v ? v : DA_NONE;
                } else {
                        js_skip(js);
                }
        }
        return all;
}

/* One receiver object: its "org", else its "host". */
static void receiver(struct jscan *js, struct facts *f)
{
        char org[1024], host[1024];
        size_t olen = 0, hlen = 0;
        bool has_org = false, has_host = false;
        const char *k;
        size_t kl;
        if (!js_enter(js))
                return;
        while (js_key(js, &k, &kl) > 0) {
                if (js_key_is(k, kl, "org") && js_peek(js) == JS_STRING)
                        has_org = js_string(js, org, sizeof org, &olen);
                else if (js_key_is(k, kl, "host") && js_peek(js) == JS_STRING)
                        has_host = js_string(js, host, sizeof host, &hlen);
                else
                        js_skip(js);
        }
        if (!has_org && !has_host)
                return;
        struct diff_enc *e = f->e;
        size_t n = has_org ? olen : hlen;
        e->names = ds_xgrow(e->names, &e->names_cap, e->names_len + n, "a line's receivers");
        memcpy(e->names + e->names_len, has_org ? org : host, n);
        e->orgs = ds_xgrow(e->orgs, &e->orgs_cap, (e->norgs + 1) * sizeof(*e->orgs),
                           "a line's receivers");
        e->orgs[e->norgs++] = (struct diff_org){.off = (uint32_t)e->names_len, .len = (uint32_t)n};
        e->names_len += n;
}

static void dmarc_of(struct jscan *js, struct facts *f)
{
        if (js_peek(js) != JS_OBJECT) {
                js_skip(js);
                return;
        }
        const char *k;
        size_t kl;
        js_enter(js);
        while (js_key(js, &k, &kl) > 0) {
                if (!js_key_is(k, kl, "receivers") || js_peek(js) != JS_ARRAY) {
                        js_skip(js);
                        continue;
                }
                js_enter(js);
                while (js_elem(js) > 0)
                        receiver(js, f);
        }
}

static void member(struct jscan *js, const char *k, size_t kl, struct facts *f)
{
        if (js_key_is(k, kl, "domain")) {
                f->has_domain = js_peek(js) == JS_STRING;
                if (f->has_domain)
                        js_string(js, f->domain, sizeof f->domain, &f->domain_len);
                else
                        js_skip(js);
        } else if (js_key_is(k, kl, "status")) {
                f->has_status = js_peek(js) == JS_STRING;
                f->status = named(js, STATUS, DST_N);
        } else if (js_key_is(k, kl, "posture")) {
                f->posture = named(js, POSTURE, DP_N);
        } else if (js_key_is(k, kl, "enforcing")) {
                f->enforcing = tri(js);
        } else if (js_key_is(k, kl, "spoofable")) {
                f->spoofable = named(js, SPOOF, DSP_N);
        } else if (js_key_is(k, kl, "spf")) {
                f->spf_all = spf_all_of(js);
        } else if (js_key_is(k, kl, "dmarc")) {
                dmarc_of(js, f);
        } else {
                js_skip(js);
        }
}

static bool read_facts(const char *line, size_t len, struct facts *f)
{
        struct jscan js;
        const char *k;
        size_t kl;
        js_init(&js, line, len);
        if (!js_enter(&js) || js.p[-1] != '{')
                return false;
        while (js_key(&js, &k, &kl) > 0)
                member(&js, k, kl, f);
        return js_at_end(&js) && f->has_status;
}

static int org_cmp(const void *a, const void *b, void *arg)
{
        const char *names = arg;
        const struct diff_org *x = a, *y = b;
        int c = memcmp(names + x->off, names + y->off, x->len < y->len ? x->len : y->len);
        return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* The organizations, sorted and each once, into p (room bytes): as many as fit, each as a
 * length byte and its bytes; the rest (and any over 255 bytes) counted in *dropped. Every
 * one goes into the hash, so that a change the record cannot list is still seen. Returns
 * the bytes written. */
static size_t put_receivers(struct diff_enc *e, unsigned char *p, size_t room, uint32_t *kept,
                            uint32_t *dropped, uint64_t *hash)
{
        size_t len = 0;
        bool full = false; /* one did not fit: the list stays a prefix of the set */
        *kept = *dropped = 0;
        *hash = 0;
        if (e->norgs)
                qsort_r(e->orgs, e->norgs, sizeof(*e->orgs), org_cmp, e->names);
        for (size_t i = 0; i < e->norgs; i++) {
                const struct diff_org *o = &e->orgs[i];
                if (i > 0 && org_cmp(&e->orgs[i - 1], o, e->names) == 0)
                        continue;
                *hash = ds_hash(*hash, e->names + o->off, o->len);
                full = full || (o->len <= 255 && len + 1 + o->len > room);
                if (full || o->len > 255) {
                        (*dropped)++;
                        continue;
                }
                p[len++] = (unsigned char)o->len;
                memcpy(p + len, e->names + o->off, o->len);
                len += o->len;
                (*kept)++;
        }
        return len;
}

int diff_rec_encode(struct diff_enc *e, const char *line, size_t len, uint64_t seq,
                    unsigned char *buf)
{
        struct facts f;
        f.has_domain = f.has_status = false;
        f.status = f.posture = f.enforcing = f.spoofable = f.spf_all = 0;
        f.e = e;
        e->names_len = e->norgs = 0;
        if (!read_facts(line, len, &f))
                return -EINVAL;
        if (!f.has_domain)
                return 0;
        size_t dlen = f.domain_len;
        if (dlen > 1 && f.domain[dlen - 1] == '.')
                dlen--;
        if (dlen == 0)
                return -EINVAL;
        unsigned char *p = buf;
        uint16_t d16 = (uint16_t)dlen;
        memcpy(p, &d16, 2);
        p += 2;
        for (size_t i = 0; i < dlen; i++) {
                char c = f.domain[i];
                *p++ = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
        memcpy(p, &seq, 8);
        p += 8;
        *p++ = f.status;
        *p++ = f.posture;
        *p++ = f.enforcing;
        *p++ = f.spoofable;
        *p++ = f.spf_all;
        unsigned char *head = p; /* kept, dropped, hash, blob length */
        p += 4 + 4 + 8 + 4;
        uint32_t kept, dropped, rlen;
        uint64_t hash;
        rlen =
            (uint32_t)put_receivers(e, p, DIFF_REC_MAX - (size_t)(p - buf), &kept, &dropped, &hash);
        memcpy(head, &kept, 4);
        memcpy(head + 4, &dropped, 4);
        memcpy(head + 8, &hash, 8);
        memcpy(head + 16, &rlen, 4);
        p += rlen;
        ds_require((size_t)(p - buf) <= DIFF_REC_MAX);
        return (int)(p - buf);
}

void diff_enc_free(struct diff_enc *e)
{
        free(e->names);
        free(e->orgs);
        *e = (struct diff_enc){0};
}

int diff_rec_decode(const void *data, size_t len, struct diff_rec *r)
{
        const unsigned char *p = data, *end = p + len;
        uint16_t d16;
        uint32_t rlen;
        if (len < 2)
                return -EINVAL;
        memcpy(&d16, p, 2);
        if ((size_t)(end - p) < 2u + d16 + 8 + 5 + 20)
                return -EINVAL;
        r->domain = (const char *)p + 2;
        r->domain_len = d16;
        p += 2 + d16;
        memcpy(&r->seq, p, 8);
        p += 8;
        r->status = *p++;
        r->posture = *p++;
        r->enforcing = *p++;
        r->spoofable = *p++;
        r->spf_all = *p++;
        memcpy(&r->nreceivers, p, 4);
        memcpy(&r->receivers_dropped, p + 4, 4);
        memcpy(&r->receivers_hash, p + 8, 8);
        memcpy(&rlen, p + 16, 4);
        p += 20;
        if ((size_t)(end - p) != rlen || r->status >= DST_N || r->posture >= DP_N ||
            r->spoofable >= DSP_N || r->spf_all >= DA_N)
                return -EINVAL;
        r->receivers = p;
        r->receivers_len = rlen;
        return 0;
}

static int domain_cmp(const char *a, size_t an, const char *b, size_t bn)
{
        int c = memcmp(a, b, an < bn ? an : bn);
        return c ? c : (an > bn) - (an < bn);
}

int diff_rec_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
        struct diff_rec x, y;
        /* Records come from diff_rec_encode(): a bad one is memory gone wrong. */
        ds_require(diff_rec_decode(a, alen, &x) == 0 && diff_rec_decode(b, blen, &y) == 0);
        int c = domain_cmp(x.domain, x.domain_len, y.domain, y.domain_len);
        return c ? c : (x.seq > y.seq) - (x.seq < y.seq);
}

int diff_rec_domain_cmp(const struct diff_rec *a, const struct diff_rec *b)
{
        return domain_cmp(a->domain, a->domain_len, b->domain, b->domain_len);
}

bool diff_posture_has_record(unsigned posture)
{
        return posture == DP_REJECT || posture == DP_QUARANTINE || posture == DP_NONE ||
               posture == DP_INVALID;
}

/* Protection a posture gives, in order; -1 when it says nothing (error, not known). */
static int level(unsigned posture)
{
        switch (posture) {
        case DP_MISSING:
        case DP_INVALID:
                return 0;
        case DP_NONE:
                return 1;
        case DP_QUARANTINE:
                return 2;
        case DP_REJECT:
                return 3;
        default:
                return -1;
        }
}

static unsigned posture_changes(unsigned o, unsigned n)
{
        if (o == n || o == DP_NA || n == DP_NA)
                return 0;
        int lo = level(o), ln = level(n);
        unsigned c = lo < 0 || ln < 0 ? DIFF_POSTURE_OTHER
                     : ln > lo        ? DIFF_POSTURE_UP
                     : ln < lo        ? DIFF_POSTURE_DOWN
                                      : DIFF_POSTURE_OTHER;
        if (lo >= 0 && ln >= 0 && diff_posture_has_record(o) != diff_posture_has_record(n))
                c |= diff_posture_has_record(n) ? DIFF_RECORD_ADDED : DIFF_RECORD_REMOVED;
        return c;
}

/* The whole sets, through their hashes; the lists too, so that a collision is not enough. */
static bool receivers_equal(const struct diff_rec *a, const struct diff_rec *b)
{
        return a->receivers_hash == b->receivers_hash && a->receivers_len == b->receivers_len &&
               memcmp(a->receivers, b->receivers, a->receivers_len) == 0;
}

unsigned diff_changes(const struct diff_rec *o, const struct diff_rec *n)
{
        unsigned c = 0;
        if (o->status != n->status)
                c |= DIFF_STATUS;
        c |= posture_changes(o->posture, n->posture);
        if (o->enforcing != DT_NULL && n->enforcing != DT_NULL && o->enforcing != n->enforcing)
                c |= n->enforcing == DT_TRUE ? DIFF_ENFORCING_GAINED : DIFF_ENFORCING_LOST;
        if (o->spf_all != DA_NA && n->spf_all != DA_NA && o->spf_all != n->spf_all)
                c |= DIFF_SPF_ALL;
        if (o->spoofable != DSP_NA && n->spoofable != DSP_NA && o->spoofable != n->spoofable)
                c |= DIFF_SPOOFABLE;
        if (o->posture != DP_NA && n->posture != DP_NA && o->posture != DP_ERROR &&
            n->posture != DP_ERROR && !receivers_equal(o, n))
                c |= DIFF_RECEIVERS;
        return c;
}
