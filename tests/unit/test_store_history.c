/*
 * test_store_history.c - history points (lib/store_history.c), written in
 * the run's transaction or later (deferred, as the server's writer does),
 * must be those computed here from the stored samples, whatever the
 * apply's batch size and however runs of one commit fall into batches;
 * no pending row may survive a rollback or get lost in one. The chunks
 * that hold them (history_chunks) must stay whole, ordered and apart.
 */
#include <sqlite3.h>

#include "mgtest.h"
#include "store.h"
#include "store_int.h"

#define NRUNS 48

/* the runs' data; the apply schedule draws from its own */
static uint64_t rng = 88172645463325252ULL, sched = 1;

static uint64_t step(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t next(void)
{
	return step(&rng);
}

/*
 * Run k of the sequence: commit k / 3 (some commits get two or three
 * runs), on main or on a feature branch, one in seven failed, up to six
 * of twelve benchmarks (ids in every slice) with one to three units and
 * 1 to 7 repetitions each.
 */
static void make_run(mg_run *run, int k)
{
	static const char *const units[] = {"B/op", "allocs/op", "ns/op"};
	int commit = k / 3 - (k % 3 == 2 && k % 4 == 0);
	size_t b;
	int i, j, u, nb;

	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, "acme/hist"), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%040x", commit + 1);
	run->commit.commit_time = 1000 + (commit % 5) * 10;
	assert_int_equal(
	        mg_run_set_str(&run->branch, k % 5 == 4 ? "feature" : "main"),
	        0);
	assert_int_equal(mg_run_set_str(&run->env.os, "linux"), 0);
	assert_int_equal(mg_run_set_str(&run->bench_cmd, "go test -bench ."),
	                 0);
	if (k % 7 == 6) {
		run->status = MG_RUN_FAILED;
		assert_int_equal(mg_run_set_str(&run->log_tail, "FAIL"), 0);
	}
	nb = 1 + (int)(next() % 6);
	for (i = 0; i < nb; i++) {
		char name[32];
		int nu = 1 + (int)(next() % 3);

		snprintf(name, sizeof(name), "Benchmark%c",
		         (char)('A' + (i + k) % 12));
		assert_int_equal(mg_run_add_bench(run, &b, name,
		                                  "example.com/h", 0, NULL, 0),
		                 0);
		for (u = 0; u < nu; u++) {
			int n = 1 + (int)(next() % 7);

			for (j = 0; j < n; j++)
				assert_int_equal(
				        mg_run_add_sample(
				                run, b, units[(u + k) % 3],
				                (double)(next() % 1000) / 8.0,
				                100, j),
				        0);
		}
	}
}

/* Run k of the sequence made and stored on st; its id. */
static int64_t store_run(mg_store *st, int k)
{
	mg_err err = MG_ERR_INIT;
	int64_t id = 0;
	mg_run run;

	make_run(&run, k);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);
	return id;
}

/* A point: the key columns of history_points, then n, median, min, max. */
struct pt {
	int64_t bench, commit;
	char unit[16], branch[16];
	int64_t n;
	double median, min, max;
};

static int pt_key_differs(const struct pt *p, sqlite3_stmt *st)
{
	return p->bench != sqlite3_column_int64(st, 0) ||
	       strcmp(p->unit, (const char *)sqlite3_column_text(st, 1)) ||
	       strcmp(p->branch, (const char *)sqlite3_column_text(st, 2)) ||
	       p->commit != sqlite3_column_int64(st, 3);
}

/*
 * Every chunk of db: its n, first and last key are those of its text,
 * and it comes after the one before it in its series, without overlap.
 */
