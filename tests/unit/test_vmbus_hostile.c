/* A hostile partition: every index, length, GPA, count and ordering it
 * controls, checked one by one. Each bad input must get the protocol's
 * failure answer or a counted drop, never a crash or an access outside the
 * partition's memory (run under ASan in CI), and must leave the other
 * channels working. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_priv.h"
#include "vmbus/vmbus_server.h"
#include "vmbus/vmbus_testdev.h"

#define MEM_PAGES 512u
#define MEM_SIZE (MEM_PAGES * 4096u)

struct env {
	struct vmbus_mem mem;
	struct vmbus_server *s;
	uint8_t last[240];
	uint32_t last_len;
	unsigned int posts;
	struct vmbus_testdev *dev[2];
	uint32_t relid[2];
};

static int cap_post(void *ctx, const void *msg, uint32_t len)
{
	struct env *e = ctx;

	T_ASSERT(len <= 240);
	memcpy(e->last, msg, len);
	e->last_len = len;
	e->posts++;
	return 0;
}

static void cap_signal(void *ctx, uint32_t relid, uint32_t vp)
{
	(void)ctx;
	(void)relid;
	(void)vp;
}

static const struct vmbus_server_transport tr = { .post = cap_post, .signal = cap_signal };

static uint32_t last_type(const struct env *e)
{
	return ((const struct vmbus_msg_hdr *)(const void *)e->last)->msgtype;
}

static void post(struct env *e, const void *m, uint32_t len)
{
	T_EQ(vmbus_server_handle_msg(e->s, 1, m, len), HV_STATUS_SUCCESS);
}

static void env_init(struct env *e)
{
	struct vmbus_server_config cfg = { .name = "hostile", .max_gpadls = 8 };
	struct vmbus_msg_initiate_contact ic = { .hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT,
						 .version_requested = VMBUS_VERSION_WIN10_5_3 };
	struct vmbus_msg_hdr ro = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	uint32_t relids[2], n = 0;

	memset(e, 0, sizeof(*e));
	e->mem.base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(e->mem.base != MAP_FAILED);
	e->mem.size = MEM_SIZE;
	e->mem.fd = -1;
	e->s = vmbus_server_create(&cfg, &e->mem, &tr, e);
	T_EQ(vmbus_testdev_offer(e->s, 0, &e->dev[0]), 0);
	T_EQ(vmbus_testdev_offer(e->s, 1, &e->dev[1]), 0);
	ic.msg_sint = 2;
	T_EQ(vmbus_server_handle_msg(e->s, 4, &ic, sizeof(ic)), 0);
	T_EQ(e->last[8], 1);
	post(e, &ro, sizeof(ro));
	relids[n++] = vmbus_channel_relid(vmbus_testdev_channel(e->dev[0]));
	relids[n++] = vmbus_channel_relid(vmbus_testdev_channel(e->dev[1]));
	e->relid[0] = relids[0];
	e->relid[1] = relids[1];
}

static void env_fini(struct env *e)
{
	vmbus_server_destroy(e->s);
	munmap(e->mem.base, MEM_SIZE);
}

/* A single-range GPADL message with npages pages from first_pfn. */
static uint32_t gpadl_hdr(uint8_t *m, uint32_t relid, uint32_t handle,
			  uint64_t first_pfn, uint32_t npages)
{
	struct vmbus_msg_gpadl_header *h = (void *)m;
	struct vmbus_gpa_range *r = (void *)(h + 1);
	uint32_t i, n = npages < 26 ? npages : 26;

	memset(m, 0, 240);
	h->hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
	h->child_relid = relid;
	h->gpadl = handle;
	h->range_buflen = (uint16_t)(8 + npages * 8);
	h->rangecount = 1;
	r->byte_count = npages * 4096;
	for (i = 0; i < n; i++)
		r->pfn[i] = first_pfn + i;
	return (uint32_t)(sizeof(*h) + sizeof(*r) + n * 8);
}

static uint32_t created_status(const struct env *e)
{
	T_EQ(last_type(e), VMBUS_MSG_GPADL_CREATED);
	return ((const struct vmbus_msg_gpadl_created *)(const void *)e->last)->creation_status;
}

