/* The server and client state machines against each other, in one process:
 * the client's posts go straight into the server, the server's messages are
 * queued and delivered after the post returns, as SynIC delivery would.
 * Partition memory is a real memfd so ring remapping is exercised too. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/hvn_errno.h"
#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_client.h"
#include "vmbus/vmbus_server.h"
#include "vmbus/vmbus_testdev.h"

#define MEM_SIZE (8u << 20)
#define QLEN 512

struct bus {
	struct vmbus_mem mem;
	struct vmbus_server *srv;
	struct vmbus_client cl;
	struct vmbus_client_transport ct;
	struct { uint32_t len; uint8_t b[256]; } q[QLEN];
	unsigned int qn;
	unsigned int signals_to_guest;
	uint64_t next_free;      /* bump allocator in partition memory */
};

static int srv_post(void *ctx, const void *msg, uint32_t len)
{
	struct bus *b = ctx;

	T_ASSERT(len <= VMBUS_MSG_MAX_SIZE);
	T_ASSERT(b->qn < QLEN);
	b->q[b->qn].len = len;
	memcpy(b->q[b->qn].b, msg, len);
	b->qn++;
	return 0;
}

static void srv_signal(void *ctx, uint32_t relid, uint32_t vp)
{
	struct bus *b = ctx;

	(void)relid;
	(void)vp;
	b->signals_to_guest++;
}

static const struct vmbus_server_transport srv_tr = { .post = srv_post, .signal = srv_signal };

static int cl_post(void *ctx, uint32_t conn_id, const void *msg, uint32_t len)
{
	struct bus *b = ctx;

	return vmbus_server_handle_msg(b->srv, conn_id, msg, len);
}

static int cl_signal(void *ctx, uint32_t conn_id)
{
	struct bus *b = ctx;

	return vmbus_server_handle_signal(b->srv, conn_id);
}

/* Delivers queued host messages until none is left. */
static void pump(struct bus *b)
{
	unsigned int i;

	while (b->qn != 0) {
		unsigned int n = b->qn;
		struct { uint32_t len; uint8_t b[256]; } q[QLEN];

		memcpy(q, b->q, sizeof(q[0]) * n);
		b->qn = 0;
		for (i = 0; i < n; i++)
			vmbus_client_handle_msg(&b->cl, q[i].b, q[i].len);
	}
}

static void bus_init(struct bus *b, uint32_t max_version)
{
	struct vmbus_server_config cfg = { .name = "test", .max_version = max_version };
	int fd = memfd_create("part", 0);

	memset(b, 0, sizeof(*b));
	T_ASSERT(fd >= 0);
	T_EQ(ftruncate(fd, MEM_SIZE), 0);
	b->mem.base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	T_ASSERT(b->mem.base != MAP_FAILED);
	b->mem.size = MEM_SIZE;
	b->mem.fd = fd;
	b->srv = vmbus_server_create(&cfg, &b->mem, &srv_tr, b);
	T_ASSERT(b->srv != NULL);
	b->ct.post = cl_post;
	b->ct.signal = cl_signal;
	vmbus_client_init(&b->cl, &b->ct, b, 0, 0, 0);
	b->next_free = 0;
}

static void bus_fini(struct bus *b)
{
	vmbus_server_destroy(b->srv);
	munmap(b->mem.base, b->mem.size);
	close(b->mem.fd);
}

static void bus_connect(struct bus *b)
{
	T_EQ(vmbus_client_connect(&b->cl), 0);
	pump(b);
	T_EQ(b->cl.state, VMBUS_CLIENT_CONNECTED);
	T_EQ(vmbus_client_request_offers(&b->cl), 0);
	pump(b);
	T_ASSERT(b->cl.offers_done);
}

static uint64_t alloc_pages(struct bus *b, uint32_t n)
{
	uint64_t pfn = b->next_free;

	b->next_free += n;
	T_ASSERT(b->next_free <= MEM_SIZE / 4096);
	return pfn;
}

/* Opens channel 'relid' with rings of ring_pages each way laid out over
 * 'pfns' (contiguous unless the caller scattered them). */
