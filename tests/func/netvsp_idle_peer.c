/* netvsp-idle-peer: one partition of the idle-mode test (netvsp-idle.sh).
 * Two of them on hvnet-netvsp:
 *
 *   --mode echo   sends back every frame it receives; between frames it
 *                 sleeps in netvsc_port_wait(), so it costs nothing idle
 *   --mode ping   after bring-up waits for a line on stdin (the test
 *                 measures the idle host meanwhile), then --pings times:
 *                 sleeps --gap-ms (both partitions idle, so the host's
 *                 lcore goes to sleep), sends one frame and spins until
 *                 its echo is back, checking it byte for byte
 *
 * Both print "ready" once their NIC is up. ping prints one line per ping
 * ("ping K rtt_us R") and "max_rtt_us M", then sends a STOP frame that
 * ends the echo side. Exit status 0 only when every echo came back intact
 * within --timeout seconds.
 *
 *   netvsp-idle-peer [EAL args --] --socket PATH --name N --mode echo|ping
 *       [--pings K] [--gap-ms G] [--size BYTES] [--timeout S] */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "netvsc/netvsc_port.h"

#define MAGIC      0x49444c45u   /* "IDLE" */
#define SEQ_STOP   0xffffffffu
#define HDR_BYTES  14u
#define MAX_PINGS  64u

struct opts {
	const char *socket, *name;
	bool ping;
	unsigned int pings, gap_ms, size, timeout_s;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Broadcast (every guest filter takes it), a local EtherType, then the
 * magic, the sequence and a pattern that depends on both. */
static void fill(uint8_t *f, unsigned int size, uint32_t seq)
{
	unsigned int i;

	memset(f, 0xff, 6);
	memset(f + 6, 0x02, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	memcpy(f + HDR_BYTES, &(uint32_t){ MAGIC }, 4);
	memcpy(f + HDR_BYTES + 4, &seq, 4);
	for (i = HDR_BYTES + 8; i < size; i++)
		f[i] = (uint8_t)(i * 7u + seq);
}

static int send_frame(struct netvsc_port *port, struct rte_mempool *mp, unsigned int size,
		      uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *f;

	if (m == NULL)
		return -ENOMEM;
	f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)size);
	if (f == NULL) {
		rte_pktmbuf_free(m);
		return -ENOSPC;
	}
	fill(f, size, seq);
	for (int tries = 0; tries < 1000; tries++) {
		if (netvsc_port_tx_burst(port, 0, &m, 1) == 1)
			return 0;
		sleep_ms(1);
	}
	rte_pktmbuf_free(m);
	return -EAGAIN;
}

/* The frame's sequence when it is one of ours, intact; else -1. */
static int64_t check(struct rte_mbuf *m, unsigned int size)
{
	uint8_t want[2048];
	uint32_t magic, seq;

	if (rte_pktmbuf_pkt_len(m) != size || m->nb_segs != 1 || size > sizeof(want))
		return -1;
	memcpy(&magic, rte_pktmbuf_mtod_offset(m, uint8_t *, HDR_BYTES), 4);
	memcpy(&seq, rte_pktmbuf_mtod_offset(m, uint8_t *, HDR_BYTES + 4), 4);
	if (magic != MAGIC)
		return -1;
	fill(want, size, seq);
	return memcmp(want, rte_pktmbuf_mtod(m, uint8_t *), size) == 0 ? (int64_t)seq : -1;
}

static int run_echo(struct netvsc_port *port, const struct opts *o)
{
	uint64_t end = now_ns() + (uint64_t)o->timeout_s * 1000000000u;
	struct rte_mbuf *pkts[32];

	while (now_ns() < end) {
		uint16_t n = netvsc_port_rx_burst(port, 0, pkts, 32), i, sent = 0;
		bool stop = false;

		if (n == 0) {
			if (netvsc_port_wait(port, 100) < 0)
				return 1;
			continue;
		}
		for (i = 0; i < n; i++)
			stop |= check(pkts[i], o->size) == (int64_t)SEQ_STOP;
		while (sent < n) {
			sent += netvsc_port_tx_burst(port, 0, pkts + sent, (uint16_t)(n - sent));
			if (sent < n && now_ns() >= end) {
				rte_pktmbuf_free_bulk(pkts + sent, (unsigned int)(n - sent));
				return 1;
			}
		}
		if (stop)
			return 0;
	}
	fprintf(stderr, "echo: no STOP within %u s\n", o->timeout_s);
	return 1;
}

