/* Links the netVSC core (with the VMBus guest core and the RNDIS packet
 * code it uses) with no libc at all, compiled as the KVM test guest is
 * (-ffreestanding -mgeneral-regs-only -mno-red-zone), and runs it as a
 * bare Linux process: its own _start, memcpy/memset/memcmp, exit by system
 * call. If the core ever grows a libc or libgcc dependency, this fails to
 * link. It also checks the first thing the core does: NVSP INIT for 6.1,
 * written to the channel's ring as Linux writes it. */
#include <stddef.h>
#include <stdint.h>

#include "common/hvn_errno.h"
#include "netvsc/netvsc.h"

#include "tests/unit/freestanding_rt.h"

#define RING (8u * 4096u)

static uint8_t ring_mem[2 * RING] __attribute__((aligned(4096)));
static uint8_t scratch[4096], host_scratch[4096];
static struct vmbus_client_channel ch;
static struct netvsc_queue queues[1];
static struct netvsc nic;
static unsigned int signals;

static int fake_wait(void *ctx, int timeout_ms)
{
	(void)ctx;
	(void)timeout_ms;
	return -HVN_ECONNRESET;   /* the host is gone: init gives up */
}

static int fake_signal(void *ctx, uint16_t queue)
{
	(void)ctx;
	signals += queue == 0;
	return 0;
}

static int run(void)
{
	static const struct netvsc_ops ops = { .wait = fake_wait, .signal = fake_signal };
	struct vmbus_client_offer o = { .state = VMBUS_CHAN_OPEN };
	struct vmbus_ring host;
	struct vmbus_pkt p;
	struct nvsp_msg m;
	int err;

	if (vmbus_client_rings_format(ring_mem, RING, RING) != 0 ||
	    vmbus_client_channel_attach(&ch, &o, ring_mem, RING, RING, scratch, sizeof(scratch)) != 0)
		return 1;
	queues[0].ch = &ch;
	nic.ops = &ops;
	nic.queues = queues;
	nic.max_queues = 1;
	if (netvsc_init(&nic, 10) != -HVN_ECONNRESET || signals != 1)
		return 2;
	/* The host's view of the guest-to-host ring. */
	if (vmbus_ring_attach_reader(&host, ring_mem, RING, host_scratch, sizeof(host_scratch)) != 0 ||
	    vmbus_ring_read_burst(&host, &p, 1, &err) != 1)
		return 3;
	memcpy(&m, vmbus_pkt_payload(&p), sizeof(m));
	if (p.desc.type != VMBUS_PKT_DATA_INBAND || vmbus_pkt_payload_len(&p) != sizeof(m) ||
	    !(p.desc.flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) || m.type != NVSP_MSG_INIT ||
	    m.u.init.min_protocol_ver != NVSP_VERSION_61 || m.u.init.max_protocol_ver != NVSP_VERSION_61)
		return 4;
	/* The PPI encoders, compiled freestanding too. */
	if (netvsc_vlan_tci(netvsc_ppi_vlan(0xb064)) != 0xb064 ||
	    netvsc_ppi_lso(1448, 34, true) != (1448u | 34u << 20 | 1u << 30 | 1u << 31))
		return 5;
	return 0;
}

void _start(void)
{
	__asm__ __volatile__("and $-16, %%rsp; sub $8, %%rsp" ::: "memory");
	sys_exit(run());
}
