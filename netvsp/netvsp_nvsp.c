/* NVSP messages from the guest, on any of a vNIC's channels, handled by
 * the channel's poller (reference §3.2 for the order Linux drives them
 * in). Every request that a guest may wait on is answered, with FAIL when
 * it is malformed or out of order (OpenVMM GH #3549: never tear the NIC
 * down for bad input). */
#include <errno.h>
#include <string.h>

#include <rte_prefetch.h>

#include "netvsp/netvsp_priv.h"

static const uint32_t nvsp_versions[] = {
	NVSP_VERSION_61, NVSP_VERSION_6, NVSP_VERSION_5, NVSP_VERSION_4,
	NVSP_VERSION_2, NVSP_VERSION_1,
};

int nvsp_send(struct nvsp_chan *c, uint16_t type, uint64_t trans_id,
	      const void *msg, uint32_t len)
{
	struct vmbus_sg sg = { .base = msg, .len = len };
	struct vmbus_pkt_out o = {
		.type = type,
		.trans_id = trans_id,
		.sg = &sg,
		.nsg = len != 0 ? 1u : 0u,
	};
	uint32_t need = vmbus_ring_pkt_footprint(0, len);
	int rc = vmbus_ring_put(c->out, &o);

	if (rc == 0)
		c->out_budget = c->out_budget > need ? c->out_budget - need : 0;
	return rc;
}

static void bad(struct nvsp_chan *c)
{
	c->st.bad_msgs++;
}

/* A completion carrying a full 40-byte NVSP message (safe for every
 * Linux size check, reference §3.1); only when the guest asked for one:
 * an unasked completion carries a trans_id the guest never handed out
 * (Linux logs "Invalid transaction ID"). */
static void complete_msg(struct nvsp_chan *c, const struct vmbus_pkt *p, struct nvsp_msg *m)
{
	if (p->desc.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)
		nvsp_send(c, VMBUS_PKT_COMP, p->desc.trans_id, m, sizeof(*m));
}

/* Messages with no completion of their own: a guest that asked for one
 * still gets an empty one, so nothing waits forever. */
static void complete_empty(struct nvsp_chan *c, const struct vmbus_pkt *p)
{
	if (p->desc.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)
		nvsp_send(c, VMBUS_PKT_COMP, p->desc.trans_id, NULL, 0);
}

static void on_init(struct nvsp_chan *c, const struct vmbus_pkt *p, const struct nvsp_msg *in)
{
	struct netvsp_nic *nic = c->nic;
	struct nvsp_msg r;
	unsigned int i;

	memset(&r, 0, sizeof(r));
	r.type = NVSP_MSG_INIT_COMPLETE;
	r.u.init_complete.status = NVSP_STAT_FAIL;
	if (c->idx == 0 && !nic->rbuf_mapped && !nic->sbuf_mapped) {
		for (i = 0; i < HVN_ARRAY_SIZE(nvsp_versions); i++) {
			uint32_t v = nvsp_versions[i];

			if (v >= in->u.init.min_protocol_ver && v <= in->u.init.max_protocol_ver) {
				nic->nvsp_version = v;
				nic->state = NVSP_ST_INIT;
				r.u.init_complete.negotiated_protocol_ver = v;
				r.u.init_complete.status = NVSP_STAT_SUCCESS;
				break;
			}
		}
	} else {
		bad(c);
	}
	complete_msg(c, p, &r);
}

static bool map_buffer(struct nvsp_chan *c, uint32_t gpadl, struct vmbus_mem_view *v,
		       uint32_t min_bytes)
{
	struct netvsp_nic *nic = c->nic;
	int rc = vmbus_server_gpadl_map(nic->srv, gpadl, vmbus_channel_relid(c->ch), v);

	if (rc < 0)
		return false;
	if (v->len < min_bytes || v->len > NVSP_MAX_BUF_BYTES) {
		vmbus_mem_unmap(v);
		return false;
	}
	return true;
}

