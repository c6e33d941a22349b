/* scan.c -- the scan's single state struct and the loop-thread callbacks that tie it up. */
#include "scanner/scan.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <uv.h>

#include "common/check.h"
#include "common/lazymem.h"
#include "common/tristate.h"
#include "dns/anscache.h"
#include "dns/engine.h"
#include "dns/https.h"
#include "dns/resolvers.h"
#include "dns/wire.h"
#include "output/limits.h"
#include "scanner/runmeta.h"
#include "scanner/line.h"
#include "output/progress.h"
#include "output/sink.h"
#include "output/writer.h"
#include "scanner/checkpoint.h"
#include "scanner/dnssec/probe.h"
#include "scanner/closing.h"
#include "scanner/exclude.h"
#include "scanner/feed.h"
#include "scanner/job.h"
#include "scanner/limits.h"
#include "scanner/mtasts/policy.h"
#include "scanner/pool.h"
#include "scanner/resume.h"
#include "scanner/summary_file.h"

struct scan {
        const struct scan_config *cfg;
        const struct ds_clock *clock;
        uv_loop_t loop;
        struct resolver_list resolvers;
        struct engine *engine;
        struct feed feed;
        struct pool *pool;
        struct writer *writer;
        struct line_opts nd;
        struct exclude *exclude;
        struct discovery_ctx *disc; /* shared read-only by every job */
        struct check_env env;       /* the same, as the checks see it */
        struct job *jobs;           /* mapped: jobs_bytes; a job is bound when first used */
        uint8_t *job_mem; /* mapped: job_mem_bytes, job i's lookups and states at i * size */
        size_t jobs_bytes, job_mem_bytes, job_mem_size;
        uint32_t jobs_bound;    /* jobs ever used: the most domains in flight at once */
        struct anscache *cache; /* owned: shared answers (lookups marked shared) */
        struct https *https;    /* owned: policy fetches (--mta-sts-policy), else NULL */
        uint32_t njobs, nfree;
        uint32_t nlook; /* lookups per job: one per check */
        /* The dnssec check runs: DO on every query, and the probe (tokens past the jobs')
         * before the first domain; env.dnssec_validates holds its verdict. */
        bool dnssec, probe_sent;
        struct dnssec_probe probe;
        uint32_t *free_jobs;
        bool input_done, finishing, aborted;
        int interrupts;
        uv_timer_t progress_timer;
        uv_signal_t sig_int, sig_term;
        uv_check_t kick; /* wakes classifiers once per loop turn */
        uv_timer_t soon; /* one more turn soon, at the scan's edges (arm_soon) */
        struct progress progress;
        uint64_t t0_ns;
        double t0_unix;
        uint64_t admitted, lines_done, lines_written;
        char output_error[700];
        bool writer_failure_seen;
        struct resume rs; /* checkpoints and --resume */
        uint64_t skipped; /* lines of the output already (--resume) */
};

static double elapsed_s(const struct scan *s)
{
        return (double)(ds_clock_mono_ns(s->clock) - s->t0_ns) / 1e9;
}

static void finish(struct scan *s)
{
        if (s->finishing)
                return;
        s->finishing = true;
        /* Initialized in scan_run before anything can fail, so closing them is always valid. */
        uv_timer_stop(&s->progress_timer);
        uv_close((uv_handle_t *)&s->progress_timer, NULL);
        uv_close((uv_handle_t *)&s->sig_int, NULL);
        uv_close((uv_handle_t *)&s->sig_term, NULL);
        uv_close((uv_handle_t *)&s->kick, NULL);
        uv_close((uv_handle_t *)&s->soon, NULL);
        if (s->engine)
                engine_close(s->engine);
        https_close(s->https);
        pool_stop(s->pool);
}

static void maybe_finish(struct scan *s)
{
        if (s->input_done && s->nfree == s->njobs)
                finish(s);
}

static struct lookup *lookup_of(struct scan *s, uint32_t token)
{
        return &s->jobs[token / s->nlook].look[token % s->nlook];
}

/* The lookup ended before or without the engine: to its check, and to those that waited
 * on it when it was a shared fetch. */
static void lookup_ended(struct scan *s, struct lookup *l, int status, const uint8_t *pkt,
                         size_t len, unsigned attempts, uint64_t shared_until)
{
        lookup_set_reply(l, status, pkt, len, attempts);
        l->shared_until = shared_until;
        pool_dispatch(s->pool, l);
}

/* Loop thread: a lookup that waited on a shared fetch gets its outcome. */
static void on_cache_wake(void *ctx, uint32_t token, int status, const uint8_t *pkt, size_t len,
                          uint64_t until)
{
        struct scan *s = ctx;
        lookup_ended(s, lookup_of(s, token), status, pkt, len, 0, until);
}

