#!/usr/bin/python3
# test_shard.py -- integration test of --shard / --seed / --shard-from-env: N=4 shards run as
# separate processes (at the same time, as on four machines) against a real Knot serving a
# synthetic world, each reading the whole input; the union of their lines must equal the
# unsharded scan's, line for line (ts and attempts aside), with every input line in exactly
# one shard; the scheduler variables pick the same shard as --shard; bad values are usage
# errors that name the problem.
#
# Usage: test_shard.py DMARCSCAN [REPO]. Only 127.0.0.1 is contacted. Prints "N passed, M
# failed"; exit 1 on failure.
import collections
import json
import os
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


def check_deploy_files():
    """deploy/: the manifest parses and asks for as many shards as it runs pods; the Slurm
    script is valid bash and uses --shard-from-env."""
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
    except ImportError:
        C.skip("deploy/k8s manifest", "python3-yaml is not installed")
    slurm = os.path.join(REPO, "deploy", "slurm", "dmarcscan-array.sh")
    r = subprocess.run(["bash", "-n", slurm], stderr=subprocess.PIPE)
    with open(slurm) as f:
        text = f.read()
    C.check("deploy/slurm: valid bash that runs --shard-from-env",
            r.returncode == 0 and "--shard-from-env" in text, r.stderr.decode())


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
                whole = finish("unsharded", scan_to(binary, base, whole_out), whole_out)
                procs = []
                for i in range(SHARDS):
                    out = os.path.join(tmp, "shard%d.ndjson.zst" % i)
                    procs.append((i, out, scan_to(binary, ["--shard", "%d/%d" % (i, SHARDS)]
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
                             "--seed", "8", src], reseeded_out), reseeded_out)
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

        usage_error(binary, ["--shard", "4/4", src], {}, "--shard", "--shard 4/4")
        usage_error(binary, ["--shard", "1/4", "--shard-from-env", "4", src],
                    {"JOB_COMPLETION_INDEX": "1"}, "give one of them", "both")
        usage_error(binary, ["--shard-from-env", "4", src],
                    {"JOB_COMPLETION_INDEX": "", "SLURM_ARRAY_TASK_ID": ""},
                    "JOB_COMPLETION_INDEX", "--shard-from-env with no scheduler")
        usage_error(binary, ["--shard-from-env", "4", src], {"JOB_COMPLETION_INDEX": "9"},
                    "'9'", "--shard-from-env out of range")
    check_deploy_files()
    print("runtime %.1f s" % (time.monotonic() - t0))
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
