/* The port API's offload mapping: mbuf transmit requests become the PPIs
 * Linux netvsc_xmit would send (checked bit by bit against the layouts of
 * hyperv_net.h, then through the shared RNDIS builder and parser, which
 * is what netVSP reads), and received PPIs become the mbuf fields and
 * flags DPDK's netvsc PMD sets. Requests no PPI can carry are refused. */
#include <errno.h>
#include <string.h>

#include <rte_mbuf.h>

#include "netvsc/netvsc_port.h"
#include "tests/harness/hvn_test.h"

static struct rte_mbuf mb;

static struct rte_mbuf *fresh(uint64_t flags, uint8_t l2, uint16_t l3, uint8_t l4)
{
	memset(&mb, 0, sizeof(mb));
	mb.ol_flags = flags;
	mb.l2_len = l2;
	mb.l3_len = l3;
	mb.l4_len = l4;
	return &mb;
}

/* The PPIs survive the RNDIS packet netVSP parses. */
static void round_trip(const struct rndis_pkt_info *in)
{
	uint8_t buf[256];
	struct rndis_pkt_info b = *in, out;

	memset(&out, 0, sizeof(out));
	b.data_len = 60;
	rndis_pkt_build(buf, &b);
	memset(buf + b.data_off, 0xab, 60);
	T_EQ(rndis_pkt_parse(buf, b.data_off + 60, b.data_off + 60, &out), 0);
	T_EQ(out.present, in->present);
	T_EQ(out.data_len, 60);
	if (in->present & RNDIS_PKT_HAS_VLAN)
		T_EQ(out.vlan, in->vlan);
	if (in->present & RNDIS_PKT_HAS_CSUM)
		T_EQ(out.csum, in->csum);
	if (in->present & RNDIS_PKT_HAS_LSO)
		T_EQ(out.lso, in->lso);
}

static void tx_none(void)
{
	struct rndis_pkt_info i;

	T_EQ(netvsc_port_tx_ppi(fresh(0, 14, 20, 0), &i), 0);
	T_EQ(i.present, 0);
	/* Header lengths alone ask for nothing. */
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IPV4, 14, 20, 20), &i), 0);
	T_EQ(i.present, 0);
}

static void tx_vlan(void)
{
	struct rndis_pkt_info i;
	struct rte_mbuf *m = fresh(RTE_MBUF_F_TX_VLAN, 0, 0, 0);

	/* PCP 5, DEI 1, VID 100: ndis_pkt_8021q_info is pri:3 cfi:1 vlanid:12. */
	m->vlan_tci = 5u << 13 | 1u << 12 | 100u;
	T_EQ(netvsc_port_tx_ppi(m, &i), 0);
	T_EQ(i.present, RNDIS_PKT_HAS_VLAN);
	T_EQ(i.vlan, 5u | 1u << 3 | 100u << 4);
	round_trip(&i);
}

static void tx_csum(void)
{
	struct rndis_pkt_info i;

	/* ndis_tcp_ip_checksum_info transmit: is_ipv4:1 is_ipv6:1 tcp:1 udp:1
	 * ip_header:1 reserved:11 tcp_header_offset:10. */
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
				      RTE_MBUF_F_TX_TCP_CKSUM, 14, 20, 20), &i), 0);
	T_EQ(i.present, RNDIS_PKT_HAS_CSUM);
	T_EQ(i.csum, 1u << 0 | 1u << 2 | 1u << 4 | 34u << 16);
	round_trip(&i);
	/* UDP over IPv4 without the header checksum. */
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM, 14, 20, 8), &i), 0);
	T_EQ(i.csum, 1u << 0 | 1u << 3 | 34u << 16);
	/* The IPv4 header checksum alone. */
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IP_CKSUM, 18, 24, 0), &i), 0);
	T_EQ(i.csum, 1u << 0 | 1u << 4 | 42u << 16);
	/* TCP over IPv6, after a VLAN tag in the frame. */
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM, 18, 40, 20), &i), 0);
	T_EQ(i.csum, 1u << 1 | 1u << 2 | 58u << 16);
	round_trip(&i);
}

static void tx_lso(void)
{
	struct rndis_pkt_info i;
	struct rte_mbuf *m;

	/* lso_v2_transmit: mss:20 tcp_header_offset:10 type:1 ip_version:1.
	 * Linux sends LSO alone: the host checksums the segments. */
	m = fresh(RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
		  RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_VLAN, 14, 20, 32);
	m->tso_segsz = 1448;
	m->vlan_tci = 42;
	T_EQ(netvsc_port_tx_ppi(m, &i), 0);
	T_EQ(i.present, RNDIS_PKT_HAS_LSO | RNDIS_PKT_HAS_VLAN);
	T_EQ(i.lso, 1448u | 34u << 20 | 1u << 30);
	T_EQ(i.vlan, 42u << 4);
	round_trip(&i);
	m = fresh(RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM, 14, 40, 20);
	m->tso_segsz = 8940;
	T_EQ(netvsc_port_tx_ppi(m, &i), 0);
	T_EQ(i.present, RNDIS_PKT_HAS_LSO);
	T_EQ(i.lso, 8940u | 54u << 20 | 1u << 30 | 1u << 31);
	round_trip(&i);
}

