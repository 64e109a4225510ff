/*
 * compare.h - the comparison engine behind `memgate compare`: two sets of
 * benchmark samples, base and head (two Go benchmark files, or the runs
 * of two commits from the store, several runs of one commit pooled), are
 * grouped by benchmark (package, name, procs) and unit, compared with
 * lib/stats, judged, and rendered as text, markdown or JSON.
 *
 * For each (benchmark, unit) present on both sides:
 *
 *   1. mg_stats_compare(): both medians with their confidence intervals,
 *      the Mann-Whitney U test (base first, as benchstat) and the
 *      Hodges-Lehmann shift of head - base with its interval;
 *   2. Benjamini-Hochberg across all pairs of the comparison that have a
 *      test (status OK; all-equal pairs take no part), as
 *      tests/bench/sim_falsealarm measured the defaults with;
 *   3. mg_stats_judge() with the adjusted p and the unit's rule: the
 *      default of mg_stats_rule_default(), overridden per unit by the
 *      thresholds (`--threshold`, .memgate.ini), with the benchmark's
 *      noise floor when one was given (from A/A runs).
 *
 * A (benchmark, unit) present on one side only is "added" (head only) or
 * "removed" (base only), never a regression. Per unit a geometric-mean row
 * is computed as benchstat does: the geomean of each side's medians and
 * the geomean of the per-benchmark ratios.
 *
 * The overall verdict: regression if any pair regressed; otherwise
 * inconclusive if a side failed or is missing, or no benchmark is on both
 * sides; otherwise improvement if any pair improved; otherwise unchanged.
 *
 * Attribution: when a pair regresses in B/op (alloc_space) or allocs/op
 * (alloc_objects) and both sides have heap profiles of the benchmark's
 * package, the functions whose share of the package's allocations grew
 * most are listed (see compare.c for why shares, not per-op values).
 *
 * An mg_compare copies everything it is given; results are borrowed from
 * it and valid until mg_compare_free().
 */
#ifndef MG_COMPARE_H
#define MG_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gitrepo.h"
#include "run.h"
#include "stats.h"
#include "store.h"

/* Runs pooled per side: a baseline commit measured a few times. */
#define MG_COMPARE_MAX_RUNS 64
/* Samples of one comparison, both sides: two full runs. */
#define MG_COMPARE_MAX_SAMPLES (2 * (size_t)MG_RUN_MAX_SAMPLES)
/* Per-unit threshold overrides: a handful of units in practice. */
#define MG_COMPARE_MAX_THRESHOLDS 256
/* Noise floors: one per benchmark and unit of a large project. */
#define MG_COMPARE_MAX_FLOORS 1000000
/* Notes on the baseline and the environments; a few in practice. */
#define MG_COMPARE_MAX_NOTES 64
/* Longest note or label kept. */
#define MG_COMPARE_MAX_NOTE 1024
/* Functions listed per attributed regression. */
#define MG_COMPARE_ATTR_TOP 5
/*
 * Smallest growth of a function's share of the package's allocations
 * that is attributed: go tool pprof hides nodes at or below 0.5% of the
 * total (nodefraction) as noise of the sampling; so do we.
 */
#define MG_COMPARE_ATTR_MIN_GROWTH 0.005
/* GitHub refuses issue comments longer than 65536 characters. */
#define MG_COMPARE_MD_MAX 65536
/* The markdown must have room for its summary, notes and trimming notes. */
#define MG_COMPARE_MD_MIN 4096

typedef struct mg_compare mg_compare; /* opaque */

enum mg_compare_side {
	MG_COMPARE_BASE = 0,
	MG_COMPARE_HEAD = 1,
};

enum mg_compare_side_status {
	MG_COMPARE_SIDE_OK = 0,      /* has successful runs */
	MG_COMPARE_SIDE_FAILED = 1,  /* its runs failed */
	MG_COMPARE_SIDE_MISSING = 2, /* nothing was measured */
};

enum mg_compare_presence {
	MG_COMPARE_BOTH = 0,    /* on both sides: compared */
	MG_COMPARE_ADDED = 1,   /* head only */
	MG_COMPARE_REMOVED = 2, /* base only */
};

