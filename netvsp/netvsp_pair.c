/* The port pair forwarder (see netvsp_pair.h). */
#include "netvsp/netvsp_pair.h"

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "common/hvn_compiler.h"
#include "netvsp/netvsp.h"
#include "proto/nvsp_wire.h"

#define FWD_BURST 32
_Static_assert(FWD_BURST <= 32, "held frames fit");
_Static_assert(NVSP_PAIR_QUEUES == NVSP_MAX_CHANNELS && NVSP_PAIR_QUEUES == 64,
	       "one draining bit and one clock per vNIC queue");

/* Queue q refused frames ('took' of them it did accept). Returns true when
 * it is stuck and the rest is to be dropped. The clock is read only here,
 * on a refusal. A vNIC has at most 64 queues; anything else shares state. */
static bool stuck(struct nvsp_pair_held *h, uint16_t queue, uint16_t took)
{
	unsigned int q = queue % NVSP_PAIR_QUEUES;
	uint64_t bit = 1ull << q, now;

	if (h->draining & bit)
		return true;
	now = rte_get_tsc_cycles();
	if (took != 0 || h->refused_since[q] == 0) {
		h->refused_since[q] = now;
		return false;
	}
	if (now - h->refused_since[q] < rte_get_tsc_hz() / 1000u * NVSP_PAIR_STUCK_MS)
		return false;
	h->draining |= bit;
	return true;
}

/* Hand the held frames to 'dst', runs of one queue per burst. Returns
 * true when none are left. */
static bool push(struct hvn_port *dst, struct nvsp_pair_held *h, struct nvsp_pair_stats *st)
{
	while (h->first < h->n) {
		uint16_t i = h->first, j = i + 1, sent, q = h->queues[i];

		while (j < h->n && h->queues[j] == q)
			j++;
		sent = dst->ops->tx_burst(dst->priv, q, h->pkts + i, (uint16_t)(j - i));
		st->fwd += sent;
		h->first = (uint16_t)(i + sent);
		if (hvn_likely(sent == j - i)) {
			if (hvn_unlikely(h->refused_since[q % NVSP_PAIR_QUEUES] != 0)) {
				h->refused_since[q % NVSP_PAIR_QUEUES] = 0;
				h->draining &= ~(1ull << (q % NVSP_PAIR_QUEUES));
			}
			continue;
		}
		st->retries++;
		if (!stuck(h, q, sent))
			return false;
		rte_pktmbuf_free_bulk(h->pkts + h->first, (unsigned int)(j - h->first));
		st->stuck += (uint64_t)(j - h->first);
		h->first = j;
	}
	h->n = h->first = 0;
	return true;
}

static unsigned int move(struct hvn_port *src, struct hvn_port *dst, struct nvsp_pair_held *h,
			 struct nvsp_pair_stats *st)
{
	uint16_t nq = src->ops->nb_queues(src->priv), q;
	unsigned int total = 0;

	if (dst != NULL && h->n > 0 && !push(dst, h, st))
		return 0;
	for (q = 0; q < nq; q++) {
		uint16_t n = src->ops->rx_burst(src->priv, q, h->pkts, FWD_BURST), i;

		if (n == 0)
			continue;
		total += n;
		if (dst == NULL) {
			rte_pktmbuf_free_bulk(h->pkts, n);
			st->dropped += n;
			continue;
		}
		if (dst->ops->steer != NULL)
			dst->ops->steer(dst->priv, h->pkts, n, h->queues);
		else
			for (i = 0; i < n; i++)
				h->queues[i] = 0;

		h->n = n;
		h->first = 0;
		if (!push(dst, h, st))
			break;
	}
	return total;
}

unsigned int nvsp_pair_poll(struct nvsp_pair *p)
{
	return move(p->a, p->b, &p->held_ab, &p->a_to_b) +
	       (p->b != NULL ? move(p->b, p->a, &p->held_ba, &p->b_to_a) : 0);
}

int nvsp_fwd_idle_init(struct nvsp_fwd *f, uint32_t idle_us, uint32_t max_sleep_ms)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	f->idle.fd = fd;
	f->idle.idle_us = idle_us != 0 ? idle_us : NVSP_FWD_IDLE_US;
	f->idle.max_sleep_ms = max_sleep_ms != 0 ? max_sleep_ms : NVSP_FWD_MAX_SLEEP_MS;
	f->idle.sleeping = 0;
	hvn_store_release(&f->idle.on, true);
	return 0;
}

