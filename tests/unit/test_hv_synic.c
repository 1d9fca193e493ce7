/* The SynIC (hv/hv_synic.c) as a Linux 6.1 guest drives it and as a
 * hostile guest might: the MSR rules, message slots with the
 * msg_pending/EOM handshake (vmbus_signal_eom), the bounded per-VP queue,
 * event flags with an interrupt only on 0 -> 1, interrupt routing, and the
 * post/EOM race under real concurrency (reference §1.5, §6 pitfalls 1 and
 * 7). Guest memory is fenced by PROT_NONE pages, so a host access outside
 * it crashes the case that made it; every case ends by checking all the
 * SynIC counters, so an extra or a missing count fails too. */
#include <pthread.h>
#include <sched.h>
#include <stddef.h>

#include "hv/hv_synic.h"
#include "tests/unit/hv_test_util.h"

#define MEM_BYTES (1u << 20)
#define NR_VPS 3
#define SINT 2                                /* VMBUS_MESSAGE_SINT */
#define VEC(vp) (0xf3u - (vp))                /* a distinct vector per VP */
#define SIMP_GPA(vp) (0x10000ull + (vp) * 0x2000ull)
#define SIEFP_GPA(vp) (0x11000ull + (vp) * 0x2000ull)
#define SLOT_OFF(sint) ((uintptr_t)(sint) * sizeof(struct hv_message))
#define FLAGS_OFF offsetof(struct hv_message, message_flags)

/* A new counter must be checked here too. */
_Static_assert(sizeof(struct hv_synic_stats) == 11 * sizeof(uint64_t),
	       "hv_synic_stats changed: update CHECK_STATS");

struct env {
	struct gmem g;
	struct msi_log msi;
	struct hv_synic *s;
	/* If set, the value of this word is recorded at each interrupt: the
	 * guest must already see the message its interrupt announces. */
	const uint32_t *irq_watch;
	uint32_t irq_watch_val;
};

static int env_msi(void *ctx, uint32_t vp, uint8_t vector)
{
	struct env *e = ctx;

	if (e->irq_watch)
		e->irq_watch_val = __atomic_load_n(e->irq_watch, __ATOMIC_ACQUIRE);
	return msi_record(&e->msi, vp, vector);
}

static void env_init(struct env *e)
{
	memset(e, 0, sizeof(*e));
	gmem_init(&e->g, MEM_BYTES);
	e->s = hv_synic_create(&e->g.mem, NR_VPS, env_msi, e);
	T_ASSERT(e->s != NULL);
}

static void env_fini(struct env *e)
{
	hv_synic_destroy(e->s);
	gmem_fini(&e->g);
}

/* hv_synic_enable_regs() of Linux 6.1 (L: drivers/hv/hv.c): SIMP, SIEFP,
 * SINT2, then SCONTROL. */
static void guest_synic_init(struct env *e, uint32_t vp)
{
	T_EQ(hv_synic_wrmsr(e->s, vp, HV_MSR_SIMP, SIMP_GPA(vp) | 1), 0);
	T_EQ(hv_synic_wrmsr(e->s, vp, HV_MSR_SIEFP, SIEFP_GPA(vp) | 1), 0);
	T_EQ(hv_synic_wrmsr(e->s, vp, HV_MSR_SINT0 + SINT, VEC(vp)), 0);
	T_EQ(hv_synic_wrmsr(e->s, vp, HV_MSR_SCONTROL, 1), 0);
}

static struct hv_message *slot(struct env *e, uint32_t vp, uint32_t sint)
{
	return (struct hv_message *)gpa(&e->g, SIMP_GPA(vp) + SLOT_OFF(sint));
}

/* message_type, the slot's first field. The struct is packed, but slots
 * are 256-byte aligned in a page, so the word is aligned in fact; taking
 * the member's address would trip -Waddress-of-packed-member. The slot
 * comes in as void * so the compiler does not see a packed pointer cast. */
_Static_assert(offsetof(struct hv_message, message_type) == 0, "type first");
static uint32_t *mtype(void *slot_)
{
	return slot_;
}

static const uint32_t *type_word(struct env *e, uint32_t vp, uint32_t sint)
{
	return mtype(slot(e, vp, sint));
}

static uint64_t *flag_word(struct env *e, uint32_t vp, uint32_t sint, uint32_t flag)
{
	return (uint64_t *)gpa(&e->g, SIEFP_GPA(vp) + sint * 256u + flag / 64 * 8);
}

static uint32_t slot_type(struct env *e, uint32_t vp, uint32_t sint)
{
	return __atomic_load_n(mtype(slot(e, vp, sint)), __ATOMIC_ACQUIRE);
}

static uint8_t slot_flags(struct env *e, uint32_t vp, uint32_t sint)
{
	return __atomic_load_n(&slot(e, vp, sint)->message_flags, __ATOMIC_ACQUIRE);
}

/* vmbus_signal_eom() (L: include/asm-generic/mshyperv.h): free the slot,
 * full barrier, EOM only if msg_pending. True if it wrote EOM. */
static bool guest_eom(struct env *e, uint32_t vp, uint32_t sint)
{
	struct hv_message *m = slot(e, vp, sint);
	uint32_t t = __atomic_load_n(mtype(m), __ATOMIC_ACQUIRE);

	__atomic_compare_exchange_n(mtype(m), &t, 0, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->message_flags, __ATOMIC_ACQUIRE) & HV_MESSAGE_FLAG_PENDING) {
		T_EQ(hv_synic_wrmsr(e->s, vp, HV_MSR_EOM, 0), 0);
		return true;
	}
	return false;
}

static void fill(uint8_t *p, uint32_t seq, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 131u + i * 7u + (seq >> 8));
}

static bool filled(const uint8_t *p, uint32_t seq, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seq * 131u + i * 7u + (seq >> 8)))
			return false;
	return true;
}

/* Posts message 'seq': type 1 + seq % 5, port seq, seq % 241 bytes. */
static int post_seq(struct env *e, uint32_t vp, uint32_t sint, uint32_t seq)
{
	uint8_t b[HV_SYNIC_MSG_PAYLOAD];
	uint32_t len = seq % (HV_SYNIC_MSG_PAYLOAD + 1);

	fill(b, seq, len);
	return hv_synic_post(e->s, vp, sint, 1 + seq % 5, seq, b, len);
}

/* Checks that the slot holds message 'seq' exactly as post_seq sent it. */
static void check_slot_seq_at(int line, struct env *e, uint32_t vp, uint32_t sint, uint32_t seq)
{
	struct hv_message *m = slot(e, vp, sint);
	uint32_t len = seq % (HV_SYNIC_MSG_PAYLOAD + 1);

	if (slot_type(e, vp, sint) != 1 + seq % 5 || m->port != seq || m->payload_size != len ||
	    !filled(m->payload, seq, len))
		T_FAIL("line %d: slot %u of VP %u does not hold message %u: type %u port %llu "
		       "size %u", line, sint, vp, seq, m->message_type,
		       (unsigned long long)m->port, m->payload_size);
}
#define CHECK_SLOT_SEQ(e, vp, sint, seq) check_slot_seq_at(__LINE__, e, vp, sint, seq)

#define ST_FIELDS(X) X(msgs_posted) X(msgs_delivered) X(msgs_dropped) X(msgs_refused) \
	X(pending_set) X(eoms) X(signals) X(signals_coalesced) X(signals_dropped) \
	X(interrupts) X(bad_pages)

