/* libFuzzer target: one VMBus ring whose shared memory a hostile partition
 * wrote. The input lays out the control page and the data area, then is a
 * script of operations: host reads and commits, host writes and commits,
 * and "guest" actions that scribble on the ring between them, as a
 * concurrent writer or reader in another partition could.
 *
 * Both host ends are attached to the same memory, so with no hostile step
 * the ring is a loopback: then every packet read must be exactly the packet
 * written (a model of the ring checks framing and wrap handling), and no
 * error may occur. With hostile steps only safety is checked: every view
 * the reader returns lies in the data area or the scratch buffer, lengths
 * are sane, the writer never overwrites unread bytes it knows of, and a
 * broken ring stays broken. Every returned byte is touched so ASan sees an
 * out-of-bounds view.
 *
 * Input: [cfg: bits 0-1 data pages - 1 (1..3), bits 2-3 scratch size
 * (none, 64, 1024, 16 KiB), bit 4 attach a writer too, bit 5 format]
 * [u32 write_index][u32 read_index][u32 interrupt_mask][u32 pending_send_sz]
 * [u32 feature_bits][u16 n][n bytes laid from the read index], then ops,
 * op byte % 13: 0-1 read_burst [n], 2 read_commit, 3 guest writes data
 * [u16 off][u8 len][bytes], 4 guest publishes a packet [plen8][hdr8][seed],
 * 5 guest sets a control field [which][u32], 6 mask/unmask/bytes_to_read
 * [how], 7 put [flags][hdr seed][payload seed][u16 len], 8 write_commit,
 * 9 bytes_free + set_pending_send [u16], 10 write burst [n] + puts,
 * 11 re-attach the reader, 12 read_unread [k]. Missing bytes read as 0.
 * tests/fuzz/gen_corpus.py encodes the seeds the same way. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/hvn_errno.h"
#include "vmbus/vmbus_ring.h"

#include "tests/fuzz/fuzz_check.h"

#define MAX_BURST 8u
#define MAX_EXPECT 1024u
/* Writer payloads are slices of this; large enough that a length check
 * the ring forgot shows up as an ASan overflow, not a silent read. */
#define PATTERN_SIZE ((1u << 20) + 512u)

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t get_u8(struct in *in)
{
	uint8_t v = 0;

	if (in->n > 0) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint16_t get_u16(struct in *in)
{
	uint16_t lo = get_u8(in);

	return (uint16_t)(lo | (uint16_t)get_u8(in) << 8);
}

static uint32_t get_u32(struct in *in)
{
	uint32_t lo = get_u16(in);

	return lo | (uint32_t)get_u16(in) << 16;
}

/* A packet the loopback model expects the reader to return next. */
struct expect {
	uint32_t start;      /* ring offset of its descriptor */
	uint32_t len;        /* descriptor + header + padded payload */
	uint16_t type, flags;
	uint64_t trans_id;
	uint32_t hdr_len, hdr_seed;
	uint32_t payload, payload_seed;
};

struct ctx {
	uint8_t *mem;
	uint32_t bytes;
	uint8_t *scratch;
	uint32_t scratch_size;
	struct vmbus_ring rd, wr;
	bool have_writer;
	bool rd_broken, wr_broken;
	/* No hostile step so far: the loopback model holds. */
	bool clean;
	struct expect exp[MAX_EXPECT];
	uint32_t exp_head, exp_tail;      /* committed queue */
	uint32_t exp_uncommitted;         /* put but not yet committed */
	/* Packets read but not committed; must stay readable. */
	struct vmbus_pkt held[MAX_BURST * 4];
	uint32_t held_exp[MAX_BURST * 4]; /* model position of each (clean) */
	unsigned int nheld;
};

static uint8_t pattern[PATTERN_SIZE];
static volatile uint8_t sink;

static struct vmbus_ring_ctl *ctl(struct ctx *c)
{
	return (struct vmbus_ring_ctl *)c->mem;
}

static uint8_t *ring_data(struct ctx *c)
{
	return c->mem + HVN_PAGE_SIZE;
}

static uint32_t data_size(const struct ctx *c)
{
	return c->bytes - HVN_PAGE_SIZE;
}

static uint32_t used(uint32_t size, uint32_t w, uint32_t r)
{
	return w >= r ? w - r : size - r + w;
}

static void touch(const uint8_t *p, uint32_t len)
{
	uint8_t acc = 0;
	uint32_t i;

	for (i = 0; i < len; i++)
		acc ^= p[i];
	sink = acc;
}

/* Writes into the data area as the partition would, wrapping at its end. */
static void guest_write(struct ctx *c, uint32_t off, const void *src, uint32_t len)
{
	uint32_t size = data_size(c), i;

	for (i = 0; i < len; i++)
		ring_data(c)[(off + i) % size] = ((const uint8_t *)src)[i];
}

static void guest_read(struct ctx *c, uint32_t off, void *dst, uint32_t len)
{
	uint32_t size = data_size(c), i;

	for (i = 0; i < len; i++)
		((uint8_t *)dst)[i] = ring_data(c)[(off + i) % size];
}

static void check_broken_sticky(struct ctx *c)
{
	if (c->rd_broken)
		CHECK(c->rd.broken);
	c->rd_broken = c->rd.broken;
	if (c->have_writer) {
		if (c->wr_broken)
			CHECK(c->wr.broken);
		c->wr_broken = c->wr.broken;
	}
}

static bool in_range(const uint8_t *p, uint32_t len, const uint8_t *base, uint32_t size)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)base;

	return a >= b && a - b <= size && len <= size - (uint32_t)(a - b);
}

