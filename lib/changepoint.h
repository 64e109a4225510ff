/*
 * changepoint.h - level shifts in a metric's history (`memgate history
 * --detect`): which commits started a new level, with the medians before
 * and after. Pure computation: no I/O, no global state, deterministic for
 * a given seed.
 *
 * Method: E-divisive with means, the hierarchical divisive procedure of
 * Matteson & James, "A Nonparametric Approach for Multiple Change Point
 * Analysis of Multivariate Data", JASA 109(505), 2014 (R package ecp,
 * e.divisive), with the exponent alpha = 1, as MongoDB uses it on its
 * performance history (Daly et al., "Change Point Detection in Software
 * Performance Testing", ICPE 2020):
 *
 *   statistic   for a segment Z and a split into X = Z[0..m) and
 *               Y = Z[m..m+k),
 *                 E = 2/(mk) sum|Xi - Yj| - sum_{i<l}|Xi - Xl| / C(m, 2)
 *                                         - sum_{j<l}|Yj - Yl| / C(k, 2)
 *                 Q = m k / (m + k) * E
 *               (an energy distance: zero in expectation when X and Y
 *               come from one distribution, whatever it is). The split of
 *               a segment is the m maximising Q, with m and k at least
 *               min_segment. As in MongoDB's implementation, Y runs to
 *               the end of the segment (the paper also searches the end
 *               kappa of Y; a level shift needs no such search).
 *   procedure   start with the whole series as one segment; find every
 *               segment's best split and take the one with the largest Q;
 *               test it; if significant, split there and repeat, else
 *               stop.
 *   test        a permutation test, as the paper's: the observed value is
 *               the largest Q over all segments; each of R permutations
 *               shuffles the values inside every segment independently
 *               and recomputes that largest Q; p = (1 + #{permuted Q >=
 *               observed}) / (R + 1). Significant when p <= alpha. The p
 *               of a change point is the p of the test that accepted it.
 *               The test is exact for exchangeable data, so on a series
 *               without a shift the chance of reporting anything is at
 *               most alpha (measured in tests/unit/test_changepoint.c:
 *               about 1% at alpha 0.01 for Gaussian, outlier-prone and
 *               discrete noise alike).
 *
 * Consequences worth knowing:
 *   - zero variance is fine: allocs/op 1,1,1,...,2,2,2 gives Q > 0 only
 *     around the step, and the permutation test needs no variance
 *     estimate. But the smallest possible p is about 2 / C(n, m) (only
 *     the observed order and its mirror image are as extreme), so short
 *     series cannot reach a small alpha: 3 + 3 points give p >= 0.1,
 *     4 + 4 p >= 0.029, 5 + 5 p >= 0.008, 6 + 6 p >= 0.002.
 *   - a constant series has no change point (Q = 0 everywhere); series
 *     shorter than MG_CHANGEPOINT_MIN_POINTS are not analysed.
 *   - a gradual ramp has no single change point; the method cuts it into
 *     steps (several change points along the ramp, each a small change,
 *     as many as the noise and the number of points support).
 *   - a change at the newest commit needs min_segment points on the new
 *     level to be seen at all, and enough of them for the p above.
 *   - a single outlier commit is not a level shift: a segment that only
 *     differs by one value rarely beats its permutations.
 *
 * Cost: the values of a segment never change under permutation, only
 * their order, so each segment is sorted once; a scan over the splits
 * keeps the sums of distances incrementally and gets
 * sum_{i in X}|v - Xi| from a Fenwick tree over the value ranks (counts
 * and sums of the values below v), O(n log n) per scan instead of the
 * O(n^2) of a distance matrix. One test is R + 1 scans of the whole
 * series; a test that cannot reach alpha any more stops early (under no
 * shift that is after about alpha * (R + 1) / P(permuted Q >= observed)
 * permutations). See MG_CHANGEPOINT_MAX_POINTS for measured times.
 *
 * Values are centred on the median and divided by the largest deviation
 * before the sums (Q scales with the data, so this changes nothing but
 * the rounding); scores are reported in the series' units.
 */
