#!/usr/bin/env bash
# vswitchd's per-port policy and its views, with real traffic: three Linux
# network namespaces joined to an external switch through veth pairs and
# af_packet uplinks.
#   - port ACLs: deny, a longer allow beating it, meter counting, and a
#     stateful extended ACL letting only the return traffic in;
#   - a mirror to a third port, read back by tshark;
#   - a capture through vswitchctl into a pcapng file, read back by tshark;
#   - max-bps shaping takes effect (counted), min-weight is accepted;
#   - an eBPF filtering extension dropping UDP to port 9 and nothing else;
#   - DPDK telemetry answering with the port counters and the memory;
#   - a restart keeps ACLs, mirrors and extensions, and they still act.
#
# usage: vswitch-policy.sh VSWITCHD VSWITCHCTL BPF_DROP_UDP_PORT_O
set -uo pipefail

vswitchd=${1:?usage: vswitch-policy.sh VSWITCHD VSWITCHCTL BPF_OBJECT}
vswitchctl=${2:?vswitchctl}
bpf_obj=$(realpath "${3:?the drop_udp_port eBPF object}")

source "$(dirname "$0")/vsw-lib.sh"
vsw_need_netns hvp
for tool in tshark tcpdump python3 ethtool; do
	command -v $tool >/dev/null || { echo "SKIP: $tool is not installed (scripts/install-deps installs it)"; exit 77; }
done

work=$(mktemp -d /tmp/hvnet-vsw-policy.XXXXXX)
prefix=hvp$$
pid=
declare -A NS=([a]=hvpA$$ [b]=hvpB$$ [c]=hvpC$$) HOST=([a]=hpA$$ [b]=hpB$$ [c]=hpC$$)
declare -A IP=([a]=10.78.0.1 [b]=10.78.0.2 [c]=10.78.0.3)

cleanup() {
	vsw_cleanup "${NS[a]}:${HOST[a]}" "${NS[b]}:${HOST[b]}" "${NS[c]}:${HOST[c]}"
}
trap cleanup EXIT

counter() {  # PORT NAME
	ctl --format json stats "$1" | grep -o "\"$2\": *[0-9]*" | grep -o '[0-9]*$'
}


ping_ok() {  # FROM TO
	ip netns exec "${NS[$1]}" ping -c 2 -i 0.2 -W 1 -q "${IP[$2]}" >/dev/null 2>&1
}

for k in a b c; do
	ip netns add "${NS[$k]}"
	ip link add "${HOST[$k]}" type veth peer name v0 netns "${NS[$k]}"
	ip link set "${HOST[$k]}" up
	ip -n "${NS[$k]}" link set lo up
	ip -n "${NS[$k]}" link set v0 up
	ip -n "${NS[$k]}" addr add "${IP[$k]}/24" dev v0
	# See vswitch-netns.sh: nothing on a veth path fills in offloaded checksums.
	ip netns exec "${NS[$k]}" ethtool -K v0 tx off >/dev/null 2>&1 ||
		fail "ethtool cannot turn transmit checksum offload off"
done
# Static neighbours: ARP is not what these checks are about, and C (the
# mirror's analyser) must not answer for anybody.
for k in a b; do
	for o in a b; do
		[ $k = $o ] && continue
		mac=$(ip -n "${NS[$o]}" link show v0 | awk '/link\/ether/ {print $2}')
		ip -n "${NS[$k]}" neigh replace "${IP[$o]}" lladdr "$mac" dev v0 nud permanent
	done
done

start_vswitchd
ctl switch create sw0 --type external || fail "switch create"
i=0
for k in a b c; do
	ctl port add sw0 "p$k" --uplink "net_af_packet$i,iface=${HOST[$k]}" || fail "port add p$k"
	i=$((i + 1))
done
ping_ok a b || fail "no ping across the switch"
echo "ok: ping a -> b"

