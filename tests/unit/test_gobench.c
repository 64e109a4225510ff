/*
 * test_gobench.c - the Go benchmark format reader.
 *
 * Golden files: tests/fixtures/gobench/<case>.txt is read as "<case>.txt"
 * and its dump (dump() below) must equal <case>.want.json, or the error
 * message must equal <case>.want.err. MG_UPDATE_GOLDEN=1 rewrites them.
 * When Go is installed, each fixture is also read by gobench_ref (a Go
 * program that applies the same rules with Go's strconv, unicode and
 * encoding/json) and the dumps must agree, warning lines included; so the
 * golden files are checked against Go, not only against this reader.
 * The last tests run the real Go toolchain on a tiny module whose
 * benchmarks allocate a known number of bytes.
 */
#include <errno.h>
#include <math.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgtest.h"
#include "gobench.h"
#include "run.h"

static char *go_tmp; /* GOCACHE, GOPATH and HOME for go */
static char *go_ref; /* built gobench_ref, NULL without Go */
static bool have_go;

/* ---- the canonical dump (tests/unit/gobench_ref writes the same) ---- */

static void put_str(mg_buf *b, const char *s)
{
	mg_buf_putc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			mg_buf_putc(b, '\\');
			mg_buf_putc(b, (char)c);
		} else if (c < 0x20) {
			mg_buf_printf(b, "\\u%04x", c);
		} else {
			mg_buf_putc(b, (char)c);
		}
	}
	mg_buf_putc(b, '"');
}

/*
 * Whole numbers below 1e15 as integers, others as the shortest %.<p>g
 * that reads back as v; strings for NaN and Inf.
 */
static void put_num(mg_buf *b, double v)
{
	char buf[64];
	int p;

	if (isnan(v)) {
		mg_buf_puts(b, "\"NaN\"");
		return;
	}
	if (isinf(v)) {
		mg_buf_puts(b, v > 0 ? "\"+Inf\"" : "\"-Inf\"");
		return;
	}
	if (v == floor(v) && fabs(v) < 1e15) {
		mg_buf_printf(b, "%.0f", v);
		return;
	}
	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	if (p == 17)
		snprintf(buf, sizeof(buf), "%.17g", v);
	mg_buf_puts(b, buf);
}

static void dump(mg_buf *b, const mg_gobench *gb, bool msgs)
{
	size_t i, j, n;

	mg_buf_puts(b, "{\"results\": [\n");
	n = mg_gobench_count(gb);
	for (i = 0; i < n; i++) {
		const mg_gobench_result *r = mg_gobench_result_at(gb, i);

		mg_buf_printf(b, "{\"line\": %zu, \"name\": ", r->line);
		put_str(b, r->name);
		mg_buf_printf(b,
		              ", \"procs\": %d, \"iterations\": %lld, "
		              "\"package\": ",
		              r->procs, (long long)r->iterations);
		put_str(b, r->package);
		mg_buf_puts(b, ", \"values\": [");
		for (j = 0; j < r->nvalues; j++) {
			mg_buf_puts(b, j ? ", [" : "[");
			put_str(b, r->values[j].unit);
			mg_buf_puts(b, ", ");
			put_num(b, r->values[j].value);
			mg_buf_puts(b, "]");
		}
		mg_buf_puts(b, "], \"config\": [");
		for (j = 0; j < r->nconfig; j++) {
			mg_buf_puts(b, j ? ", [" : "[");
			put_str(b, r->config[j].key);
			mg_buf_puts(b, ", ");
			put_str(b, r->config[j].value);
			mg_buf_puts(b, "]");
		}
		mg_buf_puts(b, i + 1 < n ? "]},\n" : "]}\n");
	}
	mg_buf_puts(b, "],\n\"units\": [\n");
	n = mg_gobench_nunit_meta(gb);
	for (i = 0; i < n; i++) {
		const mg_gobench_unit_meta *u = mg_gobench_unit_meta_at(gb, i);

		mg_buf_printf(b, "{\"line\": %zu, \"unit\": ", u->line);
		put_str(b, u->unit);
		mg_buf_puts(b, ", \"key\": ");
		put_str(b, u->key);
		mg_buf_puts(b, ", \"value\": ");
		put_str(b, u->value);
		mg_buf_puts(b, i + 1 < n ? "},\n" : "}\n");
	}
	mg_buf_puts(b, "],\n\"warnings\": [\n");
	n = mg_gobench_nwarnings(gb);
	for (i = 0; i < n; i++) {
		const mg_gobench_warning *w = mg_gobench_warning_at(gb, i);

		mg_buf_printf(b, "{\"line\": %zu", w->line);
		if (msgs) {
			mg_buf_puts(b, ", \"msg\": ");
			put_str(b, w->msg);
		}
		mg_buf_puts(b, i + 1 < n ? "},\n" : "}\n");
	}
	mg_buf_puts(b, "]}\n");
}