static void check_chunks(const char *db)
{
	assert_int_equal(
	        mgt_sql_int(db, "SELECT count(*) FROM history_chunks WHERE "
	                        "n <> json_array_length(points) OR "
	                        "first_time <> points ->> '$[0][0]' OR "
	                        "first_commit <> points ->> '$[0][1]' OR "
	                        "last_time <> points ->> '$[#-1][0]' OR "
	                        "last_commit <> points ->> '$[#-1][1]'"),
	        0);
	assert_int_equal(
	        mgt_sql_int(db, "SELECT count(*) FROM (SELECT first_time t, "
	                        "first_commit c, lag(last_time) OVER w pt, "
	                        "lag(last_commit) OVER w pc FROM "
	                        "history_chunks WINDOW w AS (PARTITION BY "
	                        "benchmark_id, unit, branch ORDER BY "
	                        "first_time, first_commit)) WHERE pt IS NOT "
	                        "NULL AND NOT (t > pt OR (t = pt AND c > pc))"),
	        0);
}

/*
 * Every point of db, and nothing else, is the n, median, min and max of
 * the samples of the ok runs of its commit on its branch, computed here
 * from the `samples` view, compared bit for bit; each carries its
 * commit's time. Returns the number of points.
 */
static size_t check_points(const char *db)
{
	struct pt *want = NULL, cur;
	size_t nwant = 0, cap = 0, i;
	double *v = NULL;
	size_t nv = 0, vcap = 0;
	sqlite3 *conn;
	sqlite3_stmt *st;
	int rc;

	assert_int_equal(sqlite3_open_v2(db, &conn, SQLITE_OPEN_READONLY, NULL),
	                 SQLITE_OK);
	assert_int_equal(
	        sqlite3_prepare_v2(conn,
	                           "SELECT s.benchmark_id, s.unit, r.branch, "
	                           "r.commit_id, s.value FROM samples s JOIN "
	                           "runs r ON r.id = s.run_id WHERE r.status "
	                           "= 'ok' ORDER BY 1, 2, 3, 4, 5",
	                           -1, &st, NULL),
	        SQLITE_OK);
	memset(&cur, 0, sizeof(cur));
	do {
		rc = sqlite3_step(st);
		if (nv > 0 && (rc != SQLITE_ROW || pt_key_differs(&cur, st))) {
			cur.n = (int64_t)nv;
			cur.median = nv % 2 ? v[nv / 2]
			                    : (v[nv / 2 - 1] + v[nv / 2]) / 2;
			cur.min = v[0];
			cur.max = v[nv - 1];
			if (nwant == cap) {
				cap = cap ? 2 * cap : 64;
				want = realloc(want, cap * sizeof(*want));
				assert_non_null(want);
			}
			want[nwant++] = cur;
			nv = 0;
		}
		if (rc != SQLITE_ROW)
			break;
		cur.bench = sqlite3_column_int64(st, 0);
		snprintf(cur.unit, sizeof(cur.unit), "%s",
		         (const char *)sqlite3_column_text(st, 1));
		snprintf(cur.branch, sizeof(cur.branch), "%s",
		         (const char *)sqlite3_column_text(st, 2));
		cur.commit = sqlite3_column_int64(st, 3);
		if (nv == vcap) {
			vcap = vcap ? 2 * vcap : 64;
			v = realloc(v, vcap * sizeof(*v));
			assert_non_null(v);
		}
		v[nv++] = sqlite3_column_double(st, 4);
	} while (1);
	assert_int_equal(rc, SQLITE_DONE);
	sqlite3_finalize(st);

	assert_int_equal(
	        sqlite3_prepare_v2(conn,
	                           "SELECT benchmark_id, unit, branch, "
	                           "commit_id, n, median, min, max FROM "
	                           "history_points ORDER BY 1, 2, 3, 4",
	                           -1, &st, NULL),
	        SQLITE_OK);
	for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++) {
		assert_true(i < nwant);
		assert_int_equal(pt_key_differs(&want[i], st), 0);
		assert_int_equal(sqlite3_column_int64(st, 4), want[i].n);
		assert_true(sqlite3_column_double(st, 5) == want[i].median);
		assert_true(sqlite3_column_double(st, 6) == want[i].min);
		assert_true(sqlite3_column_double(st, 7) == want[i].max);
	}
	assert_int_equal(i, nwant);
	sqlite3_finalize(st);
	sqlite3_close(conn);
	assert_int_equal(mgt_sql_int(db, "SELECT count(*) FROM history_points "
	                                 "h JOIN commits c ON c.id = "
	                                 "h.commit_id WHERE h.commit_time <> "
	                                 "c.commit_time"),
	                 0);
	check_chunks(db);
	free(want);
	free(v);
	return nwant;
}

