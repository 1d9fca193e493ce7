/* The stock-Linux probe: a few instructions a stock kernel executes early,
 * run in a throwaway partition. See hv_probe.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/hvn_compiler.h"
#include "hv/hv_probe.h"
#include "hv/hv.h"

#define PROBE_MEM      (16ull << 20)
#define PROBE_TIMEOUT_S 10

/* Guest physical layout (all above HV_BOOT_RESERVED_END). */
#define CODE_GPA   0x10000ull
#define BP_GPA     (CODE_GPA + 0xee)   /* bp_handler in probe_code */
#define IDT_GPA    0x11000ull
#define IDTR_GPA   0x11800ull
#define STEP_GPA   0x12000ull          /* which step the guest is in */
#define BPCNT_GPA  0x12008ull          /* #BP handler runs */
#define DONE_GPA   0x12010ull          /* bit 0: xsave ran, bit 1: cmpxchg16b ran */
#define CX16_GPA   0x12040ull          /* 16-byte aligned */
#define XSAVE_GPA  0x13000ull          /* 64-byte aligned */
#define STUBS_GPA  0x14000ull          /* one 8-byte stub per exception vector */
#define STACK_TOP  0x20000ull
#define NR_VECTORS 32

enum probe_step {
	STEP_IDT, STEP_INT3, STEP_CR4, STEP_XSAVE, STEP_XRSTOR, STEP_CX16, STEP_DONE,
};

static const char *const step_insn[] = {
	[STEP_IDT] = "lidt (loading the probe's IDT)",
	[STEP_INT3] = "int3",
	[STEP_CR4] = "mov to CR0/CR4 (enabling CR4.OSXSAVE)",
	[STEP_XSAVE] = "xsave",
	[STEP_XRSTOR] = "xrstor",
	[STEP_CX16] = "cmpxchg16b",
	[STEP_DONE] = "out to the debug-exit port",
};

/* Debug-exit codes besides 0. */
#define EXIT_BAD_BP    0x21
#define EXIT_BAD_CX16  0x22
#define EXIT_EXCEPTION 0x40            /* + vector */

/* Assembled with GNU as (.code64) at CODE_GPA; byte offsets on the left.
 * Each test instruction is preceded by a store of its step number, so a
 * failure anywhere is attributed without decoding RIP. */
