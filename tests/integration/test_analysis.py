#!/usr/bin/python3
# test_analysis.py -- real input and the analysis guide (docs/analysis.md), end to end: the
# served world is built from the real names of ../shared/data/dotgov-current-full.csv
# (scripts/dsworld.py with names=), the real CSV is scanned as users scan it (its domain
# column found by its header, --sector-column "Domain type", -o .ndjson.zst, --summary),
# and then:
#   - the summary's per-sector counts (lines, posture split, enforcing) equal the world's
#     truth for each of the file's 16 `Domain type` values, and every row of the file is
#     in its sector;
#   - the pandas example (scripts/analyze.py --json, Debian's python3-pandas and
#     python3-zstandard reading the .ndjson.zst directly) gives the summary's numbers: posture
#     split, enforcing, by sector and by TLD, and the report receivers;
#   - the metadata file was written beside the output by default.
# The truth's posture comes from the record text dsworld wrote (expected_posture: the
# generator's own templates; multiple records are invalid; no record is missing).
# Usage: test_analysis.py DMARCSCAN [REPO]. Only 127.0.0.1 is contacted. Prints "N passed,
# M failed"; exit 1 on failure; a skip when python3-pandas or python3-zstandard is absent.
import collections
import csv
import json
import os
import subprocess
import sys
import tempfile

import itlib

SEED = 20261205
C = itlib.Checks()
DATA = os.environ.get("DS_SHARED_DATA")
POLICIES = ("none", "quarantine", "reject")


def expected_posture(records):
    """The posture a record set gives, for the records dsworld writes."""
    if not records:
        return "missing"
    if len(records) > 1:
        return "invalid"
    tags = [t.strip() for t in records[0].split(";")]
    if tags[0] != "v=DMARC1" or any("=" not in t for t in tags[1:] if t):
        return "invalid"
    kv = [t.split("=", 1) for t in tags[1:] if t]
    ps = [v.strip() for k, v in kv if k.strip() == "p"]
    if len(ps) > 1:
        return "invalid"
    if not ps:  # no p: none when a usable rua is there (RFC 9989), else not a policy
        rua = [v for k, v in kv if k.strip() == "rua"]
        return "none" if rua and rua[0].strip().startswith("mailto:") else "invalid"
    return ps[0] if ps[0] in POLICIES else "invalid"


def expected_enforcing(records, posture):
    pct = [t.split("=", 1)[1].strip() for t in (records[0].split(";") if records else [])
           if t.strip().startswith("pct=")]
    return posture == "reject" or (posture == "quarantine" and pct != ["0"])


def truth_by_sector(world, rows):
    truth = dsworld.load_truth(world)
    want = collections.defaultdict(collections.Counter)
    for r in rows:
        d = r["Domain name"].strip().lower()
        t = truth.get(d)
        recs = t["dmarc"]["records"] if t else []
        p = expected_posture(recs)
        g = want[r["Domain type"]]
        g["lines"] += 1
        g["posture." + p] += 1
        g["enforcing"] += expected_enforcing(recs, p)
    return want


def summary_by_sector(summary):
    got = {}
    for name, g in (summary.get("by_sector") or {}).items():
        c = collections.Counter()
        c["lines"] = g["statuses"].get("OK", 0)
        for p, rate in g.get("posture", {}).items():
            if rate["n"]:
                c["posture." + p] = rate["n"]
        c["enforcing"] = g.get("policy", {}).get("enforcing", {}).get("n", 0)
        got[name] = c
    return got


def check_sectors(summary, want):
    got = summary_by_sector(summary)
    C.check("sectors: the file's %d Domain type values, no other" % len(want),
            sorted(got) == sorted(want), (sorted(got), sorted(want)))
    bad = ["%s: summary %s, truth %s" % (s, dict(got.get(s, {})), dict(w))
           for s, w in sorted(want.items()) if got.get(s) != w]
    C.check("sectors: lines, posture split and enforcing equal the world's truth", not bad,
            itlib.first_diffs(bad))
    C.check("sectors: City is the largest (8978 rows), Federal - Executive has 1174",
            want["City"]["lines"] == 8978 and got.get("City", {}).get("lines") == 8978
            and got.get("Federal - Executive", {}).get("lines") == 1174,
            (got.get("City"), got.get("Federal - Executive")))


def summary_counts(g):
    return {"scanned": g["statuses"].get("OK", 0),
            "enforcing": g.get("policy", {}).get("enforcing", {}).get("n", 0),
            "posture": {p: r["n"] for p, r in g.get("posture", {}).items() if r["n"]}}


