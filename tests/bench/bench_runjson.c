/*
 * bench_runjson.c - the CPU cost of mg_runjson_read() on the document the
 * ingest benchmark uploads (bench_server.c: 200 benchmarks x 3 units x 10
 * samples, each sample an object, plus one 1 MiB heap profile carried as
 * base64; ~1.78 MB of JSON). Not a test: it prints figures.
 *
 * The document is built in memory by mg_bench_make_run() (benchrun.c,
 * the same run as bench_server's) and written with mg_runjson_write().
 * Then, N times each, in this process, the thread's CPU time (median and
 * minimum in ms, and MB/s of each step's input at the median; CPU time
 * rather than wall time, because other work on the machine inflates the
 * latter):
 *   - the whole mg_runjson_read() + mg_run_release(), and the same with
 *     its one-pass reader off (mg_runjson_set_pull(false): every
 *     document through the tree), the two alternated,
 *   - cJSON_ParseWithLengthOpts() + cJSON_Delete() alone (how the reader
 *     built its tree before jsonstrict.c), for comparison,
 *   - mg_jsonstrict_parse() + mg_jsonarena_release(): the syntax check and
 *     the tree, the reader's first two steps,
 *   - mg_base64_decode() of the profile text alone,
 *   - SHA-256 (EVP_Digest) of the decoded profile alone.
 *
 *   bench_runjson [-n N] [-b BENCHMARKS] [-p PROFILE_BYTES] [-r] [-T]
 *
 * -r times the whole read only, for a profiler (perf record, or
 * valgrind --tool=callgrind --toggle-collect=mg_runjson_read with -n 1);
 * -T makes that read go through the tree.
 */
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "benchrun.h"
#include "buf.h"
#include "jsonarena.h"
#include "jsonstrict.h"
#include "run.h"
#include "base64.h"
#include "runjson.h"

int main(int argc, char **argv);

#define die(...) mg_bench_die("bench_runjson", __VA_ARGS__)

