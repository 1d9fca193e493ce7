/* bench_vmbus_ring: capacity of one VMBus channel between two processes.
 *
 * Two rings in one shared memfd (hugetlb when it can be had), one process
 * per CPU, both polling: the reader masks interrupts as a polling Linux
 * driver does, so no signal is ever due and what is measured is the ring
 * itself. Modes:
 *   oneway: the writer sends inband packets of --size bytes; the reader
 *           checks each one and counts it.
 *   rr:     the client sends inband requests with COMPLETION_REQUESTED and
 *           a trans_id; the server answers each with a VMBUS_PKT_COMP on a
 *           second ring; the client counts matched completions. At most
 *           --window requests are outstanding, as in a real channel.
 *   pingpong: no ring; one cache line bounced between the two CPUs. Its
 *           round-trip time says how far apart the two CPUs are (on this
 *           VM the host moves the vCPUs between nearby and distant cores,
 *           which changes every two-process figure threefold), so
 *           bench/run probes it around each measurement.
 * Every payload carries a sequence number that the receiving side checks:
 * a run that saw any error reports failure, never a rate.
 *
 * The measuring side (reader in oneway, client in rr) warms up, then times
 * --intervals intervals with CLOCK_MONOTONIC and stores counts in shared
 * memory; the parent prints one JSON object on stdout. Progress and errors
 * go to stderr; any failure exits non-zero. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/hvn_compiler.h"
#include "proto/vmbus_wire.h"
#include "vmbus/vmbus_ring.h"

#define MAX_BURST 256u
#define MAX_INTERVALS 64u
#define HUGE_2M (2u << 20)
/* linux/memfd.h has it, but clashes with glibc's MFD_* definitions. */
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21u << 26)
#endif
/* Poll iterations between clock reads: a few microseconds at most, so an
 * interval overruns by that much, and the elapsed time is recorded exactly
 * anyway. Reading the clock every burst would cost the hot loop ~1 ns/pkt. */
#define CLOCK_EVERY 64u

enum mode { MODE_ONEWAY, MODE_RR, MODE_PINGPONG };
enum rx_work { RX_SEQ, RX_COPY };

struct cfg {
	enum mode mode;
	enum rx_work work;
	uint32_t size;
	uint32_t ring_bytes;
	unsigned int burst;
	unsigned int window;
	unsigned int backoff;
	unsigned int intervals;
	unsigned int interval_ms;
	unsigned int warmup_ms;
	int cpu_tx;
	int cpu_rx;
	int huge;        /* -1 auto, 0 never, 1 required */
};

/* What one process reports; each side writes only its own. */
struct side_result {
	uint64_t packets;
	uint64_t errors;        /* sequence, type, length or trans_id mismatches */
	uint64_t proto_errors;  /* the ring library flagged the ring broken */
	uint64_t full;          /* writes refused for lack of space */
	uint64_t signals;       /* signals the rules asked for (expect 0) */
	uint64_t bursts;        /* non-empty read bursts */
	uint64_t burst_pkts;    /* packets in them */
	uint64_t first_bad;     /* first mismatch: expected, got */
	uint64_t first_got;
	uint64_t preempted;     /* involuntary context switches while running */
	int done;
	char msg[120];
} hvn_aligned(HVN_CACHE_LINE);

/* Fixed header of the shared region. 'go' and 'stop' sit on lines of
 * their own: the hot loops load them every iteration, and a line nobody
 * writes stays shared in both caches and costs an L1 hit. */
struct shared {
	uint32_t ready[2] hvn_aligned(HVN_CACHE_LINE);
	uint32_t go hvn_aligned(HVN_CACHE_LINE);
	uint32_t stop hvn_aligned(HVN_CACHE_LINE);
	uint64_t ball hvn_aligned(HVN_CACHE_LINE);   /* pingpong */
	uint64_t count[MAX_INTERVALS] hvn_aligned(HVN_CACHE_LINE);
	uint64_t ns[MAX_INTERVALS];
	unsigned int measured;
	struct side_result side[2];   /* 0: CPU tx side, 1: CPU rx side */
};
_Static_assert(sizeof(struct shared) <= HVN_PAGE_SIZE, "shared header fits a page");

struct bench {
	struct cfg cfg;
	uint8_t *mem;
	size_t mem_len;
	const char *mem_kind;
	struct shared *sh;
	uint8_t *ring_a;   /* requests / data, tx side writes */
	uint8_t *ring_b;   /* completions, rx side writes */
};

