/* A vswitchd with a recording datapath, for testing the control plane end
 * to end: the real store and control socket, and callbacks that write
 * every change they are given to a log (one line each), refuse changes
 * that name --fail NAME once started (a datapath that says no), report made-up
 * counters and write a pcap header into a capture's file.
 *
 *   vsw-testd --socket PATH --db PATH [--log FILE] [--fail NAME]
 *             [--mode OCTAL] [--group GID]
 *
 * At start it loads the store and replays it through the same apply
 * callback (log lines after "== start"), as vswitchd builds its datapath.
 * SIGTERM or SIGINT stop it cleanly (socket removed, store closed). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "vswitch/vsw_ctl_server.h"
#include "vswitch/vsw_store.h"

struct testd {
	FILE *log;
	const char *fail;
	char capturing[VSW_NAME_MAX];
};

static const char *or_dash(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

static int apply(void *ctx, const struct vsw_change *c, const struct vsw_model *m, char *why,
		 size_t len)
{
	struct testd *t = ctx;

	if (t->fail != NULL && (strcmp(c->port, t->fail) == 0 || strcmp(c->name, t->fail) == 0 ||
				strcmp(c->sw, t->fail) == 0)) {
		snprintf(why, len, "the test datapath refuses anything named %s", t->fail);
		return -EIO;
	}
	fprintf(t->log, "%s %s %s %s switches %u ports %u acls %u mirrors %u extensions %u\n",
		vsw_op_name(c->op), or_dash(c->sw), or_dash(c->port), or_dash(c->name),
		m->n_switches, m->n_ports, m->n_acls, m->n_mirrors, m->n_exts);
	fflush(t->log);
	return 0;
}

static int stats(void *ctx, const struct vsw_port_cfg *p, struct vsw_ctl_stats *out, char *why,
		 size_t len)
{
	uint64_t n = strlen(p->name);

	(void)ctx;
	(void)why;
	(void)len;
	out->attached = p->kind != VSW_PORT_VNIC;
	vsw_ctl_stats_add(out, "rx_packets", n * 100);
	vsw_ctl_stats_add(out, "rx_bytes", n * 6400);
	vsw_ctl_stats_add(out, "tx_packets", n * 10);
	vsw_ctl_stats_add(out, "tx_bytes", n * 640);
	vsw_ctl_stats_add(out, "drop_acl", n);
	return 0;
}

static int capture(void *ctx, const struct vsw_change *c, int fd, char *why, size_t len)
{
	/* libpcap's file header: magic, version 2.4, zone, sigfigs, snaplen,
	 * Ethernet. */
	const uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0,
				  c->capture.snaplen != 0 ? c->capture.snaplen : 65535, 1 };
	struct testd *t = ctx;
	ssize_t n;

	if (c->op == VSW_OP_CAPTURE_STOP) {
		if (strcmp(t->capturing, c->port) != 0) {
			snprintf(why, len, "no capture runs on port %s", c->port);
			return -ENOENT;
		}
		t->capturing[0] = '\0';
		return 0;
	}
	n = write(fd, hdr, sizeof(hdr));
	close(fd);
	if (n != (ssize_t)sizeof(hdr)) {
		snprintf(why, len, "cannot write the capture file");
		return -EIO;
	}
	memcpy(t->capturing, c->port, VSW_NAME_MAX);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: vsw-testd --socket PATH --db PATH [--log FILE] [--fail NAME] "
			"[--mode OCTAL] [--group GID]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct vsw_ctl_server_opts o = { .gid = (gid_t)-1 };
	struct vsw_ctl_ops ops = { .apply = apply, .stats = stats, .capture = capture };
	struct testd t = { .log = stdout };
	const char *fail = NULL;
	struct vsw_ctl_server *srv = NULL;
	struct vsw_store *store = NULL;
	struct vsw_model *m = NULL;
	const char *db = NULL;
	char why[1024];
	sigset_t sigs;
	int sfd, rc = 1;

	for (int i = 1; i < argc; i += 2) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return usage();
		if (strcmp(argv[i], "--socket") == 0)
			o.path = v;
		else if (strcmp(argv[i], "--db") == 0)
			db = v;
		else if (strcmp(argv[i], "--fail") == 0)
			fail = v;
		else if (strcmp(argv[i], "--mode") == 0)
			o.mode = (mode_t)strtoul(v, NULL, 8);
		else if (strcmp(argv[i], "--group") == 0)
			o.gid = (gid_t)strtoul(v, NULL, 10);
		else if (strcmp(argv[i], "--log") == 0 && (t.log = fopen(v, "a")) == NULL)
			return perror(v), 1;
		else if (strcmp(argv[i], "--log") != 0)
			return usage();
	}
	if (o.path == NULL || db == NULL)
		return usage();
	/* Signals arrive as readable data: no handler, no global flag. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	m = vsw_model_new();
	if (sfd < 0 || m == NULL) {
		fprintf(stderr, "vsw-testd: cannot set up: %s\n", strerror(errno));
		return 1;
	}
	if (vsw_store_open(&store, db, why, sizeof(why)) < 0 ||
	    vsw_store_load(store, m, why, sizeof(why)) < 0) {
		fprintf(stderr, "vsw-testd: %s\n", why);
		goto out;
	}
	fprintf(t.log, "== start\n");
	if (vsw_model_replay(m, apply, &t, why, sizeof(why)) < 0) {
		fprintf(stderr, "vsw-testd: the datapath refused the stored configuration: %s\n",
			why);
		goto out;
	}
	fflush(t.log);
	/* Refusing starts after the replay: the stored configuration is one
	 * this datapath took before. */
	t.fail = fail;
	rc = vsw_ctl_server_open(&srv, &o, store, m, &ops, &t, why, sizeof(why));
	m = NULL;
	if (rc < 0) {
		fprintf(stderr, "vsw-testd: %s\n", why);
		rc = 1;
		goto out;
	}
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = vsw_ctl_server_fd(srv), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents != 0)
			break;
		if (p[0].revents != 0 && vsw_ctl_server_process(srv) < 0)
			break;
	}
	rc = 0;
out:
	vsw_ctl_server_close(srv);
	vsw_store_close(store);
	vsw_model_free(m);
	if (t.log != stdout)
		fclose(t.log);
	close(sfd);
	return rc;
}
