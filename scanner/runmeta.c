/* runmeta.c -- the run's metadata as one JSON object: the configuration, the engine's
 * counters, the resolvers, the congestion history, the resources used. */
#include "scanner/runmeta.h"

#include <sys/resource.h>

#include "common/check.h"
#include "dns/wire.h"
#include "output/json.h"
#include "output/meta.h"
#include "scanner/codes.h"

static void write_resume(struct jw *w, const struct runmeta *m)
{
        jw_obj_open(w, "resume");
        jw_cstr(w, "checkpoint", m->checkpoint);
        jw_bool(w, "resumed", m->resumed);
        jw_uint(w, "from_offset", m->resume_offset);
        jw_uint(w, "lines_before", m->resume_lines);
        jw_uint(w, "lines_this_run", m->lines);
        jw_obj_close(w);
}

void runmeta_write_method(struct jw *w, const struct scan_config *c, const char *psl_source,
                          const char *psl_date)
{
        jw_arr_open(w, "checks");
        for (unsigned i = 0; i < c->checks.n; i++)
                jw_cstr(w, NULL, c->checks.ops[i]->name);
        jw_arr_close(w);
        jw_cstr(w, "profile", c->profile.ops ? c->profile.ops->name : NULL);
        jw_cstr(w, "discovery", discovery_mode_name(c->discovery));
        jw_bool(w, "report_cut", c->report_cut);
        jw_obj_open(w, "psl");
        jw_cstr(w, "file", psl_source);
        jw_cstr(w, "date", psl_date);
        jw_obj_close(w);
        jw_obj_open(w, "shard");
        jw_uint(w, "index", c->shard.index);
        jw_uint(w, "count", c->shard.count);
        jw_uint(w, "seed", c->shard.seed);
        jw_obj_close(w);
}

static void write_config(struct jw *w, const struct runmeta *m)
{
        const struct scan_config *c = m->cfg;
        const struct resolver_list *rl = m->resolvers;
        jw_obj_open(w, "config");
        jw_arr_open(w, "inputs");
        for (unsigned i = 0; i < c->ninputs; i++)
                jw_cstr(w, NULL, c->inputs[i]);
        jw_arr_close(w);
        jw_cstr(w, "output", c->output ? c->output : "-");
        jw_arr_open(w, "resolvers");
        for (size_t i = 0; i < rl->n; i++)
                jw_cstr(w, NULL, rl->v[i].name);
        jw_arr_close(w);
        jw_uint(w, "concurrency", c->concurrency);
        jw_uint(w, "timeout_ms", c->timeout_ms);
        jw_uint(w, "retries", c->retries);
        jw_uint(w, "threads", c->threads);
        jw_uint(w, "sockets", c->sockets);
        runmeta_write_method(w, c, m->psl_source, m->psl_date);
        jw_bool(w, "details", c->details);
        jw_obj_close(w);
}

/* Shared lookups (the walk's parent names, receivers' _report._dmarc names, SPF include
 * targets): queries saved = hits + classifier_hits + joined. */
static void write_cache(struct jw *w, const struct anscache_stats *c, uint64_t memo_hits)
{
        jw_obj_open(w, "shared_cache");
        jw_uint(w, "fetched", c->fetched);
        jw_uint(w, "hits", c->hits);
        jw_uint(w, "classifier_hits", memo_hits);
        jw_uint(w, "joined", c->joined);
        jw_uint(w, "queries_saved", c->hits + memo_hits + c->joined);
        jw_uint(w, "kept", c->kept);
        jw_uint(w, "not_kept", c->not_kept);
        jw_uint(w, "full", c->full);
        jw_uint(w, "expired", c->expired);
        jw_uint(w, "entries", c->entries);
        jw_uint(w, "bytes", c->bytes);
        jw_obj_close(w);
}

/* The policy fetches (--mta-sts-policy): how many, how they ended, the queue's peak. */
static void write_https(struct jw *w, const struct runmeta *m)
{
        if (!m->https) {
                jw_null(w, "https");
                return;
        }
        jw_obj_open(w, "https");
        jw_uint(w, "concurrency", m->cfg->mta_sts_fetches);
        jw_uint(w, "timeout_ms", m->cfg->mta_sts_timeout_ms);
        jw_uint(w, "port", m->cfg->mta_sts_port);
        jw_cstr(w, "ca_file", m->cfg->ca_file);
        jw_uint(w, "started", m->https->started);
        jw_uint(w, "queued_max", m->https->queued_max);
        jw_obj_open(w, "ended");
        for (int i = 0; i < HTTPS_STATUS_COUNT; i++)
                jw_uint(w, https_status_name(i), m->https->ended[i]);
        jw_obj_close(w);
        jw_obj_close(w);
}

