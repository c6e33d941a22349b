#!/usr/bin/python3
# test_discovery.py -- integration test: DMARC policy discovery and verdicts against a real
# Knot (scripts/dsauth.py) serving small hand-written zones, checked field by field.
#
# Usage: test_discovery.py [DMARCSCAN [REPO]]   (or env DMARCSCAN; REPO defaults to ../..)
# ctest passes $<TARGET_FILE:dmarcscan> and the source dir. Only 127.0.0.1 is contacted:
# the scanner always gets -r 127.0.0.1:PORT. Prints "N passed, M failed"; exit 1 on failure.
#
# Cases (docs/verdicts.md has the rules): RFC 9989 tree walk across several levels with
# psd=y / psd=n, the organizational domain chosen by the fewest labels, sp for an existing
# and np for a non-existent subdomain, the 8-query cap with the >8-label shortcut, a PSD
# record applying; RFC 7489 discovery with a --psl-file list (and its date in the
# metadata); a CNAME'd _dmarc; multiple records (discarded by the walk, invalid when nothing
# else applies, terminal under RFC 7489); SERVFAIL during discovery (error, never missing)
# and after the domain's own record (posture kept, organizational domain unknown); external
# report authorization granted (explicit and wildcard), denied and failing, with the
# receivers' NXDOMAIN cut and with --no-report-cut (the same verdicts); --discovery exact;
# the MX check beside DMARC (--checks dmarc,mx): sorted hosts, null MX alone and mixed, a
# CNAME within the zone and one leaving it, NODATA and NXDOMAIN.

import json
import os
import re
import sys
import tempfile
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_TIMEOUT = 120
DONE_RE = re.compile(r"^done: (\d+) domains")
PSL_VERSION = "2026-11-01_00-00-00_UTC"

SOA = "@ SOA ns1.{z}. hostmaster.{z}. 1 7200 3600 1209600 300\n@ NS ns1.{z}.\nns1 A 127.0.0.1\n"

# ztest: a public suffix domain (psd=y) with organizations under it.
ZTEST = """
_dmarc TXT "v=DMARC1; p=reject; psd=y; rua=mailto:psd@registry.zvendor"
; acme: sp=none for existing subdomains, np=reject for non-existent ones
acme A 192.0.2.1
_dmarc.acme TXT "v=DMARC1; p=quarantine; sp=none; np=reject"
a.b.acme A 192.0.2.2
; dept.acme declares itself an organizational domain
_dmarc.dept.acme TXT "v=DMARC1; p=reject; psd=n"
x.dept.acme A 192.0.2.3
; an organization without a record: the PSD's record applies
nodmarc A 192.0.2.4
; two levels with records, no psd tag: the one with fewest labels is the organization
_dmarc.mid.other TXT "v=DMARC1; p=none"
_dmarc.other TXT "v=DMARC1; p=reject; sp=quarantine"
leaf.mid.other A 192.0.2.5
; a deep name: the 8-label record is skipped by the walk's shortcut
_dmarc.c.d.e.f.g.h.deep TXT "v=DMARC1; p=none"
_dmarc.deep TXT "v=DMARC1; p=quarantine; pct=50"
a.b.c.d.e.f.g.h.deep A 192.0.2.6
; hosted DMARC: _dmarc is a CNAME into another zone
hosted A 192.0.2.7
_dmarc.hosted CNAME hosted-ztest.policies.zvendor.
; two DMARC records at one name
multi A 192.0.2.8
_dmarc.multi TXT "v=DMARC1; p=reject"
_dmarc.multi TXT "v=DMARC1; p=none"
_dmarc.multi TXT "google-site-verification=abc"
; report receivers: internal, explicit, wildcard, denied, failing
rep A 192.0.2.9
_dmarc.rep TXT "v=DMARC1; p=reject; rua=mailto:a@rep.ztest,mailto:b@reports.zvendor,mailto:c@wild.zvendor; ruf=mailto:d@deny.zvendor,mailto:e@r.broken.ztest,mailto:f@reports.zvendor"
; a second domain naming receivers of the first (the cut's answer is shared)
rep2 A 192.0.2.11
_dmarc.rep2 TXT "v=DMARC1; p=none; rua=mailto:x@deny.zvendor,mailto:y@reports.zvendor"
; the co.ztest second-level suffix (also in the --psl-file list)
_dmarc.co TXT "v=DMARC1; p=none; psd=y"
_dmarc.shop.co TXT "v=DMARC1; p=reject; sp=quarantine"
www.shop.co A 192.0.2.10
"""

