/* resolvers.c -- resolver list parsing (command line, @file, resolv.conf). */
#include "dns/resolvers.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int add_resolver(struct resolver_list *l, const struct sockaddr_storage *ss, socklen_t len)
{
        if (l->n >= DS_RESOLVERS_MAX)
                return -E2BIG;
        if (l->n == l->cap) {
                /* Doubling: growing by one copied 2.5 GB for 1,024 resolvers (quadratic). */
                size_t cap = l->cap ? l->cap * 2 : 4;
                struct resolver *v = realloc(l->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                l->v = v;
                l->cap = cap;
        }
        struct resolver *r = &l->v[l->n++];
        memset(r, 0, sizeof(*r));
        memcpy(&r->addr, ss, len);
        r->addrlen = len;
        cc_init(&r->cc, DS_CONCURRENCY_MAX, false); /* the engine sets the real ceiling */
        char ip[INET6_ADDRSTRLEN];
        if (ss->ss_family == AF_INET) {
                const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
                inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
                snprintf(r->name, sizeof(r->name), "%s:%u", ip, ntohs(s4->sin_port));
        } else {
                const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
                inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
                snprintf(r->name, sizeof(r->name), "[%s]:%u", ip, ntohs(s6->sin6_port));
        }
        return 0;
}

static int parse_port(const char *s, uint16_t *port)
{
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || *end || end == s || v < 1 || v > 65535)
                return -EINVAL;
        *port = (uint16_t)v;
        return 0;
}

/* One entry, already trimmed: IPv4[:port], [IPv6][:port] or a bare IPv6 address. */
static int parse_one(struct resolver_list *l, const char *entry, char *err, size_t errlen)
{
        char host[INET6_ADDRSTRLEN + 2];
        uint16_t port = 53;
        const char *colon = strrchr(entry, ':');
        const char *start = entry;
        size_t hlen;
        bool bracketed = entry[0] == '[';

        if (bracketed) {
                const char *close = strchr(entry, ']');
                if (!close)
                        goto bad;
                hlen = (size_t)(close - entry - 1);
                if (close[1] == ':' && parse_port(close + 2, &port) < 0)
                        goto bad;
                if (close[1] && close[1] != ':')
                        goto bad;
                start = entry + 1;
        } else if (colon && strchr(entry, ':') == colon) {
                hlen = (size_t)(colon - entry);
                if (parse_port(colon + 1, &port) < 0)
                        goto bad;
        } else {
                hlen = strlen(entry);
        }
        if (hlen == 0 || hlen >= sizeof(host))
                goto bad;
        memcpy(host, start, hlen);
        host[hlen] = 0;

        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof(ss));
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        int rc;
        if (!bracketed && inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                rc = add_resolver(l, &ss, sizeof(*s4));
        } else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                rc = add_resolver(l, &ss, sizeof(*s6));
        } else {
                goto bad;
        }
        if (rc == -E2BIG)
                snprintf(err, errlen, "too many resolvers (at most %d)", DS_RESOLVERS_MAX);
        else if (rc < 0)
                snprintf(err, errlen, "resolver '%s': %s", entry, strerror(-rc));
        return rc;
bad:
        snprintf(err, errlen, "resolver '%s' is not IP, IP:PORT or [IPv6]:PORT", entry);
        return -EINVAL;
}

static char *trim(char *s)
{
        while (isspace((unsigned char)*s))
                s++;
        size_t n = strlen(s);
        while (n && isspace((unsigned char)s[n - 1]))
                s[--n] = 0;
        return s;
}

