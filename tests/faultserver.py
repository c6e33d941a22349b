#!/usr/bin/python3
# faultserver.py -- a small scriptable DNS responder on 127.0.0.1 for fault-injection tests.
#
# Contract:
#   with FaultServer(script, seed=0) as srv: ... srv.port ... srv.stats.udp_count(name) ...
#     answers UDP and TCP on 127.0.0.1:srv.port (one free port for both) from a script that
#     says, per query name, what to send back (or not). Stops itself (loop thread joined,
#     TCP connections shut down, sockets closed) on leaving the block, also on an exception;
#     every thread is a daemon, so a crashed test never hangs on it.
#   CLI: faultserver.py --script FILE [--port N] [--seed S] [--stats FILE]
#     prints the port on stdout, serves until SIGTERM/SIGINT (or stdin EOF with --stdin-eof),
#     then writes the per-name query counts to --stats FILE as JSON.
# Only 127.0.0.1 is ever bound or sent to. Python 3 standard library only (dnspython is not
# needed: packets are built by hand so that broken ones can be built too).
#
# Script: a dict (or a JSON file holding one) {"names": {PATTERN: BEHAVIOUR}, "default":
# BEHAVIOUR, "seed": N}; a dict without "names" is the names map itself. PATTERN is an exact
# query name ("_dmarc.ok.test", case-insensitive, trailing dot optional), a suffix rule
# "*.drop.test" (any name strictly below drop.test; the longest matching rule wins), or "*"
# (everything else, like "default"). Names matching nothing are answered REFUSED. In dict
# mode BEHAVIOUR may also be a callable(name) returning a BEHAVIOUR dict.
#
# BEHAVIOUR keys (all optional; text values may use {name} = the query name and {domain} =
# the query name without a leading "_dmarc."):
#   rcode        "NOERROR" (default), "NXDOMAIN", "SERVFAIL", "REFUSED", ... or an int
#   txt          TXT records at the final owner: each a string (split into 255-octet
#                character-strings) or a list of strings (one character-string each; a
#                string prefixed "hex:" is raw bytes). NODATA = NOERROR with no txt.
#   cname        a CNAME chain: [t1, t2, ...] means name CNAME t1, t1 CNAME t2, ...; the TXT
#                records are owned by the last target. A target equal to an earlier name
#                makes a loop.
#   cname_only   true: the chain only, no TXT (the target lives "elsewhere": the client has
#                to ask for it, scripted under its own name)
#   stray_txt    {owner: [records]}: TXT records of other owners, appended to the answer
#                section (a client must ignore them)
#   drop         true: never answer over UDP
#   drop_first   K: do not answer the first K UDP queries for the name
#   drop_pct     P: drop P percent of UDP queries, decided by a seeded hash of
#                (seed, name, attempt number), so runs are reproducible in any arrival order
#   delay_ms     D: send everything for this query D ms later (other queries are not held up)
#   tc           true: answer over UDP with TC=1 and no records (the full answer over TCP).
#                Answers larger than the query's EDNS payload (512 without EDNS) are
#                truncated that way anyway, unless no_truncate is true (then the whole
#                answer goes out in one big datagram, as a careless server might do).
#   forge        "id" | "port" | "qname" | "qtype" (or a list): first send a forged reply
#                (wrong id / from a second socket with another source port / other question
#                name / qtype A) carrying the TXT "v=DMARC1; p=none; forged=KIND", then the
#                real one
#   malformed    KIND: send a malformed reply instead of the real one
#   malformed_first KIND: send a malformed reply, then the real one. KIND is one of
#                short_header (7 octets), qname_loop (question name is a pointer to itself),
#                qdcount (header claims a question and an answer, nothing follows),
#                ancount (ANCOUNT larger than the records present), rdlen (a TXT rdlength
#                past the end of the packet), answer_loop (answer owner name is a pointer to
#                itself), garbage (20 random octets with the right id)
#   twice        true: send the (real) reply twice
#   upper_question true: echo the question name upper-cased (a server that does not keep
#                the letter case of the query, which --0x20 must reject)
#   steps        [BEHAVIOUR, ...]: per UDP attempt (1st, 2nd, ...; the last repeats),
#                merged over the keys above; e.g. late answer =
#                {"steps": [{"delay_ms": 900, "txt": ["old"]}, {"txt": ["new"]}]}
#   tcp          BEHAVIOUR merged over the base for TCP queries (UDP-only faults -- drop*,
#                tc, forge, malformed*, twice, delay -- never apply to TCP). TCP faults in
#                it: "close": true hangs up without answering, "drop": true never answers
#                (the connection stays open), "delay_ms": D answers D ms late.
# FaultServer(tcp=False) binds the TCP port but never listens: connections are refused.
#
# Stats (srv.stats, thread-safe): udp / tcp ({name: count} copies), udp_count(name),
# tcp_count(name), snapshot() ->
# {"udp": {name: n}, "tcp": {name: n}, "udp_total", "tcp_total", "sent", "dropped"};
# names are lower-case without the trailing dot. reset() zeroes everything.

