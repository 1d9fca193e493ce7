/* RNDIS control messages from the guest and their replies, which travel
 * back through the receive buffer like frames do (reference §3.2 lists
 * what Linux queries and which failures it treats as fatal). */
#include <errno.h>
#include <string.h>

#include "netvsp/netvsp_priv.h"

#define REPLY_MAX 1024u
#define MCAST_MAX 32u

static const uint32_t supported_oids[] = {
	RNDIS_OID_GEN_SUPPORTED_LIST, RNDIS_OID_GEN_HARDWARE_STATUS,
	RNDIS_OID_GEN_MEDIA_SUPPORTED, RNDIS_OID_GEN_MEDIA_IN_USE,
	RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE,
	RNDIS_OID_GEN_LINK_SPEED, RNDIS_OID_GEN_TRANSMIT_BUFFER_SPACE,
	RNDIS_OID_GEN_RECEIVE_BUFFER_SPACE, RNDIS_OID_GEN_VENDOR_ID,
	RNDIS_OID_GEN_VENDOR_DESCRIPTION, RNDIS_OID_GEN_CURRENT_PACKET_FILTER,
	RNDIS_OID_GEN_CURRENT_LOOKAHEAD, RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE,
	RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS,
	RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES, RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS,
	RNDIS_OID_GEN_FRIENDLY_NAME, RNDIS_OID_802_3_PERMANENT_ADDRESS,
	RNDIS_OID_802_3_CURRENT_ADDRESS, RNDIS_OID_802_3_MULTICAST_LIST,
	RNDIS_OID_802_3_MAXIMUM_LIST_SIZE, RNDIS_OID_TCP_OFFLOAD_PARAMETERS,
	RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
};

static const char vendor_desc[] = "hvnet synthetic network adapter";

/* Reply header and fixed part; the info buffer follows at 'info'. */
struct reply {
	uint8_t buf[REPLY_MAX];
	uint32_t len;
};

static int send_reply(struct nvsp_chan *c, struct reply *r, uint32_t type)
{
	struct rndis_msg_hdr h = { .type = type, .len = r->len };

	memcpy(r->buf, &h, sizeof(h));
	return nvsp_guest_rx_ctrl(c, r->buf, r->len);
}

static uint32_t put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
	return sizeof(v);
}

static uint32_t hwcaps(const struct netvsp_nic *nic, uint8_t *out, uint32_t want)
{
	struct ndis_offload o;
	uint16_t size;

	memset(&o, 0, sizeof(o));
	o.header.type = NDIS_OBJECT_TYPE_OFFLOAD;
	if (nic->nvsp_version >= NVSP_VERSION_5) {
		o.header.revision = NDIS_OFFLOAD_REVISION_3;
		size = NDIS_OFFLOAD_SIZE;
	} else if (nic->nvsp_version >= NVSP_VERSION_4) {
		o.header.revision = NDIS_OFFLOAD_REVISION_2;
		size = NDIS_OFFLOAD_SIZE_6_1;
	} else {
		o.header.revision = NDIS_OFFLOAD_REVISION_1;
		size = NDIS_OFFLOAD_SIZE_6_0;
	}
	/* Linux rejects a reply larger than its buffer: a guest that says
	 * how much it has gets no more (the 6.0 part always). */
	if (want != 0 && want < size)
		size = HVN_MAX(NDIS_OFFLOAD_SIZE_6_0, (uint16_t)want);
	o.header.size = size;
	o.csum.ip4_txenc = o.csum.ip4_rxenc = NDIS_OFFLOAD_ENCAP_8023;
	o.csum.ip6_txenc = o.csum.ip6_rxenc = NDIS_OFFLOAD_ENCAP_8023;
	o.csum.ip4_txcsum = o.csum.ip4_rxcsum = NDIS_TXCSUM_ALL_TCP4 | NDIS_TXCSUM_CAP_UDP4 |
						NDIS_TXCSUM_CAP_IP4;
	o.csum.ip6_txcsum = o.csum.ip6_rxcsum = NDIS_TXCSUM_ALL_TCP6 | NDIS_TXCSUM_CAP_UDP6;
	/* LSOv2: netVSP segments in software when the destination cannot. */
	o.lsov2.ip4_encap = o.lsov2.ip6_encap = NDIS_OFFLOAD_ENCAP_8023;
	o.lsov2.ip4_maxsz = o.lsov2.ip6_maxsz = 62768;
	o.lsov2.ip4_minsg = o.lsov2.ip6_minsg = 2;
	o.lsov2.ip6_opts = NDIS_LSOV2_CAP_IP6EXT | NDIS_LSOV2_CAP_TCP6OPT;
	memcpy(out, &o, size);
	return size;
}