/* A shared lookup answered from the cache or joined to a fetch in flight: true when it
 * needs no query of its own. */
static bool served_by_cache(struct scan *s, struct lookup *l, uint32_t token)
{
        const uint8_t *pkt;
        size_t len;
        uint64_t until;
        switch (anscache_get(s->cache, l->qname, l->qname_len, l->qtype, engine_now(s->engine),
                             token, &pkt, &len, &until)) {
        case ANSCACHE_HIT:
                lookup_ended(s, l, ENGINE_REPLY, pkt, len, 0, until);
                return true;
        case ANSCACHE_WAIT:
                return true;
        case ANSCACHE_MISS:
                break;
        }
        return false;
}

/* Start lookup l; false when the engine did not take it (served by the shared cache, or
 * refused). The engine has a slot per lookup of every job (the token says which) and l
 * holds none, and the check built the name, so a refusal is a broken invariant: the lookup
 * then ends unasked as a timeout, so the check goes on and the domain still gets its
 * line. */
/* Loop thread: an HTTPS GET ended. */
static void on_fetched(void *ctx, const struct https_result *r)
{
        struct scan *s = ctx;
        if (ds_fails(r->token / s->nlook < s->njobs))
                return;
        struct lookup *l = lookup_of(s, r->token);
        lookup_set_fetched(l, r);
        pool_dispatch(s->pool, l);
}

/* Start the HTTPS GET l asks for; a refusal (no transport, a name it cannot carry) ends it
 * at once as an error, so the check goes on. */
static void ask_https(struct scan *s, struct lookup *l, uint32_t token)
{
        char host[DS_NAME_MAX_TEXT + 2], addr[INET6_ADDRSTRLEN];
        int af = l->addr_len == 4 ? AF_INET : AF_INET6;
        int n = wire_name_to_text(l->qname, l->qname_len, host, sizeof(host));
        if (n > 1 && host[n - 1] == '.')
                host[n - 1] = 0;
        bool ok = n > 1 && inet_ntop(af, l->addr, addr, sizeof(addr)) != NULL;
        if (!ds_fails(s->https != NULL) && ok &&
            https_get(s->https, token, host, addr, l->path) == 0)
                return;
        struct https_result r = {.token = token, .status = HTTPS_ERROR};
        lookup_set_fetched(l, &r);
        pool_dispatch(s->pool, l);
}

static bool ask(struct scan *s, struct lookup *l)
{
        struct job *j = l->job;
        uint32_t token = j->idx * s->nlook + l->index;
        if (l->https) {
                ask_https(s, l, token);
                return false;
        }
        if (l->shared && s->cache && served_by_cache(s, l, token))
                return false;
        unsigned flags = (s->dnssec ? WIRE_Q_DO : 0) | (l->cd ? WIRE_Q_CD : 0);
        int rc =
            engine_query(s->engine, token, l->qname, l->qname_len, l->qtype, flags, j->give_up_ms);
        if (ds_fails(rc == 0)) {
                if (l->shared && s->cache)
                        anscache_complete(s->cache, l->qname, l->qname_len, l->qtype,
                                          ENGINE_TIMEOUT, NULL, 0, engine_now(s->engine),
                                          on_cache_wake, s);
                lookup_ended(s, l, ENGINE_TIMEOUT, NULL, 0, 0, 0);
                return false;
        }
        return true;
}

/* Send every lookup job_start() set up; returns how many the engine took. */
static unsigned ask_all(struct scan *s, struct job *j)
{
        unsigned started = 0;
        j->busy = 0;
        for (unsigned i = 0; i < j->nlook; i++)
                if (j->look[i].handoff == JOB_STEP_QUERY) {
                        j->busy++;
                        started += ask(s, &j->look[i]);
                }
        return started;
}

/* A job's first use: bind it to its slice of the region. */
static void bind_job(struct scan *s, struct job *j, uint32_t idx)
{
        if (j->look)
                return;
        job_bind(j, &s->cfg->checks, &s->env, s->job_mem + (size_t)idx * s->job_mem_size);
        j->idx = idx;
        s->jobs_bound++;
}

static void on_soon(uv_timer_t *t)
{
        (void)t; /* the turn it causes runs the check handles: admission, pool_kick */
}

/* At a scan's edges the loop may have nothing to wait for but its 10 ms tick: before the
 * reader's first names and while the last replies wait for a classifier (pool_kick's
 * batching). A turn POOL_WAKE_MS later spares a small scan those ticks. */
static void arm_soon(struct scan *s)
{
        if (!s->finishing && !uv_is_active((uv_handle_t *)&s->soon))
                uv_timer_start(&s->soon, on_soon, POOL_WAKE_MS, 0);
}