static void on_recv_buf(struct nvsp_chan *c, const struct vmbus_pkt *p, const struct nvsp_msg *in)
{
	struct netvsp_nic *nic = c->nic;
	struct nvsp_msg r;
	struct nvsp1_recv_buf_section *sec = &r.u.recv_buf_complete.sections[0];
	/* A few sub-allocations per queue at least. */
	uint32_t min_bytes = nic->sub_alloc_size * nic->cfg.max_queues * 4u;

	memset(&r, 0, sizeof(r));
	r.type = NVSP_MSG1_SEND_RECV_BUF_COMPLETE;
	r.u.recv_buf_complete.status = NVSP_STAT_FAIL;
	if (c->idx != 0 || nic->state != NVSP_ST_INIT || nic->rbuf_mapped ||
	    !map_buffer(c, in->u.send_buf.gpadl_handle, &nic->rbuf, min_bytes)) {
		bad(c);
		complete_msg(c, p, &r);
		return;
	}
	nic->rbuf_mapped = true;
	nic->rbuf_revoked = false;
	nic->rbuf_id = in->u.send_buf.id;
	nic->rbuf_gpadl = in->u.send_buf.gpadl_handle;
	nic->rbuf_suballocs = (uint32_t)(nic->rbuf.len / nic->sub_alloc_size);
	if (nvsp_rx_slice(c) < 0) {
		vmbus_mem_unmap(&nic->rbuf);
		nic->rbuf_mapped = false;
		complete_msg(c, p, &r);
		return;
	}
	r.u.recv_buf_complete.status = NVSP_STAT_SUCCESS;
	r.u.recv_buf_complete.num_sections = 1;
	sec->offset = 0;
	sec->sub_alloc_size = nic->sub_alloc_size;
	sec->num_sub_allocs = nic->rbuf_suballocs;
	sec->end_offset = nic->sub_alloc_size * nic->rbuf_suballocs;
	complete_msg(c, p, &r);
}

static void on_send_buf(struct nvsp_chan *c, const struct vmbus_pkt *p, const struct nvsp_msg *in)
{
	struct netvsp_nic *nic = c->nic;
	struct nvsp_msg r;

	memset(&r, 0, sizeof(r));
	r.type = NVSP_MSG1_SEND_SEND_BUF_COMPLETE;
	r.u.send_buf_complete.status = NVSP_STAT_FAIL;
	if (c->idx != 0 || nic->state != NVSP_ST_INIT || nic->sbuf_mapped ||
	    !map_buffer(c, in->u.send_buf.gpadl_handle, &nic->sbuf, NVSP_SECTION_SIZE)) {
		bad(c);
		complete_msg(c, p, &r);
		return;
	}
	nic->sbuf_mapped = true;
	nic->sbuf_revoked = false;
	nic->sbuf_gpadl = in->u.send_buf.gpadl_handle;
	nic->sbuf_sections = (uint32_t)(nic->sbuf.len / NVSP_SECTION_SIZE);
	r.u.send_buf_complete.status = NVSP_STAT_SUCCESS;
	r.u.send_buf_complete.section_size = NVSP_SECTION_SIZE;
	complete_msg(c, p, &r);
}

/* The send-buffer section a guest names, or NULL when it names none that
 * is mapped: the guest picks idx and size. */
static const uint8_t *sbuf_section(const struct netvsp_nic *nic, uint32_t idx, uint32_t size)
{
	if (!nic->sbuf_mapped || hvn_load_relaxed(&nic->sbuf_revoked) ||
	    idx >= nic->sbuf_sections || size > NVSP_SECTION_SIZE || size == 0)
		return NULL;
	return nic->sbuf.ptr + (size_t)idx * NVSP_SECTION_SIZE;
}

void nvsp_prefetch_packet(const struct nvsp_chan *c, const struct vmbus_pkt *p)
{
	const uint8_t *sec;
	struct nvsp_msg in;
	uint32_t size, o;

	if (vmbus_pkt_payload_len(p) < NVSP_MSG_MIN(rndis_pkt))
		return;
	memcpy(&in, vmbus_pkt_payload(p), NVSP_MSG_MIN(rndis_pkt));
	size = in.u.rndis_pkt.send_buf_section_size;
	if (in.type != NVSP_MSG1_SEND_RNDIS_PKT ||
	    (sec = sbuf_section(c->nic, in.u.rndis_pkt.send_buf_section_index, size)) == NULL)
		return;
	for (o = 0; o < size; o += 64u)
		rte_prefetch0(sec + o);
}