static void open_channel(struct bus *b, uint32_t relid, const uint64_t *pfns,
			 uint32_t ring_pages, uint32_t *gpadl)
{
	T_EQ(vmbus_client_gpadl_create(&b->cl, relid, pfns, 2 * ring_pages, gpadl), 0);
	pump(b);
	T_EQ(vmbus_client_gpadl_status(&b->cl, *gpadl), 0);
	T_EQ(vmbus_client_open(&b->cl, relid, *gpadl, ring_pages, 0), 0);
	pump(b);
	T_EQ(vmbus_client_open_status(&b->cl, relid), 0);
}

static const struct vmbus_guid test_guid = VMBUS_TESTDEV_GUID_INIT;

static void test_lifecycle_and_echo(void)
{
	struct bus b;
	struct vmbus_testdev *dev;
	struct vmbus_client_channel ch;
	struct vmbus_client_offer *o;
	uint64_t pfns[256], base;
	uint8_t *rings, scratch[8192];
	uint32_t gpadl, i, round;

	bus_init(&b, 0);
	T_EQ(vmbus_testdev_offer(b.srv, 0, &dev), 0);
	T_EQ(vmbus_testdev_offer(b.srv, 1, NULL), 0);
	bus_connect(&b);
	T_EQ(b.cl.version, VMBUS_VERSION_WIN10_5_3);
	T_EQ(b.cl.msg_conn_id, 1);
	o = vmbus_client_find_offer(&b.cl, &test_guid, 0);
	T_ASSERT(o != NULL);
	T_EQ(o->msg.is_dedicated_interrupt & 1, 1);
	T_EQ(o->msg.monitor_allocated & 1, 0);
	T_EQ(vmbus_server_get_stats(b.srv)->offers, 2);

	/* 2 x 512 KiB, as hv_netvsc asks: one header and nine bodies. */
	base = alloc_pages(&b, 256);
	for (i = 0; i < 256; i++)
		pfns[i] = base + i;
	rings = b.mem.base + base * 4096;
	T_EQ(vmbus_client_rings_format(rings, 128 * 4096, 128 * 4096), 0);
	open_channel(&b, o->msg.child_relid, pfns, 128, &gpadl);
	T_EQ(vmbus_server_get_stats(b.srv)->channels_open, 1);
	T_EQ(vmbus_client_channel_attach(&ch, o, rings, 128 * 4096, 128 * 4096,
					 scratch, sizeof(scratch)), 0);

	/* Packets both ways: requests with completion, and plain inband. */
	for (round = 0; round < 200; round++) {
		struct vmbus_pkt_out out;
		struct vmbus_pkt in[32];
		struct vmbus_sg sg;
		uint8_t payload[1500];
		bool sig;
		unsigned int n;
		int err;

		memset(payload, (int)round, sizeof(payload));
		memset(&out, 0, sizeof(out));
		sg.base = payload;
		sg.len = 64 + round * 7;
		out.type = VMBUS_PKT_DATA_INBAND;
		out.flags = round & 1 ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED : 0;
		out.trans_id = 1000 + round;
		out.sg = &sg;
		out.nsg = 1;
		T_EQ(vmbus_ring_put(&ch.tx, &out), 0);
		sig = vmbus_ring_write_commit(&ch.tx);
		/* The host reader is not masked and the ring was empty. */
		T_ASSERT(sig);
		T_EQ(vmbus_client_channel_signal(&b.cl, &ch), 0);
		n = vmbus_ring_read_burst(&ch.rx, in, 32, &err);
		T_EQ(err, 0);
		T_EQ(n, 1);
		T_EQ(in[0].desc.type, round & 1 ? VMBUS_PKT_COMP : VMBUS_PKT_DATA_INBAND);
		T_EQ(in[0].desc.trans_id, 1000 + round);
		T_ASSERT(vmbus_pkt_payload_len(&in[0]) >= sg.len);
		T_EQ(memcmp(vmbus_pkt_payload(&in[0]), payload, sg.len), 0);
		vmbus_ring_read_commit(&ch.rx);
	}
	T_EQ(vmbus_testdev_get_stats(dev)->rx_packets, 200);
	T_ASSERT(b.signals_to_guest >= 200);

	/* 5.3: MODIFYCHANNEL is answered. */
	T_EQ(vmbus_client_modify(&b.cl, o->msg.child_relid, 1), 0);
	pump(&b);
	T_ASSERT(o->modify_done);
	T_EQ(o->modify_status, 0);

	/* Close, then tear the ring GPADL down (4.0+ order). */
	T_EQ(vmbus_client_close(&b.cl, o->msg.child_relid), 0);
	T_EQ(vmbus_server_get_stats(b.srv)->channels_open, 0);
	T_EQ(vmbus_testdev_get_stats(dev)->closes, 1);
	T_EQ(vmbus_client_gpadl_teardown(&b.cl, o->msg.child_relid, gpadl), 0);
	pump(&b);
	T_EQ(vmbus_client_gpadl_torn_down(&b.cl, gpadl), 0);
	T_EQ(vmbus_server_get_stats(b.srv)->gpadls, 0);

	T_EQ(vmbus_client_unload(&b.cl), 0);
	pump(&b);
	T_EQ(b.cl.state, VMBUS_CLIENT_UNLOADED);
	T_EQ(vmbus_server_get_stats(b.srv)->proto_errors, 0);
	bus_fini(&b);
}

