/* Hostile guest: every malformed or out-of-order thing a guest can send
 * netVSP. Each case checks that the host answers what a guest may wait on,
 * counts the bad input in netvsp_nic_stats, and keeps working (the ASan
 * build catches any read outside partition memory). */
#include <string.h>

#include "tests/harness/hvn_test.h"
#include "tests/unit/netvsp_guest.h"

static struct ng_nic *ready(struct ng **gp, uint16_t queues)
{
	struct ng_init_opts o = { 0 };
	struct ng *g = ng_create();
	struct ng_nic *n;

	T_ASSERT(g != NULL);
	n = ng_nic_add(g, queues, 0);
	T_ASSERT(n != NULL);
	T_EQ(ng_linux_init(n, &o), 0);
	*gp = g;
	return n;
}

static uint32_t frame(uint8_t *f, const uint8_t *dst, uint32_t len)
{
	uint32_t i;

	memcpy(f, dst, 6);
	memset(f + 6, 0x02, 6);
	f[12] = 0x08;
	f[13] = 0;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)i;
	return len;
}

/* The status of the RNDIS_PKT_COMPLETE for tid (0 when none came). */
static uint32_t pkt_status(struct ng_nic *n, uint16_t q, uint64_t tid)
{
	struct ng_rx x;
	uint32_t type, st;

	if (ng_wait_comp(n, q, tid, &x) < 0 || x.plen < 8)
		return 0;
	memcpy(&type, x.payload, 4);
	memcpy(&st, x.payload + 4, 4);
	T_EQ(type, NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE);
	return st;
}

/* A good frame still goes through afterwards. */
static void still_works(struct ng_nic *n, uint16_t q)
{
	static uint8_t f[256], msg[512];
	const uint8_t *mp[1] = { msg };
	uint32_t ml = ng_build_pkt(msg, f, frame(f, n->mac, 200), NULL, 0, false);
	struct rte_mbuf *mb[4];
	uint64_t tid = ng_tx_section(n, q, mp, &ml, 1, NVSP_RNDIS_CHANNEL_DATA);

	T_EQ(pkt_status(n, q, tid), NVSP_STAT_SUCCESS);
	T_EQ(ng_take_frames(n, q, mb, 4), 1);
	T_EQ(rte_pktmbuf_pkt_len(mb[0]), 200);
	rte_pktmbuf_free(mb[0]);
}

static uint64_t send_rndis_pkt(struct ng_nic *n, uint32_t sec, uint32_t size)
{
	struct nvsp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.send_buf_section_index = sec;
	m.u.rndis_pkt.send_buf_section_size = size;
	return ng_send_nvsp(n, 0, &m, sizeof(m), true);
}

static void test_sections(void)
{
	struct ng *g;
	struct ng_nic *n = ready(&g, 1);
	uint64_t bad = ng_stats(n).tx_drop_bad;

	T_EQ(pkt_status(n, 0, send_rndis_pkt(n, NG_SBUF_SIZE / 6144, 100)), NVSP_STAT_FAIL);
	T_EQ(pkt_status(n, 0, send_rndis_pkt(n, 0x7fffffff, 100)), NVSP_STAT_FAIL);
	T_EQ(pkt_status(n, 0, send_rndis_pkt(n, 0, 6145)), NVSP_STAT_FAIL);
	T_EQ(pkt_status(n, 0, send_rndis_pkt(n, 0, 0)), NVSP_STAT_FAIL);
	T_EQ(ng_stats(n).tx_drop_bad, bad + 4);
	still_works(n, 0);
	ng_destroy(g);
}

