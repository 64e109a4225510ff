/*
 * test_changepoint.c - lib/changepoint.c on series whose answer is known
 * independently:
 *   - the split statistic against a direct O(n^3) evaluation of the
 *     formula of Matteson & James (2014) written here;
 *   - the permutation p against exact probabilities counted by hand
 *     (only the observed order and its mirror image are as extreme as a
 *     clean step of zero-variance values: p = 2 / C(n, m));
 *   - series with injected shifts, where the position is the injected one
 *     and the medians are recomputed here from the segments;
 *   - noise-only series, where the rate of false change points must stay
 *     within what alpha allows.
 * Noise comes from a generator written here (splitmix64 + Box-Muller), not
 * the library's, with fixed seeds.
 */
#include <math.h>
#include <stdint.h>
#include <time.h>

#include "changepoint.h"
#include "mgtest.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static uint64_t test_rng = 1;

static uint64_t next_u64(void)
{
	uint64_t z = (test_rng += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Uniform in (0, 1). */
static double uniform(void)
{
	return ((double)(next_u64() >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(void)
{
	return sqrt(-2 * log(uniform())) * cos(2 * M_PI * uniform());
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The plain median, computed here: sort a copy, middle or mean of two. */
static double median_of(const double *x, size_t n)
{
	double *c = calloc(n, sizeof(*c)), m;

	assert_non_null(c);
	memcpy(c, x, n * sizeof(*c));
	qsort(c, n, sizeof(*c), dbl_cmp);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

/* Q of the split at m, straight from the definition. */
static double q_direct(const double *x, size_t n, size_t m)
{
	double cross = 0, wx = 0, wy = 0, dm = (double)m, dk = (double)(n - m);
	size_t i, j;

	for (i = 0; i < m; i++)
		for (j = m; j < n; j++)
			cross += fabs(x[i] - x[j]);
	for (i = 0; i < m; i++)
		for (j = i + 1; j < m; j++)
			wx += fabs(x[i] - x[j]);
	for (i = m; i < n; i++)
		for (j = i + 1; j < n; j++)
			wy += fabs(x[i] - x[j]);
	return dm * dk / (dm + dk) *
	       (2 * cross / (dm * dk) - wx / (dm * (dm - 1) / 2) -
	        wy / (dk * (dk - 1) / 2));
}

static mg_changepoint *detect(size_t *n_out, const double *x, size_t n,
                              const mg_changepoint_opts *o)
{
	mg_changepoint *cps = NULL;
	mg_err err = MG_ERR_INIT;
	int rc;

	rc = mg_changepoint_detect(&cps, n_out, x, n, o, &err);
	if (rc != 0)
		fail_msg("detect: %s", err.msg);
	return cps;
}

static void fill(double *x, size_t from, size_t to, double v)
{
	size_t i;

	for (i = from; i < to; i++)
		x[i] = v;
}

static void test_best_split_matches_definition(void **state)
{
	mg_err err = MG_ERR_INIT;
	double x[40];
	size_t trial;

	(void)state;
	test_rng = 11;
	for (trial = 0; trial < 300; trial++) {
		size_t n = 4 + trial % 37, min_seg = 2 + trial % 3, i, m,
		       bm = 0;
		double q, bq = -INFINITY, lo, hi, tol;

		for (i = 0; i < n; i++) {
			x[i] = 50 * gauss() + (i >= n / 3 ? 20 : 0);
			/* Every third series rounded: many ties. */
			if (trial % 3 == 0)
				x[i] = round(x[i] / 20);
		}
		if (n < 2 * min_seg)
			continue;
		for (m = min_seg; m + min_seg <= n; m++) {
			double d = q_direct(x, n, m);

			if (bm == 0 || d > bq + 1e-9 * fabs(bq)) {
				bq = d;
				bm = m;
			}
		}
		assert_int_equal(
		        mg_changepoint_best_split(&m, &q, x, n, min_seg, &err),
		        0);
		/* Rounding error grows with the spread of the data: the
		 * sums are of n^2 distances up to the range. */
		lo = hi = x[0];
		for (i = 1; i < n; i++) {
			lo = fmin(lo, x[i]);
			hi = fmax(hi, x[i]);
		}
		tol = 1e-9 * fabs(bq) + 1e-12 * (hi - lo) * (double)n;
		if (bq == 0) {
			/* constant rounded series */
			assert_true(q == 0);
			continue;
		}
		/* Splits whose Q are equal (rounded data can tie) are
		 * equally right; the value must match either way. */
		if ((m != bm && fabs(q_direct(x, n, m) - bq) > tol) ||
		    fabs(q - bq) > tol)
			fail_msg("trial %zu n %zu: got m %zu q %.17g, want m "
			         "%zu q %.17g",
			         trial, n, m, q, bm, bq);
	}
}

/*
 * A clean step of 3 + 3 zero-variance values: of the C(6, 3) = 20 equally
 * likely orders of {1,1,1,2,2,2}, only 111222 and 222111 reach the
 * observed Q, so the exact p is 2/20 = 0.1; 4 + 4: 2/70. With 9999
 * permutations the estimate has a standard error of about 0.003.
 */
static void test_pvalue_exact_small(void **state)
{
	mg_changepoint_opts o;
	mg_changepoint *cps;
	double x[8];
	size_t n;

	(void)state;
	mg_changepoint_opts_default(&o);
	o.alpha = 0.5;
	o.permutations = 9999;
	fill(x, 0, 3, 1);
	fill(x, 3, 6, 2);
	cps = detect(&n, x, 6, &o);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 3);
	assert_true(fabs(cps[0].p - 0.1) < 0.012);
	mg_changepoint_free(cps);

	fill(x, 0, 4, 1);
	fill(x, 4, 8, 2);
	cps = detect(&n, x, 8, &o);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 4);
	assert_true(fabs(cps[0].p - 2.0 / 70) < 0.006);
	mg_changepoint_free(cps);

	/* At the default alpha 0.01 neither can be significant. */
	cps = detect(&n, x, 8, NULL);
	assert_int_equal(n, 0);
	assert_null(cps);
}

static void test_single_step(void **state)
{
	mg_changepoint *cps;
	double x[20];
	size_t n;

	(void)state;
	fill(x, 0, 10, 100);
	fill(x, 10, 20, 150);
	cps = detect(&n, x, 20, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 10);
	assert_true(cps[0].before == 100);
	assert_true(cps[0].after == 150);
	assert_true(fabs(cps[0].change - 0.5) < 1e-15);
	/* exact p is 2 / C(20, 10) = 1.1e-5: no permutation of 999 is
	 * expected to match, p = 1 / 1000 */
	assert_true(cps[0].p <= 0.002);
	/* Q at the step: m = k = 10, cross = 100 * 50, within sums 0, so
	 * Q = 10 * 10 / 20 * 2 * 50 = 500 */
	assert_true(fabs(cps[0].score - 500) < 1e-9);
	mg_changepoint_free(cps);
}

static void test_two_steps(void **state)
{
	mg_changepoint *cps;
	double x[45];
	size_t n;

	(void)state;
	fill(x, 0, 15, 10);
	fill(x, 15, 30, 20);
	fill(x, 30, 45, 15);
	cps = detect(&n, x, 45, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(cps[0].index, 15);
	assert_true(cps[0].before == 10 && cps[0].after == 20);
	assert_true(fabs(cps[0].change - 1.0) < 1e-15);
	assert_int_equal(cps[1].index, 30);
	assert_true(cps[1].before == 20 && cps[1].after == 15);
	assert_true(fabs(cps[1].change + 0.25) < 1e-15);
	assert_true(cps[0].p <= 0.01 && cps[1].p <= 0.01);
	mg_changepoint_free(cps);
}

/* 3% Gaussian noise, +10% at point 30 of 60. */
static void test_noisy_step(void **state)
{
	mg_changepoint *cps;
	double x[60];
	size_t n, i, trial, exact = 0;

	(void)state;
	test_rng = 2024;
	for (trial = 0; trial < 20; trial++) {
		for (i = 0; i < 60; i++)
			x[i] = (i < 30 ? 1000 : 1100) * (1 + 0.03 * gauss());
		cps = detect(&n, x, 60, NULL);
		assert_int_equal(n, 1);
		/* The injected position, give or take the noise: a
		 * boundary point that looks like the other level may move
		 * the estimate by one. */
		assert_true(cps[0].index >= 29 && cps[0].index <= 31);
		exact += cps[0].index == 30;
		assert_true(cps[0].before == median_of(x, cps[0].index));
		assert_true(cps[0].after ==
		            median_of(x + cps[0].index, 60 - cps[0].index));
		assert_true(fabs(cps[0].before / 1000 - 1) < 0.03);
		assert_true(fabs(cps[0].after / 1100 - 1) < 0.03);
		assert_true(cps[0].change > 0.05 && cps[0].change < 0.15);
		assert_true(cps[0].p <= 0.002);
		mg_changepoint_free(cps);
	}
	/* The first series of this seed, checked exactly. */
	test_rng = 2024;
	for (i = 0; i < 60; i++)
		x[i] = (i < 30 ? 1000 : 1100) * (1 + 0.03 * gauss());
	cps = detect(&n, x, 60, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 30);
	assert_true(cps[0].before == median_of(x, 30));
	assert_true(cps[0].after == median_of(x + 30, 30));
	mg_changepoint_free(cps);
	print_message("noisy step: exact position in %zu of 20 series\n",
	              exact);
	assert_true(exact >= 15);
}

/* allocs/op: exactly constant within a level, 1 -> 2 at point 12. */
static void test_zero_variance_allocs(void **state)
{
	mg_changepoint *cps;
	double x[30];
	size_t n;

	(void)state;
	fill(x, 0, 12, 1);
	fill(x, 12, 24, 2);
	cps = detect(&n, x, 24, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 12);
	assert_true(cps[0].before == 1 && cps[0].after == 2);
	assert_true(cps[0].change == 1);
	mg_changepoint_free(cps);

	/* New level on the last 4 commits of 30: 2 / C(30, 4) = 7e-5. */
	fill(x, 0, 26, 1);
	fill(x, 26, 30, 2);
	cps = detect(&n, x, 30, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 26);
	mg_changepoint_free(cps);

	/* ... and on the last 2: 2 / C(30, 2) = 0.0046, still found (999
	 * permutations put the estimate above 0.01 with probability about
	 * 2%; the seed is fixed), but a single last commit is never a
	 * level (min_segment 2). */
	fill(x, 0, 28, 1);
	fill(x, 28, 30, 2);
	cps = detect(&n, x, 30, NULL);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 28);
	mg_changepoint_free(cps);
	fill(x, 0, 29, 1);
	x[29] = 2;
	cps = detect(&n, x, 30, NULL);
	assert_int_equal(n, 0);

	/* A one-commit outlier in the middle is not a level shift. */
	fill(x, 0, 30, 1);
	x[15] = 5;
	cps = detect(&n, x, 30, NULL);
	assert_int_equal(n, 0);
}

/*
 * A gradual ramp between two flat levels: 20 x 100, then 100 -> 138 in
 * 20 steps of 2, then 20 x 140. There is no single change point; the
 * method reports the ramp as a few steps, all inside it and all upward.
 */
static void test_ramp(void **state)
{
	mg_changepoint *cps;
	double x[60];
	size_t n, i;

	(void)state;
	test_rng = 7;
	for (i = 0; i < 60; i++)
		x[i] = (i < 20   ? 100
		        : i < 40 ? 100 + 2.0 * (i - 20)
		                 : 140) +
		       0.5 * gauss();
	cps = detect(&n, x, 60, NULL);
	assert_true(n >= 1);
	for (i = 0; i < n; i++) {
		print_message("ramp: change point at %zu: %.1f -> %.1f "
		              "(p %.3f)\n",
		              cps[i].index, cps[i].before, cps[i].after,
		              cps[i].p);
		assert_true(cps[i].index >= 20 && cps[i].index <= 41);
		assert_true(cps[i].after > cps[i].before);
	}
	mg_changepoint_free(cps);
}

/*
 * Noise only: over many series with no shift, the fraction with any
 * change point must be about alpha (the first test is an exact
 * permutation test). Binomial(200, 0.01) exceeds 4 (2%) with
 * probability 5%; the seeds are fixed, so this is a measurement that
 * holds, not a flake.
 */
static size_t false_positives(int kind, size_t series, size_t len,
                              const mg_changepoint_opts *o)
{
	double *x = calloc(len, sizeof(*x));
	size_t s, i, n, fp = 0;

	assert_non_null(x);
	for (s = 0; s < series; s++) {
		mg_changepoint *cps;

		for (i = 0; i < len; i++) {
			switch (kind) {
			case 0: /* ns/op, 3% Gaussian */
				x[i] = 1000 * (1 + 0.03 * gauss());
				break;
			case 1: /* B/op, rare large outliers */
				x[i] = 4096 + (uniform() < 0.05
				                       ? 4096 * uniform()
				                       : 8 * gauss());
				break;
			default: /* allocs/op that flips between 3 and 4 */
				x[i] = uniform() < 0.2 ? 4 : 3;
				break;
			}
		}
		cps = detect(&n, x, len, o);
		fp += n > 0;
		mg_changepoint_free(cps);
	}
	free(x);
	return fp;
}

static void test_noise_only(void **state)
{
	static const char *kinds[] = {"gaussian 3%", "outliers",
	                              "discrete 3/4"};
	mg_changepoint_opts o;
	size_t k, fp;

	(void)state;
	mg_changepoint_opts_default(&o);
	test_rng = 99;
	for (k = 0; k < NELEM(kinds); k++) {
		fp = false_positives((int)k, 200, 50, &o);
		print_message("noise only (%s): %zu of 200 series with a "
		              "change point at alpha %.2f\n",
		              kinds[k], fp, o.alpha);
		assert_true(fp <= 4);
	}
	/* At alpha 0.05, Binomial(200, 0.05) > 18 has probability 3%. */
	o.alpha = 0.05;
	fp = false_positives(0, 200, 50, &o);
	print_message("noise only (gaussian 3%%): %zu of 200 at alpha "
	              "0.05\n",
	              fp);
	assert_true(fp <= 18);
}

static void test_constant_and_short(void **state)
{
	mg_changepoint_opts o;
	mg_changepoint *cps = NULL;
	double x[100];
	size_t n = 99;

	(void)state;
	fill(x, 0, 100, 7);
	cps = detect(&n, x, 100, NULL);
	assert_int_equal(n, 0);
	assert_null(cps);
	/* 5 points: not analysed, even with a step and a lax alpha. */
	mg_changepoint_opts_default(&o);
	o.alpha = 0.9;
	fill(x, 0, 2, 1);
	fill(x, 2, 5, 2);
	cps = detect(&n, x, 5, &o);
	assert_int_equal(n, 0);
	cps = detect(&n, x, 0, &o);
	assert_int_equal(n, 0);
	/* 6 points at alpha 0.9: analysed */
	fill(x, 0, 3, 1);
	fill(x, 3, 6, 2);
	cps = detect(&n, x, 6, &o);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 3);
	mg_changepoint_free(cps);
}

static void test_bad_input(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_changepoint_opts o;
	mg_changepoint *cps = (mg_changepoint *)&err; /* must stay */
	double x[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	double *big;
	size_t n = 42, m;
	double q;

	(void)state;
	x[3] = NAN;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, NULL, &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg, "point 3: value is NaN, not a number");
	assert_true(cps == (mg_changepoint *)&err && n == 42);
	x[3] = -INFINITY;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, NULL, &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg,
	                    "point 3: value is infinite, not a number");
	assert_int_equal(mg_changepoint_best_split(&m, &q, x, 10, 2, &err),
	                 MG_EINPUT);
	x[3] = 4;
	assert_int_equal(mg_changepoint_best_split(&m, &q, x, 10, 1, &err),
	                 MG_EINPUT);

	mg_changepoint_opts_default(&o);
	o.alpha = 0;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);
	o.alpha = 1;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);
	o.alpha = NAN;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);
	mg_changepoint_opts_default(&o);
	o.permutations = 0;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);
	o.permutations = MG_CHANGEPOINT_MAX_PERMUTATIONS + 1;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);
	mg_changepoint_opts_default(&o);
	o.min_segment = 1;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);
	o.min_segment = (size_t)-1; /* 2 * min_segment would wrap */
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);
	assert_int_equal(
	        mg_changepoint_best_split(&m, &q, x, 10, (size_t)-1, &err),
	        MG_EINPUT);
	mg_changepoint_opts_default(&o);
	o.min_change = -0.1;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);
	mg_changepoint_opts_default(&o);
	o.max_found = 0;
	assert_int_equal(mg_changepoint_detect(&cps, &n, x, 10, &o, &err),
	                 MG_EINPUT);

	big = calloc(MG_CHANGEPOINT_MAX_POINTS + 1, sizeof(*big));
	assert_non_null(big);
	assert_int_equal(mg_changepoint_detect(&cps, &n, big,
	                                       MG_CHANGEPOINT_MAX_POINTS + 1,
	                                       NULL, &err),
	                 MG_ELIMIT);
	free(big);
	assert_true(cps == (mg_changepoint *)&err && n == 42);
}

