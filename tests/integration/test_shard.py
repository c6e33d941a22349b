#!/usr/bin/python3
# test_shard.py -- integration test of --shard / --seed / --shard-from-env: N=4 shards run as
# separate processes (at the same time, as on four machines) against a real Knot serving a
# synthetic world, each reading the whole input; the union of their lines must equal the
# unsharded scan's, line for line (ts and attempts aside), with every input line in exactly
# one shard; the scheduler variables pick the same shard as --shard; bad values are usage
# errors that name the problem. Each run also writes its --summary: `dmarcscan merge` of the
# shards' summaries must equal the unsharded scan's summary on every count, and merge must
# refuse a shard given twice and a shard of another seed.
#
# Usage: test_shard.py DMARCSCAN [REPO]. Only 127.0.0.1 is contacted. Prints "N passed, M
# failed"; exit 1 on failure.
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261202
COUNT = 12000
SHARDS = 4
VOLATILE = ("ts", "attempts")
ILLEGAL = ["not a domain!", "-bad-.example", "x" * 70 + ".example", "1.2.3.4"]

C = itlib.Checks()


def drop_volatile(o):
    """o without the VOLATILE keys, at any depth (attempts are per check object: a name
    answered from the shared cache costs none, depending on timing)."""
    if isinstance(o, dict):
        return {k: drop_volatile(v) for k, v in o.items() if k not in VOLATILE}
    if isinstance(o, list):
        return [drop_volatile(v) for v in o]
    return o


def stable(o):
    return json.dumps(drop_volatile(o), sort_keys=True)


def scan_to(binary, args, out, env=None):
    argv = [binary, "scan", "-q", "-o", out] + args
    print("run   " + " ".join(argv))
    r = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=dict(os.environ, **(env or {})))
    return r


