#!/usr/bin/python3
# test_options.py -- the scan options of good citizenship, end to end against the fault
# responder on 127.0.0.1: --exclude (no query is ever sent for an excluded domain or its
# subdomains, their lines say EXCLUDED), --rate and --resolver-rate (queries wait for tokens:
# counted, and every domain still gets its answer), --profile bod-18-01 (the checks it
# enables, its object, null on an SPF SERVFAIL), lines of codes and --details, `dmarcscan
# explain`, the metadata file written beside -o FILE by default, memory that follows the
# domains in flight rather than -c, and usage errors for bad values.
# Usage: test_options.py DMARCSCAN REPO. Prints "N passed, M failed"; exits 1 on failure.
# Never asserts a duration: rates are checked through the scanner's own counters.
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import faultserver  # noqa: E402
import itlib  # noqa: E402

C = itlib.Checks()
check = C.check


def scan(binary, args, tmp, tag):
    out = os.path.join(tmp, tag + ".ndjson")
    meta = os.path.join(tmp, tag + ".meta.json")
    p = subprocess.run([binary, "scan", "-q", "-o", out, "--metadata", meta] + args,
                       capture_output=True, text=True, timeout=120)
    lines = []
    if os.path.exists(out):
        with open(out) as f:
            lines = [json.loads(x) for x in f]
    m = None
    if os.path.exists(meta):
        with open(meta) as f:
            m = json.load(f)
    return p, lines, m


def write_list(tmp, name, lines):
    """The input file tmp/name, one line each; returns its path."""
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def test_exclude(binary, tmp):
    doms = ["keep%d.test" % i for i in range(20)] + ["optout.test", "www.optout.test",
                                                    "a.b.optout.test", "notoptout.test"]
    src = write_list(tmp, "ex.txt", doms)
    ex = os.path.join(tmp, "exclude.txt")
    with open(ex, "w") as f:
        f.write("# opt-out requests\n\nOptOut.Test.\n")
    script = {"*": {"txt": ["v=DMARC1; p=reject"]}}
    with faultserver.FaultServer(script, name="exclude") as srv:
        p, lines, _ = scan(binary, ["-r", "127.0.0.1:%d" % srv.port, "--exclude", ex, src],
                           tmp, "exclude")
        asked = srv.stats.snapshot()
    check("exclude: exit 0", p.returncode == 0, p.stderr)
    by = {o["domain"]: o for o in lines}
    check("exclude: one line per input line", len(lines) == len(doms) and set(by) == set(doms),
          [o.get("domain") for o in lines])
    for d in ("optout.test", "www.optout.test", "a.b.optout.test"):
        o = by.get(d, {})
        check("exclude: %s is EXCLUDED with dmarc null" % d,
              o.get("status") == "EXCLUDED" and o.get("dmarc") is None, o)
    for d in ("notoptout.test", "keep3.test"):
        o = by.get(d, {})
        check("exclude: %s is scanned" % d, o.get("status") == "OK"
              and (o.get("dmarc") or {}).get("records") == ["v=DMARC1; p=reject"], o)
    text = json.dumps(asked).lower()
    check("exclude: no query ever sent for an excluded name", "optout.test" not in
          text.replace("notoptout.test", ""), text[:300])

    bad = os.path.join(tmp, "bad-exclude.txt")
    with open(bad, "w") as f:
        f.write("ok.test\nnot a domain\n")
    p = subprocess.run([binary, "scan", "-q", "-r", "127.0.0.1:9", "--exclude", bad, src],
                       capture_output=True, text=True, timeout=60)
    # exit 1, not any failure: with DS_CHECK_ABORT=1 (ctest) an invariant broken on this
    # early exit (a loop handle left open) aborts instead
    check("exclude: a bad exclude line is an error naming the line (exit 1)",
          p.returncode == 1 and "line 2" in p.stderr, (p.returncode, p.stderr))


