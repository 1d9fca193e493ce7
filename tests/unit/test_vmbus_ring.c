/* Ring mechanics of vmbus/vmbus_ring.c: geometry, exact wire framing,
 * wrap-around and the scratch bounce, full/empty accounting and a hostile
 * peer. Signalling lives in test_vmbus_ring_signal.c.
 *
 * Every ring is allocated at exactly its size so that ASan catches any
 * access past the data area; the data area is pre-filled with a poison
 * byte so that stray or missing writes show up in the raw checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/hvn_errno.h"
#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_ring.h"
#include "tests/unit/ring_pair.h"


#define data_of(p) ((p)->mem + PG)

/* The footprint computed from the wire rules, not from the header's
 * inline: descriptor, header, payload padded to 8, trailer. */
static uint32_t fp(uint32_t hdr_len, uint32_t n)
{
	return 16u + hdr_len + align8(n) + 8u;
}

static uint8_t payload_buf[0x80000];

static int put_seq(struct vmbus_ring *w, uint64_t seq, uint32_t n)
{
	struct vmbus_sg sg = { payload_buf, n };
	struct vmbus_pkt_out o = {
		.type = VMBUS_PKT_DATA_INBAND, .trans_id = seq, .sg = &sg, .nsg = 1,
	};
	uint32_t i;

	T_ASSERT(n <= sizeof(payload_buf));
	for (i = 0; i < n; i++)
		payload_buf[i] = pat(seq, i);
	return vmbus_ring_put(w, &o);
}

static void check_seq(const struct vmbus_pkt *k, uint64_t seq, uint32_t n)
{
	const uint8_t *pl = vmbus_pkt_payload(k);
	uint32_t i;

	T_EQ(k->desc.type, VMBUS_PKT_DATA_INBAND);
	T_EQ(k->desc.trans_id, seq);
	T_EQ(k->off, 16);
	T_EQ(k->len, 16 + align8(n));
	T_EQ(vmbus_pkt_payload_len(k), align8(n));
	/* The descriptor the caller parses must be the validated one. */
	T_ASSERT(memcmp(k->pkt, &k->desc, 16) == 0);
	for (i = 0; i < n; i++)
		if (pl[i] != pat(seq, i))
			T_FAIL("seq %llu byte %u: %#x != %#x",
			       (unsigned long long)seq, i, pl[i], pat(seq, i));
	for (; i < align8(n); i++)
		T_EQ(pl[i], 0);
}

/* A read that must not fail. */
static unsigned int rd(struct pair *p, struct vmbus_pkt *k, unsigned int n)
{
	int err = 1;
	unsigned int got = vmbus_ring_read_burst(&p->r, k, n, &err);

	T_EQ(err, 0);
	return got;
}

/* Places both indices at 'idx' on an empty ring so that a directed test
 * can put a packet anywhere; re-attaching adopts the indices in the ring,
 * which is what a re-opened channel does. */
static void pair_seek(struct pair *p, uint32_t idx)
{
	T_EQ(vmbus_ring_bytes_to_read(&p->r), 0);
	ctl_of(p)->write_index = idx;
	ctl_of(p)->read_index = idx;
	T_EQ(vmbus_ring_attach_writer(&p->w, p->mem, p->bytes), 0);
	T_EQ(vmbus_ring_attach_reader(&p->r, p->mem, p->bytes, p->scratch,
				      p->scratch_size), 0);
	T_ASSERT(p->w.priv_index == idx && p->r.priv_index == idx);
}

/* ---- 1. geometry -------------------------------------------------------- */

