/* netVSC core: bringing the NIC up and down, and the synchronous control
 * requests (see netvsc.h). The host's replies are checked the way Linux
 * 6.1 checks them (netvsc.c, rndis_filter.c): the guest trusts the host
 * no more than the host trusts the guest. */
#include "netvsc/netvsc_priv.h"

const uint8_t netvsc_default_rss_key[NDIS_RSS_KEY_SIZE] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

#define RNDIS_INFO_MAX 1200u   /* RSS parameters with a 256-entry table fit */

/* ---- Waiting for a reply on queue 0 ---- */

static void want(struct netvsc *n, uint32_t type, uint32_t id)
{
	n->want_type = type;
	n->want_id = id;
	n->got = false;
}

/* Poll queue 0 until 'done' holds: replies are handled on the way and
 * frames met meanwhile are dropped (Linux delivers them; nothing here
 * consumes frames before the NIC is up or while it goes down). */
static int poll_until(struct netvsc *n, bool (*done)(const struct netvsc *), int timeout_ms)
{
	struct netvsc_queue *q = &n->queues[0];
	int slices = timeout_ms / NVC_WAIT_SLICE_MS + 1, rc;

	while (slices-- > 0) {
		struct netvsc_frame f[8];
		unsigned int got;

		while ((got = netvsc_rx_burst(q, f, 8)) > 0)
			q->st.rx_ctrl_drops += got;
		netvsc_rx_release(q);
		if (done(n))
			return 0;
		rc = n->ops->wait(n->ctx, NVC_WAIT_SLICE_MS);
		if (rc < 0)
			return rc;
	}
	return -HVN_ETIMEDOUT;
}

static bool reply_arrived(const struct netvsc *n)
{
	return n->got;
}

static int wait_reply(struct netvsc *n, int timeout_ms)
{
	int rc = poll_until(n, reply_arrived, timeout_ms);

	if (rc < 0)
		n->want_type = 0;
	return rc;
}

static bool sections_idle(const struct netvsc *n)
{
	return nvc_sections_busy(&n->queues[0]) == 0;
}

/* ---- RNDIS control ---- */

static int rndis_request(struct netvsc *n, uint32_t type, uint32_t oid, const void *in,
			 uint32_t inlen, int timeout_ms)
{
	uint8_t msg[RNDIS_HEADER_SIZE + sizeof(struct rndis_query_req) + RNDIS_INFO_MAX];
	struct rndis_msg_hdr h = { .type = type };
	struct rndis_query_req q;
	int rc;

	if (inlen > RNDIS_INFO_MAX)
		return -HVN_EINVAL;
	nvc_memset(&q, 0, sizeof(q));
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
	rc = nvc_send_control(n, msg, h.len);
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
	struct rndis_query_comp qc = { 0 };
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
	struct rndis_set_comp sc = { 0 };
	int rc = rndis_request(n, RNDIS_MSG_SET, oid, in, inlen, timeout_ms);

	if (rc == 0)
		rc = reply_fixed(n, &sc, sizeof(sc));
	if (rc < 0)
		return rc;
	return sc.status == RNDIS_STATUS_SUCCESS ? 0 : -HVN_EOPNOTSUPP;
}

/* ---- NVSP requests ---- */

static int send_nvsp(struct netvsc *n, const struct nvsp_msg *m, bool completion)
{
	struct netvsc_queue *q = &n->queues[0];
	int rc = nvc_put(q, VMBUS_PKT_DATA_INBAND,
			 completion ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0,
			 completion ? NVC_TID_CONTROL | m->type : VMBUS_RQST_ID_NO_RESPONSE,
			 0, 0, m, sizeof(*m));

	nvc_kick(q);
	return rc;
}

/* Send 'm' and wait for the completion of 'reply_type', at least
 * 'min_len' bytes of it (what Linux netvsc_send_completion requires). */
static int nvsp_request(struct netvsc *n, struct nvsp_msg *m, uint32_t reply_type,
			uint32_t min_len, int timeout_ms)
{
	int rc;

	want(n, reply_type, m->type);
	rc = send_nvsp(n, m, true);
	if (rc == 0)
		rc = wait_reply(n, timeout_ms);
	if (rc < 0)
		return rc;
	if (n->reply_len < min_len)
		return -HVN_EPROTO;
	nvc_memset(m, 0, sizeof(*m));
	__builtin_memcpy(m, n->reply, n->reply_len < sizeof(*m) ? n->reply_len : sizeof(*m));
	return 0;
}

/* ---- Initialisation (reference §3.2) ---- */

