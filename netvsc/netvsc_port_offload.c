/* mbuf offload requests and results <-> RNDIS per-packet info, as DPDK's
 * netvsc PMD (hn_rxtx.c hn_encap, hn_rxpkt) and Linux netvsc_xmit /
 * netvsc_receive map them. */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "netvsc/netvsc_port.h"

/* What no PPI can carry: tunnels, outer checksums, QinQ, UDP
 * segmentation, SCTP checksums. */
#define TX_UNSUPPORTED (RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_OUTER_IP_CKSUM | \
			RTE_MBUF_F_TX_OUTER_UDP_CKSUM | RTE_MBUF_F_TX_QINQ | RTE_MBUF_F_TX_UDP_SEG)

int netvsc_port_tx_ppi(const struct rte_mbuf *m, struct rndis_pkt_info *info)
{
	uint64_t fl = m->ol_flags, l4 = fl & RTE_MBUF_F_TX_L4_MASK;
	uint32_t l4off = (uint32_t)m->l2_len + m->l3_len, csum = 0;
	bool v4 = (fl & RTE_MBUF_F_TX_IPV4) != 0, v6 = (fl & RTE_MBUF_F_TX_IPV6) != 0;

	memset(info, 0, sizeof(*info));
	if ((fl & TX_UNSUPPORTED) || l4 == RTE_MBUF_F_TX_SCTP_CKSUM || (v4 && v6))
		return -EINVAL;
	if (fl & RTE_MBUF_F_TX_VLAN) {
		info->vlan = netvsc_ppi_vlan(m->vlan_tci);
		info->present |= RNDIS_PKT_HAS_VLAN;
	}
	if (fl & RTE_MBUF_F_TX_TCP_SEG) {
		/* LSOv2 alone, as Linux sends it: the host checksums every
		 * segment it makes. */
		if (m->tso_segsz == 0 || m->l2_len == 0 || m->l3_len == 0 || m->l4_len == 0 ||
		    !(v4 || v6) || l4off > NDIS_LSO_TCP_OFF_MASK)
			return -EINVAL;
		info->lso = netvsc_ppi_lso(m->tso_segsz, l4off, v6);
		info->present |= RNDIS_PKT_HAS_LSO;
		return 0;
	}
	if (!(fl & RTE_MBUF_F_TX_IP_CKSUM) && l4 == 0)
		return 0;
	/* The IP header checksum is IPv4's; DPDK also wants TX_IPV4 then,
	 * but it says nothing new. */
	if (fl & RTE_MBUF_F_TX_IP_CKSUM) {
		if (v6)
			return -EINVAL;
		v4 = true;
		csum |= NDIS_TXCSUM_IP_HEADER;
	}
	if (!(v4 || v6) || m->l2_len == 0 || m->l3_len == 0 || l4off > 0x3ffu)
		return -EINVAL;
	csum |= v4 ? NDIS_TXCSUM_IPV4 : NDIS_TXCSUM_IPV6;
	if (l4 == RTE_MBUF_F_TX_TCP_CKSUM)
		csum |= NDIS_TXCSUM_TCP;
	else if (l4 == RTE_MBUF_F_TX_UDP_CKSUM)
		csum |= NDIS_TXCSUM_UDP;
	info->csum = netvsc_ppi_csum(csum, l4off);
	info->present |= RNDIS_PKT_HAS_CSUM;
	return 0;
}

void netvsc_port_rx_offload(struct rte_mbuf *m, const struct rndis_pkt_info *info)
{
	if (info->present & RNDIS_PKT_HAS_VLAN) {
		/* The tag never stays in the frame: the host strips it. */
		m->vlan_tci = netvsc_vlan_tci(info->vlan);
		m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
	}
	if (info->present & RNDIS_PKT_HAS_CSUM) {
		uint32_t v = info->csum;

		if (v & NDIS_RXCSUM_IP_SUCCEEDED)
			m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
		else if (v & NDIS_RXCSUM_IP_FAILED)
			m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
		if (v & (NDIS_RXCSUM_TCP_SUCCEEDED | NDIS_RXCSUM_UDP_SUCCEEDED))
			m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_GOOD;
		else if (v & (NDIS_RXCSUM_TCP_FAILED | NDIS_RXCSUM_UDP_FAILED))
			m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_BAD;
	}
	if (info->present & RNDIS_PKT_HAS_HASH) {
		m->hash.rss = info->hash;
		m->ol_flags |= RTE_MBUF_F_RX_RSS_HASH;
	}
}
