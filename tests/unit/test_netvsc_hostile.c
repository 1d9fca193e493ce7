/* The netVSC core against a scripted host, in process: rings and buffers
 * in one block of "guest memory", a host that answers the Linux 6.1
 * bring-up as netVSP does (reference §3.2) and can be told to lie. Checks
 * the multi-queue bring-up (SUBCHANNEL, RSS parameters as Linux sends
 * them, send sections shared), both transmit forms, and that every value
 * the host sends is checked: short or malformed replies fail bring-up
 * where Linux fails it; bad completions, ranges, RNDIS messages, send
 * tables and indications are counted and ignored, and never let the core
 * read outside its buffers or free sections still in flight. */
#include <string.h>

#include "common/hvn_errno.h"
#include "netvsc/netvsc.h"
#include "tests/harness/hvn_test.h"

#define RING     (64u * 1024u)
#define SUBALLOC 1792u
#define NSUB     128u
#define RBUF     (NSUB * SUBALLOC)
#define SBUF     (128u * 1024u)
#define SECTION  6144u
#define NCH      2u
#define RBUF_OFF (NCH * 2u * RING)
#define SBUF_OFF (RBUF_OFF + RBUF)
#define ZC_OFF   (SBUF_OFF + SBUF)   /* frames the guest sends zero-copy */
#define ZC       (64u * 1024u)

static uint8_t mem[ZC_OFF + ZC] __attribute__((aligned(4096)));
static uint8_t guest_scratch[NCH][8192];

struct hchan {
	struct vmbus_ring in, out;   /* guest-to-host (read), host-to-guest (written) */
	uint8_t scratch[8192];
};

/* The host: what it answers, and what it saw. */
static struct host {
	struct hchan ch[NCH];
	bool ch_open[NCH];
	uint32_t next_sub;
	uint64_t next_tid;
	/* Knobs: how to answer. */
	uint32_t init_comp_len;
	uint32_t recv_sections;
	uint32_t sub_alloc_size, num_sub;
	uint32_t grant;
	uint32_t rss_queues;
	/* Seen. */
	uint64_t completed[64];
	unsigned int ncompleted;
	uint32_t frames, frame_ch, frame_len;
	struct rndis_pkt_info frame_info;
	uint8_t frame[16384];
	uint32_t gpa_direct, gpa_ranges;
	uint32_t subchannel_asked;
	uint8_t rss[1200];
	uint32_t rss_len;
	uint32_t filter;
	uint64_t last_section_tid;
} h;

static struct netvsc nic;
static struct netvsc_queue queues[NCH];
static struct vmbus_client_channel gch[NCH];

static uint8_t *ring_base(unsigned int c)
{
	return mem + c * 2u * RING;
}

static void host_put(unsigned int c, uint16_t type, uint16_t flags, uint64_t tid, const void *hdr,
		     uint32_t hdr_len, const void *msg, uint32_t len)
{
	struct vmbus_sg sg = { .base = msg, .len = len };
	struct vmbus_pkt_out o = {
		.type = type, .flags = flags, .trans_id = tid, .hdr = hdr, .hdr_len = hdr_len,
		.sg = &sg, .nsg = len != 0 ? 1u : 0u,
	};

	T_EQ(vmbus_ring_put(&h.ch[c].out, &o), 0);
	vmbus_ring_write_commit(&h.ch[c].out);
}

struct xfer_hdr {
	uint16_t id;
	uint8_t owns, rsvd;
	uint32_t count;
	struct vmbus_xfer_range r[4];
} hvn_packed;

/* A transfer-page packet of 'n' ranges (ranges[] as given). */
static uint64_t host_xfer(unsigned int c, uint16_t id, const struct vmbus_xfer_range *r, uint32_t n,
			  uint32_t claimed)
{
	struct xfer_hdr x = { .id = id, .count = claimed };
	struct nvsp_msg m;

	memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.send_buf_section_index = NVSP_INVALID_SECTION;
	memcpy(x.r, r, n * sizeof(*r));
	host_put(c, VMBUS_PKT_DATA_XFER_PAGES, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, ++h.next_tid,
		 &x, 8u + 8u * n, &m, NVSP_MSG_MIN(rndis_pkt));
	return h.next_tid;
}

/* An RNDIS message into the next sub-allocation; its range. */
static struct vmbus_xfer_range host_rbuf(const void *msg, uint32_t len)
{
	struct vmbus_xfer_range r;
	uint32_t off = (h.next_sub++ % NSUB) * SUBALLOC;

	T_ASSERT(len <= SUBALLOC);
	memcpy(mem + RBUF_OFF + off, msg, len);
	r.byte_offset = off;
	r.byte_count = len;
	return r;
}

static void host_rndis(unsigned int c, const void *msg, uint32_t len)
{
	struct vmbus_xfer_range r = host_rbuf(msg, len);

	host_xfer(c, NVSP_RECV_BUF_ID, &r, 1, 1);
}

static void reply_nvsp(unsigned int c, uint64_t tid, const struct nvsp_msg *m, uint32_t len)
{
	host_put(c, VMBUS_PKT_COMP, 0, tid, NULL, 0, m, len);
}

