/* netVSC core: the guest side of the synthetic NIC, driving netVSP the way
 * Linux 6.1 hv_netvsc does (reference §3.2: versions newest first, the
 * same buffers, RNDIS queries and sets, then subchannels and receive-side
 * scaling; copy-mode transmit batched in send-buffer sections, GPA-direct
 * for what does not fit one; transfer-page receive with a completion per
 * packet). Freestanding: no libc and no allocation, so a KVM test guest
 * links it as process partitions do. The caller owns all memory: this
 * structure, the queues, the channels' rings and the two buffers (and
 * builds the buffers' GPADLs).
 *
 * Queues. Queue i is channel i (the primary is 0, subchannel i has
 * sub_channel_index i). Linux picks a transmit channel from the host's
 * send indirection table by the packet's hash; here the caller picks the
 * queue and the frame goes out on that queue's channel (netvsc_send_queue()
 * gives Linux's choice for a hash). Each queue is used by one thread at a
 * time, receive and transmit from the same thread, with no locks: every
 * queue owns a fixed slice of the send buffer's sections and reads its own
 * ring. Control requests (query, set, halt) go through queue 0, from the
 * thread that polls it or while nothing polls it. */
#ifndef NETVSC_H
#define NETVSC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hvn_compiler.h"
#include "proto/nvsp_wire.h"
#include "proto/rndis_pkt.h"
#include "vmbus/vmbus_client.h"

#define NETVSC_MAX_QUEUES   NVSP_MAX_CHANNELS
/* Send-buffer sections used at most (6 MiB): a bound on the bitmap. The
 * port's default 1 MiB send buffer has 170; more frames in flight than a
 * peer's receive queue holds make a saturated port pair drop for a stuck
 * queue, since the host holds frames for a full peer and its receive
 * completions wait in its ring behind its own sends (netvsp/README.md,
 * "Holding frames"). */
#define NETVSC_MAX_SECTIONS 1024u
#define NETVSC_OWED         64u          /* receive completions held per queue */
/* Largest frame one transmit takes: an LSO frame of 64 KiB plus headers
 * (netVSP accepts 64 KiB + 256). */
#define NETVSC_MAX_TX_FRAME (65536u + 128u)

struct netvsc_ops {
	/* Block until the host may have written to a channel, or until
	 * timeout_ms. Returns < 0 when the host is gone. */
	int (*wait)(void *ctx, int timeout_ms);
	/* Signal the host on queue 'queue''s channel (HvSignalEvent). */
	int (*signal)(void *ctx, uint16_t queue);
	/* Open subchannel 'index' once the host has offered it, with rings
	 * like the primary's, and attach them into 'ch'. Waits up to
	 * timeout_ms for the offer. NULL: the NIC stays single-queue. */
	int (*open_subchannel)(void *ctx, uint16_t index, struct vmbus_client_channel *ch,
			       int timeout_ms);
	/* The host completed the netvsc_tx_direct() frame 'cookie' of queue
	 * 'queue' (on that queue's poller): its memory is the caller's
	 * again. NULL: no zero-copy transmit. */
	void (*tx_done)(void *ctx, uint16_t queue, uint32_t cookie);
};

/* Per queue, written by its poller only. */
struct netvsc_stats {
	uint64_t tx_packets, tx_bytes;     /* frames queued to the host */
	uint64_t tx_completions;           /* SEND_RNDIS_PKT completed by the host */
	uint64_t tx_busy;                  /* no section or ring room: try later */
	uint64_t tx_direct;                /* frames sent GPA-direct */
	uint64_t tx_zero_copy;             /* of them, from the caller's memory */
	uint64_t tx_refused;               /* completed with a failure status */
	uint64_t rx_packets, rx_bytes;     /* frames handed to the caller */
	uint64_t rx_batches;               /* transfer-page packets */
	uint64_t rx_bad;                   /* malformed ranges, RNDIS packets */
	uint64_t rx_ctrl_drops;            /* frames met while waiting for a reply */
	uint64_t indications;
	uint64_t bad_msgs;                 /* unexpected or malformed host messages */
	uint64_t ring_faults;              /* the host corrupted this queue's ring */
};

/* A received frame. 'data' points into the receive buffer and is valid
 * until netvsc_rx_release() or the next netvsc_rx_burst() on its queue
 * (in hold mode: until netvsc_rx_release_done() completes its packet).
 * info.present says which PPIs came with it (RNDIS_PKT_HAS_VLAN, _CSUM,
 * _HASH), their values in wire form (decode with the helpers below).
 * 'pkt' numbers the transfer-page packet that carried it, per queue. */
