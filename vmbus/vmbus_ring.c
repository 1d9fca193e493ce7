/* VMBus ring mechanics: space accounting, packet framing, index publication
 * and the signalling decisions. No protocol knowledge lives here; see
 * vmbus_ring.h for the rules and their Linux sources. Freestanding: the
 * only external symbols are memcpy and memset, which a guest provides. */
#include "vmbus/vmbus_ring.h"

#include "common/hvn_errno.h"

#define DESC_SIZE ((uint32_t)sizeof(struct vmbus_pkt_desc))
/* len8 is 16 bits of 8-byte units. */
#define MAX_PKT_LEN (0xffffu * 8u)

static int ring_check_geometry(void *base, uint32_t bytes)
{
	if (base == 0 || ((uintptr_t)base & (HVN_PAGE_SIZE - 1)) != 0)
		return -HVN_EINVAL;
	if (bytes < 2 * HVN_PAGE_SIZE || (bytes & (HVN_PAGE_SIZE - 1)) != 0)
		return -HVN_EINVAL;
	return 0;
}

int vmbus_ring_format(void *base, uint32_t bytes)
{
	struct vmbus_ring_ctl *ctl = base;
	int rc = ring_check_geometry(base, bytes);

	if (rc < 0)
		return rc;
	__builtin_memset(ctl, 0, sizeof(*ctl));
	ctl->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	return 0;
}

static bool index_ok(const struct vmbus_ring *r, uint32_t idx)
{
	return idx < r->size && (idx & 7u) == 0;
}

/* Marks the ring unusable; the owner must close the channel. */
static int ring_broken(struct vmbus_ring *r)
{
	if (!r->broken)
		r->stats.proto_errors++;
	r->broken = true;
	return -HVN_EPROTO;
}

static int ring_attach(struct vmbus_ring *r, void *base, uint32_t bytes,
		       uint32_t *own, uint32_t *peer)
{
	int rc = ring_check_geometry(base, bytes);
	uint32_t o, p;

	if (rc < 0)
		return rc;
	__builtin_memset(r, 0, sizeof(*r));
	r->ctl = base;
	r->data = (uint8_t *)base + HVN_PAGE_SIZE;
	r->size = bytes - HVN_PAGE_SIZE;
	o = hvn_load_acquire(own);
	p = hvn_load_acquire(peer);
	if (!index_ok(r, o) || !index_ok(r, p)) {
		r->broken = true;
		r->stats.proto_errors++;
		return -HVN_EPROTO;
	}
	r->priv_index = o;
	r->start_index = o;
	r->peer_cache = p;
	return 0;
}

int vmbus_ring_attach_writer(struct vmbus_ring *r, void *base, uint32_t bytes)
{
	struct vmbus_ring_ctl *ctl = base;

	return ring_attach(r, base, bytes, &ctl->write_index, &ctl->read_index);
}

int vmbus_ring_attach_reader(struct vmbus_ring *r, void *base, uint32_t bytes,
			     void *scratch, uint32_t scratch_size)
{
	struct vmbus_ring_ctl *ctl = base;
	int rc = ring_attach(r, base, bytes, &ctl->read_index, &ctl->write_index);

	r->scratch = scratch;
	r->scratch_size = scratch != 0 ? scratch_size : 0;
	return rc;
}

/* hv_get_bytes_to_write: the ring is never filled to write == read, which
 * would read as empty. */
static uint32_t free_bytes(const struct vmbus_ring *r, uint32_t w, uint32_t rd)
{
	return w >= rd ? r->size - (w - rd) : rd - w;
}

static uint32_t used_bytes(const struct vmbus_ring *r, uint32_t w, uint32_t rd)
{
	return w >= rd ? w - rd : r->size - rd + w;
}

static uint32_t copy_to_ring(struct vmbus_ring *r, uint32_t idx,
			     const void *src, uint32_t len)
{
	uint32_t first = HVN_MIN(len, r->size - idx);

	__builtin_memcpy(r->data + idx, src, first);
	if (len > first)
		__builtin_memcpy(r->data, (const uint8_t *)src + first, len - first);
	idx += len;
	return idx >= r->size ? idx - r->size : idx;
}

static void copy_from_ring(const struct vmbus_ring *r, uint32_t idx,
			   void *dst, uint32_t len)
{
	uint32_t first = HVN_MIN(len, r->size - idx);

	__builtin_memcpy(dst, r->data + idx, first);
	if (len > first)
		__builtin_memcpy((uint8_t *)dst + first, r->data, len - first);
}

/* Loads the peer's read index for a writer. */
static int reload_read_index(struct vmbus_ring *r)
{
	uint32_t rd = hvn_load_acquire(&r->ctl->read_index);

	if (!index_ok(r, rd))
		return ring_broken(r);
	r->peer_cache = rd;
	return 0;
}

uint32_t vmbus_ring_bytes_free(struct vmbus_ring *r)
{
	if (r->broken || reload_read_index(r) < 0)
		return 0;
	return free_bytes(r, r->priv_index, r->peer_cache);
}

