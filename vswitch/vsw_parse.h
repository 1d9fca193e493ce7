/* The switch's packet parser: what the guards, the ACLs and the
 * extensions need from a frame's L3/L4 headers, found once per frame.
 *
 * Plain C over a byte buffer (no DPDK), so the fuzz target and the tests
 * drive exactly the code the datapath runs. The frame is what a port
 * handed the switch after 802.1Q classification: the VLAN tag, if any, is
 * already stripped, so byte 12 is the EtherType of the payload.
 *
 * A frame is malformed (-EBADMSG) when it claims a header it does not
 * carry: an IPv4 header shorter than 20 bytes or longer than the frame,
 * an IPv4 total length below its header length or beyond the frame, an
 * IPv6 payload length beyond the frame, or a first fragment too short for
 * its TCP, UDP, SCTP or ICMP header. Trailing bytes after the IP datagram
 * (Ethernet padding) are fine. EtherTypes other than IPv4 and IPv6 are
 * not looked into and are never malformed. */
#ifndef VSW_PARSE_H
#define VSW_PARSE_H

#include <stdint.h>

enum vsw_l3 {
	VSW_L3_OTHER,                /* not IP: ARP, LLDP, ... */
	VSW_L3_IPV4,
	VSW_L3_IPV6,
};

#define VSW_PKT_L4       0x01    /* l4_off, proto and the L4 fields are valid */
#define VSW_PKT_PORTS    0x02    /* sport/dport valid: TCP, UDP or SCTP */
#define VSW_PKT_LATER_FRAG 0x04  /* an IPv4 or IPv6 fragment other than the first */
#define VSW_PKT_EXT_HDRS 0x08    /* IPv6 with extension headers the parser skipped */
/* IPv6 whose header chain is longer than the parser walks: the upper
 * layer is unknown. A guard must treat it as possibly what it guards
 * against (RFC 7113 §3: RA guard evasion by long chains). */
#define VSW_PKT_CHAIN_LONG 0x10
/* A header lies past the bytes at hand (vsw_parse_seg's 'have': a frame
 * in several segments); the parser stopped there, the frame is not
 * malformed, and what follows is unknown, as for CHAIN_LONG. */
#define VSW_PKT_SPLIT 0x20

struct vsw_pkt {
	uint8_t l3;                  /* enum vsw_l3 */
	uint8_t flags;               /* VSW_PKT_* */
	uint8_t proto;               /* IP protocol / IPv6 upper-layer header */
	uint8_t icmp_type;           /* ICMP or ICMPv6 type (VSW_PKT_L4) */
	uint16_t ethertype;          /* host order */
	uint32_t l3_off;             /* bytes from the frame's start */
	uint32_t l4_off;
	uint16_t sport, dport;       /* host order (VSW_PKT_PORTS) */
	uint8_t tcp_flags;           /* TCP only */
	uint8_t src_ip[16];          /* network order; IPv4 in bytes 0..3, the rest 0 */
	uint8_t dst_ip[16];
};

/* Fills 'p' from the 'len' bytes at 'frame'. 0, -EBADMSG for a malformed
 * frame (then 'p' holds what was found before the fault), -EINVAL when
 * len < 14. Reads nothing outside frame[0..len). */
int vsw_parse(const uint8_t *frame, uint32_t len, struct vsw_pkt *p);
/* The same for a frame of 'len' bytes of which only the first 'have' are
 * contiguous at 'frame' (an mbuf chain's first segment): lengths are
 * checked against 'len', bytes read only below 'have'. -EINVAL when
 * have < 14 or have > len. */
int vsw_parse_seg(const uint8_t *frame, uint32_t have, uint32_t len, struct vsw_pkt *p);

#endif /* VSW_PARSE_H */
