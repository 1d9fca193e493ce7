/* The rte_mbuf burst API over the netVSC core, for a process partition
 * (see netvsc_port.h). Bring-up and close down run on the caller's
 * thread; the burst calls touch only their queue. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_memcpy.h>
#include <rte_prefetch.h>

#include "netvsc/netvsc_port.h"
#include "vmbus/vmbus_sock.h"

#define PORT_BURST       32u
/* A netVSC port is what a DPDK application in a partition sends and
 * receives through, so its rings and receive buffer are what DPDK's netvsc
 * PMD gets from uio_hv_generic (drivers/uio/uio_hv_generic.c:
 * HV_RING_SIZE 512 pages a direction, RECV_BUFFER_SIZE 31 MiB), not
 * hv_netvsc's 512 KiB and 16 MiB: what a partition can take while it is
 * descheduled. The send buffer stays hv_netvsc's 1 MiB (uio's is 16 MiB):
 * with more frames in flight than the peer's receive queue holds, a
 * saturated port pair gets stuck and drops (netvsp/README.md, "Holding
 * frames"), and a lossless pair is what applications expect of it. */
#define DEF_RING_BYTES   (2u << 20)
#define DEF_RBUF_BYTES   (31u << 20)
#define DEF_SBUF_BYTES   (1u << 20)
#define DEF_TIMEOUT_MS   10000
#define SCRATCH_BYTES    65536u               /* vmbus_ppart_open's, per channel */

/* Zero-copy receive (conf.rx_zero_copy), as DPDK's netvsc PMD does it:
 * a frame of ZC_COPYBREAK bytes or more is not copied; the mbuf points
 * into the receive buffer (an external buffer) and its transfer-page
 * packet is completed once every such mbuf is freed, on whatever thread.
 * Smaller frames are cheaper to copy than to track. */
#define ZC_COPYBREAK     256u                 /* the PMD's rx_copybreak default */
/* Packets a queue can have out: NETVSC_OWED completed-but-held ones and
 * the one being taken apart; a power of two above that, so a packet's
 * counter is never shared with a live one. */
#define ZC_PKTS          128u
_Static_assert(ZC_PKTS > NETVSC_OWED + 1u && (ZC_PKTS & (ZC_PKTS - 1u)) == 0, "zc ring");
/* Past this many held packets frames are copied again, so an application
 * that keeps mbufs cannot stop the queue (at NETVSC_OWED it reads no more). */
#define ZC_MAX_HELD      (NETVSC_OWED / 2u)
#define ZC_SHINFO        4096u                /* frames out at once, per queue */

/* Zero-copy transmit (conf.tx_pool_size), as DPDK's netvsc PMD does it:
 * a frame of TX_COPYBREAK bytes or more in partition memory goes out
 * GPA-direct from where it is (hn_var.h HN_TXCOPY_THRESHOLD); smaller
 * ones are cheaper to batch in a send section. Each frame out holds a
 * slot: its mbuf and its RNDIS header (NETVSC_TX_HDR_BYTES in partition
 * memory, never across a page) until the host completes it. What a
 * queue has out is also bounded in bytes by its slice of the send buffer,
 * as the copy path is: with more out than the peer's receive buffer
 * holds, a saturated pair of ports stalls and drops (netvsp/README.md,
 * "Holding frames"). 1,024 slots cover that slice at 1 KiB frames. */
#define TX_COPYBREAK     512u
#define TX_SLOTS         1024u
_Static_assert(HVN_PAGE_SIZE % NETVSC_TX_HDR_BYTES == 0, "headers do not cross a page");

struct port_txq {
	uint8_t *hdr;                          /* TX_SLOTS headers */
	uint64_t hdr_gpa;
	uint32_t nfree;
	uint32_t bytes_out, bytes_max;
	uint16_t free[TX_SLOTS];               /* slots not out */
	struct rte_mbuf *m[TX_SLOTS];          /* NULL: not out */
};

/* Room for one more frame of 'len' bytes out: a slot, and bytes within
 * the budget (one frame larger than the whole budget goes out alone). */
static inline bool tx_room(const struct port_txq *t, uint32_t len)
{
	return t->nfree != 0 && (t->bytes_out == 0 || len <= t->bytes_max - t->bytes_out);
}

struct port_zc;

/* One frame out on an mbuf. free_cb and fcb_opaque never change after
 * set-up, so a thread freeing an mbuf never reads a half-reused slot:
 * 'busy' drops only after the packet's counter did. */
