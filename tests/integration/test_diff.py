#!/usr/bin/python3
# test_diff.py -- integration test of `dmarcscan diff`: a synthetic world (scripts/dsworld.py)
# is scanned from a real Knot (OLD), then a copy of it with known edits is scanned (NEW):
# 40 domains go from p=none to p=reject, 30 lose their reject record, 20 gain a quarantine
# record, 25 SPF records go from ~all to -all, 15 change their report receivers; 10 domains
# are only in OLD's input, 12 only in NEW's, and one domain is listed twice in NEW. The diff
# of the two outputs (plain and .zst, also .gz) must report exactly those changes, line by
# line and in the table, with no temporary file left in $TMPDIR; the diff of the two
# scans' --summary files must give each rate before and after as the summaries say.
# Mismatched inputs (a scan and a summary, a CSV) are refused.
#
# Usage: test_diff.py DMARCSCAN [REPO]. Only 127.0.0.1 is contacted. Prints "N passed, M
# failed"; exit 1 on failure.
import gzip
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

import itlib

SEED = 20261204
COUNT = 3000
C = itlib.Checks()

# (how many, truth category, what becomes of the _dmarc record)
EDITS = {"up": 40, "lost": 30, "gained": 20, "spf": 25, "receivers": 15}
NEW_RUA = "v=DMARC1; p=none; rua=mailto:x@newvendor.example"


def no_reports(t):
    return not any("rua=" in r or "ruf=" in r for r in t["dmarc"]["records"])


def pick_edits(truth, domains, rng):
    """{kind: [domains]}: disjoint sets, away from the domains only one input lists."""
    middle = domains[10:-12]
    rng.shuffle(middle)
    used, picks = set(), {}

    def take(kind, ok):
        got = [d for d in middle if d not in used and ok(truth[d])][:EDITS[kind]]
        used.update(got)
        picks[kind] = got

    take("up", lambda t: t["category"] == "none" and no_reports(t))
    take("lost", lambda t: t["category"] == "reject" and no_reports(t))
    take("gained", lambda t: t["category"] == "nxdomain")
    take("receivers", lambda t: t["category"] == "none")
    # SPF: a ~all record whose evaluation reaches its all; DMARC left as it is
    take("spf", lambda t: t["spf_category"] == "softfail"
         and (t["spf"] or {}).get("all") == "softfail")
    for kind, got in picks.items():
        if len(got) != EDITS[kind]:
            raise RuntimeError("world has too few domains for %s: %d" % (kind, len(got)))
    return picks


def edit_world(world1, world2, truth, picks):
    """world2: world1's zones with the edits of picks."""
    shutil.copytree(world1, world2)
    by_zone = {}
    for kind, ds in picks.items():
        for d in ds:
            label, zone = d.split(".", 1)
            by_zone.setdefault(zone, {})[label] = kind
    for zone, labels in by_zone.items():
        path = os.path.join(world2, "zones", zone + ".zone")
        with open(path) as f:
            lines = f.read().split("\n")
        out = []
        for ln in lines:
            parts = ln.split("\t")
            owner = parts[0]
            kind = labels.get(owner[len("_dmarc."):]) if owner.startswith("_dmarc.") else None
            own = labels.get(owner)
            if kind and len(parts) == 3 and parts[1] == "TXT" and "v=DMARC1" in parts[2]:
                if kind == "up":
                    ln = '%s\tTXT\t"v=DMARC1; p=reject"' % owner
                elif kind == "lost":
                    continue
                elif kind == "receivers":
                    ln = '%s\tTXT\t"%s"' % (owner, NEW_RUA)
            if own == "spf" and len(parts) == 3 and parts[1] == "TXT" and "v=spf1" in parts[2]:
                ln = ln.replace("~all", "-all")
            out.append(ln)
        for label, kind in labels.items():
            if kind == "gained":
                out.append('_dmarc.%s\tTXT\t"v=DMARC1; p=quarantine"' % label)
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")


def scan(binary, port, inputs, out, summary):
    rc, _, err, secs = itlib.run_scan(binary, ["-q", "-r", "127.0.0.1:%d" % port, "-o", out,
                                               "--summary", summary, "--timeout", "1000",
                                               "--retries", "3", inputs])
    C.check("scan %s: exits 0 (%.1f s)" % (os.path.basename(out), secs), rc == 0,
            err.decode(errors="replace")[-1500:])


def run_diff(binary, args, env=None):
    argv = [binary, "diff"] + args
    print("run   " + " ".join(argv))
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120,
                          env=dict(os.environ, **(env or {})))