/* Parent watchdog: a peer that died leaves the other spinning forever. */
static void on_alarm(int sig)
{
	static const char m[] = "bench_vmbus_ring: timed out (peer process stuck or dead)\n";

	(void)sig;
	if (write(2, m, sizeof(m) - 1) < 0) {
		/* nothing more to do in a signal handler */
	}
	_exit(3);
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_vmbus_ring: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	return 0;
}

static void side_fail(struct side_result *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void side_fail(struct side_result *s, const char *fmt, ...)
{
	va_list ap;

	if (s->msg[0] != '\0')
		return;
	va_start(ap, fmt);
	vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	va_end(ap);
}

static bool should_stop(const struct shared *sh)
{
	return hvn_load_relaxed(&sh->stop) != 0;
}

/* ---- Measurement ---- */

struct meter {
	struct shared *sh;
	unsigned int intervals;
	uint64_t interval_ns;
	uint64_t next_ns;
	uint64_t last_ns;
	uint64_t last_count;
	unsigned int phase;  /* 0: warm-up, k: interval k running */
	unsigned int tick;
};

static void meter_start(struct meter *m, struct shared *sh, const struct cfg *c)
{
	m->sh = sh;
	m->intervals = c->intervals;
	m->interval_ns = (uint64_t)c->interval_ms * 1000000u;
	m->last_ns = now_ns();
	m->next_ns = m->last_ns + (uint64_t)c->warmup_ms * 1000000u;
	m->last_count = 0;
	m->phase = 0;
	m->tick = 0;
}

/* Returns true once the last interval is recorded (and 'stop' is set). */
static inline bool meter_tick(struct meter *m, uint64_t count)
{
	uint64_t t;

	if (hvn_likely(++m->tick < CLOCK_EVERY))
		return false;
	m->tick = 0;
	/* The other side sets 'stop' only when it failed. */
	if (should_stop(m->sh))
		return true;
	t = now_ns();
	if (t < m->next_ns)
		return false;
	if (m->phase > 0) {
		m->sh->count[m->phase - 1] = count - m->last_count;
		m->sh->ns[m->phase - 1] = t - m->last_ns;
		m->sh->measured = m->phase;
	}
	m->last_ns = t;
	m->last_count = count;
	m->next_ns = t + m->interval_ns;
	if (m->phase++ == m->intervals) {
		hvn_store_release(&m->sh->stop, 1u);
		return true;
	}
	return false;
}

/* ---- Packet checks ---- */

/* What the receiver of a data packet does with it: read the sequence
 * number from the payload itself (the bytes the writer stored), and with
 * RX_COPY also copy the whole payload out first, as a receive into an
 * mbuf would. */
static inline uint64_t take_seq(const struct vmbus_pkt *p, enum rx_work work,
				uint8_t *dst, uint32_t size)
{
	uint64_t seq;

	if (work == RX_COPY) {
		memcpy(dst, vmbus_pkt_payload(p), size);
		memcpy(&seq, dst, sizeof(seq));
	} else {
		memcpy(&seq, vmbus_pkt_payload(p), sizeof(seq));
	}
	return seq;
}

static inline void check_data(struct side_result *s, const struct vmbus_pkt *p,
			      uint64_t seq, uint64_t expect, uint32_t plen,
			      uint16_t flags)
{
	if (hvn_unlikely(p->desc.type != VMBUS_PKT_DATA_INBAND ||
			 vmbus_pkt_payload_len(p) != plen ||
			 p->desc.flags != flags || p->desc.trans_id != seq ||
			 seq != expect)) {
		if (s->errors++ == 0) {
			s->first_bad = expect;
			s->first_got = seq;
		}
	}
}

/* ---- Shared memory and rings ---- */

static int map_shared(struct bench *b)
{
	size_t need = HVN_PAGE_SIZE + 2 * (size_t)b->cfg.ring_bytes;
	int fd = -1;

	if (b->cfg.huge != 0) {
		b->mem_len = HVN_ALIGN_UP(need, (size_t)HUGE_2M);
		fd = memfd_create("hvnet-bench", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
		if (fd >= 0 && ftruncate(fd, (off_t)b->mem_len) == 0) {
			b->mem = mmap(NULL, b->mem_len, PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_POPULATE, fd, 0);
			if (b->mem == MAP_FAILED)
				b->mem = NULL;
		}
		if (fd >= 0)
			close(fd);
		if (b->mem != NULL) {
			b->mem_kind = "hugetlb-2M";
		} else if (b->cfg.huge == 1) {
			return -ENOMEM;
		} else {
			fprintf(stderr, "bench_vmbus_ring: no 2 MiB hugepages (%s), using 4 KiB pages\n",
				strerror(errno));
		}
	}
	if (b->mem == NULL) {
		b->mem_len = HVN_ALIGN_UP(need, (size_t)HVN_PAGE_SIZE);
		fd = memfd_create("hvnet-bench", MFD_CLOEXEC);
		if (fd < 0)
			return -errno;
		if (ftruncate(fd, (off_t)b->mem_len) < 0) {
			int e = -errno;

			close(fd);
			return e;
		}
		b->mem = mmap(NULL, b->mem_len, PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_POPULATE, fd, 0);
		close(fd);
		if (b->mem == MAP_FAILED) {
			b->mem = NULL;
			return -errno;
		}
		b->mem_kind = "4K";
	}
	/* Touch everything now so no page fault lands in a measured interval. */
	memset(b->mem, 0, b->mem_len);
	b->sh = (struct shared *)(void *)b->mem;
	b->ring_a = b->mem + HVN_PAGE_SIZE;
	b->ring_b = b->ring_a + b->cfg.ring_bytes;
	if (vmbus_ring_format(b->ring_a, b->cfg.ring_bytes) < 0 ||
	    vmbus_ring_format(b->ring_b, b->cfg.ring_bytes) < 0)
		return -EINVAL;
	return 0;
}

/* Both sides attach, say ready, and the tx side releases them together so
 * neither starts on a ring the other has not attached yet. A side that
 * failed sets 'stop' instead, which releases the other. */
static void rendezvous(struct shared *sh, int me)
{
	hvn_store_release(&sh->ready[me], 1u);
	if (me == 0) {
		while (hvn_load_acquire(&sh->ready[1]) == 0 && !should_stop(sh))
			hvn_cpu_relax();
		hvn_store_release(&sh->go, 1u);
	} else {
		while (hvn_load_acquire(&sh->go) == 0 && !should_stop(sh))
			hvn_cpu_relax();
	}
}

/* Packet buffers for one burst: each its own cache-line-aligned slot, the
 * sequence number in the first 8 bytes, the rest a fixed pattern. */
static uint8_t *alloc_bufs(unsigned int n, uint32_t size, uint32_t *stride)
{
	uint8_t *p;

	*stride = HVN_ALIGN_UP(HVN_MAX(size, 8u), (uint32_t)HVN_CACHE_LINE);
	p = aligned_alloc(HVN_CACHE_LINE, (size_t)n * *stride);
	if (p == NULL)
		die("out of memory");
	for (size_t i = 0; i < (size_t)n * *stride; i++)
		p[i] = (uint8_t)(i * 7u);
	return p;
}

/* ---- oneway ---- */

static void oneway_writer(struct bench *b)
{
	const struct cfg *c = &b->cfg;
	struct side_result *s = &b->sh->side[0];
	struct vmbus_pkt_out out[MAX_BURST];
	struct vmbus_sg sg[MAX_BURST];
	struct vmbus_ring r;
	uint32_t stride;
	uint8_t *bufs = alloc_bufs(c->burst, c->size, &stride);
	uint64_t seq = 0;
	bool sig;

	if (vmbus_ring_attach_writer(&r, b->ring_a, c->ring_bytes) < 0) {
		side_fail(s, "attach writer failed");
		hvn_store_release(&b->sh->stop, 1u);
		return;
	}
	for (unsigned int i = 0; i < c->burst; i++) {
		sg[i] = (struct vmbus_sg){ .base = bufs + (size_t)i * stride, .len = c->size };
		out[i] = (struct vmbus_pkt_out){ .type = VMBUS_PKT_DATA_INBAND, .sg = &sg[i], .nsg = 1 };
	}
	rendezvous(b->sh, 0);
	while (!should_stop(b->sh)) {
		unsigned int n;

		for (unsigned int i = 0; i < c->burst; i++) {
			uint64_t v = seq + i;

			memcpy(bufs + (size_t)i * stride, &v, sizeof(v));
			out[i].trans_id = v;
		}
		n = vmbus_ring_write_burst(&r, out, c->burst, &sig);
		seq += n;
		if (sig)
			s->signals++;
		if (r.broken) {
			side_fail(s, "ring broken on write");
			break;
		}
		/* A full ring: every retry loads the control line the reader
		 * must write to release space, so do not retry at once. */
		if (n == 0)
			for (unsigned int k = 0; k < c->backoff; k++)
				hvn_cpu_relax();
	}
	s->packets = seq;
	s->full = r.stats.full;
	s->proto_errors = r.stats.proto_errors;
	free(bufs);
}

static void oneway_reader(struct bench *b)
{
	const struct cfg *c = &b->cfg;
	struct side_result *s = &b->sh->side[1];
	struct vmbus_pkt pkts[MAX_BURST];
	struct vmbus_ring r;
	struct meter m;
	uint32_t stride, plen = HVN_ALIGN_UP(c->size, 8u);
	uint8_t *scratch = malloc(vmbus_ring_pkt_footprint(0, c->size));
	uint8_t *dst = alloc_bufs(c->burst, c->size, &stride);
	uint64_t expect = 0;
	int err;

	if (scratch == NULL ||
	    vmbus_ring_attach_reader(&r, b->ring_a, c->ring_bytes, scratch,
				     vmbus_ring_pkt_footprint(0, c->size)) < 0) {
		side_fail(s, "attach reader failed");
		hvn_store_release(&b->sh->stop, 1u);
		return;
	}
	/* Poll mode: tell the writer never to signal. */
	vmbus_ring_mask(&r);
	rendezvous(b->sh, 1);
	meter_start(&m, b->sh, c);
	for (;;) {
		unsigned int n = vmbus_ring_read_burst(&r, pkts, c->burst, &err);

		for (unsigned int i = 0; i < n; i++) {
			uint64_t seq = take_seq(&pkts[i], c->work,
						dst + (size_t)i * stride, c->size);

			check_data(s, &pkts[i], seq, expect, plen, 0);
			expect = seq + 1;
		}
		if (n != 0) {
			s->bursts++;
			s->burst_pkts += n;
			if (vmbus_ring_read_commit(&r))
				s->signals++;
		}
		if (hvn_unlikely(err != 0)) {
			side_fail(s, "ring broken on read (%d)", err);
			hvn_store_release(&b->sh->stop, 1u);
			break;
		}
		if (meter_tick(&m, s->burst_pkts))
			break;
	}
	s->packets = s->burst_pkts;
	s->proto_errors = r.stats.proto_errors;
	free(dst);
	free(scratch);
}

/* ---- rr ---- */

/* netvsc's completion body: an NVSP message type and a status. */
struct comp_body {
	uint32_t type;
	uint32_t status;
};

static void rr_client(struct bench *b)
{
	const struct cfg *c = &b->cfg;
	struct side_result *s = &b->sh->side[0];
	struct vmbus_pkt_out out[MAX_BURST];
	struct vmbus_sg sg[MAX_BURST];
	struct vmbus_pkt pkts[MAX_BURST];
	struct vmbus_ring ra, rb;
	struct meter m;
	uint32_t stride;
	uint8_t *bufs = alloc_bufs(c->burst, c->size, &stride);
	uint8_t scratch[64];
	uint64_t seq_tx = 0, seq_rx = 0;
	bool sig;
	int err;

	if (vmbus_ring_attach_writer(&ra, b->ring_a, c->ring_bytes) < 0 ||
	    vmbus_ring_attach_reader(&rb, b->ring_b, c->ring_bytes, scratch,
				     sizeof(scratch)) < 0) {
		side_fail(s, "attach failed");
		hvn_store_release(&b->sh->stop, 1u);
		return;
	}
	vmbus_ring_mask(&rb);
	for (unsigned int i = 0; i < c->burst; i++) {
		sg[i] = (struct vmbus_sg){ .base = bufs + (size_t)i * stride, .len = c->size };
		out[i] = (struct vmbus_pkt_out){ .type = VMBUS_PKT_DATA_INBAND,
						 .flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
						 .sg = &sg[i], .nsg = 1 };
	}
	rendezvous(b->sh, 0);
	meter_start(&m, b->sh, c);
	for (;;) {
		unsigned int n = vmbus_ring_read_burst(&rb, pkts, c->burst, &err);
		unsigned int room, k;

		for (unsigned int i = 0; i < n; i++) {
			struct comp_body cb;

			if (vmbus_pkt_payload_len(&pkts[i]) == sizeof(cb))
				memcpy(&cb, vmbus_pkt_payload(&pkts[i]), sizeof(cb));
			else
				cb.status = UINT32_MAX;
			if (hvn_unlikely(pkts[i].desc.type != VMBUS_PKT_COMP ||
					 pkts[i].desc.trans_id != seq_rx || cb.status != 0)) {
				if (s->errors++ == 0) {
					s->first_bad = seq_rx;
					s->first_got = pkts[i].desc.trans_id;
				}
			}
			seq_rx++;
		}
		if (n != 0) {
			s->bursts++;
			s->burst_pkts += n;
			if (vmbus_ring_read_commit(&rb))
				s->signals++;
		}
		if (hvn_unlikely(err != 0 || ra.broken)) {
			side_fail(s, "ring broken (%d)", err);
			hvn_store_release(&b->sh->stop, 1u);
			break;
		}
		room = c->window - (unsigned int)(seq_tx - seq_rx);
		k = HVN_MIN(room, c->burst);
		if (k != 0) {
			for (unsigned int i = 0; i < k; i++) {
				uint64_t v = seq_tx + i;

				memcpy(bufs + (size_t)i * stride, &v, sizeof(v));
				out[i].trans_id = v;
			}
			seq_tx += vmbus_ring_write_burst(&ra, out, k, &sig);
			if (sig)
				s->signals++;
		}
		if (meter_tick(&m, seq_rx))
			break;
	}
	s->packets = seq_rx;
	s->full = ra.stats.full;
	s->proto_errors = ra.stats.proto_errors + rb.stats.proto_errors;
	free(bufs);
}

static void rr_server(struct bench *b)
{
	const struct cfg *c = &b->cfg;
	struct side_result *s = &b->sh->side[1];
	struct vmbus_pkt pkts[MAX_BURST];
	struct vmbus_pkt_out out[MAX_BURST];
	struct vmbus_sg sg = { 0 };
	struct vmbus_ring ra, rb;
	static const struct comp_body ok = { .type = 2 /* RNDIS send complete */, .status = 0 };
	uint32_t stride, plen = HVN_ALIGN_UP(c->size, 8u);
	uint8_t *scratch = malloc(vmbus_ring_pkt_footprint(0, c->size));
	uint8_t *dst = alloc_bufs(c->burst, c->size, &stride);
	uint64_t expect = 0;
	bool sig;
	int err;

	if (scratch == NULL ||
	    vmbus_ring_attach_reader(&ra, b->ring_a, c->ring_bytes, scratch,
				     vmbus_ring_pkt_footprint(0, c->size)) < 0 ||
	    vmbus_ring_attach_writer(&rb, b->ring_b, c->ring_bytes) < 0) {
		side_fail(s, "attach failed");
		hvn_store_release(&b->sh->stop, 1u);
		return;
	}
	vmbus_ring_mask(&ra);
	sg.base = &ok;
	sg.len = sizeof(ok);
	for (unsigned int i = 0; i < c->burst; i++)
		out[i] = (struct vmbus_pkt_out){ .type = VMBUS_PKT_COMP, .sg = &sg, .nsg = 1 };
	rendezvous(b->sh, 1);
	while (!should_stop(b->sh)) {
		unsigned int n = vmbus_ring_read_burst(&ra, pkts, c->burst, &err), done = 0;

		for (unsigned int i = 0; i < n; i++) {
			uint64_t seq = take_seq(&pkts[i], c->work,
						dst + (size_t)i * stride, c->size);

			check_data(s, &pkts[i], seq, expect, plen,
				   VMBUS_PKT_FLAG_COMPLETION_REQUESTED);
			expect = seq + 1;
			/* Echo the trans_id from our checked copy of the
			 * descriptor, never from ring memory. */
			out[i].trans_id = pkts[i].desc.trans_id;
		}
		if (n != 0) {
			s->bursts++;
			s->burst_pkts += n;
			if (vmbus_ring_read_commit(&ra))
				s->signals++;
		}
		if (hvn_unlikely(err != 0)) {
			side_fail(s, "ring broken on read (%d)", err);
			hvn_store_release(&b->sh->stop, 1u);
			break;
		}
		/* The client bounds what is outstanding, so the completion
		 * ring only fills if it stops reading: retry until stop. */
		while (done < n && !should_stop(b->sh)) {
			unsigned int w = vmbus_ring_write_burst(&rb, out + done, n - done, &sig);

			done += w;
			if (sig)
				s->signals++;
			if (w == 0)
				hvn_cpu_relax();
		}
	}
	s->packets = s->burst_pkts;
	s->full = rb.stats.full;
	s->proto_errors = ra.stats.proto_errors + rb.stats.proto_errors;
	free(dst);
	free(scratch);
}

/* ---- pingpong ---- */

#define PP_ROUND_TRIPS 20000u
#define PP_END UINT64_MAX

/* Side 0 serves odd values, side 1 answers each with the next even one. */
static void pingpong(struct bench *b, int side)
{
	uint64_t *ball = &b->sh->ball;

	rendezvous(b->sh, side);
	if (side == 1) {
		for (;;) {
			uint64_t v = hvn_load_relaxed(ball);

			if (v == PP_END)
				return;
			if (v & 1u)
				hvn_store_relaxed(ball, v + 1);
		}
	}
	for (unsigned int r = 0; r < b->cfg.intervals; r++) {
		uint64_t v = (uint64_t)r * PP_ROUND_TRIPS * 2, t0 = now_ns();

		for (unsigned int i = 0; i < PP_ROUND_TRIPS; i++, v += 2) {
			hvn_store_relaxed(ball, v + 1);
			/* No pause: it would add its own latency to each trip. */
			while (hvn_load_relaxed(ball) != v + 2)
				;
		}
		b->sh->ns[r] = now_ns() - t0;
		b->sh->count[r] = PP_ROUND_TRIPS;
		b->sh->measured = r + 1;
	}
	hvn_store_relaxed(ball, PP_END);
}

/* ---- Driver ---- */

static uint64_t involuntary_switches(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru) < 0)
		return 0;
	return (uint64_t)ru.ru_nivcsw;
}

