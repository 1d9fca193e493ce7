/* vswitchd: the switch daemon. It hosts the switches and their datapath
 * (one worker lcore), the VMBus host for process partitions with netVSP,
 * and vswitchctl's control socket. The configuration lives in an SQLite
 * store: read at start and replayed into the datapath with the same code
 * that applies changes, so a restart comes back as it was.
 *
 *   vswitchd [EAL args] -- [--db PATH] [--ctl-socket PATH]
 *            [--vmbus-socket PATH] [--default-config]
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pthread.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mempool.h>
#include <rte_telemetry.h>

#include "common/hvn_proc.h"

#include "vswitch/vsw_ctl_server.h"
#include "vswitch/vsw_daemon.h"
#include "vswitch/vsw_ext.h"
#include "vswitch/vsw_model.h"
#include "vswitch/vsw_store.h"

#define DEFAULT_DB "/var/lib/hvnet/vswitchd.db"
#define DEFAULT_VMBUS_SOCKET "/run/hvnet/vmbus.sock"
/* ACLs whose hits `stats` shows per port (the counters a reply holds are
 * bounded). */
#define VSW_STATS_ACL_HITS 8

/* ---- the datapath's side of a change ---- */

/* Policy the datapath cannot enforce as given is refused, not stored and
 * ignored: an operator must never believe a guard is on when it is not. */
static int unenforced(const struct vsw_port_cfg *p, char *why, size_t len)
{
	static const uint8_t zero[6];

	/* A vNIC's own MAC is known; another port's must be given. */
	if (p->sec.mac_spoof_guard && p->kind != VSW_PORT_VNIC && !memcmp(p->sec.mac, zero, 6)) {
		snprintf(why, len, "port %s: the MAC spoofing guard needs the port's MAC "
			 "(vswitchctl port security %s --mac MAC)", p->name, p->name);
		return -EINVAL;
	}
	return 0;
}

static int purge_switch(struct vsw_daemon *d, const struct vsw_change *c,
			const struct vsw_model *before, char *why, size_t len)
{
	for (unsigned int i = 0; i < before->n_ports; i++)
		if (!strcmp(before->ports[i].sw, c->sw))
			vsw_daemon_port_del(d, before->ports[i].name, why, len);
	return vsw_daemon_switch_del(d, c->sw, why, len);
}

struct vswd {
	struct vsw_daemon *d;
	struct vsw_model *before;    /* the model before the change being applied */
	struct vsw_ctl_server *ctl;
	/* Held by the control loop while it works and by DPDK's telemetry
	 * thread while it reads, so a reader never sees a port half gone. */
	pthread_mutex_t lock;
};

/* A port's ACLs as the model has them (contiguous: the model keeps ACLs
 * ordered by port). At start the compilation waits for the whole replay. */
static int port_acls(struct vswd *v, const char *port, const struct vsw_model *m, char *why,
		     size_t len)
{
	unsigned int first, n = vsw_model_port_acls(m, port, &first);
	int rc = vsw_daemon_port_acls(v->d, port, n ? &m->acls[first] : NULL, n, v->ctl == NULL,
				      why, len);

	return rc == -ENOENT ? 0 : rc;   /* a port the datapath refused earlier */
}

/* The switch's extensions in the model's order. */
static int ext_order(struct vswd *v, const char *sw, const struct vsw_model *m, char *why,
		     size_t len)
{
	char names[VSW_MAX_EXTENSIONS][VSW_NAME_MAX];
	unsigned int n = 0;

	for (unsigned int i = 0; i < m->n_exts; i++)
		if (!strcmp(m->exts[i].sw, sw))
			memcpy(names[n++], m->exts[i].name, VSW_NAME_MAX);
	return vsw_daemon_ext_order(v->d, sw, (const char (*)[VSW_NAME_MAX])names, n, why, len);
}

