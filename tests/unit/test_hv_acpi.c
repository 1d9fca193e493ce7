/* hv_acpi_build() against real partitions: every table's signature,
 * length and checksum, the pointers between them, the FADT's fixed
 * hardware, the MADT's structures, the DSDT's AML (package lengths
 * decoded, the objects Linux looks for present), then the registers
 * themselves driven by guest code: S5 through PM1a_CNT powers off, 0xCF9
 * resets, the PM timer runs. Offsets are the ACPI 6.4 spec's, not the
 * builder's structs.
 *
 * "test_hv_acpi iasl" instead disassembles the tables with iasl (ACPICA)
 * and recompiles the DSDT: an independent parser's verdict. It skips when
 * iasl is not installed (apt-get install acpica-tools). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/hv.h"
#include "hv/hv_acpi.h"
#include "tests/harness/hvn_test.h"

#define MEM (32ull << 20)
#define CODE 0x100000ull

static struct hv_partition *part_new(unsigned int nr_vps)
{
	struct hv_partition_config cfg = { .name = "acpi-test", .mem_bytes = MEM,
					   .nr_vps = nr_vps };
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

static const uint8_t *g(struct hv_partition *p, uint64_t gpa, uint64_t len)
{
	const uint8_t *h = hv_partition_gpa(p, gpa, len);

	T_ASSERT(h != NULL);
	return h;
}

static uint64_t le(const uint8_t *b, unsigned int n)
{
	uint64_t v = 0;

	memcpy(&v, b, n);
	return v;
}

static uint8_t sum(const uint8_t *b, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *b++);
	return s;
}

/* A table at gpa: inside the ACPI area, its signature, its length at
 * least min_len, its checksum zero. Returns its length. */
static uint32_t check_table(struct hv_partition *p, uint64_t gpa, const char *sig,
			    uint32_t min_len)
{
	const uint8_t *t = g(p, gpa, 36);
	uint32_t len = (uint32_t)le(t + 4, 4);

	if (memcmp(t, sig, 4) != 0)
		T_FAIL("table at 0x%llx is \"%.4s\", want \"%s\"", (unsigned long long)gpa, t, sig);
	T_ASSERT(len >= min_len);
	T_ASSERT(gpa >= HV_ACPI_RSDP_GPA && gpa + len <= HV_ACPI_END);
	if (sum(g(p, gpa, len), len) != 0)
		T_FAIL("%s checksum", sig);
	T_EQ(memcmp(t + 10, "HVNET ", 6), 0);           /* OEMID */
	return len;
}

static uint64_t build(struct hv_partition *p, unsigned int nr_vps, bool vmbus)
{
	struct hv_acpi_config cfg = { .nr_vps = nr_vps, .vmbus = vmbus };
	uint64_t rsdp = 0;

	T_EQ(hv_acpi_build(p, &cfg, &rsdp), 0);
	T_EQ(rsdp, HV_ACPI_RSDP_GPA);
	return rsdp;
}

struct tables {
	uint64_t xsdt, fadt, facs, madt, dsdt;
	uint32_t xsdt_len, fadt_len, madt_len, dsdt_len;
};

