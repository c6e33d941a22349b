/* job.c -- a domain's checks side by side: start them, route each lookup's reply to its
 * check, conclude when the last is done. */
#include "scanner/job.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/check.h"
#include "dns/engine.h"
#include "dns/wire.h"
#include "scanner/ansmemo.h"

static struct check_arg arg_of(struct job *j, unsigned i, void *scratch)
{
        return (struct check_arg){.job = j,
                                  .l = &j->look[i],
                                  .state = job_state(j, i),
                                  .scratch = scratch,
                                  .env = j->env};
}

static size_t align64(size_t n)
{
        return (n + 63) / 64 * 64;
}

size_t job_mem_size(const struct check_set *set)
{
        size_t state = 0;
        for (unsigned i = 0; i < set->n; i++)
                if (set->state_off[i] + set->ops[i]->state_size > state)
                        state = set->state_off[i] + set->ops[i]->state_size;
        return align64((set->n ? set->n : 1) * sizeof(struct lookup)) + align64(state ? state : 1);
}

void job_bind(struct job *j, const struct check_set *set, const struct check_env *env, void *mem)
{
        j->set = set;
        j->env = env;
        j->look = mem;
        j->state = (uint8_t *)mem + align64((set->n ? set->n : 1) * sizeof(struct lookup));
        j->own_mem = false;
}

int job_init(struct job *j, const struct check_set *set, const struct check_env *env)
{
        size_t size = job_mem_size(set);
        void *mem = aligned_alloc(64, size);
        if (!mem)
                return -ENOMEM;
        memset(mem, 0, size);
        job_bind(j, set, env, mem);
        j->own_mem = true;
        return 0;
}

void job_free(struct job *j)
{
        if (j->look)
                job_clear(j);
        if (j->own_mem)
                free(j->look);
        j->look = NULL;
        j->state = NULL;
        j->own_mem = false;
}

enum job_step job_start(struct job *j)
{
        const struct check_set *set = j->set;
        unsigned querying = 0;
        j->gen++;
        j->nlook = (uint8_t)set->n;
        for (unsigned i = 0; i < set->n; i++) {
                lookup_reset(&j->look[i]);
                j->look[i].job = j;
                j->look[i].index = (uint8_t)i;
                j->look[i].handoff = JOB_STEP_DONE;
                memset(job_state(j, i), 0, set->ops[i]->state_size);
        }
        if (j->in.status != INPUT_ITEM_OK) {
                j->nlook = 1;
                atomic_store_explicit(&j->pending, 1, memory_order_relaxed);
                return JOB_STEP_DONE;
        }
        for (unsigned i = 0; i < set->n; i++) {
                struct check_arg a = arg_of(j, i, NULL);
                enum check_step st = set->ops[i]->start(&a);
                if (st == CHECK_ILLEGAL) {
                        /* No check runs for a domain one of them cannot take. */
                        job_clear(j);
                        j->in.status = INPUT_ITEM_ILLEGAL;
                        return job_start(j);
                }
                j->look[i].finished = st == CHECK_DONE;
                if (st == CHECK_QUERY) {
                        j->look[i].handoff = JOB_STEP_QUERY;
                        querying++;
                }
        }
        /* No lookup at all: the first lookup still goes to a classifier, which writes the
         * line. */
        atomic_store_explicit(&j->pending, querying ? querying : 1, memory_order_relaxed);
        return querying ? JOB_STEP_QUERY : JOB_STEP_DONE;
}

/* The check's next lookup is a shared answer this thread holds: deliver it as the loop
 * would have (no attempts, the shared cache's time limit carried along). */
static bool answer_held(struct lookup *l, struct job_scratch *s)
{
        struct wire_reply r;
        if (!l->shared || !s->memo ||
            !ansmemo_get(s->memo, l->qname, l->qname_len, l->qtype, s->now_ms, &r))
                return false;
        lookup_set_parsed(l, &r, 0);
        return true;
}

