/* hvnet-gen: a DPDK traffic generator and receiver for the benchmarks,
 * on any DPDK ports (net_memif, net_ring, net_pcap, net_af_packet,
 * net_tap, ... from EAL --vdev).
 *
 *   hvnet-gen [EAL args] -- --tx-port N[,N...] --rx-port N[,N...]
 *       [--size BYTES|imix] [--rate-mpps X | --rate-pct P [--line-gbps G]]
 *       [--flows N] [--src-macs N] [--dst-mac MAC] [--src-mac MAC]
 *       [--vlan VID] [--duration S] [--warmup S] [--learn S] [--latency]
 *       [--json] ...                                   (--help for all)
 *
 * It sends UDP/IPv4 frames on the tx ports and checks every frame that
 * comes back on the rx ports: magic, stream, sequence number (loss,
 * reordering, duplicates) and, with --latency, the TSC it was sent at.
 * The timeline: [learn] -> warm-up -> measured -> drain. Warm-up frames
 * travel like the others but carry a kind that the receiver does not
 * count; after the measured seconds the sender stops and the receiver
 * keeps polling until the path has been quiet for a while (or --drain
 * seconds), so frames still in flight are not taken for lost.
 *
 * Lcores: with one EAL lcore it sends and receives in one loop (on a
 * 2-core machine the device under test needs the other core); with two
 * or more, the first worker sends and the main lcore receives and
 * reports.
 *
 * Ports: ethdev ports (EAL --vdev, a NIC), and with --netvsc SOCKET,NAME
 * the synthetic NIC of a process partition NAME joined to the VMBus host
 * at SOCKET (vswitchd's --vmbus-socket, hvnet-netvsp): hvnet-gen is then
 * that partition, and the NIC is a port like any other, numbered after
 * the ethdev ports. The loops call one of two burst functions per burst,
 * nothing per frame. A netVSC queue's ring carries both its received
 * frames and its transmit completions, so its rx and tx must stay on one
 * lcore: with a --netvsc port hvnet-gen runs on one lcore.
 *
 * --forward macswap: no generator; every frame received on a port has its
 * MACs swapped and goes out on the paired port (0 <-> 1, 2 <-> 3; a port
 * without a pair to itself), as testpmd's macswap does: the VNF of a PVP
 * topology. What the paired port does not take is dropped and counted.
 * Runs until SIGINT or SIGTERM.
 *
 * Frames: Ethernet [802.1Q] IPv4 UDP, 198.18.0.0/15 (RFC 2544's
 * benchmark range): flow f comes from 198.18.0.0 + 1 + (f mod 65535),
 * UDP source port 1024 + (f mod 64511), to 198.19.0.1 port 9 (discard).
 * The IPv4 checksum is right; the UDP checksum is 0 (allowed over
 * IPv4). Each frame's payload starts right after the UDP header with 14
 * bytes (so a tagged 64-byte frame still holds it):
 *   be16 magic 0x4856 ("HV"),
 *   le64 seq << 24 | stream << 2 | kind   (kind: warm-up, measured, learn),
 *   le32 TSC >> 2 when it was handed to the port (--latency; else 0).
 * A stream is (tx port index, flow), each with its own sequence from 0.
 *
 * Sending allocates from a mempool (rte_pktmbuf_alloc_bulk) and copies a
 * prebuilt 64-byte header template, then patches the per-frame fields;
 * --tx-mode inplace instead cycles through mbufs it owns, holding one
 * reference so the port's free only drops its own: an mbuf is reused
 * only once its count is back to ours, so a port that passes pointers
 * (net_ring) never sees a frame change under it. Frames the port does
 * not take stay queued in order and go first next time, so the
 * sequence never has holes the path did not make.
 *
 * Rate: per tx port, a token bucket in TSC cycles that banks up to 1 ms
 * of frames, so a sender that fell behind (preempted, a slow burst)
 * catches up in bursts of 32; and a sliding 1 ms window over what the
 * port took (the TSC and count of each recent burst), so that no 1 ms
 * window ever carries more than the target: catching up fills the
 * window, never exceeds it. A stall longer than 1 ms is lost, and then
 * tx_mpps stays below offered_mpps (the JSON has both).
 *
 * Exit status: 0 when the run completed (loss is a result, not an
 * error), 1 when something failed (with a sentence on stderr), 2 on a
 * usage error. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_memcpy.h>
#include <rte_mempool.h>

#include "netvsc/netvsc_port.h"

#define BURST            32u
#define TXQ_CAP          (2u * BURST)  /* queued frames: retries, duplicates */
#define MAX_PORTS        16u
#define MAX_FLOWS        (1u << 20)
#define STREAM_BITS      22u
#define MAX_STREAMS      (1u << STREAM_BITS)
#define MAX_SRC_MACS     (1u << 24)
#define TPL_BYTES        64u           /* header template, copied whole */
#define PAYLOAD_BYTES    14u
#define GEN_MAGIC        0x4856u
#define UDP_DST          9u            /* discard */
#define SPORT_BASE       1024u
#define SPORT_SPAN       64511u
#define IP_HOST_SPAN     65535u
#define IP_SRC_NET       0xc6120000u   /* 198.18.0.0 */
#define IP_DST           0xc6130001u   /* 198.19.0.1 */
#define TS_SHIFT         2u            /* 32 bits of TSC/4: ~1.3 ns, wraps after ~5 s */
#define HIST_SUB_BITS    4u            /* 16 linear steps per power of two: ~6% */
#define HIST_BUCKETS     1024u
#define NB_DESC          1024u
#define POOL_PER_PORT    8192u
#define POOL_CACHE       256u
#define INPLACE_PER_PORT 2048u
#define WIN_SLOTS        8192u         /* tx bursts remembered for the 1 ms window */
#define MAX_RXQ          8u
#define RX_ROUNDS        4u            /* rx bursts per port per loop while full */
#define QUIET_MS         100u          /* drain ends after this long without frames */
#define FCS_BYTES        4u
#define MIN_SIZE         64u
#define MAX_SIZE         1518u
#define NV_PATH_MAX      108u          /* sun_path */
#define NV_NAME_MAX      64u
#define NV_MAX_QUEUES    8u

enum kind { K_WARM = 0, K_MEAS = 1, K_LEARN = 2 };
/* What a queued tx frame counts as once the port takes it: S_LATE is a
 * measured frame queued behind its successor (--test-swap-every), S_DUP
 * a second copy (--test-dup-every). */
enum slot { S_WARM, S_MEAS, S_LATE, S_DUP };

/* 7:4:1 of 64, 570 and 1518 (average 353.83 B), interleaved so that a
 * short window already has the mix. 570 as the bench contract names it;
 * the classic simple IMIX has 594 (a 576-byte IP datagram). */
static const uint16_t imix_sizes[] = { 64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 64, 570 };
#define IMIX_N (sizeof(imix_sizes) / sizeof(imix_sizes[0]))

/* --netvsc SOCKET,NAME[,queues=N] */
struct nv_opt {
	char path[NV_PATH_MAX], name[NV_NAME_MAX];
	uint16_t queues;
};

struct gen_opts {
	uint16_t tx_ports[MAX_PORTS], rx_ports[MAX_PORTS];
	unsigned int ntx, nrx;
	uint32_t size;                 /* with FCS; 0: imix */
	double rate_mpps;              /* per tx port; 0: as fast as possible */
	double rate_pct, line_gbps;
	uint32_t flows, src_macs;
	uint16_t rxq;                  /* rx queues per port, all polled */
	struct rte_ether_addr src_mac[MAX_PORTS], dst_mac[MAX_PORTS];
	unsigned int nsrc, ndst;
	int vlan;                      /* -1: untagged */
	double duration, warmup, learn, learn_mpps, drain, link_timeout;
	bool latency, json, inplace;
	/* Test-only faults, so the tests can check the counting is exact. */
	uint64_t drop_every, swap_every, dup_every;
	struct nv_opt nv[MAX_PORTS];
	unsigned int nnv;
	bool fwd;                      /* --forward macswap */
	bool smac_given, dmac_given;
};

/* A port: ethdev port 'id', or a netVSC NIC (nv). */
struct gport {
	uint16_t id;                   /* its number in --tx-port / --rx-port */
	uint16_t nrxq;                 /* rx queues polled */
	struct netvsc_port *nv;
	struct rte_ether_addr mac;     /* nv's, as the host assigned it */
	uint64_t fwd_rx, fwd_tx, fwd_drop;
};

static inline uint16_t gp_rx(struct gport *p, uint16_t q, struct rte_mbuf **m, uint16_t n)
{
	return p->nv ? netvsc_port_rx_burst(p->nv, q, m, n) : rte_eth_rx_burst(p->id, q, m, n);
}

static inline uint16_t gp_tx(struct gport *p, uint16_t q, struct rte_mbuf **m, uint16_t n)
{
	return p->nv ? netvsc_port_tx_burst(p->nv, q, m, n) : rte_eth_tx_burst(p->id, q, m, n);
}

