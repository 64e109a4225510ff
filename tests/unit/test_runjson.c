/*
 * test_runjson.c - the JSON run format: a full run written and read back
 * field by field, exact numbers, the document checked against
 * schema/run.schema.json by python3's jsonschema, base64 against the
 * RFC 4648 test vectors, and the reader's refusals with their exact
 * messages (each built by editing one place of a valid document).
 */
#include <ctype.h>
#include <math.h>
#include <openssl/evp.h>

#include "mgtest.h"
#include "base64.h"
#include "runjson.h"

static const char SHA_A[] = "0123456789abcdef0123456789abcdef01234567";
static const char SHA_B[] = "89abcdef0123456789abcdef0123456789abcdef";
static const char SHA_C[] = "fedcba9876543210fedcba9876543210fedcba98";

/* Profile bytes with zeros, all byte values, and a length of 3k + 1. */
static void profile_bytes(unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 7 + (i >> 8));
	b[0] = 0x1f;
	b[1] = 0x8b;
	b[2] = 0;
	b[3] = 0;
}

/*
 * A run that sets every field, with strings that need escaping, three
 * benchmarks whose samples are interleaved in run order (the document
 * groups them), and two profiles (one empty).
 */
static void make_full_run(mg_run *run)
{
	mg_kv cfg[] = {{"goos", "linux"},
	               {"goarch", "amd64"},
	               {"pkg", "example.com/x"},
	               {"cpu", "Intel(R) Xeon(R) \"quoted\" @ 2.20GHz"}};
	unsigned char data[1000];
	size_t b0, b1, b2, pi;
	mg_profile *p;
	int i;

	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, "acme/widgets"), 0);
	assert_int_equal(
	        mg_run_set_str(&run->clone_url, "https://git.example/acme.git"),
	        0);
	assert_int_equal(mg_run_set_str(&run->default_branch, "main"), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%s", SHA_A);
	assert_int_equal(mg_run_add_parent(run, SHA_B), 0);
	assert_int_equal(mg_run_add_parent(run, SHA_C), 0);
	assert_int_equal(mg_run_set_str(&run->commit.author,
	                                "Ad\xc3\xa9le <ada@example.com>"),
	                 0);
	run->commit.commit_time = -86400; /* before 1970 is a valid time */
	/* Quote, backslash, control characters, 2-, 3- and 4-byte UTF-8. */
	assert_int_equal(mg_run_set_str(&run->commit.subject,
	                                "say \"hi\"\\ \t\x01\x1f\x7f "
	                                "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	                 0);
	assert_int_equal(mg_run_set_str(&run->branch, "feature/x"), 0);
	run->dirty = true;
	run->pr_number = 42;
	assert_int_equal(mg_run_set_str(&run->base_ref, "main"), 0);
	assert_int_equal(mg_run_set_str(&run->base_sha, SHA_C), 0);
	assert_int_equal(mg_run_set_str(&run->env.os, "linux"), 0);
	assert_int_equal(mg_run_set_str(&run->env.kernel, "6.1.0-18-amd64"), 0);
	assert_int_equal(mg_run_set_str(&run->env.arch, "x86_64"), 0);
	assert_int_equal(mg_run_set_str(&run->env.cpu_model, "Test CPU"), 0);
	run->env.cores = 2;
	run->env.mem_bytes = 24LL << 30;
	assert_int_equal(mg_run_set_str(&run->env.go_version, "go1.19.8"), 0);
	assert_int_equal(mg_run_set_str(&run->env.gomaxprocs, "2"), 0);
	assert_int_equal(mg_run_set_str(&run->env.gogc, "off"), 0);
	assert_int_equal(mg_run_set_str(&run->env.gomemlimit, "1GiB"), 0);
	assert_int_equal(mg_run_set_str(&run->env.godebug, "madvdontneed=1"),
	                 0);
	assert_int_equal(mg_run_set_str(&run->env.thp, "madvise"), 0);
	assert_int_equal(mg_run_set_str(&run->env.label, "ci-large"), 0);
	run->started_at = 1700000000123;
	run->ended_at = 1700000005456;
	assert_int_equal(mg_run_set_str(&run->build_cmd, "go build ./..."), 0);
	assert_int_equal(mg_run_set_str(&run->bench_cmd,
	                                "go test -run='^$' -bench=. ./..."),
	                 0);
	run->exit_status = 1;
	run->wall_ns = 5333000111;
	run->peak_rss = 123456789;
	run->status = MG_RUN_FAILED;
	assert_int_equal(
	        mg_run_set_str(&run->log_tail, "line 1\nline 2\r\n--- FAIL\n"),
	        0);
	assert_int_equal(
	        mg_run_set_str(&run->idempotency_key, "3f2a-4b1c-run-0001"), 0);

	assert_int_equal(mg_run_add_bench(run, &b0, "BenchmarkHash/small",
	                                  "example.com/x", 2, cfg, 4),
	                 0);
	assert_int_equal(mg_run_add_bench(run, &b1, "BenchmarkTar",
	                                  "example.com/x", 0, cfg, 3),
	                 0);
	assert_int_equal(
	        mg_run_add_bench(run, &b2, "BenchmarkNoPkg", "", 8, NULL, 0),
	        0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(mg_run_add_sample(run, b0, "ns/op", 1234.5 + i,
		                                   1000000, i),
		                 0);
		assert_int_equal(
		        mg_run_add_sample(run, b1, "B/op", 4096, 500, i), 0);
		assert_int_equal(
		        mg_run_add_sample(run, b0, "B/op", 64, 1000000, i), 0);
		assert_int_equal(
		        mg_run_add_sample(run, b0, "allocs/op", 2, 1000000, i),
		        0);
	}
	assert_int_equal(mg_run_add_sample(run, b1, "MB/s", 0.1 + 0.2, 500, 0),
	                 0);

	profile_bytes(data, sizeof(data));
	assert_int_equal(mg_run_add_profile(run, &pi, "heap", "example.com/x",
	                                    data, sizeof(data)),
	                 0);
	p = &run->profiles[pi];
	assert_int_equal(mg_profile_add_sample_type(p, "alloc_objects/count"),
	                 0);
	assert_int_equal(mg_profile_add_sample_type(p, "alloc_space/bytes"), 0);
	assert_int_equal(mg_run_set_str(&p->default_sample_type, "alloc_space"),
	                 0);
	assert_int_equal(
	        mg_profile_add_func(p, 1, "main.hash", "hash.go", 4096, 8192),
	        0);
	assert_int_equal(
	        mg_profile_add_func(p, 0, "main.hash", "hash.go", 2, 3), 0);
	assert_int_equal(mg_profile_add_func(p, 1, "runtime.mallocgc", "", -5,
	                                     MG_RUNJSON_MAX_INT),
	                 0);
	assert_int_equal(
	        mg_run_add_profile(run, &pi, "cpu", "example.com/x", NULL, 0),
	        0);
	assert_int_equal(
	        mg_profile_add_sample_type(&run->profiles[pi], "samples/count"),
	        0);
}

static void assert_str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Samples of benchmark b, in run order, are the same in both runs. */
static void assert_samples_eq(const mg_run *x, const mg_run *y, size_t b)
{
	size_t i = 0, j = 0, n = 0;

	for (;;) {
		while (i < x->nsamples && x->samples[i].bench != b)
			i++;
		while (j < y->nsamples && y->samples[j].bench != b)
			j++;
		if (i == x->nsamples || j == y->nsamples)
			break;
		assert_string_equal(x->samples[i].unit, y->samples[j].unit);
		/* Bit for bit: the writer must print doubles exactly. */
		assert_memory_equal(&x->samples[i].value, &y->samples[j].value,
		                    sizeof(double));
		assert_int_equal(x->samples[i].iterations,
		                 y->samples[j].iterations);
		assert_int_equal(x->samples[i].seq, y->samples[j].seq);
		i++;
		j++;
		n++;
	}
	assert_int_equal(i, x->nsamples);
	assert_int_equal(j, y->nsamples);
	(void)n;
}

static void assert_runs_eq(const mg_run *x, const mg_run *y)
{
	size_t i, j;

	assert_str_eq(x->project, y->project);
	assert_str_eq(x->clone_url, y->clone_url);
	assert_str_eq(x->default_branch, y->default_branch);
	assert_string_equal(x->commit.sha, y->commit.sha);
	assert_int_equal(x->commit.nparents, y->commit.nparents);
	for (i = 0; i < x->commit.nparents; i++)
		assert_string_equal(x->commit.parents[i], y->commit.parents[i]);
	assert_str_eq(x->commit.author, y->commit.author);
	assert_int_equal(x->commit.commit_time, y->commit.commit_time);
	assert_str_eq(x->commit.subject, y->commit.subject);
	assert_str_eq(x->branch, y->branch);
	assert_int_equal(x->dirty, y->dirty);
	assert_int_equal(x->pr_number, y->pr_number);
	assert_str_eq(x->base_ref, y->base_ref);
	assert_str_eq(x->base_sha, y->base_sha);
	assert_str_eq(x->env.os, y->env.os);
	assert_str_eq(x->env.kernel, y->env.kernel);
	assert_str_eq(x->env.arch, y->env.arch);
	assert_str_eq(x->env.cpu_model, y->env.cpu_model);
	assert_int_equal(x->env.cores, y->env.cores);
	assert_int_equal(x->env.mem_bytes, y->env.mem_bytes);
	assert_str_eq(x->env.go_version, y->env.go_version);
	assert_str_eq(x->env.gomaxprocs, y->env.gomaxprocs);
	assert_str_eq(x->env.gogc, y->env.gogc);
	assert_str_eq(x->env.gomemlimit, y->env.gomemlimit);
	assert_str_eq(x->env.godebug, y->env.godebug);
	assert_str_eq(x->env.thp, y->env.thp);
	assert_str_eq(x->env.label, y->env.label);
	assert_int_equal(x->started_at, y->started_at);
	assert_int_equal(x->ended_at, y->ended_at);
	assert_str_eq(x->build_cmd, y->build_cmd);
	assert_str_eq(x->bench_cmd, y->bench_cmd);
	assert_int_equal(x->exit_status, y->exit_status);
	assert_int_equal(x->wall_ns, y->wall_ns);
	assert_int_equal(x->peak_rss, y->peak_rss);
	assert_int_equal(x->status, y->status);
	assert_str_eq(x->log_tail, y->log_tail);
	assert_str_eq(x->idempotency_key, y->idempotency_key);

	assert_int_equal(x->nbenches, y->nbenches);
	for (i = 0; i < x->nbenches; i++) {
		const mg_bench *a = &x->benches[i], *b = &y->benches[i];

		assert_string_equal(a->name, b->name);
		assert_string_equal(a->package, b->package);
		assert_int_equal(a->procs, b->procs);
		assert_int_equal(a->nconfig, b->nconfig);
		for (j = 0; j < a->nconfig; j++) {
			assert_string_equal(a->config[j].key, b->config[j].key);
			assert_string_equal(a->config[j].value,
			                    b->config[j].value);
		}
		assert_samples_eq(x, y, i);
	}
	assert_int_equal(x->nsamples, y->nsamples);

	assert_int_equal(x->nprofiles, y->nprofiles);
	for (i = 0; i < x->nprofiles; i++) {
		const mg_profile *a = &x->profiles[i], *b = &y->profiles[i];

		assert_string_equal(a->kind, b->kind);
		assert_string_equal(a->package, b->package);
		assert_int_equal(a->nsample_types, b->nsample_types);
		for (j = 0; j < a->nsample_types; j++)
			assert_string_equal(a->sample_types[j],
			                    b->sample_types[j]);
		assert_str_eq(a->default_sample_type, b->default_sample_type);
		assert_int_equal(a->len, b->len);
		if (a->len)
			assert_memory_equal(a->data, b->data, a->len);
		assert_int_equal(a->nfuncs, b->nfuncs);
		for (j = 0; j < a->nfuncs; j++) {
			assert_int_equal(a->funcs[j].sample_type,
			                 b->funcs[j].sample_type);
			assert_string_equal(a->funcs[j].function,
			                    b->funcs[j].function);
			assert_string_equal(a->funcs[j].file, b->funcs[j].file);
			assert_int_equal(a->funcs[j].flat, b->funcs[j].flat);
			assert_int_equal(a->funcs[j].cum, b->funcs[j].cum);
		}
	}
}

static void write_doc(mg_buf *out, const mg_run *run)
{
	mg_err err = MG_ERR_INIT;
	int rc = mg_runjson_write(out, run, &err);

	if (rc != 0)
		fail_msg("mg_runjson_write: %s", err.msg);
}

/*
 * mg_runjson_read(), then the same with its one-pass reader off (every
 * document through the tree): both must give the same answer, the same
 * message, or runs equal field by field and written alike. *pulled: the
 * first read took the one-pass reader.
 */
static int read_doc(mg_run *run, const char *data, size_t len, mg_err *err,
                    bool *pulled)
{
	mg_buf a = MG_BUF_INIT(MG_BUF_NOLIMIT), b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	unsigned long before = mg_runjson_pulled();
	mg_err terr = MG_ERR_INIT;
	mg_run tree;
	unsigned long took;
	int rc, trc;

	rc = mg_runjson_read(run, data, len, err);
	took = mg_runjson_pulled() - before;
	assert_true(took <= 1);
	if (pulled)
		*pulled = took == 1;
	mg_runjson_set_pull(false);
	trc = mg_runjson_read(&tree, data, len, &terr);
	mg_runjson_set_pull(true);
	assert_int_equal(mg_runjson_pulled(), before + took);
	if (rc != trc)
		fail_msg("one pass: %d (%s), tree: %d (%s)", rc, err->msg, trc,
		         terr.msg);
	if (rc != 0) {
		assert_string_equal(err->msg, terr.msg);
		return rc;
	}
	assert_runs_eq(run, &tree);
	write_doc(&a, run);
	write_doc(&b, &tree);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.ptr, b.ptr, a.len);
	mg_run_release(&tree);
	mg_buf_release(&a);
	mg_buf_release(&b);
	return 0;
}

static void test_round_trip(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf again = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	mg_run run, back;
	bool pulled;

	(void)state;
	make_full_run(&run);
	write_doc(&doc, &run);
	mg_run_init(&back);
	if (read_doc(&back, doc.ptr, doc.len, &err, &pulled) != 0)
		fail_msg("mg_runjson_read: %s", err.msg);
	assert_true(pulled); /* as the writer wrote it */
	assert_runs_eq(&run, &back);
	/* The samples come back grouped under their benchmarks. */
	assert_int_equal(back.samples[0].bench, 0);
	assert_int_equal(back.samples[8].bench, 0);
	assert_int_equal(back.samples[9].bench, 1);
	assert_string_equal(back.samples[9].unit, "B/op");
	assert_string_equal(back.samples[12].unit, "MB/s");

	/* Writing what was read gives the same bytes. */
	write_doc(&again, &back);
	assert_int_equal(again.len, doc.len);
	assert_memory_equal(again.ptr, doc.ptr, doc.len);

	/* A few literal pieces, derived by hand from the run above. */
	assert_non_null(strstr(doc.ptr, "{\"format\":\"memgate-run\","
	                                "\"version\":1,\"project\":"));
	assert_non_null(strstr(doc.ptr, "\"subject\":\"say \\\"hi\\\"\\\\ "
	                                "\\t\\u0001\\u001f\x7f \xc3\xa9"));
	assert_non_null(strstr(doc.ptr, "\"commit_time\":-86400,"));
	assert_non_null(strstr(doc.ptr, "\"value\":0.30000000000000004,"));
	assert_non_null(strstr(doc.ptr, "\"cum\":9007199254740991}"));
	/* 0x1f 0x8b 0x00 0x00 -> base64 "H4sAA..." */
	assert_non_null(strstr(doc.ptr, "\"data_base64\":\"H4sAA"));
	assert_non_null(strstr(doc.ptr, "\"kind\":\"cpu\",\"package\":"
	                                "\"example.com/x\",\"sample_types\":"
	                                "[\"samples/count\"],"
	                                "\"default_sample_type\":null,"
	                                "\"data_base64\":\"\",\"sha256\":"
	                                "\"e3b0c44298fc1c149afbf4c8996fb924"
	                                "27ae41e4649b934ca495991b7852b855\""));
	mg_run_release(&back);
	mg_run_release(&run);
	mg_buf_release(&doc);
	mg_buf_release(&again);
}

/* A minimal run: required fields only, everything else NULL or 0. */
static void make_small_run(mg_run *run)
{
	size_t b;

	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, "p"), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%s", SHA_A);
	assert_int_equal(
	        mg_run_add_bench(run, &b, "BenchmarkA", "", 0, NULL, 0), 0);
	assert_int_equal(mg_run_add_sample(run, b, "ns/op", 12.5, 100, 0), 0);
	assert_int_equal(mg_run_add_sample(run, b, "B/op", 64, 100, 0), 0);
	assert_int_equal(mg_run_add_sample(run, b, "allocs/op", 1, 100, 0), 0);
}

