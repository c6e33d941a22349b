# dsworld.py -- deterministic synthetic DNS world for dmarcscan tests and the demo.
#
# Contract: generate(out_dir, seed, count) writes, streaming (memory ~ a few ints per domain):
#   zones/NAME.zone  one zone file per TLD-like zone (SOA, NS, one A per existing domain,
#                    the _dmarc records, and the hosted-DMARC names CNAMEs point to)
#   domains.txt      one domain per line, shuffled order
#   ranked.csv       "rank,domain" (no header) in the same order: rank == line number
#   truth.ndjson     per domain: {"domain","line","rank","zone","category","exists",
#                    "dmarc":{"status","records"}, "spf_category", "spf", "mx"} -- dmarc: the
#                    exact answer a stub resolver that follows CNAMEs (also across zones, by
#                    follow-up queries) must produce; records are the TXT strings joined
#                    without separator, bytes decoded as UTF-8 with invalid bytes -> U+FFFD,
#                    order-insensitive. spf: the spf object dmarcscan's spf check must write
#                    (scripts/dsspf.py's reference; compare with spf_matches()); mx:
#                    {"status", "hosts": [{"pref","host"}] sorted, "null_mx"} (mx_matches()).
#   SPF and MX (VERSION 2 on): the domain's own TXT holds an SPF record or not (a realistic mix:
#   -all, ~all, ?all, +all, no all, redirect, permerrors), including the mail providers of the
#   zone PROVIDER_ZONE (include trees shared by many domains, the same in every world, so
#   worlds served together share it); its MX holds hosts, a null MX or nothing. Drawn from a
#   second random stream, so a seed's DMARC data is that of VERSION 1.
#   MTA-STS, TLS-RPT, BIMI and DKIM (VERSION 4 on, with generate(..., mail_txt=True): off
#   by default, so that the worlds of the other tests and benchmarks stay as small and as
#   quick to make and load as before): records at _mta-sts, _smtp._tls,
#   default._bimi and under _domainkey (keys at the selectors DKIM_SELECTORS and others, RSA
#   keys of several lengths, Ed25519, revoked and broken keys, a selector CNAME), drawn from a
#   third random stream; their truth is the "mta_sts", "tls_rpt", "bimi" and "dkim" objects'
#   fields the scanner must write for them (mail_txt_diffs() compares; dkim with
#   --dkim-selectors DKIM_SELECTORS).
#   world.json       manifest {generator, version, seed, count, zones, categories}; written
#                    last, so its presence means the world is complete.
# Same (seed, count, VERSION) gives byte-identical output. Each category appears at least
# once when count >= len(CATEGORIES). Every response stays below 1232 bytes (EDNS, no TCP).
# Domains are all <label>.<zone> (organizational domains: no tree walk can change the truth).
# generate(..., names=[...]) uses those real names (two labels each, e.g. from names_from_file)
# in the given order instead of invented ones; their last labels are the zones, count is
# capped at len(names), and the manifest records a digest of the names (is_current checks it).

import bisect
import hashlib
import json
import os
import random
import re

import dsspf

VERSION = 4
ZONES = (("example", 5), ("test", 3), ("sim", 2))  # name, weight
HOST = "dmarc-host"  # hosted-DMARC names live under dmarc-host.<zone>

# name, share of domains in percent
CATEGORIES = (
    ("reject", 15),
    ("quarantine", 15),       # some with pct < 100
    ("none", 28),
    ("nxdomain", 23),         # domain exists, no _dmarc name
    ("nodomain", 1),          # domain itself absent from its zone
    ("nondmarc", 3),          # _dmarc holds only non-DMARC TXT -> NOERROR, []
    ("multiple", 2),          # two DMARC records
    ("split", 5),             # one record over several character-strings
    ("cname", 3),             # _dmarc CNAME to a hosted name in the same zone
    ("cname2", 1),            # two-hop CNAME chain in the same zone
    ("cname_xzone", 0.5),     # CNAME into another served zone: needs a follow-up query
    ("cname_dangling", 0.5),  # CNAME to a name that does not exist -> NXDOMAIN, []
    ("invalid", 2),           # syntactically broken DMARC records (still "v=DMARC1" prefix)
    ("hostile", 1),           # quotes, backslashes, high/control/NUL bytes, long records
)

PREFIXES = ("acme", "globex", "initech", "umbrella", "stark", "wayne", "hooli", "vandelay",
            "wonka", "tyrell", "cyberdyne", "soylent", "aperture", "oscorp", "duff", "monarch",
            "nakatomi", "virtucon", "gringotts", "dunder", "prestige", "sterling", "bluth",
            "pied", "massive", "kramerica", "zorg", "octan", "paper", "ajax")
SUFFIXES = ("", "", "", "-bank", "-mail", "-shop", "-labs", "-group", "-gov", "-news",
            "-health", "-uni", "-energy", "-travel", "-insurance", "-city")
VENDORS = ("rua.dmarc-vendor-a.example", "reports.vendor-b.test", "ingest.vendor-c.sim",
           "dmarc.report-collector.example")
