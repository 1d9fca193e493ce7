/* RNDIS as a synthetic NIC speaks it: control messages, the data packet
 * message with its per-packet info (PPI), and the NDIS objects behind the
 * OIDs a Linux guest queries and sets.
 *
 * Sources: Linux 6.1 include/linux/rndis.h (numbers), drivers/net/hyperv/
 * hyperv_net.h (struct rndis_*, ndis_*), rndis_filter.c (what is checked);
 * DPDK drivers/net/netvsc/hn_rndis.h and ndis.h; OpenVMM netvsp
 * rndisprot.rs. Linux declares the NDIS objects with natural alignment (not
 * packed); the asserts pin the sizes Linux computes (NDIS_OFFLOAD_SIZE_6_0
 * = 112, _6_1 = 144, full = 156). Little-endian. Freestanding. */
#ifndef PROTO_RNDIS_WIRE_H
#define PROTO_RNDIS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "common/hvn_compiler.h"

/* ---- Messages (rndis.h) ---- */
#define RNDIS_MSG_PACKET          0x00000001u
#define RNDIS_MSG_INIT            0x00000002u
#define RNDIS_MSG_HALT            0x00000003u
#define RNDIS_MSG_QUERY           0x00000004u
#define RNDIS_MSG_SET             0x00000005u
#define RNDIS_MSG_RESET           0x00000006u
#define RNDIS_MSG_INDICATE        0x00000007u
#define RNDIS_MSG_KEEPALIVE       0x00000008u
#define RNDIS_MSG_COMPLETION      0x80000000u
#define RNDIS_MSG_INIT_C          (RNDIS_MSG_INIT | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_QUERY_C         (RNDIS_MSG_QUERY | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_SET_C           (RNDIS_MSG_SET | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_RESET_C         (RNDIS_MSG_RESET | RNDIS_MSG_COMPLETION)
#define RNDIS_MSG_KEEPALIVE_C     (RNDIS_MSG_KEEPALIVE | RNDIS_MSG_COMPLETION)

/* ---- Status ---- */
#define RNDIS_STATUS_SUCCESS            0x00000000u
#define RNDIS_STATUS_FAILURE            0xc0000001u
#define RNDIS_STATUS_NOT_SUPPORTED      0xc00000bbu
#define RNDIS_STATUS_INVALID_LENGTH     0xc0010014u
#define RNDIS_STATUS_INVALID_DATA       0xc0010015u
#define RNDIS_STATUS_BUFFER_TOO_SHORT   0xc0010016u
#define RNDIS_STATUS_MEDIA_CONNECT      0x4001000bu
#define RNDIS_STATUS_MEDIA_DISCONNECT   0x4001000cu
#define RNDIS_STATUS_LINK_SPEED_CHANGE  0x40010013u
#define RNDIS_STATUS_NETWORK_CHANGE     0x40010018u

/* ---- OIDs ---- */
#define RNDIS_OID_GEN_SUPPORTED_LIST          0x00010101u
#define RNDIS_OID_GEN_HARDWARE_STATUS         0x00010102u
#define RNDIS_OID_GEN_MEDIA_SUPPORTED         0x00010103u
#define RNDIS_OID_GEN_MEDIA_IN_USE            0x00010104u
#define RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD       0x00010105u
#define RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE      0x00010106u
#define RNDIS_OID_GEN_LINK_SPEED              0x00010107u
#define RNDIS_OID_GEN_TRANSMIT_BUFFER_SPACE   0x00010108u
#define RNDIS_OID_GEN_RECEIVE_BUFFER_SPACE    0x00010109u
#define RNDIS_OID_GEN_VENDOR_ID               0x0001010cu
#define RNDIS_OID_GEN_VENDOR_DESCRIPTION      0x0001010du
#define RNDIS_OID_GEN_CURRENT_PACKET_FILTER   0x0001010eu
#define RNDIS_OID_GEN_CURRENT_LOOKAHEAD       0x0001010fu
#define RNDIS_OID_GEN_DRIVER_VERSION          0x00010110u
#define RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE      0x00010111u
#define RNDIS_OID_GEN_MAC_OPTIONS             0x00010113u
#define RNDIS_OID_GEN_MEDIA_CONNECT_STATUS    0x00010114u
#define RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS    0x00010115u
#define RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES 0x00010203u
#define RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS   0x00010204u
#define RNDIS_OID_GEN_FRIENDLY_NAME           0x00020216u
#define RNDIS_OID_802_3_PERMANENT_ADDRESS     0x01010101u
#define RNDIS_OID_802_3_CURRENT_ADDRESS       0x01010102u
#define RNDIS_OID_802_3_MULTICAST_LIST        0x01010103u
#define RNDIS_OID_802_3_MAXIMUM_LIST_SIZE     0x01010104u
#define RNDIS_OID_TCP_OFFLOAD_PARAMETERS      0xfc01020cu
#define RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020du

