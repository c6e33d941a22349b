/* job.h -- one input line's work: the per-domain state machine.
 * Contract: a job is owned by exactly one thread at a time, handed over through the rings
 * (loop thread while a lookup is in flight, one classifier thread while it classifies).
 * job_start() (loop thread) sets the first lookup; job_step() (classifier) consumes the
 * lookup's result and either sets the next lookup or finishes, leaving the verdict in the
 * caller's scratch. No allocation except job_set_reply() for replies over DS_REPLY_INLINE. */
#ifndef DS_JOB_H
#define DS_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/limits.h"
#include "scanner/input.h"

#define DS_RECORDS_MAX 32 /* DMARC candidate records kept per lookup; more are counted */

/* Outcome of a lookup, as written in "status": an rcode (>= 0) or one of these. */
enum lookup_status {
	LOOKUP_PENDING = -1,
	LOOKUP_TIMEOUT = -2,
	LOOKUP_MALFORMED = -3, /* a matching reply that could not be parsed */
	LOOKUP_CNAME_LOOP = -4,
};

enum job_step { JOB_STEP_QUERY, JOB_STEP_DONE };

/* What the classifier found; lives in the classifier's scratch, reused for every job. */
struct dmarc_result {
	int status;
	unsigned attempts;
	unsigned cname_hops;
	char location[DS_NAME_MAX_TEXT + 8]; /* _dmarc.<domain> */
	char target[DS_NAME_MAX_TEXT + 1];   /* final owner after CNAMEs, "" when none */
	unsigned nrecords, nrecords_dropped, nother_txt;
	uint32_t rec_off[DS_RECORDS_MAX], rec_len[DS_RECORDS_MAX]; /* into text */
	uint8_t *text; /* joined TXT strings */
	size_t text_cap;
};

struct job_scratch {
	struct dmarc_result dmarc;
};

struct job {
	uint32_t idx;
	uint8_t handoff;     /* enum job_step, when handed back to the loop */
	uint8_t cname_hops;  /* CNAME links followed so far, across lookups */
	uint16_t file;       /* index of the input file */
	uint16_t attempts;   /* datagrams sent, all lookups */
	int16_t last_status; /* enum engine_status of the last lookup */
	uint16_t qtype;
	uint16_t qname_len;
	uint32_t reply_len;
	uint64_t give_up_ms; /* loop time after which no retry starts (--deadline) */
	uint8_t qname[DS_NAME_MAX_WIRE]; /* the lookup to send next / in flight */
	struct input_item in;
	uint8_t *reply_big; /* owned: replies larger than reply[] */
	uint8_t reply[DS_REPLY_INLINE];
};

/* Prepare a job for a fresh input item (already copied into j->in). Loop thread.
 * Returns JOB_STEP_QUERY with j->qname/qtype set, or JOB_STEP_DONE (illegal input). */
enum job_step job_start(struct job *j);

/* Keep the result of the lookup in flight (loop thread); copies pkt. */
void job_set_reply(struct job *j, int engine_status, const uint8_t *pkt, size_t len,
		   unsigned attempts);

/* Classifier: digest the last reply. */
enum job_step job_step(struct job *j, struct job_scratch *s);

/* Release what job_set_reply() allocated. */
void job_clear(struct job *j);

void job_scratch_init(struct job_scratch *s);
void job_scratch_free(struct job_scratch *s);

/* Outcome classes counted per scan: rcodes 0..15, then these. */
enum job_outcome {
	OUTCOME_TIMEOUT = 16,
	OUTCOME_MALFORMED,
	OUTCOME_CNAME_LOOP,
	OUTCOME_ILLEGAL,
	OUTCOME_EXCLUDED,
	OUTCOME_COUNT,
};
/* The outcome class of a finished job (after job_step returned DONE). */
unsigned job_outcome(const struct job *j, const struct job_scratch *s);
const char *job_outcome_name(unsigned outcome);

/* "NOERROR", "TIMEOUT", ... for a lookup status. */
const char *lookup_status_name(int status);

#endif
