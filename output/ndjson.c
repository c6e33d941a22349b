/* ndjson.c -- one output line per input line, fields in a fixed order. */
#include "output/ndjson.h"

#include <stdio.h>
#include <string.h>

void ndjson_timestamp(struct ndjson_clock *clock, char *out)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != clock->sec) {
		struct tm tm;
		gmtime_r(&ts.tv_sec, &tm);
		strftime(clock->text, sizeof(clock->text), "%Y-%m-%dT%H:%M:%S", &tm);
		clock->sec = ts.tv_sec;
	}
	unsigned ms = (unsigned)(ts.tv_nsec / 1000000) % 1000u;
	memcpy(out, clock->text, 19);
	out[19] = '.';
	out[20] = (char)('0' + ms / 100);
	out[21] = (char)('0' + ms / 10 % 10);
	out[22] = (char)('0' + ms % 10);
	out[23] = 'Z';
	out[24] = 0;
}

static void write_dmarc(struct jw *w, const struct dmarc_result *d)
{
	jw_obj_open(w, "dmarc");
	jw_cstr(w, "status", lookup_status_name(d->status));
	jw_arr_open(w, "records");
	for (unsigned i = 0; i < d->nrecords; i++)
		jw_str(w, NULL, (const char *)d->text + d->rec_off[i], d->rec_len[i]);
	jw_arr_close(w);
	if (d->nrecords)
		jw_cstr(w, "location", d->location);
	else
		jw_null(w, "location");
	jw_cstr(w, "discovery", d->nrecords ? "exact" : NULL);
	if (d->target[0])
		jw_cstr(w, "cname_target", d->target);
	jw_uint(w, "other_txt", d->nother_txt);
	if (d->nrecords_dropped)
		jw_uint(w, "records_dropped", d->nrecords_dropped);
	jw_uint(w, "attempts", d->attempts);
	jw_obj_close(w);
}

void ndjson_job(struct jbuf *b, const struct job *j, const struct job_scratch *s,
		const struct ndjson_opts *o, struct ndjson_clock *clock)
{
	struct jw w;
	char ts[32];
	const struct input_item *in = &j->in;
	bool ok = in->status == INPUT_ITEM_OK;
	bool named = ok || in->status == INPUT_ITEM_EXCLUDED;

	jw_begin(&w, b);
	jw_int(&w, "schema", NDJSON_SCHEMA);
	jw_cstr(&w, "domain", named ? in->domain : NULL);
	jw_uint(&w, "line", in->line);
	if (o->nfiles > 1)
		jw_cstr(&w, "file", o->files[j->file]);
	if (in->raw_differs || !named)
		jw_cstr(&w, "input", in->raw);
	if (in->rank >= 0)
		jw_int(&w, "rank", in->rank);
	if (in->sector)
		jw_cstr(&w, "sector", in->sector);
	ndjson_timestamp(clock, ts);
	jw_cstr(&w, "ts", ts);
	if (in->status == INPUT_ITEM_EXCLUDED) {
		jw_cstr(&w, "status", "EXCLUDED");
		jw_null(&w, "dmarc");
	} else if (!ok) {
		jw_cstr(&w, "status", "ILLEGAL_INPUT");
		jw_cstr(&w, "error", in->error);
		jw_null(&w, "dmarc");
	} else {
		jw_cstr(&w, "status", "OK");
		write_dmarc(&w, &s->dmarc);
	}
	jw_end(&w);
}