static void check_expected(struct ctx *c, const struct vmbus_pkt *p)
{
	const struct expect *e;
	uint32_t i;


	/* Skip what the reader must have dropped: wrapped and larger than
	 * the scratch buffer. */
	for (;;) {
		CHECK(c->exp_head != c->exp_tail);
		e = &c->exp[c->exp_head % MAX_EXPECT];
		if (e->start + e->len > data_size(c) && e->len > c->scratch_size) {
			c->exp_head++;
			continue;
		}
		break;
	}
	if (c->nheld < HVN_ARRAY_SIZE(c->held_exp))
		c->held_exp[c->nheld] = c->exp_head;
	c->exp_head++;
	CHECK(p->index == e->start);
	CHECK(p->desc.type == e->type);
	CHECK(p->desc.flags == e->flags);
	CHECK(p->desc.trans_id == e->trans_id);
	CHECK(p->len == e->len);
	CHECK(p->off == 16 + e->hdr_len);
	for (i = 0; i < e->hdr_len; i++)
		CHECK(p->pkt[16 + i] == pattern[e->hdr_seed + i]);
	for (i = 0; i < e->payload; i++)
		CHECK(vmbus_pkt_payload(p)[i] == pattern[e->payload_seed + i]);
	for (i = e->payload; i < vmbus_pkt_payload_len(p); i++)
		CHECK(vmbus_pkt_payload(p)[i] == 0);
}

static void check_pkt(struct ctx *c, const struct vmbus_pkt *p)
{
	bool in_data, in_scratch;

	CHECK(p->len >= 16 && (p->len & 7u) == 0);
	CHECK(p->off >= 16 && p->off <= p->len);
	CHECK(p->len == (uint32_t)p->desc.len8 * 8u);
	CHECK(p->off == (uint32_t)p->desc.offset8 * 8u);
	in_data = in_range(p->pkt, p->len, ring_data(c), data_size(c));
	in_scratch = c->scratch != NULL && p->pkt == c->scratch &&
		     p->len <= c->scratch_size;
	CHECK(in_data || in_scratch);
	touch(p->pkt, p->len);
	touch(vmbus_pkt_payload(p), vmbus_pkt_payload_len(p));
}

