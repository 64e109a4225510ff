/*
 * stats.c - benchstat-equal summaries and rank tests, Hodges-Lehmann
 * shifts, Benjamini-Hochberg and memgate's verdict rule. See stats.h for
 * the definitions and references; the comments here say how the numbers
 * are obtained.
 *
 * The exact Mann-Whitney null distribution is computed as counts of
 * label assignments (out of C(nx + ny, nx), all equally likely under the
 * null hypothesis), in units of 2U so half-integers from ties stay
 * integers:
 *   - without ties, the counts of U are the coefficients of the Gaussian
 *     binomial [nx + ny choose nx]_q, built as the product of
 *     (1 - q^(n + i)) / (1 - q^i) for i = 1..m, truncated at the degree
 *     needed: O(m * U) additions;
 *   - with ties, a walk over the tie groups in increasing order: choosing
 *     r of the group's t values for the first sample (C(t, r) ways) adds
 *     r * (second-sample values below) + r * (t - r) / 2 to its U. This is
 *     the conditional distribution of Klotz (1966) / Cheung & Klotz (1997)
 *     that go-moremath implements with linked lists.
 * Counts are doubles: exact below 2^53 (every tie case, n <= 25), and
 * within a few ulps above it.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

/* p-values one BH call adjusts: 100k benchmarks times ten units. */
#define MG_STATS_MAX_TESTS 1000000

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a;
	double y = *(const double *)b;

	return (x > y) - (x < y);
}

void mg_stats_sort(double *x, size_t n)
{
	size_t i, j;

	/* a set of a few repetitions: insertion beats qsort's calls */
	if (n > 16) {
		qsort(x, n, sizeof(*x), cmp_double);
		return;
	}
	for (i = 1; i < n; i++) {
		double v = x[i];

		for (j = i; j > 0 && cmp_double(&x[j - 1], &v) > 0; j--)
			x[j] = x[j - 1];
		x[j] = v;
	}
}

static int check_sample(const double *x, size_t n, const char *what,
                        mg_err *err)
{
	size_t i;

	if (n == 0)
		return mg_err_set(err, MG_EINPUT, "%s sample is empty", what);
	if (n > MG_STATS_MAX_SAMPLES)
		return mg_err_set(err, MG_ELIMIT,
		                  "%s sample has %zu values, more than %d",
		                  what, n, MG_STATS_MAX_SAMPLES);
	for (i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return mg_err_set(
			        err, MG_EINPUT,
			        "%s sample value %zu is not a finite number",
			        what, i + 1);
	}
	return 0;
}

static int check_confidence(double confidence, mg_err *err)
{
	if (!(confidence >= 0 && confidence <= 1))
		return mg_err_set(err, MG_EINPUT,
		                  "confidence %g is not between 0 and 1",
		                  confidence);
	return 0;
}

static int sorted_copy(double **out, const double *x, size_t n, mg_err *err)
{
	double *s = calloc(n, sizeof(*s));

	if (s == NULL)
		return mg_err_set(err, MG_ENOMEM,
		                  "out of memory sorting %zu values", n);
	memcpy(s, x, n * sizeof(*s));
	mg_stats_sort(s, n);
	*out = s;
	return 0;
}

/* C(n, k) as a double; exact while the result stays below 2^53. */
static double choose(long n, long k)
{
	double c = 1;
	long i;

	if (k < 0 || k > n)
		return 0;
	if (k > n - k)
		k = n - k;
	/* Each step leaves C(n - k + i, i), an integer. */
	for (i = 1; i <= k; i++)
		c = c * (double)(n - k + i) / (double)i;
	return c;
}

static double norm_cdf(double x, double mu, double sigma)
{
	return erfc(-(x - mu) / (sigma * M_SQRT2)) / 2;
}

/*
 * Inverse of the normal CDF: Acklam's rational approximation followed by
 * one Halley step on erfc, the method go-moremath uses, so the rounding
 * decisions built on it agree with benchstat's.
 */
