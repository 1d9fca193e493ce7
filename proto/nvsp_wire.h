/* NVSP: the network VSP protocol carried inside VMBus packets on a
 * synthetic NIC's channels.
 *
 * Sources of the layouts: Linux 6.1 drivers/net/hyperv/hyperv_net.h
 * (struct nvsp_message and its members), DPDK drivers/net/netvsc/hn_nvs.h,
 * OpenVMM vm/devices/net/netvsp/src/protocol.rs. Every structure is packed
 * in Linux too; the sizes below are asserted. Little-endian. Freestanding. */
#ifndef PROTO_NVSP_WIRE_H
#define PROTO_NVSP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/hvn_compiler.h"

/* {f8615163-df3e-46c5-913f-f2d2f965ed0e}: the network device class
 * (hyperv.h HV_NIC_GUID), in the mixed-endian wire order of a GUID. */
#define NVSP_NIC_GUID_INIT { { 0x63, 0x51, 0x61, 0xf8, 0x3e, 0xdf, 0xc5, 0x46, \
			       0x91, 0x3f, 0xf2, 0xd2, 0xf9, 0x65, 0xed, 0x0e } }

/* Protocol versions (hyperv_net.h NVSP_PROTOCOL_VERSION_*). */
#define NVSP_VERSION_1   0x00002u
#define NVSP_VERSION_2   0x30002u
#define NVSP_VERSION_4   0x40000u
#define NVSP_VERSION_5   0x50000u
#define NVSP_VERSION_6   0x60000u
#define NVSP_VERSION_61  0x60001u

/* NDIS versions a guest announces with SEND_NDIS_VER (netvsc.c). */
#define NVSP_NDIS_VERSION_6_1   0x00060001u
#define NVSP_NDIS_VERSION_6_30  0x0006001eu

enum nvsp_msg_type {
	NVSP_MSG_INIT = 1,
	NVSP_MSG_INIT_COMPLETE = 2,
	NVSP_MSG1_SEND_NDIS_VER = 100,
	NVSP_MSG1_SEND_RECV_BUF = 101,
	NVSP_MSG1_SEND_RECV_BUF_COMPLETE = 102,
	NVSP_MSG1_REVOKE_RECV_BUF = 103,
	NVSP_MSG1_SEND_SEND_BUF = 104,
	NVSP_MSG1_SEND_SEND_BUF_COMPLETE = 105,
	NVSP_MSG1_REVOKE_SEND_BUF = 106,
	NVSP_MSG1_SEND_RNDIS_PKT = 107,
	NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE = 108,
	/* 109..124: chimney and VMQ, deprecated; never used by Linux 6.1. */
	NVSP_MSG2_SEND_NDIS_CONFIG = 125,
	NVSP_MSG4_SEND_VF_ASSOCIATION = 128,
	NVSP_MSG4_SWITCH_DATA_PATH = 129,
	NVSP_MSG4_UPLINK_CONNECT_STATE = 130,
	NVSP_MSG5_OID_QUERY_EX = 131,
	NVSP_MSG5_OID_QUERY_EX_COMP = 132,
	NVSP_MSG5_SUBCHANNEL = 133,
	NVSP_MSG5_SEND_INDIRECTION_TABLE = 134,
	NVSP_MSG6_PD_API = 135,
	NVSP_MSG6_PD_POST_BATCH = 136,
};

#define NVSP_STAT_NONE     0u
#define NVSP_STAT_SUCCESS  1u
#define NVSP_STAT_FAIL     2u

/* The transfer page set id a guest gives its receive buffer (netvsc.c
 * NETVSC_RECEIVE_BUFFER_ID) and the id of its send buffer. */
#define NVSP_RECV_BUF_ID   0xcafeu
#define NVSP_SEND_BUF_ID   0u

/* SEND_RNDIS_PKT channel_type and "send buffer not used". */
#define NVSP_RNDIS_CHANNEL_DATA    0u
#define NVSP_RNDIS_CHANNEL_CONTROL 1u
#define NVSP_INVALID_SECTION       0xffffffffu

/* NDIS_CONFIG capability bits (struct nvsp_2_vsc_capability). */
#define NVSP_CAP_VMQ            (1ull << 0)
#define NVSP_CAP_CHIMNEY        (1ull << 1)
#define NVSP_CAP_SRIOV          (1ull << 2)
#define NVSP_CAP_IEEE8021Q      (1ull << 3)
#define NVSP_CAP_CORRELATION_ID (1ull << 4)
#define NVSP_CAP_TEAMING        (1ull << 5)
#define NVSP_CAP_VSUBNETID      (1ull << 6)
#define NVSP_CAP_RSC            (1ull << 7)

/* SUBCHANNEL operation and data path values. */
#define NVSP_SUBCHANNEL_ALLOCATE 1u
#define NVSP_DATAPATH_SYNTHETIC  0u
#define NVSP_DATAPATH_VF         1u

/* Send indirection table entries (hyperv_net.h VRSS_SEND_TAB_SIZE) and the
 * most channels a vNIC can have (VRSS_CHANNEL_MAX). */
