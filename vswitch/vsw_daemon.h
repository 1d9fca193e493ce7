/* What vswitchd runs: switches (each a datapath), their ports (uplinks
 * from devargs, the host's tap, partitions' vNICs), the VMBus host for
 * process partitions with netVSP, and the worker lcore that polls the
 * switches. The control thread calls everything here; the configuration
 * store and vswitchctl sit above it (vsw_ctl_server). */
#ifndef VSW_DAEMON_H
#define VSW_DAEMON_H

#include <stddef.h>

#include "vswitch/vsw_config.h"
#include "vswitch/vsw_dp.h"

struct vsw_daemon;

struct vsw_daemon_config {
	const char *vmbus_socket;    /* where process partitions connect */
	unsigned int worker_lcore;   /* polls every switch */
	unsigned int mbufs;          /* pool size; 0 = 16383 */
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
int vsw_daemon_port_add(struct vsw_daemon *d, const struct vsw_port_cfg *c, char *why,
			size_t len);
int vsw_daemon_port_set(struct vsw_daemon *d, const struct vsw_port_cfg *c, char *why,
			size_t len);
int vsw_daemon_port_del(struct vsw_daemon *d, const char *name, char *why, size_t len);

/* Counters of a port; -ENOENT unknown, -ENOTCONN a vNIC whose partition is
 * not connected (its counters are zero). */
int vsw_daemon_port_stats(struct vsw_daemon *d, const char *name, struct vsw_port_stats *out);
/* Whether a port is attached to its datapath now (a vNIC's partition is
 * connected; an uplink is up). */
bool vsw_daemon_port_attached(struct vsw_daemon *d, const char *name);

/* Fds the control loop waits on, and what to call when one is readable. */
int vsw_daemon_fds(const struct vsw_daemon *d, int fds[2]);
void vsw_daemon_process(struct vsw_daemon *d);

#endif /* VSW_DAEMON_H */
