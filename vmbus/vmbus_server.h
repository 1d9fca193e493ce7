/* The host side of the VMBus for one partition: a pure state machine that
 * answers the partition's channel messages, keeps its GPADL map and offers
 * channels on behalf of devices (VSPs).
 *
 * It never blocks and never touches a socket or a vCPU: messages come in
 * through vmbus_server_handle_msg() and go out through the transport ops,
 * so the same code serves a KVM partition (SynIC) and a process partition
 * (unix socket). Every request gets an answer, because a Linux guest waits
 * for most answers with no timeout (connection.c, channel.c). A malformed
 * or out-of-order message is counted and answered with a failure where the
 * protocol has one, and dropped where it has none.
 *
 * Not thread-safe: one partition's server is driven from one thread. The
 * data path (rings) runs elsewhere and never calls in here. */
#ifndef VMBUS_SERVER_H
#define VMBUS_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/vmbus_wire.h"
#include "vmbus/vmbus_mem.h"
#include "vmbus/vmbus_ring.h"

struct vmbus_server;
struct vmbus_channel;

/* How the server reaches the partition. */
struct vmbus_server_transport {
	/* Deliver one channel message (<= 240 bytes). A negative errno means
	 * the partition cannot be reached any more: the server then stops
	 * talking to it (vmbus_server_dead()). */
	int (*post)(void *ctx, const void *msg, uint32_t len);
	/* Raise the channel's event flag toward 'target_vp'. */
	void (*signal)(void *ctx, uint32_t relid, uint32_t target_vp);
	/* The guest opened (add) or closed (del) a channel: route the guest's
	 * HvSignalEvent(conn_id) for it. Optional. add returns 0 or -errno
	 * (the open then fails). */
	int (*doorbell_add)(void *ctx, struct vmbus_channel *ch, uint32_t conn_id);
	void (*doorbell_del)(void *ctx, struct vmbus_channel *ch, uint32_t conn_id);
};

/* What a device (VSP) implements for each channel it offers. */
struct vmbus_device_ops {
	/* The guest opened the channel; its rings are attached. Return 0 to
	 * accept or a negative errno to fail the open. */
	int (*open)(void *dev, struct vmbus_channel *ch);
	/* OPEN_RESULT went out and the channel is open: the device may move
	 * data and signal now. Optional. (Some guests ignore a signal that
	 * comes before OPEN_RESULT, reference pitfall 6: a device that has
	 * data waiting signals here.) */
	void (*opened)(void *dev, struct vmbus_channel *ch);
	/* The channel closed (guest close, rescind, unload or the partition
	 * left). Stop using its rings and GPADLs before returning. */
	void (*close)(void *dev, struct vmbus_channel *ch);
	/* The guest signalled the channel. Optional: poll-mode devices ignore
	 * it. */
	void (*signal)(void *dev, struct vmbus_channel *ch);
	/* The channel object is being freed (rescind finished or the server
	 * destroyed); the device forgets it. Optional. */
	void (*release)(void *dev, struct vmbus_channel *ch);
};

struct vmbus_offer_params {
	struct vmbus_guid if_type;
	struct vmbus_guid if_instance;
	uint16_t sub_channel_index;
	uint16_t mmio_megabytes;
	uint16_t chn_flags;
	uint8_t user_def[VMBUS_OFFER_USER_DEFINED_BYTES];
	/* Host side, not sent: the bounce buffer for this channel's wrapped
	 * guest-to-host packets, at least the largest packet the device
	 * accepts (a wrapped packet that does not fit is dropped and counted
	 * in the ring's 'oversize'). 0 = the server's ring_scratch_size. It
	 * is host memory per channel, so a device with small packets says
	 * how small. */
	uint32_t ring_scratch_size;
};

struct vmbus_server_config {
	const char *name;            /* for logs: the partition's name */
	uint32_t max_version;        /* highest version offered; 0 = 5.3 */
	uint32_t max_gpadls;         /* per partition; 0 = 1024 */
	uint32_t max_gpadl_bytes;    /* host memory for GPADL records; 0 = 8 MiB */
	uint32_t max_channels;       /* per partition; 0 = 256 */
	uint32_t ring_scratch_size;  /* per channel bounce buffer, unless the offer
				      * names one; 0 = 64 KiB */
};

struct vmbus_server_stats {
	uint64_t msgs_in;            /* messages handled */
	uint64_t msgs_out;           /* messages posted */
	uint64_t proto_errors;       /* malformed or out-of-order messages */
	uint64_t bad_size;           /* messages shorter than their type */
	uint64_t unknown_type;       /* unknown message types */
	uint64_t gpadl_failures;     /* GPADLs refused */
	uint64_t open_failures;      /* opens refused */
	uint64_t signals_in;         /* guest doorbells */
	uint64_t bad_signals;        /* doorbells for no open channel */
	uint32_t gpadls;             /* live GPADLs, complete or in assembly */
	uint32_t channels_open;
	uint32_t offers;
	uint32_t version;            /* negotiated, 0 when not connected */
};

