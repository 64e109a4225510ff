/*
 * stats.h - the statistics behind `memgate compare`: the same numbers as
 * golang.org/x/perf's benchstat (package benchmath with its default
 * "assume nothing" model, go-moremath/stats underneath), plus the
 * memory-aware verdict memgate adds on top. Pure computation: no I/O, no
 * global state; functions that sort allocate a scratch copy and return
 * MG_ENOMEM when they cannot.
 *
 * What benchstat computes, and so what this module reproduces:
 *
 *   summary     the median (Hyndman & Fan interpolation R8, which for q=0.5
 *               is the usual median) and a distribution-free confidence
 *               interval from order statistics: k, the number of samples
 *               below the population median, is Binomial(n, 1/2). Starting
 *               at the lower mode, the more probable neighbouring k
 *               (the left one on a tie) is added until the mass reaches
 *               the requested confidence; the interval [l, r) of k gives
 *               the bounds x(l) .. x(r) (1-based order statistics), and an
 *               order outside 1..n is an infinite bound. For n > 30 the
 *               binomial is replaced by its normal approximation with a
 *               continuity correction. At confidence 0.95 n >= 6 is needed
 *               for finite bounds ("need >= 6 samples for confidence
 *               interval at level 0.95").
 *   U test      Mann-Whitney, two-sided. U counts the pairs where the
 *               first sample is larger, ties counting 1/2. The exact null
 *               distribution is used when there are no ties and both
 *               samples have <= 50 values, or there are ties and both
 *               have <= 25 values (Klotz's distribution conditional on
 *               the tie pattern); p = 2 * P(U' <= min(U1, U2)), where U'
 *               is the first sample's statistic, and p = 1 when U1 == U2.
 *               Otherwise the normal approximation with tie correction
 *               sum(t^3 - t) and continuity correction 1/2. When every
 *               value of both samples is equal the test is meaningless
 *               ("all samples are equal"): benchstat then shows p = 1.
 *   alpha       0.05; a difference is shown (not "~") when p <= alpha.
 *   too few     "need >= N samples to detect a difference at alpha level
 *               A": N is the smallest n for which the smallest possible p
 *               of n vs n is <= alpha (4 at 0.05), printed when p > alpha
 *               and both samples are smaller than N.
 *   geomean     exp(mean(log x)) of the per-benchmark centers; undefined
 *               when a value is <= 0.
 *
 * Known benchstat quirks reproduced on purpose: with ties the exact p is
 * P(U' <= min(U1, U2)) for the first sample's U' even when the minimum is
 * the second sample's U, and is not clamped, so tiny samples with
 * lopsided ties can give p > 1 or p = 0 (mg_stats_judge never trusts such
 * sizes: their smallest possible p is above any sane alpha).
 *
 * Added by memgate (not in benchstat):
 *   shift       Hodges-Lehmann estimate of head - base, the median of all
 *               nx*ny differences y_j - x_i (Hodges & Lehmann 1963), with
 *               the distribution-free interval [D(C), D(nx*ny + 1 - C)]
 *               of the ordered differences, C the largest c with
 *               P(U <= c - 1) <= (1 - confidence) / 2 under the no-ties
 *               Mann-Whitney null (Lehmann 1963; Hollander & Wolfe,
 *               "Nonparametric Statistical Methods", section 4.3; R's
 *               exact wilcox.test(conf.int = TRUE) interval, except that
 *               R clamps C to 1 where this reports no interval). For nx
 *               or ny > 50, C comes from the normal approximation with
 *               continuity correction. With tied data the interval is the
 *               usual approximation.
 *   BH          Benjamini & Hochberg (1995) step-up adjusted p-values
 *               (R's p.adjust(method = "BH")), to control false
 *               discoveries across the hundreds of benchmark/unit pairs of
 *               one comparison.
 *   verdict     regression / improvement / unchanged / inconclusive per
 *               benchmark and unit; see mg_stats_judge().
 */
#ifndef MG_STATS_H
#define MG_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/*
 * Samples per side of one comparison. Go benchmarks are run with -count
 * of 5..20 and a baseline pools a few runs, so a few hundred is already
 * generous; 100000 keeps sorting and the rank test cheap.
 */
#define MG_STATS_MAX_SAMPLES 100000
/*
 * Pairwise differences for the Hodges-Lehmann estimate (nx * ny doubles):
 * 4M pairs is 32 MiB of scratch, e.g. 2000 vs 2000 samples.
 */