import argparse
import hashlib
import heapq
import json
import os
import random
import selectors
import signal
import socket
import struct
import sys
import threading
import time

HOST = "127.0.0.1"
RCODES = {"NOERROR": 0, "FORMERR": 1, "SERVFAIL": 2, "NXDOMAIN": 3, "NOTIMP": 4, "REFUSED": 5}
TYPE_A, TYPE_CNAME, TYPE_SOA, TYPE_TXT, TYPE_OPT = 1, 5, 6, 16, 41
UDP_ONLY = ("drop", "drop_first", "drop_pct", "delay_ms", "tc", "forge", "malformed",
            "malformed_first", "twice", "steps")
KNOWN = set(UDP_ONLY) | {"rcode", "txt", "cname", "cname_only", "stray_txt", "upper_question",
                         "no_truncate", "close", "tcp"}
MALFORMED_KINDS = ("short_header", "qname_loop", "qdcount", "ancount", "rdlen",
                   "answer_loop", "garbage")
FORGE_KINDS = ("id", "port", "qname", "qtype")
TCP_IDLE_S = 5.0
TCP_FAULTS = ("drop", "close", "delay_ms")


class ScriptError(ValueError):
    pass


# ---------------------------------------------------------------- names and wire helpers

def norm(name):
    return name.strip().rstrip(".").lower()


def name_to_wire(name):
    name = name.rstrip(".")
    out = b""
    if name:
        for label in name.split("."):
            b = label.encode("ascii")
            if not 0 < len(b) <= 63:
                raise ScriptError("bad label in %r" % name)
            out += bytes([len(b)]) + b
    return out + b"\0"


def wire_to_name(buf, off):
    """Uncompressed name at buf[off] (queries only); (text, end offset) or None."""
    labels = []
    for _ in range(128):
        if off >= len(buf):
            return None
        n = buf[off]
        if n == 0:
            return ".".join(labels), off + 1
        if n > 63 or off + 1 + n > len(buf):
            return None
        labels.append(buf[off + 1:off + 1 + n].decode("latin-1"))
        off += 1 + n
    return None


def txt_rdata(rec):
    """One TXT record's rdata from a string (auto-split) or a list of strings."""
    if isinstance(rec, (list, tuple)):
        parts = [bytes.fromhex(p[4:]) if p.startswith("hex:") else p.encode("utf-8")
                 for p in rec]
    else:
        b = rec.encode("utf-8")
        parts = [b[i:i + 255] for i in range(0, len(b), 255)] or [b""]
    out = b""
    for p in parts:
        if len(p) > 255:
            raise ScriptError("character-string longer than 255 octets")
        out += bytes([len(p)]) + p
    return out


def rr(owner_wire, rtype, rdata, ttl=300):
    return owner_wire + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata


class Query:
    __slots__ = ("id", "flags", "qname", "qname_wire", "qtype", "qclass", "payload", "edns",
                 "raw_q")

    @classmethod
    def parse(cls, pkt):
        if len(pkt) < 12:
            return None
        qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", pkt[:12])
        if flags & 0x8000 or qd != 1:
            return None
        r = wire_to_name(pkt, 12)
        if r is None or r[1] + 4 > len(pkt):
            return None
        q = cls()
        q.id, q.flags = qid, flags
        q.qname, end = r
        q.qname_wire = pkt[12:end]
        q.qtype, q.qclass = struct.unpack("!HH", pkt[end:end + 4])
        q.raw_q = pkt[12:end + 4]
        q.payload, q.edns = 512, False
        # EDNS: an OPT record (root owner) right after the question when ARCOUNT says so
        p = end + 4
        if ar and an == 0 and ns == 0 and p + 11 <= len(pkt) and pkt[p] == 0:
            rtype, size = struct.unpack("!HH", pkt[p + 1:p + 5])
            if rtype == TYPE_OPT:
                q.payload, q.edns = max(512, size), True
        return q


def opt_rr():
    return b"\0" + struct.pack("!HHIH", TYPE_OPT, 1232, 0, 0)


def build_reply(q, spec, fill, truncate_to=None, qid=None, question=None, force_tc=False):
    """The reply to q per spec (rcode, txt, cname...); (bytes, truncated?)."""
    rcode = spec.get("rcode", "NOERROR")
    rcode = RCODES[rcode.upper()] if isinstance(rcode, str) else int(rcode)
    if question is None:
        qw = q.qname_wire
        if spec.get("upper_question"):
            qw = bytes(c - 32 if 97 <= c <= 122 else c for c in qw)
        question = qw + struct.pack("!HH", q.qtype, q.qclass)
    answers = []
    owner = b"\xc0\x0c"  # the question name
    chain = spec.get("cname") or []
    for target in chain:
        tw = name_to_wire(fill(target))
        answers.append(rr(owner, TYPE_CNAME, tw))
        owner = tw
    if not spec.get("cname_only") and q.qtype in (TYPE_TXT, 255):
        for rec in spec.get("txt") or []:
            if isinstance(rec, str):
                rec = fill(rec)
            else:
                rec = [fill(p) for p in rec]
            answers.append(rr(owner, TYPE_TXT, txt_rdata(rec)))
    for stray_owner, recs in (spec.get("stray_txt") or {}).items():
        for rec in recs:
            answers.append(rr(name_to_wire(fill(stray_owner)), TYPE_TXT,
                              txt_rdata(fill(rec) if isinstance(rec, str) else rec)))
    authority = []
    if rcode == 3 or (rcode == 0 and not answers):
        # NXDOMAIN / NODATA: an SOA of the "zone" (the last two labels), as servers send
        labels = q.qname.split(".")
        zone = ".".join(labels[-2:]) if len(labels) >= 2 else q.qname
        soa = (name_to_wire("ns." + zone) + name_to_wire("hostmaster." + zone)
               + struct.pack("!IIIII", 1, 3600, 600, 86400, 300))
        authority.append(rr(name_to_wire(zone), TYPE_SOA, soa))
    flags = 0x8000 | (q.flags & 0x7900) | 0x0400 | 0x0080 | rcode  # QR opcode AA RD RA
    extra = [opt_rr()] if q.edns else []

    def pack(an, ns, tc):
        f = flags | (0x0200 if tc else 0)
        hdr = struct.pack("!HHHHHH", q.id if qid is None else qid, f, 1, len(an), len(ns),
                          len(extra))
        return hdr + question + b"".join(an) + b"".join(ns) + b"".join(extra)

    pkt = pack(answers, authority, False)
    if force_tc or (truncate_to is not None and len(pkt) > truncate_to):
        return pack([], [], True), True
    return pkt, False


