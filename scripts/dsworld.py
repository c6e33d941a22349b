# dsworld.py -- deterministic synthetic DNS world for dmarcscan tests and the demo.
#
# Contract: generate(out_dir, seed, count) writes, streaming (memory ~ a few ints per domain):
#   zones/NAME.zone  one zone file per TLD-like zone (SOA, NS, one A per existing domain,
#                    the _dmarc records, and the hosted-DMARC names CNAMEs point to)
#   domains.txt      one domain per line, shuffled order
#   ranked.csv       "rank,domain" (no header) in the same order: rank == line number
#   truth.ndjson     per domain: {"domain","line","rank","zone","category","exists",
#                    "dmarc":{"status","records"}} -- the exact answer a stub resolver that
#                    follows CNAMEs (also across zones, by follow-up queries) must produce;
#                    records are the TXT strings joined without separator, bytes decoded as
#                    UTF-8 with invalid bytes -> U+FFFD, order-insensitive.
#   world.json       manifest {generator, version, seed, count, zones, categories}; written
#                    last, so its presence means the world is complete.
# Same (seed, count, VERSION) gives byte-identical output. Each category appears at least
# once when count >= len(CATEGORIES). Every response stays below 1232 bytes (EDNS, no TCP).
# Domains are all <label>.<zone> (organizational domains: no tree walk can change the truth).
# generate(..., names=[...]) uses those real names (two labels each, e.g. from names_from_file)
# in the given order instead of invented ones; their last labels are the zones, count is
# capped at len(names), and the manifest records a digest of the names (is_current checks it).

import bisect
import hashlib
import json
import os
import random
import re

VERSION = 1
ZONES = (("example", 5), ("test", 3), ("sim", 2))  # name, weight
HOST = "dmarc-host"  # hosted-DMARC names live under dmarc-host.<zone>

# name, share of domains in percent
CATEGORIES = (
    ("reject", 15),
    ("quarantine", 15),       # some with pct < 100
    ("none", 28),
    ("nxdomain", 23),         # domain exists, no _dmarc name
    ("nodomain", 1),          # domain itself absent from its zone
    ("nondmarc", 3),          # _dmarc holds only non-DMARC TXT -> NOERROR, []
    ("multiple", 2),          # two DMARC records
    ("split", 5),             # one record over several character-strings
    ("cname", 3),             # _dmarc CNAME to a hosted name in the same zone
    ("cname2", 1),            # two-hop CNAME chain in the same zone
    ("cname_xzone", 0.5),     # CNAME into another served zone: needs a follow-up query
    ("cname_dangling", 0.5),  # CNAME to a name that does not exist -> NXDOMAIN, []
    ("invalid", 2),           # syntactically broken DMARC records (still "v=DMARC1" prefix)
    ("hostile", 1),           # quotes, backslashes, high/control/NUL bytes, long records
)

PREFIXES = ("acme", "globex", "initech", "umbrella", "stark", "wayne", "hooli", "vandelay",
            "wonka", "tyrell", "cyberdyne", "soylent", "aperture", "oscorp", "duff", "monarch",
            "nakatomi", "virtucon", "gringotts", "dunder", "prestige", "sterling", "bluth",
            "pied", "massive", "kramerica", "zorg", "octan", "paper", "ajax")
SUFFIXES = ("", "", "", "-bank", "-mail", "-shop", "-labs", "-group", "-gov", "-news",
            "-health", "-uni", "-energy", "-travel", "-insurance", "-city")
VENDORS = ("rua.dmarc-vendor-a.example", "reports.vendor-b.test", "ingest.vendor-c.sim",
           "dmarc.report-collector.example")
NONDMARC = ("google-site-verification=%s", "v=spf1 -all", "MS=ms%s", " v=DMARC1; p=reject",
            "v=DMARC2; p=reject", "dmarc=%s", "")
INVALID = ("v=DMARC1; p=bogus", "v=DMARC1 p=reject", "v=DMARC1; rua=mailto:d@%s",
           "v=DMARC1; p=reject; pct=150", "v=DMARC1; p=quarantine; p=reject",
           "v=DMARC1;p", "v=DMARC1; p=none; rua=dmarc@%s", "v=DMARC1; p=reject; adkim=x",
           "v=DMARC1; sp=reject", "v=DMARC1; p=none; fo=9; ri=abc")


# ---------------------------------------------------------------- zone-file encoding

def txt_rdata(pieces):
    """Character-strings (bytes; longer ones cut at 255) as zone-file TXT rdata."""
    return " ".join(_quote(c) for p in pieces for c in chunks(p))