def test_rates(binary, tmp):
    doms = ["r%d.test" % i for i in range(600)]
    src = write_list(tmp, "rate.txt", doms)
    script = {"*": {"txt": ["v=DMARC1; p=none"]}}
    with faultserver.FaultServer(script, name="rate") as srv:
        for tag, extra in (("rate", ["--rate", "2000"]),
                           ("resolver-rate", ["--resolver-rate", "2000"])):
            p, lines, m = scan(binary, ["-r", "127.0.0.1:%d" % srv.port] + extra + [src],
                               tmp, tag)
            check("%s: exit 0" % tag, p.returncode == 0, p.stderr)
            ok = [o for o in lines if (o.get("dmarc") or {}).get("records")
                  == ["v=DMARC1; p=none"]]
            check("%s: every domain answered" % tag, len(ok) == len(doms), len(ok))
            waits = (m or {}).get("counters", {}).get("rate_waits", 0)
            check("%s: queries waited for rate tokens" % tag, waits > 0, waits)
        p, lines, m = scan(binary, ["-r", "127.0.0.1:%d" % srv.port, src], tmp, "loopback")
        waits = (m or {}).get("counters", {}).get("rate_waits", -1)
        rq = ((m or {}).get("resolvers") or [{}])[0].get("rate_qps")
        check("no rate limit by default toward a loopback resolver", waits == 0 and rq == 0,
              (waits, rq))


def test_usage(binary):
    for args, word in ((["--rate", "-5"], "--rate"), (["--deadline", "x"], "--deadline"),
                       (["-c", "0"], "--concurrency"), (["--sockets", "1", "-c", "20000"],
                                                        "--sockets")):
        p = subprocess.run([binary, "scan", "-r", "127.0.0.1:9"] + args + ["/dev/null"],
                           capture_output=True, text=True, timeout=30)
        check("usage error for %s" % " ".join(args), p.returncode == 2 and word in p.stderr,
              (p.returncode, p.stderr))


def test_failures(binary, tmp):
    p = subprocess.run([binary, "scan", "-q", "-r", "127.0.0.1:9", "-o",
                        os.path.join(tmp, "never.ndjson"), os.path.join(tmp, "missing.txt")],
                       capture_output=True, text=True, timeout=60)
    check("missing input file: exit 1 with the path in the message, no crash",
          p.returncode == 1 and "missing.txt" in p.stderr, (p.returncode, p.stderr))
    nodir = os.path.join(tmp, "no-such-dir", "out.ndjson")
    p = subprocess.run([binary, "scan", "-q", "-r", "127.0.0.1:9", "-o", nodir, "/dev/null"],
                       capture_output=True, text=True, timeout=60)
    check("unwritable output path: exit 1 naming the file, no crash",
          p.returncode == 1 and nodir in p.stderr, (p.returncode, p.stderr))
    doms = ["full%d.test" % i for i in range(3000)]
    src = write_list(tmp, "full.txt", doms)
    meta = os.path.join(tmp, "full.meta.json")
    with faultserver.FaultServer({"*": {"txt": ["v=DMARC1; p=none"]}}, name="full") as srv:
        p = subprocess.run([binary, "scan", "-q", "--discovery", "exact", "-r",
                            "127.0.0.1:%d" % srv.port, "-o", "/dev/full", "--metadata", meta,
                            src], capture_output=True, text=True, timeout=120)
    check("disk full: exit 1 and the error on stderr", p.returncode == 1
          and "No space left" in p.stderr, (p.returncode, p.stderr[-300:]))
    m = {}
    if os.path.exists(meta):
        with open(meta) as f:
            m = json.load(f)
    check("disk full: metadata names the output error",
          "No space left" in (m.get("output_error") or ""), m.get("output_error"))


def test_duplicates(binary, tmp):
    """Repeated names (after normalization) are counted in the metadata, every line still
    scanned; the filter's false-positive rate at this size is stated and negligible."""
    doms = ["d%d.test" % i for i in range(300)]
    lines = doms + ["D7.TEST.", "d8.test", "d8.test", "www.d9.test", "not a domain!",
                    "not a domain!"]
    src = write_list(tmp, "dups.txt", lines)
    script = {"*": {"txt": ["v=DMARC1; p=none"]}}
    with faultserver.FaultServer(script, name="dups") as srv:
        p, out, m = scan(binary, ["-r", "127.0.0.1:%d" % srv.port, src], tmp, "dups")
    check("duplicates: exit 0, one line per input line", p.returncode == 0 and
          len(out) == len(lines), (p.returncode, len(out), p.stderr[-500:]))
    c = (m or {}).get("counters", {})
    check("duplicates: 3 repeated names counted (D7.TEST. is d7.test; illegal lines are "
          "not names)", c.get("duplicates") == 3, c)
    rate = c.get("duplicates_fp_rate")
    check("duplicates: the filter's false-positive rate is stated (%r)" % rate,
          isinstance(rate, (int, float)) and 0 <= rate < 1e-9, c)
    check("duplicates: input_read counts every data line", c.get("input_read") == len(lines), c)


