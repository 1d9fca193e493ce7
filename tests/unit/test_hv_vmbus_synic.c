/* The real VMBus server carried over the SynIC by hv/hv_vmbus.c, driven by
 * a scripted guest the way Linux drives it, all in this process: every
 * request is an hv_input_post_message written into guest memory and an
 * HvPostMessage through hv_hyperv_hypercall(); every answer is read from
 * VP 0's SINT2 slot with vmbus_signal_eom()'s handshake; channel traffic
 * is signalled with a fast HvSignalEvent and comes back as an event flag on
 * the channel's target VP (reference §1.4-1.5). The guest's protocol logic
 * is vmbus/vmbus_client.c, as in the KVM test guest.
 *
 * hv_vmbus_create() takes a struct hv_partition, which only KVM makes, so
 * the partition is created (never run) and the test is skipped where
 * /dev/kvm is missing. */
#include "common/hvn_errno.h"
#include "hv/hv.h"
#include "hv/hv_hyperv.h"
#include "hv/hv_vmbus.h"
#include "tests/unit/hv_test_util.h"
#include "vmbus/vmbus_client.h"
#include "vmbus/vmbus_testdev.h"

#define MEM_BYTES (16ull << 20)
#define NR_VPS 2
#define VMBUS_VECTOR 0xf3      /* HYPERVISOR_CALLBACK_VECTOR */
#define HC_PAGE 0x10000ull
#define SIMP_GPA(vp) (0x11000ull + (vp) * 0x2000ull)
#define SIEFP_GPA(vp) (0x12000ull + (vp) * 0x2000ull)
#define POST_IN 0x20000ull
#define RING_GPA 0x100000ull
#define RING_PAGES 4           /* per direction, control page included */
#define NPKTS 64
#define PAYLOAD 96

struct guest {
	struct hv_partition *p;
	struct hv_hyperv *h;
	struct hv_synic *synic;
	const struct vmbus_mem *mem;
	struct hv_vmbus *vb;
	struct vmbus_client cl;
	uint32_t vp;               /* the VP the guest's calls come from */
	unsigned int posts, signals, msgs, eoms, flags_taken;
};

static void *g_gpa(struct guest *g, uint64_t a, uint64_t len)
{
	void *p = vmbus_mem_gpa(g->mem, a, len);

	T_ASSERT(p != NULL);
	return p;
}

/* vmbus_post_msg(): the message in the per-CPU input page, then
 * HvPostMessage (slow: RDX = the page's GPA). */
static int g_post(void *ctx, uint32_t conn_id, const void *msg, uint32_t len)
{
	struct guest *g = ctx;
	struct hv_input_post_message *in = g_gpa(g, POST_IN, sizeof(*in));

	memset(in, 0, sizeof(*in));
	in->connection_id = conn_id;
	in->message_type = HV_MESSAGE_VMBUS;
	in->payload_size = len;
	memcpy(in->payload, msg, len);
	g->posts++;
	return (int)hv_hyperv_hypercall(g->h, g->vp, HVCALL_POST_MESSAGE, POST_IN, 0);
}

/* vmbus_set_event(): fast HvSignalEvent with the offer's connection id. */
static int g_signal(void *ctx, uint32_t conn_id)
{
	struct guest *g = ctx;

	g->signals++;
	return (int)hv_hyperv_hypercall(g->h, g->vp, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT,
					conn_id, 0);
}

static const struct vmbus_client_transport g_transport = { .post = g_post, .signal = g_signal };

static struct hv_message *g_slot(struct guest *g)
{
	return g_gpa(g, SIMP_GPA(0) + HV_VMBUS_SINT * sizeof(struct hv_message),
		     sizeof(struct hv_message));
}

/* vmbus_on_msg_dpc() + vmbus_signal_eom(): copy the message, free the
 * slot, EOM only if msg_pending. Returns its length, 0 if the slot is
 * empty. */
static uint32_t g_take(struct guest *g, uint8_t *buf)
{
	void *raw = g_gpa(g, SIMP_GPA(0) + HV_VMBUS_SINT * sizeof(struct hv_message),
			  sizeof(struct hv_message));
	struct hv_message *m = raw;
	/* message_type is the first field of the packed (but 256-byte
	 * aligned) slot; through void * to keep it an aligned word. */
	uint32_t *mtype = raw;
	uint32_t type = __atomic_load_n(mtype, __ATOMIC_ACQUIRE), len;

	if (!type)
		return 0;
	T_EQ(type, HV_MESSAGE_VMBUS);
	len = m->payload_size;
	T_ASSERT(len >= sizeof(struct vmbus_msg_hdr) && len <= VMBUS_MSG_MAX_SIZE);
	memcpy(buf, m->payload, len);
	__atomic_compare_exchange_n(mtype, &type, 0, false, __ATOMIC_SEQ_CST,
				    __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&m->message_flags, __ATOMIC_ACQUIRE) & HV_MESSAGE_FLAG_PENDING) {
		T_EQ(hv_hyperv_wrmsr(g->h, 0, HV_MSR_EOM, 0), 0);
		g->eoms++;
	}
	g->msgs++;
	return len;
}