struct txp {
	struct gport *gp;
	uint16_t idx;
	uint8_t tpl[TPL_BYTES];
	uint16_t l2, hdr;              /* Ethernet(+tag) length; + IPv4 + UDP */
	uint32_t ip_sum0;              /* header sum without length and host part */
	uint32_t mac_lo0;              /* low 32 bits of the base source MAC */
	uint64_t *seq;                 /* next sequence per flow */
	uint32_t flow, sport, host, mac, imix;
	struct rte_mbuf *q[TXQ_CAP];
	uint8_t slot[TXQ_CAP];
	unsigned int nq;
	double tokens, per_cycle, depth;
	uint64_t last_tsc;
	/* The bursts of the last 1 ms: TSC and frames, oldest at tail. */
	uint64_t *win_tsc;
	uint16_t *win_n;
	unsigned int win_head, win_tail;
	uint64_t win_sum, win_limit, win_span;
	struct rte_mbuf **own;         /* --tx-mode inplace */
	unsigned int nown, own_cur;
	uint64_t swap_left, dup_left;
	/* Published for the progress line when another lcore sends. */
	_Atomic uint64_t pub_all;
	uint64_t sent_all, sent_meas, busy, swapped, duplicated;
};

struct rxs {
	uint64_t next;                 /* sequence expected next */
	uint64_t win;                  /* bit d: next-1-d arrived */
};

struct gen {
	struct gen_opts o;
	uint64_t hz;
	struct rte_mempool *txpool, *rxpool;
	struct txp tx[MAX_PORTS];
	struct gport ports[MAX_PORTS]; /* every port we use; rx polls all */
	bool counted[MAX_PORTS];       /* ports[i] is an rx port */
	unsigned int nports;
	uint32_t nstreams;
	uint64_t *tx_seq;
	struct rxs *rxs;
	uint64_t *hist;
	uint64_t t_meas, t_end;
	_Atomic int tx_done, stop;
	/* Receiver counters; the main lcore owns them. */
	uint64_t rx_all, rx_meas, rx_bytes, dups, reordered, gaps, other, bad, learned,
		elsewhere, dropped, drop_left, lat_n, lat_max, lat_min;
	uint64_t learn_sent;
	double duration_s;
	int worker;                    /* tx lcore, or -1 */
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static void __attribute__((format(printf, 1, 2))) fail(const char *fmt, ...)
{
	va_list ap;

	fputs("hvnet-gen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fputs("usage: hvnet-gen [EAL args] -- --tx-port N[,N...] --rx-port N[,N...] [options]\n"
	      "  --size BYTES|imix   frame on the wire with its 4-byte FCS, 64..1518 (64);\n"
	      "                      imix: 7:4:1 of 64, 570 and 1518\n"
	      "  --rate-mpps X       offered rate per tx port (0 or absent: as fast as possible)\n"
	      "  --rate-pct P        offered rate per tx port as a share of --line-gbps\n"
	      "  --line-gbps G       link speed for --rate-pct (10)\n"
	      "  --flows N           source IPv4 address and UDP source port over N flows (1)\n"
	      "  --src-macs N        source MAC over N addresses from --src-mac up (1)\n"
	      "  --src-mac MAC[,..]  base source MAC, one or one per tx port\n"
	      "                      (02:00:00:00:00:01; tx port j adds j x N to a single one)\n"
	      "  --dst-mac MAC[,..]  destination MAC, one or one per tx port (02:00:00:00:00:02)\n"
	      "  --vlan VID          tag frames with 802.1Q VID (the tag counts in --size)\n"
	      "  --duration S        measured seconds (5)\n"
	      "  --warmup S          seconds sent before, not counted (1)\n"
	      "  --learn S           first send one frame from each source MAC (and from\n"
	      "                      --dst-mac on rx ports that are not tx ports), wait S s\n"
	      "  --learn-mpps X      pace of the learn frames per port (--rate-mpps, else 1)\n"
	      "  --latency           timestamp every frame, report latency percentiles\n"
	      "  --json              one JSON object on stdout at the end\n"
	      "  --tx-mode alloc|inplace  fresh mbufs per frame, or reuse owned ones (alloc)\n"
	      "  --rxq N             rx queues per port, all polled (1): a memif server with\n"
	      "                      N tx queues (OVS: one per thread) needs N on the client\n"
	      "  --drain S           longest wait for frames in flight after sending (2)\n"
	      "  --link-timeout S    how long to wait for every port's link (10)\n"
	      "  --netvsc SOCKET,NAME[,queues=N]  be process partition NAME of the VMBus\n"
	      "                      host at SOCKET; its synthetic NIC is the next port after\n"
	      "                      the ethdev ports (repeatable; one lcore then); without\n"
	      "                      --src-mac/--dst-mac, the NICs' own MACs\n"
	      "  --forward macswap   no traffic of our own: swap the MACs of every frame\n"
	      "                      received and send it on the paired port (0<->1; alone:\n"
	      "                      itself) until SIGINT/SIGTERM (a PVP VNF)\n"
	      "  test only: --test-drop-every N (the receiver discards every Nth measured\n"
	      "  frame), --test-swap-every N (swap it with the next), --test-dup-every N\n"
	      "  (send it twice)\n", f);
}

static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_ports(const char *s, uint16_t *ports, unsigned int *n)
{
	char buf[256], *tok, *save = NULL;
	uint64_t v;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_PORTS || parse_u64(tok, 0, RTE_MAX_ETHPORTS - 1, &v) < 0)
			return -EINVAL;
		ports[(*n)++] = (uint16_t)v;
	}
	return *n ? 0 : -EINVAL;
}

/* SOCKET,NAME[,queues=N] */
static int parse_netvsc(const char *s, struct gen_opts *o)
{
	const char *c1 = strchr(s, ','), *c2;
	struct nv_opt *nv = &o->nv[o->nnv];
	size_t lp, ln;
	uint64_t v = 1;

	if (o->nnv == MAX_PORTS || c1 == NULL)
		return -EINVAL;
	c2 = strchr(c1 + 1, ',');
	lp = (size_t)(c1 - s);
	ln = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	if (lp == 0 || lp >= sizeof(nv->path) || ln == 0 || ln >= sizeof(nv->name))
		return -EINVAL;
	if (c2 && (strncmp(c2 + 1, "queues=", 7) != 0 ||
		   parse_u64(c2 + 8, 1, NV_MAX_QUEUES, &v) < 0))
		return -EINVAL;
	memcpy(nv->path, s, lp);
	nv->path[lp] = '\0';
	memcpy(nv->name, c1 + 1, ln);
	nv->name[ln] = '\0';
	nv->queues = (uint16_t)v;
	o->nnv++;
	return 0;
}

static int parse_macs(const char *s, struct rte_ether_addr *macs, unsigned int *n)
{
	char buf[MAX_PORTS * 18 + 1], *tok, *save = NULL;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	*n = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (*n == MAX_PORTS || rte_ether_unformat_addr(tok, &macs[*n]) < 0)
			return -EINVAL;
		(*n)++;
	}
	return *n ? 0 : -EINVAL;
}

enum {
	O_TX = 256, O_RX, O_SIZE, O_RATE, O_PCT, O_LINE, O_FLOWS, O_SMACS, O_DMAC, O_SMAC,
	O_VLAN, O_DUR, O_WARM, O_LEARN, O_LEARN_MPPS, O_LAT, O_JSON, O_TXMODE, O_DRAIN,
	O_LINKTO, O_DROP, O_SWAP, O_DUP, O_HELP, O_RXQ, O_NETVSC, O_FWD
};

static const struct option long_opts[] = {
	{ "tx-port", required_argument, NULL, O_TX },
	{ "rx-port", required_argument, NULL, O_RX },
	{ "size", required_argument, NULL, O_SIZE },
	{ "rate-mpps", required_argument, NULL, O_RATE },
	{ "rate-pct", required_argument, NULL, O_PCT },
	{ "line-gbps", required_argument, NULL, O_LINE },
	{ "flows", required_argument, NULL, O_FLOWS },
	{ "src-macs", required_argument, NULL, O_SMACS },
	{ "dst-mac", required_argument, NULL, O_DMAC },
	{ "src-mac", required_argument, NULL, O_SMAC },
	{ "vlan", required_argument, NULL, O_VLAN },
	{ "duration", required_argument, NULL, O_DUR },
	{ "warmup", required_argument, NULL, O_WARM },
	{ "learn", required_argument, NULL, O_LEARN },
	{ "learn-mpps", required_argument, NULL, O_LEARN_MPPS },
	{ "latency", no_argument, NULL, O_LAT },
	{ "json", no_argument, NULL, O_JSON },
	{ "tx-mode", required_argument, NULL, O_TXMODE },
	{ "drain", required_argument, NULL, O_DRAIN },
	{ "link-timeout", required_argument, NULL, O_LINKTO },
	{ "test-drop-every", required_argument, NULL, O_DROP },
	{ "test-swap-every", required_argument, NULL, O_SWAP },
	{ "test-dup-every", required_argument, NULL, O_DUP },
	{ "help", no_argument, NULL, O_HELP },
	{ "rxq", required_argument, NULL, O_RXQ },
	{ "netvsc", required_argument, NULL, O_NETVSC },
	{ "forward", required_argument, NULL, O_FWD },
	{ NULL, 0, NULL, 0 },
};