struct zc_slot {
	struct rte_mbuf_ext_shared_info sh;
	struct port_zc *zc;
	uint32_t pkt;
	uint32_t busy;
};

struct port_zc {
	/* mbufs out per packet (by number mod ZC_PKTS): the queue's lcore
	 * adds, the thread that frees an mbuf subtracts. */
	uint32_t refs[ZC_PKTS];
	uint32_t next;
	struct zc_slot slot[ZC_SHINFO];
};

static void zc_free(void *addr, void *opaque)
{
	struct zc_slot *sl = opaque;

	(void)addr;
	/* Release: the frame's bytes are read before the packet can go back. */
	__atomic_fetch_sub(&sl->zc->refs[sl->pkt % ZC_PKTS], 1u, __ATOMIC_RELEASE);
	__atomic_store_n(&sl->busy, 0u, __ATOMIC_RELEASE);
}

static void zc_init(struct port_zc *zc)
{
	for (uint32_t i = 0; i < ZC_SHINFO; i++) {
		zc->slot[i].zc = zc;
		zc->slot[i].sh.free_cb = zc_free;
		zc->slot[i].sh.fcb_opaque = &zc->slot[i];
	}
}

/* Counters of the port's own making, per queue (its lcore writes them). */
struct port_queue_stats {
	uint64_t ipackets, ibytes, nombuf;
	uint64_t opackets, obytes, oerrors;
} __rte_cache_aligned;

struct netvsc_port {
	struct netvsc nic;
	struct netvsc_queue *queues;
	struct vmbus_client_channel *chans;
	uint32_t *ring_gpadls;
	struct port_queue_stats *qs;
	struct port_zc **zc;                  /* per queue; NULL: copy every frame */
	struct port_txq **txq;                /* per queue; NULL: copy every frame */
	struct rte_mempool *txmp;             /* in partition memory */
	struct rte_mempool *mp;
	uint16_t port_id;
	uint16_t nb_wanted;
	uint32_t ring_bytes;
	struct vmbus_guid instance;           /* the primary's if_instance */
	struct hvn_port hvn;
	struct vmbus_ppart part;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- The core's environment: a process partition ---- */

static int op_wait(void *ctx, int timeout_ms)
{
	struct netvsc_port *p = ctx;
	int rc = vmbus_ppart_wait_event(&p->part, timeout_ms);

	return rc < 0 ? rc : 0;
}

static int op_signal(void *ctx, uint16_t queue)
{
	struct netvsc_port *p = ctx;

	return vmbus_client_channel_signal(&p->part.client, &p->chans[queue]);
}

/* The subchannel of our NIC (same instance) with this index, offered. */
static struct vmbus_client_offer *find_sub(struct netvsc_port *p, uint16_t index)
{
	const struct vmbus_guid nic_guid = NVSP_NIC_GUID_INIT;
	unsigned int i;