static void check_stats_at(int line, struct env *e, struct hv_synic_stats want)
{
	struct hv_synic_stats got;
	bool bad = false;

	hv_synic_get_stats(e->s, &got);
#define ST_CMP(f) \
	if (got.f != want.f) { \
		fprintf(stderr, "line %d: stats.%s = %llu, want %llu\n", line, #f, \
			(unsigned long long)got.f, (unsigned long long)want.f); \
		bad = true; \
	}
	ST_FIELDS(ST_CMP)
#undef ST_CMP
	if (bad)
		T_FAIL("line %d: SynIC counters differ (above)", line);
	/* Every counted interrupt reached the msi() callback. */
	T_EQ(atomic_load(&e->msi.n), got.interrupts);
}
/* All counters: the ones not named must be 0. */
#define CHECK_STATS(e, ...) check_stats_at(__LINE__, e, (struct hv_synic_stats){ __VA_ARGS__ })

static struct hv_synic_stats get_stats(struct env *e)
{
	struct hv_synic_stats st;

	hv_synic_get_stats(e->s, &st);
	return st;
}

/* ---- MSRs ---- */

static void msr_reset_state(void)
{
	struct env e;
	uint64_t v;

	env_init(&e);
	for (uint32_t vp = 0; vp < NR_VPS; vp++) {
		T_EQ(hv_synic_rdmsr(e.s, vp, HV_MSR_SCONTROL, &v), 0);
		T_EQ(v, 0);
		T_EQ(hv_synic_rdmsr(e.s, vp, HV_MSR_SVERSION, &v), 0);
		T_EQ(v, 1);
		T_EQ(hv_synic_rdmsr(e.s, vp, HV_MSR_SIEFP, &v), 0);
		T_EQ(v, 0);
		T_EQ(hv_synic_rdmsr(e.s, vp, HV_MSR_SIMP, &v), 0);
		T_EQ(v, 0);
		T_EQ(hv_synic_rdmsr(e.s, vp, HV_MSR_EOM, &v), 0);
		T_EQ(v, 0);
		/* TLFS: SINTs come out of reset masked, or a guest that
		 * enables SCONTROL first would take vector 0. */
		for (uint32_t i = 0; i < HV_SYNIC_SINT_COUNT; i++) {
			T_EQ(hv_synic_rdmsr(e.s, vp, HV_MSR_SINT0 + i, &v), 0);
			T_EQ(v, HV_SINT_MASKED);
		}
	}
	/* SVERSION is read-only. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SVERSION, 2), -EINVAL);
	T_EQ(hv_synic_rdmsr(e.s, 0, HV_MSR_SVERSION, &v), 0);
	T_EQ(v, 1);
	/* Holes and neighbours of the SynIC range are not its MSRs. */
	static const uint32_t others[] = { 0x40000000u, 0x4000007fu, 0x40000085u, 0x4000008fu,
					   0x400000a0u, 0x400000b0u, 0xffffffffu };
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(others); i++) {
		v = 0x5a5a;
		T_EQ(hv_synic_rdmsr(e.s, 0, others[i], &v), -ENOENT);
		T_EQ(v, 0x5a5a);
		T_EQ(hv_synic_wrmsr(e.s, 0, others[i], 1), -ENOENT);
	}
	/* A VP that does not exist. */
	T_EQ(hv_synic_rdmsr(e.s, NR_VPS, HV_MSR_SCONTROL, &v), -EINVAL);
	T_EQ(hv_synic_wrmsr(e.s, NR_VPS, HV_MSR_SCONTROL, 1), -EINVAL);
	T_EQ(hv_synic_wrmsr(e.s, UINT32_MAX, HV_MSR_SIMP, SIMP_GPA(0) | 1), -EINVAL);
	T_EQ(hv_synic_rdmsr(e.s, UINT32_MAX, HV_MSR_SINT0, &v), -EINVAL);
	/* SCONTROL keeps its enable bit. */
	T_EQ(hv_synic_wrmsr(e.s, 1, HV_MSR_SCONTROL, 1), 0);
	T_EQ(hv_synic_rdmsr(e.s, 1, HV_MSR_SCONTROL, &v), 0);
	T_EQ(v, 1);
	T_EQ(hv_synic_rdmsr(e.s, 0, HV_MSR_SCONTROL, &v), 0);
	T_EQ(v, 0);
	T_EQ(hv_synic_wrmsr(e.s, 1, HV_MSR_SCONTROL, 0), 0);
	T_EQ(hv_synic_rdmsr(e.s, 1, HV_MSR_SCONTROL, &v), 0);
	T_EQ(v, 0);
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES));
	CHECK_STATS(&e, 0);
	env_fini(&e);
}

static void msr_sint_rules(void)
{
	struct env e;
	uint64_t v;

	env_init(&e);
	/* TLFS: vectors 0-15 are invalid for an unmasked SINT (#GP). */
	for (uint64_t vec = 0; vec < 16; vec++) {
		T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + SINT, vec), -EINVAL);
		T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + SINT, vec | HV_SINT_AUTO_EOI), -EINVAL);
		T_EQ(hv_synic_rdmsr(e.s, 0, HV_MSR_SINT0 + SINT, &v), 0);
		T_EQ(v, HV_SINT_MASKED);
	}
	/* Masked, a low vector is fine: it is never used. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + SINT, HV_SINT_MASKED | 5), 0);
	T_EQ(hv_synic_rdmsr(e.s, 0, HV_MSR_SINT0 + SINT, &v), 0);
	T_EQ(v, HV_SINT_MASKED | 5);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + SINT, HV_SINT_MASKED), 0);
	/* The lowest and highest valid vectors, and the bits that exist. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0, 16), 0);
	T_EQ(hv_synic_rdmsr(e.s, 0, HV_MSR_SINT0, &v), 0);
	T_EQ(v, 16);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT15, 0xff | HV_SINT_AUTO_EOI | HV_SINT_POLLING), 0);
	T_EQ(hv_synic_rdmsr(e.s, 0, HV_MSR_SINT15, &v), 0);
	T_EQ(v, 0xff | HV_SINT_AUTO_EOI | HV_SINT_POLLING);
	/* Reserved bits (8-15, 19-63) are refused and change nothing. */
	static const uint64_t rsvd[] = { 1ull << 8, 1ull << 15, 1ull << 19, 1ull << 32,
					 1ull << 63 };
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(rsvd); i++) {
		T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT15, 0x40 | rsvd[i]), -EINVAL);
		T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT15, HV_SINT_MASKED | rsvd[i]), -EINVAL);
		T_EQ(hv_synic_rdmsr(e.s, 0, HV_MSR_SINT15, &v), 0);
		T_EQ(v, 0xff | HV_SINT_AUTO_EOI | HV_SINT_POLLING);
	}
	/* Per VP: VP 1's SINT2 is its own. */
	T_EQ(hv_synic_wrmsr(e.s, 1, HV_MSR_SINT0 + SINT, 0x80), 0);
	T_EQ(hv_synic_rdmsr(e.s, 1, HV_MSR_SINT0 + SINT, &v), 0);
	T_EQ(v, 0x80);
	T_EQ(hv_synic_rdmsr(e.s, 0, HV_MSR_SINT0 + SINT, &v), 0);
	T_EQ(v, HV_SINT_MASKED);
	T_EQ(hv_synic_rdmsr(e.s, 2, HV_MSR_SINT0 + SINT, &v), 0);
	T_EQ(v, HV_SINT_MASKED);
	CHECK_STATS(&e, 0);
	env_fini(&e);
}