/* ---- Go ---- */

static char *go_path(const char *name)
{
	return mgt_path(go_tmp, name);
}

/*
 * Go must not touch the user's caches or the network: everything it
 * writes goes under a temp dir, and no module can be downloaded. Called
 * once from main (outside any test), so it reports instead of asserting.
 */
static int setup_go(void)
{
	mg_buf out = MG_BUF_INIT(1 << 20), errout = MG_BUF_INIT(1 << 20);
	char *argv[] = {"go", "version", NULL};
	char *cache, *gopath, *src;
	int rc = 0;

	go_tmp = mgt_tmpdir();
	cache = go_path("cache");
	gopath = go_path("gopath");
	setenv("GOCACHE", cache, 1);
	setenv("GOPATH", gopath, 1);
	setenv("HOME", go_tmp, 1);
	setenv("GOPROXY", "off", 1);
	setenv("GOFLAGS", "", 1);
	setenv("CGO_ENABLED", "0", 1);
	setenv("GOTOOLCHAIN", "local", 1);
	unsetenv("GO111MODULE");
	free(cache);
	free(gopath);
	have_go = mgt_run(NULL, argv, &out, &errout) == 0;
	if (!have_go) {
		fprintf(stderr, "go not found: Go comparisons are skipped\n");
		goto done;
	}
	go_ref = go_path("gobench_ref");
	src = mgt_path(MG_SOURCE_DIR, "tests/unit/gobench_ref/main.go");
	{
		char *build[] = {"go", "build", "-o", go_ref, src, NULL};

		mg_buf_reset(&errout);
		if (mgt_run(go_tmp, build, NULL, &errout) != 0) {
			fprintf(stderr, "building gobench_ref failed:\n%s\n",
			        errout.ptr);
			rc = -1;
		}
	}
	free(src);
done:
	mg_buf_release(&out);
	mg_buf_release(&errout);
	return rc;
}

static void teardown_go(void)
{
	free(go_ref);
	go_ref = NULL;
	mgt_tmpdir_free(go_tmp);
	go_tmp = NULL;
}

static void go_ref_dump(mg_buf *out, const char *path)
{
	char *argv[] = {go_ref, (char *)path, NULL};
	mg_buf errout = MG_BUF_INIT(1 << 20);
	int rc = mgt_run(NULL, argv, out, &errout);

	if (rc != 0)
		fprintf(stderr, "gobench_ref: %s\n", errout.ptr);
	assert_int_equal(rc, 0);
	mg_buf_release(&errout);
}

/* ---- golden fixtures ---- */

static bool update_golden(void)
{
	const char *u = getenv("MG_UPDATE_GOLDEN");

	return u != NULL && strcmp(u, "1") == 0;
}

static char *fixture(const char *name, const char *suffix)
{
	mg_buf b = MG_BUF_INIT(4096);

	assert_int_equal(
	        mg_buf_printf(&b, "%s/gobench/%s%s", MG_FIXTURES, name, suffix),
	        0);
	return mg_buf_detach(&b);
}

