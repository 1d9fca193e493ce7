/* Transmit: frames into send-buffer sections, as Linux netvsc_send() does.
 * A frame that fits a section is copied there and batched with others
 * (up to the host's max_pkt_per_msg, one SEND_RNDIS_PKT per section); a
 * larger one (jumbo, LSO) goes GPA-direct. Linux points GPA-direct ranges
 * at the skb's own pages; a caller whose frame is not in guest memory
 * has it copied into consecutive free sections and the ranges point at
 * those. Either way the sections return when the host completes the
 * packet. A caller whose frame is in guest memory sends it from there
 * (netvsc_tx_direct), as DPDK's netvsc PMD does. */
#include "netvsc/netvsc_priv.h"

int nvc_put(struct netvsc_queue *q, uint16_t type, uint16_t flags, uint64_t tid,
	    const void *hdr, uint32_t hdr_len, const void *msg, uint32_t len)
{
	struct vmbus_sg sg = { .base = msg, .len = len };
	struct vmbus_pkt_out o = {
		.type = type, .flags = flags, .trans_id = tid,
		.hdr = hdr, .hdr_len = hdr_len, .sg = &sg, .nsg = len != 0 ? 1u : 0u,
	};
	int rc = vmbus_ring_put(&q->ch->tx, &o);

	if (rc == 0)
		q->dirty = true;
	return rc;
}

void nvc_kick(struct netvsc_queue *q)
{
	if (!q->dirty)
		return;
	q->dirty = false;
	if (vmbus_ring_write_commit(&q->ch->tx))
		q->nic->ops->signal(q->nic->ctx, q->idx);
}

uint32_t nvc_sections_busy(const struct netvsc_queue *q)
{
	uint32_t i, busy = 0;

	/* No __builtin_popcountll: a libgcc call in a freestanding build. */
	for (i = 0; i < NETVSC_MAX_SECTIONS / 64; i++)
		for (uint64_t w = q->sec_busy[i]; w != 0; w &= w - 1)
			busy++;
	return busy;
}

/* 'k' consecutive free sections of q's slice; -1 when there are none. */
static int32_t find_free(const struct netvsc_queue *q, uint32_t k)
{
	uint32_t s = q->sec_first, end = q->sec_first + q->sec_count, run = 0;

	while (s < end) {
		/* A full word of busy sections is skipped at once. */
		if (s % 64 == 0 && end - s >= 64 && q->sec_busy[s / 64] == ~0ull) {
			run = 0;
			s += 64;
			continue;
		}
		if (nvc_sec_busy(q, s)) {
			run = 0;
		} else if (++run == k) {
			return (int32_t)(s + 1 - k);
		}
		s++;
	}
	return -1;
}

static int send_section(struct netvsc_queue *q, uint32_t channel_type, uint32_t s, uint32_t len)
{
	struct nvsp_msg m;

	nvc_memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.channel_type = channel_type;
	m.u.rndis_pkt.send_buf_section_index = s;
	m.u.rndis_pkt.send_buf_section_size = len;
	/* The whole nvsp_message, as Linux sends it. */
	return nvc_put(q, VMBUS_PKT_DATA_INBAND, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
		       NVC_TID_SECTION | 1u << 16 | s, 0, 0, &m, sizeof(m));
}

int nvc_flush_batch(struct netvsc_queue *q)
{
	int rc;

	if (q->batch_section < 0)
		return 0;
	rc = send_section(q, NVSP_RNDIS_CHANNEL_DATA, (uint32_t)q->batch_section, q->batch_len);
	if (rc < 0) {
		q->batch_stuck = true;
		return rc;
	}
	q->batch_section = -1;
	q->batch_len = q->batch_count = 0;
	q->batch_stuck = false;
	return 0;
}

int netvsc_tx_flush(struct netvsc_queue *q)
{
	int rc = nvc_flush_batch(q);

	nvc_kick(q);
	return rc;
}

bool netvsc_tx_idle(struct netvsc_queue *q)
{
	uint32_t i;

	(void)netvsc_tx_flush(q);
	nvc_pump(q);
	if (q->batch_section >= 0)
		return false;
	for (i = q->sec_first; i < q->sec_first + q->sec_count; i++)
		if (nvc_sec_busy(q, i))
			return false;
	return true;
}

/* The first free section in [from, to), a word at a time; -1 if none. */
static int32_t first_free(const struct netvsc_queue *q, uint32_t from, uint32_t to)
{
	while (from < to) {
		uint64_t w = ~q->sec_busy[from / 64] >> (from % 64);

		if (w != 0) {
			/* Bits past 'to' are another queue's: none of ours is free. */
			uint32_t s = from + (uint32_t)__builtin_ctzll(w);

			return s < to ? (int32_t)s : -1;
		}
		from = (from / 64 + 1) * 64;
	}
	return -1;
}