static const uint32_t versions[] = {
	NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5, NVSP_VERSION_4,
	NVSP_VERSION_2, NVSP_VERSION_1,
};

static int init_version(struct netvsc *n, int timeout_ms)
{
	uint32_t max = n->max_version != 0 ? n->max_version : NVSP_VERSION_61;
	unsigned int i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		struct nvsp_msg m;
		int rc;

		if (versions[i] > max)
			continue;
		nvc_memset(&m, 0, sizeof(m));
		m.type = NVSP_MSG_INIT;
		m.u.init.min_protocol_ver = versions[i];
		m.u.init.max_protocol_ver = versions[i];
		/* At least the 28 bytes Linux needs for any init reply. */
		rc = nvsp_request(n, &m, NVSP_MSG_INIT_COMPLETE, NVSP_MSG_SIZE_V1, timeout_ms);
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

	nvc_memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RECV_BUF;
	m.u.send_buf.gpadl_handle = n->rbuf_gpadl;
	m.u.send_buf.id = NVSP_RECV_BUF_ID;
	rc = nvsp_request(n, &m, NVSP_MSG1_SEND_RECV_BUF_COMPLETE, NVSP_MSG_SIZE_V1, timeout_ms);
	if (rc < 0)
		return rc;
	sec = &m.u.recv_buf_complete.sections[0];
	/* netvsc_init_buf's checks. */
	if (m.u.recv_buf_complete.status != NVSP_STAT_SUCCESS ||
	    m.u.recv_buf_complete.num_sections != 1 || sec->offset != 0 ||
	    sec->sub_alloc_size < 68 || sec->num_sub_allocs == 0 ||
	    (uint64_t)sec->sub_alloc_size * sec->num_sub_allocs > n->rbuf_size)
		return -HVN_EPROTO;
	n->sub_alloc_size = sec->sub_alloc_size;
	n->num_sub_allocs = sec->num_sub_allocs;

	nvc_memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_SEND_BUF;
	m.u.send_buf.gpadl_handle = n->sbuf_gpadl;
	m.u.send_buf.id = NVSP_SEND_BUF_ID;
	rc = nvsp_request(n, &m, NVSP_MSG1_SEND_SEND_BUF_COMPLETE, NVSP_MSG_SIZE_V1, timeout_ms);
	if (rc < 0)
		return rc;
	if (m.u.send_buf_complete.status != NVSP_STAT_SUCCESS ||
	    m.u.send_buf_complete.section_size < 68)
		return -HVN_EPROTO;
	n->section_size = m.u.send_buf_complete.section_size;
	n->nsections = n->sbuf_size / n->section_size;
	if (n->nsections > NETVSC_MAX_SECTIONS)
		n->nsections = NETVSC_MAX_SECTIONS;
	if (n->nsections == 0)
		return -HVN_EPROTO;
	/* Queue 0 owns every section until the other queues exist. */
	n->queues[0].sec_first = 0;
	n->queues[0].sec_count = n->nsections;
	return 0;
}

