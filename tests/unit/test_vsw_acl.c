/* Port ACLs (vsw_acl) on real frames: each case builds Ethernet + IPv4/
 * IPv6 + TCP/UDP/ICMP bytes, runs vsw_parse on them and classifies.
 * Every semantic case runs twice, once with a handful of rules (the
 * linear scan) and once padded with rules that match nothing the case
 * sends (the rte_acl tries). The differential case compares random rule
 * sets of up to 10,000 records against a plain reference written here
 * (ref_classify), verdict by verdict and counter by counter; the churn
 * case does the same for a small, often full session table.
 *
 * VSW_ACL_SEED=N changes the random sets; VSW_ACL_VERBOSE=1 prints how
 * each random round's frames were decided. With --bench [N...] the
 * program measures classify instead (ns per frame, best of 7 runs) and
 * asserts nothing. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>

#include "tests/harness/hvn_test.h"
#include "vswitch/vsw_acl.h"
#include "vswitch/vsw_config.h"
#include "vswitch/vsw_parse.h"

#define IN VSW_DIR_INBOUND
#define OUT VSW_DIR_OUTBOUND
#define BOTH VSW_DIR_BOTH
#define ALLOW VSW_ACL_ALLOW
#define DENY VSW_ACL_DENY
#define METER VSW_ACL_METER
#define ANYP VSW_ACL_PROTO_ANY

#define FRAME_MAX 256

#define T_RUN_PAD(fn, pad) do { \
	fn(pad); \
	printf("ok - %s (%s)\n", #fn, (pad) ? "rte_acl" : "linear scan"); \
} while (0)

/* ---- frames ---- */

struct fspec {
	int l3;                      /* 4, 6, or 0 for ARP */
	uint8_t smac[6], dmac[6];
	uint8_t sip[16], dip[16];
	uint8_t proto;
	uint16_t sport, dport;
	bool later_frag;
	uint16_t pad;                /* payload bytes after the L4 header */
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t l4_len(uint8_t proto)
{
	return proto == 6 ? 20 : proto == 132 ? 12 : 8;
}

static void put_l4(uint8_t *p, const struct fspec *s)
{
	uint32_t n = l4_len(s->proto);

	memset(p, 0, n);
	if (s->proto == 6 || s->proto == 17 || s->proto == 132) {
		put16(p, s->sport);
		put16(p + 2, s->dport);
	}
	if (s->proto == 6)
		p[12] = 5 << 4;
	if (s->proto == 1 || s->proto == 58)
		p[0] = 8;
}

static uint32_t build_frame(uint8_t *b, const struct fspec *s)
{
	uint32_t n = 14, l4;

	memcpy(b, s->dmac, 6);
	memcpy(b + 6, s->smac, 6);
	if (s->l3 == 0) {
		put16(b + 12, 0x0806);
		memset(b + 14, 0x11, 28);
		return 14 + 28 + s->pad;
	}
	l4 = s->later_frag ? 8 : l4_len(s->proto);
	if (s->l3 == 4) {
		uint8_t *h = b + 14;

		put16(b + 12, 0x0800);
		memset(h, 0, 20);
		h[0] = 0x45;
		put16(h + 2, (uint16_t)(20 + l4 + s->pad));
		if (s->later_frag)
			put16(h + 6, 3);                      /* offset 3 * 8 */
		h[8] = 64;
		h[9] = s->proto;
		memcpy(h + 12, s->sip, 4);
		memcpy(h + 16, s->dip, 4);
		n += 20;
	} else {
		uint8_t *h = b + 14;
		uint32_t fh = s->later_frag ? 8 : 0;

		put16(b + 12, 0x86dd);
		memset(h, 0, 40);
		h[0] = 0x60;
		put16(h + 4, (uint16_t)(fh + l4 + s->pad));
		h[6] = s->later_frag ? 44 : s->proto;
		h[7] = 64;
		memcpy(h + 8, s->sip, 16);
		memcpy(h + 24, s->dip, 16);
		n += 40;
		if (fh) {
			memset(b + n, 0, 8);
			b[n] = s->proto;
			put16(b + n + 2, 0x0100);             /* offset 32 * 8 */
			n += 8;
		}
	}
	if (s->later_frag)
		memset(b + n, 0x22, 8);
	else
		put_l4(b + n, s);
	n += l4;
	memset(b + n, 0x33, s->pad);
	return n + s->pad;
}

static void ip_of(const char *txt, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, txt, out) != 1)
		T_ASSERT(inet_pton(AF_INET6, txt, out) == 1);
}

static void mac_of(uint8_t last, uint8_t out[6])
{
	uint8_t m[6] = { 0x02, 0, 0, 0, 0, last };

	memcpy(out, m, 6);
}

/* A frame from 'src' to 'dst' (IPv4 or IPv6 text), MACs ...:aa -> ...:bb. */
static struct fspec frame(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			  uint16_t dport)
{
	struct fspec s;

	memset(&s, 0, sizeof(s));
	s.l3 = strchr(src, ':') ? 6 : 4;
	ip_of(src, s.sip);
	ip_of(dst, s.dip);
	mac_of(0xaa, s.smac);
	mac_of(0xbb, s.dmac);
	s.proto = proto;
	s.sport = sport;
	s.dport = dport;
	s.pad = 10;
	return s;
}

static struct fspec arp_frame(uint8_t smac_last, uint8_t dmac_last)
{
	struct fspec s;

	memset(&s, 0, sizeof(s));
	mac_of(smac_last, s.smac);
	mac_of(dmac_last, s.dmac);
	return s;
}

static struct fspec with_macs(struct fspec s, uint8_t smac_last, uint8_t dmac_last)
{
	mac_of(smac_last, s.smac);
	mac_of(dmac_last, s.dmac);
	return s;
}

static struct fspec later_frag(struct fspec s)
{
	s.later_frag = true;
	return s;
}

/* Classifies one frame; its length through *len when asked. */
static bool run1(const struct vsw_acl_rules *r, struct vsw_acl_state *st, enum vsw_dir d,
		 const struct fspec *s, uint32_t now, uint32_t *len)
{
	uint8_t buf[FRAME_MAX];
	struct vsw_pkt pkt;
	struct vsw_acl_frame f;
	bool pass = false;

	f.len = build_frame(buf, s);
	T_EQ(vsw_parse(buf, f.len, &pkt), 0);
	if (s->later_frag)
		T_ASSERT(pkt.flags & VSW_PKT_LATER_FRAG);
	f.eth = buf;
	f.pkt = &pkt;
	vsw_acl_classify(r, st, d, &f, 1, now, &pass);
	if (len != NULL)
		*len = f.len;
	return pass;
}

#define PASS(r, d, s) T_ASSERT(run1((r), NULL, (d), &(s), 0, NULL))
#define DROP(r, d, s) T_ASSERT(!run1((r), NULL, (d), &(s), 0, NULL))

/* ---- records ---- */

static struct vsw_acl_addr addr(const char *s)
{
	struct vsw_acl_addr a;
	char why[256];

	if (vsw_acl_addr_parse(s, &a, why, sizeof(why)) < 0)
		T_FAIL("%s: %s", s, why);
	return a;
}

static void valid(const struct vsw_acl_cfg *c)
{
	char why[256];

	if (vsw_cfg_check_acl(c, why, sizeof(why)) < 0)
		T_FAIL("test record refused by the validator: %s", why);
}

static struct vsw_acl_cfg record(enum vsw_acl_action a, enum vsw_dir d, const char *local,
				 const char *remote)
{
	struct vsw_acl_cfg c;

	memset(&c, 0, sizeof(c));
	snprintf(c.port, sizeof(c.port), "p1");
	c.action = a;
	c.dir = d;
	c.local = addr(local);
	c.remote = addr(remote);
	c.protocol = ANYP;
	c.local_port_hi = 65535;
	c.remote_port_hi = 65535;
	return c;
}

static struct vsw_acl_cfg plain(enum vsw_acl_action a, enum vsw_dir d, const char *local,
				const char *remote)
{
	struct vsw_acl_cfg c = record(a, d, local, remote);

	valid(&c);
	return c;
}

static struct vsw_acl_cfg ext(enum vsw_acl_action a, enum vsw_dir d, uint16_t weight,
			      const char *local, const char *remote, int16_t proto)
{
	struct vsw_acl_cfg c = record(a, d, local, remote);

	c.extended = true;
	c.weight = weight;
	c.protocol = proto;
	valid(&c);
	return c;
}

static struct vsw_acl_cfg ports(struct vsw_acl_cfg c, uint16_t llo, uint16_t lhi, uint16_t rlo,
				uint16_t rhi)
{
	c.local_port_lo = llo;
	c.local_port_hi = lhi;
	c.remote_port_lo = rlo;
	c.remote_port_hi = rhi;
	valid(&c);
	return c;
}

static struct vsw_acl_cfg stateful(struct vsw_acl_cfg c, uint32_t idle)
{
	c.stateful = true;
	c.idle_timeout_s = idle;
	valid(&c);
	return c;
}

#define PAD_PER_KIND 12
#define NMAX 64

/* The case's records, and with 'pad' rules after them in every set that
 * match no address a case uses (198.51.100.0/24, 2001:db8:dead::/48):
 * more than the linear scan takes, so the rte_acl path decides. No deny
 * among them: a deny changes what becomes of frames the parser could not
 * read (unseen_headers). */
static struct vsw_acl_rules *build(const struct vsw_acl_cfg *c, unsigned int n, bool pad)
{
	struct vsw_acl_cfg all[NMAX + 4 * PAD_PER_KIND];
	struct vsw_acl_rules *r;
	unsigned int m = n;
	char why[256];