	for (i = 0; i < VMBUS_CLIENT_MAX_OFFERS; i++) {
		struct vmbus_client_offer *o = &p->part.client.offers[i];

		if (o->state == VMBUS_CHAN_OFFERED && o->msg.sub_channel_index == index &&
		    memcmp(&o->msg.if_type, &nic_guid, sizeof(nic_guid)) == 0 &&
		    memcmp(&o->msg.if_instance, &p->instance, sizeof(p->instance)) == 0)
			return o;
	}
	return NULL;
}

static int op_open_subchannel(void *ctx, uint16_t index, struct vmbus_client_channel *ch,
			      int timeout_ms)
{
	struct netvsc_port *p = ctx;
	int64_t end = now_ms() + timeout_ms;
	struct vmbus_client_offer *o;
	int rc;

	while ((o = find_sub(p, index)) == NULL) {
		int64_t left = end - now_ms();

		if (left <= 0)
			return -ETIMEDOUT;
		rc = vmbus_ppart_poll(&p->part, (int)left);
		if (rc < 0)
			return rc;
	}
	return vmbus_ppart_open(&p->part, o, p->ring_bytes, ch, &p->ring_gpadls[index],
				(int)HVN_MAX(end - now_ms(), 1));
}

/* The host completed a zero-copy frame. The cookie is checked: a repeat
 * or a made-up one must not free an mbuf a later frame holds. */
static void op_tx_done(void *ctx, uint16_t queue, uint32_t cookie)
{
	struct netvsc_port *p = ctx;
	struct port_txq *t;

	if (p->txq == NULL || queue >= p->nic.nqueues || cookie >= TX_SLOTS)
		return;
	t = p->txq[queue];
	if (t->m[cookie] == NULL)
		return;
	t->bytes_out -= rte_pktmbuf_pkt_len(t->m[cookie]);
	rte_pktmbuf_free(t->m[cookie]);
	t->m[cookie] = NULL;
	t->free[t->nfree++] = (uint16_t)cookie;
}

static const struct netvsc_ops port_ops = {
	.wait = op_wait,
	.signal = op_signal,
	.open_subchannel = op_open_subchannel,
	.tx_done = op_tx_done,
};

/* ---- hvn_port ---- */

static uint16_t hvn_rx(void *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return netvsc_port_rx_burst(port, queue, pkts, n);
}

static uint16_t hvn_tx(void *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n)
{
	return netvsc_port_tx_burst(port, queue, pkts, n);
}

static uint16_t hvn_nb_queues(void *port)
{
	return netvsc_port_nb_queues(port);
}

static void hvn_steer(void *port, struct rte_mbuf **pkts, uint16_t n, uint16_t *queues)
{
	netvsc_port_steer(port, pkts, n, queues);
}

static const struct hvn_port_ops hvn_ops = {
	.rx_burst = hvn_rx,
	.tx_burst = hvn_tx,
	.nb_queues = hvn_nb_queues,
	.steer = hvn_steer,
};

/* ---- Open and close ---- */

static void port_free(struct netvsc_port *p)
{
	if (p->zc != NULL)
		for (uint16_t i = 0; i < p->nb_wanted; i++)
			rte_free(p->zc[i]);
	rte_free(p->zc);
	if (p->txq != NULL)
		for (uint16_t i = 0; i < p->nb_wanted; i++)
			rte_free(p->txq[i]);
	rte_free(p->txq);
	rte_free(p->queues);
	rte_free(p->chans);
	rte_free(p->ring_gpadls);
	rte_free(p->qs);
	rte_free(p);
}

/* Buffers for the NIC, in partition memory, and their GPADLs. */
static int give_buffers(struct netvsc_port *p, uint32_t rbuf_bytes, uint32_t sbuf_bytes,
			int timeout_ms)
{
	uint32_t relid = p->chans[0].relid;
	uint64_t rgpa, sgpa;
	int rc;

	p->nic.rbuf = vmbus_ppart_alloc(&p->part, rbuf_bytes, &rgpa);
	p->nic.sbuf = vmbus_ppart_alloc(&p->part, sbuf_bytes, &sgpa);
	if (p->nic.rbuf == NULL || p->nic.sbuf == NULL)
		return -ENOMEM;
	p->nic.rbuf_size = rbuf_bytes;
	p->nic.sbuf_size = sbuf_bytes;
	p->nic.sbuf_gpa = sgpa;
	rc = vmbus_ppart_gpadl(&p->part, relid, rgpa, rbuf_bytes, &p->nic.rbuf_gpadl, timeout_ms);
	if (rc == 0)
		rc = vmbus_ppart_gpadl(&p->part, relid, sgpa, sbuf_bytes, &p->nic.sbuf_gpadl,
				       timeout_ms);
	return rc;
}

/* The zero-copy pool's element and what the pool takes in memory. */
#define TX_ELT_BYTES (sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE)

static uint64_t tx_pool_bytes(uint32_t n)
{
	struct rte_mempool_objsz sz;

	if (n == 0)
		return 0;
	rte_mempool_calc_obj_size(TX_ELT_BYTES, RTE_MEMPOOL_F_NO_IOVA_CONTIG, &sz);
	return (uint64_t)n * sz.total_size + HVN_PAGE_SIZE;
}

/* conf.tx_pool_size mbufs in partition memory and each queue's slots.
 * Objects may cross pages: partition memory is contiguous in GPA space
 * (and has no IOVA). */
static int tx_pool_create(struct netvsc_port *p, uint32_t n)
{
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
	};
	char name[RTE_MEMPOOL_NAMESIZE];
	uint64_t bytes = tx_pool_bytes(n), gpa;
	void *mem;
	int rc;

