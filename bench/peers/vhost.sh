#!/bin/bash
# Peer for bench/run: the standard DPDK paravirtual path in the topology of
# the synthetic benchmark, three dpdk-testpmd processes with hugepages:
#
#   A "guest" txonly: net_virtio_user0 on vhost-user socket 1
#   H "host"  io: net_vhost0 (socket 1) -> net_vhost1 (socket 2), one
#             forwarding lcore
#   B "guest" rxonly: net_virtio_user0 on vhost-user socket 2
#
#   vhost.sh oneway SIZE SAMPLES   A -> H -> B, SIZE-byte frames (60..1518,
#                                  the mbuf's length, as --txpkts takes it)
#
# Prints, one per line on stdout, the Rx-pps values the receiving testpmd B
# reports with --stats-period 1. testpmd computes each as the ipackets
# delta over the CLOCK_MONOTONIC delta between two displays, so every value
# is an exact rate over its own window. The run stops once SAMPLES windows
# with traffic were printed after the first one (which straddles the
# start). The caller drops the partial first and last windows. Exits
# non-zero with the reason on stderr when it measured nothing.
#
# Then, also on stdout, lines that start with a word:
#   rss NAME VMHWM_KIB HUGETLB_KIB   each testpmd's peak RSS (VmHWM) and the
#                                    hugepage memory it maps (not in RSS),
#                                    read just before it is stopped
#   h2b SENT DROPPED                 H's port 1 (towards B) over the whole
#                                    run: frames B's ring took, and frames H
#                                    dropped because it was full
#
# CPUs: three busy-polling forwarding lcores and only 2 vCPUs here, so two
# of them share one CPU. By default H (the switch) has CPU 0 to itself and
# the two guests A and B share CPU 1, time-sliced by the scheduler: while A
# runs, H fills B's RX ring and drops the rest (H's port 1 TX-dropped);
# while B runs, A does not. B then receives about one or two RX rings per
# scheduler round, so on a shared CPU the rate scales with QUEUE_SIZE and
# the scheduler's slice, not with the cost of the path (measured at 64 B:
# QUEUE_SIZE 256 -> 33 kpps, 1024 -> 133 kpps, 4096 -> 530 kpps, 32768 ->
# 2.6-3.2 Mpps). Putting A on H's CPU instead (CPU_TX=0) gives the same
# shape, the drops then counted as A's TX-dropped. Only with a CPU each
# (e.g. CPU_RX=2 on a 3-CPU machine) does it measure the path itself.
# 1024 is the default because it is the largest virtio-net ring QEMU offers
# a guest. Each process's main lcore only prints stats and sleeps; it goes
# on a CPU other than its forwarding lcore's.
#
# Windows: testpmd's stats loop sleeps 1 s and prints when a period has
# passed by the TSC at DPDK's estimated frequency. Where the estimate is a
# little high (this VM: 2600 MHz estimated, 2596.14 MHz real), 1 s of sleep
# falls just short of a period, so it prints every 2 s. The rates stay exact
# (the window is timed with CLOCK_MONOTONIC), but each window is 2 s and a
# run of SAMPLES windows takes about 2 * SAMPLES + 5 s (memif.sh alike).
#
# Environment: CPU_HOST, CPU_TX, CPU_RX (forwarding CPUs of H, A and B;
# default 0, 1 and 1), QUEUE_SIZE (virtio ring entries, a power of two,
# default 1024), MBUFS (per process, default 8192, at least 2 * QUEUE_SIZE
# + 1024), MEM_MB (hugepage memory preallocated per process, default from
# MBUFS: 56 for 8192), LOG_DIR (default: a temporary directory, removed
# unless KEEP_LOGS=1), MAX_SECONDS (60).
set -u

mode=${1:-}
size=${2:-64}
want=${3:-8}
cpu_host=${CPU_HOST:-0}
cpu_tx=${CPU_TX:-1}
cpu_rx=${CPU_RX:-1}
qsize=${QUEUE_SIZE:-1024}
mbufs=${MBUFS:-8192}
mem_mb=${MEM_MB:-$(( mbufs * 3 / 1024 + 32 ))}
max_secs=${MAX_SECONDS:-60}

die() { echo "vhost.sh: $*" >&2; exit 1; }

