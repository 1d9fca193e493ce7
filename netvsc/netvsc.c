/* netVSC core (see netvsc.h). The host's replies are checked the way
 * Linux 6.1 checks them (netvsc.c, rndis_filter.c): the guest trusts the
 * host no more than the host trusts the guest. */
#include "netvsc/netvsc.h"

#include "common/hvn_errno.h"

#define WAIT_SLICE_MS 10
#define TID_SECTION   (1ull << 32)    /* trans_id of a send: this | section */
#define TID_CONTROL   (2ull << 32)    /* requests awaiting an NVSP reply */

static void *mset(void *d, int c, uint32_t n)
{
	return __builtin_memset(d, c, n);
}

static int put(struct netvsc *n, uint16_t type, uint16_t flags, uint64_t tid,
	       const void *hdr, uint32_t hdr_len, const void *msg, uint32_t len)
{
	struct vmbus_sg sg = { .base = msg, .len = len };
	struct vmbus_pkt_out o = {
		.type = type, .flags = flags, .trans_id = tid,
		.hdr = hdr, .hdr_len = hdr_len, .sg = &sg, .nsg = len != 0 ? 1u : 0u,
	};
	int rc = vmbus_ring_put(&n->ch->tx, &o);

	if (rc == 0 && vmbus_ring_write_commit(&n->ch->tx))
		n->ops->signal(n->ctx);
	return rc;
}

static int send_nvsp(struct netvsc *n, const struct nvsp_msg *m, bool completion)
{
	return put(n, VMBUS_PKT_DATA_INBAND,
		   completion ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0,
		   completion ? TID_CONTROL | m->type : VMBUS_RQST_ID_NO_RESPONSE,
		   0, 0, m, sizeof(*m));
}

/* ---- Receive path ---- */

static void want(struct netvsc *n, uint32_t type, uint32_t id)
{
	n->want_type = type;
	n->want_id = id;
	n->got = false;
}

static void take_reply(struct netvsc *n, const uint8_t *p, uint32_t len)
{
	if (len > sizeof(n->reply))
		len = sizeof(n->reply);
	__builtin_memcpy(n->reply, p, len);
	n->reply_len = len;
	n->got = true;
}

static void on_completion(struct netvsc *n, const struct vmbus_pkt *p)
{
	uint32_t len = vmbus_pkt_payload_len(p);
	uint32_t type = 0;

	if (len >= 4)
		__builtin_memcpy(&type, vmbus_pkt_payload(p), 4);
	if (type == NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE &&
	    (p->desc.trans_id & ~0xffffffffull) == TID_SECTION) {
		uint32_t s = (uint32_t)p->desc.trans_id;

		if (s < n->nsections && (n->section_busy[s / 64] & (1ull << (s % 64)))) {
			n->section_busy[s / 64] &= ~(1ull << (s % 64));
			n->st.tx_completions++;
			return;
		}
	}
	if (len >= 4 && type == n->want_type && !n->got) {
		take_reply(n, vmbus_pkt_payload(p), len);
		return;
	}
	n->st.bad_msgs++;
}

static void on_rndis(struct netvsc *n, const uint8_t *msg, uint32_t count)
{
	struct rndis_msg_hdr h;
	struct rndis_pkt_info info;

	if (count < sizeof(h)) {
		n->st.rx_bad++;
		return;
	}
	__builtin_memcpy(&h, msg, sizeof(h));
	if (h.len > count || h.len < sizeof(h)) {
		n->st.rx_bad++;
		return;
	}
	switch (h.type) {
	case RNDIS_MSG_PACKET:
		if (rndis_pkt_parse(msg, h.len, h.len, &info) < 0) {
			n->st.rx_bad++;
			return;
		}
		n->st.rx_packets++;
		n->st.rx_bytes += info.data_len;
		if (n->ops->rx != 0)
			n->ops->rx(n->ctx, msg + info.data_off, info.data_len, &info);
		return;
	case RNDIS_MSG_INDICATE: {
		struct rndis_indicate ind;

		if (h.len < RNDIS_HEADER_SIZE + sizeof(ind))
			break;
		__builtin_memcpy(&ind, msg + RNDIS_HEADER_SIZE, sizeof(ind));
		n->st.indications++;
		if (ind.status == RNDIS_STATUS_MEDIA_CONNECT)
			n->link_up = true;
		else if (ind.status == RNDIS_STATUS_MEDIA_DISCONNECT)
			n->link_up = false;
		return;
	}
	default:
		if ((h.type & RNDIS_MSG_COMPLETION) && h.type == n->want_type &&
		    h.len >= RNDIS_HEADER_SIZE + 4 && !n->got) {
			uint32_t id;

			__builtin_memcpy(&id, msg + RNDIS_HEADER_SIZE, 4);
			/* RESET_C carries no request id. */
			if (id == n->want_id || h.type == RNDIS_MSG_RESET_C) {
				take_reply(n, msg, h.len);
				return;
			}
		}
		break;
	}
	n->st.bad_msgs++;
}

