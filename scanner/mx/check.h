/* check.h -- the MX check (RFC 5321 5.1, RFC 7505): a module of the job (scanner/check.h).
 * Contract: mx_check's hooks ask one lookup, <domain> MX, CNAMEs followed within and across
 * replies (lookup_read()), and report the domain's mail exchangers sorted by preference then
 * host name, whether it publishes a null MX, and what that says of the domain's existence
 * and mail service (struct check_facts: status, exists, mail). docs/output.md has the
 * object and its codes.
 *
 * What a domain keeps between steps (struct mx_state, in the job) is the lookup's status
 * alone: the final reply stays in the check's struct lookup until the job is cleared
 * (scanner/scan.c clears a job only when all its lookups are back, and the classifier that
 * finishes the last check writes the line before handing its lookup back), so conclude()
 * rebuilds the result from a->l into the scratch (struct mx_result, one per classifier
 * thread): every host of the reply, in storage that grows to the largest reply seen and is
 * reused (no allocation in the steady state), bounded by the per-domain byte budget
 * (common/budget.h; past it a host is counted in hosts_dropped and the line says
 * budget_exceeded). */
#ifndef DS_MX_CHECK_H
#define DS_MX_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/budget.h"
#include "dns/limits.h"
#include "scanner/check.h"

/* A host name as text: every octet may become \DDD (wire_name_to_text), plus the NUL. */
#define MX_HOST_TEXT_MAX (4 * DS_NAME_MAX_WIRE + 4)
#define MX_ISSUES_MAX    8 /* distinct error and warning codes per domain (7 exist) */

struct mx_host {
        uint16_t pref;
        uint32_t name_off; /* in the result's names */
        const char *name;  /* lower-case text, no trailing dot (set once all are read) */
};

struct mx_issue {
        const char *code; /* static snake_case, listed in docs/output.md */
        bool error;       /* in "errors" (else "warnings") */
};

/* What conclude() made of the domain's lookup; lives in the classifier's scratch. */
struct mx_result {
        int status; /* the MX lookup's status */
        unsigned attempts;
        unsigned cname_hops;
        char target[MX_HOST_TEXT_MAX];  /* final owner after CNAMEs, "" when none */
        int8_t exists;                  /* enum tristate */
        int8_t mail;                    /* enum mail_fact */
        bool null_mx;                   /* only "." exchanges: the domain takes no mail */
        unsigned nroot;                 /* MX records whose exchange is "." */
        unsigned nhosts;                /* kept: hosts[0..nhosts), sorted by (pref, name) */
        unsigned hosts_dropped;         /* real hosts refused by the budget */
        const struct mx_host *hosts;    /* in hosts_mem */
        struct ds_vec hosts_mem, names; /* owned, reused from domain to domain */
        struct ds_budget budget;
        struct mx_issue issues[MX_ISSUES_MAX];
        unsigned nissues;
};

/* Every code mx_check writes, NULL-terminated: for docs and coverage tests. */
extern const char *const mx_issue_codes[];

struct mx_scratch {
        struct mx_result mx;
};

/* One domain's MX check between steps. */
struct mx_state {
        int16_t status; /* the lookup's status; LOOKUP_PENDING until it ended */
};

extern const struct check_ops mx_check;

/* The MX lookup's step, for any check that asks a domain's MX hosts (mta-sts matches them
 * against its policy): on_reply's digest of l's reply -- a CNAME's target to ask next
 * (CHECK_QUERY), or the final status in *status (CHECK_DONE) -- and conclude's rebuild of
 * the hosts from the reply kept in l into m (storage reused; mx_result_free releases it). */
enum check_step mx_answer(struct lookup *l, int16_t *status);
void mx_read(struct mx_result *m, int status, const struct lookup *l);
void mx_result_free(struct mx_result *m);

/* The i-th kept host in sorted order (i < m->nhosts). */
static inline const struct mx_host *mx_host_at(const struct mx_result *m, unsigned i)
{
        return &m->hosts[i];
}

#endif
