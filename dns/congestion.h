/* congestion.h -- per-resolver congestion control: how many queries one resolver may have in
 * flight (the window) and how fast it may be sent new ones (the pacing rate).
 * Contract: pure logic on explicit times (milliseconds of one monotonic clock, passed in by
 * the caller), no allocation, no I/O: the engine feeds it sends, answers and a periodic
 * tick, and asks cc_may_send() before each send. Design and sources: docs/congestion.md.
 * - Loss is measured per send-time bucket once the bucket is old enough that its answers
 *   should be in (a few round trips, well before the query timeout); an answer of any rcode
 *   is a delivery. Loss above the resolver's own background loss (the median of recent
 *   judgements, so a path that always drops 30% is not "congested") cuts the window to 70%
 *   of what was in flight and paces at 90% of the rate that got through.
 * - Delay: when the fastest answer of an epoch (cache hits travel the same queues) rises to
 *   twice its recent floor plus a margin, a queue is building: the window stops growing,
 *   long before the resolver starts dropping; a severe delay that lasts cuts it by 10%.
 * - Growth is clocked by time, not by completions: every epoch in which the window (or the
 *   pacing rate) was what held the sends back and no signal fired, it grows (x1.5 in slow
 *   start, +5% after), so a window cut in a bad minute always climbs back; but never past a
 *   few times the largest window last judged loss-free, so it cannot outrun the feedback.
 * - Sends that fall in a congestion episode (from the first congested bucket until buckets
 *   sent after the cut come back clean) are reported by cc_congestion_loss() so the engine
 *   can resend them without charging the lookup's retry budget.
 * Loop thread only. */
#ifndef DS_CONGESTION_H
#define DS_CONGESTION_H

#include <stdbool.h>
#include <stdint.h>

#include "dns/limits.h"
#include "dns/rtt.h"

#define CC_BUCKET_MS 25  /* send-time granularity of the loss accounting */
#define CC_BUCKETS   128 /* 3.2 s of send history */
#define CC_EPOCH_MS  50  /* decisions at most this often */
#define CC_LOSS_HIST 31  /* recent loss judgements kept for the background-loss median */
#define CC_EPISODES  8   /* recent congestion episodes remembered for resend decisions */

struct cc_bucket {
        uint64_t number; /* send time / CC_BUCKET_MS; a stale number means empty */
        uint32_t sent, answered;
        uint32_t inflight_max; /* the most in flight while these were sent */
};

struct cc_stats {
        uint64_t loss_cuts, delay_cuts, delay_holds, grows, judged, episodes, late_answers, undone;
};

struct cc {
        bool adaptive;  /* false: window = ceiling, no pacing (--no-adapt) */
        double ceiling; /* -c: the window never exceeds it */
        double window;  /* queries in flight allowed now */
        double rate;    /* pacing in queries/s; 0 = not paced */
        double tokens;  /* pacing bucket */
        uint64_t tokens_ms;
        bool slow_start; /* until the first loss or delay signal */

        struct cc_bucket b[CC_BUCKETS];
        uint64_t judged_upto; /* bucket numbers below this have been judged */
        uint32_t acc_sent, acc_answered, acc_inflight;
        double validated; /* the most in flight that was judged free of congestion loss */
        uint64_t acc_from_ms, acc_to_ms; /* send-time span of the accumulated buckets */
        float loss_hist[CC_LOSS_HIST];
        unsigned loss_n, loss_next;

        uint32_t rtt_hist[RTT_BUCKETS]; /* answers of the current epoch (dns/rtt.h) */
        uint32_t rtt_count;
        double p90_ms;      /* smoothed 90th percentile: how long answers take to come */
        double floor_ms[3]; /* fastest answer per 10 s slot: the floor */
        uint64_t floor_slot;
        double last_fast_ms; /* the fastest answer of the last judged epoch */