#define NVSP_SEND_TABLE_SIZE 16u
#define NVSP_MAX_CHANNELS    64u

/* Most ranges Linux accepts in one receive transfer-page packet
 * (hyperv_net.h NVSP_RSC_MAX). */
#define NVSP_RSC_MAX 562u

struct nvsp_init {
	uint32_t min_protocol_ver;
	uint32_t max_protocol_ver;
} hvn_packed;

struct nvsp_init_complete {
	uint32_t negotiated_protocol_ver;
	uint32_t max_mdl_chain_len;
	uint32_t status;
} hvn_packed;

struct nvsp1_send_ndis_version {
	uint32_t ndis_major_ver;
	uint32_t ndis_minor_ver;
} hvn_packed;

struct nvsp1_send_buffer {   /* SEND_RECV_BUF and SEND_SEND_BUF */
	uint32_t gpadl_handle;
	uint16_t id;
} hvn_packed;

struct nvsp1_recv_buf_section {
	uint32_t offset;
	uint32_t sub_alloc_size;
	uint32_t num_sub_allocs;
	uint32_t end_offset;
} hvn_packed;
_Static_assert(sizeof(struct nvsp1_recv_buf_section) == 16, "receive buffer section");

struct nvsp1_recv_buf_complete {
	uint32_t status;
	uint32_t num_sections;
	struct nvsp1_recv_buf_section sections[1];
} hvn_packed;

struct nvsp1_revoke_buffer {  /* REVOKE_RECV_BUF and REVOKE_SEND_BUF */
	uint16_t id;
} hvn_packed;

struct nvsp1_send_buf_complete {
	uint32_t status;
	uint32_t section_size;
} hvn_packed;

struct nvsp1_send_rndis_pkt {
	uint32_t channel_type;
	uint32_t send_buf_section_index;
	uint32_t send_buf_section_size;
} hvn_packed;

struct nvsp1_send_rndis_pkt_complete {
	uint32_t status;
} hvn_packed;

struct nvsp2_send_ndis_config {
	uint32_t mtu;
	uint32_t reserved;
	uint64_t capability;
} hvn_packed;

struct nvsp4_vf_association {
	uint32_t allocated;
	uint32_t serial;
} hvn_packed;

struct nvsp4_switch_data_path {
	uint32_t active_datapath;
} hvn_packed;

struct nvsp5_subchannel_request {
	uint32_t op;
	uint32_t num_subchannels;
} hvn_packed;

struct nvsp5_subchannel_complete {
	uint32_t status;
	uint32_t num_subchannels;
} hvn_packed;

/* 'offset' counts from the start of the nvsp_message; 'count' u32 channel
 * numbers follow there. */
struct nvsp5_send_indirection_table {
	uint32_t count;
	uint32_t offset;
} hvn_packed;

/* struct nvsp_message: a u32 type and a union whose largest member (the
 * NVSP 6 PD API messages) makes the whole 40 bytes. */
struct nvsp_msg {
	uint32_t type;
	union {
		struct nvsp_init init;
		struct nvsp_init_complete init_complete;
		struct nvsp1_send_ndis_version ndis_ver;
		struct nvsp1_send_buffer send_buf;
		struct nvsp1_recv_buf_complete recv_buf_complete;
		struct nvsp1_revoke_buffer revoke_buf;
		struct nvsp1_send_buf_complete send_buf_complete;
		struct nvsp1_send_rndis_pkt rndis_pkt;
		struct nvsp1_send_rndis_pkt_complete rndis_pkt_complete;
		struct nvsp2_send_ndis_config ndis_config;
		struct nvsp4_vf_association vf_assoc;
		struct nvsp4_switch_data_path data_path;
		struct nvsp5_subchannel_request subchannel_req;
		struct nvsp5_subchannel_complete subchannel_complete;
		struct nvsp5_send_indirection_table send_table;
		uint8_t raw[36];
	} u;
} hvn_packed;
_Static_assert(sizeof(struct nvsp_msg) == 40, "struct nvsp_message is 40 bytes");
_Static_assert(offsetof(struct nvsp_msg, u) == 4, "nvsp_message_header");
_Static_assert(sizeof(struct nvsp1_recv_buf_complete) == 24, "recv buf complete");
_Static_assert(sizeof(struct nvsp2_send_ndis_config) == 16, "ndis config");

/* OpenVMM sends 28 bytes for versions below 6.1 and 40 for 6.1; Linux
 * netvsc_send_completion() needs at least 28 for INIT_COMPLETE. */
#define NVSP_MSG_SIZE_V1  28u
#define NVSP_MSG_SIZE_V61 40u
/* Bytes a message of 'type' must have for its fields to be read. */
#define NVSP_MSG_MIN(member) \
	((uint32_t)(offsetof(struct nvsp_msg, u) + sizeof(((struct nvsp_msg *)0)->u.member)))

#endif /* PROTO_NVSP_WIRE_H */
