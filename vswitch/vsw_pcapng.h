/* A pcapng writer for one interface (a switch port): the section header,
 * the interface description and enhanced packet blocks, written into a
 * caller's buffer so the capture thread batches its write(2) calls.
 *
 * Layout: the PCAP Next Generation Dump File Format, IETF draft
 * draft-ietf-opsawg-pcapng (blocks SHB 0x0A0D0D0A §4.1, IDB 1 §4.2, EPB 6
 * §4.3; options if_name 2, if_tsresol 9, epb_flags 2). Host byte order,
 * as the byte-order magic tells readers. Timestamps in nanoseconds
 * (if_tsresol 9). */
#ifndef VSW_PCAPNG_H
#define VSW_PCAPNG_H

#include <stddef.h>
#include <stdint.h>

#define VSW_PCAPNG_LINKTYPE_ETHERNET 1

/* epb_flags direction bits (§4.3.1): the port owner's view. */
#define VSW_PCAPNG_INBOUND 1u
#define VSW_PCAPNG_OUTBOUND 2u

/* Each returns the bytes written at 'buf', or 0 when 'cap' is too small
 * (nothing is written then). */
size_t vsw_pcapng_header(uint8_t *buf, size_t cap, const char *app, const char *ifname,
			 uint32_t snaplen);
/* 'data' holds the first caplen bytes of a frame of orig_len bytes. */
size_t vsw_pcapng_packet(uint8_t *buf, size_t cap, uint64_t ts_ns, const void *data,
			 uint32_t caplen, uint32_t orig_len, uint32_t dir_flags);
/* The most one packet of caplen bytes takes. */
static inline size_t vsw_pcapng_packet_size(uint32_t caplen)
{
	return 28 + ((caplen + 3u) & ~3u) + 8 + 4 + 4;
}

#endif /* VSW_PCAPNG_H */