static void test_geometry(void)
{
	static const uint32_t bad_sizes[] = { 0, 8, PG, 2 * PG - 8, 2 * PG + 8,
					      3 * PG - 1, 5 * PG + PG / 2 };
	uint8_t *m = aligned_alloc(PG, 8 * PG);
	struct vmbus_ring r;
	uint8_t s[64];
	uint32_t i;

	T_ASSERT(m != NULL);
	memset(m, 0xaa, 8 * PG);
	for (i = 0; i < HVN_ARRAY_SIZE(bad_sizes); i++) {
		T_EQ(vmbus_ring_format(m, bad_sizes[i]), -HVN_EINVAL);
		T_EQ(vmbus_ring_attach_writer(&r, m, bad_sizes[i]), -HVN_EINVAL);
		T_EQ(vmbus_ring_attach_reader(&r, m, bad_sizes[i], s, 64),
		     -HVN_EINVAL);
	}
	T_EQ(vmbus_ring_format(m + 8, 2 * PG), -HVN_EINVAL);
	T_EQ(vmbus_ring_format(m + PG / 2, 2 * PG), -HVN_EINVAL);
	T_EQ(vmbus_ring_format(NULL, 2 * PG), -HVN_EINVAL);
	T_EQ(vmbus_ring_attach_writer(&r, m + 64, 2 * PG), -HVN_EINVAL);
	T_EQ(vmbus_ring_attach_reader(&r, m + 64, 2 * PG, s, 64), -HVN_EINVAL);
	T_EQ(vmbus_ring_format(m, 3 * PG), 0);
	/* Raw offsets from Linux struct hv_ring_buffer, not the C struct;
	 * refused calls and the format must not touch anything else. */
	for (i = 0; i < 8 * PG; i++)
		if ((i < PG && m[i] != (i == 64)) || (i >= 3 * PG && m[i] != 0xaa))
			T_FAIL("byte %u: %#x", i, m[i]);

	T_EQ(vmbus_ring_attach_writer(&r, m, 3 * PG), 0);
	T_ASSERT(r.ctl == (void *)m);
	T_ASSERT(r.data == m + PG);
	T_EQ(r.size, 2 * PG);
	T_EQ(vmbus_ring_bytes_free(&r), 2 * PG);
	T_EQ(vmbus_ring_attach_reader(&r, m, 3 * PG, s, 64), 0);
	T_EQ(vmbus_ring_bytes_to_read(&r), 0);
	T_EQ(r.scratch_size, 64);
	T_EQ(vmbus_ring_attach_reader(&r, m, 3 * PG, NULL, 64), 0);
	T_EQ(r.scratch_size, 0);
	free(m);
}

/* ---- 2. framing --------------------------------------------------------- */

static void check_raw_packet(struct pair *p, uint32_t start, uint16_t type,
			     uint16_t flags, uint64_t tid, const uint8_t *hdr,
			     uint32_t hdr_len, uint64_t seq, uint32_t n)
{
	const uint8_t *d = data_of(p) + start;
	uint32_t i, pl = 16 + hdr_len, end = pl + align8(n);
	uint64_t u64;
	uint16_t u16;

	memcpy(&u16, d + 0, 2); T_EQ(u16, type);
	memcpy(&u16, d + 2, 2); T_EQ(u16, pl / 8);
	memcpy(&u16, d + 4, 2); T_EQ(u16, end / 8);
	memcpy(&u16, d + 6, 2); T_EQ(u16, flags);
	memcpy(&u64, d + 8, 8); T_ASSERT(u64 == tid);
	T_ASSERT(hdr_len == 0 || memcmp(d + 16, hdr, hdr_len) == 0);
	for (i = 0; i < n; i++)
		T_EQ(d[pl + i], pat(seq, i));
	for (i = pl + n; i < end; i++)
		T_EQ(d[i], 0);
	memcpy(&u64, d + end, 8);
	T_ASSERT(u64 == (uint64_t)start << 32);
}

/* One packet at 'start': raw bytes, index advance, nothing else touched,
 * and what the reader makes of it. */
