/* ACPI tables for a partition, and the two fixed-hardware devices they
 * describe (PM1 registers with a PM timer, the 0xCF9 reset register).
 *
 * The tables live in the legacy hole at HV_ACPI_RSDP_GPA..HV_ACPI_END,
 * where Linux also finds the RSDP by scanning when no loader passes it:
 * RSDP -> XSDT -> FADT (-> FACS, DSDT) and MADT. The DSDT is AML emitted
 * here (no iasl at run time): \_S5_, COM1 (PNP0501, 0x3F8, IRQ 4) and,
 * with cfg.vmbus, \_SB.VMOD (ACPI0004, the MMIO gap HV_MMIO_HOLE up to
 * HV_IOAPIC_GPA) holding VMBS, the "VMBus" device hv_vmbus binds to. */
#ifndef HV_ACPI_H
#define HV_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/hv.h"

#define HV_ACPI_RSDP_GPA   0xE0000ull
#define HV_ACPI_END        0x100000ull

/* The PM1 block: PM1a_EVT (4 bytes), PM1a_CNT (2), a gap, PM_TMR (4). */
#define HV_ACPI_PM_BASE    0x600
#define HV_ACPI_PM1_EVT    (HV_ACPI_PM_BASE + 0)
#define HV_ACPI_PM1_CNT    (HV_ACPI_PM_BASE + 4)
#define HV_ACPI_PM_TMR     (HV_ACPI_PM_BASE + 8)
#define HV_ACPI_PM_LEN     12
#define HV_ACPI_RESET_PORT 0xCF9
#define HV_ACPI_RESET_VALUE 6      /* SYS_RST | RST_CPU */
#define HV_ACPI_SCI_IRQ    9
/* SLP_TYP for S5, what \_S5_ returns and the PM1 handler looks for. */
#define HV_ACPI_SLP_TYP_S5 5
#define HV_ACPI_VMBUS_IRQ  7
#define HV_ACPI_COM1_PORT  0x3F8
#define HV_ACPI_COM1_IRQ   4

struct hv_acpi_config {
	unsigned int nr_vps;   /* LAPIC ids 0..nr_vps-1; IOAPIC id nr_vps */
	bool vmbus;            /* describe the VMBus (VMOD/VMBS) */
};

/* Write the tables into p's memory, claim the PM1 block and the reset
 * port (-EEXIST if already claimed), and return the RSDP's GPA for the
 * loader (hv_boot_config.rsdp_gpa). A guest write of SLP_TYP = S5 with
 * SLP_EN stops the partition with HV_EXIT_POWEROFF; a write with RST_CPU
 * to 0xCF9 with HV_EXIT_RESET. Call before hv_partition_run(). Returns 0
 * or a negative errno (-EINVAL for a bad nr_vps). */
int hv_acpi_build(struct hv_partition *p, const struct hv_acpi_config *cfg,
		  uint64_t *rsdp_gpa);

#endif /* HV_ACPI_H */