def check_lines(name, lines, picks, only_old, only_new):
    by = {}
    for o in lines:
        by.setdefault(o["change"], []).append(o)
    changed = {o["domain"]: o for o in by.get("changed", [])}
    C.check("%s: removed = the 10 only in OLD" % name,
            sorted(o["domain"] for o in by.get("removed", [])) == sorted(only_old),
            [o["domain"] for o in by.get("removed", [])])
    C.check("%s: added = the 12 only in NEW" % name,
            sorted(o["domain"] for o in by.get("added", [])) == sorted(only_new),
            [o["domain"] for o in by.get("added", [])])
    edited = {d for ds in picks.values() for d in ds}
    C.check("%s: changed = the %d edited domains" % (name, len(edited)),
            set(changed) == edited, sorted(set(changed) ^ edited)[:20])
    want = {
        "up": ("none", "reject", {"posture_up", "enforcing_gained"}),
        "lost": ("reject", "missing", {"posture_down", "record_removed", "enforcing_lost"}),
        "gained": ("missing", "quarantine", {"posture_up", "record_added",
                                              "enforcing_gained"}),
        "receivers": ("none", "none", {"receivers"}),
        "spf": (None, None, {"spf_all"}),
    }
    for kind, ds in picks.items():
        po, pn, codes = want[kind]
        bad = []
        for d in ds:
            o = changed.get(d)
            if not o:
                continue
            got = set(o["changes"]) - {"spoofable"}  # spoofable follows SPF and DMARC
            if got != codes or (po and (o["old"]["posture"], o["new"]["posture"]) != (po, pn)):
                bad.append("%s: %s %s -> %s" % (d, o["changes"], o["old"]["posture"],
                                                o["new"]["posture"]))
            if kind == "spf" and (o["old"].get("spf_all"), o["new"].get("spf_all")) \
                    != ("softfail", "fail"):
                bad.append("%s: spf_all %s -> %s" % (d, o["old"].get("spf_all"),
                                                    o["new"].get("spf_all")))
            if kind == "receivers" and "newvendor.example" not in o.get("receivers_added", []):
                bad.append("%s: receivers_added %s" % (d, o.get("receivers_added")))
        C.check("%s: the %d '%s' edits reported as %s" % (name, len(ds), kind, sorted(codes)),
                not bad, itlib.first_diffs(bad))
    C.check("%s: in domain order" % name,
            [o["domain"] for o in lines] == sorted(o["domain"] for o in lines))


def check_table(name, text, only_old, only_new):
    want = ["40 domains moved from posture none to reject",
            "30 domains moved from posture reject to missing",
            "20 domains moved from posture missing to quarantine",
            "25 domains moved from SPF all softfail to fail",
            "20 gained a DMARC record; 30 lost their record",
            "60 posture up, 30 down, 0 other",
            "60 started enforcing, 30 stopped",
            "15 changed their report receivers; 0 changed status",
            "%d domains in both: 130 changed" % (COUNT - 22),
            "12 only in NEW (added), 10 only in OLD (removed)",
            "NEW new.ndjson.zst: %d lines, %d domains (1 repeated" % (COUNT - 10 + 1, COUNT - 10)]
    missing = [w for w in want if w not in text]
    C.check("%s: the table's counts" % name, not missing, "%s\n%s" % (missing, text))


def check_summaries(binary, tmp):
    a, b = os.path.join(tmp, "old.summary.json"), os.path.join(tmp, "new.summary.json")
    r = run_diff(binary, [a, b])
    C.check("summaries: exit 0", r.returncode == 0, r.stderr.decode(errors="replace")[-800:])
    lines = [json.loads(x) for x in r.stdout.decode().splitlines()]
    sa, sb = (json.load(open(p)) for p in (a, b))
    got = {(o["group"], o["name"]): o for o in lines}
    bad = []
    for key in ("reject", "none", "missing", "quarantine"):
        o = got.get(("all", "posture." + key))
        if not o or o["old"] != sa["posture"][key] or o["new"] != sb["posture"][key]:
            bad.append("posture.%s: %s" % (key, o))
    # the edits (+60 -30) and the domains only one input lists, counted from the lines
    enforcing = [sum(1 for ln in open(os.path.join(tmp, w + ".ndjson"))
                     if json.loads(ln).get("enforcing") is True) for w in ("old", "new")]
    enf = got.get(("all", "policy.enforcing"))
    if not enf or (enf["old"]["n"], enf["new"]["n"]) != tuple(enforcing):
        bad.append("policy.enforcing: %s, lines say %s" % (enf, enforcing))
    rj = got.get(("all", "posture.reject"))
    if rj and abs(rj["points"] - 100.0 * (rj["new"]["n"] / rj["new"]["total"]
                                          - rj["old"]["n"] / rj["old"]["total"])) > 1e-2:
        bad.append("points: %s" % rj)
    tld = [o for o in lines if o["group"].startswith("by_tld/")]
    if not tld:
        bad.append("no by_tld lines")
    C.check("summaries: rates before and after as the summaries say", not bad,
            itlib.first_diffs(bad))
    table = r.stderr.decode()
    C.check("summaries: the table shows posture.reject with its change in points",
            re.search(r"posture\.reject +[0-9.]+% \(\d+/\d+\) -> +[0-9.]+% \(\d+/\d+\) +[+-]",
                      table) is not None, table[:1500])


