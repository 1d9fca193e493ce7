/* The switch datapath against real DPDK ports: each switch port is a
 * net_ring ethdev (rte_eth_from_rings) whose receive ring the test fills
 * as a wire would and whose transmit ring it reads back. Learning,
 * flooding, 802.1Q access/trunk/native, drops by reason, MAC limits, port
 * removal, aging; and the MAC table alone against a reference model. */
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "tests/harness/hvn_test.h"
#include "vswitch/vsw_acl.h"
#include "vswitch/vsw_dp.h"
#include "vswitch/vsw_ethdev.h"
#include "vswitch/vsw_fdb.h"

#define NPORTS 4

static struct rte_mempool *mp;
static struct rte_rcu_qsbr *qs;
static struct rte_ring *wire_in[NPORTS], *wire_out[NPORTS];
static struct vsw_ethdev *eth[NPORTS];
static int pidx[NPORTS];
static struct vsw_dp *dp;

/* The ring ports are made once (DPDK has room for 32 ethdevs per
 * process) and attached anew for each switch. */
static void make_ports(void)
{
	static int port_id[NPORTS] = { -1, -1, -1, -1 };

	for (int i = 0; i < NPORTS; i++) {
		char name[32], err[200];

		if (port_id[i] < 0) {
			snprintf(name, sizeof(name), "win%d", i);
			wire_in[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
			snprintf(name, sizeof(name), "wout%d", i);
			wire_out[i] = rte_ring_create(name, 1024, 0, RING_F_SP_ENQ | RING_F_SC_DEQ);
			T_ASSERT(wire_in[i] && wire_out[i]);
			snprintf(name, sizeof(name), "net_ring_t%d", i);
			port_id[i] = rte_eth_from_rings(name, &wire_in[i], 1, &wire_out[i], 1, 0);
			T_ASSERT(port_id[i] >= 0);
		}
		if (vsw_ethdev_attach((uint16_t)port_id[i], mp, &eth[i], err, sizeof(err)))
			T_FAIL("%s", err);
	}
}

static void new_switch(const struct vsw_port_cfg cfgs[NPORTS], uint32_t aging)
{
	struct vsw_dp_config c = { .name = "t", .fdb_size = 1024, .aging_s = aging,
				   .mp = mp, .qs = qs };

	T_EQ(vsw_dp_create(&c, &dp), 0);
	make_ports();
	for (int i = 0; i < NPORTS; i++) {
		pidx[i] = vsw_dp_port_add(dp, vsw_ethdev_port(eth[i]), &cfgs[i]);
		T_ASSERT(pidx[i] >= 0);
	}
}

static void drain_all(void);

static void end_switch(void)
{
	drain_all();
	for (int i = 0; i < NPORTS; i++) {
		void *m = NULL;

		if (pidx[i] >= 0)
			T_EQ(vsw_dp_port_del(dp, pidx[i]), 0);
		vsw_ethdev_close(eth[i]);
		/* Frames a test left on a wire (a shaped port's) go too. */
		while (rte_ring_dequeue(wire_in[i], &m) == 0)
			rte_pktmbuf_free(m);
	}
	vsw_dp_destroy(dp);
}

static void poll_dp(void)
{
	for (int i = 0; i < 4; i++)
		vsw_dp_poll(dp);
}

/* A frame on port 'from's wire: dst, src (last byte), optional tag. */
static void wire_send(int from, uint8_t dst_last, uint8_t src_last, int tag, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint8_t *p;

	T_ASSERT(m);
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	T_ASSERT(p);
	memset(p, 0xab, len);
	if (len >= 12) {
		uint8_t dst[6] = { 0x02, 0, 0, 0, 0, dst_last }, src[6] = { 0x02, 0, 0, 0, 0, src_last };

		if (dst_last == 0xff)
			memset(dst, 0xff, 6);
		memcpy(p, dst, 6);
		memcpy(p + 6, src, 6);
	}
	if (len >= 16 && tag >= 0) {
		p[12] = 0x81;
		p[13] = 0x00;
		p[14] = (uint8_t)(tag >> 8);
		p[15] = (uint8_t)tag;
		/* An EtherType the parser does not look into (IEEE 802
		 * local experimental): the 0xab filler is not an IP header. */
		if (len >= 18) {
			p[16] = 0x88;
			p[17] = 0xb5;
		}
	} else if (len >= 14) {
		p[12] = 0x88;
		p[13] = 0xb5;
	}
	T_EQ(rte_ring_enqueue(wire_in[from], m), 0);
}

/* Frames port i put on its wire: count; *tag = tag of the last one (-1 none). */
static unsigned int wire_recv(int i, int *tag, uint8_t *src_last)
{
	void *objs[64];
	unsigned int n = rte_ring_dequeue_burst(wire_out[i], objs, 64, NULL);

	*tag = -2;
	for (unsigned int k = 0; k < n; k++) {
		struct rte_mbuf *m = objs[k];
		const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);

		*tag = (p[12] == 0x81 && p[13] == 0x00) ? ((p[14] << 8 | p[15]) & 0xfff) : -1;
		if (src_last)
			*src_last = p[11];
		rte_pktmbuf_free(m);
	}
	return n;
}

