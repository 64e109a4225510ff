/*
 * measure.h - measure one checked-out commit: run the build command, then
 * the benchmark command (or, in Go-profiles mode, one `go test` per
 * package with -memprofile/-cpuprofile), parse the Go benchmark output
 * and the profiles, and fill an mg_run with samples, profiles, wall time,
 * peak RSS of the benchmark process trees and, on failure, the log tail.
 */
#ifndef MG_MEASURE_H
#define MG_MEASURE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "run.h"

/* Profiles named on the command line (--profile KIND=PATH). */
#define MG_MEASURE_MAX_PROFILES 64
/* Largest profile file read from disk (pprof caps decompression too). */
#define MG_MEASURE_PROFILE_MAX ((size_t)256 << 20)

typedef struct mg_measure_profile {
	const char *kind; /* "heap", "cpu", ... */
	const char *path; /* relative to the work tree, or absolute */
} mg_measure_profile;

typedef struct mg_measure_opts {
	const char *build_cmd; /* shell command, NULL: none */
	const char *bench_cmd; /* shell command; NULL: the go test default */
	int count;             /* -count for the default command */
	int64_t timeout_ms;    /* per command, 0: none */
	mg_measure_profile profiles[MG_MEASURE_MAX_PROFILES];
	size_t nprofiles;
	bool go_profiles; /* per-package -memprofile and -cpuprofile */
	bool tee;         /* copy the commands' output to stderr */
	/* --measure (measure_cmd.h): bench_cmd is any command */
	bool measure;                  /* measure bench_cmd, no Go parsing */
	int repeat;                    /* repetitions, 0: 1 */
	const char *measure_name;      /* benchmark name, NULL: the command */
	bool massif;                   /* run it under valgrind's massif */
	const char *pprof_url;         /* heap profile endpoint, NULL: none */
	int64_t pprof_interval_ms;     /* 0: MG_MEASURE_PPROF_INTERVAL_MS */
	volatile sig_atomic_t *cancel; /* set by a SIGINT handler */
} mg_measure_opts;

/*
 * The default benchmark command for a Go module, with its -count. The
 * result is malloc'd; it is also the identity of the measurement (the
 * store's "same command" for resuming backfills).
 */
char *mg_measure_default_cmd(int count);

/*
 * The Go benchmark command for `count` repetitions of the benchmarks
 * matching `regex` (NULL: "."; shell-quoted here) in `packages` (a
 * shell-ready list; NULL: "./..."; "": none, for --go-profiles, which
 * appends one package per run). malloc'd, NULL when out of memory.
 */
char *mg_measure_go_cmd(int count, const char *regex, const char *packages);

/* Append s to out in single quotes for sh. MG_ENOMEM, MG_ELIMIT. */
int mg_measure_shell_quote(mg_buf *out, const char *s);

/*
 * Run only the build command of opts (nothing when it has none) in dir.
 * A failing build marks run failed with the log tail, as mg_measure does.
 */
int mg_measure_build(mg_run *run, const char *dir, const mg_measure_opts *opts,
                     mg_err *err);

/*
 * Measure the commit checked out in `dir` into run (commit, env and the
 * rest set by the caller). A build or benchmark that fails, times out or
 * prints no benchmark results is not an error of this function: run->
 * status is MG_RUN_FAILED with exit_status and log_tail set. Errors:
 * MG_ECONFLICT when cancelled (nothing should be stored), MG_EIO when a
 * command cannot be started, MG_ENOMEM.
 */
int mg_measure(mg_run *run, const char *dir, const mg_measure_opts *opts,
               mg_err *err);

#endif
