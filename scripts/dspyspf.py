# dspyspf.py -- dmarcscan's SPF verdicts next to pyspf's (Debian python3-spf), for
# scripts/compare-peers --spf.
#
# Contract:
#   build_zones(records, zone_dir) publishes each record (bytes) at rNNNN.ZONE (with an A and
#     an MX there) and the extra cases (EXTRA) at their own names under EXTRA_ZONE, makes
#     every name the records' terms name (include, redirect, a, mx, exists, ptr; not those
#     with macros) the apex of a zone of its own holding TARGET_TXT, an A and an MX, and
#     serves the client's reverse zone empty. Returns (domains, dsspf.DnsData): one domain
#     per record then per extra case, in that order.
#   confine_to_loopback() makes every socket of this process refuse destinations outside
#     127.0.0.0/8 (a guard: pyspf must never reach a real resolver).
#   run_pyspf(port, domains) -> {domain: (result, explanation)}: spf.query(CLIENT,
#     postmaster@domain, HELO).check() with dnspython's default resolver set to
#     127.0.0.1:port alone (/etc/resolv.conf is never read).
#   ours(line) -> the result a sender matching nothing gets by dmarcscan's spf object:
#     none, permerror, temperror, pass when an included +all or a mechanism passes
#     everyone (include_pass_all, pass_all_mechanism), neutral when a mechanism makes
#     everyone neutral (neutral_all_mechanism), or the effective all (fail, softfail, neutral, pass; neutral
#     without all; "unknown" when the all is not known).
# Only 127.0.0.1 is ever contacted.

import ipaddress
import re
import socket

ZONE = "zcmpspf"
EXTRA_ZONE = "zcmpx"
CLIENT = "192.0.2.1"
HELO = "helo.zcmpspf"
REVERSE_ZONE = "2.0.192.in-addr.arpa"
TARGET_TXT = b"v=spf1 ip4:198.51.100.0/24 ~all"  # every include target of the corpus
BROKEN_ZONE = "zcmpbroken"  # does not load: SERVFAIL

# Cases for the edges: (label, record, [(owner, rtype, rdata)] under EXTRA_ZONE, why).
X = EXTRA_ZONE
EXTRA = [
    ("loop", "v=spf1 include:loop.%s -all" % X, [], "include loop"),
    ("loop2", "v=spf1 include:la.%s -all" % X,
     [("la", "TXT", ("v=spf1 include:lb.%s -all" % X).encode()),
      ("lb", "TXT", ("v=spf1 include:la.%s -all" % X).encode())], "a loop of two includes"),
    ("incnx", "v=spf1 include:nx.%s -all" % X, [], "include of a name that does not exist"),
    ("incnotspf", "v=spf1 include:notspf.%s -all" % X,
     [("notspf", "TXT", b"google-site-verification=abc")], "include of a TXT that is not SPF"),
    ("redir", "v=spf1 redirect=strict.%s" % X,
     [("strict", "TXT", b"v=spf1 ip4:198.51.100.1 -all")], "redirect"),
    ("redirnx", "v=spf1 redirect=nx.%s" % X, [], "redirect to nothing"),
    ("redirignored", "v=spf1 ~all redirect=open.%s" % X,
     [("open", "TXT", b"v=spf1 +all")], "redirect beside all: ignored"),
    ("eleven", "v=spf1 " + " ".join("a:h%d.%s" % (i, X) for i in range(11)) + " -all",
     [("h%d" % i, "A", "198.51.100.%d" % (10 + i)) for i in range(11)], "11 lookups"),
    ("ten", "v=spf1 " + " ".join("a:h%d.%s" % (i, X) for i in range(10)) + " -all",
     [], "10 lookups"),
    ("void3", "v=spf1 a:v1.%s a:v2.%s a:v3.%s -all" % (X, X, X), [], "3 void lookups"),
    ("void2", "v=spf1 a:v1.%s a:v2.%s -all" % (X, X), [], "2 void lookups"),
    ("manymx", "v=spf1 mx:bigmx.%s -all" % X,
     [("bigmx", "MX", "%d mx%d.%s." % (i, i, X)) for i in range(11)]
     + [("mx%d" % i, "A", "198.51.100.%d" % (30 + i)) for i in range(11)], "11 MX names"),
    ("multi", None, [], "two SPF records"),
    ("plusall", "v=spf1 +all", [], "+all"),
    ("noall", "v=spf1 ip4:198.51.100.1", [], "no all"),
    ("ptr", "v=spf1 ptr -all", [], "ptr (the client has no PTR)"),
    ("unknownmod", "v=spf1 foo=bar -all", [], "an unknown modifier"),
    ("upper", "V=SPF1 IP4:198.51.100.1 -ALL", [], "upper case"),
    ("trailingdot", "v=spf1 include:strict.%s. ~all" % X, [], "a trailing dot"),
    ("incservfail", "v=spf1 include:_spf.%s -all" % BROKEN_ZONE, [],
     "include into a zone that does not load"),
    # open policies that do not end in +all
    ("incopen", "v=spf1 include:open.%s -all" % X, [], "include of a +all record"),
    ("ip4any", "v=spf1 ip4:0.0.0.0/0 -all", [], "ip4:0.0.0.0/0"),
    ("existsany", "v=spf1 exists:always.%s -all" % X,
     [("always", "A", "127.0.0.2")], "exists: of a name that always exists"),
    ("a0", "v=spf1 a:always.%s/0 -all" % X, [], "a/0"),
    ("ip4neutral", "v=spf1 ?ip4:0.0.0.0/0 -all", [], "?ip4:0.0.0.0/0: anyone neutral"),
    ("ip6any", "v=spf1 ip6:::/0 -all", [], "ip6:::/0 (the client is IPv4)"),
    # syntax the two read differently (docs/spf-grammar.md, "pyspf")
    ("dupunknown", "v=spf1 foo=1 foo=2 -all", [], "an unknown modifier twice"),
    ("macromod", "v=spf1 moo=%{d}.%% -all", [], "macros in an unknown modifier"),
    ("openmacro", "v=spf1 a:%%{d.%s -all" % X, [], "a macro without its closing brace"),
    # what a sender (the client) changes
    ("macroexists", "v=spf1 exists:%%{i}.allow.%s -all" % X,
     [("192.0.2.1.allow", "A", "127.0.0.2")], "exists: with a macro the client matches"),
    ("macroredirect", "v=spf1 redirect=%%{d}._r.%s" % X,
     [("macroredirect.%s._r" % X, "TXT", b"v=spf1 -all")], "redirect by macro"),
    ("clientlisted", "v=spf1 ip4:192.0.2.0/24 -all", [], "the client is listed"),
]
EXTRA_MULTI = [b"v=spf1 -all", b"v=spf1 ~all"]

