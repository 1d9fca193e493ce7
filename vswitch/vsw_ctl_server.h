/* vswitchd's control socket: where vswitchctl's requests arrive.
 *
 * A unix stream socket (default /run/hvnet/vswitchd.sock, mode 0660: the
 * file's owner and group decide who may change the switch), non-blocking
 * and driven by the daemon's poll loop: wait for vsw_ctl_server_fd() to
 * be readable, then call vsw_ctl_server_process(). One request per line
 * (VSW_CTL_MAX_REQUEST bytes at most), one reply per line (vsw_ctl.h).
 *
 * A change is checked against the configuration (vsw_model_apply on a
 * copy), committed to the store, then handed to the datapath through the
 * apply callback. If the datapath refuses, the store is put back and the
 * request refused with the datapath's reason: the store, the model and
 * the datapath never disagree. Queries are answered from the model (stats
 * through the stats callback); captures go to the capture callback with
 * the file descriptor vswitchctl passed (SCM_RIGHTS).
 *
 * Single-threaded: call everything from the thread that runs the loop. */
#ifndef VSW_CTL_SERVER_H
#define VSW_CTL_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include "vswitch/vsw_ctl.h"
#include "vswitch/vsw_model.h"
#include "vswitch/vsw_store.h"

struct vsw_ctl_server;

struct vsw_ctl_server_opts {
	const char *path;            /* NULL: VSW_CTL_DEFAULT_SOCKET */
	mode_t mode;                 /* 0: 0660 */
	gid_t gid;                   /* the socket's group; (gid_t)-1 leaves it */
	unsigned int max_clients;    /* 0: 32; more connections are told to retry */
};

struct vsw_ctl_ops {
	/* Required: the datapath's side of a change (vsw_model.h). */
	vsw_apply_fn apply;
	/* Counters of a port into 'out' (port and switch names are filled in;
	 * add counters with vsw_ctl_stats_add and set 'attached'). 0, or
	 * -errno with 'why'. NULL: `stats` is refused. */
	int (*stats)(void *ctx, const struct vsw_port_cfg *p, struct vsw_ctl_stats *out,
		     char *why, size_t len);
	/* CAPTURE_START with the file to write (the callback owns fd, on
	 * failure too) or CAPTURE_STOP with fd -1. NULL: captures are refused. */
	int (*capture)(void *ctx, const struct vsw_change *c, int fd, char *why, size_t len);
	/* One line per change made or refused, and per client trouble.
	 * NULL: standard error. */
	void (*log)(void *ctx, const char *msg);
};

/* Listens on opts->path, replacing a stale socket there (one nothing
 * listens on) but never a live one. Takes 'model' (the configuration the
 * datapath was built from, normally vsw_store_load's) and frees it at
 * close. 'store' may be NULL: changes are then not persisted (tests).
 * 0, or -errno with 'why' saying what failed and what to do. */
int vsw_ctl_server_open(struct vsw_ctl_server **out, const struct vsw_ctl_server_opts *opts,
			struct vsw_store *store, struct vsw_model *model,
			const struct vsw_ctl_ops *ops, void *ctx, char *why, size_t len);
/* Removes the socket file (if it is still ours) and closes every client. */
void vsw_ctl_server_close(struct vsw_ctl_server *s);

/* A descriptor that is readable when there is work (an epoll set). */
int vsw_ctl_server_fd(const struct vsw_ctl_server *s);
/* Does the work there is without blocking. Returns the number of
 * requests answered (>= 0), or -errno if the server itself failed. */
int vsw_ctl_server_process(struct vsw_ctl_server *s);
/* The configuration as the server keeps it: the store's and the
 * datapath's. */
const struct vsw_model *vsw_ctl_server_model(const struct vsw_ctl_server *s);
const char *vsw_ctl_server_path(const struct vsw_ctl_server *s);

#endif /* VSW_CTL_SERVER_H */
