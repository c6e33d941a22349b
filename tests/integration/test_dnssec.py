#!/usr/bin/python3
# test_dnssec.py -- integration test of the dnssec check: Knot signs the test zones itself
# (automatic DNSSEC signing, scripts/dsauth.py signed_zones), Debian's Unbound validates
# with the test trust anchors (scripts/dsunbound.py trust_anchors), and every domain's
# "dnssec" must equal the truth of the world below.
#
# Usage: test_dnssec.py [DMARCSCAN [REPO]]   (or env DMARCSCAN; REPO defaults to ../..)
# Only 127.0.0.1 is contacted. Prints "N passed, M failed"; exit 1 on failure.
#
# The world (one Knot):
#   sec.example   signed, Unbound holds its DS as a trust anchor: its names are secure,
#                 an NXDOMAIN in it too (NSEC-proven); mixed.sec.example is in it, but its
#                 _dmarc is a CNAME into plain.example, so one of its answers is insecure
#   plain.example unsigned, no anchor: insecure
#   bad.example   signed, but Unbound's anchor for it is a DS that matches no key of it:
#                 every answer fails validation, SERVFAIL, and with CD=1 it is answered:
#                 bogus
#   gone.example  in the configuration but its file does not load (Knot: SERVFAIL whatever
#                 CD says): not bogus, nothing answered: unknown
# The world is first checked with kdig (AD, SERVFAIL, CD), independently of dmarcscan.
# Scans: through the validating Unbound (probe: sec.example signed, bad.example bogus), the
# truth, the summary's dnssec counts equal to the lines', no warning; --checks dnssec alone
# (mixed.sec.example then secure: its _dmarc is not asked) with exactly one CD=1 retry per
# SERVFAIL; the same domains asked of Knot directly (authoritative, never AD) and of an
# Unbound that does not validate: the probe says no, stderr warns, every line says unknown
# (the SOA is still asked, never again with CD); a probe whose "signed" name is not signed
# (plain.example) makes the validating resolver count as not validating too.

import json
import os
import subprocess
import sys
import tempfile

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))

ZONES = {
    "sec.example": """\
$TTL 300
@ SOA ns.sec.example. h.sec.example. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ TXT "v=spf1 -all"
@ MX 10 mx.sec.example.
mx A 127.0.0.1
_dmarc TXT "v=DMARC1; p=reject"
a TXT "v=spf1 -all"
a MX 0 .
_dmarc.a TXT "v=DMARC1; p=none"
mixed TXT "v=spf1 -all"
_dmarc.mixed CNAME _dmarc.plain.example.
""",
    "plain.example": """\
$TTL 300
@ SOA ns.plain.example. h.plain.example. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ TXT "v=spf1 -all"
@ MX 10 mx.plain.example.
mx A 127.0.0.1
_dmarc TXT "v=DMARC1; p=quarantine"
b TXT "v=spf1 ~all"
""",
    "bad.example": """\
$TTL 300
@ SOA ns.bad.example. h.bad.example. 1 3600 600 86400 300
@ NS ns
ns A 127.0.0.1
@ TXT "v=spf1 -all"
_dmarc TXT "v=DMARC1; p=reject"
c TXT "v=spf1 -all"
""",
    "gone.example": "this is not a zone file\n",
}
SIGNED = ["sec.example", "bad.example"]
# A DS for bad.example that no key of it matches (algorithm 13, SHA-256 of nothing real).
BAD_DS = "bad.example. 3600 IN DS 11111 13 2 " + "ab" * 32

TRUTH = {
    "sec.example": "secure",
    "a.sec.example": "secure",
    "nx.sec.example": "secure",      # NXDOMAIN, proven by NSEC
    "mixed.sec.example": "insecure",  # its _dmarc answer comes from the unsigned zone
    "plain.example": "insecure",
    "b.plain.example": "insecure",
    "nx.plain.example": "insecure",
    "bad.example": "bogus",
    "c.bad.example": "bogus",
    "gone.example": "unknown",
}
PROBE = "sec.example,bad.example"
CHECKS = "dmarc,spf,mx,dnssec"

C = itlib.Checks()


def scan(name, binary, resolver, work, probe=PROBE, checks=CHECKS):
    """Scan TRUTH's domains; (lines by domain, metadata) or (None, None)."""
    inp = os.path.join(work, "domains.txt")
    with open(inp, "w") as f:
        f.write("\n".join(TRUTH) + "\n")
    out = os.path.join(work, name + ".ndjson")
    meta = os.path.join(work, name + ".meta.json")
    summary = os.path.join(work, name + ".summary.json")
    rc, _, err, _ = itlib.run_scan(binary, ["-r", "127.0.0.1:%d" % resolver, "-q", "--checks",
                                            checks, "--dnssec-probe", probe, "--timeout", "500",
                                            "--retries", "1", "--metadata", meta, "--summary",
                                            summary, "-o", out, inp])
    if not C.check("%s: exits 0" % name, rc == 0, err.decode(errors="replace")[-3000:]):
        return None, None
    warned = b"do not validate DNSSEC" in err
    C.check("%s: stderr warns that the resolvers do not validate: %s" % (name, warned),
            warned == (name not in ("validating", "dnssec-only") and "dnssec" in checks),
            err.decode(errors="replace"))
    objs = itlib.read_ndjson(C, name, out)
    with open(meta) as f:
        m = json.load(f)
    with open(summary) as f:
        m["summary"] = json.load(f)
    return {o["domain"]: o for o in objs or []}, m


