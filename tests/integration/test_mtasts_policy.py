#!/usr/bin/python3
# test_mtasts_policy.py -- integration test of --mta-sts-policy: dmarcscan against a real
# Knot serving hand-written zones and a local HTTPS policy server (python's http.server over
# TLS) whose certificate comes from a test CA made here with openssl; the scan trusts it
# with --ca-file and connects with --mta-sts-port. Each domain is one case of RFC 8461's
# fetch and policy rules; every line's "policy" object is checked, and the server's log
# says which hosts and paths were asked. Then Ctrl-C once and twice with a fetch in flight.
#
# Usage: test_mtasts_policy.py [DMARCSCAN [REPO]]   (or env DMARCSCAN; REPO defaults to ../..)
# Only 127.0.0.1 (and, for the refused connection, 127.0.0.2, where nothing listens) is
# contacted. Prints "N passed, M failed"; exit 1 on failure.

import http.server
import json
import os
import signal
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time

import itlib

HERE = os.path.dirname(os.path.abspath(__file__))
C = itlib.Checks()
ZONE = "sts.test"
SOA = "@ SOA ns1.{z}. hostmaster.{z}. 1 7200 3600 1209600 300\n@ NS ns1.{z}.\nns1 A 127.0.0.1\n"
PATH = "/.well-known/mta-sts.txt"

GOOD = "version: STSv1\r\nmode: enforce\r\nmx: mail.good.sts.test\r\nmax_age: 604800\r\n"
WILD = "version: STSv1\nmode: testing\nmx: *.wild.sts.test\nmax_age: 86400\n"
MISMATCH = ("version: STSv1\nmode: enforce\nmx: mail.other.test\nmx: *.mismatch.sts.test\n"
            "max_age: 604800\n")
BAD = "version: STSv2\nmode: strict\nmax_age: 99999999999\nmx: *bad*\nno colon here\n"
SHORT = "version: STSv1\nmode: enforce\nmode: testing\nmx: mx.short.sts.test\nmax_age: 3600\n"
NONE = "version: STSv1\nmode: none\nmax_age: 86400\n"
NULLMX = "version: STSv1\nmode: enforce\nmx: mail.nullmx.sts.test\nmax_age: 604800\n"

# host label -> (HTTP status, body, content type, extra headers, delay s)
SERVED = {
    "good": (200, GOOD, "text/plain; charset=utf-8", {}, 0),
    "wild": (200, WILD, "text/plain", {}, 0),
    "mismatch": (200, MISMATCH, "text/plain", {}, 0),
    "bad": (200, BAD, "text/plain", {}, 0),
    "short": (200, SHORT, "text/html", {}, 0),
    "none": (200, NONE, "text/plain", {}, 0),
    "nullmx": (200, NULLMX, "text/plain", {}, 0),
    "notfound": (404, "no policy here\n", "text/plain", {}, 0),
    "moved": (301, "", "text/plain", {"Location": "https://example.net/"}, 0),
    "big": (200, "version: STSv1\n" + "x-pad: " + "y" * 100000 + "\n", "text/plain", {}, 0),
    "slow": (200, GOOD, "text/plain", {}, 8),
    "badcert": (200, GOOD, "text/plain", {}, 0),
}
MANY = ["m%03d" % i for i in range(300)]  # the queue case: 300 policies, 4 fetches at once
IN_CERT = [d for d in SERVED if d != "badcert"] + MANY

