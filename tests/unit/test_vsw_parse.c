/* vswitch/vsw_parse.c: every field the parser fills, for IPv4 (TCP, UDP,
 * ICMP, SCTP, options, fragments) and IPv6 (TCP, UDP, ICMPv6, each kind
 * of extension header, fragments, AH, the chain limit), ARP and other
 * EtherTypes; each way a frame can claim a header it does not carry gives
 * -EBADMSG; Ethernet padding is fine; len < 14 gives -EINVAL.
 *
 * Every frame is parsed from an exactly sized heap copy, so under ASan a
 * read past 'len' is a failure here too; and every strict prefix of every
 * well-formed IP frame must be refused, which is what "reads nothing
 * beyond len" means for the checks (not just for memory).
 *
 * vsw_parse_seg (a frame whose first 'have' bytes are at hand): for every
 * frame here and every 'have', from an exactly sized copy of those bytes,
 * it finds the same faults, stops with VSW_PKT_SPLIT where a header runs
 * past 'have' (claiming no L4 header), and otherwise agrees with
 * vsw_parse; plus the split points that matter, one by one. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness/hvn_test.h"
#include "vswitch/vsw_parse.h"

#define IP4_SRC 10, 1, 2, 3
#define IP4_DST 192, 168, 77, 254

/* A frame under construction; big enough for the longest chain built. */
struct frame {
	uint8_t b[1024];
	uint32_t len;
	uint32_t l3;             /* where the IP header starts */
};

static void put(struct frame *f, const void *d, uint32_t n)
{
	T_ASSERT(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, d, n);
	f->len += n;
}

static void put16(uint8_t *at, uint16_t v)
{
	at[0] = (uint8_t)(v >> 8);
	at[1] = (uint8_t)v;
}

static void eth(struct frame *f, uint16_t type)
{
	static const uint8_t macs[12] = { 0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa };
	uint8_t t[2];

	f->len = 0;
	put(f, macs, sizeof(macs));
	put16(t, type);
	put(f, t, 2);
	f->l3 = f->len;
}

/* An IPv4 header of 'ihl' 32-bit words (options are NOPs); total length
 * and fragment field are filled by ipv4_done / the caller. */
static void ipv4(struct frame *f, unsigned int ihl, uint8_t proto, uint16_t frag)
{
	uint8_t h[60] = { 0 };
	static const uint8_t src[4] = { IP4_SRC }, dst[4] = { IP4_DST };

	T_ASSERT(ihl >= 5 && ihl <= 15);
	h[0] = (uint8_t)(0x40 | ihl);
	put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	memset(h + 20, 1, (ihl - 5) * 4);   /* NOP options */
	put(f, h, ihl * 4);
}

/* Total length: everything from the IP header to the current end. */
static void ipv4_done(struct frame *f)
{
	put16(f->b + f->l3 + 2, (uint16_t)(f->len - f->l3));
}

static void ipv6(struct frame *f, uint8_t nh)
{
	uint8_t h[40] = { 0x60, 0, 0, 0, 0, 0, nh, 64 };

	h[8] = 0x20;
	h[9] = 0x01;
	h[8 + 15] = 0x01;         /* 2001::1 */
	h[24] = 0xfe;
	h[25] = 0x80;
	h[24 + 15] = 0x02;        /* fe80::2 */
	put(f, h, 40);
}

static void ipv6_done(struct frame *f)
{
	put16(f->b + f->l3 + 4, (uint16_t)(f->len - f->l3 - 40));
}

/* Hop-by-hop, routing or destination options: 8 + 8 * units bytes. */
static void ext(struct frame *f, uint8_t nh, uint8_t units)
{
	uint8_t h[8 + 8 * 4] = { nh, units };

	T_ASSERT(units <= 4);
	put(f, h, 8u + 8u * units);
}

/* AH: (units + 2) * 4 bytes (RFC 4302 §2.2). */
static void ah(struct frame *f, uint8_t nh, uint8_t units)
{
	uint8_t h[64] = { nh, units };

	T_ASSERT((units + 2u) * 4u <= sizeof(h));
	put(f, h, (units + 2u) * 4u);
}

/* The fragment header: offset in 8-byte units, M flag. */
static void frag6(struct frame *f, uint8_t nh, uint16_t offset, bool more)
{
	uint8_t h[8] = { nh, 0 };

	put16(h + 2, (uint16_t)(offset << 3 | (more ? 1 : 0)));
	h[4] = 0x12;
	h[7] = 0x34;              /* identification */
	put(f, h, 8);
}

static void tcp(struct frame *f, uint16_t sport, uint16_t dport, uint8_t flags)
{
	uint8_t h[20] = { 0 };

	put16(h, sport);
	put16(h + 2, dport);
	h[12] = 5 << 4;
	h[13] = flags;
	put(f, h, 20);
}

static void udp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t payload)
{
	uint8_t h[8] = { 0 }, zero[64] = { 0 };

	T_ASSERT(payload <= sizeof(zero));
	put16(h, sport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)(8 + payload));
	put(f, h, 8);
	put(f, zero, payload);
}

