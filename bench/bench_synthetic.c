/* bench_synthetic: one side of the 'synthetic' benchmark, a process
 * partition that moves frames through its synthetic NIC with the netVSC
 * port API (rte_mbuf bursts), as a DPDK application in a Hyper-V guest
 * does. Two of them, joined back to back by hvnet-netvsp:
 *
 *   A (--mode tx) -> netVSP (one forwarding lcore) -> B (--mode rx)
 *
 *   bench_synthetic [EAL args --] --mode tx|rx --socket PATH --size N
 *       --seconds S [--queues N] [--warmup S] [--name NAME]
 *       [--ring-bytes N] [--rbuf-bytes N] [--sbuf-bytes N] [--yield] [--rx-copy]
 *       [--tx-zero-copy]
 *
 * --size is the frame as handed to the NIC (60..MTU+14 bytes, no FCS).
 * The buffer sizes default to the netVSC port's: rings 2 MiB and a
 * 31 MiB receive buffer (what DPDK's netvsc PMD gets from
 * uio_hv_generic), a 1 MiB send buffer (Linux hv_netvsc's). --yield gives the CPU away when
 * there is nothing to do (A: the port took nothing; B: nothing came):
 * where A and B share one CPU, each then runs only while it has work,
 * which shows what the path costs rather than how the scheduler slices
 * two busy pollers. bench/run does not use it (testpmd cannot).
 * B receives frames of 256 bytes or more without copying them (the port's
 * rx_zero_copy, what DPDK's netvsc PMD does by default; the peer's
 * virtio-user receive does not copy either); --rx-copy copies every one.
 * Frames are UDP/IPv4 with (flow, sequence) in the payload; flow f goes
 * out on queue f, its own sequence space.
 *
 * The pair starts cleanly: the host drops what a vNIC sends while its
 * partner is missing, so B sends HELLO frames until data arrives and A
 * starts its sequence at 0 only once it saw one; every gap B sees is then
 * a lost frame. B warms up for --warmup seconds after the first frame,
 * measures --seconds intervals of ~1 s (CLOCK_MONOTONIC, the exact
 * elapsed time recorded), then sends STOP frames; A stops at the first
 * STOP or after --seconds (its safety limit).
 *
 * A sends from mbufs allocated per frame, as testpmd's txonly does, from a
 * pool whose every mbuf holds the frame from the start (Pktgen's way), so
 * only the first line (flow and sequence) is written per frame. The port
 * copies the frame into the send buffer and frees the mbuf back to the
 * pool's cache. (Prebuilt mbufs with a high reference count cost A 28%
 * of its CPU at 64 B: each free is then a locked decrement, which waits
 * until the copies into the send buffer, lines the host's CPU reads, have
 * left the store buffer.) With --tx-zero-copy, frames of 512 bytes and
 * more go from the port's own pool in partition memory without a copy
 * (its tx_pool_size: the host reads them where they are, as DPDK's netvsc
 * PMD sends them), prepared the same way. B receives into mbufs from its pool (the port copies
 * each frame out of the receive buffer, as any receive does) and checks
 * every frame: length, magic, flow and sequence.
 *
 * stdout, one JSON object per line: B prints one per interval and both
 * print a final summary ("final": true) with their peak RSS (VmHWM).
 * Exit status 0 unless set-up failed or B saw a malformed frame; loss and
 * reordering are reported here and judged by bench/run (this path must
 * not lose any: the host holds frames and the sender waits). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#include <rte_byteorder.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "netvsc/netvsc_port.h"
#include "common/hvn_proc.h"

#define BURST          32u
#define MAX_QUEUES     8u
#define MAX_INTERVALS  120u
#define HDR_BYTES      42u           /* Ethernet, IPv4, UDP */
#define MIN_FRAME      60u           /* Ethernet minimum without FCS */
#define MAGIC          0x48565342u   /* "HVSB" */
#define UDP_PORT_BASE  1024u
#define UDP_PORT_DST   9u            /* discard */
/* Polls between clock reads on the receiver: a few microseconds at most
 * at full rate, so an interval overruns by that much (and the elapsed
 * time is recorded exactly anyway). */
#define CLOCK_EVERY    16u
/* The sender reads its receive side (for B's STOP) every so many bursts
 * only: the send path reads its completions itself when it needs room. */
#define RX_EVERY       64u

enum kind { K_DATA = 1, K_HELLO = 2, K_STOP = 3 };

