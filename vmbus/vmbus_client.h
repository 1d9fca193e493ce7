/* The guest side of the VMBus: the state machine a partition runs to
 * connect, receive offers, build GPADLs and open channels, mirroring what
 * Linux 6.1 drivers/hv does (versions newest first, connection id 4 for 5.0
 * and later, 26 PFNs in a GPADL header and 28 per body).
 *
 * Event driven and non-blocking: requests are posted through the transport
 * and their answers arrive through vmbus_client_handle_msg(); callers poll
 * the *_status() functions. Freestanding (no libc, no allocation), so the
 * KVM test guest links it as process partitions do. */
#ifndef VMBUS_CLIENT_H
#define VMBUS_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/vmbus_wire.h"
#include "vmbus/vmbus_ring.h"

struct vmbus_client_transport {
	/* HvPostMessage to 'conn_id'; returns the TLFS status. */
	int (*post)(void *ctx, uint32_t conn_id, const void *msg, uint32_t len);
	/* HvSignalEvent on 'conn_id'; returns the TLFS status. */
	int (*signal)(void *ctx, uint32_t conn_id);
};

#define VMBUS_CLIENT_MAX_OFFERS 64
#define VMBUS_CLIENT_MAX_GPADLS 32

enum vmbus_client_state {
	VMBUS_CLIENT_DISCONNECTED,
	VMBUS_CLIENT_CONTACTING,   /* INITIATE_CONTACT sent */
	VMBUS_CLIENT_CONNECTED,
	VMBUS_CLIENT_FAILED,       /* no version accepted */
	VMBUS_CLIENT_UNLOADING,
	VMBUS_CLIENT_UNLOADED,
};

enum vmbus_client_chan_state {
	VMBUS_CHAN_NONE,
	VMBUS_CHAN_OFFERED,
	VMBUS_CHAN_OPENING,
	VMBUS_CHAN_OPEN,
	VMBUS_CHAN_OPEN_FAILED,
	VMBUS_CHAN_RESCINDED,
};

struct vmbus_client_offer {
	struct vmbus_msg_offer msg;      /* as received */
	enum vmbus_client_chan_state state;
	uint32_t open_status;            /* from OPENCHANNEL_RESULT */
	uint32_t modify_status;          /* from MODIFYCHANNEL_RESPONSE */
	bool modify_done;
};

struct vmbus_client_gpadl {
	uint32_t handle;                 /* 0: slot free */
	uint32_t relid;
	int state;                       /* 0 pending, 1 created, 2 failed, 3 torn down */
	uint32_t status;                 /* creation_status */
};

struct vmbus_client_stats {
	uint64_t msgs_in;
	uint64_t bad_msgs;               /* malformed host messages ignored */
	uint64_t version_attempts;
};

struct vmbus_client {
	const struct vmbus_client_transport *t;
	void *tctx;
	enum vmbus_client_state state;
	unsigned int version_idx;        /* index into the version list */
	uint32_t max_version;
	uint32_t version;                /* negotiated */
	uint32_t msg_conn_id;            /* where to post after contact */
	uint32_t target_vcpu;
	uint64_t monitor_page1, monitor_page2;
	bool offers_done;                /* ALLOFFERS_DELIVERED seen */
	uint32_t next_gpadl;
	struct vmbus_client_offer offers[VMBUS_CLIENT_MAX_OFFERS];
	struct vmbus_client_gpadl gpadls[VMBUS_CLIENT_MAX_GPADLS];
	struct vmbus_client_stats stats;
};

/* The versions Linux 6.1 tries, newest first; ends with 0. */
extern const uint32_t vmbus_client_versions[];

/* max_version 0 means 5.3. monitor_page1/2 are the GPAs Linux passes in
 * INITIATE_CONTACT (MNF is not used by hvnet; they may be 0). */
void vmbus_client_init(struct vmbus_client *c, const struct vmbus_client_transport *t,
		       void *tctx, uint32_t max_version, uint64_t monitor_page1,
		       uint64_t monitor_page2);

/* Start version negotiation. Returns 0 when INITIATE_CONTACT went out and
 * an answer is awaited, -HVN_ENODEV when every version was refused. */
int vmbus_client_connect(struct vmbus_client *c);

/* Handle one message from the host. Returns its type, or a negative errno
 * for a message that was malformed or unexpected (it is ignored). */
int vmbus_client_handle_msg(struct vmbus_client *c, const void *msg, uint32_t len);

int vmbus_client_request_offers(struct vmbus_client *c);

/* The offer with this class and sub-channel index, or NULL. */
struct vmbus_client_offer *vmbus_client_find_offer(struct vmbus_client *c,
						   const struct vmbus_guid *if_type,
						   uint16_t sub_channel_index);
struct vmbus_client_offer *vmbus_client_offer_by_relid(struct vmbus_client *c,
						       uint32_t relid);

/* Describe npages whole pages (pfns[]) as one GPADL for channel 'relid'.
 * Sends GPADL_HEADER and as many GPADL_BODY messages as needed. *handle
 * receives the new handle; vmbus_client_gpadl_status() tells the outcome. */
int vmbus_client_gpadl_create(struct vmbus_client *c, uint32_t relid,
			      const uint64_t *pfns, uint32_t npages, uint32_t *handle);
/* -HVN_EAGAIN pending, 0 created, -HVN_EPROTO refused, -HVN_ENOENT unknown. */
int vmbus_client_gpadl_status(const struct vmbus_client *c, uint32_t handle);
int vmbus_client_gpadl_teardown(struct vmbus_client *c, uint32_t relid, uint32_t handle);
/* 0 once GPADL_TORNDOWN arrived (the slot is then free), -HVN_EAGAIN before. */
int vmbus_client_gpadl_torn_down(struct vmbus_client *c, uint32_t handle);

/* OPENCHANNEL with the ring GPADL; the host-to-guest ring starts
 * 'downstream_pages' pages into it. */
int vmbus_client_open(struct vmbus_client *c, uint32_t relid, uint32_t gpadl,
		      uint32_t downstream_pages, uint32_t target_vp);
/* -HVN_EAGAIN pending, 0 open, -HVN_ECONNRESET refused or rescinded. */
int vmbus_client_open_status(const struct vmbus_client *c, uint32_t relid);
int vmbus_client_close(struct vmbus_client *c, uint32_t relid);
int vmbus_client_modify(struct vmbus_client *c, uint32_t relid, uint32_t target_vp);
int vmbus_client_unload(struct vmbus_client *c);

/* Both rings of an open channel, guest view: the guest writes tx (to the
 * host) and reads rx. 'ring_base' is the start of the ring GPADL memory:
 * tx_bytes of tx ring (control page included), then the rx ring. */
struct vmbus_client_channel {
	struct vmbus_ring tx;
	struct vmbus_ring rx;
	uint32_t relid;
	uint32_t conn_id;
};

/* Format both rings in fresh memory (before the GPADL is created). */
int vmbus_client_rings_format(void *ring_base, uint32_t tx_bytes, uint32_t rx_bytes);
/* Attach to both rings once the channel is open. */
int vmbus_client_channel_attach(struct vmbus_client_channel *ch,
				const struct vmbus_client_offer *o, void *ring_base,
				uint32_t tx_bytes, uint32_t rx_bytes,
				void *scratch, uint32_t scratch_size);
/* HvSignalEvent for the channel. */
int vmbus_client_channel_signal(struct vmbus_client *c,
				const struct vmbus_client_channel *ch);

#endif /* VMBUS_CLIENT_H */