_SAFE = re.compile(rb"[\x20\x21\x23-\x5b\x5d-\x7e]*")


def _quote(b):
    if _SAFE.fullmatch(b):  # fast path: printable ASCII without " and \\
        return '"%s"' % b.decode()
    out = ['"']
    for c in b:
        if c == 0x22 or c == 0x5C:
            out.append("\\" + chr(c))
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append("\\%03d" % c)
    out.append('"')
    return "".join(out)


def chunks(b, size=255):
    """Split bytes into character-strings of at most size bytes (at least one)."""
    return [b[i:i + size] for i in range(0, len(b), size)] or [b""]


def as_text(b):
    """The JSON text a scanner must print for raw record bytes."""
    return b.decode("utf-8", errors="replace")


# ---------------------------------------------------------------- record generators

def rua_list(rng, domain, scheme="rua"):
    uris = []
    for _ in range(rng.choice((1, 1, 1, 2))):
        if rng.random() < 0.5:
            uris.append("mailto:dmarc-%s@%s" % (scheme, domain))
        else:
            uris.append("mailto:%s-%d@%s" % (domain.split(".")[0], rng.randrange(1000),
                                             rng.choice(VENDORS)))
    return ",".join(uris)


def policy_record(rng, domain, p):
    tags = ["v=DMARC1", "p=" + p]
    if p == "quarantine" and rng.random() < 0.3:
        tags.append("pct=%d" % rng.choice((0, 10, 25, 50, 75, 90)))
    if rng.random() < 0.25:
        tags.append("sp=" + rng.choice(("none", "quarantine", "reject")))
    if rng.random() < 0.65:
        tags.append("rua=" + rua_list(rng, domain))
    if rng.random() < 0.1:
        tags.append("ruf=" + rua_list(rng, domain, "ruf"))
        if rng.random() < 0.5:
            tags.append("fo=" + rng.choice(("1", "0:1", "d:s")))
    if rng.random() < 0.15:
        tags.append("adkim=s")
    if rng.random() < 0.15:
        tags.append("aspf=" + rng.choice(("s", "r")))
    s = rng.choice(("; ", "; ", "; ", ";")).join(tags)
    if rng.random() < 0.2:
        s += ";"
    return s.encode()


def any_policy(rng, domain):
    return policy_record(rng, domain, rng.choice(("reject", "quarantine", "none", "none")))


def token(rng):
    return "%016x" % rng.getrandbits(64)


def nondmarc_txt(rng):
    t = rng.choice(NONDMARC)
    return (t % token(rng) if "%s" in t else t).encode()


def split_record(rng, rec):
    """Cut a record into 2-3 character-strings at random places."""
    cuts = sorted(rng.sample(range(1, len(rec)), min(len(rec) - 1, rng.choice((1, 1, 2)))))
    bounds = [0] + cuts + [len(rec)]
    return [rec[a:b] for a, b in zip(bounds, bounds[1:])]


def hostile_records(rng, domain):
    """Return (pieces, joined bytes) for one hostile record."""
    d = domain.encode()
    kind = rng.randrange(8)
    if kind == 0:
        rec = b'v=DMARC1; p=reject; rua=mailto:"dmarc"@' + d + b'; x=back\\slash\\'
    elif kind == 1:
        rec = b"v=DMARC1; p=none; rua=mailto:d@" + d + b"; x=\x80bin\xffary"
    elif kind == 2:
        rec = b"v=DMARC1; p=quarantine; x=tab\there\x01ctl\x7fdel\nnl\rcr"
    elif kind == 3:
        uris = ",".join("mailto:r%02d@reports%02d.%s" % (i, i, VENDORS[i % len(VENDORS)])
                        for i in range(18))
        rec = ("v=DMARC1; p=reject; rua=" + uris).encode()[:700]
    elif kind == 4:
        rec = "v=DMARC1; p=none; x=grüße €; rua=mailto:d@".encode() + d
    elif kind == 5:
        rec = b"v=DMARC1; p=none; x=nul\x00byte"
    elif kind == 6:
        rec = b'v=DMARC1; p=reject; x={"a":[1,2]}</script>\'; y=%s %%d \\u0041'
    else:
        rec = b"v=DMARC1; p=none; rua=mailto:d@" + d
        return [b"", rec, b""], rec
    return chunks(rec), rec


# ---------------------------------------------------------------- the world

