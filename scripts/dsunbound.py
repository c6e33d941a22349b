# dsunbound.py -- run Debian's Unbound on 127.0.0.1 as the recursive resolver dmarcscan asks,
# tuned for mass scanning (docs/local-resolver.md explains every choice).
#
# Contract:
#   with LocalResolver(run_dir, stubs={"test": ("127.0.0.1", 5300)}) as res: ... res.port ...
#     writes run_dir/unbound.conf, checks it (unbound-checkconf), starts unbound on
#     127.0.0.1:PORT (a free port unless port= is given), returns once it answers a query;
#     raises ResolverError (with unbound's log) on failure; stops it (SIGTERM, waits) on leaving.
#   stubs: {zone: (ip, port) or [(ip, port), ...]} -> one stub-zone per zone.
#   forward: [(ip, port), ...] -> forward-zone "." (everything not stubbed goes there).
#   Local mode (stubs and/or forward given): Unbound may only ever contact those addresses.
#     "." is a stub to the first stub address unless "." is stubbed/forwarded itself (so root
#     hints are never used), names outside the stub zones are answered REFUSED locally, and
#     when every address is on loopback the outgoing interface is 127.0.0.1 (the kernel cannot
#     send from there to anything but loopback) and do-not-query-localhost is off.
#   Recursive mode (neither): a normal recursive resolver from the root hints. It TALKS TO THE
#     INTERNET: for real scans on users' machines only, never in tests.
#   start() is idempotent: when run_dir already holds a running unbound with the same config it
#   is kept (and .reused is True); otherwise a leftover is stopped first. stop() is idempotent.
#   stats() -> {name: number} from `unbound-control stats_noreset` (remote control on a unix
#   socket in run_dir; extended statistics on, so num.query.udpout/tcpout count the queries
#   sent to authoritative servers).
#   profile="tuned" (default): the tuning of docs/local-resolver.md (threads = cores, 4096
#     queries per thread, big buffers and caches, no qname minimisation, iterator only).
#   profile="stock": Unbound's defaults, as a resolver nobody tuned (1 thread,
#     num-queries-per-thread 1024, jostle-timeout 200 ms, stated explicitly; threads, msg_cache
#     and rrset_cache are ignored); only what local mode needs is configured.
#   trust_anchors=["zone. DS ...", ...]: validate DNSSEC (module-config "validator iterator")
#     with those anchors only (no root anchor: every other zone is insecure, answered
#     without AD); without it Unbound does not validate.
#   Raises net.core.rmem_max/wmem_max to at least 8 MiB when lower (root only; left raised).

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsauth  # noqa: E402

HOST = "127.0.0.1"
BUF = 8 * 1024 * 1024
SYSCTL = "/proc/sys/net/core/"
ROOT_HINTS = "/usr/share/dns/root.hints"


class ResolverError(RuntimeError):
    pass


def log(msg):
    print("local-resolver: " + msg, file=sys.stderr, flush=True)


def default_run_dir():
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return os.path.join(base, "dmarcscan-unbound-%d" % os.getuid())


# A port free for both UDP and TCP on 127.0.0.1: the Knot launcher's.
free_port = dsauth.free_port


def cores():
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def pow2_at_least(n):
    p = 1
    while p < n:
        p *= 2
    return p


def parse_addr(text):
    """'IP@PORT' or 'IP' (port 53) -> (ip, port)."""
    ip, sep, port = text.strip().rpartition("@")
    if not sep:
        ip, port = text.strip(), "53"
    try:
        socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
        p = int(port)
        if not 0 < p < 65536:
            raise ValueError
    except (OSError, ValueError):
        raise ValueError("bad address %r (want IP@PORT)" % text)
    return ip, p