static void complete_rx(struct netvsc *n, uint64_t tid)
{
	struct nvsp_msg m;

	mset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
	m.u.rndis_pkt_complete.status = NVSP_STAT_SUCCESS;
	/* Linux sends the 8 bytes of header and status. */
	if (n->nowed > 0 || put(n, VMBUS_PKT_COMP, 0, tid, 0, 0, &m,
				NVSP_MSG_MIN(rndis_pkt_complete)) < 0) {
		if (n->nowed < 64)
			n->owed[n->nowed++] = tid;
		else
			n->st.bad_msgs++;   /* cannot happen with a sane ring size */
	}
}

static void pay_owed(struct netvsc *n)
{
	struct nvsp_msg m;
	uint32_t i = 0;

	mset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
	m.u.rndis_pkt_complete.status = NVSP_STAT_SUCCESS;
	while (i < n->nowed && put(n, VMBUS_PKT_COMP, 0, n->owed[i], 0, 0, &m,
				   NVSP_MSG_MIN(rndis_pkt_complete)) == 0)
		i++;
	for (uint32_t j = i; j < n->nowed; j++)
		n->owed[j - i] = n->owed[j];
	n->nowed -= i;
}

static void on_xfer(struct netvsc *n, const struct vmbus_pkt *p)
{
	struct vmbus_xfer_page_hdr h;
	uint32_t i, count;
	struct nvsp_msg m;

	if (p->len < sizeof(h) || vmbus_pkt_payload_len(p) < NVSP_MSG_MIN(rndis_pkt)) {
		n->st.rx_bad++;
		return;
	}
	__builtin_memcpy(&h, p->pkt, sizeof(h));
	__builtin_memcpy(&m, vmbus_pkt_payload(p), NVSP_MSG_MIN(rndis_pkt));
	count = h.range_cnt;
	if (h.xfer_pageset_id != NVSP_RECV_BUF_ID || m.type != NVSP_MSG1_SEND_RNDIS_PKT ||
	    count > NVSP_RSC_MAX || sizeof(h) + (uint64_t)count * 8u > p->off) {
		n->st.rx_bad++;
		complete_rx(n, p->desc.trans_id);
		return;
	}
	n->st.rx_batches++;
	for (i = 0; i < count; i++) {
		struct vmbus_xfer_range r;

		__builtin_memcpy(&r, p->pkt + sizeof(h) + 8u * i, sizeof(r));
		if (r.byte_offset > n->rbuf_size || r.byte_count > n->rbuf_size - r.byte_offset ||
		    r.byte_count > n->sub_alloc_size) {
			n->st.rx_bad++;
			continue;
		}
		on_rndis(n, n->rbuf + r.byte_offset, r.byte_count);
	}
	complete_rx(n, p->desc.trans_id);
}

