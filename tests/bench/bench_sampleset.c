/*
 * bench_sampleset.c - the CPU cost of reading a run's sample sets as the
 * store keeps them (run_samples.sets, schema/0012), on the run the ingest
 * benchmark uploads (bench_server.c: 200 benchmarks x 3 units x 10
 * samples). Not a test: it prints figures.
 *
 * The run is stored with mg_store_add_run() into a new database in a
 * temp directory, and its text read back from run_samples with SQLite.
 * Then, N times each, alternated, the thread's CPU time (median and
 * minimum in us) of:
 *   - mg_sampleset_run_decode(): the tree reader, every entry;
 *   - mg_sampleset_run_read() of every entry: the one-pass reader;
 *   - mg_sampleset_run_read() of one benchmark in 8 (what the history
 *     thread reads of each run of a pooled commit, once per slice).
 *
 *   bench_sampleset [-n N]
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "benchrun.h"
#include "fsutil.h"
#include "sampleset.h"
#include "store.h"

int main(int argc, char **argv);

#define die(...) mg_bench_die("bench_sampleset", __VA_ARGS__)

static int64_t now_ns(void)
{
	return mg_bench_clock_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* The sets text of the bench run, stored in a new database under dir. */
static char *stored_text(const char *dir, size_t *len)
{
	char path[4200];
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;
	mg_run run;
	int64_t id = 0;
	bool existed = false;
	char *text;

	snprintf(path, sizeof(path), "%s/bench.db", dir);
	mg_bench_make_run(&run, "bench/sampleset", 1, NULL, 200, 3, 10, 0);
	if (mg_store_open(&st, path, 0, &err) < 0 ||
	    mg_store_add_run(st, &run, &id, &existed, &err) < 0)
		die("store: %s", err.msg);
	mg_store_close(st);
	mg_run_release(&run);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	            SQLITE_OK ||
	    sqlite3_prepare_v2(db,
	                       "SELECT sets FROM run_samples WHERE run_id = ?",
	                       -1, &stmt, NULL) != SQLITE_OK)
		die("sqlite: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(stmt, 1, id);
	if (sqlite3_step(stmt) != SQLITE_ROW)
		die("run %lld has no run_samples row", (long long)id);
	*len = (size_t)sqlite3_column_bytes(stmt, 0);
	text = malloc(*len + 1);
	if (text == NULL)
		die("out of memory");
	memcpy(text, sqlite3_column_text(stmt, 0), *len + 1);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return text;
}

static bool one_in_8(int64_t bench_id, void *arg)
{
	(void)arg;
	return bench_id % 8 == 3;
}

enum { TREE, ALL, SLICE, NWAYS };

/* One read of text the way `way`; its CPU ns. n: entries read. */
static int64_t read_once(int way, const char *text, size_t len, size_t *n)
{
	mg_err err = MG_ERR_INIT;
	mg_sampleset_run r;
	int64_t t0 = now_ns(), t;
	int error;

	if (way == TREE)
		error = mg_sampleset_run_decode(&r, text, len, &err);
	else
		error = mg_sampleset_run_read(&r, text, len,
		                              way == SLICE ? one_in_8 : NULL,
		                              NULL, &err);
	*n = r.n;
	mg_sampleset_run_free(&r);
	t = now_ns() - t0;
	if (error < 0)
		die("read: %s", err.msg);
	return t;
}

int main(int argc, char **argv)
{
	static const char *const names[NWAYS] = {
	        "mg_sampleset_run_decode (tree), all entries",
	        "mg_sampleset_run_read, all entries",
	        "mg_sampleset_run_read, 1 benchmark in 8"};
	char dir[4096];
	int64_t *t[NWAYS];
	size_t len, n[NWAYS];
	char *text;
	int iters = 300, i, w;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			iters = (int)strtol(argv[++i], NULL, 10);
		else
			die("usage: bench_sampleset [-n N]");
	}
	if (iters < 1)
		die("-n: at least 1");
	snprintf(dir, sizeof(dir), "%s/bench_sampleset.XXXXXX",
	         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp: %s", strerror(errno));
	text = stored_text(dir, &len);
	(void)mg_rmtree(dir);
	for (w = 0; w < NWAYS; w++) {
		t[w] = calloc((size_t)iters, sizeof(*t[w]));
		if (t[w] == NULL)
			die("out of memory");
	}
	/* alternated, so that a slow phase of the machine hits all three */
	for (i = 0; i < iters; i++)
		for (w = 0; w < NWAYS; w++)
			t[w][i] = read_once(w, text, len, &n[w]);
	printf("bench_sampleset: a run's sets, 200 benchmarks x 3 units x 10 "
	       "samples (%zu bytes of text), %d reads each\n",
	       len, iters);
	for (w = 0; w < NWAYS; w++) {
		qsort(t[w], (size_t)iters, sizeof(*t[w]), mg_bench_cmp_i64);
		printf("  %-46s %4zu entries: median %7.1f us, min %7.1f "
		       "us (%.0f MB/s at the median)\n",
		       names[w], n[w], (double)t[w][iters / 2] / 1e3,
		       (double)t[w][0] / 1e3,
		       (double)len / ((double)t[w][iters / 2] / 1e9) / 1e6);
	}
	if (n[TREE] != n[ALL])
		die("the two readers read %zu and %zu entries", n[TREE],
		    n[ALL]);
	for (w = 0; w < NWAYS; w++)
		free(t[w]);
	free(text);
	return 0;
}
