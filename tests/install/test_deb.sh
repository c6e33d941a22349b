#!/usr/bin/env bash
# test_deb.sh -- build the .deb with CPack, install it on this machine with apt, use the
# installed dmarcscan (--version, a scan of 3 domains served by tests/faultserver.py on
# 127.0.0.1, its man page and bash completion), then purge it again; also checks the
# Dockerfile's structure against the package built here.
# Usage: test_deb.sh BUILD_DIR SOURCE_DIR   (as root; exit 77 = skipped when not root)
# Contract: leaves the machine as it found it: the package is purged on every exit (trap),
# and a run killed before its trap ran (ctest's timeout) is cleaned up by the next one,
# recognised by its marker file. It refuses (fails) to touch a dmarcscan that something
# else installed, and it never downloads: when apt would need another package, it fails
# and names it (scripts/deps installs the runtime dependencies). One run at a time (flock).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)

if ((EUID != 0)); then
	echo "skip: installing a package needs root"
	exit 77
fi

MARKER=/var/tmp/dmarcscan-test-deb.installed
APT=(apt-get -o DPkg::Lock::Timeout=300 -q)
export DEBIAN_FRONTEND=noninteractive

exec 9>/run/lock/dmarcscan-test-deb.lock
flock -w 600 9 || {
	echo "FAIL  another test_deb.sh holds the lock"
	exit 1
}

installed()
{
	[[ $(dpkg-query -W -f='${Status}' dmarcscan 2>/dev/null) == "install ok installed" ]]
}

purge()
{
	# Still known to dpkg in any state (also half-installed): purge it.
	if dpkg-query -W dmarcscan >/dev/null 2>&1; then
		"${APT[@]}" purge -y dmarcscan >/dev/null
	fi
}

