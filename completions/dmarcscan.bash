# dmarcscan.bash -- bash completion for dmarcscan, installed as
# <datadir>/bash-completion/completions/dmarcscan (loaded on demand by bash-completion), or
# sourced by hand. Needs nothing from bash-completion itself.
# Contract: completes the subcommands, the long and short options of `scan`, `merge`,
# `diff` and `report`, file names for the options that take a file (and for inputs), and
# the values of --format, --discovery,
# --profile and --checks (a comma-separated list), also in the --option=value form; the
# codes of `explain` (the command's own list: the first line of each of its paragraphs).
# The option lists below must match `dmarcscan scan --help`: tests/install/test_completion.sh
# fails when they drift apart.

_dmarcscan_scan_flags="--no-tcp --0x20 --no-adapt --no-gso --details --resume --no-metadata --quiet
--mta-sts-policy --no-report-cut --help"
_dmarcscan_scan_valued="--resolvers --concurrency --timeout --retries --sockets --deadline
--rate --resolver-rate --exclude --format --domain-column --sector-column --checks
--dkim-selectors --mta-sts-fetches --mta-sts-timeout --mta-sts-port --ca-file --profile --discovery --psl-file --dnssec-probe --shard --seed --shard-from-env --output --metadata --summary
--checkpoint-interval --threads"
_dmarcscan_scan_files="--exclude --psl-file --output --metadata --summary --ca-file"
_dmarcscan_formats="auto list rank csv"
_dmarcscan_discovery="tree rfc7489 exact"
_dmarcscan_checks="dmarc spf mx dnssec mta-sts tls-rpt bimi dkim all"
_dmarcscan_profiles="bod-18-01"

# _dmarcscan_words WORDLIST CUR: add the words of WORDLIST that start with CUR to COMPREPLY.
_dmarcscan_words()
{
	local w
	for w in $1; do
		[[ $w == "$2"* ]] && COMPREPLY+=("$w")
	done
}

# _dmarcscan_files CUR [PREFIX]: file names starting with CUR, each prefixed with PREFIX.
_dmarcscan_files()
{
	local f
	compopt -o filenames 2>/dev/null
	while IFS= read -r f; do
		COMPREPLY+=("$2$f")
	done < <(compgen -f -- "$1")
}

# _dmarcscan_value OPTION CUR: complete the value of a scan option.
_dmarcscan_value()
{
	local opt=$1 cur=$2
	if [[ " -o $_dmarcscan_scan_files " == *" $opt "* ]]; then
		_dmarcscan_files "$cur"
		return
	fi
	case $opt in
	-r | --resolvers)
		# "@FILE" names a resolver list; addresses are not guessed.
		if [[ $cur == @* ]]; then
			_dmarcscan_files "${cur#@}" @
		fi
		;;
	--format)
		_dmarcscan_words "$_dmarcscan_formats" "$cur"
		;;
	--discovery)
		_dmarcscan_words "$_dmarcscan_discovery" "$cur"
		;;
	--profile)
		_dmarcscan_words "$_dmarcscan_profiles" "$cur"
		;;
	--checks)
		# A comma-separated list: complete its last element, keep what comes before.
		local head="" last=$cur c
		if [[ $cur == *,* ]]; then
			head=${cur%,*},
			last=${cur##*,}
		fi
		for c in $_dmarcscan_checks; do
			[[ $c == "$last"* && ,$head != *,$c,* ]] && COMPREPLY+=("$head$c")
		done
		;;
	esac
}

# _dmarcscan_takes_value OPTION: whether the scan option OPTION is followed by a value.
_dmarcscan_takes_value()
{
	case " -r -c -o -j ${_dmarcscan_scan_valued//$'\n'/ } " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}

# _dmarcscan_diff CUR PREV: `diff [-o FILE] [--table FILE] [--memory SIZE] OLD NEW`.
_dmarcscan_diff()
{
	case $2 in
	-o | --output | --table)
		_dmarcscan_files "$1"
		return
		;;
	--memory)
		_dmarcscan_words "64M 256M 1G" "$1"
		return
		;;
	esac
	if [[ $1 == -* ]]; then
		_dmarcscan_words "--output --table --memory --help -o -h" "$1"
	else
		_dmarcscan_files "$1"
	fi
}

# _dmarcscan_merge CUR: `merge [-o FILE] SUMMARY...`: its options, else file names.
_dmarcscan_merge()
{
	if [[ $1 == -* ]]; then
		_dmarcscan_words "--output --help -o -h" "$1"
	else
		_dmarcscan_files "$1"
	fi
}

# _dmarcscan_report PREV CUR: `report [-o FILE] [--format F] INPUT...`: its options, the
# formats after --format, else file names.
_dmarcscan_report()
{
	case $1 in
	-f | --format)
		_dmarcscan_words "text markdown html json" "$2"
		return 0
		;;
	esac
	if [[ $2 == -* ]]; then
		_dmarcscan_words "--output --format --help -o -f -h" "$2"
	else
		_dmarcscan_files "$2"
	fi
}

_dmarcscan()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=""
	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}

	if ((COMP_CWORD == 1)); then
		_dmarcscan_words "scan merge diff report explain help version --version --help" "$cur"
		return 0
	fi
	case ${COMP_WORDS[1]} in
	help)
		((COMP_CWORD == 2)) && _dmarcscan_words "scan merge diff report explain" "$cur"
		return 0
		;;
	merge)
		_dmarcscan_merge "$cur"
		return 0
		;;
	diff)
		_dmarcscan_diff "$cur" "$prev"
		return 0
		;;
	report)
		_dmarcscan_report "$prev" "$cur"
		return 0
		;;
	explain)
		# The codes are the unindented lines of `dmarcscan explain` (the command itself).
		_dmarcscan_words "$("${COMP_WORDS[0]}" explain 2>/dev/null | grep -E '^[a-z0-9_]+$')" "$cur"
		return 0
		;;
	scan) ;;
	*) return 0 ;;
	esac

	# "--format=c": bash splits at '=' (COMP_WORDBREAKS), giving "--format" "=" "c".
	if [[ $cur == = ]]; then
		_dmarcscan_value "$prev" ""
		return 0
	fi
	if [[ $prev == = ]] && ((COMP_CWORD >= 3)); then
		_dmarcscan_value "${COMP_WORDS[COMP_CWORD - 2]}" "$cur"
		return 0
	fi
	if _dmarcscan_takes_value "$prev"; then
		_dmarcscan_value "$prev" "$cur"
		return 0
	fi
	if [[ $cur == -* ]]; then
		_dmarcscan_words "$_dmarcscan_scan_valued $_dmarcscan_scan_flags -r -c -o -j -q -h" "$cur"
		return 0
	fi
	_dmarcscan_files "$cur"
	return 0
}

complete -F _dmarcscan dmarcscan
