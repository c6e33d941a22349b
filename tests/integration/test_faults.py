#!/usr/bin/python3
# test_faults.py -- integration test: dmarcscan against scripted misbehaving resolvers
# (tests/faultserver.py), checked domain by domain and query by query.
#
# Usage: test_faults.py [DMARCSCAN [REPO]]   (or env DMARCSCAN; REPO defaults to ../..)
# ctest passes $<TARGET_FILE:dmarcscan> and the source dir. Only 127.0.0.1 is contacted:
# the scanner always gets -r 127.0.0.1:PORT. Prints "N passed, M failed"; exit 1 on failure.
#
# For every scenario the exact dmarc.status, dmarc.records and dmarc.attempts are checked,
# every input domain must appear exactly once, and the servers' per-name query counts show
# how often the scanner asked (UDP and TCP). Runs:
#   basic      one resolver: TXT variants, CNAMEs in and across replies, CNAME loops,
#              NXDOMAIN, NODATA, SERVFAIL/REFUSED/FORMERR, drops, delays, late answers,
#              duplicate answers, 0x20-cased question
#   forged     a forged reply (wrong id / source port / question name / qtype) before the
#              real one; the metadata's drop counters must count exactly the forgeries
#   malformed  broken datagrams the engine drops before matching (then the good answer), and
#              matching replies that do not parse (final MALFORMED, as docs/output.md says)
#   two        two resolvers: retries move to the next one
#   tcp        TC=1 over UDP, full answer over TCP
#   volume     20,000 domains over two resolvers, one dropping 30% (seeded), one delaying
#              every answer by 50 ms: every domain gets its record
# No assertion is about durations; every run and wait is bounded. Env FAULTS_ONLY=basic,two
# runs only the named runs.

import collections
import json
import os
import re
import sys
import tempfile
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
RUN_TIMEOUT = 150  # seconds per scanner run (a hang fails the run, never the whole ctest)
TIMEOUT_MS = 400
RETRIES = 2
VOLUME_COUNT = 20000
VOLUME_SEED = 20260105
DONE_RE = re.compile(r"^done: (\d+) domains")


C = itlib.Checks()
first_diffs = itlib.first_diffs


def short(obj, n=300):
    t = json.dumps(obj)
    return t if len(t) <= n else t[:n] + "... (%d chars)" % len(t)



def scan(binary, args):
    """One lookup per domain: the scenarios count exactly the queries of _dmarc.<domain>."""
    # The engine's faults, one lookup per domain: DMARC alone, exact discovery.
    return itlib.run_scan(binary, ["--discovery", "exact", "--checks", "dmarc"] + list(args),
                          timeout=RUN_TIMEOUT)


def resolver_arg(servers):
    return ",".join("127.0.0.1:%d" % s.port for s in servers)


# ---------------------------------------------------------------- scenarios

class S:
    """One domain's scenario.

    beh: the behaviour of _dmarc.<domain> on every server, or a list with one per server.
    extra: more script names -> behaviour (e.g. a CNAME target), on every server.
    status/records/attempts: the expected dmarc fields; attempts may be a set of choices.
    udp/tcp: expected query counts, a list (one dict name -> count per server); by default
    the _dmarc name was asked `attempts` times over UDP on server 0 and never over TCP.
    fields: more dmarc fields that must be equal. check(obj, counts) -> (ok, detail) for
    relations between the output and the counts. lookups: the engine lookups the domain
    takes (1 + CNAMEs leaving their reply), for the metadata totals."""

    def __init__(self, domain, beh, status, records=(), attempts=1, extra=None, udp=None,
                 tcp=None, fields=None, check=None, title=None, key=None, lookups=1):
        self.domain = domain
        self.qname = "_dmarc." + domain
        self.key = key or self.qname  # the script pattern (a suffix rule, say)
        self.lookups = lookups  # engine lookups: 1 + CNAMEs that leave their reply
        self.beh = beh
        self.status = status
        self.records = list(records)
        self.attempts = attempts
        self.extra = extra or {}
        self.udp = udp
        self.tcp = tcp
        self.fields = fields or {}
        self.check = check
        self.title = title or domain


def scripts_for(scenarios, nservers):
    scripts = [{} for _ in range(nservers)]
    for s in scenarios:
        behs = s.beh if isinstance(s.beh, list) else [s.beh] * nservers
        for i in range(nservers):
            scripts[i][s.key] = behs[i]
            for name, b in s.extra.items():
                scripts[i][name] = b
    return scripts


def load_output(name, path):
    return itlib.read_ndjson(C, name, path)


def load_metadata(name, path):
    try:
        with open(path) as f:
            m = json.load(f)
    except (OSError, ValueError) as e:
        C.check("%s: metadata written and valid JSON" % name, False, e)
        return None
    ok = isinstance(m.get("counters"), dict) and isinstance(m["counters"].get("dropped"), dict)
    C.check("%s: metadata has counters.dropped" % name, ok, json.dumps(m)[:500])
    return m if ok else None


def check_basics(name, rc, out, err, secs, ndomains):
    err_text = err.decode("utf-8", errors="replace")
    lines = [l for l in err_text.splitlines() if l.strip()]
    done = [l for l in lines if DONE_RE.match(l.strip())]
    print("      %.1f s, exit %s, %s" % (secs, rc, done[-1] if done else "(no done line)"))
    if rc is None:
        C.check("%s: scanner finishes within %d s" % (name, RUN_TIMEOUT), False,
                err_text[-3000:])
        return False
    C.check("%s: exits 0" % name, rc == 0, "exit %s; stderr:\n%s" % (rc, err_text[-3000:]))
    C.check("%s: nothing on stdout with -o" % name, out == b"", out[:300])
    m = DONE_RE.match(done[-1].strip()) if done else None
    C.check("%s: closing line counts %d domains" % (name, ndomains),
            m is not None and int(m.group(1)) == ndomains, lines[-1:] or "no stderr")
    return rc == 0