case "$mode" in
oneway) ;;
*) die "usage: vhost.sh oneway SIZE SAMPLES" ;;
esac
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd not found (Debian package dpdk-dev)"
for pmd in net_vhost net_virtio; do
	[ -n "$(ls /usr/lib/x86_64-linux-gnu/dpdk/pmds-*/librte_$pmd.so* 2>/dev/null)" ] ||
		die "$pmd PMD not installed (Debian package librte-${pmd//_/-}23)"
done
(( size >= 60 && size <= 1518 )) || die "SIZE must be 60..1518"
(( qsize >= 64 && qsize <= 32768 && (qsize & (qsize - 1)) == 0 )) ||
	die "QUEUE_SIZE must be a power of two in 64..32768"
# A and B each post a full RX ring of mbufs at start-up (B's is the one
# that matters, but A has one too), and txonly's mbufs sit in A's TX ring
# until it is nearly full: with fewer, A stalls after a few packets.
(( mbufs >= 2 * qsize + 1024 )) || die "MBUFS must be at least 2 * QUEUE_SIZE + 1024"

tag=hvnet-bench-$$
sock1=/tmp/$tag-1.sock
sock2=/tmp/$tag-2.sock
log_dir=${LOG_DIR:-$(mktemp -d /tmp/$tag.XXXXXX)}
mkdir -p "$log_dir"
host_log=$log_dir/vhost-host.log
tx_log=$log_dir/vhost-tx.log
rx_log=$log_dir/vhost-rx.log
rm -f "$sock1" "$sock2" "$log_dir"/*.pid

pid_of() { cat "$log_dir/$1.pid" 2>/dev/null; }
log_end() { grep -v '^ *$' "$1" 2>/dev/null | tail -3 | tr '\n' ' '; }

# shellcheck disable=SC2317 # called by the trap
cleanup() {
	# Stop what is still running (only our own timeout(1) wrappers, by
	# pid), then remove what a crashed testpmd leaves behind.
	local p
	for p in $(pid_of tx) $(pid_of rx) $(pid_of host); do
		kill -INT "$p" 2>/dev/null
	done
	wait 2>/dev/null
	rm -f "$sock1" "$sock2"
	rm -rf "/var/run/dpdk/$tag-host" "/var/run/dpdk/$tag-tx" "/var/run/dpdk/$tag-rx"
	[ -n "${LOG_DIR:-}" ] || [ "${KEEP_LOGS:-0}" = 1 ] || rm -rf "$log_dir"
}
trap cleanup EXIT

# --in-memory: no hugepage files left behind if a process crashes. On the
# virtio-user side it backs memory with memfd hugepages whose fds are sent
# to H over the vhost-user socket; --single-file-segments makes that one fd
# per memseg list instead of one per 2 MiB page (vhost-user accepts at most
# 8 memory regions). -m preallocates all memory at start-up, before the
# virtio-user device sends its memory table, so the table is sent once
# (without it, it is sent again when testpmd creates its mbuf pool; that
# works too, but is one more thing that can go wrong). Lcore 1 forwards,
# lcore 0 (main) only prints stats and sleeps; --lcores maps both to CPUs,
# so they may share one. Main lcores go on another process's forwarding
# CPU: H's on CPU_TX, A's and B's on CPU_HOST.
eal() { # $1: prefix suffix, $2: forwarding cpu, $3: main cpu
	echo "--lcores 0@$3,1@$2 --main-lcore 0 --no-pci --in-memory --single-file-segments" \
		"-m $mem_mb --no-telemetry --file-prefix $tag-$1"
}
common=(--nb-cores=1 --rxq=1 --txq=1 --burst=32 "--total-num-mbufs=$mbufs" "--rxd=$qsize" "--txd=$qsize")

launch() { # $1: name, $2: log, rest: testpmd arguments
	local name=$1 log=$2
	shift 2
	(
		timeout -s INT -k 5 "$max_secs" dpdk-testpmd "$@" >"$log" 2>&1 </dev/null &
		echo $! >"$log_dir/$name.pid"
		wait $!
		echo "$name exit status $?" >>"$log"
	) 2>>"$log" &
}

# H first, as the vhost-user server (net_vhost's default, client=0): it
# creates both sockets when testpmd configures its ports, and each
# virtio-user (client, its default server=0) connects once, at probe, and
# fails for good if the socket is not there yet. So the script waits for
# both sockets before it starts B and A: one connection attempt each, no
# retry loop. The reverse (virtio-user server=1, net_vhost client=1) would
# have H's vhost library retry the connection in the background, which
# makes start-up timing depend on its reconnect interval for no gain here.
# B before A, so that A's first packets find B's ring posted.
# --disable-link-check: H's links are down until the guests connect, and
# testpmd would otherwise spend up to 9 s polling them before forwarding.
# --port-topology=paired on two ports makes two streams on the one
# forwarding lcore, 0->1 and 1->0; the second is always empty (B is rxonly
# and never transmits; its TX-packets stay 0 and so do H's port 1
# RX-packets), it only costs H one empty vhost dequeue per loop.
# shellcheck disable=SC2046
launch host "$host_log" $(eal host "$cpu_host" "$cpu_tx") \
	--vdev="net_vhost0,iface=$sock1,queues=1" --vdev="net_vhost1,iface=$sock2,queues=1" \
	-- "${common[@]}" --forward-mode=io --port-topology=paired --disable-link-check --stats-period 1

for _ in $(seq 100); do
	[ -S "$sock1" ] && [ -S "$sock2" ] && break
	sleep 0.1
done
if ! [ -S "$sock1" ] || ! [ -S "$sock2" ]; then
	die "host did not create $sock1 and $sock2; its log ends: $(log_end "$host_log")"
fi

vdev() { # $1: socket
	echo "--vdev=net_virtio_user0,path=$1,queues=1,queue_size=$qsize"
}
# shellcheck disable=SC2046
launch rx "$rx_log" $(eal rx "$cpu_rx" "$cpu_host") $(vdev "$sock2") \
	-- "${common[@]}" --forward-mode=rxonly --stats-period 1
# shellcheck disable=SC2046
launch tx "$tx_log" $(eal tx "$cpu_tx" "$cpu_host") $(vdev "$sock1") \
	-- "${common[@]}" --forward-mode=txonly --txpkts="$size" --stats-period 1

# Wait for SAMPLES windows with traffic after the first one.
nonzero() { awk '/Rx-pps:/ && $2 > 0 { n++ } END { print n + 0 }' "$rx_log"; }
deadline=$((SECONDS + max_secs - 5))
while (( $(nonzero) < want + 1 && SECONDS < deadline )); do
	for p in tx rx host; do
		[ -n "$(pid_of $p)" ] && ! kill -0 "$(pid_of $p)" 2>/dev/null && break 2
	done
	sleep 0.2
done
# The testpmd under its timeout(1): VmHWM and HugetlbPages (hugepages do
# not count in RSS) while it still runs.
rss_of() { # $1: name
	local p c
	p=$(pid_of "$1")
	[ -n "$p" ] || return
	c=$(pgrep -P "$p" | head -1)
	[ -n "$c" ] || return
	awk -v n="$1" '/^VmHWM:/ { h = $2 } /^HugetlbPages:/ { t = $2 }
		END { if (h != "") print "rss", n, h, t + 0 }' "/proc/$c/status" 2>/dev/null
}
rss=$(for p in host tx rx; do rss_of $p; done)
# Stop A, give B a moment to print one more window (not always: on this
# VM testpmd's stats loop often prints every 2 s, see the top), then stop B,
# and H only once B is gone: a virtio-user whose vhost-user peer went away first dies of
# SIGPIPE on its way out (stats are printed by then, but it is noise).
stop() { # $1: name; waits up to 5 s for it to exit
	local p
	p=$(pid_of "$1")
	[ -n "$p" ] || return
	kill -INT "$p" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$p" 2>/dev/null || return
		sleep 0.1
	done
}
stop tx
sleep 1.2
stop rx
stop host
wait

samples=$(awk '/Rx-pps:/ { print $2 }' "$rx_log")
if ! awk '$1 > 0 { ok = 1 } END { exit !ok }' <<<"$samples"; then
	die "receiver got nothing; logs end: host: $(log_end "$host_log"); sender:" \
		"$(log_end "$tx_log"); receiver: $(log_end "$rx_log")"
fi
echo "$samples"
[ -n "$rss" ] && echo "$rss"
# testpmd prints the forwarding totals when stopped; port 1 is H's
# towards B.
awk '/Forward statistics for port 1/ { p = 1 }
	p && /TX-packets:/ { print "h2b", $2, $4; exit }' "$host_log"
exit 0
