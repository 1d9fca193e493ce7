/* The KVM test guest: proves the enlightenments and the VMBus over SynIC
 * the way a Linux guest uses them. It checks the CPUID leaves, sets up the
 * hypercall page and the SynIC, checks the TLFS status of bad hypercalls,
 * negotiates VMBus, receives offers, builds a ring GPADL, opens the host's
 * test device (echo), exchanges packets both ways, closes, tears down and
 * unloads. Each failed step exits with its own code and a FAIL line. */
#include "hv/guest/guest_rt.h"
#include "common/hvn_errno.h"
#include "hv/hv_hyperv.h"
#include "vmbus/vmbus_testdev.h"

#define RING_PAGES 4                     /* per direction, control page included */
#define NPKTS 256
#define PAYLOAD 64
#define BATCH 32

static uint8_t ring_mem[2 * RING_PAGES * GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));
static uint8_t ring_scratch[512];
static struct vmbus_client client;
static struct g_hv hv;

static uint32_t sigword(const char s[4])
{
	return (uint32_t)(uint8_t)s[0] | (uint32_t)(uint8_t)s[1] << 8 |
	       (uint32_t)(uint8_t)s[2] << 16 | (uint32_t)(uint8_t)s[3] << 24;
}

static void check_cpuid(void)
{
	uint32_t r[4];

	g_cpuid(1, r);
	if (!(r[2] & (1u << 31)))
		g_fail(2, "CPUID.1:ECX.hypervisor is clear");
	g_cpuid(0x40000000, r);
	if (r[1] != sigword("Micr") || r[2] != sigword("osof") || r[3] != sigword("t Hv"))
		g_fail(3, "CPUID 0x40000000 is not \"Microsoft Hv\"");
	if (r[0] < 0x40000005 || r[0] > 0x4000ffff)
		g_fail(4, "CPUID 0x40000000.EAX out of Linux's range");
	g_cpuid(0x40000003, r);
	if ((r[0] & 0x60) != 0x60)
		g_fail(5, "HYPERCALL or VP_INDEX MSR not advertised");
	if (r[1] & ((1u << 1) | (1u << 12)))
		g_fail(6, "partition-id or CPU-management privilege advertised");
	if ((r[1] & 0x30) != 0x30)
		g_fail(7, "PostMessage/SignalEvent not advertised");
	g_cpuid(0x40000004, r);
	if (!(r[0] & (1u << 9)))
		g_fail(8, "the AEOI-deprecated hint is missing");
	for (uint32_t leaf = 0x40000100; leaf <= 0x40000100; leaf += 0x100) {
		g_cpuid(leaf, r);
		if (r[1] == sigword("KVMK"))
			g_fail(9, "a KVM signature is visible");
	}
}

static void check_msrs(void)
{
	uint64_t t0, t1;
	struct { uint32_t seq, rsvd; uint64_t scale; int64_t off; } *tsc;
	static uint8_t tsc_page[GUEST_PAGE] __attribute__((aligned(GUEST_PAGE)));

	if (!(g_rdmsr(HV_MSR_HYPERCALL) & 1))
		g_fail(10, "hypercall MSR does not read back enabled");
	if (hv.hypercall_page[0] != 0xe6)
		g_fail(11, "no trampoline in the hypercall page");
	if (g_rdmsr(HV_MSR_VP_INDEX) != 0)
		g_fail(12, "VP index of the boot VP is not 0");
	g_wrmsr(HV_MSR_VP_ASSIST_PAGE, 0);
	if (g_rdmsr(HV_MSR_SVERSION) != 1)
		g_fail(13, "SVERSION is not 1");
	if (g_rdmsr(HV_MSR_SINT0 + HV_VMBUS_SINT) != GUEST_VMBUS_VECTOR)
		g_fail(14, "SINT2 does not read back");
	if (!g_rdmsr(HV_MSR_TSC_FREQUENCY))
		g_fail(15, "TSC frequency MSR is 0");
	t0 = g_rdmsr(HV_MSR_TIME_REF_COUNT);
	t1 = g_rdmsr(HV_MSR_TIME_REF_COUNT);
	if (t1 < t0)
		g_fail(16, "reference counter went backwards");
	g_wrmsr(HV_MSR_REFERENCE_TSC, (uint64_t)(uintptr_t)tsc_page | 1);
	tsc = (void *)tsc_page;
	if (!tsc->seq || !tsc->scale)
		g_fail(17, "TSC page not filled");
}