def index_output(name, objs, domains):
    """domain -> object; checks every domain exactly once and nothing else."""
    seen = collections.Counter(o.get("domain") for o in objs)
    missing = [d for d in domains if seen[d] == 0]
    dup = [d for d, k in seen.items() if k > 1]
    extra = [str(d) for d in seen if d not in domains]
    C.check("%s: every input domain appears exactly once (%d)" % (name, len(domains)),
            not missing and not dup and not extra and len(objs) == len(domains),
            "missing %d %s, duplicated %d %s, extra %s"
            % (len(missing), missing[:5], len(dup), dup[:5], extra[:5]))
    return {o.get("domain"): o for o in objs}


def run_scenarios(name, binary, tmp, servers, scenarios, args=()):
    """Scan every scenario's domain against servers; check output and counts. Returns the
    metadata (or None) and {domain: dmarc.attempts}."""
    domains = [s.domain for s in scenarios]
    assert len(set(domains)) == len(domains), "duplicate scenario domains"
    path = os.path.join(tmp, name + ".txt")
    with open(path, "w") as f:
        f.write("".join(d + "\n" for d in domains))
    out_path = os.path.join(tmp, name + ".ndjson")
    meta_path = os.path.join(tmp, name + ".meta.json")
    for s in servers:
        s.stats.reset()
    rc, out, err, secs = scan(binary, ["-r", resolver_arg(servers), "-o", out_path,
                                       "--metadata", meta_path, "-q",
                                       "--timeout", str(TIMEOUT_MS), "--retries", str(RETRIES)]
                              + list(args) + [path])
    check_basics(name, rc, out, err, secs, len(domains))
    time.sleep(0.05)  # let the servers' threads count the last datagrams they received
    snaps = [s.stats.snapshot() for s in servers]
    for i, s in enumerate(servers):
        C.check("%s: server %d script errors: none" % (name, i), not s.errors, s.errors[:5])
    objs = load_output(name, out_path)
    meta = load_metadata(name, meta_path) if rc is not None else None
    if objs is None:
        return meta, {}
    by_domain = index_output(name, objs, domains)
    for s in scenarios:
        check_scenario(name, s, by_domain.get(s.domain), snaps)
    return meta, {d: (o.get("dmarc") or {}).get("attempts") for d, o in by_domain.items()}


def expected_counts(s, kind, nservers):
    want = s.udp if kind == "udp" else s.tcp
    if want == "relational":
        return None
    if want is not None:
        return want
    if kind == "udp" and isinstance(s.attempts, int):
        return [{s.qname: s.attempts}] + [{} for _ in range(nservers - 1)]
    return [{} for _ in range(nservers)] if kind == "tcp" else None


def check_scenario(run, s, o, snaps):
    label = "%s: %s" % (run, s.title)
    if o is None:
        C.check(label + ": has an output line", False)
        return
    d = o.get("dmarc") if isinstance(o.get("dmarc"), dict) else {}
    got = {"status": d.get("status"), "records": d.get("records"),
           "attempts": d.get("attempts")}
    att_ok = (d.get("attempts") in s.attempts if isinstance(s.attempts, (set, frozenset, tuple))
              else d.get("attempts") == s.attempts)
    problems = []
    if o.get("status") != "OK":
        problems.append("line status %r" % o.get("status"))
    if d.get("status") != s.status:
        problems.append("dmarc.status %r, expected %r" % (d.get("status"), s.status))
    if d.get("records") != s.records:
        problems.append("dmarc.records %s, expected %s"
                        % (short(d.get("records")), short(s.records)))
    if not att_ok:
        problems.append("dmarc.attempts %r, expected %r" % (d.get("attempts"), s.attempts))
    for k, v in s.fields.items():
        if d.get(k, "(absent)") != v:
            problems.append("dmarc.%s %r, expected %r" % (k, d.get(k, "(absent)"), v))
    want_loc = ("_dmarc." + s.domain) if s.records else None
    if "location" not in s.fields and d.get("location") != want_loc:
        problems.append("dmarc.location %r, expected %r" % (d.get("location"), want_loc))
    # server-side counts
    for kind in ("udp", "tcp"):
        want = expected_counts(s, kind, len(snaps))
        if want is None:
            continue
        for i, w in enumerate(want):
            names = set(w) | {s.qname} | set(s.extra)
            for n in sorted(names):
                have = snaps[i][kind].get(n, 0)
                if have != w.get(n, 0):
                    problems.append("server %d got %d %s queries for %s, expected %d"
                                    % (i, have, kind.upper(), n, w.get(n, 0)))
    if s.check:
        ok, detail = s.check(o, snaps)
        if not ok:
            problems.append(detail)
    recs = json.dumps(s.records)
    want_text = "%s %s attempts=%s" % (s.status, recs if len(recs) < 90 else recs[:80] + "...",
                                       s.attempts)
    C.check("%s -> %s" % (label, want_text), not problems,
            "\n".join(problems) + "\ngot: " + short(got) + "\nline: " + short(o, 600))


def asked_all(o, snaps, zone):
    """Relational check: the queries for names under zone add up to dmarc.attempts."""
    n = sum(c for name, c in snaps[0]["udp"].items()
            if name == zone or name.endswith("." + zone))
    return n == o["dmarc"].get("attempts"), \
        "servers got %d queries under %s, attempts %r" % (n, zone, o["dmarc"].get("attempts"))


def counts_of(snaps, kind, name):
    return [sn[kind].get(name, 0) for sn in snaps]


# ---------------------------------------------------------------- the runs

DMARC = "v=DMARC1; p=reject; rua=mailto:agg@example.net"
BIG = "v=DMARC1; p=reject; rua=mailto:" + ",mailto:".join(
    "agg%03d@reports.example.net" % i for i in range(120))  # ~3.6 kB: beyond 1232 octets


