#!/usr/bin/python3
# test_summary.py -- integration test of --summary FILE: dmarcscan against a real Knot
# serving a synthetic world (scripts/dsworld.py), from a headered CSV with ranks across every
# rank bucket, a sector column (some cells empty), illegal lines, excluded and repeated
# names and a name no server answers. The summary must equal, member for member, what this
# test counts itself from the NDJSON lines (summarize() below, written from docs/output.md,
# not from the C code): with --checks dmarc, with --checks dmarc,spf, and with mx when the
# mx check exists. The report receivers' tables are compared exactly when they say they
# are exact, else checked for what Space-Saving promises. The scan section is checked
# against the input (SHA-256, bytes, rows, format) and the command line. Runs with several
# classifier threads check that their summaries merge exactly. A scan stopped by
# SIGINT writes a summary marked partial whose counts equal the lines it wrote. `dmarcscan
# report --format json` of each run's lines (the scan's aggregator, fed from the parsed
# lines) must equal the same counting.
#
# Usage: test_summary.py DMARCSCAN [REPO]. Only 127.0.0.1 is contacted. Prints "N passed,
# M failed"; exit 1 on failure.
import collections
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

import itlib

SEED = 20261203
COUNT = 3000
GROUP_K = 32    # SUMMARY_GROUP_TOP_K: receivers kept per TLD, rank bucket, sector
TOP_K = 4096    # SUMMARY_TOP_K: for the whole scan
SECTORS = ["Federal - Executive", "State", "City", "Tribal", "Education, \"quoted\""]
RANK_EDGES = [1, 999, 1000, 1001, 9999, 10000, 10001, 99999, 100000, 100001, 999999,
              1000000, 1000001, 2500000]
ILLEGAL = ["exa mple.com", "-bad-.example", "a..b", "x" * 70 + ".example"]

C = itlib.Checks()

# ------------------------------------------------------------------ the reference counting

POSTURES = ["reject", "quarantine", "none", "missing", "invalid", "error"]
SPOOFABLE = ["yes", "subdomains_only", "maybe", "no", "unknown"]
SPF_RESULTS = ["none", "ok", "permerror", "temperror"]
SPF_ALL = ["null", "pass", "fail", "softfail", "neutral"]
MAIL = ["hosts", "null_mx", "no_mx", "nxdomain", "error"]
STRENGTH = {"none": 0, "quarantine": 1, "reject": 2}


def rate(n, total):
    return {"n": n, "total": total}


def mail_class(m):
    """The mail fact a line's mx object says (docs/output.md, mx)."""
    if m.get("null_mx"):
        return "null_mx"
    if m.get("hosts"):
        return "hosts"
    st = m.get("status")
    if st == "NXDOMAIN":
        return "nxdomain"
    if st == "NOERROR":
        return "no_mx"
    return "error"


class Group:
    def __init__(self):
        self.c = collections.Counter()
        self.orgs = collections.Counter()


