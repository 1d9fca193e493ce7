/* vswitchd's objects and their lifetimes; see vsw_daemon.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "common/hvn_compiler.h"
#include "netvsp/netvsp.h"
#include "vmbus/vmbus_sock.h"
#include "vswitch/vsw_daemon.h"
#include "vswitch/vsw_daemon_int.h"
#include "vswitch/vsw_ethdev.h"

static int worker_main(void *arg)
{
	struct vsw_worker *w = arg;
	struct vsw_daemon *d = w->d;
	unsigned int id = rte_lcore_id();
	uint64_t t0 = rte_rdtsc();

	rte_rcu_qsbr_thread_register(d->qs, id);
	rte_rcu_qsbr_thread_online(d->qs, id);
	while (!hvn_load_acquire(&d->stop)) {
		unsigned int n = 0;
		uint64_t t1;

		for (unsigned int i = 0; i < VSW_MAX_SWITCHES; i++) {
			struct vsw_dp *dp = hvn_load_acquire(&d->dps[i]);

			/* The lcore is read after the pointer: a move unpublishes
			 * the switch and waits for a quiescent round before it
			 * changes the lcore and publishes it again. */
			if (dp && hvn_load_relaxed(&d->dp_lcore[i]) == id)
				n += vsw_dp_poll_at(dp, t0);
		}
		rte_rcu_qsbr_quiescent(d->qs, id);
		/* Busy and idle time, as OVS's pmd-stats-show gives them: what
		 * an operator balances lcores by. */
		t1 = rte_rdtsc();
		if (n) {
			hvn_store_relaxed(&w->busy_tsc, w->busy_tsc + (t1 - t0));
			hvn_store_relaxed(&w->frames, w->frames + n);
		} else {
			hvn_store_relaxed(&w->idle_tsc, w->idle_tsc + (t1 - t0));
		}
		t0 = t1;
	}
	rte_rcu_qsbr_thread_offline(d->qs, id);
	rte_rcu_qsbr_thread_unregister(d->qs, id);
	return 0;
}

int vsw_daemon_find_switch(const struct vsw_daemon *d, const char *name)
{
	for (int i = 0; i < VSW_MAX_SWITCHES; i++)
		if (d->sw[i].used && !strcmp(d->sw[i].cfg.name, name))
			return i;
	return -1;
}

int vsw_daemon_find_port(const struct vsw_daemon *d, const char *name)
{
	for (int i = 0; i < VSW_MAX_PORTS; i++)
		if (d->ports[i].used && !strcmp(d->ports[i].cfg.name, name))
			return i;
	return -1;
}

/* The configuration the datapath gets: a vNIC's MAC is netVSP's when
 * the operator gave none (the spoofing guard compares against it). */
static struct vsw_port_cfg dp_cfg(const struct vsw_port_cfg *cfg, const uint8_t vnic_mac[6])
{
	static const uint8_t zero[6];
	struct vsw_port_cfg c = *cfg;

	if (c.kind == VSW_PORT_VNIC && !memcmp(c.sec.mac, zero, 6))
		memcpy(c.sec.mac, vnic_mac, 6);
	return c;
}

/* ---- mbuf pools: one per port, sized from what the port is ---- */

/* What a port's frames can occupy at once: its receive queue (a ring's
 * descriptors, or a vNIC's bursts on each channel), a batch at each
 * egress port, one egress port's transmit ring (a frame goes to one port;
 * flood copies come from the switch's pool), and the worker's mempool
 * cache (up to 1.5 times its size). */
#define POOL_CACHE 256u

static unsigned int port_pool_size(const struct vsw_port_cfg *c)
{
	/* A vNIC: netVSP's default 8 channels, a burst read on each. */
	unsigned int rx = c->kind == VSW_PORT_VNIC ? 8 * VSW_DP_BURST : VSW_ETH_RX_DESC;
	unsigned int n = rx + VSW_ETH_TX_DESC + 2 * VSW_DP_TXQ + 2 * VSW_DP_BURST +
			 POOL_CACHE * 3 / 2, size = 1;

	/* A power of two minus one is what rte_mempool sizes best. */
	while (size - 1 < n)
		size <<= 1;
	return size - 1;
}

