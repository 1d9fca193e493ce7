/* Kernel loaders: put a kernel, its initrd and command line into a
 * partition's memory and say where the boot processor starts.
 *
 * Three kinds of image, told apart by their bytes:
 *  - an ELF64 with a Xen PVH note (XEN_ELFNOTE_PHYS32_ENTRY), e.g. Linux's
 *    vmlinux: PVH boot, 32-bit entry with %ebx = hvm_start_info;
 *  - any other x86-64 ELF64: hvnet's freestanding test-guest protocol,
 *    64-bit entry at e_entry with %rsi = the command line (NUL-terminated)
 *    and %rsp = 0 (the guest sets its own stack); no initrd;
 *  - a bzImage (e.g. Debian's vmlinuz): the 64-bit boot protocol,
 *    %rsi = boot_params.
 *
 * Guest physical layout the loaders keep to: the partition layer's pages
 * HV_GDT_GPA..HV_BOOT_RESERVED_END, boot structures and the command line
 * above them and below HV_BOOT_LOW_END, the legacy hole 0x9FC00..1 MiB
 * (ACPI tables at 0xE0000) untouched, kernels at 1 MiB or above, the
 * initrd as high in RAM as the kernel allows. */
#ifndef HV_BOOT_H
#define HV_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "hv/hv.h"

/* Low memory the loaders may use for boot structures. */
#define HV_BOOT_LOW_END      0x9F000ull
/* The PC's legacy hole: EBDA, VGA, option ROMs, BIOS (and our ACPI
 * tables); reserved in the memory map, never loaded into. */
#define HV_BOOT_HOLE_START   0x9FC00ull
#define HV_BOOT_HOLE_END     0x100000ull

struct hv_boot_config {
	const char *kernel;   /* path to vmlinuz, vmlinux or a test guest */
	const char *initrd;   /* path or NULL */
	const char *cmdline;  /* NULL means empty */
	uint64_t rsdp_gpa;    /* ACPI RSDP for the kernel, 0 if none */
};

/* Load cfg's images into p's memory and fill *entry for
 * hv_partition_set_entry() (not called here). Returns 0, or a negative
 * errno with a one-line message in err saying what failed and what to do:
 * -ENOENT/-EACCES/-EIO reading a file, -ENOEXEC for a file that is not a
 * kernel hvnet can boot (or is truncated or malformed), -ENOMEM when it
 * does not fit the partition's memory, -E2BIG for a command line longer
 * than the kernel accepts, -EINVAL for a bad argument. Every offset and
 * size read from a file is bound-checked: a hostile file gets an error,
 * never a write outside guest memory. */
int hv_boot_load(struct hv_partition *p, const struct hv_boot_config *cfg,
		 struct hv_entry *entry, char *err, size_t errlen);

#endif /* HV_BOOT_H */
