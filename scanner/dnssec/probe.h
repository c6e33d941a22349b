/* probe.h -- does the scan's resolver validate DNSSEC? Asked once, before the first domain:
 * a name known to be signed must come back NOERROR with AD, and a name known to be bogus
 * (signatures that fail) must come back SERVFAIL. Any other outcome, a timeout included,
 * says no: then every line's "dnssec" is unknown (docs/verdicts.md).
 * Contract: plain data and pure functions; the scan (scanner/scan.c) sends the two queries
 * (with DO, through the engine) and hands the replies to dnssec_probe_take() on the loop
 * thread; the metadata writes what was found (dnssec_probe_write). No allocation. */
#ifndef DS_DNSSEC_PROBE_H
#define DS_DNSSEC_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dns/limits.h"
#include "output/json.h"

/* Known-signed and known-bogus names asked by default (on the Internet). */
#define DNSSEC_PROBE_DEFAULT "ietf.org,dnssec-failed.org"

enum dnssec_probe_which { DNSSEC_PROBE_SIGNED = 0, DNSSEC_PROBE_BOGUS, DNSSEC_PROBES };

struct dnssec_probe {
        char name[DNSSEC_PROBES][DS_NAME_MAX_TEXT + 1];
        uint8_t wire[DNSSEC_PROBES][DS_NAME_MAX_WIRE];
        uint16_t wire_len[DNSSEC_PROBES];
        int status[DNSSEC_PROBES]; /* a lookup status; LOOKUP_PENDING until taken */
        bool ad[DNSSEC_PROBES];
        unsigned pending;
};

/* "SIGNED,BOGUS" (--dnssec-probe) into p, both pending. 0, or -EINVAL with a message in
 * err (no option prefix). */
int dnssec_probe_init(struct dnssec_probe *p, const char *spec, char *err, size_t errlen);

struct engine;

/* Send both probes (DO set) through e, as tokens token_base + enum dnssec_probe_which;
 * returns how many the engine took (one it refused ends at once as a timeout). */
unsigned dnssec_probe_send(struct dnssec_probe *p, struct engine *e, uint32_t token_base);

/* The reply to probe which (engine_status: enum engine_status; pkt NULL unless a reply). */
void dnssec_probe_take(struct dnssec_probe *p, unsigned which, int engine_status,
                       const uint8_t *pkt, size_t len);

/* enum tristate: unknown while a probe is pending, then yes or no. */
int8_t dnssec_probe_validates(const struct dnssec_probe *p);

/* The warning for stderr when the resolvers do not validate: what the probes got. */
void dnssec_probe_warn(FILE *out, const struct dnssec_probe *p);

/* The "dnssec_probe" member of the metadata: the names, what came back, the verdict. */
void dnssec_probe_write(struct jw *w, const char *key, const struct dnssec_probe *p);

#endif
