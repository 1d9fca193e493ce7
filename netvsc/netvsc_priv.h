/* Internal to the netVSC core (netvsc.c, netvsc_rx.c, netvsc_tx.c).
 * Freestanding like them. */
#ifndef NETVSC_PRIV_H
#define NETVSC_PRIV_H

#include "common/hvn_errno.h"
#include "netvsc/netvsc.h"

#define NVC_WAIT_SLICE_MS 10
#define NVC_BURST         32u

/* trans_id of a send: TID_SECTION | sections << 16 | first section.
 * Requests awaiting an NVSP completion: TID_CONTROL | message type. */
#define NVC_TID_SECTION   (1ull << 32)
#define NVC_TID_CONTROL   (2ull << 32)
/* A netvsc_tx_direct() frame: TID_ZC | the caller's cookie. */
#define NVC_TID_ZC        (3ull << 32)
#define NVC_TID_KIND_MASK (~0xffffffffull)

/* Ring room a transmit leaves for receive completions and control. */
#define NVC_RING_SLACK    1024u

static inline void *nvc_memset(void *d, int c, uint32_t n)
{
	return __builtin_memset(d, c, n);
}

static inline bool nvc_sec_busy(const struct netvsc_queue *q, uint32_t s)
{
	return (q->sec_busy[s / 64] >> (s % 64)) & 1u;
}

static inline void nvc_sec_mark(struct netvsc_queue *q, uint32_t s, uint32_t k, bool busy)
{
	for (uint32_t i = s; i < s + k; i++) {
		if (busy)
			q->sec_busy[i / 64] |= 1ull << (i % 64);
		else
			q->sec_busy[i / 64] &= ~(1ull << (i % 64));
	}
}

/* netvsc_tx.c */
/* Append one packet to q's ring without publishing it. */
int nvc_put(struct netvsc_queue *q, uint16_t type, uint16_t flags, uint64_t tid,
	    const void *hdr, uint32_t hdr_len, const void *msg, uint32_t len);
/* Publish what nvc_put() wrote; signal the host when the ring says so. */
void nvc_kick(struct netvsc_queue *q);
/* Send the copy-mode batch if one is open. */
int nvc_flush_batch(struct netvsc_queue *q);
/* An RNDIS control message through one of queue 0's sections (Linux:
 * channel type 1). */
int nvc_send_control(struct netvsc *n, const void *msg, uint32_t len);
/* Sections in flight on q. */
uint32_t nvc_sections_busy(const struct netvsc_queue *q);

/* netvsc_rx.c */
/* Read what the host wrote to q: completions, inband messages and, when
 * nothing is being taken apart, the next transfer-page packet (whose
 * frames the next netvsc_rx_burst() returns). Returns true when it read
 * anything. */
bool nvc_pump(struct netvsc_queue *q);

#endif /* NETVSC_PRIV_H */
