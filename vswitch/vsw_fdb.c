/* The MAC table; see vsw_fdb.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vswitch/vsw_fdb.h"

int vsw_fdb_init(struct vsw_fdb *f, uint32_t entries)
{
	uint32_t size = 64;

	if (entries == 0 || entries > (1u << 28))
		return -EINVAL;
	/* 'entries' is what the operator asked to learn; open addressing
	 * stays fast below 3/4 full, so the table is sized for that. */
	while (size / 4 * 3 < entries)
		size <<= 1;
	memset(f, 0, sizeof(*f));
	/* Cache-line aligned so an entry never straddles two lines. */
	f->tab = aligned_alloc(64, (size_t)size * sizeof(*f->tab));
	if (!f->tab)
		return -ENOMEM;
	memset(f->tab, 0, (size_t)size * sizeof(*f->tab));
	f->mask = size - 1;
	f->max = entries;
	return 0;
}

void vsw_fdb_fini(struct vsw_fdb *f)
{
	free(f->tab);
	f->tab = NULL;
}

int vsw_fdb_insert(struct vsw_fdb *f, uint64_t key, uint16_t port, uint16_t gen, uint32_t now)
{
	uint32_t i;

	if (f->count >= f->max) {
		f->full++;
		return -ENOSPC;
	}
	i = vsw_fdb_slot(f, key);
	while (f->tab[i].key != 0)
		i = (i + 1) & f->mask;
	f->tab[i] = (struct vsw_fdb_entry){ .key = key, .port = port, .gen = gen, .seen = now };
	f->count++;
	return 0;
}

/* Backward-shift deletion (Knuth 6.4 algorithm R): pull later entries of
 * the same probe run into the hole so no lookup ever stops early. */
void vsw_fdb_remove(struct vsw_fdb *f, struct vsw_fdb_entry *e)
{
	uint32_t hole = (uint32_t)(e - f->tab), j = hole;

	for (;;) {
		uint32_t home;

		j = (j + 1) & f->mask;
		if (f->tab[j].key == 0)
			break;
		home = vsw_fdb_slot(f, f->tab[j].key);
		/* Move j into the hole unless its home lies cyclically in
		 * (hole, j]: then it is already as close as it can be. */
		if ((j > hole && (home <= hole || home > j)) ||
		    (j < hole && (home <= hole && home > j))) {
			f->tab[hole] = f->tab[j];
			hole = j;
		}
	}
	f->tab[hole].key = 0;
	f->count--;
}

uint32_t vsw_fdb_sweep(struct vsw_fdb *f, uint32_t budget,
		       bool (*expired)(void *ctx, const struct vsw_fdb_entry *e), void *ctx)
{
	uint32_t removed = 0, i = f->age_cursor & f->mask;

	while (budget--) {
		struct vsw_fdb_entry *e = &f->tab[i];

		if (e->key != 0 && expired(ctx, e)) {
			vsw_fdb_remove(f, e);
			removed++;
			/* Slot i now holds what was shifted in: look again. */
			continue;
		}
		i = (i + 1) & f->mask;
	}
	f->age_cursor = i;
	return removed;
}