	T_ASSERT(n <= NMAX);
	memcpy(all, c, n * sizeof(*c));
	for (unsigned int i = 0; pad && i < PAD_PER_KIND; i++) {
		char a4[64], a6[64];

		snprintf(a4, sizeof(a4), "198.51.100.%u", i);
		snprintf(a6, sizeof(a6), "2001:db8:dead::%x", i);
		all[m++] = plain(i % 2 ? ALLOW : METER, BOTH, "any", a4);
		all[m++] = plain(i % 2 ? ALLOW : METER, BOTH, a6, "any");
		all[m++] = ext(ALLOW, BOTH, (uint16_t)(65000 + i), a4, "any", ANYP);
		all[m++] = ports(ext(ALLOW, BOTH, (uint16_t)(65100 + i), "any", a6, 6), 0, 65535,
				 1, 2);
	}
	if (vsw_acl_rules_build(all, m, NULL, &r, why, sizeof(why)) < 0)
		T_FAIL("build: %s", why);
	return r;
}

static uint64_t hits(const struct vsw_acl_rules *r, unsigned int i, uint64_t *bytes)
{
	uint64_t f, b;

	T_EQ(vsw_acl_rules_hits(r, i, &f, &b), 0);
	if (bytes != NULL)
		*bytes = b;
	return f;
}

/* ---- semantic cases ---- */

static void empty_rules(void)
{
	struct vsw_acl_rules *r;
	struct fspec v4 = frame("10.0.0.1", "10.0.0.2", 6, 1, 2);
	struct fspec v6 = frame("2001:db8::1", "2001:db8::2", 17, 1, 2);
	struct fspec arp = arp_frame(1, 2);
	char why[64];

	T_EQ(vsw_acl_rules_build(NULL, 0, NULL, &r, why, sizeof(why)), 0);
	T_ASSERT(!vsw_acl_rules_active(r, IN));
	T_ASSERT(!vsw_acl_rules_active(r, OUT));
	T_EQ(vsw_acl_rules_hits(r, 0, NULL, NULL), -ENOENT);
	PASS(r, IN, v4);
	PASS(r, OUT, v4);
	PASS(r, IN, v6);
	PASS(r, OUT, arp);
	vsw_acl_rules_free(r);
	PASS(NULL, OUT, v4);
}

static void active_per_direction(void)
{
	struct vsw_acl_cfg c[2];
	struct vsw_acl_rules *r;

	c[0] = plain(DENY, IN, "any", "10.0.0.0/8");
	r = build(c, 1, false);
	T_ASSERT(vsw_acl_rules_active(r, IN));
	T_ASSERT(!vsw_acl_rules_active(r, OUT));
	T_ASSERT(!vsw_acl_rules_stateful(r));
	vsw_acl_rules_free(r);
	c[0] = ext(ALLOW, OUT, 5, "any", "any", 6);
	r = build(c, 1, false);
	T_ASSERT(!vsw_acl_rules_active(r, IN));
	T_ASSERT(vsw_acl_rules_active(r, OUT));
	T_ASSERT(!vsw_acl_rules_stateful(r));
	vsw_acl_rules_free(r);
	c[1] = stateful(ext(ALLOW, IN, 6, "any", "any", 17), 0);
	r = build(c, 2, false);
	T_ASSERT(vsw_acl_rules_stateful(r));
	vsw_acl_rules_free(r);
	T_ASSERT(!vsw_acl_rules_stateful(NULL));
	T_ASSERT(!vsw_acl_rules_active(NULL, BOTH));
	c[0] = plain(DENY, BOTH, "02:00:00:00:00:01", "any");
	r = build(c, 1, false);
	T_ASSERT(vsw_acl_rules_active(r, IN));
	T_ASSERT(vsw_acl_rules_active(r, OUT));
	vsw_acl_rules_free(r);
	c[0] = plain(METER, OUT, "any", "2001:db8::/32");
	r = build(c, 1, false);
	T_ASSERT(!vsw_acl_rules_active(r, IN));
	T_ASSERT(vsw_acl_rules_active(r, OUT));
	vsw_acl_rules_free(r);
}

static void longest_prefix(bool pad)
{
	struct vsw_acl_cfg c[4];
	struct vsw_acl_rules *r;
	struct fspec a = frame("10.9.0.1", "10.1.2.3", 6, 1000, 80);
	struct fspec b = frame("10.9.0.1", "10.2.0.1", 6, 1000, 80);
	struct fspec o = frame("10.9.0.1", "11.0.0.1", 6, 1000, 80);
	struct fspec x = frame("10.9.0.1", "10.1.2.200", 6, 1000, 80);

	c[0] = plain(DENY, OUT, "any", "10.0.0.0/8");
	c[1] = plain(ALLOW, OUT, "any", "10.1.0.0/16");
	c[2] = plain(DENY, OUT, "any", "10.1.2.128/25");
	r = build(c, 3, pad);
	PASS(r, OUT, a);
	DROP(r, OUT, b);
	PASS(r, OUT, o);
	DROP(r, OUT, x);
	T_EQ(hits(r, 0, NULL), 1);
	T_EQ(hits(r, 1, NULL), 1);
	T_EQ(hits(r, 2, NULL), 1);
	vsw_acl_rules_free(r);

	/* IPv6 likewise, deny first in the list this time. */
	c[0] = plain(ALLOW, IN, "any", "2001:db8:1::/48");
	c[1] = plain(DENY, IN, "any", "2001:db8::/32");
	r = build(c, 2, pad);
	a = frame("2001:db8:1::5", "2001:db8:9::1", 17, 53, 5353);
	b = frame("2001:db8:2::5", "2001:db8:9::1", 17, 53, 5353);
	PASS(r, IN, a);
	DROP(r, IN, b);
	vsw_acl_rules_free(r);
}

/* The rank of a record is its longest side, not the sum of its sides. */
static void tie_goes_to_deny(bool pad)
{
	struct vsw_acl_cfg c[4];
	struct vsw_acl_rules *r;
	struct fspec a = frame("10.0.0.1", "10.9.9.9", 17, 1, 2);

	c[0] = plain(ALLOW, OUT, "10.0.0.1", "any");
	c[1] = plain(DENY, OUT, "any", "10.9.9.9");
	r = build(c, 2, pad);
	DROP(r, OUT, a);
	T_EQ(hits(r, 0, NULL), 0);
	T_EQ(hits(r, 1, NULL), 1);
	vsw_acl_rules_free(r);

	/* Same rank, deny given first: still deny. */
	c[0] = plain(DENY, OUT, "10.0.0.0/24", "any");
	c[1] = plain(ALLOW, OUT, "any", "10.9.9.0/24");
	r = build(c, 2, pad);
	DROP(r, OUT, a);
	vsw_acl_rules_free(r);

	/* local /24 + remote /8 ranks 24 (a sum would give 32): a /28 deny
	 * outranks it. */
	c[0] = plain(ALLOW, OUT, "10.0.0.0/24", "10.0.0.0/8");
	c[1] = plain(DENY, OUT, "any", "10.9.9.0/28");
	c[2] = plain(DENY, OUT, "any", "10.9.0.0/16");
	r = build(c, 3, pad);
	DROP(r, OUT, a);
	T_EQ(hits(r, 1, NULL), 1);
	a = frame("10.0.0.1", "10.9.8.1", 17, 1, 2);
	PASS(r, OUT, a);                 /* 24 beats the /16 deny */
	T_EQ(hits(r, 0, NULL), 1);
	vsw_acl_rules_free(r);
}

static void mac_beats_ip(bool pad)
{
	struct vsw_acl_cfg c[6];
	struct vsw_acl_rules *r;
	/* Outbound: local = source MAC ...:aa, remote = destination ...:bb. */
	struct fspec v4 = frame("10.0.0.1", "10.1.2.3", 6, 1, 2);
	struct fspec v6 = frame("2001:db8::1", "2001:db8::2", 6, 1, 2);
	struct fspec arp = arp_frame(0xaa, 0xbb);

	c[0] = plain(DENY, OUT, "any", "02:00:00:00:00:bb");
	c[1] = plain(ALLOW, OUT, "any", "10.1.2.3/32");
	c[2] = plain(ALLOW, OUT, "2001:db8::2/128", "any");
	c[3] = plain(ALLOW, OUT, "any", "2001:db8::2/128");
	r = build(c, 4, pad);
	DROP(r, OUT, v4);
	DROP(r, OUT, v6);
	DROP(r, OUT, arp);
	T_EQ(hits(r, 0, NULL), 3);
	v4 = with_macs(v4, 0xaa, 0xcc);
	PASS(r, OUT, v4);
	T_EQ(hits(r, 1, NULL), 1);
	vsw_acl_rules_free(r);

	/* A MAC allow beats an IP deny of any length. */
	c[0] = plain(ALLOW, OUT, "02:00:00:00:00:aa", "any");
	c[1] = plain(DENY, OUT, "any", "10.1.2.3/32");
	c[2] = plain(DENY, OUT, "any", "2001:db8::2/128");
	r = build(c, 3, pad);
	v4 = frame("10.0.0.1", "10.1.2.3", 6, 1, 2);
	PASS(r, OUT, v4);
	PASS(r, OUT, v6);
	v4 = with_macs(v4, 0xa0, 0xbb);
	DROP(r, OUT, v4);
	vsw_acl_rules_free(r);

	/* MAC against MAC: all rank 48, so deny wins; both sides must
	 * match for a two-sided record. */
	c[0] = plain(ALLOW, OUT, "02:00:00:00:00:aa", "any");
	c[1] = plain(DENY, OUT, "02:00:00:00:00:aa", "02:00:00:00:00:bb");
	c[2] = plain(ALLOW, OUT, "any", "02:00:00:00:00:bb");
	r = build(c, 3, pad);
	arp = arp_frame(0xaa, 0xbb);
	DROP(r, OUT, arp);
	arp = arp_frame(0xaa, 0xcc);
	PASS(r, OUT, arp);
	arp = arp_frame(0xab, 0xbb);
	PASS(r, OUT, arp);
	T_EQ(hits(r, 1, NULL), 1);
	T_EQ(hits(r, 0, NULL), 1);
	T_EQ(hits(r, 2, NULL), 1);
	vsw_acl_rules_free(r);
}