static void op_read(struct ctx *c, struct in *in)
{
	struct vmbus_pkt pkts[MAX_BURST];
	unsigned int n = 1u + get_u8(in) % MAX_BURST, got, i, last_wrapped = MAX_BURST;
	uint32_t published = ctl(c)->read_index, size = data_size(c);
	uint32_t pc0 = c->rd.peer_cache, pc1;
	int err = 1;

	got = vmbus_ring_read_burst(&c->rd, pkts, n, &err);
	pc1 = c->rd.peer_cache;
	CHECK(got <= n);
	CHECK(err == 0 || err == -HVN_EPROTO);
	if (err != 0)
		CHECK(c->rd.broken);
	if (c->rd_broken)
		CHECK(got == 0 && err == -HVN_EPROTO);
	/* Reading publishes nothing. */
	CHECK(ctl(c)->read_index == published);
	for (i = 0; i < got; i++) {
		check_pkt(c, &pkts[i]);
		CHECK(pkts[i].index < size && (pkts[i].index & 7u) == 0);
		/* The packet, trailer included, ends at or before the write
		 * index the reader had loaded: the cached one or the one it
		 * reloaded in this burst (nothing moves during a burst). Not
		 * checked: that a write index moved backwards is refused;
		 * the ring accepts it (as Linux does) and reads on. */
		CHECK(used(size, pc0, pkts[i].index) >= pkts[i].len + 8u ||
		      used(size, pc1, pkts[i].index) >= pkts[i].len + 8u);
		if (pkts[i].pkt == c->scratch)
			last_wrapped = i;
		if (c->clean)
			check_expected(c, &pkts[i]);
		if (c->nheld < HVN_ARRAY_SIZE(c->held))
			c->held[c->nheld++] = pkts[i];
	}
	/* The scratch holds the last wrapped packet with the descriptor
	 * that was checked. Only the last: a write index moved back behind
	 * the reader lets one burst read more than a ring's worth, and wrap
	 * twice (the ring accepts that, as Linux does). */
	if (last_wrapped < MAX_BURST)
		CHECK(memcmp(c->scratch, &pkts[last_wrapped].desc, 16) == 0);
	if (c->clean)
		CHECK(err == 0);
}

static void op_read_commit(struct ctx *c)
{
	uint32_t before = ctl(c)->read_index;
	bool pending = c->rd.priv_index != c->rd.start_index;
	unsigned int i;
	bool sig;

	/* Views stay valid until the commit: touch them once more. */
	for (i = 0; i < c->nheld; i++)
		touch(c->held[i].pkt, c->held[i].len);
	c->nheld = 0;
	sig = vmbus_ring_read_commit(&c->rd);
	if (c->rd_broken) {
		CHECK(!sig);
		CHECK(ctl(c)->read_index == before);
		return;
	}
	if (!c->rd.broken) {
		CHECK(c->rd.priv_index < data_size(c) && (c->rd.priv_index & 7u) == 0);
		CHECK(c->rd.start_index == c->rd.priv_index);
		CHECK(ctl(c)->read_index == (pending ? c->rd.priv_index : before));
	}
	if (sig) {
		CHECK(ctl(c)->feature_bits & VMBUS_RING_FEAT_PENDING_SEND_SZ);
		CHECK(ctl(c)->pending_send_sz != 0);
	}
}

/* Give back a packet read in this batch (a device whose reply ring is
 * full does): it and those after it must be returned again. */
static void op_unread(struct ctx *c, struct in *in)
{
	uint8_t k = get_u8(in);
	const struct vmbus_pkt *p;

	if (c->nheld == 0)
		return;
	k %= c->nheld;
	p = &c->held[k];
	CHECK(p->index < data_size(c) && (p->index & 7u) == 0);
	vmbus_ring_read_unread(&c->rd, p);
	if (c->clean)
		c->exp_head = c->held_exp[k];
	c->nheld = k;
}

static void op_mutate(struct ctx *c, struct in *in)
{
	uint32_t off = get_u16(in);
	uint32_t len = get_u8(in);

	len = (uint32_t)HVN_MIN((size_t)len, in->n);

	/* Straight from the input; bytes past its end are not written. */
	guest_write(c, off, in->p, len);
	in->p += len;
	in->n -= len;
	if (len != 0)
		c->clean = false;
}