static double norm_inv_cdf(double p, double mu, double sigma)
{
	static const double a[] = {
	        -3.969683028665376e+01, 2.209460984245205e+02,
	        -2.759285104469687e+02, 1.383577518672690e+02,
	        -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {
	        -5.447609879822406e+01, 1.615858368580409e+02,
	        -1.556989798598866e+02, 6.680131188771972e+01,
	        -1.328068155288572e+01};
	static const double c[] = {
	        -7.784894002430293e-03, -3.223964580411365e-01,
	        -2.400758277161838e+00, -2.549732539343734e+00,
	        4.374664141464968e+00,  2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
	                           2.445134137142996e+00,
	                           3.754408661907416e+00};
	const double plow = 0.02425, phigh = 1 - plow;
	double q, r, x, e, u;

	if (p < 0 || p > 1 || isnan(p))
		return NAN;
	if (p == 0)
		return -INFINITY;
	if (p == 1)
		return INFINITY;
	if (p < plow) {
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) *
		             q +
		     c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else if (phigh < p) {
		q = sqrt(-2 * log(1 - p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) *
		              q +
		      c[5]) /
		    ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	} else {
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) *
		             r +
		     a[5]) *
		    q /
		    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) *
		             r +
		     1);
	}
	e = 0.5 * erfc(-x / M_SQRT2) - p;
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	x = x - u / (1 + x * u / 2);
	return x * sigma + mu;
}

double mg_stats_quantile_sorted(const double *sorted, size_t n, double q)
{
	double h, kf, frac;
	long k;

	if (n == 0)
		return NAN;
	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	/* R8: position (n + 1/3) q + 1/3, same operation order as Go. */
	h = 1 / 3.0 + q * ((double)n + 1 / 3.0);
	frac = modf(h, &kf);
	k = (long)kf;
	if (k <= 0)
		return sorted[0];
	if ((size_t)k >= n)
		return sorted[n - 1];
	return sorted[k - 1] + frac * (sorted[k] - sorted[k - 1]);
}

int mg_stats_median(double *out, const double *x, size_t n, mg_err *err)
{
	double *s = NULL;
	int error;

	error = check_sample(x, n, "the", err);
	if (error < 0)
		return error;
	error = sorted_copy(&s, x, n, err);
	if (error < 0)
		return error;
	*out = mg_stats_quantile_sorted(s, n, 0.5);
	free(s);
	return 0;
}

static double binom_pmf(long n, double p, long k)
{
	if (k < 0 || k > n)
		return 0;
	return choose(n, k) * pow(p, (double)k) * pow(1 - p, (double)(n - k));
}

/*
 * Small n: grow [l, r) around the lower mode of Binomial(n, q), always
 * taking the more probable neighbour (the left one on a tie) until the
 * accumulated mass reaches the confidence.
 */
static void qci_exact(mg_stats_qci *out, long n, double q, double confidence)
{
	long x, l, r;
	double accum, lp, rp;

	x = (long)(ceil((double)(n + 1) * q) - 1);
	if (q == 0)
		x = 0;
	accum = binom_pmf(n, q, x);
	l = x;
	r = x + 1;
	lp = binom_pmf(n, q, l - 1);
	rp = binom_pmf(n, q, r);
	while (accum < confidence && (lp > 0 || rp > 0)) {
		if (lp >= rp) {
			accum += lp;
			l--;
			lp = binom_pmf(n, q, l - 1);
		} else {
			accum += rp;
			r++;
			rp = binom_pmf(n, q, r);
		}
	}
	out->lo_order = l;
	out->hi_order = r;
	out->confidence = accum;
}

/*
 * Large n: the central `confidence` band of the normal approximation,
 * widened to whole binomial points (continuity correction), then made
 * one narrower on the right when that still reaches the confidence.
 */
static void qci_normal(mg_stats_qci *out, long n, double q, double confidence)
{
	double mu = (double)n * q;
	double sigma = sqrt((double)n * q * (1 - q));
	double l1, r1, conf, biased;
	long l, r;

	l1 = norm_inv_cdf((1 - confidence) / 2, mu, sigma);
	r1 = 2 * mu - l1;
	l = (long)floor(floor(l1 - 0.5) + 0.5) + 1;
	r = (long)floor(ceil(r1 - 0.5) + 0.5) + 1;
	conf = norm_cdf((double)r - 0.5, mu, sigma) -
	       norm_cdf((double)l - 0.5, mu, sigma);
	biased = norm_cdf((double)(r - 1) - 0.5, mu, sigma) -
	         norm_cdf((double)l - 0.5, mu, sigma);
	if (biased >= confidence && biased < conf) {
		conf = biased;
		r--;
	}
	if (l <= 0 && r >= n + 1)
		conf = 1;
	out->lo_order = l;
	out->hi_order = r;
	out->confidence = conf;
}

