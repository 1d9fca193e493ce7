#!/bin/bash
# The control plane end to end: the real vswitchctl against vsw-testd (the
# real store and control socket, a datapath that records what it is given).
# Every verb, refusals (which must change nothing: the store is compared
# across a restart), --may-exist/--if-exists, restart and crash recovery,
# a datapath that refuses (the store is rolled back), hostile protocol
# input, and vswitchctl's exit statuses.
#   vswitchctl.sh VSWITCHCTL VSW_TESTD
set -u
ctl=$1 testd=$2
dir=$(mktemp -d /tmp/hvnet-vswitchctl.XXXXXX)
sock=$dir/vswitchd.sock db=$dir/conf.db log=$dir/changes.log
export VSWITCHD_SOCKET=$sock
pid=
fails=0
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null
	[ -n "${hang_pid:-}" ] && kill "$hang_pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

start() {
	"$testd" --socket "$sock" --db "$db" --log "$log" "$@" 2>>"$dir/testd.err" &
	pid=$!
	for _ in $(seq 250); do
		# The socket is renamed into place once it listens.
		if [ -S "$sock" ] && [ "$(stat -c %i "$sock")" != "${stale_ino:-}" ]; then
			stale_ino=
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	echo "FAIL: vsw-testd did not start"
	cat "$dir/testd.err"
	exit 1
}

stop() {
	kill "$pid"
	wait "$pid" || fail "vsw-testd exited $? on SIGTERM"
	pid=
	[ -e "$sock" ] && fail "vsw-testd left its socket behind"
}

crash() {
	stale_ino=$(stat -c %i "$sock")
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	pid=
}

# expect STATUS PATTERN ARGS...: vswitchctl ARGS must exit STATUS and its
# output (stdout and stderr) match the extended regex PATTERN ('' any,
# '^$' nothing).
expect() {
	local want=$1 pat=$2 out rc
	shift 2
	out=$("$ctl" "$@" 2>&1)
	rc=$?
	if [ "$rc" != "$want" ]; then
		fail "vswitchctl $*: exit $rc, want $want"
		sed 's/^/    /' <<<"$out"
	elif [ "$pat" = '^$' ] && [ -n "$out" ]; then
		fail "vswitchctl $*: printed something, want nothing"
		sed 's/^/    /' <<<"$out"
	elif [ -n "$pat" ] && [ "$pat" != '^$' ] && ! grep -Eq -- "$pat" <<<"$out"; then
		fail "vswitchctl $*: output does not match /$pat/"
		sed 's/^/    /' <<<"$out"
	else
		echo "ok: vswitchctl $* -> $rc"
	fi
}

applied() {
	grep -c "^$1 " "$log"
}

# ---- exit statuses without a vswitchd ----
expect 2 'no command given' 
expect 2 "unknown command 'bogus'" bogus
expect 2 "'port' needs a verb" port
expect 2 'unknown option --frob' show --frob
expect 2 '--format takes text or json' --format yaml show
expect 2 'given twice' port vlan p1 --access 1 --access 2
expect 2 'missing arguments' port add sw0
expect 2 'does not apply here' switch list --access 3
expect 2 'may-exist does not apply to port-vlan' --may-exist port vlan p1 --access 3
expect 0 'vswitchctl \(hvnet\)' --version
expect 0 'switch create' --help
expect 3 'no vswitchd socket at .*is vswitchd running' show
expect 3 'no vswitchd socket at /nonexistent/x.sock' --socket /nonexistent/x.sock show
for c in "switch create" "switch delete" "switch set" "switch list" "port add" "port delete" \
	 "port set" "port list" "port vlan" "port security" "port qos" "port acl" "mirror add" \
	 "mirror delete" "mirror list" "extension add" "extension delete" "extension enable" \
	 "extension disable" "extension list" "show" "stats" "capture start" "capture stop"; do
	# shellcheck disable=SC2086
	expect 0 "^usage: vswitchctl $c" $c --help
done

