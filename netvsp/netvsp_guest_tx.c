/* Frames the guest transmits: the RNDIS messages of one SEND_RNDIS_PKT,
 * read from its stream (send-buffer section and/or GPA ranges, in any of
 * the three forms Linux uses, reference §3.3) into mbufs, with the
 * per-packet info turned into mbuf offload requests. */
#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>

#include "netvsp/netvsp_priv.h"

/* RNDIS header and PPIs read in one piece: room for the header and
 * RNDIS_PKT_MAX_PPI 16-byte records (44 + 256), which rndis_pkt_parse
 * accepts; 256 dropped a packet with 16 valid records. */
#define HDR_PEEK 512u
#define CTRL_MAX 2048u    /* largest control message accepted */

bool nvsp_stream_add(struct nvsp_stream *s, const uint8_t *p, uint32_t len)
{
	if (s->nseg > 0 && s->seg[s->nseg - 1].p + s->seg[s->nseg - 1].len == p) {
		s->seg[s->nseg - 1].len += len;
	} else {
		if (s->nseg == NVSP_MAX_SEGS)
			return false;
		s->seg[s->nseg].p = p;
		s->seg[s->nseg].len = len;
		s->nseg++;
	}
	s->len += len;
	return true;
}

/* Where [off, off + len) lies in one segment, a pointer to it. */
static const uint8_t *stream_ptr(const struct nvsp_stream *s, uint32_t off, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < s->nseg; i++) {
		if (off < s->seg[i].len)
			return len <= s->seg[i].len - off ? s->seg[i].p + off : NULL;
		off -= s->seg[i].len;
	}
	return NULL;
}

/* Copy [off, off + len), which the caller checked is inside the stream. */
static void stream_copy(const struct nvsp_stream *s, uint32_t off, uint8_t *dst, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < s->nseg && len > 0; i++) {
		uint32_t n;

		if (off >= s->seg[i].len) {
			off -= s->seg[i].len;
			continue;
		}
		n = HVN_MIN(len, s->seg[i].len - off);
		rte_memcpy(dst, s->seg[i].p + off, n);
		dst += n;
		len -= n;
		off = 0;
	}
}

/* Layer 2 length of the frame at the start of 'm' (one VLAN tag at most). */
static uint16_t l2_len(const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);

	if (rte_pktmbuf_data_len(m) >= sizeof(*eh) + 4 &&
	    eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN))
		return sizeof(*eh) + 4;
	return sizeof(*eh);
}

static void apply_ppi(struct rte_mbuf *m, const struct rndis_pkt_info *info)
{
	if (info->present & RNDIS_PKT_HAS_VLAN) {
		uint32_t v = info->vlan;

		m->vlan_tci = (uint16_t)(((v >> NDIS_VLAN_ID_SHIFT) & NDIS_VLAN_ID_MASK) |
					 ((v & NDIS_VLAN_PRI_MASK) << 13) |
					 ((v & NDIS_VLAN_CFI) ? 1u << 12 : 0u));
		m->ol_flags |= RTE_MBUF_F_TX_VLAN;
	}
	if (info->present & RNDIS_PKT_HAS_LSO) {
		uint32_t v = info->lso, l4off = (v >> NDIS_LSO_TCP_OFF_SHIFT) & NDIS_LSO_TCP_OFF_MASK;
		uint16_t l2 = l2_len(m);
		const uint8_t *th;

		/* A segment size below the TCP minimum or a header offset
		 * outside the frame is ignored: the frame goes as it is. */
		if ((v & NDIS_LSO_MSS_MASK) >= 64 && l4off > l2 && l4off + 20u <= rte_pktmbuf_data_len(m)) {
			th = rte_pktmbuf_mtod_offset(m, const uint8_t *, l4off);
			m->l2_len = l2;
			m->l3_len = (uint16_t)(l4off - l2);
			m->l4_len = (uint16_t)((th[12] >> 4) * 4u);
			m->tso_segsz = (uint16_t)HVN_MIN(v & NDIS_LSO_MSS_MASK, 0xffffu);
			m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
				       ((v & NDIS_LSO_IPV6) ? RTE_MBUF_F_TX_IPV6 :
							      RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM);
			return;
		}
	}
	if (info->present & RNDIS_PKT_HAS_CSUM) {
		uint32_t v = info->csum, l4off = (v >> NDIS_TXCSUM_TCP_OFF_SHIFT) & 0x3ffu;
		uint16_t l2 = l2_len(m);

		if (v & NDIS_TXCSUM_IPV4)
			m->ol_flags |= RTE_MBUF_F_TX_IPV4;
		else if (v & NDIS_TXCSUM_IPV6)
			m->ol_flags |= RTE_MBUF_F_TX_IPV6;
		if ((v & NDIS_TXCSUM_IP_HEADER) && (v & NDIS_TXCSUM_IPV4)) {
			m->ol_flags |= RTE_MBUF_F_TX_IP_CKSUM;
			m->l2_len = l2;
			if (m->l3_len == 0)
				m->l3_len = 20;
		}
		if ((v & (NDIS_TXCSUM_TCP | NDIS_TXCSUM_UDP)) && l4off > l2 &&
		    l4off + 8u <= rte_pktmbuf_data_len(m)) {
			m->l2_len = l2;
			m->l3_len = (uint16_t)(l4off - l2);
			m->ol_flags |= (v & NDIS_TXCSUM_TCP) ? RTE_MBUF_F_TX_TCP_CKSUM :
							       RTE_MBUF_F_TX_UDP_CKSUM;
		}
	}
}