/* The answer to a query into 'out' (at most REPLY_MAX - 24 bytes).
 * Returns its length or -1 for an OID that is not supported. */
static int query_oid(struct nvsp_chan *c, uint32_t oid, const uint8_t *in, uint32_t inlen,
		     uint8_t *out)
{
	struct netvsp_nic *nic = c->nic;
	uint32_t i;

	switch (oid) {
	case RNDIS_OID_GEN_SUPPORTED_LIST:
		memcpy(out, supported_oids, sizeof(supported_oids));
		return sizeof(supported_oids);
	case RNDIS_OID_GEN_HARDWARE_STATUS:
	case RNDIS_OID_GEN_MEDIA_SUPPORTED:
	case RNDIS_OID_GEN_MEDIA_IN_USE:
	case RNDIS_OID_GEN_MAC_OPTIONS:
		return (int)put32(out, 0);
	case RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD:
	case RNDIS_OID_GEN_CURRENT_LOOKAHEAD:
	case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
		return (int)put32(out, nic->cfg.mtu);
	case RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE:
		return (int)put32(out, nic->cfg.mtu + 14u);
	case RNDIS_OID_GEN_LINK_SPEED:   /* units of 100 bit/s */
		return (int)put32(out, (uint32_t)HVN_MIN(nic->cfg.link_speed_bps / 100u, 0xffffffffull));
	case RNDIS_OID_GEN_TRANSMIT_BUFFER_SPACE:
		return (int)put32(out, (uint32_t)nic->sbuf.len);
	case RNDIS_OID_GEN_RECEIVE_BUFFER_SPACE:
		return (int)put32(out, (uint32_t)nic->rbuf.len);
	case RNDIS_OID_GEN_VENDOR_ID:
		return (int)put32(out, 0x00ffffffu);
	case RNDIS_OID_GEN_VENDOR_DESCRIPTION:
		memcpy(out, vendor_desc, sizeof(vendor_desc));
		return sizeof(vendor_desc);
	case RNDIS_OID_GEN_DRIVER_VERSION:
		return (int)put32(out, 0x0100);
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		return (int)put32(out, nic->packet_filter);
	case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
		return (int)put32(out, hvn_load_relaxed(&nic->link_up) ?
				       NDIS_MEDIA_STATE_CONNECTED : NDIS_MEDIA_STATE_DISCONNECTED);
	case RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS:
		return (int)put32(out, NVSP_MAX_PKT_PER_MSG);
	case RNDIS_OID_802_3_PERMANENT_ADDRESS:
		memcpy(out, nic->cfg.mac, 6);
		return 6;
	case RNDIS_OID_802_3_CURRENT_ADDRESS:
		memcpy(out, nic->mac, 6);
		return 6;
	case RNDIS_OID_802_3_MAXIMUM_LIST_SIZE:
		return (int)put32(out, MCAST_MAX);
	case RNDIS_OID_GEN_FRIENDLY_NAME: {
		/* UTF-16LE, NUL-terminated (Linux converts with utf16s_to_utf8s). */
		size_t n = strlen(nic->name);

		for (i = 0; i <= n; i++) {
			out[2 * i] = (uint8_t)nic->name[i];
			out[2 * i + 1] = 0;
		}
		return (int)(2 * (n + 1));
	}
	case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
		return (int)hwcaps(nic, out, inlen);
	case RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES: {
		struct ndis_rss_caps rc;

		if (nic->nvsp_version < NVSP_VERSION_5)
			return -1;
		memset(&rc, 0, sizeof(rc));
		rc.hdr.type = NDIS_OBJECT_TYPE_RSS_CAPABILITIES;
		rc.hdr.revision = NDIS_RSS_CAPS_REVISION_2;
		rc.hdr.size = sizeof(rc);
		rc.caps = NDIS_RSS_CAP_MSI | NDIS_RSS_CAP_CLASSIFY_ISR | NDIS_RSS_CAP_CLASSIFY_DPC |
			  NDIS_RSS_CAP_HASH_TOEPLITZ | NDIS_RSS_CAP_IPV4 | NDIS_RSS_CAP_IPV6 |
			  NDIS_RSS_CAP_IPV6_EX;
		rc.num_int_msg = nic->cfg.max_queues;
		rc.num_recv_que = nic->cfg.max_queues;
		/* Never 0: DPDK's netvsc is confused by an empty table (OpenVMM). */
		rc.num_indirect_tabent = 128;
		memcpy(out, &rc, sizeof(rc));
		return sizeof(rc);
	}
	default:
		(void)in;
		return -1;
	}
}