static void msr_simp_siefp_rules(void)
{
	static const uint32_t msrs[] = { HV_MSR_SIMP, HV_MSR_SIEFP };
	struct env e;
	uint64_t v;

	env_init(&e);
	for (unsigned int m = 0; m < 2; m++) {
		/* Bits 11:1 are reserved: #GP, register unchanged. */
		for (unsigned int bit = 1; bit < 12; bit++) {
			T_EQ(hv_synic_wrmsr(e.s, 0, msrs[m], SIMP_GPA(0) | 1 | (1ull << bit)),
			     -EINVAL);
			T_EQ(hv_synic_wrmsr(e.s, 0, msrs[m], SIMP_GPA(0) | (1ull << bit)), -EINVAL);
			T_EQ(hv_synic_rdmsr(e.s, 0, msrs[m], &v), 0);
			T_EQ(v, 0);
		}
		/* Enabled, disabled with the GPA kept, and a GPA outside the
		 * partition: the TLFS lets the guest write any GPA; its use
		 * is what is checked (post/signal cases below). */
		T_EQ(hv_synic_wrmsr(e.s, 0, msrs[m], SIMP_GPA(0) | 1), 0);
		T_EQ(hv_synic_rdmsr(e.s, 0, msrs[m], &v), 0);
		T_EQ(v, SIMP_GPA(0) | 1);
		T_EQ(hv_synic_wrmsr(e.s, 0, msrs[m], SIMP_GPA(0)), 0);
		T_EQ(hv_synic_rdmsr(e.s, 0, msrs[m], &v), 0);
		T_EQ(v, SIMP_GPA(0));
		T_EQ(hv_synic_wrmsr(e.s, 0, msrs[m], 0xfffffffffffff001ull), 0);
		T_EQ(hv_synic_rdmsr(e.s, 0, msrs[m], &v), 0);
		T_EQ(v, 0xfffffffffffff001ull);
	}
	/* Setting the pages writes nothing into them (Linux zeroes them). */
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES));
	CHECK_STATS(&e, 0);
	env_fini(&e);
}

/* ---- Messages ---- */

static void post_delivers(void)
{
	uint8_t pl[HV_SYNIC_MSG_PAYLOAD];
	struct hv_message *m;
	struct env e;

	env_init(&e);
	guest_synic_init(&e, 1);
	fill(pl, 77, sizeof(pl));
	e.irq_watch = type_word(&e, 1, SINT);
	T_EQ(hv_synic_post(e.s, 1, SINT, 0x1234, 0xabcdef0123ull, pl, sizeof(pl)), 0);
	m = slot(&e, 1, SINT);
	T_EQ(m->message_type, 0x1234);
	T_EQ(m->payload_size, HV_SYNIC_MSG_PAYLOAD);
	T_EQ(m->message_flags, 0);
	T_EQ(m->port, 0xabcdef0123ull);
	T_ASSERT(filled(m->payload, 77, HV_SYNIC_MSG_PAYLOAD));
	/* The interrupt went to VP 1 with its SINT2 vector, after the
	 * message was visible. */
	T_EQ(atomic_load(&e.msi.n), 1);
	T_EQ(atomic_load(&e.msi.per_vp[1]), 1);
	T_EQ(atomic_load(&e.msi.last_vector), VEC(1));
	T_EQ(e.irq_watch_val, 0x1234);
	/* Nothing else in guest memory changed: other slots, other VPs'
	 * pages, the event pages. */
	T_ASSERT(gmem_zero(&e.g, 0, SIMP_GPA(1) + SLOT_OFF(SINT)));
	T_ASSERT(gmem_zero(&e.g, SIMP_GPA(1) + SLOT_OFF(SINT + 1),
			   MEM_BYTES - SIMP_GPA(1) - SLOT_OFF(SINT + 1)));
	CHECK_STATS(&e, .msgs_posted = 1, .msgs_delivered = 1, .interrupts = 1);

	/* An empty message, into the freed slot. */
	T_ASSERT(!guest_eom(&e, 1, SINT));
	T_EQ(hv_synic_post(e.s, 1, SINT, 9, 3, pl, 0), 0);
	T_EQ(m->message_type, 9);
	T_EQ(m->payload_size, 0);
	T_EQ(m->port, 3);
	CHECK_STATS(&e, .msgs_posted = 2, .msgs_delivered = 2, .interrupts = 2);

	/* Another SINT of the same VP has its own slot and vector. */
	T_EQ(hv_synic_wrmsr(e.s, 1, HV_MSR_SINT0 + 5, 0x41), 0);
	T_EQ(hv_synic_post(e.s, 1, 5, 2, 0, pl, 8), 0);
	T_EQ(slot_type(&e, 1, 5), 2);
	T_EQ(m->message_type, 9);
	T_EQ(atomic_load(&e.msi.last_vector), 0x41);
	T_EQ(atomic_load(&e.msi.per_vp[1]), 3);
	CHECK_STATS(&e, .msgs_posted = 3, .msgs_delivered = 3, .interrupts = 3);
	env_fini(&e);
}

/* Reference §1.5 rule 3: payload and header first, message_type last, or a
 * guest polling the type on another CPU reads a half-written message. And
 * a busy slot gets msg_pending and nothing else. */
static void post_store_order(void)
{
	static struct wtrace t;
	uint8_t pl[HV_SYNIC_MSG_PAYLOAD];
	struct hv_message *m;
	struct env e;

	env_init(&e);
	guest_synic_init(&e, 0);
	m = slot(&e, 0, SINT);
	/* Old contents: a stale payload must not show through. */
	memset(m, 0xee, sizeof(*m));
	m->message_type = 0;
	fill(pl, 5, sizeof(pl));

	wtrace_start(&t, gpa(&e.g, SIMP_GPA(0)), type_word(&e, 0, SINT));
	T_EQ(hv_synic_post(e.s, 0, SINT, 7, 0x55, pl, sizeof(pl)), 0);
	wtrace_stop(&t);
	T_ASSERT(t.n >= 2);
	for (unsigned int i = 0; i < t.n; i++) {
		if (t.off[i] < SLOT_OFF(SINT) || t.off[i] >= SLOT_OFF(SINT + 1))
			T_FAIL("store %u at page offset %#lx: outside slot %u", i,
			       (unsigned long)t.off[i], SINT);
		if (t.watch_val[i] != 0)
			T_FAIL("store %u (offset %#lx) came after message_type was published", i,
			       (unsigned long)t.off[i]);
	}
	if (t.off[t.n - 1] - SLOT_OFF(SINT) >= 4)
		T_FAIL("the last store (offset %#lx) was not to message_type",
		       (unsigned long)t.off[t.n - 1]);
	T_EQ(m->message_type, 7);
	T_EQ(m->message_flags, 0);
	T_EQ(m->payload_size, sizeof(pl));
	T_EQ(m->port, 0x55);
	T_ASSERT(filled(m->payload, 5, sizeof(pl)));

	/* The slot is busy now: the next post may only set msg_pending. */
	fill(pl, 6, sizeof(pl));
	wtrace_start(&t, gpa(&e.g, SIMP_GPA(0)), type_word(&e, 0, SINT));
	T_EQ(hv_synic_post(e.s, 0, SINT, 8, 0x66, pl, 100), 0);
	wtrace_stop(&t);
	T_ASSERT(t.n >= 1);
	for (unsigned int i = 0; i < t.n; i++)
		if (t.off[i] != SLOT_OFF(SINT) + FLAGS_OFF)
			T_FAIL("store %u to a busy slot at offset %#lx, not msg_pending", i,
			       (unsigned long)t.off[i]);
	T_EQ(m->message_type, 7);
	T_EQ(m->message_flags, HV_MESSAGE_FLAG_PENDING);
	T_ASSERT(filled(m->payload, 5, sizeof(pl)));
	CHECK_STATS(&e, .msgs_posted = 2, .msgs_delivered = 1, .pending_set = 1,
		    .interrupts = 1);
	env_fini(&e);
}