ZVENDOR = """
hosted-ztest.policies TXT "v=DMARC1; p=reject; rua=mailto:agg@hosted.ztest"
rep.ztest._report._dmarc.reports TXT "v=DMARC1"
rep2.ztest._report._dmarc.reports TXT "v=DMARC1"
*._report._dmarc.wild TXT "v=DMARC1"
deny A 192.0.2.20
mailhost MX 5 mx.zvendor.
"""

# zplain: no PSD record, so nothing but a domain's own records can apply.
ZPLAIN = """
multi A 192.0.2.30
_dmarc.multi TXT "v=DMARC1; p=reject"
_dmarc.multi TXT "v=DMARC1; p=quarantine"
broken A 192.0.2.31
_dmarc.broken TXT "v=DMARC1; p=reject; p=none"
; MX (--checks dmarc,mx)
mail MX 20 mx2.zplain.
mail MX 10 MX1.zplain.
mail MX 10 mx0.zvendor.
nullmx MX 0 .
mixed MX 0 .
mixed MX 10 mx1.zplain.
alias CNAME mail.zplain.
outalias CNAME mailhost.zvendor.
"""

# ok.broken.ztest is healthy, its parent zone broken.ztest does not load (SERVFAIL).
OKBROKEN = """
_dmarc TXT "v=DMARC1; p=reject"
www A 192.0.2.40
"""

PSL_DAT = """// test list for dmarcscan
// VERSION: %s
// ===BEGIN ICANN DOMAINS===
ztest
co.ztest
zvendor
zplain
// ===END ICANN DOMAINS===
""" % PSL_VERSION


C = itlib.Checks()


def write_zones(zdir):
    os.makedirs(zdir, exist_ok=True)
    zones = {"ztest": ZTEST, "zvendor": ZVENDOR, "zplain": ZPLAIN,
             "ok.broken.ztest": OKBROKEN}
    for z, body in zones.items():
        with open(os.path.join(zdir, z + ".zone"), "w") as f:
            f.write("$ORIGIN %s.\n$TTL 300\n" % z + SOA.format(z=z) + body)
    with open(os.path.join(zdir, "broken.ztest.zone"), "w") as f:
        f.write("$ORIGIN broken.ztest.\n@ SOA this is not a zone\n")
    return sorted(zones)


def scan(binary, args, domains, tmp, name):
    """Scan domains; return ({domain: object}, metadata or None)."""
    inp = os.path.join(tmp, name + ".txt")
    out = os.path.join(tmp, name + ".ndjson")
    meta = os.path.join(tmp, name + ".meta.json")
    with open(inp, "w") as f:
        f.write("".join(d + "\n" for d in domains))
    # The DMARC cases judge DMARC alone ("exists" as DMARC's own lookups say it): --checks
    # dmarc unless the case names its checks.
    checks = [] if "--checks" in args else ["--checks", "dmarc"]
    argv = [binary, "scan", "-q", "-o", out, "--metadata", meta, "--timeout", "500",
            "--retries", "1"] + checks + args + [inp]
    rc, _, err, _ = itlib.run_scan(argv[0], argv[2:], timeout=RUN_TIMEOUT)
    if rc is None:
        C.check("%s: finishes within %d s" % (name, RUN_TIMEOUT), False)
        return {}, None
    err = err.decode(errors="replace")
    tail = [l for l in err.splitlines() if l.strip()][-1:] or [""]
    C.check("%s: exits 0" % name, rc == 0, err[-2000:])
    m = DONE_RE.match(tail[0])
    C.check("%s: done line counts %d domains" % (name, len(domains)),
            m is not None and int(m.group(1)) == len(domains), tail[0])
    objs = {}
    if os.path.exists(out):
        with open(out) as f:
            for line in f:
                o = json.loads(line)
                objs[o["domain"]] = o
    C.check("%s: one line per domain" % name, sorted(objs) == sorted(domains),
            "%s vs %s" % (sorted(objs), sorted(domains)))
    md = None
    if os.path.exists(meta):
        with open(meta) as f:
            md = json.load(f)
    return objs, md


