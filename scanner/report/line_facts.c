/* line_facts.c -- a parsed line's fields into struct summary_facts: names back into the
 * enumerations the scan wrote them from. */
#include "scanner/report/line_facts.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common/check.h"
#include "common/tristate.h"
#include "dns/wire.h"
#include "scanner/dmarc/check.h"
#include "scanner/dmarc/verdict.h"
#include "scanner/lookup.h"
#include "scanner/dnssec/verdict.h"
#include "scanner/input.h"
#include "scanner/spf/record.h"

/* A name to an enumeration value: the index k < n with name(k) == s, else -1. */
typedef const char *(*name_fn)(int k);

static int value_of(const char *s, name_fn name, int n)
{
        for (int k = 0; s && k < n; k++) {
                const char *nk = name(k);
                if (nk && strcmp(nk, s) == 0)
                        return k;
        }
        return -1;
}

static const char *policy_n(int k)
{
        return dmarc_policy_name((enum dmarc_policy)k);
}

static const char *auth_n(int k)
{
        return auth_result_name((enum auth_result)k);
}

static const char *str(const json_t *o, const char *key)
{
        return json_string_value(json_object_get(o, key));
}

static int bad(char *err, size_t errlen, const char *field)
{
        snprintf(err, errlen, "%s is missing or not a value a line holds", field);
        return -EINVAL;
}

/* true, false, null as enum tristate into *out; -EINVAL for anything else. */
static int tri(const json_t *v, int *out)
{
        *out = json_is_true(v) ? TRI_YES : json_is_false(v) ? TRI_NO : TRI_UNKNOWN;
        return json_is_boolean(v) || json_is_null(v) ? 0 : -EINVAL;
}

/* An optional enumeration: null (or absent) as -1. */
static int opt_value(const json_t *o, const char *key, name_fn name, int n, int *out)
{
        const json_t *v = json_object_get(o, key);
        *out = json_is_null(v) || !v ? -1 : value_of(json_string_value(v), name, n);
        return *out == -1 && v && !json_is_null(v) ? -EINVAL : 0;
}

static bool has_code(const json_t *o, const char *list, const char *code)
{
        size_t i;
        const json_t *v;
        json_array_foreach(json_object_get(o, list), i, v)
        {
                if (json_is_string(v) && strcmp(json_string_value(v), code) == 0)
                        return true;
        }
        return false;
}

static bool nonempty(const json_t *o, const char *key)
{
        return json_array_size(json_object_get(o, key)) > 0;
}

static int top_facts(const json_t *l, struct summary_facts *f, char *err, size_t errlen)
{
        int exists, posture, spoofable;
        if (tri(json_object_get(l, "exists"), &exists) < 0)
                return bad(err, errlen, "exists");
        if (opt_value(l, "posture", summary_posture_key, POSTURE_ERROR + 1, &posture) < 0)
                return bad(err, errlen, "posture");
        if (opt_value(l, "spoofable", summary_spoofable_key, SPOOF_UNKNOWN + 1, &spoofable) < 0)
                return bad(err, errlen, "spoofable");
        f->top = (struct toplevel){.known = true,
                                   .exists = (int8_t)exists,
                                   .posture = (int8_t)posture,
                                   .enforcing = json_is_true(json_object_get(l, "enforcing")),
                                   .partial = json_is_true(json_object_get(l, "partial")),
                                   .spoofable = (int8_t)spoofable};
        return 0;
}

static int receivers(const json_t *d, struct summary *s, struct summary_facts *f, char *err,
                     size_t errlen)
{
        const json_t *r, *list = json_object_get(d, "receivers");
        size_t i;
        if (!json_is_array(list) || json_array_size(list) > UINT_MAX)
                return bad(err, errlen, "dmarc.receivers");
        f->dmarc.nrecv = (unsigned)json_array_size(list);
        if (f->dmarc.nrecv)
                s->rbuf = ds_xgrow(s->rbuf, &s->rcap, f->dmarc.nrecv * sizeof(*s->rbuf),
                                   "a line's receivers");
        f->dmarc.recv = s->rbuf;
        json_array_foreach(list, i, r)
        {
                int ext, auth = value_of(str(r, "authorization"), auth_n, AUTH_NOT_CHECKED + 1);
                if (!str(r, "org") || tri(json_object_get(r, "external"), &ext) < 0 || auth < 0)
                        return bad(err, errlen, "dmarc.receivers[]");
                s->rbuf[i] = (struct summary_receiver){
                    .org = str(r, "org"), .external = (int8_t)ext, .auth = (uint8_t)auth};
        }
        return 0;
}

