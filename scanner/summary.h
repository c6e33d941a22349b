/* summary.h -- the scan's summary (--summary FILE), aggregated while the lines are written:
 * per-status counts, the adoption funnel, the posture split, policy and reporting rates,
 * SPF and MX aggregates, DNS statuses and the top report receivers, for the whole scan and
 * broken down by TLD, rank bucket and sector (docs/output.md, "Summary").
 * Contract: what a line says is first read into a struct summary_facts, by one of two
 * producers: the scan's (summary_add(), scanner/summary_job.c: from the job and scratch the
 * line was just written from, in the classifier thread that wrote it) and `dmarcscan
 * report`'s (scanner/report/line_facts.h: from the line parsed back). summary_count() turns
 * the facts into counters, one code for both, so a report of the lines equals the scan's
 * summary. One struct summary per classifier thread; no locks. At the end the loop thread merges
 * the threads' summaries into one (summary_merge: member-by-member addition, so the result does not
 * depend on which thread wrote which line, except for heavy-hitter estimates once a table
 * overflowed) and renders it (summary_render; the file: scanner/summary_file.h). Memory does not
 * grow with the number of domains: fixed counters per group, one group per TLD and one per sector
 * up to SUMMARY_GROUPS_MAX each (lines past that are counted as unlisted), heavy-hitter tables of
 * fixed size (common/topk.h). A group is allocated once, when first seen (ds_oom if that fails
 * mid-scan). Aggregates of checks that did not run are neither counted nor rendered. */
#ifndef DS_SUMMARY_H
#define DS_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>

#include "common/topk.h"
#include "output/json.h"
#include "scanner/dmarc/check.h"
#include "scanner/job.h"
#include "scanner/toplevel.h"

#define SUMMARY_TOP_K        4096 /* report-receiver organizations counted, whole scan */
#define SUMMARY_GROUP_TOP_K  32   /* ... per TLD, rank bucket and sector */
#define SUMMARY_GROUPS_MAX   4096 /* TLDs, and sectors, broken down at most */
#define SUMMARY_STATUS_SLOTS 21   /* lookup statuses: rcodes 0..15, then the LOOKUP_* ones */

/* Counters of a group. Rates are rendered as {n, total} from them (summary_render.c). */
enum summary_counter {
        SC_OK = 0, /* statuses of every line */
        SC_ILLEGAL,
        SC_EXCLUDED,
        SC_EXISTS_TRUE, /* OK lines from here on */
        SC_EXISTS_FALSE,
        SC_EXISTS_NULL,
        SC_POSTURE, /* + enum posture */
        SC_ENFORCING = SC_POSTURE + 6,
        SC_PARTIAL,
        SC_SPOOFABLE,                      /* + enum spoofable */
        SC_F_RESOLVING = SC_SPOOFABLE + 5, /* funnel: this stage and every earlier one */
        SC_F_MX,
        SC_F_SPF,
        SC_F_DMARC,
        SC_F_VALID,
        SC_F_ENFORCING,
        SC_F_REJECT,
        SC_DMARC_VALID, /* the dmarc object's fields */
        SC_SP_WEAKER,
        SC_NP_WEAKER,
        SC_RUA,
        SC_RUF,
        SC_RECEIVERS,
        SC_EXTERNAL,
        SC_EXT_AUTHORIZED,
        SC_EXT_NOT_AUTHORIZED,
        SC_DMARC_STATUS,                                        /* + status slot */
        SC_SPF_RECORD = SC_DMARC_STATUS + SUMMARY_STATUS_SLOTS, /* the spf object's */
        SC_SPF_RESULT,                                          /* + enum spf_result */
        SC_SPF_ALL = SC_SPF_RESULT + 4,                         /* + enum spf_all (NONE: null) */
        SC_SPF_PERMISSIVE = SC_SPF_ALL + 5,
        SC_SPF_TOO_MANY_LOOKUPS,
        SC_SPF_TOO_MANY_VOID,
        SC_SPF_STATUS,                                   /* + status slot */
        SC_MAIL = SC_SPF_STATUS + SUMMARY_STATUS_SLOTS,  /* + enum mail_fact */
        SC_MX_STATUS = SC_MAIL + 5,                      /* + status slot */
        SC_DNSSEC = SC_MX_STATUS + SUMMARY_STATUS_SLOTS, /* + enum dnssec_state */
        SC_MTA_STS_RECORD = SC_DNSSEC + 4,               /* adoption (#12) */
        SC_MTA_STS_VALID,
        SC_MTA_STS_POLICY_ASKED, /* its policy was asked for (--mta-sts-policy) */
        SC_MTA_STS_POLICY,       /* ... fetched and valid */
        SC_MTA_STS_ENFORCE,      /* ... and in mode enforce */
        SC_MTA_STS_MX_MATCH,     /* ... every MX host matches its patterns */
        SC_TLS_RPT_RECORD,
        SC_TLS_RPT_VALID,
        SC_BIMI_RECORD,
        SC_BIMI_VALID,
        SC_BIMI_DMARC_OK,
        SC_DKIM_EXISTS, /* _domainkey.<domain> NOERROR */
        SC_DKIM_ABSENT, /* ... NXDOMAIN */
        SC_COUNT
};

struct summary_group {
        uint64_t c[SC_COUNT];
        struct topk orgs; /* report receivers' organizational domains, once per line */
};