def check_pandas(repo, out, summary):
    r = subprocess.run(["/usr/bin/python3", os.path.join(repo, "scripts", "analyze.py"), out,
                        "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if not C.check("pandas: scripts/analyze.py --json exits 0", r.returncode == 0,
                   r.stderr.decode(errors="replace")[-1500:]):
        return
    a = json.loads(r.stdout)
    whole = summary_counts(summary)
    C.check("pandas: scanned, enforcing and posture split = the summary's",
            {k: a[k] for k in ("scanned", "enforcing", "posture")} == whole,
            (a["scanned"], a["enforcing"], a["posture"], whole))
    for key in ("by_sector", "by_tld"):
        want = {k: summary_counts(g) for k, g in (summary.get(key) or {}).items()
                if g["statuses"].get("OK", 0)}
        got = a.get(key, {})
        bad = ["%s: pandas %s, summary %s" % (k, got.get(k), want.get(k))
               for k in sorted(set(want) | set(got)) if got.get(k) != want.get(k)]
        C.check("pandas: %s (%d groups) = the summary's" % (key, len(want)), not bad,
                itlib.first_diffs(bad))
    # More organizations than the summary's table holds (each domain reports to itself):
    # each listed count is within its error of the true one, the vendors' exactly.
    rec = summary.get("receivers") or {}
    top = rec.get("top", [])
    bad = ["%s: pandas %s, summary n %d error %d" % (e["org"], a["receivers"].get(e["org"]),
                                                     e["n"], e["error"])
           for e in top if not e["n"] - e["error"] <= a["receivers"].get(e["org"], 0) <= e["n"]]
    vendors = {o: n for o, n in a["receivers"].items() if n > 50}
    C.check("pandas: report receivers within the summary's bounds (exact: %s, %d listed), "
            "the %d big ones equal" % (rec.get("exact"), len(top), len(vendors)),
            top and not bad and vendors and all(
                {e["org"]: e["n"] for e in top}.get(o) == n for o, n in vendors.items()),
            itlib.first_diffs(bad) + " %s" % vendors)
    C.check("pandas: the rank buckets are absent, as in the summary (no rank in the file)",
            "by_rank_bucket" not in a and "by_rank_bucket" not in summary)


def main():
    binary = os.path.abspath(sys.argv[1])
    path = os.path.join(DATA or os.path.join(REPO, "..", "shared", "data"),
                        "dotgov-current-full.csv")
    if not os.path.exists(path):
        C.skip("dotgov-current-full.csv", "not found at %s" % path)
        return C.summary()
    have = subprocess.run(["/usr/bin/python3", "-c", "import pandas, zstandard"],
                          stderr=subprocess.DEVNULL).returncode == 0
    with open(path, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    names = dsworld.names_from_file(path)
    with tempfile.TemporaryDirectory(prefix="dmarcscan-analysis-") as tmp:
        world = os.path.join(tmp, "world")
        manifest = dsworld.generate(world, SEED, len(names), names=names)
        C.check("world: every name of the file (%d) is served" % len(rows),
                manifest["count"] == len(rows) == len(names), (manifest["count"], len(rows)))
        out = os.path.join(tmp, "gov.ndjson.zst")
        summ = os.path.join(tmp, "gov.summary.json")
        try:
            with dsauth.AuthServer(os.path.join(world, "zones"), os.path.join(tmp, "run"),
                                   wait_zones=manifest["zones"]) as srv:
                rc, _, err, secs = itlib.run_scan(binary, [
                    "-q", "-r", "127.0.0.1:%d" % srv.port, "--timeout", "1000", "--retries",
                    "3", "--sector-column", "Domain type", "-o", out, "--summary", summ, path],
                    timeout=300)
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
            return C.summary()
        C.check("scan of the real file: exit 0 (%.1f s)" % secs, rc == 0,
                err.decode(errors="replace")[-1500:])
        C.check("the metadata is beside the output by default",
                os.path.exists(out + ".meta.json"))
        with open(summ) as f:
            summary = json.load(f)
        C.check("every row scanned, none failed", summary["statuses"].get("OK") == len(rows)
                and not summary.get("posture", {}).get("error", {}).get("n"),
                summary["statuses"])
        check_sectors(summary, truth_by_sector(world, rows))
        if have:
            check_pandas(REPO, out, summary)
        else:
            C.skip("pandas example", "python3-pandas or python3-zstandard not installed "
                   "(scripts/deps installs them)")
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