static void make_ring_gpadl(struct env *e, uint32_t relid, uint32_t handle, uint64_t pfn)
{
	uint8_t m[240];

	/* 8 pages: a 4-page ring each way, formatted as Linux does. */
	memset(e->mem.base + pfn * 4096, 0, 8 * 4096);
	e->mem.base[pfn * 4096 + 64] = 1;
	e->mem.base[(pfn + 4) * 4096 + 64] = 1;
	post(e, m, gpadl_hdr(m, relid, handle, pfn, 8));
	T_EQ(created_status(e), 0);
}

static uint32_t open_channel(struct env *e, uint32_t relid, uint32_t handle, uint32_t down)
{
	struct vmbus_msg_open o = { .hdr.msgtype = VMBUS_MSG_OPENCHANNEL };

	o.child_relid = relid;
	o.openid = relid;
	o.ringbuffer_gpadl = handle;
	o.downstream_page_offset = down;
	post(e, &o, sizeof(o));
	T_EQ(last_type(e), VMBUS_MSG_OPENCHANNEL_RESULT);
	return ((struct vmbus_msg_open_result *)(void *)e->last)->status;
}

static void test_message_sizes_and_types(void)
{
	struct env e;
	uint8_t m[256] = { 0 };
	uint64_t before;

	env_init(&e);
	/* Above 240 bytes: the hypercall fails. */
	T_EQ(vmbus_server_handle_msg(e.s, 1, m, 241), HV_STATUS_INVALID_PARAMETER);
	/* Unknown connection. */
	T_EQ(vmbus_server_handle_msg(e.s, 3, m, 8), HV_STATUS_INVALID_CONNECTION_ID);
	before = vmbus_server_get_stats(e.s)->bad_size;
	post(&e, m, 4);                                  /* no header */
	m[0] = VMBUS_MSG_OPENCHANNEL;
	post(&e, m, 20);                                 /* OPEN of 20 bytes */
	T_EQ(vmbus_server_get_stats(e.s)->bad_size, before + 2);
	m[0] = 0xee;
	post(&e, m, 8);
	m[0] = VMBUS_MSG_OFFERCHANNEL;                   /* host-only type */
	post(&e, m, 196);
	T_EQ(vmbus_server_get_stats(e.s)->unknown_type, 2);
	/* Anything but INITIATE_CONTACT on connection 4 is dropped. */
	m[0] = VMBUS_MSG_REQUESTOFFERS;
	e.posts = 0;
	T_EQ(vmbus_server_handle_msg(e.s, 4, m, 8), 0);
	T_EQ(e.posts, 0);
	env_fini(&e);
}

static void test_order(void)
{
	struct vmbus_server_config cfg = { .name = "order" };
	struct vmbus_mem mem = { .size = MEM_SIZE, .fd = -1 };
	struct vmbus_msg_hdr ro = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
	struct vmbus_msg_hdr ul = { .msgtype = VMBUS_MSG_UNLOAD };
	struct env e;

	memset(&e, 0, sizeof(e));
	mem.base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	e.s = vmbus_server_create(&cfg, &mem, &tr, &e);
	/* Requests before INITIATE_CONTACT are dropped and counted. */
	post(&e, &ro, sizeof(ro));
	T_EQ(e.posts, 0);
	T_EQ(vmbus_server_get_stats(e.s)->proto_errors, 1);
	/* UNLOAD is answered in any state: kexec waits for it. */
	post(&e, &ul, sizeof(ul));
	T_EQ(last_type(&e), VMBUS_MSG_UNLOAD_RESPONSE);
	vmbus_server_destroy(e.s);
	munmap(mem.base, MEM_SIZE);
}