/* A well-framed packet published at the current write index by a guest
 * writer that ignores free space, so the fuzzer reaches wrapped packets
 * without having to spell out descriptors. */
static void op_guest_packet(struct ctx *c, struct in *in)
{
	struct vmbus_pkt_desc d;
	uint32_t w = (ctl(c)->write_index % data_size(c)) & ~7u;
	uint32_t plen8 = get_u8(in), hdr8 = get_u8(in) % 4u, len, i;
	uint64_t trailer = (uint64_t)w << 32;
	uint8_t seed = get_u8(in);

	len = 16u + hdr8 * 8u + plen8 * 8u;
	memset(&d, 0, sizeof(d));
	d.type = VMBUS_PKT_DATA_INBAND;
	d.offset8 = (uint16_t)(2u + hdr8);
	d.len8 = (uint16_t)(len / 8u);
	d.trans_id = seed;
	guest_write(c, w, &d, sizeof(d));
	for (i = 16; i < len; i++)
		guest_write(c, w + i, &pattern[seed + i], 1);
	guest_write(c, w + len, &trailer, sizeof(trailer));
	ctl(c)->write_index = (w + len + 8u) % data_size(c);
	c->clean = false;
}

static void op_set_ctl(struct ctx *c, struct in *in)
{
	uint8_t which = get_u8(in);
	uint32_t v = get_u32(in);

	switch (which % 6u) {
	case 0:
		ctl(c)->write_index = v;
		c->clean = false;
		break;
	case 1:
		ctl(c)->read_index = v;
		c->clean = false;
		break;
	case 2:
		ctl(c)->interrupt_mask = v;
		break;
	case 3:
		ctl(c)->pending_send_sz = v;
		break;
	case 4:
		ctl(c)->feature_bits = v;
		break;
	default:
		/* A plausible hostile index: aligned and in range, so the
		 * deeper checks (not just index_ok) get exercised. */
		if (which & 0x80)
			ctl(c)->read_index = (v % data_size(c)) & ~7u;
		else
			ctl(c)->write_index = (v % data_size(c)) & ~7u;
		c->clean = false;
		break;
	}
}

static void op_mask(struct ctx *c, struct in *in)
{
	uint8_t how = get_u8(in);
	uint32_t n;

	if (how & 1) {
		vmbus_ring_mask(&c->rd);
		CHECK(ctl(c)->interrupt_mask == 1);
		return;
	}
	n = (how & 2) ? vmbus_ring_unmask(&c->rd) : vmbus_ring_bytes_to_read(&c->rd);
	CHECK(n < data_size(c));
	if (c->rd.broken)
		CHECK(n == 0);
}

