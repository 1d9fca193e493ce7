/* ACPI tables (RSDP, XSDT, FADT, FACS, MADT, DSDT) and the fixed-hardware
 * registers they point at. See hv_acpi.h.
 *
 * Not hardware-reduced: Linux then takes its power-off and reboot paths
 * through the FADT (PM1a_CNT SLP_TYP/SLP_EN for \_S5_, RESET_REG), which
 * is all a partition needs, and which a stock kernel uses unchanged. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "common/hvn_compiler.h"
#include "hv/hv_acpi.h"

/* ---- Table formats (ACPI 6.4) ---- */

/* §5.2.5.3 Root System Description Pointer. */
struct acpi_rsdp {
	char signature[8];         /* "RSD PTR " */
	uint8_t checksum;          /* over the first 20 bytes */
	char oem_id[6];
	uint8_t revision;          /* 2: ACPI 2.0+, has the XSDT */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t ext_checksum;      /* over all 36 bytes */
	uint8_t reserved[3];
} hvn_packed;
_Static_assert(sizeof(struct acpi_rsdp) == 36, "ACPI 6.4 5.2.5.3");

/* §5.2.6 System Description Table Header. */
struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} hvn_packed;
_Static_assert(sizeof(struct acpi_header) == 36, "ACPI 6.4 5.2.6");

/* §5.2.3.2 Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;          /* 1: system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;       /* 0: undefined (legacy), 1: byte */
	uint64_t address;
} hvn_packed;
_Static_assert(sizeof(struct acpi_gas) == 12, "ACPI 6.4 5.2.3.2");

#define ACPI_GAS_IO 1

/* §5.2.9 Fixed ACPI Description Table, revision 6 (ACPI 6.0 and later). */
struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl;
	uint32_t dsdt;
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct acpi_gas x_pm1a_evt_blk;
	struct acpi_gas x_pm1b_evt_blk;
	struct acpi_gas x_pm1a_cnt_blk;
	struct acpi_gas x_pm1b_cnt_blk;
	struct acpi_gas x_pm2_cnt_blk;
	struct acpi_gas x_pm_tmr_blk;
	struct acpi_gas x_gpe0_blk;
	struct acpi_gas x_gpe1_blk;
	struct acpi_gas sleep_control_reg;
	struct acpi_gas sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} hvn_packed;
_Static_assert(sizeof(struct acpi_fadt) == 276, "ACPI 6.4 5.2.9 Table 5.9");
_Static_assert(__builtin_offsetof(struct acpi_fadt, flags) == 112, "ACPI 6.4 Table 5.9");
_Static_assert(__builtin_offsetof(struct acpi_fadt, x_dsdt) == 140, "ACPI 6.4 Table 5.9");

/* FADT flags (Table 5.10) and IA-PC boot architecture flags (5.11). */
#define FADT_WBINVD          (1u << 0)
#define FADT_PROC_C1         (1u << 2)
#define FADT_PWR_BUTTON      (1u << 4)   /* no fixed-feature power button */
#define FADT_SLP_BUTTON      (1u << 5)   /* no fixed-feature sleep button */
#define FADT_TMR_VAL_EXT     (1u << 8)   /* 32-bit PM timer */
#define FADT_RESET_REG_SUP   (1u << 10)
#define BOOT_ARCH_VGA_NOT_PRESENT  (1u << 2)
#define BOOT_ARCH_CMOS_RTC_NOT_PRESENT (1u << 5)

/* §5.2.10 Firmware ACPI Control Structure. Linux wants one outside a
 * hardware-reduced platform (waking vector, global lock). */
struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature;
	uint32_t firmware_waking_vector;
	uint32_t global_lock;
	uint32_t flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved0[3];
	uint32_t ospm_flags;
	uint8_t reserved1[24];
} hvn_packed;
_Static_assert(sizeof(struct acpi_facs) == 64, "ACPI 6.4 5.2.10 Table 5.14");

/* §5.2.12 Multiple APIC Description Table and its structures. */
struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags;            /* PCAT_COMPAT: the in-kernel irqchip has 8259s */
} hvn_packed;
_Static_assert(sizeof(struct acpi_madt) == 44, "ACPI 6.4 5.2.12 Table 5.43");