static void find_tables(struct hv_partition *p, uint64_t rsdp_gpa, struct tables *t)
{
	const uint8_t *r = g(p, rsdp_gpa, 36);
	const uint8_t *f;

	/* ACPI 6.4 §5.2.5.3 */
	T_EQ(memcmp(r, "RSD PTR ", 8), 0);
	T_EQ(sum(r, 20), 0);
	T_EQ(sum(r, 36), 0);
	T_EQ(r[15], 2);                                 /* revision */
	T_EQ(le(r + 20, 4), 36);                        /* length */
	t->xsdt = le(r + 24, 8);
	t->xsdt_len = check_table(p, t->xsdt, "XSDT", 36 + 16);
	T_EQ((t->xsdt_len - 36) % 8, 0);
	t->fadt = t->madt = 0;
	for (uint32_t off = 36; off < t->xsdt_len; off += 8) {
		uint64_t a = le(g(p, t->xsdt + off, 8), 8);
		const uint8_t *h = g(p, a, 4);

		if (!memcmp(h, "FACP", 4))
			t->fadt = a;
		else if (!memcmp(h, "APIC", 4))
			t->madt = a;
		else
			T_FAIL("XSDT entry to an unexpected \"%.4s\"", h);
	}
	T_ASSERT(t->fadt && t->madt);
	/* §5.2.9: revision 6 is 276 bytes. */
	t->fadt_len = check_table(p, t->fadt, "FACP", 276);
	T_EQ(t->fadt_len, 276);
	f = g(p, t->fadt, 276);
	T_EQ(f[8], 6);
	t->facs = le(f + 36, 4);
	t->dsdt = le(f + 40, 4);
	T_EQ(le(f + 140, 8), t->dsdt);                  /* X_DSDT */
	T_EQ(le(f + 132, 8), 0);                        /* X_FIRMWARE_CTRL: only one */
	t->madt_len = check_table(p, t->madt, "APIC", 44);
	t->dsdt_len = check_table(p, t->dsdt, "DSDT", 36 + 10);
	T_EQ(g(p, t->dsdt, 36)[8], 2);                  /* 64-bit integers */
	/* §5.2.10: FACS, 64 bytes, 64-byte aligned, no checksum. */
	T_EQ(memcmp(g(p, t->facs, 4), "FACS", 4), 0);
	T_EQ(le(g(p, t->facs + 4, 4), 4), 64);
	T_EQ(t->facs % 64, 0);
}

static bool overlap(uint64_t a, uint64_t al, uint64_t b, uint64_t bl)
{
	return a < b + bl && b < a + al;
}

static void check_fadt(struct hv_partition *p, const struct tables *t)
{
	const uint8_t *f = g(p, t->fadt, 276);
	uint32_t flags = (uint32_t)le(f + 112, 4);

	T_EQ(le(f + 46, 2), HV_ACPI_SCI_IRQ);           /* SCI_INT */
	T_EQ(le(f + 48, 4), 0);                         /* SMI_CMD: always ACPI mode */
	T_EQ(le(f + 56, 4), HV_ACPI_PM1_EVT);
	T_EQ(le(f + 64, 4), HV_ACPI_PM1_CNT);
	T_EQ(le(f + 76, 4), HV_ACPI_PM_TMR);
	T_EQ(f[88], 4);                                 /* PM1_EVT_LEN */
	T_EQ(f[89], 2);                                 /* PM1_CNT_LEN */
	T_EQ(f[91], 4);                                 /* PM_TMR_LEN */
	T_ASSERT(!(flags & (1u << 20)));                /* not HW_REDUCED_ACPI */
	T_ASSERT(flags & (1u << 10));                   /* RESET_REG_SUP */
	T_ASSERT(flags & (1u << 8));                    /* TMR_VAL_EXT */
	T_ASSERT(flags & (1u << 0));                    /* WBINVD */
	/* RESET_REG: GAS {system I/O, 8 bits, offset 0, byte access, 0xCF9} */
	T_EQ(f[116], 1);
	T_EQ(f[117], 8);
	T_EQ(f[118], 0);
	T_EQ(f[119], 1);
	T_EQ(le(f + 120, 8), HV_ACPI_RESET_PORT);
	T_EQ(f[128], HV_ACPI_RESET_VALUE);
	/* X_PM1a_EVT_BLK, X_PM1a_CNT_BLK, X_PM_TMR_BLK agree with the 32-bit
	 * fields (ACPICA warns on a mismatch). */
	T_EQ(f[148], 1);
	T_EQ(le(f + 152, 8), HV_ACPI_PM1_EVT);
	T_EQ(f[172], 1);
	T_EQ(le(f + 176, 8), HV_ACPI_PM1_CNT);
	T_EQ(f[208], 1);
	T_EQ(le(f + 212, 8), HV_ACPI_PM_TMR);
	T_EQ(le(f + 109, 2) & 0x2, 0);                  /* no 8042 */
}