void mg_stats_quantile_ci(mg_stats_qci *out, size_t n, double q,
                          double confidence)
{
	long ln = (long)n;

	if (confidence >= 1) {
		out->lo_order = 0;
		out->hi_order = ln + 1;
		out->confidence = 1;
		return;
	}
	/* go-moremath switches to the approximation above 30 samples. */
	if (ln <= 30)
		qci_exact(out, ln, q, confidence);
	else
		qci_normal(out, ln, q, confidence);
	if (out->lo_order < 0)
		out->lo_order = 0;
	if (out->hi_order > ln + 1)
		out->hi_order = ln + 1;
}

static void summary_sorted(mg_stats_summary *out, const double *s, size_t n,
                           double confidence)
{
	mg_stats_qci ci;

	mg_stats_quantile_ci(&ci, n, 0.5, confidence);
	out->center = mg_stats_quantile_sorted(s, n, 0.5);
	out->lo = ci.lo_order < 1 ? -INFINITY : s[ci.lo_order - 1];
	out->hi = ci.hi_order > (long)n ? INFINITY : s[ci.hi_order - 1];
	out->confidence = ci.confidence;
	out->n = n;
	out->ci_ok = isfinite(out->lo) && isfinite(out->hi);
}

int mg_stats_summarize(mg_stats_summary *out, const double *x, size_t n,
                       double confidence, mg_err *err)
{
	double *s = NULL;
	int error;

	error = check_sample(x, n, "the", err);
	if (error < 0)
		return error;
	error = check_confidence(confidence, err);
	if (error < 0)
		return error;
	error = sorted_copy(&s, x, n, err);
	if (error < 0)
		return error;
	summary_sorted(out, s, n, confidence);
	free(s);
	return 0;
}

size_t mg_stats_summary_min_samples(double confidence, bool *strict)
{
	/* benchmath looks no further than 50 samples. */
	const size_t limit = 50;
	mg_stats_qci ci;
	size_t n;

	for (n = 2; n <= limit; n++) {
		mg_stats_quantile_ci(&ci, n, 0.5, confidence);
		if (ci.lo_order > 0 && ci.hi_order <= (long)n) {
			*strict = false;
			return n;
		}
	}
	*strict = true;
	return limit;
}

/*
 * Counts of the no-ties U statistic for samples of m and n values, for U
 * = 0..cap (cnt has cap + 1 slots): the Gaussian binomial coefficient.
 * After step i the array holds [n + i choose i]_q, all non-negative, so
 * the subtractions never cancel large terms.
 */
static void u_counts_noties(double *cnt, long m, long n, long cap)
{
	long i, v;

	if (m > n) {
		long t = m;
		m = n;
		n = t;
	}
	cnt[0] = 1;
	for (v = 1; v <= cap; v++)
		cnt[v] = 0;
	for (i = 1; i <= m; i++) {
		for (v = cap; v >= n + i; v--)
			cnt[v] -= cnt[v - (n + i)];
		for (v = i; v <= cap; v++)
			cnt[v] += cnt[v - i];
	}
}

/*
 * Counts of 2U of the first sample (n1 values) over the tie groups
 * t[0..k-1] in increasing value order, for 2U = 0..cap2 (cnt has cap2 + 1
 * slots). dp[j][v]: assignments of the groups seen so far with j first
 * sample values and 2U == v; updated in place with j descending, so
 * dp[j - r] still holds the previous groups' counts.
 */