static int port_pool(struct vsw_daemon *d, struct vsw_dport *p, char *why, size_t len)
{
	char name[RTE_MEMPOOL_NAMESIZE];
	unsigned int n = port_pool_size(&p->cfg);

	snprintf(name, sizeof(name), "vswp%u", ++d->pool_seq);
	p->mp = rte_pktmbuf_pool_create(name, n, POOL_CACHE, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (!p->mp) {
		snprintf(why, len, "port %s: out of DPDK memory for its %u mbufs (%u KiB): give "
			 "vswitchd more hugepages or EAL -m", p->cfg.name, n,
			 (unsigned int)((uint64_t)n * (RTE_MBUF_DEFAULT_BUF_SIZE + 128) / 1024));
		return -ENOMEM;
	}
	return 0;
}

static void pool_retire(struct vsw_daemon *d, struct rte_mempool *mp, struct netvsp_nic *nic)
{
	if (!mp)
		return;
	for (int i = 0; i < VSW_MAX_PORTS; i++)
		if (!d->retired[i].mp) {
			d->retired[i] = (struct vsw_retired_pool){ mp, nic };
			return;
		}
	/* More retired pools than ports: keep it rather than risk freeing
	 * mbufs in flight (cannot happen: one per port slot). */
}

static void pools_reap(struct vsw_daemon *d, bool all)
{
	for (int i = 0; i < VSW_MAX_PORTS; i++) {
		struct vsw_retired_pool *r = &d->retired[i];

		if (!r->mp)
			continue;
		if (all || (!r->nic && rte_mempool_full(r->mp))) {
			rte_mempool_free(r->mp);
			r->mp = NULL;
		}
	}
}

/* ---- vNICs: partitions come and go on their own ---- */

_Static_assert(sizeof(struct vsw_port_stats) % sizeof(uint64_t) == 0,
	       "port counters are summed as an array of uint64_t");

/* A detaching port's counters carry over, so `vswitchctl stats` shows
 * what a partition did after it left. */
static void keep_stats(struct vsw_daemon *d, struct vsw_dport *p)
{
	struct vsw_port_stats st;
	uint64_t *dst = (uint64_t *)&p->past;
	const uint64_t *src = (const uint64_t *)&st;

	if (p->dp_idx < 0 || vsw_dp_port_stats(d->sw[p->sw].dp, p->dp_idx, &st))
		return;
	for (size_t k = 0; k < sizeof(st) / sizeof(uint64_t); k++)
		dst[k] += src[k];
}

static void nic_gone(void *ctx, struct netvsp_nic *nic)
{
	struct vsw_daemon *d = ctx;

	/* A vNIC whose port was deleted while its partition stayed. */
	for (int i = 0; i < VSW_MAX_PORTS; i++)
		if (d->retired[i].nic == nic)
			d->retired[i].nic = NULL;
	for (int i = 0; i < VSW_MAX_PORTS; i++) {
		struct vsw_dport *p = &d->ports[i];

		if (!p->used || p->nic != nic)
			continue;
		keep_stats(d, p);
		vsw_capture_port_gone(d, p);
		if (p->dp_idx >= 0)
			vsw_dp_port_del(d->sw[p->sw].dp, p->dp_idx);
		p->dp_idx = -1;
		p->nic = NULL;
		vsw_policy_detached(d, p->sw);
		fprintf(stderr, "vswitchd: port %s: partition %s left; the port waits for it\n",
			p->cfg.name, p->cfg.devargs);
	}
}

static int part_added(void *ctx, struct vmbus_sock_part *part, struct vmbus_server *s)
{
	struct vsw_daemon *d = ctx;
	const char *name = vmbus_sock_part_name(part);
	struct netvsp_nic_config nc;
	struct vsw_dport *p;
	int i, rc;

	for (i = 0; i < VSW_MAX_PORTS; i++)
		if (d->ports[i].used && d->ports[i].cfg.kind == VSW_PORT_VNIC &&
		    !strcmp(d->ports[i].cfg.devargs, name) && !d->ports[i].nic)
			break;
	if (i == VSW_MAX_PORTS) {
		fprintf(stderr, "vswitchd: partition %s connected but no vNIC port names it "
			"(vswitchctl port add SWITCH PORT --vnic %s); turned away\n", name, name);
		return -ENOENT;
	}
	p = &d->ports[i];
	memset(&nc, 0, sizeof(nc));
	nc.name = p->cfg.name;
	memcpy(nc.mac, p->mac, 6);
	nc.mp = p->mp;
	nc.gone = nic_gone;
	nc.ctx = d;
	rc = netvsp_nic_offer(d->nh, s, &nc, &p->nic);
	if (rc) {
		fprintf(stderr, "vswitchd: port %s: cannot offer a vNIC to %s: %s\n", p->cfg.name,
			name, strerror(-rc));
		return rc;
	}
	{
		struct vsw_port_cfg c = dp_cfg(&p->cfg, p->mac);

		rc = vsw_dp_port_add(d->sw[p->sw].dp, netvsp_nic_port(p->nic), &c);
	}
	if (rc < 0) {
		fprintf(stderr, "vswitchd: port %s: switch %s is full\n", p->cfg.name,
			p->cfg.sw);
		return rc;   /* the vNIC leaves with the partition's server */
	}
	p->dp_idx = rc;
	vsw_policy_attached(d, p);
	fprintf(stderr, "vswitchd: port %s: partition %s connected, vNIC "
		"%02x:%02x:%02x:%02x:%02x:%02x on switch %s\n", p->cfg.name, name, p->mac[0],
		p->mac[1], p->mac[2], p->mac[3], p->mac[4], p->mac[5], p->cfg.sw);
	return 0;
}

static void part_removed(void *ctx, struct vmbus_sock_part *part)
{
	(void)ctx;
	(void)part;   /* nic_gone did the work as the server went */
}

static const struct vmbus_sock_server_ops vmbus_ops = {
	.partition_added = part_added,
	.partition_removed = part_removed,
};

/* ---- lifetime ---- */

int vsw_daemon_create(const struct vsw_daemon_config *cfg, struct vsw_daemon **out,
		      char *why, size_t len)
{
	struct vsw_daemon *d = calloc(1, sizeof(*d));
	unsigned int lc;
	int rc;

	if (!d)
		return -ENOMEM;
	/* Flood and mirror copies: at most a batch waits at each port. */
	d->mp = rte_pktmbuf_pool_create("vsw_copies",
					cfg->mbufs ? cfg->mbufs : VSW_DP_TXQ * VSW_DP_MAX_PORTS - 1, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	d->qs = rte_zmalloc("vsw_qs", rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE),
			    RTE_CACHE_LINE_SIZE);
	if (!d->mp || !d->qs || rte_rcu_qsbr_init(d->qs, RTE_MAX_LCORE)) {
		snprintf(why, len, "out of DPDK memory for mbufs: give EAL more with -m");
		rc = -ENOMEM;
		goto fail;
	}
	rc = netvsp_host_create(d->qs, &d->nh);
	if (rc) {
		snprintf(why, len, "cannot start netVSP: %s", strerror(-rc));
		goto fail;
	}
	rc = vmbus_sock_server_create(cfg->vmbus_socket, VSW_MAX_PORTS, &vmbus_ops, d, &d->vmbus);
	if (rc) {
		snprintf(why, len, "cannot listen for partitions on %s: %s", cfg->vmbus_socket,
			 strerror(-rc));
		goto fail;
	}
	RTE_LCORE_FOREACH_WORKER(lc) {
		struct vsw_worker *w = &d->workers[d->n_workers];

		if (d->n_workers == VSW_MAX_WORKERS)
			break;
		w->d = d;
		w->lcore = lc;
		rc = rte_eal_remote_launch(worker_main, w, lc);
		if (rc) {
			snprintf(why, len, "cannot start a worker on lcore %u: %s", lc,
				 strerror(-rc));
			goto fail;
		}
		w->running = true;
		d->n_workers++;
	}
	if (d->n_workers == 0) {
		snprintf(why, len, "the datapath needs a worker lcore besides the main one: "
			 "give EAL two lcores or more (-l 0,1)");
		rc = -EINVAL;
		goto fail;
	}
	*out = d;
	return 0;
fail:
	vsw_daemon_destroy(d);
	return rc;
}

void vsw_daemon_destroy(struct vsw_daemon *d)
{
	char why[160];

	if (!d)
		return;
	/* Partitions first: their vNICs leave the switches as they go. */
	if (d->vmbus)
		vmbus_sock_server_destroy(d->vmbus);
	for (int i = 0; i < VSW_MAX_PORTS; i++)
		if (d->ports[i].used)
			vsw_daemon_port_del(d, d->ports[i].cfg.name, why, sizeof(why));
	for (int i = 0; i < VSW_MAX_SWITCHES; i++)
		if (d->sw[i].used)
			vsw_daemon_switch_del(d, d->sw[i].cfg.name, why, sizeof(why));
	hvn_store_release(&d->stop, true);
	for (unsigned int i = 0; i < d->n_workers; i++)
		if (d->workers[i].running)
			rte_eal_wait_lcore(d->workers[i].lcore);
	vsw_capture_fini(d);
	if (d->nh)
		netvsp_host_destroy(d->nh);
	pools_reap(d, true);
	rte_mempool_free(d->mp);
	rte_free(d->qs);
	free(d);
}

/* ---- switches ---- */

bool vsw_daemon_lcore_ok(const struct vsw_daemon *d, int lcore, char *list, size_t len)
{
	bool ok = false;
	size_t at = 0;

	if (len)
		list[0] = '\0';
	for (unsigned int k = 0; k < d->n_workers; k++) {
		ok |= (int)d->workers[k].lcore == lcore;
		if (at < len)
			at += (size_t)snprintf(list + at, len - at, "%s%u", k ? "," : "",
					       d->workers[k].lcore);
	}
	return ok;
}

/* The lcore for a switch: the one asked for, else the worker polling the
 * fewest published switches (ties: the lowest lcore). */
static unsigned int pick_lcore(const struct vsw_daemon *d, int want)
{
	unsigned int best = d->workers[0].lcore, best_n = ~0u;

	if (want != VSW_LCORE_AUTO && vsw_daemon_lcore_ok(d, want, NULL, 0))
		return (unsigned int)want;
	for (unsigned int k = 0; k < d->n_workers; k++) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < VSW_MAX_SWITCHES; i++)
			n += d->dps[i] != NULL && d->dp_lcore[i] == d->workers[k].lcore;
		if (n < best_n) {
			best_n = n;
			best = d->workers[k].lcore;
		}
	}
	return best;
}