static void sctp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t h[12] = { 0 };

	put16(h, sport);
	put16(h + 2, dport);
	put(f, h, 12);
}

static void icmp(struct frame *f, uint8_t type, uint8_t code)
{
	uint8_t h[8] = { type, code };

	put(f, h, 8);
}

/* vsw_parse_seg with only the first 'have' bytes of a 'len'-byte frame
 * copied to the heap, exactly sized: a read at or past 'have' is an ASan
 * report. */
static int parse_seg_exact(const uint8_t *b, uint32_t have, uint32_t len, struct vsw_pkt *p)
{
	uint8_t *copy = malloc(have ? have : 1);
	int rc;

	T_ASSERT(copy != NULL);
	memcpy(copy, b, have);
	memset(p, 0xa5, sizeof(*p));
	rc = vsw_parse_seg(copy, have, len, p);
	free(copy);
	return rc;
}

/* The parser on an exactly sized heap copy, with 'p' dirty beforehand so
 * a field the parser forgets to reset shows. */
static int parse_exact(const uint8_t *b, uint32_t len, struct vsw_pkt *p)
{
	uint8_t *copy = malloc(len ? len : 1);
	int rc;

	T_ASSERT(copy != NULL);
	memcpy(copy, b, len);
	memset(p, 0xa5, sizeof(*p));
	rc = vsw_parse(copy, len, p);
	free(copy);
	return rc;
}

static void want_v4(struct vsw_pkt *w)
{
	static const uint8_t src[4] = { IP4_SRC }, dst[4] = { IP4_DST };

	memset(w, 0, sizeof(*w));
	w->l3 = VSW_L3_IPV4;
	w->ethertype = 0x0800;
	w->l3_off = 14;
	memcpy(w->src_ip, src, 4);
	memcpy(w->dst_ip, dst, 4);
}

static void want_v6(struct vsw_pkt *w)
{
	memset(w, 0, sizeof(*w));
	w->l3 = VSW_L3_IPV6;
	w->ethertype = 0x86dd;
	w->l3_off = 14;
	w->src_ip[0] = 0x20;
	w->src_ip[1] = 0x01;
	w->src_ip[15] = 0x01;
	w->dst_ip[0] = 0xfe;
	w->dst_ip[1] = 0x80;
	w->dst_ip[15] = 0x02;
}

static void dump(const char *what, const uint8_t *b, uint32_t len)
{
	fprintf(stderr, "%s (%u bytes):", what, len);
	for (uint32_t i = 0; i < len; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
	fprintf(stderr, "\n");
}

#define FIELD(name) do { \
	if (got->name != want->name) { \
		dump(what, f->b, f->len); \
		T_FAIL("%s: " #name " is %lld, want %lld", what, \
		       (long long)got->name, (long long)want->name); \
	} \
} while (0)

static void compare(const char *what, const struct frame *f, const struct vsw_pkt *got,
		    const struct vsw_pkt *want)
{
	FIELD(l3);
	FIELD(flags);
	FIELD(proto);
	FIELD(icmp_type);
	FIELD(ethertype);
	FIELD(l3_off);
	FIELD(l4_off);
	FIELD(sport);
	FIELD(dport);
	FIELD(tcp_flags);
	if (memcmp(got->src_ip, want->src_ip, 16) || memcmp(got->dst_ip, want->dst_ip, 16)) {
		dump(what, f->b, f->len);
		T_FAIL("%s: addresses differ", what);
	}
}

/* vsw_parse_seg on every first segment of the frame: 'whole' is what the
 * frame parses to with all of it at hand (rc 'whole_rc'). */
static void segments(const char *what, const struct frame *f, int whole_rc,
		     const struct vsw_pkt *whole)
{
	struct vsw_pkt got;
	int rc;

	T_EQ(parse_seg_exact(f->b, 13, f->len, &got), -EINVAL);
	if (f->len > 14)
		T_EQ(parse_seg_exact(f->b, f->len, f->len - 1, &got), -EINVAL);
	for (uint32_t have = 14; have <= f->len; have++) {
		rc = parse_seg_exact(f->b, have, f->len, &got);
		if (have == f->len || (rc == 0 && !(got.flags & VSW_PKT_SPLIT))) {
			/* Nothing was missing: the whole frame's answer. */
			if (rc != whole_rc) {
				dump(what, f->b, f->len);
				T_FAIL("%s, %u of %u bytes at hand: rc %d, want %d", what, have,
				       f->len, rc, whole_rc);
			}
			if (rc == 0)
				compare(what, f, &got, whole);
			continue;
		}
		if (rc == -EBADMSG) {
			/* A fault seen in part of the frame is in all of it. */
			if (whole_rc != -EBADMSG || (got.flags & VSW_PKT_SPLIT)) {
				dump(what, f->b, f->len);
				T_FAIL("%s, %u of %u bytes at hand: -EBADMSG (flags 0x%x), whole rc %d",
				       what, have, f->len, got.flags, whole_rc);
			}
			continue;
		}
		/* Stopped at a header past 'have': no L4 header claimed, and
		 * what it found is what the whole frame has. */
		if (rc != 0 || (got.flags & (VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_LATER_FRAG |
					     VSW_PKT_CHAIN_LONG)) ||
		    got.l4_off || got.sport || got.dport || got.tcp_flags || got.icmp_type) {
			dump(what, f->b, f->len);
			T_FAIL("%s, %u of %u bytes at hand: rc %d, flags 0x%x: a split claims too much",
			       what, have, f->len, rc, got.flags);
		}
		T_EQ(got.ethertype, whole->ethertype);
		if (got.l3 != VSW_L3_OTHER && whole_rc == 0) {
			T_EQ(got.l3, whole->l3);
			T_ASSERT(memcmp(got.src_ip, whole->src_ip, 16) == 0);
			T_ASSERT(memcmp(got.dst_ip, whole->dst_ip, 16) == 0);
		}
	}
}

