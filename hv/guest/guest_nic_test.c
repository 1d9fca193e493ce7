/* The KVM test guest for the synthetic NIC: two netVSC NICs, driven by the
 * same freestanding core process partitions use (Linux 6.1's init
 * sequence against netVSP), joined back to back on the host by
 * `hv --nic-pair`. Frames of several sizes go from each NIC to the other
 * and must arrive in order with their exact bytes. Each failed step exits
 * with its own code and a FAIL line. */
#include "common/hvn_errno.h"
#include "hv/guest/guest_rt.h"
#include "netvsc/netvsc.h"
#include "proto/nvsp_wire.h"

#define NICS 2
#define RING_PAGES 8            /* per direction */
#define RBUF_PAGES 32           /* 128 KiB: ~70 sub-allocations at MTU 1500 */
#define SBUF_PAGES 16           /* 64 KiB: 10 sections */
#define FRAMES 120              /* each way; the emulator runs ~1 M instr/s */

struct nic {
	struct vmbus_client_channel ch;
	struct netvsc n;
	struct netvsc_queue q;
	uint32_t gpadls[3];
	uint32_t relid;
	uint32_t sent, got;
	uint8_t scratch[2048];
	uint8_t ring[2 * RING_PAGES * GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));
	uint8_t rbuf[RBUF_PAGES * GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));
	uint8_t sbuf[SBUF_PAGES * GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));
};

static struct nic nics[NICS] __attribute__((aligned(GUEST_PAGE)));
static struct vmbus_client client;
static struct g_hv hv;

static bool any_ready(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < NICS; i++)
		if (nics[i].relid && vmbus_ring_bytes_to_read(&nics[i].ch.rx))
			return true;
	return g_hv_msg_ready(&hv);
}

/* netvsc_ops.wait: sleep until a channel has data, a message came, or
 * the timer fires. The event flags are cleared first: the SynIC only
 * interrupts on a flag's 0 -> 1 change. */
static int op_wait(void *ctx, int timeout_ms)
{
	(void)ctx;
	for (unsigned int i = 0; i < NICS; i++)
		if (nics[i].relid)
			g_hv_take_event(&hv, nics[i].relid);
	g_timer_arm((uint32_t)timeout_ms);
	g_wait(any_ready, 0);
	return 0;
}

static int op_signal(void *ctx, uint16_t queue)
{
	struct nic *nc = ctx;

	(void)queue;
	return vmbus_client_channel_signal(&client, &nc->ch);
}

static const struct netvsc_ops nic_ops = {
	.wait = op_wait,
	.signal = op_signal,
	.open_subchannel = 0,   /* one queue per NIC here */
};

static void nic_up(struct nic *nc, const struct vmbus_client_offer *o, int code)
{
	nc->gpadls[0] = g_channel_open(&hv, &client, o, nc->ring, RING_PAGES, &nc->ch,
				       nc->scratch, sizeof(nc->scratch), code);
	nc->relid = o->msg.child_relid;
	nc->gpadls[1] = g_gpadl(&hv, &client, nc->relid, nc->rbuf, RBUF_PAGES, code + 4);
	nc->gpadls[2] = g_gpadl(&hv, &client, nc->relid, nc->sbuf, SBUF_PAGES, code + 5);
	nc->q.ch = &nc->ch;
	nc->n.ops = &nic_ops;
	nc->n.ctx = nc;
	nc->n.queues = &nc->q;
	nc->n.max_queues = 1;
	nc->n.rbuf = nc->rbuf;
	nc->n.rbuf_size = sizeof(nc->rbuf);
	nc->n.rbuf_gpadl = nc->gpadls[1];
	nc->n.sbuf = nc->sbuf;
	nc->n.sbuf_size = sizeof(nc->sbuf);
	nc->n.sbuf_gpadl = nc->gpadls[2];
	nc->n.sbuf_gpa = (uint64_t)(uintptr_t)nc->sbuf;
	if (netvsc_init(&nc->n, 5000) != 0)
		g_fail(code + 6, "netVSC init (NVSP, buffers, RNDIS) failed");
	if (nc->n.nvsp_version != NVSP_VERSION_61)
		g_fail(code + 7, "NVSP 6.1 was not negotiated");
	if (!nc->n.link_up)
		g_fail(code + 8, "link is down");
}

/* Frame k of 'from': Ethernet header to the other NIC, then a pattern a
 * word at a time (byte loops cost too much on the emulator). */
static uint32_t frame_len(uint32_t k)
{
	static const uint32_t sizes[] = { 60, 64, 128, 512, 1000, 1514 };

	return sizes[k % (sizeof(sizes) / sizeof(sizes[0]))];
}

