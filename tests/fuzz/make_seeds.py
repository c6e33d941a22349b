#!/usr/bin/python3
"""make_seeds.py -- writes the seed corpora of the fuzz targets (tests/fuzz/<target>/).

Contract: deterministic (same files on every run); replaces the generated seeds, keeps
nothing else in those directories. Seeds are real examples: DNS replies built with
dnspython like the ones the scanner gets, DMARC and SPF records taken from
tests/data/*.tsv (one per distinct verdict, so the corpus stays small), and domain lists in
the shapes users feed (plain, Tranco/Umbrella rank CSV, headered CSV, compressed).
Run: /usr/bin/python3 tests/fuzz/make_seeds.py (needs python3-dnspython and zstd, as scripts/deps).
"""
import gzip
import os
import shutil
import subprocess
import sys

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def fresh(target):
    path = os.path.join(HERE, target)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def write(target, name, data):
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(data)


def reply(qname, qtype="TXT", rcode=dns.rcode.NOERROR, edns=True):
    q = dns.message.make_query(qname, qtype, use_edns=0 if edns else None, payload=1232)
    q.id = 0x4242
    r = dns.message.make_response(q)
    r.set_rcode(rcode)
    return r


def add(msg, section, owner, rtype, *texts, ttl=300):
    # one rrset per record: an rrset's order depends on string hashing, the seeds must not
    for text in texts:
        getattr(msg, section).append(dns.rrset.from_text(owner, ttl, "IN", rtype, text))


def wire_seeds():
    fresh("wire")
    d = "_dmarc.example.com."
    r = reply(d)
    add(r, "answer", d, "TXT", '"v=DMARC1; p=reject; rua=mailto:d@example.com"')
    write("wire", "dmarc_txt", r.to_wire())
    r = reply(d)
    add(r, "answer", d, "TXT", '"v=DMARC1; p=none; " "rua=mailto:a@example.com"',
        '"google-site-verification=abc"')
    write("wire", "two_txt_split_strings", r.to_wire())
    r = reply(d)
    add(r, "answer", d, "CNAME", "_dmarc.provider.example.")
    add(r, "answer", "_dmarc.provider.example.", "CNAME", "policy.provider.example.")
    add(r, "answer", "policy.provider.example.", "TXT", '"v=DMARC1; p=quarantine"')
    write("wire", "cname_chain", r.to_wire())
    r = reply(d)
    add(r, "answer", d, "CNAME", "loop.example.com.")
    add(r, "answer", "loop.example.com.", "CNAME", d)
    write("wire", "cname_loop", r.to_wire())
    r = reply("_dmarc.nope.example.", rcode=dns.rcode.NXDOMAIN)
    add(r, "authority", "example.", "SOA",
        "ns.example. hostmaster.example. 2024010101 3600 600 86400 300")
    write("wire", "nxdomain_soa", r.to_wire())
    r = reply("example.com.", "MX")
    add(r, "answer", "example.com.", "MX", "10 mx1.example.com.", "20 mx2.example.com.")
    add(r, "additional", "mx1.example.com.", "A", "192.0.2.1")
    add(r, "additional", "mx2.example.com.", "AAAA", "2001:db8::2")
    write("wire", "mx_with_glue", r.to_wire())
    r = reply("example.com.", "NS", edns=False)
    add(r, "answer", "example.com.", "NS", "a.iana-servers.net.", "b.iana-servers.net.")
    write("wire", "ns_no_edns", r.to_wire())
    r = reply("example.com.", "TXT", rcode=dns.rcode.SERVFAIL)
    write("wire", "servfail", r.to_wire())
    r = reply("example.com.")
    r.flags |= dns.flags.TC
    write("wire", "truncated_tc", r.to_wire())
    r = reply("example.com.")
    add(r, "answer", "example.com.", "TXT", '"v=spf1 include:_spf.example.net -all"',
        '"' + "x" * 255 + '" "' + "y" * 200 + '"')
    write("wire", "spf_and_long_txt", r.to_wire())
    r = reply("ExAmPlE.CoM.")
    add(r, "answer", "example.com.", "TXT", '"case differs"')
    write("wire", "mixed_case", r.to_wire())
    r = reply(d)
    r.use_edns(0, ednsflags=0, payload=4096, options=[dns.edns.GenericOption(10, b"12345678")])
    r.set_rcode(16)  # BADVERS: the extended rcode lives in OPT
    write("wire", "badvers_opt_option", r.to_wire())