def malformed_reply(q, spec, fill, kind, rng):
    good, _ = build_reply(q, spec, fill)
    hdr = bytearray(good[:12])
    if kind == "short_header":
        return bytes(good[:7])
    if kind == "qname_loop":
        struct.pack_into("!HHHH", hdr, 4, 1, 0, 0, 0)
        return bytes(hdr) + b"\xc0\x0c" + struct.pack("!HH", q.qtype, q.qclass)
    if kind == "qdcount":
        struct.pack_into("!HHHH", hdr, 4, 1, 1, 0, 0)
        return bytes(hdr)
    if kind == "garbage":
        return bytes(hdr[:2]) + bytes(rng.getrandbits(8) for _ in range(18))
    question = q.raw_q
    rd = txt_rdata("v=DMARC1; p=reject; malformed=" + kind)
    if kind == "ancount":
        struct.pack_into("!HHHH", hdr, 4, 1, 4, 0, 0)
        return bytes(hdr) + question + rr(b"\xc0\x0c", TYPE_TXT, rd)
    if kind == "rdlen":
        struct.pack_into("!HHHH", hdr, 4, 1, 1, 0, 0)
        body = b"\xc0\x0c" + struct.pack("!HHIH", TYPE_TXT, 1, 300, len(rd) + 200) + rd
        return bytes(hdr) + question + body
    if kind == "answer_loop":
        struct.pack_into("!HHHH", hdr, 4, 1, 1, 0, 0)
        off = 12 + len(question)  # the owner name points at itself
        owner = struct.pack("!H", 0xC000 | off)
        return bytes(hdr) + question + rr(owner, TYPE_TXT, rd)
    raise ScriptError("unknown malformed kind %r" % kind)


# ---------------------------------------------------------------- script

class Script:
    def __init__(self, script, seed=None):
        if isinstance(script, str):
            with open(script) as f:
                script = json.load(f)
        script = dict(script or {})
        names = script.get("names")
        if names is None:
            names = {k: v for k, v in script.items() if k not in ("default", "seed")}
        self.seed = seed if seed is not None else int(script.get("seed", 0))
        self.exact, self.suffix = {}, []
        self.default = script.get("default")
        for pat, beh in names.items():
            self._check(beh, pat)
            p = pat.strip().lower()
            if p == "*":
                self.default = beh
            elif p.startswith("*."):
                self.suffix.append(("." + norm(p[2:]), beh))
            else:
                self.exact[norm(p)] = beh
        self.suffix.sort(key=lambda s: -len(s[0]))
        if self.default is None:
            self.default = {"rcode": "REFUSED"}
        self._check(self.default, "default")
        self._cache = {}
        self._lock = threading.Lock()

    @staticmethod
    def _check(beh, where):
        if callable(beh):
            return
        if not isinstance(beh, dict):
            raise ScriptError("%s: behaviour must be an object" % where)
        unknown = set(beh) - KNOWN
        if unknown:
            raise ScriptError("%s: unknown keys %s" % (where, sorted(unknown)))
        for k in ("malformed", "malformed_first"):
            if k in beh and beh[k] not in MALFORMED_KINDS:
                raise ScriptError("%s: %s must be one of %s" % (where, k, MALFORMED_KINDS))
        forge = beh.get("forge")
        for f in ([forge] if isinstance(forge, str) else forge or []):
            if f not in FORGE_KINDS:
                raise ScriptError("%s: forge must be among %s" % (where, FORGE_KINDS))
        for s in beh.get("steps") or []:
            Script._check(s, where + " step")
        if "tcp" in beh:
            Script._check(beh["tcp"], where + " tcp")

    def behaviour(self, name):
        """The behaviour dict for a normalized name (cached)."""
        with self._lock:
            b = self._cache.get(name)
            if b is not None:
                return b
        b = self.exact.get(name)
        if b is None:
            for suf, beh in self.suffix:
                if name.endswith(suf):
                    b = beh
                    break
        if b is None:
            b = self.default
        if callable(b):
            b = b(name)
            self._check(b, name)
        with self._lock:
            self._cache[name] = b
        return b