/* The race hv_synic.c's header describes, made deterministic: the guest
 * frees the slot and looks at msg_pending (not set yet, so no EOM) in the
 * instant between the host seeing the slot busy and setting msg_pending.
 * Only the host's re-check after setting msg_pending saves the message. */
struct race_ctx {
	struct env *e;
	bool guest_saw_pending;
	uintptr_t first_off;
};

static void race_guest_between(void *ctx, uintptr_t off)
{
	struct race_ctx *r = ctx;
	struct hv_message *m = slot(r->e, 0, SINT);

	r->first_off = off;
	__atomic_store_n(mtype(m), 0, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	r->guest_saw_pending = m->message_flags & HV_MESSAGE_FLAG_PENDING;
	/* Linux writes EOM only if it saw msg_pending; it did not. */
}

static void post_race_recheck(void)
{
	static struct wtrace t;
	struct race_ctx r = { 0 };
	struct env e;

	env_init(&e);
	r.e = &e;
	guest_synic_init(&e, 0);
	T_EQ(post_seq(&e, 0, SINT, 1), 0);
	CHECK_SLOT_SEQ(&e, 0, SINT, 1);

	wtrace_start(&t, gpa(&e.g, SIMP_GPA(0)), type_word(&e, 0, SINT));
	t.first_store = race_guest_between;
	t.ctx = &r;
	T_EQ(post_seq(&e, 0, SINT, 2), 0);
	wtrace_stop(&t);
	T_EQ(r.first_off, SLOT_OFF(SINT) + FLAGS_OFF);
	T_ASSERT(!r.guest_saw_pending);
	if (slot_type(&e, 0, SINT) == 0)
		T_FAIL("message 2 is stuck: the guest freed the slot without seeing "
		       "msg_pending and the host did not look at the slot again");
	CHECK_SLOT_SEQ(&e, 0, SINT, 2);
	T_EQ(slot_flags(&e, 0, SINT), 0);
	CHECK_STATS(&e, .msgs_posted = 2, .msgs_delivered = 2, .interrupts = 2);
	env_fini(&e);
}

static void post_busy_handshake(void)
{
	struct env e;

	env_init(&e);
	guest_synic_init(&e, 0);
	for (uint32_t seq = 0; seq < 3; seq++)
		T_EQ(post_seq(&e, 0, SINT, seq), 0);
	/* 0 in the slot, 1 and 2 queued, msg_pending set for each try. */
	CHECK_SLOT_SEQ(&e, 0, SINT, 0);
	T_EQ(slot_flags(&e, 0, SINT), HV_MESSAGE_FLAG_PENDING);
	CHECK_STATS(&e, .msgs_posted = 3, .msgs_delivered = 1, .pending_set = 2, .interrupts = 1);

	/* EOM delivers 1; 2 still waits, so msg_pending is set again. */
	T_ASSERT(guest_eom(&e, 0, SINT));
	CHECK_SLOT_SEQ(&e, 0, SINT, 1);
	T_EQ(slot_flags(&e, 0, SINT), HV_MESSAGE_FLAG_PENDING);
	CHECK_STATS(&e, .msgs_posted = 3, .msgs_delivered = 2, .pending_set = 3, .eoms = 1,
		    .interrupts = 2);
	T_ASSERT(guest_eom(&e, 0, SINT));
	CHECK_SLOT_SEQ(&e, 0, SINT, 2);
	T_EQ(slot_flags(&e, 0, SINT), 0);
	CHECK_STATS(&e, .msgs_posted = 3, .msgs_delivered = 3, .pending_set = 3, .eoms = 2,
		    .interrupts = 3);
	/* Nothing pending: Linux writes no EOM. */
	T_ASSERT(!guest_eom(&e, 0, SINT));
	T_EQ(slot_type(&e, 0, SINT), 0);
	/* An EOM with nothing queued is harmless. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_EOM, 0), 0);
	T_EQ(slot_type(&e, 0, SINT), 0);
	CHECK_STATS(&e, .msgs_posted = 3, .msgs_delivered = 3, .pending_set = 3, .eoms = 3,
		    .interrupts = 3);
	env_fini(&e);
}

static void post_bad_args(void)
{
	uint8_t pl[HV_SYNIC_MSG_PAYLOAD + 1] = { 0 };
	struct env e;

	env_init(&e);
	guest_synic_init(&e, 0);
	T_EQ(hv_synic_post(e.s, NR_VPS, SINT, 1, 0, pl, 8), -EINVAL);
	T_EQ(hv_synic_post(e.s, UINT32_MAX, SINT, 1, 0, pl, 8), -EINVAL);
	T_EQ(hv_synic_post(e.s, 0, HV_SYNIC_SINT_COUNT, 1, 0, pl, 8), -EINVAL);
	T_EQ(hv_synic_post(e.s, 0, UINT32_MAX, 1, 0, pl, 8), -EINVAL);
	T_EQ(hv_synic_post(e.s, 0, SINT, 1, 0, pl, HV_SYNIC_MSG_PAYLOAD + 1), -EINVAL);
	T_EQ(hv_synic_post(e.s, 0, SINT, 1, 0, pl, UINT32_MAX), -EINVAL);
	T_EQ(hv_synic_post(e.s, 0, SINT, 0, 0, pl, 8), -EINVAL);   /* type 0 is "empty" */
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES));
	CHECK_STATS(&e, 0);
	env_fini(&e);
}

/* Pitfall 7: with the message page off, messages are dropped (as Hyper-V
 * does) and counted, whether they are new or were queued. */
static void post_simp_disabled(void)
{
	struct env e;

	env_init(&e);
	T_EQ(post_seq(&e, 0, SINT, 1), -ENODEV);
	CHECK_STATS(&e, .msgs_dropped = 1);
	/* A GPA without the enable bit is still off. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIMP, SIMP_GPA(0)), 0);
	T_EQ(post_seq(&e, 0, SINT, 2), -ENODEV);
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES));
	CHECK_STATS(&e, .msgs_dropped = 2);

	/* Queued messages go when the page is switched off. */
	guest_synic_init(&e, 0);
	for (uint32_t seq = 10; seq < 14; seq++)
		T_EQ(post_seq(&e, 0, SINT, seq), 0);
	CHECK_STATS(&e, .msgs_posted = 4, .msgs_delivered = 1, .msgs_dropped = 2,
		    .pending_set = 3, .interrupts = 1);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIMP, SIMP_GPA(0)), 0);
	CHECK_STATS(&e, .msgs_posted = 4, .msgs_delivered = 1, .msgs_dropped = 5,
		    .pending_set = 3, .interrupts = 1);
	/* Back on at a fresh page: nothing old shows up, new ones do. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIMP, 0x40000 | 1), 0);
	T_ASSERT(gmem_zero(&e.g, 0x40000, 4096));
	T_EQ(post_seq(&e, 0, SINT, 20), 0);
	T_EQ(*(uint32_t *)gpa(&e.g, 0x40000 + SLOT_OFF(SINT)), 1 + 20 % 5);
	CHECK_STATS(&e, .msgs_posted = 5, .msgs_delivered = 2, .msgs_dropped = 5,
		    .pending_set = 3, .interrupts = 2);
	env_fini(&e);
}

/* A SIMP/SIEFP outside the partition: the host never touches memory there
 * (the guard pages would crash this case), drops and counts. */
