/* RNDIS_MSG_PACKET parsing and building, shared by the host (netvsp reads
 * what a guest transmits and writes what it receives) and the guest
 * (netvsc does the reverse), so both sides apply one set of rules.
 *
 * The parser takes the message as the peer wrote it, which may be hostile:
 * every offset and length is checked against the message length before
 * use, the PPI walk only moves forward by at least one record and stops
 * after RNDIS_PKT_MAX_PPI records, and values are copied out once.
 * Freestanding. */
#ifndef PROTO_RNDIS_PKT_H
#define PROTO_RNDIS_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/rndis_wire.h"

#define RNDIS_PKT_MAX_PPI 16u

/* Which PPIs a packet carries (bits of rndis_pkt_info.present). */
#define RNDIS_PKT_HAS_CSUM  (1u << 0)
#define RNDIS_PKT_HAS_LSO   (1u << 1)
#define RNDIS_PKT_HAS_VLAN  (1u << 2)
#define RNDIS_PKT_HAS_HASH  (1u << 3)

struct rndis_pkt_info {
	uint32_t data_off;   /* frame offset from the message start (header included) */
	uint32_t data_len;   /* frame bytes */
	uint32_t present;    /* RNDIS_PKT_HAS_* */
	uint32_t csum;       /* ndis_tcp_ip_checksum_info value */
	uint32_t lso;        /* ndis_tcp_lso_info value */
	uint32_t vlan;       /* ndis_pkt_8021q_info value */
	uint32_t hash;       /* NBL hash value */
};

/* Parse an RNDIS_MSG_PACKET. 'msg' holds the first 'avail' bytes of the
 * message, contiguous; the message is 'msg_len' bytes in total (its data
 * may lie beyond 'avail', in other buffers). The PPI area must lie within
 * 'avail'. Returns 0 or -HVN_EINVAL (with nothing written to 'out' that
 * the caller may trust). Unknown PPI types are skipped. */
int rndis_pkt_parse(const uint8_t *msg, uint32_t avail, uint32_t msg_len,
		    struct rndis_pkt_info *out);

/* Bytes the header of a packet with these PPIs takes: header, rndis_packet
 * and the PPI records; the frame follows. */
uint32_t rndis_pkt_hdr_len(uint32_t present);

/* Write the header (rndis_pkt_hdr_len(info->present) bytes) for a frame of
 * info->data_len bytes. info->data_off is set. Returns the header length. */
uint32_t rndis_pkt_build(uint8_t *buf, struct rndis_pkt_info *info);

#endif /* PROTO_RNDIS_PKT_H */
