#!/usr/bin/python3
# test_scan_world.py -- integration test: dmarcscan against a real Knot serving a synthetic
# world (scripts/dsworld.py), checked domain by domain against the world's truth.
#
# Usage: test_scan_world.py [DMARCSCAN [REPO]]   (or env DMARCSCAN; REPO defaults to ../..)
# ctest passes $<TARGET_FILE:dmarcscan> and the source dir. Only 127.0.0.1 is contacted:
# the scanner always gets -r 127.0.0.1:PORT. Prints "N passed, M failed"; exit 1 on failure.
#
# Cases: a 3000-domain world covering every category (policies, NXDOMAIN, non-DMARC TXT,
# multiple/split/hostile/invalid records, CNAME chains in and across zones, dangling CNAME)
# scanned twice with the default checks (plain list -> .ndjson; rank CSV -> .ndjson.zst with
# -c 200) and once with --checks dmarc,spf, every dmarc, spf and mx object that a scan wrote
# checked against the world's truth; a small list
# with illegal lines, comments, blank lines, upper case, a name outside every zone (REFUSED)
# and one in a zone that failed to load (SERVFAIL); and a resolver that never answers
# (TIMEOUT).

import collections
import importlib.util
import json
import os
import re
import socket
import sys
import tempfile
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261129
COUNT = 3000
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
DONE_RE = re.compile(r"^done: (\d+) domains")
BROKEN_ZONE = "brokenzone"  # a served zone whose file does not load: SERVFAIL


C = itlib.Checks()
first_diffs = itlib.first_diffs
scan = itlib.run_scan


def check_run_basics(name, rc, out, err, secs, expect_domains=None):
    err_text = err.decode("utf-8", errors="replace")
    tail = [l for l in err_text.splitlines() if l.strip()][-1:] or [""]
    print("      %.1f s, exit %s, stderr ends: %s" % (secs, rc, tail[0][:200]))
    C.check("%s: exits 0" % name, rc == 0, "exit %s; stderr:\n%s" % (rc, err_text[-3000:]))
    C.check("%s: nothing on stdout with -o" % name, out == b"", out[:300])
    m = DONE_RE.match(tail[0].strip())
    C.check("%s: closing 'done: N domains' line on stderr" % name, m is not None,
            "last stderr line: %r" % tail[0])
    if m and expect_domains is not None:
        C.check("%s: done line counts %d domains" % (name, expect_domains),
                int(m.group(1)) == expect_domains, tail[0])



def check_world_output(name, objs, truth, with_rank):
    """Every truth domain exactly once, lines/ranks right, dmarc equal to the truth."""
    seen = collections.Counter(o.get("domain") for o in objs)
    missing = [d for d in truth if seen[d] == 0]
    dup = [d for d, k in seen.items() if k > 1]
    extra = [str(d) for d in seen if d not in truth]
    C.check("%s: every input domain appears exactly once" % name, not missing and not dup,
            "missing %d %s, duplicated %d %s" % (len(missing), missing[:5], len(dup), dup[:5]))
    C.check("%s: no extra lines" % name, not extra and len(objs) == len(truth),
            "%d lines for %d domains; extra: %s" % (len(objs), len(truth), extra[:5]))
    bad_fields, bad_line, bad_rank, bad_dmarc = [], [], [], []
    per_cat = collections.Counter()
    for o in objs:
        t = truth.get(o.get("domain"))
        if t is None:
            continue
        d = o["domain"]
        if (o.get("schema") != 1 or o.get("status") != "OK"
                or not TS_RE.match(str(o.get("ts"))) or not isinstance(o.get("dmarc"), dict)):
            bad_fields.append("%s: schema %r status %r ts %r dmarc %r" % (
                d, o.get("schema"), o.get("status"), o.get("ts"), type(o.get("dmarc"))))
        if o.get("line") != t["line"]:
            bad_line.append("%s: line %r, input line %d" % (d, o.get("line"), t["line"]))
        want_rank = t["rank"] if with_rank else None
        if o.get("rank") != want_rank:
            bad_rank.append("%s: rank %r, expected %r" % (d, o.get("rank"), want_rank))
        if not dsworld.dmarc_matches(o, t):
            per_cat[t["category"]] += 1
            got = o.get("dmarc") or {}
            bad_dmarc.append("%s [%s]: got %s %s, expected %s %s" % (
                d, t["category"], got.get("status"), json.dumps(got.get("records")),
                t["dmarc"]["status"], json.dumps(t["dmarc"]["records"])))
    C.check("%s: schema 1, status OK, RFC 3339 ts, dmarc object" % name, not bad_fields,
            first_diffs(bad_fields))
    C.check("%s: line numbers map back to the input" % name, not bad_line,
            first_diffs(bad_line))
    C.check("%s: rank %s" % (name, "matches the CSV" if with_rank else "absent"),
            not bad_rank, first_diffs(bad_rank))
    C.check("%s: dmarc.status and records equal the truth for all %d domains"
            % (name, len(truth)), not bad_dmarc,
            "mismatches by category: %s\n%s" % (dict(per_cat), first_diffs(bad_dmarc)))


