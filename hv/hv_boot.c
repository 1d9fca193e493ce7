/* Kernel loaders: PVH ELF, freestanding test-guest ELF and bzImage. See
 * hv_boot.h for the protocols and the memory layout.
 *
 * The kernel file is operator input, not guest input, but it is still
 * parsed as if hostile: every offset and size it holds is checked against
 * the file and against guest memory before anything is copied. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hvn_compiler.h"
#include "hv/hv_boot.h"

/* ---- Wire formats ---- */

/* Xen public/arch-x86/hvm/start_info.h (version 1). */
#define HVM_START_MAGIC 0x336ec578u
#define XEN_ELFNOTE_PHYS32_ENTRY 18

struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr;     /* version 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
} hvn_packed;
_Static_assert(sizeof(struct hvm_start_info) == 56, "start_info.h");

struct hvm_modlist_entry {
	uint64_t paddr;
	uint64_t size;
	uint64_t cmdline_paddr;
	uint64_t reserved;
} hvn_packed;
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "start_info.h");

struct hvm_memmap_table_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;             /* E820 type */
	uint32_t reserved;
} hvn_packed;
_Static_assert(sizeof(struct hvm_memmap_table_entry) == 24, "start_info.h");

/* Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header": the
 * setup header as it sits at 0x1f1 in both the image and boot_params. */
struct bz_setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} hvn_packed;
#define BZ_HDR_OFF 0x1f1
_Static_assert(sizeof(struct bz_setup_header) == 0x26c - BZ_HDR_OFF, "boot.rst");
_Static_assert(__builtin_offsetof(struct bz_setup_header, header) == 0x202 - BZ_HDR_OFF,
	       "boot.rst");
_Static_assert(__builtin_offsetof(struct bz_setup_header, cmd_line_ptr) == 0x228 - BZ_HDR_OFF,
	       "boot.rst");
_Static_assert(__builtin_offsetof(struct bz_setup_header, pref_address) == 0x258 - BZ_HDR_OFF,
	       "boot.rst");

#define BZ_HDRS_MAGIC 0x53726448u   /* "HdrS" */
#define BZ_LOADED_HIGH 0x01         /* loadflags */
#define BZ_XLF_KERNEL_64 0x01       /* xloadflags */
#define BZ_MIN_VERSION 0x020c       /* 2.12: xloadflags, 64-bit entry */
#define BZ_ENTRY64_OFF 0x200        /* startup_64 within the kernel */

struct bz_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
} hvn_packed;
_Static_assert(sizeof(struct bz_e820_entry) == 20, "bootparam.h boot_e820_entry");

#define BZ_E820_MAX 128

/* Documentation/arch/x86/zero-page.rst (uapi asm/bootparam.h): the zero
 * page, with only the fields a loader sets named. */
struct bz_boot_params {
	uint8_t screen_info[0x40];
	uint8_t apm_bios_info[0x14];
	uint8_t pad2[4];
	uint64_t tboot_addr;
	uint8_t ist_info[0x10];
	uint64_t acpi_rsdp_addr;             /* 0x070 */
	uint8_t pad3[8];
	uint8_t hd0_info[16];
	uint8_t hd1_info[16];
	uint8_t sys_desc_table[0x10];
	uint8_t olpc_ofw_header[0x10];
	uint32_t ext_ramdisk_image;          /* 0x0c0 */
	uint32_t ext_ramdisk_size;
	uint32_t ext_cmd_line_ptr;
	uint8_t pad4[116];
	uint8_t edid_info[0x80];
	uint8_t efi_info[0x20];
	uint32_t alt_mem_k;
	uint32_t scratch;
	uint8_t e820_entries;                /* 0x1e8 */
	uint8_t eddbuf_entries;
	uint8_t edd_mbr_sig_buf_entries;
	uint8_t kbd_status;
	uint8_t secure_boot;
	uint8_t pad5[2];
	uint8_t sentinel;                    /* 0x1ef */
	uint8_t pad6[1];
	struct bz_setup_header hdr;          /* 0x1f1 */
	uint8_t pad7[0x290 - 0x1f1 - sizeof(struct bz_setup_header)];
	uint32_t edd_mbr_sig_buffer[16];     /* 0x290 */
	struct bz_e820_entry e820_table[BZ_E820_MAX]; /* 0x2d0 */
	uint8_t pad8[48];
	uint8_t eddbuf[0x1ec];               /* 0xd00 */
	uint8_t pad9[276];
} hvn_packed;
_Static_assert(sizeof(struct bz_boot_params) == 4096, "zero-page.rst");
_Static_assert(__builtin_offsetof(struct bz_boot_params, acpi_rsdp_addr) == 0x070, "zero-page.rst");
_Static_assert(__builtin_offsetof(struct bz_boot_params, ext_ramdisk_image) == 0x0c0,
	       "zero-page.rst");