def line_marks(o, checks):
    """(counter names, receiver orgs) the line counts for."""
    st = o["status"]
    if st != "OK":
        return [("status", st)], []
    m = [("status", "OK"), ("exists", {True: "true", False: "false", None: "null"}[o["exists"]])]
    orgs = []
    if "dmarc" in checks:
        d = o["dmarc"]
        m.append(("posture", o["posture"]))
        if o["enforcing"]:
            m.append(("enforcing",))
        if o["partial"]:
            m.append(("partial",))
        m.append(("spoofable", o["spoofable"]))
        m.append(("dmarc_status", d["status"]))
        if d["valid"] is True:
            m.append(("dmarc_valid",))
            if STRENGTH[d["sp"]] < STRENGTH[d["p"]]:
                m.append(("sp_weaker",))
            if STRENGTH[d["np"]] < STRENGTH[d["p"]]:
                m.append(("np_weaker",))
            if d["rua"]:
                m.append(("rua",))
            if d["ruf"]:
                m.append(("ruf",))
        recv = d["receivers"]
        if recv:
            m.append(("receivers",))
            orgs = sorted({r["org"] for r in recv})
            ext = [r for r in recv if r["external"] is True]
            if ext:
                m.append(("external",))
                if all(r["authorized"] is True for r in ext):
                    m.append(("external_authorized",))
                if any(r["authorized"] is False for r in ext):
                    m.append(("external_not_authorized",))
    spf_record = False
    if "spf" in checks:
        s = o["spf"]
        m.append(("spf_status", s["status"]))
        m.append(("spf_result", s["result"]))
        spf_record = bool(s["records"])
        if spf_record:
            m.append(("spf_record",))
            m.append(("spf_all", s["all"] or "null"))
            if s["permissive"] is True:
                m.append(("spf_permissive",))
            if "too_many_lookups" in s["errors"]:
                m.append(("spf_too_many_lookups",))
            if "too_many_void_lookups" in s["errors"]:
                m.append(("spf_too_many_void_lookups",))
    mail = None
    if "mx" in checks:
        mail = mail_class(o["mx"])
        m.append(("mail", mail))
        m.append(("mx_status", o["mx"]["status"]))
    # The funnel: each stage counts the lines that pass it and every stage before it.
    ok = True
    if "spf" in checks or "mx" in checks:
        ok = o["exists"] is True
        if ok:
            m.append(("f_resolving",))
    if "mx" in checks:
        ok = ok and mail == "hosts"
        if ok:
            m.append(("f_mx",))
    if "spf" in checks:
        ok = ok and spf_record
        if ok:
            m.append(("f_spf",))
    if "dmarc" in checks:
        for stage, cond in (("f_dmarc_record", o["posture"] in
                             ("reject", "quarantine", "none", "invalid")),
                            ("f_valid", o["posture"] in ("reject", "quarantine", "none")),
                            ("f_enforcing", o["enforcing"] is True),
                            ("f_reject", o["posture"] == "reject")):
            ok = ok and cond
            if ok:
                m.append((stage,))
    return m, orgs


def render_top(orgs, k, total):
    top = sorted(orgs.items(), key=lambda kv: (-kv[1], kv[0].encode()))
    return {"exact": len(orgs) <= k, "top": [{"org": o, "n": n, "total": total, "error": 0}
                                             for o, n in top[:k]]}


def render_group(g, checks, k):
    c = g.c
    ok = c[("status", "OK")]
    ill = c[("status", "ILLEGAL_INPUT")]
    exc = c[("status", "EXCLUDED")]
    out = {"statuses": {"OK": ok, "ILLEGAL_INPUT": ill, "EXCLUDED": exc},
           "totals": {"lines": ok + ill + exc, "domains": ok + ill, "scanned": ok}}
    pub = sum(c[("posture", p)] for p in ("reject", "quarantine", "none", "invalid"))
    if "dmarc" in checks:
        out["totals"]["publishers"] = pub
    out["exists"] = {k2: rate(c[("exists", k2)], ok) for k2 in ("true", "false", "null")}
    funnel = {"domains": rate(ok, ok + ill)}
    prev = ok
    stages = []
    if "spf" in checks or "mx" in checks:
        stages.append("resolving")
    if "mx" in checks:
        stages.append("mx")
    if "spf" in checks:
        stages.append("spf")
    if "dmarc" in checks:
        stages += ["dmarc_record", "valid", "enforcing", "reject"]
    for s in stages:
        n = c[("f_" + s,)]
        funnel[s] = rate(n, prev)
        prev = n
    out["funnel"] = funnel
    if "dmarc" in checks:
        out["posture"] = {p: rate(c[("posture", p)], ok) for p in POSTURES}
        out["posture_publishers"] = {p: rate(c[("posture", p)], pub)
                                     for p in ("reject", "quarantine", "none", "invalid")}
        valid = c[("dmarc_valid",)]
        out["policy"] = {
            "enforcing": rate(c[("enforcing",)], ok),
            "partial": rate(c[("partial",)], c[("posture", "reject")]
                            + c[("posture", "quarantine")]),
            "sp_weaker": rate(c[("sp_weaker",)], valid),
            "np_weaker": rate(c[("np_weaker",)], valid)}
        ext = c[("external",)]
        out["reports"] = {
            "rua": rate(c[("rua",)], valid), "ruf": rate(c[("ruf",)], valid),
            "external": rate(ext, c[("receivers",)]),
            "external_authorized": rate(c[("external_authorized",)], ext),
            "external_not_authorized": rate(c[("external_not_authorized",)], ext)}
        out["receivers"] = render_top(g.orgs, k, c[("receivers",)])
        out["spoofable"] = {s: rate(c[("spoofable", s)], ok) for s in SPOOFABLE}
    if "spf" in checks:
        rec = c[("spf_record",)]
        out["spf"] = {
            "record": rate(rec, ok),
            "result": {r: rate(c[("spf_result", r)], ok) for r in SPF_RESULTS},
            "all": {a: rate(c[("spf_all", a)], rec) for a in SPF_ALL},
            "permissive": rate(c[("spf_permissive",)], rec),
            "too_many_lookups": rate(c[("spf_too_many_lookups",)], rec),
            "too_many_void_lookups": rate(c[("spf_too_many_void_lookups",)], rec)}
    if "mx" in checks:
        out["mx"] = {m: rate(c[("mail", m)], ok) for m in MAIL}
    dns = {}
    for chk in ("dmarc", "spf", "mx"):
        if chk in checks:
            dns[chk] = {key[1]: rate(n, ok) for key, n in c.items()
                        if key[0] == chk + "_status" and n}
    out["dns_status"] = dns
    return out


