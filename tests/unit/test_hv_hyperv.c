/* The Hyper-V enlightenments (hv/hv_hyperv.c) as a Linux 6.1 guest finds
 * and uses them, and as a hostile guest might abuse them: the CPUID leaves
 * (reference §1.1-1.2, pitfalls 1-3), the synthetic MSRs (§1.3), and the
 * HvPostMessage/HvSignalEvent hypercalls with every TLFS status the guest
 * can provoke (§1.4). Guest memory is fenced by PROT_NONE pages, so a host
 * access outside it crashes the case that made it. */
#include <x86intrin.h>

#include "hv/hv_hyperv.h"
#include "tests/unit/hv_test_util.h"

#define MEM_BYTES (1u << 20)
#define NR_VPS 2
#define TSC_HZ 2500000000ull
#define HC_PAGE 0x2000ull
#define IN_GPA 0x3000ull
#define TSC_PAGE 0x4000ull
/* (0x8100 << 48) | LINUX_VERSION_CODE(6.1.0) << 16, as hv_init.c writes. */
#define LINUX_OS_ID ((0x8100ull << 48) | (0x060100ull << 16))

_Static_assert(sizeof(struct hv_hyperv_stats) == 3 * sizeof(uint64_t),
	       "hv_hyperv_stats changed: update CHECK_HSTATS");

struct hcall_log {
	unsigned int posts, signals;
	uint32_t vp, conn_id, type, len;
	uint8_t payload[HV_SYNIC_MSG_PAYLOAD];
	bool payload_in_guest;    /* the handler was given guest memory */
	uint16_t ret;             /* what the handlers answer */
};

struct env {
	struct gmem g;
	struct msi_log msi;
	struct hv_hyperv *h;
	struct hcall_log log;
	struct hv_hcall_handlers ops;
};

static uint16_t log_post(void *ctx, uint32_t vp, uint32_t conn_id, uint32_t type,
			 const void *payload, uint32_t len)
{
	struct env *e = ctx;
	const uint8_t *p = payload;

	e->log.posts++;
	e->log.vp = vp;
	e->log.conn_id = conn_id;
	e->log.type = type;
	e->log.len = len;
	T_ASSERT(len <= HV_SYNIC_MSG_PAYLOAD);
	memcpy(e->log.payload, payload, len);
	/* The payload must be the host's copy: another VP may rewrite the
	 * guest's input page while the handler parses it. */
	e->log.payload_in_guest = p >= e->g.mem.base && p < e->g.mem.base + e->g.mem.size;
	return e->log.ret;
}

static uint16_t log_signal(void *ctx, uint32_t vp, uint32_t conn_id)
{
	struct env *e = ctx;

	e->log.signals++;
	e->log.vp = vp;
	e->log.conn_id = conn_id;
	return e->log.ret;
}

static void env_init_hz(struct env *e, uint64_t tsc_hz, uint64_t tsc_base)
{
	memset(e, 0, sizeof(*e));
	gmem_init(&e->g, MEM_BYTES);
	e->h = hv_hyperv_create(&e->g.mem, NR_VPS, tsc_hz, tsc_base, msi_record, &e->msi);
	T_ASSERT(e->h != NULL);
	e->ops.post_message = log_post;
	e->ops.signal_event = log_signal;
}

static void env_init(struct env *e)
{
	env_init_hz(e, TSC_HZ, __rdtsc());
}

static void env_fini(struct env *e)
{
	hv_hyperv_destroy(e->h);
	gmem_fini(&e->g);
}

/* What hyperv_init() does before its first hypercall. */
static void guest_enable_hypercalls(struct env *e)
{
	T_EQ(hv_hyperv_wrmsr(e->h, 0, HV_MSR_GUEST_OS_ID, LINUX_OS_ID), 0);
	T_EQ(hv_hyperv_wrmsr(e->h, 0, HV_MSR_HYPERCALL, HC_PAGE | 1), 0);
}

static uint64_t rdmsr_ok(struct env *e, uint32_t vp, uint32_t msr)
{
	uint64_t v = 0;

	T_EQ(hv_hyperv_rdmsr(e->h, vp, msr, &v), 0);
	return v;
}

static void check_hstats_at(int line, struct env *e, uint64_t calls, uint64_t errs,
			    uint64_t msr_errs)
{
	struct hv_hyperv_stats st;

	hv_hyperv_get_stats(e->h, &st);
	if (st.hypercalls != calls || st.hypercall_errors != errs || st.msr_errors != msr_errs)
		T_FAIL("line %d: stats hypercalls %llu errors %llu msr_errors %llu, want "
		       "%llu %llu %llu", line, (unsigned long long)st.hypercalls,
		       (unsigned long long)st.hypercall_errors, (unsigned long long)st.msr_errors,
		       (unsigned long long)calls, (unsigned long long)errs,
		       (unsigned long long)msr_errs);
}
#define CHECK_HSTATS(e, calls, errs, msr_errs) check_hstats_at(__LINE__, e, calls, errs, msr_errs)

static uint32_t sigword(const char s[4])
{
	return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 |
	       (uint32_t)(uint8_t)s[2] << 16 | (uint32_t)(uint8_t)s[3] << 24;
}

/* ---- CPUID ---- */

