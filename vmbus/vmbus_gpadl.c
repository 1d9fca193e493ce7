/* GPADL assembly and validation. A GPADL's range list (range_buflen bytes:
 * each range an 8-byte {byte_count, byte_offset} followed by its PFNs)
 * arrives split over one GPADL_HEADER and any number of GPADL_BODY
 * messages (channel.c create_gpadl_header). It is collected as bytes and
 * parsed once whole, so multi-range GPADLs need no special case. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/hvn_compiler.h"
#include "vmbus/vmbus_priv.h"

struct vmbus_gpadl *vmbus_gpadl_find(const struct vmbus_gpadl_set *set, uint32_t handle)
{
	struct vmbus_gpadl *g;

	for (g = set->head; g != NULL; g = g->next)
		if (g->handle == handle)
			return g;
	return NULL;
}

void vmbus_gpadl_free(struct vmbus_gpadl_set *set, struct vmbus_gpadl *g)
{
	struct vmbus_gpadl **pp;

	for (pp = &set->head; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == g) {
			*pp = g->next;
			set->count--;
			break;
		}
	}
	set->bytes -= g->held;
	free(g->rangebuf);
	free(g->runs);
	free(g->pfns);
	free(g);
}

void vmbus_gpadl_free_all(struct vmbus_gpadl_set *set)
{
	while (set->head != NULL)
		vmbus_gpadl_free(set, set->head);
}

/* Keep the pages as runs when that is smaller, and count against the
 * partition only what is kept. */
static void compact(struct vmbus_gpadl_set *set, struct vmbus_gpadl *g)
{
	uint32_t i, n = 1;
	uint64_t kept;

	for (i = 1; i < g->npages; i++)
		if (g->pfns[i] != g->pfns[i - 1] + 1)
			n++;
	if ((uint64_t)n * sizeof(*g->runs) < (uint64_t)g->npages * sizeof(*g->pfns)) {
		g->runs = malloc(n * sizeof(*g->runs));
		if (g->runs != NULL) {
			uint32_t r = 0;

			g->runs[0] = (struct vmbus_pfn_run){ g->pfns[0], 1 };
			for (i = 1; i < g->npages; i++) {
				if (g->pfns[i] == g->runs[r].pfn + g->runs[r].count)
					g->runs[r].count++;
				else
					g->runs[++r] = (struct vmbus_pfn_run){ g->pfns[i], 1 };
			}
			g->nruns = n;
			free(g->pfns);
			g->pfns = NULL;
		}
	}
	if (g->pfns != NULL) {
		/* Sized for the raw list until now; the PFNs alone stay. */
		uint64_t *p = realloc(g->pfns, (size_t)g->npages * sizeof(*g->pfns));

		if (p != NULL)
			g->pfns = p;
	}
	kept = g->runs != NULL ? (uint64_t)g->nruns * sizeof(*g->runs)
			       : (uint64_t)g->npages * sizeof(*g->pfns);
	if (kept < g->held) {
		set->bytes -= g->held - kept;
		g->held = kept;
	}
}

int vmbus_gpadl_map(const struct vmbus_mem *mem, const struct vmbus_gpadl *g,
		    struct vmbus_mem_view *v)
{
	uint64_t *pfns;
	uint32_t r, i, k = 0;
	int rc;

	if (g->runs == NULL)
		return vmbus_mem_map_pages(mem, g->pfns, g->npages, v);
	/* Mapping is set-up work (ring open, buffer receipt): the list is
	 * rebuilt for it and dropped again. */
	pfns = malloc((size_t)g->npages * sizeof(*pfns));
	if (pfns == NULL)
		return -ENOMEM;
	for (r = 0; r < g->nruns; r++)
		for (i = 0; i < g->runs[r].count; i++)
			pfns[k++] = g->runs[r].pfn + i;
	rc = vmbus_mem_map_pages(mem, pfns, g->npages, v);
	free(pfns);
	return rc;
}

/* Parse the complete range list; every page must be in the partition. */
static int gpadl_finish(struct vmbus_gpadl_set *set, const struct vmbus_mem *mem,
			struct vmbus_gpadl *g)
{
	uint32_t off = 0, r, total = 0;
	uint64_t npages_mem = mem->size >> HVN_PAGE_SHIFT;

