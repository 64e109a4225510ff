/*
 * massifprog.c - helper of tests/it/measure.sh: g() allocates 3 x 1 MiB,
 * all live at once, then frees them; the heap peak is 3 MiB exactly.
 */
#include <stdlib.h>
#include <string.h>

static void *keep[3];

__attribute__((noinline)) static void g(void)
{
	int i;

	for (i = 0; i < 3; i++) {
		keep[i] = malloc(1 << 20);
		memset(keep[i], 1, 1 << 20);
	}
}

int main(void)
{
	int i;

	g();
	for (i = 0; i < 3; i++)
		free(keep[i]);
	return 0;
}