	p->txq = rte_zmalloc("netvsc_txq", p->nb_wanted * sizeof(*p->txq), 0);
	if (p->txq == NULL)
		return -ENOMEM;
	for (uint16_t i = 0; i < p->nic.nqueues; i++) {
		struct port_txq *t = rte_zmalloc("netvsc_txq", sizeof(*t), RTE_CACHE_LINE_SIZE);

		if (t == NULL)
			return -ENOMEM;
		p->txq[i] = t;
		t->hdr = vmbus_ppart_alloc(&p->part, (uint64_t)TX_SLOTS * NETVSC_TX_HDR_BYTES,
					   &t->hdr_gpa);
		if (t->hdr == NULL)
			return -ENOMEM;
		for (uint32_t k = 0; k < TX_SLOTS; k++)
			t->free[k] = (uint16_t)(TX_SLOTS - 1u - k);
		t->nfree = TX_SLOTS;
		t->bytes_max = p->queues[i].sec_count * p->nic.section_size;
	}
	mem = vmbus_ppart_alloc(&p->part, bytes, &gpa);
	snprintf(name, sizeof(name), "nvtx_%" PRIxPTR, (uintptr_t)p);
	p->txmp = mem == NULL ? NULL :
		  rte_mempool_create_empty(name, n, TX_ELT_BYTES,
					   HVN_MIN(RTE_MEMPOOL_CACHE_MAX_SIZE, n / 8u),
					   sizeof(priv), SOCKET_ID_ANY,
					   RTE_MEMPOOL_F_NO_IOVA_CONTIG);
	if (p->txmp == NULL)
		return -ENOMEM;
	rc = rte_mempool_set_ops_byname(p->txmp, rte_mbuf_best_mempool_ops(), NULL);
	if (rc < 0)
		return rc;
	rte_pktmbuf_pool_init(p->txmp, &priv);
	rc = rte_mempool_populate_iova(p->txmp, mem, RTE_BAD_IOVA, bytes, NULL, NULL);
	if (rc < 0)
		return rc;
	if ((uint32_t)rc < n)
		return -ENOMEM;
	rte_mempool_obj_iter(p->txmp, rte_pktmbuf_init, NULL);
	return 0;
}