static int64_t pending(mg_store *st)
{
	mg_err err = MG_ERR_INIT;
	int64_t n = -1;

	assert_int_equal(mg_store_history_pending(st, &n, NULL, &err), 0);
	return n;
}

static void apply_all(mg_store *st)
{
	mg_err err = MG_ERR_INIT;
	size_t applied;

	do
		assert_int_equal(
		        mg_store_history_apply(st, -1, 5, &applied, NULL, &err),
		        0);
	while (applied == 5);
	assert_int_equal(pending(st), 0);
}

/* The sequence stored with points written in each run's transaction. */
static size_t immediate(const char *dir)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	char *db = mgt_path(dir, "now.db");
	size_t points;
	int k;

	rng = 88172645463325252ULL;
	assert_int_equal(mg_store_open(&st, db, 0, &err), 0);
	for (k = 0; k < NRUNS; k++)
		(void)store_run(st, k);
	assert_int_equal(pending(st), 0);
	mg_store_close(st);
	points = check_points(db);
	free(db);
	return points;
}

/*
 * Written in each run's transaction, and deferred: applied after every
 * run for the first third (each later run of a commit then pools with
 * points already written), then in chunks of 1 to 7 runs, whole or one
 * slice, at random moments, two or three runs of a commit often pending
 * together, and last each slice in turn. Both give the points of the
 * samples, and the same number of them.
 */
/* The connection's PRAGMA synchronous (white box: store_int.h). */
static int synchronous(mg_store *st)
{
	sqlite3_stmt *stmt = NULL;
	int v = -1;

	assert_int_equal(sqlite3_prepare_v2(st->db, "PRAGMA synchronous", -1,
	                                    &stmt, NULL),
	                 SQLITE_OK);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		v = sqlite3_column_int(stmt, 0);
	sqlite3_finalize(stmt);
	return v;
}

static void test_points_of_the_samples(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	size_t want = immediate(f->dir);
	char *db = mgt_path(f->dir, "later.db");
	int64_t id, ok_runs = 0, top = 0, most = 0;
	size_t applied;
	int k;

	assert_true(want > 100);
	rng = 88172645463325252ULL;
	/* as memgate-server opens it with --sync full */
	assert_int_equal(mg_store_open(&st, db, MG_STORE_SYNC_FULL, &err), 0);
	mg_store_defer_history(st, true);
	for (k = 0; k < NRUNS; k++) {
		mg_run run;

		make_run(&run, k);
		ok_runs += run.status == MG_RUN_OK;
		assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
		                 0);
		mg_run_release(&run);
		if (k < NRUNS / 3) {
			assert_int_equal(pending(st), 1 - (k % 7 == 6));
			apply_all(st);
		} else if (step(&sched) % 3 == 0) {
			size_t max = 1 + (size_t)(step(&sched) % 7);
			int slice = (int)(step(&sched) %
			                  (MG_STORE_HISTORY_SLICES + 1)) -
			            1;
			int64_t before = pending(st);

			assert_int_equal(mg_store_history_apply(st, slice, max,
			                                        &applied, NULL,
			                                        &err),
			                 0);
			if (slice < 0) {
				assert_int_equal(applied,
				                 (size_t)before < max
				                         ? (size_t)before
				                         : max);
				assert_int_equal(pending(st),
				                 before - (int64_t)applied);
			} else {
				assert_true(pending(st) <= before);
			}
		}
	}
	assert_true(pending(st) > 0);
	/* each slice once, in full: every row is written and goes */
	assert_int_equal(mg_store_history_pending(st, NULL, &top, &err), 0);
	for (k = MG_STORE_HISTORY_SLICES - 1; k >= 0; k--) {
		int64_t done = -1;

		assert_int_equal(mg_store_history_apply(st, k, SIZE_MAX,
		                                        &applied, &done, &err),
		                 0);
		if (done > most)
			most = done;
	}
	assert_int_equal(most, top);
	assert_int_equal(pending(st), 0);
	/* nothing left: a further apply writes nothing */
	assert_int_equal(
	        mg_store_history_apply(st, -1, 5, &applied, NULL, &err), 0);
	assert_int_equal(applied, 0);
	/*
	 * Applies commit at synchronous=NORMAL (store_history.c says why);
	 * the runs stored after them must be FULL again (2).
	 */
	assert_int_equal(synchronous(st), 2);
	mg_store_close(st);
	assert_int_equal(check_points(db), want);
	assert_int_equal(mgt_sql_int(db, "SELECT count(*) FROM runs WHERE "
	                                 "status = 'ok'"),
	                 ok_runs);
	free(db);
}

