/* libFuzzer target: the switch's packet parser (vswitch/vsw_parse.c) on
 * any bytes a port can hand the switch. Input: one frame, as the datapath
 * sees it after 802.1Q classification (byte 12 is the payload's
 * EtherType).
 *
 * The frame is parsed from an exactly sized heap copy, so ASan reports any
 * read past 'len'. Checked on every result:
 *  - the return value is 0, -EBADMSG or -EINVAL, and -EINVAL exactly when
 *    len < 14 (with 'p' cleared);
 *  - the flags are known bits and agree with each other and with l3
 *    (PORTS implies L4, a later fragment has no L4 header, a long chain
 *    has no L4 header and stopped at an extension header, extension
 *    headers are IPv6's);
 *  - fields the flags do not vouch for are zero;
 *  - on success, what the parser reports is what the frame says: the
 *    EtherType, the addresses, the IP header's own checks (version, IHL,
 *    total / payload length inside the frame), the L4 header's minimum
 *    length inside the datagram (not just the frame), ports, TCP flags and
 *    ICMP type read from l4_off;
 *  - on success with IP, the result depends only on the datagram: the
 *    same frame cut to the datagram's end, or with padding added, parses
 *    to the same result;
 *  - an independent reading of RFC 791 and RFC 8200 (reference() below,
 *    written for clarity, not speed) gives the same outcome, IP version,
 *    flags, protocol and L4 offset;
 *  - the frame is not written, and a second parse gives the same result;
 *  - vsw_parse_seg with only the first 'have' bytes at hand (an exactly
 *    sized copy of them, so reading at or past 'have' is an ASan report)
 *    for several 'have': a fault it finds is one the whole frame has;
 *    where it stops for want of bytes it says so (VSW_PKT_SPLIT) and what
 *    it found agrees with the whole frame's parse; otherwise it gives
 *    exactly the whole frame's result. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vswitch/vsw_parse.h"

#include "tests/fuzz/fuzz_check.h"

#define KNOWN_FLAGS (VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_LATER_FRAG | \
		     VSW_PKT_EXT_HDRS | VSW_PKT_CHAIN_LONG | VSW_PKT_SPLIT)

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static bool all_zero(const void *m, size_t n)
{
	const uint8_t *b = m;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* The minimum L4 header vsw_parse.h promises is there for 'proto'. */
static uint32_t l4_min(uint8_t proto)
{
	switch (proto) {
	case 6: return 20;
	case 17: return 8;
	case 132: return 12;
	case 1: case 58: return 4;
	default: return 0;
	}
}

static bool same(const struct vsw_pkt *a, const struct vsw_pkt *b)
{
	return a->l3 == b->l3 && a->flags == b->flags && a->proto == b->proto &&
	       a->icmp_type == b->icmp_type && a->ethertype == b->ethertype &&
	       a->l3_off == b->l3_off && a->l4_off == b->l4_off && a->sport == b->sport &&
	       a->dport == b->dport && a->tcp_flags == b->tcp_flags &&
	       memcmp(a->src_ip, b->src_ip, 16) == 0 && memcmp(a->dst_ip, b->dst_ip, 16) == 0;
}

/* What the parser must find, worked out another way: the IPv4 header's
 * own lengths, or the IPv6 chain walked by a table of extension header
 * kinds; the L4 header's minimum inside the datagram. */
struct ref {
	int rc;
	uint8_t l3, flags, proto;
	uint32_t l4_off;
};

/* The L4 header at 'off' in a datagram ending at 'end'. */
static struct ref ref_l4(struct ref r, uint8_t proto, uint32_t off, uint32_t end)
{
	r.proto = proto;
	if (off + l4_min(proto) > end) {
		r.rc = -EBADMSG;
		return r;
	}
	r.flags |= VSW_PKT_L4;
	if (proto == 6 || proto == 17 || proto == 132)
		r.flags |= VSW_PKT_PORTS;
	r.l4_off = off;
	return r;
}

static struct ref reference(const uint8_t *f, uint32_t len)
{
	struct ref r = { 0, VSW_L3_OTHER, 0, 0, 0 };
	uint16_t et = be16(f + 12);

