/* Frames for the guest: copied into sub-allocations of its receive buffer
 * and indicated many per transfer-page packet (reference §3.3). LSO frames
 * are segmented and requested checksums filled here, because the guest
 * takes neither. A channel's slice of the buffer is used in FIFO order in
 * 64-byte cells and returns when the guest completes the packet that
 * carried it.
 *
 * Frames are packed: one starts on the next cell, in the same
 * sub-allocation when it fits there, else at the start of the next; none
 * crosses a sub-allocation. Linux checks only that a range lies in the
 * buffer and is at most sub_alloc_size (netvsc_receive), DPDK's PMD that
 * it lies in the buffer. One frame per sub-allocation held 18,139 frames
 * in a 31 MiB buffer whatever their size; packed, a 64-byte frame takes
 * two cells and the buffer holds 13 times as many. */
#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "netvsp/netvsp_priv.h"

/* What one flush writes at most to the host-to-guest ring. */
#define BATCH_FOOTPRINT \
	(vmbus_ring_pkt_footprint(8u + 8u * NVSP_RX_BATCH, NVSP_MSG_MIN(rndis_pkt)))

struct rx_batch {
	uint32_t nr;
	uint32_t cells;              /* taken from the slice, padding included */
	struct {
		uint16_t xfer_pageset_id;
		uint8_t sender_owns_set;
		uint8_t reserved;
		uint32_t range_cnt;
		struct vmbus_xfer_range ranges[NVSP_RX_BATCH];
	} hvn_packed hdr;
};

int nvsp_rx_slice(struct nvsp_chan *c)
{
	struct netvsp_nic *nic = c->nic;
	uint32_t per;

	if (!nic->rbuf_mapped)
		return 0;
	/* Static slices, one per possible queue: no queue can starve
	 * another and no lock guards the allocator. */
	per = nic->rbuf_suballocs / nic->cfg.max_queues;
	if (per == 0 || c->idx >= nic->cfg.max_queues)
		return -ENOSPC;
	if (c->rec == NULL || c->ra_count != per) {
		rte_free(c->rec);
		c->rec = rte_zmalloc_socket("nvsp_rec", per * sizeof(*c->rec), 0, SOCKET_ID_ANY);
		if (c->rec == NULL)
			return -ENOMEM;
	} else {
		memset(c->rec, 0, per * sizeof(*c->rec));
	}
	c->ra_first = c->idx * per;
	c->ra_count = per;
	c->sa_cells = nic->sub_alloc_size / NVSP_RX_CELL;
	c->ra_cells = per * c->sa_cells;
	c->alloc = c->freed = 0;
	c->pos = c->in_sa = 0;
	c->rec_head = c->rec_tail = 0;
	return 0;
}

void nvsp_rx_complete(struct nvsp_chan *c, uint64_t tid)
{
	uint32_t slot;

	if (c->rec == NULL || tid < c->rec_tail || tid >= c->rec_head) {
		c->st.bad_completions++;
		return;
	}
	slot = (uint32_t)(tid % c->ra_count);
	if (c->rec[slot] & NVSP_RECORD_DONE) {
		c->st.bad_completions++;
		return;
	}
	c->rec[slot] |= NVSP_RECORD_DONE;
	/* Completions normally come in order; one out of order waits for
	 * the older ones so the slice stays a FIFO. */
	while (c->rec_tail < c->rec_head) {
		uint16_t *r = &c->rec[c->rec_tail % c->ra_count];

		if (!(*r & NVSP_RECORD_DONE))
			break;
		c->freed += *r & (NVSP_RECORD_DONE - 1u);
		*r = 0;
		c->rec_tail++;
	}
}

/* Room for one more frame of any size (padding to the next
 * sub-allocation included) and a record for the packet that carries it. */
static bool have_room(const struct nvsp_chan *c)
{
	return c->ra_cells - (c->alloc - c->freed) >= 2u * c->sa_cells &&
	       c->rec_head - c->rec_tail < c->ra_count;
}

