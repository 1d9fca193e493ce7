/* hvnet-netvsp: a VMBus host for process partitions that gives each one a
 * synthetic NIC and joins them in pairs, in arrival order, through the
 * port pair forwarder on one lcore. Until the vswitch exists this is how
 * two partitions talk over netVSP; tests and the benchmark use it.
 *
 *   hvnet-netvsp [EAL args] -- --socket PATH [--queues N] [--mtu N]
 *                [--partitions N]   exit after N partitions came and went
 *                [--idle-us N]      sleep after N us with nothing to move (200)
 *                [--max-sleep-ms N] a sleep's safety limit (100)
 *                [--poll]           never sleep: pure poll mode
 *
 * Idle mode: the forwarding lcore polls while frames move; after
 * --idle-us without any it arms the vNICs' queues and sleeps until a
 * guest signals one (its doorbell reaches the control thread, whose wake
 * hook writes the lcore's eventfd). At exit it prints how often it slept.
 *
 * It reports the host memory its vNICs hold: whenever the number of vNICs
 * that are up (RNDIS initialised) or of their open queues changes, a line
 * "netvsp: heap in use B bytes (malloc M, rte_malloc R) with N vNIC(s) up,
 * Q queue(s)"; the first (0 vNICs) is the baseline, taken after the mbuf
 * pool and everything else that does not depend on vNICs exists, so the
 * difference is what the vNICs cost (the benchmark divides it by N). At
 * exit, "netvsp: peak RSS K KiB" (VmHWM, which includes the partitions'
 * memory the host touched through its mappings).
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "netvsp/netvsp.h"
#include "common/hvn_proc.h"
#include "netvsp/netvsp_pair.h"
#include "vmbus/vmbus_sock.h"

#define MAX_NICS (2 * NVSP_PAIR_MAX)

struct host {
	struct netvsp_host *nh;
	struct rte_mempool *mp;
	struct nvsp_pairing pg;
	unsigned int added, removed;
	uint16_t queues;
	uint32_t mtu;
	struct netvsp_nic *nics[MAX_NICS];   /* live ones, for the heap report */
	unsigned int nics_up, queues_up;     /* as last reported */
};

/* Heap in use: glibc's (arena chunks plus blocks it mmapped for large
 * requests, which uordblks leaves out) and DPDK's malloc heaps (memzones
 * such as the mbuf pool come from them too, but exist before any vNIC). */
static void heap_in_use(uint64_t *libc, uint64_t *dpdk)
{
	struct mallinfo2 mi = mallinfo2();
	struct rte_malloc_socket_stats st;
	int s;

	*libc = mi.uordblks + mi.hblkhd;
	*dpdk = 0;
	for (s = 0; s < RTE_MAX_NUMA_NODES; s++)
		if (rte_malloc_get_socket_stats(s, &st) == 0)
			*dpdk += st.heap_allocsz_bytes;
}

/* Reports the heap when the vNICs that are up, or their queues, changed. */
static void report_heap(struct host *h, bool force)
{
	unsigned int up = 0, queues = 0, i;
	uint64_t libc, dpdk;

	for (i = 0; i < MAX_NICS; i++) {
		struct netvsp_stats st;

		if (h->nics[i] == NULL)
			continue;
		netvsp_nic_stats(h->nics[i], &st);
		if (st.rndis_ready) {
			up++;
			queues += st.queues_open;
		}
	}
	if (!force && up == h->nics_up && queues == h->queues_up)
		return;
	h->nics_up = up;
	h->queues_up = queues;
	heap_in_use(&libc, &dpdk);
	printf("netvsp: heap in use %llu bytes (malloc %llu, rte_malloc %llu) with %u vNIC(s) up, "
	       "%u queue(s)\n", (unsigned long long)(libc + dpdk), (unsigned long long)libc,
	       (unsigned long long)dpdk, up, queues);
	fflush(stdout);
}