static void check_madt(struct hv_partition *p, const struct tables *t, unsigned int n)
{
	const uint8_t *m = g(p, t->madt, t->madt_len);
	unsigned int lapics = 0, ioapics = 0, iso0 = 0, iso9 = 0, nmis = 0;
	bool seen[HV_MAX_VPS] = { false };
	uint32_t off = 44;

	T_EQ(le(m + 36, 4), HV_LAPIC_GPA);
	T_EQ(le(m + 40, 4) & 1, 1);                     /* PCAT_COMPAT */
	while (off < t->madt_len) {
		uint8_t type = m[off], len = m[off + 1];

		T_ASSERT(len >= 2 && off + len <= t->madt_len);
		switch (type) {
		case 0:                                 /* Processor Local APIC */
			T_EQ(len, 8);
			T_EQ(m[off + 2], m[off + 3]);   /* UID = APIC id */
			T_ASSERT(m[off + 3] < n && !seen[m[off + 3]]);
			seen[m[off + 3]] = true;
			T_EQ(le(m + off + 4, 4) & 1, 1);
			lapics++;
			break;
		case 1:                                 /* I/O APIC */
			T_EQ(len, 12);
			T_EQ(m[off + 2], n);
			T_EQ(le(m + off + 4, 4), HV_IOAPIC_GPA);
			T_EQ(le(m + off + 8, 4), 0);
			ioapics++;
			break;
		case 2:                                 /* Interrupt Source Override */
			T_EQ(len, 10);
			T_EQ(m[off + 2], 0);
			if (m[off + 3] == 0) {
				T_EQ(le(m + off + 4, 4), 2);
				iso0++;
			} else if (m[off + 3] == 9) {
				T_EQ(le(m + off + 4, 4), 9);
				T_EQ(le(m + off + 8, 2), 0xd);  /* active high, level */
				iso9++;
			} else {
				T_FAIL("unexpected override of IRQ %u", m[off + 3]);
			}
			break;
		case 4:                                 /* Local APIC NMI */
			T_EQ(len, 6);
			T_EQ(m[off + 5], 1);
			nmis++;
			break;
		default:
			T_FAIL("unexpected MADT structure type %u", type);
		}
		off += len;
	}
	T_EQ(off, t->madt_len);
	T_EQ(lapics, n);
	T_EQ(ioapics, 1);
	T_EQ(iso0, 1);
	T_EQ(iso9, 1);
	T_EQ(nmis, 1);
}

/* PkgLength (ACPI 6.4 §20.2.4) at b: returns the package length and sets
 * *n to the bytes it took. */
static uint32_t pkglen(const uint8_t *b, unsigned int *n)
{
	uint32_t v;

	*n = (b[0] >> 6) + 1;
	if (*n == 1)
		return b[0] & 0x3f;
	v = b[0] & 0xf;
	for (unsigned int i = 1; i < *n; i++)
		v |= (uint32_t)b[i] << (4 + 8 * (i - 1));
	return v;
}

static bool has(const uint8_t *hay, size_t hn, const void *needle, size_t nn)
{
	return memmem(hay, hn, needle, nn) != NULL;
}

/* The DSDT's term list: Name(_S5_, Package(4){...}) then Scope(\_SB_)
 * running exactly to the end of the table; and inside it the byte
 * patterns of each object Linux looks for. */
