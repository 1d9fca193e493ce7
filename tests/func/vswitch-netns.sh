#!/usr/bin/env bash
# vswitchd with real traffic: two Linux network namespaces joined to an
# external switch through veth pairs and af_packet uplinks. ping across the
# switch; VLAN isolation (access 10 vs 20 cannot talk, 10 and 10 can); the
# counters vswitchctl reports; a restart under the same store keeps the
# configuration and traffic flows again; refused changes change nothing.
#
# The DHCP guard against a real dnsmasq answering from the guarded port,
# and the router guard against dnsmasq's real router advertisements.
#
# usage: vswitch-netns.sh VSWITCHD VSWITCHCTL
set -uo pipefail

vswitchd=${1:?usage: vswitch-netns.sh VSWITCHD VSWITCHCTL}
vswitchctl=${2:?vswitchctl}
probe=$(dirname "$0")/vsw_probe.py

source "$(dirname "$0")/vsw-lib.sh"
vsw_need_netns hvt

work=$(mktemp -d /tmp/hvnet-vsw-netns.XXXXXX)
prefix=hvn$$
A=hvtA$$
B=hvtB$$
hA=hvA$$
hB=hvB$$
pid=

cleanup() {
	[ -n "${dns_pid:-}" ] && kill "$dns_pid" 2>/dev/null
	vsw_cleanup "$A:$hA" "$B:$hB"
}
trap cleanup EXIT

can_ping() {  # from A to B's address
	ip netns exec "$A" ip neigh flush all 2>/dev/null
	ip netns exec "$A" ping -c 2 -i 0.2 -W 1 -q 10.77.0.2 >/dev/null 2>&1
}

for n in A B; do
	ns=${!n}
	host=h$n
	host=${!host}
	ip netns add "$ns"
	ip link add "$host" type veth peer name v0 netns "$ns"
	ip link set "$host" up
	ip -n "$ns" link set lo up
	ip -n "$ns" link set v0 up
	# A veth hands af_packet frames whose UDP/TCP checksums the sender
	# left to "hardware" (CHECKSUM_PARTIAL); nothing on the way computes
	# them, so the receiver would drop them. Real NICs and vNICs do.
	ip netns exec "$ns" ethtool -K v0 tx off >/dev/null 2>&1 ||
		fail "ethtool cannot turn transmit checksum offload off in $ns"
done
ip -n "$A" addr add 10.77.0.1/24 dev v0
ip -n "$B" addr add 10.77.0.2/24 dev v0

start_vswitchd
ctl switch create sw0 --type external || fail "switch create"
ctl port add sw0 pa --uplink "net_af_packet0,iface=$hA" || fail "port add pa"
ctl port add sw0 pb --uplink "net_af_packet1,iface=$hB" || fail "port add pb"
can_ping || fail "no ping across the switch"
echo "ok: ping across an external switch"

ctl port vlan pa --access 10 || fail "port vlan pa"
ctl port vlan pb --access 20 || fail "port vlan pb"
can_ping && fail "VLAN 10 reached VLAN 20"
echo "ok: access 10 and access 20 are isolated"
ctl port vlan pb --access 10 || fail "port vlan pb 10"
can_ping || fail "no ping within VLAN 10"
echo "ok: access 10 to access 10"

rx=$(ctl --format json stats pa | grep -o '"rx_packets": *[0-9]*' | grep -o '[0-9]*$')
[ "${rx:-0}" -gt 0 ] || fail "stats pa shows no received frames: $(ctl stats pa)"
ctl stats pa | grep -q "drop_bad_vlan" || fail "stats pa lacks per-reason drops"
echo "ok: counters ($rx frames received on pa)"

# The MAC spoofing guard: A's frames pass only with A's own MAC.
macA=$(ip -n "$A" link show v0 | awk '/link\/ether/ {print $2}')
ctl port security pa --mac-spoof-guard on --mac 02:00:00:00:99:99 || fail "port security"
can_ping && fail "a spoofed source MAC passed the guard"
[ "$(ctl --format json stats pa | grep -o '"drop_mac_spoof": *[0-9]*' | grep -o '[0-9]*$')" -gt 0 ] ||
	fail "the spoofing guard's drops are not counted"
