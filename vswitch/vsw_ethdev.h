/* A DPDK ethdev as a switch port (struct hvn_port): an uplink given by
 * devargs (a NIC, af_packet, af_xdp, tap, memif, pcap, ring), or a port
 * someone else created (rte_eth_from_rings in tests). */
#ifndef VSW_ETHDEV_H
#define VSW_ETHDEV_H

#include <stdint.h>

/* Descriptors of an ethdev port's one receive and one transmit queue:
 * what its mbuf pool is sized from. */
#define VSW_ETH_RX_DESC 1024
#define VSW_ETH_TX_DESC 1024

#include "common/hvn_port.h"

struct rte_mempool;
struct vsw_ethdev;

/* Probe 'devargs' (e.g. "net_af_packet0,iface=veth0"), configure one rx
 * and one tx queue with 'mp' and start it. 'err' gets a sentence. */
int vsw_ethdev_open(const char *devargs, struct rte_mempool *mp, struct vsw_ethdev **out,
		    char *err, unsigned int errlen);
/* The same for an ethdev that already exists. */
int vsw_ethdev_attach(uint16_t port_id, struct rte_mempool *mp, struct vsw_ethdev **out,
		      char *err, unsigned int errlen);
struct hvn_port *vsw_ethdev_port(struct vsw_ethdev *e);
uint16_t vsw_ethdev_port_id(const struct vsw_ethdev *e);
/* Stop and close (and detach what vsw_ethdev_open probed). */
void vsw_ethdev_close(struct vsw_ethdev *e);

#endif /* VSW_ETHDEV_H */
