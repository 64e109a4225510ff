/*
 * gobench.h - reader of the Go benchmark data format: the text `go test
 * -bench` prints (proposal 14313, as golang.org/x/perf/benchfmt reads it)
 * and the same text wrapped in `go test -json` events.
 *
 * The format, line by line (a line ends at '\n'; one '\r' before it is
 * dropped, as bufio.ScanLines does):
 *
 *   Benchmark<name> <iterations> <value> <unit> [<value> <unit>...]
 *       a result. Fields are separated by runs of white space (Go's
 *       unicode.IsSpace). <name> may hold '/'-separated sub-benchmark
 *       parts and ends in "-<digits>" when GOMAXPROCS was not 1. A line
 *       that is only "Benchmark<name>" (what `go test -v` and -json print
 *       when a benchmark starts) is skipped silently; any other line that
 *       starts with "Benchmark" and does not parse is a warning.
 *   <key>: <value>
 *       configuration (goos, goarch, pkg, cpu, or any user key) that holds
 *       for the results after it until changed. The key starts with a
 *       lower-case letter and has no upper-case letters and no white space
 *       (Go's unicode.IsLower / IsUpper / IsSpace); one or more spaces or
 *       tabs follow the colon and the value is the rest of the line. A key
 *       with an empty value ("key:") deletes it.
 *   Unit <unit> <key>=<value>...
 *       unit metadata (benchfmt's extension, e.g. "assume=exact").
 *   anything else (PASS, ok, FAIL, --- BENCH, log lines)
 *       ignored.
 *
 * Numbers are read as Go reads them: iterations as strconv.Atoi (optional
 * sign, decimal, int64 range), values as strconv.ParseFloat (decimal or
 * hexadecimal with a 'p' exponent, '_' between digits, "NaN", "Inf",
 * "Infinity" in any case; overflow is an error, underflow is not).
 * Values and units are kept as printed (benchfmt's unit tidying, e.g.
 * ns/op to sec/op, is a display matter); NaN and infinities are kept, as
 * benchfmt keeps them.
 *
 * go test -json: a line that holds a JSON object with an "Action" member
 * is a test2json event. The "Output" of "output" events is concatenated
 * per "Package", so a result line split over several events is read
 * whole, and each package keeps its own configuration. When no "pkg:"
 * line is in force, the event's Package is the pkg of its results. Lines
 * that are not events are read as plain text.
 *
 * Where memgate differs from benchfmt: a line longer than
 * MG_GOBENCH_MAX_LINE ends benchfmt's reading (bufio.Scanner's limit);
 * here it is skipped with a warning, and so is a result, configuration or
 * Unit line that is not valid UTF-8 or holds a NUL byte (kept strings
 * must be C strings and valid in JSON). Unit metadata is keyed by the
 * unit as written, where benchfmt keys it by the tidied unit (ns/op and
 * sec/op are one unit there). Limits below turn into warnings or errors
 * where benchfmt has none.
 *
 * The result copies what it keeps, so the input may be freed right after
 * parsing. Nothing is averaged: every value of every line is a sample.
 */
#ifndef MG_GOBENCH_H
#define MG_GOBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "run.h"

/* Limits on input from outside. */
#define MG_GOBENCH_MAX_INPUT ((size_t)1 << 30) /* 1 GiB: issue 3's cap */
/*
 * Longest line: bufio.Scanner's default token limit, so benchfmt cannot
 * read a longer line either. Bounds what a split -json line may buffer.
 */
#define MG_GOBENCH_MAX_LINE 65536
/* Value/unit pairs on one line: go test prints at most 5 of its own. */
#define MG_GOBENCH_MAX_VALUES 64
/* Samples in one input: what one run may hold (MG_RUN_MAX_SAMPLES). */
#define MG_GOBENCH_MAX_SAMPLES MG_RUN_MAX_SAMPLES
/* Configuration keys in force at once: go test prints 4 or 5. */
#define MG_GOBENCH_MAX_CONFIG_KEYS 128
/*
 * Each result points to a copy of the configuration made when it last
 * changed. A file that changes it before every line would make copies
 * much larger than itself, so the copied entries are capped at this
 * base plus one entry per 4 input bytes (at most 4x the input in memory).
 */
#define MG_GOBENCH_CONFIG_COPIES_BASE 65536
/* Packages (test2json streams) in one -json input. */
#define MG_GOBENCH_MAX_STREAMS 10000
/* Nesting of JSON values skipped inside an event; test2json uses 1. */
#define MG_GOBENCH_JSON_MAX_DEPTH 64
/* Unit metadata entries kept ("Unit" lines are rare). */
#define MG_GOBENCH_MAX_UNIT_META 4096
/* Warnings kept; more are only counted (mg_gobench_warnings_dropped). */
#define MG_GOBENCH_MAX_WARNINGS 1000
/* A "-N" suffix above this is part of the name, not GOMAXPROCS. */
#define MG_GOBENCH_MAX_PROCS 1000000

