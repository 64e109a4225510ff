/*
 * bench_gobench.c - how fast memgate reads Go benchmark output (not a
 * test). Generates a realistic `go test -bench . -benchmem -count 10
 * ./...` text of about 200k lines, times mg_gobench_parse on it (best of
 * several rounds) and prints MB/s and lines/s. If `go` is installed it
 * builds tests/bench/gobench_ref (the same work done the go-test way:
 * bufio.Scanner, strings.Fields, strconv) and prints the ratio.
 *
 *   bench_gobench [LINES]   (default 200000)
 *
 * The text is written to $TMPDIR/memgate-bench-gobench.txt for the Go
 * side and removed afterwards unless MG_KEEP_TMP is set.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "gobench.h"
#include "run.h"

#define ROUNDS 5

int main(int argc, char **argv);

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	/* xorshift64*: deterministic, so every run times the same text. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A value the way testing.B prints it (prettyPrint's widths). */
static void put_value(mg_buf *b, double v, const char *unit)
{
	if (v == 0 || v >= 999.95)
		mg_buf_printf(b, "\t%10.0f %s", v, unit);
	else if (v >= 99.995)
		mg_buf_printf(b, "\t%12.1f %s", v, unit);
	else if (v >= 9.9995)
		mg_buf_printf(b, "\t%13.2f %s", v, unit);
	else if (v >= 0.99995)
		mg_buf_printf(b, "\t%14.3f %s", v, unit);
	else
		mg_buf_printf(b, "\t%15.4f %s", v, unit);
}

static const char *const verbs[] = {"Parse",  "Encode", "Decode", "Sort",
                                    "Lookup", "Insert", "Render", "Hash"};
static const char *const kinds[] = {"json", "proto", "small", "large",
                                    "cold", "warm",  "utf8",  "ascii"};

/* About `lines` lines: packages of 20 benchmarks x -count 10. */
static size_t generate(mg_buf *b, size_t lines)
{
	size_t n = 0, pkg = 0;
	int i, c;

	while (n < lines) {
		mg_buf_printf(b,
		              "goos: linux\ngoarch: amd64\n"
		              "pkg: github.com/example/project/internal/"
		              "module%zu\n"
		              "cpu: Intel(R) Xeon(R) Platinum 8375C CPU @ "
		              "2.90GHz\n",
		              pkg);
		n += 4;
		for (i = 0; i < 20 && n < lines; i++) {
			double ns = (double)(rng() % 5000000) / 100.0 + 0.5;
			double bytes = (double)(rng() % 65536);
			double allocs = (double)(rng() % 200);
			bool mbs = i % 3 == 0, custom = i % 7 == 0;

			if (i % 5 == 0) {
				mg_buf_printf(b,
				              "    bench_test.go:%d: setup "
				              "done\n",
				              (int)(rng() % 500));
				n++;
			}
			for (c = 0; c < 10 && n < lines; c++) {
				double jit = 1 + (double)(rng() % 1000) / 10000;
				mg_buf_printf(
				        b,
				        "Benchmark%s/%s/size=%d-8%*s\t%10llu",
				        verbs[i % 8], kinds[(i / 8) % 8],
				        1 << (i % 12), 8 - (i % 5), "",
				        (unsigned long long)(1000000000 /
				                             (ns + 1)));
				put_value(b, ns * jit, "ns/op");
				if (mbs)
					put_value(b, 4096 / (ns * jit) * 1000,
					          "MB/s");
				if (custom)
					put_value(b, (double)(rng() % 100),
					          "hits/op");
				put_value(b, bytes, "B/op");
				put_value(b, allocs, "allocs/op");
				mg_buf_putc(b, '\n');
				n++;
			}
		}
		mg_buf_printf(b,
		              "PASS\nok  \tgithub.com/example/project/"
		              "internal/module%zu\t12.345s\n",
		              pkg);
		n += 2;
		pkg++;
	}
	return n;
}

