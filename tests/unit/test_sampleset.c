/*
 * test_sampleset.c - the JSON of a sample set: the exact text written
 * (integers as integers, other values as the shortest round-tripping
 * form), values back bit for bit, and each refusal of the reader with
 * its message; and the same for a run's sets in one text.
 */
#include <math.h>

#include "mgtest.h"
#include "sampleset.h"

static void encode(mg_buf *out, const mg_sample *s, size_t n)
{
	const mg_sample *p[8];
	mg_err err = MG_ERR_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = &s[i];
	assert_int_equal(mg_sampleset_encode(out, p, n, &err), 0);
}

static void test_text(void **state)
{
	mg_sample s[] = {{0, "ns/op", 1234, 100, 0},
	                 {0, "ns/op", 0.1, 5, 1},
	                 {0, "ns/op", 1.0 / 3, 5, 2},
	                 {0, "ns/op", -2.5e-300, 5, 7},
	                 {0, "ns/op", 1e15, 9007199254740991LL, 9}};
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);

	(void)state;
	encode(&b, s, 5);
	assert_string_equal(b.ptr, "[[0,1234,100],[1,0.1,5],"
	                           "[2,0.3333333333333333,5],"
	                           "[7,-2.5e-300,5],"
	                           "[9,1e+15,9007199254740991]]");
	mg_buf_release(&b);
}

static void test_round_trip(void **state)
{
	mg_sample s[8];
	mg_sampleset_item *v = NULL;
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	size_t n, i, k;

	(void)state;
	for (k = 0; k < 2000; k++) {
		for (i = 0; i < 8; i++) {
			double d;

			do {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				memcpy(&d, &x, sizeof(d));
			} while (!isfinite(d) || d == 0);
			s[i] = (mg_sample){0, "u", d, (int64_t)(x >> 12),
			                   (int64_t)i};
		}
		encode(&b, s, 8);
		assert_int_equal(
		        mg_sampleset_decode(b.ptr, b.len, &v, &n, &err), 0);
		assert_int_equal(n, 8);
		for (i = 0; i < 8; i++) {
			assert_memory_equal(&v[i].value, &s[i].value,
			                    sizeof(double));
			assert_int_equal(v[i].iterations, s[i].iterations);
			assert_int_equal(v[i].seq, (int64_t)i);
		}
		free(v);
	}
	mg_buf_release(&b);
}

static void refused(const char *text, int code, const char *msg)
{
	mg_sampleset_item *v = (void *)1;
	mg_err err = MG_ERR_INIT;
	size_t n = 9;

	assert_int_equal(mg_sampleset_decode(text, strlen(text), &v, &n, &err),
	                 code);
	assert_null(v);
	assert_int_equal(n, 0);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("'%s': got '%s', want '%s'", text, err.msg, msg);
}

static void test_refusals(void **state)
{
	mg_sample big = {0, "u", 1, MG_SAMPLESET_MAX_INT + 1, 0};
	const mg_sample *p = &big;
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;

	(void)state;
	refused("[]", MG_EINPUT, "sample set: empty");
	refused("{}", MG_EINPUT, "sample set: not an array");
	refused("[[0,1,1],[0,2,1]]", MG_EINPUT,
	        "element 1: seq 0 after 0 (seqs must increase)");
	refused("[[0,1,1],[1,\"2\",1]]", MG_EINPUT,
	        "element 1: expected [seq, value, iterations]");
	refused("[[0,1,1.5]]", MG_EINPUT, "element 0: expected");
	refused("[[0,1,9007199254740992]]", MG_EINPUT, "element 0: expected");
	refused("[[0,1]]", MG_EINPUT, "element 0: expected");
	refused("[[0,1e999,1]]", MG_EINPUT, "element 0: expected");
	refused("[[0,1,1]", MG_EINPUT, "sample set: invalid JSON at line 1");
	refused("", MG_EINPUT, "sample set: invalid JSON");
	/* the writer refuses what the reader could not hold exactly */
	assert_int_equal(mg_sampleset_encode(&b, &p, 1, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "beyond 2^53-1"));
	mg_buf_release(&b);
}

/* ---- a run's sets ------------------------------------------------------ */

static void run_add(mg_buf *b, int64_t id, const char *unit, const char *set)
{
	mg_err err = MG_ERR_INIT;

	assert_int_equal(
	        mg_sampleset_run_add(b, id, unit, set, strlen(set), &err), 0);
}

