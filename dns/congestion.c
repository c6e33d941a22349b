/* congestion.c -- per-resolver window and pacing (see congestion.h, docs/congestion.md). */
#include "dns/congestion.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CC_WINDOW_INIT      32   /* slow start begins here: its first answers set the floor */
#define CC_SLOW_START_REACH 4.0  /* slow start grows to this times the last loss-free level */
#define CC_REACH            1.5  /* ...and after it, to this times */
#define CC_WINDOW_MIN       16   /* a resolver always gets this many */
#define CC_RATE_MIN         50.0 /* q/s: pacing never goes below */
#define CC_JUDGE_MIN_SENT   200  /* sends needed before a loss share means anything */
#define CC_RTT_MIN_SAMPLES  16   /* answers needed before an epoch's delay means anything */
#define CC_LOSS_MARGIN      0.05 /* loss this far above the background loss is congestion */
#define CC_DELAY_FACTOR     2.0  /* fast answers this much slower than their floor... */
#define CC_DELAY_MARGIN_MS  5.0  /* ...plus this, mean a queue is building */
#define CC_CUT_LOSS         0.7  /* window after a loss: of what was in flight */
#define CC_CUT_RATE         0.9  /* pacing after a loss: of the rate that got through */
#define CC_CUT_DELAY        0.9
#define CC_GROW             1.05 /* per epoch after slow start (~2.6x a second) */
#define CC_GROW_QUIET       1.1  /* per epoch once CC_QUIET_MS passed without a cut */
#define CC_QUIET_MS         1000
#define CC_SLOW_START_GROW  1.5 /* per epoch in slow start: a lagging signal overshoots less */
#define CC_PACE_IDLE_EPOCHS 40  /* 2 s without the pacing rate mattering: drop it */
#define CC_FLOOR_SLOT_MS    10000
#define CC_MATURITY_MIN_MS  100 /* answers are waited for at least this long */
#define CC_REO_MAX          8 /* the maturity time stretches at most this much after late answers */
#define CC_UNDO_LATE        8 /* late answers to presumed-lost sends that undo the last cut */
#define CC_SEVERE_EPOCHS    4 /* epochs in a row of severe delay before a delay cut */

void cc_init(struct cc *c, unsigned ceiling, bool adaptive)
{
        memset(c, 0, sizeof(*c));
        c->adaptive = adaptive;
        c->ceiling = ceiling ? ceiling : 1;
        c->window = adaptive && c->ceiling > CC_WINDOW_INIT ? CC_WINDOW_INIT : c->ceiling;
        c->slow_start = true;
        c->reo_mult = 1;
        c->validated = c->window;
        for (unsigned i = 0; i < 3; i++)
                c->floor_ms[i] = INFINITY;
}

unsigned cc_window(const struct cc *c)
{
        return c->window < 1 ? 1u : (unsigned)c->window;
}

static double pace_burst(const struct cc *c)
{
        /* 20 ms worth: a resolver's own rate limiter sees a smooth stream. */
        double b = c->rate / 50;
        return b < 1 ? 1 : b;
}

bool cc_may_send(struct cc *c, unsigned inflight, uint64_t now_ms)
{
        if ((double)inflight >= c->window) {
                c->window_limited = true;
                return false;
        }
        if (c->rate <= 0)
                return true;
        if (now_ms > c->tokens_ms) {
                c->tokens += c->rate * (double)(now_ms - c->tokens_ms) / 1000.0;
                c->tokens_ms = now_ms;
        }
        if (c->tokens > pace_burst(c))
                c->tokens = pace_burst(c);
        if (c->tokens < 1) {
                c->pace_limited = true;
                return false;
        }
        c->tokens -= 1;
        return true;
}

void cc_unsend(struct cc *c)
{
        if (c->rate > 0)
                c->tokens += 1;
}