static void test_nulls_and_numbers(void **state)
{
	static const double values[] = {0.1,
	                                1e-300,
	                                4.9406564584124654e-324,
	                                1.7976931348623157e308,
	                                -0.0,
	                                123456789.12345678,
	                                1e21,
	                                2.5e-7};
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	bool pulled;
	mg_run run, back;
	size_t i;

	(void)state;
	make_small_run(&run);
	for (i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		assert_int_equal(mg_run_add_sample(&run, 0, "x/op", values[i],
		                                   MG_RUNJSON_MAX_INT,
		                                   (int64_t)i),
		                 0);
	run.started_at = -MG_RUNJSON_MAX_INT;
	run.ended_at = MG_RUNJSON_MAX_INT;
	run.exit_status = -2147483647 - 1;
	write_doc(&doc, &run);
	assert_non_null(strstr(doc.ptr, "\"pr\":null,"));
	assert_non_null(strstr(doc.ptr, "\"clone_url\":null,"));
	assert_non_null(strstr(doc.ptr, "\"exit_status\":-2147483648,"));
	assert_non_null(strstr(doc.ptr, "\"value\":-0,"));
	assert_non_null(strstr(doc.ptr, "\"value\":1e+21,"));
	mg_run_init(&back);
	if (read_doc(&back, doc.ptr, doc.len, &err, &pulled) != 0)
		fail_msg("mg_runjson_read: %s", err.msg);
	assert_true(pulled); /* as the writer wrote it */
	assert_runs_eq(&run, &back);
	assert_true(signbit(back.samples[7].value));
	mg_run_release(&back);

	/* A PR without a number keeps its base. */
	mg_buf_reset(&doc);
	assert_int_equal(mg_run_set_str(&run.base_ref, "main"), 0);
	write_doc(&doc, &run);
	assert_non_null(strstr(doc.ptr, "\"pr\":{\"number\":null,"
	                                "\"base_ref\":\"main\","
	                                "\"base_sha\":null}"));
	mg_run_init(&back);
	assert_int_equal(read_doc(&back, doc.ptr, doc.len, &err, NULL), 0);
	assert_runs_eq(&run, &back);
	mg_run_release(&back);
	mg_run_release(&run);
	mg_buf_release(&doc);
}

/* Invalid UTF-8 from the model is written as '?', byte for byte. */
static void test_write_invalid_utf8(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	mg_run run, back;

	(void)state;
	make_small_run(&run);
	/* A Latin-1 subject, an overlong '/', a log cut inside a char. */
	assert_int_equal(
	        mg_run_set_str(&run.commit.subject, "caf\xe9 \xc0\xaf"), 0);
	assert_int_equal(mg_run_set_str(&run.log_tail, "ok \xe2\x82"), 0);
	write_doc(&doc, &run);
	mg_run_init(&back);
	assert_int_equal(read_doc(&back, doc.ptr, doc.len, &err, NULL), 0);
	assert_string_equal(back.commit.subject, "caf? ??");
	assert_string_equal(back.log_tail, "ok ??");
	mg_run_release(&back);
	mg_run_release(&run);
	mg_buf_release(&doc);
}

static void expect_write_error(const mg_run *run, int code, const char *msg)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;

	assert_int_equal(mg_buf_puts(&doc, "keep"), 0);
	assert_int_equal(mg_runjson_write(&doc, run, &err), code);
	assert_string_equal(err.msg, msg);
	/* On error the buffer keeps what it had. */
	assert_string_equal(doc.ptr, "keep");
	mg_buf_release(&doc);
}