static int init_rndis(struct netvsc *n, int timeout_ms)
{
	uint8_t msg[RNDIS_HEADER_SIZE + sizeof(struct rndis_init_req)];
	struct rndis_msg_hdr h = { .type = RNDIS_MSG_INIT, .len = sizeof(msg) };
	struct rndis_init_req r = {
		.req_id = ++n->req_id, .major_ver = RNDIS_MAJOR_VERSION,
		.minor_ver = RNDIS_MINOR_VERSION, .max_xfer_size = 0x4000,
	};
	struct rndis_init_comp ic = { 0 };
	int rc;

	__builtin_memcpy(msg, &h, sizeof(h));
	__builtin_memcpy(msg + RNDIS_HEADER_SIZE, &r, sizeof(r));
	want(n, RNDIS_MSG_INIT_C, r.req_id);
	rc = nvc_send_control(n, msg, sizeof(msg));
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

/* The offloads Linux rndis_netdev_set_hwcaps() turns on for these
 * capabilities (rndis_query_hwcaps() checked the reply). */
static void choose_offloads(struct netvsc *n, const struct ndis_offload *caps,
			    struct ndis_offload_params *op)
{
	const uint32_t ip6_lso = NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT;

	n->offloads = 0;
	n->lso_max = 65536;
	/* DPDK's hn_rndis_conf_offload also asks for the IPv4 header
	 * checksum, which Linux computes itself. */
	if (caps->csum.ip4_txcsum & NDIS_TXCSUM_CAP_IP4) {
		op->ip_v4_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
		n->offloads |= NETVSC_OFFLOAD_IP4_CSUM;
	}
	if ((caps->csum.ip4_txcsum & NDIS_TXCSUM_ALL_TCP4) == NDIS_TXCSUM_ALL_TCP4) {
		op->tcp_ip_v4_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
		n->offloads |= NETVSC_OFFLOAD_TCP4_CSUM;
		if (caps->lsov2.ip4_encap & NDIS_OFFLOAD_ENCAP_8023) {
			op->lso_v2_ipv4 = NDIS_OFFLOAD_PARAMS_LSOV2_ENABLED;
			n->offloads |= NETVSC_OFFLOAD_LSO4;
			n->lso_max = HVN_MIN(n->lso_max, caps->lsov2.ip4_maxsz);
		}
		if (caps->csum.ip4_txcsum & NDIS_TXCSUM_CAP_UDP4) {
			op->udp_ip_v4_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
			n->offloads |= NETVSC_OFFLOAD_UDP4_CSUM;
		}
	}
	if ((caps->csum.ip6_txcsum & NDIS_TXCSUM_ALL_TCP6) == NDIS_TXCSUM_ALL_TCP6) {
		op->tcp_ip_v6_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
		n->offloads |= NETVSC_OFFLOAD_TCP6_CSUM;
		if ((caps->lsov2.ip6_encap & NDIS_OFFLOAD_ENCAP_8023) &&
		    (caps->lsov2.ip6_opts & ip6_lso) == ip6_lso) {
			op->lso_v2_ipv6 = NDIS_OFFLOAD_PARAMS_LSOV2_ENABLED;
			n->offloads |= NETVSC_OFFLOAD_LSO6;
			n->lso_max = HVN_MIN(n->lso_max, caps->lsov2.ip6_maxsz);
		}
		if (caps->csum.ip6_txcsum & NDIS_TXCSUM_CAP_UDP6) {
			op->udp_ip_v6_csum = NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED;
			n->offloads |= NETVSC_OFFLOAD_UDP6_CSUM;
		}
	}
	if (!(n->offloads & (NETVSC_OFFLOAD_LSO4 | NETVSC_OFFLOAD_LSO6)))
		n->lso_max = 0;
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
	    len == 4 && v < n->mtu && v >= 68)
		n->mtu = v;
	len = 6;
	rc = netvsc_query(n, RNDIS_OID_802_3_PERMANENT_ADDRESS, 0, 0, n->mac, &len, timeout_ms);
	if (rc < 0 || len != 6)
		return rc < 0 ? rc : -HVN_EPROTO;   /* fatal for Linux too */
	len = sizeof(buf);
	(void)netvsc_query(n, RNDIS_OID_GEN_FRIENDLY_NAME, 0, 0, buf, &len, timeout_ms);
	/* Hardware offload capabilities: the reply's checks are Linux's
	 * rndis_query_hwcaps(). */
	nvc_memset(&caps, 0, sizeof(caps));
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
	nvc_memset(&op, 0, sizeof(op));
	op.header.type = NDIS_OBJECT_TYPE_OFFLOAD;
	op.header.revision = 3;
	op.header.size = sizeof(op);
	choose_offloads(n, &caps, &op);
	rc = netvsc_set(n, RNDIS_OID_TCP_OFFLOAD_PARAMETERS, &op, sizeof(op), timeout_ms);
	if (rc < 0)
		return rc;   /* fatal for Linux too */
	len = 4;
	if (netvsc_query(n, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, 0, 0, &v, &len, timeout_ms) == 0)
		n->link_up = v == NDIS_MEDIA_STATE_CONNECTED;
	n->rss_queues = 1;
	n->rss_table_size = NDIS_RSS_TABLE_DEFAULT;
	if (n->nvsp_version >= NVSP_VERSION_5) {
		struct ndis_rss_caps rc2;

		len = 4;
		if (netvsc_query(n, RNDIS_OID_GEN_LINK_SPEED, 0, 0, &v, &len, timeout_ms) == 0)
			n->link_speed = v;
		nvc_memset(&rc2, 0, sizeof(rc2));
		rc2.hdr.type = NDIS_OBJECT_TYPE_RSS_CAPABILITIES;
		rc2.hdr.revision = NDIS_RSS_CAPS_REVISION_2;
		rc2.hdr.size = sizeof(rc2);
		len = sizeof(rc2);
		if (netvsc_query(n, RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, &rc2, sizeof(rc2),
				 &rc2, &len, timeout_ms) == 0 && len == sizeof(rc2)) {
			n->rss_queues = rc2.num_recv_que;
			/* rndis_filter_device_add: the host's table size if it
			 * is sane, else ITAB_NUM. */
			if (rc2.num_indirect_tabent != 0 && rc2.num_indirect_tabent <= NDIS_RSS_TABLE_MAX)
				n->rss_table_size = rc2.num_indirect_tabent;
		}
	}
	return 0;
}

