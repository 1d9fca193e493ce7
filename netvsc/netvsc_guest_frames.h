/* The frames hvnet-netvsc-guest exchanges, built and checked byte by byte.
 *
 * Every frame belongs to a flow (its IPv4 addresses and ports), so the
 * host's RSS spreads flows over the receiver's queues while each flow
 * stays in order. UDP frames carry (flow, sequence) and a pattern; in LSO
 * mode each transmit is one large TCP frame whose payload continues the
 * flow's byte stream, and the receiver checks that the segments the host
 * cut reassemble to that stream. Probes (UDP to port 9) find the peer. */
#ifndef NETVSC_GUEST_FRAMES_H
#define NETVSC_GUEST_FRAMES_H

#include <stdbool.h>
#include <stdint.h>

#define NETVSC_GF_HDR_UDP 42u          /* Ethernet, IPv4, UDP */
#define NETVSC_GF_HDR_TCP 54u          /* Ethernet, IPv4, TCP */
#define NETVSC_GF_MIN_UDP (NETVSC_GF_HDR_UDP + 12u)
#define NETVSC_GF_PORT_PROBE 9u

struct netvsc_gf {
	uint8_t self[6], peer[6];
	uint32_t size;          /* frame bytes (LSO mode: the large frame's) */
	bool lso;               /* TCP frames, segmented by the host */
	bool csum_offload;      /* leave checksums to the host */
	uint32_t flows;
};

enum netvsc_gf_verdict {
	NETVSC_GF_OK = 0,
	NETVSC_GF_PROBE = 1,
	NETVSC_GF_BAD_LEN = -1,
	NETVSC_GF_BAD_HDR = -2,
	NETVSC_GF_BAD_CSUM = -3,
	NETVSC_GF_BAD_FLOW = -4,
	NETVSC_GF_BAD_DATA = -5,
};

/* Frame 'seq' of 'flow' (UDP), into f (cfg->size bytes). Checksums are
 * computed unless cfg->csum_offload, in which case the IPv4 one is 0 and
 * the UDP one holds the pseudo-header sum, as DPDK asks of offloads. */
void netvsc_gf_udp(const struct netvsc_gf *cfg, uint8_t *f, uint32_t flow, uint64_t seq);
/* The LSO frame for message 'msg' of 'flow': headers as DPDK wants them
 * for TCP segmentation, payload = the flow's stream from msg * payload. */
void netvsc_gf_tcp(const struct netvsc_gf *cfg, uint8_t *f, uint32_t flow, uint64_t msg);
/* A probe of 64 bytes. */
void netvsc_gf_probe(const struct netvsc_gf *cfg, uint8_t *f);

/* Bytes of stream one LSO frame carries. */
static inline uint32_t netvsc_gf_payload(const struct netvsc_gf *cfg)
{
	return cfg->size - NETVSC_GF_HDR_TCP;
}

/* Frames of flow f when 'count' are sent round robin over the flows. */
static inline uint64_t netvsc_gf_per_flow(const struct netvsc_gf *cfg, uint64_t count, uint32_t f)
{
	return count / cfg->flows + (f < count % cfg->flows ? 1u : 0u);
}

/* Check a received UDP frame (len bytes): it must be frame *seq of *flow,
 * byte for byte with valid checksums (scratch: cfg->size bytes). */
enum netvsc_gf_verdict netvsc_gf_check_udp(const struct netvsc_gf *cfg, const uint8_t *f,
					   uint32_t len, uint8_t *scratch, uint32_t *flow,
					   uint64_t *seq);
/* Check a received TCP segment: headers, checksums, and a payload that is
 * the flow's stream at its sequence number. *flow, *off, *plen say which. */
enum netvsc_gf_verdict netvsc_gf_check_tcp(const struct netvsc_gf *cfg, const uint8_t *f,
					   uint32_t len, uint32_t *flow, uint64_t *off,
					   uint32_t *plen);

/* The RSS input tuple of a flow's frames, host order, as the host hashes
 * them (IPv4 addresses; ports too for TCP). Returns its length in words. */
uint32_t netvsc_gf_tuple(const struct netvsc_gf *cfg, uint32_t flow, uint32_t tuple[3]);

#endif /* NETVSC_GUEST_FRAMES_H */