/* Another task on our CPU takes whole time slices from a polling loop:
 * the count says whether a figure was measured on a quiet machine. */
static void run_side(struct bench *b, int side)
{
	uint64_t sw0 = involuntary_switches();

	if (b->cfg.mode == MODE_PINGPONG) {
		pingpong(b, side);
	} else if (b->cfg.mode == MODE_ONEWAY) {
		if (side == 0)
			oneway_writer(b);
		else
			oneway_reader(b);
	} else {
		if (side == 0)
			rr_client(b);
		else
			rr_server(b);
	}
	b->sh->side[side].preempted = involuntary_switches() - sw0;
	hvn_store_release(&b->sh->side[side].done, 1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void json_side(const char *name, const struct side_result *s)
{
	printf("\"%s\":{\"packets\":%" PRIu64 ",\"errors\":%" PRIu64
	       ",\"proto_errors\":%" PRIu64 ",\"full\":%" PRIu64
	       ",\"signals\":%" PRIu64 ",\"preempted\":%" PRIu64 ",\"avg_burst\":%.2f}",
	       name, s->packets, s->errors, s->proto_errors, s->full, s->signals, s->preempted,
	       s->bursts != 0 ? (double)s->burst_pkts / (double)s->bursts : 0.0);
}

static int report_pingpong(const struct bench *b, int child_status)
{
	const struct shared *sh = b->sh;
	double rtt[MAX_INTERVALS];
	unsigned int n = sh->measured;

	if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0 || n == 0) {
		printf("{\"name\":\"xcore-rtt\",\"status\":\"failed\",\"rtt_ns\":null}\n");
		fprintf(stderr, "bench_vmbus_ring: pingpong failed (status 0x%x)\n", child_status);
		return 1;
	}
	for (unsigned int i = 0; i < n; i++)
		rtt[i] = (double)sh->ns[i] / (double)sh->count[i];
	qsort(rtt, n, sizeof(rtt[0]), cmp_double);
	printf("{\"name\":\"xcore-rtt\",\"status\":\"ok\",\"rtt_ns\":%.1f,\"rtt_min_ns\":%.1f,"
	       "\"rtt_max_ns\":%.1f,\"cpus\":[%d,%d]}\n", rtt[n / 2], rtt[0], rtt[n - 1],
	       b->cfg.cpu_tx, b->cfg.cpu_rx);
	return 0;
}

static int report(const struct bench *b, int child_status)
{
	const struct cfg *c = &b->cfg;
	const struct shared *sh = b->sh;
	const char *case_name = c->mode == MODE_ONEWAY ? "oneway" : "rr";
	double rates[MAX_INTERVALS], sorted[MAX_INTERVALS], med = 0;
	uint64_t errors = 0, perrs = 0;
	unsigned int n = sh->measured;
	char why[256] = "";

	for (int i = 0; i < 2; i++) {
		errors += sh->side[i].errors;
		perrs += sh->side[i].proto_errors;
	}
	for (unsigned int i = 0; i < n; i++)
		rates[i] = sorted[i] = sh->ns[i] != 0 ?
			(double)sh->count[i] * 1e3 / (double)sh->ns[i] : 0.0;
	qsort(sorted, n, sizeof(sorted[0]), cmp_double);
	if (n != 0)
		med = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;

	if (!WIFEXITED(child_status) || WEXITSTATUS(child_status) != 0)
		snprintf(why, sizeof(why), "reader process died (status 0x%x)", child_status);
	else if (sh->side[0].msg[0] || sh->side[1].msg[0])
		snprintf(why, sizeof(why), "%s%s%s", sh->side[0].msg,
			 sh->side[0].msg[0] && sh->side[1].msg[0] ? "; " : "", sh->side[1].msg);
	else if (errors != 0)
		snprintf(why, sizeof(why),
			 "%" PRIu64 " packet check errors (first: expected %" PRIu64 ", got %" PRIu64 ")",
			 errors, sh->side[1].errors ? sh->side[1].first_bad : sh->side[0].first_bad,
			 sh->side[1].errors ? sh->side[1].first_got : sh->side[0].first_got);
	else if (perrs != 0)
		snprintf(why, sizeof(why), "%" PRIu64 " ring protocol errors", perrs);
	else if (n != c->intervals)
		snprintf(why, sizeof(why), "measured %u of %u intervals", n, c->intervals);

	printf("{\"name\":\"vmbus-ring\",\"case\":\"%s\",\"size\":%u,\"status\":\"%s\",",
	       case_name, c->size, why[0] ? "failed" : "ok");
	if (why[0]) {
		printf("\"error\":\"%s\",\"mpps\":null,", why);
	} else {
		printf("\"mpps\":%.4f,\"mpps_min\":%.4f,\"mpps_max\":%.4f,", med,
		       sorted[0], sorted[n - 1]);
	}
	printf("\"intervals_mpps\":[");
	for (unsigned int i = 0; i < n; i++)
		printf("%s%.4f", i ? "," : "", rates[i]);
	printf("],\"interval_s\":%.3f,\"warmup_s\":%.3f,\"memory\":\"%s\",\"ring_bytes\":%u,"
	       "\"burst\":%u,\"rx_work\":\"%s\",\"cpus\":[%d,%d],",
	       c->interval_ms / 1e3, c->warmup_ms / 1e3, b->mem_kind, c->ring_bytes,
	       c->burst, c->work == RX_COPY ? "copy" : "seq", c->cpu_tx, c->cpu_rx);
	if (c->mode == MODE_RR)
		printf("\"window\":%u,", c->window);
	json_side(c->mode == MODE_ONEWAY ? "writer" : "client", &sh->side[0]);
	putchar(',');
	json_side(c->mode == MODE_ONEWAY ? "reader" : "server", &sh->side[1]);
	printf("}\n");
	fflush(stdout);
	if (why[0]) {
		fprintf(stderr, "bench_vmbus_ring: %s %uB failed: %s\n", case_name, c->size, why);
		return 1;
	}
	return 0;
}

static unsigned long parse_num(const char *opt, const char *s, unsigned long lo,
			       unsigned long hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || end == s)
		die("--%s: not a number: '%s'", opt, s);
	if (*end == 'k' || *end == 'K')
		v <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		v <<= 20, end++;
	if (*end != '\0' || v < lo || v > hi)
		die("--%s: '%s' not in [%lu, %lu]", opt, s, lo, hi);
	return v;
}