static void test_gpadl_attacks(void)
{
	struct env e;
	uint8_t m[240];
	struct vmbus_msg_gpadl_header *h = (void *)m;
	struct vmbus_gpa_range *r = (void *)(h + 1);
	struct vmbus_msg_gpadl_body *b = (void *)m;
	struct vmbus_msg_gpadl_teardown td = { .hdr.msgtype = VMBUS_MSG_GPADL_TEARDOWN };
	uint32_t len, i;

	env_init(&e);
	/* A page past the end of the partition. */
	post(&e, m, gpadl_hdr(m, e.relid[0], 1, MEM_PAGES - 2, 4));
	T_ASSERT(created_status(&e) != 0);
	/* A huge PFN that would overflow a GPA computation. */
	len = gpadl_hdr(m, e.relid[0], 2, 0, 2);
	r->pfn[1] = UINT64_MAX >> 4;
	post(&e, m, len);
	T_ASSERT(created_status(&e) != 0);
	/* byte_offset beyond a page, zero count, no ranges. */
	len = gpadl_hdr(m, e.relid[0], 3, 0, 2);
	r->byte_offset = 5000;
	post(&e, m, len);
	T_ASSERT(created_status(&e) != 0);
	len = gpadl_hdr(m, e.relid[0], 4, 0, 2);
	r->byte_count = 0;
	post(&e, m, len);
	T_ASSERT(created_status(&e) != 0);
	len = gpadl_hdr(m, e.relid[0], 5, 0, 2);
	h->rangecount = 0;
	post(&e, m, len);
	T_ASSERT(created_status(&e) != 0);
	/* range_buflen that disagrees with the range's page count. */
	len = gpadl_hdr(m, e.relid[0], 6, 0, 2);
	h->range_buflen = 8 + 3 * 8;
	r->byte_count = 2 * 4096;
	post(&e, m, len);           /* waits for one more PFN */
	memset(m, 0, sizeof(m));
	b->hdr.msgtype = VMBUS_MSG_GPADL_BODY;
	b->gpadl = 6;
	post(&e, m, sizeof(*b) + 8);
	T_ASSERT(created_status(&e) != 0);   /* trailing PFN: counts disagree */
	/* A body that overflows what the header announced. */
	post(&e, m, gpadl_hdr(m, e.relid[0], 7, 0, 30));
	memset(m, 0, sizeof(m));
	b->hdr.msgtype = VMBUS_MSG_GPADL_BODY;
	b->gpadl = 7;
	post(&e, m, sizeof(*b) + 28 * 8);    /* 4 PFNs were still expected */
	T_ASSERT(created_status(&e) != 0);
	/* A body for no GPADL: dropped and counted, nothing posted. */
	e.posts = 0;
	b->gpadl = 0x999;
	post(&e, m, sizeof(*b) + 8);
	T_EQ(e.posts, 0);
	/* Unknown channel. */
	post(&e, m, gpadl_hdr(m, 77, 8, 0, 2));
	T_ASSERT(created_status(&e) != 0);
	/* Duplicate handle: the first stays, the second is refused. */
	post(&e, m, gpadl_hdr(m, e.relid[0], 9, 0, 2));
	T_EQ(created_status(&e), 0);
	post(&e, m, gpadl_hdr(m, e.relid[0], 9, 10, 2));
	T_ASSERT(created_status(&e) != 0);
	T_EQ(vmbus_server_get_stats(e.s)->gpadls, 1);
	/* The per-partition limit (8). */
	for (i = 0; i < 10; i++)
		post(&e, m, gpadl_hdr(m, e.relid[0], 100 + i, 0, 1));
	T_EQ(vmbus_server_get_stats(e.s)->gpadls, 8);
	T_ASSERT(created_status(&e) != 0);
	env_fini(&e);

	/* Host memory held for GPADL records is capped per partition: a
	 * partition announcing many large GPADLs it never completes. */
	{
		struct vmbus_server_config cfg = { .name = "bytes", .max_gpadl_bytes = 1u << 20 };
		struct vmbus_msg_initiate_contact ic = { .hdr.msgtype = VMBUS_MSG_INITIATE_CONTACT,
							 .version_requested = VMBUS_VERSION_WIN10_5_3,
							 .msg_sint = 2 };
		struct vmbus_msg_hdr ro = { .msgtype = VMBUS_MSG_REQUESTOFFERS };
		struct vmbus_testdev *d;
		uint32_t refused = 0;

		memset(&e, 0, sizeof(e));
		e.mem.base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		e.mem.size = MEM_SIZE;
		e.mem.fd = -1;
		e.s = vmbus_server_create(&cfg, &e.mem, &tr, &e);
		T_EQ(vmbus_testdev_offer(e.s, 0, &d), 0);
		T_EQ(vmbus_server_handle_msg(e.s, 4, &ic, sizeof(ic)), 0);
		post(&e, &ro, sizeof(ro));
		for (i = 0; i < 100; i++) {
			uint32_t l = gpadl_hdr(m, vmbus_channel_relid(vmbus_testdev_channel(d)),
					       1000 + i, 0, 26);

			h->range_buflen = 0xfff8;      /* promises 8190 PFNs */
			post(&e, m, l);
			if (e.posts && last_type(&e) == VMBUS_MSG_GPADL_CREATED &&
			    created_status(&e) != 0)
				refused++;
		}
		/* 1 MiB / (2 x 64 KiB) = 8 in assembly; the rest refused. */
		T_EQ(vmbus_server_get_stats(e.s)->gpadls, 8);
		T_EQ(refused, 92);
	}
	/* Teardown of an unknown GPADL is still answered (no guest hang). */
	td.child_relid = e.relid[0];
	td.gpadl = 0x4242;
	post(&e, &td, sizeof(td));
	T_EQ(last_type(&e), VMBUS_MSG_GPADL_TORNDOWN);
	env_fini(&e);   /* frees the eight GPADLs: LeakSanitizer checks */
}

