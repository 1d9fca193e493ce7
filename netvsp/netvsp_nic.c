/* vNIC lifetime, the VMBus device callbacks, the port, and the control
 * thread's work queue (see netvsp.h for the threading rules). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "netvsp/netvsp_priv.h"

#define CTRL_RING_SIZE 1024u

struct nvsp_ctrl_ev {
	struct netvsp_nic *nic;
	uint32_t kind;
	uint32_t arg;
};

struct netvsp_host {
	struct rte_rcu_qsbr *qs;
	struct rte_ring *ev;     /* pollers (many) to the control thread (one) */
	int efd;
	uint64_t ev_lost;        /* ring full: the event was dropped */
};

int netvsp_host_create(struct rte_rcu_qsbr *qs, struct netvsp_host **out)
{
	struct netvsp_host *h = calloc(1, sizeof(*h));
	char name[RTE_RING_NAMESIZE];

	if (h == NULL)
		return -ENOMEM;
	h->qs = qs;
	snprintf(name, sizeof(name), "nvsp%p", (void *)h);
	h->ev = rte_ring_create_elem(name, sizeof(struct nvsp_ctrl_ev), CTRL_RING_SIZE,
				     SOCKET_ID_ANY, RING_F_SC_DEQ);
	h->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (h->ev == NULL || h->efd < 0) {
		int rc = h->ev == NULL ? -rte_errno : -errno;

		netvsp_host_destroy(h);
		return rc;
	}
	*out = h;
	return 0;
}

void netvsp_host_destroy(struct netvsp_host *h)
{
	if (h == NULL)
		return;
	rte_ring_free(h->ev);
	if (h->efd >= 0)
		close(h->efd);
	free(h);
}

int netvsp_host_fd(const struct netvsp_host *h)
{
	return h->efd;
}

void nvsp_post_ctrl(struct netvsp_nic *nic, unsigned int kind, uint32_t arg)
{
	struct nvsp_ctrl_ev ev = { .nic = nic, .kind = kind, .arg = arg };
	uint64_t one = 1;

	if (rte_ring_mp_enqueue_elem(nic->host->ev, &ev, sizeof(ev)) != 0) {
		__atomic_fetch_add(&nic->host->ev_lost, 1, __ATOMIC_RELAXED);
		return;
	}
	if (write(nic->host->efd, &one, sizeof(one)) < 0) {
		/* The counter is saturated: the thread is awake anyway. */
	}
}

static void rcu_sync(struct netvsp_nic *nic)
{
	if (nic->host->qs != NULL)
		rte_rcu_qsbr_synchronize(nic->host->qs, RTE_QSBR_THRID_INVALID);
}

static const struct vmbus_device_ops nic_ops;

static void offer_subchannels(struct netvsp_nic *nic, uint32_t n)
{
	struct vmbus_offer_params op = *vmbus_channel_offer(nic->primary);
	uint32_t k;

	for (k = 1; k <= n && k < NVSP_MAX_CHANNELS; k++) {
		struct vmbus_channel *ch;
		int rc;

		op.sub_channel_index = (uint16_t)k;
		rc = vmbus_server_offer(nic->srv, &op, &nic_ops, nic, &ch);
		if (rc < 0) {
			fprintf(stderr, "netvsp %s: offering subchannel %u failed: %s\n",
				nic->name, k, strerror(-rc));
			break;
		}
		nic->live_channels++;
	}
}

static void ctrl_event(const struct nvsp_ctrl_ev *ev)
{
	struct netvsp_nic *nic = ev->nic;

	switch (ev->kind) {
	case NVSP_CTRL_OFFER_SUBCHANNELS:
		if (nic->primary != NULL && vmbus_channel_is_open(nic->primary))
			offer_subchannels(nic, ev->arg);
		break;
	case NVSP_CTRL_FAULT:
		if (ev->arg < NVSP_MAX_CHANNELS && nic->chans[ev->arg] != NULL)
			vmbus_channel_fault(nic->chans[ev->arg]->ch);
		break;
	default:
		break;
	}
}