# ---- a fresh store ----
start
expect 0 '^$' show
expect 0 '^$' switch create sw0 --type internal
expect 1 'switch sw0 already exists \(internal\); use --may-exist' switch create sw0 --type internal
expect 0 '^$' --may-exist switch create sw0 --type internal
expect 1 'exists as an internal switch, not private' switch create sw0 --type private --may-exist
expect 0 '' switch create ext0 --type external --fdb-size 4096 --aging 120
expect 0 '' switch create priv0 --type private
expect 0 '' switch set priv0 --aging 60
expect 1 'switch nope does not exist' switch set nope --aging 60
expect 0 '^ext0$' switch list

expect 0 '' port add sw0 p1 --vnic vnf-a
expect 0 '' port add sw0 p2 --vnic vnf-b --mac 00:15:5d:00:00:02
expect 0 '' port add sw0 host0 --internal
expect 1 'switch sw0 is internal: it takes vNICs and internal ports, not uplink' \
	port add sw0 u1 --uplink net_null0
expect 1 'switch priv0 is private: it takes only vNICs' port add priv0 h1 --internal
expect 0 '' port add ext0 u1 --uplink net_af_packet0,iface=veth0
expect 1 'devargs net_af_packet0,iface=veth0 are already used by port u1' \
	port add ext0 u2 --uplink net_af_packet0,iface=veth0
expect 1 'port p1 already exists on switch sw0' port add ext0 p1 --vnic x
expect 1 'port p1 exists on switch sw0, not ext0' --may-exist port add ext0 p1 --vnic vnf-a
expect 0 '' --may-exist port add sw0 p1 --vnic vnf-a
expect 1 'switch nosw does not exist' port add nosw p9 --vnic x
expect 2 'give exactly one of' port add sw0 p9 --vnic x --internal
expect 0 '^host0$' port list sw0
expect 1 'switch nosw does not exist' port list nosw
expect 0 '' port set host0 --devargs net_tap0,iface=hv0
expect 0 '' port set p2 --mac none

expect 0 '' port vlan p1 --trunk 1-100,200 --native 10
expect 0 '' port vlan p2 --access 20
expect 2 'port vlan: --access: 5000 is too large' port vlan p2 --access 5000
expect 2 'exclude each other' port vlan p2 --access 5 --untagged
expect 2 "'1-x' is not a VLAN list" port vlan p2 --trunk 1-x
expect 1 'port p9 does not exist' port vlan p9 --access 10
expect 0 '' port security p1 --mac-spoof-guard on --dhcp-guard on --router-guard on \
	--storm-limit 1000 --mac-limit 64
expect 0 '' port security p1 --mac 00:15:5d:00:00:01
expect 2 'multicast MAC' port security p1 --mac 01:00:5e:00:00:01
expect 0 '' port qos p1 --max-bps 1e9 --min-weight 20
expect 2 '--min-weight: 101 is too large \(at most 100\)' port qos p1 --min-weight 101
expect 2 'nothing to set' port qos p1

expect 0 '' port acl p1 add --action deny --direction inbound --remote-ip 10.0.0.0/8
expect 0 '' port acl p1 add --action meter --direction both --remote-ip 192.168.0.0/16
expect 0 '' port acl p1 add --action allow --direction outbound --remote-mac 00:15:5d:aa:bb:cc
expect 0 '' port acl p1 add --action allow --direction inbound --local-ip 2001:db8::/32
expect 1 'already has an inbound deny ACL for local any remote 10.0.0.0/8' \
	port acl p1 add --action deny --direction both --remote-ip 10.0.0.0/8
expect 0 '^$' --may-exist port acl p1 add --action deny --direction inbound --remote-ip 10.0.0.0/8
expect 1 'different inbound deny ACL' \
	--may-exist port acl p1 add --action allow --direction inbound --remote-ip 10.0.0.0/8
expect 0 '' port acl p1 add --weight 100 --action allow --direction outbound --protocol tcp \
	--remote-port 443 --stateful on --idle-timeout 120