def basic_scenarios():
    late = TIMEOUT_MS * 2 + 200  # well past the per-attempt timeout
    return [
        S("ok.test", {"txt": [DMARC]}, "NOERROR", [DMARC], 1,
          fields={"discovery": "exact", "other_txt": 0}, title="one TXT record"),
        S("multistring.test", {"txt": [["v=DMARC1; ", "p=quarantine; ", "pct=50"]]},
          "NOERROR", ["v=DMARC1; p=quarantine; pct=50"], 1,
          title="multi-string TXT joined without separator"),
        S("long.test", {"txt": ["v=DMARC1; p=none; rua=" + "r" * 700]}, "NOERROR",
          ["v=DMARC1; p=none; rua=" + "r" * 700], 1,
          title="700-octet record in 3 character-strings (fits UDP)"),
        S("bigudp.test", {"txt": [BIG], "no_truncate": True}, "NOERROR", [BIG], 1,
          title="3.6 kB UDP reply beyond the advertised 1232 octets is still read"),
        S("mixed.test", {"txt": ["google-site-verification=abc", "v=DMARC1; p=none",
                                 "v=spf1 -all"]},
          "NOERROR", ["v=DMARC1; p=none"], 1, fields={"other_txt": 2},
          title="DMARC among other TXT"),
        S("two.test", {"txt": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]}, "NOERROR",
          ["v=DMARC1; p=none", "v=DMARC1; p=reject"], 1, title="two DMARC records"),
        S("cname-in.test", {"cname": ["hop1.cname-in.test", "rec.policy.test"],
                            "txt": ["v=DMARC1; p=quarantine"]},
          "NOERROR", ["v=DMARC1; p=quarantine"], 1,
          fields={"cname_target": "rec.policy.test", "location": "_dmarc.cname-in.test"},
          udp=[{"_dmarc.cname-in.test": 1, "rec.policy.test": 0}],
          title="CNAME chain inside one reply"),
        S("cname-out.test", {"cname": ["rec.elsewhere.test"], "cname_only": True},
          "NOERROR", ["v=DMARC1; p=reject; fo=1"], 2,
          extra={"rec.elsewhere.test": {"txt": ["v=DMARC1; p=reject; fo=1"]}},
          fields={"cname_target": "rec.elsewhere.test", "location": "_dmarc.cname-out.test"},
          udp=[{"_dmarc.cname-out.test": 1, "rec.elsewhere.test": 1}], lookups=2,
          title="CNAME leaving the reply: target asked once"),
        S("cname-dangling.test", {"cname": ["gone.elsewhere.test"], "cname_only": True},
          "NXDOMAIN", [], 2, extra={"gone.elsewhere.test": {"rcode": "NXDOMAIN"}},
          udp=[{"_dmarc.cname-dangling.test": 1, "gone.elsewhere.test": 1}], lookups=2,
          title="dangling CNAME -> NXDOMAIN of the target"),
        S("cname-out-sf.test", {"cname": ["rec.broken.test"], "cname_only": True},
          "SERVFAIL", [], 1 + RETRIES + 1, extra={"rec.broken.test": {"rcode": "SERVFAIL"}},
          udp=[{"_dmarc.cname-out-sf.test": 1, "rec.broken.test": RETRIES + 1}], lookups=2,
          title="CNAME target always SERVFAIL: target retried, attempts summed"),
        S("cname-8.test", {"cname": ["e%d.chain8.test" % i for i in range(1, 9)],
                           "txt": ["v=DMARC1; p=none; links=8"]},
          "NOERROR", ["v=DMARC1; p=none; links=8"], 1,
          fields={"cname_target": "e8.chain8.test"},
          title="8-link CNAME chain in one reply (the limit) is followed"),
        S("xchain8.test", {"cname": ["x1.xchain8.test"], "cname_only": True}, "NOERROR",
          ["v=DMARC1; p=reject; links=8"], 9,
          extra=dict([("x%d.xchain8.test" % i, {"cname": ["x%d.xchain8.test" % (i + 1)],
                                                "cname_only": True}) for i in range(1, 8)]
                     + [("x8.xchain8.test", {"txt": ["v=DMARC1; p=reject; links=8"]})]),
          fields={"cname_target": "x8.xchain8.test"},
          udp=[dict([("_dmarc.xchain8.test", 1)]
                    + [("x%d.xchain8.test" % i, 1) for i in range(1, 9)])], lookups=9,
          title="8-link CNAME chain across 9 replies is followed"),
        S("xchain9.test", {"cname": ["y1.xchain9.test"], "cname_only": True}, "CNAME_LOOP",
          [], set(range(2, 11)),
          extra=dict([("y%d.xchain9.test" % i, {"cname": ["y%d.xchain9.test" % (i + 1)],
                                                "cname_only": True}) for i in range(1, 9)]
                     + [("y9.xchain9.test", {"txt": ["v=DMARC1; p=reject; links=9"]})]),
          udp="relational", check=lambda o, snaps: asked_all(o, snaps, "xchain9.test"),
          title="9-link CNAME chain across replies: CNAME_LOOP"),
        S("xloop.test", {"cname": ["z.xloop.test"], "cname_only": True}, "CNAME_LOOP", [],
          set(range(2, 11)),
          extra={"z.xloop.test": {"cname": ["_dmarc.xloop.test"], "cname_only": True}},
          udp="relational", check=lambda o, snaps: asked_all(o, snaps, "xloop.test"),
          title="CNAME loop across two replies: CNAME_LOOP, bounded"),
        S("cname-loop.test", {"cname": ["a.loop.test", "_dmarc.cname-loop.test"],
                              "cname_only": True},
          "CNAME_LOOP", [], 1, title="CNAME loop inside the reply"),
        S("cname-long.test", {"cname": ["c%d.chain.test" % i for i in range(1, 10)],
                              "txt": ["v=DMARC1; p=none"]},
          "CNAME_LOOP", [], 1, title="9-link CNAME chain (over the limit of 8)"),
        S("cname-nx.test", {"cname": ["gone.cname-nx.test"], "rcode": "NXDOMAIN"},
          "NXDOMAIN", [], 1, fields={"cname_target": "gone.cname-nx.test"},
          udp=[{"_dmarc.cname-nx.test": 1, "gone.cname-nx.test": 0}],
          title="CNAME to a missing name in one reply: NXDOMAIN, target not asked"),
        S("stray.test", {"txt": ["v=DMARC1; p=none; own=1"],
                         "stray_txt": {"_dmarc.other.test": ["v=DMARC1; p=reject; stray=1"],
                                       "stray.test": ["v=DMARC1; p=reject; stray=2"]}},
          "NOERROR", ["v=DMARC1; p=none; own=1"], 1, fields={"other_txt": 0},
          title="TXT records of other owners in the answer are ignored"),
        S("stray-only.test", {"stray_txt": {"_dmarc.other.test": ["v=DMARC1; p=reject"]}},
          "NOERROR", [], 1, fields={"other_txt": 0, "location": None},
          title="only other owners' TXT: no record"),
        S("badutf8.test", {"txt": [["v=DMARC1; p=none; x=", "hex:ff", "y"]]}, "NOERROR",
          ["v=DMARC1; p=none; x=\ufffdy"], 1, title="invalid UTF-8 octet becomes U+FFFD"),
        S("nx.test", {"rcode": "NXDOMAIN"}, "NXDOMAIN", [], 1,
          fields={"location": None, "discovery": None}, title="NXDOMAIN asked exactly once"),
        S("nodata.test", {"rcode": "NOERROR"}, "NOERROR", [], 1,
          fields={"location": None, "discovery": None, "other_txt": 0},
          title="NODATA asked exactly once"),
        S("servfail.test", {"rcode": "SERVFAIL"}, "SERVFAIL", [], RETRIES + 1,
          title="SERVFAIL always: asked retries+1 times, final SERVFAIL"),
        S("refused.test", {"rcode": "REFUSED"}, "REFUSED", [], RETRIES + 1,
          title="REFUSED always: asked retries+1 times, final REFUSED"),
        S("servfail-once.test", {"txt": [DMARC], "steps": [{"rcode": "SERVFAIL"}, {}]},
          "NOERROR", [DMARC], 2, title="SERVFAIL then the answer"),
        S("refused-then-nx.test", {"steps": [{"rcode": "REFUSED"}, {"rcode": "NXDOMAIN"}]},
          "NXDOMAIN", [], 2, title="REFUSED then NXDOMAIN"),
        S("formerr.test", {"rcode": "FORMERR"}, "FORMERR", [], 1,
          title="FORMERR is final (not retried)"),
        S("drop2.test", {"txt": [DMARC], "drop_first": 2}, "NOERROR", [DMARC], 3,
          title="first 2 queries dropped: asked exactly 3 times"),
        S("drop1-nx.test", {"rcode": "NXDOMAIN", "drop_first": 1}, "NXDOMAIN", [], 2,
          title="first query dropped, then NXDOMAIN"),
        S("drop3.test", {"txt": [DMARC], "drop_first": 3}, "TIMEOUT", [], RETRIES + 1,
          title="more drops than attempts: TIMEOUT after retries+1"),
        S("blackhole.test", {"drop": True}, "TIMEOUT", [], RETRIES + 1,
          fields={"location": None}, title="never answered: TIMEOUT"),
        S("sf-sf-drop.test", {"steps": [{"rcode": "SERVFAIL"}, {"rcode": "SERVFAIL"},
                                        {"drop": True}]},
          "TIMEOUT", [], 3, title="SERVFAIL, SERVFAIL, no answer: TIMEOUT"),
        S("drop-drop-sf.test", {"steps": [{"drop": True}, {"drop": True},
                                          {"rcode": "SERVFAIL"}]},
          "SERVFAIL", [], 3, title="no answer twice, then SERVFAIL: SERVFAIL"),
        S("delay.test", {"txt": [DMARC], "delay_ms": TIMEOUT_MS // 4}, "NOERROR", [DMARC], 1,
          title="answer delayed by a quarter of the timeout"),
        S("late.test", {"txt": ["v=DMARC1; p=reject; from=retry"],
                        "steps": [{"delay_ms": late, "txt": ["v=DMARC1; p=none; from=late"]},
                                  {}]},
          "NOERROR", ["v=DMARC1; p=reject; from=retry"], 2,
          title="first answer after the timeout: the retry's answer counts"),
        S("twice.test", {"txt": [DMARC], "twice": True}, "NOERROR", [DMARC], 1,
          title="answer sent twice: one line, one attempt"),
        S("upper.test", {"txt": [DMARC], "upper_question": True}, "NOERROR", [DMARC], 1,
          title="question echoed in upper case (0x20) accepted"),
        S("x1.sfx.test", {"txt": ["v=DMARC1; p=none; d={domain}"], "drop_first": 1},
          "NOERROR", ["v=DMARC1; p=none; d=x1.sfx.test"], 2, key="*.sfx.test",
          title="suffix rule with a templated record, first query dropped"),
    ]