/*
 * The exact text: entries as added, a unit's " and \ escaped; read back
 * in (benchmark id, unit) order whatever the order in the text, each
 * entry with its own samples.
 */
static void test_run_text(void **state)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_sampleset_run r;
	mg_err err = MG_ERR_INIT;

	(void)state;
	run_add(&b, 9, "ns/op", "[[0,1.5,10]]");
	run_add(&b, 2, "a\"b\\c", "[[3,0.1,7],[4,2,7]]");
	run_add(&b, 2, "B/op", "[[0,64,10]]");
	assert_int_equal(mg_sampleset_run_end(&b, &err), 0);
	assert_string_equal(b.ptr, "[[9,\"ns/op\",[[0,1.5,10]]],"
	                           "[2,\"a\\\"b\\\\c\",[[3,0.1,7],[4,2,7]]],"
	                           "[2,\"B/op\",[[0,64,10]]]]");
	assert_int_equal(mg_sampleset_run_decode(&r, b.ptr, b.len, &err), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.nitems, 4);
	assert_int_equal(r.v[0].bench_id, 2);
	assert_string_equal(r.v[0].unit, "B/op");
	assert_int_equal(r.v[0].n, 1);
	assert_true(r.items[r.v[0].first].value == 64);
	assert_int_equal(r.v[1].bench_id, 2);
	assert_string_equal(r.v[1].unit, "a\"b\\c");
	assert_int_equal(r.v[1].n, 2);
	assert_int_equal(r.items[r.v[1].first].seq, 3);
	assert_true(r.items[r.v[1].first].value == 0.1);
	assert_int_equal(r.items[r.v[1].first + 1].seq, 4);
	assert_int_equal(r.items[r.v[1].first + 1].iterations, 7);
	assert_int_equal(r.v[2].bench_id, 9);
	assert_string_equal(r.v[2].unit, "ns/op");
	assert_true(r.items[r.v[2].first].value == 1.5);
	mg_sampleset_run_free(&r);

	/* no set at all */
	mg_buf_reset(&b);
	assert_int_equal(mg_sampleset_run_end(&b, &err), 0);
	assert_string_equal(b.ptr, "[]");
	assert_int_equal(mg_sampleset_run_decode(&r, b.ptr, b.len, &err), 0);
	assert_int_equal(r.n, 0);
	mg_sampleset_run_free(&r);
	mg_buf_release(&b);
}

/* Refused by both readers (the one-pass reader of every entry). */
static void run_refused(const char *text, int code, const char *msg)
{
	mg_sampleset_run r;
	mg_err err = MG_ERR_INIT, err2 = MG_ERR_INIT;

	assert_int_equal(mg_sampleset_run_decode(&r, text, strlen(text), &err),
	                 code);
	assert_int_equal(r.n, 0);
	if (strstr(err.msg, msg) == NULL)
		fail_msg("'%s': got '%s', want '%s'", text, err.msg, msg);
	mg_sampleset_run_free(&r);
	assert_int_equal(mg_sampleset_run_read(&r, text, strlen(text), NULL,
	                                       NULL, &err2),
	                 code);
	assert_int_equal(r.n, 0);
	assert_string_equal(err2.msg, err.msg);
	mg_sampleset_run_free(&r);
}

