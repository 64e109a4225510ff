#!/usr/bin/env python3
"""stats_ref.py - independent reference values for tests/unit/test_stats.c.

Plain Python 3 (no scipy), written from the definitions rather than from
lib/stats.c:

  * exact Mann-Whitney p-values by brute force: every one of the C(N, nx)
    ways to give nx of the N pooled positions to the first sample is
    enumerated and its U (rank sum with mid-ranks minus nx(nx+1)/2) counted;
    the p-value rule is benchstat's (p = 2 P(U' <= min(U1, U2)), 1 when
    U1 == U2, exact when no ties and n <= 50 or ties and n <= 25);
  * the normal approximation from its textbook formula (tie correction
    sum(t^3 - t), continuity correction 1/2) with math.erfc;
  * median confidence intervals with exact fractions for the binomial
    (n <= 30) and statistics.NormalDist (Wichura's AS241, not Acklam's
    method used in C) for the normal approximation;
  * Hodges-Lehmann shifts from all pairwise differences, the critical value
    from the brute-force U distribution;
  * Benjamini-Hochberg from its O(m^2) definition; geometric means with
    math.fsum.

Usage:
  python3 stats_ref.py > stats_ref.h && clang-format -i stats_ref.h
                                  regenerate the C header
  python3 stats_ref.py --check H  exit 1 unless H holds what would be printed
                                  (white space aside)

test_stats.c embeds stats_ref.h and also runs --check, so the embedded
numbers are reproducible from this script.
"""

import itertools
import math
import re
import sys
from fractions import Fraction
from statistics import NormalDist

EXACT_LIMIT = 50
EXACT_TIES_LIMIT = 25


# ---------------------------------------------------------------- U test


def midranks2(pooled):
    """Twice the mid-rank of each value of the sorted pooled sample."""
    out = []
    i = 0
    n = len(pooled)
    while i < n:
        j = i
        while j < n and pooled[j] == pooled[i]:
            j += 1
        # positions i..j-1 (ranks i+1..j) share (i+1+j)/2
        out.extend([i + 1 + j] * (j - i))
        i = j
    return out


def tie_groups(pooled):
    groups = []
    for _, g in itertools.groupby(pooled):
        groups.append(len(list(g)))
    return groups


def u_of(x, y):
    """U of x: pairs with x > y plus half the ties (direct count)."""
    u = Fraction(0)
    for a in x:
        for b in y:
            if a > b:
                u += 1
            elif a == b:
                u += Fraction(1, 2)
    return u


def brute_u_distribution(pooled, nx):
    """Counts of 2U for every assignment of nx pooled positions to x."""
    r2 = midranks2(pooled)
    counts = {}
    base2 = nx * (nx + 1)
    for combo in itertools.combinations(range(len(pooled)), nx):
        twou = sum(r2[i] for i in combo) - base2
        counts[twou] = counts.get(twou, 0) + 1
    return counts


def mannwhitney(x, y):
    """(p, U1, status, exact) as benchstat computes them."""
    nx, ny = len(x), len(y)
    pooled = sorted(x + y)
    groups = tie_groups(pooled)
    has_ties = any(g > 1 for g in groups)
    u1 = u_of(x, y)
    u2 = nx * ny - u1
    usmall = min(u1, u2)
    if has_ties:
        exact = nx <= EXACT_TIES_LIMIT and ny <= EXACT_TIES_LIMIT
    else:
        exact = nx <= EXACT_LIMIT and ny <= EXACT_LIMIT
    if len(groups) == 1:
        return 1.0, float(u1), 1, False
    if exact:
        if u1 == u2:
            return 1.0, float(u1), 0, True
        counts = brute_u_distribution(pooled, nx)
        total = math.comb(nx + ny, nx)
        le = sum(c for v, c in counts.items() if v <= 2 * usmall)
        return float(Fraction(2 * le, total)), float(u1), 0, True
    big_n = nx + ny
    t = sum(g ** 3 - g for g in groups)
    mu = nx * ny / 2
    sigma = math.sqrt(nx * ny * ((big_n + 1) - t / (big_n * (big_n - 1))) / 12)
    numer = float(u1) - mu
    if numer > 0:
        numer -= 0.5
    elif numer < 0:
        numer += 0.5
    z = numer / sigma
    lower = 0.5 * math.erfc(-z / math.sqrt(2))
    upper = 0.5 * math.erfc(z / math.sqrt(2))
    return 2 * min(lower, upper), float(u1), 0, False