ctl port security pa --mac "$macA" || fail "port security --mac"
can_ping || fail "A's own MAC did not pass the guard"
ctl port security pa --mac-spoof-guard off || fail "port security off"
echo "ok: MAC spoofing guard"

# The DHCP and router guards, against dnsmasq in B (behind pb): a DHCP
# server and an IPv6 router advertising fd77::/64.
if command -v dnsmasq >/dev/null; then
	ip -n "$B" addr add fd77::2/64 dev v0 nodad
	ip netns exec "$B" dnsmasq --no-daemon --port=0 --interface=v0 --bind-interfaces \
		--dhcp-range=10.77.0.100,10.77.0.150,255.255.255.0,1h --enable-ra \
		--dhcp-range=fd77::,ra-only --dhcp-leasefile="$work/leases" \
		--pid-file="$work/dnsmasq.pid" --log-facility="$work/dnsmasq.log" &
	dns_pid=$!
	sleep 2   # IPv6 link-local addresses finish duplicate address detection
	ip netns exec "$A" python3 "$probe" dhcp v0 5 >/dev/null ||
		fail "dnsmasq did not answer DHCP through an unguarded port"
	ip netns exec "$A" python3 "$probe" ra v0 5 >/dev/null ||
		fail "dnsmasq's router advertisement did not cross an unguarded port"
	ctl port security pb --dhcp-guard on --router-guard on || fail "port security pb"
	ip netns exec "$A" python3 "$probe" dhcp v0 3 >/dev/null &&
		fail "a DHCP server answered through the DHCP guard"
	ip netns exec "$A" python3 "$probe" ra v0 3 >/dev/null &&
		fail "a router advertisement crossed the router guard"
	stats=$(ctl --format json stats pb)
	for g in dhcp_guard router_guard; do
		n=$(echo "$stats" | grep -o "\"drop_$g\": *[0-9]*" | grep -o '[0-9]*$')
		[ "${n:-0}" -gt 0 ] || fail "drop_$g is not counted on pb"
	done
	can_ping || fail "the guards stopped ordinary traffic"
	ctl port security pb --dhcp-guard off --router-guard off || fail "port security pb off"
	kill "$dns_pid"
	wait "$dns_pid" 2>/dev/null
	dns_pid=
	echo "ok: DHCP guard against dnsmasq, router guard against its advertisements"
else
	echo "note: dnsmasq is not installed (scripts/install-deps installs it); guards not run"
fi

# Refused changes say why, exit 1 and change nothing.
before=$(ctl --format json show)
ctl port add nosuch px --uplink net_null0 >"$work/out" 2>&1
[ $? -eq 1 ] || fail "a port on a missing switch was not refused with status 1"
grep -qi "switch" "$work/out" || fail "the refusal does not say why: $(cat "$work/out")"
ctl port security pb --mac-spoof-guard on >"$work/out" 2>&1
[ $? -eq 1 ] || fail "a spoofing guard without the uplink's MAC was accepted"
ctl port vlan pa --access 5000 >/dev/null 2>&1
[ $? -eq 2 ] || fail "VLAN 5000 was not a usage error"
[ "$(ctl --format json show)" = "$before" ] || fail "a refused change changed the configuration"
echo "ok: refused changes change nothing"

stop_vswitchd
start_vswitchd
ctl show | grep -q pb || fail "the restart lost port pb"
can_ping || fail "no ping after a restart"
echo "ok: a restart keeps the configuration and traffic flows"

ctl port delete pb || fail "port delete"
ctl switch delete sw0 || fail "switch delete"
ctl --format json show | grep -q '"pa"' && fail "switch delete left its ports"
stop_vswitchd
echo "PASS"
