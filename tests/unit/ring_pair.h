/* A writer and a reader attached to one ring in private memory, for the
 * ring tests. The ring is allocated at exactly its size, so ASan catches
 * any access past the data area, and poisoned, so stray or missing writes
 * show up in raw checks. */
#ifndef RING_PAIR_H
#define RING_PAIR_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_ring.h"

#define PG HVN_PAGE_SIZE
#define POISON 0xee

struct pair {
	uint8_t *mem;
	uint32_t bytes;
	uint8_t *scratch;
	uint32_t scratch_size;
	struct vmbus_ring w, r;
};

static inline void pair_init(struct pair *p, uint32_t pages, uint32_t scratch_size)
{
	p->bytes = pages * PG;
	p->mem = aligned_alloc(PG, p->bytes);
	T_ASSERT(p->mem != NULL);
	memset(p->mem, POISON, p->bytes);
	T_EQ(vmbus_ring_format(p->mem, p->bytes), 0);
	p->scratch = scratch_size != 0 ? malloc(scratch_size) : NULL;
	p->scratch_size = scratch_size;
	T_EQ(vmbus_ring_attach_writer(&p->w, p->mem, p->bytes), 0);
	T_EQ(vmbus_ring_attach_reader(&p->r, p->mem, p->bytes, p->scratch,
				      scratch_size), 0);
}

static inline void pair_fini(struct pair *p)
{
	free(p->mem);
	free(p->scratch);
}

static inline struct vmbus_ring_ctl *ctl_of(struct pair *p)
{
	return (struct vmbus_ring_ctl *)(void *)p->mem;
}

static inline uint32_t align8(uint32_t x)
{
	return (x + 7u) & ~7u;
}

/* Payload byte i of packet seq: any slip of offset or length shows. */
static inline uint8_t pat(uint64_t seq, uint32_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (i >> 8) + 1u);
}

/* xorshift: reproducible sequences from a seed the test sets. */
static uint64_t rng_state;

static inline uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

#endif /* RING_PAIR_H */
