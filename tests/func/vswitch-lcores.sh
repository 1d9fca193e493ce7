#!/usr/bin/env bash
# Worker lcores at run time: vswitchd with two worker lcores (EAL
# --lcores 0@0,1@1,2@1: both workers share CPU 1, which is enough to prove
# the assignment, not to measure it), two switches each joining two
# network namespaces through veth pairs and af_packet uplinks.
#   - auto assignment spreads the switches over the two workers, and
#     `vswitchctl stats` and DPDK telemetry (/hvnet/lcores) say where each
#     port is polled;
#   - a switch moved back and forth between the lcores 20 times while its
#     hosts ping every 20 ms loses not one reply, and the frames show up on
#     the lcore that now polls it;
#   - an lcore no worker runs on is refused and changes nothing;
#   - MAC aging changed on the running switch takes effect; a new table
#     size is refused and says why;
#   - a restart keeps the assignment; a restart without that lcore runs
#     the switch on another, says so in the log, and keeps the setting.
#
# usage: vswitch-lcores.sh VSWITCHD VSWITCHCTL
set -uo pipefail

vswitchd=${1:?usage: vswitch-lcores.sh VSWITCHD VSWITCHCTL}
vswitchctl=${2:?vswitchctl}

source "$(dirname "$0")/vsw-lib.sh"
vsw_need_netns hvl
for tool in python3 ethtool ping; do
	command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done

work=$(mktemp -d /tmp/hvnet-vsw-lcores.XXXXXX)
prefix=hvl$$
pid=
ping_pid=
hosts="a b c d"
declare -A SW=([a]=s1 [b]=s1 [c]=s2 [d]=s2)
declare -A IP=([a]=10.81.0.1 [b]=10.81.0.2 [c]=10.82.0.3 [d]=10.82.0.4)

cleanup() {
	[ -n "$ping_pid" ] && kill "$ping_pid" 2>/dev/null
	vsw_cleanup $(for h in $hosts; do echo "hvl$h$$:hl$h$$"; done)
}
trap cleanup EXIT
trap 'exit 143' TERM


port_lcore() {  # PORT: the lcore `vswitchctl stats` says polls it
	ctl --format json stats "$1" | python3 -c "import json,sys
print(json.load(sys.stdin)['result']['stats'][0].get('lcore', 'none'))"
}

lcores() {  # telemetry /hvnet/lcores as JSON
	telemetry /hvnet/lcores | python3 -c "import json,sys
print(json.dumps(json.load(sys.stdin)['/hvnet/lcores']))"
}

for h in $hosts; do
	ip netns add "hvl$h$$"
	ip link add "hl$h$$" type veth peer name v0 netns "hvl$h$$"
	ip link set "hl$h$$" up
	ip netns exec "hvl$h$$" ip link set v0 up
	ip netns exec "hvl$h$$" ip addr add "${IP[$h]}/16" dev v0
	# af_packet hands the switch frames as the kernel made them: no
	# offloaded checksums or segments left for a NIC that is not there.
	ethtool -K "hl$h$$" tx off rx off >/dev/null 2>&1
	ip netns exec "hvl$h$$" ethtool -K v0 tx off rx off >/dev/null 2>&1
done

start_vswitchd --lcores 0@0,1@1,2@1
ctl switch create s1 --type external || fail "switch create s1"
ctl switch create s2 --type external || fail "switch create s2"
i=0
for h in $hosts; do
	ctl port add "${SW[$h]}" "p$h" --uplink "net_af_packet$i,iface=hl$h$$" || fail "port add p$h"
	i=$((i + 1))
done

l1=$(port_lcore pa) l2=$(port_lcore pc)
[ "$l1" != "$l2" ] || fail "auto put both switches on lcore $l1"
[ "$(port_lcore pb)" = "$l1" ] || fail "pa and pb, one switch, are polled by different lcores"
ctl stats pa | head -1 | grep -q "lcore $l1" || fail "stats does not name the lcore: $(ctl stats pa | head -1)"
ip netns exec "hvla$$" ping -c 3 -W 2 "${IP[b]}" >/dev/null || fail "no ping a -> b on s1"
ip netns exec "hvlc$$" ping -c 3 -W 2 "${IP[d]}" >/dev/null || fail "no ping c -> d on s2"
lcores | python3 -c "import json,sys
t=json.load(sys.stdin)
assert t['$l1']['switches'] == ['s1'] and t['$l2']['switches'] == ['s2'], t
assert t['$l1']['frames'] > 0 and t['$l2']['frames'] > 0, t
assert 0 <= t['$l1']['busy_pct'] <= 100, t" || fail "telemetry /hvnet/lcores: $(lcores)"
echo "ok: auto assignment: s1 on lcore $l1, s2 on lcore $l2 (stats and telemetry agree)"

