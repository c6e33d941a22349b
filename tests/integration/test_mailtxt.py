#!/usr/bin/python3
# test_mailtxt.py -- integration test of the mta-sts, tls-rpt, bimi and dkim checks: dmarcscan
# against a real Knot serving a synthetic world (scripts/dsworld.py, VERSION 4: MTA-STS,
# TLS-RPT, BIMI records and DKIM keys beside the DMARC, SPF and MX data), every domain's
# mta_sts, tls_rpt, bimi and dkim objects checked against the world's truth.
#
# Usage: test_mailtxt.py [DMARCSCAN [REPO]]   (or env DMARCSCAN; REPO defaults to ../..)
# Only 127.0.0.1 is contacted. Prints "N passed, M failed"; exit 1 on failure.
#
# Cases: --checks all --dkim-selectors s1,s2,google: every object equals the truth (status,
# records, valid, id, rua, l, a; dkim's domainkey, status and each selector's status, k,
# bits, revoked), every kind of record present in the world; bimi.dmarc_ok agrees with the
# same line's DMARC verdict (posture, enforcing, partial, and sp at the domain's own
# record: every domain of the world is its own organizational domain); the metadata names
# every check; the --summary's adoption rates count what the lines say. --checks tls-rpt alone: the other objects null, tls_rpt as before. The
# default checks: the four objects null. No caps (a zone beside the world, caps.test): a
# TLS-RPT record of 100 rua URIs, 40 MTA-STS records at one name, BIMI and DKIM records of
# 200 tags and a DMARC record with a 2,000-byte URI come out whole.

import collections
import json
import os
import subprocess
import sys
import tempfile

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261202
COUNT = 2000
OBJECTS = ("mta_sts", "tls_rpt", "bimi", "dkim")
C = itlib.Checks()


def scan(binary, port, domains, tmp, name, extra):
    out = os.path.join(tmp, name + ".ndjson")
    md = os.path.join(tmp, name + ".meta.json")
    rc, _, err, secs = itlib.run_scan(binary, ["-q", "-r", "127.0.0.1:%d" % port, "-o", out,
                                               "--metadata", md] + extra + [domains])
    print("      %.1f s" % secs)
    if not C.check("%s: exits 0" % name, rc == 0, err.decode(errors="replace")[-2000:]):
        return None, None
    with open(md) as f:
        meta = json.load(f)
    return itlib.read_ndjson(C, name, out), meta


def dmarc_ok_of(o):
    """What bimi.dmarc_ok must say from the line's own DMARC verdict (docs/verdicts.md)."""
    posture, d = o.get("posture"), o.get("dmarc") or {}
    if posture in (None, "error"):
        return None
    own = d.get("location") == "_dmarc." + o["domain"] and d.get("valid")
    sp_ok = not own or d.get("sp") in ("reject", "quarantine")
    return posture in ("reject", "quarantine") and bool(o.get("enforcing")) \
        and not o.get("partial") and sp_ok


def check_all(name, objs, truth):
    bad, kinds, dmarc_bad = [], collections.Counter(), []
    seen = set()
    for o in objs:
        t = truth.get(o.get("domain"))
        if t is None:
            continue
        seen.add(o["domain"])
        for diff in dsworld.mail_txt_diffs(o, t):
            bad.append("%s (%s): %s" % (o["domain"], t["category"], diff))
        for key in ("mta_sts", "tls_rpt", "bimi"):
            kinds["%s valid=%s" % (key, t[key]["valid"])] += 1
        for s in t["dkim"]["selectors"]:
            kinds["dkim %s %s" % (s["status"], s["k"] if not s["revoked"] else "revoked")] += 1
        b = o.get("bimi") or {}
        if b.get("dmarc_ok") != dmarc_ok_of(o):
            dmarc_bad.append("%s: dmarc_ok %r, posture %r enforcing %r partial %r sp %r" % (
                o["domain"], b.get("dmarc_ok"), o.get("posture"), o.get("enforcing"),
                o.get("partial"), (o.get("dmarc") or {}).get("sp")))
    C.check("%s: a line for every domain" % name, seen == set(truth),
            "%d of %d" % (len(seen), len(truth)))
    C.check("%s: every mta_sts, tls_rpt, bimi and dkim object equals the truth (%d domains)"
            % (name, len(seen)), not bad, itlib.first_diffs(bad, 15))
    C.check("%s: bimi.dmarc_ok agrees with the line's DMARC verdict" % name, not dmarc_bad,
            itlib.first_diffs(dmarc_bad))
    ok_counts = collections.Counter(
        (o.get("bimi") or {}).get("dmarc_ok") for o in objs)
    print("      kinds: %s; dmarc_ok %s" % (dict(sorted(kinds.items())), dict(ok_counts)))
    want = ["%s valid=%s" % (k, v) for k in ("mta_sts", "tls_rpt", "bimi")
            for v in (True, False, None)]
    want += ["dkim NOERROR rsa", "dkim NOERROR ed25519", "dkim NOERROR revoked",
             "dkim NXDOMAIN None"]
    C.check("%s: the world holds every kind" % name, all(kinds[k] for k in want),
            [k for k in want if not kinds[k]])
    C.check("%s: dmarc_ok both true and false" % name, ok_counts[True] and ok_counts[False],
            dict(ok_counts))


