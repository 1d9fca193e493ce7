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

#include <rte_ring.h>

#include "common/hvn_compiler.h"
#include "vswitch/vsw_acl.h"
#include "vswitch/vsw_dp.h"
#include "vswitch/vsw_ext.h"
#include "vswitch/vsw_fdb.h"
#include "vswitch/vsw_parse.h"

#define DP_BURST VSW_DP_BURST
#define DP_TXQ VSW_DP_TXQ    /* frames buffered per egress port per round */
#define DP_MAX_PORTS VSW_DP_MAX_PORTS
#define DP_AGE_BUDGET 256    /* FDB slots aged per slice */
#define DP_AGE_PERIOD_US 50  /* at most one slice per this many microseconds */
#define DP_AGE_PASSES 4      /* whole-table passes a second, where the period allows */
#define DP_ACL_SESSIONS 16384 /* per port with stateful ACLs */

_Static_assert(DP_TXQ <= 64, "an egress batch goes through extensions, at most 64 frames");
_Static_assert(DP_MAX_PORTS <= 64, "sets of ports are 64-bit masks");

/* The switch's mirrors as the lcore reads them: replaced whole (RCU). */
struct dp_mirrors {
	unsigned int n;
	uint64_t outputs;            /* ports that are some mirror's output */
	struct vsw_dp_mirror m[];
};

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
	/* Shaping (max-bps): bytes the port may still send, refilled from
	 * the TSC; it may go below zero by one burst. */
	int64_t tb_tokens;
	uint64_t tb_tsc;
	/* Control-thread published, lcore read. */
	uint16_t quota;              /* receive burst, from the min weights */
	struct vsw_acl_rules *acl;
	struct vsw_acl_state *acl_state;
	struct vsw_dp_capture *cap;
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
	uint64_t sweep_tsc;          /* when aging last swept a slice */
	uint64_t sweep_period;       /* TSC between slices */
	uint64_t sec_tsc;            /* TSC at the start of second now_s */
	uint32_t now_s;              /* the switch's clock, seconds of TSC */
	uint32_t nports;             /* highest used index + 1 */
	struct dp_mirrors *mirrors;  /* NULL: none */
	struct vsw_ext_chain *ext;   /* NULL: none */
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
	[VSW_DROP_MALFORMED] = "malformed",
	[VSW_DROP_ACL] = "acl",
	[VSW_DROP_EXTENSION] = "extension",
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
	vsw_dp_set_aging(dp, cfg->aging_s);
	dp->max_frame = cfg->max_frame ? cfg->max_frame : RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN;
	dp->mp = cfg->mp;
	dp->qs = cfg->qs;
	dp->tsc_per_s = rte_get_tsc_hz();
	/* Aging counts whole seconds: a pass over the table every quarter
	 * second is as exact as an operator can tell. Sweeping faster only
	 * walks the table through the cache (a slice every 50 us took 1.2 to
	 * 1.8% of the lcore with the default 128K slots); a table too large
	 * for that pace gets one slice per DP_AGE_PERIOD_US. */
	dp->sweep_period = RTE_MAX(dp->tsc_per_s / (1000000 / DP_AGE_PERIOD_US),
				   dp->tsc_per_s / DP_AGE_PASSES * DP_AGE_BUDGET /
				   ((uint64_t)dp->fdb.mask + 1));
	*out = dp;
	return 0;
}

void vsw_dp_set_aging(struct vsw_dp *dp, uint32_t aging_s)
{
	/* The lcore reads it at each sweep: a new time applies from the next
	 * pass, to what was learned before as well. */
	hvn_store_relaxed(&dp->aging_s, aging_s ? aging_s : VSW_AGING_DEFAULT);
}