static void write_counters(struct jw *w, const struct runmeta *m)
{
        const struct engine_counters *c = m->counters;
        jw_obj_open(w, "counters");
        jw_uint(w, "lines", m->lines);
        jw_uint(w, "input_items", m->input_items);
        jw_uint(w, "input_read", m->input_read);
        jw_uint(w, "duplicates", m->duplicates);
        if (m->duplicates_fp_rate >= 0)
                jw_double(w, "duplicates_fp_rate", m->duplicates_fp_rate);
        jw_uint(w, "domains_in_flight_max", m->domains_in_flight_max);
        jw_uint(w, "lookups", c->lookups);
        jw_uint(w, "sent", c->sent);
        jw_uint(w, "answered", c->answered);
        jw_uint(w, "retried", c->retried);
        jw_uint(w, "timeouts", c->timeouts);
        jw_uint(w, "truncated", c->truncated);
        jw_uint(w, "sent_tcp", c->sent_tcp);
        jw_uint(w, "gave_up_budget", c->gave_up_budget);
        jw_uint(w, "rate_waits", c->rate_waits);
        jw_uint(w, "tcp_waits", c->tcp_waits);
        jw_uint(w, "window_waits", c->window_waits);
        jw_uint(w, "window_cuts", c->window_cuts);
        jw_uint(w, "window", c->window);
        jw_uint(w, "congestion_resends", c->congestion_resends);
        jw_uint(w, "presumed_lost", c->presumed_lost);
        jw_uint(w, "coalesce_pauses", c->coalesce_pauses);
        jw_obj_open(w, "rcodes");
        for (int i = 0; i < 16; i++)
                if (c->rcode[i])
                        jw_uint(w, wire_rcode_name(i), c->rcode[i]);
        jw_obj_close(w);
        jw_obj_open(w, "dropped");
        jw_uint(w, "unknown_id", c->drop_unknown_id);
        jw_uint(w, "wrong_source", c->drop_wrong_source);
        jw_uint(w, "wrong_question", c->drop_wrong_question);
        jw_uint(w, "wrong_case", c->drop_wrong_case);
        jw_uint(w, "malformed", c->drop_malformed);
        jw_uint(w, "rcvbuf", m->rcvbuf_drops);
        jw_obj_close(w);
        jw_obj_open(w, "udp");
        jw_uint(w, "datagrams_sent", m->udp->datagrams_sent);
        jw_uint(w, "send_calls", m->udp->send_calls);
        jw_uint(w, "send_errors", m->udp->send_errors);
        jw_uint(w, "send_eagain", m->udp->send_eagain);
        jw_uint(w, "gso_sends", m->udp->gso_sends);
        jw_uint(w, "gso_datagrams", m->udp->gso_datagrams);
        jw_uint(w, "gso_refused", m->udp->gso_refused);
        jw_uint(w, "datagrams_received", m->udp->datagrams_received);
        jw_uint(w, "recv_errors", m->udp->recv_errors);
        jw_int(w, "rcvbuf_bytes", m->rcvbuf_bytes);
        jw_obj_close(w);
        jw_obj_open(w, "tcp");
        jw_uint(w, "connects", m->tcp->connects);
        jw_uint(w, "connect_failures", m->tcp->connect_failures);
        jw_uint(w, "queries", m->tcp->queries);
        jw_uint(w, "replies", m->tcp->replies);
        jw_uint(w, "unknown_id", m->tcp->unknown_id);
        jw_uint(w, "lost", m->tcp->lost);
        jw_obj_close(w);
        write_cache(w, m->cache, m->memo_hits);
        jw_obj_close(w);
}