struct acpi_madt_lapic {          /* type 0, Table 5.46 */
	uint8_t type, length;
	uint8_t uid;
	uint8_t apic_id;
	uint32_t flags;            /* bit 0: enabled */
} hvn_packed;
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "ACPI 6.4 Table 5.46");

struct acpi_madt_ioapic {         /* type 1, Table 5.48 */
	uint8_t type, length;
	uint8_t id;
	uint8_t reserved;
	uint32_t address;
	uint32_t gsi_base;
} hvn_packed;
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "ACPI 6.4 Table 5.48");

struct acpi_madt_iso {            /* type 2, Table 5.49 */
	uint8_t type, length;
	uint8_t bus;               /* 0: ISA */
	uint8_t source;            /* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;            /* MPS INTI flags, Table 5.50 */
} hvn_packed;
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "ACPI 6.4 Table 5.49");

struct acpi_madt_lapic_nmi {      /* type 4, Table 5.52 */
	uint8_t type, length;
	uint8_t uid;               /* 0xff: every processor */
	uint16_t flags;
	uint8_t lint;
} hvn_packed;
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "ACPI 6.4 Table 5.52");

#define MPS_INTI_ACTIVE_HIGH 0x1
#define MPS_INTI_LEVEL       (0x3 << 2)

/* ---- Identity ---- */

#define OEM_ID       "HVNET "
#define OEM_TABLE_ID "HVNETPRT"
#define CREATOR_ID   "HVNT"

static void header_init(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	h->checksum = 0;
	memcpy(h->oem_id, OEM_ID, 6);
	memcpy(h->oem_table_id, OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, CREATOR_ID, 4);
	h->creator_revision = 1;
}

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return (uint8_t)-sum;
}

/* ---- AML (ACPI 6.4 §20) ---- */

/* The emitter writes into a fixed buffer. A package's length prefix
 * (PkgLength, §20.2.4) counts its own bytes and is 1 to 4 bytes long,
 * so one byte is reserved when a package opens and the body is moved up
 * if it needs more when the package closes. Any overflow or misuse
 * latches 'bad' and the caller drops the result. */
#define AML_DEPTH_MAX 8

struct aml {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t open[AML_DEPTH_MAX];
	unsigned int depth;
	bool bad;
};

#define AML_NAME_OP      0x08
#define AML_BYTE_PREFIX  0x0a
#define AML_WORD_PREFIX  0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_SCOPE_OP     0x10
#define AML_BUFFER_OP    0x11
#define AML_PACKAGE_OP   0x12
#define AML_ZERO_OP      0x00
#define AML_ONE_OP       0x01
#define AML_EXT_PREFIX   0x5b
#define AML_DEVICE_OP    0x82      /* after AML_EXT_PREFIX */
#define AML_ROOT_CHAR    0x5c
#define AML_DUAL_PREFIX  0x2e
#define AML_MULTI_PREFIX 0x2f

static void aml_byte(struct aml *a, uint8_t v)
{
	if (a->len >= a->cap) {
		a->bad = true;
		return;
	}
	a->buf[a->len++] = v;
}

static void aml_bytes(struct aml *a, const void *p, size_t n)
{
	if (n > a->cap - a->len) {
		a->bad = true;
		return;
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void aml_le(struct aml *a, uint64_t v, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		aml_byte(a, (uint8_t)(v >> (8 * i)));
}

/* NameString (§20.2.2): "\\_SB.VMOD", "VMBS", "_S5"; segments shorter
 * than four characters are padded with '_'. */
static void aml_name(struct aml *a, const char *path)
{
	const char *seg[AML_DEPTH_MAX];
	size_t seglen[AML_DEPTH_MAX];
	unsigned int n = 0;
	const char *s = path;

	if (*s == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		s++;
	}
	while (*s) {
		const char *dot = strchr(s, '.');
		size_t l = dot ? (size_t)(dot - s) : strlen(s);

		if (n == AML_DEPTH_MAX || l == 0 || l > 4) {
			a->bad = true;
			return;
		}
		seg[n] = s;
		seglen[n++] = l;
		s += l + (dot ? 1 : 0);
	}
	if (n == 2) {
		aml_byte(a, AML_DUAL_PREFIX);
	} else if (n > 2) {
		aml_byte(a, AML_MULTI_PREFIX);
		aml_byte(a, (uint8_t)n);
	} else if (n == 0) {
		a->bad = true;
		return;
	}
	for (unsigned int i = 0; i < n; i++) {
		for (size_t j = 0; j < 4; j++) {
			char c = j < seglen[i] ? seg[i][j] : '_';

			/* LeadNameChar is A-Z or '_', NameChar adds 0-9. */
			if (!((c >= 'A' && c <= 'Z') || c == '_' || (j && c >= '0' && c <= '9')))
				a->bad = true;
			aml_byte(a, (uint8_t)c);
		}
	}
}

/* The shortest ComputationalData for v (§20.2.3). */
static void aml_int(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_le(a, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(a, AML_WORD_PREFIX);
		aml_le(a, v, 2);
	} else if (v <= 0xffffffffu) {
		aml_byte(a, AML_DWORD_PREFIX);
		aml_le(a, v, 4);
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_le(a, v, 8);
	}
}

static void aml_string(struct aml *a, const char *s)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, s, strlen(s) + 1);
}

