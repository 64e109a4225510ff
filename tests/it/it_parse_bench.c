/*
 * it_parse_bench.c - `memgate parse-bench` as a user runs it: on the
 * gobench fixtures, JSON output checked with cJSON, text output checked
 * against figures computed by hand from the fixture, warnings and errors
 * on stderr, exit statuses.
 */
#include <math.h>
#include <cjson/cJSON.h>

#include "mgtest.h"

#define FIXDIR MG_FIXTURES "/gobench"

struct out {
	int status;
	mg_buf out;
	mg_buf err;
};

static void run(struct out *o, const char *a1, const char *a2, const char *a3)
{
	char *argv[] = {(char *)mgt_memgate_bin(),
	                "parse-bench",
	                (char *)a1,
	                (char *)a2,
	                (char *)a3,
	                NULL};

	mg_buf_init(&o->out, 1 << 24);
	mg_buf_init(&o->err, 1 << 20);
	o->status = mgt_run(FIXDIR, argv, &o->out, &o->err);
}

static void out_release(struct out *o)
{
	mg_buf_release(&o->out);
	mg_buf_release(&o->err);
}

static void test_json(void **state)
{
	struct out o;
	cJSON *arr, *r, *cfg;

	(void)state;
	run(&o, "--format", "json", "real_cpu_list.txt");
	assert_int_equal(o.status, 0);
	assert_string_equal(o.err.ptr, "");
	arr = cJSON_Parse(o.out.ptr);
	assert_non_null(arr);
	/* 8 result lines with ns/op, B/op and allocs/op each. */
	assert_int_equal(cJSON_GetArraySize(arr), 24);
	/* Line 5: "BenchmarkAlloc64  10025780  119.9 ns/op  64 B/op ..." */
	r = cJSON_GetArrayItem(arr, 0);
	assert_string_equal(cJSON_GetObjectItem(r, "file")->valuestring,
	                    "real_cpu_list.txt");
	assert_int_equal(cJSON_GetObjectItem(r, "line")->valueint, 5);
	assert_string_equal(cJSON_GetObjectItem(r, "name")->valuestring,
	                    "BenchmarkAlloc64");
	assert_int_equal(cJSON_GetObjectItem(r, "procs")->valueint, 0);
	assert_true(cJSON_GetObjectItem(r, "iterations")->valuedouble ==
	            10025780);
	assert_string_equal(cJSON_GetObjectItem(r, "unit")->valuestring,
	                    "ns/op");
	assert_true(cJSON_GetObjectItem(r, "value")->valuedouble == 119.9);
	assert_string_equal(cJSON_GetObjectItem(r, "package")->valuestring,
	                    "example.com/x");
	cfg = cJSON_GetObjectItem(r, "config");
	assert_string_equal(cJSON_GetObjectItem(cfg, "goos")->valuestring,
	                    "linux");
	assert_string_equal(cJSON_GetObjectItem(cfg, "cpu")->valuestring,
	                    "AMD EPYC");
	/* Line 7: "BenchmarkAlloc64-2  10857050  107.3 ns/op  64 B/op" */
	r = cJSON_GetArrayItem(arr, 7);
	assert_int_equal(cJSON_GetObjectItem(r, "line")->valueint, 7);
	assert_int_equal(cJSON_GetObjectItem(r, "procs")->valueint, 2);
	assert_string_equal(cJSON_GetObjectItem(r, "unit")->valuestring,
	                    "B/op");
	assert_true(cJSON_GetObjectItem(r, "value")->valuedouble == 64);
	cJSON_Delete(arr);
	out_release(&o);
}

static void test_json_nonfinite(void **state)
{
	struct out o;
	cJSON *arr, *v;

	(void)state;
	run(&o, "--format=json", "nan_inf.txt", NULL);
	assert_int_equal(o.status, 0);
	arr = cJSON_Parse(o.out.ptr);
	assert_non_null(arr);
	assert_int_equal(cJSON_GetArraySize(arr), 14);
	/* Values 2 and 3 of line 5: "+Inf inf/op", "NaN nan/op". */
	v = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 1), "value");
	assert_string_equal(v->valuestring, "+Inf");
	v = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 2), "value");
	assert_string_equal(v->valuestring, "NaN");
	v = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 8), "value");
	assert_string_equal(v->valuestring, "-Inf");
	v = cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 3), "value");
	assert_true(v->valuedouble == 0.0000123);
	cJSON_Delete(arr);
	out_release(&o);
}

