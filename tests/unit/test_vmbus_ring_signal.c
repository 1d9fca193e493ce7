/* Signalling of vmbus/vmbus_ring.c: directed cases, a randomized
 * comparison against a model of the Linux rules, and two-thread SPSC
 * stress (polling, and event-driven to prove there is no lost wake-up).
 *
 * The model below is transcribed from Linux 6.1 drivers/hv/ring_buffer.c
 * (hv_get_bytes_to_write, hv_pkt_iter_bytes_read, hv_signal_on_write,
 * hv_pkt_iter_close, hv_ringbuffer_write's full test), not from
 * vmbus_ring.c, and keeps its own indices: it checks index arithmetic and
 * the decisions at once. */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hvn_errno.h"
#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_ring.h"
#include "tests/unit/ring_pair.h"


/* Packet 'seq': 'hl' header bytes, 'n' payload bytes; both are a function
 * of seq so the reader can check what it got without shared state. */
static int put_pkt(struct vmbus_ring *w, uint64_t seq, uint32_t hl, uint32_t n)
{
	uint8_t buf[4096], hdr[32];
	struct vmbus_sg sg = { buf, n };
	struct vmbus_pkt_out o = {
		.type = hl ? VMBUS_PKT_DATA_XFER_PAGES : VMBUS_PKT_DATA_INBAND,
		.trans_id = seq, .hdr = hdr, .hdr_len = hl, .sg = &sg, .nsg = 1,
	};
	uint32_t i;

	T_ASSERT(n <= sizeof(buf) && hl <= sizeof(hdr));
	for (i = 0; i < hl; i++)
		hdr[i] = (uint8_t)~pat(seq, i);
	for (i = 0; i < n; i++)
		buf[i] = pat(seq, i);
	return vmbus_ring_put(w, &o);
}

static void check_pkt(const struct vmbus_pkt *k, uint64_t seq, uint32_t hl,
		      uint32_t n)
{
	const uint8_t *pl = vmbus_pkt_payload(k);
	uint32_t i;

	T_ASSERT(k->desc.trans_id == seq);
	T_EQ(k->off, 16 + hl);
	T_EQ(k->len, 16 + hl + align8(n));
	for (i = 0; i < hl; i++)
		T_EQ(k->pkt[16 + i], (uint8_t)~pat(seq, i));
	for (i = 0; i < n; i++)
		if (pl[i] != pat(seq, i))
			T_FAIL("seq %llu byte %u corrupt", (unsigned long long)seq, i);
}


/* ---- Directed cases ----------------------------------------------------- */

static bool put_commit(struct pair *p, uint64_t seq, uint32_t n)
{
	T_EQ(put_pkt(&p->w, seq, 0, n), 0);
	return vmbus_ring_write_commit(&p->w);
}

/* Reads exactly 'n' packets and releases them; returns the decision. */
static bool read_commit(struct pair *p, unsigned int n)
{
	struct vmbus_pkt k[32];
	int err;

	T_EQ(vmbus_ring_read_burst(&p->r, k, n, &err), n);
	T_EQ(err, 0);
	return vmbus_ring_read_commit(&p->r);
}

