/* What vswitchd runs: switches (each a datapath), their ports (uplinks
 * from devargs, the host's tap, partitions' vNICs), the VMBus host for
 * process partitions with netVSP, and the worker lcore that polls the
 * switches. The control thread calls everything here; the configuration
 * store and vswitchctl sit above it (vsw_ctl_server). */
#ifndef VSW_DAEMON_H
#define VSW_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vswitch/vsw_config.h"
#include "vswitch/vsw_dp.h"

struct vsw_daemon;

/* Worker lcores: every EAL lcore but the main one, up to this many. */
#define VSW_MAX_WORKERS 64

struct vsw_daemon_config {
	const char *vmbus_socket;    /* where process partitions connect */
	unsigned int mbufs;          /* the copies' pool (floods, mirrors); 0 = 4095 */
};

int vsw_daemon_create(const struct vsw_daemon_config *cfg, struct vsw_daemon **out,
		      char *why, size_t len);
/* Stops the worker, removes every port and switch, closes the VMBus host. */
void vsw_daemon_destroy(struct vsw_daemon *d);

/* Each returns 0 or -errno with 'why' saying what failed and what to do.
 * A port's switch must exist; a switch must have no ports to go. */
int vsw_daemon_switch_add(struct vsw_daemon *d, const struct vsw_switch_cfg *c, char *why,
			  size_t len);
int vsw_daemon_switch_del(struct vsw_daemon *d, const char *name, char *why, size_t len);
/* Moves the switch to the worker on 'lcore' (VSW_LCORE_AUTO: the one with
 * the fewest switches). -EINVAL with 'why' when no worker runs there. */
int vsw_daemon_switch_lcore(struct vsw_daemon *d, const char *name, int lcore, char *why,
			    size_t len);
/* The switch's MAC aging time (0: the default), applied while it runs. */
int vsw_daemon_switch_aging(struct vsw_daemon *d, const char *name, uint32_t aging_s,
			    char *why, size_t len);
/* Whether a worker runs on 'lcore' (the list in 'list' for messages). */
bool vsw_daemon_lcore_ok(const struct vsw_daemon *d, int lcore, char *list, size_t len);
/* The lcore polling a port's queues: -ENOENT (no such port) or
 * -ENOTCONN (a vNIC not attached), else the lcore. */
int vsw_daemon_port_lcore(const struct vsw_daemon *d, const char *port);
/* A worker's load, i < vsw_daemon_workers(d). */
struct vsw_worker_stats {
	unsigned int lcore;
	uint64_t busy_tsc, idle_tsc, frames;
	unsigned int n_switches;
	char switches[VSW_MAX_SWITCHES][VSW_NAME_MAX];
};
unsigned int vsw_daemon_workers(const struct vsw_daemon *d);
void vsw_daemon_worker_stats(const struct vsw_daemon *d, unsigned int i,
			     struct vsw_worker_stats *out);
int vsw_daemon_port_add(struct vsw_daemon *d, const struct vsw_port_cfg *c, char *why,
			size_t len);
int vsw_daemon_port_set(struct vsw_daemon *d, const struct vsw_port_cfg *c, char *why,
			size_t len);
int vsw_daemon_port_del(struct vsw_daemon *d, const char *name, char *why, size_t len);

/* The port's ACLs, all of them (the model's list for it): compiled and
 * in force when this returns, hit counters carried over for the rules
 * that stay. With 'defer' they are only kept, and compiled by
 * vsw_daemon_acls_commit: how a restart applies thousands of stored ACLs
 * without compiling each port's set once per ACL. */
int vsw_daemon_port_acls(struct vsw_daemon *d, const char *port, const struct vsw_acl_cfg *acls,
			 unsigned int n, bool defer, char *why, size_t len);
int vsw_daemon_acls_commit(struct vsw_daemon *d, char *why, size_t len);
/* Hits of a port's i-th ACL (the order given). -ENOENT when there is no
 * such ACL or the port is not attached. */
int vsw_daemon_acl_hits(struct vsw_daemon *d, const char *port, unsigned int i,
			uint64_t *frames, uint64_t *bytes);

/* The switch's mirrors, all of them (the model's list for it). */
int vsw_daemon_mirrors(struct vsw_daemon *d, const char *sw, const struct vsw_mirror_cfg *m,
		       unsigned int n, char *why, size_t len);

/* Extensions: add loads and initialises one (enabled or not as c says);
 * set changes whether it is enabled; del unloads it. The switch's chain
 * is rebuilt and published each time. 'order' lists the switch's
 * extension names in the model's order. */
int vsw_daemon_ext_add(struct vsw_daemon *d, const struct vsw_ext_cfg *c, char *why, size_t len);
int vsw_daemon_ext_set(struct vsw_daemon *d, const struct vsw_ext_cfg *c, char *why, size_t len);
/* The switch's extensions take the order of names[0..n): the
 * configuration's, which may name some that failed to load. */
int vsw_daemon_ext_order(struct vsw_daemon *d, const char *sw, const char (*names)[VSW_NAME_MAX],
			 unsigned int n, char *why, size_t len);
int vsw_daemon_ext_del(struct vsw_daemon *d, const char *sw, const char *name, char *why,
		       size_t len);
struct vsw_ext_stats;
int vsw_daemon_ext_stats(struct vsw_daemon *d, const char *sw, const char *name,
			 struct vsw_ext_stats *out);

/* A capture of a port's frames into 'fd' as pcapng (the daemon owns fd
 * from here, on failure too), until 'count' frames or a stop. */
struct vsw_capture_cfg;
int vsw_daemon_capture_start(struct vsw_daemon *d, const char *port,
			     const struct vsw_capture_cfg *k, int fd, char *why, size_t len);
int vsw_daemon_capture_stop(struct vsw_daemon *d, const char *port, char *why, size_t len);

/* Counters of a port; -ENOENT unknown, -ENOTCONN a vNIC whose partition is
 * not connected (its counters are zero). */
int vsw_daemon_port_stats(struct vsw_daemon *d, const char *name, struct vsw_port_stats *out);
/* A switch's learning table. -ENOENT unknown. */
int vsw_daemon_switch_stats(struct vsw_daemon *d, const char *name, struct vsw_dp_stats *out);
/* Whether a port is attached to its datapath now (a vNIC's partition is
 * connected; an uplink is up). */
bool vsw_daemon_port_attached(struct vsw_daemon *d, const char *name);

/* Fds the control loop waits on, and what to call when one is readable. */
int vsw_daemon_fds(const struct vsw_daemon *d, int fds[2]);
void vsw_daemon_process(struct vsw_daemon *d);

#endif /* VSW_DAEMON_H */