static uint32_t query_answer(uint32_t oid, uint8_t *out)
{
	uint32_t v;

	switch (oid) {
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		v = 1500;
		memcpy(out, &v, 4);
		return 4;
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
		memcpy(out, "\x02\x00\x00\x00\x00\x07", 6);
		return 6;
	case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES: {
		struct ndis_offload o;

		memset(&o, 0, sizeof(o));
		o.header.type = NDIS_OBJECT_TYPE_OFFLOAD;
		o.header.revision = NDIS_OFFLOAD_REVISION_3;
		o.header.size = NDIS_OFFLOAD_SIZE;
		o.csum.ip4_txcsum = NDIS_TXCSUM_ALL_TCP4 | NDIS_TXCSUM_CAP_UDP4 | NDIS_TXCSUM_CAP_IP4;
		o.lsov2.ip4_encap = NDIS_OFFLOAD_ENCAP_8023;
		o.lsov2.ip4_maxsz = 62768;
		memcpy(out, &o, sizeof(o));
		return sizeof(o);
	}
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		v = NDIS_MEDIA_STATE_CONNECTED;
		memcpy(out, &v, 4);
		return 4;
	case RNDIS_OID_GEN_LINK_SPEED:
		v = 100000000;
		memcpy(out, &v, 4);
		return 4;
	case RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES: {
		struct ndis_rss_caps rc;

		memset(&rc, 0, sizeof(rc));
		rc.hdr.type = NDIS_OBJECT_TYPE_RSS_CAPABILITIES;
		rc.hdr.revision = NDIS_RSS_CAPS_REVISION_2;
		rc.hdr.size = sizeof(rc);
		rc.num_recv_que = h.rss_queues;
		rc.num_indirect_tabent = 128;
		memcpy(out, &rc, sizeof(rc));
		return sizeof(rc);
	}
	default:
		return 0;
	}
}

static void host_control(unsigned int c, const uint8_t *msg, uint32_t len)
{
	struct rndis_msg_hdr mh;
	uint8_t r[1024];
	uint32_t id, v;

	memcpy(&mh, msg, sizeof(mh));
	memcpy(&id, msg + 8, 4);
	memset(r, 0, sizeof(r));
	switch (mh.type) {
	case RNDIS_MSG_INIT: {
		struct rndis_init_comp ic = {
			.req_id = id, .major_ver = 1, .dev_flags = 1, .max_pkt_per_msg = 8,
			.max_xfer_size = 0x4000, .pkt_alignment_factor = 3,
		};

		mh.type = RNDIS_MSG_INIT_C;
		mh.len = 8 + sizeof(ic);
		memcpy(r, &mh, 8);
		memcpy(r + 8, &ic, sizeof(ic));
		host_rndis(c, r, mh.len);
		return;
	}
	case RNDIS_MSG_QUERY: {
		struct rndis_query_req q;
		struct rndis_query_comp qc = { .req_id = id, .info_buf_offset = sizeof(qc) };

		memcpy(&q, msg + 8, sizeof(q));
		qc.info_buflen = query_answer(q.oid, r + 8 + sizeof(qc));
		qc.status = qc.info_buflen != 0 ? RNDIS_STATUS_SUCCESS : RNDIS_STATUS_NOT_SUPPORTED;
		mh.type = RNDIS_MSG_QUERY_C;
		mh.len = 8 + sizeof(qc) + qc.info_buflen;
		memcpy(r, &mh, 8);
		memcpy(r + 8, &qc, sizeof(qc));
		host_rndis(c, r, mh.len);
		return;
	}
	case RNDIS_MSG_SET: {
		struct rndis_query_req q;
		struct rndis_set_comp sc = { .req_id = id, .status = RNDIS_STATUS_SUCCESS };

		memcpy(&q, msg + 8, sizeof(q));
		T_ASSERT(8u + q.info_buf_offset + q.info_buflen <= len);
		if (q.oid == RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS) {
			T_ASSERT(q.info_buflen <= sizeof(h.rss));
			memcpy(h.rss, msg + 8 + q.info_buf_offset, q.info_buflen);
			h.rss_len = q.info_buflen;
		} else if (q.oid == RNDIS_OID_GEN_CURRENT_PACKET_FILTER) {
			memcpy(&v, msg + 8 + q.info_buf_offset, 4);
			h.filter = v;
		}
		mh.type = RNDIS_MSG_SET_C;
		mh.len = 8 + sizeof(sc);
		memcpy(r, &mh, 8);
		memcpy(r + 8, &sc, sizeof(sc));
		host_rndis(c, r, mh.len);
		return;
	}
	default:
		return;   /* HALT: no reply */
	}
}

/* The RNDIS messages of one SEND_RNDIS_PKT, contiguous in guest memory. */
static void host_stream(unsigned int c, const uint8_t *s, uint32_t len)
{
	uint32_t off = 0;

	while (len - off >= 8) {
		struct rndis_msg_hdr mh;

		memcpy(&mh, s + off, 8);
		T_ASSERT(mh.len >= 8 && mh.len <= len - off);
		if (mh.type == RNDIS_MSG_PACKET) {
			struct rndis_pkt_info info;

			memset(&info, 0, sizeof(info));
			T_EQ(rndis_pkt_parse(s + off, mh.len, mh.len, &info), 0);
			T_ASSERT(info.data_len <= sizeof(h.frame));
			memcpy(h.frame, s + off + info.data_off, info.data_len);
			h.frame_len = info.data_len;
			h.frame_info = info;
			h.frame_ch = c;
			h.frames++;
		} else {
			host_control(c, s + off, mh.len);
		}
		off += mh.len;
	}
}