static int switch_mirrors(struct vswd *v, const char *sw, const struct vsw_model *m, char *why,
			  size_t len)
{
	struct vsw_mirror_cfg *list = NULL;
	unsigned int n = 0;
	int rc;

	if (m->n_mirrors && !(list = malloc(m->n_mirrors * sizeof(*list)))) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < m->n_mirrors; i++)
		if (!strcmp(m->mirrors[i].sw, sw))
			list[n++] = m->mirrors[i];
	rc = vsw_daemon_mirrors(v->d, sw, list, n, why, len);
	free(list);
	return rc;
}

/* An lcore no worker runs on: refused when asked for now; at start (the
 * EAL lcores changed since it was stored) the switch runs on another and
 * the log says so, rather than not running at all. */
static int lcore_check(struct vswd *v, const struct vsw_switch_cfg *w, char *why, size_t len)
{
	char list[128];

	if (w->lcore == VSW_LCORE_AUTO || vsw_daemon_lcore_ok(v->d, w->lcore, list, sizeof(list)))
		return 0;
	if (v->ctl == NULL) {
		fprintf(stderr, "vswitchd: switch %s: lcore %d runs no worker now (workers: %s); "
			"it runs on another until vswitchd has that lcore again or 'vswitchctl "
			"switch set %s --lcore' picks one\n", w->name, w->lcore, list, w->name);
		return 0;
	}
	snprintf(why, len, "lcore %d runs no worker of this vswitchd (its workers: %s); pick one "
		 "of those, or restart vswitchd with EAL -l/--lcores that include %d", w->lcore,
		 list, w->lcore);
	return -EINVAL;
}

static int dp_apply(void *ctx, const struct vsw_change *c, const struct vsw_model *m, char *why,
		    size_t len)
{
	struct vswd *v = ctx;
	const struct vsw_model *before = v->ctl ? vsw_ctl_server_model(v->ctl) : v->before;
	int i, rc;

	switch (c->op) {
	case VSW_OP_SWITCH_CREATE:
		i = vsw_model_find_switch(m, c->sw);
		rc = lcore_check(v, &m->switches[i], why, len);
		if (!rc)
			rc = vsw_daemon_switch_add(v->d, &m->switches[i], why, len);
		return rc == -EEXIST && (c->flags & VSW_F_MAY_EXIST) ? 0 : rc;
	case VSW_OP_SWITCH_SET:
		i = vsw_model_find_switch(m, c->sw);
		if (c->fields & VSW_FLD_FDB_SIZE) {
			/* The lcore owns the table; a new size means a new one. */
			snprintf(why, len, "a running switch keeps its MAC table size; delete and "
				 "create switch %s again to change it", c->sw);
			return -EOPNOTSUPP;
		}
		rc = 0;
		if (c->fields & VSW_FLD_LCORE)
			rc = lcore_check(v, &m->switches[i], why, len);
		if (!rc && (c->fields & VSW_FLD_AGING))
			rc = vsw_daemon_switch_aging(v->d, c->sw, m->switches[i].aging_s, why, len);
		if (!rc && (c->fields & VSW_FLD_LCORE))
			rc = vsw_daemon_switch_lcore(v->d, c->sw, m->switches[i].lcore, why, len);
		return rc;
	case VSW_OP_SWITCH_DELETE:
		return purge_switch(v->d, c, before, why, len);
	case VSW_OP_PORT_ADD:
		i = vsw_model_find_port(m, c->port);
		rc = unenforced(&m->ports[i], why, len);
		if (!rc)
			rc = vsw_daemon_port_add(v->d, &m->ports[i], why, len);
		return rc == -EEXIST && (c->flags & VSW_F_MAY_EXIST) ? 0 : rc;
	case VSW_OP_PORT_DELETE:
		rc = vsw_daemon_port_del(v->d, c->port, why, len);
		return rc == -ENOENT && (c->flags & VSW_F_IF_EXISTS) ? 0 : rc;
	case VSW_OP_PORT_SET:
	case VSW_OP_PORT_VLAN:
	case VSW_OP_PORT_SECURITY:
	case VSW_OP_PORT_QOS:
		i = vsw_model_find_port(m, c->port);
		rc = unenforced(&m->ports[i], why, len);
		return rc ? rc : vsw_daemon_port_set(v->d, &m->ports[i], why, len);
	case VSW_OP_ACL_ADD:
	case VSW_OP_ACL_DELETE:
	case VSW_OP_ACL_LOAD:
		return port_acls(v, c->port, m, why, len);
	case VSW_OP_MIRROR_ADD:
		return switch_mirrors(v, c->sw, m, why, len);
	case VSW_OP_MIRROR_DELETE:
		i = vsw_model_find_mirror(before, c->name);
		if (i < 0)   /* --if-exists of nothing */
			return 0;
		return switch_mirrors(v, before->mirrors[i].sw, m, why, len);
	case VSW_OP_EXT_ADD:
		i = vsw_model_find_ext(m, c->sw, c->name);
		rc = vsw_daemon_ext_add(v->d, &m->exts[i], why, len);
		return rc == -EEXIST && (c->flags & VSW_F_MAY_EXIST) ? 0 : rc;
	case VSW_OP_EXT_DELETE:
		rc = vsw_daemon_ext_del(v->d, c->sw, c->name, why, len);
		return rc == -ENOENT && (c->flags & VSW_F_IF_EXISTS) ? 0 : rc;
	case VSW_OP_EXT_ENABLE:
	case VSW_OP_EXT_DISABLE:
		i = vsw_model_find_ext(m, c->sw, c->name);
		return vsw_daemon_ext_set(v->d, &m->exts[i], why, len);
	case VSW_OP_EXT_MOVE:
		return ext_order(v, c->sw, m, why, len);
	default:
		snprintf(why, len, "%s is not carried out by this vswitchd's datapath yet; "
			 "nothing was changed", vsw_op_name(c->op));
		return -EOPNOTSUPP;
	}
}