def check_refusals(binary, tmp):
    old = os.path.join(tmp, "old.ndjson")
    r = run_diff(binary, [old, os.path.join(tmp, "old.summary.json")])
    C.check("a scan and a summary: exit 1, says so", r.returncode == 1
            and b"give two of a kind" in r.stderr, r.stderr)
    csv = os.path.join(tmp, "list.csv")
    with open(csv, "w") as f:
        f.write("rank,domain\n1,a.example\n")
    r = run_diff(binary, [csv, old])
    C.check("a CSV: exit 1", r.returncode == 1, r.stderr)
    r = run_diff(binary, [old])
    C.check("one file: usage error", r.returncode == 2, r.stderr)
    r = run_diff(binary, ["--memory", "1M", old, old])
    C.check("--memory below 8M: usage error", r.returncode == 2, r.stderr)
    r = run_diff(binary, [old, os.path.join(tmp, "absent.ndjson")])
    C.check("a missing file: exit 1, named", r.returncode == 1 and b"absent.ndjson" in r.stderr,
            r.stderr)


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="dmarcscan-diff-") as tmp:
        w1, w2 = os.path.join(tmp, "world1"), os.path.join(tmp, "world2")
        manifest = dsworld.generate(w1, SEED, COUNT)
        truth = dsworld.load_truth(w1)
        with open(os.path.join(w1, "domains.txt")) as f:
            domains = [ln.strip() for ln in f if ln.strip()]
        picks = pick_edits(truth, domains, random.Random(SEED))
        edit_world(w1, w2, truth, picks)
        only_old, only_new = domains[:10], domains[-12:]
        with open(os.path.join(tmp, "old.txt"), "w") as f:
            f.write("\n".join(domains[:-12]) + "\n")
        with open(os.path.join(tmp, "new.txt"), "w") as f:
            f.write("\n".join(domains[10:] + [domains[500].upper()]) + "\n")
        try:
            for world, which in ((w1, "old"), (w2, "new")):
                with dsauth.AuthServer(os.path.join(world, "zones"),
                                       os.path.join(tmp, "run-" + which),
                                       wait_zones=manifest["zones"]) as srv:
                    scan(binary, srv.port, os.path.join(tmp, which + ".txt"),
                         os.path.join(tmp, which + ".ndjson"),
                         os.path.join(tmp, which + ".summary.json"))
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
            return C.summary()
        old, new = os.path.join(tmp, "old.ndjson"), os.path.join(tmp, "new.ndjson")
        subprocess.run(["zstd", "-q", "-f", new, "-o", new + ".zst"], check=True)
        with open(old, "rb") as f, gzip.open(old + ".gz", "wb") as g:
            g.write(f.read())
        sorttmp = os.path.join(tmp, "sorttmp")
        os.mkdir(sorttmp)
        os.chdir(tmp)
        out, table = os.path.join(tmp, "diff.ndjson"), os.path.join(tmp, "table.txt")
        for name, args in (("plain -> zst, -o and --table", ["-o", out, "--table", table,
                                                             "old.ndjson", "new.ndjson.zst"]),
                           ("gz -> zst, --memory 8M, stdout", ["--memory", "8M", "old.ndjson.gz",
                                                             "new.ndjson.zst"])):
            r = run_diff(binary, args, env={"TMPDIR": sorttmp})
            C.check("%s: exit 0" % name, r.returncode == 0,
                    r.stderr.decode(errors="replace")[-800:])
            text = open(out).read() if "-o" in args else r.stdout.decode()
            tab = open(table).read() if "--table" in args else r.stderr.decode()
            lines = [json.loads(x) for x in text.splitlines()]
            check_lines(name, lines, picks, only_old, only_new)
            check_table(name, tab, only_old, only_new)
            C.check("%s: no temporary file left in $TMPDIR" % name, os.listdir(sorttmp) == [],
                    os.listdir(sorttmp))
        check_summaries(binary, tmp)
        check_refusals(binary, tmp)
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
