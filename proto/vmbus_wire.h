/* VMBus wire formats: ring buffer control page, packet descriptors and the
 * channel management messages, exactly as Hyper-V and Linux lay them out.
 *
 * Source of every layout: Linux 6.1 include/linux/hyperv.h (struct
 * hv_ring_buffer, vmpacket_descriptor, vmbus_channel_*) and
 * drivers/hv/hyperv_vmbus.h; the same numbers appear in QEMU's
 * include/hw/hyperv/vmbus-proto.h and OpenVMM's vmbus_core protocol.rs.
 * Everything is little-endian; hvnet only runs on x86-64. Freestanding. */
#ifndef PROTO_VMBUS_WIRE_H
#define PROTO_VMBUS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/hvn_compiler.h"

/* ---- Ring buffers (hyperv.h struct hv_ring_buffer) ---------------------- */

/* The control page. Not declared packed: its fields are naturally aligned
 * and are accessed with atomics, which must not take the address of a
 * member of a packed struct. The static asserts below pin the layout. */
struct vmbus_ring_ctl {
	uint32_t write_index;      /* byte offset into the data area */
	uint32_t read_index;       /* byte offset into the data area */
	uint32_t interrupt_mask;   /* reader sets 1 while it polls */
	uint32_t pending_send_sz;  /* writer waits for this much free space */
	uint32_t reserved1[12];
	uint32_t feature_bits;     /* bit 0: pending_send_sz supported */
	uint8_t reserved2[4096 - 68];
};
_Static_assert(offsetof(struct vmbus_ring_ctl, write_index) == 0, "ring ctl");
_Static_assert(offsetof(struct vmbus_ring_ctl, read_index) == 4, "ring ctl");
_Static_assert(offsetof(struct vmbus_ring_ctl, interrupt_mask) == 8, "ring ctl");
_Static_assert(offsetof(struct vmbus_ring_ctl, pending_send_sz) == 12, "ring ctl");
_Static_assert(offsetof(struct vmbus_ring_ctl, feature_bits) == 64, "ring ctl");
_Static_assert(sizeof(struct vmbus_ring_ctl) == 4096, "ring ctl is one page");

#define VMBUS_RING_FEAT_PENDING_SEND_SZ 0x1u

/* Packet types (hyperv.h enum vmbus_packet_type). */
#define VMBUS_PKT_DATA_INBAND          0x6
#define VMBUS_PKT_DATA_XFER_PAGES      0x7
#define VMBUS_PKT_DATA_GPA_DIRECT      0x9
#define VMBUS_PKT_COMP                 0xb

#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED 0x1

/* hyperv.h struct vmpacket_descriptor: offset8 and len8 count 8-byte units
 * from the start of the descriptor; len8 covers descriptor and payload but
 * not the 8-byte trailer that follows every packet in the ring. */
struct vmbus_pkt_desc {
	uint16_t type;
	uint16_t offset8;
	uint16_t len8;
	uint16_t flags;
	uint64_t trans_id;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_pkt_desc) == 16, "vmpacket_descriptor");

/* The trailer after each packet: (u64)start_write_index << 32
 * (ring_buffer.c hv_ringbuffer_write). */
#define VMBUS_PKT_TRAILER_SIZE 8u

/* Linux uses this trans_id for packets that expect no response
 * (hyperv.h VMBUS_RQST_ID_NO_RESPONSE). */
#define VMBUS_RQST_ID_NO_RESPONSE (UINT64_MAX - 2)

/* hyperv.h struct vmtransfer_page_range / vmtransfer_page_packet_header. */
struct vmbus_xfer_range {
	uint32_t byte_count;
	uint32_t byte_offset;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_xfer_range) == 8, "vmtransfer_page_range");

