/* A virtual processor: its KVM vCPU, its thread and the exits it takes.
 * Port I/O and MMIO go to the device that claimed the range, synthetic
 * MSRs and the hypercall port to the Hyper-V emulation. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "hv/hv_hyperv.h"
#include "hv/hv_priv.h"

int hv_vp_init(struct hv_partition *p, struct hv_vp *vp, uint32_t index)
{
	int sz;

	vp->p = p;
	vp->index = index;
	vp->fd = ioctl(p->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vp->fd < 0)
		return -errno;
	sz = ioctl(p->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0)
		return -EINVAL;
	vp->run_size = (size_t)sz;
	vp->run = mmap(NULL, vp->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vp->fd, 0);
	if (vp->run == MAP_FAILED) {
		vp->run = NULL;
		return -ENOMEM;
	}
	return 0;
}

void hv_vp_fini(struct hv_vp *vp)
{
	if (vp->run)
		munmap(vp->run, vp->run_size);
	vp->run = NULL;
	if (vp->p && vp->fd > 0)
		close(vp->fd);
	vp->fd = -1;
}

void hv_vp_kick(struct hv_vp *vp)
{
	/* immediate_exit covers a signal that lands just before KVM_RUN. */
	__atomic_store_n(&vp->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(vp->thread, SIGUSR1);
}

/* GDT for both entries: 0x08 flat 32-bit code (PVH), 0x10 64-bit code and
 * 0x18 flat data, the selectors the 64-bit boot protocol requires
 * (Documentation/arch/x86/boot.rst: __BOOT_CS 0x10, __BOOT_DS 0x18). */
static const uint64_t boot_gdt[] = {
	0,
	0x00cf9a000000ffffull,
	0x00af9a000000ffffull,
	0x00cf92000000ffffull,
};

static void seg(struct kvm_segment *s, uint16_t sel, uint8_t type, bool l, bool db)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = db;
	s->s = 1;
	s->l = l;
	s->g = 1;
}

