/* hvnet-netvsc-guest: a process partition with a synthetic NIC, driven
 * through the netVSC port API (rte_mbuf bursts over the netVSC core). It
 * brings the NIC up the way Linux does, then sends --count frames to its
 * peer (the other partition of its pair on hvnet-netvsp) and checks that
 * --count frames arrive from it, every one byte for byte, in order within
 * each flow. Frames spread over flows (IPv4 addresses and ports) and flow
 * f is sent on queue f % queues, so the host's RSS spreads them over the
 * peer's queues; with several queues, both directions must use more than
 * one. --vlan, --csum and --lso ask the host for 802.1Q, checksum and
 * segmentation offloads and the receiver checks their results; with --lso
 * every transmit is one large TCP frame whose segments must reassemble to
 * the flow's byte stream. Exit status 0 only when every frame made it
 * both ways and no error was counted on either side.
 *
 *   hvnet-netvsc-guest [EAL args --] --socket PATH [--name N] [--count N]
 *       [--size BYTES] [--timeout S] [--queues N] [--mtu N] [--vlan ID]
 *       [--csum] [--lso MSS] [--tx-zero-copy]
 *
 * --tx-zero-copy builds the frames in mbufs of the port's zero-copy pool
 * (partition memory), so those of 512 bytes and more go out GPA-direct
 * from where they are, chained segments included; it fails unless some
 * did.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_thash.h>

#include "netvsc/netvsc_guest_frames.h"
#include "netvsc/netvsc_port.h"

#define FLOWS        64u
#define BURST        32u
#define MAX_FRAME    65536u
#define VLAN_PCP     5u          /* a priority, so the PCP bits are checked too */

struct opts {
	const char *path, *name;
	uint64_t count;
	uint32_t size, mtu, mss;
	int timeout_s;
	uint16_t queues;
	uint32_t sbuf_bytes, rbuf_bytes;   /* 0: the port's defaults */
	int vlan;                   /* -1: none */
	bool csum;
	bool lossy;                 /* a switch may drop: count gaps, do not fail */
	bool tx_zero_copy;
};

struct flow_rx {
	uint64_t next;              /* UDP: sequence; LSO: stream offset */
	uint32_t hash;
	int queue;                  /* -1 until the first frame */
};

