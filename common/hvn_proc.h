/* Host-side helpers that read the process's own accounting (libc; never
 * include it from guest code). */
#ifndef HVN_PROC_H
#define HVN_PROC_H

#include <stdio.h>
#include <string.h>

/* A "Name:   N kB" line of /proc/self/status (VmHWM, RssAnon, RssFile,
 * RssShmem...), in KiB, or -1. */
static inline long hvn_proc_status_kib(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t flen = strlen(field);
	char line[256];
	long v = -1;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (!strncmp(line, field, flen) && line[flen] == ':' &&
		    sscanf(line + flen + 1, "%ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

#endif /* HVN_PROC_H */