def check_world_selftest(world, port, truth):
    """The harness itself: an independent resolver sees exactly the truth."""
    if importlib.util.find_spec("dns") is None:
        print("skip  world self-check (python3-dnspython not installed)")
        return
    diffs = []
    for d, t in truth.items():
        st, recs = dsauth.reference_lookup("_dmarc." + d, port)
        got = {"dmarc": {"status": st, "records": dsworld.dmarc_texts(recs)}}
        if not dsworld.dmarc_matches(got, t):
            diffs.append("%s [%s]: %s %s" % (d, t["category"], st, recs))
    C.check("world: Knot answers match the truth (reference resolver)", not diffs,
            first_diffs(diffs))


def test_world(binary, tmp, world, port, truth):
    res = "127.0.0.1:%d" % port
    runs = [  # name, output, options, input, with rank
        ("list run", "out.ndjson", [], "domains.txt", False),  # defaults (dmarc,spf,mx)
        ("csv run", "out.ndjson.zst", ["-c", "200"], "ranked.csv", True),  # zstd, 200 in flight
        # the spf check: the world's SPF records (provider includes, redirects, errors)
        ("spf run", "spf.ndjson", ["--checks", "dmarc,spf"], "domains.txt", False),
        # every query datagram sent on its own: the same truth as the segmented sends'
        ("no-gso run", "nogso.ndjson", ["--no-gso"], "domains.txt", False),
    ]
    for name, out_name, opts, inp, with_rank in runs:
        out_path = os.path.join(tmp, out_name)
        rc, out, err, secs = scan(binary, ["-r", res, "-o", out_path] + opts
                                  + [os.path.join(world, inp)])
        check_run_basics(name, rc, out, err, secs, COUNT)
        objs = itlib.read_ndjson(C, name, out_path)
        if objs is None:
            continue
        check_world_output(name, objs, truth, with_rank)
        check_world_spf_mx(name, objs, truth)
    check_gso(os.path.join(tmp, "out.ndjson.meta.json"), os.path.join(tmp, "nogso.ndjson.meta.json"))


def kernel_has_gso():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.setsockopt(socket.SOL_UDP, 103, 0)  # UDP_SEGMENT: 0 = only when a send asks
            return True
        except OSError:
            return False


def check_gso(meta_gso, meta_plain):
    """The list run's queries left in segmented sends where the kernel has them, and
    --no-gso's in none; both runs' lines matched the truth above."""
    with open(meta_gso) as f:
        udp = json.load(f)["counters"]["udp"]
    with open(meta_plain) as f:
        plain = json.load(f)["counters"]["udp"]
    if kernel_has_gso():
        C.check("list run: most queries left in segmented sends (UDP GSO)",
                udp["gso_sends"] > 0 and udp["gso_datagrams"] > udp["datagrams_sent"] // 2
                and udp["gso_refused"] == 0, udp)
    else:
        C.check("list run: no segmented sends on a kernel without UDP GSO",
                udp["gso_sends"] == 0, udp)
    C.check("no-gso run: no segmented sends", plain["gso_sends"] == 0
            and plain["datagrams_sent"] >= COUNT, plain)


def check_world_spf_mx(name, objs, truth):
    """The spf and mx objects against the world's truth, when the scan ran those checks."""
    known = [o for o in objs if o.get("domain") in truth]
    if any(o.get("spf") is not None for o in known):
        bad = ["%s [%s]: %s" % (o["domain"], truth[o["domain"]]["spf_category"], "; ".join(
            dsspf.spf_diffs(o.get("spf"), truth[o["domain"]]["spf"])))
            for o in known if not dsworld.spf_matches(o, truth[o["domain"]])]
        C.check("%s: every domain's spf object equals the world's truth" % name, not bad,
                first_diffs(bad))
    if any(o.get("mx") is not None for o in known):
        bad = ["%s: got %s, want %s" % (o["domain"], json.dumps(o.get("mx")),
                                        json.dumps(truth[o["domain"]]["mx"]))
               for o in known if not dsworld.mx_matches(o, truth[o["domain"]])]
        C.check("%s: every domain's mx object equals the world's truth" % name, not bad,
                first_diffs(bad))


def pick(truth, category):
    return next(t for t in truth.values() if t["category"] == category)


