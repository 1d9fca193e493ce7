/* vswitchd's objects, shared by the files that make up the daemon
 * (vsw_daemon.c: switches, ports and partitions; vsw_daemon_policy.c:
 * ACLs, mirrors and extensions; vsw_capture.c: captures). Not a public
 * header: everything outside goes through vsw_daemon.h. */
#ifndef VSW_DAEMON_INT_H
#define VSW_DAEMON_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>

#include "vswitch/vsw_config.h"
#include "vswitch/vsw_daemon.h"
#include "vswitch/vsw_dp.h"

struct vsw_ext;
struct vsw_capture;

struct vsw_sw {
	bool used;
	struct vsw_switch_cfg cfg;
	struct vsw_dp *dp;
	unsigned int nports;
	/* Mirrors by name, compiled to port indices whenever a port comes
	 * or goes; extensions in the order the model keeps them. */
	struct vsw_mirror_cfg *mirrors;
	unsigned int n_mirrors;
	struct vsw_ext *exts[VSW_MAX_EXTENSIONS];
	unsigned int n_exts;
};

struct vsw_dport {
	bool used;
	struct vsw_port_cfg cfg;
	int sw;                      /* index into switches */
	int dp_idx;                  /* -1: not attached (a vNIC waiting) */
	struct vsw_ethdev *eth;      /* uplink or internal */
	struct netvsp_nic *nic;      /* vNIC while its partition is here */
	uint8_t mac[6];              /* vNIC's MAC */
	struct vsw_port_stats past;  /* counters of earlier attachments */
	struct vsw_acl_cfg *acls;    /* its ACLs, compiled again at each attachment */
	unsigned int n_acls;
	struct vsw_capture *cap;     /* a running capture, or NULL */
	struct rte_mempool *mp;      /* its frames' mbufs, sized for the port */
};

/* A port's pool after the port went: its mbufs may still sit in other
 * ports' queues (or a departing vNIC may still allocate), so it is freed
 * only once every mbuf is back and no vNIC uses it. */
struct vsw_retired_pool {
	struct rte_mempool *mp;
	struct netvsp_nic *nic;      /* a vNIC still offered, or NULL */
};

/* A worker lcore: it polls the switches whose lcore it is. Its counters
 * are written by it alone and read by telemetry. */
struct vsw_worker {
	struct vsw_daemon *d;
	unsigned int lcore;
	bool running;
	uint64_t busy_tsc;           /* in rounds that moved frames */
	uint64_t idle_tsc;           /* in rounds that moved none */
	uint64_t frames;
} __rte_cache_aligned;

struct vsw_daemon {
	struct rte_mempool *mp;
	struct rte_rcu_qsbr *qs;
	struct netvsp_host *nh;
	struct vmbus_sock_server *vmbus;
	struct vsw_worker workers[VSW_MAX_WORKERS];
	unsigned int n_workers;
	bool stop;
	/* Workers poll these, each the switches whose dp_lcore is its own;
	 * published with release, RCU before a switch moves or goes. */
	struct vsw_dp *dps[VSW_MAX_SWITCHES];
	unsigned int dp_lcore[VSW_MAX_SWITCHES];
	struct vsw_sw sw[VSW_MAX_SWITCHES];
	struct vsw_dport ports[VSW_MAX_PORTS];
	struct vsw_capture_thread *capt;   /* writes captures; started with the first */
	struct vsw_retired_pool retired[VSW_MAX_PORTS];
	unsigned int pool_seq;       /* for unique pool names */
};


int vsw_daemon_find_switch(const struct vsw_daemon *d, const char *name);
int vsw_daemon_find_port(const struct vsw_daemon *d, const char *name);

/* A port was attached to or detached from its switch's datapath: its
 * ACLs are compiled for it, the switch's mirrors follow. */
void vsw_policy_attached(struct vsw_daemon *d, struct vsw_dport *p);
void vsw_policy_detached(struct vsw_daemon *d, int sw);
/* A port or switch goes: what it held goes too. */
void vsw_policy_port_gone(struct vsw_daemon *d, struct vsw_dport *p);
void vsw_policy_switch_gone(struct vsw_daemon *d, int sw);

/* Captures (vsw_capture.c). */
void vsw_capture_port_gone(struct vsw_daemon *d, struct vsw_dport *p);
void vsw_capture_reap(struct vsw_daemon *d);
void vsw_capture_fini(struct vsw_daemon *d);

#endif /* VSW_DAEMON_INT_H */