static void test_write_refuses(void **state)
{
	char bad_unit[] = "B op";
	mg_run run;

	(void)state;
	make_small_run(&run);
	run.wall_ns = MG_RUNJSON_MAX_INT + 1;
	expect_write_error(&run, MG_EINPUT,
	                   "field 'wall_ns': out of range (beyond 2^53-1)");
	run.wall_ns = 0;
	/* units belong to the run (shared by its samples): point elsewhere */
	run.samples[1].unit = bad_unit;
	expect_write_error(&run, MG_EINPUT,
	                   "field 'benchmarks[0].samples[1].unit': invalid "
	                   "character in 'B op'");
	run.samples[1].unit = run.samples[0].unit;
	expect_write_error(&run, MG_EINPUT,
	                   "field 'benchmarks[0].samples[1]': duplicate of "
	                   "samples[0] (same unit and seq)");
	run.samples[1].seq = 1;
	run.samples[2].bench = 5;
	expect_write_error(&run, MG_EINPUT,
	                   "field 'samples[2].benchmark': no such benchmark");
	mg_run_release(&run);

	/*
	 * Duplicates in two benchmarks, samples interleaved: the one named is
	 * the lowest-numbered repeat in the run (samples[4], the third of
	 * BenchmarkB's), not the first benchmark's (samples[5]).
	 */
	{
		size_t b;

		make_small_run(&run);
		assert_int_equal(mg_run_add_bench(&run, &b, "BenchmarkB", "", 0,
		                                  NULL, 0),
		                 0);
		run.nsamples = 0;
		assert_int_equal(mg_run_add_sample(&run, 0, "ns/op", 1, 1, 0),
		                 0);
		assert_int_equal(mg_run_add_sample(&run, b, "ns/op", 1, 1, 0),
		                 0);
		assert_int_equal(mg_run_add_sample(&run, 0, "B/op", 1, 1, 0),
		                 0);
		assert_int_equal(mg_run_add_sample(&run, b, "B/op", 1, 1, 0),
		                 0);
		assert_int_equal(mg_run_add_sample(&run, b, "ns/op", 2, 1, 0),
		                 0);
		assert_int_equal(mg_run_add_sample(&run, 0, "ns/op", 2, 1, 0),
		                 0);
		expect_write_error(
		        &run, MG_EINPUT,
		        "field 'benchmarks[1].samples[2]': duplicate "
		        "of samples[0] (same unit and seq)");
		/* a unit string of its own, equal to the shared one */
		run.samples[4].seq = 1;
		run.samples[5].unit = "B/op";
		expect_write_error(
		        &run, MG_EINPUT,
		        "field 'benchmarks[0].samples[2]': duplicate "
		        "of samples[1] (same unit and seq)");
		run.samples[5].unit = run.samples[0].unit;
		mg_run_release(&run);
	}

	/* A size limit of the caller's buffer is respected. */
	{
		mg_buf small = MG_BUF_INIT(100);
		mg_err err = MG_ERR_INIT;

		make_small_run(&run);
		assert_int_equal(mg_runjson_write(&small, &run, &err),
		                 MG_ELIMIT);
		assert_string_equal(err.msg,
		                    "run document larger than 100 bytes");
		assert_int_equal(small.len, 0);
		mg_buf_release(&small);
		mg_run_release(&run);
	}
}