static void cpuid_leaves(void)
{
	struct hv_cpuid_leaf l[HV_CPUID_LEAVES + 1];
	const uint8_t *bytes = (const uint8_t *)l;
	struct env e;

	env_init(&e);
	memset(l, 0xa5, sizeof(l));
	hv_hyperv_cpuid(e.h, l);
	/* Exactly HV_CPUID_LEAVES entries, 0x40000000 onwards. */
	T_EQ(l[HV_CPUID_LEAVES].function, 0xa5a5a5a5u);
	for (unsigned int i = 0; i < HV_CPUID_LEAVES; i++)
		T_EQ(l[i].function, 0x40000000u + i);

	/* §1.1: vendor, and a max leaf Linux accepts (0x40000005 ..
	 * 0x4000ffff) that names no leaf we do not fill. */
	T_EQ(l[0].ebx, sigword("Micr"));
	T_EQ(l[0].ecx, sigword("osof"));
	T_EQ(l[0].edx, sigword("t Hv"));
	T_ASSERT(l[0].eax >= 0x40000005u && l[0].eax <= 0x4000ffffu);
	T_ASSERT(l[0].eax <= 0x40000000u + HV_CPUID_LEAVES - 1);
	T_EQ(l[1].eax, 0x31237648u);   /* "Hv#1" */

	/* 0x40000003 EAX: HYPERCALL (5) and VP_INDEX (6) are what
	 * ms_hyperv_platform() needs; SYNIC (2). Never SYNTIMER (3) or
	 * REENLIGHTENMENT (13): we do not emulate them. */
	T_EQ(l[3].eax & (1u << 5), 1u << 5);
	T_EQ(l[3].eax & (1u << 6), 1u << 6);
	T_EQ(l[3].eax & (1u << 2), 1u << 2);
	T_EQ(l[3].eax & (1u << 3), 0);
	T_EQ(l[3].eax & (1u << 13), 0);
	/* EBX: PostMessages (4) and SignalEvents (5); never
	 * AccessPartitionId (1, BUG() in hv_get_partition_id), CreatePartitions
	 * (0) or CpuManagement (12, root-partition path, pitfall 3), extended
	 * hypercalls (20) or isolation (22). */
	T_EQ(l[3].ebx & 0x30u, 0x30u);
	T_EQ(l[3].ebx & ((1u << 0) | (1u << 1) | (1u << 12) | (1u << 20) | (1u << 22)), 0);
	/* EDX: never STIMER_DIRECT_MODE (19) nor the crash MSRs (10), which
	 * are not emulated; frequency MSRs (8) only with EAX bit 11. */
	T_EQ(l[3].edx & ((1u << 19) | (1u << 10)), 0);
	T_EQ(!!(l[3].edx & (1u << 8)), !!(l[3].eax & (1u << 11)));

	/* 0x40000004 EAX: AEOI deprecated (9) is mandatory (pitfall 1); no
	 * hypercall TLB flushes (1, 2), MSR APIC access (3), MSR reset (4),
	 * cluster IPIs (10, 11) or eVMCS (14). */
	T_EQ(l[4].eax & (1u << 9), 1u << 9);
	T_EQ(l[4].eax & ((1u << 0) | (1u << 1) | (1u << 2) | (1u << 3) | (1u << 4) | (1u << 10) |
			 (1u << 11) | (1u << 14)), 0);
	/* 0x40000005: VP limits cover the partition. */
	T_ASSERT(l[5].eax >= NR_VPS);
	/* 0x40000006-0x4000000A: nothing (no hardware features, nested,
	 * or isolation). */
	for (unsigned int i = 6; i < HV_CPUID_LEAVES; i++)
		T_ASSERT(!l[i].eax && !l[i].ebx && !l[i].ecx && !l[i].edx);

	/* Pitfall 2: no KVM signature anywhere in the range. */
	for (size_t i = 0; i + 3 <= HV_CPUID_LEAVES * sizeof(l[0]); i++)
		if (!memcmp(bytes + i, "KVM", 3))
			T_FAIL("\"KVM\" at byte %zu of the Hyper-V leaves", i);

	/* Every MSR the leaves advertise is emulated. */
	if (l[3].eax & (1u << 1))
		(void)rdmsr_ok(&e, 0, HV_MSR_TIME_REF_COUNT);
	if (l[3].eax & (1u << 9))
		T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_REFERENCE_TSC, 0), 0);
	if (l[3].eax & (1u << 11)) {
		T_EQ(rdmsr_ok(&e, 0, HV_MSR_TSC_FREQUENCY), TSC_HZ);
		T_ASSERT(rdmsr_ok(&e, 0, HV_MSR_APIC_FREQUENCY) != 0);
	}
	if (l[3].eax & (1u << 15))   /* Linux then writes 0x40000118 := 1 */
		T_EQ(hv_hyperv_wrmsr(e.h, 0, 0x40000118u, 1), 0);
	CHECK_HSTATS(&e, 0, 0, 0);
	env_fini(&e);
}

/* ---- MSRs ---- */

static void msr_guest_os_id_and_hypercall_page(void)
{
	static const uint8_t tramp[] = { 0xe6, 0x9e, 0xc3 };
	uint8_t *pg;
	struct env e;

	env_init(&e);
	pg = gpa(&e.g, HC_PAGE);
	memset(pg, 0xcc, 4096);   /* Linux's page is a vmalloc'd int3 fill */
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_GUEST_OS_ID), 0);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_HYPERCALL), 0);
	/* No guest OS id yet: the write is taken but the page stays off
	 * (TLFS), and nothing is written into it. */
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_HYPERCALL, HC_PAGE | 1), 0);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_HYPERCALL) & 1, 0);
	T_EQ(pg[0], 0xcc);
	T_EQ(hv_hyperv_hypercall(e.h, 0, 0x7fff, 0, 0), HV_STATUS_ACCESS_DENIED);

	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_GUEST_OS_ID, LINUX_OS_ID), 0);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_GUEST_OS_ID), LINUX_OS_ID);   /* partition-wide */
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_HYPERCALL, HC_PAGE | 1), 0);
	/* hv_is_hyperv_initialized() reads enable back. */
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_HYPERCALL), HC_PAGE | 1);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_HYPERCALL), HC_PAGE | 1);
	T_EQ(memcmp(pg, tramp, sizeof(tramp)), 0);
	for (unsigned int i = sizeof(tramp); i < 4096; i++)
		if (pg[i] != 0xcc)
			T_FAIL("hypercall page byte %u changed to %#x", i, pg[i]);
	T_EQ(hv_hyperv_hypercall(e.h, 0, 0x7fff, 0, 0), HV_STATUS_INVALID_HYPERCALL_CODE);
	/* Moved: the trampoline follows. */
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_HYPERCALL, (HC_PAGE + 0x1000) | 1), 0);
	T_EQ(memcmp(gpa(&e.g, HC_PAGE + 0x1000), tramp, sizeof(tramp)), 0);
	/* Guest OS id back to 0 (Linux does so when hyperv_init fails):
	 * hypercalls are off again. */
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_GUEST_OS_ID, 0), 0);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_HYPERCALL) & 1, 0);
	T_EQ(hv_hyperv_hypercall(e.h, 0, 0x7fff, 0, 0), HV_STATUS_ACCESS_DENIED);
	/* And a plain disable keeps the GPA. */
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_GUEST_OS_ID, LINUX_OS_ID), 0);
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_HYPERCALL, HC_PAGE | 1), 0);
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_HYPERCALL, HC_PAGE), 0);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_HYPERCALL), HC_PAGE);
	T_EQ(hv_hyperv_hypercall(e.h, 0, 0x7fff, 0, 0), HV_STATUS_ACCESS_DENIED);
	CHECK_HSTATS(&e, 4, 4, 0);
	env_fini(&e);
}