static void aml_pkg_open(struct aml *a)
{
	if (a->depth == AML_DEPTH_MAX) {
		a->bad = true;
		return;
	}
	a->open[a->depth++] = a->len;
	aml_byte(a, 0);            /* PkgLength, sized on close */
}

static void aml_pkg_close(struct aml *a)
{
	size_t at, body;
	unsigned int n;
	uint32_t total;

	if (a->depth == 0 || a->bad) {
		a->bad = true;
		return;
	}
	at = a->open[--a->depth];
	body = a->len - at - 1;
	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 <= 0xfff)
		n = 2;
	else if (body + 3 <= 0xfffff)
		n = 3;
	else if (body + 4 <= 0xfffffff)
		n = 4;
	else {
		a->bad = true;
		return;
	}
	if (n > 1) {
		if (n - 1 > a->cap - a->len) {
			a->bad = true;
			return;
		}
		memmove(a->buf + at + n, a->buf + at + 1, body);
		a->len += n - 1;
	}
	total = (uint32_t)(body + n);
	if (n == 1) {
		a->buf[at] = (uint8_t)total;
	} else {
		a->buf[at] = (uint8_t)(((n - 1) << 6) | (total & 0xf));
		for (unsigned int i = 1; i < n; i++)
			a->buf[at + i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
	}
}

/* Name (name, <the object the caller emits next>) */
static void aml_name_decl(struct aml *a, const char *name)
{
	aml_byte(a, AML_NAME_OP);
	aml_name(a, name);
}

static void aml_scope_open(struct aml *a, const char *name)
{
	aml_byte(a, AML_SCOPE_OP);
	aml_pkg_open(a);
	aml_name(a, name);
}

static void aml_device_open(struct aml *a, const char *name)
{
	aml_byte(a, AML_EXT_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	aml_pkg_open(a);
	aml_name(a, name);
}

/* Buffer () { bytes }: a resource template's body, already encoded. */
static void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n)
{
	aml_byte(a, AML_BUFFER_OP);
	aml_pkg_open(a);
	aml_int(a, n);
	aml_bytes(a, bytes, n);
	aml_pkg_close(a);
}

/* EisaId ("PNP0501"): three compressed letters and four hex digits, stored
 * big-endian (§19.6.35). */
static uint32_t eisa_id(const char *id)
{
	uint32_t v = (uint32_t)((id[0] - 0x40) << 26 | (id[1] - 0x40) << 21 | (id[2] - 0x40) << 16);

	for (int i = 3; i < 7; i++) {
		char c = id[i];

		v |= (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10) << (4 * (6 - i));
	}
	return __builtin_bswap32(v);
}

/* ---- Resource descriptors (ACPI 6.4 §6.4) ---- */

struct res {
	uint8_t b[96];
	size_t n;
};

static void res_put(struct res *r, uint64_t v, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes && r->n < sizeof(r->b); i++)
		r->b[r->n++] = (uint8_t)(v >> (8 * i));
}

/* §6.4.2.5 I/O Port Descriptor, 16-bit decode. */
static void res_io(struct res *r, uint16_t base, uint8_t len)
{
	res_put(r, 0x47, 1);
	res_put(r, 0x01, 1);       /* decodes 16 address bits */
	res_put(r, base, 2);
	res_put(r, base, 2);
	res_put(r, 0, 1);          /* alignment: fixed */
	res_put(r, len, 1);
}

