/* SynIC emulation; see hv_synic.h for the model. The message handshake
 * follows Linux's vmbus_signal_eom() (L: include/asm-generic/mshyperv.h):
 * the guest clears message_type, then writes EOM only if msg_pending was
 * set. Since we post while the guest runs (QEMU posts with the vCPU
 * stopped), setting msg_pending is followed by a re-check of the slot. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hv/hv_synic.h"

struct synic_qmsg {
	uint32_t sint;
	uint32_t type;
	uint64_t port;
	uint32_t len;
	uint8_t payload[HV_SYNIC_MSG_PAYLOAD];
};

struct synic_vp {
	pthread_mutex_t lock;
	/* Registers. siefp and sints are read without the lock by signal(),
	 * hence atomics. */
	_Atomic uint64_t scontrol;
	_Atomic uint64_t siefp;
	uint64_t simp;
	_Atomic uint64_t sint[HV_SYNIC_SINT_COUNT];
	/* Queue, allocated on first post: most VPs never get a message. */
	struct synic_qmsg *q;
	uint32_t q_head;
	uint32_t q_len;
};

struct hv_synic {
	const struct vmbus_mem *mem;
	unsigned int nr_vps;
	int (*msi)(void *ctx, uint32_t vp, uint8_t vector);
	void *ctx;
	struct hv_synic_stats st;   /* updated with atomic adds */
	struct synic_vp vps[];
};

#define STAT_INC(s, f) __atomic_fetch_add(&(s)->st.f, 1, __ATOMIC_RELAXED)

struct hv_synic *hv_synic_create(const struct vmbus_mem *mem, unsigned int nr_vps,
				 int (*msi)(void *ctx, uint32_t vp, uint8_t vector),
				 void *ctx)
{
	struct hv_synic *s = calloc(1, sizeof(*s) + nr_vps * sizeof(s->vps[0]));

	if (!s)
		return NULL;
	s->mem = mem;
	s->nr_vps = nr_vps;
	s->msi = msi;
	s->ctx = ctx;
	for (unsigned int i = 0; i < nr_vps; i++) {
		pthread_mutex_init(&s->vps[i].lock, NULL);
		/* TLFS: SINTs come out of reset masked. */
		for (unsigned int j = 0; j < HV_SYNIC_SINT_COUNT; j++)
			atomic_init(&s->vps[i].sint[j], HV_SINT_MASKED);
	}
	return s;
}

void hv_synic_destroy(struct hv_synic *s)
{
	if (!s)
		return;
	for (unsigned int i = 0; i < s->nr_vps; i++) {
		pthread_mutex_destroy(&s->vps[i].lock);
		free(s->vps[i].q);
	}
	free(s);
}

/* The page a SIMP/SIEFP value points at, or NULL when disabled or outside
 * the partition (a hostile guest may point anywhere; we only ever touch
 * its own RAM). */
static uint8_t *synic_page(struct hv_synic *s, uint64_t reg)
{
	uint8_t *pg;

	if (!(reg & 1))
		return NULL;
	pg = vmbus_mem_gpa(s->mem, reg & ~0xfffull, HVN_PAGE_SIZE);
	if (!pg)
		STAT_INC(s, bad_pages);
	return pg;
}

static void synic_interrupt(struct hv_synic *s, uint32_t vp, uint64_t sint)
{
	if (sint & HV_SINT_MASKED)
		return;
	STAT_INC(s, interrupts);
	s->msi(s->ctx, vp, (uint8_t)(sint & HV_SINT_VECTOR_MASK));
}

