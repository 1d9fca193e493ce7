/* CPUID for a VP: what KVM supports on this host, the VP's APIC id, and in
 * the hypervisor range the Hyper-V leaves instead of KVM's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "hv/hv_hyperv.h"
#include "hv/hv_priv.h"

#define CPUID_MAX_ENTRIES 256

int hv_cpuid_setup(struct hv_partition *p, struct hv_vp *vp)
{
	struct kvm_cpuid2 *c;
	unsigned int n = 0;
	int rc = 0;

	c = calloc(1, sizeof(*c) + CPUID_MAX_ENTRIES * sizeof(c->entries[0]));
	if (!c)
		return -ENOMEM;
	c->nent = CPUID_MAX_ENTRIES;
	if (ioctl(p->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
		rc = -errno;
		goto out;
	}
	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		/* KVM's own leaves ("KVMKVMKVM" at 0x40000000) would make
		 * Linux pick KVM over Hyper-V (reference §1.1); a partition
		 * without enlightenments keeps them. */
		if (p->hyperv && e->function >= 0x40000000u && e->function <= 0x4fffffffu)
			continue;
		switch (e->function) {
		case 1:
			e->ecx |= 1u << 31;                 /* hypervisor present */
			e->ebx = (e->ebx & 0x00ffffffu) | vp->index << 24;
			break;
		case 0xb:
		case 0x1f:
			e->edx = vp->index;                 /* x2APIC id */
			break;
		default:
			break;
		}
		c->entries[n++] = *e;
	}
	if (p->hyperv) {
		struct hv_cpuid_leaf hl[HV_CPUID_LEAVES];

		hv_hyperv_cpuid(p->hyperv, hl);
		for (unsigned int i = 0; i < HV_CPUID_LEAVES && n < CPUID_MAX_ENTRIES; i++) {
			struct kvm_cpuid_entry2 *e = &c->entries[n++];

			memset(e, 0, sizeof(*e));
			e->function = hl[i].function;
			e->eax = hl[i].eax;
			e->ebx = hl[i].ebx;
			e->ecx = hl[i].ecx;
			e->edx = hl[i].edx;
		}
	}
	c->nent = n;
	if (ioctl(vp->fd, KVM_SET_CPUID2, c) < 0)
		rc = -errno;
out:
	free(c);
	return rc;
}