/* Create the server for a partition whose memory is 'mem' (borrowed; it
 * must outlive the server). Returns NULL on allocation failure. */
struct vmbus_server *vmbus_server_create(const struct vmbus_server_config *cfg,
					 const struct vmbus_mem *mem,
					 const struct vmbus_server_transport *t,
					 void *tctx);

/* The partition is gone: close every open channel, unmap every ring, free
 * every GPADL and channel, release every device's channel. */
void vmbus_server_destroy(struct vmbus_server *s);

/* A message the partition posted to connection 'conn_id'. Returns the
 * HvPostMessage status: HV_STATUS_SUCCESS once the message was accepted
 * (whatever the protocol outcome), HV_STATUS_INVALID_CONNECTION_ID for a
 * connection id the server does not listen on, HV_STATUS_INVALID_PARAMETER
 * for a size above 240 bytes. */
int vmbus_server_handle_msg(struct vmbus_server *s, uint32_t conn_id,
			    const void *msg, uint32_t len);

/* The partition signalled 'conn_id' (HvSignalEvent). Returns the
 * hypercall status. */
int vmbus_server_handle_signal(struct vmbus_server *s, uint32_t conn_id);

/* Offer a channel; it is sent now if the guest has asked for offers, or
 * when it does. */
int vmbus_server_offer(struct vmbus_server *s, const struct vmbus_offer_params *p,
		       const struct vmbus_device_ops *ops, void *dev,
		       struct vmbus_channel **out);

/* Withdraw a channel: it is closed, RESCIND is sent, and the channel is
 * released when the guest answers RELID_RELEASED (or at once if the guest
 * never saw the offer). */
int vmbus_server_rescind(struct vmbus_server *s, struct vmbus_channel *ch);

bool vmbus_server_dead(const struct vmbus_server *s);
const struct vmbus_server_stats *vmbus_server_get_stats(const struct vmbus_server *s);
const char *vmbus_server_name(const struct vmbus_server *s);

/* A complete GPADL as the host sees it: the partition's pages in order. */
struct vmbus_gpadl_info {
	uint32_t handle;
	uint32_t child_relid;
	uint32_t npages;      /* pages across all ranges */
	uint32_t nranges;
	uint64_t total_bytes; /* sum of range byte counts */
};

/* Look up a complete GPADL of the partition (for devices that receive a
 * buffer GPADL over their channel). */
int vmbus_server_gpadl_info(struct vmbus_server *s, uint32_t handle,
			    struct vmbus_gpadl_info *info);

/* Map a complete GPADL of whole pages that the guest made for channel
 * 'relid' (a buffer it hands a device) as one host-contiguous view; undo
 * with vmbus_mem_unmap(). The view stays valid after the guest tears the
 * GPADL down (it is the guest's own memory). Unlike the rest of this API,
 * callable from any thread. -ENOENT unknown or incomplete or another
 * channel's, -EINVAL partial pages, else as vmbus_mem_map_pages(). */
int vmbus_server_gpadl_map(struct vmbus_server *s, uint32_t handle, uint32_t relid,
			   struct vmbus_mem_view *v);

/* ---- Channel accessors for devices ---- */

/* Guest-to-host ring: the host reads it. */
struct vmbus_ring *vmbus_channel_rx(struct vmbus_channel *ch);
/* Host-to-guest ring: the host writes it. */
struct vmbus_ring *vmbus_channel_tx(struct vmbus_channel *ch);
uint32_t vmbus_channel_relid(const struct vmbus_channel *ch);
uint32_t vmbus_channel_conn_id(const struct vmbus_channel *ch);
bool vmbus_channel_is_open(const struct vmbus_channel *ch);
/* The partition's memory, for GPA-direct packets. */
const struct vmbus_mem *vmbus_channel_mem(const struct vmbus_channel *ch);
const struct vmbus_offer_params *vmbus_channel_offer(const struct vmbus_channel *ch);
struct vmbus_server *vmbus_channel_server(struct vmbus_channel *ch);
/* Signal the guest (after a commit said so). Device workers may call it
 * from their own thread while the channel is open (until the device's
 * close returns). */
void vmbus_channel_signal(struct vmbus_channel *ch);
/* The device saw a broken ring: close the channel on the host side and
 * count it; the guest sees the channel stop. */
void vmbus_channel_fault(struct vmbus_channel *ch);
/* Opaque per-channel pointer for the transport. */
void vmbus_channel_set_transport_data(struct vmbus_channel *ch, void *p);
void *vmbus_channel_transport_data(struct vmbus_channel *ch);

/* The versions the server accepts, newest first; ends with 0. */
extern const uint32_t vmbus_supported_versions[];

#endif /* VMBUS_SERVER_H */