static void test_writer_signal(void)
{
	struct vmbus_pkt_out o[10];
	struct vmbus_sg sg = { "0123456789", 10 };
	struct vmbus_pkt k[16];
	unsigned int i;
	struct pair p;
	bool sig;
	int err;

	pair_init(&p, 4, 4096);
	T_ASSERT(!vmbus_ring_write_commit(&p.w));      /* nothing put */
	T_ASSERT(put_commit(&p, 1, 10));               /* empty -> non-empty */
	T_EQ(p.w.stats.signals, 1);
	T_ASSERT(!put_commit(&p, 2, 10));              /* reader has unread data */
	/* Read but not released: read_index still trails, no signal. */
	T_EQ(vmbus_ring_read_burst(&p.r, k, 16, &err), 2);
	T_ASSERT(!put_commit(&p, 3, 10));
	T_ASSERT(!vmbus_ring_read_commit(&p.r));
	T_ASSERT(!read_commit(&p, 1));
	T_ASSERT(put_commit(&p, 4, 10));               /* drained: signal again */
	T_ASSERT(!read_commit(&p, 1));

	vmbus_ring_mask(&p.r);
	T_EQ(ctl_of(&p)->interrupt_mask, 1);
	T_ASSERT(!put_commit(&p, 5, 10));              /* masked */
	/* The packet that landed while masked is reported on unmask. */
	T_EQ(vmbus_ring_unmask(&p.r), 16 + 16 + 8);
	T_EQ(ctl_of(&p)->interrupt_mask, 0);
	T_ASSERT(!read_commit(&p, 1));
	T_EQ(vmbus_ring_unmask(&p.r), 0);

	/* One batch, one signal. */
	for (i = 0; i < 10; i++)
		o[i] = (struct vmbus_pkt_out){ .type = VMBUS_PKT_DATA_INBAND,
			.trans_id = 10 + i, .sg = &sg, .nsg = 1 };
	T_EQ(p.w.stats.signals, 2);
	T_EQ(vmbus_ring_write_burst(&p.w, o, 10, &sig), 10);
	T_ASSERT(sig);
	T_EQ(p.w.stats.signals, 3);
	T_EQ(vmbus_ring_write_burst(&p.w, o, 10, &sig), 10);
	T_ASSERT(!sig);
	T_EQ(vmbus_ring_read_burst(&p.r, k, 16, &err), 16);
	T_ASSERT(!vmbus_ring_read_commit(&p.r));
	T_ASSERT(!read_commit(&p, 4));
	T_ASSERT(put_commit(&p, 30, 0) && put_commit(&p, 31, 0) == false);
	T_ASSERT(!read_commit(&p, 2));

	/* A batch refused for space publishes nothing and signals nothing. */
	T_EQ(put_pkt(&p.w, 40, 0, 4000), 0);
	T_EQ(put_pkt(&p.w, 41, 0, 4000), 0);
	T_EQ(put_pkt(&p.w, 42, 0, 4000), 0);
	T_EQ(put_pkt(&p.w, 43, 0, 4000), -HVN_EAGAIN);
	T_ASSERT(vmbus_ring_write_commit(&p.w));
	T_EQ(put_pkt(&p.w, 43, 0, 4000), -HVN_EAGAIN);
	T_ASSERT(!vmbus_ring_write_commit(&p.w));
	T_EQ(p.w.stats.signals, 5);
	T_EQ(p.r.stats.signals, 0);
	pair_fini(&p);
}

/* Ten packets of 1024 bytes each in a 12288-byte ring: 2048 free. */
static void fill10(struct pair *p)
{
	unsigned int i;

	pair_init(p, 4, 4096);
	for (i = 0; i < 10; i++)
		T_EQ(put_pkt(&p->w, i, 0, 1000), 0);
	vmbus_ring_write_commit(&p->w);
	T_EQ(vmbus_ring_bytes_free(&p->w), 2048);
}

