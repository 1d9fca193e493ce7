/* netVSC for DPDK applications in a process partition: an rte_mbuf burst
 * API over the netVSC core, multi-queue. Debian's DPDK ships no driver
 * SDK headers, so this is a library with ethdev-like calls rather than a
 * PMD; it is also an hvn_port, so code that forwards between ports drives
 * it like a netVSP vNIC.
 *
 * Rules, as for ethdev queues: each queue is used by one lcore at a time,
 * and rx_burst and tx_burst of a queue come from the same lcore (its
 * ring carries both the received frames and the transmit completions).
 * No lock is taken and nothing is allocated per packet except mbufs from
 * the configured pool. Queue i is VMBus channel i; a frame is sent on
 * the queue the caller names (netvsc_port_steer() applies Linux's choice
 * from the host's send indirection table instead).
 *
 * Offloads. Transmit honours RTE_MBUF_F_TX_VLAN (vlan_tci goes in the
 * 802.1Q PPI), RTE_MBUF_F_TX_IP_CKSUM, RTE_MBUF_F_TX_TCP_CKSUM and
 * _UDP_CKSUM (with RTE_MBUF_F_TX_IPV4 or _IPV6, l2_len and l3_len), and
 * RTE_MBUF_F_TX_TCP_SEG (tso_segsz, l2_len, l3_len, l4_len; LSOv2). Receive
 * sets vlan_tci with RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED, the
 * RTE_MBUF_F_RX_IP_CKSUM_* and _L4_CKSUM_* flags from the checksum PPI,
 * and hash.rss with RTE_MBUF_F_RX_RSS_HASH. */
#ifndef NETVSC_PORT_H
#define NETVSC_PORT_H

#include <stdint.h>

#include "common/hvn_port.h"
#include "netvsc/netvsc.h"

struct rte_mbuf;
struct rte_mempool;
struct rte_eth_link;
struct rte_eth_stats;
struct netvsc_port;

struct netvsc_port_conf {
	const char *socket_path;     /* the VMBus host's socket */
	const char *name;            /* partition name */
	uint16_t nb_queues;          /* wanted; the host may grant fewer; 0 = 1 */
	uint32_t mtu;                /* 0 = 1500; the host's MTU caps it */
	struct rte_mempool *mp;      /* receive mbufs */
	uint16_t port_id;            /* stamped into received mbufs */
	/* 0 = rings and receive buffer as DPDK's netvsc PMD has them from
	 * uio_hv_generic, send buffer as Linux hv_netvsc's (netvsc_port.c). */
	uint32_t ring_bytes;         /* per direction and channel; 0 = 2 MiB */
	uint32_t rbuf_bytes;         /* receive buffer; 0 = 31 MiB */
	uint32_t sbuf_bytes;         /* send buffer; 0 = 1 MiB */
	int timeout_ms;              /* bring-up; 0 = 10 s */
	/* Frames of 256 bytes or more are not copied out of the receive
	 * buffer: the mbuf points into it (RTE_MBUF_F_EXTERNAL, no IOVA, no
	 * headroom) and its sub-allocation returns to the host when the mbuf
	 * is freed, on any thread, as DPDK's netvsc PMD does. Every received
	 * mbuf must then be freed before netvsc_port_close(). An application
	 * that holds many falls back to copies rather than stall the queue. */
	bool rx_zero_copy;
	/* Mbufs for zero-copy transmit, made in partition memory
	 * (netvsc_port_tx_pool); 0: none. A frame of 512 bytes or more whose
	 * segments all lie in partition memory is not copied: the host reads
	 * it where it is (GPA-direct, as DPDK's netvsc PMD sends frames of its
	 * tx_copybreak and more) and the port frees the mbuf once the host
	 * completed it, on the queue's lcore. Until then the caller must not
	 * change it. Every mbuf of the pool must be back in it before
	 * netvsc_port_close(). */
	uint32_t tx_pool_size;
};

/* Join the VMBus host as a process partition, bring the synthetic NIC up
 * with the queues it grants. Returns 0 or a negative errno. */