/* Move queued messages into free slots. Called with the VP lock held. */
static void synic_deliver(struct hv_synic *s, uint32_t vpi)
{
	struct synic_vp *vp = &s->vps[vpi];

	while (vp->q_len) {
		struct synic_qmsg *m = &vp->q[vp->q_head];
		uint8_t *page = synic_page(s, vp->simp);
		struct hv_message *slot;
		uint32_t *type;
		uint64_t sint;

		if (!page) {
			/* Message page off or bad: Hyper-V drops. */
			vp->q_head = (vp->q_head + 1) % HV_SYNIC_QUEUE_DEPTH;
			vp->q_len--;
			STAT_INC(s, msgs_dropped);
			continue;
		}
		/* Reference §1.5 rule 1: only into a slot whose SINT can
		 * interrupt; the SCONTROL and SINT writes call us again. One
		 * FIFO per VP, so a masked SINT holds back the others: only
		 * SINT2 carries messages today. */
		sint = atomic_load(&vp->sint[m->sint]);
		if (!(atomic_load(&vp->scontrol) & 1) || (sint & HV_SINT_MASKED))
			return;
		slot = (struct hv_message *)(page + m->sint * sizeof(*slot));
		/* message_type sits at offset 0 of a 256-byte slot in a page:
		 * aligned, whatever the packed struct says. */
		type = (uint32_t *)(void *)(page + m->sint * sizeof(*slot));
		if (hvn_load_acquire(type) != 0) {
			__atomic_fetch_or(&slot->message_flags, HV_MESSAGE_FLAG_PENDING,
					  __ATOMIC_SEQ_CST);
			/* The guest may have cleared the slot and looked at
			 * msg_pending just before we set it: look again. */
			if (hvn_load_acquire(type) != 0) {
				STAT_INC(s, pending_set);
				return;
			}
		}
		memcpy(slot->payload, m->payload, m->len);
		slot->payload_size = (uint8_t)m->len;
		slot->message_flags = 0;
		slot->port = m->port;
		/* Type last: it is what the guest polls (reference §1.5 rule 3). */
		hvn_store_release(type, m->type);
		vp->q_head = (vp->q_head + 1) % HV_SYNIC_QUEUE_DEPTH;
		vp->q_len--;
		STAT_INC(s, msgs_delivered);
		synic_interrupt(s, vpi, sint);
	}
}

int hv_synic_post(struct hv_synic *s, uint32_t vpi, uint32_t sint, uint32_t type,
		  uint64_t port, const void *payload, uint32_t len)
{
	struct synic_vp *vp;
	struct synic_qmsg *m;
	int rc = 0;

	if (vpi >= s->nr_vps || sint >= HV_SYNIC_SINT_COUNT || len > HV_SYNIC_MSG_PAYLOAD ||
	    type == 0)
		return -EINVAL;
	vp = &s->vps[vpi];
	pthread_mutex_lock(&vp->lock);
	if (!(vp->simp & 1)) {
		STAT_INC(s, msgs_dropped);
		rc = -ENODEV;
		goto out;
	}
	if (!vp->q) {
		vp->q = calloc(HV_SYNIC_QUEUE_DEPTH, sizeof(*vp->q));
		if (!vp->q) {
			rc = -ENOMEM;
			goto out;
		}
	}
	if (vp->q_len == HV_SYNIC_QUEUE_DEPTH) {
		STAT_INC(s, msgs_refused);
		rc = -ENOBUFS;
		goto out;
	}
	m = &vp->q[(vp->q_head + vp->q_len) % HV_SYNIC_QUEUE_DEPTH];
	m->sint = sint;
	m->type = type;
	m->port = port;
	m->len = len;
	memcpy(m->payload, payload, len);
	vp->q_len++;
	STAT_INC(s, msgs_posted);
	synic_deliver(s, vpi);
out:
	pthread_mutex_unlock(&vp->lock);
	return rc;
}

