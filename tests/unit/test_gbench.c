/*
 * test_gbench.c - the Google Benchmark JSON reader.
 *
 * The documents are written by hand after the JSON reporter's documented
 * output (members, order, aggregates after the repetitions, memory
 * manager fields); every expected value below is read off the document
 * itself, with the time unit conversion done in the comment.
 */
#include "mgtest.h"
#include "gbench.h"
#include "run.h"

static const char doc[] =
        "{\n"                                            /* 1 */
        "  \"context\": {\n"                             /* 2 */
        "    \"date\": \"2026-01-02T03:04:05+00:00\",\n" /* 3 */
        "    \"host_name\": \"ci\",\n"                   /* 4 */
        "    \"num_cpus\": 2,\n"                         /* 5 */
        "    \"cpu_scaling_enabled\": false,\n"          /* 6 */
        "    \"caches\": [{\"type\": \"Data\", \"size\": 32768}],\n"
        "    \"library_build_type\": \"release\"\n" /* 8 */
        "  },\n"                                    /* 9 */
        "  \"benchmarks\": [\n"                     /* 10 */
        "    {\n"                                   /* 11 */
        "      \"name\": \"BM_Insert/1024/repeats:2\",\n"
        "      \"family_index\": 0,\n"
        "      \"run_name\": \"BM_Insert/1024/repeats:2\",\n"
        "      \"run_type\": \"iteration\",\n"
        "      \"repetitions\": 2,\n"
        "      \"repetition_index\": 0,\n"
        "      \"threads\": 1,\n"
        "      \"iterations\": 1000,\n"
        "      \"real_time\": 2.5,\n"
        "      \"cpu_time\": 2.25,\n"
        "      \"time_unit\": \"us\",\n"
        "      \"bytes_per_second\": 4096,\n"
        "      \"Foo\": 7,\n"
        "      \"bad counter\": 1,\n"
        "      \"allocs_per_iter\": 3,\n"
        "      \"max_bytes_used\": 65536\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"BM_Insert/1024/repeats:2\",\n"
        "      \"run_name\": \"BM_Insert/1024/repeats:2\",\n"
        "      \"run_type\": \"iteration\",\n"
        "      \"repetition_index\": 1,\n"
        "      \"iterations\": 1200,\n"
        "      \"real_time\": 3,\n"
        "      \"cpu_time\": 2.75,\n"
        "      \"time_unit\": \"us\",\n"
        "      \"bytes_per_second\": 4000,\n"
        "      \"Foo\": 8,\n"
        "      \"allocs_per_iter\": 3,\n"
        "      \"max_bytes_used\": 65536,\n"
        "      \"total_allocated_bytes\": 9000,\n"
        "      \"net_heap_growth\": 0\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"BM_Insert/1024/repeats:2_mean\",\n"
        "      \"run_name\": \"BM_Insert/1024/repeats:2\",\n"
        "      \"run_type\": \"aggregate\",\n"
        "      \"aggregate_name\": \"mean\",\n"
        "      \"iterations\": 2,\n"
        "      \"real_time\": 2.75,\n"
        "      \"cpu_time\": 2.5,\n"
        "      \"time_unit\": \"us\"\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"BM_Fail\",\n"
        "      \"run_type\": \"iteration\",\n"
        "      \"error_occurred\": true,\n"
        "      \"error_message\": \"setup failed\",\n"
        "      \"iterations\": 0,\n"
        "      \"real_time\": 0,\n"
        "      \"cpu_time\": 0,\n"
        "      \"time_unit\": \"ns\"\n"
        "    },\n"
        "    {\n"
        "      \"name\": \"BM_Old\",\n"
        "      \"iterations\": 10,\n"
        "      \"real_time\": 1.5,\n"
        "      \"cpu_time\": 1.5,\n"
        "      \"time_unit\": \"ms\"\n"
        "    }\n"
        "  ]\n"
        "}\n";

static const mg_sample *sample(const mg_run *run, size_t bench,
                               const char *unit, int64_t seq)
{
	size_t i;

	for (i = 0; i < run->nsamples; i++)
		if (run->samples[i].bench == bench &&
		    run->samples[i].seq == seq &&
		    strcmp(run->samples[i].unit, unit) == 0)
			return &run->samples[i];
	return NULL;
}

