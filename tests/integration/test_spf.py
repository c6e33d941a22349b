#!/usr/bin/python3
# test_spf.py -- integration test: the spf check (and the shared answer cache) against a real
# Knot (scripts/dsauth.py) serving generated zones, every domain's spf object checked against
# an independent reference (scripts/dsspf.py) computed from the same data.
#
# Usage: test_spf.py [DMARCSCAN [REPO]]   (or env DMARCSCAN; REPO defaults to ../..)
# ctest passes $<TARGET_FILE:dmarcscan> and the source dir. Only 127.0.0.1 is contacted:
# the scanner always gets -r 127.0.0.1:PORT. Prints "N passed, M failed"; exit 1 on failure.
#
# Cases: provider include trees up to six levels deep, shared by random domains; ONE include
# (_spf.zshared, itself including a second zone and naming an a host) shared by 1,000
# domains, whose queries Knot counts (mod-stats on its zones): each name must reach the
# server once per scan, and so must every provider name (zone zprov) and an include too big
# for UDP (once over UDP, truncated, once over TCP); includes that are CNAMEs (in a zone,
# across zones, chained, dangling); include and redirect
# loops; missing includes (NXDOMAIN, no TXT, TXT that is not SPF); redirect chains and
# redirect by macro; 10 and 11 lookups; 2 and 3 void lookups; more than 10 MX names; macros;
# an included +all (include_pass_all: permissive), through a redirect, and as -include;
# policies opened by a mechanism (ip4/ip6 /0, ?ip4 /0, a/0 and exists with and without an
# address, through includes and redirects, mx/0 not judged; spoofable under p=reject);
# ptr; +all, ?all, no all; several records; syntax errors; SERVFAIL on the domain's own TXT
# only (its _dmarc name answers) and at an include; REFUSED at an include; a non-existent
# apex; a null MX; records over the old caps, each kept whole (30 warnings, 20 errors, 40
# records at one name, a 612-byte redirect, 20 tree warnings). Three scans with --checks dmarc,spf: plain output, --0x20, and zstd
# output; a fourth with the default checks (dmarc,spf,mx) checks every mx object too
# (status, hosts, null_mx), the null MX and the non-existent apex.

import collections
import json
import os
import random
import re
import sys
import tempfile
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261202
N_SHARED = 1000
N_RANDOM = 1500
DONE_RE = re.compile(r"^done: (\d+) domains")
SHARED_ZONES = ("zshared", "zshared2", "zbig")
STATS_ZONES = SHARED_ZONES + ("zprov",)
C = itlib.Checks()

# ---------------------------------------------------------------- the providers (zone zprov)

# name -> TXT records (str), plus the a/mx names they need: (owner, rtype, rdata)
PROVIDERS = {
    # a tree three levels deep with an a host
    "_spf.mailco.zprov": ["v=spf1 include:_n1.mailco.zprov include:_n2.mailco.zprov ~all"],
    "_n1.mailco.zprov": ["v=spf1 ip4:198.51.100.0/24 include:_n3.mailco.zprov -all"],
    "_n2.mailco.zprov": ["v=spf1 a:out.mailco.zprov -all"],
    "_n3.mailco.zprov": ["v=spf1 ip6:2001:db8:1::/48 ip4:203.0.113.0/25 -all"],
    # a chain six levels deep (counting the domain's include)
    "_l1.deep.zprov": ["v=spf1 include:_l2.deep.zprov -all"],
    "_l2.deep.zprov": ["v=spf1 ip4:198.51.100.2 include:_l3.deep.zprov -all"],
    "_l3.deep.zprov": ["v=spf1 include:_l4.deep.zprov ~all"],
    "_l4.deep.zprov": ["v=spf1 include:_l5.deep.zprov ?all"],
    "_l5.deep.zprov": ["v=spf1 include:_l6.deep.zprov -all"],
    "_l6.deep.zprov": ["v=spf1 ip4:198.51.100.6 -all"],
    # seven a hosts: a domain with it and three more lookups is over 10
    "spf.bulk.zprov": ["v=spf1 " + " ".join("a:h%d.bulk.zprov" % i for i in range(1, 8))
                       + " ~all"],
    # three void names: the third is over the limit
    "_spf.voidy.zprov": ["v=spf1 a:nx1.voidy.zprov a:nx2.voidy.zprov mx:nomx.voidy.zprov ~all"],
    # two void names: fine alone, over the limit with one more
    "_spf.twovoid.zprov": ["v=spf1 a:nx1.twovoid.zprov exists:nx2.twovoid.zprov -all"],
    # a loop between two providers
    "_spf.loop1.zprov": ["v=spf1 include:_spf.loop2.zprov -all"],
    "_spf.loop2.zprov": ["v=spf1 ip4:198.51.100.9 include:_spf.loop1.zprov -all"],
    # missing includes below: NXDOMAIN, and a name holding a TXT that is not SPF
    "_spf.missing.zprov": ["v=spf1 include:_gone.missing.zprov -all"],
    "_spf.notspf.zprov": ["google-site-verification=0123456789abcdef"],
    # records that are permerrors themselves
    "_spf.broken.zprov": ["v=spf1 ip4:192.0.2 -all"],
    "_spf.twice.zprov": ["v=spf1 ip4:192.0.2.1 -all", "v=spf1 ip4:192.0.2.2 -all"],
    # macros and ptr: counted, never asked; their warnings name the include
    "_spf.macro.zprov": ["v=spf1 exists:%{i}._ip.macro.zprov ptr -all"],
    # mx names: two exchanges, and eleven (over the MX-names limit)
    "_spf.mxy.zprov": ["v=spf1 mx:mail.mxy.zprov -all"],
    "_spf.manymx.zprov": ["v=spf1 mx:big.manymx.zprov -all"],
    # a redirect inside an include (never the domain's effective all)
    "_spf.redir.zprov": ["v=spf1 redirect=_spf.mailco.zprov"],
    # an include into a zone that does not load (SERVFAIL), and into no zone (REFUSED)
    "_spf.srvfail.zprov": ["v=spf1 include:_spf.zbroken -all"],
    "_spf.refused.zprov": ["v=spf1 include:_spf.zunserved -all"],
    # redirect targets: strict, open (+all), no all, and a chain of redirects
    "_spf.strict.zprov": ["v=spf1 ip4:198.51.100.0/24 -all"],
    "_spf.open.zprov": ["v=spf1 ip4:198.51.100.0/24 +all"],
    "_spf.noall.zprov": ["v=spf1 ip4:198.51.100.0/24"],
    "_spf.neutral.zprov": ["v=spf1 a:out.mailco.zprov ?all"],
    "_spf.redir2.zprov": ["v=spf1 ip4:198.51.100.7 redirect=_spf.strict.zprov"],
    # +all at the end of an include: everyone passes (include_pass_all), also via redirect
    "_spf.passall.zprov": ["v=spf1 ip4:198.51.100.8 +all"],
    "_spf.passvia.zprov": ["v=spf1 redirect=_spf.passall.zprov"],
    # a /0 that passes (or is neutral for) every IPv4 client, whatever the all says
    "_spf.open4.zprov": ["v=spf1 +ip4:0.0.0.0/0 -all"],
    "_spf.neutral4.zprov": ["v=spf1 ?ip4:0.0.0.0/0 -all"],
}
# ten includes that each pass everyone: twenty tree warnings for the domain naming them all
PROVIDERS.update({"_spf.o%d.zprov" % k: ["v=spf1 ip4:0.0.0.0/0 +all"] for k in range(10)})
# aliases: include targets that are CNAMEs (in the zone, across zones, dangling, chained)
PROVIDER_ALIASES = (("alias.zprov", "_spf.mailco.zprov."), ("xalias.zprov", "_spf.zalias."),
                    ("dangling.zprov", "gone.zprov."), ("chain1.zprov", "chain2.zprov."),
                    ("chain2.zprov", "_spf.strict.zprov."))