/* ---- the schema, checked by an independent implementation ---- */

static void test_schema(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf out = MG_BUF_INIT(1 << 20);
	char *dir = mgt_tmpdir();
	char *path = mgt_path(dir, "run.json");
	char *argv[] = {"python3",
	                MG_SOURCE_DIR "/tests/unit/validate_run_schema.py",
	                MG_SOURCE_DIR "/schema/run.schema.json", path, NULL};
	mg_run run;
	int rc;

	(void)state;
	make_full_run(&run);
	write_doc(&doc, &run);
	mgt_write_file(path, doc.ptr, doc.len);
	rc = mgt_run(NULL, argv, &out, &out);
	mg_run_release(&run);
	mg_buf_release(&doc);
	free(path);
	mgt_tmpdir_free(dir);
	if (rc == 77) {
		mg_buf_release(&out);
		skip();
	}
	if (rc != 0)
		fail_msg("validate_run_schema.py exited %d:\n%s", rc, out.ptr);
	assert_non_null(strstr(out.ptr, "1 documents, 0 problems"));
	mg_buf_release(&out);
}

/* ---- base64 ---- */

static void test_base64(void **state)
{
	/* RFC 4648, section 10. */
	static const char *const vec[][2] = {{"", ""},
	                                     {"f", "Zg=="},
	                                     {"fo", "Zm8="},
	                                     {"foo", "Zm9v"},
	                                     {"foob", "Zm9vYg=="},
	                                     {"fooba", "Zm9vYmE="},
	                                     {"foobar", "Zm9vYmFy"}};
	static const char *const bad[][2] = {
	        {"Zg=", "invalid base64: length 3 is not a multiple of 4"},
	        {"Zh==", "invalid base64 at offset 1: non-zero padding bits"},
	        {"Zm9=", "invalid base64 at offset 2: non-zero padding bits"},
	        {"Z===", "invalid base64 at offset 1"},
	        {"Zg=A", "invalid base64 at offset 2"},
	        {"=Zm9", "invalid base64 at offset 0"},
	        {" Zm9v", "invalid base64: length 5 is not a multiple of 4"},
	        {"Zm9v\n   ", "invalid base64 at offset 4"},
	        {"Zm-v", "invalid base64 at offset 2"}};
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	unsigned char *dec, *big;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		mg_buf_reset(&b);
		assert_int_equal(
		        mg_base64_encode(&b, (const unsigned char *)vec[i][0],
		                         strlen(vec[i][0])),
		        0);
		assert_string_equal(b.ptr, vec[i][1]);
		assert_int_equal(mg_base64_decode(&dec, &n, vec[i][1],
		                                  strlen(vec[i][1]), &err),
		                 0);
		assert_int_equal(n, strlen(vec[i][0]));
		assert_memory_equal(dec, vec[i][0], n);
		free(dec);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(mg_base64_decode(&dec, &n, bad[i][0],
		                                  strlen(bad[i][0]), &err),
		                 MG_EINPUT);
		assert_string_equal(err.msg, bad[i][1]);
	}
	/* Across the encoder's 48 KiB chunks; EVP_DecodeBlock as oracle. */
	n = 100001;
	big = malloc(n);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 131 + 7);
	mg_buf_reset(&b);
	assert_int_equal(mg_base64_encode(&b, big, n), 0);
	assert_int_equal(b.len, (n + 2) / 3 * 4);
	{
		unsigned char *ref = malloc(b.len);

		assert_int_equal(EVP_DecodeBlock(ref, (unsigned char *)b.ptr,
		                                 (int)b.len),
		                 (int)(b.len / 4 * 3));
		assert_memory_equal(ref, big, n);
		free(ref);
	}
	assert_int_equal(mg_base64_decode(&dec, &i, b.ptr, b.len, &err), 0);
	assert_int_equal(i, n);
	/* page-aligned, for O_DIRECT (blobdir.h) */
	assert_int_equal((uintptr_t)dec % 4096, 0);
	assert_memory_equal(dec, big, n);
	free(dec);
	free(big);
	mg_buf_release(&b);
}