static void test_deterministic(void **state)
{
	mg_changepoint_opts o;
	mg_changepoint *a, *b;
	double x[60];
	size_t na, nb, i;

	(void)state;
	test_rng = 5;
	for (i = 0; i < 60; i++)
		x[i] = (i < 40 ? 50 : 53) + 1.5 * gauss();
	a = detect(&na, x, 60, NULL);
	b = detect(&nb, x, 60, NULL);
	assert_int_equal(na, nb);
	for (i = 0; i < na; i++) {
		assert_int_equal(a[i].index, b[i].index);
		assert_true(a[i].p == b[i].p && a[i].score == b[i].score);
	}
	/* Another seed: other permutations, the same change point. */
	mg_changepoint_opts_default(&o);
	o.seed = 12345;
	mg_changepoint_free(b);
	b = detect(&nb, x, 60, &o);
	assert_int_equal(na, 1);
	assert_int_equal(nb, 1);
	assert_int_equal(a[0].index, 40);
	assert_int_equal(b[0].index, 40);
	mg_changepoint_free(a);
	mg_changepoint_free(b);
}

/*
 * min_change: a 1% step at 20 and a 50% step at 40. Both are significant
 * (zero variance); with min_change 5% the 1% one is merged away and the
 * 50% one's "before" becomes the median of the merged 40 points
 * (20 x 100 and 20 x 101: (100 + 101) / 2).
 */
