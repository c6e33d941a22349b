/* tally.c -- counting the movement between two scans, and its text table. */
#include "scanner/diff/tally.h"

#include <inttypes.h>
#include <stdlib.h>

void diff_tally_both(struct diff_tally *t, const struct diff_rec *o, const struct diff_rec *n,
                     unsigned changes)
{
        t->both++;
        t->changed += changes != 0;
        for (unsigned i = 0; i < DIFF_CHANGE_KINDS; i++)
                t->kinds[i] += (changes >> i) & 1u;
        t->posture[o->posture][n->posture]++;
        t->spf_all[o->spf_all][n->spf_all]++;
        t->spoofable[o->spoofable][n->spoofable]++;
}

void diff_tally_added(struct diff_tally *t, const struct diff_rec *n)
{
        t->added++;
        t->added_posture[n->posture]++;
}

void diff_tally_removed(struct diff_tally *t, const struct diff_rec *o)
{
        t->removed++;
        t->removed_posture[o->posture]++;
}

static uint64_t kind(const struct diff_tally *t, unsigned bit)
{
        return t->kinds[__builtin_ctz(bit)];
}

static const char *or_na(const char *s)
{
        return s ? s : "n/a";
}

static void print_side(const char *which, const struct diff_side_stats *s, FILE *out)
{
        fprintf(out,
                "%s %s: %" PRIu64 " lines, %" PRIu64 " domains (%" PRIu64
                " repeated lines after the first of a domain, %" PRIu64
                " without a domain, %" PRIu64 " not scan lines), %u sorted runs on disk\n",
                which, s->path, s->lines, s->domains, s->duplicates, s->no_domain, s->malformed,
                s->runs);
}

static void print_matrix(const struct diff_tally *t, FILE *out)
{
        fprintf(out, "\nposture, old (rows) -> new (columns), domains in both:\n%-12s", "");
        for (unsigned j = 1; j <= DP_N; j++)
                fprintf(out, " %10s", or_na(diff_posture_name(j % DP_N)));
        fputc('\n', out);
        for (unsigned i = 1; i <= DP_N; i++) {
                fprintf(out, "%-12s", or_na(diff_posture_name(i % DP_N)));
                for (unsigned j = 1; j <= DP_N; j++)
                        fprintf(out, " %10" PRIu64, t->posture[i % DP_N][j % DP_N]);
                fputc('\n', out);
        }
}

/* One move between two values, for sorting the sentences. */
struct move {
        uint64_t n;
        unsigned from, to;
};

static int move_cmp(const void *a, const void *b)
{
        const struct move *x = a, *y = b;
        if (x->n != y->n)
                return x->n < y->n ? 1 : -1;
        return x->from != y->from ? (int)x->from - (int)y->from : (int)x->to - (int)y->to;
}

/* "N domains moved from A to B" for every off-diagonal cell of a k x k matrix, largest
 * first; k <= DP_N. */
static void print_moves(const uint64_t *m, unsigned k, const char *(*name)(unsigned),
                        const char *what, FILE *out)
{
        struct move moves[DP_N * DP_N];
        unsigned n = 0;
        for (unsigned i = 0; i < k; i++)
                for (unsigned j = 0; j < k; j++)
                        if (i != j && m[i * k + j] > 0 && name(i) && name(j))
                                moves[n++] = (struct move){m[i * k + j], i, j};
        qsort(moves, n, sizeof(*moves), move_cmp);
        for (unsigned i = 0; i < n; i++)
                fprintf(out, "  %" PRIu64 " domain%s moved from %s %s to %s\n", moves[i].n,
                        moves[i].n == 1 ? "" : "s", what, name(moves[i].from), name(moves[i].to));
        if (n == 0)
                fprintf(out, "  no domain changed its %s\n", what);
}

static void print_group(const char *title, const uint64_t *by_posture, FILE *out)
{
        fprintf(out, "%s:", title);
        for (unsigned i = 1; i <= DP_N; i++)
                if (by_posture[i % DP_N])
                        fprintf(out, " %s %" PRIu64, or_na(diff_posture_name(i % DP_N)),
                                by_posture[i % DP_N]);
        fputc('\n', out);
}

void diff_tally_print(const struct diff_tally *t, const struct diff_side_stats *old,
                      const struct diff_side_stats *new, FILE *out)
{
        print_side("OLD", old, out);
        print_side("NEW", new, out);
        fprintf(out,
                "\n%" PRIu64 " domains in both: %" PRIu64 " changed, %" PRIu64
                " unchanged; %" PRIu64 " only in NEW (added), %" PRIu64 " only in OLD (removed)\n",
                t->both, t->changed, t->both - t->changed, t->added, t->removed);
        print_matrix(t, out);
        fprintf(out, "\nmoves (domains in both):\n");
        print_moves(&t->posture[0][0], DP_N, diff_posture_name, "posture", out);
        fprintf(out,
                "  %" PRIu64 " gained a DMARC record; %" PRIu64 " lost their record\n"
                "  %" PRIu64 " posture up, %" PRIu64 " down, %" PRIu64
                " other (between missing and invalid, to or from error)\n"
                "  %" PRIu64 " started enforcing, %" PRIu64 " stopped\n",
                kind(t, DIFF_RECORD_ADDED), kind(t, DIFF_RECORD_REMOVED), kind(t, DIFF_POSTURE_UP),
                kind(t, DIFF_POSTURE_DOWN), kind(t, DIFF_POSTURE_OTHER),
                kind(t, DIFF_ENFORCING_GAINED), kind(t, DIFF_ENFORCING_LOST));
        print_moves(&t->spf_all[0][0], DA_N, diff_all_name, "SPF all", out);
        print_moves(&t->spoofable[0][0], DSP_N, diff_spoof_name, "spoofable", out);
        fprintf(out, "  %" PRIu64 " changed their report receivers; %" PRIu64 " changed status\n",
                kind(t, DIFF_RECEIVERS), kind(t, DIFF_STATUS));
        fputc('\n', out);
        print_group("added, by posture", t->added_posture, out);
        print_group("removed, by posture", t->removed_posture, out);
}
