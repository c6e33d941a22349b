/* probe.c -- the resolver's DNSSEC validation, told from a signed and a bogus name. */
#include "scanner/dnssec/probe.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/tristate.h"
#include "dns/engine.h"
#include "dns/wire.h"
#include "scanner/lookup.h"

static int set_name(struct dnssec_probe *p, unsigned which, const char *text, size_t n, char *err,
                    size_t errlen)
{
        if (n == 0 || n > DS_NAME_MAX_TEXT) {
                snprintf(err, errlen, "want SIGNED,BOGUS: two domain names");
                return -EINVAL;
        }
        memcpy(p->name[which], text, n);
        p->name[which][n] = 0;
        int len = wire_name_from_text(p->name[which], p->wire[which], sizeof(p->wire[which]));
        if (len < 0) {
                snprintf(err, errlen, "'%s' is no domain name", p->name[which]);
                return -EINVAL;
        }
        p->wire_len[which] = (uint16_t)len;
        p->status[which] = LOOKUP_PENDING;
        p->ad[which] = false;
        return 0;
}

int dnssec_probe_init(struct dnssec_probe *p, const char *spec, char *err, size_t errlen)
{
        memset(p, 0, sizeof(*p));
        const char *comma = strchr(spec, ',');
        if (!comma || strchr(comma + 1, ',')) {
                snprintf(err, errlen, "want SIGNED,BOGUS: two domain names");
                return -EINVAL;
        }
        int rc = set_name(p, DNSSEC_PROBE_SIGNED, spec, (size_t)(comma - spec), err, errlen);
        if (rc == 0)
                rc = set_name(p, DNSSEC_PROBE_BOGUS, comma + 1, strlen(comma + 1), err, errlen);
        p->pending = DNSSEC_PROBES;
        return rc;
}

unsigned dnssec_probe_send(struct dnssec_probe *p, struct engine *e, uint32_t token_base)
{
        unsigned sent = 0;
        for (unsigned i = 0; i < DNSSEC_PROBES; i++) {
                if (engine_query(e, token_base + i, p->wire[i], p->wire_len[i], WIRE_TYPE_SOA,
                                 WIRE_Q_DO, 0) == 0)
                        sent++;
                else
                        dnssec_probe_take(p, i, ENGINE_TIMEOUT, NULL, 0);
        }
        return sent;
}

void dnssec_probe_take(struct dnssec_probe *p, unsigned which, int engine_status,
                       const uint8_t *pkt, size_t len)
{
        if (which >= DNSSEC_PROBES || p->status[which] != LOOKUP_PENDING)
                return;
        if (engine_status != ENGINE_REPLY)
                p->status[which] =
                    engine_status == ENGINE_TIMEOUT ? LOOKUP_TIMEOUT : LOOKUP_MALFORMED;
        else if (!pkt || len < WIRE_HEADER_LEN)
                p->status[which] = LOOKUP_MALFORMED;
        else {
                p->status[which] = wire_rcode_of(pkt);
                p->ad[which] = wire_ad(pkt);
        }
        p->pending--;
}

int8_t dnssec_probe_validates(const struct dnssec_probe *p)
{
        if (p->pending)
                return TRI_UNKNOWN;
        bool signed_ok =
            p->status[DNSSEC_PROBE_SIGNED] == WIRE_RCODE_NOERROR && p->ad[DNSSEC_PROBE_SIGNED];
        bool bogus_failed = p->status[DNSSEC_PROBE_BOGUS] == WIRE_RCODE_SERVFAIL;
        return signed_ok && bogus_failed ? TRI_YES : TRI_NO;
}

void dnssec_probe_warn(FILE *out, const struct dnssec_probe *p)
{
        fprintf(out,
                "dmarcscan: warning: the resolvers do not validate DNSSEC (%s: %s%s, want "
                "NOERROR with AD; %s: %s, want SERVFAIL): every line says \"dnssec\":"
                "\"unknown\" (--dnssec-probe)\n",
                p->name[DNSSEC_PROBE_SIGNED], lookup_status_name(p->status[DNSSEC_PROBE_SIGNED]),
                p->ad[DNSSEC_PROBE_SIGNED] ? " with AD" : "", p->name[DNSSEC_PROBE_BOGUS],
                lookup_status_name(p->status[DNSSEC_PROBE_BOGUS]));
}

static void write_one(struct jw *w, const char *key, const struct dnssec_probe *p, unsigned which)
{
        jw_obj_open(w, key);
        jw_cstr(w, "name", p->name[which]);
        jw_cstr(w, "status", lookup_status_name(p->status[which]));
        jw_bool(w, "ad", p->ad[which]);
        jw_obj_close(w);
}

void dnssec_probe_write(struct jw *w, const char *key, const struct dnssec_probe *p)
{
        jw_obj_open(w, key);
        write_one(w, "signed", p, DNSSEC_PROBE_SIGNED);
        write_one(w, "bogus", p, DNSSEC_PROBE_BOGUS);
        jw_tri(w, "validates", dnssec_probe_validates(p));
        jw_obj_close(w);
}