/*
 * The vector decoder (AVX2, where the CPU has it) and the tables give the
 * same bytes and the same refusals: random texts of every length up to
 * 300 characters, then every byte value at offsets inside and around the
 * vector steps of a 256-character text.
 */
static int decode_both(const char *s, size_t len, char *msg, size_t msglen)
{
	mg_err e1 = MG_ERR_INIT, e2 = MG_ERR_INIT;
	unsigned char *d1 = NULL, *d2 = NULL;
	size_t n1 = 0, n2 = 0;
	int r1, r2;

	mg_base64_set_vector(true);
	r1 = mg_base64_decode(&d1, &n1, s, len, &e1);
	mg_base64_set_vector(false);
	r2 = mg_base64_decode(&d2, &n2, s, len, &e2);
	mg_base64_set_vector(true);
	assert_int_equal(r1, r2);
	if (r1 == 0) {
		assert_int_equal(n1, n2);
		assert_memory_equal(d1, d2, n1);
	} else {
		assert_string_equal(e1.msg, e2.msg);
		snprintf(msg, msglen, "%s", e1.msg);
	}
	free(d1);
	free(d2);
	return r1;
}

static void test_base64_vector(void **state)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	unsigned char raw[300];
	char text[512], msg[sizeof(((mg_err *)0)->msg)], want[64];
	size_t len, k, at;
	unsigned seed = 12345;
	int c;

	(void)state;
	print_message("vector decoder: %s\n",
	              mg_base64_vector() ? "AVX2" : "none on this CPU");
	for (len = 0; len < sizeof(raw); len++) {
		for (k = 0; k < len; k++) {
			seed = seed * 1103515245u + 12345u;
			raw[k] = (unsigned char)(seed >> 16);
		}
		mg_buf_reset(&b);
		assert_int_equal(mg_base64_encode(&b, raw, len), 0);
		assert_int_equal(decode_both(b.ptr, b.len, msg, sizeof(msg)),
		                 0);
	}
	/* 192 bytes: 256 characters, no padding. */
	for (k = 0; k < 192; k++)
		raw[k] = (unsigned char)(k * 37 + 11);
	mg_buf_reset(&b);
	assert_int_equal(mg_base64_encode(&b, raw, 192), 0);
	assert_int_equal(b.len, 256);
	for (at = 0; at < 256; at += (at < 80 || at > 200) ? 1 : 7) {
		for (c = 0; c < 256; c++) {
			memcpy(text, b.ptr, 256);
			text[at] = (char)c;
			msg[0] = '\0';
			if (isalnum(c) || c == '+' || c == '/') {
				assert_int_equal(decode_both(text, 256, msg,
				                             sizeof(msg)),
				                 0);
				continue;
			}
			if (c == '=' && at == 255)
				continue; /* padding: its bits decide */
			assert_int_equal(
			        decode_both(text, 256, msg, sizeof(msg)),
			        MG_EINPUT);
			snprintf(want, sizeof(want),
			         "invalid base64 at offset %zu", at);
			assert_string_equal(msg, want);
		}
	}
	mg_buf_release(&b);
}

/* ---- refusals ---- */

/* The document of make_small_run() plus one profile of "abc". */
static char *small_doc(size_t *len)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_run run;
	size_t pi;

	make_small_run(&run);
	assert_int_equal(mg_run_add_profile(&run, &pi, "heap", "",
	                                    (const unsigned char *)"abc", 3),
	                 0);
	assert_int_equal(
	        mg_profile_add_sample_type(&run.profiles[pi], "space/bytes"),
	        0);
	assert_int_equal(mg_profile_add_func(&run.profiles[pi], 0, "main.f",
	                                     "f.go", 10, 20),
	                 0);
	write_doc(&doc, &run);
	mg_run_release(&run);
	*len = doc.len;
	return mg_buf_detach(&doc);
}

/* doc with the first `from` replaced by `to` (which must occur). */
static char *edit(const char *doc, const char *from, const char *to)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *at = strstr(doc, from);

	if (at == NULL)
		fail_msg("'%s' not in the document", from);
	assert_int_equal(mg_buf_put(&b, doc, (size_t)(at - doc)), 0);
	assert_int_equal(mg_buf_puts(&b, to), 0);
	assert_int_equal(mg_buf_puts(&b, at + strlen(from)), 0);
	return mg_buf_detach(&b);
}

static void expect_read(const char *data, size_t len, int code, const char *msg)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;
	int rc;

	/* Untouched on error: a marker that release would not survive. */
	memset(&run, 0x5a, sizeof(run));
	rc = read_doc(&run, data, len, &err, NULL);
	if (rc != code)
		fail_msg("got %d (%s), want %d (%s)", rc, err.msg, code, msg);
	if (code != 0) {
		assert_string_equal(err.msg, msg);
		assert_int_equal(run.nsamples, (size_t)0x5a5a5a5a5a5a5a5aULL);
	} else {
		mg_run_release(&run);
	}
}

static void expect_edit(const char *doc, const char *from, const char *to,
                        int code, const char *msg)
{
	char *d = edit(doc, from, to);

	expect_read(d, strlen(d), code, msg);
	free(d);
}