static void test_min_change(void **state)
{
	mg_changepoint_opts o;
	mg_changepoint *cps;
	double x[60];
	size_t n;

	(void)state;
	fill(x, 0, 20, 100);
	fill(x, 20, 40, 101);
	fill(x, 40, 60, 151.5);
	cps = detect(&n, x, 60, NULL);
	assert_int_equal(n, 2);
	assert_int_equal(cps[0].index, 20);
	assert_int_equal(cps[1].index, 40);
	assert_true(cps[1].before == 101 && cps[1].after == 151.5);
	mg_changepoint_free(cps);

	mg_changepoint_opts_default(&o);
	o.min_change = 0.05;
	cps = detect(&n, x, 60, &o);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 40);
	assert_true(cps[0].before == 100.5 && cps[0].after == 151.5);
	assert_true(fabs(cps[0].change - 51.0 / 100.5) < 1e-15);
	mg_changepoint_free(cps);

	/* max_found 1 keeps the most significant (largest Q) only. */
	mg_changepoint_opts_default(&o);
	o.max_found = 1;
	cps = detect(&n, x, 60, &o);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 40);
	mg_changepoint_free(cps);
}

/* A max_found near SIZE_MAX is clamped to what n allows, not wrapped. */
static void test_max_found_clamped(void **state)
{
	mg_changepoint_opts o;
	mg_changepoint *cps;
	double x[20];
	size_t n;

	(void)state;
	mg_changepoint_opts_default(&o);
	o.max_found = (size_t)-1;
	fill(x, 0, 10, 1);
	fill(x, 10, 20, 2);
	cps = detect(&n, x, 20, &o);
	assert_int_equal(n, 1);
	assert_int_equal(cps[0].index, 10);
	mg_changepoint_free(cps);
}