struct netvsc_frame {
	const uint8_t *data;
	uint32_t len;
	uint32_t pkt;
	struct rndis_pkt_info info;
};

struct netvsc;

struct netvsc_queue {
	/* Set by the caller before netvsc_init(): the channel of this queue
	 * (queue 0's already open and attached; the others are attached by
	 * ops->open_subchannel). */
	struct vmbus_client_channel *ch;

	/* Private. */
	struct netvsc *nic;
	uint16_t idx;
	bool open;
	bool dirty;                        /* ring writes not yet committed */
	bool batch_stuck;                  /* a full batch waits for ring room */
	bool faulted;                      /* a ring is broken: counted once */
	/* Send sections [sec_first, sec_first + sec_count), busy bits. */
	uint32_t sec_first, sec_count;
	/* Where the search for one free section starts: the host completes
	 * sections about in the order they went out, so the one after the
	 * last taken is most often free (a scan from sec_first walked every
	 * section in flight, 5% of a 64-byte sender). */
	uint32_t sec_next;
	uint64_t sec_busy[NETVSC_MAX_SECTIONS / 64];
	/* The copy-mode batch being filled: section, bytes, messages. */
	int32_t batch_section;
	uint32_t batch_len, batch_count;
	/* The frame between netvsc_tx_reserve() and netvsc_tx_commit(). */
	uint32_t pend_need, pend_len, pend_nsec;
	int32_t pend_first;                /* -1: none; else first section */
	bool pend_direct;
	/* The transfer-page packet being taken apart (its ranges copied
	 * once, so the host cannot change them under us). */
	bool cur_active;
	uint64_t cur_tid;
	uint32_t cur_n, cur_i;
	struct vmbus_xfer_range cur_ranges[NVSP_RSC_MAX];
	/* Transfer-page packets to complete: [0, nrel) are released by the
	 * caller (their frames are no longer used), the rest are not, in the
	 * order they arrived; owed_pkt[] numbers them (netvsc_frame.pkt). */
	uint64_t owed[NETVSC_OWED];
	uint32_t owed_pkt[NETVSC_OWED];
	uint32_t nowed, nrel;
	uint32_t rx_pkt;                   /* number of the last packet loaded */
	/* Set by the caller before the first burst: frames stay in the
	 * receive buffer past the next burst (netvsc_rx_release_done). */
	bool hold_rx;
	struct netvsc_stats st;
} hvn_aligned(HVN_CACHE_LINE);

struct netvsc {
	/* Set by the caller before netvsc_init(). */
	const struct netvsc_ops *ops;
	void *ctx;
	struct netvsc_queue *queues;       /* max_queues of them */
	uint16_t max_queues;               /* queues wanted, 1..64; 0 = 1 */
	uint32_t max_version;              /* 0: NVSP 6.1 */
	uint32_t mtu;                      /* IP MTU asked for; 0 = 1500 */
	uint8_t *rbuf;                     /* receive buffer, the guest's memory */
	uint32_t rbuf_size, rbuf_gpadl;
	uint8_t *sbuf;                     /* send buffer, contiguous in GPA space */
	uint32_t sbuf_size, sbuf_gpadl;
	uint64_t sbuf_gpa;                 /* guest-physical address of sbuf[0] */
	const uint8_t *rss_key;            /* 40 bytes; NULL: Linux's key */

	/* Learned during netvsc_init(). */
	uint16_t nqueues;                  /* channels open */
	uint32_t nvsp_version;
	uint32_t sub_alloc_size, num_sub_allocs;
	uint32_t section_size, nsections;
	uint32_t max_pkt, pkt_align;
	uint8_t mac[6];
	bool link_up;                      /* written by queue 0's poller */
	uint32_t link_speed;               /* units of 100 bit/s */
	uint32_t rss_queues;               /* host's num_recv_que */
	uint32_t rss_table_size;           /* host's num_indirect_tabent, or 128 */
	uint32_t offloads;                 /* NETVSC_OFFLOAD_* enabled */
	uint32_t lso_max;                  /* largest LSO frame the host takes */
	uint32_t send_table[NVSP_SEND_TABLE_SIZE];
	bool send_table_valid;
	bool rss_set;                      /* RSS parameters accepted by the host */
	uint32_t vf_serial;                /* from SEND_VF_ASSOCIATION; no VF is used */
	bool vf_allocated;