int netvsp_host_process(struct netvsp_host *h)
{
	struct nvsp_ctrl_ev ev;
	uint64_t v;
	int n = 0;

	if (read(h->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return -errno;
	while (rte_ring_sc_dequeue_elem(h->ev, &ev, sizeof(ev)) == 0) {
		ctrl_event(&ev);
		n++;
	}
	return n;
}

/* Events for a vNIC about to be freed are dropped; the others run now. */
static void ctrl_purge(struct netvsp_nic *nic)
{
	struct nvsp_ctrl_ev ev;

	while (rte_ring_sc_dequeue_elem(nic->host->ev, &ev, sizeof(ev)) == 0)
		if (ev.nic != nic)
			ctrl_event(&ev);
}

/* ---- Channels ---- */

static struct nvsp_chan *chan_of(struct netvsp_nic *nic, struct vmbus_channel *ch)
{
	uint16_t idx = vmbus_channel_offer(ch)->sub_channel_index;

	return idx < NVSP_MAX_CHANNELS ? nic->chans[idx] : NULL;
}

static void update_nb_queues(struct netvsp_nic *nic)
{
	uint16_t n = 0, i;

	for (i = 0; i < NVSP_MAX_CHANNELS; i++)
		if (nic->q[i] != NULL)
			n = (uint16_t)(i + 1);
	hvn_store_release(&nic->nb_queues, n);
}

static int nic_open(void *dev, struct vmbus_channel *ch)
{
	struct netvsp_nic *nic = dev;
	uint16_t idx = vmbus_channel_offer(ch)->sub_channel_index;
	struct nvsp_chan *c;

	if (idx >= NVSP_MAX_CHANNELS)
		return -EINVAL;
	c = nic->chans[idx];
	if (c == NULL) {
		c = rte_zmalloc_socket("nvsp_chan", sizeof(*c), RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
		if (c == NULL)
			return -ENOMEM;
		nic->chans[idx] = c;
	}
	{
		uint16_t *rec = c->rec;
		uint32_t rec_n = c->ra_count;

		/* A reopened channel starts afresh; its old transfers were
		 * abandoned with the close. */
		memset(c, 0, sizeof(*c));
		c->rec = rec;
		c->ra_count = rec_n;
	}
	c->nic = nic;
	c->ch = ch;
	c->idx = idx;
	c->in = vmbus_channel_rx(ch);
	c->out = vmbus_channel_tx(ch);
	/* An lcore polls the queue from now on: the guest need not signal
	 * (a doorbell costs it a syscall or an exit per write into an empty
	 * ring, and wakes the control thread for nothing). A poller that
	 * wants to sleep arms the queue first (netvsp_queue_arm). */
	vmbus_ring_mask(c->in);
	return nvsp_rx_slice(c);
}

static void nic_opened(void *dev, struct vmbus_channel *ch)
{
	struct netvsp_nic *nic = dev;
	struct nvsp_chan *c = chan_of(nic, ch);

	if (c == NULL)
		return;
	hvn_store_release(&nic->q[c->idx], c);
	update_nb_queues(nic);
	/* A poller that sleeps must look at the new queue. */
	if (nic->cfg.wake != NULL)
		nic->cfg.wake(nic->cfg.ctx, nic, c->idx);
}

static void reset_primary(struct netvsp_nic *nic)
{
	unsigned int k;

	/* Hyper-V withdraws subchannels with their primary: a re-initialising
	 * guest asks for new ones and waits for their offers. */
	for (k = 1; k < NVSP_MAX_CHANNELS; k++)
		if (nic->chans[k] != NULL && nic->chans[k]->ch != NULL)
			vmbus_server_rescind(nic->srv, nic->chans[k]->ch);
	if (nic->rbuf_mapped)
		vmbus_mem_unmap(&nic->rbuf);
	if (nic->sbuf_mapped)
		vmbus_mem_unmap(&nic->sbuf);
	nic->rbuf_mapped = nic->sbuf_mapped = false;
	nic->rbuf_revoked = nic->sbuf_revoked = false;
	nic->state = NVSP_ST_NONE;
	nic->nvsp_version = 0;
	nic->packet_filter = 0;
	nic->subchannels = 0;
	nic->rss_on = false;
	nic->send_table_due = false;
	nic->datapath = NVSP_DATAPATH_SYNTHETIC;
	memset(&nic->offload, 0, sizeof(nic->offload));
}

static void nic_close(void *dev, struct vmbus_channel *ch)
{
	struct netvsp_nic *nic = dev;
	struct nvsp_chan *c = chan_of(nic, ch);

	if (c == NULL)
		return;
	hvn_store_release(&nic->q[c->idx], NULL);
	update_nb_queues(nic);
	rcu_sync(nic);
	/* No poller holds the channel now. */
	while (c->st_count > 0) {
		rte_pktmbuf_free(c->stash[c->st_head]);
		c->st_head = (uint16_t)((c->st_head + 1) % NVSP_STASH);
		c->st_count--;
	}
	if (c->idx == 0)
		reset_primary(nic);
}

static void nic_signal(void *dev, struct vmbus_channel *ch)
{
	struct netvsp_nic *nic = dev;
	struct nvsp_chan *c = chan_of(nic, ch);

	if (c != NULL && nic->cfg.wake != NULL)
		nic->cfg.wake(nic->cfg.ctx, nic, c->idx);
}

static void nic_free(struct netvsp_nic *nic)
{
	unsigned int k;

	if (nic->cfg.gone != NULL)
		nic->cfg.gone(nic->cfg.ctx, nic);
	rcu_sync(nic);
	ctrl_purge(nic);
	if (nic->rbuf_mapped)
		vmbus_mem_unmap(&nic->rbuf);
	if (nic->sbuf_mapped)
		vmbus_mem_unmap(&nic->sbuf);
	for (k = 0; k < NVSP_MAX_CHANNELS; k++) {
		if (nic->chans[k] != NULL) {
			rte_free(nic->chans[k]->rec);
			rte_free(nic->chans[k]);
		}
	}
	rte_free(nic);
}

static void nic_release(void *dev, struct vmbus_channel *ch)
{
	struct netvsp_nic *nic = dev;
	struct nvsp_chan *c = chan_of(nic, ch);

	if (c != NULL)
		c->ch = NULL;
	if (ch == nic->primary)
		nic->primary = NULL;
	if (--nic->live_channels == 0)
		nic_free(nic);
}

static const struct vmbus_device_ops nic_ops = {
	.open = nic_open,
	.opened = nic_opened,
	.close = nic_close,
	.signal = nic_signal,
	.release = nic_release,
};

/* ---- Port ---- */

static void nvsp_poll(struct nvsp_chan *c)
{
	struct vmbus_pkt pkts[NVSP_BURST];
	unsigned int n, i;
	bool sig;
	int err;

	c->out_budget = vmbus_ring_bytes_free(c->out);
	if (c->idx == 0)
		nvsp_send_pending(c);
	n = vmbus_ring_read_burst(c->in, pkts, NVSP_BURST, &err);
	/* A wrapped packet larger than the bounce buffer never reaches us:
	 * count it as the malformed packet it is (nvsp_handle_packet drops
	 * the unwrapped ones alike). */
	if (hvn_unlikely(c->in->stats.oversize != c->oversize_seen)) {
		c->st.bad_msgs += c->in->stats.oversize - c->oversize_seen;
		c->oversize_seen = c->in->stats.oversize;
	}
	if (n > 0)
		nvsp_prefetch_packet(c, &pkts[0]);
	for (i = 0; i < n; i++) {
		/* The guest wrote the frames on another CPU: start pulling the
		 * next one's send-buffer section over while this one is parsed. */
		if (i + 1 < n)
			nvsp_prefetch_packet(c, &pkts[i + 1]);
		if (NVSP_STASH - c->st_count < NVSP_STASH_ROOM ||
		    nvsp_handle_packet(c, &pkts[i]) == -EAGAIN) {
			vmbus_ring_read_unread(c->in, &pkts[i]);
			break;
		}
	}
	sig = vmbus_ring_write_commit(c->out);
	sig |= vmbus_ring_read_commit(c->in);
	if (sig || c->want_signal) {
		c->want_signal = false;
		vmbus_channel_signal(c->ch);
	}
	if (err < 0 || c->in->broken || c->out->broken) {
		c->broken = true;
		c->st.ring_faults++;
		nvsp_post_ctrl(c->nic, NVSP_CTRL_FAULT, c->idx);
	}
}

static uint16_t port_rx_burst(void *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct netvsp_nic *nic = port;
	struct nvsp_chan *c;
	uint16_t got = 0;

	if (queue >= NVSP_MAX_CHANNELS)
		return 0;
	c = hvn_load_acquire(&nic->q[queue]);
	if (c == NULL || c->broken)
		return 0;
	if (c->st_count < n)
		nvsp_poll(c);
	while (got < n && c->st_count > 0) {
		pkts[got++] = c->stash[c->st_head];
		c->st_head = (uint16_t)((c->st_head + 1) % NVSP_STASH);
		c->st_count--;
	}
	return got;
}

static uint16_t port_tx_burst(void *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	struct netvsp_nic *nic = port;
	struct nvsp_chan *c = queue < NVSP_MAX_CHANNELS ? hvn_load_acquire(&nic->q[queue]) : NULL;

	if (c == NULL || c->broken) {
		/* No such queue open: the frames are dropped here. */
		rte_pktmbuf_free_bulk(pkts, n);
		__atomic_fetch_add(&nic->drop_noqueue, n, __ATOMIC_RELAXED);
		return n;
	}
	return nvsp_guest_rx(c, pkts, n);
}

static uint16_t port_nb_queues(void *port)
{
	struct netvsp_nic *nic = port;

	return hvn_load_acquire(&nic->nb_queues);
}

static const struct hvn_port_ops nic_port_ops = {
	.rx_burst = port_rx_burst,
	.tx_burst = port_tx_burst,
	.nb_queues = port_nb_queues,
	.steer = nvsp_rss_steer,
};

uint32_t netvsp_queue_arm(struct netvsp_nic *nic, uint16_t queue)
{
	struct nvsp_chan *c = queue < NVSP_MAX_CHANNELS ? hvn_load_acquire(&nic->q[queue]) : NULL;

	if (c == NULL || c->broken)
		return 0;
	c->armed = true;
	return vmbus_ring_unmask(c->in) + c->st_count;
}

void netvsp_queue_disarm(struct netvsp_nic *nic, uint16_t queue)
{
	struct nvsp_chan *c = queue < NVSP_MAX_CHANNELS ? hvn_load_acquire(&nic->q[queue]) : NULL;

	if (c != NULL && c->armed && !c->broken) {
		vmbus_ring_mask(c->in);
		c->armed = false;
	}
}

/* ---- The vNIC ---- */

int netvsp_nic_offer(struct netvsp_host *h, struct vmbus_server *s,
		     const struct netvsp_nic_config *cfg, struct netvsp_nic **out)
{
	const struct vmbus_guid nic_guid = NVSP_NIC_GUID_INIT;
	struct vmbus_offer_params op;
	struct netvsp_nic *nic;
	int rc;

	if (cfg->mp == NULL)
		return -EINVAL;
	if (cfg->max_queues > NVSP_MAX_CHANNELS || (cfg->mtu != 0 && (cfg->mtu < 68 || cfg->mtu > 9000)))
		return -ERANGE;
	nic = rte_zmalloc_socket("netvsp_nic", sizeof(*nic), RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
	if (nic == NULL)
		return -ENOMEM;
	nic->host = h;
	nic->srv = s;
	nic->cfg = *cfg;
	if (nic->cfg.max_queues == 0)
		nic->cfg.max_queues = 8;
	if (nic->cfg.mtu == 0)
		nic->cfg.mtu = 1500;
	if (nic->cfg.link_speed_bps == 0)
		nic->cfg.link_speed_bps = 10000000000ull;
	snprintf(nic->name, sizeof(nic->name), "%s", cfg->name != NULL ? cfg->name : "vnic");
	nic->cfg.name = nic->name;
	memcpy(nic->mac, cfg->mac, sizeof(nic->mac));
	/* OpenVMM buffers.rs: 256 + MTU + 36, the last 36 bytes unusable by
	 * Windows guests; it fits our header and a VLAN-less frame. */
	nic->sub_alloc_size = HVN_ALIGN_UP(256u + nic->cfg.mtu + 36u, 64u);
	nic->link_up = true;
	nic->port.ops = &nic_port_ops;
	nic->port.priv = nic;
	snprintf(nic->port.name, sizeof(nic->port.name), "%s", nic->name);

	memset(&op, 0, sizeof(op));
	op.if_type = nic_guid;
	/* A per-vNIC instance: the class GUID with the MAC and instance
	 * folded in, stable across restarts of the same configuration. */
	op.if_instance = nic_guid;
	memcpy(&op.if_instance.b[10], nic->mac, 6);
	op.if_instance.b[8] = (uint8_t)cfg->instance;
	op.if_instance.b[9] = (uint8_t)(cfg->instance >> 8);
	/* The bounce buffer holds one wrapped packet; nothing larger than
	 * this is taken (subchannels inherit it with the offer). */
	op.ring_scratch_size = NVSP_MAX_GUEST_PKT;
	rc = vmbus_server_offer(s, &op, &nic_ops, nic, &nic->primary);
	if (rc < 0) {
		rte_free(nic);
		return rc;
	}
	nic->live_channels = 1;
	if (out != NULL)
		*out = nic;
	return 0;
}

struct hvn_port *netvsp_nic_port(struct netvsp_nic *nic)
{
	return &nic->port;
}

struct netvsp_nic *netvsp_port_nic(const struct hvn_port *port)
{
	return port != NULL && port->ops == &nic_port_ops ? port->priv : NULL;
}

const char *netvsp_nic_name(const struct netvsp_nic *nic)
{
	return nic->name;
}

void netvsp_nic_set_link(struct netvsp_nic *nic, bool up)
{
	hvn_store_relaxed(&nic->link_up, up);
	hvn_store_release(&nic->link_change, true);
	/* The indication goes out on the primary's next poll. */
	if (nic->cfg.wake != NULL)
		nic->cfg.wake(nic->cfg.ctx, nic, 0);
}

void netvsp_nic_vf_association(struct netvsp_nic *nic, bool allocated, uint32_t serial)
{
	hvn_store_relaxed(&nic->vf_allocated, allocated);
	hvn_store_relaxed(&nic->vf_serial, serial);
	hvn_store_release(&nic->vf_pending, true);
	if (nic->cfg.wake != NULL)
		nic->cfg.wake(nic->cfg.ctx, nic, 0);
}

void netvsp_nic_stats(const struct netvsp_nic *nic, struct netvsp_stats *out)
{
	unsigned int k;

	memset(out, 0, sizeof(*out));
	for (k = 0; k < NVSP_MAX_CHANNELS; k++) {
		const struct nvsp_chan *c = nic->chans[k];

		if (c == NULL)
			continue;
		out->tx_packets += c->st.tx_packets;
		out->tx_bytes += c->st.tx_bytes;
		out->rx_packets += c->st.rx_packets;
		out->rx_bytes += c->st.rx_bytes;
		out->rx_batches += c->st.rx_batches;
		out->tx_completions += c->st.tx_completions;
		out->rx_drop_filter += c->st.rx_drop_filter;
		out->rx_drop_nobuf += c->st.rx_drop_nobuf;
		out->rx_drop_size += c->st.rx_drop_size;
		out->tx_drop_nombuf += c->st.tx_drop_nombuf;
		out->tx_drop_bad += c->st.tx_drop_bad;
		out->bad_msgs += c->st.bad_msgs;
		out->bad_completions += c->st.bad_completions;
		out->ring_faults += c->st.ring_faults;
		if (hvn_load_relaxed(&nic->q[k]) != NULL)
			out->queues_open++;
	}
	out->rx_drop_nobuf += __atomic_load_n(&nic->drop_noqueue, __ATOMIC_RELAXED);
	out->nvsp_version = nic->nvsp_version;
	out->packet_filter = nic->packet_filter;
	out->rndis_ready = nic->state == NVSP_ST_READY;
}
