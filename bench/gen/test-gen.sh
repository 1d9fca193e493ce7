#!/bin/bash
# bench-gen: hvnet-gen counts exactly. Usage: test-gen.sh HVNET_GEN [HVNET_NETVSP]
#
# Over a loop that cannot lose (net_ring0 alone: its tx ring is its rx
# ring; a full ring refuses frames, which the generator keeps and sends
# again) every frame sent must arrive once and in order; then the
# test-only faults (the receiver discards every Nth frame, the sender
# swaps or duplicates every Nth) must come out as exactly that many lost,
# reordered and duplicate frames. The same over an in-process memif pair
# (server and client on one socket), with --learn and many source MACs.
# With HVNET_NETVSP, hvnet-gen as two process partitions (--netvsc) through
# hvnet-netvsp's port pair, which holds frames rather than drop them: exact
# again. --forward macswap in a second process on a memif pair: every frame
# comes back once and in order; the forwarder's drops (when the
# machine stalls it) are the generator's loss, exactly.
# Low fixed rates and no timing thresholds: counts only, so a busy
# machine changes how many frames are sent, never whether this passes.
# Exits 77 when a PMD it needs is not installed.
set -u

gen=${1:?usage: test-gen.sh HVNET_GEN [HVNET_NETVSP]}
netvsp=${2:-}
pmds=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -1)
have_pmd() { [ -n "$pmds" ] && ls "$pmds"/librte_"$1".so* >/dev/null 2>&1; }
have_pmd net_ring || { echo "SKIP: the net_ring PMD is not installed (librte-net-ring23)"; exit 77; }
have_pmd mempool_ring || { echo "SKIP: librte-mempool-ring23 is not installed"; exit 77; }

tmp=$(mktemp -d /tmp/hvnet-bench-gen.XXXXXX)
bg=
nsp=
trap '[ -n "$bg" ] && kill "$bg" 2>/dev/null; [ -n "$nsp" ] && kill "$nsp" 2>/dev/null; rm -rf "$tmp"' EXIT
eal=(--no-huge -m 256 --no-shconf --no-pci --no-telemetry --log-level='*:error')
failures=0

# run NAME CHECK EAL... -- GEN...: runs hvnet-gen --json and evaluates the
# Python expression CHECK over its result r.
run() {
	local name=$1 check=$2
	shift 2
	if ! timeout -s INT -k 5 60 "$gen" "$@" --json >"$tmp/out" 2>"$tmp/err"; then
		echo "FAIL $name: hvnet-gen exited non-zero:"
		tail -5 "$tmp/err"
		failures=$((failures + 1))
		return
	fi
	if python3 - "$tmp/out" "$check" <<'PY'
import json, sys
r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
ok = eval(sys.argv[2], {}, {"r": r})
keys = ("tx_packets", "rx_packets", "lost", "reordered", "duplicates", "test_dropped",
        "test_swapped", "test_duplicated", "rx_learn", "learn_sent", "rx_other_ports")
print("     " + " ".join(f"{k}={r[k]}" for k in keys if k in r))
sys.exit(0 if ok else 1)
PY
	then
		echo "ok   $name"
	else
		echo "FAIL $name: expected $check"
		failures=$((failures + 1))
	fi
}

exact='r["tx_packets"] > 0 and r["rx_packets"] == r["tx_packets"] and r["lost"] == 0 and r["reordered"] == 0 and r["duplicates"] == 0 and r["rx_malformed"] == 0 and r["rx_not_ours"] == 0'
ring=("${eal[@]}" --vdev=net_ring0)
base=(--tx-port 0 --rx-port 0 --rate-mpps 0.2 --duration 0.5 --warmup 0.2)

run "ring 64B" "$exact" -l 0 "${ring[@]}" -- "${base[@]}"
run "ring imix, vlan, 1000 flows, 50 MACs, inplace" \
	"$exact and r['size'] == 'imix' and r['flows'] == 1000" \
	-l 0 "${ring[@]}" -- "${base[@]}" --size imix --vlan 7 --flows 1000 --src-macs 50 \
	--tx-mode inplace
run "ring 1518B, latency" "$exact and r['latency_ns']['samples'] == r['rx_packets']" \
	-l 0 "${ring[@]}" -- "${base[@]}" --size 1518 --latency
run "ring, tx and rx on two lcores" "$exact and r['lcores'] == 2" \
	-l 0,1 "${ring[@]}" -- "${base[@]}" --flows 3
run "ring, as fast as possible" "$exact" -l 0 "${ring[@]}" -- --tx-port 0 --rx-port 0 \
	--duration 0.3 --warmup 0.1
run "loss: every 100th frame dropped" \
	'r["test_dropped"] > 0 and r["lost"] == r["test_dropped"] and r["rx_packets"] == r["tx_packets"] - r["lost"] and r["reordered"] == 0 and r["duplicates"] == 0' \
	-l 0 "${ring[@]}" -- "${base[@]}" --test-drop-every 100
run "reordering: every 100th frame swapped" \
	'r["test_swapped"] > 0 and r["reordered"] == r["test_swapped"] and r["lost"] == 0 and r["duplicates"] == 0 and r["rx_packets"] == r["tx_packets"]' \
	-l 0 "${ring[@]}" -- "${base[@]}" --test-swap-every 100
run "duplicates: every 100th frame twice" \
	'r["test_duplicated"] > 0 and r["duplicates"] == r["test_duplicated"] and r["lost"] == 0 and r["reordered"] == 0 and r["rx_packets"] == r["tx_packets"] + r["duplicates"]' \
	-l 0 "${ring[@]}" -- "${base[@]}" --test-dup-every 100 --tx-mode inplace