static void test_fixture(void **state)
{
	const char *name = *state;
	char *txt = fixture(name, ".txt"), *wjson = fixture(name, ".want.json");
	char *werr = fixture(name, ".want.err"), *data, *want, *label;
	mg_buf got = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf ref = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	mg_gobench *gb = NULL;
	size_t len;
	int rc;

	data = mgt_read_file(txt, &len);
	assert_non_null(data);
	label = strrchr(txt, '/') + 1;
	rc = mg_gobench_parse(&gb, data, len, label, &err);
	want = mgt_read_file(access(werr, F_OK) == 0 ? werr : wjson, NULL);
	if (rc < 0) {
		mg_buf_printf(&got, "%s\n", err.msg);
		assert_null(gb);
	} else {
		dump(&got, gb, true);
	}
	if (update_golden()) {
		unlink(rc < 0 ? wjson : werr);
		mgt_write_file(rc < 0 ? werr : wjson, got.ptr, got.len);
	} else {
		assert_non_null(want);
		assert_string_equal(got.ptr, want);
	}
	if (go_ref != NULL) {
		go_ref_dump(&ref, txt);
		mg_buf_reset(&got);
		if (rc < 0)
			mg_buf_puts(&got, "ERROR no benchmark results\n");
		else
			dump(&got, gb, false);
		assert_string_equal(got.ptr, ref.ptr);
	}
	mg_gobench_free(gb);
	mg_buf_release(&got);
	mg_buf_release(&ref);
	free(want);
	free(data);
	free(txt);
	free(wjson);
	free(werr);
}

/* ---- behaviour around the limits ---- */

static mg_gobench *parse_ok(const char *text)
{
	mg_err err = MG_ERR_INIT;
	mg_gobench *gb = NULL;
	int rc = mg_gobench_parse(&gb, text, strlen(text), "t.txt", &err);

	if (rc != 0)
		fprintf(stderr, "%s\n", err.msg);
	assert_int_equal(rc, 0);
	return gb;
}

static void test_input_limit(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_gobench *gb = NULL;
	char one = 'x';

	(void)state;
	/* The size is checked before a byte is read. */
	assert_int_equal(mg_gobench_parse(&gb, &one, MG_GOBENCH_MAX_INPUT + 1,
	                                  "big.txt", &err),
	                 MG_ELIMIT);
	assert_null(gb);
	assert_string_equal(err.msg, "big.txt: input of 1073741825 bytes is "
	                             "larger than the limit of 1073741824 "
	                             "bytes");
}

static void test_long_lines(void **state)
{
	mg_buf in = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_gobench *gb;
	size_t i;

	(void)state;
	/* Line 1: a result of 65536 bytes exactly, which is read. */
	mg_buf_puts(&in, "BenchmarkEdge 1 1 ns/op");
	while (in.len < MG_GOBENCH_MAX_LINE)
		mg_buf_putc(&in, ' ');
	mg_buf_puts(&in, "\r\n");
	/* Line 2: one byte more, skipped with a warning. */
	mg_buf_puts(&in, "BenchmarkLong 1 1 ns/op");
	for (i = 0; i < MG_GOBENCH_MAX_LINE - 22; i++)
		mg_buf_putc(&in, ' ');
	/* Line 3: a long log line, skipped silently. */
	mg_buf_puts(&in, "\n    log:");
	for (i = 0; i < 100000; i++)
		mg_buf_putc(&in, 'x');
	mg_buf_puts(&in, "\nBenchmarkAfter 2 2 ns/op\n");
	gb = parse_ok(in.ptr);
	assert_int_equal(mg_gobench_count(gb), 2);
	assert_string_equal(mg_gobench_result_at(gb, 0)->name, "BenchmarkEdge");
	assert_int_equal(mg_gobench_result_at(gb, 1)->line, 4);
	assert_int_equal(mg_gobench_nwarnings(gb), 1);
	assert_string_equal(mg_gobench_warning_at(gb, 0)->msg,
	                    "t.txt:2: line longer than 65536 bytes, skipped");
	mg_gobench_free(gb);
	mg_buf_release(&in);
}

