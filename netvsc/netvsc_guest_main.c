/* hvnet-netvsc-guest: a process partition with a synthetic NIC driven by
 * the netVSC core. It brings the NIC up the way Linux does, then sends
 * --count frames to its peer (the other partition of its pair on
 * hvnet-netvsp) and checks that --count frames arrive from it, in order
 * and intact. Exit status 0 only when every frame made it both ways. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "netvsc/netvsc.h"
#include "vmbus/vmbus_sock.h"

#define RING_BYTES (512u * 1024u)
#define RBUF_BYTES (16u << 20)
#define SBUF_BYTES (1u << 20)
#define MEM_BYTES  (64ull << 20)

struct guest {
	struct vmbus_ppart part;
	struct vmbus_client_channel ch;
	struct netvsc nic;
	uint8_t peer[6];
	uint32_t size;
	uint64_t expect;      /* next sequence number from the peer */
	uint64_t bad;
	bool peer_up;         /* the peer's NIC is up: frames can reach it */
};

static int g_wait(void *ctx, int timeout_ms)
{
	struct guest *g = ctx;
	int rc = vmbus_ppart_wait_event(&g->part, timeout_ms);

	return rc < 0 ? rc : 0;
}

static int g_signal(void *ctx)
{
	struct guest *g = ctx;

	return vmbus_client_channel_signal(&g->part.client, &g->ch);
}

static void fill(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint64_t seq, uint32_t size)
{
	uint32_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x88;    /* IEEE local experimental ethertype 88b5 */
	f[13] = 0xb5;
	memcpy(f + 14, &seq, sizeof(seq));
	for (i = 22; i < size; i++)
		f[i] = (uint8_t)(seq + i);
}

static void g_rx(void *ctx, const uint8_t *f, uint32_t len, const struct rndis_pkt_info *info)
{
	struct guest *g = ctx;
	uint8_t want[9216];
	uint64_t seq;

	(void)info;
	if (len < 22 || len > sizeof(want)) {
		g->bad++;
		return;
	}
	memcpy(&seq, f + 14, sizeof(seq));
	g->peer_up = true;
	if (seq == UINT64_MAX)
		return;   /* a probe */
	fill(want, g->nic.mac, g->peer, g->expect, g->size);
	if (seq != g->expect || memcmp(f, want, len) != 0) {
		if (g->bad++ < 3)
			fprintf(stderr, "guest: frame %llu: expected seq %llu, got %llu (len %u)\n",
				(unsigned long long)g->nic.st.rx_packets, (unsigned long long)g->expect,
				(unsigned long long)seq, len);
		g->expect = seq + 1;
		return;
	}
	g->expect++;
}

