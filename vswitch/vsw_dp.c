/* The switch datapath; see vsw_dp.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "common/hvn_compiler.h"
#include "vswitch/vsw_dp.h"
#include "vswitch/vsw_fdb.h"

#define DP_BURST 32
#define DP_TXQ 64            /* frames buffered per egress port per round */
#define DP_MAX_PORTS 64
#define DP_AGE_BUDGET 256    /* FDB slots aged per round */

struct dp_port {
	/* Published by the control thread with release; NULL: slot free. */
	struct hvn_port *port;
	const struct vsw_port_cfg *cfg;
	uint16_t gen;                /* bumped when its MACs become invalid */
	/* The lcore's own. */
	uint16_t macs_gen;
	uint32_t macs;               /* learned MACs of generation macs_gen */
	uint16_t tx_n;
	struct rte_mbuf *tx[DP_TXQ];
	uint32_t storm_sec;          /* the second storm_count counts in */
	uint64_t storm_count;
	struct vsw_port_stats st;
} hvn_aligned(HVN_CACHE_LINE);

struct vsw_dp {
	char name[VSW_NAME_MAX];
	struct vsw_fdb fdb;
	uint32_t aging_s;
	uint32_t max_frame;
	struct rte_mempool *mp;
	struct rte_rcu_qsbr *qs;
	uint64_t tsc_per_s;
	uint32_t nports;             /* highest used index + 1 */
	struct dp_port ports[DP_MAX_PORTS];
};

static const char *const drop_names[VSW_DROP_REASONS] = {
	[VSW_DROP_RUNT] = "runt",
	[VSW_DROP_GIANT] = "giant",
	[VSW_DROP_BAD_VLAN] = "bad-vlan",
	[VSW_DROP_BAD_SRC] = "bad-source-mac",
	[VSW_DROP_MAC_LIMIT] = "mac-limit",
	[VSW_DROP_SAME_PORT] = "same-port",
	[VSW_DROP_NO_PORT] = "no-port",
	[VSW_DROP_TX_FULL] = "tx-full",
	[VSW_DROP_NOMBUF] = "no-mbuf",
	[VSW_DROP_MAC_SPOOF] = "mac-spoof",
	[VSW_DROP_DHCP_GUARD] = "dhcp-guard",
	[VSW_DROP_ROUTER_GUARD] = "router-guard",
	[VSW_DROP_STORM] = "storm",
};

const char *vsw_drop_name(enum vsw_drop d)
{
	return d < VSW_DROP_REASONS ? drop_names[d] : "?";
}

int vsw_dp_create(const struct vsw_dp_config *cfg, struct vsw_dp **out)
{
	struct vsw_dp *dp;
	int rc;

	if (!cfg->mp || !cfg->qs)
		return -EINVAL;
	dp = rte_zmalloc("vsw_dp", sizeof(*dp), RTE_CACHE_LINE_SIZE);
	if (!dp)
		return -ENOMEM;
	rc = vsw_fdb_init(&dp->fdb, cfg->fdb_size ? cfg->fdb_size : 65536);
	if (rc) {
		rte_free(dp);
		return rc;
	}
	snprintf(dp->name, sizeof(dp->name), "%s", cfg->name ? cfg->name : "switch");
	dp->aging_s = cfg->aging_s ? cfg->aging_s : 300;
	dp->max_frame = cfg->max_frame ? cfg->max_frame : RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN;
	dp->mp = cfg->mp;
	dp->qs = cfg->qs;
	dp->tsc_per_s = rte_get_tsc_hz();
	*out = dp;
	return 0;
}

void vsw_dp_destroy(struct vsw_dp *dp)
{
	if (!dp)
		return;
	vsw_fdb_fini(&dp->fdb);
	rte_free(dp);
}

static struct vsw_port_cfg *cfg_dup(const struct vsw_port_cfg *cfg)
{
	struct vsw_port_cfg *c = malloc(sizeof(*c));