/* Whether the batch can take one more frame without its cell count
 * outgrowing a record. */
static bool batch_room(const struct nvsp_chan *c, const struct rx_batch *b)
{
	return b->nr < NVSP_RX_BATCH && b->cells + 2u * c->sa_cells <= NVSP_RX_BATCH_CELLS;
}

/* Byte offset in the receive buffer of the slice's cell 'cell'. */
static uint32_t cell_offset(const struct nvsp_chan *c, uint32_t cell)
{
	return (c->ra_first * c->sa_cells + cell) * NVSP_RX_CELL;
}

/* Advance alloc by 'n' cells, which never cross a sub-allocation: pos and
 * in_sa follow without a division per frame. */
static void advance(struct nvsp_chan *c, uint32_t n)
{
	c->alloc += n;
	c->pos += n;
	c->in_sa += n;
	if (c->in_sa == c->sa_cells)
		c->in_sa = 0;
	if (c->pos == c->ra_cells)
		c->pos = 0;
}

static int flush(struct nvsp_chan *c, struct rx_batch *b, uint32_t channel_type)
{
	struct nvsp_msg m;
	struct vmbus_sg sg = { .base = &m, .len = NVSP_MSG_MIN(rndis_pkt) };
	struct vmbus_pkt_out o = {
		.type = VMBUS_PKT_DATA_XFER_PAGES,
		.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
		.trans_id = c->rec_head,
		.hdr = &b->hdr,
		.hdr_len = 8u + 8u * b->nr,
		.sg = &sg,
		.nsg = 1,
	};
	int rc;

	if (b->nr == 0)
		return 0;
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.channel_type = channel_type;
	m.u.rndis_pkt.send_buf_section_index = NVSP_INVALID_SECTION;
	b->hdr.xfer_pageset_id = c->nic->rbuf_id;
	b->hdr.sender_owns_set = 0;
	b->hdr.reserved = 0;
	b->hdr.range_cnt = b->nr;
	rc = vmbus_ring_put(c->out, &o);
	if (rc < 0) {
		/* Room was checked first; only a broken ring gets here. The
		 * sub-allocations go back, the frames are lost. */
		c->alloc -= b->cells;
		c->pos = (uint32_t)(c->alloc % c->ra_cells);
		c->in_sa = c->pos % c->sa_cells;
		c->st.rx_drop_nobuf += b->nr;
		b->nr = b->cells = 0;
		return rc;
	}
	c->rec[c->rec_head % c->ra_count] = (uint16_t)b->cells;
	c->rec_head++;
	c->st.rx_batches++;
	b->nr = b->cells = 0;
	return 0;
}

/* Frames ahead of the one being written whose lines are prefetched for
 * writing: the slice is a FIFO through the whole receive buffer, so the
 * next cells are cold (or in the guest's CPU's cache, which last read
 * them), and the first store into each stalled the host lcore
 * (rndis_pkt_build led the profile at 1518 B). */
#define RX_PREFETCH_AHEAD 4u

/* Claim the slice's next cells for a message of 'bytes' (at most
 * sub_alloc_size); NULL when the slice is used up. The range is added to
 * the batch. */