NONDMARC = ("google-site-verification=%s", "v=spf1 -all", "MS=ms%s", " v=DMARC1; p=reject",
            "v=DMARC2; p=reject", "dmarc=%s", "")
INVALID = ("v=DMARC1; p=bogus", "v=DMARC1 p=reject", "v=DMARC1; rua=mailto:d@%s",
           "v=DMARC1; p=reject; pct=150", "v=DMARC1; p=quarantine; p=reject",
           "v=DMARC1;p", "v=DMARC1; p=none; rua=dmarc@%s", "v=DMARC1; p=reject; adkim=x",
           "v=DMARC1; sp=reject", "v=DMARC1; p=none; fo=9; ri=abc")


# Mail providers (zone PROVIDER_ZONE): include trees many domains share, as on the Internet
# where a handful of providers' includes appear in most records. Fixed text: every world
# holds the same zone.
PROVIDER_ZONE = "mailprov"
PROVIDERS = {
    # a big mailbox provider: three netblock records under one include (4 lookups)
    "_spf.bigmail.mailprov": "v=spf1 include:_netblocks.bigmail.mailprov "
                             "include:_netblocks2.bigmail.mailprov "
                             "include:_netblocks3.bigmail.mailprov ~all",
    "_netblocks.bigmail.mailprov": "v=spf1 ip4:198.51.100.0/25 ip4:203.0.113.0/26 ~all",
    "_netblocks2.bigmail.mailprov": "v=spf1 ip6:2001:db8:100::/48 ~all",
    "_netblocks3.bigmail.mailprov": "v=spf1 ip4:198.51.100.128/26 ~all",
    # an office suite: one level, two blocks
    "spf.protection.office.mailprov": "v=spf1 include:spfa.office.mailprov "
                                      "include:spfb.office.mailprov -all",
    "spfa.office.mailprov": "v=spf1 ip4:203.0.113.64/26 -all",
    "spfb.office.mailprov": "v=spf1 ip6:2001:db8:200::/40 -all",
    # bulk senders: flat, or one include deep with an a host
    "sendgrid.mailprov": "v=spf1 ip4:203.0.113.128/25 ~all",
    "mailgun.mailprov": "v=spf1 include:_spf.mailgun.mailprov ~all",
    "_spf.mailgun.mailprov": "v=spf1 ip4:198.51.100.192/27 a:out.mailgun.mailprov ~all",
    "amazonses.mailprov": "v=spf1 ip4:198.51.100.224/28 -all",
    # a marketing suite with many lookups: two of it and one more are over 10
    "_spf.marketing.mailprov": "v=spf1 a:m1.marketing.mailprov a:m2.marketing.mailprov "
                               "a:m3.marketing.mailprov mx:marketing.mailprov "
                               "include:sendgrid.mailprov ~all",
    # a provider long gone: the name does not exist (include_missing)
    # "_spf.oldhost.mailprov" is never written
    # a provider whose record is broken (include_permerror)
    "_spf.brokenhost.mailprov": "v=spf1 ip4:198.51.100.300 ~all",
    # redirect targets: a hosting company's policy, strict and open
    "_spf.hosting.mailprov": "v=spf1 ip4:203.0.113.240/28 include:_spf.bigmail.mailprov -all",
    "_spf.openhost.mailprov": "v=spf1 ip4:203.0.113.250 ?all",
    # a careless small provider: its +all lets anyone pass for every domain including it
    "_spf.sloppy.mailprov": "v=spf1 ip4:203.0.113.251 +all",
}
PROVIDER_HOSTS = (("out.mailgun.mailprov", "A", "198.51.100.200"),
                  ("m1.marketing.mailprov", "A", "198.51.100.201"),
                  ("m2.marketing.mailprov", "A", "198.51.100.202"),
                  ("m3.marketing.mailprov", "A", "198.51.100.203"),
                  ("marketing.mailprov", "MX", "10 mx.marketing.mailprov."),
                  ("mx.marketing.mailprov", "A", "198.51.100.204"))
# (include, weight) for domains that use providers
PROVIDER_MIX = (("_spf.bigmail.mailprov", 40), ("spf.protection.office.mailprov", 30),
                ("sendgrid.mailprov", 10), ("mailgun.mailprov", 8), ("amazonses.mailprov", 6),
                ("_spf.marketing.mailprov", 5), ("_spf.oldhost.mailprov", 0.5),
                ("_spf.brokenhost.mailprov", 0.5), ("_spf.sloppy.mailprov", 0.5))
MX_PROVIDERS = (("aspmx.bigmail.mailprov", "alt1.aspmx.bigmail.mailprov"),
                ("%s.mail.protection.office.mailprov",), ("mx.mailgun.mailprov",))
# SPF records with syntax errors, and the codes dmarcscan gives them (docs/spf-grammar.md)
SPF_SYNTAX = {"v=spf1 ipv4:192.0.2.10 -all": ["unknown_mechanism"],
              "v=spf1 ip4:192.0.2.256 ~all": ["ip4_invalid"],
              "v=spf1 include:_spf.bigmail.mailprov ~all/0": ["unexpected_argument"]}
