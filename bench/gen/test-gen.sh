#!/bin/bash
# bench-gen: hvnet-gen counts exactly. Usage: test-gen.sh HVNET_GEN
#
# Over a loop that cannot lose (net_ring0 alone: its tx ring is its rx
# ring; a full ring refuses frames, which the generator keeps and sends
# again) every frame sent must arrive once and in order; then the
# test-only faults (the receiver discards every Nth frame, the sender
# swaps or duplicates every Nth) must come out as exactly that many lost,
# reordered and duplicate frames. The same over an in-process memif pair
# (server and client on one socket), with --learn and many source MACs.
# Low fixed rates and no timing thresholds: counts only, so a busy
# machine changes how many frames are sent, never whether this passes.
# Exits 77 when a PMD it needs is not installed.
set -u

gen=${1:?usage: test-gen.sh HVNET_GEN}
pmds=$(ls -d /usr/lib/*/dpdk/pmds-* 2>/dev/null | head -1)
have_pmd() { [ -n "$pmds" ] && ls "$pmds"/librte_"$1".so* >/dev/null 2>&1; }
have_pmd net_ring || { echo "SKIP: the net_ring PMD is not installed (librte-net-ring23)"; exit 77; }
have_pmd mempool_ring || { echo "SKIP: librte-mempool-ring23 is not installed"; exit 77; }

tmp=$(mktemp -d /tmp/hvnet-bench-gen.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
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

# A usage error and a missing port: non-zero, with a sentence.
if "$gen" "${ring[@]}" -l 0 -- --tx-port 0 --rx-port 5 >/dev/null 2>"$tmp/err"; then
	echo "FAIL: a missing port was not an error"
	failures=$((failures + 1))
elif ! grep -q "port 5 does not exist" "$tmp/err"; then
	echo "FAIL: a missing port was not explained: $(cat "$tmp/err")"
	failures=$((failures + 1))
else
	echo "ok   missing port: $(tail -1 "$tmp/err")"
fi

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

if [ "$failures" -ne 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all checks passed"
