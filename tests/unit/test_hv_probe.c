/* hv_probe_stock_linux() on this host: whatever KVM is here, the probe
 * must give a definite answer (0 or -EOPNOTSUPP, or -ENODEV without KVM,
 * which skips), one line saying why, naming the instruction when it says
 * no, the same answer twice, and within its time limit. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hv/hv_probe.h"
#include "tests/harness/hvn_test.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void probe_answers(void)
{
	static const char *const insns[] = {
		"int3", "xsave", "xrstor", "cmpxchg16b", "CR4", "lidt", "hung", "triple",
	};
	char why[512], why2[512];
	double t0 = now_s();
	bool named = false;
	int rc, rc2;

	rc = hv_probe_stock_linux(why, sizeof(why));
	printf("  probe: %d: %s\n", rc, why);
	if (rc == -ENODEV)
		T_SKIP("%s", why);
	T_ASSERT(rc == 0 || rc == -EOPNOTSUPP);
	T_ASSERT(why[0] != '\0' && strchr(why, '\n') == NULL);
	T_ASSERT(now_s() - t0 < 15);
	if (rc == -EOPNOTSUPP) {
		for (size_t i = 0; i < sizeof(insns) / sizeof(insns[0]); i++)
			named |= strstr(why, insns[i]) != NULL;
		T_ASSERT(named);
	}
	rc2 = hv_probe_stock_linux(why2, sizeof(why2));
	T_EQ(rc2, rc);
	T_EQ(strcmp(why, why2), 0);

	/* A short buffer is truncated, never overrun; NULL is allowed. */
	memset(why2, 'x', sizeof(why2));
	T_EQ(hv_probe_stock_linux(why2, 8), rc);
	T_EQ(strlen(why2), 7);
	T_EQ(why2[8], 'x');
	T_EQ(hv_probe_stock_linux(NULL, 0), rc);
}

int main(void)
{
	T_RUN(probe_answers);
	return 0;
}
