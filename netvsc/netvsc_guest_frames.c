/* Test frames of hvnet-netvsc-guest (see netvsc_guest_frames.h). */
#include "netvsc/netvsc_guest_frames.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#define PORT_DATA_UDP 5000u
#define PORT_DATA_TCP 5001u

static uint8_t pattern(uint32_t flow, uint64_t off)
{
	return (uint8_t)(off * 7u + flow * 131u + (off >> 9));
}

static void put_eth(const struct netvsc_gf *cfg, uint8_t *f)
{
	struct rte_ether_hdr *e = (struct rte_ether_hdr *)f;

	memcpy(&e->dst_addr, cfg->peer, 6);
	memcpy(&e->src_addr, cfg->self, 6);
	e->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
}

static uint32_t ip_src(uint32_t flow)
{
	return (10u << 24) | (1u << 16) | (flow & 0xffffu);
}

/* Not a GF(2)-linear function of the source (Toeplitz hashing is): the
 * flows' hashes then differ in their low bits and spread over queues. */
static uint32_t ip_dst(uint32_t flow)
{
	return (10u << 24) | (2u << 16) | ((flow * 40503u) & 0xffffu);
}

static struct rte_ipv4_hdr *put_ip(uint8_t *f, uint32_t flow, uint8_t proto, uint32_t len,
				   uint16_t id)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);

	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - RTE_ETHER_HDR_LEN));
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(ip_src(flow));
	ip->dst_addr = rte_cpu_to_be_32(ip_dst(flow));
	return ip;
}

void netvsc_gf_udp(const struct netvsc_gf *cfg, uint8_t *f, uint32_t flow, uint64_t seq)
{
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;
	uint8_t *pl = f + NETVSC_GF_HDR_UDP;
	uint32_t i, n = cfg->size - NETVSC_GF_HDR_UDP;

	put_eth(cfg, f);
	ip = put_ip(f, flow, IPPROTO_UDP, cfg->size, (uint16_t)seq);
	uh = (struct rte_udp_hdr *)(ip + 1);
	uh->src_port = rte_cpu_to_be_16((uint16_t)(1024u + flow));
	uh->dst_port = rte_cpu_to_be_16(PORT_DATA_UDP);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)n + sizeof(*uh));
	uh->dgram_cksum = 0;
	memcpy(pl, &flow, 4);
	memcpy(pl + 4, &seq, 8);
	for (i = 12; i < n; i++)
		pl[i] = pattern(flow, seq + i);
	if (cfg->csum_offload) {
		uh->dgram_cksum = rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM);
	} else {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
	}
}

void netvsc_gf_tcp(const struct netvsc_gf *cfg, uint8_t *f, uint32_t flow, uint64_t msg)
{
	uint32_t p = netvsc_gf_payload(cfg), i;
	uint64_t base = msg * p;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint8_t *pl = f + NETVSC_GF_HDR_TCP;

	put_eth(cfg, f);
	ip = put_ip(f, flow, IPPROTO_TCP, cfg->size, (uint16_t)(msg * 64u));
	th = (struct rte_tcp_hdr *)(ip + 1);
	memset(th, 0, sizeof(*th));
	th->src_port = rte_cpu_to_be_16((uint16_t)(1024u + flow));
	th->dst_port = rte_cpu_to_be_16(PORT_DATA_TCP);
	th->sent_seq = rte_cpu_to_be_32((uint32_t)base);
	th->data_off = 5u << 4;
	th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
	th->rx_win = rte_cpu_to_be_16(65535);
	for (i = 0; i < p; i++)
		pl[i] = pattern(flow, base + i);
	/* What a TSO request carries: the pseudo-header sum without the
	 * length; the host fills the rest into every segment. */
	th->cksum = rte_ipv4_phdr_cksum(ip, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG);
}

void netvsc_gf_probe(const struct netvsc_gf *cfg, uint8_t *f)
{
	struct rte_ipv4_hdr *ip;
	struct rte_udp_hdr *uh;

	memset(f, 0, 64);
	put_eth(cfg, f);
	ip = put_ip(f, 0xffffu, IPPROTO_UDP, 64, 0);
	uh = (struct rte_udp_hdr *)(ip + 1);
	uh->src_port = rte_cpu_to_be_16(NETVSC_GF_PORT_PROBE);
	uh->dst_port = rte_cpu_to_be_16(NETVSC_GF_PORT_PROBE);
	uh->dgram_len = rte_cpu_to_be_16(64 - NETVSC_GF_HDR_UDP + sizeof(*uh));
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->dgram_cksum = rte_ipv4_udptcp_cksum(ip, uh);
}

/* The pseudo header and the transport segment sum to 0xffff when the
 * checksum in it is right (rte_ipv4_udptcp_cksum_verify is still
 * experimental in DPDK 22.11). */
static bool l4_cksum_ok(const struct rte_ipv4_hdr *ip, const void *l4)
{
	uint32_t len = rte_be_to_cpu_16(ip->total_length) - (uint32_t)sizeof(*ip);
	uint32_t sum = (uint32_t)rte_raw_cksum(l4, len) + rte_ipv4_phdr_cksum(ip, 0);

	sum = (sum & 0xffffu) + (sum >> 16);
	sum = (sum & 0xffffu) + (sum >> 16);
	return sum == 0xffffu;
}