/* A well-formed frame: parses to 'want'; and since an IP frame built
 * here has no padding, each of its strict prefixes claims bytes it does
 * not have (-EBADMSG), or is not even an Ethernet header (-EINVAL). */
static void expect_ok(const char *what, const struct frame *f, const struct vsw_pkt *want,
		      bool ip_unpadded)
{
	struct vsw_pkt got;
	int rc = parse_exact(f->b, f->len, &got);

	if (rc != 0) {
		dump(what, f->b, f->len);
		T_FAIL("%s: rc %d, want 0", what, rc);
	}
	compare(what, f, &got, want);
	segments(what, f, 0, want);
	if (!ip_unpadded)
		return;
	for (uint32_t n = 0; n < f->len; n++) {
		rc = parse_exact(f->b, n, &got);
		if (rc != (n < 14 ? -EINVAL : -EBADMSG)) {
			dump(what, f->b, f->len);
			T_FAIL("%s cut to %u bytes: rc %d, want %d", what, n, rc,
			       n < 14 ? -EINVAL : -EBADMSG);
		}
	}
}

static void expect_bad(const char *what, const struct frame *f)
{
	struct vsw_pkt got;
	int rc = parse_exact(f->b, f->len, &got);

	if (rc != -EBADMSG) {
		dump(what, f->b, f->len);
		T_FAIL("%s: rc %d, want -EBADMSG (%d)", what, rc, -EBADMSG);
	}
	segments(what, f, -EBADMSG, &got);
}

