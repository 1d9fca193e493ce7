/* A partition: the KVM VM, its memory, its vCPUs and its devices' ranges.
 * See hv.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <x86intrin.h>

#include "hv/hv_hyperv.h"
#include "hv/hv_priv.h"

/* KVM's placement of the real-mode TSS and identity map on Intel hosts:
 * three pages just below the BIOS, inside the MMIO hole, never RAM. */
#define HV_TSS_GPA 0xfffbd000ull
#define HV_IDMAP_GPA 0xfffbc000ull

static int partition_msi(void *ctx, uint32_t vp, uint8_t vector)
{
	return hv_partition_msi(ctx, vp, vector);
}

static int create_memory(struct hv_partition *p, const struct hv_partition_config *cfg,
			 const char **err)
{
	unsigned int flags = MFD_CLOEXEC | MFD_ALLOW_SEALING;
	struct kvm_userspace_memory_region region;
	char name[80];
	void *base;
	int fd;

	if (cfg->hugepages)
		flags |= MFD_HUGETLB;
	snprintf(name, sizeof(name), "hvnet-%s", p->name);
	fd = memfd_create(name, flags);
	if (fd < 0) {
		*err = "memfd_create failed (with --hugepages: is hugetlbfs supported?)";
		return -errno;
	}
	if (ftruncate(fd, (off_t)cfg->mem_bytes) < 0) {
		*err = cfg->hugepages ? "cannot size guest memory: reserve enough 2 MiB hugepages "
					"(/proc/sys/vm/nr_hugepages)"
				      : "cannot size guest memory (out of memory?)";
		close(fd);
		return -ENOMEM;
	}
	/* Other processes map this memfd; a sealed size means none of them
	 * can be hit by SIGBUS from a shrink. */
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) < 0 && !cfg->hugepages) {
		*err = "cannot seal guest memory";
		close(fd);
		return -errno;
	}
	base = mmap(NULL, cfg->mem_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		*err = cfg->hugepages ? "cannot map guest memory: not enough free 2 MiB hugepages"
				      : "cannot map guest memory";
		close(fd);
		return -ENOMEM;
	}
	madvise(base, cfg->mem_bytes, MADV_DONTDUMP);
	p->mem.base = base;
	p->mem.size = cfg->mem_bytes;
	p->mem.fd = fd;
	p->mem.hugetlb = cfg->hugepages;

	memset(&region, 0, sizeof(region));
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = cfg->mem_bytes;
	region.userspace_addr = (uintptr_t)base;
	if (ioctl(p->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		*err = "KVM_SET_USER_MEMORY_REGION failed";
		return -errno;
	}
	return 0;
}

static int enable_msr_filter(struct hv_partition *p, const char **err)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_X86_USER_SPACE_MSR };
	static uint8_t deny[(HV_MSR_LAST - HV_MSR_FIRST + 1) / 8]; /* all 0: deny */
	struct kvm_msr_filter f;

	/* Without in-kernel Hyper-V, KVM would #GP these MSRs; the filter
	 * sends the whole synthetic range to us instead (reference §1.3). */
	cap.args[0] = KVM_MSR_EXIT_REASON_FILTER;
	if (ioctl(p->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
		*err = "KVM_CAP_X86_USER_SPACE_MSR is not available: this kernel's KVM "
		       "cannot send synthetic MSRs to userspace (needs Linux 5.10+)";
		return -errno;
	}
	memset(&f, 0, sizeof(f));
	f.flags = KVM_MSR_FILTER_DEFAULT_ALLOW;
	f.ranges[0].flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE;
	f.ranges[0].nmsrs = HV_MSR_LAST - HV_MSR_FIRST + 1;
	f.ranges[0].base = HV_MSR_FIRST;
	f.ranges[0].bitmap = deny;
	if (ioctl(p->vm_fd, KVM_X86_SET_MSR_FILTER, &f) < 0) {
		*err = "KVM_X86_SET_MSR_FILTER failed";
		return -errno;
	}
	return 0;
}

static void vp_kick_handler(int sig)
{
	(void)sig;   /* only interrupts KVM_RUN */
}

int hv_partition_create(const struct hv_partition_config *cfg,
			struct hv_partition **out, const char **err_msg)
{
	const char *dummy, **err = err_msg ? err_msg : &dummy;
	struct sigaction sa;
	struct hv_partition *p;
	int rc, khz;