/* The section and the GPA ranges of a SEND_RNDIS_PKT, as one stream. */
static int build_stream(struct nvsp_chan *c, const struct vmbus_pkt *p,
			const struct nvsp_msg *in, struct nvsp_stream *s)
{
	struct netvsp_nic *nic = c->nic;
	uint32_t idx = in->u.rndis_pkt.send_buf_section_index;

	s->nseg = 0;
	s->len = 0;
	if (idx != NVSP_INVALID_SECTION) {
		uint32_t size = in->u.rndis_pkt.send_buf_section_size;
		const uint8_t *sec = sbuf_section(nic, idx, size);

		if (sec == NULL)
			return -EINVAL;
		nvsp_stream_add(s, sec, size);
	}
	if (p->desc.type == VMBUS_PKT_DATA_GPA_DIRECT) {
		const struct vmbus_mem *mem = vmbus_channel_mem(c->ch);
		const uint8_t *rp = p->pkt + sizeof(struct vmbus_gpa_direct_hdr);
		const uint8_t *end = p->pkt + p->off;
		uint32_t nranges, r;

		if (p->off < sizeof(struct vmbus_gpa_direct_hdr))
			return -EINVAL;
		memcpy(&nranges, p->pkt + offsetof(struct vmbus_gpa_direct_hdr, range_cnt),
		       sizeof(nranges));
		for (r = 0; r < nranges; r++) {
			struct vmbus_gpa_range gr;
			uint64_t npfn, i;
			uint32_t left, off;

			if ((size_t)(end - rp) < sizeof(gr))
				return -EINVAL;
			memcpy(&gr, rp, sizeof(gr));
			rp += sizeof(gr);
			if (gr.byte_offset >= HVN_PAGE_SIZE || gr.byte_count == 0)
				return -EINVAL;
			npfn = ((uint64_t)gr.byte_offset + gr.byte_count + HVN_PAGE_SIZE - 1) >> HVN_PAGE_SHIFT;
			if ((uint64_t)(end - rp) < npfn * sizeof(uint64_t))
				return -EINVAL;
			left = gr.byte_count;
			off = gr.byte_offset;
			for (i = 0; i < npfn; i++) {
				uint64_t pfn;
				uint32_t n = HVN_MIN(left, HVN_PAGE_SIZE - off);
				const uint8_t *hp;

				memcpy(&pfn, rp, sizeof(pfn));
				rp += sizeof(pfn);
				if (pfn > (UINT64_MAX >> HVN_PAGE_SHIFT))
					return -EFAULT;
				hp = vmbus_mem_gpa(mem, (pfn << HVN_PAGE_SHIFT) + off, n);
				if (hp == NULL)
					return -EFAULT;
				if (!nvsp_stream_add(s, hp, n))
					return -E2BIG;
				left -= n;
				off = 0;
			}
		}
	}
	return s->len > 0 ? 0 : -EINVAL;
}

static void on_rndis_pkt(struct nvsp_chan *c, const struct vmbus_pkt *p, const struct nvsp_msg *in)
{
	struct nvsp_stream s;
	struct nvsp_msg r;
	int rc = build_stream(c, p, in, &s);

	if (rc == 0)
		rc = nvsp_guest_tx(c, &s);
	else
		c->st.tx_drop_bad++;
	if (p->desc.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) {
		r.type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE;
		r.u.rndis_pkt_complete.status = rc == 0 ? NVSP_STAT_SUCCESS : NVSP_STAT_FAIL;
		if (nvsp_send(c, VMBUS_PKT_COMP, p->desc.trans_id, &r,
			      NVSP_MSG_MIN(rndis_pkt_complete)) == 0)
			c->st.tx_completions++;
	}
}