/* Puts one packet; returns its put() result. */
static int writer_put(struct ctx *c, struct in *in)
{
	struct vmbus_sg sg[3];
	struct vmbus_pkt_out p;
	uint8_t f = get_u8(in), hs = get_u8(in), ps = get_u8(in);
	uint32_t payload = get_u16(in), old = c->wr.priv_index, rd, total, i;
	uint32_t size = data_size(c);
	struct vmbus_pkt_desc d;
	unsigned int nsg = f % 4u;
	int rc;

	if (f & 0x80)
		payload *= 16u; /* beyond len8's range: must be refused */
	memset(&p, 0, sizeof(p));
	p.type = (f & 0x40) ? VMBUS_PKT_COMP : VMBUS_PKT_DATA_INBAND;
	p.flags = (f >> 4) & 1u;
	p.trans_id = (uint64_t)hs << 40 | ps;
	p.hdr_len = ((f >> 2) & 3u) * 8u;
	if (f & 0x20)
		p.hdr_len += 4; /* misaligned: must be refused */
	p.hdr = &pattern[hs];
	/* Split the payload over nsg elements (or none at all). */
	for (i = 0; i < nsg; i++) {
		uint32_t part = i + 1 < nsg ? payload / nsg : payload - (payload / nsg) * (nsg - 1);

		sg[i].base = &pattern[ps + (i == 0 ? 0 : (payload / nsg) * i)];
		sg[i].len = part;
	}
	if (nsg == 0)
		payload = 0;
	p.sg = sg;
	p.nsg = nsg;
	rc = vmbus_ring_put(&c->wr, &p);
	CHECK(rc == 0 || rc == -HVN_EAGAIN || rc == -HVN_EINVAL ||
	      rc == -HVN_EMSGSIZE || rc == -HVN_EPROTO);
	/* Too big for this ring ever, and only then. */
	if (rc == -HVN_EMSGSIZE || (rc == 0 && !(f & 0x20)))
		CHECK((rc == -HVN_EMSGSIZE) ==
		      (vmbus_ring_pkt_footprint(p.hdr_len, payload) >= size));
	if (rc == -HVN_EPROTO)
		CHECK(c->wr.broken);
	if (c->wr_broken)
		CHECK(rc == -HVN_EPROTO);
	if (f & 0x20)
		CHECK(rc != 0);
	if (rc != 0) {
		if (rc != -HVN_EPROTO)
			CHECK(c->wr.priv_index == old);
		return rc;
	}
	total = vmbus_ring_pkt_footprint(p.hdr_len, payload);
	CHECK(c->wr.priv_index == (old + total) % size);
	/* Never past the reader's index as the writer knew it. */
	rd = c->wr.peer_cache;
	CHECK(rd < size);
	CHECK(used(size, old, rd) + total == used(size, c->wr.priv_index, rd));
	guest_read(c, old, &d, sizeof(d));
	CHECK(d.type == p.type && d.trans_id == p.trans_id && d.flags == p.flags);
	CHECK((uint32_t)d.len8 * 8u + 8u == total);
	CHECK((uint32_t)d.offset8 * 8u == 16u + p.hdr_len);
	if (c->clean) {
		struct expect *e;

		CHECK(c->exp_tail + c->exp_uncommitted - c->exp_head < MAX_EXPECT);
		e = &c->exp[(c->exp_tail + c->exp_uncommitted) % MAX_EXPECT];
		c->exp_uncommitted++;
		e->start = old;
		e->len = total - 8u;
		e->type = p.type;
		e->flags = p.flags;
		e->trans_id = p.trans_id;
		e->hdr_len = p.hdr_len;
		e->hdr_seed = hs;
		e->payload = payload;
		e->payload_seed = ps;
	}
	return 0;
}

static void writer_commit(struct ctx *c)
{
	uint32_t before = ctl(c)->write_index;
	bool pending = c->wr.priv_index != c->wr.start_index;
	bool sig = vmbus_ring_write_commit(&c->wr);

	if (c->wr.broken) {
		CHECK(!sig);
		CHECK(ctl(c)->write_index == before);
		return;
	}
	CHECK(c->wr.start_index == c->wr.priv_index);
	CHECK(ctl(c)->write_index == (pending ? c->wr.priv_index : before));
	if (sig)
		CHECK(ctl(c)->interrupt_mask == 0);
	c->exp_tail += c->exp_uncommitted;
	c->exp_uncommitted = 0;
}

static void op_writer(struct ctx *c, struct in *in, uint8_t op)
{
	uint32_t n, i, freeb;

	if (!c->have_writer)
		return;
	switch (op) {
	case 0:
		(void)writer_put(c, in);
		break;
	case 1:
		writer_commit(c);
		break;
	case 2:
		freeb = vmbus_ring_bytes_free(&c->wr);
		CHECK(freeb <= data_size(c));
		if (c->wr.broken)
			CHECK(freeb == 0);
		vmbus_ring_set_pending_send(&c->wr, get_u16(in));
		break;
	default:
		/* A burst as the data path does it. */
		n = 1u + get_u8(in) % 4u;
		for (i = 0; i < n; i++)
			if (writer_put(c, in) != 0)
				break;
		writer_commit(c);
		break;
	}
}

static void op_reattach(struct ctx *c)
{
	int rc;

	c->nheld = 0;
	rc = vmbus_ring_attach_reader(&c->rd, c->mem, c->bytes, c->scratch,
				      c->scratch_size);
	CHECK(rc == 0 || rc == -HVN_EPROTO);
	CHECK((rc != 0) == c->rd.broken);
	/* A fresh attachment: the old one's brokenness does not carry. */
	c->rd_broken = c->rd.broken;
	c->clean = false;
}