	/* Upper bound of PFNs: the buffer minus one range header. */
	g->pfns = malloc(g->range_buflen);
	if (g->pfns == NULL)
		return -ENOMEM;
	g->whole_pages = true;
	g->total_bytes = 0;
	for (r = 0; r < g->rangecount; r++) {
		uint32_t count, offset;
		uint64_t n, i;

		if (g->range_buflen - off < sizeof(struct vmbus_gpa_range))
			return -EINVAL;
		memcpy(&count, g->rangebuf + off, 4);
		memcpy(&offset, g->rangebuf + off + 4, 4);
		off += sizeof(struct vmbus_gpa_range);
		if (count == 0 || offset >= HVN_PAGE_SIZE)
			return -EINVAL;
		n = ((uint64_t)offset + count + HVN_PAGE_SIZE - 1) >> HVN_PAGE_SHIFT;
		if (n > (g->range_buflen - off) / 8u)
			return -EINVAL;
		for (i = 0; i < n; i++) {
			uint64_t pfn;

			memcpy(&pfn, g->rangebuf + off, 8);
			off += 8;
			if (pfn >= npages_mem)
				return -EFAULT;
			g->pfns[total++] = pfn;
		}
		if (offset != 0 || (count & (HVN_PAGE_SIZE - 1)) != 0)
			g->whole_pages = false;
		g->total_bytes += count;
	}
	/* Trailing bytes mean the guest's counts disagree with its list. */
	if (off != g->range_buflen)
		return -EINVAL;
	g->npages = total;
	g->complete = true;
	free(g->rangebuf);
	g->rangebuf = NULL;
	compact(set, g);
	return VMBUS_GPADL_DONE;
}

static int gpadl_append(struct vmbus_gpadl_set *set, const struct vmbus_mem *mem,
			struct vmbus_gpadl *g, const uint8_t *p, uint32_t n)
{
	if ((n & 7u) != 0 || n > (uint32_t)g->range_buflen - g->filled)
		return -EINVAL;
	memcpy(g->rangebuf + g->filled, p, n);
	g->filled += n;
	if (g->filled < g->range_buflen)
		return VMBUS_GPADL_MORE;
	return gpadl_finish(set, mem, g);
}

int vmbus_gpadl_header(struct vmbus_gpadl_set *set, const struct vmbus_mem *mem,
		       const struct vmbus_msg_gpadl_header *h, uint32_t len,
		       struct vmbus_gpadl **out)
{
	struct vmbus_gpadl *g;
	int rc;

	*out = NULL;
	if (vmbus_gpadl_find(set, h->gpadl) != NULL)
		return -EEXIST;
	/* Assembly buffer plus the PFN list: both up to range_buflen. */
	if (set->count >= set->max ||
	    set->bytes + 2ull * h->range_buflen > set->max_bytes)
		return -ENOSPC;
	if (h->rangecount == 0 || (h->range_buflen & 7u) != 0 ||
	    h->range_buflen < (uint32_t)h->rangecount * 16u)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return -ENOMEM;
	g->rangebuf = malloc(h->range_buflen);
	if (g->rangebuf == NULL) {
		free(g);
		return -ENOMEM;
	}
	g->held = 2ull * h->range_buflen;
	set->bytes += g->held;
	g->handle = h->gpadl;
	g->child_relid = h->child_relid;
	g->range_buflen = h->range_buflen;
	g->rangecount = h->rangecount;
	g->next = set->head;
	set->head = g;
	set->count++;
	*out = g;
	rc = gpadl_append(set, mem, g, (const uint8_t *)(h + 1), len - (uint32_t)sizeof(*h));
	if (rc < 0) {
		vmbus_gpadl_free(set, g);
		*out = NULL;
	}
	return rc;
}

int vmbus_gpadl_body(struct vmbus_gpadl_set *set, const struct vmbus_mem *mem,
		     const struct vmbus_msg_gpadl_body *b, uint32_t len,
		     struct vmbus_gpadl **out)
{
	struct vmbus_gpadl *g = vmbus_gpadl_find(set, b->gpadl);
	int rc;

	*out = g;
	if (g == NULL || g->complete)
		return -ENOENT;
	rc = gpadl_append(set, mem, g, (const uint8_t *)(b + 1), len - (uint32_t)sizeof(*b));
	if (rc < 0) {
		vmbus_gpadl_free(set, g);
		*out = NULL;
	}
	return rc;
}