static void host_packet(unsigned int c, const struct vmbus_pkt *p)
{
	uint32_t plen = vmbus_pkt_payload_len(p);
	struct nvsp_msg m, r;

	if (p->desc.type == VMBUS_PKT_COMP) {
		T_ASSERT(h.ncompleted < 64);
		h.completed[h.ncompleted++] = p->desc.trans_id;
		return;
	}
	memset(&m, 0, sizeof(m));
	memcpy(&m, vmbus_pkt_payload(p), plen < sizeof(m) ? plen : sizeof(m));
	memset(&r, 0, sizeof(r));
	switch (m.type) {
	case NVSP_MSG_INIT:
		r.type = NVSP_MSG_INIT_COMPLETE;
		r.u.init_complete.negotiated_protocol_ver = m.u.init.min_protocol_ver;
		r.u.init_complete.status = NVSP_STAT_SUCCESS;
		reply_nvsp(c, p->desc.trans_id, &r, h.init_comp_len);
		return;
	case NVSP_MSG1_SEND_RECV_BUF:
		r.type = NVSP_MSG1_SEND_RECV_BUF_COMPLETE;
		r.u.recv_buf_complete.status = NVSP_STAT_SUCCESS;
		r.u.recv_buf_complete.num_sections = h.recv_sections;
		r.u.recv_buf_complete.sections[0].sub_alloc_size = h.sub_alloc_size;
		r.u.recv_buf_complete.sections[0].num_sub_allocs = h.num_sub;
		reply_nvsp(c, p->desc.trans_id, &r, sizeof(r));
		return;
	case NVSP_MSG1_SEND_SEND_BUF:
		r.type = NVSP_MSG1_SEND_SEND_BUF_COMPLETE;
		r.u.send_buf_complete.status = NVSP_STAT_SUCCESS;
		r.u.send_buf_complete.section_size = SECTION;
		reply_nvsp(c, p->desc.trans_id, &r, sizeof(r));
		return;
	case NVSP_MSG5_SUBCHANNEL:
		h.subchannel_asked = m.u.subchannel_req.num_subchannels;
		r.type = NVSP_MSG5_SUBCHANNEL;
		r.u.subchannel_complete.status = NVSP_STAT_SUCCESS;
		r.u.subchannel_complete.num_subchannels = h.grant;
		reply_nvsp(c, p->desc.trans_id, &r, sizeof(r));
		return;
	case NVSP_MSG1_SEND_RNDIS_PKT:
		if (p->desc.type == VMBUS_PKT_DATA_GPA_DIRECT) {
			static uint8_t msg[70000];
			uint32_t nr, k, off = sizeof(struct vmbus_gpa_direct_hdr), len = 0;

			/* Every range and page, gathered in order; GPAs are
			 * offsets into mem here, and pages follow each other. */
			T_EQ(m.u.rndis_pkt.send_buf_section_index, NVSP_INVALID_SECTION);
			memcpy(&nr, p->pkt + off - 4, 4);
			h.gpa_ranges = nr;
			for (k = 0; k < nr; k++) {
				struct vmbus_gpa_range gr;
				uint64_t pfn0, pfn;
				uint32_t i, npfn;

				T_ASSERT(off + 16u <= p->off);
				memcpy(&gr, p->pkt + off, sizeof(gr));
				npfn = (gr.byte_offset + gr.byte_count + 4095u) / 4096u;
				T_ASSERT(gr.byte_offset < 4096u && npfn > 0);
				T_ASSERT(off + 8u + 8u * npfn <= p->off);
				memcpy(&pfn0, p->pkt + off + 8, 8);
				for (i = 1; i < npfn; i++) {
					memcpy(&pfn, p->pkt + off + 8 + 8 * i, 8);
					T_EQ(pfn, pfn0 + i);
				}
				T_ASSERT(pfn0 * 4096 + gr.byte_offset + gr.byte_count <= sizeof(mem));
				T_ASSERT(len + gr.byte_count <= sizeof(msg));
				memcpy(msg + len, mem + pfn0 * 4096 + gr.byte_offset, gr.byte_count);
				len += gr.byte_count;
				off += 8u + 8u * npfn;
			}
			h.gpa_direct++;
			host_stream(c, msg, len);
		} else {
			uint32_t s = m.u.rndis_pkt.send_buf_section_index;

			T_ASSERT(s < SBUF / SECTION);
			T_ASSERT(m.u.rndis_pkt.send_buf_section_size <= SECTION);
			host_stream(c, mem + SBUF_OFF + s * SECTION, m.u.rndis_pkt.send_buf_section_size);
		}
		r.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
		r.u.rndis_pkt_complete.status = NVSP_STAT_SUCCESS;
		h.last_section_tid = p->desc.trans_id;
		reply_nvsp(c, p->desc.trans_id, &r, NVSP_MSG_MIN(rndis_pkt_complete));
		return;
	default:
		return;   /* NDIS_CONFIG, NDIS_VER, revokes */
	}
}

static void host_step(void)
{
	unsigned int c;

	for (c = 0; c < NCH; c++) {
		struct vmbus_pkt p;
		int err = 0;

		if (!h.ch_open[c])
			continue;
		while (vmbus_ring_read_burst(&h.ch[c].in, &p, 1, &err) == 1)
			host_packet(c, &p);
		T_EQ(err, 0);
		vmbus_ring_read_commit(&h.ch[c].in);
	}
}

static int g_wait(void *ctx, int timeout_ms)
{
	(void)ctx;
	(void)timeout_ms;
	host_step();
	return 0;
}

static int g_signal(void *ctx, uint16_t queue)
{
	(void)ctx;
	T_ASSERT(queue < NCH);
	return 0;
}

static void open_channel(unsigned int c, struct vmbus_client_channel *ch)
{
	struct vmbus_client_offer o;

	memset(&o, 0, sizeof(o));
	o.state = VMBUS_CHAN_OPEN;
	o.msg.child_relid = c + 1;
	T_EQ(vmbus_client_rings_format(ring_base(c), RING, RING), 0);
	T_EQ(vmbus_client_channel_attach(ch, &o, ring_base(c), RING, RING, guest_scratch[c],
					 sizeof(guest_scratch[c])), 0);
	T_EQ(vmbus_ring_attach_reader(&h.ch[c].in, ring_base(c), RING, h.ch[c].scratch,
				      sizeof(h.ch[c].scratch)), 0);
	T_EQ(vmbus_ring_attach_writer(&h.ch[c].out, ring_base(c) + RING, RING), 0);
	h.ch_open[c] = true;
}

