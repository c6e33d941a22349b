/* job.c -- per-domain state machine: _dmarc.<domain> TXT, CNAMEs followed across lookups. */
#include "scanner/job.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/engine.h"
#include "dns/wire.h"

static const char DMARC_PREFIX[] = "_dmarc.";

/* "_dmarc." + domain into out (sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT bytes). */
static void dmarc_name(char *out, const char *domain)
{
	size_t n = strnlen(domain, DS_NAME_MAX_TEXT);
	memcpy(out, DMARC_PREFIX, sizeof(DMARC_PREFIX) - 1);
	memcpy(out + sizeof(DMARC_PREFIX) - 1, domain, n);
	out[sizeof(DMARC_PREFIX) - 1 + n] = 0;
}

enum job_step job_start(struct job *j)
{
	j->cname_hops = 0;
	j->attempts = 0;
	j->reply_len = 0;
	j->reply_big = NULL;
	j->last_status = ENGINE_REPLY;
	if (j->in.status != INPUT_ITEM_OK)
		return JOB_STEP_DONE;
	char name[sizeof(DMARC_PREFIX) + DS_NAME_MAX_TEXT];
	dmarc_name(name, j->in.domain);
	int n = wire_name_from_text(name, j->qname, sizeof(j->qname));
	if (n < 0) {
		/* _dmarc. plus a 253-octet name can exceed 255 octets: that name has no policy
		 * record location, which the input check cannot know. */
		j->in.status = INPUT_ITEM_ILLEGAL;
		snprintf(j->in.error, sizeof(j->in.error),
			 "name too long to hold a _dmarc label (over 255 octets)");
		return JOB_STEP_DONE;
	}
	j->qname_len = (uint16_t)n;
	j->qtype = WIRE_TYPE_TXT;
	return JOB_STEP_QUERY;
}

void job_set_reply(struct job *j, int engine_status, const uint8_t *pkt, size_t len,
		   unsigned attempts)
{
	j->last_status = (int16_t)engine_status;
	j->attempts = (uint16_t)(j->attempts + attempts);
	j->reply_len = 0;
	if (engine_status != ENGINE_REPLY)
		return;
	uint8_t *dst = j->reply;
	/* job_step reads reply_big whenever it is set: drop the previous lookup's. */
	free(j->reply_big);
	j->reply_big = NULL;
	if (len > sizeof(j->reply)) {
		j->reply_big = malloc(len);
		if (!j->reply_big) {
			j->last_status = ENGINE_TIMEOUT; /* treated as lost: better than a crash */
			return;
		}
		dst = j->reply_big;
	}
	memcpy(dst, pkt, len);
	j->reply_len = (uint32_t)len;
}

void job_clear(struct job *j)
{
	free(j->reply_big);
	j->reply_big = NULL;
}

void job_scratch_init(struct job_scratch *s)
{
	memset(s, 0, sizeof(*s));
}

void job_scratch_free(struct job_scratch *s)
{
	free(s->dmarc.text);
	memset(s, 0, sizeof(*s));
}

const char *lookup_status_name(int status)
{
	switch (status) {
	case LOOKUP_PENDING:
		return "PENDING";
	case LOOKUP_TIMEOUT:
		return "TIMEOUT";
	case LOOKUP_MALFORMED:
		return "MALFORMED";
	case LOOKUP_CNAME_LOOP:
		return "CNAME_LOOP";
	default:
		return wire_rcode_name(status);
	}
}