expect 1 'already has an outbound allow ACL of weight 100' \
	port acl p1 add --weight 100 --action deny --direction both --protocol udp
expect 0 '' port acl p1 add --weight 100 --action deny --direction inbound --protocol udp \
	--local-port 1-1023
expect 2 'meter ACL must match IP' \
	port acl p1 add --action meter --direction inbound --remote-mac 00:15:5d:aa:bb:cd
expect 2 '--protocol makes an extended ACL, which needs --weight' \
	port acl p1 add --action allow --direction inbound --protocol tcp
expect 2 'did you mean 10.0.0.0/8' port acl p1 add --action deny --direction inbound \
	--remote-ip 10.0.0.1/8
expect 0 'inbound deny local any remote 10.0.0.0/8' port acl p1 list
expect 1 'has 2 extended ACLs of weight 100' port acl p1 delete --weight 100
expect 0 '' port acl p1 delete --weight 100 --direction inbound
expect 0 '' port acl p1 delete --direction outbound --remote-mac 00:15:5d:aa:bb:cc
expect 1 'port p1 has no outbound ACL with those addresses' \
	port acl p1 delete --direction outbound --remote-mac 00:15:5d:aa:bb:cc
expect 0 '^$' --if-exists port acl p1 delete --direction outbound --remote-mac 00:15:5d:aa:bb:cc

# ---- port acl load: a file of ACLs in one transaction ----
printf '# web tier\n--action deny --direction inbound --remote-ip 172.16.0.0/12\n\n  --weight 200 --action allow --direction outbound --protocol udp --remote-port 53\n' >"$dir/p2.acl"
expect 0 '^$' port acl p2 load "$dir/p2.acl"
expect 0 'weight 200 outbound allow protocol udp' port acl p2 list
expect 1 'ACL 1: port p2 already has an inbound deny ACL' port acl p2 load "$dir/p2.acl"
expect 0 '^$' --may-exist port acl p2 load "$dir/p2.acl"
printf -- '--action deny --direction inbound --remote-ip 1.2.3.0/24\n--action allow --direction sideways\n' >"$dir/bad.acl"
expect 2 'bad.acl:2: --direction takes' port acl p2 load "$dir/bad.acl"
printf -- '--action deny --direction inbound --remote-ip 1.2.3.0/24 --socket /x\n' >"$dir/opt.acl"
expect 2 'opt.acl:1: only ACL options belong in the file' port acl p2 load "$dir/opt.acl"
printf -- '--action deny --direction inbound --remote-ip 1.2.4.0/24\n--action allow --direction both --remote-ip 1.2.4.0/24\n' >"$dir/dup.acl"
expect 1 'ACL 2 collides with ACL 1' port acl p2 load "$dir/dup.acl"
expect 2 'cannot read .*nope.acl' port acl p2 load "$dir/nope.acl"
expect 2 'load takes its ACLs from the file, not --action' port acl p2 load "$dir/p2.acl" --action deny
expect 2 '--replace belongs to port acl PORT load' port acl p2 add --replace --action deny \
	--direction inbound --remote-ip 1.2.3.4
expect 1 'port p9 does not exist' port acl p9 load "$dir/p2.acl"
[ "$("$ctl" port acl p2 list | wc -l)" = 2 ] || fail "a refused load changed p2's ACLs"
python3 -c '
for i in range(5000):
    print(f"--action deny --direction outbound --remote-ip 10.{i >> 8}.{i & 255}.0/24")' >"$dir/big.acl"
expect 0 '^$' port acl p2 load "$dir/big.acl"
[ "$("$ctl" port acl p2 list | wc -l)" = 5002 ] || fail "p2 does not have 5002 ACLs after the load"
"$ctl" port acl p2 load - --replace </dev/null || fail "an empty load --replace from stdin failed"
[ -z "$("$ctl" port acl p2 list)" ] || fail "load --replace of nothing left ACLs on p2"