int netvsc_poll(struct netvsc *n)
{
	struct vmbus_pkt pkts[32];
	unsigned int cnt, i;
	int err, total = 0;

	if (n->nowed > 0)
		pay_owed(n);
	do {
		cnt = vmbus_ring_read_burst(&n->ch->rx, pkts, 32, &err);
		for (i = 0; i < cnt; i++) {
			const struct vmbus_pkt *p = &pkts[i];

			switch (p->desc.type) {
			case VMBUS_PKT_COMP:
				on_completion(n, p);
				break;
			case VMBUS_PKT_DATA_XFER_PAGES:
				on_xfer(n, p);
				break;
			case VMBUS_PKT_DATA_INBAND:
				/* Send indirection table, VF association:
				 * single-queue here, no VF. */
				break;
			default:
				n->st.bad_msgs++;
				break;
			}
		}
		total += (int)cnt;
		if (vmbus_ring_read_commit(&n->ch->rx))
			n->ops->signal(n->ctx);
		if (err < 0)
			return err;
	} while (cnt == 32);
	return total;
}

static int wait_reply(struct netvsc *n, int timeout_ms)
{
	int slices = timeout_ms / WAIT_SLICE_MS + 1, rc;

	while (slices-- > 0) {
		rc = netvsc_poll(n);
		if (rc < 0)
			return rc;
		if (n->got)
			return 0;
		rc = n->ops->wait(n->ctx, WAIT_SLICE_MS);
		if (rc < 0)
			return rc;
	}
	n->want_type = 0;
	return -HVN_ETIMEDOUT;
}

/* ---- Send path ---- */

static int free_section(struct netvsc *n)
{
	uint32_t s;

	for (s = 0; s < n->nsections; s++)
		if (!(n->section_busy[s / 64] & (1ull << (s % 64))))
			return (int)s;
	return -HVN_EAGAIN;
}

/* SEND_RNDIS_PKT for 'len' bytes of send-buffer section 's'. */
static int send_section(struct netvsc *n, uint32_t channel_type, uint32_t s, uint32_t len)
{
	struct nvsp_msg m;

	mset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.channel_type = channel_type;
	m.u.rndis_pkt.send_buf_section_index = s;
	m.u.rndis_pkt.send_buf_section_size = len;
	return put(n, VMBUS_PKT_DATA_INBAND, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
		   TID_SECTION | s, 0, 0, &m, NVSP_MSG_MIN(rndis_pkt));
}

int netvsc_flush(struct netvsc *n)
{
	int rc;

	if (n->batch_section < 0)
		return 0;
	rc = send_section(n, NVSP_RNDIS_CHANNEL_DATA, (uint32_t)n->batch_section, n->batch_len);
	if (rc < 0)
		return rc;
	n->batch_section = -1;
	n->batch_len = n->batch_count = 0;
	return 0;
}

int netvsc_send(struct netvsc *n, const void *frame, uint32_t len, struct rndis_pkt_info *ppi)
{
	struct rndis_pkt_info none = { 0 };
	struct rndis_pkt_info *info = ppi != 0 ? ppi : &none;
	uint32_t hlen = rndis_pkt_hdr_len(info->present);
	uint32_t need = (hlen + len + n->pkt_align - 1) & ~(n->pkt_align - 1);
	uint8_t *dst;
	int s;

	if (need > n->section_size)
		return -HVN_EMSGSIZE;
	if (n->batch_section >= 0 &&
	    (n->batch_len + need > n->section_size || n->batch_count == n->max_pkt)) {
		int rc = netvsc_flush(n);

		if (rc < 0)
			return rc;
	}
	if (n->batch_section < 0) {
		s = free_section(n);
		if (s < 0) {
			n->st.tx_busy++;
			return s;
		}
		n->section_busy[s / 64] |= 1ull << (s % 64);
		n->batch_section = s;
		n->batch_len = 0;
		n->batch_count = 0;
	}
	dst = n->sbuf + (uint64_t)n->batch_section * n->section_size + n->batch_len;
	info->data_len = len;
	rndis_pkt_build(dst, info);
	__builtin_memcpy(dst + hlen, frame, len);
	/* Each message padded to the host's alignment, as Linux does when it
	 * batches (netvsc_copy_to_send_buf). */
	if (need > hlen + len) {
		struct rndis_msg_hdr h;

		__builtin_memcpy(&h, dst, sizeof(h));
		h.len = need;
		__builtin_memcpy(dst, &h, sizeof(h));
		mset(dst + hlen + len, 0, need - hlen - len);
	}
	n->batch_len += need;
	n->batch_count++;
	n->st.tx_packets++;
	n->st.tx_bytes += len;
	/* A full batch goes now; if the ring is full it goes with the next
	 * send or flush. */
	if (n->batch_count == n->max_pkt)
		(void)netvsc_flush(n);
	return 0;
}

