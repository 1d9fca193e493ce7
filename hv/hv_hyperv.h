/* The Hyper-V enlightenments a Linux guest looks for, emulated in
 * userspace: the CPUID leaves 0x40000000-0x4000000A, the synthetic MSRs
 * (guest OS id, hypercall page, VP index, VP assist page, reference
 * counter and TSC page, frequencies, and the SynIC's through hv_synic.h),
 * and the hypercalls HvPostMessage and HvSignalEvent.
 *
 * Everything here is plain code over guest memory: no KVM calls, so the
 * logic is unit-tested without /dev/kvm. The VMM routes the synthetic MSR
 * range (an MSR filter) and the hypercall page's port write here.
 * Sources: reference §1.2-1.5; L: arch/x86/include/asm/hyperv-tlfs.h,
 * include/asm-generic/hyperv-tlfs.h. */
#ifndef HV_HYPERV_H
#define HV_HYPERV_H

#include <stdint.h>

#include "hv/hv_synic.h"

/* Synthetic MSRs */
#define HV_MSR_GUEST_OS_ID      0x40000000u
#define HV_MSR_HYPERCALL        0x40000001u
#define HV_MSR_VP_INDEX         0x40000002u
#define HV_MSR_TIME_REF_COUNT   0x40000020u
#define HV_MSR_REFERENCE_TSC    0x40000021u
#define HV_MSR_TSC_FREQUENCY    0x40000022u
#define HV_MSR_APIC_FREQUENCY   0x40000023u
#define HV_MSR_VP_ASSIST_PAGE   0x40000073u
#define HV_MSR_FIRST            0x40000000u
#define HV_MSR_LAST             0x400001FFu

/* Hypercall codes and statuses (TLFS; L: include/asm-generic/hyperv-tlfs.h) */
#define HVCALL_POST_MESSAGE     0x005c
#define HVCALL_SIGNAL_EVENT     0x005d
#define HV_HYPERCALL_FAST_BIT   (1ull << 16)

#define HV_STATUS_SUCCESS                 0
#define HV_STATUS_INVALID_HYPERCALL_CODE  2
#define HV_STATUS_INVALID_HYPERCALL_INPUT 3
#define HV_STATUS_INVALID_ALIGNMENT       4
#define HV_STATUS_INVALID_PARAMETER       5
#define HV_STATUS_ACCESS_DENIED           6
#define HV_STATUS_INSUFFICIENT_MEMORY     11
#define HV_STATUS_INVALID_PORT_ID         17
#define HV_STATUS_INVALID_CONNECTION_ID   18
#define HV_STATUS_INSUFFICIENT_BUFFERS    19

/* struct hv_input_post_message (L: drivers/hv/hyperv_vmbus.h) */
struct hv_input_post_message {
	uint32_t connection_id;
	uint32_t reserved;
	uint32_t message_type;
	uint32_t payload_size;
	uint8_t payload[HV_SYNIC_MSG_PAYLOAD];
} hvn_packed;
_Static_assert(sizeof(struct hv_input_post_message) == 256, "hv_input_post_message");

/* The SINT the VMBus uses (L: drivers/hv/hyperv_vmbus.h VMBUS_MESSAGE_SINT)
 * and its message type (HVMSG_VMBUS... Q: hyperv-proto.h HV_MESSAGE_VMBUS). */
#define HV_VMBUS_SINT 2
#define HV_MESSAGE_VMBUS 1

/* Where hypercalls go once parsed and checked. Each returns a TLFS
 * status. Called on the calling VP's thread. */
struct hv_hcall_handlers {
	uint16_t (*post_message)(void *ctx, uint32_t vp, uint32_t conn_id,
				 uint32_t type, const void *payload, uint32_t len);
	uint16_t (*signal_event)(void *ctx, uint32_t vp, uint32_t conn_id);
};

struct hv_cpuid_leaf {
	uint32_t function, eax, ebx, ecx, edx;
};
#define HV_CPUID_LEAVES 11   /* 0x40000000..0x4000000A */

struct hv_hyperv;

/* 'tsc_base' is the host TSC when the guest's TSC was 0; 'msi' injects a
 * vector to a VP (for the SynIC). */
struct hv_hyperv *hv_hyperv_create(const struct vmbus_mem *mem, unsigned int nr_vps,
				   uint64_t tsc_hz, uint64_t tsc_base,
				   int (*msi)(void *ctx, uint32_t vp, uint8_t vector),
				   void *ctx);
void hv_hyperv_destroy(struct hv_hyperv *h);

void hv_hyperv_set_handlers(struct hv_hyperv *h, const struct hv_hcall_handlers *ops,
			    void *ctx);
struct hv_synic *hv_hyperv_synic(struct hv_hyperv *h);

/* The Hyper-V CPUID leaves, HV_CPUID_LEAVES of them. */
void hv_hyperv_cpuid(const struct hv_hyperv *h, struct hv_cpuid_leaf *out);

/* 0, -EINVAL for an access the TLFS refuses (#GP), -ENOENT for an MSR
 * that is not emulated (also #GP). */
int hv_hyperv_rdmsr(struct hv_hyperv *h, uint32_t vp, uint32_t msr, uint64_t *val);
int hv_hyperv_wrmsr(struct hv_hyperv *h, uint32_t vp, uint32_t msr, uint64_t val);

/* A hypercall from 'vp': control in RCX, input (GPA or fast value) in RDX,
 * output GPA in R8. Returns the RAX the guest gets (status and reps). */
uint64_t hv_hyperv_hypercall(struct hv_hyperv *h, uint32_t vp, uint64_t control,
			     uint64_t input, uint64_t output);

struct hv_hyperv_stats {
	uint64_t hypercalls;
	uint64_t hypercall_errors;   /* any non-success status */
	uint64_t msr_errors;         /* #GP answers */
};
void hv_hyperv_get_stats(struct hv_hyperv *h, struct hv_hyperv_stats *out);

/* The trampoline written into the guest's hypercall page: a port write
 * traps to us without touching RCX, RDX or R8 (reference §1.4). */
#define HV_HYPERCALL_TRAMPOLINE { 0xe6, HV_PORT_HYPERCALL_IMM, 0xc3 }
#define HV_PORT_HYPERCALL_IMM 0x9e

#endif /* HV_HYPERV_H */