/* Returns 0, 1 for --help, or -EINVAL after saying what is wrong. */
static int parse_opts(int argc, char **argv, struct gen_opts *o)
{
	bool have_pct = false;
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->size = MIN_SIZE;
	o->line_gbps = 10;
	o->flows = 1;
	o->rxq = 1;
	o->src_macs = 1;
	o->vlan = -1;
	o->duration = 5;
	o->warmup = 1;
	o->drain = 2;
	o->link_timeout = 10;
	rte_ether_unformat_addr("02:00:00:00:00:01", &o->src_mac[0]);
	rte_ether_unformat_addr("02:00:00:00:00:02", &o->dst_mac[0]);
	o->nsrc = o->ndst = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		int r = 0;

		switch (c) {
		case O_TX:
			r = parse_ports(optarg, o->tx_ports, &o->ntx);
			break;
		case O_RX:
			r = parse_ports(optarg, o->rx_ports, &o->nrx);
			break;
		case O_SIZE:
			if (strcmp(optarg, "imix") == 0)
				o->size = 0;
			else if ((r = parse_u64(optarg, MIN_SIZE, MAX_SIZE, &v)) == 0)
				o->size = (uint32_t)v;
			break;
		case O_RATE:
			r = parse_double(optarg, 0, 1e4, &o->rate_mpps);
			break;
		case O_PCT:
			r = parse_double(optarg, 0, 100, &o->rate_pct);
			have_pct = true;
			break;
		case O_LINE:
			r = parse_double(optarg, 1e-3, 1e4, &o->line_gbps);
			break;
		case O_FLOWS:
			if ((r = parse_u64(optarg, 1, MAX_FLOWS, &v)) == 0)
				o->flows = (uint32_t)v;
			break;
		case O_SMACS:
			if ((r = parse_u64(optarg, 1, MAX_SRC_MACS, &v)) == 0)
				o->src_macs = (uint32_t)v;
			break;
		case O_DMAC:
			r = parse_macs(optarg, o->dst_mac, &o->ndst);
			o->dmac_given = true;
			break;
		case O_SMAC:
			r = parse_macs(optarg, o->src_mac, &o->nsrc);
			o->smac_given = true;
			break;
		case O_VLAN:
			if ((r = parse_u64(optarg, 0, 4095, &v)) == 0)
				o->vlan = (int)v;
			break;
		case O_DUR:
			r = parse_double(optarg, 0.001, 86400, &o->duration);
			break;
		case O_WARM:
			r = parse_double(optarg, 0, 3600, &o->warmup);
			break;
		case O_LEARN:
			r = parse_double(optarg, 0, 3600, &o->learn);
			break;
		case O_LEARN_MPPS:
			r = parse_double(optarg, 1e-6, 1e4, &o->learn_mpps);
			break;
		case O_LAT:
			o->latency = true;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_TXMODE:
			if (strcmp(optarg, "inplace") == 0)
				o->inplace = true;
			else if (strcmp(optarg, "alloc") != 0)
				r = -EINVAL;
			break;
		case O_DRAIN:
			r = parse_double(optarg, 0, 600, &o->drain);
			break;
		case O_LINKTO:
			r = parse_double(optarg, 0, 600, &o->link_timeout);
			break;
		case O_DROP:
			r = parse_u64(optarg, 1, UINT32_MAX, &o->drop_every);
			break;
		case O_SWAP:
			r = parse_u64(optarg, 2, UINT32_MAX, &o->swap_every);
			break;
		case O_DUP:
			r = parse_u64(optarg, 1, UINT32_MAX, &o->dup_every);
			break;
		case O_RXQ:
			if ((r = parse_u64(optarg, 1, MAX_RXQ, &v)) == 0)
				o->rxq = (uint16_t)v;
			break;
		case O_NETVSC:
			r = parse_netvsc(optarg, o);
			break;
		case O_FWD:
			if (strcmp(optarg, "macswap") == 0)
				o->fwd = true;
			else
				r = -EINVAL;
			break;
		case O_HELP:
			usage(stdout);
			return 1;
		default:
			usage(stderr);
			return -EINVAL;
		}
		if (r < 0) {
			fail("bad value '%s' for --%s (see --help)", optarg,
			     long_opts[c - O_TX].name);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fail("unexpected argument '%s' (EAL arguments go before --)", argv[optind]);
		return -EINVAL;
	}
	if (o->fwd && (o->ntx || o->nrx)) {
		fail("--forward uses every port: give no --tx-port or --rx-port");
		return -EINVAL;
	}
	if (!o->fwd && (!o->ntx || !o->nrx)) {
		fail("--tx-port and --rx-port are required (see --help)");
		return -EINVAL;
	}
	if (have_pct && o->rate_mpps > 0) {
		fail("give either --rate-mpps or --rate-pct, not both");
		return -EINVAL;
	}
	if (o->nsrc != 1 && o->nsrc != o->ntx) {
		fail("--src-mac takes one MAC or one per tx port (%u)", o->ntx);
		return -EINVAL;
	}
	if (o->ndst != 1 && o->ndst != o->ntx) {
		fail("--dst-mac takes one MAC or one per tx port (%u)", o->ntx);
		return -EINVAL;
	}
	if ((uint64_t)o->ntx * o->flows > MAX_STREAMS) {
		fail("%u tx ports x %u flows is more than the %u streams a frame can name",
		     o->ntx, o->flows, MAX_STREAMS);
		return -EINVAL;
	}
	if (have_pct) {
		double avg = 0;
		unsigned int i;

		if (o->size) {
			avg = o->size;
		} else {
			for (i = 0; i < IMIX_N; i++)
				avg += imix_sizes[i];
			avg /= IMIX_N;
		}
		/* Line rate counts preamble, start delimiter and gap: 20 bytes. */
		o->rate_mpps = o->rate_pct / 100.0 * o->line_gbps * 1e3 / ((avg + 20) * 8);
	}
	if (o->learn_mpps == 0)
		o->learn_mpps = o->rate_mpps > 0 ? o->rate_mpps : 1.0;
	return 0;
}

/* ---- frames ---- */

static uint32_t sum16(const uint8_t *p, unsigned int len, uint32_t sum)
{
	unsigned int i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t mac_lo32(const struct rte_ether_addr *a)
{
	return (uint32_t)a->addr_bytes[2] << 24 | (uint32_t)a->addr_bytes[3] << 16 |
	       (uint32_t)a->addr_bytes[4] << 8 | a->addr_bytes[5];
}

/* The constant part of every frame a tx port sends: MACs, tag, IPv4 and
 * UDP headers with the per-frame fields zero. */
static void txp_template(const struct gen_opts *o, struct txp *t, const struct rte_ether_addr *src,
			 const struct rte_ether_addr *dst)
{
	uint8_t *p = t->tpl, *ip, *udp;

	memset(p, 0, sizeof(t->tpl));
	memcpy(p, dst->addr_bytes, 6);
	memcpy(p + 6, src->addr_bytes, 6);
	t->l2 = 14;
	if (o->vlan >= 0) {
		put16(p + 12, RTE_ETHER_TYPE_VLAN);
		put16(p + 14, (uint16_t)o->vlan);
		t->l2 = 18;
	}
	put16(p + t->l2 - 2, RTE_ETHER_TYPE_IPV4);
	ip = p + t->l2;
	ip[0] = 0x45;
	ip[8] = 64;                         /* TTL */
	ip[9] = IPPROTO_UDP;
	put16(ip + 12, IP_SRC_NET >> 16);   /* host part patched per frame */
	put16(ip + 16, IP_DST >> 16);
	put16(ip + 18, IP_DST & 0xffff);
	t->ip_sum0 = sum16(ip, 20, 0);
	udp = ip + 20;
	put16(udp + 2, UDP_DST);
	t->hdr = (uint16_t)(t->l2 + 28);
	put16(p + t->hdr, GEN_MAGIC);
	t->mac_lo0 = mac_lo32(src);
	RTE_BUILD_BUG_ON(18 + 28 + PAYLOAD_BYTES > MIN_SIZE - FCS_BYTES);
}

static uint64_t pl_word(uint64_t seq, uint32_t stream, enum kind k)
{
	return seq << 24 | (uint64_t)stream << 2 | (uint64_t)k;
}

/* Writes frame number t's next frame into m: header template, then the
 * fields that vary (length, source MAC, flow, sequence). */
static void fill_frame(const struct gen *g, struct txp *t, struct rte_mbuf *m, enum kind k)
{
	const struct gen_opts *o = &g->o;
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), *ip = p + t->l2, *udp = ip + 20;
	uint32_t flow = t->flow, len, mac;
	uint16_t ip_len;
	uint64_t word;

	if (o->size) {
		len = o->size - FCS_BYTES;
	} else {
		len = imix_sizes[t->imix] - FCS_BYTES;
		if (++t->imix == IMIX_N)
			t->imix = 0;
	}
	rte_memcpy(p, t->tpl, TPL_BYTES);
	m->data_len = (uint16_t)len;
	m->pkt_len = len;
	if (o->src_macs > 1) {
		mac = rte_cpu_to_be_32(t->mac_lo0 + t->mac);
		memcpy(p + 8, &mac, 4);
		if (++t->mac == o->src_macs)
			t->mac = 0;
	}
	ip_len = (uint16_t)(len - t->l2);
	put16(ip + 2, ip_len);
	put16(ip + 14, (uint16_t)(1 + t->host));
	put16(ip + 10, (uint16_t)~fold(t->ip_sum0 + ip_len + 1 + t->host));
	put16(udp, (uint16_t)(SPORT_BASE + t->sport));
	put16(udp + 4, (uint16_t)(ip_len - 20));
	word = pl_word(t->seq[flow]++, t->idx * o->flows + flow, k);
	memcpy(p + t->hdr + 2, &word, 8);
	if (++t->flow == o->flows) {
		t->flow = t->sport = t->host = 0;
	} else {
		if (++t->sport == SPORT_SPAN)
			t->sport = 0;
		if (++t->host == IP_HOST_SPAN)
			t->host = 0;
	}
}