/* A -json result line that grows past the limit over several events. */
static void test_json_long_line(void **state)
{
	mg_buf in = MG_BUF_INIT(MG_BUF_NOLIMIT), chunk = MG_BUF_INIT(8192);
	mg_gobench *gb;
	int i;

	(void)state;
	mg_buf_puts(&in, "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":"
	                 "\"BenchmarkLong-2 \\t1 1 ns/op\"}\n");
	for (i = 0; i < 8192; i++)
		mg_buf_putc(&chunk, 'x');
	for (i = 0; i < 9; i++)
		mg_buf_printf(&in,
		              "{\"Action\":\"output\",\"Package\":\"p\","
		              "\"Output\":\" 1 %s\"}\n",
		              chunk.ptr);
	mg_buf_puts(&in, "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":"
	                 "\"\\n\"}\n");
	mg_buf_puts(&in, "{\"Action\":\"output\",\"Package\":\"p\",\"Output\":"
	                 "\"BenchmarkNext 1 1 ns/op\\n\"}\n");
	gb = parse_ok(in.ptr);
	assert_true(mg_gobench_is_json(gb));
	assert_int_equal(mg_gobench_count(gb), 1);
	assert_string_equal(mg_gobench_result_at(gb, 0)->name, "BenchmarkNext");
	assert_string_equal(mg_gobench_result_at(gb, 0)->package, "p");
	assert_int_equal(mg_gobench_nwarnings(gb), 1);
	assert_string_equal(mg_gobench_warning_at(gb, 0)->msg,
	                    "t.txt:11: line longer than 65536 bytes, skipped");
	mg_gobench_free(gb);
	mg_buf_release(&in);
	mg_buf_release(&chunk);
}

static void test_config_key_limit(void **state)
{
	mg_buf in = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const mg_gobench_result *r;
	mg_gobench *gb;
	int i;

	(void)state;
	for (i = 0; i < MG_GOBENCH_MAX_CONFIG_KEYS + 2; i++)
		mg_buf_printf(&in, "key%d: v%d\n", i, i);
	mg_buf_puts(&in, "key0: changed\nBenchmarkA 1 1 ns/op\n");
	gb = parse_ok(in.ptr);
	r = mg_gobench_result_at(gb, 0);
	assert_int_equal(r->nconfig, MG_GOBENCH_MAX_CONFIG_KEYS);
	assert_string_equal(r->config[0].value, "changed");
	assert_string_equal(r->config[127].key, "key127");
	assert_int_equal(mg_gobench_nwarnings(gb), 2);
	assert_string_equal(mg_gobench_warning_at(gb, 1)->msg,
	                    "t.txt:130: more than 128 configuration keys, "
	                    "'key129' ignored");
	mg_gobench_free(gb);
	mg_buf_release(&in);
}

/*
 * Changing a configuration of 128 keys before every result would make
 * copies far larger than the input: that ends in MG_ELIMIT.
 */
static void test_config_copy_limit(void **state)
{
	mg_buf in = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	mg_gobench *gb = NULL;
	int i, rc;

	(void)state;
	for (i = 0; i < MG_GOBENCH_MAX_CONFIG_KEYS; i++)
		mg_buf_printf(&in, "key%d: v\n", i);
	for (i = 0; i < 2000; i++)
		mg_buf_printf(&in, "key0: %d\nBenchmarkA 1 1 ns/op\n", i);
	rc = mg_gobench_parse(&gb, in.ptr, in.len, "t.txt", &err);
	assert_int_equal(rc, MG_ELIMIT);
	assert_null(gb);
	assert_non_null(strstr(err.msg, "the configuration changes too "
	                                "often"));
	/* The same changes with 4 keys stay within the budget. */
	mg_buf_reset(&in);
	for (i = 0; i < 2000; i++)
		mg_buf_printf(&in,
		              "key0: %d\nkey1: a\nkey2: b\nkey3: c\n"
		              "BenchmarkA 1 1 ns/op\n",
		              i);
	gb = parse_ok(in.ptr);
	assert_int_equal(mg_gobench_count(gb), 2000);
	mg_gobench_free(gb);
	mg_buf_release(&in);
}