	if (c)
		*c = *cfg;
	return c;
}

int vsw_dp_port_add(struct vsw_dp *dp, struct hvn_port *port, const struct vsw_port_cfg *cfg)
{
	struct vsw_port_cfg *c;
	int i;

	for (i = 0; i < DP_MAX_PORTS && dp->ports[i].port; i++)
		;
	if (i == DP_MAX_PORTS)
		return -ENOSPC;
	c = cfg_dup(cfg);
	if (!c)
		return -ENOMEM;
	/* The slot's generation moves on, so MACs a former occupant left in
	 * the table never resolve to the newcomer. */
	hvn_store_release(&dp->ports[i].gen, (uint16_t)(dp->ports[i].gen + 1));
	memset(&dp->ports[i].st, 0, sizeof(dp->ports[i].st));
	dp->ports[i].cfg = c;
	hvn_store_release(&dp->ports[i].port, port);
	if ((uint32_t)i + 1 > dp->nports)
		hvn_store_release(&dp->nports, (uint32_t)i + 1);
	return i;
}

static bool vlan_changed(const struct vsw_vlan_cfg *a, const struct vsw_vlan_cfg *b)
{
	return memcmp(a, b, sizeof(*a)) != 0;
}

int vsw_dp_port_set(struct vsw_dp *dp, int idx, const struct vsw_port_cfg *cfg)
{
	struct dp_port *p;
	const struct vsw_port_cfg *old;
	struct vsw_port_cfg *c;

	if (idx < 0 || idx >= DP_MAX_PORTS || !dp->ports[idx].port)
		return -ENOENT;
	p = &dp->ports[idx];
	c = cfg_dup(cfg);
	if (!c)
		return -ENOMEM;
	old = p->cfg;
	if (vlan_changed(&old->vlan, &c->vlan))
		hvn_store_release(&p->gen, (uint16_t)(p->gen + 1));
	hvn_store_release(&p->cfg, c);
	rte_rcu_qsbr_synchronize(dp->qs, RTE_QSBR_THRID_INVALID);
	free((void *)old);
	return 0;
}

int vsw_dp_port_del(struct vsw_dp *dp, int idx)
{
	struct dp_port *p;

	if (idx < 0 || idx >= DP_MAX_PORTS || !dp->ports[idx].port)
		return -ENOENT;
	p = &dp->ports[idx];
	hvn_store_release(&p->port, NULL);
	hvn_store_release(&p->gen, (uint16_t)(p->gen + 1));
	rte_rcu_qsbr_synchronize(dp->qs, RTE_QSBR_THRID_INVALID);
	/* The lcore no longer looks at the slot: its leftovers are ours. */
	if (p->tx_n)
		rte_pktmbuf_free_bulk(p->tx, p->tx_n);
	p->tx_n = 0;
	free((void *)p->cfg);
	p->cfg = NULL;
	return 0;
}

/* ---- the hot path ---- */

struct dp_round {
	struct vsw_dp *dp;
	uint32_t now;                /* seconds */
};

/* Hand the buffered frames to the port: a multi-queue vNIC picks each
 * frame's queue (its guest's RSS); runs of one queue go in one burst. */
