/* Conformance: netVSP driven exactly as Linux 6.1 hv_netvsc drives it
 * (reference §3.2-3.5), every reply checked with the checks Linux applies
 * and the bytes of every frame compared both ways. */
/* rte_ipv4_udptcp_cksum_verify() is still experimental in 22.11. */
#define ALLOW_EXPERIMENTAL_API 1

#include <string.h>

#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "proto/rndis_pkt.h"
#include "tests/harness/hvn_test.h"
#include "tests/unit/netvsp_guest.h"

#define TCP_OFF 34u   /* Ethernet + IPv4 without options */

static uint16_t be16(uint16_t v) { return rte_cpu_to_be_16(v); }

/* Ethernet/IPv4/{TCP,UDP} to 'dst' with 'plen' payload bytes of a
 * pattern; checksums left 0 when 'csum' is false. Returns the length. */
static uint32_t make_frame(uint8_t *f, const uint8_t *dst, bool tcp, uint32_t plen, uint32_t seed,
			   bool csum)
{
	uint32_t l4 = tcp ? 20 : 8, i, ipl = 20 + l4 + plen;
	struct rte_ipv4_hdr *ip = (void *)(f + 14);

	memset(f, 0, 14 + ipl);
	memcpy(f, dst, 6);
	memcpy(f + 6, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x99 }, 6);
	f[12] = 0x08;
	ip->version_ihl = 0x45;
	ip->total_length = be16((uint16_t)ipl);
	ip->packet_id = be16(0x1234);
	ip->time_to_live = 64;
	ip->next_proto_id = tcp ? IPPROTO_TCP : IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000001);
	ip->dst_addr = rte_cpu_to_be_32(0x0a000002 + seed % 7);
	if (tcp) {
		struct rte_tcp_hdr *th = (void *)(f + TCP_OFF);

		th->src_port = be16((uint16_t)(1000 + seed));
		th->dst_port = be16(80);
		th->sent_seq = rte_cpu_to_be_32(0x10000000u + seed);
		th->data_off = 5 << 4;
		th->tcp_flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		th->rx_win = be16(512);
	} else {
		uint8_t *uh = f + TCP_OFF;

		memcpy(uh, (uint16_t[]){ be16((uint16_t)(2000 + seed)), be16(53), be16((uint16_t)(8 + plen)) }, 6);
	}
	for (i = 0; i < plen; i++)
		f[TCP_OFF + l4 + i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
	if (csum) {
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		if (tcp)
			((struct rte_tcp_hdr *)(f + TCP_OFF))->cksum = rte_ipv4_udptcp_cksum(ip, f + TCP_OFF);
		else
			memcpy(f + TCP_OFF + 6, (uint16_t[]){ rte_ipv4_udptcp_cksum(ip, f + TCP_OFF) }, 2);
	}
	return 14 + ipl;
}

static void mbuf_eq(struct rte_mbuf *m, const uint8_t *want, uint32_t len)
{
	static uint8_t tmp[70000];
	const uint8_t *p;

	T_EQ(rte_pktmbuf_pkt_len(m), len);
	p = rte_pktmbuf_read(m, 0, len, tmp);
	T_ASSERT(p != NULL);
	T_EQ(memcmp(p, want, len), 0);
}

static struct ng_nic *setup(struct ng **gp, uint16_t queues, const struct ng_init_opts *o)
{
	struct ng *g = ng_create();
	struct ng_nic *n;

	T_ASSERT(g != NULL);
	n = ng_nic_add(g, queues, 0);
	T_ASSERT(n != NULL);
	T_EQ(ng_linux_init(n, o), 0);
	*gp = g;
	return n;
}

/* A delivered transfer packet: id, ranges within sub-allocations, each an
 * RNDIS message Linux accepts. Returns the ranges checked. */