_Static_assert(__builtin_offsetof(struct bz_boot_params, e820_entries) == 0x1e8, "zero-page.rst");
_Static_assert(__builtin_offsetof(struct bz_boot_params, hdr) == BZ_HDR_OFF, "zero-page.rst");
_Static_assert(__builtin_offsetof(struct bz_boot_params, e820_table) == 0x2d0, "zero-page.rst");
_Static_assert(__builtin_offsetof(struct bz_boot_params, eddbuf) == 0xd00, "zero-page.rst");

/* ACPI 6.4 §15 (E820 address range types). */
#define E820_RAM 1
#define E820_RESERVED 2

/* ---- Loader state ---- */

#define MIB (1ull << 20)
#define KERNEL_FILE_MAX (1ull << 30)
/* Linux truncates a longer command line (x86 COMMAND_LINE_SIZE). */
#define PVH_CMDLINE_MAX 2047
#define ELF_CMDLINE_MAX 4095
#define ELF_PHDRS_MAX 64
/* Every loadable segment, the kernel or the initrd, and the few boot
 * structures: never more than this, so no placed range is forgotten. */
#define LOW_RANGES_MAX (ELF_PHDRS_MAX + 8)
#define BOOT_STACK_SIZE 0x1000

struct range {
	uint64_t start, end;       /* [start, end) */
};

struct boot {
	struct hv_partition *p;
	const struct hv_boot_config *cfg;
	char *err;
	size_t errlen;
	uint64_t mem_size;
	const uint8_t *img;        /* the kernel file */
	size_t img_len;
	const char *cmdline;
	size_t cmdline_len;
	/* What is already placed: low-memory allocations avoid it. */
	struct range used[LOW_RANGES_MAX];
	unsigned int nr_used;
};

struct memmap {
	struct bz_e820_entry e[4];
	unsigned int n;
};