/* rndis_set_rss_param_msg: Toeplitz over IPv4, TCP/IPv4, IPv6, TCP/IPv6,
 * the key, and a table spreading the channels round robin
 * (ethtool_rxfh_indir_default). */
static int set_rss(struct netvsc *n, int timeout_ms)
{
	uint8_t buf[sizeof(struct ndis_rss_params) + 4u * NDIS_RSS_TABLE_MAX + NDIS_RSS_KEY_SIZE];
	struct ndis_rss_params p;
	uint32_t i, tab = n->rss_table_size;

	nvc_memset(&p, 0, sizeof(p));
	p.hdr.type = NDIS_OBJECT_TYPE_RSS_PARAMETERS;
	p.hdr.revision = NDIS_RSS_PARAMS_REVISION_2;
	p.hdr.size = sizeof(p);
	p.hashinfo = NDIS_HASH_FUNC_TOEPLITZ | NDIS_HASH_IPV4 | NDIS_HASH_TCP_IPV4 |
		     NDIS_HASH_IPV6 | NDIS_HASH_TCP_IPV6;
	p.indirect_tabsize = (uint16_t)(4u * tab);
	p.indirect_taboffset = sizeof(p);
	p.hashkey_size = NDIS_RSS_KEY_SIZE;
	p.hashkey_offset = p.indirect_taboffset + p.indirect_tabsize;
	__builtin_memcpy(buf, &p, sizeof(p));
	for (i = 0; i < tab; i++) {
		uint32_t ch = i % n->nqueues;

		__builtin_memcpy(buf + sizeof(p) + 4u * i, &ch, 4);
	}
	__builtin_memcpy(buf + p.hashkey_offset, n->rss_key != 0 ? n->rss_key : netvsc_default_rss_key,
			 NDIS_RSS_KEY_SIZE);
	return netvsc_set(n, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS, buf,
			  p.hashkey_offset + NDIS_RSS_KEY_SIZE, timeout_ms);
}

static void queue_reset(struct netvsc *n, uint16_t i)
{
	struct netvsc_queue *q = &n->queues[i];
	struct vmbus_client_channel *ch = q->ch;

	nvc_memset(q, 0, sizeof(*q));
	q->ch = ch;
	q->nic = n;
	q->idx = i;
	q->batch_section = -1;
	q->pend_first = -1;
}

/* Every open queue gets an equal slice of the send buffer. Queue 0's
 * sections must all be back first (control messages used them). */
static int share_sections(struct netvsc *n, int timeout_ms)
{
	uint32_t per = n->nsections / n->nqueues;
	uint16_t i;
	int rc;

	if (per == 0)
		return -HVN_ENOBUFS;
	rc = poll_until(n, sections_idle, timeout_ms);
	if (rc < 0)
		return rc;
	for (i = 0; i < n->nqueues; i++) {
		n->queues[i].sec_first = i * per;
		n->queues[i].sec_count = per;
	}
	return 0;
}

/* rndis_set_subchannel (reference §3.2 steps 10-11). */
static int init_subchannels(struct netvsc *n, int timeout_ms)
{
	uint32_t wanted = HVN_MIN((uint32_t)n->max_queues, n->rss_queues), granted, i;
	struct nvsp_msg m;
	int rc;

	wanted = HVN_MIN(wanted, NETVSC_MAX_QUEUES);
	if (wanted < 2 || n->nvsp_version < NVSP_VERSION_5 || n->ops->open_subchannel == 0)
		return 0;
	nvc_memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG5_SUBCHANNEL;
	m.u.subchannel_req.op = NVSP_SUBCHANNEL_ALLOCATE;
	m.u.subchannel_req.num_subchannels = wanted - 1;
	rc = nvsp_request(n, &m, NVSP_MSG5_SUBCHANNEL, NVSP_MSG_MIN(subchannel_complete), timeout_ms);
	if (rc < 0)
		return rc;
	/* "sub channel request failed", "invalid number of allocated sub
	 * channel": Linux gives up on the device in both cases. */
	if (m.u.subchannel_complete.status != NVSP_STAT_SUCCESS)
		return -HVN_EPROTO;
	granted = m.u.subchannel_complete.num_subchannels;
	if (granted > wanted - 1)
		return -HVN_EPROTO;
	/* The host offers exactly that many; Linux opens each as it is
	 * offered and waits for all. */
	for (i = 1; i <= granted; i++) {
		rc = n->ops->open_subchannel(n->ctx, (uint16_t)i, n->queues[i].ch, timeout_ms);
		if (rc < 0)
			return rc;
		n->queues[i].open = true;
		n->nqueues = (uint16_t)(i + 1);
	}
	if (n->nqueues < 2)
		return 0;
	rc = share_sections(n, timeout_ms);
	if (rc < 0)
		return rc;
	/* Linux ignores a failure here: the channels still work. */
	n->rss_set = set_rss(n, timeout_ms) == 0;
	return 0;
}