static uint32_t check_xfer(struct ng_nic *n, const struct ng_rx *x)
{
	uint32_t i, type;

	T_EQ(x->xfer_id, NVSP_RECV_BUF_ID);
	T_ASSERT(x->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
	T_ASSERT(x->nranges >= 1 && x->nranges <= NVSP_RSC_MAX && x->nranges <= NG_MAX_RANGES);
	memcpy(&type, x->payload, 4);
	T_EQ(type, NVSP_MSG1_SEND_RNDIS_PKT);
	for (i = 0; i < x->nranges; i++) {
		uint32_t in = x->ranges[i].byte_offset % n->sub_alloc_size;

		T_ASSERT(x->ranges[i].byte_count >= 1);
		T_ASSERT(x->ranges[i].byte_count <= n->sub_alloc_size);
		T_ASSERT((uint64_t)x->ranges[i].byte_offset + x->ranges[i].byte_count <=
			 (uint64_t)n->sub_alloc_size * n->num_sub_allocs);
		/* Frames share sub-allocations but never cross one, and one
		 * behind another keeps off the 36 bytes Windows cannot use. */
		T_ASSERT(in + x->ranges[i].byte_count <= n->sub_alloc_size);
		T_ASSERT(in == 0 || in + x->ranges[i].byte_count <= n->sub_alloc_size - 36);
		T_EQ(in % 64, 0);
	}
	return x->nranges;
}

/* Range r of x as a parsed RNDIS packet; the frame copied to 'frame'. */
static struct rndis_pkt_info read_pkt(struct ng_nic *n, const struct ng_rx *x, uint32_t r,
				      uint8_t *frame)
{
	static uint8_t msg[4096];
	struct rndis_pkt_info info;
	uint32_t len = x->ranges[r].byte_count, t, ml;

	ng_rbuf_read(n, x->ranges[r].byte_offset, len, msg);
	memcpy(&t, msg, 4);
	memcpy(&ml, msg + 4, 4);
	T_EQ(t, RNDIS_MSG_PACKET);
	T_ASSERT(ml <= len);
	memset(&info, 0, sizeof(info));
	T_EQ(rndis_pkt_parse(msg, ml, ml, &info), 0);
	memcpy(frame, msg + info.data_off, info.data_len);
	return info;
}

static void test_init_linux61(void)
{
	struct ng_init_opts o = { .subchannels = 3, .rss = true };
	struct ng *g;
	struct ng_nic *n = setup(&g, 4, &o);
	struct ng_init_log *lg = &n->log;
	struct netvsp_stats st;
	uint32_t v, i;

	/* INIT for 6.1, first try, a full 40-byte completion. */
	T_EQ(lg->ntried, 1);
	T_EQ(lg->tried[0], NVSP_VERSION_61);
	T_ASSERT(lg->init_comp_len >= 28);
	T_EQ(lg->init_comp.u.init_complete.negotiated_protocol_ver, NVSP_VERSION_61);
	/* Receive buffer completion. */
	T_EQ(lg->recv_comp.u.recv_buf_complete.num_sections, 1);
	T_EQ(lg->recv_comp.u.recv_buf_complete.sections[0].offset, 0);
	T_ASSERT(n->sub_alloc_size >= 68);
	T_ASSERT((uint64_t)n->sub_alloc_size * n->num_sub_allocs <= NG_RBUF_SIZE);
	T_EQ(lg->recv_comp.u.recv_buf_complete.sections[0].end_offset,
	     n->sub_alloc_size * n->num_sub_allocs);
	T_ASSERT(n->section_size >= 68);
	/* RNDIS INIT_C: max_pkt_per_msg and alignment Linux uses. */
	memcpy(&v, n->log.init_c + 8 + 24, 4);
	T_ASSERT(v >= 1);
	memcpy(&v, n->log.init_c + 8 + 32, 4);
	T_ASSERT(v <= 12);
	/* Queries: frame size, permanent address = MAC, name in UTF-16. */
	T_EQ(lg->q[0].status, RNDIS_STATUS_SUCCESS);
	memcpy(&v, lg->q[0].buf, 4);
	T_EQ(v, 1500);
	T_EQ(lg->q[1].len, 6);
	T_EQ(memcmp(lg->q[1].buf, n->mac, 6), 0);
	T_EQ(lg->q[2].status, RNDIS_STATUS_SUCCESS);
	{
		const char *name = "hvnet-nic0";

		T_EQ(lg->q[2].len, 2 * (strlen(name) + 1));
		for (i = 0; i <= strlen(name); i++) {
			T_EQ(lg->q[2].buf[2 * i], (uint8_t)name[i]);
			T_EQ(lg->q[2].buf[2 * i + 1], 0);
		}
	}
	/* hwcaps: revision 3 for NVSP >= 5, size within the query buffer. */
	T_EQ(lg->q[3].buf[0], NDIS_OBJECT_TYPE_OFFLOAD);
	T_EQ(lg->q[3].buf[1], NDIS_OFFLOAD_REVISION_3);
	T_ASSERT(lg->q[3].len >= NDIS_OFFLOAD_SIZE_6_0 && lg->q[3].len <= NDIS_OFFLOAD_SIZE);
	T_EQ(lg->offload_status, RNDIS_STATUS_SUCCESS);
	/* Media connected; link speed in 100 bit/s units. */
	memcpy(&v, lg->q[4].buf, 4);
	T_EQ(v, NDIS_MEDIA_STATE_CONNECTED);
	memcpy(&v, lg->q[5].buf, 4);
	T_EQ(v, 10000000000ull / 100);
	/* RSS caps: num_recv_que = the vNIC's queues. */
	T_EQ(lg->q[6].status, RNDIS_STATUS_SUCCESS);
	T_EQ(lg->q[6].buf[0], NDIS_OBJECT_TYPE_RSS_CAPABILITIES);
	memcpy(&v, lg->q[6].buf + 12, 4);
	T_EQ(v, 4);
	T_EQ(lg->filter_status, RNDIS_STATUS_SUCCESS);
	/* Subchannels: completion before any offer; exactly that many. */
	T_EQ(lg->offers_at_sub_comp, 0);
	T_EQ(n->granted, 3);
	T_EQ(ng_count_offers(n), 4);
	T_ASSERT(ng_offer(n, 4) == NULL);
	/* The send table: count 16, offset passing Linux's bounds check. */
	{
		uint32_t type, count, off;

		T_ASSERT(lg->send_table_len > 0);
		memcpy(&type, lg->send_table, 4);
		memcpy(&count, lg->send_table + 4, 4);
		memcpy(&off, lg->send_table + 8, 4);
		T_EQ(type, NVSP_MSG5_SEND_INDIRECTION_TABLE);
		T_EQ(count, 16);
		T_ASSERT(lg->send_table_len >= count * 4 && off <= lg->send_table_len - count * 4);
		for (i = 0; i < count; i++) {
			memcpy(&v, lg->send_table + off + 4 * i, 4);
			T_ASSERT(v < 4);
		}
	}
	T_EQ(lg->rss_status, RNDIS_STATUS_SUCCESS);
	st = ng_stats(n);
	T_EQ(st.nvsp_version, NVSP_VERSION_61);
	T_EQ(st.queues_open, 4);
	T_ASSERT(st.rndis_ready);
	T_EQ(st.bad_msgs, 0);
	T_EQ(st.bad_completions, 0);
	/* SWITCH_DATA_PATH: a zero-length completion. */
	{
		struct nvsp_msg m;
		struct ng_rx x;
		uint64_t tid;

		memset(&m, 0, sizeof(m));
		m.type = NVSP_MSG4_SWITCH_DATA_PATH;
		m.u.data_path.active_datapath = NVSP_DATAPATH_VF;
		tid = ng_send_nvsp(n, 0, &m, sizeof(m), true);
		T_EQ(ng_wait_comp(n, 0, tid, &x), 0);
		T_EQ(x.plen, 0);
	}
	/* NVSP 6.1: closing the primary withdraws the subchannels. */
	T_EQ(ng_close_chan(n, 0, false), 0);
	ng_pump(g);
	T_EQ(ng_count_offers(n), 1);
	T_EQ(ng_stats(n).queues_open, 0);
	ng_destroy(g);
}

static void test_version_fallback(void)
{
	static const uint32_t only1[] = { NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5,
					  NVSP_VERSION_4, NVSP_VERSION_2, NVSP_VERSION_1 };
	static const uint32_t unknown[] = { 0x70000, NVSP_VERSION_4 };
	struct ng_init_opts o = { .versions = unknown, .nversions = 2 };
	struct ng *g;
	struct ng_nic *n = setup(&g, 1, &o);

	/* An unknown version gets FAIL, then the next succeeds. */
	T_EQ(n->log.ntried, 2);
	T_EQ(n->log.tried_status[0], NVSP_STAT_FAIL);
	T_EQ(n->log.tried_status[1], NVSP_STAT_SUCCESS);
	T_EQ(n->nvsp_ver, NVSP_VERSION_4);
	/* hwcaps revision 2 below NVSP 5; no RSS caps asked. */
	T_EQ(n->log.q[3].buf[1], NDIS_OFFLOAD_REVISION_2);
	/* SUBCHANNEL on NVSP 4: FAIL, counted. */
	{
		struct nvsp_msg m, r;
		uint32_t rlen;

		memset(&m, 0, sizeof(m));
		m.type = NVSP_MSG5_SUBCHANNEL;
		m.u.subchannel_req.op = NVSP_SUBCHANNEL_ALLOCATE;
		m.u.subchannel_req.num_subchannels = 1;
		T_EQ(ng_nvsp_call(n, 0, &m, sizeof(m), &r, &rlen), 0);
		T_EQ(r.u.subchannel_complete.status, NVSP_STAT_FAIL);
		T_EQ(ng_stats(n).bad_msgs, 1);
	}
	ng_destroy(g);

	/* A guest that offers only NVSP 1 (each higher is refused by it,
	 * as Linux would see FAIL): the host accepts 1. */
	o.versions = only1 + 5;
	o.nversions = 1;
	n = setup(&g, 1, &o);
	T_EQ(n->nvsp_ver, NVSP_VERSION_1);
	T_EQ(n->log.q[3].buf[1], NDIS_OFFLOAD_REVISION_1);
	ng_destroy(g);
}

/* Guest TX in the three forms; host->guest back with reuse of slices. */
static void test_frames(void)
{
	struct ng_init_opts o = { .scattered_rbuf = true };
	struct ng *g;
	struct ng_nic *n = setup(&g, 1, &o);
	static uint8_t f[4][9000], msg[4][10000], got[2048];
	const uint8_t *mp[4];
	uint32_t fl[4], ml[4], i;
	struct rte_mbuf *mb[64];
	struct ng_rx x;
	uint64_t tid, comps = ng_stats(n).tx_completions;

	/* Copy mode: three packets batched in one section. */
	for (i = 0; i < 3; i++) {
		fl[i] = make_frame(f[i], n->mac, i != 1, 100 + 300 * i, i, true);
		ml[i] = ng_build_pkt(msg[i], f[i], fl[i], NULL, 0, i < 2);
		mp[i] = msg[i];
	}
	tid = ng_tx_section(n, 0, mp, ml, 3, NVSP_RNDIS_CHANNEL_DATA);
	T_EQ(ng_wait_comp(n, 0, tid, &x), 0);
	T_EQ(x.payload[0], NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE);
	T_EQ(x.payload[4], NVSP_STAT_SUCCESS);
	T_EQ(ng_take_frames(n, 0, mb, 64), 3);
	for (i = 0; i < 3; i++) {
		mbuf_eq(mb[i], f[i], fl[i]);
		rte_pktmbuf_free(mb[i]);
	}
	/* GPA direct: one 4000-byte frame spread over 700-byte ranges. */
	fl[0] = make_frame(f[0], n->mac, true, 3946, 7, true);
	ml[0] = ng_build_pkt(msg[0], f[0], fl[0], NULL, 0, false);
	tid = ng_tx_gpa(n, 0, msg[0], ml[0], 700);
	T_EQ(ng_wait_comp(n, 0, tid, &x), 0);
	T_EQ(x.payload[4], NVSP_STAT_SUCCESS);
	T_EQ(ng_take_frames(n, 0, mb, 64), 1);
	mbuf_eq(mb[0], f[0], fl[0]);
	rte_pktmbuf_free(mb[0]);
	/* cp_partial: two whole packets plus the last one's header in the
	 * section, its 5000-byte frame by GPA. */
	for (i = 0; i < 3; i++) {
		fl[i] = make_frame(f[i], n->mac, true, i == 2 ? 4946 : 60 + i, 20 + i, true);
		ml[i] = ng_build_pkt(msg[i], f[i], fl[i], NULL, 0, i < 2);
		mp[i] = msg[i];
	}
	tid = ng_tx_partial(n, 0, mp, ml, 3, ng_pkt_hdr_len(0));
	T_EQ(ng_wait_comp(n, 0, tid, &x), 0);
	T_EQ(x.payload[4], NVSP_STAT_SUCCESS);
	T_EQ(ng_take_frames(n, 0, mb, 64), 3);
	for (i = 0; i < 3; i++) {
		mbuf_eq(mb[i], f[i], fl[i]);
		rte_pktmbuf_free(mb[i]);
	}
	T_EQ(ng_stats(n).tx_packets, 7);
	T_EQ(ng_stats(n).tx_completions, comps + 3);   /* one per packet */

	/* Host -> guest: more frames than the slice has sub-allocations,
	 * completing every transfer packet as Linux does. */
	{
		uint32_t total = n->num_sub_allocs + 300, sent = 0, seen = 0;

		while (seen < total) {
			uint16_t k = 0, took;

			while (sent < total && k < 32) {
				fl[0] = make_frame(f[0], n->mac, false, 200 + sent % 1000, sent, true);
				mb[k] = ng_mbuf(g, f[0], fl[0]);
				T_ASSERT(mb[k] != NULL);
				k++;
				sent++;
			}
			took = ng_host_tx(n, 0, mb, k);
			T_EQ(took, k);
			while (ng_wait_xfer(n, 0, &x) == 0) {
				uint32_t r, nr = check_xfer(n, &x);

				for (r = 0; r < nr; r++) {
					struct rndis_pkt_info info = read_pkt(n, &x, r, got);
					uint32_t want = make_frame(f[1], n->mac, false,
								   200 + seen % 1000, seen, true);

					T_EQ(info.data_len, want);
					T_EQ(memcmp(got, f[1], want), 0);
					seen++;
				}
				T_EQ(ng_complete_xfer(n, 0, x.tid), 0);
				if (ng_inbox_count(n, 0, VMBUS_PKT_DATA_XFER_PAGES) == 0)
					break;
			}
		}
		T_EQ(seen, total);
		T_EQ(ng_stats(n).rx_packets, total);
		T_EQ(ng_stats(n).rx_drop_nobuf, 0);
		ng_poll(n, 0);
		T_EQ(ng_stats(n).bad_completions, 0);
	}
	ng_destroy(g);
}

/* Small frames are packed: with no completion the buffer takes more
 * 60-byte frames than it has sub-allocations, each intact, and once the
 * guest completes everything the space comes back. */
static void test_rx_packing(void)
{
	struct ng_init_opts o = { .scattered_rbuf = true };
	struct ng *g;
	struct ng_nic *n = setup(&g, 1, &o);
	static uint64_t tids[16384];
	static uint8_t f[128], want[128], got[2048];
	uint32_t sent = 0, seen = 0, ntid = 0, shared = 0, last_sa = UINT32_MAX, i;
	struct rte_mbuf *mb[32];
	struct ng_rx x;

	for (;;) {
		uint16_t k, took;

		for (k = 0; k < 32; k++) {
			uint32_t fl = make_frame(f, n->mac, false, 18, sent + k, true);

			mb[k] = ng_mbuf(g, f, fl);
			T_ASSERT(mb[k] != NULL);
		}
		took = ng_host_tx(n, 0, mb, 32);
		for (k = took; k < 32; k++)
			rte_pktmbuf_free(mb[k]);
		sent += took;
		if (took == 0)
			break;
		while (seen < sent && ng_wait_xfer(n, 0, &x) == 0) {
			uint32_t r, nr = check_xfer(n, &x);

			for (r = 0; r < nr; r++) {
				uint32_t sa = x.ranges[r].byte_offset / n->sub_alloc_size;
				struct rndis_pkt_info info = read_pkt(n, &x, r, got);
				uint32_t wl = make_frame(want, n->mac, false, 18, seen, true);

				T_EQ(info.data_len, wl);
				T_EQ(memcmp(got, want, wl), 0);
				shared += sa == last_sa;
				last_sa = sa;
				seen++;
			}
			T_ASSERT(ntid < 16384);
			tids[ntid++] = x.tid;
		}
		T_EQ(seen, sent);
	}
	/* 2 cells of 64 bytes a frame: many to a sub-allocation. */
	T_ASSERT(seen > 4 * n->num_sub_allocs);
	T_ASSERT(shared > seen / 2);
	T_EQ(ng_stats(n).rx_drop_nobuf, 0);
	for (i = 0; i < ntid; i++)
		T_EQ(ng_complete_xfer(n, 0, tids[i]), 0);
	ng_poll(n, 0);
	T_EQ(ng_stats(n).bad_completions, 0);
	/* The slice is free again: a burst goes straight through. */
	for (i = 0; i < 32; i++) {
		mb[i] = ng_mbuf(g, f, make_frame(f, n->mac, false, 18, i, true));
		T_ASSERT(mb[i] != NULL);
	}
	T_EQ(ng_host_tx(n, 0, mb, 32), 32);
	T_EQ(ng_wait_xfer(n, 0, &x), 0);
	T_EQ(check_xfer(n, &x), 32);
	T_EQ(ng_complete_xfer(n, 0, x.tid), 0);
	ng_destroy(g);
}

/* PPIs both ways: VLAN, checksum, LSO. */
static void test_ppi(void)
{
	struct ng_init_opts o = { 0 };
	struct ng *g;
	struct ng_nic *n = setup(&g, 1, &o);
	static uint8_t f[70000], msg[70100], got[4096];
	struct rte_mbuf *mb[64];
	struct ng_rx x;
	struct ng_ppi ppi[2];
	uint32_t fl, ml, vlan;
	const uint8_t *mp[1];
	uint64_t tid;

	/* VLAN 100, priority 3, guest to host and back. */
	fl = make_frame(f, n->mac, true, 500, 1, true);
	vlan = (100u << NDIS_VLAN_ID_SHIFT) | 3u;
	ppi[0] = (struct ng_ppi){ RNDIS_PPI_VLAN, vlan };
	ml = ng_build_pkt(msg, f, fl, ppi, 1, false);
	mp[0] = msg;
	tid = ng_tx_section(n, 0, mp, &ml, 1, NVSP_RNDIS_CHANNEL_DATA);
	T_EQ(ng_wait_comp(n, 0, tid, NULL), 0);
	T_EQ(ng_take_frames(n, 0, mb, 64), 1);
	T_ASSERT(mb[0]->ol_flags & RTE_MBUF_F_TX_VLAN);
	T_EQ(mb[0]->vlan_tci, (3u << 13) | 100u);
	mbuf_eq(mb[0], f, fl);
	T_EQ(ng_host_tx(n, 0, mb, 1), 1);
	T_EQ(ng_wait_xfer(n, 0, &x), 0);
	T_EQ(check_xfer(n, &x), 1);
	{
		struct rndis_pkt_info info = read_pkt(n, &x, 0, got);

		T_ASSERT(info.present & RNDIS_PKT_HAS_VLAN);
		T_EQ(info.vlan, vlan);
		T_EQ(info.data_len, fl);
		T_EQ(memcmp(got, f, fl), 0);
	}
	ng_complete_xfer(n, 0, x.tid);

	/* TX checksum PPI: zero checksums in, correct ones out. */
	fl = make_frame(f, n->mac, true, 700, 2, false);
	ppi[0] = (struct ng_ppi){ RNDIS_PPI_CHECKSUM, NDIS_TXCSUM_IPV4 | NDIS_TXCSUM_TCP |
				  NDIS_TXCSUM_IP_HEADER | (TCP_OFF << NDIS_TXCSUM_TCP_OFF_SHIFT) };
	ml = ng_build_pkt(msg, f, fl, ppi, 1, false);
	tid = ng_tx_section(n, 0, mp, &ml, 1, NVSP_RNDIS_CHANNEL_DATA);
	T_EQ(ng_wait_comp(n, 0, tid, NULL), 0);
	T_EQ(ng_take_frames(n, 0, mb, 64), 1);
	T_ASSERT(mb[0]->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
	T_EQ(ng_host_tx(n, 0, mb, 1), 1);
	T_EQ(ng_wait_xfer(n, 0, &x), 0);
	{
		struct rndis_pkt_info info = read_pkt(n, &x, 0, got);
		struct rte_ipv4_hdr *ip = (void *)(got + 14);

		T_ASSERT(info.present & RNDIS_PKT_HAS_CSUM);
		T_ASSERT(info.csum & NDIS_RXCSUM_TCP_SUCCEEDED);
		T_ASSERT(info.csum & NDIS_RXCSUM_IP_SUCCEEDED);
		T_EQ(rte_ipv4_cksum(ip), 0xffff - 0xffff);   /* a valid header sums to 0 */
		T_EQ(rte_ipv4_udptcp_cksum_verify(ip, got + TCP_OFF), 0);
		/* Everything but the checksums as sent. */
		T_EQ(memcmp(got + TCP_OFF + 20, f + TCP_OFF + 20, fl - TCP_OFF - 20), 0);
	}
	ng_complete_xfer(n, 0, x.tid);

	/* LSO: 20000 bytes of TCP payload, MSS 1448, GPA direct. */
	fl = make_frame(f, n->mac, true, 20000, 3, false);
	ppi[0] = (struct ng_ppi){ RNDIS_PPI_LSO, 1448u | (TCP_OFF << NDIS_LSO_TCP_OFF_SHIFT) |
				  NDIS_LSO_V2 };
	ml = ng_build_pkt(msg, f, fl, ppi, 1, false);
	tid = ng_tx_gpa(n, 0, msg, ml, 4096 * 3);
	T_ASSERT(tid != 0);
	T_EQ(ng_wait_comp(n, 0, tid, &x), 0);
	T_EQ(x.payload[4], NVSP_STAT_SUCCESS);
	T_EQ(ng_take_frames(n, 0, mb, 64), 1);
	T_ASSERT(mb[0]->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
	T_EQ(mb[0]->tso_segsz, 1448);
	mbuf_eq(mb[0], f, fl);
	T_EQ(ng_host_tx(n, 0, mb, 1), 1);
	{
		uint32_t off = 0, segs = 0, r;

		while (off < 20000) {
			T_EQ(ng_wait_xfer(n, 0, &x), 0);
			for (r = 0; r < check_xfer(n, &x); r++) {
				struct rndis_pkt_info info = read_pkt(n, &x, r, got);
				struct rte_ipv4_hdr *ip = (void *)(got + 14);
				struct rte_tcp_hdr *th = (void *)(got + TCP_OFF);
				uint32_t pl = HVN_MIN(1448u, 20000u - off);

				T_EQ(info.data_len, TCP_OFF + 20 + pl);
				T_EQ(rte_be_to_cpu_16(ip->total_length), 40 + pl);
				T_EQ(rte_ipv4_cksum(ip), 0);
				T_EQ(rte_ipv4_udptcp_cksum_verify(ip, th), 0);
				T_EQ(rte_be_to_cpu_32(th->sent_seq), 0x10000000u + 3 + off);
				T_EQ(memcmp(got + TCP_OFF + 20, f + TCP_OFF + 20 + off, pl), 0);
				off += pl;
				segs++;
			}
			ng_complete_xfer(n, 0, x.tid);
		}
		T_EQ(segs, 14);
	}

	/* Packet filter 0: nothing delivered, counted. */
	{
		uint32_t zero = 0, st;
		uint64_t before = ng_stats(n).rx_drop_filter;

		T_EQ(ng_rndis_set(n, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &zero, 4, &st), 0);
		T_EQ(st, RNDIS_STATUS_SUCCESS);
		fl = make_frame(f, n->mac, false, 64, 9, true);
		mb[0] = ng_mbuf(g, f, fl);
		mb[1] = ng_mbuf(g, f, fl);
		T_EQ(ng_host_tx(n, 0, mb, 2), 2);
		ng_poll(n, 0);
		T_EQ(ng_inbox_count(n, 0, VMBUS_PKT_DATA_XFER_PAGES), 0);
		T_EQ(ng_stats(n).rx_drop_filter, before + 2);
	}
	/* Link down / up: RNDIS INDICATE. */
	{
		uint32_t t, s;
		int k;

		for (k = 0; k < 2; k++) {
			uint8_t ind[64];

			netvsp_nic_set_link(n->nic, k == 1);
			T_EQ(ng_wait_xfer(n, 0, &x), 0);
			T_EQ(check_xfer(n, &x), 1);
			memcpy(&t, x.payload + 4, 4);
			T_EQ(t, NVSP_RNDIS_CHANNEL_CONTROL);
			ng_rbuf_read(n, x.ranges[0].byte_offset, 20, ind);
			memcpy(&t, ind, 4);
			memcpy(&s, ind + 8, 4);
			T_EQ(t, RNDIS_MSG_INDICATE);
			T_EQ(s, k == 1 ? RNDIS_STATUS_MEDIA_CONNECT : RNDIS_STATUS_MEDIA_DISCONNECT);
			ng_complete_xfer(n, 0, x.tid);
		}
	}
	T_EQ(ng_stats(n).bad_msgs, 0);
	T_EQ(ng_stats(n).tx_drop_bad, 0);
	ng_destroy(g);
}

/* §3.5 teardown, then a full re-initialisation that works. */
static void test_teardown_reinit(void)
{
	struct ng_init_opts o = { .subchannels = 1 };
	struct ng *g;
	struct ng_nic *n = setup(&g, 2, &o);
	static uint8_t f[2048], msg[2100];
	struct rte_mbuf *mb[4];
	uint32_t fl, ml;
	const uint8_t *mp[1] = { msg };
	uint64_t tid;

	T_EQ(n->granted, 1);
	T_EQ(ng_linux_teardown(n), 0);
	T_EQ(ng_stats(n).queues_open, 0);
	T_EQ(vmbus_server_get_stats(g->srv)->gpadls, 0);
	T_EQ(ng_linux_init(n, &o), 0);
	T_EQ(n->granted, 1);
	T_EQ(ng_stats(n).queues_open, 2);
	fl = make_frame(f, n->mac, true, 300, 5, true);
	ml = ng_build_pkt(msg, f, fl, NULL, 0, false);
	tid = ng_tx_section(n, 1, mp, &ml, 1, NVSP_RNDIS_CHANNEL_DATA);
	T_EQ(ng_wait_comp(n, 1, tid, NULL), 0);
	T_EQ(ng_take_frames(n, 1, mb, 4), 1);
	mbuf_eq(mb[0], f, fl);
	rte_pktmbuf_free(mb[0]);
	T_EQ(ng_stats(n).bad_msgs, 0);
	ng_destroy(g);
}

int main(void)
{
	if (ng_eal_init() < 0)
		T_SKIP("DPDK EAL does not start here");
	T_RUN(test_init_linux61);
	T_RUN(test_version_fallback);
	T_RUN(test_frames);
	T_RUN(test_rx_packing);
	T_RUN(test_ppi);
	T_RUN(test_teardown_reinit);
	return 0;
}