/* Bad hypercalls get their TLFS status (reference §1.4). */
static void check_hypercall_errors(void)
{
	struct hv_input_post_message *in = (void *)hv.post_input;
	uint64_t in_gpa = (uint64_t)(uintptr_t)in;
	static const struct { uint64_t ctl, in; uint16_t want; const char *what; } fast[] = {
		{ 0x7fff, 0, HV_STATUS_INVALID_HYPERCALL_CODE, "unknown code" },
		{ HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, 0x1ull << 32,
		  HV_STATUS_INVALID_PORT_ID, "signal with flag number 1" },
		{ HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, 0x1ull << 48,
		  HV_STATUS_INVALID_HYPERCALL_INPUT, "signal with reserved bits" },
		{ HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, 0x77777,
		  HV_STATUS_INVALID_CONNECTION_ID, "signal to nobody's connection" },
		{ HVCALL_POST_MESSAGE | HV_HYPERCALL_FAST_BIT, 0, HV_STATUS_INVALID_HYPERCALL_INPUT,
		  "fast post" },
		{ HVCALL_POST_MESSAGE | (1ull << 32), 0, HV_STATUS_INVALID_HYPERCALL_INPUT,
		  "post with a rep count" },
		{ HVCALL_POST_MESSAGE, 0x1003, HV_STATUS_INVALID_ALIGNMENT, "misaligned input" },
		{ HVCALL_POST_MESSAGE, 0xff8, HV_STATUS_INVALID_ALIGNMENT, "input across a page" },
		{ HVCALL_POST_MESSAGE, 0xf0000000ull, HV_STATUS_INVALID_PARAMETER,
		  "input outside the partition" },
	};

	for (unsigned int i = 0; i < sizeof(fast) / sizeof(fast[0]); i++) {
		uint16_t st = (uint16_t)g_hypercall(&hv, fast[i].ctl, fast[i].in, 0);

		if (st != fast[i].want) {
			g_puts("status ");
			g_putu(st);
			g_puts(": ");
			g_fail(20 + (int)i, fast[i].what);
		}
	}
	memset(in, 0, sizeof(*in));
	in->connection_id = VMBUS_CONN_ID_MESSAGE_4;
	in->message_type = HV_MESSAGE_VMBUS;
	in->payload_size = 241;
	if ((uint16_t)g_hypercall(&hv, HVCALL_POST_MESSAGE, in_gpa, 0) != HV_STATUS_INVALID_PARAMETER)
		g_fail(30, "payload of 241 bytes accepted");
	in->payload_size = 8;
	in->message_type = 0x80000001u;
	if ((uint16_t)g_hypercall(&hv, HVCALL_POST_MESSAGE, in_gpa, 0) != HV_STATUS_INVALID_PARAMETER)
		g_fail(31, "hypervisor message type accepted");
	in->message_type = HV_MESSAGE_VMBUS;
	in->connection_id = 0x1234;
	if ((uint16_t)g_hypercall(&hv, HVCALL_POST_MESSAGE, in_gpa, 0) !=
	    HV_STATUS_INVALID_CONNECTION_ID)
		g_fail(32, "post to an unknown connection accepted");
}

static bool unloaded(struct vmbus_client *c, void *arg)
{
	(void)arg;
	return c->state == VMBUS_CLIENT_UNLOADED;
}

struct chan_wait {
	struct vmbus_client_channel *ch;
};

static bool chan_ready(void *arg)
{
	struct vmbus_client_channel *ch = arg;

	return vmbus_ring_bytes_to_read(&ch->rx) != 0 || g_hv_msg_ready(&hv);
}

static void fill(uint8_t *p, uint32_t seq)
{
	for (unsigned int i = 0; i < PAYLOAD; i += 4) {
		uint32_t v = seq * 2654435761u + i;

		memcpy(p + i, &v, 4);
	}
}