def merged(base, attempt):
    """base with steps[attempt-1] (the last step repeats) merged over it."""
    steps = base.get("steps")
    if not steps:
        return base
    spec = dict(base)
    del spec["steps"]
    spec.update(steps[min(attempt, len(steps)) - 1])
    return spec


def filler(name):
    domain = name[len("_dmarc."):] if name.startswith("_dmarc.") else name

    def fill(text):
        return text.replace("{name}", name).replace("{domain}", domain)
    return fill


# ---------------------------------------------------------------- stats

class Stats:
    def __init__(self):
        self._lock = threading.Lock()
        self.reset()

    def reset(self):
        with self._lock:
            self._udp, self._tcp = {}, {}
            self._sent = self._dropped = 0

    def _count_udp(self, name):
        with self._lock:
            n = self._udp.get(name, 0) + 1
            self._udp[name] = n
            return n

    def _count_tcp(self, name):
        with self._lock:
            n = self._tcp.get(name, 0) + 1
            self._tcp[name] = n
            return n

    def _add(self, sent=0, dropped=0):
        with self._lock:
            self._sent += sent
            self._dropped += dropped

    @property
    def udp(self):
        """{name: UDP queries received} (a copy)."""
        with self._lock:
            return dict(self._udp)

    @property
    def tcp(self):
        """{name: TCP queries received} (a copy)."""
        with self._lock:
            return dict(self._tcp)

    def udp_count(self, name):
        with self._lock:
            return self._udp.get(norm(name), 0)

    def tcp_count(self, name):
        with self._lock:
            return self._tcp.get(norm(name), 0)

    def snapshot(self):
        with self._lock:
            return {"udp": dict(self._udp), "tcp": dict(self._tcp),
                    "udp_total": sum(self._udp.values()), "tcp_total": sum(self._tcp.values()),
                    "sent": self._sent, "dropped": self._dropped}


# ---------------------------------------------------------------- server