static void meter_counts(bool pad)
{
	struct vsw_acl_cfg c[4];
	struct vsw_acl_rules *r;
	struct fspec a = frame("10.9.0.1", "10.1.2.3", 17, 1, 2);
	struct fspec b = frame("10.9.0.1", "10.5.0.1", 17, 1, 2);
	struct fspec d = frame("10.9.0.1", "12.0.0.1", 17, 1, 2);
	uint64_t bytes;
	uint32_t len;

	c[0] = plain(METER, OUT, "any", "10.0.0.0/8");
	c[1] = plain(METER, OUT, "any", "10.1.0.0/16");
	c[2] = plain(DENY, OUT, "any", "10.1.2.0/24");
	r = build(c, 3, pad);
	T_ASSERT(!run1(r, NULL, OUT, &a, 0, &len));
	T_EQ(hits(r, 1, &bytes), 1);
	T_EQ(bytes, len);
	T_EQ(hits(r, 0, NULL), 0);
	T_EQ(hits(r, 2, NULL), 1);
	b.pad = 100;
	T_ASSERT(run1(r, NULL, OUT, &b, 0, &len));
	T_ASSERT(run1(r, NULL, OUT, &b, 0, NULL));
	T_EQ(hits(r, 0, &bytes), 2);
	T_EQ(bytes, 2 * len);
	PASS(r, OUT, d);
	DROP(r, OUT, a);
	T_EQ(hits(r, 1, NULL), 2);
	/* Inbound has no records. */
	PASS(r, IN, a);
	T_EQ(hits(r, 1, NULL), 2);
	vsw_acl_rules_free(r);

	/* A meter alone passes everything it counts. */
	c[0] = plain(METER, BOTH, "2001:db8::/32", "any");
	r = build(c, 1, pad);
	a = frame("2001:db8::1", "2001:db9::1", 6, 1, 2);
	PASS(r, OUT, a);
	PASS(r, IN, a);                  /* inbound: local is the destination */
	T_EQ(hits(r, 0, NULL), 1);
	vsw_acl_rules_free(r);
}

static void families_apart(bool pad)
{
	struct vsw_acl_cfg c[2];
	struct vsw_acl_rules *r;
	struct fspec v4 = frame("10.0.0.1", "10.0.0.2", 6, 1, 2);
	struct fspec v6 = frame("2001:db8::1", "2001:db8::2", 6, 1, 2);
	/* An IPv6 address whose first bytes spell an IPv4 one. */
	struct fspec v6b = frame("a00:1::", "a00:2::", 6, 1, 2);
	struct fspec arp = arp_frame(1, 2);

	c[0] = plain(DENY, BOTH, "any", "0.0.0.0/0");
	r = build(c, 1, pad);
	DROP(r, OUT, v4);
	DROP(r, IN, v4);
	PASS(r, OUT, v6);
	PASS(r, OUT, v6b);
	PASS(r, OUT, arp);
	vsw_acl_rules_free(r);

	c[0] = plain(DENY, BOTH, "::/0", "any");
	r = build(c, 1, pad);
	PASS(r, OUT, v4);
	DROP(r, OUT, v6);
	PASS(r, IN, arp);
	vsw_acl_rules_free(r);

	c[0] = plain(DENY, OUT, "10.0.0.0/8", "any");
	r = build(c, 1, pad);
	DROP(r, OUT, v4);
	PASS(r, OUT, v6b);
	vsw_acl_rules_free(r);

	/* An extended record with no address matches both families, not ARP. */
	c[0] = ext(DENY, OUT, 10, "any", "any", ANYP);
	r = build(c, 1, pad);
	DROP(r, OUT, v4);
	DROP(r, OUT, v6);
	PASS(r, OUT, arp);
	vsw_acl_rules_free(r);
	c[0] = ext(DENY, OUT, 10, "any", "2001:db8::/32", ANYP);
	r = build(c, 1, pad);
	PASS(r, OUT, v4);
	DROP(r, OUT, v6);
	vsw_acl_rules_free(r);
}

/* Local is the source outbound and the destination inbound. */
static void orientation(bool pad)
{
	struct vsw_acl_cfg c[2];
	struct vsw_acl_rules *r;
	struct fspec from5 = frame("10.0.0.5", "10.7.7.7", 6, 1111, 2222);
	struct fspec to5 = frame("10.7.7.7", "10.0.0.5", 6, 2222, 1111);

	c[0] = plain(DENY, BOTH, "10.0.0.5", "any");
	r = build(c, 1, pad);
	DROP(r, OUT, from5);
	PASS(r, OUT, to5);
	DROP(r, IN, to5);
	PASS(r, IN, from5);
	vsw_acl_rules_free(r);

	c[0] = plain(DENY, BOTH, "any", "10.0.0.5");
	r = build(c, 1, pad);
	PASS(r, OUT, from5);
	DROP(r, OUT, to5);
	PASS(r, IN, to5);
	DROP(r, IN, from5);
	vsw_acl_rules_free(r);

	/* One direction only. */
	c[0] = plain(DENY, IN, "10.0.0.5", "any");
	r = build(c, 1, pad);
	PASS(r, OUT, from5);
	PASS(r, OUT, to5);
	DROP(r, IN, to5);
	vsw_acl_rules_free(r);

	/* Ports: the local port is the source port outbound. */
	c[0] = ports(ext(DENY, BOTH, 7, "any", "any", 6), 1111, 1111, 0, 65535);
	r = build(c, 1, pad);
	DROP(r, OUT, from5);
	PASS(r, OUT, to5);
	DROP(r, IN, to5);
	PASS(r, IN, from5);
	vsw_acl_rules_free(r);

	/* MACs: local is the source MAC (...:aa) outbound. */
	c[0] = plain(DENY, BOTH, "02:00:00:00:00:aa", "any");
	r = build(c, 1, pad);
	DROP(r, OUT, from5);
	PASS(r, IN, from5);
	from5 = with_macs(from5, 0xbb, 0xaa);
	PASS(r, OUT, from5);
	DROP(r, IN, from5);
	vsw_acl_rules_free(r);
}

static void extended_weights(bool pad)
{
	struct vsw_acl_cfg c[5];
	struct vsw_acl_rules *r;
	struct fspec a = frame("10.9.0.1", "10.1.0.1", 6, 1000, 80);
	struct fspec b = frame("10.9.0.1", "10.2.0.1", 6, 1000, 80);
	struct fspec u = frame("10.9.0.1", "10.2.0.1", 17, 1000, 80);
	struct fspec icmp = frame("10.9.0.1", "10.2.0.1", 1, 0, 0);

	c[0] = ext(ALLOW, OUT, 10, "any", "10.0.0.0/8", 6);
	c[1] = ext(DENY, OUT, 20, "any", "10.1.0.0/16", ANYP);
	c[2] = ext(DENY, OUT, 5, "any", "any", ANYP);
	/* Extended ACLs come first: this plain allow never decides. */
	c[3] = plain(ALLOW, OUT, "any", "10.1.0.1");
	c[4] = ext(ALLOW, OUT, 6, "any", "any", 1);
	r = build(c, 5, pad);
	DROP(r, OUT, a);
	PASS(r, OUT, b);
	DROP(r, OUT, u);
	PASS(r, OUT, icmp);
	T_EQ(hits(r, 1, NULL), 1);
	T_EQ(hits(r, 0, NULL), 1);
	T_EQ(hits(r, 2, NULL), 1);
	T_EQ(hits(r, 3, NULL), 0);
	T_EQ(hits(r, 4, NULL), 1);
	vsw_acl_rules_free(r);

	/* The weight decides, not the order given. */
	c[0] = ext(DENY, OUT, 1, "any", "any", ANYP);
	c[1] = ext(ALLOW, OUT, 2, "any", "any", 6);
	r = build(c, 2, pad);
	PASS(r, OUT, a);
	DROP(r, OUT, u);
	vsw_acl_rules_free(r);
}

static void port_ranges_and_protocols(bool pad)
{
	struct vsw_acl_cfg c[4];
	struct vsw_acl_rules *r;
	struct fspec s;

	c[0] = ports(ext(ALLOW, OUT, 100, "any", "any", 6), 0, 65535, 80, 90);
	c[1] = ports(ext(ALLOW, OUT, 90, "any", "any", 17), 5000, 5001, 0, 65535);
	c[2] = ext(DENY, OUT, 1, "any", "any", ANYP);
	r = build(c, 3, pad);
	s = frame("10.0.0.1", "10.0.0.2", 6, 40000, 80);
	PASS(r, OUT, s);
	s.dport = 90;
	PASS(r, OUT, s);
	s.dport = 91;
	DROP(r, OUT, s);
	s.dport = 79;
	DROP(r, OUT, s);
	s = frame("10.0.0.1", "10.0.0.2", 17, 40000, 85);   /* right port, wrong protocol */
	DROP(r, OUT, s);
	s.sport = 5001;
	PASS(r, OUT, s);
	s.sport = 5002;
	DROP(r, OUT, s);
	s = frame("2001:db8::1", "2001:db8::2", 17, 5000, 1);
	PASS(r, OUT, s);
	vsw_acl_rules_free(r);

	/* Protocol any against one protocol. */
	c[0] = ext(DENY, IN, 50, "any", "any", 17);
	c[1] = ext(ALLOW, IN, 10, "any", "any", ANYP);
	c[2] = ext(DENY, IN, 40, "any", "any", 58);
	r = build(c, 3, pad);
	s = frame("10.0.0.1", "10.0.0.2", 17, 1, 2);
	DROP(r, IN, s);
	s = frame("10.0.0.1", "10.0.0.2", 6, 1, 2);
	PASS(r, IN, s);
	s = frame("10.0.0.1", "10.0.0.2", 1, 0, 0);
	PASS(r, IN, s);
	s = frame("2001:db8::1", "2001:db8::2", 58, 0, 0);
	DROP(r, IN, s);
	s = frame("2001:db8::1", "2001:db8::2", 132, 7, 7);   /* SCTP */
	PASS(r, IN, s);
	vsw_acl_rules_free(r);
}

/* A later fragment has no ports: a port-restricted record never matches
 * it, a record of its protocol without ports does. */