static void msr_hypercall_page_refused(void)
{
	static const uint64_t outside[] = { MEM_BYTES, MEM_BYTES + 0x1000, 0x7ffffffff000ull,
					    0xfffffffffffff000ull };
	uint64_t errs = 0;
	struct env e;

	env_init(&e);
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_GUEST_OS_ID, LINUX_OS_ID), 0);
	/* Outside the partition: #GP, register unchanged, nothing written
	 * (the guard pages would crash this case). */
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(outside); i++) {
		T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_HYPERCALL, outside[i] | 1), -EINVAL);
		T_EQ(rdmsr_ok(&e, 0, HV_MSR_HYPERCALL), 0);
		CHECK_HSTATS(&e, 0, 0, ++errs);
	}
	/* Reserved bits 11:1: #GP, unchanged. */
	for (unsigned int bit = 1; bit < 12; bit++) {
		T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_HYPERCALL, HC_PAGE | 1 | (1ull << bit)),
		     -EINVAL);
		T_EQ(rdmsr_ok(&e, 0, HV_MSR_HYPERCALL), 0);
		CHECK_HSTATS(&e, 0, 0, ++errs);
	}
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES));
	T_EQ(hv_hyperv_hypercall(e.h, 0, 0x7fff, 0, 0), HV_STATUS_ACCESS_DENIED);
	/* The last page of the partition is inside. */
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_HYPERCALL, (MEM_BYTES - 4096) | 1), 0);
	T_EQ(*(uint8_t *)gpa(&e.g, MEM_BYTES - 4096), 0xe6);
	T_EQ(*(uint8_t *)gpa(&e.g, MEM_BYTES - 4094), 0xc3);
	CHECK_HSTATS(&e, 1, 1, errs);
	env_fini(&e);
}

static void msr_vp_index_readonly_and_range(void)
{
	static const uint32_t ro[] = { HV_MSR_VP_INDEX, HV_MSR_TIME_REF_COUNT,
				       HV_MSR_TSC_FREQUENCY, HV_MSR_APIC_FREQUENCY,
				       HV_MSR_SVERSION };
	struct env e;
	uint64_t v;

	env_init(&e);
	/* VP index = APIC id = vcpu id (reference §1.3). */
	for (uint32_t vp = 0; vp < NR_VPS; vp++)
		T_EQ(rdmsr_ok(&e, vp, HV_MSR_VP_INDEX), vp);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_TSC_FREQUENCY), TSC_HZ);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_APIC_FREQUENCY), 1000000000ull);   /* KVM's LAPIC bus */
	/* Read-only MSRs refuse writes (#GP) and keep their value. */
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(ro); i++) {
		T_EQ(hv_hyperv_wrmsr(e.h, 1, ro[i], 7), -EINVAL);
		CHECK_HSTATS(&e, 0, 0, i + 1);
	}
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_VP_INDEX), 1);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_TSC_FREQUENCY), TSC_HZ);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_SVERSION), 1);
	/* A VP that does not exist: refused. (A VMM bug, not a guest #GP,
	 * so not in msr_errors.) */
	v = 0x77;
	T_EQ(hv_hyperv_rdmsr(e.h, NR_VPS, HV_MSR_VP_INDEX, &v), -EINVAL);
	T_EQ(v, 0x77);
	T_EQ(hv_hyperv_rdmsr(e.h, UINT32_MAX, HV_MSR_SIMP, &v), -EINVAL);
	T_EQ(hv_hyperv_wrmsr(e.h, NR_VPS, HV_MSR_VP_ASSIST_PAGE, 0x5001), -EINVAL);
	T_EQ(hv_hyperv_wrmsr(e.h, NR_VPS, HV_MSR_GUEST_OS_ID, 1), -EINVAL);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_GUEST_OS_ID), 0);
	CHECK_HSTATS(&e, 0, 0, HVN_ARRAY_SIZE(ro));
	env_fini(&e);
}

/* Linux 6.1 writes the VP assist page on every CPU (reference §1.3):
 * taken, kept per VP, and never written through. */
static void msr_vp_assist(void)
{
	struct env e;

	env_init(&e);
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_VP_ASSIST_PAGE, 0x5000 | 1), 0);
	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_VP_ASSIST_PAGE, 0x6000 | 1), 0);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_VP_ASSIST_PAGE), 0x5001);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_VP_ASSIST_PAGE), 0x6001);
	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_VP_ASSIST_PAGE, 0), 0);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_VP_ASSIST_PAGE), 0);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_VP_ASSIST_PAGE), 0x5001);
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_VP_ASSIST_PAGE, 0xfffffffffffff001ull), 0);
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES));
	CHECK_HSTATS(&e, 0, 0, 0);
	env_fini(&e);
}

