/* Internal to netvsp/: the vNIC and per-channel state shared by its files. */
#ifndef NETVSP_PRIV_H
#define NETVSP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "netvsp/netvsp.h"
#include "proto/nvsp_wire.h"
#include "proto/rndis_pkt.h"
#include "proto/rndis_wire.h"
#include "vmbus/vmbus_mem.h"

#define NVSP_BURST        32u    /* VMBus packets read per poll */
#define NVSP_STASH        128u   /* frames held between rx_burst calls */
#define NVSP_STASH_ROOM   64u    /* read another packet only with this much room */
#define NVSP_MAX_SEGS     72u    /* stream segments: a section and 71 pages */
#define NVSP_SECTION_SIZE 6144u  /* send buffer sections (OpenVMM, Linux default) */
/* RNDIS messages a guest may batch in one send section (INIT_C
 * max_pkt_per_msg; OpenVMM says 8). 32 small frames still fit a 6144-byte
 * section, and each VMBus packet and completion then carries 4 times the
 * frames at 64 bytes. A section always fits the stash's reading room. */
#define NVSP_MAX_PKT_PER_MSG 32u
_Static_assert(NVSP_MAX_PKT_PER_MSG <= NVSP_STASH_ROOM, "a section fits the stash");
#define NVSP_RX_BATCH     64u    /* frames per transfer-page packet */
/* Receive-buffer space is handed out in cells of this many bytes, so
 * small frames share a sub-allocation (see netvsp_guest_rx.c). */
#define NVSP_RX_CELL      64u
#define NVSP_RX_BATCH_CELLS 0x7fffu   /* a batch's cells fit a record beside its done bit */
/* Windows' netvsc cannot use the last 36 bytes of a sub-allocation
 * (OpenVMM BROKEN_CO_NETVSC_FOOTER_LEN); a frame packed behind another
 * leaves them free, as a sub-allocation sized 256 + MTU + 36 does. */
#define NVSP_RX_FOOTER    36u
#define NVSP_MAX_BUF_BYTES (128u << 20)
/* The largest guest-to-host VMBus packet netvsp takes (descriptor to
 * payload, without the trailer): a GPA-direct SEND_RNDIS_PKT whose 71
 * pages (a stream's segments but the section) each come in a range of
 * their own, Linux's form (one hv_page_buffer per page; Linux 6.1 sends
 * at most 32), followed by the 40-byte NVSP message. Every other packet
 * a guest sends is smaller. It sizes the channel's bounce buffer for
 * wrapped packets, and a larger packet is dropped wherever it lies in the
 * ring (see nvsp_handle_packet). */
#define NVSP_MAX_GUEST_PKT \
	HVN_ALIGN_UP((uint32_t)(sizeof(struct vmbus_gpa_direct_hdr) + \
				(NVSP_MAX_SEGS - 1u) * (sizeof(struct vmbus_gpa_range) + 8u) + \
				sizeof(struct nvsp_msg)), 8u)
#define NVSP_RECORD_DONE  0x8000u

struct netvsp_nic;

/* A byte stream made of segments in partition memory: the send-buffer
 * section and the GPA ranges of one SEND_RNDIS_PKT (how OpenVMM's
 * parse_packet concatenates them). */
struct nvsp_stream {
	uint32_t nseg;
	uint32_t len;
	struct {
		const uint8_t *p;
		uint32_t len;
	} seg[NVSP_MAX_SEGS];
};

/* One channel (queue). The first block is touched by its poller only. */
struct nvsp_chan {
	struct netvsp_nic *nic;
	struct vmbus_channel *ch;
	struct vmbus_ring *in;        /* guest to host */
	struct vmbus_ring *out;       /* host to guest */
	uint16_t idx;                 /* sub_channel_index */
	bool broken;                  /* stopped: waits for the control thread */
	bool armed;
	bool want_signal;             /* a commit asked to signal the guest */
	uint32_t out_budget;          /* host-to-guest bytes free this poll */
	uint64_t oversize_seen;       /* the ring's oversize drops, counted */

	/* Frames from the guest not yet taken by rx_burst. */
	uint16_t st_head, st_count;
	struct rte_mbuf *stash[NVSP_STASH];

	/* Receive buffer slice: sub-allocations [ra_first, ra_first +
	 * ra_count), used in FIFO order cell by cell (NVSP_RX_CELL), so
	 * small frames share a sub-allocation; none crosses one. 'alloc'
	 * and 'freed' count cells handed out and returned; 'rec' holds, per
	 * transfer-page packet in flight (by sequence number mod ra_count,
	 * so at most ra_count in flight), how many cells it took and
	 * whether the guest completed it. */
	uint32_t ra_first, ra_count;
	uint32_t sa_cells, ra_cells;  /* cells per sub-allocation, in the slice */
	uint32_t pos, in_sa;          /* alloc's cell in the slice, in its sub-allocation */
	uint64_t alloc, freed;
	uint64_t rec_head, rec_tail;
	uint16_t *rec;                /* host memory: 2 bytes per sub-allocation */

	struct netvsp_stats st;       /* this queue's share */
};

enum nvsp_state {
	NVSP_ST_NONE,        /* channel open, no INIT yet */
	NVSP_ST_INIT,        /* version agreed */
	NVSP_ST_READY,       /* RNDIS initialized */
	NVSP_ST_HALTED,
};