static int bring_up(struct netvsc_port *p, const struct netvsc_port_conf *conf,
		    uint32_t rbuf_bytes, uint32_t sbuf_bytes, int timeout_ms)
{
	const struct vmbus_guid nic_guid = NVSP_NIC_GUID_INIT;
	struct vmbus_client_offer *o;
	uint64_t mem;
	uint16_t i;
	int rc;

	/* Rings and their scratch for every queue, the two buffers, and
	 * room for the event page and alignment. */
	mem = (2ull << 20) + (uint64_t)p->nb_wanted * (2ull * p->ring_bytes + SCRATCH_BYTES) +
	      rbuf_bytes + sbuf_bytes;
	if (conf->tx_pool_size != 0)
		mem += tx_pool_bytes(conf->tx_pool_size) +
		       (uint64_t)p->nb_wanted * TX_SLOTS * NETVSC_TX_HDR_BYTES;
	mem = (mem + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	rc = vmbus_ppart_create(&p->part, conf->socket_path,
				conf->name != NULL ? conf->name : "netvsc", mem, false);
	if (rc < 0)
		return rc;
	rc = vmbus_ppart_connect(&p->part, 0, timeout_ms);
	if (rc < 0)
		return rc;
	o = vmbus_client_find_offer(&p->part.client, &nic_guid, 0);
	if (o == NULL)
		return -ENODEV;
	p->instance = o->msg.if_instance;
	rc = vmbus_ppart_open(&p->part, o, p->ring_bytes, &p->chans[0], &p->ring_gpadls[0],
			      timeout_ms);
	if (rc == 0)
		rc = give_buffers(p, rbuf_bytes, sbuf_bytes, timeout_ms);
	if (rc < 0)
		return rc;
	for (i = 0; i < p->nb_wanted; i++)
		p->queues[i].ch = &p->chans[i];
	p->nic.ops = &port_ops;
	p->nic.ctx = p;
	p->nic.queues = p->queues;
	p->nic.max_queues = p->nb_wanted;
	p->nic.mtu = conf->mtu;
	return netvsc_init(&p->nic, timeout_ms);
}

int netvsc_port_open(const struct netvsc_port_conf *conf, struct netvsc_port **out)
{
	uint32_t rbuf_bytes, sbuf_bytes;
	struct netvsc_port *p;
	uint16_t nq;
	int rc;

	if (conf == NULL || conf->socket_path == NULL || conf->mp == NULL ||
	    conf->nb_queues > NETVSC_MAX_QUEUES || (conf->mtu != 0 && conf->mtu < 68))
		return -EINVAL;
	nq = conf->nb_queues != 0 ? conf->nb_queues : 1;
	rbuf_bytes = conf->rbuf_bytes != 0 ? conf->rbuf_bytes : DEF_RBUF_BYTES;
	sbuf_bytes = conf->sbuf_bytes != 0 ? conf->sbuf_bytes : DEF_SBUF_BYTES;
	if ((rbuf_bytes | sbuf_bytes | conf->ring_bytes) & (HVN_PAGE_SIZE - 1))
		return -EINVAL;
	p = rte_zmalloc("netvsc_port", sizeof(*p), RTE_CACHE_LINE_SIZE);
	if (p == NULL)
		return -ENOMEM;
	p->queues = rte_zmalloc("netvsc_queues", nq * sizeof(*p->queues), RTE_CACHE_LINE_SIZE);
	p->chans = rte_zmalloc("netvsc_chans", nq * sizeof(*p->chans), RTE_CACHE_LINE_SIZE);
	p->ring_gpadls = rte_zmalloc("netvsc_gpadls", nq * sizeof(*p->ring_gpadls), 0);
	p->qs = rte_zmalloc("netvsc_qstats", nq * sizeof(*p->qs), RTE_CACHE_LINE_SIZE);
	if (p->queues == NULL || p->chans == NULL || p->ring_gpadls == NULL || p->qs == NULL) {
		port_free(p);
		return -ENOMEM;
	}
	p->part.sock = p->part.memfd = p->part.irq_fd = -1;
	p->mp = conf->mp;
	p->port_id = conf->port_id;
	p->nb_wanted = nq;
	p->ring_bytes = conf->ring_bytes != 0 ? conf->ring_bytes : DEF_RING_BYTES;
	rc = bring_up(p, conf, rbuf_bytes, sbuf_bytes,
		      conf->timeout_ms > 0 ? conf->timeout_ms : DEF_TIMEOUT_MS);
	if (rc < 0) {
		vmbus_ppart_destroy(&p->part);
		port_free(p);
		return rc;
	}
	if (conf->rx_zero_copy) {
		p->zc = rte_zmalloc("netvsc_zc", nq * sizeof(*p->zc), 0);
		for (uint16_t i = 0; p->zc != NULL && i < p->nic.nqueues; i++) {
			p->zc[i] = rte_zmalloc("netvsc_zcq", sizeof(struct port_zc),
					       RTE_CACHE_LINE_SIZE);
			if (p->zc[i] == NULL)
				break;
			zc_init(p->zc[i]);
			p->queues[i].hold_rx = true;
		}
		if (p->zc == NULL || (p->nic.nqueues > 0 && p->zc[p->nic.nqueues - 1] == NULL)) {
			netvsc_port_close(p);
			return -ENOMEM;
		}
	}
	if (conf->tx_pool_size != 0) {
		rc = tx_pool_create(p, conf->tx_pool_size);
		if (rc < 0) {
			netvsc_port_close(p);
			return rc;
		}
	}
	p->hvn.ops = &hvn_ops;
	p->hvn.priv = p;
	snprintf(p->hvn.name, sizeof(p->hvn.name), "%s", conf->name != NULL ? conf->name : "netvsc");
	*out = p;
	return 0;
}

static int teardown_gpadl(struct netvsc_port *p, uint32_t handle, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	int rc = vmbus_client_gpadl_teardown(&p->part.client, p->chans[0].relid, handle);

	while (rc == 0 && vmbus_client_gpadl_torn_down(&p->part.client, handle) != 0) {
		if (now_ms() >= end)
			return -ETIMEDOUT;
		rc = vmbus_ppart_poll(&p->part, 10);
		rc = rc < 0 ? rc : 0;
	}
	return rc;
}

void netvsc_port_close(struct netvsc_port *p)
{
	uint16_t i;

	if (p == NULL)
		return;
	/* §3.5: filter 0, HALT, revoke; then the channels, subchannels
	 * first; GPADLs only after their channel closed (VMBus 4.0+). */
	if (netvsc_halt(&p->nic, 2000) == 0) {
		for (i = p->nic.nqueues; i-- > 1;)
			(void)vmbus_ppart_close(&p->part, &p->chans[i], p->ring_gpadls[i], 1000);
		if (vmbus_ppart_close(&p->part, &p->chans[0], p->ring_gpadls[0], 1000) == 0) {
			(void)teardown_gpadl(p, p->nic.rbuf_gpadl, 1000);
			(void)teardown_gpadl(p, p->nic.sbuf_gpadl, 1000);
		}
	}
	/* Frames the host never completed are the port's to free, and the
	 * pool goes before the memory it lives in. */
	if (p->txq != NULL)
		for (i = 0; i < p->nb_wanted; i++)
			for (uint32_t k = 0; p->txq[i] != NULL && k < TX_SLOTS; k++)
				rte_pktmbuf_free(p->txq[i]->m[k]);
	rte_mempool_free(p->txmp);
	vmbus_ppart_destroy(&p->part);
	port_free(p);
}

/* ---- Data path ---- */

/* One frame into 'm' (fresh from the pool), chained when it does not
 * fit one segment. */
static int frame_to_mbuf(struct netvsc_port *p, struct rte_mbuf *m, const struct netvsc_frame *f)
{
	const uint8_t *src = f->data;
	uint32_t left = f->len;
	struct rte_mbuf *last = m;

	m->port = p->port_id;
	for (;;) {
		uint32_t n = HVN_MIN(left, (uint32_t)rte_pktmbuf_tailroom(last));

		rte_memcpy(rte_pktmbuf_mtod(last, uint8_t *), src, n);
		last->data_len = (uint16_t)n;
		src += n;
		left -= n;
		if (left == 0)
			break;
		if (n == 0)
			return -ENOBUFS;   /* a pool with no data room */
		last->next = rte_pktmbuf_alloc(p->mp);
		if (last->next == NULL)
			return -ENOBUFS;
		last = last->next;
		m->nb_segs++;
	}
	m->pkt_len = f->len;
	netvsc_port_rx_offload(m, &f->info);
	return 0;
}

static bool zc_done(void *ctx, uint32_t pkt)
{
	struct port_zc *zc = ctx;

	return __atomic_load_n(&zc->refs[pkt % ZC_PKTS], __ATOMIC_ACQUIRE) == 0;
}

/* Point 'm' at the frame in the receive buffer. False when it must be
 * copied instead: small, too many packets held, or no shared info free
 * (every one still on an mbuf). */
static bool zc_attach(struct netvsc_port *p, struct netvsc_queue *q, struct port_zc *zc,
		      struct rte_mbuf *m, const struct netvsc_frame *f)
{
	struct zc_slot *sl = &zc->slot[zc->next % ZC_SHINFO];

	if (f->len < ZC_COPYBREAK || f->len > UINT16_MAX || netvsc_rx_held(q) >= ZC_MAX_HELD ||
	    __atomic_load_n(&sl->busy, __ATOMIC_ACQUIRE) != 0)
		return false;
	zc->next++;
	/* Seen by the freeing thread through whatever handed it the mbuf. */
	__atomic_store_n(&sl->busy, 1u, __ATOMIC_RELAXED);
	sl->pkt = f->pkt;
	__atomic_fetch_add(&zc->refs[f->pkt % ZC_PKTS], 1u, __ATOMIC_RELAXED);
	rte_mbuf_ext_refcnt_set(&sl->sh, 1);
	/* Partition memory has no IOVA: these mbufs are for the CPU only. */
	rte_pktmbuf_attach_extbuf(m, (void *)(uintptr_t)f->data, RTE_BAD_IOVA, (uint16_t)f->len,
				  &sl->sh);
	m->data_len = (uint16_t)f->len;
	m->pkt_len = f->len;
	m->port = p->port_id;
	netvsc_port_rx_offload(m, &f->info);
	return true;
}

uint16_t netvsc_port_rx_burst(struct netvsc_port *p, uint16_t queue, struct rte_mbuf **pkts,
			      uint16_t n)
{
	struct netvsc_frame f[PORT_BURST];
	struct netvsc_queue *q;
	struct port_queue_stats *qs;
	struct port_zc *zc;
	uint16_t done = 0;
	uint64_t bytes = 0;

	if (queue >= p->nic.nqueues)
		return 0;
	q = &p->queues[queue];
	qs = &p->qs[queue];
	zc = p->zc != NULL ? p->zc[queue] : NULL;
	/* Held packets whose mbufs were all freed since go back first. */
	if (zc != NULL && netvsc_rx_held(q) > 0)
		netvsc_rx_release_done(q, zc_done, zc);
	while (done < n) {
		unsigned int want = HVN_MIN((unsigned int)(n - done), PORT_BURST), got, i;
		struct rte_mbuf **m = pkts + done;
		bool bulk;

		got = netvsc_rx_burst(q, f, want);
		if (got == 0)
			break;
		bulk = rte_pktmbuf_alloc_bulk(p->mp, m, got) == 0;
		for (i = 0; i < got; i++) {
			/* m[i] is read before pkts[done] (never further on) is
			 * written: frames that find no mbuf close the gap. */
			struct rte_mbuf *mb = bulk ? m[i] : rte_pktmbuf_alloc(p->mp);

			if (i + 1 < got)
				rte_prefetch0(f[i + 1].data);
			if (mb == NULL) {
				qs->nombuf++;
				continue;
			}
			if ((zc == NULL || !zc_attach(p, q, zc, mb, &f[i])) &&
			    frame_to_mbuf(p, mb, &f[i]) < 0) {
				rte_pktmbuf_free(mb);
				qs->nombuf++;
				continue;
			}
			pkts[done++] = mb;
			bytes += f[i].len;
		}
		if (zc != NULL)
			netvsc_rx_release_done(q, zc_done, zc);
		else
			netvsc_rx_release(q);
		if (got < want)
			break;
	}
	qs->ipackets += done;
	qs->ibytes += bytes;
	return done;
}

/* The segments add up to pkt_len: that many bytes are reserved. */
static bool mbuf_sane(const struct rte_mbuf *m)
{
	uint32_t sum = 0, len = rte_pktmbuf_pkt_len(m);

	for (; m != NULL; m = m->next)
		sum += m->data_len;
	return sum == len && len != 0;
}

/* Send m from where it lies in partition memory. Returns 1 when sent,
 * 0 when it is to be copied (small, not in partition memory, too many
 * pages), -EAGAIN when there is no slot or ring room now. */
static int tx_zero_copy(struct netvsc_port *p, struct netvsc_queue *q, struct port_txq *t,
			struct rte_mbuf *m, const struct rndis_pkt_info *info)
{
	struct netvsc_tx_seg seg[NETVSC_TX_MAX_PFNS];
	const struct rte_mbuf *s;
	uint32_t n = 0, slot, len = rte_pktmbuf_pkt_len(m);
	int rc;

	if (len < TX_COPYBREAK || m->nb_segs >= NETVSC_TX_MAX_PFNS)
		return 0;
	for (s = m; s != NULL; s = s->next) {
		uint64_t gpa = (uint64_t)(rte_pktmbuf_mtod(s, uintptr_t) - (uintptr_t)p->part.mem);

		if (gpa >= p->part.mem_size || s->data_len > p->part.mem_size - gpa)
			return 0;
		seg[n].gpa = gpa;
		seg[n].len = s->data_len;
		n++;
	}
	/* Completions make room: read them only when there is none. */
	if (!tx_room(t, len) && (netvsc_tx_reclaim(q), !tx_room(t, len)))
		return -EAGAIN;
	slot = t->free[--t->nfree];
	t->m[slot] = m;
	t->bytes_out += len;
	rc = netvsc_tx_direct(q, t->hdr + (uint64_t)slot * NETVSC_TX_HDR_BYTES,
			      t->hdr_gpa + (uint64_t)slot * NETVSC_TX_HDR_BYTES, seg, n, info, slot);
	if (rc == 0)
		return 1;
	t->m[slot] = NULL;
	t->bytes_out -= len;
	t->free[t->nfree++] = (uint16_t)slot;
	return rc == -EAGAIN ? -EAGAIN : 0;
}

uint16_t netvsc_port_tx_burst(struct netvsc_port *p, uint16_t queue, struct rte_mbuf **pkts,
			      uint16_t n)
{
	struct rte_mbuf *done[PORT_BURST];
	struct netvsc_queue *q;
	struct port_queue_stats *qs;
	struct port_txq *t;
	unsigned int ndone = 0;
	uint16_t i;

	if (queue >= p->nic.nqueues)
		return 0;
	q = &p->queues[queue];
	qs = &p->qs[queue];
	t = p->txq != NULL ? p->txq[queue] : NULL;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i], *seg;
		struct rndis_pkt_info info;
		uint32_t off = 0;
		uint8_t *dst;
		int err;

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (ndone == PORT_BURST) {
			rte_pktmbuf_free_bulk(done, ndone);
			ndone = 0;
		}
		if (!mbuf_sane(m) || netvsc_port_tx_ppi(m, &info) < 0) {
			qs->oerrors++;
			done[ndone++] = m;
			continue;
		}
		if (t != NULL) {
			err = tx_zero_copy(p, q, t, m, &info);
			if (err < 0)
				break;
			if (err > 0) {
				qs->opackets++;
				qs->obytes += rte_pktmbuf_pkt_len(m);
				continue;
			}
		}
		dst = netvsc_tx_reserve(q, rte_pktmbuf_pkt_len(m), &info, &err);
		if (dst == NULL) {
			if (err == -EAGAIN)
				break;
			qs->oerrors++;
			done[ndone++] = m;
			continue;
		}
		for (seg = m; seg != NULL; seg = seg->next) {
			rte_memcpy(dst + off, rte_pktmbuf_mtod(seg, const uint8_t *), seg->data_len);
			off += seg->data_len;
		}
		netvsc_tx_commit(q);
		qs->opackets++;
		qs->obytes += off;
		done[ndone++] = m;
	}
	(void)netvsc_tx_flush(q);
	if (ndone > 0)
		rte_pktmbuf_free_bulk(done, ndone);
	return i;
}

