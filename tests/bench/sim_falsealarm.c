/*
 * sim_falsealarm.c - how often does a comparison raise a false alarm, and
 * how often does it catch a real change? Simulated Go benchmark results
 * go through the same lib/stats.c entry points `memgate compare` uses.
 *
 * Model, per comparison (fresh benchmarks each time, fixed seed):
 *   - 200 benchmarks, each reporting ns/op, B/op and allocs/op, n = 10
 *     samples per side;
 *   - ns/op: base log-uniform in [10 ns, 1 ms], multiplicative log-normal
 *     noise with a CV drawn uniformly in [1%, 5%] per benchmark;
 *   - B/op: log-uniform integer in [64, 1 MiB], the same value in every
 *     sample, except that each sample independently, with probability 1%,
 *     carries a one-off cost of +5% .. +300% (GO-FIELD-NOTES: b.N-dependent
 *     one-off costs);
 *   - allocs/op: integer in [0, 200], constant.
 * A/A: base and head drawn from the same benchmarks. A/B: the same, but 10
 * of the 200 benchmarks get an injected change in one unit of the head
 * side: ns/op x1.03, x1.05, x1.10; B/op x1.03, x1.05, x1.10 (rounded to
 * whole bytes); allocs/op +1.
 *
 * Rules compared:
 *   benchstat   p <= 0.05 on the raw U test and the center moved the bad
 *               way (what a reader of benchstat's table would flag);
 *   raw+thr     memgate's rule on raw p-values (no multiple-comparison
 *               control);
 *   BH only     Benjamini-Hochberg over the comparison, no thresholds
 *               (the exact rule still compares constant sides);
 *   memgate     BH-adjusted p + per-unit thresholds + exact comparison of
 *               constant sides (mg_stats_rule_default, the default);
 *   raw+thr5%   raw+thr with a 5% ns/op threshold instead of 10%;
 *   memgate5%   memgate with a 5% ns/op threshold instead of 10%
 *               (the two show what BH adds when thresholds are tight).
 * A false alarm is any regression verdict on a pair with no injected
 * change; the false-alarm rate is per comparison (any of the 600 pairs).
 * Detection counts injected pairs judged a regression.
 *
 * Usage: sim_falsealarm [comparisons-per-scenario [seed]]
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "stats.h"

#define NBENCH 200
#define NSAMPLE 10
#define NUNIT 3
#define NINJECT 10
#define NPAIR (NBENCH * NUNIT)
#define MAX_COMPARISONS 1000000 /* command-line limit, ~a day of CPU */

enum unit { U_NS, U_B, U_ALLOCS };
static const char *const unit_names[NUNIT] = {"ns/op", "B/op", "allocs/op"};

struct scenario {
	const char *name;
	int unit;      /* unit changed, -1 for A/A */
	double factor; /* multiplicative change, or 0 */
	double add;    /* additive change */
};

static const struct scenario scenarios[] = {
        {"A/A (no change)", -1, 0, 0}, {"ns/op +3%", U_NS, 1.03, 0},
        {"ns/op +5%", U_NS, 1.05, 0},  {"ns/op +10%", U_NS, 1.10, 0},
        {"B/op +3%", U_B, 1.03, 0},    {"B/op +5%", U_B, 1.05, 0},
        {"B/op +10%", U_B, 1.10, 0},   {"allocs/op +1", U_ALLOCS, 0, 1},
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

enum rule_kind {
	R_BENCHSTAT,
	R_RAW_THR,
	R_BH_ONLY,
	R_MEMGATE,
	R_RAW_THR5,
	R_MEMGATE5
};
static const char *const rule_names[] = {"benchstat", "raw+thr",   "BH only",
                                         "memgate",   "raw+thr5%", "memgate5%"};
#define NRULE (sizeof(rule_names) / sizeof(rule_names[0]))

struct tally {
	long comparisons;        /* comparisons run */
	long any_false[NRULE];   /* comparisons with a false regression */
	long false_pairs[NRULE]; /* unchanged pairs judged a regression */
	long injected;           /* injected pairs */
	long detected[NRULE];    /* injected pairs judged a regression */
};

/* xoshiro256** (Blackman & Vigna), seeded through splitmix64. */
static uint64_t rng_s[4];

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(void)
{
	uint64_t r = rotl(rng_s[1] * 5, 7) * 9, t = rng_s[1] << 17;

	rng_s[2] ^= rng_s[0];
	rng_s[3] ^= rng_s[1];
	rng_s[1] ^= rng_s[2];
	rng_s[0] ^= rng_s[3];
	rng_s[2] ^= t;
	rng_s[3] = rotl(rng_s[3], 45);
	return r;
}

static void rng_seed(uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		rng_s[i] = z ^ (z >> 31);
	}
}

