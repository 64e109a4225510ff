/*
 * test_numfmt.c - the shared number formatter gives byte for byte the
 * text of the plain %.15g..%.17g search (its fast paths for integers and
 * short decimals included), and that text reads back as the same bits.
 */
#include <math.h>

#include "mgtest.h"
#include "numfmt.h"

/* The reference: the shortest of %.15g, %.16g, %.17g that reads back. */
static void reference(char out[MG_NUMFMT_MAX], double v)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(out, MG_NUMFMT_MAX, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
	snprintf(out, MG_NUMFMT_MAX, "%.17g", v);
}

static void same_as_reference(double v)
{
	char got[MG_NUMFMT_MAX], want[MG_NUMFMT_MAX];
	size_t n = mg_numfmt_double(got, v);
	double back = strtod(got, NULL);

	reference(want, v);
	if (strcmp(got, want) != 0 || n != strlen(want))
		fail_msg("%a: got '%s', want '%s'", v, got, want);
	assert_memory_equal(&back, &v, sizeof(v));
}

static void test_known_texts(void **state)
{
	char out[MG_NUMFMT_MAX];

	(void)state;
	assert_int_equal(mg_numfmt_double(out, 1234), 4);
	assert_string_equal(out, "1234");
	mg_numfmt_double(out, 0.1);
	assert_string_equal(out, "0.1");
	mg_numfmt_double(out, -1234.5);
	assert_string_equal(out, "-1234.5");
	mg_numfmt_double(out, 1.0 / 3);
	assert_string_equal(out, "0.3333333333333333");
	mg_numfmt_double(out, 1e15);
	assert_string_equal(out, "1e+15");
	mg_numfmt_double(out, -0.0);
	assert_string_equal(out, "-0");
	mg_numfmt_double(out, 0.0);
	assert_string_equal(out, "0");
	mg_numfmt_double(out, 0.30000000000000004);
	assert_string_equal(out, "0.30000000000000004");
}

static void test_ints(void **state)
{
	static const int64_t v[] = {
	        0,       7,         -7,        10,
	        1000000, INT64_MAX, INT64_MIN, -9007199254740991LL};
	char buf[24], want[32], *p;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		p = mg_numfmt_int(buf, v[i]);
		snprintf(want, sizeof(want), "%lld", (long long)v[i]);
		assert_int_equal((size_t)(buf + 24 - p), strlen(want));
		assert_memory_equal(p, want, strlen(want));
	}
}

/* Integers, decimals of up to 5 places around every magnitude, random. */
static void test_matches_reference(void **state)
{
	static const double scale[] = {1, 10, 100, 1000, 10000, 100000};
	uint64_t x = 0x2545f4914f6cdd1dULL;
	int i, k, e;

	(void)state;
	for (e = -6; e <= 16; e++)
		for (i = -3; i <= 3; i++) {
			same_as_reference(pow(10, e) + i);
			same_as_reference(-pow(10, e) + i);
		}
	for (k = 0; k < 6; k++)
		for (i = -20000; i <= 20000; i += 7) {
			same_as_reference(i / scale[k]);
			same_as_reference((i * 1000003.0) / scale[k]);
		}
	for (i = 0; i < 200000; i++) {
		double d;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(&d, &x, sizeof(d));
		if (isfinite(d))
			same_as_reference(d);
		/* and a decimal with few digits of random size */
		same_as_reference((double)(int64_t)(x % 2000000000000000ULL) /
		                  scale[x % 6]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_known_texts),
	        cmocka_unit_test(test_ints),
	        cmocka_unit_test(test_matches_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