static int dp_stats(void *ctx, const struct vsw_port_cfg *p, struct vsw_ctl_stats *out,
		    char *why, size_t len)
{
	struct vswd *v = ctx;
	struct vsw_port_stats st;
	int rc = vsw_daemon_port_stats(v->d, p->name, &st);

	if (rc && rc != -ENOTCONN) {
		snprintf(why, len, "port %s: %s", p->name, strerror(-rc));
		return rc;
	}
	out->attached = rc == 0;
	rc = vsw_daemon_port_lcore(v->d, p->name);
	out->lcore = rc >= 0 ? rc : -1;
	vsw_ctl_stats_add(out, "rx_packets", st.rx_packets);
	vsw_ctl_stats_add(out, "rx_bytes", st.rx_bytes);
	vsw_ctl_stats_add(out, "tx_packets", st.tx_packets);
	vsw_ctl_stats_add(out, "tx_bytes", st.tx_bytes);
	vsw_ctl_stats_add(out, "flooded", st.flooded);
	vsw_ctl_stats_add(out, "learned", st.learned);
	vsw_ctl_stats_add(out, "mirrored", st.mirrored);
	vsw_ctl_stats_add(out, "shaped_rounds", st.shaped_rounds);
	for (int r = 0; r < VSW_DROP_REASONS; r++) {
		char name[VSW_STATS_NAME_MAX];

		snprintf(name, sizeof(name), "drop_%s", vsw_drop_name((enum vsw_drop)r));
		for (char *s = name; *s; s++)
			if (*s == '-')
				*s = '_';
		vsw_ctl_stats_add(out, name, st.drops[r]);
	}
	/* The port's first ACLs' hits, in `acl list` order: what a meter
	 * is read with. */
	for (unsigned int i = 0; i < VSW_STATS_ACL_HITS; i++) {
		char name[VSW_STATS_NAME_MAX];
		uint64_t frames, bytes;

		if (vsw_daemon_acl_hits(v->d, p->name, i, &frames, &bytes))
			break;
		snprintf(name, sizeof(name), "acl%u_frames", i);
		vsw_ctl_stats_add(out, name, frames);
		snprintf(name, sizeof(name), "acl%u_bytes", i);
		vsw_ctl_stats_add(out, name, bytes);
	}
	return 0;
}

static int dp_capture(void *ctx, const struct vsw_change *c, int fd, char *why, size_t len)
{
	struct vswd *v = ctx;

	if (c->op == VSW_OP_CAPTURE_START)
		return vsw_daemon_capture_start(v->d, c->port, &c->capture, fd, why, len);
	return vsw_daemon_capture_stop(v->d, c->port, why, len);
}