static void test_warning_limit(void **state)
{
	mg_buf in = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_gobench *gb;
	int i;

	(void)state;
	for (i = 0; i < MG_GOBENCH_MAX_WARNINGS + 100; i++)
		mg_buf_puts(&in, "BenchmarkBad x\n");
	mg_buf_puts(&in, "BenchmarkGood 1 1 ns/op\n");
	gb = parse_ok(in.ptr);
	assert_int_equal(mg_gobench_count(gb), 1);
	assert_int_equal(mg_gobench_nwarnings(gb), MG_GOBENCH_MAX_WARNINGS);
	assert_int_equal(mg_gobench_warnings_dropped(gb), 100);
	assert_string_equal(mg_gobench_warning_at(gb, 999)->msg,
	                    "t.txt:1000: field 'iterations': expected an "
	                    "integer, got 'x'");
	assert_null(mg_gobench_warning_at(gb, 1000));
	mg_gobench_free(gb);
	mg_buf_release(&in);
}

/* Each value of each line is a sample; nothing is averaged. */
static void test_samples_kept(void **state)
{
	mg_gobench *gb = parse_ok("BenchmarkA-4 10 5 ns/op 8 B/op\n"
	                          "BenchmarkA-4 10 5 ns/op 8 B/op\n"
	                          "BenchmarkA-4 20 7 ns/op 16 B/op\n");
	const mg_gobench_result *r;

	(void)state;
	assert_int_equal(mg_gobench_count(gb), 3);
	assert_int_equal(mg_gobench_nsamples(gb), 6);
	r = mg_gobench_result_at(gb, 2);
	assert_int_equal(r->iterations, 20);
	assert_int_equal(r->procs, 4);
	assert_true(r->values[1].value == 16);
	/* Interned: every result of a name shares one string. */
	assert_ptr_equal(mg_gobench_result_at(gb, 0)->name, r->name);
	assert_null(mg_gobench_result_at(gb, 3));
	assert_string_equal(mg_gobench_name(gb), "t.txt");
	assert_false(mg_gobench_is_json(gb));
	mg_gobench_free(gb);
	mg_gobench_free(NULL);
}

static const mg_kv *run_config(const mg_run *run, size_t b, const char *key)
{
	size_t i;

	for (i = 0; i < run->benches[b].nconfig; i++)
		if (strcmp(run->benches[b].config[i].key, key) == 0)
			return &run->benches[b].config[i];
	return NULL;
}

static void test_to_run(void **state)
{
	mg_gobench *a = parse_ok("goos: linux\npkg: example.com/p\n"
	                         "BenchmarkA-4 10 5 ns/op 8 B/op\n"
	                         "BenchmarkB 10 1 ns/op NaN x/op\n"
	                         "BenchmarkA-4 12 6 ns/op 8 B/op\n"
	                         "BenchmarkA-2 12 6 ns/op\n");
	mg_gobench *b = parse_ok("goos: linux\npkg: example.com/p\n"
	                         "BenchmarkA-4 30 4 ns/op 9 B/op\n"
	                         "pkg: example.com/q\n"
	                         "BenchmarkA-4 30 4 ns/op\n");
	mg_err err = MG_ERR_INIT;
	mg_run run;
	size_t i;

	(void)state;
	mg_run_init(&run);
	assert_int_equal(mg_gobench_to_run(&run, a, &err), 0);
	/* A-4, B, A-2; the NaN sample is left out. */
	assert_int_equal(run.nbenches, 3);
	assert_int_equal(mg_gobench_nonfinite(a), 1);
	assert_int_equal(run.nsamples, 6);
	assert_string_equal(run.benches[0].name, "BenchmarkA");
	assert_string_equal(run.benches[0].package, "example.com/p");
	assert_int_equal(run.benches[0].procs, 4);
	assert_string_equal(run_config(&run, 0, "goos")->value, "linux");
	assert_int_equal(run.benches[2].procs, 2);
	/* seq: the repetition of (benchmark, unit): A-4 ns/op twice. */
	assert_int_equal(run.samples[0].seq, 0);
	assert_int_equal(run.samples[3].bench, 0);
	assert_string_equal(run.samples[3].unit, "ns/op");
	assert_int_equal(run.samples[3].seq, 1);
	assert_int_equal(run.samples[3].iterations, 12);
	/* A second file goes on counting; another package is another one. */
	assert_int_equal(mg_gobench_to_run(&run, b, &err), 0);
	assert_int_equal(run.nbenches, 4);
	assert_int_equal(run.nsamples, 9);
	assert_int_equal(run.samples[6].bench, 0);
	assert_int_equal(run.samples[6].seq, 2);
	assert_int_equal(run.samples[7].seq, 2);
	assert_true(run.samples[7].value == 9);
	assert_int_equal(run.samples[8].bench, 3);
	assert_string_equal(run.benches[3].package, "example.com/q");
	assert_int_equal(run.samples[8].seq, 0);
	for (i = 0; i < run.nsamples; i++)
		assert_true(isfinite(run.samples[i].value));
	mg_run_release(&run);
	mg_gobench_free(a);
	mg_gobench_free(b);
}