struct guest {
	struct opts o;
	struct netvsc_port *port;
	struct netvsc_port_info info;
	struct rte_mempool *mp;
	struct rte_mempool *txmp;          /* --tx-zero-copy: the port's pool */
	struct netvsc_gf gf;
	uint16_t nq;
	uint64_t want_rx[FLOWS];    /* per flow: frames (UDP) or bytes (LSO) */
	struct flow_rx rx[FLOWS];
	uint64_t flows_done, frames_ok, segments, bad, lost;
	bool peer_up;
	struct {
		uint16_t n;
		struct rte_mbuf *pkts[BURST];
	} pend[NETVSC_MAX_QUEUES];
	uint8_t scratch[MAX_FRAME];
	uint8_t frame[MAX_FRAME];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void complain(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Counted always, told the first few times. */
static void complain(struct guest *g, const char *fmt, ...)
{
	va_list ap;

	if (g->bad++ >= 5)
		return;
	fprintf(stderr, "%s: ", g->o.name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- Transmit ---- */

/* 'len' bytes of g->frame into an mbuf chain from the pool. */
static struct rte_mbuf *to_mbuf(struct guest *g, uint32_t len)
{
	struct rte_mempool *mp = g->txmp != NULL ? g->txmp : g->mp;
	struct rte_mbuf *head = rte_pktmbuf_alloc(mp), *last = head;
	uint32_t off = 0;

	while (last != NULL) {
		uint32_t n = RTE_MIN(len - off, (uint32_t)rte_pktmbuf_tailroom(last));

		memcpy(rte_pktmbuf_mtod(last, uint8_t *), g->frame + off, n);
		last->data_len = (uint16_t)n;
		off += n;
		if (off == len) {
			head->pkt_len = len;
			return head;
		}
		last->next = rte_pktmbuf_alloc(mp);
		last = last->next;
		head->nb_segs++;
	}
	rte_pktmbuf_free(head);
	return NULL;
}

static void set_offloads(const struct guest *g, struct rte_mbuf *m)
{
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = sizeof(struct rte_ipv4_hdr);
	if (g->o.vlan >= 0) {
		m->ol_flags |= RTE_MBUF_F_TX_VLAN;
		m->vlan_tci = (uint16_t)(VLAN_PCP << 13 | (uint32_t)g->o.vlan);
	}
	if (g->gf.lso) {
		m->l4_len = sizeof(struct rte_tcp_hdr);
		m->tso_segsz = (uint16_t)g->o.mss;
		m->ol_flags |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM |
			       RTE_MBUF_F_TX_TCP_CKSUM;
	} else if (g->o.csum) {
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM;
	}
}

/* Frame i of this direction, ready to send on its flow's queue. */
static struct rte_mbuf *make(struct guest *g, uint64_t i, uint16_t *queue)
{
	uint32_t flow = (uint32_t)(i % FLOWS);
	struct rte_mbuf *m;

	if (g->gf.lso)
		netvsc_gf_tcp(&g->gf, g->frame, flow, i / FLOWS);
	else
		netvsc_gf_udp(&g->gf, g->frame, flow, i / FLOWS);
	m = to_mbuf(g, g->gf.size);
	if (m != NULL)
		set_offloads(g, m);
	*queue = (uint16_t)(flow % g->nq);
	return m;
}

/* Queue frames from *sent on, per queue in order, and push each queue's
 * burst; a queue that takes fewer keeps the rest for the next round. */
static unsigned int transmit(struct guest *g, uint64_t *sent)
{
	unsigned int took = 0;
	uint16_t q;

	while (*sent < g->o.count) {
		uint32_t flow = (uint32_t)(*sent % FLOWS);
		uint16_t qq = (uint16_t)(flow % g->nq);
		struct rte_mbuf *m;

		if (g->pend[qq].n == BURST)
			break;
		m = make(g, *sent, &qq);
		if (m == NULL)
			break;   /* the pool is busy: frames are in flight */
		g->pend[qq].pkts[g->pend[qq].n++] = m;
		(*sent)++;
	}
	for (q = 0; q < g->nq; q++) {
		uint16_t n = g->pend[q].n, k;

		if (n == 0)
			continue;
		k = netvsc_port_tx_burst(g->port, q, g->pend[q].pkts, n);
		memmove(g->pend[q].pkts, g->pend[q].pkts + k, (size_t)(n - k) * sizeof(g->pend[q].pkts[0]));
		g->pend[q].n = (uint16_t)(n - k);
		took += k;
	}
	return took;
}

static void probe(struct guest *g)
{
	struct rte_mbuf *m;

	netvsc_gf_probe(&g->gf, g->frame);
	m = to_mbuf(g, 64);
	if (m != NULL && netvsc_port_tx_burst(g->port, 0, &m, 1) == 0)
		rte_pktmbuf_free(m);
}

/* ---- Receive ---- */

/* The offload results the receiver must see on a data frame. */
static bool offloads_ok(struct guest *g, const struct rte_mbuf *m, uint32_t flow, uint16_t q)
{
	uint64_t fl = m->ol_flags;

	if (g->o.vlan >= 0 && (!(fl & RTE_MBUF_F_RX_VLAN_STRIPPED) || !(fl & RTE_MBUF_F_RX_VLAN) ||
			       m->vlan_tci != (uint16_t)(VLAN_PCP << 13 | (uint32_t)g->o.vlan))) {
		complain(g, "flow %u: VLAN tci %#x, flags %#llx", flow, m->vlan_tci,
			 (unsigned long long)fl);
		return false;
	}
	if (g->o.vlan < 0 && (fl & RTE_MBUF_F_RX_VLAN)) {
		complain(g, "flow %u: unexpected VLAN tci %#x", flow, m->vlan_tci);
		return false;
	}
	if ((g->o.csum || g->gf.lso) &&
	    ((fl & RTE_MBUF_F_RX_IP_CKSUM_MASK) != RTE_MBUF_F_RX_IP_CKSUM_GOOD ||
	     (fl & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_GOOD)) {
		complain(g, "flow %u: checksum flags %#llx", flow, (unsigned long long)fl);
		return false;
	}
	if (g->nq > 1) {
		struct flow_rx *r = &g->rx[flow];
		uint32_t tuple[3], len = netvsc_gf_tuple(&g->gf, flow, tuple);
		uint32_t h = rte_softrss(tuple, len, g->info.rss_key);
		uint16_t want_q = (uint16_t)((h & (g->info.rss_table_size - 1u)) % g->nq);

		/* The host hashed with our key and steered by our table. */
		if (!(fl & RTE_MBUF_F_RX_RSS_HASH) || m->hash.rss != h || q != want_q) {
			complain(g, "flow %u: hash %#x (%s) on queue %u, expected %#x on queue %u", flow,
				 m->hash.rss, (fl & RTE_MBUF_F_RX_RSS_HASH) ? "set" : "absent", q, h, want_q);
			return false;
		}
		r->hash = h;
		r->queue = q;
	}
	return true;
}

/* The frame as one flat buffer (chained mbufs are copied). */
static const uint8_t *flat(struct guest *g, const struct rte_mbuf *m)
{
	return rte_pktmbuf_read(m, 0, rte_pktmbuf_pkt_len(m), g->scratch);
}

static void take_udp(struct guest *g, const struct rte_mbuf *m, uint16_t q)
{
	uint8_t want[MAX_FRAME];
	uint32_t len = rte_pktmbuf_pkt_len(m), flow = 0;
	const uint8_t *f = len <= MAX_FRAME ? flat(g, m) : NULL;
	enum netvsc_gf_verdict v;
	uint64_t seq = 0;

	if (f == NULL) {
		complain(g, "frame of %u bytes", len);
		return;
	}
	v = netvsc_gf_check_udp(&g->gf, f, len, want, &flow, &seq);
	if (v == NETVSC_GF_PROBE) {
		g->peer_up = true;
		return;
	}
	g->peer_up = true;
	if (v != NETVSC_GF_OK) {
		complain(g, "frame on flow %u rejected (%d), %u bytes", flow, (int)v, len);
		return;
	}
	if (!offloads_ok(g, m, flow, q))
		return;
	if (seq > g->rx[flow].next && g->o.lossy) {
		/* Frames the switch dropped (it counts them in drop_tx_full):
		 * what is missing is counted, what arrives must still be in
		 * order and intact. */
		g->lost += seq - g->rx[flow].next;
		g->rx[flow].next = seq;
	}
	if (seq != g->rx[flow].next) {
		complain(g, "flow %u: expected sequence %llu, got %llu", flow,
			 (unsigned long long)g->rx[flow].next, (unsigned long long)seq);
		g->rx[flow].next = seq + 1;
		return;
	}
	g->frames_ok++;
	if (++g->rx[flow].next == g->want_rx[flow])
		g->flows_done++;
}

static void take_tcp(struct guest *g, const struct rte_mbuf *m, uint16_t q)
{
	uint32_t len = rte_pktmbuf_pkt_len(m), flow = 0, plen = 0;
	const uint8_t *f = len <= MAX_FRAME ? flat(g, m) : NULL;
	enum netvsc_gf_verdict v;
	uint64_t off = 0;
	struct flow_rx *r;

	if (f == NULL) {
		complain(g, "frame of %u bytes", len);
		return;
	}
	v = netvsc_gf_check_tcp(&g->gf, f, len, &flow, &off, &plen);
	g->peer_up = true;
	if (v == NETVSC_GF_PROBE)
		return;
	if (v != NETVSC_GF_OK) {
		complain(g, "segment on flow %u rejected (%d), %u bytes", flow, (int)v, len);
		return;
	}
	if (!offloads_ok(g, m, flow, q))
		return;
	r = &g->rx[flow];
	/* In order, no gap, no overlap, none larger than the MSS. */
	if (off != (uint32_t)r->next || plen > g->o.mss) {
		complain(g, "flow %u: segment of %u at %llu, expected one at %llu of at most %u",
			 flow, plen, (unsigned long long)off, (unsigned long long)r->next, g->o.mss);
		r->next = off + plen;
		return;
	}
	g->segments++;
	r->next += plen;
	if (r->next % netvsc_gf_payload(&g->gf) == 0)
		g->frames_ok++;   /* a whole LSO frame reassembled */
	if (r->next == g->want_rx[flow])
		g->flows_done++;
}

/* Through the port's hvn_port face, as a forwarding engine polls it. */
static unsigned int receive(struct guest *g)
{
	struct hvn_port *hp = netvsc_port_hvn(g->port);
	struct rte_mbuf *pkts[BURST];
	unsigned int total = 0;
	uint16_t q, n, i;

	for (q = 0; q < g->nq; q++) {
		n = hp->ops->rx_burst(hp->priv, q, pkts, BURST);
		for (i = 0; i < n; i++) {
			if (g->gf.lso)
				take_tcp(g, pkts[i], q);
			else
				take_udp(g, pkts[i], q);
		}
		if (n > 0)
			rte_pktmbuf_free_bulk(pkts, n);
		total += n;
	}
	return total;
}

/* ---- Set-up and report ---- */

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 'z' },
		{ "timeout", required_argument, NULL, 't' },
		{ "queues", required_argument, NULL, 'q' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "vlan", required_argument, NULL, 'v' },
		{ "csum", no_argument, NULL, 'k' },
		{ "lso", required_argument, NULL, 'l' },
		{ "lossy", no_argument, NULL, 'L' },
		{ "tx-zero-copy", no_argument, NULL, 'Z' },
		{ "sbuf-bytes", required_argument, NULL, 'S' },
		{ "rbuf-bytes", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->name = "guest";
	o->count = 1000;
	o->size = 64;
	o->mtu = 1500;
	o->timeout_s = 60;
	o->queues = 1;
	o->vlan = -1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 's': o->path = optarg; break;
		case 'n': o->name = optarg; break;
		case 'c': o->count = strtoull(optarg, NULL, 0); break;
		case 'z': o->size = (uint32_t)atoi(optarg); break;
		case 't': o->timeout_s = atoi(optarg); break;
		case 'q': o->queues = (uint16_t)atoi(optarg); break;
		case 'm': o->mtu = (uint32_t)atoi(optarg); break;
		case 'v': o->vlan = atoi(optarg); break;
		case 'k': o->csum = true; break;
		case 'l': o->mss = (uint32_t)atoi(optarg); break;
		case 'L': o->lossy = true; break;
		case 'Z': o->tx_zero_copy = true; break;
		case 'S': o->sbuf_bytes = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'R': o->rbuf_bytes = (uint32_t)strtoul(optarg, NULL, 0); break;
		default:
			return -1;
		}
	}
	if (o->path == NULL || o->queues == 0 || o->queues > NETVSC_MAX_QUEUES ||
	    o->mtu < 68 || o->mtu > 9000 || o->vlan > 4094) {
		fprintf(stderr, "hvnet-netvsc-guest: --socket is required; --queues 1..64, --mtu "
			"68..9000, --vlan 0..4094\n");
		return -1;
	}
	if (o->mss != 0 ? (o->mss < 64 || o->mss > o->mtu - 40 || o->size <= NETVSC_GF_HDR_TCP ||
			   o->size > 62768) :
			  (o->size < 60 || o->size > o->mtu + 14 || o->size < NETVSC_GF_MIN_UDP)) {
		fprintf(stderr, "hvnet-netvsc-guest: --size must be 60..MTU+14 (with --lso MSS: "
			"MSS 64..MTU-40 and a frame of 55..62768 bytes)\n");
		return -1;
	}
	if (o->lossy && o->mss) {
		fprintf(stderr, "hvnet-netvsc-guest: --lossy counts lost UDP frames; it does not "
			"go with --lso (a lost segment breaks the stream)\n");
		return -1;
	}
	return 0;
}

/* EAL arguments come first, up to "--"; without them the guest runs
 * small: no hugepages, no PCI, one lcore. */
static int eal_init(int argc, char **argv, int *used)
{
	static char *defaults[] = {
		NULL, "--no-huge", "-m", "128", "--no-shconf", "--no-pci", "-l", "0",
		"--log-level=*:error", NULL,
	};
	int i, rc;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i == argc) {
		defaults[0] = argv[0];
		rc = rte_eal_init((int)(sizeof(defaults) / sizeof(defaults[0])) - 1, defaults);
		*used = 0;
		return rc;
	}
	rc = rte_eal_init(argc, argv);
	*used = rc;
	return rc;
}

static int run(struct guest *g)
{
	uint64_t sent = 0, want_total = 0;
	double t0, deadline;
	uint32_t f;

	for (f = 0; f < FLOWS; f++) {
		uint64_t n = netvsc_gf_per_flow(&g->gf, g->o.count, f);

		g->want_rx[f] = g->gf.lso ? n * netvsc_gf_payload(&g->gf) : n;
		g->rx[f].queue = -1;
		if (n == 0)
			g->flows_done++;
		want_total += n;
	}
	t0 = now_s();
	deadline = t0 + g->o.timeout_s;
	/* Frames sent before the peer's NIC is up are dropped by the host, as
	 * a switch drops them: probe until the peer answers, then once more
	 * so it learns we are up even if it saw our first probe first. */
	while (!g->peer_up && now_s() < deadline) {
		probe(g);
		for (int i = 0; i < 10 && !g->peer_up; i++)
			if (receive(g) == 0)
				netvsc_port_wait(g->port, 1);
	}
	probe(g);
	{
		double quiet_since = 0;

		while ((sent < g->o.count || g->flows_done < FLOWS) && now_s() < deadline) {
			unsigned int took = transmit(g, &sent), got = receive(g);

			/* Lossy: once all is sent, a second without a frame
			 * means the rest was dropped on the way. */
			if (g->o.lossy && sent == g->o.count) {
				if (got)
					quiet_since = 0;
				else if (!quiet_since)
					quiet_since = now_s();
				else if (now_s() - quiet_since > 1.0)
					break;
			}
			/* Nothing moved either way: the host has work to do first. */
			if (got == 0 && took == 0)
				netvsc_port_wait(g->port, 1);
		}
	}
	/* Linger so the peer's last frames are not dropped by our leaving,
	 * and until the host has taken all of ours: frames still in our send
	 * path when we go are lost and nobody counts them. */
	for (int i = 0; i < 50 || (!netvsc_port_tx_idle(g->port) && i < 1000); i++) {
		transmit(g, &sent);
		if (receive(g) == 0)
			netvsc_port_wait(g->port, 2);
	}
	if (g->o.lossy)
		for (f = 0; f < FLOWS; f++)
			if (g->rx[f].next < g->want_rx[f])
				g->lost += g->want_rx[f] - g->rx[f].next;
	if (g->o.lossy)
		printf("%s: %llu frames lost on the way (counted by the switch)\n", g->o.name,
		       (unsigned long long)g->lost);
	printf("%s: sent %llu, received %llu of %llu intact%s (%llu segments), %llu bad, %llu of %u "
	       "flows complete, in %.2f s\n", g->o.name, (unsigned long long)sent,
	       (unsigned long long)g->frames_ok, (unsigned long long)want_total,
	       g->gf.lso ? " after reassembly" : "", (unsigned long long)g->segments,
	       (unsigned long long)g->bad, (unsigned long long)g->flows_done, FLOWS, now_s() - t0);
	if (g->o.lossy)
		return sent == g->o.count && g->frames_ok + g->lost == want_total && g->frames_ok &&
		       g->bad == 0 ? 0 : 1;
	return sent == g->o.count && g->flows_done == FLOWS && g->frames_ok == want_total &&
	       g->bad == 0 ? 0 : 1;
}

/* Counters both ends must agree are clean, and queues actually used. */
static int report(struct guest *g)
{
	struct rte_eth_stats st;
	struct netvsc_stats cs;
	struct rte_eth_link link;
	unsigned int rxq = 0, txq = 0, q;
	uint64_t host_errors;
	int rc = 0;

	netvsc_port_stats(g->port, &st);
	netvsc_port_core_stats(g->port, &cs);
	netvsc_port_link(g->port, &link);
	host_errors = cs.bad_msgs + cs.rx_bad + cs.tx_refused + cs.ring_faults;
	printf("%s: link %s %u Mbit/s; %llu frames out, %llu in; %llu completions, %llu batches, "
	       "%llu GPA-direct (%llu zero-copy); oerrors %llu, ierrors %llu, no mbuf %llu, "
	       "host errors seen %llu\n",
	       g->o.name, link.link_status ? "up" : "down", link.link_speed,
	       (unsigned long long)st.opackets, (unsigned long long)st.ipackets,
	       (unsigned long long)cs.tx_completions, (unsigned long long)cs.rx_batches,
	       (unsigned long long)cs.tx_direct, (unsigned long long)cs.tx_zero_copy,
	       (unsigned long long)st.oerrors,
	       (unsigned long long)st.ierrors, (unsigned long long)st.rx_nombuf,
	       (unsigned long long)host_errors);
	for (q = 0; q < g->nq && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++) {
		printf("%s:   queue %u: out %llu, in %llu\n", g->o.name, q,
		       (unsigned long long)st.q_opackets[q], (unsigned long long)st.q_ipackets[q]);
		rxq += st.q_ipackets[q] > 0;
		txq += st.q_opackets[q] > 0;
	}
	if (host_errors != 0 || st.oerrors != 0 || st.ierrors != 0 || !link.link_status)
		rc = 1;
	if (g->o.tx_zero_copy && cs.tx_zero_copy == 0) {
		fprintf(stderr, "%s: --tx-zero-copy, yet no frame went out zero-copy\n", g->o.name);
		rc = 1;
	}
	if (g->o.queues > 1 && (g->nq < 2 || rxq < 2 || txq < 2)) {
		fprintf(stderr, "%s: %u queue(s) granted, %u used to receive, %u to send: "
			"multi-queue was not exercised\n", g->o.name, g->nq, rxq, txq);
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct netvsc_port_conf conf;
	struct guest *g;
	int used, rc;

	if (eal_init(argc, argv, &used) < 0) {
		fprintf(stderr, "hvnet-netvsc-guest: DPDK EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	argc -= used;
	argv += used;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return 1;
	if (parse(argc, argv, &g->o) < 0) {
		fprintf(stderr, "usage: hvnet-netvsc-guest [EAL args --] --socket PATH [--name N] "
			"[--count N] [--size BYTES] [--timeout S] [--queues N] [--mtu N] "
			"[--vlan ID] [--csum] [--lso MSS] [--lossy] [--sbuf-bytes N] "
			"[--rbuf-bytes N] [--tx-zero-copy]\n");
		return 2;
	}
	g->mp = rte_pktmbuf_pool_create("guest_mbufs", 16383, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					(int)rte_socket_id());
	if (g->mp == NULL) {
		fprintf(stderr, "%s: no mbuf pool: %s (give EAL more memory with -m)\n", g->o.name,
			rte_strerror(rte_errno));
		return 1;
	}
	memset(&conf, 0, sizeof(conf));
	conf.socket_path = g->o.path;
	conf.name = g->o.name;
	conf.nb_queues = g->o.queues;
	conf.mtu = g->o.mtu;
	conf.mp = g->mp;
	conf.sbuf_bytes = g->o.sbuf_bytes;
	conf.rbuf_bytes = g->o.rbuf_bytes;
	conf.timeout_ms = 10000;
	/* Every frame is checked and freed within its burst. */
	conf.rx_zero_copy = true;
	/* As many mbufs as the receive pool: chained LSO frames take many. */
	if (g->o.tx_zero_copy)
		conf.tx_pool_size = 16383;
	rc = netvsc_port_open(&conf, &g->port);
	if (rc < 0) {
		fprintf(stderr, "%s: bringing the synthetic NIC up failed: %s\n", g->o.name,
			strerror(-rc));
		return 1;
	}
	netvsc_port_info(g->port, &g->info);
	g->nq = g->info.nb_queues;
	g->txmp = netvsc_port_tx_pool(g->port);
	if (netvsc_port_hvn(g->port)->ops->nb_queues(netvsc_port_hvn(g->port)->priv) != g->nq) {
		fprintf(stderr, "%s: the hvn_port disagrees on the queue count\n", g->o.name);
		return 1;
	}
	/* hvnet-netvsp numbers the vNICs of a pair ...:01 and ...:02 and so on. */
	memcpy(g->gf.self, g->info.mac, 6);
	memcpy(g->gf.peer, g->info.mac, 6);
	g->gf.peer[5] = (uint8_t)(g->info.mac[5] & 1u ? g->info.mac[5] + 1 : g->info.mac[5] - 1);
	g->gf.size = g->o.size;
	g->gf.lso = g->o.mss != 0;
	g->gf.csum_offload = g->o.csum;
	g->gf.flows = FLOWS;
	printf("%s: NIC up: NVSP %#x, MAC %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, %u queue(s)%s, "
	       "sub-allocation %u x %u, %u send sections of %u, offloads %#x (LSO up to %u)\n",
	       g->o.name, g->info.nvsp_version, g->info.mac[0], g->info.mac[1], g->info.mac[2],
	       g->info.mac[3], g->info.mac[4], g->info.mac[5], g->info.mtu, g->nq,
	       g->info.rss ? " with RSS" : "", g->info.num_sub_allocs, g->info.sub_alloc_size,
	       g->info.nsections, g->info.section_size, g->info.offloads, g->info.lso_max);
	fflush(stdout);
	if (g->o.size > g->info.mtu + 14 && !g->gf.lso) {
		fprintf(stderr, "%s: the host's MTU is %u: %u-byte frames cannot be sent\n",
			g->o.name, g->info.mtu, g->o.size);
		rc = 1;
	} else {
		rc = run(g);
		rc |= report(g);
	}
	if (!g->peer_up)
		fprintf(stderr, "%s: the peer never came up\n", g->o.name);
	for (uint16_t q = 0; q < g->nq; q++)
		if (g->pend[q].n > 0)
			rte_pktmbuf_free_bulk(g->pend[q].pkts, g->pend[q].n);
	netvsc_port_close(g->port);
	rte_mempool_free(g->mp);
	free(g);
	rte_eal_cleanup();
	return rc;
}