static int parse_file(struct resolver_list *l, const char *path, int resolv_conf, char *err,
                      size_t errlen)
{
        FILE *f = fopen(path, "r");
        if (!f) {
                int e = errno;
                snprintf(err, errlen, "cannot open resolver file %s: %s", path, strerror(e));
                return -e;
        }
        char line[512];
        unsigned lineno = 0;
        int rc = 0;
        while (rc == 0 && fgets(line, sizeof(line), f)) {
                lineno++;
                char *hash = strpbrk(line, resolv_conf ? "#;" : "#");
                if (hash)
                        *hash = 0;
                char *s = trim(line);
                if (resolv_conf) {
                        if (strncmp(s, "nameserver", 10) != 0 || !isspace((unsigned char)s[10]))
                                continue;
                        s = trim(s + 10);
                        char *pct = strchr(s, '%'); /* link-local scope: unsupported */
                        if (pct)
                                continue;
                }
                if (!*s)
                        continue;
                rc = parse_one(l, s, err, errlen);
                if (rc < 0) {
                        size_t used = strlen(err);
                        snprintf(err + used, errlen - used, " (%s line %u)", path, lineno);
                }
        }
        fclose(f);
        return rc;
}

int resolvers_parse(struct resolver_list *out, const char *spec, char *err, size_t errlen)
{
        if (spec[0] == '@') {
                int rc = parse_file(out, spec + 1, 0, err, errlen);
                if (rc == 0 && out->n == 0) {
                        snprintf(err, errlen, "no resolver in %s", spec + 1);
                        rc = -EINVAL;
                }
                return rc;
        }
        char *copy = strdup(spec);
        if (!copy)
                return -ENOMEM;
        int rc = 0;
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0;
             tok = strtok_r(NULL, ",", &save)) {
                char *s = trim(tok);
                if (*s)
                        rc = parse_one(out, s, err, errlen);
        }
        free(copy);
        if (rc == 0 && out->n == 0) {
                snprintf(err, errlen, "no resolver given in '%s'", spec);
                rc = -EINVAL;
        }
        return rc;
}

int resolvers_from_resolv_conf(struct resolver_list *out, const char *path, char *err,
                               size_t errlen)
{
        int rc = parse_file(out, path, 1, err, errlen);
        if (rc == 0 && out->n == 0) {
                snprintf(err, errlen, "no nameserver in %s: give resolvers with -r", path);
                rc = -ENOENT;
        }
        return rc;
}

void resolvers_free(struct resolver_list *l)
{
        free(l->v);
        l->v = NULL;
        l->n = l->cap = 0;
}

int resolver_addr_equal(const struct resolver *r, const struct sockaddr *addr)
{
        if (addr->sa_family != r->addr.ss_family)
                return 0;
        if (addr->sa_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)addr;
                const struct sockaddr_in *b = (const struct sockaddr_in *)&r->addr;
                return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
        }
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)addr;
        const struct sockaddr_in6 *b = (const struct sockaddr_in6 *)&r->addr;
        return a->sin6_port == b->sin6_port &&
               memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

void rate_init(struct rate_bucket *b, double rate)
{
        b->rate = rate;
        /* A tenth of a second of burst: smooth at the scale a resolver's rate limiter sees. */
        b->burst = rate > 10 ? rate / 10 : 1;
        b->tokens = b->burst;
        b->last_ms = 0;
}

static void rate_refill(struct rate_bucket *b, uint64_t now_ms)
{
        if (now_ms > b->last_ms) {
                b->tokens += b->rate * (double)(now_ms - b->last_ms) / 1000.0;
                if (b->tokens > b->burst)
                        b->tokens = b->burst;
                b->last_ms = now_ms;
        }
}

bool rate_take(struct rate_bucket *b, uint64_t now_ms)
{
        if (b->rate <= 0)
                return true;
        rate_refill(b, now_ms);
        if (b->tokens < 1)
                return false;
        b->tokens -= 1;
        return true;
}

void rate_refund(struct rate_bucket *b)
{
        if (b->rate > 0 && b->tokens + 1 <= b->burst)
                b->tokens += 1;
}

double rate_available(struct rate_bucket *b, uint64_t now_ms)
{
        if (b->rate <= 0)
                return 1e18;
        rate_refill(b, now_ms);
        return b->tokens;
}

bool resolver_is_loopback(const struct resolver *r)
{
        if (r->addr.ss_family == AF_INET) {
                const struct sockaddr_in *a = (const struct sockaddr_in *)&r->addr;
                return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
        }
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&r->addr;
        return IN6_IS_ADDR_LOOPBACK(&a->sin6_addr);
}