/* Next free owned mbuf (--tx-mode inplace): one whose count is back to
 * our single reference, i.e. no port or receiver still holds it. */
static struct rte_mbuf *own_next(struct txp *t)
{
	struct rte_mbuf *m = t->own[t->own_cur];

	if (rte_mbuf_refcnt_read(m) != 1)
		return NULL;
	if (++t->own_cur == t->nown)
		t->own_cur = 0;
	rte_mbuf_refcnt_update(m, 1);
	/* A port may have moved data_off (a prepended header) on its way. */
	m->data_off = RTE_PKTMBUF_HEADROOM;
	m->ol_flags = 0;
	return m;
}

/* Queues up to 'want' new frames of kind k behind what the port did not
 * take last time. Returns how many. */
static unsigned int txp_build(struct gen *g, struct txp *t, unsigned int want, enum kind k)
{
	struct rte_mbuf *ms[BURST];
	unsigned int n, i;
	uint8_t s = k == K_MEAS ? S_MEAS : S_WARM;

	if (want > BURST)
		want = BURST;
	if (g->o.dup_every && want > (TXQ_CAP - t->nq) / 2)
		want = (TXQ_CAP - t->nq) / 2;
	if (want > TXQ_CAP - t->nq)
		want = TXQ_CAP - t->nq;
	if (want == 0)
		return 0;
	if (g->o.inplace) {
		for (n = 0; n < want; n++)
			if ((ms[n] = own_next(t)) == NULL)
				break;
	} else {
		/* The pool runs dry only when the path holds all of it. */
		while (rte_pktmbuf_alloc_bulk(g->txpool, ms, want) != 0)
			if ((want /= 2) == 0)
				return 0;
		n = want;
	}
	for (i = 0; i < n; i++) {
		fill_frame(g, t, ms[i], k);
		t->q[t->nq] = ms[i];
		t->slot[t->nq++] = s;
		if (k != K_MEAS)
			continue;
		if (g->o.swap_every && --t->swap_left == 0) {
			t->swap_left = g->o.swap_every;
			/* Swap with the frame before it (same burst, same kind): with
			 * one flow that one has the previous sequence number. */
			if (i > 0) {
				RTE_SWAP(t->q[t->nq - 1], t->q[t->nq - 2]);
				t->slot[t->nq - 1] = S_LATE;
			}
		}
		if (g->o.dup_every && --t->dup_left == 0) {
			t->dup_left = g->o.dup_every;
			rte_mbuf_refcnt_update(ms[i], 1);
			t->q[t->nq] = ms[i];
			t->slot[t->nq++] = S_DUP;
		}
	}
	return n;
}

/* Hands the queue to the port, up to 'max' frames; what it does not take
 * stays queued, in order. */
static unsigned int txp_send(struct gen *g, struct txp *t, unsigned int max)
{
	unsigned int n, i;

	if (max > t->nq)
		max = t->nq;
	if (max == 0)
		return 0;
	if (g->o.latency) {
		uint32_t ts = (uint32_t)(rte_rdtsc() >> TS_SHIFT);

		for (i = 0; i < max; i++)
			memcpy(rte_pktmbuf_mtod_offset(t->q[i], uint8_t *, t->hdr + 10), &ts, 4);
	}
	n = gp_tx(t->gp, 0, t->q, (uint16_t)max);
	for (i = 0; i < n; i++) {
		if (t->slot[i] == S_MEAS) {
			t->sent_meas++;
		} else if (t->slot[i] == S_LATE) {
			/* Counted when the late one goes: its successor went first
			 * (queue order), so this swap reaches the receiver whole. */
			t->sent_meas++;
			t->swapped++;
		} else if (t->slot[i] == S_DUP) {
			t->duplicated++;
		}
	}
	t->sent_all += n;
	if (n < max)
		t->busy++;
	if (n) {
		t->nq -= n;
		memmove(t->q, t->q + n, t->nq * sizeof(t->q[0]));
		memmove(t->slot, t->slot + n, t->nq);
	}
	return n;
}

static void txp_tokens(struct txp *t, uint64_t now)
{
	t->tokens += (double)(now - t->last_tsc) * t->per_cycle;
	if (t->tokens > t->depth)
		t->tokens = t->depth;
	t->last_tsc = now;
}

/* Frames the 1 ms window still has room for at 'now'. */
static unsigned int txp_window(struct txp *t, uint64_t now)
{
	while (t->win_tail != t->win_head && t->win_tsc[t->win_tail] + t->win_span <= now) {
		t->win_sum -= t->win_n[t->win_tail];
		t->win_tail = (t->win_tail + 1) & (WIN_SLOTS - 1);
	}
	/* A full record (thousands of tiny bursts in 1 ms) waits for room. */
	if (((t->win_head + 1) & (WIN_SLOTS - 1)) == t->win_tail)
		return 0;
	return (unsigned int)RTE_MIN(t->win_limit - t->win_sum, (uint64_t)TXQ_CAP);
}

static void tx_step(struct gen *g, struct txp *t, uint64_t now, enum kind k)
{
	unsigned int allow = TXQ_CAP, n;

	if (t->per_cycle > 0) {
		txp_tokens(t, now);
		allow = RTE_MIN((unsigned int)t->tokens, txp_window(t, now));
	}
	if (allow > t->nq)
		txp_build(g, t, allow - t->nq, k);
	n = txp_send(g, t, allow);
	if (t->per_cycle > 0 && n) {
		t->tokens -= n;
		t->win_tsc[t->win_head] = now;
		t->win_n[t->win_head] = (uint16_t)n;
		t->win_sum += n;
		t->win_head = (t->win_head + 1) & (WIN_SLOTS - 1);
	}
}

/* Frames still queued when sending ends never left: free them, which
 * leaves no hole (they are the last of their streams). */
static void txp_discard(struct txp *t)
{
	unsigned int i;

	for (i = 0; i < t->nq; i++)
		rte_pktmbuf_free(t->q[i]);
	t->nq = 0;
}

/* ---- receiving ---- */

static unsigned int hist_index(uint64_t v)
{
	unsigned int e;

	if (v < (1u << HIST_SUB_BITS))
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);
	return (e - HIST_SUB_BITS + 1) << HIST_SUB_BITS |
	       ((unsigned int)(v >> (e - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1));
}

/* [lo, hi) of bucket i, in cycles. */
static void hist_range(unsigned int i, double *lo, double *hi)
{
	unsigned int e = i >> HIST_SUB_BITS, sub = i & ((1u << HIST_SUB_BITS) - 1);

	if (e == 0) {
		*lo = i;
		*hi = i + 1;
		return;
	}
	*lo = ldexp((double)((1u << HIST_SUB_BITS) + sub), (int)(e - 1));
	*hi = ldexp((double)((1u << HIST_SUB_BITS) + sub + 1), (int)(e - 1));
}

static void account(struct gen *g, uint32_t stream, uint64_t seq, bool meas, uint32_t bytes,
		    uint32_t ts, uint64_t now)
{
	struct rxs *s = &g->rxs[stream];

	if (likely(seq == s->next)) {
		s->next++;
		s->win = s->win << 1 | 1;
	} else if (seq > s->next) {
		uint64_t gap = seq - s->next;

		if (meas)
			g->gaps += gap;
		s->win = gap >= 63 ? 1 : s->win << (gap + 1) | 1;
		s->next = seq + 1;
	} else {
		uint64_t d = s->next - 1 - seq;

		/* Older than the window: cannot tell a late frame from a
		 * duplicate, so it counts as late. */
		if (d < 64 && (s->win >> d & 1)) {
			if (meas)
				g->dups++;
		} else {
			if (d < 64)
				s->win |= 1ull << d;
			if (meas) {
				g->reordered++;
				if (g->gaps)
					g->gaps--;
			}
		}
	}
	if (!meas)
		return;
	g->rx_meas++;
	g->rx_bytes += bytes + FCS_BYTES;
	if (g->o.latency) {
		uint64_t lat = (uint64_t)((uint32_t)(now >> TS_SHIFT) - ts) << TS_SHIFT;

		g->hist[hist_index(lat)]++;
		g->lat_n++;
		if (lat > g->lat_max)
			g->lat_max = lat;
		if (lat < g->lat_min)
			g->lat_min = lat;
	}
}

