/* Internal to vmbus/: the GPADL map shared by the server's files. Never
 * included from another directory. */
#ifndef VMBUS_PRIV_H
#define VMBUS_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "proto/vmbus_wire.h"
#include "vmbus/vmbus_mem.h"

struct vmbus_channel;

/* One GPADL: while in assembly, 'rangebuf' collects the range descriptors
 * and PFNs of GPADL_HEADER and GPADL_BODY messages; once complete, 'pfns'
 * lists every page of every range in order. */
struct vmbus_pfn_run {
	uint64_t pfn;
	uint64_t count;
};

struct vmbus_gpadl {
	struct vmbus_gpadl *next;
	uint32_t handle;
	uint32_t child_relid;
	bool complete;
	uint16_t range_buflen;
	uint16_t rangecount;
	uint32_t filled;             /* bytes of rangebuf received */
	uint8_t *rangebuf;
	/* The pages, as runs of consecutive PFNs: a process partition's
	 * buffers (and any guest's hugepage-backed ones) are one run, so a
	 * 31 MiB receive buffer costs the host 16 bytes instead of 62 KiB.
	 * A scattered list (vzalloc'd pages) keeps one PFN per page. */
	struct vmbus_pfn_run *runs;  /* NULL: 'pfns' holds every page */
	uint64_t *pfns;
	uint32_t nruns;
	uint32_t npages;
	uint64_t total_bytes;
	bool whole_pages;            /* every range page aligned and sized */
	struct vmbus_channel *ring_user; /* channel whose rings live here */
	uint64_t held;               /* bytes counted against the set */
};

struct vmbus_gpadl_set {
	struct vmbus_gpadl *head;
	uint32_t count;
	uint32_t max;
	uint64_t bytes;       /* host memory the records hold */
	uint64_t max_bytes;   /* a partition cannot make the host hold more */
};

/* A host view of the GPADL's pages (vmbus_mem_map_pages). */
int vmbus_gpadl_map(const struct vmbus_mem *mem, const struct vmbus_gpadl *g,
		    struct vmbus_mem_view *v);

/* Results of vmbus_gpadl_header() / vmbus_gpadl_body(). */
enum vmbus_gpadl_step {
	VMBUS_GPADL_MORE = 0,        /* waiting for GPADL_BODY messages */
	VMBUS_GPADL_DONE = 1,        /* complete and checked */
};

/* Start a GPADL from a GPADL_HEADER of 'len' bytes. On error returns a
 * negative errno: -EEXIST duplicate handle, -ENOSPC too many GPADLs or
 * too much host memory held for them,
 * -EINVAL malformed, -EFAULT a page outside the partition, -ENOMEM. A
 * GPADL that failed after it was created is freed before returning. */
int vmbus_gpadl_header(struct vmbus_gpadl_set *set, const struct vmbus_mem *mem,
		       const struct vmbus_msg_gpadl_header *h, uint32_t len,
		       struct vmbus_gpadl **out);
/* Continue a GPADL in assembly with a GPADL_BODY; -ENOENT if there is
 * none with that handle (then nothing was freed). */
int vmbus_gpadl_body(struct vmbus_gpadl_set *set, const struct vmbus_mem *mem,
		     const struct vmbus_msg_gpadl_body *b, uint32_t len,
		     struct vmbus_gpadl **out);
struct vmbus_gpadl *vmbus_gpadl_find(const struct vmbus_gpadl_set *set, uint32_t handle);
void vmbus_gpadl_free(struct vmbus_gpadl_set *set, struct vmbus_gpadl *g);
void vmbus_gpadl_free_all(struct vmbus_gpadl_set *set);

#endif /* VMBUS_PRIV_H */