/* OID_GEN_CURRENT_PACKET_FILTER bits (NDIS_PACKET_TYPE_*). */
#define NDIS_PACKET_TYPE_DIRECTED      0x00000001u
#define NDIS_PACKET_TYPE_MULTICAST     0x00000002u
#define NDIS_PACKET_TYPE_ALL_MULTICAST 0x00000004u
#define NDIS_PACKET_TYPE_BROADCAST     0x00000008u
#define NDIS_PACKET_TYPE_PROMISCUOUS   0x00000020u

#define RNDIS_MAJOR_VERSION       1u
#define RNDIS_MINOR_VERSION       0u
#define RNDIS_DF_CONNECTIONLESS   0x00000001u
#define RNDIS_MEDIUM_802_3        0x00000000u
#define NDIS_MEDIA_STATE_CONNECTED    0u
#define NDIS_MEDIA_STATE_DISCONNECTED 1u

/* Every RNDIS message starts with this. */
struct rndis_msg_hdr {
	uint32_t type;
	uint32_t len;          /* whole message, header included */
} hvn_packed;
#define RNDIS_HEADER_SIZE 8u

struct rndis_init_req {
	uint32_t req_id;
	uint32_t major_ver;
	uint32_t minor_ver;
	uint32_t max_xfer_size;
} hvn_packed;

struct rndis_init_comp {
	uint32_t req_id;
	uint32_t status;
	uint32_t major_ver;
	uint32_t minor_ver;
	uint32_t dev_flags;
	uint32_t medium;
	uint32_t max_pkt_per_msg;
	uint32_t max_xfer_size;
	uint32_t pkt_alignment_factor;   /* log2 */
	uint32_t af_list_offset;
	uint32_t af_list_size;
} hvn_packed;
_Static_assert(sizeof(struct rndis_init_comp) == 44, "rndis_initialize_complete");

/* QUERY and SET requests: the information buffer is at info_buf_offset
 * counted from the start of this structure (after rndis_msg_hdr). */
struct rndis_query_req {
	uint32_t req_id;
	uint32_t oid;
	uint32_t info_buflen;
	uint32_t info_buf_offset;
	uint32_t dev_vc_handle;
} hvn_packed;
_Static_assert(sizeof(struct rndis_query_req) == 20, "rndis_query_request");
#define rndis_set_req rndis_query_req

struct rndis_query_comp {
	uint32_t req_id;
	uint32_t status;
	uint32_t info_buflen;
	uint32_t info_buf_offset;   /* from the start of this structure */
} hvn_packed;
_Static_assert(sizeof(struct rndis_query_comp) == 16, "rndis_query_complete");

struct rndis_set_comp {
	uint32_t req_id;
	uint32_t status;
} hvn_packed;

struct rndis_reset_comp {
	uint32_t status;
	uint32_t addressing_reset;
} hvn_packed;

struct rndis_keepalive_req {
	uint32_t req_id;
} hvn_packed;

struct rndis_keepalive_comp {
	uint32_t req_id;
	uint32_t status;
} hvn_packed;

struct rndis_indicate {
	uint32_t status;
	uint32_t status_buflen;
	uint32_t status_buf_offset;
} hvn_packed;