/* What follows the UDP header. */
struct payload {
	rte_be32_t magic;
	uint16_t kind;
	uint16_t flow;
	uint64_t seq;
} __attribute__((packed));
_Static_assert(HDR_BYTES + sizeof(struct payload) <= MIN_FRAME, "payload fits a minimum frame");

struct opts {
	bool tx;
	const char *path, *name;
	uint32_t size;
	unsigned int seconds, warmup;
	uint16_t queues;
	uint32_t ring_bytes, rbuf_bytes, sbuf_bytes;
	bool yield;
	bool rx_copy;
	bool tx_zero_copy;
};

struct flow_rx {
	uint64_t next;              /* sequence expected next */
};

struct bench {
	struct opts o;
	struct netvsc_port *port;
	struct netvsc_port_info info;
	struct rte_mempool *mp;
	uint8_t peer_mac[6];
	uint16_t nq;
	/* tx */
	struct rte_mbuf *txm[MAX_QUEUES][BURST];
	struct rte_mempool *txmp;     /* frames to send: the port's (zero-copy) or tplmp */
	struct rte_mempool *tplmp;    /* A's own template pool when not zero-copy */
	bool tx_zc;
	uint16_t tx_have[MAX_QUEUES];  /* txm[q][0..have) not sent yet */
	uint64_t tx_nombuf;
	uint64_t tx_seq[MAX_QUEUES];
	uint64_t tx_full;             /* bursts the port took only part of */
	/* rx */
	struct flow_rx flow[MAX_QUEUES];
	uint64_t frames, bytes, lost, reordered, bad, hellos;
	double iv_mpps[MAX_INTERVALS], iv_secs[MAX_INTERVALS];
	unsigned int niv;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Involuntary context switches so far: how often another task took our
 * CPU (on a shared CPU, the other side of the pair). */
static long preempted(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_nivcsw : -1;
}

/* ---- Frames ---- */

static struct payload *payload_of(struct rte_mbuf *m)
{
	return rte_pktmbuf_mtod_offset(m, struct payload *, HDR_BYTES);
}

/* A UDP/IPv4 frame of 'len' bytes for 'flow', RFC 2544's benchmark
 * addresses; the payload carries kind, flow and sequence. */
static void build_frame(const struct bench *b, uint8_t *f, uint32_t len, uint16_t flow,
			enum kind kind)
{
	struct rte_ether_hdr *eh = (struct rte_ether_hdr *)f;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eh + 1);
	struct rte_udp_hdr *uh = (struct rte_udp_hdr *)(ip + 1);
	struct payload *pl = (struct payload *)(uh + 1);

	memset(f, 0, len);
	memcpy(&eh->dst_addr, b->peer_mac, 6);
	memcpy(&eh->src_addr, b->info.mac, 6);
	eh->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eh)));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(0xc6120001u);   /* 198.18.0.1 */
	ip->dst_addr = rte_cpu_to_be_32(0xc6130001u);   /* 198.19.0.1 */
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	uh->src_port = rte_cpu_to_be_16((uint16_t)(UDP_PORT_BASE + flow));
	uh->dst_port = rte_cpu_to_be_16(UDP_PORT_DST);
	uh->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof(*eh) - sizeof(*ip)));
	pl->magic = rte_cpu_to_be_32(MAGIC);
	pl->kind = (uint16_t)kind;
	pl->flow = flow;
}

/* One control frame (HELLO, STOP) on queue 0; lost if the port is full,
 * which the senders of these tolerate (they repeat them). */
static void send_ctrl(struct bench *b, enum kind kind)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(b->mp);

	if (m == NULL)
		return;
	build_frame(b, rte_pktmbuf_mtod(m, uint8_t *), MIN_FRAME, 0, kind);
	m->data_len = m->pkt_len = MIN_FRAME;
	if (netvsc_port_tx_burst(b->port, 0, &m, 1) == 0)
		rte_pktmbuf_free(m);
}

/* ---- Sender ---- */

/* Every mbuf of the sending pool holds the frame from the start. */
static void tx_template(struct rte_mempool *mp, void *opaque, void *obj, unsigned int idx)
{
	const struct bench *b = opaque;
	struct rte_mbuf *m = obj;

	(void)mp;
	(void)idx;
	build_frame(b, (uint8_t *)m->buf_addr + RTE_PKTMBUF_HEADROOM, b->o.size, 0, K_DATA);
}