static void test_version_fallback(void)
{
	struct bus b;

	bus_init(&b, VMBUS_VERSION_WIN10);
	bus_connect(&b);
	/* 5.3, 5.2, 5.1, 5.0, 4.1 refused; 4.0 accepted on connection 1. */
	T_EQ(b.cl.stats.version_attempts, 6);
	T_EQ(b.cl.version, VMBUS_VERSION_WIN10);
	T_EQ(vmbus_server_get_stats(b.srv)->version, VMBUS_VERSION_WIN10);
	bus_fini(&b);

	bus_init(&b, VMBUS_VERSION(1, 0));
	T_EQ(vmbus_client_connect(&b.cl), 0);
	pump(&b);
	T_EQ(b.cl.state, VMBUS_CLIENT_FAILED);
	bus_fini(&b);
}

/* Rings on pages that are not contiguous (a KVM guest's usual case): the
 * host maps them into one window and the data path works unchanged. */
static void test_scattered_ring_pages(void)
{
	struct bus b;
	struct vmbus_client_offer *o;
	struct vmbus_client_channel ch;
	uint64_t pfns[8], base;
	uint8_t *tx_page0;
	uint32_t gpadl, i;
	struct vmbus_pkt_out out = { .type = VMBUS_PKT_DATA_INBAND, .trans_id = 7 };
	struct vmbus_pkt in[1];
	int err;
	bool sig;

	bus_init(&b, 0);
	T_EQ(vmbus_testdev_offer(b.srv, 0, NULL), 0);
	bus_connect(&b);
	o = vmbus_client_find_offer(&b.cl, &test_guid, 0);
	base = alloc_pages(&b, 16);
	/* Every other page, so no two are adjacent. */
	for (i = 0; i < 8; i++)
		pfns[i] = base + 2 * i;
	for (i = 0; i < 8; i++)
		memset(b.mem.base + pfns[i] * 4096, 0, 4096);
	b.mem.base[pfns[0] * 4096 + 64] = 1;   /* feature bits of the tx ring */
	b.mem.base[pfns[4] * 4096 + 64] = 1;
	open_channel(&b, o->msg.child_relid, pfns, 4, &gpadl);
	/* The guest view of these rings is the same pages: attach the guest
	 * writer through a private contiguous copy would not share memory, so
	 * check the host side through its own ring instead. */
	tx_page0 = b.mem.base + pfns[0] * 4096;
	(void)tx_page0;
	memset(&ch, 0, sizeof(ch));
	/* Write one packet as the guest would, page by page: build it in a
	 * contiguous scratch ring and copy pages into place. */
	{
		static uint8_t shadow[4 * 4096] __attribute__((aligned(4096)));
		struct vmbus_ring w;

		memcpy(shadow, b.mem.base + pfns[0] * 4096, 4096);
		for (i = 1; i < 4; i++)
			memcpy(shadow + i * 4096, b.mem.base + pfns[i] * 4096, 4096);
		T_EQ(vmbus_ring_attach_writer(&w, shadow, sizeof(shadow)), 0);
		T_EQ(vmbus_ring_put(&w, &out), 0);
		sig = vmbus_ring_write_commit(&w);
		T_ASSERT(sig);
		for (i = 0; i < 4; i++)
			memcpy(b.mem.base + pfns[i] * 4096, shadow + i * 4096, 4096);
	}
	T_EQ(vmbus_server_handle_signal(b.srv, o->msg.connection_id), HV_STATUS_SUCCESS);
	/* The echo arrived in the host-to-guest ring, pages 4..7. */
	{
		static uint8_t shadow[4 * 4096] __attribute__((aligned(4096)));
		struct vmbus_ring r;
		unsigned int n;

		for (i = 0; i < 4; i++)
			memcpy(shadow + i * 4096, b.mem.base + pfns[4 + i] * 4096, 4096);
		T_EQ(vmbus_ring_attach_reader(&r, shadow, sizeof(shadow), NULL, 0), 0);
		n = vmbus_ring_read_burst(&r, in, 1, &err);
		T_EQ(n, 1);
		T_EQ(in[0].desc.trans_id, 7);
	}
	bus_fini(&b);
}