static void on_subchannel(struct nvsp_chan *c, const struct vmbus_pkt *p, const struct nvsp_msg *in)
{
	struct netvsp_nic *nic = c->nic;
	struct nvsp_msg r;
	uint32_t want = in->u.subchannel_req.num_subchannels, grant;

	memset(&r, 0, sizeof(r));
	r.type = NVSP_MSG5_SUBCHANNEL;
	r.u.subchannel_complete.status = NVSP_STAT_FAIL;
	if (c->idx != 0 || nic->nvsp_version < NVSP_VERSION_5 ||
	    in->u.subchannel_req.op != NVSP_SUBCHANNEL_ALLOCATE || nic->subchannels != 0) {
		bad(c);
		complete_msg(c, p, &r);
		return;
	}
	grant = HVN_MIN(want, (uint32_t)nic->cfg.max_queues - 1u);
	nic->subchannels = grant;
	r.u.subchannel_complete.status = NVSP_STAT_SUCCESS;
	r.u.subchannel_complete.num_subchannels = grant;
	/* The completion goes first: Linux sets num_chn from it, and its
	 * subchannel callback ignores offers above num_chn. */
	complete_msg(c, p, &r);
	if (grant > 0) {
		nvsp_post_ctrl(nic, NVSP_CTRL_OFFER_SUBCHANNELS, grant);
		nic->send_table_due = true;
	}
}

uint32_t netvsp_max_guest_packet(void)
{
	return NVSP_MAX_GUEST_PKT;
}

int nvsp_handle_packet(struct nvsp_chan *c, const struct vmbus_pkt *p)
{
	struct netvsp_nic *nic = c->nic;
	uint32_t plen = vmbus_pkt_payload_len(p);
	struct nvsp_msg m;

	if (c->out_budget < NVSP_REPLY_RESERVE)
		return -EAGAIN;
	/* Larger than any packet we take: dropped unanswered, as the ring
	 * drops it when it wraps (it does not fit the bounce buffer), so a
	 * packet gets the same treatment wherever it lies in the ring. No
	 * guest sends one (NVSP_MAX_GUEST_PKT). */
	if (hvn_unlikely(p->len > NVSP_MAX_GUEST_PKT)) {
		bad(c);
		return 0;
	}
	switch (p->desc.type) {
	case VMBUS_PKT_COMP:
		nvsp_rx_complete(c, p->desc.trans_id);
		return 0;
	case VMBUS_PKT_DATA_INBAND:
	case VMBUS_PKT_DATA_GPA_DIRECT:
		break;
	default:
		bad(c);
		complete_empty(c, p);
		return 0;
	}
	if (plen < sizeof(m.type)) {
		bad(c);
		complete_empty(c, p);
		return 0;
	}
	/* One private copy; the guest may rewrite the ring under us. */
	memset(&m, 0, sizeof(m));
	memcpy(&m, vmbus_pkt_payload(p), HVN_MIN(plen, (uint32_t)sizeof(m)));
	if (p->desc.type == VMBUS_PKT_DATA_GPA_DIRECT && m.type != NVSP_MSG1_SEND_RNDIS_PKT) {
		bad(c);
		complete_empty(c, p);
		return 0;
	}
	switch (m.type) {
	case NVSP_MSG1_SEND_RNDIS_PKT:
		if (plen < NVSP_MSG_MIN(rndis_pkt))
			break;
		on_rndis_pkt(c, p, &m);
		return 0;
	case NVSP_MSG_INIT:
		if (plen < NVSP_MSG_MIN(init))
			break;
		on_init(c, p, &m);
		return 0;
	case NVSP_MSG1_SEND_NDIS_VER:
		if (plen < NVSP_MSG_MIN(ndis_ver) || nic->state != NVSP_ST_INIT || c->idx != 0)
			break;
		nic->ndis_version = m.u.ndis_ver.ndis_major_ver << 16 | m.u.ndis_ver.ndis_minor_ver;
		complete_empty(c, p);
		return 0;
	case NVSP_MSG2_SEND_NDIS_CONFIG:
		if (plen < NVSP_MSG_MIN(ndis_config) || nic->state != NVSP_ST_INIT ||
		    nic->nvsp_version < NVSP_VERSION_2 || c->idx != 0)
			break;
		nic->guest_mtu = m.u.ndis_config.mtu;
		nic->guest_caps = m.u.ndis_config.capability;
		complete_empty(c, p);
		return 0;
	case NVSP_MSG1_SEND_RECV_BUF:
		if (plen < NVSP_MSG_MIN(send_buf))
			break;
		on_recv_buf(c, p, &m);
		return 0;
	case NVSP_MSG1_SEND_SEND_BUF:
		if (plen < NVSP_MSG_MIN(send_buf))
			break;
		on_send_buf(c, p, &m);
		return 0;
	case NVSP_MSG1_REVOKE_RECV_BUF:
		/* The mapping stays until the channel closes: other queues'
		 * pollers may still be writing into it this instant. */
		if (plen < NVSP_MSG_MIN(revoke_buf) || !nic->rbuf_mapped ||
		    m.u.revoke_buf.id != nic->rbuf_id)
			break;
		hvn_store_relaxed(&nic->rbuf_revoked, true);
		complete_empty(c, p);
		return 0;
	case NVSP_MSG1_REVOKE_SEND_BUF:
		if (plen < NVSP_MSG_MIN(revoke_buf) || !nic->sbuf_mapped)
			break;
		hvn_store_relaxed(&nic->sbuf_revoked, true);
		complete_empty(c, p);
		return 0;
	case NVSP_MSG5_SUBCHANNEL:
		if (plen < NVSP_MSG_MIN(subchannel_req))
			break;
		on_subchannel(c, p, &m);
		return 0;
	case NVSP_MSG4_SWITCH_DATA_PATH:
		/* Linux waits for this under RTNL and accepts only an empty
		 * completion (netvsc.c netvsc_send_completion). */
		if (plen >= NVSP_MSG_MIN(data_path) && nic->nvsp_version >= NVSP_VERSION_4)
			nic->datapath = m.u.data_path.active_datapath;
		else
			bad(c);
		if (p->desc.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED)
			nvsp_send(c, VMBUS_PKT_COMP, p->desc.trans_id, NULL, 0);
		return 0;
	default:
		break;
	}
	bad(c);
	complete_empty(c, p);
	return 0;
}