/* The Ethernet and IPv4 headers of a frame from the peer; the flow from
 * the addresses. */
static enum netvsc_gf_verdict check_l3(const struct netvsc_gf *cfg, const uint8_t *f, uint32_t len,
				       uint8_t proto, uint32_t *flow)
{
	const struct rte_ether_hdr *e = (const struct rte_ether_hdr *)f;
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	uint32_t src, dst;

	if (len < RTE_ETHER_HDR_LEN + sizeof(*ip) + 8u)
		return NETVSC_GF_BAD_LEN;
	if (memcmp(&e->dst_addr, cfg->self, 6) != 0 || memcmp(&e->src_addr, cfg->peer, 6) != 0 ||
	    e->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != proto ||
	    rte_be_to_cpu_16(ip->total_length) != len - RTE_ETHER_HDR_LEN)
		return NETVSC_GF_BAD_HDR;
	if (rte_ipv4_cksum(ip) != 0)
		return NETVSC_GF_BAD_CSUM;
	src = rte_be_to_cpu_32(ip->src_addr);
	dst = rte_be_to_cpu_32(ip->dst_addr);
	if ((src & 0xffff0000u) != ip_src(0) || dst != ip_dst(src & 0xffffu))
		return NETVSC_GF_BAD_FLOW;
	*flow = src & 0xffffu;
	return NETVSC_GF_OK;
}

enum netvsc_gf_verdict netvsc_gf_check_udp(const struct netvsc_gf *cfg, const uint8_t *f,
					   uint32_t len, uint8_t *scratch, uint32_t *flow,
					   uint64_t *seq)
{
	struct netvsc_gf want = *cfg;
	const struct rte_udp_hdr *uh = (const struct rte_udp_hdr *)(f + RTE_ETHER_HDR_LEN +
								     sizeof(struct rte_ipv4_hdr));
	enum netvsc_gf_verdict v = check_l3(cfg, f, len, IPPROTO_UDP, flow);

	if (v != NETVSC_GF_OK)
		return v;
	if (uh->dst_port == rte_cpu_to_be_16(NETVSC_GF_PORT_PROBE))
		return NETVSC_GF_PROBE;
	if (cfg->lso || len != cfg->size || *flow >= cfg->flows)
		return NETVSC_GF_BAD_LEN;
	if (!l4_cksum_ok((const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN), uh))
		return NETVSC_GF_BAD_CSUM;
	memcpy(seq, f + NETVSC_GF_HDR_UDP + 4, 8);
	/* The frame the peer built, with the checksums the host (or the
	 * peer) computed: every byte must match. */
	memcpy(want.self, cfg->peer, 6);
	memcpy(want.peer, cfg->self, 6);
	want.csum_offload = false;
	netvsc_gf_udp(&want, scratch, *flow, *seq);
	return memcmp(scratch, f, len) == 0 ? NETVSC_GF_OK : NETVSC_GF_BAD_DATA;
}

enum netvsc_gf_verdict netvsc_gf_check_tcp(const struct netvsc_gf *cfg, const uint8_t *f,
					   uint32_t len, uint32_t *flow, uint64_t *off,
					   uint32_t *plen)
{
	const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + RTE_ETHER_HDR_LEN);
	const struct rte_tcp_hdr *th = (const struct rte_tcp_hdr *)(ip + 1);
	enum netvsc_gf_verdict v;
	uint32_t i, n;

	if (len >= NETVSC_GF_HDR_UDP && ip->next_proto_id == IPPROTO_UDP) {
		v = check_l3(cfg, f, len, IPPROTO_UDP, flow);
		if (v != NETVSC_GF_OK)
			return v;
		return ((const struct rte_udp_hdr *)th)->dst_port ==
		       rte_cpu_to_be_16(NETVSC_GF_PORT_PROBE) ? NETVSC_GF_PROBE : NETVSC_GF_BAD_HDR;
	}
	v = check_l3(cfg, f, len, IPPROTO_TCP, flow);
	if (v != NETVSC_GF_OK)
		return v;
	if (len <= NETVSC_GF_HDR_TCP || *flow >= cfg->flows)
		return NETVSC_GF_BAD_LEN;
	if (th->src_port != rte_cpu_to_be_16((uint16_t)(1024u + *flow)) ||
	    th->dst_port != rte_cpu_to_be_16(PORT_DATA_TCP) || th->data_off != 5u << 4)
		return NETVSC_GF_BAD_HDR;
	if (!l4_cksum_ok(ip, th))
		return NETVSC_GF_BAD_CSUM;
	n = len - NETVSC_GF_HDR_TCP;
	*off = rte_be_to_cpu_32(th->sent_seq);
	*plen = n;
	for (i = 0; i < n; i++)
		if (f[NETVSC_GF_HDR_TCP + i] != pattern(*flow, *off + i))
			return NETVSC_GF_BAD_DATA;
	return NETVSC_GF_OK;
}

uint32_t netvsc_gf_tuple(const struct netvsc_gf *cfg, uint32_t flow, uint32_t tuple[3])
{
	tuple[0] = ip_src(flow);
	tuple[1] = ip_dst(flow);
	if (!cfg->lso)
		return 2;   /* UDP: the host hashes IPv4 addresses only */
	tuple[2] = (1024u + flow) << 16 | PORT_DATA_TCP;
	return 3;
}
