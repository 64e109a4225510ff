/*
 * test_intern.c - the interned-string set (lib/intern.c): numbering in
 * order of first insertion, keys with NUL bytes, growth past several
 * rehashes, and truncation back to an earlier count.
 */
#include "intern.h"
#include "mgtest.h"

/* Key i: "k<i>", a NUL, then i's low byte, so keys hold a NUL. */
static size_t key(char *out, size_t i)
{
	int n = snprintf(out, 32, "k%zu", i);

	out[n] = '\0';
	out[n + 1] = (char)(i & 0xff);
	return (size_t)n + 2;
}

static void test_numbers_and_truncate(void **state)
{
	mg_intern in;
	char k[32];
	size_t i, idx, len;
	bool added;

	(void)state;
	memset(&in, 0, sizeof(in));
	for (i = 0; i < 1000; i++) {
		len = key(k, i);
		assert_int_equal(mg_intern_get(&in, k, len, true, &idx, &added),
		                 0);
		assert_true(added);
		assert_int_equal(idx, i);
	}
	/* again: found, not added, same numbers */
	for (i = 0; i < 1000; i++) {
		len = key(k, i);
		assert_int_equal(mg_intern_get(&in, k, len, true, &idx, &added),
		                 0);
		assert_false(added);
		assert_int_equal(idx, i);
	}
	/* the bytes after the NUL count */
	len = key(k, 7);
	k[len - 1] ^= 0x55;
	assert_int_equal(mg_intern_get(&in, k, len, false, &idx, NULL),
	                 MG_ENOTFOUND);

	mg_intern_truncate(&in, 300);
	assert_int_equal(in.n, 300);
	for (i = 0; i < 1000; i++) {
		len = key(k, i);
		assert_int_equal(mg_intern_get(&in, k, len, false, &idx, NULL),
		                 i < 300 ? 0 : MG_ENOTFOUND);
		if (i < 300)
			assert_int_equal(idx, i);
	}
	/* a forgotten key comes back with the next number */
	len = key(k, 900);
	assert_int_equal(mg_intern_get(&in, k, len, true, &idx, &added), 0);
	assert_true(added);
	assert_int_equal(idx, 300);
	/* truncating to more than there is changes nothing */
	mg_intern_truncate(&in, 5000);
	assert_int_equal(in.n, 301);
	mg_intern_truncate(&in, 0);
	len = key(k, 0);
	assert_int_equal(mg_intern_get(&in, k, len, false, &idx, NULL),
	                 MG_ENOTFOUND);
	mg_intern_release(&in);
	assert_int_equal(in.n, 0);
	assert_null(in.keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_numbers_and_truncate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