static void drain_all(void)
{
	int tag;

	for (int i = 0; i < NPORTS; i++)
		while (wire_recv(i, &tag, NULL))
			;
}

static struct vsw_port_cfg untagged(const char *name)
{
	struct vsw_port_cfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", name);
	c.vlan.mode = VSW_VLAN_UNTAGGED;
	return c;
}

static uint64_t drops(int i, enum vsw_drop d)
{
	struct vsw_port_stats st;

	T_EQ(vsw_dp_port_stats(dp, pidx[i], &st), 0);
	return st.drops[d];
}

static void learning_and_flooding(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("p0"), untagged("p1"), untagged("p2"),
					  untagged("p3") };
	int tag;

	new_switch(c, 300);
	wire_send(0, 0x0b, 0x0a, -1, 64);   /* A -> B, B unknown: flood */
	poll_dp();
	T_EQ(wire_recv(0, &tag, NULL), 0);
	for (int i = 1; i < NPORTS; i++)
		T_EQ(wire_recv(i, &tag, NULL), 1);
	wire_send(1, 0x0a, 0x0b, -1, 64);   /* B -> A: A is on port 0 */
	poll_dp();
	T_EQ(wire_recv(0, &tag, NULL), 1);
	T_EQ(wire_recv(2, &tag, NULL), 0);
	T_EQ(wire_recv(3, &tag, NULL), 0);
	wire_send(0, 0x0b, 0x0a, -1, 64);   /* A -> B: now known */
	poll_dp();
	T_EQ(wire_recv(1, &tag, NULL), 1);
	T_EQ(wire_recv(2, &tag, NULL), 0);
	wire_send(2, 0xff, 0x0c, -1, 64);   /* broadcast floods */
	poll_dp();
	T_EQ(wire_recv(0, &tag, NULL) + wire_recv(1, &tag, NULL) + wire_recv(3, &tag, NULL), 3);
	T_EQ(wire_recv(2, &tag, NULL), 0);
	/* A moves to port 3: B's frames follow it. */
	wire_send(3, 0x0b, 0x0a, -1, 64);
	poll_dp();
	drain_all();
	wire_send(1, 0x0a, 0x0b, -1, 64);
	poll_dp();
	T_EQ(wire_recv(3, &tag, NULL), 1);
	T_EQ(wire_recv(0, &tag, NULL), 0);
	/* Removing B's port: B's MAC resolves to nobody, frames flood. */
	T_EQ(vsw_dp_port_del(dp, pidx[1]), 0);
	pidx[1] = -1;
	wire_send(0, 0x0b, 0x0d, -1, 64);
	poll_dp();
	T_EQ(wire_recv(2, &tag, NULL) + wire_recv(3, &tag, NULL), 2);
	end_switch();
}

