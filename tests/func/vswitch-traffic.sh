#!/usr/bin/env bash
# vswitchd under real traffic, beyond what vswitch-netns.sh covers: seven
# Linux network namespaces joined to one external switch through veth
# pairs and af_packet uplinks.
#
#   A  pa  access 10   10.10.0.1/8      C  pc  access 10   10.10.0.3/8
#   B  pb  access 20   10.20.0.2/8      E  pe  access 20   10.20.0.7/8
#   D  pd  access 30   10.30.0.5/8
#   T  pt  trunk 10,20 native 30: 10.30.0.4/24 untagged; as 10.10.0.4 in
#          VLAN 10 and 10.20.0.4 in VLAN 20 by tagged frames it crafts
#   U  pu  trunk 20,30, no native: as 10.20.0.6 and 10.30.0.6, crafted
#
# The trunk hosts craft their tagged frames (AF_PACKET) rather than use
# VLAN interfaces, so the test needs no 8021q module; captures see tags
# either way. The access hosts share one /8, so a VLAN leak would let a
# cross-VLAN ping succeed; the captures prove isolation frame by frame.
#
#  1. iperf3 TCP A -> C: completes with bytes, and the switch's counters
#     (pa rx_bytes, pc tx_bytes) account for at least 90% of them.
#  2. VLAN isolation by capture (tshark, else tcpdump) on every host's
#     interface while every host broadcasts ARP in each of its VLANs
#     (arping, or crafted and tagged on the trunks) and the access hosts
#     ping: no frame of VLAN X reaches a port outside X; every port gets
#     every VLAN it carries; trunks carry the right VIDs; the native VLAN
#     is untagged; access ports see no tags; cross-VLAN pings fail,
#     same-VLAN pings work.
#  3. Crafted frames (AF_PACKET from inside A and T) at the edges: cut or
#     impossible IPv4/IPv6/TCP headers, a tag on an access port, VID 4095,
#     a VID the trunk does not carry, giants (untagged above 1514, tagged
#     above 1518, without FCS); each is absent from C's capture and counted
#     under its drop reason on its ingress port (drop_malformed,
#     drop_bad_vlan, drop_giant), while the well-formed frames sent the same
#     way, at the size limits, arrive byte for byte. (IPv4 larger than the
#     MTU does not cross an af_packet uplink: DPDK 22.11's af_packet PMD
#     has the kernel reassemble fragments, PACKET_FANOUT_FLAG_DEFRAG, and
#     the datagram arrives as one giant; reported as a note.)
#  4. vswitchd killed (TERM) and restarted on the same store while A pings C
#     every 50 ms: the configuration is identical, and the same ping gets
#     replies again. Then pb flips VLANs back and forth (each setting
#     proven by traffic) while A pings C: not one reply is missing.
#
# usage: vswitch-traffic.sh VSWITCHD VSWITCHCTL
set -uo pipefail

vswitchd=${1:?usage: vswitch-traffic.sh VSWITCHD VSWITCHCTL}
vswitchctl=${2:?vswitchctl}

source "$(dirname "$0")/vsw-lib.sh"
missing=()
for t in python3 ethtool iperf3 arping sysctl; do
	command -v "$t" >/dev/null || missing+=("$t")
done
if command -v tshark >/dev/null; then
	capture_tool=tshark
elif command -v tcpdump >/dev/null; then
	capture_tool=tcpdump
else
	missing+=("tshark or tcpdump")