static int g_open_sub(void *ctx, uint16_t index, struct vmbus_client_channel *ch, int timeout_ms)
{
	(void)ctx;
	(void)timeout_ms;
	T_ASSERT(index < NCH && index <= h.grant);
	open_channel(index, ch);
	return 0;
}

static uint32_t tx_done_cookie[8];
static unsigned int tx_done_n;

static void g_tx_done(void *ctx, uint16_t queue, uint32_t cookie)
{
	(void)ctx;
	(void)queue;
	T_ASSERT(tx_done_n < 8);
	tx_done_cookie[tx_done_n++] = cookie;
}

static const struct netvsc_ops ops = {
	.wait = g_wait, .signal = g_signal, .open_subchannel = g_open_sub, .tx_done = g_tx_done,
};

/* A fresh host and NIC; returns netvsc_init's result. */
static int bring_up(uint16_t want_queues, void (*tweak)(void))
{
	unsigned int i;

	memset(&h, 0, sizeof(h));
	memset(mem, 0, sizeof(mem));
	memset(&nic, 0, sizeof(nic));
	memset(queues, 0, sizeof(queues));
	h.init_comp_len = sizeof(struct nvsp_msg);
	h.recv_sections = 1;
	h.sub_alloc_size = SUBALLOC;
	h.num_sub = NSUB;
	h.grant = want_queues - 1u;
	h.rss_queues = 8;
	if (tweak != NULL)
		tweak();
	open_channel(0, &gch[0]);
	for (i = 0; i < NCH; i++)
		queues[i].ch = &gch[i];
	nic.ops = &ops;
	nic.queues = queues;
	nic.max_queues = want_queues;
	nic.rbuf = mem + RBUF_OFF;
	nic.rbuf_size = RBUF;
	nic.sbuf = mem + SBUF_OFF;
	nic.sbuf_size = SBUF;
	nic.sbuf_gpa = SBUF_OFF;
	return netvsc_init(&nic, 200);
}

/* ---- Bring-up ---- */

static void multiqueue_bringup(void)
{
	struct ndis_rss_params p;
	uint32_t i, v;

	T_EQ(bring_up(2, NULL), 0);
	T_EQ(nic.nqueues, 2);
	T_EQ(h.subchannel_asked, 1);
	T_ASSERT(nic.rss_set);
	T_EQ(h.filter, NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST |
		       NDIS_PACKET_TYPE_BROADCAST);
	/* rndis_set_rss_param_msg: header, 128 channel numbers round robin,
	 * then the 40-byte key. */
	T_EQ(h.rss_len, sizeof(p) + 128 * 4 + 40);
	memcpy(&p, h.rss, sizeof(p));
	T_EQ(p.hdr.type, NDIS_OBJECT_TYPE_RSS_PARAMETERS);
	T_EQ(p.hdr.revision, 2);
	T_EQ(p.hdr.size, sizeof(p));
	T_EQ(p.hashinfo, NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 |
			 NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6);
	T_EQ(p.indirect_tabsize, 512);
	T_EQ(p.indirect_taboffset, sizeof(p));
	T_EQ(p.hashkey_size, 40);
	T_EQ(p.hashkey_offset, sizeof(p) + 512);
	for (i = 0; i < 128; i++) {
		memcpy(&v, h.rss + sizeof(p) + 4 * i, 4);
		T_EQ(v, i % 2);
	}
	T_EQ(memcmp(h.rss + p.hashkey_offset, netvsc_default_rss_key, 40), 0);
	/* Each queue owns half the sections, none in flight. */
	T_EQ(queues[0].sec_first, 0);
	T_EQ(queues[1].sec_first, queues[0].sec_count);
	T_EQ(queues[0].sec_count, (SBUF / SECTION) / 2);
	T_EQ(nic.offloads & NETVSC_OFFLOAD_LSO4, NETVSC_OFFLOAD_LSO4);
	T_EQ(nic.lso_max, 62768);
}

static void tw_no_rss(void)
{
	h.rss_queues = 1;
}

/* One queue asked for, or a host with one receive queue: no SUBCHANNEL,
 * no RSS parameters (rndis_filter_device_add). */
static void single_queue(void)
{
	T_EQ(bring_up(1, NULL), 0);
	T_EQ(nic.nqueues, 1);
	T_EQ(h.subchannel_asked, 0);
	T_ASSERT(!nic.rss_set);
	T_EQ(bring_up(2, tw_no_rss), 0);
	T_EQ(nic.nqueues, 1);
	T_EQ(h.subchannel_asked, 0);
	T_EQ(h.rss_len, 0);
	T_EQ(queues[0].sec_count, SBUF / SECTION);
}

static void tw_short_init(void)
{
	h.init_comp_len = 20;   /* Linux needs 28 */
}

static void tw_two_sections(void)
{
	h.recv_sections = 2;
}

static void tw_big_suballoc(void)
{
	h.num_sub = NSUB + 1;   /* more than the buffer holds */
}

static void tw_tiny_suballoc(void)
{
	h.sub_alloc_size = 64;
}

static void tw_over_grant(void)
{
	h.grant = 3;            /* one was asked for */
}

static void hostile_bringup(void)
{
	T_EQ(bring_up(1, tw_short_init), -HVN_EPROTO);
	T_EQ(bring_up(1, tw_two_sections), -HVN_EPROTO);
	T_EQ(bring_up(1, tw_big_suballoc), -HVN_EPROTO);
	T_EQ(bring_up(1, tw_tiny_suballoc), -HVN_EPROTO);
	T_EQ(bring_up(2, tw_over_grant), -HVN_EPROTO);
}

/* ---- Transmit ---- */