#define MG_STATS_MAX_PAIRS (4u << 20)
/* Largest samples for the exact U distribution, as go-moremath. */
#define MG_STATS_EXACT_LIMIT 50
#define MG_STATS_EXACT_TIES_LIMIT 25
/* benchstat's defaults: 95% intervals, alpha 0.05. */
#define MG_STATS_CONFIDENCE 0.95
#define MG_STATS_ALPHA 0.05
/*
 * Both sides constant with at least this many samples each: compared
 * exactly, no test (allocs/op 1 -> 2 with -count=3 is a regression).
 * Three equal repetitions are the least evidence of zero variance; with
 * two, a coincidence on a noisy metric is too likely.
 */
#define MG_STATS_EXACT_MIN_N 3

/* The median and its confidence interval (benchmath Summary). */
typedef struct mg_stats_summary {
	double center;     /* median, R8 interpolation */
	double lo;         /* lower bound; -INFINITY when not available */
	double hi;         /* upper bound; +INFINITY when not available */
	double confidence; /* achieved level, >= the requested one */
	size_t n;          /* number of samples */
	bool ci_ok;        /* false: too few samples, a bound is infinite */
} mg_stats_summary;

/* Order statistics bounding a quantile's confidence interval. */
typedef struct mg_stats_qci {
	long lo_order;     /* 1-based; < 1 means -infinity */
	long hi_order;     /* 1-based; > n means +infinity */
	double confidence; /* achieved level */
} mg_stats_qci;

enum mg_stats_utest_status {
	MG_STATS_UTEST_OK = 0,    /* p is the test's p-value */
	MG_STATS_UTEST_EQUAL = 1, /* every value equal: p = 1, no test */
};

/* A two-sided Mann-Whitney U test of x (first) against y. */
typedef struct mg_stats_utest {
	double p;   /* p-value; 1 when status is not OK, as benchstat */
	double u;   /* U of x: pairs with x > y, ties counting 1/2 */
	int status; /* enum mg_stats_utest_status */
	bool exact; /* exact distribution (else normal approximation) */
	bool ties;  /* the pooled values have ties */
} mg_stats_utest;

/* Hodges-Lehmann shift of y against x with its interval. */
typedef struct mg_stats_shift {
	double shift;      /* median of the differences y_j - x_i */
	double lo;         /* lower bound; -INFINITY when not available */
	double hi;         /* upper bound; +INFINITY when not available */
	double confidence; /* achieved level */
	bool ci_ok;        /* false: too few samples for the level */
} mg_stats_shift;

/* Everything known about one benchmark/unit pair, base against head. */
typedef struct mg_stats_cmp {
	mg_stats_summary base; /* summary of the base samples */
	mg_stats_summary head; /* summary of the head samples */
	mg_stats_utest test;   /* U test, base first (as benchstat) */
	mg_stats_shift shift;  /* head - base, Hodges-Lehmann */
	double min_p;          /* smallest p possible at these sizes */
	bool base_constant;    /* every base sample equal */
	bool head_constant;    /* every head sample equal */
} mg_stats_cmp;

/* Which way is worse for a unit. */
enum mg_stats_better {
	MG_STATS_LOWER_BETTER = 0,  /* costs: ns/op, B/op, allocs/op, ... */
	MG_STATS_HIGHER_BETTER = 1, /* rates: MB/s, anything ending "/s" */
};

/* How a pair is judged; mg_stats_rule_default() gives the defaults. */
typedef struct mg_stats_rule {
	double threshold;   /* smallest change that matters (see absolute) */
	bool absolute;      /* threshold in the unit (allocs/op), else a
	                     * fraction of the base center (0.02 = 2%) */
	double alpha;       /* significance level for the (adjusted) p */
	double noise_floor; /* A/A relative noise of this benchmark; changes
	                     * at or below it never count; 0 = unknown */
	int better;         /* enum mg_stats_better */
} mg_stats_rule;

enum mg_stats_verdict {
	MG_STATS_UNCHANGED = 0,
	MG_STATS_REGRESSION = 1,
	MG_STATS_IMPROVEMENT = 2,
	MG_STATS_INCONCLUSIVE = 3,
};

/* How benchmath would render an interval as "± N%". */
enum mg_stats_range_kind {
	MG_STATS_RANGE_PCT = 0,  /* *pct holds the half-width in percent */
	MG_STATS_RANGE_INF = 1,  /* a bound is infinite: "∞" */
	MG_STATS_RANGE_SIGN = 2, /* bounds straddle or flip sign: "?" */
};