int netvsc_init(struct netvsc *n, int timeout_ms)
{
	struct nvsp_msg m;
	uint32_t filter;
	uint16_t i;
	int rc;

	if (n->max_queues == 0)
		n->max_queues = 1;
	if (n->queues == 0 || n->max_queues > NETVSC_MAX_QUEUES || n->queues[0].ch == 0)
		return -HVN_EINVAL;
	for (i = 0; i < n->max_queues; i++)
		queue_reset(n, i);
	n->queues[0].open = true;
	n->nqueues = 1;
	n->send_table_valid = false;
	n->rss_set = false;
	if (n->mtu == 0)
		n->mtu = 1500;
	rc = init_version(n, timeout_ms);
	if (rc < 0)
		return rc;
	if (n->nvsp_version >= NVSP_VERSION_2) {
		nvc_memset(&m, 0, sizeof(m));
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
	nvc_memset(&m, 0, sizeof(m));
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
	if (rc == 0)
		rc = init_subchannels(n, timeout_ms);
	if (rc < 0)
		return rc;
	filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
	return netvsc_set(n, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter), timeout_ms);
}

int netvsc_halt(struct netvsc *n, int timeout_ms)
{
	uint8_t msg[RNDIS_HEADER_SIZE + 4];
	struct rndis_msg_hdr h = { .type = RNDIS_MSG_HALT, .len = sizeof(msg) };
	uint32_t filter = 0, id;
	struct nvsp_msg m;
	int rc = netvsc_set(n, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter, sizeof(filter),
			    timeout_ms);

	if (rc < 0)
		return rc;
	id = ++n->req_id;
	__builtin_memcpy(msg, &h, sizeof(h));
	__builtin_memcpy(msg + RNDIS_HEADER_SIZE, &id, sizeof(id));
	rc = nvc_send_control(n, msg, sizeof(msg));
	if (rc < 0)
		return rc;
	nvc_memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_REVOKE_RECV_BUF;
	m.u.revoke_buf.id = NVSP_RECV_BUF_ID;
	rc = send_nvsp(n, &m, false);
	if (rc < 0)
		return rc;
	m.type = NVSP_MSG1_REVOKE_SEND_BUF;
	m.u.revoke_buf.id = NVSP_SEND_BUF_ID;
	return send_nvsp(n, &m, false);
}

void netvsc_stats_sum(const struct netvsc *n, struct netvsc_stats *out)
{
	uint16_t i;

	nvc_memset(out, 0, sizeof(*out));
	for (i = 0; i < n->nqueues; i++) {
		const struct netvsc_stats *s = &n->queues[i].st;

		out->tx_packets += hvn_load_relaxed(&s->tx_packets);
		out->tx_bytes += hvn_load_relaxed(&s->tx_bytes);
		out->tx_completions += hvn_load_relaxed(&s->tx_completions);
		out->tx_busy += hvn_load_relaxed(&s->tx_busy);
		out->tx_direct += hvn_load_relaxed(&s->tx_direct);
		out->tx_zero_copy += hvn_load_relaxed(&s->tx_zero_copy);
		out->tx_refused += hvn_load_relaxed(&s->tx_refused);
		out->rx_packets += hvn_load_relaxed(&s->rx_packets);
		out->rx_bytes += hvn_load_relaxed(&s->rx_bytes);
		out->rx_batches += hvn_load_relaxed(&s->rx_batches);
		out->rx_bad += hvn_load_relaxed(&s->rx_bad);
		out->rx_ctrl_drops += hvn_load_relaxed(&s->rx_ctrl_drops);
		out->indications += hvn_load_relaxed(&s->indications);
		out->bad_msgs += hvn_load_relaxed(&s->bad_msgs);
		out->ring_faults += hvn_load_relaxed(&s->ring_faults);
	}
}