static void pages_outside_memory(void)
{
	static const uint64_t bad[] = { MEM_BYTES, MEM_BYTES + 0x1000, 0x7ffffffff000ull,
					0xfffffffffffff000ull };
	struct env e;
	uint64_t n = 0;

	env_init(&e);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + SINT, VEC(0)), 0);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SCONTROL, 1), 0);
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(bad); i++) {
		T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIMP, bad[i] | 1), 0);
		T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIEFP, bad[i] | 1), 0);
		/* Accepted into the queue, dropped at delivery. */
		T_EQ(post_seq(&e, 0, SINT, (uint32_t)i), 0);
		T_EQ(hv_synic_signal(e.s, 0, SINT, 5), -ENODEV);
		T_EQ(hv_synic_signal(e.s, 0, 15, 2047), -ENODEV);
		n++;
		CHECK_STATS(&e, .msgs_posted = n, .msgs_dropped = n, .signals_dropped = 2 * n,
			    .bad_pages = 3 * n);
	}
	/* The last page of the partition is inside. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIMP, (MEM_BYTES - 4096) | 1), 0);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIEFP, (MEM_BYTES - 8192) | 1), 0);
	T_EQ(post_seq(&e, 0, SINT, 1), 0);
	T_EQ(*(uint32_t *)gpa(&e.g, MEM_BYTES - 4096 + SLOT_OFF(SINT)), 2);
	T_EQ(hv_synic_signal(e.s, 0, 15, 2047), 1);
	T_EQ(*(uint64_t *)gpa(&e.g, MEM_BYTES - 4096 - 8), 1ull << 63);
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES - 8192 + 15 * 256 + 248));
	CHECK_STATS(&e, .msgs_posted = n + 1, .msgs_delivered = 1, .msgs_dropped = n,
		    .signals = 1, .signals_dropped = 2 * n, .interrupts = 1, .bad_pages = 3 * n);
	env_fini(&e);
}

static void queue_full(void)
{
	struct env e;
	uint32_t seq, eoms = 0;

	env_init(&e);
	guest_synic_init(&e, 0);
	guest_synic_init(&e, 1);
	/* One in the slot, HV_SYNIC_QUEUE_DEPTH queued, then refused. */
	for (seq = 0; seq < HV_SYNIC_QUEUE_DEPTH + 1; seq++)
		T_EQ(post_seq(&e, 0, SINT, seq), 0);
	T_EQ(post_seq(&e, 0, SINT, seq), -ENOBUFS);
	T_EQ(post_seq(&e, 0, 3, seq), -ENOBUFS);   /* the queue is per VP */
	CHECK_STATS(&e, .msgs_posted = HV_SYNIC_QUEUE_DEPTH + 1, .msgs_delivered = 1,
		    .msgs_refused = 2, .pending_set = HV_SYNIC_QUEUE_DEPTH, .interrupts = 1);
	/* Another VP is not affected. */
	T_EQ(post_seq(&e, 1, SINT, 7), 0);
	CHECK_SLOT_SEQ(&e, 1, SINT, 7);
	/* The guest drains everything, in order. */
	for (uint32_t i = 0; i < HV_SYNIC_QUEUE_DEPTH + 1; i++) {
		CHECK_SLOT_SEQ(&e, 0, SINT, i);
		eoms += guest_eom(&e, 0, SINT);
	}
	T_EQ(eoms, HV_SYNIC_QUEUE_DEPTH);
	T_EQ(slot_type(&e, 0, SINT), 0);
	/* And the queue takes messages again. */
	T_EQ(post_seq(&e, 0, SINT, 999), 0);
	CHECK_SLOT_SEQ(&e, 0, SINT, 999);
	CHECK_STATS(&e, .msgs_posted = HV_SYNIC_QUEUE_DEPTH + 3,
		    .msgs_delivered = HV_SYNIC_QUEUE_DEPTH + 3, .msgs_refused = 2,
		    .pending_set = 2 * HV_SYNIC_QUEUE_DEPTH - 1, .eoms = HV_SYNIC_QUEUE_DEPTH,
		    .interrupts = HV_SYNIC_QUEUE_DEPTH + 3);
	env_fini(&e);
}

/* Interrupts go to the VP of the message with that VP's SINT vector, and
 * only when SCONTROL is on and the SINT unmasked (reference §1.5 rule 1). */
static void irq_routing_and_gating(void)
{
	struct env e;

	env_init(&e);
	for (uint32_t vp = 0; vp < NR_VPS; vp++)
		guest_synic_init(&e, vp);
	for (uint32_t vp = NR_VPS; vp-- > 0;) {
		T_EQ(post_seq(&e, vp, SINT, vp), 0);
		T_EQ(atomic_load(&e.msi.last_vp), vp);
		T_EQ(atomic_load(&e.msi.last_vector), VEC(vp));
		T_EQ(atomic_load(&e.msi.per_vp[vp]), 1);
		T_ASSERT(!guest_eom(&e, vp, SINT));
	}
	CHECK_STATS(&e, .msgs_posted = 3, .msgs_delivered = 3, .interrupts = 3);

	/* SCONTROL off on VP 1: no interrupt. */
	T_EQ(hv_synic_wrmsr(e.s, 1, HV_MSR_SCONTROL, 0), 0);
	T_EQ(post_seq(&e, 1, SINT, 10), 0);
	T_EQ(atomic_load(&e.msi.per_vp[1]), 1);
	/* SINT2 masked on VP 2: no interrupt. */
	T_EQ(hv_synic_wrmsr(e.s, 2, HV_MSR_SINT0 + SINT, HV_SINT_MASKED | VEC(2)), 0);
	T_EQ(post_seq(&e, 2, SINT, 11), 0);
	T_EQ(atomic_load(&e.msi.per_vp[2]), 1);
	/* Another SINT masked while SINT2 is not: SINT2 still interrupts. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + 3, HV_SINT_MASKED | 0x30), 0);
	T_EQ(post_seq(&e, 0, SINT, 12), 0);
	T_EQ(atomic_load(&e.msi.per_vp[0]), 2);
	T_EQ(atomic_load(&e.msi.last_vector), VEC(0));
	T_EQ(atomic_load(&e.msi.n), 4);
	T_EQ(get_stats(&e).interrupts, 4);
	T_EQ(get_stats(&e).msgs_posted, 6);
	env_fini(&e);
}

/* Reference §1.5 rule 1: a message for a SINT that cannot interrupt yet
 * (masked, or SCONTROL off) must reach the guest with an interrupt once it
 * can; hv_synic_wrmsr() calls synic_deliver() on SINT and SCONTROL writes
 * for exactly that. A message written into the slot silently while the
 * SINT is masked is never announced: a Linux guest would only find it on
 * some later unrelated SINT2 interrupt. */
static void deferred_until_unmasked(void)
{
	struct env e;

	env_init(&e);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIMP, SIMP_GPA(0) | 1), 0);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIEFP, SIEFP_GPA(0) | 1), 0);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SCONTROL, 1), 0);
	/* SINT2 still masked from reset. */
	T_EQ(post_seq(&e, 0, SINT, 1), 0);
	T_EQ(atomic_load(&e.msi.n), 0);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + SINT, VEC(0)), 0);
	if (atomic_load(&e.msi.n) != 1)
		T_FAIL("message posted while SINT2 was masked: %s and no interrupt after "
		       "unmasking (reference §1.5 rule 1)",
		       slot_type(&e, 0, SINT) ? "written into the slot" : "not delivered");
	CHECK_SLOT_SEQ(&e, 0, SINT, 1);
	T_EQ(atomic_load(&e.msi.last_vector), VEC(0));
	T_ASSERT(!guest_eom(&e, 0, SINT));

	/* The same with SCONTROL off until after the post. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SCONTROL, 0), 0);
	T_EQ(post_seq(&e, 0, SINT, 2), 0);
	T_EQ(atomic_load(&e.msi.n), 1);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SCONTROL, 1), 0);
	if (atomic_load(&e.msi.n) != 2)
		T_FAIL("message posted while SCONTROL was off: no interrupt after enabling it");
	CHECK_SLOT_SEQ(&e, 0, SINT, 2);
	CHECK_STATS(&e, .msgs_posted = 2, .msgs_delivered = 2, .interrupts = 2);
	env_fini(&e);
}

/* FIFO over 1000 messages with a guest that takes one message for every
 * three posted, so the queue fills and the poster sees -ENOBUFS. */