static void test_reader_signal(void)
{
	struct pair p;

	fill10(&p);
	T_ASSERT(!read_commit(&p, 1));                 /* pending 0 */
	vmbus_ring_set_pending_send(&p.w, 3500);
	T_EQ(ctl_of(&p)->pending_send_sz, 3500);
	T_ASSERT(read_commit(&p, 1));                  /* 3072 -> 4096 */
	T_ASSERT(!read_commit(&p, 1));                 /* already above */
	T_ASSERT(!vmbus_ring_read_commit(&p.r));       /* nothing read */
	vmbus_ring_set_pending_send(&p.w, 0);
	T_ASSERT(!read_commit(&p, 1));
	T_EQ(p.r.stats.signals, 1);
	pair_fini(&p);

	/* Boundary: free == pending is "not enough". */
	fill10(&p);
	vmbus_ring_set_pending_send(&p.w, 3072);
	T_ASSERT(!read_commit(&p, 1));                 /* 2048 -> 3072 */
	T_ASSERT(read_commit(&p, 1));                  /* 3072 -> 4096 */
	pair_fini(&p);

	fill10(&p);
	vmbus_ring_set_pending_send(&p.w, 2000);       /* already above */
	T_ASSERT(!read_commit(&p, 1));
	pair_fini(&p);

	fill10(&p);
	vmbus_ring_set_pending_send(&p.w, 8000);       /* still below */
	T_ASSERT(!read_commit(&p, 1));
	T_ASSERT(!read_commit(&p, 4));                 /* 3072 -> 7168 */
	T_ASSERT(read_commit(&p, 1));                  /* 7168 -> 8192 */
	pair_fini(&p);

	fill10(&p);                                    /* one commit, one signal */
	vmbus_ring_set_pending_send(&p.w, 5000);
	T_ASSERT(read_commit(&p, 3));
	T_EQ(p.r.stats.signals, 1);
	pair_fini(&p);

	fill10(&p);                                    /* host without the feature */
	ctl_of(&p)->feature_bits = 0;
	vmbus_ring_set_pending_send(&p.w, 3500);
	T_ASSERT(!read_commit(&p, 2));
	T_EQ(ctl_of(&p)->read_index, 2048);            /* still released */
	ctl_of(&p)->feature_bits = VMBUS_RING_FEAT_PENDING_SEND_SZ;
	vmbus_ring_set_pending_send(&p.w, 4500);
	T_ASSERT(read_commit(&p, 1));
	pair_fini(&p);
}

/* ---- Model of the Linux rules ------------------------------------------- */

/* hv_get_bytes_to_write() */
static uint32_t lx_bytes_to_write(uint32_t dsize, uint32_t read_loc,
				  uint32_t write_loc)
{
	return write_loc >= read_loc ? dsize - (write_loc - read_loc) :
				       read_loc - write_loc;
}

/* hv_pkt_iter_bytes_read() */
static uint32_t lx_bytes_read(uint32_t dsize, uint32_t priv_read_index,
			      uint32_t start_read_index)
{
	if (priv_read_index >= start_read_index)
		return priv_read_index - start_read_index;
	return dsize - start_read_index + priv_read_index;
}

/* hv_signal_on_write(), after write_index = next_write_location */
static bool lx_signal_on_write(uint32_t old_write, uint32_t interrupt_mask,
			       uint32_t read_index)
{
	if (interrupt_mask)
		return false;
	return old_write == read_index;
}

/* hv_pkt_iter_close(), after read_index = priv_read_index */
static bool lx_iter_close(uint32_t dsize, uint32_t feat, uint32_t pending_sz,
			  uint32_t write_index, uint32_t start_read_index,
			  uint32_t priv_read_index)
{
	uint32_t curr_write_sz, bytes_read;

	if (!(feat & 1))
		return false;
	if (!pending_sz)
		return false;
	curr_write_sz = lx_bytes_to_write(dsize, priv_read_index, write_index);
	bytes_read = lx_bytes_read(dsize, priv_read_index, start_read_index);
	if (curr_write_sz - bytes_read > pending_sz)
		return false;
	if (curr_write_sz <= pending_sz)
		return false;
	return true;
}

#define MQ 1024u

struct model {
	uint32_t dsize;
	uint32_t write_index, read_index;    /* published */
	uint32_t priv_write, priv_read;
	uint32_t mask, pending, feat;
	/* Packets by absolute number: put, published, read, released. */
	uint64_t n_put, n_pub, n_read;
	uint32_t hl[MQ], n[MQ];
};

static struct {
	uint64_t wsig[2], rsig[2], eagain, unmask_nonzero;
} cover;

static uint32_t rand_pending(const struct model *m)
{
	uint32_t f = lx_bytes_to_write(m->dsize, m->read_index, m->write_index);

	switch (rnd() % 3) {
	case 0:
		return 0;
	case 1:
		return 1 + rnd() % m->dsize;
	default:
		/* Near the free space so that commits cross it often. */
		f += rnd() % 2048;
		f = f > 1024 ? f - 1024 : 1;
		return f;
	}
}