def check_summary(name, objs, path):
    """The summary's adoption rates count exactly what the lines say."""
    with open(path) as f:
        adoption = json.load(f).get("adoption")
    n = len(objs)

    def count(pred):
        return {"n": sum(1 for o in objs if pred(o)), "total": n}

    want = {
        "mta_sts": count(lambda o: o["mta_sts"]["records"]),
        "mta_sts_valid": count(lambda o: o["mta_sts"]["valid"] is True),
        "tls_rpt": count(lambda o: o["tls_rpt"]["records"]),
        "tls_rpt_valid": count(lambda o: o["tls_rpt"]["valid"] is True),
        "bimi": count(lambda o: o["bimi"]["records"]),
        "bimi_valid": count(lambda o: o["bimi"]["valid"] is True),
        "bimi_dmarc_ok": count(lambda o: o["bimi"]["dmarc_ok"] is True),
        "dkim_domainkey": count(lambda o: o["dkim"]["domainkey"] == "exists"),
        "dkim_domainkey_absent": count(lambda o: o["dkim"]["domainkey"] == "absent"),
    }
    print("      adoption: %s" % json.dumps(adoption))
    C.check("%s: summary adoption counts what the lines say" % name, adoption == want,
            "got %s\nwant %s" % (adoption, want))


def check_report_of_lines(name, binary, lines, path):
    """`dmarcscan report` counts the lines with the scan's aggregator: its summary of the
    lines has the scan's adoption, dnssec and posture members (the lines' producer of the
    facts reads these objects back)."""
    with open(path) as f:
        want = json.load(f)
    r = subprocess.run([binary, "report", "--format", "json", lines], capture_output=True)
    if not C.check("%s: report of the lines exits 0" % name, r.returncode == 0,
                   r.stderr.decode(errors="replace")[-2000:]):
        return
    got = json.loads(r.stdout)
    for key in ("adoption", "dnssec", "posture", "by_tld"):
        C.check("%s: report of the lines: %s equals the scan's summary" % (name, key),
                got.get(key) == want.get(key) and want.get(key) is not None,
                "got %s\nwant %s" % (json.dumps(got.get(key))[:600],
                                      json.dumps(want.get(key))[:600]))


def check_only(name, objs, truth, present):
    bad = []
    for o in objs:
        t = truth.get(o.get("domain"))
        if t is None:
            continue
        for key in OBJECTS:
            if key not in o:
                bad.append("%s: no %s member" % (o["domain"], key))
            elif key not in present and o[key] is not None:
                bad.append("%s: %s %r, want null" % (o["domain"], key, o[key]))
        only = {k: (o.get(k) if k in present else t[k]) for k in OBJECTS}
        for diff in dsworld.mail_txt_diffs(dict(only, domain=o["domain"]), t):
            bad.append("%s: %s" % (o["domain"], diff))
    C.check("%s: %s written, the other further checks null"
            % (name, ", ".join(present) or "none"), not bad, itlib.first_diffs(bad))


# ---- no caps: a zone of records longer than the checks once kept ---------------------------

CAPS_ZONE = "caps.test"
CAPS_DOMAIN = "many." + CAPS_ZONE


def caps_zone(zone_dir):
    """Write caps.test: at many.caps.test a TLS-RPT record of 100 rua URIs, 40 MTA-STS
    records, a BIMI record and a DKIM key record (selector s1) of 200 tags each, and a DMARC
    record with a 2,000-byte rua URI. Returns what the line must hold."""
    import random
    rng = random.Random(SEED)
    rua = ["mailto:r%d@h%d.%s" % (k, k, CAPS_DOMAIN) for k in range(100)]
    sts = ["v=STSv1; id=%d" % k for k in range(40)]
    tags = "".join(" x%d=%d;" % (k, k) for k in range(198))
    logo = "https://%s/l.svg" % CAPS_DOMAIN
    bimi = "v=BIMI1;%s l=%s" % (tags, logo)
    dkim = "v=DKIM1;%s p=%s" % (tags, dsworld._b64(dsworld.rsa_spki(rng, 2048)))
    long_uri = "mailto:" + "a" * (2000 - len("mailto:@" + CAPS_DOMAIN)) + "@" + CAPS_DOMAIN
    dmarc_rua = ["mailto:d@%s" % CAPS_DOMAIN, long_uri, "mailto:e@%s" % CAPS_DOMAIN]
    rrs = [("_smtp._tls.many", "v=TLSRPTv1; rua=" + ",".join(rua))]
    rrs += [("_mta-sts.many", s) for s in sts]
    rrs += [("default._bimi.many", bimi), ("s1._domainkey.many", dkim),
            ("_dmarc.many", "v=DMARC1; p=reject; rua=" + ",".join(dmarc_rua))]
    with open(os.path.join(zone_dir, CAPS_ZONE + ".zone"), "w") as f:
        f.write("$ORIGIN %s.\n$TTL 300\n" % CAPS_ZONE)
        f.write("@ SOA ns h 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n")
        for owner, text in rrs:
            f.write("%s TXT %s\n" % (owner, dsworld.txt_rdata([text.encode()])))
    return {"rua": rua, "sts": sts, "logo": logo, "dmarc_rua": dmarc_rua}