static int32_t find_one(const struct netvsc_queue *q)
{
	uint32_t end = q->sec_first + q->sec_count, from = q->sec_next;
	int32_t s;

	if (from < q->sec_first || from >= end)
		from = q->sec_first;
	s = first_free(q, from, end);
	return s >= 0 ? s : first_free(q, q->sec_first, from);
}

/* Sections for a frame: free ones now, or after reading completions. */
static int32_t claim(struct netvsc_queue *q, uint32_t k)
{
	int32_t s = k == 1 ? find_one(q) : find_free(q, k);

	if (s < 0) {
		nvc_pump(q);
		s = k == 1 ? find_one(q) : find_free(q, k);
	}
	if (s >= 0) {
		nvc_sec_mark(q, (uint32_t)s, k, true);
		q->sec_next = (uint32_t)s + k;
	}
	return s;
}

static bool ring_room(struct netvsc_queue *q, uint32_t bytes)
{
	if (vmbus_ring_bytes_free(&q->ch->tx) >= bytes + NVC_RING_SLACK)
		return true;
	nvc_pump(q);
	return vmbus_ring_bytes_free(&q->ch->tx) >= bytes + NVC_RING_SLACK;
}

/* The frame, its RNDIS header and the offset into the first page. */
#define DIRECT_MAX_PFNS ((NETVSC_MAX_TX_FRAME + 1024u) / HVN_PAGE_SIZE + 3u)
_Static_assert(DIRECT_MAX_PFNS <= NETVSC_TX_MAX_PFNS, "a section-sourced frame fits a desc");

/* The ranges of a GPA-direct packet as they follow its descriptor:
 * vmbus_gpa_direct_hdr's reserved and range_cnt, then each
 * vmbus_gpa_range with its pfns (proto/vmbus_wire.h). Every range has a
 * pfn, so there are at most as many ranges as pfns. */
struct direct_desc {
	uint32_t len, npfn, nrange;
	uint8_t b[8u + (sizeof(struct vmbus_gpa_range) + 8u) * NETVSC_TX_MAX_PFNS];
};

static void desc_init(struct direct_desc *d)
{
	d->len = 8;
	d->npfn = d->nrange = 0;
}

/* [gpa, gpa + len) as the next range; false when the pages run out. */
static bool desc_add(struct direct_desc *d, uint64_t gpa, uint32_t len)
{
	uint32_t off = (uint32_t)(gpa & (HVN_PAGE_SIZE - 1));
	uint32_t npfn = (uint32_t)(((uint64_t)off + len + HVN_PAGE_SIZE - 1) >> HVN_PAGE_SHIFT);
	struct vmbus_gpa_range r = { .byte_count = len, .byte_offset = off };

	if (len == 0 || npfn > NETVSC_TX_MAX_PFNS - d->npfn)
		return false;
	__builtin_memcpy(d->b + d->len, &r, sizeof(r));
	d->len += sizeof(r);
	for (uint32_t i = 0; i < npfn; i++) {
		uint64_t pfn = (gpa >> HVN_PAGE_SHIFT) + i;

		__builtin_memcpy(d->b + d->len, &pfn, sizeof(pfn));
		d->len += sizeof(pfn);
	}
	d->npfn += npfn;
	d->nrange++;
	return true;
}

static const void *desc_finish(struct direct_desc *d)
{
	uint32_t head[2] = { 0, d->nrange };

	__builtin_memcpy(d->b, head, sizeof(head));
	return d->b;
}

/* The PPIs a frame may carry, and whether its length suits them: a frame
 * of the MTU, with a tag in it at most; LSO up to the host's limit. */
static bool frame_info(const struct netvsc *n, uint32_t len, const struct rndis_pkt_info *ppi,
		       struct rndis_pkt_info *info)
{
	/* Field by field: the caller has just written *ppi field by field,
	 * and a whole-struct copy reads it back wider than it was stored (a
	 * store-forwarding stall that showed as 8 to 14% of a sender). */
	info->data_off = info->data_len = 0;
	info->present = ppi != 0 ? ppi->present & (RNDIS_PKT_HAS_CSUM | RNDIS_PKT_HAS_LSO |
						   RNDIS_PKT_HAS_VLAN | RNDIS_PKT_HAS_HASH) : 0;
	info->csum = ppi != 0 ? ppi->csum : 0;
	info->lso = ppi != 0 ? ppi->lso : 0;
	info->vlan = ppi != 0 ? ppi->vlan : 0;
	info->hash = ppi != 0 ? ppi->hash : 0;
	return len != 0 && len <= NETVSC_MAX_TX_FRAME &&
	       ((info->present & RNDIS_PKT_HAS_LSO) ? len <= n->lso_max + 18u : len <= n->mtu + 18u);
}