expect 0 '' mirror add sw0 m0 --output p2 --select-src p1 --select-vlan 10-20
expect 1 'port u1 is on switch ext0, not sw0' mirror add sw0 m1 --output u1 --select-all
expect 2 'cannot be selected' mirror add sw0 m1 --output p2 --select-dst p2
expect 2 'selects nothing' mirror add sw0 m1 --output p2
expect 1 'port p2 is used by mirror m0; delete the mirror first' port delete p2
expect 0 'm0 \(switch sw0\): output p2 select-src p1 select-vlan 10-20' mirror list

expect 0 '' extension add sw0 cap0 --type capture --module pcapdump --args snaplen=128
expect 0 '' extension add sw0 fwd0 --type forward --module /usr/lib/hvnet/fwd.so
expect 1 'switch sw0 already has forwarding extension fwd0 enabled' \
	extension add sw0 fwd1 --type forward --module builtin1
expect 0 '' extension add sw0 fwd1 --type forward --module builtin1 --disabled
expect 1 'already has forwarding extension fwd0 enabled' extension enable sw0 fwd1
expect 0 '' extension disable sw0 fwd0
expect 0 '' extension enable sw0 fwd1
expect 0 '^$' extension move sw0 fwd1 --position 1
expect 0 '^sw0 fwd1 ' extension list sw0
expect 1 'switch sw0 has 3 extensions; give a position of 1-3' extension move sw0 fwd1 --position 4
expect 2 'give --position' extension move sw0 fwd1
expect 1 'switch sw0 has no extension nope' extension move sw0 nope --position 1
expect 0 '^$' extension move sw0 fwd1 --position 3
expect 1 'switch sw0 has no extension nope' extension delete sw0 nope
expect 0 '^$' --if-exists extension delete sw0 nope
expect 2 'neither a built-in name nor an absolute path' \
	extension add sw0 x --type filter --module ../evil.so

expect 0 '^p1 \(switch sw0, not attached\)' stats p1
expect 0 'rx_packets +200' stats p1
expect 0 '^u1 \(switch ext0\)' stats --switch ext0
expect 1 'port p9 does not exist' stats p9
expect 0 '' capture start p1 --file "$dir/cap.pcap" --count 10
[ "$(od -An -tx1 -N4 "$dir/cap.pcap" | tr -d ' ')" = d4c3b2a1 ] ||
	fail "the capture file has no pcap header"
expect 0 '' capture stop p1
expect 1 'no capture runs on port p1' capture stop p1
expect 1 'port p9 does not exist' capture start p9 --file "$dir/cap2.pcap"
expect 2 'give the --file' capture start p1
expect 0 '' port delete host0
expect 1 'port host0 does not exist' port delete host0
expect 0 '^$' --if-exists port delete host0
expect 0 '' switch delete priv0
expect 0 '^$' --if-exists switch delete priv0

cat >"$dir/want.txt" <<'EOF'
Switch ext0
    type: external
    fdb-size: 4096 aging: 120s
    Port u1
        kind: uplink (net_af_packet0,iface=veth0)
        vlan: untagged
        security: none
Switch sw0
    type: internal
    Port p1
        kind: vnic (partition vnf-a)
        vlan: trunk 1-100,200 native 10
        security: mac-spoof-guard dhcp-guard router-guard storm-limit 1000 pps mac-limit 64 mac 00:15:5d:00:00:01
        qos: max-bps 1000000000 min-weight 20
        acl: inbound deny local any remote 10.0.0.0/8
        acl: both meter local any remote 192.168.0.0/16
        acl: inbound allow local 2001:db8::/32 remote any
        acl: weight 100 outbound allow protocol tcp local any port any remote any port 443 stateful idle-timeout 120s
    Port p2
        kind: vnic (partition vnf-b)
        vlan: access 20
        security: none
    Mirror m0
        output p2 select-src p1 select-vlan 10-20
    Extension cap0
        capture enabled module pcapdump args snaplen=128
    Extension fwd0
        forward disabled module /usr/lib/hvnet/fwd.so
    Extension fwd1
        forward enabled module builtin1