/* §6.4.2.1 IRQ Descriptor, 2 bytes: active-high, edge (ISA default). */
static void res_irq(struct res *r, unsigned int irq)
{
	res_put(r, 0x22, 1);
	res_put(r, 1u << irq, 2);
}

/* §6.4.3.5.1 QWord Address Space Descriptor: a fixed memory range,
 * read/write, non-cacheable, produced for the children. */
static void res_qword_mem(struct res *r, uint64_t min, uint64_t max)
{
	res_put(r, 0x8a, 1);
	res_put(r, 43, 2);         /* length of what follows */
	res_put(r, 0, 1);          /* memory range */
	res_put(r, 0x0c, 1);       /* _MIF | _MAF, positive decode, producer */
	res_put(r, 0x01, 1);       /* _RW read/write, _MEM non-cacheable */
	res_put(r, 0, 8);          /* _GRA */
	res_put(r, min, 8);
	res_put(r, max, 8);
	res_put(r, 0, 8);          /* _TRA */
	res_put(r, max - min + 1, 8);
}

/* §6.4.2.9 End Tag; checksum 0 means "treat as correct". */
static void res_end(struct res *r)
{
	res_put(r, 0x79, 1);
	res_put(r, 0, 1);
}

/* ---- DSDT ---- */

static void dsdt_com1(struct aml *a)
{
	struct res r = { .n = 0 };

	/* Linux's 8250_pnp binds PNP0501 and takes the port and IRQ from
	 * _CRS; without it only legacy probing finds ttyS0. */
	aml_device_open(a, "COM1");
	aml_name_decl(a, "_HID");
	aml_int(a, eisa_id("PNP0501"));
	aml_name_decl(a, "_UID");
	aml_int(a, 1);
	aml_name_decl(a, "_STA");
	aml_int(a, 0xf);
	res_io(&r, HV_ACPI_COM1_PORT, 8);
	res_irq(&r, HV_ACPI_COM1_IRQ);
	res_end(&r);
	aml_name_decl(a, "_CRS");
	aml_buffer(a, r.b, r.n);
	aml_pkg_close(a);
}

/* The VMBus as Linux's hv_vmbus looks for it (reference §1.6): an ACPI
 * device with _HID "VMBus" (its acpi_device_id) and a _CRS, which
 * vmbus_acpi_add() walks, as it walks its ancestors' for the MMIO ranges
 * hv_pci and the framebuffer allocate from. VMOD (ACPI0004, a module
 * device) holds that range, as on Hyper-V and OpenVMM. */
static void dsdt_vmbus(struct aml *a)
{
	struct res r = { .n = 0 };

	aml_device_open(a, "VMOD");
	aml_name_decl(a, "_HID");
	aml_string(a, "ACPI0004");
	aml_name_decl(a, "_UID");
	aml_int(a, 0);
	res_qword_mem(&r, HV_MMIO_HOLE, HV_IOAPIC_GPA - 1);
	res_end(&r);
	aml_name_decl(a, "_CRS");
	aml_buffer(a, r.b, r.n);

	aml_device_open(a, "VMBS");
	aml_name_decl(a, "_HID");
	aml_string(a, "VMBus");
	aml_name_decl(a, "_UID");
	aml_int(a, 0);
	aml_name_decl(a, "_STA");
	aml_int(a, 0xf);
	aml_name_decl(a, "_DDN");
	aml_string(a, "VMBUS");
	/* x86 Linux ignores the IRQ (it uses HYPERVISOR_CALLBACK_VECTOR)
	 * but needs a _CRS to walk; QEMU gives IRQ 7 the same way. */
	r.n = 0;
	res_irq(&r, HV_ACPI_VMBUS_IRQ);
	res_end(&r);
	aml_name_decl(a, "_CRS");
	aml_buffer(a, r.b, r.n);
	aml_pkg_close(a);          /* VMBS */
	aml_pkg_close(a);          /* VMOD */
}

/* Builds the whole DSDT (header included) into buf; returns its length
 * or 0 if it does not fit. */