static int u_counts_ties(double *cnt, long n1, const long *t, size_t k,
                         long cap2, mg_err *err)
{
	size_t width = (size_t)cap2 + 1;
	double *dp = NULL, *coef = NULL, s;
	long cum = 0, j, v, r, rmax, jmax, add;
	size_t g;
	int error = 0;

	dp = calloc((size_t)(n1 + 1) * width, sizeof(*dp));
	coef = calloc((size_t)n1 + 1, sizeof(*coef));
	if (dp == NULL || coef == NULL) {
		error = mg_err_set(
		        err, MG_ENOMEM,
		        "out of memory for the exact U distribution");
		goto cleanup;
	}
	dp[0] = 1;
	for (g = 0; g < k; g++) {
		rmax = t[g] < n1 ? t[g] : n1;
		for (r = 0; r <= rmax; r++)
			coef[r] = choose(t[g], r);
		jmax = cum + t[g] < n1 ? cum + t[g] : n1;
		for (j = jmax; j >= 0; j--) {
			for (v = cap2; v >= 0; v--) {
				s = dp[(size_t)j * width + v];
				for (r = 1; r <= rmax && r <= j; r++) {
					if (j - r > cum)
						continue;
					/*
					 * cum - (j - r) second-sample values
					 * lie below the group; r * (t - r)
					 * pairs tie inside it.
					 */
					add = r * (2 * (cum - (j - r)) +
					           (t[g] - r));
					if (add > v)
						continue;
					s += coef[r] *
					     dp[(size_t)(j - r) * width +
					        (v - add)];
				}
				dp[(size_t)j * width + v] = s;
			}
		}
		cum += t[g];
	}
	memcpy(cnt, dp + (size_t)n1 * width, width * sizeof(*cnt));

cleanup:
	free(coef);
	free(dp);
	return error;
}

/*
 * P(U' <= u) for the first sample's U' (n1 values against n2) under the
 * exact null distribution given the tie groups; t == NULL: no ties.
 */
static int u_cdf(double *out, long n1, long n2, const long *t, size_t k,
                 double u, mg_err *err)
{
	double *cnt = NULL, sum = 0;
	long cap, v;
	int error = 0;

	if (u < 0) {
		*out = 0;
		return 0;
	}
	if (u >= (double)n1 * (double)n2) {
		*out = 1;
		return 0;
	}
	/* u is a multiple of 1/2 below n1 * n2 <= 2500: 2u is exact. */
	cap = t == NULL ? (long)floor(u) : (long)floor(2 * u);
	cnt = calloc((size_t)cap + 1, sizeof(*cnt));
	if (cnt == NULL)
		return mg_err_set(err, MG_ENOMEM,
		                  "out of memory for the exact U distribution");
	if (t == NULL)
		u_counts_noties(cnt, n1, n2, cap);
	else
		error = u_counts_ties(cnt, n1, t, k, cap, err);
	if (error == 0) {
		for (v = 0; v <= cap; v++)
			sum += cnt[v];
		*out = sum / choose(n1 + n2, n1);
	}
	free(cnt);
	return error;
}

/* Pooled, sorted values with their origin, and the tie groups. */
struct ranked {
	double *xs;   /* sorted copy of x */
	double *ys;   /* sorted copy of y */
	long *ties;   /* sizes of the groups of equal values, ascending */
	size_t nties; /* number of groups */
	double r1;    /* rank sum of x, ties at their mid-rank */
	bool has_ties;
};

static void ranked_release(struct ranked *rk)
{
	free(rk->xs);
	free(rk->ys);
	free(rk->ties);
}

static int rank_samples(struct ranked *rk, const double *x, size_t nx,
                        const double *y, size_t ny, mg_err *err)
{
	size_t i = 0, j = 0, pos = 0, start, inx;
	double v;
	int error;

	memset(rk, 0, sizeof(*rk));
	error = sorted_copy(&rk->xs, x, nx, err);
	if (error < 0)
		return error;
	error = sorted_copy(&rk->ys, y, ny, err);
	if (error < 0)
		return error;
	rk->ties = calloc(nx + ny, sizeof(*rk->ties));
	if (rk->ties == NULL)
		return mg_err_set(err, MG_ENOMEM,
		                  "out of memory ranking %zu values", nx + ny);
	while (i < nx || j < ny) {
		if (j >= ny || (i < nx && rk->xs[i] < rk->ys[j]))
			v = rk->xs[i];
		else
			v = rk->ys[j];
		start = pos;
		inx = 0;
		while (i < nx && rk->xs[i] == v) {
			i++;
			inx++;
			pos++;
		}
		while (j < ny && rk->ys[j] == v) {
			j++;
			pos++;
		}
		/* Positions start..pos-1 share rank (start + 1 + pos) / 2. */
		rk->r1 += (double)(start + 1 + pos) / 2 * (double)inx;
		rk->ties[rk->nties++] = (long)(pos - start);
		if (pos - start > 1)
			rk->has_ties = true;
	}
	return 0;
}