/*
 * Runs 0, 3 and 9 (ok, two commits) as one deferred batch on st, its
 * fail_at-th statement failing (0: none); how many got in.
 */
static int store_three(mg_store *st, int fail_at)
{
	static const int ks[3] = {0, 3, 9};
	mg_store_batch_item it[3];
	mg_run runs[3];
	int i, ok = 0;

	mg_store_defer_history(st, true);
	memset(it, 0, sizeof(it));
	rng = 42;
	for (i = 0; i < 3; i++) {
		make_run(&runs[i], ks[i]);
		it[i].run = &runs[i];
	}
	mg_store_fail_after(st, fail_at);
	(void)mg_store_add_runs(st, it, 3);
	mg_store_fail_after(st, 0);
	for (i = 0; i < 3; i++) {
		ok += it[i].error == 0;
		mg_run_release(&runs[i]);
	}
	return ok;
}

/*
 * Every statement of a batch of three runs failing in turn, then every
 * statement of the apply: a pending row exists exactly for each stored ok
 * run, and an apply that fails writes no point and keeps every row.
 */
static void test_rollbacks(void **state)
{
	mgt_store_fixture *f = *state;
	int n, failures = 0;

	for (n = 1;; n++) {
		mg_err err = MG_ERR_INIT;
		mg_store *st = NULL;
		char *db, name[32];
		int ok;

		snprintf(name, sizeof(name), "batch-%d.db", n);
		db = mgt_path(f->dir, name);
		assert_int_equal(mg_store_open(&st, db, 0, &err), 0);
		ok = store_three(st, n);
		failures += 3 - ok;
		assert_int_equal(pending(st), ok);
		assert_int_equal(mgt_sql_int(db, "SELECT count(*) FROM "
		                                 "history_pending p WHERE NOT "
		                                 "EXISTS (SELECT 1 FROM runs r "
		                                 "WHERE r.id = p.run_id AND "
		                                 "r.status = 'ok')"),
		                 0);
		mg_store_close(st);
		free(db);
		if (ok == 3)
			break;
	}
	assert_true(failures > 10);

	/* three runs pending; each failed apply must leave them so */
	{
		mg_err err = MG_ERR_INIT;
		mg_store *st = NULL;

		assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
		assert_int_equal(store_three(st, 0), 3);
		for (n = 1;; n++) {
			size_t applied = 99;
			int error;

			mg_store_fail_after(st, n);
			error = mg_store_history_apply(st, -1, 10, &applied,
			                               NULL, &err);
			mg_store_fail_after(st, 0);
			if (error == 0)
				break;
			assert_int_equal(applied, 0);
			assert_non_null(strstr(err.msg, "history points"));
			assert_int_equal(pending(st), 3);
			assert_int_equal(mgt_sql_int(f->db,
			                             "SELECT count(*) "
			                             "FROM history_points"),
			                 0);
		}
		assert_int_equal(pending(st), 0);
		assert_true(mgt_sql_int(f->db, "SELECT count(*) FROM "
		                               "history_points") > 0);
		mg_store_close(st);
	}
	assert_true(n > 3);
}

/*
 * A pending row cut short (a damaged file, a row edited by hand): the
 * run's points come from its samples instead, all of them, and the row
 * goes. A damaged sample set behind it is an error naming it, and then
 * nothing is written.
 */
