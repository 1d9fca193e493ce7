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

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "vswitch/vsw_ctl_server.h"
#include "vswitch/vsw_daemon.h"
#include "vswitch/vsw_model.h"
#include "vswitch/vsw_store.h"

#define DEFAULT_DB "/var/lib/hvnet/vswitchd.db"
#define DEFAULT_VMBUS_SOCKET "/run/hvnet/vmbus.sock"

/* ---- the datapath's side of a change ---- */

/* Policy the datapath does not enforce yet is refused, not stored and
 * ignored: an operator must never believe a limit is on when it is not. */
static int unenforced(const struct vsw_port_cfg *p, char *why, size_t len)
{
	static const uint8_t zero[6];

	if (p->qos.max_bps || p->qos.min_weight) {
		snprintf(why, len, "port %s: bandwidth limits are not enforced by this vswitchd's "
			 "datapath yet; nothing was changed", p->name);
		return -EOPNOTSUPP;
	}
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
};

static int dp_apply(void *ctx, const struct vsw_change *c, const struct vsw_model *m, char *why,
		    size_t len)
{
	struct vswd *v = ctx;
	const struct vsw_model *before = v->ctl ? vsw_ctl_server_model(v->ctl) : v->before;
	int i, rc;

	switch (c->op) {
	case VSW_OP_SWITCH_CREATE:
		i = vsw_model_find_switch(m, c->sw);
		rc = vsw_daemon_switch_add(v->d, &m->switches[i], why, len);
		return rc == -EEXIST && (c->flags & VSW_F_MAY_EXIST) ? 0 : rc;
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
	vsw_ctl_stats_add(out, "rx_packets", st.rx_packets);
	vsw_ctl_stats_add(out, "rx_bytes", st.rx_bytes);
	vsw_ctl_stats_add(out, "tx_packets", st.tx_packets);
	vsw_ctl_stats_add(out, "tx_bytes", st.tx_bytes);
	vsw_ctl_stats_add(out, "flooded", st.flooded);
	vsw_ctl_stats_add(out, "learned", st.learned);
	for (int r = 0; r < VSW_DROP_REASONS; r++) {
		char name[VSW_STATS_NAME_MAX];

		snprintf(name, sizeof(name), "drop_%s", vsw_drop_name((enum vsw_drop)r));
		for (char *s = name; *s; s++)
			if (*s == '-')
				*s = '_';
		vsw_ctl_stats_add(out, name, st.drops[r]);
	}
	return 0;
}

static const struct vsw_ctl_ops ctl_ops = {
	.apply = dp_apply,
	.stats = dp_stats,
};

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
	struct vswd v = { 0 };
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
	dc.worker_lcore = rte_get_next_lcore(-1, 1, 0);
	if (dc.worker_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "vswitchd: the datapath needs a second lcore: give EAL -l 0,1\n");
		return 1;
	}
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
		if (poll(pfd, 3, 500) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			vsw_ctl_server_process(v.ctl);
		if (pfd[1].revents || pfd[2].revents)
			vsw_daemon_process(v.d);
	}
	fprintf(stderr, "vswitchd: stopping\n");
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