static void rx_frame(struct gen *g, struct rte_mbuf *m, uint64_t now)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *), *ip, *pl;
	uint32_t len = rte_pktmbuf_data_len(m), off = 14, ts, stream;
	uint16_t et = get16(p + 12);
	uint64_t word;
	enum kind k;

	if (et == RTE_ETHER_TYPE_VLAN) {
		off = 18;
		et = get16(p + 16);
	}
	ip = p + off;
	pl = ip + 28;
	if (et != RTE_ETHER_TYPE_IPV4 || off + 28 + PAYLOAD_BYTES > len || ip[0] != 0x45 ||
	    ip[9] != IPPROTO_UDP || get16(ip + 22) != UDP_DST || get16(pl) != GEN_MAGIC) {
		g->other++;
		return;
	}
	memcpy(&word, pl + 2, 8);
	memcpy(&ts, pl + 10, 4);
	k = (enum kind)(word & 3);
	stream = (uint32_t)(word >> 2) & (MAX_STREAMS - 1);
	if (k == K_LEARN) {
		g->learned++;
		return;
	}
	if (k > K_LEARN || stream >= g->nstreams) {
		g->bad++;
		return;
	}
	g->rx_all++;
	if (k == K_MEAS && g->o.drop_every && --g->drop_left == 0) {
		g->drop_left = g->o.drop_every;
		g->dropped++;
		return;
	}
	account(g, stream, word >> 24, k == K_MEAS, rte_pktmbuf_pkt_len(m), ts, now);
}

/* Up to RX_ROUNDS bursts from queue q of port i; frames on ports that
 * are not rx ports are freed unseen (a switch may flood to the sending
 * port too). */
static unsigned int rx_queue(struct gen *g, unsigned int i, uint16_t q)
{
	struct rte_mbuf *ms[BURST];
	unsigned int total = 0, r, j;
	uint64_t now = 0;
	uint16_t n;

	for (r = 0; r < RX_ROUNDS; r++) {
		n = gp_rx(&g->ports[i], q, ms, BURST);
		if (n == 0)
			break;
		total += n;
		if (!g->counted[i]) {
			g->elsewhere += n;
		} else {
			if (g->o.latency)
				now = rte_rdtsc();
			for (j = 0; j < n; j++)
				rx_frame(g, ms[j], now);
		}
		rte_pktmbuf_free_bulk(ms, n);
		if (n < BURST)
			break;
	}
	return total;
}

/* Polls every queue of every port (a netVSC port's transmit completions
 * arrive on its rx path too). */
static unsigned int rx_poll(struct gen *g)
{
	unsigned int total = 0, i;
	uint16_t q;

	for (i = 0; i < g->nports; i++)
		for (q = 0; q < g->ports[i].nrxq; q++)
			total += rx_queue(g, i, q);
	return total;
}

/* ---- the run ---- */

static uint64_t tx_sent_all(struct gen *g)
{
	uint64_t sum = 0;
	unsigned int i;

	for (i = 0; i < g->o.ntx; i++)
		sum += atomic_load_explicit(&g->tx[i].pub_all, memory_order_relaxed);
	return sum;
}

struct progress {
	uint64_t next, last_tsc, last_tx, last_rx;
	uint64_t t0;
};

static void progress_line(struct gen *g, struct progress *pr, uint64_t now)
{
	double dt = (double)(now - pr->last_tsc) / (double)g->hz;
	uint64_t tx = tx_sent_all(g), rx = g->rx_all;
	const char *phase = now < g->t_meas ? "warm-up" : now < g->t_end ? "measure" : "drain";

	fprintf(stderr, "hvnet-gen: %5.1f s %-7s tx %7.3f Mpps  rx %7.3f Mpps  lost %" PRIu64
		"  reordered %" PRIu64 "\n", (double)(now - pr->t0) / (double)g->hz, phase,
		(double)(tx - pr->last_tx) / dt / 1e6, (double)(rx - pr->last_rx) / dt / 1e6,
		g->gaps, g->reordered);
	pr->last_tsc = now;
	pr->last_tx = tx;
	pr->last_rx = rx;
	pr->next = now + g->hz;
}

/* The sender's loop, on its own lcore or inside the main loop's step. */
static bool tx_round(struct gen *g, uint64_t now)
{
	enum kind k = now < g->t_meas ? K_WARM : K_MEAS;
	unsigned int i;

	if (now >= g->t_end || atomic_load_explicit(&g->stop, memory_order_relaxed))
		return false;
	for (i = 0; i < g->o.ntx; i++) {
		struct txp *t = &g->tx[i];

		tx_step(g, t, now, k);
		atomic_store_explicit(&t->pub_all, t->sent_all, memory_order_relaxed);
	}
	return true;
}

static void tx_finish(struct gen *g)
{
	unsigned int i;

	for (i = 0; i < g->o.ntx; i++)
		txp_discard(&g->tx[i]);
	atomic_store_explicit(&g->tx_done, 1, memory_order_release);
}

static int tx_lcore(void *arg)
{
	struct gen *g = arg;

	while (tx_round(g, rte_rdtsc()))
		;
	tx_finish(g);
	return 0;
}

static void start_clock(struct gen *g)
{
	uint64_t now = rte_rdtsc();
	unsigned int i;

	g->t_meas = now + (uint64_t)(g->o.warmup * (double)g->hz);
	g->t_end = g->t_meas + (uint64_t)(g->o.duration * (double)g->hz);
	for (i = 0; i < g->o.ntx; i++) {
		g->tx[i].last_tsc = now;
		g->tx[i].tokens = 0;
	}
}

/* Runs warm-up, measurement and drain. Returns 0 or -EINTR. */
static int run(struct gen *g)
{
	struct progress pr = { 0 };
	uint64_t quiet = (uint64_t)QUIET_MS * g->hz / 1000, drain = (uint64_t)(g->o.drain * (double)g->hz);
	uint64_t now, t_txdone = 0, last_rx = 0;
	bool sending = true;
	int ret;

	start_clock(g);
	pr.t0 = pr.last_tsc = rte_rdtsc();
	pr.next = pr.t0 + g->hz;
	if (g->worker >= 0) {
		ret = rte_eal_remote_launch(tx_lcore, g, (unsigned int)g->worker);
		if (ret < 0) {
			fail("cannot start the sender on lcore %d: %s", g->worker, strerror(-ret));
			return ret;
		}
	}
	for (;;) {
		now = rte_rdtsc();
		if (sending) {
			if (g->worker >= 0) {
				sending = !atomic_load_explicit(&g->tx_done, memory_order_acquire);
			} else if (!tx_round(g, now)) {
				tx_finish(g);
				sending = false;
			}
			if (!sending)
				t_txdone = last_rx = now;
		}
		if (rx_poll(g))
			last_rx = now;
		if (!sending && (now - last_rx > quiet || now - t_txdone > drain))
			break;
		if (now >= pr.next)
			progress_line(g, &pr, now);
		if (got_signal)
			atomic_store_explicit(&g->stop, 1, memory_order_relaxed);
	}
	if (g->worker >= 0)
		rte_eal_wait_lcore((unsigned int)g->worker);
	progress_line(g, &pr, rte_rdtsc());
	g->duration_s = (double)(g->t_end - g->t_meas) / (double)g->hz;
	if (got_signal) {
		uint64_t stopped = t_txdone < g->t_meas ? 0 : t_txdone - g->t_meas;

		g->duration_s = (double)RTE_MIN(stopped, g->t_end - g->t_meas) / (double)g->hz;
		return -EINTR;
	}
	return 0;
}

/* ---- --forward macswap ---- */

static void macswap(struct rte_mbuf **ms, uint16_t n)
{
	struct rte_ether_hdr *eh;
	struct rte_ether_addr a;
	uint16_t i;

	for (i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(ms[i + 1], void *));
		eh = rte_pktmbuf_mtod(ms[i], struct rte_ether_hdr *);
		a = eh->dst_addr;
		eh->dst_addr = eh->src_addr;
		eh->src_addr = a;
	}
}

/* Receives on every queue of every port, swaps MACs, sends on the paired
 * port's queue 0, drops what it does not take (as testpmd does), until a
 * signal. One line a second on stderr. */