static const uint8_t probe_code[] = {
	/* 00 */ 0x8c, 0xc8,                               /* mov %cs,%eax */
	/* 02 */ 0xbf, 0x02, 0x10, 0x01, 0x00,             /* mov $IDT+2,%edi */
	/* 07 */ 0xb9, 0x20, 0x00, 0x00, 0x00,             /* mov $32,%ecx */
	/* 0c */ 0x66, 0x89, 0x07,                         /* 1: mov %ax,(%rdi)  (gate selector) */
	/* 0f */ 0x48, 0x83, 0xc7, 0x10,                   /* add $16,%rdi */
	/* 13 */ 0xff, 0xc9,                               /* dec %ecx */
	/* 15 */ 0x75, 0xf5,                               /* jnz 1b */
	/* 17 */ 0x0f, 0x01, 0x1c, 0x25, 0x00, 0x18, 0x01, 0x00, /* lidt IDTR */
	/* 1f */ 0xc6, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0x01, /* movb $1,STEP */
	/* 27 */ 0xcc,                                     /* int3 */
	/* 28 */ 0x83, 0x3c, 0x25, 0x08, 0x20, 0x01, 0x00, 0x01, /* cmpl $1,BPCNT */
	/* 30 */ 0x0f, 0x85, 0xae, 0x00, 0x00, 0x00,       /* jne bad_bp */
	/* 36 */ 0xc6, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0x02, /* movb $2,STEP */
	/* 3e */ 0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov $1,%eax */
	/* 43 */ 0x0f, 0xa2,                               /* cpuid */
	/* 45 */ 0x0f, 0xba, 0xe1, 0x1a,                   /* bt $26,%ecx  (XSAVE) */
	/* 49 */ 0x73, 0x4c,                               /* jnc no_xsave */
	/* 4b */ 0x0f, 0x20, 0xc0,                         /* mov %cr0,%rax */
	/* 4e */ 0x48, 0x83, 0xe0, 0xf3,                   /* and $~0xc,%rax  (clear TS, EM) */
	/* 52 */ 0x0f, 0x22, 0xc0,                         /* mov %rax,%cr0 */
	/* 55 */ 0x0f, 0x20, 0xe0,                         /* mov %cr4,%rax */
	/* 58 */ 0x48, 0x0d, 0x00, 0x00, 0x04, 0x00,       /* or $0x40000,%rax  (OSXSAVE) */
	/* 5e */ 0x0f, 0x22, 0xe0,                         /* mov %rax,%cr4 */
	/* 61 */ 0xc6, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0x03, /* movb $3,STEP */
	/* 69 */ 0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov $1,%eax  (x87 state only) */
	/* 6e */ 0x31, 0xd2,                               /* xor %edx,%edx */
	/* 70 */ 0x0f, 0xae, 0x24, 0x25, 0x00, 0x30, 0x01, 0x00, /* xsave XSAVE */
	/* 78 */ 0xc6, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0x04, /* movb $4,STEP */
	/* 80 */ 0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov $1,%eax */
	/* 85 */ 0x31, 0xd2,                               /* xor %edx,%edx */
	/* 87 */ 0x0f, 0xae, 0x2c, 0x25, 0x00, 0x30, 0x01, 0x00, /* xrstor XSAVE */
	/* 8f */ 0x80, 0x0c, 0x25, 0x10, 0x20, 0x01, 0x00, 0x01, /* orb $1,DONE */
	/* 97 */ 0xc6, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0x05, /* no_xsave: movb $5,STEP */
	/* 9f */ 0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov $1,%eax */
	/* a4 */ 0x0f, 0xa2,                               /* cpuid */
	/* a6 */ 0x0f, 0xba, 0xe1, 0x0d,                   /* bt $13,%ecx  (CX16) */
	/* aa */ 0x73, 0x2b,                               /* jnc no_cx16 */
	/* ac */ 0x31, 0xc0,                               /* xor %eax,%eax */
	/* ae */ 0x31, 0xd2,                               /* xor %edx,%edx  (expect 0:0) */
	/* b0 */ 0xbb, 0x11, 0x11, 0x00, 0x00,             /* mov $0x1111,%ebx */
	/* b5 */ 0xb9, 0x22, 0x22, 0x00, 0x00,             /* mov $0x2222,%ecx */
	/* ba */ 0xbe, 0x40, 0x20, 0x01, 0x00,             /* mov $CX16,%esi */
	/* bf */ 0xf0, 0x48, 0x0f, 0xc7, 0x0e,             /* lock cmpxchg16b (%rsi) */
	/* c4 */ 0x75, 0x23,                               /* jne bad_cx16 */
	/* c6 */ 0x48, 0x81, 0x3e, 0x11, 0x11, 0x00, 0x00, /* cmpq $0x1111,(%rsi) */
	/* cd */ 0x75, 0x1a,                               /* jne bad_cx16 */
	/* cf */ 0x80, 0x0c, 0x25, 0x10, 0x20, 0x01, 0x00, 0x02, /* orb $2,DONE */
	/* d7 */ 0xc6, 0x04, 0x25, 0x00, 0x20, 0x01, 0x00, 0x06, /* no_cx16: movb $6,STEP */
	/* df */ 0x31, 0xc0,                               /* xor %eax,%eax */
	/* e1 */ 0xe6, 0xf4,                               /* out %al,$HV_PORT_DEBUG_EXIT */
	/* e3 */ 0xf4,                                     /* hlt */
	/* e4 */ 0xb0, EXIT_BAD_BP,                        /* bad_bp: mov $0x21,%al */
	/* e6 */ 0xe6, 0xf4,                               /* out %al,$0xf4 */
	/* e8 */ 0xf4,                                     /* hlt */
	/* e9 */ 0xb0, EXIT_BAD_CX16,                      /* bad_cx16: mov $0x22,%al */
	/* eb */ 0xe6, 0xf4,                               /* out %al,$0xf4 */
	/* ed */ 0xf4,                                     /* hlt */
	/* ee */ 0xff, 0x04, 0x25, 0x08, 0x20, 0x01, 0x00, /* bp_handler: incl BPCNT */
	/* f5 */ 0x48, 0xcf,                               /* iretq */
};
_Static_assert(HV_PORT_DEBUG_EXIT == 0xf4, "probe_code hard-codes the debug-exit port");
_Static_assert(sizeof(probe_code) == 0xf7, "offsets in probe_code");