void cc_on_send(struct cc *c, uint64_t sent_ms, unsigned inflight)
{
        uint64_t n = sent_ms / CC_BUCKET_MS;
        struct cc_bucket *b = &c->b[n % CC_BUCKETS];
        if (b->number != n) {
                b->number = n;
                b->sent = b->answered = b->inflight_max = 0;
        }
        b->sent++;
        if (inflight > b->inflight_max)
                b->inflight_max = inflight;
        if (inflight > c->inflight_max)
                c->inflight_max = inflight;
}

void cc_on_answer(struct cc *c, uint64_t sent_ms, uint64_t rtt_us)
{
        uint64_t n = sent_ms / CC_BUCKET_MS;
        struct cc_bucket *b = &c->b[n % CC_BUCKETS];
        if (b->number == n && b->answered < b->sent)
                b->answered++;
        c->rtt_hist[rtt_bucket(rtt_us)]++;
        c->rtt_count++;
}

static double epoch_rtt_ms(const struct cc *c, double p)
{
        return rtt_percentile_ms(c->rtt_hist, c->rtt_count, p);
}

static double loss_median(const struct cc *c)
{
        float v[CC_LOSS_HIST];
        unsigned n = c->loss_n;
        if (n == 0)
                return 0;
        memcpy(v, c->loss_hist, n * sizeof(v[0]));
        for (unsigned i = 1; i < n; i++) /* 31 values at most: insertion sort */
                for (unsigned k = i; k > 0 && v[k - 1] > v[k]; k--) {
                        float t = v[k];
                        v[k] = v[k - 1];
                        v[k - 1] = t;
                }
        return v[n / 2];
}

static void loss_push(struct cc *c, double loss)
{
        c->loss_hist[c->loss_next] = (float)loss;
        c->loss_next = (c->loss_next + 1) % CC_LOSS_HIST;
        if (c->loss_n < CC_LOSS_HIST)
                c->loss_n++;
}

/* Floor of the fast answers over the last 20-30 s (three 10 s slots). */
static double delay_floor(const struct cc *c)
{
        double f = INFINITY;
        for (unsigned i = 0; i < 3; i++)
                if (c->floor_ms[i] < f)
                        f = c->floor_ms[i];
        return f;
}

static void floor_note(struct cc *c, double fast_ms, uint64_t now_ms)
{
        uint64_t slot = now_ms / CC_FLOOR_SLOT_MS;
        if (slot != c->floor_slot) {
                for (uint64_t s = c->floor_slot + 1; s <= slot && s <= c->floor_slot + 3; s++)
                        c->floor_ms[s % 3] = INFINITY;
                if (slot > c->floor_slot + 3)
                        for (unsigned i = 0; i < 3; i++)
                                c->floor_ms[i] = INFINITY;
                c->floor_slot = slot;
        }
        if (fast_ms < c->floor_ms[slot % 3])
                c->floor_ms[slot % 3] = fast_ms;
}

enum delay { DELAY_NONE = 0, DELAY_QUEUE, DELAY_SEVERE };

/* Is a queue building at the resolver (judged before this epoch joins the floor)? A queue
 * stops growth; only a severe one cuts: on a shared machine the fast answers also wait for
 * CPU time, and a window cut for that only lowers throughput. */
static enum delay judge_delay(struct cc *c, uint64_t now_ms)
{
        if (c->rtt_count < CC_RTT_MIN_SAMPLES)
                return DELAY_NONE;
        double fast = epoch_rtt_ms(c, 0), p90 = epoch_rtt_ms(c, 0.90);
        /* Rises at once, decays slowly: loss must not be judged before slow answers came. */
        c->p90_ms = p90 > c->p90_ms ? p90 : 0.9 * c->p90_ms + 0.1 * p90;
        c->last_fast_ms = fast;
        double floor = delay_floor(c);
        floor_note(c, fast, now_ms);
        if (!isfinite(floor))
                return DELAY_NONE;
        double queue = CC_DELAY_FACTOR * floor + CC_DELAY_MARGIN_MS;
        if (fast > 2 * queue)
                return DELAY_SEVERE;
        return fast > queue ? DELAY_QUEUE : DELAY_NONE;
}