/* A control message through a send section (Linux: channel type 1). */
static int send_control(struct netvsc *n, const void *msg, uint32_t len)
{
	int s = free_section(n), rc;

	if (s < 0 || len > n->section_size)
		return -HVN_ENOBUFS;
	__builtin_memcpy(n->sbuf + (uint64_t)s * n->section_size, msg, len);
	n->section_busy[s / 64] |= 1ull << (s % 64);
	rc = send_section(n, NVSP_RNDIS_CHANNEL_CONTROL, (uint32_t)s, len);
	if (rc < 0)
		n->section_busy[s / 64] &= ~(1ull << (s % 64));
	return rc;
}

static int rndis_request(struct netvsc *n, uint32_t type, uint32_t oid, const void *in,
			 uint32_t inlen, int timeout_ms)
{
	uint8_t msg[RNDIS_HEADER_SIZE + sizeof(struct rndis_query_req) + 512];
	struct rndis_msg_hdr h = { .type = type };
	struct rndis_query_req q;
	int rc;

	if (inlen > 512)
		return -HVN_EINVAL;
	mset(&q, 0, sizeof(q));
	q.req_id = ++n->req_id;
	q.oid = oid;
	q.info_buflen = inlen;
	q.info_buf_offset = sizeof(q);
	h.len = RNDIS_HEADER_SIZE + (uint32_t)sizeof(q) + inlen;
	__builtin_memcpy(msg, &h, sizeof(h));
	__builtin_memcpy(msg + RNDIS_HEADER_SIZE, &q, sizeof(q));
	if (inlen != 0)
		__builtin_memcpy(msg + RNDIS_HEADER_SIZE + sizeof(q), in, inlen);
	want(n, type | RNDIS_MSG_COMPLETION, q.req_id);
	rc = send_control(n, msg, h.len);
	return rc < 0 ? rc : wait_reply(n, timeout_ms);
}

/* The fixed part of the awaited completion, after the header. */
static int reply_fixed(const struct netvsc *n, void *fixed, uint32_t size)
{
	if (n->reply_len < RNDIS_HEADER_SIZE + size)
		return -HVN_EPROTO;
	__builtin_memcpy(fixed, n->reply + RNDIS_HEADER_SIZE, size);
	return 0;
}

int netvsc_query(struct netvsc *n, uint32_t oid, const void *in, uint32_t inlen,
		 void *out, uint32_t *outlen, int timeout_ms)
{
	struct rndis_query_comp qc;
	uint32_t body;
	int rc = rndis_request(n, RNDIS_MSG_QUERY, oid, in, inlen, timeout_ms);

	if (rc == 0)
		rc = reply_fixed(n, &qc, sizeof(qc));
	if (rc < 0)
		return rc;
	/* rndis_filter_query_device()'s checks. */
	if (qc.status != RNDIS_STATUS_SUCCESS)
		return -HVN_EOPNOTSUPP;
	body = n->reply_len - RNDIS_HEADER_SIZE;
	if (qc.info_buflen > *outlen || qc.info_buf_offset < sizeof(qc) ||
	    body < qc.info_buf_offset || qc.info_buflen > body - qc.info_buf_offset)
		return -HVN_EPROTO;
	__builtin_memcpy(out, n->reply + RNDIS_HEADER_SIZE + qc.info_buf_offset, qc.info_buflen);
	*outlen = qc.info_buflen;
	return 0;
}