static void check_dsdt(struct hv_partition *p, const struct tables *t, bool vmbus)
{
	const uint8_t *d = g(p, t->dsdt, t->dsdt_len);
	size_t len = t->dsdt_len;
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12 };
	static const uint8_t sb[] = { 0x5c, '_', 'S', 'B', '_' };
	static const uint8_t com1_hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x05, 0x01 };
	static const uint8_t com1_io[] = { 0x47, 0x01, 0xf8, 0x03, 0xf8, 0x03, 0x00, 0x08 };
	static const uint8_t irq4[] = { 0x22, 0x10, 0x00 };
	static const uint8_t irq7[] = { 0x22, 0x80, 0x00 };
	static const uint8_t vmbus_hid[] = "\x08_HID\x0dVMBus";
	static const uint8_t vmod_hid[] = "\x08_HID\x0d" "ACPI0004";
	static const uint8_t ddn[] = "\x08_DDN\x0dVMBUS";
	static const uint8_t sta[] = { 0x08, '_', 'S', 'T', 'A', 0x0a, 0x0f };
	static const uint8_t uid0[] = { 0x08, '_', 'U', 'I', 'D', 0x00 };
	uint8_t qword[46];
	uint64_t v;
	unsigned int n;
	size_t off = 36, end;

	T_EQ(memcmp(d + off, s5, sizeof(s5)), 0);
	off += sizeof(s5);
	end = off + pkglen(d + off, &n);
	T_EQ(d[off + n], 4);                            /* NumElements */
	T_EQ(d[off + n + 1], 0x0a);                     /* BytePrefix */
	T_EQ(d[off + n + 2], HV_ACPI_SLP_TYP_S5);
	off = end;
	T_EQ(d[off], 0x10);                             /* ScopeOp */
	T_EQ(off + 1 + pkglen(d + off + 1, &n), len);
	if (vmbus)
		T_ASSERT(n >= 2);                       /* a multi-byte PkgLength */
	T_EQ(memcmp(d + off + 1 + n, sb, sizeof(sb)), 0);

	T_ASSERT(has(d, len, "\x5b\x82", 2));           /* DeviceOp */
	T_ASSERT(has(d, len, "COM1", 4));
	T_ASSERT(has(d, len, com1_hid, sizeof(com1_hid)));   /* EisaId("PNP0501") */
	T_ASSERT(has(d, len, com1_io, sizeof(com1_io)));
	T_ASSERT(has(d, len, irq4, sizeof(irq4)));
	T_ASSERT(has(d, len, "\x79\x00", 2));           /* End Tag */
	T_EQ(has(d, len, "VMBS", 4), vmbus);
	T_EQ(has(d, len, "VMOD", 4), vmbus);
	if (!vmbus)
		return;
	T_ASSERT(has(d, len, vmbus_hid, sizeof(vmbus_hid)));  /* with its NUL */
	T_ASSERT(has(d, len, vmod_hid, sizeof(vmod_hid)));
	T_ASSERT(has(d, len, ddn, sizeof(ddn)));
	T_ASSERT(has(d, len, sta, sizeof(sta)));
	T_ASSERT(has(d, len, uid0, sizeof(uid0)));
	T_ASSERT(has(d, len, irq7, sizeof(irq7)));
	/* QWordMemory: the MMIO gap up to the IOAPIC (§6.4.3.5.1). */
	memset(qword, 0, sizeof(qword));
	qword[0] = 0x8a;
	qword[1] = 43;
	qword[4] = 0x0c;
	qword[5] = 0x01;
	v = HV_MMIO_HOLE;
	memcpy(qword + 14, &v, 8);
	v = HV_IOAPIC_GPA - 1;
	memcpy(qword + 22, &v, 8);
	v = HV_IOAPIC_GPA - HV_MMIO_HOLE;
	memcpy(qword + 38, &v, 8);
	T_ASSERT(has(d, len, qword, sizeof(qword)));
}