static const struct vsw_ctl_ops ctl_ops = {
	.apply = dp_apply,
	.stats = dp_stats,
	.capture = dp_capture,
};

/* ---- DPDK telemetry: the counters `vswitchctl stats` shows, for
 * collectors that speak DPDK's telemetry socket (dpdk-telemetry.py):
 *   /hvnet/ports               port names
 *   /hvnet/port_stats,PORT     a port's counters
 *   /hvnet/switches            switch names with their learned MACs
 * Telemetry callbacks take no context pointer, so the daemon's lives in
 * this file (main's), set once before the callbacks are registered. */
static struct vswd *tel_vswd;

static int tel_ports(const char *cmd, const char *params, struct rte_tel_data *out)
{
	const struct vsw_model *m;

	(void)cmd;
	(void)params;
	rte_tel_data_start_array(out, RTE_TEL_STRING_VAL);
	pthread_mutex_lock(&tel_vswd->lock);
	m = tel_vswd->ctl ? vsw_ctl_server_model(tel_vswd->ctl) : NULL;
	for (unsigned int i = 0; m && i < m->n_ports; i++)
		rte_tel_data_add_array_string(out, m->ports[i].name);
	pthread_mutex_unlock(&tel_vswd->lock);
	return 0;
}

static int tel_port_stats(const char *cmd, const char *params, struct rte_tel_data *out)
{
	struct vsw_ctl_stats st;
	const struct vsw_model *m;
	char why[256];
	int i, rc = -EINVAL;

	(void)cmd;
	if (!params || !*params)
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	pthread_mutex_lock(&tel_vswd->lock);
	m = tel_vswd->ctl ? vsw_ctl_server_model(tel_vswd->ctl) : NULL;
	i = m ? vsw_model_find_port(m, params) : -1;
	if (i >= 0)
		rc = dp_stats(tel_vswd, &m->ports[i], &st, why, sizeof(why));
	pthread_mutex_unlock(&tel_vswd->lock);
	if (rc)
		return rc;
	rte_tel_data_start_dict(out);
	rte_tel_data_add_dict_int(out, "attached", st.attached);
	for (unsigned int k = 0; k < st.n; k++)
		rte_tel_data_add_dict_u64(out, st.c[k].name, st.c[k].value);
	return 0;
}

static int tel_switches(const char *cmd, const char *params, struct rte_tel_data *out)
{
	const struct vsw_model *m;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(out);
	pthread_mutex_lock(&tel_vswd->lock);
	m = tel_vswd->ctl ? vsw_ctl_server_model(tel_vswd->ctl) : NULL;
	for (unsigned int i = 0; m && i < m->n_switches; i++) {
		struct vsw_dp_stats ds;

		if (vsw_daemon_switch_stats(tel_vswd->d, m->switches[i].name, &ds) == 0)
			rte_tel_data_add_dict_u64(out, m->switches[i].name, ds.fdb_entries);
	}
	pthread_mutex_unlock(&tel_vswd->lock);
	return 0;
}