int vsw_daemon_port_lcore(const struct vsw_daemon *d, const char *port)
{
	int i = vsw_daemon_find_port(d, port);

	if (i < 0)
		return -ENOENT;
	if (d->ports[i].dp_idx < 0)
		return -ENOTCONN;
	return (int)d->dp_lcore[d->ports[i].sw];
}

unsigned int vsw_daemon_workers(const struct vsw_daemon *d)
{
	return d->n_workers;
}

void vsw_daemon_worker_stats(const struct vsw_daemon *d, unsigned int k,
			     struct vsw_worker_stats *out)
{
	const struct vsw_worker *w = &d->workers[k];

	memset(out, 0, sizeof(*out));
	out->lcore = w->lcore;
	out->busy_tsc = hvn_load_relaxed(&w->busy_tsc);
	out->idle_tsc = hvn_load_relaxed(&w->idle_tsc);
	out->frames = hvn_load_relaxed(&w->frames);
	for (unsigned int i = 0; i < VSW_MAX_SWITCHES; i++)
		if (d->sw[i].used && d->dp_lcore[i] == w->lcore)
			memcpy(out->switches[out->n_switches++], d->sw[i].cfg.name, VSW_NAME_MAX);
}

int vsw_daemon_switch_add(struct vsw_daemon *d, const struct vsw_switch_cfg *c, char *why,
			  size_t len)
{
	struct vsw_dp_config dc = { .name = c->name, .fdb_size = c->fdb_size,
				    .aging_s = c->aging_s, .mp = d->mp, .qs = d->qs };
	int i, rc;

	if (vsw_daemon_find_switch(d, c->name) >= 0) {
		snprintf(why, len, "switch %s already exists", c->name);
		return -EEXIST;
	}
	for (i = 0; i < VSW_MAX_SWITCHES && d->sw[i].used; i++)
		;
	if (i == VSW_MAX_SWITCHES) {
		snprintf(why, len, "vswitchd runs at most %d switches", VSW_MAX_SWITCHES);
		return -ENOSPC;
	}
	rc = vsw_dp_create(&dc, &d->sw[i].dp);
	if (rc) {
		snprintf(why, len, "cannot create switch %s: %s", c->name, strerror(-rc));
		return rc;
	}
	d->sw[i].cfg = *c;
	d->sw[i].nports = 0;
	d->sw[i].used = true;
	hvn_store_relaxed(&d->dp_lcore[i], pick_lcore(d, c->lcore));
	hvn_store_release(&d->dps[i], d->sw[i].dp);
	return 0;
}

