/* libFuzzer target: rndis_pkt_parse() on arbitrary bytes, the parser both
 * netVSP (guest TX) and a guest (host RX) run on what the peer wrote.
 * Input: [u16 avail][message bytes]; msg_len is the message's size and
 * 'avail' (clamped) how much of it is contiguous.
 *
 * Checked on success: the frame lies inside the message after the fixed
 * header and is not empty, only known PPI bits are set, and building a
 * header from the result and parsing it again gives the same values. */
#include <stdint.h>
#include <string.h>

#include "proto/rndis_pkt.h"

#include "tests/fuzz/fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rndis_pkt_info info, again;
	static uint8_t buf[1024];
	uint32_t avail, msg_len, hl;
	uint16_t a;

	if (size < 2 || size - 2 > 0xffffffffu)
		return 0;
	memcpy(&a, data, 2);
	msg_len = (uint32_t)(size - 2);
	avail = a;
	memset(&info, 0, sizeof(info));
	if (rndis_pkt_parse(data + 2, avail, msg_len, &info) != 0)
		return 0;
	CHECK(info.data_len > 0);
	CHECK(info.data_off >= RNDIS_HEADER_SIZE + sizeof(struct rndis_packet));
	CHECK(info.data_off <= msg_len);
	CHECK(info.data_len <= msg_len - info.data_off);
	CHECK((info.present & ~0xfu) == 0);
	/* Round trip: our builder's output is accepted and means the same. */
	hl = rndis_pkt_hdr_len(info.present);
	CHECK(hl <= sizeof(buf));
	info.data_len = 1;
	rndis_pkt_build(buf, &info);
	CHECK(info.data_off == hl);
	memset(&again, 0, sizeof(again));
	CHECK(rndis_pkt_parse(buf, hl + 1, hl + 1, &again) == 0);
	CHECK(again.present == info.present && again.data_off == hl && again.data_len == 1);
	CHECK(!(info.present & RNDIS_PKT_HAS_CSUM) || again.csum == info.csum);
	CHECK(!(info.present & RNDIS_PKT_HAS_LSO) || again.lso == info.lso);
	CHECK(!(info.present & RNDIS_PKT_HAS_VLAN) || again.vlan == info.vlan);
	CHECK(!(info.present & RNDIS_PKT_HAS_HASH) || again.hash == info.hash);
	return 0;
}