static void test_damaged_row(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	size_t applied = 7;
	int64_t points;

	rng = 7;
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	mg_store_defer_history(st, true);
	(void)store_run(st, 0);
	(void)store_run(st, 1);
	/* cut inside the first record's unit */
	mgt_sql_exec(f->db, "UPDATE history_pending SET points = "
	                    "substr(points, 1, 40)");
	assert_int_equal(
	        mg_store_history_apply(st, -1, 10, &applied, NULL, &err), 0);
	assert_int_equal(applied, 2);
	assert_int_equal(pending(st), 0);
	assert_true(check_points(f->db) > 2);

	/* now a damaged set: the error names it, nothing is written */
	(void)store_run(st, 2);
	mgt_sql_exec(f->db, "UPDATE history_pending SET points = x'00'");
	mgt_sql_exec(f->db, "UPDATE run_samples SET sets = '[1' WHERE "
	                    "run_id = (SELECT max(run_id) FROM run_samples)");
	points = mgt_sql_int(f->db, "SELECT count(*) FROM history_points");
	assert_int_equal(
	        mg_store_history_apply(st, -1, 10, &applied, NULL, &err),
	        MG_EDB);
	assert_int_equal(applied, 0);
	assert_non_null(strstr(err.msg, "history points: run 3: run samples"));
	assert_int_equal(pending(st), 1);
	assert_int_equal(
	        mgt_sql_int(f->db, "SELECT count(*) FROM history_points"),
	        points);
	mg_store_close(st);
}

/*
 * `memgate history` on a database whose server stopped with points
 * pending writes them first: it shows the point of every run.
 */
static void test_cli_catches_up(void **state)
{
	mgt_store_fixture *f = *state;
	mg_buf out = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       errout = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	int k, lines = 0;
	char *p;

	rng = 11;
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	mg_store_defer_history(st, true);
	/* runs 0, 3, 6 and 9, one of them failed; run 0 has BenchmarkA */
	for (k = 0; k < 12; k += 3)
		(void)store_run(st, k);
	assert_int_equal(pending(st), 3);
	mg_store_close(st);
	{
		char *argv[] = {(char *)mgt_memgate_bin(),
		                "history",
		                "--db",
		                f->db,
		                "--project",
		                "acme/hist",
		                "--bench",
		                "BenchmarkA",
		                "--unit",
		                "B/op",
		                "--format",
		                "csv",
		                NULL};

		assert_int_equal(mgt_run(f->dir, argv, &out, &errout), 0);
	}
	for (p = out.ptr; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	/* a header and the ok runs on main with B/op on BenchmarkA */
	assert_int_equal(lines - 1,
	                 mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "history_points h JOIN "
	                                    "benchmarks b ON b.id = "
	                                    "h.benchmark_id WHERE b.name = "
	                                    "'BenchmarkA' AND h.unit = 'B/op' "
	                                    "AND h.branch = 'main'"));
	assert_true(lines - 1 >= 1);
	assert_int_equal(
	        mgt_sql_int(f->db, "SELECT count(*) FROM history_pending"), 0);
	mg_buf_release(&out);
	mg_buf_release(&errout);
}

/* Commits of the long series, and those stored twice. */
#define NLONG 141
#define NAGAIN 8

/*
 * Run `k` of a long series: BenchmarkL B/op on main at commit c, whose
 * times are a permutation (commits arrive out of time order), values
 * from the run's own rng.
 */
static void long_run(mg_run *run, int c, int k)
{
	size_t b;
	int j;

	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, "acme/long"), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%040x", c + 1);
	run->commit.commit_time = 5000 + (c * 37) % NLONG;
	assert_int_equal(mg_run_set_str(&run->branch, "main"), 0);
	assert_int_equal(mg_run_set_str(&run->env.os, "linux"), 0);
	assert_int_equal(mg_run_add_bench(run, &b, "BenchmarkL",
	                                  "example.com/l", 0, NULL, 0),
	                 0);
	for (j = 0; j < 3 + k % 3; j++)
		assert_int_equal(mg_run_add_sample(run, b, "B/op",
		                                   (double)(next() % 4000) / 16,
		                                   100, j),
		                 0);
}

