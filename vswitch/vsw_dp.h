/* The switch datapath: ports (anything behind struct hvn_port: netVSP
 * vNICs, DPDK ethdevs, the host's tap), 802.1Q classification, MAC
 * learning with aging and per-port limits, flooding within a VLAN, and
 * counters per port and per drop reason.
 *
 * Threads. One lcore polls a switch (vsw_dp_poll); it alone learns, ages
 * and forwards, so the hot path takes no lock. The control thread changes
 * ports and their configuration through vsw_dp_port_*(), which publish a
 * new port table and wait for the lcore's next quiescent state (RCU) before
 * freeing the old one: reconfiguring one port never stops the others. */
#ifndef VSW_DP_H
#define VSW_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "common/hvn_port.h"
#include "vswitch/vsw_config.h"

struct rte_mempool;
struct rte_rcu_qsbr;
struct vsw_dp;

/* Why a frame was dropped; counted per ingress port (egress reasons per
 * egress port). */
enum vsw_drop {
	VSW_DROP_RUNT,           /* shorter than an Ethernet header (+ tag) */
	VSW_DROP_GIANT,          /* longer than the switch's MTU allows */
	VSW_DROP_BAD_VLAN,       /* tag on an untagged/access port, VLAN not allowed, VID 4095 */
	VSW_DROP_BAD_SRC,        /* multicast or zero source MAC */
	VSW_DROP_MAC_LIMIT,      /* the port's learned-MAC limit is reached */
	VSW_DROP_SAME_PORT,      /* destination learned on the ingress port */
	VSW_DROP_NO_PORT,        /* flood with nowhere to go */
	VSW_DROP_TX_FULL,        /* the egress port did not take it */
	VSW_DROP_NOMBUF,         /* no mbuf to copy a flooded frame */
	VSW_DROP_MAC_SPOOF,      /* source MAC is not the port's (spoofing guard) */
	VSW_DROP_DHCP_GUARD,     /* a DHCP server message from a guarded port */
	VSW_DROP_ROUTER_GUARD,   /* a router advertisement or redirect from a guarded port */
	VSW_DROP_STORM,          /* over the port's broadcast/multicast/unknown-unicast limit */
	VSW_DROP_REASONS
};

struct vsw_port_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t flooded;            /* frames sent out because of a flood */
	uint64_t learned;            /* MACs learned on the port */
	uint64_t drops[VSW_DROP_REASONS];
};

struct vsw_dp_stats {
	uint32_t fdb_entries;
	uint32_t fdb_size;
	uint64_t fdb_aged;
	uint64_t fdb_moves;          /* a MAC seen on another port */
	uint64_t fdb_full;           /* learn refused: table full */
};

struct vsw_dp_config {
	const char *name;
	uint32_t fdb_size;           /* MACs it can learn; 0 = 65536 */
	uint32_t aging_s;            /* 0 = 300 */
	uint32_t max_frame;          /* bytes without FCS; 0 = 1518 + 4 (one tag) */
	struct rte_mempool *mp;      /* for copies of flooded frames */
	struct rte_rcu_qsbr *qs;     /* the polling lcore reports on it */
};

int vsw_dp_create(const struct vsw_dp_config *cfg, struct vsw_dp **out);
/* No port may remain; the lcore must have stopped polling. */
void vsw_dp_destroy(struct vsw_dp *dp);

/* Add a port with its configuration: VLAN mode, the MAC spoofing, DHCP
 * and router guards, the storm limit and the MAC limit are enforced;
 * bandwidth (qos) is carried for later. Returns the port's index (>= 0) or
 * -errno. Control thread. */
int vsw_dp_port_add(struct vsw_dp *dp, struct hvn_port *port, const struct vsw_port_cfg *cfg);
/* Change a port's configuration; its learned MACs are flushed when its
 * VLAN setting changes. Control thread. */
int vsw_dp_port_set(struct vsw_dp *dp, int idx, const struct vsw_port_cfg *cfg);
/* Remove a port: after this returns the lcore no longer touches it and its
 * MACs are forgotten. Control thread. */
int vsw_dp_port_del(struct vsw_dp *dp, int idx);

/* One round over every port's queues: receive a burst, classify, learn,
 * forward. Returns frames received. The polling lcore only. */
unsigned int vsw_dp_poll(struct vsw_dp *dp);

/* Counters, read without stopping the lcore. */
int vsw_dp_port_stats(const struct vsw_dp *dp, int idx, struct vsw_port_stats *out);
void vsw_dp_stats(const struct vsw_dp *dp, struct vsw_dp_stats *out);
const char *vsw_drop_name(enum vsw_drop d);

#endif /* VSW_DP_H */
