/* Hyper-V CPUID leaves, synthetic MSRs and hypercalls; see hv_hyperv.h. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <x86intrin.h>

#include "hv/hv.h"
#include "hv/hv_hyperv.h"

_Static_assert(HV_PORT_HYPERCALL_IMM == HV_PORT_HYPERCALL, "one hypercall port");

/* CPUID 0x40000003 EAX (partition privileges, low half) */
#define HV_MSR_TIME_REF_COUNT_AVAILABLE (1u << 1)
#define HV_MSR_SYNIC_AVAILABLE          (1u << 2)
#define HV_MSR_HYPERCALL_AVAILABLE      (1u << 5)
#define HV_MSR_VP_INDEX_AVAILABLE       (1u << 6)
#define HV_MSR_REFERENCE_TSC_AVAILABLE  (1u << 9)
#define HV_ACCESS_FREQUENCY_MSRS        (1u << 11)
/* EBX (high half) */
#define HV_POST_MESSAGES                (1u << 4)
#define HV_SIGNAL_EVENTS                (1u << 5)
/* EDX */
#define HV_FEATURE_FREQUENCY_MSRS_AVAILABLE (1u << 8)
/* 0x40000004 EAX: without it Linux programs auto-EOI, which the in-kernel
 * LAPIC cannot do, and the guest hangs after its first VMBus interrupt
 * (reference §1.5). */
#define HV_DEPRECATING_AEOI_RECOMMENDED (1u << 9)

#define HV_APIC_HZ 1000000000ull  /* KVM's LAPIC timer runs at 1 GHz */

struct hv_vp_regs {
	uint64_t vp_assist;
};

struct hv_hyperv {
	const struct vmbus_mem *mem;
	unsigned int nr_vps;
	uint64_t tsc_hz;
	uint64_t tsc_base;
	struct hv_synic *synic;
	const struct hv_hcall_handlers *ops;
	void *ops_ctx;

	/* Partition-wide MSRs, written by any VP. */
	pthread_mutex_t lock;
	uint64_t guest_os_id;
	uint64_t hypercall;
	uint64_t ref_tsc;
	struct hv_hyperv_stats st;
	struct hv_vp_regs vps[];
};

#define STAT_INC(h, f) __atomic_fetch_add(&(h)->st.f, 1, __ATOMIC_RELAXED)

struct hv_hyperv *hv_hyperv_create(const struct vmbus_mem *mem, unsigned int nr_vps,
				   uint64_t tsc_hz, uint64_t tsc_base,
				   int (*msi)(void *ctx, uint32_t vp, uint8_t vector),
				   void *ctx)
{
	struct hv_hyperv *h;

	/* The TSC page scale is 10 MHz / tsc_hz in 0.64 fixed point: a TSC
	 * at or below 10 MHz does not fit (and no x86 TSC is that slow). */
	if (tsc_hz <= 10000000u)
		return NULL;
	h = calloc(1, sizeof(*h) + nr_vps * sizeof(h->vps[0]));
	if (!h)
		return NULL;
	h->synic = hv_synic_create(mem, nr_vps, msi, ctx);
	if (!h->synic) {
		free(h);
		return NULL;
	}
	h->mem = mem;
	h->nr_vps = nr_vps;
	h->tsc_hz = tsc_hz;
	h->tsc_base = tsc_base;
	pthread_mutex_init(&h->lock, NULL);
	return h;
}

