/* A partition's memory as the host sees it: one memfd mapped into the host
 * process. GPA g is at base + g. Every GPA and page number a partition
 * sends is checked here before the host touches it. */
#ifndef VMBUS_MEM_H
#define VMBUS_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmbus_mem {
	uint8_t *base;   /* host mapping of the whole partition memory */
	uint64_t size;   /* bytes, page multiple */
	int fd;          /* the memfd, or -1 (then only contiguous views) */
	bool hugetlb;    /* the memfd is on hugepages: no 4 KiB remapping */
};

/* A host-contiguous view of a list of partition pages. */
struct vmbus_mem_view {
	uint8_t *ptr;    /* first byte of the first page */
	size_t len;      /* npages * 4096 */
	void *map;       /* private remapping to undo, or NULL */
	size_t map_len;
};

/* Host pointer for [gpa, gpa + len) or NULL if any byte lies outside the
 * partition. Overflow-safe. */
void *vmbus_mem_gpa(const struct vmbus_mem *m, uint64_t gpa, uint64_t len);

/* True if every PFN is inside the partition. */
bool vmbus_mem_pfns_ok(const struct vmbus_mem *m, const uint64_t *pfns, uint32_t n);

/* Make pfns[0..n) one contiguous host range. Consecutive PFNs resolve into
 * the main mapping; scattered ones are remapped page by page from the memfd
 * into a private window. Returns 0, -EFAULT for a PFN outside the
 * partition, -EOPNOTSUPP when scattered pages cannot be remapped (hugepage
 * memory), or -ENOMEM. */
int vmbus_mem_map_pages(const struct vmbus_mem *m, const uint64_t *pfns,
			uint32_t n, struct vmbus_mem_view *v);
void vmbus_mem_unmap(struct vmbus_mem_view *v);

#endif /* VMBUS_MEM_H */