EOF
"$ctl" show >"$dir/show1.txt" 2>&1 || fail "show failed"
diff -u "$dir/want.txt" "$dir/show1.txt" || fail "show differs from the expected tree"

"$ctl" --format json show >"$dir/show.json" || fail "show --format json failed"
python3 - "$dir/show.json" <<'PY' || fail "show --format json is not the expected JSON"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] is True, d
sw = {s["name"]: s for s in d["result"]["switches"]}
assert set(sw) == {"ext0", "sw0"}, sw.keys()
p1 = [p for p in sw["sw0"]["ports"] if p["name"] == "p1"][0]
assert p1["vlan"] == {"mode": "trunk", "allowed": "1-100,200", "native": 10}, p1["vlan"]
assert p1["qos"] == {"max_bps": 1000000000, "min_weight": 20}, p1["qos"]
assert p1["security"]["storm_limit_pps"] == 1000 and p1["security"]["dhcp_guard"] is True
assert len(p1["acls"]) == 4 and p1["acls"][3]["weight"] == 100
assert sw["sw0"]["mirrors"][0]["select_src"] == ["p1"]
assert [e["name"] for e in sw["sw0"]["extensions"]] == ["cap0", "fwd0", "fwd1"]
PY
out=$("$ctl" --format json port vlan p9 --access 3)
[ $? = 1 ] && python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["ok"] is False and r["error"] == "ENOENT" and r["errno"] == 2, r' "$out" ||
	fail "a refusal in JSON: $out"
out=$("$ctl" --format json stats u1)
python3 -c 'import json,sys; r=json.loads(sys.argv[1]); assert r["result"]["stats"][0]["counters"]["rx_packets"] == 200, r' "$out" ||
	fail "stats in JSON: $out"

# Refusals never reached the datapath; what was made, was made once.
[ "$(applied port-add)" = 4 ] || fail "the datapath saw $(applied port-add) port-adds, want 4"
[ "$(applied switch-create)" = 3 ] || fail "the datapath saw $(applied switch-create) switch-creates"
[ "$(applied acl-add)" = 6 ] || fail "the datapath saw $(applied acl-add) acl-adds, want 6"
[ "$(applied acl-load)" = 3 ] || fail "the datapath saw $(applied acl-load) acl-loads, want 3"

# ---- hostile and malformed protocol input, straight to the socket ----
python3 - "$sock" <<'PY' || fail "raw protocol checks"
import json, socket, sys
path = sys.argv[1]
def talk(data, shut=False):
    c = socket.socket(socket.AF_UNIX)
    c.connect(path)
    c.sendall(data)
    if shut:
        c.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        out += d
        if shut is False and out.count(b"\n") >= data.count(b"\n"):
            break
    c.close()
    return [json.loads(l) for l in out.split(b"\n") if l]
def refused(data, err, why):
    r = talk(data)[0]
    assert r["ok"] is False and r["error"] == err and why in r["why"], (data[:60], r)
refused(b'{"op":"show",}\n', "EINVAL", "bad JSON at byte 13")
refused(b'{"op":"show","bogus":1}\n', "EINVAL", "field bogus does not apply to show")
refused(b'{"op":"show","op":"show"}\n', "EINVAL", "given twice")
refused(b'{"op":"frob"}\n', "EINVAL", "unknown op")
refused(b'{"version":2,"op":"show"}\n', "EINVAL", "protocol version 2")
refused(b'[1,2]\n', "EINVAL", "must be an object")
refused(b'{"op":"port-vlan","port":"p1","config":{"mode":"access"}}\n', "EINVAL",
        "needs its vlan")
refused(b'{"op":"switch-create","switch":"x","config":{"type":"internal","fdb_size":-1}}\n',
        "EINVAL", "whole number")
