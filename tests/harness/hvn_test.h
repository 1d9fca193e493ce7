/* Minimal test harness: each test is its own program; a failed check
 * prints where and why and exits 1; a test that cannot run here exits 77,
 * meson's skip, and says why. */
#ifndef HVN_TEST_H
#define HVN_TEST_H

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#define T_FAIL(...) do { \
	fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fprintf(stderr, "\n"); \
	exit(1); \
} while (0)

#define T_ASSERT(cond) do { \
	if (!(cond)) \
		T_FAIL("%s", #cond); \
} while (0)

#define T_EQ(a, b) do { \
	long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	if (t_a_ != t_b_) \
		T_FAIL("%s == %s: %lld != %lld", #a, #b, t_a_, t_b_); \
} while (0)

#define T_SKIP(...) do { \
	printf("SKIP: "); \
	printf(__VA_ARGS__); \
	printf("\n"); \
	exit(77); \
} while (0)

/* Runs a named case and reports it. */
#define T_RUN(fn) do { \
	fn(); \
	printf("ok - %s\n", #fn); \
} while (0)

/* Open descriptors of this process: leak checks compare two counts. */
static inline int hvn_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d != NULL && readdir(d) != NULL)
		n++;
	if (d != NULL)
		closedir(d);
	return n;
}

#endif /* HVN_TEST_H */
