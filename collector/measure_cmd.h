/*
 * measure_cmd.h - `memgate collect --measure CMD`: measure an arbitrary
 * command (a build, a CLI run, a test suite, in any language) as a
 * pseudo-benchmark, optionally under valgrind's massif, optionally
 * scraping a live Go heap profile endpoint while it runs.
 *
 * The benchmark is named by --name or the command line (package "",
 * procs 0). Each repetition (seq 0, 1, ...; iterations 1) adds:
 *
 *   wall-ns       spawn to exit of the command (ns)
 *   user-ns       user CPU of the command and its waited descendants
 *   sys-ns        system CPU, likewise
 *   peak-rss-B    peak resident memory of the whole process tree, summed
 *                 over its live processes (proc.h), bytes
 *   exit-status   0, the exit code, or 128 + signal
 *
 * With --massif the command runs as `valgrind --tool=massif
 * --trace-children=yes ... /bin/sh -c CMD` (so the times and peak RSS are
 * valgrind's), and each repetition also adds peak-heap-B and
 * peak-total-B (massif.h) of the process with the largest peak total;
 * the massif file of the repetition with the largest peak total is
 * stored as a profile of kind "massif" with its allocation sites.
 *
 * With --pprof-url a thread fetches the URL (a Go /debug/pprof/heap
 * endpoint; add ?gc=1 to the URL for a GC first) every --pprof-interval
 * while the command runs, the first time at once. Two snapshots are
 * stored as profiles with their per-function aggregates: kind
 * "heap-peak", the snapshot with the largest inuse_space over all
 * repetitions, and kind "heap-last", the last one that parsed. Fetching
 * never delays the command (each request is bounded by
 * MG_MEASURE_PPROF_TIMEOUT_MS and runs beside it); an endpoint that never
 * gave a profile is a warning naming the URL and the last error.
 *
 * Profiles named with --profile KIND=PATH are read after the last
 * repetition (measure.c), as for benchmark commands.
 *
 * A repetition that fails (non-zero status, timeout) marks the run
 * failed with its output tail and ends the repetitions.
 */
#ifndef MG_MEASURE_CMD_H
#define MG_MEASURE_CMD_H

#include "err.h"
#include "measure.h"
#include "run.h"

/* --repeat: enough for statistics, bounded against typos (1e9). */
#define MG_MEASURE_MAX_REPEAT 10000
/* One heap profile response: Go's are KBs to a few MB gzipped. */
#define MG_MEASURE_PPROF_MAX ((size_t)64 << 20)
/* --pprof-interval default. */
#define MG_MEASURE_PPROF_INTERVAL_MS 1000
/* Bound on one fetch, so stopping after the command waits at most this. */
#define MG_MEASURE_PPROF_TIMEOUT_MS 5000
/* Massif files one repetition may leave (one per traced process). */
#define MG_MEASURE_MAX_MASSIF_FILES 256

/*
 * The long options of `memgate collect` this file reads, as getopt_long
 * values above any character so they never clash with short options.
 */
enum mg_measure_cmd_opt {
	MG_MEASURE_OPT_MEASURE = 0x4d00, /* --measure CMD */
	MG_MEASURE_OPT_REPEAT,           /* --repeat N */
	MG_MEASURE_OPT_NAME,             /* --name NAME */
	MG_MEASURE_OPT_MASSIF,           /* --massif */
	MG_MEASURE_OPT_PPROF_URL,        /* --pprof-url URL */
	MG_MEASURE_OPT_PPROF_INTERVAL,   /* --pprof-interval SECONDS */
};

/* Usage lines for these options, to print in collect's --help. */
extern const char mg_measure_cmd_usage[];

/*
 * Apply option `opt` (enum mg_measure_cmd_opt) with argument arg (NULL
 * for --massif) to mo. MG_EINPUT with a message for a bad argument.
 */
int mg_measure_cmd_option(mg_measure_opts *mo, int opt, const char *arg,
                          mg_err *err);

/*
 * Measure o->bench_cmd in dir into run as described above (run->bench_cmd
 * is set by the caller). MG_EINPUT when --repeat, --name, --massif or
 * --pprof-url is given without --measure, or --measure with
 * --go-profiles. Errors: MG_ECONFLICT when cancelled, MG_ENOTFOUND
 * when valgrind is missing for --massif, MG_EIO, MG_ENOMEM; a failing
 * command is not an error (run->status).
 */
int mg_measure_command(mg_run *run, const char *dir, const mg_measure_opts *o,
                       mg_err *err);

#endif