static void vlans(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("a10"), untagged("a20"), untagged("trunk"),
					  untagged("plain") };
	int tag;

	c[0].vlan.mode = VSW_VLAN_ACCESS;
	c[0].vlan.access_vlan = 10;
	c[1].vlan.mode = VSW_VLAN_ACCESS;
	c[1].vlan.access_vlan = 20;
	c[2].vlan.mode = VSW_VLAN_TRUNK;
	c[2].vlan.native_vlan = 30;
	c[2].vlan.allowed[0] = 1ull << 10 | 1ull << 20 | 1ull << 21;
	new_switch(c, 300);
	/* From access 10: only the trunk, tagged 10; never VLAN 20 or untagged. */
	wire_send(0, 0xff, 0x01, -1, 64);
	poll_dp();
	T_EQ(wire_recv(2, &tag, NULL), 1);
	T_EQ(tag, 10);
	T_EQ(wire_recv(1, &tag, NULL), 0);
	T_EQ(wire_recv(3, &tag, NULL), 0);
	/* Tagged 20 from the trunk: to access 20, untagged. */
	wire_send(2, 0xff, 0x02, 20, 64);
	poll_dp();
	T_EQ(wire_recv(1, &tag, NULL), 1);
	T_EQ(tag, -1);
	T_EQ(wire_recv(0, &tag, NULL), 0);
	/* Untagged on the trunk is the native VLAN 30: nobody else is in it. */
	wire_send(2, 0xff, 0x03, -1, 64);
	poll_dp();
	T_EQ(wire_recv(0, &tag, NULL) + wire_recv(1, &tag, NULL) + wire_recv(3, &tag, NULL), 0);
	T_EQ(drops(2, VSW_DROP_NO_PORT), 1);
	/* Refused: a tag on an access port, a VLAN the trunk does not allow,
	 * VID 4095. A priority tag (VID 0) on an access port is accepted. */
	wire_send(0, 0xff, 0x04, 10, 64);
	wire_send(2, 0xff, 0x05, 99, 64);
	wire_send(2, 0xff, 0x06, 4095, 64);
	poll_dp();
	T_EQ(drops(0, VSW_DROP_BAD_VLAN), 1);
	T_EQ(drops(2, VSW_DROP_BAD_VLAN), 2);
	wire_send(0, 0xff, 0x07, 0, 64);
	poll_dp();
	T_EQ(wire_recv(2, &tag, NULL), 1);
	T_EQ(tag, 10);
	/* Reconfiguring port 1 to VLAN 10 moves it into port 0's domain. */
	c[1].vlan.access_vlan = 10;
	T_EQ(vsw_dp_port_set(dp, pidx[1], &c[1]), 0);
	wire_send(0, 0xff, 0x08, -1, 64);
	poll_dp();
	T_EQ(wire_recv(1, &tag, NULL), 1);
	end_switch();
}

static void malformed_and_limits(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("p0"), untagged("p1"), untagged("p2"),
					  untagged("p3") };
	int tag;

	c[0].sec.mac_limit = 2;
	new_switch(c, 300);
	wire_send(0, 0xff, 0x01, -1, 10);          /* runt */
	wire_send(0, 0xff, 0x01, 100, 16);         /* a tag cut short */
	wire_send(0, 0xff, 0x01, -1, 1600);        /* giant */
	poll_dp();
	T_EQ(drops(0, VSW_DROP_RUNT), 2);
	T_EQ(drops(0, VSW_DROP_GIANT), 1);
	{
		/* Multicast source. */
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, 64);

		memset(p, 0xff, 64);
		T_EQ(rte_ring_enqueue(wire_in[0], m), 0);
	}
	poll_dp();
	T_EQ(drops(0, VSW_DROP_BAD_SRC), 1);
	/* MAC limit 2: the third source is dropped, known ones still pass. */
	wire_send(0, 0xff, 0x11, -1, 64);
	wire_send(0, 0xff, 0x12, -1, 64);
	wire_send(0, 0xff, 0x13, -1, 64);
	wire_send(0, 0xff, 0x11, -1, 64);
	poll_dp();
	T_EQ(drops(0, VSW_DROP_MAC_LIMIT), 1);
	T_EQ(wire_recv(1, &tag, NULL), 3);
	/* Destination on the ingress port. */
	wire_send(0, 0x11, 0x12, -1, 64);
	poll_dp();
	T_EQ(drops(0, VSW_DROP_SAME_PORT), 1);
	end_switch();
}