static size_t dsdt_build(uint8_t *buf, size_t cap, const struct hv_acpi_config *cfg)
{
	struct aml a = { .buf = buf, .cap = cap, .len = sizeof(struct acpi_header) };
	struct acpi_header h;

	if (cap < sizeof(h))
		return 0;
	/* \_S5_: SLP_TYPa, SLP_TYPb, reserved, reserved (§7.4.2). */
	aml_name_decl(&a, "_S5");
	aml_byte(&a, AML_PACKAGE_OP);
	aml_pkg_open(&a);
	aml_byte(&a, 4);
	aml_int(&a, HV_ACPI_SLP_TYP_S5);
	aml_int(&a, HV_ACPI_SLP_TYP_S5);
	aml_int(&a, 0);
	aml_int(&a, 0);
	aml_pkg_close(&a);

	aml_scope_open(&a, "\\_SB");
	dsdt_com1(&a);
	if (cfg->vmbus)
		dsdt_vmbus(&a);
	aml_pkg_close(&a);

	if (a.bad || a.depth)
		return 0;
	/* Revision 2: integers are 64 bits (§5.2.11.1). */
	header_init(&h, "DSDT", (uint32_t)a.len, 2);
	memcpy(buf, &h, sizeof(h));
	buf[offsetof(struct acpi_header, checksum)] = checksum(buf, a.len);
	return a.len;
}

/* ---- Fixed hardware: PM1 block, PM timer, reset register ---- */

#define PM1_CNT_SCI_EN   (1u << 0)
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_EN   (1u << 13)
#define PM_TIMER_HZ      3579545ull   /* ACPI 6.4 §4.8.3.3 */
#define RESET_RST_CPU    (1u << 2)

static uint32_t pm_timer_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)((uint64_t)ts.tv_sec * PM_TIMER_HZ +
			  (uint64_t)ts.tv_nsec * PM_TIMER_HZ / 1000000000ull);
}

/* The block holds no state: no event is ever raised (status and enable
 * read 0), SCI_EN reads 1 (always in ACPI mode: SMI_CMD is 0), and the
 * only control write that matters carries SLP_TYP and SLP_EN together. */
static void pm_read(void *dev, uint64_t addr, void *data, unsigned int len)
{
	uint8_t regs[HV_ACPI_PM_LEN];
	uint32_t tmr = pm_timer_now();
	uint8_t *d = data;

	(void)dev;
	memset(regs, 0, sizeof(regs));
	regs[4] = PM1_CNT_SCI_EN;
	memcpy(&regs[8], &tmr, 4);
	for (unsigned int i = 0; i < len; i++) {
		uint64_t off = addr - HV_ACPI_PM_BASE + i;

		d[i] = off < sizeof(regs) ? regs[off] : 0xff;
	}
}

static void pm_write(void *dev, uint64_t addr, const void *data, unsigned int len)
{
	const uint8_t *d = data;

	for (unsigned int i = 0; i < len; i++) {
		unsigned int slp_typ;
		uint16_t hi;

		/* SLP_TYP and SLP_EN are both in PM1_CNT's high byte. */
		if (addr + i != HV_ACPI_PM1_CNT + 1)
			continue;
		hi = (uint16_t)(d[i] << 8);
		slp_typ = (hi >> PM1_CNT_SLP_TYP_SHIFT) & 0x7;
		if ((hi & PM1_CNT_SLP_EN) && slp_typ == HV_ACPI_SLP_TYP_S5)
			hv_partition_stop(dev, HV_EXIT_POWEROFF, 0);
	}
}

static void reset_read(void *dev, uint64_t addr, void *data, unsigned int len)
{
	(void)dev;
	(void)addr;
	memset(data, 0, len);
}

static void reset_write(void *dev, uint64_t addr, const void *data, unsigned int len)
{
	(void)addr;
	(void)len;
	if (((const uint8_t *)data)[0] & RESET_RST_CPU)
		hv_partition_stop(dev, HV_EXIT_RESET, 0);
}

static const struct hv_io_ops pm_ops = { .read = pm_read, .write = pm_write };
static const struct hv_io_ops reset_ops = { .read = reset_read, .write = reset_write };

/* ---- Tables ---- */

#define DSDT_MAX 4096

static struct acpi_gas gas_io(uint16_t port, uint8_t bits, uint8_t access)
{
	return (struct acpi_gas){ .space_id = ACPI_GAS_IO, .bit_width = bits,
				  .bit_offset = 0, .access_size = access, .address = port };
}