enum mg_compare_flags {
	/*
	 * The inputs lost their order (runs from the store): the text
	 * renderer orders configuration keys goos, goarch, pkg, cpu, then
	 * the rest, and units sec/op, B/op, allocs/op, then the rest.
	 */
	MG_COMPARE_CANONICAL_ORDER = 1 << 0,
};

/* One per-unit override of the default rule's threshold. */
typedef struct mg_compare_threshold {
	char unit[MG_UNIT_MAX + 1]; /* as measured ("ns/op"), "*": any other */
	double value;               /* fraction (0.02) or absolute amount */
	bool absolute;              /* true: in the unit; false: relative */
} mg_compare_threshold;

/* A caller-owned set of overrides; later entries replace earlier ones. */
typedef struct mg_compare_thresholds {
	mg_compare_threshold *items;
	size_t n;
} mg_compare_thresholds;

void mg_compare_thresholds_init(mg_compare_thresholds *t);
void mg_compare_thresholds_release(mg_compare_thresholds *t);

/*
 * Parse one threshold value: "2%" (relative, 0.02), "0" or "1.5"
 * (absolute, in the unit). Negative, non-finite and malformed values are
 * MG_EINPUT with a message naming `what`.
 */
int mg_compare_threshold_value(double *value, bool *absolute, const char *s,
                               const char *what, mg_err *err);

/* Set (or replace) the threshold of one unit. MG_EINPUT, MG_ELIMIT. */
int mg_compare_thresholds_set(mg_compare_thresholds *t, const char *unit,
                              double value, bool absolute, mg_err *err);

/*
 * Add the overrides of a `--threshold` list such as
 * "allocs/op=0,B/op=2%,ns/op=10%". MG_EINPUT names the bad item.
 */
int mg_compare_thresholds_parse(mg_compare_thresholds *t, const char *spec,
                                mg_err *err);

typedef struct mg_compare_opts {
	double alpha;      /* significance level, default MG_STATS_ALPHA */
	double confidence; /* of intervals, default MG_STATS_CONFIDENCE */
	const mg_compare_thresholds *thresholds; /* copied; NULL: none */
	unsigned flags;                          /* enum mg_compare_flags */
} mg_compare_opts;

/* Fill opts with the defaults. */
void mg_compare_opts_init(mg_compare_opts *opts);

/*
 * A new, empty comparison. MG_EINPUT when alpha is not in (0, 1) or
 * confidence not in (0, 1); MG_ENOMEM.
 */
int mg_compare_new(mg_compare **out, const mg_compare_opts *opts, mg_err *err);
void mg_compare_free(mg_compare *c);

/* What a side is, for the headers, the summary line and the JSON. */
typedef struct mg_compare_side_info {
	const char *label; /* column header: a file name or a short sha */
	const char *sha;   /* the commit, NULL for files */
	const char *ref;   /* the revision as the user named it, or NULL */
} mg_compare_side_info;

/* Set a side's description (copied). MG_ENOMEM, MG_EINPUT (too long). */
int mg_compare_set_side(mg_compare *c, enum mg_compare_side side,
                        const mg_compare_side_info *info, mg_err *err);

/*
 * Add a run's samples and heap profiles (kind "heap": the per-function
 * aggregates of alloc_space and alloc_objects) to one side. A failed run
 * adds nothing but marks the side failed, unless an ok run is added too.
 * run_id is reported in the JSON (0: none, e.g. a file). Errors: MG_ELIMIT
 * (MG_COMPARE_MAX_RUNS or MG_COMPARE_MAX_SAMPLES), MG_ENOMEM, MG_ECONFLICT
 * once computed.
 */
int mg_compare_add_run(mg_compare *c, enum mg_compare_side side,
                       const mg_run *run, int64_t run_id, mg_err *err);

/* Mark a side as having no data at all (no runs found). */
void mg_compare_set_missing(mg_compare *c, enum mg_compare_side side);

/*
 * Add a note shown with the verdict (baseline fallbacks, environment
 * differences), truncated to MG_COMPARE_MAX_NOTE bytes; notes beyond
 * MG_COMPARE_MAX_NOTES are dropped. MG_ENOMEM.
 */