static void fifo_slow_guest(void)
{
	struct hv_synic_stats st;
	uint32_t next = 0, refused = 0, eoms = 0;
	struct env e;

	env_init(&e);
	guest_synic_init(&e, 0);
	for (uint32_t seq = 0; seq < 1000; seq++) {
		int rc;

		while ((rc = post_seq(&e, 0, SINT, seq)) == -ENOBUFS) {
			refused++;
			CHECK_SLOT_SEQ(&e, 0, SINT, next);
			next++;
			eoms += guest_eom(&e, 0, SINT);
		}
		T_EQ(rc, 0);
		if (seq % 3 == 2) {
			CHECK_SLOT_SEQ(&e, 0, SINT, next);
			next++;
			eoms += guest_eom(&e, 0, SINT);
		}
	}
	T_ASSERT(refused > 0);
	while (next < 1000) {
		CHECK_SLOT_SEQ(&e, 0, SINT, next);
		next++;
		eoms += guest_eom(&e, 0, SINT);
	}
	T_EQ(slot_type(&e, 0, SINT), 0);
	st = get_stats(&e);
	T_EQ(st.msgs_posted, 1000);
	T_EQ(st.msgs_delivered, 1000);
	T_EQ(st.msgs_refused, refused);
	T_EQ(st.msgs_dropped, 0);
	T_EQ(st.eoms, eoms);
	T_EQ(st.interrupts, 1000);
	T_EQ(atomic_load(&e.msi.n), 1000);
	env_fini(&e);
}

/* ---- The post/EOM race, for real ---- */

#define RACE_MSGS 100000u
#define RACE_STUCK_NS (3ull * 1000000000ull)

struct race {
	struct env *e;
	atomic_uint consumed;      /* messages the guest finished */
	atomic_uint freeing;       /* the guest is about to free message n - 1 */
	atomic_uint posted;
	uint32_t refused;
	uint32_t guest_eoms;
};

static void race_report_stuck(struct race *r, const char *who)
{
	struct hv_synic_stats st = get_stats(r->e);

	T_FAIL("%s: no progress for %llu s: posted %u, consumed %u, slot type %u flags %#x; "
	       "stats posted %llu delivered %llu pending_set %llu eoms %llu (a lost "
	       "wake-up: the slot is free, a message waits, nobody will write EOM)",
	       who, RACE_STUCK_NS / 1000000000ull, atomic_load(&r->posted),
	       atomic_load(&r->consumed), slot_type(r->e, 0, SINT), slot_flags(r->e, 0, SINT),
	       (unsigned long long)st.msgs_posted, (unsigned long long)st.msgs_delivered,
	       (unsigned long long)st.pending_set, (unsigned long long)st.eoms);
}

/* Spins until *v == want, yielding now and then (two shared cores), and
 * fails after RACE_STUCK_NS. */
static void race_wait(struct race *r, atomic_uint *v, uint32_t want, const char *who)
{
	uint64_t t0 = now_ns();

	for (unsigned int spin = 0; atomic_load(v) != want; spin++) {
		if (spin % 64 == 63) {
			sched_yield();
			if (now_ns() - t0 > RACE_STUCK_NS)
				race_report_stuck(r, who);
		}
		hvn_cpu_relax();
	}
}

static void race_post(struct race *r, uint32_t seq)
{
	int rc;

	while ((rc = post_seq(r->e, 0, SINT, seq)) == -ENOBUFS) {
		r->refused++;
		sched_yield();
	}
	T_EQ(rc, 0);
	atomic_store(&r->posted, seq + 1);
}

static void *race_poster(void *arg)
{
	struct race *r = arg;
	uint32_t seq = 0, rnd = 12345;

	while (seq < RACE_MSGS) {
		uint32_t burst = 2 + (rnd >> 16) % 7, pause;

		rnd = rnd * 1103515245u + 12345u;
		pause = (rnd >> 16) % 64;
		rnd = rnd * 1103515245u + 12345u;
		/* The first message goes into the free slot. The second is
		 * posted as the guest starts freeing the first, after a
		 * random delay: the host sees the slot busy while the guest
		 * clears it and looks at msg_pending, which is the race. */
		race_post(r, seq++);
		race_wait(r, &r->freeing, seq, "poster waiting for the guest to take a message");
		for (uint32_t i = 0; i < pause; i++)
			hvn_cpu_relax();
		/* The rest of the burst queues behind it. */
		for (uint32_t i = 1; i < burst && seq < RACE_MSGS; i++)
			race_post(r, seq++);
		/* Then nothing more: a lost wake-up now leaves a message stuck
		 * with no later post to rescue it. */
		race_wait(r, &r->consumed, seq, "poster waiting for the guest to drain");
	}
	return NULL;
}