/*
 * A series of NLONG commits stored in a scrambled time order, NAGAIN of
 * them twice (the point of the commit then pools both runs). The first
 * half is applied in batches of random size, so more points than a
 * chunk holds land in the middle of the series and chunks split; the
 * second half at once, more rows than the apply reads at a time; the
 * runs again one or two at a time, replacing points. Every point is the
 * samples' (check_points), and the history query pages through the
 * chunks newest first.
 */
static void test_long_series(void **state)
{
	mgt_store_fixture *f = *state;
	mg_history_query q = {"acme/long", "BenchmarkL", NULL,
	                      "B/op",      NULL,         1000};
	mg_history_point *all = NULL, *page = NULL;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	size_t n = 0, npage = 0, applied, i, splits;
	int k;

	rng = 5;
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	mg_store_defer_history(st, true);
	for (k = 0; k < NLONG + NAGAIN; k++) {
		/* then commits 3, 12, ... 66 again */
		int c = k < NLONG ? (k * 29) % NLONG : 3 + 9 * (k - NLONG);
		int64_t id;
		mg_run run;

		long_run(&run, c, k);
		assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
		                 0);
		mg_run_release(&run);
		if (k == NLONG - 1) {
			int64_t before = pending(st);

			assert_true(before > 64);
			assert_int_equal(
			        mg_store_history_apply(st, -1, SIZE_MAX,
			                               &applied, NULL, &err),
			        0);
			assert_int_equal(applied, (size_t)before);
			assert_int_equal(pending(st), 0);
		} else if (k < NLONG / 2 || k >= NLONG) {
			if (step(&sched) % 3 == 0)
				assert_int_equal(
				        mg_store_history_apply(
				                st, -1,
				                1 + (size_t)(step(&sched) % 20),
				                &applied, NULL, &err),
				        0);
		}
	}
	apply_all(st);
	assert_int_equal(check_points(f->db), NLONG);
	/* chunks of 16 at most, and some split (fewer than 16 not last) */
	splits = (size_t)mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "history_chunks WHERE n < 16 AND "
	                                    "last_time < 5000 + 140");
	assert_true(splits > 0);
	assert_true(mgt_sql_int(f->db, "SELECT count(*) FROM history_chunks") >=
	            (NLONG + 15) / 16);
	/* commit 3 pools run k0 (its first) and run NLONG */
	for (k = 0; (k * 29) % NLONG != 3; k++)
		;
	assert_int_equal(mgt_sql_int(f->db, "SELECT h.n FROM history_points h "
	                                    "JOIN commits c ON c.id = "
	                                    "h.commit_id WHERE c.sha LIKE "
	                                    "'%0004'"),
	                 (3 + k % 3) + (3 + NLONG % 3));

	assert_int_equal(mg_store_history(st, &q, &all, &n, &err), 0);
	assert_int_equal(n, NLONG);
	for (i = 0; i < n; i++) {
		char sql[160];

		/* newest first, one commit each */
		assert_int_equal(all[i].commit_time,
		                 5000 + NLONG - 1 - (int64_t)i);
		snprintf(sql, sizeof(sql),
		         "SELECT median FROM history_points h JOIN commits c "
		         "ON c.id = h.commit_id WHERE c.sha = '%s'",
		         all[i].sha);
		assert_true(mgt_sql_double(f->db, sql) == all[i].median);
	}
	/* a page that ends inside a chunk is the start of the whole */
	q.limit = 20;
	assert_int_equal(mg_store_history(st, &q, &page, &npage, &err), 0);
	assert_int_equal(npage, 20);
	for (i = 0; i < npage; i++) {
		assert_string_equal(page[i].sha, all[i].sha);
		assert_int_equal(page[i].n, all[i].n);
	}
	mg_history_free(all, n);
	mg_history_free(page, npage);
	mg_store_close(st);
}