static void poll_queue(struct netvsc_queue *q)
{
	struct netvsc_frame f[8];

	host_step();
	while (netvsc_rx_burst(q, f, 8) > 0)
		;
	netvsc_rx_release(q);
}

/* The host took one frame: these bytes, with these PPIs and VLAN tag. */
static void host_got_one(const uint8_t *frame, uint32_t len, uint32_t present, uint16_t tci)
{
	T_EQ(h.frames, 1);
	T_EQ(h.frame_len, len);
	T_EQ(memcmp(h.frame, frame, len), 0);
	T_EQ(h.frame_info.present, present);
	T_EQ(netvsc_vlan_tci(h.frame_info.vlan), tci);
}

static unsigned int busy_sections(const struct netvsc_queue *q)
{
	unsigned int n = 0, i;

	for (i = 0; i < NETVSC_MAX_SECTIONS; i++)
		n += (q->sec_busy[i / 64] >> (i % 64)) & 1u;
	return n;
}

static void transmit_both_forms(void)
{
	struct rndis_pkt_info ppi;
	static uint8_t frame[9014];
	uint32_t i;

	T_EQ(bring_up(2, NULL), 0);
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 13);
	/* Copy mode on queue 1, with a VLAN tag: its own channel, its own
	 * sections. */
	memset(&ppi, 0, sizeof(ppi));
	ppi.present = RNDIS_PKT_HAS_VLAN;
	ppi.vlan = netvsc_ppi_vlan(0x2005);
	T_EQ(netvsc_send(&queues[1], frame, 1514, &ppi), 0);
	T_EQ(netvsc_tx_flush(&queues[1]), 0);
	T_EQ(busy_sections(&queues[1]), 1);
	host_step();
	host_got_one(frame, 1514, RNDIS_PKT_HAS_VLAN, 0x2005);
	T_EQ(h.frame_ch, 1);
	poll_queue(&queues[1]);
	T_EQ(busy_sections(&queues[1]), 0);
	T_EQ(queues[1].st.tx_completions, 1);
	/* Completions for nothing in flight: a repeat, a made-up trans_id,
	 * one too short, one of the wrong type. None frees a section. */
	{
		struct nvsp_msg r;
		uint64_t old = h.last_section_tid;

		memset(&r, 0, sizeof(r));
		r.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
		r.u.rndis_pkt_complete.status = NVSP_STAT_SUCCESS;
		reply_nvsp(1, old, &r, 8);
		reply_nvsp(1, 0x12345, &r, 8);
		reply_nvsp(1, old, &r, 4);
		r.type = NVSP_MSG1_SEND_RECV_BUF_COMPLETE;
		reply_nvsp(1, old, &r, 8);
		poll_queue(&queues[1]);
		T_EQ(queues[1].st.bad_msgs, 4);
		T_EQ(queues[1].st.tx_completions, 1);
		/* The section is busy again with a new frame; the host's
		 * answer frees it. */
		T_EQ(netvsc_send(&queues[1], frame, 100, NULL), 0);
		T_EQ(netvsc_tx_flush(&queues[1]), 0);
		T_EQ(busy_sections(&queues[1]), 1);
		poll_queue(&queues[1]);
		T_EQ(busy_sections(&queues[1]), 0);
		T_EQ(queues[1].st.tx_completions, 2);
	}
	/* A jumbo frame does not fit a section: GPA-direct from consecutive
	 * sections of queue 0's slice. */
	T_EQ(netvsc_send(&queues[0], frame, 9014, NULL), -HVN_EMSGSIZE);   /* MTU 1500 */
	nic.mtu = 9000;
	T_EQ(netvsc_send(&queues[0], frame, 9014, NULL), 0);
	T_EQ(netvsc_tx_flush(&queues[0]), 0);
	T_EQ(busy_sections(&queues[0]), 2);
	host_step();
	T_EQ(h.gpa_direct, 1);
	T_EQ(h.frame_len, 9014);
	T_EQ(h.frame_ch, 0);
	T_EQ(memcmp(h.frame, frame, 9014), 0);
	poll_queue(&queues[0]);
	T_EQ(busy_sections(&queues[0]), 0);
	T_EQ(queues[0].st.tx_direct, 1);
	/* Larger than the queue's slice of the send buffer: never fits. */
	{
		static uint8_t big[62000];
		struct rndis_pkt_info lso = { .present = RNDIS_PKT_HAS_LSO };

		lso.lso = netvsc_ppi_lso(1448, 34, false);
		T_EQ(netvsc_send(&queues[0], big, sizeof(big), &lso), -HVN_EMSGSIZE);
	}
}

/* Zero-copy: the RNDIS header in a range of its own, then the frame's
 * segments where they lie, one range each; the cookie comes back with
 * the host's completion, and only with a well-formed one. */
