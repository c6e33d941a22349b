#!/usr/bin/python3
# analyze.py -- the pandas example of docs/analysis.md: DMARC enforcement by sector, TLD and
# rank bucket, the posture split and the top report receivers, read straight from a scan's
# output (.ndjson.zst, .ndjson) with Debian's python3-pandas and python3-zstandard.
# Usage: scripts/analyze.py RESULTS.ndjson.zst [--json]
# Contract: streams the file in chunks and keeps only the columns it needs (a million lines
# hold ~1.7 GB of JSON; the kept frame is a few tens of MB). Counts follow the summary's
# definitions (docs/output.md, "Summary"): rates are of the scanned lines (status OK).
# Prints tables with the 95% Wilson interval; --json prints the counts instead (what
# tests/integration/test_analysis.py compares with the scan's --summary).
import io
import json
import math
import sys

import pandas as pd
import zstandard

BUCKETS = [(1000, "1-1k"), (10000, "1k-10k"), (100000, "10k-100k"), (1000000, "100k-1M"),
           (math.inf, ">1M")]


def open_text(path):
    """The file's lines as text, zstd frames decompressed one after the other."""
    f = open(path, "rb")
    if f.peek(4)[:4] == b"\x28\xb5\x2f\xfd":
        f = zstandard.ZstdDecompressor().stream_reader(f, read_across_frames=True)
    return io.TextIOWrapper(f, encoding="utf-8")


def orgs(dmarc):
    """The organizations a line's receivers name, each once."""
    if not isinstance(dmarc, dict):
        return []
    return sorted({r["org"] for r in dmarc.get("receivers") or [] if r.get("org")})


def read_scan(path, chunksize=100000):
    """One row per line: the few columns the analysis needs."""
    keep = []
    for chunk in pd.read_json(open_text(path), lines=True, chunksize=chunksize, dtype=False):
        df = pd.DataFrame({
            "domain": chunk["domain"],
            "status": chunk["status"],
            "sector": chunk["sector"] if "sector" in chunk else None,
            "rank": chunk["rank"] if "rank" in chunk else None,
            "posture": chunk.get("posture"),
            "enforcing": chunk.get("enforcing") == True,  # noqa: E712 (null is not enforcing)
            "orgs": chunk["dmarc"].map(orgs) if "dmarc" in chunk else [[]] * len(chunk),
        })
        keep.append(df)
    df = pd.concat(keep, ignore_index=True) if keep else pd.DataFrame()
    df["tld"] = df["domain"].str.rsplit(".", n=1).str[-1]
    rank = pd.to_numeric(df["rank"], errors="coerce")
    df["rank_bucket"] = pd.cut(rank, [0] + [b for b, _ in BUCKETS],
                               labels=[name for _, name in BUCKETS])
    return df


def wilson(n, t, z=1.96):
    if t == 0:
        return (math.nan, math.nan)
    p = n / t
    mid = (p + z * z / (2 * t)) / (1 + z * z / t)
    half = z * math.sqrt(p * (1 - p) / t + z * z / (4 * t * t)) / (1 + z * z / t)
    return (100 * (mid - half), 100 * (mid + half))


def enforcement(scanned, by):
    """Per group: scanned, enforcing, percent and its interval, and the posture split."""
    g = scanned.groupby(by, observed=True)
    t = pd.DataFrame({"scanned": g.size(), "enforcing": g["enforcing"].sum()})
    t["pct"] = (100 * t["enforcing"] / t["scanned"]).round(1)
    ci = [wilson(n, s) for n, s in zip(t["enforcing"], t["scanned"])]
    t["ci_lo"] = [round(lo, 1) for lo, _ in ci]
    t["ci_hi"] = [round(hi, 1) for _, hi in ci]
    postures = scanned.pivot_table(index=by, columns="posture", values="domain",
                                   aggfunc="count", fill_value=0, observed=True)
    return t.join(postures).sort_values("scanned", ascending=False)


def receivers(scanned, top=20):
    return scanned["orgs"].explode().dropna().value_counts().head(top)


def as_counts(df):
    """The counts, keyed as the summary keys them (for comparing with it)."""
    scanned = df[df["status"] == "OK"]
    out = {"scanned": len(scanned), "enforcing": int(scanned["enforcing"].sum()),
           "posture": {k: int(v) for k, v in scanned["posture"].value_counts().items()},
           "receivers": {k: int(v) for k, v in receivers(scanned, None).items()}}
    for key, col in (("by_sector", "sector"), ("by_tld", "tld"),
                     ("by_rank_bucket", "rank_bucket")):
        if scanned[col].notna().any():
            t = enforcement(scanned[scanned[col].notna()], col)
            out[key] = {str(k): {"scanned": int(r["scanned"]), "enforcing": int(r["enforcing"]),
                                 "posture": {p: int(r[p]) for p in t.columns
                                             if p not in ("scanned", "enforcing", "pct",
                                                          "ci_lo", "ci_hi") and r[p]}}
                        for k, r in t.iterrows()}
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__ if __doc__ else "usage: analyze.py RESULTS.ndjson.zst [--json]")
        return 2
    df = read_scan(sys.argv[1])
    if "--json" in sys.argv[2:]:
        json.dump(as_counts(df), sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    scanned = df[df["status"] == "OK"]
    pd.set_option("display.width", 140)
    print("posture of %d scanned domains:\n%s\n" % (len(scanned),
                                                   scanned["posture"].value_counts().to_string()))
    for title, col in (("sector", "sector"), ("top-level domain", "tld"),
                       ("rank bucket", "rank_bucket")):
        if scanned[col].notna().any():
            print("enforcement by %s:\n%s\n" % (title, enforcement(
                scanned[scanned[col].notna()], col).head(25).to_string()))
    print("top report receivers:\n%s" % receivers(scanned).to_string())
    return 0


if __name__ == "__main__":
    sys.exit(main())
