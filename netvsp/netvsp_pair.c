/* The port pair forwarder (see netvsp_pair.h). */
#include "netvsp/netvsp_pair.h"

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include <errno.h>
#include <string.h>

#include "common/hvn_compiler.h"

#define FWD_BURST 32
_Static_assert(FWD_BURST <= 32, "held frames fit");

/* Hand the held frames to 'dst', runs of one queue per burst. Returns
 * true when none are left. */
static bool push(struct hvn_port *dst, struct nvsp_pair_held *h, struct nvsp_pair_stats *st)
{
	while (h->first < h->n) {
		uint16_t i = h->first, j = i + 1, sent;

		while (j < h->n && h->queues[j] == h->queues[i])
			j++;
		sent = dst->ops->tx_burst(dst->priv, h->queues[i], h->pkts + i, (uint16_t)(j - i));
		st->fwd += sent;
		h->first = (uint16_t)(i + sent);
		if (sent < j - i) {
			st->retries++;
			return false;
		}
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

int nvsp_fwd_lcore(void *arg)
{
	struct nvsp_fwd *f = arg;
	unsigned int id = rte_lcore_id(), i;

	rte_rcu_qsbr_thread_register(f->qs, id);
	rte_rcu_qsbr_thread_online(f->qs, id);
	while (!hvn_load_acquire(&f->stop)) {
		for (i = 0; i < NVSP_PAIR_MAX; i++) {
			struct nvsp_pair *p = hvn_load_acquire(&f->pairs[i]);

			if (p != NULL)
				nvsp_pair_poll(p);
		}
		rte_rcu_qsbr_quiescent(f->qs, id);
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
	return 0;
}

static void held_free(struct nvsp_pair_held *h)
{
	if (h->n > h->first)
		rte_pktmbuf_free_bulk(h->pkts + h->first, (unsigned int)(h->n - h->first));
	memset(h, 0, sizeof(*h));
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
		if (p->a == port)
			p->a = p->b;
		p->b = NULL;
		if (p->a != NULL)
			hvn_store_release(&pg->fwd.pairs[i], p);
	}
	if (pg->waiting == port)
		pg->waiting = NULL;
}