/* Hands every waiting host message to the client. */
static void g_pump(struct guest *g)
{
	uint8_t buf[VMBUS_MSG_MAX_SIZE];
	uint32_t len;

	while ((len = g_take(g, buf)) != 0) {
		int rc = vmbus_client_handle_msg(&g->cl, buf, len);

		if (rc < 0)
			T_FAIL("the client refused host message type %u: %d",
			       ((struct vmbus_msg_hdr *)(void *)buf)->msgtype, rc);
	}
}

/* sync_test_and_clear_bit() on the channel's flag in 'vp''s SINT2 event
 * flags. */
static bool g_take_flag(struct guest *g, uint32_t vp, uint32_t relid)
{
	uint64_t *w = g_gpa(g, SIEFP_GPA(vp) + HV_VMBUS_SINT * 256u + relid / 64 * 8, 8);
	uint64_t m = 1ull << (relid % 64);

	if (__atomic_fetch_and(w, ~m, __ATOMIC_SEQ_CST) & m) {
		g->flags_taken++;
		return true;
	}
	return false;
}

/* hyperv_init() and hv_synic_enable_regs() on each CPU. */
static void g_enlighten(struct guest *g)
{
	uint64_t v;

	T_EQ(hv_hyperv_wrmsr(g->h, 0, HV_MSR_GUEST_OS_ID, (0x8100ull << 48) | (0x060100ull << 16)),
	     0);
	T_EQ(hv_hyperv_wrmsr(g->h, 0, HV_MSR_HYPERCALL, HC_PAGE | 1), 0);
	T_EQ(hv_hyperv_rdmsr(g->h, 0, HV_MSR_HYPERCALL, &v), 0);
	T_EQ(v, HC_PAGE | 1);
	for (uint32_t vp = 0; vp < NR_VPS; vp++) {
		T_EQ(hv_hyperv_wrmsr(g->h, vp, HV_MSR_VP_ASSIST_PAGE, 0), 0);
		T_EQ(hv_hyperv_wrmsr(g->h, vp, HV_MSR_SIMP, SIMP_GPA(vp) | 1), 0);
		T_EQ(hv_hyperv_wrmsr(g->h, vp, HV_MSR_SIEFP, SIEFP_GPA(vp) | 1), 0);
		T_EQ(hv_hyperv_wrmsr(g->h, vp, HV_MSR_SINT0 + HV_VMBUS_SINT, VMBUS_VECTOR), 0);
		T_EQ(hv_hyperv_wrmsr(g->h, vp, HV_MSR_SCONTROL, 1), 0);
	}
}

static void fill(uint8_t *p, uint32_t seq)
{
	for (uint32_t i = 0; i < PAYLOAD; i++)
		p[i] = (uint8_t)(seq * 37u + i);
}