/* ---- Go's Unicode classes ---- */

static void test_unicode_keys_vs_go(void **state)
{
	char *argv[] = {go_ref, "-gen-unicode", NULL};
	mg_buf in = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf got = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf ref = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_gobench *gb;
	char *path;

	(void)state;
	if (go_ref == NULL)
		skip();
	assert_int_equal(mgt_run(NULL, argv, &in, NULL), 0);
	path = go_path("unicode.txt");
	mgt_write_file(path, in.ptr, in.len);
	gb = parse_ok(in.ptr);
	/* About 1300 results with 100 keys each, mostly accepted. */
	assert_true(mg_gobench_count(gb) > 1000);
	dump(&got, gb, false);
	go_ref_dump(&ref, path);
	assert_int_equal(got.len, ref.len);
	assert_memory_equal(got.ptr, ref.ptr, got.len);
	mg_gobench_free(gb);
	free(path);
	mg_buf_release(&in);
	mg_buf_release(&got);
	mg_buf_release(&ref);
}

/* ---- the real Go toolchain ---- */

/*
 * Each benchmark's allocations are fixed by its code; with -benchtime
 * 10000x an odd runtime allocation cannot move the per-op averages.
 */
static const char go_bench_src[] =
        "package x\n"
        "\n"
        "import (\n"
        "\t\"testing\"\n"
        "\t\"time\"\n"
        ")\n"
        "\n"
        "var sink []byte\n"
        "\n"
        "// One 64-byte allocation per op: 64 B/op, 1 allocs/op.\n"
        "func BenchmarkAlloc64(b *testing.B) {\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tsink = make([]byte, 64)\n"
        "\t}\n"
        "}\n"
        "\n"
        "// 32 bytes (a size class) per op, and MB/s from SetBytes.\n"
        "func BenchmarkBytes(b *testing.B) {\n"
        "\tb.SetBytes(1024)\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tsink = make([]byte, 32)\n"
        "\t}\n"
        "}\n"
        "\n"
        "// No allocation, a custom metric.\n"
        "func BenchmarkMetric(b *testing.B) {\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t}\n"
        "\tb.ReportMetric(42, \"widgets/op\")\n"
        "}\n"
        "\n"
        "// Slow enough that test2json sends the name before the numbers.\n"
        "func BenchmarkSlow(b *testing.B) {\n"
        "\tb.Run(\"once=30ms\", func(b *testing.B) {\n"
        "\t\tif b.N > 1 {\n"
        "\t\t\ttime.Sleep(30 * time.Millisecond)\n"
        "\t\t}\n"
        "\t\tfor i := 0; i < b.N; i++ {\n"
        "\t\t}\n"
        "\t})\n"
        "}\n";

static void run_go_test(const char *dir, bool json, mg_buf *out)
{
	char *argv[] = {"go",        "test",
	                "-run",      "^$",
	                "-bench",    ".",
	                "-benchmem", "-count",
	                "3",         "-cpu",
	                "1,2",       "-benchtime",
	                "10000x",    json ? "-json" : "-v",
	                NULL};
	mg_buf errout = MG_BUF_INIT(1 << 20);
	int rc;

	/* -v in text mode: the name-only lines must be skipped silently. */
	rc = mgt_run(dir, argv, out, &errout);
	if (rc != 0)
		fprintf(stderr, "go test: %s\n%s\n", errout.ptr, out->ptr);
	assert_int_equal(rc, 0);
	mg_buf_release(&errout);
}

