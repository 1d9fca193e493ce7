/* Receive-side scaling as the guest configures it: its Toeplitz key and
 * indirection table of channel numbers (OID_GEN_RECEIVE_SCALE_PARAMETERS,
 * reference §3.2 step 11) choose the channel for each frame bound for it. */
#include <errno.h>
#include <string.h>

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_thash.h>

#include "netvsp/netvsp_priv.h"

int nvsp_rss_set(struct netvsp_nic *nic, const uint8_t *buf, uint32_t len)
{
	struct ndis_rss_params p;
	uint32_t entries, i;

	if (len < sizeof(p))
		return -EINVAL;
	memcpy(&p, buf, sizeof(p));
	if (p.hdr.type != NDIS_OBJECT_TYPE_RSS_PARAMETERS)
		return -EINVAL;
	if (p.flag & NDIS_RSS_PARAM_FLAG_DISABLE_RSS) {
		hvn_store_relaxed(&nic->rss_on, false);
		return 0;
	}
	entries = p.indirect_tabsize / sizeof(uint32_t);
	if (entries == 0 || entries > NDIS_RSS_TABLE_MAX || (entries & (entries - 1)) != 0 ||
	    p.indirect_taboffset > len || p.indirect_tabsize > len - p.indirect_taboffset ||
	    p.hashkey_size != NDIS_RSS_KEY_SIZE || p.hashkey_offset > len ||
	    p.hashkey_size > len - p.hashkey_offset ||
	    !(p.hashinfo & NDIS_HASH_FUNC_TOEPLITZ))
		return -EINVAL;
	for (i = 0; i < entries; i++) {
		uint32_t q;

		memcpy(&q, buf + p.indirect_taboffset + i * sizeof(q), sizeof(q));
		if (q >= nic->cfg.max_queues)
			return -EINVAL;
	}
	/* Pollers of other queues read the table while it changes; a frame
	 * steered by a half-written table only lands on another valid
	 * queue. */
	hvn_store_relaxed(&nic->rss_on, false);
	for (i = 0; i < entries; i++) {
		uint32_t q;

		memcpy(&q, buf + p.indirect_taboffset + i * sizeof(q), sizeof(q));
		nic->rss_table[i] = (uint16_t)q;
	}
	memcpy(nic->rss_key, buf + p.hashkey_offset, NDIS_RSS_KEY_SIZE);
	nic->rss_hashinfo = p.hashinfo;
	nic->rss_table_size = entries;
	hvn_store_release(&nic->rss_on, true);
	return 0;
}

/* The NDIS hash of a frame: TCP 4-tuple where enabled, else the IP
 * addresses; 0 with no hash (the frame goes to channel 0). */
static bool frame_hash(const struct netvsp_nic *nic, const struct rte_mbuf *m, uint32_t *hash)
{
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = RTE_ETHER_HDR_LEN, hi = nic->rss_hashinfo;
	uint32_t tuple[RTE_THASH_V6_L4_LEN];
	uint16_t et;

	if (len < off)
		return false;
	memcpy(&et, f + 12, 2);
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		if (len < off + 4)
			return false;
		memcpy(&et, f + 16, 2);
		off += 4;
	}
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && (hi & (NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4))) {
		const struct rte_ipv4_hdr *ip = (const void *)(f + off);
		uint32_t ihl;

		if (len < off + sizeof(*ip))
			return false;
		ihl = (ip->version_ihl & 0xfu) * 4u;
		tuple[0] = rte_be_to_cpu_32(ip->src_addr);
		tuple[1] = rte_be_to_cpu_32(ip->dst_addr);
		if ((hi & NDIS_HASH_TCP_IPV4) && ip->next_proto_id == IPPROTO_TCP &&
		    (ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) == 0 && len >= off + ihl + 4) {
			uint16_t ports[2];

			memcpy(ports, f + off + ihl, 4);
			tuple[2] = (uint32_t)rte_be_to_cpu_16(ports[0]) << 16 | rte_be_to_cpu_16(ports[1]);
			*hash = rte_softrss(tuple, RTE_THASH_V4_L4_LEN, nic->rss_key);
			return true;
		}
		if (!(hi & NDIS_HASH_IPV4))
			return false;
		*hash = rte_softrss(tuple, RTE_THASH_V4_L3_LEN, nic->rss_key);
		return true;
	}
	if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) && (hi & (NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6))) {
		const struct rte_ipv6_hdr *ip = (const void *)(f + off);
		unsigned int i;

		if (len < off + sizeof(*ip))
			return false;
		for (i = 0; i < 4; i++) {
			uint32_t s, d;

			memcpy(&s, ip->src_addr + 4 * i, 4);
			memcpy(&d, ip->dst_addr + 4 * i, 4);
			tuple[i] = rte_be_to_cpu_32(s);
			tuple[4 + i] = rte_be_to_cpu_32(d);
		}
		if ((hi & NDIS_HASH_TCP_IPV6) && ip->proto == IPPROTO_TCP &&
		    len >= off + sizeof(*ip) + 4) {
			uint16_t ports[2];

			memcpy(ports, f + off + sizeof(*ip), 4);
			tuple[8] = (uint32_t)rte_be_to_cpu_16(ports[0]) << 16 | rte_be_to_cpu_16(ports[1]);
			*hash = rte_softrss(tuple, RTE_THASH_V6_L4_LEN, nic->rss_key);
			return true;
		}
		if (!(hi & NDIS_HASH_IPV6))
			return false;
		*hash = rte_softrss(tuple, RTE_THASH_V6_L3_LEN, nic->rss_key);
		return true;
	}
	return false;
}

void nvsp_rss_steer(void *port, struct rte_mbuf **pkts, uint16_t n, uint16_t *queues)
{
	struct netvsp_nic *nic = port;
	uint16_t nq = hvn_load_acquire(&nic->nb_queues), i;

	if (nq <= 1 || !hvn_load_acquire(&nic->rss_on)) {
		memset(queues, 0, n * sizeof(*queues));
		return;
	}
	for (i = 0; i < n; i++) {
		uint32_t h;
		uint16_t q = 0;

		if (frame_hash(nic, pkts[i], &h)) {
			q = nic->rss_table[h & (nic->rss_table_size - 1u)];
			pkts[i]->hash.rss = h;
			pkts[i]->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
			if (q >= nq || hvn_load_relaxed(&nic->q[q]) == NULL)
				q = 0;
		}
		queues[i] = q;
	}
}