static unsigned on_admit(void *ctx, unsigned room)
{
        struct scan *s = ctx;
        unsigned started = 0;
        if (!s->writer_failure_seen && writer_failed(s->writer)) {
                /* Lines can no longer be kept: stop querying instead of scanning for nothing. */
                s->writer_failure_seen = true;
                fprintf(stderr, "dmarcscan: output cannot be written; finishing the lookups in "
                                "flight and stopping\n");
                feed_stop(&s->feed);
                s->input_done = true;
                maybe_finish(s);
        }
        if (s->dnssec && s->env.dnssec_validates == TRI_UNKNOWN) {
                /* No domain before the probe has told whether AD bits mean anything. */
                if (s->probe_sent || room < DNSSEC_PROBES)
                        return 0;
                s->probe_sent = true;
                return dnssec_probe_send(&s->probe, s->engine, s->njobs * s->nlook);
        }
        /* Replies the classifiers have not caught up with: a new domain now would only wait
         * behind them, its job's memory held (and out of cache) the while. */
        if (pool_out(s->pool) >= DS_CLASSIFY_BACKLOG * s->cfg->threads)
                return 0;
        while (started < room && s->nfree && !s->input_done) {
                /* The item lands in the job, bound only for a domain to scan; the next
                 * domain's job is fetched meanwhile (a hint: this one's when it is the last). */
                uint32_t idx = s->free_jobs[s->nfree - 1];
                struct job *j = &s->jobs[idx];
                job_prefetch(&s->jobs[s->free_jobs[s->nfree > 1 ? s->nfree - 2 : 0]]);
                int rc = feed_pop(&s->feed, &j->in, &j->file);
                if (rc == 0) {
                        if (engine_inflight(s->engine) == 0)
                                arm_soon(s);
                        break;
                }
                if (rc < 0) {
                        s->input_done = true;
                        maybe_finish(s);
                        break;
                }
                j->seq = s->admitted++;
                if (s->rs.resuming && ckpt_set_has(&s->rs.resumed, j->seq)) {
                        s->skipped++; /* its line is in the output already */
                        s->lines_done++;
                        continue;
                }
                s->nfree--;
                bind_job(s, j, idx);
                if (s->exclude && j->in.status == INPUT_ITEM_OK &&
                    exclude_match(s->exclude, j->in.domain))
                        j->in.status = INPUT_ITEM_EXCLUDED;
                if (job_start(j) == JOB_STEP_QUERY) {
                        j->give_up_ms =
                            s->cfg->deadline_ms ? engine_now(s->engine) + s->cfg->deadline_ms : 0;
                        started += ask_all(s, j);
                } else {
                        j->busy = 1;
                        pool_dispatch(s->pool, &j->look[0]);
                }
        }
        return started;
}

static void on_lookup_done(void *ctx, const struct engine_result *r)
{
        struct scan *s = ctx;
        if (s->dnssec && r->token >= s->njobs * s->nlook) {
                dnssec_probe_take(&s->probe, r->token - s->njobs * s->nlook, (int)r->status, r->pkt,
                                  r->len);
                s->env.dnssec_validates = dnssec_probe_validates(&s->probe);
                if (s->env.dnssec_validates == TRI_NO)
                        dnssec_probe_warn(stderr, &s->probe);
                return;
        }
        if (ds_fails(r->token / s->nlook < s->njobs))
                return;
        struct lookup *l = lookup_of(s, r->token);
        /* Before the lookup goes to a classifier: its question is still the one asked. */
        uint64_t until = 0;
        if (l->shared && s->cache)
                until =
                    anscache_complete(s->cache, l->qname, l->qname_len, l->qtype, (int)r->status,
                                      r->pkt, r->len, engine_now(s->engine), on_cache_wake, s);
        if (r->reply) {
                lookup_set_parsed(l, r->reply, r->attempts);
                l->shared_until = until;
                pool_dispatch(s->pool, l);
        } else {
                lookup_ended(s, l, r->status, r->pkt, r->len, r->attempts, until);
        }
}

static void on_reply_coming(void *ctx, uint32_t token, size_t len)
{
        struct scan *s = ctx;
        if (token / s->nlook < s->njobs) /* not a DNSSEC probe's */
                lookup_prefetch(lookup_of(s, token), len);
}

static void on_job_back(void *ctx, struct lookup *l)
{
        struct scan *s = ctx;
        struct job *j = l->job;
        if (l->handoff == JOB_STEP_QUERY && !s->aborted) {
                ask(s, l);
                return;
        }
        /* The job is free once every one of its lookups is back for good. */
        if (ds_fails(j->busy > 0) || --j->busy > 0)
                return;
        job_clear(j);
        /* A job handed back twice would overrun the free list. */
        if (ds_fails(s->nfree < s->njobs))
                return;
        s->free_jobs[s->nfree++] = j->idx;
        if (atomic_load(&j->pending) == 0)
                s->lines_done++; /* after a second interrupt, unfinished jobs come back too */
        maybe_finish(s);
}

