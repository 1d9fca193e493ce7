#!/bin/bash
# The control socket's permissions decide who may change the switch: with
# the default mode 0660 and root's group, an unprivileged user is refused
# (exit 3, "permission denied"); with the socket in the user's group, the
# same user gets through. Needs root (to start as root and drop to nobody)
# and setpriv or runuser; skips (77) without them.
#   vswitchctl-perms.sh VSWITCHCTL VSW_TESTD
set -u
ctl=$1 testd=$2
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: needs root to run vswitchctl as another user"
	exit 77
fi
nobody_uid=$(id -u nobody 2>/dev/null) nobody_gid=$(id -g nobody 2>/dev/null)
if [ -z "$nobody_uid" ]; then
	echo "SKIP: no user nobody to run vswitchctl as"
	exit 77
fi
if command -v setpriv >/dev/null; then
	as_nobody() { setpriv --reuid="$nobody_uid" --regid="$nobody_gid" --clear-groups "$@"; }
elif command -v runuser >/dev/null; then
	as_nobody() { runuser -u nobody -- "$@"; }
else
	echo "SKIP: neither setpriv nor runuser is installed (util-linux)"
	exit 77
fi
# nobody must be able to run the binary at all, or the check proves nothing.
if ! as_nobody "$ctl" --version >/dev/null 2>&1; then
	echo "SKIP: user nobody cannot execute $ctl (its directory is not readable to others)"
	exit 77
fi
dir=$(mktemp -d /tmp/hvnet-vswitchctl-perms.XXXXXX)
chmod 0755 "$dir"
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
fails=0

start() {
	"$testd" --socket "$dir/s.sock" --db "$dir/conf.db" --log "$dir/log" "$@" \
		2>>"$dir/err" &
	pid=$!
	for _ in $(seq 250); do [ -S "$dir/s.sock" ] && return 0; sleep 0.02; done
	echo "FAIL: vsw-testd did not start"
	cat "$dir/err"
	exit 1
}

stop() {
	kill "$pid"
	wait "$pid"
	pid=
}

check() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$(as_nobody "$ctl" --socket "$dir/s.sock" "$@" 2>&1)
	rc=$?
	if [ "$rc" != "$want" ] || ! grep -Eq -- "$pat" <<<"$out"; then
		echo "FAIL: as nobody: vswitchctl $*: exit $rc (want $want), output:"
		sed 's/^/    /' <<<"$out"
		fails=$((fails + 1))
	else
		echo "ok: as nobody: vswitchctl $* -> $rc"
	fi
}

start
mode=$(stat -c %a "$dir/s.sock")
[ "$mode" = 660 ] || { echo "FAIL: the socket's mode is $mode, want 660"; fails=$((fails + 1)); }
check 3 'permission denied on .*s.sock' switch create sw0 --type internal
check 3 'permission denied' show
"$ctl" --socket "$dir/s.sock" show | grep -q . &&
	{ echo "FAIL: a refused user's change was made"; fails=$((fails + 1)); }
stop

start --group "$nobody_gid"
check 0 '' switch create sw0 --type internal
check 0 '^Switch sw0' show
stop

[ "$fails" -eq 0 ] || exit 1
echo "socket permissions decide who may change the switch"