def test_basic(binary, tmp, fs):
    scen = basic_scenarios()
    with fs.FaultServer(scripts_for(scen, 1)[0], seed=1, name="basic") as srv:
        print("faultserver on 127.0.0.1:%d" % srv.port)
        meta, attempts = run_scenarios("basic", binary, tmp, [srv], scen, ["-c", "100"])
    if meta:
        c = meta["counters"]
        # a lookup per domain and per CNAME leaving its reply; chains the scanner may cut
        # short count their actual attempts (one lookup each, never retried)
        fixed = [s for s in scen if isinstance(s.attempts, int)]
        loose = sum(attempts.get(s.domain, 0) for s in scen if s not in fixed)
        sent = sum(s.attempts for s in fixed) + loose
        nlookups = sum(s.lookups for s in fixed) + loose
        nret = sent - nlookups
        C.check("basic: metadata lookups %d, sent %d, retried %d"
                % (nlookups, nret + nlookups, nret),
                (c.get("lookups"), c.get("sent"), c.get("retried"))
                == (nlookups, nret + nlookups, nret),
                json.dumps({k: c.get(k) for k in ("lookups", "sent", "retried", "answered",
                                                  "timeouts")}))


FORGE_PER_KIND = 3


def forged_scenarios():
    scen = []
    for kind in ("id", "port", "qname", "qtype"):
        for i in range(FORGE_PER_KIND):
            rec = "v=DMARC1; p=reject; real=%s%d" % (kind, i)
            scen.append(S("forged-%s-%d.test" % (kind, i), {"forge": kind, "txt": [rec]},
                          "NOERROR", [rec], 1,
                          title="forged reply (wrong %s) first, then the real one #%d"
                          % (kind, i)))
    rec = "v=DMARC1; p=reject; real=all"
    scen.append(S("forged-all.test", {"forge": ["id", "port", "qname", "qtype"],
                                      "txt": [rec]},
                  "NOERROR", [rec], 1, title="all four forgeries first, then the real one"))
    return scen