/* RNDIS_MSG_PACKET body. Offsets count from the start of this structure. */
struct rndis_packet {
	uint32_t data_offset;
	uint32_t data_len;
	uint32_t oob_data_offset;
	uint32_t oob_data_len;
	uint32_t num_oob_data_elements;
	uint32_t per_pkt_info_offset;
	uint32_t per_pkt_info_len;
	uint32_t vc_handle;
	uint32_t reserved;
} hvn_packed;
_Static_assert(sizeof(struct rndis_packet) == 36, "rndis_packet");

/* One PPI record; its value is at ppi_offset from the record's start. */
struct rndis_ppi {
	uint32_t size;
	uint32_t type;          /* bit 31: internal */
	uint32_t ppi_offset;
} hvn_packed;
_Static_assert(sizeof(struct rndis_ppi) == 12, "rndis_per_packet_info");
#define RNDIS_PPI_INTERNAL 0x80000000u

/* PPI types (hyperv_net.h enum ndis_per_pkt_info_type). */
#define RNDIS_PPI_CHECKSUM    0u
#define RNDIS_PPI_LSO         2u
#define RNDIS_PPI_VLAN        6u
#define RNDIS_PPI_HASH_VALUE  8u
/* Internal types (enum rndis_per_pkt_info_interal_type). */
#define RNDIS_PPI_PKTINFO_ID  1u

/* CHECKSUM, transmit direction (struct ndis_tcp_ip_checksum_info). */
#define NDIS_TXCSUM_IPV4        (1u << 0)
#define NDIS_TXCSUM_IPV6        (1u << 1)
#define NDIS_TXCSUM_TCP         (1u << 2)
#define NDIS_TXCSUM_UDP         (1u << 3)
#define NDIS_TXCSUM_IP_HEADER   (1u << 4)
#define NDIS_TXCSUM_TCP_OFF_SHIFT 16     /* tcp_header_offset:10 */
/* receive direction */
#define NDIS_RXCSUM_TCP_FAILED    (1u << 0)
#define NDIS_RXCSUM_UDP_FAILED    (1u << 1)
#define NDIS_RXCSUM_IP_FAILED     (1u << 2)
#define NDIS_RXCSUM_TCP_SUCCEEDED (1u << 3)
#define NDIS_RXCSUM_UDP_SUCCEEDED (1u << 4)
#define NDIS_RXCSUM_IP_SUCCEEDED  (1u << 5)

/* LSOv2 transmit (struct ndis_tcp_lso_info lso_v2_transmit):
 * mss:20, tcp_header_offset:10, type:1 (1 = v2), ip_version:1 (1 = v6). */
#define NDIS_LSO_MSS_MASK       0x000fffffu
#define NDIS_LSO_TCP_OFF_SHIFT  20
#define NDIS_LSO_TCP_OFF_MASK   0x3ffu
#define NDIS_LSO_V2             (1u << 30)
#define NDIS_LSO_IPV6           (1u << 31)

/* 802.1Q (struct ndis_pkt_8021q_info): pri:3, cfi:1, vlanid:12. */
#define NDIS_VLAN_PRI_MASK  0x7u
#define NDIS_VLAN_CFI       (1u << 3)
#define NDIS_VLAN_ID_SHIFT  4
#define NDIS_VLAN_ID_MASK   0xfffu

/* ---- NDIS objects ---- */
struct ndis_object_header {
	uint8_t type;
	uint8_t revision;
	uint16_t size;
} hvn_packed;

#define NDIS_OBJECT_TYPE_RSS_CAPABILITIES 0x88u
#define NDIS_OBJECT_TYPE_RSS_PARAMETERS   0x89u
#define NDIS_OBJECT_TYPE_OFFLOAD          0xa7u
#define NDIS_OFFLOAD_REVISION_1 1u
#define NDIS_OFFLOAD_REVISION_2 2u
#define NDIS_OFFLOAD_REVISION_3 3u

