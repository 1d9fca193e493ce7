#!/usr/bin/env bash
# A stock Debian kernel (linux-image-amd64, unmodified hv_vmbus) boots in
# an hv partition and finds hvnet's VMBus test device: the initramfs's
# /init loads hv_vmbus and hv_netvsc, prints the class GUIDs of the VMBus
# devices it sees on ttyS0, brings up the two synthetic NICs `hv
# --nic-pair` offers (joined back to back by netVSP) and ARPs from eth0 to
# eth1, and powers off through ACPI S5. Passes only if the test device's
# GUID is among the devices and eth1's answer reached eth0.
#
# Skips (77) where `hv --probe` says this host's KVM cannot run a stock
# kernel (an emulating, nested KVM: machine-notes) or there is no KVM.
#
# usage: hv-linux-guest.sh HV_EXE BUILD_LINUX_INITRAMFS VMBUS_TESTDEV_H
set -uo pipefail

hv=${1:?usage: hv-linux-guest.sh HV_EXE BUILD_LINUX_INITRAMFS VMBUS_TESTDEV_H}
build=${2:?build-linux-initramfs script}
testdev_h=${3:?vmbus/vmbus_testdev.h}
boot_timeout=${HVNET_LINUX_BOOT_TIMEOUT:-180}

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

why=$("$hv" --probe 2>&1)
rc=$?
case $rc in
0) ;;
2 | 3)
	echo "SKIP: a stock Linux guest cannot run on this host: $why"
	exit 77 ;;
*) fail "hv --probe exited $rc: $why" ;;
esac

# The GUID as Linux prints class_id ({%pUl}: the first three fields
# little-endian), from the 16 bytes of VMBUS_TESTDEV_GUID_INIT.
bytes=$(sed -n '/define VMBUS_TESTDEV_GUID_INIT/,/}/p' "$testdev_h" |
	grep -o '0x[0-9a-fA-F][0-9a-fA-F]' | sed 's/0x//' | tr 'A-F' 'a-f' | tr '\n' ' ')
read -r -a b <<<"$bytes"
[ ${#b[@]} -eq 16 ] || fail "cannot read VMBUS_TESTDEV_GUID_INIT from $testdev_h"
guid="{${b[3]}${b[2]}${b[1]}${b[0]}-${b[5]}${b[4]}-${b[7]}${b[6]}-${b[8]}${b[9]}-${b[10]}${b[11]}${b[12]}${b[13]}${b[14]}${b[15]}}"

# The script's default cache needs root; anyone else caches in their home.
cache=${HVNET_LINUX_CACHE:-/var/cache/hvnet/linux}
if [ -z "${HVNET_LINUX_CACHE:-}" ] && ! mkdir -p "$cache" 2>/dev/null; then
	cache=${XDG_CACHE_HOME:-$HOME/.cache}/hvnet/linux
fi
HVNET_LINUX_CACHE=$cache "$build" || fail "$build could not prepare the kernel and initramfs"
kernel=$cache/vmlinuz
initrd=$cache/initramfs.cpio.gz

work=$(mktemp -d /tmp/hvnet-linux-guest.XXXXXX)
trap 'rm -rf "$work"' EXIT
serial=$work/serial.log

# panic=-1: a kernel that panics reboots at once (hv exits 6) instead of
# sitting out the timeout. The platform has no PCI.
cmdline="console=ttyS0 earlyprintk=ttyS0 panic=-1 pci=off"
timeout --kill-after=10 $((boot_timeout + 30)) \
	"$hv" --kernel "$kernel" --initrd "$initrd" --mem 512M --cpus 2 \
	--cmdline "$cmdline" --serial "$serial" --vmbus-test-device --nic-pair \
	--timeout "$boot_timeout" --name linux-guest
hv_rc=$?

show_log() {
	echo "---- last lines of the guest's console ($serial) ----" >&2
	tail -n 60 "$serial" >&2 2>/dev/null || echo "(no console output)" >&2
	echo "----" >&2
}

line=$(grep -a 'HVNET-VMBUS-DEVICES:' "$serial" 2>/dev/null | tail -n1 | tr -d '\r')
if [ -z "$line" ]; then
	show_log
	fail "the guest never listed its VMBus devices (hv exited $hv_rc)"
fi
if ! grep -qiF "$guid" <<<"$line"; then
	show_log
	fail "the guest's VMBus devices ($line) do not include the test device $guid"
fi
if [ $hv_rc -ne 0 ]; then
	show_log
	fail "the guest found the test device but did not power off cleanly (hv exited $hv_rc)"
fi
if ! grep -aq 'HVNET-NETVSC: ok' "$serial"; then
	show_log
	fail "hv_netvsc did not carry ARP between the two synthetic NICs ($(grep -a 'HVNET-NETVSC:' "$serial" | tail -n1))"
fi
echo "ok - stock Linux $(cat "$cache/kernel-version" 2>/dev/null) found the VMBus test device $guid"
