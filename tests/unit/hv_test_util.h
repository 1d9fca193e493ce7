/* Helpers for the hv/ unit tests (test_hv_*.c): guest memory fenced by
 * inaccessible pages, a runner that gives every case its own process, an
 * MSI recorder, and a write tracer for a guest page.
 *
 * Why a process per case: a case that finds a bug must not hide the cases
 * after it, and an access outside guest memory must fail that one case
 * (SIGSEGV on a guard page) with its name, not the whole program. */
#ifndef HV_TEST_UTIL_H
#define HV_TEST_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "tests/harness/hvn_test.h"
#include "vmbus/vmbus_mem.h"

/* ---- Guarded guest memory ---- */

/* 16 MiB of PROT_NONE on each side: a GPA a bounds check let through
 * (one page past the end, or a length that wrapped) lands here and
 * crashes. Costs address space only. */
#define GMEM_GUARD (16ull << 20)

struct gmem {
	struct vmbus_mem mem;
	uint8_t *map;
	size_t map_len;
};

static inline void gmem_init(struct gmem *g, uint64_t bytes)
{
	memset(g, 0, sizeof(*g));
	g->map_len = (size_t)(bytes + 2 * GMEM_GUARD);
	g->map = mmap(NULL, g->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	T_ASSERT(g->map != MAP_FAILED);
	g->mem.base = g->map + GMEM_GUARD;
	g->mem.size = bytes;
	g->mem.fd = -1;
	T_EQ(mprotect(g->mem.base, (size_t)bytes, PROT_READ | PROT_WRITE), 0);
}

static inline void gmem_fini(struct gmem *g)
{
	munmap(g->map, g->map_len);
}

static inline void *gpa(struct gmem *g, uint64_t a)
{
	T_ASSERT(a < g->mem.size);
	return g->mem.base + a;
}

/* True if [a, a + len) of guest memory is all zero: the host wrote
 * nothing there. */
static inline bool gmem_zero(struct gmem *g, uint64_t a, uint64_t len)
{
	const uint8_t *p = gpa(g, a);

	for (uint64_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- MSI recorder ---- */

#define MSI_MAX_VPS 8

struct msi_log {
	atomic_ullong n;
	atomic_ullong per_vp[MSI_MAX_VPS];
	atomic_uint last_vp;
	atomic_uint last_vector;
};

static inline int msi_record(void *ctx, uint32_t vp, uint8_t vector)
{
	struct msi_log *l = ctx;

	if (vp >= MSI_MAX_VPS)
		T_FAIL("MSI to VP %u, which does not exist", vp);
	atomic_store(&l->last_vp, vp);
	atomic_store(&l->last_vector, vector);
	atomic_fetch_add(&l->per_vp[vp], 1);
	atomic_fetch_add(&l->n, 1);
	return 0;
}

/* ---- Time ---- */

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- Case runner ---- */

struct hv_case {
	const char *name;
	void (*fn)(void);
};

#define HV_CASE(f) { #f, f }

/* Runs each case in a child process with a time limit and reports TAP-like
 * lines; a case that exits 77 (T_SKIP) is skipped. argv[1], if given, runs
 * only the case of that name (to debug one under gdb, set HV_TEST_NOFORK=1).
 * Returns the exit status for main(). */
static inline int hv_run_cases(const struct hv_case *c, size_t n, int argc, char **argv,
			       unsigned int timeout_s)
{
	bool nofork = getenv("HV_TEST_NOFORK") != NULL;
	unsigned int failed = 0, ran = 0, skipped = 0;

	/* A case's FAIL line (stderr) comes before its "not ok" line. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	for (size_t i = 0; i < n; i++) {
		int status;
		pid_t pid;

		if (argc > 1 && strcmp(argv[1], c[i].name) != 0)
			continue;
		ran++;
		fflush(stdout);
		fflush(stderr);
		if (nofork) {
			c[i].fn();
			printf("ok - %s\n", c[i].name);
			continue;
		}
		pid = fork();
		T_ASSERT(pid >= 0);
		if (pid == 0) {
			alarm(timeout_s);
			c[i].fn();
			fflush(stdout);
			exit(0);   /* exit(), not _exit(): LeakSanitizer runs per case */
		}
		T_EQ(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok - %s\n", c[i].name);
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
			printf("skip - %s\n", c[i].name);
			skipped++;
		} else if (WIFSIGNALED(status)) {
			int sig = WTERMSIG(status);

			printf("not ok - %s (%s)\n", c[i].name,
			       sig == SIGALRM ? "timed out" : strsignal(sig));
			failed++;
		} else {
			printf("not ok - %s (exit %d)\n", c[i].name, WEXITSTATUS(status));
			failed++;
		}
	}
	if (!ran) {
		fprintf(stderr, "no case named %s\n", argc > 1 ? argv[1] : "(none)");
		return 1;
	}
	printf("%u/%u cases passed, %u skipped\n", ran - failed - skipped, ran, skipped);
	if (failed)
		return 1;
	return skipped == ran ? 77 : 0;   /* meson: 77 is "skipped" */
}

/* ---- Write tracer ----
 *
 * Records every store the host makes to one guest page, in order, with
 * the value of a watched 32-bit word (the slot's message_type) at the
 * moment of each store. The page is made read-only; each store faults, the
 * handler logs it, opens the page and single-steps the storing instruction
 * (EFLAGS.TF), and the SIGTRAP after it closes the page again. This is how
 * a single-threaded test sees the order of a host's stores, which is what
 * a guest on another CPU relies on. x86-64 only, as hvnet is. */

#define TRACE_MAX 1024

struct wtrace {
	uint8_t *page;
	const uint32_t *watch;         /* its value is logged at each store */
	/* Optional, set after wtrace_start(): called once, at the first
	 * store, with the page writable and before the store happens (a
	 * "guest" acting between two host accesses). */
	void (*first_store)(void *ctx, uintptr_t off);
	void *ctx;
	unsigned int n;
	uintptr_t off[TRACE_MAX];
	uint32_t watch_val[TRACE_MAX];
	bool overflow;
	bool stepping;
};

static struct wtrace *wtrace_cur;

static inline void wtrace_segv(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	struct wtrace *t = wtrace_cur;
	uintptr_t a = (uintptr_t)si->si_addr;

	if (!t || a < (uintptr_t)t->page || a >= (uintptr_t)t->page + 4096 || t->stepping) {
		/* Not ours: a real crash; let it kill the case. */
		signal(sig, SIG_DFL);
		return;
	}
	if (t->n < TRACE_MAX) {
		t->off[t->n] = a - (uintptr_t)t->page;
		t->watch_val[t->n] = t->watch ? *(volatile const uint32_t *)t->watch : 0;
		t->n++;
	} else {
		t->overflow = true;
	}
	mprotect(t->page, 4096, PROT_READ | PROT_WRITE);
	if (t->n == 1 && t->first_store)
		t->first_store(t->ctx, a - (uintptr_t)t->page);
	t->stepping = true;
	uc->uc_mcontext.gregs[REG_EFL] |= 0x100;   /* TF: trap after one instruction */
}

static inline void wtrace_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	struct wtrace *t = wtrace_cur;

	(void)si;
	if (!t || !t->stepping) {
		signal(sig, SIG_DFL);
		return;
	}
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x100ll;
	t->stepping = false;
	mprotect(t->page, 4096, PROT_READ);
}

static inline void wtrace_start(struct wtrace *t, void *page, const uint32_t *watch)
{
	struct sigaction sa;

	memset(t, 0, sizeof(*t));
	t->page = page;
	t->watch = watch;
	wtrace_cur = t;
	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sa.sa_sigaction = wtrace_segv;
	T_EQ(sigaction(SIGSEGV, &sa, NULL), 0);
	sa.sa_sigaction = wtrace_trap;
	T_EQ(sigaction(SIGTRAP, &sa, NULL), 0);
	T_EQ(mprotect(page, 4096, PROT_READ), 0);
}

static inline void wtrace_stop(struct wtrace *t)
{
	T_EQ(mprotect(t->page, 4096, PROT_READ | PROT_WRITE), 0);
	signal(SIGSEGV, SIG_DFL);
	signal(SIGTRAP, SIG_DFL);
	wtrace_cur = NULL;
	T_ASSERT(!t->overflow);
}

#endif /* HV_TEST_UTIL_H */