/* Each worker lcore: the switches it polls and where its time goes. */
static int tel_lcores(const char *cmd, const char *params, struct rte_tel_data *out)
{
	uint64_t hz = rte_get_tsc_hz();

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(out);
	pthread_mutex_lock(&tel_vswd->lock);
	for (unsigned int k = 0; k < vsw_daemon_workers(tel_vswd->d); k++) {
		struct vsw_worker_stats ws;
		struct rte_tel_data *e, *sw;
		char name[16];
		uint64_t all;

		vsw_daemon_worker_stats(tel_vswd->d, k, &ws);
		if ((e = rte_tel_data_alloc()) == NULL)
			continue;
		if ((sw = rte_tel_data_alloc()) == NULL) {
			rte_tel_data_free(e);
			continue;
		}
		all = ws.busy_tsc + ws.idle_tsc;
		rte_tel_data_start_dict(e);
		rte_tel_data_start_array(sw, RTE_TEL_STRING_VAL);
		for (unsigned int i = 0; i < ws.n_switches; i++)
			rte_tel_data_add_array_string(sw, ws.switches[i]);
		rte_tel_data_add_dict_container(e, "switches", sw, 0);
		rte_tel_data_add_dict_u64(e, "frames", ws.frames);
		rte_tel_data_add_dict_u64(e, "busy_us", hz ? ws.busy_tsc * 1000000 / hz : 0);
		rte_tel_data_add_dict_u64(e, "idle_us", hz ? ws.idle_tsc * 1000000 / hz : 0);
		rte_tel_data_add_dict_u64(e, "busy_pct", all ? ws.busy_tsc * 100 / all : 0);
		snprintf(name, sizeof(name), "%u", ws.lcore);
		rte_tel_data_add_dict_container(out, name, e, 0);
	}
	pthread_mutex_unlock(&tel_vswd->lock);
	return 0;
}

/* A switch's extensions in chain-list order, with what each saw. */
static int tel_extensions(const char *cmd, const char *params, struct rte_tel_data *out)
{
	const struct vsw_model *m;
	unsigned int pos = 0;

	(void)cmd;
	if (params == NULL || params[0] == '\0')
		return -EINVAL;
	rte_tel_data_start_dict(out);
	pthread_mutex_lock(&tel_vswd->lock);
	m = tel_vswd->ctl ? vsw_ctl_server_model(tel_vswd->ctl) : NULL;
	for (unsigned int i = 0; m && i < m->n_exts; i++) {
		struct rte_tel_data *e;
		struct vsw_ext_stats es;

		if (strcmp(m->exts[i].sw, params) != 0)
			continue;
		pos++;
		if (vsw_daemon_ext_stats(tel_vswd->d, params, m->exts[i].name, &es) != 0 ||
		    (e = rte_tel_data_alloc()) == NULL)
			continue;
		rte_tel_data_start_dict(e);
		rte_tel_data_add_dict_u64(e, "position", pos);
		rte_tel_data_add_dict_string(e, "type", vsw_ext_type_name(m->exts[i].type));
		rte_tel_data_add_dict_int(e, "enabled", m->exts[i].enabled);
		rte_tel_data_add_dict_u64(e, "frames", es.frames);
		rte_tel_data_add_dict_u64(e, "dropped", es.dropped);
		rte_tel_data_add_dict_u64(e, "redirected", es.redirected);
		rte_tel_data_add_dict_container(out, m->exts[i].name, e, 0);
	}
	pthread_mutex_unlock(&tel_vswd->lock);
	return 0;
}

static void pool_sum(struct rte_mempool *mp, void *arg)
{
	uint64_t *kib = arg;

	*kib += (uint64_t)mp->size * (mp->header_size + mp->elt_size + mp->trailer_size) / 1024;
}

/* Where the memory goes, each part sized from the configuration: the
 * ports' mbuf pools and the DPDK heap (hugepages, or anonymous memory
 * with --no-huge), the learning tables, and the process's own heap. */
static int tel_memory(const char *cmd, const char *params, struct rte_tel_data *out)
{
	struct rte_malloc_socket_stats ms;
	const struct vsw_model *m;
	uint64_t pools = 0, fdb = 0;

	(void)cmd;
	(void)params;
	rte_mempool_walk(pool_sum, &pools);
	pthread_mutex_lock(&tel_vswd->lock);
	m = tel_vswd->ctl ? vsw_ctl_server_model(tel_vswd->ctl) : NULL;
	for (unsigned int i = 0; m && i < m->n_switches; i++) {
		struct vsw_dp_stats ds;

		if (vsw_daemon_switch_stats(tel_vswd->d, m->switches[i].name, &ds) == 0)
			fdb += (uint64_t)ds.fdb_size * 16 / 1024;
	}
	pthread_mutex_unlock(&tel_vswd->lock);
	rte_tel_data_start_dict(out);
	rte_tel_data_add_dict_u64(out, "mbuf_pools_kib", pools);
	if (rte_malloc_get_socket_stats((int)rte_socket_id(), &ms) == 0) {
		rte_tel_data_add_dict_u64(out, "dpdk_heap_kib", ms.heap_totalsz_bytes / 1024);
		rte_tel_data_add_dict_u64(out, "dpdk_heap_used_kib", ms.heap_allocsz_bytes / 1024);
	}
	rte_tel_data_add_dict_u64(out, "fdb_kib", fdb);
	rte_tel_data_add_dict_int(out, "rss_anon_kib", (int)hvn_proc_status_kib("RssAnon"));
	rte_tel_data_add_dict_int(out, "vm_hwm_kib", (int)hvn_proc_status_kib("VmHWM"));
	return 0;
}