/* How benchmath would render the delta column. */
enum mg_stats_delta_kind {
	MG_STATS_DELTA_PCT = 0,     /* *pct holds (new/old - 1) * 100 */
	MG_STATS_DELTA_NONE = 1,    /* p > alpha: "~" */
	MG_STATS_DELTA_UNKNOWN = 2, /* old is 0, new is not: "?" */
};

/* Sort x[0..n) ascending in place (finite values; NaN order unspecified). */
void mg_stats_sort(double *x, size_t n);

/*
 * The q-quantile (0 <= q <= 1) of n >= 1 values sorted ascending, with
 * interpolation R8 of Hyndman & Fan (1996), as go-moremath's
 * Sample.Quantile. NaN when n == 0.
 */
double mg_stats_quantile_sorted(const double *sorted, size_t n, double q);

/*
 * The median of n values in any order (a sorted copy is made).
 * MG_EINPUT: n == 0 or a value that is not finite; MG_ELIMIT: n >
 * MG_STATS_MAX_SAMPLES; MG_ENOMEM.
 */
int mg_stats_median(double *out, const double *x, size_t n, mg_err *err);

/*
 * Order statistics of the distribution-free confidence interval of the
 * q-quantile in a sample of n, at the given confidence (0..1), as
 * go-moremath's QuantileCI.
 */
void mg_stats_quantile_ci(mg_stats_qci *out, size_t n, double q,
                          double confidence);

/*
 * Median and confidence interval of x (benchmath AssumeNothing.Summary).
 * MG_EINPUT: n == 0, a non-finite value or a confidence outside [0, 1];
 * MG_ELIMIT: n > MG_STATS_MAX_SAMPLES; MG_ENOMEM.
 */
int mg_stats_summarize(mg_stats_summary *out, const double *x, size_t n,
                       double confidence, mg_err *err);

/*
 * The smallest n for which a median interval at `confidence` is finite:
 * benchstat's "need >= N samples" (*strict false) or, beyond 50, "need >
 * 50 samples" (*strict true, returns 50).
 */
size_t mg_stats_summary_min_samples(double confidence, bool *strict);

/*
 * Two-sided Mann-Whitney U test of x against y, exactly as benchmath's
 * Compare computes it. An all-equal pooled sample is not an error: status
 * MG_STATS_UTEST_EQUAL with p = 1. MG_EINPUT: an empty sample or a
 * non-finite value; MG_ELIMIT: a sample over MG_STATS_MAX_SAMPLES;
 * MG_ENOMEM.
 */
int mg_stats_mannwhitney(mg_stats_utest *out, const double *x, size_t nx,
                         const double *y, size_t ny, mg_err *err);

/*
 * The smallest p the U test can return for samples of nx and ny values
 * (both sides constant and fully separated, as benchmath's table): 1 for
 * 1 vs 1, 0.0079 for 5 vs 5, 0.0022 for 6 vs 6. 1 when a size is 0.
 */
double mg_stats_utest_min_p(size_t nx, size_t ny);

/*
 * benchstat's "need >= N samples to detect a difference at alpha level
 * A": the smallest n <= 9 with mg_stats_utest_min_p(n, n) <= alpha, or
 * 10 with *strict set ("need > 10") when none is.
 */
size_t mg_stats_utest_min_samples(double alpha, bool *strict);

/*
 * Hodges-Lehmann shift of y against x (positive: y larger) with its
 * distribution-free interval at `confidence` (see the file comment).
 * MG_EINPUT as mg_stats_mannwhitney or a confidence outside [0, 1];
 * MG_ELIMIT when nx * ny > MG_STATS_MAX_PAIRS; MG_ENOMEM.
 */
int mg_stats_hodges_lehmann(mg_stats_shift *out, const double *x, size_t nx,
                            const double *y, size_t ny, double confidence,
                            mg_err *err);

/*
 * The noise floor an A/A comparison (the same code on both sides)
 * measures: the larger magnitude of the bounds of the Hodges-Lehmann
 * interval of y - x at `confidence`, relative to the median of x and y
 * pooled. It is the smallest shift this benchmark's own noise lets a
 * comparison of that many samples resolve; 0 when every sample is equal.
 * MG_ENOTFOUND (err unset) when there are too few samples for an interval
 * at that level, or the pooled median is 0 while the samples vary;
 * otherwise as mg_stats_hodges_lehmann.
 */
int mg_stats_noise_floor(double *out, const double *x, size_t nx,
                         const double *y, size_t ny, double confidence,
                         mg_err *err);

/*
 * Benjamini-Hochberg adjusted p-values: adj[i] = min over p[j] >= p[i] of
 * p[j] * m / rank(j), capped at 1, where m counts the non-NaN entries.
 * NaN entries (pairs without a test) stay NaN and are not counted. adj
 * may alias p. A p above 1 (benchstat's exact test can give one, see
 * above) counts as 1. MG_EINPUT: a negative p or n too large; MG_ENOMEM.
 */