SPF_CATEGORIES = (("none", 30), ("fail", 25), ("softfail", 28), ("neutral", 5), ("pass", 1),
                  ("no_all", 1), ("redirect", 4), ("multiple", 1), ("syntax", 1.5),
                  ("too_many", 1), ("void", 0.5), ("ptr_macro", 2))


# ---------------------------------------------------------------- zone-file encoding

def txt_rdata(pieces):
    """Character-strings (bytes; longer ones cut at 255) as zone-file TXT rdata."""
    return " ".join(_quote(c) for p in pieces for c in chunks(p))


_SAFE = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7e]*")


def _quote(b):
    if _SAFE.fullmatch(b):  # fast path: printable ASCII without " and \\
        return '"%s"' % b.decode()
    out = ['"']
    for c in b:
        if c == 0x22 or c == 0x5C:
            out.append("\\" + chr(c))
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\%03d" % c)
    out.append('"')
    return "".join(out)


def chunks(b, size=255):
    """Split bytes into character-strings of at most size bytes (at least one)."""
    return [b[i:i + size] for i in range(0, len(b), size)] or [b""]


def as_text(b):
    """The JSON text a scanner must print for raw record bytes."""
    return b.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- record generators

def rua_list(rng, domain, scheme="rua"):
    uris = []
    for _ in range(rng.choice((1, 1, 1, 2))):
        if rng.random() < 0.5:
            uris.append("mailto:dmarc-%s@%s" % (scheme, domain))
        else:
            uris.append("mailto:%s-%d@%s" % (domain.split(".")[0], rng.randrange(1000),
                                             rng.choice(VENDORS)))
    return ",".join(uris)


def policy_record(rng, domain, p):
    tags = ["v=DMARC1", "p=" + p]
    if p == "quarantine" and rng.random() < 0.3:
        tags.append("pct=%d" % rng.choice((0, 10, 25, 50, 75, 90)))
    if rng.random() < 0.25:
        tags.append("sp=" + rng.choice(("none", "quarantine", "reject")))
    if rng.random() < 0.65:
        tags.append("rua=" + rua_list(rng, domain))
    if rng.random() < 0.1:
        tags.append("ruf=" + rua_list(rng, domain, "ruf"))
        if rng.random() < 0.5:
            tags.append("fo=" + rng.choice(("1", "0:1", "d:s")))
    if rng.random() < 0.15:
        tags.append("adkim=s")
    if rng.random() < 0.15:
        tags.append("aspf=" + rng.choice(("s", "r")))
    s = rng.choice(("; ", "; ", "; ", ";")).join(tags)
    if rng.random() < 0.2:
        s += ";"
    return s.encode()


def any_policy(rng, domain):
    return policy_record(rng, domain, rng.choice(("reject", "quarantine", "none", "none")))


def token(rng):
    return "%016x" % rng.getrandbits(64)


def nondmarc_txt(rng):
    t = rng.choice(NONDMARC)
    return (t % token(rng) if "%s" in t else t).encode()


def split_record(rng, rec):
    """Cut a record into 2-3 character-strings at random places."""
    cuts = sorted(rng.sample(range(1, len(rec)), min(len(rec) - 1, rng.choice((1, 1, 2)))))
    bounds = [0] + cuts + [len(rec)]
    return [rec[a:b] for a, b in zip(bounds, bounds[1:])]


def hostile_records(rng, domain):
    """Return (pieces, joined bytes) for one hostile record."""
    d = domain.encode()
    kind = rng.randrange(8)
    if kind == 0:
        rec = b'v=DMARC1; p=reject; rua=mailto:"dmarc"@' + d + b'; x=back\\slash\\'
    elif kind == 1:
        rec = b"v=DMARC1; p=none; rua=mailto:d@" + d + b"; x=\x80bin\xffary"
    elif kind == 2:
        rec = b"v=DMARC1; p=quarantine; x=tab\there\x01ctl\x7fdel\nnl\rcr"
    elif kind == 3:
        uris = ",".join("mailto:r%02d@reports%02d.%s" % (i, i, VENDORS[i % len(VENDORS)])
                        for i in range(18))
        rec = ("v=DMARC1; p=reject; rua=" + uris).encode()[:700]
    elif kind == 4:
        rec = "v=DMARC1; p=none; x=grüße €; rua=mailto:d@".encode() + d
    elif kind == 5:
        rec = b"v=DMARC1; p=none; x=nul\x00byte"
    elif kind == 6:
        rec = b'v=DMARC1; p=reject; x={"a":[1,2]}</script>\'; y=%s %%d \\u0041'
    else:
        rec = b"v=DMARC1; p=none; rua=mailto:d@" + d
        return [b"", rec, b""], rec
    return chunks(rec), rec


# ---------------------------------------------------------------- the world

def _cumulative(pairs):
    acc, out = 0.0, []
    for _, w in pairs:
        acc += w
        out.append(acc)
    return [c / acc for c in out]