void vsw_dp_destroy(struct vsw_dp *dp)
{
	if (!dp)
		return;
	free(dp->mirrors);
	vsw_ext_chain_free(dp->ext);
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

/* Receive bursts from the minimum weights: a busy port's share of the
 * lcore follows its weight over the largest, at least one frame a round. */
static void update_quotas(struct vsw_dp *dp)
{
	uint32_t wmax = 0;

	for (int i = 0; i < DP_MAX_PORTS; i++)
		if (dp->ports[i].cfg && dp->ports[i].cfg->qos.min_weight > wmax)
			wmax = dp->ports[i].cfg->qos.min_weight;
	for (int i = 0; i < DP_MAX_PORTS; i++) {
		uint32_t w, q = DP_BURST;

		if (!dp->ports[i].cfg)
			continue;
		if (wmax) {
			w = dp->ports[i].cfg->qos.min_weight ? dp->ports[i].cfg->qos.min_weight : 1;
			q = DP_BURST * w / wmax;
			q = q ? q : 1;
		}
		hvn_store_release(&dp->ports[i].quota, (uint16_t)q);
	}
}

/* A bucket deep enough for 10 ms at the rate, and never less than two
 * bursts of full-size frames, so a limit well below the port's speed
 * still lets whole bursts through. */
static int64_t tb_depth(uint64_t max_bps)
{
	uint64_t d = max_bps / 8 / 100;

	return (int64_t)(d < 2 * DP_BURST * 1518 ? 2 * DP_BURST * 1518 : d);
}

int vsw_dp_port_add(struct vsw_dp *dp, struct hvn_port *port, const struct vsw_port_cfg *cfg)
{
	struct vsw_port_cfg *c;
	struct dp_port *p;
	int i;

	for (i = 0; i < DP_MAX_PORTS && dp->ports[i].port; i++)
		;
	if (i == DP_MAX_PORTS)
		return -ENOSPC;
	c = cfg_dup(cfg);
	if (!c)
		return -ENOMEM;
	p = &dp->ports[i];
	/* The slot's generation moves on, so MACs a former occupant left in
	 * the table never resolve to the newcomer. */
	hvn_store_release(&p->gen, (uint16_t)(p->gen + 1));
	memset(&p->st, 0, sizeof(p->st));
	p->tb_tokens = tb_depth(c->qos.max_bps);
	p->tb_tsc = rte_get_tsc_cycles();
	p->storm_sec = 0;
	p->storm_count = 0;
	p->cfg = c;
	update_quotas(dp);
	hvn_store_release(&p->port, port);
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
	update_quotas(dp);
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
	hvn_store_release(&p->cap, NULL);
	rte_rcu_qsbr_synchronize(dp->qs, RTE_QSBR_THRID_INVALID);
	/* The lcore no longer looks at the slot: its leftovers are ours. */
	if (p->tx_n)
		rte_pktmbuf_free_bulk(p->tx, p->tx_n);
	p->tx_n = 0;
	vsw_acl_rules_free(p->acl);
	p->acl = NULL;
	vsw_acl_state_free(p->acl_state);
	p->acl_state = NULL;
	free((void *)p->cfg);
	p->cfg = NULL;
	update_quotas(dp);
	return 0;
}

int vsw_dp_port_acl(struct vsw_dp *dp, int idx, struct vsw_acl_rules *rules)
{
	struct vsw_acl_rules *old;
	struct dp_port *p;
	int rc;

	if (idx < 0 || idx >= DP_MAX_PORTS || !dp->ports[idx].port) {
		vsw_acl_rules_free(rules);
		return -ENOENT;
	}
	p = &dp->ports[idx];
	/* The session table comes with the first stateful rule and stays:
	 * sessions outlive a rule change, as Hyper-V's do. */
	if (rules && vsw_acl_rules_stateful(rules) && !p->acl_state) {
		struct vsw_acl_state *st;

		rc = vsw_acl_state_create(DP_ACL_SESSIONS, &st);
		if (rc) {
			vsw_acl_rules_free(rules);
			return rc;
		}
		hvn_store_release(&p->acl_state, st);
	}
	old = p->acl;
	hvn_store_release(&p->acl, rules);
	rte_rcu_qsbr_synchronize(dp->qs, RTE_QSBR_THRID_INVALID);
	vsw_acl_rules_free(old);
	return 0;
}

const struct vsw_acl_rules *vsw_dp_port_acl_rules(const struct vsw_dp *dp, int idx)
{
	if (idx < 0 || idx >= DP_MAX_PORTS)
		return NULL;
	return dp->ports[idx].acl;
}

int vsw_dp_set_mirrors(struct vsw_dp *dp, const struct vsw_dp_mirror *m, unsigned int n)
{
	struct dp_mirrors *nm = NULL, *old;

	for (unsigned int i = 0; i < n; i++)
		if (m[i].output < 0 || m[i].output >= DP_MAX_PORTS)
			return -EINVAL;
	if (n) {
		nm = calloc(1, sizeof(*nm) + n * sizeof(nm->m[0]));
		if (!nm)
			return -ENOMEM;
		nm->n = n;
		memcpy(nm->m, m, n * sizeof(*m));
		for (unsigned int i = 0; i < n; i++)
			nm->outputs |= 1ull << m[i].output;
	}
	old = dp->mirrors;
	hvn_store_release(&dp->mirrors, nm);
	rte_rcu_qsbr_synchronize(dp->qs, RTE_QSBR_THRID_INVALID);
	free(old);
	return 0;
}

void vsw_dp_set_extensions(struct vsw_dp *dp, struct vsw_ext_chain *chain)
{
	struct vsw_ext_chain *old = dp->ext;

	hvn_store_release(&dp->ext, chain);
	rte_rcu_qsbr_synchronize(dp->qs, RTE_QSBR_THRID_INVALID);
	vsw_ext_chain_free(old);
}

int vsw_dp_port_capture(struct vsw_dp *dp, int idx, struct vsw_dp_capture *cap)
{
	if (idx < 0 || idx >= DP_MAX_PORTS || !dp->ports[idx].port)
		return -ENOENT;
	if (cap && dp->ports[idx].cap)
		return -EBUSY;
	hvn_store_release(&dp->ports[idx].cap, cap);
	if (!cap)
		rte_rcu_qsbr_synchronize(dp->qs, RTE_QSBR_THRID_INVALID);
	return 0;
}

/* ---- the hot path ---- */

struct dp_round {
	struct vsw_dp *dp;
	uint32_t now;                /* seconds */
};

/* Frames the switch receives from its ports keep their ingress port in
 * mbuf->port (its ethdev id is of no use past rx) and their VLAN and PCP
 * in mbuf->vlan_tci, untagged in memory, until the egress port's batch is
 * flushed: the egress stages (ACLs, extensions, mirrors, tagging) see
 * where each frame came from. */

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

/* A copy for a capture: the first snaplen bytes and when/which way. The
 * writer thread formats it; the lcore never waits for it. */
static void capture(struct dp_port *p, struct rte_mbuf **pkts, uint16_t n, unsigned int dir)
{
	struct vsw_dp_capture *cap = hvn_load_acquire(&p->cap);
	uint64_t tsc;

	if (hvn_likely(!cap) || !(cap->dir & dir))
		return;
	tsc = rte_get_tsc_cycles();
	for (uint16_t i = 0; i < n && cap->remaining; i++) {
		struct rte_mbuf *c = rte_pktmbuf_copy(pkts[i], cap->mp, 0, cap->snaplen);
		struct vsw_dp_capture_rec *rec;

		if (!c) {
			cap->dropped++;
			continue;
		}
		rec = rte_mbuf_to_priv(c);
		rec->tsc = tsc;
		rec->orig_len = pkts[i]->pkt_len;
		rec->dir = (uint8_t)dir;
		if (rte_ring_sp_enqueue(cap->ring, c) != 0) {
			rte_pktmbuf_free(c);
			cap->dropped++;
			continue;
		}
		cap->captured++;
		if (cap->remaining != UINT64_MAX)
			cap->remaining--;
	}
}

static void tx_enqueue(struct vsw_dp *dp, struct dp_port *d, struct rte_mbuf *m, uint16_t vlan,
		       uint16_t pcp);

/* A copy of 'm' (untagged, VLAN 'tci') for mirror output port 'o'. */
static void mirror_copy(struct vsw_dp *dp, int o, struct rte_mbuf *m, uint16_t tci)
{
	struct dp_port *d = &dp->ports[o];
	struct rte_mbuf *c;

	if (!hvn_load_acquire(&d->port))
		return;
	c = rte_pktmbuf_copy(m, dp->mp, 0, UINT32_MAX);
	if (!c) {
		d->st.drops[VSW_DROP_NOMBUF]++;
		return;
	}
	d->st.mirrored++;
	tx_enqueue(dp, d, c, tci & 0xfff, tci >> 13);
}

/* Mirrors that select a frame as it arrives from port 'in'. */
static void mirror_ingress(struct vsw_dp *dp, const struct dp_mirrors *mir, uint32_t in,
			   struct rte_mbuf *m)
{
	uint16_t vlan = m->vlan_tci & 0xfff;

	for (unsigned int k = 0; k < mir->n; k++) {
		const struct vsw_dp_mirror *x = &mir->m[k];

		if (x->all || (x->src >> in & 1) ||
		    (x->has_vlans && (x->vlans[vlan / 64] >> (vlan % 64) & 1)))
			mirror_copy(dp, x->output, m, m->vlan_tci);
	}
}

/* Mirrors that select a frame as it leaves to port 'out', unless the same
 * mirror took it on the way in. */
static void mirror_egress(struct vsw_dp *dp, const struct dp_mirrors *mir, uint32_t out,
			  struct rte_mbuf *m)
{
	uint16_t vlan = m->vlan_tci & 0xfff;

	for (unsigned int k = 0; k < mir->n; k++) {
		const struct vsw_dp_mirror *x = &mir->m[k];

		if (!(x->dst >> out & 1) || x->output == (int)out || x->all ||
		    (m->port < 64 && (x->src >> m->port & 1)) ||
		    (x->has_vlans && (x->vlans[vlan / 64] >> (vlan % 64) & 1)))
			continue;
		mirror_copy(dp, x->output, m, m->vlan_tci);
	}
}

/* Drops the frames whose keep[i] is false (counting 'why' on the port),
 * compacting pkts[] and its parallel array 'aux' (elements of aux_size
 * bytes, or NULL). Returns the frames left. */
static uint16_t compact(struct dp_port *p, struct rte_mbuf **pkts, void *aux, size_t aux_size,
			const bool *keep, uint16_t n, enum vsw_drop why)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (!keep[i]) {
			p->st.drops[why]++;
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		if (k != i) {
			pkts[k] = pkts[i];
			if (aux)
				memcpy((char *)aux + k * aux_size, (char *)aux + i * aux_size, aux_size);
		}
		k++;
	}
	return k;
}