static void run(struct ctx *c, struct in *in)
{
	uint32_t w0, r0, dlen, i;
	uint8_t cfg = get_u8(in);
	static const uint32_t scratch_sizes[4] = { 0, 64, 1024, 16384 };
	int rc;

	c->bytes = (2u + (cfg & 3u) % 3u) * HVN_PAGE_SIZE;
	c->scratch_size = scratch_sizes[(cfg >> 2) & 3u];
	c->have_writer = (cfg & 0x10) != 0;
	/* Exactly sized: ASan flags any access past the ring or scratch. */
	c->mem = aligned_alloc(HVN_PAGE_SIZE, c->bytes);
	CHECK(c->mem != NULL);
	memset(c->mem, 0, c->bytes);
	if (c->scratch_size != 0) {
		c->scratch = malloc(c->scratch_size);
		CHECK(c->scratch != NULL);
	}
	if (cfg & 0x20)
		CHECK(vmbus_ring_format(c->mem, c->bytes) == 0);
	w0 = get_u32(in);
	r0 = get_u32(in);
	ctl(c)->write_index = w0;
	ctl(c)->read_index = r0;
	ctl(c)->interrupt_mask = get_u32(in);
	ctl(c)->pending_send_sz = get_u32(in);
	ctl(c)->feature_bits = get_u32(in);
	/* Initial data image, laid from the read index so the first packet
	 * the reader parses is the first bytes here. */
	dlen = get_u16(in);
	dlen = (uint32_t)HVN_MIN((size_t)dlen, in->n);
	guest_write(c, r0 % data_size(c), in->p, dlen);
	in->p += dlen;
	in->n -= dlen;
	c->clean = w0 == r0 && w0 < data_size(c) && (w0 & 7u) == 0;

	rc = vmbus_ring_attach_reader(&c->rd, c->mem, c->bytes, c->scratch, c->scratch_size);
	CHECK(rc == 0 || rc == -HVN_EPROTO);
	CHECK((rc != 0) == c->rd.broken);
	c->rd_broken = c->rd.broken;
	if (c->have_writer) {
		rc = vmbus_ring_attach_writer(&c->wr, c->mem, c->bytes);
		CHECK(rc == 0 || rc == -HVN_EPROTO);
		c->wr_broken = c->wr.broken;
	}

	while (in->n > 0) {
		uint8_t op = get_u8(in);

		switch (op % 13u) {
		case 0:
		case 1:
			op_read(c, in);
			break;
		case 2:
			op_read_commit(c);
			break;
		case 3:
			op_mutate(c, in);
			break;
		case 4:
			op_guest_packet(c, in);
			break;
		case 5:
			op_set_ctl(c, in);
			break;
		case 6:
			op_mask(c, in);
			break;
		case 7:
		case 8:
		case 9:
		case 10:
			op_writer(c, in, (uint8_t)(op % 13u - 7u));
			break;
		case 11:
			op_reattach(c);
			break;
		default:
			op_unread(c, in);
			break;
		}
		check_broken_sticky(c);
	}
	/* Drain what is left, as a host closing the channel would not, but
	 * it ends every input with a full read pass. */
	for (i = 0; i < 64 && !c->rd.broken; i++) {
		struct in none = { NULL, 0 };
		uint32_t before = c->rd.priv_index;

		op_read(c, &none);
		op_read_commit(c);
		if (c->rd.priv_index == before)
			break;
	}
	check_broken_sticky(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct in in = { data, size };
	struct ctx *c;
	uint32_t i;

	if (!init) {
		for (i = 0; i < PATTERN_SIZE; i++)
			pattern[i] = (uint8_t)(i * 31u + 7u);
		init = true;
	}
	c = calloc(1, sizeof(*c));
	CHECK(c != NULL);
	run(c, &in);
	free(c->scratch);
	free(c->mem);
	free(c);
	return 0;
}