def bucket(rank):
    for i, edge in enumerate((1000, 10000, 100000, 1000000)):
        if rank <= edge:
            return i
    return 4


BUCKETS = ["1-1k", "1k-10k", "10k-100k", "100k-1M", ">1M"]


def summarize(objs, checks, sectors):
    """The summary's aggregate members, counted from the lines."""
    whole, tlds, ranks = Group(), collections.defaultdict(Group), collections.defaultdict(Group)
    secs = collections.defaultdict(Group)
    ranked = False
    for o in objs:
        marks, orgs = line_marks(o, checks)
        groups = [whole]
        if o["status"] != "ILLEGAL_INPUT":
            groups.append(tlds[o["domain"].rsplit(".", 1)[-1]])
        if "rank" in o:
            ranked = True
            groups.append(ranks[bucket(o["rank"])])
        if sectors and "sector" in o:
            groups.append(secs[o["sector"]])
        for g in groups:
            g.c.update(marks)
            g.orgs.update(orgs)
    out = render_group(whole, checks, TOP_K)
    out["by_tld"] = {t: render_group(g, checks, GROUP_K) for t, g in tlds.items()}
    if ranked:
        out["by_rank_bucket"] = {BUCKETS[b]: render_group(ranks[b], checks, GROUP_K)
                                 for b in range(5)}
    if sectors:
        out["by_sector"] = {s: render_group(g, checks, GROUP_K) for s, g in secs.items()}
    out["unlisted"] = {"by_tld": 0}
    if sectors:
        out["unlisted"]["by_sector"] = 0
    return out


# ------------------------------------------------------------------ comparing