static void usage(FILE *f)
{
	fputs("usage: bench_vmbus_ring [--mode oneway|rr|pingpong] [--size BYTES] [--ring-bytes N]\n"
	      "         [--burst N] [--window N] [--backoff PAUSES] [--intervals N] [--interval-ms MS]\n"
	      "         [--warmup-ms MS] [--cpus TX,RX] [--rx-work seq|copy]\n"
	      "         [--huge auto|yes|no]\n"
	      "Prints one JSON object on stdout; exits non-zero on any failure.\n", f);
}

static void parse_args(struct cfg *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mode", required_argument, NULL, 'm' },
		{ "size", required_argument, NULL, 's' },
		{ "ring-bytes", required_argument, NULL, 'r' },
		{ "burst", required_argument, NULL, 'b' },
		{ "window", required_argument, NULL, 'w' },
		{ "backoff", required_argument, NULL, 'B' },
		{ "intervals", required_argument, NULL, 'n' },
		{ "interval-ms", required_argument, NULL, 'i' },
		{ "warmup-ms", required_argument, NULL, 'u' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "rx-work", required_argument, NULL, 'x' },
		{ "huge", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	*c = (struct cfg){ .mode = MODE_ONEWAY, .work = RX_SEQ, .size = 64,
			   .ring_bytes = 2u << 20, .burst = 32, .window = 128, .backoff = 1,
			   .intervals = 5, .interval_ms = 1000, .warmup_ms = 1000,
			   .cpu_tx = 0, .cpu_rx = 1, .huge = -1 };
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'm':
			if (strcmp(optarg, "oneway") == 0)
				c->mode = MODE_ONEWAY;
			else if (strcmp(optarg, "rr") == 0)
				c->mode = MODE_RR;
			else if (strcmp(optarg, "pingpong") == 0)
				c->mode = MODE_PINGPONG;
			else
				die("--mode: oneway, rr or pingpong, not '%s'", optarg);
			break;
		case 's':
			c->size = (uint32_t)parse_num("size", optarg, 8, 65000);
			break;
		case 'r':
			c->ring_bytes = (uint32_t)parse_num("ring-bytes", optarg,
							    2 * HVN_PAGE_SIZE, 1u << 30);
			if (c->ring_bytes % HVN_PAGE_SIZE)
				die("--ring-bytes: must be a multiple of %u", HVN_PAGE_SIZE);
			break;
		case 'b':
			c->burst = (unsigned int)parse_num("burst", optarg, 1, MAX_BURST);
			break;
		case 'w':
			c->window = (unsigned int)parse_num("window", optarg, 1, 1u << 20);
			break;
		case 'B':
			c->backoff = (unsigned int)parse_num("backoff", optarg, 0, 100000);
			break;
		case 'n':
			c->intervals = (unsigned int)parse_num("intervals", optarg, 1, MAX_INTERVALS);
			break;
		case 'i':
			c->interval_ms = (unsigned int)parse_num("interval-ms", optarg, 10, 60000);
			break;
		case 'u':
			c->warmup_ms = (unsigned int)parse_num("warmup-ms", optarg, 0, 60000);
			break;
		case 'c':
			if (sscanf(optarg, "%d,%d", &c->cpu_tx, &c->cpu_rx) != 2 ||
			    c->cpu_tx < 0 || c->cpu_rx < 0 || c->cpu_tx >= CPU_SETSIZE ||
			    c->cpu_rx >= CPU_SETSIZE)
				die("--cpus: TX,RX CPU numbers, not '%s'", optarg);
			break;
		case 'x':
			if (strcmp(optarg, "seq") == 0)
				c->work = RX_SEQ;
			else if (strcmp(optarg, "copy") == 0)
				c->work = RX_COPY;
			else
				die("--rx-work: seq or copy, not '%s'", optarg);
			break;
		case 'H':
			if (strcmp(optarg, "auto") == 0)
				c->huge = -1;
			else if (strcmp(optarg, "yes") == 0)
				c->huge = 1;
			else if (strcmp(optarg, "no") == 0)
				c->huge = 0;
			else
				die("--huge: auto, yes or no, not '%s'", optarg);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			exit(2);
		}
	}
	if (optind != argc) {
		usage(stderr);
		exit(2);
	}
	/* The ring must hold a full burst of the largest packet, or the
	 * writer could never make progress with a partly drained ring. */
	if ((uint64_t)vmbus_ring_pkt_footprint(0, c->size) * c->burst >=
	    c->ring_bytes - HVN_PAGE_SIZE)
		die("ring of %u bytes cannot hold a burst of %u %u-byte packets",
		    c->ring_bytes, c->burst, c->size);
	if (c->mode == MODE_RR && (uint64_t)c->window * vmbus_ring_pkt_footprint(0, 8) >=
	    c->ring_bytes - HVN_PAGE_SIZE)
		die("--window %u does not fit the completion ring", c->window);
}