/* Intel SDM vol. 3A §6.14.1: a 64-bit IDT gate descriptor. */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;         /* patched by the guest with its %cs */
	uint8_t ist;
	uint8_t type_attr;         /* 0x8e: present, DPL 0, interrupt gate */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
} hvn_packed;
_Static_assert(sizeof(struct idt_gate) == 16, "SDM 3A 6.14.1");

struct idtr {
	uint16_t limit;
	uint64_t base;
} hvn_packed;
_Static_assert(sizeof(struct idtr) == 10, "SDM 3A 6.10");

static const char *const vector_name[NR_VECTORS] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vector 9",
	"#TS", "#NP", "#SS", "#GP", "#PF", "vector 15", "#MF", "#AC", "#MC", "#XM",
	"#VE", "#CP", "vector 22", "vector 23", "vector 24", "vector 25", "vector 26",
	"vector 27", "vector 28", "vector 29", "vector 30", "vector 31",
};

static int write_guest(struct hv_partition *p)
{
	uint8_t *code = hv_partition_gpa(p, CODE_GPA, sizeof(probe_code));
	struct idt_gate *idt = hv_partition_gpa(p, IDT_GPA, NR_VECTORS * sizeof(*idt));
	struct idtr *idtr = hv_partition_gpa(p, IDTR_GPA, sizeof(*idtr));
	uint8_t *stubs = hv_partition_gpa(p, STUBS_GPA, NR_VECTORS * 8);

	if (!code || !idt || !idtr || !stubs)
		return -ENOMEM;
	memcpy(code, probe_code, sizeof(probe_code));
	for (unsigned int v = 0; v < NR_VECTORS; v++) {
		uint64_t h = v == 3 ? BP_GPA : STUBS_GPA + 8 * v;
		uint8_t *s = stubs + 8 * v;

		/* Every other exception reports its vector and stops. */
		s[0] = 0xb0;                   /* mov $(0x40 + v),%al */
		s[1] = (uint8_t)(EXIT_EXCEPTION + v);
		s[2] = 0xe6;                   /* out %al,$HV_PORT_DEBUG_EXIT */
		s[3] = HV_PORT_DEBUG_EXIT;
		memset(s + 4, 0xf4, 4);        /* hlt */
		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)h, .selector = 0, .ist = 0, .type_attr = 0x8e,
			.offset_mid = (uint16_t)(h >> 16), .offset_hi = (uint32_t)(h >> 32),
		};
	}
	idtr->limit = NR_VECTORS * sizeof(*idt) - 1;
	idtr->base = IDT_GPA;
	return 0;
}

/* Stops a partition that hangs (an emulator that loops instead of
 * failing); hv_partition_run() has no timeout of its own. */
struct watchdog {
	struct hv_partition *p;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	bool fired;
};

static void *watchdog_thread(void *arg)
{
	struct watchdog *w = arg;
	struct timespec dl;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += PROBE_TIMEOUT_S;
	pthread_mutex_lock(&w->lock);
	while (!w->done && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&w->cond, &w->lock, &dl);
	if (!w->done) {
		w->fired = true;
		hv_partition_stop(w->p, HV_EXIT_ERROR, ETIMEDOUT);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static int run_with_watchdog(struct hv_partition *p, struct hv_run_result *res, bool *timed_out)
{
	struct watchdog w = { .p = p };
	pthread_condattr_t ca;
	pthread_t t;
	int rc;

	pthread_mutex_init(&w.lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w.cond, &ca);
	pthread_condattr_destroy(&ca);
	rc = -pthread_create(&t, NULL, watchdog_thread, &w);
	if (!rc) {
		rc = hv_partition_run(p, res);
		pthread_mutex_lock(&w.lock);
		w.done = true;
		pthread_cond_signal(&w.cond);
		pthread_mutex_unlock(&w.lock);
		pthread_join(t, NULL);
		*timed_out = w.fired;
	}
	pthread_cond_destroy(&w.cond);
	pthread_mutex_destroy(&w.lock);
	return rc;
}

static int kvm_usable(char *why, size_t len)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT || errno == ENXIO || errno == ENODEV)
		snprintf(why, len, "no /dev/kvm: this host has no KVM (load kvm_intel or kvm_amd, "
			 "or run on a host with hardware virtualization)");
	else
		snprintf(why, len, "cannot open /dev/kvm: %s (run as root or join the kvm group)",
			 strerror(errno));
	return -ENODEV;
}