/* "512/300/1024" for a few resolvers, "5120 over 12 resolvers" for many. */
static void format_windows(const struct resolver_list *l, char *out, size_t len)
{
        size_t used = 0;
        uint64_t sum = 0;
        for (size_t i = 0; i < l->n; i++)
                sum += cc_window(&l->v[i].cc);
        if (l->n > 4) {
                snprintf(out, len, "%" PRIu64 " over %zu resolvers", sum, l->n);
                return;
        }
        out[0] = 0;
        for (size_t i = 0; i < l->n && used < len; i++)
                used += (size_t)snprintf(out + used, len - used, "%s%u", i ? "/" : "",
                                         cc_window(&l->v[i].cc));
}

static void sample(struct scan *s, struct progress_sample *ps)
{
        const struct engine_counters *c = engine_counters(s->engine);
        memset(ps, 0, sizeof(*ps));
        ps->elapsed_s = elapsed_s(s);
        ps->done = s->lines_done;
        ps->kept = s->skipped;
        if (atomic_load(&s->feed.eof) && !s->feed.error)
                ps->total = atomic_load(&s->feed.items);
        ps->fraction = feed_fraction(&s->feed);
        ps->sent = c->sent;
        ps->answered = c->answered;
        ps->nxdomain = c->rcode[WIRE_RCODE_NXDOMAIN];
        ps->timeouts = c->timeouts;
        ps->errors = c->answered - c->rcode[WIRE_RCODE_NOERROR] - c->rcode[WIRE_RCODE_NXDOMAIN];
        ps->inflight = engine_inflight(s->engine);
        if (s->cfg->adaptive)
                format_windows(&s->resolvers, ps->windows, sizeof(ps->windows));
}

static void on_progress(uv_timer_t *t)
{
        struct scan *s = t->data;
        struct progress_sample ps;
        sample(s, &ps);
        progress_update(&s->progress, &ps);
}

static void on_kick(uv_check_t *c)
{
        struct scan *s = c->data;
        if (pool_kick(s->pool) && s->input_done)
                arm_soon(s);
}

static void on_signal(uv_signal_t *h, int signum)
{
        struct scan *s = h->data;
        progress_clear(&s->progress);
        if (++s->interrupts == 1) {
                fprintf(stderr,
                        "dmarcscan: %s: no new domains; finishing the %u lookups in flight "
                        "(interrupt again to stop now)\n",
                        strsignal(signum), s->njobs - s->nfree);
                feed_stop(&s->feed);
                s->input_done = true;
                writer_request_sync(s->writer);
                maybe_finish(s);
                return;
        }
        fprintf(stderr, "dmarcscan: stopping now; %u domains in flight are not written\n",
                s->njobs - s->nfree);
        s->aborted = true;
        finish(s);
}

static int open_resolvers(struct scan *s, char *err, size_t errlen)
{
        const struct scan_config *cfg = s->cfg;
        if (cfg->resolvers)
                return resolvers_parse(&s->resolvers, cfg->resolvers, err, errlen);
        return resolvers_from_resolv_conf(&s->resolvers, cfg->resolv_conf, err, errlen);
}

static int alloc_jobs(struct scan *s)
{
        s->njobs = s->cfg->concurrency;
        s->nlook = s->cfg->checks.n;
        s->env.disc = s->disc;
        s->env.details = s->cfg->details;
        s->dnssec = check_set_find(&s->cfg->checks, "dnssec") >= 0;
        s->env.dnssec_validates = TRI_UNKNOWN;
        char err[200];
        if (s->dnssec &&
            ds_fails(dnssec_probe_init(&s->probe, s->cfg->dnssec_probe, err, sizeof(err)) == 0))
                return -EINVAL; /* the command line was checked */
        s->env.dkim_selectors = s->cfg->dkim_selectors;
        s->env.mta_sts_policy = s->cfg->mta_sts_policy;
        s->env.report_cut = s->cfg->report_cut;
        /* Jobs and their memory are mapped, not touched: a job is bound when first used, and
         * the free list is a stack, so only as many jobs as were ever in flight at once cost
         * memory (5.3 KB each with DMARC, SPF and MX), not -c of them. */
        s->job_mem_size = job_mem_size(&s->cfg->checks);
        s->jobs_bytes = (size_t)s->njobs * sizeof(*s->jobs);
        s->job_mem_bytes = (size_t)s->njobs * s->job_mem_size;
        s->jobs = lazymem_new(s->jobs_bytes, false);
        s->job_mem = lazymem_new(s->job_mem_bytes, false);
        s->free_jobs = malloc(s->njobs * sizeof(*s->free_jobs));
        if (!s->jobs || !s->job_mem || !s->free_jobs)
                return -ENOMEM;
        for (uint32_t i = 0; i < s->njobs; i++)
                s->free_jobs[i] = s->njobs - 1 - i;
        s->nfree = s->njobs;
        return 0;
}