def get(o, path):
    """o['a']['b'] for path 'a.b'; lists indexed by number."""
    for k in path.split("."):
        if isinstance(o, list):
            o = o[int(k)] if k.isdigit() and int(k) < len(o) else "(absent)"
        elif isinstance(o, dict):
            o = o.get(k, "(absent)")
        else:
            return "(absent)"
    return o


def expect(run, objs, domain, title, want, extra=None):
    o = objs.get(domain)
    if o is None:
        C.check("%s: %s: %s" % (run, domain, title), False, "no output line")
        return
    bad = []
    for path, v in want.items():
        got = get(o, path)
        if got != v:
            bad.append("%s = %s, expected %s" % (path, json.dumps(got), json.dumps(v)))
    if extra:
        ok, detail = extra(o)
        if not ok:
            bad.append(detail)
    C.check("%s: %s: %s" % (run, domain, title), not bad,
            "\n".join(bad) + "\nline: " + json.dumps(o)[:3000])


def walk_names(o):
    return [w["name"] for w in o["dmarc"]["walk"]]


def receivers(o):
    return {r["host"]: (r["org"], r["external"], r["authorization"], r["authorized"])
            for r in o["dmarc"]["receivers"]}


def test_tree(binary, tmp, res):
    domains = ["a.b.acme.ztest", "ghost.acme.ztest", "acme.ztest", "x.dept.acme.ztest",
               "nodmarc.ztest", "leaf.mid.other.ztest", "a.b.c.d.e.f.g.h.deep.ztest",
               "hosted.ztest", "multi.ztest", "multi.zplain", "broken.zplain",
               "x.broken.ztest", "www.ok.broken.ztest", "ok.broken.ztest", "rep.ztest",
               "www.shop.co.ztest", "nothing.zplain"]
    objs, md = scan(binary, ["-r", res], domains, tmp, "tree")
    run = "tree"
    if md:
        C.check("tree: metadata config.discovery is tree",
                get(md, "config.discovery") == "tree", json.dumps(md.get("config")))
        C.check("tree: metadata names the PSL and its date",
                isinstance(get(md, "config.psl.file"), str)
                and re.match(r"^\d{4}-\d\d-\d\d", str(get(md, "config.psl.date"))),
                json.dumps(get(md, "config.psl")))
    expect(run, objs, "a.b.acme.ztest", "existing subdomain: org record's sp via tree walk", {
        "posture": "none", "exists": True, "enforcing": False, "spoofable": "yes",
        "dmarc.status": "NOERROR", "dmarc.discovery": "tree_walk",
        "dmarc.location": "_dmarc.acme.ztest", "dmarc.policy_from": "sp",
        "dmarc.org_domain": "acme.ztest", "dmarc.policy_domain": "acme.ztest",
        "dmarc.records": ["v=DMARC1; p=quarantine; sp=none; np=reject"],
        "dmarc.p": "quarantine", "dmarc.sp": "none", "dmarc.np": "reject"},
        lambda o: (walk_names(o) == ["_dmarc.a.b.acme.ztest", "_dmarc.b.acme.ztest",
                                     "_dmarc.acme.ztest", "_dmarc.ztest"],
                   "walk %s" % walk_names(o)))
    expect(run, objs, "ghost.acme.ztest", "non-existent subdomain: np", {
        "posture": "reject", "exists": False, "enforcing": True, "spoofable": "no",
        "dmarc.policy_from": "np", "dmarc.location": "_dmarc.acme.ztest",
        "dmarc.discovery": "tree_walk"})
    expect(run, objs, "acme.ztest", "organizational domain's own record: p", {
        "posture": "quarantine", "exists": True, "enforcing": True,
        "spoofable": "subdomains_only", "spoofable_reason": "dmarc_sp_none",
        "dmarc.discovery": "exact", "dmarc.policy_from": "p",
        "dmarc.org_domain": "acme.ztest", "dmarc.valid": True},
        lambda o: (walk_names(o) == ["_dmarc.acme.ztest", "_dmarc.ztest"],
                   "walk %s" % walk_names(o)))
    expect(run, objs, "x.dept.acme.ztest", "psd=n stops the walk: its record applies", {
        "posture": "reject", "dmarc.location": "_dmarc.dept.acme.ztest",
        "dmarc.org_domain": "dept.acme.ztest", "dmarc.discovery": "tree_walk",
        "dmarc.psd": "n"},
        lambda o: (walk_names(o) == ["_dmarc.x.dept.acme.ztest", "_dmarc.dept.acme.ztest"],
                   "walk %s" % walk_names(o)))
    expect(run, objs, "nodmarc.ztest", "no record of its own: the PSD record's sp applies", {
        "posture": "reject", "dmarc.location": "_dmarc.ztest", "dmarc.psd": "y",
        "dmarc.org_domain": "nodmarc.ztest", "dmarc.policy_domain": "ztest",
        "dmarc.discovery": "tree_walk"})
    expect(run, objs, "leaf.mid.other.ztest", "fewest labels: other.ztest is the organization", {
        "posture": "quarantine", "dmarc.location": "_dmarc.other.ztest",
        "dmarc.org_domain": "other.ztest", "dmarc.policy_from": "sp"})
    deep = ["_dmarc.a.b.c.d.e.f.g.h.deep.ztest", "_dmarc.d.e.f.g.h.deep.ztest",
            "_dmarc.e.f.g.h.deep.ztest", "_dmarc.f.g.h.deep.ztest", "_dmarc.g.h.deep.ztest",
            "_dmarc.h.deep.ztest", "_dmarc.deep.ztest", "_dmarc.ztest"]
    expect(run, objs, "a.b.c.d.e.f.g.h.deep.ztest",
           "10 labels: 8 queries, shortened to 7 labels, the 8-label record never asked", {
               "posture": "quarantine", "partial": True, "spoofable": "maybe",
               "dmarc.location": "_dmarc.deep.ztest", "dmarc.pct": 50},
           lambda o: (walk_names(o) == deep, "walk %s" % walk_names(o)))
    expect(run, objs, "hosted.ztest", "CNAME'd _dmarc into another zone", {
        "posture": "reject", "dmarc.discovery": "exact",
        "dmarc.location": "_dmarc.hosted.ztest",
        "dmarc.cname_target": "hosted-ztest.policies.zvendor",
        "dmarc.records": ["v=DMARC1; p=reject; rua=mailto:agg@hosted.ztest"]})
    expect(run, objs, "multi.ztest", "two records: discarded, the walk goes on to the PSD", {
        "posture": "reject", "dmarc.location": "_dmarc.ztest",
        "dmarc.warnings": ["multiple_records"], "dmarc.discovery": "tree_walk"})
    expect(run, objs, "multi.zplain", "two records and nothing else: invalid", {
        "posture": "invalid", "dmarc.valid": False, "dmarc.status": "NOERROR",
        "dmarc.location": "_dmarc.multi.zplain", "dmarc.errors": ["multiple_records"],
        "dmarc.records": ["v=DMARC1; p=reject", "v=DMARC1; p=quarantine"],
        "dmarc.p": None, "spoofable": "yes"})
    expect(run, objs, "broken.zplain", "a duplicate tag: not a valid record, invalid", {
        "posture": "invalid", "dmarc.valid": False, "dmarc.errors": ["duplicate_tag"],
        "dmarc.location": "_dmarc.broken.zplain"})
    expect(run, objs, "nothing.zplain", "nothing anywhere: missing (NXDOMAIN)", {
        "posture": "missing", "dmarc.status": "NXDOMAIN", "dmarc.records": [],
        "dmarc.location": None, "dmarc.discovery": None, "dmarc.valid": None,
        "exists": None},
        lambda o: (walk_names(o) == ["_dmarc.nothing.zplain", "_dmarc.zplain"],
                   "walk %s" % walk_names(o)))
    expect(run, objs, "x.broken.ztest", "SERVFAIL at the domain: error, not missing", {
        "posture": "error", "spoofable": "unknown", "dmarc.status": "SERVFAIL",
        "dmarc.error_name": "_dmarc.x.broken.ztest", "dmarc.records": [],
        "dmarc.errors": ["dns_error"]})
    expect(run, objs, "www.ok.broken.ztest", "SERVFAIL at a parent during the walk: error", {
        "posture": "error", "dmarc.status": "SERVFAIL",
        "dmarc.error_name": "_dmarc.broken.ztest", "dmarc.location": None},
        lambda o: (walk_names(o) == ["_dmarc.www.ok.broken.ztest", "_dmarc.ok.broken.ztest",
                                     "_dmarc.broken.ztest"], "walk %s" % walk_names(o)))
    expect(run, objs, "ok.broken.ztest", "own record, then SERVFAIL above: posture kept", {
        "posture": "reject", "dmarc.status": "NOERROR", "dmarc.org_domain": None},
        lambda o: ("org_domain_unknown" in o["dmarc"]["warnings"],
                   "warnings %s" % o["dmarc"]["warnings"]))
    want_recv = {
        "rep.ztest": ("rep.ztest", False, "not_needed", None),
        "reports.zvendor": ("reports.zvendor", True, "authorized", True),
        "wild.zvendor": ("wild.zvendor", True, "authorized", True),
        "deny.zvendor": ("deny.zvendor", True, "not_authorized", False),
        "r.broken.ztest": ("broken.ztest", True, "error", None),
    }
    expect(run, objs, "rep.ztest", "report receivers: internal, explicit, wildcard, denied, "
           "SERVFAIL", {"posture": "reject", "dmarc.org_domain": "rep.ztest"},
           lambda o: (receivers(o) == want_recv,
                      "receivers %s" % json.dumps(receivers(o))))
    expect(run, objs, "rep.ztest", "a host in rua and ruf is listed once, used by both", {
        "dmarc.receivers.1.host": "reports.zvendor", "dmarc.receivers.1.uses": ["rua", "ruf"],
        "dmarc.receivers.4.authorization_status": "SERVFAIL"})
    expect(run, objs, "www.shop.co.ztest", "psd=y at co.ztest: shop.co.ztest is the org", {
        "posture": "quarantine", "dmarc.location": "_dmarc.shop.co.ztest",
        "dmarc.org_domain": "shop.co.ztest", "dmarc.policy_from": "sp"})