static int write_boot_tables(struct hv_partition *p)
{
	uint64_t *gdt = hv_partition_gpa(p, HV_GDT_GPA, sizeof(boot_gdt));
	uint64_t *pml4 = hv_partition_gpa(p, HV_PML4_GPA, HVN_PAGE_SIZE);
	uint64_t *pdpt = hv_partition_gpa(p, HV_PDPT_GPA, HVN_PAGE_SIZE);
	uint64_t *pd = hv_partition_gpa(p, HV_PD_GPA, 4 * HVN_PAGE_SIZE);

	if (!gdt || !pml4 || !pdpt || !pd)
		return -EINVAL;
	memcpy(gdt, boot_gdt, sizeof(boot_gdt));
	memset(pml4, 0, HVN_PAGE_SIZE);
	memset(pdpt, 0, HVN_PAGE_SIZE);
	/* Identity map of 4 GiB with 2 MiB pages (1 GiB pages stop this
	 * host's KVM, machine-notes): present, writable. */
	pml4[0] = HV_PDPT_GPA | 0x3;
	for (unsigned int i = 0; i < 4; i++)
		pdpt[i] = (HV_PD_GPA + i * HVN_PAGE_SIZE) | 0x3;
	for (unsigned int i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;   /* P, RW, PS */
	return 0;
}

int hv_vp_set_entry(struct hv_vp *vp, const struct hv_entry *e)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_segment data;
	int rc;

	rc = write_boot_tables(vp->p);
	if (rc)
		return rc;
	if (ioctl(vp->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.gdt.base = HV_GDT_GPA;
	sregs.gdt.limit = sizeof(boot_gdt) - 1;
	seg(&data, 0x18, 0x3, false, true);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	if (e->mode == HV_ENTRY_LONG64) {
		seg(&sregs.cs, 0x10, 0xb, true, false);
		sregs.cr3 = HV_PML4_GPA;
		sregs.cr4 = 0x20;                     /* PAE */
		sregs.cr0 = 0x80050033;               /* PG WP NE ET MP PE */
		sregs.efer = 0x500;                   /* LMA LME */
	} else {
		/* PVH (xen/include/public/arch-x86/hvm/start_info.h): flat
		 * 32-bit protected mode, paging off. */
		seg(&sregs.cs, 0x08, 0xb, false, true);
		sregs.cr3 = 0;
		sregs.cr4 = 0;
		sregs.cr0 = 0x11;                     /* ET PE */
		sregs.efer = 0;
	}
	if (ioctl(vp->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 0x2;
	regs.rip = e->rip;
	regs.rsp = e->rsp;
	regs.rsi = e->rsi;
	regs.rbx = e->rbx;
	if (ioctl(vp->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;
	return 0;
}

static uint64_t vp_rip(struct hv_vp *vp)
{
	struct kvm_regs regs;

	return ioctl(vp->fd, KVM_GET_REGS, &regs) < 0 ? 0 : regs.rip;
}

static void vp_stop(struct hv_vp *vp, enum hv_exit_reason why, int code, const char *detail)
{
	hv_partition_stop_detail(vp->p, why, code, vp->index, vp_rip(vp), detail);
}

/* The hypercall page's `out %al, $HV_PORT_HYPERCALL`: the ABI registers
 * are intact; RIP is left alone so KVM completes the OUT on re-entry
 * (complete_fast_pio_out, reference §1.4). */
static void vp_hypercall(struct hv_vp *vp)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vp->fd, KVM_GET_REGS, &regs) < 0) {
		vp_stop(vp, HV_EXIT_ERROR, errno, "KVM_GET_REGS failed");
		return;
	}
	/* Hypercalls are for the guest kernel (TLFS: CPL 0 only). */
	if (ioctl(vp->fd, KVM_GET_SREGS, &sregs) == 0 && sregs.cs.dpl != 0)
		regs.rax = HV_STATUS_ACCESS_DENIED;
	else
		regs.rax = hv_hyperv_hypercall(vp->p->hyperv, vp->index, regs.rcx, regs.rdx,
					       regs.r8);
	if (ioctl(vp->fd, KVM_SET_REGS, &regs) < 0)
		vp_stop(vp, HV_EXIT_ERROR, errno, "KVM_SET_REGS failed");
}

static void vp_pio(struct hv_vp *vp)
{
	struct kvm_run *run = vp->run;
	struct hv_partition *p = vp->p;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned int size = run->io.size;
	uint16_t port = run->io.port;
	const struct hv_io_range *r;

	if (port == HV_PORT_HYPERCALL && p->hyperv && run->io.direction == KVM_EXIT_IO_OUT) {
		vp_hypercall(vp);
		return;
	}
	if (port == HV_PORT_DEBUG_EXIT && run->io.direction == KVM_EXIT_IO_OUT) {
		char msg[64];

		snprintf(msg, sizeof(msg), "the guest wrote %u to the debug-exit port", data[0]);
		vp_stop(vp, HV_EXIT_POWEROFF, data[0], msg);
		return;
	}
	r = hv_io_find(p->pio, p->nr_pio, port, size);
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			if (r)
				r->ops->write(r->dev, port, data, size);
		} else if (r) {
			r->ops->read(r->dev, port, data, size);
		} else {
			memset(data, 0xff, size);
		}
	}
}

static void vp_mmio(struct hv_vp *vp)
{
	struct kvm_run *run = vp->run;
	struct hv_partition *p = vp->p;
	const struct hv_io_range *r;

	r = hv_io_find(p->mmio, p->nr_mmio, run->mmio.phys_addr, run->mmio.len);
	if (run->mmio.is_write) {
		if (r)
			r->ops->write(r->dev, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
	} else if (r) {
		r->ops->read(r->dev, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
	} else {
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
	}
}

static void vp_msr(struct hv_vp *vp, bool write)
{
	struct kvm_run *run = vp->run;
	struct hv_hyperv *h = vp->p->hyperv;
	int rc;

	if (!h) {
		run->msr.error = 1;
		return;
	}
	if (write) {
		rc = hv_hyperv_wrmsr(h, vp->index, run->msr.index, run->msr.data);
	} else {
		uint64_t v = 0;

		rc = hv_hyperv_rdmsr(h, vp->index, run->msr.index, &v);
		run->msr.data = v;
	}
	/* error=1 makes KVM inject #GP, what hardware does for a refused
	 * MSR access. */
	run->msr.error = rc ? 1 : 0;
}

static void vp_internal_error(struct hv_vp *vp)
{
	struct kvm_run *run = vp->run;
	char d[256];
	int n;

	if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
		n = snprintf(d, sizeof(d), "KVM could not emulate an instruction");
		if (run->emulation_failure.ndata >= 3 &&
		    (run->emulation_failure.flags &
		     KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
			unsigned int len = HVN_MIN(run->emulation_failure.insn_size, 15u);

			n += snprintf(d + n, sizeof(d) - (size_t)n, " (bytes");
			for (unsigned int i = 0; i < len && n < (int)sizeof(d) - 4; i++)
				n += snprintf(d + n, sizeof(d) - (size_t)n, " %02x",
					      run->emulation_failure.insn_bytes[i]);
			n += snprintf(d + n, sizeof(d) - (size_t)n, ")");
		}
		snprintf(d + n, sizeof(d) - (size_t)n,
			 ": this host's KVM is an instruction emulator; the guest needs "
			 "hardware virtualization");
	} else {
		snprintf(d, sizeof(d), "KVM internal error, suberror %u", run->internal.suberror);
	}
	vp_stop(vp, HV_EXIT_INTERNAL, (int)run->internal.suberror, d);
}

void *hv_vp_thread(void *arg)
{
	struct hv_vp *vp = arg;
	struct hv_partition *p = vp->p;
	struct kvm_run *run = vp->run;
	char d[96];

	while (!atomic_load(&p->stopping)) {
		if (ioctl(vp->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_RELAXED);
				continue;
			}
			vp_stop(vp, HV_EXIT_ERROR, errno, "KVM_RUN failed");
			break;
		}
		if (hvn_unlikely(vp->index == 0 && !atomic_load(&p->first_exit_ns))) {
			struct timespec ts;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			atomic_store(&p->first_exit_ns,
				     (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec);
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			vp_pio(vp);
			break;
		case KVM_EXIT_MMIO:
			vp_mmio(vp);
			break;
		case KVM_EXIT_X86_RDMSR:
			vp_msr(vp, false);
			break;
		case KVM_EXIT_X86_WRMSR:
			vp_msr(vp, true);
			break;
		case KVM_EXIT_HLT:
		case KVM_EXIT_IRQ_WINDOW_OPEN:
		case KVM_EXIT_INTR:
			break;
		case KVM_EXIT_SHUTDOWN:
			vp_stop(vp, HV_EXIT_TRIPLE_FAULT, 0,
				"the guest triple-faulted (KVM_EXIT_SHUTDOWN)");
			break;
		case KVM_EXIT_SYSTEM_EVENT:
			if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
				vp_stop(vp, HV_EXIT_RESET, 0, "the guest reset itself");
			else
				vp_stop(vp, HV_EXIT_POWEROFF, 0, "the guest powered off");
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			vp_internal_error(vp);
			break;
		case KVM_EXIT_FAIL_ENTRY:
			snprintf(d, sizeof(d), "VM entry failed (hardware reason 0x%llx)",
				 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			vp_stop(vp, HV_EXIT_ERROR, -EIO, d);
			break;
		default:
			snprintf(d, sizeof(d), "unexpected KVM exit %u", run->exit_reason);
			vp_stop(vp, HV_EXIT_ERROR, -EIO, d);
		}
	}
	return NULL;
}