static void test_read_refuses_fields(void **state)
{
	size_t len;
	char *doc = small_doc(&len);
	char *long_str;

	(void)state;
	expect_read(doc, len, 0, NULL);
	expect_edit(doc, "\"memgate-run\"", "\"memgate-runs\"", MG_EINPUT,
	            "field 'format': expected 'memgate-run', got "
	            "'memgate-runs'");
	expect_edit(doc, "\"version\":1", "\"version\":2", MG_EINPUT,
	            "field 'version': unsupported version 2 (this memgate "
	            "reads version 1)");
	expect_edit(doc, "\"format\":\"memgate-run\",", "", MG_EINPUT,
	            "field 'format': missing");
	expect_edit(doc,
	            "\"sha\":\"0123456789abcdef0123456789abcdef01234567\",", "",
	            MG_EINPUT, "field 'commit.sha': missing");
	expect_edit(doc, "0123456789abcdef0123456789abcdef01234567",
	            "0123456789abcdef0123456789abcdef0123456", MG_EINPUT,
	            "field 'commit.sha': expected 40 lower-case hex digits, "
	            "got '0123456789abcdef0123456789abcdef0123456'");
	expect_edit(doc, "0123456789abcdef0123456789abcdef01234567",
	            "0123456789ABCDEF0123456789abcdef01234567", MG_EINPUT,
	            "field 'commit.sha': expected 40 lower-case hex digits, "
	            "got '0123456789ABCDEF0123456789abcdef01234567'");
	expect_edit(doc, "\"value\":12.5", "\"value\":\"12.5\"", MG_EINPUT,
	            "field 'benchmarks[0].samples[0].value': expected a "
	            "number");
	expect_edit(doc, "\"iterations\":100", "\"iterations\":1.5", MG_EINPUT,
	            "field 'benchmarks[0].samples[0].iterations': expected an "
	            "integer, got 1.5");
	expect_edit(doc, "\"iterations\":100", "\"iterations\":-1", MG_EINPUT,
	            "field 'benchmarks[0].samples[0].iterations': negative");
	expect_edit(doc, "\"iterations\":100",
	            "\"iterations\":9007199254740992", MG_EINPUT,
	            "field 'benchmarks[0].samples[0].iterations': out of range "
	            "(beyond 2^53-1)");
	expect_edit(doc, "\"value\":12.5", "\"value\":1e999", MG_EINPUT,
	            "field 'benchmarks[0].samples[0].value': not a finite "
	            "number");
	expect_edit(doc, "\"allocs/op\"", "\"allocs op\"", MG_EINPUT,
	            "field 'benchmarks[0].samples[2].unit': invalid character "
	            "in 'allocs op'");
	expect_edit(doc, "\"unit\":\"B/op\"", "\"unit\":[]", MG_EINPUT,
	            "field 'benchmarks[0].samples[1].unit': expected a "
	            "string");
	expect_edit(doc, "\"subject\":null", "\"subject\":\"ab\xff\"",
	            MG_EINPUT,
	            "field 'commit.subject': invalid UTF-8 at byte 2");
	expect_edit(doc, "\"subject\":null", "\"subject\":\"\xed\xa0\x80\"",
	            MG_EINPUT,
	            "field 'commit.subject': invalid UTF-8 at byte 0");
	expect_edit(doc, "\"dirty\":false", "\"dirty\":0", MG_EINPUT,
	            "field 'dirty': expected true or false");
	expect_edit(doc, "\"status\":\"ok\"", "\"status\":\"OK\"", MG_EINPUT,
	            "field 'status': expected 'ok' or 'failed', got 'OK'");
	expect_edit(doc, "\"pr\":null",
	            "\"pr\":{\"number\":0,"
	            "\"base_ref\":null,\"base_sha\":null}",
	            MG_EINPUT, "field 'pr.number': less than 1");
	expect_edit(doc, "\"pr\":null",
	            "\"pr\":{\"number\":3,"
	            "\"base_ref\":null,\"base_sha\":\"x\"}",
	            MG_EINPUT,
	            "field 'pr.base_sha': expected 40 lower-case hex digits, "
	            "got 'x'");
	expect_edit(doc, "\"procs\":0", "\"procs\":4294967296", MG_EINPUT,
	            "field 'benchmarks[0].procs': greater than 2147483647");
	expect_edit(doc, "\"config\":{}",
	            "\"config\":{\"goos\":\"linux\",\"goos\":\"plan9\"}",
	            MG_EINPUT,
	            "field 'benchmarks[0].config': duplicate key 'goos'");
	expect_edit(doc, "\"config\":{}", "\"config\":{\"cpu\":4}", MG_EINPUT,
	            "field 'benchmarks[0].config.cpu': expected a string");
	expect_edit(doc, "\"project\":\"p\"",
	            "\"project\":\"p\",\"project\":\"q\"", MG_EINPUT,
	            "field 'project': duplicate key");
	expect_edit(doc, "\"project\":\"p\"", "\"project\":\"\"", MG_EINPUT,
	            "field 'project': empty");
	expect_edit(doc, "\"seq\":0}", "\"seq\":0,\"seq\":1}", MG_EINPUT,
	            "field 'benchmarks[0].samples[0].seq': duplicate key");
	expect_edit(doc, "\"unit\":\"B/op\"", "\"unit\":\"ns/op\"", MG_EINPUT,
	            "field 'benchmarks[0].samples[1]': duplicate of samples[0] "
	            "(same unit and seq)");
	expect_edit(doc, "\"benchmarks\":[",
	            "\"benchmarks\":[{\"name\":"
	            "\"BenchmarkA\",\"package\":\"\",\"procs\":0,\"config\":"
	            "{\"x\":\"y\"},\"samples\":[]},",
	            MG_EINPUT,
	            "field 'benchmarks[1]': duplicate of benchmarks[0] (same "
	            "package, name and procs)");
	expect_edit(doc, "\"sample_type\":\"space/bytes\"",
	            "\"sample_type\":\"space/count\"", MG_EINPUT,
	            "field 'profiles[0].functions[0].sample_type': not one of "
	            "the profile's sample_types");
	expect_edit(doc, "[\"space/bytes\"]",
	            "[\"space/bytes\",\"space/count\"]", MG_EINPUT,
	            "field 'profiles[0].sample_types[1]': duplicate sample "
	            "type 'space/count' (as sample_types[0])");
	/*
	 * "abc" encodes as YWJj; its SHA-256 is the FIPS 180-2 example, and
	 * that of "abd" (YWJk) was computed with sha256sum.
	 */
	expect_edit(doc, "\"YWJj\"", "\"YWJk\"", MG_EINPUT,
	            "field 'profiles[0].sha256': does not match data_base64, "
	            "whose sha256 is a52d159f262b2c6ddb724a61840befc36eb30c88"
	            "877a4030b65cbe86298449c9");
	expect_edit(doc,
	            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410"
	            "ff61f20015ad",
	            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	            "f20015ae",
	            MG_EINPUT,
	            "field 'profiles[0].sha256': does not match data_base64, "
	            "whose sha256 is ba7816bf8f01cfea414140de5dae2223b00361a3"
	            "96177a9cb410ff61f20015ad");
	expect_edit(doc, "\"YWJj\"", "\"YWJ=\"", MG_EINPUT,
	            "field 'profiles[0].data_base64': invalid base64 at offset "
	            "2: non-zero padding bits");
	expect_edit(doc, "\"YWJj\"", "\"YW Jj\"", MG_EINPUT,
	            "field 'profiles[0].data_base64': invalid base64: length 5 "
	            "is not a multiple of 4");

	/* One byte over the limit; the limit itself is fine. */
	long_str = malloc(MG_RUN_MAX_STR + 40);
	memset(long_str, 'x', MG_RUN_MAX_STR + 39);
	memcpy(long_str, "\"project\":\"", 11);
	memcpy(long_str + 11 + MG_RUN_MAX_STR + 1, "\"", 2);
	expect_edit(doc, "\"project\":\"p\"", long_str, MG_EINPUT,
	            "field 'project': longer than 65536 bytes");
	memcpy(long_str + 11 + MG_RUN_MAX_STR, "\"", 2);
	expect_edit(doc, "\"project\":\"p\"", long_str, 0, NULL);
	free(long_str);

	/* Unknown members are ignored, wherever they are. */
	expect_edit(doc, "\"seq\":0}",
	            "\"seq\":0,\"note\":{\"a\":[1,2.5,null,true,\"\\u00e9\"]}}",
	            0, NULL);
	expect_edit(doc, "{\"format\"",
	            "{\"x-future\":[[[[[[[[[[]]]]]]]]]],"
	            "\"format\"",
	            0, NULL);
	free(doc);
}