def vias(o):
    return {r["host"]: (r["authorization_via"], r["authorization_status"])
            for r in o["dmarc"]["receivers"]}


def test_report_cut(binary, tmp, res):
    domains = ["rep.ztest", "rep2.ztest"]
    cut, md_cut = scan(binary, ["-r", res], domains, tmp, "cut")
    each, md_each = scan(binary, ["-r", res, "--no-report-cut"], domains, tmp, "nocut")
    # _report._dmarc.deny.zvendor is NXDOMAIN: deny's own name is never asked; the others'
    # parents exist (explicit names, a wildcard) or fail: their own names are asked.
    want = {"rep.ztest": {"rep.ztest": (None, None), "reports.zvendor": ("name", "NOERROR"),
                          "wild.zvendor": ("name", "NOERROR"),
                          "deny.zvendor": ("parent_nxdomain", "NXDOMAIN"),
                          "r.broken.ztest": ("name", "SERVFAIL")},
            "rep2.ztest": {"deny.zvendor": ("parent_nxdomain", "NXDOMAIN"),
                           "reports.zvendor": ("name", "NOERROR")}}
    for d in domains:
        expect("report cut", cut, d, "which answer decided each receiver", {},
               lambda o, d=d: (vias(o) == want[d], "vias %s" % json.dumps(vias(o))))
        w = dict(want[d])
        w["deny.zvendor"] = ("name", "NXDOMAIN")
        expect("--no-report-cut", each, d, "every external receiver's own name asked", {},
               lambda o, w=w: (vias(o) == w, "vias %s" % json.dumps(vias(o))))
        if d in cut and d in each:
            C.check("report cut: %s: the same verdicts either way" % d,
                    receivers(cut[d]) == receivers(each[d]) and
                    cut[d]["posture"] == each[d]["posture"],
                    "%s vs %s" % (receivers(cut[d]), receivers(each[d])))
    expect("report cut", cut, "rep2.ztest", "rep2's own authorization found", {
        "dmarc.receivers.1.authorization": "authorized", "posture": "none"})
    for md, on in ((md_cut, True), (md_each, False)):
        C.check("metadata says report_cut %s" % on,
                md is not None and md["config"].get("report_cut") is on,
                md and md["config"].get("report_cut"))
    # One domain at a time, one classifier: rep2.ztest comes after rep.ztest, and its shared
    # names (_dmarc.ztest, both receivers' parents) are answered by the classifier's copy,
    # so only its own _dmarc name and reports.zvendor's own name are sent (deny.zvendor's
    # is not: the cut); under --no-report-cut deny.zvendor's own name is sent too.
    one, md_one = scan(binary, ["-r", res, "-j", "1", "-c", "1"], domains, tmp, "cut1")
    each1, _ = scan(binary, ["-r", res, "-j", "1", "-c", "1", "--no-report-cut"], domains, tmp,
                    "nocut1")
    expect("report cut, -c 1", one, "rep2.ztest", "two datagrams: its record, one own name",
           {"dmarc.attempts": 2})
    expect("--no-report-cut, -c 1", each1, "rep2.ztest", "three datagrams", {"dmarc.attempts": 3})
    hits = ((md_one or {}).get("counters", {}).get("shared_cache", {})).get("classifier_hits", 0)
    C.check("report cut, -c 1: rep2's three shared names answered by the classifier's copy",
            hits >= 3, "classifier_hits %s" % hits)
    sc = (md_cut or {}).get("counters", {}).get("shared_cache", {})
    # both domains ask _report._dmarc.deny.zvendor and .reports.zvendor, and _dmarc.ztest
    C.check("report cut: the second domain's shared names were not fetched again",
            sc.get("queries_saved", 0) >= 3 and
            sc.get("queries_saved") == sc.get("hits", 0) + sc.get("classifier_hits", 0) +
            sc.get("joined", 0), json.dumps(sc))


