/* RNDIS packet messages (see rndis_pkt.h). The checks mirror Linux 6.1
 * rndis_filter.c rndis_filter_receive_data() and rndis_get_ppi(), so a
 * message hvnet accepts is one Linux would accept and the reverse. */
#include "proto/rndis_pkt.h"

#include "common/hvn_errno.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

int rndis_pkt_parse(const uint8_t *msg, uint32_t avail, uint32_t msg_len,
		    struct rndis_pkt_info *out)
{
	struct rndis_packet pk;
	uint32_t body_len, off, left, n;

	if (avail > msg_len)
		avail = msg_len;
	if (avail < RNDIS_HEADER_SIZE + sizeof(pk))
		return -HVN_EINVAL;
	__builtin_memcpy(&pk, msg + RNDIS_HEADER_SIZE, sizeof(pk));
	body_len = msg_len - RNDIS_HEADER_SIZE;
	/* The frame: inside the message, after the fixed part. */
	if (pk.data_offset < sizeof(pk) || pk.data_offset > body_len ||
	    pk.data_len > body_len - pk.data_offset || pk.data_len == 0)
		return -HVN_EINVAL;
	out->data_off = RNDIS_HEADER_SIZE + pk.data_offset;
	out->data_len = pk.data_len;
	out->present = 0;
	if (pk.per_pkt_info_offset == 0 || pk.per_pkt_info_len == 0)
		return 0;
	/* The PPI area: inside the contiguous part and the message. */
	if (pk.per_pkt_info_offset < sizeof(pk) ||
	    pk.per_pkt_info_offset > avail - RNDIS_HEADER_SIZE ||
	    pk.per_pkt_info_len > avail - RNDIS_HEADER_SIZE - pk.per_pkt_info_offset)
		return -HVN_EINVAL;
	off = RNDIS_HEADER_SIZE + pk.per_pkt_info_offset;
	left = pk.per_pkt_info_len;
	for (n = 0; left > 0; n++) {
		uint32_t size, type, voff, val;

		/* A record smaller than its header would let the walk stall
		 * or go backwards; too many records is a flood. */
		if (n == RNDIS_PKT_MAX_PPI || left < sizeof(struct rndis_ppi))
			return -HVN_EINVAL;
		size = rd32(msg + off);
		type = rd32(msg + off + 4);
		voff = rd32(msg + off + 8);
		if (size < sizeof(struct rndis_ppi) || size > left)
			return -HVN_EINVAL;
		if (voff >= size || size - voff < sizeof(uint32_t))
			return -HVN_EINVAL;
		val = rd32(msg + off + voff);
		switch (type) {
		case RNDIS_PPI_CHECKSUM:
			out->csum = val;
			out->present |= RNDIS_PKT_HAS_CSUM;
			break;
		case RNDIS_PPI_LSO:
			out->lso = val;
			out->present |= RNDIS_PKT_HAS_LSO;
			break;
		case RNDIS_PPI_VLAN:
			out->vlan = val;
			out->present |= RNDIS_PKT_HAS_VLAN;
			break;
		case RNDIS_PPI_HASH_VALUE:
			out->hash = val;
			out->present |= RNDIS_PKT_HAS_HASH;
			break;
		default:
			break;   /* internal PKTINFO_ID, unknown: skipped */
		}
		off += size;
		left -= size;
	}
	return 0;
}

#define PPI_REC_SIZE ((uint32_t)sizeof(struct rndis_ppi) + 4u)

uint32_t rndis_pkt_hdr_len(uint32_t present)
{
	/* Bits counted by hand: __builtin_popcount becomes a libgcc call in
	 * a freestanding build without POPCNT (the KVM test guest). */
	uint32_t nppi = (present & 1u) + ((present >> 1) & 1u) + ((present >> 2) & 1u) +
			((present >> 3) & 1u);

	return RNDIS_HEADER_SIZE + (uint32_t)sizeof(struct rndis_packet) + nppi * PPI_REC_SIZE;
}

static void wr32(uint8_t *p, uint32_t v)
{
	__builtin_memcpy(p, &v, sizeof(v));
}

static uint8_t *put_ppi(uint8_t *p, uint32_t type, uint32_t val)
{
	wr32(p + offsetof(struct rndis_ppi, size), PPI_REC_SIZE);
	wr32(p + offsetof(struct rndis_ppi, type), type);
	wr32(p + offsetof(struct rndis_ppi, ppi_offset), sizeof(struct rndis_ppi));
	wr32(p + sizeof(struct rndis_ppi), val);
	return p + PPI_REC_SIZE;
}

/* Every field is stored straight into 'buf', never assembled on the stack
 * and copied: the compiler read such a struct back with one wide load over
 * several narrow stores, a store-forwarding failure that waits for the
 * store buffer to drain, including the first store into 'buf', a line the
 * other CPU last held. That wait was 21% of netVSP's lcore and 30% of the
 * sender's CPU at 1514 B (perf, bench_synthetic --tx-zero-copy). */
uint32_t rndis_pkt_build(uint8_t *buf, struct rndis_pkt_info *info)
{
	uint32_t hlen = rndis_pkt_hdr_len(info->present);
	uint8_t *pk = buf + RNDIS_HEADER_SIZE;
	uint8_t *p = pk + sizeof(struct rndis_packet);
	uint32_t ppi_len = hlen - RNDIS_HEADER_SIZE - (uint32_t)sizeof(struct rndis_packet);

	wr32(buf + offsetof(struct rndis_msg_hdr, type), RNDIS_MSG_PACKET);
	wr32(buf + offsetof(struct rndis_msg_hdr, len), hlen + info->data_len);
	wr32(pk + offsetof(struct rndis_packet, data_offset), hlen - RNDIS_HEADER_SIZE);
	wr32(pk + offsetof(struct rndis_packet, data_len), info->data_len);
	wr32(pk + offsetof(struct rndis_packet, oob_data_offset), 0);
	wr32(pk + offsetof(struct rndis_packet, oob_data_len), 0);
	wr32(pk + offsetof(struct rndis_packet, num_oob_data_elements), 0);
	wr32(pk + offsetof(struct rndis_packet, per_pkt_info_offset),
	     ppi_len ? (uint32_t)sizeof(struct rndis_packet) : 0);
	wr32(pk + offsetof(struct rndis_packet, per_pkt_info_len), ppi_len);
	wr32(pk + offsetof(struct rndis_packet, vc_handle), 0);
	wr32(pk + offsetof(struct rndis_packet, reserved), 0);
	if (info->present & RNDIS_PKT_HAS_CSUM)
		p = put_ppi(p, RNDIS_PPI_CHECKSUM, info->csum);
	if (info->present & RNDIS_PKT_HAS_LSO)
		p = put_ppi(p, RNDIS_PPI_LSO, info->lso);
	if (info->present & RNDIS_PKT_HAS_VLAN)
		p = put_ppi(p, RNDIS_PPI_VLAN, info->vlan);
	if (info->present & RNDIS_PKT_HAS_HASH)
		put_ppi(p, RNDIS_PPI_HASH_VALUE, info->hash);
	info->data_off = hlen;
	return hlen;
}
