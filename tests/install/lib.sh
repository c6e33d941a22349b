# lib.sh -- what the install tests share: counted checks ending in the "N passed, M failed"
# line, and the options read from `dmarcscan scan --help` (the one source the manual page and
# the completion are checked against).
# Contract: source it; check NAME CMD... runs CMD and counts it; finish exits 1 if any check
# failed. help_options BIN prints the long options of `BIN scan --help` (one per line,
# sorted); help_valued_options BIN those followed by a value name; help_metavar BIN OPT that
# value name (e.g. "FILE", "auto|list|rank|csv").

passed=0
failed=0

check()
{
	local name=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
		echo "ok    $name"
	else
		failed=$((failed + 1))
		echo "FAIL  $name"
	fi
}

finish()
{
	echo "$passed passed, $failed failed"
	((failed == 0))
}

# The option lines of --help: indented, "-x, --long" or "--long", then either two or more
# spaces (no value) or one space and a value name.
_help_option_lines()
{
	"$1" scan --help | grep -E '^ +(-[[:alnum:]], )?--[[:alnum:]-]+( |$)'
}

# The long option of each option line (the first on it: the text may name others).
_first_long()
{
	sed -E 's/^ +(-[[:alnum:]], )?(--[[:alnum:]-]+).*/\2/'
}

help_options()
{
	_help_option_lines "$1" | _first_long | sort -u
}

help_valued_options()
{
	_help_option_lines "$1" | grep -E -- '^ +(-[[:alnum:]], )?--[[:alnum:]-]+ [^ ]' |
		_first_long | sort -u
}

# help_short_pairs BIN: "-x --long" for each option that has a short form.
help_short_pairs()
{
	_help_option_lines "$1" | grep -E '^ +-[[:alnum:]], ' |
		sed -E 's/^ +(-[[:alnum:]]), (--[[:alnum:]-]+).*/\1 \2/' | sort -u
}

help_metavar()
{
	_help_option_lines "$1" | grep -E -- "$2 [^ ]" | head -1 |
		sed -E "s/.*$2 ([^ ]+).*/\\1/"
}

# same_set NAME EXPECTED ACTUAL: the two newline-separated lists hold the same words; prints
# the difference when they do not.
same_set()
{
	local missing extra
	missing=$(comm -23 <(sort -u <<<"$2") <(sort -u <<<"$3") | tr '\n' ' ')
	extra=$(comm -13 <(sort -u <<<"$2") <(sort -u <<<"$3") | tr '\n' ' ')
	if [[ -n $missing || -n $extra ]]; then
		echo "      $1: missing: ${missing:-none}; not in --help: ${extra:-none}"
		return 1
	fi
}
