/*
 * test_histchunk.c - the text of a history chunk: the exact text written,
 * appending to a chunk's text, values back bit for bit, and each refusal
 * of the reader with its message.
 */
#include <math.h>

#include "histchunk.h"
#include "mgtest.h"

static void add(mg_buf *b, int64_t t, int64_t id, int64_t n, double median,
                double min, double max)
{
	mg_histchunk_point p = {t, id, n, median, min, max};
	mg_err err = MG_ERR_INIT;

	assert_int_equal(mg_histchunk_add(b, &p, &err), 0);
}

static void test_text(void **state)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_histchunk_point v[MG_HISTCHUNK_MAX];
	mg_err err = MG_ERR_INIT;
	size_t n;

	(void)state;
	add(&b, 1600000000, 7, 10, 1234.5, 1200, 1300.25);
	add(&b, 1600000060, 9, 3, 0.1 + 0.2, -0.0, 1e300);
	assert_int_equal(mg_histchunk_end(&b, &err), 0);
	assert_string_equal(b.ptr, "[[1600000000,7,10,1234.5,1200,1300.25],"
	                           "[1600000060,9,3,0.30000000000000004,0,"
	                           "1e+300]]");
	/* appended to: the text without its ']' */
	mg_buf_truncate(&b, b.len - 1);
	add(&b, 1600000060, 10, 1, 5, 5, 5);
	assert_int_equal(mg_histchunk_end(&b, &err), 0);
	assert_int_equal(mg_histchunk_decode(b.ptr, b.len, v, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].commit_time, 1600000000);
	assert_int_equal(v[0].commit_id, 7);
	assert_int_equal(v[0].n, 10);
	assert_true(v[0].median == 1234.5 && v[0].max == 1300.25);
	assert_true(v[1].median == 0.1 + 0.2);
	assert_false(signbit(v[1].min));
	assert_true(v[1].max == 1e300);
	assert_int_equal(v[2].commit_id, 10);
	assert_true(mg_histchunk_cmp(&v[1], &v[2]) < 0);
	assert_true(mg_histchunk_cmp(&v[2], &v[1]) > 0);
	assert_int_equal(mg_histchunk_cmp(&v[2], &v[2]), 0);
	mg_buf_release(&b);
}

/* Random bit patterns (finite), 16 to a chunk: back bit for bit. */
static void test_round_trip(void **state)
{
	mg_histchunk_point in[MG_HISTCHUNK_MAX], out[MG_HISTCHUNK_MAX];
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	uint64_t x = 0x2545f4914f6cdd1dULL;
	size_t n, i, k;

	(void)state;
	for (k = 0; k < 300; k++) {
		mg_buf_reset(&b);
		for (i = 0; i < MG_HISTCHUNK_MAX; i++) {
			double d[3];
			int j;

			for (j = 0; j < 3; j++)
				do {
					x ^= x << 13;
					x ^= x >> 7;
					x ^= x << 17;
					memcpy(&d[j], &x, sizeof(d[j]));
				} while (!isfinite(d[j]) || d[j] == 0);
			in[i] = (mg_histchunk_point){(int64_t)(x >> 40) -
			                                     (1 << 20),
			                             (int64_t)i + 1,
			                             (int64_t)(x % 1000) + 1,
			                             d[0],
			                             d[1],
			                             d[2]};
			in[i].commit_time = (int64_t)k * 100 + (int64_t)i;
			assert_int_equal(mg_histchunk_add(&b, &in[i], &err), 0);
		}
		assert_int_equal(mg_histchunk_end(&b, &err), 0);
		assert_int_equal(
		        mg_histchunk_decode(b.ptr, b.len, out, &n, &err), 0);
		assert_int_equal(n, MG_HISTCHUNK_MAX);
		for (i = 0; i < n; i++) {
			assert_int_equal(out[i].commit_time, in[i].commit_time);
			assert_int_equal(out[i].commit_id, in[i].commit_id);
			assert_int_equal(out[i].n, in[i].n);
			assert_memory_equal(&out[i].median, &in[i].median, 8);
			assert_memory_equal(&out[i].min, &in[i].min, 8);
			assert_memory_equal(&out[i].max, &in[i].max, 8);
		}
	}
	mg_buf_release(&b);
}

static void refused(const char *text, const char *msg)
{
	mg_histchunk_point v[MG_HISTCHUNK_MAX];
	mg_err err = MG_ERR_INIT;
	size_t n = 9;

	assert_int_equal(mg_histchunk_decode(text, strlen(text), v, &n, &err),
	                 MG_EINPUT);
	assert_int_equal(n, 0);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("'%s': got '%s', want '%s'", text, err.msg, msg);
}

static void test_refusals(void **state)
{
	mg_histchunk_point p = {1, 1, 1, INFINITY, 0, 0};
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	int i;

	(void)state;
	refused("", "history chunk: invalid JSON");
	refused("[[1,2,3,4,5,6]", "history chunk: invalid JSON at line 1");
	refused("{}", "history chunk: not an array");
	refused("[]", "history chunk: empty");
	refused("[[1,2,3,4,5]]", "element 0: expected [commit_time, "
	                         "commit_id, n, median, min, max]");
	refused("[[1,2,3,4,5,6,7]]", "element 0: expected");
	refused("[[1,2,3,4,5,\"6\"]]", "element 0: expected");
	refused("[[1,0,3,4,5,6]]", "element 0: expected");
	refused("[[1,2,0,4,5,6]]", "element 0: expected");
	refused("[[1.5,2,3,4,5,6]]", "element 0: expected");
	refused("[[1,2,3,4,5,1e999]]", "element 0: expected");
	refused("[[1,9007199254740992,3,4,5,6]]", "element 0: expected");
	refused("[[1,2,3,4,5,6],[1,2,3,4,5,6]]",
	        "element 1: commit (1, 2) not after (1, 2)");
	refused("[[2,1,3,4,5,6],[1,2,3,4,5,6]]",
	        "element 1: commit (1, 2) not after (2, 1)");
	/* one more than a chunk holds */
	mg_buf_reset(&b);
	for (i = 0; i <= MG_HISTCHUNK_MAX; i++)
		add(&b, i, 1, 1, 1, 1, 1);
	assert_int_equal(mg_histchunk_end(&b, &err), 0);
	refused(b.ptr, "history chunk: more than 16 points");
	/* the writer refuses what the reader would */
	assert_int_equal(mg_histchunk_add(&b, &p, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "history point of commit 1"));
	p.median = 1;
	p.commit_id = 0;
	assert_int_equal(mg_histchunk_add(&b, &p, &err), MG_EINPUT);
	mg_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_text),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