static void later_fragments(bool pad)
{
	struct vsw_acl_cfg c[4];
	struct vsw_acl_rules *r;
	struct fspec s;

	c[0] = ports(ext(ALLOW, OUT, 100, "any", "any", 6), 0, 65535, 80, 80);
	c[1] = ext(DENY, OUT, 50, "any", "any", 6);
	c[2] = ext(ALLOW, OUT, 10, "any", "any", ANYP);
	r = build(c, 3, pad);
	s = frame("10.0.0.1", "10.0.0.2", 6, 1000, 80);
	PASS(r, OUT, s);
	s = later_frag(s);
	DROP(r, OUT, s);
	s = later_frag(frame("10.0.0.1", "10.0.0.2", 17, 1000, 80));
	PASS(r, OUT, s);
	s = frame("2001:db8::1", "2001:db8::2", 6, 1000, 80);
	PASS(r, OUT, s);
	s = later_frag(s);
	DROP(r, OUT, s);
	T_EQ(hits(r, 0, NULL), 2);
	T_EQ(hits(r, 1, NULL), 2);
	T_EQ(hits(r, 2, NULL), 1);
	vsw_acl_rules_free(r);

	/* A range that holds port 0 still needs ports: a fragment's missing
	 * ports are not port 0. */
	c[0] = ports(ext(ALLOW, OUT, 100, "any", "any", 6), 0, 65535, 0, 1023);
	c[1] = ports(ext(ALLOW, OUT, 90, "any", "any", 17), 0, 0, 0, 65535);
	c[2] = ext(DENY, OUT, 1, "any", "any", ANYP);
	r = build(c, 3, pad);
	s = frame("10.0.0.1", "10.0.0.2", 6, 1000, 80);
	PASS(r, OUT, s);
	s = later_frag(s);
	DROP(r, OUT, s);
	s = frame("2001:db8::1", "2001:db8::2", 17, 0, 80);
	PASS(r, OUT, s);
	s = later_frag(s);
	DROP(r, OUT, s);
	vsw_acl_rules_free(r);

	/* Only a port-restricted allow and nothing else: the fragment falls
	 * through to "nothing matched". */
	c[0] = ports(ext(DENY, OUT, 100, "any", "any", 17), 0, 65535, 53, 53);
	r = build(c, 1, pad);
	s = frame("10.0.0.1", "10.0.0.2", 17, 1000, 53);
	DROP(r, OUT, s);
	s = later_frag(s);
	PASS(r, OUT, s);
	vsw_acl_rules_free(r);
}

/* Classifies 'len' raw bytes, however vsw_parse takes them. */
static bool run_raw(const struct vsw_acl_rules *r, enum vsw_dir d, const uint8_t *b,
		    uint32_t len)
{
	struct vsw_pkt pkt;
	struct vsw_acl_frame f = { b, &pkt, len };
	bool pass = false;

	(void)vsw_parse(b, len, &pkt);
	vsw_acl_classify(r, NULL, d, &f, 1, 0, &pass);
	return pass;
}

/* A frame the parser could not read to its upper layer must not slip
 * past a deny that looks there. */
static void unseen_headers(bool pad)
{
	struct vsw_acl_cfg c[3];
	struct vsw_acl_rules *r;
	uint8_t chain[FRAME_MAX], cut_ip[30], cut_l4[FRAME_MAX];
	uint32_t chain_len, cut_l4_len;
	struct fspec s = frame("2001:db8::1", "2001:db8::2", 6, 1000, 22);
	struct vsw_pkt pkt;

	/* IPv6 + nine destination options headers + TCP to port 22. */
	chain_len = build_frame(chain, &s);
	memmove(chain + 54 + 72, chain + 54, chain_len - 54);
	for (int k = 0; k < 9; k++) {
		memset(chain + 54 + 8 * k, 0, 8);
		chain[54 + 8 * k] = k < 8 ? 60 : 6;
	}
	chain[20] = 60;
	chain_len += 72;
	put16(chain + 18, (uint16_t)(chain_len - 54));
	T_EQ(vsw_parse(chain, chain_len, &pkt), 0);
	T_ASSERT(pkt.flags & VSW_PKT_CHAIN_LONG);
	/* IPv4 whose header is cut short. */
	s = frame("10.0.0.1", "10.0.0.2", 6, 1000, 22);
	T_ASSERT(build_frame(cut_l4, &s) > sizeof(cut_ip));
	memcpy(cut_ip, cut_l4, sizeof(cut_ip));
	T_EQ(vsw_parse(cut_ip, sizeof(cut_ip), &pkt), -EBADMSG);
	T_EQ(pkt.l3, VSW_L3_OTHER);
	/* IPv4 whose TCP header is cut short. */
	cut_l4_len = 14 + 20 + 8;
	put16(cut_l4 + 16, 28);
	T_EQ(vsw_parse(cut_l4, cut_l4_len, &pkt), -EBADMSG);
	T_ASSERT(pkt.l3 == VSW_L3_IPV4 && !(pkt.flags & VSW_PKT_L4));

	c[0] = ports(ext(DENY, OUT, 100, "any", "any", 6), 0, 65535, 22, 22);
	c[1] = ext(ALLOW, OUT, 1, "any", "any", ANYP);
	r = build(c, 2, pad);
	T_ASSERT(!run_raw(r, OUT, chain, chain_len));
	T_ASSERT(!run_raw(r, OUT, cut_l4, cut_l4_len));
	T_ASSERT(!run_raw(r, OUT, cut_ip, sizeof(cut_ip)));
	T_ASSERT(run_raw(r, IN, chain, chain_len));    /* no deny inbound */
	s = later_frag(frame("10.0.0.1", "10.0.0.2", 6, 1000, 22));
	PASS(r, OUT, s);                                /* rules decide fragments */
	T_EQ(hits(r, 0, NULL), 0);
	vsw_acl_rules_free(r);

	/* A protocol alone is enough to look past the chain for. */
	c[0] = ext(DENY, OUT, 100, "any", "any", 17);
	c[1] = ext(ALLOW, OUT, 1, "any", "any", ANYP);
	r = build(c, 2, pad);
	T_ASSERT(!run_raw(r, OUT, chain, chain_len));
	T_ASSERT(!run_raw(r, OUT, cut_l4, cut_l4_len));
	s = frame("2001:db8::1", "2001:db8::2", 6, 1000, 22);
	PASS(r, OUT, s);
	vsw_acl_rules_free(r);

	/* Allows alone: nothing to slip past. */
	c[0] = ports(ext(ALLOW, OUT, 100, "any", "any", 6), 0, 65535, 80, 80);
	c[1] = plain(ALLOW, OUT, "any", "02:00:00:00:00:bb");
	r = build(c, 2, pad);
	T_ASSERT(run_raw(r, OUT, chain, chain_len));
	T_ASSERT(run_raw(r, OUT, cut_ip, sizeof(cut_ip)));
	vsw_acl_rules_free(r);

	/* An address deny: the cut IPv4 header might hold that address; the
	 * long IPv6 chain's addresses were seen. */
	c[0] = plain(DENY, OUT, "any", "10.0.0.0/8");
	r = build(c, 1, pad);
	T_ASSERT(!run_raw(r, OUT, cut_ip, sizeof(cut_ip)));
	T_ASSERT(run_raw(r, OUT, chain, chain_len));
	vsw_acl_rules_free(r);

	/* A MAC deny sees what it needs in any frame. */
	c[0] = plain(DENY, OUT, "any", "02:00:00:00:00:bc");
	r = build(c, 1, pad);
	T_ASSERT(run_raw(r, OUT, cut_ip, sizeof(cut_ip)));
	cut_ip[5] = 0xbc;
	T_ASSERT(!run_raw(r, OUT, cut_ip, sizeof(cut_ip)));
	vsw_acl_rules_free(r);
}

static void stateful_sessions(bool pad)
{
	struct vsw_acl_cfg c[3];
	struct vsw_acl_rules *r;
	struct vsw_acl_state *st;
	struct vsw_acl_state_stats ss;
	struct fspec req = frame("192.168.0.10", "10.1.1.1", 6, 40000, 80);
	struct fspec resp = frame("10.1.1.1", "192.168.0.10", 6, 80, 40000);
	struct fspec other = frame("10.1.1.1", "192.168.0.10", 6, 80, 40001);
	struct fspec spoof = frame("192.168.0.10", "10.1.1.1", 6, 40000, 80);

	c[0] = stateful(ports(ext(ALLOW, OUT, 100, "any", "10.0.0.0/8", 6), 0, 65535, 80, 80),
			10);
	c[1] = ext(DENY, IN, 1, "any", "any", ANYP);
	r = build(c, 2, pad);
	T_EQ(vsw_acl_state_create(0, &st), 0);

	T_ASSERT(!run1(r, st, IN, &resp, 1000, NULL));      /* nothing opened yet */
	T_ASSERT(run1(r, st, OUT, &req, 1000, NULL));       /* opens */
	vsw_acl_state_stats(st, &ss);
	T_EQ(ss.sessions, 1);
	T_EQ(ss.opened, 1);
	T_ASSERT(run1(r, st, IN, &resp, 1001, NULL));
	T_ASSERT(!run1(r, st, IN, &other, 1001, NULL));    /* another flow */
	T_ASSERT(!run1(r, st, IN, &spoof, 1001, NULL));    /* same tuple, wrong way */
	T_EQ(hits(r, 0, NULL), 1);                          /* session frames count nothing */
	T_EQ(hits(r, 1, NULL), 3);
	/* Idle 9 s of 10: still open, and the return traffic refreshes it. */
	T_ASSERT(run1(r, st, IN, &resp, 1010, NULL));
	T_ASSERT(run1(r, st, IN, &resp, 1019, NULL));
	/* Idle 10 s: closed. */
	T_ASSERT(!run1(r, st, IN, &resp, 1029, NULL));
	vsw_acl_state_stats(st, &ss);
	T_EQ(ss.sessions, 0);
	T_EQ(ss.expired, 1);
	/* Outbound traffic opens it again and keeps it open. */
	T_ASSERT(run1(r, st, OUT, &req, 1030, NULL));
	T_ASSERT(run1(r, st, OUT, &req, 1039, NULL));      /* passes by the session */
	T_EQ(hits(r, 0, NULL), 2);
	T_ASSERT(run1(r, st, IN, &resp, 1048, NULL));
	vsw_acl_state_stats(st, &ss);
	T_EQ(ss.opened, 2);
	vsw_acl_rules_free(r);

	/* Idle timeout 0 is 300 s; IPv6; UDP; the session survives a
	 * rebuild of the rules (it is the port's, not the rules'). */
	c[0] = stateful(ext(ALLOW, IN, 100, "2001:db8:1::/48", "any", 17), 0);
	c[1] = ext(DENY, BOTH, 1, "any", "any", ANYP);
	r = build(c, 2, pad);
	req = frame("2001:db8:9::1", "2001:db8:1::1", 17, 53, 5353);
	resp = frame("2001:db8:1::1", "2001:db8:9::1", 17, 5353, 53);
	T_ASSERT(!run1(r, st, OUT, &resp, 2000, NULL));
	T_ASSERT(run1(r, st, IN, &req, 2000, NULL));
	vsw_acl_rules_free(r);
	r = build(c, 2, pad);
	T_ASSERT(run1(r, st, OUT, &resp, 2299, NULL));
	T_ASSERT(run1(r, st, OUT, &resp, 2598, NULL));
	T_ASSERT(!run1(r, st, OUT, &resp, 2898, NULL));
	vsw_acl_rules_free(r);
	vsw_acl_state_free(st);
}

