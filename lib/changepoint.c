/*
 * changepoint.c - E-divisive with means and its permutation test; see
 * changepoint.h for the method and its references.
 *
 * Layout of the work: the series is cut into contiguous segments, and the
 * per-segment data live in whole-series arrays at the segment's offset:
 *   sorted[start + j]  the j-th smallest (normalised) value of the segment
 *   rank[start + i]    the rank (0-based, ties broken by position) of the
 *                      segment's i-th value, so its value is sorted[rank]
 *   dall[start + j]    sum over the segment of |sorted[j] - value|
 * A permutation shuffles ranks only; sorted and dall stay valid.
 *
 * A scan moves the points one by one from Y (the rest of the segment) to
 * X (its start). For the moved value v, dx = sum_{X}|v - Xi| comes from a
 * Fenwick tree over ranks holding the count and the sum of the X values
 * below each rank (sum|v - Xi| = cnt_below * v - sum_below + sum_above -
 * cnt_above * v), and dy = dall[v] - dx. Then the within-X sum grows by
 * dx, the within-Y sum shrinks by dy, and the cross sum loses the pairs
 * (X, v) and gains (v, Y): cross += dy - dx.
 */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "changepoint.h"
#include "stats.h"

/*
 * Two permuted maxima this close (relative) to the observed one count as
 * equal: a permutation that reproduces the observed order up to tied
 * values may add the same distances in another order and differ in the
 * last bits. Counting them is the conservative side.
 */
#define Q_REL_TOL 1e-9

struct seg {
	size_t start;  /* first point */
	size_t len;    /* points */
	double wtot;   /* sum of |zi - zj| over the pairs of the segment */
	size_t best_m; /* best split (size of X), 0 if none possible */
	double best_q; /* its Q in normalised units */
};

struct found {
	size_t index; /* first point of the new level */
	double p;     /* p of the test that accepted it */
	double q;     /* Q in normalised units */
};

struct pair {
	double v;   /* value */
	uint32_t i; /* position in the segment */
};

/* xoshiro256** (Blackman & Vigna 2018), seeded through splitmix64. */
struct rng {
	uint64_t s[4];
};

struct work {
	size_t n;
	double *z;        /* normalised series */
	double *sorted;   /* per segment, see the file comment */
	double *dall;     /* per segment */
	uint32_t *rank;   /* per segment, observed order */
	uint32_t *perm;   /* per segment, shuffled order */
	struct pair *tmp; /* sorting scratch */
	uint32_t *fcnt;   /* Fenwick tree: counts, 1-based */
	double *fsum;     /* Fenwick tree: sums, 1-based */
	struct seg *segs; /* segments by position */
	size_t nsegs;
	struct found *found; /* change points in the order accepted */
	size_t nfound;
	struct rng rng;
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, bound), bound >= 1: rejection removes the modulo bias. */
static uint64_t rng_below(struct rng *r, uint64_t bound)
{
	uint64_t threshold = (0 - bound) % bound;
	uint64_t x;

	do
		x = rng_next(r);
	while (x < threshold);
	return x % bound;
}