static void msr_unknown(void)
{
	/* Inside the synthetic range but not emulated: crash MSRs,
	 * TSC_INVARIANT_CONTROL, stimers, the reenlightenment and guest idle
	 * MSRs, and the top of the range. */
	static const uint32_t msrs[] = { 0x40000003u, 0x40000010u, 0x40000024u, 0x40000070u,
					 0x40000100u, 0x40000105u, 0x40000106u, 0x40000118u,
					 0x400000b0u, 0x400000b7u, 0x400000f0u, 0x400001ffu };
	struct env e;
	uint64_t v;

	env_init(&e);
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(msrs); i++) {
		v = 0x33;
		T_EQ(hv_hyperv_rdmsr(e.h, 0, msrs[i], &v), -ENOENT);
		T_EQ(v, 0x33);
		T_EQ(hv_hyperv_wrmsr(e.h, 1, msrs[i], 1), -ENOENT);
		CHECK_HSTATS(&e, 0, 0, 2 * (i + 1));
	}
	env_fini(&e);
}

/* The SynIC's MSRs reach it through hv_hyperv_*msr, with its rules. */
static void msr_synic_through_hyperv(void)
{
	struct hv_synic *s;
	struct env e;

	env_init(&e);
	s = hv_hyperv_synic(e.h);
	T_ASSERT(s != NULL);
	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_SINT0 + HV_VMBUS_SINT, 15), -EINVAL);
	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_SIMP, 0x8000 | 2), -EINVAL);
	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_SVERSION, 1), -EINVAL);
	CHECK_HSTATS(&e, 0, 0, 3);
	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_SIMP, 0x8000 | 1), 0);
	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_SINT0 + HV_VMBUS_SINT, 0xf3), 0);
	T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_SCONTROL, 1), 0);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_SINT0 + HV_VMBUS_SINT), 0xf3);
	T_EQ(rdmsr_ok(&e, 1, HV_MSR_SIMP), 0x8001);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_SIMP), 0);
	T_EQ(hv_synic_post(s, 1, HV_VMBUS_SINT, HV_MESSAGE_VMBUS, 0, "hi", 2), 0);
	T_EQ(*(uint32_t *)gpa(&e.g, 0x8000 + HV_VMBUS_SINT * 256), HV_MESSAGE_VMBUS);
	T_EQ(atomic_load(&e.msi.per_vp[1]), 1);
	T_EQ(atomic_load(&e.msi.last_vector), 0xf3);
	CHECK_HSTATS(&e, 0, 0, 3);
	env_fini(&e);
}

/* ---- Time ---- */

/* The TSC frequency, measured against CLOCK_MONOTONIC. */
static uint64_t measure_tsc_hz(void)
{
	uint64_t t0 = now_ns(), c0 = __rdtsc(), t1, c1;

	while (now_ns() - t0 < 50000000ull)
		;
	t1 = now_ns();
	c1 = __rdtsc();
	return (uint64_t)((unsigned __int128)(c1 - c0) * 1000000000u / (t1 - t0));
}

static void ref_counter(void)
{
	uint64_t hz = measure_tsc_hz(), prev, t0, r0, t1, r1;
	double rate;
	struct env e;

	env_init_hz(&e, hz, __rdtsc());
	/* Monotonic, on any VP. */
	prev = rdmsr_ok(&e, 0, HV_MSR_TIME_REF_COUNT);
	for (unsigned int i = 0; i < 100000; i++) {
		uint64_t v = rdmsr_ok(&e, i % NR_VPS, HV_MSR_TIME_REF_COUNT);

		if (v < prev)
			T_FAIL("reference counter went back: %llu after %llu",
			       (unsigned long long)v, (unsigned long long)prev);
		prev = v;
	}
	/* Counts 100 ns units since the partition started: 200 ms is 2e6
	 * (5% for a loaded host's measurement noise). */
	t0 = now_ns();
	r0 = rdmsr_ok(&e, 0, HV_MSR_TIME_REF_COUNT);
	while (now_ns() - t0 < 200000000ull)
		usleep(10000);
	t1 = now_ns();
	r1 = rdmsr_ok(&e, 0, HV_MSR_TIME_REF_COUNT);
	rate = (double)(r1 - r0) / ((double)(t1 - t0) / 100.0);
	if (rate < 0.95 || rate > 1.05)
		T_FAIL("reference counter runs at %.3f of 10 MHz (TSC %llu Hz)", rate,
		       (unsigned long long)hz);
	/* Started near 0 when the partition was created. */
	env_fini(&e);
	env_init_hz(&e, hz, __rdtsc());
	T_ASSERT(rdmsr_ok(&e, 0, HV_MSR_TIME_REF_COUNT) < 10000000ull);   /* < 1 s */
	CHECK_HSTATS(&e, 0, 0, 0);
	env_fini(&e);
}

struct tsc_ref_page {
	uint32_t tsc_sequence;
	uint32_t reserved1;
	uint64_t tsc_scale;
	int64_t tsc_offset;
};

static void tsc_page(void)
{
	static const uint64_t hzs[] = { 1000000000ull, TSC_HZ, 2899999000ull, 3300000000ull,
					999983000ull, 5000000000ull };

	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(hzs); i++) {
		uint64_t base = __rdtsc(), want, msr, c0, c1, r0, r1;
		struct tsc_ref_page *tp;
		struct env e;
		uint8_t *pg;

		env_init_hz(&e, hzs[i], base);
		pg = gpa(&e.g, TSC_PAGE);
		memset(pg, 0x5c, 4096);
		T_EQ(hv_hyperv_wrmsr(e.h, 1, HV_MSR_REFERENCE_TSC, TSC_PAGE | 1), 0);
		T_EQ(rdmsr_ok(&e, 0, HV_MSR_REFERENCE_TSC), TSC_PAGE | 1);
		tp = (struct tsc_ref_page *)pg;
		/* hyperv_timer.c: sequence 0 means "invalid, use the MSR". */
		T_ASSERT(tp->tsc_sequence != 0);
		T_EQ(tp->tsc_offset, 0);
		/* time = (tsc * scale) >> 64 in 100 ns: scale = 10^7 * 2^64 / hz. */
		want = (uint64_t)(((unsigned __int128)10000000u << 64) / hzs[i]);
		if (tp->tsc_scale != want)
			T_FAIL("TSC %llu Hz: scale %#llx, want %#llx", (unsigned long long)hzs[i],
			       (unsigned long long)tp->tsc_scale, (unsigned long long)want);
		/* One second of TSC reads as 10^7 units. */
		T_ASSERT((uint64_t)(((unsigned __int128)hzs[i] * tp->tsc_scale) >> 64) + 1 >=
			 10000000u);
		/* The page's clock and the MSR agree. */
		c0 = __rdtsc() - base;
		msr = rdmsr_ok(&e, 0, HV_MSR_TIME_REF_COUNT);
		c1 = __rdtsc() - base;
		r0 = (uint64_t)(((unsigned __int128)c0 * tp->tsc_scale) >> 64) + tp->tsc_offset;
		r1 = (uint64_t)(((unsigned __int128)c1 * tp->tsc_scale) >> 64) + tp->tsc_offset;
		if (msr < r0 || msr > r1)
			T_FAIL("TSC page time [%llu, %llu] but the MSR says %llu",
			       (unsigned long long)r0, (unsigned long long)r1,
			       (unsigned long long)msr);
		/* Only the header was written. */
		for (unsigned int b = sizeof(*tp); b < 4096; b++)
			if (pg[b] != 0x5c)
				T_FAIL("TSC page byte %u changed", b);
		CHECK_HSTATS(&e, 0, 0, 0);
		env_fini(&e);
	}
}