static void model_step(struct pair *p, struct model *m)
{
	uint32_t op = rnd() % 100, i;
	struct vmbus_pkt k[8];
	bool got_sig, exp_sig;
	int err;

	if (op < 40) {                                /* writer batch */
		uint32_t cnt = 1 + rnd() % 5, old = m->write_index;

		for (i = 0; i < cnt; i++) {
			/* One rnd() per statement: operand order is
			 * unspecified and the run must be reproducible. */
			uint32_t hl = rnd() % 4 == 0 ? 8 * (rnd() % 4) : 0;
			uint32_t lim = rnd() % 2 ? 64 : 3000;
			uint32_t n = rnd() % lim;
			uint32_t total = 16 + hl + align8(n) + 8;
			bool fits = lx_bytes_to_write(m->dsize, m->read_index,
						      m->priv_write) > total;
			int rc = put_pkt(&p->w, m->n_put, hl, n);

			T_EQ(rc, fits ? 0 : -HVN_EAGAIN);
			if (!fits) {
				cover.eagain++;
				break;
			}
			m->hl[m->n_put % MQ] = hl;
			m->n[m->n_put % MQ] = n;
			m->n_put++;
			m->priv_write = (m->priv_write + total) % m->dsize;
		}
		got_sig = vmbus_ring_write_commit(&p->w);
		m->write_index = m->priv_write;
		m->n_pub = m->n_put;
		/* Linux only evaluates the rule after an actual write. */
		exp_sig = old != m->write_index &&
			  lx_signal_on_write(old, m->mask, m->read_index);
		T_EQ(got_sig, exp_sig);
		T_EQ(ctl_of(p)->write_index, m->write_index);
		cover.wsig[exp_sig]++;
	} else if (op < 80) {                         /* reader burst */
		uint32_t want = 1 + rnd() % 8, start = m->read_index;
		uint64_t avail = m->n_pub - m->n_read;
		uint32_t got = vmbus_ring_read_burst(&p->r, k, want, &err);

		T_EQ(err, 0);
		T_EQ(got, avail < want ? avail : want);
		for (i = 0; i < got; i++, m->n_read++) {
			uint32_t hl = m->hl[m->n_read % MQ];
			uint32_t n = m->n[m->n_read % MQ];

			check_pkt(&k[i], m->n_read, hl, n);
			m->priv_read = (m->priv_read + 16 + hl + align8(n) + 8) %
				       m->dsize;
		}
		if (rnd() % 5 == 0)
			return;                       /* release later */
		got_sig = vmbus_ring_read_commit(&p->r);
		m->read_index = m->priv_read;
		exp_sig = lx_iter_close(m->dsize, m->feat, m->pending,
					m->write_index, start, m->priv_read);
		T_EQ(got_sig, exp_sig);
		T_EQ(ctl_of(p)->read_index, m->read_index);
		cover.rsig[exp_sig]++;
	} else if (op < 88) {
		m->pending = rand_pending(m);
		vmbus_ring_set_pending_send(&p->w, m->pending);
	} else if (op < 96) {
		if (m->mask) {
			/* Linux's hv_end_read counts from the published read
			 * index; hvnet's from the private one (bytes not yet
			 * consumed). They agree once released, which is when
			 * Linux calls it; check the hvnet contract. */
			uint32_t exp = m->write_index >= m->priv_read ?
				m->write_index - m->priv_read :
				m->dsize - m->priv_read + m->write_index;

			T_EQ(vmbus_ring_unmask(&p->r), exp);
			cover.unmask_nonzero += exp != 0;
		} else {
			vmbus_ring_mask(&p->r);
		}
		m->mask = !m->mask;
		T_EQ(ctl_of(p)->interrupt_mask, m->mask);
	} else if (op < 98) {
		m->feat = rnd() % 3 != 0;
		ctl_of(p)->feature_bits = m->feat;
	} else {
		T_EQ(vmbus_ring_bytes_free(&p->w),
		     lx_bytes_to_write(m->dsize, m->read_index, m->priv_write));
	}
}