static void transmit_zero_copy(void)
{
	struct netvsc_tx_seg seg[2] = {
		{ .gpa = ZC_OFF + 4096u - 100u, .len = 1000 },   /* across a page */
		{ .gpa = ZC_OFF + 3u * 4096u + 8u, .len = 514 },
	};
	struct rndis_pkt_info ppi;
	uint8_t frame[1514];
	uint32_t i;

	T_EQ(bring_up(1, NULL), 0);
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);
	memcpy(mem + seg[0].gpa, frame, 1000);
	memcpy(mem + seg[1].gpa, frame + 1000, 514);
	memset(&ppi, 0, sizeof(ppi));
	ppi.present = RNDIS_PKT_HAS_VLAN | RNDIS_PKT_HAS_CSUM;
	ppi.vlan = netvsc_ppi_vlan(0x0123);
	ppi.csum = netvsc_ppi_csum(NDIS_TXCSUM_IPV4 | NDIS_TXCSUM_UDP, 34);
	uint64_t comps, bad;

	tx_done_n = 0;
	h.frames = 0;
	comps = queues[0].st.tx_completions;
	bad = queues[0].st.bad_msgs;
	T_EQ(netvsc_tx_direct(&queues[0], mem + ZC_OFF + 128u, ZC_OFF + 128u, seg, 2, &ppi, 7), 0);
	T_EQ(netvsc_tx_flush(&queues[0]), 0);
	T_EQ(busy_sections(&queues[0]), 0);
	host_step();
	host_got_one(frame, 1514, RNDIS_PKT_HAS_VLAN | RNDIS_PKT_HAS_CSUM, 0x0123);
	T_EQ(h.gpa_ranges, 3);
	T_EQ(tx_done_n, 0);
	poll_queue(&queues[0]);
	T_EQ(tx_done_n, 1);
	T_EQ(tx_done_cookie[0], 7);
	T_EQ(queues[0].st.tx_zero_copy, 1);
	T_EQ(queues[0].st.tx_completions, comps + 1);
	/* Completions of the zero-copy kind that are empty or of the wrong
	 * type never reach the caller (a 4-byte one is padded to 8 on the
	 * ring: a whole status). */
	{
		struct nvsp_msg r;

		memset(&r, 0, sizeof(r));
		r.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
		reply_nvsp(0, (3ull << 32) | 9u, &r, 0);
		r.type = NVSP_MSG1_SEND_RECV_BUF_COMPLETE;
		reply_nvsp(0, (3ull << 32) | 9u, &r, 8);
		poll_queue(&queues[0]);
		T_EQ(tx_done_n, 1);
		T_EQ(queues[0].st.bad_msgs, bad + 2);
	}
	/* Refused: a header across a page, no segment, more pages than a
	 * packet carries, a frame over the MTU. Nothing goes out. */
	T_EQ(netvsc_tx_direct(&queues[0], mem + ZC_OFF + 4000u, ZC_OFF + 4000u, seg, 2, NULL, 1),
	     -HVN_EINVAL);
	T_EQ(netvsc_tx_direct(&queues[0], mem + ZC_OFF, ZC_OFF, seg, 0, NULL, 1), -HVN_EINVAL);
	{
		struct netvsc_tx_seg many[NETVSC_TX_MAX_PFNS];

		for (i = 0; i < NETVSC_TX_MAX_PFNS; i++) {
			many[i].gpa = ZC_OFF + 4096u * (i % 16u) + 4090u;   /* 2 pages each */
			many[i].len = 12;
		}
		T_EQ(netvsc_tx_direct(&queues[0], mem + ZC_OFF, ZC_OFF, many, NETVSC_TX_MAX_PFNS,
				      NULL, 1), -HVN_EMSGSIZE);
	}
	seg[1].len = 1000;
	T_EQ(netvsc_tx_direct(&queues[0], mem + ZC_OFF, ZC_OFF, seg, 2, NULL, 1), -HVN_EMSGSIZE);
	T_EQ(netvsc_tx_flush(&queues[0]), 0);
	h.frames = 0;
	host_step();
	T_EQ(h.frames, 0);
}

/* ---- Receive ---- */

static uint32_t build_packet(uint8_t *buf, uint32_t len, uint32_t present)
{
	struct rndis_pkt_info info = { .present = present, .data_len = len };
	uint32_t hl;

	info.csum = NDIS_RXCSUM_IP_SUCCEEDED | NDIS_RXCSUM_TCP_SUCCEEDED;
	info.hash = 0x1234abcd;
	info.vlan = netvsc_ppi_vlan(7);
	hl = rndis_pkt_build(buf, &info);
	memset(buf + hl, 0x5a, len);
	return hl + len;
}

static bool completed(uint64_t tid)
{
	unsigned int i;

	for (i = 0; i < h.ncompleted; i++)
		if (h.completed[i] == tid)
			return true;
	return false;
}