fi
if [ ${#missing[@]} -gt 0 ]; then
	echo "SKIP: missing ${missing[*]} (Debian: iperf3, iputils-arping, tshark or tcpdump)"
	exit 77
fi
vsw_need_netns hvt

work=$(mktemp -d /tmp/hvnet-vsw-traffic.XXXXXX)
prefix=hvr$$
hosts="A B C D E T U"
pid=
bg_pids=()

cleanup() {
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${bg_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	vsw_cleanup $(for h in $hosts; do echo "hvt$h$$:hv$h$$"; done)
}
trap cleanup EXIT
# A signal (meson's timeout sends TERM) ends the script through exit, so
# the EXIT trap cleans up.
trap 'exit 143' TERM
trap 'exit 130' INT HUP

ns() { echo "hvt$1$$"; }
nsx() {  # run in host $1's namespace
	local h=$1
	shift
	ip netns exec "$(ns "$h")" "$@"
}
# The same, for a background job: the job is the command itself (not a
# subshell waiting for it), so $! can be signalled and waited for.
nsx_bg() {
	local h=$1
	shift
	exec ip netns exec "$(ns "$h")" "$@"
}
mac_of() { nsx "$1" cat /sys/class/net/v0/address; }


# ---- the helper: crafted frames, pcap reading, counters ----
cat >"$work/helper.py" <<'EOF'
"""send IFACE SRCMAC DSTMAC SRCIP DSTIP OUTDIR NAME...: builds each named
frame, writes its bytes to OUTDIR/NAME and sends it on IFACE (AF_PACKET).
arp IFACE SRCMAC VID|- SRCIP TARGET: two broadcast ARP requests.
seen PCAP DIR NAME...: prints the NAMEs whose frame is in PCAP (802.1Q tags
ignored on both sides, every other byte compared).
vlans PCAP: one line per frame: 'TAG VLAN SUMMARY', TAG the 802.1Q VID or
'-', VLAN the one its sender's address belongs to (10.X.0.0 -> X) or '?'.
delta BEFORE AFTER NAME: the counter NAME's growth between two outputs of
`vswitchctl --format json stats PORT`, or 'missing'."""
import json
import socket
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, l4, ihl=5, tot=None, frag=0, ident=1, cut=None):
    h = bytearray(struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0,
                              tot if tot is not None else ihl * 4 + len(l4),
                              ident, frag, 64, proto, 0, socket.inet_aton(src),
                              socket.inet_aton(dst)))
    h += b'\x01' * (ihl * 4 - 20) if ihl >= 5 else b''
    h[10:12] = struct.pack('!H', csum(bytes(h)))
    d = bytes(h) + l4
    return d if cut is None else d[:cut]


def udp(payload, sport=40000, dport=9):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def ipv6(nh, payload, plen=None):
    return (struct.pack('!IHBB', 0x60000000,
                        plen if plen is not None else len(payload), nh, 64) +
            socket.inet_pton(socket.AF_INET6, 'fd00::1') +
            socket.inet_pton(socket.AF_INET6, 'fd00::3') + payload)


# name: (802.1Q VID or None, EtherType, L3 builder(src ip, dst ip, ident))
def pad_to(n, tagged=False):
    # A UDP datagram making an n-byte frame (without FCS).
    hdr = 14 + (4 if tagged else 0) + 20 + 8
    return lambda s, d, i: ipv4(s, d, 17, udp(b'hvnet-size-%d' % n +
                                             b'.' * (n - hdr - len(b'hvnet-size-%d' % n))),
                                ident=i)


FRAMES = {
    'ok_udp': (None, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b'hvnet ok'), ident=i)),
    # Sent last: once it is in the receiver's capture, so is everything
    # the switch forwarded from the same port before it.
    'sentinel': (None, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b'hvnet last'), ident=i)),
    't_sentinel': (10, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b'hvnet last'), ident=i)),
    'ok_1514': (None, 0x0800, pad_to(1514)),
    'giant_1515': (None, 0x0800, pad_to(1515)),
    'giant_1523': (None, 0x0800, pad_to(1523)),
    # The IPv4 header cut after 19 bytes.
    'v4_hdr_cut': (None, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b''), ident=i, cut=19)),
    # IHL 4: a header shorter than IPv4's minimum.
    'v4_ihl_lt5': (None, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b'x' * 8), ihl=4,
                                                      tot=36, ident=i)),
    # IHL 15 (60 bytes) in a 28-byte datagram.
    'v4_ihl_beyond': (None, 0x0800,
                      lambda s, d, i: b'\x4f' + ipv4(s, d, 17, udp(b''), ident=i)[1:]),
    # Total length 100 in a 28-byte frame payload.
    'v4_tot_beyond': (None, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b''), tot=100,
                                                         ident=i)),
    # TCP cut at 10 bytes by the total length.
    'v4_tcp_cut': (None, 0x0800, lambda s, d, i: ipv4(s, d, 6, b'\x9c\x40\0\x09' + b'\0' * 6,
                                                      ident=i)),
    # IPv6 payload length 100, 8 bytes there.
    'v6_plen_beyond': (None, 0x86dd, lambda s, d, i: ipv6(17, udp(b''), plen=100)),
    # IPv6 with 10 bytes of TCP.
    'v6_tcp_cut': (None, 0x86dd, lambda s, d, i: ipv6(6, b'\x9c\x40\0\x09' + b'\0' * 6)),
    # A tag on an access port.
    'tagged_access': (10, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b'tag on access'),
                                                       ident=i)),
    # Tagged and cut inside the tag: shorter than Ethernet + 802.1Q.
    'tagged_runt': (10, None, None),
    # From a trunk (tagged).
    't_ok_1518': (10, 0x0800, pad_to(1518, tagged=True)),
    't_giant_1519': (10, 0x0800, pad_to(1519, tagged=True)),
    't_vid4095': (4095, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b'vid 4095'), ident=i)),
    't_vid40': (40, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b'vid 40'), ident=i)),
    't_v4_tot_beyond': (10, 0x0800, lambda s, d, i: ipv4(s, d, 17, udp(b''), tot=100,
                                                         ident=i)),
}