static void forward(struct gen *g)
{
	struct rte_mbuf *ms[BURST];
	uint64_t t0 = rte_rdtsc(), next = t0 + g->hz, last = t0, rx0 = 0, tx0 = 0;
	unsigned int i;

	while (!got_signal) {
		for (i = 0; i < g->nports; i++) {
			struct gport *in = &g->ports[i];
			struct gport *out = &g->ports[(i ^ 1u) < g->nports ? i ^ 1u : i];
			uint16_t q, n, sent;

			for (q = 0; q < in->nrxq; q++) {
				n = gp_rx(in, q, ms, BURST);
				if (n == 0)
					continue;
				macswap(ms, n);
				sent = gp_tx(out, 0, ms, n);
				in->fwd_rx += n;
				out->fwd_tx += sent;
				if (sent < n) {
					out->fwd_drop += (uint64_t)(n - sent);
					rte_pktmbuf_free_bulk(ms + sent, (unsigned int)(n - sent));
				}
			}
		}
		if (rte_rdtsc() >= next) {
			uint64_t now = rte_rdtsc(), rx = 0, tx = 0, drop = 0;
			double dt = (double)(now - last) / (double)g->hz;

			for (i = 0; i < g->nports; i++) {
				rx += g->ports[i].fwd_rx;
				tx += g->ports[i].fwd_tx;
				drop += g->ports[i].fwd_drop;
			}
			fprintf(stderr, "hvnet-gen: %5.1f s forward rx %7.3f Mpps  tx %7.3f Mpps  "
				"dropped %" PRIu64 "\n", (double)(now - t0) / (double)g->hz,
				(double)(rx - rx0) / dt / 1e6, (double)(tx - tx0) / dt / 1e6, drop);
			rx0 = rx;
			tx0 = tx;
			last = now;
			next = now + g->hz;
		}
	}
	g->duration_s = (double)(rte_rdtsc() - t0) / (double)g->hz;
}

static void report_forward(const struct gen *g)
{
	uint64_t rx = 0, tx = 0, drop = 0;
	unsigned int i;

	for (i = 0; i < g->nports; i++) {
		rx += g->ports[i].fwd_rx;
		tx += g->ports[i].fwd_tx;
		drop += g->ports[i].fwd_drop;
	}
	fprintf(stderr, "hvnet-gen: forwarded %" PRIu64 " of %" PRIu64 " frames in %.1f s, "
		"dropped %" PRIu64 "\n", tx, rx, g->duration_s, drop);
	if (g->o.json)
		printf("{\"mode\":\"macswap\",\"rx_packets\":%" PRIu64 ",\"tx_packets\":%" PRIu64
		       ",\"dropped\":%" PRIu64 ",\"duration_s\":%.3f,\"ports\":%u}\n", rx, tx, drop,
		       g->duration_s, g->nports);
	fflush(stdout);
}

/* One learn frame: smallest size, kind learn, not counted anywhere. */
static int learn_one(struct gen *g, struct gport *port, const struct rte_ether_addr *src,
		     const struct rte_ether_addr *dst, uint64_t deadline)
{
	struct rte_mbuf *m;
	struct txp t;

	memset(&t, 0, sizeof(t));
	txp_template(&g->o, &t, src, dst);
	while ((m = rte_pktmbuf_alloc(g->txpool)) == NULL) {
		rx_poll(g);
		if (rte_rdtsc() > deadline)
			return -ENOBUFS;
	}
	rte_memcpy(rte_pktmbuf_mtod(m, uint8_t *), t.tpl, TPL_BYTES);
	{
		uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *), *ip = p + t.l2;
		uint16_t ip_len = (uint16_t)(MIN_SIZE - FCS_BYTES - t.l2);
		uint64_t word = pl_word(0, 0, K_LEARN);

		m->data_len = (uint16_t)(MIN_SIZE - FCS_BYTES);
		m->pkt_len = MIN_SIZE - FCS_BYTES;
		put16(ip + 2, ip_len);
		put16(ip + 14, 1);
		put16(ip + 10, (uint16_t)~fold(t.ip_sum0 + ip_len + 1));
		put16(ip + 20, SPORT_BASE);
		put16(ip + 24, (uint16_t)(ip_len - 20));
		memcpy(p + t.hdr + 2, &word, 8);
	}
	/* The port may be full: retry, receiving meanwhile (a loop such as
	 * net_ring fills with our own learn frames otherwise). */
	while (gp_tx(port, 0, &m, 1) == 0) {
		rx_poll(g);
		if (rte_rdtsc() > deadline || got_signal) {
			rte_pktmbuf_free(m);
			return -ETIMEDOUT;
		}
	}
	g->learn_sent++;
	return 0;
}

static struct gport *gport_of(struct gen *g, uint16_t id)
{
	unsigned int i;

	for (i = 0; i < g->nports; i++)
		if (g->ports[i].id == id)
			return &g->ports[i];
	return NULL;
}

static bool is_tx_port(const struct gen_opts *o, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < o->ntx; i++)
		if (o->tx_ports[i] == port)
			return true;
	return false;
}

static void mac_add(struct rte_ether_addr *a, uint32_t n)
{
	uint32_t lo = mac_lo32(a) + n;

	a->addr_bytes[2] = (uint8_t)(lo >> 24);
	a->addr_bytes[3] = (uint8_t)(lo >> 16);
	a->addr_bytes[4] = (uint8_t)(lo >> 8);
	a->addr_bytes[5] = (uint8_t)lo;
}

static void port_macs(const struct gen_opts *o, unsigned int j, struct rte_ether_addr *src,
		      struct rte_ether_addr *dst)
{
	*src = o->src_mac[o->nsrc == 1 ? 0 : j];
	/* One base for every port: port j's addresses follow port j-1's, so
	 * no source MAC shows up on two ports (a switch would see it move). */
	if (o->nsrc == 1)
		mac_add(src, j * o->src_macs);
	*dst = o->dst_mac[o->ndst == 1 ? 0 : j];
}

/* --learn: one frame from each source MAC on its tx port, and from each
 * destination MAC on every rx port that is not a tx port (towards the
 * base source MAC), paced at --learn-mpps per port; then S seconds of
 * receiving (and discarding), so the switch has learnt them all. */
static int learn(struct gen *g)
{
	const struct gen_opts *o = &g->o;
	uint64_t gap = (uint64_t)((double)g->hz / (o->learn_mpps * 1e6)), next = rte_rdtsc();
	uint64_t deadline = next + (uint64_t)(60.0 * g->hz) +
			    (uint64_t)((double)o->src_macs * o->ntx * (double)gap);
	struct rte_ether_addr src, dst, a;
	unsigned int j, r, d;
	uint32_t i;
	int ret;

	for (j = 0; j < o->ntx; j++) {
		port_macs(o, j, &src, &dst);
		for (i = 0; i < o->src_macs; i++) {
			a = src;
			mac_add(&a, i);
			while (rte_rdtsc() < next)
				rx_poll(g);
			next += gap;
			if ((ret = learn_one(g, g->tx[j].gp, &a, &dst, deadline)) < 0)
				goto failed;
		}
	}
	for (r = 0; r < o->nrx; r++) {
		if (is_tx_port(o, o->rx_ports[r]))
			continue;
		for (j = 0; j < o->ntx; j++) {
			port_macs(o, j, &src, &dst);
			for (d = 0; d < j; d++) {
				struct rte_ether_addr s2, d2;

				port_macs(o, d, &s2, &d2);
				if (rte_is_same_ether_addr(&d2, &dst))
					break;
			}
			if (d < j)
				continue;   /* announced already */
			if ((ret = learn_one(g, gport_of(g, o->rx_ports[r]), &dst, &src,
					     deadline)) < 0)
				goto failed;
		}
	}
	fprintf(stderr, "hvnet-gen: sent %" PRIu64 " learn frames; waiting %.1f s\n", g->learn_sent,
		o->learn);
	next = rte_rdtsc() + (uint64_t)(o->learn * (double)g->hz);
	while (rte_rdtsc() < next && !got_signal)
		rx_poll(g);
	return got_signal ? -EINTR : 0;
failed:
	fail("the ports did not take the learn frames (%" PRIu64 " sent): %s; is the device under "
	     "test forwarding?", g->learn_sent, strerror(-ret));
	return ret;
}

/* ---- set-up ---- */

static int eth_setup(struct gen *g, struct gport *gp)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrxd = NB_DESC, ntxd = NB_DESC, q, port = gp->id;
	int ret, sock = rte_eth_dev_socket_id(port);

	memset(&conf, 0, sizeof(conf));
	memset(&info, 0, sizeof(info));
	gp->nrxq = g->o.rxq;
	ret = rte_eth_dev_info_get(port, &info);
	if (ret == 0)
		ret = rte_eth_dev_configure(port, g->o.rxq, 1, &conf);
	if (ret == 0)
		ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrxd, &ntxd);
	for (q = 0; ret == 0 && q < g->o.rxq; q++)
		ret = rte_eth_rx_queue_setup(port, q, nrxd, sock, NULL, g->rxpool);
	if (ret == 0)
		ret = rte_eth_tx_queue_setup(port, 0, ntxd, sock, NULL);
	if (ret == 0)
		ret = rte_eth_dev_start(port);
	if (ret < 0) {
		fail("cannot set up port %u (%s) with %u rx queue(s): %s", port,
		     info.driver_name ? info.driver_name : "?", g->o.rxq, strerror(-ret));
		return ret;
	}
	/* We count only our own frames; a PMD without promiscuous mode
	 * (memif, ring) passes everything anyway. */
	rte_eth_promiscuous_enable(port);
	return 0;
}

