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
struct rte_ring;
struct vsw_acl_rules;
struct vsw_ext_chain;
struct vsw_dp;

/* The datapath keeps at most this many ports per switch (indices 0..63):
 * sets of ports are 64-bit masks. */
#define VSW_DP_MAX_PORTS 64
/* Frames received from a port per call, and held per egress port before
 * they are handed to it: what the daemon sizes mbuf pools with. */
#define VSW_DP_BURST 32
#define VSW_DP_TXQ 64

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
	VSW_DROP_MALFORMED,      /* an IP, TCP, UDP or ICMP header it claims is cut or impossible */
	VSW_DROP_ACL,            /* denied by the port's ACLs (outbound on ingress, inbound on egress) */
	VSW_DROP_EXTENSION,      /* dropped by a filtering extension */
	VSW_DROP_REASONS
};

struct vsw_port_stats {
	uint64_t rx_packets, rx_bytes;
	uint64_t tx_packets, tx_bytes;
	uint64_t flooded;            /* frames sent out because of a flood */
	uint64_t learned;            /* MACs learned on the port */
	uint64_t mirrored;           /* copies sent to this port as a mirror's output */
	uint64_t shaped_rounds;      /* polls skipped: the port was over its max-bps */
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
	uint32_t max_frame;          /* bytes without FCS or tag; 0 = 1514 (a tag adds 4) */
	struct rte_mempool *mp;      /* for copies of flooded frames */
	struct rte_rcu_qsbr *qs;     /* the polling lcore reports on it */
};

int vsw_dp_create(const struct vsw_dp_config *cfg, struct vsw_dp **out);
/* No port may remain; the lcore must have stopped polling. */
void vsw_dp_destroy(struct vsw_dp *dp);
/* MAC aging time in seconds (0: the default), while the lcore polls. */
void vsw_dp_set_aging(struct vsw_dp *dp, uint32_t aging_s);

/* Add a port with its configuration: VLAN mode, the MAC spoofing, DHCP
 * and router guards, the storm limit, the MAC limit, the maximum
 * bandwidth (a token bucket that shapes what the switch takes from the
 * port: over its rate the port is not polled, so a vNIC's guest feels
 * backpressure instead of loss) and the minimum bandwidth weight (busy
 * ports share the lcore in proportion: a port's receive burst is scaled
 * by its weight over the largest; ports without a weight count as 1 once
 * any port has one). Returns the port's index (>= 0) or -errno. Control
 * thread. */
int vsw_dp_port_add(struct vsw_dp *dp, struct hvn_port *port, const struct vsw_port_cfg *cfg);
/* Change a port's configuration; its learned MACs are flushed when its
 * VLAN setting changes. Control thread. */
int vsw_dp_port_set(struct vsw_dp *dp, int idx, const struct vsw_port_cfg *cfg);
/* Remove a port: after this returns the lcore no longer touches it and its
 * MACs are forgotten. Control thread. */
int vsw_dp_port_del(struct vsw_dp *dp, int idx);

/* Publish the port's compiled ACLs (NULL: none); the datapath owns them
 * from here and frees the ones they replace once the lcore is past them.
 * Stateful rules get a session table for the port, created here. Control
 * thread. */
int vsw_dp_port_acl(struct vsw_dp *dp, int idx, struct vsw_acl_rules *rules);
/* The rules in force (for hit counters and to carry them over). */
const struct vsw_acl_rules *vsw_dp_port_acl_rules(const struct vsw_dp *dp, int idx);

/* Port mirroring, by port index: frames the switch receives from a port
 * in 'src' or in a VLAN in 'vlans' (or every frame, 'all') are copied to
 * 'output' as they arrive; frames it sends to a port in 'dst' as they
 * leave; a frame is copied once per mirror. The output port takes no part
 * in forwarding (no floods, nothing learned, not polled). Copies carry
 * their VLAN as an 802.1Q tag when it is not 0. */
struct vsw_dp_mirror {
	int output;
	bool all;
	bool has_vlans;
	uint64_t src, dst;           /* bit i: port index i */
	uint64_t vlans[64];
};
/* Replaces the switch's mirrors (n == 0: none). Control thread. */
int vsw_dp_set_mirrors(struct vsw_dp *dp, const struct vsw_dp_mirror *m, unsigned int n);

/* Publish the switch's extension chain (NULL: none); the datapath frees
 * the chain it replaces (not the extensions in it) once the lcore is
 * past it. Control thread. */
void vsw_dp_set_extensions(struct vsw_dp *dp, struct vsw_ext_chain *chain);

/* A capture on a port: the lcore copies frames (the first 'snaplen'
 * bytes) from 'mp' into 'ring' for a writer thread; when the ring or the
 * pool is out of room the frame is counted in 'dropped', never waited
 * for. Each copy's private area holds a struct vsw_dp_capture_rec.
 * 'remaining' counts down to 0 (then nothing more is copied) unless it
 * starts at UINT64_MAX. The lcore writes captured/dropped/remaining. */
struct vsw_dp_capture {
	struct rte_ring *ring;
	struct rte_mempool *mp;
	uint32_t snaplen;
	unsigned int dir;            /* VSW_DIR_*: INBOUND = frames the port is sent */
	uint64_t remaining;
	uint64_t captured;
	uint64_t dropped;
};
struct vsw_dp_capture_rec {
	uint64_t tsc;
	uint32_t orig_len;
	uint8_t dir;                 /* VSW_DIR_INBOUND or VSW_DIR_OUTBOUND */
};
/* Start (cap) or stop (NULL) a port's capture. After a stop returns the
 * lcore no longer touches the old one. Control thread. */
int vsw_dp_port_capture(struct vsw_dp *dp, int idx, struct vsw_dp_capture *cap);

/* One round over every port's queues: receive a burst, classify, learn,
 * forward. Returns frames received. The polling lcore only. */
unsigned int vsw_dp_poll(struct vsw_dp *dp);
/* The same with the TSC the caller read for the round (a worker reads it
 * once for its busy/idle accounting; reading it costs here). */
unsigned int vsw_dp_poll_at(struct vsw_dp *dp, uint64_t tsc);

/* Counters, read without stopping the lcore. */
int vsw_dp_port_stats(const struct vsw_dp *dp, int idx, struct vsw_port_stats *out);
void vsw_dp_stats(const struct vsw_dp *dp, struct vsw_dp_stats *out);
const char *vsw_drop_name(enum vsw_drop d);

#endif /* VSW_DP_H */
