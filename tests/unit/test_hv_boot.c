/* hv_boot_load() against real partitions: images built here byte by byte
 * (a freestanding test-guest ELF, a PVH ELF, a bzImage), loaded, checked
 * in guest memory against the specs' offsets (not the loader's structs),
 * then run far enough to prove the entry registers: each image's first
 * instructions read what the loader passed and report it through the
 * debug-exit port. Then every malformed or oversized input the loader
 * must refuse, each with a one-line message. Skips without /dev/kvm. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/hv.h"
#include "hv/hv_boot.h"
#include "tests/harness/hvn_test.h"

#define MEM (64ull << 20)
#define HVN_TEST_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RSDP 0xE0000ull

static char dir[64];

static struct hv_partition *part_new(uint64_t mem)
{
	struct hv_partition_config cfg = { .name = "boot-test", .mem_bytes = mem, .nr_vps = 1 };
	struct hv_partition *p;
	const char *msg = NULL;
	int rc;

	rc = hv_partition_create(&cfg, &p, &msg);
	if (rc == -ENOENT || rc == -EACCES || rc == -EPERM)
		T_SKIP("no usable /dev/kvm: %s", msg ? msg : "");
	if (rc)
		T_FAIL("hv_partition_create: %d (%s)", rc, msg ? msg : "");
	return p;
}

static uint8_t *g(struct hv_partition *p, uint64_t gpa, uint64_t len)
{
	uint8_t *h = hv_partition_gpa(p, gpa, len);

	T_ASSERT(h != NULL);
	return h;
}

static uint64_t rd(struct hv_partition *p, uint64_t gpa, unsigned int n)
{
	uint64_t v = 0;

	memcpy(&v, g(p, gpa, n), n);
	return v;
}

static const char *path_of(const char *name)
{
	static char buf[4][512];
	static unsigned int i;
	char *b = buf[i++ % 4];

	snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
	return b;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
	const char *path = path_of(name);
	FILE *f = fopen(path, "wb");

	T_ASSERT(f != NULL);
	T_EQ(fwrite(data, 1, len, f), len);
	T_EQ(fclose(f), 0);
	return path;
}

/* Runs the partition from *e and returns its debug-exit code, or -1 for
 * any other stop. */
static int run(struct hv_partition *p, const struct hv_entry *e)
{
	struct hv_run_result res;

	T_EQ(hv_partition_set_entry(p, e), 0);
	memset(&res, 0, sizeof(res));
	T_EQ(hv_partition_run(p, &res), 0);
	if (res.reason != HV_EXIT_POWEROFF) {
		fprintf(stderr, "guest stopped: reason %d code %d rip 0x%llx: %s\n", res.reason,
			res.code, (unsigned long long)res.rip, res.detail);
		return -1;
	}
	return res.code;
}

/* ---- Image builders ---- */

struct img {
	uint8_t b[1 << 16];
	size_t len;
};

static void put(struct img *im, size_t off, const void *p, size_t n)
{
	T_ASSERT(off + n <= sizeof(im->b));
	memcpy(im->b + off, p, n);
	if (off + n > im->len)
		im->len = off + n;
}

static void put_le(struct img *im, size_t off, uint64_t v, unsigned int n)
{
	put(im, off, &v, n);
}

struct seg {
	uint32_t type;
	uint64_t paddr;
	const void *data;
	size_t filesz;
	uint64_t memsz;
};