/*
 * A commit's second run stored after one slice wrote the first's points,
 * then an apply of all: that slice's points of the commit pool both runs
 * (the apply must not take them as written by the slice), for each slice
 * in turn. Run 0 of the sequence is stored twice: its points' n doubles.
 */
static void test_pooled_after_a_slice(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	size_t applied;
	int slice, hit = 0;

	for (slice = 0; slice < MG_STORE_HISTORY_SLICES; slice++) {
		char name[32], *db;
		mg_store *st = NULL;

		snprintf(name, sizeof(name), "slice%d.db", slice);
		db = mgt_path(f->dir, name);
		assert_int_equal(mg_store_open(&st, db, 0, &err), 0);
		mg_store_defer_history(st, true);
		rng = 7;
		(void)store_run(st, 0);
		assert_int_equal(mg_store_history_apply(st, slice, SIZE_MAX,
		                                        &applied, NULL, &err),
		                 0);
		assert_int_equal(applied, 1);
		/* slices without a benchmark of the run test nothing */
		hit += mgt_sql_int(db, "SELECT count(*) FROM history_points") >
		       0;
		rng = 7;
		(void)store_run(st, 0);
		apply_all(st);
		mg_store_close(st);
		/* every point pools the two runs: n is twice a run's */
		assert_true(check_points(db) > 0);
		assert_int_equal(mgt_sql_int(db, "SELECT count(*) FROM "
		                                 "history_points WHERE n % 2"),
		                 0);
		free(db);
	}
	assert_true(hit >= 3);
}

/*
 * A chunk damaged in the database (its text cut, or its key not its
 * first point) is an error naming the series, for the history query and
 * for the apply that would write into it; the run it came with is not
 * stored.
 */
static void test_damaged_chunk(void **state)
{
	static const char *const damage[] = {
	        "UPDATE history_chunks SET points = substr(points, 1, 20)",
	        "UPDATE history_chunks SET first_commit = first_commit + 1000",
	};
	static const char *const says[] = {
	        "history chunk: invalid JSON",
	        "history chunk: its first point is not its key",
	};
	mgt_store_fixture *f = *state;
	mg_history_query q = {"acme/long", "BenchmarkL", NULL,
	                      "B/op",      NULL,         10};
	mg_history_point *pts = NULL;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	size_t n = 0, d;
	int64_t id, runs;
	mg_run run;
	int k;

	rng = 9;
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	for (k = 0; k < 5; k++) {
		long_run(&run, k, k);
		assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
		                 0);
		mg_run_release(&run);
	}
	for (d = 0; d < 2; d++) {
		mgt_sql_exec(f->db, damage[d]);
		assert_int_equal(mg_store_history(st, &q, &pts, &n, &err),
		                 MG_EDB);
		assert_non_null(strstr(err.msg, "history of benchmark 1, unit "
		                                "'B/op', branch 'main': "));
		assert_non_null(strstr(err.msg, says[d]));
		runs = mgt_sql_int(f->db, "SELECT count(*) FROM runs");
		/* an older commit: merged into the damaged chunk */
		long_run(&run, 100, 0);
		run.commit.commit_time = 1;
		assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
		                 MG_EDB);
		assert_non_null(strstr(err.msg, says[d]));
		mg_run_release(&run);
		assert_int_equal(
		        mgt_sql_int(f->db, "SELECT count(*) FROM runs"), runs);
		/* mended by hand: rebuilt from the samples */
		mgt_sql_exec(f->db, "DELETE FROM history_chunks");
		mgt_sql_exec(f->db, "INSERT INTO history_pending(run_id, "
		                    "points) SELECT id, x'00' FROM runs");
		long_run(&run, 5 + (int)d, 5);
		assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
		                 0);
		mg_run_release(&run);
		assert_int_equal(check_points(f->db), 6 + d);
	}
	mg_store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_points_of_the_samples,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_rollbacks, mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_cli_catches_up,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_damaged_row, mgt_store_setup, mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_long_series, mgt_store_setup, mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_pooled_after_a_slice,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_damaged_chunk,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