def test_forged(binary, tmp, fs):
    scen = forged_scenarios()
    with fs.FaultServer(scripts_for(scen, 1)[0], seed=2, name="forged") as srv:
        meta, _ = run_scenarios("forged", binary, tmp, [srv], scen)
    if not meta:
        return
    drop = meta["counters"]["dropped"]
    n = FORGE_PER_KIND + 1
    want = {"unknown_id": n, "wrong_source": n, "wrong_question": 2 * n, "malformed": 0}
    for k, v in want.items():
        C.check("forged: metadata dropped.%s == %d" % (k, v), drop.get(k) == v,
                json.dumps(drop))
    res = meta.get("resolvers") or [{}]
    C.check("forged: resolver 'mismatched' counts the wrong questions (%d)" % (2 * n),
            res[0].get("mismatched") == 2 * n, json.dumps(res))


# malformed datagrams the engine can tell before matching: dropped, the good answer follows
DROPPED_MALFORMED = ("short_header", "qname_loop", "qdcount")
# matching replies (right id, source and question) whose records do not parse: dropped like
# any bad datagram (the real answer may still come); MALFORMED only if no attempt did better
FINAL_MALFORMED = ("ancount", "rdlen", "answer_loop")


def malformed_scenarios():
    scen = []
    for kind in DROPPED_MALFORMED:
        rec = "v=DMARC1; p=reject; after=%s" % kind
        scen.append(S("mf-first-%s.test" % kind.replace("_", "-"),
                      {"malformed_first": kind, "txt": [rec]}, "NOERROR", [rec], 1,
                      title="malformed (%s) first, then the good answer" % kind))
    for kind in FINAL_MALFORMED:
        scen.append(S("mf-only-%s.test" % kind.replace("_", "-"),
                      {"malformed": kind, "txt": [DMARC]}, "MALFORMED", [], RETRIES + 1,
                      title="matching reply that never parses (%s): dropped, retried, "
                      "MALFORMED at the end" % kind))
    scen.append(S("mf-first-rdlen.test", {"malformed_first": "rdlen", "txt": [DMARC]},
                  "NOERROR", [DMARC], 1,
                  title="matching but unparsable reply first: dropped, the good one after it "
                  "is taken"))
    scen.append(S("mf-always-short.test", {"malformed": "short_header"}, "TIMEOUT", [],
                  RETRIES + 1, title="only 7-octet replies: dropped, TIMEOUT after retries"))
    return scen


def test_malformed(binary, tmp, fs):
    scen = malformed_scenarios()
    with fs.FaultServer(scripts_for(scen, 1)[0], seed=3, name="malformed") as srv:
        meta, _ = run_scenarios("malformed", binary, tmp, [srv], scen)
    if not meta:
        return
    drop = meta["counters"]["dropped"]
    want_mf = (len(DROPPED_MALFORMED) + (RETRIES + 1) + len(FINAL_MALFORMED) * (RETRIES + 1)
               + 1)
    C.check("malformed: metadata dropped.malformed == %d" % want_mf,
            drop.get("malformed") == want_mf, json.dumps(drop))
    C.check("malformed: no other drops",
            (drop.get("unknown_id"), drop.get("wrong_source"), drop.get("wrong_question"))
            == (0, 0, 0), json.dumps(drop))


def two_scenarios():
    def split(expect_first_fail_on_a):
        """attempts == 1: B answered at once; 2: A failed first, then B."""
        def check(o, snaps):
            n = o["dmarc"].get("attempts")
            name = "_dmarc." + o["domain"]
            a, b = counts_of(snaps, "udp", name)
            ok = (a, b) == (n - 1, 1) if expect_first_fail_on_a else True
            return ok, "server A asked %d, B asked %d, attempts %r" % (a, b, n)
        return check

    def alternating(o, snaps):
        name = "_dmarc." + o["domain"]
        a, b = counts_of(snaps, "udp", name)
        return sorted((a, b)) == [1, 2], \
            "server A asked %d, B asked %d: retries should alternate (1 and 2)" % (a, b)

    rec = "v=DMARC1; p=reject; from=B"
    return [
        S("sf-a.test", [{"rcode": "SERVFAIL"}, {"txt": [rec]}], "NOERROR", [rec], {1, 2},
          udp=None, check=split(True), title="A SERVFAIL, B answers: B's answer"),
        S("refused-a.test", [{"rcode": "REFUSED"}, {"rcode": "NXDOMAIN"}], "NXDOMAIN", [],
          {1, 2}, check=split(True), title="A REFUSED, B NXDOMAIN: NXDOMAIN"),
        S("drop-a.test", [{"drop": True}, {"txt": [rec]}], "NOERROR", [rec], {1, 2},
          check=split(True), title="A drops, B answers: B's answer"),
        S("drop-both.test", [{"drop": True}, {"drop": True}], "TIMEOUT", [], 3,
          udp=[{}, {}], check=alternating,
          title="both drop: TIMEOUT, attempts alternate between A and B"),
        S("sf-both.test", [{"rcode": "SERVFAIL"}, {"rcode": "SERVFAIL"}], "SERVFAIL", [], 3,
          udp=[{}, {}], check=alternating,
          title="both SERVFAIL: SERVFAIL, attempts alternate"),
    ]


