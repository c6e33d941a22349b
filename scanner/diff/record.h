/* record.h -- what `dmarcscan diff` keeps of a scan line: a compact, self-delimiting byte
 * record sorted by domain, and the changes between two records of one domain.
 * Contract: diff_rec_encode() reads one NDJSON line's text (docs/output.md) and writes its
 * record into buf (DIFF_REC_MAX bytes, what the external sort takes): the domain
 * (lower-cased, without a trailing dot), the line's order in its file (seq), status,
 * posture, enforcing, spoofable, SPF `all`, the sorted set of report receivers'
 * organizational domains (`org`, else `host`), every one that fits the record, and a hash
 * of the whole set. A scan line's set always fits (its names are shorter than the DMARC
 * record they come from, at most 64 KiB); of another's, the organizations past the room,
 * and any over 255 bytes, are counted in receivers_dropped and still compared, through the
 * hash. The receivers are gathered in e, which grows to the longest line's and is reused
 * (one per thread; diff_enc_free() at the end). Returns the record's length, 0 for a line
 * without a domain (ILLEGAL_INPUT), -EINVAL for a line that is not a scan line.
 * diff_rec_cmp() orders records by domain, then seq, so
 * that the first line of a repeated domain comes first. diff_changes() says what changed
 * between two records of one domain (enum diff_change bits); a fact one side does not
 * know (a check that did not run, a posture `error`) is not compared, except that posture
 * moves to or from `error` are DIFF_POSTURE_OTHER. */
#ifndef DS_DIFF_RECORD_H
#define DS_DIFF_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scanner/diff/extsort.h"

#define DIFF_DOMAIN_MAX 1024
#define DIFF_REC_MAX    EXTSORT_REC_MAX

/* Each enum's 0 is "not known" (a check that did not run, an EXCLUDED line). */
enum diff_status { DST_OTHER = 0, DST_OK, DST_EXCLUDED, DST_N };
enum diff_posture {
        DP_NA = 0,
        DP_REJECT,
        DP_QUARANTINE,
        DP_NONE,
        DP_MISSING,
        DP_INVALID,
        DP_ERROR,
        DP_N
};
enum diff_spoof { DSP_NA = 0, DSP_YES, DSP_SUBDOMAINS, DSP_MAYBE, DSP_NO, DSP_UNKNOWN, DSP_N };
/* DA_NONE: SPF ran and the effective all is null. */
enum diff_all { DA_NA = 0, DA_FAIL, DA_SOFTFAIL, DA_NEUTRAL, DA_PASS, DA_NONE, DA_N };
enum diff_tri { DT_NULL = 0, DT_FALSE, DT_TRUE };

enum diff_change {
        DIFF_STATUS = 1u << 0,
        DIFF_POSTURE_UP = 1u << 1,
        DIFF_POSTURE_DOWN = 1u << 2,
        DIFF_POSTURE_OTHER = 1u << 3, /* neither: between missing and invalid, or to/from error */
        DIFF_RECORD_ADDED = 1u << 4,
        DIFF_RECORD_REMOVED = 1u << 5,
        DIFF_ENFORCING_GAINED = 1u << 6,
        DIFF_ENFORCING_LOST = 1u << 7,
        DIFF_SPF_ALL = 1u << 8,
        DIFF_SPOOFABLE = 1u << 9,
        DIFF_RECEIVERS = 1u << 10,
};
#define DIFF_CHANGE_KINDS 11

struct diff_rec {
        const char *domain;
        size_t domain_len;
        uint64_t seq;
        uint8_t status, posture, enforcing, spoofable, spf_all;
        uint32_t nreceivers, receivers_dropped; /* dropped: in the set, not in receivers */
        uint64_t receivers_hash;                /* of the whole set */
        const unsigned char *receivers;         /* nreceivers times: length byte, bytes; sorted */
        size_t receivers_len;
};

/* The receivers of the line being encoded: owned, grown, reused. */
struct diff_enc {
        char *names; /* the organizations' bytes as read */
        size_t names_len, names_cap;
        struct diff_org *orgs;
        size_t norgs, orgs_cap;
};

int diff_rec_encode(struct diff_enc *e, const char *line, size_t len, uint64_t seq,
                    unsigned char *buf);
void diff_enc_free(struct diff_enc *e);
/* 0, or -EINVAL when p is not a record diff_rec_encode() wrote. r points into p. */
int diff_rec_decode(const void *p, size_t len, struct diff_rec *r);
int diff_rec_cmp(const void *a, size_t alen, const void *b, size_t blen);
/* The order of two records' domains (<0, 0, >0). */
int diff_rec_domain_cmp(const struct diff_rec *a, const struct diff_rec *b);
unsigned diff_changes(const struct diff_rec *old, const struct diff_rec *new);

/* Names as the scan writes them; NULL for the enums' 0. */
const char *diff_status_name(unsigned v);
const char *diff_posture_name(unsigned v);
const char *diff_spoof_name(unsigned v);
const char *diff_all_name(unsigned v); /* DA_NONE: "null" */
/* The code of one diff_change bit ("posture_up", ...). */
const char *diff_change_name(unsigned bit);
/* Whether a posture means a DMARC record applies (reject, quarantine, none, invalid). */
bool diff_posture_has_record(unsigned posture);

#endif