static void tsc_page_rules(void)
{
	struct env e;

	T_ASSERT(hv_hyperv_create(NULL, 1, 0, 0, msi_record, NULL) == NULL);   /* no TSC Hz */
	env_init(&e);
	/* Reserved bits 11:1: #GP, unchanged. */
	for (unsigned int bit = 1; bit < 12; bit++) {
		T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_REFERENCE_TSC, TSC_PAGE | 1 | (1ull << bit)),
		     -EINVAL);
		T_EQ(rdmsr_ok(&e, 0, HV_MSR_REFERENCE_TSC), 0);
	}
	CHECK_HSTATS(&e, 0, 0, 11);
	/* Disabled: kept, not written. Outside the partition: nothing
	 * written (guard pages). */
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_REFERENCE_TSC, TSC_PAGE), 0);
	T_EQ(rdmsr_ok(&e, 0, HV_MSR_REFERENCE_TSC), TSC_PAGE);
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_REFERENCE_TSC, MEM_BYTES | 1), 0);
	T_EQ(hv_hyperv_wrmsr(e.h, 0, HV_MSR_REFERENCE_TSC, 0xfffffffffffff001ull), 0);
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES));
	CHECK_HSTATS(&e, 0, 0, 11);
	env_fini(&e);
}

/* ---- Hypercalls ---- */

static struct hv_input_post_message *post_input(struct env *e, uint64_t at)
{
	struct hv_input_post_message *in = gpa(&e->g, at);

	memset(in, 0, sizeof(*in));
	in->connection_id = 4;
	in->message_type = HV_MESSAGE_VMBUS;
	in->payload_size = 16;
	return in;
}

static void hc_access_denied(void)
{
	struct env e;

	env_init(&e);
	hv_hyperv_set_handlers(e.h, &e.ops, &e);
	post_input(&e, IN_GPA);
	/* Before the hypercall page is on, any call, valid or not. */
	T_EQ(hv_hyperv_hypercall(e.h, 0, HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_ACCESS_DENIED);
	T_EQ(hv_hyperv_hypercall(e.h, 0, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, 4, 0),
	     HV_STATUS_ACCESS_DENIED);
	T_EQ(hv_hyperv_hypercall(e.h, 1, 0x1234, 0, 0), HV_STATUS_ACCESS_DENIED);
	CHECK_HSTATS(&e, 3, 3, 0);
	guest_enable_hypercalls(&e);
	T_EQ(hv_hyperv_hypercall(e.h, 1, HVCALL_POST_MESSAGE, IN_GPA, 0), HV_STATUS_SUCCESS);
	/* A VP that does not exist. */
	T_EQ(hv_hyperv_hypercall(e.h, NR_VPS, HVCALL_POST_MESSAGE, IN_GPA, 0),
	     HV_STATUS_ACCESS_DENIED);
	T_EQ(hv_hyperv_hypercall(e.h, UINT32_MAX, HVCALL_POST_MESSAGE, IN_GPA, 0),
	     HV_STATUS_ACCESS_DENIED);
	T_EQ(e.log.posts, 1);
	T_EQ(e.log.signals, 0);
	CHECK_HSTATS(&e, 6, 5, 0);
	env_fini(&e);
}

/* The handlers get what the guest sent, from the host's copy. */
static void hc_reach_handlers(void)
{
	struct hv_input_post_message *in;
	uint64_t *slow;
	struct env e;

	env_init(&e);
	guest_enable_hypercalls(&e);
	hv_hyperv_set_handlers(e.h, &e.ops, &e);
	in = post_input(&e, IN_GPA);
	in->connection_id = 0x12345678;
	in->message_type = 0x7fffffff;
	in->payload_size = HV_SYNIC_MSG_PAYLOAD;
	for (unsigned int i = 0; i < HV_SYNIC_MSG_PAYLOAD; i++)
		in->payload[i] = (uint8_t)(i * 3 + 1);
	in->reserved = 0xdeadbeef;   /* RsvdZ in Linux's struct; ignored */
	T_EQ(hv_hyperv_hypercall(e.h, 1, HVCALL_POST_MESSAGE, IN_GPA, 0xabc000), HV_STATUS_SUCCESS);
	T_EQ(e.log.posts, 1);
	T_EQ(e.log.vp, 1);
	T_EQ(e.log.conn_id, 0x12345678);
	T_EQ(e.log.type, 0x7fffffff);
	T_EQ(e.log.len, HV_SYNIC_MSG_PAYLOAD);
	T_EQ(memcmp(e.log.payload, in->payload, HV_SYNIC_MSG_PAYLOAD), 0);
	T_ASSERT(!e.log.payload_in_guest);
	/* Empty payload, at the end of a page (0xf00 + 256 = 0x1000). */
	in = post_input(&e, IN_GPA + 0xf00);
	in->payload_size = 0;
	T_EQ(hv_hyperv_hypercall(e.h, 0, HVCALL_POST_MESSAGE, IN_GPA + 0xf00, 0),
	     HV_STATUS_SUCCESS);
	T_EQ(e.log.posts, 2);
	T_EQ(e.log.vp, 0);
	T_EQ(e.log.conn_id, 4);
	T_EQ(e.log.len, 0);
	/* The last 256 bytes of the partition. */
	post_input(&e, MEM_BYTES - 256);
	T_EQ(hv_hyperv_hypercall(e.h, 0, HVCALL_POST_MESSAGE, MEM_BYTES - 256, 0),
	     HV_STATUS_SUCCESS);
	T_EQ(e.log.posts, 3);

	/* SignalEvent, fast as Linux calls it (vmbus_set_event), and slow. */
	T_EQ(hv_hyperv_hypercall(e.h, 1, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, 0xcafe, 0),
	     HV_STATUS_SUCCESS);
	T_EQ(e.log.signals, 1);
	T_EQ(e.log.vp, 1);
	T_EQ(e.log.conn_id, 0xcafe);
	T_EQ(hv_hyperv_hypercall(e.h, 0, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, 0xffffffffull,
				 0), HV_STATUS_SUCCESS);
	T_EQ(e.log.conn_id, 0xffffffffu);
	slow = gpa(&e.g, MEM_BYTES - 8);
	*slow = 0x2a;
	T_EQ(hv_hyperv_hypercall(e.h, 0, HVCALL_SIGNAL_EVENT, MEM_BYTES - 8, 0), HV_STATUS_SUCCESS);
	T_EQ(e.log.signals, 3);
	T_EQ(e.log.vp, 0);
	T_EQ(e.log.conn_id, 0x2a);
	T_EQ(e.log.posts, 3);
	/* The handler's status is the guest's RAX, unchanged (no reps). */
	static const uint16_t pass[] = { HV_STATUS_INSUFFICIENT_MEMORY,
		HV_STATUS_INSUFFICIENT_BUFFERS, HV_STATUS_INVALID_CONNECTION_ID,
		HV_STATUS_INVALID_PARAMETER };
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(pass); i++) {
		e.log.ret = pass[i];
		post_input(&e, IN_GPA);
		T_EQ(hv_hyperv_hypercall(e.h, 0, HVCALL_POST_MESSAGE, IN_GPA, 0), pass[i]);
		T_EQ(hv_hyperv_hypercall(e.h, 0, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, 1, 0),
		     pass[i]);
	}
	T_EQ(e.log.posts, 3 + HVN_ARRAY_SIZE(pass));
	T_EQ(e.log.signals, 3 + HVN_ARRAY_SIZE(pass));
	CHECK_HSTATS(&e, 6 + 2 * HVN_ARRAY_SIZE(pass), 2 * HVN_ARRAY_SIZE(pass), 0);
	env_fini(&e);
}