def test_two(binary, tmp, fs):
    scen = two_scenarios()
    scripts = scripts_for(scen, 2)
    # which resolver a lookup starts on depends on admission order: the scenario checks
    # relate the counts to the attempts instead of fixed per-server counts
    for s in scen:
        s.udp = "relational"
    with fs.FaultServer(scripts[0], seed=4, name="A") as a, \
            fs.FaultServer(scripts[1], seed=5, name="B") as b:
        meta, _ = run_scenarios("two", binary, tmp, [a, b], scen)
        snaps = [a.stats.snapshot(), b.stats.snapshot()]
    if meta:
        res = meta.get("resolvers") or []
        sent = [r.get("sent") for r in res]
        got = [sn["udp_total"] for sn in snaps]
        C.check("two: per-resolver 'sent' equals what each server received %s" % got,
                sent == got, "metadata %s" % json.dumps(res))


def tcp_scenarios():
    small = "v=DMARC1; p=quarantine; tc=forced"
    pipe = "v=DMARC1; p=reject; pipelined={domain}"
    scen = [
        S("tc-big.test", {"txt": [BIG]}, "NOERROR", [BIG], 2,
          udp=[{"_dmarc.tc-big.test": 1}], tcp=[{"_dmarc.tc-big.test": 1}],
          title="large record: TC=1 over UDP, the whole record over TCP"),
        S("tc-forced.test", {"txt": [small], "tc": True}, "NOERROR", [small], 2,
          udp=[{"_dmarc.tc-forced.test": 1}], tcp=[{"_dmarc.tc-forced.test": 1}],
          title="TC=1 on a small answer: asked again over TCP"),
        S("tc-nx.test", {"rcode": "NXDOMAIN", "tc": True}, "NXDOMAIN", [], 2,
          udp=[{"_dmarc.tc-nx.test": 1}], tcp=[{"_dmarc.tc-nx.test": 1}],
          title="TC=1 NXDOMAIN: NXDOMAIN over TCP"),
        S("tc-slow.test", {"txt": [small], "tc": True, "tcp": {"delay_ms": TIMEOUT_MS // 4}},
          "NOERROR", [small], 2,
          udp=[{"_dmarc.tc-slow.test": 1}], tcp=[{"_dmarc.tc-slow.test": 1}],
          title="TCP answer delayed by a quarter of the timeout"),
        S("tc-cname.test", {"cname": ["rec.tc-cname.test"], "txt": [BIG]}, "NOERROR", [BIG],
          2, fields={"cname_target": "rec.tc-cname.test"},
          udp=[{"_dmarc.tc-cname.test": 1}], tcp=[{"_dmarc.tc-cname.test": 1}],
          title="CNAME chain to a large record, over TCP"),
    ]
    for i in range(40):
        d = "p%02d.tcpipe.test" % i
        scen.append(S(d, {"txt": [pipe], "tc": True}, "NOERROR",
                      [pipe.replace("{domain}", d)], 2, key="*.tcpipe.test",
                      udp=[{"_dmarc." + d: 1}], tcp=[{"_dmarc." + d: 1}],
                      title="40 truncated answers at once (pipelined TCP) #%d" % i))
    return scen


def test_tcp(binary, tmp, fs):
    scen = tcp_scenarios()
    with fs.FaultServer(scripts_for(scen, 1)[0], seed=6, name="tcp") as srv:
        meta, _ = run_scenarios("tcp", binary, tmp, [srv], scen)
    if meta:
        c = meta["counters"]
        C.check("tcp: metadata truncated == sent_tcp == %d" % len(scen),
                (c.get("truncated"), c.get("sent_tcp")) == (len(scen), len(scen)),
                short({k: c.get(k) for k in ("truncated", "sent_tcp", "tcp")}))


def test_tcp_faults(binary, tmp, fs):
    """TC=1, then TCP fails: SERVFAIL over TCP, hang-up, no answer, refused connection.
    Asking again over TCP after TC=1 is not a retry: --retries N further attempts follow
    a failed TCP query (on TCP, since the answer is known to be large). attempts counts the
    UDP query and every TCP query. Each case runs alone: a hang-up would also cut the other
    queries pipelined on that connection."""
    tcp_tries = RETRIES + 1  # the first TCP query and its retries
    cases = [
        ("tcp-servfail", "SERVFAIL", {"tc": True, "tcp": {"rcode": "SERVFAIL"}}, True,
         tcp_tries, "TC=1, then SERVFAIL over TCP: retried over TCP, SERVFAIL"),
        ("tcp-close", "TIMEOUT", {"tc": True, "txt": [DMARC], "tcp": {"close": True}}, True,
         tcp_tries, "TC=1, then every TCP connection closes unanswered: TIMEOUT"),
        ("tcp-silent", "TIMEOUT", {"tc": True, "txt": [DMARC], "tcp": {"drop": True}}, True,
         tcp_tries, "TC=1, then no answer over TCP: TIMEOUT"),
        ("tcp-refused", "TIMEOUT", {"tc": True, "txt": [DMARC]}, False, 0,
         "TC=1, TCP connections refused: TIMEOUT"),
    ]
    for name, status, beh, tcp_on, tcp_seen, title in cases:
        qname = "_dmarc." + name + ".test"
        s = S(name + ".test", beh, status, [], 1 + tcp_tries, udp=[{qname: 1}],
              tcp=[{qname: tcp_seen}], title=title)
        with fs.FaultServer({qname: beh}, seed=7, name=name, tcp=tcp_on) as srv:
            run_scenarios(name, binary, tmp, [srv], [s])


def x20_scenarios():
    long_name = "uppercase-echo-of-the-question-breaks-0x20.test"
    return [
        S("plain-0x20.test", {"txt": [DMARC]}, "NOERROR", [DMARC], 1,
          title="a server echoing the question's case: answer accepted"),
        S(long_name, {"txt": [DMARC], "upper_question": True}, "TIMEOUT", [], RETRIES + 1,
          title="a server upper-casing the question: every reply dropped (wrong case)"),
        S("cname-0x20.test", {"cname": ["rec.cname-0x20.test"], "txt": [DMARC]}, "NOERROR",
          [DMARC], 1, fields={"cname_target": "rec.cname-0x20.test"},
          title="CNAME chain with a lower-case target under 0x20"),
        S("forged-0x20.test", {"forge": "qname", "txt": [DMARC]}, "NOERROR", [DMARC], 1,
          title="forged question name first under 0x20: dropped, real one accepted"),
    ]


def test_0x20(binary, tmp, fs):
    scen = x20_scenarios()
    with fs.FaultServer(scripts_for(scen, 1)[0], seed=8, name="0x20") as srv:
        meta, _ = run_scenarios("0x20", binary, tmp, [srv], scen, ["--0x20"])
    if meta:
        drop = meta["counters"]["dropped"]
        want = {"wrong_case": RETRIES + 1, "wrong_question": 1, "unknown_id": 0,
                "wrong_source": 0, "malformed": 0}
        C.check("0x20: metadata drops %s" % json.dumps(want),
                all(drop.get(k) == v for k, v in want.items()), json.dumps(drop))


def test_budget(binary, tmp, fs):
    """--deadline: no retry starts after the budget; immediate failures still use them all.
    Timeout 400 ms, budget 700 ms: the first retry starts near 400 ms, the second would
    start near 1000 ms (backed-off 600 ms timeout), past the budget."""
    retries = 5
    scen = [
        S("budget-blackhole.test", {"drop": True}, "TIMEOUT", [], 2,
          title="never answered, 700 ms budget: 2 attempts, then TIMEOUT"),
        S("budget-servfail.test", {"rcode": "SERVFAIL"}, "SERVFAIL", [], retries + 1,
          title="SERVFAIL at once, 700 ms budget: all %d attempts" % (retries + 1)),
        S("budget-drop1.test", {"txt": [DMARC], "drop_first": 1}, "NOERROR", [DMARC], 2,
          title="first query dropped, retry within the budget answered"),
    ]
    with fs.FaultServer(scripts_for(scen, 1)[0], seed=9, name="budget") as srv:
        meta, _ = run_scenarios("budget", binary, tmp, [srv], scen,
                                ["--retries", str(retries), "--deadline", "700"])
    if meta:
        c = meta["counters"]
        C.check("budget: metadata gave_up_budget == 1", c.get("gave_up_budget") == 1,
                short({k: c.get(k) for k in ("gave_up_budget", "retried", "timeouts")}))


def test_bench(binary, tmp, fs):
    """A dead resolver next to a good one: every domain answered; the dead one is benched
    and so gets fewer than half of the lookups."""
    n = 600
    domains = ["b%03d.bench.test" % i for i in range(n)]
    template = "v=DMARC1; p=none; bench={domain}"
    path = os.path.join(tmp, "bench.txt")
    with open(path, "w") as f:
        f.write("".join(d + "\n" for d in domains))
    out_path = os.path.join(tmp, "bench.ndjson")
    meta_path = os.path.join(tmp, "bench.meta.json")
    with fs.FaultServer({"*.bench.test": {"drop": True}}, name="dead") as a, \
            fs.FaultServer({"*.bench.test": {"txt": [template]}}, name="good") as b:
        rc, out, err, secs = scan(binary, ["-r", resolver_arg([a, b]), "-o", out_path,
                                           "--metadata", meta_path, "-q", "-c", "20",
                                           "--timeout", "300", "--retries", "2", path])
        time.sleep(0.05)
        dead_got = a.stats.snapshot()["udp_total"]
    check_basics("bench", rc, out, err, secs, n)
    objs = load_output("bench", out_path)
    if objs is None:
        return
    by_domain = index_output("bench", objs, set(domains))
    wrong = []
    for d in domains:
        dm = (by_domain.get(d) or {}).get("dmarc") or {}
        if dm.get("status") != "NOERROR" or dm.get("records") != [
                template.replace("{domain}", d)]:
            wrong.append("%s: %s %s attempts %r" % (d, dm.get("status"),
                                                    short(dm.get("records")),
                                                    dm.get("attempts")))
    C.check("bench: all %d domains answered by the good resolver" % n, not wrong,
            first_diffs(wrong))
    try:
        with open(meta_path) as f:
            res = json.load(f).get("resolvers") or []
    except (OSError, ValueError):
        res = []
    C.check("bench: the dead resolver was benched",
            bool(res) and (res[0].get("benched") or 0) >= 1, short(res))
    C.check("bench: the dead resolver got fewer than half of the %d lookups (%d)"
            % (n, dead_got), dead_got < n // 2, short(res))


def udp_socket_drops(port):
    """Datagrams the kernel dropped at 127.0.0.1:port (the drops column of /proc/net/udp)."""
    want = "0100007F:%04X" % port
    try:
        with open("/proc/net/udp") as f:
            for line in f.readlines()[1:]:
                parts = line.split()
                if len(parts) > 12 and parts[1] == want:
                    return int(parts[-1])
    except OSError:
        pass
    return None


CONGESTION_RESENDS = 4  # dns/limits.h DS_CONGESTION_RESENDS


def test_volume(binary, tmp, fs):
    """20,000 domains, two resolvers: A drops 30% (seeded), B delays everything by 50 ms."""
    n = VOLUME_COUNT
    domains = ["d%05d.vol.test" % i for i in range(n)]
    template = "v=DMARC1; p=reject; rua=mailto:agg@{domain}"
    script_a = {"*.vol.test": {"txt": [template], "drop_pct": 30}}
    script_b = {"*.vol.test": {"txt": [template], "delay_ms": 50}}
    path = os.path.join(tmp, "volume.txt")
    with open(path, "w") as f:
        f.write("".join(d + "\n" for d in domains))
    out_path = os.path.join(tmp, "volume.ndjson")
    meta_path = os.path.join(tmp, "volume.meta.json")
    retries = 3
    with fs.FaultServer(script_a, seed=VOLUME_SEED, name="volA") as a, \
            fs.FaultServer(script_b, seed=VOLUME_SEED, name="volB") as b:
        drops0 = [udp_socket_drops(a.port), udp_socket_drops(b.port)]
        rc, out, err, secs = scan(binary, ["-r", resolver_arg([a, b]), "-o", out_path,
                                           "--metadata", meta_path, "-q",
                                           "--timeout", "1000", "--retries", str(retries),
                                           path])
        time.sleep(0.05)
        drops1 = [udp_socket_drops(a.port), udp_socket_drops(b.port)]
        snaps = [a.stats.snapshot(), b.stats.snapshot()]
        errors = a.errors + b.errors
    check_basics("volume", rc, out, err, secs, n)
    C.check("volume: server script errors: none", not errors, errors[:5])
    print("      server A received %d, dropped %d by script; server B received %d"
          % (snaps[0]["udp_total"], snaps[0]["dropped"], snaps[1]["udp_total"]))
    objs = load_output("volume", out_path)
    if objs is None:
        return
    by_domain = index_output("volume", objs, set(domains))
    wrong, bad_attempts, count_diff = [], [], []
    statuses = collections.Counter()
    total_attempts = 0
    over_retries = 0
    kernel_drops = None
    if None not in drops0 and None not in drops1:
        kernel_drops = sum(drops1) - sum(drops0)
    for dname in domains:
        o = by_domain.get(dname)
        if o is None:
            continue
        d = o.get("dmarc") or {}
        statuses[d.get("status")] += 1
        want = template.replace("{domain}", dname)
        if d.get("status") != "NOERROR" or d.get("records") != [want]:
            wrong.append("%s: %s %s" % (dname, d.get("status"), short(d.get("records"))))
        att = d.get("attempts")
        # Attempts lost while a resolver was judged congested are resent without using a
        # retry (docs/congestion.md): at most CONGESTION_RESENDS more, counted below.
        if not isinstance(att, int) or not 1 <= att <= retries + 1 + CONGESTION_RESENDS:
            bad_attempts.append("%s: attempts %r" % (dname, att))
            continue
        over_retries += max(0, att - (retries + 1))
        total_attempts += att
        q = "_dmarc." + dname
        asked = snaps[0]["udp"].get(q, 0) + snaps[1]["udp"].get(q, 0)
        if asked != att:
            count_diff.append("%s: attempts %d, servers received %d (A %d, B %d)"
                              % (dname, att, asked, snaps[0]["udp"].get(q, 0),
                                 snaps[1]["udp"].get(q, 0)))
    C.check("volume: all %d domains NOERROR with their own record" % n, not wrong,
            "statuses %s\n%s" % (dict(statuses), first_diffs(wrong)))
    C.check("volume: attempts between 1 and %d" % (retries + 1 + CONGESTION_RESENDS),
            not bad_attempts, first_diffs(bad_attempts))
    if kernel_drops == 0:
        C.check("volume: per domain, attempts == queries the two servers received",
                not count_diff, first_diffs(count_diff))
    else:
        C.skip("volume: attempts == queries received",
               "the kernel dropped %s datagrams at the servers' sockets" % kernel_drops)
    C.check("volume: some of A's queries were dropped (the fault was exercised)",
            snaps[0]["dropped"] > 0, snaps[0]["dropped"])
    try:
        with open(meta_path) as f:
            meta = json.load(f)
        c = meta["counters"]
        C.check("volume: attempts beyond --retries (%d) are congestion resends (%s)"
                % (over_retries, c.get("congestion_resends")),
                over_retries <= c.get("congestion_resends", 0))
        C.check("volume: metadata sent == sum of dmarc.attempts (%d)" % total_attempts,
                c.get("sent") == total_attempts and c.get("lookups") == n,
                json.dumps({k: c.get(k) for k in ("lookups", "sent", "answered", "retried",
                                                  "timeouts")}))
    except (OSError, ValueError, KeyError) as e:
        C.check("volume: metadata readable", False, e)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_faults.py DMARCSCAN [REPO] (or env DMARCSCAN)")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    repo = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
    sys.path.insert(0, os.path.join(repo, "tests"))
    import faultserver as fs
    t0 = time.monotonic()
    only = set(os.environ.get("FAULTS_ONLY", "").split(",")) - {""}
    tests = [("basic", test_basic), ("forged", test_forged), ("malformed", test_malformed),
             ("two", test_two), ("tcp", test_tcp), ("tcpfaults", test_tcp_faults),
             ("0x20", test_0x20), ("budget", test_budget),
             ("bench", test_bench), ("volume", test_volume)]
    with tempfile.TemporaryDirectory(prefix="dmarcscan-faults-") as tmp:
        for name, fn in tests:
            if only and name not in only:
                continue
            try:
                fn(binary, tmp, fs)
            except Exception:  # a harness error fails the run, the others still run
                import traceback
                C.check("%s: runs without a harness error" % name, False,
                        traceback.format_exc()[-3000:])
    print("total %.1f s" % (time.monotonic() - t0))
    if C.failures:
        print("failed: " + "; ".join(C.failures[:30]))
    if C.skipped:
        print("%d skipped" % C.skipped)
    print("%d passed, %d failed" % (C.passed, C.failed))
    return 1 if C.failed else 0


if __name__ == "__main__":
    sys.exit(main())
