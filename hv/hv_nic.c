/* Synthetic NICs for a KVM partition; see hv_nic.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>

#include "hv/hv_nic.h"
#include "netvsp/netvsp.h"
#include "netvsp/netvsp_pair.h"

#define HV_NIC_EAL_MAX_ARGS 32

struct hv_nic_pair {
	struct hv_vmbus *vb;
	struct netvsp_host *nh;
	struct rte_mempool *mp;
	struct nvsp_pairing pg;
	struct netvsp_nic *nics[2];
	pthread_t ctrl;
	bool ctrl_running;
	volatile bool ctrl_stop;
	bool lcore_running;
	bool eal;
};

static void nic_gone(void *ctx, struct netvsp_nic *nic)
{
	struct hv_nic_pair *np = ctx;
	struct netvsp_stats st;

	netvsp_nic_stats(nic, &st);
	fprintf(stderr, "hv: %s: nvsp %#x, %u queue(s), from guest %llu frames, to guest %llu "
		"frames, drops filter %llu nobuf %llu, protocol errors %llu\n",
		netvsp_nic_name(nic), st.nvsp_version, st.queues_open,
		(unsigned long long)st.tx_packets, (unsigned long long)st.rx_packets,
		(unsigned long long)st.rx_drop_filter, (unsigned long long)st.rx_drop_nobuf,
		(unsigned long long)st.bad_msgs);
	nvsp_pairing_leave(&np->pg, netvsp_nic_port(nic));
}

/* HvSignalEvent from a vCPU (under the VMBus lock): the forwarding lcore
 * may be asleep with the queue armed. */
static void nic_wake(void *ctx, struct netvsp_nic *nic, uint16_t queue)
{
	struct hv_nic_pair *np = ctx;

	(void)nic;
	(void)queue;
	nvsp_fwd_wake(&np->pg.fwd);
}

/* netVSP's control work (subchannel offers, faults) touches the VMBus
 * server, which vCPU threads drive under the VMBus lock. */
static void *ctrl_thread(void *arg)
{
	struct hv_nic_pair *np = arg;

	while (!np->ctrl_stop) {
		struct pollfd pfd = { .fd = netvsp_host_fd(np->nh), .events = POLLIN };

		if (poll(&pfd, 1, 100) > 0) {
			hv_vmbus_lock(np->vb);
			netvsp_host_process(np->nh);
			hv_vmbus_unlock(np->vb);
		}
	}
	return NULL;
}

static int eal_start(const char *eal_args, char *err, size_t errlen)
{
	char *argv[HV_NIC_EAL_MAX_ARGS + 1], *copy, *tok, *save = NULL;
	int argc = 0, rc;

	copy = strdup(eal_args);
	if (!copy)
		return -ENOMEM;
	argv[argc++] = (char *)"hv";
	for (tok = strtok_r(copy, " ", &save); tok && argc < HV_NIC_EAL_MAX_ARGS;
	     tok = strtok_r(NULL, " ", &save))
		argv[argc++] = tok;
	argv[argc] = NULL;
	rc = rte_eal_init(argc, argv);
	free(copy);
	if (rc < 0) {
		snprintf(err, errlen, "DPDK EAL init failed (%s): check --nic-eal '%s'",
			 rte_strerror(rte_errno), eal_args);
		return -EINVAL;
	}
	return 0;
}

int hv_nic_pair_create(struct hv_vmbus *vb, const char *eal_args, uint32_t mtu,
		       struct hv_nic_pair **out, char *err, size_t errlen)
{
	struct hv_nic_pair *np;
	unsigned int worker;
	int rc;

