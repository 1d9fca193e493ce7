#!/bin/bash
# Idle mode of hvnet-netvsp's forwarding lcore. Two partitions bring their
# synthetic NICs up and go quiet (one sleeps in netvsc_port_wait, the other
# waits on stdin): the host's CPU time over an idle window must stay under
# a bound (a polling lcore burns a whole CPU). Then the pinger sends one
# frame at a time with idle gaps in between, so each one finds the lcore
# asleep: its echo must come back intact and quickly, which only a guest's
# doorbell waking the lcore achieves (the safety limit on a sleep is set
# far above the bound).
#   netvsp-idle.sh HOST_EXE PEER_EXE [expect-busy]
# With expect-busy the host runs in --poll mode and the CPU check must
# trip instead: it shows the measurement can tell the two apart.
set -u
host=$1 peer=$2 expect=${3:-idle}
eal=(--no-huge -m 128 --no-shconf --no-pci --log-level='*:error')
cpu_bound_pct=5          # of one CPU, over the idle window
window_s=2
rtt_bound_us=100000      # a sleep nobody wakes lasts max_sleep_ms (3 s)
max_sleep_ms=3000
dir=$(mktemp -d /tmp/hvnet-netvsp-idle.XXXXXX)
hpid= epid= ppid=
trap 'for p in $ppid $epid $hpid; do kill $p 2>/dev/null; done; exec 3>&- 2>/dev/null;
      for p in $ppid $epid $hpid; do wait $p 2>/dev/null; done; rm -rf "$dir"' EXIT
fail() {
	echo "FAIL: $*"
	for f in "$dir"/*.log; do echo "--- $f"; cat "$f"; done
	exit 1
}
sock=$dir/vmbus.sock
hostargs=(--max-sleep-ms $max_sleep_ms)
[ "$expect" = expect-busy ] && hostargs=(--poll)
"$host" "${eal[@]}" -l 0,1 -- --socket "$sock" --partitions 2 "${hostargs[@]}" \
	>"$dir/host.log" 2>&1 &
hpid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "hvnet-netvsp did not start"
"$peer" "${eal[@]}" -l 0 -- --socket "$sock" --name echo --mode echo --timeout 60 \
	>"$dir/echo.log" 2>&1 &
epid=$!
mkfifo "$dir/go"
"$peer" "${eal[@]}" -l 0 -- --socket "$sock" --name ping --mode ping --pings 5 --gap-ms 300 \
	--timeout 10 <"$dir/go" >"$dir/ping.log" 2>&1 &
ppid=$!
exec 3>"$dir/go"
for _ in $(seq 300); do
	[ "$(grep -c '^ready$' "$dir/echo.log" "$dir/ping.log" | grep -c ':1$')" -eq 2 ] && break
	kill -0 $hpid 2>/dev/null || fail "hvnet-netvsp exited"
	sleep 0.05
done
[ "$(grep -c '^ready$' "$dir/echo.log" "$dir/ping.log" | grep -c ':1$')" -eq 2 ] ||
	fail "the partitions did not come up"

# CPU time of every thread of the host, in ns (schedstat: time on CPU).
host_cpu_ns() {
	local t sum=0 v
	for t in /proc/$hpid/task/*/schedstat; do
		read -r v _ <"$t" 2>/dev/null && sum=$((sum + v))
	done
	echo $sum
}
sleep 0.5
c0=$(host_cpu_ns) t0=$(date +%s%N)
sleep $window_s
c1=$(host_cpu_ns) t1=$(date +%s%N)
pct=$(( (c1 - c0) * 1000 / (t1 - t0) ))      # per mille of one CPU
echo "idle host: $(( (c1 - c0) / 1000000 )) ms of CPU in $(( (t1 - t0) / 1000000 )) ms" \
     "($((pct / 10)).$((pct % 10))% of one CPU, bound ${cpu_bound_pct}%)"
if [ "$expect" = expect-busy ]; then
	[ $pct -ge $((cpu_bound_pct * 10)) ] ||
		fail "a polling host measured under ${cpu_bound_pct}%: the check cannot tell"
	echo "ok: a host in poll mode trips the idle check"
	exit 0
fi
[ $pct -lt $((cpu_bound_pct * 10)) ] || fail "the idle host used ${pct} per mille of a CPU"

echo go >&3
exec 3>&-
wait $ppid; prc=$?; ppid=
wait $epid; erc=$?; epid=
for _ in $(seq 100); do kill -0 $hpid 2>/dev/null || break; sleep 0.05; done
kill $hpid 2>/dev/null; wait $hpid 2>/dev/null; hpid=
cat "$dir/ping.log"
[ $prc -eq 0 ] && [ $erc -eq 0 ] || fail "ping exit $prc, echo exit $erc"
max=$(sed -n 's/^max_rtt_us \([0-9]*\).*/\1/p' "$dir/ping.log")
[ -n "$max" ] || fail "no round-trip times"
[ "$max" -lt $rtt_bound_us ] ||
	fail "a frame after an idle gap took ${max} us (bound ${rtt_bound_us} us): lost wake-up?"
sleeps=$(sed -n 's/^netvsp: forwarder slept \([0-9]*\) times.*/\1/p' "$dir/host.log")
[ -n "$sleeps" ] && [ "$sleeps" -ge 5 ] || fail "the forwarder slept ${sleeps:-no} times"
[ "$(grep -c 'bad 0, protocol errors 0$' "$dir/host.log")" -eq 2 ] ||
	fail "the host counted malformed packets or protocol errors"
grep '^netvsp: forwarder' "$dir/host.log"
echo "ok: idle host under ${cpu_bound_pct}% of a CPU; first frames after idle gaps" \
     "back in at most ${max} us"
