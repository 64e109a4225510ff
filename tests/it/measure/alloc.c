/*
 * alloc.c - helper of tests/it/measure.sh: allocate and touch MIB MiB,
 * hold them for MS milliseconds, exit 0. Its stdin and stdout are passed
 * through so it can sit in a shell pipeline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	size_t mib, i;
	long ms;
	char *p;
	int c;

	if (argc != 3)
		return 2;
	mib = (size_t)strtoul(argv[1], NULL, 10);
	ms = strtol(argv[2], NULL, 10);
	p = malloc(mib << 20);
	if (p == NULL)
		return 1;
	/* Resident, not only reserved; volatile so no compiler drops it. */
	for (i = 0; i < (mib << 20); i += 4096)
		((volatile char *)p)[i] = 1;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	nanosleep(&ts, NULL);
	while ((c = getchar()) != EOF)
		putchar(c);
	free(p);
	return 0;
}
