/* extsort.c -- sorted runs in one arena, spilled to unlinked temporary files, merged with a
 * binary heap. */
#include "scanner/diff/extsort.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/check.h"

#define RUN_BUF (64u << 10)

/* One sorted source of the merge: a run file, or the arena's records in index order. */
struct run {
        FILE *f;
        unsigned char *buf; /* file runs: the current record */
        const unsigned char *rec;
        uint32_t len;
        uint32_t next; /* memory run: next index entry */
};

struct merger {
        struct run *runs;
        unsigned n;
        unsigned *heap; /* indexes into runs, the least record first */
        unsigned nheap;
        int pending; /* run whose record was last handed out, advanced on the next call */
};

struct extsort {
        unsigned char *arena;
        size_t cap;  /* bytes, a multiple of 4; records from the front, index from the back */
        size_t used; /* record bytes */
        uint32_t n;  /* records in the arena */
        extsort_cmp cmp;
        const char *tmpdir;
        FILE **files; /* spilled runs, each rewound once written */
        unsigned nfiles, files_cap, spilled;
        bool finished;
        struct merger m;
};

static uint32_t *arena_index(const struct extsort *s)
{
        return (uint32_t *)(void *)(s->arena + s->cap) - s->n;
}

static const unsigned char *arena_rec(const struct extsort *s, uint32_t off, uint32_t *len)
{
        memcpy(len, s->arena + off, 4);
        return s->arena + off + 4;
}

static int cmp_index(const void *a, const void *b, void *arg)
{
        const struct extsort *s = arg;
        uint32_t al, bl;
        const unsigned char *ar = arena_rec(s, *(const uint32_t *)a, &al);
        const unsigned char *br = arena_rec(s, *(const uint32_t *)b, &bl);
        return s->cmp(ar, al, br, bl);
}

int extsort_open(struct extsort **out, size_t arena_bytes, const char *tmpdir, extsort_cmp cmp)
{
        *out = NULL;
        if (arena_bytes < EXTSORT_ARENA_MIN || arena_bytes > UINT32_MAX)
                return -EINVAL;
        struct extsort *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->cap = arena_bytes & ~(size_t)3;
        s->arena = malloc(s->cap);
        if (!s->arena) {
                free(s);
                return -ENOMEM;
        }
        s->cmp = cmp;
        s->tmpdir = tmpdir ? tmpdir : getenv("TMPDIR");
        if (!s->tmpdir || !*s->tmpdir)
                s->tmpdir = "/tmp";
        s->m.pending = -1;
        *out = s;
        return 0;
}

/* A new unnamed file in tmpdir, buffered for sequential writes then reads. */
static int temp_file(struct extsort *s, FILE **out)
{
        char path[4096];
        if (snprintf(path, sizeof path, "%s/dmarcscan-sort-XXXXXX", s->tmpdir) >= (int)sizeof path)
                return -ENAMETOOLONG;
        int fd = mkstemp(path);
        if (fd < 0)
                return -errno;
        unlink(path); /* gone when closed, however the process ends */
        FILE *f = fdopen(fd, "w+b");
        if (!f) {
                int e = errno;
                close(fd);
                return -e;
        }
        setvbuf(f, NULL, _IOFBF, RUN_BUF);
        if (s->nfiles == s->files_cap) {
                unsigned cap = s->files_cap ? 2 * s->files_cap : 16;
                FILE **grown = realloc(s->files, cap * sizeof(*grown));
                if (!grown) {
                        fclose(f);
                        return -ENOMEM;
                }
                s->files = grown;
                s->files_cap = cap;
        }
        s->files[s->nfiles++] = f;
        *out = f;
        return 0;
}

static int put_rec(FILE *f, const void *rec, uint32_t len)
{
        if (fwrite(&len, 4, 1, f) != 1 || (len && fwrite(rec, len, 1, f) != 1))
                return errno ? -errno : -EIO;
        return 0;
}

static int finish_file(FILE *f)
{
        if (fflush(f) != 0 || fseek(f, 0, SEEK_SET) != 0)
                return errno ? -errno : -EIO;
        return 0;
}

static void sort_arena(struct extsort *s)
{
        qsort_r(arena_index(s), s->n, sizeof(uint32_t), cmp_index, s);
}

/* The arena sorted into a new run file, and emptied. */
static int spill(struct extsort *s)
{
        FILE *f;
        int rc = temp_file(s, &f);
        if (rc < 0)
                return rc;
        sort_arena(s);
        const uint32_t *idx = arena_index(s);
        for (uint32_t i = 0; i < s->n && rc == 0; i++) {
                uint32_t len;
                const unsigned char *r = arena_rec(s, idx[i], &len);
                rc = put_rec(f, r, len);
        }
        if (rc == 0)
                rc = finish_file(f);
        s->n = 0;
        s->used = 0;
        s->spilled++;
        return rc;
}

int extsort_add(struct extsort *s, const void *rec, size_t len)
{
        if (ds_fails(!s->finished) || len > EXTSORT_REC_MAX)
                return -EINVAL;
        size_t need = 4 + len + 4; /* length, bytes, index entry */
        if (s->used + need + (size_t)s->n * 4 > s->cap) {
                int rc = spill(s);
                if (rc < 0)
                        return rc;
        }
        uint32_t off = (uint32_t)s->used, l32 = (uint32_t)len;
        memcpy(s->arena + off, &l32, 4);
        memcpy(s->arena + off + 4, rec, len);
        s->used += 4 + len;
        s->n++;
        *arena_index(s) = off;
        return 0;
}

/* ---- the merge ---- */

