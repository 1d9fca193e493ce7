#!/bin/bash
# Peer for bench/run: two dpdk-testpmd processes joined by a net_memif pair,
# each forwarding on its own CPU, with hugepages.
#
#   memif.sh oneway SIZE SAMPLES   server rxonly <- client txonly, SIZE-byte frames
#   memif.sh rr SIZE SAMPLES       closed loop: server io <-> client io; the
#                                  client injects WINDOW packets (start
#                                  tx_first) that then circulate for good
#
# Prints, one per line on stdout, the Rx-pps values the server testpmd
# (the receiving side; in rr each packet it receives is one completed round
# trip) reports every second with --stats-period 1. testpmd computes each
# as the ipackets delta over the CLOCK_MONOTONIC delta between two
# displays, so every value is an exact rate over its own window. The run
# stops once SAMPLES windows with traffic were printed after the first one
# (which straddles the start), so a slow start-up on a busy machine does
# not eat the measurement. The caller drops the partial first and last
# windows. Exits non-zero with the reason on stderr when it measured
# nothing.
#
# Environment: CPU_TX, CPU_RX (default 0 and 1), WINDOW (rr, default 128,
# a multiple of 32), MBUFS (per process, default 8192), LOG_DIR (default: a
# temporary directory, removed unless KEEP_LOGS=1), MAX_SECONDS (60).
set -u

mode=${1:-}
size=${2:-64}
want=${3:-8}
cpu_tx=${CPU_TX:-0}
cpu_rx=${CPU_RX:-1}
window=${WINDOW:-128}
mbufs=${MBUFS:-8192}
max_secs=${MAX_SECONDS:-60}

die() { echo "memif.sh: $*" >&2; exit 1; }

case "$mode" in
oneway|rr) ;;
*) die "usage: memif.sh oneway|rr SIZE SAMPLES" ;;
esac
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found (Debian package dpdk-dev)"
[ -n "$(ls /usr/lib/x86_64-linux-gnu/dpdk/pmds-*/librte_net_memif.so* 2>/dev/null)" ] ||
	die "net_memif PMD not installed (Debian package librte-net-memif23)"
(( window % 32 == 0 && window > 0 )) || die "WINDOW must be a positive multiple of 32"

tag=hvnet-bench-$$
sock=/tmp/$tag.sock
log_dir=${LOG_DIR:-$(mktemp -d /tmp/$tag.XXXXXX)}
mkdir -p "$log_dir"
srv_log=$log_dir/memif-server.log
cli_log=$log_dir/memif-client.log
fifo=$log_dir/client.stdin
rm -f "$sock" "$fifo" "$log_dir"/*.pid

pid_of() { cat "$log_dir/$1.pid" 2>/dev/null; }

cleanup() {
	# Stop what is still running (only our own timeout(1) wrappers, by
	# pid), then remove what a crashed testpmd leaves behind: the 22.11
	# memif server often segfaults on exit.
	local p
	for p in $(pid_of client) $(pid_of server); do
		kill -INT "$p" 2>/dev/null
	done
	wait 2>/dev/null
	exec 3>&- 2>/dev/null
	rm -f "$sock" "$fifo"
	rm -rf "/var/run/dpdk/$tag-srv" "/var/run/dpdk/$tag-cli"
	[ -n "${LOG_DIR:-}" ] || [ "${KEEP_LOGS:-0}" = 1 ] || rm -rf "$log_dir"
}
trap cleanup EXIT

# --in-memory: no hugepage files left behind if a process crashes; memif
# shares its own memfd regions and needs no DPDK multi-process support.
# The forwarding lcore is the one that is not --main-lcore; the main lcores
# only print stats once a second.
eal() { # $1: prefix suffix, $2: forwarding cpu, $3: main cpu
	echo "-l $2,$3 --main-lcore $3 --no-pci --in-memory --file-prefix $tag-$1"
}
vdev() { # $1: role
	echo "--vdev=net_memif0,role=$1,id=0,socket=$sock,socket-abstract=no"
}
# A small pool: with the default (~155k mbufs of 2 KiB) txonly walks 300 MB
# of mbufs and memif one way drops from ~20 to ~6 Mpps here.
common="--nb-cores=1 --rxq=1 --txq=1 --burst=32 --total-num-mbufs=$mbufs --port-topology=loop"

# Each process runs under timeout(1) as a safety net; we normally stop it
# earlier with SIGINT, on which testpmd prints its totals and exits. The
# subshell records the exit status in the log, so a crash on exit is
# logged rather than reported by this shell.
launch() { # $1: name, $2: log, $3: stdin, rest: testpmd arguments
	local name=$1 log=$2 in=$3
	shift 3
	(
		timeout -s INT -k 5 "$max_secs" dpdk-testpmd "$@" >"$log" 2>&1 <"$in" &
		echo $! >"$log_dir/$name.pid"
		wait $!
		echo "$name exit status $?" >>"$log"
	) 2>>"$log" &
}

if [ "$mode" = oneway ]; then
	srv_fwd="--forward-mode=rxonly"
else
	srv_fwd="--forward-mode=io"
fi
# Server first: it creates the socket the client connects to.
# shellcheck disable=SC2046
launch server "$srv_log" /dev/null $(eal srv "$cpu_rx" "$cpu_tx") $(vdev server) \
	-- $common $srv_fwd --stats-period 1

for _ in $(seq 100); do
	[ -S "$sock" ] && break
	sleep 0.1
done
[ -S "$sock" ] || die "server did not create $sock; its log ends: $(tail -3 "$srv_log" | tr '\n' ' ')"

if [ "$mode" = oneway ]; then
	# shellcheck disable=SC2046
	launch client "$cli_log" /dev/null $(eal cli "$cpu_tx" "$cpu_rx") $(vdev client) \
		-- $common --forward-mode=txonly --txpkts="$size" --stats-period 1
else
	# Interactive, to inject WINDOW packets: 'start tx_first N' sends N
	# bursts of 32, then forwards what comes back.
	mkfifo "$fifo"
	# shellcheck disable=SC2046
	launch client "$cli_log" "$fifo" $(eal cli "$cpu_tx" "$cpu_rx") $(vdev client) \
		-- -i $common --forward-mode=io
	exec 3>"$fifo"
	for _ in $(seq 300); do
		grep -q 'testpmd> ' "$cli_log" 2>/dev/null && break
		sleep 0.1
	done
	grep -q 'testpmd> ' "$cli_log" || die "client did not start: $(tail -3 "$cli_log" | tr '\n' ' ')"
	echo "start tx_first $((window / 32))" >&3
fi

# Wait for SAMPLES windows with traffic after the first one.
nonzero() { awk '/Rx-pps:/ && $2 > 0 { n++ } END { print n + 0 }' "$srv_log"; }
deadline=$((SECONDS + max_secs - 5))
while (( $(nonzero) < want + 1 && SECONDS < deadline )); do
	[ -n "$(pid_of client)" ] && ! kill -0 "$(pid_of client)" 2>/dev/null && break
	sleep 0.2
done
# Stop the client; the server then prints a last window without traffic.
if [ "$mode" = rr ]; then
	echo stop >&3
	echo quit >&3
fi
kill -INT "$(pid_of client)" 2>/dev/null
sleep 1.2
kill -INT "$(pid_of server)" 2>/dev/null
wait

samples=$(awk '/Rx-pps:/ { print $2 }' "$srv_log")
if ! grep -qv '^0$' <<<"$samples"; then
	die "server received nothing; client log ends: $(tail -3 "$cli_log" | tr '\n' ' ')"
fi
echo "$samples"
exit 0
