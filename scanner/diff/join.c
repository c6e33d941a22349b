/* join.c -- walking two sorted scans side by side, domain by domain. */
#include "scanner/diff/join.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "output/json.h"
#include "scanner/diff/record.h"

/* The current distinct domain of one side: its first record, copied out of the sort. */
struct cursor {
        struct extsort *sort;
        struct diff_side_stats *stats;
        unsigned char buf[DIFF_REC_MAX];
        struct diff_rec rec;
        bool have;
        const void *ahead; /* the sort's next record, not yet taken; NULL at the end */
        size_t ahead_len;
};

static int fetch(struct cursor *c)
{
        int rc = extsort_next(c->sort, &c->ahead, &c->ahead_len);
        if (rc <= 0)
                c->ahead = NULL;
        return rc < 0 ? rc : 0;
}

/* The next domain into c->rec (c->have false at the end), skipping its repeated lines. */
static int advance(struct cursor *c)
{
        c->have = c->ahead != NULL;
        if (!c->have)
                return 0;
        if (ds_fails(c->ahead_len <= sizeof c->buf))
                return -EINVAL;
        memcpy(c->buf, c->ahead, c->ahead_len);
        if (ds_fails(diff_rec_decode(c->buf, c->ahead_len, &c->rec) == 0))
                return -EINVAL;
        c->stats->domains++;
        for (;;) {
                int rc = fetch(c);
                if (rc < 0 || !c->ahead)
                        return rc;
                struct diff_rec next;
                if (ds_fails(diff_rec_decode(c->ahead, c->ahead_len, &next) == 0))
                        return -EINVAL;
                if (diff_rec_domain_cmp(&c->rec, &next) != 0)
                        return 0;
                c->stats->duplicates++;
        }
}

static void put_name(struct jw *w, const char *key, const char *name)
{
        jw_cstr(w, key, name);
}

/* The organizations of blob a that are not in blob b (both sorted), as a JSON array. */
static void receivers_minus(struct jw *w, const char *key, const struct diff_rec *a,
                            const struct diff_rec *b)
{
        jw_arr_open(w, key);
        const unsigned char *p = a->receivers, *pe = p + a->receivers_len;
        const unsigned char *q = b->receivers, *qe = q + b->receivers_len;
        while (p < pe) {
                int c = 1;
                while (q < qe) {
                        size_t pn = p[0], qn = q[0];
                        c = memcmp(p + 1, q + 1, pn < qn ? pn : qn);
                        if (c == 0)
                                c = (pn > qn) - (pn < qn);
                        if (c <= 0)
                                break;
                        q += 1 + qn;
                }
                if (q >= qe || c != 0)
                        jw_str(w, NULL, (const char *)p + 1, p[0]);
                p += 1 + p[0];
        }
        jw_arr_close(w);
}

static void snapshot(struct jw *w, const char *key, const struct diff_rec *r)
{
        if (!r) {
                jw_null(w, key);
                return;
        }
        jw_obj_open(w, key);
        put_name(w, "status", diff_status_name(r->status));
        put_name(w, "posture", diff_posture_name(r->posture));
        jw_tri(w, "enforcing", r->enforcing == DT_NULL ? -1 : r->enforcing == DT_TRUE);
        put_name(w, "spoofable", diff_spoof_name(r->spoofable));
        if (r->spf_all != DA_NA)
                put_name(w, "spf_all", r->spf_all == DA_NONE ? NULL : diff_all_name(r->spf_all));
        struct diff_rec none = {0};
        receivers_minus(w, "receivers", r, &none);
        if (r->receivers_dropped)
                jw_uint(w, "receivers_dropped", r->receivers_dropped);
        jw_obj_close(w);
}

static int write_line(struct jbuf *b, FILE *out, const char *change, const struct diff_rec *o,
                      const struct diff_rec *n, unsigned changes)
{
        const struct diff_rec *any = o ? o : n;
        struct jw w;
        jbuf_reset(b);
        jw_begin(&w, b);
        jw_str(&w, "domain", any->domain, any->domain_len);
        jw_cstr(&w, "change", change);
        jw_arr_open(&w, "changes");
        for (unsigned i = 0; i < DIFF_CHANGE_KINDS; i++)
                if (changes & (1u << i))
                        jw_cstr(&w, NULL, diff_change_name(1u << i));
        jw_arr_close(&w);
        snapshot(&w, "old", o);
        snapshot(&w, "new", n);
        if (changes & DIFF_RECEIVERS) {
                receivers_minus(&w, "receivers_added", n, o);
                receivers_minus(&w, "receivers_removed", o, n);
        }
        jw_end(&w);
        if (fwrite(b->p, 1, b->len, out) != b->len)
                return errno ? -errno : -EIO;
        return 0;
}

/* One step of the join: the lesser domain, or both when equal. */
static int step(struct cursor *o, struct cursor *n, struct diff_tally *t, struct jbuf *b, FILE *out)
{
        int c = !o->have ? 1 : !n->have ? -1 : diff_rec_domain_cmp(&o->rec, &n->rec);
        int rc = 0;
        if (c < 0) {
                diff_tally_removed(t, &o->rec);
                if (out)
                        rc = write_line(b, out, "removed", &o->rec, NULL, 0);
                return rc ? rc : advance(o);
        }
        if (c > 0) {
                diff_tally_added(t, &n->rec);
                if (out)
                        rc = write_line(b, out, "added", NULL, &n->rec, 0);
                return rc ? rc : advance(n);
        }
        unsigned changes = diff_changes(&o->rec, &n->rec);
        diff_tally_both(t, &o->rec, &n->rec, changes);
        if (out && changes)
                rc = write_line(b, out, "changed", &o->rec, &n->rec, changes);
        if (rc == 0)
                rc = advance(o);
        return rc ? rc : advance(n);
}

int diff_join(struct extsort *old, struct extsort *new, struct diff_side_stats *old_stats,
              struct diff_side_stats *new_stats, struct diff_tally *t, FILE *out)
{
        struct cursor *o = ds_xcalloc(2, sizeof(*o), "diff cursors"), *n = o + 1;
        o->sort = old;
        o->stats = old_stats;
        n->sort = new;
        n->stats = new_stats;
        struct jbuf b;
        jbuf_init(&b);
        int rc = fetch(o);
        if (rc == 0)
                rc = fetch(n);
        if (rc == 0)
                rc = advance(o);
        if (rc == 0)
                rc = advance(n);
        while (rc == 0 && (o->have || n->have))
                rc = step(o, n, t, &b, out);
        jbuf_free(&b);
        free(o);
        return rc;
}