static uint32_t set_oid(struct nvsp_chan *c, uint32_t oid, const uint8_t *in, uint32_t inlen)
{
	struct netvsp_nic *nic = c->nic;
	uint32_t v;

	switch (oid) {
	case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
		if (inlen < sizeof(v))
			return RNDIS_STATUS_INVALID_LENGTH;
		memcpy(&v, in, sizeof(v));
		hvn_store_relaxed(&nic->packet_filter, v);
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_OID_GEN_CURRENT_LOOKAHEAD:
		return inlen < sizeof(v) ? RNDIS_STATUS_INVALID_LENGTH : RNDIS_STATUS_SUCCESS;
	case RNDIS_OID_TCP_OFFLOAD_PARAMETERS:
		if (inlen < offsetof(struct ndis_offload_params, flags))
			return RNDIS_STATUS_INVALID_LENGTH;
		memcpy(&nic->offload, in, HVN_MIN(inlen, (uint32_t)sizeof(nic->offload)));
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS:
		return nvsp_rss_set(nic, in, inlen) == 0 ? RNDIS_STATUS_SUCCESS :
							  RNDIS_STATUS_INVALID_DATA;
	case RNDIS_OID_802_3_MULTICAST_LIST:
		if (inlen % 6 != 0 || inlen / 6 > MCAST_MAX)
			return RNDIS_STATUS_INVALID_LENGTH;
		nic->mcast_count = (uint8_t)(inlen / 6);
		return RNDIS_STATUS_SUCCESS;
	case RNDIS_OID_802_3_CURRENT_ADDRESS:
		if (inlen != 6 || (in[0] & 1u))
			return RNDIS_STATUS_INVALID_DATA;
		memcpy(nic->mac, in, 6);
		return RNDIS_STATUS_SUCCESS;
	default:
		return RNDIS_STATUS_NOT_SUPPORTED;
	}
}

/* The info buffer of a QUERY or SET: inside the message, or refused. */
static bool info_buffer(const uint8_t *msg, uint32_t len, const struct rndis_query_req *q,
			const uint8_t **in, uint32_t *inlen)
{
	uint32_t body = len - RNDIS_HEADER_SIZE;

	*in = NULL;
	*inlen = 0;
	if (q->info_buflen == 0)
		return true;
	if (q->info_buf_offset < sizeof(*q) || q->info_buf_offset > body ||
	    q->info_buflen > body - q->info_buf_offset)
		return false;
	*in = msg + RNDIS_HEADER_SIZE + q->info_buf_offset;
	*inlen = q->info_buflen;
	return true;
}