	if (et == 0x0800) {
		uint32_t ihl, tot;

		if (len < 14 + 20 || f[14] >> 4 != 4)
			return (struct ref){ .rc = -EBADMSG };
		ihl = 4u * (f[14] & 0x0f);
		tot = be16(f + 16);
		if (ihl < 20 || tot < ihl || tot > len - 14)
			return (struct ref){ .rc = -EBADMSG };
		r.l3 = VSW_L3_IPV4;
		r.proto = f[23];
		if (be16(f + 20) & 0x1fff) {        /* fragment offset */
			r.flags = VSW_PKT_LATER_FRAG;
			return r;
		}
		return ref_l4(r, f[23], 14 + ihl, 14 + tot);
	}
	if (et == 0x86dd) {
		uint32_t end, off = 54;
		uint8_t nh;

		if (len < 54 || f[14] >> 4 != 6)
			return (struct ref){ .rc = -EBADMSG };
		end = 54 + be16(f + 18);
		if (end > len)
			return (struct ref){ .rc = -EBADMSG };
		r.l3 = VSW_L3_IPV6;
		nh = f[20];
		for (int walked = 0;; walked++) {
			uint32_t hlen;

			if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44) {
				if (off > end) {
					r.rc = -EBADMSG;
					return r;
				}
				return ref_l4(r, nh, off, end);
			}
			/* An extension header past the eighth is not looked into
			 * (vsw_parse.h: VSW_PKT_CHAIN_LONG). */
			if (walked == 8) {
				r.flags |= VSW_PKT_CHAIN_LONG;
				r.proto = nh;
				r.rc = off > end ? -EBADMSG : 0;
				return r;
			}
			if (off + 8 > end) {
				r.rc = -EBADMSG;
				return r;
			}
			r.flags |= VSW_PKT_EXT_HDRS;
			if (nh == 44) {
				r.proto = f[off];
				if (be16(f + off + 2) >> 3) {
					r.flags |= VSW_PKT_LATER_FRAG;
					return r;
				}
				hlen = 8;
			} else if (nh == 51) {
				hlen = 4u * (f[off + 1] + 2u);   /* RFC 4302 §2.2 */
			} else {
				hlen = 8u * (f[off + 1] + 1u);   /* RFC 8200 §4.3-4.6 */
			}
			nh = f[off];
			off += hlen;
		}
	}
	return r;
}

/* The parser on an exactly sized heap copy of f[0..len), then 'extra'
 * bytes of 0xee (padding) if asked for. */
static int parse_copy(const uint8_t *f, uint32_t len, uint32_t extra, struct vsw_pkt *p)
{
	uint8_t *b = calloc(1, len + extra ? len + extra : 1);
	int rc;

	CHECK(b != NULL);
	if (len)
		memcpy(b, f, len);
	memset(b + len, 0xee, extra);
	memset(p, 0x5a, sizeof(*p));
	rc = vsw_parse(b, len + extra, p);
	free(b);
	return rc;
}

/* What a successful parse of an IPv4 or IPv6 frame must agree with.
 * Returns where the datagram ends. */
static uint32_t check_ip(const uint8_t *f, uint32_t len, const struct vsw_pkt *p)
{
	uint32_t end, l3_min;

	if (p->l3 == VSW_L3_IPV4) {
		uint32_t ihl = (f[14] & 0xfu) * 4u, tot;

		CHECK(p->ethertype == 0x0800);
		CHECK(len >= 34 && f[14] >> 4 == 4 && ihl >= 20);
		tot = be16(f + 16);
		CHECK(tot >= ihl && 14 + tot <= len);
		end = 14 + tot;
		l3_min = ihl;
		CHECK(p->proto == f[23]);
		CHECK(memcmp(p->src_ip, f + 26, 4) == 0 && all_zero(p->src_ip + 4, 12));
		CHECK(memcmp(p->dst_ip, f + 30, 4) == 0 && all_zero(p->dst_ip + 4, 12));
		CHECK(!(p->flags & (VSW_PKT_EXT_HDRS | VSW_PKT_CHAIN_LONG)));
		/* A fragment offset, and only that, makes a later fragment. */
		CHECK(!!(p->flags & VSW_PKT_LATER_FRAG) == !!((f[20] & 0x1f) | f[21]));
		if (p->flags & VSW_PKT_L4)
			CHECK(p->l4_off == 14 + ihl);
	} else {
		CHECK(p->l3 == VSW_L3_IPV6);
		CHECK(p->ethertype == 0x86dd);
		CHECK(len >= 54 && f[14] >> 4 == 6);
		end = 54 + be16(f + 18);
		CHECK(end <= len);
		l3_min = 40;
		CHECK(memcmp(p->src_ip, f + 22, 16) == 0);
		CHECK(memcmp(p->dst_ip, f + 38, 16) == 0);
		/* Without extension headers the upper layer is the header's. */
		if (!(p->flags & VSW_PKT_EXT_HDRS)) {
			CHECK(p->proto == f[20]);
			CHECK(p->l4_off == 0 || p->l4_off == 54);
		}
		/* Extension headers are multiples of 8 (AH of 4) bytes. */
		if (p->flags & VSW_PKT_L4)
			CHECK(p->l4_off % 4 == 54 % 4);
		/* A chain is long only when what the parser stopped at is
		 * still an extension header: had it reached an upper-layer
		 * header it would know the upper layer. */
		if (p->flags & VSW_PKT_CHAIN_LONG) {
			CHECK(p->flags & VSW_PKT_EXT_HDRS);
			CHECK(p->proto == 0 || p->proto == 43 || p->proto == 44 ||
			      p->proto == 51 || p->proto == 60);
		}
	}
	if (p->flags & VSW_PKT_L4) {
		/* The header the flags vouch for lies inside the datagram,
		 * not merely inside the frame (padding is not a header). */
		CHECK(p->l4_off >= 14 + l3_min);
		CHECK(p->l4_off + l4_min(p->proto) <= end);
		if (p->flags & VSW_PKT_PORTS) {
			CHECK(p->proto == 6 || p->proto == 17 || p->proto == 132);
			CHECK(p->sport == be16(f + p->l4_off));
			CHECK(p->dport == be16(f + p->l4_off + 2));
		} else {
			CHECK(p->proto != 6 && p->proto != 17 && p->proto != 132);
		}
		if (p->proto == 6)
			CHECK(p->tcp_flags == f[p->l4_off + 13]);
		if (p->proto == 1 || p->proto == 58)
			CHECK(p->icmp_type == f[p->l4_off]);
	}
	return end;
}

