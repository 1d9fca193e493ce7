/* Receive: what the host writes into a queue's ring. Completions free
 * send sections or answer a control request; inband messages carry the
 * send indirection table and VF association; transfer-page packets carry
 * RNDIS messages in the receive buffer, frames or control replies. Every
 * value is checked the way Linux 6.1 checks it (netvsc.c netvsc_receive,
 * netvsc_send_table, rndis_filter.c), and a transfer-page packet's ranges
 * are copied once before they are checked: the host may rewrite the ring
 * while we read it. */
#include "netvsc/netvsc_priv.h"

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static void take_reply(struct netvsc *n, const uint8_t *p, uint32_t len)
{
	if (len > sizeof(n->reply))
		len = sizeof(n->reply);
	__builtin_memcpy(n->reply, p, len);
	n->reply_len = len;
	n->got = true;
}

/* A completion of SEND_RNDIS_PKT: its sections return to q. */
static void complete_sections(struct netvsc_queue *q, uint64_t tid, uint32_t status)
{
	uint32_t first = (uint32_t)tid & 0xffffu, k = (uint32_t)(tid >> 16) & 0xffffu, s;

	if (k == 0 || k > q->sec_count || first < q->sec_first ||
	    first - q->sec_first > q->sec_count - k) {
		q->st.bad_msgs++;
		return;
	}
	/* A completion for sections not in flight (a repeat, a made-up
	 * trans_id) must not free sections a later frame took. */
	for (s = first; s < first + k; s++) {
		if (!nvc_sec_busy(q, s)) {
			q->st.bad_msgs++;
			return;
		}
	}
	nvc_sec_mark(q, first, k, false);
	q->st.tx_completions++;
	if (status != NVSP_STAT_SUCCESS)
		q->st.tx_refused++;
}

static void on_completion(struct netvsc_queue *q, const struct vmbus_pkt *p)
{
	struct netvsc *n = q->nic;
	uint32_t len = vmbus_pkt_payload_len(p), type;
	uint64_t tid = p->desc.trans_id;

	if (len < 4) {
		q->st.bad_msgs++;
		return;
	}
	type = rd32(vmbus_pkt_payload(p));
	if ((tid & NVC_TID_KIND_MASK) == NVC_TID_SECTION ||
	    ((tid & NVC_TID_KIND_MASK) == NVC_TID_ZC && n->ops->tx_done != 0)) {
		uint32_t status;

		/* netvsc_send_completion: header and status at least. */
		if (type != NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE || len < NVSP_MSG_MIN(rndis_pkt_complete)) {
			q->st.bad_msgs++;
			return;
		}
		status = rd32(vmbus_pkt_payload(p) + 4);
		if ((tid & NVC_TID_KIND_MASK) == NVC_TID_SECTION) {
			complete_sections(q, tid, status);
			return;
		}
		/* The caller checks the cookie: it knows what it has out. */
		q->st.tx_completions++;
		if (status != NVSP_STAT_SUCCESS)
			q->st.tx_refused++;
		n->ops->tx_done(n->ctx, q->idx, (uint32_t)tid);
		return;
	}
	if ((tid & NVC_TID_KIND_MASK) == NVC_TID_CONTROL && q->idx == 0 && !n->got &&
	    type == n->want_type && (uint32_t)tid == n->want_id) {
		take_reply(n, vmbus_pkt_payload(p), len);
		return;
	}
	q->st.bad_msgs++;
}

/* Linux netvsc_send_table, including its work-around for hosts before
 * NVSP 6.1 that put a wrong offset in the message. */