int vmbus_ring_put(struct vmbus_ring *r, const struct vmbus_pkt_out *p)
{
	static const uint8_t zeros[8];
	struct vmbus_pkt_desc d;
	uint64_t payload = 0, trailer;
	uint32_t pkt_len, total, idx;
	unsigned int i;

	if (r->broken)
		return -HVN_EPROTO;
	if ((p->hdr_len & 7u) != 0 || p->hdr_len > MAX_PKT_LEN)
		return -HVN_EINVAL;
	for (i = 0; i < p->nsg; i++)
		payload += p->sg[i].len;
	if (payload > MAX_PKT_LEN)
		return -HVN_EINVAL;
	pkt_len = DESC_SIZE + p->hdr_len + HVN_ALIGN_UP((uint32_t)payload, 8u);
	if (pkt_len > MAX_PKT_LEN)
		return -HVN_EINVAL;
	total = pkt_len + VMBUS_PKT_TRAILER_SIZE;
	/* Never fits: waiting for space would wait forever. */
	if (total >= r->size)
		return -HVN_EMSGSIZE;

	/* Use the cached read index first; only a ring that looks full costs
	 * a load of the cache line the reader writes. */
	if (free_bytes(r, r->priv_index, r->peer_cache) <= total) {
		if (reload_read_index(r) < 0)
			return -HVN_EPROTO;
		if (free_bytes(r, r->priv_index, r->peer_cache) <= total) {
			r->stats.full++;
			return -HVN_EAGAIN;
		}
	}

	d.type = p->type;
	d.offset8 = (uint16_t)((DESC_SIZE + p->hdr_len) >> 3);
	d.len8 = (uint16_t)(pkt_len >> 3);
	d.flags = p->flags;
	d.trans_id = p->trans_id;

	idx = r->priv_index;
	trailer = (uint64_t)idx << 32;
	idx = copy_to_ring(r, idx, &d, DESC_SIZE);
	if (p->hdr_len != 0)
		idx = copy_to_ring(r, idx, p->hdr, p->hdr_len);
	for (i = 0; i < p->nsg; i++)
		if (p->sg[i].len != 0)
			idx = copy_to_ring(r, idx, p->sg[i].base, p->sg[i].len);
	if (payload & 7u)
		idx = copy_to_ring(r, idx, zeros, 8u - (uint32_t)(payload & 7u));
	idx = copy_to_ring(r, idx, &trailer, VMBUS_PKT_TRAILER_SIZE);

	r->priv_index = idx;
	r->stats.packets++;
	r->stats.bytes += total;
	return 0;
}

bool vmbus_ring_write_commit(struct vmbus_ring *r)
{
	uint32_t old = r->start_index;

	if (r->broken || r->priv_index == old)
		return false;
	/* Release: the packet bytes are visible before the index that
	 * covers them. */
	hvn_store_release(&r->ctl->write_index, r->priv_index);
	r->start_index = r->priv_index;
	/* Full barrier (hv_signal_on_write): the reader's interrupt_mask and
	 * read_index must be read after our write_index is visible, or both
	 * sides can decide that the other will act. */
	hvn_mb();
	if (hvn_load_relaxed(&r->ctl->interrupt_mask) != 0)
		return false;
	hvn_rmb();
	/* Only the empty-to-non-empty transition needs a signal. */
	if (old != hvn_load_relaxed(&r->ctl->read_index))
		return false;
	r->stats.signals++;
	return true;
}

unsigned int vmbus_ring_write_burst(struct vmbus_ring *r,
				    const struct vmbus_pkt_out *p, unsigned int n,
				    bool *signal)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (vmbus_ring_put(r, &p[i]) < 0)
			break;
	*signal = vmbus_ring_write_commit(r);
	return i;
}

void vmbus_ring_set_pending_send(struct vmbus_ring *r, uint32_t bytes)
{
	hvn_store_relaxed(&r->ctl->pending_send_sz, bytes);
	/* The reader must see the request before we re-check the space. */
	hvn_mb();
}

static int reload_write_index(struct vmbus_ring *r)
{
	uint32_t w = hvn_load_acquire(&r->ctl->write_index);

	if (!index_ok(r, w))
		return ring_broken(r);
	/* A writer only advances into space we released: an index inside
	 * what we consumed since our last commit moved backwards, and would
	 * let one burst lap the ring and reuse the scratch copy under a
	 * packet still in use. */
	if (used_bytes(r, w, r->start_index) < used_bytes(r, r->priv_index, r->start_index))
		return ring_broken(r);
	r->peer_cache = w;
	return 0;
}

uint32_t vmbus_ring_bytes_to_read(struct vmbus_ring *r)
{
	if (r->broken || reload_write_index(r) < 0)
		return 0;
	return used_bytes(r, r->peer_cache, r->priv_index);
}

/* Reads and checks the packet at the private read index; 'avail' is the
 * number of bytes published past it. Returns 1 with *pkt filled, 0 when
 * the packet was dropped (oversize wrap), -HVN_EPROTO when corrupt. */