static void frame_one(uint32_t n, uint32_t hl, uint32_t start)
{
	static const uint8_t hdr[24] = { 0x40, 0x41, 0x42, 0x43, 0x44, 0x45,
					 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b };
	uint64_t tid = 0x1122334455667788ull ^ n;
	uint8_t buf[1024];
	struct vmbus_sg sg[3] = { { buf, n / 3 }, { buf, 0 },
				  { buf + n / 3, n - n / 3 } };
	struct vmbus_pkt_out o = {
		.type = hl ? VMBUS_PKT_DATA_XFER_PAGES : VMBUS_PKT_DATA_INBAND,
		.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED, .trans_id = tid,
		.hdr = hdr, .hdr_len = hl, .sg = sg, .nsg = 3,
	};
	uint32_t a, end = start + fp(hl, n);
	struct vmbus_pkt k;
	struct pair p;

	T_ASSERT(n <= sizeof(buf) && hl <= sizeof(hdr));
	for (a = 0; a < n; a++)
		buf[a] = pat(n, a);
	pair_init(&p, 4, 4096);
	pair_seek(&p, start);
	T_EQ(vmbus_ring_pkt_footprint(hl, n), fp(hl, n));
	T_EQ(vmbus_ring_put(&p.w, &o), 0);
	T_EQ(ctl_of(&p)->write_index, start);   /* not before the commit */
	vmbus_ring_write_commit(&p.w);
	T_EQ(ctl_of(&p)->write_index, end);
	check_raw_packet(&p, start, o.type, o.flags, tid, hdr, hl, n, n);
	for (a = 0; a < p.bytes - PG; a++)
		if ((a < start || a >= end) && data_of(&p)[a] != POISON)
			T_FAIL("n %u: stray write at %u", n, a);

	T_EQ(rd(&p, &k, 1), 1);
	T_EQ(k.desc.type, o.type);
	T_EQ(k.desc.flags, o.flags);
	T_ASSERT(k.desc.trans_id == tid);
	T_EQ(k.off, 16 + hl);
	T_EQ(k.len, 16 + hl + align8(n));
	T_ASSERT(k.pkt == data_of(&p) + start);
	T_ASSERT(vmbus_pkt_payload(&k) == k.pkt + 16 + hl);
	vmbus_ring_read_commit(&p.r);
	T_EQ(ctl_of(&p)->read_index, end);
	pair_fini(&p);
}

static void test_framing(void)
{
	static const uint32_t sizes[] = { 0, 1, 7, 8, 9, 15, 16, 17, 100, 1001 };
	uint32_t i;

	/* A non-zero start makes the trailer checkable. */
	for (i = 0; i < HVN_ARRAY_SIZE(sizes); i++) {
		frame_one(sizes[i], 0, 2 * PG - 320 * (i + 1));
		frame_one(sizes[i], 24, 2 * PG - 320 * (i + 1));
	}
}

/* Several puts in one batch: each trailer carries its own packet's start
 * (what Linux writes, one packet per publish), and one commit publishes
 * all of them. */
static void test_framing_batch(void)
{
	uint32_t i, idx = 0;
	struct pair p;

	pair_init(&p, 2, 0);
	for (i = 0; i < 3; i++)
		T_EQ(put_seq(&p.w, 100 + i, 5 + 40 * i), 0);
	T_EQ(ctl_of(&p)->write_index, 0);
	vmbus_ring_write_commit(&p.w);
	for (i = 0; i < 3; idx += fp(0, 5 + 40 * i), i++)
		check_raw_packet(&p, idx, VMBUS_PKT_DATA_INBAND, 0, 100 + i,
				 NULL, 0, 100 + i, 5 + 40 * i);
	T_EQ(ctl_of(&p)->write_index, idx);
	T_EQ(p.w.stats.packets, 3);
	T_EQ(p.w.stats.bytes, idx);
	pair_fini(&p);
}