static void tx_flush(struct dp_port *d)
{
	uint16_t queues[DP_TXQ], i = 0, nq;
	struct hvn_port *hp;

	if (!d->tx_n)
		return;
	/* The control thread may have just unpublished the port; the object
	 * itself lives until our next quiescent state. */
	hp = hvn_load_acquire(&d->port);
	if (!hp) {
		d->st.drops[VSW_DROP_TX_FULL] += d->tx_n;
		rte_pktmbuf_free_bulk(d->tx, d->tx_n);
		d->tx_n = 0;
		return;
	}
	nq = hp->ops->nb_queues(hp->priv);
	if (nq > 1 && hp->ops->steer)
		hp->ops->steer(hp->priv, d->tx, d->tx_n, queues);
	else
		memset(queues, 0, d->tx_n * sizeof(queues[0]));
	while (i < d->tx_n) {
		uint16_t j = i + 1, sent, q = queues[i] < nq ? queues[i] : 0;

		while (j < d->tx_n && queues[j] == queues[i])
			j++;
		sent = hp->ops->tx_burst(hp->priv, q, d->tx + i, (uint16_t)(j - i));
		for (uint16_t k = i; k < i + sent; k++)
			d->st.tx_bytes += d->tx[k]->pkt_len;
		d->st.tx_packets += sent;
		if (sent < j - i) {
			d->st.drops[VSW_DROP_TX_FULL] += (uint64_t)(j - i - sent);
			rte_pktmbuf_free_bulk(d->tx + i + sent, (unsigned int)(j - i - sent));
		}
		i = j;
	}
	d->tx_n = 0;
}

static bool port_in_vlan(const struct vsw_port_cfg *c, uint16_t vlan)
{
	switch (c->vlan.mode) {
	case VSW_VLAN_UNTAGGED:
		return vlan == 0;
	case VSW_VLAN_ACCESS:
		return vlan == c->vlan.access_vlan;
	case VSW_VLAN_TRUNK:
		return vlan != 0 && (vlan == c->vlan.native_vlan || vsw_vlan_allowed(&c->vlan, vlan));
	}
	return false;
}

/* Queue 'm' (internal VLAN 'vlan', untagged in memory) for port d. */
static void tx_enqueue(struct dp_port *d, struct rte_mbuf *m, uint16_t vlan, uint16_t pcp)
{
	const struct vsw_port_cfg *c = hvn_load_acquire(&d->cfg);

	if (c->vlan.mode == VSW_VLAN_TRUNK && vlan != c->vlan.native_vlan) {
		m->vlan_tci = (uint16_t)(vlan | pcp << 13);
		if (rte_vlan_insert(&m) != 0) {
			d->st.drops[VSW_DROP_NOMBUF]++;
			rte_pktmbuf_free(m);
			return;
		}
	}
	if (d->tx_n == DP_TXQ)
		tx_flush(d);
	d->tx[d->tx_n++] = m;
}

static void flood(struct vsw_dp *dp, uint32_t in, struct rte_mbuf *m, uint16_t vlan,
		  uint16_t pcp)
{
	uint32_t n = hvn_load_acquire(&dp->nports), last = UINT32_MAX;

	/* The original goes to the last member; the others get copies. */
	for (uint32_t i = 0; i < n; i++) {
		struct dp_port *d = &dp->ports[i];

		if (i == in || !hvn_load_acquire(&d->port) ||
		    !port_in_vlan(hvn_load_acquire(&d->cfg), vlan))
			continue;
		if (last != UINT32_MAX) {
			struct rte_mbuf *c = rte_pktmbuf_copy(m, dp->mp, 0, UINT32_MAX);

			if (!c) {
				dp->ports[last].st.drops[VSW_DROP_NOMBUF]++;
			} else {
				dp->ports[last].st.flooded++;
				tx_enqueue(&dp->ports[last], c, vlan, pcp);
			}
		}
		last = i;
	}
	if (last == UINT32_MAX) {
		dp->ports[in].st.drops[VSW_DROP_NO_PORT]++;
		rte_pktmbuf_free(m);
		return;
	}
	dp->ports[last].st.flooded++;
	tx_enqueue(&dp->ports[last], m, vlan, pcp);
}

/* 802.1Q at ingress (IEEE 802.1Q-2018 6.9): returns the frame's VLAN, or
 * -1 with the drop counted. A tag is removed here; egress puts one back
 * where the port wants it. */