/* Joins the VMBus host as partition k and brings its synthetic NIC up;
 * every queue the host grants is polled, transmits go on queue 0. */
static int nv_setup(struct gen *g, struct gport *gp, unsigned int k)
{
	const struct nv_opt *nv = &g->o.nv[k];
	struct netvsc_port_conf conf;
	struct netvsc_port_info info;
	int ret;

	memset(&conf, 0, sizeof(conf));
	conf.socket_path = nv->path;
	conf.name = nv->name;
	conf.nb_queues = nv->queues;
	conf.mp = g->rxpool;
	conf.port_id = gp->id;
	conf.timeout_ms = (int)(g->o.link_timeout * 1000);
	ret = netvsc_port_open(&conf, &gp->nv);
	if (ret < 0) {
		fail("partition %s: the synthetic NIC did not come up on %s: %s (is the VMBus host "
		     "listening there, and does it offer a vNIC to a partition named %s, e.g. "
		     "vswitchctl port add SW PORT --vnic %s?)", nv->name, nv->path, strerror(-ret),
		     nv->name, nv->name);
		gp->nv = NULL;
		return ret;
	}
	netvsc_port_info(gp->nv, &info);
	gp->nrxq = info.nb_queues;
	memcpy(gp->mac.addr_bytes, info.mac, RTE_ETHER_ADDR_LEN);
	if ((g->o.size ? g->o.size : MAX_SIZE) - FCS_BYTES > info.mtu + RTE_ETHER_HDR_LEN +
	    (g->o.vlan >= 0 ? 4u : 0u)) {
		fail("partition %s: the host's MTU is %u, too small for %u-byte frames", nv->name,
		     info.mtu, g->o.size ? g->o.size : MAX_SIZE);
		return -EMSGSIZE;
	}
	fprintf(stderr, "hvnet-gen: port %u is partition %s's synthetic NIC %02x:%02x:%02x:%02x:"
		"%02x:%02x (NVSP %#x, %u queue(s), MTU %u)\n", gp->id, nv->name, info.mac[0],
		info.mac[1], info.mac[2], info.mac[3], info.mac[4], info.mac[5], info.nvsp_version,
		info.nb_queues, info.mtu);
	return 0;
}

static int wait_links(struct gen *g)
{
	uint64_t deadline = rte_rdtsc() + (uint64_t)(g->o.link_timeout * (double)g->hz);
	struct rte_eth_link link;
	unsigned int i;

	for (i = 0; i < g->nports; i++) {
		if (g->ports[i].nv)
			continue;       /* up once netvsc_port_open returned */
		for (;;) {
			memset(&link, 0, sizeof(link));
			rte_eth_link_get_nowait(g->ports[i].id, &link);
			if (link.link_status == RTE_ETH_LINK_UP)
				break;
			if (rte_rdtsc() > deadline || got_signal) {
				char name[RTE_ETH_NAME_MAX_LEN] = "?";

				rte_eth_dev_get_name_by_port(g->ports[i].id, name);
				fail("port %u (%s) link is still down after %.0f s: is the other "
				     "end (the device under test, or the memif server) running?",
				     g->ports[i].id, name, g->o.link_timeout);
				return -ENOLINK;
			}
			rte_delay_ms(10);
		}
	}
	return 0;
}

/* Without --src-mac / --dst-mac, a synthetic NIC's own MAC: the host
 * delivers a vNIC only frames for its MAC (the guest's RNDIS filter is
 * directed, broadcast and multicast), and a partition sends from its own. */
static void nv_default_macs(struct gen *g)
{
	struct gen_opts *o = &g->o;
	struct gport *p;

	if (!o->smac_given && o->ntx == 1 && o->src_macs == 1 &&
	    (p = gport_of(g, o->tx_ports[0])) != NULL && p->nv)
		o->src_mac[0] = p->mac;
	if (!o->dmac_given && o->nrx >= 1 && (p = gport_of(g, o->rx_ports[0])) != NULL && p->nv)
		o->dst_mac[0] = p->mac;
}

/* The first number after every ethdev port: where --netvsc ports start. */
static uint16_t nv_base(void)
{
	uint16_t p, base = 0;

	RTE_ETH_FOREACH_DEV(p)
		base = (uint16_t)(p + 1);
	return base;
}

/* Adds port 'id' to g->ports once; returns its index or -E2BIG. */
static int add_port(struct gen *g, uint16_t id)
{
	unsigned int j;

	for (j = 0; j < g->nports && g->ports[j].id != id; j++)
		;
	if (j == g->nports) {
		if (g->nports == MAX_PORTS) {
			fail("more than %u ports", MAX_PORTS);
			return -E2BIG;
		}
		g->ports[g->nports++].id = id;
	}
	return (int)j;
}