static void build_fadt(struct acpi_fadt *f, uint32_t facs, uint32_t dsdt)
{
	memset(f, 0, sizeof(*f));
	header_init(&f->h, "FACP", sizeof(*f), 6);
	f->firmware_ctrl = facs;   /* X_FIRMWARE_CTRL stays 0: one of the two */
	f->dsdt = dsdt;
	f->x_dsdt = dsdt;
	f->sci_int = HV_ACPI_SCI_IRQ;
	f->smi_cmd = 0;            /* no SMM: the platform is always in ACPI mode */
	f->pm1a_evt_blk = HV_ACPI_PM1_EVT;
	f->pm1a_cnt_blk = HV_ACPI_PM1_CNT;
	f->pm_tmr_blk = HV_ACPI_PM_TMR;
	f->pm1_evt_len = 4;
	f->pm1_cnt_len = 2;
	f->pm_tmr_len = 4;
	f->p_lvl2_lat = 101;       /* > 100: no C2 */
	f->p_lvl3_lat = 1001;      /* > 1000: no C3 */
	/* No VGA to probe, and no CMOS RTC at 0x70 (nothing answers there);
	 * no 8042 either (bit 1 clear), so Linux leaves port 0x64 alone. */
	f->iapc_boot_arch = BOOT_ARCH_VGA_NOT_PRESENT | BOOT_ARCH_CMOS_RTC_NOT_PRESENT;
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_PWR_BUTTON | FADT_SLP_BUTTON |
		   FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP;
	f->reset_reg = gas_io(HV_ACPI_RESET_PORT, 8, 1);
	f->reset_value = HV_ACPI_RESET_VALUE;
	f->minor_version = 4;      /* ACPI 6.4 */
	f->x_pm1a_evt_blk = gas_io(HV_ACPI_PM1_EVT, 32, 0);
	f->x_pm1a_cnt_blk = gas_io(HV_ACPI_PM1_CNT, 16, 0);
	f->x_pm_tmr_blk = gas_io(HV_ACPI_PM_TMR, 32, 0);
	f->h.checksum = checksum(f, sizeof(*f));
}

static size_t madt_size(unsigned int nr_vps)
{
	return sizeof(struct acpi_madt) + nr_vps * sizeof(struct acpi_madt_lapic) +
	       sizeof(struct acpi_madt_ioapic) + 2 * sizeof(struct acpi_madt_iso) +
	       sizeof(struct acpi_madt_lapic_nmi);
}

static void build_madt(uint8_t *t, unsigned int nr_vps)
{
	struct acpi_madt m;
	struct acpi_madt_ioapic io;
	struct acpi_madt_iso iso;
	struct acpi_madt_lapic_nmi nmi;
	size_t len = madt_size(nr_vps), off = sizeof(m);

	memset(&m, 0, sizeof(m));
	header_init(&m.h, "APIC", (uint32_t)len, 5);
	m.lapic_address = (uint32_t)HV_LAPIC_GPA;
	m.flags = 1;               /* PCAT_COMPAT */
	memcpy(t, &m, sizeof(m));
	for (unsigned int i = 0; i < nr_vps; i++) {
		struct acpi_madt_lapic l = { .type = 0, .length = sizeof(l),
					     .uid = (uint8_t)i, .apic_id = (uint8_t)i,
					     .flags = 1 };

		memcpy(t + off, &l, sizeof(l));
		off += sizeof(l);
	}
	io = (struct acpi_madt_ioapic){ .type = 1, .length = sizeof(io), .id = (uint8_t)nr_vps,
					.address = (uint32_t)HV_IOAPIC_GPA, .gsi_base = 0 };
	memcpy(t + off, &io, sizeof(io));
	off += sizeof(io);
	/* The PIT's IRQ 0 is wired to IOAPIC pin 2 on PCs, KVM's included. */
	iso = (struct acpi_madt_iso){ .type = 2, .length = sizeof(iso), .bus = 0,
				      .source = 0, .gsi = 2, .flags = 0 };
	memcpy(t + off, &iso, sizeof(iso));
	off += sizeof(iso);
	/* The SCI is level-triggered, active-high (ACPI 6.4 §5.2.9 SCI_INT). */
	iso = (struct acpi_madt_iso){ .type = 2, .length = sizeof(iso), .bus = 0,
				      .source = HV_ACPI_SCI_IRQ, .gsi = HV_ACPI_SCI_IRQ,
				      .flags = MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL };
	memcpy(t + off, &iso, sizeof(iso));
	off += sizeof(iso);
	/* LINT1 is NMI on every processor, as on PCs. */
	nmi = (struct acpi_madt_lapic_nmi){ .type = 4, .length = sizeof(nmi), .uid = 0xff,
					    .flags = 0, .lint = 1 };
	memcpy(t + off, &nmi, sizeof(nmi));
	t[offsetof(struct acpi_header, checksum)] = checksum(t, len);
}