static void test_put_invalid(void)
{
	static uint8_t big[0x80000];
	uint8_t hdr[16] = { 0 };
	struct vmbus_sg sg = { big, 8 * 0xffffu + 1 };
	/* Payload within len8, but descriptor plus payload beyond it. */
	struct vmbus_sg sg2[2] = { { big, 0x40000 }, { big, 0x40000 - 16 } };
	struct vmbus_pkt_out o = { .type = VMBUS_PKT_DATA_INBAND, .hdr = hdr };
	struct pair p;

	pair_init(&p, 2, 0);
	o.hdr_len = 4;
	T_EQ(vmbus_ring_put(&p.w, &o), -HVN_EINVAL);
	o.hdr_len = 12;
	T_EQ(vmbus_ring_put(&p.w, &o), -HVN_EINVAL);
	/* Packet length must fit len8 (16 bits of 8-byte units). */
	o = (struct vmbus_pkt_out){ .type = 6, .sg = &sg, .nsg = 1 };
	T_EQ(vmbus_ring_put(&p.w, &o), -HVN_EINVAL);
	o = (struct vmbus_pkt_out){ .type = 6, .sg = sg2, .nsg = 2 };
	T_EQ(vmbus_ring_put(&p.w, &o), -HVN_EINVAL);
	T_ASSERT(!vmbus_ring_write_commit(&p.w) && p.w.priv_index == 0);
	T_EQ(ctl_of(&p)->write_index, 0);
	/* An invalid request is not a broken ring. */
	T_EQ(put_seq(&p.w, 1, 1), 0);
	pair_fini(&p);
}

/* ---- 3. wrap-around ----------------------------------------------------- */


static void test_wrap_random(void)
{
	enum { NPKT = 30000, MAXN = 3000 };
	static uint32_t lens[NPKT];
	uint32_t wseq = 0, rseq = 0, exp_idx = 0, size, i;
	uint32_t n_wrap = 0, n_desc_wrap = 0, n_inplace = 0, n_trl_wrap = 0;
	struct vmbus_pkt k[8];
	struct pair p;

	rng_state = 0x9e3779b97f4a7c15ull;
	pair_init(&p, 4, 16 + MAXN + 8);
	size = p.bytes - PG;
	for (i = 0; i < NPKT; i++)
		lens[i] = 1 + rnd() % MAXN;
	while (rseq < NPKT) {
		uint32_t batch = 1 + rnd() % 5, got;

		while (batch-- && wseq < NPKT) {
			int rc = put_seq(&p.w, wseq, lens[wseq]);

			if (rc == -HVN_EAGAIN)
				break;
			T_EQ(rc, 0);
			wseq++;
		}
		vmbus_ring_write_commit(&p.w);
		got = rd(&p, k, 1 + rnd() % 8);
		for (i = 0; i < got; i++, rseq++) {
			uint32_t len = 16 + align8(lens[rseq]);

			T_ASSERT(rseq < wseq);
			check_seq(&k[i], rseq, lens[rseq]);
			if (exp_idx + len > size) {
				n_wrap++;
				n_desc_wrap += exp_idx + 16 > size;
				T_ASSERT(k[i].pkt == p.scratch);
			} else {
				n_inplace++;
				n_trl_wrap += exp_idx + len + 8 > size;
				T_ASSERT(k[i].pkt == data_of(&p) + exp_idx);
			}
			exp_idx = (exp_idx + len + 8) % size;
		}
		/* Sometimes hold the packets to let the writer hit full. */
		if (got == 0 || rnd() % 4 != 0) {
			vmbus_ring_read_commit(&p.r);
			T_EQ(ctl_of(&p)->read_index, exp_idx);
		}
		T_ASSERT(ctl_of(&p)->write_index != ctl_of(&p)->read_index ||
			 rseq == wseq);
	}
	vmbus_ring_read_commit(&p.r);
	T_EQ(ctl_of(&p)->read_index, ctl_of(&p)->write_index);
	T_EQ(p.r.stats.packets, NPKT);
	T_EQ(p.r.stats.bytes, p.w.stats.bytes);
	T_EQ(p.r.stats.oversize, 0);
	T_EQ(p.r.stats.proto_errors, 0);
	T_ASSERT(p.w.stats.full > 0);
	/* The sizes must really exercise both paths and the edge cases. */
	T_ASSERT(n_wrap > 500 && n_inplace > 5000);
	T_ASSERT(n_desc_wrap > 0 && n_trl_wrap > 0);
	pair_fini(&p);
}