static void test_gpa_ranges(void)
{
	struct ng *g;
	struct ng_nic *n = ready(&g, 1);
	struct nvsp_msg m;
	uint8_t r[64];
	uint32_t v;
	uint64_t pfn, tid, bad = ng_stats(n).tx_drop_bad;

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.send_buf_section_index = NVSP_INVALID_SECTION;
	/* Outside the partition. */
	v = 100;
	memcpy(r, &v, 4);
	v = 0;
	memcpy(r + 4, &v, 4);
	pfn = NG_MEM_SIZE >> 12;
	memcpy(r + 8, &pfn, 8);
	tid = n->next_tid++;
	T_EQ(ng_put_gpa_raw(n, 0, 1, r, 16, &m, tid, true), 0);
	T_EQ(pkt_status(n, 0, tid), NVSP_STAT_FAIL);
	/* PFN whose GPA overflows 64 bits. */
	pfn = UINT64_MAX >> 4;
	memcpy(r + 8, &pfn, 8);
	tid = n->next_tid++;
	T_EQ(ng_put_gpa_raw(n, 0, 1, r, 16, &m, tid, true), 0);
	T_EQ(pkt_status(n, 0, tid), NVSP_STAT_FAIL);
	/* Last byte one past the end: offset 4095, 2 bytes, last page. */
	v = 2;
	memcpy(r, &v, 4);
	v = 4095;
	memcpy(r + 4, &v, 4);
	pfn = (NG_MEM_SIZE >> 12) - 1;
	memcpy(r + 8, &pfn, 8);
	pfn++;
	memcpy(r + 16, &pfn, 8);
	tid = n->next_tid++;
	T_EQ(ng_put_gpa_raw(n, 0, 1, r, 24, &m, tid, true), 0);
	T_EQ(pkt_status(n, 0, tid), NVSP_STAT_FAIL);
	/* range_cnt says 50, one range present; then byte_count that needs
	 * more PFNs than there are. */
	pfn = 0x400;
	memcpy(r + 8, &pfn, 8);
	v = 64;
	memcpy(r, &v, 4);
	v = 0;
	memcpy(r + 4, &v, 4);
	tid = n->next_tid++;
	T_EQ(ng_put_gpa_raw(n, 0, 50, r, 16, &m, tid, true), 0);
	T_EQ(pkt_status(n, 0, tid), NVSP_STAT_FAIL);
	v = 3 * 4096;
	memcpy(r, &v, 4);
	tid = n->next_tid++;
	T_EQ(ng_put_gpa_raw(n, 0, 1, r, 16, &m, tid, true), 0);
	T_EQ(pkt_status(n, 0, tid), NVSP_STAT_FAIL);
	/* byte_offset past the page and byte_count 0. */
	v = 10;
	memcpy(r, &v, 4);
	v = 4096;
	memcpy(r + 4, &v, 4);
	tid = n->next_tid++;
	T_EQ(ng_put_gpa_raw(n, 0, 1, r, 16, &m, tid, true), 0);
	T_EQ(pkt_status(n, 0, tid), NVSP_STAT_FAIL);
	T_EQ(ng_stats(n).tx_drop_bad, bad + 6);
	still_works(n, 0);
	ng_destroy(g);
}

static void test_rndis_framing(void)
{
	struct ng *g;
	struct ng_nic *n = ready(&g, 1);
	static uint8_t f[256], msg[600];
	const uint8_t *mp[1] = { msg };
	struct ng_ppi ppi[17];
	uint32_t fl = frame(f, n->mac, 100), ml, v, i;
	struct netvsp_stats s0 = ng_stats(n);
	struct rte_mbuf *mb[4];

	/* msg_len 0, msg_len past the stream, data_offset + data_len that
	 * wraps 32 bits, data_len 0. */
	for (i = 0; i < 4; i++) {
		ml = ng_build_pkt(msg, f, fl, NULL, 0, false);
		switch (i) {
		case 0: v = 0; memcpy(msg + 4, &v, 4); break;
		case 1: v = ml + 64; memcpy(msg + 4, &v, 4); break;
		case 2: v = 0xfffffff0u; memcpy(msg + 8, &v, 4); v = 0x20; memcpy(msg + 12, &v, 4); break;
		default: v = 0; memcpy(msg + 12, &v, 4); break;
		}
		T_EQ(pkt_status(n, 0, ng_tx_section(n, 0, mp, &ml, 1, 0)), NVSP_STAT_FAIL);
	}
	/* PPI records: size 0, size past the area, 17 records. */
	for (i = 0; i < 17; i++)
		ppi[i] = (struct ng_ppi){ 0x55, i };
	ml = ng_build_pkt(msg, f, fl, ppi, 2, false);
	v = 0;
	memcpy(msg + 44, &v, 4);
	T_EQ(pkt_status(n, 0, ng_tx_section(n, 0, mp, &ml, 1, 0)), NVSP_STAT_FAIL);
	ml = ng_build_pkt(msg, f, fl, ppi, 2, false);
	v = 48;
	memcpy(msg + 44 + 16, &v, 4);
	T_EQ(pkt_status(n, 0, ng_tx_section(n, 0, mp, &ml, 1, 0)), NVSP_STAT_FAIL);
	ml = ng_build_pkt(msg, f, fl, ppi, 17, false);
	T_EQ(pkt_status(n, 0, ng_tx_section(n, 0, mp, &ml, 1, 0)), NVSP_STAT_FAIL);
	/* 16 unknown records are fine. */
	ml = ng_build_pkt(msg, f, fl, ppi, 16, false);
	T_EQ(pkt_status(n, 0, ng_tx_section(n, 0, mp, &ml, 1, 0)), NVSP_STAT_SUCCESS);
	ng_poll(n, 0);
	T_EQ(ng_take_frames(n, 0, mb, 4), 1);
	rte_pktmbuf_free(mb[0]);
	T_EQ(ng_stats(n).tx_drop_bad - s0.tx_drop_bad, 4 + 3);
	T_EQ(ng_stats(n).tx_packets, s0.tx_packets + 1);
	still_works(n, 0);
	ng_destroy(g);
}