static void on_send_table(struct netvsc_queue *q, const struct vmbus_pkt *p)
{
	struct netvsc *n = q->nic;
	const uint8_t *msg = vmbus_pkt_payload(p);
	uint32_t len = vmbus_pkt_payload_len(p), count, offset, i;
	uint32_t table[NVSP_SEND_TABLE_SIZE];

	if (len < NVSP_MSG_MIN(send_table) || n->nvsp_version < NVSP_VERSION_5) {
		q->st.bad_msgs++;
		return;
	}
	count = rd32(msg + 4);
	offset = rd32(msg + 8);
	if (count != NVSP_SEND_TABLE_SIZE) {
		q->st.bad_msgs++;
		return;
	}
	if (n->nvsp_version <= NVSP_VERSION_6 &&
	    len >= sizeof(struct nvsp_msg) + count * sizeof(uint32_t))
		offset = sizeof(struct nvsp_msg);
	if (len < count * sizeof(uint32_t) || offset > len - count * sizeof(uint32_t)) {
		q->st.bad_msgs++;
		return;
	}
	__builtin_memcpy(table, msg + offset, sizeof(table));
	/* Entries are checked when used (netvsc_send_queue): the number of
	 * open queues may still change. */
	for (i = 0; i < NVSP_SEND_TABLE_SIZE; i++)
		hvn_store_relaxed(&n->send_table[i], table[i]);
	hvn_store_release(&n->send_table_valid, true);
}

static void on_inband(struct netvsc_queue *q, const struct vmbus_pkt *p)
{
	struct netvsc *n = q->nic;
	uint32_t len = vmbus_pkt_payload_len(p);
	struct nvsp_msg m;

	if (len < 4 || q->idx != 0) {
		q->st.bad_msgs++;
		return;
	}
	nvc_memset(&m, 0, sizeof(m));
	__builtin_memcpy(&m, vmbus_pkt_payload(p), len < sizeof(m) ? len : sizeof(m));
	switch (m.type) {
	case NVSP_MSG5_SEND_INDIRECTION_TABLE:
		on_send_table(q, p);
		return;
	case NVSP_MSG4_SEND_VF_ASSOCIATION:
		/* No VF is bonded here; what the host said is kept. */
		if (len >= NVSP_MSG_MIN(vf_assoc) && n->nvsp_version >= NVSP_VERSION_4) {
			n->vf_allocated = m.u.vf_assoc.allocated != 0;
			n->vf_serial = m.u.vf_assoc.serial;
			return;
		}
		break;
	default:
		break;
	}
	q->st.bad_msgs++;
}

/* Entry i (not yet released) becomes the last released one. */
static void release_at(struct netvsc_queue *q, uint32_t i)
{
	uint64_t tid = q->owed[i];
	uint32_t pkt = q->owed_pkt[i];

	for (; i > q->nrel; i--) {
		q->owed[i] = q->owed[i - 1];
		q->owed_pkt[i] = q->owed_pkt[i - 1];
	}
	q->owed[q->nrel] = tid;
	q->owed_pkt[q->nrel] = pkt;
	q->nrel++;
}

static void owe(struct netvsc_queue *q, uint64_t tid, uint32_t pkt, bool released)
{
	if (q->nowed == NETVSC_OWED) {
		q->st.bad_msgs++;   /* cannot happen: loading checks for room */
		return;
	}
	q->owed[q->nowed] = tid;
	q->owed_pkt[q->nowed] = pkt;
	q->nowed++;
	/* Released ones first: they may be completed now. */
	if (released)
		release_at(q, q->nowed - 1);
}

static void pay_owed(struct netvsc_queue *q)
{
	struct nvsp_msg m;
	uint32_t i = 0, j;

	nvc_memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
	m.u.rndis_pkt_complete.status = NVSP_STAT_SUCCESS;
	/* Linux netvsc_send_recv_completion: the 8 bytes of header and
	 * status. What does not fit the ring waits for the next poll. */
	while (i < q->nrel && nvc_put(q, VMBUS_PKT_COMP, 0, q->owed[i], 0, 0, &m,
				      NVSP_MSG_MIN(rndis_pkt_complete)) == 0)
		i++;
	for (j = i; j < q->nowed; j++) {
		q->owed[j - i] = q->owed[j];
		q->owed_pkt[j - i] = q->owed_pkt[j];
	}
	q->nowed -= i;
	q->nrel -= i;
}

