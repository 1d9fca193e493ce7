/* Can this host's KVM run a stock Linux kernel? Decided by running the
 * instructions a stock kernel needs and some KVMs only emulate (machine
 * notes: a nested KVM that runs guests through its instruction emulator
 * fails on int3, xsave/xrstor and cmpxchg16b with an emulation error,
 * while /proc/cpuinfo still shows xsave and cx16, so flags cannot tell). */
#ifndef HV_PROBE_H
#define HV_PROBE_H

#include <stddef.h>

/* Creates a 16 MiB, 1-VP partition without enlightenments and runs a few
 * bytes of 64-bit code in it: int3 (through an IDT whose #BP handler
 * returns with iretq), xsave and xrstor (after setting CR4.OSXSAVE, when
 * the guest's CPUID has XSAVE), cmpxchg16b (when it has CX16), then a
 * debug-exit write of 0. Takes well under a second where it works, at
 * most about 10 s where it hangs.
 *
 * Returns 0 if the guest got through (why says so), -EOPNOTSUPP if KVM
 * could not run it (why names the instruction and the exit), -ENODEV
 * without a usable /dev/kvm (why says which), or another negative errno
 * if the partition could not be made (why says what failed). */
int hv_probe_stock_linux(char *why, size_t len);

#endif /* HV_PROBE_H */
