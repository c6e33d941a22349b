/* budget.h -- growable per-domain storage bounded by a byte budget, instead of fixed caps
 * that silently drop data.
 * Contract: a struct ds_budget counts the bytes one domain's growable data holds at once
 * (reset to 0 with ds_budget_reset() when a new domain, or a new parse, begins) against a
 * limit. ds_vec_push() appends one element to a vector whose buffer survives between
 * domains (so a reused vector stops allocating) and charges its size to the budget; when the
 * budget would be exceeded nothing is appended and NULL is returned: the caller counts the
 * element as dropped and says so in the line (a named error code, never silently). Growth
 * that fails for lack of memory aborts (common/check.h). Not thread-safe: one owner. */
#ifndef DS_BUDGET_H
#define DS_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* The default per-domain budget: what one domain's parsed records, URIs, issues and report
 * receivers may hold at once. A 64 KiB DMARC record (the largest a TXT can carry) of report
 * URIs (4,367 hosts) takes about 400 KiB with its receivers; a record of tens of thousands of
 * junk tag-specs can exceed it,
 * and is then reported as budget_exceeded (docs/output.md). */
#define DS_DOMAIN_BUDGET (1u << 20)

struct ds_budget {
        size_t used;
        size_t limit;  /* 0: DS_DOMAIN_BUDGET */
        bool exceeded; /* a push was refused since the last reset */
};

static inline void ds_budget_reset(struct ds_budget *b)
{
        b->used = 0;
        b->exceeded = false;
}

/* Bytes left before the limit. */
static inline size_t ds_budget_left(const struct ds_budget *b)
{
        size_t limit = b->limit ? b->limit : DS_DOMAIN_BUDGET;
        return b->used < limit ? limit - b->used : 0;
}

/* Take n bytes: true when they fit (taken), false (nothing taken, exceeded set) otherwise. */
bool ds_budget_take(struct ds_budget *b, size_t n);

/* A growable array: buf holds cap bytes (owned; free() it), n elements in use. */
struct ds_vec {
        void *buf;
        size_t cap;
        unsigned n;
};

/* Appends one zeroed element of elem bytes, charged to b: its address (valid until the next
 * push), or NULL when b refuses it. */
void *ds_vec_push(struct ds_vec *v, size_t elem, struct ds_budget *b, const char *what);

/* Appends n bytes (copied from src) to a byte vector, charged to b: their offset in v->buf,
 * or -1 when b refuses them. */
long ds_vec_append(struct ds_vec *v, const void *src, size_t n, struct ds_budget *b,
                   const char *what);

/* Appends n bytes (copied from src) and a NUL to a byte vector, charged to b as n + 1: the
 * offset of the string in v->buf, or -1 (nothing appended) when b refuses them. */
long ds_vec_append_str(struct ds_vec *v, const char *src, size_t n, struct ds_budget *b,
                       const char *what);

static inline void ds_vec_free(struct ds_vec *v)
{
        free(v->buf);
        v->buf = NULL;
        v->cap = 0;
        v->n = 0;
}

#endif
