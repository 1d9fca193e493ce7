/* Partition memory checks and host views of GPADL pages. */
#include "vmbus/vmbus_mem.h"

#include <errno.h>
#include <sys/mman.h>

#include "common/hvn_compiler.h"

void *vmbus_mem_gpa(const struct vmbus_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa > m->size || len > m->size - gpa)
		return NULL;
	return m->base + gpa;
}

bool vmbus_mem_pfns_ok(const struct vmbus_mem *m, const uint64_t *pfns, uint32_t n)
{
	uint64_t npages = m->size >> HVN_PAGE_SHIFT;
	uint32_t i;

	for (i = 0; i < n; i++)
		if (pfns[i] >= npages)
			return false;
	return true;
}

static bool pfns_contiguous(const uint64_t *pfns, uint32_t n)
{
	uint32_t i;

	for (i = 1; i < n; i++)
		if (pfns[i] != pfns[0] + i)
			return false;
	return true;
}

int vmbus_mem_map_pages(const struct vmbus_mem *m, const uint64_t *pfns,
			uint32_t n, struct vmbus_mem_view *v)
{
	uint8_t *win;
	uint32_t i;

	v->ptr = NULL;
	v->len = 0;
	v->map = NULL;
	v->map_len = 0;
	if (n == 0 || !vmbus_mem_pfns_ok(m, pfns, n))
		return -EFAULT;
	if (pfns_contiguous(pfns, n)) {
		v->ptr = m->base + (pfns[0] << HVN_PAGE_SHIFT);
		v->len = (size_t)n << HVN_PAGE_SHIFT;
		return 0;
	}
	/* Scattered pages (a KVM guest's rings need not be physically
	 * contiguous): build a contiguous window by mapping each page of the
	 * memfd in turn, so rings and buffers are still parsed in place. */
	if (m->fd < 0 || m->hugetlb)
		return -EOPNOTSUPP;
	win = mmap(NULL, (size_t)n << HVN_PAGE_SHIFT, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (win == MAP_FAILED)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		void *p = mmap(win + ((size_t)i << HVN_PAGE_SHIFT), HVN_PAGE_SIZE,
			       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			       m->fd, (off_t)(pfns[i] << HVN_PAGE_SHIFT));
		if (p == MAP_FAILED) {
			munmap(win, (size_t)n << HVN_PAGE_SHIFT);
			return -ENOMEM;
		}
	}
	v->ptr = win;
	v->len = (size_t)n << HVN_PAGE_SHIFT;
	v->map = win;
	v->map_len = v->len;
	return 0;
}

void vmbus_mem_unmap(struct vmbus_mem_view *v)
{
	if (v->map != NULL)
		munmap(v->map, v->map_len);
	v->map = NULL;
	v->ptr = NULL;
	v->len = 0;
}