/* The run's next record into rec/len: 1, 0 when it has none left, -errno. */
static int run_advance(const struct extsort *s, struct run *r)
{
        if (!r->f) {
                const uint32_t *idx = arena_index(s);
                if (r->next == s->n)
                        return 0;
                r->rec = arena_rec(s, idx[r->next++], &r->len);
                return 1;
        }
        uint32_t len;
        if (fread(&len, 4, 1, r->f) != 1)
                return ferror(r->f) ? -EIO : 0;
        if (ds_fails(len <= EXTSORT_REC_MAX) || (len && fread(r->buf, len, 1, r->f) != 1))
                return -EIO;
        r->rec = r->buf;
        r->len = len;
        return 1;
}

static bool heap_less(const struct extsort *s, const struct merger *m, unsigned a, unsigned b)
{
        int c = s->cmp(m->runs[a].rec, m->runs[a].len, m->runs[b].rec, m->runs[b].len);
        return c < 0 || (c == 0 && a < b);
}

static void sift_down(const struct extsort *s, struct merger *m, unsigned i)
{
        for (;;) {
                unsigned l = 2 * i + 1, r = l + 1, least = i;
                if (l < m->nheap && heap_less(s, m, m->heap[l], m->heap[least]))
                        least = l;
                if (r < m->nheap && heap_less(s, m, m->heap[r], m->heap[least]))
                        least = r;
                if (least == i)
                        return;
                unsigned t = m->heap[i];
                m->heap[i] = m->heap[least];
                m->heap[least] = t;
                i = least;
        }
}

static void merger_free(struct merger *m)
{
        for (unsigned i = 0; m->runs && i < m->n; i++)
                free(m->runs[i].buf);
        free(m->runs);
        free(m->heap);
        *m = (struct merger){.pending = -1};
}

/* A merger over files[0..nf), plus the arena's records when with_arena. */
static int merger_start(struct extsort *s, struct merger *m, FILE **files, unsigned nf,
                        bool with_arena)
{
        unsigned n = nf + (with_arena ? 1 : 0);
        *m = (struct merger){.pending = -1};
        m->runs = calloc(n ? n : 1, sizeof(*m->runs));
        m->heap = calloc(n ? n : 1, sizeof(*m->heap));
        if (!m->runs || !m->heap) {
                merger_free(m);
                return -ENOMEM;
        }
        m->n = n;
        for (unsigned i = 0; i < nf; i++) {
                m->runs[i].f = files[i];
                m->runs[i].buf = malloc(EXTSORT_REC_MAX);
                if (!m->runs[i].buf) {
                        merger_free(m);
                        return -ENOMEM;
                }
        }
        for (unsigned i = 0; i < n; i++) {
                int rc = run_advance(s, &m->runs[i]);
                if (rc < 0) {
                        merger_free(m);
                        return rc;
                }
                if (rc > 0)
                        m->heap[m->nheap++] = i;
        }
        for (unsigned i = m->nheap / 2; i-- > 0;)
                sift_down(s, m, i);
        return 0;
}

static int merger_next(const struct extsort *s, struct merger *m, const void **rec, size_t *len)
{
        if (m->pending >= 0) {
                int rc = run_advance(s, &m->runs[m->pending]);
                if (rc < 0)
                        return rc;
                if (rc == 0)
                        m->heap[0] = m->heap[--m->nheap];
                sift_down(s, m, 0);
                m->pending = -1;
        }
        if (m->nheap == 0)
                return 0;
        struct run *r = &m->runs[m->heap[0]];
        m->pending = (int)m->heap[0];
        *rec = r->rec;
        *len = r->len;
        return 1;
}

/* The first EXTSORT_FANIN run files merged into one new run file (appended). */
static int merge_pass(struct extsort *s)
{
        FILE *out;
        int rc = temp_file(s, &out);
        if (rc < 0)
                return rc;
        struct merger m;
        rc = merger_start(s, &m, s->files, EXTSORT_FANIN, false);
        const void *rec;
        size_t len;
        while (rc == 0 && (rc = merger_next(s, &m, &rec, &len)) > 0)
                rc = put_rec(out, rec, (uint32_t)len);
        merger_free(&m);
        if (rc == 0)
                rc = finish_file(out);
        for (unsigned i = 0; i < EXTSORT_FANIN; i++)
                fclose(s->files[i]);
        s->nfiles -= EXTSORT_FANIN;
        memmove(s->files, s->files + EXTSORT_FANIN, s->nfiles * sizeof(*s->files));
        return rc;
}

int extsort_finish(struct extsort *s)
{
        if (ds_fails(!s->finished))
                return -EINVAL;
        s->finished = true;
        int rc = 0;
        if (s->spilled > 0 && s->n > 0)
                rc = spill(s);
        if (s->spilled > 0) {
                free(s->arena); /* every record is on disk now */
                s->arena = NULL;
                s->cap = 0;
        } else {
                sort_arena(s);
        }
        while (rc == 0 && s->nfiles > EXTSORT_FANIN)
                rc = merge_pass(s);
        if (rc == 0)
                rc = merger_start(s, &s->m, s->files, s->nfiles, s->spilled == 0);
        return rc;
}

int extsort_next(struct extsort *s, const void **rec, size_t *len)
{
        if (ds_fails(s->finished))
                return -EINVAL;
        return merger_next(s, &s->m, rec, len);
}

unsigned extsort_spilled(const struct extsort *s)
{
        return s->spilled;
}

void extsort_close(struct extsort *s)
{
        if (!s)
                return;
        merger_free(&s->m);
        for (unsigned i = 0; i < s->nfiles; i++)
                fclose(s->files[i]);
        free(s->files);
        free(s->arena);
        free(s);
}