/* A transfer-page packet: its ranges become the current packet. */
static void load_xfer(struct netvsc_queue *q, const struct vmbus_pkt *p)
{
	struct vmbus_xfer_page_hdr h;
	struct nvsp_msg m;
	uint32_t count;

	if (p->len < sizeof(h) || vmbus_pkt_payload_len(p) < NVSP_MSG_MIN(rndis_pkt)) {
		q->st.rx_bad++;
		owe(q, p->desc.trans_id, 0, true);
		return;
	}
	__builtin_memcpy(&h, p->pkt, sizeof(h));
	__builtin_memcpy(&m, vmbus_pkt_payload(p), NVSP_MSG_MIN(rndis_pkt));
	count = h.range_cnt;
	if (h.xfer_pageset_id != NVSP_RECV_BUF_ID || m.type != NVSP_MSG1_SEND_RNDIS_PKT ||
	    count > NVSP_RSC_MAX || sizeof(h) + (uint64_t)count * 8u > p->off) {
		/* Completed all the same, so the host gets its buffer back. */
		q->st.rx_bad++;
		owe(q, p->desc.trans_id, 0, true);
		return;
	}
	q->st.rx_batches++;
	if (count == 0) {
		owe(q, p->desc.trans_id, 0, true);
		return;
	}
	__builtin_memcpy(q->cur_ranges, p->pkt + sizeof(h), count * 8u);
	q->rx_pkt++;
	q->cur_tid = p->desc.trans_id;
	q->cur_n = count;
	q->cur_i = 0;
	q->cur_active = true;
}

bool nvc_pump(struct netvsc_queue *q)
{
	struct netvsc *n = q->nic;
	unsigned int got = 0, i;
	int err = 0;

	if (q->nrel > 0)
		pay_owed(q);
	if (q->batch_stuck)
		(void)nvc_flush_batch(q);
	for (i = 0; i < NVC_BURST && err == 0; i++) {
		struct vmbus_pkt p;

		if (vmbus_ring_read_burst(&q->ch->rx, &p, 1, &err) == 0)
			break;
		if (p.desc.type == VMBUS_PKT_DATA_XFER_PAGES &&
		    (q->cur_active || q->nowed == NETVSC_OWED)) {
			/* Until the caller took the current packet's frames. */
			vmbus_ring_read_unread(&q->ch->rx, &p);
			break;
		}
		got++;
		switch (p.desc.type) {
		case VMBUS_PKT_COMP:
			on_completion(q, &p);
			break;
		case VMBUS_PKT_DATA_XFER_PAGES:
			load_xfer(q, &p);
			break;
		case VMBUS_PKT_DATA_INBAND:
			on_inband(q, &p);
			break;
		default:
			q->st.bad_msgs++;
			break;
		}
	}
	if (vmbus_ring_read_commit(&q->ch->rx))
		n->ops->signal(n->ctx, q->idx);
	if (q->nrel > 0)
		pay_owed(q);
	nvc_kick(q);
	/* A ring the host broke stays broken (vmbus_ring refuses every
	 * later call): the queue is dead, say so once. */
	if ((err < 0 || q->ch->rx.broken || q->ch->tx.broken) && !q->faulted) {
		q->faulted = true;
		q->st.ring_faults++;
	}
	return got > 0;
}

static void on_indicate(struct netvsc_queue *q, const uint8_t *msg, uint32_t len)
{
	struct netvsc *n = q->nic;
	struct rndis_indicate ind;
	uint32_t body = len - RNDIS_HEADER_SIZE;

	if (body < sizeof(ind)) {
		q->st.bad_msgs++;
		return;
	}
	__builtin_memcpy(&ind, msg + RNDIS_HEADER_SIZE, sizeof(ind));
	q->st.indications++;
	switch (ind.status) {
	case RNDIS_STATUS_MEDIA_CONNECT:
		hvn_store_relaxed(&n->link_up, true);
		break;
	case RNDIS_STATUS_MEDIA_DISCONNECT:
		hvn_store_relaxed(&n->link_up, false);
		break;
	case RNDIS_STATUS_LINK_SPEED_CHANGE:
		/* netvsc_linkstatus_callback's checks. */
		if (ind.status_buflen < 4 || ind.status_buf_offset < sizeof(ind) ||
		    body < ind.status_buf_offset || body - ind.status_buf_offset < ind.status_buflen) {
			q->st.bad_msgs++;
			break;
		}
		hvn_store_relaxed(&n->link_speed, rd32(msg + RNDIS_HEADER_SIZE + ind.status_buf_offset));
		break;
	default:
		break;   /* NETWORK_CHANGE and others: nothing to do here */
	}
}