#ifndef MG_CHANGEPOINT_H
#define MG_CHANGEPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * Longest series accepted. A test costs (R + 1) scans of O(n log n);
 * measured (-O2, one core of the 2-core CI machine, R = 999): 200 points
 * 10 ms, 10 000 points 0.4 s per change point found, 100 000 points 14 s
 * per change point (12 minutes for a ramp cut into 64 steps). 20 000 keeps
 * the worst case (a long ramp, MG_CHANGEPOINT_MAX_FOUND tests) near a
 * minute, and is 100 times the CLI's default window of 200 commits.
 */
#define MG_CHANGEPOINT_MAX_POINTS 20000
/*
 * Most permutations per test: 99 999 gives p to 1e-5, far below any
 * alpha that makes sense for a history, and bounds the cost of a test.
 */
#define MG_CHANGEPOINT_MAX_PERMUTATIONS 99999
/*
 * Fewer points than this: no detection. With 6 points the best a
 * permutation test can give is p = 0.1 (see above), so below that there
 * is nothing to find at any useful alpha.
 */
#define MG_CHANGEPOINT_MIN_POINTS 6
/*
 * Most change points reported by default: every accepted change point
 * costs a full permutation test, and more than this in one history is a
 * ramp or a very noisy metric, not a list anyone reads.
 */
#define MG_CHANGEPOINT_MAX_FOUND 64

/*
 * Defaults: alpha 0.01 (stricter than the usual 0.05: a history is
 * re-read many times and a false step sends people hunting for a cause
 * that does not exist), 999 permutations (p resolution 0.001), segments
 * of at least 2 points (the within-segment sum needs a pair).
 */
#define MG_CHANGEPOINT_ALPHA 0.01
#define MG_CHANGEPOINT_PERMUTATIONS 999
#define MG_CHANGEPOINT_MIN_SEGMENT 2
#define MG_CHANGEPOINT_SEED UINT64_C(0x6d656d6761746521) /* "memgate!" */

typedef struct mg_changepoint_opts {
	double alpha;          /* significance level, 0 < alpha < 1 */
	unsigned permutations; /* R, 1..MG_CHANGEPOINT_MAX_PERMUTATIONS */
	size_t min_segment;    /* shortest segment, 2..MAX_POINTS / 2 */
	size_t max_found;      /* stop after this many change points, >= 1 */
	double min_change;     /* report only |after/before - 1| >= this
	                        * (0.05 = 5%); 0 reports every significant
	                        * change. Smaller ones are merged away and
	                        * the medians recomputed */
	uint64_t seed;         /* of the permutations' generator */
} mg_changepoint_opts;

/* One change point: the first point of a new level. */
typedef struct mg_changepoint {
	size_t index;  /* into the series (oldest first) */
	double before; /* median of the segment ending at index - 1 */
	double after;  /* median of the segment starting at index */
	double change; /* after / before - 1; +-INFINITY if before is 0 */
	double p;      /* permutation p of the test that accepted it */
	double score;  /* Q of the split, in the series' units */
} mg_changepoint;

/* Fill opts with the defaults above (min_change 0). */
void mg_changepoint_opts_default(mg_changepoint_opts *opts);

/*
 * Find the change points of the n values x (in commit order, oldest
 * first). *out gets an array of *n_out change points by increasing index
 * (free with mg_changepoint_free; NULL when none), untouched on error.
 * opts NULL means the defaults. Fewer than MG_CHANGEPOINT_MIN_POINTS
 * values or a constant series give no change point, not an error.
 * MG_EINPUT: a value that is NaN or infinite (its index is named), or an
 * option out of range; MG_ELIMIT: n > MG_CHANGEPOINT_MAX_POINTS;
 * MG_ENOMEM.
 */
int mg_changepoint_detect(mg_changepoint **out, size_t *n_out, const double *x,
                          size_t n, const mg_changepoint_opts *opts,
                          mg_err *err);
void mg_changepoint_free(mg_changepoint *cps);

/*
 * The best split of x[0..n) alone (no test): *m_out gets the size of the
 * first part (the index of the first point of the second) and *q_out its
 * Q, in x's units; *m_out = 0 and *q_out = 0 when n < 2 * min_segment or
 * x is constant. Ties go to the smallest m. Errors as
 * mg_changepoint_detect.
 */
int mg_changepoint_best_split(size_t *m_out, double *q_out, const double *x,
                              size_t n, size_t min_segment, mg_err *err);

#endif
