/*
 * pprof.h - reader for pprof profiles (profile.proto, gzip-compressed or
 * raw) and the `go tool pprof -top` view of them: per-function flat and
 * cum for any sample type, and the difference of two profiles.
 *
 * The figures, the order, the function names, the unit scaling and the
 * percentages are those `go tool pprof -top -sample_index=T` prints with
 * its default options (granularity "functions", nodefraction 0.005,
 * edgefraction 0.001, unit "minimum", no nodecount); the diff is that of
 * `go tool pprof -top -diff_base=BASE HEAD`. tests/unit/test_pprof.c checks
 * this row by row against the installed Go toolchain. The header's Time:
 * is printed in UTC (pprof uses the local zone: they agree with TZ=UTC).
 *
 * Default sample type: the profile's default_sample_type, else the last
 * type. `go test -memprofile` writes runtime/pprof's "allocs" profile,
 * which declares alloc_space; a heap profile from /debug/pprof/heap
 * declares none and so defaults to inuse_space. Legacy text profiles are
 * refused with a message saying so.
 *
 * An mg_pprof owns a private copy of the decompressed profile; the input
 * may be freed right after mg_pprof_parse(). Everything it hands out is
 * borrowed and valid until mg_pprof_free(). Results of mg_pprof_top() and
 * mg_pprof_diff() are independent of the profiles they came from.
 *
 * Hostile input: every length, index and id is checked; the decompressed
 * size and the memory of the parsed form are capped (mg_pprof_opts), so a
 * gzip bomb or an oversized profile ends in MG_ELIMIT, and anything
 * malformed in MG_EINPUT with a message naming the profile and the field.
 * Negative sample values are accepted, as pprof accepts them: profiles
 * written by `go tool pprof -proto -diff_base` contain them. Sums wrap
 * around on int64 overflow exactly as Go's do.
 */
#ifndef MG_PPROF_H
#define MG_PPROF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "run.h"

/*
 * Default cap on the decompressed size: real heap and CPU profiles of a
 * Go benchmark run are kilobytes to a few tens of megabytes, and even
 * profiles of large servers stay far below 1 GiB; anything beyond it is a
 * bomb or not a profile.
 */
#define MG_PPROF_DEFAULT_MAX_DECOMPRESSED ((size_t)1 << 30)

/*
 * Default memory budget of the parsed form, as a multiple of the
 * decompressed size plus a constant: real profiles need about 1.5x (the
 * decompressed bytes are kept for the strings, the stacks and values are
 * expanded to fixed-width arrays); a crafted profile made of minimal
 * messages could need ~10x, and is refused instead.
 */
#define MG_PPROF_DEFAULT_MEMORY_FACTOR 8
#define MG_PPROF_DEFAULT_MEMORY_EXTRA ((size_t)64 << 20)

/*
 * Sample types per profile: Go writes 1 (CPU) to 4 (heap); the same bound
 * as an mg_run profile's.
 */
#define MG_PPROF_MAX_SAMPLE_TYPES 64

/* pprof's defaults for -top: drop nodes whose |cum| <= 0.5% of the total,
 * and edges below 0.1% (edges only decide the "(inline)" marks). */
#define MG_PPROF_NODE_FRACTION 0.005
#define MG_PPROF_EDGE_FRACTION 0.001

typedef struct mg_pprof mg_pprof; /* opaque parsed profile */

typedef struct mg_pprof_opts {
	size_t max_decompressed; /* 0: MG_PPROF_DEFAULT_MAX_DECOMPRESSED */
	size_t max_memory;       /* bytes for the parsed form, 0: default */
} mg_pprof_opts;

/*
 * Parse `len` bytes of a profile: gzip (one or more members) or raw
 * protobuf. `name` (e.g. the file name) prefixes every message. On success
 * the caller owns *out (mg_pprof_free); on error *out is untouched and the
 * code is MG_EINPUT (malformed), MG_ELIMIT (a cap was hit) or MG_ENOMEM.
 */
int mg_pprof_parse(mg_pprof **out, const void *data, size_t len,
                   const mg_pprof_opts *opts, const char *name, mg_err *err);
void mg_pprof_free(mg_pprof *p);
/*
 * Read the file at `path` (at most the decompression cap plus 1/16 for
 * gzip's framing, MG_ELIMIT beyond) and parse it, named by its path.
 */
int mg_pprof_load(mg_pprof **out, const char *path, const mg_pprof_opts *opts,
                  mg_err *err);

/* The name given to mg_pprof_parse(). */
const char *mg_pprof_name(const mg_pprof *p);
size_t mg_pprof_sample_type_count(const mg_pprof *p);
/* Type ("alloc_space") and unit ("bytes") of sample type i. */
const char *mg_pprof_sample_type(const mg_pprof *p, size_t i);
const char *mg_pprof_sample_unit(const mg_pprof *p, size_t i);
/* The profile's default_sample_type string, NULL if it declares none. */
const char *mg_pprof_default_sample_type(const mg_pprof *p);
/*
 * Resolve a -sample_index argument as pprof does: NULL or "" is the
 * default (default_sample_type if it names a type, else the last type), a
 * number is an index, otherwise a type name, where "inuse_X" also matches
 * a type "X". MG_EINPUT (listing the types) if nothing matches.
 */