def _cumulative(pairs):
    acc, out = 0.0, []
    for _, w in pairs:
        acc += w
        out.append(acc)
    return [c / acc for c in out]


class _Zones:
    """All zone files open at once (a CNAME may point into another zone)."""

    def __init__(self, zone_dir, serial, zone_names):
        self.files = {}
        for name in zone_names:
            f = open(os.path.join(zone_dir, name + ".zone"), "w", buffering=1 << 20)
            f.write("$ORIGIN %s.\n$TTL 3600\n" % name)
            f.write("@\tSOA\tns1.%s. hostmaster.%s. %d 7200 3600 1209600 300\n"
                    % (name, name, serial))
            f.write("@\tNS\tns1.%s.\nns1\tA\t127.0.0.1\n" % name)
            self.files[name] = f

    def write(self, zone, owner, rtype, rdata):
        self.files[zone].write("%s\t%s\t%s\n" % (owner, rtype, rdata))

    def close(self):
        for f in self.files.values():
            f.close()


def _domain_name(rng, idx):
    p, s = rng.choice(PREFIXES), rng.choice(SUFFIXES)
    form = rng.randrange(3)
    if form == 0:
        return "%s%s-%06d" % (p, s, idx)
    if form == 1:
        return "%s-%d%s" % (p, idx, s)
    return "x%d-%s%s" % (idx, p, s)


def _emit(rng, zones, cat, label, zone, domain, other_zone):
    """Write the zone data for one domain; return (exists, status, [record bytes])."""
    dm = "_dmarc." + label
    if cat == "nodomain":
        return False, "NXDOMAIN", []
    zones.write(zone, label, "A", "192.0.2.%d" % rng.randrange(1, 255))
    if cat == "nxdomain":
        return True, "NXDOMAIN", []
    if cat in ("reject", "quarantine", "none"):
        rec = policy_record(rng, domain, cat)
        zones.write(zone, dm, "TXT", txt_rdata([rec]))
        if rng.random() < 0.05:  # an unrelated TXT next to the policy
            zones.write(zone, dm, "TXT", txt_rdata([nondmarc_txt(rng) or b"x"]))
        return True, "NOERROR", [rec]
    if cat == "nondmarc":
        for t in dict.fromkeys(nondmarc_txt(rng) for _ in range(rng.choice((1, 2)))):
            zones.write(zone, dm, "TXT", txt_rdata([t]))
        return True, "NOERROR", []
    if cat == "multiple":
        recs = [any_policy(rng, domain), any_policy(rng, domain)]
        if recs[0] == recs[1]:  # identical RRs would be merged into one
            recs[1] += b";"
        for r in recs:
            zones.write(zone, dm, "TXT", txt_rdata([r]))
        return True, "NOERROR", recs
    if cat == "split":
        rec = any_policy(rng, domain)
        zones.write(zone, dm, "TXT", txt_rdata(split_record(rng, rec)))
        return True, "NOERROR", [rec]
    if cat == "invalid":
        t = rng.choice(INVALID)
        rec = (t % domain if "%s" in t else t).encode()
        zones.write(zone, dm, "TXT", txt_rdata([rec]))
        return True, "NOERROR", [rec]
    if cat == "hostile":
        pieces, rec = hostile_records(rng, domain)
        zones.write(zone, dm, "TXT", txt_rdata(pieces))
        return True, "NOERROR", [rec]
    rec = any_policy(rng, domain)
    if cat == "cname":
        target = "%s.%s" % (label, HOST)
        zones.write(zone, dm, "CNAME", target)
        zones.write(zone, target, "TXT", txt_rdata([rec]))
        return True, "NOERROR", [rec]
    if cat == "cname2":
        hop, target = "%s.alias.%s" % (label, HOST), "%s.%s" % (label, HOST)
        zones.write(zone, dm, "CNAME", hop)
        zones.write(zone, hop, "CNAME", target)
        zones.write(zone, target, "TXT", txt_rdata([rec]))
        return True, "NOERROR", [rec]
    if cat == "cname_xzone":
        target = "%s-%s.%s" % (label, zone, HOST)  # unique inside other_zone
        zones.write(zone, dm, "CNAME", "%s.%s." % (target, other_zone))
        zones.write(other_zone, target, "TXT", txt_rdata([rec]))
        return True, "NOERROR", [rec]
    if cat == "cname_dangling":
        zones.write(zone, dm, "CNAME", "%s.gone.%s" % (label, HOST))
        return True, "NXDOMAIN", []
    raise ValueError(cat)