def parse_stub(text):
    """'ZONE[,ZONE...]=IP@PORT[,IP@PORT...]' -> [(zone, [(ip, port), ...]), ...]."""
    zones, sep, addrs = text.partition("=")
    if not sep or not zones.strip() or not addrs.strip():
        raise ValueError("bad --stub %r (want ZONE=IP@PORT)" % text)
    al = [parse_addr(a) for a in addrs.split(",") if a.strip()]
    return [(norm_zone(z), al) for z in zones.split(",") if z.strip()]


def norm_zone(z):
    z = z.strip().lower().rstrip(".")
    if any(c in z for c in ' "\\\t\n') or ".." in z:
        raise ValueError("bad zone name %r" % z)
    return z or "."


def _fqdn(z):
    return "." if z == "." else z + "."


def is_loopback(ip):
    return ip.startswith("127.") or ip == "::1"


def _sysctl_get(name):
    with open(SYSCTL + name) as f:
        return int(f.read().split()[0])


def raise_max_buffers(size=BUF):
    for name in ("rmem_max", "wmem_max"):
        try:
            if _sysctl_get(name) < size:
                with open(SYSCTL + name, "w") as f:
                    f.write("%d\n" % size)
        except OSError as e:
            log("cannot raise net.core.%s to %d (%s); unbound gets smaller socket buffers"
                % (name, size, e.strerror or e))


def ipv6_default_route():
    """True when the machine has a global IPv6 default route (worth asking servers over v6)."""
    try:
        with open("/proc/net/ipv6_route") as f:
            for line in f:
                p = line.split()
                if p[0] == "0" * 32 and p[1] == "00" and p[9] != "lo":
                    return True
    except OSError:
        pass
    return False


# Process helpers are shared with the Knot launcher: one implementation.
pid_alive = dsauth.pid_alive
read_int = dsauth.read_pid