/* Every status of hv_hyperv.h, provoked the way a guest can. */
struct hc_case {
	const char *what;
	uint64_t ctl, in;
	void (*setup)(struct env *e);   /* writes the input page; NULL: a fresh valid one */
	uint16_t want;
};

static void in_size_241(struct env *e) { post_input(e, IN_GPA)->payload_size = 241; }
static void in_size_max(struct env *e) { post_input(e, IN_GPA)->payload_size = UINT32_MAX; }
static void in_size_240(struct env *e) { post_input(e, IN_GPA)->payload_size = 240; }
static void in_type_0(struct env *e) { post_input(e, IN_GPA)->message_type = 0; }
static void in_type_hv(struct env *e) { post_input(e, IN_GPA)->message_type = 0x80000000u; }
static void in_type_hv1(struct env *e) { post_input(e, IN_GPA)->message_type = 0x80000001u; }
static void in_type_max(struct env *e) { post_input(e, IN_GPA)->message_type = UINT32_MAX; }
static void in_page_end(struct env *e) { post_input(e, IN_GPA + 0xf00); }
static void in_mem_end(struct env *e) { post_input(e, MEM_BYTES - 256); }
static void in_slow_sig(struct env *e) { *(uint64_t *)gpa(&e->g, IN_GPA) = 4; }
static void in_slow_sig_flag(struct env *e) { *(uint64_t *)gpa(&e->g, IN_GPA) = 4 | 1ull << 32; }
static void in_slow_sig_rsvd(struct env *e) { *(uint64_t *)gpa(&e->g, IN_GPA) = 4 | 1ull << 48; }

#define PM HVCALL_POST_MESSAGE
#define SE (HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT)