static int classify(struct dp_port *p, const struct vsw_port_cfg *c, struct rte_mbuf *m,
		    uint16_t *pcp, uint32_t max_frame)
{
	struct rte_ether_hdr *eh;
	bool tagged = false;
	uint16_t vid = 0;

	*pcp = 0;
	if (m->data_len < sizeof(*eh)) {
		p->st.drops[VSW_DROP_RUNT]++;
		return -1;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	if (eh->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN)) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);
		uint16_t tci;

		if (m->data_len < sizeof(*eh) + sizeof(*vh)) {
			p->st.drops[VSW_DROP_RUNT]++;
			return -1;
		}
		tci = rte_be_to_cpu_16(vh->vlan_tci);
		vid = tci & 0xfff;
		*pcp = tci >> 13;
		tagged = true;
	}
	if (m->pkt_len > max_frame + (tagged ? 4u : 0u)) {
		p->st.drops[VSW_DROP_GIANT]++;
		return -1;
	}
	if (vid == 0xfff)
		goto bad;
	switch (c->vlan.mode) {
	case VSW_VLAN_UNTAGGED:
	case VSW_VLAN_ACCESS:
		/* Priority-tagged frames (VID 0) are untagged frames. */
		if (vid != 0)
			goto bad;
		vid = c->vlan.mode == VSW_VLAN_ACCESS ? c->vlan.access_vlan : 0;
		break;
	case VSW_VLAN_TRUNK:
		if (vid == 0) {
			if (!c->vlan.native_vlan)
				goto bad;
			vid = c->vlan.native_vlan;
		} else if (!vsw_vlan_allowed(&c->vlan, vid)) {
			goto bad;
		}
		break;
	}
	if (tagged && rte_vlan_strip(m) != 0)
		goto bad;
	return vid;
bad:
	p->st.drops[VSW_DROP_BAD_VLAN]++;
	return -1;
}

/* The L3/L4 header after the (untagged) Ethernet header, for the DHCP
 * and router guards: IPv4 (first fragments) and IPv6 without extension
 * headers, which is how DHCP, DHCPv6, RAs and redirects travel. *proto
 * gets the L4 protocol; NULL when there is no such header in the first
 * segment. */
static const uint8_t *l4_header(const struct rte_mbuf *m, uint8_t *proto, bool *v6)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = m->data_len, ihl;
	uint16_t et;

	if (len < RTE_ETHER_HDR_LEN + 20)
		return NULL;
	et = (uint16_t)(p[12] << 8 | p[13]);
	p += RTE_ETHER_HDR_LEN;
	len -= RTE_ETHER_HDR_LEN;
	if (et == RTE_ETHER_TYPE_IPV4) {
		ihl = (p[0] & 0xfu) * 4u;
		/* A later fragment carries no L4 header. */
		if ((p[0] >> 4) != 4 || ihl < 20 || ihl + 8 > len || ((p[6] & 0x1f) | p[7]))
			return NULL;
		*proto = p[9];
		*v6 = false;
		return p + ihl;
	}
	if (et == RTE_ETHER_TYPE_IPV6 && len >= 40 + 8 && (p[0] >> 4) == 6) {
		*proto = p[6];
		*v6 = true;
		return p + 40;
	}
	return NULL;
}

/* Hyper-V's port guards (Set-VMNetworkAdapter, reference
 * vswitch-vmq-sriov-e1000.md §1.1), on what a port sends into the switch.
 * Returns the drop reason or VSW_DROP_REASONS to let the frame pass. */
static enum vsw_drop guard(const struct vsw_port_cfg *c, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *l4;
	uint8_t proto;
	bool v6;

	if (c->sec.mac_spoof_guard && memcmp(eh->src_addr.addr_bytes, c->sec.mac, 6))
		return VSW_DROP_MAC_SPOOF;
	if (!c->sec.dhcp_guard && !c->sec.router_guard)
		return VSW_DROP_REASONS;
	l4 = l4_header(m, &proto, &v6);
	if (!l4)
		return VSW_DROP_REASONS;
	if (c->sec.dhcp_guard && proto == IPPROTO_UDP) {
		uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]);

		/* Servers and relays answer from 67 (RFC 2131) or 547 (RFC 8415). */
		if ((!v6 && sport == 67) || (v6 && sport == 547))
			return VSW_DROP_DHCP_GUARD;
	}
	if (c->sec.router_guard) {
		/* ICMPv6 Router Advertisement 134 and Redirect 137 (RFC 4861);
		 * ICMP Redirect 5 (RFC 792). */
		if (v6 && proto == IPPROTO_ICMPV6 && (l4[0] == 134 || l4[0] == 137))
			return VSW_DROP_ROUTER_GUARD;
		if (!v6 && proto == IPPROTO_ICMP && l4[0] == 5)
			return VSW_DROP_ROUTER_GUARD;
	}
	return VSW_DROP_REASONS;
}

