# dsspf.py -- SPF truth for generated worlds: DNS data held in Python, written as zone files,
# and an independent reference of what dmarcscan's spf check must report for a domain.
#
# Contract:
#   DnsData() holds zones {zone: {owner: {rtype: [rdata text, ...]}}} and zones that fail to
#     load (broken: SERVFAIL). add(owner, rtype, rdata) files the record under the longest
#     zone that holds owner. answer(name, qtype) -> (status, rdatas) is what Knot answers
#     for it: REFUSED outside every zone, SERVFAIL in a broken one, NXDOMAIN for a name that
#     neither owns records nor has descendants that do (empty non-terminals are NOERROR),
#     else NOERROR with the rdatas of that type (TXT as joined bytes, MX as "pref host");
#     a CNAME (rdata "target.") is followed, in and across zones, up to 8 links.
#     write_zones(dir) writes one NAME.zone per zone (SOA, NS, ns1 A, the records).
#   evaluate(domain, answer, errors_of=None) -> the spf object dmarcscan must write for the
#     domain (the fields of docs/output.md's spf that the data decides: status, records,
#     valid, result, all, permissive, redirect, dns_lookups, void_lookups, includes, errors,
#     warnings, tree_errors [(code, name)], other_txt) plus "asked": every (name, qtype)
#     other than the domain's own that the evaluation asks (the shared cache's names).
#     It follows docs/spf.md, term by term, as its own code: depth first in evaluation
#     order, lookups counted when a record is read, void lookups, the MX-names limit, loops
#     caught where they are met (never asked), the effective all along redirects, an
#     included +all reached through +includes and redirects (permissive, include_pass_all),
#     a mechanism matching every client (ip4/ip6 /0, a:<name>/0 and exists:<name> with an A
#     record: pass_all_mechanism through +includes and redirects, neutral_all_mechanism with
#     "?" on the main path),
#     the first error ends the evaluation. Its record reader knows the subset of RFC 7208 the generators write
#     (qualifiers, all, include, a, mx, ptr, ip4, ip6, exists, redirect, exp, unknown
#     modifiers, macros in domain-specs, cidr suffixes); a record it cannot read must be
#     given its codes by errors_of(text) -> [error codes] or {"errors", "warnings"}.
#   spf_diffs(got, want) -> ["field: got X, want Y", ...] (empty when the line's spf object
#     matches the truth; lists compared as multisets, includes in order).
# Only text is produced here; nothing is sent anywhere.

import ipaddress
import os
import re

LOOKUP_LIMIT = 10
VOID_LIMIT = 2
MX_LIMIT = 10
LONG_RECORD = 450
QUAL = {"+": "pass", "-": "fail", "~": "softfail", "?": "neutral"}
DNS_MECHS = ("include", "a", "mx", "ptr", "exists")
FAILED = ("SERVFAIL", "REFUSED", "TIMEOUT", "MALFORMED", "FORMERR", "NOTIMP", "CNAME_LOOP")
SOA = ("@\tSOA\tns1.{z}. hostmaster.{z}. 1 7200 3600 1209600 300\n"
       "@\tNS\tns1.{z}.\nns1\tA\t127.0.0.1\n")


class SpfSyntax(ValueError):
    """A record the reader does not know: its truth comes from errors_of."""


# ---------------------------------------------------------------- DNS data

class DnsData:
    def __init__(self):
        self.zones = {}
        self.broken = set()
        self._names = {}  # zone -> set of names that exist (owners and their ancestors)

    def add_zone(self, zone, broken=False):
        self.zones.setdefault(zone, {})
        self._names.setdefault(zone, {zone, "ns1." + zone})
        if broken:
            self.broken.add(zone)

    def zone_of(self, name):
        labels = name.split(".")
        for i in range(len(labels)):
            z = ".".join(labels[i:])
            if z in self.zones:
                return z
        return None

    def add(self, owner, rtype, rdata):
        owner = owner.lower().rstrip(".")
        z = self.zone_of(owner)
        if z is None:
            raise ValueError("%s is in no zone" % owner)
        self.zones[z].setdefault(owner, {}).setdefault(rtype, []).append(rdata)
        n = owner
        while n != z and n not in self._names[z]:
            self._names[z].add(n)
            n = n.split(".", 1)[1]

    def answer(self, name, qtype, hops=0):
        name = name.lower().rstrip(".")
        z = self.zone_of(name)
        if z is None:
            return "REFUSED", []
        if z in self.broken:
            return "SERVFAIL", []
        if name not in self._names[z]:
            return "NXDOMAIN", []
        if name == "ns1." + z and qtype == "A":
            return "NOERROR", ["127.0.0.1"]
        rrsets = self.zones[z].get(name, {})
        if "CNAME" in rrsets and qtype != "CNAME":  # followed as a stub resolver does
            if hops == 8:
                return "CNAME_LOOP", []
            return self.answer(rrsets["CNAME"][0], qtype, hops + 1)
        return "NOERROR", list(rrsets.get(qtype, []))

    def write_zones(self, zone_dir, txt_rdata):
        """One NAME.zone per zone; txt_rdata(bytes) quotes a TXT record (dsworld.txt_rdata)."""
        os.makedirs(zone_dir, exist_ok=True)
        for z, owners in self.zones.items():
            with open(os.path.join(zone_dir, z + ".zone"), "w") as f:
                if z in self.broken:
                    f.write("$ORIGIN %s.\n@ SOA this zone does not load\n" % z)
                    continue
                f.write("$ORIGIN %s.\n$TTL 3600\n" % z + SOA.format(z=z))
                for owner, rrsets in owners.items():
                    for rtype, rdatas in rrsets.items():
                        for rd in rdatas:
                            text = txt_rdata(rd) if rtype == "TXT" else rd
                            f.write("%s.\t%s\t%s\n" % (owner, rtype, text))