static void aging(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("p0"), untagged("p1"), untagged("p2"),
					  untagged("p3") };
	struct vsw_dp_stats st;
	int tag;

	new_switch(c, 1);
	wire_send(0, 0xff, 0x21, -1, 64);
	poll_dp();
	vsw_dp_stats(dp, &st);
	T_EQ(st.fdb_entries, 1);
	drain_all();
	sleep(3);
	/* Aging passes over the table four times a second: within 2 s of
	 * polling the entry must be gone. */
	for (int i = 0; i < 2000; i++) {
		vsw_dp_poll(dp);
		vsw_dp_stats(dp, &st);
		if (st.fdb_entries == 0)
			break;
		usleep(1000);
	}
	T_EQ(st.fdb_entries, 0);
	T_EQ(st.fdb_aged, 1);
	wire_send(1, 0x21, 0x22, -1, 64);    /* forgotten: floods again */
	poll_dp();
	T_EQ(wire_recv(0, &tag, NULL) + wire_recv(2, &tag, NULL) + wire_recv(3, &tag, NULL), 3);
	end_switch();
}

/* A frame from raw bytes: Ethernet header (dst broadcast, src last byte
 * 'src_last'), EtherType, then 'l3' as given, padded to 64 bytes. */
static void send_l3(int from, uint8_t src_last, uint16_t ethertype, const uint8_t *l3,
		    uint16_t l3len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	uint16_t len = (uint16_t)(14 + l3len < 64 ? 64 : 14 + l3len);
	uint8_t *p;

	T_ASSERT(m);
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	memset(p, 0, len);
	memset(p, 0xff, 6);
	p[6] = 0x02;
	p[11] = src_last;
	p[12] = (uint8_t)(ethertype >> 8);
	p[13] = (uint8_t)ethertype;
	memcpy(p + 14, l3, l3len);
	T_EQ(rte_ring_enqueue(wire_in[from], m), 0);
}

/* IPv4 with 'proto' and the first bytes of its L4 header. */
static void send_ip4(int from, uint8_t src_last, uint8_t proto, const uint8_t *l4, uint16_t l4len)
{
	uint8_t b[64] = { 0x45, 0, 0, (uint8_t)(20 + l4len), 0, 0, 0, 0, 64, proto };

	memcpy(b + 20, l4, l4len);
	send_l3(from, src_last, 0x0800, b, (uint16_t)(20 + l4len));
}

static void send_ip6(int from, uint8_t src_last, uint8_t next, const uint8_t *l4, uint16_t l4len)
{
	uint8_t b[96] = { 0x60, 0, 0, 0, 0, (uint8_t)l4len, next, 255 };

	memcpy(b + 40, l4, l4len);
	send_l3(from, src_last, 0x86dd, b, (uint16_t)(40 + l4len));
}

static unsigned int delivered(void)
{
	unsigned int n = 0;
	int tag;

	for (int i = 0; i < NPORTS; i++)
		n += wire_recv(i, &tag, NULL);
	return n;
}

static void guards(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("spoof"), untagged("dhcp"), untagged("router"),
					  untagged("storm") };
	static const uint8_t dhcp_offer[8] = { 0, 67, 0, 68 }, dhcp_discover[8] = { 0, 68, 0, 67 };
	static const uint8_t dhcp6_reply[8] = { 0x02, 0x23, 0x02, 0x22 };
	static const uint8_t ra[8] = { 134 }, ns[8] = { 135 }, redirect6[8] = { 137 };
	static const uint8_t redirect4[8] = { 5 }, echo4[8] = { 8 };
	unsigned int got;

	c[0].sec.mac_spoof_guard = true;
	memcpy(c[0].sec.mac, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x31 }, 6);
	c[1].sec.dhcp_guard = true;
	c[2].sec.router_guard = true;
	c[3].sec.storm_limit_pps = 5;
	new_switch(c, 300);

	wire_send(0, 0xff, 0x32, -1, 64);              /* not its MAC */
	wire_send(0, 0xff, 0x31, -1, 64);              /* its MAC */
	poll_dp();
	T_EQ(drops(0, VSW_DROP_MAC_SPOOF), 1);
	T_EQ(delivered(), 3);

	send_ip4(1, 0x41, IPPROTO_UDP, dhcp_offer, 8);
	send_ip4(1, 0x41, IPPROTO_UDP, dhcp_discover, 8);
	send_ip6(1, 0x41, IPPROTO_UDP, dhcp6_reply, 8);
	poll_dp();
	T_EQ(drops(1, VSW_DROP_DHCP_GUARD), 2);
	T_EQ(delivered(), 3);                     /* the client's discover floods */
	/* An unguarded port may answer DHCP. */
	send_ip4(2, 0x42, IPPROTO_UDP, dhcp_offer, 8);
	poll_dp();
	T_EQ(delivered(), 3);

	send_ip6(2, 0x42, IPPROTO_ICMPV6, ra, 8);
	send_ip6(2, 0x42, IPPROTO_ICMPV6, redirect6, 8);
	send_ip4(2, 0x42, IPPROTO_ICMP, redirect4, 8);
	send_ip6(2, 0x42, IPPROTO_ICMPV6, ns, 8);
	send_ip4(2, 0x42, IPPROTO_ICMP, echo4, 8);
	poll_dp();
	T_EQ(drops(2, VSW_DROP_ROUTER_GUARD), 3);
	T_EQ(delivered(), 6);                     /* NS and echo, three ports each */

	/* 20 broadcasts at 5 per second: within at most two seconds of the
	 * switch's clock, at most 10 pass. */
	for (int i = 0; i < 20; i++)
		wire_send(3, 0xff, 0x44, -1, 64);
	poll_dp();
	got = delivered();
	T_ASSERT(got >= 5 * 3 && got <= 10 * 3);
	T_EQ(drops(3, VSW_DROP_STORM), 20 - got / 3);
	end_switch();
}

