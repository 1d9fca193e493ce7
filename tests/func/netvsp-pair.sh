#!/bin/bash
# Two process partitions exchange frames through netVSP and the port pair:
# each brings its synthetic NIC up the way Linux does and sends COUNT
# frames of SIZE bytes to the other, which checks every one arrives, in
# order and intact (the pair holds frames back rather than drop them).
#   netvsp-pair.sh HOST_EXE GUEST_EXE [COUNT] [SIZE...]
set -u
host=$1 guest=$2 count=${3:-100000}
shift 3 2>/dev/null || shift $#
sizes=${*:-64 1514}
dir=$(mktemp -d /tmp/hvnet-netvsp-test.XXXXXX)
trap 'kill $hpid 2>/dev/null; wait 2>/dev/null; rm -rf "$dir"' EXIT
fail=0
for size in $sizes; do
	sock=$dir/vmbus-$size.sock
	"$host" --no-huge -m 256 --no-shconf --no-pci -l 0,1 --log-level='*:error' \
		-- --socket "$sock" --partitions 2 >"$dir/host-$size.log" 2>&1 &
	hpid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ] || { echo "FAIL: hvnet-netvsp did not start"; cat "$dir/host-$size.log"; exit 1; }
	"$guest" --socket "$sock" --name a --count "$count" --size "$size" --timeout 60 >"$dir/a.log" 2>&1 &
	apid=$!
	"$guest" --socket "$sock" --name b --count "$count" --size "$size" --timeout 60 >"$dir/b.log" 2>&1
	brc=$?
	wait $apid; arc=$?
	for _ in $(seq 100); do kill -0 $hpid 2>/dev/null || break; sleep 0.05; done
	kill $hpid 2>/dev/null; wait $hpid 2>/dev/null
	cat "$dir/a.log" "$dir/b.log" "$dir/host-$size.log"
	if [ $arc -ne 0 ] || [ $brc -ne 0 ]; then
		echo "FAIL: $size-byte frames: guest a exit $arc, guest b exit $brc"
		fail=1
	elif ! grep -q "protocol errors 0" "$dir/host-$size.log"; then
		echo "FAIL: $size-byte frames: the host counted protocol errors"
		fail=1
	else
		echo "ok: $count frames of $size bytes each way"
	fi
done
exit $fail