/* The loop and every loop handle of the scan itself, initialized (not started) up front so
 * that finish() can close them on any path; on failure nothing is left open. */
static int open_loop(struct scan *s)
{
        int rc = uv_loop_init(&s->loop);
        if (rc < 0)
                return rc;
        /* Only the signal handles can fail (libuv opens the loop's signal pipe for the first):
         * they come first, so a failure leaves at most one handle to close. */
        rc = uv_signal_init(&s->loop, &s->sig_int);
        if (rc == 0 && (rc = uv_signal_init(&s->loop, &s->sig_term)) < 0)
                uv_close((uv_handle_t *)&s->sig_int, NULL);
        if (rc < 0) {
                uv_run(&s->loop, UV_RUN_DEFAULT);
                (void)ds_fails(uv_loop_close(&s->loop) == 0);
                return rc;
        }
        s->sig_int.data = s->sig_term.data = s;
        uv_timer_init(&s->loop, &s->progress_timer);
        s->progress_timer.data = s;
        uv_check_init(&s->loop, &s->kick);
        s->kick.data = s;
        uv_timer_init(&s->loop, &s->soon);
        return 0;
}

/* Writer thread: the lines of tags are durable up to offset of the output. */
static int on_synced(void *ctx, uint64_t offset, const uint64_t *tags, size_t n)
{
        struct checkpoint *c = ctx;
        for (size_t i = 0; i < n; i++)
                if (ds_fails(ckpt_set_add(&c->done, tags[i])))
                        continue; /* a line written twice: the checkpoint still says once */
        c->offset = offset;
        return checkpoint_save(c);
}

static int start(struct scan *s, struct sink *sink, char *err, size_t errlen)
{
        const struct scan_config *cfg = s->cfg;
        /* Inputs first: a wrong path is the most common mistake, reported before any thread
         * or socket exists. */
        int rc =
            feed_start(&s->feed, cfg->inputs, cfg->ninputs, &cfg->input, &cfg->shard, err, errlen);
        if (rc < 0)
                return rc;
        struct writer_sync ws = {on_synced, &s->rs.ckpt, cfg->checkpoint_ms};
        /* on failure the caller still owns sink */
        rc = writer_start(&s->writer, sink, s->clock, s->rs.checkpointing ? &ws : NULL);
        if (rc < 0) {
                snprintf(err, errlen, "cannot start the writer: %s", strerror(-rc));
                return rc;
        }
        if (alloc_jobs(s) < 0 ||
            anscache_new(&s->cache, s->njobs * s->nlook, DS_ANSCACHE_BYTES) < 0) {
                snprintf(err, errlen, "out of memory for %u jobs", cfg->concurrency);
                return -ENOMEM;
        }
        rc = pool_start(&s->pool, cfg->threads, s->njobs * s->nlook, &cfg->checks, &s->loop,
                        s->writer, &s->nd, s->clock, on_job_back, s);
        if (rc < 0) {
                snprintf(err, errlen, "cannot start the classifier threads: %s", strerror(-rc));
                return rc;
        }
        if (cfg->summary && pool_summarize(s->pool, cfg->input.sector_column != NULL) < 0) {
                snprintf(err, errlen, "out of memory for the summary");
                return -ENOMEM;
        }
        /* libuv runs check handles newest first: started before the engine's, this one runs
         * after the engine admitted and dispatched for the turn. */
        uv_check_start(&s->kick, on_kick);
        struct engine_config ec = {
            .resolvers = &s->resolvers,
            .sockets = cfg->sockets,
            /* each check of a job has its lookup; the DNSSEC probe its own two */
            .concurrency = s->njobs * s->nlook + (s->dnssec ? DNSSEC_PROBES : 0),
            .timeout_ms = cfg->timeout_ms,
            .retries = cfg->retries,
            .rate_qps = cfg->rate_qps,
            .tcp = cfg->tcp,
            .case_randomize = cfg->case_randomize,
            .adaptive = cfg->adaptive,
            .coalesce_us = DS_COALESCE_US,
            .no_gso = !cfg->gso,
        };
        if (cfg->resolver_rate < 0)
                resolvers_set_rate(&s->resolvers, DS_RESOLVER_RATE_DEFAULT, false);
        else
                resolvers_set_rate(&s->resolvers, cfg->resolver_rate, true);
        struct engine_ops ops = {
            .ctx = s, .admit = on_admit, .done = on_lookup_done, .prefetch = on_reply_coming};
        rc = engine_new(&s->engine, &s->loop, &ec, &ops, err, errlen);
        if (rc < 0)
                return rc;
        if (cfg->mta_sts_policy) {
                struct https_config hc = {
                    .concurrency = cfg->mta_sts_fetches,
                    .timeout_ms = cfg->mta_sts_timeout_ms,
                    .port = cfg->mta_sts_port,
                    .body_max = MTASTS_BODY_MAX,
                    .ca_file = cfg->ca_file,
                    .user_agent = "dmarcscan/" DS_VERSION,
                };
                rc = https_new(&s->https, &s->loop, &hc, on_fetched, s);
                if (rc < 0) {
                        snprintf(err, errlen, "cannot start the HTTPS fetches: %s", strerror(-rc));
                        return rc;
                }
        }
        uv_timer_start(&s->progress_timer, on_progress, 1000, 1000);
        uv_signal_start(&s->sig_int, on_signal, SIGINT);
        uv_signal_start(&s->sig_term, on_signal, SIGTERM);
        return 0;
}

