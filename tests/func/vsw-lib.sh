# Shared by the vswitchd tests that join network namespaces to a switch
# (sourced, not run). The sourcing script sets vswitchd, vswitchctl, work
# (its scratch directory) and prefix (DPDK --file-prefix, which names the
# telemetry socket), and may set pid.

# vsw_need_netns TAG: skips (77) unless we are root and may make network
# namespaces (TAG keeps the probe's name apart from other tests').
vsw_need_netns() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: network namespaces and veth pairs need root"
		exit 77
	fi
	if ! ip netns add "$1-probe-$$" 2>/dev/null; then
		echo "SKIP: this kernel does not allow network namespaces here"
		exit 77
	fi
	ip netns del "$1-probe-$$"
}

# vsw_cleanup NETNS:HOSTLINK...: the EXIT trap's common part: stop
# vswitchd if it runs, remove each test host (its namespace and the host
# end of its veth pair) and the scratch directory.
vsw_cleanup() {
	local h

	[ -n "${pid:-}" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	for h in "$@"; do
		ip netns del "${h%%:*}" 2>/dev/null
		ip link del "${h#*:}" 2>/dev/null
	done
	rm -rf "$work"
}

fail() {
	echo "FAIL: $*" >&2
	echo "---- vswitchd log ----" >&2
	cat "$work/vswitchd.log" >&2
	exit 1
}

ctl() {
	"$vswitchctl" --socket "$work/ctl.sock" --timeout 10 "$@"
}

# start_vswitchd [EAL lcore args]: on the test's store and sockets, with
# telemetry under the test's prefix; waits until it is ready.
vsw_starts=0
start_vswitchd() {
	local lcores=("$@")

	[ ${#lcores[@]} -gt 0 ] || lcores=(-l 0,1)
	vsw_starts=$((vsw_starts + 1))
	echo "---- start $vsw_starts ----" >>"$work/vswitchd.log"
	"$vswitchd" --no-huge -m 512 --no-pci "${lcores[@]}" --file-prefix "$prefix" \
		--log-level=lib.eal:error -- --db "$work/vswitchd.db" \
		--ctl-socket "$work/ctl.sock" --vmbus-socket "$work/vmbus.sock" \
		>>"$work/vswitchd.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ "$(grep -c "vswitchd: ready" "$work/vswitchd.log" 2>/dev/null)" -ge "$vsw_starts" ] &&
			return 0
		kill -0 "$pid" 2>/dev/null || fail "vswitchd exited at start"
		sleep 0.1
	done
	fail "vswitchd did not get ready in 10 s"
}

stop_vswitchd() {
	kill "$pid"
	wait "$pid"
	local rc=$?
	pid=
	[ $rc -eq 0 ] || fail "vswitchd exited $rc on SIGTERM"
}

# telemetry CMD...: vswitchd's answers to DPDK telemetry commands, merged
# into one JSON object.
telemetry() {
	python3 - "/var/run/dpdk/$prefix/dpdk_telemetry.v2" "$@" <<'PY'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1])
json.loads(s.recv(4096))          # the greeting
out = {}
for cmd in sys.argv[2:]:
    s.send(cmd.encode())
    out.update(json.loads(s.recv(65536)))
print(json.dumps(out))
PY
}