static void sessions_full(bool pad)
{
	struct vsw_acl_cfg c[2];
	struct vsw_acl_rules *r;
	struct vsw_acl_state *st;
	struct vsw_acl_state_stats ss;
	struct fspec req, resp;

	c[0] = stateful(ext(ALLOW, OUT, 100, "any", "any", 17), 30);
	c[1] = ext(DENY, IN, 1, "any", "any", ANYP);
	r = build(c, 2, pad);
	T_EQ(vsw_acl_state_create(4, &st), 0);
	for (uint16_t p = 0; p < 5; p++) {
		req = frame("10.0.0.1", "10.0.0.2", 17, (uint16_t)(1000 + p), 53);
		T_ASSERT(run1(r, st, OUT, &req, 100, NULL));   /* the first frame passes */
	}
	vsw_acl_state_stats(st, &ss);
	T_EQ(ss.sessions, 4);
	T_EQ(ss.opened, 4);
	T_EQ(ss.full, 1);
	for (uint16_t p = 0; p < 5; p++) {
		resp = frame("10.0.0.2", "10.0.0.1", 17, 53, (uint16_t)(1000 + p));
		T_EQ(run1(r, st, IN, &resp, 101, NULL), p < 4);
	}
	/* Once the others are idle, room again. */
	req = frame("10.0.0.1", "10.0.0.2", 17, 2000, 53);
	T_ASSERT(run1(r, st, OUT, &req, 200, NULL));
	resp = frame("10.0.0.2", "10.0.0.1", 17, 53, 2000);
	T_ASSERT(run1(r, st, IN, &resp, 200, NULL));
	vsw_acl_state_stats(st, &ss);
	T_EQ(ss.full, 1);
	T_EQ(ss.opened, 5);
	T_ASSERT(ss.sessions >= 1);
	vsw_acl_rules_free(r);
	vsw_acl_state_free(st);
}

/* Counters survive a rebuild for the records that stay, whatever their
 * new place; a new record starts at zero. */
static void hits_carry_over(bool pad)
{
	struct vsw_acl_cfg c[4], d[4];
	struct vsw_acl_rules *r, *r2;
	struct fspec a = frame("10.0.0.1", "10.1.0.1", 6, 1, 80);
	struct fspec b = frame("10.0.0.1", "10.2.0.1", 6, 1, 80);
	uint64_t bytes, bytes2;
	char why[256];

	c[0] = plain(DENY, OUT, "any", "10.1.0.0/16");
	c[1] = ext(ALLOW, OUT, 5, "any", "10.2.0.0/16", 6);
	c[2] = plain(METER, OUT, "any", "10.0.0.0/8");
	r = build(c, 3, pad);
	DROP(r, OUT, a);
	DROP(r, OUT, a);
	PASS(r, OUT, b);
	T_EQ(hits(r, 0, &bytes), 2);
	T_EQ(hits(r, 2, NULL), 2);

	d[0] = c[2];
	d[1] = plain(ALLOW, OUT, "any", "10.3.0.0/16");
	d[2] = c[0];
	d[3] = ext(ALLOW, OUT, 6, "any", "10.2.0.0/16", 6);   /* c[1] changed weight */
	T_EQ(vsw_acl_rules_build(d, 4, r, &r2, why, sizeof(why)), 0);
	T_EQ(hits(r2, 0, NULL), 2);
	T_EQ(hits(r2, 1, NULL), 0);
	T_EQ(hits(r2, 2, &bytes2), 2);
	T_EQ(bytes2, bytes);
	T_EQ(hits(r2, 3, NULL), 0);
	DROP(r2, OUT, a);
	T_EQ(hits(r2, 2, NULL), 3);
	T_EQ(hits(r, 0, NULL), 2);       /* the old rules are left alone */
	vsw_acl_rules_free(r);
	vsw_acl_rules_free(r2);
}

static void refusals(void)
{
	struct vsw_acl_cfg c[3];
	struct vsw_acl_rules *r = NULL;
	char why[256];

	c[0] = ext(ALLOW, IN, 5, "any", "any", 6);
	c[1] = ext(DENY, OUT, 5, "any", "any", 6);
	T_EQ(vsw_acl_rules_build(c, 2, NULL, &r, why, sizeof(why)), 0);
	vsw_acl_rules_free(r);
	c[1].dir = BOTH;
	why[0] = 0;
	T_EQ(vsw_acl_rules_build(c, 2, NULL, &r, why, sizeof(why)), -EINVAL);
	T_ASSERT(r == NULL);
	T_ASSERT(strstr(why, "weight 5") != NULL);
	c[1] = plain(DENY, IN, "any", "10.0.0.0/8");
	c[1].remote.plen = 40;
	T_EQ(vsw_acl_rules_build(c, 2, NULL, &r, why, sizeof(why)), -EINVAL);
	T_ASSERT(strstr(why, "ACL 1") != NULL);
	c[1] = plain(DENY, IN, "any", "10.0.0.0/8");
	c[1].local = addr("2001:db8::/32");
	T_EQ(vsw_acl_rules_build(c, 2, NULL, &r, why, sizeof(why)), -EINVAL);
	c[1] = ext(DENY, IN, 9, "any", "any", 1);
	c[1].remote_port_lo = 5;
	T_EQ(vsw_acl_rules_build(c, 2, NULL, &r, why, sizeof(why)), -EINVAL);
}

/* A call with a burst larger than the internal one, mixed families and
 * directions of MAC, IP and non-IP frames; and the dir-is-BOTH misuse. */
static void bursts(void)
{
	struct vsw_acl_cfg c[2];
	struct vsw_acl_rules *r;
	uint8_t buf[100][FRAME_MAX];
	struct vsw_pkt pkt[100];
	struct vsw_acl_frame f[100];
	bool pass[100];

	c[0] = plain(DENY, OUT, "any", "10.0.0.0/8");
	c[1] = plain(DENY, OUT, "any", "02:00:00:00:00:07");
	r = build(c, 2, true);
	for (int i = 0; i < 100; i++) {
		char dst[32];
		struct fspec s;

		snprintf(dst, sizeof(dst), "%d.0.0.1", i % 3 == 0 ? 10 : 11);
		s = i % 5 == 4 ? arp_frame(1, (uint8_t)(i % 10)) :
				  with_macs(frame("10.9.9.9", dst, 17, 1, 2), 1, (uint8_t)(i % 10));
		f[i].len = build_frame(buf[i], &s);
		T_EQ(vsw_parse(buf[i], f[i].len, &pkt[i]), 0);
		f[i].eth = buf[i];
		f[i].pkt = &pkt[i];
	}
	vsw_acl_classify(r, NULL, OUT, f, 100, 0, pass);
	for (int i = 0; i < 100; i++)
		T_EQ(pass[i], !((i % 5 != 4 && i % 3 == 0) || i % 10 == 7));
	vsw_acl_classify(r, NULL, BOTH, f, 100, 0, pass);
	for (int i = 0; i < 100; i++)
		T_ASSERT(!pass[i]);
	vsw_acl_rules_free(r);
}

/* ---- the differential test ---- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	rng_state = x;
	return (uint32_t)(x >> 16);
}

static uint32_t below(uint32_t n)
{
	return rnd() % n;
}

static void pool_ip(int fam, uint8_t out[16])
{
	memset(out, 0, 16);
	if (fam == 4) {
		out[0] = 10;
		out[1] = (uint8_t)below(4);
		out[2] = (uint8_t)below(4);
		out[3] = (uint8_t)below(16);
		if (below(20) == 0)
			out[0] = (uint8_t)rnd();
	} else {
		out[0] = 0x20;
		out[1] = 0x01;
		out[2] = 0x0d;
		out[3] = 0xb8;
		out[5] = (uint8_t)below(4);
		out[9] = (uint8_t)below(4);
		out[15] = (uint8_t)below(16);
		if (below(20) == 0)
			out[7] = (uint8_t)rnd();
	}
}

/* A random MAC or prefix of 'fam' (0, 4 or 6) over the frames' address
 * pool; 'narrow' picks only the longer prefixes. */