# ---- plain ACLs: deny the /24, allow b's /32 (longest prefix wins), meter ----
ctl port acl pa add --action deny --direction outbound --remote-ip 10.78.0.0/24 || fail "acl deny"
ping_ok a b && fail "a deny ACL let a's pings out"
[ "$(counter pa drop_acl)" -gt 0 ] || fail "ACL drops are not counted on pa"
ctl port acl pa add --action allow --direction outbound --remote-ip 10.78.0.2/32 || fail "acl allow"
ping_ok a b || fail "the longer allow prefix did not win over the deny"
ctl port acl pb add --action meter --direction inbound --remote-ip 10.78.0.1 || fail "acl meter"
ping_ok a b || fail "a meter ACL stopped traffic"
[ "$(counter pb acl0_bytes)" -gt 0 ] || fail "the meter counted nothing: $(ctl stats pb)"
ctl port acl pa delete --direction outbound --remote-ip 10.78.0.0/24 || fail "acl delete"
ctl port acl pa delete --direction outbound --remote-ip 10.78.0.2/32 || fail "acl delete"
ctl port acl pb delete --direction inbound --remote-ip 10.78.0.1 || fail "acl delete meter"
echo "ok: ACL deny, longest prefix allow, meter"

# ---- a policy of 10,000 ACLs loaded in one transaction, then replaced ----
python3 -c '
for i in range(9999):
    print(f"--action deny --direction outbound --remote-ip 172.{16 + (i >> 8)}.{i & 255}.0/24")
print("--action deny --direction outbound --remote-ip 10.78.0.2/32")' >"$work/big.acl"
ctl port acl pa load "$work/big.acl" || fail "loading 10,000 ACLs"
[ "$(ctl port acl pa list | wc -l)" = 10000 ] || fail "pa does not list 10,000 ACLs"
ping_ok a b && fail "the last of 10,000 loaded ACLs did not deny"
ctl port acl pa load - --replace </dev/null || fail "load --replace of nothing"
ping_ok a b || fail "traffic did not come back once the loaded ACLs were replaced by none"
echo "ok: 10,000 ACLs loaded and enforced in one transaction, then replaced"

# ---- extended ACLs: b takes no UDP in, but what b starts comes back ----
# udp_probe NS BIND_PORT [DEST_IP DEST_PORT]: binds, optionally sends one
# datagram, then prints what arrives within 1.5 s ("none" if nothing).
udp_probe() {
	ip netns exec "${NS[$1]}" python3 - "$2" "${3:-}" "${4:-0}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.settimeout(1.5)
if sys.argv[2]:
    s.sendto(b"probe", (sys.argv[2], int(sys.argv[3])))
try:
    data, peer = s.recvfrom(100)
    # An answer goes back to where the datagram came from.
    s.sendto(b"reply", peer)
    print("%s:%d" % peer)
except socket.timeout:
    print("none")
PY
}
ctl port acl pb add --weight 10 --action deny --direction inbound --protocol udp ||
	fail "extended deny"
udp_probe b 7000 >"$work/b.out" &
ppid=$!
sleep 0.3
udp_probe a 7001 "${IP[b]}" 7000 >/dev/null
wait $ppid
[ "$(cat "$work/b.out")" = none ] || fail "an inbound UDP deny let a's datagram reach b"
ctl port acl pb add --weight 20 --action allow --direction outbound --protocol udp \
	--stateful on || fail "extended stateful allow"
# b starts a session with a; a's answer (the return traffic) gets in.
udp_probe a 7001 >"$work/a.out" &
ppid=$!
sleep 0.3
ip netns exec "${NS[b]}" python3 -c "import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(('0.0.0.0',7000)); s.settimeout(1.5)
s.sendto(b'hello',('${IP[a]}',7001))
try: print(s.recvfrom(100)[0].decode())
except socket.timeout: print('none')" >"$work/b.out"
wait $ppid
[ "$(cat "$work/a.out")" = "${IP[b]}:7000" ] || fail "b's datagram did not reach a: $(cat "$work/a.out")"
[ "$(cat "$work/b.out")" = reply ] || fail "the stateful allow did not let a's answer back in"
# The same ports are a session; another source port is not.
udp_probe b 7000 >"$work/b.out" &
ppid=$!
sleep 0.3
udp_probe a 7002 "${IP[b]}" 7000 >/dev/null
wait $ppid
[ "$(cat "$work/b.out")" = none ] || fail "the stateful allow let an unsolicited datagram in"
ctl port acl pb delete --weight 10 --direction inbound || fail "delete weight 10"
ctl port acl pb delete --weight 20 --direction outbound || fail "delete weight 20"
ping_ok a b || fail "traffic did not come back after the ACLs went"
echo "ok: extended ACLs by weight, stateful return traffic"