def build(name, src_mac, dst_mac, src_ip, dst_ip):
    vid, et, l3 = FRAMES[name]
    f = bytes.fromhex(dst_mac.replace(':', '')) + bytes.fromhex(src_mac.replace(':', ''))
    if name == 'tagged_runt':
        return f + b'\x81\x00\x00'
    if vid is not None:
        f += struct.pack('!HH', 0x8100, vid)
    ident = 0x4000 + sorted(FRAMES).index(name)
    return f + struct.pack('!H', et) + l3(src_ip, dst_ip, ident)


def untag(f):
    if len(f) >= 18 and f[12:14] == b'\x81\x00':
        return f[:12] + f[16:]
    return f


def pcap_frames(path):
    with open(path, 'rb') as fh:
        data = fh.read()
    if len(data) < 24:
        return []
    magic = data[:4]
    if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
        e = '<'
    elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
        e = '>'
    else:
        raise SystemExit('%s: not a pcap file' % path)
    if struct.unpack(e + 'I', data[20:24])[0] != 1:
        raise SystemExit('%s: not Ethernet' % path)
    out, off = [], 24
    while off + 16 <= len(data):
        incl, orig = struct.unpack(e + 'II', data[off + 8:off + 16])
        out.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return out


def vlan_of(f):
    tag, et, p = '-', None, 14
    if len(f) >= 18 and f[12:14] == b'\x81\x00':
        tag = str(struct.unpack('!H', f[14:16])[0] & 0xfff)
        p = 18
    if len(f) < p:
        return tag, '?', 'runt'
    et = struct.unpack('!H', f[p - 2:p])[0]
    src = None
    if et == 0x0806 and len(f) >= p + 18:
        src = f[p + 14:p + 18]
        what = 'ARP %s' % ('request' if f[p + 7] == 1 else 'reply')
    elif et == 0x0800 and len(f) >= p + 20:
        src = f[p + 12:p + 16]
        what = 'IPv4 proto %d' % f[p + 9]
    else:
        what = 'EtherType 0x%04x' % et
    if src is None or src[0] != 10:
        return tag, '?', what + ' ' + f[:64].hex()
    return tag, str(src[1]), '%s from %s' % (what, socket.inet_ntoa(src))


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == 'send':
        iface, smac, dmac, sip, dip, outdir = a[:6]
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        for name in a[6:]:
            f = build(name, smac, dmac, sip, dip)
            with open('%s/%s' % (outdir, name), 'wb') as fh:
                fh.write(f)
            try:
                s.send(f)
            except OSError as e:
                print('%s: not sent (%d bytes): %s' % (name, len(f), e), file=sys.stderr)
                return 1
        return 0
    if cmd == 'arp':
        # Two broadcast ARP requests, tagged unless VID is '-'.
        iface, smac, vid, sip, tip = a
        mac = bytes.fromhex(smac.replace(':', ''))
        f = b'\xff' * 6 + mac
        if vid != '-':
            f += struct.pack('!HH', 0x8100, int(vid))
        f += (struct.pack('!HHHBBH', 0x0806, 1, 0x0800, 6, 4, 1) + mac +
              socket.inet_aton(sip) + b'\0' * 6 + socket.inet_aton(tip))
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((iface, 0))
        for _ in range(2):
            s.send(f)
        return 0
    if cmd == 'seen':
        got = {untag(f) for f in pcap_frames(a[0])}
        for name in a[2:]:
            with open('%s/%s' % (a[1], name), 'rb') as fh:
                if untag(fh.read()) in got:
                    print(name)
        return 0
    if cmd == 'vlans':
        for f in pcap_frames(a[0]):
            print(*vlan_of(f))
        return 0
    if cmd == 'delta':
        v = []
        for path in a[:2]:
            with open(path) as fh:
                (st,) = json.load(fh)['result']['stats']
            v.append(st['counters'].get(a[2]))
        print('missing' if None in v else v[1] - v[0])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