def min_p(nx, ny):
    """Smallest p: both sides constant and fully separated.

    Brute force where the enumeration is small; otherwise, in the exact
    range, the closed form: U' <= 0 needs x to hold every value of the
    lower tie group, one assignment out of C(nx + ny, nx).
    """
    if math.comb(nx + ny, nx) <= 200000 or nx > EXACT_TIES_LIMIT or \
            ny > EXACT_TIES_LIMIT:
        return mannwhitney([-1.0] * nx, [1.0] * ny)[0]
    return 2 / math.comb(nx + ny, nx)


# ---------------------------------------------------------------- medians


def quantile_r8(sorted_x, q):
    """Hyndman & Fan R8 in exact arithmetic."""
    n = len(sorted_x)
    q = Fraction(q)
    if q <= 0:
        return sorted_x[0]
    if q >= 1:
        return sorted_x[-1]
    h = Fraction(1, 3) + q * (n + Fraction(1, 3))
    k = math.floor(h)
    frac = h - k
    if k <= 0:
        return sorted_x[0]
    if k >= n:
        return sorted_x[-1]
    a = Fraction(sorted_x[k - 1])
    b = Fraction(sorted_x[k])
    return float(a + frac * (b - a))


def median_ci_orders(n, confidence):
    """(lo_order, hi_order, achieved confidence) of the median's interval."""
    conf = Fraction(confidence)
    if confidence >= 1:
        return 0, n + 1, 1.0
    if n <= 30:
        def pmf(k):
            if k < 0 or k > n:
                return Fraction(0)
            return Fraction(math.comb(n, k), 2 ** n)

        x = math.ceil(Fraction(n + 1, 2)) - 1
        acc = pmf(x)
        lo, hi = x, x + 1
        while acc < conf and (pmf(lo - 1) > 0 or pmf(hi) > 0):
            if pmf(lo - 1) >= pmf(hi):
                acc += pmf(lo - 1)
                lo -= 1
            else:
                acc += pmf(hi)
                hi += 1
        lo = max(lo, 0)
        hi = min(hi, n + 1)
        return lo, hi, float(acc)
    nd = NormalDist(n * 0.5, math.sqrt(n * 0.25))
    l1 = nd.inv_cdf((1 - confidence) / 2)
    r1 = 2 * nd.mean - l1
    lo = math.floor(l1 - 0.5) + 1
    hi = math.ceil(r1 - 0.5) + 1

    def band(a, b):
        return nd.cdf(b - 0.5) - nd.cdf(a - 0.5)

    got = band(lo, hi)
    if band(lo, hi - 1) >= confidence and band(lo, hi - 1) < got:
        got = band(lo, hi - 1)
        hi -= 1
    if lo <= 0 and hi >= n + 1:
        got = 1.0
    return max(lo, 0), min(hi, n + 1), got


def summary(x, confidence):
    s = sorted(x)
    n = len(s)
    lo_o, hi_o, got = median_ci_orders(n, confidence)
    lo = s[lo_o - 1] if lo_o >= 1 else -math.inf
    hi = s[hi_o - 1] if hi_o <= n else math.inf
    return quantile_r8(s, 0.5), lo, hi, got


# ---------------------------------------------------------------- HL