static int __attribute__((format(printf, 3, 4)))
fail(struct boot *b, int rc, const char *fmt, ...)
{
	va_list ap;

	if (b->err && b->errlen) {
		va_start(ap, fmt);
		vsnprintf(b->err, b->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static bool overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

static void mark_used(struct boot *b, uint64_t start, uint64_t end)
{
	if (b->nr_used < LOW_RANGES_MAX)
		b->used[b->nr_used++] = (struct range){ start, end };
}

/* First [gpa, gpa + size) in the boot-structure window that overlaps
 * nothing placed yet; 0 if there is none (0 is never in the window). */
static uint64_t low_alloc(struct boot *b, uint64_t size, uint64_t align)
{
	uint64_t gpa = HVN_ALIGN_UP(HV_BOOT_RESERVED_END, align);
	bool moved = true;

	while (moved) {
		moved = false;
		if (gpa + size > HV_BOOT_LOW_END)
			return 0;
		for (unsigned int i = 0; i < b->nr_used; i++) {
			if (overlaps(gpa, gpa + size, b->used[i].start, b->used[i].end)) {
				gpa = HVN_ALIGN_UP(b->used[i].end, align);
				moved = true;
			}
		}
	}
	mark_used(b, gpa, gpa + size);
	return gpa;
}

static int place_low(struct boot *b, const char *what, uint64_t size, uint64_t align,
		     uint64_t *gpa)
{
	*gpa = low_alloc(b, size, align);
	if (!*gpa)
		return fail(b, -ENOMEM, "no room for the %s (%llu bytes) in low memory "
			    "(0x%llx-0x%llx): the kernel's segments fill it; link it at 1 MiB or above",
			    what, (unsigned long long)size, (unsigned long long)HV_BOOT_RESERVED_END,
			    (unsigned long long)HV_BOOT_LOW_END);
	return 0;
}

static int copy_to_guest(struct boot *b, uint64_t gpa, const void *src, uint64_t len)
{
	void *dst = hv_partition_gpa(b->p, gpa, len);

	if (!dst)
		return fail(b, -ENOMEM, "internal: [0x%llx, +0x%llx) is outside guest memory",
			    (unsigned long long)gpa, (unsigned long long)len);
	memcpy(dst, src, len);
	return 0;
}

/* The PC memory map every kernel gets: low RAM, the legacy hole, RAM from
 * 1 MiB, and the IOAPIC/LAPIC window (KVM's TSS pages just below 4 GiB
 * included) reserved so the guest never assigns it to a device. */
static void build_memmap(uint64_t mem_size, struct memmap *m)
{
	m->n = 0;
	m->e[m->n++] = (struct bz_e820_entry){ 0, HV_BOOT_HOLE_START, E820_RAM };
	m->e[m->n++] = (struct bz_e820_entry){ HV_BOOT_HOLE_START,
					       HV_BOOT_HOLE_END - HV_BOOT_HOLE_START,
					       E820_RESERVED };
	m->e[m->n++] = (struct bz_e820_entry){ HV_BOOT_HOLE_END, mem_size - HV_BOOT_HOLE_END,
					       E820_RAM };
	m->e[m->n++] = (struct bz_e820_entry){ HV_IOAPIC_GPA, (1ull << 32) - HV_IOAPIC_GPA,
					       E820_RESERVED };
}

/* ---- Files ---- */

static int open_regular(struct boot *b, const char *what, const char *path, uint64_t *size)
{
	struct stat st;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		return fail(b, rc, "cannot open the %s %s: %s", what, path, strerror(-rc));
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(b, -EINVAL, "the %s %s is not a regular file: pass the image file itself",
			    what, path);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

/* Reads exactly len bytes; a file that shrank under us is an error. */
static int read_all(struct boot *b, int fd, const char *what, const char *path, void *dst,
		    uint64_t len)
{
	uint8_t *d = dst;
	uint64_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, d + done, HVN_MIN(len - done, (uint64_t)(1u << 30)));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail(b, -EIO, "cannot read the %s %s: %s", what, path, strerror(errno));
		if (n == 0)
			return fail(b, -EIO, "the %s %s shrank while it was read", what, path);
		done += (uint64_t)n;
	}
	return 0;
}

static int read_kernel(struct boot *b, uint8_t **img, size_t *len)
{
	const char *path = b->cfg->kernel;
	uint64_t size;
	int fd, rc;

	fd = open_regular(b, "kernel", path, &size);
	if (fd < 0)
		return fd;
	if (size == 0 || size > KERNEL_FILE_MAX) {
		close(fd);
		return fail(b, -ENOEXEC, "the kernel %s is %s: not a kernel image", path,
			    size ? "larger than 1 GiB" : "empty");
	}
	*img = malloc(size);
	if (!*img) {
		close(fd);
		return fail(b, -ENOMEM, "out of memory reading the kernel %s", path);
	}
	rc = read_all(b, fd, "kernel", path, *img, size);
	close(fd);
	if (rc) {
		free(*img);
		*img = NULL;
		return rc;
	}
	*len = size;
	return 0;
}

/* Loads the initrd at the highest page-aligned address that ends at or
 * below 'top' and starts at or above 'floor'. */
static int load_initrd(struct boot *b, uint64_t floor, uint64_t top, const char *limit,
		       uint64_t *gpa, uint64_t *size)
{
	const char *path = b->cfg->initrd;
	uint64_t len, at;
	void *dst;
	int fd, rc;

	fd = open_regular(b, "initrd", path, &len);
	if (fd < 0)
		return fd;
	if (len == 0) {
		close(fd);
		return fail(b, -EINVAL, "the initrd %s is empty: pass a cpio archive (or no initrd)",
			    path);
	}
	floor = HVN_ALIGN_UP(floor, (uint64_t)HVN_PAGE_SIZE);
	if (len > top || ((top - len) & ~(uint64_t)(HVN_PAGE_SIZE - 1)) < floor) {
		close(fd);
		return fail(b, -ENOMEM, "the initrd %s (%llu KiB) does not fit between the kernel "
			    "(ends at %llu MiB) and %s (%llu MiB): give the partition more memory "
			    "or use a smaller initrd", path, (unsigned long long)((len + 1023) / 1024),
			    (unsigned long long)(floor / MIB), limit, (unsigned long long)(top / MIB));
	}
	at = (top - len) & ~(uint64_t)(HVN_PAGE_SIZE - 1);
	dst = hv_partition_gpa(b->p, at, len);
	if (!dst) {
		close(fd);
		return fail(b, -ENOMEM, "internal: initrd placement outside guest memory");
	}
	rc = read_all(b, fd, "initrd", path, dst, len);
	close(fd);
	if (rc)
		return rc;
	mark_used(b, at, at + len);
	*gpa = at;
	*size = len;
	return 0;
}

/* ---- ELF (System V gABI, ELF-64 Object File Format) ---- */

struct elf_info {
	Elf64_Ehdr eh;
	bool pvh;
	uint64_t pvh_entry;
	uint64_t end;              /* highest loaded byte + 1 */
};

static const uint8_t xz_magic[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };

static void elf_phdr(struct boot *b, const Elf64_Ehdr *eh, unsigned int i, Elf64_Phdr *ph)
{
	/* Bounds checked once in elf_parse() for the whole table. */
	memcpy(ph, b->img + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

/* Looks for XEN_ELFNOTE_PHYS32_ENTRY in one PT_NOTE segment. */
static int elf_find_pvh(struct boot *b, const Elf64_Phdr *ph, struct elf_info *ei)
{
	uint64_t off = ph->p_offset, end;

	if (ph->p_offset > b->img_len || ph->p_filesz > b->img_len - ph->p_offset)
		return fail(b, -ENOEXEC, "the kernel %s is truncated or malformed: a note segment "
			    "lies beyond the end of the file", b->cfg->kernel);
	end = ph->p_offset + ph->p_filesz;
	while (end - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_off, desc_off, next;

		memcpy(&nh, b->img + off, sizeof(nh));
		name_off = off + sizeof(nh);
		desc_off = name_off + HVN_ALIGN_UP((uint64_t)nh.n_namesz, 4);
		next = desc_off + HVN_ALIGN_UP((uint64_t)nh.n_descsz, 4);
		/* A note may omit the padding of its last descriptor. */
		if (desc_off + nh.n_descsz > end)
			return fail(b, -ENOEXEC, "the kernel %s is malformed: an ELF note runs past "
				    "its segment", b->cfg->kernel);
		if (nh.n_namesz == 4 && memcmp(b->img + name_off, "Xen", 4) == 0 &&
		    nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY) {
			uint64_t e;

			if (nh.n_descsz == 4) {
				uint32_t e32;

				memcpy(&e32, b->img + desc_off, 4);
				e = e32;
			} else if (nh.n_descsz == 8) {
				memcpy(&e, b->img + desc_off, 8);
			} else {
				return fail(b, -ENOEXEC, "the kernel %s is malformed: its PVH entry "
					    "note has %u bytes (4 or 8 expected)", b->cfg->kernel,
					    nh.n_descsz);
			}
			if (e >= (1ull << 32))
				return fail(b, -ENOEXEC, "the kernel %s has a PVH entry point above "
					    "4 GiB (0x%llx)", b->cfg->kernel, (unsigned long long)e);
			ei->pvh = true;
			ei->pvh_entry = e;
			return 0;
		}
		if (next >= end)
			break;
		off = next;
	}
	return 0;
}

static int elf_parse(struct boot *b, struct elf_info *ei)
{
	const char *path = b->cfg->kernel;
	Elf64_Ehdr *eh = &ei->eh;
	unsigned int nr_load = 0;
	int rc;

	if (b->img_len < sizeof(*eh))
		return fail(b, -ENOEXEC, "the kernel %s is truncated: %zu bytes, shorter than an "
			    "ELF header", path, b->img_len);
	memcpy(eh, b->img, sizeof(*eh));
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return fail(b, -ENOEXEC, "the kernel %s is an ELF file but not x86-64 (ELF64, "
			    "little-endian, EM_X86_64): build it for x86-64", path);
	if (eh->e_type != ET_EXEC)
		return fail(b, -ENOEXEC, "the kernel %s is not an ELF executable (e_type %u): link "
			    "it as a static, non-PIE executable", path, eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_PHDRS_MAX)
		return fail(b, -ENOEXEC, "the kernel %s has an unusable program header table "
			    "(%u entries of %u bytes; 1-%u of %zu expected)", path, eh->e_phnum,
			    eh->e_phentsize, ELF_PHDRS_MAX, sizeof(Elf64_Phdr));
	if (eh->e_phoff > b->img_len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > b->img_len - eh->e_phoff)
		return fail(b, -ENOEXEC, "the kernel %s is truncated: its program headers end past "
			    "the end of the file (%zu bytes)", path, b->img_len);

	ei->end = 0;
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t end;

		elf_phdr(b, eh, i, &ph);
		if (ph.p_type == PT_NOTE) {
			if (!ei->pvh) {
				rc = elf_find_pvh(b, &ph, ei);
				if (rc)
					return rc;
			}
			continue;
		}
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		nr_load++;
		if (ph.p_filesz > ph.p_memsz)
			return fail(b, -ENOEXEC, "the kernel %s is malformed: segment %u has more "
				    "file bytes than memory bytes", path, i);
		if (ph.p_offset > b->img_len || ph.p_filesz > b->img_len - ph.p_offset)
			return fail(b, -ENOEXEC, "the kernel %s is truncated: segment %u needs bytes "
				    "up to %llu, the file has %zu", path, i,
				    (unsigned long long)(ph.p_offset + ph.p_filesz), b->img_len);
		if (ph.p_paddr + ph.p_memsz < ph.p_paddr ||
		    !hv_partition_gpa(b->p, ph.p_paddr, ph.p_memsz))
			return fail(b, -ENOMEM, "the kernel %s: segment %u [0x%llx, 0x%llx) lies "
				    "outside the partition's %llu MiB of memory: give it more memory "
				    "or link the image lower", path, i,
				    (unsigned long long)ph.p_paddr,
				    (unsigned long long)(ph.p_paddr + ph.p_memsz),
				    (unsigned long long)(b->mem_size / MIB));
		end = ph.p_paddr + ph.p_memsz;
		if (overlaps(ph.p_paddr, end, HV_GDT_GPA, HV_BOOT_RESERVED_END))
			return fail(b, -ENOEXEC, "the kernel %s: segment %u [0x%llx, 0x%llx) overlaps "
				    "the boot page tables at 0x%llx-0x%llx: link it above 0x%llx",
				    path, i, (unsigned long long)ph.p_paddr, (unsigned long long)end,
				    (unsigned long long)HV_GDT_GPA,
				    (unsigned long long)HV_BOOT_RESERVED_END,
				    (unsigned long long)HV_BOOT_RESERVED_END);
		if (overlaps(ph.p_paddr, end, HV_BOOT_HOLE_START, HV_BOOT_HOLE_END))
			return fail(b, -ENOEXEC, "the kernel %s: segment %u [0x%llx, 0x%llx) overlaps "
				    "the legacy hole 0x9fc00-0x100000 (ACPI tables): link it at "
				    "1 MiB or above", path, i, (unsigned long long)ph.p_paddr,
				    (unsigned long long)end);
		mark_used(b, ph.p_paddr, end);
		ei->end = HVN_MAX(ei->end, end);
	}
	if (!nr_load)
		return fail(b, -ENOEXEC, "the kernel %s has no loadable segment: not a kernel", path);
	return 0;
}

static bool elf_entry_loaded(struct boot *b, const struct elf_info *ei, uint64_t entry)
{
	for (unsigned int i = 0; i < ei->eh.e_phnum; i++) {
		Elf64_Phdr ph;

		elf_phdr(b, &ei->eh, i, &ph);
		if (ph.p_type == PT_LOAD && entry >= ph.p_paddr && entry - ph.p_paddr < ph.p_memsz)
			return true;
	}
	return false;
}

static int elf_copy(struct boot *b, const struct elf_info *ei)
{
	for (unsigned int i = 0; i < ei->eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		elf_phdr(b, &ei->eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		dst = hv_partition_gpa(b->p, ph.p_paddr, ph.p_memsz);   /* checked in parse */
		if (!dst)
			return fail(b, -ENOMEM, "internal: segment %u outside guest memory", i);
		memcpy(dst, b->img + ph.p_offset, ph.p_filesz);
		/* bss: guest memory may hold an earlier image's bytes. */
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}
	return 0;
}

static int place_cmdline(struct boot *b, size_t max, const char *who, uint64_t *gpa)
{
	int rc;

	if (b->cmdline_len > max)
		return fail(b, -E2BIG, "the command line is %zu bytes; %s takes at most %zu: "
			    "shorten it", b->cmdline_len, who, max);
	rc = place_low(b, "command line", b->cmdline_len + 1, 16, gpa);
	if (rc)
		return rc;
	return copy_to_guest(b, *gpa, b->cmdline, b->cmdline_len + 1);
}

/* PVH: xen/include/public/arch-x86/hvm/start_info.h and Linux's
 * arch/x86/platform/pvh/head.S: 32-bit flat protected mode, paging off,
 * %ebx = physical address of hvm_start_info. */
static int load_pvh(struct boot *b, struct elf_info *ei, struct hv_entry *entry)
{
	struct hvm_memmap_table_entry mm[4];
	struct hvm_start_info si;
	struct hvm_modlist_entry mod;
	uint64_t si_gpa, mod_gpa = 0, mm_gpa, cmd_gpa, stack_gpa;
	uint64_t initrd_gpa = 0, initrd_size = 0;
	struct memmap m;
	int rc;

	if (!elf_entry_loaded(b, ei, ei->pvh_entry))
		return fail(b, -ENOEXEC, "the kernel %s is malformed: its PVH entry point 0x%llx is "
			    "outside every loaded segment", b->cfg->kernel,
			    (unsigned long long)ei->pvh_entry);
	rc = elf_copy(b, ei);
	if (rc)
		return rc;
	if (b->cfg->initrd) {
		rc = load_initrd(b, HVN_MAX(ei->end, HV_BOOT_HOLE_END), b->mem_size,
				 "the end of memory", &initrd_gpa, &initrd_size);
		if (rc)
			return rc;
	}

	rc = place_cmdline(b, PVH_CMDLINE_MAX, "Linux", &cmd_gpa);
	if (!rc)
		rc = place_low(b, "PVH start info", sizeof(si), 16, &si_gpa);
	if (!rc)
		rc = place_low(b, "PVH memory map", sizeof(mm), 16, &mm_gpa);
	if (!rc && b->cfg->initrd)
		rc = place_low(b, "PVH module list", sizeof(mod), 16, &mod_gpa);
	if (!rc)
		rc = place_low(b, "boot stack", BOOT_STACK_SIZE, 16, &stack_gpa);
	if (rc)
		return rc;

	build_memmap(b->mem_size, &m);
	memset(mm, 0, sizeof(mm));
	for (unsigned int i = 0; i < m.n; i++) {
		mm[i].addr = m.e[i].addr;
		mm[i].size = m.e[i].size;
		mm[i].type = m.e[i].type;
	}
	memset(&si, 0, sizeof(si));
	si.magic = HVM_START_MAGIC;
	si.version = 1;
	si.cmdline_paddr = cmd_gpa;
	si.rsdp_paddr = b->cfg->rsdp_gpa;
	si.memmap_paddr = mm_gpa;
	si.memmap_entries = m.n;
	if (b->cfg->initrd) {
		memset(&mod, 0, sizeof(mod));
		mod.paddr = initrd_gpa;
		mod.size = initrd_size;
		si.nr_modules = 1;
		si.modlist_paddr = mod_gpa;
		rc = copy_to_guest(b, mod_gpa, &mod, sizeof(mod));
		if (rc)
			return rc;
	}
	rc = copy_to_guest(b, mm_gpa, mm, sizeof(mm));
	if (!rc)
		rc = copy_to_guest(b, si_gpa, &si, sizeof(si));
	if (rc)
		return rc;

	entry->mode = HV_ENTRY_PROT32;
	entry->rip = ei->pvh_entry;
	entry->rbx = si_gpa;
	entry->rsp = stack_gpa + BOOT_STACK_SIZE;   /* head.S sets its own; harmless */
	return 0;
}

/* hvnet's freestanding test guests: long mode at e_entry, %rsi = command
 * line, %rsp = 0. */
static int load_freestanding(struct boot *b, struct elf_info *ei, struct hv_entry *entry)
{
	uint64_t cmd_gpa;
	int rc;

	if (b->cfg->initrd)
		return fail(b, -EINVAL, "the kernel %s is a freestanding test guest (an ELF without "
			    "a PVH note), whose protocol has no initrd: drop the initrd",
			    b->cfg->kernel);
	if (!elf_entry_loaded(b, ei, ei->eh.e_entry))
		return fail(b, -ENOEXEC, "the kernel %s: its entry point 0x%llx is outside every "
			    "loaded segment: link the guest at its physical address",
			    b->cfg->kernel, (unsigned long long)ei->eh.e_entry);
	rc = elf_copy(b, ei);
	if (!rc)
		rc = place_cmdline(b, ELF_CMDLINE_MAX, "a test guest", &cmd_gpa);
	if (rc)
		return rc;
	entry->mode = HV_ENTRY_LONG64;
	entry->rip = ei->eh.e_entry;
	entry->rsp = 0;
	entry->rsi = cmd_gpa;
	return 0;
}

static int load_elf(struct boot *b, struct hv_entry *entry)
{
	struct elf_info ei;
	int rc;

	memset(&ei, 0, sizeof(ei));
	rc = elf_parse(b, &ei);
	if (rc)
		return rc;
	return ei.pvh ? load_pvh(b, &ei, entry) : load_freestanding(b, &ei, entry);
}

/* ---- bzImage: Documentation/arch/x86/boot.rst, 64-bit boot protocol ---- */

static int load_bzimage(struct boot *b, struct hv_entry *entry)
{
	const char *path = b->cfg->kernel;
	struct bz_setup_header h;
	struct bz_boot_params *bp;
	uint64_t setup_sects, pm_off, pm_size, init_size, load, run, kend, align;
	uint64_t bp_gpa, cmd_gpa, stack_gpa, initrd_gpa = 0, initrd_size = 0, hdr_end;
	struct memmap m;
	int rc;

	if (b->img_len < 0x26c)
		return fail(b, -ENOEXEC, "the kernel %s is truncated: %zu bytes, shorter than the "
			    "bzImage setup header", path, b->img_len);
	memcpy(&h, b->img + BZ_HDR_OFF, sizeof(h));
	if (h.version < BZ_MIN_VERSION)
		return fail(b, -ENOEXEC, "the kernel %s speaks boot protocol %u.%02u; hvnet needs "
			    "2.12 or later (Linux 3.8+) for the 64-bit entry", path,
			    h.version >> 8, h.version & 0xff);
	if (!(h.xloadflags & BZ_XLF_KERNEL_64))
		return fail(b, -ENOEXEC, "the kernel %s has no 64-bit entry point "
			    "(XLF_KERNEL_64 clear): use an x86-64 kernel", path);
	if (!(h.loadflags & BZ_LOADED_HIGH))
		return fail(b, -ENOEXEC, "the kernel %s is a zImage (not LOADED_HIGH): use a "
			    "bzImage", path);

	setup_sects = h.setup_sects ? h.setup_sects : 4;
	pm_off = (setup_sects + 1) * 512;
	if (pm_off >= b->img_len)
		return fail(b, -ENOEXEC, "the kernel %s is truncated: the protected-mode kernel "
			    "should start at byte %llu, the file has %zu", path,
			    (unsigned long long)pm_off, b->img_len);
	pm_size = b->img_len - pm_off;
	if ((uint64_t)h.syssize * 16 > pm_size)
		return fail(b, -ENOEXEC, "the kernel %s is truncated: its header says %llu bytes "
			    "of protected-mode code, the file has %llu", path,
			    (unsigned long long)h.syssize * 16, (unsigned long long)pm_size);
	if (pm_size <= BZ_ENTRY64_OFF)
		return fail(b, -ENOEXEC, "the kernel %s is truncated: no code at the 64-bit "
			    "entry", path);
	align = h.kernel_alignment;
	if (h.relocatable_kernel && (align < HVN_PAGE_SIZE || (align & (align - 1))))
		return fail(b, -ENOEXEC, "the kernel %s is malformed: kernel_alignment 0x%llx is "
			    "not a power of two", path, (unsigned long long)align);
	init_size = HVN_MAX((uint64_t)h.init_size, pm_size);

	/* Where it is loaded, and where it will decompress and run: a
	 * relocatable kernel moves up to an aligned address no lower than
	 * its LOAD_PHYSICAL_ADDR (pref_address), a fixed one to
	 * pref_address. Everything in between up to init_size is its. */
	load = HV_BOOT_HOLE_END;
	if (h.relocatable_kernel && h.pref_address >= HV_BOOT_HOLE_END &&
	    !(h.pref_address & (align - 1)) && h.pref_address <= b->mem_size &&
	    init_size <= b->mem_size - h.pref_address)
		load = h.pref_address;
	run = h.relocatable_kernel ? HVN_ALIGN_UP(load, align) : load;
	if (h.pref_address > run)
		run = h.pref_address;
	if (run > b->mem_size || init_size > b->mem_size - run)
		return fail(b, -ENOMEM, "the kernel %s needs memory up to %llu MiB (it runs at "
			    "0x%llx and needs %llu MiB there) but the partition has %llu MiB: give "
			    "it more memory", path,
			    (unsigned long long)((run + init_size + MIB - 1) / MIB),
			    (unsigned long long)run, (unsigned long long)((init_size + MIB - 1) / MIB),
			    (unsigned long long)(b->mem_size / MIB));
	kend = HVN_MAX(load + pm_size, run + init_size);
	mark_used(b, load, kend);

	rc = copy_to_guest(b, load, b->img + pm_off, pm_size);
	if (rc)
		return rc;
	if (b->cfg->initrd) {
		uint64_t top = HVN_MIN(b->mem_size, (uint64_t)h.initrd_addr_max + 1);

		rc = load_initrd(b, kend, top,
				 top < b->mem_size ? "the kernel's initrd_addr_max" : "the end of memory",
				 &initrd_gpa, &initrd_size);
		if (rc)
			return rc;
	}

	rc = place_low(b, "boot_params", sizeof(*bp), HVN_PAGE_SIZE, &bp_gpa);
	if (!rc)
		rc = place_cmdline(b, h.cmdline_size, "this kernel (cmdline_size)", &cmd_gpa);
	if (!rc)
		rc = place_low(b, "boot stack", BOOT_STACK_SIZE, 16, &stack_gpa);
	if (rc)
		return rc;

	bp = hv_partition_gpa(b->p, bp_gpa, sizeof(*bp));
	if (!bp)
		return fail(b, -ENOMEM, "internal: boot_params outside guest memory");
	memset(bp, 0, sizeof(*bp));
	/* The header runs to 0x202 + the byte at 0x201 (boot.rst, 64-bit
	 * protocol); never past the header's room in boot_params. */
	hdr_end = HVN_MIN(0x202ull + b->img[0x201], (uint64_t)__builtin_offsetof(
				struct bz_boot_params, edd_mbr_sig_buffer));
	memcpy((uint8_t *)bp + BZ_HDR_OFF, b->img + BZ_HDR_OFF, hdr_end - BZ_HDR_OFF);

	bp->hdr.type_of_loader = 0xff;    /* undefined loader */
	bp->hdr.cmd_line_ptr = (uint32_t)cmd_gpa;
	bp->hdr.ramdisk_image = (uint32_t)initrd_gpa;
	bp->hdr.ramdisk_size = (uint32_t)initrd_size;
	bp->hdr.setup_data = 0;
	bp->hdr.code32_start = (uint32_t)load;
	/* Read by any kernel that knows the field (4.20+) whatever the
	 * protocol version it reports; 0 makes Linux scan 0xE0000 for it. */
	bp->acpi_rsdp_addr = b->cfg->rsdp_gpa;
	build_memmap(b->mem_size, &m);
	for (unsigned int i = 0; i < m.n; i++)
		bp->e820_table[i] = m.e[i];
	bp->e820_entries = (uint8_t)m.n;

	entry->mode = HV_ENTRY_LONG64;
	entry->rip = load + BZ_ENTRY64_OFF;
	entry->rsi = bp_gpa;
	entry->rsp = stack_gpa + BOOT_STACK_SIZE;
	return 0;
}

/* ---- Entry point ---- */

int hv_boot_load(struct hv_partition *p, const struct hv_boot_config *cfg,
		 struct hv_entry *entry, char *err, size_t errlen)
{
	struct boot b;
	uint8_t *img = NULL;
	uint32_t hdrs;
	int rc;

	memset(&b, 0, sizeof(b));
	b.p = p;
	b.cfg = cfg;
	b.err = err;
	b.errlen = errlen;
	if (err && errlen)
		err[0] = '\0';
	if (!p || !cfg || !entry || !cfg->kernel)
		return fail(&b, -EINVAL, "no kernel given");
	b.mem_size = hv_partition_mem(p)->size;
	if (b.mem_size < HV_BOOT_HOLE_END * 2)
		return fail(&b, -ENOMEM, "the partition has too little memory to boot a kernel");
	b.cmdline = cfg->cmdline ? cfg->cmdline : "";
	b.cmdline_len = strlen(b.cmdline);
	memset(entry, 0, sizeof(*entry));

	rc = read_kernel(&b, &img, &b.img_len);
	if (rc)
		return rc;
	b.img = img;

	if (b.img_len >= SELFMAG && memcmp(img, ELFMAG, SELFMAG) == 0) {
		rc = load_elf(&b, entry);
	} else if (b.img_len >= 0x206 && (memcpy(&hdrs, img + 0x202, 4), hdrs == BZ_HDRS_MAGIC)) {
		rc = load_bzimage(&b, entry);
	} else if (b.img_len >= sizeof(xz_magic) && memcmp(img, xz_magic, sizeof(xz_magic)) == 0) {
		rc = fail(&b, -ENOEXEC, "the kernel %s is an xz stream, not a kernel: decompress "
			  "it (unxz) or pass the vmlinuz it came from", cfg->kernel);
	} else {
		rc = fail(&b, -ENOEXEC, "the kernel %s is not a kernel hvnet can boot: neither an "
			  "ELF64 image (vmlinux, a test guest) nor a bzImage (\"HdrS\" at 0x202)",
			  cfg->kernel);
	}
	free(img);
	if (rc)
		memset(entry, 0, sizeof(*entry));
	return rc;
}