/* Broadcast, multicast and unknown unicast a port may send per second;
 * the excess of each second is dropped (StormLimit). */
static bool storm_ok(struct dp_port *p, const struct vsw_port_cfg *c, uint32_t now)
{
	if (!c->sec.storm_limit_pps)
		return true;
	if (p->storm_sec != now) {
		p->storm_sec = now;
		p->storm_count = 0;
	}
	if (p->storm_count >= c->sec.storm_limit_pps) {
		p->st.drops[VSW_DROP_STORM]++;
		return false;
	}
	p->storm_count++;
	return true;
}

static bool learn(struct vsw_dp *dp, uint32_t in, struct dp_port *p, const struct vsw_port_cfg *c,
		  uint64_t key, uint32_t now)
{
	struct vsw_fdb_entry *e = vsw_fdb_lookup(&dp->fdb, key);
	uint32_t limit = c->sec.mac_limit;

	if (p->macs_gen != p->gen) {
		p->macs_gen = p->gen;
		p->macs = 0;
	}
	if (e) {
		if (hvn_likely(e->port == in && e->gen == p->gen)) {
			if (e->seen != now)
				e->seen = now;
			return true;
		}
		/* Moved here (or left by a dead generation). */
		if (limit && p->macs >= limit) {
			p->st.drops[VSW_DROP_MAC_LIMIT]++;
			return false;
		}
		if (e->port < DP_MAX_PORTS && dp->ports[e->port].gen == e->gen &&
		    dp->ports[e->port].macs_gen == e->gen && dp->ports[e->port].macs)
			dp->ports[e->port].macs--;
		dp->fdb.moves++;
		e->port = (uint16_t)in;
		e->gen = p->gen;
		e->seen = now;
		p->macs++;
		p->st.learned++;
		return true;
	}
	if (limit && p->macs >= limit) {
		p->st.drops[VSW_DROP_MAC_LIMIT]++;
		return false;
	}
	if (vsw_fdb_insert(&dp->fdb, key, (uint16_t)in, p->gen, now) == 0) {
		p->macs++;
		p->st.learned++;
	}
	/* A full table still forwards: the frame floods back. */
	return true;
}