def names_from_file(path):
    """Registrable two-label names (lower case, first CSV column, no duplicates) of a list."""
    out = {}
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for line in f:
            name = line.split(",", 1)[0].strip().lower().rstrip(".")
            labels = name.split(".")
            if len(labels) == 2 and all(_LABEL.fullmatch(x) for x in labels) \
                    and labels[0] not in (HOST, "ns1"):
                out[name] = True
    return list(out)


_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def _names_digest(names):
    return hashlib.sha256("\n".join(names).encode()).hexdigest()[:16] if names else None


def generate(out_dir, seed, count, names=None):
    """Write the world into out_dir (see module contract); return the manifest dict."""
    if names:
        names = list(names[:count])
        count = len(names)
    zone_dir = os.path.join(out_dir, "zones")
    os.makedirs(zone_dir, exist_ok=True)
    manifest_path = os.path.join(out_dir, "world.json")
    if os.path.exists(manifest_path):
        os.unlink(manifest_path)
    for f in os.listdir(zone_dir):
        if f.endswith(".zone"):
            os.unlink(os.path.join(zone_dir, f))
    rng = random.Random(seed)
    order = list(range(1, count + 1))
    rng.shuffle(order)
    zone_names = sorted({n.rsplit(".", 1)[1] for n in names}) if names \
        else [z for z, _ in ZONES]
    zone_cum = _cumulative(ZONES)
    cat_names = [c for c, _ in CATEGORIES]
    cat_cum = _cumulative(CATEGORIES)
    counts = dict.fromkeys(cat_names, 0)
    zones = _Zones(zone_dir, seed % 1000000 + 1, zone_names)

    def path(name):
        return os.path.join(out_dir, name)

    with open(path("domains.txt"), "w", buffering=1 << 20) as dom, \
            open(path("ranked.csv"), "w", buffering=1 << 20) as ranked, \
            open(path("truth.ndjson"), "w", buffering=1 << 20) as truth:
        for k, idx in enumerate(order):
            if k < len(cat_names):  # every category at least once
                cat = cat_names[k]
            else:
                cat = cat_names[bisect.bisect(cat_cum, rng.random())]
            if names:
                domain = names[k]
                label, zone = domain.rsplit(".", 1)
                zi = zone_names.index(zone)
            else:
                zi = bisect.bisect(zone_cum, rng.random())
                zone = zone_names[zi]
                label = _domain_name(rng, idx)
                domain = label + "." + zone
            other_zone = zone_names[(zi + 1) % len(zone_names)]
            exists, status, recs = _emit(rng, zones, cat, label, zone, domain, other_zone)
            counts[cat] += 1
            line = k + 1
            dom.write(domain + "\n")
            ranked.write("%d,%s\n" % (line, domain))
            truth.write(json.dumps({
                "domain": domain, "line": line, "rank": line, "zone": zone,
                "category": cat, "exists": exists,
                "dmarc": {"status": status, "records": [as_text(r) for r in recs]},
            }) + "\n")
    zones.close()
    manifest = {"generator": "dsworld", "version": VERSION, "seed": seed, "count": count,
                "zones": zone_names, "categories": counts, "names": _names_digest(names)}
    with open(manifest_path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    os.replace(manifest_path + ".tmp", manifest_path)
    return manifest


def read_manifest(out_dir):
    """The manifest of a complete world in out_dir, or None."""
    try:
        with open(os.path.join(out_dir, "world.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def is_current(out_dir, seed, count, names=None):
    m = read_manifest(out_dir)
    if names:
        names = names[:count]
        count = len(names)
    return bool(m) and m.get("version") == VERSION and m.get("seed") == seed \
        and m.get("count") == count and m.get("names") == _names_digest(names)


def load_truth(out_dir):
    """{domain: truth dict} of a world."""
    truth = {}
    with open(os.path.join(out_dir, "truth.ndjson")) as f:
        for line in f:
            t = json.loads(line)
            truth[t["domain"]] = t
    return truth


def dmarc_texts(txts):
    """The DMARC records among raw TXT rdata (joined bytes), as scanner output text."""
    return [as_text(t) for t in txts if t.startswith(b"v=DMARC1")]


def dmarc_matches(result, expected):
    """True when a scanner output line's dmarc status and records equal the truth."""
    d = result.get("dmarc") or {}
    recs = d.get("records")
    return (d.get("status") == expected["dmarc"]["status"] and isinstance(recs, list)
            and sorted(recs) == sorted(expected["dmarc"]["records"]))
