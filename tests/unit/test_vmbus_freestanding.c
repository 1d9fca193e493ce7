/* Links the guest-side VMBus core (ring + client state machine) with no
 * libc at all, compiled as the KVM test guest will be (-ffreestanding
 * -mgeneral-regs-only -mno-red-zone), and runs it as a bare Linux process:
 * its own _start, its own memcpy/memset/memcmp, exit by system call. If
 * the core ever grows a libc dependency, this fails to link. */
#include <stddef.h>
#include <stdint.h>

#include "vmbus/vmbus_client.h"
#include "vmbus/vmbus_ring.h"

#include "tests/unit/freestanding_rt.h"

static uint8_t ring_mem[4 * 4096] __attribute__((aligned(4096)));
static uint8_t scratch[4096];
static uint32_t posted;

static int fake_post(void *ctx, uint32_t conn_id, const void *msg, uint32_t len)
{
	(void)ctx;
	(void)msg;
	(void)len;
	posted++;
	/* Refuse connection 4 so the client walks down to a 4.x version. */
	return conn_id == VMBUS_CONN_ID_MESSAGE_4 ? HV_STATUS_INVALID_CONNECTION_ID : 0;
}

static int fake_signal(void *ctx, uint32_t conn_id)
{
	(void)ctx;
	(void)conn_id;
	return 0;
}

static int run(void)
{
	static const struct vmbus_client_transport t = { fake_post, fake_signal };
	static struct vmbus_client c;
	struct vmbus_ring w, r;
	struct vmbus_pkt_out o = { .type = VMBUS_PKT_DATA_INBAND, .trans_id = 42 };
	struct vmbus_pkt in[2];
	uint64_t word = 0x1122334455667788ull;
	struct vmbus_sg sg = { &word, sizeof(word) };
	int err;

	if (vmbus_ring_format(ring_mem, sizeof(ring_mem)) != 0)
		return 1;
	if (vmbus_ring_attach_writer(&w, ring_mem, sizeof(ring_mem)) != 0 ||
	    vmbus_ring_attach_reader(&r, ring_mem, sizeof(ring_mem), scratch, sizeof(scratch)) != 0)
		return 2;
	o.sg = &sg;
	o.nsg = 1;
	if (vmbus_ring_put(&w, &o) != 0 || !vmbus_ring_write_commit(&w))
		return 3;
	if (vmbus_ring_read_burst(&r, in, 2, &err) != 1 || in[0].desc.trans_id != 42 ||
	    memcmp(vmbus_pkt_payload(&in[0]), &word, 8) != 0)
		return 4;
	vmbus_client_init(&c, &t, 0, 0, 0, 0);
	/* 5.3 .. 5.0 go to connection 4 and are refused by the "hypercall";
	 * 4.1 goes to connection 1 and awaits an answer. */
	if (vmbus_client_connect(&c) != 0 || c.version != VMBUS_VERSION_WIN10_4_1 || posted != 5)
		return 5;
	return 0;
}

void _start(void)
{
	/* The kernel enters with rsp 16-byte aligned; a call expects it
	 * 8 bytes off, as after a return address. */
	__asm__ __volatile__("and $-16, %%rsp; sub $8, %%rsp" ::: "memory");
	sys_exit(run());
}
