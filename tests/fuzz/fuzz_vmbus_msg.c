/* libFuzzer target: the VMBus server's message state machine driven by a
 * hostile partition. Input:
 *   [cfg0] bit 0 memfd-backed (else fd = -1), bit 1 offer a second
 *          device, bit 3 transport without doorbell hooks, bit 4 cap the
 *          version at 4.0
 *   [cfg1] the 1-based post that fails (partition gone); 0 never
 *   then records [u8 sel][u8 len][len bytes]:
 *   sel < 0xe0  the bytes are a message; sel & 3 picks the connection:
 *               0, 2 -> 1; 1 -> 4; 3 -> sel >> 2
 *   sel >= 0xe0 an action on device slot sel & 3, by (sel - 0xe0) >> 2:
 *               0 guest doorbell (bytes: a raw u32 conn id instead),
 *               1 host rescind, 2 host offer, 3 guest writes its memory
 *               ([u16 gpa/8][bytes]), 4 guest queues a packet in the
 *               slot's ring ([plen8][flags: 1 completion, 2 drain the
 *               host ring first][tid][payload]), 5 the device sends,
 *               6 slot 0: doorbell_add fails ([b] bit 0); slot 1: device
 *               [b & 3] refuses opens ([b] bit 7); slot 2/3: device
 *               [b & 3] (or the slot) faults its channel, 7 device polls.
 * tests/fuzz/gen_corpus.py encodes the seeds the same way.
 *
 * The partition is 256 KiB with inaccessible guard pages around it, so a
 * GPADL view or ring that escapes it faults at once. It is a memfd, so the
 * scattered-page remapping is exercised too, unless the config asks for
 * fd = -1 (contiguous views only, as on hugepages).
 *
 * Checked: every posted message is a well-sized host->guest type and none
 * follows a failed post; requests the protocol answers get exactly one
 * answer; device callbacks come in a legal order (open/close pair, close
 * before release, doorbells only around an open channel); the rings an
 * open channel gets are readable and writable end to end; and after
 * destroy, every channel was released and nothing leaked (LSan). */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/hvn_errno.h"
#include "vmbus/vmbus_server.h"

#include "tests/fuzz/fuzz_check.h"

#define MEM_SIZE (256u * 1024u)
#define MAX_DEVS 4u
#define MAX_CHANNELS 3u /* below MAX_DEVS: offers can run out */
#define MAX_GPADLS 6u
#define SCRATCH_SIZE 256u
/* Touching a whole huge ring per open would make the fuzzer crawl; past
 * this, one byte per page still proves the mapping. */
#define TOUCH_ALL_LIMIT (256u * 1024u)

struct fz;

struct dev {
	struct fz *fz;
	struct vmbus_channel *ch; /* NULL when released (or never offered) */
	uint32_t relid;
	bool open;
	bool faulted;
	bool doorbell;
	bool refuse_open;
	/* A private remapping of scattered ring pages (outside the partition
	 * mapping): once the channel closes it must be gone, or a guest can
	 * make the host leak mappings until it runs out. */
	uint8_t *win;
	size_t win_len;
	bool win_check;           /* closed: check it was unmapped */
	bool offering;            /* inside vmbus_server_offer() */
	uint32_t results_before_open; /* OPEN_RESULTs posted before open() */
};

struct fz {
	struct vmbus_server *s;
	struct vmbus_mem mem;
	struct dev devs[MAX_DEVS];
	uint32_t fail_post_at;  /* 1-based post that fails; 0: none */
	uint32_t nposts;
	bool post_failed;
	bool doorbell_fail;
	uint32_t by_type[VMBUS_MSG_COUNT];
	bool created_ok;        /* a GPADL_CREATED with status 0 was posted */
	uint32_t created_handle;
};

static volatile uint8_t sink;
static uint8_t *g_mem;  /* the partition mapping, between guard pages */
static int g_memfd = -1;

/* ---- helpers ---- */

/* Plain loads (the result feeds a volatile store, so they stay): ASan
 * checks them, and an unmapped page faults. */