int mg_stats_mannwhitney(mg_stats_utest *out, const double *x, size_t nx,
                         const double *y, size_t ny, mg_err *err)
{
	struct ranked rk;
	mg_stats_utest res;
	double n1 = (double)nx, n2 = (double)ny, u1, u2, usmall, p, cdf = 0;
	double tsum = 0, nn, mu, sigma, numer, z, phi;
	bool exact;
	size_t g;
	int error;

	error = check_sample(x, nx, "first", err);
	if (error < 0)
		return error;
	error = check_sample(y, ny, "second", err);
	if (error < 0)
		return error;
	error = rank_samples(&rk, x, nx, y, ny, err);
	if (error < 0)
		goto cleanup;

	u1 = rk.r1 - n1 * (n1 + 1) / 2;
	u2 = n1 * n2 - u1;
	usmall = u1 < u2 ? u1 : u2;
	memset(&res, 0, sizeof(res));
	res.u = u1;
	res.ties = rk.has_ties;
	res.p = 1;
	if (rk.nties == 1) {
		/* One group: every value equal, the test is meaningless. */
		res.status = MG_STATS_UTEST_EQUAL;
		*out = res;
		goto cleanup;
	}

	if (rk.has_ties)
		exact = nx <= MG_STATS_EXACT_TIES_LIMIT &&
		        ny <= MG_STATS_EXACT_TIES_LIMIT;
	else
		exact = nx <= MG_STATS_EXACT_LIMIT &&
		        ny <= MG_STATS_EXACT_LIMIT;
	res.exact = exact;
	if (exact) {
		if (u1 == u2) {
			/* Symmetric about U: the whole distribution. */
			p = 1;
		} else {
			error = u_cdf(&cdf, (long)nx, (long)ny,
			              rk.has_ties ? rk.ties : NULL, rk.nties,
			              usmall, err);
			if (error < 0)
				goto cleanup;
			p = 2 * cdf;
		}
	} else {
		for (g = 0; g < rk.nties; g++) {
			double t = (double)rk.ties[g];
			tsum += t * t * t - t;
		}
		nn = n1 + n2;
		mu = n1 * n2 / 2;
		sigma = sqrt(n1 * n2 * ((nn + 1) - tsum / (nn * (nn - 1))) /
		             12);
		numer = u1 - mu;
		/* Continuity correction towards the mean. */
		if (numer > 0)
			numer -= 0.5;
		else if (numer < 0)
			numer += 0.5;
		z = numer / sigma;
		phi = norm_cdf(z, 0, 1);
		p = 2 * (phi < 1 - phi ? phi : 1 - phi);
	}
	res.p = p;
	res.status = MG_STATS_UTEST_OK;
	*out = res;

cleanup:
	ranked_release(&rk);
	return error;
}

double mg_stats_utest_min_p(size_t nx, size_t ny)
{
	double n1 = (double)nx, n2 = (double)ny, nn, mu, sigma, tsum, z;

	if (nx == 0 || ny == 0)
		return 1;
	/*
	 * Fully separated constant sides: one tie group each (or no ties
	 * at 1 vs 1); U = 0 has a single assignment.
	 */
	if (nx == 1 && ny == 1)
		return 1;
	if (nx <= MG_STATS_EXACT_TIES_LIMIT && ny <= MG_STATS_EXACT_TIES_LIMIT)
		return 2 / choose((long)(nx + ny), (long)nx);
	nn = n1 + n2;
	mu = n1 * n2 / 2;
	tsum = n1 * n1 * n1 - n1 + n2 * n2 * n2 - n2;
	sigma = sqrt(n1 * n2 * ((nn + 1) - tsum / (nn * (nn - 1))) / 12);
	z = (-mu + 0.5) / sigma;
	return 2 * norm_cdf(z, 0, 1);
}

size_t mg_stats_utest_min_samples(double alpha, bool *strict)
{
	size_t n;

	/* benchmath's table stops at 9 samples. */
	for (n = 1; n <= 9; n++) {
		if (mg_stats_utest_min_p(n, n) <= alpha) {
			*strict = false;
			return n;
		}
	}
	*strict = true;
	return 10;
}

/*
 * Largest c with P(U <= c - 1) <= tail under the no-ties null for m and
 * n values (0 when even c = 1 is too likely), and P(U <= c - 1) itself.
 */
