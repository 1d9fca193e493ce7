#!/usr/bin/env bash
# The freestanding test guest in a real KVM partition under `hv`: CPUID,
# synthetic MSRs, the hypercall page, bad hypercalls' TLFS statuses, the
# SynIC, VMBus 5.3 over it, a ring GPADL, the echo test device both ways,
# close, teardown and unload. Then the worker's own errors: each must say
# what failed and exit with its documented status.
#
# The NIC guest then brings two netVSC NICs up against netVSP (hv
# --nic-pair joins them back to back) and sends checked frames both ways.
#
# usage: hv-guest.sh HV_EXE TEST_GUEST NIC_GUEST
set -uo pipefail

hv=${1:?usage: hv-guest.sh HV_EXE TEST_GUEST NIC_GUEST}
guest=${2:?test guest}
nic_guest=${3:?NIC guest}

if [ ! -e /dev/kvm ]; then
	echo "SKIP: /dev/kvm does not exist; the KVM partition tests need it"
	exit 77
fi

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

work=$(mktemp -d /tmp/hvnet-hv-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT

run_guest() {  # name, extra hv args...
	local name=$1
	shift
	"$hv" --kernel "$guest" --vmbus-test-device --mem 64M --timeout 60 --stats \
		--serial "$work/$name.serial" "$@" 2>"$work/$name.err"
	local rc=$?
	cat "$work/$name.serial"
	sed 's/^/  /' "$work/$name.err"
	[ $rc -eq 0 ] || fail "$name: hv exited $rc (the guest's step code; see FAIL above)"
	grep -q "HVNET-GUEST: PASS" "$work/$name.serial" || fail "$name: no PASS line"
	grep -q "messages posted [1-9].* refused 0" "$work/$name.err" ||
		fail "$name: SynIC refused messages"
	grep -q "protocol errors 0" "$work/$name.err" || fail "$name: VMBus protocol errors"
	echo "ok: $name"
}

run_guest one-vp
run_guest two-vps --cpus 2
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
if [ "${free:-0}" -ge 32 ]; then
	run_guest hugepages --hugepages
else
	echo "note: fewer than 32 free 2 MiB hugepages; the --hugepages case is not run"
fi

# Synthetic NICs: netVSC in the KVM guest, netVSP on a DPDK lcore.
"$hv" --kernel "$nic_guest" --nic-pair --mem 64M --timeout 120 --stats \
	--serial "$work/nic.serial" 2>"$work/nic.err"
rc=$?
cat "$work/nic.serial"
sed 's/^/  /' "$work/nic.err"
[ $rc -eq 0 ] || fail "nic: hv exited $rc (the guest's step code; see FAIL above)"
grep -q "HVNET-NIC-GUEST: PASS 240 frames" "$work/nic.serial" || fail "nic: no PASS line"
[ "$(grep -c 'from guest 120 frames, to guest 120 frames, drops filter 0 nobuf 0, protocol errors 0' \
	"$work/nic.err")" -eq 2 ] || fail "nic: netVSP's counters for the two vNICs are not exact"
echo "ok: nic-pair"

expect() {  # status, pattern, hv args...
	local want=$1 pat=$2 out rc
	shift 2
	out=$("$hv" "$@" --serial none 2>&1)
	rc=$?
	[ $rc -eq "$want" ] || fail "hv $*: exit $rc, want $want ($out)"
	echo "$out" | grep -q "$pat" || fail "hv $*: message '$out' does not say '$pat'"
	echo "ok: hv $* -> $rc: $out"
}

printf 'not a kernel\n' >"$work/text"
head -c 100 "$guest" >"$work/truncated"
expect 2 "not a kernel" --kernel "$work/text"
expect 2 "" --kernel "$work/truncated"
expect 2 "No such file" --kernel "$work/missing"
expect 2 "between 16 MiB and 3 GiB" --kernel "$guest" --mem 8M
expect 2 "between 16 MiB and 3 GiB" --kernel "$guest" --mem 4G
expect 2 "between 1 and 64" --kernel "$guest" --cpus 0
expect 2 "not a size" --kernel "$guest" --mem lots
expect 2 "need the enlightenments" --kernel "$guest" --no-hyperv --vmbus-test-device
expect 2 "is required" --mem 64M
# A guest that never stops is stopped by --timeout, with status 5.
expect 5 "timeout" --kernel "$guest" --cmdline "hang" --timeout 1
# The probe answers and its status is one of the documented ones.
"$hv" --probe >"$work/probe" 2>&1
rc=$?
case $rc in
0 | 3) echo "ok: hv --probe -> $rc: $(cat "$work/probe")" ;;
*) fail "hv --probe exited $rc: $(cat "$work/probe")" ;;
esac
echo "PASS"