static void telemetry_register(struct vswd *v)
{
	tel_vswd = v;
	rte_telemetry_register_cmd("/hvnet/ports", tel_ports, "vswitchd's ports. No parameters");
	rte_telemetry_register_cmd("/hvnet/port_stats", tel_port_stats,
				   "A port's counters. Parameter: the port's name");
	rte_telemetry_register_cmd("/hvnet/switches", tel_switches,
				   "vswitchd's switches and their learned MACs. No parameters");
	rte_telemetry_register_cmd("/hvnet/lcores", tel_lcores,
				   "vswitchd's worker lcores: their switches, frames, busy and idle "
				   "time. No parameters");
	rte_telemetry_register_cmd("/hvnet/extensions", tel_extensions,
				   "A switch's extensions in order, with frames seen, dropped and "
				   "redirected. Parameter: the switch's name");
	rte_telemetry_register_cmd("/hvnet/memory", tel_memory,
				   "vswitchd's memory: mbuf pools, DPDK heap, MAC tables, process "
				   "heap (KiB). No parameters");
}

/* The embedded default configuration (the main job's): a private switch
 * with a vNIC port for each of the partitions vnf-a and vnf-b. */
static int default_config(struct vsw_model *m, struct vsw_store *store, char *why, size_t len)
{
	static const char *const parts[] = { "vnf-a", "vnf-b" };
	struct vsw_change c;
	int rc;

	vsw_change_init(&c, VSW_OP_SWITCH_CREATE);
	snprintf(c.sw, sizeof(c.sw), "default");
	c.sw_cfg.type = VSW_SWITCH_PRIVATE;
	snprintf(c.sw_cfg.name, sizeof(c.sw_cfg.name), "default");
	rc = vsw_model_apply(m, &c, why, len);
	if (rc >= 0)
		rc = vsw_store_sync(store, &c, m, why, len);
	for (unsigned int i = 0; rc >= 0 && i < 2; i++) {
		vsw_change_init(&c, VSW_OP_PORT_ADD);
		snprintf(c.sw, sizeof(c.sw), "default");
		snprintf(c.port, sizeof(c.port), "%s", parts[i]);
		snprintf(c.port_cfg.name, sizeof(c.port_cfg.name), "%s", parts[i]);
		snprintf(c.port_cfg.sw, sizeof(c.port_cfg.sw), "default");
		snprintf(c.port_cfg.devargs, sizeof(c.port_cfg.devargs), "%s", parts[i]);
		c.port_cfg.kind = VSW_PORT_VNIC;
		rc = vsw_model_apply(m, &c, why, len);
		if (rc >= 0)
			rc = vsw_store_sync(store, &c, m, why, len);
	}
	return rc < 0 ? rc : 0;
}

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: vswitchd [EAL args] -- [--db PATH] [--ctl-socket PATH]\n"
		   "                [--vmbus-socket PATH] [--default-config]\n"
		   "  --db PATH            configuration store (default %s)\n"
		   "  --ctl-socket PATH    vswitchctl's socket (default %s)\n"
		   "  --vmbus-socket PATH  where process partitions connect (default %s)\n"
		   "  --default-config     with an empty store: a private switch 'default' with\n"
		   "                       vNIC ports for partitions vnf-a and vnf-b\n"
		   "EAL needs two lcores (-l 0,1): the first runs this control loop, the\n"
		   "second the datapath.\n", DEFAULT_DB, VSW_CTL_DEFAULT_SOCKET,
		DEFAULT_VMBUS_SOCKET);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, 0, 'd' },
		{ "ctl-socket", required_argument, 0, 'c' },
		{ "vmbus-socket", required_argument, 0, 'v' },
		{ "default-config", no_argument, 0, 'D' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *db = DEFAULT_DB, *ctl_path = NULL, *vmbus_path = DEFAULT_VMBUS_SOCKET;
	struct vsw_ctl_server_opts so = { .gid = (gid_t)-1 };
	struct vsw_daemon_config dc = { 0 };
	struct vswd v = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct vsw_store *store = NULL;
	struct vsw_model *m;
	bool want_default = false;
	char why[512];
	int rc, c, status = 1;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "vswitchd: DPDK EAL init failed: %s (try: vswitchd --no-huge -m 512 "
			"--no-pci -l 0,1 -- ...)\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'c': ctl_path = optarg; break;
		case 'v': vmbus_path = optarg; break;
		case 'D': want_default = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	dc.vmbus_socket = vmbus_path;
	rc = vsw_store_open(&store, db, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "vswitchd: %s\n", why);
		return 1;
	}
	m = vsw_model_new();
	if (!m || vsw_store_load(store, m, why, sizeof(why))) {
		fprintf(stderr, "vswitchd: %s\n", m ? why : "out of memory");
		goto out;
	}
	if (want_default && m->n_switches == 0 && default_config(m, store, why, sizeof(why))) {
		fprintf(stderr, "vswitchd: the default configuration: %s\n", why);
		goto out;
	}
	rc = vsw_daemon_create(&dc, &v.d, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "vswitchd: %s\n", why);
		goto out;
	}
	/* Bring the datapath to the stored configuration with the code that
	 * applies changes. */
	v.before = vsw_model_new();
	rc = v.before ? vsw_model_replay(m, dp_apply, &v, why, sizeof(why)) : -ENOMEM;
	if (!rc)
		rc = vsw_daemon_acls_commit(v.d, why, sizeof(why));
	if (rc) {
		fprintf(stderr, "vswitchd: the stored configuration in %s cannot be applied: %s "
			"(fix it with vswitchctl, or move the file away to start empty)\n", db, why);
		goto out;
	}
	fprintf(stderr, "vswitchd: %u switch(es), %u port(s) from %s\n", m->n_switches,
		m->n_ports, db);
	so.path = ctl_path;
	rc = vsw_ctl_server_open(&v.ctl, &so, store, m, &ctl_ops, &v, why, sizeof(why));
	m = NULL;   /* the server owns it now */
	if (rc) {
		fprintf(stderr, "vswitchd: %s\n", why);
		goto out;
	}
	telemetry_register(&v);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "vswitchd: ready: vswitchctl on %s, partitions on %s\n",
		vsw_ctl_server_path(v.ctl), vmbus_path);
	while (!stop_flag) {
		struct pollfd pfd[3];
		int fds[2];

		vsw_daemon_fds(v.d, fds);
		pfd[0] = (struct pollfd){ .fd = vsw_ctl_server_fd(v.ctl), .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = fds[0], .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = fds[1], .events = POLLIN };
		if (poll(pfd, 3, 100) < 0 && errno != EINTR)
			break;
		pthread_mutex_lock(&v.lock);
		if (pfd[0].revents)
			vsw_ctl_server_process(v.ctl);
		/* Every turn: it also reaps finished captures. */
		vsw_daemon_process(v.d);
		pthread_mutex_unlock(&v.lock);
	}
	fprintf(stderr, "vswitchd: stopping\n");
	/* Telemetry may still call in: it finds no server from here on. */
	pthread_mutex_lock(&v.lock);
	vsw_ctl_server_close(v.ctl);
	v.ctl = NULL;
	pthread_mutex_unlock(&v.lock);
	status = 0;
out:
	vsw_ctl_server_close(v.ctl);
	vsw_daemon_destroy(v.d);
	vsw_model_free(m);
	vsw_model_free(v.before);
	vsw_store_close(store);
	rte_eal_cleanup();
	return status;
}
