/*
 * benchrun.c - synthetic runs for the benchmark programs (benchrun.h).
 */
#include <stdarg.h>

#include "benchrun.h"

void mg_bench_die(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

int64_t mg_bench_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int mg_bench_cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static void oom(int error)
{
	if (error < 0) {
		fputs("bench: out of memory\n", stderr);
		exit(2);
	}
}

void mg_bench_sha(char out[41], uint64_t n)
{
	snprintf(out, 41, "%016llx%016llx%08llx",
	         (unsigned long long)(n * 0x9e3779b97f4a7c15ULL),
	         (unsigned long long)~n, (unsigned long long)(n & 0xffffffff));
}

static void add_profile(mg_run *run, uint64_t n, size_t plen)
{
	unsigned char *p = malloc(plen);
	uint64_t x = n * 0x2545f4914f6cdd1dULL + 7;
	size_t i, idx;

	oom(p ? 0 : -1);
	for (i = 0; i < plen; i++) { /* xorshift64 */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)(x >> 24);
	}
	oom(mg_run_add_profile(run, &idx, "heap", "example.com/bench", p,
	                       plen));
	oom(mg_profile_add_sample_type(&run->profiles[idx],
	                               "alloc_space/bytes"));
	free(p);
}

void mg_bench_make_run(mg_run *run, const char *project, uint64_t n,
                       const char *parent, int nbench, int nunits, int nsamples,
                       size_t plen)
{
	static const char *const units[] = {"B/op", "allocs/op", "ns/op"};
	int b, u, k;

	mg_run_init(run);
	oom(mg_run_set_str(&run->project, project));
	mg_bench_sha(run->commit.sha, n);
	if (parent)
		oom(mg_run_add_parent(run, parent));
	run->commit.commit_time = 1600000000 + (int64_t)n * 60;
	oom(mg_run_set_str(&run->commit.subject, "bench commit"));
	oom(mg_run_set_str(&run->branch, "main"));
	oom(mg_run_set_str(&run->env.os, "linux"));
	run->env.cores = 2;
	run->started_at = run->commit.commit_time * 1000;
	run->ended_at = run->started_at + 1000;
	oom(mg_run_set_str(&run->bench_cmd, "go test -bench=. -count=10"));
	run->wall_ns = 1000000000;
	run->status = MG_RUN_OK;
	for (b = 0; b < nbench; b++) {
		char name[48];
		size_t idx;

		snprintf(name, sizeof(name), "BenchmarkServer/case%d", b);
		oom(mg_run_append_bench(run, &idx, name, "example.com/bench", 2,
		                        NULL, 0));
		for (u = 0; u < nunits; u++)
			for (k = 0; k < nsamples; k++)
				oom(mg_run_add_sample(
				        run, idx, units[u % 3],
				        1000.0 * (b + 1) + 10.0 * u +
				                (double)((n + (uint64_t)k) % 7),
				        100000, k));
	}
	if (plen > 0)
		add_profile(run, n, plen);
}
