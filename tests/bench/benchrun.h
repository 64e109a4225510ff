/*
 * benchrun.h - the synthetic runs the benchmark programs share, so that
 * bench_server (over HTTP) and bench_runjson (the parser alone) measure
 * the same document.
 */
#ifndef MG_BENCHRUN_H
#define MG_BENCHRUN_H

#include <stddef.h>
#include <stdint.h>

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

#endif