def test_rfc7489(binary, tmp, res):
    psl = os.path.join(tmp, "test_psl.dat")
    with open(psl, "w") as f:
        f.write(PSL_DAT)
    domains = ["a.b.acme.ztest", "www.shop.co.ztest", "multi.ztest", "nodmarc.ztest",
               "x.dept.acme.ztest", "hosted.ztest"]
    objs, md = scan(binary, ["-r", res, "--discovery", "rfc7489", "--psl-file", psl],
                    domains, tmp, "rfc7489")
    run = "rfc7489"
    if md:
        C.check("rfc7489: metadata has the mode, the --psl-file and its VERSION line",
                get(md, "config.discovery") == "rfc7489"
                and get(md, "config.psl.file") == psl
                and get(md, "config.psl.date") == PSL_VERSION, json.dumps(md.get("config")))
    expect(run, objs, "a.b.acme.ztest", "PSL organizational domain, then sp", {
        "posture": "none", "exists": True, "dmarc.discovery": "psl_org",
        "dmarc.location": "_dmarc.acme.ztest", "dmarc.org_domain": "acme.ztest"},
        lambda o: (walk_names(o) == ["_dmarc.a.b.acme.ztest", "_dmarc.acme.ztest"],
                   "walk %s" % walk_names(o)))
    expect(run, objs, "www.shop.co.ztest", "two-label public suffix from the --psl-file", {
        "posture": "quarantine", "dmarc.discovery": "psl_org",
        "dmarc.location": "_dmarc.shop.co.ztest", "dmarc.org_domain": "shop.co.ztest"})
    expect(run, objs, "multi.ztest", "RFC 7489: multiple records end discovery: invalid", {
        "posture": "invalid", "dmarc.errors": ["multiple_records"],
        "dmarc.location": "_dmarc.multi.ztest"},
        lambda o: (walk_names(o) == ["_dmarc.multi.ztest"], "walk %s" % walk_names(o)))
    expect(run, objs, "nodmarc.ztest", "no PSD records under RFC 7489: missing", {
        "posture": "missing", "dmarc.status": "NXDOMAIN"},
        lambda o: (walk_names(o) == ["_dmarc.nodmarc.ztest"], "walk %s" % walk_names(o)))
    expect(run, objs, "x.dept.acme.ztest", "psd=n is not RFC 7489: the PSL org applies", {
        "posture": "none", "dmarc.location": "_dmarc.acme.ztest"})
    expect(run, objs, "hosted.ztest", "CNAME'd _dmarc, exact", {
        "posture": "reject", "dmarc.cname_target": "hosted-ztest.policies.zvendor"})