def receivers_ok(path, got, want, diffs):
    """Exact tables must match exactly; a table must say it is inexact exactly when there
    were more organizations than counters, and then every listed count n, with its error,
    must hold the truth (n - error <= true <= n), and no organization counted more than the
    least listed or (sum of the listed) / k may be missing."""
    full = want["_full"]
    want = {k: v for k, v in want.items() if k != "_full"}
    if not isinstance(got, dict) or got.get("exact") != want["exact"]:
        diffs.append("%s.exact: %r, want %r" % (path, (got or {}).get("exact"), want["exact"]))
        return
    if want["exact"]:
        if got != want:
            diffs.append("%s: %s, want %s" % (path, json.dumps(got)[:300],
                                               json.dumps(want)[:300]))
        return
    top = got.get("top", [])
    if len(top) != len(want["top"]):
        diffs.append("%s.top: %d entries, want %d" % (path, len(top), len(want["top"])))
    for e in top:
        true = full.get(e["org"], 0)
        if not e["n"] - e["error"] <= true <= e["n"] or e["total"] != want["top"][0]["total"]:
            diffs.append("%s: %s counted %d (error %d) of %d, truly %d of %d" % (
                path, e["org"], e["n"], e["error"], e["total"], true, want["top"][0]["total"]))
    listed = {e["org"] for e in top}
    bound = sum(e["n"] for e in top) / max(len(want["top"]), 1)
    least = min((e["n"] for e in top), default=0)
    for org, n in full.items():
        if org not in listed and (n > bound or n > least):
            diffs.append("%s: %s (%d lines) is not listed (bound %.1f, least %d)"
                         % (path, org, n, bound, least))


def compare(path, got, want, diffs):
    if isinstance(want, dict) and "exact" in want and "top" in want:
        receivers_ok(path, got, want, diffs)
    elif isinstance(want, dict):
        if not isinstance(got, dict):
            diffs.append("%s: %r, want an object" % (path, got))
            return
        for k in sorted(set(want) | set(got)):
            if k not in got:
                diffs.append("%s.%s: missing" % (path, k))
            elif k not in want:
                diffs.append("%s.%s: not expected (%s)" % (path, k, json.dumps(got[k])[:200]))
            else:
                compare("%s.%s" % (path, k), got[k], want[k], diffs)
    elif got != want or type(got) is not type(want):
        diffs.append("%s: %r, want %r" % (path, got, want))


def attach_full(want, objs, checks, sectors):
    """Give every receivers table of want the true count of every organization (_full)."""
    full = summarize_full(objs, checks, sectors)

    def copy(w, f):
        if not isinstance(w, dict):
            return
        if "exact" in w and "top" in w:
            w["_full"] = {e["org"]: e["n"] for e in f["top"]}
            return
        for k, v in w.items():
            if k in f:
                copy(v, f[k])
    copy(want, full)


def summarize_full(objs, checks, sectors):
    global TOP_K, GROUP_K
    saved = TOP_K, GROUP_K
    TOP_K = GROUP_K = 10 ** 9
    try:
        return summarize(objs, checks, sectors)
    finally:
        TOP_K, GROUP_K = saved


AGGREGATE_SKIP = ("schema", "tool", "scan", "started", "ended", "partial")


def check_summary(name, summary, objs, checks, sectors):
    want = summarize(objs, checks, sectors)
    attach_full(want, objs, checks, sectors)
    got = {k: v for k, v in summary.items() if k not in AGGREGATE_SKIP}
    diffs = []
    compare("summary", got, want, diffs)
    C.check("%s: the summary equals the counts of the %d lines" % (name, len(objs)), not diffs,
            itlib.first_diffs(diffs, 20))
    posture = summary.get("posture")
    if "dmarc" in checks and isinstance(posture, dict):
        t = summary["totals"]
        C.check("%s: posture classes sum to totals.domains less illegal lines" % name,
                sum(v["n"] for v in posture.values())
                == t["domains"] - summary["statuses"]["ILLEGAL_INPUT"], json.dumps(t))
    for chk in ("spf", "mx"):
        C.check("%s: %s aggregates %s" % (name, chk, "present" if chk in checks else "absent"),
                (chk in summary) == (chk in checks)
                and (chk in summary.get("dns_status", {})) == (chk in checks),
                sorted(summary))


# ------------------------------------------------------------------ the world and its input

SPF_RECORDS = ["v=spf1 -all", "v=spf1 mx ~all", "v=spf1 ?all", "v=spf1 +all",
               "v=spf1 ip4:192.0.2.1", "v=spf1 include:gone-%(d)s -all",
               "v=spf1 %(many)s -all", "v=spf1 redirect=%(d)s.nowhere"]


