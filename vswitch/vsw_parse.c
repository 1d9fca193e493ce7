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
static int parse_l4(const uint8_t *f, uint32_t end, uint32_t off, struct vsw_pkt *p)
{
	uint32_t need;

	switch (p->proto) {
	case 6: need = 20; break;            /* TCP */
	case 17: need = 8; break;            /* UDP */
	case 132: need = 12; break;          /* SCTP common header */
	case 1: case 58: need = 4; break;    /* ICMP, ICMPv6 */
	default: need = 0; break;
	}
	if (off + need > end)
		return -EBADMSG;
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

static int parse_ipv4(const uint8_t *f, uint32_t len, struct vsw_pkt *p)
{
	const uint8_t *h = f + ETH_HLEN;
	uint32_t ihl, tot;

	if (len < ETH_HLEN + 20u || (h[0] >> 4) != 4)
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
	return parse_l4(f, ETH_HLEN + tot, ETH_HLEN + ihl, p);
}

static int parse_ipv6(const uint8_t *f, uint32_t len, struct vsw_pkt *p)
{
	const uint8_t *h = f + ETH_HLEN;
	uint32_t end, off;
	uint8_t nh;

	if (len < ETH_HLEN + V6_HLEN || (h[0] >> 4) != 6)
		return -EBADMSG;
	end = ETH_HLEN + V6_HLEN + be16(h + 4);
	if (end > len)
		return -EBADMSG;
	p->l3 = VSW_L3_IPV6;
	memcpy(p->src_ip, h + 8, 16);
	memcpy(p->dst_ip, h + 24, 16);
	nh = h[6];
	off = ETH_HLEN + V6_HLEN;
	for (int i = 0; i < V6_MAX_EXT; i++) {
		switch (nh) {
		case 0:      /* hop-by-hop */
		case 43:     /* routing */
		case 60:     /* destination options */
			if (off + 8 > end)
				return -EBADMSG;
			nh = f[off];
			off += 8u + f[off + 1] * 8u;
			p->flags |= VSW_PKT_EXT_HDRS;
			continue;
		case 51:     /* AH: length in 4-byte units, minus 2 */
			if (off + 8 > end)
				return -EBADMSG;
			nh = f[off];
			off += (f[off + 1] + 2u) * 4u;
			p->flags |= VSW_PKT_EXT_HDRS;
			continue;
		case 44:     /* fragment */
			if (off + 8 > end)
				return -EBADMSG;
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
			return parse_l4(f, end, off, p);
		}
	}
	/* A chain longer than any real one: not looked into further. */
	p->proto = nh;
	p->flags |= VSW_PKT_CHAIN_LONG;
	return off > end ? -EBADMSG : 0;
}

int vsw_parse(const uint8_t *frame, uint32_t len, struct vsw_pkt *p)
{
	memset(p, 0, sizeof(*p));
	if (len < ETH_HLEN)
		return -EINVAL;
	p->ethertype = be16(frame + 12);
	p->l3_off = ETH_HLEN;
	switch (p->ethertype) {
	case 0x0800:
		return parse_ipv4(frame, len, p);
	case 0x86dd:
		return parse_ipv6(frame, len, p);
	default:
		return 0;
	}
}