static void rand_addr(int fam, struct vsw_acl_addr *a, bool narrow)
{
	static const uint8_t p4[] = { 0, 4, 8, 12, 16, 18, 20, 24, 26, 28, 30, 32, 32 };
	static const uint8_t p6[] = { 0, 16, 32, 40, 48, 64, 72, 80, 96, 112, 120, 124, 128, 128 };
	uint8_t ip[16];

	memset(a, 0, sizeof(*a));
	if (fam == 0) {
		a->kind = VSW_ADDR_MAC;
		a->plen = 48;
		mac_of((uint8_t)below(16), a->addr);
		return;
	}
	pool_ip(fam, ip);
	a->kind = fam == 4 ? VSW_ADDR_IPV4 : VSW_ADDR_IPV6;
	if (fam == 4)
		a->plen = p4[narrow ? 6 + below(sizeof(p4) - 6) : below(sizeof(p4))];
	else
		a->plen = p6[narrow ? 7 + below(sizeof(p6) - 7) : below(sizeof(p6))];
	for (unsigned int b = 0; b < 16; b++) {
		unsigned int bits = a->plen > b * 8 ? a->plen - b * 8 : 0;

		a->addr[b] = bits >= 8 ? ip[b] : (uint8_t)(ip[b] & (0xff00u >> bits));
	}
}

static void rand_range(uint16_t *lo, uint16_t *hi)
{
	if (below(2)) {
		*lo = 0;
		*hi = 65535;
		return;
	}
	*lo = (uint16_t)(below(3) == 0 ? 0 : below(120));
	*hi = (uint16_t)(*lo + below(3) * below(30));
}

/* A random valid record. In a large set ('large') extended records are
 * fewer and never match every address, and their addresses cover only
 * half of the pool, or they would decide every IP frame before a plain
 * record is looked at. */
static struct vsw_acl_cfg rand_rec(uint16_t *weights, unsigned int *nw, bool large)
{
	struct vsw_acl_cfg c;
	unsigned int k = below(100);
	static const enum vsw_dir dirs[] = { IN, OUT, BOTH };

	memset(&c, 0, sizeof(c));
	snprintf(c.port, sizeof(c.port), "p1");
	c.dir = dirs[below(3)];
	c.protocol = ANYP;
	c.local_port_hi = 65535;
	c.remote_port_hi = 65535;
	if (k < (large ? 75u : 50u)) {
		int fam = k % 50 < 8 ? 0 : k % 50 < 32 ? 4 : 6;
		unsigned int sides = 1 + below(3);

		if (sides & 1)
			rand_addr(fam, &c.local, false);
		if (sides & 2)
			rand_addr(fam, &c.remote, false);
		k = below(10);
		c.action = k < 4 ? ALLOW : k < 8 || fam == 0 ? DENY : METER;
	} else {
		static const int16_t protos[] = { ANYP, ANYP, 6, 6, 17, 17, 1, 58, 50 };
		int fam = below(10) < 1 ? 0 : below(2) ? 4 : 6;

		c.extended = true;
		if (large && fam == 0)
			fam = 4;
		if (fam != 0) {
			if (below(4))
				rand_addr(fam, &c.local, large);
			if (below(4) || (large && c.local.kind == VSW_ADDR_ANY))
				rand_addr(fam, &c.remote, large);
		}
		if (large) {
			/* Addresses 10.0/15 and 2001:db8:0:0/63 only. */
			c.local.addr[fam == 4 ? 1 : 5] &= 1;
			c.remote.addr[fam == 4 ? 1 : 5] &= 1;
		}
		c.protocol = protos[below(sizeof(protos) / sizeof(protos[0]))];
		if (c.protocol == 6 || c.protocol == 17) {
			rand_range(&c.local_port_lo, &c.local_port_hi);
			rand_range(&c.remote_port_lo, &c.remote_port_hi);
		}
		c.action = below(2) ? ALLOW : DENY;
		c.weight = weights[(*nw)++];
		if (c.action == ALLOW && below(3) == 0) {
			c.stateful = true;
			c.idle_timeout_s = below(3) ? 3 + below(20) : 0;
		}
	}
	valid(&c);
	return c;
}

struct ref_sess {
	int l3;
	uint8_t proto;
	bool ports;
	uint8_t lip[16], rip[16];
	uint16_t lport, rport;
	uint32_t last, idle;
};

struct ref {
	const struct vsw_acl_cfg *c;
	unsigned int n;
	uint64_t *frames, *bytes;
	struct ref_sess *sess;
	unsigned int nsess, maxsess;
	unsigned int cap;            /* sessions open at once; 0: no limit */
	uint64_t opened, full;
	uint64_t seen[8];            /* how frames were decided */
};

enum { BY_NONE, BY_SESSION, BY_EXT_ALLOW, BY_EXT_DENY, BY_MAC, BY_PLAIN_ALLOW, BY_PLAIN_DENY,
       BY_METER };

static bool ref_prefix(const uint8_t *a, const uint8_t *ip, unsigned int plen)
{
	if (memcmp(a, ip, plen / 8) != 0)
		return false;
	for (unsigned int b = plen / 8 * 8; b < plen; b++)
		if (((a[b / 8] ^ ip[b / 8]) >> (7 - b % 8)) & 1)
			return false;
	return true;
}

static bool ref_side(const struct vsw_acl_addr *a, int l3, const uint8_t *ip)
{
	switch (a->kind) {
	case VSW_ADDR_ANY:
		return true;
	case VSW_ADDR_IPV4:
		return l3 == 4 && ref_prefix(a->addr, ip, a->plen);
	case VSW_ADDR_IPV6:
		return l3 == 6 && ref_prefix(a->addr, ip, a->plen);
	default:
		return false;
	}
}

static bool is_ip(const struct vsw_acl_addr *a)
{
	return a->kind == VSW_ADDR_IPV4 || a->kind == VSW_ADDR_IPV6;
}

static unsigned int ref_rank(const struct vsw_acl_cfg *c)
{
	unsigned int l = is_ip(&c->local) ? c->local.plen : 0;
	unsigned int r = is_ip(&c->remote) ? c->remote.plen : 0;

	return l > r ? l : r;
}

/* Whether some deny of direction 'd' looks at a protocol or ports ('l4'),
 * or at anything of an IP frame. */
static bool ref_deny_unseen(const struct ref *R, enum vsw_dir d, bool l4)
{
	for (unsigned int i = 0; i < R->n; i++) {
		const struct vsw_acl_cfg *c = &R->c[i];

		if (!(c->dir & d) || c->action != DENY)
			continue;
		if (l4 ? c->extended && (c->protocol != ANYP || c->local_port_lo != 0 ||
					 c->local_port_hi != 65535 || c->remote_port_lo != 0 ||
					 c->remote_port_hi != 65535)
		       : c->extended || is_ip(&c->local) || is_ip(&c->remote))
			return true;
	}
	return false;
}

static void ref_hit(struct ref *R, unsigned int i, uint32_t len)
{
	R->frames[i]++;
	R->bytes[i] += len;
}

static bool ref_classify(struct ref *R, enum vsw_dir d, const uint8_t *eth, uint32_t len,
			 const struct vsw_pkt *p, uint32_t now)
{
	int l3 = p->l3 == VSW_L3_IPV4 ? 4 : p->l3 == VSW_L3_IPV6 ? 6 : 0;
	const uint8_t *lip = d == OUT ? p->src_ip : p->dst_ip;
	const uint8_t *rip = d == OUT ? p->dst_ip : p->src_ip;
	bool has_ports = p->flags & VSW_PKT_PORTS;
	uint16_t lport = has_ports ? (d == OUT ? p->sport : p->dport) : 0;
	uint16_t rport = has_ports ? (d == OUT ? p->dport : p->sport) : 0;
	const uint8_t *lmac = d == OUT ? eth + 6 : eth, *rmac = d == OUT ? eth : eth + 6;
	bool any = false;
	int best = -1, meter = -1, mac = -1, ip = -1;

	for (unsigned int i = 0; i < R->n; i++)
		any |= (R->c[i].dir & d) != 0;
	if (!any) {
		R->seen[BY_NONE]++;
		return true;
	}
	/* What the parser did not see might be what a deny is for. */
	if (l3 == 0 && (p->ethertype == 0x0800 || p->ethertype == 0x86dd) &&
	    ref_deny_unseen(R, d, false))
		return false;
	if (l3 != 0) {
		for (unsigned int s = 0; s < R->nsess; s++) {
			struct ref_sess *e = &R->sess[s];

			if (e->l3 != l3 || e->proto != p->proto || e->ports != has_ports ||
			    memcmp(e->lip, lip, l3 == 4 ? 4 : 16) ||
			    memcmp(e->rip, rip, l3 == 4 ? 4 : 16) || e->lport != lport ||
			    e->rport != rport)
				continue;
			if (now - e->last < e->idle) {
				e->last = now;
				R->seen[BY_SESSION]++;
				return true;
			}
			R->sess[s] = R->sess[--R->nsess];
			break;
		}
		if (!(p->flags & (VSW_PKT_L4 | VSW_PKT_LATER_FRAG)) && ref_deny_unseen(R, d, true))
			return false;
		for (unsigned int i = 0; i < R->n; i++) {
			const struct vsw_acl_cfg *c = &R->c[i];
			bool restricted = c->local_port_lo != 0 || c->local_port_hi != 65535 ||
					  c->remote_port_lo != 0 || c->remote_port_hi != 65535;

			if (!c->extended || !(c->dir & d) || !ref_side(&c->local, l3, lip) ||
			    !ref_side(&c->remote, l3, rip))
				continue;
			if (c->protocol != ANYP && c->protocol != p->proto)
				continue;
			if (restricted && (!has_ports || lport < c->local_port_lo ||
					   lport > c->local_port_hi || rport < c->remote_port_lo ||
					   rport > c->remote_port_hi))
				continue;
			if (best < 0 || c->weight > R->c[best].weight)
				best = (int)i;
		}
		if (best >= 0) {
			const struct vsw_acl_cfg *c = &R->c[best];

			ref_hit(R, (unsigned int)best, len);
			R->seen[c->action == ALLOW ? BY_EXT_ALLOW : BY_EXT_DENY]++;
			if (c->stateful) {
				struct ref_sess *e;
				unsigned int live = 0;

				for (unsigned int s = 0; s < R->nsess; s++)
					live += now - R->sess[s].last < R->sess[s].idle;
				if (R->cap != 0 && live >= R->cap) {
					R->full++;
					return true;
				}
				e = &R->sess[R->nsess++];
				T_ASSERT(R->nsess <= R->maxsess);
				memset(e, 0, sizeof(*e));
				e->l3 = l3;
				e->proto = p->proto;
				e->ports = has_ports;
				memcpy(e->lip, lip, 16);
				memcpy(e->rip, rip, 16);
				e->lport = lport;
				e->rport = rport;
				e->last = now;
				e->idle = c->idle_timeout_s ? c->idle_timeout_s : 300;
				R->opened++;
			}
			return c->action == ALLOW;
		}
	}
	for (unsigned int i = 0; i < R->n; i++) {
		const struct vsw_acl_cfg *c = &R->c[i];
		bool is_mac = c->local.kind == VSW_ADDR_MAC || c->remote.kind == VSW_ADDR_MAC;

		if (c->extended || !(c->dir & d))
			continue;
		if (is_mac) {
			if ((c->local.kind == VSW_ADDR_MAC && memcmp(c->local.addr, lmac, 6)) ||
			    (c->remote.kind == VSW_ADDR_MAC && memcmp(c->remote.addr, rmac, 6)))
				continue;
			/* All MAC records rank alike: deny, then the first given. */
			if (mac < 0 || (c->action == DENY && R->c[mac].action != DENY))
				mac = (int)i;
			continue;
		}
		if (l3 == 0 || !ref_side(&c->local, l3, lip) || !ref_side(&c->remote, l3, rip))
			continue;
		if (c->action == METER) {
			if (meter < 0 || ref_rank(c) > ref_rank(&R->c[meter]))
				meter = (int)i;
			continue;
		}
		if (ip < 0 || ref_rank(c) > ref_rank(&R->c[ip]) ||
		    (ref_rank(c) == ref_rank(&R->c[ip]) && c->action == DENY &&
		     R->c[ip].action != DENY))
			ip = (int)i;
	}
	if (meter >= 0) {
		ref_hit(R, (unsigned int)meter, len);
		R->seen[BY_METER]++;
	}
	if (mac >= 0) {
		ref_hit(R, (unsigned int)mac, len);
		R->seen[BY_MAC]++;
		return R->c[mac].action != DENY;
	}
	if (ip >= 0) {
		ref_hit(R, (unsigned int)ip, len);
		R->seen[R->c[ip].action == DENY ? BY_PLAIN_DENY : BY_PLAIN_ALLOW]++;
		return R->c[ip].action != DENY;
	}
	R->seen[BY_NONE]++;
	return true;
}