static int hl_critical(long *c_out, double *tail_out, long m, long n,
                       double tail, mg_err *err)
{
	double mn = (double)m * (double)n, total, acc = 0, sigma, z;
	double *cnt = NULL;
	long cap, c;

	if (m <= MG_STATS_EXACT_LIMIT && n <= MG_STATS_EXACT_LIMIT) {
		cap = (long)(mn / 2);
		cnt = calloc((size_t)cap + 1, sizeof(*cnt));
		if (cnt == NULL)
			return mg_err_set(
			        err, MG_ENOMEM,
			        "out of memory for the exact U distribution");
		u_counts_noties(cnt, m, n, cap);
		total = choose(m + n, m);
		c = 0;
		while (c <= cap && (acc + cnt[c]) / total <= tail) {
			acc += cnt[c];
			c++;
		}
		free(cnt);
		*c_out = c;
		*tail_out = acc / total;
		return 0;
	}
	/* P(U <= c - 1) ~ Phi((c - 1/2 - mn/2) / sigma) <= tail. */
	sigma = sqrt(mn * (double)(m + n + 1) / 12);
	z = norm_inv_cdf(tail, 0, 1);
	c = (long)floor(mn / 2 + 0.5 + z * sigma);
	if (c < 0)
		c = 0;
	if (c > (long)(mn / 2))
		c = (long)(mn / 2);
	*c_out = c;
	*tail_out = norm_cdf((double)c - 0.5 - mn / 2, 0, sigma);
	return 0;
}

int mg_stats_hodges_lehmann(mg_stats_shift *out, const double *x, size_t nx,
                            const double *y, size_t ny, double confidence,
                            mg_err *err)
{
	double *d = NULL, tail = 0;
	size_t i, j, nd;
	long c = 0;
	int error;

	error = check_sample(x, nx, "first", err);
	if (error < 0)
		return error;
	error = check_sample(y, ny, "second", err);
	if (error < 0)
		return error;
	error = check_confidence(confidence, err);
	if (error < 0)
		return error;
	if (nx > MG_STATS_MAX_PAIRS / ny)
		return mg_err_set(
		        err, MG_ELIMIT,
		        "%zu x %zu samples: more than %u pairwise differences",
		        nx, ny, (unsigned)MG_STATS_MAX_PAIRS);
	nd = nx * ny;
	d = calloc(nd, sizeof(*d));
	if (d == NULL)
		return mg_err_set(err, MG_ENOMEM,
		                  "out of memory for %zu differences", nd);
	for (i = 0; i < nx; i++)
		for (j = 0; j < ny; j++)
			d[i * ny + j] = y[j] - x[i];
	mg_stats_sort(d, nd);
	out->shift = mg_stats_quantile_sorted(d, nd, 0.5);
	out->lo = -INFINITY;
	out->hi = INFINITY;
	out->confidence = 1;
	out->ci_ok = false;
	if (confidence < 1) {
		error = hl_critical(&c, &tail, (long)nx, (long)ny,
		                    (1 - confidence) / 2, err);
		if (error < 0)
			goto cleanup;
		if (c >= 1) {
			out->lo = d[c - 1];
			out->hi = d[nd - (size_t)c];
			out->confidence = 1 - 2 * tail;
			out->ci_ok = true;
		}
	}

cleanup:
	free(d);
	return error;
}

struct pidx {
	double p;
	size_t i;
};

static int cmp_pidx(const void *a, const void *b)
{
	const struct pidx *x = a, *y = b;

	if (x->p != y->p)
		return (x->p > y->p) - (x->p < y->p);
	return (x->i > y->i) - (x->i < y->i);
}