static void test_rescind(void)
{
	struct bus b;
	struct vmbus_testdev *dev;
	struct vmbus_client_offer *o;
	uint32_t relid;

	bus_init(&b, 0);
	T_EQ(vmbus_testdev_offer(b.srv, 0, &dev), 0);
	bus_connect(&b);
	o = vmbus_client_find_offer(&b.cl, &test_guid, 0);
	relid = o->msg.child_relid;
	T_EQ(vmbus_server_rescind(b.srv, vmbus_testdev_channel(dev)), 0);
	T_EQ(vmbus_server_get_stats(b.srv)->offers, 1);  /* until released */
	pump(&b);   /* the client answers RELID_RELEASED */
	T_EQ(vmbus_server_get_stats(b.srv)->offers, 0);
	T_ASSERT(vmbus_client_offer_by_relid(&b.cl, relid) == NULL);
	/* A new offer is sent at once to a guest that asked for offers. */
	T_EQ(vmbus_testdev_offer(b.srv, 5, NULL), 0);
	pump(&b);
	T_ASSERT(vmbus_client_find_offer(&b.cl, &test_guid, 0) != NULL);
	T_EQ(vmbus_server_get_stats(b.srv)->proto_errors, 0);
	bus_fini(&b);
}

/* A device names its channel's bounce buffer (the largest wrapped packet
 * it takes) in the offer; 0 keeps the server's default (64 KiB). */
static int scratch_open(void *dev, struct vmbus_channel *ch)
{
	uint32_t *seen = dev;

	seen[vmbus_channel_offer(ch)->sub_channel_index] = vmbus_channel_rx(ch)->scratch_size;
	return 0;
}

static void scratch_close(void *dev, struct vmbus_channel *ch)
{
	(void)dev;
	(void)ch;
}

static const struct vmbus_device_ops scratch_ops = { .open = scratch_open, .close = scratch_close };

static void test_offer_scratch_size(void)
{
	struct vmbus_offer_params op;
	struct bus b;
	uint32_t seen[2] = { 0, 0 }, gpadl, k, i;

	bus_init(&b, 0);
	for (k = 0; k < 2; k++) {
		memset(&op, 0, sizeof(op));
		op.if_type = test_guid;
		op.sub_channel_index = (uint16_t)k;
		op.ring_scratch_size = k == 0 ? 1200 : 0;
		T_EQ(vmbus_server_offer(b.srv, &op, &scratch_ops, seen, NULL), 0);
	}
	bus_connect(&b);
	for (k = 0; k < 2; k++) {
		struct vmbus_client_offer *o = vmbus_client_find_offer(&b.cl, &test_guid, (uint16_t)k);
		uint64_t pfns[8], base = alloc_pages(&b, 8);

		T_ASSERT(o != NULL);
		for (i = 0; i < 8; i++)
			pfns[i] = base + i;
		T_EQ(vmbus_client_rings_format(b.mem.base + base * 4096, 4 * 4096, 4 * 4096), 0);
		open_channel(&b, o->msg.child_relid, pfns, 4, &gpadl);
	}
	T_EQ(seen[0], 1200);
	T_EQ(seen[1], 64 * 1024);
	bus_fini(&b);
}

int main(void)
{
	T_RUN(test_lifecycle_and_echo);
	T_RUN(test_version_fallback);
	T_RUN(test_scattered_ring_pages);
	T_RUN(test_rescind);
	T_RUN(test_offer_scratch_size);
	return 0;
}
