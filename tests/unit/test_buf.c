/*
 * test_buf.c - mg_buf limits and ownership, mg_slice helpers, mg_err
 * formatting and truncation.
 */
#include "mgtest.h"

static void test_append_and_limit(void **state)
{
	mg_buf b = MG_BUF_INIT(10);
	char *p;

	(void)state;
	assert_non_null(b.ptr);
	assert_string_equal(b.ptr, "");
	assert_int_equal(mg_buf_puts(&b, "hello"), 0);
	assert_int_equal(mg_buf_printf(&b, "-%d", 42), 0);
	assert_string_equal(b.ptr, "hello-42");
	assert_int_equal(b.len, 8);
	/* 8 + 3 > 10: refused, contents unchanged. */
	assert_int_equal(mg_buf_puts(&b, "abc"), MG_ELIMIT);
	assert_string_equal(b.ptr, "hello-42");
	assert_int_equal(mg_buf_putc(&b, '!'), 0);
	assert_int_equal(mg_buf_putc(&b, '!'), 0);
	assert_int_equal(mg_buf_putc(&b, '!'), MG_ELIMIT);
	assert_int_equal(b.len, 10);
	/* Growth never allocates beyond max + 1. */
	assert_true(b.cap <= 11);
	mg_buf_truncate(&b, 5);
	assert_string_equal(b.ptr, "hello");
	p = mg_buf_detach(&b);
	assert_string_equal(p, "hello");
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	free(p);
	mg_buf_release(&b);
}

/* A limit lowered below the room already allocated still holds. */
static void test_lowered_limit(void **state)
{
	mg_buf b = MG_BUF_INIT(100);

	(void)state;
	assert_int_equal(mg_buf_puts(&b, "he"), 0);
	assert_true(b.cap > 5);
	b.max = 4;
	assert_int_equal(mg_buf_putc(&b, 'a'), 0);
	assert_int_equal(mg_buf_put(&b, "bc", 2), MG_ELIMIT);
	assert_int_equal(mg_buf_put(&b, "b", 1), 0);
	assert_int_equal(mg_buf_putc(&b, 'c'), MG_ELIMIT);
	assert_int_equal(mg_buf_puts(&b, "c"), MG_ELIMIT);
	assert_string_equal(b.ptr, "heab");
	assert_int_equal(b.len, 4);
	mg_buf_release(&b);
}

static void test_large_growth(void **state)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t i;

	(void)state;
	for (i = 0; i < 100000; i++)
		assert_int_equal(mg_buf_putc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 100000);
	assert_int_equal(b.ptr[99999], 'a' + 99999 % 26);
	assert_int_equal(b.ptr[100000], '\0');
	mg_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.ptr, "");
	mg_buf_release(&b);
	/* detach of a never-grown buffer gives a real empty string */
	{
		char *p = mg_buf_detach(&b);
		assert_string_equal(p, "");
		free(p);
	}
}

/*
 * mg_array_grow: room for element n, the capacity doubling from 16 past
 * n; the elements already there kept; a size that cannot be allocated
 * refused with the array and its capacity untouched.
 */
static void test_array_grow(void **state)
{
	int *v = NULL;
	size_t cap = 0, i;

	(void)state;
	assert_int_equal(mg_array_grow((void **)&v, &cap, 0, sizeof(*v)), 0);
	assert_int_equal(cap, 16);
	for (i = 0; i < 16; i++)
		v[i] = (int)i;
	/* room already there: nothing moves */
	assert_int_equal(mg_array_grow((void **)&v, &cap, 15, sizeof(*v)), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(mg_array_grow((void **)&v, &cap, 16, sizeof(*v)), 0);
	assert_int_equal(cap, 32);
	/* far past the end: doubled as often as it takes */
	assert_int_equal(mg_array_grow((void **)&v, &cap, 100, sizeof(*v)), 0);
	assert_int_equal(cap, 128);
	v[100] = 7;
	for (i = 0; i < 16; i++)
		assert_int_equal(v[i], (int)i);
	/* 2^61 elements of 64 bytes: the size would wrap to 0 */
	assert_int_equal(mg_array_grow((void **)&v, &cap, SIZE_MAX / 8, 64),
	                 MG_ENOMEM);
	assert_int_equal(cap, 128);
	assert_int_equal(v[100], 7);
	free(v);
}

static void test_slices(void **state)
{
	mg_slice s = mg_slice_trim(mg_slice_from("  \tkey: value \r\n"));
	char *d;

	(void)state;
	assert_int_equal(s.len, 10);
	assert_true(mg_slice_has_prefix(s, "key:"));
	assert_false(mg_slice_has_prefix(s, "value"));
	assert_false(mg_slice_eq(s, "key"));
	d = mg_slice_dup(s);
	assert_string_equal(d, "key: value");
	free(d);
	assert_true(mg_slice_eq(mg_slice_trim(mg_slice_from("   ")), ""));
}

static void test_err(void **state)
{
	mg_err err = MG_ERR_INIT;
	char big[600];

	(void)state;
	assert_int_equal(mg_err_set(&err, MG_EINPUT, "field '%s': bad", "x"),
	                 MG_EINPUT);
	assert_string_equal(err.msg, "field 'x': bad");
	mg_err_prefix(&err, "bench.txt:%d", 42);
	assert_string_equal(err.msg, "bench.txt:42: field 'x': bad");
	assert_string_equal(mg_err_name(MG_EINPUT), "input");
	assert_string_equal(mg_err_name(MG_EDB), "database");
	/* Overlong messages are cut and marked, never overflow. */
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mg_err_set(&err, MG_EIO, "%s", big);
	assert_int_equal(strlen(err.msg), MG_ERR_MSG_MAX - 1);
	assert_string_equal(err.msg + MG_ERR_MSG_MAX - 4, "...");
	/* A NULL err is allowed and still returns the code. */
	assert_int_equal(mg_err_set(NULL, MG_ENET, "x"), MG_ENET);
	mg_err_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_append_and_limit),
	        cmocka_unit_test(test_lowered_limit),
	        cmocka_unit_test(test_large_growth),
	        cmocka_unit_test(test_array_grow),
	        cmocka_unit_test(test_slices),
	        cmocka_unit_test(test_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