static void frame_fill(uint64_t *w, uint32_t len, unsigned int from, uint32_t k)
{
	for (uint32_t i = 0; i < (len + 7) / 8; i++)
		w[i] = ((uint64_t)from << 56) ^ ((uint64_t)k << 32) ^ (i * 0x9e3779b1u);
	/* 02:00:00:00:01:0N, N = 1 + the other NIC; EtherType 0x88b5 (local
	 * experimental). */
	((uint8_t *)w)[0] = 0x02;
	((uint8_t *)w)[1] = ((uint8_t *)w)[2] = ((uint8_t *)w)[3] = 0;
	((uint8_t *)w)[4] = 0x01;
	((uint8_t *)w)[5] = (uint8_t)(2 - from);
	((uint8_t *)w)[12] = 0x88;
	((uint8_t *)w)[13] = 0xb5;
}

static void receive(struct nic *nc, unsigned int from)
{
	static uint64_t want[1514 / 8 + 1];
	struct netvsc_frame f[16];
	unsigned int n = netvsc_rx_burst(&nc->q, f, 16);

	for (unsigned int i = 0; i < n; i++) {
		uint32_t len = frame_len(nc->got);

		if (f[i].len != len)
			g_fail(80, "a frame arrived with the wrong length (lost or reordered)");
		frame_fill(want, len, from, nc->got);
		/* Compare whole words, then the tail. */
		for (uint32_t w = 0; w < len / 8; w++) {
			uint64_t v;

			memcpy(&v, f[i].data + w * 8, 8);
			if (v != want[w])
				g_fail(81, "frame bytes differ");
		}
		if (memcmp(f[i].data + (len & ~7u), (uint8_t *)want + (len & ~7u), len & 7))
			g_fail(81, "frame tail differs");
		nc->got++;
	}
	netvsc_rx_release(&nc->q);
}

static void exchange(void)
{
	static uint64_t buf[1514 / 8 + 1];
	unsigned int idle = 0;

	while (nics[0].got < FRAMES || nics[1].got < FRAMES) {
		bool progress = false;

		for (unsigned int s = 0; s < NICS; s++) {
			struct nic *tx = &nics[s];

			if (tx->sent < FRAMES) {
				uint32_t len = frame_len(tx->sent);
				int rc;

				frame_fill(buf, len, s, tx->sent);
				rc = netvsc_send(&tx->q, buf, len, 0);
				if (rc == 0) {
					tx->sent++;
					progress = true;
				} else if (rc != -HVN_EAGAIN) {
					g_fail(82, "netvsc_send refused a frame");
				}
				netvsc_tx_flush(&tx->q);
			}
		}
		for (unsigned int r = 0; r < NICS; r++) {
			uint32_t before = nics[r].got;

			receive(&nics[r], 1 - r);
			progress |= nics[r].got != before;
		}
		if (progress) {
			idle = 0;
			continue;
		}
		if (++idle > 200)
			g_fail(83, "frames stopped arriving");
		op_wait(0, 50);
	}
}

int guest_main(const char *cmdline)
{
	static const struct vmbus_guid nic_guid = NVSP_NIC_GUID_INIT;
	const struct vmbus_client_offer *offers[NICS];
	unsigned int found = 0;

	(void)cmdline;
	g_puts("HVNET-NIC-GUEST: start\n");
	g_hv_setup(&hv);
	g_irq_setup();
	g_vmbus_up(&hv, &client);
	for (unsigned int i = 0; i < VMBUS_CLIENT_MAX_OFFERS && found < NICS; i++) {
		const struct vmbus_client_offer *o = &client.offers[i];

		if (o->state == VMBUS_CHAN_OFFERED && o->msg.sub_channel_index == 0 &&
		    !memcmp(&o->msg.if_type, &nic_guid, sizeof(nic_guid)))
			offers[found++] = o;
	}
	if (found != NICS)
		g_fail(44, "two synthetic NICs were not offered (run hv with --nic-pair)");
	for (unsigned int i = 0; i < NICS; i++)
		nic_up(&nics[i], offers[i], 50 + 10 * (int)i);
	g_puts("HVNET-NIC-GUEST: two NICs up (NVSP 6.1, RNDIS), MACs ");
	for (unsigned int i = 0; i < NICS; i++) {
		g_putx(nics[i].n.mac[5]);
		g_puts(i + 1 < NICS ? " " : "\n");
	}

	exchange();

	for (unsigned int i = 0; i < NICS; i++) {
		struct netvsc_stats st;

		netvsc_stats_sum(&nics[i].n, &st);
		if (st.rx_bad || st.bad_msgs)
			g_fail(84, "netVSC counted malformed frames or messages");
		if (netvsc_halt(&nics[i].n, 5000) != 0)
			g_fail(85, "RNDIS halt / buffer revoke failed");
		g_channel_close(&hv, &client, nics[i].relid, nics[i].gpadls, 3, 86);
	}
	g_puts("HVNET-NIC-GUEST: PASS ");
	g_putu(nics[0].got + nics[1].got);
	g_puts(" frames both ways, vmbus-irqs=");
	g_putu(g_vmbus_irqs);
	g_puts("\n");
	return 0;
}