static void ipv4_l4(void)
{
	struct frame f;
	struct vsw_pkt w;

	eth(&f, 0x0800);
	ipv4(&f, 5, 6, 0);
	tcp(&f, 49152, 443, 0x12);
	ipv4_done(&f);
	want_v4(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS;
	w.proto = 6;
	w.l4_off = 34;
	w.sport = 49152;
	w.dport = 443;
	w.tcp_flags = 0x12;
	expect_ok("IPv4/TCP", &f, &w, true);

	/* Options move the L4 header; DF and the reserved bit are not
	 * fragment offsets. */
	eth(&f, 0x0800);
	ipv4(&f, 15, 6, 0xc000);
	tcp(&f, 1, 65535, 0xff);
	ipv4_done(&f);
	want_v4(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS;
	w.proto = 6;
	w.l4_off = 14 + 60;
	w.sport = 1;
	w.dport = 65535;
	w.tcp_flags = 0xff;
	expect_ok("IPv4 (IHL 15, DF)/TCP", &f, &w, true);

	eth(&f, 0x0800);
	ipv4(&f, 6, 17, 0);
	udp(&f, 68, 67, 5);
	ipv4_done(&f);
	want_v4(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS;
	w.proto = 17;
	w.l4_off = 14 + 24;
	w.sport = 68;
	w.dport = 67;
	expect_ok("IPv4 (IHL 6)/UDP", &f, &w, true);

	eth(&f, 0x0800);
	ipv4(&f, 5, 1, 0);
	icmp(&f, 5, 1);
	ipv4_done(&f);
	want_v4(&w);
	w.flags = VSW_PKT_L4;
	w.proto = 1;
	w.l4_off = 34;
	w.icmp_type = 5;
	expect_ok("IPv4/ICMP redirect", &f, &w, true);

	eth(&f, 0x0800);
	ipv4(&f, 5, 132, 0);
	sctp(&f, 2905, 2906);
	ipv4_done(&f);
	want_v4(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS;
	w.proto = 132;
	w.l4_off = 34;
	w.sport = 2905;
	w.dport = 2906;
	expect_ok("IPv4/SCTP", &f, &w, true);

	/* A protocol without ports (GRE): its offset, nothing else. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 47, 0);
	ipv4_done(&f);
	want_v4(&w);
	w.flags = VSW_PKT_L4;
	w.proto = 47;
	w.l4_off = 34;
	expect_ok("IPv4/GRE, no payload", &f, &w, true);
}

static void ipv4_fragments(void)
{
	static const uint16_t later[] = { 1, 0x2001, 0x1000, 0x1fff, 185 };
	struct frame f;
	struct vsw_pkt w;

	/* The first fragment (MF, offset 0) carries the L4 header. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 6, 0x2000);
	tcp(&f, 80, 50000, 0x10);
	ipv4_done(&f);
	want_v4(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS;
	w.proto = 6;
	w.l4_off = 34;
	w.sport = 80;
	w.dport = 50000;
	w.tcp_flags = 0x10;
	expect_ok("IPv4 first fragment/TCP", &f, &w, true);

	/* Later fragments: no L4 header, however little they carry. */
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		uint8_t four[4] = { 0xde, 0xad, 0xbe, 0xef };

		eth(&f, 0x0800);
		ipv4(&f, 5, 6, later[i]);
		put(&f, four, sizeof(four));
		ipv4_done(&f);
		want_v4(&w);
		w.flags = VSW_PKT_LATER_FRAG;
		w.proto = 6;
		expect_ok("IPv4 later fragment (4 bytes of TCP)", &f, &w, true);
	}

	/* A first fragment too short for its TCP header. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 6, 0x2000);
	{
		uint8_t eight[8] = { 0 };

		put(&f, eight, sizeof(eight));
	}
	ipv4_done(&f);
	expect_bad("IPv4 first fragment with 8 bytes of TCP", &f);
}

static void ipv6_plain(void)
{
	struct frame f;
	struct vsw_pkt w;

	eth(&f, 0x86dd);
	ipv6(&f, 6);
	tcp(&f, 22, 60000, 0x02);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS;
	w.proto = 6;
	w.l4_off = 54;
	w.sport = 22;
	w.dport = 60000;
	w.tcp_flags = 0x02;
	expect_ok("IPv6/TCP", &f, &w, true);

	eth(&f, 0x86dd);
	ipv6(&f, 17);
	udp(&f, 547, 546, 12);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS;
	w.proto = 17;
	w.l4_off = 54;
	w.sport = 547;
	w.dport = 546;
	expect_ok("IPv6/UDP", &f, &w, true);

	eth(&f, 0x86dd);
	ipv6(&f, 58);
	icmp(&f, 134, 0);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4;
	w.proto = 58;
	w.l4_off = 54;
	w.icmp_type = 134;
	expect_ok("IPv6/ICMPv6 RA", &f, &w, true);

	/* No next header (59): the chain ends at the header. */
	eth(&f, 0x86dd);
	ipv6(&f, 59);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4;
	w.proto = 59;
	w.l4_off = 54;
	expect_ok("IPv6, no next header", &f, &w, true);
}

static void ipv6_extension_headers(void)
{
	struct frame f;
	struct vsw_pkt w;

	eth(&f, 0x86dd);
	ipv6(&f, 0);
	ext(&f, 6, 0);
	tcp(&f, 179, 40000, 0x18);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_EXT_HDRS;
	w.proto = 6;
	w.l4_off = 62;
	w.sport = 179;
	w.dport = 40000;
	w.tcp_flags = 0x18;
	expect_ok("IPv6/hop-by-hop/TCP", &f, &w, true);

	eth(&f, 0x86dd);
	ipv6(&f, 43);
	ext(&f, 17, 2);
	udp(&f, 53, 5353, 0);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_EXT_HDRS;
	w.proto = 17;
	w.l4_off = 54 + 24;
	w.sport = 53;
	w.dport = 5353;
	expect_ok("IPv6/routing (24 bytes)/UDP", &f, &w, true);

	eth(&f, 0x86dd);
	ipv6(&f, 60);
	ext(&f, 58, 1);
	icmp(&f, 137, 0);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_EXT_HDRS;
	w.proto = 58;
	w.l4_off = 54 + 16;
	w.icmp_type = 137;
	expect_ok("IPv6/destination options (16 bytes)/ICMPv6 redirect", &f, &w, true);

	/* All of them in RFC 8200 §4.1's order. */
	eth(&f, 0x86dd);
	ipv6(&f, 0);
	ext(&f, 60, 0);
	ext(&f, 43, 1);
	ext(&f, 44, 0);
	frag6(&f, 51, 0, true);
	ah(&f, 60, 4);
	ext(&f, 6, 3);
	tcp(&f, 1000, 2000, 0x01);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_EXT_HDRS;
	w.proto = 6;
	w.l4_off = 54 + 8 + 16 + 8 + 8 + 24 + 32;
	w.sport = 1000;
	w.dport = 2000;
	w.tcp_flags = 0x01;
	expect_ok("IPv6/HBH/DST/RT/FRAG(first)/AH/DST/TCP", &f, &w, true);

	eth(&f, 0x86dd);
	ipv6(&f, 51);
	ah(&f, 6, 4);             /* 24 bytes: a 96-bit ICV */
	tcp(&f, 5060, 5061, 0x04);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_EXT_HDRS;
	w.proto = 6;
	w.l4_off = 54 + 24;
	w.sport = 5060;
	w.dport = 5061;
	w.tcp_flags = 0x04;
	expect_ok("IPv6/AH (24 bytes)/TCP", &f, &w, true);

	/* AH's minimum (length field 0: 8 bytes), then ESP, which has no
	 * header the parser needs. */
	eth(&f, 0x86dd);
	ipv6(&f, 51);
	ah(&f, 50, 0);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_EXT_HDRS;
	w.proto = 50;
	w.l4_off = 54 + 8;
	expect_ok("IPv6/AH (8 bytes)/ESP", &f, &w, true);
}

static void ipv6_fragments(void)
{
	static const uint16_t later[] = { 1, 185, 8191 };
	struct frame f;
	struct vsw_pkt w;

	/* First fragment (offset 0, M): the L4 header after it. */
	eth(&f, 0x86dd);
	ipv6(&f, 44);
	frag6(&f, 17, 0, true);
	udp(&f, 4789, 4789, 16);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_EXT_HDRS;
	w.proto = 17;
	w.l4_off = 62;
	w.sport = 4789;
	w.dport = 4789;
	expect_ok("IPv6/fragment (first)/UDP", &f, &w, true);

	/* An atomic fragment (offset 0, no M) is a whole datagram. */
	eth(&f, 0x86dd);
	ipv6(&f, 44);
	frag6(&f, 6, 0, false);
	tcp(&f, 7, 9, 0);
	ipv6_done(&f);
	want_v6(&w);
	w.flags = VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_EXT_HDRS;
	w.proto = 6;
	w.l4_off = 62;
	w.sport = 7;
	w.dport = 9;
	expect_ok("IPv6/atomic fragment/TCP", &f, &w, true);

	/* Later fragments: the upper-layer protocol the fragment header
	 * names, no L4 header however little follows. */
	for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
		uint8_t three[3] = { 1, 2, 3 };

		eth(&f, 0x86dd);
		ipv6(&f, 0);
		ext(&f, 44, 0);
		frag6(&f, 6, later[i], later[i] != 8191);
		put(&f, three, sizeof(three));
		ipv6_done(&f);
		want_v6(&w);
		w.flags = VSW_PKT_LATER_FRAG | VSW_PKT_EXT_HDRS;
		w.proto = 6;
		expect_ok("IPv6/HBH/fragment (later)/3 bytes of TCP", &f, &w, true);
	}

	/* A first fragment without its TCP header (RFC 7112). */
	eth(&f, 0x86dd);
	ipv6(&f, 44);
	frag6(&f, 6, 0, true);
	{
		uint8_t twelve[12] = { 0 };

		put(&f, twelve, sizeof(twelve));
	}
	ipv6_done(&f);
	expect_bad("IPv6 first fragment with 12 bytes of TCP", &f);

	eth(&f, 0x86dd);
	ipv6(&f, 44);
	frag6(&f, 58, 0, true);
	{
		uint8_t two[2] = { 128, 0 };

		put(&f, two, sizeof(two));
	}
	ipv6_done(&f);
	expect_bad("IPv6 first fragment with 2 bytes of ICMPv6", &f);
}

/* The chain the parser walks is bounded (V6_MAX_EXT, 8 headers): a chain
 * of up to 8 extension headers is walked to its upper-layer header; a
 * longer one is flagged VSW_PKT_CHAIN_LONG with the upper layer unknown. */
static void ipv6_long_chain(void)
{
	struct frame f;
	struct vsw_pkt w;
	char what[96];

	/* Nine: the ninth is not looked into, whatever follows. */
	eth(&f, 0x86dd);
	ipv6(&f, 60);
	for (int i = 0; i < 9; i++)
		ext(&f, i == 8 ? 58 : 60, 0);
	icmp(&f, 134, 0);
	ipv6_done(&f);
	{
		struct vsw_pkt got;
		int rc = parse_exact(f.b, f.len, &got);

		if (rc != 0)
			T_FAIL("nine extension headers: rc %d, want 0", rc);
		if (!(got.flags & VSW_PKT_CHAIN_LONG) || !(got.flags & VSW_PKT_EXT_HDRS))
			T_FAIL("nine extension headers: flags 0x%x lack CHAIN_LONG|EXT_HDRS",
			       got.flags);
		/* The upper layer is unknown: nothing may claim an L4 header
		 * (a guard would otherwise trust an RA's absence). */
		if (got.flags & (VSW_PKT_L4 | VSW_PKT_PORTS))
			T_FAIL("nine extension headers: flags 0x%x claim an L4 header", got.flags);
		T_EQ(got.l3, VSW_L3_IPV6);
		/* What it stopped at: the ninth header's kind, not the ICMPv6
		 * after it. */
		T_EQ(got.proto, 60);
	}

	/* A long chain whose last walked header runs past the datagram. */
	eth(&f, 0x86dd);
	ipv6(&f, 60);
	for (int i = 0; i < 7; i++)
		ext(&f, 60, 0);
	ext(&f, 60, 0);
	f.b[f.len - 8 + 1] = 4;   /* the eighth claims 40 bytes, has 8 */
	ipv6_done(&f);
	expect_bad("IPv6, eighth extension header past the datagram", &f);

	for (int n = 1; n <= 8; n++) {
		eth(&f, 0x86dd);
		ipv6(&f, 60);
		for (int i = 0; i < n; i++)
			ext(&f, i == n - 1 ? 6 : 60, 0);
		tcp(&f, 1, 2, 0x02);
		ipv6_done(&f);
		want_v6(&w);
		w.flags = VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_EXT_HDRS;
		w.proto = 6;
		w.l4_off = 54 + 8u * (uint32_t)n;
		w.sport = 1;
		w.dport = 2;
		w.tcp_flags = 0x02;
		snprintf(what, sizeof(what), "IPv6 with %d destination options headers/TCP", n);
		expect_ok(what, &f, &w, true);
	}
}

static void other_ethertypes(void)
{
	static const uint16_t types[] = { 0x0806, 0x88cc, 0x8100, 0x88a8, 0x8035, 0x0000, 0xffff };
	struct frame f;
	struct vsw_pkt w;

	/* ARP request: not looked into. */
	eth(&f, 0x0806);
	{
		static const uint8_t arp[28] = { 0, 1, 8, 0, 6, 4, 0, 1,
						 0x02, 0, 0, 0, 0, 0xaa, 10, 0, 0, 1,
						 0, 0, 0, 0, 0, 0, 10, 0, 0, 2 };

		put(&f, arp, sizeof(arp));
	}
	memset(&w, 0, sizeof(w));
	w.ethertype = 0x0806;
	w.l3_off = 14;
	expect_ok("ARP", &f, &w, false);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		/* Exactly a header: no payload to look at, nothing wrong. */
		eth(&f, types[i]);
		memset(&w, 0, sizeof(w));
		w.ethertype = types[i];
		w.l3_off = 14;
		expect_ok("a bare Ethernet header", &f, &w, false);
	}
}

static void too_short(void)
{
	uint8_t b[14] = { 0 };
	struct vsw_pkt p;

	b[12] = 0x08;
	for (uint32_t n = 0; n < 14; n++) {
		int rc = parse_exact(b, n, &p);

		if (rc != -EINVAL)
			T_FAIL("%u bytes: rc %d, want -EINVAL", n, rc);
	}
	/* NULL with len 0 reads nothing either. */
	T_EQ(vsw_parse(NULL, 0, &p), -EINVAL);
}

static void padding(void)
{
	static const uint8_t pad[32] = { 0xee, 0xee, 0xee, 0xee };
	struct frame f;
	struct vsw_pkt w;

	/* A 28-byte ICMP echo in a minimum frame (60 bytes): 18 bytes of
	 * padding the total length leaves out. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 1, 0);
	icmp(&f, 8, 0);
	ipv4_done(&f);
	put(&f, pad, 60 - f.len);
	want_v4(&w);
	w.flags = VSW_PKT_L4;
	w.proto = 1;
	w.l4_off = 34;
	w.icmp_type = 8;
	expect_ok("IPv4/ICMP echo padded to 60 bytes", &f, &w, false);

	/* A padded IPv4 datagram whose TCP header would fit in the frame
	 * but not in the datagram: the padding is not its header. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 6, 0);
	{
		uint8_t ten[10] = { 0, 80, 0, 81 };

		put(&f, ten, sizeof(ten));
	}
	ipv4_done(&f);
	put(&f, pad, 20);
	expect_bad("IPv4 with 10 bytes of TCP padded to hold 30", &f);

	/* IPv6 with no payload, padded. */
	eth(&f, 0x86dd);
	ipv6(&f, 59);
	ipv6_done(&f);
	put(&f, pad, 6);
	want_v6(&w);
	w.flags = VSW_PKT_L4;
	w.proto = 59;
	w.l4_off = 54;
	expect_ok("IPv6, no next header, padded", &f, &w, false);

	/* The same for IPv6: an 8-byte UDP datagram, then padding where a
	 * TCP header would have been. */
	eth(&f, 0x86dd);
	ipv6(&f, 6);
	{
		uint8_t eight[8] = { 0 };

		put(&f, eight, sizeof(eight));
	}
	ipv6_done(&f);
	put(&f, pad, 16);
	expect_bad("IPv6 with 8 bytes of TCP padded to hold 24", &f);
}

static void ipv4_malformed(void)
{
	struct frame f;
	struct vsw_pkt got;

	/* IHL below 5 (every such value). */
	for (unsigned int ihl = 0; ihl < 5; ihl++) {
		eth(&f, 0x0800);
		ipv4(&f, 5, 17, 0);
		udp(&f, 1, 2, 4);
		ipv4_done(&f);
		f.b[14] = (uint8_t)(0x40 | ihl);
		expect_bad("IPv4 IHL < 5", &f);
	}

	/* IHL beyond the frame: 60 bytes claimed, 20 + 8 there, total
	 * length consistent with the frame. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 17, 0);
	udp(&f, 1, 2, 0);
	ipv4_done(&f);
	f.b[14] = 0x4f;
	expect_bad("IPv4 IHL 15 in a 28-byte datagram", &f);

	/* IHL beyond the frame with total length claiming it too. */
	put16(f.b + 16, 60);
	expect_bad("IPv4 IHL 15 and total length 60 in 28 bytes", &f);

	/* Total length below IHL. */
	eth(&f, 0x0800);
	ipv4(&f, 6, 17, 0);
	udp(&f, 1, 2, 0);
	ipv4_done(&f);
	put16(f.b + 16, 23);
	expect_bad("IPv4 total length 23 < IHL 24", &f);
	put16(f.b + 16, 0);
	expect_bad("IPv4 total length 0", &f);
	/* ... in a later fragment too, where no L4 check would notice. */
	put16(f.b + 20, 185);
	expect_bad("IPv4 later fragment, total length 0", &f);
	put16(f.b + 16, 23);
	expect_bad("IPv4 later fragment, total length 23 < IHL 24", &f);

	/* Total length beyond the frame, by one and by the most. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 17, 0);
	udp(&f, 1, 2, 4);
	ipv4_done(&f);
	put16(f.b + 16, (uint16_t)(f.len - 14 + 1));
	expect_bad("IPv4 total length one beyond the frame", &f);
	put16(f.b + 16, 0xffff);
	expect_bad("IPv4 total length 65535", &f);

	/* A header cut by the frame's end. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 17, 0);
	f.len = 14 + 19;
	expect_bad("IPv4 header of 19 bytes", &f);

	/* EtherType IPv4 carrying another version. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 17, 0);
	udp(&f, 1, 2, 0);
	ipv4_done(&f);
	f.b[14] = 0x65;
	expect_bad("IPv4 EtherType, version 6", &f);

	/* L4 headers cut by the total length: what was found before the
	 * fault is kept (the addresses, the protocol), no L4 claimed. */
	{
		static const struct {
			uint8_t proto;
			uint8_t have;
		} cut[] = { { 6, 19 }, { 6, 0 }, { 17, 7 }, { 1, 3 }, { 132, 11 } };

		for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++) {
			uint8_t zero[20] = { 0 };
			struct vsw_pkt w;

			eth(&f, 0x0800);
			ipv4(&f, 5, cut[i].proto, 0);
			put(&f, zero, cut[i].have);
			ipv4_done(&f);
			expect_bad("IPv4 with a cut L4 header", &f);
			parse_exact(f.b, f.len, &got);
			want_v4(&w);
			w.proto = cut[i].proto;
			compare("IPv4 with a cut L4 header: what was found", &f, &got, &w);
		}
	}
}