/* Uniform in [0, 1). */
static double unif(void)
{
	return (double)(rng_next() >> 11) * 0x1.0p-53;
}

static double gauss(void)
{
	double u = unif(), v = unif();

	return sqrt(-2 * log(1 - u)) * cos(2 * M_PI * v);
}

struct bench {
	double ns, cv; /* ns/op median and noise CV */
	double bytes;  /* B/op */
	double allocs; /* allocs/op */
};

static void draw_bench(struct bench *b)
{
	b->ns = exp(log(10) + unif() * (log(1e6) - log(10)));
	b->cv = 0.01 + 0.04 * unif();
	b->bytes = floor(exp(log(64) + unif() * (log(1 << 20) - log(64))));
	b->allocs = floor(unif() * 201);
}

/* One side's samples of one unit; `change` applies the injection. */
static void draw_samples(double *out, const struct bench *b, int unit,
                         const struct scenario *sc, bool change)
{
	double v;
	int i;

	for (i = 0; i < NSAMPLE; i++) {
		switch (unit) {
		case U_NS:
			v = b->ns * (change ? sc->factor : 1);
			out[i] = v * exp(b->cv * gauss());
			break;
		case U_B:
			v = change ? floor(b->bytes * sc->factor + 0.5)
			           : b->bytes;
			if (unif() < 0.01)
				v = floor(v * (1.05 + 2.95 * unif()));
			out[i] = v;
			break;
		default:
			out[i] = b->allocs + (change ? sc->add : 0);
			break;
		}
	}
}

static bool benchstat_flags(const mg_stats_cmp *c, int unit)
{
	mg_stats_rule r;

	mg_stats_rule_default(&r, unit_names[unit]);
	if (c->test.status != MG_STATS_UTEST_OK || c->test.p > 0.05)
		return false;
	if (r.better == MG_STATS_HIGHER_BETTER)
		return c->head.center < c->base.center;
	return c->head.center > c->base.center;
}

static enum mg_stats_verdict judge(const mg_stats_cmp *c, double p, int unit,
                                   enum rule_kind kind)
{
	mg_stats_rule r;

	mg_stats_rule_default(&r, unit_names[unit]);
	if (kind == R_BH_ONLY) {
		r.threshold = 0;
		r.absolute = true;
	} else if ((kind == R_MEMGATE5 || kind == R_RAW_THR5) && unit == U_NS) {
		r.threshold = 0.05;
	}
	return mg_stats_judge(c, p, &r);
}

static int run_comparison(struct tally *t, const struct scenario *sc)
{
	static mg_stats_cmp cmp[NPAIR];
	static double p[NPAIR], adj[NPAIR];
	static struct bench bench[NBENCH];
	static bool injected[NPAIR];
	double base[NSAMPLE], head[NSAMPLE];
	mg_err err = MG_ERR_INIT;
	bool any_false[NRULE] = {false};
	enum mg_stats_verdict v;
	size_t k, rule;
	int i, u, chosen = 0;
	bool reg;

	for (i = 0; i < NBENCH; i++)
		draw_bench(&bench[i]);
	for (k = 0; k < NPAIR; k++)
		injected[k] = false;
	/* Pick NINJECT distinct benchmarks for the change. */
	while (sc->unit >= 0 && chosen < NINJECT) {
		i = (int)(unif() * NBENCH);
		if (injected[i * NUNIT + sc->unit])
			continue;
		injected[i * NUNIT + sc->unit] = true;
		chosen++;
	}
	for (i = 0; i < NBENCH; i++) {
		for (u = 0; u < NUNIT; u++) {
			k = (size_t)(i * NUNIT + u);
			draw_samples(base, &bench[i], u, sc, false);
			draw_samples(head, &bench[i], u, sc, injected[k]);
			if (mg_stats_compare(&cmp[k], base, NSAMPLE, head,
			                     NSAMPLE, MG_STATS_CONFIDENCE,
			                     &err) < 0) {
				fprintf(stderr, "sim_falsealarm: %s\n",
				        err.msg);
				return -1;
			}
			/* Pairs without a test take no part in BH. */
			p[k] = cmp[k].test.status == MG_STATS_UTEST_OK
			               ? cmp[k].test.p
			               : NAN;
		}
	}
	if (mg_stats_bh(adj, p, NPAIR, &err) < 0) {
		fprintf(stderr, "sim_falsealarm: %s\n", err.msg);
		return -1;
	}
	t->comparisons++;
	for (k = 0; k < NPAIR; k++) {
		u = (int)(k % NUNIT);
		if (injected[k])
			t->injected++;
		for (rule = 0; rule < NRULE; rule++) {
			v = MG_STATS_UNCHANGED;
			switch (rule) {
			case R_BENCHSTAT:
				reg = benchstat_flags(&cmp[k], u);
				v = reg ? MG_STATS_REGRESSION : v;
				break;
			case R_RAW_THR:
			case R_RAW_THR5:
				v = judge(&cmp[k], cmp[k].test.p, u,
				          (enum rule_kind)rule);
				break;
			default:
				/* NaN (no test): only the exact rule can
				 * decide, p is not looked at. */
				v = judge(&cmp[k], isnan(adj[k]) ? 1 : adj[k],
				          u, (enum rule_kind)rule);
				break;
			}
			if (injected[k]) {
				if (v == MG_STATS_REGRESSION)
					t->detected[rule]++;
			} else if (v == MG_STATS_REGRESSION) {
				t->false_pairs[rule]++;
				any_false[rule] = true;
			}
		}
	}
	for (rule = 0; rule < NRULE; rule++)
		if (any_false[rule])
			t->any_false[rule]++;
	return 0;
}