def u_distribution_noties(m, n):
    counts = brute_u_distribution(list(range(m + n)), m)
    return {v // 2: c for v, c in counts.items()}, math.comb(m + n, m)


def hodges_lehmann(x, y, confidence):
    d = sorted(b - a for a in x for b in y)
    nd = len(d)
    if nd % 2:
        shift = d[nd // 2]
    else:
        shift = (d[nd // 2 - 1] + d[nd // 2]) / 2
    tail = Fraction(1 - Fraction(confidence)) / 2
    m, n = len(x), len(y)
    if m <= EXACT_LIMIT and n <= EXACT_LIMIT:
        counts, total = u_distribution_noties(m, n)
        c = 0
        acc = Fraction(0)
        while acc + Fraction(counts.get(c, 0), total) <= tail:
            acc += Fraction(counts.get(c, 0), total)
            c += 1
        achieved = 1 - 2 * acc
    else:
        sigma = math.sqrt(m * n * (m + n + 1) / 12)
        z = NormalDist().inv_cdf(float(tail))
        c = math.floor(m * n / 2 + 0.5 + z * sigma)
        c = max(0, min(c, (m * n) // 2))
        achieved = 1 - 2 * NormalDist(0, sigma).cdf(c - 0.5 - m * n / 2)
    if c < 1:
        return shift, -math.inf, math.inf, 1.0, 0
    return shift, d[c - 1], d[nd - c], float(achieved), 1


# ---------------------------------------------------------------- BH etc.


def bh(ps):
    live = [(p, i) for i, p in enumerate(ps) if not math.isnan(p)]
    m = len(live)
    order = sorted(live)
    rank = {i: r + 1 for r, (_, i) in enumerate(order)}
    out = []
    for p, i in zip(ps, range(len(ps))):
        if math.isnan(p):
            out.append(math.nan)
            continue
        best = min(min(q, 1.0) * m / rank[j] for q, j in live
                   if min(q, 1.0) >= min(p, 1.0))
        out.append(min(best, 1.0))
    return out


def geomean(xs):
    return math.exp(math.fsum(math.log(v) for v in xs) / len(xs))


# ---------------------------------------------------------------- cases

# The gob benchmark of golang.org/x/perf cmd/benchstat/testdata old.txt and
# new.txt (ns/op); benchstat prints p=0.446 for it.
GOB_OLD = [3069, 3075, 3069, 3067, 3207, 3064, 3064, 3058, 3059, 3062]
GOB_NEW = [3075, 3065, 3059, 3065, 3060, 3081, 3186, 3135, 3087, 3062]


def lcg_values(n, seed, scale, tie_mod=None):
    """Deterministic pseudo-random values (a 31-bit LCG)."""
    out = []
    s = seed
    for _ in range(n):
        s = (1103515245 * s + 12345) % (1 << 31)
        v = s / (1 << 31) * scale
        if tie_mod is not None:
            v = float(int(v) % tie_mod)
        out.append(round(v, 3))
    return out


MW_CASES = [
    ("sep5", [1, 2, 3, 4, 5], [6, 7, 8, 9, 10]),
    ("sep6", [1, 2, 3, 4, 5, 6], [7, 8, 9, 10, 11, 12]),
    ("sep10", list(range(1, 11)), list(range(11, 21))),
    ("sep5rev", [16, 17, 18, 19, 20], [1, 2, 3, 4, 5]),
    ("mixed6v5", [1.1, 2.3, 3.7, 4.2, 5.9, 6.4], [2.0, 4.5, 6.9, 7.3, 8.8]),
    ("overlap8", [10.5, 11.2, 9.8, 10.9, 11.6, 10.1, 10.7, 12.0],
     [11.4, 12.3, 11.9, 12.8, 10.6, 12.5, 13.1, 11.7]),
    ("benchmath3v3", [-1, -1, -1], [1, 1, 1]),
    ("benchmath4v4", [1, -1, -1, -1], [-1, 1, 1, 1]),
    ("ties7v6", [1, 2, 2, 3, 3, 3, 5], [2, 3, 4, 4, 5, 6]),
    ("allocs1to2", [1, 1, 1], [2, 2, 2]),
    ("bop_outlier", [1000] * 9 + [5000], [1100] * 10),
    ("gob", GOB_OLD, GOB_NEW),
    ("lopsided1v2", [1], [1, 2]),
    ("normal_ties30", lcg_values(30, 7, 1000, 9), lcg_values(30, 11, 1000, 11)),
    ("normal_noties60", lcg_values(60, 3, 1000), lcg_values(55, 5, 1040)),
    ("equal", [7, 7, 7, 7], [7, 7, 7]),
]

MINP_CASES = [(1, 1), (1, 2), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6), (9, 9),
              (10, 10), (3, 20), (20, 25), (26, 26), (30, 40)]

SUMMARY_CASES = [
    ("n1", [1.0], 0.95),
    ("n2_conf0", [1.0, 2.0], 0.0),
    ("n5", [5.0, 1.0, 4.0, 2.0, 3.0], 0.95),
    ("n6", [-10.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0.95),
    ("n6_99", [-10.0, 2.0, 3.0, 4.0, 5.0, 6.0], 0.99),
    ("n6_conf1", [-10.0, 2.0, 3.0, 4.0, 5.0, 6.0], 1.0),
    ("n10", GOB_OLD, 0.95),
    ("n20", GOB_OLD + GOB_NEW, 0.95),
    ("n31", lcg_values(31, 13, 100), 0.95),
    ("n40", lcg_values(40, 17, 100), 0.95),
    ("n100", lcg_values(100, 19, 100), 0.95),
    ("n57_90", lcg_values(57, 23, 100), 0.90),
]

HL_CASES = [
    ("sep5", [1, 2, 3, 4, 5], [6, 7, 8, 9, 10], 0.95),
    ("noise10", [100.2, 99.1, 101.5, 100.9, 98.7, 100.0, 99.6, 101.1, 100.4,
                 99.9],
     [104.8, 103.9, 106.2, 105.1, 104.4, 103.2, 105.7, 104.9, 106.0, 104.1],
     0.95),
    ("small3v3", [1, 2, 3], [4, 5, 6], 0.95),
    ("mixed6v5", [1.1, 2.3, 3.7, 4.2, 5.9, 6.4], [2.0, 4.5, 6.9, 7.3, 8.8],
     0.90),
    ("big60", lcg_values(60, 29, 100), [v + 7.5 for v in lcg_values(60, 31,
                                                                   100)],
     0.95),
]

BH_CASES = [
    ("classic", [0.01, 0.04, 0.03, 0.005, 0.2, 0.5, 0.04]),
    ("nan", [0.02, math.nan, 0.01, 0.9, math.nan, 0.03]),
    ("over1", [1.3333333333333333, 0.001, 0.5]),
]

GEOMEAN_CASES = [
    ("two", [1718.0, 3065.5]),
    ("spread", [0.5, 2.0, 8.0, 1e6, 3.25]),
]


# ---------------------------------------------------------------- output


def c_double(v):
    if math.isnan(v):
        return "NAN"
    if math.isinf(v):
        return "INFINITY" if v > 0 else "-INFINITY"
    return repr(float(v))


def c_array(name, values):
    body = ", ".join(c_double(v) for v in values)
    return "static const double %s[] = {%s};\n" % (name, body)


def emit():
    out = []
    w = out.append
    w("/*\n * stats_ref.h - reference values for test_stats.c, generated by\n"
      " * tests/unit/stats_ref.py from first principles (brute-force\n"
      " * enumeration, exact fractions, textbook formulas). Do not edit:\n"
      " * run `python3 tests/unit/stats_ref.py > tests/unit/stats_ref.h`\n"
      " * and `clang-format -i tests/unit/stats_ref.h`.\n"
      " */\n\n")

    # sanity: the script agrees with benchstat's own printed numbers
    gob = mannwhitney([float(v) for v in GOB_OLD], [float(v) for v in GOB_NEW])
    assert "%.3f" % gob[0] == "0.446", gob
    assert abs(min_p(5, 5) - 0.007936507936507936) < 1e-15
    assert abs(mannwhitney([1.0, -1, -1, -1], [-1.0, 1, 1, 1])[0] -
               0.4857142857142857) < 1e-15

    w("struct ref_mw {\n\tconst char *name;\n\tconst double *x;\n"
      "\tsize_t nx;\n\tconst double *y;\n\tsize_t ny;\n\tdouble p;\n"
      "\tdouble u;\n\tint status;\n\tint exact;\n};\n\n")
    rows = []
    for name, x, y in MW_CASES:
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        p, u, status, exact = mannwhitney(x, y)
        w(c_array("mw_%s_x" % name, x))
        w(c_array("mw_%s_y" % name, y))
        rows.append('\t{"%s", mw_%s_x, %d, mw_%s_y, %d, %s, %s, %d, %d},\n'
                    % (name, name, len(x), name, len(y), c_double(p),
                       c_double(u), status, int(exact)))
    w("\nstatic const struct ref_mw ref_mw[] = {\n" + "".join(rows) +
      "};\n\n")

    w("struct ref_minp {\n\tsize_t nx;\n\tsize_t ny;\n\tdouble p;\n};\n\n")
    w("static const struct ref_minp ref_minp[] = {\n")
    for nx, ny in MINP_CASES:
        w("\t{%d, %d, %s},\n" % (nx, ny, c_double(min_p(nx, ny))))
    w("};\n\n")

    w("struct ref_summary {\n\tconst char *name;\n\tconst double *x;\n"
      "\tsize_t n;\n\tdouble confidence;\n\tdouble center;\n\tdouble lo;\n"
      "\tdouble hi;\n\tdouble achieved;\n\tlong lo_order;\n"
      "\tlong hi_order;\n};\n\n")
    rows = []
    for name, x, conf in SUMMARY_CASES:
        center, lo, hi, got = summary(x, conf)
        lo_o, hi_o, _ = median_ci_orders(len(x), conf)
        w(c_array("sum_%s_x" % name, x))
        rows.append('\t{"%s", sum_%s_x, %d, %s, %s, %s, %s, %s, %d, %d},\n'
                    % (name, name, len(x), c_double(conf), c_double(center),
                       c_double(lo), c_double(hi), c_double(got), lo_o, hi_o))
    w("\nstatic const struct ref_summary ref_summary[] = {\n" +
      "".join(rows) + "};\n\n")

    w("struct ref_hl {\n\tconst char *name;\n\tconst double *x;\n"
      "\tsize_t nx;\n\tconst double *y;\n\tsize_t ny;\n"
      "\tdouble confidence;\n\tdouble shift;\n\tdouble lo;\n\tdouble hi;\n"
      "\tdouble achieved;\n\tint ci_ok;\n};\n\n")
    rows = []
    for name, x, y, conf in HL_CASES:
        x = [float(v) for v in x]
        y = [float(v) for v in y]
        shift, lo, hi, got, ok = hodges_lehmann(x, y, conf)
        w(c_array("hl_%s_x" % name, x))
        w(c_array("hl_%s_y" % name, y))
        rows.append('\t{"%s", hl_%s_x, %d, hl_%s_y, %d, %s, %s, %s, %s, '
                    '%s, %d},\n'
                    % (name, name, len(x), name, len(y), c_double(conf),
                       c_double(shift), c_double(lo), c_double(hi),
                       c_double(got), ok))
    w("\nstatic const struct ref_hl ref_hl[] = {\n" + "".join(rows) +
      "};\n\n")

    w("struct ref_vec {\n\tconst char *name;\n\tconst double *in;\n"
      "\tconst double *out;\n\tsize_t n;\n};\n\n")
    rows = []
    for name, ps in BH_CASES:
        w(c_array("bh_%s_in" % name, ps))
        w(c_array("bh_%s_out" % name, bh(ps)))
        rows.append('\t{"%s", bh_%s_in, bh_%s_out, %d},\n'
                    % (name, name, name, len(ps)))
    w("\nstatic const struct ref_vec ref_bh[] = {\n" + "".join(rows) +
      "};\n\n")

    w("struct ref_geo {\n\tconst char *name;\n\tconst double *x;\n"
      "\tsize_t n;\n\tdouble mean;\n};\n\n")
    rows = []
    for name, xs in GEOMEAN_CASES:
        w(c_array("geo_%s_x" % name, xs))
        rows.append('\t{"%s", geo_%s_x, %d, %s},\n'
                    % (name, name, len(xs), c_double(geomean(xs))))
    w("\nstatic const struct ref_geo ref_geo[] = {\n" + "".join(rows) +
      "};\n")
    return "".join(out)


def main(argv):
    text = emit()
    if len(argv) == 3 and argv[1] == "--check":
        with open(argv[2], encoding="utf-8") as f:
            have = f.read()
        # The committed header is clang-formatted: compare tokens, not
        # layout.
        if re.sub(r"\s+", "", have) != re.sub(r"\s+", "", text):
            sys.stderr.write("stats_ref: %s differs from the script's "
                             "output\n" % argv[2])
            return 1
        return 0
    if len(argv) != 1:
        sys.stderr.write("usage: stats_ref.py [--check stats_ref.h]\n")
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