static void print_closing(struct scan *s)
{
        uint64_t outcomes[OUTCOME_COUNT];
        struct anscache_stats cache;
        pool_outcomes(s->pool, outcomes);
        anscache_stats(s->cache, &cache);
        progress_clear(&s->progress);
        struct closing c = {
            .quiet = s->cfg->quiet,
            .outcomes = outcomes,
            .resolvers = &s->resolvers,
            .counters = engine_counters(s->engine),
            .rcvbuf_drops = engine_rcvbuf_drops(s->engine),
            .cache = &cache,
            .memo_hits = pool_memo_hits(s->pool),
            .resumed_from = s->rs.resuming ? s->rs.ckpt.path : NULL,
            .output = s->cfg->output,
            .resume_lines = s->rs.lines,
            .written_now = s->lines_done - s->skipped,
            .lines = s->lines_done,
            .elapsed_s = elapsed_s(s),
        };
        closing_print(stderr, &c);
}

static int write_metadata(struct scan *s)
{
        struct anscache_stats cache;
        anscache_stats(s->cache, &cache);
        struct runmeta m = {
            .cfg = s->cfg,
            .cache = &cache,
            .memo_hits = pool_memo_hits(s->pool),
            .resolvers = &s->resolvers,
            .counters = engine_counters(s->engine),
            .history = engine_cc_history(s->engine),
            .udp = engine_udp_stats(s->engine),
            .tcp = engine_tcp_stats(s->engine),
            .rcvbuf_drops = engine_rcvbuf_drops(s->engine),
            .rcvbuf_bytes = engine_rcvbuf_bytes(s->engine),
            .lines = s->lines_written,
            .output_error = s->output_error[0] ? s->output_error : NULL,
            .input_items = atomic_load(&s->feed.items),
            .input_read = atomic_load(&s->feed.read),
            .duplicates = atomic_load(&s->feed.duplicates),
            .duplicates_fp_rate = s->feed.seen ? dupfilter_fp_rate(s->feed.seen) : -1,
            .domains_in_flight_max = s->jobs_bound,
            .started_unix = s->t0_unix,
            .wall_s = elapsed_s(s),
            .interrupted = s->interrupts > 0,
            .input_error = s->feed.error ? s->feed.errmsg : NULL,
            .psl_source = ds_psl_source(s->disc->psl),
            .psl_date = ds_psl_date(s->disc->psl),
            .checkpoint = s->rs.checkpointing ? s->rs.ckpt.path : NULL,
            .resumed = s->rs.resuming,
            .resume_offset = s->rs.offset,
            .resume_lines = s->rs.lines,
            .dnssec_probe = s->dnssec ? &s->probe : NULL,
            .https = s->https ? https_stats(s->https) : NULL,
        };
        int rc = runmeta_write(s->cfg->metadata, &m);
        if (rc < 0)
                fprintf(stderr, "dmarcscan: cannot write metadata %s: %s\n", s->cfg->metadata,
                        strerror(-rc));
        return rc;
}

/* An input as the reader saw it; in NULL: the reader was left behind (nothing is final). */
static void describe_input(struct summary_input *d, const char *path, const struct input *in)
{
        uint64_t total;
        *d = (struct summary_input){.path = path, .format = "?"};
        if (!in)
                return;
        d->format = input_format_name(input_format_of(in));
        input_progress(in, &d->bytes, &total);
        d->rows = input_rows(in);
        input_sha256(in, d->sha256);
}

/* After the writer closed: the workers' summaries merged, with the inputs' figures once the
 * reader ended. */