static void tx_refused(void)
{
	struct rndis_pkt_info i;
	struct rte_mbuf *m;

	/* A checksum needs the transport header's offset. */
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM, 14, 0, 20), &i),
	     -EINVAL);
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_TCP_CKSUM, 14, 20, 20), &i), -EINVAL);
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM, 14, 40, 0), &i),
	     -EINVAL);
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 |
				      RTE_MBUF_F_TX_UDP_CKSUM, 14, 20, 8), &i), -EINVAL);
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_SCTP_CKSUM, 14, 20, 12), &i),
	     -EINVAL);
	/* Tunnels, outer checksums, QinQ, UDP segmentation: no PPI for them. */
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_TUNNEL_VXLAN, 14, 20, 8), &i), -EINVAL);
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_OUTER_IP_CKSUM, 14, 20, 8), &i), -EINVAL);
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_QINQ, 14, 20, 8), &i), -EINVAL);
	T_EQ(netvsc_port_tx_ppi(fresh(RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_IPV4, 14, 20, 8), &i),
	     -EINVAL);
	/* Segmentation needs an MSS, every header length and the IP version. */
	m = fresh(RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4, 14, 20, 20);
	T_EQ(netvsc_port_tx_ppi(m, &i), -EINVAL);
	m->tso_segsz = 1448;
	T_EQ(netvsc_port_tx_ppi(m, &i), 0);
	m->l4_len = 0;
	T_EQ(netvsc_port_tx_ppi(m, &i), -EINVAL);
	m = fresh(RTE_MBUF_F_TX_TCP_SEG, 14, 20, 20);
	m->tso_segsz = 1448;
	T_EQ(netvsc_port_tx_ppi(m, &i), -EINVAL);
}

static void rx_flags(void)
{
	struct rndis_pkt_info i;
	struct rte_mbuf *m;

	memset(&i, 0, sizeof(i));
	m = fresh(0, 0, 0, 0);
	netvsc_port_rx_offload(m, &i);
	T_EQ(m->ol_flags, 0);

	i.present = RNDIS_PKT_HAS_VLAN | RNDIS_PKT_HAS_CSUM | RNDIS_PKT_HAS_HASH;
	i.vlan = 3u | 1u << 3 | 4094u << 4;
	i.csum = NDIS_RXCSUM_IP_SUCCEEDED | NDIS_RXCSUM_TCP_SUCCEEDED;
	i.hash = 0xdeadbeef;
	m = fresh(0, 0, 0, 0);
	netvsc_port_rx_offload(m, &i);
	T_EQ(m->vlan_tci, 3u << 13 | 1u << 12 | 4094u);
	T_EQ(m->hash.rss, 0xdeadbeef);
	T_EQ(m->ol_flags, RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED |
			  RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD |
			  RTE_MBUF_F_RX_RSS_HASH);

	i.present = RNDIS_PKT_HAS_CSUM;
	i.csum = NDIS_RXCSUM_IP_SUCCEEDED | NDIS_RXCSUM_UDP_SUCCEEDED;
	m = fresh(0, 0, 0, 0);
	netvsc_port_rx_offload(m, &i);
	T_EQ(m->ol_flags, RTE_MBUF_F_RX_IP_CKSUM_GOOD | RTE_MBUF_F_RX_L4_CKSUM_GOOD);

	i.csum = NDIS_RXCSUM_IP_FAILED | NDIS_RXCSUM_UDP_FAILED;
	m = fresh(0, 0, 0, 0);
	netvsc_port_rx_offload(m, &i);
	T_EQ(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, RTE_MBUF_F_RX_IP_CKSUM_BAD);
	T_EQ(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_BAD);

	/* IP checked, transport not: only the IP flag. */
	i.csum = NDIS_RXCSUM_IP_SUCCEEDED | NDIS_RXCSUM_TCP_FAILED;
	m = fresh(0, 0, 0, 0);
	netvsc_port_rx_offload(m, &i);
	T_EQ(m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK, RTE_MBUF_F_RX_IP_CKSUM_GOOD);
	T_EQ(m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK, RTE_MBUF_F_RX_L4_CKSUM_BAD);
	i.csum = 0;
	m = fresh(0, 0, 0, 0);
	netvsc_port_rx_offload(m, &i);
	T_EQ(m->ol_flags, 0);
}

/* A tag goes out and comes back unchanged, whatever its PCP, DEI and VID. */
static void vlan_both_ways(void)
{
	struct rndis_pkt_info i;
	struct rte_mbuf *m;
	uint32_t tci;

	for (tci = 0; tci <= 0xffff; tci += 0x1111) {
		m = fresh(RTE_MBUF_F_TX_VLAN, 0, 0, 0);
		m->vlan_tci = (uint16_t)tci;
		T_EQ(netvsc_port_tx_ppi(m, &i), 0);
		m = fresh(0, 0, 0, 0);
		netvsc_port_rx_offload(m, &i);
		T_EQ(m->vlan_tci, tci);
	}
}

int main(void)
{
	T_RUN(tx_none);
	T_RUN(tx_vlan);
	T_RUN(tx_csum);
	T_RUN(tx_lso);
	T_RUN(tx_refused);
	T_RUN(rx_flags);
	T_RUN(vlan_both_ways);
	return 0;
}