static const struct hc_case hc_cases[] = {
	{ "PostMessage", PM, IN_GPA, NULL, HV_STATUS_SUCCESS },
	{ "SignalEvent", SE, 4, NULL, HV_STATUS_SUCCESS },
	/* Codes: nothing but the two calls exists. */
	{ "code 0", 0x0000, 0, NULL, HV_STATUS_INVALID_HYPERCALL_CODE },
	{ "code 1 (switch address space)", 0x0001, 0, NULL, HV_STATUS_INVALID_HYPERCALL_CODE },
	{ "code 2 (flush)", 0x0002 | HV_HYPERCALL_FAST_BIT, 0, NULL,
	  HV_STATUS_INVALID_HYPERCALL_CODE },
	{ "code 0x46 (get partition id)", 0x0046, IN_GPA, NULL, HV_STATUS_INVALID_HYPERCALL_CODE },
	{ "code 0x5e (post message direct)", 0x005e, IN_GPA, NULL,
	  HV_STATUS_INVALID_HYPERCALL_CODE },
	{ "code 0x8001 (extended query)", 0x8001, IN_GPA, NULL, HV_STATUS_INVALID_HYPERCALL_CODE },
	{ "code 0xffff", 0xffff, 0, NULL, HV_STATUS_INVALID_HYPERCALL_CODE },
	/* Simple calls: no reps, no variable header. */
	{ "post, rep count 1", PM | 1ull << 32, IN_GPA, NULL, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "post, rep count max", PM | 0xfffull << 32, IN_GPA, NULL,
	  HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "post, rep start 1", PM | 1ull << 48, IN_GPA, NULL, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "post, varhead 1", PM | 1ull << 17, IN_GPA, NULL, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "post, varhead max", PM | 0x3ffull << 17, IN_GPA, NULL,
	  HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "signal, rep count 1", SE | 1ull << 32, 4, NULL, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "signal, rep start 1", SE | 1ull << 48, 4, NULL, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "signal, varhead 1", SE | 1ull << 17, 4, NULL, HV_STATUS_INVALID_HYPERCALL_INPUT },
	/* PostMessage input. */
	{ "fast post", PM | HV_HYPERCALL_FAST_BIT, IN_GPA, NULL,
	  HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "post, input +1", PM, IN_GPA + 1, NULL, HV_STATUS_INVALID_ALIGNMENT },
	{ "post, input +4", PM, IN_GPA + 4, NULL, HV_STATUS_INVALID_ALIGNMENT },
	{ "post, input across a page", PM, IN_GPA + 0xf08, NULL, HV_STATUS_INVALID_ALIGNMENT },
	{ "post, input across the end", PM, MEM_BYTES - 248, NULL, HV_STATUS_INVALID_ALIGNMENT },
	{ "post, input at the page end", PM, IN_GPA + 0xf00, in_page_end, HV_STATUS_SUCCESS },
	{ "post, input at the memory end", PM, MEM_BYTES - 256, in_mem_end, HV_STATUS_SUCCESS },
	{ "post, input outside", PM, MEM_BYTES, NULL, HV_STATUS_INVALID_PARAMETER },
	{ "post, input far outside", PM, 0x7ffffffff000ull, NULL, HV_STATUS_INVALID_PARAMETER },
	{ "post, input at 2^64-4096", PM, 0xfffffffffffff000ull, NULL,
	  HV_STATUS_INVALID_PARAMETER },
	{ "post, payload 241", PM, IN_GPA, in_size_241, HV_STATUS_INVALID_PARAMETER },
	{ "post, payload 2^32-1", PM, IN_GPA, in_size_max, HV_STATUS_INVALID_PARAMETER },
	{ "post, payload 240", PM, IN_GPA, in_size_240, HV_STATUS_SUCCESS },
	{ "post, type 0", PM, IN_GPA, in_type_0, HV_STATUS_INVALID_PARAMETER },
	{ "post, type 0x80000000", PM, IN_GPA, in_type_hv, HV_STATUS_INVALID_PARAMETER },
	{ "post, type 0x80000001", PM, IN_GPA, in_type_hv1, HV_STATUS_INVALID_PARAMETER },
	{ "post, type 0xffffffff", PM, IN_GPA, in_type_max, HV_STATUS_INVALID_PARAMETER },
	/* SignalEvent input: ConnectionId 31:0, FlagNumber 47:32, RsvdZ
	 * 63:48. */
	{ "signal, flag 1", SE, 4 | 1ull << 32, NULL, HV_STATUS_INVALID_PORT_ID },
	{ "signal, flag 0xffff", SE, 4 | 0xffffull << 32, NULL, HV_STATUS_INVALID_PORT_ID },
	{ "signal, bit 48", SE, 4 | 1ull << 48, NULL, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "signal, bit 63", SE, 4 | 1ull << 63, NULL, HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "slow signal", HVCALL_SIGNAL_EVENT, IN_GPA, in_slow_sig, HV_STATUS_SUCCESS },
	{ "slow signal, flag 1", HVCALL_SIGNAL_EVENT, IN_GPA, in_slow_sig_flag,
	  HV_STATUS_INVALID_PORT_ID },
	{ "slow signal, bit 48", HVCALL_SIGNAL_EVENT, IN_GPA, in_slow_sig_rsvd,
	  HV_STATUS_INVALID_HYPERCALL_INPUT },
	{ "slow signal, input +4", HVCALL_SIGNAL_EVENT, IN_GPA + 4, NULL,
	  HV_STATUS_INVALID_ALIGNMENT },
	{ "slow signal, input outside", HVCALL_SIGNAL_EVENT, MEM_BYTES, NULL,
	  HV_STATUS_INVALID_PARAMETER },
	{ "slow signal, input at 2^64-8", HVCALL_SIGNAL_EVENT, 0xfffffffffffffff8ull, NULL,
	  HV_STATUS_INVALID_PARAMETER },
};

static void hc_statuses(void)
{
	/* Every status hv_hyperv.h names must come out of some case here
	 * (or of the handler pass-through below). */
	static const uint16_t all[] = { HV_STATUS_SUCCESS, HV_STATUS_INVALID_HYPERCALL_CODE,
		HV_STATUS_INVALID_HYPERCALL_INPUT, HV_STATUS_INVALID_ALIGNMENT,
		HV_STATUS_INVALID_PARAMETER, HV_STATUS_ACCESS_DENIED, HV_STATUS_INSUFFICIENT_MEMORY,
		HV_STATUS_INVALID_PORT_ID, HV_STATUS_INVALID_CONNECTION_ID,
		HV_STATUS_INSUFFICIENT_BUFFERS };
	bool seen[64] = { false };
	uint64_t calls = 0, errs = 0;
	struct env e;

	env_init(&e);
	seen[hv_hyperv_hypercall(e.h, 0, PM, IN_GPA, 0)] = true;   /* page off: denied */
	calls++, errs++;
	guest_enable_hypercalls(&e);
	hv_hyperv_set_handlers(e.h, &e.ops, &e);
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(hc_cases); i++) {
		const struct hc_case *c = &hc_cases[i];
		unsigned int before = e.log.posts + e.log.signals;
		uint64_t rax;

		memset(gpa(&e.g, IN_GPA), 0, 4096);
		post_input(&e, IN_GPA);
		if (c->setup)
			c->setup(&e);
		for (uint32_t vp = 0; vp < NR_VPS; vp++) {
			rax = hv_hyperv_hypercall(e.h, vp, c->ctl, c->in, 0);
			calls++;
			errs += rax != HV_STATUS_SUCCESS;
			if (rax != c->want)
				T_FAIL("%s (VP %u): RAX %#llx, want status %u", c->what, vp,
				       (unsigned long long)rax, c->want);
			seen[c->want] = true;
		}
		/* Only a successful call reaches a handler. */
		T_EQ(e.log.posts + e.log.signals,
		     before + (c->want == HV_STATUS_SUCCESS ? NR_VPS : 0));
		CHECK_HSTATS(&e, calls, errs, 0);
	}
	/* Statuses only a handler gives, passed through. */
	static const uint16_t from_handler[] = { HV_STATUS_INSUFFICIENT_MEMORY,
		HV_STATUS_INSUFFICIENT_BUFFERS, HV_STATUS_INVALID_CONNECTION_ID };
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(from_handler); i++) {
		e.log.ret = from_handler[i];
		post_input(&e, IN_GPA);
		T_EQ(hv_hyperv_hypercall(e.h, 0, PM, IN_GPA, 0), from_handler[i]);
		seen[from_handler[i]] = true;
		calls++, errs++;
	}
	e.log.ret = HV_STATUS_SUCCESS;
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(all); i++)
		if (!seen[all[i]])
			T_FAIL("status %u never produced", all[i]);
	CHECK_HSTATS(&e, calls, errs, 0);
	env_fini(&e);
}