static int64_t now_ns(void)
{
	return mg_bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

struct figure {
	int64_t median; /* ns */
	int64_t min;    /* ns */
};

static struct figure summarize(int64_t *t, int n)
{
	struct figure f;

	qsort(t, (size_t)n, sizeof(*t), mg_bench_cmp_i64);
	f.min = t[0];
	f.median = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	return f;
}

static void print_figure(const char *what, struct figure f, size_t bytes)
{
	printf("  %-34s %8.3f ms median  %8.3f ms min  %8.1f MB/s\n", what,
	       (double)f.median / 1e6, (double)f.min / 1e6,
	       (double)bytes / 1e6 / ((double)f.median / 1e9));
}

/* The data_base64 string of the document (NULL if none), found by search. */
static void find_base64(const char **s, size_t *len, const mg_buf *doc)
{
	static const char key[] = "\"data_base64\":\"";
	const char *p = memmem(doc->ptr, doc->len, key, sizeof(key) - 1);
	const char *end;

	if (p == NULL) {
		*s = NULL;
		*len = 0;
		return;
	}
	p += sizeof(key) - 1;
	end = memchr(p, '"', doc->len - (size_t)(p - doc->ptr));
	if (end == NULL)
		die("unterminated data_base64");
	*s = p;
	*len = (size_t)(end - p);
}

int main(int argc, char **argv)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	int n = 50, nbench = 200, opt, i, read_only = 0, tree_only = 0;
	size_t plen = 1 << 20, b64len, dlen;
	const char *b64;
	unsigned char *decoded = NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	int64_t *t, *t2, t0;
	char parent[41];
	mg_run run;

	while ((opt = getopt(argc, argv, "n:b:p:rT")) != -1) {
		if (opt == 'n')
			n = (int)strtol(optarg, NULL, 10);
		else if (opt == 'b')
			nbench = (int)strtol(optarg, NULL, 10);
		else if (opt == 'p')
			plen = (size_t)strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			read_only = 1;
		else if (opt == 'T')
			tree_only = 1;
		else
			die("usage: bench_runjson [-n N] [-b BENCHMARKS] "
			    "[-p PROFILE_BYTES] [-r] [-T]");
	}
	if (n <= 0 || nbench < 0)
		die("N must be > 0 and BENCHMARKS >= 0");
	t = calloc((size_t)n, sizeof(*t));
	t2 = calloc((size_t)n, sizeof(*t2));
	if (t == NULL || t2 == NULL)
		die("out of memory");

	mg_bench_sha(parent, 1001);
	mg_bench_make_run(&run, "bench/ingest", 1, parent, nbench, 3, 10, plen);
	if (mg_runjson_write(&doc, &run, &err) < 0)
		die("write: %s", err.msg);
	printf("document: %d benchmarks x 3 units x 10 samples (%zu samples) "
	       "+ %zu-byte profile: %zu bytes of JSON; %d reads each\n",
	       nbench, run.nsamples, plen, doc.len, n);
	mg_run_release(&run);

	/* One warm-up read, which also checks that the document is read. */
	if (mg_runjson_read(&run, doc.ptr, doc.len, &err) < 0)
		die("read: %s", err.msg);
	mg_run_release(&run);

	if (read_only) {
		mg_runjson_set_pull(!tree_only);
		for (i = 0; i < n; i++) {
			t0 = now_ns();
			if (mg_runjson_read(&run, doc.ptr, doc.len, &err) < 0)
				die("read: %s", err.msg);
			mg_run_release(&run);
			t[i] = now_ns() - t0;
		}
		print_figure(tree_only ? "mg_runjson_read, tree + release"
		                       : "mg_runjson_read + release",
		             summarize(t, n), doc.len);
		goto done;
	}
	/* alternated, so that the machine's drift falls on both alike */
	for (i = 0; i < 2 * n; i++) {
		mg_runjson_set_pull(i % 2 == 0);
		t0 = now_ns();
		if (mg_runjson_read(&run, doc.ptr, doc.len, &err) < 0)
			die("read: %s", err.msg);
		mg_run_release(&run);
		(i % 2 ? t2 : t)[i / 2] = now_ns() - t0;
	}
	if (mg_runjson_pulled() != (unsigned long)n + 1)
		die("the one-pass reader read %lu of %d documents",
		    mg_runjson_pulled(), n + 1);
	print_figure("mg_runjson_read + release", summarize(t, n), doc.len);
	print_figure("  the same through the tree", summarize(t2, n), doc.len);

	for (i = 0; i < n; i++) {
		cJSON *root;

		t0 = now_ns();
		root = cJSON_ParseWithLengthOpts(doc.ptr, doc.len, NULL, 0);
		if (root == NULL)
			die("cJSON failed");
		cJSON_Delete(root);
		t[i] = now_ns() - t0;
	}
	print_figure("cJSON parse + delete (malloc)", summarize(t, n), doc.len);

	for (i = 0; i < n; i++) {
		mg_jsonarena arena;
		size_t bad_utf8;
		cJSON *root;

		t0 = now_ns();
		mg_jsonarena_init(
		        &arena, mg_jsonstrict_tree_size(doc.len,
		                                        MG_RUNJSON_MAX_VALUES));
		if (mg_jsonstrict_parse(&root, &bad_utf8, &arena, doc.ptr,
		                        doc.len, MG_RUNJSON_MAX_VALUES,
		                        &err) < 0)
			die("jsonstrict: %s", err.msg);
		mg_jsonarena_release(&arena);
		t[i] = now_ns() - t0;
	}
	print_figure("jsonstrict check + tree (arena)", summarize(t, n),
	             doc.len);

	find_base64(&b64, &b64len, &doc);
	if (b64 == NULL)
		goto done; /* -p 0: no profile */
	for (i = 0; i < n; i++) {
		free(decoded);
		t0 = now_ns();
		if (mg_base64_decode(&decoded, &dlen, b64, b64len, &err) < 0)
			die("base64: %s", err.msg);
		t[i] = now_ns() - t0;
	}
	print_figure("base64 decode of the profile", summarize(t, n), b64len);

	for (i = 0; i < n; i++) {
		t0 = now_ns();
		EVP_Digest(decoded, dlen, md, &mdlen, EVP_sha256(), NULL);
		t[i] = now_ns() - t0;
	}
	print_figure("SHA-256 of the decoded profile", summarize(t, n), dlen);

done:
	free(decoded);
	free(t);
	free(t2);
	mg_buf_release(&doc);
	return 0;
}