#define NDIS_OFFLOAD_ENCAP_8023     0x2u
/* ndis_csum_offload bits; tx and rx use the same values. */
#define NDIS_TXCSUM_CAP_IP4OPT      0x001u
#define NDIS_TXCSUM_CAP_TCP4OPT     0x004u
#define NDIS_TXCSUM_CAP_TCP4        0x010u
#define NDIS_TXCSUM_CAP_UDP4        0x040u
#define NDIS_TXCSUM_CAP_IP4         0x100u
#define NDIS_TXCSUM_CAP_IP6EXT      0x001u
#define NDIS_TXCSUM_CAP_TCP6OPT     0x004u
#define NDIS_TXCSUM_CAP_TCP6        0x010u
#define NDIS_TXCSUM_CAP_UDP6        0x040u
/* What Linux requires before it enables TCP checksum offload. */
#define NDIS_TXCSUM_ALL_TCP4 (NDIS_TXCSUM_CAP_TCP4 | NDIS_TXCSUM_CAP_TCP4OPT | NDIS_TXCSUM_CAP_IP4OPT)
#define NDIS_TXCSUM_ALL_TCP6 (NDIS_TXCSUM_CAP_TCP6 | NDIS_TXCSUM_CAP_TCP6OPT | NDIS_TXCSUM_CAP_IP6EXT)
#define NDIS_LSOV2_CAP_IP6EXT       0x001u
#define NDIS_LSOV2_CAP_TCP6OPT      0x004u

/* struct ndis_offload (hyperv_net.h), sections at their Linux offsets. */
struct ndis_offload {
	struct ndis_object_header header;
	struct {
		uint32_t ip4_txenc, ip4_txcsum, ip4_rxenc, ip4_rxcsum;
		uint32_t ip6_txenc, ip6_txcsum, ip6_rxenc, ip6_rxcsum;
	} csum;
	struct {
		uint32_t encap, maxsize, minsegs, opts;
	} lsov1;
	struct {
		uint32_t encap, ah_esp, xport_tun, ip4_opts, flags, ip4_ah, ip4_esp;
	} ipsecv1;
	struct {
		uint32_t ip4_encap, ip4_maxsz, ip4_minsg;
		uint32_t ip6_encap, ip6_maxsz, ip6_minsg, ip6_opts;
	} lsov2;
	uint32_t flags;
	/* NDIS >= 6.1 */
	struct {
		uint32_t encap;
		uint8_t ip6, ip4opt, ip6ext, ah, esp, ah_esp, xport, tun, xport_tun,
			lso, extseq, pad;
		uint32_t udp_esp, auth, crypto, sa_caps;
	} ipsecv2;
	/* NDIS >= 6.30 */
	struct {
		uint8_t ip4, ip6, pad[2];
	} rsc;
	struct {
		uint32_t flags, maxhdr;
	} encap_gre;
} hvn_packed;
#define NDIS_OFFLOAD_SIZE_6_0 ((uint16_t)offsetof(struct ndis_offload, ipsecv2))
#define NDIS_OFFLOAD_SIZE_6_1 ((uint16_t)offsetof(struct ndis_offload, rsc))
#define NDIS_OFFLOAD_SIZE     ((uint16_t)sizeof(struct ndis_offload))
_Static_assert(offsetof(struct ndis_offload, ipsecv2) == 112, "NDIS_OFFLOAD_SIZE_6_0");
_Static_assert(offsetof(struct ndis_offload, rsc) == 144, "NDIS_OFFLOAD_SIZE_6_1");
_Static_assert(sizeof(struct ndis_offload) == 156, "NDIS_OFFLOAD_SIZE");

/* struct ndis_offload_params: 0 = no change; checksums 1 off, 2 tx,
 * 3 rx, 4 tx+rx; LSO 1 off, 2 on. */