int vsw_daemon_switch_aging(struct vsw_daemon *d, const char *name, uint32_t aging_s,
			    char *why, size_t len)
{
	int i = vsw_daemon_find_switch(d, name);

	if (i < 0) {
		snprintf(why, len, "no switch %s", name);
		return -ENOENT;
	}
	d->sw[i].cfg.aging_s = aging_s;
	vsw_dp_set_aging(d->sw[i].dp, aging_s);
	return 0;
}

int vsw_daemon_switch_lcore(struct vsw_daemon *d, const char *name, int lcore, char *why,
			    size_t len)
{
	int i = vsw_daemon_find_switch(d, name);
	char list[128];
	unsigned int to;

	if (i < 0) {
		snprintf(why, len, "no switch %s", name);
		return -ENOENT;
	}
	if (lcore != VSW_LCORE_AUTO && !vsw_daemon_lcore_ok(d, lcore, list, sizeof(list))) {
		snprintf(why, len, "lcore %d runs no worker of this vswitchd (its workers: %s); "
			 "pick one of those, or restart vswitchd with EAL -l/--lcores that "
			 "include %d", lcore, list, lcore);
		return -EINVAL;
	}
	d->sw[i].cfg.lcore = lcore;
	/* Auto counts the others: the switch itself is not load to flee. */
	hvn_store_release(&d->dps[i], NULL);
	to = pick_lcore(d, lcore);
	if (to == d->dp_lcore[i]) {
		hvn_store_release(&d->dps[i], d->sw[i].dp);
		return 0;
	}
	/* Once every worker has passed a quiescent point, none is inside the
	 * switch: the new lcore takes it over with everything the old one
	 * wrote visible (RCU's barrier). Frames wait in the ports' queues. */
	rte_rcu_qsbr_synchronize(d->qs, RTE_QSBR_THRID_INVALID);
	hvn_store_relaxed(&d->dp_lcore[i], to);
	hvn_store_release(&d->dps[i], d->sw[i].dp);
	return 0;
}

