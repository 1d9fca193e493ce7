/* drop_udp_port: an eBPF filter extension dropping UDP over IPv4 to port 9
 * (discard) and passing everything else. Built with
 *   clang -O2 -target bpf -ffreestanding -c drop_udp_port.c
 * and added with
 *   vswitchctl extension add SW nodiscard --type filter --module /PATH/drop_udp_port.o
 *
 * rte_bpf runs it with a pointer to the frame (untagged: vswitchd strips
 * 802.1Q first). The verifier only proves that every access stays within
 * HVNET_EXT_BPF_FRAME_BYTES; whether those bytes are the frame's is ours
 * to check against hvnet_frame_len, or a short frame's zero padding would
 * be read as headers. No loops, no helpers, no global data: rte_bpf 22.11
 * takes none of them. */
#include <stdint.h>

#include "vswitch/hvnet_ext.h"

#define DROP_PORT 9

extern uint32_t hvnet_frame_len;

_Static_assert(14 + 60 + 8 <= HVNET_EXT_BPF_FRAME_BYTES,
	       "the largest IPv4 header and a UDP header fit the bytes the program may read");

uint64_t drop_udp_port(const uint8_t *f);

uint64_t drop_udp_port(const uint8_t *f)
{
	uint32_t len = hvnet_frame_len, ihl;
	const uint8_t *udp;

	if (len < 14 + 20 + 8)
		return 1;
	if (f[12] != 0x08 || f[13] != 0x00 || f[14] >> 4 != 4 || f[23] != 17)
		return 1;
	/* Only the first fragment carries the UDP header. */
	if ((f[20] & 0x1f) != 0 || f[21] != 0)
		return 1;
	/* The mask is what lets the verifier bound the variable offset. */
	ihl = (uint32_t)(f[14] & 0x0f) * 4;
	if (ihl < 20 || len < 14 + ihl + 8)
		return 1;
	/* Pointer plus offset, in that order: 22.11's verifier keeps a
	 * pointer's type through "ptr += scalar" but turns "scalar += ptr"
	 * into a plain number ("destination is not a pointer"), and clang
	 * emits the latter for f[14 + ihl + 2]. */
	udp = f + 14;
	udp += ihl;
	return udp[2] == (DROP_PORT >> 8) && udp[3] == (DROP_PORT & 0xff) ? 0 : 1;
}