def test_profile(binary, tmp):
    """--profile bod-18-01 enables the SPF check beside --checks dmarc and ends each line with
    its verdict; a SERVFAIL on the SPF name alone makes it null, and spoofable unknown unless
    DMARC alone decides (docs/bod-18-01.md, docs/verdicts.md)."""
    dhs = "v=DMARC1; p=reject; rua=mailto:reports@dmarc.cyber.dhs.gov"
    script = {
        "_dmarc.good.test": {"txt": [dhs]},
        "good.test": {"txt": ["v=spf1 ip4:192.0.2.1 -all"]},
        "_dmarc.weak.test": {"txt": ["v=DMARC1; p=none"]},
        "weak.test": {"txt": ["v=spf1 +all"]},
        "_dmarc.spffail.test": {"txt": [dhs]},
        "spffail.test": {"rcode": "SERVFAIL"},
        "_dmarc.both.test": {"txt": ["v=DMARC1; p=none"]},
        "both.test": {"rcode": "SERVFAIL"},
        "*": {"rcode": "NXDOMAIN"},
    }
    doms = ["good.test", "weak.test", "spffail.test", "both.test", "bad..name"]
    src = write_list(tmp, "bod.txt", doms)
    with faultserver.FaultServer(script, name="bod") as srv:
        p, lines, m = scan(binary, ["-r", "127.0.0.1:%d" % srv.port, "--retries", "0",
                                    "--discovery", "exact", "--checks", "dmarc",
                                    "--profile", "bod-18-01", src], tmp, "bod")
    check("profile: exit 0, one line per input line", p.returncode == 0
          and len(lines) == len(doms), (p.returncode, len(lines), p.stderr[-300:]))
    by = {o.get("domain") or o.get("input"): o for o in lines}
    check("profile: bod1801 is the line's last member, spf ran",
          all(list(o)[-1] == "bod1801" for o in lines)
          and by.get("good.test", {}).get("spf") is not None, lines[:1])
    want = {"good.test": (True, []),
            "weak.test": (False, ["p_not_reject", "sp_not_reject", "rua_dhs_missing",
                                  "spf_permissive"]),
            "spffail.test": (None, []),
            "both.test": (False, ["p_not_reject", "sp_not_reject", "rua_dhs_missing"])}
    for d, (compliant, unmet) in want.items():
        b = by.get(d, {}).get("bod1801") or {}
        check("profile: %s compliant %s, unmet %s" % (d, compliant, unmet),
              b.get("compliant") is compliant and b.get("unmet") == unmet, b)
    check("profile: an illegal line has bod1801 null",
          "bod1801" in by.get("bad..name", {}) and by["bad..name"]["bod1801"] is None,
          by.get("bad..name"))
    spoof = {d: (by.get(d, {}).get("spoofable"), by.get(d, {}).get("spoofable_reason"))
             for d in want}
    check("profile: spoofable from DMARC and SPF (+all opens p=none anyway; SPF SERVFAIL "
          "under reject is unknown, under p=none DMARC alone decides)",
          spoof == {"good.test": ("no", "dmarc_reject"), "weak.test": ("yes", "dmarc_none"),
                    "spffail.test": ("unknown", "spf_temperror"),
                    "both.test": ("yes", "dmarc_none")}, spoof)
    cfg = (m or {}).get("config", {})
    check("profile: metadata names the profile and the checks that ran",
          cfg.get("profile") == "bod-18-01" and cfg.get("checks") == ["dmarc", "spf"], cfg)
    codes = (m or {}).get("codes", {})
    check("profile: metadata explains the codes of the checks that ran, once",
          set(codes) == {"dmarc.errors", "dmarc.warnings", "spf.errors", "spf.warnings",
                         "spoofable_reason", "bod1801.unmet"}
          and "rua_dhs_missing" in codes["bod1801.unmet"]
          and "dmarc_none" in codes["spoofable_reason"], sorted(codes))
    every = [c for o in lines for k in ("dmarc", "spf") for c in
             ((o.get(k) or {}).get("errors", []) + (o.get(k) or {}).get("warnings", []))]
    check("profile: every code in the lines is explained in the metadata",
          all(c in codes.get("dmarc.errors", {}) or c in codes.get("dmarc.warnings", {})
              or c in codes.get("spf.errors", {}) or c in codes.get("spf.warnings", {})
              for c in every) and every, every)
    p = subprocess.run([binary, "scan", "-r", "127.0.0.1:9", "--profile", "bod-18-02",
                        "/dev/null"], capture_output=True, text=True, timeout=30)
    check("profile: an unknown profile is a usage error naming the known ones",
          p.returncode == 2 and "bod-18-01" in p.stderr, (p.returncode, p.stderr))


