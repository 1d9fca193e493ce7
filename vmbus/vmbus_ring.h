/* One direction of a VMBus channel: a single-producer single-consumer ring
 * in Hyper-V's layout (proto/vmbus_wire.h), shared with another partition.
 *
 * Either end may be hostile. Each side keeps its own index privately and
 * only publishes it; the peer's index is loaded once, checked (below the
 * data size, 8-byte aligned) and a bad value marks the ring broken: every
 * later call fails with -HVN_EPROTO and the owner closes the channel.
 * Descriptors are copied before they are checked.
 *
 * Signalling follows Linux drivers/hv/ring_buffer.c exactly:
 *  - writer: after publishing, signal only if the reader's interrupt_mask
 *    is 0 and the ring was empty before the batch (hv_signal_on_write);
 *  - reader: after publishing read_index, signal only if the writer set
 *    pending_send_sz and the free space crossed from <= it to > it
 *    (hv_pkt_iter_close), and only if feature bit 0 is set.
 *
 * Freestanding: no libc, so the KVM test guest links it unchanged. */
#ifndef VMBUS_RING_H
#define VMBUS_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hvn_compiler.h"
#include "proto/vmbus_wire.h"

struct vmbus_ring_stats {
	uint64_t packets;       /* packets written or read */
	uint64_t bytes;         /* ring bytes consumed by them */
	uint64_t signals;       /* times the rules said: signal the peer */
	uint64_t full;          /* writes refused for lack of space */
	uint64_t oversize;      /* wrapped packets larger than the scratch, dropped */
	uint64_t proto_errors;  /* bad peer index or descriptor seen */
};

struct vmbus_ring {
	struct vmbus_ring_ctl *ctl;  /* shared control page */
	uint8_t *data;               /* shared data area, contiguous */
	uint32_t size;               /* data area bytes */
	uint32_t priv_index;         /* our index, not yet or already published */
	uint32_t start_index;        /* our published index at batch start */
	uint32_t peer_cache;         /* last valid peer index loaded */
	bool broken;                 /* peer corrupted the ring */
	uint8_t *scratch;            /* reader: bounce buffer for wrapped packets */
	uint32_t scratch_size;
	struct vmbus_ring_stats stats;
};

/* A packet as the reader sees it. 'pkt' points at the descriptor, in the
 * ring when the packet is contiguous (parse in place) or in the scratch
 * buffer when it wraps. In place the peer can still write those bytes:
 * copy any field before checking it, and check it only once. 'desc' is a
 * private, already validated copy of the descriptor. */
struct vmbus_pkt {
	struct vmbus_pkt_desc desc;
	const uint8_t *pkt;     /* descriptor start; len bytes */
	uint32_t len;           /* desc.len8 * 8 */
	uint32_t off;           /* desc.offset8 * 8: payload offset */
	uint32_t index;         /* ring offset of the descriptor */
};

static inline const uint8_t *vmbus_pkt_payload(const struct vmbus_pkt *p)
{
	return p->pkt + p->off;
}

static inline uint32_t vmbus_pkt_payload_len(const struct vmbus_pkt *p)
{
	return p->len - p->off;
}

/* Scatter element for writes. */
struct vmbus_sg {
	const void *base;
	uint32_t len;
};

/* A packet to write: a descriptor of 'type', followed by 'hdr_len' bytes
 * of type-specific header (a multiple of 8; counted in offset8), then the
 * payload gathered from sg[], padded to 8 bytes. */
struct vmbus_pkt_out {
	uint16_t type;
	uint16_t flags;
	uint64_t trans_id;
	const void *hdr;
	uint32_t hdr_len;
	const struct vmbus_sg *sg;
	unsigned int nsg;
};

/* Bytes a packet with 'hdr_len' header and 'payload' bytes takes in the
 * ring, trailer included. */
static inline uint32_t vmbus_ring_pkt_footprint(uint32_t hdr_len, uint32_t payload)
{
	return (uint32_t)sizeof(struct vmbus_pkt_desc) + hdr_len +
	       HVN_ALIGN_UP(payload, 8u) + VMBUS_PKT_TRAILER_SIZE;
}

/* The owner (the side that allocates the ring memory: the guest) clears a
 * ring of 'bytes' (control page included, page multiple, at least two
 * pages) and advertises pending_send_sz support, as Linux does. */
int vmbus_ring_format(void *base, uint32_t bytes);

/* Attach to a ring at 'base' of 'bytes'. Loads and checks the indices the
 * ring holds now. Returns 0, -HVN_EINVAL for a bad size, -HVN_EPROTO for
 * bad indices. */
int vmbus_ring_attach_writer(struct vmbus_ring *r, void *base, uint32_t bytes);
int vmbus_ring_attach_reader(struct vmbus_ring *r, void *base, uint32_t bytes,
			     void *scratch, uint32_t scratch_size);

/* ---- Writer ---- */

/* Append one packet at the private write index without publishing it.
 * -HVN_EAGAIN: not enough room (the batch so far stays valid),
 * -HVN_EMSGSIZE: the packet can never fit this ring,
 * -HVN_EINVAL: malformed request, -HVN_EPROTO: ring broken. */
int vmbus_ring_put(struct vmbus_ring *r, const struct vmbus_pkt_out *p);

/* Publish everything put since the last commit. Returns true when the
 * reader must be signalled. */
bool vmbus_ring_write_commit(struct vmbus_ring *r);

/* Put up to n packets and commit once. Returns how many were written;
 * *signal says whether to signal the reader. */
unsigned int vmbus_ring_write_burst(struct vmbus_ring *r,
				    const struct vmbus_pkt_out *p, unsigned int n,
				    bool *signal);

/* Ask the reader to signal once 'bytes' are free (0 clears). The reader
 * may have drained the ring just before this: re-check the free space
 * afterwards, or the wake-up can be lost. */
void vmbus_ring_set_pending_send(struct vmbus_ring *r, uint32_t bytes);

uint32_t vmbus_ring_bytes_free(struct vmbus_ring *r);

/* ---- Reader ---- */

/* Return up to n packets past the private read index without releasing
 * them. Returns the count; *err is 0, -HVN_EPROTO if the ring is broken
 * (the packets returned before the fault are still valid). Packets stay
 * valid until vmbus_ring_read_commit(). */
unsigned int vmbus_ring_read_burst(struct vmbus_ring *r, struct vmbus_pkt *pkts,
				   unsigned int n, int *err);

/* Give back 'p' and every packet read after it: they are returned again
 * by the next read_burst (a device whose reply ring is full stops there). */
void vmbus_ring_read_unread(struct vmbus_ring *r, const struct vmbus_pkt *p);

/* Release everything read since the last commit. Returns true when the
 * writer must be signalled. */
bool vmbus_ring_read_commit(struct vmbus_ring *r);

/* hv_begin_read / hv_end_read: mask writer interrupts while polling;
 * unmask returns the bytes still to read, and the caller must poll again
 * if that is not 0 (a packet may have landed before the unmask). */
void vmbus_ring_mask(struct vmbus_ring *r);
uint32_t vmbus_ring_unmask(struct vmbus_ring *r);

uint32_t vmbus_ring_bytes_to_read(struct vmbus_ring *r);

#endif /* VMBUS_RING_H */