static int judge(const struct hv_run_result *res, bool timed_out, unsigned int step,
		 unsigned int done, char *why, size_t len)
{
	const char *insn = step < HVN_ARRAY_SIZE(step_insn) ? step_insn[step] : "its setup";

	if (timed_out) {
		snprintf(why, len, "a stock Linux kernel cannot run here: the probe guest hung in "
			 "%s for %d s", insn, PROBE_TIMEOUT_S);
		return -EOPNOTSUPP;
	}
	switch (res->reason) {
	case HV_EXIT_POWEROFF:
		if (res->code == 0 && step == STEP_DONE) {
			snprintf(why, len, "a stock Linux kernel can run here: KVM ran int3%s%s",
				 done & 1 ? ", xsave/xrstor" : " (no XSAVE in CPUID)",
				 done & 2 ? " and cmpxchg16b" : " (no CX16 in CPUID)");
			return 0;
		}
		if (res->code >= EXIT_EXCEPTION && res->code < EXIT_EXCEPTION + NR_VECTORS) {
			snprintf(why, len, "a stock Linux kernel cannot run here: the probe's %s "
				 "raised %s", insn, vector_name[res->code - EXIT_EXCEPTION]);
			return -EOPNOTSUPP;
		}
		if (res->code == EXIT_BAD_BP) {
			snprintf(why, len, "a stock Linux kernel cannot run here: int3 did not run "
				 "its #BP handler exactly once");
			return -EOPNOTSUPP;
		}
		if (res->code == EXIT_BAD_CX16) {
			snprintf(why, len, "a stock Linux kernel cannot run here: cmpxchg16b did "
				 "not store its operand");
			return -EOPNOTSUPP;
		}
		snprintf(why, len, "the probe guest stopped in %s with code %d: %s", insn,
			 res->code, res->detail);
		return -EOPNOTSUPP;
	case HV_EXIT_INTERNAL:
		snprintf(why, len, "a stock Linux kernel cannot run here: KVM cannot run %s "
			 "(KVM_EXIT_INTERNAL_ERROR at rip 0x%llx: %s)", insn,
			 (unsigned long long)res->rip, res->detail);
		return -EOPNOTSUPP;
	case HV_EXIT_TRIPLE_FAULT:
		snprintf(why, len, "a stock Linux kernel cannot run here: the probe guest "
			 "triple-faulted in %s", insn);
		return -EOPNOTSUPP;
	case HV_EXIT_ERROR:
		snprintf(why, len, "the probe could not run its guest (in %s): %s", insn,
			 res->detail);
		return -EIO;
	default:
		snprintf(why, len, "the probe guest stopped unexpectedly (reason %d) in %s: %s",
			 (int)res->reason, insn, res->detail);
		return -EOPNOTSUPP;
	}
}

int hv_probe_stock_linux(char *why, size_t len)
{
	struct hv_partition_config cfg = {
		.name = "probe", .mem_bytes = PROBE_MEM, .nr_vps = 1,
		.hugepages = false, .hyperv = false,
	};
	struct hv_entry e = { .mode = HV_ENTRY_LONG64, .rip = CODE_GPA, .rsp = STACK_TOP };
	struct hv_run_result res;
	struct hv_partition *p;
	const char *msg = NULL;
	char dummy[1];
	bool timed_out = false;
	uint8_t *step, *done;
	int rc;

	if (!why || !len) {
		why = dummy;
		len = sizeof(dummy);
	}
	why[0] = '\0';
	rc = kvm_usable(why, len);
	if (rc)
		return rc;
	rc = hv_partition_create(&cfg, &p, &msg);
	if (rc) {
		snprintf(why, len, "cannot create the probe partition: %s",
			 msg ? msg : strerror(-rc));
		return rc == -ENOENT ? -ENODEV : rc;
	}
	rc = write_guest(p);
	if (!rc)
		rc = hv_partition_set_entry(p, &e);
	if (rc) {
		snprintf(why, len, "cannot set up the probe guest: %s", strerror(-rc));
		goto out;
	}
	memset(&res, 0, sizeof(res));
	rc = run_with_watchdog(p, &res, &timed_out);
	if (rc) {
		snprintf(why, len, "cannot run the probe partition: %s", strerror(-rc));
		goto out;
	}
	step = hv_partition_gpa(p, STEP_GPA, 1);
	done = hv_partition_gpa(p, DONE_GPA, 1);
	rc = judge(&res, timed_out, *step, *done, why, len);
out:
	hv_partition_destroy(p);
	return rc;
}