static void shuffle(uint32_t *a, size_t n, struct rng *r)
{
	size_t i;

	for (i = n; i > 1; i--) {
		size_t j = (size_t)rng_below(r, i);
		uint32_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

static int pair_cmp(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Q of every admissible split of one ordering of a segment (ranks into
 * sorted, dall); the largest goes to *best_q, its X size to *best_m
 * (the first on a tie).
 */
static void scan(size_t *best_m, double *best_q, const uint32_t *ranks,
                 size_t len, const double *sorted, const double *dall,
                 double wtot, size_t min_seg, uint32_t *fcnt, double *fsum)
{
	double wx = 0, wy = wtot, cross = 0, sumx = 0, bq = -INFINITY;
	size_t t, bm = 0;

	memset(fcnt, 0, (len + 1) * sizeof(*fcnt));
	memset(fsum, 0, (len + 1) * sizeof(*fsum));
	for (t = 0; t + min_seg < len; t++) {
		uint32_t r = ranks[t];
		double v = sorted[r], sb = 0, dx, dy;
		size_t cb = 0, j, m, k;

		for (j = r; j > 0; j -= j & (0 - j)) {
			cb += fcnt[j];
			sb += fsum[j];
		}
		dx = ((double)cb * v - sb) +
		     ((sumx - sb) - (double)(t - cb) * v);
		dy = dall[r] - dx;
		wx += dx;
		wy -= dy;
		cross += dy - dx;
		for (j = (size_t)r + 1; j <= len; j += j & (0 - j)) {
			fcnt[j]++;
			fsum[j] += v;
		}
		sumx += v;
		m = t + 1;
		k = len - m;
		if (m >= min_seg) {
			double dm = (double)m, dk = (double)k, e, q;

			e = 2 * cross / (dm * dk) - wx / (dm * (dm - 1) / 2) -
			    wy / (dk * (dk - 1) / 2);
			q = dm * dk / (dm + dk) * e;
			if (q > bq) {
				bq = q;
				bm = m;
			}
		}
	}
	*best_m = bm;
	*best_q = bq;
}

/* Sort the segment's values, fill sorted/rank/dall and find its split. */
static void seg_prepare(struct work *w, struct seg *s, size_t min_seg)
{
	double *sorted = w->sorted + s->start, *dall = w->dall + s->start;
	uint32_t *rank = w->rank + s->start;
	double below = 0, total = 0, wsum = 0;
	size_t i;

	for (i = 0; i < s->len; i++) {
		w->tmp[i].v = w->z[s->start + i];
		w->tmp[i].i = (uint32_t)i;
	}
	qsort(w->tmp, s->len, sizeof(*w->tmp), pair_cmp);
	for (i = 0; i < s->len; i++) {
		sorted[i] = w->tmp[i].v;
		rank[w->tmp[i].i] = (uint32_t)i;
		total += sorted[i];
	}
	for (i = 0; i < s->len; i++) {
		double v = sorted[i], above = total - below - v;

		dall[i] = ((double)i * v - below) +
		          (above - (double)(s->len - 1 - i) * v);
		wsum += dall[i];
		below += v;
	}
	s->wtot = wsum / 2;
	s->best_m = 0;
	s->best_q = -INFINITY;
	if (s->len >= 2 * min_seg)
		scan(&s->best_m, &s->best_q, rank, s->len, sorted, dall,
		     s->wtot, min_seg, w->fcnt, w->fsum);
}

/* The segment whose best split has the largest Q; NULL if none can split. */
static struct seg *best_segment(struct work *w)
{
	struct seg *best = NULL;
	size_t i;

	for (i = 0; i < w->nsegs; i++) {
		struct seg *s = &w->segs[i];

		if (s->best_m > 0 && (best == NULL || s->best_q > best->best_q))
			best = s;
	}
	return best;
}

/*
 * The permutation test of the current largest Q: *p_out gets (1 + count)
 * / (R + 1), or a value above alpha as soon as that is certain.
 */
static void permutation_test(double *p_out, struct work *w, double observed,
                             const mg_changepoint_opts *o)
{
	double limit = observed - Q_REL_TOL * fabs(observed);
	double denom = (double)o->permutations + 1;
	unsigned r, count = 0;
	size_t i;

	memcpy(w->perm, w->rank, w->n * sizeof(*w->perm));
	for (r = 0; r < o->permutations; r++) {
		double qmax = -INFINITY;

		for (i = 0; i < w->nsegs; i++) {
			struct seg *s = &w->segs[i];
			size_t m;
			double q;

			if (s->len < 2 * o->min_segment)
				continue;
			shuffle(w->perm + s->start, s->len, &w->rng);
			scan(&m, &q, w->perm + s->start, s->len,
			     w->sorted + s->start, w->dall + s->start, s->wtot,
			     o->min_segment, w->fcnt, w->fsum);
			if (q > qmax)
				qmax = q;
		}
		if (qmax >= limit) {
			count++;
			if ((1.0 + count) / denom > o->alpha)
				break;
		}
	}
	*p_out = (1.0 + count) / denom;
}

/* Split segment s at its best split; the right part follows it. */
static void split(struct work *w, struct seg *s, size_t min_seg)
{
	size_t at = (size_t)(s - w->segs);
	struct seg *left, *right;

	memmove(&w->segs[at + 2], &w->segs[at + 1],
	        (w->nsegs - at - 1) * sizeof(*w->segs));
	w->nsegs++;
	left = &w->segs[at];
	right = &w->segs[at + 1];
	right->start = left->start + left->best_m;
	right->len = left->len - left->best_m;
	left->len = left->best_m;
	seg_prepare(w, left, min_seg);
	seg_prepare(w, right, min_seg);
}

static int check_opts(const mg_changepoint_opts *o, mg_err *err)
{
	if (!(o->alpha > 0 && o->alpha < 1))
		return mg_err_set(err, MG_EINPUT,
		                  "alpha must be between 0 and 1, got %g",
		                  o->alpha);
	if (o->permutations < 1 ||
	    o->permutations > MG_CHANGEPOINT_MAX_PERMUTATIONS)
		return mg_err_set(
		        err, MG_EINPUT,
		        "permutations must be between 1 and %d, got %u",
		        MG_CHANGEPOINT_MAX_PERMUTATIONS, o->permutations);
	if (o->min_segment < 2 ||
	    o->min_segment > MG_CHANGEPOINT_MAX_POINTS / 2)
		return mg_err_set(
		        err, MG_EINPUT,
		        "min_segment must be between 2 and %d, got %zu",
		        MG_CHANGEPOINT_MAX_POINTS / 2, o->min_segment);
	if (o->max_found < 1)
		return mg_err_set(err, MG_EINPUT,
		                  "max_found must be at least 1");
	if (!(o->min_change >= 0) || isinf(o->min_change))
		return mg_err_set(err, MG_EINPUT,
		                  "min_change must be a finite number >= 0");
	return 0;
}

static int check_series(const double *x, size_t n, mg_err *err)
{
	size_t i;

	if (n > MG_CHANGEPOINT_MAX_POINTS)
		return mg_err_set(
		        err, MG_ELIMIT,
		        "series of %zu points: at most %d are analysed", n,
		        MG_CHANGEPOINT_MAX_POINTS);
	for (i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return mg_err_set(
			        err, MG_EINPUT,
			        "point %zu: value is %s, not a number", i,
			        isnan(x[i]) ? "NaN" : "infinite");
	return 0;
}

static void work_release(struct work *w)
{
	free(w->z);
	free(w->sorted);
	free(w->dall);
	free(w->rank);
	free(w->perm);
	free(w->tmp);
	free(w->fcnt);
	free(w->fsum);
	free(w->segs);
	free(w->found);
}

/*
 * Allocate the work arrays and normalise x into w->z: centred on the
 * median and divided by the largest deviation, *scale_out. A constant
 * series gives *scale_out = 0 and nothing else to do.
 */
static int work_init(struct work *w, double *scale_out, const double *x,
                     size_t n, size_t max_found, mg_err *err)
{
	double center, scale = 0;
	size_t i;
	int error;

	memset(w, 0, sizeof(*w));
	w->n = n;
	error = mg_stats_median(&center, x, n, err);
	if (error < 0)
		return error;
	for (i = 0; i < n; i++)
		if (fabs(x[i] - center) > scale)
			scale = fabs(x[i] - center);
	*scale_out = scale;
	if (scale == 0)
		return 0;
	w->z = calloc(n, sizeof(*w->z));
	w->sorted = calloc(n, sizeof(*w->sorted));
	w->dall = calloc(n, sizeof(*w->dall));
	w->rank = calloc(n, sizeof(*w->rank));
	w->perm = calloc(n, sizeof(*w->perm));
	w->tmp = calloc(n, sizeof(*w->tmp));
	w->fcnt = calloc(n + 1, sizeof(*w->fcnt));
	w->fsum = calloc(n + 1, sizeof(*w->fsum));
	w->segs = calloc(max_found + 1, sizeof(*w->segs));
	w->found = calloc(max_found, sizeof(*w->found));
	if (!w->z || !w->sorted || !w->dall || !w->rank || !w->perm ||
	    !w->tmp || !w->fcnt || !w->fsum || !w->segs || !w->found)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		w->z[i] = (x[i] - center) / scale;
	return 0;
}

void mg_changepoint_opts_default(mg_changepoint_opts *opts)
{
	opts->alpha = MG_CHANGEPOINT_ALPHA;
	opts->permutations = MG_CHANGEPOINT_PERMUTATIONS;
	opts->min_segment = MG_CHANGEPOINT_MIN_SEGMENT;
	opts->max_found = MG_CHANGEPOINT_MAX_FOUND;
	opts->min_change = 0;
	opts->seed = MG_CHANGEPOINT_SEED;
}

int mg_changepoint_best_split(size_t *m_out, double *q_out, const double *x,
                              size_t n, size_t min_segment, mg_err *err)
{
	struct work w;
	double scale = 0;
	int error;

	*m_out = 0;
	*q_out = 0;
	if (min_segment < 2 || min_segment > MG_CHANGEPOINT_MAX_POINTS / 2)
		return mg_err_set(
		        err, MG_EINPUT,
		        "min_segment must be between 2 and %d, got %zu",
		        MG_CHANGEPOINT_MAX_POINTS / 2, min_segment);
	error = check_series(x, n, err);
	if (error < 0 || n < 2 * min_segment)
		return error;
	error = work_init(&w, &scale, x, n, 1, err);
	if (error == 0 && scale > 0) {
		w.segs[0].start = 0;
		w.segs[0].len = n;
		w.nsegs = 1;
		seg_prepare(&w, &w.segs[0], min_segment);
		*m_out = w.segs[0].best_m;
		*q_out = w.segs[0].best_q * scale;
	}
	work_release(&w);
	return error;
}

static int found_cmp(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

static double rel_change(double before, double after)
{
	if (before == after)
		return 0;
	if (before == 0)
		return after > 0 ? INFINITY : -INFINITY;
	return (after - before) / fabs(before);
}

/*
 * Medians around each of the nf change points f (by index) of x[0..n):
 * segment i runs from f[i - 1].index (0 for the first) to f[i].index.
 */
static int fill_medians(mg_changepoint *cps, const struct found *f, size_t nf,
                        const double *x, size_t n, mg_err *err)
{
	size_t i;
	int error;

	for (i = 0; i < nf; i++) {
		size_t a = i == 0 ? 0 : f[i - 1].index, b = f[i].index;
		size_t c = i + 1 == nf ? n : f[i + 1].index;

		cps[i].index = b;
		cps[i].p = f[i].p;
		error = mg_stats_median(&cps[i].before, x + a, b - a, err);
		if (error < 0)
			return error;
		error = mg_stats_median(&cps[i].after, x + b, c - b, err);
		if (error < 0)
			return error;
		cps[i].change = rel_change(cps[i].before, cps[i].after);
	}
	return 0;
}

/*
 * Drop change points whose relative change is below min_change, smallest
 * first, recomputing the medians of the merged segments after each drop.
 */
static int merge_small(mg_changepoint *cps, struct found *f, size_t *nf,
                       const double *x, size_t n, double min_change,
                       mg_err *err)
{
	int error;

	for (;;) {
		size_t i, drop = *nf;

		error = fill_medians(cps, f, *nf, x, n, err);
		if (error < 0)
			return error;
		for (i = 0; i < *nf; i++) {
			double c = fabs(cps[i].change);

			if (c < min_change &&
			    (drop == *nf || c < fabs(cps[drop].change)))
				drop = i;
		}
		if (drop == *nf)
			return 0;
		memmove(&f[drop], &f[drop + 1], (*nf - drop - 1) * sizeof(*f));
		(*nf)--;
	}
}

int mg_changepoint_detect(mg_changepoint **out, size_t *n_out, const double *x,
                          size_t n, const mg_changepoint_opts *opts,
                          mg_err *err)
{
	mg_changepoint_opts defaults;
	mg_changepoint *cps = NULL;
	struct work w;
	double scale = 0;
	size_t i, max_found;
	int error;

	if (opts == NULL) {
		mg_changepoint_opts_default(&defaults);
		opts = &defaults;
	}
	error = check_opts(opts, err);
	if (error < 0)
		return error;
	error = check_series(x, n, err);
	if (error < 0)
		return error;
	if (n < MG_CHANGEPOINT_MIN_POINTS || n < 2 * opts->min_segment) {
		*out = NULL;
		*n_out = 0;
		return 0;
	}
	/* Segments of min_segment points: at most n / min_segment - 1
	 * boundaries, which also keeps max_found + 1 from overflowing. */
	max_found = n / opts->min_segment;
	if (opts->max_found < max_found)
		max_found = opts->max_found;
	error = work_init(&w, &scale, x, n, max_found, err);
	if (error < 0)
		goto cleanup;
	if (scale > 0) {
		rng_seed(&w.rng, opts->seed);
		w.segs[0].start = 0;
		w.segs[0].len = n;
		w.nsegs = 1;
		seg_prepare(&w, &w.segs[0], opts->min_segment);
	}
	while (scale > 0 && w.nfound < max_found) {
		struct seg *s = best_segment(&w);
		double p;

		/* Q <= 0: the two sides are no further apart than the
		 * points within them, nothing to test. */
		if (s == NULL || !(s->best_q > 0))
			break;
		permutation_test(&p, &w, s->best_q, opts);
		if (p > opts->alpha)
			break;
		w.found[w.nfound].index = s->start + s->best_m;
		w.found[w.nfound].p = p;
		w.found[w.nfound].q = s->best_q;
		w.nfound++;
		split(&w, s, opts->min_segment);
	}
	if (w.nfound > 0) {
		qsort(w.found, w.nfound, sizeof(*w.found), found_cmp);
		cps = calloc(w.nfound, sizeof(*cps));
		if (cps == NULL) {
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto cleanup;
		}
		error = merge_small(cps, w.found, &w.nfound, x, n,
		                    opts->min_change, err);
		if (error < 0)
			goto cleanup;
		for (i = 0; i < w.nfound; i++)
			cps[i].score = w.found[i].q * scale;
	}
	if (w.nfound == 0) {
		free(cps);
		cps = NULL;
	}
	*out = cps;
	*n_out = w.nfound;
	cps = NULL;

cleanup:
	free(cps);
	work_release(&w);
	return error;
}

void mg_changepoint_free(mg_changepoint *cps)
{
	free(cps);
}