int netvsc_set(struct netvsc *n, uint32_t oid, const void *in, uint32_t inlen, int timeout_ms)
{
	struct rndis_set_comp sc;
	int rc = rndis_request(n, RNDIS_MSG_SET, oid, in, inlen, timeout_ms);

	if (rc == 0)
		rc = reply_fixed(n, &sc, sizeof(sc));
	if (rc < 0)
		return rc;
	return sc.status == RNDIS_STATUS_SUCCESS ? 0 : -HVN_EOPNOTSUPP;
}

/* ---- Initialisation (reference §3.2) ---- */

static const uint32_t versions[] = {
	NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5, NVSP_VERSION_4,
	NVSP_VERSION_2, NVSP_VERSION_1,
};

static int nvsp_request(struct netvsc *n, struct nvsp_msg *m, uint32_t reply_type,
			int timeout_ms)
{
	int rc;

	want(n, reply_type, 0);
	rc = send_nvsp(n, m, true);
	if (rc == 0)
		rc = wait_reply(n, timeout_ms);
	if (rc == 0) {
		/* At least the 28 bytes Linux needs for any init reply. */
		if (n->reply_len < NVSP_MSG_SIZE_V1)
			return -HVN_EPROTO;
		mset(m, 0, sizeof(*m));
		__builtin_memcpy(m, n->reply, n->reply_len < sizeof(*m) ? n->reply_len : sizeof(*m));
	}
	return rc;
}

static int init_version(struct netvsc *n, int timeout_ms)
{
	uint32_t max = n->max_version != 0 ? n->max_version : NVSP_VERSION_61;
	unsigned int i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct nvsp_msg m;
		int rc;

		if (versions[i] > max)
			continue;
		mset(&m, 0, sizeof(m));
		m.type = NVSP_MSG_INIT;
		m.u.init.min_protocol_ver = versions[i];
		m.u.init.max_protocol_ver = versions[i];
		rc = nvsp_request(n, &m, NVSP_MSG_INIT_COMPLETE, timeout_ms);
		if (rc < 0)
			return rc;
		if (m.u.init_complete.status == NVSP_STAT_SUCCESS) {
			n->nvsp_version = versions[i];
			return 0;
		}
	}
	return -HVN_ENODEV;
}

static int init_buffers(struct netvsc *n, int timeout_ms)
{
	struct nvsp_msg m;
	const struct nvsp1_recv_buf_section *sec;
	int rc;

	mset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RECV_BUF;
	m.u.send_buf.gpadl_handle = n->rbuf_gpadl;
	m.u.send_buf.id = NVSP_RECV_BUF_ID;
	rc = nvsp_request(n, &m, NVSP_MSG1_SEND_RECV_BUF_COMPLETE, timeout_ms);
	if (rc < 0)
		return rc;
	sec = &m.u.recv_buf_complete.sections[0];
	if (m.u.recv_buf_complete.status != NVSP_STAT_SUCCESS ||
	    m.u.recv_buf_complete.num_sections != 1 || sec->offset != 0 ||
	    sec->sub_alloc_size < 68 || sec->num_sub_allocs == 0 ||
	    (uint64_t)sec->sub_alloc_size * sec->num_sub_allocs > n->rbuf_size)
		return -HVN_EPROTO;
	n->sub_alloc_size = sec->sub_alloc_size;
	n->num_sub_allocs = sec->num_sub_allocs;

	mset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_SEND_BUF;
	m.u.send_buf.gpadl_handle = n->sbuf_gpadl;
	m.u.send_buf.id = NVSP_SEND_BUF_ID;
	rc = nvsp_request(n, &m, NVSP_MSG1_SEND_SEND_BUF_COMPLETE, timeout_ms);
	if (rc < 0)
		return rc;
	if (m.u.send_buf_complete.status != NVSP_STAT_SUCCESS ||
	    m.u.send_buf_complete.section_size < 68)
		return -HVN_EPROTO;
	n->section_size = m.u.send_buf_complete.section_size;
	n->nsections = n->sbuf_size / n->section_size;
	if (n->nsections > NETVSC_MAX_SECTIONS)
		n->nsections = NETVSC_MAX_SECTIONS;
	return n->nsections > 0 ? 0 : -HVN_EPROTO;
}

