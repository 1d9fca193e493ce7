/* netVSP: the host side of the synthetic NIC. Each vNIC is offered on a
 * partition's VMBus as the network device class and serves NVSP 1 to 6.1
 * and RNDIS as Linux hv_netvsc and the DPDK netvsc PMD drive them
 * (reference hyperv-vmbus-netvsc.md §3). Its frames enter and leave
 * through an hvn_port whose queues are its VMBus channels, so the engine
 * that polls ports (the vswitch, or a port pair) drives it.
 *
 * Threads. The control thread (the one that runs the partition's VMBus
 * server) offers vNICs, opens and closes channels, and runs
 * netvsp_host_process() when netvsp_host_fd() is readable. Engine lcores
 * poll the port's queues: everything that arrives on a channel's ring,
 * control messages included, is handled there, without locks. Work only
 * the control thread may do (offering subchannels, stopping a corrupted
 * channel) is posted to it. Lcores that poll queues report quiescent
 * states on the host's RCU variable, so closing a channel waits for the
 * poller to let go of it instead of taking a lock on every burst. */
#ifndef NETVSP_H
#define NETVSP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hvn_port.h"
#include "vmbus/vmbus_server.h"

struct rte_mempool;
struct rte_rcu_qsbr;
struct netvsp_host;
struct netvsp_nic;

/* 'qs' (may be NULL when queues are only polled by the control thread):
 * the QSBR variable the engine's lcores report on. */
int netvsp_host_create(struct rte_rcu_qsbr *qs, struct netvsp_host **out);
/* Readable when control work waits; then call netvsp_host_process(). */
int netvsp_host_fd(const struct netvsp_host *h);
int netvsp_host_process(struct netvsp_host *h);
/* Every vNIC must be gone (its partition's server destroyed) first. */
void netvsp_host_destroy(struct netvsp_host *h);

struct netvsp_nic_config {
	const char *name;           /* friendly name; also in logs */
	uint8_t mac[6];
	uint16_t instance;          /* distinguishes vNICs of one partition */
	uint16_t max_queues;        /* channels the guest may open, 1..64; 0 = 8 */
	uint32_t mtu;               /* IP MTU, 68..9000; 0 = 1500 */
	uint64_t link_speed_bps;    /* 0 = 10 Gbit/s */
	uint32_t vf_serial;         /* for the SR-IOV hook; 0: no VF */
	struct rte_mempool *mp;     /* mbufs for frames from the guest */
	/* The guest signalled a channel, a channel opened, or the link or
	 * VF changed: wake the poller if it sleeps. Called on the control
	 * thread, on a KVM partition's vCPU thread (under the VMBus lock),
	 * or by whoever sets the link: it must not block. Optional; without
	 * it the poller must not sleep. */
	void (*wake)(void *ctx, struct netvsp_nic *nic, uint16_t queue);
	/* The vNIC is going away (its partition left): stop polling its
	 * port before returning. Called on the control thread. */
	void (*gone)(void *ctx, struct netvsp_nic *nic);
	void *ctx;
};

/* Offer a vNIC on the partition's bus. It lives until its partition's
 * server releases its channels. */
int netvsp_nic_offer(struct netvsp_host *h, struct vmbus_server *s,
		     const struct netvsp_nic_config *cfg, struct netvsp_nic **out);

struct hvn_port *netvsp_nic_port(struct netvsp_nic *nic);
/* The vNIC behind a port, or NULL when the port is not a vNIC's. */
struct netvsp_nic *netvsp_port_nic(const struct hvn_port *port);
const char *netvsp_nic_name(const struct netvsp_nic *nic);

/* Media connect or disconnect, indicated to the guest. */
void netvsp_nic_set_link(struct netvsp_nic *nic, bool up);

/* The SR-IOV hook: tell the guest a VF with this serial is (allocated) or
 * is no longer there; it is sent only when the guest negotiated NVSP 4+
 * and announced SR-IOV. */
void netvsp_nic_vf_association(struct netvsp_nic *nic, bool allocated, uint32_t serial);

/* Put a queue's guest-to-host ring into event mode (the guest signals
 * when it writes into an empty ring, and 'wake' runs) before the poller
 * sleeps. Returns the bytes already waiting (and frames read but not yet
 * taken): if not 0, do not sleep. Both are called by the queue's poller;
 * disarm returns the queue to pure poll mode (no guest signals). */
uint32_t netvsp_queue_arm(struct netvsp_nic *nic, uint16_t queue);
void netvsp_queue_disarm(struct netvsp_nic *nic, uint16_t queue);

struct netvsp_stats {
	uint64_t tx_packets;        /* frames from the guest */
	uint64_t tx_bytes;
	uint64_t rx_packets;        /* frames delivered to the guest */
	uint64_t rx_bytes;
	uint64_t rx_batches;        /* transfer-page packets carrying them */
	uint64_t tx_completions;
	uint64_t rx_drop_filter;    /* guest packet filter said no (or 0) */
	uint64_t rx_drop_nobuf;     /* receive buffer or ring full */
	uint64_t rx_drop_size;      /* frame larger than a sub-allocation */
	uint64_t tx_drop_nombuf;    /* mempool empty */
	uint64_t tx_drop_bad;       /* malformed RNDIS packet */
	uint64_t bad_msgs;          /* malformed or out-of-order NVSP/RNDIS */
	uint64_t bad_completions;   /* completion for nothing in flight */
	uint64_t ring_faults;
	uint32_t nvsp_version;
	uint32_t queues_open;
	uint32_t packet_filter;
	bool rndis_ready;
};

/* The largest packet (descriptor included) a guest may write to a vNIC's
 * channel: larger ones are dropped unanswered and counted in bad_msgs,
 * wherever they lie in the ring (they do not fit its bounce buffer). No
 * Linux guest comes near it. */
uint32_t netvsp_max_guest_packet(void);

/* Sums over the queues; counters are read without stopping the pollers. */
void netvsp_nic_stats(const struct netvsp_nic *nic, struct netvsp_stats *out);

#endif /* NETVSP_H */