int vsw_daemon_switch_del(struct vsw_daemon *d, const char *name, char *why, size_t len)
{
	int i = vsw_daemon_find_switch(d, name);

	if (i < 0) {
		snprintf(why, len, "no switch %s", name);
		return -ENOENT;
	}
	if (d->sw[i].nports) {
		snprintf(why, len, "switch %s still has %u port(s): delete them first", name,
			 d->sw[i].nports);
		return -EBUSY;
	}
	vsw_policy_switch_gone(d, i);
	hvn_store_release(&d->dps[i], NULL);
	rte_rcu_qsbr_synchronize(d->qs, RTE_QSBR_THRID_INVALID);
	vsw_dp_destroy(d->sw[i].dp);
	memset(&d->sw[i], 0, sizeof(d->sw[i]));
	return 0;
}

/* ---- ports ---- */

static bool kind_fits(enum vsw_switch_type t, enum vsw_port_kind k)
{
	switch (t) {
	case VSW_SWITCH_EXTERNAL:
		return true;
	case VSW_SWITCH_INTERNAL:
		return k != VSW_PORT_UPLINK;
	case VSW_SWITCH_PRIVATE:
		return k == VSW_PORT_VNIC;
	}
	return false;
}

int vsw_daemon_port_add(struct vsw_daemon *d, const struct vsw_port_cfg *c, char *why,
			size_t len)
{
	struct vsw_dport *p;
	int s = vsw_daemon_find_switch(d, c->sw), i, rc;
	char devargs[VSW_DEVARGS_MAX + 64];

	if (s < 0) {
		snprintf(why, len, "no switch %s", c->sw);
		return -ENOENT;
	}
	if (vsw_daemon_find_port(d, c->name) >= 0) {
		snprintf(why, len, "port %s already exists", c->name);
		return -EEXIST;
	}
	if (!kind_fits(d->sw[s].cfg.type, c->kind)) {
		snprintf(why, len, "a %s switch takes no %s port", vsw_switch_type_name(d->sw[s].cfg.type),
			 vsw_port_kind_name(c->kind));
		return -EINVAL;
	}
	for (i = 0; i < VSW_MAX_PORTS && d->ports[i].used; i++)
		;
	if (i == VSW_MAX_PORTS) {
		snprintf(why, len, "vswitchd runs at most %d ports", VSW_MAX_PORTS);
		return -ENOSPC;
	}
	p = &d->ports[i];
	memset(p, 0, sizeof(*p));
	p->cfg = *c;
	p->sw = s;
	p->dp_idx = -1;
	rc = port_pool(d, p, why, len);
	if (rc)
		return rc;
	switch (c->kind) {
	case VSW_PORT_UPLINK:
	case VSW_PORT_INTERNAL:
		if (c->kind == VSW_PORT_INTERNAL)
			/* The host-OS port: a tap named after the port. */
			snprintf(devargs, sizeof(devargs), "net_tap_%s,iface=%s", c->name, c->name);
		else
			snprintf(devargs, sizeof(devargs), "%s", c->devargs);
		rc = vsw_ethdev_open(devargs, p->mp, &p->eth, why, (unsigned int)len);
		if (rc) {
			rte_mempool_free(p->mp);
			return rc;
		}
		rc = vsw_dp_port_add(d->sw[s].dp, vsw_ethdev_port(p->eth), c);
		if (rc < 0) {
			vsw_ethdev_close(p->eth);
			rte_mempool_free(p->mp);
			snprintf(why, len, "switch %s is full", c->sw);
			return rc;
		}
		p->dp_idx = rc;
		break;
	case VSW_PORT_VNIC:
		/* Locally administered unicast, unless the operator gave one. */
		if (c->sec.mac[0] | c->sec.mac[1] | c->sec.mac[2] | c->sec.mac[3] | c->sec.mac[4] |
		    c->sec.mac[5]) {
			memcpy(p->mac, c->sec.mac, 6);
		} else {
			/* 00:15:5d is Hyper-V's own prefix, made local (0x02).
			 * Numbered from 1, so the first two ports pair as
			 * hvnet-netvsp's do (...:01 and ...:02). */
			uint8_t m[6] = { 0x02, 0x15, 0x5d, 0, (uint8_t)((i + 1) >> 8),
					 (uint8_t)(i + 1) };

			memcpy(p->mac, m, 6);
		}
		break;
	}
	p->used = true;
	d->sw[s].nports++;
	if (p->dp_idx >= 0)
		vsw_policy_attached(d, p);
	return 0;
}