ZONE_BODY = """
_mta-sts.good TXT "v=STSv1; id=20261202"
mta-sts.good A 127.0.0.1
good MX 10 mail.good.sts.test.
_mta-sts.wild TXT "v=STSv1; id=1"
mta-sts.wild CNAME web.sts.test.
web A 127.0.0.1
wild MX 10 mx1.wild.sts.test.
wild MX 20 mx2.wild.sts.test.
_mta-sts.mismatch TXT "v=STSv1; id=2"
mta-sts.mismatch A 127.0.0.1
mismatch MX 10 mail.mismatch.sts.test.
mismatch MX 20 backup.mismatch.example.
_mta-sts.bad TXT "v=STSv1; id=3"
mta-sts.bad A 127.0.0.1
_mta-sts.short TXT "v=STSv1; id=4"
mta-sts.short A 127.0.0.1
short MX 10 MX.Short.sts.test.
_mta-sts.none TXT "v=STSv1; id=5"
mta-sts.none A 127.0.0.1
_mta-sts.nullmx TXT "v=STSv1; id=6"
mta-sts.nullmx A 127.0.0.1
nullmx MX 0 .
_mta-sts.notfound TXT "v=STSv1; id=7"
mta-sts.notfound A 127.0.0.1
_mta-sts.moved TXT "v=STSv1; id=8"
mta-sts.moved A 127.0.0.1
_mta-sts.big TXT "v=STSv1; id=9"
mta-sts.big A 127.0.0.1
_mta-sts.slow TXT "v=STSv1; id=10"
mta-sts.slow A 127.0.0.1
_mta-sts.badcert TXT "v=STSv1; id=11"
mta-sts.badcert A 127.0.0.1
_mta-sts.refused TXT "v=STSv1; id=12"
mta-sts.refused A 127.0.0.2
_mta-sts.noaddr TXT "v=STSv1; id=13"
noaddr MX 10 mail.noaddr.sts.test.
_mta-sts.noid TXT "v=STSv1;"
mta-sts.noid A 127.0.0.1
_mta-sts.twice TXT "v=STSv1; id=14"
_mta-sts.twice TXT "v=STSv1; id=15"
mta-sts.twice A 127.0.0.1
notxt MX 10 mail.notxt.sts.test.
mta-sts.notxt A 127.0.0.1
"""

# What each line's policy must say (members not listed are not checked).
EXPECT = {
    "good": {"fetch": "ok", "address": "127.0.0.1", "http_status": 200, "mode": "enforce",
             "max_age": 604800, "mx": ["mail.good.sts.test"], "mx_match": True,
             "mx_unmatched": [], "valid": True, "errors": [], "warnings": []},
    "wild": {"fetch": "ok", "mode": "testing", "max_age": 86400, "mx": ["*.wild.sts.test"],
             "mx_match": True, "valid": True, "errors": [], "warnings": []},
    "mismatch": {"fetch": "ok", "mode": "enforce", "mx_match": False,
                 "mx": ["mail.other.test", "*.mismatch.sts.test"],
                 "mx_unmatched": ["backup.mismatch.example"], "valid": True},
    "bad": {"fetch": "ok", "mode": None, "max_age": None, "mx": [], "mx_match": None,
            "valid": False,
            "errors": ["version_invalid", "mode_invalid", "max_age_invalid", "mx_invalid",
                       "line_invalid"]},
    "short": {"fetch": "ok", "mode": "enforce", "max_age": 3600, "mx_match": True,
              "valid": True, "errors": [],
              "warnings": ["duplicate_field", "max_age_short", "content_type"]},
    "none": {"fetch": "ok", "mode": "none", "mx": [], "mx_match": None, "valid": True,
             "errors": []},
    "nullmx": {"fetch": "ok", "mode": "enforce", "mx_match": None, "valid": True},
    "notfound": {"fetch": "http_status", "http_status": 404, "mode": None, "valid": None},
    "moved": {"fetch": "redirect", "http_status": 301, "valid": None},
    "big": {"fetch": "too_large", "valid": None, "mx": []},
    "slow": {"fetch": "timeout", "valid": None},
    "badcert": {"fetch": "tls", "http_status": None, "valid": None},
    "refused": {"fetch": "connect", "address": "127.0.0.2", "valid": None},
    "noaddr": {"fetch": "no_address", "address": None, "valid": None},
}
NOT_FETCHED = ["noid", "twice", "notxt"]  # no single valid record: policy null


class Handler(http.server.BaseHTTPRequestHandler):
    log = None

    def do_GET(self):
        host = (self.headers.get("Host") or "").split(":")[0]
        Handler.log.append((host, self.path))
        label = host[len("mta-sts."):-len("." + ZONE)] if host.startswith("mta-sts.") else ""
        many = (200, "version: STSv1\nmode: testing\nmx: *.%s.%s\nmax_age: 86400\n" % (
            label, ZONE), "text/plain", {}, 0)
        status, body, ctype, extra, delay = SERVED.get(
            label, many if label in MANY else (404, "", "text/plain", {}, 0))
        if delay:
            time.sleep(delay)
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in extra.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def make_ca(tmp):
    """A test CA and a server certificate for the served names but badcert's."""
    ca_key, ca_crt = os.path.join(tmp, "ca.key"), os.path.join(tmp, "ca.crt")
    key, crt = os.path.join(tmp, "srv.key"), os.path.join(tmp, "srv.crt")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    subprocess.run(["openssl", "req", "-x509", "-new"] + ec + [
        "-keyout", ca_key, "-out", ca_crt, "-days", "2", "-subj", "/CN=dmarcscan test CA"],
        check=True, capture_output=True)
    san = ",".join("DNS:mta-sts.%s.%s" % (d, ZONE) for d in IN_CERT)
    subprocess.run(["openssl", "req", "-x509", "-new"] + ec + [
        "-keyout", key, "-out", crt, "-days", "2", "-subj", "/CN=mta-sts test server",
        "-addext", "subjectAltName=" + san, "-addext", "basicConstraints=CA:FALSE",
        "-CA", ca_crt, "-CAkey", ca_key], check=True, capture_output=True)
    return ca_crt, crt, key