uint8_t *netvsc_tx_reserve(struct netvsc_queue *q, uint32_t len,
			   const struct rndis_pkt_info *ppi, int *err)
{
	struct netvsc *n = q->nic;
	struct rndis_pkt_info info;
	uint32_t hlen, need, k;
	uint8_t *dst;
	int32_t s;

	/* A GPA-direct frame reserved and never committed gives its
	 * sections back (a copy-mode one just gets overwritten). */
	if (q->pend_direct) {
		nvc_sec_mark(q, (uint32_t)q->pend_first, q->pend_nsec, false);
		q->pend_direct = false;
	}
	q->pend_need = 0;
	if (!frame_info(n, len, ppi, &info)) {
		*err = -HVN_EMSGSIZE;
		return 0;
	}
	hlen = rndis_pkt_hdr_len(info.present);
	need = (hlen + len + n->pkt_align - 1) & ~(n->pkt_align - 1);
	if (need <= n->section_size) {
		if (q->batch_section >= 0 &&
		    (q->batch_len + need > n->section_size || q->batch_count == n->max_pkt) &&
		    nvc_flush_batch(q) < 0)
			goto busy;
		if (q->batch_section < 0) {
			if (!ring_room(q, vmbus_ring_pkt_footprint(0, sizeof(struct nvsp_msg))))
				goto busy;
			s = claim(q, 1);
			if (s < 0)
				goto busy;
			q->batch_section = s;
			q->batch_len = q->batch_count = 0;
		}
		dst = n->sbuf + (uint64_t)q->batch_section * n->section_size + q->batch_len;
		q->pend_direct = false;
	} else {
		k = (hlen + len + n->section_size - 1) / n->section_size;
		if (k > q->sec_count) {
			*err = -HVN_EMSGSIZE;
			return 0;
		}
		/* Frames leave in the order they were queued. */
		if (nvc_flush_batch(q) < 0)
			goto busy;
		if (!ring_room(q, vmbus_ring_pkt_footprint(16u + 8u * DIRECT_MAX_PFNS,
							   sizeof(struct nvsp_msg))))
			goto busy;
		s = claim(q, k);
		if (s < 0)
			goto busy;
		dst = n->sbuf + (uint64_t)s * n->section_size;
		need = hlen + len;
		q->pend_direct = true;
		q->pend_first = s;
		q->pend_nsec = k;
	}
	info.data_len = len;
	rndis_pkt_build(dst, &info);
	/* Each batched message padded to the host's alignment, as Linux does
	 * (netvsc_copy_to_send_buf). */
	if (need > hlen + len) {
		struct rndis_msg_hdr h;

		__builtin_memcpy(&h, dst, sizeof(h));
		h.len = need;
		__builtin_memcpy(dst, &h, sizeof(h));
		nvc_memset(dst + hlen + len, 0, need - hlen - len);
	}
	q->pend_need = need;
	q->pend_len = len;
	return dst + hlen;
busy:
	q->st.tx_busy++;
	*err = -HVN_EAGAIN;
	return 0;
}

/* A SEND_RNDIS_PKT that carries its message in GPA ranges only. */
static int put_direct(struct netvsc_queue *q, struct direct_desc *d, uint64_t tid)
{
	struct nvsp_msg m;

	nvc_memset(&m, 0, sizeof(m));
	m.type = NVSP_MSG1_SEND_RNDIS_PKT;
	m.u.rndis_pkt.channel_type = NVSP_RNDIS_CHANNEL_DATA;
	m.u.rndis_pkt.send_buf_section_index = NVSP_INVALID_SECTION;
	return nvc_put(q, VMBUS_PKT_DATA_GPA_DIRECT, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, tid,
		       desc_finish(d), d->len, &m, sizeof(m));
}

static void commit_direct(struct netvsc_queue *q, uint32_t need)
{
	struct netvsc *n = q->nic;
	uint32_t s = (uint32_t)q->pend_first;
	struct direct_desc d;

	desc_init(&d);
	/* need < NETVSC_MAX_TX_FRAME + 1 KiB: DIRECT_MAX_PFNS pages at most. */
	(void)desc_add(&d, n->sbuf_gpa + (uint64_t)s * n->section_size, need);
	if (put_direct(q, &d, NVC_TID_SECTION | (uint64_t)q->pend_nsec << 16 | s) < 0) {
		/* Room was checked at reserve: only a broken ring gets here. */
		nvc_sec_mark(q, s, q->pend_nsec, false);
		q->st.tx_busy++;
		return;
	}
	q->st.tx_direct++;
	q->st.tx_packets++;
	q->st.tx_bytes += q->pend_len;
}