static int write_summary(struct scan *s)
{
        const struct scan_config *cfg = s->cfg;
        struct summary sum;
        bool reader_done = feed_join(&s->feed) && s->feed.inputs;
        struct summary_input *in = calloc(cfg->ninputs, sizeof(*in));
        int rc = in ? pool_summary(s->pool, &sum, cfg->input.sector_column != NULL) : -ENOMEM;
        if (rc == 0) {
                for (unsigned i = 0; i < cfg->ninputs; i++)
                        describe_input(&in[i], cfg->inputs[i],
                                       reader_done ? s->feed.inputs[i] : NULL);
                struct summary_scan m = {
                    .cfg = cfg,
                    .resolvers = &s->resolvers,
                    .psl_source = ds_psl_source(s->disc->psl),
                    .psl_date = ds_psl_date(s->disc->psl),
                    .inputs = in,
                    .duplicates = atomic_load(&s->feed.duplicates),
                    .started_unix = s->t0_unix,
                    .ended_unix = ds_clock_wall_s(s->clock),
                    /* lines of part of the input: stopped, or input or output failed */
                    .partial = s->interrupts > 0 || s->feed.error || !reader_done ||
                               s->writer_failure_seen || s->output_error[0],
                    .resumed = s->rs.resuming,
                };
                rc = summary_write(cfg->summary, &m, &sum);
                summary_free(&sum);
        }
        free(in);
        if (rc < 0)
                fprintf(stderr, "dmarcscan: cannot write the summary %s: %s\n", cfg->summary,
                        strerror(-rc));
        return rc;
}

static void teardown(struct scan *s)
{
        if (s->engine)
                engine_free(s->engine);
        pool_free(s->pool);
        feed_free(&s->feed);
        for (uint32_t i = 0; s->jobs && i < s->jobs_bound; i++) /* the stack binds 0, 1, ... */
                job_free(&s->jobs[i]);
        lazymem_free(s->jobs, s->jobs_bytes);
        lazymem_free(s->job_mem, s->job_mem_bytes);
        free(s->free_jobs);
        anscache_free(s->cache);
        https_free(s->https);
        exclude_free(s->exclude);
        discovery_ctx_close(s->disc);
        resolvers_free(&s->resolvers);
        resume_free(&s->rs);
}

static int open_sink(struct scan *s, struct sink **sink, char *err, size_t errlen)
{
        const char *out = s->cfg->output;
        bool z = out && strcmp(out, "-") != 0 && sink_path_wants_zstd(out);
        int rc = s->rs.resuming ? sink_reopen(sink, out, z, DS_ZSTD_LEVEL, s->rs.offset)
                                : sink_open(sink, out, z, DS_ZSTD_LEVEL);
        /* A crash before the first checkpoint after the output was created may have lost
         * its directory entry: nothing was durable in it anyway. */
        if (rc == -ENOENT && s->rs.resuming && s->rs.offset == 0)
                rc = sink_open(sink, out, z, DS_ZSTD_LEVEL);
        if (rc == -ENOENT && s->rs.resuming)
                snprintf(err, errlen,
                         "--resume: %s is missing, though the checkpoint %s records %" PRIu64
                         " bytes of it; leave out --resume to start afresh",
                         out, s->rs.ckpt.path, s->rs.offset);
        else if (rc == -ENODATA)
                snprintf(err, errlen,
                         "--resume: %s is shorter than the %" PRIu64
                         " bytes the checkpoint %s records: it was changed since; leave out "
                         "--resume to start afresh",
                         out, s->rs.offset, s->rs.ckpt.path);
        else if (rc < 0)
                snprintf(err, errlen, "cannot open output %s: %s", out ? out : "(stdout)",
                         strerror(-rc));
        return rc;
}

static void close_any(uv_handle_t *h, void *arg)
{
        (void)arg;
        if (!uv_is_closing(h))
                uv_close(h, NULL);
}

/* Every path out of scan_run ends here: the scan's handles closed (finish() is idempotent),
 * the loop run until their close callbacks ran, then closed. A handle still open then is a
 * leak of some module: closed here so that the loop can be. */
static void close_loop(struct scan *s)
{
        finish(s);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        if (ds_fails(uv_loop_close(&s->loop) == 0)) {
                uv_walk(&s->loop, close_any, NULL);
                uv_run(&s->loop, UV_RUN_DEFAULT);
                (void)ds_fails(uv_loop_close(&s->loop) == 0);
        }
}