static void test_model_random(void)
{
	unsigned int sc, st;

	rng_state = 0x2545f4914f6cdd1dull;
	memset(&cover, 0, sizeof(cover));
	for (sc = 0; sc < 3000; sc++) {
		struct model m = { 0 };
		uint64_t ws = 0, rs = 0;
		struct pair p;

		pair_init(&p, 2 + rnd() % 4, 4096);
		m.dsize = p.bytes - PG;
		m.feat = 1;
		/* Start anywhere: indices need not begin at 0. */
		m.write_index = m.read_index = 8 * (rnd() % (m.dsize / 8));
		m.priv_write = m.priv_read = m.write_index;
		ctl_of(&p)->write_index = ctl_of(&p)->read_index = m.write_index;
		T_EQ(vmbus_ring_attach_writer(&p.w, p.mem, p.bytes), 0);
		T_EQ(vmbus_ring_attach_reader(&p.r, p.mem, p.bytes, p.scratch,
					      4096), 0);
		for (st = 0; st < 400; st++) {
			uint64_t w0 = cover.wsig[1], r0 = cover.rsig[1];

			model_step(&p, &m);
			ws += cover.wsig[1] - w0;
			rs += cover.rsig[1] - r0;
		}
		T_EQ(p.w.stats.signals, ws);
		T_EQ(p.r.stats.signals, rs);
		T_EQ(p.r.stats.proto_errors + p.w.stats.proto_errors, 0);
		pair_fini(&p);
	}
	/* The scenarios must reach every branch of both rules. */
	T_ASSERT(cover.wsig[0] > 10000 && cover.wsig[1] > 10000);
	T_ASSERT(cover.rsig[0] > 10000 && cover.rsig[1] > 1000);
	T_ASSERT(cover.eagain > 1000 && cover.unmask_nonzero > 1000);
}

/* ---- Two threads -------------------------------------------------------- */

static void on_alarm(int sig)
{
	static const char msg[] = "FAIL: SPSC test timed out (lost wake-up?)\n";

	(void)sig;
	(void)!write(2, msg, sizeof(msg) - 1);
	_exit(1);
}

/* Size of packet 'seq', mostly small, now and then large enough to wrap
 * through the scratch. */
static uint32_t spsc_len(uint64_t seq)
{
	uint64_t h = (seq + 1) * 0x9e3779b97f4a7c15ull;

	h ^= h >> 29;
	return (seq & 63) == 7 ? (uint32_t)(h % 2000) : (uint32_t)(h % 120);
}

struct spsc {
	struct pair p;
	uint64_t npkt;
	bool event;
	atomic_int wake_writer, wake_reader;
	/* Each written by one thread only; read after join. */
	uint64_t w_sigs, w_waits, r_sigs, r_waits, r_unmasks;
};

static void wait_flag(atomic_int *f)
{
	while (atomic_load_explicit(f, memory_order_relaxed) == 0 ||
	       atomic_exchange(f, 0) == 0)
		sched_yield();
}

static void *spsc_writer(void *arg)
{
	struct spsc *s = arg;
	uint64_t seq = 0;
	int rc = 0;

	while (seq < s->npkt) {
		unsigned int batch = 1 + (unsigned int)(seq % 13);

		while (batch-- && seq < s->npkt) {
			rc = put_pkt(&s->p.w, seq, 0, spsc_len(seq));
			if (rc != 0)
				break;
			seq++;
		}
		if (rc != 0 && rc != -HVN_EAGAIN)
			T_FAIL("put: %d", rc);
		if (vmbus_ring_write_commit(&s->p.w)) {
			s->w_sigs++;
			atomic_store(&s->wake_reader, 1);
		}
		if (rc == 0)
			continue;
		if (!s->event) {
			sched_yield();
			continue;
		}
		/* Ask for exactly the space this packet needs, then look
		 * again: the reader may have freed it before seeing the
		 * request. */
		vmbus_ring_set_pending_send(&s->p.w,
			vmbus_ring_pkt_footprint(0, spsc_len(seq)));
		while ((rc = put_pkt(&s->p.w, seq, 0, spsc_len(seq))) != 0) {
			T_EQ(rc, -HVN_EAGAIN);
			s->w_waits++;
			wait_flag(&s->wake_writer);
		}
		seq++;
		vmbus_ring_set_pending_send(&s->p.w, 0);
		rc = 0;
	}
	return NULL;
}