static int init_rndis(struct netvsc *n, int timeout_ms)
{
	uint8_t msg[RNDIS_HEADER_SIZE + sizeof(struct rndis_init_req)];
	struct rndis_msg_hdr h = { .type = RNDIS_MSG_INIT, .len = sizeof(msg) };
	struct rndis_init_req r = {
		.req_id = ++n->req_id, .major_ver = RNDIS_MAJOR_VERSION,
		.minor_ver = RNDIS_MINOR_VERSION, .max_xfer_size = 0x4000,
	};
	struct rndis_init_comp ic;
	int rc;

	__builtin_memcpy(msg, &h, sizeof(h));
	__builtin_memcpy(msg + RNDIS_HEADER_SIZE, &r, sizeof(r));
	want(n, RNDIS_MSG_INIT_C, r.req_id);
	rc = send_control(n, msg, sizeof(msg));
	if (rc == 0)
		rc = wait_reply(n, timeout_ms);
	if (rc < 0)
		return rc;
	rc = reply_fixed(n, &ic, sizeof(ic));
	if (rc < 0)
		return rc;
	if (ic.status != RNDIS_STATUS_SUCCESS || ic.pkt_alignment_factor > 12)
		return -HVN_EPROTO;
	n->max_pkt = ic.max_pkt_per_msg != 0 ? ic.max_pkt_per_msg : 1;
	n->pkt_align = 1u << ic.pkt_alignment_factor;
	return 0;
}

static int init_queries(struct netvsc *n, int timeout_ms)
{
	uint8_t buf[512];
	uint32_t len, v;
	struct ndis_offload caps;
	struct ndis_offload_params op;
	int rc;

	len = 4;
	if (netvsc_query(n, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, 0, 0, &v, &len, timeout_ms) == 0 &&
	    len == 4 && v < n->mtu)
		n->mtu = v;
	len = 6;
	rc = netvsc_query(n, RNDIS_OID_802_3_PERMANENT_ADDRESS, 0, 0, n->mac, &len, timeout_ms);
	if (rc < 0 || len != 6)
		return rc < 0 ? rc : -HVN_EPROTO;   /* fatal for Linux too */
	len = sizeof(buf);
	(void)netvsc_query(n, RNDIS_OID_GEN_FRIENDLY_NAME, 0, 0, buf, &len, timeout_ms);
	/* Hardware offload capabilities: the reply's checks are Linux's
	 * rndis_query_hwcaps(). */
	mset(&caps, 0, sizeof(caps));
	caps.header.type = NDIS_OBJECT_TYPE_OFFLOAD;
	if (n->nvsp_version >= NVSP_VERSION_5) {
		caps.header.revision = NDIS_OFFLOAD_REVISION_3;
		caps.header.size = NDIS_OFFLOAD_SIZE;
	} else if (n->nvsp_version >= NVSP_VERSION_4) {
		caps.header.revision = NDIS_OFFLOAD_REVISION_2;
		caps.header.size = NDIS_OFFLOAD_SIZE_6_1;
	} else {
		caps.header.revision = NDIS_OFFLOAD_REVISION_1;
		caps.header.size = NDIS_OFFLOAD_SIZE_6_0;
	}
	len = sizeof(caps);
	rc = netvsc_query(n, RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, &caps, sizeof(caps),
			  &caps, &len, timeout_ms);
	if (rc < 0)
		return rc;
	if (caps.header.type != NDIS_OBJECT_TYPE_OFFLOAD || caps.header.revision < 1 ||
	    caps.header.size > len || caps.header.size < NDIS_OFFLOAD_SIZE_6_0)
		return -HVN_EPROTO;
	mset(&op, 0, sizeof(op));
	op.header.type = NDIS_OBJECT_TYPE_OFFLOAD;
	op.header.revision = 3;
	op.header.size = sizeof(op);
	if (caps.csum.ip4_txcsum & NDIS_TXCSUM_CAP_IP4)
		op.ip_v4_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
	if ((caps.csum.ip4_txcsum & NDIS_TXCSUM_ALL_TCP4) == NDIS_TXCSUM_ALL_TCP4)
		op.tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
	rc = netvsc_set(n, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op), timeout_ms);
	if (rc < 0)
		return rc;   /* fatal for Linux too */
	len = 4;
	if (netvsc_query(n, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, 0, 0, &v, &len, timeout_ms) == 0)
		n->link_up = v == NDIS_MEDIA_STATE_CONNECTED;
	if (n->nvsp_version >= NVSP_VERSION_5) {
		struct ndis_rss_caps rc2;

		len = 4;
		if (netvsc_query(n, RNDIS_OID_GEN_LINK_SPEED, 0, 0, &v, &len, timeout_ms) == 0)
			n->link_speed = v;
		mset(&rc2, 0, sizeof(rc2));
		rc2.hdr.type = NDIS_OBJECT_TYPE_RSS_CAPABILITIES;
		rc2.hdr.revision = NDIS_RSS_CAPS_REVISION_2;
		rc2.hdr.size = sizeof(rc2);
		len = sizeof(rc2);
		if (netvsc_query(n, RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, &rc2, sizeof(rc2),
				 &rc2, &len, timeout_ms) == 0 && len == sizeof(rc2))
			n->rss_queues = rc2.num_recv_que;
	}
	return 0;
}