static void write_resolvers(struct jw *w, const struct resolver_list *rl)
{
        jw_arr_open(w, "resolvers");
        for (size_t i = 0; i < rl->n; i++) {
                const struct resolver_stats *s = &rl->v[i].stats;
                jw_obj_open(w, NULL);
                jw_cstr(w, "resolver", rl->v[i].name);
                jw_uint(w, "sent", s->sent);
                jw_uint(w, "answered", s->answered);
                jw_uint(w, "timeouts", s->timeouts);
                jw_uint(w, "servfail", s->servfail);
                jw_uint(w, "refused", s->refused);
                jw_uint(w, "other_rcode", s->other_rcode);
                jw_uint(w, "mismatched", s->mismatched);
                jw_uint(w, "truncated", s->truncated);
                jw_uint(w, "benched", rl->v[i].benchings);
                jw_uint(w, "congestion_losses", s->congestion_losses);
                const struct cc *cc = &rl->v[i].cc;
                jw_obj_open(w, "congestion");
                jw_uint(w, "window", cc_window(cc));
                jw_uint(w, "pacing_qps", (uint64_t)cc->rate);
                jw_uint(w, "loss_cuts", cc->stats.loss_cuts);
                jw_uint(w, "delay_cuts", cc->stats.delay_cuts);
                jw_uint(w, "delay_holds", cc->stats.delay_holds);
                jw_uint(w, "episodes", cc->stats.episodes);
                jw_uint(w, "late_answers", cc->stats.late_answers);
                jw_uint(w, "cuts_undone", cc->stats.undone);
                jw_fixed3(w, "rtt_fastest_ms", cc->last_fast_ms);
                jw_obj_close(w);
                jw_uint(w, "rate_qps", (uint64_t)rl->v[i].rate.rate);
                jw_obj_open(w, "rtt_ms");
                jw_fixed3(w, "p50", resolver_rtt_ms(&rl->v[i], 0.5));
                jw_fixed3(w, "p99", resolver_rtt_ms(&rl->v[i], 0.99));
                jw_obj_close(w);
                jw_obj_close(w);
        }
        jw_arr_close(w);
}

/* Window and pacing per resolver over time: "window": [[w0, w1, ...] per sample]. */
static void write_history(struct jw *w, const struct cc_history *h, const struct resolver_list *rl)
{
        jw_obj_open(w, "congestion");
        jw_uint(w, "interval_ms", h->interval_ms);
        jw_arr_open(w, "resolvers");
        for (unsigned c = 0; c < h->columns && c < rl->n; c++)
                jw_cstr(w, NULL,
                        c + 1 == h->columns && rl->n > h->columns ? "others" : rl->v[c].name);
        jw_arr_close(w);
        const uint32_t *series[2] = {h->window, h->rate};
        const char *names[2] = {"window", "pacing_qps"};
        for (unsigned k = 0; k < 2; k++) {
                jw_arr_open(w, names[k]);
                for (unsigned i = 0; i < h->n; i++) {
                        jw_arr_open(w, NULL);
                        for (unsigned c = 0; c < h->columns; c++)
                                jw_uint(w, NULL, series[k][(size_t)i * h->columns + c]);
                        jw_arr_close(w);
                }
                jw_arr_close(w);
        }
        jw_obj_close(w);
}

/* What each code the scan's lines can hold means (all codes of the checks that ran, the
 * spoofability reasons with dmarc, the profile's), once per run instead of in every line. */
static void write_codes(struct jw *w, const struct scan_config *c)
{
        const char *members[DS_CHECKS_MAX + 3];
        unsigned n = 0;
        for (unsigned i = 0; i < c->checks.n; i++)
                members[n++] = c->checks.ops[i]->name;
        if (check_set_find(&c->checks, "dmarc") >= 0)
                members[n++] = "spoofable_reason";
        if (c->profile.ops)
                members[n++] = c->profile.ops->key;
        members[n] = NULL;
        codes_write(w, "codes", members);
}

static void write_usage(struct jw *w)
{
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        jw_obj_open(w, "resources");
        jw_uint(w, "user_us",
                (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec);
        jw_uint(w, "sys_us",
                (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec);
        jw_uint(w, "max_rss_kb", (uint64_t)ru.ru_maxrss);
        jw_obj_close(w);
}

int runmeta_write(const char *path, const struct runmeta *m)
{
        struct jbuf b;
        struct jw w;
        jbuf_init(&b);
        jw_begin(&w, &b);
        meta_header(&w, 1);
        meta_time(&w, "started", m->started_unix);
        jw_uint(&w, "wall_ms", (uint64_t)(m->wall_s * 1000));
        jw_bool(&w, "interrupted", m->interrupted);
        /* Bugs caught and recovered from (common/check.h): a run with any deserves a look. */
        jw_uint(&w, "invariant_failures", ds_check_failures());
        jw_cstr(&w, "input_error", m->input_error);
        jw_cstr(&w, "output_error", m->output_error);
        write_resume(&w, m);
        write_config(&w, m);
        write_counters(&w, m);
        write_resolvers(&w, m->resolvers);
        write_https(&w, m);
        if (m->dnssec_probe)
                dnssec_probe_write(&w, "dnssec_probe", m->dnssec_probe);
        else
                jw_null(&w, "dnssec_probe");
        if (m->history)
                write_history(&w, m->history, m->resolvers);
        write_codes(&w, m->cfg);
        write_usage(&w);
        jw_end(&w);

        int rc = meta_write_file(path, &b);
        jbuf_free(&b);
        return rc;
}
