/* The VMBus test device (see vmbus_testdev.h). */
#include "vmbus/vmbus_testdev.h"

#include "vmbus/vmbus_sock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BURST 32

struct vmbus_testdev {
	struct vmbus_channel *ch;
	struct vmbus_testdev *peer;
	struct vmbus_testdev **slot;   /* a host's pairing slot we sit in */
	bool await_peer;               /* pipe end whose other end is not there yet */
	struct vmbus_testdev_stats st;
};

/* Moves one burst from d's guest to dst's guest (dst == d: echo). */
static unsigned int testdev_move(struct vmbus_testdev *d, struct vmbus_testdev *dst)
{
	struct vmbus_pkt pkts[BURST];
	struct vmbus_pkt_out out;
	struct vmbus_sg sg;
	struct vmbus_ring *rx = vmbus_channel_rx(d->ch), *tx = vmbus_channel_tx(dst->ch);
	unsigned int n, i;
	bool sig_tx, sig_rx;
	int err, rc = 0;

	n = vmbus_ring_read_burst(rx, pkts, BURST, &err);
	for (i = 0; i < n; i++) {
		const struct vmbus_pkt *p = &pkts[i];

		memset(&out, 0, sizeof(out));
		sg.base = vmbus_pkt_payload(p);
		sg.len = vmbus_pkt_payload_len(p);
		out.trans_id = p->desc.trans_id;
		out.type = (p->desc.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) && dst == d ?
			   VMBUS_PKT_COMP : VMBUS_PKT_DATA_INBAND;
		out.sg = &sg;
		out.nsg = 1;
		rc = vmbus_ring_put(tx, &out);
		if (rc < 0)
			break;
		d->st.rx_packets++;
		d->st.rx_bytes += sg.len;
		dst->st.tx_packets++;
	}
	if (rc == -EAGAIN) {
		uint32_t need = vmbus_ring_pkt_footprint(0, sg.len);

		/* Stop here and ask the guest reader to wake us once the
		 * packet fits (hv_pkt_iter_close signals on that crossing);
		 * if it drained the ring before it could see the request,
		 * go on at once. */
		vmbus_ring_read_unread(rx, &pkts[i]);
		vmbus_ring_set_pending_send(tx, need);
		if (vmbus_ring_bytes_free(tx) > need) {
			vmbus_ring_set_pending_send(tx, 0);
			rc = 0;
		} else {
			dst->st.backpressure++;
		}
	}
	sig_tx = vmbus_ring_write_commit(tx);
	sig_rx = vmbus_ring_read_commit(rx);
	/* One channel interrupt covers both of its rings. */
	if (sig_tx)
		vmbus_channel_signal(dst->ch);
	if (sig_rx && !(sig_tx && dst == d))
		vmbus_channel_signal(d->ch);
	if (err < 0 || rc == -EPROTO) {
		struct vmbus_testdev *bad = err < 0 ? d : dst;

		bad->st.faults++;
		vmbus_channel_fault(bad->ch);
	}
	if (rc == -EAGAIN || err < 0 || rc == -EPROTO)
		return 0;
	/* Space came back while we stopped: go on at once. */
	return i < n && i == 0 ? 1 : i;
}

unsigned int vmbus_testdev_poll(struct vmbus_testdev *d)
{
	struct vmbus_testdev *dst = d->peer != NULL ? d->peer : d;
	unsigned int total = 0, n;

	/* A pipe end holds its guest's packets until the other end exists. */
	if (d->await_peer)
		return 0;
	if (!vmbus_channel_is_open(d->ch) || !vmbus_channel_is_open(dst->ch))
		return 0;
	/* Clearing costs a full barrier: only when a request is standing
	 * (a guest that scribbles on it only loses its own wake-up). */
	if (hvn_load_relaxed(&vmbus_channel_tx(dst->ch)->ctl->pending_send_sz) != 0)
		vmbus_ring_set_pending_send(vmbus_channel_tx(dst->ch), 0);
	/* Stop only after a read that found the ring empty following our
	 * last commit: a packet written before that commit saw a non-empty
	 * ring and did not signal (hv_signal_on_write), so a short burst is
	 * no reason to stop. */
	do {
		n = testdev_move(d, dst);
		total += n;
	} while (n > 0 && vmbus_channel_is_open(d->ch) && vmbus_channel_is_open(dst->ch));
	return total;
}