int mg_stats_bh(double *adj, const double *p, size_t n, mg_err *err)
{
	struct pidx *v = NULL;
	size_t i, m = 0;
	double best = 1, a;

	if (n > MG_STATS_MAX_TESTS)
		return mg_err_set(err, MG_ELIMIT, "%zu p-values, more than %d",
		                  n, MG_STATS_MAX_TESTS);
	for (i = 0; i < n; i++) {
		if (p[i] < 0)
			return mg_err_set(err, MG_EINPUT,
			                  "p-value %zu is negative (%g)", i + 1,
			                  p[i]);
	}
	v = calloc(n ? n : 1, sizeof(*v));
	if (v == NULL)
		return mg_err_set(err, MG_ENOMEM,
		                  "out of memory adjusting %zu p-values", n);
	for (i = 0; i < n; i++) {
		if (isnan(p[i]))
			continue;
		v[m].p = p[i] > 1 ? 1 : p[i];
		v[m].i = i;
		m++;
	}
	qsort(v, m, sizeof(*v), cmp_pidx);
	for (i = 0; i < n; i++)
		if (isnan(p[i]))
			adj[i] = NAN;
	/* Step up from the largest: a running minimum of p * m / rank. */
	for (i = m; i > 0; i--) {
		a = v[i - 1].p * (double)m / (double)i;
		if (a < best)
			best = a;
		adj[v[i - 1].i] = best;
	}
	free(v);
	return 0;
}

double mg_stats_geomean(const double *x, size_t n)
{
	double m = 0;
	size_t i;

	if (n == 0)
		return NAN;
	for (i = 0; i < n; i++) {
		if (!(x[i] > 0))
			return NAN;
		m += (log(x[i]) - m) / (double)(i + 1);
	}
	return exp(m);
}

static int sign_of(double x)
{
	return (x > 0) - (x < 0);
}

enum mg_stats_range_kind mg_stats_range_pct(const mg_stats_summary *s,
                                            double *pct)
{
	double up, down;
	int cs;

	*pct = 0;
	if (isinf(s->lo) || isinf(s->hi))
		return MG_STATS_RANGE_INF;
	cs = sign_of(s->center);
	if (cs != sign_of(s->lo) || cs != sign_of(s->hi))
		return MG_STATS_RANGE_SIGN;
	if (s->center == 0)
		return MG_STATS_RANGE_PCT;
	up = s->hi / s->center - 1;
	down = 1 - s->lo / s->center;
	*pct = 100 * (up > down ? up : down);
	return MG_STATS_RANGE_PCT;
}

enum mg_stats_delta_kind mg_stats_delta_pct(double p, double alpha,
                                            double old_center,
                                            double new_center, double *pct)
{
	*pct = 0;
	if (p > alpha)
		return MG_STATS_DELTA_NONE;
	if (old_center == new_center)
		return MG_STATS_DELTA_PCT;
	if (old_center == 0)
		return MG_STATS_DELTA_UNKNOWN;
	*pct = (new_center / old_center - 1.0) * 100.0;
	return MG_STATS_DELTA_PCT;
}

static bool is_constant(const double *x, size_t n)
{
	size_t i;

	for (i = 1; i < n; i++)
		if (x[i] != x[0])
			return false;
	return true;
}

int mg_stats_compare(mg_stats_cmp *out, const double *base, size_t nb,
                     const double *head, size_t nh, double confidence,
                     mg_err *err)
{
	int error;

	error = check_sample(base, nb, "base", err);
	if (error < 0)
		return error;
	error = check_sample(head, nh, "head", err);
	if (error < 0)
		return error;
	memset(out, 0, sizeof(*out));
	error = mg_stats_summarize(&out->base, base, nb, confidence, err);
	if (error < 0)
		return error;
	error = mg_stats_summarize(&out->head, head, nh, confidence, err);
	if (error < 0)
		return error;
	error = mg_stats_mannwhitney(&out->test, base, nb, head, nh, err);
	if (error < 0)
		return error;
	if (nb > MG_STATS_MAX_PAIRS / nh) {
		/* Too many pairs for the shift: keep the benchstat figures. */
		out->shift.shift = NAN;
		out->shift.lo = -INFINITY;
		out->shift.hi = INFINITY;
		out->shift.confidence = 1;
	} else {
		error = mg_stats_hodges_lehmann(&out->shift, base, nb, head, nh,
		                                confidence, err);
		if (error < 0)
			return error;
	}
	out->min_p = mg_stats_utest_min_p(nb, nh);
	out->base_constant = is_constant(base, nb);
	out->head_constant = is_constant(head, nh);
	return 0;
}