int mg_pprof_sample_index(size_t *out, const mg_pprof *p, const char *which,
                          mg_err *err);
int64_t mg_pprof_time_nanos(const mg_pprof *p);
int64_t mg_pprof_duration_nanos(const mg_pprof *p);
int64_t mg_pprof_period(const mg_pprof *p);
size_t mg_pprof_sample_count(const mg_pprof *p);
size_t mg_pprof_location_count(const mg_pprof *p);
size_t mg_pprof_function_count(const mg_pprof *p);
/* Sum of the values of sample type i (signed, wrapping like Go). */
int64_t mg_pprof_sum(const mg_pprof *p, size_t i);
/*
 * drop_frames / keep_frames as the profile declares them ("" if unset).
 * pprof applies them as regular expressions; memgate does not (Go's
 * runtime never sets them), so a profile that sets them may differ.
 */
const char *mg_pprof_drop_frames(const mg_pprof *p);
const char *mg_pprof_keep_frames(const mg_pprof *p);

/* One row of the -top table. */
typedef struct mg_pprof_row {
	char *function; /* name as pprof prints it */
	char *file;     /* source file of the function, "" if unknown */
	const char *inline_mark; /* "", "(inline)" or "(partial-inline)" */
	int64_t flat; /* value in the function itself (diff: head-base) */
	int64_t cum;  /* in the function and its callees, once per sample */
	int64_t base_flat; /* diff only: the base's flat, else 0 */
	int64_t base_cum;  /* diff only: the base's cum, else 0 */
} mg_pprof_row;

typedef struct mg_pprof_top_opts {
	size_t node_count; /* pprof -nodecount: 0 shows every node kept */
} mg_pprof_top_opts;

/* The -top report; every string is owned by it. */
typedef struct mg_pprof_top {
	bool diff;         /* made by mg_pprof_diff() */
	char *sample_type; /* "alloc_space" */
	char *sample_unit; /* "bytes", as the profile spells it */
	char *output_unit; /* the unit every value is printed in ("MB") */
	char **labels;     /* header lines (File:, Type:, ..., Dropped ...) */
	size_t nlabels;
	int64_t total;             /* sum of |values| (diff: of the base's) */
	int64_t shown_flat;        /* sum of flat over the rows */
	size_t dropped_nodes;      /* nodes below the nodefraction cutoff */
	size_t nodes_before_count; /* nodes left before node_count applied */
	mg_pprof_row *rows;        /* in pprof's order */
	size_t nrows;
} mg_pprof_top;

/*
 * Build the -top report of sample type `which` (see mg_pprof_sample_index;
 * NULL: the default). `opts` may be NULL. The caller owns *out
 * (mg_pprof_top_free).
 */
int mg_pprof_top_new(mg_pprof_top **out, const mg_pprof *p, const char *which,
                     const mg_pprof_top_opts *opts, mg_err *err);
/*
 * The -top report of HEAD with BASE subtracted, as with -diff_base. Both
 * must have the same sample types (MG_EINPUT otherwise); percentages are of
 * the base's total. Rows carry the base's flat and cum too, so callers can
 * show relative changes.
 */
int mg_pprof_diff(mg_pprof_top **out, const mg_pprof *base,
                  const mg_pprof *head, const char *which,
                  const mg_pprof_top_opts *opts, mg_err *err);
void mg_pprof_top_free(mg_pprof_top *t);

/*
 * Append the report as `go tool pprof -top` prints it: the header lines,
 * the column titles, one line per row. MG_ENOMEM / MG_ELIMIT from the
 * buffer.
 */
int mg_pprof_top_write_text(mg_buf *out, const mg_pprof_top *t);

/* Formatting helpers with pprof's rules (measurement.ScaledLabel and
 * measurement.Percentage); both always NUL-terminate `buf`. */
void mg_pprof_format_value(char *buf, size_t size, int64_t v,
                           const char *from_unit, const char *to_unit);
void mg_pprof_format_percent(char *buf, size_t size, int64_t v, int64_t total);
/* The value as the report prints it (its output unit). */
void mg_pprof_top_format(const mg_pprof_top *t, char *buf, size_t size,
                         int64_t v);

/*
 * Fill dst (a profile of an mg_run, with no sample types yet) with the
 * sample types as "type/unit", the declared default sample type, and for
 * EVERY sample type one aggregate per function with a non-zero flat or
 * cum, in -top order. MG_ECONFLICT if dst already has sample types.
 */
int mg_pprof_to_run(mg_profile *dst, const mg_pprof *p, mg_err *err);

#endif