	/* The one control request awaiting an answer (queue 0). */
	uint32_t req_id;
	uint32_t want_type;                /* NVSP completion or RNDIS reply type */
	uint32_t want_id;                  /* RNDIS request id */
	bool got;
	uint32_t reply_len;
	uint8_t reply[1280];
};

/* Offloads negotiated with OID_TCP_OFFLOAD_PARAMETERS, as Linux's
 * rndis_netdev_set_hwcaps() decides them from the host's capabilities. */
#define NETVSC_OFFLOAD_IP4_CSUM  (1u << 0)
#define NETVSC_OFFLOAD_TCP4_CSUM (1u << 1)
#define NETVSC_OFFLOAD_UDP4_CSUM (1u << 2)
#define NETVSC_OFFLOAD_TCP6_CSUM (1u << 3)
#define NETVSC_OFFLOAD_UDP6_CSUM (1u << 4)
#define NETVSC_OFFLOAD_LSO4      (1u << 5)
#define NETVSC_OFFLOAD_LSO6      (1u << 6)

/* Everything up to a running NIC: NVSP version, buffers, RNDIS init, the
 * queries Linux makes (failing where Linux fails), offloads, then, when
 * more than one queue is wanted and the host does RSS, subchannels (RSS
 * caps, SUBCHANNEL ALLOCATE, every offered subchannel opened) and the RSS
 * parameters; the packet filter last, so no frame arrives before every
 * queue is ready. Returns 0 or -HVN_*. */
int netvsc_init(struct netvsc *n, int timeout_ms);

/* ---- Receive ---- */

/* Up to n frames of queue q (releasing those of the previous call).
 * Control replies and indications met on the way are handled here.
 * Returns the number of frames. */
unsigned int netvsc_rx_burst(struct netvsc_queue *q, struct netvsc_frame *frames,
			     unsigned int n);
/* The frames returned so far are no longer used: complete their
 * transfer-page packets (one ring commit and at most one signal). */
void netvsc_rx_release(struct netvsc_queue *q);
/* Hold mode (q->hold_rx): the caller keeps frames in the receive buffer
 * (zero-copy receive) and says which packets it is done with. Every packet
 * whose frames were all returned is asked about, 'done(ctx, pkt)'; those
 * it is done with are completed (in any order: the host takes them so),
 * one ring commit and at most one signal. Packets not done keep their
 * sub-allocations; at NETVSC_OWED of them the queue reads no more frames,
 * so a caller holds far fewer (netvsc_rx_held). */
void netvsc_rx_release_done(struct netvsc_queue *q, bool (*done)(void *ctx, uint32_t pkt),
			    void *ctx);
/* Packets whose frames were all returned and that are not completed yet. */
static inline uint32_t netvsc_rx_held(const struct netvsc_queue *q)
{
	return q->nowed - q->nrel;
}

/* ---- Transmit ---- */

/* Room for one frame of 'len' bytes with the PPIs in 'ppi' (present,
 * csum, lso, vlan, hash; may be NULL). Returns where to write the frame;
 * it goes out at netvsc_tx_commit(), before any other reserve. NULL with
 * *err = -HVN_EAGAIN (no section or ring room: receive, then retry),
 * -HVN_EMSGSIZE (too large for the MTU or the send buffer slice). */
uint8_t *netvsc_tx_reserve(struct netvsc_queue *q, uint32_t len,
			   const struct rndis_pkt_info *ppi, int *err);
void netvsc_tx_commit(struct netvsc_queue *q);
/* Send the batch being filled and publish what was written (one commit,
 * at most one signal). Returns 0 or -HVN_EAGAIN (retried later). */
int netvsc_tx_flush(struct netvsc_queue *q);
/* Whether everything queued went out and came back completed: no batch
 * being filled, no section out. Sends the open batch and reads
 * completions first. A guest that leaves before this loses what the host
 * has not read yet, and nobody counts it. */
bool netvsc_tx_idle(struct netvsc_queue *q);
/* Zero-copy transmit of a frame that is already in partition memory, as
 * DPDK's netvsc PMD sends frames of its tx_copybreak (512 bytes) and more
 * (hn_rxtx.c hn_xmit_sg): one GPA-direct packet whose first range is the
 * RNDIS header, written here at 'hdr' (guest-physical hdr_gpa,
 * NETVSC_TX_HDR_BYTES that do not cross a page), and whose other ranges
 * are the frame's segments, in order. The frame and 'hdr' stay the
 * caller's to keep unchanged until ops->tx_done() gives 'cookie' back.
 * Frames leave in the order they were queued (an open copy-mode batch
 * goes first). Returns 0, -HVN_EAGAIN (no ring room: receive, retry),
 * -HVN_EMSGSIZE (too large, or more than NETVSC_TX_MAX_PFNS pages: copy
 * it instead) or -HVN_EINVAL (no ops->tx_done, no segment). */