# ---------------------------------------------------------------- the record reader

MACRO = re.compile(r"%[{%_-]")
RE_TERM = re.compile(r"^([+~?-]?)(all|include|a|mx|ptr|ip4|ip6|exists)(?:([:/])(.*))?$",
                     re.IGNORECASE)
RE_MOD = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.IGNORECASE)


def is_spf(text):
    return text[:6].lower() == b"v=spf1" and (len(text) == 6 or text[6:7] == b" ")


def _check_ip(kind, sep, arg):
    if sep != ":" or not arg:
        raise SpfSyntax(kind)
    addr, _, cidr = arg.partition("/")
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        raise SpfSyntax(arg)
    leading_zero = any(len(p) > 1 and p[0] == "0" for p in addr.split("."))
    if ip.version != (4 if kind == "ip4" else 6) or (kind == "ip4" and leading_zero):
        raise SpfSyntax(arg)
    if cidr and (not cidr.isdigit() or cidr[0] == "0" and cidr != "0"
                 or int(cidr) > (32 if kind == "ip4" else 128)):
        raise SpfSyntax(arg)


def read_record(text):
    """The evaluation-relevant view of one SPF record (bytes), or SpfSyntax."""
    try:
        s = text.decode("ascii")
    except UnicodeDecodeError:
        raise SpfSyntax("non-ASCII")
    terms = [t for t in s[6:].split(" ") if t]
    r = {"all": None, "redirect": None, "mechs": [], "warnings": [], "lookups": 0,
         "macros": 0, "everyone": set()}
    seen_all = after_all = False
    for t in terms:
        m = RE_MOD.match(t)
        if m and not RE_TERM.match(t):
            key, val = m.group(1).lower(), m.group(2)
            if key == "redirect":
                if r["redirect"] is not None:
                    raise SpfSyntax("duplicate redirect")
                r["redirect"] = val.lower().rstrip(".") if not MACRO.search(val) else val
                r["redirect_macro"] = bool(MACRO.search(val))
            elif key == "exp":
                pass
            else:
                r["warnings"].append("unknown_modifier")
            continue
        m = RE_TERM.match(t)
        if not m:
            raise SpfSyntax(t)
        qual, kind, sep, arg = m.group(1) or "+", m.group(2).lower(), m.group(3), m.group(4)
        if seen_all:
            if not after_all:
                r["warnings"].append("mechanisms_after_all")
                after_all = True
            if kind == "ptr" and "ptr_used" not in r["warnings"]:
                r["warnings"].append("ptr_used")
            continue
        if kind == "all":
            seen_all = True
            r["all"] = QUAL[qual]
            continue
        name = None
        cidrs = arg if sep == "/" else None  # what follows the name's first "/"
        if sep == ":":
            name = arg
            if kind in ("a", "mx"):
                name, _, cidrs = name.partition("/")
            if MACRO.search(name):
                name = ("macro", name)
            else:
                name = name.lower().rstrip(".")
        if kind in ("ip4", "ip6"):
            _check_ip(kind, sep, arg)
            if arg.partition("/")[2] == "0" and qual in "+?":  # every client of the family
                r["everyone"].add(qual)
                r["warnings"].append({"+": "pass_all_mechanism",
                                      "?": "neutral_all_mechanism"}[qual])
            continue
        if kind == "ptr" and "ptr_used" not in r["warnings"]:
            r["warnings"].append("ptr_used")
        if kind in DNS_MECHS:
            r["lookups"] += 1
            if isinstance(name, tuple):
                r["macros"] += 1
            elif kind != "ptr":
                # wide: with an A record at the name it matches every (IPv4) client
                wide = kind == "exists" or (kind == "a" and bool(cidrs)
                                            and not cidrs.startswith("/")
                                            and cidrs.split("/")[0] == "0")
                r["mechs"].append((kind, name, qual, wide))  # name None: the record's domain
    if r["redirect"] is not None:
        if seen_all:
            r["warnings"].append("redirect_ignored")
            r["redirect"] = None
        else:
            r["lookups"] += 1
            if r.get("redirect_macro"):
                r["macros"] += 1
                r["redirect_unknown"] = True
            else:
                r["mechs"].append(("redirect", r["redirect"], "+", False))
    if r["macros"]:
        r["warnings"].append("macro")
    if not seen_all and r["redirect"] is None:
        r["warnings"].append("no_all")
    if len(text) > LONG_RECORD:
        r["warnings"].append("record_too_long")
    # open: +all, ?all or nothing (RFC 7208 4.7); with a redirect its target decides
    r["open"] = None if r["redirect"] is not None else r["all"] in (None, "pass", "neutral")
    return r


