/*
 * test_jsoncur.c - mg_jsoncur_skip_numbers(), the cursor's pass over an
 * array of numbers it does not read: where it stops, what it refuses,
 * and that its 16-bytes-at-a-time path (jsonstrict.c, skip_sse2) decides
 * as a plain byte-by-byte scan written here does, on every offset of a
 * block and on random texts.
 */
#include "jsonstrict.h"
#include "mgtest.h"

/*
 * The reference: from text[0] == '[', the offset just past the bracket
 * that closes it, or 0 when it does not close, meets a byte other than
 * brackets, number bytes, ',' and whitespace, or goes deeper than 32.
 */
static size_t reference(const char *t, size_t len)
{
	size_t i, depth = 0;

	for (i = 0; i < len; i++) {
		char ch = t[i];

		if (ch == '[') {
			if (++depth > MG_JSONSTRICT_MAX_DEPTH)
				return 0;
		} else if (ch == ']') {
			if (--depth == 0)
				return i + 1;
		} else if (!strchr("0123456789-+.eE, \n\t\r", ch) || ch == 0) {
			return 0;
		}
	}
	return 0;
}

/* mg_jsoncur_skip_numbers() on text[0..len): the offset it stops at, or 0. */
static size_t skipped_to(const char *t, size_t len)
{
	mg_jsoncur c;
	size_t at = 0;

	mg_jsoncur_init(&c, t, len, 1000);
	if (mg_jsoncur_skip_numbers(&c))
		at = c.pos;
	mg_jsoncur_free(&c);
	return at;
}

static void expect(const char *t, size_t want)
{
	size_t got = skipped_to(t, strlen(t));

	if (got != want)
		fail_msg("'%s': stopped at %zu, want %zu", t, got, want);
}

static void test_cases(void **state)
{
	char deep[2 * MG_JSONSTRICT_MAX_DEPTH + 8];
	int i;

	(void)state;
	expect("[]", 2);
	expect("  [1, -2.5e+3, 0.1E-7]x", 23 - 1);
	expect("[[0,64,100],[1,64,100]],[2]", 23);
	expect("[[0,64,100],[1,64,100]]]", 23);
	expect("[\n\t[1]\r]", 8);
	/* not JSON, yet passed over: the numbers are not read */
	expect("[1..2,,e]", 9);
	/* refused */
	expect("", 0);
	expect("1", 0);
	expect("{}", 0);
	expect("[1,\"2\"]", 0);
	expect("[true]", 0);
	expect("[null]", 0);
	expect("[{}]", 0);
	expect("[1/2]", 0);
	expect("[[1]", 0);
	expect("[1,\x80]", 0);
	assert_int_equal(skipped_to("[1,\0]", 5), 0);
	/* 32 deep is taken, 33 is not */
	for (i = 0; i < MG_JSONSTRICT_MAX_DEPTH; i++) {
		deep[i] = '[';
		deep[MG_JSONSTRICT_MAX_DEPTH + i] = ']';
	}
	deep[2 * MG_JSONSTRICT_MAX_DEPTH] = '\0';
	expect(deep, 2 * MG_JSONSTRICT_MAX_DEPTH);
	memmove(deep + 1, deep, 2 * MG_JSONSTRICT_MAX_DEPTH + 1);
	deep[0] = '[';
	deep[2 * MG_JSONSTRICT_MAX_DEPTH + 1] = ']';
	deep[2 * MG_JSONSTRICT_MAX_DEPTH + 2] = '\0';
	expect(deep, 0);
}

/* t[0..len) as "[" + digits and commas, the rest '5' up to 128 bytes. */
static void numbers(char *t, size_t len)
{
	size_t i;

	memset(t, '5', 128);
	t[0] = '[';
	for (i = 1; i < len; i++)
		t[i] = i % 3 == 0 ? ',' : (char)('0' + i % 10);
}

/*
 * Texts of 128 bytes, so that the 16-byte path sees them all: the closing
 * bracket at each offset up to 63, flat and nested; a byte not allowed
 * at each offset before it (refused) and after it (taken); the depth past
 * 32 at each offset.
 */
static void test_every_offset(void **state)
{
	char t[128];
	size_t end, bad, i;

	(void)state;
	for (end = 2; end < 64; end++) {
		numbers(t, end);
		t[end - 1] = ']';
		assert_int_equal(skipped_to(t, 128), end);
		for (bad = 1; bad < end + 3; bad++) {
			char was = t[bad];

			t[bad] = 'x';
			assert_int_equal(skipped_to(t, 128),
			                 bad < end ? 0 : end);
			assert_int_equal(skipped_to(t, 128), reference(t, 128));
			t[bad] = was;
		}
		/* [[...]] ending at end */
		if (end >= 4) {
			t[1] = '[';
			t[end - 2] = ']';
			assert_int_equal(skipped_to(t, 128), end);
			/* one ']' more inside closes it a byte early */
			if (end >= 5) {
				t[end - 3] = ']';
				assert_int_equal(skipped_to(t, 128), end - 1);
			}
		}
	}
	for (end = 1; end < 64; end++) {
		/* 32 '[' after end - 1 numbers: 33 deep with the first */
		numbers(t, end);
		for (i = 0; i < MG_JSONSTRICT_MAX_DEPTH; i++)
			t[end + i] = '[';
		assert_int_equal(skipped_to(t, 128), 0);
		t[end + MG_JSONSTRICT_MAX_DEPTH - 1] = '1';
		for (i = 0; i < MG_JSONSTRICT_MAX_DEPTH; i++)
			t[end + MG_JSONSTRICT_MAX_DEPTH - 1 + i] = ']';
		assert_int_equal(skipped_to(t, 128),
		                 end + 2 * MG_JSONSTRICT_MAX_DEPTH - 1);
	}
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * 20,000 random texts of 1 to 200 bytes: a walk of brackets that stays
 * open until a random end (and sometimes goes past 32 deep), numbers and
 * separators between, and now and then any byte at all.
 */
static void test_random_texts(void **state)
{
	static const char alpha[] = "[[]]0123456789,,,-+.eE \n";
	char t[256];
	int k;

	(void)state;
	for (k = 0; k < 20000; k++) {
		size_t len = 1 + next() % 200, end = 1 + next() % len, i;
		size_t depth = 1;

		t[0] = '[';
		for (i = 1; i < len; i++) {
			uint64_t r = next();
			char ch = alpha[(r >> 8) % (sizeof(alpha) - 1)];

			if (ch == ']' && depth == 1 && i + 1 < end)
				ch = '7';
			if (r % 400 == 0)
				ch = (char)(r >> 16);
			depth += ch == '[';
			depth -= ch == ']' && depth > 0;
			t[i] = ch;
		}
		if (skipped_to(t, len) != reference(t, len))
			fail_msg("text %d (%zu bytes): %zu, want %zu", k, len,
			         skipped_to(t, len), reference(t, len));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_cases),
	        cmocka_unit_test(test_every_offset),
	        cmocka_unit_test(test_random_texts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