static void test_open_attacks(void)
{
	struct env e;
	struct vmbus_msg_gpadl_teardown td = { .hdr.msgtype = VMBUS_MSG_GPADL_TEARDOWN };
	struct vmbus_msg_close cl = { .hdr.msgtype = VMBUS_MSG_CLOSECHANNEL };
	uint8_t m[240];

	env_init(&e);
	make_ring_gpadl(&e, e.relid[0], 1, 16);
	T_ASSERT(open_channel(&e, e.relid[0], 0x55, 4) != 0);     /* unknown GPADL */
	T_ASSERT(open_channel(&e, e.relid[0], 1, 0) != 0);        /* no guest-to-host ring */
	T_ASSERT(open_channel(&e, e.relid[0], 1, 1) != 0);        /* ring of one page */
	T_ASSERT(open_channel(&e, e.relid[0], 1, 7) != 0);        /* host ring of one page */
	T_ASSERT(open_channel(&e, e.relid[0], 1, 1000) != 0);     /* past the GPADL */
	T_ASSERT(open_channel(&e, 99, 1, 4) != 0);                /* no such channel */
	/* A GPADL whose range is not whole pages cannot hold rings. */
	{
		uint32_t len = gpadl_hdr(m, e.relid[0], 2, 32, 8);
		struct vmbus_gpa_range *r = (void *)(m + sizeof(struct vmbus_msg_gpadl_header));

		r->byte_count = 8 * 4096 - 100;
		post(&e, m, len);
		T_EQ(created_status(&e), 0);
		T_ASSERT(open_channel(&e, e.relid[0], 2, 4) != 0);
	}
	/* Ring indices the guest set before OPEN are checked. */
	{
		uint32_t bad = 4097;

		make_ring_gpadl(&e, e.relid[0], 3, 48);
		memcpy(e.mem.base + 48 * 4096, &bad, 4);
		T_ASSERT(open_channel(&e, e.relid[0], 3, 4) != 0);
	}
	T_EQ(vmbus_server_get_stats(e.s)->channels_open, 0);
	T_EQ(vmbus_server_get_stats(e.s)->open_failures, 8);
	/* A good open, then the same GPADL for the second channel. */
	T_EQ(open_channel(&e, e.relid[0], 1, 4), 0);
	T_ASSERT(open_channel(&e, e.relid[1], 1, 4) != 0);
	T_ASSERT(open_channel(&e, e.relid[0], 1, 4) != 0);        /* already open */
	/* Teardown of the ring GPADL under an open channel closes it. */
	td.child_relid = e.relid[0];
	td.gpadl = 1;
	post(&e, &td, sizeof(td));
	T_EQ(last_type(&e), VMBUS_MSG_GPADL_TORNDOWN);
	T_EQ(vmbus_server_get_stats(e.s)->channels_open, 0);
	T_EQ(vmbus_testdev_get_stats(e.dev[0])->closes, 1);
	/* Close of a channel that is not open: counted, no answer. */
	e.posts = 0;
	cl.child_relid = e.relid[0];
	post(&e, &cl, sizeof(cl));
	T_EQ(e.posts, 0);
	env_fini(&e);
}

/* The guest corrupts the ring indices of an open channel: the device
 * stops that channel; the other channel keeps echoing. */
