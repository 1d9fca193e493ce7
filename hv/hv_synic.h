/* The synthetic interrupt controller (TLFS chapter "Virtual Interrupt
 * Controller", SynIC), emulated in userspace because this host's KVM has
 * no in-kernel Hyper-V (machine-notes; reference §1.5).
 *
 * Per VP: SCONTROL, SIMP, SIEFP and 16 SINT registers; a message page with
 * one 256-byte slot per SINT and an event-flags page with 2048 bits per
 * SINT, both plain guest RAM the guest points us at. Messages wait in a
 * bounded per-VP queue and enter a slot only when it is free; a busy slot
 * gets msg_pending and the guest's EOM write retries. Event flags are set
 * with an atomic OR and interrupt only on a 0-to-1 change.
 *
 * Thread model: MSR accesses come from the VP's own thread; posts and
 * signals from any thread (the VMBus server, device workers). A per-VP
 * mutex covers the queue and the registers; signal() takes no lock. */
#ifndef HV_SYNIC_H
#define HV_SYNIC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hvn_compiler.h"
#include "vmbus/vmbus_mem.h"

#define HV_SYNIC_SINT_COUNT 16
#define HV_SYNIC_FLAGS_PER_SINT 2048
#define HV_SYNIC_MSG_PAYLOAD 240
#define HV_SYNIC_QUEUE_DEPTH 512   /* per VP; see hv_synic_post() */

/* MSRs (L: arch/x86/include/asm/hyperv-tlfs.h) */
#define HV_MSR_SCONTROL  0x40000080u
#define HV_MSR_SVERSION  0x40000081u
#define HV_MSR_SIEFP     0x40000082u
#define HV_MSR_SIMP      0x40000083u
#define HV_MSR_EOM       0x40000084u
#define HV_MSR_SINT0     0x40000090u
#define HV_MSR_SINT15    0x4000009Fu

#define HV_SINT_VECTOR_MASK 0xffull
#define HV_SINT_MASKED      (1ull << 16)
#define HV_SINT_AUTO_EOI    (1ull << 17)
#define HV_SINT_POLLING     (1ull << 18)

/* struct hv_message (L: include/asm-generic/hyperv-tlfs.h): a 16-byte
 * header and 240 bytes of payload; 16 of them fill the message page. */
struct hv_message {
	uint32_t message_type;
	uint8_t payload_size;
	uint8_t message_flags;      /* bit 0: msg_pending */
	uint8_t reserved[2];
	uint64_t port;              /* sender / port id */
	uint8_t payload[HV_SYNIC_MSG_PAYLOAD];
} hvn_packed;
_Static_assert(sizeof(struct hv_message) == 256, "hv_message is 256 bytes (TLFS)");

#define HV_MESSAGE_FLAG_PENDING 0x01

struct hv_synic;

/* msi() injects 'vector' to the LAPIC of 'vp' (its APIC id). */
struct hv_synic *hv_synic_create(const struct vmbus_mem *mem, unsigned int nr_vps,
				 int (*msi)(void *ctx, uint32_t vp, uint8_t vector),
				 void *ctx);
void hv_synic_destroy(struct hv_synic *s);

/* MSR access for 0x40000080..0x4000009F. 0, or -EINVAL for a value the
 * TLFS refuses (the VMM injects #GP), -ENOENT for an MSR that is not the
 * SynIC's. */
int hv_synic_rdmsr(struct hv_synic *s, uint32_t vp, uint32_t msr, uint64_t *val);
int hv_synic_wrmsr(struct hv_synic *s, uint32_t vp, uint32_t msr, uint64_t val);

/* Queue a message for (vp, sint) and deliver it if its slot is free.
 * 0 queued or delivered; -ENOBUFS the VP's queue is full (the guest stopped
 * taking messages); -EINVAL bad vp/sint/size; -ENODEV the message page is
 * off, so the message is dropped (as Hyper-V drops them, reference
 * pitfall 7) and counted. */
int hv_synic_post(struct hv_synic *s, uint32_t vp, uint32_t sint, uint32_t type,
		  uint64_t port, const void *payload, uint32_t len);

/* Set event flag 'flag' of (vp, sint). 1 if it went 0 -> 1 (an interrupt
 * was raised if the SINT is unmasked), 0 if it was already set, -ENODEV if
 * the event page or the VP's SynIC (SCONTROL) is off, -EINVAL bad
 * arguments. Any thread, no lock. */
int hv_synic_signal(struct hv_synic *s, uint32_t vp, uint32_t sint, uint32_t flag);

struct hv_synic_stats {
	uint64_t msgs_posted;       /* accepted into a queue */
	uint64_t msgs_delivered;    /* written into a slot */
	uint64_t msgs_dropped;      /* message page off */
	uint64_t msgs_refused;      /* queue full */
	uint64_t pending_set;       /* slot busy: msg_pending set */
	uint64_t eoms;
	uint64_t signals;           /* 0 -> 1 flag changes */
	uint64_t signals_coalesced; /* flag already set */
	uint64_t signals_dropped;   /* event page off */
	uint64_t interrupts;
	uint64_t bad_pages;         /* SIMP/SIEFP outside the partition */
};
void hv_synic_get_stats(struct hv_synic *s, struct hv_synic_stats *out);

#endif /* HV_SYNIC_H */
