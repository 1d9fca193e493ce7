/* The MAC table: (VLAN, MAC) -> port, learned on ingress, aged out,
 * bounded per port. Open addressing with linear probing and backward-shift
 * deletion (no tombstones, so lookups stay short as entries come and go),
 * 16-byte entries, four to a cache line. One writer and reader: the lcore
 * that polls the switch. */
#ifndef VSW_FDB_H
#define VSW_FDB_H

#include <stdbool.h>
#include <stdint.h>

struct vsw_fdb_entry {
	uint64_t key;        /* 0: empty; else mac << 16 | vlan << 4 | 1 */
	uint16_t port;
	uint16_t gen;        /* the port's generation when learned */
	uint32_t seen;       /* seconds, the switch's clock */
};
_Static_assert(sizeof(struct vsw_fdb_entry) == 16, "four entries per cache line");

struct vsw_fdb {
	struct vsw_fdb_entry *tab;
	uint32_t mask;       /* size - 1, size a power of 2 */
	uint32_t count;
	uint32_t max;        /* entries allowed: what was asked for, at most 3/4 of size */
	uint32_t age_cursor;
	uint64_t aged, moves, full;
};

static inline uint64_t vsw_fdb_key(const uint8_t mac[6], uint16_t vlan)
{
	uint64_t m = (uint64_t)mac[0] << 40 | (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 |
		     (uint64_t)mac[3] << 16 | (uint64_t)mac[4] << 8 | mac[5];

	return m << 16 | (uint64_t)(vlan & 0xfff) << 4 | 1;
}

static inline uint32_t vsw_fdb_slot(const struct vsw_fdb *f, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & f->mask;
}

/* Room for 'entries' MACs (1 .. 2^28) in a power-of-2 table at most 3/4 full. */
int vsw_fdb_init(struct vsw_fdb *f, uint32_t entries);
void vsw_fdb_fini(struct vsw_fdb *f);

/* The entry for 'key', or NULL. */
static inline struct vsw_fdb_entry *vsw_fdb_lookup(struct vsw_fdb *f, uint64_t key)
{
	uint32_t i = vsw_fdb_slot(f, key);

	for (;;) {
		struct vsw_fdb_entry *e = &f->tab[i];

		if (e->key == key)
			return e;
		if (e->key == 0)
			return NULL;
		i = (i + 1) & f->mask;
	}
}

/* Insert a new key (the caller looked it up and missed). -ENOSPC when
 * the table holds its maximum. */
int vsw_fdb_insert(struct vsw_fdb *f, uint64_t key, uint16_t port, uint16_t gen, uint32_t now);
void vsw_fdb_remove(struct vsw_fdb *f, struct vsw_fdb_entry *e);

/* Visit up to 'budget' slots from where the last call stopped; remove
 * entries for which expired(e) says so. Returns entries removed. */
uint32_t vsw_fdb_sweep(struct vsw_fdb *f, uint32_t budget,
		       bool (*expired)(void *ctx, const struct vsw_fdb_entry *e), void *ctx);

#endif /* VSW_FDB_H */