static void receive_checks_everything(void)
{
	struct netvsc_queue *q = &queues[0];
	struct netvsc_frame f[8];
	struct vmbus_xfer_range r[4];
	uint8_t msg[512];
	uint32_t len;
	uint64_t tid;
	unsigned int got;

	T_EQ(bring_up(1, NULL), 0);
	host_step();
	h.ncompleted = 0;
	/* One good frame with its PPIs, and three bad ranges: outside the
	 * buffer, larger than a sub-allocation, an RNDIS length beyond the
	 * range. */
	len = build_packet(msg, 100, RNDIS_PKT_HAS_CSUM | RNDIS_PKT_HAS_HASH | RNDIS_PKT_HAS_VLAN);
	r[0] = host_rbuf(msg, len);
	r[1].byte_offset = RBUF - 8;
	r[1].byte_count = 64;
	r[2] = host_rbuf(msg, len);
	r[2].byte_count = SUBALLOC + 8;
	r[3] = host_rbuf(msg, len);
	r[3].byte_count = len - 20;
	tid = host_xfer(0, NVSP_RECV_BUF_ID, r, 4, 4);
	got = netvsc_rx_burst(q, f, 8);
	T_EQ(got, 1);
	T_EQ(f[0].len, 100);
	T_ASSERT(f[0].data >= mem + RBUF_OFF && f[0].data + 100 <= mem + RBUF_OFF + RBUF);
	T_EQ(f[0].info.present, RNDIS_PKT_HAS_CSUM | RNDIS_PKT_HAS_HASH | RNDIS_PKT_HAS_VLAN);
	T_EQ(f[0].info.hash, 0x1234abcd);
	T_EQ(netvsc_vlan_tci(f[0].info.vlan), 7);
	T_EQ(q->st.rx_bad, 3);
	/* Completed only once the frames are released. */
	host_step();
	T_ASSERT(!completed(tid));
	netvsc_rx_release(q);
	host_step();
	T_ASSERT(completed(tid));

	/* Whole packets refused, yet completed so the host gets its buffer
	 * back: another transfer page set, more ranges than Linux takes,
	 * more ranges claimed than the packet holds. */
	r[0] = host_rbuf(msg, len);
	h.ncompleted = 0;
	tid = host_xfer(0, 0x1234, r, 1, 1);
	T_EQ(netvsc_rx_burst(q, f, 8), 0);
	netvsc_rx_release(q);
	host_step();
	T_ASSERT(completed(tid));
	tid = host_xfer(0, NVSP_RECV_BUF_ID, r, 1, NVSP_RSC_MAX + 1);
	T_EQ(netvsc_rx_burst(q, f, 8), 0);
	netvsc_rx_release(q);
	host_step();
	T_ASSERT(completed(tid));
	tid = host_xfer(0, NVSP_RECV_BUF_ID, r, 1, 200);
	T_EQ(netvsc_rx_burst(q, f, 8), 0);
	netvsc_rx_release(q);
	host_step();
	T_ASSERT(completed(tid));
	T_EQ(q->st.rx_bad, 6);

	/* An RNDIS packet whose frame lies outside the message. */
	{
		struct rndis_packet pk;

		len = build_packet(msg, 100, 0);
		memcpy(&pk, msg + 8, sizeof(pk));
		pk.data_len = 400;
		memcpy(msg + 8, &pk, sizeof(pk));
		host_rndis(0, msg, len);
		T_EQ(netvsc_rx_burst(q, f, 8), 0);
		T_EQ(q->st.rx_bad, 7);
		netvsc_rx_release(q);
		host_step();
	}
	/* Bursts smaller than a packet: the rest comes next time, the
	 * packet is completed once, after its last frame was released. */
	len = build_packet(msg, 60, 0);
	r[0] = host_rbuf(msg, len);
	r[1] = host_rbuf(msg, len);
	r[2] = host_rbuf(msg, len);
	h.ncompleted = 0;
	tid = host_xfer(0, NVSP_RECV_BUF_ID, r, 3, 3);
	T_EQ(netvsc_rx_burst(q, f, 2), 2);
	netvsc_rx_release(q);
	host_step();
	T_ASSERT(!completed(tid));
	T_EQ(netvsc_rx_burst(q, f, 2), 1);
	netvsc_rx_release(q);
	host_step();
	T_ASSERT(completed(tid));
	T_EQ(h.ncompleted, 1);
}

/* Hold mode: what the caller's done() says, by packet number. */
static uint32_t hold_done_mask;
static unsigned int hold_asked;

static bool hold_done(void *ctx, uint32_t pkt)
{
	(void)ctx;
	hold_asked++;
	return pkt < 32 && (hold_done_mask >> pkt) & 1u;
}

/* Zero-copy receive keeps frames in the buffer: a packet is completed
 * only when the caller says it is done with it, in any order; a packet
 * still being taken apart is never asked about; refused packets are
 * completed without asking. */
static void receive_hold_mode(void)
{
	struct netvsc_queue *q = &queues[0];
	struct netvsc_frame f[8];
	struct vmbus_xfer_range r[2];
	uint8_t msg[512];
	uint64_t tid[3], bad;
	uint32_t len, pkt[3];
	unsigned int i;

	T_EQ(bring_up(1, NULL), 0);
	host_step();
	q->hold_rx = true;
	h.ncompleted = 0;
	len = build_packet(msg, 300, 0);
	for (i = 0; i < 3; i++) {
		r[0] = host_rbuf(msg, len);
		tid[i] = host_xfer(0, NVSP_RECV_BUF_ID, r, 1, 1);
	}
	T_EQ(netvsc_rx_burst(q, f, 8), 3);
	for (i = 0; i < 3; i++)
		pkt[i] = f[i].pkt;
	T_ASSERT(pkt[0] != pkt[1] && pkt[1] != pkt[2] && pkt[0] != pkt[2]);
	T_EQ(netvsc_rx_held(q), 3);
	/* Another burst does not release them. */
	T_EQ(netvsc_rx_burst(q, f + 3, 4), 0);
	host_step();
	T_EQ(h.ncompleted, 0);
	/* The middle one first. */
	hold_done_mask = 1u << pkt[1];
	netvsc_rx_release_done(q, hold_done, NULL);
	host_step();
	T_ASSERT(completed(tid[1]) && !completed(tid[0]) && !completed(tid[2]));
	T_EQ(netvsc_rx_held(q), 2);
	T_EQ(f[0].data[0], 0x5a);
	hold_done_mask = (1u << pkt[0]) | (1u << pkt[2]);
	netvsc_rx_release_done(q, hold_done, NULL);
	host_step();
	T_ASSERT(completed(tid[0]) && completed(tid[2]));
	T_EQ(h.ncompleted, 3);
	T_EQ(netvsc_rx_held(q), 0);

	/* Half taken apart: not asked about until its last frame is out. */
	r[0] = host_rbuf(msg, len);
	r[1] = host_rbuf(msg, len);
	tid[0] = host_xfer(0, NVSP_RECV_BUF_ID, r, 2, 2);
	T_EQ(netvsc_rx_burst(q, f, 1), 1);
	hold_done_mask = ~0u;
	hold_asked = 0;
	netvsc_rx_release_done(q, hold_done, NULL);
	host_step();
	T_EQ(hold_asked, 0);
	T_ASSERT(!completed(tid[0]));
	T_EQ(netvsc_rx_burst(q, f, 1), 1);
	netvsc_rx_release_done(q, hold_done, NULL);
	host_step();
	T_EQ(hold_asked, 1);
	T_ASSERT(completed(tid[0]));

	/* A refused packet goes back at once. */
	h.ncompleted = 0;
	bad = host_xfer(0, 0x1234, r, 1, 1);
	T_EQ(netvsc_rx_burst(q, f, 8), 0);
	hold_done_mask = 0;
	netvsc_rx_release_done(q, hold_done, NULL);
	host_step();
	T_ASSERT(completed(bad));
	q->hold_rx = false;
}