/* Run cmd (a /bin/sh command line) and capture its first output line. */
static int run_capture(const char *cmd, char *out, size_t size)
{
	FILE *p = popen(cmd, "r");
	int status;

	if (p == NULL)
		return -1;
	out[0] = '\0';
	if (fgets(out, (int)size, p) == NULL)
		out[0] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void compare_with_go(const char *text_path, double c_secs,
                            size_t results, size_t samples)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], src[4096], cmd[32768], line[512];
	double go_secs;
	unsigned long long go_results, go_samples;
	const char *slash;

	if (system("go version >/dev/null 2>&1") != 0) {
		printf("go: not installed, no comparison\n");
		return;
	}
	/* CMake compiles with absolute paths: the Go program is beside us. */
	slash = strrchr(__FILE__, '/');
	snprintf(src, sizeof(src), "%.*s/gobench_ref/main.go",
	         slash ? (int)(slash - __FILE__) : 1, slash ? __FILE__ : ".");
	snprintf(dir, sizeof(dir), "%s/memgate-bench-go",
	         tmp && tmp[0] ? tmp : "/tmp");
	mkdir(dir, 0700);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && GOCACHE='%s/cache' GOPATH='%s/gopath' "
	         "GOFLAGS= GOPROXY=off CGO_ENABLED=0 go build -o '%s/ref' "
	         "'%s' && echo ok",
	         dir, dir, dir, dir, src);
	if (run_capture(cmd, line, sizeof(line)) != 0) {
		printf("go: building gobench_ref failed\n");
		return;
	}
	snprintf(cmd, sizeof(cmd), "'%s/ref' '%s' %d", dir, text_path, ROUNDS);
	if (run_capture(cmd, line, sizeof(line)) != 0 ||
	    sscanf(line, "%lf %llu %llu", &go_secs, &go_results, &go_samples) !=
	            3) {
		printf("go: gobench_ref failed\n");
		return;
	}
	printf("go (bufio.Scanner + strings.Fields + strconv): %.1f ms, "
	       "%llu results, %llu samples\n",
	       go_secs * 1e3, go_results, go_samples);
	if (go_results != results || go_samples != samples)
		printf("warning: go read %llu/%llu, memgate %zu/%zu\n",
		       go_results, go_samples, results, samples);
	printf("ratio: memgate is %.1fx as fast as the Go parse\n",
	       go_secs / c_secs);
}

int main(int argc, char **argv)
{
	mg_buf text = MG_BUF_INIT(MG_GOBENCH_MAX_INPUT);
	mg_err err = MG_ERR_INIT;
	const char *tmp = getenv("TMPDIR");
	char path[4096];
	size_t lines = 200000, n, results = 0, samples = 0, run_benches;
	double best = INFINITY, t, to_run;
	mg_gobench *gb = NULL;
	mg_run run;
	FILE *f;
	int r;

	if (argc > 1)
		lines = (size_t)strtoull(argv[1], NULL, 10);
	n = generate(&text, lines);
	snprintf(path, sizeof(path), "%s/memgate-bench-gobench.txt",
	         tmp && tmp[0] ? tmp : "/tmp");
	f = fopen(path, "wb");
	if (f == NULL || fwrite(text.ptr, 1, text.len, f) != text.len ||
	    fclose(f) != 0) {
		fprintf(stderr, "bench_gobench: cannot write %s\n", path);
		return 2;
	}
	printf("input: %zu lines, %.1f MB\n", n, (double)text.len / 1e6);
	for (r = 0; r < ROUNDS; r++) {
		t = now();
		if (mg_gobench_parse(&gb, text.ptr, text.len, "bench.txt",
		                     &err) != 0) {
			fprintf(stderr, "bench_gobench: %s\n", err.msg);
			return 2;
		}
		t = now() - t;
		if (t < best)
			best = t;
		results = mg_gobench_count(gb);
		samples = mg_gobench_nsamples(gb);
		if (r + 1 < ROUNDS)
			mg_gobench_free(gb);
	}
	/* Once: what moving the results into a run costs on top. */
	mg_run_init(&run);
	t = now();
	if (mg_gobench_to_run(&run, gb, &err) != 0) {
		fprintf(stderr, "bench_gobench: %s\n", err.msg);
		return 2;
	}
	to_run = now() - t;
	run_benches = run.nbenches;
	mg_run_release(&run);
	mg_gobench_free(gb);
	printf("memgate mg_gobench_parse: %.1f ms, %.0f MB/s, %.2f M lines/s "
	       "(%zu results, %zu samples; best of %d)\n",
	       best * 1e3, (double)text.len / 1e6 / best,
	       (double)n / 1e6 / best, results, samples, ROUNDS);
	printf("memgate mg_gobench_to_run: %.1f ms (%zu benchmarks)\n",
	       to_run * 1e3, run_benches);
	compare_with_go(path, best, results, samples);
	if (getenv("MG_KEEP_TMP") == NULL)
		unlink(path);
	mg_buf_release(&text);
	return 0;
}