int mg_compare_add_note(mg_compare *c, mg_err *err, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * The A/A noise floor of one benchmark and unit: a relative change at or
 * below `rel` (0.03 = 3%) is never a regression or an improvement.
 * package NULL means "". MG_EINPUT (rel negative or not finite),
 * MG_ELIMIT, MG_ENOMEM.
 */
int mg_compare_set_noise_floor(mg_compare *c, const char *package,
                               const char *name, int procs, const char *unit,
                               double rel, mg_err *err);

/*
 * Compute every pair, the verdicts, geomeans and attribution. Call once,
 * after the inputs. Errors from lib/stats (MG_ELIMIT for a pair beyond
 * MG_STATS_MAX_SAMPLES), MG_ENOMEM; MG_ECONFLICT when called twice.
 */
int mg_compare_run(mg_compare *c, mg_err *err);

/* One function whose share of the package's allocations grew. */
typedef struct mg_compare_attr {
	const char *function;    /* as pprof prints it */
	const char *sample_type; /* "alloc_space" or "alloc_objects" */
	int64_t base;            /* flat value summed over the base profiles */
	int64_t head;            /* the same over the head profiles */
	double base_share;       /* base / base total, 0..1 */
	double head_share;       /* head / head total, 0..1 */
	double growth;           /* head_share - base_share, > 0 */
} mg_compare_attr;

/* One benchmark and unit. */
typedef struct mg_compare_pair {
	const char *package; /* "" if none */
	const char *name;    /* "BenchmarkX/sub", without -procs */
	int procs;           /* 0 if none */
	const char *unit;    /* as measured, e.g. "ns/op" */
	enum mg_compare_presence presence;
	size_t nbase; /* samples on each side */
	size_t nhead;
	mg_stats_cmp cmp;   /* valid when presence is BOTH */
	double p_adj;       /* BH-adjusted p; NaN when there is no test */
	mg_stats_rule rule; /* the rule applied */
	enum mg_stats_verdict verdict; /* INCONCLUSIVE unless BOTH */
	const mg_compare_attr *attr;   /* attribution, regressions only */
	size_t nattr;
	bool attr_tried;    /* a B/op or allocs/op regression */
	bool attr_profiles; /* both sides had a heap profile */
} mg_compare_pair;

/* The geometric-mean row of one unit, as benchstat computes it. */
typedef struct mg_compare_geomean {
	const char *unit; /* as measured */
	double base;      /* of the base medians; NaN if a median is <= 0 */
	double head;      /* of the head medians; NaN likewise */
	double ratio;     /* of head/base per benchmark (0/0 = 1); NaN if
	                   * undefined */
	size_t nbase;     /* benchmarks on each side */
	size_t nhead;
	size_t npaired; /* on both */
} mg_compare_geomean;

/* Results, valid after mg_compare_run(). */
size_t mg_compare_count(const mg_compare *c);
const mg_compare_pair *mg_compare_pair_at(const mg_compare *c, size_t i);
size_t mg_compare_geomean_count(const mg_compare *c);
const mg_compare_geomean *mg_compare_geomean_at(const mg_compare *c, size_t i);
enum mg_stats_verdict mg_compare_verdict(const mg_compare *c);
/* Pairs with this verdict (presence BOTH only). */
size_t mg_compare_count_verdict(const mg_compare *c, enum mg_stats_verdict v);
/* Distinct benchmarks present on both sides. */
size_t mg_compare_benchmarks(const mg_compare *c);
size_t mg_compare_note_count(const mg_compare *c);
const char *mg_compare_note_at(const mg_compare *c, size_t i);
enum mg_compare_side_status mg_compare_side_status(const mg_compare *c,
                                                   enum mg_compare_side s);
const mg_compare_side_info *mg_compare_side(const mg_compare *c,
                                            enum mg_compare_side s);
size_t mg_compare_side_runs(const mg_compare *c, enum mg_compare_side s);
/* The ids given to mg_compare_add_run (0s included). */
const int64_t *mg_compare_side_run_ids(const mg_compare *c,
                                       enum mg_compare_side s);
const mg_compare_opts *mg_compare_options(const mg_compare *c);
/* The threshold overrides in force (copied from the options). */
const mg_compare_thresholds *mg_compare_overrides(const mg_compare *c);

/*
 * The summary line: "2 regressions, 1 improvement in 47 benchmarks",
 * "no regression in 47 benchmarks", "inconclusive: the base has no
 * runs". Appends to out. MG_ENOMEM, MG_ELIMIT.
 */
int mg_compare_write_summary(mg_buf *out, const mg_compare *c);

/*
 * The tables `benchstat BASE HEAD` prints for the same inputs (benchstat
 * v2, golang.org/x/perf/cmd/benchstat, default options): configuration
 * lines, one table per configuration and unit, medians with "± N%", the
 * "vs base" column with the raw (not adjusted) p, the geomean row and the
 * footnotes. Not reproduced: unit metadata ("Unit x assume=exact").
 * MG_ENOMEM, MG_ELIMIT (out's limit), errors of lib/stats.
 */
int mg_compare_write_text(mg_buf *out, const mg_compare *c, mg_err *err);

/*
 * The pull-request comment: summary line, regressions, improvements,
 * attribution, a collapsed section with everything else, baseline and
 * environment notes. Stays within max_bytes (>= MG_COMPARE_MD_MIN;
 * 0: MG_COMPARE_MD_MAX), trimming the collapsed section first, then the
 * other tables, each time with a note. MG_EINPUT (max_bytes too small),
 * MG_ENOMEM, MG_ELIMIT.
 */
int mg_compare_write_markdown(mg_buf *out, const mg_compare *c,
                              size_t max_bytes, mg_err *err);

/* The verdict as JSON, as schema/verdict.schema.json documents. */
int mg_compare_write_json(mg_buf *out, const mg_compare *c, mg_err *err);

/*
 * Escape s for markdown text (a table cell): HTML metacharacters as
 * entities, markdown punctuation with a backslash, '|' as "\|", '@' as an
 * entity (no mentions), control characters as spaces.
 */
int mg_compare_md_escape(mg_buf *out, const char *s);

/*
 * ---- Baselines from the store (lib/compare_baseline.c) -----------------
 */

/*
 * Set the noise floors `memgate ab` measured for `project` (the newest of
 * each benchmark and unit, from environment env where it has some; see
 * mg_store_noise_floors) and add a note saying where they came from.
 * mg_compare_load does this with the head run's environment.
 */
int mg_compare_load_floors(mg_compare *c, mg_store *st, const char *project,
                           const mg_env *env, mg_err *err);

/*
 * Fill one side of c with the newest max_runs successful runs of commit
 * sha (the side is labelled with its short sha). With none successful,
 * its newest failed run marks the side failed; with no runs at all the
 * side is missing. The head side also gets the noise floors of its first
 * run's environment (mg_compare_load_floors). *n_ok (may be NULL) gets
 * the number of successful runs added. For callers without a git
 * repository (the server); mg_compare_load is the CLI's.
 */
int mg_compare_add_commit(mg_compare *c, mg_store *st,
                          enum mg_compare_side side, const char *project,
                          const char *sha, size_t max_runs, size_t *n_ok,
                          mg_err *err);

/* Commits walked back looking for a baseline with successful runs. */
#define MG_COMPARE_MAX_WALK 50

typedef struct mg_compare_source {
	const char *project;  /* the store's project name */
	const char *head;     /* revision of the head commit */
	const char *base;     /* explicit base revision, or NULL */
	const char *base_ref; /* with base NULL: the branch whose merge-base
	                       * with head (and its first parents) is
	                       * searched; NULL too: head's first parents */
	size_t max_walk;      /* 0: MG_COMPARE_MAX_WALK */
	size_t max_runs;      /* runs pooled per side; 0: 20 */
} mg_compare_source;

/*
 * Fill both sides of c from the store: resolve the revisions with
 * libgit2, take the successful runs of the head commit, and find the
 * baseline: the explicit base; or the merge-base of head and base_ref
 * (tried as given, as "origin/<ref>" and "refs/remotes/origin/<ref>"),
 * or the nearest ancestor on its first-parent chain with successful runs
 * within max_walk commits; or, with neither, the nearest first-parent
 * ancestor of head with successful runs. Runs on the head's environment
 * fingerprint are preferred; otherwise the nearest commit with any
 * successful runs is used and a note says so. Several runs of the base
 * commit are pooled. A side without usable runs is marked failed or
 * missing with a note (the verdict is then inconclusive).
 * Errors: MG_ENOTFOUND (a revision does not resolve), MG_EDB, MG_ENOMEM.
 */
int mg_compare_load(mg_compare *c, mg_store *st, mg_git *g,
                    const mg_compare_source *src, mg_err *err);

#endif