/* Puts, publishes, reads and releases one packet; returns where the
 * reader found it. */
static const uint8_t *xfer1(struct pair *p, uint64_t seq, uint32_t n)
{
	struct vmbus_pkt k[2];

	T_EQ(put_seq(&p->w, seq, n), 0);
	vmbus_ring_write_commit(&p->w);
	T_EQ(rd(p, k, 2), 1);
	check_seq(&k[0], seq, n);
	vmbus_ring_read_commit(&p->r);
	T_EQ(ctl_of(p)->read_index, ctl_of(p)->write_index);
	return k[0].pkt;
}

/* Directed edges: descriptor split by the end, trailer split by the end,
 * a packet ending exactly at the end (index must come back as 0, not
 * size), and a wrapped packet larger than the scratch. */
static void test_wrap_edges(void)
{
	struct vmbus_pkt k[4];
	uint32_t size;
	struct pair p;

	pair_init(&p, 3, 128);
	size = p.bytes - PG;
	pair_seek(&p, size - 8);
	T_ASSERT(xfer1(&p, 1, 50) == p.scratch);
	T_EQ(ctl_of(&p)->write_index, fp(0, 50) - 8);
	pair_seek(&p, size - 72);
	T_ASSERT(xfer1(&p, 2, 56) == data_of(&p) + size - 72);
	T_EQ(ctl_of(&p)->write_index, 8);
	pair_seek(&p, size - 80);
	T_ASSERT(xfer1(&p, 3, 56) == data_of(&p) + size - 80);
	T_EQ(ctl_of(&p)->write_index, 0);

	/* Wrapped and larger than the 128-byte scratch: dropped, counted,
	 * its space released, and the packet after it read normally. */
	pair_seek(&p, size - 256);
	T_EQ(put_seq(&p.w, 4, 1000), 0);
	T_EQ(put_seq(&p.w, 5, 30), 0);
	T_EQ(put_seq(&p.w, 6, 300), 0);      /* contiguous, > scratch: fine */
	vmbus_ring_write_commit(&p.w);
	T_EQ(rd(&p, k, 4), 2);
	T_EQ(p.r.stats.oversize, 1);
	check_seq(&k[0], 5, 30);
	check_seq(&k[1], 6, 300);
	T_ASSERT(k[1].pkt != p.scratch);
	vmbus_ring_read_commit(&p.r);
	T_EQ(ctl_of(&p)->read_index, ctl_of(&p)->write_index);
	T_EQ(vmbus_ring_bytes_free(&p.w), size);
	pair_fini(&p);

	/* Without a scratch buffer every wrapped packet is dropped. */
	pair_init(&p, 2, 0);
	pair_seek(&p, PG - 8);
	T_EQ(put_seq(&p.w, 7, 8), 0);
	T_ASSERT(xfer1(&p, 8, 8) == data_of(&p) + 24);
	T_EQ(p.r.stats.oversize, 1);
	pair_fini(&p);
}

/* ---- 4. full and empty -------------------------------------------------- */