static void touch(const uint8_t *p, size_t len)
{
	uint8_t acc = 0;
	size_t i;

	if (len <= TOUCH_ALL_LIMIT) {
		for (i = 0; i < len; i++)
			acc ^= p[i];
	} else {
		for (i = 0; i < len; i += HVN_PAGE_SIZE)
			acc ^= p[i];
		acc ^= p[len - 1];
	}
	sink = acc;
}

static struct dev *dev_of(struct fz *f, const struct vmbus_channel *ch)
{
	unsigned int i;

	for (i = 0; i < MAX_DEVS; i++)
		if (f->devs[i].ch == ch && ch != NULL)
			return &f->devs[i];
	return NULL;
}

static struct dev *dev_by_relid(struct fz *f, uint32_t relid)
{
	unsigned int i;

	for (i = 0; i < MAX_DEVS; i++)
		if ((f->devs[i].ch != NULL || f->devs[i].offering) &&
		    f->devs[i].relid == relid)
			return &f->devs[i];
	return NULL;
}

/* The rings of an open channel must lie in mapped memory end to end; the
 * whole control page and data area are read, and the writer end is used. */
static void touch_ring(struct vmbus_ring *r)
{
	CHECK(r->ctl != NULL && r->data == (uint8_t *)r->ctl + HVN_PAGE_SIZE);
	CHECK(r->size >= HVN_PAGE_SIZE && (r->size & (HVN_PAGE_SIZE - 1)) == 0);
	touch((const uint8_t *)r->ctl, HVN_PAGE_SIZE);
	touch(r->data, r->size);
}

/* ---- device ---- */

/* msync() fails with ENOMEM on an unmapped range: nothing else is mapped
 * between the server's munmap and this check (it runs before the next
 * message could map another window). */
static void check_unmapped(struct dev *d)
{
	CHECK(msync(d->win, d->win_len, MS_ASYNC) == -1 && errno == ENOMEM);
	d->win_check = false;
}

static void check_windows(struct fz *f)
{
	unsigned int i;

	for (i = 0; i < MAX_DEVS; i++) {
		struct dev *d = &f->devs[i];

		if (d->win_check) {
			check_unmapped(d);
			d->win = NULL;
		}
	}
}

static int dev_open(void *p, struct vmbus_channel *ch)
{
	struct dev *d = p;
	struct vmbus_ring *rx = vmbus_channel_rx(ch), *tx = vmbus_channel_tx(ch);
	static const uint8_t hello[24] = "hvnet fuzz: host hello";
	struct vmbus_sg sg = { hello, sizeof(hello) };
	struct vmbus_pkt_out out;
	bool sig;

	CHECK(d->ch == ch && !d->open);
	CHECK(vmbus_channel_relid(ch) == d->relid);
	d->results_before_open = d->fz->by_type[VMBUS_MSG_OPENCHANNEL_RESULT];
	touch_ring(rx);
	touch_ring(tx);
	CHECK(vmbus_ring_bytes_to_read(rx) < rx->size);
	CHECK(vmbus_ring_bytes_free(tx) <= tx->size);
	/* Write through the host-to-guest ring as a VSP's first message. */
	memset(&out, 0, sizeof(out));
	out.type = VMBUS_PKT_DATA_INBAND;
	out.trans_id = 1;
	out.sg = &sg;
	out.nsg = 1;
	(void)vmbus_ring_write_burst(tx, &out, 1, &sig);
	if ((uint8_t *)rx->ctl < g_mem || (uint8_t *)rx->ctl >= g_mem + MEM_SIZE) {
		d->win = (uint8_t *)rx->ctl;
		d->win_len = (size_t)rx->size + tx->size + 2u * HVN_PAGE_SIZE;
		CHECK((uint8_t *)tx->ctl == d->win + rx->size + HVN_PAGE_SIZE);
	} else {
		/* Contiguous: both rings inside the partition. */
		CHECK((uint8_t *)tx->data + tx->size <= g_mem + MEM_SIZE);
		d->win = NULL;
	}
	if (d->refuse_open) {
		d->win_check = d->win != NULL;
		return -EIO;
	}
	d->open = true;
	return 0;
}

/* After OPEN_RESULT: the hello written in open() is waiting, so signal
 * the guest now (a signal before OPEN_RESULT may be ignored). */