/* A zero before: the change is infinite, not a division by zero. */
static void test_from_zero(void **state)
{
	mg_changepoint *cps;
	double x[20];
	size_t n;

	(void)state;
	fill(x, 0, 10, 0);
	fill(x, 10, 20, 1);
	cps = detect(&n, x, 20, NULL);
	assert_int_equal(n, 1);
	assert_true(isinf(cps[0].change) && cps[0].change > 0);
	mg_changepoint_free(cps);
}

/*
 * 10 000 points (2% noise, steps of +10% at 3000 and -5% at 7000): the
 * cost the header promises, with the default 999 permutations.
 */
static void test_large(void **state)
{
	enum { N = 10000 };
	struct timespec t0, t1;
	mg_changepoint *cps;
	double *x = calloc(N, sizeof(*x)), secs;
	size_t n, i;

	(void)state;
	assert_non_null(x);
	test_rng = 31;
	for (i = 0; i < N; i++)
		x[i] = (i < 3000   ? 100
		        : i < 7000 ? 110
		                   : 104.5) *
		       (1 + 0.02 * gauss());
	clock_gettime(CLOCK_MONOTONIC, &t0);
	cps = detect(&n, x, N, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_message("10000 points: %zu change points in %.2f s\n", n, secs);
	assert_true(n >= 2);
	for (i = 0; i < n; i++)
		print_message("  at %zu: %.2f -> %.2f p %.3f\n", cps[i].index,
		              cps[i].before, cps[i].after, cps[i].p);
	/* the two injected steps, within a few points */
	assert_true(cps[0].index >= 2990 && cps[0].index <= 3010);
	assert_true(cps[n - 1].index >= 6990 && cps[n - 1].index <= 7010);
	mg_changepoint_free(cps);
	free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_best_split_matches_definition),
	        cmocka_unit_test(test_pvalue_exact_small),
	        cmocka_unit_test(test_single_step),
	        cmocka_unit_test(test_two_steps),
	        cmocka_unit_test(test_noisy_step),
	        cmocka_unit_test(test_zero_variance_allocs),
	        cmocka_unit_test(test_ramp),
	        cmocka_unit_test(test_noise_only),
	        cmocka_unit_test(test_constant_and_short),
	        cmocka_unit_test(test_bad_input),
	        cmocka_unit_test(test_deterministic),
	        cmocka_unit_test(test_min_change),
	        cmocka_unit_test(test_max_found_clamped),
	        cmocka_unit_test(test_from_zero),
	        cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