static void test_full_empty(void)
{
	struct vmbus_pkt_out o[20];
	struct vmbus_sg sg = { payload_buf, 500 };
	struct vmbus_pkt k[32];
	uint32_t size, i, fit;
	bool sig;
	struct pair p;

	pair_init(&p, 2, PG);
	size = p.bytes - PG;
	T_EQ(rd(&p, k, 4), 0);
	T_ASSERT(!vmbus_ring_read_commit(&p.r));
	T_EQ(vmbus_ring_bytes_to_read(&p.r), 0);

	/* A packet taking the whole ring would make write == read: it can
	 * never fit, so it is refused as such rather than "try again". */
	T_EQ(put_seq(&p.w, 1, size - 24), -HVN_EMSGSIZE);
	T_EQ(p.w.stats.full, 0);
	T_EQ(put_seq(&p.w, 1, size - 32), 0);
	T_EQ(vmbus_ring_bytes_free(&p.w), 8);
	T_EQ(put_seq(&p.w, 2, 0), -HVN_EAGAIN);
	T_EQ(p.w.stats.full, 1);
	vmbus_ring_write_commit(&p.w);
	T_EQ(ctl_of(&p)->write_index, size - 8);
	T_ASSERT(ctl_of(&p)->write_index != ctl_of(&p)->read_index);
	T_EQ(vmbus_ring_bytes_to_read(&p.r), size - 8);
	T_EQ(rd(&p, k, 4), 1);
	check_seq(&k[0], 1, size - 32);
	/* Read but not released: the writer still sees a full ring. */
	T_EQ(put_seq(&p.w, 2, 0), -HVN_EAGAIN);
	vmbus_ring_read_commit(&p.r);
	T_EQ(vmbus_ring_bytes_free(&p.w), size);

	/* Leave exactly 200 free: 200 is refused, 192 fits. */
	T_EQ(put_seq(&p.w, 3, size - 200 - 24), 0);
	T_EQ(put_seq(&p.w, 4, 200 - 24), -HVN_EAGAIN);
	T_EQ(put_seq(&p.w, 4, 192 - 24), 0);
	vmbus_ring_write_commit(&p.w);
	T_EQ(rd(&p, k, 4), 2);
	check_seq(&k[0], 3, size - 224);
	check_seq(&k[1], 4, 168);
	vmbus_ring_read_commit(&p.r);

	/* Burst: as many as fit with free > footprint each time. */
	for (i = 0; i < 500; i++)
		payload_buf[i] = pat(9, i);
	for (i = 0; i < 20; i++)
		o[i] = (struct vmbus_pkt_out){ .type = VMBUS_PKT_DATA_INBAND,
			.trans_id = 9, .sg = &sg, .nsg = 1 };
	for (fit = 0; (fit + 1) * fp(0, 500) < size; fit++)
		;
	T_EQ(vmbus_ring_write_burst(&p.w, o, 20, &sig), fit);
	T_ASSERT(sig);
	T_EQ(rd(&p, k, 32), fit);
	for (i = 0; i < fit; i++)
		check_seq(&k[i], 9, 500);
	vmbus_ring_read_commit(&p.r);
	T_EQ(rd(&p, k, 32), 0);
	pair_fini(&p);
}

/* ---- 6. hostile peer ---------------------------------------------------- */

/* The read fails, the ring stays broken even once the peer puts sane
 * values back, and the error is counted once. */
static void expect_eproto(struct pair *p, unsigned int good)
{
	struct vmbus_pkt k[4];
	int err = 0;

	T_EQ(vmbus_ring_read_burst(&p->r, k, 4, &err), good);
	T_EQ(err, -HVN_EPROTO);
	if (good != 0)
		check_seq(&k[0], 1, 10);    /* returned before the fault */
	T_ASSERT(p->r.broken);
	T_EQ(p->r.stats.proto_errors, 1);
	ctl_of(p)->write_index = 0;
	T_EQ(vmbus_ring_read_burst(&p->r, k, 2, &err), 0);
	T_EQ(err, -HVN_EPROTO);
	T_EQ(vmbus_ring_bytes_to_read(&p->r), 0);
	T_ASSERT(!vmbus_ring_read_commit(&p->r));
	T_EQ(vmbus_ring_unmask(&p->r), 0);
	T_EQ(p->r.stats.proto_errors, 1);
}

static void craft_desc(struct pair *p, uint32_t at, uint16_t off8,
		       uint16_t len8)
{
	struct vmbus_pkt_desc d = { VMBUS_PKT_DATA_INBAND, off8, len8, 0, 42 };

	memcpy(data_of(p) + at, &d, sizeof(d));
}