# expect_error WHAT PATTERN ARGS...: hvnet-gen fails, and says PATTERN.
expect_error() {
	local what=$1 pattern=$2
	shift 2
	if "$gen" "$@" >/dev/null 2>"$tmp/err"; then
		echo "FAIL: $what was not an error"
		failures=$((failures + 1))
	elif ! grep -q "$pattern" "$tmp/err"; then
		echo "FAIL: $what was not explained: $(cat "$tmp/err")"
		failures=$((failures + 1))
	else
		echo "ok   $what: $(tail -1 "$tmp/err")"
	fi
}

# A missing port: non-zero, with a sentence.
expect_error "a missing port" "port 5 does not exist" "${ring[@]}" -l 0 -- --tx-port 0 --rx-port 5

if have_pmd net_memif; then
	# Port 0 (server) -> port 1 (client) in one process. --learn sends one
	# frame from each of the 20 source MACs on port 0 (they arrive on rx
	# port 1) and one from --dst-mac on port 1 (it arrives on port 0, not
	# an rx port).
	sock=$tmp/memif.sock
	memif=("${eal[@]}" -m 512
	       --vdev=net_memif0,role=server,id=0,socket=$sock,socket-abstract=no
	       --vdev=net_memif1,role=client,id=0,socket=$sock,socket-abstract=no)
	run "memif pair, learn 20 MACs" \
		"$exact and r['learn_sent'] == 21 and r['rx_learn'] == 20 and r['rx_other_ports'] == 1" \
		-l 0 "${memif[@]}" -- --tx-port 0 --rx-port 1 --rate-mpps 0.2 --duration 0.5 \
		--warmup 0.2 --src-macs 20 --learn 0.2
else
	echo "skip memif pair: the net_memif PMD is not installed"
fi

if [ -n "$netvsp" ]; then
	sock=$tmp/vmbus.sock
	"$netvsp" "${eal[@]}" -l 0,1 -- --socket "$sock" --partitions 2 >"$tmp/netvsp.log" 2>&1 &
	bg=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	run "two netVSC partitions through hvnet-netvsp, imix" "$exact and r['size'] == 'imix'" \
		-l 0 "${eal[@]}" -- --netvsc "$sock,gen-a" --netvsc "$sock,gen-b" --tx-port 0 \
		--rx-port 1 --rate-mpps 0.2 --duration 0.5 --warmup 0.2 --size imix
	# It exits once both partitions have left.
	for _ in $(seq 100); do kill -0 "$bg" 2>/dev/null || break; sleep 0.05; done
	kill "$bg" 2>/dev/null
	bg=
	expect_error "a netVSC port without a host" "partition x: the synthetic NIC did not come up" \
		-l 0 "${eal[@]}" -- --netvsc "$tmp/none.sock,x" --tx-port 0 --rx-port 0 --link-timeout 1
else
	echo "skip netVSC partitions: no hvnet-netvsp given"
fi

# --forward macswap as the VNF of a PVP topology: a partition on
# hvnet-netvsp that sends every frame back with its MACs swapped to the
# generator, the other partition. (Not over memif: DPDK 22.11's memif PMD
# unmaps its regions when the peer leaves while a polling lcore may be
# inside a burst, and a forwarder that outlives its generator crashed
# there now and then.)
if [ -n "$netvsp" ]; then
	sock=$tmp/fwd-vmbus.sock
	"$netvsp" "${eal[@]}" -l 0,1 --file-prefix hvnet-fwdsp-$$ -- --socket "$sock" \
		--partitions 2 >"$tmp/fwd-netvsp.log" 2>&1 &
	nsp=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	"$gen" -l 1 "${eal[@]}" --file-prefix hvnet-fwd-$$ -- --netvsc "$sock,vnf" \
		--forward macswap --json >"$tmp/fwd.out" 2>"$tmp/fwd.err" &
	bg=$!
	mac=
	for _ in $(seq 200); do
		mac=$(sed -n "s/.*partition vnf's synthetic NIC \([0-9a-f:]*\).*/\1/p" "$tmp/fwd.err")
		[ -n "$mac" ] && break
		sleep 0.05
	done
	run "--forward macswap on a netVSC partition" \
		'r["rx_packets"] > 0 and r["lost"] == r["tx_packets"] - r["rx_packets"] and r["reordered"] == 0 and r["duplicates"] == 0 and r["rx_malformed"] == 0' \
		-l 0 "${eal[@]}" --file-prefix hvnet-fwdgen-$$ -- --netvsc "$sock,gen" \
		--tx-port 0 --rx-port 0 --rate-mpps 0.2 --duration 0.5 --warmup 0.2 \
		--dst-mac "${mac:-02:00:00:00:00:01}"
	kill -INT "$bg" 2>/dev/null
	for _ in $(seq 200); do kill -0 "$bg" 2>/dev/null || break; sleep 0.05; done
	bg=
	for _ in $(seq 100); do kill -0 "$nsp" 2>/dev/null || break; sleep 0.05; done
	kill "$nsp" 2>/dev/null
	nsp=
	if python3 - "$tmp/fwd.out" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().strip().splitlines()
r = json.loads(lines[-1]) if lines else {}
print(f"     forwarder: {r}")
sys.exit(0 if r.get("mode") == "macswap" and r["rx_packets"] > 0 and
         r["rx_packets"] == r["tx_packets"] + r["dropped"] else 1)
PY
	then
		echo "ok   forwarder's own counts"
	else
		echo "FAIL: the forwarder's counts: $(tail -3 "$tmp/fwd.err")"
		failures=$((failures + 1))
	fi
fi

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all checks passed"