static void dev_opened(void *p, struct vmbus_channel *ch)
{
	struct dev *d = p;

	CHECK(d->ch == ch && d->open && !d->faulted);
	CHECK(vmbus_channel_is_open(ch));
	CHECK(d->fz->post_failed ||
	      d->fz->by_type[VMBUS_MSG_OPENCHANNEL_RESULT] > d->results_before_open);
	vmbus_channel_signal(ch);
}

static void dev_close(void *p, struct vmbus_channel *ch)
{
	struct dev *d = p;

	CHECK(d->ch == ch && d->open);
	/* Until close returns the rings are still mapped, unless the device
	 * itself reported a fault (then the server unmapped them). */
	if (!d->faulted) {
		touch_ring(vmbus_channel_rx(ch));
		touch_ring(vmbus_channel_tx(ch));
		(void)vmbus_ring_bytes_to_read(vmbus_channel_rx(ch));
	}
	d->open = false;
	d->faulted = false;
	d->win_check = d->win != NULL;
}

static void dev_fault(struct dev *d)
{
	vmbus_channel_fault(d->ch);
	d->faulted = true;
	if (d->win != NULL) {
		check_unmapped(d);
		d->win = NULL;
	}
	CHECK(!vmbus_channel_is_open(d->ch));
	CHECK(!d->doorbell);
}

/* Drains the guest-to-host ring, answering packets that ask for a
 * completion, as a VSP's poll loop would. */
static void dev_poll(struct dev *d)
{
	struct vmbus_ring *rx = vmbus_channel_rx(d->ch), *tx = vmbus_channel_tx(d->ch);
	struct vmbus_pkt pkts[8];
	unsigned int n, i, rounds;
	bool sig = false, full = false;
	int err;

	/* Until empty: the guest cannot add packets meanwhile here. */
	for (rounds = 0; rounds < 1024; rounds++) {
		n = vmbus_ring_read_burst(rx, pkts, 8, &err);
		for (i = 0; i < n; i++) {
			CHECK(pkts[i].len >= 16 && pkts[i].off >= 16 &&
			      pkts[i].off <= pkts[i].len);
			touch(pkts[i].pkt, pkts[i].len);
			if (pkts[i].desc.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) {
				struct vmbus_pkt_out c;
				bool s1;

				memset(&c, 0, sizeof(c));
				c.type = VMBUS_PKT_COMP;
				c.trans_id = pkts[i].desc.trans_id;
				if (vmbus_ring_write_burst(tx, &c, 1, &s1) != 1) {
					if (tx->broken) {
						dev_fault(d);
						return;
					}
					/* Reply ring full: leave this request for
					 * when the guest has made room. */
					vmbus_ring_read_unread(rx, &pkts[i]);
					vmbus_ring_set_pending_send(tx, 64);
					full = true;
					break;
				}
				sig |= s1;
			}
		}
		(void)vmbus_ring_read_commit(rx);
		if (err != 0) {
			CHECK(rx->broken);
			dev_fault(d);
			return;
		}
		if (n == 0 || full)
			break;
	}
	if (sig)
		vmbus_channel_signal(d->ch);
}

static void dev_signal(void *p, struct vmbus_channel *ch)
{
	struct dev *d = p;

	/* The server only routes doorbells of open, unfaulted channels. */
	CHECK(d->ch == ch && d->open && !d->faulted);
	dev_poll(d);
}

static void dev_release(void *p, struct vmbus_channel *ch)
{
	struct dev *d = p;

	CHECK(d->ch == ch && !d->open && !d->doorbell);
	d->ch = NULL;
}

static const struct vmbus_device_ops dev_ops = {
	.open = dev_open,
	.opened = dev_opened,
	.close = dev_close,
	.signal = dev_signal,
	.release = dev_release,
};

/* ---- transport ---- */