/* How long a bucket's answers are waited for before its unanswered sends count as lost. */
static uint64_t maturity_ms(const struct cc *c, unsigned timeout_ms)
{
        double cap = (double)(CC_BUCKETS - 4) * CC_BUCKET_MS;
        if (timeout_ms < cap)
                cap = timeout_ms;
        if (c->p90_ms <= 0)
                return (uint64_t)cap;
        double l = (3 * c->p90_ms + 20) * c->reo_mult;
        if (l < CC_MATURITY_MIN_MS)
                l = CC_MATURITY_MIN_MS;
        return (uint64_t)(l < cap ? l : cap);
}

/* Add the buckets that matured since the last call to the accumulator. */
static void gather(struct cc *c, uint64_t now_ms, unsigned timeout_ms)
{
        uint64_t l = maturity_ms(c, timeout_ms);
        if (now_ms < l)
                return;
        uint64_t limit = (now_ms - l) / CC_BUCKET_MS;
        if (limit > c->judged_upto + CC_BUCKETS)
                c->judged_upto = limit - CC_BUCKETS;
        for (uint64_t n = c->judged_upto; n < limit; n++) {
                const struct cc_bucket *b = &c->b[n % CC_BUCKETS];
                if (b->number != n || b->sent == 0)
                        continue;
                if (c->acc_sent == 0)
                        c->acc_from_ms = n * CC_BUCKET_MS;
                c->acc_to_ms = (n + 1) * CC_BUCKET_MS;
                c->acc_sent += b->sent;
                c->acc_answered += b->answered;
                if (b->inflight_max > c->acc_inflight)
                        c->acc_inflight = b->inflight_max;
        }
        if (limit > c->judged_upto)
                c->judged_upto = limit;
}

static double held_in_flight(const struct cc *c)
{
        double f = c->inflight_max > c->inflight_prev ? c->inflight_max : c->inflight_prev;
        return f < c->window ? f : c->window;
}

static void cut_for_loss(struct cc *c, uint64_t now_ms)
{
        c->undo_window = c->window;
        c->undo_rate = c->rate;
        c->late_since_cut = 0;
        c->window = CC_CUT_LOSS * held_in_flight(c);
        if (c->window < CC_WINDOW_MIN)
                c->window = CC_WINDOW_MIN;
        double span_s = (double)(c->acc_to_ms - c->acc_from_ms) / 1000.0;
        double got = span_s > 0 ? CC_CUT_RATE * c->acc_answered / span_s : CC_RATE_MIN;
        if (got < CC_RATE_MIN)
                got = CC_RATE_MIN;
        if (c->rate <= 0 || got < c->rate) {
                c->rate = got;
                c->tokens_ms = now_ms;
                if (c->tokens > pace_burst(c))
                        c->tokens = pace_burst(c);
        }
        c->pace_idle_epochs = 0;
        c->slow_start = false;
        c->recover_ms = now_ms;
        c->validated = c->window; /* what was proven is gone; start proving again here */
        c->stats.loss_cuts++;
}

static void episode_open(struct cc *c)
{
        if (c->ep_open)
                return;
        c->ep[c->ep_next].from_ms = c->acc_from_ms;
        c->ep[c->ep_next].to_ms = UINT64_MAX;
        c->ep_open = true;
        c->stats.episodes++;
}

static void episode_close(struct cc *c)
{
        /* An episode without a late answer: the stretched maturity time can shrink back
         * (RACK decays its reordering window the same way). */
        if (c->late_since_cut == 0 && c->reo_mult > 1)
                c->reo_mult /= 2;
        c->ep[c->ep_next].to_ms = c->acc_from_ms;
        c->ep_next = (c->ep_next + 1) % CC_EPISODES;
        c->ep_open = false;
}

/* Judge the accumulated sends; true when the window was cut for loss. A congested
 * judgement also sets lost_before_ms: what is still unanswered from before then is lost. */
