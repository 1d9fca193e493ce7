/* A scripted Linux-like guest for netVSP, in process: one partition
 * (memfd memory), its VMBus server with an in-memory message queue as the
 * transport, a vmbus_client that posts straight into the server, a
 * netvsp_host polled on this thread (qs = NULL) and one or two vNICs.
 *
 * The guest's side of every exchange is written from the reference
 * (§3.2-3.5: what Linux 6.1 hv_netvsc sends and checks), not from netvsp's
 * code, so tests built on it fail when netvsp drifts from what Linux does.
 * Everything is synchronous: ng_poll() runs the host's rx_burst on a queue
 * (that is what processes the guest-to-host ring), drains the guest's
 * host-to-guest ring into an inbox and delivers channel messages. */
#ifndef NETVSP_GUEST_H
#define NETVSP_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "netvsp/netvsp.h"
#include "proto/nvsp_wire.h"
#include "proto/rndis_wire.h"
#include "vmbus/vmbus_client.h"
#include "vmbus/vmbus_server.h"

#define NG_MEM_SIZE     (80u << 20)
#define NG_NIC_REGION   (36u << 20)   /* guest memory per vNIC */
#define NG_RING_BYTES   (512u * 1024u)
#define NG_MAX_CHAN     8u
#define NG_RBUF_SIZE    (16u << 20)
#define NG_SBUF_SIZE    (1u << 20)
#define NG_INBOX        256u
#define NG_MAX_RANGES   128u
#define NG_FRAMES       4096u
#define NG_MSGQ         1024u

/* One packet the host wrote into a guest rx ring. */
struct ng_rx {
	uint16_t type;
	uint16_t flags;
	uint64_t tid;
	uint32_t plen;              /* payload bytes (after offset8) */
	uint8_t payload[128];       /* first bytes of the payload */
	uint16_t xfer_id;           /* type 7 only */
	uint32_t nranges;
	struct vmbus_xfer_range ranges[NG_MAX_RANGES];
	uint64_t seq;               /* order of arrival in the harness */
};

struct ng_chan {
	bool open;
	uint32_t relid;
	uint32_t gpadl;
	struct vmbus_client_channel cc;
	uint8_t *scratch;
	struct ng_rx *inbox;
	unsigned int ninbox;
	uint64_t read_faults;
};

struct ng;

/* Replies recorded by ng_linux_init for tests to check byte by byte. */
struct ng_query {
	uint32_t oid;
	uint32_t status;            /* RNDIS status; ~0 when no reply */
	uint32_t len;
	uint8_t buf[256];
};

struct ng_init_log {
	uint32_t tried[8], tried_status[8], ntried;
	uint32_t init_comp_len;
	struct nvsp_msg init_comp;
	uint32_t recv_comp_len, send_comp_len;
	struct nvsp_msg recv_comp, send_comp;
	uint8_t init_c[64];
	uint32_t init_c_len;
	struct ng_query q[12];
	unsigned int nq;
	uint32_t offload_status, filter_status;
	struct nvsp_msg sub_comp;
	uint32_t sub_comp_len;
	unsigned int offers_at_sub_comp;   /* subchannel offers when it came */
	uint8_t send_table[128];
	uint32_t send_table_len;
	uint32_t rss_status;
};

struct ng_init_opts {
	const uint32_t *versions;   /* NULL: Linux 6.1's list */
	unsigned int nversions;
	bool scattered_rbuf;        /* receive buffer pages out of order */
	uint32_t subchannels;       /* asked for (NVSP >= 5) */
	bool rss;                   /* set RSS parameters after subchannels */
	uint32_t filter;            /* 0: directed | multicast | broadcast */
};

struct ng_nic {
	struct ng *g;
	unsigned int index;
	struct netvsp_nic *nic;
	struct hvn_port *port;
	uint16_t instance;
	uint8_t mac[6];
	uint64_t region;            /* GPA of this vNIC's guest memory */
	struct ng_chan ch[NG_MAX_CHAN];
	uint32_t nvsp_ver;
	uint32_t rbuf_gpadl, sbuf_gpadl;
	uint64_t rbuf_pfn[NG_RBUF_SIZE / 4096u];   /* page i of the buffer */
	uint32_t sub_alloc_size, num_sub_allocs;
	uint32_t section_size, next_section;
	uint32_t granted;
	uint64_t next_tid;
	uint32_t req_id;
	uint64_t dma_next;          /* next free page in the DMA area */
	struct rte_mbuf **frames[NG_MAX_CHAN];      /* host rx_burst output */
	unsigned int nframes[NG_MAX_CHAN];
	uint64_t frames_lost;
	struct ng_init_log log;
};