static uint64_t align_to(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int hv_acpi_build(struct hv_partition *p, const struct hv_acpi_config *cfg,
		  uint64_t *rsdp_gpa)
{
	uint8_t dsdt[DSDT_MAX];
	struct acpi_rsdp rsdp;
	struct acpi_header xsdt;
	struct acpi_fadt fadt;
	struct acpi_facs facs;
	uint64_t xsdt_gpa, fadt_gpa, facs_gpa, madt_gpa, dsdt_gpa, end, xent[2];
	size_t dsdt_len, madt_len;
	uint8_t *base;
	int rc;

	if (!p || !cfg || !rsdp_gpa || cfg->nr_vps < 1 || cfg->nr_vps > HV_MAX_VPS)
		return -EINVAL;
	base = hv_partition_gpa(p, HV_ACPI_RSDP_GPA, HV_ACPI_END - HV_ACPI_RSDP_GPA);
	if (!base)
		return -EINVAL;
	dsdt_len = dsdt_build(dsdt, sizeof(dsdt), cfg);
	if (!dsdt_len)
		return -ENOSPC;
	madt_len = madt_size(cfg->nr_vps);

	/* Layout, in order: RSDP, XSDT, FADT, FACS (64-byte aligned), MADT,
	 * DSDT. */
	xsdt_gpa = align_to(HV_ACPI_RSDP_GPA + sizeof(rsdp), 16);
	fadt_gpa = align_to(xsdt_gpa + sizeof(xsdt) + sizeof(xent), 16);
	facs_gpa = align_to(fadt_gpa + sizeof(fadt), 64);
	madt_gpa = align_to(facs_gpa + sizeof(facs), 16);
	dsdt_gpa = align_to(madt_gpa + madt_len, 16);
	end = dsdt_gpa + dsdt_len;
	if (end > HV_ACPI_END)
		return -ENOSPC;
	memset(base, 0, HV_ACPI_END - HV_ACPI_RSDP_GPA);
#define AT(gpa) (base + ((gpa) - HV_ACPI_RSDP_GPA))

	memcpy(AT(dsdt_gpa), dsdt, dsdt_len);
	build_madt(AT(madt_gpa), cfg->nr_vps);

	memset(&facs, 0, sizeof(facs));
	memcpy(facs.signature, "FACS", 4);
	facs.length = sizeof(facs);
	facs.version = 2;
	memcpy(AT(facs_gpa), &facs, sizeof(facs));

	build_fadt(&fadt, (uint32_t)facs_gpa, (uint32_t)dsdt_gpa);
	memcpy(AT(fadt_gpa), &fadt, sizeof(fadt));

	xent[0] = fadt_gpa;
	xent[1] = madt_gpa;
	header_init(&xsdt, "XSDT", sizeof(xsdt) + sizeof(xent), 1);
	memcpy(AT(xsdt_gpa), &xsdt, sizeof(xsdt));
	memcpy(AT(xsdt_gpa) + sizeof(xsdt), xent, sizeof(xent));
	AT(xsdt_gpa)[offsetof(struct acpi_header, checksum)] =
		checksum(AT(xsdt_gpa), sizeof(xsdt) + sizeof(xent));

	memset(&rsdp, 0, sizeof(rsdp));
	memcpy(rsdp.signature, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, OEM_ID, 6);
	rsdp.revision = 2;
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt_address = xsdt_gpa;
	rsdp.checksum = checksum(&rsdp, 20);
	rsdp.ext_checksum = checksum(&rsdp, sizeof(rsdp));
	memcpy(AT(HV_ACPI_RSDP_GPA), &rsdp, sizeof(rsdp));
#undef AT

	rc = hv_partition_add_pio(p, HV_ACPI_PM_BASE, HV_ACPI_PM_LEN, &pm_ops, p);
	if (rc)
		return rc;
	rc = hv_partition_add_pio(p, HV_ACPI_RESET_PORT, 1, &reset_ops, p);
	if (rc)
		return rc;
	*rsdp_gpa = HV_ACPI_RSDP_GPA;
	return 0;
}