static uint8_t *claim(struct nvsp_chan *c, struct rx_batch *b, uint32_t bytes)
{
	const struct netvsp_nic *nic = c->nic;
	uint32_t need = (bytes + NVSP_RX_CELL - 1u) / NVSP_RX_CELL, pad = 0, offset, ahead, o;

	if (!have_room(c) || !batch_room(c, b))
		return NULL;
	/* Behind another frame it must end before the footer; at the start
	 * of a sub-allocation it may fill it. */
	if (c->in_sa != 0 && c->in_sa * NVSP_RX_CELL + bytes > nic->sub_alloc_size - NVSP_RX_FOOTER)
		pad = c->sa_cells - c->in_sa;
	advance(c, pad);
	offset = cell_offset(c, c->pos);
	/* Frames of a stream have like sizes: as many lines as this one. */
	ahead = c->pos + RX_PREFETCH_AHEAD * need;
	if (ahead >= c->ra_cells)
		ahead -= c->ra_cells;
	if (ahead < c->ra_cells)
		for (o = 0; o < bytes; o += 64u)
			__builtin_prefetch(nic->rbuf.ptr + cell_offset(c, ahead) + o, 1, 3);
	advance(c, need);
	b->cells += pad + need;
	b->hdr.ranges[b->nr].byte_count = bytes;
	b->hdr.ranges[b->nr].byte_offset = offset;
	b->nr++;
	return nic->rbuf.ptr + offset;
}

/* Copy the frame bytes [off, off + len) of 'm' to 'dst'. */
static void copy_out(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint8_t *dst)
{
	const void *p = rte_pktmbuf_read(m, off, len, dst);

	if (p != NULL && p != dst)
		rte_memcpy(dst, p, len);
}

/* Fill the checksums 'm' asks for in the copy at 'f' (whole frame). */
static uint32_t fill_csum(const struct rte_mbuf *m, uint8_t *f, uint32_t len)
{
	uint64_t fl = m->ol_flags;
	uint32_t l3 = m->l2_len, l4 = l3 + m->l3_len, ok = 0;

	if (m->l2_len == 0 || l4 + 8u > len)
		return 0;
	if (fl & RTE_MBUF_F_TX_IPV4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + l3);

		if (fl & RTE_MBUF_F_TX_IP_CKSUM) {
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
		}
		ok |= NDIS_RXCSUM_IP_SUCCEEDED;
		if ((fl & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM && l4 + 20u <= len) {
			struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + l4);

			th->cksum = 0;
			th->cksum = rte_ipv4_udptcp_cksum(ip, th);
			ok |= NDIS_RXCSUM_TCP_SUCCEEDED;
		} else if ((fl & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
			struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(f + l4);

			uh->dgram_cksum = 0;
			uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
			ok |= NDIS_RXCSUM_UDP_SUCCEEDED;
		}
	} else if (fl & RTE_MBUF_F_TX_IPV6) {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f + l3);

		if ((fl & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM && l4 + 20u <= len) {
			struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(f + l4);

			th->cksum = 0;
			th->cksum = rte_ipv6_udptcp_cksum(ip, th);
			ok |= NDIS_RXCSUM_TCP_SUCCEEDED;
		} else if ((fl & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_UDP_CKSUM) {
			struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(f + l4);

			uh->dgram_cksum = 0;
			uh->dgram_cksum = rte_ipv6_udptcp_cksum(ip, uh);
			ok |= NDIS_RXCSUM_UDP_SUCCEEDED;
		}
	}
	return ok;
}

static void ppi_for(const struct rte_mbuf *m, struct rndis_pkt_info *info)
{
	info->present = 0;
	if (m->ol_flags & (RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED)) {
		uint16_t t = m->vlan_tci;

		info->vlan = ((uint32_t)(t & 0xfffu) << NDIS_VLAN_ID_SHIFT) | ((t >> 13) & 7u) |
			     ((t & 0x1000u) ? NDIS_VLAN_CFI : 0u);
		info->present |= RNDIS_PKT_HAS_VLAN;
	}
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH) {
		info->hash = m->hash.rss;
		info->present |= RNDIS_PKT_HAS_HASH;
	}
	if (m->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK)) {
		info->csum = 0;   /* set once filled */
		info->present |= RNDIS_PKT_HAS_CSUM;
	}
}

/* One sub-allocation: RNDIS header, then 'len' frame bytes from 'src'
 * (or from 'm' at 'off' when src is NULL). Returns the frame copy. */