def finish(name, proc, out):
    try:
        _, err = proc.communicate(timeout=itlib.RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.kill()
        C.check("%s: finishes" % name, False)
        return None
    C.check("%s: exits 0" % name, proc.returncode == 0,
            "exit %s: %s" % (proc.returncode, err.decode(errors="replace")[-2000:]))
    return itlib.read_ndjson(C, name, out)


def usage_error(binary, args, env, want, name):
    r = subprocess.run([binary, "scan", "-q"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=dict(os.environ, **env), timeout=30)
    err = r.stderr.decode(errors="replace")
    C.check("%s: exit 2 naming %r" % (name, want), r.returncode == 2 and want in err,
            "exit %s: %s" % (r.returncode, err))


# What may differ between the merged summary and the unsharded one: times, command lines,
# resolvers' order, the shard description; top-list flags are compared on their own.
SUMMARY_VOLATILE = ("started", "ended", "argv", "shard")


def counts_only(o):
    """o without SUMMARY_VOLATILE keys, and with each receivers' table replaced by its
    entries as {org: (n, total, error)} (compared separately, see check_receivers)."""
    if isinstance(o, dict):
        if set(o) == {"exact", "top"}:
            return "receivers"
        return {k: counts_only(v) for k, v in o.items() if k not in SUMMARY_VOLATILE}
    if isinstance(o, list):
        return [counts_only(v) for v in o]
    return o


def tables(o, path=""):
    """Every receivers' table of o, by its path."""
    if isinstance(o, dict):
        if set(o) == {"exact", "top"}:
            yield path, o
            return
        for k, v in o.items():
            yield from tables(v, path + "." + k)


def check_receivers(merged, whole):
    """Where both tables are exact they must be equal; where the merged one is not, each
    listed count must bound the true (unsharded, exact) one: n - error <= true <= n."""
    got, want = dict(tables(merged)), dict(tables(whole))
    C.check("the same receivers' tables (%d)" % len(want), set(got) == set(want),
            sorted(set(got) ^ set(want))[:5])
    exact = bounded = lossy = 0
    bad = []
    for path, w in want.items():
        g = got.get(path)
        if g is None:
            continue
        if g["exact"] and w["exact"]:
            exact += 1
            if g != w:
                bad.append(path)
        elif w["exact"]:
            bounded += 1
            truth = {e["org"]: e["n"] for e in w["top"]}
            if any(not e["n"] - e["error"] <= truth.get(e["org"], 0) <= e["n"]
                   for e in g["top"]):
                bad.append(path)
        else:
            lossy += 1  # estimates on both sides: no truth to compare with
    C.check("receivers: %d exact tables equal, %d overflowed ones bound the true counts "
            "(%d overflowed in the unsharded scan too)" % (exact, bounded, lossy),
            not bad and exact > 0, bad[:5])


def merge(binary, args):
    r = subprocess.run([binary, "merge"] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    return r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")


def check_merge(binary, tmp, whole, shards, reseeded):
    """whole, shards (by index), reseeded: summary paths."""
    out = os.path.join(tmp, "merged.json")
    rc, _, err = merge(binary, ["-o", out] + [shards[i] for i in sorted(shards)])
    C.check("merge of the %d shards' summaries exits 0" % len(shards), rc == 0, err)
    if rc != 0:
        return
    with open(out) as f:
        merged = json.load(f)
    with open(whole) as f:
        want = json.load(f)
    shard = merged["scan"]["shard"]
    C.check("merged scan.shard: all %d merged, complete" % SHARDS,
            shard == {"count": SHARDS, "seed": 7, "merged": list(range(SHARDS)),
                      "complete": True}, shard)
    C.check("merged scan.argv: one command line per shard",
            len(merged["scan"]["argv"]) == SHARDS
            and all("--shard" in a for a in merged["scan"]["argv"]), merged["scan"]["argv"])
    C.check("merged started/ended: the earliest and the latest",
            merged["started"] <= merged["ended"])
    got, exp = counts_only(merged), counts_only(want)
    diffs = [k for k in sorted(set(got) | set(exp)) if got.get(k) != exp.get(k)]
    C.check("the merged summary equals the unsharded one on every count", not diffs,
            "differ: %s" % diffs[:10])
    check_receivers(merged, want)
    rc, _, err = merge(binary, [shards[0], shards[1], shards[0]])
    print("      " + err.strip())
    C.check("merge refuses a shard given twice, naming it",
            rc == 1 and "scan.shard.index is 0" in err and shards[0] in err, err)
    rc, _, err = merge(binary, [shards[1], reseeded])
    print("      " + err.strip())
    C.check("merge refuses another seed, naming the file, field and both values",
            rc == 1 and reseeded in err and "scan.shard.seed is 8, but 7" in err, err)
    rc, _, err = merge(binary, [shards[1], whole])
    print("      " + err.strip())
    C.check("merge refuses the unsharded summary with a shard (count 1 vs 4)",
            rc == 1 and "scan.shard.count is 1, but 4" in err, err)


def check_deploy_options(binary, name, text):
    """Every long option a deploy recipe passes is one `dmarcscan scan --help` lists."""
    help_text = subprocess.run([binary, "scan", "--help"], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT).stdout.decode()
    known = set(re.findall(r"(--[a-z0-9-]+)", help_text))
    used = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", text))
    C.check("%s: every option it passes is known (%d)" % (name, len(used)),
            used and used <= known, sorted(used - known))


def check_deploy_files(binary):
    """deploy/: the manifest parses and asks for as many shards as it runs pods; the Slurm
    script is valid bash and uses --shard-from-env; both pass only known options, and write
    the summary that `merge` adds."""
    job = os.path.join(REPO, "deploy", "k8s", "indexed-job.yaml")
    try:
        import yaml
        with open(job) as f:
            doc = yaml.safe_load(f)
        spec = doc["spec"]
        args = spec["template"]["spec"]["containers"][0]["args"]
        n = [a.split("=", 1)[1] for a in args if a.startswith("--shard-from-env=")]
        C.check("deploy/k8s: an Indexed Job whose --shard-from-env equals its completions",
                spec.get("completionMode") == "Indexed" and n == [str(spec["completions"])],
                "completions %s, args %s" % (spec.get("completions"), args))
        check_deploy_options(binary, "deploy/k8s", " ".join(a.split("=", 1)[0] for a in args))
        C.check("deploy/k8s: writes each shard's --summary",
                any(a.startswith("--summary=") for a in args), args)
    except ImportError:
        C.skip("deploy/k8s manifest", "python3-yaml is not installed")
    slurm = os.path.join(REPO, "deploy", "slurm", "dmarcscan-array.sh")
    r = subprocess.run(["bash", "-n", slurm], stderr=subprocess.PIPE)
    with open(slurm) as f:
        text = f.read()
    C.check("deploy/slurm: valid bash that runs --shard-from-env",
            r.returncode == 0 and "--shard-from-env" in text, r.stderr.decode())
    command = text[text.index("exec dmarcscan"):]
    check_deploy_options(binary, "deploy/slurm", command)
    C.check("deploy/slurm: writes each shard's --summary", "--summary" in command, command)


def main():
    binary = os.path.abspath(sys.argv[1])
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="dmarcscan-shard-") as tmp:
        world = os.path.join(tmp, "world")
        manifest = dsworld.generate(world, SEED, COUNT)
        src = os.path.join(tmp, "domains.txt")
        with open(os.path.join(world, "domains.txt")) as f, open(src, "w") as out:
            out.write(f.read() + "".join(x + "\n" for x in ILLEGAL))
        n_lines = COUNT + len(ILLEGAL)
        try:
            with dsauth.AuthServer(os.path.join(world, "zones"), os.path.join(tmp, "knot"),
                                   wait_zones=manifest["zones"]) as knot:
                base = ["-r", "127.0.0.1:%d" % knot.port, "--seed", "7", src]
                whole_out = os.path.join(tmp, "whole.ndjson")
                summaries = {i: os.path.join(tmp, "shard%d.summary.json" % i)
                             for i in range(SHARDS)}
                whole_summary = os.path.join(tmp, "whole.summary.json")
                reseeded_summary = os.path.join(tmp, "reseeded.summary.json")
                whole = finish("unsharded", scan_to(
                    binary, ["--summary", whole_summary] + base, whole_out), whole_out)
                procs = []
                for i in range(SHARDS):
                    out = os.path.join(tmp, "shard%d.ndjson.zst" % i)
                    procs.append((i, out, scan_to(binary, ["--shard", "%d/%d" % (i, SHARDS),
                                                           "--summary", summaries[i]]
                                                  + base, out)))
                shards = {i: finish("shard %d/%d" % (i, SHARDS), p, out)
                          for i, out, p in procs}
                k8s_out = os.path.join(tmp, "k8s.ndjson")
                k8s = finish("JOB_COMPLETION_INDEX=2", scan_to(
                    binary, ["--shard-from-env", str(SHARDS)] + base, k8s_out,
                    {"JOB_COMPLETION_INDEX": "2"}), k8s_out)
                slurm_out = os.path.join(tmp, "slurm.ndjson")
                slurm = finish("SLURM_ARRAY_TASK_ID=4 (MIN=1)", scan_to(
                    binary, ["--shard-from-env", str(SHARDS)] + base, slurm_out,
                    {"SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1"}), slurm_out)
                reseeded_out = os.path.join(tmp, "reseeded.ndjson")
                reseeded = finish("shard 0/4 with another seed", scan_to(
                    binary, ["--shard", "0/%d" % SHARDS, "-r", "127.0.0.1:%d" % knot.port,
                             "--seed", "8", "--summary", reseeded_summary, src], reseeded_out),
                    reseeded_out)
        except dsauth.AuthServerError as e:
            C.check("Knot starts and serves the world", False, e)
            return C.summary()

        if whole is None or any(v is None for v in shards.values()):
            return C.summary()
        C.check("unsharded: one line per input line (%d)" % n_lines, len(whole) == n_lines,
                len(whole))
        lines = collections.Counter(o.get("line") for v in shards.values() for o in v)
        dup = [l for l, k in lines.items() if k > 1]
        missing = [o["line"] for o in whole if o.get("line") not in lines]
        C.check("every input line is in exactly one shard", not dup and not missing,
                "duplicated %s, missing %s" % (dup[:5], missing[:5]))
        sizes = [len(shards[i]) for i in range(SHARDS)]
        C.check("shards are of similar size %s" % sizes,
                all(abs(s - n_lines / SHARDS) < n_lines / SHARDS * 0.1 for s in sizes))
        union = sorted(stable(o) for v in shards.values() for o in v)
        C.check("the union of the shards' lines equals the unsharded scan's",
                union == sorted(stable(o) for o in whole),
                itlib.first_diffs(sorted(set(union) ^ set(stable(o) for o in whole))))
        illegal = [o for v in shards.values() for o in v if o.get("status") == "ILLEGAL_INPUT"]
        C.check("the illegal lines went to the shards too (%d)" % len(ILLEGAL),
                len(illegal) == len(ILLEGAL), len(illegal))
        for name, got, want in (("JOB_COMPLETION_INDEX=2", k8s, shards[2]),
                                ("SLURM_ARRAY_TASK_ID=4, MIN=1", slurm, shards[3])):
            if got is not None:
                C.check("%s scans the same lines as --shard %d/4" % (
                    name, 2 if want is shards[2] else 3),
                    sorted(o["line"] for o in got) == sorted(o["line"] for o in want))
        if reseeded is not None:
            same = set(o["line"] for o in reseeded) & set(o["line"] for o in shards[0])
            C.check("another seed makes another split (%d of %d lines shared)" % (
                len(same), len(reseeded)), len(same) < len(reseeded) * 0.5)
        check_merge(binary, tmp, whole_summary, summaries, reseeded_summary)

        usage_error(binary, ["--shard", "4/4", src], {}, "--shard", "--shard 4/4")
        usage_error(binary, ["--shard", "1/4", "--shard-from-env", "4", src],
                    {"JOB_COMPLETION_INDEX": "1"}, "give one of them", "both")
        usage_error(binary, ["--shard-from-env", "4", src],
                    {"JOB_COMPLETION_INDEX": "", "SLURM_ARRAY_TASK_ID": ""},
                    "JOB_COMPLETION_INDEX", "--shard-from-env with no scheduler")
        usage_error(binary, ["--shard-from-env", "4", src], {"JOB_COMPLETION_INDEX": "9"},
                    "'9'", "--shard-from-env out of range")
    check_deploy_files(binary)
    print("runtime %.1f s" % (time.monotonic() - t0))
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
