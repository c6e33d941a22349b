/* closing.c -- the scan's closing summary (see closing.h). */
#include "scanner/closing.h"

#include <inttypes.h>

#include "scanner/job.h"

static void outcomes(FILE *out, const uint64_t *n)
{
        fprintf(out, "outcomes:");
        for (unsigned k = 0; k < OUTCOME_COUNT; k++)
                if (n[k])
                        fprintf(out, " %s %" PRIu64, job_outcome_name(k), n[k]);
        fputc('\n', out);
}

static void resolvers(FILE *out, const struct resolver_list *l)
{
        fprintf(out, "%-28s %10s %10s %8s %8s %8s %8s %8s %7s %7s %6s\n", "resolver", "sent",
                "answered", "timeout", "SERVFAIL", "REFUSED", "TC->TCP", "dropped", "p50 ms",
                "p99 ms", "bench");
        for (size_t i = 0; i < l->n; i++) {
                const struct resolver *r = &l->v[i];
                const struct resolver_stats *st = &r->stats;
                fprintf(out,
                        "%-28s %10" PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
                        " %8" PRIu64 " %8" PRIu64 " %7.2f %7.2f %6" PRIu64 "\n",
                        r->name, st->sent, st->answered, st->timeouts, st->servfail, st->refused,
                        st->truncated, st->mismatched, resolver_rtt_ms(r, 0.5),
                        resolver_rtt_ms(r, 0.99), r->benchings);
        }
}

static void drops(FILE *out, const struct engine_counters *c, uint64_t rcvbuf)
{
        uint64_t dropped = c->drop_unknown_id + c->drop_wrong_source + c->drop_wrong_question +
                           c->drop_wrong_case + c->drop_malformed;
        if (dropped || rcvbuf)
                fprintf(out,
                        "replies dropped: %" PRIu64 " unknown id (late or forged), %" PRIu64
                        " wrong source, %" PRIu64 " wrong question, %" PRIu64
                        " wrong case, %" PRIu64 " malformed; %" PRIu64
                        " lost to our receive buffer\n",
                        c->drop_unknown_id, c->drop_wrong_source, c->drop_wrong_question,
                        c->drop_wrong_case, c->drop_malformed, rcvbuf);
}

static void shared(FILE *out, const struct anscache_stats *cs, uint64_t memo)
{
        if (cs->hits + cs->joined + cs->fetched + memo)
                fprintf(out,
                        "shared lookups: %" PRIu64 " queries saved (%" PRIu64
                        " answered from the cache, %" PRIu64 " by a classifier's copy, %" PRIu64
                        " joined a fetch in flight), %" PRIu64 " fetched\n",
                        cs->hits + memo + cs->joined, cs->hits, memo, cs->joined, cs->fetched);
}

void closing_print(FILE *out, const struct closing *c)
{
        const struct engine_counters *n = c->counters;
        if (!c->quiet) {
                outcomes(out, c->outcomes);
                resolvers(out, c->resolvers);
        }
        drops(out, n, c->rcvbuf_drops);
        if (c->resumed_from)
                fprintf(out,
                        "dmarcscan: resumed from %s: %" PRIu64 " lines were in %s already, %" PRIu64
                        " written now\n",
                        c->resumed_from, c->resume_lines, c->output, c->written_now);
        shared(out, c->cache, c->memo_hits);
        double t = c->elapsed_s;
        fprintf(out,
                "done: %" PRIu64 " domains, %" PRIu64 " queries sent, %" PRIu64
                " answered, %" PRIu64 " retried, %" PRIu64 " timed out, %.1f s, %.0f queries/s\n",
                c->lines, n->sent, n->answered, n->retried, n->timeouts, t,
                t > 0 ? (double)n->sent / t : 0.0);
}
