/*
 * benchrun.h - what the benchmark programs share: the synthetic runs, so
 * that bench_server (over HTTP), bench_runjson (the parser alone) and
 * bench_sampleset (the stored sets) measure the same document; and their
 * clock, sort and exit on error.
 */
#ifndef MG_BENCHRUN_H
#define MG_BENCHRUN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "run.h"

/* A distinct, valid 40-hex-digit commit id for every n. */
void mg_bench_sha(char out[41], uint64_t n);

/*
 * Run number n of `project`: nbench benchmarks x nunits units (B/op,
 * allocs/op, ns/op) x nsamples, and a heap profile of plen pseudo-random
 * bytes (none if 0; distinct per n, as the store deduplicates identical
 * blobs, which would flatter an ingest figure). parent may be NULL. Exits
 * the program when out of memory.
 */
void mg_bench_make_run(mg_run *run, const char *project, uint64_t n,
                       const char *parent, int nbench, int nunits, int nsamples,
                       size_t plen);

/* Print "prog: <message>" on stderr and exit with 2. */
void mg_bench_die(const char *prog, const char *fmt, ...)
        __attribute__((format(printf, 2, 3), noreturn));

/*
 * Nanoseconds of clock id: CLOCK_MONOTONIC for wall time, or
 * CLOCK_THREAD_CPUTIME_ID for this thread's CPU time (steadier than wall
 * time on a shared machine).
 */
int64_t mg_bench_clock_ns(clockid_t id);

/* qsort() comparison of int64_t. */
int mg_bench_cmp_i64(const void *a, const void *b);

#endif