static double value_of(const mg_gobench_result *r, const char *unit)
{
	size_t i;

	for (i = 0; i < r->nvalues; i++)
		if (strcmp(r->values[i].unit, unit) == 0)
			return r->values[i].value;
	return NAN;
}

static const char *config_of(const mg_gobench_result *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->nconfig; i++)
		if (strcmp(r->config[i].key, key) == 0)
			return r->config[i].value;
	return NULL;
}

static void check_go_results(const mg_gobench *gb)
{
	size_t i, n = mg_gobench_count(gb), procs0 = 0, procs2 = 0;
	size_t alloc = 0, bytes = 0, metric = 0, slow = 0;

	assert_int_equal(mg_gobench_nwarnings(gb), 0);
	/* 4 benchmarks x -cpu 1,2 x -count 3 */
	assert_int_equal(n, 24);
	for (i = 0; i < n; i++) {
		const mg_gobench_result *r = mg_gobench_result_at(gb, i);

		assert_string_equal(r->package, "example.com/x");
		assert_string_equal(config_of(r, "pkg"), "example.com/x");
		assert_string_equal(config_of(r, "goos"), "linux");
		assert_non_null(config_of(r, "goarch"));
		assert_int_equal(r->iterations, 10000);
		assert_true(value_of(r, "ns/op") > 0);
		/* GOMAXPROCS 1 prints no suffix. */
		if (r->procs == 0)
			procs0++;
		else if (r->procs == 2)
			procs2++;
		if (strcmp(r->name, "BenchmarkAlloc64") == 0) {
			alloc++;
			assert_true(value_of(r, "B/op") == 64);
			assert_true(value_of(r, "allocs/op") == 1);
			assert_int_equal(r->nvalues, 3);
		} else if (strcmp(r->name, "BenchmarkBytes") == 0) {
			bytes++;
			assert_true(value_of(r, "B/op") == 32);
			assert_true(value_of(r, "allocs/op") == 1);
			assert_true(value_of(r, "MB/s") > 0);
			assert_int_equal(r->nvalues, 4);
		} else if (strcmp(r->name, "BenchmarkMetric") == 0) {
			metric++;
			assert_true(value_of(r, "widgets/op") == 42);
			assert_true(value_of(r, "B/op") == 0);
			assert_true(value_of(r, "allocs/op") == 0);
		} else {
			assert_string_equal(r->name, "BenchmarkSlow/once=30ms");
			slow++;
			/* 30 ms over 10000 iterations: at least 3000 ns. */
			assert_true(value_of(r, "ns/op") >= 3000);
		}
	}
	assert_int_equal(procs0, 12);
	assert_int_equal(procs2, 12);
	assert_int_equal(alloc, 6);
	assert_int_equal(bytes, 6);
	assert_int_equal(metric, 6);
	assert_int_equal(slow, 6);
}

/* An event whose Output is `name`, a -procs suffix, blanks and a tab. */
static bool has_split_line(const char *json, const char *name)
{
	const char *p = json;

	while ((p = strstr(p, name)) != NULL) {
		p += strlen(name);
		if (*p == '-')
			p++;
		while (*p >= '0' && *p <= '9')
			p++;
		while (*p == ' ')
			p++;
		if (strncmp(p, "\\t\"}", 4) == 0)
			return true;
	}
	return false;
}