static void process(struct vsw_dp *dp, uint32_t in, struct rte_mbuf **pkts, uint16_t n,
		    uint32_t now)
{
	struct dp_port *p = &dp->ports[in];
	const struct vsw_port_cfg *c = hvn_load_acquire(&p->cfg);
	uint64_t dkey[DP_BURST];
	int vlan[DP_BURST];
	uint16_t pcp[DP_BURST];
	bool has_guards = c->sec.mac_spoof_guard || c->sec.dhcp_guard || c->sec.router_guard;

	/* Classify the burst and prefetch each destination's bucket, so the
	 * lookups below find their lines in cache. */
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];

		p->st.rx_packets++;
		p->st.rx_bytes += m->pkt_len;
		vlan[i] = classify(p, c, m, &pcp[i], dp->max_frame);
		if (vlan[i] < 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		dkey[i] = vsw_fdb_key(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes,
				      (uint16_t)vlan[i]);
		rte_prefetch0(&dp->fdb.tab[vsw_fdb_slot(&dp->fdb, dkey[i])]);
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eh;
		struct vsw_fdb_entry *e;

		if (vlan[i] < 0)
			continue;
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		if (hvn_unlikely(rte_is_multicast_ether_addr(&eh->src_addr) ||
				 rte_is_zero_ether_addr(&eh->src_addr))) {
			p->st.drops[VSW_DROP_BAD_SRC]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (hvn_unlikely(has_guards)) {
			enum vsw_drop why = guard(c, m);

			if (why != VSW_DROP_REASONS) {
				p->st.drops[why]++;
				rte_pktmbuf_free(m);
				continue;
			}
		}
		if (!learn(dp, in, p, c, vsw_fdb_key(eh->src_addr.addr_bytes, (uint16_t)vlan[i]),
			   now)) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (rte_is_multicast_ether_addr(&eh->dst_addr) ||
		    !(e = vsw_fdb_lookup(&dp->fdb, dkey[i]))) {
			if (storm_ok(p, c, now))
				flood(dp, in, m, (uint16_t)vlan[i], pcp[i]);
			else
				rte_pktmbuf_free(m);
			continue;
		}
		{
			struct dp_port *d = &dp->ports[e->port];

			if (hvn_unlikely(e->port == in)) {
				p->st.drops[VSW_DROP_SAME_PORT]++;
				rte_pktmbuf_free(m);
			} else if (hvn_unlikely(e->gen != hvn_load_acquire(&d->gen) ||
						!hvn_load_acquire(&d->port))) {
				/* Its port went away or changed VLANs: forget it,
				 * and the frame is unknown unicast again. */
				vsw_fdb_remove(&dp->fdb, e);
				if (storm_ok(p, c, now))
					flood(dp, in, m, (uint16_t)vlan[i], pcp[i]);
				else
					rte_pktmbuf_free(m);
			} else {
				tx_enqueue(d, m, (uint16_t)vlan[i], pcp[i]);
			}
		}
	}
}

static bool expired(void *ctx, const struct vsw_fdb_entry *e)
{
	struct dp_round *r = ctx;
	struct dp_port *p = &r->dp->ports[e->port];

	if (e->gen != hvn_load_acquire(&p->gen) || !hvn_load_acquire(&p->port))
		return true;
	if (r->now - e->seen > r->dp->aging_s) {
		if (p->macs_gen == e->gen && p->macs)
			p->macs--;
		r->dp->fdb.aged++;
		return true;
	}
	return false;
}

unsigned int vsw_dp_poll(struct vsw_dp *dp)
{
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_round r = { dp, (uint32_t)(rte_get_tsc_cycles() / dp->tsc_per_s) };
	uint32_t n = hvn_load_acquire(&dp->nports);
	unsigned int total = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct hvn_port *hp = hvn_load_acquire(&dp->ports[i].port);
		uint16_t nq, got;

		if (!hp)
			continue;
		nq = hp->ops->nb_queues(hp->priv);
		for (uint16_t q = 0; q < nq; q++) {
			got = hp->ops->rx_burst(hp->priv, q, pkts, DP_BURST);
			if (got) {
				process(dp, i, pkts, got, r.now);
				total += got;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++)
		if (hvn_load_acquire(&dp->ports[i].port))
			tx_flush(&dp->ports[i]);
	vsw_fdb_sweep(&dp->fdb, DP_AGE_BUDGET, expired, &r);
	return total;
}

int vsw_dp_port_stats(const struct vsw_dp *dp, int idx, struct vsw_port_stats *out)
{
	if (idx < 0 || idx >= DP_MAX_PORTS || !dp->ports[idx].port)
		return -ENOENT;
	*out = dp->ports[idx].st;
	return 0;
}

void vsw_dp_stats(const struct vsw_dp *dp, struct vsw_dp_stats *out)
{
	out->fdb_entries = dp->fdb.count;
	out->fdb_size = dp->fdb.mask + 1;
	out->fdb_aged = dp->fdb.aged;
	out->fdb_moves = dp->fdb.moves;
	out->fdb_full = dp->fdb.full;
}