int netvsc_init(struct netvsc *n, int timeout_ms)
{
	struct nvsp_msg m;
	uint32_t filter;
	int rc;

	n->batch_section = -1;
	if (n->mtu == 0)
		n->mtu = 1500;
	rc = init_version(n, timeout_ms);
	if (rc < 0)
		return rc;
	if (n->nvsp_version >= NVSP_VERSION_2) {
		mset(&m, 0, sizeof(m));
		m.type = NVSP_MSG2_SEND_NDIS_CONFIG;
		m.u.ndis_config.mtu = n->mtu + 14;
		m.u.ndis_config.capability = NVSP_CAP_IEEE8021Q;
		if (n->nvsp_version >= NVSP_VERSION_5)
			m.u.ndis_config.capability |= NVSP_CAP_SRIOV | NVSP_CAP_TEAMING;
		if (n->nvsp_version >= NVSP_VERSION_61)
			m.u.ndis_config.capability |= NVSP_CAP_RSC;
		rc = send_nvsp(n, &m, false);
		if (rc < 0)
			return rc;
	}
	mset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_NDIS_VER;
	m.u.ndis_ver.ndis_major_ver = 6;
	m.u.ndis_ver.ndis_minor_ver = n->nvsp_version <= NVSP_VERSION_4 ? 1 : 30;
	rc = send_nvsp(n, &m, false);
	if (rc == 0)
		rc = init_buffers(n, timeout_ms);
	if (rc == 0)
		rc = init_rndis(n, timeout_ms);
	if (rc == 0)
		rc = init_queries(n, timeout_ms);
	if (rc < 0)
		return rc;
	filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
	return netvsc_set(n, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter), timeout_ms);
}

int netvsc_halt(struct netvsc *n, int timeout_ms)
{
	uint8_t msg[RNDIS_HEADER_SIZE + 4];
	struct rndis_msg_hdr h = { .type = RNDIS_MSG_HALT, .len = sizeof(msg) };
	uint32_t filter = 0, id = ++n->req_id;
	struct nvsp_msg m;
	int rc = netvsc_set(n, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter),
			    timeout_ms);

	if (rc < 0)
		return rc;
	__builtin_memcpy(msg, &h, sizeof(h));
	__builtin_memcpy(msg + RNDIS_HEADER_SIZE, &id, sizeof(id));
	rc = send_control(n, msg, sizeof(msg));
	if (rc < 0)
		return rc;
	mset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_REVOKE_RECV_BUF;
	m.u.revoke_buf.id = NVSP_RECV_BUF_ID;
	rc = send_nvsp(n, &m, false);
	if (rc < 0)
		return rc;
	m.type = NVSP_MSG1_REVOKE_SEND_BUF;
	m.u.revoke_buf.id = NVSP_SEND_BUF_ID;
	return send_nvsp(n, &m, false);
}