static int t_post(void *ctx, const void *msg, uint32_t len)
{
	struct fz *f = ctx;
	struct vmbus_msg_hdr h;

	CHECK(!f->post_failed);
	CHECK(f->s == NULL || !vmbus_server_dead(f->s));
	CHECK(len >= sizeof(h) && len <= VMBUS_MSG_MAX_SIZE);
	memcpy(&h, msg, sizeof(h));
	CHECK(h.msgtype < VMBUS_MSG_COUNT && vmbus_msg_host_size(h.msgtype) == len);
	CHECK(h.padding == 0);
	if (h.msgtype == VMBUS_MSG_OFFERCHANNEL) {
		struct vmbus_msg_offer o;

		memcpy(&o, msg, sizeof(o));
		CHECK(dev_by_relid(f, o.child_relid) != NULL);
		CHECK(o.connection_id == VMBUS_CHANNEL_CONN_ID(o.child_relid));
	} else if (h.msgtype == VMBUS_MSG_OPENCHANNEL_RESULT) {
		struct vmbus_msg_open_result r;
		struct dev *d;

		memcpy(&r, msg, sizeof(r));
		/* Success only once the device accepted it. */
		d = dev_by_relid(f, r.child_relid);
		if (r.status == 0)
			CHECK(d != NULL && d->open);
	} else if (h.msgtype == VMBUS_MSG_GPADL_CREATED) {
		struct vmbus_msg_gpadl_created r;

		memcpy(&r, msg, sizeof(r));
		if (r.creation_status == 0) {
			f->created_ok = true;
			f->created_handle = r.gpadl;
		}
	} else if (h.msgtype == VMBUS_MSG_RESCIND_CHANNELOFFER) {
		struct vmbus_msg_rescind r;

		memcpy(&r, msg, sizeof(r));
		CHECK(dev_by_relid(f, r.child_relid) != NULL);
	}
	f->nposts++;
	if (f->fail_post_at != 0 && f->nposts >= f->fail_post_at) {
		f->post_failed = true;
		return -EPIPE;
	}
	f->by_type[h.msgtype]++;
	return 0;
}

static void t_signal(void *ctx, uint32_t relid, uint32_t target_vp)
{
	struct fz *f = ctx;
	struct dev *d = dev_by_relid(f, relid);

	(void)target_vp;
	CHECK(!f->post_failed);
	CHECK(d != NULL && d->open && !d->faulted);
}

static int t_doorbell_add(void *ctx, struct vmbus_channel *ch, uint32_t conn_id)
{
	struct fz *f = ctx;
	struct dev *d = dev_of(f, ch);

	CHECK(d != NULL && !d->doorbell && !d->open);
	CHECK(conn_id == vmbus_channel_conn_id(ch));
	if (f->doorbell_fail)
		return -EBUSY;
	d->doorbell = true;
	return 0;
}

static void t_doorbell_del(void *ctx, struct vmbus_channel *ch, uint32_t conn_id)
{
	struct fz *f = ctx;
	struct dev *d = dev_of(f, ch);

	CHECK(d != NULL && d->doorbell);
	CHECK(conn_id == vmbus_channel_conn_id(ch));
	d->doorbell = false;
}

static const struct vmbus_server_transport transport_db = {
	.post = t_post,
	.signal = t_signal,
	.doorbell_add = t_doorbell_add,
	.doorbell_del = t_doorbell_del,
};

/* doorbell_add/del are optional: a transport without them. */
static const struct vmbus_server_transport transport_plain = {
	.post = t_post,
	.signal = t_signal,
};

/* ---- partition memory ---- */