static void test_read_refuses_syntax(void **state)
{
	size_t len, i;
	char *doc = small_doc(&len), *deep, *big;
	char prefix[64], msg[128];
	int n;

	(void)state;
	expect_read("", 0, MG_EINPUT, "empty run document");
	expect_read(
	        "   \n", 4, MG_EINPUT,
	        "invalid JSON at line 2, column 1: unexpected end of input");
	expect_read("[]", 2, MG_EINPUT, "run document: expected a JSON object");
	/* Truncated after the version member. */
	n = snprintf(prefix, sizeof(prefix), "%s",
	             "{\"format\":\"memgate-run\",\"version\":1,");
	assert_memory_equal(doc, prefix, (size_t)n);
	expect_read(doc, (size_t)n, MG_EINPUT,
	            "invalid JSON at line 1, column 37: unexpected end of "
	            "input");
	expect_read(doc, 20, MG_EINPUT,
	            "invalid JSON at line 1, column 21: unexpected end of "
	            "input in a string");
	/* Without the final '}': the document is one line of len bytes. */
	assert_null(memchr(doc, '\n', len));
	snprintf(msg, sizeof(msg),
	         "invalid JSON at line 1, column %zu: unexpected end of input",
	         len);
	expect_read(doc, len - 1, MG_EINPUT, msg);
	expect_edit(doc, "\"version\":1", "\"version\":01", MG_EINPUT,
	            "invalid JSON at line 1, column 35: malformed number");
	expect_edit(doc, "\"version\":1", "\"version\":+1", MG_EINPUT,
	            "invalid JSON at line 1, column 35: unexpected character");
	expect_edit(doc, "\"version\":1", "\"version\":1.", MG_EINPUT,
	            "invalid JSON at line 1, column 35: malformed number");
	expect_edit(doc, "\"version\":1", "\"version\":tru", MG_EINPUT,
	            "invalid JSON at line 1, column 35: unexpected character");
	expect_edit(doc, "\"version\":1,", "\"version\":1,\n\t\"x\":1 2,",
	            MG_EINPUT,
	            "invalid JSON at line 2, column 8: expected ',' or '}'");
	expect_edit(doc, "\"project\":\"p\"", "\"project\":\"a\tb\"", MG_EINPUT,
	            "invalid JSON at line 1, column 49: control character in "
	            "a string (must be escaped)");
	expect_edit(doc, "\"project\":\"p\"", "\"project\":\"a\\u0000b\"",
	            MG_EINPUT,
	            "invalid JSON at line 1, column 49: \\u0000 in a string is "
	            "not supported");
	expect_edit(doc, "\"project\":\"p\"", "\"project\":\"\\uZZZZ\"",
	            MG_EINPUT,
	            "invalid JSON at line 1, column 48: invalid \\u escape");
	expect_edit(doc, "\"project\":\"p\"", "\"project\":\"\\ud800x\"",
	            MG_EINPUT,
	            "invalid JSON at line 1, column 48: unpaired surrogate");
	expect_edit(doc, "\"project\":\"p\"", "\"project\":\"\\ud83d\\ude00\"",
	            0, NULL);
	expect_edit(doc, "\"project\":\"p\"", "\"project\":\"\\x41\"",
	            MG_EINPUT,
	            "invalid JSON at line 1, column 48: invalid escape");
	expect_edit(doc, "\"project\":\"p\"", "\"project\":\"p\"]", MG_EINPUT,
	            "invalid JSON at line 1, column 50: mismatched bracket");
	expect_edit(doc, "{\"format\"", "\xef\xbb\xbf{\"format\"", MG_EINPUT,
	            "invalid JSON at line 1, column 1: unexpected character");
	/* Bad UTF-8 in a key no field reads is still refused. */
	expect_edit(doc, "{\"format\"", "{\"x\xc0\":1,\"format\"", MG_EINPUT,
	            "invalid UTF-8 at line 1, column 4");
	{
		char *d = malloc(len + 8);

		memcpy(d, doc, len);
		memcpy(d + len, " \n{}", 4);
		expect_read(d, len + 4, MG_EINPUT,
		            "invalid JSON at line 2, column 1: unexpected data "
		            "after the document");
		memcpy(d + len, " \r\n\t ", 5);
		expect_read(d, len + 5, 0, NULL);
		free(d);
	}

	/* Deeply nested junk, as the document and inside an unknown member. */
	deep = malloc(100001);
	memset(deep, '[', 100000);
	expect_read(deep, 100000, MG_EINPUT,
	            "invalid JSON at line 1, column 33: nested deeper than 32 "
	            "levels");
	memcpy(deep, "{\"x\":", 5);
	expect_read(deep, 100000, MG_EINPUT,
	            "invalid JSON at line 1, column 37: nested deeper than 32 "
	            "levels");
	free(deep);

	/* Too many values: stops at the limit, before the tree is built. */
	big = malloc(2 * (size_t)MG_RUNJSON_MAX_VALUES + 8);
	memcpy(big, "{\"x\":[", 6);
	for (i = 0; i < MG_RUNJSON_MAX_VALUES; i++)
		memcpy(big + 6 + 2 * i, "0,", 2);
	memcpy(big + 6 + 2 * i - 1, "]}", 2);
	expect_read(big, 6 + 2 * i + 1, MG_ELIMIT,
	            "run document has more than 4194304 JSON values");
	free(big);
	/* Too large: refused before a byte is read. */
	big = calloc(1, (size_t)MG_RUNJSON_MAX_INPUT + 1);
	expect_read(big, (size_t)MG_RUNJSON_MAX_INPUT + 1, MG_ELIMIT,
	            "run document larger than 67108864 bytes");
	free(big);
	free(doc);
}