static double pct(long a, long b)
{
	return b > 0 ? 100.0 * (double)a / (double)b : 0;
}

int main(int argc, char **argv);

int main(int argc, char **argv)
{
	static struct tally tally[NSCEN];
	unsigned long long seed = 20240501;
	long comparisons = 1000, c;
	mg_stats_rule r;
	char *end;
	size_t s, rule;
	int u;

	if (argc > 1) {
		errno = 0;
		comparisons = strtol(argv[1], &end, 10);
		if (errno != 0 || *end != '\0' || comparisons < 1 ||
		    comparisons > MAX_COMPARISONS) {
			fprintf(stderr,
			        "sim_falsealarm: comparisons: expected 1..%d\n",
			        MAX_COMPARISONS);
			return 2;
		}
	}
	if (argc > 2) {
		errno = 0;
		seed = strtoull(argv[2], &end, 10);
		if (errno != 0 || *end != '\0') {
			fprintf(stderr,
			        "sim_falsealarm: seed: expected a number\n");
			return 2;
		}
	}
	rng_seed(seed);
	for (s = 0; s < NSCEN; s++)
		for (c = 0; c < comparisons; c++)
			if (run_comparison(&tally[s], &scenarios[s]) < 0)
				return 2;

	printf("sim_falsealarm: %d benchmarks x %d units, n = %d per side, %ld "
	       "comparisons per scenario, seed %llu\n",
	       NBENCH, NUNIT, NSAMPLE, comparisons, seed);
	printf("defaults:");
	for (u = 0; u < NUNIT; u++) {
		mg_stats_rule_default(&r, unit_names[u]);
		printf(" %s %s%g%s", unit_names[u], r.absolute ? "abs " : "",
		       r.absolute ? r.threshold : r.threshold * 100,
		       r.absolute ? "" : "%");
	}
	mg_stats_rule_default(&r, "ns/op");
	printf("; alpha %g on BH-adjusted p\n\n", r.alpha);

	printf("false alarms (A/A): comparisons with >= 1 false regression "
	       "among %d pairs\n",
	       NPAIR);
	for (rule = 0; rule < NRULE; rule++)
		printf("  %-11s %6.2f%% (%ld/%ld)   false pairs %.4f%%\n",
		       rule_names[rule],
		       pct(tally[0].any_false[rule], tally[0].comparisons),
		       tally[0].any_false[rule], tally[0].comparisons,
		       pct(tally[0].false_pairs[rule],
		           tally[0].comparisons * NPAIR));

	printf("\ndetection (A/B, %d injected pairs per comparison): "
	       "regressions found\n",
	       NINJECT);
	printf("  %-14s", "change");
	for (rule = 0; rule < NRULE; rule++)
		printf(" %11s", rule_names[rule]);
	printf("\n");
	for (s = 1; s < NSCEN; s++) {
		printf("  %-14s", scenarios[s].name);
		for (rule = 0; rule < NRULE; rule++)
			printf(" %10.2f%%",
			       pct(tally[s].detected[rule], tally[s].injected));
		printf("\n");
	}

	printf("\nfalse alarms during A/B (any false regression among the "
	       "unchanged pairs)\n");
	printf("  %-14s", "change");
	for (rule = 0; rule < NRULE; rule++)
		printf(" %11s", rule_names[rule]);
	printf("\n");
	for (s = 1; s < NSCEN; s++) {
		printf("  %-14s", scenarios[s].name);
		for (rule = 0; rule < NRULE; rule++)
			printf(" %10.2f%%", pct(tally[s].any_false[rule],
			                        tally[s].comparisons));
		printf("\n");
	}
	return 0;
}