static void vmbus_over_synic(void)
{
	static const struct vmbus_guid testdev = VMBUS_TESTDEV_GUID_INIT;
	struct hv_partition_config pcfg = { .name = "hv-vmbus-synic", .mem_bytes = MEM_BYTES,
					    .nr_vps = NR_VPS, .hyperv = true };
	struct vmbus_server_config scfg = { .name = "hv-vmbus-synic" };
	static struct vmbus_client_channel ch;
	static uint8_t scratch[512];
	const struct vmbus_msg_initiate_contact *ic;
	const struct vmbus_msg_version_response *vr;
	const struct vmbus_server_stats *ss;
	struct hv_input_post_message *in;
	struct vmbus_client_offer *o;
	struct vmbus_testdev *dev;
	struct hv_synic_stats st;
	struct hv_hyperv_stats hs;
	uint64_t pfns[2 * RING_PAGES];
	uint32_t gpadl, relid, n_events = 0;
	const char *err = NULL;
	struct guest g;
	int fds = hvn_test_count_fds(), rc;
	uint8_t *ring;

	memset(&g, 0, sizeof(g));
	rc = hv_partition_create(&pcfg, &g.p, &err);
	if (rc)
		T_SKIP("no KVM partition (%s: %s); hv_vmbus_create() needs one",
		       strerror(-rc), err ? err : "?");
	g.h = hv_partition_hyperv(g.p);
	T_ASSERT(g.h != NULL);
	g.synic = hv_hyperv_synic(g.h);
	g.mem = hv_partition_mem(g.p);
	g_enlighten(&g);
	T_EQ(hv_vmbus_create(g.p, &scfg, &g.vb), 0);
	T_EQ(vmbus_testdev_offer(hv_vmbus_server(g.vb), 0, &dev), 0);

	/* INITIATE_CONTACT, as the guest writes it into its input page. */
	vmbus_client_init(&g.cl, &g_transport, &g, 0, 0, 0);
	T_EQ(vmbus_client_connect(&g.cl), 0);
	in = g_gpa(&g, POST_IN, sizeof(*in));
	ic = (const void *)in->payload;
	T_EQ(in->connection_id, VMBUS_CONN_ID_MESSAGE_4);
	T_EQ(in->message_type, HV_MESSAGE_VMBUS);
	T_EQ(in->payload_size, sizeof(*ic));
	T_EQ(ic->hdr.msgtype, VMBUS_MSG_INITIATE_CONTACT);
	T_EQ(ic->version_requested, VMBUS_VERSION_WIN10_5_3);
	T_EQ(ic->msg_sint, HV_VMBUS_SINT);
	/* VERSION_RESPONSE waits in VP 0's SINT2 slot, announced by one
	 * interrupt. */
	{
		struct hv_message *m = g_slot(&g);

		vr = (const void *)m->payload;
		T_EQ(m->message_type, HV_MESSAGE_VMBUS);
		T_EQ(m->payload_size, sizeof(*vr));
		T_EQ(m->message_flags, 0);
		T_EQ(vr->hdr.msgtype, VMBUS_MSG_VERSION_RESPONSE);
		T_EQ(vr->version_supported, 1);
		T_EQ(vr->msg_conn_id, VMBUS_CONN_ID_MESSAGE);
	}
	hv_synic_get_stats(g.synic, &st);
	T_EQ(st.msgs_posted, 1);
	T_EQ(st.msgs_delivered, 1);
	T_EQ(st.interrupts, 1);
	g_pump(&g);
	T_EQ(g.cl.state, VMBUS_CLIENT_CONNECTED);
	T_EQ(g.cl.version, VMBUS_VERSION_WIN10_5_3);
	T_EQ(g.eoms, 0);

	/* REQUESTOFFERS: OFFERCHANNEL in the slot, ALLOFFERS_DELIVERED
	 * queued behind it with msg_pending set; the EOM brings it. */
	T_EQ(vmbus_client_request_offers(&g.cl), 0);
	T_EQ(g_slot(&g)->message_flags, HV_MESSAGE_FLAG_PENDING);
	g_pump(&g);
	T_ASSERT(g.cl.offers_done);
	T_EQ(g.eoms, 1);
	o = vmbus_client_find_offer(&g.cl, &testdev, 0);
	T_ASSERT(o != NULL);
	relid = o->msg.child_relid;
	T_ASSERT(relid != 0);

	/* A ring GPADL in guest memory, and OPEN toward VP 1. */
	ring = g_gpa(&g, RING_GPA, 2 * RING_PAGES * 4096);
	T_EQ(vmbus_client_rings_format(ring, RING_PAGES * 4096, RING_PAGES * 4096), 0);
	for (unsigned int i = 0; i < 2 * RING_PAGES; i++)
		pfns[i] = (RING_GPA >> 12) + i;
	T_EQ(vmbus_client_gpadl_create(&g.cl, relid, pfns, 2 * RING_PAGES, &gpadl), 0);
	g_pump(&g);
	T_EQ(vmbus_client_gpadl_status(&g.cl, gpadl), 0);
	g.vp = 1;   /* the rest of the calls come from VP 1 */
	T_EQ(vmbus_client_open(&g.cl, relid, gpadl, RING_PAGES, 1), 0);
	g_pump(&g);
	T_EQ(vmbus_client_open_status(&g.cl, relid), 0);
	T_EQ(vmbus_client_channel_attach(&ch, o, ring, RING_PAGES * 4096, RING_PAGES * 4096,
					 scratch, sizeof(scratch)), 0);
	/* The device may have signalled on open (pitfall 6): take it. */
	n_events += g_take_flag(&g, 1, relid);

	/* Packets out with HvSignalEvent; echoes back with the event flag
	 * set on VP 1 (the channel's target), never on VP 0. */
	for (uint32_t seq = 0; seq < NPKTS; seq++) {
		uint8_t buf[PAYLOAD], want[PAYLOAD];
		struct vmbus_sg sg = { buf, PAYLOAD };
		struct vmbus_pkt_out out = { .type = VMBUS_PKT_DATA_INBAND,
					     .flags = VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
					     .trans_id = seq, .sg = &sg, .nsg = 1 };
		struct vmbus_pkt pkt;
		unsigned int got;
		int rerr;

		fill(buf, seq);
		T_EQ(vmbus_ring_unmask(&ch.rx), 0);
		T_EQ(vmbus_ring_put(&ch.tx, &out), 0);
		T_ASSERT(vmbus_ring_write_commit(&ch.tx));
		T_EQ(vmbus_client_channel_signal(&g.cl, &ch), HV_STATUS_SUCCESS);
		if (!g_take_flag(&g, 1, relid))
			T_FAIL("packet %u: no event flag for relid %u on VP 1", seq, relid);
		n_events++;
		T_ASSERT(!g_take_flag(&g, 0, relid));
		got = vmbus_ring_read_burst(&ch.rx, &pkt, 1, &rerr);
		T_EQ(rerr, 0);
		T_EQ(got, 1);
		T_EQ(pkt.desc.type, VMBUS_PKT_COMP);
		T_EQ(pkt.desc.trans_id, seq);
		T_EQ(vmbus_pkt_payload_len(&pkt), PAYLOAD);
		fill(want, seq);
		T_EQ(memcmp(vmbus_pkt_payload(&pkt), want, PAYLOAD), 0);
		vmbus_ring_read_commit(&ch.rx);
	}
	T_EQ(vmbus_testdev_get_stats(dev)->rx_packets, NPKTS);

	/* What a hostile or confused guest gets from the real server. */
	in = g_gpa(&g, POST_IN, sizeof(*in));
	memset(in, 0, sizeof(*in));
	in->connection_id = 0x1234;
	in->message_type = HV_MESSAGE_VMBUS;
	in->payload_size = 8;
	T_EQ(hv_hyperv_hypercall(g.h, 0, HVCALL_POST_MESSAGE, POST_IN, 0),
	     HV_STATUS_INVALID_CONNECTION_ID);
	in->connection_id = VMBUS_CONN_ID_MESSAGE;
	in->message_type = 2;   /* not a VMBus message */
	T_EQ(hv_hyperv_hypercall(g.h, 0, HVCALL_POST_MESSAGE, POST_IN, 0),
	     HV_STATUS_INVALID_PARAMETER);
	T_EQ(hv_hyperv_hypercall(g.h, 0, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, 0x2fff, 0),
	     HV_STATUS_INVALID_CONNECTION_ID);
	T_EQ(hv_hyperv_hypercall(g.h, 0, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT,
				 ch.conn_id | 1ull << 32, 0), HV_STATUS_INVALID_PORT_ID);
	g_pump(&g);   /* nothing came of them */

	/* Close, tear down, unload: every request answered through the
	 * slot. */
	T_EQ(vmbus_client_close(&g.cl, relid), 0);
	T_EQ(vmbus_client_gpadl_teardown(&g.cl, relid, gpadl), 0);
	g_pump(&g);
	T_EQ(vmbus_client_gpadl_torn_down(&g.cl, gpadl), 0);
	T_EQ(vmbus_client_unload(&g.cl), 0);
	g_pump(&g);
	T_EQ(g.cl.state, VMBUS_CLIENT_UNLOADED);

	/* Nothing lost on the way: every message the server sent was
	 * delivered into the slot and taken, every EOM was needed. */
	ss = vmbus_server_get_stats(hv_vmbus_server(g.vb));
	hv_synic_get_stats(g.synic, &st);
	hv_hyperv_get_stats(g.h, &hs);
	T_EQ(ss->msgs_in, g.posts);
	T_EQ(ss->msgs_out, g.msgs);
	T_EQ(ss->proto_errors, 0);
	T_EQ(ss->signals_in, NPKTS);
	T_EQ(st.msgs_posted, g.msgs);
	T_EQ(st.msgs_delivered, g.msgs);
	T_EQ(st.msgs_dropped + st.msgs_refused, 0);
	T_EQ(st.eoms, g.eoms);
	T_EQ(st.signals, g.flags_taken);
	T_EQ(st.signals, n_events);
	T_EQ(st.signals_dropped, 0);
	T_EQ(st.bad_pages, 0);
	T_EQ(st.interrupts, st.msgs_delivered + st.signals);
	T_EQ(hs.hypercalls, g.posts + g.signals + 4);
	T_EQ(hs.hypercall_errors, 4);
	T_EQ(hs.msr_errors, 0);
	printf("# %u messages in, %u out, %u EOMs, %u channel events\n", g.posts, g.msgs, g.eoms,
	       n_events);

	hv_vmbus_destroy(g.vb);
	/* The hypercalls have no VMBus behind them now. */
	T_EQ(hv_hyperv_hypercall(g.h, 0, HVCALL_SIGNAL_EVENT | HV_HYPERCALL_FAST_BIT, ch.conn_id,
				 0), HV_STATUS_INVALID_CONNECTION_ID);
	hv_partition_destroy(g.p);
	T_EQ(hvn_test_count_fds(), fds);
}

static const struct hv_case cases[] = {
	HV_CASE(vmbus_over_synic),
};

int main(int argc, char **argv)
{
	return hv_run_cases(cases, HVN_ARRAY_SIZE(cases), argc, argv, 30);
}