# ---------------------------------------------------------------- the reference evaluation

class _Stop(Exception):
    pass


class _Eval:
    def __init__(self, domain, answer, errors_of):
        self.domain, self.answer, self.errors_of = domain, answer, errors_of
        self.lookups = self.voids = 0
        self.includes, self.tree_errors, self.tree_warnings = [], [], []
        self.asked = []
        self.all = None
        self.all_known = False
        self.permissive = None
        self.pass_all = False
        self.everyone = set()  # "+": a mechanism passes every client; "?": neutral for all
        self.result = "none"

    def stop(self, result, code, name):
        self.tree_errors.append((code, name))
        self.result = result
        raise _Stop()

    def ask(self, name, qtype):
        if name != self.domain:
            self.asked.append((name, qtype))
        return self.answer(name, qtype)

    def select(self, txts):
        """(result, record view or None) of the TXT strings at one name."""
        spf = [t for t in txts if is_spf(t)]
        if not spf:
            return "none", None
        if len(spf) > 1:
            return "permerror", None
        try:
            return "ok", read_record(spf[0])
        except SpfSyntax:
            return "permerror", None

    def record(self, rec, owner, path, main, through=(True, False)):
        """Evaluate one usable record of owner; path: owner and its ancestors' names;
        through: (every step from the domain is a +include or a redirect, one is an
        include): then a +all here passes everyone (include_pass_all)."""
        self.lookups += rec["lookups"]
        if main and rec["redirect"] is None:
            self.all, self.all_known, self.permissive = rec["all"], True, rec["open"]
        if owner != self.domain:  # one node per call: each code once per node
            self.tree_warnings += [(w, owner) for w in rec["warnings"]
                                   if w in ("ptr_used", "macro")]
        if rec["all"] == "pass" and rec["redirect"] is None and all(through):
            self.pass_all = True
            self.tree_warnings.append(("include_pass_all", owner))
        for qual in rec["everyone"]:  # the domain's own record names its term itself
            self.opens(qual, main, through, None if owner == self.domain else owner)
        if self.lookups > LOOKUP_LIMIT:
            self.stop("permerror", "too_many_lookups", None)
        for kind, name, qual, wide in rec["mechs"]:
            name = name if name is not None else owner
            depth = len(path)
            if kind in ("include", "redirect") and name in path:
                self.stop("permerror", "include_loop", name)  # met in order, never asked
            if kind in ("include", "redirect"):
                step = (through[0] and (kind == "redirect" or qual == "+"),
                        through[1] or kind == "include")
                self.tree_node(kind, name, owner, depth, path,
                               main and kind == "redirect", step)
            else:
                self.name_node(kind, name, qual, wide, main, through)

    def opens(self, qual, main, through, name):
        """A mechanism matching every client, with qual, in a record main (on the main path)
        or reached through +includes and redirects: pass for anyone, or neutral on the main
        path only (a neutral include does not match)."""
        if qual == "+" and (main or all(through)):
            code = "pass_all_mechanism"
        elif qual == "?" and main:
            code = "neutral_all_mechanism"
        else:
            return
        self.everyone.add(qual)
        if name is not None:
            self.tree_warnings.append((code, name))

    def tree_node(self, kind, name, parent, depth, path, main, through):
        status, txts = self.ask(name, "TXT")
        entry = {"name": name, "kind": kind, "parent": parent, "depth": depth,
                 "status": status, "result": None}
        self.includes.append(entry)
        if status in FAILED:
            self.stop("temperror", "dns_error", name)
        result, rec = self.select(txts)
        entry["result"] = result
        if status == "NXDOMAIN" or not txts:
            self.voids += 1
        if result == "none":
            self.stop("permerror", kind + "_missing", name)
        if result != "ok":
            self.stop("permerror", kind + "_permerror", name)
        self.record(rec, name, path + [name], main, through)

    def name_node(self, kind, name, qual, wide, main, through):
        qtype = "MX" if kind == "mx" else "A"
        status, rdatas = self.ask(name, qtype)
        if status in FAILED:
            self.stop("temperror", "dns_error", name)
        if status == "NXDOMAIN" or not rdatas:
            self.voids += 1
            if self.voids > VOID_LIMIT:
                self.stop("permerror", "too_many_void_lookups", name)
        if kind == "mx" and len(rdatas) > MX_LIMIT:
            self.stop("permerror", "too_many_mx", name)
        if wide and status == "NOERROR" and rdatas:
            self.opens(qual, main, through, name)

    def run(self):
        out = {"status": None, "records": [], "other_txt": 0, "redirect": None,
               "errors": [], "warnings": []}
        status, txts = self.answer(self.domain, "TXT")
        out["status"] = status
        spf = [t for t in txts if is_spf(t)]
        out["records"] = [t.decode("utf-8", "replace") for t in spf]
        out["other_txt"] = len(txts) - len(spf)
        try:
            if status in FAILED:
                self.stop("temperror", "dns_error", self.domain)
            if status != "NOERROR" or not spf:
                self.result = "none"
            elif len(spf) > 1:
                self.result = "permerror"
                out["errors"].append("multiple_records")
            else:
                codes = self.errors_of(spf[0]) if self.errors_of else None
                try:
                    if codes is not None:
                        raise SpfSyntax("given")
                    rec = read_record(spf[0])
                except SpfSyntax:
                    self.result = "permerror"
                    if codes is None:
                        raise
                    if isinstance(codes, dict):
                        out["warnings"] += codes.get("warnings", [])
                        codes = codes.get("errors", [])
                    out["errors"] += codes
                    rec = None
                if rec is not None:
                    self.result = "ok"
                    out["warnings"] += rec["warnings"]
                    if rec["redirect"] is not None:
                        out["redirect"] = rec["redirect"]
                    self.record(rec, self.domain, [self.domain], True)
        except _Stop:
            pass
        ok = self.result == "ok"
        out.update({
            "valid": None if self.result == "temperror" else ok,
            "result": self.result,
            "all": self.all if ok and self.all_known else None,
            "permissive": (self.permissive or self.pass_all or bool(self.everyone))
            if ok and self.all_known else None,
            "dns_lookups": self.lookups, "void_lookups": self.voids,
            "includes": self.includes,
            "tree_errors": self.tree_errors,
            "asked": self.asked,
        })
        out["errors"] += [c for c, _ in self.tree_errors]
        out["warnings"] += [c for c, _ in self.tree_warnings]
        return out


