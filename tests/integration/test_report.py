#!/usr/bin/python3
# test_report.py -- integration test of `dmarcscan report`, against a real Knot serving a
# synthetic world (scripts/dsworld.py, with test_summary.py's SPF/MX/authorization records)
# to which hostile records are added: DMARC records whose rua hosts and text hold "<script>",
# '"><svg onload=alert(1)>', "</svg>", control bytes and very long names, and an input CSV
# whose sector column is hostile too.
#  - the report of the scan's NDJSON output (.zst) counts the lines with the scan's own
#    aggregator: `report --format json OUT.ndjson.zst` equals the scan's --summary, member
#    for member (the aggregate; the header says where the counts come from);
#  - text and markdown: every table present, markdown cells have their | and ` escaped,
#    no control byte reaches the terminal;
#  - HTML, in Debian's headless chromium (skipped, saying so, where chromium is absent): the
#    page renders (a screenshot that is not one colour), every chart is there (the dumped DOM
#    has the SVGs and their titles), no title is cut off (measured in the browser by a probe
#    added to a copy of the page), and the hostile names injected nothing: no <script>, no
#    on* attribute, no element the report does not write, in the DOM as the browser parsed it.
#  - a hand-made summary with hostile group and receiver names, rendered in all formats.
#
# Usage: test_report.py DMARCSCAN [REPO]. Only 127.0.0.1 is contacted. Prints "N passed,
# M failed"; exit 1 on failure.
import html
import html.parser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import itlib

C = itlib.Checks()
SEED = 20261204
COUNT = 1500
HOSTILE = ["<script>alert(1)</script>", '"><svg onload=alert(1)>', "</svg><b>x</b>",
           "a|b`c*d_e[f](g)", "ctl\x01\x1b[31mred\x7f", "\u202eevil", "x" * 300]
# The elements and attributes the report writes: anything else was injected.
ELEMENTS = {"html", "head", "meta", "title", "style", "body", "main", "header", "h1", "h2", "p", "br",
            "section", "div", "span", "i", "svg", "g", "line", "text", "tspan", "rect", "path",
            "circle", "table", "thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"lang", "charset", "title", "http-equiv", "content", "name", "class", "id", "viewbox",
              "role", "aria-label", "x", "y", "x1", "y1", "x2", "y2", "width", "height",
              "text-anchor", "d", "cx", "cy", "r", "xmlns"}


def hostile_zone_records(world):
    """Hostile DMARC records at a few domains of each zone: rua hosts that are legal DNS
    names but hold markup and control bytes (zone-file escapes), hostile record text."""
    recs = {}
    for zone in ("example", "test", "sim"):
        lines = []
        for i, h in enumerate(HOSTILE):
            d = "hostile-report-%d.%s" % (i, zone)
            label = "".join(c if c.isalnum() or c == "-" else "\\%03d" % ord(c)
                            for c in h.encode("utf-8").decode("latin-1"))[:200]
            host = "%s.rcv-%d.%s" % (label[:60], i, zone)
            text = ("v=DMARC1; p=reject; rua=mailto:r@%s,mailto:x@evil%d.%s; x=" % (host, i, zone)
                    + h.replace("\\", "\\\\").replace('"', '\\"'))
            esc = "".join(chr(c) if 32 <= c < 127 else "\\%03d" % c for c in text.encode())
            lines.append('%s. A 192.0.2.1' % d)
            lines.append('_dmarc.%s. TXT "%s"' % (d, esc))
        recs[zone] = lines
        with open(os.path.join(world, "zones", zone + ".zone"), "a") as f:
            f.write("\n".join(lines) + "\n")
    return ["hostile-report-%d.%s" % (i, z) for z in recs for i in range(len(HOSTILE))]


def write_input(world, tmp, extra):
    with open(os.path.join(world, "domains.txt")) as f:
        domains = [l.strip() for l in f if l.strip()] + extra
    path = os.path.join(tmp, "input.csv")
    sectors = ["Federal - Executive", "State", "City"] + HOSTILE
    with open(path, "w", encoding="utf-8") as f:
        f.write("rank,domain,sector\n")
        for i, d in enumerate(domains):
            s = sectors[i % len(sectors)]
            f.write('%d,%s,"%s"\n' % (i * 37 + 1, d, s.replace('"', '""')))
    return path


