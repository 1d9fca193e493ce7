/* Runs a libFuzzer target without libFuzzer: every file named on the
 * command line, and every regular file in every directory named, is fed
 * once to LLVMFuzzerTestOneInput. This makes the seed corpora (and any
 * crash input a developer adds to them) ordinary regression tests under
 * gcc as well as clang. Arguments starting with '-' are ignored so a
 * libFuzzer command line can be replayed unchanged.
 *
 * Files are run in name order so a failure is reproducible, and an empty
 * run fails: a wrong corpus path must not turn into a silent pass. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	for (;;) {
		if (len == cap) {
			uint8_t *nb;

			cap = cap != 0 ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				fprintf(stderr, "%s: out of memory\n", path);
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		perror(path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* Announce first: if the target aborts, the log names the input. */
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	/* An exactly sized copy, so ASan sees reads past the input's end. */
	{
		uint8_t *exact = malloc(len != 0 ? len : 1);

		if (exact == NULL) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Returns the number of inputs run, or -1. */
static int run_path(const char *path)
{
	struct dirent **ents;
	struct stat st;
	int n, i, runs = 0, rc = 0;

	if (stat(path, &st) < 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path) < 0 ? -1 : 1;
	n = scandir(path, &ents, NULL, by_name);
	if (n < 0) {
		perror(path);
		return -1;
	}
	for (i = 0; i < n; i++) {
		char *sub;

		if (ents[i]->d_name[0] == '.' || rc < 0) {
			free(ents[i]);
			continue;
		}
		if (asprintf(&sub, "%s/%s", path, ents[i]->d_name) < 0) {
			rc = -1;
		} else {
			if (stat(sub, &st) == 0 && S_ISREG(st.st_mode)) {
				if (run_file(sub) < 0)
					rc = -1;
				else
					runs++;
			}
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
	return rc < 0 ? -1 : runs;
}

int main(int argc, char **argv)
{
	int i, runs = 0, r;

	if (LLVMFuzzerInitialize != NULL)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-')
			continue;
		r = run_path(argv[i]);
		if (r < 0)
			return 1;
		runs += r;
	}
	if (runs == 0) {
		fprintf(stderr, "usage: %s FILE|DIR...: no inputs found\n", argv[0]);
		return 1;
	}
	printf("replayed %d inputs\n", runs);
	return 0;
}