static void test_ring_corruption(void)
{
	struct env e;
	struct vmbus_ring gw, gr;
	struct vmbus_pkt_out out = { .type = VMBUS_PKT_DATA_INBAND, .trans_id = 5 };
	struct vmbus_pkt in[4];
	uint8_t scratch[4096];
	uint32_t conn0, conn1, bad = 12345;
	int err;

	env_init(&e);
	make_ring_gpadl(&e, e.relid[0], 1, 16);
	make_ring_gpadl(&e, e.relid[1], 2, 32);
	T_EQ(open_channel(&e, e.relid[0], 1, 4), 0);
	T_EQ(open_channel(&e, e.relid[1], 2, 4), 0);
	conn0 = vmbus_channel_conn_id(vmbus_testdev_channel(e.dev[0]));
	conn1 = vmbus_channel_conn_id(vmbus_testdev_channel(e.dev[1]));

	/* Channel 0: a write index that is not 8-byte aligned. */
	memcpy(e.mem.base + 16 * 4096, &bad, 4);
	T_EQ(vmbus_server_handle_signal(e.s, conn0), 0);
	T_EQ(vmbus_testdev_get_stats(e.dev[0])->faults, 1);
	T_ASSERT(!vmbus_channel_is_open(vmbus_testdev_channel(e.dev[0])));
	T_EQ(vmbus_server_handle_signal(e.s, conn0), HV_STATUS_INVALID_CONNECTION_ID);

	/* Channel 1 still works. */
	T_EQ(vmbus_ring_attach_writer(&gw, e.mem.base + 32 * 4096, 4 * 4096), 0);
	T_EQ(vmbus_ring_attach_reader(&gr, e.mem.base + 36 * 4096, 4 * 4096,
				      scratch, sizeof(scratch)), 0);
	T_EQ(vmbus_ring_put(&gw, &out), 0);
	vmbus_ring_write_commit(&gw);
	T_EQ(vmbus_server_handle_signal(e.s, conn1), 0);
	T_EQ(vmbus_ring_read_burst(&gr, in, 4, &err), 1);
	T_EQ(in[0].desc.trans_id, 5);

	/* Channel 1: a descriptor longer than what was published. */
	{
		struct vmbus_pkt_desc d = { .type = 6, .offset8 = 2, .len8 = 400 };
		uint32_t w;

		memcpy(&w, e.mem.base + 32 * 4096, 4);
		memcpy(e.mem.base + 33 * 4096 + w, &d, sizeof(d));
		w += 24;
		memcpy(e.mem.base + 32 * 4096, &w, 4);
		T_EQ(vmbus_server_handle_signal(e.s, conn1), 0);
		T_EQ(vmbus_testdev_get_stats(e.dev[1])->faults, 1);
	}
	/* The guest may still close both channels cleanly. */
	{
		struct vmbus_msg_close cl = { .hdr.msgtype = VMBUS_MSG_CLOSECHANNEL };
		uint64_t errs = vmbus_server_get_stats(e.s)->proto_errors;

		cl.child_relid = e.relid[0];
		post(&e, &cl, sizeof(cl));
		cl.child_relid = e.relid[1];
		post(&e, &cl, sizeof(cl));
		T_EQ(vmbus_server_get_stats(e.s)->proto_errors, errs);
		T_EQ(vmbus_server_get_stats(e.s)->channels_open, 0);
	}
	env_fini(&e);
}

/* The guest stops reading its host-to-guest ring: the device stops at a
 * full ring and asks to be woken, it does not spin or drop. */