enum job_step job_step(struct lookup *l, struct job_scratch *s)
{
        struct job *j = l->job;
        if (j->in.status != INPUT_ITEM_OK || l->finished)
                return JOB_STEP_DONE;
        if (l->shared_until && s->memo)
                ansmemo_put(s->memo, l->qname, l->qname_len, l->qtype, lookup_reply(l),
                            l->reply_len, l->has_parsed ? &l->parsed : NULL, l->shared_until,
                            s->now_ms);
        struct check_arg a = arg_of(j, l->index, s->check[l->index]);
        a.now_ms = s->now_ms;
        uint8_t zone[DS_NAME_MAX_WIRE];
        int zlen = j->set->reads_ad ? wire_name_from_text(j->in.domain, zone, sizeof(zone)) : 0;
        do {
                if (zlen > 0) /* before on_reply: l->qname is the name this reply answers */
                        lookup_note_ad(l, zone, (size_t)zlen);
                if (j->set->ops[l->index]->on_reply(&a) != CHECK_QUERY) {
                        l->finished = true;
                        return JOB_STEP_DONE;
                }
        } while (answer_held(l, s));
        return JOB_STEP_QUERY;
}

bool job_finished(struct lookup *l)
{
        /* acq_rel: the classifier that finishes last sees every other check's state. */
        return atomic_fetch_sub_explicit(&l->job->pending, 1, memory_order_acq_rel) == 1;
}

void job_conclude(struct job *j, struct job_scratch *s)
{
        if (j->in.status != INPUT_ITEM_OK) {
                s->top.known = false;
                return;
        }
        for (unsigned i = 0; i < j->set->n; i++) {
                struct check_arg a = arg_of(j, i, s->check[i]);
                s->facts[i] = (struct check_facts){.status = LOOKUP_PENDING,
                                                   .exists = -1,
                                                   .posture = -1,
                                                   .spoofable = -1,
                                                   .spf = -1,
                                                   .mail = -1,
                                                   .dnssec = -1,
                                                   .org_sp = -1};
                j->set->ops[i]->conclude(&a, &s->facts[i]);
        }
        toplevel_combine(s->facts, j->set->n, &s->top);
}

void job_clear(struct job *j)
{
        for (unsigned i = 0; j->look && i < j->set->n; i++) {
                lookup_clear(&j->look[i]);
                if (j->set->ops[i]->clear)
                        j->set->ops[i]->clear(job_state(j, i));
        }
}

int job_scratch_init(struct job_scratch *s, const struct check_set *set)
{
        memset(s, 0, sizeof(*s));
        s->set = set;
        for (unsigned i = 0; i < set->n; i++) {
                const struct check_ops *ops = set->ops[i];
                s->check[i] = calloc(1, ops->scratch_size ? ops->scratch_size : 1);
                if (!s->check[i]) {
                        job_scratch_free(s);
                        return -ENOMEM;
                }
                if (ops->scratch_init)
                        ops->scratch_init(s->check[i]);
        }
        return 0;
}

void job_scratch_free(struct job_scratch *s)
{
        for (unsigned i = 0; s->set && i < s->set->n; i++) {
                if (s->check[i] && s->set->ops[i]->scratch_free)
                        s->set->ops[i]->scratch_free(s->check[i]);
                free(s->check[i]);
        }
        memset(s, 0, sizeof(*s));
}

unsigned job_outcome(const struct job *j, const struct job_scratch *s)
{
        if (j->in.status == INPUT_ITEM_ILLEGAL)
                return OUTCOME_ILLEGAL;
        if (j->in.status == INPUT_ITEM_EXCLUDED)
                return OUTCOME_EXCLUDED;
        int status = s->facts[0].status;
        switch (status) {
        case LOOKUP_TIMEOUT:
                return OUTCOME_TIMEOUT;
        case LOOKUP_MALFORMED:
                return OUTCOME_MALFORMED;
        case LOOKUP_CNAME_LOOP:
                return OUTCOME_CNAME_LOOP;
        default:
                return status >= 0 && status < 16 ? (unsigned)status : OUTCOME_MALFORMED;
        }
}

const char *job_outcome_name(unsigned outcome)
{
        switch (outcome) {
        case OUTCOME_TIMEOUT:
                return "TIMEOUT";
        case OUTCOME_MALFORMED:
                return "MALFORMED";
        case OUTCOME_CNAME_LOOP:
                return "CNAME_LOOP";
        case OUTCOME_ILLEGAL:
                return "ILLEGAL_INPUT";
        case OUTCOME_EXCLUDED:
                return "EXCLUDED";
        default:
                return wire_rcode_name((int)outcome);
        }
}