struct rte_mempool *netvsc_port_tx_pool(const struct netvsc_port *p)
{
	return p->txmp;
}

uint16_t netvsc_port_nb_queues(const struct netvsc_port *p)
{
	return p->nic.nqueues;
}

void netvsc_port_info(const struct netvsc_port *p, struct netvsc_port_info *info)
{
	const struct netvsc *n = &p->nic;

	memset(info, 0, sizeof(*info));
	memcpy(info->mac, n->mac, 6);
	info->nb_queues = n->nqueues;
	info->mtu = n->mtu;
	info->nvsp_version = n->nvsp_version;
	info->offloads = n->offloads;
	info->lso_max = n->lso_max;
	info->rss = n->rss_set;
	info->rss_table_size = n->rss_table_size;
	info->rss_key = n->rss_key != NULL ? n->rss_key : netvsc_default_rss_key;
	info->sub_alloc_size = n->sub_alloc_size;
	info->num_sub_allocs = n->num_sub_allocs;
	info->section_size = n->section_size;
	info->nsections = n->nsections;
}

void netvsc_port_core_stats(const struct netvsc_port *p, struct netvsc_stats *out)
{
	netvsc_stats_sum(&p->nic, out);
}

int netvsc_port_link(const struct netvsc_port *p, struct rte_eth_link *link)
{
	memset(link, 0, sizeof(*link));
	/* OID_GEN_LINK_SPEED and the indications count in 100 bit/s. */
	link->link_speed = hvn_load_relaxed(&p->nic.link_speed) / 10000u;
	link->link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link->link_autoneg = RTE_ETH_LINK_FIXED;
	link->link_status = hvn_load_relaxed(&p->nic.link_up) ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	return 0;
}

