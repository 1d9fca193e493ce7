/* Partition internals shared by the files of hv/; never included outside. */
#ifndef HV_PRIV_H
#define HV_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <linux/kvm.h>

#include "hv/hv.h"

#define HV_MAX_IO_RANGES 32

struct hv_io_range {
	uint64_t base;
	uint64_t len;
	const struct hv_io_ops *ops;
	void *dev;
};

struct hv_vp {
	struct hv_partition *p;
	uint32_t index;            /* VP index = APIC id = KVM vcpu id */
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started;
};

struct hv_partition {
	char name[64];
	int kvm_fd;
	int vm_fd;
	struct vmbus_mem mem;
	unsigned int nr_vps;
	struct hv_vp *vps;
	uint64_t tsc_hz;

	struct hv_io_range pio[HV_MAX_IO_RANGES];
	unsigned int nr_pio;
	struct hv_io_range mmio[HV_MAX_IO_RANGES];
	unsigned int nr_mmio;

	struct hv_hyperv *hyperv;  /* NULL without enlightenments */

	/* Run state: the first stop wins and is what run() reports. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool stopping;
	_Atomic uint64_t first_exit_ns;
	bool running;
	struct hv_run_result result;
};

/* hv_vp.c */
int hv_vp_init(struct hv_partition *p, struct hv_vp *vp, uint32_t index);
void hv_vp_fini(struct hv_vp *vp);
int hv_vp_set_entry(struct hv_vp *vp, const struct hv_entry *e);
void *hv_vp_thread(void *arg);
void hv_vp_kick(struct hv_vp *vp);

/* hv_partition.c: record why the partition stops (first caller wins). */
void hv_partition_stop_detail(struct hv_partition *p, enum hv_exit_reason why,
			      int code, uint32_t vp, uint64_t rip, const char *detail);
const struct hv_io_range *hv_io_find(const struct hv_io_range *r, unsigned int n,
				     uint64_t addr, unsigned int len);

/* hv_cpuid.c: the CPUID table for one VP. */
int hv_cpuid_setup(struct hv_partition *p, struct hv_vp *vp);

#endif /* HV_PRIV_H */