def add_mail_records(world):
    """SPF (every all, no all, a missing include, over the lookup limit, two records) and MX
    (hosts, null MX, a null MX beside a host) at some domains' apex, and report
    authorizations for some external receivers, so that every SPF, MX and reporting
    aggregate has something to count. dsworld's VERSION 1 worlds have none of these."""
    rng = random.Random(SEED + 1)
    extra = collections.defaultdict(list)
    for t in dsworld.load_truth(world).values():
        d, zone = t["domain"], t["zone"]
        if t["category"] == "nodomain":
            continue
        r = rng.random()
        if r < 0.7:
            many = " ".join("a:h%d.%s" % (i, d) for i in range(11))
            rec = rng.choice(SPF_RECORDS) % {"d": d, "many": many}
            extra[zone].append('%s. TXT "%s"' % (d, rec))
            if "a:h0." in rec:
                extra[zone] += ["h%d.%s. A 192.0.2.%d" % (i, d, i + 1) for i in range(11)]
            if r < 0.03:
                extra[zone].append('%s. TXT "v=spf1 -all"' % d)  # multiple records
        r = rng.random()
        if r < 0.5:
            extra[zone].append("%s. MX 10 mx1.%s." % (d, d))
        elif r < 0.6:
            extra[zone].append("%s. MX 0 ." % d)
        elif r < 0.63:
            extra[zone] += ["%s. MX 0 ." % d, "%s. MX 10 mx1.%s." % (d, d)]
        for rec in t["dmarc"]["records"]:
            for host in re.findall(r"mailto:[^@,;!\s]+@([a-z0-9.-]+)", rec):
                if host.split(".")[-1] in ("example", "test", "sim") and rng.random() < 0.5 \
                        and not host.endswith(d):
                    extra[host.split(".")[-1]].append(
                        '%s._report._dmarc.%s. TXT "v=DMARC1"' % (d, host))
    for zone, lines in extra.items():
        with open(os.path.join(world, "zones", zone + ".zone"), "a") as f:
            f.write("\n".join(sorted(set(lines))) + "\n")


def write_input(world, tmp):
    """A headered CSV: rank, domain, sector; returns (path, excluded names, data rows)."""
    rng = random.Random(SEED)
    with open(os.path.join(world, "domains.txt")) as f:
        domains = [l.strip() for l in f if l.strip()]
    ranks = RANK_EDGES + sorted(rng.sample(range(1, 3000000), len(domains)))
    rows = []
    for i, d in enumerate(domains):
        sector = rng.choice(SECTORS) if rng.random() > 0.1 else ""
        rows.append((ranks[i], d, sector))
    for j, bad in enumerate(ILLEGAL):
        rows.insert(17 + 31 * j, (ranks[len(domains) + j], bad, rng.choice(SECTORS)))
    rows.insert(50, (42, domains[3], SECTORS[0]))  # a repeated name
    rows.insert(60, (43, "foo.notserved", SECTORS[1]))  # outside every zone: REFUSED
    rows.insert(70, (44, domains[5].upper() + ".", ""))
    excluded = domains[100:110]
    path = os.path.join(tmp, "input.csv")
    with open(path, "w") as f:
        f.write("rank,domain,sector\n")
        for r, d, s in rows:
            f.write('%d,%s,%s\n' % (r, d, '"%s"' % s.replace('"', '""') if s else ""))
    with open(os.path.join(tmp, "exclude.txt"), "w") as f:
        f.write("\n".join(excluded) + "\n")
    return path, excluded, len(rows)