static void ipv6_malformed(void)
{
	struct frame f;

	eth(&f, 0x86dd);
	ipv6(&f, 59);
	f.len = 14 + 39;
	expect_bad("IPv6 header of 39 bytes", &f);

	eth(&f, 0x86dd);
	ipv6(&f, 17);
	udp(&f, 1, 2, 8);
	ipv6_done(&f);
	put16(f.b + 18, (uint16_t)(f.len - 54 + 1));
	expect_bad("IPv6 payload length one beyond the frame", &f);
	put16(f.b + 18, 0xffff);
	expect_bad("IPv6 payload length 65535", &f);

	eth(&f, 0x86dd);
	ipv6(&f, 17);
	udp(&f, 1, 2, 0);
	ipv6_done(&f);
	f.b[14] = 0x45;
	expect_bad("IPv6 EtherType, version 4", &f);

	/* TCP cut by the payload length. */
	eth(&f, 0x86dd);
	ipv6(&f, 6);
	tcp(&f, 1, 2, 0);
	f.len -= 1;
	ipv6_done(&f);
	expect_bad("IPv6 with 19 bytes of TCP", &f);

	/* Extension headers cut: shorter than 8 bytes, or claiming more than
	 * the payload holds (before an upper layer, another extension header,
	 * or no next header). */
	{
		static const uint8_t kinds[] = { 0, 43, 60, 51, 44 };

		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
			eth(&f, 0x86dd);
			ipv6(&f, kinds[i]);
			ext(&f, 59, 0);
			f.len -= 1;
			ipv6_done(&f);
			expect_bad("IPv6 with a 7-byte extension header", &f);
		}
		/* A fragment header too short, for a later fragment, where
		 * nothing after it would be looked at. */
		for (uint32_t have = 1; have < 8; have++) {
			eth(&f, 0x86dd);
			ipv6(&f, 44);
			frag6(&f, 6, 185, true);
			f.len -= 8 - have;
			ipv6_done(&f);
			expect_bad("IPv6 with a later fragment's header cut", &f);
		}
		for (size_t i = 0; i < 4; i++) {
			static const uint8_t after[] = { 59, 6, 60, 0 };

			for (size_t j = 0; j < sizeof(after); j++) {
				eth(&f, 0x86dd);
				ipv6(&f, kinds[i]);
				ext(&f, after[j], 0);
				f.b[f.len - 7] = 1; /* 16 (or AH: 12) bytes claimed, 8 there */
				ipv6_done(&f);
				expect_bad("IPv6 with an extension header past the payload", &f);
			}
		}
	}

	/* The payload length cuts a header the frame holds. */
	eth(&f, 0x86dd);
	ipv6(&f, 0);
	ext(&f, 6, 0);
	tcp(&f, 1, 2, 0);
	put16(f.b + 18, 8 + 19);
	expect_bad("IPv6/HBH with TCP cut by the payload length", &f);
}

