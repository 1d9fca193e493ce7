#!/usr/bin/env bash
# pktgen-configs/check.sh: checks the Pktgen-DPDK scripts here without pktgen
# or a NIC (README.md, "Checking the scripts").
#
#   pktgen-configs/check.sh [--vswitchctl PATH]
#
# 1. check/lint.py: every .pkt line against the command forms the Pktgen
#    22.x and 23.x sources both accept, with argument shapes and ranges; the
#    pktgen.* names the .lua files use; the header sections; the .pkt/.lua
#    pairs and README.md's table; with a vswitchctl binary, that every
#    vswitchctl line in the headers parses.
# 2. luac -p on every .lua file (Lua 5.3, the Lua Pktgen links; 5.4 if that
#    is all there is). Installs lua5.3 with apt-get when it is missing and
#    apt works; without it the Lua part is skipped: exit 77.
# 3. check/mock_pktgen.lua runs every test .lua script end to end against a
#    stand-in for Pktgen's Lua library that accepts only the checked API
#    forms, and checks the table each script writes.
#
# vswitchctl: --vswitchctl PATH, else $VSWITCHCTL, else build/vswitch/vswitchctl
# of this checkout when it exists; without one, that check is left out.
# Exit status: 0 passed, 1 failed, 77 skipped (no python3, or no Lua).
set -u

here=$(cd "$(dirname "$0")" && pwd)
vswitchctl=${VSWITCHCTL:-}
while [ $# -gt 0 ]; do
	case "$1" in
	--vswitchctl) vswitchctl=${2:-}; shift 2 ;;
	*) echo "usage: $0 [--vswitchctl PATH]" >&2; exit 2 ;;
	esac
done
if [ -z "$vswitchctl" ] && [ -x "$here/../build/vswitch/vswitchctl" ]; then
	vswitchctl=$here/../build/vswitch/vswitchctl
fi

if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: python3 is not installed (check/lint.py needs it)"
	exit 77
fi

echo "== lint (.pkt commands, Lua API names, headers, README table, vswitchctl lines)"
lint_args=("$here")
[ -n "$vswitchctl" ] && lint_args+=(--vswitchctl "$vswitchctl")
python3 "$here/check/lint.py" "${lint_args[@]}" || { echo "FAILED: lint"; exit 1; }

find_lua() {
	luac="" lua=""
	for v in 5.3 5.4; do
		if command -v "luac$v" >/dev/null 2>&1 && command -v "lua$v" >/dev/null 2>&1; then
			luac=luac$v lua=lua$v
			return 0
		fi
	done
	return 1
}

if ! find_lua; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "== installing lua5.3 (luac5.3) with apt-get"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y --no-install-recommends lua5.3 >/dev/null 2>&1 ||
			{ apt-get update >/dev/null 2>&1 &&
			  apt-get install -y --no-install-recommends lua5.3 >/dev/null 2>&1; }
	fi
	if ! find_lua; then
		echo "SKIP: no Lua 5.3/5.4 (luac5.3 and lua5.3) and it cannot be installed" \
		     "here (apt-get install lua5.3 as root); the .pkt checks above passed"
		exit 77
	fi
fi

echo "== $luac -p"
fail=0
for f in "$here"/*.lua "$here"/check/*.lua; do
	if ! "$luac" -p "$f"; then
		echo "FAIL: $f does not parse"
		fail=1
	fi
done
[ $fail = 0 ] || { echo "FAILED: luac"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== the stand-in rejects a wrong call (self-test)"
cat >"$tmp/bad.lua" <<'EOF'
pktgen.set_mac("0", "02:70:67:00:00:00")
EOF
(cd "$tmp" && "$lua" "$here/check/mock_pktgen.lua" bad.lua) >"$tmp/bad.log" 2>&1
if ! grep -q "set_mac takes 3 arguments" "$tmp/bad.log"; then
	echo "FAILED: the stand-in did not reject pktgen.set_mac with two arguments:"
	cat "$tmp/bad.log"
	exit 1
fi

echo "== each test script against the stand-in ($lua)"
n=0
for f in "$here"/p2p-*.lua "$here"/pvp-*.lua; do
	shapes=table
	case "$f" in *-latency.lua) shapes="table flat" ;; esac
	for shape in $shapes; do
		log=$tmp/$(basename "$f").$shape.log
		if (cd "$tmp" && env -u HVNET_PKTGEN_DIR HVNET_PKTGEN_OUT="$tmp" \
			"$lua" "$here/check/mock_pktgen.lua" "$f" "$shape") >"$log" 2>&1; then
			tail -n 1 "$log"
			n=$((n + 1))
		else
			echo "FAIL: $(basename "$f") ($shape):"
			sed 's/^/    /' "$log" | tail -n 20
			fail=1
		fi
	done
done
[ $fail = 0 ] || { echo "FAILED: scripts against the stand-in"; exit 1; }
echo "pktgen-configs: lint, luac and $n stand-in runs passed"