static struct fspec rand_frame(void)
{
	static const uint8_t protos[] = { 6, 6, 17, 17, 1, 58, 50, 132 };
	struct fspec s;
	unsigned int k = below(100);

	memset(&s, 0, sizeof(s));
	s.l3 = k < 8 ? 0 : k < 54 ? 4 : 6;
	mac_of((uint8_t)below(18), s.smac);
	mac_of((uint8_t)below(18), s.dmac);
	s.pad = (uint16_t)below(64);
	if (s.l3 == 0)
		return s;
	pool_ip(s.l3, s.sip);
	pool_ip(s.l3, s.dip);
	s.proto = protos[below(sizeof(protos))];
	s.sport = (uint16_t)(below(4) ? below(130) : rnd());
	s.dport = (uint16_t)(below(4) ? below(130) : rnd());
	s.later_frag = below(10) == 0;
	return s;
}

static struct fspec reversed(const struct fspec *s)
{
	struct fspec r = *s;

	memcpy(r.smac, s->dmac, 6);
	memcpy(r.dmac, s->smac, 6);
	memcpy(r.sip, s->dip, 16);
	memcpy(r.dip, s->sip, 16);
	r.sport = s->dport;
	r.dport = s->sport;
	return r;
}

/* 'nrules' random records, 'nframes' random frames in random bursts:
 * every verdict and every counter must agree with the reference. */
static void differential_round(unsigned int nrules, unsigned int nframes, uint64_t *seen)
{
	struct vsw_acl_cfg *c = calloc(nrules ? nrules : 1, sizeof(*c));
	uint16_t *weights = malloc(65535 * sizeof(*weights));
	struct fspec *hist = calloc(64, sizeof(*hist));
	enum vsw_dir *hist_dir = calloc(64, sizeof(*hist_dir));
	struct vsw_acl_rules *r;
	struct vsw_acl_state *st;
	struct vsw_acl_state_stats ss;
	struct ref R;
	unsigned int nw = 0, done = 0, nhist = 0;
	uint32_t now = 1000;
	char why[256];

	T_ASSERT(c && weights && hist && hist_dir);
	for (unsigned int i = 0; i < 65535; i++)
		weights[i] = (uint16_t)(i + 1);
	for (unsigned int i = 65534; i > 0; i--) {
		unsigned int j = below(i + 1);
		uint16_t t = weights[i];

		weights[i] = weights[j];
		weights[j] = t;
	}
	for (unsigned int i = 0; i < nrules; i++)
		c[i] = rand_rec(weights, &nw, nrules > 50);
	if (vsw_acl_rules_build(c, nrules, NULL, &r, why, sizeof(why)) < 0)
		T_FAIL("build of %u random rules: %s", nrules, why);
	T_EQ(vsw_acl_state_create(0, &st), 0);
	memset(&R, 0, sizeof(R));
	R.c = c;
	R.n = nrules;
	R.frames = calloc(nrules + 1, sizeof(uint64_t));
	R.bytes = calloc(nrules + 1, sizeof(uint64_t));
	R.maxsess = nframes;
	R.sess = calloc(nframes + 1, sizeof(*R.sess));
	T_ASSERT(R.frames && R.bytes && R.sess);

	while (done < nframes) {
		uint8_t buf[32][FRAME_MAX];
		struct vsw_pkt pkt[32];
		struct vsw_acl_frame f[32];
		bool pass[32];
		enum vsw_dir d = below(2) ? IN : OUT;
		uint16_t n = (uint16_t)(below(3) == 0 ? 1 : 1 + below(32));

		if (n > nframes - done)
			n = (uint16_t)(nframes - done);
		for (uint16_t i = 0; i < n; i++) {
			struct fspec s;

			/* Return traffic of something sent before, the same
			 * flow again, or something new. */
			if (nhist > 0 && below(3) == 0) {
				unsigned int h = below(nhist < 64 ? nhist : 64);

				s = hist_dir[h] == d ? hist[h] : reversed(&hist[h]);
			} else {
				s = rand_frame();
			}
			hist[nhist % 64] = s;
			hist_dir[nhist % 64] = d;
			nhist++;
			f[i].len = build_frame(buf[i], &s);
			/* Now and then a frame cut short, whatever the parser
			 * makes of it (what it did not see must not help). */
			if (below(40) == 0)
				f[i].len = 14 + below(f[i].len - 13);
			(void)vsw_parse(buf[i], f[i].len, &pkt[i]);
			f[i].eth = buf[i];
			f[i].pkt = &pkt[i];
		}
		vsw_acl_classify(r, st, d, f, n, now, pass);
		for (uint16_t i = 0; i < n; i++) {
			bool want = ref_classify(&R, d, f[i].eth, f[i].len, f[i].pkt, now);

			if (pass[i] != want)
				T_FAIL("%u rules, frame %u (%s, l3 %u proto %u flags %#x): "
				       "classify says %s, the reference %s", nrules, done + i,
				       d == IN ? "inbound" : "outbound", f[i].pkt->l3,
				       f[i].pkt->proto, f[i].pkt->flags, pass[i] ? "pass" : "drop",
				       want ? "pass" : "drop");
		}
		done += n;
		now += below(4) == 0 ? below(6) : 0;
	}
	for (unsigned int i = 0; i < nrules; i++) {
		uint64_t fr, by;

		T_EQ(vsw_acl_rules_hits(r, i, &fr, &by), 0);
		if (fr != R.frames[i] || by != R.bytes[i])
			T_FAIL("%u rules: record %u (%s) counted %" PRIu64 " frames %" PRIu64
			       " bytes, the reference %" PRIu64 " and %" PRIu64, nrules, i,
			       c[i].extended ? "extended" : "plain", fr, by, R.frames[i],
			       R.bytes[i]);
	}
	vsw_acl_state_stats(st, &ss);
	T_EQ(ss.opened, R.opened);
	T_EQ(ss.full, 0);
	for (int k = 0; k < 8; k++)
		seen[k] += R.seen[k];
	if (getenv("VSW_ACL_VERBOSE"))
		printf("#   %u rules: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		       " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", nrules, R.seen[0], R.seen[1],
		       R.seen[2], R.seen[3], R.seen[4], R.seen[5], R.seen[6], R.seen[7]);
	vsw_acl_state_free(st);
	vsw_acl_rules_free(r);
	free(R.frames);
	free(R.bytes);
	free(R.sess);
	free(c);
	free(weights);
	free(hist);
	free(hist_dir);
}

/* A small session table (8 sessions, 16 slots) under churn: flows open,
 * come back, idle out and collide, with the table often full. Up to 64
 * slots an open that finds the table full sweeps all of it, so "full"
 * means exactly "8 sessions are live" and the reference can say which
 * return frames pass. */