# ---- moves under traffic: not one reply lost ----
ip netns exec "hvla$$" ping -i 0.02 -c 400 -W 2 "${IP[b]}" >"$work/ping.txt" 2>&1 &
ping_pid=$!
sleep 0.5
for k in $(seq 10); do
	ctl switch set s1 --lcore "$l2" || fail "move s1 to lcore $l2"
	sleep 0.15
	ctl switch set s1 --lcore "$l1" || fail "move s1 back to lcore $l1"
	sleep 0.15
done
ctl switch set s1 --lcore "$l2" || fail "move s1 to lcore $l2"
wait "$ping_pid"
ping_pid=
grep -q " 0% packet loss" "$work/ping.txt" || fail "moving s1 lost replies: $(tail -2 "$work/ping.txt")"
[ "$(port_lcore pa)" = "$l2" ] || fail "pa is polled by $(port_lcore pa), not $l2"
before=$(lcores | python3 -c "import json,sys; print(json.load(sys.stdin)['$l2']['frames'])")
ip netns exec "hvla$$" ping -c 5 -i 0.05 -W 2 "${IP[b]}" >/dev/null || fail "no ping after the moves"
after=$(lcores | python3 -c "import json,sys; print(json.load(sys.stdin)['$l2']['frames'])")
[ "$after" -ge $((before + 10)) ] || fail "lcore $l2 did not forward s1's frames ($before -> $after)"
echo "ok: s1 moved between lcores 21 times under a 50/s ping: 0% loss; now polled by $l2"

# ---- refusals ----
ctl switch set s1 --lcore 7 2>"$work/err.txt" && fail "lcore 7 (no worker) was accepted"
grep -q "lcore 7 runs no worker of this vswitchd (its workers: 1,2)" "$work/err.txt" ||
	fail "the refusal does not say why: $(cat "$work/err.txt")"
[ "$(port_lcore pa)" = "$l2" ] || fail "a refused move moved s1"
ctl show | grep -A2 "^Switch s1" | grep -q "lcore: $l2" || fail "show does not say s1's lcore"
echo "ok: an lcore without a worker is refused, nothing changes"

# ---- MAC aging set at run time ----
macs() {  # SWITCH: the MACs it has learned (telemetry /hvnet/switches)
	telemetry /hvnet/switches | python3 -c "import json,sys
print(json.load(sys.stdin)['/hvnet/switches']['$1'])"
}
ip netns exec "hvlc$$" ping -c 2 -i 0.2 -W 2 "${IP[d]}" >/dev/null || fail "no ping c -> d on s2"
[ "$(macs s2)" -ge 2 ] || fail "s2 learned $(macs s2) MACs from a ping, not 2"
ctl switch set s2 --aging 1 || fail "switch set s2 --aging 1 was refused by a running vswitchd"
aged=
for _ in $(seq 40); do
	[ "$(macs s2)" = 0 ] && { aged=1; break; }
	sleep 0.2
done
[ -n "$aged" ] || fail "s2 still has $(macs s2) MACs 8 s after its aging went to 1 s"
ctl switch set s2 --fdb-size 100 2>"$work/err.txt" && fail "a new MAC table size was accepted live"
grep -q "a running switch keeps its MAC table size" "$work/err.txt" ||
	fail "the refusal does not say why: $(cat "$work/err.txt")"
ctl show | grep -A3 "^Switch s2" | grep -q "aging: 1s" || fail "show does not say s2's aging"
ip netns exec "hvlc$$" ping -c 2 -W 2 "${IP[d]}" >/dev/null || fail "no ping c -> d after aging"
echo "ok: aging set to 1 s on a running switch forgets its MACs; a new table size is refused"

# ---- restarts: the assignment is kept; without its lcore, the switch still runs ----
stop_vswitchd
start_vswitchd --lcores 0@0,1@1,2@1
[ "$(port_lcore pa)" = "$l2" ] || fail "after a restart pa is polled by $(port_lcore pa), not $l2"
ctl show | grep -A3 "^Switch s2" | grep -q "aging: 1s" || fail "a restart lost s2's aging"
ip netns exec "hvla$$" ping -c 3 -W 2 "${IP[b]}" >/dev/null || fail "no ping after the restart"
stop_vswitchd
start_vswitchd -l 0,1
ctl show | grep -A2 "^Switch s1" | grep -q "lcore: $l2" ||
	fail "a restart without lcore $l2 lost s1's setting"
if [ "$l2" != 1 ]; then
	[ "$(port_lcore pa)" = 1 ] || fail "without lcore $l2, pa is not polled by lcore 1"
	grep -q "switch s1: lcore $l2 runs no worker now" "$work/vswitchd.log" ||
		fail "the log does not say s1 runs elsewhere"
fi
ip netns exec "hvla$$" ping -c 3 -W 2 "${IP[b]}" >/dev/null || fail "no ping on one worker"
echo "ok: restarts keep the assignment; without its lcore the switch runs on another"
echo "all lcore checks passed"