typedef struct mg_gobench mg_gobench; /* opaque parse result */

/* Every pointer below is borrowed: valid until mg_gobench_free(). */
typedef struct mg_gobench_kv {
	const char *key;   /* configuration key, e.g. "goos" */
	const char *value; /* its value as read, never "" */
} mg_gobench_kv;

typedef struct mg_gobench_value {
	const char *unit; /* "ns/op", "B/op", "allocs/op", "MB/s", custom */
	double value;     /* as printed; may be NaN or +-Inf */
} mg_gobench_value;

typedef struct mg_gobench_result {
	const char *name;    /* "BenchmarkX/sub", without the -procs suffix */
	const char *package; /* the pkg in force, "" if none */
	int procs;           /* the -N suffix (GOMAXPROCS), 0 if absent */
	int64_t iterations;  /* b.N of the line */
	const mg_gobench_value *values; /* in line order, at least one */
	size_t nvalues;
	const mg_gobench_kv *config; /* configuration in force, in the order
				      * benchfmt keeps (pkg included) */
	size_t nconfig;
	size_t line; /* 1-based line in the input (-json: of the event
		      * that completed the line) */
} mg_gobench_result;

typedef struct mg_gobench_unit_meta {
	const char *unit;  /* the unit as written on the Unit line */
	const char *key;   /* e.g. "assume", "better" */
	const char *value; /* e.g. "exact", "higher" */
	size_t line;       /* where it was set */
} mg_gobench_unit_meta;

typedef struct mg_gobench_warning {
	size_t line;     /* 1-based line it is about */
	const char *msg; /* "NAME:LINE: what is wrong" */
} mg_gobench_warning;

/*
 * Parse `len` bytes of benchmark output; `name` names the input in
 * messages. Malformed lines become warnings and parsing goes on. On
 * success the caller owns *out (mg_gobench_free). Errors (*out untouched):
 * MG_EINPUT when no result was read ("NAME: no benchmark results"),
 * MG_ELIMIT when the input or its samples exceed the limits above,
 * MG_ENOMEM.
 */
int mg_gobench_parse(mg_gobench **out, const char *data, size_t len,
                     const char *name, mg_err *err);
void mg_gobench_free(mg_gobench *gb);

const char *mg_gobench_name(const mg_gobench *gb);
/* Number of result lines, and the i-th one (i < count). */
size_t mg_gobench_count(const mg_gobench *gb);
const mg_gobench_result *mg_gobench_result_at(const mg_gobench *gb, size_t i);
/* Values over all results (the samples). */
size_t mg_gobench_nsamples(const mg_gobench *gb);
/* Samples that are NaN or infinite. */
size_t mg_gobench_nonfinite(const mg_gobench *gb);
/* True if the input held go test -json events. */
bool mg_gobench_is_json(const mg_gobench *gb);

size_t mg_gobench_nwarnings(const mg_gobench *gb);
const mg_gobench_warning *mg_gobench_warning_at(const mg_gobench *gb, size_t i);
/* Warnings beyond MG_GOBENCH_MAX_WARNINGS, counted but not kept. */
size_t mg_gobench_warnings_dropped(const mg_gobench *gb);

size_t mg_gobench_nunit_meta(const mg_gobench *gb);
const mg_gobench_unit_meta *mg_gobench_unit_meta_at(const mg_gobench *gb,
                                                    size_t i);

/*
 * Add the results to run: one mg_bench per (name, package, procs,
 * configuration) and one mg_sample per finite value, whose seq is its
 * repetition number for that benchmark and unit within the run (counting
 * samples the run already holds). NaN and infinite values are left out:
 * the run format and the statistics need finite numbers
 * (mg_gobench_nonfinite counts them). Errors: MG_ELIMIT when the run
 * would exceed its limits, MG_ENOMEM; the run then holds a prefix of the
 * samples.
 */
int mg_gobench_to_run(mg_run *run, const mg_gobench *gb, mg_err *err);

/*
 * A `go test -bench` pattern that selects the benchmarks `names` (full
 * names without the -procs suffix, "BenchmarkX/sub") and as few others as
 * it can. go test splits the pattern at each '/' outside brackets and
 * parentheses and matches level i of a name against part i, so the
 * pattern is one anchored group of escaped alternatives per level:
 * "^(?:BenchmarkA|BenchmarkB)$/^(?:x)$". No top-level '|': Go 1.19 tries
 * top-level alternatives in order and keeps the first that matches a
 * prefix of the name, silently dropping later full matches. It may select
 * more (A/y when A/x and B/y are asked): filter the results. Appends to
 * out. MG_EINPUT (n == 0), MG_ENOMEM, MG_ELIMIT (out's limit).
 */
int mg_gobench_bench_regex(mg_buf *out, const char *const *names, size_t n);

#endif