static bool judge_loss(struct cc *c, uint64_t now_ms)
{
        if (c->acc_sent < CC_JUDGE_MIN_SENT)
                return false;
        double loss = 1.0 - (double)c->acc_answered / c->acc_sent;
        double background = loss_median(c);
        double margin = background / 2 > CC_LOSS_MARGIN ? background / 2 : CC_LOSS_MARGIN;
        bool congested = loss > background + margin;
        bool cut = false;
        loss_push(c, loss);
        c->stats.judged++;
        if (congested) {
                c->lost_before_ms = c->acc_to_ms;
                /* One cut per episode step: sends from before the last cut were already
                 * answered for, their loss says nothing about the window now. */
                if (c->acc_to_ms > c->recover_ms) {
                        cut_for_loss(c, now_ms);
                        cut = true;
                }
                episode_open(c);
        } else if (c->ep_open && c->acc_from_ms >= c->recover_ms) {
                episode_close(c);
        }
        if (!congested && c->acc_inflight > c->validated)
                c->validated = c->acc_inflight;
        c->acc_sent = c->acc_answered = c->acc_inflight = 0;
        return cut;
}

/* Growth waits one maturity time after a cut (the losses of sends from before it are still
 * coming in) but not for the episode to be judged over: at a low rate that judgement can
 * take seconds, and a window that waits for it latches low. Long after the last cut it
 * probes faster, so a capacity that came back is found in seconds. */
static void grow(struct cc *c, uint64_t now_ms, uint64_t maturity)
{
        if (now_ms < c->recover_ms + maturity)
                return;
        double factor = c->slow_start                          ? CC_SLOW_START_GROW
                        : now_ms - c->recover_ms > CC_QUIET_MS ? CC_GROW_QUIET
                                                               : CC_GROW;
        bool held = c->window_limited || c->inflight_max >= 0.8 * c->window;
        /* Loss is seen a maturity time late, many epochs at a slow resolver: growth that
         * outran it would overshoot many times over. So the window grows at most to a few
         * times what was last judged free of loss, as TCP's slow start at most doubles what
         * the last round trip proved. */
        double cap = c->validated * (c->slow_start ? CC_SLOW_START_REACH : CC_REACH);
        if (held && c->window < cap) {
                c->window = c->window * factor + 1;
                if (c->window > cap)
                        c->window = cap;
                if (c->window > c->ceiling)
                        c->window = c->ceiling;
                c->stats.grows++;
        }
        if (c->rate <= 0)
                return;
        if (c->pace_limited) {
                c->rate *= factor;
                c->pace_idle_epochs = 0;
        } else if (++c->pace_idle_epochs >= CC_PACE_IDLE_EPOCHS) {
                c->rate = 0; /* the window alone holds it now */
        }
}

uint64_t cc_tick(struct cc *c, uint64_t now_ms, unsigned timeout_ms, unsigned inflight)
{
        if (!c->adaptive || now_ms - c->epoch_ms < CC_EPOCH_MS)
                return 0;
        c->lost_before_ms = 0;
        enum delay delayed = judge_delay(c, now_ms);
        gather(c, now_ms, timeout_ms);
        bool cut = judge_loss(c, now_ms);
        if (delayed != DELAY_SEVERE)
                c->severe_streak = 0;
        if (!cut && delayed) {
                c->slow_start = false;
                c->stats.delay_holds++;
                /* A cut only for a queue that a hold did not stop growing for a while. */
                if (delayed == DELAY_SEVERE && ++c->severe_streak >= CC_SEVERE_EPOCHS) {
                        c->severe_streak = 0;
                        c->window = CC_CUT_DELAY * held_in_flight(c);
                        if (c->window < CC_WINDOW_MIN)
                                c->window = CC_WINDOW_MIN;
                        c->stats.delay_cuts++;
                }
                cut = true; /* either way, no growth this epoch */
        }
        uint64_t l = maturity_ms(c, timeout_ms);
        if (!cut)
                grow(c, now_ms, l);
        memset(c->rtt_hist, 0, sizeof(c->rtt_hist));
        c->rtt_count = 0;
        c->inflight_prev = c->inflight_max;
        c->inflight_max = inflight;
        c->window_limited = c->pace_limited = false;
        c->epoch_ms = now_ms;
        /* Within an episode anything older than the maturity time is lost too: the tail of
         * a scan sends too little for another judgement, and must not wait for timeouts. */
        if (c->ep_open && now_ms > l && now_ms - l > c->lost_before_ms)
                c->lost_before_ms = now_ms - l;
        return c->lost_before_ms;
}

