# dsauth.py -- run a real authoritative DNS server (Knot, or NSD) on 127.0.0.1 for tests.
#
# Contract:
#   with AuthServer(zone_dir, run_dir) as srv: ... srv.port ...
#     serves every zone_dir/NAME.zone on 127.0.0.1:PORT (UDP+TCP, a free port), returns once
#     every zone in wait_zones (default: all) answers SOA; raises AuthServerError (with the
#     server log) on failure. Stops the server (SIGTERM, waits for exit) on leaving.
#   start()/stop() do the same without the context manager; run_dir/port holds the port and
#   the server writes its pidfile in run_dir, so `authserver stop --run DIR` works later.
#   While knotd starts, net.core.rmem_default/wmem_default are raised to 32 MiB (Knot has no
#   socket-buffer option; with 8 MiB its one UDP socket dropped ~2.4% of queries under the
#   scanner's default 10000 in flight, none with 32 MiB) and then restored;
#   net.core.rmem_max/wmem_max are raised to at least 32 MiB and left so (clients may ask
#   for big buffers). Needs root for the sysctls; without it they are skipped, with a warning.
#   reference_lookup(name, port) is an independent stub resolver (dnspython) used to check
#   worlds: TXT lookup following CNAMEs, also across replies.
#   AuthServer(..., stats_zones=[...]) (Knot only) counts the queries each of those zones
#   answers, by query type (Knot's mod-stats), UDP and TCP alike; zone_query_counts(zone)
#   reads them ({"TXT": n, "A": n, ...}, cumulative since the start) through knotc.
#   AuthServer(..., signed_zones=[...]) (Knot only) signs those zones itself (automatic
#   DNSSEC signing, ECDSA P-256, NSEC) with keys it generates in run_dir; ds_records(zone)
#   gives their DS records (keymgr), as a parent or a resolver's trust anchor needs them.
# Only 127.0.0.1 is ever contacted.

import os
import re
import signal
import socket
import subprocess
import sys
import time

HOST = "127.0.0.1"
BUF_DEFAULT = 32 * 1024 * 1024  # server socket buffers (Knot via rmem_default, NSD option)
BUF_MAX = 32 * 1024 * 1024
SYSCTL = "/proc/sys/net/core/"


class AuthServerError(RuntimeError):
    pass


def log(msg):
    print("authserver: " + msg, file=sys.stderr, flush=True)


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 (small race until the server binds)."""
    for _ in range(50):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind((HOST, 0))
            port = u.getsockname()[1]
            t.bind((HOST, port))
            return port
        except OSError:
            continue
        finally:
            u.close()
            t.close()
    raise AuthServerError("no free port")


def discover_zones(zone_dir):
    return sorted(f[:-5] for f in os.listdir(zone_dir) if f.endswith(".zone"))


def _sysctl_get(name):
    with open(SYSCTL + name) as f:
        return int(f.read().split()[0])


def _sysctl_set(name, value):
    try:
        with open(SYSCTL + name, "w") as f:
            f.write("%d\n" % value)
        return True
    except OSError as e:
        log("cannot set net.core.%s=%d (%s); continuing" % (name, value, e.strerror))
        return False


def raise_max_buffers():
    for name in ("rmem_max", "wmem_max"):
        if _sysctl_get(name) < BUF_MAX:
            _sysctl_set(name, BUF_MAX)


def soa_answers(zone, port, timeout=1.0):
    """True when kdig gets an SOA answer for zone."""
    try:
        r = subprocess.run(["kdig", "@" + HOST, "-p", str(port), "+short", "+notcp",
                            "+timeout=%d" % max(1, int(timeout)), "+retry=0", "SOA", zone + "."],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           timeout=timeout + 5)
    except subprocess.TimeoutExpired:
        return False
    return r.returncode == 0 and " " in r.stdout.strip()


def tcp_listening(port):
    try:
        socket.create_connection((HOST, port), timeout=1).close()
        return True
    except OSError:
        return False


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as dead
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_run_dir(run_dir, timeout=60.0):
    """Stop the server whose pidfile is in run_dir; True if one was running."""
    for name in ("knot.pid", "nsd.pid"):
        pid = read_pid(os.path.join(run_dir, name))
        if pid is None or not pid_alive(pid):
            continue
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            if time.monotonic() > deadline:
                log("pid %d ignored SIGTERM; sending SIGKILL" % pid)
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.05)
        return True
    return False


KNOT_CONF = """\
# generated by dsauth.py
server:
    rundir: "{run}"
    pidfile: "{run}/knot.pid"
    listen: {host}@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 2
    udp-max-payload: 1232
log:
  - target: "{run}/knot.log"
    any: info