int main(int argc, char **argv)
{
	struct bench b = { 0 };
	unsigned int budget;
	pid_t pid;
	int rc, status = 0;

	parse_args(&b.cfg, argc, argv);
	rc = map_shared(&b);
	if (rc < 0)
		die("shared memory (%zu bytes, %s): %s", b.mem_len,
		    b.cfg.huge == 1 ? "hugetlb required" : "any pages", strerror(-rc));
	fflush(stdout);
	fflush(stderr);

	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* The child must not outlive a parent that timed out. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rc = pin_cpu(b.cfg.cpu_rx);
		if (rc < 0) {
			side_fail(&b.sh->side[1], "pin to CPU %d: %s", b.cfg.cpu_rx, strerror(-rc));
			hvn_store_release(&b.sh->stop, 1u);
			_exit(1);
		}
		run_side(&b, 1);
		_exit(0);
	}

	budget = (b.cfg.warmup_ms + b.cfg.intervals * b.cfg.interval_ms) / 1000 + 15;
	signal(SIGALRM, on_alarm);
	alarm(budget);
	rc = pin_cpu(b.cfg.cpu_tx);
	if (rc < 0) {
		side_fail(&b.sh->side[0], "pin to CPU %d: %s", b.cfg.cpu_tx, strerror(-rc));
		hvn_store_release(&b.sh->stop, 1u);
		/* Release the child from the rendezvous so it can see 'stop'. */
		hvn_store_release(&b.sh->go, 1u);
	} else {
		run_side(&b, 0);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	alarm(0);
	return b.cfg.mode == MODE_PINGPONG ? report_pingpong(&b, status) : report(&b, status);
}