def free_port():
    """A port free for both UDP and TCP on 127.0.0.1; (udp socket, tcp socket) bound to it."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            u.bind((HOST, 0))
            t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            t.bind((HOST, u.getsockname()[1]))
            return u, t
        except OSError:
            u.close()
            t.close()
    raise OSError("no free port on %s" % HOST)


def big_buffers(sock, size=16 * 1024 * 1024):
    for force, opt in ((33, socket.SO_RCVBUF), (32, socket.SO_SNDBUF)):  # SO_*BUFFORCE
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, size)
        except OSError:
            try:
                sock.setsockopt(socket.SOL_SOCKET, opt, size)
            except OSError:
                pass


class FaultServer:
    """Scriptable DNS responder on 127.0.0.1 (UDP + TCP, one port)."""

    def __init__(self, script=None, seed=None, port=0, name="faultserver", tcp=True):
        self.script = script if isinstance(script, Script) else Script(script, seed)
        self.seed = self.script.seed
        self.want_port = port
        self.label = name
        self.tcp_enabled = tcp
        self.port = None
        self.stats = Stats()
        self._rng = random.Random(self.seed)
        self._stop = threading.Event()
        self._threads = []
        self._timers = []  # heap of (due, seq, sock, data, addr)
        self._seq = 0
        self._tcp_conns = set()
        self._lock = threading.Lock()
        self.errors = []

    # -- lifecycle
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        if self.want_port:
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.bind((HOST, self.want_port))
            self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.tcp.bind((HOST, self.want_port))
        else:
            self.udp, self.tcp = free_port()
        self.port = self.udp.getsockname()[1]
        big_buffers(self.udp)
        self.alt = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # forged source port
        self.alt.bind((HOST, 0))
        if self.tcp_enabled:
            self.tcp.listen(64)
        for s in (self.udp, self.alt, self.tcp):
            s.setblocking(False)
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        t = threading.Thread(target=self._udp_loop, name=self.label + "-udp", daemon=True)
        t.start()
        self._threads.append(t)
        return self.port

    def stop(self, timeout=5.0):
        if self._stop.is_set():
            return
        self._stop.set()
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        for t in list(self._threads):
            t.join(timeout)
        with self._lock:
            conns = list(self._tcp_conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for s in (self.udp, self.alt, self.tcp, self._wake_r, self._wake_w):
            try:
                s.close()
            except OSError:
                pass

    # -- UDP
    def _udp_loop(self):
        sel = selectors.DefaultSelector()
        sel.register(self.udp, selectors.EVENT_READ, "udp")
        if self.tcp_enabled:
            sel.register(self.tcp, selectors.EVENT_READ, "tcp")
        sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self._stop.is_set():
                timeout = None
                if self._timers:
                    timeout = max(0.0, self._timers[0][0] - time.monotonic())
                for key, _ in sel.select(timeout if timeout is not None else 1.0):
                    if key.data == "udp":
                        self._drain_udp()
                    elif key.data == "tcp":
                        self._accept()
                self._run_timers()
        except Exception as e:  # pragma: no cover - reported to the test
            self.errors.append(repr(e))
            raise
        finally:
            sel.close()

    def _drain_udp(self):
        for _ in range(256):
            try:
                pkt, addr = self.udp.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            try:
                self._handle_udp(pkt, addr)
            except ScriptError as e:
                self.errors.append(str(e))

    def _send(self, sock, data, addr):
        try:
            sock.sendto(data, addr)
            self.stats._add(sent=1)
        except OSError:
            pass

    def _later(self, delay_s, sock, data, addr):
        self._seq += 1
        heapq.heappush(self._timers, (time.monotonic() + delay_s, self._seq, sock, data, addr))

    def _run_timers(self):
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, sock, data, addr = heapq.heappop(self._timers)
            self._send(sock, data, addr)

    def _drop_pct(self, name, attempt, pct):
        h = hashlib.blake2b(("%d:%s:%d" % (self.seed, name, attempt)).encode(),
                            digest_size=8).digest()
        return int.from_bytes(h, "big") % 10000 < pct * 100

    def _handle_udp(self, pkt, addr):
        q = Query.parse(pkt)
        if q is None:
            return
        name = norm(q.qname)
        attempt = self.stats._count_udp(name)
        spec = merged(self.script.behaviour(name), attempt)
        if (spec.get("drop") or attempt <= int(spec.get("drop_first", 0))
                or (spec.get("drop_pct") and self._drop_pct(name, attempt, spec["drop_pct"]))):
            self.stats._add(dropped=1)
            return
        fill = filler(name)
        out = []  # (socket, bytes)
        forge = spec.get("forge")
        for kind in ([forge] if isinstance(forge, str) else forge or []):
            out.append(self._forged(q, spec, fill, kind))
        if spec.get("malformed_first"):
            out.append((self.udp, malformed_reply(q, spec, fill, spec["malformed_first"],
                                                  self._rng)))
        if spec.get("malformed"):
            out.append((self.udp, malformed_reply(q, spec, fill, spec["malformed"], self._rng)))
        else:
            real, _ = build_reply(q, spec, fill,
                                  truncate_to=None if spec.get("no_truncate") else q.payload,
                                  force_tc=bool(spec.get("tc")))
            out.append((self.udp, real))
            if spec.get("twice"):
                out.append((self.udp, real))
        delay = float(spec.get("delay_ms", 0)) / 1000.0
        for sock, data in out:
            if delay > 0:
                self._later(delay, sock, data, addr)
            else:
                self._send(sock, data, addr)

    def _forged(self, q, spec, fill, kind):
        fspec = {"rcode": "NOERROR", "txt": ["v=DMARC1; p=none; forged=" + kind]}
        if kind == "id":
            pkt, _ = build_reply(q, fspec, fill, qid=q.id ^ 0x5A5A)
            return self.udp, pkt
        if kind == "port":
            pkt, _ = build_reply(q, fspec, fill)
            return self.alt, pkt
        if kind == "qname":
            question = b"\x06forged" + q.qname_wire + struct.pack("!HH", q.qtype, q.qclass)
            pkt, _ = build_reply(q, fspec, fill, question=question)
            return self.udp, pkt
        if kind == "qtype":
            question = q.qname_wire + struct.pack("!HH", TYPE_A, q.qclass)
            pkt, _ = build_reply(q, fspec, fill, question=question)
            return self.udp, pkt
        raise ScriptError("unknown forge kind %r" % kind)

    # -- TCP
    def _accept(self):
        for _ in range(64):
            try:
                conn, _ = self.tcp.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            conn.setblocking(True)
            conn.settimeout(TCP_IDLE_S)
            with self._lock:
                self._tcp_conns.add(conn)
            t = threading.Thread(target=self._tcp_conn, args=(conn,), daemon=True,
                                 name=self.label + "-tcp")
            t.start()

    @staticmethod
    def _recv_exact(conn, n):
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def _tcp_conn(self, conn):
        try:
            for _ in range(10000):
                if self._stop.is_set():
                    return
                hdr = self._recv_exact(conn, 2)
                if hdr is None:
                    return
                pkt = self._recv_exact(conn, struct.unpack("!H", hdr)[0])
                if pkt is None:
                    return
                q = Query.parse(pkt)
                if q is None:
                    return
                name = norm(q.qname)
                self.stats._count_tcp(name)
                base = self.script.behaviour(name)
                over = base.get("tcp") or {}
                if over.get("close"):
                    return  # hang up without an answer
                if over.get("drop"):
                    continue  # never answer this one; keep reading
                if over.get("delay_ms") and self._stop.wait(float(over["delay_ms"]) / 1000.0):
                    return
                spec = {k: v for k, v in base.items() if k not in UDP_ONLY and k != "tcp"}
                spec.update({k: v for k, v in over.items() if k not in TCP_FAULTS})
                reply, _ = build_reply(q, spec, filler(name))
                conn.sendall(struct.pack("!H", len(reply)) + reply)
                self.stats._add(sent=1)
        except (OSError, ScriptError) as e:
            if isinstance(e, ScriptError):
                self.errors.append(str(e))
        finally:
            with self._lock:
                self._tcp_conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass


# ---------------------------------------------------------------- CLI

def main(argv=None):
    ap = argparse.ArgumentParser(description="scriptable fault-injecting DNS responder "
                                 "on 127.0.0.1 (UDP and TCP)")
    ap.add_argument("--script", required=True, help="JSON script (see the file header)")
    ap.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    ap.add_argument("--seed", type=int, default=None, help="overrides the script's seed")
    ap.add_argument("--stats", help="write per-name query counts here (JSON) on exit")
    ap.add_argument("--stdin-eof", action="store_true", help="also stop when stdin closes")
    ap.add_argument("--max-seconds", type=float, default=0,
                    help="stop after this long (0: never)")
    a = ap.parse_args(argv)
    try:
        srv = FaultServer(a.script, seed=a.seed, port=a.port)
    except (ScriptError, ValueError, OSError) as e:
        print("faultserver: bad script %s: %s" % (a.script, e), file=sys.stderr)
        return 2
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    try:
        srv.start()
    except OSError as e:
        print("faultserver: cannot listen: %s" % e, file=sys.stderr)
        return 1
    print(srv.port, flush=True)
    if a.stdin_eof:
        threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    deadline = time.monotonic() + a.max_seconds if a.max_seconds > 0 else None
    while not done.wait(0.2):
        if deadline and time.monotonic() > deadline:
            break
    srv.stop()
    if a.stats:
        tmp = a.stats + ".tmp"
        with open(tmp, "w") as f:
            json.dump(srv.stats.snapshot(), f, indent=1, sort_keys=True)
        os.replace(tmp, a.stats)
    for e in srv.errors:
        print("faultserver: " + e, file=sys.stderr)
    return 1 if srv.errors else 0


if __name__ == "__main__":
    sys.exit(main())