def test_exact(binary, tmp, res):
    domains = ["a.b.acme.ztest", "acme.ztest", "rep.ztest"]
    objs, md = scan(binary, ["-r", res, "--discovery", "exact"], domains, tmp, "exact")
    run = "exact"
    expect(run, objs, "a.b.acme.ztest", "one lookup only: missing", {
        "posture": "missing", "dmarc.attempts": 1},
        lambda o: (walk_names(o) == ["_dmarc.a.b.acme.ztest"], "walk %s" % walk_names(o)))
    expect(run, objs, "acme.ztest", "the domain's own record", {
        "posture": "quarantine", "dmarc.attempts": 1, "dmarc.discovery": "exact"})
    C.check("exact: metadata says report_cut false (no receiver is verified)",
            md is not None and md["config"].get("report_cut") is False,
            md and md["config"].get("report_cut"))
    expect(run, objs, "rep.ztest", "no authorization lookups: external receivers not checked", {
        "dmarc.attempts": 1, "dmarc.receivers.1.authorization": "not_checked",
        "dmarc.receivers.1.authorized": None, "dmarc.receivers.0.external": False})


def test_mx(binary, tmp, res):
    domains = ["mail.zplain", "nullmx.zplain", "mixed.zplain", "alias.zplain",
               "outalias.zplain", "multi.zplain", "nothing.zplain"]
    objs, _ = scan(binary, ["-r", res, "--checks", "dmarc,mx"], domains, tmp, "mx")
    run = "mx"
    mail = [{"pref": 10, "host": "mx0.zvendor"}, {"pref": 10, "host": "mx1.zplain"},
            {"pref": 20, "host": "mx2.zplain"}]
    expect(run, objs, "mail.zplain", "hosts sorted by preference, then name (lower-cased)", {
        "exists": True, "mx.status": "NOERROR", "mx.hosts": mail, "mx.null_mx": False,
        "mx.errors": [], "mx.warnings": [], "mx.attempts": 1, "mx.cname_target": "(absent)",
        "dmarc.status": "NXDOMAIN", "spf": None})
    expect(run, objs, "nullmx.zplain", "null MX", {
        "mx.status": "NOERROR", "mx.hosts": [], "mx.null_mx": True, "mx.errors": []})
    expect(run, objs, "mixed.zplain", "a null MX beside a host: an error, not a null MX", {
        "mx.hosts": [{"pref": 10, "host": "mx1.zplain"}], "mx.null_mx": False,
        "mx.errors": ["null_mx_mixed"]})
    expect(run, objs, "alias.zplain", "CNAME within the zone", {
        "mx.status": "NOERROR", "mx.hosts": mail, "mx.cname_target": "mail.zplain"})
    expect(run, objs, "outalias.zplain", "CNAME leaving the zone: its target asked next", {
        "mx.status": "NOERROR", "mx.hosts": [{"pref": 5, "host": "mx.zvendor"}],
        "mx.cname_target": "mailhost.zvendor", "mx.attempts": 2})
    expect(run, objs, "multi.zplain", "NODATA: no MX, no null MX", {
        "exists": True, "mx.status": "NOERROR", "mx.hosts": [], "mx.null_mx": False,
        "posture": "invalid"})
    expect(run, objs, "nothing.zplain", "NXDOMAIN: exists false from the MX lookup", {
        "exists": False, "mx.status": "NXDOMAIN", "mx.hosts": [], "mx.null_mx": False,
        "posture": "missing"})


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_discovery.py DMARCSCAN [REPO] (or env DMARCSCAN)")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    with tempfile.TemporaryDirectory(prefix="dmarcscan-disc-") as tmp:
        zdir = os.path.join(tmp, "zones")
        healthy = write_zones(zdir)
        try:
            with dsauth.AuthServer(zdir, os.path.join(tmp, "run"), wait_zones=healthy) as srv:
                print("knot on 127.0.0.1:%d, ready in %.1f s" % (srv.port, srv.load_seconds))
                res = "127.0.0.1:%d" % srv.port
                t0 = time.monotonic()
                test_tree(binary, tmp, res)
                test_report_cut(binary, tmp, res)
                test_rfc7489(binary, tmp, res)
                test_exact(binary, tmp, res)
                test_mx(binary, tmp, res)
                print("scans took %.1f s" % (time.monotonic() - t0))
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