static uint8_t *put_frame(struct nvsp_chan *c, struct rx_batch *b, struct rndis_pkt_info *info,
			  uint32_t len)
{
	uint32_t hlen = rndis_pkt_hdr_len(info->present);
	uint8_t *dst;

	if (hlen + len > c->nic->sub_alloc_size) {
		c->st.rx_drop_size++;
		return NULL;
	}
	dst = claim(c, b, hlen + len);
	if (dst == NULL)
		return NULL;
	info->data_len = len;
	rndis_pkt_build(dst, info);
	return dst + hlen;
}

/* The csum PPI value sits right after the rndis_packet, first of the PPIs
 * when present (rndis_pkt_build order), so it can be set after filling. */
static void set_csum_ppi(uint8_t *frame, const struct rndis_pkt_info *info, uint32_t ok)
{
	uint8_t *v = frame - info->data_off + RNDIS_HEADER_SIZE + sizeof(struct rndis_packet) +
		     sizeof(struct rndis_ppi);

	memcpy(v, &ok, sizeof(ok));
}

/* Segment a TCP LSO frame into MSS-sized frames (each its own
 * sub-allocation). Returns false when it ran out of room. */
static bool put_lso(struct nvsp_chan *c, struct rx_batch *b, struct rte_mbuf *m,
		    uint32_t channel_type)
{
	uint32_t hdr = (uint32_t)m->l2_len + m->l3_len + m->l4_len, mss = m->tso_segsz;
	uint32_t total = rte_pktmbuf_pkt_len(m), off = hdr, seg = 0;
	bool v4 = (m->ol_flags & RTE_MBUF_F_TX_IPV4) != 0;

	uint32_t nseg;

	if (m->l4_len < 20 || hdr >= total || mss == 0) {
		c->st.rx_drop_size++;
		return true;
	}
	/* All segments or none: a frame given back half written would be
	 * retried whole and its first segments delivered twice. */
	nseg = (total - hdr + mss - 1) / mss;
	if (nseg > c->ra_count) {
		c->st.rx_drop_size++;
		return true;
	}
	/* A sub-allocation each is more than enough, padding included. */
	if (c->ra_cells - (c->alloc - c->freed) < ((uint64_t)nseg + 1u) * c->sa_cells ||
	    vmbus_ring_bytes_free(c->out) < ((b->nr + nseg) / NVSP_RX_BATCH + 1) * BATCH_FOOTPRINT +
					     NVSP_REPLY_RESERVE)
		return false;
	while (off < total) {
		uint32_t n = HVN_MIN(mss, total - off);
		struct rndis_pkt_info info;
		struct rte_tcp_hdr *th;
		uint8_t *f;

		if (!batch_room(c, b)) {
			if (flush(c, b, channel_type) < 0 ||
			    vmbus_ring_bytes_free(c->out) < BATCH_FOOTPRINT)
				return false;
		}
		if (!have_room(c))
			return false;
		ppi_for(m, &info);
		info.present |= RNDIS_PKT_HAS_CSUM;
		f = put_frame(c, b, &info, hdr + n);
		if (f == NULL)
			return true;   /* too big for a sub-allocation: dropped */
		copy_out(m, 0, hdr, f);
		copy_out(m, off, n, f + hdr);
		th = (struct rte_tcp_hdr *)(f + m->l2_len + m->l3_len);
		th->sent_seq = rte_cpu_to_be_32(rte_be_to_cpu_32(th->sent_seq) + (off - hdr));
		if (off + n < total)
			th->tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		if (seg > 0)
			th->tcp_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
		if (v4) {
			struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + m->l2_len);

			ip->total_length = rte_cpu_to_be_16((uint16_t)(m->l3_len + m->l4_len + n));
			ip->packet_id = rte_cpu_to_be_16((uint16_t)(rte_be_to_cpu_16(ip->packet_id) + seg));
		} else {
			struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(f + m->l2_len);

			ip->payload_len = rte_cpu_to_be_16((uint16_t)(m->l4_len + n));
		}
		set_csum_ppi(f, &info, fill_csum(m, f, hdr + n));
		c->st.rx_packets++;
		c->st.rx_bytes += hdr + n;
		off += n;
		seg++;
	}
	return true;
}