struct vmbus_xfer_page_hdr {
	struct vmbus_pkt_desc d;
	uint16_t xfer_pageset_id;
	uint8_t sender_owns_set;
	uint8_t reserved;
	uint32_t range_cnt;
	struct vmbus_xfer_range ranges[];
} hvn_packed;
_Static_assert(sizeof(struct vmbus_xfer_page_hdr) == 24, "xfer page header");

/* hyperv.h struct gpa_range: PFN count is implied by offset and length. */
struct vmbus_gpa_range {
	uint32_t byte_count;
	uint32_t byte_offset;
	uint64_t pfn[];
} hvn_packed;
_Static_assert(sizeof(struct vmbus_gpa_range) == 8, "gpa_range");

/* hyperv.h struct vmbus_channel_packet_multipage_buffer, generalised:
 * range_cnt ranges of struct vmbus_gpa_range follow back to back. */
struct vmbus_gpa_direct_hdr {
	struct vmbus_pkt_desc d;
	uint32_t reserved;
	uint32_t range_cnt;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_gpa_direct_hdr) == 24, "gpa direct header");

/* ---- Channel management messages (hyperv.h) ----------------------------- */

enum vmbus_msg_type {
	VMBUS_MSG_INVALID = 0,
	VMBUS_MSG_OFFERCHANNEL = 1,
	VMBUS_MSG_RESCIND_CHANNELOFFER = 2,
	VMBUS_MSG_REQUESTOFFERS = 3,
	VMBUS_MSG_ALLOFFERS_DELIVERED = 4,
	VMBUS_MSG_OPENCHANNEL = 5,
	VMBUS_MSG_OPENCHANNEL_RESULT = 6,
	VMBUS_MSG_CLOSECHANNEL = 7,
	VMBUS_MSG_GPADL_HEADER = 8,
	VMBUS_MSG_GPADL_BODY = 9,
	VMBUS_MSG_GPADL_CREATED = 10,
	VMBUS_MSG_GPADL_TEARDOWN = 11,
	VMBUS_MSG_GPADL_TORNDOWN = 12,
	VMBUS_MSG_RELID_RELEASED = 13,
	VMBUS_MSG_INITIATE_CONTACT = 14,
	VMBUS_MSG_VERSION_RESPONSE = 15,
	VMBUS_MSG_UNLOAD = 16,
	VMBUS_MSG_UNLOAD_RESPONSE = 17,
	VMBUS_MSG_TL_CONNECT_REQUEST = 21,
	VMBUS_MSG_MODIFYCHANNEL = 22,
	VMBUS_MSG_TL_CONNECT_RESULT = 23,
	VMBUS_MSG_MODIFYCHANNEL_RESPONSE = 24,
	VMBUS_MSG_COUNT
};

/* hyperv_vmbus.h: a SynIC message carries at most 240 payload bytes. */
#define VMBUS_MSG_MAX_SIZE 240u

/* Connection ids the guest posts to (hyperv.h VMBUS_MESSAGE_CONNECTION_ID
 * and _ID_4) and the SINT that carries VMBus messages. */
#define VMBUS_CONN_ID_MESSAGE   1u
#define VMBUS_CONN_ID_EVENT     2u
#define VMBUS_CONN_ID_MONITOR   3u
#define VMBUS_CONN_ID_MESSAGE_4 4u
#define VMBUS_MESSAGE_SINT      2u

/* Protocol versions, major << 16 | minor (hyperv.h VERSION_*). */
#define VMBUS_VERSION(maj, min) (((uint32_t)(maj) << 16) | (uint32_t)(min))
#define VMBUS_VERSION_WIN8      VMBUS_VERSION(2, 4)
#define VMBUS_VERSION_WIN8_1    VMBUS_VERSION(3, 0)
#define VMBUS_VERSION_WIN10     VMBUS_VERSION(4, 0)
#define VMBUS_VERSION_WIN10_4_1 VMBUS_VERSION(4, 1)
#define VMBUS_VERSION_WIN10_5   VMBUS_VERSION(5, 0)
#define VMBUS_VERSION_WIN10_5_1 VMBUS_VERSION(5, 1)
#define VMBUS_VERSION_WIN10_5_2 VMBUS_VERSION(5, 2)
#define VMBUS_VERSION_WIN10_5_3 VMBUS_VERSION(5, 3)