/* RFC 7489 6.4: "v" *WSP "=" *WSP "DMARC1", then the end, WSP or ';'. */
static bool is_dmarc_record(const uint8_t *t, size_t n)
{
	size_t i = 0;
	if (n == 0 || (t[0] != 'v' && t[0] != 'V'))
		return false;
	for (i = 1; i < n && (t[i] == ' ' || t[i] == '\t'); i++)
		;
	if (i >= n || t[i++] != '=')
		return false;
	while (i < n && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (n - i < 6 || memcmp(t + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	return i == n || t[i] == ';' || t[i] == ' ' || t[i] == '\t';
}

static int ensure_text(struct dmarc_result *d, size_t need)
{
	if (need <= d->text_cap)
		return 0;
	size_t cap = d->text_cap ? d->text_cap : 4096;
	while (cap < need)
		cap *= 2;
	uint8_t *p = realloc(d->text, cap);
	if (!p)
		return -ENOMEM;
	d->text = p;
	d->text_cap = cap;
	return 0;
}

/* Gather the TXT records owned by name; returns how many TXT RRs the name has. */
static int collect_txt(struct dmarc_result *d, const struct wire_reply *r, const uint8_t *name,
		       size_t name_len)
{
	struct wire_rr_iter it;
	struct wire_rr rr;
	size_t used = 0;
	int ntxt = 0;
	wire_rr_iter_init(&it, r);
	while (wire_rr_next(&it, &rr) == 1 && rr.section == WIRE_SEC_ANSWER) {
		if (rr.type != WIRE_TYPE_TXT || rr.rclass != WIRE_CLASS_IN)
			continue;
		if (wire_name_equal(r->pkt, r->len, rr.owner_off, name, name_len) != 1)
			continue;
		ntxt++;
		/* The joined text is never longer than the rdata. */
		if (ensure_text(d, used + rr.rdlen + 1) < 0)
			return -ENOMEM;
		int n = wire_txt_join(r, &rr, d->text + used, d->text_cap - used);
		if (n < 0)
			return n;
		if (!is_dmarc_record(d->text + used, (size_t)n)) {
			d->nother_txt++;
			continue;
		}
		if (d->nrecords == DS_RECORDS_MAX) {
			d->nrecords_dropped++;
			continue;
		}
		d->rec_off[d->nrecords] = (uint32_t)used;
		d->rec_len[d->nrecords++] = (uint32_t)n;
		used += (size_t)n;
	}
	return ntxt;
}

static void result_reset(struct dmarc_result *d, const struct job *j)
{
	d->status = LOOKUP_PENDING;
	d->attempts = j->attempts;
	d->cname_hops = j->cname_hops;
	d->nrecords = d->nrecords_dropped = d->nother_txt = 0;
	d->target[0] = 0;
	dmarc_name(d->location, j->in.domain);
}

static enum job_step finish(struct dmarc_result *d, const struct job *j, int status)
{
	d->status = status;
	d->cname_hops = j->cname_hops;
	if (j->cname_hops && wire_name_to_text(j->qname, j->qname_len, d->target,
					       sizeof(d->target)) < 0)
		d->target[0] = 0;
	return JOB_STEP_DONE;
}

enum job_step job_step(struct job *j, struct job_scratch *s)
{
	struct dmarc_result *d = &s->dmarc;
	result_reset(d, j);
	if (j->in.status != INPUT_ITEM_OK)
		return JOB_STEP_DONE;
	if (j->last_status == ENGINE_TIMEOUT)
		return finish(d, j, LOOKUP_TIMEOUT);
	if (j->last_status == ENGINE_MALFORMED)
		return finish(d, j, LOOKUP_MALFORMED);

	struct wire_reply r;
	const uint8_t *pkt = j->reply_big ? j->reply_big : j->reply;
	if (wire_reply_parse(&r, pkt, j->reply_len) < 0)
		return finish(d, j, LOOKUP_MALFORMED);

	uint8_t final[DS_NAME_MAX_WIRE];
	int hops = 0;
	int flen = wire_cname_chase(&r, j->qname, j->qname_len, final, sizeof(final), &hops);
	if (flen < 0 || j->cname_hops + hops > DS_CNAME_HOPS_MAX)
		return finish(d, j, flen == -EBADMSG ? LOOKUP_MALFORMED : LOOKUP_CNAME_LOOP);
	j->cname_hops = (uint8_t)(j->cname_hops + hops);
	if (hops) {
		memcpy(j->qname, final, (size_t)flen);
		j->qname_len = (uint16_t)flen;
	}
	if (r.rcode != WIRE_RCODE_NOERROR)
		return finish(d, j, r.rcode);

	int ntxt = collect_txt(d, &r, j->qname, j->qname_len);
	if (ntxt < 0)
		return finish(d, j, LOOKUP_MALFORMED);
	/* An authoritative server stops at a CNAME leaving its zone: ask for the target. */
	if (hops && ntxt == 0)
		return JOB_STEP_QUERY;
	return finish(d, j, WIRE_RCODE_NOERROR);
}

unsigned job_outcome(const struct job *j, const struct job_scratch *s)
{
	if (j->in.status == INPUT_ITEM_ILLEGAL)
		return OUTCOME_ILLEGAL;
	if (j->in.status == INPUT_ITEM_EXCLUDED)
		return OUTCOME_EXCLUDED;
	switch (s->dmarc.status) {
	case LOOKUP_TIMEOUT:
		return OUTCOME_TIMEOUT;
	case LOOKUP_MALFORMED:
		return OUTCOME_MALFORMED;
	case LOOKUP_CNAME_LOOP:
		return OUTCOME_CNAME_LOOP;
	default:
		return s->dmarc.status >= 0 && s->dmarc.status < 16 ? (unsigned)s->dmarc.status
								    : OUTCOME_MALFORMED;
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