static void test_nvsp_misuse(void)
{
	struct ng *g = ng_create();
	struct ng_nic *n;
	struct nvsp_msg m, r;
	struct ng_rx x;
	uint32_t rlen;
	uint64_t tid, bad;

	T_ASSERT(g != NULL);
	n = ng_nic_add(g, 1, 0);
	T_EQ(ng_open_chan(n, 0), 0);
	/* RECV_BUF before INIT: FAIL. */
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RECV_BUF;
	m.u.send_buf.gpadl_handle = 1;
	m.u.send_buf.id = NVSP_RECV_BUF_ID;
	T_EQ(ng_nvsp_call(n, 0, &m, sizeof(m), &r, &rlen), 0);
	T_EQ(r.u.recv_buf_complete.status, NVSP_STAT_FAIL);
	T_EQ(ng_stats(n).bad_msgs, 1);
	/* RNDIS control before buffers: completed with FAIL, counted. */
	tid = send_rndis_pkt(n, 0, 24);
	T_EQ(pkt_status(n, 0, tid), NVSP_STAT_FAIL);
	T_EQ(ng_stats(n).tx_drop_bad, 1);
	/* Unknown types: empty completion when asked, nothing otherwise. */
	m.type = 0x7777;
	tid = ng_send_nvsp(n, 0, &m, sizeof(m), true);
	T_EQ(ng_wait_comp(n, 0, tid, &x), 0);
	T_EQ(x.plen, 0);
	T_EQ(ng_send_nvsp(n, 0, &m, 4, false), NG_TID_NO_RESPONSE);
	ng_poll(n, 0);
	T_EQ(ng_inbox_count(n, 0, VMBUS_PKT_COMP), 0);
	T_EQ(ng_stats(n).bad_msgs, 3);
	/* Shorter than a type field, with completion. */
	tid = ng_send_nvsp(n, 0, &m, 2, true);
	T_EQ(ng_wait_comp(n, 0, tid, &x), 0);
	T_EQ(ng_stats(n).bad_msgs, 4);
	/* Now the real init; then a second RECV_BUF gets FAIL. */
	{
		struct ng_init_opts o = { 0 };

		T_EQ(ng_linux_init(n, &o), 0);
	}
	bad = ng_stats(n).bad_msgs;
	m.type = NVSP_MSG1_SEND_RECV_BUF;
	m.u.send_buf.gpadl_handle = n->rbuf_gpadl;
	T_EQ(ng_nvsp_call(n, 0, &m, sizeof(m), &r, &rlen), 0);
	T_EQ(r.u.recv_buf_complete.status, NVSP_STAT_FAIL);
	/* INIT again while buffers are mapped: FAIL. */
	T_EQ(ng_nvsp_init(n, NVSP_VERSION_61), NVSP_STAT_FAIL);
	T_EQ(ng_stats(n).bad_msgs, bad + 2);
	/* Completions for nothing and twice for the same packet. */
	{
		static uint8_t f[128];
		struct rte_mbuf *mb = ng_mbuf(g, f, frame(f, n->mac, 100));
		uint64_t bc = ng_stats(n).bad_completions;

		T_EQ(ng_complete_xfer(n, 0, 0xdeadbeef), 0);
		T_EQ(ng_host_tx(n, 0, &mb, 1), 1);
		T_EQ(ng_wait_xfer(n, 0, &x), 0);
		T_EQ(ng_complete_xfer(n, 0, x.tid), 0);
		T_EQ(ng_complete_xfer(n, 0, x.tid), 0);
		ng_poll(n, 0);
		T_EQ(ng_stats(n).bad_completions, bc + 2);
	}
	still_works(n, 0);
	ng_destroy(g);
}