static void print_nic(struct netvsp_nic *nic)
{
	struct netvsp_stats st;

	netvsp_nic_stats(nic, &st);
	printf("netvsp: %s: nvsp %#x, %u queue(s), from guest %llu frames %llu bytes, "
	       "to guest %llu frames in %llu batches, drops filter %llu nobuf %llu size %llu "
	       "bad %llu, protocol errors %llu\n",
	       netvsp_nic_name(nic), st.nvsp_version, st.queues_open,
	       (unsigned long long)st.tx_packets, (unsigned long long)st.tx_bytes,
	       (unsigned long long)st.rx_packets, (unsigned long long)st.rx_batches,
	       (unsigned long long)st.rx_drop_filter, (unsigned long long)st.rx_drop_nobuf,
	       (unsigned long long)st.rx_drop_size, (unsigned long long)st.tx_drop_bad,
	       (unsigned long long)st.bad_msgs);
	fflush(stdout);
}

/* A guest signalled (only an armed queue's guest does): the lcore may
 * be asleep. */
static void nic_wake(void *ctx, struct netvsp_nic *nic, uint16_t queue)
{
	struct host *h = ctx;

	(void)nic;
	(void)queue;
	nvsp_fwd_wake(&h->pg.fwd);
}

/* The vNIC is going: take its port out of the forwarder. */
static void nic_gone(void *ctx, struct netvsp_nic *nic)
{
	struct host *h = ctx;
	struct nvsp_pair_stats out, in;
	unsigned int i;

	print_nic(nic);
	if (nvsp_pairing_stats(&h->pg, netvsp_nic_port(nic), &out, &in) == 0)
		printf("netvsp: %s: pair forwarded %llu frames from it, %llu to it; dropped for a "
		       "stuck queue %llu from it, %llu to it; %llu polls found its peer full\n",
		       netvsp_nic_name(nic), (unsigned long long)out.fwd,
		       (unsigned long long)in.fwd, (unsigned long long)out.stuck,
		       (unsigned long long)in.stuck, (unsigned long long)out.retries);
	fflush(stdout);
	nvsp_pairing_leave(&h->pg, netvsp_nic_port(nic));
	for (i = 0; i < MAX_NICS; i++)
		if (h->nics[i] == nic)
			h->nics[i] = NULL;
}

static int part_added(void *ctx, struct vmbus_sock_part *part, struct vmbus_server *s)
{
	struct host *h = ctx;
	struct netvsp_nic_config cfg;
	struct netvsp_nic *nic;
	int rc;

	memset(&cfg, 0, sizeof(cfg));
	cfg.name = vmbus_sock_part_name(part);
	/* Locally administered, unicast, one per partition. */
	cfg.mac[0] = 0x02;
	cfg.mac[4] = (uint8_t)(h->added >> 8);
	cfg.mac[5] = (uint8_t)(h->added + 1);
	cfg.instance = 0;
	cfg.max_queues = h->queues;
	cfg.mtu = h->mtu;
	cfg.mp = h->mp;
	cfg.gone = nic_gone;
	cfg.wake = nic_wake;
	cfg.ctx = h;
	rc = netvsp_nic_offer(h->nh, s, &cfg, &nic);
	if (rc < 0) {
		fprintf(stderr, "netvsp: cannot offer a vNIC to %s: %s\n", cfg.name, strerror(-rc));
		return rc;
	}
	h->added++;
	for (unsigned int i = 0; i < MAX_NICS; i++) {
		if (h->nics[i] == NULL) {
			h->nics[i] = nic;
			break;
		}
	}
	rc = nvsp_pairing_join(&h->pg, netvsp_nic_port(nic));
	if (rc < 0)
		return rc;
	printf("netvsp: partition %s has vNIC %02x:%02x:%02x:%02x:%02x:%02x\n", cfg.name,
	       cfg.mac[0], cfg.mac[1], cfg.mac[2], cfg.mac[3], cfg.mac[4], cfg.mac[5]);
	fflush(stdout);
	return 0;
}

static void part_removed(void *ctx, struct vmbus_sock_part *part)
{
	struct host *h = ctx;

	(void)part;
	h->removed++;
}

