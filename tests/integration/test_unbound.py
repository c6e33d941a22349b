#!/usr/bin/python3
# test_unbound.py -- integration test: dmarcscan through a real Unbound (scripts/dsunbound.py,
# as users run it: the recursive resolver in front of the Internet) whose stub zones point at
# a real Knot serving a synthetic world (scripts/dsworld.py).
#
# Usage: test_unbound.py [DMARCSCAN [REPO]]   (or env DMARCSCAN; REPO defaults to ../..)
# ctest passes $<TARGET_FILE:dmarcscan> and the source dir. Only 127.0.0.1 is contacted:
# Unbound has a stub zone per served zone and for "." (all to Knot on 127.0.0.1), sends from
# 127.0.0.1 only, and the test checks that its infrastructure cache holds no other address.
# Prints "N passed, M failed"; exit 1 on failure.
#
# Cases: a 2000-domain world (every category, CNAMEs in and across zones: Unbound chases
# them itself) plus names in a zone whose file does not load (Knot: SERVFAIL) and one name
# outside every zone (Unbound: REFUSED), scanned twice. Every domain exactly once, dmarc
# equal to the truth; the second scan is served from Unbound's cache: the queries Unbound
# sent to Knot (num.query.udpout + tcpout in unbound-control stats_noreset) are counted.

import collections
import json
import os
import re
import sys
import tempfile
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261130
COUNT = 2000
BROKEN = 10            # names in the broken zone
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
DONE_RE = re.compile(r"^done: (\d+) domains")
BROKEN_ZONE = "brokenzone"  # served by Knot, but its file does not load: SERVFAIL
OUTSIDE = "foo.notserved"   # outside every stub zone: Unbound refuses it itself


C = itlib.Checks()
first_diffs = itlib.first_diffs
scan = itlib.run_scan


def run_and_read(name, binary, args, out_path, n_domains):
    """Scan; check exit status and closing line; return the output objects (or None)."""
    rc, out, err, secs = scan(binary, args + ["-o", out_path])
    err_text = err.decode("utf-8", errors="replace")
    tail = [l for l in err_text.splitlines() if l.strip()][-1:] or [""]
    print("      %.1f s, exit %s, stderr ends: %s" % (secs, rc, tail[0][:200]))
    C.check("%s: exits 0" % name, rc == 0, "exit %s; stderr:\n%s" % (rc, err_text[-3000:]))
    m = DONE_RE.match(tail[0].strip())
    C.check("%s: closing line says done: %d domains" % (name, n_domains),
            m is not None and int(m.group(1)) == n_domains, "last stderr line: %r" % tail[0])
    return itlib.read_ndjson(C, name, out_path)


def check_output(name, objs, expect):
    """expect: {domain: (line, category, status, records)}."""
    seen = collections.Counter(o.get("domain") for o in objs)
    missing = [d for d in expect if seen[d] == 0]
    dup = [d for d, k in seen.items() if k > 1]
    extra = [str(d) for d in seen if d not in expect]
    C.check("%s: every input domain appears exactly once (%d)" % (name, len(expect)),
            not missing and not dup and not extra and len(objs) == len(expect),
            "missing %d %s, duplicated %d %s, extra %s, %d lines"
            % (len(missing), missing[:5], len(dup), dup[:5], extra[:5], len(objs)))
    bad_fields, bad_dmarc = [], []
    per_cat, per_cat_bad = collections.Counter(), collections.Counter()
    for o in objs:
        e = expect.get(o.get("domain"))
        if e is None:
            continue
        line, cat, status, records = e
        d = o.get("dmarc") if isinstance(o.get("dmarc"), dict) else {}
        if (o.get("schema") != 1 or o.get("status") != "OK" or o.get("line") != line
                or not TS_RE.match(str(o.get("ts")))):
            bad_fields.append("%s: schema %r status %r line %r (input %d) ts %r" % (
                o["domain"], o.get("schema"), o.get("status"), o.get("line"), line,
                o.get("ts")))
        per_cat[cat] += 1
        recs = d.get("records")
        if d.get("status") != status or not isinstance(recs, list) \
                or sorted(recs) != sorted(records):
            per_cat_bad[cat] += 1
            bad_dmarc.append("%s [%s]: got %s %s, expected %s %s" % (
                o["domain"], cat, d.get("status"), json.dumps(recs), status,
                json.dumps(records)))
    C.check("%s: schema 1, status OK, input line numbers, RFC 3339 ts" % name, not bad_fields,
            first_diffs(bad_fields))
    C.check("%s: dmarc.status and records equal the truth for all %d domains"
            % (name, len(expect)), not bad_dmarc,
            "mismatches by category: %s\n%s" % (dict(per_cat_bad), first_diffs(bad_dmarc)))
    for cat in ("cname_xzone", "cname2", "cname_dangling", "broken_zone", "outside"):
        C.check("%s: %s domains right (%d of %d)" % (name, cat, per_cat[cat] - per_cat_bad[cat],
                                                   per_cat[cat]),
                per_cat[cat] > 0 and per_cat_bad[cat] == 0)