def check_caps(name, objs, want):
    """Every record, tag and URI is in the line: none dropped, no budget_exceeded."""
    o = next((o for o in objs or [] if o.get("domain") == CAPS_DOMAIN), None)
    if not C.check("%s: a line for %s" % (name, CAPS_DOMAIN), o is not None):
        return
    t, m, b, k = o["tls_rpt"], o["mta_sts"], o["bimi"], o["dkim"]
    C.check("%s: tls_rpt keeps its 100 rua URIs in order" % name,
            t["rua"] == want["rua"] and t["valid"] is True and t["errors"] == [],
            "%d URIs, errors %s" % (len(t["rua"]), t["errors"]))
    C.check("%s: mta_sts lists its 40 records" % name,
            sorted(m["records"]) == sorted(want["sts"]) and "records_dropped" not in m
            and m["errors"] == ["multiple_records"],
            "%d records, errors %s" % (len(m["records"]), m["errors"]))
    C.check("%s: bimi reads l after 198 other tags" % name,
            b["l"] == want["logo"] and b["valid"] is True and b["errors"] == []
            and b["warnings"] == ["unknown_tag"], json.dumps(b)[:400])
    sel = (k.get("selectors") or [{}])[0]
    C.check("%s: dkim reads p after 198 other tags" % name,
            sel.get("bits") == 2048 and sel.get("errors") == [], json.dumps(sel)[:400])
    C.check("%s: dmarc keeps the 2,000-byte rua URI whole" % name,
            (o.get("dmarc") or {}).get("rua") == want["dmarc_rua"],
            [len(u) for u in (o.get("dmarc") or {}).get("rua") or []])


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_mailtxt.py DMARCSCAN [REPO] (or env DMARCSCAN)")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    with tempfile.TemporaryDirectory(prefix="dmarcscan-mailtxt-") as tmp:
        world = os.path.join(tmp, "world")
        dsworld.generate(world, SEED, COUNT, mail_txt=True)
        truth = dsworld.load_truth(world)
        domains = os.path.join(world, "domains.txt")
        caps_want = caps_zone(os.path.join(world, "zones"))
        caps_domains = os.path.join(tmp, "caps.txt")
        with open(caps_domains, "w") as f:
            f.write(CAPS_DOMAIN + "\n")
        try:
            with dsauth.AuthServer(os.path.join(world, "zones"), os.path.join(tmp, "run")) as srv:
                print("knot on 127.0.0.1:%d" % srv.port)
                sels = ",".join(dsworld.DKIM_SELECTORS)
                summary = os.path.join(tmp, "all.summary.json")
                objs, meta = scan(binary, srv.port, domains, tmp, "all",
                                  ["--checks", "all", "--dkim-selectors", sels,
                                   "--summary", summary])
                if objs is not None:
                    check_all("all", objs, truth)
                    check_summary("all", objs, summary)
                    check_report_of_lines("all", binary, os.path.join(tmp, "all.ndjson"),
                                          summary)
                    checks = meta.get("config", {}).get("checks")
                    C.check("all: the metadata lists every check", checks == [
                        "dmarc", "spf", "mx", "dnssec", "mta_sts", "tls_rpt", "bimi", "dkim"], checks)
                objs, _ = scan(binary, srv.port, domains, tmp, "tlsrpt", ["--checks", "tls-rpt"])
                if objs is not None:
                    check_only("tls-rpt alone", objs, truth, ["tls_rpt"])
                objs, _ = scan(binary, srv.port, domains, tmp, "default", [])
                if objs is not None:
                    check_only("default checks", objs, truth, [])
                objs, _ = scan(binary, srv.port, caps_domains, tmp, "caps",
                               ["--checks", "all", "--dkim-selectors", "s1"])
                check_caps("no caps", objs, caps_want)
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402
import dsworld  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