int mg_stats_noise_floor(double *out, const double *x, size_t nx,
                         const double *y, size_t ny, double confidence,
                         mg_err *err)
{
	mg_stats_shift sh;
	double *all, center, lo, hi;
	int error;

	error = mg_stats_hodges_lehmann(&sh, x, nx, y, ny, confidence, err);
	if (error < 0)
		return error;
	if (!sh.ci_ok)
		return MG_ENOTFOUND;
	all = malloc((nx + ny) * sizeof(*all));
	if (all == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	memcpy(all, x, nx * sizeof(*x));
	memcpy(all + nx, y, ny * sizeof(*y));
	error = mg_stats_median(&center, all, nx + ny, err);
	free(all);
	if (error < 0)
		return error;
	lo = fabs(sh.lo);
	hi = fabs(sh.hi);
	if (lo == 0 && hi == 0) {
		*out = 0;
		return 0;
	}
	if (center == 0)
		return MG_ENOTFOUND;
	*out = (lo > hi ? lo : hi) / fabs(center);
	return 0;
}

/* The verdict for a change from b to h that is known to be real. */
static enum mg_stats_verdict judge_change(double b, double h,
                                          const mg_stats_rule *rule)
{
	double delta = h - b, rel;
	bool worse;

	if (delta == 0)
		return MG_STATS_UNCHANGED;
	rel = b != 0 ? fabs(delta / b) : INFINITY;
	if (rule->absolute ? !(fabs(delta) > rule->threshold)
	                   : !(rel > rule->threshold))
		return MG_STATS_UNCHANGED;
	if (rule->noise_floor > 0 && !(rel > rule->noise_floor))
		return MG_STATS_UNCHANGED;
	worse = rule->better == MG_STATS_HIGHER_BETTER ? delta < 0 : delta > 0;
	return worse ? MG_STATS_REGRESSION : MG_STATS_IMPROVEMENT;
}

enum mg_stats_verdict mg_stats_judge(const mg_stats_cmp *cmp, double p,
                                     const mg_stats_rule *rule)
{
	size_t nb = cmp->base.n, nh = cmp->head.n;

	if (nb == 0 || nh == 0)
		return MG_STATS_INCONCLUSIVE;
	if (cmp->base_constant && cmp->head_constant &&
	    nb >= MG_STATS_EXACT_MIN_N && nh >= MG_STATS_EXACT_MIN_N)
		return judge_change(cmp->base.center, cmp->head.center, rule);
	if (cmp->min_p > rule->alpha)
		return MG_STATS_INCONCLUSIVE;
	if (cmp->test.status != MG_STATS_UTEST_OK || !(p <= rule->alpha))
		return MG_STATS_UNCHANGED;
	return judge_change(cmp->base.center, cmp->head.center, rule);
}

int mg_stats_verdict_of(enum mg_stats_verdict *out, const double *base,
                        size_t nb, const double *head, size_t nh,
                        const mg_stats_rule *rule, mg_err *err)
{
	mg_stats_cmp cmp;
	int error;

	error = mg_stats_compare(&cmp, base, nb, head, nh, MG_STATS_CONFIDENCE,
	                         err);
	if (error < 0)
		return error;
	*out = mg_stats_judge(&cmp, cmp.test.p, rule);
	return 0;
}

enum mg_stats_better mg_stats_unit_better(const char *unit)
{
	size_t len = strlen(unit);

	if (len >= 2 && strcmp(unit + len - 2, "/s") == 0)
		return MG_STATS_HIGHER_BETTER;
	return MG_STATS_LOWER_BETTER;
}

void mg_stats_rule_default(mg_stats_rule *out, const char *unit)
{
	memset(out, 0, sizeof(*out));
	out->alpha = MG_STATS_ALPHA;
	out->better = mg_stats_unit_better(unit);
	if (strcmp(unit, "allocs/op") == 0) {
		/* Integer counts: any change is real once shown. */
		out->absolute = true;
		out->threshold = 0;
	} else if (strcmp(unit, "B/op") == 0) {
		out->threshold = 0.02;
	} else {
		/*
		 * Time, rates, custom metrics: a few percent of noise
		 * per sample is normal; at 5% sim_falsealarm still
		 * sees false alarms.
		 */
		out->threshold = 0.10;
	}
}

const char *mg_stats_verdict_name(enum mg_stats_verdict v)
{
	switch (v) {
	case MG_STATS_UNCHANGED:
		return "unchanged";
	case MG_STATS_REGRESSION:
		return "regression";
	case MG_STATS_IMPROVEMENT:
		return "improvement";
	case MG_STATS_INCONCLUSIVE:
		return "inconclusive";
	}
	return "unknown";
}