/* IPv4 headers that claim more than they carry are dropped as malformed;
 * padding after a short datagram is not a fault. */
static void malformed_l3(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("p0"), untagged("p1"), untagged("p2"),
					  untagged("p3") };
	static const uint8_t udp[8] = { 0, 1, 0, 2, 0, 8 };
	uint8_t bad_ihl[20] = { 0x44, 0, 0, 40, 0, 0, 0, 0, 64, 17 };
	uint8_t long_tot[20] = { 0x45, 0, 0x05, 0xdc, 0, 0, 0, 0, 64, 17 };
	uint8_t cut_tcp[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 6 };
	uint8_t v6_long[40] = { 0x60, 0, 0, 0, 0x04, 0, 17, 64 };

	new_switch(c, 300);
	send_ip4(0, 0x51, IPPROTO_UDP, udp, 8);           /* good: 28 bytes + padding */
	send_l3(0, 0x51, 0x0800, bad_ihl, 20);             /* IHL 4 */
	send_l3(0, 0x51, 0x0800, long_tot, 20);            /* total 1500 in a 64-byte frame */
	send_l3(0, 0x51, 0x0800, cut_tcp, 28);             /* TCP header of 8 bytes */
	send_l3(0, 0x51, 0x86dd, v6_long, 40);             /* payload 1024 */
	poll_dp();
	T_EQ(drops(0, VSW_DROP_MALFORMED), 4);
	T_EQ(delivered(), 3);
	end_switch();
}

/* A mirror copies what port 0 sends and what port 1 is sent to port 3,
 * once each, tagged with the VLAN; port 3 takes no part in forwarding. */
static void mirrors(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("p0"), untagged("p1"), untagged("p2"),
					  untagged("out") };
	struct vsw_dp_mirror m = { 0 };
	struct vsw_port_stats st;
	int tag;

	new_switch(c, 300);
	m.output = pidx[3];
	m.src = 1ull << pidx[0];
	m.dst = 1ull << pidx[1];
	T_EQ(vsw_dp_set_mirrors(dp, &m, 1), 0);
	wire_send(0, 0xff, 0x01, -1, 64);      /* floods to 1 and 2, not 3; mirrored once */
	poll_dp();
	T_EQ(wire_recv(1, &tag, NULL), 1);
	T_EQ(wire_recv(2, &tag, NULL), 1);
	T_EQ(wire_recv(3, &tag, NULL), 1);
	wire_send(2, 0x01, 0x02, -1, 64);      /* 2 -> 0: neither selected */
	wire_send(2, 0xff, 0x03, -1, 64);      /* floods to 0 and 1: sent to 1, mirrored */
	poll_dp();
	T_EQ(wire_recv(0, &tag, NULL), 2);
	T_EQ(wire_recv(1, &tag, NULL), 1);
	T_EQ(wire_recv(3, &tag, NULL), 1);
	/* A frame from the output port is not forwarded (it is not polled). */
	wire_send(3, 0xff, 0x04, -1, 64);
	poll_dp();
	T_EQ(delivered(), 0);
	T_EQ(vsw_dp_port_stats(dp, pidx[3], &st), 0);
	T_EQ(st.mirrored, 2);
	T_EQ(st.rx_packets, 0);
	T_EQ(vsw_dp_set_mirrors(dp, NULL, 0), 0);
	poll_dp();                             /* port 3 forwards again */
	T_EQ(delivered(), 3);
	end_switch();
}

