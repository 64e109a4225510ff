/*
 * bench_proc.c - what mg_proc_run adds to running a command: `true` run
 * N times (default 200) through mg_proc_run and through a bare
 * posix_spawnp + waitpid, medians compared; then the CPU the RSS sampler
 * costs us while a tree runs (`sleep 1`), per poll and as a share of one
 * CPU at the default interval. Not a test: it prints figures.
 *
 *   bench_proc [runs]
 */
#include <errno.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchrun.h"
#include "proc.h"

extern char **environ;

#define MAX_RUNS 100000

static int64_t now_ns(void)
{
	return mg_bench_clock_ns(CLOCK_MONOTONIC);
}

static double median_ms(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), mg_bench_cmp_i64);
	if (n % 2)
		return (double)v[n / 2] / 1e6;
	return (double)(v[n / 2 - 1] + v[n / 2]) / 2e6;
}

static int64_t spawn_wait(void)
{
	char *argv[] = {"true", NULL};
	int64_t t0 = now_ns();
	pid_t pid;
	int status;

	if (posix_spawnp(&pid, "true", NULL, NULL, argv, environ) != 0) {
		perror("posix_spawnp");
		exit(2);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return now_ns() - t0;
}

static int64_t proc_run(mg_proc_result *res, unsigned flags)
{
	const char *argv[] = {"true", NULL};
	mg_proc_opts o = {0};
	mg_err err = MG_ERR_INIT;
	int64_t t0 = now_ns();

	o.argv = argv;
	o.flags = flags;
	if (mg_proc_run(res, &o, &err) != 0 || res->status != 0) {
		fprintf(stderr, "bench_proc: %s\n", err.msg);
		exit(2);
	}
	return now_ns() - t0;
}

static int64_t self_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Our own CPU per sampler poll while `sleep 1` (sh + sleep) runs. */
static void sampler_cost(mg_proc_result *res, unsigned flags, const char *name)
{
	mg_proc_opts o = {0};
	mg_err err = MG_ERR_INIT;
	int64_t c0, cpu;
	double per_poll_us;

	o.shell = "sleep 1; true";
	o.flags = flags;
	c0 = self_cpu_ns();
	if (mg_proc_run(res, &o, &err) != 0) {
		fprintf(stderr, "bench_proc: %s\n", err.msg);
		exit(2);
	}
	cpu = self_cpu_ns() - c0;
	per_poll_us = res->rss_polls ? (double)cpu / 1e3 / res->rss_polls : 0;
	printf("sampler (%s): %lld polls in %.0f ms wall, our CPU %.1f ms "
	       "= %.1f us/poll = %.2f%% of one CPU at %d ms\n",
	       name, (long long)res->rss_polls, (double)res->wall_ns / 1e6,
	       (double)cpu / 1e6, per_poll_us,
	       per_poll_us / (MG_PROC_SAMPLE_MS * 1000.0) * 100.0,
	       MG_PROC_SAMPLE_MS);
}

int main(int argc, char **argv)
{
	mg_proc_result res;
	int64_t *base, *proc, *norss;
	double mb, mp, mn;
	long long n = 200;
	int i;

	if (argc > 1) {
		char *end;

		errno = 0;
		n = strtoll(argv[1], &end, 10);
		if (errno || *end || n < 1 || n > MAX_RUNS) {
			fprintf(stderr, "usage: bench_proc [runs 1..%d]\n",
			        MAX_RUNS);
			return 2;
		}
	}
	base = calloc((size_t)n, sizeof(*base));
	proc = calloc((size_t)n, sizeof(*proc));
	norss = calloc((size_t)n, sizeof(*norss));
	if (!base || !proc || !norss)
		return 2;
	mg_proc_result_init(&res);
	/* interleaved, so drift of the machine hits all three alike */
	for (i = 0; i < n; i++) {
		base[i] = spawn_wait();
		proc[i] = proc_run(&res, 0);
		norss[i] = proc_run(&res, MG_PROC_NO_RSS);
	}
	mb = median_ms(base, (int)n);
	mp = median_ms(proc, (int)n);
	mn = median_ms(norss, (int)n);
	printf("runs: %lld of `true` each\n", n);
	printf("posix_spawnp+waitpid median: %.3f ms\n", mb);
	printf("mg_proc_run median:          %.3f ms (added %.3f ms)\n", mp,
	       mp - mb);
	printf("mg_proc_run NO_RSS median:   %.3f ms (added %.3f ms)\n", mn,
	       mn - mb);
	sampler_cost(&res, 0, "children files");
	sampler_cost(&res, MG_PROC_RSS_SCAN, "/proc scan");
	mg_proc_result_release(&res);
	free(base);
	free(proc);
	free(norss);
	return 0;
}