int mg_stats_bh(double *adj, const double *p, size_t n, mg_err *err);

/*
 * Geometric mean, computed as go-moremath's GeoMean (running mean of the
 * logs). NaN when n == 0 or a value is <= 0 or NaN ("summaries must be >0
 * to compute geomean").
 */
double mg_stats_geomean(const double *x, size_t n);

/*
 * The "± N%" of a summary: max(hi/center - 1, 1 - lo/center) * 100 in
 * *pct (benchstat prints it with "%.0f%%"); 0 when center and bounds are
 * all 0.
 */
enum mg_stats_range_kind mg_stats_range_pct(const mg_stats_summary *s,
                                            double *pct);

/*
 * The delta column for old -> new centers at p against alpha: "~" when
 * p > alpha, else (new/old - 1) * 100 in *pct (0 when old == new),
 * printed by benchstat with "%+.2f%%" except "0.00%" for old == new.
 */
enum mg_stats_delta_kind mg_stats_delta_pct(double p, double alpha,
                                            double old_center,
                                            double new_center, double *pct);

/*
 * Compare base against head: both summaries at `confidence`, the U test
 * (base first, as benchstat), the Hodges-Lehmann shift of head - base,
 * the smallest possible p and the constant-side flags. Beyond
 * MG_STATS_MAX_PAIRS pairs the shift is left out (NaN, ci_ok false) and the
 * rest computed. Errors as mg_stats_mannwhitney.
 */
int mg_stats_compare(mg_stats_cmp *out, const double *base, size_t nb,
                     const double *head, size_t nh, double confidence,
                     mg_err *err);

/*
 * The verdict for one pair, given the p-value to use (the BH-adjusted p
 * of this pair among all pairs of the comparison, or cmp->test.p when it
 * is judged alone):
 *
 *   1. an empty side: inconclusive;
 *   2. both sides constant with >= MG_STATS_EXACT_MIN_N samples each: the
 *      two values are compared exactly, no test (zero variance makes the
 *      rank test return its smallest p whatever the change);
 *   3. the smallest p possible at these sizes is above alpha:
 *      inconclusive (too few samples);
 *   4. all values equal, or p > alpha: unchanged;
 *   5. otherwise the change of centers (medians) decides, in the unit's
 *      worse direction a regression, else an improvement, if it is
 *      larger than the threshold (relative to the base center, or
 *      absolute) and larger than the noise floor; else unchanged.
 *
 * A relative change from a base center of 0 counts as infinite.
 */
enum mg_stats_verdict mg_stats_judge(const mg_stats_cmp *cmp, double p,
                                     const mg_stats_rule *rule);

/* Convenience: compare and judge one pair alone (raw p, no BH). */
int mg_stats_verdict_of(enum mg_stats_verdict *out, const double *base,
                        size_t nb, const double *head, size_t nh,
                        const mg_stats_rule *rule, mg_err *err);

/*
 * Higher is better for units ending in "/s" (MB/s, B/s, ops/s: rates);
 * lower is better for everything else (ns/op, sec/op, B/op, allocs/op and
 * custom per-op costs).
 */
enum mg_stats_better mg_stats_unit_better(const char *unit);

/*
 * memgate's default rule for a unit: allocs/op any change (absolute 0);
 * B/op 2%; everything else (ns/op, sec/op, rates, custom metrics) 10%;
 * alpha 0.05 on Benjamini-Hochberg adjusted p-values; no noise floor.
 *
 * Measured with tests/bench/sim_falsealarm (seed 20240501, 1000
 * comparisons per scenario of 200 benchmarks x 3 units, n = 10): A/A
 * comparisons with any false regression 0/1000 (benchstat's raw p <= 0.05
 * rule: 988/1000); injected +3%, +5%, +10% B/op steps found 99.6-99.7%
 * (the misses are steps hidden by a one-off outlier sample); +1 allocs/op
 * 100%; ns/op +10% 48% (a change at the threshold), +5% 0.5%. With a 5%
 * time threshold A/A false alarms rise to 0.7% (45% without BH) and to
 * about 5% in comparisons that also contain real changes, which is why
 * time defaults to 10%.
 */
void mg_stats_rule_default(mg_stats_rule *out, const char *unit);

/* "unchanged", "regression", "improvement", "inconclusive". */
const char *mg_stats_verdict_name(enum mg_stats_verdict v);

#endif