database:
    storage: "{run}/db"
{stats}{policy}template:
  - id: default
    storage: "{zones}"
    file: "%s.zone"
    semantic-checks: off
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
{zone_list}
"""

NSD_CONF = """\
# generated by dsauth.py
server:
    ip-address: {host}@{port}
    port: {port}
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{zones}"
    pidfile: "{run}/nsd.pid"
    logfile: "{run}/nsd.log"
    xfrdfile: "{run}/xfrd.state"
    zonelistfile: "{run}/zone.list"
    database: ""
    server-count: 1
    verbosity: 1
    receive-buffer-size: {buf}
    send-buffer-size: {buf}
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
{zone_list}
"""


class AuthServer:
    """A Knot (default) or NSD instance serving zone_dir on 127.0.0.1:self.port."""

    def __init__(self, zone_dir, run_dir, zones=None, server="knot", wait_zones=None,
                 timeout=None, stats_zones=None, signed_zones=None):
        self.zone_dir = os.path.abspath(zone_dir)
        self.run_dir = os.path.abspath(run_dir)
        self.zones = list(zones) if zones else discover_zones(self.zone_dir)
        self.wait_zones = list(wait_zones) if wait_zones is not None else self.zones
        if server not in ("knot", "nsd"):
            raise ValueError("server must be knot or nsd")
        self.server = server
        self.timeout = timeout
        self.stats_zones = set(stats_zones or ())
        if self.stats_zones and server != "knot":
            raise ValueError("stats_zones needs knot")
        self.signed_zones = set(signed_zones or ())
        if self.signed_zones and server != "knot":
            raise ValueError("signed_zones needs knot")
        self.port = None
        self.load_seconds = None

    # -- lifecycle
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        if not self.zones:
            raise AuthServerError("no NAME.zone files in " + self.zone_dir)
        os.makedirs(self.run_dir, exist_ok=True)
        stop_run_dir(self.run_dir)  # a leftover from an interrupted run
        for f in ("knot.log", "nsd.log", "knot.pid", "nsd.pid", "port"):
            if os.path.exists(os.path.join(self.run_dir, f)):
                os.unlink(os.path.join(self.run_dir, f))
        self.port = free_port()
        raise_max_buffers()
        t0 = time.monotonic()
        if self.server == "knot":
            self._start_knot()
        else:
            self._start_nsd()
        self.load_seconds = time.monotonic() - t0
        with open(os.path.join(self.run_dir, "port"), "w") as f:
            f.write("%d\n" % self.port)
        return self.port

    def stop(self):
        stop_run_dir(self.run_dir)

    # -- servers
    def _conf_path(self):
        return os.path.join(self.run_dir, self.server + ".conf")

    def _start_knot(self):
        zl = "\n".join("  - domain: %s" % z + ("\n    module: mod-stats/qtypes"
                                               if z in self.stats_zones else "")
                       + ("\n    dnssec-signing: on\n    dnssec-policy: test"
                          if z in self.signed_zones else "")
                       for z in self.zones)
        stats = "mod-stats:\n  - id: qtypes\n    query-type: on\n" if self.stats_zones else ""
        os.makedirs(os.path.join(self.run_dir, "db"), exist_ok=True)  # keys and timers
        policy = ("policy:\n  - id: test\n    algorithm: ecdsap256sha256\n    nsec3: off\n"
                  if self.signed_zones else "")
        with open(self._conf_path(), "w") as f:
            f.write(KNOT_CONF.format(run=self.run_dir, host=HOST, port=self.port,
                                     zones=self.zone_dir, zone_list=zl, stats=stats,
                                     policy=policy))
        saved = {n: _sysctl_get(n) for n in ("rmem_default", "wmem_default")}
        changed = [n for n in saved if saved[n] < BUF_DEFAULT and _sysctl_set(n, BUF_DEFAULT)]
        try:
            self._run_daemon(["knotd", "-c", self._conf_path(), "-d"], "knot")
            self._wait_ready("knot")
        finally:
            for n in changed:
                _sysctl_set(n, saved[n])

    def _start_nsd(self):
        zl = "\n".join('zone:\n    name: "%s"\n    zonefile: "%s.zone"' % (z, z)
                       for z in self.zones)
        with open(self._conf_path(), "w") as f:
            f.write(NSD_CONF.format(run=self.run_dir, host=HOST, port=self.port,
                                    zones=self.zone_dir, zone_list=zl, buf=BUF_DEFAULT))
        chk = subprocess.run(["nsd-checkconf", self._conf_path()], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        if chk.returncode != 0:
            raise AuthServerError("nsd-checkconf failed:\n" + chk.stdout)
        self._run_daemon(["nsd", "-c", self._conf_path()], "nsd")
        self._wait_ready("nsd")

    def _run_daemon(self, argv, name):
        r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise AuthServerError("%s failed (exit %d):\n%s\n%s"
                                  % (" ".join(argv), r.returncode, r.stdout, self.log_text()))

    def _zone_bytes(self):
        return sum(os.path.getsize(os.path.join(self.zone_dir, z + ".zone"))
                   for z in self.zones)

    def _wait_ready(self, name):
        # ~3 s per 100 MB of zone text measured for Knot; allow a wide margin
        timeout = self.timeout or 30 + self._zone_bytes() / 2e6
        deadline = time.monotonic() + timeout
        pidfile = os.path.join(self.run_dir, name + ".pid")
        pending = list(self.wait_zones)
        while pending:
            # kdig's shortest timeout is 1 s: ask only once the server listens
            if tcp_listening(self.port) and soa_answers(pending[0], self.port):
                pending.pop(0)
                continue
            pid = read_pid(pidfile)
            if pid is not None and not pid_alive(pid):
                raise AuthServerError("%s exited while loading:\n%s" % (name, self.log_text()))
            if time.monotonic() > deadline:
                self.stop()
                raise AuthServerError("%s: zone %s not answering after %.0f s:\n%s"
                                      % (name, pending[0], timeout, self.log_text()))
            time.sleep(0.1)

    def cpu_seconds(self):
        """User+system CPU seconds the server process has used so far (its threads
        included), from /proc/PID/stat: bench/run charges each run with the difference."""
        pid = read_pid(os.path.join(self.run_dir, self.server + ".pid"))
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def zone_query_counts(self, zone):
        """{qtype: queries} zone has answered since the start (a zone of stats_zones)."""
        if zone not in self.stats_zones:
            raise ValueError("%s is not in stats_zones" % zone)
        r = subprocess.run(["knotc", "-c", self._conf_path(), "zone-stats", zone,
                            "mod-stats.query-type"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        if r.returncode != 0:
            raise AuthServerError("knotc zone-stats %s failed:\n%s" % (zone, r.stdout))
        return {m.group(1): int(m.group(2)) for m in
                re.finditer(r"query-type\[([A-Z0-9]+)\] = (\d+)", r.stdout)}

    def ds_records(self, zone):
        """The DS records of a signed zone's KSK, as zone-file lines ('zone. DS ...')."""
        if zone not in self.signed_zones:
            raise ValueError("%s is not in signed_zones" % zone)
        r = subprocess.run(["keymgr", "-c", self._conf_path(), zone, "ds"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=30)
        lines = [l.strip() for l in r.stdout.splitlines() if " DS " in l]
        if r.returncode != 0 or not lines:
            raise AuthServerError("keymgr %s ds failed:\n%s" % (zone, r.stdout))
        return lines

    def log_text(self):
        out = []
        for f in ("knot.log", "nsd.log"):
            p = os.path.join(self.run_dir, f)
            if os.path.exists(p):
                with open(p, errors="replace") as fh:
                    out.append("--- %s ---\n%s" % (p, fh.read()[-20000:]))
        return "\n".join(out) or "(no server log)"


# ---------------------------------------------------------------- reference stub resolver

def reference_lookup(name, port, rtype="TXT", max_hops=8, timeout=2.0):
    """Resolve name/TXT at 127.0.0.1:port like a CNAME-following stub resolver.

    Returns (status, [joined TXT bytes]) with status an rcode name or "TIMEOUT"."""
    import dns.exception
    import dns.flags
    import dns.message
    import dns.name
    import dns.query
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype

    qname = dns.name.from_text(name)
    qtype = dns.rdatatype.from_text(rtype)
    hops = 0
    while True:
        q = dns.message.make_query(qname, qtype, use_edns=0, payload=1232)
        try:
            r = dns.query.udp(q, HOST, port=port, timeout=timeout)
            if r.flags & dns.flags.TC:
                r = dns.query.tcp(q, HOST, port=port, timeout=timeout)
        except dns.exception.Timeout:
            return "TIMEOUT", []
        status = dns.rcode.to_text(r.rcode())
        owner = qname
        while True:  # follow the chain inside this reply
            cn = r.get_rrset(r.answer, owner, dns.rdataclass.IN, dns.rdatatype.CNAME)
            if cn is None:
                break
            hops += 1
            if hops > max_hops:
                return "SERVFAIL", []
            owner = cn[0].target
        rr = r.get_rrset(r.answer, owner, dns.rdataclass.IN, qtype)
        if rr is not None or owner == qname or status != "NOERROR":
            recs = [b"".join(t.strings) for t in rr] if rr is not None else []
            return status, recs
        qname = owner  # chain leaves the reply: ask for its end
