#!/bin/bash
# Two process partitions drive their synthetic NICs through the netVSC
# port API (rte_mbuf bursts, multi-queue) and exchange frames through
# netVSP and the port pair. Each guest checks every frame from its peer
# byte for byte (and the offload results it asked for), counts per queue,
# and exits non-zero on any error; here both must exit 0 and the host must
# have counted no malformed packet and no protocol error on either vNIC.
#   netvsc-pair.sh HOST_EXE GUEST_EXE 'HOST_ARGS' GUEST_ARGS...
set -u
host=$1 guest=$2 hostargs=$3
shift 3
eal=(--no-huge -m 256 --no-shconf --no-pci -l 0,1 --log-level='*:error')
dir=$(mktemp -d /tmp/hvnet-netvsc-test.XXXXXX)
hpid=
trap '[ -n "$hpid" ] && kill $hpid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
sock=$dir/vmbus.sock
# shellcheck disable=SC2086
"$host" "${eal[@]}" -- --socket "$sock" --partitions 2 $hostargs >"$dir/host.log" 2>&1 &
hpid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || { echo "FAIL: hvnet-netvsp did not start"; cat "$dir/host.log"; exit 1; }
"$guest" "${eal[@]}" -- --socket "$sock" --name a --timeout 40 "$@" >"$dir/a.log" 2>&1 &
apid=$!
"$guest" "${eal[@]}" -- --socket "$sock" --name b --timeout 40 "$@" >"$dir/b.log" 2>&1
brc=$?
wait $apid; arc=$?
# The host exits once both partitions have left.
for _ in $(seq 100); do kill -0 $hpid 2>/dev/null || break; sleep 0.05; done
kill $hpid 2>/dev/null; wait $hpid 2>/dev/null; hpid=
cat "$dir/a.log" "$dir/b.log" "$dir/host.log"
clean=$(grep -c "bad 0, protocol errors 0$" "$dir/host.log")
if [ $arc -ne 0 ] || [ $brc -ne 0 ]; then
	echo "FAIL: guest a exit $arc, guest b exit $brc ($*)"
	exit 1
elif [ "$clean" -ne 2 ]; then
	echo "FAIL: the host counted malformed packets or protocol errors ($*)"
	exit 1
fi
# Lossy: what each guest missed is exactly what the host dropped on the
# way to it, for a stuck queue or a full receive buffer (give or take the
# peer's last probe).
case " $* " in *" --lossy "*)
	for g in a b; do
		lost=$(sed -n 's/^'$g': \([0-9]*\) frames lost.*/\1/p' "$dir/$g.log")
		stuck=$(sed -n 's/^netvsp: '$g': pair .*stuck queue [0-9]* from it, \([0-9]*\) to it.*/\1/p' \
			"$dir/host.log")
		nobuf=$(sed -n 's/^netvsp: '$g': nvsp.* nobuf \([0-9]*\) .*/\1/p' "$dir/host.log")
		# The host may also have dropped the one probe the peer sends
		# once it saw us (not a data frame, so not in 'lost'): it goes
		# when our buffer may already be full.
		if [ -z "$lost" ] || [ -z "$stuck" ] || [ -z "$nobuf" ] ||
			[ $((stuck + nobuf - lost)) -lt 0 ] || [ $((stuck + nobuf - lost)) -gt 1 ]; then
			echo "FAIL: guest $g lost ${lost:-?} frames, the host counted ${stuck:-?} dropped" \
				"for a stuck queue and ${nobuf:-?} for no buffer on the way to it ($*)"
			exit 1
		fi
		echo "$g: lost $lost data frames; the host dropped $stuck for a stuck queue + $nobuf for no buffer"
	done
esac
echo "ok: both ways, $*"