class _Zones:
    """All zone files open at once (a CNAME may point into another zone)."""

    def __init__(self, zone_dir, serial, zone_names):
        self.files = {}
        for name in zone_names:
            f = open(os.path.join(zone_dir, name + ".zone"), "w", buffering=1 << 20)
            f.write("$ORIGIN %s.\n$TTL 3600\n" % name)
            f.write("@\tSOA\tns1.%s. hostmaster.%s. %d 7200 3600 1209600 300\n"
                    % (name, name, serial))
            f.write("@\tNS\tns1.%s.\nns1\tA\t127.0.0.1\n" % name)
            self.files[name] = f

    def write(self, zone, owner, rtype, rdata):
        self.files[zone].write("%s\t%s\t%s\n" % (owner, rtype, rdata))

    def close(self):
        for f in self.files.values():
            f.close()


def _domain_name(rng, idx):
    p, s = rng.choice(PREFIXES), rng.choice(SUFFIXES)
    form = rng.randrange(3)
    if form == 0:
        return "%s%s-%06d" % (p, s, idx)
    if form == 1:
        return "%s-%d%s" % (p, idx, s)
    return "x%d-%s%s" % (idx, p, s)


def _emit(rng, zones, cat, label, zone, domain, other_zone):
    """Write the zone data for one domain; return (exists, status, [record bytes])."""
    dm = "_dmarc." + label
    if cat == "nodomain":
        return False, "NXDOMAIN", []
    zones.write(zone, label, "A", "192.0.2.%d" % rng.randrange(1, 255))
    if cat == "nxdomain":
        return True, "NXDOMAIN", []
    if cat in ("reject", "quarantine", "none"):
        rec = policy_record(rng, domain, cat)
        zones.write(zone, dm, "TXT", txt_rdata([rec]))
        if rng.random() < 0.05:  # an unrelated TXT next to the policy
            zones.write(zone, dm, "TXT", txt_rdata([nondmarc_txt(rng) or b"x"]))
        return True, "NOERROR", [rec]
    if cat == "nondmarc":
        for t in dict.fromkeys(nondmarc_txt(rng) for _ in range(rng.choice((1, 2)))):
            zones.write(zone, dm, "TXT", txt_rdata([t]))
        return True, "NOERROR", []
    if cat == "multiple":
        recs = [any_policy(rng, domain), any_policy(rng, domain)]
        if recs[0] == recs[1]:  # identical RRs would be merged into one
            recs[1] += b";"
        for r in recs:
            zones.write(zone, dm, "TXT", txt_rdata([r]))
        return True, "NOERROR", recs
    if cat == "split":
        rec = any_policy(rng, domain)
        zones.write(zone, dm, "TXT", txt_rdata(split_record(rng, rec)))
        return True, "NOERROR", [rec]
    if cat == "invalid":
        t = rng.choice(INVALID)
        rec = (t % domain if "%s" in t else t).encode()
        zones.write(zone, dm, "TXT", txt_rdata([rec]))
        return True, "NOERROR", [rec]
    if cat == "hostile":
        pieces, rec = hostile_records(rng, domain)
        zones.write(zone, dm, "TXT", txt_rdata(pieces))
        return True, "NOERROR", [rec]
    rec = any_policy(rng, domain)
    if cat == "cname":
        target = "%s.%s" % (label, HOST)
        zones.write(zone, dm, "CNAME", target)
        zones.write(zone, target, "TXT", txt_rdata([rec]))
        return True, "NOERROR", [rec]
    if cat == "cname2":
        hop, target = "%s.alias.%s" % (label, HOST), "%s.%s" % (label, HOST)
        zones.write(zone, dm, "CNAME", hop)
        zones.write(zone, hop, "CNAME", target)
        zones.write(zone, target, "TXT", txt_rdata([rec]))
        return True, "NOERROR", [rec]
    if cat == "cname_xzone":
        target = "%s-%s.%s" % (label, zone, HOST)  # unique inside other_zone
        zones.write(zone, dm, "CNAME", "%s.%s." % (target, other_zone))
        zones.write(other_zone, target, "TXT", txt_rdata([rec]))
        return True, "NOERROR", [rec]
    if cat == "cname_dangling":
        zones.write(zone, dm, "CNAME", "%s.gone.%s" % (label, HOST))
        return True, "NXDOMAIN", []
    raise ValueError(cat)


def provider_data():
    """The mail providers' zone as dsspf data (also what generate() writes)."""
    d = dsspf.DnsData()
    d.add_zone(PROVIDER_ZONE)
    for name, text in PROVIDERS.items():
        d.add(name, "TXT", text.encode())
    for owner, rtype, rdata in PROVIDER_HOSTS:
        d.add(owner, rtype, rdata)
    return d


def _write_providers(zones, data):
    for owner, rrsets in data.zones[PROVIDER_ZONE].items():
        for rtype, rdatas in rrsets.items():
            for rd in rdatas:
                zones.write(PROVIDER_ZONE, owner + ".",
                            rtype, txt_rdata([rd]) if rtype == "TXT" else rd)