def check_scan_section(name, summary, argv, input_path, nrows, checks, partial):
    sc = summary.get("scan") or {}
    with open(input_path, "rb") as f:
        data = f.read()
    ins = sc.get("inputs") or [{}]
    C.check("%s: schema 1, tool dmarcscan" % name, summary.get("schema") == 1
            and (summary.get("tool") or {}).get("name") == "dmarcscan", summary.get("tool"))
    C.check("%s: scan.argv is the command line" % name,
            sc.get("argv") == ["dmarcscan"] + argv[1:], sc.get("argv"))
    C.check("%s: scan.checks, discovery, timeout, retries, resolvers" % name,
            sc.get("checks") == checks and sc.get("discovery") == "tree"
            and sc.get("timeout_ms") == 1000 and sc.get("retries") == 2
            and len(sc.get("resolvers") or []) == 1 and isinstance(sc.get("psl"), dict),
            json.dumps({k: v for k, v in sc.items() if k != "inputs"})[:600])
    if partial:
        return
    C.check("%s: the input's sha256, bytes, format and rows" % name,
            len(ins) == 1 and ins[0].get("sha256") == hashlib.sha256(data).hexdigest()
            and ins[0].get("bytes") == len(data) and ins[0].get("format") == "csv"
            and ins[0].get("rows") == nrows and ins[0].get("path") == input_path,
            "%s; want sha256 %s, %d bytes, %d rows" % (json.dumps(ins),
                                                     hashlib.sha256(data).hexdigest(),
                                                     len(data), nrows))
    C.check("%s: scan.duplicates 2 (a repeated name, one in upper case), illegal %d"
            % (name, len(ILLEGAL)),
            sc.get("duplicates") == 2 and sc.get("illegal") == len(ILLEGAL),
            "duplicates %r illegal %r" % (sc.get("duplicates"), sc.get("illegal")))


def read_summary(name, path):
    if not C.check("%s: summary written" % name, os.path.exists(path), path):
        return None
    with open(path) as f:
        try:
            return json.load(f)
        except ValueError as e:
            C.check("%s: summary is JSON" % name, False, e)
            return None


def test_checks(binary, tmp, port, input_path, nrows, checks, threads):
    """threads: classifier threads, each with its own summary until they are merged."""
    name = "checks %s, %d threads" % (",".join(checks), threads)
    out = os.path.join(tmp, "out-%s.ndjson" % "-".join(checks))
    summ = os.path.join(tmp, "summary-%s.json" % "-".join(checks))
    args = ["-q", "-r", "127.0.0.1:%d" % port, "-o", out, "--summary", summ,
            "--sector-column", "sector", "--checks", ",".join(checks), "--timeout", "1000",
            "--retries", "2", "--exclude", os.path.join(tmp, "exclude.txt"), "-j", str(threads),
            input_path]
    rc, _, err, secs = itlib.run_scan(binary, args)
    C.check("%s: exits 0 (%.1f s)" % (name, secs), rc == 0, err.decode(errors="replace")[-2000:])
    objs = itlib.read_ndjson(C, name, out)
    summary = read_summary(name, summ)
    if objs is None or summary is None:
        return
    C.check("%s: not partial" % name, summary.get("partial") is False, summary.get("partial"))
    C.check("%s: no summary.tmp left behind" % name, not os.path.exists(summ + ".tmp"))
    check_scan_section(name, summary, ["dmarcscan", "scan"] + args, input_path, nrows, checks,
                       False)
    check_summary(name, summary, objs, checks, True)
    check_report_of_lines(binary, name, out, objs, checks)
    counted = {"reports.external_authorized": (summary.get("reports") or {})
               .get("external_authorized", {}).get("n")}
    if "spf" in checks:
        spf = summary.get("spf") or {}
        for k in ("fail", "softfail", "neutral", "pass", "null"):
            counted["spf.all." + k] = spf.get("all", {}).get(k, {}).get("n")
        for k in ("permissive", "too_many_lookups"):
            counted["spf." + k] = spf.get(k, {}).get("n")
        counted["spf.result.permerror"] = spf.get("result", {}).get("permerror", {}).get("n")
    if "mx" in checks:
        for k in ("hosts", "null_mx", "no_mx"):
            counted["mx." + k] = (summary.get("mx") or {}).get(k, {}).get("n")
    C.check("%s: the world gives every aggregate something to count" % name,
            all(isinstance(v, int) and v > 0 for v in counted.values()), counted)
    st = summary.get("statuses", {})
    C.check("%s: the input covers every status and bucket" % name,
            st.get("ILLEGAL_INPUT") == len(ILLEGAL) and st.get("EXCLUDED") == 10
            and all(v["statuses"]["OK"] > 0
                    for v in (summary.get("by_rank_bucket") or {"": {"statuses": {"OK": 0}}})
                    .values()), json.dumps(st))