sys.exit(main())
EOF
helper() { python3 "$work/helper.py" "$@"; }

# The counters of each PORT now, as $work/stats-TAG-PORT.json.
snap() {  # TAG PORT...
	local tag=$1 p
	shift
	for p in "$@"; do
		ctl --format json stats "$p" >"$work/stats-$tag-$p.json" 2>&1 ||
			fail "stats $p: $(cat "$work/stats-$tag-$p.json")"
	done
}
# How much PORT's counter NAME grew from snapshot TAG1 to TAG2.
delta() {  # TAG1 TAG2 PORT NAME
	helper delta "$work/stats-$1-$3.json" "$work/stats-$2-$3.json" "$4"
}


# ---- captures: one per host interface, frames the host receives ----
cap_pids=()
capture_start() {  # TAG HOST...: capture on each host's v0 into $work/TAG-HOST.pcap
	local tag=$1 h mac f
	shift
	cap_pids=()
	for h in "$@"; do
		mac=$(mac_of "$h")
		f=$work/$tag-$h
		# Inbound only: what the switch sent the host, not what it sent.
		if [ "$capture_tool" = tshark ]; then
			nsx_bg "$h" tshark -q -i v0 -F pcap -w "$f.pcap" -f "not ether src $mac" \
				>"$f.log" 2>&1 &
		else
			nsx_bg "$h" tcpdump -n -U -i v0 -w "$f.pcap" "not ether src $mac" \
				>"$f.log" 2>&1 &
		fi
		cap_pids+=("$!")
		bg_pids+=("$!")
	done
	for h in "$@"; do
		f=$work/$tag-$h
		for _ in $(seq 100); do
			grep -qE "Capturing on|listening on" "$f.log" 2>/dev/null && break
			sleep 0.1
		done
		grep -qE "Capturing on|listening on" "$f.log" ||
			fail "$capture_tool did not start on $h: $(cat "$f.log")"
	done
}
# Stop only once what the test waits for is in the files (the callers
# poll for it): a capture stopped early would miss frames, not fail.
capture_stop() {
	local p
	# TERM, not INT: background jobs of a script start with INT ignored.
	for p in "${cap_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${cap_pids[@]}"; do
		wait "$p" 2>/dev/null
	done
	cap_pids=()
}

# ---- the namespaces and the switch ----
for h in $hosts; do
	n=$(ns "$h")
	host=hv$h$$
	ip netns add "$n" || fail "ip netns add $n"
	ip link add "$host" type veth peer name v0 netns "$n" || fail "veth for $h"
	# IPv6 off on both ends: every frame in the captures is then ARP or
	# IPv4 and names its VLAN by its sender's address.
	sysctl -qw "net.ipv6.conf.$host.disable_ipv6=1"
	nsx "$h" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	nsx "$h" sysctl -qw net.ipv6.conf.v0.disable_ipv6=1
	# Room for the giants the test sends (the switch must drop them,
	# not the veth in front of it); the af_packet ring takes 2 KB frames.
	ip link set "$host" mtu 2000 up
	ip -n "$n" link set lo up
	ip -n "$n" link set v0 mtu 2000 up
	# Checksums are computed by the sender (a veth hands af_packet frames
	# whose checksums were left to "hardware"), and no segmentation or
	# aggregation: the af_packet ring carries frames as on a wire.
	for dev in "$host" ""; do
		if [ -n "$dev" ]; then
			ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1
		else
			nsx "$h" ethtool -K v0 tx off tso off gso off gro off >/dev/null 2>&1
		fi || fail "ethtool cannot turn offloads off for $h"
	done
done
# Access hosts: one /8, so only the switch keeps VLANs apart. MTU 1500
# except where giants are sent from (A, T).
ip -n "$(ns A)" addr add 10.10.0.1/8 dev v0
ip -n "$(ns B)" addr add 10.20.0.2/8 dev v0
ip -n "$(ns C)" addr add 10.10.0.3/8 dev v0
ip -n "$(ns D)" addr add 10.30.0.5/8 dev v0
ip -n "$(ns E)" addr add 10.20.0.7/8 dev v0
ip -n "$(ns T)" addr add 10.30.0.4/24 dev v0
for h in B C D E U; do
	ip -n "$(ns "$h")" link set v0 mtu 1500
done

