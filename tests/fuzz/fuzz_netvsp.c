/* libFuzzer target: netVSP driven by a hostile guest after a normal Linux
 * initialisation (tests/unit/netvsp_guest.c, NVSP 6.1, one queue). Input:
 *   [cfg] bit 0: the guest never completes receive packets
 *   then records [u8 op][u8 flags][u16 len][len bytes], op & 3:
 *   0  an inband packet with the bytes as payload (flags bit 0:
 *      completion requested)
 *   1  a GPA-direct packet: [u32 range_cnt][ranges...][40-byte NVSP
 *      message] (the last 40 bytes; ranges are what lies between, cut
 *      to a multiple of 8); flags bit 0: completion requested
 *   2  guest memory: [u16 send section][bytes] written into that send
 *      buffer section (no packet)
 *   3  host side, by flags & 3: 0 poll, 1 the bytes as a frame through
 *      tx_burst, 2 link flip, 3 complete every receive packet held
 * tests/fuzz/gen_corpus.py encodes the seeds the same way.
 *
 * Checked: nothing crashes or reads outside partition memory (ASan);
 * every packet that asked for a completion gets exactly one; no
 * completion for a trans_id never used; the host's counters stay
 * consistent (one queue open, RNDIS ready only with a version). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tests/unit/netvsp_guest.h"

#include "tests/fuzz/fuzz_check.h"

#define MAX_TIDS 4096u

struct fz {
	uint8_t want[MAX_TIDS];     /* 1 asked, 2 completed, 3 oversized: unanswered */
	uint64_t xfer[NG_INBOX * 4];
	unsigned int nxfer;
	bool no_complete;
};

static struct fz fz;

static void collect(struct ng_nic *n)
{
	struct ng_chan *c = &n->ch[0];
	unsigned int i;

	for (i = 0; i < c->ninbox; i++) {
		const struct ng_rx *r = &c->inbox[i];

		if (r->type == VMBUS_PKT_COMP) {
			if (!(r->tid < MAX_TIDS && fz.want[r->tid] == 1))
				fprintf(stderr, "unexpected completion: tid %llu, %u bytes, type %u\n",
					(unsigned long long)r->tid, r->plen, r->payload[0]);
			CHECK(r->tid < MAX_TIDS && fz.want[r->tid] == 1);
			fz.want[r->tid] = 2;
		} else if (r->type == VMBUS_PKT_DATA_XFER_PAGES) {
			if (!fz.no_complete)
				ng_complete_xfer(n, 0, r->tid);
			else if (fz.nxfer < HVN_ARRAY_SIZE(fz.xfer))
				fz.xfer[fz.nxfer++] = r->tid;
		}
	}
	c->ninbox = 0;
}

static void poll_all(struct ng_nic *n)
{
	unsigned int i;

	for (i = 0; i < 4; i++) {
		struct rte_mbuf *mb[64];
		unsigned int k;

		ng_poll(n, 0);
		collect(n);
		k = ng_take_frames(n, 0, mb, 64);
		while (k > 0)
			rte_pktmbuf_free(mb[--k]);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ng_init_opts o = { 0 };
	struct ng *g;
	struct ng_nic *n;
	struct netvsp_stats st;
	uint64_t tid = 1;
	size_t pos = 1;
	unsigned int i;

	if (size < 1)
		return 0;
	g = ng_create();
	CHECK(g != NULL);
	n = ng_nic_add(g, 1, 0);
	CHECK(n != NULL);
	CHECK(ng_linux_init(n, &o) == 0);
	memset(&fz, 0, sizeof(fz));
	fz.no_complete = data[0] & 1;
	while (pos + 4 <= size) {
		uint8_t op = data[pos], flags = data[pos + 1];
		uint16_t len;
		const uint8_t *b;

		memcpy(&len, data + pos + 2, 2);
		pos += 4;
		if (len > size - pos)
			len = (uint16_t)(size - pos);
		b = data + pos;
		pos += len;
		switch (op & 3) {
		case 0: {
			bool comp = (flags & 1) && tid < MAX_TIDS;
			struct vmbus_sg sg = { b, len };
			struct vmbus_pkt_out p = { .type = VMBUS_PKT_DATA_INBAND,
						   .flags = comp ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0,
						   .trans_id = comp ? tid : NG_TID_NO_RESPONSE,
						   .sg = &sg, .nsg = len > 0 };

			/* An oversized packet is a counted drop, unanswered. */
			if (ng_put(n, 0, &p) == 0 && comp)
				fz.want[tid++] = 16u + HVN_ALIGN_UP((uint32_t)len, 8u) <=
						 netvsp_max_guest_packet() ? 1 : 3;
			break;
		}
		case 1: {
			bool comp = (flags & 1) && tid < MAX_TIDS;
			struct nvsp_msg m;
			uint32_t cnt = 0, rl;

			memset(&m, 0, sizeof(m));
			if (len >= 4)
				memcpy(&cnt, b, 4);
			rl = len >= 44 ? ((len - 44u) & ~7u) : 0;
			if (len >= 4)
				memcpy(&m, b + 4 + rl, HVN_MIN((uint32_t)sizeof(m), len - 4u - rl));
			if (ng_put_gpa_raw(n, 0, cnt, b + 4, rl, &m, comp ? tid : NG_TID_NO_RESPONSE,
					   comp) == 0 && comp)
				fz.want[tid++] = 16u + 8u + rl + (uint32_t)sizeof(m) <=
						 netvsp_max_guest_packet() ? 1 : 3;
			break;
		}
		case 2: {
			uint16_t sec = 0;

			if (len >= 2)
				memcpy(&sec, b, 2);
			sec %= NG_SBUF_SIZE / 6144u;
			if (len > 2)
				memcpy(ng_gpa(g, ng_sbuf_gpa(n) + sec * 6144u), b + 2,
				       HVN_MIN(len - 2u, 6144u));
			break;
		}
		default:
			switch (flags & 3) {
			case 0:
				poll_all(n);
				break;
			case 1: {
				struct rte_mbuf *m = len > 0 ? ng_mbuf(g, b, HVN_MIN(len, 2000u)) : NULL;

				if (m != NULL && ng_host_tx(n, 0, &m, 1) == 0)
					rte_pktmbuf_free(m);
				break;
			}
			case 2:
				netvsp_nic_set_link(n->nic, (flags & 4) != 0);
				break;
			default:
				for (i = 0; i < fz.nxfer; i++)
					ng_complete_xfer(n, 0, fz.xfer[i]);
				fz.nxfer = 0;
				break;
			}
		}
		/* The ring is 512 KiB: keep the host reading it. */
		if (vmbus_ring_bytes_free(&n->ch[0].cc.tx) < 64 * 1024)
			poll_all(n);
	}
	for (i = 0; i < 8; i++)
		poll_all(n);
	st = ng_stats(n);
	CHECK(st.queues_open <= 1);
	CHECK(!st.rndis_ready || st.nvsp_version != 0);
	CHECK(st.tx_completions <= st.tx_packets + st.tx_drop_bad + tid + 64);
	/* Every completion asked for arrived, unless the channel stopped. */
	if (st.ring_faults == 0)
		for (i = 1; i < tid; i++)
			if (fz.want[i] == 1) {
				fprintf(stderr, "tid %u never completed\n", i);
				CHECK(fz.want[i] == 2);
			}
	ng_destroy(g);
	return 0;
}
