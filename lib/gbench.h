/*
 * gbench.h - reader of Google Benchmark's JSON output
 * (`--benchmark_format=json` or `--benchmark_out=FILE
 * --benchmark_out_format=json`), as its JSON reporter writes it:
 *
 *   {
 *     "context": {"date": ..., "host_name": ..., "executable": ...,
 *                 "num_cpus": 8, "mhz_per_cpu": 2800,
 *                 "cpu_scaling_enabled": false, "caches": [...],
 *                 "load_avg": [...], "library_build_type": "release"},
 *     "benchmarks": [
 *       {"name": "BM_Insert/1024", "run_name": "BM_Insert/1024",
 *        "run_type": "iteration", "repetitions": 3,
 *        "repetition_index": 0, "threads": 1, "iterations": 94877,
 *        "real_time": 29275.1, "cpu_time": 29256.0, "time_unit": "ns",
 *        "bytes_per_second": 134066.0, "items_per_second": 33516.0,
 *        "<user counter>": 12.5,
 *        "allocs_per_iter": 3.0, "max_bytes_used": 4096,
 *        "total_allocated_bytes": 8192, "net_heap_growth": 0},
 *       {"name": "BM_Insert/1024_mean", "run_type": "aggregate",
 *        "aggregate_name": "mean", ...}
 *     ]
 *   }
 *
 * Kept: every "iteration" entry (an entry without run_type is one, as
 * older versions wrote none) that has no "error_occurred": true.
 * Aggregates (mean, median, stddev, cv, BigO, RMS) are skipped: memgate
 * computes its own statistics from the repetitions.
 *
 * Each kept entry is one benchmark named by "run_name" (without the
 * repetition or aggregate suffix; "name" when absent), package "", with
 * the scalar members of "context" as its configuration, and these
 * samples, all with the entry's "iterations" and with seq = the count of
 * earlier kept entries of that name (repetition_index need not be unique):
 *
 *   real_time, cpu_time     "ns/op", "cpu-ns/op": converted from
 *                           time_unit (ns, us, ms, s) to nanoseconds
 *   bytes_per_second        "B/s"
 *   items_per_second        "items/s"
 *   allocs_per_iter         "allocs/op" (MemoryManager: allocations per
 *                           iteration)
 *   max_bytes_used          "max-bytes-used-B" (MemoryManager: peak heap
 *                           bytes of the measured run, not per op)
 *   total_allocated_bytes   "total-alloc-B" (MemoryManager, as reported)
 *   net_heap_growth         "net-heap-growth-B" (MemoryManager, as
 *                           reported)
 *   any other number        a user counter, its name as the unit (the
 *                           library has applied rate / per-iteration
 *                           flags before writing); a name that is not a
 *                           valid unit (run.h) is skipped and counted
 *
 * Members known to carry no measurement (family_index, threads, label,
 * ...) and members that are not numbers are ignored.
 *
 * Errors: "<name>:<line>: field '<path>': <what>", the line found by
 * re-scanning the text (jsonpos.h); a syntax error names the line where
 * cJSON stopped.
 */
#ifndef MG_GBENCH_H
#define MG_GBENCH_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "run.h"

/*
 * Input size: the reporter writes ~500 bytes per entry, so 256 MiB is
 * half a million entries, more than MG_RUN_MAX_BENCHMARKS; cJSON's tree
 * costs a few times the text, which bounds our memory near 1 GiB.
 */
#define MG_GBENCH_MAX_INPUT ((size_t)256 << 20)
/*
 * Values in one entry: the reporter writes about 10 and one per user
 * counter; a unit given twice in one entry is an error.
 */
#define MG_GBENCH_MAX_COUNTERS 256
/* Context members copied into each benchmark's configuration. */
#define MG_GBENCH_MAX_CONFIG 64

typedef struct mg_gbench_stats {
	size_t entries;          /* iteration entries kept */
	size_t aggregates;       /* aggregate entries skipped */
	size_t errored;          /* entries with error_occurred skipped */
	size_t skipped_counters; /* counters whose name is not a unit */
} mg_gbench_stats;

/*
 * Read `len` bytes of Google Benchmark JSON into run (benches and samples
 * are added; other fields are untouched). stats may be NULL. MG_EINPUT
 * for malformed input, MG_ELIMIT over a limit, MG_ENOMEM. On error run
 * may hold part of the entries: discard it.
 */
int mg_gbench_to_run(mg_run *run, const char *data, size_t len,
                     const char *name, mg_gbench_stats *stats, mg_err *err);

/* True if data looks like Google Benchmark JSON (for auto-detection). */
bool mg_gbench_sniff(const char *data, size_t len);

#endif
