/* What both fuzz targets share: the entry point's prototype and CHECK(),
 * an invariant check that also works in the release-build replays. */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Under run-fuzzers.sh stderr is /dev/null (the server logs every
 * protocol error); the sanitizer's report channel still reaches the log. */
void __sanitizer_report_error_summary(const char *summary) __attribute__((weak));

/* Not assert(): the replay tests run in release builds too. */
#define CHECK(c) do { \
	if (!(c)) \
		fuzz_check_failed(__FILE__, __LINE__, #c); \
} while (0)

static __attribute__((noreturn, noinline, unused)) void
fuzz_check_failed(const char *file, int line, const char *what)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s:%d: invariant failed: %s", file, line, what);
	fprintf(stderr, "%s\n", msg);
	if (__sanitizer_report_error_summary != NULL)
		__sanitizer_report_error_summary(msg);
	abort();
}

#endif /* FUZZ_CHECK_H */