int netvsc_port_open(const struct netvsc_port_conf *conf, struct netvsc_port **out);
/* Bring the NIC down as Linux does and leave the host. */
void netvsc_port_close(struct netvsc_port *port);

uint16_t netvsc_port_rx_burst(struct netvsc_port *port, uint16_t queue,
			      struct rte_mbuf **pkts, uint16_t n);
/* Returns how many of pkts[] the port took: copied into the send buffer
 * and freed, sent from partition memory (freed when the host completes
 * them: conf.tx_pool_size), or dropped, freed and counted in oerrors when
 * malformed or too large. The rest stay with the caller (no room:
 * receive, retry). */
uint16_t netvsc_port_tx_burst(struct netvsc_port *port, uint16_t queue,
			      struct rte_mbuf **pkts, uint16_t n);

uint16_t netvsc_port_nb_queues(const struct netvsc_port *port);
/* The zero-copy transmit pool (conf.tx_pool_size; mbufs of
 * RTE_MBUF_DEFAULT_BUF_SIZE), or NULL. The port owns and frees it. */
struct rte_mempool *netvsc_port_tx_pool(const struct netvsc_port *port);

/* What bring-up negotiated. */
struct netvsc_port_info {
	uint8_t mac[6];
	uint16_t nb_queues;           /* channels open */
	uint32_t mtu;
	uint32_t nvsp_version;
	uint32_t offloads;            /* NETVSC_OFFLOAD_* the host agreed to */
	uint32_t lso_max;             /* largest LSO frame, 0 without LSO */
	bool rss;                     /* the host took the RSS parameters */
	uint32_t rss_table_size;      /* entries of the indirection table */
	const uint8_t *rss_key;       /* the Toeplitz key given to the host */
	uint32_t sub_alloc_size, num_sub_allocs;
	uint32_t section_size, nsections;
};
void netvsc_port_info(const struct netvsc_port *port, struct netvsc_port_info *info);
/* The core's counters summed over the queues (host errors seen, batches,
 * GPA-direct sends...). */
void netvsc_port_core_stats(const struct netvsc_port *port, struct netvsc_stats *out);
int netvsc_port_link(const struct netvsc_port *port, struct rte_eth_link *link);
/* Per queue (q_*, the first RTE_ETHDEV_QUEUE_STAT_CNTRS queues) and in
 * total; read while the queues run. */
int netvsc_port_stats(const struct netvsc_port *port, struct rte_eth_stats *stats);

/* Sleep until the host signals any queue of the port, or timeout_ms: for
 * an application that polls all its queues from one thread and would
 * otherwise spin. Returns < 0 when the host is gone. */
int netvsc_port_wait(struct netvsc_port *port, int timeout_ms);

/* Whether every frame given to tx_burst has left and been completed by
 * the host (netvsc_tx_idle on every queue, no zero-copy mbuf out). Call
 * it until true before closing, or frames still in the send path are
 * lost uncounted. */
bool netvsc_port_tx_idle(struct netvsc_port *port);

/* The queue Linux would pick for each frame (the host's send table by
 * hash.rss when the mbuf has one, else queue 0). */
void netvsc_port_steer(const struct netvsc_port *port, struct rte_mbuf **pkts, uint16_t n,
		       uint16_t *queues);

/* The port as a switch port (common/hvn_port.h). */
struct hvn_port *netvsc_port_hvn(struct netvsc_port *port);

/* ---- Offload mapping (netvsc_port_offload.c), exposed for tests ---- */

/* The PPIs for an mbuf's transmit offload requests. Returns 0, or
 * -EINVAL for a request that cannot be expressed (a checksum or TSO
 * without header lengths, SCTP, an outer/tunnel request, an MSS of 0). */
int netvsc_port_tx_ppi(const struct rte_mbuf *m, struct rndis_pkt_info *info);
/* The mbuf fields and ol_flags for the PPIs of a received frame. */
void netvsc_port_rx_offload(struct rte_mbuf *m, const struct rndis_pkt_info *info);

#endif /* NETVSC_PORT_H */