void hv_hyperv_destroy(struct hv_hyperv *h)
{
	if (!h)
		return;
	hv_synic_destroy(h->synic);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void hv_hyperv_set_handlers(struct hv_hyperv *h, const struct hv_hcall_handlers *ops,
			    void *ctx)
{
	h->ops_ctx = ctx;
	h->ops = ops;
}

struct hv_synic *hv_hyperv_synic(struct hv_hyperv *h)
{
	return h->synic;
}

static uint32_t sig(const char s[4])
{
	return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 |
	       (uint32_t)(uint8_t)s[2] << 16 | (uint32_t)(uint8_t)s[3] << 24;
}

void hv_hyperv_cpuid(const struct hv_hyperv *h, struct hv_cpuid_leaf *out)
{
	memset(out, 0, HV_CPUID_LEAVES * sizeof(*out));
	for (unsigned int i = 0; i < HV_CPUID_LEAVES; i++)
		out[i].function = 0x40000000u + i;
	/* Vendor: "Microsoft Hv", and nothing of KVM's anywhere in this range
	 * or Linux picks KVM (reference §1.1). */
	out[0].eax = 0x4000000Au;
	out[0].ebx = sig("Micr");
	out[0].ecx = sig("osof");
	out[0].edx = sig("t Hv");
	out[1].eax = sig("Hv#1");
	/* Version: printed by Linux only. 10.0 build 20348. */
	out[2].eax = 20348;
	out[2].ebx = 10u << 16;
	/* Privileges: never partition-id access or CPU management (BUG() or
	 * the root-partition path in Linux, reference §1.2). */
	out[3].eax = HV_MSR_TIME_REF_COUNT_AVAILABLE | HV_MSR_SYNIC_AVAILABLE |
		     HV_MSR_HYPERCALL_AVAILABLE | HV_MSR_VP_INDEX_AVAILABLE |
		     HV_MSR_REFERENCE_TSC_AVAILABLE | HV_ACCESS_FREQUENCY_MSRS;
	out[3].ebx = HV_POST_MESSAGES | HV_SIGNAL_EVENTS;
	out[3].edx = HV_FEATURE_FREQUENCY_MSRS_AVAILABLE;
	out[4].eax = HV_DEPRECATING_AEOI_RECOMMENDED;
	out[4].ebx = 0xffffffffu;   /* spinlock retries: never notify */
	out[5].eax = h->nr_vps;
	out[5].ebx = h->nr_vps;
}

static uint64_t guest_tsc(const struct hv_hyperv *h)
{
	return __rdtsc() - h->tsc_base;
}

/* 100 ns units since the partition started, the same clock the TSC page
 * gives: (tsc * scale) >> 64 with offset 0. */
static uint64_t tsc_scale(const struct hv_hyperv *h)
{
	return (uint64_t)(((unsigned __int128)10000000u << 64) / h->tsc_hz);
}

static uint64_t ref_time(const struct hv_hyperv *h)
{
	return (uint64_t)(((unsigned __int128)guest_tsc(h) * tsc_scale(h)) >> 64);
}

/* struct ms_hyperv_tsc_page (L: include/clocksource/hyperv_timer.h via
 * asm-generic/hyperv-tlfs.h): sequence 0 means invalid. */
struct hv_tsc_page {
	uint32_t tsc_sequence;
	uint32_t reserved1;
	uint64_t tsc_scale;
	int64_t tsc_offset;
} hvn_packed;

static void write_tsc_page(struct hv_hyperv *h, uint64_t val)
{
	struct hv_tsc_page *pg;

	if (!(val & 1))
		return;
	pg = vmbus_mem_gpa(h->mem, val & ~0xfffull, HVN_PAGE_SIZE);
	if (!pg)
		return;
	pg->tsc_scale = tsc_scale(h);
	pg->tsc_offset = 0;
	/* Sequence last, through a plain pointer: it is offset 0. */
	hvn_store_release((uint32_t *)(void *)pg, 1u);
}

static int write_hypercall_page(struct hv_hyperv *h, uint64_t val)
{
	static const uint8_t tramp[] = HV_HYPERCALL_TRAMPOLINE;
	uint8_t *pg;

	if (!(val & 1))
		return 0;
	pg = vmbus_mem_gpa(h->mem, val & ~0xfffull, HVN_PAGE_SIZE);
	if (!pg)
		return -EINVAL;
	/* The rest of the page stays as the guest left it: Linux maps it
	 * read-execute and calls offset 0 only. */
	memcpy(pg, tramp, sizeof(tramp));
	return 0;
}

/* The SynIC keeps its own MSRs under its per-VP lock. */
static bool synic_msr(uint32_t msr)
{
	return msr >= HV_MSR_SCONTROL && msr <= HV_MSR_SINT15;
}

static int msr_result(struct hv_hyperv *h, int rc)
{
	if (rc)
		STAT_INC(h, msr_errors);
	return rc;
}

int hv_hyperv_rdmsr(struct hv_hyperv *h, uint32_t vp, uint32_t msr, uint64_t *val)
{
	int rc = 0;

	if (vp >= h->nr_vps)
		return -EINVAL;
	if (synic_msr(msr))
		return msr_result(h, hv_synic_rdmsr(h->synic, vp, msr, val));
	pthread_mutex_lock(&h->lock);
	switch (msr) {
	case HV_MSR_GUEST_OS_ID:
		*val = h->guest_os_id;
		break;
	case HV_MSR_HYPERCALL:
		*val = h->hypercall;
		break;
	case HV_MSR_VP_INDEX:
		*val = vp;
		break;
	case HV_MSR_TIME_REF_COUNT:
		*val = ref_time(h);
		break;
	case HV_MSR_REFERENCE_TSC:
		*val = h->ref_tsc;
		break;
	case HV_MSR_TSC_FREQUENCY:
		*val = h->tsc_hz;
		break;
	case HV_MSR_APIC_FREQUENCY:
		*val = HV_APIC_HZ;
		break;
	case HV_MSR_VP_ASSIST_PAGE:
		*val = h->vps[vp].vp_assist;
		break;
	default:
		rc = -ENOENT;
	}
	pthread_mutex_unlock(&h->lock);
	return msr_result(h, rc);
}

int hv_hyperv_wrmsr(struct hv_hyperv *h, uint32_t vp, uint32_t msr, uint64_t val)
{
	int rc = 0;

	if (vp >= h->nr_vps)
		return -EINVAL;
	if (synic_msr(msr))
		return msr_result(h, hv_synic_wrmsr(h->synic, vp, msr, val));
	pthread_mutex_lock(&h->lock);
	switch (msr) {
	case HV_MSR_GUEST_OS_ID:
		h->guest_os_id = val;
		/* TLFS: clearing the guest OS id disables the hypercall page. */
		if (!val)
			__atomic_store_n(&h->hypercall, h->hypercall & ~1ull, __ATOMIC_RELEASE);
		break;
	case HV_MSR_HYPERCALL:
		/* Bits 11:1 reserved (bit 1 is "locked" on newer TLFS; Linux
		 * writes 0 there). Enabling needs a guest OS id first. */
		if (val & 0xffeull) {
			rc = -EINVAL;
			break;
		}
		if (!h->guest_os_id)
			val &= ~1ull;
		rc = write_hypercall_page(h, val);
		if (!rc)
			__atomic_store_n(&h->hypercall, val, __ATOMIC_RELEASE);
		break;
	case HV_MSR_REFERENCE_TSC:
		if (val & 0xffeull) {
			rc = -EINVAL;
			break;
		}
		h->ref_tsc = val;
		write_tsc_page(h, val);
		break;
	case HV_MSR_VP_ASSIST_PAGE:
		/* Linux 6.1 writes it on every CPU (reference §1.3); nothing
		 * we advertise uses the page, so it is kept and not touched. */
		h->vps[vp].vp_assist = val;
		break;
	case HV_MSR_VP_INDEX:
	case HV_MSR_TIME_REF_COUNT:
	case HV_MSR_TSC_FREQUENCY:
	case HV_MSR_APIC_FREQUENCY:
		rc = -EINVAL;           /* read-only */
		break;
	default:
		rc = -ENOENT;
	}
	pthread_mutex_unlock(&h->lock);
	return msr_result(h, rc);
}

/* Control word (TLFS "Hypercall Inputs"): code 15:0, fast 16, variable
 * header size 26:17, rep count 43:32, rep start 59:48; 31:27, 47:44 and
 * 63:60 reserved (L: HV_HYPERCALL_RSVD_MASK). */
#define HC_CODE(c)       ((uint16_t)((c) & 0xffff))
#define HC_FAST(c)       (((c) >> 16) & 1)
#define HC_VARHEAD(c)    (((c) >> 17) & 0x3ff)
#define HC_REP_COUNT(c)  (((c) >> 32) & 0xfff)
#define HC_REP_START(c)  (((c) >> 48) & 0xfff)
#define HC_RESERVED      ((0x1full << 27) | (0xfull << 44) | (0xfull << 60))

static uint16_t hc_post_message(struct hv_hyperv *h, uint32_t vp, uint64_t ctl,
				uint64_t in_gpa)
{
	const struct hv_input_post_message *m;
	struct hv_input_post_message copy;

	if (HC_FAST(ctl))
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if (in_gpa & 7)
		return HV_STATUS_INVALID_ALIGNMENT;
	/* TLFS: input must not cross a page. */
	if ((in_gpa & 0xfff) + sizeof(*m) > HVN_PAGE_SIZE)
		return HV_STATUS_INVALID_ALIGNMENT;
	m = vmbus_mem_gpa(h->mem, in_gpa, sizeof(*m));
	if (!m)
		return HV_STATUS_INVALID_PARAMETER;
	/* One read of guest memory: other VPs may be rewriting it. */
	memcpy(&copy, m, sizeof(copy));
	if (copy.payload_size > HV_SYNIC_MSG_PAYLOAD)
		return HV_STATUS_INVALID_PARAMETER;
	/* Message types with the high bit set are the hypervisor's own. */
	if (copy.message_type == 0 || (copy.message_type & 0x80000000u))
		return HV_STATUS_INVALID_PARAMETER;
	if (!h->ops || !h->ops->post_message)
		return HV_STATUS_INVALID_CONNECTION_ID;
	return h->ops->post_message(h->ops_ctx, vp, copy.connection_id, copy.message_type,
				    copy.payload, copy.payload_size);
}

static uint16_t hc_signal_event(struct hv_hyperv *h, uint32_t vp, uint64_t ctl,
				uint64_t in)
{
	uint64_t param = in;

	if (!HC_FAST(ctl)) {
		const uint64_t *p;

		if (in & 7)
			return HV_STATUS_INVALID_ALIGNMENT;
		p = vmbus_mem_gpa(h->mem, in, 8);
		if (!p)
			return HV_STATUS_INVALID_PARAMETER;
		param = hvn_load_relaxed(p);
	}
	/* ConnectionId 31:0, FlagNumber 47:32, RsvdZ 63:48. One flag per
	 * connection here, as QEMU: a non-zero flag number names no port. */
	if (param >> 48)
		return HV_STATUS_INVALID_HYPERCALL_INPUT;
	if ((param >> 32) & 0xffff)
		return HV_STATUS_INVALID_PORT_ID;
	if (!h->ops || !h->ops->signal_event)
		return HV_STATUS_INVALID_CONNECTION_ID;
	return h->ops->signal_event(h->ops_ctx, vp, (uint32_t)param);
}

uint64_t hv_hyperv_hypercall(struct hv_hyperv *h, uint32_t vp, uint64_t ctl,
			     uint64_t input, uint64_t output)
{
	uint16_t st;

	(void)output;   /* neither call has output parameters */
	STAT_INC(h, hypercalls);
	if (vp >= h->nr_vps || !(__atomic_load_n(&h->hypercall, __ATOMIC_ACQUIRE) & 1)) {
		st = HV_STATUS_ACCESS_DENIED;
	} else if (ctl & HC_RESERVED) {
		st = HV_STATUS_INVALID_HYPERCALL_INPUT;
	} else {
		switch (HC_CODE(ctl)) {
		case HVCALL_POST_MESSAGE:
		case HVCALL_SIGNAL_EVENT:
			/* Simple calls: no reps, no variable header. */
			if (HC_REP_COUNT(ctl) || HC_REP_START(ctl) || HC_VARHEAD(ctl))
				st = HV_STATUS_INVALID_HYPERCALL_INPUT;
			else if (HC_CODE(ctl) == HVCALL_POST_MESSAGE)
				st = hc_post_message(h, vp, ctl, input);
			else
				st = hc_signal_event(h, vp, ctl, input);
			break;
		default:
			st = HV_STATUS_INVALID_HYPERCALL_CODE;
		}
	}
	if (st != HV_STATUS_SUCCESS)
		STAT_INC(h, hypercall_errors);
	/* RAX: status in 15:0, reps completed in 43:32 (none here). */
	return st;
}

void hv_hyperv_get_stats(struct hv_hyperv *h, struct hv_hyperv_stats *out)
{
	out->hypercalls = __atomic_load_n(&h->st.hypercalls, __ATOMIC_RELAXED);
	out->hypercall_errors = __atomic_load_n(&h->st.hypercall_errors, __ATOMIC_RELAXED);
	out->msr_errors = __atomic_load_n(&h->st.msr_errors, __ATOMIC_RELAXED);
}
