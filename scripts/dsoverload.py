# dsoverload.py -- the overload scenarios of issue 9, shared by bench/overload (sweeps, tables)
# and tests/integration/test_overload.py (assertions): what stands between dmarcscan and Knot,
# and what a run's output and metadata say.
#
# Contract:
#   LossProxy(binary, upstream, args, log_path) starts bench/lossproxy (args: its options, e.g.
#     ["--drop", "0", "--delay", "50"]) in front of 127.0.0.1:upstream with --stats, its stderr
#     in log_path; .port once it listens (raises ProxyError if it does not start); stop()
#     (SIGTERM, idempotent) returns its final counters {name: int}; per_second() the
#     --stats lines as dicts ({"t": second, "queries": n, ..., "capacity": qps}).
#   Resolvers(scenario, run_dir, knot_port, zones, proxy_bin, capacity=...) is a context
#     manager that builds one scenario's resolvers from scratch (a fresh Unbound, so no cache
#     survives from another run) and tears them down on leaving; .addrs: the "-r" value.
#       A: Unbound, stock profile (1 thread, 1024 queries per thread, jostle 200 ms) -> Knot
#       B: Unbound, tuned profile (scripts/local-resolver) -> lossproxy --delay 50 -> Knot
#       C: lossproxy --drop 30 --forge 10 and lossproxy --delay 300 --forge 10, both -> Knot
#       D: lossproxy --capacity Q --capacity-at T1:Q/2 --capacity-at T2:Q -> Knot
#     On leaving D keeps its proxy until its lines show the capacity back (at most T2 + 3 s
#     after the first query), however soon the scan ended.
#     .proxy_stats (after leaving): [final counters] per proxy; .proxy_seconds: their
#     per-second lines; .unbound_stats: unbound-control stats_noreset before it stopped.
#   outcome(objs, domains, truth=None) -> dict: lines, missing/duplicated/extra domains,
#     posture_error, dmarc_timeout (lists of domains), wrong (descriptions of the lines whose
#     dmarc differs from the world's truth; None without a truth). objs may be a generator.
#   worlds(base, real_count, syn_count, seed) -> {"real", "syn", "zones", "zone_names"}: a
#     dsworld world of real_count real .gov names (REAL_NAMES, shuffled by seed) and a synthetic
#     one of syn_count names (reused when current), and one zone directory serving both (the
#     synthetic zones also hold the report receivers the real world's rua URIs name).
#   first_lines(world, n, path) writes the world's first n domains to path; their truth.
#   read_ndjson(path) yields the objects of an NDJSON output (.zst decompressed by zstd).
#   window_history(meta) -> [(second, {resolver: window})] from the metadata's "congestion"
#     history (docs/output.md), else None.
# Only 127.0.0.1 is used.

import json
import os
import random
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsunbound  # noqa: E402
import dsworld  # noqa: E402

REAL_NAMES = "/work/shared/data/dotgov-current-full.csv"
SCENARIOS = "ABCD"
DESCRIPTION = {
    "A": "stock Unbound (1 thread, 1024 queries/thread, jostle 200 ms) in front of Knot",
    "B": "tuned Unbound (local-resolver) -> lossproxy --delay 50 -> Knot",
    "C": "two resolvers: lossproxy --drop 30 --forge 10, lossproxy --delay 300 --forge 10",
    "D": "lossproxy --capacity Q, Q/2 from T1 s, Q again from T2 s",
}


class ProxyError(RuntimeError):
    pass


SETUP_ERRORS = (ProxyError, dsunbound.ResolverError)  # what Resolvers() raises when it fails


