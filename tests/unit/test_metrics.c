/*
 * test_metrics.c - the memgate metrics document and Bencher Metric Format
 * readers. Expected samples are read off the documents by hand. When
 * python3 with the jsonschema module is installed, the metrics documents
 * are also checked against schema/metrics.schema.json, so the schema and
 * the reader agree on what is valid.
 */
#include "mgtest.h"
#include "metrics.h"
#include "run.h"

static const char doc[] =
        "{\n"
        "  \"format\": \"memgate-metrics\",\n"
        "  \"version\": 1,\n"
        "  \"tool\": \"my-script\",\n"
        "  \"benchmarks\": {\n"
        "    \"build/full\": {\n"
        "      \"peak-rss-B\": [104857600, 110100480, 99614720],\n"
        "      \"wall-s\": 12.5\n"
        "    },\n"
        "    \"parse\": {\n"
        "      \"B/op\": {\"values\": [512, 520], \"iterations\": 1000,\n"
        "                 \"direction\": \"lower_is_better\"},\n"
        "      \"ops/s\": {\"values\": 3000,\n"
        "                  \"direction\": \"higher_is_better\"}\n"
        "    }\n"
        "  }\n"
        "}\n";

static const mg_sample *sample(const mg_run *run, const char *bench,
                               const char *unit, int64_t seq)
{
	size_t i;

	for (i = 0; i < run->nsamples; i++)
		if (strcmp(run->benches[run->samples[i].bench].name, bench) ==
		            0 &&
		    run->samples[i].seq == seq &&
		    strcmp(run->samples[i].unit, unit) == 0)
			return &run->samples[i];
	return NULL;
}

/* 0 valid, 1 invalid, -1 no validator. */
static int schema_check(const char *text)
{
	char *dir = mgt_tmpdir(), *path = mgt_path(dir, "doc.json");
	int rc;

	mgt_write_file(path, text, strlen(text));
	if (mgt_sh(dir, NULL, "python3 -c 'import jsonschema' 2>/dev/null") !=
	    0) {
		rc = -1;
	} else {
		rc = mgt_sh(dir, NULL,
		            "python3 -c 'import json, sys, jsonschema; "
		            "jsonschema.validate(json.load(open(\"doc.json\")),"
		            " "
		            "json.load(open(sys.argv[1])))' "
		            "%s/schema/metrics.schema.json 2>/dev/null",
		            MG_SOURCE_DIR) == 0
		             ? 0
		             : 1;
	}
	free(path);
	mgt_tmpdir_free(dir);
	return rc;
}

static void test_metrics_document(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;
	const mg_sample *s;

	(void)state;
	mg_run_init(&run);
	assert_int_equal(
	        mg_metrics_to_run(&run, doc, sizeof(doc) - 1, "m.json", &err),
	        0);
	assert_int_equal(run.nbenches, 2);
	assert_int_equal(run.nsamples, 3 + 1 + 2 + 1);
	s = sample(&run, "build/full", "peak-rss-B", 2);
	assert_non_null(s);
	assert_true(s->value == 99614720);
	assert_int_equal(s->iterations, 1);
	s = sample(&run, "build/full", "wall-s", 0);
	assert_non_null(s);
	assert_true(s->value == 12.5);
	s = sample(&run, "parse", "B/op", 1);
	assert_non_null(s);
	assert_true(s->value == 520);
	assert_int_equal(s->iterations, 1000);
	s = sample(&run, "parse", "ops/s", 0);
	assert_non_null(s);
	assert_true(s->value == 3000);
	mg_run_release(&run);
	assert_true(mg_metrics_sniff(doc, sizeof(doc) - 1));
	assert_false(mg_metrics_bmf_sniff(doc, sizeof(doc) - 1));
	if (schema_check(doc) == -1)
		return;
	assert_int_equal(schema_check(doc), 0);
}

static void expect_err(int bmf, const char *text, int code, const char *want)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;
	int rc;

	mg_run_init(&run);
	rc = bmf ? mg_metrics_bmf_to_run(&run, text, strlen(text), "m.json",
	                                 &err)
	         : mg_metrics_to_run(&run, text, strlen(text), "m.json", &err);
	assert_int_equal(rc, code);
	assert_string_equal(err.msg, want);
	mg_run_release(&run);
	/* The schema refuses what the reader refuses (where it can say). */
	if (!bmf && code == MG_EINPUT && strstr(want, "invalid JSON") == NULL &&
	    strstr(want, "direction': disagrees") == NULL &&
	    strstr(want, "given twice") == NULL)
		assert_int_not_equal(schema_check(text), 0);
}

#define HEAD "{\"format\": \"memgate-metrics\", \"version\": 1,\n"