static void test_run_refusals(void **state)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;

	(void)state;
	run_refused("{}", MG_EINPUT, "run samples: not an array");
	run_refused("[[1,\"u\",[[0,1,1]]]", MG_EINPUT,
	            "run samples: invalid JSON at line 1");
	run_refused("[[1,\"u\"]]", MG_EINPUT,
	            "run samples: entry 0: expected [benchmark id, unit, "
	            "set]");
	run_refused("[[0,\"u\",[[0,1,1]]]]", MG_EINPUT,
	            "entry 0: expected [benchmark id");
	run_refused("[[1.5,\"u\",[[0,1,1]]]]", MG_EINPUT,
	            "entry 0: expected [benchmark id");
	run_refused("[[1,2,[[0,1,1]]]]", MG_EINPUT,
	            "entry 0: expected [benchmark id");
	run_refused("[[1,\"u\",[[0,1,1]]],[1,\"a b\",[[0,1,1]]]]", MG_EINPUT,
	            "run samples: entry 1: field 'unit': invalid character");
	run_refused("[[1,\"\",[[0,1,1]]]]", MG_EINPUT,
	            "run samples: entry 0: field 'unit': empty");
	run_refused("[[1,\"u\",[]]]", MG_EINPUT,
	            "run samples: entry 0 (benchmark 1, unit 'u'): sample "
	            "set: empty");
	run_refused("[[1,\"u\",{}]]", MG_EINPUT,
	            "entry 0 (benchmark 1, unit 'u'): sample set: not an "
	            "array");
	run_refused("[[1,\"u\",[[0,1,1]]],[3,\"v\",[[0,1,1],[0,2,1]]]]",
	            MG_EINPUT,
	            "entry 1 (benchmark 3, unit 'v'): sample set: element 1: "
	            "seq 0 after 0");
	run_refused("[[1,\"u\",[[0,1,1]]],[1,\"u\",[[1,1,1]]]]", MG_EINPUT,
	            "run samples: benchmark 1, unit 'u' twice");
	/* the writer refuses ids the reader would */
	assert_int_equal(mg_sampleset_run_add(&b, 0, "u", "[[0,1,1]]", 9, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "benchmark id 0"));
	mg_buf_release(&b);
}

/* ---- the one-pass reader ------------------------------------------- */

static bool odd(int64_t bench_id, void *arg)
{
	(*(int *)arg)++;
	return bench_id % 2 == 1;
}

static bool only_1(int64_t bench_id, void *arg)
{
	(void)arg;
	return bench_id == 1;
}

/* r's entries are want's with an id keep() accepts, bit for bit. */
static void same_entries(const mg_sampleset_run *r,
                         const mg_sampleset_run *want,
                         mg_sampleset_keep_fn keep)
{
	size_t i, j = 0, k;
	int calls = 0;

	for (i = 0; i < want->n; i++) {
		const mg_sampleset_entry *w = &want->v[i], *e;

		if (keep && !keep(w->bench_id, &calls))
			continue;
		assert_true(j < r->n);
		e = &r->v[j++];
		assert_int_equal(e->bench_id, w->bench_id);
		assert_string_equal(e->unit, w->unit);
		assert_int_equal(e->n, w->n);
		for (k = 0; k < w->n; k++) {
			const mg_sampleset_item *x = &r->items[e->first + k];
			const mg_sampleset_item *y = &want->items[w->first + k];

			assert_memory_equal(&x->value, &y->value,
			                    sizeof(x->value));
			assert_int_equal(x->seq, y->seq);
			assert_int_equal(x->iterations, y->iterations);
		}
	}
	assert_int_equal(j, r->n);
}

/*
 * A text as the store writes it (ids 1..40, two units, sets of 1 to 5
 * samples, values that need 17 digits, tiny, huge, negative): every entry
 * or those keep() takes, read as mg_sampleset_run_decode() reads them;
 * keep() is asked once per entry. Then texts the one pass does not take
 * (entries out of order, a unit with an escape): the same result through
 * the tree.
 */