static void *race_guest(void *arg)
{
	struct race *r = arg;
	struct hv_message *m = slot(r->e, 0, SINT);
	uint8_t copy[HV_SYNIC_MSG_PAYLOAD];

	for (uint32_t next = 0; next < RACE_MSGS; next++) {
		uint64_t t0 = now_ns();
		uint32_t type, len;
		uint64_t port;

		for (unsigned int spin = 0;
		     (type = __atomic_load_n(mtype(m), __ATOMIC_ACQUIRE)) == 0; spin++) {
			if (spin % 64 == 63) {
				sched_yield();
				if (now_ns() - t0 > RACE_STUCK_NS)
					race_report_stuck(r, "guest waiting for a message");
			}
			hvn_cpu_relax();
		}
		/* vmbus_on_msg_dpc(): copy, then free the slot
		 * (vmbus_signal_eom), then look at the copy. */
		port = m->port;
		len = m->payload_size;
		memcpy(copy, m->payload, HV_SYNIC_MSG_PAYLOAD);
		atomic_store(&r->freeing, next + 1);
		__atomic_compare_exchange_n(mtype(m), &type, 0, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&m->message_flags, __ATOMIC_ACQUIRE) &
		    HV_MESSAGE_FLAG_PENDING) {
			T_EQ(hv_synic_wrmsr(r->e->s, 0, HV_MSR_EOM, 0), 0);
			r->guest_eoms++;
		}
		if (port != next)
			T_FAIL("guest expected message %u, got %llu (lost, duplicated or "
			       "reordered)", next, (unsigned long long)port);
		if (type != 1 + next % 5 || len != next % (HV_SYNIC_MSG_PAYLOAD + 1) ||
		    !filled(copy, next, len))
			T_FAIL("message %u: wrong type %u, size %u or payload", next, type, len);
		atomic_store(&r->consumed, next + 1);
	}
	return NULL;
}

static void post_eom_race_threads(void)
{
	struct hv_synic_stats st;
	struct race r = { 0 };
	pthread_t tp, tg;
	struct env e;

	env_init(&e);
	r.e = &e;
	guest_synic_init(&e, 0);
	T_EQ(pthread_create(&tg, NULL, race_guest, &r), 0);
	T_EQ(pthread_create(&tp, NULL, race_poster, &r), 0);
	T_EQ(pthread_join(tp, NULL), 0);
	T_EQ(pthread_join(tg, NULL), 0);
	T_EQ(slot_type(&e, 0, SINT), 0);
	st = get_stats(&e);
	T_EQ(st.msgs_posted, RACE_MSGS);
	T_EQ(st.msgs_delivered, RACE_MSGS);
	T_EQ(st.msgs_refused, r.refused);
	T_EQ(st.msgs_dropped, 0);
	T_EQ(st.eoms, r.guest_eoms);
	T_EQ(st.interrupts, RACE_MSGS);
	T_EQ(atomic_load(&e.msi.n), RACE_MSGS);
	printf("# %u messages, %llu found the slot busy, %u EOMs, %u refused\n", RACE_MSGS,
	       (unsigned long long)st.pending_set, r.guest_eoms, r.refused);
	env_fini(&e);
}

/* ---- Event flags ---- */

static void signal_basic(void)
{
	static const struct { uint32_t sint, flag; } where[] = {
		{ SINT, 0 }, { SINT, 63 }, { SINT, 64 }, { SINT, 2047 }, { 0, 0 }, { 15, 2047 },
	};
	uint8_t want[4096] = { 0 };
	struct env e;
	uint64_t *w;

	env_init(&e);
	guest_synic_init(&e, 1);
	T_EQ(hv_synic_wrmsr(e.s, 1, HV_MSR_SINT0 + 0, 0x50), 0);
	T_EQ(hv_synic_wrmsr(e.s, 1, HV_MSR_SINT15, 0x5f), 0);
	e.irq_watch = (const uint32_t *)(const void *)flag_word(&e, 1, SINT, 5);

	/* 0 -> 1: one interrupt, to VP 1 with SINT2's vector, after the
	 * flag is visible. */
	T_EQ(hv_synic_signal(e.s, 1, SINT, 5), 1);
	w = flag_word(&e, 1, SINT, 5);
	T_EQ(*w, 1ull << 5);
	T_EQ(atomic_load(&e.msi.per_vp[1]), 1);
	T_EQ(atomic_load(&e.msi.last_vector), VEC(1));
	T_EQ(e.irq_watch_val, 1u << 5);
	e.irq_watch = NULL;
	CHECK_STATS(&e, .signals = 1, .interrupts = 1);
	/* Already set: coalesced, no interrupt (reference §1.5 rule 4). */
	T_EQ(hv_synic_signal(e.s, 1, SINT, 5), 0);
	T_EQ(hv_synic_signal(e.s, 1, SINT, 5), 0);
	CHECK_STATS(&e, .signals = 1, .signals_coalesced = 2, .interrupts = 1);
	/* The guest takes it (sync_test_and_clear_bit); the next is 0 -> 1. */
	T_ASSERT(__atomic_fetch_and(w, ~(1ull << 5), __ATOMIC_SEQ_CST) & (1ull << 5));
	T_EQ(hv_synic_signal(e.s, 1, SINT, 5), 1);
	CHECK_STATS(&e, .signals = 2, .signals_coalesced = 2, .interrupts = 2);
	__atomic_fetch_and(w, ~(1ull << 5), __ATOMIC_SEQ_CST);

	/* Bit placement: SINT n's 2048 bits at SIEFP + n * 256. */
	for (unsigned int i = 0; i < HVN_ARRAY_SIZE(where); i++) {
		T_EQ(hv_synic_signal(e.s, 1, where[i].sint, where[i].flag), 1);
		uint32_t f = where[i].flag;

		want[where[i].sint * 256 + f / 8] |= (uint8_t)(1u << (f % 8));
	}
	T_EQ(memcmp(gpa(&e.g, SIEFP_GPA(1)), want, sizeof(want)), 0);
	T_EQ(atomic_load(&e.msi.last_vector), 0x5f);
	/* Bad arguments: refused, nothing counted or written. */
	T_EQ(hv_synic_signal(e.s, 1, SINT, HV_SYNIC_FLAGS_PER_SINT), -EINVAL);
	T_EQ(hv_synic_signal(e.s, 1, SINT, UINT32_MAX), -EINVAL);
	T_EQ(hv_synic_signal(e.s, 1, HV_SYNIC_SINT_COUNT, 0), -EINVAL);
	T_EQ(hv_synic_signal(e.s, NR_VPS, SINT, 1), -EINVAL);
	T_EQ(memcmp(gpa(&e.g, SIEFP_GPA(1)), want, sizeof(want)), 0);
	T_ASSERT(gmem_zero(&e.g, 0, SIEFP_GPA(1)));
	T_ASSERT(gmem_zero(&e.g, SIEFP_GPA(1) + 4096, MEM_BYTES - SIEFP_GPA(1) - 4096));
	CHECK_STATS(&e, .signals = 2 + HVN_ARRAY_SIZE(where), .signals_coalesced = 2,
		    .interrupts = 2 + HVN_ARRAY_SIZE(where));
	env_fini(&e);
}

static void signal_page_off(void)
{
	struct env e;

	env_init(&e);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + SINT, VEC(0)), 0);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SCONTROL, 1), 0);
	T_EQ(hv_synic_signal(e.s, 0, SINT, 1), -ENODEV);
	/* A GPA without the enable bit is off too. */
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SIEFP, SIEFP_GPA(0)), 0);
	T_EQ(hv_synic_signal(e.s, 0, SINT, 1), -ENODEV);
	T_ASSERT(gmem_zero(&e.g, 0, MEM_BYTES));
	CHECK_STATS(&e, .signals_dropped = 2);
	env_fini(&e);
}

/* A masked SINT still gets its flag (the guest scans flags on any SINT2
 * interrupt) but no interrupt. */
static void signal_masked(void)
{
	struct env e;

	env_init(&e);
	guest_synic_init(&e, 0);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SINT0 + SINT, HV_SINT_MASKED | VEC(0)), 0);
	T_EQ(hv_synic_signal(e.s, 0, SINT, 9), 1);
	T_EQ(*flag_word(&e, 0, SINT, 9), 1ull << 9);
	CHECK_STATS(&e, .signals = 1);
	env_fini(&e);
}