/* The row of `name` and `unit` in the text summary. */
static void text_row(const char *text, const char *name, const char *unit,
                     size_t *n, double *med, double *min, double *max)
{
	const char *line = text;
	char nm[256], un[64];

	while (line != NULL && *line) {
		if (sscanf(line, "%255s %63s %zu %lf %lf %lf", nm, un, n, med,
		           min, max) == 6 &&
		    strcmp(nm, name) == 0 && strcmp(un, unit) == 0)
			return;
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	fail_msg("no row %s %s in:\n%s", name, unit, text);
}

static void test_text(void **state)
{
	struct out o;
	double med, min, max;
	size_t n;

	(void)state;
	run(&o, "real_cpu_list.txt", NULL, NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out.ptr, "pkg: example.com/x\n"));
	/* BenchmarkAlloc64-2: 107.3 and 71.54 ns/op. */
	text_row(o.out.ptr, "BenchmarkAlloc64-2", "ns/op", &n, &med, &min,
	         &max);
	assert_int_equal(n, 2);
	assert_true(fabs(med - 89.42) < 1e-9);
	assert_true(min == 71.54 && max == 107.3);
	/* BenchmarkNoAlloc: 1.369 and 1.216 ns/op, 0 allocs/op. */
	text_row(o.out.ptr, "BenchmarkNoAlloc", "ns/op", &n, &med, &min, &max);
	assert_true(fabs(med - 1.2925) < 1e-9);
	text_row(o.out.ptr, "BenchmarkNoAlloc", "allocs/op", &n, &med, &min,
	         &max);
	assert_true(n == 2 && med == 0 && min == 0 && max == 0);
	text_row(o.out.ptr, "BenchmarkAlloc64", "B/op", &n, &med, &min, &max);
	assert_true(n == 2 && med == 64 && max == 64);
	out_release(&o);
}

static void test_stdin_and_several_files(void **state)
{
	mg_buf out = MG_BUF_INIT(1 << 24);
	cJSON *arr;
	int status;

	(void)state;
	status = mgt_sh(FIXDIR, &out,
	                "'%s' parse-bench --format json - crlf.txt "
	                "< real_cpu_list.txt",
	                mgt_memgate_bin());
	assert_int_equal(status, 0);
	arr = cJSON_Parse(out.ptr);
	assert_non_null(arr);
	/* 24 samples from stdin, 7 from crlf.txt (3 + 3 + 1). */
	assert_int_equal(cJSON_GetArraySize(arr), 31);
	assert_string_equal(
	        cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 0), "file")
	                ->valuestring,
	        "<stdin>");
	assert_string_equal(
	        cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 30), "name")
	                ->valuestring,
	        "BenchmarkLast");
	cJSON_Delete(arr);
	mg_buf_release(&out);
}

static void test_warnings(void **state)
{
	struct out o;

	(void)state;
	run(&o, "malformed.txt", NULL, NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.err.ptr,
	                       "memgate: warning: malformed.txt:3: "
	                       "'BenchmarkMissingIter': missing iteration "
	                       "count\n"));
	assert_non_null(strstr(o.err.ptr,
	                       "memgate: warning: malformed.txt:24: not valid "
	                       "UTF-8 (or a NUL byte), skipped\n"));
	assert_non_null(strstr(o.out.ptr, "BenchmarkAfter"));
	out_release(&o);
}

static void test_errors(void **state)
{
	struct out o;

	(void)state;
	run(&o, "empty.txt", NULL, NULL);
	assert_int_equal(o.status, 2);
	assert_string_equal(o.err.ptr,
	                    "memgate: empty.txt: no benchmark results\n");
	assert_string_equal(o.out.ptr, "");
	out_release(&o);

	run(&o, "real_cpu_list.txt", "no_such_file.txt", NULL);
	assert_int_equal(o.status, 2);
	assert_string_equal(o.err.ptr, "memgate: no_such_file.txt: No such "
	                               "file or directory\n");
	out_release(&o);

	run(&o, "--format", "csv", "real_cpu_list.txt");
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.err.ptr, "--format must be text or json"));
	out_release(&o);

	run(&o, NULL, NULL, NULL);
	assert_int_equal(o.status, 2);
	assert_non_null(strstr(o.err.ptr, "no input files"));
	out_release(&o);

	run(&o, "--help", NULL, NULL);
	assert_int_equal(o.status, 0);
	assert_non_null(strstr(o.out.ptr, "usage: memgate parse-bench"));
	out_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_json),
	        cmocka_unit_test(test_json_nonfinite),
	        cmocka_unit_test(test_text),
	        cmocka_unit_test(test_stdin_and_several_files),
	        cmocka_unit_test(test_warnings),
	        cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