/* Parsing twice gives the same answer and touches nothing but 'p'. */
static void pure(void)
{
	struct frame f;
	struct vsw_pkt a, b;
	uint8_t before[sizeof(f.b)];

	eth(&f, 0x86dd);
	ipv6(&f, 0);
	ext(&f, 17, 0);
	udp(&f, 3, 4, 0);
	ipv6_done(&f);
	memcpy(before, f.b, f.len);
	T_EQ(vsw_parse(f.b, f.len, &a), 0);
	memset(&b, 0x5a, sizeof(b));
	T_EQ(vsw_parse(f.b, f.len, &b), 0);
	T_ASSERT(memcmp(before, f.b, f.len) == 0);
	compare("the same frame twice", &f, &b, &a);
}

/* vsw_parse_seg at the split points that matter. */
static void split_points(void)
{
	struct frame f;
	struct vsw_pkt got, w;

	/* Inside the TCP header: the IP header's findings, then a stop. */
	eth(&f, 0x0800);
	ipv4(&f, 5, 6, 0);
	tcp(&f, 1, 2, 0x02);
	ipv4_done(&f);
	T_EQ(parse_seg_exact(f.b, 14 + 20 + 19, f.len, &got), 0);
	want_v4(&w);
	w.flags = VSW_PKT_SPLIT;
	w.proto = 6;
	compare("IPv4/TCP, 19 bytes of TCP at hand", &f, &got, &w);
	/* Inside the IPv4 header: nothing found yet, no fault either. */
	T_EQ(parse_seg_exact(f.b, 14 + 19, f.len, &got), 0);
	memset(&w, 0, sizeof(w));
	w.ethertype = 0x0800;
	w.l3_off = 14;
	w.flags = VSW_PKT_SPLIT;
	compare("IPv4/TCP, 19 bytes of IPv4 at hand", &f, &got, &w);

	/* Lengths are checked against the frame, not the bytes at hand. */
	put16(f.b + 16, (uint16_t)(f.len - 14 + 1));
	T_EQ(parse_seg_exact(f.b, 34, f.len, &got), -EBADMSG);
	/* A TCP header cut by the total length is malformed however few of
	 * its bytes are at hand. */
	put16(f.b + 16, 20 + 10);
	T_EQ(parse_seg_exact(f.b, 34, f.len, &got), -EBADMSG);
	T_EQ(parse_seg_exact(f.b, 34 + 5, f.len, &got), -EBADMSG);

	/* IPv6: inside an extension header. */
	eth(&f, 0x86dd);
	ipv6(&f, 0);
	ext(&f, 17, 1);
	udp(&f, 5, 6, 0);
	ipv6_done(&f);
	T_EQ(parse_seg_exact(f.b, 54 + 4, f.len, &got), 0);
	want_v6(&w);
	w.flags = VSW_PKT_SPLIT;
	compare("IPv6/HBH, 4 bytes of HBH at hand", &f, &got, &w);
	/* Past the HBH, inside UDP: the chain so far is known. */
	T_EQ(parse_seg_exact(f.b, 54 + 16 + 7, f.len, &got), 0);
	w.flags = VSW_PKT_SPLIT | VSW_PKT_EXT_HDRS;
	w.proto = 17;
	compare("IPv6/HBH/UDP, 7 bytes of UDP at hand", &f, &got, &w);
	put16(f.b + 18, (uint16_t)(f.len - 54 + 1));
	T_EQ(parse_seg_exact(f.b, 54, f.len, &got), -EBADMSG);
}

int main(void)
{
	T_RUN(ipv4_l4);
	T_RUN(ipv4_fragments);
	T_RUN(ipv6_plain);
	T_RUN(ipv6_extension_headers);
	T_RUN(ipv6_fragments);
	T_RUN(other_ethertypes);
	T_RUN(too_short);
	T_RUN(padding);
	T_RUN(ipv4_malformed);
	T_RUN(ipv6_malformed);
	T_RUN(pure);
	T_RUN(split_points);
	T_RUN(ipv6_long_chain);
	return 0;
}