def report(binary, args):
    r = subprocess.run([binary, "report"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120)
    return r.returncode, r.stdout, r.stderr.decode(errors="replace")


HEADER = ("schema", "tool", "scan", "source", "started", "ended", "partial")


def same(path, got, want, diffs):
    """got == want, except that the receivers' tables that overflowed (exact false) depend
    on the order the lines were counted in: those must agree in size and total."""
    if isinstance(want, dict) and "exact" in want and "top" in want and not want["exact"]:
        if not isinstance(got, dict) or got.get("exact") is not False \
                or len(got.get("top", [])) != len(want["top"]) \
                or {e["total"] for e in got["top"]} != {e["total"] for e in want["top"]}:
            diffs.append("%s: %s, want %s" % (path, json.dumps(got)[:200], json.dumps(want)[:200]))
    elif isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k not in got or k not in want:
                diffs.append("%s.%s: only in %s" % (path, k, "the summary" if k in want else "the report"))
            else:
                same("%s.%s" % (path, k), got[k], want[k], diffs)
    elif got != want:
        diffs.append("%s: %r, want %r" % (path, got, want))


def check_equal(binary, out, summ, objs):
    rc, js, err = report(binary, ["--format", "json", out])
    if not C.check("report --format json of the .zst lines exits 0", rc == 0, err):
        return
    got = json.loads(js)
    with open(summ) as f:
        want = json.load(f)
    diffs = []
    same("report", {k: v for k, v in got.items() if k not in HEADER},
         {k: v for k, v in want.items() if k not in HEADER}, diffs)
    C.check("the report of the lines equals the scan's --summary (%d lines; receivers' tables "
            "that overflowed: same size and total)" % got.get("source", {}).get("lines", 0),
            not diffs, itlib.first_diffs(diffs))
    test_summary.C = C  # its checks count here
    test_summary.check_summary("report of the lines", {k: v for k, v in got.items() if k != "source"},
                               objs, ["dmarc", "spf", "mx"], True)
    C.check("the report says it counted lines, and which checks ran",
            got.get("source", {}).get("checks") == ["dmarc", "spf", "mx"], got.get("source"))
    C.check("the hostile sectors are in the summary (as the input reader keeps them)",
            all(h[:256] in want.get("by_sector", {}) for h in HOSTILE),
            sorted(want.get("by_sector", {})))


def check_text(binary, summ, tmp):
    rc, text, err = report(binary, [summ])
    C.check("report (text) exits 0", rc == 0, err)
    t = text.decode("utf-8", errors="strict") if rc == 0 else ""
    for title in ("Overview", "Adoption funnel", "DMARC posture", "By sector", "By rank",
                  "By top-level domain", "Top report receivers", "DNS outcomes", "The scan"):
        C.check("text: table '%s'" % title, "\n%s\n%s\n" % (title, "=" * len(title)) in t)
    bad = [c for c in t if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) < 0xa0
           or 0x202a <= ord(c) <= 0x202e]
    C.check("text: no control character reaches the terminal", not bad, repr(bad[:10]))
    C.check("text: control bytes shown as \\xHH", "\\x01" in t and "\\x1b" in t and "\\u202e" in t)
    rc, md, err = report(binary, ["--format", "markdown", "-o", os.path.join(tmp, "r.md"), summ])
    C.check("report --format markdown -o FILE exits 0, writes nothing on stdout", rc == 0 and not md,
            err)
    with open(os.path.join(tmp, "r.md"), encoding="utf-8") as f:
        m = f.read()
    rows = [l for l in m.splitlines() if l.startswith("|")]
    cols = {}
    for l in rows:
        n = len(re.findall(r"(?<!\\)\|", l))
        cols.setdefault(n, 0)
        cols[n] += 1
    C.check("markdown: pipes and backticks escaped", "a\\|b\\`c\\*d\\_e\\[f\\](g)" in m
            and "\\<script\\>" in m, [l for l in rows if "a" in l and "|b" in l][:3])
    tables = m.split("\n## ")
    ok = True
    for t in tables[1:]:
        r = [l for l in t.splitlines() if l.startswith("|")]
        n = {len(re.findall(r"(?<!\\)\|", l)) for l in r}
        ok &= len(n) <= 1
    C.check("markdown: every row of a table has its table's number of columns", ok)


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements, self.attrs, self.texts, self.titles = set(), set(), [], []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        self.elements.add(tag)
        self.stack.append(tag)
        for k, _ in attrs:
            self.attrs.add(k)

    def handle_endtag(self, tag):
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data):
        self.texts.append(data)
        if self.stack and self.stack[-1] == "title":
            self.titles.append(data)