static void send_table(unsigned int c, uint32_t count, uint32_t offset, uint32_t fill, uint32_t len)
{
	struct {
		struct nvsp_msg m;
		uint32_t t[NVSP_SEND_TABLE_SIZE];
	} hvn_packed s;
	uint32_t i;

	memset(&s, 0, sizeof(s));
	s.m.type = NVSP_MSG5_SEND_INDIRECTION_TABLE;
	s.m.u.send_table.count = count;
	s.m.u.send_table.offset = offset;
	for (i = 0; i < NVSP_SEND_TABLE_SIZE; i++)
		s.t[i] = fill == 99 ? i % 2 : fill;
	host_put(c, VMBUS_PKT_DATA_INBAND, 0, 0, NULL, 0, &s, len);
}

static void indicate(uint32_t status, uint32_t buf_offset, uint32_t buflen)
{
	uint8_t msg[64];
	struct rndis_msg_hdr mh = { .type = RNDIS_MSG_INDICATE, .len = 8 + 12 + 4 };
	struct rndis_indicate ind = { .status = status, .status_buflen = buflen,
				      .status_buf_offset = buf_offset };
	uint32_t speed = 400000000;

	memcpy(msg, &mh, 8);
	memcpy(msg + 8, &ind, sizeof(ind));
	memcpy(msg + 20, &speed, 4);
	host_rndis(0, msg, mh.len);
}

static void host_messages(void)
{
	struct netvsc_frame f[4];
	uint64_t bad;

	T_EQ(bring_up(2, NULL), 0);
	host_step();
	poll_queue(&queues[0]);
	bad = queues[0].st.bad_msgs;
	/* Send tables Linux refuses: a count other than 16, a table beyond
	 * the message. */
	send_table(0, 8, sizeof(struct nvsp_msg), 1, sizeof(struct nvsp_msg) + 64);
	send_table(0, 16, 4000, 1, sizeof(struct nvsp_msg) + 64);
	send_table(0, 16, sizeof(struct nvsp_msg), 1, sizeof(struct nvsp_msg) + 32);
	poll_queue(&queues[0]);
	T_EQ(queues[0].st.bad_msgs, bad + 3);
	T_ASSERT(!nic.send_table_valid);
	/* A good one, entries naming channels that are not open ignored. */
	send_table(0, 16, sizeof(struct nvsp_msg), 99, sizeof(struct nvsp_msg) + 64);
	poll_queue(&queues[0]);
	T_ASSERT(nic.send_table_valid);
	T_EQ(netvsc_send_queue(&nic, 1), 1);
	T_EQ(netvsc_send_queue(&nic, 2), 0);
	send_table(0, 16, sizeof(struct nvsp_msg), 7, sizeof(struct nvsp_msg) + 64);
	poll_queue(&queues[0]);
	T_EQ(netvsc_send_queue(&nic, 1), 0);
	/* Inband messages belong to the primary. */
	send_table(1, 16, sizeof(struct nvsp_msg), 1, sizeof(struct nvsp_msg) + 64);
	poll_queue(&queues[1]);
	T_EQ(queues[1].st.bad_msgs, 1);
	T_EQ(netvsc_send_queue(&nic, 1), 0);

	/* Link indications: a speed change with its value beyond the
	 * message is refused; a good one and a disconnect are taken. */
	bad = queues[0].st.bad_msgs;
	indicate(RNDIS_STATUS_LINK_SPEED_CHANGE, 200, 4);
	indicate(RNDIS_STATUS_LINK_SPEED_CHANGE, 12, 40);
	T_EQ(netvsc_rx_burst(&queues[0], f, 4), 0);
	T_EQ(queues[0].st.bad_msgs, bad + 2);
	T_EQ(nic.link_speed, 100000000);
	indicate(RNDIS_STATUS_LINK_SPEED_CHANGE, 12, 4);
	indicate(RNDIS_STATUS_MEDIA_DISCONNECT, 0, 0);
	T_EQ(netvsc_rx_burst(&queues[0], f, 4), 0);
	T_EQ(nic.link_speed, 400000000);
	T_ASSERT(!nic.link_up);
	indicate(RNDIS_STATUS_MEDIA_CONNECT, 0, 0);
	T_EQ(netvsc_rx_burst(&queues[0], f, 4), 0);
	T_ASSERT(nic.link_up);

	/* A completion nobody asked for, an RNDIS reply to no request. */
	{
		uint8_t msg[40];
		struct rndis_msg_hdr mh = { .type = RNDIS_MSG_QUERY_C, .len = 24 };
		uint32_t id = 777;

		bad = queues[0].st.bad_msgs;
		memset(msg, 0, sizeof(msg));
		memcpy(msg, &mh, 8);
		memcpy(msg + 8, &id, 4);
		host_rndis(0, msg, mh.len);
		T_EQ(netvsc_rx_burst(&queues[0], f, 4), 0);
		T_EQ(queues[0].st.bad_msgs, bad + 1);
	}
	netvsc_rx_release(&queues[0]);
}

int main(void)
{
	T_RUN(multiqueue_bringup);
	T_RUN(single_queue);
	T_RUN(hostile_bringup);
	T_RUN(transmit_both_forms);
	T_RUN(transmit_zero_copy);
	T_RUN(receive_checks_everything);
	T_RUN(receive_hold_mode);
	T_RUN(host_messages);
	return 0;
}
