# itlib.py -- what every integration test needs: counted checks, running the scanner, and
# reading its NDJSON output (plain or zstd) back.
# Contract: run_scan() never hangs (a timeout gives rc None); read_ndjson() records one check
# ("every output line is a JSON object") and returns the objects, or None when the file is
# missing or cannot be decompressed (also recorded as a failed check).
import json
import os
import subprocess
import time

RUN_TIMEOUT = 120  # seconds per scanner run


class Checks:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.failures = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok    " + name)
        else:
            self.failed += 1
            self.failures.append(name)
            print("FAIL  " + name)
            if detail:
                print("      " + str(detail).replace("\n", "\n      "))
        return ok

    def skip(self, name, why):
        self.skipped += 1
        print("skip  %s: %s" % (name, why))

    def summary(self):
        """Print the closing 'N passed, M failed' line; the exit status to return."""
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def first_diffs(items, n=10):
    return "\n".join(items[:n]) + ("\n... %d more" % (len(items) - n) if len(items) > n else "")


def run_scan(binary, args, stdin=None, timeout=RUN_TIMEOUT):
    """Run `dmarcscan scan ARGS`; (rc, stdout, stderr, seconds); rc None on a hang."""
    argv = [binary, "scan"] + list(args)
    print("run   " + " ".join(argv))
    t0 = time.monotonic()
    try:
        r = subprocess.run(argv, stdin=stdin or subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, b"", e.stderr or b"", time.monotonic() - t0
    return r.returncode, r.stdout, r.stderr, time.monotonic() - t0


def read_ndjson(checks, name, path):
    """The JSON objects of an output file (.zst decompressed); None when unreadable."""
    if not checks.check("%s: output file written" % name, os.path.exists(path), path):
        return None
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".zst"):
        if not checks.check("%s: output is zstd" % name, data[:4] == b"\x28\xb5\x2f\xfd",
                            "first bytes %r" % data[:8]):
            return None
        r = subprocess.run(["zstd", "-dcq", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        if not checks.check("%s: zstd -dc reads it" % name, r.returncode == 0,
                            r.stderr.decode(errors="replace")):
            return None
        data = r.stdout
    objs, bad = [], []
    for i, line in enumerate(data.decode("utf-8", errors="replace").splitlines()):
        try:
            o = json.loads(line)
            if not isinstance(o, dict):
                raise ValueError("not an object")
            objs.append(o)
        except ValueError as e:
            bad.append("line %d: %s: %.200r" % (i + 1, e, line))
    checks.check("%s: every output line is a JSON object (%d lines)" % (name, len(objs)),
                 not bad, first_diffs(bad))
    return objs