refused(b'{"op":"show","switch":"\\u0000"}\n', "EINVAL", "NUL")
refused(b'{"op":"show","switch":"\xff"}\n', "EINVAL", "UTF-8")
refused(b'[' * 100 + b']' * 100 + b'\n', "E2BIG", "nested too deep")
refused(b'{"op":"show","switch":"' + b"a" * (8 << 20) + b'"}\n', "EMSGSIZE",
        "longer than 8388608")
refused(b'{"op":"capture-start","port":"p1"}\n', "EINVAL", "SCM_RIGHTS")
# Two requests in one write, answered in order; a last one ended by EOF.
r = talk(b'{"op":"switch-list"}\n{"op":"port-list","switch":"sw0"}\n{"op":"show","switch":"ext0"}',
         shut=True)
assert len(r) == 3 and all(x["ok"] for x in r), r
assert [p["name"] for p in r[1]["result"]["switches"][0]["ports"]] == ["p1", "p2"], r[1]
assert [s["name"] for s in r[2]["result"]["switches"]] == ["ext0"], r[2]
PY
expect 0 '^ext0$' switch list

# ---- restart: everything comes back, and is replayed to the datapath ----
"$ctl" show >"$dir/before.txt"
stop
start
"$ctl" show >"$dir/after.txt"
diff -u "$dir/before.txt" "$dir/after.txt" || fail "show differs after a restart"
sed -n '/^== start/,$p' "$log" | tail -n +1 >"$dir/replay.txt"
replayed=$(awk '/^== start/{n=0} /^port-add/{n++} END{print n}' "$log")
[ "$replayed" = 3 ] || fail "the restart replayed $replayed ports to the datapath, want 3"

# ---- a crash right after a change loses nothing (synchronous=FULL) ----
expect 0 '' port qos p2 --max-bps 5G
crash
start
expect 0 'qos: max-bps 5000000000' show sw0

# ---- a datapath that refuses: the store is put back ----
"$ctl" show >"$dir/before.txt"
stop
start --fail sw0
expect 1 'the test datapath refuses anything named sw0' switch delete sw0
expect 1 'the test datapath refuses anything named sw0' port add sw0 p7 --vnic x
expect 1 'refuses anything named sw0' mirror add sw0 m7 --output p2 --select-all
expect 0 'Port p1' show sw0
stop
start
"$ctl" show >"$dir/after.txt"
diff -u "$dir/before.txt" "$dir/after.txt" || fail "a refused change reached the store"
expect 0 '' switch delete sw0
expect 0 '^Switch ext0' show
stop
start
expect 1 'switch sw0 does not exist' show sw0

# ---- one vswitchd per socket and per store; bad stores are named ----
"$testd" --socket "$sock" --db "$dir/other.db" 2>"$dir/err.txt" && fail "a second daemon took a live socket"
grep -q "another vswitchd is listening on $sock" "$dir/err.txt" || fail "second socket: $(cat "$dir/err.txt")"
"$testd" --socket "$dir/other.sock" --db "$db" 2>"$dir/err.txt" && fail "a second daemon took the store"
grep -q "is in use by another vswitchd" "$dir/err.txt" || fail "second store: $(cat "$dir/err.txt")"
echo "not a database at all, just text that is long enough to have a header" >"$dir/text.db"
"$testd" --socket "$dir/other.sock" --db "$dir/text.db" 2>"$dir/err.txt" && fail "a text file was taken as a store"
grep -q "text.db is not an SQLite database" "$dir/err.txt" || fail "text store: $(cat "$dir/err.txt")"

# ---- a vswitchd that never answers ----
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); time.sleep(20)' "$dir/hang.sock" &
hang_pid=$!
for _ in $(seq 100); do [ -S "$dir/hang.sock" ] && break; sleep 0.02; done
expect 3 'did not answer within 1 s' --socket "$dir/hang.sock" --timeout 1 show
kill "$hang_pid" 2>/dev/null
wait "$hang_pid" 2>/dev/null
hang_pid=

stop
if [ "$fails" -ne 0 ]; then
	echo "$fails checks FAILED"
	cat "$dir/testd.err"
	exit 1
fi
echo "all vswitchctl checks passed"