def tsv_records(name, record_col, key_cols):
    """One record per distinct verdict (key_cols), unescaped."""
    seen, out = set(), []
    with open(os.path.join(DATA, name), encoding="utf-8") as f:
        header = None
        for line in f:
            if line.startswith("#"):
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            row = dict(zip(header, cols))
            key = tuple(row[k] for k in key_cols)
            if key in seen:
                continue
            seen.add(key)
            out.append(unescape(row[record_col]))
    return out


def unescape(s):
    out, i = bytearray(), 0
    raw = s.encode("utf-8")
    simple = {ord("r"): b"\r", ord("n"): b"\n", ord("t"): b"\t", ord("\\"): b"\\"}
    while i < len(raw):
        c = raw[i]
        if c == ord("\\") and i + 1 < len(raw):
            n = raw[i + 1]
            if n in simple:
                out += simple[n]
                i += 2
                continue
            if n == ord("x"):
                out.append(int(raw[i + 2:i + 4], 16))
                i += 4
                continue
        out.append(c)
        i += 1
    return bytes(out)


def record_seeds(target, name, key_cols, extra):
    fresh(target)
    records = tsv_records(name, "record", key_cols) + extra
    for i, rec in enumerate(records):
        write(target, "%03d" % i, rec)


def input_seeds():
    fresh("input_lines")
    plain = b"example.com\nWWW.Example.ORG.\n# a comment\n\n  padded.example.net  \n"
    write("input_lines", "list", plain)
    write("input_lines", "list_crlf_bom", b"\xef\xbb\xbfexample.com\r\nb\xc3\xbccher.de\r\n")
    write("input_lines", "list_illegal", b"bad_name!.com\n192.0.2.1\n-dash.com\nonelabel\n" +
          b"two words.com\n" + b"a" * 64 + b".com\n")
    # longer than DS_INPUT_LINE_MAX (8192): the overlong-line path, hard to grow into
    write("input_lines", "list_overlong", b"a.com\n" + b"x" * 9000 + b".com\nb.com\n")
    write("input_lines", "list_gzip", gzip.compress(plain, mtime=0))
    zst = subprocess.run(["zstd", "-q", "-c", "-19"], input=plain, check=True,
                         stdout=subprocess.PIPE).stdout
    write("input_lines", "list_zstd", zst)
    with open("/work/shared/data/fdic-bank-websites.txt", "rb") as f:
        write("input_lines", "fdic_websites_head", b"".join(f.readlines()[:20]))

    fresh("input_csv")
    tranco = b"1,google.com\n2,youtube.com\n3,baidu.com\n4,B\xc3\xbcCHER.de\nx,bad.com\n"
    write("input_csv", "tranco", tranco)
    write("input_csv", "tranco_gzip", gzip.compress(tranco, mtime=0))
    write("input_csv", "headered_sector",
          b"Domain,Sector,Notes\nexample.com,finance,\"a, quoted\nnote\"\n"
          b"gov.example,government,\"say \"\"hi\"\"\"\n,empty,\n")
    for name, src in (("dotgov_head", "dotgov-current-federal.csv"),
                      ("majestic_head", "majestic-million-first15000.csv"),
                      ("gsa_bom_head", "gsa-govt-urls-full.csv")):
        with open(os.path.join("/work/shared/data", src), "rb") as f:
            write("input_csv", name, b"".join(f.readlines()[:8]))


def main():
    wire_seeds()
    record_seeds("dmarc", "dmarc_records.tsv", ("valid", "errors", "warnings"),
                 [b"", b"v=DMARC1; p=reject; sp=none; np=quarantine; psd=y; t=y; adkim=s; "
                       b"aspf=r; fo=0:1:d:s; rua=mailto:a@example.com!10m,mailto:b@example.net;"
                       b" ruf=mailto:f@example.org; pct=50; rf=afrf; ri=3600"])
    record_seeds("spf", "spf_records.tsv", ("result", "all", "lookups", "errors", "warnings"),
                 [b"v=spf1 a/24//64 mx:%{d}.example.com ip6:2001:db8::/32 exists:%{i}.%{h}."
                  b"example.net ptr ?all exp=explain.%{d}",
                  b"v=spf1 -all\nv=spf1 +all\ngoogle-site-verification=x"])
    input_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