static void mem_init(void)
{
	uint8_t *res;

	if (g_mem != NULL)
		return;
	res = mmap(NULL, MEM_SIZE + 2u * HVN_PAGE_SIZE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(res != MAP_FAILED);
	g_memfd = memfd_create("fuzz-partition", MFD_CLOEXEC);
	if (g_memfd >= 0 && ftruncate(g_memfd, MEM_SIZE) == 0) {
		g_mem = mmap(res + HVN_PAGE_SIZE, MEM_SIZE, PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_FIXED, g_memfd, 0);
	} else {
		/* No memfd here: anonymous memory, contiguous views only. */
		if (g_memfd >= 0)
			close(g_memfd);
		g_memfd = -1;
		g_mem = mmap(res + HVN_PAGE_SIZE, MEM_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	}
	CHECK(g_mem != MAP_FAILED);
}

/* ---- actions ---- */

static void do_offer(struct fz *f, unsigned int slot)
{
	struct vmbus_offer_params p;
	struct dev *d = &f->devs[slot];
	struct vmbus_channel *ch = NULL;
	uint32_t relid;
	/* netvsc's class id, wire (little-endian) form */
	static const uint8_t netvsc_guid[16] = {
		0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46,
		0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e,
	};
	int rc;

	if (d->ch != NULL)
		return;
	memset(&p, 0, sizeof(p));
	memcpy(p.if_type.b, netvsc_guid, 16);
	p.if_instance.b[0] = (uint8_t)slot;
	/* The device learns its channel only when offer returns, but the
	 * offer may be posted (and checked) before that: predict the relid,
	 * the lowest one no live channel holds. */
	for (relid = 1; relid <= MAX_CHANNELS; relid++)
		if (dev_by_relid(f, relid) == NULL)
			break;
	memset(d, 0, sizeof(*d));
	d->fz = f;
	d->relid = relid;
	d->offering = true;
	rc = vmbus_server_offer(f->s, &p, &dev_ops, d, &ch);
	d->offering = false;
	if (rc < 0) {
		CHECK(rc == -ENOSPC && relid > MAX_CHANNELS);
		return;
	}
	CHECK(ch != NULL && vmbus_channel_relid(ch) == relid);
	d->ch = ch;
}

static void do_rescind(struct fz *f, unsigned int slot)
{
	struct dev *d = &f->devs[slot];
	int rc;

	if (d->ch == NULL)
		return;
	rc = vmbus_server_rescind(f->s, d->ch);
	CHECK(rc == 0 || rc == -EINVAL);
	if (d->ch != NULL)
		CHECK(!d->open && !d->doorbell);
}

/* A guest-to-host packet written straight into the channel's ring, as
 * the guest would, so that a doorbell has something to parse. */
static void do_guest_packet(struct fz *f, unsigned int slot, const uint8_t *a, uint32_t n)
{
	struct dev *d = &f->devs[slot];
	struct vmbus_ring *rx;
	struct vmbus_pkt_desc desc;
	uint32_t w, len, i, plen8 = n > 0 ? a[0] : 1;
	uint64_t trailer;

	if (d->ch == NULL || !d->open || d->faulted)
		return;
	rx = vmbus_channel_rx(d->ch);
	if (n > 1 && (a[1] & 2u)) {
		/* The guest has consumed all the host sent it. */
		struct vmbus_ring *tx = vmbus_channel_tx(d->ch);

		tx->ctl->read_index = tx->ctl->write_index;
	}
	w = rx->ctl->write_index;
	if (w >= rx->size || (w & 7u) != 0)
		return;
	len = 16u + plen8 * 8u;
	memset(&desc, 0, sizeof(desc));
	desc.type = VMBUS_PKT_DATA_INBAND;
	desc.offset8 = 2;
	desc.len8 = (uint16_t)(len / 8u);
	desc.flags = n > 1 ? (uint16_t)(a[1] & 1u) : 0;
	desc.trans_id = n > 2 ? a[2] : 7;
	trailer = (uint64_t)w << 32;
	for (i = 0; i < len + 8u; i++) {
		uint8_t b;

		if (i < 16)
			b = ((const uint8_t *)&desc)[i];
		else if (i >= len)
			b = ((const uint8_t *)&trailer)[i - len];
		else if (3 + (i - 16) < n)
			b = a[3 + (i - 16)]; /* payload from the input */
		else
			b = (uint8_t)i;
		rx->data[(w + i) % rx->size] = b;
	}
	rx->ctl->write_index = (w + len + 8u) % rx->size;
}

/* The device sends one packet to the guest, as a VSP would on its own. */
static void do_host_send(struct fz *f, unsigned int slot, const uint8_t *a, uint32_t n)
{
	struct dev *d = &f->devs[slot];
	struct vmbus_sg sg = { a, n };
	struct vmbus_pkt_out out;
	bool sig;

	if (d->ch == NULL || !d->open || d->faulted)
		return;
	memset(&out, 0, sizeof(out));
	out.type = VMBUS_PKT_DATA_INBAND;
	out.trans_id = 42;
	out.sg = &sg;
	out.nsg = 1;
	if (vmbus_ring_write_burst(vmbus_channel_tx(d->ch), &out, 1, &sig) != 1 &&
	    vmbus_channel_tx(d->ch)->broken) {
		dev_fault(d);
		return;
	}
	if (sig)
		vmbus_channel_signal(d->ch);
}

static void do_action(struct fz *f, uint8_t sel, const uint8_t *a, uint32_t n)
{
	unsigned int slot = sel & 3u;
	struct dev *d = &f->devs[slot];
	uint32_t conn, gpa;
	int rc;

	switch ((sel - 0xe0u) >> 2) {
	case 0: /* guest doorbell on the slot's channel, or a raw id */
		if (n >= 4)
			memcpy(&conn, a, 4);
		else
			conn = VMBUS_CHANNEL_CONN_ID(d->relid);
		rc = vmbus_server_handle_signal(f->s, conn);
		CHECK(rc == HV_STATUS_SUCCESS || rc == HV_STATUS_INVALID_CONNECTION_ID);
		if (d->ch != NULL && n < 4 && d->open && !d->faulted)
			CHECK(rc == HV_STATUS_SUCCESS);
		break;
	case 1:
		do_rescind(f, slot);
		break;
	case 2:
		do_offer(f, slot);
		break;
	case 3: /* guest writes its memory: rings, GPADL'd pages, anything */
		if (n < 2)
			break;
		gpa = ((uint32_t)a[0] | (uint32_t)a[1] << 8) * 8u % MEM_SIZE;
		n = HVN_MIN(n - 2, MEM_SIZE - gpa);
		memcpy(g_mem + gpa, a + 2, n);
		break;
	case 4:
		do_guest_packet(f, slot, a, n);
		break;
	case 5:
		do_host_send(f, slot, a, n);
		break;
	case 6:
		if (slot == 0) {
			f->doorbell_fail = n > 0 && (a[0] & 1u);
		} else if (slot == 1) {
			if (n > 0)
				f->devs[a[0] % MAX_DEVS].refuse_open = (a[0] & 0x80) != 0;
		} else {
			/* The device found its ring corrupt on its own. */
			d = &f->devs[n > 0 ? a[0] % MAX_DEVS : slot];
			if (d->ch != NULL && d->open && !d->faulted)
				dev_fault(d);
		}
		break;
	default: /* the device polls without a doorbell */
		if (d->ch != NULL && d->open && !d->faulted)
			dev_poll(d);
		break;
	}
}

/* Checks the answer a request must get (every request the protocol
 * answers is answered once; Linux waits for them with no timeout). */
static void check_answer(struct fz *f, uint32_t conn, const uint8_t *msg, uint32_t len,
			 const uint32_t *before, bool connected, int rc)
{
	uint32_t type, want = VMBUS_MSG_INVALID, min = 0;

	if (conn != VMBUS_CONN_ID_MESSAGE && conn != VMBUS_CONN_ID_MESSAGE_4) {
		CHECK(rc == HV_STATUS_INVALID_CONNECTION_ID);
		return;
	}
	if (len > VMBUS_MSG_MAX_SIZE) {
		CHECK(rc == HV_STATUS_INVALID_PARAMETER);
		return;
	}
	CHECK(rc == HV_STATUS_SUCCESS);
	if (f->post_failed || len < 8)
		return;
	memcpy(&type, msg, 4);
	switch (type) {
	case VMBUS_MSG_INITIATE_CONTACT:
		want = VMBUS_MSG_VERSION_RESPONSE;
		min = sizeof(struct vmbus_msg_initiate_contact);
		connected = true; /* needs no connection */
		break;
	case VMBUS_MSG_UNLOAD:
		want = VMBUS_MSG_UNLOAD_RESPONSE;
		min = sizeof(struct vmbus_msg_hdr);
		connected = true;
		break;
	case VMBUS_MSG_OPENCHANNEL:
		want = VMBUS_MSG_OPENCHANNEL_RESULT;
		min = sizeof(struct vmbus_msg_open);
		break;
	case VMBUS_MSG_GPADL_TEARDOWN:
		want = VMBUS_MSG_GPADL_TORNDOWN;
		min = sizeof(struct vmbus_msg_gpadl_teardown);
		break;
	case VMBUS_MSG_REQUESTOFFERS:
		want = VMBUS_MSG_ALLOFFERS_DELIVERED;
		min = sizeof(struct vmbus_msg_hdr);
		break;
	default:
		return;
	}
	if (len < min || !connected)
		return;
	if (conn == VMBUS_CONN_ID_MESSAGE_4 && type != VMBUS_MSG_INITIATE_CONTACT)
		return;
	CHECK(f->by_type[want] == before[want] + 1);
}

static void run(struct fz *f, const uint8_t *data, size_t size)
{
	struct vmbus_server_config cfg;
	uint8_t c0 = size > 0 ? data[0] : 0, c1 = size > 1 ? data[1] : 0;
	size_t pos = size > 2 ? 2 : size;
	unsigned int i;

	memset(g_mem, 0, MEM_SIZE);
	f->mem.base = g_mem;
	f->mem.size = MEM_SIZE;
	f->mem.fd = (c0 & 1u) ? g_memfd : -1;
	f->mem.hugetlb = false;
	f->fail_post_at = c1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.name = "fuzz";
	cfg.max_version = (c0 & 0x10u) ? VMBUS_VERSION_WIN10 : 0;
	cfg.max_gpadls = MAX_GPADLS;
	cfg.max_channels = MAX_CHANNELS;
	cfg.ring_scratch_size = SCRATCH_SIZE;
	f->s = vmbus_server_create(&cfg, &f->mem,
				   (c0 & 0x08u) ? &transport_plain : &transport_db, f);
	CHECK(f->s != NULL);
	do_offer(f, 0);
	if (c0 & 0x02u)
		do_offer(f, 1);

	while (pos + 2 <= size) {
		uint8_t sel = data[pos];
		uint32_t len = HVN_MIN((uint32_t)data[pos + 1], (uint32_t)(size - pos - 2));
		const uint8_t *msg = data + pos + 2;

		pos += 2 + len;
		if (sel < 0xe0) {
			uint32_t before[VMBUS_MSG_COUNT], conn;
			bool connected = vmbus_server_get_stats(f->s)->version != 0;
			int rc;

			switch (sel & 3u) {
			case 1: conn = VMBUS_CONN_ID_MESSAGE_4; break;
			case 3: conn = sel >> 2; break;
			default: conn = VMBUS_CONN_ID_MESSAGE; break;
			}
			memcpy(before, f->by_type, sizeof(before));
			f->created_ok = false;
			rc = vmbus_server_handle_msg(f->s, conn, msg, len);
			check_answer(f, conn, msg, len, before, connected, rc);
			if (f->created_ok) {
				/* A GPADL reported created is complete, inside
				 * the partition and findable by devices. */
				struct vmbus_gpadl_info gi;

				CHECK(vmbus_server_gpadl_info(f->s, f->created_handle, &gi) == 0);
				CHECK(gi.handle == f->created_handle);
				CHECK(gi.npages > 0 && gi.npages <= 0xffffu / 8u);
				CHECK(gi.total_bytes > 0 &&
				      gi.total_bytes <= (uint64_t)gi.npages * HVN_PAGE_SIZE);
			}
		} else {
			do_action(f, sel, msg, len);
		}
		if (f->post_failed)
			CHECK(vmbus_server_dead(f->s));
		check_windows(f);
		for (i = 0; i < MAX_DEVS; i++) {
			struct dev *d = &f->devs[i];

			if (d->ch == NULL)
				continue;
			/* A doorbell exists exactly while the channel is open
			 * and not faulted (when the transport routes them). */
			CHECK(!d->doorbell || (d->open && !d->faulted));
			if (d->open && !d->faulted && !(c0 & 0x08u))
				CHECK(d->doorbell);
			CHECK(vmbus_channel_is_open(d->ch) == (d->open && !d->faulted));
		}
		CHECK(vmbus_server_get_stats(f->s)->gpadls <= MAX_GPADLS);
	}

	vmbus_server_destroy(f->s);
	f->s = NULL;
	check_windows(f);
	for (i = 0; i < MAX_DEVS; i++) {
		CHECK(f->devs[i].ch == NULL);
		CHECK(!f->devs[i].open && !f->devs[i].doorbell);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *f;

	mem_init();
	f = calloc(1, sizeof(*f));
	CHECK(f != NULL);
	run(f, data, size);
	free(f);
	return 0;
}