/* max-bps: a port over its bucket is not polled (its frames wait on its
 * wire); min-weight: busy ports' bursts follow their weights. */
static void qos(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("p0"), untagged("p1"), untagged("p2"),
					  untagged("p3") };
	struct vsw_port_stats st;
	unsigned int got, a = 0, b = 0;
	int tag;

	/* 8 kb/s: the bucket starts at its floor (two bursts of 1518 bytes)
	 * and refills 1000 bytes a second, so 200 frames of 1000 bytes
	 * cannot all pass in the few milliseconds this takes. */
	c[0].qos.max_bps = 8000;
	new_switch(c, 300);
	for (int i = 0; i < 200; i++)
		wire_send(0, 0xff, 0x01, -1, 1000);
	for (int i = 0; i < 10; i++)
		poll_dp();
	got = wire_recv(1, &tag, NULL);
	got += wire_recv(1, &tag, NULL);
	T_ASSERT(got > 0 && got < 200);
	T_ASSERT(got <= (2 * 32 * 1518) / 1000 + 32 + 1);
	T_EQ(vsw_dp_port_stats(dp, pidx[0], &st), 0);
	T_ASSERT(st.shaped_rounds > 0);
	T_EQ(rte_ring_count(wire_in[0]), 200 - got);   /* waiting, not dropped */
	end_switch();

	/* Weights 100 and 10: per round 32 and 3 frames. */
	c[0].qos.max_bps = 0;
	c[0].qos.min_weight = 100;
	c[1].qos.min_weight = 10;
	new_switch(c, 300);
	wire_send(2, 0x01, 0x22, -1, 64);      /* learn 0x22 on port 2 */
	poll_dp();
	drain_all();
	for (int i = 0; i < 300; i++) {
		wire_send(0, 0x22, 0x01, -1, 64);
		wire_send(1, 0x22, 0x02, -1, 64);
	}
	for (int r = 0; r < 4; r++)
		vsw_dp_poll(dp);
	T_EQ(vsw_dp_port_stats(dp, pidx[0], &st), 0);
	a = (unsigned int)st.rx_packets;
	T_EQ(vsw_dp_port_stats(dp, pidx[1], &st), 0);
	b = (unsigned int)st.rx_packets;
	T_EQ(a, 4u * 32u);
	T_EQ(b, 4u * 3u);
	end_switch();
}

/* Port ACLs through the datapath: outbound on ingress, inbound on egress,
 * counted as drop_acl on the port whose ACL denied. */