static void tables_for(unsigned int nr_vps, bool vmbus)
{
	struct hv_partition *p = part_new(nr_vps);
	struct tables t;
	uint64_t at[5];
	uint32_t ln[5];

	find_tables(p, build(p, nr_vps, vmbus), &t);
	check_fadt(p, &t);
	check_madt(p, &t, nr_vps);
	check_dsdt(p, &t, vmbus);
	/* No two tables (RSDP included) overlap. */
	at[0] = HV_ACPI_RSDP_GPA; ln[0] = 36;
	at[1] = t.xsdt; ln[1] = t.xsdt_len;
	at[2] = t.fadt; ln[2] = t.fadt_len;
	at[3] = t.madt; ln[3] = t.madt_len;
	at[4] = t.dsdt; ln[4] = t.dsdt_len;
	for (unsigned int i = 0; i < 5; i++) {
		T_ASSERT(!overlap(at[i], ln[i], t.facs, 64));
		for (unsigned int j = i + 1; j < 5; j++)
			T_ASSERT(!overlap(at[i], ln[i], at[j], ln[j]));
	}
	/* A second build on the same partition finds its ports taken. */
	{
		struct hv_acpi_config cfg = { .nr_vps = nr_vps, .vmbus = vmbus };
		uint64_t r;

		T_EQ(hv_acpi_build(p, &cfg, &r), -EEXIST);
	}
	hv_partition_destroy(p);
}

static void tables(void)
{
	tables_for(1, true);
	tables_for(2, true);
	tables_for(2, false);
	tables_for(HV_MAX_VPS, true);
}

static void bad_config(void)
{
	struct hv_partition *p = part_new(1);
	struct hv_acpi_config cfg = { .nr_vps = 0, .vmbus = true };
	uint64_t r;

	T_EQ(hv_acpi_build(p, &cfg, &r), -EINVAL);
	cfg.nr_vps = HV_MAX_VPS + 1;
	T_EQ(hv_acpi_build(p, &cfg, &r), -EINVAL);
	hv_partition_destroy(p);
}

/* ---- The registers, driven by a guest ---- */

/* Runs code at CODE in long mode; returns the result. */
static struct hv_run_result run_code(struct hv_partition *p, const uint8_t *code, size_t n)
{
	struct hv_entry e = { .mode = HV_ENTRY_LONG64, .rip = CODE, .rsp = 0x80000 };
	struct hv_run_result res;

	memcpy(hv_partition_gpa(p, CODE, n), code, n);
	T_EQ(hv_partition_set_entry(p, &e), 0);
	memset(&res, 0, sizeof(res));
	T_EQ(hv_partition_run(p, &res), 0);
	return res;
}

static void pm1_poweroff_and_timer(void)
{
	static const uint8_t code[] = {
		0x66, 0xba, 0x04, 0x06,                 /* mov $PM1a_CNT,%dx */
		0x66, 0xb8, 0x00, 0x14,                 /* mov $(5 << 10),%ax: S5, no SLP_EN */
		0x66, 0xef,                             /* out %ax,(%dx) */
		0x66, 0xb8, 0x00, 0x2c,                 /* mov $(3 << 10 | SLP_EN),%ax: not S5 */
		0x66, 0xef,                             /* out %ax,(%dx) */
		0x66, 0xed,                             /* in (%dx),%ax */
		0xa8, 0x01,                             /* test $SCI_EN,%al */
		0x74, 0x37,                             /* jz bad_sci */
		0x66, 0xba, 0x08, 0x06,                 /* mov $PM_TMR,%dx */
		0xed,                                   /* in (%dx),%eax */
		0x89, 0xc3,                             /* mov %eax,%ebx */
		0x89, 0x04, 0x25, 0x00, 0x00, 0x02, 0x00, /* mov %eax,0x20000 */
		0xb9, 0xa0, 0x86, 0x01, 0x00,           /* mov $100000,%ecx */
		0xed,                                   /* 1: in (%dx),%eax */
		0x39, 0xc3,                             /* cmp %eax,%ebx */
		0x75, 0x09,                             /* jne 2f */
		0xff, 0xc9,                             /* dec %ecx */
		0x75, 0xf7,                             /* jnz 1b */
		0xb0, 0x57, 0xe6, 0xf4, 0xf4,           /* the timer stood still: exit 0x57 */
		0x89, 0x04, 0x25, 0x04, 0x00, 0x02, 0x00, /* 2: mov %eax,0x20004 */
		0x66, 0xba, 0x04, 0x06,                 /* mov $PM1a_CNT,%dx */
		0x66, 0xb8, 0x00, 0x34,                 /* mov $(5 << 10 | SLP_EN),%ax */
		0x66, 0xef,                             /* out %ax,(%dx): S5 */
		0xb0, 0x55, 0xe6, 0xf4, 0xf4,           /* still running: exit 0x55 */
		0xb0, 0x56, 0xe6, 0xf4, 0xf4,           /* bad_sci: exit 0x56 */
	};
	struct hv_partition *p = part_new(1);
	struct hv_run_result res;
	uint32_t t0, t1;

	build(p, 1, true);
	res = run_code(p, code, sizeof(code));
	if (res.reason != HV_EXIT_POWEROFF || res.code != 0)
		T_FAIL("want S5 power-off, got reason %d code 0x%x: %s", res.reason, res.code,
		       res.detail);
	memcpy(&t0, hv_partition_gpa(p, 0x20000, 4), 4);
	memcpy(&t1, hv_partition_gpa(p, 0x20004, 4), 4);
	/* 3.58 MHz: less than a second between the reads. */
	T_ASSERT((uint32_t)(t1 - t0) > 0 && (uint32_t)(t1 - t0) < 3579545u);
	hv_partition_destroy(p);
}

