/*
 * alloc_child.c - a child process with a known memory or CPU footprint,
 * spawned (often as a grandchild under /bin/sh) by test_proc.c:
 *
 *   alloc_child alloc MIB HOLD_MS   touch MIB MiB of heap, print
 *                                   "touched <pid>", hold it HOLD_MS ms
 *   alloc_child spin CPU_MS         burn CPU_MS ms of CPU time
 *   alloc_child shared MIB HOLD_MS  touch MIB MiB, then start a second
 *                                   process sharing the address space
 *                                   (clone CLONE_VM, as vfork does) and
 *                                   hold both for HOLD_MS ms
 *
 * Every page is written, so the kernel backs all of it: the resident set
 * grows by at least MIB MiB whatever the allocator does.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static long long arg_num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0) {
		fprintf(stderr, "alloc_child: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

static long long cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static long long hold_ms;

static int hold(void *arg)
{
	(void)arg;
	sleep_ms(hold_ms);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 &&
	    (strcmp(argv[1], "alloc") == 0 || strcmp(argv[1], "shared") == 0)) {
		size_t len = (size_t)arg_num(argv[2]) << 20;
		volatile unsigned char *p = malloc(len);
		size_t stack_len = 256 * 1024, i;
		char *stack = NULL;
		pid_t pid;

		if (p == NULL)
			return 3;
		for (i = 0; i < len; i += 4096)
			p[i] = (unsigned char)(i >> 12);
		hold_ms = arg_num(argv[3]);
		if (argv[1][0] == 's') {
			stack = malloc(stack_len);
			if (stack == NULL)
				return 3;
			pid = clone(hold, stack + stack_len, CLONE_VM | SIGCHLD,
			            NULL);
			if (pid < 0)
				return 4;
		}
		printf("touched %d\n", (int)getpid());
		fflush(stdout);
		hold(NULL);
		if (stack) {
			waitpid(pid, NULL, 0);
			free(stack);
		}
		free((void *)p);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "spin") == 0) {
		long long until = cpu_ms() + arg_num(argv[2]);
		volatile unsigned long sink = 0;

		while (cpu_ms() < until)
			sink++;
		return 0;
	}
	fprintf(stderr, "usage: alloc_child alloc MIB HOLD_MS | spin CPU_MS\n");
	return 2;
}