def test_edge_cases(binary, tmp, port, truth):
    """Illegal lines, comments, case, REFUSED and SERVFAIL in one small list."""
    xz, hostile, nx = pick(truth, "cname_xzone"), pick(truth, "hostile"), pick(truth, "nxdomain")
    # (input line, expectation): expectation None for lines that yield no output
    # (comments, blanks), "ILLEGAL" or (domain, dmarc status, records)
    rows = [
        ("# edge cases: comment, blank lines, illegal names, case, REFUSED, SERVFAIL", None),
        (xz["domain"].upper() + ".", (xz["domain"], "NOERROR", xz["dmarc"]["records"])),
        ("exa mple.com", "ILLEGAL"),
        ("a..b", "ILLEGAL"),
        ("", None),
        (hostile["domain"], (hostile["domain"], "NOERROR", hostile["dmarc"]["records"])),
        ("-x.com", "ILLEGAL"),
        ("http://x.com/", "ILLEGAL"),
        ("foo.notserved", ("foo.notserved", "REFUSED", [])),
        ("d1.%s" % BROKEN_ZONE, ("d1.%s" % BROKEN_ZONE, "SERVFAIL", [])),
        ("  %s  " % nx["domain"], (nx["domain"], "NXDOMAIN", [])),
    ]
    path = os.path.join(tmp, "edge.txt")
    with open(path, "w") as f:
        f.write("".join(r[0] + "\n" for r in rows))
    out_path = os.path.join(tmp, "edge.ndjson")
    rc, out, err, secs = scan(binary, ["-r", "127.0.0.1:%d" % port, "-o", out_path,
                                       "--timeout", "1000", "--retries", "1", path])
    check_run_basics("edge run", rc, out, err, secs)
    objs = itlib.read_ndjson(C, "edge run", out_path)
    if objs is None:
        return
    by_line = collections.defaultdict(list)
    for o in objs:
        by_line[o.get("line")].append(o)
    expected_lines = {i + 1 for i, r in enumerate(rows) if r[1] is not None}
    C.check("edge run: one output line per data line, none for comments/blanks",
            sorted(by_line) == sorted(expected_lines) and len(objs) == len(expected_lines),
            "output lines %s, expected %s"
            % (sorted(by_line, key=lambda x: x if isinstance(x, int) else -1),
               sorted(expected_lines)))
    for i, (text, want) in enumerate(rows):
        if want is None or len(by_line.get(i + 1, [])) != 1:
            continue
        o = by_line[i + 1][0]
        if want == "ILLEGAL":
            C.check("edge run: line %d %r is ILLEGAL_INPUT with an error" % (i + 1, text),
                    o.get("status") == "ILLEGAL_INPUT" and isinstance(o.get("error"), str)
                    and o["error"].strip() != "", json.dumps(o))
            continue
        domain, status, records = want
        d = o.get("dmarc") or {}
        C.check("edge run: line %d %r -> %s %s" % (i + 1, text, domain, status),
                o.get("status") == "OK" and o.get("domain") == domain
                and d.get("status") == status
                and sorted(d.get("records") or []) == sorted(records), json.dumps(o))


def test_timeout(binary, tmp, truth):
    """A resolver that never answers gives TIMEOUT, within the configured time."""
    hole = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    hole.bind(("127.0.0.1", 0))  # bound, never read: queries vanish
    try:
        domains = [t["domain"] for t in list(truth.values())[:3]]
        path = os.path.join(tmp, "timeout.txt")
        with open(path, "w") as f:
            f.write("\n".join(domains) + "\n")
        out_path = os.path.join(tmp, "timeout.ndjson")
        rc, out, err, secs = scan(binary, ["-r", "127.0.0.1:%d" % hole.getsockname()[1],
                                           "-o", out_path, "--timeout", "300",
                                           "--retries", "1", path])
    finally:
        hole.close()
    check_run_basics("timeout run", rc, out, err, secs, len(domains))
    C.check("timeout run: finishes within 20 s", secs < 20, "%.1f s" % secs)
    objs = itlib.read_ndjson(C, "timeout run", out_path)
    if objs is None:
        return
    got = {o.get("domain"): (o.get("dmarc") or {}).get("status") for o in objs}
    C.check("timeout run: every domain has dmarc.status TIMEOUT",
            len(objs) == len(domains) and all(got.get(d) == "TIMEOUT" for d in domains),
            json.dumps(got))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_scan_world.py DMARCSCAN [REPO] (or env DMARCSCAN)")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    with tempfile.TemporaryDirectory(prefix="dmarcscan-it-") as tmp:
        world = os.path.join(tmp, "world")
        t0 = time.monotonic()
        manifest = dsworld.generate(world, SEED, COUNT)
        print("world %d domains in %.1f s: %s" % (COUNT, time.monotonic() - t0,
                                                   manifest["categories"]))
        C.check("world: every category present", all(manifest["categories"].values()),
                manifest["categories"])
        with open(os.path.join(world, "zones", BROKEN_ZONE + ".zone"), "w") as f:
            f.write("$ORIGIN %s.\n@ SOA this is not a zone\n" % BROKEN_ZONE)
        truth = dsworld.load_truth(world)
        try:
            with dsauth.AuthServer(os.path.join(world, "zones"), os.path.join(tmp, "run"),
                                   wait_zones=manifest["zones"]) as srv:
                print("knot on 127.0.0.1:%d, ready in %.1f s" % (srv.port, srv.load_seconds))
                check_world_selftest(world, srv.port, truth)
                test_world(binary, tmp, world, srv.port, truth)
                test_edge_cases(binary, tmp, srv.port, truth)
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
        test_timeout(binary, tmp, truth)
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsspf  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