	np = calloc(1, sizeof(*np));
	if (!np)
		return -ENOMEM;
	np->vb = vb;
	*out = np;
	rc = eal_start(eal_args, err, errlen);
	if (rc)
		goto fail;
	np->eal = true;
	worker = rte_get_next_lcore(-1, 1, 0);
	if (worker >= RTE_MAX_LCORE) {
		snprintf(err, errlen, "the NICs need a worker lcore: give EAL two (-l 0,1)");
		rc = -EINVAL;
		goto fail;
	}
	np->mp = rte_pktmbuf_pool_create("hv_nic_mbufs", 4095, 256, 0,
					 RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	np->pg.fwd.qs = rte_zmalloc("hv_nic_qs", rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE),
				    RTE_CACHE_LINE_SIZE);
	if (!np->mp || !np->pg.fwd.qs || rte_rcu_qsbr_init(np->pg.fwd.qs, RTE_MAX_LCORE)) {
		snprintf(err, errlen, "out of DPDK memory for mbufs: give EAL more with -m");
		rc = -ENOMEM;
		goto fail;
	}
	rc = nvsp_fwd_idle_init(&np->pg.fwd, 0, 0);
	if (rc) {
		snprintf(err, errlen, "no eventfd for the NIC lcore's idle mode: %s", strerror(-rc));
		goto fail;
	}
	rc = netvsp_host_create(np->pg.fwd.qs, &np->nh);
	if (rc) {
		snprintf(err, errlen, "cannot start netVSP: %s", strerror(-rc));
		goto fail;
	}
	rte_eal_remote_launch(nvsp_fwd_lcore, &np->pg.fwd, worker);
	np->lcore_running = true;
	for (unsigned int i = 0; i < 2; i++) {
		struct netvsp_nic_config cfg = {
			.name = i ? "nic1" : "nic0",
			.mac = { 0x02, 0, 0, 0, 0x01, (uint8_t)(i + 1) },
			.instance = (uint16_t)i,
			.max_queues = 1,
			.mtu = mtu,
			.mp = np->mp,
			.gone = nic_gone,
			.wake = nic_wake,
			.ctx = np,
		};

		rc = netvsp_nic_offer(np->nh, hv_vmbus_server(vb), &cfg, &np->nics[i]);
		if (!rc)
			rc = nvsp_pairing_join(&np->pg, netvsp_nic_port(np->nics[i]));
		if (rc) {
			snprintf(err, errlen, "cannot offer a synthetic NIC: %s", strerror(-rc));
			goto fail;
		}
	}
	rc = -pthread_create(&np->ctrl, NULL, ctrl_thread, np);
	if (rc) {
		snprintf(err, errlen, "cannot start the NIC control thread");
		goto fail;
	}
	np->ctrl_running = true;
	return 0;
fail:
	/* Offered vNICs belong to the server now and leave with it, so the
	 * caller tears down in the usual order. */
	return rc;
}

void hv_nic_pair_stop(struct hv_nic_pair *np)
{
	if (!np || !np->ctrl_running)
		return;
	np->ctrl_stop = true;
	pthread_join(np->ctrl, NULL);
	np->ctrl_running = false;
}

void hv_nic_pair_destroy(struct hv_nic_pair *np)
{
	if (!np)
		return;
	hv_nic_pair_stop(np);
	if (np->lcore_running) {
		hvn_store_release(&np->pg.fwd.stop, true);
		rte_eal_mp_wait_lcore();
	}
	if (np->nh)
		netvsp_host_destroy(np->nh);
	if (np->pg.fwd.idle.on)
		fprintf(stderr, "hv: NIC lcore slept %llu times (%llu ended by the safety limit), "
			"%llu wakes\n", (unsigned long long)np->pg.fwd.idle.sleeps,
			(unsigned long long)np->pg.fwd.idle.timeouts,
			(unsigned long long)np->pg.fwd.idle.wakes);
	nvsp_fwd_idle_fini(&np->pg.fwd);
	if (np->mp)
		rte_mempool_free(np->mp);
	rte_free(np->pg.fwd.qs);
	if (np->eal)
		rte_eal_cleanup();
	free(np);
}