/* One frame: [off, off + len) of the stream into a (chained) mbuf. */
static struct rte_mbuf *frame_to_mbuf(struct nvsp_chan *c, const struct nvsp_stream *s,
				      uint32_t off, uint32_t len)
{
	struct rte_mempool *mp = c->nic->cfg.mp;
	struct rte_mbuf *head = rte_pktmbuf_alloc(mp), *last = head;

	if (head == NULL)
		return NULL;
	for (;;) {
		uint32_t n = HVN_MIN(len, (uint32_t)rte_pktmbuf_tailroom(last));

		stream_copy(s, off, rte_pktmbuf_mtod(last, uint8_t *), n);
		last->data_len = (uint16_t)n;
		head->pkt_len += n;
		off += n;
		len -= n;
		if (len == 0)
			return head;
		last->next = rte_pktmbuf_alloc(mp);
		if (last->next == NULL || n == 0) {
			rte_pktmbuf_free(head);
			return NULL;
		}
		last = last->next;
		head->nb_segs++;
	}
}

static int data_message(struct nvsp_chan *c, const struct nvsp_stream *s, uint32_t off,
			uint32_t mlen)
{
	uint8_t tmp[HDR_PEEK];
	uint32_t avail = HVN_MIN(mlen, HDR_PEEK);
	const uint8_t *hp = stream_ptr(s, off, avail);
	struct rndis_pkt_info info;
	struct rte_mbuf *m;

	if (hp == NULL) {
		stream_copy(s, off, tmp, avail);
		hp = tmp;
	}
	if (rndis_pkt_parse(hp, avail, mlen, &info) < 0 || info.data_len > 65536u + 256u) {
		c->st.tx_drop_bad++;
		return -EINVAL;
	}
	if (c->st_count == NVSP_STASH) {
		c->st.tx_drop_nombuf++;
		return 0;
	}
	m = frame_to_mbuf(c, s, off + info.data_off, info.data_len);
	if (m == NULL) {
		c->st.tx_drop_nombuf++;
		return 0;
	}
	m->port = c->idx;
	if (info.present != 0)
		apply_ppi(m, &info);
	c->stash[(c->st_head + c->st_count) % NVSP_STASH] = m;
	c->st_count++;
	c->st.tx_packets++;
	c->st.tx_bytes += info.data_len;
	return 0;
}

int nvsp_guest_tx(struct nvsp_chan *c, const struct nvsp_stream *s)
{
	uint32_t off = 0;
	int rc = 0;

	/* Linux marks control messages as channel type 1, but the RNDIS
	 * type says it too and is what counts: a guest may batch both. */
	while (s->len - off >= RNDIS_HEADER_SIZE) {
		struct rndis_msg_hdr h;

		stream_copy(s, off, (uint8_t *)&h, sizeof(h));
		/* The framing must hold; everything before a bad message
		 * was handled, everything after it is dropped. */
		if (h.len < RNDIS_HEADER_SIZE || h.len > s->len - off) {
			c->st.tx_drop_bad++;   /* else a framing error goes uncounted */
			return -EINVAL;
		}
		if (h.type == RNDIS_MSG_PACKET) {
			if (data_message(c, s, off, h.len) < 0)
				rc = -EINVAL;
		} else {
			uint8_t msg[CTRL_MAX];

			if (h.len > CTRL_MAX) {
				c->st.bad_msgs++;
				rc = -EINVAL;
			} else {
				stream_copy(s, off, msg, h.len);
				if (nvsp_rndis_control(c, msg, h.len) < 0)
					rc = -EINVAL;
			}
		}
		off += h.len;
	}
	return rc;
}
