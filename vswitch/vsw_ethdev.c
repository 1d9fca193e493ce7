/* A DPDK ethdev as a switch port; see vsw_ethdev.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "vswitch/vsw_ethdev.h"


struct vsw_ethdev {
	struct hvn_port hp;
	uint16_t port_id;
	bool probed;               /* we probed it: detach on close */
	char devargs[256];
};

static uint16_t eth_rx(void *priv, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct vsw_ethdev *e = priv;

	return rte_eth_rx_burst(e->port_id, q, pkts, n);
}

static uint16_t eth_tx(void *priv, uint16_t q, struct rte_mbuf **pkts, uint16_t n)
{
	struct vsw_ethdev *e = priv;

	return rte_eth_tx_burst(e->port_id, q, pkts, n);
}

static uint16_t eth_nb_queues(void *priv)
{
	(void)priv;
	return 1;
}

static const struct hvn_port_ops eth_ops = {
	.rx_burst = eth_rx,
	.tx_burst = eth_tx,
	.nb_queues = eth_nb_queues,
};

int vsw_ethdev_attach(uint16_t port_id, struct rte_mempool *mp, struct vsw_ethdev **out,
		      char *err, unsigned int errlen)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	struct vsw_ethdev *e;
	int rc;

	if (!rte_eth_dev_is_valid_port(port_id)) {
		snprintf(err, errlen, "no DPDK port %u", port_id);
		return -ENODEV;
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->port_id = port_id;
	e->hp.ops = &eth_ops;
	e->hp.priv = e;
	rte_eth_dev_get_name_by_port(port_id, e->hp.name);
	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port_id, &info);
	if (!rc)
		rc = rte_eth_dev_configure(port_id, 1, 1, &conf);
	if (!rc)
		rc = rte_eth_rx_queue_setup(port_id, 0, VSW_ETH_RX_DESC,
					    (unsigned int)rte_eth_dev_socket_id(port_id), NULL, mp);
	if (!rc)
		rc = rte_eth_tx_queue_setup(port_id, 0, VSW_ETH_TX_DESC,
					    (unsigned int)rte_eth_dev_socket_id(port_id), NULL);
	if (!rc)
		rc = rte_eth_dev_start(port_id);
	if (rc) {
		snprintf(err, errlen, "cannot start DPDK port %s (%s): %s", e->hp.name,
			 info.driver_name ? info.driver_name : "?", strerror(-rc));
		free(e);
		return rc;
	}
	/* A switch port sees every frame. */
	rte_eth_promiscuous_enable(port_id);
	*out = e;
	return 0;
}

int vsw_ethdev_open(const char *devargs, struct rte_mempool *mp, struct vsw_ethdev **out,
		    char *err, unsigned int errlen)
{
	struct rte_dev_iterator it;
	uint16_t port_id = RTE_MAX_ETHPORTS, p;
	int rc;

	rc = rte_dev_probe(devargs);
	if (rc) {
		snprintf(err, errlen, "DPDK cannot probe '%s': %s (check the driver name and its "
			 "arguments, e.g. net_af_packet0,iface=eth1)", devargs, strerror(-rc));
		return rc;
	}
	RTE_ETH_FOREACH_MATCHING_DEV(p, devargs, &it) {
		port_id = p;
		rte_eth_iterator_cleanup(&it);
		break;
	}
	if (port_id == RTE_MAX_ETHPORTS) {
		snprintf(err, errlen, "'%s' was probed but gave no ethdev", devargs);
		return -ENODEV;
	}
	rc = vsw_ethdev_attach(port_id, mp, out, err, errlen);
	if (rc) {
		struct rte_eth_dev_info info;

		if (rte_eth_dev_info_get(port_id, &info) == 0)
			rte_dev_remove(info.device);
		return rc;
	}
	(*out)->probed = true;
	snprintf((*out)->devargs, sizeof((*out)->devargs), "%s", devargs);
	return 0;
}

struct hvn_port *vsw_ethdev_port(struct vsw_ethdev *e)
{
	return &e->hp;
}

uint16_t vsw_ethdev_port_id(const struct vsw_ethdev *e)
{
	return e->port_id;
}

void vsw_ethdev_close(struct vsw_ethdev *e)
{
	struct rte_eth_dev_info info;

	if (!e)
		return;
	rte_eth_dev_stop(e->port_id);
	if (e->probed && rte_eth_dev_info_get(e->port_id, &info) == 0) {
		rte_eth_dev_close(e->port_id);
		rte_dev_remove(info.device);
	}
	free(e);
}
