#!/usr/bin/python3
# test_resume.py -- integration test of crash safety and --resume against a real Knot serving
# a synthetic world (scripts/dsworld.py).
#
# Usage: test_resume.py DMARCSCAN [REPO [CASES]]   CASES: kill (default) or disk_full.
# Only 127.0.0.1 is contacted. Prints "N passed, M failed"; exit 1 on failure.
#
# kill: a 200,000-domain world scanned once without interruption (the reference), then
# scanned again and killed with SIGKILL at 10 random points (seeded: a random delay, then a
# random output size, then another random delay), resumed with --resume each time. After
# every kill the checkpoint must describe the output exactly (its first `offset` bytes are
# whole zstd frames holding exactly the lines it lists, and bytes durable earlier are never
# touched again); the finished output must hold every input line exactly once with the
# reference's content (lines compared without ts and attempts) and decompress cleanly.
# Then Ctrl-C (SIGINT) and --resume with plain NDJSON output; SIGKILL and --resume with two
# input files (items are numbered across files); --resume refusing a changed
# input, other options, stdin and stdout; --resume of a complete scan; inputs with no domain.
# disk_full: the scan writes into a size-limited tmpfs until it is full (ENOSPC): exit 1
# with an error naming the file, the checkpoint still exact; --resume while still full fails
# the same way; the tmpfs grown, --resume completes the output exactly. Needs root for mount
# (prints a SKIP line otherwise).
# Scans use --discovery exact (one lookup a domain) to keep 200,000 domains in seconds.

import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261202
KILLS = 10
# One lookup a domain keeps 200,000 domains in seconds; what is tested is the output file.
OPTS = ["-q", "--discovery", "exact"]
VOLATILE = ("ts", "attempts")  # differ between two scans of the same world
VOLATILE_RE = re.compile(r'"ts":"[^"]*",|,"attempts":\d+')
LINE_RE = re.compile(r'^\{"schema":1,"domain":(?:"[^"]*"|null),"line":(\d+),', re.M)

C = itlib.Checks()


def run(binary, args, timeout=itlib.RUN_TIMEOUT):
    rc, out, err, secs = itlib.run_scan(binary, args, timeout=timeout)
    return rc, err.decode("utf-8", errors="replace"), secs


def stable_lines(text):
    """The lines of an output without their volatile fields (the text is compared as such:
    json.loads of 200,000 lines costs seconds)."""
    return VOLATILE_RE.sub("", text).splitlines()


def line_numbers(lines):
    nums = []
    for l in lines:
        m = LINE_RE.match(l)
        nums.append(int(m.group(1)) if m else None)
    return nums


