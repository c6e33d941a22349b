#!/usr/bin/env bash
# test_man.sh -- the manual page renders without a warning (mandoc -T lint, groff -ww, man
# -l) and documents exactly the options of `dmarcscan scan --help`, so the two cannot drift.
# Usage: test_man.sh DMARCSCAN_BINARY MANPAGE [GZIPPED_MANPAGE]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
bin=$1
page=$2
gz=${3:-}

# quiet CMD...: succeeds when CMD exits 0 and prints nothing on stderr (warnings go there).
quiet()
{
	local err
	err=$("$@" 2>&1 >/dev/null)
	local rc=$?
	if ((rc != 0)) || [[ -n $err ]]; then
		echo "      $* -> exit $rc: $err" | head -20
		return 1
	fi
}

check "mandoc -T lint -W warning: no message" quiet mandoc -T lint -W warning "$page"
check "groff -man -ww -z: no warning" quiet groff -man -ww -z "$page"
check "man --warnings -l: no warning" quiet env MANWIDTH=80 man --warnings -l "$page"

rendered=$(MANWIDTH=80 man -l "$page" 2>/dev/null)
for section in NAME SYNOPSIS DESCRIPTION OPTIONS OUTPUT "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
	check "section $section" grep -qx "$section" <<<"$rendered"
done

# The option entries: the first line of each .TP paragraph whose text starts with a dash,
# with the \- escapes undone ("-r, --resolvers list|@file").
entries=$(awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' "$page" | grep -E '^\.B[IR]? +\\-' |
	sed -e 's/\\-/-/g')
man_long=$(grep -oE -- '--[[:alnum:]-]+' <<<"$entries" | sort -u)
check "every long option of --help has an entry, and only those" \
	same_set options "$(help_options "$bin")" "$man_long"

man_pairs=$(sed -nE 's/^\.BR +(-[[:alnum:]]) ", " (--[[:alnum:]-]+).*/\1 \2/p' <<<"$entries" | sort -u)
check "short options paired with the same long ones as in --help" \
	same_set "short options" "$(help_short_pairs "$bin")" "$man_pairs"

# Options that take a value show one in their entry; flags do not.
for opt in $(help_valued_options "$bin"); do
	check "$opt: entry names its value" grep -qE -- "$opt\"? +[^ ]" <<<"$entries"
done

check "EXIT STATUS lists the codes of --help" \
	bash -c '[[ $(awk "/^\\.SH \"EXIT STATUS\"/,/^\\.SH FILES/" "$1" |
		grep -A1 "^\\.TP" | grep -oE "^\\.B [0-9]+" | tr -d ".B " | tr "\n" " ") == "0 1 2 130 " ]]' _ "$page"
check "--help states the same exit codes" bash -c \
	'"$1" scan --help | tr "\n" " " | grep -q "0 done, 1 failure.*2 usage error, *130 interrupted"' _ "$bin"

# `dmarcscan report`'s options are in its paragraph (not option entries: those are scan's).
report_par=$(awk '/^\.BI "dmarcscan report/,/^\.TP|^\.SH/' "$page" | sed -e 's/\\-/-/g')
for opt in $("$bin" report --help | grep -oE -- '^ +(-[[:alnum:]], )?--[[:alnum:]-]+' | grep -oE -- '--[[:alnum:]-]+' | grep -v -- --help); do
	check "report $opt: in the report paragraph" grep -q -- "$opt" <<<"$report_par"
done

if [[ -n $gz ]]; then
	check "the installed page is the gzipped source" cmp -s <(gzip -dc "$gz") "$page"
fi
finish
