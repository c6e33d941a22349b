#!/usr/bin/python3
# test_overload.py -- integration test: dmarcscan with default options through resolvers that
# are overloaded, slow, lossy or whose capacity changes (issue 9), checked against the truth
# of the worlds Knot serves. The scenarios are scripts/dsoverload.py's (bench/overload runs
# them bigger, with sweeps of fixed windows):
#   A  3000 real .gov names, stock Unbound (1 thread, 1024 queries/thread, jostle 200 ms)
#   B  20000 synthetic names, tuned Unbound (scripts/local-resolver) whose upstream is a
#      lossproxy adding 50 ms
#   C  3000 synthetic names, two resolvers: lossproxy --drop 30 --forge 10 and lossproxy
#      --delay 300 --forge 10
#   D  5000 synthetic names, one lossproxy with a 3000 q/s token bucket that halves 1 s after
#      the first query and comes back at 2 s
# Every run (fresh resolvers, `--checks dmarc`, no other option): exit 0, every input line
# exactly one output line; A, B, D: no domain with posture error (dmarc TIMEOUT); C: every
# dmarc answer equal to the truth. Plus one check per scenario that the rig did what it says
# (Unbound asked Knot, the proxy held/dropped/forged, the capacity was the bottleneck), so
# that a broken rig cannot pass. No timing is asserted.
#
# Usage: test_overload.py DMARCSCAN REPO LOSSPROXY   (ctest passes the built binaries)
# Only 127.0.0.1 is contacted. Prints "N passed, M failed"; exit 1 on failure.

import os
import sys
import tempfile
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsoverload  # noqa: E402

SEED = 20261202
SIZES = {"A": 3000, "B": 20000, "C": 3000, "D": 5000}
CAPACITY = (3000, 1, 2)  # D: q/s, halved from 1 s, back from 2 s after the first query

C = itlib.Checks()


def run(sc, binary, proxy_bin, knot_port, w, tmp):
    n = SIZES[sc]
    world = w["real"] if sc == "A" else w["syn"]
    domains = os.path.join(tmp, "domains-%s.txt" % sc)
    truth = dsoverload.first_lines(world, n, domains)
    out_path = os.path.join(tmp, "out-%s.ndjson" % sc)
    name = "%s (%s, %d domains)" % (sc, dsoverload.describe(sc, CAPACITY), n)
    with dsoverload.Resolvers(sc, os.path.join(tmp, "res-" + sc), knot_port, w["zone_names"],
                              proxy_bin, capacity=CAPACITY) as res:
        rc, out, err, secs = itlib.run_scan(binary, ["--checks", "dmarc", "-r", res.addrs,
                                                     "-o", out_path, domains])
    err_text = err.decode("utf-8", errors="replace")
    tail = ([l for l in err_text.splitlines() if l.strip()][-1:] or [""])[0]
    print("      %.1f s, exit %s, stderr ends: %s" % (secs, rc, tail[:200]))
    C.check("%s: exits 0" % name, rc == 0, "exit %s; stderr:\n%s" % (rc, err_text[-3000:]))
    objs = itlib.read_ndjson(C, name, out_path)
    if objs is not None:
        o = dsoverload.outcome(objs, list(truth), truth)
        C.check("%s: every input line has exactly one output line" % sc,
                o["lines"] == n and not (o["missing"] or o["duplicated"] or o["extra"]),
                "%d lines for %d domains; missing %d %s, duplicated %d %s, extra %s"
                % (o["lines"], n, len(o["missing"]), o["missing"][:5], len(o["duplicated"]),
                   o["duplicated"][:5], o["extra"][:5]))
        print("      %s: %d domains with posture error, %d dmarc TIMEOUT, %d verdicts != truth"
              % (sc, len(o["posture_error"]), len(o["dmarc_timeout"]), len(o["wrong"])))
        if sc == "C":
            C.check("C: every domain's dmarc answer equals the truth", not o["wrong"],
                    "%d of %d wrong:\n%s" % (len(o["wrong"]), n, itlib.first_diffs(o["wrong"])))
        else:
            C.check("%s: no domain ends with posture error / dmarc TIMEOUT" % sc,
                    not o["posture_error"] and not o["dmarc_timeout"],
                    "%d posture error, %d TIMEOUT of %d domains, e.g. %s"
                    % (len(o["posture_error"]), len(o["dmarc_timeout"]), n,
                       o["posture_error"][:5]))
    check_rig(sc, res, n)


def check_rig(sc, res, n):
    """The scenario's resolvers did what the scenario says (else the run proves nothing)."""
    ps = res.proxy_stats or []
    print("      resolvers: unbound %s; proxies %s" % (
        {k: v for k, v in (res.unbound_stats or {}).items()
         if k in ("num.query.udpout", "total.requestlist.exceeded",
                  "total.requestlist.overwritten")}, ps))
    if sc == "A":
        u = res.unbound_stats or {}
        C.check("A: stock Unbound asked Knot (num.query.udpout >= %d)" % n,
                u.get("num.query.udpout", 0) >= n, u)
    elif sc == "B":
        C.check("B: the proxy between Unbound and Knot held replies (--delay 50)",
                len(ps) == 1 and ps[0].get("held", 0) >= n, ps)
    elif sc == "C":
        C.check("C: one proxy dropped queries, both sent forged replies",
                len(ps) == 2 and ps[0].get("dropped", 0) > 0
                and all(p.get("forged", 0) > 0 for p in ps), ps)
    else:
        q, t1, t2 = CAPACITY
        by_t2 = int(q * t1 + q // 2 * (t2 - t1) + 2 * q * 0.05)  # with two full bursts
        C.check("D: sized so that capacity changes mid-scan: %d domains need more queries "
                "than the bucket passes before %g s (%d)" % (n, t2, by_t2), n > by_t2)
        caps = [s.get("capacity") for s in (res.proxy_seconds or [[]])[0]]
        C.check("D: the proxy applied its schedule (%d, %d, %d q/s seen in its per-second "
                "lines)" % (q, q // 2, q), q in caps and q // 2 in caps
                and caps.index(q // 2) < len(caps) - 1 - caps[::-1].index(q), caps)


def run_guarded(sc, *args):
    """run(), a resolver that does not start being a failed check, not an abort."""
    try:
        run(sc, *args)
    except dsoverload.SETUP_ERRORS as e:
        C.check("%s: resolvers start" % sc, False, e)


def main():
    if len(sys.argv) < 4 or not all(os.access(p, os.X_OK) for p in (sys.argv[1], sys.argv[3])):
        print("usage: test_overload.py DMARCSCAN REPO LOSSPROXY")
        print("0 passed, 1 failed")
        return 2
    binary, proxy_bin = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[3])
    t_start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dmarcscan-ov-") as tmp:
        w = dsoverload.worlds(tmp, SIZES["A"], max(SIZES.values()), SEED)
        try:
            with dsauth.AuthServer(w["zones"], os.path.join(tmp, "knot")) as knot:
                print("knot on 127.0.0.1:%d, ready in %.1f s" % (knot.port, knot.load_seconds))
                for sc in dsoverload.SCENARIOS:
                    run_guarded(sc, binary, proxy_bin, knot.port, w, tmp)
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
    print("runtime %.1f s" % (time.monotonic() - t_start))
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