int hv_synic_signal(struct hv_synic *s, uint32_t vpi, uint32_t sint, uint32_t flag)
{
	struct synic_vp *vp;
	uint8_t *page;
	uint64_t *word, bit, old;

	if (vpi >= s->nr_vps || sint >= HV_SYNIC_SINT_COUNT || flag >= HV_SYNIC_FLAGS_PER_SINT)
		return -EINVAL;
	vp = &s->vps[vpi];
	/* TLFS: with SCONTROL off no event flag is directed to the VP (as
	 * QEMU's hyperv_set_event_flag). */
	if (!(atomic_load_explicit(&vp->scontrol, memory_order_acquire) & 1)) {
		STAT_INC(s, signals_dropped);
		return -ENODEV;
	}
	page = synic_page(s, atomic_load_explicit(&vp->siefp, memory_order_acquire));
	if (!page) {
		STAT_INC(s, signals_dropped);
		return -ENODEV;
	}
	word = (uint64_t *)(page + sint * (HV_SYNIC_FLAGS_PER_SINT / 8)) + flag / 64;
	bit = 1ull << (flag % 64);
	old = __atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST);
	if (old & bit) {
		STAT_INC(s, signals_coalesced);
		return 0;
	}
	STAT_INC(s, signals);
	synic_interrupt(s, vpi, atomic_load(&vp->sint[sint]));
	return 1;
}

int hv_synic_rdmsr(struct hv_synic *s, uint32_t vpi, uint32_t msr, uint64_t *val)
{
	struct synic_vp *vp;

	if (vpi >= s->nr_vps)
		return -EINVAL;
	vp = &s->vps[vpi];
	pthread_mutex_lock(&vp->lock);
	switch (msr) {
	case HV_MSR_SCONTROL:
		*val = atomic_load(&vp->scontrol);
		break;
	case HV_MSR_SVERSION:
		*val = 1;
		break;
	case HV_MSR_SIEFP:
		*val = atomic_load(&vp->siefp);
		break;
	case HV_MSR_SIMP:
		*val = vp->simp;
		break;
	case HV_MSR_EOM:
		*val = 0;
		break;
	default:
		if (msr >= HV_MSR_SINT0 && msr <= HV_MSR_SINT15) {
			*val = atomic_load(&vp->sint[msr - HV_MSR_SINT0]);
			break;
		}
		pthread_mutex_unlock(&vp->lock);
		return -ENOENT;
	}
	pthread_mutex_unlock(&vp->lock);
	return 0;
}

int hv_synic_wrmsr(struct hv_synic *s, uint32_t vpi, uint32_t msr, uint64_t val)
{
	struct synic_vp *vp;
	int rc = 0;

	if (vpi >= s->nr_vps)
		return -EINVAL;
	vp = &s->vps[vpi];
	pthread_mutex_lock(&vp->lock);
	switch (msr) {
	case HV_MSR_SCONTROL:
		atomic_store(&vp->scontrol, val & 1);
		synic_deliver(s, vpi);
		break;
	case HV_MSR_SVERSION:
		rc = -EINVAL;           /* read-only */
		break;
	case HV_MSR_SIEFP:
		/* Bits 11:1 are reserved. */
		if (val & 0xffeull)
			rc = -EINVAL;
		else
			atomic_store_explicit(&vp->siefp, val, memory_order_release);
		break;
	case HV_MSR_SIMP:
		if (val & 0xffeull) {
			rc = -EINVAL;
			break;
		}
		vp->simp = val;
		synic_deliver(s, vpi);
		break;
	case HV_MSR_EOM:
		STAT_INC(s, eoms);
		synic_deliver(s, vpi);
		break;
	default:
		if (msr >= HV_MSR_SINT0 && msr <= HV_MSR_SINT15) {
			/* TLFS: vectors 0-15 are invalid for an unmasked SINT;
			 * only vector, masked, auto-EOI and polling bits exist. */
			if ((val & ~(HV_SINT_VECTOR_MASK | HV_SINT_MASKED | HV_SINT_AUTO_EOI |
				     HV_SINT_POLLING)) ||
			    (!(val & HV_SINT_MASKED) && (val & HV_SINT_VECTOR_MASK) < 16)) {
				rc = -EINVAL;
				break;
			}
			atomic_store(&vp->sint[msr - HV_MSR_SINT0], val);
			synic_deliver(s, vpi);
			break;
		}
		rc = -ENOENT;
	}
	pthread_mutex_unlock(&vp->lock);
	return rc;
}

void hv_synic_get_stats(struct hv_synic *s, struct hv_synic_stats *out)
{
	uint64_t *dst = (uint64_t *)out;
	const uint64_t *src = (const uint64_t *)&s->st;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