static void exchange(struct vmbus_client_channel *ch)
{
	uint8_t buf[PAYLOAD], want[PAYLOAD];
	struct vmbus_pkt pkts[BATCH];
	uint32_t sent = 0, got = 0;
	uint64_t events = 0;
	int err;

	while (got < NPKTS) {
		/* Keep up to two batches in flight. */
		while (sent < NPKTS && sent - got < 2 * BATCH) {
			struct vmbus_sg sg = { buf, PAYLOAD };
			struct vmbus_pkt_out o = {
				.type = VMBUS_PKT_DATA_INBAND,
				.flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
				.trans_id = sent, .sg = &sg, .nsg = 1,
			};

			fill(buf, sent);
			if (vmbus_ring_put(&ch->tx, &o) != 0)
				break;
			sent++;
		}
		if (vmbus_ring_write_commit(&ch->tx))
			vmbus_client_channel_signal(&client, ch);
		/* The echo may come back inside our own signal hypercall, so
		 * the flag is looked at on every pass, not only after a sleep. */
		if (g_hv_take_event(&hv, ch->relid))
			events++;
		unsigned int n = vmbus_ring_read_burst(&ch->rx, pkts, BATCH, &err);

		if (err)
			g_fail(60, "host corrupted the ring");
		for (unsigned int i = 0; i < n; i++) {
			if (pkts[i].desc.type != VMBUS_PKT_COMP || pkts[i].desc.trans_id != got ||
			    vmbus_pkt_payload_len(&pkts[i]) != PAYLOAD)
				g_fail(61, "echo out of order or of the wrong type");
			fill(want, got);
			if (memcmp(vmbus_pkt_payload(&pkts[i]), want, PAYLOAD))
				g_fail(62, "echo payload differs");
			got++;
		}
		if (n) {
			if (vmbus_ring_read_commit(&ch->rx))
				vmbus_client_channel_signal(&client, ch);
			continue;
		}
		/* Empty: sleep until the host's event flag interrupts us
		 * (hv_begin_read/hv_end_read). */
		if (vmbus_ring_unmask(&ch->rx))
			continue;
		g_wait(chan_ready, ch);
		vmbus_ring_mask(&ch->rx);
	}
	if (!events)
		g_fail(63, "no event flag was ever set for the channel");
	g_puts("HVNET-GUEST: echoed ");
	g_putu(got);
	g_puts(" packets, ");
	g_putu(events);
	g_puts(" channel events\n");
}

int guest_main(const char *cmdline)
{
	static const struct vmbus_guid testdev = VMBUS_TESTDEV_GUID_INIT;
	static struct vmbus_client_channel ch;
	struct vmbus_client_offer *o;
	uint32_t gpadl, relid;

	/* "exit": leave at once (bench/run hv-footprint times the launch). */
	if (cmdline[0] == 'e' && cmdline[1] == 'x' && cmdline[2] == 'i' && cmdline[3] == 't')
		return 0;
	/* "hang": never stop (tests hv --timeout). */
	if (cmdline[0] == 'h' && cmdline[1] == 'a' && cmdline[2] == 'n' && cmdline[3] == 'g')
		for (;;)
			__asm__ __volatile__("cli; hlt");
	g_puts("HVNET-GUEST: start\n");
	check_cpuid();
	g_hv_setup(&hv);
	check_msrs();
	check_hypercall_errors();
	g_irq_setup();
	g_puts("HVNET-GUEST: enlightenments ok\n");

	g_vmbus_up(&hv, &client);
	o = vmbus_client_find_offer(&client, &testdev, 0);
	if (!o)
		g_fail(44, "the test device was not offered");
	relid = o->msg.child_relid;
	g_puts("HVNET-GUEST: VMBus 5.3, test device at relid ");
	g_putu(relid);
	g_puts("\n");

	gpadl = g_channel_open(&hv, &client, o, ring_mem, RING_PAGES, &ch, ring_scratch,
			       sizeof(ring_scratch), 45);
	vmbus_ring_mask(&ch.rx);

	exchange(&ch);

	g_channel_close(&hv, &client, relid, &gpadl, 1, 70);
	if (vmbus_client_unload(&client) != 0)
		g_fail(71, "UNLOAD");
	g_vmbus_wait(&hv, &client, unloaded, 0);
	g_puts("HVNET-GUEST: PASS vmbus-irqs=");
	g_putu(g_vmbus_irqs);
	g_puts("\n");
	if (!g_vmbus_irqs)
		g_fail(72, "no SynIC interrupt was ever taken");
	return 0;
}
