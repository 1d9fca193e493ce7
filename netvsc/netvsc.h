/* netVSC core: the guest side of the synthetic NIC, driving netVSP the way
 * Linux 6.1 hv_netvsc does (reference §3.2: versions newest first, the
 * same buffers, RNDIS queries and sets, copy-mode transmit with batching
 * in send-buffer sections, transfer-page receive with a completion per
 * packet). Freestanding: no libc and no allocation, so a KVM test guest
 * links it as process partitions do. It drives one channel; the caller
 * owns the memory (rings and buffers) and builds their GPADLs. */
#ifndef NETVSC_H
#define NETVSC_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/nvsp_wire.h"
#include "proto/rndis_pkt.h"
#include "vmbus/vmbus_client.h"

struct netvsc_ops {
	/* Block until the host may have written to the channel, or until
	 * timeout_ms. Returns < 0 when the host is gone. */
	int (*wait)(void *ctx, int timeout_ms);
	/* Signal the host (HvSignalEvent on the channel). */
	int (*signal)(void *ctx);
	/* A frame arrived; 'frame' is valid during the call only. */
	void (*rx)(void *ctx, const uint8_t *frame, uint32_t len, const struct rndis_pkt_info *info);
};

struct netvsc_stats {
	uint64_t tx_packets, tx_bytes, tx_completions, tx_busy;
	uint64_t rx_packets, rx_bytes, rx_batches, rx_bad;
	uint64_t indications;
	uint64_t bad_msgs;
};

#define NETVSC_MAX_SECTIONS 512u

struct netvsc {
	struct vmbus_client_channel *ch;
	const struct netvsc_ops *ops;
	void *ctx;
	uint32_t max_version;          /* 0: NVSP 6.1 */
	uint32_t nvsp_version;
	uint32_t mtu;
	uint8_t *rbuf;                 /* receive buffer, the guest's memory */
	uint32_t rbuf_size, rbuf_gpadl;
	uint8_t *sbuf;
	uint32_t sbuf_size, sbuf_gpadl;
	uint32_t sub_alloc_size, num_sub_allocs;
	uint32_t section_size, nsections;
	uint64_t section_busy[NETVSC_MAX_SECTIONS / 64];
	uint32_t max_pkt, pkt_align;
	uint32_t req_id;
	uint64_t next_tid;
	uint8_t mac[6];
	bool link_up;
	uint32_t link_speed;           /* units of 100 bit/s */
	uint32_t rss_queues;           /* host's num_recv_que */
	/* The answer a synchronous request waits for. */
	uint32_t want_type;            /* NVSP or RNDIS completion type */
	uint32_t want_id;              /* RNDIS request id */
	bool got;
	uint32_t reply_len;
	uint8_t reply[600];
	/* Receive completions not yet written (the ring was full). */
	uint64_t owed[64];
	uint32_t nowed;
	/* Copy-mode batch being filled: section, bytes, messages. */
	int32_t batch_section;
	uint32_t batch_len, batch_count;
	struct netvsc_stats st;
};

/* Everything up to a running NIC: NVSP version, buffers, RNDIS init, the
 * queries Linux makes (failing where Linux fails), offloads, the packet
 * filter. The buffers' GPADLs must exist. Returns 0 or -HVN_*. */
int netvsc_init(struct netvsc *n, int timeout_ms);

/* Queue one frame (copy mode; several are batched into one section and
 * sent by netvsc_flush() or when the section or batch is full). Returns
 * 0, -HVN_EAGAIN (no free section or ring room: poll and retry),
 * -HVN_EMSGSIZE. */
int netvsc_send(struct netvsc *n, const void *frame, uint32_t len,
		struct rndis_pkt_info *ppi);
int netvsc_flush(struct netvsc *n);

/* Handle what the host wrote: completions, frames (ops->rx), control
 * replies and indications. Returns the number of packets handled. */
int netvsc_poll(struct netvsc *n);

/* The RNDIS query and set of Linux's rndis_filter.c, synchronous. */
int netvsc_query(struct netvsc *n, uint32_t oid, const void *in, uint32_t inlen,
		 void *out, uint32_t *outlen, int timeout_ms);
int netvsc_set(struct netvsc *n, uint32_t oid, const void *in, uint32_t inlen, int timeout_ms);

/* Close down as Linux does on detach (§3.5): filter 0, HALT, revoke. */
int netvsc_halt(struct netvsc *n, int timeout_ms);

#endif /* NETVSC_H */