static void test_metrics_errors(void **state)
{
	(void)state;
	expect_err(0, "{\"format\": \"memgate-metrics\",\n\"version\": 2}",
	           MG_EINPUT,
	           "m.json:2: field 'version': expected 1 (the version this "
	           "reader knows)");
	expect_err(0, "{\"version\": 1}", MG_EINPUT,
	           "m.json:1: field 'format': expected \"memgate-metrics\"");
	expect_err(0, HEAD "\"benchmarks\": {\"a\": {\n\"B/op\": [1,\n2,\n",
	           MG_EINPUT, "m.json:4: invalid JSON");
	expect_err(0,
	           HEAD "\"benchmarks\": {\n\"a\": {\n\"B/op\": [1, \"x\"]}}}",
	           MG_EINPUT,
	           "m.json:4: field 'benchmarks.a.B/op': expected a finite "
	           "number");
	expect_err(0, HEAD "\"benchmarks\": {\n\"a\": {\n\"peak rss\": 1}}}",
	           MG_EINPUT,
	           "m.json:4: field 'benchmarks.a.peak rss': not a valid unit "
	           "(printable ASCII without spaces, at most 64 bytes)");
	expect_err(0,
	           HEAD "\"benchmarks\": {\n\"a\": {\n\"score\": {\"values\": "
	                "1,\n\"direction\": \"higher_is_better\"}}}}",
	           MG_EINPUT,
	           "m.json:5: field 'benchmarks.a.score.direction': disagrees "
	           "with the unit: memgate treats exactly the units ending in "
	           "'/s' as higher is better");
	expect_err(0,
	           HEAD "\"benchmarks\": {\n\"a\": {\n\"B/op\": {\"value\": "
	                "1}}}}",
	           MG_EINPUT,
	           "m.json:4: field 'benchmarks.a.B/op.value': unknown member "
	           "(expected values, direction, iterations)");
	expect_err(0,
	           HEAD "\"benchmarks\": {\n\"a\": {\"B/op\": 1},\n\"a\": "
	                "{\"B/op\": 2}}}",
	           MG_EINPUT,
	           "m.json:3: field 'benchmarks.a': benchmark given twice");
	expect_err(0,
	           HEAD "\"benchmarks\": {\n\"a\": {\n\"B/op\": {\"values\": "
	                "[1], \"iterations\": 0}}}}",
	           MG_EINPUT,
	           "m.json:4: field 'benchmarks.a.B/op.iterations': expected "
	           "an integer >= 1");
	expect_err(0, HEAD "\"benchmarks\": {\"a\": {\"B/op\": []}}}",
	           MG_EINPUT,
	           "m.json:2: field 'benchmarks.a.B/op': empty list");
}

static const char bmf[] = "{\n"
                          "  \"bencher::mock_0\": {\n"
                          "    \"latency\": {\n"
                          "      \"value\": 88.0,\n"
                          "      \"lower_value\": 87.42,\n"
                          "      \"upper_value\": 92.8\n"
                          "    },\n"
                          "    \"max-rss\": {\"value\": 1048576}\n"
                          "  },\n"
                          "  \"bencher::mock_1\": {\n"
                          "    \"throughput\": {\"value\": 1500.5},\n"
                          "    \"file-size\": {\"value\": 4096}\n"
                          "  }\n"
                          "}\n";

static void test_bmf(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;
	const mg_sample *s;

	(void)state;
	mg_run_init(&run);
	assert_int_equal(mg_metrics_bmf_to_run(&run, bmf, sizeof(bmf) - 1,
	                                       "bmf.json", &err),
	                 0);
	assert_int_equal(run.nbenches, 2);
	assert_int_equal(run.nsamples, 4);
	s = sample(&run, "bencher::mock_0", "latency-ns", 0);
	assert_non_null(s);
	assert_true(s->value == 88.0);
	s = sample(&run, "bencher::mock_0", "max-rss", 0);
	assert_non_null(s);
	assert_true(s->value == 1048576);
	s = sample(&run, "bencher::mock_1", "throughput-ops/s", 0);
	assert_non_null(s);
	assert_true(s->value == 1500.5);
	s = sample(&run, "bencher::mock_1", "file-size-B", 0);
	assert_non_null(s);
	assert_true(s->value == 4096);
	mg_run_release(&run);
	assert_true(mg_metrics_bmf_sniff(bmf, sizeof(bmf) - 1));
	assert_false(mg_metrics_sniff(bmf, sizeof(bmf) - 1));

	expect_err(1, "{\"a\": {\n\"latency\": {\"lower_value\": 1}}}",
	           MG_EINPUT,
	           "m.json:2: field 'a.latency': no \"value\" member");
	expect_err(1,
	           "{\"a\": {\"latency\": {\"value\": 5,\n\"lower_value\": "
	           "6}}}",
	           MG_EINPUT,
	           "m.json:2: field 'a.latency.lower_value': greater than "
	           "value");
	expect_err(1, "{\"a\": {\"latency\": {\"value\": null}}}", MG_EINPUT,
	           "m.json:1: field 'a.latency.value': expected a finite "
	           "number");
	expect_err(1, "{\"a\": 3}", MG_EINPUT,
	           "m.json:1: field 'a': expected an object of units");
	expect_err(1, "[1]", MG_EINPUT, "m.json:1: expected a JSON object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_metrics_document),
	        cmocka_unit_test(test_metrics_errors),
	        cmocka_unit_test(test_bmf),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