/* ELF64 header at 0, program headers at 64, segment bytes from 0x1000. */
static void make_elf(struct img *im, uint64_t entry, const struct seg *s, unsigned int n)
{
	Elf64_Ehdr eh;
	size_t data = 0x1000;

	memset(im, 0, sizeof(*im));
	memset(&eh, 0, sizeof(eh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_entry = entry;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(Elf64_Phdr);
	eh.e_phnum = (uint16_t)n;
	put(im, 0, &eh, sizeof(eh));
	for (unsigned int i = 0; i < n; i++) {
		Elf64_Phdr ph = {
			.p_type = s[i].type, .p_flags = PF_R | PF_W | PF_X, .p_offset = data,
			.p_vaddr = s[i].paddr, .p_paddr = s[i].paddr, .p_filesz = s[i].filesz,
			.p_memsz = s[i].memsz, .p_align = 0x1000,
		};

		put(im, sizeof(eh) + i * sizeof(ph), &ph, sizeof(ph));
		if (s[i].filesz)
			put(im, data, s[i].data, s[i].filesz);
		data = (data + s[i].filesz + 0xfff) & ~(size_t)0xfff;
	}
}

static void set_phdr_field(struct img *im, unsigned int i, size_t field_off, uint64_t v)
{
	put_le(im, sizeof(Elf64_Ehdr) + i * sizeof(Elf64_Phdr) + field_off, v, 8);
}

/* A note: name "Xen" (or other), type, descriptor. */
static size_t make_note(uint8_t *out, const char *name, uint32_t type, const void *desc,
			uint32_t descsz)
{
	uint32_t namesz = (uint32_t)strlen(name) + 1;
	size_t off = 0;

	memcpy(out, &namesz, 4);
	memcpy(out + 4, &descsz, 4);
	memcpy(out + 8, &type, 4);
	off = 12;
	memset(out + off, 0, (namesz + 3) & ~3u);
	memcpy(out + off, name, namesz);
	off += (namesz + 3) & ~3u;
	memset(out + off, 0, (descsz + 3) & ~3u);
	memcpy(out + off, desc, descsz);
	off += (descsz + 3) & ~3u;
	return off;
}

/* freestanding guest: movzbl (%rsi),%eax; out %al,$0xf4; hlt */
static const uint8_t code_cmdline[] = { 0x0f, 0xb6, 0x06, 0xe6, 0xf4, 0xf4 };
/* bzImage startup_64: movzbl 0x210(%rsi),%eax (type_of_loader); out; hlt */
static const uint8_t code_bz[] = { 0x0f, 0xb6, 0x86, 0x10, 0x02, 0x00, 0x00, 0xe6, 0xf4, 0xf4 };
/* PVH, 32-bit: mov (%ebx),%eax; cmp $HVM_START_MAGIC,%eax; jne 1f;
 * mov $0x50,%al; out; hlt; 1: mov $0x51,%al; out; hlt */
static const uint8_t code_pvh[] = {
	0x8b, 0x03, 0x3d, 0x78, 0xc5, 0x6e, 0x33, 0x75, 0x05,
	0xb0, 0x50, 0xe6, 0xf4, 0xf4, 0xb0, 0x51, 0xe6, 0xf4, 0xf4,
};

static void make_freestanding(struct img *im)
{
	static uint8_t data[64];
	struct seg s[] = {
		{ PT_LOAD, 0x100000, code_cmdline, sizeof(code_cmdline), sizeof(code_cmdline) },
		/* data with bss: 64 file bytes, 8 KiB in memory */
		{ PT_LOAD, 0x200000, data, sizeof(data), 0x2000 },
	};

	memset(data, 0xab, sizeof(data));
	make_elf(im, 0x100000, s, 2);
}

#define PVH_PADDR 0x1000000ull
#define PVH_ENTRY (PVH_PADDR + 0x40)

static void make_pvh(struct img *im, uint32_t note_descsz)
{
	static uint8_t text[0x100], notes[128];
	uint64_t entry = PVH_ENTRY;
	uint32_t gnu[4] = { 0, 1, 2, 3 };
	size_t n;
	struct seg s[3];

	memset(text, 0x90, sizeof(text));
	memcpy(text + 0x40, code_pvh, sizeof(code_pvh));
	/* A foreign note first: the loader must walk past it. */
	n = make_note(notes, "GNU", 1, gnu, sizeof(gnu));
	n += make_note(notes + n, "Xen", 18, &entry, note_descsz);
	s[0] = (struct seg){ PT_NOTE, 0, notes, n, 0 };
	s[1] = (struct seg){ PT_LOAD, PVH_PADDR, text, sizeof(text), 0x4000 };
	s[2] = (struct seg){ PT_NOTE, 0, notes, n, 0 };
	make_elf(im, 0xffffffff81000000ull, s, 3);
}

/* Documentation/arch/x86/boot.rst offsets. */
#define BZ_SETUP_SECTS 0x1f1
#define BZ_SYSSIZE 0x1f4
#define BZ_BOOT_FLAG 0x1fe
#define BZ_JUMP 0x200
#define BZ_HEADER 0x202
#define BZ_VERSION 0x206
#define BZ_TYPE_OF_LOADER 0x210
#define BZ_LOADFLAGS 0x211
#define BZ_RAMDISK_IMAGE 0x218
#define BZ_RAMDISK_SIZE 0x21c
#define BZ_CMD_LINE_PTR 0x228
#define BZ_INITRD_ADDR_MAX 0x22c
#define BZ_KERNEL_ALIGNMENT 0x230
#define BZ_RELOCATABLE 0x234
#define BZ_XLOADFLAGS 0x236
#define BZ_CMDLINE_SIZE 0x238
#define BZ_PREF_ADDRESS 0x258
#define BZ_INIT_SIZE 0x260
/* zero-page.rst */
#define BP_ACPI_RSDP 0x070
#define BP_E820_ENTRIES 0x1e8
#define BP_E820_TABLE 0x2d0

#define BZ_PREF 0x1000000ull
#define BZ_PM_OFF (5 * 512)     /* setup_sects 4 */
#define BZ_PM_SIZE 0x1000

static void make_bzimage(struct img *im, uint16_t version, uint16_t xloadflags)
{
	uint8_t pm[BZ_PM_SIZE];

	memset(im, 0, sizeof(*im));
	put_le(im, BZ_SETUP_SECTS, 4, 1);
	put_le(im, BZ_SYSSIZE, BZ_PM_SIZE / 16, 4);
	put_le(im, BZ_BOOT_FLAG, 0xaa55, 2);
	put_le(im, BZ_JUMP, 0xeb | (0x26c - 0x202) << 8, 2);   /* header ends at 0x26c */
	put(im, BZ_HEADER, "HdrS", 4);
	put_le(im, BZ_VERSION, version, 2);
	put_le(im, BZ_LOADFLAGS, 0x01, 1);                      /* LOADED_HIGH */
	put_le(im, BZ_INITRD_ADDR_MAX, 0x7fffffff, 4);
	put_le(im, BZ_KERNEL_ALIGNMENT, 0x200000, 4);
	put_le(im, BZ_RELOCATABLE, 1, 1);
	put_le(im, BZ_XLOADFLAGS, xloadflags, 2);
	put_le(im, BZ_CMDLINE_SIZE, 2047, 4);
	put_le(im, BZ_PREF_ADDRESS, BZ_PREF, 8);
	put_le(im, BZ_INIT_SIZE, 0x400000, 4);
	memset(pm, 0x90, sizeof(pm));
	memcpy(pm + 0x200, code_bz, sizeof(code_bz));
	put(im, BZ_PM_OFF, pm, sizeof(pm));
}

static const char *write_initrd(size_t len)
{
	static uint8_t buf[10000];

	T_ASSERT(len <= sizeof(buf));
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + 1);
	return write_file("initrd", buf, len);
}

static bool initrd_ok(struct hv_partition *p, uint64_t gpa, size_t len)
{
	const uint8_t *h = g(p, gpa, len);

	for (size_t i = 0; i < len; i++)
		if (h[i] != (uint8_t)(i * 7 + 1))
			return false;
	return true;
}

static int load(struct hv_partition *p, const char *kernel, const char *initrd,
		const char *cmdline, struct hv_entry *e, char *err, size_t errlen)
{
	struct hv_boot_config c = { .kernel = kernel, .initrd = initrd, .cmdline = cmdline,
				    .rsdp_gpa = RSDP };

	return hv_boot_load(p, &c, e, err, errlen);
}

/* The memory map both PVH and bzImage get (hv_boot.h). */
static void check_memmap(struct hv_partition *p, uint64_t at, unsigned int stride, unsigned int n)
{
	static const struct { uint64_t addr, size; uint32_t type; } want[] = {
		{ 0, 0x9fc00, 1 },
		{ 0x9fc00, 0x100000 - 0x9fc00, 2 },
		{ 0x100000, MEM - 0x100000, 1 },
		{ 0xfec00000, 0x100000000ull - 0xfec00000, 2 },
	};

	T_EQ(n, 4);
	for (unsigned int i = 0; i < 4; i++) {
		T_EQ(rd(p, at + i * stride, 8), want[i].addr);
		T_EQ(rd(p, at + i * stride + 8, 8), want[i].size);
		T_EQ(rd(p, at + i * stride + 16, 4), want[i].type);
	}
}

/* ---- Cases: images that load and run ---- */

static void freestanding_loads_and_runs(void)
{
	struct hv_partition *p = part_new(MEM);
	struct hv_entry e;
	struct img im;
	char err[256];

	make_freestanding(&im);
	/* Old bytes where bss goes: the loader must clear them. */
	memset(g(p, 0x200000, 0x2000), 0xee, 0x2000);
	T_EQ(load(p, write_file("guest.elf", im.b, im.len), NULL, "hello world", &e, err,
		  sizeof(err)), 0);
	T_EQ(e.mode, HV_ENTRY_LONG64);
	T_EQ(e.rip, 0x100000);
	T_EQ(e.rsp, 0);
	T_ASSERT(e.rsi >= HV_BOOT_RESERVED_END && e.rsi + 12 <= HV_BOOT_LOW_END);
	T_EQ(strcmp((char *)g(p, e.rsi, 12), "hello world"), 0);
	T_EQ(memcmp(g(p, 0x100000, sizeof(code_cmdline)), code_cmdline, sizeof(code_cmdline)), 0);
	T_EQ(g(p, 0x200000, 64)[63], 0xab);
	for (unsigned int i = 64; i < 0x2000; i++)
		T_EQ(g(p, 0x200000, 0x2000)[i], 0);
	T_EQ(run(p, &e), 'h');
	hv_partition_destroy(p);

	/* An empty command line is a NUL at %rsi. */
	p = part_new(MEM);
	T_EQ(load(p, path_of("guest.elf"), NULL, NULL, &e, err, sizeof(err)), 0);
	T_EQ(run(p, &e), 0);
	hv_partition_destroy(p);
}

static void pvh_loads_and_runs(void)
{
	struct hv_partition *p = part_new(MEM);
	uint64_t si, mod, mm;
	struct hv_entry e;
	struct img im;
	char err[256];

	make_pvh(&im, 8);
	T_EQ(load(p, write_file("vmlinux", im.b, im.len), write_initrd(5000),
		  "console=ttyS0 root=/dev/ram0", &e, err, sizeof(err)), 0);
	T_EQ(e.mode, HV_ENTRY_PROT32);
	T_EQ(e.rip, PVH_ENTRY);
	si = e.rbx;
	T_ASSERT(si >= HV_BOOT_RESERVED_END && si + 56 <= HV_BOOT_LOW_END);
	/* xen/include/public/arch-x86/hvm/start_info.h */
	T_EQ(rd(p, si + 0, 4), 0x336ec578);
	T_EQ(rd(p, si + 4, 4), 1);                      /* version */
	T_EQ(rd(p, si + 12, 4), 1);                     /* nr_modules */
	T_EQ(rd(p, si + 32, 8), RSDP);                  /* rsdp_paddr */
	T_EQ(strcmp((char *)g(p, rd(p, si + 24, 8), 29), "console=ttyS0 root=/dev/ram0"), 0);
	mod = rd(p, si + 16, 8);
	T_ASSERT(rd(p, mod, 8) % 4096 == 0);
	T_EQ(rd(p, mod + 8, 8), 5000);
	T_ASSERT(rd(p, mod, 8) >= PVH_PADDR + 0x4000);  /* above the kernel */
	T_ASSERT(rd(p, mod, 8) + 5000 <= MEM);
	T_ASSERT(rd(p, mod, 8) + 5000 > MEM - 8192);    /* as high as it goes */
	T_ASSERT(initrd_ok(p, rd(p, mod, 8), 5000));
	mm = rd(p, si + 40, 8);
	check_memmap(p, mm, 24, (unsigned int)rd(p, si + 48, 4));
	T_EQ(memcmp(g(p, PVH_ENTRY, sizeof(code_pvh)), code_pvh, sizeof(code_pvh)), 0);
	T_EQ(run(p, &e), 0x50);
	hv_partition_destroy(p);

	/* A 4-byte entry note, no initrd. */
	p = part_new(MEM);
	make_pvh(&im, 4);
	T_EQ(load(p, write_file("vmlinux4", im.b, im.len), NULL, "", &e, err, sizeof(err)), 0);
	T_EQ(e.rip, PVH_ENTRY);
	T_EQ(rd(p, e.rbx + 12, 4), 0);
	T_EQ(run(p, &e), 0x50);
	hv_partition_destroy(p);
}

static void bzimage_loads_and_runs(void)
{
	struct hv_partition *p = part_new(MEM);
	uint64_t bp, initrd;
	struct hv_entry e;
	struct img im;
	char err[256];

	make_bzimage(&im, 0x020f, 0x1);
	T_EQ(load(p, write_file("vmlinuz", im.b, im.len), write_initrd(9000), "quiet", &e, err,
		  sizeof(err)), 0);
	T_EQ(e.mode, HV_ENTRY_LONG64);
	T_EQ(e.rip, BZ_PREF + 0x200);                   /* relocatable and fits: pref_address */
	bp = e.rsi;
	T_ASSERT(bp % 4096 == 0 && bp >= HV_BOOT_RESERVED_END && bp + 4096 <= HV_BOOT_LOW_END);
	T_EQ(memcmp(g(p, BZ_PREF, BZ_PM_SIZE), im.b + BZ_PM_OFF, BZ_PM_SIZE), 0);
	/* The setup header is copied... */
	T_EQ(memcmp(g(p, bp + BZ_HEADER, 4), "HdrS", 4), 0);
	T_EQ(rd(p, bp + BZ_VERSION, 2), 0x020f);
	T_EQ(rd(p, bp + BZ_PREF_ADDRESS, 8), BZ_PREF);
	/* ... and the loader's fields filled. */
	T_EQ(rd(p, bp + BZ_TYPE_OF_LOADER, 1), 0xff);
	T_EQ(strcmp((char *)g(p, rd(p, bp + BZ_CMD_LINE_PTR, 4), 6), "quiet"), 0);
	initrd = rd(p, bp + BZ_RAMDISK_IMAGE, 4);
	T_EQ(rd(p, bp + BZ_RAMDISK_SIZE, 4), 9000);
	T_ASSERT(initrd % 4096 == 0 && initrd >= BZ_PREF + 0x400000 && initrd + 9000 <= MEM);
	T_ASSERT(initrd_ok(p, initrd, 9000));
	T_EQ(rd(p, bp + BP_ACPI_RSDP, 8), RSDP);
	check_memmap(p, bp + BP_E820_TABLE, 20, (unsigned int)rd(p, bp + BP_E820_ENTRIES, 1));
	T_EQ(run(p, &e), 0xff);
	hv_partition_destroy(p);
}

/* ---- Cases: inputs the loader refuses ---- */

/* rc as expected, and err one non-empty line that contains 'what'. */
static void expect_fail(struct hv_partition *p, const char *kernel, const char *initrd,
			const char *cmdline, int want, const char *what)
{
	struct hv_entry e;
	char err[512];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = load(p, kernel, initrd, cmdline, &e, err, sizeof(err));
	if (rc != want || !strstr(err, what) || strchr(err, '\n') || !err[0])
		T_FAIL("%s: rc %d (want %d), message \"%s\" (want \"%s\")", kernel, rc, want, err,
		       what);
	T_EQ(e.rip, 0);
	printf("  refused as expected: %s\n", err);
}

static void bad_files(void)
{
	struct hv_partition *p = part_new(MEM);
	static const uint8_t xz[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 1, 2, 3 };
	struct img im;

	expect_fail(p, path_of("does-not-exist"), NULL, NULL, -ENOENT, "cannot open");
	expect_fail(p, dir, NULL, NULL, -EINVAL, "not a regular file");
	expect_fail(p, write_file("empty", "", 0), NULL, NULL, -ENOEXEC, "empty");
	expect_fail(p, write_file("text", "#!/bin/sh\necho hi\n", 18), NULL, NULL, -ENOEXEC,
		    "not a kernel");
	expect_fail(p, write_file("xz", xz, sizeof(xz)), NULL, NULL, -ENOEXEC, "xz");
	make_freestanding(&im);
	expect_fail(p, write_file("guest.elf", im.b, im.len), path_of("no-initrd"), NULL,
		    -EINVAL, "no initrd");
	make_pvh(&im, 8);
	expect_fail(p, write_file("vmlinux", im.b, im.len), path_of("no-initrd"), NULL,
		    -ENOENT, "cannot open the initrd");
	hv_partition_destroy(p);
}

static void bad_elf(void)
{
	struct hv_partition *p = part_new(MEM);
	struct img im;

	make_freestanding(&im);
	expect_fail(p, write_file("short", im.b, 40), NULL, NULL, -ENOEXEC, "truncated");
	/* Program headers past the end of the file. */
	expect_fail(p, write_file("phdrs", im.b, 100), NULL, NULL, -ENOEXEC, "truncated");
	/* A segment's file bytes past the end of the file. */
	expect_fail(p, write_file("seg", im.b, 0x1004), NULL, NULL, -ENOEXEC, "truncated");

	make_freestanding(&im);
	im.b[EI_CLASS] = ELFCLASS32;
	expect_fail(p, write_file("elf32", im.b, im.len), NULL, NULL, -ENOEXEC, "x86-64");

	make_freestanding(&im);
	put_le(&im, offsetof(Elf64_Ehdr, e_type), ET_DYN, 2);
	expect_fail(p, write_file("pie", im.b, im.len), NULL, NULL, -ENOEXEC, "not an ELF executable");

	make_freestanding(&im);
	put_le(&im, offsetof(Elf64_Ehdr, e_phentsize), 40, 2);
	expect_fail(p, write_file("phentsize", im.b, im.len), NULL, NULL, -ENOEXEC,
		    "program header table");

	/* p_filesz > p_memsz */
	make_freestanding(&im);
	set_phdr_field(&im, 1, offsetof(Elf64_Phdr, p_memsz), 8);
	expect_fail(p, write_file("filesz", im.b, im.len), NULL, NULL, -ENOEXEC, "malformed");

	/* Outside guest memory, and wrapping around. */
	make_freestanding(&im);
	set_phdr_field(&im, 1, offsetof(Elf64_Phdr, p_paddr), MEM - 0x1000);
	expect_fail(p, write_file("high", im.b, im.len), NULL, NULL, -ENOMEM, "outside");
	set_phdr_field(&im, 1, offsetof(Elf64_Phdr, p_paddr), ~0ull - 0x100);
	expect_fail(p, write_file("wrap", im.b, im.len), NULL, NULL, -ENOMEM, "outside");

	/* Over the partition layer's GDT and page tables. */
	make_freestanding(&im);
	set_phdr_field(&im, 1, offsetof(Elf64_Phdr, p_paddr), 0x3000);
	expect_fail(p, write_file("pt", im.b, im.len), NULL, NULL, -ENOEXEC, "page tables");
	set_phdr_field(&im, 1, offsetof(Elf64_Phdr, p_paddr), 0);
	expect_fail(p, write_file("pt0", im.b, im.len), NULL, NULL, -ENOEXEC, "page tables");

	/* Into the legacy hole where the ACPI tables are. */
	make_freestanding(&im);
	set_phdr_field(&im, 1, offsetof(Elf64_Phdr, p_paddr), 0xe0000);
	expect_fail(p, write_file("hole", im.b, im.len), NULL, NULL, -ENOEXEC, "legacy hole");

	/* An entry point nothing was loaded at. */
	make_freestanding(&im);
	put_le(&im, offsetof(Elf64_Ehdr, e_entry), 0xffffffff80100000ull, 8);
	expect_fail(p, write_file("entry", im.b, im.len), NULL, NULL, -ENOEXEC, "entry point");

	/* PVH notes: a descriptor of the wrong size, one that runs past its
	 * segment, an entry nothing was loaded at. */
	make_pvh(&im, 2);
	expect_fail(p, write_file("note2", im.b, im.len), NULL, NULL, -ENOEXEC, "PVH entry");
	make_pvh(&im, 8);
	set_phdr_field(&im, 0, offsetof(Elf64_Phdr, p_filesz), 50);
	expect_fail(p, write_file("notecut", im.b, im.len), NULL, NULL, -ENOEXEC, "note");
	set_phdr_field(&im, 0, offsetof(Elf64_Phdr, p_offset), 0x7fffffff);
	expect_fail(p, write_file("noteoff", im.b, im.len), NULL, NULL, -ENOEXEC, "note segment");
	make_pvh(&im, 8);
	set_phdr_field(&im, 1, offsetof(Elf64_Phdr, p_paddr), 0x2000000);
	expect_fail(p, write_file("pvhentry", im.b, im.len), NULL, NULL, -ENOEXEC, "PVH entry point");

	/* A command line longer than Linux keeps. */
	{
		static char longcmd[3000];

		memset(longcmd, 'a', sizeof(longcmd) - 1);
		make_pvh(&im, 8);
		expect_fail(p, write_file("vmlinux", im.b, im.len), NULL, longcmd, -E2BIG,
			    "command line");
	}
	hv_partition_destroy(p);
}

static void bad_bzimage(void)
{
	struct hv_partition *p = part_new(MEM);
	struct img im;
	int fd;

	make_bzimage(&im, 0x020f, 0x1);
	expect_fail(p, write_file("hdr", im.b, 0x250), NULL, NULL, -ENOEXEC, "truncated");
	expect_fail(p, write_file("setup", im.b, BZ_PM_OFF), NULL, NULL, -ENOEXEC, "truncated");
	expect_fail(p, write_file("cut", im.b, BZ_PM_OFF + 0x800), NULL, NULL, -ENOEXEC,
		    "truncated");

	make_bzimage(&im, 0x020a, 0x1);
	expect_fail(p, write_file("old", im.b, im.len), NULL, NULL, -ENOEXEC, "2.12");
	make_bzimage(&im, 0x020f, 0x0);
	expect_fail(p, write_file("bz32", im.b, im.len), NULL, NULL, -ENOEXEC, "64-bit");
	make_bzimage(&im, 0x020f, 0x1);
	put_le(&im, BZ_LOADFLAGS, 0, 1);
	expect_fail(p, write_file("zimage", im.b, im.len), NULL, NULL, -ENOEXEC, "zImage");
	make_bzimage(&im, 0x020f, 0x1);
	put_le(&im, BZ_KERNEL_ALIGNMENT, 0x3000, 4);
	expect_fail(p, write_file("align", im.b, im.len), NULL, NULL, -ENOEXEC, "power of two");

	/* A kernel whose init_size does not fit. */
	make_bzimage(&im, 0x020f, 0x1);
	put_le(&im, BZ_INIT_SIZE, 0x7000000, 4);
	expect_fail(p, write_file("huge", im.b, im.len), NULL, NULL, -ENOMEM, "more memory");

	/* A command line over cmdline_size. */
	make_bzimage(&im, 0x020f, 0x1);
	put_le(&im, BZ_CMDLINE_SIZE, 8, 4);
	expect_fail(p, write_file("cmdsize", im.b, im.len), NULL, "console=ttyS0", -E2BIG,
		    "cmdline_size");

	/* An initrd that does not fit above the kernel (sparse: no disk). */
	make_bzimage(&im, 0x020f, 0x1);
	fd = open(path_of("big-initrd"), O_CREAT | O_TRUNC | O_WRONLY, 0600);
	T_ASSERT(fd >= 0);
	T_EQ(ftruncate(fd, 60 << 20), 0);
	close(fd);
	expect_fail(p, write_file("vmlinuz", im.b, im.len), path_of("big-initrd"), NULL, -ENOMEM,
		    "does not fit");
	/* Nor below initrd_addr_max. */
	put_le(&im, BZ_INITRD_ADDR_MAX, 0x1400000, 4);
	expect_fail(p, write_file("vmlinuz", im.b, im.len), write_initrd(4096), NULL, -ENOMEM,
		    "initrd_addr_max");
	expect_fail(p, write_file("vmlinuz", im.b, im.len), write_file("empty-initrd", "", 0),
		    NULL, -EINVAL, "empty");
	hv_partition_destroy(p);

	/* The smallest partition: pref_address (16 MiB) is its end. */
	p = part_new(16ull << 20);
	make_bzimage(&im, 0x020f, 0x1);
	expect_fail(p, write_file("vmlinuz", im.b, im.len), NULL, NULL, -ENOMEM, "more memory");
	hv_partition_destroy(p);
}

/* ---- Case: hostile images ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: reproducible, so a failure can be replayed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

/* Valid images with random damage: bytes flipped or set to extreme
 * values in the headers, program headers and notes, and cut at random
 * lengths. Each load must succeed or fail with a one-line message; it
 * must never crash or touch memory outside the partition (ASan builds
 * check that, and the partition's memory is the only thing written). */
static void mutated_images(void)
{
	static const uint64_t extremes[] = {
		0, 1, 0xff, 0xffff, 0x7fffffff, 0xffffffff, 0x100000000ull,
		0x7fffffffffffffffull, 0xffffffffffffffffull, 0x1000, 0xfff,
	};
	struct hv_partition *p = part_new(MEM);
	static struct img base, im;
	unsigned int ok = 0, refused = 0;

	for (unsigned int round = 0; round < 900; round++) {
		struct hv_entry e;
		char err[512];
		size_t span;
		int rc;

		switch (round % 3) {
		case 0:
			make_freestanding(&base);
			break;
		case 1:
			make_pvh(&base, 8);
			break;
		default:
			make_bzimage(&base, 0x020f, 0x1);
			break;
		}
		im = base;
		/* Headers, program headers and the notes (at 0x1000). */
		span = HVN_TEST_MIN(im.len, (size_t)0x1100);
		for (unsigned int k = 1 + rng() % 4; k; k--) {
			size_t off = rng() % span;

			if (rng() % 2) {
				im.b[off] ^= (uint8_t)(1u << (rng() % 8));
			} else {
				uint64_t v = extremes[rng() % (sizeof(extremes) / sizeof(extremes[0]))];
				size_t n = HVN_TEST_MIN((size_t)(1u << (rng() % 4)), im.len - off);

				memcpy(im.b + off, &v, n);
			}
		}
		if (rng() % 4 == 0)
			im.len = rng() % im.len;
		memset(err, 'x', sizeof(err));
		rc = load(p, write_file("mutant", im.b, im.len), rng() % 2 ? write_initrd(3000) : NULL,
			  "x", &e, err, sizeof(err));
		if (rc == 0) {
			T_ASSERT(err[0] == '\0');
			T_ASSERT(e.mode == HV_ENTRY_LONG64 || e.mode == HV_ENTRY_PROT32);
			ok++;
		} else {
			if (rc >= 0 || !err[0] || strchr(err, '\n') || !memchr(err, '\0', sizeof(err)))
				T_FAIL("round %u: rc %d, message \"%.200s\"", round, rc, err);
			refused++;
		}
	}
	printf("  %u mutants loaded, %u refused\n", ok, refused);
	T_ASSERT(refused > 100);
	hv_partition_destroy(p);
}

static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			unlink(path_of(de->d_name));
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hvnet-boot-XXXXXX");
	T_ASSERT(mkdtemp(dir) != NULL);
	atexit(cleanup);
	alarm(60);
	T_RUN(freestanding_loads_and_runs);
	T_RUN(pvh_loads_and_runs);
	T_RUN(bzimage_loads_and_runs);
	T_RUN(bad_files);
	T_RUN(bad_elf);
	T_RUN(bad_bzimage);
	T_RUN(mutated_images);
	return 0;
}