int nvsp_rndis_control(struct nvsp_chan *c, const uint8_t *msg, uint32_t len)
{
	struct netvsp_nic *nic = c->nic;
	struct rndis_msg_hdr h;
	struct reply r;
	uint32_t req_id = 0;

	memcpy(&h, msg, sizeof(h));
	if (len >= RNDIS_HEADER_SIZE + sizeof(req_id))
		memcpy(&req_id, msg + RNDIS_HEADER_SIZE, sizeof(req_id));
	/* Control traffic belongs to the primary channel; the vNIC's
	 * protocol state has one writer. */
	if (c->idx != 0 || nic->state == NVSP_ST_NONE) {
		c->st.bad_msgs++;
		return -EPROTO;
	}
	memset(&r, 0, sizeof(r));
	switch (h.type) {
	case RNDIS_MSG_INIT: {
		struct rndis_init_comp ic;

		if (len < RNDIS_HEADER_SIZE + sizeof(struct rndis_init_req))
			break;
		memset(&ic, 0, sizeof(ic));
		ic.req_id = req_id;
		ic.status = RNDIS_STATUS_SUCCESS;
		ic.major_ver = RNDIS_MAJOR_VERSION;
		ic.minor_ver = RNDIS_MINOR_VERSION;
		ic.dev_flags = RNDIS_DF_CONNECTIONLESS;
		ic.medium = RNDIS_MEDIUM_802_3;
		/* Linux batches up to max_pkt_per_msg messages in one
		 * section, each aligned to 1 << factor (OpenVMM: 8 and 3). */
		ic.max_pkt_per_msg = NVSP_MAX_PKT_PER_MSG;
		ic.max_xfer_size = NVSP_SECTION_SIZE;
		ic.pkt_alignment_factor = 3;
		memcpy(r.buf + RNDIS_HEADER_SIZE, &ic, sizeof(ic));
		r.len = RNDIS_HEADER_SIZE + sizeof(ic);
		if (send_reply(c, &r, RNDIS_MSG_INIT_C) < 0)
			return -ENOBUFS;
		nic->state = NVSP_ST_READY;
		return 0;
	}
	case RNDIS_MSG_QUERY: {
		struct rndis_query_req q;
		struct rndis_query_comp qc;
		const uint8_t *in;
		uint32_t inlen;
		int n;

		if (len < RNDIS_HEADER_SIZE + sizeof(q))
			break;
		memcpy(&q, msg + RNDIS_HEADER_SIZE, sizeof(q));
		memset(&qc, 0, sizeof(qc));
		qc.req_id = q.req_id;
		if (!info_buffer(msg, len, &q, &in, &inlen)) {
			qc.status = RNDIS_STATUS_INVALID_DATA;
			n = 0;
		} else {
			n = query_oid(c, q.oid, in, inlen, r.buf + RNDIS_HEADER_SIZE + sizeof(qc));
			qc.status = n < 0 ? RNDIS_STATUS_NOT_SUPPORTED : RNDIS_STATUS_SUCCESS;
		}
		if (n > 0) {
			qc.info_buflen = (uint32_t)n;
			qc.info_buf_offset = sizeof(qc);
		}
		memcpy(r.buf + RNDIS_HEADER_SIZE, &qc, sizeof(qc));
		r.len = RNDIS_HEADER_SIZE + (uint32_t)sizeof(qc) + qc.info_buflen;
		return send_reply(c, &r, RNDIS_MSG_QUERY_C);
	}
	case RNDIS_MSG_SET: {
		struct rndis_query_req q;
		struct rndis_set_comp sc;
		const uint8_t *in;
		uint32_t inlen;

		if (len < RNDIS_HEADER_SIZE + sizeof(q))
			break;
		memcpy(&q, msg + RNDIS_HEADER_SIZE, sizeof(q));
		sc.req_id = q.req_id;
		sc.status = info_buffer(msg, len, &q, &in, &inlen) ?
			    set_oid(c, q.oid, in, inlen) : RNDIS_STATUS_INVALID_DATA;
		memcpy(r.buf + RNDIS_HEADER_SIZE, &sc, sizeof(sc));
		r.len = RNDIS_HEADER_SIZE + sizeof(sc);
		return send_reply(c, &r, RNDIS_MSG_SET_C);
	}
	case RNDIS_MSG_HALT:
		/* No reply; the guest tears its buffers down next. */
		hvn_store_relaxed(&nic->packet_filter, 0);
		nic->state = NVSP_ST_HALTED;
		return 0;
	case RNDIS_MSG_RESET: {
		struct rndis_reset_comp rc = { .status = RNDIS_STATUS_SUCCESS };

		memcpy(r.buf + RNDIS_HEADER_SIZE, &rc, sizeof(rc));
		r.len = RNDIS_HEADER_SIZE + sizeof(rc);
		return send_reply(c, &r, RNDIS_MSG_RESET_C);
	}
	case RNDIS_MSG_KEEPALIVE: {
		struct rndis_keepalive_comp kc = { .req_id = req_id, .status = RNDIS_STATUS_SUCCESS };

		if (len < RNDIS_HEADER_SIZE + sizeof(struct rndis_keepalive_req))
			break;
		memcpy(r.buf + RNDIS_HEADER_SIZE, &kc, sizeof(kc));
		r.len = RNDIS_HEADER_SIZE + sizeof(kc);
		return send_reply(c, &r, RNDIS_MSG_KEEPALIVE_C);
	}
	default:
		break;
	}
	c->st.bad_msgs++;
	return -EINVAL;
}

int nvsp_rndis_indicate(struct nvsp_chan *c, uint32_t status)
{
	struct reply r;
	struct rndis_indicate ind = { .status = status };

	memcpy(r.buf + RNDIS_HEADER_SIZE, &ind, sizeof(ind));
	r.len = RNDIS_HEADER_SIZE + sizeof(ind);
	return send_reply(c, &r, RNDIS_MSG_INDICATE);
}