static const struct netvsc_ops g_ops = { .wait = g_wait, .signal = g_signal, .rx = g_rx };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 'z' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const struct vmbus_guid nic_guid = NVSP_NIC_GUID_INIT;
	const char *path = NULL, *name = "guest";
	struct vmbus_client_offer *o;
	uint64_t count = 1000, sent = 0;
	uint32_t ring_gpadl;
	int timeout_s = 60, rc, c;
	struct guest *g = calloc(1, sizeof(*g));
	uint8_t frame[9216];
	void *rbuf, *sbuf;
	uint64_t rgpa, sgpa;
	double t0, deadline;

	if (g == NULL)
		return 1;
	g->size = 64;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': path = optarg; break;
		case 'n': name = optarg; break;
		case 'c': count = strtoull(optarg, NULL, 0); break;
		case 'z': g->size = (uint32_t)atoi(optarg); break;
		case 't': timeout_s = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: hvnet-netvsc-guest --socket PATH [--name N] "
				"[--count N] [--size BYTES] [--timeout S]\n");
			return 2;
		}
	}
	if (path == NULL || g->size < 60 || g->size > sizeof(frame)) {
		fprintf(stderr, "hvnet-netvsc-guest: --socket is required and --size must be 60..9216\n");
		return 2;
	}
	rc = vmbus_ppart_create(&g->part, path, name, MEM_BYTES, false);
	if (rc == 0)
		rc = vmbus_ppart_connect(&g->part, 0, 5000);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot reach the VMBus host at %s: %s\n", name, path, strerror(-rc));
		return 1;
	}
	o = vmbus_client_find_offer(&g->part.client, &nic_guid, 0);
	if (o == NULL) {
		fprintf(stderr, "%s: the host offered no synthetic NIC\n", name);
		return 1;
	}
	rc = vmbus_ppart_open(&g->part, o, RING_BYTES, &g->ch, &ring_gpadl, 5000);
	rbuf = vmbus_ppart_alloc(&g->part, RBUF_BYTES, &rgpa);
	sbuf = vmbus_ppart_alloc(&g->part, SBUF_BYTES, &sgpa);
	if (rc == 0 && (rbuf == NULL || sbuf == NULL))
		rc = -ENOMEM;
	if (rc == 0)
		rc = vmbus_ppart_gpadl(&g->part, g->ch.relid, rgpa, RBUF_BYTES, &g->nic.rbuf_gpadl, 5000);
	if (rc == 0)
		rc = vmbus_ppart_gpadl(&g->part, g->ch.relid, sgpa, SBUF_BYTES, &g->nic.sbuf_gpadl, 5000);
	if (rc < 0) {
		fprintf(stderr, "%s: opening the NIC channel failed: %s\n", name, strerror(-rc));
		return 1;
	}
	g->nic.ch = &g->ch;
	g->nic.ops = &g_ops;
	g->nic.ctx = g;
	g->nic.rbuf = rbuf;
	g->nic.rbuf_size = RBUF_BYTES;
	g->nic.sbuf = sbuf;
	g->nic.sbuf_size = SBUF_BYTES;
	rc = netvsc_init(&g->nic, 5000);
	if (rc < 0) {
		fprintf(stderr, "%s: NIC initialisation failed: %s\n", name, strerror(-rc));
		return 1;
	}
	/* hvnet-netvsp numbers the vNICs of a pair ...:01 and ...:02 and so on. */
	memcpy(g->peer, g->nic.mac, 6);
	g->peer[5] = (uint8_t)(g->nic.mac[5] & 1u ? g->nic.mac[5] + 1 : g->nic.mac[5] - 1);
	printf("%s: NIC up: NVSP %#x, MAC %02x:%02x:%02x:%02x:%02x:%02x, sub-allocation %u x %u, "
	       "%u send sections of %u, link %s, %u RSS queue(s)\n", name, g->nic.nvsp_version,
	       g->nic.mac[0], g->nic.mac[1], g->nic.mac[2], g->nic.mac[3], g->nic.mac[4],
	       g->nic.mac[5], g->nic.num_sub_allocs, g->nic.sub_alloc_size, g->nic.nsections,
	       g->nic.section_size, g->nic.link_up ? "up" : "down", g->nic.rss_queues);
	fflush(stdout);
	t0 = now_s();
	deadline = t0 + timeout_s;
	/* Frames sent before the peer's NIC is up are dropped by the host, as
	 * a switch drops them: probe until the peer answers. */
	while (!g->peer_up && now_s() < deadline) {
		fill(frame, g->peer, g->nic.mac, UINT64_MAX, 64);
		netvsc_send(&g->nic, frame, 64, NULL);
		netvsc_flush(&g->nic);
		for (int i = 0; i < 10 && !g->peer_up; i++) {
			netvsc_poll(&g->nic);
			vmbus_ppart_wait_event(&g->part, 1);
		}
	}
	/* One more probe, so the peer learns we are up even if we saw its
	 * first probe before it saw ours. */
	fill(frame, g->peer, g->nic.mac, UINT64_MAX, 64);
	netvsc_send(&g->nic, frame, 64, NULL);
	while ((sent < count || g->expect < count) && now_s() < deadline) {
		while (sent < count) {
			fill(frame, g->peer, g->nic.mac, sent, g->size);
			if (netvsc_send(&g->nic, frame, g->size, NULL) < 0)
				break;
			sent++;
		}
		netvsc_flush(&g->nic);
		if (netvsc_poll(&g->nic) == 0)
			vmbus_ppart_wait_event(&g->part, 1);
	}
	/* Linger so the peer's last frames are not dropped by our leaving. */
	for (int i = 0; i < 50; i++) {
		netvsc_poll(&g->nic);
		vmbus_ppart_wait_event(&g->part, 2);
	}
	printf("%s: sent %llu, received %llu of %llu in order (%llu bad) in %.2f s; "
	       "%llu completions, %llu batches, host errors seen %llu\n", name,
	       (unsigned long long)sent, (unsigned long long)g->expect, (unsigned long long)count,
	       (unsigned long long)g->bad, now_s() - t0,
	       (unsigned long long)g->nic.st.tx_completions, (unsigned long long)g->nic.st.rx_batches,
	       (unsigned long long)(g->nic.st.bad_msgs + g->nic.st.rx_bad));
	rc = sent == count && g->expect == count && g->bad == 0 ? 0 : 1;
	if (!g->peer_up)
		fprintf(stderr, "%s: the peer never came up\n", name);
	netvsc_halt(&g->nic, 2000);
	vmbus_ppart_destroy(&g->part);
	free(g);
	return rc;
}