# ---- a mirror of what a sends, to c, read by tshark in c ----
ctl mirror add sw0 m0 --output pc --select-src pa || fail "mirror add"
# tcpdump captures (it starts fast), tshark reads.
ip netns exec "${NS[c]}" timeout 5 tcpdump -i v0 -n -w "$work/mirror.pcapng" \
	>"$work/tcpdump.log" 2>&1 &
tpid=$!
for _ in $(seq 50); do grep -q "listening on" "$work/tcpdump.log" && break; sleep 0.1; done
ip netns exec "${NS[a]}" ping -c 5 -i 0.2 -q "${IP[b]}" >/dev/null 2>&1 || fail "ping under a mirror"
sleep 0.5
kill $tpid 2>/dev/null
wait $tpid 2>/dev/null
req=$(tshark -r "$work/mirror.pcapng" -Y "icmp.type == 8 && ip.src == ${IP[a]}" 2>/dev/null | wc -l)
rep=$(tshark -r "$work/mirror.pcapng" -Y "icmp.type == 0" 2>/dev/null | wc -l)
[ "$req" -eq 5 ] || fail "the mirror showed $req of a's 5 echo requests"
[ "$rep" -eq 0 ] || fail "the mirror copied $rep replies, which a did not send"
[ "$(counter pc mirrored)" -ge 5 ] || fail "pc does not count the mirrored copies"
ctl mirror delete m0 || fail "mirror delete"
echo "ok: mirror to a port, read back by tshark ($req requests, no replies)"

# ---- capture into a pcapng file, and to standard output ----
ctl capture start pb --file "$work/cap.pcapng" --count 6 || fail "capture start"
ip netns exec "${NS[a]}" ping -c 4 -i 0.2 -q "${IP[b]}" >/dev/null 2>&1
for _ in $(seq 50); do
	grep -q "port pb: capture ended" "$work/vswitchd.log" && break
	sleep 0.1
done
grep -q "port pb: capture ended: 6 frame" "$work/vswitchd.log" || fail "the capture did not end after 6 frames"
n=$(tshark -r "$work/cap.pcapng" 2>/dev/null | wc -l)
[ "$n" -eq 6 ] || fail "tshark read $n frames from the capture, not 6"
tshark -r "$work/cap.pcapng" -T fields -e frame.interface_name 2>/dev/null | sort -u | grep -qx pb ||
	fail "the capture's interface is not named pb"
tshark -r "$work/cap.pcapng" -Y "icmp.type == 8" 2>/dev/null | grep -q "${IP[a]}" ||
	fail "the capture lacks a's echo requests"
(ctl capture start pa --file - --count 4 --direction outbound | tshark -r - 2>/dev/null >"$work/pipe.txt") &
cpid=$!
sleep 0.5
ip netns exec "${NS[a]}" ping -c 4 -i 0.2 -q "${IP[b]}" >/dev/null 2>&1
wait $cpid
[ "$(wc -l <"$work/pipe.txt")" -eq 4 ] || fail "a capture piped to tshark gave $(wc -l <"$work/pipe.txt") frames, not 4"
echo "ok: captures into a pcapng file and through a pipe, read by tshark"

# ---- qos: a shaped port is counted as such; weights are taken ----
ctl port qos pa --max-bps 200k --min-weight 20 || fail "port qos"
ip netns exec "${NS[a]}" ping -c 150 -i 0.005 -s 1400 -q "${IP[b]}" >/dev/null 2>&1
[ "$(counter pa shaped_rounds)" -gt 0 ] || fail "200 kb/s did not shape 150 x 1442-byte pings in 0.75 s (bucket 97 KB)"
ctl port qos pa --max-bps 0 --min-weight 0 || fail "port qos off"
ping_ok a b || fail "no ping after the bandwidth limit went"
echo "ok: max-bps shapes (counted), min-weight accepted"

# ---- an eBPF filtering extension: UDP to port 9 dropped, port 10 not ----
ctl extension add sw0 nodiscard --type filter --module "$bpf_obj" || fail "extension add"
udp_to_b() {  # PORT
	ip netns exec "${NS[a]}" python3 -c "import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for i in range(5): s.sendto(b'x'*32,('${IP[b]}',int(sys.argv[1])))" "$1"
}
ip netns exec "${NS[b]}" timeout 5 tcpdump -i v0 -n -c 100 -w "$work/udp.pcap" udp \
	>"$work/tcpdump2.log" 2>&1 &