/* Top queue q's burst up with fresh mbufs, stamped with the flow (the
 * UDP source port and the payload's flow, on the first line). */
static void tx_refill(struct bench *b, uint16_t q)
{
	struct rte_mbuf **m = b->txm[q];
	unsigned int have = b->tx_have[q], i;

	if (have == BURST)
		return;
	if (rte_pktmbuf_alloc_bulk(b->txmp, m + have, BURST - have) != 0) {
		b->tx_nombuf++;
		return;
	}
	for (i = have; i < BURST; i++) {
		struct rte_udp_hdr *uh = rte_pktmbuf_mtod_offset(m[i], struct rte_udp_hdr *,
								 HDR_BYTES - sizeof(*uh));

		m[i]->data_len = (uint16_t)b->o.size;
		m[i]->pkt_len = b->o.size;
		uh->src_port = rte_cpu_to_be_16((uint16_t)(UDP_PORT_BASE + q));
		payload_of(m[i])->flow = q;
	}
	b->tx_have[q] = BURST;
}

static void tx_prepare(struct bench *b)
{
	rte_mempool_obj_iter(b->txmp, tx_template, b);
}

/* Drains every queue (B's HELLO and STOP come in; the port also reads our
 * send completions there). Returns the kinds seen as a bit mask. */
static unsigned int tx_poll_rx(struct bench *b)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int seen = 0;
	uint16_t q, n, i;

	for (q = 0; q < b->nq; q++) {
		n = netvsc_port_rx_burst(b->port, q, pkts, BURST);
		for (i = 0; i < n; i++) {
			const struct payload *pl = payload_of(pkts[i]);

			if (rte_pktmbuf_data_len(pkts[i]) >= HDR_BYTES + sizeof(*pl) &&
			    rte_be_to_cpu_32(pl->magic) == MAGIC && pl->kind < 16)
				seen |= 1u << pl->kind;
		}
		if (n > 0)
			rte_pktmbuf_free_bulk(pkts, n);
	}
	return seen;
}

static int run_tx(struct bench *b)
{
	double t0 = now_s(), deadline = t0 + b->o.seconds, t_start;
	uint64_t loops = 0, sent = 0;
	const char *stop = NULL;
	uint16_t q;
	unsigned int i;

	tx_prepare(b);
	/* Wait for B: until then the host has nowhere to send our frames. */
	while (!(tx_poll_rx(b) & 1u << K_HELLO)) {
		if (now_s() > deadline) {
			fprintf(stderr, "%s: no HELLO from the receiver within %u s: is it "
				"running on the same hvnet-netvsp?\n", b->o.name, b->o.seconds);
			return 1;
		}
		netvsc_port_wait(b->port, 1);
	}
	t_start = now_s();
	while (!stop) {
		for (q = 0; q < b->nq; q++) {
			struct rte_mbuf **m = b->txm[q];
			uint64_t seq = b->tx_seq[q];
			uint16_t took;

			tx_refill(b, q);
			if (b->tx_have[q] < BURST) {
				/* The pool is out: completions bring mbufs back. */
				tx_poll_rx(b);
				continue;
			}
			for (i = 0; i < BURST; i++)
				payload_of(m[i])->seq = seq + i;
			took = netvsc_port_tx_burst(b->port, q, m, BURST);
			b->tx_seq[q] += took;
			sent += took;
			if (took < BURST)
				b->tx_full++;
			if (took == 0 && b->o.yield)
				sched_yield();
			/* The rest go first next time, in order. */
			memmove(m, m + took, (BURST - took) * sizeof(*m));
			b->tx_have[q] = (uint16_t)(BURST - took);
		}
		if (++loops % RX_EVERY == 0) {
			if (tx_poll_rx(b) & 1u << K_STOP)
				stop = "receiver";
			else if (now_s() > deadline)
				stop = "deadline";
		}
	}
	printf("{\"mode\":\"tx\",\"final\":true,\"name\":\"%s\",\"frame_bytes\":%u,"
	       "\"queues\":%u,\"sent\":%" PRIu64 ",\"tx_full_bursts\":%" PRIu64 ","
	       "\"zero_copy\":%s,\"tx_nombuf\":%" PRIu64 ","
	       "\"seconds\":%.3f,\"stopped_by\":\"%s\",\"preempted\":%ld,\"rss_kib\":%ld}\n",
	       b->o.name, b->o.size, b->nq, sent, b->tx_full, b->tx_zc ? "true" : "false",
	       b->tx_nombuf, now_s() - t_start, stop, preempted(), hvn_proc_status_kib("VmHWM"));
	fflush(stdout);
	for (q = 0; q < b->nq; q++)
		rte_pktmbuf_free_bulk(b->txm[q], b->tx_have[q]);
	return 0;
}