        uint64_t epoch_ms;             /* start of the current epoch */
        unsigned inflight_max;         /* highest in-flight count this epoch */
        unsigned inflight_prev;        /* ...and in the previous epoch */
        bool window_limited;           /* a send was refused for the window this epoch */
        bool pace_limited;             /* ...or for the pacing rate */
        unsigned pace_idle_epochs;     /* epochs in a row the pacing rate held nothing back */
        uint64_t recover_ms;           /* loss of sends before this was already answered by a cut */
        uint64_t lost_before_ms;       /* cc_tick's verdict of this epoch */
        double reo_mult;               /* maturity stretch after late answers (1..CC_REO_MAX) */
        uint64_t reo_stretched_ms;     /* when it was last stretched */
        double undo_window, undo_rate; /* before the last loss cut; 0 once undone */
        unsigned late_since_cut;
        unsigned severe_streak; /* epochs in a row with a severe delay */

        struct {
                uint64_t from_ms, to_ms; /* to_ms UINT64_MAX while open */
        } ep[CC_EPISODES];
        unsigned ep_next;
        bool ep_open;

        struct cc_stats stats;
};

/* ceiling: the largest window (-c); adaptive false keeps the window at the ceiling. */
void cc_init(struct cc *c, unsigned ceiling, bool adaptive);

/* May a query be sent now with `inflight` already in flight to this resolver? Takes a pacing
 * token when it says yes. A refusal is remembered as "held back" for the growth rule. */
bool cc_may_send(struct cc *c, unsigned inflight, uint64_t now_ms);
/* Give back the pacing token of a send that did not happen after all. */
void cc_unsend(struct cc *c);

void cc_on_send(struct cc *c, uint64_t sent_ms, unsigned inflight);
/* An answer (any rcode) to a query sent at sent_ms. */
void cc_on_answer(struct cc *c, uint64_t sent_ms, uint64_t rtt_us);

/* Judge matured buckets and adjust window and rate (at most once per CC_EPOCH_MS).
 * timeout_ms bounds how long answers are waited for; inflight is the count now. Returns 0,
 * or after a congested judgement a send time: queries sent to this resolver before it and
 * still unanswered are lost (their answers were due long ago), so the engine can resend
 * them now instead of at their timeout. */
uint64_t cc_tick(struct cc *c, uint64_t now_ms, unsigned timeout_ms, unsigned inflight);

/* An answer came for a send that was already presumed lost (its id no longer matches):
 * the loss was only delay. Stretches the maturity time and, after a few, undoes the cut. */
void cc_on_late_answer(struct cc *c, uint64_t now_ms);

/* Was a query sent at sent_ms (and not answered) lost to congestion? */
bool cc_congestion_loss(const struct cc *c, uint64_t sent_ms);

/* Window in whole queries (at least 1). */
unsigned cc_window(const struct cc *c);

/* The windows and pacing rates of a scan over time, one sample per interval (1 s, doubled
 * with every other sample dropped whenever CC_HISTORY_MAX samples are full, so a night-long
 * scan keeps a bounded, evenly spaced history). Resolvers past CC_HISTORY_RESOLVERS are
 * summed into the last column. Owns its arrays: cc_history_free. */
#define CC_HISTORY_MAX       4096
#define CC_HISTORY_RESOLVERS 16

struct cc_history {
        unsigned columns;     /* resolvers kept apart */
        unsigned n;           /* samples */
        unsigned interval_ms; /* between samples */
        uint64_t next_ms;
        uint32_t *window; /* [n][columns] */
        uint32_t *rate;   /* [n][columns], 0 = not paced */
};

int cc_history_init(struct cc_history *h, unsigned resolvers);
/* Called every tick: true when a sample is due, which then has a fresh row for
 * cc_history_add() of every resolver (index i). */
bool cc_history_due(struct cc_history *h, uint64_t now_ms);
void cc_history_add(struct cc_history *h, unsigned i, const struct cc *c);
void cc_history_free(struct cc_history *h);

#endif