struct ng {
	int memfd;
	struct vmbus_mem mem;
	struct vmbus_server *srv;
	struct vmbus_client cl;
	uint8_t (*msgq)[VMBUS_MSG_MAX_SIZE];
	uint32_t msgq_len[NG_MSGQ];
	unsigned int msgq_head, msgq_n;
	uint64_t msgs_lost;
	uint64_t host_signals;
	uint64_t seq;
	struct netvsp_host *host;
	struct rte_mempool *mp;
	struct ng_nic *nics[2];
	unsigned int nnics;
};

/* EAL once per process: no hugepages, no PCI, no shared config files
 * (--in-memory refuses --no-huge in 22.11, so --no-shconf instead). */
int ng_eal_init(void);

/* Memory, server, connected client, netvsp host. NULL on failure. */
struct ng *ng_create(void);
void ng_destroy(struct ng *g);

/* Offer a vNIC (max_queues 0 = 8, mtu 0 = 1500). */
struct ng_nic *ng_nic_add(struct ng *g, uint16_t max_queues, uint32_t mtu);

/* Deliver queued channel messages and run the host's control work. */
void ng_pump(struct ng *g);
/* Host rx_burst on queue q, guest drains ring q, ng_pump. */
void ng_poll(struct ng_nic *n, uint16_t q);

/* The client's offer of sub-channel 'idx' of this vNIC (live ones). */
struct vmbus_client_offer *ng_offer(struct ng_nic *n, uint16_t idx);
unsigned int ng_count_offers(struct ng_nic *n);
int ng_open_chan(struct ng_nic *n, uint16_t idx);
/* CLOSECHANNEL, then (teardown) the ring GPADL (4.0+ order). */
int ng_close_chan(struct ng_nic *n, uint16_t idx, bool teardown);
int ng_gpadl_teardown(struct ng_nic *n, uint32_t gpadl);

/* Guest memory. */
static inline uint8_t *ng_gpa(struct ng *g, uint64_t gpa) { return g->mem.base + gpa; }
uint64_t ng_rbuf_gpa(const struct ng_nic *n);
uint64_t ng_sbuf_gpa(const struct ng_nic *n);
/* A fresh page of the vNIC's DMA area (wraps). */
uint64_t ng_dma_page(struct ng_nic *n);
/* Copy [off, off + len) of the receive buffer out (pages in GPADL order). */
void ng_rbuf_read(const struct ng_nic *n, uint32_t off, uint32_t len, uint8_t *out);

/* Raw packet into ring q, committed and signalled. 0 or -errno. */
int ng_put(struct ng_nic *n, uint16_t q, const struct vmbus_pkt_out *o);
/* An inband NVSP message; returns the trans_id used (Linux: requests that
 * expect a reply get 1.., others VMBUS_RQST_ID_NO_RESPONSE). */
uint64_t ng_send_nvsp(struct ng_nic *n, uint16_t q, const void *msg, uint32_t len, bool comp);
#define NG_TID_NO_RESPONSE (UINT64_MAX - 2)

/* Wait (polling up to a bound) for a completion with 'tid', an xfer-page
 * packet, or an inband packet on q; removes it from the inbox. 0 or -1. */
int ng_wait_comp(struct ng_nic *n, uint16_t q, uint64_t tid, struct ng_rx *out);
int ng_wait_xfer(struct ng_nic *n, uint16_t q, struct ng_rx *out);
int ng_wait_inband(struct ng_nic *n, uint16_t q, struct ng_rx *out);
/* Like Linux netvsc_send_recv_completion: COMP, 8-byte RNDIS_PKT_COMPLETE. */
int ng_complete_xfer(struct ng_nic *n, uint16_t q, uint64_t tid);
/* Inbox entries of a type (7, 0xb, 6) currently held. */
unsigned int ng_inbox_count(struct ng_nic *n, uint16_t q, uint16_t type);