def _spf_record(rng, cat, domain, has_mx):
    """The SPF TXT strings a domain of SPF category cat publishes (bytes), and the names
    under the domain its terms need: [(relative owner, rtype, rdata)]."""
    names = []
    if cat == "none":
        return ([("google-site-verification=%s" % token(rng)).encode()]
                if rng.random() < 0.2 else []), names
    if cat == "multiple":
        return [b"v=spf1 mx -all", b"v=spf1 include:_spf.bigmail.mailprov ~all"], names
    if cat == "syntax":
        return [rng.choice(sorted(SPF_SYNTAX)).encode()], names
    if cat == "redirect":
        t = rng.choice(("_spf.hosting.mailprov",) * 7 + ("_spf.openhost.mailprov",) * 2
                       + ("_spf.oldhost.mailprov",))
        return [("v=spf1 redirect=" + t).encode()], names
    if cat == "too_many":
        return [b"v=spf1 a mx include:_spf.marketing.mailprov include:_spf.bigmail.mailprov "
                b"include:mailgun.mailprov ~all"], names
    if cat == "void":
        names.append(("mail", "A", "192.0.2.25"))
        return [("v=spf1 a:mail.%s a:old1.%s a:old2.%s a:old3.%s -all"
                 % ((domain,) * 4)).encode()], names
    terms = []
    if has_mx and rng.random() < 0.4:
        terms.append("mx")
    if rng.random() < 0.2:
        terms.append("a")
    if rng.random() < 0.3:
        terms.append("ip4:192.0.2.%d" % rng.randrange(1, 255))
    for inc in dict.fromkeys(weighted(rng, PROVIDER_MIX) for _ in range(rng.choice((0, 1, 1, 2)))):
        terms.append("include:" + inc)
    if cat == "ptr_macro":
        terms.append(rng.choice(("ptr", "exists:%{i}._spf." + domain, "a:%{d}")))
    if cat == "pass" and rng.random() < 0.5:
        terms = []
    qual = {"fail": "-all", "softfail": "~all", "neutral": "?all", "pass": "+all",
            "no_all": "", "ptr_macro": "-all"}[cat]
    return [" ".join(["v=spf1"] + terms + ([qual] if qual else [])).encode()], names


def weighted(rng, pairs):
    """One value of [(value, weight)], drawn from rng."""
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


_SPF_SYNTAX_BYTES = {k.encode(): v for k, v in SPF_SYNTAX.items()}
_SPF_CUM = _cumulative(SPF_CATEGORIES)


def _spf_mx(rng, zones, providers, cat, label, zone, domain):
    """Write the domain's SPF and MX; return (spf category, spf truth, mx truth)."""
    if cat == "nodomain":
        spf = dsspf.evaluate(domain, lambda n, q: ("NXDOMAIN", []))
        del spf["asked"]
        return "nxdomain", spf, {"status": "NXDOMAIN", "hosts": [], "null_mx": False}
    own = dsspf.DnsData()
    own.add_zone(domain)
    own.add(domain, "A", "192.0.2.1")  # _emit wrote one (the address does not matter)
    kind = rng.random()
    hosts = []
    if kind < 0.03:
        zones.write(zone, label, "MX", "0 .")
        own.add(domain, "MX", "0 .")
    elif kind < 0.68:
        if rng.random() < 0.6:
            mxs = rng.choice(MX_PROVIDERS)
            mxs = [h % label.replace(".", "-") if "%s" in h else h for h in mxs]
        else:
            mxs = ["mx%d.%s" % (i + 1, domain) for i in range(rng.choice((1, 2)))]
        for i, h in enumerate(mxs):
            pref = 10 * (i + 1) if len(mxs) > 1 or rng.random() < 0.8 else 0
            zones.write(zone, label, "MX", "%d %s." % (pref, h))
            own.add(domain, "MX", "%d %s." % (pref, h))
            hosts.append({"pref": pref, "host": h})
    mx = {"status": "NOERROR", "hosts": sorted(hosts, key=lambda h: (h["pref"], h["host"])),
          "null_mx": kind < 0.03}
    scat = SPF_CATEGORIES[bisect.bisect(_SPF_CUM, rng.random())][0]
    txts, names = _spf_record(rng, scat, domain, bool(hosts))
    for t in txts:
        zones.write(zone, label, "TXT", txt_rdata([t]))
        own.add(domain, "TXT", t)
    for rel, rtype, rdata in names:
        zones.write(zone, rel + "." + label, rtype, rdata)
        own.add(rel + "." + domain, rtype, rdata)

    def answer(name, qtype):
        if name == domain or name.endswith("." + domain):
            return own.answer(name, qtype)
        return providers.answer(name, qtype)

    spf = dsspf.evaluate(domain, answer, _SPF_SYNTAX_BYTES.get)
    del spf["asked"]
    return scat, spf, mx


# ---------------------------------------------------------------- MTA-STS, TLS-RPT, BIMI, DKIM

