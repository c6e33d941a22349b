/* line.c -- the MTA-STS policy member of the line. */
#include "scanner/mtasts/line.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include "common/tristate.h"
#include "dns/https.h"
#include "dns/wire.h"

const char *const mtasts_fetch_codes[] = {
    "ok",        "http_status", "redirect",   "timeout",   "connect", "tls",
    "too_large", "error",       "no_address", "dns_error", NULL,
};

const char *mtasts_fetch_name(int fetch)
{
        if (fetch >= 0 && fetch < HTTPS_STATUS_COUNT)
                return https_status_name((enum https_status)fetch);
        if (fetch == MTASTS_FETCH_NO_ADDRESS)
                return "no_address";
        if (fetch == MTASTS_FETCH_DNS_ERROR)
                return "dns_error";
        return NULL;
}

/* The MX hosts there are to match: the lookup answered with at least one. */
static bool hosts_known(const struct mtasts_state *st, const struct mtasts_scratch *s)
{
        return st->step == MTASTS_STEP_MX && s->mx.status == WIRE_RCODE_NOERROR && s->mx.nhosts > 0;
}

static bool policy_usable(const struct mtasts_state *st, const struct mtasts_scratch *s)
{
        return st->fetch == HTTPS_OK && mtasts_policy_valid(&s->pol) && s->pol.mx.n > 0;
}

int mtasts_mx_match(const struct mtasts_state *st, const struct mtasts_scratch *s)
{
        if (!policy_usable(st, s) || !hosts_known(st, s))
                return TRI_UNKNOWN;
        for (unsigned i = 0; i < s->mx.nhosts; i++)
                if (!mtasts_policy_match(&s->pol, mx_host_at(&s->mx, i)->name))
                        return TRI_NO;
        return TRI_YES;
}

static void write_address(struct jw *w, const struct mtasts_state *st)
{
        char text[INET6_ADDRSTRLEN];
        int af = st->addr_len == 4 ? AF_INET : AF_INET6;
        if (!st->addr_len || !inet_ntop(af, st->addr, text, sizeof(text)))
                jw_null(w, "address");
        else
                jw_cstr(w, "address", text);
}

static void write_codes(struct jw *w, const char *key, const struct mtasts_policy *p, bool errors)
{
        jw_arr_open(w, key);
        for (unsigned i = 0; i < p->nissues; i++)
                if (p->issues[i].error == errors)
                        jw_cstr(w, NULL, p->issues[i].code);
        jw_arr_close(w);
}

static void write_patterns(struct jw *w, const struct mtasts_policy *p)
{
        jw_arr_open(w, "mx");
        for (unsigned i = 0; i < p->mx.n; i++) {
                struct mtasts_span sp = mtasts_policy_mx(p, i);
                jw_str(w, NULL, p->body + sp.off, sp.len);
        }
        jw_arr_close(w);
}

static void write_unmatched(struct jw *w, const struct mtasts_state *st,
                            const struct mtasts_scratch *s)
{
        jw_arr_open(w, "mx_unmatched");
        if (policy_usable(st, s) && hosts_known(st, s))
                for (unsigned i = 0; i < s->mx.nhosts; i++) {
                        const char *host = mx_host_at(&s->mx, i)->name;
                        if (!mtasts_policy_match(&s->pol, host))
                                jw_cstr(w, NULL, host);
                }
        jw_arr_close(w);
}

void mtasts_line_policy(struct jw *w, const struct mtasts_state *st, const struct mtasts_scratch *s)
{
        if (st->fetch == MTASTS_FETCH_NOT_ASKED) {
                jw_null(w, "policy");
                return;
        }
        bool ok = st->fetch == HTTPS_OK;
        const struct mtasts_policy *p = &s->pol;
        jw_obj_open(w, "policy");
        jw_cstr(w, "fetch", mtasts_fetch_name(st->fetch));
        write_address(w, st);
        if (st->http_code)
                jw_uint(w, "http_status", st->http_code);
        else
                jw_null(w, "http_status");
        jw_cstr(w, "mode", ok ? mtasts_mode_name(p->mode) : NULL);
        if (ok && p->max_age >= 0)
                jw_int(w, "max_age", p->max_age);
        else
                jw_null(w, "max_age");
        if (ok) {
                write_patterns(w, p);
        } else {
                jw_arr_open(w, "mx");
                jw_arr_close(w);
        }
        jw_tri(w, "mx_match", mtasts_mx_match(st, s));
        write_unmatched(w, st, s);
        if (ok)
                jw_bool(w, "valid", mtasts_policy_valid(p));
        else
                jw_null(w, "valid");
        if (ok) {
                write_codes(w, "errors", p, true);
                write_codes(w, "warnings", p, false);
        } else {
                jw_arr_open(w, "errors");
                jw_arr_close(w);
                jw_arr_open(w, "warnings");
                jw_arr_close(w);
        }
        jw_obj_close(w);
}