static void test_run_read(void **state)
{
	static const double vals[] = {
	        0.1, 0.30000000000000004, -2.5e-300, 1e300, 64, 123456.789};
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       set = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_sampleset_run want, r;
	mg_err err = MG_ERR_INIT;
	int64_t id;
	int calls = 0, u;

	(void)state;
	for (id = 1; id <= 40; id++)
		for (u = 0; u < 2; u++) {
			mg_sample s[5];
			size_t n = 1 + (size_t)(id + u) % 5, i;

			for (i = 0; i < n; i++) {
				s[i].value = vals[(id + (int64_t)i) % 6] *
				             (double)(u + 1);
				s[i].seq = (int64_t)i * 2 + u;
				s[i].iterations = 1000 + id;
			}
			encode(&set, s, n);
			run_add(&b, id, u ? "allocs/op" : "B/op", set.ptr);
		}
	assert_int_equal(mg_sampleset_run_end(&b, &err), 0);
	assert_int_equal(mg_sampleset_run_decode(&want, b.ptr, b.len, &err), 0);
	assert_int_equal(want.n, 80);
	assert_int_equal(
	        mg_sampleset_run_read(&r, b.ptr, b.len, NULL, NULL, &err), 0);
	assert_int_equal(r.n, 80);
	same_entries(&r, &want, NULL);
	mg_sampleset_run_free(&r);
	assert_int_equal(
	        mg_sampleset_run_read(&r, b.ptr, b.len, odd, &calls, &err), 0);
	assert_int_equal(r.n, 40);
	assert_int_equal(calls, 80);
	same_entries(&r, &want, odd);
	mg_sampleset_run_free(&r);
	mg_sampleset_run_free(&want);

	/* not as the store writes: read through the tree, then filtered */
	mg_buf_reset(&b);
	run_add(&b, 9, "ns/op", "[[0,1.5,10]]");
	run_add(&b, 1, "a\"b", "[[3,0.1,7],[4,2,7]]");
	run_add(&b, 1, "B/op", "[[0,64,10]]");
	assert_int_equal(mg_sampleset_run_end(&b, &err), 0);
	assert_int_equal(mg_sampleset_run_decode(&want, b.ptr, b.len, &err), 0);
	assert_int_equal(
	        mg_sampleset_run_read(&r, b.ptr, b.len, NULL, NULL, &err), 0);
	assert_int_equal(r.n, 3);
	same_entries(&r, &want, NULL);
	mg_sampleset_run_free(&r);
	calls = 0;
	assert_int_equal(
	        mg_sampleset_run_read(&r, b.ptr, b.len, odd, &calls, &err), 0);
	assert_int_equal(r.n, 3);
	assert_int_equal(r.v[1].bench_id, 1);
	assert_string_equal(r.v[1].unit, "a\"b");
	same_entries(&r, &want, odd);
	mg_sampleset_run_free(&r);
	mg_sampleset_run_free(&want);
	mg_buf_release(&b);
	mg_buf_release(&set);
}

/*
 * An entry not kept: its set is passed over unread, so a fault inside it
 * goes unnoticed (the reader that keeps it says so), but not a fault of
 * its id, its unit, its order or its set's brackets, nor anything in the
 * set that is not a number (the tree reader then names it).
 */
static void test_run_read_passes_over(void **state)
{
	static const char *const refused[][2] = {
	        {"[[1,\"B/op\",[[0,5,1]]],[2,\"a b\",[[0,1,1]]]]",
	         "run samples: entry 1: field 'unit': invalid character"},
	        {"[[1,\"B/op\",[[0,5,1]]],[2,\"B/op\",[[0,\"1\",1]]]]",
	         "run samples: entry 1 (benchmark 2, unit 'B/op'): sample "
	         "set: element 0: expected"},
	        {"[[1,\"B/op\",[[0,5,1]]],[2,\"B/op\",[[0,5,1]],"
	         "[[1,1,1]]]",
	         "run samples: invalid JSON"},
	        {"[[1,\"B/op\",[[0,5,1]]],[2,\"u\",[[0,1,1]]],"
	         "[2,\"u\",[[1,1,1]]]]",
	         "run samples: benchmark 2, unit 'u' twice"},
	        {"[[1,\"B/op\",[[0,5,1]]],[0,\"u\",[[0,1,1]]]]",
	         "run samples: entry 1: expected [benchmark id"},
	};
	const char *text =
	        "[[1,\"B/op\",[[0,5,1]]],[2,\"B/op\",[[0,1..2,1],[0,1]]]]";
	mg_sampleset_run r;
	mg_err err = MG_ERR_INIT;
	size_t i;

	(void)state;
	assert_int_equal(mg_sampleset_run_read(&r, text, strlen(text), only_1,
	                                       NULL, &err),
	                 0);
	assert_int_equal(r.n, 1);
	assert_int_equal(r.v[0].bench_id, 1);
	assert_true(r.items[r.v[0].first].value == 5);
	mg_sampleset_run_free(&r);
	/* kept, the same set is refused */
	assert_int_equal(
	        mg_sampleset_run_read(&r, text, strlen(text), NULL, NULL, &err),
	        MG_EINPUT);
	assert_non_null(strstr(err.msg, "invalid JSON"));
	mg_sampleset_run_free(&r);
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *t = refused[i][0];

		assert_int_equal(mg_sampleset_run_read(&r, t, strlen(t), only_1,
		                                       NULL, &err),
		                 MG_EINPUT);
		if (strstr(err.msg, refused[i][1]) == NULL)
			fail_msg("'%s': got '%s', want '%s'", t, err.msg,
			         refused[i][1]);
		mg_sampleset_run_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_text),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_run_text),
	        cmocka_unit_test(test_run_refusals),
	        cmocka_unit_test(test_run_read),
	        cmocka_unit_test(test_run_read_passes_over),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