/* One RNDIS message of 'count' bytes in the receive buffer. Returns true
 * when it is a frame for the caller (written to *f). */
static bool on_rndis(struct netvsc_queue *q, const uint8_t *msg, uint32_t count,
		     struct netvsc_frame *f)
{
	struct netvsc *n = q->nic;
	struct rndis_msg_hdr h;

	if (count < sizeof(h)) {
		q->st.rx_bad++;
		return false;
	}
	__builtin_memcpy(&h, msg, sizeof(h));
	if (h.len > count || h.len < sizeof(h)) {
		q->st.rx_bad++;
		return false;
	}
	switch (h.type) {
	case RNDIS_MSG_PACKET:
		nvc_memset(&f->info, 0, sizeof(f->info));
		if (rndis_pkt_parse(msg, h.len, h.len, &f->info) < 0) {
			q->st.rx_bad++;
			return false;
		}
		f->data = msg + f->info.data_off;
		f->len = f->info.data_len;
		q->st.rx_packets++;
		q->st.rx_bytes += f->len;
		return true;
	case RNDIS_MSG_INDICATE:
		on_indicate(q, msg, h.len);
		return false;
	default:
		if (q->idx == 0 && (h.type & RNDIS_MSG_COMPLETION) && h.type == n->want_type &&
		    h.len >= RNDIS_HEADER_SIZE + 4 && !n->got) {
			/* RESET_C carries no request id. */
			if (rd32(msg + RNDIS_HEADER_SIZE) == n->want_id || h.type == RNDIS_MSG_RESET_C) {
				take_reply(n, msg, h.len);
				return false;
			}
		}
		q->st.bad_msgs++;
		return false;
	}
}

unsigned int netvsc_rx_burst(struct netvsc_queue *q, struct netvsc_frame *frames, unsigned int n)
{
	struct netvsc *nic = q->nic;
	unsigned int got = 0, pumps = 0;

	/* In hold mode the caller says when (netvsc_rx_release_done). */
	if (q->nowed > 0 && !q->hold_rx)
		netvsc_rx_release(q);
	while (got < n) {
		if (!q->cur_active) {
			/* A host that keeps writing completions cannot keep us
			 * here forever. */
			if (pumps++ > n + 4 || !nvc_pump(q))
				break;
			continue;
		}
		while (q->cur_i < q->cur_n && got < n) {
			struct vmbus_xfer_range r = q->cur_ranges[q->cur_i++];

			if (r.byte_offset > nic->rbuf_size || r.byte_count > nic->rbuf_size - r.byte_offset ||
			    r.byte_count > nic->sub_alloc_size) {
				q->st.rx_bad++;
				continue;
			}
			if (q->cur_i < q->cur_n && q->cur_ranges[q->cur_i].byte_offset < nic->rbuf_size)
				hvn_prefetch(nic->rbuf + q->cur_ranges[q->cur_i].byte_offset);
			if (on_rndis(q, nic->rbuf + r.byte_offset, r.byte_count, &frames[got])) {
				frames[got].pkt = q->rx_pkt;
				got++;
			}
		}
		if (q->cur_i == q->cur_n) {
			q->cur_active = false;
			owe(q, q->cur_tid, q->rx_pkt, false);
		}
	}
	return got;
}

void netvsc_rx_release(struct netvsc_queue *q)
{
	q->nrel = q->nowed;
	if (q->nrel > 0)
		pay_owed(q);
	nvc_kick(q);
}

void netvsc_rx_release_done(struct netvsc_queue *q, bool (*done)(void *ctx, uint32_t pkt),
			    void *ctx)
{
	uint32_t i;

	for (i = q->nrel; i < q->nowed; i++)
		if (done(ctx, q->owed_pkt[i]))
			release_at(q, i);
	if (q->nrel > 0)
		pay_owed(q);
	nvc_kick(q);
}