/* TLFS SCONTROL: with the enable bit clear, event flag notifications
 * cannot be directed to the VP; QEMU answers -ENXIO without setting the
 * flag (Q: hw/hyperv/hyperv.c hyperv_set_event_flag). Either way: no
 * interrupt. The message path already checks SCONTROL; the signal path
 * must too. */
static void signal_scontrol_off(void)
{
	struct env e;
	int rc;

	env_init(&e);
	guest_synic_init(&e, 0);
	T_EQ(hv_synic_wrmsr(e.s, 0, HV_MSR_SCONTROL, 0), 0);
	rc = hv_synic_signal(e.s, 0, SINT, 9);
	if (atomic_load(&e.msi.n) != 0)
		T_FAIL("event flag with SCONTROL off raised an interrupt (vector %#x)",
		       atomic_load(&e.msi.last_vector));
	if (rc == 1) {
		/* Flag kept for when the guest enables the SynIC. */
		T_EQ(*flag_word(&e, 0, SINT, 9), 1ull << 9);
		CHECK_STATS(&e, .signals = 1);
	} else {
		/* Dropped, as QEMU does. */
		T_EQ(rc, -ENODEV);
		T_EQ(*flag_word(&e, 0, SINT, 9), 0);
		CHECK_STATS(&e, .signals_dropped = 1);
	}
	env_fini(&e);
}

/* Two signalling threads (device workers) on distinct and shared bits and
 * a guest clearing them as vmbus_chan_sched() does: every 0 -> 1 change is
 * exactly one interrupt and exactly one bit the guest takes. */
#define SIG_PER_THREAD 200000u
#define SIG_GUEST_BITS 5

static const uint32_t sig_bits[2][3] = { { 1, 2, 100 }, { 3, 4, 100 } };
static const uint32_t guest_bits[SIG_GUEST_BITS] = { 1, 2, 3, 4, 100 };

struct sigrace {
	struct env *e;
	pthread_barrier_t *start;
	unsigned int id;
	uint64_t ones[SIG_GUEST_BITS], zeros;
	atomic_bool stop;
	uint64_t taken[SIG_GUEST_BITS];
};

static unsigned int bit_index(uint32_t bit)
{
	for (unsigned int i = 0; i < SIG_GUEST_BITS; i++)
		if (guest_bits[i] == bit)
			return i;
	T_FAIL("bit %u", bit);
}

static void *sig_thread(void *arg)
{
	struct sigrace *r = arg;

	pthread_barrier_wait(r->start);
	for (uint32_t i = 0; i < SIG_PER_THREAD; i++) {
		uint32_t bit = sig_bits[r->id][i % 3];
		int rc;

		/* Let the guest run now and then, even on one core. */
		if (i % 256 == 255)
			sched_yield();
		rc = hv_synic_signal(r->e->s, 0, SINT, bit);

		if (rc == 1)
			r->ones[bit_index(bit)]++;
		else if (rc == 0)
			r->zeros++;
		else
			T_FAIL("hv_synic_signal: %d", rc);
	}
	return NULL;
}

static void guest_take(struct sigrace *g)
{
	for (unsigned int i = 0; i < SIG_GUEST_BITS; i++) {
		uint64_t *w = flag_word(g->e, 0, SINT, guest_bits[i]);
		uint64_t m = 1ull << (guest_bits[i] % 64);

		if (__atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST) & m)
			g->taken[i]++;
	}
}

static void *sig_guest(void *arg)
{
	struct sigrace *g = arg;

	pthread_barrier_wait(g->start);
	/* Mostly spinning, so bits are taken while signals fly; a yield now
	 * and then so the signallers run even on one core. */
	for (unsigned int i = 0; !atomic_load(&g->stop); i++) {
		guest_take(g);
		if (i % 256 == 255)
			sched_yield();
	}
	return NULL;
}

static void signal_concurrent(void)
{
	struct sigrace t[2] = { { 0 } }, g = { 0 };
	uint64_t ones = 0, zeros = 0, taken = 0;
	struct hv_synic_stats st;
	pthread_barrier_t start;
	pthread_t th[2], gt;
	struct env e;

	env_init(&e);
	guest_synic_init(&e, 0);
	T_EQ(pthread_barrier_init(&start, NULL, 3), 0);
	g.e = &e;
	g.start = &start;
	T_EQ(pthread_create(&gt, NULL, sig_guest, &g), 0);
	for (unsigned int i = 0; i < 2; i++) {
		t[i].e = &e;
		t[i].id = i;
		t[i].start = &start;
		T_EQ(pthread_create(&th[i], NULL, sig_thread, &t[i]), 0);
	}
	for (unsigned int i = 0; i < 2; i++)
		T_EQ(pthread_join(th[i], NULL), 0);
	atomic_store(&g.stop, true);
	T_EQ(pthread_join(gt, NULL), 0);
	guest_take(&g);   /* what is left after the last signal */
	for (unsigned int b = 0; b < SIG_GUEST_BITS; b++) {
		uint64_t set = t[0].ones[b] + t[1].ones[b];

		if (set != g.taken[b])
			T_FAIL("bit %u: %llu 0->1 changes signalled, the guest took %llu",
			       guest_bits[b], (unsigned long long)set,
			       (unsigned long long)g.taken[b]);
		ones += set;
		taken += g.taken[b];
	}
	zeros = t[0].zeros + t[1].zeros;
	T_EQ(ones + zeros, 2 * SIG_PER_THREAD);
	/* The guest did run alongside, or this proved nothing. */
	if (taken < 100)
		T_FAIL("only %llu flags taken while signals flew", (unsigned long long)taken);
	pthread_barrier_destroy(&start);
	st = get_stats(&e);
	T_EQ(st.signals, ones);
	T_EQ(st.signals_coalesced, zeros);
	T_EQ(st.interrupts, ones);
	T_EQ(atomic_load(&e.msi.n), ones);
	T_EQ(atomic_load(&e.msi.per_vp[0]), ones);
	printf("# %llu signals: %llu 0->1 (interrupts), %llu coalesced\n",
	       (unsigned long long)(ones + zeros), (unsigned long long)ones,
	       (unsigned long long)zeros);
	env_fini(&e);
}

static const struct hv_case cases[] = {
	HV_CASE(msr_reset_state),
	HV_CASE(msr_sint_rules),
	HV_CASE(msr_simp_siefp_rules),
	HV_CASE(post_delivers),
	HV_CASE(post_store_order),
	HV_CASE(post_race_recheck),
	HV_CASE(post_busy_handshake),
	HV_CASE(post_bad_args),
	HV_CASE(post_simp_disabled),
	HV_CASE(pages_outside_memory),
	HV_CASE(queue_full),
	HV_CASE(irq_routing_and_gating),
	HV_CASE(deferred_until_unmasked),
	HV_CASE(fifo_slow_guest),
	HV_CASE(post_eom_race_threads),
	HV_CASE(signal_basic),
	HV_CASE(signal_page_off),
	HV_CASE(signal_masked),
	HV_CASE(signal_scontrol_off),
	HV_CASE(signal_concurrent),
};

int main(int argc, char **argv)
{
	return hv_run_cases(cases, HVN_ARRAY_SIZE(cases), argc, argv, 20);
}