static int dmarc_facts(const json_t *d, struct summary *s, struct summary_facts *f, char *err,
                       size_t errlen)
{
        if (!json_is_object(d) ||
            summary_status_of(str(d, "status") ? str(d, "status") : "", &f->dmarc.status) < 0)
                return bad(err, errlen, "dmarc.status");
        f->dmarc.valid = json_is_true(json_object_get(d, "valid"));
        if (f->dmarc.valid) {
                int p = value_of(str(d, "p"), policy_n, DMARC_POLICY_REJECT + 1);
                int sp = value_of(str(d, "sp"), policy_n, DMARC_POLICY_REJECT + 1);
                int np = value_of(str(d, "np"), policy_n, DMARC_POLICY_REJECT + 1);
                if (p < 0 || sp < 0 || np < 0)
                        return bad(err, errlen, "dmarc.p, sp or np");
                f->dmarc.p = (uint8_t)p;
                f->dmarc.sp = (uint8_t)sp;
                f->dmarc.np = (uint8_t)np;
        }
        f->dmarc.rua = nonempty(d, "rua");
        f->dmarc.ruf = nonempty(d, "ruf");
        return receivers(d, s, f, err, errlen);
}

static int spf_facts(const json_t *o, struct summary_facts *f, char *err, size_t errlen)
{
        int result = value_of(str(o, "result"), summary_spf_result_key, SPF_RESULT_TEMPERROR + 1),
            all;
        if (!json_is_object(o) ||
            summary_status_of(str(o, "status") ? str(o, "status") : "", &f->spf.status) < 0)
                return bad(err, errlen, "spf.status");
        if (result < 0)
                return bad(err, errlen, "spf.result");
        if (opt_value(o, "all", summary_spf_all_key, SPF_ALL_NEUTRAL + 1, &all) < 0)
                return bad(err, errlen, "spf.all");
        f->spf.result = (uint8_t)result;
        f->spf.records = nonempty(o, "records");
        f->spf.all = (uint8_t)(all < 0 ? SPF_ALL_NONE : all);
        f->spf.permissive = json_is_true(json_object_get(o, "permissive"));
        f->spf.too_many_lookups = has_code(o, "errors", "too_many_lookups");
        f->spf.too_many_void = has_code(o, "errors", "too_many_void_lookups");
        return 0;
}

/* The mail fact the mx object says (docs/output.md, "mx"). */
static int mx_facts(const json_t *o, struct summary_facts *f, char *err, size_t errlen)
{
        if (!json_is_object(o) ||
            summary_status_of(str(o, "status") ? str(o, "status") : "", &f->mx.status) < 0)
                return bad(err, errlen, "mx.status");
        if (f->mx.status == WIRE_RCODE_NOERROR)
                f->mx.mail = nonempty(o, "hosts")                          ? MAIL_FACT_MX
                             : json_is_true(json_object_get(o, "null_mx")) ? MAIL_FACT_NULL_MX
                                                                           : MAIL_FACT_NO_MX;
        else
                f->mx.mail =
                    f->mx.status == WIRE_RCODE_NXDOMAIN ? MAIL_FACT_NXDOMAIN : MAIL_FACT_ERROR;
        return 0;
}

bool line_is_ok(const json_t *line)
{
        const char *st = str(line, "status");
        return st && strcmp(st, "OK") == 0;
}

void line_checks(const json_t *line, struct line_checks *c)
{
        bool ok = line_is_ok(line);
        c->dnssec = ok && json_is_string(json_object_get(line, "dnssec"));
        c->dmarc = ok && json_is_object(json_object_get(line, "dmarc"));
        c->spf = ok && json_is_object(json_object_get(line, "spf"));
        c->mx = ok && json_is_object(json_object_get(line, "mx"));
        c->mta_sts = ok && json_is_object(json_object_get(line, "mta_sts"));
        c->tls_rpt = ok && json_is_object(json_object_get(line, "tls_rpt"));
        c->bimi = ok && json_is_object(json_object_get(line, "bimi"));
        c->dkim = ok && json_is_object(json_object_get(line, "dkim"));
}

void line_checks_apply(const struct line_checks *c, struct summary *s)
{
        s->dmarc = c->dmarc ? 0 : -1;
        s->spf = c->spf ? 0 : -1;
        s->mx = c->mx ? 0 : -1;
        s->dnssec = c->dnssec ? 0 : -1;
        s->mta_sts = c->mta_sts ? 0 : -1;
        s->tls_rpt = c->tls_rpt ? 0 : -1;
        s->bimi = c->bimi ? 0 : -1;
        s->dkim = c->dkim ? 0 : -1;
}