static int read_one(struct vmbus_ring *r, uint32_t avail, struct vmbus_pkt *pkt)
{
	uint32_t idx = r->priv_index, len, off;

	/* A fixed-size copy compiles inline; the wrapping case is rare.
	 * Worth 23% at 64 bytes (bench/run vmbus-ring). */
	if (hvn_likely(idx + DESC_SIZE <= r->size))
		__builtin_memcpy(&pkt->desc, r->data + idx, DESC_SIZE);
	else
		copy_from_ring(r, idx, &pkt->desc, DESC_SIZE);
	len = (uint32_t)pkt->desc.len8 << 3;
	off = (uint32_t)pkt->desc.offset8 << 3;
	if (off < DESC_SIZE || off > len ||
	    (uint64_t)len + VMBUS_PKT_TRAILER_SIZE > avail)
		return ring_broken(r);

	pkt->len = len;
	pkt->off = off;
	pkt->index = idx;
	if (idx + len <= r->size) {
		pkt->pkt = r->data + idx;
	} else if (len <= r->scratch_size) {
		copy_from_ring(r, idx, r->scratch, len);
		/* The descriptor in the copy must be the one we checked. */
		__builtin_memcpy(r->scratch, &pkt->desc, DESC_SIZE);
		pkt->pkt = r->scratch;
	} else {
		r->stats.oversize++;
		idx += len + VMBUS_PKT_TRAILER_SIZE;
		r->priv_index = idx >= r->size ? idx - r->size : idx;
		return 0;
	}
	idx += len + VMBUS_PKT_TRAILER_SIZE;
	r->priv_index = idx >= r->size ? idx - r->size : idx;
	r->stats.packets++;
	r->stats.bytes += len + VMBUS_PKT_TRAILER_SIZE;
	return 1;
}

unsigned int vmbus_ring_read_burst(struct vmbus_ring *r, struct vmbus_pkt *pkts,
				   unsigned int n, int *err)
{
	unsigned int got = 0;
	uint32_t avail;
	int rc;

	*err = 0;
	if (r->broken) {
		*err = -HVN_EPROTO;
		return 0;
	}
	avail = used_bytes(r, r->peer_cache, r->priv_index);
	while (got < n) {
		if (avail < DESC_SIZE + VMBUS_PKT_TRAILER_SIZE) {
			if (reload_write_index(r) < 0) {
				*err = -HVN_EPROTO;
				break;
			}
			avail = used_bytes(r, r->peer_cache, r->priv_index);
			if (avail == 0)
				break;
			/* Writers publish whole packets only, and none is
			 * shorter than this: a partial one is corruption, not
			 * a reason to poll again forever. */
			if (avail < DESC_SIZE + VMBUS_PKT_TRAILER_SIZE) {
				*err = ring_broken(r);
				break;
			}
		}
		rc = read_one(r, avail, &pkts[got]);
		if (rc < 0) {
			*err = rc;
			break;
		}
		avail = used_bytes(r, r->peer_cache, r->priv_index);
		if (rc > 0)
			got++;
	}
	return got;
}

void vmbus_ring_read_unread(struct vmbus_ring *r, const struct vmbus_pkt *p)
{
	r->priv_index = p->index;
}

bool vmbus_ring_read_commit(struct vmbus_ring *r)
{
	uint32_t start = r->start_index, pending, w, cur_free, bytes_read;

	if (r->broken || r->priv_index == start)
		return false;
	/* Release: our reads of the packets finish before the writer may
	 * reuse their space. */
	hvn_store_release(&r->ctl->read_index, r->priv_index);
	r->start_index = r->priv_index;
	if ((hvn_load_relaxed(&r->ctl->feature_bits) &
	     VMBUS_RING_FEAT_PENDING_SEND_SZ) == 0)
		return false;
	/* Full barrier (hv_pkt_iter_close): read pending_send_sz only after
	 * the new read_index is visible, or a writer that fills the ring
	 * and sets pending_send_sz meanwhile is never woken. */
	hvn_mb();
	pending = hvn_load_relaxed(&r->ctl->pending_send_sz);
	if (pending == 0)
		return false;
	hvn_rmb();
	w = hvn_load_relaxed(&r->ctl->write_index);
	if (!index_ok(r, w)) {
		ring_broken(r);
		return false;
	}
	cur_free = free_bytes(r, w, r->priv_index);
	bytes_read = used_bytes(r, r->priv_index, start);
	/* Signal only on the crossing from "not enough" to "enough". */
	if (cur_free - bytes_read > pending)
		return false;
	if (cur_free <= pending)
		return false;
	r->stats.signals++;
	return true;
}

void vmbus_ring_mask(struct vmbus_ring *r)
{
	hvn_store_relaxed(&r->ctl->interrupt_mask, 1u);
	hvn_mb();
}

uint32_t vmbus_ring_unmask(struct vmbus_ring *r)
{
	hvn_store_relaxed(&r->ctl->interrupt_mask, 0u);
	/* A write published before the unmask saw the mask set and did not
	 * signal: re-check after the store is visible. */
	hvn_mb();
	return vmbus_ring_bytes_to_read(r);
}