#define NETVSC_TX_HDR_BYTES 128u
#define NETVSC_TX_MAX_PFNS  40u
struct netvsc_tx_seg {
	uint64_t gpa;
	uint32_t len;
};
int netvsc_tx_direct(struct netvsc_queue *q, uint8_t *hdr, uint64_t hdr_gpa,
		     const struct netvsc_tx_seg *seg, uint32_t nseg,
		     const struct rndis_pkt_info *ppi, uint32_t cookie);
/* Read the host's completions (and queue frames for the next rx burst):
 * for a caller whose zero-copy frames hold every slot it has. Returns
 * true when it read anything. */
bool netvsc_tx_reclaim(struct netvsc_queue *q);
/* reserve + copy + commit. */
int netvsc_send(struct netvsc_queue *q, const void *frame, uint32_t len,
		const struct rndis_pkt_info *ppi);

/* The queue Linux would transmit a packet of this hash on: the host's
 * send indirection table, entries checked against the open queues. */
uint16_t netvsc_send_queue(const struct netvsc *n, uint32_t hash);

/* ---- Control (queue 0) ---- */

/* The RNDIS query and set of Linux's rndis_filter.c, synchronous. */
int netvsc_query(struct netvsc *n, uint32_t oid, const void *in, uint32_t inlen,
		 void *out, uint32_t *outlen, int timeout_ms);
int netvsc_set(struct netvsc *n, uint32_t oid, const void *in, uint32_t inlen, int timeout_ms);

/* Close down as Linux does on detach (§3.5): filter 0, HALT, revoke. The
 * channels are the caller's to close afterwards. */
int netvsc_halt(struct netvsc *n, int timeout_ms);

/* rndis_filter.c netvsc_hash_key: the Toeplitz key Linux gives the host,
 * used when netvsc.rss_key is NULL. */
extern const uint8_t netvsc_default_rss_key[NDIS_RSS_KEY_SIZE];

/* Sum of every queue's counters. */
void netvsc_stats_sum(const struct netvsc *n, struct netvsc_stats *out);

/* ---- PPI values (wire form, rndis_wire.h bit layouts) ---- */

/* 802.1Q TCI (pcp:3 dei:1 vid:12) <-> ndis_pkt_8021q_info. */
static inline uint32_t netvsc_ppi_vlan(uint16_t tci)
{
	return ((uint32_t)(tci & 0xfffu) << NDIS_VLAN_ID_SHIFT) | ((tci >> 13) & NDIS_VLAN_PRI_MASK) |
	       ((tci & 0x1000u) ? NDIS_VLAN_CFI : 0u);
}

static inline uint16_t netvsc_vlan_tci(uint32_t ppi)
{
	return (uint16_t)(((ppi >> NDIS_VLAN_ID_SHIFT) & NDIS_VLAN_ID_MASK) |
			  ((ppi & NDIS_VLAN_PRI_MASK) << 13) | ((ppi & NDIS_VLAN_CFI) ? 0x1000u : 0u));
}

/* Transmit checksum request: NDIS_TXCSUM_* flags and the offset of the
 * transport header in the frame. */
static inline uint32_t netvsc_ppi_csum(uint32_t flags, uint32_t l4_offset)
{
	return (flags & 0xffffu) | ((l4_offset & 0x3ffu) << NDIS_TXCSUM_TCP_OFF_SHIFT);
}

/* LSOv2 request (Linux netvsc_xmit: type 2, ip version, TCP header
 * offset, MSS). */
static inline uint32_t netvsc_ppi_lso(uint32_t mss, uint32_t tcp_offset, bool ipv6)
{
	return (mss & NDIS_LSO_MSS_MASK) |
	       ((tcp_offset & NDIS_LSO_TCP_OFF_MASK) << NDIS_LSO_TCP_OFF_SHIFT) | NDIS_LSO_V2 |
	       (ipv6 ? NDIS_LSO_IPV6 : 0u);
}

#endif /* NETVSC_H */