/* ---- Receiver ---- */

static void rx_check(struct bench *b, struct rte_mbuf *m)
{
	const struct payload *pl = payload_of(m);
	struct flow_rx *f;
	uint16_t flow;

	if (rte_pktmbuf_pkt_len(m) != b->o.size || rte_pktmbuf_data_len(m) < HDR_BYTES + sizeof(*pl) ||
	    rte_be_to_cpu_32(pl->magic) != MAGIC || pl->kind != K_DATA) {
		if (b->bad++ < 5)
			fprintf(stderr, "%s: unexpected frame of %u bytes\n", b->o.name,
				rte_pktmbuf_pkt_len(m));
		return;
	}
	flow = pl->flow;
	if (flow >= MAX_QUEUES) {
		b->bad++;
		return;
	}
	f = &b->flow[flow];
	/* Each flow starts at 0: A begins only after our HELLO. */
	if (pl->seq > f->next)
		b->lost += pl->seq - f->next;
	else if (pl->seq < f->next)
		b->reordered++;
	if (pl->seq >= f->next)
		f->next = pl->seq + 1;
}

static unsigned int rx_poll(struct bench *b)
{
	struct rte_mbuf *pkts[BURST];
	unsigned int total = 0;
	uint16_t q, n, i;

	for (q = 0; q < b->nq; q++) {
		n = netvsc_port_rx_burst(b->port, q, pkts, BURST);
		for (i = 0; i < n; i++) {
			b->bytes += rte_pktmbuf_pkt_len(pkts[i]);
			rx_check(b, pkts[i]);
		}
		if (n > 0)
			rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	b->frames += total;
	return total;
}

static int run_rx(struct bench *b)
{
	double deadline = now_s() + 30.0, next_hello = 0, t, t_iv, t_first;
	uint64_t loops = 0, base_frames, base_bytes, iv_frames, iv_bytes;
	long pre0;
	unsigned int i;

	/* HELLO until the first frame arrives (A starts at our first HELLO
	 * it sees; before A joins the host drops them). */
	while (b->frames == 0) {
		t = now_s();
		if (t > deadline) {
			fprintf(stderr, "%s: no frames within 30 s: is the sender running on "
				"the same hvnet-netvsp?\n", b->o.name);
			return 1;
		}
		if (t >= next_hello) {
			send_ctrl(b, K_HELLO);
			b->hellos++;
			next_hello = t + 0.01;
		}
		rx_poll(b);
	}
	t_first = now_s();
	/* Warm-up: counted for loss, not for rate. */
	while (now_s() - t_first < b->o.warmup)
		rx_poll(b);
	pre0 = preempted();
	base_frames = iv_frames = b->frames;
	base_bytes = iv_bytes = b->bytes;
	t_iv = now_s();
	while (b->niv < b->o.seconds) {
		if (rx_poll(b) == 0 && b->o.yield)
			sched_yield();
		if (++loops % CLOCK_EVERY != 0)
			continue;
		t = now_s();
		if (t - t_iv < 1.0)
			continue;
		b->iv_secs[b->niv] = t - t_iv;
		b->iv_mpps[b->niv] = (double)(b->frames - iv_frames) / (t - t_iv) / 1e6;
		printf("{\"mode\":\"rx\",\"interval\":%u,\"mpps\":%.4f,\"gbps\":%.4f,\"seconds\":%.4f}\n",
		       b->niv, b->iv_mpps[b->niv],
		       (double)(b->bytes - iv_bytes) * 8 / (t - t_iv) / 1e9, t - t_iv);
		fflush(stdout);
		iv_frames = b->frames;
		iv_bytes = b->bytes;
		t_iv = t;
		b->niv++;
	}
	/* A stops at the first STOP it sees; a few, as one may find the
	 * port full. */
	for (i = 0; i < 5; i++) {
		send_ctrl(b, K_STOP);
		rx_poll(b);
	}
	printf("{\"mode\":\"rx\",\"final\":true,\"name\":\"%s\",\"status\":\"%s\",\"frame_bytes\":%u,"
	       "\"queues\":%u,\"intervals_mpps\":[",
	       b->o.name, b->bad == 0 ? "ok" : "failed", b->o.size, b->nq);
	for (i = 0; i < b->niv; i++)
		printf("%s%.4f", i ? "," : "", b->iv_mpps[i]);
	printf("],\"interval_seconds\":[");
	for (i = 0; i < b->niv; i++)
		printf("%s%.4f", i ? "," : "", b->iv_secs[i]);
	printf("],\"measured_frames\":%" PRIu64 ",\"measured_bytes\":%" PRIu64 ",\"frames\":%" PRIu64
	       ",\"lost\":%" PRIu64 ",\"reordered\":%" PRIu64 ",\"bad\":%" PRIu64
	       ",\"hellos\":%" PRIu64 ",\"preempted\":%ld,\"rss_kib\":%ld}\n",
	       b->frames - base_frames, b->bytes - base_bytes, b->frames, b->lost, b->reordered,
	       b->bad, b->hellos, preempted() - pre0, hvn_proc_status_kib("VmHWM"));
	fflush(stdout);
	return b->bad == 0 ? 0 : 1;
}

/* ---- Set-up ---- */

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "mode", required_argument, NULL, 'M' },
		{ "socket", required_argument, NULL, 's' },
		{ "size", required_argument, NULL, 'z' },
		{ "seconds", required_argument, NULL, 't' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "queues", required_argument, NULL, 'q' },
		{ "name", required_argument, NULL, 'n' },
		{ "ring-bytes", required_argument, NULL, 'R' },
		{ "rbuf-bytes", required_argument, NULL, 'B' },
		{ "sbuf-bytes", required_argument, NULL, 'S' },
		{ "yield", no_argument, NULL, 'Y' },
		{ "rx-copy", no_argument, NULL, 'C' },
		{ "tx-zero-copy", no_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode = NULL;
	int c;

	o->size = 64;
	o->seconds = 5;
	o->warmup = 1;
	o->queues = 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'M': mode = optarg; break;
		case 's': o->path = optarg; break;
		case 'z': o->size = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': o->seconds = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'w': o->warmup = (unsigned int)strtoul(optarg, NULL, 0); break;
		case 'q': o->queues = (uint16_t)strtoul(optarg, NULL, 0); break;
		case 'n': o->name = optarg; break;
		case 'R': o->ring_bytes = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'B': o->rbuf_bytes = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'S': o->sbuf_bytes = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'Y': o->yield = true; break;
		case 'C': o->rx_copy = true; break;
		case 'T': o->tx_zero_copy = true; break;
		default:
			return -EINVAL;
		}
	}
	if (mode == NULL || (strcmp(mode, "tx") != 0 && strcmp(mode, "rx") != 0) ||
	    o->path == NULL) {
		fprintf(stderr, "bench_synthetic: --mode tx|rx and --socket PATH are required\n");
		return -EINVAL;
	}
	o->tx = strcmp(mode, "tx") == 0;
	if (o->name == NULL)
		o->name = o->tx ? "syn-tx" : "syn-rx";
	if (o->size < MIN_FRAME || o->size > 9014 || o->queues == 0 || o->queues > MAX_QUEUES ||
	    o->seconds == 0 || o->seconds > MAX_INTERVALS) {
		fprintf(stderr, "bench_synthetic: --size 60..9014, --queues 1..%u, --seconds 1..%u\n",
			MAX_QUEUES, MAX_INTERVALS);
		return -EINVAL;
	}
	return 0;
}