int netvsc_tx_direct(struct netvsc_queue *q, uint8_t *hdr, uint64_t hdr_gpa,
		     const struct netvsc_tx_seg *seg, uint32_t nseg,
		     const struct rndis_pkt_info *ppi, uint32_t cookie)
{
	struct netvsc *n = q->nic;
	struct rndis_pkt_info info;
	struct direct_desc d;
	uint32_t len = 0, hlen, i;

	if (n->ops->tx_done == 0 || nseg == 0 ||
	    (hdr_gpa & (HVN_PAGE_SIZE - 1)) > HVN_PAGE_SIZE - NETVSC_TX_HDR_BYTES)
		return -HVN_EINVAL;
	for (i = 0; i < nseg; i++) {
		if (seg[i].len > NETVSC_MAX_TX_FRAME - len)
			return -HVN_EMSGSIZE;
		len += seg[i].len;
	}
	if (!frame_info(n, len, ppi, &info))
		return -HVN_EMSGSIZE;
	hlen = rndis_pkt_hdr_len(info.present);
	desc_init(&d);
	if (hlen > NETVSC_TX_HDR_BYTES || !desc_add(&d, hdr_gpa, hlen))
		return -HVN_EMSGSIZE;
	for (i = 0; i < nseg; i++)
		if (!desc_add(&d, seg[i].gpa, seg[i].len))
			return -HVN_EMSGSIZE;
	/* Frames leave in the order they were queued. */
	if (nvc_flush_batch(q) < 0 ||
	    !ring_room(q, vmbus_ring_pkt_footprint(d.len, sizeof(struct nvsp_msg))))
		goto busy;
	info.data_len = len;
	rndis_pkt_build(hdr, &info);
	if (put_direct(q, &d, NVC_TID_ZC | cookie) < 0)
		goto busy;
	q->st.tx_direct++;
	q->st.tx_zero_copy++;
	q->st.tx_packets++;
	q->st.tx_bytes += len;
	return 0;
busy:
	q->st.tx_busy++;
	return -HVN_EAGAIN;
}

bool netvsc_tx_reclaim(struct netvsc_queue *q)
{
	return nvc_pump(q);
}

void netvsc_tx_commit(struct netvsc_queue *q)
{
	uint32_t need = q->pend_need;

	if (need == 0)
		return;   /* nothing reserved */
	q->pend_need = 0;
	if (q->pend_direct) {
		commit_direct(q, need);
		q->pend_direct = false;
		q->pend_first = -1;
		return;
	}
	if (q->batch_section < 0)
		return;
	q->batch_len += need;
	q->batch_count++;
	q->st.tx_packets++;
	q->st.tx_bytes += q->pend_len;
	/* A full batch goes now; if the ring is full it goes with the next
	 * reserve, flush or poll. */
	if (q->batch_count == q->nic->max_pkt)
		(void)nvc_flush_batch(q);
}

int netvsc_send(struct netvsc_queue *q, const void *frame, uint32_t len,
		const struct rndis_pkt_info *ppi)
{
	int err = 0;
	uint8_t *dst = netvsc_tx_reserve(q, len, ppi, &err);

	if (dst == 0)
		return err;
	__builtin_memcpy(dst, frame, len);
	netvsc_tx_commit(q);
	return 0;
}

int nvc_send_control(struct netvsc *n, const void *msg, uint32_t len)
{
	struct netvsc_queue *q = &n->queues[0];
	int32_t s;
	int rc;

	if (len > n->section_size)
		return -HVN_ENOBUFS;
	s = claim(q, 1);
	if (s < 0)
		return -HVN_ENOBUFS;
	__builtin_memcpy(n->sbuf + (uint64_t)s * n->section_size, msg, len);
	rc = send_section(q, NVSP_RNDIS_CHANNEL_CONTROL, (uint32_t)s, len);
	if (rc < 0)
		nvc_sec_mark(q, (uint32_t)s, 1, false);
	nvc_kick(q);
	return rc;
}

uint16_t netvsc_send_queue(const struct netvsc *n, uint32_t hash)
{
	uint32_t q;

	if (!n->send_table_valid || n->nqueues <= 1)
		return 0;
	/* Linux netvsc_get_tx_queue: the table entry, unless it names a
	 * channel that is not open. */
	q = hvn_load_relaxed(&n->send_table[hash % NVSP_SEND_TABLE_SIZE]);
	return q < n->nqueues ? (uint16_t)q : 0;
}
