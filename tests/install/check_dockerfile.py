#!/usr/bin/python3
# check_dockerfile.py -- a structural check of the Dockerfile where no linter is at hand
# (Debian 12 has no hadolint, and there is no Docker engine here): every instruction is a
# known one, the build stage makes the .deb with the project's CMake and CPack, the runtime
# stage is Debian 12 slim, copies that .deb (its glob matches the file name CPack gave the
# package the install test checked), installs it with apt, runs as a non-root user and has
# dmarcscan as its entry point.
# Usage: check_dockerfile.py DOCKERFILE DEB_FILE_NAME; prints one line per check and the
# closing "N passed, M failed"; exit 1 when any failed.
import fnmatch
import json
import os
import shlex
import sys

INSTRUCTIONS = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
                "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK",
                "SHELL"}
SLIM = {"debian:12-slim", "debian:bookworm-slim"}


def instructions(text):
    """[(line number, KEYWORD, arguments)] with continuation lines joined, comments dropped."""
    out, cur, start = [], "", 0
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not cur and (not line or line.startswith("#")):
            continue
        if cur and line.startswith("#"):
            continue  # a comment inside a continued instruction
        if not cur:
            start = n
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.partition(" ")
        out.append((start, word, rest.strip()))
        cur = ""
    if cur:
        out.append((start, "<unterminated>", cur))
    return out


def stages(instrs):
    """[[instructions of stage 0], [stage 1], ...], each starting with its FROM."""
    result = []
    for ins in instrs:
        if ins[1].upper() == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def main(path, deb_name):
    passed = failed = 0

    def check(name, ok, detail=""):
        nonlocal passed, failed
        print(("ok    " if ok else "FAIL  ") + name)
        if not ok and detail:
            print("      " + str(detail))
        passed += bool(ok)
        failed += not ok

    with open(path) as f:
        instrs = instructions(f.read())
    unknown = [(n, w) for n, w, _ in instrs if w.upper() not in INSTRUCTIONS or w != w.upper()]
    check("every instruction is a known one, upper case", not unknown, unknown)
    st = stages(instrs)
    check("it starts with FROM", instrs and instrs[0][1] == "FROM", instrs[:1])
    check("two stages", len(st) == 2, [s[0] for s in st])
    if len(st) != 2:
        return 1
    build, run = st
    bfrom, rfrom = build[0][2].split(), run[0][2].split()
    check("build stage: Debian 12 slim, named build",
          len(bfrom) == 3 and bfrom[0] in SLIM and bfrom[1].upper() == "AS"
          and bfrom[2] == "build", bfrom)
    check("runtime stage: Debian 12 slim", rfrom[:1] and rfrom[0] in SLIM, rfrom)

    build_runs = " ".join(a for _, w, a in build if w == "RUN")
    check("build stage configures with CMake from the source tree",
          "cmake -S . -B build" in build_runs, build_runs[:200])
    check("build stage makes the .deb with CPack", "cpack -G DEB" in build_runs)

    copies = [shlex.split(a) for _, w, a in run if w == "COPY"]
    debs = [c for c in copies if c and c[0] == "--from=build"
            and any(x.endswith(".deb") for x in c[1:-1])]
    check("runtime stage copies a .deb from the build stage", len(debs) == 1, copies)
    if debs:
        src = [x for x in debs[0][1:-1] if x.endswith(".deb")][0]
        check("the copied glob %s matches CPack's %s" % (src, deb_name),
              src.startswith("/src/build/") and fnmatch.fnmatch(deb_name, os.path.basename(src)))
    run_runs = " ".join(a for _, w, a in run if w == "RUN")
    check("runtime stage installs it with apt-get",
          "apt-get install" in run_runs and "/tmp/dmarcscan_*.deb" in run_runs, run_runs[:200])

    users = [a for _, w, a in run if w == "USER"]
    check("runtime stage runs as a non-root user",
          users and users[-1].split(":")[0] not in ("root", "0"), users)
    entry = [a for _, w, a in run if w == "ENTRYPOINT"]
    try:
        entry_argv = json.loads(entry[-1]) if entry else None
    except ValueError:
        entry_argv = None
    check("ENTRYPOINT is dmarcscan (exec form)",
          entry_argv in (["dmarcscan"], ["/usr/bin/dmarcscan"]), entry)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: check_dockerfile.py DOCKERFILE DEB_FILE_NAME")
    sys.exit(main(sys.argv[1], sys.argv[2]))
