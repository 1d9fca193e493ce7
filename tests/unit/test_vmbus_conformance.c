/* Conformance: replays, message by message, what a Linux 6.1 guest posts
 * when hv_vmbus loads and hv_netvsc opens its channel, and checks every
 * answer byte for byte. Messages and expected answers are written from the
 * offsets in the reference (include/linux/hyperv.h, connection.c,
 * channel.c), not from hvnet's structs, so a layout slip in
 * proto/vmbus_wire.h fails here. */
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_server.h"
#include "vmbus/vmbus_testdev.h"

#define MEM_SIZE (4u << 20)

struct capture {
	uint8_t msg[64][240];
	uint32_t len[64];
	unsigned int n;
};

static int cap_post(void *ctx, const void *msg, uint32_t len)
{
	struct capture *c = ctx;

	T_ASSERT(c->n < 64);
	memcpy(c->msg[c->n], msg, len);
	c->len[c->n] = len;
	c->n++;
	return 0;
}

static void cap_signal(void *ctx, uint32_t relid, uint32_t vp)
{
	(void)ctx;
	(void)relid;
	(void)vp;
}

static const struct vmbus_server_transport cap_tr = { .post = cap_post, .signal = cap_signal };

static void put16(uint8_t *b, unsigned int off, uint16_t v) { memcpy(b + off, &v, 2); }
static void put32(uint8_t *b, unsigned int off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(uint8_t *b, unsigned int off, uint64_t v) { memcpy(b + off, &v, 8); }
static uint32_t get32(const uint8_t *b, unsigned int off) { uint32_t v; memcpy(&v, b + off, 4); return v; }

/* Posts a message and returns how many answers it produced. */
static unsigned int send(struct vmbus_server *s, struct capture *c, uint32_t conn,
			 const uint8_t *m, uint32_t len)
{
	unsigned int before = c->n;

	T_EQ(vmbus_server_handle_msg(s, conn, m, len), 0);
	return c->n - before;
}

static void expect(const struct capture *c, unsigned int i, const uint8_t *want, uint32_t len)
{
	unsigned int k;

	T_EQ(c->len[i], len);
	for (k = 0; k < len; k++)
		if (c->msg[i][k] != want[k])
			T_FAIL("answer %u byte %u: got %#x want %#x", i, k,
			       c->msg[i][k], want[k]);
}

/* connection.c vmbus_negotiate_version: struct vmbus_channel_initiate_contact. */
static uint32_t initiate_contact(uint8_t *m, uint32_t version)
{
	memset(m, 0, 40);
	put32(m, 0, 14);
	put32(m, 8, version);
	put32(m, 12, 0);                  /* target_vcpu: VMBUS_CONNECT_CPU */
	if (version >= 0x50000)
		m[16] = 2;                /* msg_sint = VMBUS_MESSAGE_SINT */
	else
		put64(m, 16, 0x1000);     /* interrupt_page */
	put64(m, 24, 0x2000);             /* monitor_page1 */
	put64(m, 32, 0x3000);             /* monitor_page2 */
	return 40;
}

static void version_response(uint8_t *w, bool ok)
{
	memset(w, 0, 16);
	put32(w, 0, 15);
	w[8] = ok;
	w[9] = 0;                         /* connection_state: success */
	put32(w, 12, ok ? 1 : 0);         /* msg_conn_id */
}

static void test_linux61_sequence(void)
{
	struct vmbus_server_config cfg = { .name = "linux61" };
	struct vmbus_mem mem = { .size = MEM_SIZE, .fd = -1 };
	struct capture *c = calloc(1, sizeof(*c));
	struct vmbus_server *s;
	uint8_t m[240], w[240];
	uint32_t relid, conn_id, gpadl = 0xE1E11, i, pfn0 = 64, done, len;

	mem.base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	T_ASSERT(mem.base != MAP_FAILED);
	s = vmbus_server_create(&cfg, &mem, &cap_tr, c);
	T_EQ(vmbus_testdev_offer(s, 0, NULL), 0);

	/* 1. INITIATE_CONTACT 5.3 on connection 4. */
	T_EQ(send(s, c, 4, m, initiate_contact(m, 0x50003)), 1);
	version_response(w, true);
	expect(c, 0, w, 16);

	/* 2. REQUESTOFFERS on connection 1 (msg_conn_id). */
	memset(m, 0, 8);
	put32(m, 0, 3);
	T_EQ(send(s, c, 1, m, 8), 2);
	T_EQ(c->len[1], 196);                     /* vmbus_channel_offer_channel */
	T_EQ(get32(c->msg[1], 0), 1);             /* OFFERCHANNEL */
	T_EQ(get32(c->msg[1], 4), 0);             /* padding */
	{
		const uint8_t guid[16] = { 0x10, 0x9c, 0x7b, 0x8a, 0x8d, 0x4f, 0x5e, 0x4f,
					   0x9c, 0x1a, 0x68, 0x76, 0x6e, 0x65, 0x74, 0x30 };

		T_EQ(memcmp(c->msg[1] + 8, guid, 16), 0);      /* if_type */
	}
	T_EQ(c->msg[1][180] | c->msg[1][181] << 8, 0);     /* sub_channel_index */
	relid = get32(c->msg[1], 184);
	T_ASSERT(relid != 0);
	T_EQ(c->msg[1][188], 0);                  /* monitorid */
	T_EQ(c->msg[1][189] & 1, 0);              /* monitor_allocated */
	T_EQ(c->msg[1][190] & 1, 1);              /* is_dedicated_interrupt */
	conn_id = get32(c->msg[1], 192);
	T_ASSERT(conn_id > 4);                    /* never collides with 1..4 */
	T_EQ(c->len[2], 8);
	T_EQ(get32(c->msg[2], 0), 4);             /* ALLOFFERS_DELIVERED */

	/* 3. GPADL for a 2 x 512 KiB ring: 256 PFNs, 26 in the header, 28 in
	 * each of 8 bodies, 6 in the last (channel.c create_gpadl_header). */
	memset(m, 0, sizeof(m));
	put32(m, 0, 8);
	put32(m, 8, relid);
	put32(m, 12, gpadl);
	put16(m, 16, (uint16_t)(8 + 256 * 8));    /* range_buflen */
	put16(m, 18, 1);                          /* rangecount */
	put32(m, 20, 256 * 4096);                 /* byte_count */
	put32(m, 24, 0);                          /* byte_offset */
	for (i = 0; i < 26; i++)
		put64(m, 28 + 8 * i, pfn0 + i);
	T_EQ(send(s, c, 1, m, 28 + 26 * 8), 0);   /* no answer until complete */
	for (done = 26; done < 256; done += len) {
		len = 256 - done < 28 ? 256 - done : 28;
		memset(m, 0, sizeof(m));
		put32(m, 0, 9);
		put32(m, 8, 0);                   /* msgnumber: Linux leaves 0 */
		put32(m, 12, gpadl);
		for (i = 0; i < len; i++)
			put64(m, 16 + 8 * i, pfn0 + done + i);
		T_EQ(send(s, c, 1, m, 16 + len * 8), done + len == 256 ? 1 : 0);
	}
	memset(w, 0, 20);
	put32(w, 0, 10);                          /* GPADL_CREATED */
	put32(w, 8, relid);
	put32(w, 12, gpadl);
	put32(w, 16, 0);
	expect(c, 3, w, 20);

	/* The guest formats its rings before OPENCHANNEL (Linux zeroes the
	 * pages and sets feat_pending_send_sz). */
	mem.base[pfn0 * 4096 + 64] = 1;
	mem.base[(pfn0 + 128) * 4096 + 64] = 1;

	/* 4. OPENCHANNEL: openid = relid, target_vp 0, downstream at 128. */
	memset(m, 0, sizeof(m));
	put32(m, 0, 5);
	put32(m, 8, relid);
	put32(m, 12, relid);
	put32(m, 16, gpadl);
	put32(m, 20, 0);
	put32(m, 24, 128);
	T_EQ(send(s, c, 1, m, 148), 1);
	memset(w, 0, 20);
	put32(w, 0, 6);                           /* OPENCHANNEL_RESULT */
	put32(w, 8, relid);
	put32(w, 12, relid);
	put32(w, 16, 0);
	expect(c, 4, w, 20);
	T_EQ(vmbus_server_handle_signal(s, conn_id), 0);

	/* 5. MODIFYCHANNEL on 5.3 gets MODIFYCHANNEL_RESPONSE. */
	memset(m, 0, 16);
	put32(m, 0, 22);
	put32(m, 8, relid);
	put32(m, 12, 1);
	T_EQ(send(s, c, 1, m, 16), 1);
	memset(w, 0, 16);
	put32(w, 0, 24);
	put32(w, 8, relid);
	put32(w, 12, 0);
	expect(c, 5, w, 16);

	/* 6. CLOSECHANNEL: no answer. */
	memset(m, 0, 12);
	put32(m, 0, 7);
	put32(m, 8, relid);
	T_EQ(send(s, c, 1, m, 12), 0);
	T_EQ(vmbus_server_handle_signal(s, conn_id), 18);  /* closed: invalid id */

	/* 7. GPADL_TEARDOWN after the close (4.0+). */
	memset(m, 0, 16);
	put32(m, 0, 11);
	put32(m, 8, relid);
	put32(m, 12, gpadl);
	T_EQ(send(s, c, 1, m, 16), 1);
	memset(w, 0, 12);
	put32(w, 0, 12);                          /* GPADL_TORNDOWN */
	put32(w, 8, gpadl);
	expect(c, 6, w, 12);

	/* 8. UNLOAD. */
	memset(m, 0, 8);
	put32(m, 0, 16);
	T_EQ(send(s, c, 1, m, 8), 1);
	memset(w, 0, 8);
	put32(w, 0, 17);
	expect(c, 7, w, 8);

	T_EQ(vmbus_server_get_stats(s)->proto_errors, 0);
	T_EQ(vmbus_server_get_stats(s)->gpadls, 0);
	vmbus_server_destroy(s);
	munmap(mem.base, MEM_SIZE);
	free(c);
}

/* A host that stops at 4.0: Linux walks 5.3 .. 5.0 on connection 4, then
 * 4.1 and 4.0 on connection 1; each refusal is version_supported = 0. */
static void test_linux61_version_walk(void)
{
	static const uint32_t walk[] = { 0x50003, 0x50002, 0x50001, 0x50000, 0x40001, 0x40000 };
	struct vmbus_server_config cfg = { .name = "walk", .max_version = 0x40000 };
	struct vmbus_mem mem = { .size = MEM_SIZE, .fd = -1 };
	struct capture *c = calloc(1, sizeof(*c));
	struct vmbus_server *s;
	uint8_t m[240], w[16];
	unsigned int i;

	mem.base = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s = vmbus_server_create(&cfg, &mem, &cap_tr, c);
	for (i = 0; i < 6; i++) {
		uint32_t conn = walk[i] >= 0x50000 ? 4 : 1;

		T_EQ(send(s, c, conn, m, initiate_contact(m, walk[i])), 1);
		version_response(w, i == 5);
		expect(c, i, w, 16);
	}
	/* 5.0+ is never accepted on connection 1, nor 4.x on connection 4. */
	vmbus_server_destroy(s);
	c->n = 0;
	cfg.max_version = 0;
	s = vmbus_server_create(&cfg, &mem, &cap_tr, c);
	T_EQ(send(s, c, 1, m, initiate_contact(m, 0x50003)), 1);
	version_response(w, false);
	expect(c, 0, w, 16);
	T_EQ(send(s, c, 4, m, initiate_contact(m, 0x40000)), 1);
	expect(c, 1, w, 16);
	/* A connection id the host does not listen on fails the hypercall. */
	T_EQ(vmbus_server_handle_msg(s, 7, m, 40), 18);
	vmbus_server_destroy(s);
	munmap(mem.base, MEM_SIZE);
	free(c);
}

int main(void)
{
	T_RUN(test_linux61_sequence);
	T_RUN(test_linux61_version_walk);
	return 0;
}
