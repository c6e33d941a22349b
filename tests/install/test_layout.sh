#!/usr/bin/env bash
# test_layout.sh -- `cmake --install` into a scratch prefix puts the binary, the gzipped
# manual page and the bash completion where GNUInstallDirs and bash-completion expect them,
# and the installed binary runs from there.
# Usage: test_layout.sh BUILD_DIR
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
build=$1
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT

check "cmake --install --prefix" bash -c 'cmake --install "$1" --prefix "$2" >"$2.log" 2>&1 ||
	{ cat "$2.log"; rm -f "$2.log"; exit 1; }; rm -f "$2.log"' _ "$build" "$prefix"
for f in bin/dmarcscan share/man/man1/dmarcscan.1.gz share/bash-completion/completions/dmarcscan \
	share/doc/dmarcscan/copyright; do
	check "installs $f" test -s "$prefix/$f"
done
check "nothing else is installed (no test binaries)" \
	test "$(find "$prefix" -type f | wc -l)" -eq 4
check "the installed binary runs" bash -c '"$1/bin/dmarcscan" --version | grep -q "^dmarcscan "' _ "$prefix"
check "man finds the page through MANPATH" \
	test "$(MANPATH="$prefix/share/man" man -w dmarcscan 2>/dev/null)" = "$prefix/share/man/man1/dmarcscan.1.gz"
finish