def query_answers(port, timeout=0.5):
    """True when 127.0.0.1:port answers a 'version.server CH TXT' query (any rcode).

    Unbound answers it itself (or REFUSED with hide-version): nothing leaves the machine."""
    qid = int.from_bytes(os.urandom(2), "big")
    q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    q += b"\x07version\x06server\x00" + struct.pack(">HH", 16, 3)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(q, (HOST, port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data, src = s.recvfrom(4096)
            if src[1] == port and len(data) >= 12 and data[:2] == q[:2] and data[2] & 0x80:
                return True
    except OSError:
        return False
    finally:
        s.close()
    return False


TUNED = """\
    # throughput
    num-threads: {threads}
    so-reuseport: yes
    so-rcvbuf: 8m
    so-sndbuf: 8m
    outgoing-range: 8192
    num-queries-per-thread: 4096
    outgoing-num-tcp: 64
    incoming-num-tcp: 64
    msg-cache-size: {msg_cache}
    rrset-cache-size: {rrset_cache}
    msg-cache-slabs: {slabs}
    rrset-cache-slabs: {slabs}
    infra-cache-slabs: {slabs}
    key-cache-slabs: {slabs}
    infra-cache-numhosts: 100000
    ratelimit: 0
    ip-ratelimit: 0
    # what is measured: plain answers as a resolver gives them, one query per name
    qname-minimisation: no
    module-config: "iterator"
    prefetch: no
    prefetch-key: no
    serve-expired: no
    minimal-responses: yes
    use-caps-for-id: no
    # hardening that costs nothing per query
    harden-glue: yes
    harden-large-queries: yes
    harden-short-bufsize: yes
    harden-referral-path: no
    hide-identity: yes
    hide-version: yes
"""

# Unbound's own defaults, stated where they matter (docs/local-resolver.md): one thread, a
# 1024-entry request list per thread and a 200 ms jostle timeout; nothing else is tuned.
STOCK = """\
    # stock: what a resolver nobody tuned looks like (these are Unbound's defaults)
    num-threads: 1
    num-queries-per-thread: 1024
    jostle-timeout: 200
"""

PROFILES = ("tuned", "stock")

CONF = """\
# generated by dsunbound.py (scripts/local-resolver); see docs/local-resolver.md
server:
    verbosity: 1
    interface: {host}@{port}
    port: {port}
    do-ip4: yes
    do-ip6: {ip6}
    do-udp: yes
    do-tcp: yes
    username: ""
    chroot: ""
    directory: "{run}"
    pidfile: "{run}/unbound.pid"
    logfile: "{run}/unbound.log"
    use-syslog: no
    log-time-ascii: yes
    do-daemonize: yes
    # who may ask: this machine only
    access-control: 0.0.0.0/0 refuse
    access-control: ::0/0 refuse
    access-control: 127.0.0.0/8 allow
{tuning}    # statistics for unbound-control stats_noreset
    extended-statistics: yes
    statistics-cumulative: no
    statistics-interval: 0
{extra}
remote-control:
    control-enable: yes
    control-interface: "{run}/unbound.ctl"
    control-use-cert: no
{zones}"""


class LocalResolver:
    """Unbound on 127.0.0.1:self.port (see the module contract)."""

    def __init__(self, run_dir=None, stubs=None, forward=None, port=None, threads=None,
                 msg_cache="256m", rrset_cache="512m", ip6=None, timeout=30.0,
                 profile="tuned", trust_anchors=None):
        if profile not in PROFILES:
            raise ValueError("unknown profile %r (known: %s)" % (profile, ", ".join(PROFILES)))
        self.profile = profile
        self.trust_anchors = list(trust_anchors or ())
        self.run_dir = os.path.abspath(run_dir or default_run_dir())
        self.stubs = {}
        for zone, addrs in (stubs or {}).items():
            if isinstance(addrs, tuple) and len(addrs) == 2 and isinstance(addrs[1], int):
                addrs = [addrs]
            self.stubs[norm_zone(zone)] = [(a[0], int(a[1])) for a in addrs]
        self.forward = [(a[0], int(a[1])) for a in (forward or [])]
        self.port = port
        self.threads = 1 if profile == "stock" else threads or cores()
        self.msg_cache = msg_cache
        self.rrset_cache = rrset_cache
        self.ip6 = ip6
        self.timeout = timeout
        self.reused = False
        self.conf_path = os.path.join(self.run_dir, "unbound.conf")
        self.pid_path = os.path.join(self.run_dir, "unbound.pid")
        self.log_path = os.path.join(self.run_dir, "unbound.log")
        self.ctl_path = os.path.join(self.run_dir, "unbound.ctl")
        self.port_path = os.path.join(self.run_dir, "port")

    @property
    def local(self):
        return bool(self.stubs or self.forward)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- config
    def render(self, port):
        addrs = [a for al in self.stubs.values() for a in al] + self.forward
        all_loop = self.local and all(is_loopback(ip) for ip, _ in addrs)
        ip6 = self.ip6
        if ip6 is None:
            ip6 = any(":" in ip for ip, _ in addrs) if self.local else ipv6_default_route()
        extra, zones = [], []
        if self.local:
            extra.append("    # local mode: only the configured servers are ever asked")
            if any(is_loopback(ip) for ip, _ in addrs):
                extra.append("    do-not-query-localhost: no")
            if all_loop:
                extra.append("    outgoing-interface: 127.0.0.1")
            if "." not in self.stubs and not self.forward:
                extra.append('    local-zone: "." refuse')
                for z in sorted(self.stubs):
                    extra.append('    local-zone: "%s" transparent' % _fqdn(z))
        elif os.path.exists(ROOT_HINTS):
            extra.append('    root-hints: "%s"' % ROOT_HINTS)
        stubs = dict(self.stubs)
        if self.local and "." not in stubs and not self.forward:
            stubs["."] = next(iter(self.stubs.values()))[:1]  # never the root servers
        for z in sorted(stubs):
            zones.append('stub-zone:\n    name: "%s"' % _fqdn(z))
            zones.extend("    stub-addr: %s@%d" % a for a in stubs[z])
        if self.forward:
            zones.append('forward-zone:\n    name: "."')
            zones.extend("    forward-addr: %s@%d" % a for a in self.forward)
        tuning = STOCK if self.profile == "stock" else TUNED.format(
            threads=self.threads, slabs=pow2_at_least(self.threads), msg_cache=self.msg_cache,
            rrset_cache=self.rrset_cache)
        if self.trust_anchors:
            tuning = tuning.replace('    module-config: "iterator"\n', "")
            extra.append('    module-config: "validator iterator"')
            extra.extend('    trust-anchor: "%s"' % a for a in self.trust_anchors)
        return CONF.format(host=HOST, port=port, run=self.run_dir, tuning=tuning,
                           ip6="yes" if ip6 else "no", extra="\n".join(extra),
                           zones="\n".join(zones) + ("\n" if zones else ""))

    # -- lifecycle
    def running_pid(self):
        pid = read_int(self.pid_path)
        return pid if pid is not None and pid_alive(pid) else None

    def start(self):
        if shutil.which("unbound") is None and not os.path.exists("/usr/sbin/unbound"):
            raise ResolverError("unbound not installed (apt-get install unbound)")
        os.makedirs(self.run_dir, exist_ok=True)
        if self.running_pid() is not None:
            old_port = read_int(self.port_path)
            port = self.port or old_port
            try:
                with open(self.conf_path) as f:
                    same = port is not None and f.read() == self.render(port)
            except OSError:
                same = False
            if same and query_answers(port):
                self.port, self.reused = port, True
                return port
            self.stop()
        for p in (self.pid_path, self.log_path, self.port_path):
            if os.path.exists(p):
                os.unlink(p)
        port = self.port or free_port()
        with open(self.conf_path, "w") as f:
            f.write(self.render(port))
        chk = subprocess.run([self._bin("unbound-checkconf"), self.conf_path],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if chk.returncode != 0:
            raise ResolverError("unbound-checkconf %s failed:\n%s" % (self.conf_path, chk.stdout))
        raise_max_buffers()
        r = subprocess.run([self._bin("unbound"), "-c", self.conf_path],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            raise ResolverError("unbound -c %s failed (exit %d):\n%s\n%s"
                                % (self.conf_path, r.returncode, r.stdout, self.log_text()))
        deadline = time.monotonic() + self.timeout
        while not query_answers(port):
            pid = read_int(self.pid_path)
            if (pid is not None and not pid_alive(pid)) or time.monotonic() > deadline:
                why = "exited" if pid is not None and not pid_alive(pid) else \
                    "not answering after %.0f s" % self.timeout
                self.stop()
                raise ResolverError("unbound %s:\n%s" % (why, self.log_text()))
            time.sleep(0.05)
        self.port = port
        with open(self.port_path, "w") as f:
            f.write("%d\n" % port)
        return port

    def stop(self, timeout=30.0):
        """Stop the unbound of run_dir; True if one was running."""
        pid = self.running_pid()
        if pid is None:
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while pid_alive(pid):
            if time.monotonic() > deadline:
                log("unbound pid %d ignored SIGTERM; sending SIGKILL" % pid)
                os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 10
            time.sleep(0.02)
        return True

    # -- inspection
    def control(self, *args):
        r = subprocess.run([self._bin("unbound-control"), "-c", self.conf_path] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=30)
        if r.returncode != 0:
            raise ResolverError("unbound-control %s failed:\n%s" % (" ".join(args), r.stdout))
        return r.stdout

    def stats(self):
        out = {}
        for line in self.control("stats_noreset").splitlines():
            k, sep, v = line.partition("=")
            if sep:
                try:
                    out[k.strip()] = float(v) if "." in v else int(v)
                except ValueError:
                    pass
        return out

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return "--- %s ---\n%s" % (self.log_path, f.read()[-20000:])
        except OSError:
            return "(no unbound log at %s)" % self.log_path

    @staticmethod
    def _bin(name):
        return shutil.which(name) or os.path.join("/usr/sbin", name)