def check_report_of_lines(binary, name, out, objs, checks):
    """`dmarcscan report --format json OUT` counts the lines with the scan's aggregator: it
    must equal the counting of the lines here as the summary does."""
    r = subprocess.run([binary, "report", "--format", "json", out], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    if not C.check("%s: report --format json of the lines exits 0" % name, r.returncode == 0,
                   r.stderr.decode(errors="replace")):
        return
    got = json.loads(r.stdout)
    C.check("%s: the report names the lines it counted" % name,
            (got.get("source") or {}).get("lines") == len(objs), got.get("source"))
    check_summary(name + ", report of the lines", {k: v for k, v in got.items() if k != "source"},
                  objs, checks, True)


def test_interrupt(binary, tmp, port, input_path):
    """SIGINT mid-scan: the summary is written, partial, and counts the lines written."""
    name = "interrupted"
    out = os.path.join(tmp, "out-int.ndjson")
    summ = os.path.join(tmp, "summary-int.json")
    args = ["scan", "-q", "-r", "127.0.0.1:%d" % port, "-o", out, "--summary", summ,
            "--sector-column", "sector", "--rate", "400", "--timeout", "1000",
            "--retries", "2", input_path]
    proc = subprocess.Popen([binary] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Wait until some lines are out (the scan takes ~10 s at this rate), then interrupt.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(out) and os.path.getsize(out) > 20000:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        C.check("%s: ends after SIGINT" % name, False)
        return
    C.check("%s: exits 130" % name, proc.returncode == 130,
            "exit %s: %s" % (proc.returncode, err.decode(errors="replace")[-1000:]))
    objs = itlib.read_ndjson(C, name, out)
    summary = read_summary(name, summ)
    if objs is None or summary is None:
        return
    C.check("%s: stopped part way (%d lines)" % (name, len(objs)), 0 < len(objs) < nrows_of(input_path),
            len(objs))
    C.check("%s: marked partial" % name, summary.get("partial") is True, summary.get("partial"))
    C.check("%s: statuses sum to the lines written" % name,
            sum(summary.get("statuses", {}).values()) == len(objs),
            "%s for %d lines" % (summary.get("statuses"), len(objs)))
    # the default checks, whichever they are
    checks = (summary.get("scan") or {}).get("checks") or []
    check_summary(name, summary, objs, checks, True)
    check_report_of_lines(binary, name, out, objs, checks)


def nrows_of(path):
    with open(path) as f:
        return sum(1 for _ in f) - 1


def has_check(binary, check):
    r = subprocess.run([binary, "scan", "--checks", check, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return r.returncode == 0


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_summary.py DMARCSCAN [REPO] (or env DMARCSCAN)")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    with tempfile.TemporaryDirectory(prefix="dmarcscan-summary-") as tmp:
        world = os.path.join(tmp, "world")
        manifest = dsworld.generate(world, SEED, COUNT)
        add_mail_records(world)
        input_path, _, nrows = write_input(world, tmp)
        try:
            with dsauth.AuthServer(os.path.join(world, "zones"), os.path.join(tmp, "run"),
                                   wait_zones=manifest["zones"]) as srv:
                test_checks(binary, tmp, srv.port, input_path, nrows, ["dmarc"], 1)
                test_checks(binary, tmp, srv.port, input_path, nrows, ["dmarc"], 4)
                test_checks(binary, tmp, srv.port, input_path, nrows, ["dmarc", "spf"], 3)
                if has_check(binary, "mx"):
                    test_checks(binary, tmp, srv.port, input_path, nrows,
                                ["dmarc", "spf", "mx"], 2)
                else:
                    C.skip("checks dmarc,spf,mx", "this dmarcscan has no mx check yet")
                test_interrupt(binary, tmp, srv.port, input_path)
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