DKIM_SELECTORS = ("s1", "s2", "google")  # what the tests pass to --dkim-selectors


def _der(tag, content):
    n = len(content)
    if n < 128:
        head = bytes([n])
    else:
        k = (n.bit_length() + 7) // 8
        head = bytes([0x80 | k]) + n.to_bytes(k, "big")
    return bytes([tag]) + head + content


def rsa_spki(rng, bits):
    """A SubjectPublicKeyInfo with a random odd modulus of exactly bits bits (not a real
    key: only its length is read)."""
    n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
    rsapub = _der(0x30, _der(0x02, b"\0" + n.to_bytes(bits // 8, "big")) + _der(0x02, b"\1\0\1"))
    alg = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\5\0")
    return _der(0x30, alg + _der(0x03, b"\0" + rsapub))


def _b64(b):
    import base64
    return base64.b64encode(b).decode()


def _absent():
    return {"status": "NXDOMAIN", "records": [], "valid": None}


def _one_txt(zones, zone, owner, texts):
    for t in texts:
        zones.write(zone, owner, "TXT", txt_rdata([t.encode()]))


def _mta_sts(rng, zones, zone, label):
    kind = weighted(rng, (("none", 65), ("ok", 28), ("bad_id", 3), ("two", 2), ("no_id", 2)))
    if kind == "none":
        return dict(_absent(), id=None)
    ident = "".join(rng.choice("0123456789abcdefXYZ") for _ in range(rng.randint(1, 32)))
    rec = {"ok": "v=STSv1; id=%s;" % ident, "bad_id": "v=STSv1; id=%s-01" % ident,
           "two": "v=STSv1; id=%s" % ident, "no_id": "v=STSv1;"}[kind]
    recs = [rec, "v=STSv1; id=2"] if kind == "two" else [rec]
    other = ["google-site-verification=%s" % ident] if rng.random() < 0.2 else []
    _one_txt(zones, zone, "_mta-sts." + label, recs + other)
    return {"status": "NOERROR", "records": recs, "valid": kind == "ok",
            "id": ident if kind == "ok" else None}


def _tls_rpt(rng, zones, zone, label, domain):
    kind = weighted(rng, (("none", 65), ("ok", 28), ("http", 3), ("two", 2), ("no_rua", 2)))
    if kind == "none":
        return dict(_absent(), rua=[])
    uris = [weighted(rng, (("mailto:tlsrpt@%s" % domain, 6), ("https://tlsrpt.%s/v1" % domain, 2),
                           ("mailto:tls@reports.vendor-b.test", 2)))]
    if rng.random() < 0.2:
        uris.append("https://r.report-collector.example/tls")
    if kind == "http":
        uris = ["http://tlsrpt.%s/v1" % domain]
    rec = "v=TLSRPTv1; rua=" + ",".join(uris) if kind != "no_rua" else "v=TLSRPTv1;"
    recs = [rec, "v=TLSRPTv1; rua=mailto:x@%s" % domain] if kind == "two" else [rec]
    _one_txt(zones, zone, "_smtp._tls." + label, recs)
    return {"status": "NOERROR", "records": recs, "valid": kind == "ok",
            "rua": [] if kind in ("two", "no_rua") else uris}


def _bimi(rng, zones, zone, label, domain):
    kind = weighted(rng, (("none", 85), ("ok", 8), ("l_only", 3), ("declined", 2), ("http", 1),
                          ("two", 1)))
    if kind == "none":
        return dict(_absent(), l=None, a=None)
    logo, vmc = "https://%s/bimi/logo.svg" % domain, "https://%s/bimi/vmc.pem" % domain
    l, a = {"ok": (logo, vmc), "l_only": (logo, None), "declined": ("", ""),
            "http": ("http://%s/logo.svg" % domain, None), "two": (logo, None)}[kind]
    rec = "v=BIMI1; l=%s" % l + ("; a=%s" % a if a is not None else "") + ";"
    recs = [rec, "v=BIMI1; l=%s" % logo] if kind == "two" else [rec]
    _one_txt(zones, zone, "default._bimi." + label, recs)
    single = kind != "two"
    return {"status": "NOERROR", "records": recs, "valid": kind in ("ok", "l_only", "declined"),
            "l": l if single else None, "a": a if single else None}


def _dkim_key(rng):
    """(record text, truth of a selector holding it)."""
    kind = weighted(rng, (("rsa2048", 50), ("rsa1024", 20), ("rsa3072", 10), ("ed25519", 10),
                          ("revoked", 5), ("broken", 5)))
    if kind.startswith("rsa"):
        bits = int(kind[3:])
        return ("v=DKIM1; k=rsa; p=" + _b64(rsa_spki(rng, bits)),
                {"k": "rsa", "bits": bits, "revoked": False})
    if kind == "ed25519":
        return ("v=DKIM1; k=ed25519; p=" + _b64(bytes(rng.getrandbits(8) for _ in range(32))),
                {"k": "ed25519", "bits": 256, "revoked": False})
    if kind == "revoked":
        return "v=DKIM1; k=rsa; p=", {"k": "rsa", "bits": None, "revoked": True}
    return "v=DKIM1; p=!not-base64!", {"k": "rsa", "bits": None, "revoked": False}


def _dkim(rng, zones, zone, label):
    nx = {"status": "NXDOMAIN", "k": None, "bits": None, "revoked": None}
    kind = weighted(rng, (("none", 45), ("keys", 50), ("other", 5)))
    if kind == "none":
        return {"domainkey": "absent", "status": "NXDOMAIN",
                "selectors": [dict(nx, selector=s) for s in DKIM_SELECTORS]}
    sels = {}
    if kind == "other":
        text, _ = _dkim_key(rng)
        _one_txt(zones, zone, "x1._domainkey." + label, [text])
    else:
        text, truth = _dkim_key(rng)
        _one_txt(zones, zone, "s1._domainkey." + label, [text])
        sels["s1"] = truth
        if rng.random() < 0.3:
            text, truth = _dkim_key(rng)
            _one_txt(zones, zone, "s2._domainkey." + label, [text])
            sels["s2"] = truth
        if rng.random() < 0.15:  # a provider-style alias, resolved within the zone
            zones.write(zone, "google._domainkey." + label, "CNAME",
                        "s1._domainkey.%s.%s." % (label, zone))
            sels["google"] = sels["s1"]
    out = []
    for s in DKIM_SELECTORS:
        out.append(dict(sels[s], selector=s, status="NOERROR") if s in sels
                   else dict(nx, selector=s))
    return {"domainkey": "exists", "status": "NOERROR", "selectors": out}


def _mail_txt(rng, zones, cat, label, zone, domain):
    """Write the domain's MTA-STS, TLS-RPT, BIMI and DKIM names; return their truth."""
    if cat == "nodomain":  # nothing may exist under an absent domain
        return {"mta_sts": dict(_absent(), id=None), "tls_rpt": dict(_absent(), rua=[]),
                "bimi": dict(_absent(), l=None, a=None),
                "dkim": {"domainkey": "absent", "status": "NXDOMAIN",
                         "selectors": [{"selector": s, "status": "NXDOMAIN", "k": None,
                                        "bits": None, "revoked": None}
                                       for s in DKIM_SELECTORS]}}
    return {"mta_sts": _mta_sts(rng, zones, zone, label),
            "tls_rpt": _tls_rpt(rng, zones, zone, label, domain),
            "bimi": _bimi(rng, zones, zone, label, domain),
            "dkim": _dkim(rng, zones, zone, label)}


def mail_txt_diffs(result, expected):
    """How a line's mta_sts, tls_rpt, bimi and dkim objects differ from the truth (the
    fields the truth names; dkim selectors by their fields), as strings; [] when equal."""
    out = []
    for key in ("mta_sts", "tls_rpt", "bimi"):
        got, want = result.get(key), expected[key]
        if not isinstance(got, dict):
            out.append("%s: %r" % (key, got))
            continue
        for f, v in want.items():
            g = got.get(f)
            if f == "records" and isinstance(g, list):  # an RRset has no order
                g, v = sorted(g), sorted(v)
            if g != v:
                out.append("%s.%s: %r, want %r" % (key, f, g, v))
    got, want = result.get("dkim"), expected["dkim"]
    if not isinstance(got, dict):
        return out + ["dkim: %r" % (got,)]
    for f in ("domainkey", "status"):
        if got.get(f) != want[f]:
            out.append("dkim.%s: %r, want %r" % (f, got.get(f), want[f]))
    sels = [{k: s.get(k) for k in ("selector", "status", "k", "bits", "revoked")}
            for s in got.get("selectors") or []]
    if sels != want["selectors"]:
        out.append("dkim.selectors: %r, want %r" % (sels, want["selectors"]))
    return out


def spf_matches(result, expected):
    """True when a line's spf object equals the truth (spf_diffs() says how it differs)."""
    return not dsspf.spf_diffs(result.get("spf"), expected["spf"])


def mx_matches(result, expected):
    m = result.get("mx")
    return isinstance(m, dict) and {k: m.get(k) for k in ("status", "hosts", "null_mx")} \
        == expected["mx"]


def names_from_file(path):
    """Registrable two-label names (lower case, first CSV column, no duplicates) of a list."""
    out = {}
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            name = line.split(",", 1)[0].strip().lower().rstrip(".")
            labels = name.split(".")
            if len(labels) == 2 and all(_LABEL.fullmatch(x) for x in labels) \
                    and labels[0] not in (HOST, "ns1"):
                out[name] = True
    return list(out)


_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def _names_digest(names):
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16] if names else None


def generate(out_dir, seed, count, names=None, mail_txt=False):
    """Write the world into out_dir (see module contract); return the manifest dict."""
    if names:
        names = list(names[:count])
        count = len(names)
    zone_dir = os.path.join(out_dir, "zones")
    os.makedirs(zone_dir, exist_ok=True)
    manifest_path = os.path.join(out_dir, "world.json")
    if os.path.exists(manifest_path):
        os.unlink(manifest_path)
    for f in os.listdir(zone_dir):
        if f.endswith(".zone"):
            os.unlink(os.path.join(zone_dir, f))
    rng = random.Random(seed)
    order = list(range(1, count + 1))
    rng.shuffle(order)
    zone_names = sorted({n.rsplit(".", 1)[1] for n in names}) if names \
        else [z for z, _ in ZONES]
    srng = random.Random("spf-mx %d" % seed)  # SPF and MX: a stream of their own
    mrng = random.Random("mail-txt %d" % seed)  # MTA-STS, TLS-RPT, BIMI, DKIM: another
    providers = provider_data()
    zone_cum = _cumulative(ZONES)
    cat_names = [c for c, _ in CATEGORIES]
    cat_cum = _cumulative(CATEGORIES)
    counts = dict.fromkeys(cat_names, 0)
    zones = _Zones(zone_dir, seed % 1000000 + 1, zone_names + [PROVIDER_ZONE])
    _write_providers(zones, providers)
    spf_counts = dict.fromkeys([c for c, _ in SPF_CATEGORIES] + ["nxdomain"], 0)

    def path(name):
        return os.path.join(out_dir, name)

    with open(path("domains.txt"), "w", buffering=1 << 20) as dom, \
            open(path("ranked.csv"), "w", buffering=1 << 20) as ranked, \
            open(path("truth.ndjson"), "w", buffering=1 << 20) as truth:
        for k, idx in enumerate(order):
            if k < len(cat_names):  # every category at least once
                cat = cat_names[k]
            else:
                cat = cat_names[bisect.bisect(cat_cum, rng.random())]
            if names:
                domain = names[k]
                label, zone = domain.rsplit(".", 1)
                zi = zone_names.index(zone)
            else:
                zi = bisect.bisect(zone_cum, rng.random())
                zone = zone_names[zi]
                label = _domain_name(rng, idx)
                domain = label + "." + zone
            other_zone = zone_names[(zi + 1) % len(zone_names)]
            exists, status, recs = _emit(rng, zones, cat, label, zone, domain, other_zone)
            scat, spf, mx = _spf_mx(srng, zones, providers, cat, label, zone, domain)
            mail = _mail_txt(mrng, zones, cat, label, zone, domain) if mail_txt else {}
            counts[cat] += 1
            spf_counts[scat] += 1
            line = k + 1
            dom.write(domain + "\n")
            ranked.write("%d,%s\n" % (line, domain))
            truth.write(json.dumps({
                "domain": domain, "line": line, "rank": line, "zone": zone,
                "category": cat, "exists": exists,
                "dmarc": {"status": status, "records": [as_text(r) for r in recs]},
                "spf_category": scat, "spf": spf, "mx": mx, **mail,
            }) + "\n")
    zones.close()
    manifest = {"generator": "dsworld", "version": VERSION, "seed": seed, "count": count,
                "zones": zone_names + [PROVIDER_ZONE], "categories": counts,
                "spf_categories": spf_counts, "names": _names_digest(names),
                "mail_txt": mail_txt}
    with open(manifest_path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(manifest_path + ".tmp", manifest_path)
    return manifest


def read_manifest(out_dir):
    """The manifest of a complete world in out_dir, or None."""
    try:
        with open(os.path.join(out_dir, "world.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def dnsperf_queries(out_dir):
    """Path of the world's dnsperf query file ("_dmarc.<domain> TXT" per domain, in the
    order of domains.txt), written on first use; the benches share it."""
    qfile = os.path.join(out_dir, "dnsperf.txt")
    if not os.path.exists(qfile):
        with open(os.path.join(out_dir, "domains.txt")) as src, \
                open(qfile + ".tmp", "w") as dst:
            for d in src:
                dst.write("_dmarc.%s TXT\n" % d.strip())
        os.rename(qfile + ".tmp", qfile)
    return qfile


def is_current(out_dir, seed, count, names=None, mail_txt=False):
    m = read_manifest(out_dir)
    if names:
        names = names[:count]
        count = len(names)
    return bool(m) and m.get("version") == VERSION and m.get("seed") == seed \
        and m.get("count") == count and m.get("names") == _names_digest(names) \
        and m.get("mail_txt", False) == mail_txt


def load_truth(out_dir):
    """{domain: truth dict} of a world."""
    truth = {}
    with open(os.path.join(out_dir, "truth.ndjson")) as f:
        for line in f:
            t = json.loads(line)
            truth[t["domain"]] = t
    return truth


def dmarc_texts(txts):
    """The DMARC records among raw TXT rdata (joined bytes), as scanner output text."""
    return [as_text(t) for t in txts if t.startswith(b"v=DMARC1")]


def dmarc_matches(result, expected):
    """True when a scanner output line's dmarc status and records equal the truth."""
    d = result.get("dmarc") or {}
    recs = d.get("records")
    return (d.get("status") == expected["dmarc"]["status"] and isinstance(recs, list)
            and sorted(recs) == sorted(expected["dmarc"]["records"]))