static void acls(void)
{
	struct vsw_port_cfg c[NPORTS] = { untagged("p0"), untagged("p1"), untagged("p2"),
					  untagged("p3") };
	static const uint8_t udp[8] = { 0, 1, 0, 2, 0, 8 };
	struct vsw_acl_cfg a[2];
	struct vsw_acl_rules *r;
	char why[256];

	new_switch(c, 300);
	memset(a, 0, sizeof(a));
	/* Port 0 may send no IPv4 at all; port 1 may receive nothing from
	 * MAC ...:53. */
	snprintf(a[0].port, sizeof(a[0].port), "p0");
	a[0].action = VSW_ACL_DENY;
	a[0].dir = VSW_DIR_OUTBOUND;
	a[0].remote.kind = VSW_ADDR_IPV4;
	a[0].local.kind = VSW_ADDR_ANY;
	a[0].protocol = VSW_ACL_PROTO_ANY;
	T_EQ(vsw_acl_rules_build(&a[0], 1, NULL, &r, why, sizeof(why)), 0);
	T_EQ(vsw_dp_port_acl(dp, pidx[0], r), 0);
	snprintf(a[1].port, sizeof(a[1].port), "p1");
	a[1].action = VSW_ACL_DENY;
	a[1].dir = VSW_DIR_INBOUND;
	a[1].remote.kind = VSW_ADDR_MAC;
	a[1].remote.plen = 48;
	memcpy(a[1].remote.addr, (uint8_t[6]){ 0x02, 0, 0, 0, 0, 0x53 }, 6);
	a[1].local.kind = VSW_ADDR_ANY;
	a[1].protocol = VSW_ACL_PROTO_ANY;
	T_EQ(vsw_acl_rules_build(&a[1], 1, NULL, &r, why, sizeof(why)), 0);
	T_EQ(vsw_dp_port_acl(dp, pidx[1], r), 0);

	send_ip4(0, 0x51, IPPROTO_UDP, udp, 8);    /* denied leaving port 0 */
	wire_send(0, 0xff, 0x51, -1, 64);          /* not IP: floods to 3 ports */
	poll_dp();
	T_EQ(drops(0, VSW_DROP_ACL), 1);
	T_EQ(delivered(), 3);
	wire_send(2, 0xff, 0x53, -1, 64);          /* from ...:53: not to port 1 */
	poll_dp();
	T_EQ(drops(1, VSW_DROP_ACL), 1);
	T_EQ(delivered(), 2);
	T_EQ(vsw_dp_port_acl(dp, pidx[1], NULL), 0);
	wire_send(2, 0xff, 0x53, -1, 64);
	poll_dp();
	T_EQ(delivered(), 3);
	end_switch();
}

/* The table alone: random inserts and removals against a plain array. */
static void fdb_model(void)
{
	enum { N = 3000, ROUNDS = 200000 };
	static uint64_t keys[N];
	static bool in[N];
	struct vsw_fdb f;
	uint64_t x = 88172645463325252ull;
	uint32_t count = 0;

	T_EQ(vsw_fdb_init(&f, 2048), 0);
	for (int i = 0; i < N; i++) {
		uint8_t mac[6] = { 2, 0, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i, 7 };

		keys[i] = vsw_fdb_key(mac, (uint16_t)(i % 7));
	}
	for (int r = 0; r < ROUNDS; r++) {
		int i;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		i = (int)(x % N);
		if (in[i]) {
			struct vsw_fdb_entry *e = vsw_fdb_lookup(&f, keys[i]);

			T_ASSERT(e && e->port == (uint16_t)i);
			vsw_fdb_remove(&f, e);
			in[i] = false;
			count--;
		} else {
			T_ASSERT(vsw_fdb_lookup(&f, keys[i]) == NULL);
			if (vsw_fdb_insert(&f, keys[i], (uint16_t)i, 0, 0) == 0) {
				in[i] = true;
				count++;
			} else {
				T_EQ(count, f.max);
			}
		}
		T_EQ(f.count, count);
	}
	for (int i = 0; i < N; i++)
		T_ASSERT((vsw_fdb_lookup(&f, keys[i]) != NULL) == in[i]);
	vsw_fdb_fini(&f);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "128", "--no-shconf", "--no-pci",
			"-l", "0", "--log-level=lib.eal:error", "--no-telemetry", NULL };
	size_t sz;

	(void)argc;
	if (rte_eal_init(10, eal) < 0)
		T_SKIP("DPDK EAL cannot start here");
	mp = rte_pktmbuf_pool_create("t_mbufs", 4095, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, 0);
	sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	qs = rte_zmalloc("t_qs", sz, RTE_CACHE_LINE_SIZE);
	T_ASSERT(mp && qs);
	T_EQ(rte_rcu_qsbr_init(qs, RTE_MAX_LCORE), 0);
	/* The test thread is the polling lcore and the control thread at
	 * once: it reports quiescent after each poll, so synchronize (from
	 * the same thread) must not wait for it. It stays unregistered. */
	T_RUN(fdb_model);
	T_RUN(learning_and_flooding);
	T_RUN(vlans);
	T_RUN(malformed_and_limits);
	T_RUN(guards);
	T_RUN(aging);
	T_RUN(malformed_l3);
	T_RUN(mirrors);
	T_RUN(qos);
	T_RUN(acls);
	rte_eal_cleanup();
	return 0;
}