	*err = NULL;
	if (cfg->mem_bytes < HV_MEM_MIN || cfg->mem_bytes > HV_MEM_MAX ||
	    cfg->mem_bytes % (2u << 20)) {
		*err = "guest memory must be a multiple of 2 MiB between 16 MiB and 3 GiB";
		return -EINVAL;
	}
	if (cfg->nr_vps < 1 || cfg->nr_vps > HV_MAX_VPS) {
		*err = "the number of virtual processors must be between 1 and 64";
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	snprintf(p->name, sizeof(p->name), "%s", cfg->name ? cfg->name : "partition");
	p->vm_fd = -1;
	p->mem.fd = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);

	p->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (p->kvm_fd < 0) {
		rc = -errno;
		*err = rc == -ENOENT ? "/dev/kvm does not exist: load kvm_intel or kvm_amd, or "
				       "run on a host with hardware virtualization"
				     : "cannot open /dev/kvm: run as root or join the kvm group";
		goto fail;
	}
	if (ioctl(p->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		*err = "unexpected KVM API version";
		rc = -ENOTSUP;
		goto fail;
	}
	p->vm_fd = ioctl(p->kvm_fd, KVM_CREATE_VM, 0);
	if (p->vm_fd < 0) {
		rc = -errno;
		*err = "KVM_CREATE_VM failed";
		goto fail;
	}
	ioctl(p->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)HV_TSS_GPA);
	{
		uint64_t idmap = HV_IDMAP_GPA;

		ioctl(p->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	}
	rc = create_memory(p, cfg, err);
	if (rc)
		goto fail;
	if (ioctl(p->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		rc = -errno;
		*err = "KVM_CREATE_IRQCHIP failed";
		goto fail;
	}
	{
		struct kvm_pit_config pit = { .flags = 0 };

		/* Linux calibrates against the PIT when no frequency MSRs are
		 * offered (hyperv off); harmless otherwise. */
		ioctl(p->vm_fd, KVM_CREATE_PIT2, &pit);
	}
	if (cfg->hyperv) {
		rc = enable_msr_filter(p, err);
		if (rc)
			goto fail;
	}

	p->nr_vps = cfg->nr_vps;
	p->vps = calloc(cfg->nr_vps, sizeof(*p->vps));
	if (!p->vps) {
		rc = -ENOMEM;
		goto fail;
	}
	for (unsigned int i = 0; i < cfg->nr_vps; i++) {
		rc = hv_vp_init(p, &p->vps[i], i);
		if (rc) {
			*err = "KVM_CREATE_VCPU failed";
			goto fail;
		}
	}
	khz = ioctl(p->vps[0].fd, KVM_GET_TSC_KHZ, 0);
	p->tsc_hz = khz > 0 ? (uint64_t)khz * 1000 : 0;
	if (cfg->hyperv) {
		if (!p->tsc_hz) {
			rc = -ENOTSUP;
			*err = "KVM does not report the guest TSC frequency";
			goto fail;
		}
		/* KVM starts each guest TSC near 0 when the vCPU is created. */
		p->hyperv = hv_hyperv_create(&p->mem, p->nr_vps, p->tsc_hz, __rdtsc(),
					     partition_msi, p);
		if (!p->hyperv) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	for (unsigned int i = 0; i < cfg->nr_vps; i++) {
		rc = hv_cpuid_setup(p, &p->vps[i]);
		if (rc) {
			*err = "KVM_SET_CPUID2 failed";
			goto fail;
		}
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vp_kick_handler;   /* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	*out = p;
	return 0;
fail:
	hv_partition_destroy(p);
	return rc;
}

void hv_partition_destroy(struct hv_partition *p)
{
	if (!p)
		return;
	if (p->vps) {
		for (unsigned int i = 0; i < p->nr_vps; i++)
			hv_vp_fini(&p->vps[i]);
		free(p->vps);
	}
	hv_hyperv_destroy(p->hyperv);
	if (p->vm_fd >= 0)
		close(p->vm_fd);
	if (p->kvm_fd >= 0)
		close(p->kvm_fd);
	if (p->mem.base)
		munmap(p->mem.base, p->mem.size);
	if (p->mem.fd >= 0)
		close(p->mem.fd);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

const struct vmbus_mem *hv_partition_mem(const struct hv_partition *p)
{
	return &p->mem;
}

void *hv_partition_gpa(const struct hv_partition *p, uint64_t gpa, uint64_t len)
{
	return vmbus_mem_gpa(&p->mem, gpa, len);
}

unsigned int hv_partition_nr_vps(const struct hv_partition *p)
{
	return p->nr_vps;
}

const char *hv_partition_name(const struct hv_partition *p)
{
	return p->name;
}

uint64_t hv_partition_tsc_hz(const struct hv_partition *p)
{
	return p->tsc_hz;
}

struct hv_hyperv *hv_partition_hyperv(struct hv_partition *p)
{
	return p->hyperv;
}

int hv_partition_set_entry(struct hv_partition *p, const struct hv_entry *e)
{
	return hv_vp_set_entry(&p->vps[0], e);
}

static int add_range(struct hv_io_range *r, unsigned int *n, uint64_t base, uint64_t len,
		     const struct hv_io_ops *ops, void *dev)
{
	if (!len || base + len < base)
		return -EINVAL;
	if (*n == HV_MAX_IO_RANGES)
		return -ENOSPC;
	for (unsigned int i = 0; i < *n; i++)
		if (base < r[i].base + r[i].len && r[i].base < base + len)
			return -EEXIST;
	r[*n] = (struct hv_io_range){ base, len, ops, dev };
	(*n)++;
	return 0;
}

int hv_partition_add_pio(struct hv_partition *p, uint16_t base, uint16_t len,
			 const struct hv_io_ops *ops, void *dev)
{
	if ((uint32_t)base + len > 0x10000)
		return -EINVAL;
	return add_range(p->pio, &p->nr_pio, base, len, ops, dev);
}

int hv_partition_add_mmio(struct hv_partition *p, uint64_t base, uint64_t len,
			  const struct hv_io_ops *ops, void *dev)
{
	/* RAM is a memslot; only addresses above it can exit. */
	if (base < p->mem.size)
		return -EINVAL;
	return add_range(p->mmio, &p->nr_mmio, base, len, ops, dev);
}

const struct hv_io_range *hv_io_find(const struct hv_io_range *r, unsigned int n,
				     uint64_t addr, unsigned int len)
{
	for (unsigned int i = 0; i < n; i++)
		if (addr >= r[i].base && addr + len <= r[i].base + r[i].len)
			return &r[i];
	return NULL;
}

int hv_partition_msi(struct hv_partition *p, uint32_t apic_id, uint8_t vector)
{
	struct kvm_msi msi = {
		.address_lo = 0xfee00000u | (apic_id & 0xff) << 12,
		.address_hi = 0,
		.data = vector,   /* fixed delivery, edge */
	};

	if (apic_id >= p->nr_vps)
		return -EINVAL;
	return ioctl(p->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

int hv_partition_irq_line(struct hv_partition *p, uint32_t gsi, bool level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	return ioctl(p->vm_fd, KVM_IRQ_LINE, &irq) < 0 ? -errno : 0;
}

void hv_partition_stop_detail(struct hv_partition *p, enum hv_exit_reason why,
			      int code, uint32_t vp, uint64_t rip, const char *detail)
{
	pthread_mutex_lock(&p->lock);
	if (!atomic_load(&p->stopping)) {
		p->result.reason = why;
		p->result.code = code;
		p->result.vp = vp;
		p->result.rip = rip;
		snprintf(p->result.detail, sizeof(p->result.detail), "%s", detail ? detail : "");
		atomic_store(&p->stopping, true);
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
}

uint64_t hv_partition_first_exit_ns(const struct hv_partition *p)
{
	return atomic_load(&((struct hv_partition *)p)->first_exit_ns);
}

void hv_partition_stop(struct hv_partition *p, enum hv_exit_reason why, int code)
{
	hv_partition_stop_detail(p, why, code, 0, 0, "stopped by the host");
}

int hv_partition_run(struct hv_partition *p, struct hv_run_result *res)
{
	unsigned int started = 0;
	int rc = 0;

	if (p->running)
		return -EBUSY;
	p->running = true;
	for (unsigned int i = 0; i < p->nr_vps; i++) {
		rc = -pthread_create(&p->vps[i].thread, NULL, hv_vp_thread, &p->vps[i]);
		if (rc) {
			hv_partition_stop_detail(p, HV_EXIT_ERROR, rc, i, 0,
						 "cannot start a vCPU thread");
			break;
		}
		p->vps[i].started = true;
		started++;
	}
	pthread_mutex_lock(&p->lock);
	while (!atomic_load(&p->stopping))
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	for (unsigned int i = 0; i < started; i++)
		hv_vp_kick(&p->vps[i]);
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(p->vps[i].thread, NULL);
		p->vps[i].started = false;
	}
	p->running = false;
	if (res)
		*res = p->result;
	return rc;
}