# an include whose answer (~1,800 bytes) is truncated over UDP and asked again over TCP
ALIASES = {n for n, _ in PROVIDER_ALIASES}  # names that own a CNAME
BIG_INCLUDE = "v=spf1 " + " ".join("ip4:198.51.%d.%d" % (100 + k // 250, k % 250)
                                   for k in range(96)) + " ~all"
PROVIDER_NAMES = [
    ("out.mailco.zprov", "A", "198.51.100.25"),
    ("nomx.voidy.zprov", "A", "198.51.100.26"),
    ("mail.mxy.zprov", "MX", "10 mx1.mxy.zprov."),
    ("mail.mxy.zprov", "MX", "20 mx2.mxy.zprov."),
] + [("h%d.bulk.zprov" % i, "A", "198.51.100.%d" % (30 + i)) for i in range(1, 8)] \
  + [("big.manymx.zprov", "MX", "%d mx%d.manymx.zprov." % (i, i)) for i in range(11)]
# include targets a random domain may use, and their weights
INCLUDE_MIX = (("_spf.mailco.zprov", 30), ("alias.zprov", 3), ("_spf.zbig", 3),
               ("_l1.deep.zprov", 10), ("spf.bulk.zprov", 4),
               ("_spf.voidy.zprov", 2), ("_spf.twovoid.zprov", 4), ("_spf.loop1.zprov", 2),
               ("_spf.missing.zprov", 2), ("_spf.notspf.zprov", 2), ("_spf.broken.zprov", 2),
               ("_spf.twice.zprov", 2), ("_spf.macro.zprov", 3), ("_spf.mxy.zprov", 5),
               ("_spf.manymx.zprov", 1), ("_spf.redir.zprov", 4), ("_spf.srvfail.zprov", 1),
               ("_spf.refused.zprov", 0.5), ("_spf.passall.zprov", 1))
REDIRECT_MIX = ("_spf.mailco.zprov", "_spf.strict.zprov", "_spf.open.zprov",
                "_spf.noall.zprov", "_spf.neutral.zprov", "_spf.redir2.zprov")

# Records with syntax errors: their codes (docs/spf-grammar.md), not read by dsspf.
# no caps (the line once kept 16 record errors and warnings, 12 tree issues, 32 records, a
# redirect of 320 bytes): records over them, each kept whole by the spf check
HUGE_RECORD = "v=spf1 " + " ".join(
    "ip4:198.51.%d.%d" % (k // 200, k % 200) if k % 6 else "m%d=v" % k for k in range(180)) \
    + " -all"
MANY_ERRORS = "v=spf1 " + " ".join("bad%d" % k for k in range(20)) + " -all"
LONG_REDIRECT = "v=spf1 ip4:192.0.2.1 redirect=%{d}." + "".join(
    "l%02d." % k for k in range(150)) + "example"

SYNTAX = {
    "v=spf1 ipv4:192.0.2.1 -all": ["unknown_mechanism"],
    "v=spf1 ip4:192.0.2.300 -all": ["ip4_invalid"],
    "v=spf1 include -all": ["missing_argument"],
    "v=spf1 a:192.0.2.1 -all": ["domain_spec_invalid"],
    "v=spf1 mx -all/24": ["unexpected_argument"],
    "v=spf1 ip6:2001:db8::1::2 ~all": ["ip6_invalid"],
}

# ---------------------------------------------------------------- the world


class World:
    def __init__(self):
        self.data = dsspf.DnsData()
        self.domains = []   # (domain, category) in input order
        self.dmarc = {}     # domain -> DMARC record text, when it has one
        self.mx = {}        # domain -> mx truth {"status", "hosts", "null_mx"}
        for z in ("zshared", "zshared2", "zbig", "zprov", "zalias", "zspf", "zsh1k", "zfail"):
            self.data.add_zone(z)
        self.data.add_zone("zbroken", broken=True)

    def txt(self, owner, text):
        self.data.add(owner, "TXT", text.encode() if isinstance(text, str) else text)

    def domain(self, name, category, spf=None, a=False, mx=None, extra_txt=()):
        """A scanned domain: its SPF record(s), A, MX ([(pref, host)], "null" or None)."""
        self.domains.append((name, category))
        for t in ([spf] if isinstance(spf, (str, bytes)) else spf or []):
            self.txt(name, t)
        for t in extra_txt:
            self.txt(name, t)
        if a:
            self.data.add(name, "A", "192.0.2.%d" % (len(self.domains) % 250 + 1))
        hosts = []
        if mx == "null":
            self.data.add(name, "MX", "0 .")
        elif mx:
            for pref, host in mx:
                self.data.add(name, "MX", "%d %s." % (pref, host))
            hosts = sorted(({"pref": p, "host": h} for p, h in mx),
                           key=lambda x: (x["pref"], x["host"]))
        if not (spf or a or mx or extra_txt):  # keep the name existing (NODATA)
            self.data.add(name, "AAAA", "2001:db8::1")
        self.mx[name] = {"status": "NOERROR", "hosts": hosts, "null_mx": mx == "null"}


def build_world(rng):
    w = World()
    for name, recs in PROVIDERS.items():
        for r in recs:
            w.txt(name, r)
    for owner, rtype, rdata in PROVIDER_NAMES:
        w.data.add(owner, rtype, rdata)
    for owner, target in PROVIDER_ALIASES:
        w.data.add(owner, "CNAME", target)
    w.txt("_spf.zalias", "v=spf1 ip4:198.51.100.77 -all")
    w.txt("_spf.zbig", BIG_INCLUDE.encode())
    # the include 1,000 domains share, and what it names
    w.txt("_spf.zshared", "v=spf1 ip4:198.51.100.0/24 include:_nb.zshared2 "
                          "a:relay.zshared ~all")
    w.data.add("relay.zshared", "A", "198.51.100.50")
    w.txt("_nb.zshared2", "v=spf1 ip4:203.0.113.0/24 ip6:2001:db8:2::/48 -all")
    for i in range(N_SHARED):
        name = "s%04d.zsh1k" % i
        own = rng.choice(("", "", "mx ", "ip4:192.0.2.%d " % (i % 250 + 1)))
        q = rng.choice(("-", "-", "~"))
        w.domain(name, "shared_1000", "v=spf1 %sinclude:_spf.zshared %sall" % (own, q),
                 mx=[(10, "mx.%s" % name)] if own == "mx " else None)
    explicit_cases(w)
    for i in range(N_RANDOM):
        random_domain(w, rng, i)
    return w


def explicit_cases(w):
    d = w.domain
    bulk = "include:spf.bulk.zprov"  # 8 lookups
    d("ten.zspf", "ten_lookups", "v=spf1 %s a mx -all" % bulk, a=True, mx=[(10, "mx.ten.zspf")])
    d("eleven.zspf", "eleven_lookups", "v=spf1 a %s a mx -all" % bulk, a=True,
      mx=[(10, "mx.eleven.zspf")])
    d("toomany.zspf", "too_many", "v=spf1 a:x1.toomany.zspf a:x2.toomany.zspf a:x3.toomany.zspf "
      "a:x4.toomany.zspf %s -all" % bulk)
    for k in range(1, 5):
        w.data.add("x%d.toomany.zspf" % k, "A", "192.0.2.%d" % k)
    d("void2.zspf", "void2", "v=spf1 a:gone1.void2.zspf mx:gone2.void2.zspf ~all")
    d("void3.zspf", "void3", "v=spf1 a:gone1.void3.zspf a:gone2.void3.zspf "
      "exists:gone3.void3.zspf a:never.void3.zspf -all")
    d("voidinc.zspf", "void3", "v=spf1 a:gone.voidinc.zspf include:_spf.twovoid.zprov -all")
    d("plusall.zspf", "plus_all", "v=spf1 +all")
    d("incpassall.zspf", "include_pass_all", "v=spf1 include:_spf.passall.zprov -all")
    d("incpassvia.zspf", "include_pass_all", "v=spf1 ip4:192.0.2.1 +include:_spf.mailco.zprov "
      "include:_spf.passvia.zprov ~all")
    d("incpassminus.zspf", "include_pass_all", "v=spf1 -include:_spf.passall.zprov ~all")
    d("incpassdeep.zspf", "include_pass_all", "v=spf1 ~include:_spf.redir.zprov "
      "include:_spf.passvia.zprov -all")
    # a mechanism matching every client opens the policy without +all (pass_all_mechanism)
    d("open4.zspf", "open_mechanism", "v=spf1 +ip4:0.0.0.0/0 -all")
    d("open6.zspf", "open_mechanism", "v=spf1 ip4:192.0.2.1 ip6:::/0 ~all")
    d("neutral4.zspf", "open_mechanism", "v=spf1 ?ip4:0.0.0.0/0 -all")
    d("closed4.zspf", "open_mechanism", "v=spf1 -ip4:0.0.0.0/0 ~ip6:::/0 -all")
    d("incopen4.zspf", "open_mechanism", "v=spf1 include:_spf.mailco.zprov "
      "include:_spf.open4.zprov -all")
    d("incopen4minus.zspf", "open_mechanism", "v=spf1 ~include:_spf.open4.zprov -all")
    d("incneutral4.zspf", "open_mechanism", "v=spf1 include:_spf.neutral4.zprov -all")
    d("redneutral4.zspf", "open_mechanism", "v=spf1 redirect=_spf.neutral4.zprov")
    d("aopen.zspf", "open_mechanism", "v=spf1 a:out.mailco.zprov/0 -all")
    d("aselfopen.zspf", "open_mechanism", "v=spf1 a/0 -all", a=True)
    d("anoaddr.zspf", "open_mechanism", "v=spf1 a:mail.mxy.zprov/0 a:gone.anoaddr.zspf/0 -all")
    d("existsopen.zspf", "open_mechanism", "v=spf1 exists:out.mailco.zprov -all")
    d("existsnot.zspf", "open_mechanism", "v=spf1 exists:gone.existsnot.zspf -all")
    d("mxopen.zspf", "open_mechanism", "v=spf1 mx:mail.mxy.zprov/0 -all")
    for name in ("open4.zspf", "closed4.zspf", "existsopen.zspf"):  # DMARC would protect them
        w.dmarc[name] = "v=DMARC1; p=reject"
        w.txt("_dmarc." + name, w.dmarc[name])
    d("qall.zspf", "neutral_all", "v=spf1 ip4:192.0.2.1 ?all")
    d("noall.zspf", "no_all", "v=spf1 ip4:192.0.2.1")
    d("afterall.zspf", "after_all", "v=spf1 -all a mx ptr", a=True)
    d("ignored.zspf", "redirect_ignored", "v=spf1 ~all redirect=_spf.open.zprov")
    d("unknownmod.zspf", "unknown_modifier", "v=spf1 foo=bar ip4:192.0.2.1 exp=explain.zspf -all")
    d("macro.zspf", "macro", "v=spf1 exists:%{i}._spf.macro.zspf include:%{d1r}.zspf -all")
    d("macroredir.zspf", "macro_redirect", "v=spf1 ip4:192.0.2.1 redirect=%{d}._r.zspf")
    d("ptr.zspf", "ptr", "v=spf1 ptr -all")
    d("deep6.zspf", "deep", "v=spf1 include:_l1.deep.zprov include:_spf.mailco.zprov -all")
    d("redirchain.zspf", "redirect", "v=spf1 redirect=_spf.redir2.zprov")
    d("selfloop.zspf", "loop", "v=spf1 include:selfloop.zspf -all")
    d("redirloop.zspf", "loop", "v=spf1 redirect=redirloop2.zspf")
    d("redirloop2.zspf", "loop", "v=spf1 ip4:192.0.2.2 redirect=redirloop.zspf")
    d("provloop.zspf", "loop", "v=spf1 include:_spf.loop1.zprov -all")
    # an earlier term's error comes first: the loop is met after it, where a receiver is
    d("loopafter.zspf", "loop", "v=spf1 include:nothere.zprov include:loopafter.zspf -all")
    d("loopafter2.zspf", "loop", "v=spf1 include:_spf.mailco.zprov include:loopafter2.zspf "
      "-all")
    d("incmissing.zspf", "include_missing", "v=spf1 include:nothere.zprov -all")
    d("incnotspf.zspf", "include_missing", "v=spf1 include:_spf.notspf.zprov -all")
    d("incnodata.zspf", "include_missing", "v=spf1 include:out.mailco.zprov -all")
    d("redirmissing.zspf", "redirect_missing", "v=spf1 redirect=nothere.zprov")
    d("incbroken.zspf", "include_permerror", "v=spf1 include:_spf.broken.zprov -all")
    d("inctwice.zspf", "include_permerror", "v=spf1 include:_spf.twice.zprov -all")
    d("manymx.zspf", "too_many_mx", "v=spf1 include:_spf.manymx.zprov -all")
    d("multi.zspf", "multiple_records", ["v=spf1 -all", "v=spf1 ~all"])
    d("nospf.zspf", "none", None, a=True, extra_txt=["v=spf10 -all", "MS=ms12345"])
    d("notxt.zspf", "none", None, a=True, mx=[(5, "mx.notxt.zspf")])
    d("incfail.zspf", "include_servfail", "v=spf1 include:_spf.zbroken -all")
    d("increfused.zspf", "include_refused", "v=spf1 include:_spf.zunserved -all")
    d("nullmx.zspf", "null_mx", "v=spf1 -all", mx="null")
    d("cnameinc.zspf", "cname", "v=spf1 include:alias.zprov -all")
    d("cnamexzone.zspf", "cname", "v=spf1 include:xalias.zprov -all")
    d("cnamedangling.zspf", "cname", "v=spf1 include:dangling.zprov -all")
    d("cnamechain.zspf", "cname", "v=spf1 redirect=chain1.zprov")
    w.data.add("hostalias.zspf", "CNAME", "mail.cnamea.zspf.")
    ALIASES.add("hostalias.zspf")
    w.data.add("mail.cnamea.zspf", "A", "192.0.2.99")
    d("cnamea.zspf", "cname", "v=spf1 a:hostalias.zspf mx:hostalias.zspf ~all")
    d("bigincl.zspf", "tcp", "v=spf1 include:_spf.zbig -all")
    d("hugerec.zspf", "no_caps", HUGE_RECORD)
    d("manyerrors.zspf", "no_caps", MANY_ERRORS)
    d("manyrecs.zspf", "no_caps", ["v=spf1 ip4:192.0.2.%d -all" % k for k in range(40)])
    d("longredirect.zspf", "no_caps", LONG_REDIRECT)
    d("manywarn.zspf", "no_caps", "v=spf1 " + " ".join(
        "include:_spf.o%d.zprov" % k for k in range(10)) + " -all")
    d("long.zspf", "long_record", "v=spf1 " + " ".join(
        "ip4:198.51.%d.%d" % (k // 200, k % 200) for k in range(30)) + " -all")
    w.domains.append(("gone.zspf", "nonexistent_apex"))
    w.mx["gone.zspf"] = {"status": "NXDOMAIN", "hosts": [], "null_mx": False}
    for rec, codes in SYNTAX.items():
        d("syntax%d.zspf" % len([x for x in w.domains if x[1] == "syntax"]), "syntax", rec)
    # SERVFAIL on the domain's own TXT only: the domain is the apex of a zone that does not
    # load, its _dmarc name the apex of one that does.
    for label, p in (("sfreject", "reject"), ("sfnone", "none")):
        name = label + ".zfail"
        w.data.add_zone(name, broken=True)
        w.data.add_zone("_dmarc." + name)
        w.dmarc[name] = "v=DMARC1; p=%s" % p
        w.txt("_dmarc." + name, w.dmarc[name])
        w.domains.append((name, "servfail_" + p))
        w.mx[name] = {"status": "SERVFAIL", "hosts": [], "null_mx": None}


def random_domain(w, rng, i):
    name = "d%04d.zspf" % i
    has_a = rng.random() < 0.7
    mx = dsworld.weighted(rng, (("hosts", 60), ("null", 5), ("none", 35)))
    mx = None if mx == "none" else "null" if mx == "null" else \
        [(10 * (k + 1), "mx%d.%s" % (k, name)) for k in range(rng.choice((1, 1, 2, 3)))]
    cat = dsworld.weighted(rng, (("spf", 80), ("redirect", 7), ("none", 4), ("nonspf", 3),
                         ("multiple", 2), ("syntax", 2), ("redirect_domain", 2)))
    if cat == "none":
        return w.domain(name, "random_none", None, a=has_a, mx=mx)
    if cat == "nonspf":
        return w.domain(name, "random_none", None, a=has_a, mx=mx,
                        extra_txt=["google-site-verification=%08x" % rng.getrandbits(32)])
    if cat == "multiple":
        return w.domain(name, "random_multiple", ["v=spf1 mx -all", "v=spf1 a ~all"],
                        a=has_a, mx=mx)
    if cat == "syntax":
        return w.domain(name, "random_syntax", rng.choice(sorted(SYNTAX)), a=has_a, mx=mx)
    terms = []
    for _ in range(rng.choice((0, 1, 1, 2, 3))):
        kind = dsworld.weighted(rng, (("ip4", 30), ("a", 15), ("mx", 15), ("a_host", 10),
                              ("a_void", 5), ("exists", 5), ("ptr", 1), ("macro", 2),
                              ("ip6", 10)))
        if kind == "ip4":
            terms.append("ip4:192.0.2.%d%s" % (rng.randrange(1, 255),
                                                rng.choice(("", "/32", "/28"))))
        elif kind == "ip6":
            terms.append("ip6:2001:db8:%x::/48" % rng.randrange(65536))
        elif kind in ("a", "mx"):
            terms.append(kind + rng.choice(("", "", "/24")))
        elif kind == "a_host":
            host = "mail.%s" % name
            if host not in w.data.zones["zspf"]:
                w.data.add(host, "A", "192.0.2.200")
            terms.append("a:" + host)
        elif kind == "a_void":
            terms.append("a:nx%d.%s" % (rng.randrange(3), name))
        elif kind == "exists":
            terms.append("exists:chk.%s" % name)
            if rng.random() < 0.5 and "chk." + name not in w.data.zones["zspf"]:
                w.data.add("chk." + name, "A", "127.0.0.2")
        elif kind == "ptr":
            terms.append("ptr")
        else:
            terms.append("exists:%{i}._spf." + name)
    for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
        terms.append("include:" + dsworld.weighted(rng, INCLUDE_MIX))
    if rng.random() < 0.01:
        terms.append("include:" + name)  # a loop onto itself
    rng.shuffle(terms)
    if rng.random() < 0.02:
        terms.append("foo=bar")
    if cat == "redirect":
        terms.append("redirect=" + rng.choice(REDIRECT_MIX))
    elif cat == "redirect_domain" and i > 0:
        terms.append("redirect=d%04d.zspf" % rng.randrange(i))
    else:
        q = dsworld.weighted(rng, (("-all", 40), ("~all", 35), ("?all", 8), ("+all", 4), ("", 8)))
        if q:
            terms.append(q)
            if rng.random() < 0.03:
                terms.append("a")
    return w.domain(name, "random_" + cat, "v=spf1 " + " ".join(terms), a=has_a, mx=mx)


def truth_of(w):
    errors_of = {r.encode(): c for r, c in SYNTAX.items()}
    errors_of[MANY_ERRORS.encode()] = ["unknown_mechanism"] * 20
    return {d: dsspf.evaluate(d, w.data.answer, errors_of.get) for d, _ in w.domains}


# ---------------------------------------------------------------- one scan


def scan(binary, port, w, tmp, name, extra, checks="dmarc,spf", out_ext=".ndjson"):
    inp = os.path.join(tmp, "domains.txt")
    if not os.path.exists(inp):
        with open(inp, "w") as f:
            f.write("".join(d + "\n" for d, _ in w.domains))
    out = os.path.join(tmp, name + out_ext)
    meta = os.path.join(tmp, name + ".meta.json")
    opts = ["--checks", checks] if checks else []  # None: dmarcscan's default
    rc, _, err, secs = itlib.run_scan(binary, ["-q", "-r", "127.0.0.1:%d" % port, "-o", out,
                                               "--metadata", meta, "--timeout", "1000",
                                               "--retries", "1", "-c", "300"]
                                      + opts + extra + [inp])
    err = err.decode(errors="replace")
    print("      %.1f s, exit %s" % (secs, rc))
    if not C.check("%s: exits 0" % name, rc == 0, err[-3000:]):
        return None, None
    tail = [l for l in err.splitlines() if l.strip()][-1:] or [""]
    m = DONE_RE.match(tail[0])
    C.check("%s: done line counts %d domains" % (name, len(w.domains)),
            m is not None and int(m.group(1)) == len(w.domains), tail[0])
    objs = itlib.read_ndjson(C, name, out)
    md = None
    if os.path.exists(meta):
        with open(meta) as f:
            md = json.load(f)
    if objs is None:
        return None, md
    by = {}
    for o in objs:
        by.setdefault(o.get("domain"), []).append(o)
    C.check("%s: one line per domain" % name,
            sorted(by) == sorted(d for d, _ in w.domains) and all(len(v) == 1 for v in by.values()),
            "%d lines, %d distinct domains, %d expected" % (len(objs), len(by), len(w.domains)))
    return {d: v[0] for d, v in by.items()}, md


def check_spf(name, w, truth, lines):
    bad, per_cat, seen = [], collections.Counter(), collections.Counter()
    for d, cat in w.domains:
        seen[cat] += 1
        diffs = dsspf.spf_diffs((lines.get(d) or {}).get("spf"), truth[d])
        if diffs:
            per_cat[cat] += 1
            bad.append("%s [%s]: %s" % (d, cat, "; ".join(diffs)))
    C.check("%s: every domain's spf object equals the reference (%d domains, %d categories)"
            % (name, len(w.domains), len(seen)), not bad,
            "mismatches by category: %s\n%s" % (dict(per_cat), itlib.first_diffs(bad, 15)))
    # a few cases by name, so that a wrong reference cannot hide them
    want = {
        "ten.zspf": ("ok", "fail", 10, 0, []),
        "eleven.zspf": ("permerror", None, 11, 0, ["too_many_lookups"]),
        "void2.zspf": ("ok", "softfail", 2, 2, []),
        "void3.zspf": ("permerror", None, 4, 3, ["too_many_void_lookups"]),
        "plusall.zspf": ("ok", "pass", 0, 0, []),
        "selfloop.zspf": ("permerror", None, 1, 0, ["include_loop"]),
        "incfail.zspf": ("temperror", None, 1, 0, ["dns_error"]),
        "sfreject.zfail": ("temperror", None, 0, 0, ["dns_error"]),
        "gone.zspf": ("none", None, 0, 0, []),
        "manymx.zspf": ("permerror", None, 2, 0, ["too_many_mx"]),
        "loopafter.zspf": ("permerror", None, 2, 1, ["include_missing"]),
        "loopafter2.zspf": ("permerror", None, 6, 0, ["include_loop"]),
        "incpassall.zspf": ("ok", "fail", 1, 0, []),
        "incpassminus.zspf": ("ok", "softfail", 1, 0, []),
    }
    got = {d: tuple((lines.get(d) or {}).get("spf", {}).get(k) for k in
                    ("result", "all", "dns_lookups", "void_lookups")) +
           (sorted((lines.get(d) or {}).get("spf", {}).get("errors") or []),)
           for d in want}
    C.check("%s: landmark cases (result, all, lookups, voids, errors)" % name,
            got == {d: v for d, v in want.items()},
            "\n".join("%s: got %s, want %s" % (d, got[d], want[d]) for d in want
                      if got[d] != want[d]))
    pa = {d: ((lines.get(d) or {}).get("spf") or {}) for d in
          ("incpassall.zspf", "incpassvia.zspf", "incpassminus.zspf")}
    C.check("%s: an included +all (through +include and redirect) makes the policy "
            "permissive with include_pass_all; a -include of it does not" % name,
            [(pa[d].get("permissive"), "include_pass_all" in (pa[d].get("warnings") or []))
             for d in sorted(pa)] == [(True, True), (False, False), (True, True)],
            json.dumps({d: (v.get("permissive"), v.get("warnings")) for d, v in pa.items()}))
    # (permissive, the mechanism warnings, warnings_at) of the open-by-a-mechanism cases
    pm = "pass_all_mechanism"
    opened = {
        "open4.zspf": (True, [pm], ["+ip4:0.0.0.0/0"]),
        "open6.zspf": (True, [pm], ["ip6:::/0"]),
        "neutral4.zspf": (True, ["neutral_all_mechanism"], ["?ip4:0.0.0.0/0"]),
        "closed4.zspf": (False, [], None),
        "incopen4.zspf": (True, [pm], ["_spf.open4.zprov"]),
        "incopen4minus.zspf": (False, [], None),
        "incneutral4.zspf": (False, [], None),
        "redneutral4.zspf": (True, ["neutral_all_mechanism"], ["_spf.neutral4.zprov"]),
        "aopen.zspf": (True, [pm], ["out.mailco.zprov"]),
        "aselfopen.zspf": (True, [pm], ["aselfopen.zspf"]),
        "anoaddr.zspf": (False, [], None),
        "existsopen.zspf": (True, [pm], ["out.mailco.zprov"]),
        "existsnot.zspf": (False, [], None),
        "mxopen.zspf": (False, [], None),  # the exchanges' addresses are not asked
    }
    got = {}
    for d in opened:
        o = (lines.get(d) or {}).get("spf") or {}
        ws = o.get("warnings") or []
        got[d] = (o.get("permissive"), [x for x in ws if x.endswith("_all_mechanism")],
                  o.get("warnings_at"))
    C.check("%s: a mechanism matching every client opens the policy (ip4/ip6 /0, a/0 and "
            "exists with an address, through +include and redirect); -, ~, -include, a "
            "neutral include, void names and mx/0 do not" % name, got == opened,
            "\n".join("%s: got %s, want %s" % (d, got[d], opened[d]) for d in opened
                      if got[d] != opened[d]))
    spoof = {d: ((lines.get(d) or {}).get("spoofable"),
                 (lines.get(d) or {}).get("spoofable_reason"))
             for d in ("open4.zspf", "closed4.zspf", "existsopen.zspf")}
    C.check("%s: under p=reject, SPF opened by a mechanism is spoofable (spf_pass_all)" % name,
            spoof == {"open4.zspf": ("yes", "spf_pass_all"),
                      "closed4.zspf": ("no", "dmarc_reject"),
                      "existsopen.zspf": ("yes", "spf_pass_all")}, spoof)
    deep = max((i["depth"] for i in (lines.get("deep6.zspf") or {}).get("spf", {})
                .get("includes", [])), default=0)
    C.check("%s: an include tree six levels deep is walked" % name, deep == 6, deep)
    gone = lines.get("gone.zspf") or {}
    C.check("%s: a non-existent apex: exists false, spf status NXDOMAIN" % name,
            gone.get("exists") is False and (gone.get("spf") or {}).get("status") == "NXDOMAIN",
            json.dumps(gone)[:600])
    for d in ("sfreject.zfail", "sfnone.zfail"):
        o = lines.get(d) or {}
        s, dm = o.get("spf") or {}, o.get("dmarc") or {}
        C.check("%s: %s: SERVFAIL on the SPF name only: spf temperror, valid null, "
                "status SERVFAIL; dmarc answered (%s)" % (name, d, w.dmarc[d]),
                s.get("result") == "temperror" and s.get("valid") is None
                and s.get("status") == "SERVFAIL" and dm.get("status") == "NOERROR"
                and dm.get("records") == [w.dmarc[d]], json.dumps(o)[:800])
    check_spoofable(name, lines)


def check_spoofable(name, lines):
    """A DNS failure on the SPF name: `unknown` when DMARC enforces (SPF could be +all,
    docs/verdicts.md row 7), while DMARC alone decides when it does not (p=none: `yes`)."""
    r, n = lines.get("sfreject.zfail") or {}, lines.get("sfnone.zfail") or {}
    C.check("%s: SPF temperror under p=reject: spoofable unknown" % name,
            r.get("spoofable") == "unknown", "%s %s" % (r.get("spoofable"),
                                                       r.get("spoofable_reason")))
    C.check("%s: SPF temperror under p=none: DMARC alone decides (yes)" % name,
            n.get("spoofable") == "yes", "%s %s" % (n.get("spoofable"),
                                                   n.get("spoofable_reason")))


def check_mx(name, w, lines):
    bad = []
    for d, cat in w.domains:
        m = (lines.get(d) or {}).get("mx")
        t = w.mx[d]
        got = None if not isinstance(m, dict) else {
            "status": m.get("status"), "hosts": m.get("hosts"), "null_mx": m.get("null_mx")}
        if got != t:
            bad.append("%s [%s]: got %s, want %s" % (d, cat, got, t))
    C.check("%s: every domain's mx object (status, hosts, null_mx) equals the data" % name,
            not bad, itlib.first_diffs(bad))
    nm, gone = lines.get("nullmx.zspf") or {}, lines.get("gone.zspf") or {}
    C.check("%s: null MX and non-existent apex" % name,
            (nm.get("mx") or {}).get("null_mx") is True and gone.get("exists") is False
            and (gone.get("mx") or {}).get("status") == "NXDOMAIN",
            "%s\n%s" % (json.dumps(nm.get("mx")), json.dumps(gone.get("mx"))))


def check_shared(name, w, truth, srv, before, md):
    """Each shared name reached the server once; the cache's counters agree."""
    after = {z: srv.zone_query_counts(z) for z in STATS_ZONES}
    delta = {z: {t: n - before[z].get(t, 0) for t, n in after[z].items()
                 if n - before[z].get(t, 0)} for z in STATS_ZONES}
    users = sum(1 for d in truth if ("_spf.zshared", "TXT") in truth[d]["asked"])
    print("      Knot saw, by zone and type: %s" % json.dumps(delta, sort_keys=True))
    # _spf.zbig: one UDP query answered TC=1, then the same over TCP
    want_shared = {"zshared": {"TXT": 1, "A": 1}, "zshared2": {"TXT": 1}, "zbig": {"TXT": 2}}
    got_shared = {z: delta[z] for z in SHARED_ZONES}
    C.check("%s: _spf.zshared (asked by %d domains), _nb.zshared2 and relay.zshared each "
            "reached Knot once, _spf.zbig once over UDP and once over TCP" % (name, users),
            got_shared == want_shared and users >= N_SHARED,
            "Knot saw %s, want %s" % (got_shared, want_shared))
    asked = set()
    for t in truth.values():
        asked |= {(n, q) for n, q in t["asked"] if n.endswith(".zprov")}
    want = collections.Counter(q for _, q in asked)
    C.check("%s: every provider name reached Knot once per type (%d names)"
            % (name, len(asked)), delta["zprov"] == dict(want),
            "Knot saw %s, want %s" % (delta["zprov"], dict(want)))
    sc = ((md or {}).get("counters") or {}).get("shared_cache")
    # Every shared lookup consults the cache once: the SPF names other than the domain's
    # own, plus (at most) a CNAME follow-up per aliased name asked, plus the DMARC walk's
    # parents: one (_dmarc.<zone>) for each of these two-label domains without a record.
    total = sum(len(t["asked"]) for t in truth.values())
    aliased = sum(1 for t in truth.values() for n, _ in t["asked"] if n in ALIASES)
    walk = len(truth) - len(w.dmarc)
    # (answered by the loop's cache, a classifier's copy of it, or a fetch)
    used = sc.get("fetched", 0) + sc.get("hits", 0) + sc.get("classifier_hits", 0) + \
        sc.get("joined", 0) if isinstance(sc, dict) else -1
    ok = total <= used <= total + aliased + walk and sc.get("queries_saved") == \
        sc.get("hits", 0) + sc.get("classifier_hits", 0) + sc.get("joined", 0)
    C.check("%s: metadata shared_cache: fetched + hits + classifier_hits + joined = the %d SPF "
            "shared lookups "
            "(+ up to %d CNAME follow-ups and %d DMARC walk parents)"
            % (name, total, aliased, walk), ok, json.dumps(sc))
    print("      shared cache: %s" % json.dumps(sc))
    return after


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_spf.py DMARCSCAN [REPO] (or env DMARCSCAN)")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    rng = random.Random(SEED)
    t0 = time.monotonic()
    w = build_world(rng)
    truth = truth_of(w)
    cats = collections.Counter(truth[d]["result"] for d in truth)
    print("world: %d domains, %d zones, results %s, in %.1f s"
          % (len(w.domains), len(w.data.zones), dict(cats), time.monotonic() - t0))
    C.check("world: every result class present",
            all(cats[r] for r in ("ok", "none", "permerror", "temperror")), dict(cats))
    with tempfile.TemporaryDirectory(prefix="dmarcscan-spf-") as tmp:
        zdir = os.path.join(tmp, "zones")
        w.data.write_zones(zdir, lambda b: dsworld.txt_rdata([b]))
        good = sorted(z for z in w.data.zones if z not in w.data.broken)
        try:
            with dsauth.AuthServer(zdir, os.path.join(tmp, "run"), wait_zones=good,
                                   stats_zones=STATS_ZONES) as srv:
                print("knot on 127.0.0.1:%d, ready in %.1f s" % (srv.port, srv.load_seconds))
                before = {z: srv.zone_query_counts(z) for z in STATS_ZONES}
                runs = [("plain", [], ".ndjson"), ("0x20", ["--0x20"], ".ndjson"),
                        ("zstd", [], ".ndjson.zst")]
                for name, extra, ext in runs:
                    lines, md = scan(binary, srv.port, w, tmp, name, extra, out_ext=ext)
                    if lines is not None:
                        check_spf(name, w, truth, lines)
                    before = check_shared(name, w, truth, srv, before, md)
                run_default(binary, srv, w, truth, tmp, before)
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
    return C.summary()


def run_default(binary, srv, w, truth, tmp, before):
    """The default --checks (dmarc,spf,mx): spf as before, and every mx object."""
    lines, md = scan(binary, srv.port, w, tmp, "default", [], checks=None)
    if lines is not None:
        check_spf("default", w, truth, lines)
        check_mx("default", w, lines)
    check_shared("default", w, truth, srv, before, md)


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsspf  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