/* The port's inbound ACLs over the frames about to leave to it. */
static uint16_t egress_acl(struct dp_port *d, struct vsw_acl_rules *acl, struct rte_mbuf **pkts,
			   uint16_t n, uint32_t now)
{
	struct vsw_pkt pk[DP_TXQ];
	struct vsw_acl_frame f[DP_TXQ];
	bool pass[DP_TXQ];

	for (uint16_t i = 0; i < n; i++) {
		/* Parsed at ingress already: a frame here is well formed. */
		vsw_parse_seg(rte_pktmbuf_mtod(pkts[i], const uint8_t *), pkts[i]->data_len,
			      pkts[i]->pkt_len, &pk[i]);
		f[i] = (struct vsw_acl_frame){ rte_pktmbuf_mtod(pkts[i], const uint8_t *), &pk[i],
					       pkts[i]->pkt_len };
	}
	vsw_acl_classify(acl, hvn_load_acquire(&d->acl_state), VSW_DIR_INBOUND, f, n, now, pass);
	return compact(d, pkts, NULL, 0, pass, n, VSW_DROP_ACL);
}

/* The switch's extensions over a batch leaving to port 'out'. */
static uint16_t egress_ext(struct dp_port *d, const struct vsw_ext_chain *ext, uint32_t out,
			   struct rte_mbuf **pkts, uint16_t n)
{
	struct hvnet_ext_meta meta[DP_TXQ];
	int32_t verdict[DP_TXQ];
	bool keep[DP_TXQ];