void resolvers_set_rate(struct resolver_list *l, double rate_qps, bool loopback_too)
{
        for (size_t i = 0; i < l->n; i++)
                rate_init(&l->v[i].rate,
                          loopback_too || !resolver_is_loopback(&l->v[i]) ? rate_qps : 0);
}

bool resolver_benched(const struct resolver *r, uint64_t now_ms)
{
        return r->benched_until_ms > now_ms;
}

/* Room in the congestion window (and a pacing token), then a --resolver-rate token. */
static bool take_send(struct resolver_list *l, struct resolver *r, uint64_t now_ms)
{
        if (!cc_may_send(&r->cc, r->inflight, now_ms))
                return false;
        if (rate_take(&r->rate, now_ms))
                return true;
        cc_unsend(&r->cc);
        l->held_by_window = false;
        return false;
}

int resolvers_pick(struct resolver_list *l, int avoid, unsigned *cursor, uint64_t now_ms)
{
        size_t n = l->n;
        int soonest = -1;
        bool tokens_short = false;
        l->held_by_window = true;
        for (int pass = 0; pass < 2; pass++) {
                for (size_t k = 0; k < n; k++) {
                        unsigned i = (unsigned)((*cursor + k) % n);
                        struct resolver *r = &l->v[i];
                        if (n > 1 && (int)i == avoid && pass == 0)
                                continue;
                        if (resolver_benched(r, now_ms)) {
                                if (soonest < 0 ||
                                    r->benched_until_ms < l->v[soonest].benched_until_ms)
                                        soonest = (int)i;
                                continue;
                        }
                        if (!take_send(l, r, now_ms)) {
                                tokens_short = true;
                                continue;
                        }
                        *cursor = i + 1;
                        return (int)i;
                }
        }
        if (tokens_short || soonest < 0)
                return -1;
        /* Everything is benched: never stall the scan; ask the one back soonest. */
        return take_send(l, &l->v[soonest], now_ms) ? soonest : -1;
}

static void roll(struct resolver *r, uint64_t now_ms)
{
        if (now_ms < r->interval_ms || now_ms - r->interval_ms < 1000)
                return;
        bool adjacent = now_ms - r->interval_ms < 2000;
        r->ok_prev = adjacent ? r->ok_cur : 0;
        r->fail_prev = adjacent ? r->fail_cur : 0;
        r->ok_cur = r->fail_cur = 0;
        r->interval_ms = now_ms;
}

void resolver_note_answer(struct resolver *r, uint64_t rtt_us, uint64_t now_ms)
{
        roll(r, now_ms);
        r->ok_cur++;
        r->rtt_hist[rtt_bucket(rtt_us)]++;
}

void resolver_note_failure(struct resolver *r, uint64_t now_ms)
{
        /* Timeouts of queries sent before the bench say nothing new: judge it afresh later. */
        if (resolver_benched(r, now_ms))
                return;
        roll(r, now_ms);
        r->fail_cur++;
        uint32_t fails = r->fail_cur + r->fail_prev;
        uint32_t oks = r->ok_cur + r->ok_prev;
        if (resolver_benched(r, now_ms) || fails < DS_BENCH_MIN_FAILS || fails < oks)
                return;
        unsigned shift = r->bench_count < 5 ? r->bench_count : 5;
        uint64_t ms = 2000u << shift;
        r->benched_until_ms = now_ms + (ms > 60000 ? 60000 : ms);
        r->bench_count++;
        r->benchings++;
        /* Judge it afresh when it is back: the failures that benched it are history. */
        r->ok_cur = r->fail_cur = r->ok_prev = r->fail_prev = 0;
        r->interval_ms = r->benched_until_ms;
}

double resolver_rtt_ms(const struct resolver *r, double percentile)
{
        uint64_t total = 0;
        for (unsigned i = 0; i < RTT_BUCKETS; i++)
                total += r->rtt_hist[i];
        return rtt_percentile_ms(r->rtt_hist, total, percentile);
}