def decompress(data, zst):
    """Text of output bytes; None when zstd refuses them."""
    if not zst or not data:
        return data.decode("utf-8", errors="replace")
    r = subprocess.run(["zstd", "-dcq"], input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    return r.stdout.decode("utf-8", errors="replace") if r.returncode == 0 else None


def read_checkpoint(path):
    """{state, offset, lines, base, top, holes} of a checkpoint file, or None."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    ck = {}
    m = re.search(r"^state (\w+)\noffset (\d+)\nlines (\d+)\nbase (\d+)\ntop (\d+)\n"
                  r"holes (\d+)\n((?:[\d ]+\n)*)crc", text, re.M)
    if not m:
        return None
    ck["state"] = m.group(1)
    for i, k in enumerate(("offset", "lines", "base", "top", "nholes")):
        ck[k] = int(m.group(i + 2))
    ck["holes"] = [int(x) for x in m.group(7).split()]
    return ck


def durable_seqs(ck):
    holes = set(ck["holes"])
    return set(range(ck["base"])) | {s for s in range(ck["base"], ck["top"]) if s not in holes}


class DurablePrefix:
    """Checks, run after run, that a checkpoint describes its output exactly: the first
    `offset` bytes are whole frames holding exactly the lines it lists. A resume never
    touches the bytes an earlier checkpoint made durable, so only the bytes since the
    previous check are decompressed (the bytes before are compared by hash)."""

    def __init__(self, out_path, zst=True):
        self.out, self.zst = out_path, zst
        self.offset, self.digest, self.seqs = 0, hashlib.sha256().hexdigest(), []

    def check(self, name):
        ck = read_checkpoint(self.out + ".checkpoint")
        if not C.check("%s: checkpoint readable" % name, ck is not None):
            return None
        with open(self.out, "rb") as f:
            data = f.read()
        off = ck["offset"]
        C.check("%s: output at least as long as the checkpoint's offset (%d)" % (name, off),
                len(data) >= off, "%d bytes" % len(data))
        C.check("%s: the bytes durable before are unchanged" % name, off >= self.offset and
                hashlib.sha256(data[:self.offset]).hexdigest() == self.digest)
        text = decompress(data[self.offset:off], self.zst)
        if not C.check("%s: the first %d bytes are whole, valid frames" % (name, off),
                       text is not None):
            return ck
        # one domain an input line: seq = line - 1
        new = [int(x) - 1 for x in LINE_RE.findall(text)]
        C.check("%s: one line number per line" % name, len(new) == text.count("\n"))
        self.seqs += new
        self.offset, self.digest = off, hashlib.sha256(data[:off]).hexdigest()
        want = durable_seqs(ck)
        got = set(self.seqs)
        C.check("%s: they hold exactly the %d lines the checkpoint lists" % (name, ck["lines"]),
                len(self.seqs) == len(got) == ck["lines"] and got == want,
                "%d lines (%d distinct) for %d listed; %d missing, %d not listed" % (
                    len(self.seqs), len(got), len(want), len(want - got), len(got - want)))
        return ck


def read_output(name, path):
    """The output's text; None (a failed check) when zstd refuses it."""
    if not C.check("%s: output file written" % name, os.path.exists(path), path):
        return None
    with open(path, "rb") as f:
        text = decompress(f.read(), path.endswith(".zst"))
    if path.endswith(".zst"):
        C.check("%s: zstd -dc reads it" % name, text is not None)
    return text


def check_exact(name, out_path, reference, count):
    """Every input line exactly once, with the reference's content (reference: line number
    -> the line without its volatile fields)."""
    text = read_output(name, out_path)
    if text is None:
        return
    lines = stable_lines(text)
    sample = random.Random(SEED).sample(lines, min(len(lines), 2000))
    bad = [l[:200] for l in sample if not isinstance(json.loads(l), dict)]
    C.check("%s: lines are JSON objects (2000 sampled)" % name, not bad, bad[:3])
    nums = line_numbers(lines)
    C.check("%s: every input line exactly once (%d lines)" % (name, count),
            len(nums) == count and set(nums) == set(range(1, count + 1)),
            "%d lines, %d distinct" % (len(nums), len(set(nums))))
    want = {v for k, v in reference.items() if k <= count}
    diff = sorted(set(lines) ^ want)
    C.check("%s: the same lines as the uninterrupted scan (without %s)"
            % (name, ", ".join(VOLATILE)), not diff, itlib.first_diffs(diff, 4))


def grow_then_signal(binary, args, out_path, threshold, delays, sig):
    """Start a scan, wait delays[0] s (a resumed scan cuts its output first), then until
    out_path holds threshold bytes, then delays[1] s, then send sig. Returns (rc, stderr,
    whether the signal reached a running scan)."""
    argv = [binary, "scan"] + args
    print("run   " + " ".join(argv))
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    time.sleep(delays[0])
    deadline = time.monotonic() + itlib.RUN_TIMEOUT
    while p.poll() is None and time.monotonic() < deadline:
        try:
            if os.path.getsize(out_path) >= threshold:
                break
        except OSError:
            pass
        time.sleep(0.005)
    time.sleep(delays[1])
    hit = p.poll() is None
    if hit:
        p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=itlib.RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    return p.returncode, err.decode("utf-8", errors="replace"), hit


def reference_scan(binary, res, tmp, inp, count):
    """line number -> stable line; the .zst size; the plain NDJSON size."""
    ref_path = os.path.join(tmp, "reference.ndjson.zst")
    rc, err, secs = run(binary, OPTS + ["-r", res, "-o", ref_path, inp])
    C.check("reference: exits 0", rc == 0, err[-2000:])
    print("      reference scan %.1f s" % secs)
    text = read_output("reference", ref_path) or ""
    lines = stable_lines(text)
    ref = dict(zip(line_numbers(lines), lines))
    C.check("reference: %d lines, one per input line" % count,
            len(lines) == count and set(ref) == set(range(1, count + 1)), len(lines))
    return ref, os.path.getsize(ref_path), len(text)


def test_kills(binary, res, tmp, inp, count, reference, full_size):
    out = os.path.join(tmp, "killed.ndjson.zst")
    ck = out + ".checkpoint"
    meta = os.path.join(tmp, "killed.meta.json")
    rng = random.Random(SEED)
    points = sorted(rng.uniform(0.03, 0.9) for _ in range(KILLS))
    base = OPTS + ["-r", res, "-o", out, "--checkpoint-interval", "0.1", inp]
    hits = 0
    prefix = DurablePrefix(out)
    for i, frac in enumerate(points):
        args = base if i == 0 else ["--resume"] + base
        t0 = time.monotonic()
        rc, err, hit = grow_then_signal(binary, args, out, int(frac * full_size),
                                        (rng.uniform(0, 0.2), rng.uniform(0, 0.1)),
                                        signal.SIGKILL)
        name = "kill %d at %.0f%%" % (i + 1, 100 * frac)
        hits += hit
        if hit:
            C.check("%s: killed by SIGKILL" % name, rc == -signal.SIGKILL, "rc %s: %s"
                    % (rc, err[-1000:]))
        else:
            C.check("%s: finished before the kill, exit 0" % name, rc == 0, err[-1000:])
        t1 = time.monotonic()
        ckpt = prefix.check(name)
        if ckpt:
            print("      checkpoint after kill %d: %d lines durable, offset %d, %d holes "
                  "(run %.1f s, check %.1f s)" % (i + 1, ckpt["lines"], ckpt["offset"],
                                                  ckpt["nholes"], t1 - t0, time.monotonic() - t1))
    # the kill points are output sizes, so a slow or fast machine still kills mid-scan
    C.check("%d of %d kills hit a running scan (at least half)" % (hits, KILLS),
            hits >= KILLS // 2)
    rc, err, secs = run(binary, ["--resume", "--metadata", meta] + base)
    C.check("final resume: exits 0", rc == 0, err[-2000:])
    C.check("final resume: says what it kept", "resumed from" in err, err[-1000:])
    check_exact("after %d kills" % KILLS, out, reference, count)
    ckpt = read_checkpoint(ck)
    C.check("final resume: checkpoint marked complete", ckpt and ckpt["state"] == "complete",
            ckpt and ckpt["state"])
    try:
        with open(meta) as f:
            m = json.load(f)["resume"]
    except (OSError, ValueError, KeyError) as e:
        m = {"error": str(e)}
    C.check("final resume: metadata resume facts add up to %d lines" % count,
            m.get("resumed") is True and m.get("from_offset", 0) > 0
            and m.get("lines_before", 0) + m.get("lines_this_run", 0) == count, m)
    # a complete scan: nothing to do, nothing touched
    before = open(out, "rb").read()
    rc, err, secs = run(binary, ["--resume"] + base)
    C.check("resume of a complete scan: exit 0, says so, output untouched",
            rc == 0 and "nothing to resume" in err and open(out, "rb").read() == before,
            "rc %s: %s" % (rc, err[-500:]))


def test_sigint(binary, res, tmp, inp, count, reference, plain_size):
    """On the first quarter of the input (plain output is large)."""
    count //= 4
    part = os.path.join(tmp, "quarter.txt")
    with open(inp) as f, open(part, "w") as g:
        for _ in range(count):
            g.write(f.readline())
    out = os.path.join(tmp, "interrupted.ndjson")
    base = OPTS + ["-r", res, "-o", out, "--checkpoint-interval", "0.2", part]
    rc, err, hit = grow_then_signal(binary, base, out, plain_size // 12, (0.1, 0),
                                    signal.SIGINT)
    if not hit:
        C.skip("Ctrl-C", "the scan finished before the signal")
    else:
        C.check("Ctrl-C: exit 130", rc == 130, "rc %s: %s" % (rc, err[-1000:]))
        C.check("Ctrl-C: says how to continue", "--resume" in err, err[-1000:])
        DurablePrefix(out, zst=False).check("Ctrl-C")
    rc, err, secs = run(binary, ["--resume"] + base)
    C.check("Ctrl-C then --resume: exits 0", rc == 0, err[-2000:])
    check_exact("Ctrl-C then --resume (plain NDJSON)", out, reference, count)


def test_two_inputs(binary, res, tmp, inp, full_size):
    """Items are numbered across input files: killed in the second file, resumed, every
    (file, line) exactly once."""
    names, per = [os.path.join(tmp, "part-a.txt"), os.path.join(tmp, "part-b.txt")], 15000
    with open(inp) as f:
        for n in names:
            with open(n, "w") as g:
                for _ in range(per):
                    g.write(f.readline())
    out = os.path.join(tmp, "two.ndjson.zst")
    base = OPTS + ["-r", res, "-o", out, "--checkpoint-interval", "0.05"] + names
    # past the first file: about 0.11 of a 200,000-domain output
    rc, err, hit = grow_then_signal(binary, base, out, int(full_size * 0.11), (0.05, 0),
                                    signal.SIGKILL)
    C.check("two inputs: killed (or done)", rc in (-signal.SIGKILL, 0), "rc %s" % rc)
    rc, err, _ = run(binary, ["--resume"] + base)
    C.check("two inputs, --resume: exit 0", rc == 0, err[-1000:])
    text = read_output("two inputs", out) or ""
    pairs = re.findall(r'"line":(\d+),"file":"([^"]*)"', text)
    want = {(str(i), n) for n in names for i in range(1, per + 1)}
    C.check("two inputs: every (file, line) exactly once (%d)" % len(want),
            len(pairs) == len(want) == text.count("\n") and set(pairs) == want,
            "%d lines, %d distinct" % (len(pairs), len(set(pairs))))


def test_refusals(binary, res, tmp, world):
    """A complete small scan, then --resume with something changed."""
    small = os.path.join(tmp, "small.txt")
    with open(os.path.join(world, "domains.txt")) as f, open(small, "w") as g:
        for _ in range(500):
            g.write(f.readline())
    out = os.path.join(tmp, "small.ndjson.zst")
    base = OPTS + ["-r", res, "-o", out]
    rc, err, _ = run(binary, base + [small])
    C.check("small scan: exits 0", rc == 0, err[-1000:])
    kept = open(out, "rb").read()

    def refused(name, args, want, status=1):
        rc, err, _ = run(binary, args)
        C.check("%s: refused with exit %d, saying %r" % (name, status, want),
                rc == status and want in err and open(out, "rb").read() == kept,
                "rc %s: %s" % (rc, err[-800:]))

    refused("--resume with another --discovery", ["--resume"] + base + ["--discovery", "tree",
            small], "--discovery was exact when the checkpoint was written, now tree")
    refused("--resume with --format list", ["--resume", "--format", "list"] + base + [small],
            "--format was auto")
    other = os.path.join(tmp, "other.txt")
    with open(small) as f, open(other, "w") as g:
        g.write(f.read())
    refused("--resume with another input file", ["--resume"] + base + [other], "input.1 was")
    with open(small, "a") as g:
        g.write("added-later.example\n")
    refused("--resume after the input changed", ["--resume"] + base + [small],
            "input.1 changed since the checkpoint was written")
    refused("--resume to stdout", ["--resume", "-q", "-r", res, small], "--resume needs -o FILE",
            status=2)
    refused("--resume from stdin", ["--resume"] + base + ["-"], "stdin cannot be read again",
            status=2)
    # no checkpoint yet: from the beginning; operational options may change
    fresh = os.path.join(tmp, "fresh.ndjson.zst")
    rc, err, _ = run(binary, ["--resume", "--discovery", "exact", "-r", res, "-o", fresh, other])
    C.check("--resume with no checkpoint: starts from the beginning, exit 0",
            rc == 0 and "starting from the beginning" in err, err[-500:])
    objs = itlib.read_ndjson(C, "--resume with no checkpoint", fresh) or []
    C.check("--resume with no checkpoint: 500 lines", len(objs) == 500, len(objs))
    rc, err, _ = run(binary, ["--resume", "-c", "50", "--timeout", "900"] + OPTS
                     + ["-r", res, "-o", fresh, other])
    C.check("--resume with only -c and --timeout changed: accepted (complete: nothing to do)",
            rc == 0 and "nothing to resume" in err, err[-500:])
    # A checkpoint without the report cut (as every one from before December 2026): resumed
    # only with --no-report-cut, and the refusal says so.
    # The cut applies to the tree walk (in exact scans no receiver is verified: the option
    # changes nothing there, and the checkpoint does not record it).
    tree = OPTS + ["--discovery", "tree", "-r", res]
    cut = os.path.join(tmp, "cut.ndjson.zst")
    rc, err, _ = run(binary, tree + ["-o", cut, other])
    C.check("tree scan: exit 0", rc == 0, err[-500:])
    rc, err, _ = run(binary, ["--resume", "--no-report-cut"] + tree + ["-o", cut, other])
    C.check("--resume of it with --no-report-cut: refused, naming the option",
            rc == 1 and "report-cut was on when the checkpoint was written, and is not now" in
            err, "rc %s: %s" % (rc, err[-500:]))
    # A checkpoint without the cut (as every one from before December 2026): resumed only
    # with --no-report-cut, and the refusal says so.
    before = os.path.join(tmp, "nocut.ndjson.zst")
    rc, err, _ = run(binary, tree + ["--no-report-cut", "-o", before, other])
    C.check("tree scan with --no-report-cut: exit 0", rc == 0, err[-500:])
    rc, err, _ = run(binary, ["--resume"] + tree + ["-o", before, other])
    C.check("--resume of a --no-report-cut checkpoint without it: refused, saying how",
            rc == 1 and "report-cut is on now but was not" in err and
            "resumes with --no-report-cut" in err, "rc %s: %s" % (rc, err[-500:]))
    rc, err, _ = run(binary, ["--resume", "--no-report-cut"] + tree + ["-o", before, other])
    C.check("--resume of it with --no-report-cut: accepted (complete: nothing to do)",
            rc == 0 and "nothing to resume" in err, err[-500:])
    rc, err, _ = run(binary, ["--resume", "--no-report-cut"] + OPTS + ["-r", res, "-o", fresh,
                                                                      other])
    C.check("--resume of an exact scan with --no-report-cut: accepted (it changes nothing)",
            rc == 0 and "nothing to resume" in err, err[-500:])


def test_no_domain(binary, res, tmp):
    binfile = os.path.join(tmp, "binary.bin")
    with open(binfile, "wb") as f:  # one "line", read as a CSV header
        noise = bytes(random.Random(1).randrange(256) for _ in range(3000))
        f.write(b"\x89PNG,\x1a" + noise.replace(b"\n", b",").replace(b'"', b","))
    empty = os.path.join(tmp, "comments.txt")
    with open(empty, "w") as f:
        f.write("# nothing here\n\n")
    for name, path in (("binary input", binfile), ("comments only", empty)):
        rc, err, _ = run(binary, OPTS + ["-r", res, "-o", os.path.join(tmp, "none.ndjson"), path])
        C.check("%s: exit 1 and 'no domain in' the file" % name,
                rc == 1 and ("no domain in %s" % path) in err, "rc %s: %s" % (rc, err[-500:]))


def test_disk_full(binary, res, tmp, inp, count, reference, full_size):
    mnt = os.path.join(tmp, "small-fs")
    os.mkdir(mnt)
    limit = max(64 * 1024, full_size // 3) // 4096 * 4096
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%d" % limit, "tmpfs", mnt],
                       stderr=subprocess.PIPE)
    if r.returncode != 0:
        print("SKIP  disk full: cannot mount a tmpfs here: %s" % r.stderr.decode().strip())
        C.skip("disk full", "mount not permitted")
        return
    try:
        out = os.path.join(mnt, "out.ndjson.zst")
        base = OPTS + ["-r", res, "-o", out, "--checkpoint-interval", "0.05", inp]
        rc, err, _ = run(binary, base)
        C.check("disk full: exit 1", rc == 1, "rc %s: %s" % (rc, err[-1000:]))
        C.check("disk full: the error names the file and says the disk is full",
                re.search(r"%s(\.checkpoint)?\S*: No space left on device" % re.escape(out), err)
                is not None or ("writing %s failed: No space left on device" % out) in err,
                err[-1000:])
        C.check("disk full: says how to continue", "--resume" in err, err[-1000:])
        prefix = DurablePrefix(out)
        ck = prefix.check("disk full")
        C.check("disk full: something was kept", ck is not None and ck["lines"] > 0,
                ck and ck["lines"])
        # again while still full: still a clean failure, nothing lost
        rc, err, _ = run(binary, ["--resume"] + base)
        C.check("disk still full, --resume: exit 1", rc == 1, "rc %s: %s" % (rc, err[-600:]))
        prefix.check("disk still full")
        r = subprocess.run(["mount", "-o", "remount,size=%d" % (4 * full_size + (1 << 20)),
                            mnt], stderr=subprocess.PIPE)
        C.check("disk full: tmpfs grown", r.returncode == 0, r.stderr)
        rc, err, _ = run(binary, ["--resume"] + base)
        C.check("disk grown, --resume: exit 0", rc == 0, "rc %s: %s" % (rc, err[-1000:]))
        check_exact("disk full then --resume", out, reference, count)
    finally:
        subprocess.run(["umount", mnt])


def main():
    binary = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else ""
    cases = sys.argv[3] if len(sys.argv) > 3 else "kill"
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_resume.py DMARCSCAN [REPO [kill|disk_full]]")
        return 2
    count = 200000 if cases == "kill" else 20000
    with tempfile.TemporaryDirectory(prefix="dmarcscan-resume-") as tmp:
        world = os.path.join(tmp, "world")
        t0 = time.monotonic()
        manifest = dsworld.generate(world, SEED, count)
        print("world %d domains in %.1f s" % (count, time.monotonic() - t0))
        inp = os.path.join(world, "domains.txt")
        try:
            with dsauth.AuthServer(os.path.join(world, "zones"), os.path.join(tmp, "run"),
                                   wait_zones=manifest["zones"]) as srv:
                res = "127.0.0.1:%d" % srv.port
                reference, full_size, plain_size = reference_scan(binary, res, tmp, inp, count)
                print("      %.1f s so far" % (time.monotonic() - t0))
                if cases == "kill":
                    test_kills(binary, res, tmp, inp, count, reference, full_size)
                    print("      %.1f s so far" % (time.monotonic() - t0))
                    test_sigint(binary, res, tmp, inp, count, reference, plain_size)
                    print("      %.1f s so far" % (time.monotonic() - t0))
                    test_two_inputs(binary, res, tmp, inp, full_size)
                    test_refusals(binary, res, tmp, world)
                    test_no_domain(binary, res, tmp)
                    print("      %.1f s in all" % (time.monotonic() - t0))
                else:
                    test_disk_full(binary, res, tmp, inp, count, reference, full_size)
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