/* vsw_parse_seg on f[0..have) of a 'len'-byte frame, from an exactly
 * sized copy of those bytes. */
static int parse_seg_copy(const uint8_t *f, uint32_t have, uint32_t len, struct vsw_pkt *p)
{
	uint8_t *b = calloc(1, have ? have : 1);
	int rc;

	CHECK(b != NULL);
	if (have)
		memcpy(b, f, have);
	memset(p, 0x5a, sizeof(*p));
	rc = vsw_parse_seg(b, have, len, p);
	free(b);
	return rc;
}

/* The whole frame parsed to 'rc' and 'whole'; now with only a first
 * segment at hand, at the boundaries that matter (the Ethernet, IPv4,
 * IPv6 headers, around the L4 header) and one the input picks. */
static void check_segments(const uint8_t *f, uint32_t len, int rc, const struct vsw_pkt *whole)
{
	const uint32_t cand[] = {
		14, 15, 33, 34, 35, 53, 54, 55, 61, 62, len / 2, len - 1, len,
		whole->l4_off, whole->l4_off + 1, whole->l4_off + 3, whole->l4_off + 13,
		whole->l4_off + 19, len ? 14 + f[len - 1] : 0,
	};
	struct vsw_pkt s;

	/* No bytes, fewer than a header, or more than the frame. */
	CHECK(parse_seg_copy(f, len < 13 ? len : 13, len, &s) == -EINVAL);
	if (len > 14) {
		uint8_t *b = calloc(1, len);

		CHECK(b != NULL);
		memcpy(b, f, len);
		CHECK(vsw_parse_seg(b, len, len - 1, &s) == -EINVAL);
		free(b);
	}
	for (size_t i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		uint32_t have = cand[i];
		int src;

		if (have < 14 || have > len)
			continue;
		src = parse_seg_copy(f, have, len, &s);
		CHECK(src == 0 || src == -EBADMSG);
		CHECK(s.ethertype == whole->ethertype && s.l3_off == whole->l3_off);
		if (have == len) {
			CHECK(src == rc && same(&s, whole));
			continue;
		}
		if (src == -EBADMSG) {
			/* Found with less, so there with all of it. */
			CHECK(rc == -EBADMSG);
			CHECK(!(s.flags & VSW_PKT_SPLIT));
			continue;
		}
		if (!(s.flags & VSW_PKT_SPLIT)) {
			CHECK(rc == 0 && same(&s, whole));
			continue;
		}
		/* Stopped for want of bytes: only IP is looked into, no L4
		 * header is claimed, and what was found is the frame's. */
		CHECK(s.ethertype == 0x0800 || s.ethertype == 0x86dd);
		CHECK(!(s.flags & (VSW_PKT_L4 | VSW_PKT_PORTS | VSW_PKT_LATER_FRAG |
				   VSW_PKT_CHAIN_LONG)));
		CHECK(s.l4_off == 0 && s.sport == 0 && s.dport == 0 && s.tcp_flags == 0 &&
		      s.icmp_type == 0);
		if (s.l3 != VSW_L3_OTHER) {
			CHECK(s.l3 == whole->l3 || whole->l3 == VSW_L3_OTHER);
			CHECK(memcmp(s.src_ip, whole->src_ip, 16) == 0 || whole->l3 == VSW_L3_OTHER);
			CHECK(memcmp(s.dst_ip, whole->dst_ip, 16) == 0 || whole->l3 == VSW_L3_OTHER);
		}
		if (rc == 0) {
			/* The whole frame is fine: it got at least as far. */
			CHECK(whole->l3 == s.l3 || s.l3 == VSW_L3_OTHER);
			if (s.flags & VSW_PKT_EXT_HDRS)
				CHECK(whole->flags & VSW_PKT_EXT_HDRS);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vsw_pkt p, again;
	struct ref ref;
	uint8_t *frame;
	uint32_t len, end;
	int rc;

	/* A frame's length fits a uint32_t; libFuzzer's -max_len keeps far
	 * below it. */
	if (size > 65536 + 64)
		return 0;
	len = (uint32_t)size;
	frame = calloc(1, len ? len : 1);
	CHECK(frame != NULL);
	if (len)
		memcpy(frame, data, len);
	memset(&p, 0x5a, sizeof(p));
	rc = vsw_parse(frame, len, &p);
	/* The parser only reads. */
	CHECK(len == 0 || memcmp(frame, data, len) == 0);
	free(frame);

	CHECK(rc == 0 || rc == -EBADMSG || rc == -EINVAL);
	CHECK((rc == -EINVAL) == (len < 14));
	if (rc == -EINVAL) {
		struct vsw_pkt zero;

		memset(&zero, 0, sizeof(zero));
		CHECK(same(&p, &zero));
		return 0;
	}

	/* Whatever the outcome: the Ethernet header is read as it is. */
	CHECK(p.ethertype == be16(data + 12));
	CHECK(p.l3_off == 14);
	CHECK(p.l3 <= VSW_L3_IPV6);
	CHECK((p.flags & ~KNOWN_FLAGS) == 0);
	/* The flags agree with each other. */
	if (p.flags & VSW_PKT_PORTS)
		CHECK(p.flags & VSW_PKT_L4);
	if (p.flags & (VSW_PKT_LATER_FRAG | VSW_PKT_CHAIN_LONG))
		CHECK(!(p.flags & VSW_PKT_L4));
	if (p.flags & (VSW_PKT_EXT_HDRS | VSW_PKT_CHAIN_LONG))
		CHECK(p.l3 == VSW_L3_IPV6);
	/* All the bytes are at hand: never a split. */
	CHECK(!(p.flags & VSW_PKT_SPLIT));
	if (p.flags)
		CHECK(p.l3 != VSW_L3_OTHER);
	/* Nothing the flags do not vouch for. */
	if (!(p.flags & VSW_PKT_L4))
		CHECK(p.l4_off == 0 && p.icmp_type == 0);
	if (!(p.flags & VSW_PKT_PORTS))
		CHECK(p.sport == 0 && p.dport == 0);
	if (!(p.flags & VSW_PKT_L4) || p.proto != 6)
		CHECK(p.tcp_flags == 0);
	if (!(p.flags & VSW_PKT_L4) || (p.proto != 1 && p.proto != 58))
		CHECK(p.icmp_type == 0);
	if (p.l3 == VSW_L3_OTHER)
		CHECK(p.proto == 0 && all_zero(p.src_ip, 16) && all_zero(p.dst_ip, 16));
	if (p.l3 == VSW_L3_IPV4)
		CHECK(p.ethertype == 0x0800);
	if (p.l3 == VSW_L3_IPV6)
		CHECK(p.ethertype == 0x86dd);

	/* A second parse of the same bytes: the same answer. */
	CHECK(parse_copy(data, len, 0, &again) == rc && same(&again, &p));
	check_segments(data, len, rc, &p);

	/* The reference finds the same fault, or none. */
	ref = reference(data, len);
	CHECK(ref.rc == rc);

	if (rc != 0) {
		/* Only IP is ever malformed. */
		CHECK(p.ethertype == 0x0800 || p.ethertype == 0x86dd);
		return 0;
	}
	if (p.ethertype != 0x0800 && p.ethertype != 0x86dd) {
		/* Not looked into. */
		CHECK(p.l3 == VSW_L3_OTHER && p.flags == 0);
		return 0;
	}
	/* A successful parse of an IP EtherType found the IP header. */
	CHECK(p.l3 == (p.ethertype == 0x0800 ? VSW_L3_IPV4 : VSW_L3_IPV6));
	end = check_ip(data, len, &p);
	/* ... and the same headers. */
	CHECK(ref.l3 == p.l3 && ref.flags == p.flags && ref.proto == p.proto &&
	      ref.l4_off == p.l4_off);

	/* The datagram alone decides: cut the padding off, or add some. */
	CHECK(parse_copy(data, end, 0, &again) == 0 && same(&again, &p));
	CHECK(parse_copy(data, len, 64, &again) == 0 && same(&again, &p));
	return 0;
}