def check_truth(name, lines, expect):
    wrong = ["%s: %r, want %r" % (d, lines.get(d, {}).get("dnssec"), v)
             for d, v in sorted(expect.items()) if lines.get(d, {}).get("dnssec") != v]
    C.check("%s: every domain's dnssec equals the truth (%d domains)" % (name, len(expect)),
            not wrong, itlib.first_diffs(wrong))


def check_probe(name, meta, validates):
    p = meta.get("dnssec_probe") or {}
    C.check("%s: metadata dnssec_probe.validates is %s" % (name, validates),
            p.get("validates") is validates, json.dumps(p))


def kdig(port, name, cd=False):
    """(rcode, AD) of name/SOA asked with DO of 127.0.0.1:port, by kdig (not dmarcscan)."""
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+dnssec", "+timeout=2",
                        "+retry=1"] + (["+cd"] if cd else []) + ["SOA", name + "."],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=20)
    head = next((l for l in r.stdout.splitlines() if "status:" in l), "")
    flags = next((l for l in r.stdout.splitlines() if "Flags:" in l), "")
    rcode = head.split("status:")[1].split(";")[0].strip() if head else None
    return rcode, " ad" in flags


def check_world(port):
    """The world is what TRUTH says, asked independently of dmarcscan."""
    C.check("world: sec.example answered with AD", kdig(port, "sec.example") == ("NOERROR", True))
    C.check("world: plain.example answered without AD",
            kdig(port, "plain.example") == ("NOERROR", False))
    C.check("world: bad.example SERVFAIL", kdig(port, "bad.example")[0] == "SERVFAIL")
    C.check("world: bad.example answered with CD", kdig(port, "bad.example", True)[0] == "NOERROR")
    C.check("world: gone.example SERVFAIL with CD too",
            kdig(port, "gone.example", True)[0] == "SERVFAIL")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN")
    repo = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", "..")
    sys.path.insert(0, os.path.join(repo, "scripts"))
    import dsauth
    import dsunbound
    work = tempfile.mkdtemp(prefix="dsdnssec-")
    zdir = os.path.join(work, "zones")
    os.makedirs(zdir)
    for z, text in ZONES.items():
        with open(os.path.join(zdir, z + ".zone"), "w") as f:
            f.write(text)
    served = [z for z in ZONES if z != "gone.example"]
    with dsauth.AuthServer(zdir, os.path.join(work, "knot"), zones=list(ZONES),
                           wait_zones=served, signed_zones=SIGNED) as auth:
        anchors = auth.ds_records("sec.example") + [BAD_DS]
        stubs = {z: ("127.0.0.1", auth.port) for z in ZONES}
        with dsunbound.LocalResolver(os.path.join(work, "unbound-v"), stubs=stubs, threads=1,
                                     msg_cache="4m", rrset_cache="4m",
                                     trust_anchors=anchors) as val:
            check_world(val.port)
            lines, meta = scan("validating", binary, val.port, work)
            if lines is not None:
                check_truth("validating", lines, TRUTH)
                check_probe("validating", meta, True)
                want = {v: {"n": sum(1 for o in lines.values() if o.get("dnssec") == v),
                            "total": len(lines)}
                        for v in ("secure", "insecure", "bogus", "unknown")}
                got = meta["summary"].get("dnssec")
                C.check("validating: the summary's dnssec counts are the lines'", got == want,
                        "summary %s, lines %s" % (got, want))
                by_tld = meta["summary"].get("by_tld", {}).get("example", {}).get("dnssec")
                C.check("validating: by_tld too", by_tld == want, by_tld)
                other = [d for d, o in lines.items()
                         if o.get("dmarc") is None or o.get("mx") is None]
                C.check("validating: the other checks still write their objects", not other,
                        other)
            lines, meta = scan("wrong-probe", binary, val.port, work,
                               probe="plain.example,bad.example")
            if lines is not None:
                check_truth("wrong-probe", lines, {d: "unknown" for d in TRUTH})
                check_probe("wrong-probe", meta, False)
            lines, meta = scan("dnssec-only", binary, val.port, work, checks="dnssec")
            if lines is not None:
                # Only its own SOA: mixed.sec.example's _dmarc is not asked.
                want = dict(TRUTH, **{"mixed.sec.example": "secure"})
                check_truth("dnssec-only", lines, want)
                # One CD=1 retry per SERVFAIL: bad.example, c.bad.example, gone.example.
                n = meta["counters"]["lookups"]
                C.check("dnssec-only: 2 probes, a SOA a domain, 3 CD retries (%d lookups)" % n,
                        n == 2 + len(TRUTH) + 3)
        with dsunbound.LocalResolver(os.path.join(work, "unbound-p"), stubs=stubs, threads=1,
                                     msg_cache="4m", rrset_cache="4m") as plain:
            lines, meta = scan("non-validating", binary, plain.port, work)
            if lines is not None:
                check_truth("non-validating", lines, {d: "unknown" for d in TRUTH})
                check_probe("non-validating", meta, False)
        lines, meta = scan("authoritative", binary, auth.port, work)
        if lines is not None:
            check_truth("authoritative", lines, {d: "unknown" for d in TRUTH})
            check_probe("authoritative", meta, False)
        lines, meta = scan("authoritative-alone", binary, auth.port, work, checks="dnssec")
        if lines is not None:
            check_truth("authoritative-alone", lines, {d: "unknown" for d in TRUTH})
            n = meta["counters"]["lookups"]
            C.check("authoritative-alone: the 2 probes and one SOA a domain, no CD retry after "
                    "gone.example's SERVFAIL (%d lookups)" % n, n == 2 + len(TRUTH))
            st = lines.get("gone.example", {}).get("status")
            C.check("authoritative-alone: gone.example's line is OK", st == "OK", st)
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