static void reset_register(void)
{
	static const uint8_t code[] = {
		0x66, 0xba, 0xf9, 0x0c,                 /* mov $0xcf9,%dx */
		0xec,                                   /* in (%dx),%al */
		0x84, 0xc0,                             /* test %al,%al */
		0x75, 0x03,                             /* jnz 1f */
		0xb0, 0x06,                             /* mov $6,%al */
		0xee,                                   /* out %al,(%dx) */
		0xb0, 0x55, 0xe6, 0xf4, 0xf4,           /* 1: still running: exit 0x55 */
	};
	struct hv_partition *p = part_new(1);
	struct hv_run_result res;

	build(p, 1, false);
	res = run_code(p, code, sizeof(code));
	if (res.reason != HV_EXIT_RESET)
		T_FAIL("want a reset, got reason %d code 0x%x: %s", res.reason, res.code,
		       res.detail);
	hv_partition_destroy(p);
}

/* ---- iasl ---- */

static int __attribute__((format(printf, 1, 2))) sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	/* bash for <(...); through the environment, so no quoting. */
	setenv("HVNET_TEST_CMD", cmd, 1);
	return system("bash -c \"$HVNET_TEST_CMD\"");
}

static void dump(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	T_ASSERT(f != NULL);
	T_EQ(fwrite(b, 1, n, f), n);
	T_EQ(fclose(f), 0);
}