/* NVSP request with completion; the reply NVSP message and its length. */
int ng_nvsp_call(struct ng_nic *n, uint16_t q, const struct nvsp_msg *m, uint32_t len,
		 struct nvsp_msg *reply, uint32_t *rlen);

/* RNDIS control message in a send section (copy mode, channel type 1, as
 * Linux rndis_filter_send_request does once the send buffer exists). The
 * reply (read from the receive buffer) into 'reply'; the transfer packet
 * is completed. 0, or -1 when no completion or reply arrived. */
int ng_rndis_ctrl(struct ng_nic *n, const void *msg, uint32_t len, uint8_t *reply,
		  uint32_t *rlen);
int ng_rndis_query(struct ng_nic *n, uint32_t oid, const void *in, uint32_t inlen,
		   struct ng_query *q);
int ng_rndis_set(struct ng_nic *n, uint32_t oid, const void *in, uint32_t inlen,
		 uint32_t *status);

/* Steps of §3.2. ng_nvsp_init: INIT{ver, ver}; returns the status. */
uint32_t ng_nvsp_init(struct ng_nic *n, uint32_t ver);
/* The whole Linux 6.1 initialisation; records replies in n->log and
 * returns 0, or -line where a check Linux treats as fatal failed. */
int ng_linux_init(struct ng_nic *n, const struct ng_init_opts *o);
/* §3.5: filter 0, HALT, revoke both buffers, close every channel, tear
 * the GPADLs down. */
int ng_linux_teardown(struct ng_nic *n);

/* RNDIS packet message: header, PPIs ({type, value} pairs), frame.
 * Non-last messages of a batch are padded to 8 (padding counted in
 * msg_len, as Linux does). Returns the message length. */
struct ng_ppi {
	uint32_t type;
	uint32_t value;
};
uint32_t ng_build_pkt(uint8_t *buf, const void *frame, uint32_t flen,
		      const struct ng_ppi *ppi, unsigned int nppi, bool pad);
/* Bytes before the frame in such a message. */
uint32_t ng_pkt_hdr_len(unsigned int nppi);

/* Guest TX: copy mode (messages back to back in one section), GPA direct
 * (the message spread over ranges of 'chunk' bytes, each on scattered
 * pages at odd offsets), cp_partial (msgs[0..n-1] whole plus the header
 * of the last in the section, its frame by GPA). Completion requested;
 * returns the trans_id, 0 on failure. */
uint64_t ng_tx_section(struct ng_nic *n, uint16_t q, const uint8_t *const *msgs,
		       const uint32_t *lens, unsigned int count, uint32_t channel_type);
uint64_t ng_tx_gpa(struct ng_nic *n, uint16_t q, const uint8_t *msg, uint32_t len,
		   uint32_t chunk);
uint64_t ng_tx_partial(struct ng_nic *n, uint16_t q, const uint8_t *const *msgs,
		       const uint32_t *lens, unsigned int count, uint32_t last_hdr_len);
/* A GPA-direct packet from explicit ranges: raw[] holds, per range,
 * byte_count, byte_offset and its PFNs, as on the wire; range_cnt is sent
 * as given. */
int ng_put_gpa_raw(struct ng_nic *n, uint16_t q, uint32_t range_cnt, const void *ranges,
		   uint32_t ranges_len, const struct nvsp_msg *m, uint64_t tid, bool comp);

/* Frames the host took from the guest on q (rx_burst), oldest first. */
unsigned int ng_take_frames(struct ng_nic *n, uint16_t q, struct rte_mbuf **out,
			    unsigned int max);
void ng_free_frames(struct ng_nic *n);

/* An mbuf holding 'len' bytes. */
struct rte_mbuf *ng_mbuf(struct ng *g, const void *data, uint32_t len);
/* Hand frames to the vNIC's queue (the switch's side): tx_burst. */
uint16_t ng_host_tx(struct ng_nic *n, uint16_t q, struct rte_mbuf **m, uint16_t count);

struct netvsp_stats ng_stats(struct ng_nic *n);

#endif /* NETVSP_GUEST_H */