static void test_hostile_reader(void)
{
	static const uint32_t cases[][3] = {
		/* off8, len8, published write_index (ring of PG bytes) */
		{ 2, 3, 3 }, { 2, 3, 12 }, { 2, 3, PG - 4 },  /* unaligned */
		{ 2, 3, PG }, { 2, 3, PG + 8 }, { 2, 3, 0xfffffff8u },
		{ 2, 10, 48 },      /* len8 past the published bytes */
		{ 2, 3, 24 },       /* no room for the trailer */
		{ 1, 3, 32 }, { 0, 3, 32 },   /* offset8 inside the descriptor */
		{ 4, 3, 32 },       /* offset8 past len8 */
		{ 0, 0, 32 }, { 2, 0xffff, 64 },
		{ 2, 3, 16 },       /* fewer bytes than the smallest packet */
	};
	struct vmbus_pkt k[4];
	struct pair p;
	uint32_t i;

	for (i = 0; i < HVN_ARRAY_SIZE(cases); i++) {
		pair_init(&p, 2, 64);
		craft_desc(&p, 0, (uint16_t)cases[i][0], (uint16_t)cases[i][1]);
		ctl_of(&p)->write_index = cases[i][2];
		expect_eproto(&p, 0);
		pair_fini(&p);
	}

	/* The same crafting with sane values is accepted, so the cases
	 * above fail for the field under test. */
	pair_init(&p, 2, 64);
	craft_desc(&p, 0, 2, 3);
	craft_desc(&p, 32, 3, 3);
	ctl_of(&p)->write_index = 64;
	T_EQ(rd(&p, k, 4), 2);
	T_EQ(k[1].off, 24);
	T_EQ(vmbus_pkt_payload_len(&k[1]), 0);
	/* The private copy survives the peer rewriting the ring. */
	craft_desc(&p, 0, 1, 0xffff);
	T_EQ(k[0].desc.offset8, 2);
	T_EQ(k[0].len, 24);
	pair_fini(&p);

	/* A good packet then a bad one. */
	pair_init(&p, 2, 64);
	T_EQ(put_seq(&p.w, 1, 10), 0);
	vmbus_ring_write_commit(&p.w);
	craft_desc(&p, fp(0, 10), 2, 200);
	ctl_of(&p)->write_index = fp(0, 10) + 32;
	expect_eproto(&p, 1);
	pair_fini(&p);

	/* A whole packet, then an index that ends 16 bytes into the next:
	 * corruption, not "poll again" (it once spun forever). */
	pair_init(&p, 2, 64);
	T_EQ(put_seq(&p.w, 1, 10), 0);
	vmbus_ring_write_commit(&p.w);
	ctl_of(&p)->write_index = fp(0, 10) + 16;
	expect_eproto(&p, 1);
	pair_fini(&p);

	/* A write index that moves back into what was read but not yet
	 * released: one burst could otherwise lap the ring. */
	pair_init(&p, 2, 64);
	/* Laps of history, so stale but well-formed packets lie ahead
	 * (64-byte footprints tile the ring, so old laps line up). */
	for (i = 0; i < 300; i++) {
		T_EQ(put_seq(&p.w, i, 40), 0);
		vmbus_ring_write_commit(&p.w);
		T_EQ(rd(&p, k, 1), 1);
		vmbus_ring_read_commit(&p.r);
	}
	T_EQ(put_seq(&p.w, 1, 40), 0);
	T_EQ(put_seq(&p.w, 2, 40), 0);
	vmbus_ring_write_commit(&p.w);
	T_EQ(rd(&p, k, 4), 2);
	ctl_of(&p)->write_index = (p.r.priv_index + p.r.size - fp(0, 40)) % p.r.size;
	{
		int err = 0;

		T_EQ(vmbus_ring_read_burst(&p.r, k, 4, &err), 0);
		T_EQ(err, -HVN_EPROTO);
		T_ASSERT(p.r.broken);
	}
	pair_fini(&p);

	/* A wrapped descriptor claiming more than was published. */
	pair_init(&p, 2, 4096);
	pair_seek(&p, PG - 8);
	craft_desc(&p, 0, 2, 0x100);                 /* then move its head */
	memcpy(data_of(&p) + PG - 8, data_of(&p), 8);
	memcpy(data_of(&p), data_of(&p) + 8, 8);
	ctl_of(&p)->write_index = 64;
	expect_eproto(&p, 0);
	pair_fini(&p);
}