def test_details(binary, tmp):
    """Lines carry codes only (with errors_at / warnings_at); --details adds the sentences
    and the DMARC tags; `dmarcscan explain` says what a code means and fails on an unknown
    one (docs/output.md)."""
    script = {
        "_dmarc.a.test": {"txt": ["v=DMARC1; p=reject; foo=1; rua=https://r.test/x"]},
        "a.test": {"txt": ["v=spf1 include:gone.test ip4:1.2.3.999 -all"]},
        "b.test": {"txt": ["v=spf1 include:gone.test -all"]},
        "*": {"rcode": "NXDOMAIN"},
    }
    src = write_list(tmp, "details.txt", ["a.test", "b.test"])
    args = ["--retries", "0", "--discovery", "exact", "--checks", "dmarc,spf", src]
    with faultserver.FaultServer(script, name="details") as srv:
        p, lines, m = scan(binary, ["-r", "127.0.0.1:%d" % srv.port] + args, tmp, "lean")
        pd, dlines, md = scan(binary, ["-r", "127.0.0.1:%d" % srv.port, "--details"] + args,
                              tmp, "details")
    check("details: both scans exit 0 with a line per domain", p.returncode == 0
          and pd.returncode == 0 and len(lines) == 2 and len(dlines) == 2,
          (p.stderr[-300:], pd.stderr[-300:]))
    if len(lines) != 2 or len(dlines) != 2:
        return
    by = {x["domain"]: x for x in lines}
    o, od = by["a.test"], {x["domain"]: x for x in dlines}["a.test"]
    dm, sp, sb = o["dmarc"], o["spf"], by["b.test"]["spf"]
    check("details: by default no sentences and no tags",
          not any(k in dm for k in ("errors_detail", "warnings_detail", "tags"))
          and not any(k in sp for k in ("errors_detail", "warnings_detail")), list(dm))
    check("details: dmarc warnings_at names the unknown tag and the dropped URI",
          dict(zip(dm["warnings"], dm["warnings_at"])).get("unknown_tag") == "foo=1"
          and dict(zip(dm["warnings"], dm["warnings_at"])).get("uri_unsupported_scheme")
          == "https://r.test/x", (dm["warnings"], dm["warnings_at"]))
    check("details: spf errors_at names the bad term of the record",
          list(zip(sp["errors"], sp["errors_at"])) == [("ip4_invalid", "ip4:1.2.3.999")],
          (sp["errors"], sp["errors_at"]))
    check("details: spf errors_at names the missing include",
          list(zip(sb["errors"], sb["errors_at"])) == [("include_missing", "gone.test")],
          (sb["errors"], sb["errors_at"]))
    check("details: --details keeps the same codes and adds sentences and tags",
          od["dmarc"]["errors"] == dm["errors"] and od["dmarc"]["warnings"] == dm["warnings"]
          and [w["code"] for w in od["dmarc"]["warnings_detail"]] == dm["warnings"]
          and od["dmarc"]["tags"].get("p") == "reject"
          and [e["code"] for e in od["spf"]["errors_detail"]] == sp["errors"], od["dmarc"])
    check("details: the metadata says whether --details was given",
          (m or {}).get("config", {}).get("details") is False
          and (md or {}).get("config", {}).get("details") is True, None)
    lean, full = len(json.dumps(o)), len(json.dumps(od))
    check("details: the default line is shorter", lean < full, (lean, full))

    p = subprocess.run([binary, "explain", "ip4_invalid", "include_missing"],
                       capture_output=True, text=True, timeout=30)
    check("explain: exit 0, each code with its place and meaning", p.returncode == 0
          and "ip4_invalid\n  spf record, error (spf.errors):\n" in p.stdout
          and "include_missing\n  spf tree, error (spf.errors):\n" in p.stdout, p.stdout)
    p = subprocess.run([binary, "explain", "no_such_code"], capture_output=True, text=True,
                       timeout=30)
    check("explain: an unknown code exits 2 naming it", p.returncode == 2
          and "unknown code 'no_such_code'" in p.stderr and p.stdout == "",
          (p.returncode, p.stderr))
    p = subprocess.run([binary, "explain"], capture_output=True, text=True, timeout=30)
    check("explain: alone lists every code", p.returncode == 0
          and "\nbod1801" not in p.stdout and "\nrua_dhs_missing\n" in p.stdout
          and "\nparked_unprotected\n" in p.stdout, p.stdout[:200])