/* Control word (TLFS): 15:0 code, 16 fast, 26:17 varhead, 30:27 RsvdZ,
 * 31 nested, 43:32 rep count, 47:44 RsvdZ, 59:48 rep start, 63:60 RsvdZ.
 * A set reserved bit is HV_STATUS_INVALID_HYPERCALL_INPUT and reaches no
 * handler. */
static void hc_reserved_control_bits(void)
{
	static const unsigned int rsvd[] = { 27, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63 };
	uint64_t calls = 0;
	struct env e;

	env_init(&e);
	guest_enable_hypercalls(&e);
	hv_hyperv_set_handlers(e.h, &e.ops, &e);
	post_input(&e, IN_GPA);
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(rsvd); i++) {
		uint64_t b = 1ull << rsvd[i], rax;

		rax = hv_hyperv_hypercall(e.h, 0, PM | b, IN_GPA, 0);
		if (rax != HV_STATUS_INVALID_HYPERCALL_INPUT)
			T_FAIL("PostMessage with reserved control bit %u: RAX %#llx", rsvd[i],
			       (unsigned long long)rax);
		rax = hv_hyperv_hypercall(e.h, 1, SE | b, 4, 0);
		if (rax != HV_STATUS_INVALID_HYPERCALL_INPUT)
			T_FAIL("SignalEvent with reserved control bit %u: RAX %#llx", rsvd[i],
			       (unsigned long long)rax);
		calls += 2;
		CHECK_HSTATS(&e, calls, calls, 0);
	}
	T_EQ(e.log.posts + e.log.signals, 0);
	env_fini(&e);
}

/* No VMBus behind the hypercalls (or it went away): the connection ids
 * name nobody, which Linux's vmbus_post_msg() retries and then gives up on
 * (reference §1.7). */
static void hc_no_handlers(void)
{
	struct hv_hcall_handlers post_only = { .post_message = log_post };
	struct env e;

	env_init(&e);
	guest_enable_hypercalls(&e);
	post_input(&e, IN_GPA);
	T_EQ(hv_hyperv_hypercall(e.h, 0, PM, IN_GPA, 0), HV_STATUS_INVALID_CONNECTION_ID);
	T_EQ(hv_hyperv_hypercall(e.h, 0, SE, 4, 0), HV_STATUS_INVALID_CONNECTION_ID);
	/* Input checks still come first. */
	T_EQ(hv_hyperv_hypercall(e.h, 0, PM, IN_GPA + 4, 0), HV_STATUS_INVALID_ALIGNMENT);
	T_EQ(hv_hyperv_hypercall(e.h, 0, SE, 4 | 1ull << 32, 0), HV_STATUS_INVALID_PORT_ID);
	CHECK_HSTATS(&e, 4, 4, 0);
	/* Half a set of handlers. */
	hv_hyperv_set_handlers(e.h, &post_only, &e);
	T_EQ(hv_hyperv_hypercall(e.h, 0, PM, IN_GPA, 0), HV_STATUS_SUCCESS);
	T_EQ(hv_hyperv_hypercall(e.h, 0, SE, 4, 0), HV_STATUS_INVALID_CONNECTION_ID);
	T_EQ(e.log.posts, 1);
	/* Handlers removed (hv_vmbus_destroy does so). */
	hv_hyperv_set_handlers(e.h, &e.ops, &e);
	T_EQ(hv_hyperv_hypercall(e.h, 0, SE, 4, 0), HV_STATUS_SUCCESS);
	hv_hyperv_set_handlers(e.h, NULL, NULL);
	T_EQ(hv_hyperv_hypercall(e.h, 0, PM, IN_GPA, 0), HV_STATUS_INVALID_CONNECTION_ID);
	T_EQ(hv_hyperv_hypercall(e.h, 0, SE, 4, 0), HV_STATUS_INVALID_CONNECTION_ID);
	T_EQ(e.log.posts, 1);
	T_EQ(e.log.signals, 1);
	CHECK_HSTATS(&e, 9, 7, 0);
	env_fini(&e);
}

static const struct hv_case cases[] = {
	HV_CASE(cpuid_leaves),
	HV_CASE(msr_guest_os_id_and_hypercall_page),
	HV_CASE(msr_hypercall_page_refused),
	HV_CASE(msr_vp_index_readonly_and_range),
	HV_CASE(msr_vp_assist),
	HV_CASE(msr_unknown),
	HV_CASE(msr_synic_through_hyperv),
	HV_CASE(ref_counter),
	HV_CASE(tsc_page),
	HV_CASE(tsc_page_rules),
	HV_CASE(hc_access_denied),
	HV_CASE(hc_reach_handlers),
	HV_CASE(hc_statuses),
	HV_CASE(hc_reserved_control_bits),
	HV_CASE(hc_no_handlers),
};

int main(int argc, char **argv)
{
	return hv_run_cases(cases, HVN_ARRAY_SIZE(cases), argc, argv, 20);
}