static int testdev_open(void *dev, struct vmbus_channel *ch)
{
	struct vmbus_testdev *d = dev;

	(void)ch;
	d->st.opens++;
	return 0;
}

/* Either end may have been waiting for this one: move what is there and
 * signal our guest once in case it already wrote and waits. */
static void testdev_opened(void *dev, struct vmbus_channel *ch)
{
	struct vmbus_testdev *d = dev;

	vmbus_testdev_poll(d);
	if (d->peer != NULL)
		vmbus_testdev_poll(d->peer);
	vmbus_channel_signal(ch);
}

static void testdev_close(void *dev, struct vmbus_channel *ch)
{
	struct vmbus_testdev *d = dev;

	(void)ch;
	d->st.closes++;
}

static void testdev_signal(void *dev, struct vmbus_channel *ch)
{
	struct vmbus_testdev *d = dev;

	(void)ch;
	vmbus_testdev_poll(d);
	/* A full ring toward us may have drained: the peer may move now. */
	if (d->peer != NULL)
		vmbus_testdev_poll(d->peer);
}

static void testdev_release(void *dev, struct vmbus_channel *ch)
{
	struct vmbus_testdev *d = dev;

	(void)ch;
	if (d->peer != NULL) {
		struct vmbus_testdev *survivor = d->peer;

		survivor->peer = NULL;
		/* It may wait on a ring of ours that will never drain: it
		 * echoes from now on, so let it move what it holds. */
		vmbus_testdev_poll(survivor);
	}
	if (d->slot != NULL && *d->slot == d)
		*d->slot = NULL;
	free(d);
}

static const struct vmbus_device_ops testdev_ops = {
	.open = testdev_open,
	.opened = testdev_opened,
	.close = testdev_close,
	.signal = testdev_signal,
	.release = testdev_release,
};

int vmbus_testdev_offer(struct vmbus_server *s, uint16_t instance,
			struct vmbus_testdev **out)
{
	const struct vmbus_guid guid = VMBUS_TESTDEV_GUID_INIT;
	struct vmbus_offer_params op;
	struct vmbus_testdev *d = calloc(1, sizeof(*d));
	int rc;

	if (d == NULL)
		return -ENOMEM;
	memset(&op, 0, sizeof(op));
	op.if_type = guid;
	op.if_instance = guid;
	op.if_instance.b[0] = (uint8_t)instance;
	op.if_instance.b[1] = (uint8_t)(instance >> 8);
	rc = vmbus_server_offer(s, &op, &testdev_ops, d, &d->ch);
	if (rc < 0) {
		free(d);
		return rc;
	}
	if (out != NULL)
		*out = d;
	return 0;
}

void vmbus_testdev_pair(struct vmbus_testdev *a, struct vmbus_testdev *b)
{
	a->peer = b;
	b->peer = a;
	a->await_peer = false;
	b->await_peer = false;
	/* Whatever a waiting end held can move now. */
	vmbus_testdev_poll(a);
	vmbus_testdev_poll(b);
}

const struct vmbus_testdev_stats *vmbus_testdev_get_stats(const struct vmbus_testdev *d)
{
	return &d->st;
}

struct vmbus_channel *vmbus_testdev_channel(struct vmbus_testdev *d)
{
	return d->ch;
}

static int host_added(void *ctx, struct vmbus_sock_part *p, struct vmbus_server *s)
{
	struct vmbus_testdev_host *h = ctx;
	struct vmbus_testdev *d;
	int rc = vmbus_testdev_offer(s, (uint16_t)h->added, &d);

	if (rc < 0)
		return rc;
	vmbus_sock_part_set_user(p, d);
	h->added++;
	if (!h->pair)
		return 0;
	if (h->waiting == NULL) {
		h->waiting = d;
		d->slot = &h->waiting;
		d->await_peer = true;
	} else {
		vmbus_testdev_pair(h->waiting, d);
		h->waiting->slot = NULL;
		h->waiting = NULL;
	}
	return 0;
}

static void host_removed(void *ctx, struct vmbus_sock_part *p)
{
	struct vmbus_testdev_host *h = ctx;

	(void)p;
	h->removed++;
}

static const struct vmbus_sock_server_ops host_ops = {
	.partition_added = host_added,
	.partition_removed = host_removed,
};

const struct vmbus_sock_server_ops *vmbus_testdev_host_ops(void)
{
	return &host_ops;
}
