#!/usr/bin/env bash
# test_completion.sh -- the bash completion knows exactly the options of `dmarcscan scan
# --help` (which take a value, which take a file, the values of --format, --discovery,
# --profile and --checks), and completing real command lines gives the expected words.
# Usage: test_completion.sh DMARCSCAN_BINARY COMPLETION_SCRIPT
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
bin=$1
script=$2

check "bash -n parses it" bash -n "$script"

# comp_var NAME: a variable of the completion script, one word a line.
comp_var()
{
	bash --norc --noprofile -c '. "$1" && tr -s " \n" "\n\n" <<<"${!2}" | sed "/^$/d"' _ "$script" "$1"
}

check "long options = those of --help" same_set "long options" "$(help_options "$bin")" \
	"$(printf '%s\n%s\n' "$(comp_var _dmarcscan_scan_valued)" "$(comp_var _dmarcscan_scan_flags)")"
check "options taking a value = those of --help" same_set "valued options" \
	"$(help_valued_options "$bin")" "$(comp_var _dmarcscan_scan_valued)"
file_opts=$(for o in $(help_valued_options "$bin"); do
	[[ $(help_metavar "$bin" "$o") == FILE ]] && echo "$o"
done)
check "options taking a FILE = those of --help" same_set "file options" "$file_opts" \
	"$(comp_var _dmarcscan_scan_files)"
check "--format values = those of --help" same_set "--format values" \
	"$(help_metavar "$bin" --format | tr '|' '\n')" "$(comp_var _dmarcscan_formats)"
help_text=$("$bin" scan --help)
for v in $(comp_var _dmarcscan_discovery); do
	check "--discovery value $v is described in --help" grep -qE "(^|[ (])$v( \(default\))?:" <<<"$help_text"
done
for v in $(comp_var _dmarcscan_profiles); do
	check "--profile value $v is named in --help" grep -qE "(^|[ (])$v[ ;,)]" <<<"$help_text"
done
for v in $(comp_var _dmarcscan_checks); do
	check "--checks value $v is named in --help" grep -qE "(^|[ (])$v[ ;,)]" <<<"$help_text"
done

# complete WORD...: what the completion offers for the command line WORD... (the last word
# is the one being completed), sorted, one a line.
complete_line()
{
	bash --norc --noprofile -c '. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _dmarcscan
		printf "%s\n" "${COMPREPLY[@]}"' _ "$script" "$@" | sed '/^$/d' | sort
}

# expect WANT WORD...: the completion of WORD... is exactly WANT (words separated by spaces).
expect()
{
	local want=$1 got
	shift
	got=$(complete_line "$@" | tr '\n' ' ')
	got=${got% }
	if [[ $got != "$want" ]]; then
		echo "      completing '$*': want '$want', got '$got'"
		return 1
	fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
touch "$tmp/out.ndjson" "$tmp/resolvers.txt" "$tmp/input.csv"

check "subcommands" expect "--help --version diff explain help merge report scan version" dmarcscan ""
check "help scan" expect "scan" dmarcscan help s
check "help merge" expect "merge" dmarcscan help m
check "help explain" expect "explain" dmarcscan help e
check "help diff" expect "diff" dmarcscan help d
check "explain completes codes" expect "include_loop include_missing include_pass_all include_permerror" \
	"$bin" explain incl
check "merge options" expect "--help --output" dmarcscan merge --
check "merge: -o and the summaries are files" expect "$tmp/out.ndjson" dmarcscan merge -o "$tmp/ou"
check "merge options = those of merge --help" same_set "merge options" \
	"$("$bin" merge --help | grep -E '^ +(-[[:alnum:]], )?--' | _first_long | sort -u)" "$(printf '%s\n' --help --output)"
check "diff options" expect "--help --memory --output --table" dmarcscan diff --
check "diff: -o, --table and the scans are files" expect "$tmp/out.ndjson" dmarcscan diff --table "$tmp/ou"
check "diff options = those of diff --help" same_set "diff options" \
	"$("$bin" diff --help | grep -E '^ +(-[[:alnum:]], )?--' | _first_long | sort -u)" \
	"$(printf '%s\n' --help --memory --output --table)"
check "help report" expect "report" dmarcscan help r
check "report options" expect "--format --help --output" dmarcscan report --
check "report --format: the formats" expect "html json markdown text" dmarcscan report --format ""
check "report: the inputs are files" expect "$tmp/out.ndjson" dmarcscan report "$tmp/ou"
check "report options = those of report --help" same_set "report options" \
	"$("$bin" report --help | grep -E '^ +(-[[:alnum:]], )?--' | _first_long | sort -u)" \
	"$(printf '%s\n' --format --help --output)"
check "long options by prefix" expect "--resolver-rate --resolvers --resume" dmarcscan scan --res
check "every long option after --" same_set "offered options" "$(help_options "$bin")" \
	"$(complete_line dmarcscan scan --)"
check "--format values" expect "auto csv list rank" dmarcscan scan --format ""
check "--format=c (split at =)" expect "csv" dmarcscan scan --format = c
check "--format= (split at =)" expect "auto csv list rank" dmarcscan scan --format =
check "--discovery values" expect "rfc7489" dmarcscan scan -q --discovery r
check "--profile values" expect "bod-18-01" dmarcscan scan --profile b
check "--checks: the list's next element" expect "dmarc,mta-sts dmarc,mx" dmarcscan scan --checks dmarc,m
check "--checks: dnssec" expect "dmarc,dnssec" dmarcscan scan --checks dmarc,dn
check "--checks: no repeat" expect "" dmarcscan scan --checks dmarc,dm
check "-o completes files" expect "$tmp/out.ndjson" dmarcscan scan -o "$tmp/ou"
check "--metadata completes files" expect "$tmp/out.ndjson" dmarcscan scan --metadata "$tmp/o"
check "-r @FILE completes files" expect "@$tmp/resolvers.txt" dmarcscan scan -r "@$tmp/re"
check "-r without @: no guess" expect "" dmarcscan scan -r 127
check "numeric value: no files" expect "" dmarcscan scan --timeout "$tmp/"
check "inputs are files" expect "$tmp/input.csv" dmarcscan scan -o x "$tmp/in"
check "unknown subcommand: nothing" expect "" dmarcscan bogus --f
finish