static void test_real_go(void **state)
{
	mg_buf text = MG_BUF_INIT(1 << 24), json = MG_BUF_INIT(1 << 24);
	mg_buf ref = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf got = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_gobench *gt = NULL, *gj = NULL;
	mg_err err = MG_ERR_INIT;
	char *dir, *path;
	mg_run run;
	size_t i, j;

	(void)state;
	if (!have_go)
		skip();
	dir = go_path("mod");
	assert_int_equal(mkdir(dir, 0700), 0);
	path = mgt_path(dir, "go.mod");
	mgt_write_file(path, "module example.com/x\n\ngo 1.19\n", 29);
	free(path);
	path = mgt_path(dir, "x_test.go");
	mgt_write_file(path, go_bench_src, strlen(go_bench_src));
	free(path);
	run_go_test(dir, false, &text);
	run_go_test(dir, true, &json);

	assert_int_equal(
	        mg_gobench_parse(&gt, text.ptr, text.len, "text.txt", &err), 0);
	check_go_results(gt);
	assert_int_equal(
	        mg_gobench_parse(&gj, json.ptr, json.len, "json.txt", &err), 0);
	assert_true(mg_gobench_is_json(gj));
	check_go_results(gj);
	/*
	 * With -json, testing prints the name and the numbers in two writes
	 * and test2json makes an event of a name ending in a tab: whether the
	 * line arrives split depends on how the pipe was read. The fixture
	 * json_split_real.txt holds such a split from a real run.
	 */
	if (has_split_line(json.ptr, "BenchmarkSlow/once=30ms"))
		fprintf(stderr, "note: go test -json split a line\n");

	/* The Go reference reader agrees on both outputs. */
	path = go_path("text.txt");
	mgt_write_file(path, text.ptr, text.len);
	go_ref_dump(&ref, path);
	dump(&got, gt, false);
	assert_string_equal(got.ptr, ref.ptr);
	free(path);
	path = go_path("json.txt");
	mgt_write_file(path, json.ptr, json.len);
	mg_buf_reset(&ref);
	mg_buf_reset(&got);
	go_ref_dump(&ref, path);
	dump(&got, gj, false);
	assert_string_equal(got.ptr, ref.ptr);
	free(path);

	/*
	 * In a run: 8 benchmarks (4 x 2 procs); per repetition 3 units, 4
	 * for Bytes (MB/s) and Metric (widgets/op): 14 x 2 x 3 samples.
	 */
	mg_run_init(&run);
	assert_int_equal(mg_gobench_to_run(&run, gt, &err), 0);
	assert_int_equal(run.nbenches, 8);
	assert_int_equal(run.nsamples, 84);
	for (i = 0; i < run.nsamples; i++) {
		int64_t same = 0;

		for (j = 0; j < i; j++)
			if (run.samples[j].bench == run.samples[i].bench &&
			    strcmp(run.samples[j].unit, run.samples[i].unit) ==
			            0)
				same++;
		assert_int_equal(run.samples[i].seq, same);
		assert_true(run.samples[i].seq < 3);
	}
	mg_run_release(&run);

	mg_gobench_free(gt);
	mg_gobench_free(gj);
	mg_buf_release(&text);
	mg_buf_release(&json);
	mg_buf_release(&ref);
	mg_buf_release(&got);
	free(dir);
}

/* ---- main: one test per fixture ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t list_fixtures(char ***out)
{
	char *dir = fixture("", "");
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);

		if (len < 5 || strcmp(e->d_name + len - 4, ".txt") != 0)
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		assert_non_null(names);
		names[n] = strndup(e->d_name, len - 4);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	free(dir);
	qsort(names, n, sizeof(*names), cmp_str);
	*out = names;
	return n;
}

int main(void)
{
	const struct CMUnitTest api[] = {
	        cmocka_unit_test(test_input_limit),
	        cmocka_unit_test(test_long_lines),
	        cmocka_unit_test(test_json_long_line),
	        cmocka_unit_test(test_config_key_limit),
	        cmocka_unit_test(test_config_copy_limit),
	        cmocka_unit_test(test_warning_limit),
	        cmocka_unit_test(test_samples_kept),
	        cmocka_unit_test(test_to_run),
	        cmocka_unit_test(test_unicode_keys_vs_go),
	        cmocka_unit_test(test_real_go),
	};
	struct CMUnitTest *fx;
	char **names;
	size_t i, n = list_fixtures(&names);
	int failed;

	fx = calloc(n, sizeof(*fx));
	if (fx == NULL)
		return 1;
	for (i = 0; i < n; i++) {
		fx[i].name = names[i];
		fx[i].test_func = test_fixture;
		fx[i].initial_state = names[i];
	}
	if (setup_go() < 0)
		return 1;
	failed = _cmocka_run_group_tests("gobench_fixtures", fx, n, NULL, NULL);
	failed += cmocka_run_group_tests_name("gobench", api, NULL, NULL);
	teardown_go();
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(fx);
	return failed;
}