void nvsp_fwd_idle_fini(struct nvsp_fwd *f)
{
	if (!f->idle.on)
		return;
	f->idle.on = false;
	close(f->idle.fd);
	f->idle.fd = -1;
}

void nvsp_fwd_wake(struct nvsp_fwd *f)
{
	uint64_t one = 1;

	/* Pairs with the store in fwd_sleep: a guest signals only after it
	 * saw its queue armed, which the lcore does after it said it sleeps. */
	if (!hvn_load_acquire(&f->idle.on) || !__atomic_load_n(&f->idle.sleeping, __ATOMIC_SEQ_CST))
		return;
	__atomic_fetch_add(&f->idle.wakes, 1, __ATOMIC_RELAXED);
	if (write(f->idle.fd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the lcore wakes anyway. */
	}
}

/* Arm every queue of a port. Returns true when work already waits, or
 * when the port is no vNIC and cannot wake the lcore (never sleep then). */
static bool port_arm(struct hvn_port *port)
{
	struct netvsp_nic *nic = netvsp_port_nic(port);
	uint16_t nq, q;
	bool busy = false;

	if (nic == NULL)
		return true;
	nq = port->ops->nb_queues(port->priv);
	for (q = 0; q < nq; q++)
		busy |= netvsp_queue_arm(nic, q) != 0;
	return busy;
}

static void port_disarm(struct hvn_port *port)
{
	struct netvsp_nic *nic = port != NULL ? netvsp_port_nic(port) : NULL;
	uint16_t nq, q;

	if (nic == NULL)
		return;
	nq = port->ops->nb_queues(port->priv);
	for (q = 0; q < nq; q++)
		netvsp_queue_disarm(nic, q);
}

static void disarm_all(struct nvsp_fwd *f)
{
	unsigned int i;

	for (i = 0; i < NVSP_PAIR_MAX; i++) {
		struct nvsp_pair *p = hvn_load_acquire(&f->pairs[i]);

		if (p != NULL) {
			port_disarm(p->a);
			port_disarm(p->b);
		}
	}
}

/* Nothing moved for a while: arm, look once more, sleep. Every queue is
 * masked again (pure poll mode) before it returns. */
static void fwd_sleep(struct nvsp_fwd *f, unsigned int id)
{
	struct nvsp_fwd_idle *s = &f->idle;
	struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
	bool held = false, busy = false;
	unsigned int i;
	uint64_t v;
	int rc;

	__atomic_store_n(&s->sleeping, 1u, __ATOMIC_SEQ_CST);
	for (i = 0; i < NVSP_PAIR_MAX && !busy; i++) {
		struct nvsp_pair *p = hvn_load_acquire(&f->pairs[i]);

		if (p == NULL)
			continue;
		held |= p->held_ab.n > 0 || p->held_ba.n > 0;
		busy = port_arm(p->a) || (p->b != NULL && port_arm(p->b));
	}
	/* A guest that wrote before its queue was armed saw it masked and did
	 * not signal: arming counted the bytes it left, and one more round
	 * takes what an arm cannot see (frames held or stashed). */
	for (i = 0; i < NVSP_PAIR_MAX && !busy; i++) {
		struct nvsp_pair *p = hvn_load_acquire(&f->pairs[i]);

		if (p != NULL)
			busy = nvsp_pair_poll(p) != 0;
	}
	if (busy) {
		__atomic_store_n(&s->sleeping, 0u, __ATOMIC_RELAXED);
		disarm_all(f);
		hvn_store_relaxed(&s->aborted, s->aborted + 1);
		return;
	}
	/* Asleep, the lcore holds no vNIC: closing a channel need not wait
	 * for it. */
	rte_rcu_qsbr_thread_offline(f->qs, id);
	/* Frames held for a full guest go when it completes (a signal) or
	 * reads its ring (no signal): look again soon. */
	rc = poll(&pfd, 1, held ? 1 : (int)s->max_sleep_ms);
	if (read(s->fd, &v, sizeof(v)) < 0) {
		/* Nothing was written: a timeout. */
	}
	__atomic_store_n(&s->sleeping, 0u, __ATOMIC_RELAXED);
	rte_rcu_qsbr_thread_online(f->qs, id);
	disarm_all(f);
	hvn_store_relaxed(&s->sleeps, s->sleeps + 1);
	if (rc == 0)
		hvn_store_relaxed(&s->timeouts, s->timeouts + 1);
}

int nvsp_fwd_lcore(void *arg)
{
	struct nvsp_fwd *f = arg;
	unsigned int id = rte_lcore_id(), i;
	uint64_t idle_since = 0, idle_cycles;

	idle_cycles = (uint64_t)f->idle.idle_us * rte_get_tsc_hz() / 1000000u;
	rte_rcu_qsbr_thread_register(f->qs, id);
	rte_rcu_qsbr_thread_online(f->qs, id);
	while (!hvn_load_acquire(&f->stop)) {
		unsigned int moved = 0;
		uint64_t now;

		for (i = 0; i < NVSP_PAIR_MAX; i++) {
			struct nvsp_pair *p = hvn_load_acquire(&f->pairs[i]);

			if (p != NULL)
				moved += nvsp_pair_poll(p);
		}
		rte_rcu_qsbr_quiescent(f->qs, id);
		/* A busy round ends here: no clock read, no shared write. */
		if (moved != 0 || !f->idle.on) {
			idle_since = 0;
			continue;
		}
		now = rte_get_tsc_cycles();
		if (idle_since == 0) {
			idle_since = now;
		} else if (now - idle_since >= idle_cycles) {
			fwd_sleep(f, id);
			idle_since = 0;
		}
	}
	rte_rcu_qsbr_thread_offline(f->qs, id);
	rte_rcu_qsbr_thread_unregister(f->qs, id);
	return 0;
}

/* Unpublish pair i and wait until the forwarder no longer looks at it. */
static void pair_hide(struct nvsp_pairing *pg, unsigned int i)
{
	hvn_store_release(&pg->fwd.pairs[i], NULL);
	rte_rcu_qsbr_synchronize(pg->fwd.qs, RTE_QSBR_THRID_INVALID);
}

int nvsp_pairing_join(struct nvsp_pairing *pg, struct hvn_port *port)
{
	unsigned int i;

	if (pg->waiting == NULL) {
		for (i = 0; i < NVSP_PAIR_MAX && pg->fwd.pairs[i] != NULL; i++)
			;
		if (i == NVSP_PAIR_MAX)
			return -ENOSPC;
		pg->pairs[i].a = port;
		pg->pairs[i].b = NULL;
		hvn_store_release(&pg->fwd.pairs[i], &pg->pairs[i]);
		pg->waiting = port;
		nvsp_fwd_wake(&pg->fwd);
		return 0;
	}
	for (i = 0; i < NVSP_PAIR_MAX; i++) {
		if (pg->pairs[i].a == pg->waiting && pg->pairs[i].b == NULL) {
			pair_hide(pg, i);
			pg->pairs[i].b = port;
			hvn_store_release(&pg->fwd.pairs[i], &pg->pairs[i]);
		}
	}
	pg->waiting = NULL;
	/* A sleeping lcore armed the pair as it was: look at it again. */
	nvsp_fwd_wake(&pg->fwd);
	return 0;
}

static void held_free(struct nvsp_pair_held *h)
{
	if (h->n > h->first)
		rte_pktmbuf_free_bulk(h->pkts + h->first, (unsigned int)(h->n - h->first));
	memset(h, 0, sizeof(*h));
}

int nvsp_pairing_stats(const struct nvsp_pairing *pg, const struct hvn_port *port,
		       struct nvsp_pair_stats *out, struct nvsp_pair_stats *in)
{
	unsigned int i;

	for (i = 0; i < NVSP_PAIR_MAX; i++) {
		const struct nvsp_pair *p = &pg->pairs[i];

		if (p->a == port) {
			*out = p->a_to_b;
			*in = p->b_to_a;
			return 0;
		}
		if (p->b == port) {
			*out = p->b_to_a;
			*in = p->a_to_b;
			return 0;
		}
	}
	return -ENOENT;
}

void nvsp_pairing_leave(struct nvsp_pairing *pg, struct hvn_port *port)
{
	unsigned int i;

	for (i = 0; i < NVSP_PAIR_MAX; i++) {
		struct nvsp_pair *p = &pg->pairs[i];

		if (p->a != port && p->b != port)
			continue;
		pair_hide(pg, i);
		held_free(&p->held_ab);
		held_free(&p->held_ba);
		if (p->a == port) {
			struct nvsp_pair_stats t = p->a_to_b;

			/* The partner becomes 'a': its counters go with it. */
			p->a = p->b;
			p->a_to_b = p->b_to_a;
			p->b_to_a = t;
		}
		p->b = NULL;
		if (p->a != NULL)
			hvn_store_release(&pg->fwd.pairs[i], p);
	}
	if (pg->waiting == port)
		pg->waiting = NULL;
}