start_vswitchd
ctl switch create sw0 --type external || fail "switch create"
i=0
for h in $hosts; do
	p=p$(echo "$h" | tr 'A-Z' 'a-z')
	ctl port add sw0 "$p" --uplink "net_af_packet$i,iface=hv$h$$" || fail "port add $p"
	i=$((i + 1))
done
ctl port vlan pa --access 10 || fail "vlan pa"
ctl port vlan pb --access 20 || fail "vlan pb"
ctl port vlan pc --access 10 || fail "vlan pc"
ctl port vlan pd --access 30 || fail "vlan pd"
ctl port vlan pe --access 20 || fail "vlan pe"
ctl port vlan pt --trunk 10,20 --native 30 || fail "vlan pt"
ctl port vlan pu --trunk 20,30 || fail "vlan pu"

# Every same-VLAN pair that the tests below rely on talks.
ping_ok() {  # HOST ADDRESS
	nsx "$1" ping -c 2 -i 0.2 -W 2 -q "$2" >/dev/null 2>&1
}
ping_ok A 10.10.0.3 || fail "A cannot ping C (access 10 to access 10)"
echo "ok: switch up, seven namespaces attached"

# ---- 1. iperf3 TCP across the switch ----
nsx_bg C iperf3 -s -1 -B 10.10.0.3 >"$work/iperf3-server.log" 2>&1 &
srv=$!
bg_pids+=("$srv")
for _ in $(seq 50); do
	nsx C ss -ltn 2>/dev/null | grep -q ':5201 ' && break
	sleep 0.1
done
snap iperf0 pa pc
nsx A iperf3 -c 10.10.0.3 -t 3 -J >"$work/iperf3.json" 2>"$work/iperf3.err" ||
	fail "iperf3 A -> C failed: $(cat "$work/iperf3.err"; tail -20 "$work/iperf3.json")"