tpid=$!
for _ in $(seq 50); do grep -q "listening on" "$work/tcpdump2.log" && break; sleep 0.1; done
udp_to_b 9
udp_to_b 10
sleep 1
kill $tpid 2>/dev/null
wait $tpid 2>/dev/null
d9=$(tcpdump -r "$work/udp.pcap" -n 'udp dst port 9' 2>/dev/null | wc -l)
d10=$(tcpdump -r "$work/udp.pcap" -n 'udp dst port 10' 2>/dev/null | wc -l)
[ "$d9" -eq 0 ] || fail "the eBPF filter let $d9 datagrams to port 9 through"
[ "$d10" -eq 5 ] || fail "the eBPF filter passed $d10 of 5 datagrams to port 10"
[ "$(counter pa drop_extension)" -eq 5 ] || fail "drop_extension on pa is not 5: $(ctl stats pa)"
ctl extension disable sw0 nodiscard || fail "extension disable"
echo "ok: eBPF filter extension (port 9 dropped, port 10 delivered), disabled again"


# ---- reordering: two copies of the filter; whichever is first drops ----
ctl extension add sw0 nodiscard2 --type filter --module "$bpf_obj" || fail "extension add 2"
ext_dropped() {  # NAME
	telemetry /hvnet/extensions,sw0 | python3 -c "import json,sys
print(json.load(sys.stdin)['/hvnet/extensions']['$1']['dropped'])"
}
n1=$(ext_dropped nodiscard)     # the 5 of the test above
udp_to_b 9
sleep 0.5
[ "$(ext_dropped nodiscard)" = "$n1" ] || fail "a disabled extension dropped frames"
[ "$(ext_dropped nodiscard2)" = 5 ] || fail "nodiscard2 dropped $(ext_dropped nodiscard2), not 5"
ctl extension enable sw0 nodiscard || fail "extension enable"
udp_to_b 9
sleep 0.5
[ "$(ext_dropped nodiscard)" = $((n1 + 5)) ] || fail "first in order, nodiscard did not drop the 5"
[ "$(ext_dropped nodiscard2)" = 5 ] || fail "second in order, nodiscard2 saw what the first dropped"
ctl extension move sw0 nodiscard2 --position 1 || fail "extension move"
ctl extension list sw0 | head -1 | grep -q nodiscard2 || fail "extension list does not show the new order"
udp_to_b 9
sleep 0.5
[ "$(ext_dropped nodiscard2)" = 10 ] || fail "moved first, nodiscard2 did not drop the next 5"
[ "$(ext_dropped nodiscard)" = $((n1 + 5)) ] || fail "moved second, nodiscard still dropped"
ctl extension delete sw0 nodiscard2 || fail "extension delete"
ctl extension disable sw0 nodiscard || fail "extension disable"
echo "ok: extensions reordered at run time (the first filter in order drops, telemetry counts)"

# ---- DPDK telemetry ----
tel=$(telemetry /hvnet/port_stats,pa /hvnet/memory /hvnet/ports) ||
	fail "cannot talk to vswitchd's telemetry socket"
echo "$tel" | python3 -c "import json,sys
t=json.load(sys.stdin)
st=t['/hvnet/port_stats']; mem=t['/hvnet/memory']; ports=t['/hvnet/ports']
assert st['rx_packets'] > 0, st
assert 'drop_acl' in st and st['drop_acl'] > 0, st
assert mem['mbuf_pools_kib'] > 0 and mem['fdb_kib'] > 0, mem
assert sorted(ports) == ['pa','pb','pc'], ports" || fail "telemetry answered wrongly: $tel"
echo "ok: telemetry: port counters, memory, ports"

# ---- a restart keeps the policy and it still acts ----
ctl port acl pa add --action deny --direction outbound --remote-ip 10.78.0.2 || fail "acl again"
ctl mirror add sw0 m1 --output pc --select-dst pb || fail "mirror again"
ctl extension enable sw0 nodiscard || fail "extension enable"
before=$(ctl --format json show)
stop_vswitchd
start_vswitchd
[ "$(ctl --format json show)" = "$before" ] || fail "the restart changed the configuration"
ping_ok a b && fail "the ACL did not survive the restart"
ctl port acl pa delete --direction outbound --remote-ip 10.78.0.2 || fail "acl delete after restart"
ping_ok a b || fail "no ping after the restart"
[ "$(counter pc mirrored)" -gt 0 ] || fail "the mirror did not survive the restart"
stop_vswitchd
echo "PASS"