int scan_run(const struct scan_config *cfg)
{
        struct scan *s = calloc(1, sizeof(*s));
        char err[1024] = "";
        struct sink *sink = NULL;
        int status = 1;
        if (!s)
                return 1;
        s->cfg = cfg;
        s->nd.files = cfg->inputs;
        s->nd.nfiles = cfg->ninputs;
        s->nd.profile = &cfg->profile;
        s->clock = ds_clock_real();
        s->nd.clock = s->clock;
        s->t0_ns = ds_clock_mono_ns(s->clock);
        s->t0_unix = ds_clock_wall_s(s->clock);
        progress_init(&s->progress, stderr, cfg->quiet);
        int loop_rc = open_loop(s);
        if (loop_rc < 0) {
                fprintf(stderr, "dmarcscan: cannot start the event loop: %s\n",
                        uv_strerror(loop_rc));
                free(s);
                return 1;
        }
        if (open_resolvers(s, err, sizeof(err)) < 0 ||
            (cfg->exclude && exclude_load(&s->exclude, cfg->exclude, err, sizeof(err)) < 0) ||
            discovery_ctx_open(&s->disc, cfg->discovery, cfg->psl_file, err, sizeof(err)) < 0)
                goto out_early;
        int prc = resume_prepare(&s->rs, cfg, s->disc->psl, err, sizeof(err));
        if (prc == 1)
                status = 0;
        if (prc != 0 || open_sink(s, &sink, err, sizeof(err)) < 0)
                goto out_early;
        if (start(s, sink, err, sizeof(err)) < 0) {
                fprintf(stderr, "dmarcscan: %s\n", err);
                s->input_done = true;
                s->aborted = true;
                finish(s);
                uv_run(&s->loop, UV_RUN_DEFAULT);
                goto out_writer;
        }
        for (size_t i = 0; i < s->resolvers.n && !cfg->quiet; i++)
                if (s->resolvers.v[i].rate.rate > 0)
                        fprintf(
                            stderr,
                            "dmarcscan: resolver %s limited to %.0f queries/s (--resolver-rate)\n",
                            s->resolvers.v[i].name, s->resolvers.v[i].rate.rate);
        if (engine_rcvbuf_bytes(s->engine) < DS_SOCKBUF_BYTES / 2)
                fprintf(
                    stderr,
                    "dmarcscan: warning: the kernel granted a %d-byte receive buffer (asked %d);"
                    " raise net.core.rmem_max to avoid losing replies\n",
                    engine_rcvbuf_bytes(s->engine), DS_SOCKBUF_BYTES);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        /* The contract (scan.h): every domain admitted got its line, unless stopped twice. */
        (void)ds_fails(s->aborted || s->lines_done == s->admitted);
        print_closing(s);
        status = s->interrupts ? 130 : 0;
        if (s->feed.error) {
                fprintf(stderr, "dmarcscan: input: %s\n", s->feed.errmsg);
                status = 1;
        } else if (!s->interrupts && atomic_load(&s->feed.read) == 0) {
                fprintf(stderr,
                        "dmarcscan: no domain in %s: no data line (blank and '#' lines are "
                        "skipped, and the first line of a CSV is its header)\n",
                        cfg->ninputs == 1 ? cfg->inputs[0] : "the inputs");
                status = 1;
        }
out_writer:
        if (s->writer) {
                int rc = writer_close(s->writer, &s->lines_written);
                s->writer = NULL;
                if (rc < 0) {
                        if (s->rs.ckpt.err[0])
                                snprintf(s->output_error, sizeof(s->output_error), "%s",
                                         s->rs.ckpt.err);
                        else
                                snprintf(s->output_error, sizeof(s->output_error),
                                         "writing %s failed: %s",
                                         cfg->output ? cfg->output : "stdout", strerror(-rc));
                        fprintf(stderr, "dmarcscan: %s\n", s->output_error);
                        status = 1;
                } else if (status == 0) {
                        resume_mark_complete(&s->rs, atomic_load(&s->feed.items),
                                             !s->interrupts && !s->feed.error &&
                                                 !s->output_error[0]);
                }
                if (s->rs.checkpointing && (s->interrupts || rc < 0))
                        fprintf(stderr,
                                "dmarcscan: %s keeps what was written (%" PRIu64
                                " lines); to continue, run the same command with --resume\n",
                                s->rs.ckpt.path, s->rs.ckpt.done.count);
        } else if (sink) {
                sink_close(sink);
        }
        /* After the writer closed: the metadata says how many lines really reached the file. */
        if (cfg->metadata && s->engine && write_metadata(s) < 0)
                status = 1;
        if (cfg->summary && s->engine && s->pool && write_summary(s) < 0)
                status = 1;
        teardown(s);
        close_loop(s);
        free(s);
        return status;
out_early:
        if (err[0])
                fprintf(stderr, "dmarcscan: %s\n", err);
        if (sink)
                sink_close(sink);
        resume_free(&s->rs);
        exclude_free(s->exclude);
        discovery_ctx_close(s->disc);
        resolvers_free(&s->resolvers);
        close_loop(s);
        free(s);
        return status;
}