void cc_on_late_answer(struct cc *c, uint64_t now_ms)
{
        c->stats.late_answers++;
        /* RACK's answer to spurious loss marks: a longer reordering window. Once per epoch,
         * so a burst of late answers stretches it once. */
        if (c->reo_stretched_ms + CC_EPOCH_MS <= now_ms && c->reo_mult < CC_REO_MAX) {
                c->reo_mult *= 2;
                c->reo_stretched_ms = now_ms;
        }
        /* Loss that was only delay: the last cut was a mistake, take it back (Eifel, RFC
         * 3522). Once per cut. */
        if (c->undo_window > 0 && ++c->late_since_cut >= CC_UNDO_LATE) {
                if (c->window < c->undo_window)
                        c->window = c->undo_window;
                c->rate = c->undo_rate;
                c->undo_window = 0;
                c->stats.undone++;
        }
}

bool cc_congestion_loss(const struct cc *c, uint64_t sent_ms)
{
        if (!c->adaptive)
                return false;
        for (unsigned i = 0; i < CC_EPISODES; i++)
                if (c->ep[i].to_ms > c->ep[i].from_ms && sent_ms >= c->ep[i].from_ms &&
                    sent_ms < c->ep[i].to_ms)
                        return true;
        return false;
}

int cc_history_init(struct cc_history *h, unsigned resolvers)
{
        memset(h, 0, sizeof(*h));
        h->columns = resolvers < CC_HISTORY_RESOLVERS ? resolvers : CC_HISTORY_RESOLVERS;
        if (h->columns == 0)
                h->columns = 1;
        h->interval_ms = 1000;
        h->window = calloc((size_t)CC_HISTORY_MAX * h->columns, sizeof(*h->window));
        h->rate = calloc((size_t)CC_HISTORY_MAX * h->columns, sizeof(*h->rate));
        if (!h->window || !h->rate) {
                cc_history_free(h);
                return -ENOMEM;
        }
        return 0;
}

/* Keep every other sample: the history now spans twice the time at half the resolution. */
static void history_halve(struct cc_history *h)
{
        for (unsigned i = 0; i < h->n / 2; i++) {
                memcpy(&h->window[i * h->columns], &h->window[2 * i * h->columns],
                       h->columns * sizeof(*h->window));
                memcpy(&h->rate[i * h->columns], &h->rate[2 * i * h->columns],
                       h->columns * sizeof(*h->rate));
        }
        h->n = (h->n + 1) / 2;
        h->interval_ms *= 2;
}

static uint32_t clamp32(double v)
{
        return v >= UINT32_MAX ? UINT32_MAX : v <= 0 ? 0 : (uint32_t)v;
}

bool cc_history_due(struct cc_history *h, uint64_t now_ms)
{
        if (!h->window || now_ms < h->next_ms)
                return false;
        h->next_ms = now_ms + h->interval_ms;
        if (h->n == CC_HISTORY_MAX)
                history_halve(h);
        memset(&h->window[h->n * h->columns], 0, h->columns * sizeof(*h->window));
        memset(&h->rate[h->n * h->columns], 0, h->columns * sizeof(*h->rate));
        h->n++;
        return true;
}

void cc_history_add(struct cc_history *h, unsigned i, const struct cc *c)
{
        size_t at = (size_t)(h->n - 1) * h->columns + (i < h->columns ? i : h->columns - 1);
        h->window[at] = clamp32((double)h->window[at] + cc_window(c));
        h->rate[at] = clamp32((double)h->rate[at] + c->rate);
}

void cc_history_free(struct cc_history *h)
{
        free(h->window);
        free(h->rate);
        h->window = h->rate = NULL;
        h->n = 0;
}
