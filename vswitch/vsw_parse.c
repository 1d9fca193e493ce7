/* The switch's packet parser; see vsw_parse.h. */
#include <errno.h>
#include <string.h>

#include "vswitch/vsw_parse.h"

#define ETH_HLEN 14
#define V6_HLEN 40
/* Extension headers walked before giving up: far above what real traffic
 * chains (RFC 8200 §4.1 lists at most 8 kinds), bounded so a hostile chain
 * costs little. */
#define V6_MAX_EXT 8

static uint16_t be16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

/* The L4 header at 'off' (first fragment or unfragmented): its minimum
 * length must be there, as RFC 7112 requires the first fragment to carry
 * the whole header chain. */
/* Whether 'need' bytes at 'off' can be read: 1 yes; 0 they are part of
 * the frame but not of the bytes at hand (a later segment: the parser
 * stops there and says so); -EBADMSG they lie beyond the header's end. */
static int avail(uint32_t off, uint32_t need, uint32_t end, uint32_t have, struct vsw_pkt *p)
{
	if (off + need > end)
		return -EBADMSG;
	if (off + need > have) {
		p->flags |= VSW_PKT_SPLIT;
		return 0;
	}
	return 1;
}

static int parse_l4(const uint8_t *f, uint32_t end, uint32_t have, uint32_t off,
		    struct vsw_pkt *p)
{
	uint32_t need;
	int rc;

	switch (p->proto) {
	case 6: need = 20; break;            /* TCP */
	case 17: need = 8; break;            /* UDP */
	case 132: need = 12; break;          /* SCTP common header */
	case 1: case 58: need = 4; break;    /* ICMP, ICMPv6 */
	default: need = 0; break;
	}
	rc = avail(off, need, end, have, p);
	if (rc <= 0)
		return rc;
	p->l4_off = off;
	p->flags |= VSW_PKT_L4;
	switch (p->proto) {
	case 6:
		p->tcp_flags = f[off + 13];
		/* fall through */
	case 17:
	case 132:
		p->sport = be16(f + off);
		p->dport = be16(f + off + 2);
		p->flags |= VSW_PKT_PORTS;
		break;
	case 1:
	case 58:
		p->icmp_type = f[off];
		break;
	}
	return 0;
}

static int parse_ipv4(const uint8_t *f, uint32_t have, uint32_t len, struct vsw_pkt *p)
{
	const uint8_t *h = f + ETH_HLEN;
	uint32_t ihl, tot;
	int rc = avail(ETH_HLEN, 20, len, have, p);

	if (rc <= 0)
		return rc;
	if ((h[0] >> 4) != 4)
		return -EBADMSG;
	ihl = (h[0] & 0xfu) * 4u;
	tot = be16(h + 2);
	if (ihl < 20 || tot < ihl || ETH_HLEN + tot > len)
		return -EBADMSG;
	p->l3 = VSW_L3_IPV4;
	p->proto = h[9];
	memcpy(p->src_ip, h + 12, 4);
	memcpy(p->dst_ip, h + 16, 4);
	if ((h[6] & 0x1f) | h[7]) {
		p->flags |= VSW_PKT_LATER_FRAG;
		return 0;
	}
	return parse_l4(f, ETH_HLEN + tot, have, ETH_HLEN + ihl, p);
}

static int parse_ipv6(const uint8_t *f, uint32_t have, uint32_t len, struct vsw_pkt *p)
{
	const uint8_t *h = f + ETH_HLEN;
	uint32_t end, off;
	uint8_t nh;
	int rc = avail(ETH_HLEN, V6_HLEN, len, have, p);

	if (rc <= 0)
		return rc;
	if ((h[0] >> 4) != 6)
		return -EBADMSG;
	end = ETH_HLEN + V6_HLEN + be16(h + 4);
	if (end > len)
		return -EBADMSG;
	p->l3 = VSW_L3_IPV6;
	memcpy(p->src_ip, h + 8, 16);
	memcpy(p->dst_ip, h + 24, 16);
	nh = h[6];
	off = ETH_HLEN + V6_HLEN;
	for (int i = 0;; i++) {
		/* Past V6_MAX_EXT extension headers, the next one is not walked. */
		if (i == V6_MAX_EXT && (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44))
			break;
		switch (nh) {
		case 0:      /* hop-by-hop */
		case 43:     /* routing */
		case 60:     /* destination options */
			rc = avail(off, 8, end, have, p);
			if (rc <= 0)
				return rc;
			nh = f[off];
			off += 8u + f[off + 1] * 8u;
			p->flags |= VSW_PKT_EXT_HDRS;
			continue;
		case 51:     /* AH: length in 4-byte units, minus 2 */
			rc = avail(off, 8, end, have, p);
			if (rc <= 0)
				return rc;
			nh = f[off];
			off += (f[off + 1] + 2u) * 4u;
			p->flags |= VSW_PKT_EXT_HDRS;
			continue;
		case 44:     /* fragment */
			rc = avail(off, 8, end, have, p);
			if (rc <= 0)
				return rc;
			p->flags |= VSW_PKT_EXT_HDRS;
			p->proto = f[off];
			if (be16(f + off + 2) & 0xfff8) {
				p->flags |= VSW_PKT_LATER_FRAG;
				return 0;
			}
			nh = f[off];
			off += 8;
			continue;
		default:
			if (off > end)
				return -EBADMSG;
			p->proto = nh;
			return parse_l4(f, end, have, off, p);
		}
	}
	/* A chain longer than any real one: not looked into further. */
	p->proto = nh;
	p->flags |= VSW_PKT_CHAIN_LONG;
	return off > end ? -EBADMSG : 0;
}

int vsw_parse_seg(const uint8_t *frame, uint32_t have, uint32_t len, struct vsw_pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (have < ETH_HLEN || have > len)
		return -EINVAL;
	p->ethertype = be16(frame + 12);
	p->l3_off = ETH_HLEN;
	switch (p->ethertype) {
	case 0x0800:
		return parse_ipv4(frame, have, len, p);
	case 0x86dd:
		return parse_ipv6(frame, have, len, p);
	default:
		return 0;
	}
}

int vsw_parse(const uint8_t *frame, uint32_t len, struct vsw_pkt *p)
{
	return vsw_parse_seg(frame, len, len, p);
}