wait "$srv" 2>/dev/null
snap iperf1 pa pc
read -r sent recvd < <(python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["end"]
print(e["sum_sent"]["bytes"], e["sum_received"]["bytes"])' "$work/iperf3.json") ||
	fail "iperf3's JSON has no totals: $(tail -20 "$work/iperf3.json")"
[ "$sent" -gt 0 ] && [ "$recvd" -gt 0 ] || fail "iperf3 moved no bytes (sent $sent, received $recvd)"
drx=$(delta iperf0 iperf1 pa rx_bytes)
dtx=$(delta iperf0 iperf1 pc tx_bytes)
[ "$drx" != missing ] && [ "$dtx" != missing ] ||
	fail "stats lack rx_bytes or tx_bytes: $(cat "$work/stats-iperf1-pa.json")"
echo "iperf3: $sent bytes sent, $recvd received; switch: pa rx $drx bytes, pc tx $dtx bytes"
# Frames carry the TCP payload plus headers: the switch's bytes cover at
# least 90% of iperf3's (less would mean frames counted nowhere), and not
# wildly more (that would be counting something twice).
[ $((drx * 10)) -ge $((sent * 9)) ] || fail "pa counted $drx bytes received, iperf3 sent $sent"
[ $((dtx * 10)) -ge $((recvd * 9)) ] || fail "pc counted $dtx bytes sent, iperf3 received $recvd"
[ "$drx" -le $((sent * 2 + 1000000)) ] || fail "pa counted $drx bytes for iperf3's $sent"
[ "$dtx" -le $((recvd * 2 + 1000000)) ] || fail "pc counted $dtx bytes for iperf3's $recvd"
echo "ok: iperf3 TCP across the switch; the counters agree"

# ---- 2. VLAN isolation, by capture ----
capture_start vlan $hosts
# Broadcasts in every VLAN from every member (arping only broadcasts
# with -b; the trunks' tagged ones are crafted), then pings: same VLAN
# must work, across VLANs must not.
arp_pids=()
arp_what=()
arp() {  # HOST TARGET: the target (in the same VLAN) must answer
	nsx_bg "$1" arping -q -b -c 2 -w 2 -I v0 "$2" >/dev/null 2>&1 &
	arp_pids+=("$!")
	bg_pids+=("$!")
	arp_what+=("$1's ARP for $2 got no answer")
}
arp_tagged() {  # HOST VID SOURCE TARGET
	nsx_bg "$1" python3 "$work/helper.py" arp v0 "$(mac_of "$1")" "$2" "$3" "$4" &
	arp_pids+=("$!")
	bg_pids+=("$!")
	arp_what+=("$1 could not send its ARP in VLAN $2")
}
arp A 10.10.0.3
arp C 10.10.0.1
arp B 10.20.0.7
arp E 10.20.0.2
arp D 10.30.0.4
arp T 10.30.0.5
arp_tagged T 10 10.10.0.4 10.10.0.1
arp_tagged T 20 10.20.0.4 10.20.0.2
arp_tagged U 20 10.20.0.6 10.20.0.7
arp_tagged U 30 10.30.0.6 10.30.0.5
for i in "${!arp_pids[@]}"; do
	wait "${arp_pids[$i]}" || fail "${arp_what[$i]}"
done
ping_pids=()
pings=("A 10.10.0.3" "C 10.10.0.1" "B 10.20.0.7" "E 10.20.0.2" "D 10.30.0.4" "T 10.30.0.5")
for pr in "${pings[@]}"; do
	set -- $pr
	ping_ok "$1" "$2" &
	ping_pids+=("$!")
	bg_pids+=("$!")
done
# Across VLANs, on one /8: only a leak could answer.
nopings=("A 10.20.0.2" "A 10.30.0.5" "C 10.20.0.7" "B 10.30.0.5" "D 10.10.0.1" "E 10.10.0.3")
for pr in "${nopings[@]}"; do
	set -- $pr
	nsx_bg "$1" ping -c 2 -i 0.2 -W 1 -q "$2" >/dev/null 2>&1 &
	ping_pids+=("$!")
	bg_pids+=("$!")
done
n=0
for p in "${ping_pids[@]}"; do
	wait "$p"
	rc=$?
	if [ $n -lt ${#pings[@]} ]; then
		[ $rc -eq 0 ] || fail "no ping within a VLAN: ${pings[$n]}"
	else
		[ $rc -ne 0 ] || fail "a ping crossed VLANs: ${nopings[$((n - ${#pings[@]}))]}"
	fi
	n=$((n + 1))
done

# What each host may receive: VLAN -> the tag it must carry ('-': none).
declare -A allow=(
	[A]="10:-" [C]="10:-" [B]="20:-" [E]="20:-" [D]="30:-"
	[T]="10:10 20:20 30:-" [U]="20:20 30:30"
)
# Each VLAN the port carries reached it, with its tag: the broadcasts of
# every other member (and the capture really saw the traffic).
all_vlans_seen() {  # HOST
	local a
	helper vlans "$work/vlan-$1.pcap" >"$work/vlan-$1.txt" 2>/dev/null || return 1
	for a in ${allow[$1]}; do
		grep -q "^${a#*:} ${a%%:*} ARP request" "$work/vlan-$1.txt" || return 1
	done
}
for h in $hosts; do
	for _ in $(seq 100); do
		all_vlans_seen "$h" && break
		sleep 0.1
	done
done
capture_stop
for h in $hosts; do
	helper vlans "$work/vlan-$h.pcap" >"$work/vlan-$h.txt" || fail "cannot read $h's capture"
	[ -s "$work/vlan-$h.txt" ] || fail "$h's capture is empty: $(cat "$work/vlan-$h.log")"
	while read -r tag vlan what; do
		ok=
		for a in ${allow[$h]}; do
			[ "$vlan:$tag" = "$a" ] && ok=1
		done
		[ -n "$ok" ] || fail "$h (allowed ${allow[$h]}) received a frame of VLAN $vlan" \
			"with tag $tag: $what"
	done <"$work/vlan-$h.txt"
	for a in ${allow[$h]}; do
		v=${a%%:*}
		t=${a#*:}
		grep -q "^$t $v ARP request" "$work/vlan-$h.txt" ||
			fail "$h never received VLAN $v's broadcasts with tag $t"
	done
	echo "  $h: $(wc -l <"$work/vlan-$h.txt") frames, VLANs ${allow[$h]} (VLAN:tag)"
done
echo "ok: VLAN isolation by capture ($capture_tool): no frame outside its VLAN, trunk tags right, native untagged"

# ---- 3. crafted frames at the switch's edges ----
macA=$(mac_of A)
macC=$(mac_of C)
macT=$(mac_of T)
mkdir -p "$work/sent"
snap edge0 pa pt
capture_start edge C
from_a_ok="ok_udp ok_1514"
# Not among them: an IPv4 first fragment too short for its TCP header.
# DPDK's af_packet PMD asks the kernel to reassemble IPv4 before the
# switch sees it (PACKET_FANOUT_FLAG_DEFRAG), so a lone fragment never
# reaches the switch through this uplink; tests/unit/test_vsw_parse.c
# covers it.
from_a_bad="v4_hdr_cut v4_ihl_lt5 v4_ihl_beyond v4_tot_beyond v4_tcp_cut
            v6_plen_beyond v6_tcp_cut tagged_access giant_1515 giant_1523"
from_t_ok="t_ok_1518"
from_t_bad="t_giant_1519 t_vid4095 t_vid40 t_v4_tot_beyond"
# shellcheck disable=SC2086
nsx A python3 "$work/helper.py" send v0 "$macA" "$macC" 10.10.0.1 10.10.0.3 "$work/sent" \
	$from_a_ok $from_a_bad || fail "cannot send crafted frames from A"
# shellcheck disable=SC2086
nsx T python3 "$work/helper.py" send v0 "$macT" "$macC" 10.10.0.4 10.10.0.3 "$work/sent" \
	$from_t_ok $from_t_bad || fail "cannot send crafted frames from T"
# A frame shorter than Ethernet + its tag: the kernel may not let it
# reach the switch at all (see below).
nsx A python3 "$work/helper.py" send v0 "$macA" "$macC" 10.10.0.1 10.10.0.3 "$work/sent" \
	tagged_runt 2>"$work/runt.err"
# Each port's frames are taken in order: once both sentinels are in C's
# capture, so is everything the switch forwarded before them.
nsx A python3 "$work/helper.py" send v0 "$macA" "$macC" 10.10.0.1 10.10.0.3 "$work/sent" \
	sentinel || fail "cannot send the sentinel from A"
nsx T python3 "$work/helper.py" send v0 "$macT" "$macC" 10.10.0.4 10.10.0.3 "$work/sent" \
	t_sentinel || fail "cannot send the sentinel from T"
for _ in $(seq 100); do
	[ "$(helper seen "$work/edge-C.pcap" "$work/sent" sentinel t_sentinel | wc -l)" -eq 2 ] &&
		break
	sleep 0.1
done
[ "$(helper seen "$work/edge-C.pcap" "$work/sent" sentinel t_sentinel | wc -l)" -eq 2 ] ||
	fail "the sentinels from A and T did not reach C's capture in 10 s"
capture_stop
snap edge1 pa pt
# shellcheck disable=SC2086
seen=$(helper seen "$work/edge-C.pcap" "$work/sent" $from_a_ok $from_a_bad $from_t_ok \
	$from_t_bad tagged_runt | tr '\n' ' ')
for f in $from_a_ok $from_t_ok; do
	case " $seen " in
	*" $f "*) ;;
	*) fail "the well-formed frame $f did not reach C (C got: $seen)" ;;
	esac
done
errors=()
for f in $from_a_bad $from_t_bad tagged_runt; do
	case " $seen " in
	*" $f "*) errors+=("the switch forwarded $f to C") ;;
	esac
done
[ ${#errors[@]} -eq 0 ] &&
	echo "ok: well-formed frames at the size limits arrive, crafted ones do not"

declare -A want=(
	# ingress port . reason = frames
	[pa.drop_malformed]=7 [pa.drop_bad_vlan]=1 [pa.drop_giant]=2
	[pt.drop_malformed]=1 [pt.drop_bad_vlan]=2 [pt.drop_giant]=1
)
for k in "${!want[@]}"; do
	p=${k%%.*}
	r=${k#*.}
	d=$(delta edge0 edge1 "$p" "$r")
	if [ "$d" = missing ]; then
		errors+=("$p has no counter $r")
	elif [ "$d" -ne "${want[$k]}" ]; then
		errors+=("$p $r: +$d, want +${want[$k]}")
	fi
done
drunt=$(delta edge0 edge1 pa drop_runt)
[ "$drunt" = missing ] && fail "pa has no counter drop_runt: $(cat "$work/stats-edge1-pa.json")"
if [ -s "$work/runt.err" ]; then
	echo "note: the kernel refused to send a 15-byte tagged frame ($(cat "$work/runt.err"));" \
		"drop_runt is not reachable through a veth"
elif [ "$drunt" -eq 0 ]; then
	echo "note: a 15-byte tagged frame never reached the switch (the receiving veth drops" \
		"a tag it cannot pull); drop_runt is not reachable through a veth"
fi
[ "$drunt" -le 1 ] || errors+=("pa drop_runt: +$drunt for one runt")
# Reported now, failed at the end: section 4 does not depend on them.
deferred=
if [ ${#errors[@]} -eq 0 ]; then
	echo "ok: each crafted frame counted under its reason (malformed, bad VLAN, giant)"
else
	deferred="crafted frames: $(printf '%s; ' "${errors[@]}")"
	echo "FAIL (continuing): $deferred" >&2
	echo "pa: $(cat "$work/stats-edge1-pa.json")" >&2
	echo "pt: $(cat "$work/stats-edge1-pt.json")" >&2
fi

# IPv4 datagrams larger than the MTU cross the switch as fragments, each
# a frame of at most 1514 bytes (B and E have MTU 1500).
if nsx B ping -c 2 -i 0.2 -W 2 -q -s 3000 10.20.0.7 >"$work/ping-frag.log" 2>&1; then
	echo "ok: fragmented IPv4 (ping -s 3000) crosses the switch"
else
	# A known limit of the uplink type, not of the switch: see above.
	echo "note: fragmented IPv4 does not cross af_packet uplinks (DPDK 22.11's af_packet" \
		"PMD reassembles fragments into one frame above the MTU, dropped as a giant)"
fi

# ---- 4. restart under traffic, and reconfiguration of one port ----
replies() { grep -c "bytes from" "$1" 2>/dev/null; }
nsx_bg A ping -i 0.05 10.10.0.3 >"$work/ping-restart.log" 2>&1 &
ping_pid=$!
bg_pids+=("$ping_pid")
for _ in $(seq 100); do
	[ "$(replies "$work/ping-restart.log")" -ge 5 ] && break
	sleep 0.1
done
[ "$(replies "$work/ping-restart.log")" -ge 5 ] || fail "no ping A -> C before the restart"
cfg_before=$(ctl --format json show) || fail "show"
stop_vswitchd
start_vswitchd
cfg_after=$(ctl --format json show) || fail "show after the restart"
[ "$cfg_before" = "$cfg_after" ] ||
	fail "the restart changed the configuration: before $cfg_before after $cfg_after"
n0=$(replies "$work/ping-restart.log")
for _ in $(seq 100); do
	[ "$(replies "$work/ping-restart.log")" -gt "$n0" ] && break
	sleep 0.1
done
[ "$(replies "$work/ping-restart.log")" -gt "$n0" ] ||
	fail "the ping running across the restart got no reply after it"
kill -INT "$ping_pid"
wait "$ping_pid" 2>/dev/null
echo "ok: restart under traffic: configuration identical, the running ping answered again" \
	"($(replies "$work/ping-restart.log") replies)"

# pb moves between VLANs 20 and 30 (each move proven: B reaches D in 30,
# E in 20) while A pings C every 50 ms.
nsx_bg A ping -i 0.05 10.10.0.3 >"$work/ping-reconf.log" 2>&1 &
ping_pid=$!
bg_pids+=("$ping_pid")
for _ in $(seq 100); do
	[ "$(replies "$work/ping-reconf.log")" -ge 5 ] && break
	sleep 0.1
done
for round in 1 2 3; do
	ctl port vlan pb --access 30 || fail "port vlan pb --access 30 (round $round)"
	ping_ok B 10.30.0.5 || fail "B did not reach VLAN 30 after the move (round $round)"
	ctl port vlan pb --access 20 || fail "port vlan pb --access 20 (round $round)"
	ping_ok B 10.20.0.7 || fail "B did not reach VLAN 20 after the move (round $round)"
done
kill -INT "$ping_pid"
wait "$ping_pid" 2>/dev/null
# Every request was answered, except at most the one in flight when the
# ping was stopped: the answered sequence numbers have no gap.
read -r nrep gaps < <(python3 -c '
import re, sys
seqs = sorted({int(m) for m in re.findall(r"bytes from .*icmp_seq=(\d+)", open(sys.argv[1]).read())})
gaps = [s for s in range(1, (seqs[-1] if seqs else 0) + 1) if s not in set(seqs)]
print(len(seqs), ",".join(map(str, gaps)) or "-")' "$work/ping-reconf.log")
tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$work/ping-reconf.log")
[ "$nrep" -gt 0 ] || fail "no ping A -> C during the reconfiguration"
[ "$gaps" = "-" ] || fail "A -> C lost requests $gaps while pb was reconfigured"
[ "$((tx - nrep))" -le 1 ] || fail "A -> C: $tx sent, $nrep answered while pb was reconfigured"
echo "ok: 6 VLAN changes on pb, A -> C answered all $nrep pings"

stop_vswitchd
[ -z "$deferred" ] || fail "$deferred"
echo "PASS"
