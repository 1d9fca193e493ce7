/* pcapng blocks; see vsw_pcapng.h. */
#include <string.h>

#include "vswitch/vsw_pcapng.h"

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
	return p + 2;
}

/* An option: code, length, value padded to 32 bits. */
static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *v, uint16_t len)
{
	p = put16(p, code);
	p = put16(p, len);
	memcpy(p, v, len);
	memset(p + len, 0, pad4(len) - len);
	return p + pad4(len);
}

static size_t opt_size(size_t len)
{
	return 4 + pad4(len);
}

size_t vsw_pcapng_header(uint8_t *buf, size_t cap, const char *app, const char *ifname,
			 uint32_t snaplen)
{
	size_t alen = strnlen(app, 200), ilen = strnlen(ifname, 200);
	size_t shb = 28 + opt_size(alen) + 4, idb = 20 + opt_size(ilen) + opt_size(1) + 4;
	uint8_t tsresol = 9;
	uint64_t section_len = UINT64_MAX;   /* -1: not given */
	uint8_t *p = buf;

	if (cap < shb + idb)
		return 0;
	p = put32(p, 0x0A0D0D0Au);
	p = put32(p, (uint32_t)shb);
	p = put32(p, 0x1A2B3C4Du);
	p = put16(p, 1);
	p = put16(p, 0);
	memcpy(p, &section_len, 8);
	p += 8;
	p = put_opt(p, 4, app, (uint16_t)alen);          /* shb_userappl */
	p = put32(p, 0);                                   /* opt_endofopt */
	p = put32(p, (uint32_t)shb);

	p = put32(p, 1);
	p = put32(p, (uint32_t)idb);
	p = put16(p, VSW_PCAPNG_LINKTYPE_ETHERNET);
	p = put16(p, 0);
	p = put32(p, snaplen);
	p = put_opt(p, 2, ifname, (uint16_t)ilen);        /* if_name */
	p = put_opt(p, 9, &tsresol, 1);                    /* if_tsresol: 10^-9 */
	p = put32(p, 0);
	p = put32(p, (uint32_t)idb);
	return (size_t)(p - buf);
}

size_t vsw_pcapng_packet(uint8_t *buf, size_t cap, uint64_t ts_ns, const void *data,
			 uint32_t caplen, uint32_t orig_len, uint32_t dir_flags)
{
	size_t total = 28 + pad4(caplen) + opt_size(4) + 4 + 4;
	uint8_t *p = buf;

	if (cap < total)
		return 0;
	p = put32(p, 6);
	p = put32(p, (uint32_t)total);
	p = put32(p, 0);                                   /* interface 0 */
	p = put32(p, (uint32_t)(ts_ns >> 32));
	p = put32(p, (uint32_t)ts_ns);
	p = put32(p, caplen);
	p = put32(p, orig_len);
	memcpy(p, data, caplen);
	memset(p + caplen, 0, pad4(caplen) - caplen);
	p += pad4(caplen);
	p = put_opt(p, 2, &dir_flags, 4);                  /* epb_flags */
	p = put32(p, 0);
	p = put32(p, (uint32_t)total);
	return (size_t)(p - buf);
}