static void session_churn(void)
{
	struct vsw_acl_cfg c[6];
	struct vsw_acl_rules *r;
	struct vsw_acl_state *st;
	struct vsw_acl_state_stats ss;
	struct ref R;
	uint32_t now = 50;
	const unsigned int steps = 30000;

	for (unsigned int k = 0; k < 5; k++)
		c[k] = stateful(ports(ext(ALLOW, OUT, (uint16_t)(10 + k), "any", "any", 17), 0,
				      65535, (uint16_t)(k * 10), (uint16_t)(k * 10 + 9)), k + 1);
	c[5] = ext(DENY, IN, 1, "any", "any", ANYP);
	r = build(c, 6, false);
	T_EQ(vsw_acl_state_create(8, &st), 0);
	memset(&R, 0, sizeof(R));
	R.c = c;
	R.n = 6;
	R.cap = 8;
	R.frames = calloc(6, sizeof(uint64_t));
	R.bytes = calloc(6, sizeof(uint64_t));
	R.maxsess = steps;
	R.sess = calloc(steps, sizeof(*R.sess));
	T_ASSERT(R.frames && R.bytes && R.sess);
	for (unsigned int step = 0; step < steps; step++) {
		uint16_t lport = (uint16_t)(1000 + below(4));
		uint16_t rport = (uint16_t)(below(5) * 10 + below(2));
		enum vsw_dir d = below(2) ? OUT : IN;
		struct fspec s = d == OUT ? frame("10.0.0.1", "10.0.0.2", 17, lport, rport) :
					    frame("10.0.0.2", "10.0.0.1", 17, rport, lport);
		uint8_t buf[FRAME_MAX];
		struct vsw_pkt pkt;
		struct vsw_acl_frame f;
		bool pass, want;

		f.len = build_frame(buf, &s);
		T_EQ(vsw_parse(buf, f.len, &pkt), 0);
		f.eth = buf;
		f.pkt = &pkt;
		vsw_acl_classify(r, st, d, &f, 1, now, &pass);
		want = ref_classify(&R, d, buf, f.len, &pkt, now);
		if (pass != want)
			T_FAIL("step %u (%s, ports %u/%u, t=%u): classify says %s, "
			       "the reference %s",
			       step, d == IN ? "inbound" : "outbound", lport, rport, now,
			       pass ? "pass" : "drop", want ? "pass" : "drop");
		now += below(8) == 0;
	}
	vsw_acl_state_stats(st, &ss);
	T_EQ(ss.opened, R.opened);
	T_EQ(ss.full, R.full);
	T_ASSERT(ss.sessions <= 8);
	printf("#   %" PRIu64 " sessions opened, %" PRIu64 " refused as full, %" PRIu64
	       " frames passed by a session\n", R.opened, R.full, R.seen[BY_SESSION]);
	T_ASSERT(R.full > 100 && R.seen[BY_SESSION] > 1000);
	vsw_acl_state_free(st);
	vsw_acl_rules_free(r);
	free(R.frames);
	free(R.bytes);
	free(R.sess);
}

static void differential(void)
{
	uint64_t seen_small[8] = { 0 }, seen_big[8] = { 0 };
	static const char *const names[] = { "nothing", "session", "extended allow",
					     "extended deny", "MAC", "plain allow",
					     "plain deny", "meter" };

	/* The linear scan: rule sets of 1..12. */
	for (unsigned int round = 0; round < 100; round++)
		differential_round(1 + below(12), 400, seen_small);
	/* Sets of about 5..25 per direction and family: above LINEAR_MAX
	 * rte_acl takes bursts and the scan takes calls with a frame or
	 * two of a family, on one rule set. */
	for (unsigned int round = 0; round < 40; round++)
		differential_round(30 + below(100), 800, seen_small);
	/* The rte_acl tries, medium and large. */
	differential_round(100, 20000, seen_big);
	differential_round(1000, 20000, seen_big);
	differential_round(10000, 30000, seen_big);
	for (int k = 0; k < 8; k++) {
		printf("#   %-15s small %6" PRIu64 "  large %6" PRIu64 "\n", names[k],
		       seen_small[k], seen_big[k]);
		/* Each way of deciding was exercised, or the test proves little. */
		T_ASSERT(seen_small[k] > 0 && seen_big[k] > 0);
	}
}

/* ---- --bench: ns per frame (not a test: nothing is asserted) ---- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* What a port's ACLs usually are: remote prefixes allowed or denied,
 * and 5-tuples to a remote host and service (IPv4 mostly). */
static struct vsw_acl_cfg typical_rec(unsigned int i)
{
	struct vsw_acl_cfg c;
	unsigned int k = below(10);
	bool v6 = k == 4 || k == 9;

	memset(&c, 0, sizeof(c));
	snprintf(c.port, sizeof(c.port), "p1");
	c.dir = below(2) ? IN : OUT;
	c.protocol = ANYP;
	c.local_port_hi = 65535;
	c.remote_port_hi = 65535;
	c.remote.kind = v6 ? VSW_ADDR_IPV6 : VSW_ADDR_IPV4;
	if (v6) {
		c.remote.addr[0] = 0x20;
		c.remote.addr[1] = 0x01;
		c.remote.addr[2] = 0x0d;
		c.remote.addr[3] = 0xb8;
		c.remote.addr[4] = 0x77;
		c.remote.addr[6] = (uint8_t)(i >> 8);
		c.remote.addr[7] = (uint8_t)i;
		c.remote.plen = 64;
	} else {
		c.remote.addr[0] = 172;
		c.remote.addr[1] = 16;
		c.remote.addr[2] = (uint8_t)(i >> 8);
		c.remote.addr[3] = (uint8_t)i;
		c.remote.plen = 32;
	}
	if (k < 5) {
		c.action = below(2) ? ALLOW : DENY;
	} else {
		c.extended = true;
		c.action = below(2) ? ALLOW : DENY;
		c.protocol = below(2) ? 6 : 17;
		c.remote_port_lo = c.remote_port_hi = (uint16_t)(1 + below(1024));
		c.weight = (uint16_t)(i + 1);
	}
	valid(&c);
	return c;
}

static void bench_one(unsigned int nrules, bool typical)
{
	static uint8_t buf[64][FRAME_MAX];
	struct vsw_pkt pkt[64];
	struct vsw_acl_frame f[64];
	bool pass[32];
	struct vsw_acl_cfg *c = calloc(nrules ? nrules : 1, sizeof(*c));
	uint16_t *weights = malloc(65535 * sizeof(*weights));
	struct vsw_acl_rules *r;
	struct vsw_acl_state *st;
	unsigned int nw = 0, iters = 30000;
	char why[256];
	double t0, t_out, t_in, t_build;

	T_ASSERT(c && weights);
	for (unsigned int i = 0; i < 65535; i++)
		weights[i] = (uint16_t)(i + 1);
	for (unsigned int i = 0; i < nrules; i++)
		c[i] = typical ? typical_rec(i) : rand_rec(weights, &nw, nrules > 50);
	t0 = now_ns();
	T_EQ(vsw_acl_rules_build(c, nrules, NULL, &r, why, sizeof(why)), 0);
	t_build = (now_ns() - t0) / 1e6;
	T_EQ(vsw_acl_state_create(0, &st), 0);
	for (int i = 0; i < 64; i++) {
		struct fspec s = rand_frame();

		s.l3 = i % 2 ? 4 : 6;
		if (s.proto == 0)
			s.proto = 17;
		pool_ip(s.l3, s.sip);
		pool_ip(s.l3, s.dip);
		s.later_frag = false;
		s.pad = 0;
		f[i].len = build_frame(buf[i], &s);
		T_EQ(vsw_parse(buf[i], f[i].len, &pkt[i]), 0);
		f[i].eth = buf[i];
		f[i].pkt = &pkt[i];
	}
	/* The best of several runs: the machine is shared, and the least
	 * disturbed run is the closest to the code's own cost. */
	t_out = t_in = 1e12;
	for (int rep = 0; rep < 7; rep++) {
		double t;

		t0 = now_ns();
		for (unsigned int k = 0; k < iters; k++)
			vsw_acl_classify(r, st, OUT, f + (k & 31), 32, 1000 + k / 100000, pass);
		t = (now_ns() - t0) / (iters * 32.0);
		t_out = t < t_out ? t : t_out;
		t0 = now_ns();
		for (unsigned int k = 0; k < iters; k++)
			vsw_acl_classify(r, st, IN, f + (k & 63), 1, 1000 + k / 100000, pass);
		t = (now_ns() - t0) / iters;
		t_in = t < t_in ? t : t_in;
	}
	printf("%6u %s rules: outbound burst 32: %6.1f ns/frame   inbound n=1: %6.1f ns/frame"
	       "   (built in %.0f ms)\n", nrules, typical ? "typical" : "random ", t_out, t_in,
	       t_build);
	vsw_acl_rules_free(r);
	vsw_acl_state_free(st);
	free(c);
	free(weights);
}

int main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-shconf", "--no-pci",
			"-l", "0", "--log-level=lib.eal:error", "--no-telemetry", NULL };
	const char *seed = getenv("VSW_ACL_SEED");

	if (rte_eal_init(10, eal) < 0)
		T_SKIP("DPDK EAL cannot start here");
	rng_state = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ull;
	if (rng_state == 0)
		rng_state = 1;
	if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
		unsigned int sizes[] = { 0, 8, 100, 1000, 10000 };

		for (int typical = 1; typical >= 0; typical--) {
			if (argc > 2) {
				for (int i = 2; i < argc; i++)
					bench_one((unsigned int)atoi(argv[i]), typical);
				continue;
			}
			for (unsigned int i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
				bench_one(sizes[i], typical);
		}
		return 0;
	}
	printf("# seed %#" PRIx64 " (set VSW_ACL_SEED to change)\n", rng_state);
	T_RUN(empty_rules);
	T_RUN(active_per_direction);
	T_RUN(refusals);
	for (int pad = 0; pad < 2; pad++) {
		T_RUN_PAD(longest_prefix, pad);
		T_RUN_PAD(tie_goes_to_deny, pad);
		T_RUN_PAD(mac_beats_ip, pad);
		T_RUN_PAD(meter_counts, pad);
		T_RUN_PAD(families_apart, pad);
		T_RUN_PAD(orientation, pad);
		T_RUN_PAD(extended_weights, pad);
		T_RUN_PAD(port_ranges_and_protocols, pad);
		T_RUN_PAD(later_fragments, pad);
		T_RUN_PAD(unseen_headers, pad);
		T_RUN_PAD(stateful_sessions, pad);
		T_RUN_PAD(sessions_full, pad);
		T_RUN_PAD(hits_carry_over, pad);
	}
	T_RUN(bursts);
	T_RUN(session_churn);
	T_RUN(differential);
	rte_eal_cleanup();
	return 0;
}