def evaluate(domain, answer, errors_of=None):
    return _Eval(domain, answer, errors_of).run()


# ---------------------------------------------------------------- comparing a line

FIELDS = ("status", "valid", "result", "all", "permissive", "redirect", "dns_lookups",
          "void_lookups", "other_txt")
TREE_ERRORS = {"too_many_lookups", "too_many_void_lookups", "too_many_mx", "include_missing",
               "redirect_missing", "include_permerror", "redirect_permerror", "include_loop",
               "dns_error"}


def spf_diffs(got, want):
    """What differs between a line's spf object and the truth (empty: it matches)."""
    if not isinstance(got, dict):
        return ["spf: got %r, want an object" % (got,)]
    diffs = ["%s: got %r, want %r" % (k, got.get(k), want[k]) for k in FIELDS
             if got.get(k) != want[k]]
    for k in ("records", "errors", "warnings"):
        if sorted(got.get(k) or []) != sorted(want[k]):
            diffs.append("%s: got %r, want %r" % (k, got.get(k), want[k]))
    inc = [{k: i.get(k) for k in ("name", "kind", "parent", "depth", "status", "result")}
           for i in got.get("includes") or []]
    if inc != want["includes"]:
        diffs.append("includes: got %r, want %r" % (inc, want["includes"]))
    # The tree's errors, each with the name it is about: errors_at beside errors (absent when
    # no error names anything; docs/output.md). No record error has a tree error's code.
    errs = got.get("errors") or []
    at = got.get("errors_at") or [None] * len(errs)
    named = sorted(((c, a) for c, a in zip(errs, at) if c in TREE_ERRORS), key=str)
    if named != sorted((tuple(e) for e in want["tree_errors"]), key=str):  # JSON: lists
        diffs.append("tree errors and errors_at: got %r, want %r" % (named, want["tree_errors"]))
    return diffs
