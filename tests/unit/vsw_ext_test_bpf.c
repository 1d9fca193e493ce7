/* eBPF programs for test_vsw_ext, one per section: ones that expose what
 * vswitchd hands a program (the frame, its length, writes) and ones
 * rte_bpf must refuse. */
#include <stdint.h>

#include "vswitch/hvnet_ext.h"

#define SEC(name) __attribute__((section(name), used))

extern uint32_t hvnet_frame_len;

uint64_t ret_byte0(const uint8_t *f);
uint64_t ret_len(const uint8_t *f);
uint64_t write_bytes(uint8_t *f);
uint64_t last_byte(uint8_t *f);
uint64_t out_of_bounds(const uint8_t *f);
uint64_t loops(const uint8_t *f);
uint64_t helper_call(const uint8_t *f);

/* The first byte (the destination MAC's): as a filter 0 drops; as a
 * forwarding extension it is the port + 1. */
SEC("byte0") uint64_t ret_byte0(const uint8_t *f)
{
	return f[0];
}

/* The frame's length: as a forwarding extension, port length - 1. */
SEC("len") uint64_t ret_len(const uint8_t *f)
{
	(void)f;
	return hvnet_frame_len;
}

/* Writes the second byte and the last one it may touch, and passes. */
SEC("write") uint64_t write_bytes(uint8_t *f)
{
	f[1] = 0xaa;
	f[HVNET_EXT_BPF_FRAME_BYTES - 1] = 0xbb;
	return 1;
}

/* The last byte it may read, + 1 (as a forwarding extension, the port
 * is that byte), which it then overwrites: a short frame's padding must
 * come zeroed every time, whatever the program left there before. */
SEC("tail") uint64_t last_byte(uint8_t *f)
{
	uint64_t r = f[HVNET_EXT_BPF_FRAME_BYTES - 1];

	f[HVNET_EXT_BPF_FRAME_BYTES - 1] = 0x77;
	return r + 1;
}

/* One byte past what the verifier allows. */
SEC("oob") uint64_t out_of_bounds(const uint8_t *f)
{
	return f[HVNET_EXT_BPF_FRAME_BYTES];
}

/* A loop: rte_bpf 22.11 refuses any backward jump. */
SEC("loop") uint64_t loops(const uint8_t *f)
{
	uint64_t s = 0;

	for (uint32_t i = 0; i < f[0]; i++)
		s += f[i & 63];
	return s;
}

/* A kernel helper (bpf_ktime_get_ns): rte_bpf offers none. */
SEC("call") uint64_t helper_call(const uint8_t *f)
{
	uint64_t (*ktime)(void) = (uint64_t (*)(void))5;

	return ktime() + f[0];
}