static char *slurp(const char *dir, const char *name)
{
	static char buf[1 << 16];
	char path[256];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		T_FAIL("iasl wrote no %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void expect_text(const char *text, const char *what, const char *file)
{
	if (!strstr(text, what))
		T_FAIL("%s lacks \"%s\"", file, what);
}

static void iasl(void)
{
	static const char *const dsdt_wants[] = {
		"Name (_S5, Package (0x04)", "Scope (\\_SB)", "Device (COM1)",
		"EisaId (\"PNP0501\")", "IO (Decode16,", "0x03F8,", "IRQNoFlags ()",
		"{4}", "Device (VMOD)", "Name (_HID, \"ACPI0004\"", "QWordMemory (",
		"0x00000000C0000000", "0x00000000FEBFFFFF", "Device (VMBS)",
		"Name (_HID, \"VMBus\")", "Name (_DDN, \"VMBUS\")", "Name (_STA, 0x0F)",
		"{7}",
	};
	char dir[] = "/tmp/hvnet-iasl-XXXXXX";
	struct hv_partition *p;
	struct tables t;
	const char *text;

	if (system("command -v iasl >/dev/null 2>&1") != 0)
		T_SKIP("iasl is not installed (apt-get install acpica-tools)");
	p = part_new(2);
	find_tables(p, build(p, 2, true), &t);
	T_ASSERT(mkdtemp(dir) != NULL);
	dump(dir, "dsdt.aml", g(p, t.dsdt, t.dsdt_len), t.dsdt_len);
	dump(dir, "facp.dat", g(p, t.fadt, t.fadt_len), t.fadt_len);
	dump(dir, "apic.dat", g(p, t.madt, t.madt_len), t.madt_len);
	dump(dir, "xsdt.dat", g(p, t.xsdt, t.xsdt_len), t.xsdt_len);
	dump(dir, "facs.dat", g(p, t.facs, 64), 64);
	hv_partition_destroy(p);

	if (sh("cd %s && iasl -d dsdt.aml facp.dat apic.dat xsdt.dat facs.dat >iasl-d.log 2>&1"
	       " || { cat %s/iasl-d.log; exit 1; }", dir, dir))
		T_FAIL("iasl -d failed (log above)");
	text = slurp(dir, "dsdt.dsl");
	for (size_t i = 0; i < sizeof(dsdt_wants) / sizeof(dsdt_wants[0]); i++)
		expect_text(text, dsdt_wants[i], "dsdt.dsl");
	/* The data tables parse with no complaint, checksums included. */
	text = slurp(dir, "facp.dsl");
	expect_text(text, "PM1A Event Block Address : 00000600", "facp.dsl");
	expect_text(text, "PM1A Control Block Address : 00000604", "facp.dsl");
	expect_text(text, "SCI Interrupt : 0009", "facp.dsl");
	expect_text(text, "Reset Register Supported (V2) : 1", "facp.dsl");
	expect_text(text, "PM Timer Block Address : 00000608", "facp.dsl");
	expect_text(text, "Hardware Reduced (V5) : 0", "facp.dsl");
	text = slurp(dir, "apic.dsl");
	expect_text(text, "Subtable Type : 01 [I/O APIC]", "apic.dsl");
	expect_text(text, "Address : FEC00000", "apic.dsl");
	if (sh("cd %s && cat *.dsl iasl-d.log | grep -iE 'incorrect|invalid|error|warning|unknown'"
	       " && exit 1 || exit 0", dir))
		T_FAIL("iasl complained about a table (lines above)");
	/* And the disassembled DSDT compiles back, without optimizations,
	 * to exactly our AML after the header. iasl's one objection is
	 * expected: it wants a 7- or 8-character _HID, but "VMBus" is the id
	 * hv_vmbus matches (and Hyper-V's and QEMU's DSDTs use). */
	if (sh("cd %s && iasl -f -oa -p recompiled dsdt.dsl >iasl-c.log 2>&1"
	       " || { cat %s/iasl-c.log; exit 1; }", dir, dir))
		T_FAIL("iasl could not recompile the DSDT (log above)");
	if (sh("cd %s && grep -E '^(Error|Warning)' iasl-c.log | grep -v '6033 .*(VMBus)'"
	       " && exit 1 || exit 0", dir))
		T_FAIL("iasl found errors in the DSDT besides the VMBus _HID (lines above)");
	if (sh("cd %s && cmp <(tail -c +37 dsdt.aml) <(tail -c +37 recompiled.aml)", dir))
		T_FAIL("iasl compiles our disassembled DSDT to different AML (see %s)", dir);
	sh("rm -rf %s", dir);
}

int main(int argc, char **argv)
{
	alarm(60);
	if (argc > 1 && strcmp(argv[1], "iasl") == 0) {
		T_RUN(iasl);
		return 0;
	}
	T_RUN(tables);
	T_RUN(bad_config);
	T_RUN(pm1_poweroff_and_timer);
	T_RUN(reset_register);
	return 0;
}