/* hyperv.h guid_t in its little-endian wire form. */
struct vmbus_guid {
	uint8_t b[16];
} hvn_packed;

struct vmbus_msg_hdr {
	uint32_t msgtype;
	uint32_t padding;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_hdr) == 8, "message header");

#define VMBUS_OFFER_USER_DEFINED_BYTES 120

/* hyperv.h struct vmbus_channel_offer + vmbus_channel_offer_channel. */
struct vmbus_msg_offer {
	struct vmbus_msg_hdr hdr;
	struct vmbus_guid if_type;
	struct vmbus_guid if_instance;
	uint64_t reserved1;
	uint64_t reserved2;
	uint16_t chn_flags;
	uint16_t mmio_megabytes;
	uint8_t user_def[VMBUS_OFFER_USER_DEFINED_BYTES];
	uint16_t sub_channel_index;
	uint16_t reserved3;
	uint32_t child_relid;
	uint8_t monitorid;
	uint8_t monitor_allocated;      /* bit 0 */
	uint16_t is_dedicated_interrupt; /* bit 0 */
	uint32_t connection_id;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_offer) == 196, "offer_channel");

struct vmbus_msg_rescind {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_rescind) == 12, "rescind_offer");

struct vmbus_msg_open {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t ringbuffer_gpadl;
	uint32_t target_vp;
	uint32_t downstream_page_offset;
	uint8_t userdata[VMBUS_OFFER_USER_DEFINED_BYTES];
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_open) == 148, "open_channel");

struct vmbus_msg_open_result {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t openid;
	uint32_t status;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_open_result) == 20, "open_result");

struct vmbus_msg_close {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_close) == 12, "close_channel");

struct vmbus_msg_gpadl_header {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl;
	uint16_t range_buflen; /* bytes of all ranges with their PFN arrays */
	uint16_t rangecount;
	/* struct vmbus_gpa_range ranges[], continued by GPADL_BODY messages */
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_gpadl_header) == 20, "gpadl_header");

struct vmbus_msg_gpadl_body {
	struct vmbus_msg_hdr hdr;
	uint32_t msgnumber; /* Linux leaves it 0; not relied on */
	uint32_t gpadl;
	/* uint64_t pfn[] */
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_gpadl_body) == 16, "gpadl_body");

/* channel.c create_gpadl_header: PFNs per message. */
#define VMBUS_GPADL_HEADER_MAX_PFNS \
	((VMBUS_MSG_MAX_SIZE - sizeof(struct vmbus_msg_gpadl_header) - \
	  sizeof(struct vmbus_gpa_range)) / 8)
#define VMBUS_GPADL_BODY_MAX_PFNS \
	((VMBUS_MSG_MAX_SIZE - sizeof(struct vmbus_msg_gpadl_body)) / 8)
_Static_assert(VMBUS_GPADL_HEADER_MAX_PFNS == 26, "Linux packs 26 PFNs");
_Static_assert(VMBUS_GPADL_BODY_MAX_PFNS == 28, "Linux packs 28 PFNs");

struct vmbus_msg_gpadl_created {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl;
	uint32_t creation_status;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_gpadl_created) == 20, "gpadl_created");

struct vmbus_msg_gpadl_teardown {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t gpadl;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_gpadl_teardown) == 16, "gpadl_teardown");

struct vmbus_msg_gpadl_torndown {
	struct vmbus_msg_hdr hdr;
	uint32_t gpadl;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_gpadl_torndown) == 12, "gpadl_torndown");

struct vmbus_msg_relid_released {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_relid_released) == 12, "relid_released");