int netvsc_port_stats(const struct netvsc_port *p, struct rte_eth_stats *st)
{
	uint16_t i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < p->nic.nqueues; i++) {
		const struct port_queue_stats *qs = &p->qs[i];
		const struct netvsc_stats *cs = &p->queues[i].st;
		uint64_t ip = hvn_load_relaxed(&qs->ipackets), ib = hvn_load_relaxed(&qs->ibytes);
		uint64_t op = hvn_load_relaxed(&qs->opackets), ob = hvn_load_relaxed(&qs->obytes);
		uint64_t ie = hvn_load_relaxed(&cs->rx_bad);
		uint64_t nb = hvn_load_relaxed(&qs->nombuf);

		st->ipackets += ip;
		st->ibytes += ib;
		st->opackets += op;
		st->obytes += ob;
		st->ierrors += ie;
		st->imissed += nb;
		st->rx_nombuf += nb;
		st->oerrors += hvn_load_relaxed(&qs->oerrors) + hvn_load_relaxed(&cs->tx_refused);
		if (i < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[i] = ip;
			st->q_ibytes[i] = ib;
			st->q_opackets[i] = op;
			st->q_obytes[i] = ob;
			st->q_errors[i] = ie;
		}
	}
	return 0;
}

bool netvsc_port_tx_idle(struct netvsc_port *p)
{
	bool idle = true;
	uint16_t i;

	for (i = 0; i < p->nic.nqueues; i++) {
		/* Every queue is flushed and pumped, even after a busy one. */
		if (!netvsc_tx_idle(&p->queues[i]))
			idle = false;
		if (p->txq != NULL && p->txq[i] != NULL && p->txq[i]->nfree != TX_SLOTS)
			idle = false;
	}
	return idle;
}

int netvsc_port_wait(struct netvsc_port *p, int timeout_ms)
{
	int rc = vmbus_ppart_wait_event(&p->part, timeout_ms);

	return rc < 0 ? rc : 0;
}

void netvsc_port_steer(const struct netvsc_port *p, struct rte_mbuf **pkts, uint16_t n,
		       uint16_t *queues)
{
	uint16_t i;

	for (i = 0; i < n; i++)
		queues[i] = (pkts[i]->ol_flags & RTE_MBUF_F_RX_RSS_HASH) ?
			    netvsc_send_queue(&p->nic, pkts[i]->hash.rss) : 0;
}

struct hvn_port *netvsc_port_hvn(struct netvsc_port *p)
{
	return &p->hvn;
}