	for (uint16_t i = 0; i < n; i++)
		meta[i] = (struct hvnet_ext_meta){ .in_port = pkts[i]->port,
						   .out_port = (uint16_t)out,
						   .vlan = pkts[i]->vlan_tci & 0xfff };
	vsw_ext_chain_run(ext, HVNET_EXT_EGRESS, pkts, meta, n, verdict);
	for (uint16_t i = 0; i < n; i++)
		keep[i] = verdict[i] != HVNET_EXT_DROP;
	return compact(d, pkts, NULL, 0, keep, n, VSW_DROP_EXTENSION);
}

/* Hand port d's batch over: its inbound ACLs, the extensions' egress,
 * mirrors, its 802.1Q tagging, a capture, then the port. A multi-queue
 * vNIC picks each frame's queue (its guest's RSS); runs of one queue go in
 * one burst. */
static void tx_flush(struct vsw_dp *dp, struct dp_port *d, uint32_t now)
{
	uint16_t queues[DP_TXQ], i = 0, nq, n = d->tx_n;
	const struct vsw_port_cfg *c;
	struct vsw_acl_rules *acl;
	const struct vsw_ext_chain *ext;
	const struct dp_mirrors *mir;
	struct hvn_port *hp;
	uint32_t out = (uint32_t)(d - dp->ports);

	if (!n)
		return;
	d->tx_n = 0;
	/* The control thread may have just unpublished the port; the object
	 * itself lives until our next quiescent state. */
	hp = hvn_load_acquire(&d->port);
	if (!hp) {
		d->st.drops[VSW_DROP_TX_FULL] += n;
		rte_pktmbuf_free_bulk(d->tx, n);
		return;
	}
	acl = hvn_load_acquire(&d->acl);
	if (hvn_unlikely(acl != NULL) && vsw_acl_rules_active(acl, VSW_DIR_INBOUND))
		n = egress_acl(d, acl, d->tx, n, now);
	ext = hvn_load_acquire(&dp->ext);
	if (hvn_unlikely(ext != NULL) && n)
		n = egress_ext(d, ext, out, d->tx, n);
	mir = hvn_load_acquire(&dp->mirrors);
	c = hvn_load_acquire(&d->cfg);
	for (uint16_t k = 0; k < n; k++) {
		struct rte_mbuf *m = d->tx[k];
		uint16_t vlan = m->vlan_tci & 0xfff;

		if (hvn_unlikely(mir != NULL))
			mirror_egress(dp, mir, out, m);
		/* Mirror copies show their VLAN whatever the output port's
		 * mode: an analyser wants to see it. */
		if (vlan && ((c->vlan.mode == VSW_VLAN_TRUNK && vlan != c->vlan.native_vlan) ||
			     (mir && (mir->outputs >> out & 1)))) {
			if (rte_vlan_insert(&d->tx[k]) != 0) {
				d->st.drops[VSW_DROP_NOMBUF]++;
				rte_pktmbuf_free(d->tx[k]);
				d->tx[k] = NULL;
			}
		}
	}
	if (hvn_unlikely(mir != NULL)) {
		uint16_t j = 0;

		for (uint16_t k = 0; k < n; k++)
			if (d->tx[k])
				d->tx[j++] = d->tx[k];
		n = j;
	}
	capture(d, d->tx, n, VSW_DIR_INBOUND);
	nq = hp->ops->nb_queues(hp->priv);
	if (nq > 1 && hp->ops->steer)
		hp->ops->steer(hp->priv, d->tx, n, queues);
	else
		memset(queues, 0, n * sizeof(queues[0]));
	while (i < n) {
		uint16_t j = i + 1, sent, q = queues[i] < nq ? queues[i] : 0;

		while (j < n && queues[j] == queues[i])
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
}

/* Queue 'm' (VLAN 'vlan', untagged in memory) for port d. */
static void tx_enqueue(struct vsw_dp *dp, struct dp_port *d, struct rte_mbuf *m, uint16_t vlan,
		       uint16_t pcp)
{
	m->vlan_tci = (uint16_t)(vlan | pcp << 13);
	if (d->tx_n == DP_TXQ)
		tx_flush(dp, d, dp->now_s);
	d->tx[d->tx_n++] = m;
}

static void flood(struct vsw_dp *dp, uint32_t in, struct rte_mbuf *m, uint16_t vlan,
		  uint16_t pcp)
{
	uint32_t n = hvn_load_acquire(&dp->nports), last = UINT32_MAX;
	const struct dp_mirrors *mir = hvn_load_acquire(&dp->mirrors);
	uint64_t outputs = mir ? mir->outputs : 0;

	/* The original goes to the last member; the others get copies. */
	for (uint32_t i = 0; i < n; i++) {
		struct dp_port *d = &dp->ports[i];

		if (i == in || (outputs >> i & 1) || !hvn_load_acquire(&d->port) ||
		    !port_in_vlan(hvn_load_acquire(&d->cfg), vlan))
			continue;
		if (last != UINT32_MAX) {
			struct rte_mbuf *c = rte_pktmbuf_copy(m, dp->mp, 0, UINT32_MAX);

			if (!c) {
				dp->ports[last].st.drops[VSW_DROP_NOMBUF]++;
			} else {
				dp->ports[last].st.flooded++;
				tx_enqueue(dp, &dp->ports[last], c, vlan, pcp);
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
	tx_enqueue(dp, &dp->ports[last], m, vlan, pcp);
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

/* Hyper-V's port guards (Set-VMNetworkAdapter, reference
 * vswitch-vmq-sriov-e1000.md §1.1), on what a port sends into the switch.
 * Returns the drop reason or VSW_DROP_REASONS to let the frame pass. */
static enum vsw_drop guard(const struct vsw_port_cfg *c, const struct rte_mbuf *m,
			   const struct vsw_pkt *pk)
{
	const struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	const uint8_t *l4 = rte_pktmbuf_mtod_offset(m, const uint8_t *, pk->l4_off);
	bool v6 = pk->l3 == VSW_L3_IPV6;

	if (c->sec.mac_spoof_guard && memcmp(eh->src_addr.addr_bytes, c->sec.mac, 6))
		return VSW_DROP_MAC_SPOOF;
	/* Headers the parser could not see to the end of may hide either. */
	if ((c->sec.dhcp_guard || c->sec.router_guard) &&
	    (pk->flags & (VSW_PKT_CHAIN_LONG | VSW_PKT_SPLIT)))
		return c->sec.router_guard ? VSW_DROP_ROUTER_GUARD : VSW_DROP_DHCP_GUARD;
	if (!(pk->flags & VSW_PKT_L4))
		return VSW_DROP_REASONS;
	/* Servers and relays answer from 67 (RFC 2131) or 547 (RFC 8415). */
	if (c->sec.dhcp_guard && pk->proto == IPPROTO_UDP &&
	    ((!v6 && pk->sport == 67) || (v6 && pk->sport == 547)))
		return VSW_DROP_DHCP_GUARD;
	if (c->sec.router_guard) {
		/* ICMPv6 Router Advertisement 134 and Redirect 137 (RFC 4861);
		 * ICMP Redirect 5 (RFC 792). */
		if (v6 && pk->proto == IPPROTO_ICMPV6 && (l4[0] == 134 || l4[0] == 137))
			return VSW_DROP_ROUTER_GUARD;
		if (!v6 && pk->proto == IPPROTO_ICMP && l4[0] == 5)
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

/* Per-frame state through the ingress stages, compacted with the frames. */
struct dp_ing {
	int32_t fwd;                 /* a forwarding extension's port, or < 0 */
	uint64_t skey, dkey;
	struct vsw_pkt pk;
};

/* The ingress stages that see a whole burst: 802.1Q, parsing, mirrors,
 * the extensions, the guards and the outbound ACLs. Returns the frames
 * left for learning and forwarding. */
static uint16_t ingress(struct vsw_dp *dp, uint32_t in, struct dp_port *p,
			const struct vsw_port_cfg *c, struct rte_mbuf **pkts, struct dp_ing *g,
			uint16_t n, uint32_t now)
{
	bool keep[DP_BURST];
	const struct dp_mirrors *mir;
	const struct vsw_ext_chain *ext;
	struct vsw_acl_rules *acl;
	uint16_t k = 0;

	capture(p, pkts, n, VSW_DIR_OUTBOUND);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eh;
		uint16_t pcp;
		int vlan;

		p->st.rx_packets++;
		p->st.rx_bytes += m->pkt_len;
		vlan = classify(p, c, m, &pcp, dp->max_frame);
		if (vlan < 0) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (hvn_unlikely(vsw_parse_seg(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len,
					       m->pkt_len, &g[k].pk) != 0)) {
			p->st.drops[VSW_DROP_MALFORMED]++;
			rte_pktmbuf_free(m);
			continue;
		}
		m->port = (uint16_t)in;
		m->vlan_tci = (uint16_t)(vlan | pcp << 13);
		g[k].fwd = -1;
		eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		g[k].skey = vsw_fdb_key(eh->src_addr.addr_bytes, (uint16_t)vlan);
		g[k].dkey = vsw_fdb_key(eh->dst_addr.addr_bytes, (uint16_t)vlan);
		/* Both buckets, so learning and the lookup later find them in
		 * cache: with a large table each is otherwise a miss. */
		rte_prefetch0(&dp->fdb.tab[vsw_fdb_slot(&dp->fdb, g[k].skey)]);
		rte_prefetch0(&dp->fdb.tab[vsw_fdb_slot(&dp->fdb, g[k].dkey)]);
		pkts[k++] = m;
	}
	n = k;
	mir = hvn_load_acquire(&dp->mirrors);
	if (hvn_unlikely(mir != NULL))
		for (uint16_t i = 0; i < n; i++)
			mirror_ingress(dp, mir, in, pkts[i]);
	ext = hvn_load_acquire(&dp->ext);
	if (hvn_unlikely(ext != NULL) && n) {
		struct hvnet_ext_meta meta[DP_BURST];
		int32_t verdict[DP_BURST];

		for (uint16_t i = 0; i < n; i++)
			meta[i] = (struct hvnet_ext_meta){ .in_port = (uint16_t)in, .out_port = 0xffff,
							   .vlan = pkts[i]->vlan_tci & 0xfff };
		vsw_ext_chain_run(ext, HVNET_EXT_INGRESS, pkts, meta, n, verdict);
		for (uint16_t i = 0; i < n; i++) {
			/* A filter may have rewritten the addresses. */
			const struct rte_ether_hdr *eh =
				rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
			uint16_t vlan = pkts[i]->vlan_tci & 0xfff;

			keep[i] = verdict[i] != HVNET_EXT_DROP;
			g[i].fwd = verdict[i] >= 0 && verdict[i] < DP_MAX_PORTS ? verdict[i] : -1;
			g[i].skey = vsw_fdb_key(eh->src_addr.addr_bytes, vlan);
			g[i].dkey = vsw_fdb_key(eh->dst_addr.addr_bytes, vlan);
		}
		n = compact(p, pkts, g, sizeof(*g), keep, n, VSW_DROP_EXTENSION);
	}
	if (hvn_unlikely(c->sec.mac_spoof_guard || c->sec.dhcp_guard || c->sec.router_guard)) {
		for (uint16_t i = 0; i < n; i++) {
			enum vsw_drop why = guard(c, pkts[i], &g[i].pk);

			keep[i] = why == VSW_DROP_REASONS;
			if (!keep[i])
				p->st.drops[why]++;
		}
		/* Counted above, per reason. */
		k = 0;
		for (uint16_t i = 0; i < n; i++) {
			if (!keep[i]) {
				rte_pktmbuf_free(pkts[i]);
				continue;
			}
			pkts[k] = pkts[i];
			g[k++] = g[i];
		}
		n = k;
	}
	acl = hvn_load_acquire(&p->acl);
	if (hvn_unlikely(acl != NULL) && n && vsw_acl_rules_active(acl, VSW_DIR_OUTBOUND)) {
		struct vsw_acl_frame f[DP_BURST];

		for (uint16_t i = 0; i < n; i++)
			f[i] = (struct vsw_acl_frame){ rte_pktmbuf_mtod(pkts[i], const uint8_t *),
						       &g[i].pk, pkts[i]->pkt_len };
		vsw_acl_classify(acl, hvn_load_acquire(&p->acl_state), VSW_DIR_OUTBOUND, f, n, now,
				 keep);
		n = compact(p, pkts, g, sizeof(*g), keep, n, VSW_DROP_ACL);
	}
	return n;
}

static void process(struct vsw_dp *dp, uint32_t in, struct rte_mbuf **pkts, uint16_t n,
		    uint32_t now)
{
	struct dp_port *p = &dp->ports[in];
	const struct vsw_port_cfg *c = hvn_load_acquire(&p->cfg);
	struct dp_ing g[DP_BURST];

	n = ingress(dp, in, p, c, pkts, g, n, now);
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
		uint16_t vlan = m->vlan_tci & 0xfff, pcp = m->vlan_tci >> 13;
		struct vsw_fdb_entry *e;

		if (hvn_unlikely(rte_is_multicast_ether_addr(&eh->src_addr) ||
				 rte_is_zero_ether_addr(&eh->src_addr))) {
			p->st.drops[VSW_DROP_BAD_SRC]++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (!learn(dp, in, p, c, g[i].skey, now)) {
			rte_pktmbuf_free(m);
			continue;
		}
		if (hvn_unlikely(g[i].fwd >= 0)) {
			struct dp_port *d = &dp->ports[g[i].fwd];

			/* The forwarding extension decided; the port must still
			 * exist and not be the one it came from. */
			if ((uint32_t)g[i].fwd == in || !hvn_load_acquire(&d->port)) {
				p->st.drops[VSW_DROP_NO_PORT]++;
				rte_pktmbuf_free(m);
			} else {
				tx_enqueue(dp, d, m, vlan, pcp);
			}
			continue;
		}
		if (rte_is_multicast_ether_addr(&eh->dst_addr) ||
		    !(e = vsw_fdb_lookup(&dp->fdb, g[i].dkey))) {
			if (storm_ok(p, c, now))
				flood(dp, in, m, vlan, pcp);
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
					flood(dp, in, m, vlan, pcp);
				else
					rte_pktmbuf_free(m);
			} else {
				tx_enqueue(dp, d, m, vlan, pcp);
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
	if (r->now - e->seen > hvn_load_relaxed(&r->dp->aging_s)) {
		if (p->macs_gen == e->gen && p->macs)
			p->macs--;
		r->dp->fdb.aged++;
		return true;
	}
	return false;
}

/* Max-bps shaping: refill the port's bucket; false while it is empty. */
static bool tb_ok(struct vsw_dp *dp, struct dp_port *p, const struct vsw_port_cfg *c, uint64_t tsc)
{
	uint64_t bps = c->qos.max_bps, dt;
	int64_t depth;

	if (hvn_likely(!bps))
		return true;
	depth = tb_depth(bps);
	dt = tsc - p->tb_tsc;
	/* Past a second the bucket is full whatever the rate: no overflow. */
	if (dt >= dp->tsc_per_s) {
		p->tb_tokens = depth;
	} else {
		p->tb_tokens += (int64_t)((unsigned __int128)dt * (bps / 8) / dp->tsc_per_s);
		if (p->tb_tokens > depth)
			p->tb_tokens = depth;
	}
	p->tb_tsc = tsc;
	if (p->tb_tokens <= 0) {
		p->st.shaped_rounds++;
		return false;
	}
	return true;
}

/* Seconds of TSC without a division per round. */
static uint32_t clock_s(struct vsw_dp *dp, uint64_t tsc)
{
	if (hvn_unlikely(tsc - dp->sec_tsc >= dp->tsc_per_s)) {
		dp->now_s = (uint32_t)(tsc / dp->tsc_per_s);
		dp->sec_tsc = (uint64_t)dp->now_s * dp->tsc_per_s;
	}
	return dp->now_s;
}

unsigned int vsw_dp_poll(struct vsw_dp *dp)
{
	return vsw_dp_poll_at(dp, rte_get_tsc_cycles());
}

unsigned int vsw_dp_poll_at(struct vsw_dp *dp, uint64_t tsc)
{
	struct rte_mbuf *pkts[DP_BURST];
	struct dp_round r = { dp, clock_s(dp, tsc) };
	uint32_t n = hvn_load_acquire(&dp->nports);
	const struct dp_mirrors *mir = hvn_load_acquire(&dp->mirrors);
	uint64_t outputs = mir ? mir->outputs : 0;
	unsigned int total = 0;

	for (uint32_t i = 0; i < n; i++) {
		struct dp_port *p = &dp->ports[i];
		struct hvn_port *hp = hvn_load_acquire(&p->port);
		const struct vsw_port_cfg *c;
		uint16_t nq, got, quota;

		/* A mirror's output port takes no part in forwarding. */
		if (!hp || (outputs >> i & 1))
			continue;
		c = hvn_load_acquire(&p->cfg);
		if (!tb_ok(dp, p, c, tsc))
			continue;
		quota = hvn_load_relaxed(&p->quota);
		nq = hp->ops->nb_queues(hp->priv);
		for (uint16_t q = 0; q < nq; q++) {
			got = hp->ops->rx_burst(hp->priv, q, pkts, quota);
			if (got) {
				if (hvn_unlikely(c->qos.max_bps))
					for (uint16_t k = 0; k < got; k++)
						p->tb_tokens -= pkts[k]->pkt_len;
				process(dp, i, pkts, got, r.now);
				total += got;
			}
		}
	}
	for (uint32_t i = 0; i < n; i++)
		if (hvn_load_acquire(&dp->ports[i].port))
			tx_flush(dp, &dp->ports[i], r.now);
	if (tsc - dp->sweep_tsc >= dp->sweep_period) {
		dp->sweep_tsc = tsc;
		vsw_fdb_sweep(&dp->fdb, DP_AGE_BUDGET, expired, &r);
	}
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