static bool filter_pass(const struct netvsp_nic *nic, uint32_t filter, const struct rte_mbuf *m)
{
	const uint8_t *d = rte_pktmbuf_mtod(m, const uint8_t *);

	if (filter & NDIS_PACKET_TYPE_PROMISCUOUS)
		return true;
	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)
		return false;
	if (d[0] & 1u) {
		static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

		if (memcmp(d, bcast, 6) == 0)
			return (filter & NDIS_PACKET_TYPE_BROADCAST) != 0;
		return (filter & (NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_ALL_MULTICAST)) != 0;
	}
	return (filter & NDIS_PACKET_TYPE_DIRECTED) && memcmp(d, nic->mac, 6) == 0;
}

uint16_t nvsp_guest_rx(struct nvsp_chan *c, struct rte_mbuf **pkts, uint16_t n)
{
	struct netvsp_nic *nic = c->nic;
	uint32_t filter = hvn_load_relaxed(&nic->packet_filter);
	struct rx_batch b;
	uint16_t i, done = 0;
	bool sig = false;

	if (c->rec == NULL || filter == 0 || hvn_load_relaxed(&nic->rbuf_revoked)) {
		/* Filter 0 means stop (OpenVMM GH #1927): nothing is indicated. */
		rte_pktmbuf_free_bulk(pkts, n);
		c->st.rx_drop_filter += n;
		return n;
	}
	b.nr = b.cells = 0;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		uint32_t len = rte_pktmbuf_pkt_len(m);

		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		if (b.nr == 0 && vmbus_ring_bytes_free(c->out) < BATCH_FOOTPRINT + NVSP_REPLY_RESERVE)
			break;
		if (!filter_pass(nic, filter, m)) {
			c->st.rx_drop_filter++;
		} else if (m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) {
			if (!put_lso(c, &b, m, NVSP_RNDIS_CHANNEL_DATA))
				break;
		} else {
			struct rndis_pkt_info info;
			uint8_t *f;

			ppi_for(m, &info);
			if (!have_room(c))
				break;
			f = put_frame(c, &b, &info, len);
			if (f != NULL) {
				copy_out(m, 0, len, f);
				if (info.present & RNDIS_PKT_HAS_CSUM)
					set_csum_ppi(f, &info, fill_csum(m, f, len));
				c->st.rx_packets++;
				c->st.rx_bytes += len;
			}
		}
		rte_pktmbuf_free(m);
		done++;
		if (!batch_room(c, &b) && flush(c, &b, NVSP_RNDIS_CHANNEL_DATA) < 0)
			break;
	}
	flush(c, &b, NVSP_RNDIS_CHANNEL_DATA);
	sig = vmbus_ring_write_commit(c->out);
	if (sig)
		vmbus_channel_signal(c->ch);
	/* The rest stays with the caller, which drops (and counts) or
	 * retries it. */
	return done;
}

int nvsp_guest_rx_ctrl(struct nvsp_chan *c, const void *msg, uint32_t len)
{
	struct rx_batch b = { .nr = 0, .cells = 0 };
	uint8_t *dst;

	if (c->rec == NULL || len > c->nic->sub_alloc_size || c->out_budget < BATCH_FOOTPRINT)
		return -ENOBUFS;
	dst = claim(c, &b, len);
	if (dst == NULL)
		return -ENOBUFS;
	memcpy(dst, msg, len);
	if (flush(c, &b, NVSP_RNDIS_CHANNEL_CONTROL) < 0)
		return -EPROTO;
	c->out_budget -= vmbus_ring_pkt_footprint(16u, NVSP_MSG_MIN(rndis_pkt));
	return 0;
}
