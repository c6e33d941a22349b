/* resolvers.h -- the list of resolvers queries go to: parsing and per-resolver counters.
 * Contract: resolvers_parse() accepts "IP", "IP:PORT", "[IPv6]:PORT" and bare IPv6,
 * comma-separated, or "@FILE" with one per line (# comments); resolvers_from_resolv_conf()
 * reads the nameserver lines of a resolv.conf. Both return 0 or -errno with a message that
 * names the offending entry. Counters are written by the loop thread only. */
#ifndef DS_RESOLVERS_H
#define DS_RESOLVERS_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/limits.h"

struct resolver_stats {
	uint64_t sent, answered, timeouts, servfail, refused, other_rcode, mismatched;
};

struct resolver {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char name[64]; /* as printed: 127.0.0.1:5300 or [::1]:53 */
	struct resolver_stats stats;
};

struct resolver_list {
	struct resolver *v;
	size_t n;
};

int resolvers_parse(struct resolver_list *out, const char *spec, char *err, size_t errlen);
int resolvers_from_resolv_conf(struct resolver_list *out, const char *path, char *err,
			       size_t errlen);
void resolvers_free(struct resolver_list *l);

/* Does addr (a reply's source) equal resolver r's address and port? */
int resolver_addr_equal(const struct resolver *r, const struct sockaddr *addr);

#endif