/* A guest that never completes: the host stops at its slice, counts the
 * drops, and still answers on the channel. */
static void test_no_completions(void)
{
	struct ng *g;
	struct ng_nic *n = ready(&g, 1);
	static uint8_t f[1600];
	uint32_t fl = frame(f, n->mac, 1400), sent = 0, i;
	struct rte_mbuf *mb[32];
	struct nvsp_msg m;
	struct ng_rx x;
	uint64_t tid;

	while (sent < n->num_sub_allocs + 2000) {
		uint16_t took;

		for (i = 0; i < 32; i++)
			mb[i] = ng_mbuf(g, f, fl);
		took = ng_host_tx(n, 0, mb, 32);
		/* Frames it does not take stay ours: drop them as a switch
		 * would. */
		for (i = took; i < 32; i++)
			rte_pktmbuf_free(mb[i]);
		sent += 32;
		ng_poll(n, 0);
		/* Read the ring (so it never fills) but never complete. */
		while (ng_wait_xfer(n, 0, &x) == 0 &&
		       ng_inbox_count(n, 0, VMBUS_PKT_DATA_XFER_PAGES) > 0)
			;
	}
	T_ASSERT(ng_stats(n).rx_packets <= n->num_sub_allocs);
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG4_SWITCH_DATA_PATH;
	tid = ng_send_nvsp(n, 0, &m, sizeof(m), true);
	T_EQ(ng_wait_comp(n, 0, tid, &x), 0);
	still_works(n, 0);
	ng_destroy(g);
}

/* A guest that corrupts its ring indices: the channel stops and the fault
 * is counted; another vNIC of the same partition keeps working. */
static void test_ring_corruption(void)
{
	struct ng_init_opts o = { 0 };
	struct ng *g = ng_create();
	struct ng_nic *a, *b;
	struct vmbus_ring_ctl *ctl;

	T_ASSERT(g != NULL);
	a = ng_nic_add(g, 1, 0);
	b = ng_nic_add(g, 1, 0);
	T_ASSERT(a != NULL && b != NULL);
	T_EQ(ng_linux_init(a, &o), 0);
	T_EQ(ng_linux_init(b, &o), 0);
	ctl = a->ch[0].cc.tx.ctl;
	__atomic_store_n(&ctl->write_index, 0x12345u, __ATOMIC_RELEASE);   /* unaligned */
	vmbus_client_channel_signal(&g->cl, &a->ch[0].cc);
	ng_poll(a, 0);
	ng_pump(g);
	T_EQ(ng_stats(a).ring_faults, 1);
	/* The stopped queue takes nothing more to the guest: frames for it
	 * are dropped and counted. */
	{
		static uint8_t f[128];
		struct rte_mbuf *mb = ng_mbuf(g, f, frame(f, a->mac, 100));
		uint64_t nobuf = ng_stats(a).rx_drop_nobuf;

		T_EQ(ng_host_tx(a, 0, &mb, 1), 1);
		T_EQ(ng_stats(a).rx_drop_nobuf, nobuf + 1);
		T_EQ(ng_stats(a).rx_packets, 0);
	}
	/* Polling a stopped queue does nothing and counts nothing more. */
	ng_poll(a, 0);
	T_EQ(ng_stats(a).ring_faults, 1);
	still_works(b, 0);
	T_EQ(ng_stats(b).ring_faults, 0);
	ng_destroy(g);
}

/* The bounce buffer for wrapped guest-to-host packets is sized to the
 * largest packet netVSP takes (NVSP_MAX_GUEST_PKT: a GPA-direct
 * SEND_RNDIS_PKT with 71 single-page ranges). Such a packet goes through
 * whether or not it wraps the ring's end; one range more is dropped and
 * counted, wrapped (the ring drops it) or not (netVSP does), unanswered
 * both ways, and the channel keeps working. */
#define MAX_RANGES 71u
#define RANGE_BYTES 20u

/* A GPA-direct SEND_RNDIS_PKT with 'nranges' single-page ranges of
 * RANGE_BYTES each; the first MAX_RANGES carry an RNDIS message whose
 * frame is f (flen bytes), any more carry padding past its end. */