def start_https(crt, key):
    Handler.log = []
    srv = Server(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    return srv


def scan(binary, port, domains, tmp, name, extra):
    out = os.path.join(tmp, name + ".ndjson")
    md = os.path.join(tmp, name + ".meta.json")
    rc, _, err, secs = itlib.run_scan(binary, ["-q", "-r", "127.0.0.1:%d" % port, "-o", out,
                                               "--metadata", md] + extra + [domains])
    print("      %s: %.1f s" % (name, secs))
    if not C.check("%s: exits 0" % name, rc == 0, err.decode(errors="replace")[-2000:]):
        return None, None
    with open(md) as f:
        meta = json.load(f)
    return {o["domain"]: o for o in itlib.read_ndjson(C, name, out)}, meta


def check_policies(name, lines):
    bad = []
    for label, want in EXPECT.items():
        o = lines.get("%s.%s" % (label, ZONE)) or {}
        pol = (o.get("mta_sts") or {}).get("policy")
        if not isinstance(pol, dict):
            bad.append("%s: policy %r" % (label, pol))
            continue
        for k, v in want.items():
            got = pol.get(k)
            if k in ("errors", "warnings") and isinstance(got, list):
                got, v = sorted(got), sorted(v)
            if got != v:
                bad.append("%s: %s %r, want %r" % (label, k, pol.get(k), want[k]))
    for label in NOT_FETCHED:
        o = lines.get("%s.%s" % (label, ZONE)) or {}
        if "mta_sts" not in o or o["mta_sts"].get("policy", "absent") is not None:
            bad.append("%s: policy %r, want null" % (label, (o.get("mta_sts") or {}).get(
                "policy", "absent")))
    C.check("%s: every policy object as RFC 8461 says (%d cases)" % (name, len(EXPECT) +
            len(NOT_FETCHED)), not bad, itlib.first_diffs(bad, 20))


def check_requests(name, log):
    hosts = sorted(set(h for h, _ in log))
    want = sorted("mta-sts.%s.%s" % (d, ZONE) for d in SERVED if d != "badcert")
    C.check("%s: the server was asked for exactly the policy hosts a sender asks" % name,
            hosts == want, "asked %s\nwant %s" % (hosts, want))
    paths = set(p for _, p in log)
    C.check("%s: only the well-known path" % name, paths == {PATH}, paths)


def check_summary(name, binary, lines, summary, ndjson):
    """The summary's policy rows count what the lines say, and `dmarcscan report` of the
    lines (the lines' producer of the facts) gives the same adoption."""
    with open(summary) as f:
        adoption = json.load(f).get("adoption") or {}
    objs = list(lines.values())
    pols = [(o.get("mta_sts") or {}).get("policy") for o in objs]

    def count(pred):
        return {"n": sum(1 for p in pols if p and pred(p)), "total": len(objs)}

    want = {"mta_sts_policy": count(lambda p: p.get("valid") is True),
            "mta_sts_enforce": count(lambda p: p.get("valid") is True and
                                     p.get("mode") == "enforce"),
            "mta_sts_mx_match": count(lambda p: p.get("mx_match") is True)}
    got = {k: adoption.get(k) for k in want}
    C.check("%s: summary adoption counts the policies the lines state" % name,
            got == want and want["mta_sts_policy"]["n"] == 6 and
            want["mta_sts_enforce"]["n"] == 4 and want["mta_sts_mx_match"]["n"] == 3,
            "got %s\nwant %s" % (got, want))
    r = subprocess.run([binary, "report", "--format", "json", ndjson], capture_output=True)
    rep = json.loads(r.stdout) if r.returncode == 0 else {}
    C.check("%s: report of the lines: adoption equals the summary's" % name,
            rep.get("adoption") == adoption, "got %s\nwant %s" % (rep.get("adoption"),
                                                                  adoption))


def check_many(name, lines, meta, log):
    """Many policies through few slots: every one fetched once, in bounded concurrency."""
    bad = []
    for label in MANY:
        pol = ((lines.get("%s.%s" % (label, ZONE)) or {}).get("mta_sts") or {}).get("policy")
        if not pol or pol.get("fetch") != "ok" or pol.get("mx_match") is not True:
            bad.append("%s: %r" % (label, pol))
    C.check("%s: all %d policies fetched, each matching its MX host" % (name, len(MANY)),
            not bad, itlib.first_diffs(bad))
    asked = sorted(h for h, _ in log)
    C.check("%s: each policy host asked exactly once" % name,
            asked == sorted("mta-sts.%s.%s" % (d, ZONE) for d in MANY), len(asked))
    h = meta.get("https") or {}
    C.check("%s: at most 4 at once, the rest waited (metadata)" % name,
            h.get("started") == len(MANY) and h.get("ended", {}).get("ok") == len(MANY) and
            h.get("concurrency") == 4 and 0 < h.get("queued_max", 0) < len(MANY), h)


def interrupted(binary, port, tmp, name, fetch, signals):
    """Scans slow (its server answers after 8 s) and good; once slow's fetch is in flight
    sends SIGINT len(signals) times, signals[i] seconds after the fetch began. Returns
    (rc, seconds from the first signal to the exit, {domain: line}, metadata)."""
    domains = os.path.join(tmp, name + ".txt")
    with open(domains, "w") as f:
        f.write("good.%s\nslow.%s\n" % (ZONE, ZONE))
    out, md = os.path.join(tmp, name + ".ndjson"), os.path.join(tmp, name + ".meta.json")
    Handler.log = []
    argv = [binary, "scan", "-q", "-r", "127.0.0.1:%d" % port, "-o", out, "--metadata", md,
            "--checks", "mta-sts"] + fetch + [domains]
    print("run   " + " ".join(argv))
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while not any(h.startswith("mta-sts.slow.") for h, _ in Handler.log):
        if p.poll() is not None or time.monotonic() > deadline:
            p.kill()
            p.communicate()
            return None, 0, {}, {}
        time.sleep(0.01)
    started = time.monotonic()
    for at in signals:
        time.sleep(max(0, started + at - time.monotonic()))
        p.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    try:
        _, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    secs = time.monotonic() - t0
    if p.returncode != 130:
        print(err.decode(errors="replace")[-2000:])
    lines = {o["domain"].split(".")[0]: o for o in itlib.read_ndjson(C, name, out) or []}
    try:
        with open(md) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        meta = {}
    return p.returncode, secs, lines, meta


def check_interrupts(binary, port, tmp, ca, hport):
    """Ctrl-C with a policy fetch in flight: the first waits for it (the fetch is the
    domain's, and every admitted domain is finished); a second stops at once, and the
    domain whose fetch was cut has no line (--resume scans it again), not a wrong one."""
    fetch = ["--mta-sts-policy", "--ca-file", ca, "--mta-sts-port", str(hport),
             "--mta-sts-timeout", "20000"]
    rc, secs, lines, meta = interrupted(binary, port, tmp, "ctrl-c", fetch, [0.5])
    if rc is None:
        C.check("Ctrl-C: the slow fetch began", False)
        return
    slow = ((lines.get("slow") or {}).get("mta_sts") or {}).get("policy") or {}
    C.check("Ctrl-C during a fetch: exit 130 once the fetch is done (%.1f s)" % secs,
            rc == 130 and 5 <= secs < 15, rc)
    C.check("Ctrl-C during a fetch: both lines, the slow policy fetched whole",
            sorted(lines) == ["good", "slow"] and slow.get("fetch") == "ok" and
            slow.get("valid") is True, (sorted(lines), slow))
    C.check("Ctrl-C during a fetch: the metadata says interrupted",
            meta.get("interrupted") is True, meta.get("interrupted"))
    rc, secs, lines, meta = interrupted(binary, port, tmp, "ctrl-c-twice", fetch, [0.3, 0.8])
    C.check("two Ctrl-C during a fetch: exit 130 at once (%.1f s)" % secs,
            rc == 130 and secs < 4, rc)
    C.check("two Ctrl-C during a fetch: the cut domain has no line, the other its own",
            "slow" not in lines and
            ((lines.get("good") or {}).get("mta_sts") or {}).get("policy", {}).get("fetch")
            == "ok", sorted(lines))
    h = meta.get("https") or {}
    C.check("two Ctrl-C during a fetch: the metadata counts the fetch begun",
            h.get("started") == 2, h)


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("DMARCSCAN", "")
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_mtasts_policy.py DMARCSCAN [REPO] (or env DMARCSCAN)")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    with tempfile.TemporaryDirectory(prefix="dmarcscan-mtasts-") as tmp:
        zdir = os.path.join(tmp, "zones")
        os.mkdir(zdir)
        with open(os.path.join(zdir, ZONE + ".zone"), "w") as f:
            f.write("$ORIGIN %s.\n$TTL 300\n" % ZONE + SOA.format(z=ZONE) + ZONE_BODY)
        domains = os.path.join(tmp, "domains.txt")
        with open(domains, "w") as f:
            for label in list(EXPECT) + NOT_FETCHED:
                f.write("%s.%s\n" % (label, ZONE))
        with open(os.path.join(zdir, ZONE + ".zone"), "a") as f:
            for label in MANY:
                f.write("_mta-sts.%s TXT \"v=STSv1; id=1\"\nmta-sts.%s A 127.0.0.1\n"
                        "%s MX 10 mx.%s.sts.test.\n" % (label, label, label, label))
        many = os.path.join(tmp, "many.txt")
        with open(many, "w") as f:
            f.write("".join("%s.%s\n" % (label, ZONE) for label in MANY))
        ca, crt, key = make_ca(tmp)
        https = start_https(crt, key)
        hport = https.server_address[1]
        print("https on 127.0.0.1:%d" % hport)
        try:
            with dsauth.AuthServer(zdir, os.path.join(tmp, "run")) as srv:
                print("knot on 127.0.0.1:%d" % srv.port)
                fetch = ["--mta-sts-policy", "--ca-file", ca, "--mta-sts-port", str(hport),
                         "--mta-sts-timeout", "3000", "--mta-sts-fetches", "3"]
                summary = os.path.join(tmp, "policy.summary.json")
                lines, meta = scan(binary, srv.port, domains, tmp, "policy",
                                   ["--checks", "mta-sts", "--summary", summary] + fetch)
                if lines is not None:
                    check_policies("policy", lines)
                    check_summary("policy", binary, lines, summary,
                                  os.path.join(tmp, "policy.ndjson"))
                    check_requests("policy", list(Handler.log))
                    h = meta.get("https") or {}
                    C.check("policy: the metadata counts the fetches",
                            h.get("started") == len(SERVED) + 1 and
                            h.get("ended", {}).get("ok") == 7 and
                            h.get("concurrency") == 3, h)
                # Without --ca-file the test CA is unknown: every fetch fails its TLS check.
                Handler.log.clear()
                lines, _ = scan(binary, srv.port, domains, tmp, "system-store",
                                ["--checks", "mta-sts"] + fetch[:1] + fetch[3:])
                if lines is not None:
                    fetched = [o["mta_sts"]["policy"]["fetch"] for o in lines.values()
                               if (o.get("mta_sts") or {}).get("policy")]
                    C.check("system store: the test CA's certificates are refused",
                            fetched and "ok" not in fetched and "tls" in fetched, fetched)
                Handler.log.clear()
                summary = os.path.join(tmp, "no-policy.summary.json")
                lines, _ = scan(binary, srv.port, domains, tmp, "no-policy",
                                ["--checks", "mta-sts", "--summary", summary])
                if lines is not None:
                    with open(summary) as f:
                        rows = sorted(json.load(f).get("adoption") or {})
                    C.check("without --mta-sts-policy: no policy rows in the summary",
                            rows == ["mta_sts", "mta_sts_valid"], rows)
                    pols = [(o.get("mta_sts") or {}).get("policy", "absent")
                            for o in lines.values()]
                    C.check("without --mta-sts-policy: policy null, nothing fetched",
                            all(p is None for p in pols) and not Handler.log,
                            (pols[:5], Handler.log[:5]))
                Handler.log.clear()
                lines, meta = scan(binary, srv.port, many, tmp, "many",
                                   ["--checks", "mta-sts", "--mta-sts-policy", "--ca-file", ca,
                                    "--mta-sts-port", str(hport), "--mta-sts-fetches", "4"])
                if lines is not None:
                    check_many("many", lines, meta, list(Handler.log))
                check_interrupts(binary, srv.port, tmp, ca, hport)
                # With the other checks: the mx check's object and the policy's match agree.
                Handler.log.clear()
                lines, _ = scan(binary, srv.port, domains, tmp, "all",
                                ["--checks", "all"] + fetch)
                if lines is not None:
                    check_policies("all", lines)
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
        finally:
            https.shutdown()
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
import dsauth  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