struct vmbus_msg_initiate_contact {
	struct vmbus_msg_hdr hdr;
	uint32_t version_requested;
	uint32_t target_vcpu;
	union {
		uint64_t interrupt_page;   /* versions below 5.0 */
		struct {
			uint8_t msg_sint;  /* 5.0 and later */
			uint8_t pad1[3];
			uint32_t pad2;
		} hvn_packed;
	} hvn_packed;
	uint64_t monitor_page1;
	uint64_t monitor_page2;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_initiate_contact) == 40, "initiate_contact");

struct vmbus_msg_version_response {
	struct vmbus_msg_hdr hdr;
	uint8_t version_supported;
	uint8_t connection_state;
	uint16_t padding;
	uint32_t msg_conn_id; /* where the guest posts from now on (5.0+) */
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_version_response) == 16, "version_response");

struct vmbus_msg_modify_channel {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t target_vp;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_modify_channel) == 16, "modifychannel");

struct vmbus_msg_modify_channel_response {
	struct vmbus_msg_hdr hdr;
	uint32_t child_relid;
	uint32_t status;
} hvn_packed;
_Static_assert(sizeof(struct vmbus_msg_modify_channel_response) == 16,
	       "modifychannel_response");

/* Size of each message the host sends (host to guest); 0 for a type the
 * host never sends. Guests check against it, hosts post exactly it. */
static inline uint32_t vmbus_msg_host_size(uint32_t type)
{
	switch (type) {
	case VMBUS_MSG_OFFERCHANNEL: return sizeof(struct vmbus_msg_offer);
	case VMBUS_MSG_RESCIND_CHANNELOFFER: return sizeof(struct vmbus_msg_rescind);
	case VMBUS_MSG_ALLOFFERS_DELIVERED: return sizeof(struct vmbus_msg_hdr);
	case VMBUS_MSG_OPENCHANNEL_RESULT: return sizeof(struct vmbus_msg_open_result);
	case VMBUS_MSG_GPADL_CREATED: return sizeof(struct vmbus_msg_gpadl_created);
	case VMBUS_MSG_GPADL_TORNDOWN: return sizeof(struct vmbus_msg_gpadl_torndown);
	case VMBUS_MSG_VERSION_RESPONSE: return sizeof(struct vmbus_msg_version_response);
	case VMBUS_MSG_UNLOAD_RESPONSE: return sizeof(struct vmbus_msg_hdr);
	case VMBUS_MSG_MODIFYCHANNEL_RESPONSE:
		return sizeof(struct vmbus_msg_modify_channel_response);
	default: return 0;
	}
}

/* Offer flags and the ids hvnet assigns (OpenVMM vmbus_core ConnectionId:
 * relid | sint << 12, so a channel id never collides with ids 1 to 4). */
#define VMBUS_CHANNEL_CONN_ID(relid) ((uint32_t)(relid) | (VMBUS_MESSAGE_SINT << 12))

/* Event flags: one 256-byte region per SINT, one bit per relid
 * (hyperv-tlfs.h struct hv_synic_event_flags). */
#define VMBUS_EVENT_FLAGS_BYTES 256u
#define VMBUS_MAX_RELID (VMBUS_EVENT_FLAGS_BYTES * 8u - 1u)

/* TLFS hypercall status codes that message posting returns
 * (asm-generic/hyperv-tlfs.h). */
#define HV_STATUS_SUCCESS                0
#define HV_STATUS_INVALID_HYPERCALL_CODE 2
#define HV_STATUS_INVALID_HYPERCALL_INPUT 3
#define HV_STATUS_INVALID_ALIGNMENT      4
#define HV_STATUS_INVALID_PARAMETER      5
#define HV_STATUS_INSUFFICIENT_MEMORY    11
#define HV_STATUS_INVALID_PORT_ID        17
#define HV_STATUS_INVALID_CONNECTION_ID  18
#define HV_STATUS_INSUFFICIENT_BUFFERS   19

#endif /* PROTO_VMBUS_WIRE_H */