/* Host-initiated messages, sent by the primary's poller when due. */
void nvsp_send_pending(struct nvsp_chan *c)
{
	struct netvsp_nic *nic = c->nic;

	if (nic->state == NVSP_ST_READY && hvn_load_acquire(&nic->link_change)) {
		if (nvsp_rndis_indicate(c, hvn_load_relaxed(&nic->link_up) ?
					   RNDIS_STATUS_MEDIA_CONNECT :
					   RNDIS_STATUS_MEDIA_DISCONNECT) == 0)
			hvn_store_relaxed(&nic->link_change, false);
	}
	if (hvn_load_acquire(&nic->vf_pending) && nic->state == NVSP_ST_READY) {
		struct nvsp_msg m;

		hvn_store_relaxed(&nic->vf_pending, false);
		/* Only a guest that can bond a VF is told; Linux never
		 * completes this (OpenVMM GH #1494), so none is asked for. */
		if (nic->nvsp_version >= NVSP_VERSION_4 && (nic->guest_caps & NVSP_CAP_SRIOV)) {
			memset(&m, 0, sizeof(m));
			m.type = NVSP_MSG4_SEND_VF_ASSOCIATION;
			m.u.vf_assoc.allocated = hvn_load_relaxed(&nic->vf_allocated) ? 1u : 0u;
			m.u.vf_assoc.serial = hvn_load_relaxed(&nic->vf_serial);
			nvsp_send(c, VMBUS_PKT_DATA_INBAND, 0, &m, sizeof(m));
		}
	}
	if (nic->send_table_due && c->out_budget >= NVSP_REPLY_RESERVE) {
		struct {
			struct nvsp_msg m;
			uint32_t table[NVSP_SEND_TABLE_SIZE];
		} hvn_packed t;
		uint32_t i, nch = nic->subchannels + 1u;

		memset(&t, 0, sizeof(t));
		t.m.type = NVSP_MSG5_SEND_INDIRECTION_TABLE;
		t.m.u.send_table.count = NVSP_SEND_TABLE_SIZE;
		/* Right after the 40-byte message: correct for 6.1 and what
		 * Linux substitutes for older versions (netvsc_send_table). */
		t.m.u.send_table.offset = sizeof(struct nvsp_msg);
		for (i = 0; i < NVSP_SEND_TABLE_SIZE; i++)
			t.table[i] = i % nch;
		if (nvsp_send(c, VMBUS_PKT_DATA_INBAND, 0, &t, sizeof(t)) == 0)
			nic->send_table_due = false;
	}
}