static int setup(struct gen *g)
{
	struct gen_opts *o = &g->o;
	unsigned int i, j, avail = rte_eth_dev_count_avail();
	uint16_t base = nv_base(), p;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_ether_addr src, dst;
	int ret;

	if (o->fwd) {
		/* Every port, ethdev ones first, in number order. */
		RTE_ETH_FOREACH_DEV(p)
			if ((ret = add_port(g, p)) < 0)
				return ret;
		for (i = 0; i < o->nnv; i++)
			if ((ret = add_port(g, (uint16_t)(base + i))) < 0)
				return ret;
		if (g->nports == 0) {
			fail("--forward: no port (add --vdev or --netvsc)");
			return -ENODEV;
		}
	}
	for (i = 0; i < o->ntx + o->nrx; i++) {
		p = i < o->ntx ? o->tx_ports[i] : o->rx_ports[i - o->ntx];
		if (!rte_eth_dev_is_valid_port(p) && (p < base || p >= base + o->nnv)) {
			fail("port %u does not exist: EAL found %u port(s) and --netvsc made %u (from "
			     "%u up); add one --vdev per port (e.g. --vdev=net_ring0) before --, or "
			     "--netvsc", p, avail, o->nnv, base);
			return -ENODEV;
		}
		if ((ret = add_port(g, p)) < 0)
			return ret;
		j = (unsigned int)ret;
		if (i >= o->ntx)
			g->counted[j] = true;
	}
	g->nstreams = o->ntx * o->flows;
	snprintf(name, sizeof(name), "gen_tx_%d", getpid());
	g->txpool = rte_pktmbuf_pool_create(name, POOL_PER_PORT * RTE_MAX(o->ntx, 1u) - 1,
					    POOL_CACHE, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	snprintf(name, sizeof(name), "gen_rx_%d", getpid());
	g->rxpool = rte_pktmbuf_pool_create(name, (POOL_PER_PORT + (g->o.rxq - 1u) * 2048u) *
					    g->nports - 1, POOL_CACHE, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	g->tx_seq = rte_zmalloc("gen_tx_seq", sizeof(uint64_t) * RTE_MAX(g->nstreams, 1u),
				RTE_CACHE_LINE_SIZE);
	g->rxs = rte_zmalloc("gen_rxs", sizeof(struct rxs) * RTE_MAX(g->nstreams, 1u),
			     RTE_CACHE_LINE_SIZE);
	g->hist = rte_zmalloc("gen_hist", sizeof(uint64_t) * HIST_BUCKETS, RTE_CACHE_LINE_SIZE);
	if (!g->txpool || !g->rxpool || !g->tx_seq || !g->rxs || !g->hist) {
		fail("out of DPDK memory for %u streams and %u ports (%s): give EAL more with -m, "
		     "or reserve hugepages", g->nstreams, g->nports, rte_strerror(rte_errno));
		return -ENOMEM;
	}
	for (i = 0; i < g->nports; i++) {
		struct gport *gp = &g->ports[i];

		ret = gp->id >= base && gp->id < base + o->nnv && !rte_eth_dev_is_valid_port(gp->id) ?
		      nv_setup(g, gp, gp->id - base) : eth_setup(g, gp);
		if (ret < 0)
			return ret;
	}
	nv_default_macs(g);
	for (j = 0; j < o->ntx; j++) {
		struct txp *t = &g->tx[j];

		t->gp = gport_of(g, o->tx_ports[j]);
		t->idx = (uint16_t)j;
		t->seq = g->tx_seq + (size_t)j * o->flows;
		port_macs(o, j, &src, &dst);
		txp_template(o, t, &src, &dst);
		t->swap_left = o->swap_every;
		t->dup_left = o->dup_every;
		if (o->rate_mpps > 0) {
			double per_ms = o->rate_mpps * 1e3;

			t->per_cycle = o->rate_mpps * 1e6 / (double)g->hz;
			t->depth = fmax(1.0, per_ms);
			t->win_limit = (uint64_t)fmax(1.0, floor(per_ms));
			t->win_span = g->hz / 1000;
			t->win_tsc = rte_zmalloc("gen_win", sizeof(uint64_t) * WIN_SLOTS, 0);
			t->win_n = rte_zmalloc("gen_win", sizeof(uint16_t) * WIN_SLOTS, 0);
			if (!t->win_tsc || !t->win_n) {
				fail("out of DPDK memory for the rate window");
				return -ENOMEM;
			}
		}
		if (o->inplace) {
			t->nown = INPLACE_PER_PORT;
			t->own = rte_zmalloc("gen_own", sizeof(t->own[0]) * t->nown, 0);
			if (!t->own || rte_pktmbuf_alloc_bulk(g->txpool, t->own, t->nown) != 0) {
				fail("no mbufs for --tx-mode inplace");
				return -ENOMEM;
			}
		}
	}
	g->drop_left = o->drop_every;
	g->lat_min = UINT64_MAX;
	g->worker = -1;
	if (rte_lcore_count() >= 2 && o->nnv)
		fprintf(stderr, "hvnet-gen: one lcore sends and receives: a netVSC queue's rx and "
			"tx must stay on one lcore\n");
	else if (rte_lcore_count() >= 2 && !o->fwd)
		g->worker = (int)rte_get_next_lcore(rte_get_main_lcore(), 1, 0);
	return wait_links(g);
}

static void teardown(struct gen *g)
{
	unsigned int i, j;

	for (j = 0; j < g->o.ntx; j++) {
		txp_discard(&g->tx[j]);
		rte_free(g->tx[j].win_tsc);
		rte_free(g->tx[j].win_n);
		if (g->tx[j].own) {
			for (i = 0; i < g->tx[j].nown; i++)
				rte_pktmbuf_free(g->tx[j].own[i]);
			rte_free(g->tx[j].own);
		}
	}
	/* Stop every port before closing any: an in-process memif pair's
	 * server and client share one socket. */
	for (i = 0; i < g->nports; i++)
		if (!g->ports[i].nv && g->ports[i].nrxq)
			rte_eth_dev_stop(g->ports[i].id);
	for (i = g->nports; i-- > 0;) {
		if (g->ports[i].nv)
			netvsc_port_close(g->ports[i].nv);
		else if (g->ports[i].nrxq)
			rte_eth_dev_close(g->ports[i].id);
	}
	rte_free(g->tx_seq);
	rte_free(g->rxs);
	rte_free(g->hist);
	rte_mempool_free(g->txpool);
	rte_mempool_free(g->rxpool);
}

/* ---- results ---- */

static double hist_pct(const struct gen *g, double q)
{
	uint64_t want = (uint64_t)ceil(q * (double)g->lat_n), seen = 0;
	double lo, hi;
	unsigned int i;

	if (want == 0)
		want = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += g->hist[i];
		if (seen >= want) {
			hist_range(i, &lo, &hi);
			/* The middle of the bucket, never beyond what was seen. */
			return RTE_MIN((lo + hi) / 2, (double)g->lat_max);
		}
	}
	return (double)g->lat_max;
}

static void report(struct gen *g, bool interrupted)
{
	const struct gen_opts *o = &g->o;
	uint64_t tx = 0, busy = 0, swapped = 0, duplicated = 0, lost, uniq;
	double dur = g->duration_s > 0 ? g->duration_s : 1e-9, ns = 1e9 / (double)g->hz;
	char size[16];
	unsigned int i;

	for (i = 0; i < o->ntx; i++) {
		tx += g->tx[i].sent_meas;
		busy += g->tx[i].busy;
		swapped += g->tx[i].swapped;
		duplicated += g->tx[i].duplicated;
	}
	/* Same process, so the sender's count is exact: whatever was sent and
	 * did not arrive (once) is lost, including the tail no gap reveals. */
	uniq = g->rx_meas - g->dups;
	lost = tx > uniq ? tx - uniq : 0;
	if (o->size)
		snprintf(size, sizeof(size), "%u", o->size);
	else
		snprintf(size, sizeof(size), "\"imix\"");
	fprintf(stderr, "hvnet-gen: %.3f s: sent %" PRIu64 " (%.3f Mpps), received %" PRIu64
		" (%.3f Mpps), lost %" PRIu64 ", reordered %" PRIu64 ", duplicates %" PRIu64 "\n",
		dur, tx, (double)tx / dur / 1e6, g->rx_meas, (double)g->rx_meas / dur / 1e6, lost,
		g->reordered, g->dups);
	if (g->other || g->bad)
		fprintf(stderr, "hvnet-gen: also received %" PRIu64 " frames not ours and %" PRIu64
			" malformed ones of ours\n", g->other, g->bad);
	if (o->latency && g->lat_n)
		fprintf(stderr, "hvnet-gen: latency p50 %.0f ns, p99 %.0f, p99.9 %.0f, max %.0f\n",
			hist_pct(g, 0.5) * ns, hist_pct(g, 0.99) * ns, hist_pct(g, 0.999) * ns,
			(double)g->lat_max * ns);
	if (!o->json)
		return;
	printf("{\"tx_packets\":%" PRIu64 ",\"rx_packets\":%" PRIu64 ",\"lost\":%" PRIu64
	       ",\"reordered\":%" PRIu64 ",\"duplicates\":%" PRIu64 ",\"tx_mpps\":%.6f"
	       ",\"rx_mpps\":%.6f,\"rx_gbps\":%.6f,\"offered_mpps\":%.6f,\"duration_s\":%.6f"
	       ",\"size\":%s,\"flows\":%u,\"latency_ns\":",
	       tx, g->rx_meas, lost, g->reordered, g->dups, (double)tx / dur / 1e6,
	       (double)g->rx_meas / dur / 1e6, (double)g->rx_bytes * 8 / dur / 1e9,
	       o->rate_mpps * o->ntx, dur, size, o->flows);
	if (o->latency && g->lat_n)
		printf("{\"p50\":%.0f,\"p99\":%.0f,\"p999\":%.0f,\"max\":%.0f,\"min\":%.0f,"
		       "\"samples\":%" PRIu64 "}", hist_pct(g, 0.5) * ns, hist_pct(g, 0.99) * ns,
		       hist_pct(g, 0.999) * ns, (double)g->lat_max * ns, (double)g->lat_min * ns,
		       g->lat_n);
	else
		printf("null");
	printf(",\"rate_per_port_mpps\":%.6f,\"tx_ports\":%u,\"rx_ports\":%u,\"src_macs\":%u"
	       ",\"vlan\":%d,\"warmup_s\":%.3f,\"tx_mode\":\"%s\",\"lcores\":%u"
	       ",\"tx_busy_bursts\":%" PRIu64 ",\"rx_not_ours\":%" PRIu64 ",\"rx_malformed\":%" PRIu64
	       ",\"rx_learn\":%" PRIu64 ",\"rx_other_ports\":%" PRIu64 ",\"learn_sent\":%" PRIu64
	       ",\"interrupted\":%s",
	       o->rate_mpps, o->ntx, o->nrx, o->src_macs, o->vlan, o->warmup,
	       o->inplace ? "inplace" : "alloc", g->worker >= 0 ? 2u : 1u, busy, g->other, g->bad,
	       g->learned, g->elsewhere, g->learn_sent, interrupted ? "true" : "false");
	if (o->drop_every)
		printf(",\"test_dropped\":%" PRIu64, g->dropped);
	if (o->swap_every)
		printf(",\"test_swapped\":%" PRIu64, swapped);
	if (o->dup_every)
		printf(",\"test_duplicated\":%" PRIu64, duplicated);
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct gen *g;
	int ret, n, status = 1;
	bool ours = false;

	/* --help without starting EAL (which may want hugepages first). */
	for (n = 1; n < argc; n++) {
		if (strcmp(argv[n], "--") == 0)
			ours = true;
		else if (ours && (strcmp(argv[n], "--help") == 0 || strcmp(argv[n], "-h") == 0)) {
			usage(stdout);
			return 0;
		}
	}
	n = rte_eal_init(argc, argv);
	if (n < 0) {
		fail("EAL initialisation failed (%s): check the EAL arguments before --, "
		     "hugepages (or --no-huge) and --file-prefix", rte_strerror(rte_errno));
		return 1;
	}
	argc -= n;
	argv += n;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	g = rte_zmalloc("gen", sizeof(*g), RTE_CACHE_LINE_SIZE);
	if (!g) {
		fail("out of DPDK memory");
		goto out;
	}
	ret = parse_opts(argc, argv, &g->o);
	if (ret) {
		status = ret > 0 ? 0 : 2;
		goto out;
	}
	g->hz = rte_get_tsc_hz();
	if ((ret = setup(g)) < 0)
		goto down;
	if (g->o.fwd) {
		forward(g);
		report_forward(g);
		status = 0;
		goto down;
	}
	if (g->o.learn > 0 && (ret = learn(g)) < 0)
		goto down;
	ret = run(g);
	report(g, ret == -EINTR);
	status = ret == 0 ? 0 : 1;
	if (ret == -EINTR)
		fail("interrupted by signal %d", (int)got_signal);
down:
	teardown(g);
out:
	rte_free(g);
	rte_eal_cleanup();
	return status;
}