TERM = re.compile(r"^[+?~-]?(include|exists|ptr|a|mx):([^/]+)|^redirect=(.+)$", re.I)
NAME = re.compile(r"^([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{1,63}$")


def target_names(record):
    """The macro-free names a record's terms name (lower case, no trailing dot)."""
    out = []
    for t in record.decode("ascii", "replace").split(" "):
        m = TERM.match(t)
        if not m:
            continue
        name = (m.group(2) or m.group(3)).lower().rstrip(".")
        if "%" not in name and NAME.match(name) and len(name) <= 253:
            out.append(name)
    return out


def build_zones(records, zone_dir, with_extra=True):
    data = dsspf.DnsData()
    data.add_zone(ZONE)
    data.add_zone(EXTRA_ZONE)
    data.add_zone(REVERSE_ZONE)
    data.add_zone(BROKEN_ZONE, broken=True)
    data.add("mx." + ZONE, "A", "198.51.100.2")
    domains, texts = [], []
    for i, r in enumerate(records):
        d = "r%04d.%s" % (i, ZONE)
        data.add(d, "TXT", r)
        data.add(d, "A", "198.51.100.1")
        data.add(d, "MX", "10 mx.%s." % ZONE)
        domains.append(d)
        texts.append(r)
    for label, rec, rrs, _ in EXTRA if with_extra else []:
        d = "%s.%s" % (label, EXTRA_ZONE)
        for t in [rec.encode()] if rec else EXTRA_MULTI:
            data.add(d, "TXT", t)
        for owner, rtype, rdata in rrs:
            data.add("%s.%s" % (owner, EXTRA_ZONE), rtype, rdata)
        domains.append(d)
    for r in texts:
        for name in target_names(r):
            if name not in data.zones:  # nested zones are fine: Knot answers from the closest
                data.add_zone(name)
                data.add(name, "TXT", TARGET_TXT)
                data.add(name, "A", "198.51.100.3")
                data.add(name, "MX", "10 mx.%s." % name)
                data.add("mx." + name, "A", "198.51.100.4")
    data.write_zones(zone_dir, lambda b: dsworld.txt_rdata([b]))
    return domains, data


def confine_to_loopback():
    def allowed(addr):
        try:
            return ipaddress.ip_address(addr[0]).is_loopback
        except (ValueError, TypeError, IndexError):
            return False

    base = socket.socket

    class Confined(base):
        def connect(self, addr):
            if not allowed(addr):
                raise OSError("compare-peers: refusing to contact %r" % (addr,))
            return base.connect(self, addr)

        def connect_ex(self, addr):
            if not allowed(addr):
                raise OSError("compare-peers: refusing to contact %r" % (addr,))
            return base.connect_ex(self, addr)

        def sendto(self, data, *args):
            if not allowed(args[-1]):
                raise OSError("compare-peers: refusing to send to %r" % (args[-1],))
            return base.sendto(self, data, *args)

    socket.socket = Confined


def run_pyspf(port, domains):
    import dns.resolver
    import spf
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = port
    r.timeout, r.lifetime = 2.0, 4.0
    dns.resolver.default_resolver = r
    out = {}
    for d in domains:
        try:
            res, _, exp = spf.query(CLIENT, "postmaster@" + d, HELO, timeout=4).check()
        except Exception as e:  # a crash of the peer is a finding, not a stop
            res, exp = "exception", "%s: %s" % (type(e).__name__, e)
        out[d] = (res, exp)
    return out


def ours(line):
    s = (line or {}).get("spf")
    if not isinstance(s, dict):
        return "missing"
    if s.get("result") != "ok":
        return s.get("result")
    warnings = s.get("warnings") or []
    if s.get("permissive") and ("include_pass_all" in warnings
                                or "pass_all_mechanism" in warnings):
        return "pass"  # an included +all or a mechanism passes everyone, whatever the all
    if s.get("permissive") and "neutral_all_mechanism" in warnings:
        return "neutral"  # a ? mechanism matches everyone first
    if s.get("all") is not None:
        return s["all"]
    return "neutral" if s.get("permissive") else "unknown"


import dsspf  # noqa: E402
import dsworld  # noqa: E402