PROBE = """<script>
addEventListener('load', function () {
  var bad = [];
  document.querySelectorAll('h1,h2,th').forEach(function (e) {
    if (e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().right > innerWidth)
      bad.push('cut: ' + e.textContent);
  });
  document.querySelectorAll('svg').forEach(function (s) {
    var box = s.viewBox.baseVal;
    s.querySelectorAll('text').forEach(function (t) {
      var b = t.getBBox();
      if (b.x < box.x - 1 || b.x + b.width > box.x + box.width + 1 || b.y < box.y - 1)
        bad.push('svg text cut: ' + t.textContent);
    });
  });
  var p = document.createElement('pre');
  p.id = 'probe';
  p.textContent = JSON.stringify(bad);
  document.body.appendChild(p);
});
</script>"""


def chromium():
    for c in ("chromium", "chromium-browser"):
        p = shutil.which(c)
        if p:
            return p
    return None


def browser(args, tmp):
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-dev-shm-usage", "--user-data-dir=" + os.path.join(tmp, "chromium-profile"),
           "--virtual-time-budget=3000"] + args
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=180)
    return r.returncode, r.stdout.decode("utf-8", errors="replace"), r.stderr.decode(errors="replace")


def not_one_colour(png):
    from PIL import Image
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20)
        return im.size, (len(colours) if colours else 1 << 20)


def check_html(binary, summ, tmp, name, charts):
    page = os.path.join(tmp, name + ".html")
    rc, _, err = report(binary, ["--format", "html", "-o", page, summ])
    if not C.check("%s: report --format html exits 0" % name, rc == 0, err):
        return
    with open(page, encoding="utf-8") as f:
        src = f.read()
    C.check("%s: self-contained: no script, no URL fetched" % name,
            "<script" not in src.lower() and not re.search(r"(src|href)\s*=", src, re.I)
            and "url(" not in src and "@import" not in src, "")
    if not chromium():
        C.skip("%s: chromium checks" % name, "chromium is not installed (scripts/deps installs it)")
        return
    shot = os.path.join(tmp, name + ".png")
    rc, _, err = browser(["--screenshot=" + shot, "--window-size=1200,2400", "--hide-scrollbars",
                          "file://" + page], tmp)
    ok = rc == 0 and os.path.exists(shot)
    if C.check("%s: chromium renders a screenshot" % name, ok, err[-1500:]):
        size, colours = not_one_colour(shot)
        C.check("%s: the page is not blank (%d colours in %dx%d)" % (name, colours, *size),
                colours > 20, colours)
    rc, dom, err = browser(["--dump-dom", "file://" + page], tmp)
    if not C.check("%s: chromium dumps the DOM" % name, rc == 0 and "<html" in dom, err[-1500:]):
        return
    d = Dom()
    d.feed(dom)
    C.check("%s: no script element" % name, "script" not in d.elements, sorted(d.elements))
    C.check("%s: no element the report does not write" % name, d.elements <= ELEMENTS,
            sorted(d.elements - ELEMENTS))
    C.check("%s: no on* attribute, no attribute the report does not write" % name,
            not any(a.startswith("on") for a in d.attrs) and d.attrs <= ATTRIBUTES,
            sorted(d.attrs - ATTRIBUTES))
    for chart in charts:
        C.check("%s: chart '%s' drawn" % (name, chart),
                any(t.startswith(chart) for t in d.titles) and dom.count("<svg") >= len(charts),
                d.titles[:20])
    for h in ("<script>alert(1)</script>", '"><svg onload=alert(1)>'):
        C.check("%s: hostile text %r shown as text" % (name, h[:20]),
                any(h in t for t in d.texts), "")
    probe = os.path.join(tmp, name + "-probe.html")
    with open(probe, "w", encoding="utf-8") as f:
        f.write(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", src)
                .replace("</body>", PROBE + "</body>"))
    rc, dom, err = browser(["--window-size=1200,900", "--dump-dom", "file://" + probe], tmp)
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    cut = json.loads(html.unescape(m.group(1))) if m else None
    C.check("%s: no title or chart label cut off at 1200 px (measured in chromium)" % name,
            cut == [], cut if m else err[-800:])