static void *spsc_reader(void *arg)
{
	struct spsc *s = arg;
	struct vmbus_pkt k[32];
	uint64_t seq = 0;
	unsigned int got, i;
	int err;

	while (seq < s->npkt) {
		got = vmbus_ring_read_burst(&s->p.r, k, 32, &err);
		T_EQ(err, 0);
		for (i = 0; i < got; i++, seq++)
			check_pkt(&k[i], seq, 0, spsc_len(seq));
		if (got != 0) {
			/* Released before any unmask, or the writer's
			 * empty test (old write == read_index) fails. */
			if (vmbus_ring_read_commit(&s->p.r)) {
				s->r_sigs++;
				atomic_store(&s->wake_writer, 1);
			}
			continue;
		}
		if (!s->event) {
			sched_yield();
			continue;
		}
		s->r_unmasks++;
		if (vmbus_ring_unmask(&s->p.r) == 0) {
			s->r_waits++;
			wait_flag(&s->wake_reader);
		}
		vmbus_ring_mask(&s->p.r);
	}
	return NULL;
}

static void run_spsc(struct spsc *s, uint32_t pages)
{
	pthread_t tw, tr;

	pair_init(&s->p, pages, 4096);
	/* Masked before the writer exists, so its first commit sees it. */
	vmbus_ring_mask(&s->p.r);
	signal(SIGALRM, on_alarm);
	alarm(20);
	T_EQ(pthread_create(&tr, NULL, spsc_reader, s), 0);
	T_EQ(pthread_create(&tw, NULL, spsc_writer, s), 0);
	T_EQ(pthread_join(tw, NULL), 0);
	T_EQ(pthread_join(tr, NULL), 0);
	alarm(0);
	T_EQ(s->p.w.stats.packets, s->npkt);
	T_EQ(s->p.r.stats.packets, s->npkt);
	T_EQ(s->p.r.stats.bytes, s->p.w.stats.bytes);
	T_EQ(s->p.r.stats.oversize + s->p.r.stats.proto_errors, 0);
	T_EQ(ctl_of(&s->p)->read_index, ctl_of(&s->p)->write_index);
	T_EQ(s->p.w.stats.signals, s->w_sigs);
	T_EQ(s->p.r.stats.signals, s->r_sigs);
}

static void test_spsc_polling(void)
{
	static struct spsc s;

	s.npkt = 1500000;
	run_spsc(&s, 8);
	/* Masked reader, no pending request: nobody may signal. */
	T_EQ(s.w_sigs, 0);
	T_EQ(s.r_sigs, 0);
	pair_fini(&s.p);
}

static void test_spsc_event(void)
{
	static struct spsc s;

	s.npkt = 300000;
	s.event = true;
	run_spsc(&s, 2);
	/* Both sides really slept on the other's signal. */
	T_ASSERT(s.w_waits > 0 && s.r_waits > 0);
	T_ASSERT(s.w_sigs > 0 && s.r_sigs > 0);
	/* The writer signals at most once per unmasked window. */
	T_ASSERT(s.w_sigs <= s.r_unmasks);
	pair_fini(&s.p);
}

int main(void)
{
	T_RUN(test_writer_signal);
	T_RUN(test_reader_signal);
	T_RUN(test_model_random);
	T_RUN(test_spsc_polling);
	T_RUN(test_spsc_event);
	return 0;
}