static const struct vmbus_sock_server_ops ops = {
	.partition_added = part_added,
	.partition_removed = part_removed,
};

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "queues", required_argument, NULL, 'q' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "partitions", required_argument, NULL, 'p' },
		{ "idle-us", required_argument, NULL, 'i' },
		{ "max-sleep-ms", required_argument, NULL, 'x' },
		{ "poll", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	unsigned int want_parts = 0, worker;
	uint32_t idle_us = 0, max_sleep_ms = 0;
	bool poll_only = false;
	struct vmbus_sock_server *srv;
	struct host *h;
	size_t qsz;
	int rc, c;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "hvnet-netvsp: DPDK EAL init failed: %s (try --no-huge -m 256 "
			"--no-shconf --no-pci -l 0,1)\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	h = calloc(1, sizeof(*h));
	if (h == NULL)
		return 1;
	h->queues = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'q': h->queues = (uint16_t)atoi(optarg); break;
		case 'm': h->mtu = (uint32_t)atoi(optarg); break;
		case 'p': want_parts = (unsigned int)atoi(optarg); break;
		case 'i': idle_us = (uint32_t)atoi(optarg); break;
		case 'x': max_sleep_ms = (uint32_t)atoi(optarg); break;
		case 'P': poll_only = true; break;
		default:
			fprintf(stderr, "usage: hvnet-netvsp [EAL args] -- --socket PATH [--queues N] "
				"[--mtu N] [--partitions N] [--idle-us N] [--max-sleep-ms N] "
				"[--poll]\n");
			return 2;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "hvnet-netvsp: --socket PATH is required\n");
		return 2;
	}
	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE) {
		fprintf(stderr, "hvnet-netvsp: needs a worker lcore for forwarding (EAL -l 0,1)\n");
		return 1;
	}
	h->mp = rte_pktmbuf_pool_create("netvsp_mbufs", 16383, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	qsz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	h->pg.fwd.qs = rte_zmalloc("netvsp_qs", qsz, RTE_CACHE_LINE_SIZE);
	if (h->mp == NULL || h->pg.fwd.qs == NULL ||
	    rte_rcu_qsbr_init(h->pg.fwd.qs, RTE_MAX_LCORE) != 0) {
		fprintf(stderr, "hvnet-netvsp: out of DPDK memory (mbuf pool or RCU state); "
			"give EAL more with -m\n");
		return 1;
	}
	if (!poll_only && (rc = nvsp_fwd_idle_init(&h->pg.fwd, idle_us, max_sleep_ms)) < 0) {
		fprintf(stderr, "hvnet-netvsp: no eventfd for idle mode: %s\n", strerror(-rc));
		return 1;
	}
	rc = netvsp_host_create(h->pg.fwd.qs, &h->nh);
	if (rc == 0)
		rc = vmbus_sock_server_create(path, MAX_NICS, &ops, h, &srv);
	if (rc < 0) {
		fprintf(stderr, "hvnet-netvsp: cannot listen on %s: %s\n", path, strerror(-rc));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rte_eal_remote_launch(nvsp_fwd_lcore, &h->pg.fwd, worker);
	printf("netvsp: listening on %s, forwarding on lcore %u (%s)\n", path, worker,
	       poll_only ? "poll mode" : "sleeps when idle");
	report_heap(h, true);
	while (!stop_flag && (want_parts == 0 || h->removed < want_parts)) {
		struct pollfd pfd[2] = {
			{ .fd = vmbus_sock_server_fd(srv), .events = POLLIN },
			{ .fd = netvsp_host_fd(h->nh), .events = POLLIN },
		};

		if (poll(pfd, 2, 200) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			vmbus_sock_server_poll(srv, 0);
		if (pfd[1].revents)
			netvsp_host_process(h->nh);
		report_heap(h, false);
	}
	vmbus_sock_server_destroy(srv);
	hvn_store_release(&h->pg.fwd.stop, true);
	rte_eal_mp_wait_lcore();
	netvsp_host_destroy(h->nh);
	if (h->pg.fwd.idle.on)
		printf("netvsp: forwarder slept %llu times (%llu ended by the safety limit, %llu "
		       "attempts found work), %llu wakes\n",
		       (unsigned long long)h->pg.fwd.idle.sleeps,
		       (unsigned long long)h->pg.fwd.idle.timeouts,
		       (unsigned long long)h->pg.fwd.idle.aborted,
		       (unsigned long long)h->pg.fwd.idle.wakes);
	nvsp_fwd_idle_fini(&h->pg.fwd);
	printf("netvsp: %u partition(s) served, peak RSS %ld KiB\n", h->added,
	       hvn_proc_status_kib("VmHWM"));
	rte_eal_cleanup();
	free(h);
	return 0;
}
