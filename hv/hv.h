/* The partition API: how the root (the Linux host) creates and runs child
 * partitions on KVM. In Hyper-V terms this is the hypercall interface the
 * root's virtualization stack uses; every other part of hvnet creates and
 * manages KVM partitions only through it.
 *
 * A partition is a KVM VM with an in-kernel irqchip, guest memory in one
 * memfd (GPA g at offset g, so another host process can map it), one
 * thread per virtual processor, and the Hyper-V enlightenments a Linux
 * guest looks for (hv_hyperv.h) emulated in userspace. Devices claim port
 * and MMIO ranges; their handlers run on the vCPU thread that exited. */
#ifndef HV_H
#define HV_H

#include <stdbool.h>
#include <stdint.h>

#include "vmbus/vmbus_mem.h"

struct hv_partition;

/* Guest physical layout. RAM is one range from GPA 0 (so vmbus_mem's
 * "GPA g at base + g" holds); it ends below the 32-bit MMIO hole where the
 * IOAPIC and LAPIC live. */
#define HV_MEM_MAX        0xC0000000ull   /* 3 GiB */
#define HV_MEM_MIN        (16ull << 20)
#define HV_MMIO_HOLE      0xC0000000ull
#define HV_IOAPIC_GPA     0xFEC00000ull
#define HV_LAPIC_GPA      0xFEE00000ull
/* Pages the partition layer owns in low memory for a 64-bit entry: a GDT
 * and identity page tables for the first 4 GiB (2 MiB pages; the build
 * machines' KVM cannot run 1 GiB ones). Loaders keep out of them. */
#define HV_GDT_GPA        0x1000ull
#define HV_PML4_GPA       0x2000ull
#define HV_PDPT_GPA       0x3000ull
#define HV_PD_GPA         0x4000ull       /* 4 pages */
#define HV_BOOT_RESERVED_END 0x8000ull

/* Ports hvnet's own devices use. */
#define HV_PORT_HYPERCALL 0x9e  /* the hypercall page's trap (hv_hyperv.c) */
#define HV_PORT_DEBUG_EXIT 0xf4 /* test guests: out %al -> exit code al */

struct hv_partition_config {
	const char *name;          /* for logs */
	uint64_t mem_bytes;        /* 2 MiB multiple, HV_MEM_MIN..HV_MEM_MAX */
	unsigned int nr_vps;       /* 1..HV_MAX_VPS */
	bool hugepages;            /* back memory with 2 MiB hugepages */
	bool hyperv;               /* present the Hyper-V enlightenments */
};

#define HV_MAX_VPS 64

/* Create the partition (VM, memory, irqchip, vCPUs, CPUID, MSR filter).
 * Nothing runs until hv_partition_run(). On failure *err_msg (if given)
 * points at a static sentence saying what failed and what to do. */
int hv_partition_create(const struct hv_partition_config *cfg,
			struct hv_partition **out, const char **err_msg);
/* Stop (if running), then free everything: vCPU threads, devices' ranges,
 * memory, the VM. */
void hv_partition_destroy(struct hv_partition *p);

/* The partition's memory: host mapping, size and memfd. */
const struct vmbus_mem *hv_partition_mem(const struct hv_partition *p);
/* Host pointer for [gpa, gpa + len) or NULL if outside RAM. */
void *hv_partition_gpa(const struct hv_partition *p, uint64_t gpa, uint64_t len);
unsigned int hv_partition_nr_vps(const struct hv_partition *p);
const char *hv_partition_name(const struct hv_partition *p);
/* The guest TSC frequency in Hz (what the frequency MSRs report). */
uint64_t hv_partition_tsc_hz(const struct hv_partition *p);

/* ---- Entry ---- */

enum hv_entry_mode {
	HV_ENTRY_LONG64,   /* long mode, paging on (identity map of 4 GiB) */
	HV_ENTRY_PROT32,   /* flat 32-bit protected mode, paging off (PVH) */
};

/* Where the boot processor starts. The partition layer writes the GDT and
 * page tables (HV_GDT_GPA..HV_BOOT_RESERVED_END) itself. Application
 * processors wait for INIT/SIPI in the in-kernel LAPIC as on hardware. */
struct hv_entry {
	enum hv_entry_mode mode;
	uint64_t rip;
	uint64_t rsp;
	uint64_t rsi;      /* 64-bit boot protocol: boot_params GPA */
	uint64_t rbx;      /* PVH: hvm_start_info GPA */
};
int hv_partition_set_entry(struct hv_partition *p, const struct hv_entry *e);

/* ---- Devices ---- */

/* A port or MMIO range handler. 'addr' is the absolute port or GPA, 'len'
 * 1, 2, 4 or 8 bytes. A read fills 'data'. Handlers run on the vCPU thread
 * that exited; a device shared by several vCPUs locks for itself. */
struct hv_io_ops {
	void (*read)(void *dev, uint64_t addr, void *data, unsigned int len);
	void (*write)(void *dev, uint64_t addr, const void *data, unsigned int len);
};

/* Claim [base, base + len) of port space or of MMIO space. -EEXIST if it
 * overlaps a claimed range. Register before hv_partition_run(). Accesses
 * nobody claimed read as all ones and are ignored on write, as on a PC. */
int hv_partition_add_pio(struct hv_partition *p, uint16_t base, uint16_t len,
			 const struct hv_io_ops *ops, void *dev);
int hv_partition_add_mmio(struct hv_partition *p, uint64_t base, uint64_t len,
			  const struct hv_io_ops *ops, void *dev);

/* ---- Interrupts ---- */

/* An edge MSI with 'vector' to the LAPIC whose id is 'apic_id' (the VP
 * index). Any thread. */
int hv_partition_msi(struct hv_partition *p, uint32_t apic_id, uint8_t vector);
/* Drive an IOAPIC/PIC input (ISA IRQ or GSI). Any thread. */
int hv_partition_irq_line(struct hv_partition *p, uint32_t gsi, bool level);

/* ---- Running ---- */

enum hv_exit_reason {
	HV_EXIT_NONE,
	HV_EXIT_POWEROFF,     /* ACPI S5, a debug-exit write or hv_partition_stop */
	HV_EXIT_RESET,        /* the guest asked for a reset */
	HV_EXIT_TRIPLE_FAULT, /* KVM_EXIT_SHUTDOWN */
	HV_EXIT_INTERNAL,     /* KVM could not run the guest (emulation failure) */
	HV_EXIT_ERROR,        /* a host-side error */
};

struct hv_run_result {
	enum hv_exit_reason reason;
	int code;             /* debug-exit value or errno */
	uint32_t vp;          /* the VP that caused it */
	uint64_t rip;         /* its RIP then */
	char detail[256];     /* one line for the operator */
};

/* Start every vCPU thread and wait until the partition stops; fill *res
 * with why. */
int hv_partition_run(struct hv_partition *p, struct hv_run_result *res);
/* CLOCK_MONOTONIC time (ns) of the boot VP's first exit, 0 before it:
 * the latest moment the guest's first instruction can have run. */
uint64_t hv_partition_first_exit_ns(const struct hv_partition *p);
/* Ask a running partition to stop (any thread, async-signal-safe). */
void hv_partition_stop(struct hv_partition *p, enum hv_exit_reason why, int code);

/* ---- Hyper-V enlightenments ---- */

struct hv_hyperv;
/* The partition's Hyper-V emulation, NULL if cfg.hyperv was false. */
struct hv_hyperv *hv_partition_hyperv(struct hv_partition *p);

#endif /* HV_H */