/* Groups by name (TLDs, sectors), at most SUMMARY_GROUPS_MAX. */
struct summary_keyed {
        char *key; /* owned */
        uint64_t hash;
        struct summary_group g;
};

struct summary_table {
        unsigned n;
        struct summary_keyed **v; /* owned: SUMMARY_GROUPS_MAX pointers, n in use */
        uint32_t *slot;           /* owned: index + 1, 0 empty; 2 * SUMMARY_GROUPS_MAX */
        uint64_t unlisted;        /* lines that found the table full */
};

/* Rank buckets: 1-1k, 1k-10k, 10k-100k, 100k-1M, >1M (upper bounds inclusive). */
#define SUMMARY_RANK_BUCKETS 5

struct summary_receiver;

struct summary {
        int dmarc, spf, mx, dnssec;       /* the checks' indices in the scan's set (0 when read
                                             from lines); -1: not run */
        int mta_sts, tls_rpt, bimi, dkim; /* the same */
        struct summary_receiver *rbuf;    /* owned: summary_add()'s copy of a line's receivers */
        size_t rcap;                      /* bytes */
        const char **obuf;                /* owned: a line's distinct receiver organizations */
        size_t ocap;                      /* bytes */
        bool sectors;                     /* the input has a sector column: by_sector is written */
        bool ranked;                      /* some line had a rank: by_rank_bucket is written */
        struct summary_group all;
        struct summary_group rank[SUMMARY_RANK_BUCKETS];
        struct summary_table tld, sector;
};

/* What one line says, as far as the summary counts it. Strings are borrowed for the
 * duration of summary_count(). The check members are read only when that check ran. */
struct summary_receiver {
        const char *org;
        int8_t external; /* enum tristate */
        uint8_t auth;    /* enum auth_result */
};

struct summary_facts {
        uint8_t status;     /* enum input_status */
        const char *domain; /* OK and EXCLUDED lines */
        int64_t rank;       /* -1: the line has none */
        const char *sector; /* NULL: none */
        /* OK lines: the top-level verdicts */
        struct toplevel top;
        struct {
                int status;
                bool valid;                          /* a usable record applies */
                uint8_t p, sp, np;                   /* enum dmarc_policy, when valid */
                bool rua, ruf;                       /* ... non-empty */
                unsigned nrecv;                      /* as many as the record names */
                const struct summary_receiver *recv; /* borrowed, like the strings */
        } dmarc;
        struct {
                int status;
                uint8_t result;  /* enum spf_result */
                bool records;    /* "records" is not empty */
                uint8_t all;     /* enum spf_all, SPF_ALL_NONE when null */
                bool permissive; /* true (not false or null) */
                bool too_many_lookups, too_many_void;
        } spf;
        struct {
                int status;
                int8_t mail; /* enum mail_fact */
        } mx;
        int8_t dnssec; /* enum dnssec_state */
        struct {
                bool record, valid; /* records non-empty; valid true */
        } mta_sts, tls_rpt, bimi;
        struct {
                bool asked;    /* "policy" is not null */
                bool valid;    /* its "valid" is true (fetched, no error) */
                bool enforce;  /* ... and its "mode" is enforce */
                bool mx_match; /* its "mx_match" is true */
        } mta_sts_policy;
        bool bimi_dmarc_ok; /* the bimi object's dmarc_ok is true */
        int dkim_status;    /* _domainkey.<domain>: NOERROR exists, NXDOMAIN absent */
};

/* For the lines of set's checks; sectors: --sector-column was given. 0 or -ENOMEM (then
 * nothing is left to free). summary_init_lines: for lines read back, no check counted until
 * the reader sets the index (0) of each that ran. */
int summary_init(struct summary *s, const struct check_set *set, bool sectors);
int summary_init_lines(struct summary *s, bool sectors);
void summary_free(struct summary *s);

/* Count one line's facts. */
void summary_count(struct summary *s, const struct summary_facts *f);

/* The scan's producer: count the line just written for j (line_write concluded it into
 * sc). scanner/summary_job.c. */
void summary_add(struct summary *s, const struct job *j, const struct job_scratch *sc);

/* The names of the values the summary splits by (its keys), by value: enum posture, enum
 * spoofable, enum spf_result, enum spf_all ("null" for SPF_ALL_NONE). */
const char *summary_posture_key(int k);
const char *summary_spoofable_key(int k);
const char *summary_spf_result_key(int k);
const char *summary_spf_all_key(int k);

/* The lookup status named name ("NOERROR", "TIMEOUT", ...): 0 with *status, or -EINVAL. */
int summary_status_of(const char *name, int *status);

/* Add src (of the same checks) to dst. */
void summary_merge(struct summary *dst, const struct summary *src);

/* The bucket of a rank >= 1 (0 .. SUMMARY_RANK_BUCKETS-1) and its name ("1-1k", ...). */
unsigned summary_rank_bucket(int64_t rank);
const char *summary_rank_bucket_name(unsigned bucket);

/* The lookup status (enum lookup_status, or an rcode) that status slot counts. */
int summary_slot_status(unsigned slot);

/* The aggregate's members, into w's open object: the whole scan's, then by_tld,
 * by_rank_bucket, by_sector and unlisted. */
void summary_render(struct jw *w, const struct summary *s);

#endif