static void test_document(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_gbench_stats st;
	mg_run run;
	const mg_sample *s;
	size_t k;
	bool seen_host = false;

	(void)state;
	mg_run_init(&run);
	assert_int_equal(mg_gbench_to_run(&run, doc, sizeof(doc) - 1, "gb.json",
	                                  &st, &err),
	                 0);
	assert_int_equal(st.entries, 3);
	assert_int_equal(st.aggregates, 1);
	assert_int_equal(st.errored, 1);
	assert_int_equal(st.skipped_counters, 1); /* "bad counter" */
	assert_int_equal(run.nbenches, 2);
	assert_string_equal(run.benches[0].name, "BM_Insert/1024/repeats:2");
	assert_string_equal(run.benches[1].name, "BM_Old");
	for (k = 0; k < run.benches[0].nconfig; k++)
		if (strcmp(run.benches[0].config[k].key, "host_name") == 0) {
			seen_host = true;
			assert_string_equal(run.benches[0].config[k].value,
			                    "ci");
		}
	assert_true(seen_host);

	/* 2.5 us = 2500 ns; 2.25 us = 2250 ns. */
	s = sample(&run, 0, "ns/op", 0);
	assert_non_null(s);
	assert_true(s->value == 2500);
	assert_int_equal(s->iterations, 1000);
	s = sample(&run, 0, "cpu-ns/op", 0);
	assert_non_null(s);
	assert_true(s->value == 2250);
	s = sample(&run, 0, "ns/op", 1);
	assert_non_null(s);
	assert_true(s->value == 3000);
	assert_int_equal(s->iterations, 1200);
	s = sample(&run, 0, "B/s", 1);
	assert_non_null(s);
	assert_true(s->value == 4000);
	s = sample(&run, 0, "Foo", 0);
	assert_non_null(s);
	assert_true(s->value == 7);
	s = sample(&run, 0, "allocs/op", 0);
	assert_non_null(s);
	assert_true(s->value == 3);
	s = sample(&run, 0, "max-bytes-used-B", 1);
	assert_non_null(s);
	assert_true(s->value == 65536);
	assert_null(sample(&run, 0, "total-alloc-B", 0));
	s = sample(&run, 0, "total-alloc-B", 1);
	assert_non_null(s);
	assert_true(s->value == 9000);
	assert_non_null(sample(&run, 0, "net-heap-growth-B", 1));
	assert_null(sample(&run, 0, "ns/op", 2)); /* the mean is not kept */
	/* 1.5 ms = 1500000 ns; no run_type: an iteration. */
	s = sample(&run, 1, "ns/op", 0);
	assert_non_null(s);
	assert_true(s->value == 1500000);
	/* 6 + 8 samples for BM_Insert (no bad counter), 2 for BM_Old. */
	assert_int_equal(run.nsamples, 6 + 8 + 2);
	mg_run_release(&run);
	assert_true(mg_gbench_sniff(doc, sizeof(doc) - 1));
	assert_false(mg_gbench_sniff("BenchmarkX 1 2 ns/op\n", 21));
}

static void expect_err(const char *text, int code, const char *want)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;

	mg_run_init(&run);
	assert_int_equal(mg_gbench_to_run(&run, text, strlen(text), "gb.json",
	                                  NULL, &err),
	                 code);
	assert_string_equal(err.msg, want);
	mg_run_release(&run);
}

static void test_errors(void **state)
{
	char *cut;

	(void)state;
	/* Cut inside the third entry (line 49): cJSON stops at the end. */
	cut = mg_strdup(doc);
	assert_non_null(cut);
	cut[strstr(doc, "\"aggregate_name\"") - doc] = '\0';
	expect_err(cut, MG_EINPUT, "gb.json:49: invalid JSON");
	free(cut);

	expect_err("[]", MG_EINPUT, "gb.json:1: expected a JSON object");
	expect_err("{\"context\": {}}", MG_EINPUT,
	           "gb.json:1: field 'benchmarks': missing");
	expect_err("{\n\"benchmarks\": [\n{\"name\": \"a\",\n"
	           "\"iterations\": \"x\"}]}",
	           MG_EINPUT,
	           "gb.json:4: field 'benchmarks[0].iterations': expected a "
	           "non-negative integer");
	expect_err("{\"benchmarks\": [\n{\"name\": \"a\", \"iterations\": 1},\n"
	           "{\"name\": \"b\", \"iterations\": 1,\n"
	           "  \"time_unit\": \"min\"}]}",
	           MG_EINPUT,
	           "gb.json:4: field 'benchmarks[1].time_unit': expected "
	           "\"ns\", \"us\", \"ms\" or \"s\"");
	expect_err("{\"benchmarks\": [{\"name\": \"a\", \"iterations\": 1,\n"
	           "\"real_time\": 1,\n\"real_time\": 2}]}",
	           MG_EINPUT,
	           "gb.json:2: field 'benchmarks[0].real_time': a second "
	           "value for this unit");
	expect_err("{\"benchmarks\": [{\"name\": \"a\", \"iterations\": 1,\n"
	           "\"cpu_time\": null}]}",
	           MG_EINPUT,
	           "gb.json:2: field 'benchmarks[0].cpu_time': expected a "
	           "number");
	expect_err("{\"benchmarks\": [\n 3]}", MG_EINPUT,
	           "gb.json:2: field 'benchmarks[0]': expected an object");
	expect_err("{\"benchmarks\": [{\"name\": \"a\", \"iterations\": 1,\n"
	           "\"run_type\": \"other\"}]}",
	           MG_EINPUT,
	           "gb.json:2: field 'benchmarks[0].run_type': expected "
	           "\"iteration\" or \"aggregate\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_document),
	        cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