static void test_guest_stops_reading(void)
{
	struct env e;
	struct vmbus_ring gw;
	struct vmbus_pkt_out out = { .type = VMBUS_PKT_DATA_INBAND };
	uint8_t payload[1000] = { 0 };
	struct vmbus_sg sg = { .base = payload, .len = sizeof(payload) };
	unsigned int i;
	uint32_t pending;

	env_init(&e);
	make_ring_gpadl(&e, e.relid[0], 1, 16);
	T_EQ(open_channel(&e, e.relid[0], 1, 4), 0);
	T_EQ(vmbus_ring_attach_writer(&gw, e.mem.base + 16 * 4096, 4 * 4096), 0);
	out.sg = &sg;
	out.nsg = 1;
	for (i = 0; i < 40; i++) {
		if (vmbus_ring_put(&gw, &out) < 0) {
			vmbus_ring_write_commit(&gw);
			T_EQ(vmbus_server_handle_signal(e.s, vmbus_channel_conn_id(
				vmbus_testdev_channel(e.dev[0]))), 0);
			T_ASSERT(vmbus_ring_put(&gw, &out) == 0 || i > 20);
		}
	}
	vmbus_ring_write_commit(&gw);
	T_EQ(vmbus_server_handle_signal(e.s, vmbus_channel_conn_id(
		vmbus_testdev_channel(e.dev[0]))), 0);
	T_ASSERT(vmbus_testdev_get_stats(e.dev[0])->backpressure > 0);
	memcpy(&pending, e.mem.base + 20 * 4096 + 12, 4);
	T_ASSERT(pending > 0);   /* pending_send_sz set on the host's ring */
	T_EQ(vmbus_testdev_get_stats(e.dev[0])->faults, 0);
	env_fini(&e);
}

/* What the host keeps of a GPADL: consecutive pages as runs (so the
 * partition is charged a few bytes for a big contiguous buffer), a
 * scattered list page by page; either maps to the same pages. */
static void test_gpadl_storage(void)
{
	static const struct {
		uint64_t first[3];
		uint32_t len[3];
		uint32_t nruns;          /* 0: kept page by page */
		uint64_t held;
	} cases[] = {
		{ { 20 }, { 20 }, 1, 16 },
		{ { 100, 300 }, { 10, 10 }, 2, 32 },
		{ { 40, 42, 44 }, { 1, 1, 1 }, 0, 24 },
	};
	struct vmbus_mem mem = { .size = MEM_SIZE };
	uint8_t m[240];
	uint32_t c;

	mem.fd = memfd_create("gpadl-storage", 0);
	T_ASSERT(mem.fd >= 0);
	T_EQ(ftruncate(mem.fd, MEM_SIZE), 0);
	mem.base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, mem.fd, 0);
	T_ASSERT(mem.base != MAP_FAILED);
	for (c = 0; c < MEM_PAGES; c++)
		memcpy(mem.base + (size_t)c * 4096u, &c, sizeof(c));
	for (c = 0; c < HVN_ARRAY_SIZE(cases); c++) {
		struct vmbus_gpadl_set set = { .max = 4, .max_bytes = 1u << 20 };
		struct vmbus_msg_gpadl_header *h = (void *)m;
		struct vmbus_gpa_range *r = (void *)(h + 1);
		struct vmbus_mem_view v;
		struct vmbus_gpadl *g;
		uint32_t n = 0, i, k;

		for (i = 0; i < 3; i++)
			n += cases[c].len[i];
		gpadl_hdr(m, 1, 7, 0, n);
		for (i = 0, k = 0; i < 3; i++)
			for (uint32_t j = 0; j < cases[c].len[i]; j++)
				r->pfn[k++] = cases[c].first[i] + j;
		T_EQ(vmbus_gpadl_header(&set, &mem, h, (uint32_t)(sizeof(*h) + sizeof(*r) + n * 8),
					&g), VMBUS_GPADL_DONE);
		T_EQ(g->npages, n);
		T_EQ(g->nruns, cases[c].nruns);
		T_EQ(g->runs != NULL, cases[c].nruns != 0);
		T_EQ(set.bytes, cases[c].held);
		T_EQ(vmbus_gpadl_map(&mem, g, &v), 0);
		T_EQ(v.len, (size_t)n * 4096u);
		for (i = 0, k = 0; i < 3; i++)
			for (uint32_t j = 0; j < cases[c].len[i]; j++, k++) {
				uint32_t got;

				memcpy(&got, v.ptr + (size_t)k * 4096u, sizeof(got));
				T_EQ(got, cases[c].first[i] + j);
			}
		vmbus_mem_unmap(&v);
		vmbus_gpadl_free_all(&set);
		T_EQ(set.bytes, 0);
	}
	munmap(mem.base, MEM_SIZE);
	close(mem.fd);
}

int main(void)
{
	T_RUN(test_message_sizes_and_types);
	T_RUN(test_order);
	T_RUN(test_gpadl_attacks);
	T_RUN(test_gpadl_storage);
	T_RUN(test_open_attacks);
	T_RUN(test_ring_corruption);
	T_RUN(test_guest_stops_reading);
	return 0;
}