int vsw_daemon_port_set(struct vsw_daemon *d, const struct vsw_port_cfg *c, char *why,
			size_t len)
{
	int i = vsw_daemon_find_port(d, c->name), rc;
	struct vsw_dport *p;

	if (i < 0) {
		snprintf(why, len, "no port %s", c->name);
		return -ENOENT;
	}
	p = &d->ports[i];
	if (strcmp(c->sw, p->cfg.sw) || c->kind != p->cfg.kind ||
	    strcmp(c->devargs, p->cfg.devargs)) {
		snprintf(why, len, "port %s: its switch, kind and device cannot change; delete it "
			 "and add it again", c->name);
		return -EINVAL;
	}
	if (p->dp_idx >= 0) {
		struct vsw_port_cfg dc = dp_cfg(c, p->mac);

		rc = vsw_dp_port_set(d->sw[p->sw].dp, p->dp_idx, &dc);
		if (rc) {
			snprintf(why, len, "port %s: %s", c->name, strerror(-rc));
			return rc;
		}
	}
	p->cfg = *c;
	return 0;
}

int vsw_daemon_port_del(struct vsw_daemon *d, const char *name, char *why, size_t len)
{
	int i = vsw_daemon_find_port(d, name);
	struct vsw_dport *p;

	if (i < 0) {
		snprintf(why, len, "no port %s", name);
		return -ENOENT;
	}
	p = &d->ports[i];
	vsw_capture_port_gone(d, p);
	if (p->dp_idx >= 0)
		vsw_dp_port_del(d->sw[p->sw].dp, p->dp_idx);
	p->dp_idx = -1;
	if (p->eth)
		vsw_ethdev_close(p->eth);
	vsw_policy_port_gone(d, p);
	vsw_policy_detached(d, p->sw);
	/* A connected vNIC stays offered to its partition until it leaves;
	 * its frames go nowhere meanwhile (netVSP drops and counts). */
	pool_retire(d, p->mp, p->nic);
	p->nic = NULL;
	d->sw[p->sw].nports--;
	memset(p, 0, sizeof(*p));
	return 0;
}