def test_metadata_default(binary, tmp):
    """-o FILE writes FILE.meta.json unless --metadata names another or --no-metadata; stdout
    and devices get none; --metadata and --no-metadata together are a usage error."""
    d = os.path.join(tmp, "metadefault")
    os.mkdir(d)
    src = write_list(d, "in.txt", ["a.test", "b.test"])

    def run(args):
        return subprocess.run([binary, "scan", "-q", "--discovery", "exact", "-r",
                               "127.0.0.1:%d" % srv.port] + args + [src], cwd=d,
                              capture_output=True, text=True, timeout=60)

    def files():
        return sorted(f for f in os.listdir(d) if f != "in.txt")

    with faultserver.FaultServer({"*": {"txt": ["v=DMARC1; p=none"]}}, name="meta") as srv:
        out = os.path.join(d, "out.ndjson.zst")
        p = run(["-o", out])
        meta = {}
        if os.path.exists(out + ".meta.json"):
            with open(out + ".meta.json") as f:
                meta = json.load(f)
        check("metadata: -o FILE writes FILE.meta.json by default", p.returncode == 0
              and (meta.get("config") or {}).get("output") == out
              and (meta.get("counters") or {}).get("lines") == 2,
              (p.returncode, p.stderr[-300:], files(), json.dumps(meta)[:300]))
        for f in files():
            os.unlink(os.path.join(d, f))
        p = run(["-o", "plain.ndjson", "--no-metadata"])
        check("metadata: --no-metadata writes none", p.returncode == 0
              and files() == ["plain.ndjson", "plain.ndjson.checkpoint"], files())
        p = run(["-o", "x.ndjson", "--metadata", "elsewhere.json"])
        check("metadata: --metadata FILE instead of the default", p.returncode == 0
              and "elsewhere.json" in files() and "x.ndjson.meta.json" not in files(), files())
        for f in files():
            os.unlink(os.path.join(d, f))
        p = run([])
        check("metadata: none for stdout", p.returncode == 0 and p.stdout.count("\n") == 2
              and files() == [], (files(), p.stderr[-300:]))
        p = run(["-o", "/dev/null"])
        check("metadata: none beside a device (-o /dev/null)", p.returncode == 0
              and not os.path.exists("/dev/null.meta.json"), p.stderr[-300:])
        p = run(["-o", "y.ndjson", "--metadata", "m.json", "--no-metadata"])
        check("metadata: --metadata with --no-metadata is a usage error", p.returncode == 2
              and "--no-metadata" in p.stderr, (p.returncode, p.stderr))


def test_memory_follows_in_flight(binary, tmp):
    """Jobs cost memory when used, not when -c allows them: 300 domains with -c 100000 (the
    default checks, 5.3 KB a job: 530 MB if every job were touched) stay small, and the
    metadata says how many domains were in flight at most."""
    doms = ["m%d.test" % i for i in range(300)]
    src = write_list(tmp, "mem.txt", doms)
    script = {"*": {"txt": ["v=DMARC1; p=none"]}}
    with faultserver.FaultServer(script, name="mem") as srv:
        p, out, m = scan(binary, ["-r", "127.0.0.1:%d" % srv.port, "-c", "100000", src], tmp,
                         "mem")
    check("memory: exit 0, a line per domain", p.returncode == 0 and len(out) == len(doms),
          (p.returncode, len(out), p.stderr[-500:]))
    c = (m or {}).get("counters", {})
    peak = c.get("domains_in_flight_max")
    check("memory: domains_in_flight_max is stated, 1..300 (%r)" % peak,
          isinstance(peak, int) and 1 <= peak <= len(doms), c)
    rss = (m or {}).get("resources", {}).get("max_rss_kb", 1 << 30)
    check("memory: peak RSS %d KB under 200 MB with -c 100000" % rss, rss < 200 * 1024,
          (m or {}).get("resources"))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN")
    with tempfile.TemporaryDirectory(prefix="dmarcscan-opt-") as tmp:
        test_exclude(binary, tmp)
        test_rates(binary, tmp)
        test_usage(binary)
        test_failures(binary, tmp)
        test_duplicates(binary, tmp)
        test_memory_follows_in_flight(binary, tmp)
        test_profile(binary, tmp)
        test_details(binary, tmp)
        test_metadata_default(binary, tmp)
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