struct netvsp_host;

struct netvsp_nic {
	struct netvsp_host *host;
	struct vmbus_server *srv;
	struct netvsp_nic_config cfg;
	char name[32];
	struct hvn_port port;
	struct vmbus_channel *primary;
	unsigned int live_channels;   /* offered and not yet released */
	bool going;                   /* gone() was called */

	/* Published to pollers with release stores; NULL when closed. */
	struct nvsp_chan *q[NVSP_MAX_CHANNELS];
	struct nvsp_chan *chans[NVSP_MAX_CHANNELS];  /* control thread's view */
	uint16_t nb_queues;           /* highest open index + 1 */

	/* Negotiated on the primary; read by every queue's poller. */
	enum nvsp_state state;
	uint32_t nvsp_version;
	uint32_t ndis_version;
	uint32_t guest_mtu;
	uint64_t guest_caps;
	uint32_t sub_alloc_size;
	uint32_t packet_filter;
	bool link_up;
	bool link_change;             /* an indication is due (primary poller) */
	bool vf_pending;
	bool vf_allocated;
	uint32_t vf_serial;
	uint32_t datapath;
	uint32_t subchannels;         /* granted */
	bool send_table_due;

	/* Receive buffer (host writes frames and RNDIS replies into it). */
	struct vmbus_mem_view rbuf;
	bool rbuf_mapped, rbuf_revoked;
	uint16_t rbuf_id;
	uint32_t rbuf_gpadl;
	uint32_t rbuf_suballocs;
	/* Send buffer (guest writes frames into sections). */
	struct vmbus_mem_view sbuf;
	bool sbuf_mapped, sbuf_revoked;
	uint32_t sbuf_gpadl;
	uint32_t sbuf_sections;

	/* Offloads the guest enabled (OID_TCP_OFFLOAD_PARAMETERS). */
	struct ndis_offload_params offload;

	/* Receive-side scaling set by the guest. */
	bool rss_on;
	uint32_t rss_hashinfo;
	uint32_t rss_table_size;
	uint8_t rss_key[NDIS_RSS_KEY_SIZE];
	uint8_t rss_key_be[NDIS_RSS_KEY_SIZE];   /* rte_softrss_be form */
	uint16_t rss_table[NDIS_RSS_TABLE_MAX];

	uint8_t mac[6];
	uint8_t mcast_count;
	/* Frames for a queue that is not open; any poller adds (atomic). */
	uint64_t drop_noqueue;
};

/* netvsp_nic.c */
void nvsp_post_ctrl(struct netvsp_nic *nic, unsigned int kind, uint32_t arg);
enum { NVSP_CTRL_OFFER_SUBCHANNELS = 1, NVSP_CTRL_FAULT = 2 };

/* Room kept in the host-to-guest ring for the replies to one packet. */
#define NVSP_REPLY_RESERVE 512u

/* netvsp_nvsp.c: one packet from the guest on 'c'. Returns frames added
 * to the stash, or -EAGAIN when the reply ring is full (the packet stays
 * unread). */
int nvsp_handle_packet(struct nvsp_chan *c, const struct vmbus_pkt *p);
/* Prefetch the send-buffer section a guest packet names (if it is a
 * well-formed SEND_RNDIS_PKT), before nvsp_handle_packet copies it. */
void nvsp_prefetch_packet(const struct nvsp_chan *c, const struct vmbus_pkt *p);
/* Write a completion or inband message to the guest (not committed). */
int nvsp_send(struct nvsp_chan *c, uint16_t type, uint64_t trans_id,
	      const void *msg, uint32_t len);
/* Host-to-guest messages that are due (link, VF, send table). */
void nvsp_send_pending(struct nvsp_chan *c);

/* netvsp_rndis.c: a control message from the guest; the reply goes into
 * the receive buffer. Returns 0 or -errno. */
int nvsp_rndis_control(struct nvsp_chan *c, const uint8_t *msg, uint32_t len);
int nvsp_rndis_indicate(struct nvsp_chan *c, uint32_t status);

/* netvsp_guest_tx.c: frames the guest sent, from a stream. */
int nvsp_guest_tx(struct nvsp_chan *c, const struct nvsp_stream *s);
bool nvsp_stream_add(struct nvsp_stream *s, const uint8_t *p, uint32_t len);

/* netvsp_guest_rx.c: deliver into the guest's receive buffer. */
uint16_t nvsp_guest_rx(struct nvsp_chan *c, struct rte_mbuf **pkts, uint16_t n);
/* One RNDIS control reply of 'len' bytes built by 'fill'. */
int nvsp_guest_rx_ctrl(struct nvsp_chan *c, const void *msg, uint32_t len);
void nvsp_rx_complete(struct nvsp_chan *c, uint64_t trans_id);
/* Give the channel its share of the receive buffer (when there is one). */
int nvsp_rx_slice(struct nvsp_chan *c);

/* netvsp_rss.c */
void nvsp_rss_steer(void *port, struct rte_mbuf **pkts, uint16_t n, uint16_t *queues);
int nvsp_rss_set(struct netvsp_nic *nic, const uint8_t *buf, uint32_t len);

#endif /* NETVSP_PRIV_H */