static void test_hostile_writer_side(void)
{
	static const uint32_t bad_r[] = { 9, 4, 2 * PG, 2 * PG + 8, 0xfffffff0u };
	struct vmbus_pkt k[2];
	struct vmbus_pkt_out o = { .type = VMBUS_PKT_DATA_INBAND };
	uint32_t i, pub;
	struct pair p;
	bool sig;
	int err;

	for (i = 0; i < HVN_ARRAY_SIZE(bad_r); i++) {
		pair_init(&p, 3, 0);
		/* Fill until the cached read index no longer suffices, so
		 * the next put has to load the corrupt one. */
		while (put_seq(&p.w, 1, 1000) == 0)
			;
		vmbus_ring_write_commit(&p.w);
		pub = ctl_of(&p)->write_index;
		ctl_of(&p)->read_index = bad_r[i];
		if (i == 0)     /* bytes_free loads and checks it too */
			T_EQ(vmbus_ring_bytes_free(&p.w), 0);
		else
			T_EQ(put_seq(&p.w, 2, 1000), -HVN_EPROTO);
		T_ASSERT(p.w.broken);
		ctl_of(&p)->read_index = 0;
		T_EQ(put_seq(&p.w, 2, 0), -HVN_EPROTO);
		T_EQ(vmbus_ring_write_burst(&p.w, &o, 1, &sig), 0);
		T_ASSERT(!sig && !vmbus_ring_write_commit(&p.w));
		T_EQ(vmbus_ring_bytes_free(&p.w), 0);
		T_EQ(ctl_of(&p)->write_index, pub);
		T_EQ(p.w.stats.proto_errors, 1);
		pair_fini(&p);
	}

	/* Attach refuses a ring whose indices are already bad. */
	for (i = 0; i < 4; i++) {
		struct vmbus_ring w, r;
		uint8_t s[64];

		pair_init(&p, 3, 0);
		*(i & 1 ? &ctl_of(&p)->read_index : &ctl_of(&p)->write_index) =
			i & 2 ? 2 * PG : 20;
		T_EQ(vmbus_ring_attach_writer(&w, p.mem, p.bytes), -HVN_EPROTO);
		T_EQ(vmbus_ring_attach_reader(&r, p.mem, p.bytes, s, 64),
		     -HVN_EPROTO);
		T_ASSERT(w.stats.proto_errors == 1 && r.stats.proto_errors == 1);
		ctl_of(&p)->read_index = ctl_of(&p)->write_index = 0;
		T_EQ(put_seq(&w, 1, 1), -HVN_EPROTO);
		T_EQ(vmbus_ring_read_burst(&r, k, 2, &err), 0);
		T_EQ(err, -HVN_EPROTO);
		pair_fini(&p);
	}
}

int main(void)
{
	/* A reader that fails to advance loops forever: SIGALRM kills the
	 * test, which then fails instead of hanging. */
	alarm(20);
	T_RUN(test_geometry);
	T_RUN(test_framing);
	T_RUN(test_framing_batch);
	T_RUN(test_put_invalid);
	T_RUN(test_wrap_random);
	T_RUN(test_wrap_edges);
	T_RUN(test_full_empty);
	T_RUN(test_hostile_reader);
	T_RUN(test_hostile_writer_side);
	return 0;
}