int vsw_daemon_port_stats(struct vsw_daemon *d, const char *name, struct vsw_port_stats *out)
{
	struct vsw_port_stats live;
	int i = vsw_daemon_find_port(d, name), rc;
	uint64_t *dst = (uint64_t *)out;
	const uint64_t *src = (const uint64_t *)&live;

	if (i < 0)
		return -ENOENT;
	*out = d->ports[i].past;
	if (d->ports[i].dp_idx < 0)
		return -ENOTCONN;
	rc = vsw_dp_port_stats(d->sw[d->ports[i].sw].dp, d->ports[i].dp_idx, &live);
	if (rc)
		return rc;
	for (size_t k = 0; k < sizeof(live) / sizeof(uint64_t); k++)
		dst[k] += src[k];
	return 0;
}

int vsw_daemon_switch_stats(struct vsw_daemon *d, const char *name, struct vsw_dp_stats *out)
{
	int i = vsw_daemon_find_switch(d, name);

	if (i < 0)
		return -ENOENT;
	vsw_dp_stats(d->sw[i].dp, out);
	return 0;
}

bool vsw_daemon_port_attached(struct vsw_daemon *d, const char *name)
{
	int i = vsw_daemon_find_port(d, name);

	return i >= 0 && d->ports[i].dp_idx >= 0;
}

int vsw_daemon_fds(const struct vsw_daemon *d, int fds[2])
{
	fds[0] = vmbus_sock_server_fd(d->vmbus);
	fds[1] = netvsp_host_fd(d->nh);
	return 2;
}

void vsw_daemon_process(struct vsw_daemon *d)
{
	vmbus_sock_server_poll(d->vmbus, 0);
	netvsp_host_process(d->nh);
	vsw_capture_reap(d);
	pools_reap(d, false);
}