static uint64_t put_ranges(struct ng_nic *n, uint32_t nranges, const uint8_t *f, uint32_t flen)
{
	static uint8_t msg[MAX_RANGES * RANGE_BYTES], r[(MAX_RANGES + 1u) * 16u];
	uint32_t ml = ng_build_pkt(msg, f, flen, NULL, 0, false), i, v;
	struct nvsp_msg m;
	uint64_t tid = n->next_tid++;

	T_EQ(ml, sizeof(msg));
	for (i = 0; i < nranges; i++) {
		uint64_t gpa = ng_dma_page(n), pfn = gpa >> 12;

		if (i < MAX_RANGES)
			memcpy(ng_gpa(n->g, gpa), msg + i * RANGE_BYTES, RANGE_BYTES);
		v = RANGE_BYTES;
		memcpy(r + i * 16u, &v, 4);
		v = 0;
		memcpy(r + i * 16u + 4, &v, 4);
		memcpy(r + i * 16u + 8, &pfn, 8);
	}
	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.send_buf_section_index = NVSP_INVALID_SECTION;
	T_EQ(ng_put_gpa_raw(n, 0, nranges, r, nranges * 16u, &m, tid, true), 0);
	return tid;
}

/* Bytes from the guest's write index to the ring's end. */
static uint32_t room_to_end(const struct ng_nic *n)
{
	const struct vmbus_ring *t = &n->ch[0].cc.tx;

	return t->size - t->priv_index;
}

/* One largest packet: completed with success, its frame intact. */
static void max_packet_ok(struct ng_nic *n, const uint8_t *f, uint32_t flen)
{
	struct rte_mbuf *mb[4];

	T_EQ(pkt_status(n, 0, put_ranges(n, MAX_RANGES, f, flen)), NVSP_STAT_SUCCESS);
	T_EQ(ng_take_frames(n, 0, mb, 4), 1);
	T_EQ(rte_pktmbuf_pkt_len(mb[0]), flen);
	T_ASSERT(memcmp(rte_pktmbuf_mtod(mb[0], const uint8_t *), f, flen) == 0);
	rte_pktmbuf_free(mb[0]);
}

/* A packet one range too large: no completion, one more bad message. */
static void oversize_dropped(struct ng_nic *n, const uint8_t *f, uint32_t flen)
{
	uint64_t bad = ng_stats(n).bad_msgs;
	struct rte_mbuf *mb[4];

	T_EQ(pkt_status(n, 0, put_ranges(n, MAX_RANGES + 1u, f, flen)), 0);
	T_EQ(ng_stats(n).bad_msgs, bad + 1);
	T_EQ(ng_take_frames(n, 0, mb, 4), 0);
}

static void test_largest_packet_wraps(void)
{
	/* Footprints in the ring: descriptor to payload, plus the trailer. */
	const uint32_t max_fp = 16u + 8u + MAX_RANGES * 16u + 40u + 8u, over_fp = max_fp + 16u;
	struct ng *g;
	struct ng_nic *n = ready(&g, 1);
	static uint8_t f[MAX_RANGES * RANGE_BYTES];
	uint32_t flen = frame(f, n->mac, MAX_RANGES * RANGE_BYTES - ng_pkt_hdr_len(0));
	unsigned int wrapped_ok = 0, wrapped_over = 0, sent = 0;

	/* The harness ring is 512 KiB: two laps, so that one oversize and
	 * one largest packet each straddle the end (a packet wraps when its
	 * footprint exceeds the room left; the descriptor itself never
	 * does here: footprints are multiples of 8 and so is the room). */
	oversize_dropped(n, f, flen);
	while (wrapped_ok == 0 && sent < 4 * NG_RING_BYTES / max_fp) {
		uint32_t room = room_to_end(n);

		if (wrapped_over == 0 && room < over_fp) {
			oversize_dropped(n, f, flen);
			wrapped_over++;
		} else {
			if (wrapped_over > 0 && room < max_fp)
				wrapped_ok++;
			max_packet_ok(n, f, flen);
		}
		sent++;
	}
	T_EQ(wrapped_over, 1);
	T_EQ(wrapped_ok, 1);
	T_EQ(ng_stats(n).ring_faults, 0);
	still_works(n, 0);
	ng_destroy(g);
}

int main(void)
{
	if (ng_eal_init() < 0)
		T_SKIP("DPDK EAL does not start here");
	T_RUN(test_sections);
	T_RUN(test_gpa_ranges);
	T_RUN(test_rndis_framing);
	T_RUN(test_nvsp_misuse);
	T_RUN(test_no_completions);
	T_RUN(test_ring_corruption);
	T_RUN(test_largest_packet_wraps);
	return 0;
}