def sent_upstream(stats):
    return stats.get("num.query.udpout", 0) + stats.get("num.query.tcpout", 0)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_unbound.py DMARCSCAN [REPO] (or env DMARCSCAN)")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dmarcscan-ub-") as tmp:
        world = os.path.join(tmp, "world")
        manifest = dsworld.generate(world, SEED, COUNT)
        C.check("world: every category present", all(manifest["categories"].values()),
                manifest["categories"])
        with open(os.path.join(world, "zones", BROKEN_ZONE + ".zone"), "w") as f:
            f.write("$ORIGIN %s.\n@ SOA this is not a zone\n" % BROKEN_ZONE)
        truth = dsworld.load_truth(world)
        expect = {d: (t["line"], t["category"], t["dmarc"]["status"], t["dmarc"]["records"])
                  for d, t in truth.items()}
        extra_lines = ["d%d.%s" % (i, BROKEN_ZONE) for i in range(1, BROKEN + 1)] + [OUTSIDE]
        for i, d in enumerate(extra_lines):
            cat, st = ("outside", "REFUSED") if d == OUTSIDE else ("broken_zone", "SERVFAIL")
            expect[d] = (COUNT + 1 + i, cat, st, [])
        domains = os.path.join(tmp, "domains.txt")
        with open(os.path.join(world, "domains.txt")) as src, open(domains, "w") as dst:
            dst.write(src.read() + "".join(d + "\n" for d in extra_lines))
        knot = unbound = None
        try:
            knot = dsauth.AuthServer(os.path.join(world, "zones"), os.path.join(tmp, "knot"),
                                     wait_zones=manifest["zones"])
            knot.start()
            print("knot on 127.0.0.1:%d, ready in %.1f s" % (knot.port, knot.load_seconds))
            stubs = {z: ("127.0.0.1", knot.port) for z in manifest["zones"] + [BROKEN_ZONE]}
            unbound = dsunbound.LocalResolver(os.path.join(tmp, "unbound"), stubs=stubs,
                                              msg_cache="64m", rrset_cache="128m")
            t0 = time.monotonic()
            unbound.start()
            print("unbound on 127.0.0.1:%d (%d threads), ready in %.1f s"
                  % (unbound.port, unbound.threads, time.monotonic() - t0))
            res = ["-r", "127.0.0.1:%d" % unbound.port, domains]
            n = len(expect)

            s0 = unbound.stats()
            objs = run_and_read("cold run", binary, res, os.path.join(tmp, "cold.ndjson"), n)
            s1 = unbound.stats()
            if objs is not None:
                check_output("cold run", objs, expect)
            objs = run_and_read("cached run", binary, res, os.path.join(tmp, "warm.ndjson"), n)
            s2 = unbound.stats()
            if objs is not None:
                check_output("cached run", objs, expect)

            cold, warm = sent_upstream(s1) - sent_upstream(s0), sent_upstream(s2) - sent_upstream(s1)
            hits = s2.get("total.num.cachehits", 0) - s1.get("total.num.cachehits", 0)
            print("      queries unbound sent to knot: cold run %d, cached run %d; "
                  "cache hits in the cached run %d" % (cold, warm, hits))
            C.check("cold run: unbound asked knot at least once per world domain",
                    cold >= COUNT, "%d queries sent upstream" % cold)
            # only the broken zone may be re-asked (unbound keeps a SERVFAIL ~5 s: measured
            # 0 upstream queries when the runs are close, 50 for its 10 names after 6 s)
            C.check("cached run: served from unbound's cache (< 5% of the cold run's "
                    "upstream queries)", warm * 20 < cold, "cold %d, cached %d" % (cold, warm))
            C.check("cached run: cache hits for nearly every world domain",
                    hits >= COUNT * 0.95, "%d hits" % hits)
            # dump_infra lines: "IP@PORT zone. ttl ..." for every server unbound talked to
            servers = sorted(set(l.split()[0] for l in
                                 unbound.control("dump_infra").splitlines() if l.strip()))
            C.check("unbound contacted knot on 127.0.0.1:%d only (dump_infra)" % knot.port,
                    servers == ["127.0.0.1@%d" % knot.port], "servers: %s" % servers)
        except (dsauth.AuthServerError, dsunbound.ResolverError) as e:
            C.check("servers start and answer", False, e)
        finally:
            if unbound is not None:
                unbound.stop()
            if knot is not None:
                knot.stop()
    print("runtime %.1f s" % (time.monotonic() - t_start))
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsunbound  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