class LossProxy:
    """bench/lossproxy in front of 127.0.0.1:upstream (see the module contract)."""

    def __init__(self, binary, upstream, args, log_path, max_seconds=3600):
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.p = subprocess.Popen([binary, "--upstream", str(upstream), "--stats",
                                   "--max-seconds", str(max_seconds)] + list(args),
                                  stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.p.stdout.readline()
        if not line.strip().isdigit():
            self.stop()
            raise ProxyError("lossproxy %s did not start: %r\n%s"
                             % (" ".join(args), line, self.log_text()))
        self.port = int(line)
        self.stats = None

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            self.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.p.stdout.close()
        self.log.close()
        if self.stats is None:
            self.stats = {}
            for ln in self.log_text().splitlines():
                if ln.startswith("lossproxy: queries"):
                    self.stats = _pairs(ln.split()[1:])
        return self.stats

    def per_second(self):
        return [_pairs(ln.split()[1:]) for ln in self.log_text().splitlines()
                if ln.startswith("lossproxy-stats:")]

    def log_text(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""


def _pairs(words):
    out = {}
    for i in range(0, len(words) - 1, 2):
        try:
            out[words[i]] = float(words[i + 1]) if "." in words[i + 1] else int(words[i + 1])
        except ValueError:
            pass
    return out


class Resolvers:
    """One scenario's resolvers, built fresh (see the module contract)."""

    def __init__(self, scenario, run_dir, knot_port, zones, proxy_bin,
                 capacity=(20000, 4, 8), seed=1):
        if scenario not in SCENARIOS:
            raise ValueError("unknown scenario %r" % scenario)
        self.scenario = scenario
        self.run_dir = run_dir
        self.knot_port = knot_port
        self.zones = list(zones)
        self.proxy_bin = proxy_bin
        self.capacity = capacity
        self.seed = seed
        self.proxies = []
        self.unbound = None
        self.addrs = None
        self.proxy_stats = self.proxy_seconds = self.unbound_stats = None

    def __enter__(self):
        os.makedirs(self.run_dir, exist_ok=True)
        try:
            self.addrs = ",".join("127.0.0.1:%d" % p for p in self._build())
        except BaseException:
            self.__exit__()
            raise
        return self

    def _proxy(self, name, args):
        p = LossProxy(self.proxy_bin, self.knot_port, args,
                      os.path.join(self.run_dir, "lossproxy-%s.log" % name))
        self.proxies.append(p)
        return p.port

    def _unbound(self, upstream_port, profile):
        stubs = {z: ("127.0.0.1", upstream_port) for z in self.zones}
        self.unbound = dsunbound.LocalResolver(
            os.path.join(self.run_dir, "unbound"), stubs=stubs, profile=profile,
            msg_cache="64m", rrset_cache="128m")
        self.unbound.stop()  # never reuse a warm cache
        return self.unbound.start()

    def _build(self):
        s, seed = self.scenario, str(self.seed)
        if s == "A":
            return [self._unbound(self.knot_port, "stock")]
        if s == "B":
            up = self._proxy("delay50", ["--drop", "0", "--delay", "50", "--seed", seed])
            return [self._unbound(up, "tuned")]
        if s == "C":
            return [self._proxy("drop30", ["--drop", "30", "--forge", "10", "--seed", seed]),
                    self._proxy("delay300", ["--drop", "0", "--delay", "300", "--forge", "10",
                                             "--seed", str(self.seed + 1)])]
        q, t1, t2 = self.capacity
        return [self._proxy("capacity", ["--drop", "0", "--capacity", str(q),
                                         "--capacity-at", "%g:%d" % (t1, q // 2),
                                         "--capacity-at", "%g:%d" % (t2, q), "--seed", seed])]

    def _await_schedule(self, margin=3.0):
        """D: keep the proxy until a per-second line shows the capacity back after its drop.
        Its schedule runs from the first query, and a scan may end before the recovery: the
        proxy's lines must show the whole schedule whatever the scan's length."""
        q, _, t2 = self.capacity
        deadline = time.monotonic() + t2 + margin
        while time.monotonic() < deadline:
            caps = [s.get("capacity") for s in self.proxies[0].per_second()]
            if q // 2 in caps and q in caps[caps.index(q // 2):]:
                return
            time.sleep(0.1)

    def __exit__(self, *exc):
        if self.scenario == "D" and self.proxies and (not exc or exc[0] is None):
            self._await_schedule()
        if self.unbound is not None:
            try:
                self.unbound_stats = self.unbound.stats()
            except dsunbound.ResolverError:
                self.unbound_stats = {}
            self.unbound.stop()
        self.proxy_stats = [p.stop() for p in self.proxies]
        self.proxy_seconds = [p.per_second() for p in self.proxies]


def describe(scenario, capacity=(20000, 4, 8)):
    d = DESCRIPTION[scenario]
    if scenario == "D":
        q, t1, t2 = capacity
        d = d.replace("Q/2", str(q // 2)).replace("Q", str(q)).replace("T1", "%g" % t1) \
            .replace("T2", "%g" % t2)
    return d


def outcome(objs, domains, truth=None):
    """What a run's output lines say, in one pass over objs (see the module contract)."""
    seen = {}
    r = {"lines": 0, "posture_error": [], "dmarc_timeout": [],
         "wrong": [] if truth is not None else None}
    for o in objs:
        r["lines"] += 1
        d = o.get("domain")
        seen[d] = seen.get(d, 0) + 1
        dm = o.get("dmarc") if isinstance(o.get("dmarc"), dict) else {}
        if o.get("posture") == "error":
            r["posture_error"].append(d)
        if dm.get("status") == "TIMEOUT":
            r["dmarc_timeout"].append(d)
        t = truth.get(d) if truth is not None else None
        if t is not None and not dsworld.dmarc_matches(o, t):
            r["wrong"].append("%s [%s]: got %s %s, expected %s %s" % (
                d, t["category"], dm.get("status"), json.dumps(dm.get("records")),
                t["dmarc"]["status"], json.dumps(t["dmarc"]["records"])))
    want = set(domains)
    r["missing"] = sorted(d for d in want if d not in seen)
    r["duplicated"] = sorted(d for d, k in seen.items() if k > 1)
    r["extra"] = sorted(str(d) for d in seen if d not in want)
    return r


def window_history(meta):
    """[(second, {resolver: window})] from the metadata's "congestion" history, or None.

    The format (docs/output.md): {"interval_ms": ms between samples, "resolvers": [column
    names], "window": [[w per column] per sample], "pacing_qps": [...]}."""
    cg = meta.get("congestion") if isinstance(meta, dict) else None
    if not isinstance(cg, dict) or not isinstance(cg.get("window"), list):
        return None
    step = cg.get("interval_ms", 1000) / 1000.0
    names = cg.get("resolvers") or []
    out = []
    for i, row in enumerate(cg["window"]):
        out.append((i * step, {(names[k] if k < len(names) else str(k)): w
                               for k, w in enumerate(row)}))
    return out or None


def read_meta(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None



def read_ndjson(path):
    """The objects of an NDJSON file, one by one (.zst through zstd -dc)."""
    if path.endswith(".zst"):
        p = subprocess.Popen(["zstd", "-dcq", path], stdout=subprocess.PIPE)
        try:
            for ln in p.stdout:
                yield json.loads(ln)
        finally:
            p.stdout.close()
            p.wait()
    else:
        with open(path, "rb") as f:
            for ln in f:
                yield json.loads(ln)


def worlds(base, real_count, syn_count, seed, names_file=REAL_NAMES):
    """Both worlds and one zone directory for them (see the module contract)."""
    names = dsworld.names_from_file(names_file)
    random.Random(seed).shuffle(names)
    real = os.path.join(base, "real-%d-s%d" % (real_count, seed))
    syn = os.path.join(base, "syn-%d-s%d" % (syn_count, seed))
    if not dsworld.is_current(real, seed, real_count, names):
        dsworld.generate(real, seed, real_count, names=names)
    if not dsworld.is_current(syn, seed, syn_count):
        dsworld.generate(syn, seed, syn_count)
    zones = os.path.join(base, "zones-%d-%d-s%d" % (real_count, syn_count, seed))
    os.makedirs(zones, exist_ok=True)
    zone_names = []
    for w in (real, syn):
        for z in dsworld.read_manifest(w)["zones"]:
            if z in zone_names:  # the mail providers' zone: the same text in every world
                continue
            link = os.path.join(zones, z + ".zone")
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(os.path.join(w, "zones", z + ".zone"), link)
            zone_names.append(z)
    return {"real": real, "syn": syn, "zones": zones, "zone_names": zone_names}


def first_lines(world, n, path):
    """Write the first n domains of world to path; return {domain: truth} of those."""
    truth = {}
    with open(os.path.join(world, "truth.ndjson")) as src, open(path, "w") as dst:
        for line in src:
            if len(truth) >= n:
                break
            t = json.loads(line)
            truth[t["domain"]] = t
            dst.write(t["domain"] + "\n")
    return truth