def hand_made_summary(tmp, real):
    """The scan's summary with hostile names as the keys of every breakdown and receiver."""
    with open(real) as f:
        s = json.load(f)
    some = next(iter(s["by_tld"].values()))
    for h in HOSTILE:
        s["by_tld"][h] = some
        s["by_sector"][h + "!"] = some
    for i, h in enumerate(HOSTILE):
        s["receivers"]["top"].insert(0, {"org": h, "n": 5, "total": s["receivers"]["top"][0]["total"],
                                         "error": 0})
    s["scan"]["argv"].append("</td><script>alert(1)</script>")
    path = os.path.join(tmp, "hostile-summary.json")
    with open(path, "w") as f:
        json.dump(s, f)
    return path


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ""
    if not binary or not os.access(binary, os.X_OK):
        print("usage: test_report.py DMARCSCAN [REPO]")
        print("0 passed, 1 failed")
        return 2
    binary = os.path.abspath(binary)
    keep = os.environ.get("DS_REPORT_KEEP")
    with tempfile.TemporaryDirectory(prefix="dmarcscan-report-") as tmp:
        world = os.path.join(tmp, "world")
        manifest = dsworld.generate(world, SEED, COUNT)
        test_summary.add_mail_records(world)
        extra = hostile_zone_records(world)
        input_path = write_input(world, tmp, extra)
        out = os.path.join(tmp, "out.ndjson.zst")
        summ = os.path.join(tmp, "summary.json")
        try:
            with dsauth.AuthServer(os.path.join(world, "zones"), os.path.join(tmp, "run"),
                                   wait_zones=manifest["zones"]) as srv:
                rc, _, err, secs = itlib.run_scan(binary, [
                    "-q", "-r", "127.0.0.1:%d" % srv.port, "-o", out, "--summary", summ,
                    "--sector-column", "sector", "--checks", "dmarc,spf,mx", "-j", "3",
                    "--timeout", "1000", input_path])
        except dsauth.AuthServerError as e:
            C.check("knot starts", False, e)
            return C.summary()
        if not C.check("scan exits 0 (%.1f s)" % secs, rc == 0, err.decode(errors="replace")[-2000:]):
            return C.summary()
        objs = itlib.read_ndjson(C, "scan", out)
        # The scanner drops a rua URI whose host is no host name (uri_invalid), so markup
        # reaches the lines in record text and warnings_at, and the report through sectors;
        # the hand-made summary below puts it in receivers' names and TLDs as well.
        seen = [o["domain"] for o in objs or [] if o.get("domain", "").startswith("hostile-report-")
                and "uri_invalid" in ((o.get("dmarc") or {}).get("warnings") or [])]
        C.check("the hostile records are in the lines (%d domains, their markup rua hosts "
                "dropped as uri_invalid)" % len(seen), len(seen) >= 3 * 3, "")
        check_equal(binary, out, summ, objs or [])
        check_text(binary, summ, tmp)
        charts = ["Adoption funnel", "DMARC posture", "By sector", "By rank", "By top-level"]
        check_html(binary, summ, tmp, "scan", charts)
        check_html(binary, hand_made_summary(tmp, summ), tmp, "hostile", charts)
        if keep:
            for f in os.listdir(tmp):
                if f.endswith((".html", ".png", ".md", ".json", ".zst")):
                    shutil.copy(os.path.join(tmp, f), keep)
    return C.summary()


REPO = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "scripts"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dsauth  # noqa: E402
import dsworld  # noqa: E402
import test_summary  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
