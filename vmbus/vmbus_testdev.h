/* A host test device on the VMBus: the smallest real VSP. In echo mode it
 * returns every inband packet to its sender (as a completion with the same
 * transaction id when one was requested, else as an inband packet); in
 * pipe mode two devices, usually in two partitions, forward each other's
 * packets. Tests, the demo and the KVM test guest use it; netvsp follows
 * the same device pattern. */
#ifndef VMBUS_TESTDEV_H
#define VMBUS_TESTDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbus/vmbus_server.h"

struct vmbus_testdev;

struct vmbus_testdev_stats {
	uint64_t rx_packets;      /* read from the guest */
	uint64_t tx_packets;      /* written to a guest */
	uint64_t rx_bytes;
	uint64_t backpressure;    /* times the destination ring was full */
	uint64_t faults;          /* rings the guest corrupted */
	uint64_t opens;
	uint64_t closes;
};

/* {8a7b9c10-4f8d-4f5e-9c1a-68766e657430}: hvnet's test device class. */
#define VMBUS_TESTDEV_GUID_INIT { { 0x10, 0x9c, 0x7b, 0x8a, 0x8d, 0x4f, 0x5e, 0x4f, \
				   0x9c, 0x1a, 0x68, 0x76, 0x6e, 0x65, 0x74, 0x30 } }

/* Offer a test device on 's'. It lives until the channel is released
 * (rescind or partition exit). */
int vmbus_testdev_offer(struct vmbus_server *s, uint16_t instance,
			struct vmbus_testdev **out);
/* Pipe mode: what one device reads, the other writes to its guest. */
void vmbus_testdev_pair(struct vmbus_testdev *a, struct vmbus_testdev *b);
/* Poll mode: move what is ready. Returns packets moved. */
unsigned int vmbus_testdev_poll(struct vmbus_testdev *d);
const struct vmbus_testdev_stats *vmbus_testdev_get_stats(const struct vmbus_testdev *d);
struct vmbus_channel *vmbus_testdev_channel(struct vmbus_testdev *d);

/* A host for process partitions that offers one test device to each
 * partition that connects: with 'pair', partitions are paired in arrival
 * order (each one's packets go to the other), else every device echoes.
 * Pass vmbus_testdev_host_ops with a zeroed struct vmbus_testdev_host as
 * the context of vmbus_sock_server_create(). */
struct vmbus_testdev_host {
	bool pair;
	struct vmbus_testdev *waiting;   /* first of a pair, not yet matched */
	unsigned int added;
	unsigned int removed;
};

struct vmbus_sock_server_ops;
const struct vmbus_sock_server_ops *vmbus_testdev_host_ops(void);

#endif /* VMBUS_TESTDEV_H */