struct ndis_offload_params {
	struct ndis_object_header header;
	uint8_t ip_v4_csum;
	uint8_t tcp_ip_v4_csum;
	uint8_t udp_ip_v4_csum;
	uint8_t tcp_ip_v6_csum;
	uint8_t udp_ip_v6_csum;
	uint8_t lso_v1;
	uint8_t ip_sec_v1;
	uint8_t lso_v2_ipv4;
	uint8_t lso_v2_ipv6;
	uint8_t tcp_connection_ip_v4;
	uint8_t tcp_connection_ip_v6;
	uint8_t pad;
	uint32_t flags;
} hvn_packed;
_Static_assert(sizeof(struct ndis_offload_params) == 20, "ndis_offload_params up to flags");
#define NDIS_OFFLOAD_PARAMS_NO_CHANGE 0u
#define NDIS_OFFLOAD_PARAMS_TX_RX_DISABLED 1u
#define NDIS_OFFLOAD_PARAMS_TX_ENABLED 2u
#define NDIS_OFFLOAD_PARAMS_RX_ENABLED 3u
#define NDIS_OFFLOAD_PARAMS_TX_RX_ENABLED 4u
#define NDIS_OFFLOAD_PARAMS_LSOV2_DISABLED 1u
#define NDIS_OFFLOAD_PARAMS_LSOV2_ENABLED 2u

/* struct ndis_recv_scale_cap (packed in Linux: 18 bytes). */
struct ndis_rss_caps {
	struct ndis_object_header hdr;
	uint32_t caps;
	uint32_t num_int_msg;
	uint32_t num_recv_que;
	uint16_t num_indirect_tabent;
} hvn_packed;
_Static_assert(sizeof(struct ndis_rss_caps) == 18, "ndis_recv_scale_cap");
#define NDIS_RSS_CAPS_REVISION_2           2u
#define NDIS_RSS_CAP_MSI                   0x01000000u
#define NDIS_RSS_CAP_CLASSIFY_ISR          0x02000000u
#define NDIS_RSS_CAP_CLASSIFY_DPC          0x04000000u
#define NDIS_RSS_CAP_HASH_TOEPLITZ         0x00000001u
#define NDIS_RSS_CAP_IPV4                  0x00000100u
#define NDIS_RSS_CAP_IPV6                  0x00000200u
#define NDIS_RSS_CAP_IPV6_EX               0x00000400u

/* struct ndis_recv_scale_param, naturally aligned in Linux: 40 bytes. The
 * table (u32 channel numbers) and key sit at offsets from its start. */
struct ndis_rss_params {
	struct ndis_object_header hdr;
	uint16_t flag;
	uint16_t base_cpu_number;
	uint32_t hashinfo;
	uint16_t indirect_tabsize;     /* bytes */
	uint16_t pad1;
	uint32_t indirect_taboffset;
	uint16_t hashkey_size;
	uint16_t pad2;
	uint32_t hashkey_offset;
	uint32_t processor_masks_offset;
	uint32_t num_processor_masks;
	uint32_t processor_masks_entry_size;
} hvn_packed;
_Static_assert(sizeof(struct ndis_rss_params) == 40, "ndis_recv_scale_param");
_Static_assert(offsetof(struct ndis_rss_params, indirect_taboffset) == 16, "rss param");
_Static_assert(offsetof(struct ndis_rss_params, hashkey_offset) == 24, "rss param");
#define NDIS_RSS_PARAM_FLAG_DISABLE_RSS 0x0010u
#define NDIS_RSS_PARAMS_REVISION_2      2u   /* NDIS_RECEIVE_SCALE_PARAMETERS_REVISION_2 */
#define NDIS_HASH_FUNC_TOEPLITZ 0x00000001u
#define NDIS_HASH_IPV4          0x00000100u
#define NDIS_HASH_TCP_IPV4      0x00000200u
#define NDIS_HASH_IPV6          0x00000400u
#define NDIS_HASH_IPV6_EX       0x00000800u
#define NDIS_HASH_TCP_IPV6      0x00001000u
#define NDIS_HASH_TCP_IPV6_EX   0x00002000u
#define NDIS_RSS_KEY_SIZE       40u
#define NDIS_RSS_TABLE_MAX      256u   /* Linux ITAB_NUM_MAX */
#define NDIS_RSS_TABLE_DEFAULT  128u   /* Linux ITAB_NUM */

#endif /* PROTO_RNDIS_WIRE_H */