/* ---- the one-pass reader ---- */

/* d is accepted, by the one-pass reader or not, and as the tree reads it. */
static void expect_pulled(const char *d, bool want)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;
	bool pulled;

	if (read_doc(&run, d, strlen(d), &err, &pulled) != 0)
		fail_msg("refused: %s\n%s", err.msg, d);
	if (pulled != want)
		fail_msg("one-pass reader %s: %s", pulled ? "took" : "left", d);
	mg_run_release(&run);
}

/* doc with each `from` replaced by `to` in turn (edit(), chained). */
static void expect_edits_pulled(const char *doc, const char *const *ft,
                                size_t n, bool want)
{
	char *d = mg_strdup(doc), *next;
	size_t i;

	for (i = 0; i < n; i++) {
		next = edit(d, ft[2 * i], ft[2 * i + 1]);
		free(d);
		d = next;
	}
	expect_pulled(d, want);
	free(d);
}

#define EDITS(doc, want, ...)                                                  \
	do {                                                                   \
		const char *const ft_[] = {__VA_ARGS__};                       \
		expect_edits_pulled(doc, ft_,                                  \
		                    sizeof(ft_) / sizeof(ft_[0]) / 2, want);   \
	} while (0)

/*
 * Which documents the one-pass reader takes, and which it leaves to the
 * tree. Either way read_doc() checks that the run is the tree's, field by
 * field; the refusals of the tests above went through it too.
 */
static void test_pull(void **state)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t len, i;
	char *doc = small_doc(&len);

	(void)state;
	expect_pulled(doc, true);
	/* whitespace between every token */
	for (i = 0; i < len; i++) {
		assert_int_equal(mg_buf_putc(&b, doc[i]), 0);
		if (strchr(",:[]{}", doc[i]) &&
		    (i == 0 || doc[i - 1] != '"' || doc[i + 1] != '"'))
			assert_int_equal(mg_buf_puts(&b, "\n\t \r"), 0);
	}
	expect_pulled(b.ptr, true);
	/* escapes, unescaped as the tree does */
	EDITS(doc, true, "\"project\":\"p\"",
	      "\"project\":\"\\u0070\\n\\\"\\/\\ud83d\\ude00\u00e9\"");
	EDITS(doc, true, "\"unit\":\"ns/op\"", "\"unit\":\"ns\\/op\"");
	EDITS(doc, true, "\"data_base64\":\"YWJj\"",
	      "\"data_base64\":\"YW\\u004aj\"");
	/* members in another order, where nothing depends on it */
	EDITS(doc, true,
	      "{\"unit\":\"ns/op\",\"value\":12.5,"
	      "\"iterations\":100,\"seq\":0}",
	      "{\"seq\":0,\"iterations\":100,\"value\":12.5,"
	      "\"unit\":\"ns/op\"}");
	EDITS(doc, true, ",\"dirty\":false", "", "{\"format\"",
	      "{\"dirty\":false,\"format\"");
	{
		/* the profiles before the benchmarks */
		const char *bs = strstr(doc, ",\"benchmarks\":");
		const char *ps = strstr(doc, ",\"profiles\":");

		assert_true(bs && ps && bs < ps);
		mg_buf_reset(&b);
		assert_int_equal(mg_buf_put(&b, doc, (size_t)(bs - doc)), 0);
		assert_int_equal(
		        mg_buf_put(&b, ps, (size_t)(doc + len - 1 - ps)), 0);
		assert_int_equal(mg_buf_put(&b, bs, (size_t)(ps - bs)), 0);
		assert_int_equal(mg_buf_putc(&b, '}'), 0);
		expect_pulled(b.ptr, true);
	}
	EDITS(doc, true, "\"data_base64\":\"YWJj\",", "",
	      "\"functions\":", "\"data_base64\":\"YWJj\",\"functions\":");
	/* integers in other forms */
	EDITS(doc, true, "\"iterations\":100", "\"iterations\":1e2",
	      "\"cum\":20", "\"cum\":20.0", "\"version\":1",
	      "\"version\":0.1e1");
	EDITS(doc, true, "\"value\":12.5", "\"value\":-0.125E+2");
	/* a failed run */
	EDITS(doc, true, "\"status\":\"ok\"", "\"status\":\"failed\"");

	/* Left to the tree, and read the same. */
	EDITS(doc, false, "{\"format\"", "{\"x\":[1,{\"y\":null}],\"format\"");
	EDITS(doc, false, "\"config\":{},\"samples\"", "\"samples\"",
	      "]}],\"profiles\"",
	      "],\"config\":{\"goos\":\"linux\"}}],\"profiles\"");
	EDITS(doc, false,
	      "\"sample_types\":[\"space/bytes\"],"
	      "\"default_sample_type\":null,",
	      "\"default_sample_type\":null,\"sample_types\":"
	      "[\"space/bytes\"],");
	EDITS(doc, false,
	      "\"functions\":[{\"sample_type\":\"space/bytes\","
	      "\"function\":\"main.f\",\"file\":\"f.go\",\"flat\":10,"
	      "\"cum\":20}]",
	      "\"functions\":[]", "{\"kind\"",
	      "{\"functions\":[{\"sample_type\":\"space/bytes\","
	      "\"function\":\"main.f\",\"file\":\"f.go\",\"flat\":10,"
	      "\"cum\":20}],\"kind\"",
	      ",\"functions\":[]", "");
	/* Bad UTF-8 in a string no field reads: the tree refuses it. */
	expect_edit(doc, "{\"format\"", "{\"x\":\"\xc0\",\"format\"", MG_EINPUT,
	            "invalid UTF-8 at line 1, column 7");
	mg_buf_release(&b);
	free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_nulls_and_numbers),
	        cmocka_unit_test(test_write_invalid_utf8),
	        cmocka_unit_test(test_write_refuses),
	        cmocka_unit_test(test_schema),
	        cmocka_unit_test(test_base64),
	        cmocka_unit_test(test_base64_vector),
	        cmocka_unit_test(test_read_refuses_fields),
	        cmocka_unit_test(test_read_refuses_syntax),
	        cmocka_unit_test(test_pull),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