static int run_ping(struct netvsc_port *port, struct rte_mempool *mp, const struct opts *o)
{
	uint64_t max_ns = 0;
	char line[64];
	unsigned int k;

	/* The test measures the idle host now; a line (or EOF) says go. */
	if (fgets(line, sizeof(line), stdin) == NULL && ferror(stdin))
		return 1;
	for (k = 0; k < o->pings; k++) {
		uint64_t t0, rtt, end;
		bool back = false;

		sleep_ms(o->gap_ms);
		t0 = now_ns();
		end = t0 + (uint64_t)o->timeout_s * 1000000000u;
		if (send_frame(port, mp, o->size, k) < 0) {
			fprintf(stderr, "ping %u: cannot send\n", k);
			return 1;
		}
		while (!back && now_ns() < end) {
			struct rte_mbuf *pkts[32];
			uint16_t n = netvsc_port_rx_burst(port, 0, pkts, 32), i;

			for (i = 0; i < n; i++) {
				int64_t seq = check(pkts[i], o->size);

				if (seq == (int64_t)k) {
					back = true;
				} else {
					fprintf(stderr, "ping %u: unexpected or damaged frame (seq %" PRId64
						")\n", k, seq);
					rte_pktmbuf_free_bulk(pkts, n);
					return 1;
				}
			}
			rte_pktmbuf_free_bulk(pkts, n);
		}
		rtt = now_ns() - t0;
		if (!back) {
			fprintf(stderr, "ping %u: no echo within %u s\n", k, o->timeout_s);
			return 1;
		}
		max_ns = rtt > max_ns ? rtt : max_ns;
		printf("ping %u rtt_us %.1f\n", k, (double)rtt / 1e3);
		fflush(stdout);
	}
	printf("max_rtt_us %.1f\n", (double)max_ns / 1e3);
	fflush(stdout);
	return send_frame(port, mp, o->size, SEQ_STOP) < 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "mode", required_argument, NULL, 'm' },
		{ "pings", required_argument, NULL, 'k' },
		{ "gap-ms", required_argument, NULL, 'g' },
		{ "size", required_argument, NULL, 'z' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .name = "idle", .pings = 5, .gap_ms = 300, .size = 128, .timeout_s = 10 };
	struct netvsc_port_conf conf;
	struct netvsc_port *port;
	struct rte_mempool *mp;
	const char *mode = NULL;
	int rc, c;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "netvsp-idle-peer: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 's': o.socket = optarg; break;
		case 'n': o.name = optarg; break;
		case 'm': mode = optarg; break;
		case 'k': o.pings = (unsigned int)atoi(optarg); break;
		case 'g': o.gap_ms = (unsigned int)atoi(optarg); break;
		case 'z': o.size = (unsigned int)atoi(optarg); break;
		case 't': o.timeout_s = (unsigned int)atoi(optarg); break;
		default: return 2;
		}
	}
	if (o.socket == NULL || mode == NULL || (strcmp(mode, "echo") && strcmp(mode, "ping")) ||
	    o.size < HDR_BYTES + 8 || o.size > 1514 || o.pings > MAX_PINGS) {
		fprintf(stderr, "usage: netvsp-idle-peer [EAL args --] --socket PATH --name N "
			"--mode echo|ping [--pings K<=%u] [--gap-ms G] [--size 22..1514] "
			"[--timeout S]\n", MAX_PINGS);
		return 2;
	}
	o.ping = strcmp(mode, "ping") == 0;
	mp = rte_pktmbuf_pool_create("idle_mbufs", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     (int)rte_socket_id());
	if (mp == NULL) {
		fprintf(stderr, "netvsp-idle-peer: no mbuf pool\n");
		return 1;
	}
	memset(&conf, 0, sizeof(conf));
	conf.socket_path = o.socket;
	conf.name = o.name;
	conf.nb_queues = 1;
	conf.mp = mp;
	/* A small receive buffer: this test moves one frame at a time. */
	conf.rbuf_bytes = 2u << 20;
	rc = netvsc_port_open(&conf, &port);
	if (rc < 0) {
		fprintf(stderr, "netvsp-idle-peer: bring-up failed: %s\n", strerror(-rc));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	rc = o.ping ? run_ping(port, mp, &o) : run_echo(port, &o);
	netvsc_port_close(port);
	rte_eal_cleanup();
	return rc;
}