/* A TXT-record check's object: records non-empty, and valid true. */
static void record_facts(const json_t *o, bool *record, bool *valid)
{
        *record = nonempty(o, "records");
        *valid = json_is_true(json_object_get(o, "valid"));
}

/* The mta_sts object's policy (null when not asked for). */
static void policy_facts(const json_t *p, struct summary_facts *f)
{
        const char *mode = str(p, "mode");
        f->mta_sts_policy.asked = json_is_object(p);
        f->mta_sts_policy.valid = json_is_true(json_object_get(p, "valid"));
        f->mta_sts_policy.enforce = f->mta_sts_policy.valid && mode && strcmp(mode, "enforce") == 0;
        f->mta_sts_policy.mx_match = json_is_true(json_object_get(p, "mx_match"));
}

/* The adoption facts of the mta_sts, tls_rpt, bimi and dkim objects (docs/output.md). */
static int adoption_facts(const json_t *line, const struct summary *s, struct summary_facts *f,
                          char *err, size_t errlen)
{
        if (s->mta_sts >= 0) {
                const json_t *m = json_object_get(line, "mta_sts");
                record_facts(m, &f->mta_sts.record, &f->mta_sts.valid);
                policy_facts(json_object_get(m, "policy"), f);
        }
        if (s->tls_rpt >= 0)
                record_facts(json_object_get(line, "tls_rpt"), &f->tls_rpt.record,
                             &f->tls_rpt.valid);
        if (s->bimi >= 0) {
                const json_t *b = json_object_get(line, "bimi");
                record_facts(b, &f->bimi.record, &f->bimi.valid);
                f->bimi_dmarc_ok = json_is_true(json_object_get(b, "dmarc_ok"));
        }
        if (s->dkim >= 0) {
                const char *k = str(json_object_get(line, "dkim"), "domainkey");
                f->dkim_status = !k                         ? LOOKUP_PENDING
                                 : strcmp(k, "exists") == 0 ? WIRE_RCODE_NOERROR
                                 : strcmp(k, "absent") == 0 ? WIRE_RCODE_NXDOMAIN
                                                            : -1;
                if (f->dkim_status == -1)
                        return bad(err, errlen, "dkim.domainkey");
        }
        return 0;
}

static int status_of(const json_t *line, uint8_t *status)
{
        const char *st = str(line, "status");
        if (!st)
                return -EINVAL;
        *status = strcmp(st, "OK") == 0              ? INPUT_ITEM_OK
                  : strcmp(st, "ILLEGAL_INPUT") == 0 ? INPUT_ITEM_ILLEGAL
                  : strcmp(st, "EXCLUDED") == 0      ? INPUT_ITEM_EXCLUDED
                                                     : 0xff;
        return *status == 0xff ? -EINVAL : 0;
}

/* The line's "dnssec" value (docs/output.md). */
static const char *dnssec_n(int k)
{
        return dnssec_state_name((enum dnssec_state)k);
}

static int dnssec_fact(const json_t *line, struct summary_facts *f, char *err, size_t errlen)
{
        int v = value_of(str(line, "dnssec"), dnssec_n, DNSSEC_STATES);
        if (v < 0)
                return bad(err, errlen, "dnssec");
        f->dnssec = (int8_t)v;
        return 0;
}

int line_facts(const json_t *line, struct summary *s, struct summary_facts *f, char *err,
               size_t errlen)
{
        const json_t *rank = json_object_get(line, "rank");
        if (!json_is_object(line) || status_of(line, &f->status) < 0)
                return bad(err, errlen, "status");
        f->domain = str(line, "domain");
        if (f->status != INPUT_ITEM_ILLEGAL && !f->domain)
                return bad(err, errlen, "domain");
        if (rank && (!json_is_integer(rank) || json_integer_value(rank) < 1))
                return bad(err, errlen, "rank");
        f->rank = rank ? json_integer_value(rank) : -1;
        f->sector = str(line, "sector");
        if (f->status != INPUT_ITEM_OK)
                return 0;
        int rc = top_facts(line, f, err, errlen);
        if (rc == 0 && s->dmarc >= 0)
                rc = dmarc_facts(json_object_get(line, "dmarc"), s, f, err, errlen);
        if (rc == 0 && s->spf >= 0)
                rc = spf_facts(json_object_get(line, "spf"), f, err, errlen);
        if (rc == 0 && s->mx >= 0)
                rc = mx_facts(json_object_get(line, "mx"), f, err, errlen);
        if (rc == 0 && s->dnssec >= 0)
                rc = dnssec_fact(line, f, err, errlen);
        if (rc == 0)
                rc = adoption_facts(line, s, f, err, errlen);
        return rc;
}
