/* A port of the virtual switch, seen from the code that moves packets: an
 * ethdev-like pair of burst calls per queue. vNICs (netvsp), uplinks and
 * the host port all implement it, so the forwarding engine (the vswitch,
 * or a plain port pair before it) drives every kind the same way.
 *
 * Rules, as for DPDK ethdev queues: a queue is polled by one thread at a
 * time, and rx_burst and tx_burst of one queue are called from the same
 * thread (a vNIC writes transmit completions and received frames into the
 * same ring). Neither call blocks or allocates outside mempools. */
#ifndef HVN_PORT_H
#define HVN_PORT_H

#include <stdint.h>

struct rte_mbuf;

struct hvn_port_ops {
	/* Frames the port delivers into the switch (what its guest or wire
	 * sent). Returns how many were stored in pkts[]. */
	uint16_t (*rx_burst)(void *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
	/* Frames the switch hands the port. Returns how many it took; it
	 * owns (and frees) those, the caller keeps the rest. */
	uint16_t (*tx_burst)(void *port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n);
	/* Queues usable now (a vNIC's open channels). */
	uint16_t (*nb_queues)(void *port);
	/* For frames bound for this port: the queue each should go to (a
	 * vNIC applies its guest's receive-side scaling). Optional; else 0. */
	void (*steer)(void *port, struct rte_mbuf **pkts, uint16_t n, uint16_t *queues);
};

struct hvn_port {
	const struct hvn_port_ops *ops;
	void *priv;
	char name[32];
};

#endif /* HVN_PORT_H */