/* EAL arguments come first, up to "--"; without them, what
 * hvnet-netvsc-guest runs with: no hugepages, no PCI, lcore 0. */
static int eal_init(int argc, char **argv, int *used)
{
	static char *defaults[] = {
		NULL, "--no-huge", "-m", "256", "--no-shconf", "--no-pci", "-l", "0",
		"--log-level=*:error", NULL,
	};
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i == argc) {
		defaults[0] = argv[0];
		rc = rte_eal_init((int)HVN_ARRAY_SIZE(defaults) - 1, defaults);
		*used = 0;
		return rc;
	}
	rc = rte_eal_init(argc, argv);
	*used = rc;
	return rc;
}

int main(int argc, char **argv)
{
	struct netvsc_port_conf conf;
	struct bench *b;
	int used, rc;

	if (eal_init(argc, argv, &used) < 0) {
		fprintf(stderr, "bench_synthetic: DPDK EAL init failed: %s (try --no-huge -m 256 "
			"--no-shconf --no-pci -l 0 --)\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= used;
	argv += used;
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return 1;
	if (parse(argc, argv, &b->o) < 0) {
		fprintf(stderr, "usage: bench_synthetic [EAL args --] --mode tx|rx --socket PATH "
			"--size N --seconds S [--queues N] [--warmup S] [--name NAME] "
			"[--ring-bytes N] [--rbuf-bytes N] [--sbuf-bytes N] [--yield] [--rx-copy] [--tx-zero-copy]\n");
		return 2;
	}
	/* The receiver's mbufs: a few bursts in flight at a time, but the
	 * port allocates from the per-lcore cache, so the pool size only
	 * sets how much memory the process maps, not what it touches. */
	b->mp = rte_pktmbuf_pool_create(b->o.tx ? "syn_tx" : "syn_rx", 4095, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (b->mp == NULL) {
		fprintf(stderr, "%s: no mbuf pool: %s (give EAL more memory with -m)\n", b->o.name,
			rte_strerror(rte_errno));
		return 1;
	}
	memset(&conf, 0, sizeof(conf));
	conf.socket_path = b->o.path;
	conf.name = b->o.name;
	conf.nb_queues = b->o.queues;
	conf.mp = b->mp;
	conf.ring_bytes = b->o.ring_bytes;
	conf.rbuf_bytes = b->o.rbuf_bytes;
	conf.sbuf_bytes = b->o.sbuf_bytes;
	conf.timeout_ms = 10000;
	conf.rx_zero_copy = !b->o.rx_copy;
	/* Zero-copy transmit: what the slots of every queue can have out,
	 * the pool's per-lcore cache and the bursts being filled. */
	if (b->o.tx && b->o.tx_zero_copy && b->o.size >= 512)
		conf.tx_pool_size = (uint32_t)b->o.queues * 1280u + 1024u;
	rc = netvsc_port_open(&conf, &b->port);
	if (rc < 0) {
		fprintf(stderr, "%s: bringing the synthetic NIC up failed: %s (is hvnet-netvsp "
			"listening on %s?)\n", b->o.name, strerror(-rc), b->o.path);
		return 1;
	}
	netvsc_port_info(b->port, &b->info);
	b->nq = b->info.nb_queues;
	if (b->o.size > b->info.mtu + RTE_ETHER_HDR_LEN) {
		fprintf(stderr, "%s: the host's MTU is %u: %u-byte frames cannot be sent\n",
			b->o.name, b->info.mtu, b->o.size);
		netvsc_port_close(b->port);
		return 1;
	}
	/* hvnet-netvsp numbers the vNICs of a pair ...:01 and ...:02 and so
	 * on (hvnet-netvsc-guest relies on it too). */
	memcpy(b->peer_mac, b->info.mac, 6);
	b->peer_mac[5] = (uint8_t)(b->info.mac[5] & 1u ? b->info.mac[5] + 1 : b->info.mac[5] - 1);
	b->txmp = netvsc_port_tx_pool(b->port);
	b->tx_zc = b->txmp != NULL;
	if (b->o.tx && b->txmp == NULL) {
		/* A burst a queue, the per-lcore cache, and room to spare. */
		b->tplmp = rte_pktmbuf_pool_create("syn_tpl", 2047, 256, 0,
						   RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		if (b->tplmp == NULL) {
			fprintf(stderr, "%s: no pool for the frames to send: %s (give EAL more "
				"memory with -m)\n", b->o.name, rte_strerror(rte_errno));
			netvsc_port_close(b->port);
			return 1;
		}
		b->txmp = b->tplmp;
	}
	fprintf(stderr, "%s: NIC up: NVSP %#x, %u queue(s), %u send sections of %u, "
		"%u receive sub-allocations of %u\n", b->o.name, b->info.nvsp_version, b->nq,
		b->info.nsections, b->info.section_size, b->info.num_sub_allocs,
		b->info.sub_alloc_size);
	rc = b->o.tx ? run_tx(b) : run_rx(b);
	netvsc_port_close(b->port);
	rte_mempool_free(b->tplmp);
	rte_mempool_free(b->mp);
	free(b);
	rte_eal_cleanup();
	return rc;
}