# Under the lock, a work directory of an earlier run is a leftover of one that was killed.
rm -rf /tmp/dmarcscan-test-deb.*
tmp=$(mktemp -d /tmp/dmarcscan-test-deb.XXXXXX)
server_pid=
cleanup()
{
	if [[ -e $MARKER ]]; then
		purge && rm -f "$MARKER"
	fi
	if [[ -n $server_pid ]]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

# What a killed earlier run left is ours to clean; anything else is not ours to touch.
if [[ -e $MARKER ]]; then
	echo "note  purging the dmarcscan an interrupted earlier run left installed"
	purge && rm -f "$MARKER"
fi
if dpkg-query -W dmarcscan >/dev/null 2>&1 || [[ -e /usr/bin/dmarcscan ]]; then
	echo "FAIL  dmarcscan is already on this machine (package or /usr/bin/dmarcscan), not" \
		"installed by this test: remove it first"
	exit 1
fi
packages_before=$(dpkg-query -W -f='${Package} ${Version} ${Status}\n' | sort)

# --- build the package
chmod 755 "$tmp" # apt reads local .debs as its unprivileged _apt user
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
deb_name=dmarcscan_${version}_${arch}.deb
deb=$tmp/$deb_name
check "cpack -G DEB builds $deb_name" \
	bash -c 'cd "$1" && cpack -G DEB -B "$2/pkg" --config CPackConfig.cmake >"$2/cpack.log" 2>&1 &&
		cp "$2/pkg/$3" "$2/"' _ "$build" "$tmp" "$deb_name" || cat "$tmp/cpack.log"
[[ -f $deb ]] || { finish; exit 1; }

field() { dpkg-deb -f "$deb" "$1"; }
depends=$(field Depends)
echo "      Depends: $depends"
for p in libc6 libuv1 libzstd1 libjemalloc2 libpsl5 publicsuffix libck0 libidn2-0 zlib1g; do
	check "Depends names $p" grep -qE "(^|, )$p( |,|$)" <<<"$depends"
done
check "Section net, Priority optional" test "$(field Section) $(field Priority)" = "net optional"
check "Maintainer is name <email>" grep -qE '^[^<]+ <[^>]+@[^>]+>$' <<<"$(field Maintainer)"
check "Description has a summary and a body" test "$(field Description | wc -l)" -ge 2
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/dmarcscan ./usr/share/man/man1/dmarcscan.1.gz \
	./usr/share/bash-completion/completions/dmarcscan ./usr/share/doc/dmarcscan/copyright; do
	check "package holds $f" grep -qx -- "$f" <<<"$contents"
done

# --- install it: apt may add nothing but dmarcscan (no download, no surprise)
plan=$("${APT[@]}" install -s --no-install-recommends "$deb" 2>&1)
others=$(grep '^Inst ' <<<"$plan" | awk '$2 != "dmarcscan" {print $2}' | tr '\n' ' ')
check "apt needs no other package (else run scripts/deps): ${others:-none}" test -z "$others"
if [[ -n $others ]]; then
	finish
	exit 1
fi
touch "$MARKER"
check "apt-get install ./$deb_name" \
	bash -c '"${@:2}" install -y --no-install-recommends "$1" >"$(dirname "$1")/apt.log" 2>&1' \
	_ "$deb" "${APT[@]}" || tail -20 "$tmp/apt.log"
check "dpkg says installed" installed
check "/usr/bin/dmarcscan --version" test "$(/usr/bin/dmarcscan --version)" = "dmarcscan $version"
# Minimized Debian systems (container images) tell dpkg not to unpack manual pages.
if grep -qsE '^[[:space:]]*path-exclude[[:space:]=]+/usr/share/man' /etc/dpkg/dpkg.cfg.d/*; then
	echo "skip  man dmarcscan: dpkg here excludes /usr/share/man (/etc/dpkg/dpkg.cfg.d)"
else
	check "man -aw finds the installed page" \
		grep -qx /usr/share/man/man1/dmarcscan.1.gz <<<"$(man -aw dmarcscan 2>/dev/null)"
	check "man dmarcscan renders it" grep -q "dmarcscan - measure the DMARC posture" \
		<<<"$(MANPAGER=cat MANWIDTH=80 man dmarcscan 2>/dev/null)"
fi
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
	check "bash-completion loads the completion on demand" grep -q -- "-F _dmarcscan dmarcscan" \
		<<<"$(bash --norc --noprofile -c '. /usr/share/bash-completion/bash_completion
			_completion_loader dmarcscan; complete -p dmarcscan' 2>&1)"
else
	check "bash-completion is installed (scripts/deps)" false
fi

# --- a tiny scan with the installed binary against a local scripted server
cat >"$tmp/script.json" <<'EOF'
{"_dmarc.reject.test": {"txt": ["v=DMARC1; p=reject; rua=mailto:d@reject.test"]},
 "_dmarc.none.test": {"txt": ["v=DMARC1; p=none"]},
 "*": {"rcode": "NXDOMAIN"}}
EOF
printf 'reject.test\nNone.Test.\nmissing.test\n' >"$tmp/domains.txt"
python3 "$src/tests/faultserver.py" --script "$tmp/script.json" --max-seconds 120 \
	>"$tmp/port" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 100); do
	[[ -s $tmp/port ]] && break
	sleep 0.1
done
port=$(head -1 "$tmp/port")
check "faultserver listens on 127.0.0.1:$port" test -n "$port"
check "installed dmarcscan scans 3 domains" /usr/bin/dmarcscan scan -q -r "127.0.0.1:$port" \
	--timeout 500 -o "$tmp/out.ndjson.zst" --metadata "$tmp/meta.json" "$tmp/domains.txt" \
	2>"$tmp/scan.log" || cat "$tmp/scan.log" "$tmp/server.log"
postures=$(zstd -dcq "$tmp/out.ndjson.zst" 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    print(o["domain"], o["status"], o["posture"])' | sort | tr '\n' ' ')
check "postures reject/none/missing: $postures" \
	test "$postures" = "missing.test OK missing none.test OK none reject.test OK reject "
check "metadata names the installed version" grep -q "\"version\": *\"$version\"" "$tmp/meta.json"

# --- the Dockerfile builds and installs this very package
check "Dockerfile structure (no hadolint in Debian 12)" bash -o pipefail -c \
	'python3 "$1" "$2" "$3" | grep -v " passed, .* failed$" | sed "s/^/      /"' _ "$here/check_dockerfile.py" "$src/Dockerfile" "$deb_name"

# --- remove it again; the machine is as it was
check "apt-get purge dmarcscan" purge
rm -f "$MARKER"
check "dpkg no longer knows dmarcscan" bash -c '! dpkg-query -W dmarcscan >/dev/null 2>&1'
check "/usr/bin/dmarcscan is gone" test ! -e /usr/bin/dmarcscan
check "the man page is gone" bash -c '! man -aw dmarcscan 2>/dev/null | grep -q ^/usr/share/man/'
packages_after=$(dpkg-query -W -f='${Package} ${Version} ${Status}\n' | sort)
check "the installed packages are as before" \
	diff <(echo "$packages_before") <(echo "$packages_after")
finish
