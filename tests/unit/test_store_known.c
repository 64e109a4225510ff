/*
 * test_store_known.c - what the writer remembers between runs (benchmark
 * ids, benchmark_units pairs: lib/store_known.c) must never outlive a
 * rollback, and sets built before the write lock (mg_store_sets_build)
 * store exactly what the store builds itself.
 */
#include "mgtest.h"
#include "store.h"
#include "store_int.h"

/* One benchmark `bench` with two units of three repetitions. */
static void make_run(mg_run *run, const char *sha, int64_t time,
                     const char *bench, double base)
{
	size_t b;
	int i;

	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, "acme/known"), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%s", sha);
	run->commit.commit_time = time;
	assert_int_equal(mg_run_set_str(&run->branch, "main"), 0);
	assert_int_equal(mg_run_set_str(&run->env.os, "linux"), 0);
	assert_int_equal(mg_run_set_str(&run->bench_cmd, "go test -bench ."),
	                 0);
	assert_int_equal(
	        mg_run_add_bench(run, &b, bench, "example.com/k", 0, NULL, 0),
	        0);
	for (i = 0; i < 3; i++) {
		assert_int_equal(mg_run_add_sample(run, b, "ns/op",
		                                   base + 2 - i, 100, i),
		                 0);
		assert_int_equal(
		        mg_run_add_sample(run, b, "B/op", base * 10, 100, i),
		        0);
	}
}

/*
 * Every stored set and point belongs to the benchmark its run named (the
 * runs of commit 2222... name BenchmarkY, the others BenchmarkX), and
 * every pair is in benchmark_units: a remembered id or pair that a
 * rollback took away would attach a later run's rows to another
 * benchmark, or leave a pair unlisted.
 */
static void check_rows_match_names(const char *db)
{
	static const char *const wrong[] = {
	        "SELECT count(*) FROM samples s JOIN runs r ON r.id = "
	        "s.run_id JOIN commits c ON c.id = r.commit_id JOIN benchmarks "
	        "b ON b.id = s.benchmark_id WHERE (c.sha LIKE '2222%') <> "
	        "(b.name = 'BenchmarkY')",
	        "SELECT count(*) FROM history_points h JOIN commits c ON c.id "
	        "= h.commit_id JOIN benchmarks b ON b.id = h.benchmark_id "
	        "WHERE (c.sha LIKE '2222%') <> (b.name = 'BenchmarkY')",
	        "SELECT count(*) FROM samples s WHERE NOT EXISTS (SELECT 1 "
	        "FROM benchmark_units u WHERE u.benchmark_id = s.benchmark_id "
	        "AND u.unit = s.unit)",
	        "SELECT (SELECT count(*) FROM samples) + (SELECT count(*) "
	        "FROM history_points) - (SELECT count(*) FROM samples s "
	        "JOIN benchmarks b ON b.id = s.benchmark_id) - (SELECT "
	        "count(*) FROM history_points h JOIN benchmarks b ON b.id = "
	        "h.benchmark_id)",
	};
	size_t i;

	for (i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++)
		assert_int_equal(mgt_sql_int(db, wrong[i]), 0);
}

/*
 * A batch of three runs, X, Y, X, each statement failing in turn, then
 * X once more on its own, on one connection. When the first X fails
 * after adding its benchmark, the benchmark is gone and Y's takes the
 * same id: the X after it must not reuse the forgotten one. The same
 * when the whole transaction goes (a failed COMMIT).
 */
static void test_forgotten_on_rollback(void **state)
{
	mgt_store_fixture *f = *state;
	const char *names[4] = {"BenchmarkX", "BenchmarkY", "BenchmarkX",
	                        "BenchmarkX"};
	const char *shas[4] = {"1111111111111111111111111111111111111111",
	                       "2222222222222222222222222222222222222222",
	                       "3333333333333333333333333333333333333333",
	                       "4444444444444444444444444444444444444444"};
	int n, i, failures = 0, stored_total = 0;

	for (n = 1;; n++) {
		mg_store_batch_item it[3];
		mg_err err = MG_ERR_INIT;
		mg_store *st = NULL;
		mg_run runs[4];
		char *db, name[32];
		int64_t id;
		int ok = 0;

		snprintf(name, sizeof(name), "known-%d.db", n);
		db = mgt_path(f->dir, name);
		assert_int_equal(mg_store_open(&st, db, 0, &err), 0);
		memset(it, 0, sizeof(it));
		for (i = 0; i < 4; i++)
			make_run(&runs[i], shas[i], 1000 + i, names[i],
			         10.0 * (i + 1));
		for (i = 0; i < 3; i++)
			it[i].run = &runs[i];
		mg_store_fail_after(st, n);
		(void)mg_store_add_runs(st, it, 3);
		mg_store_fail_after(st, 0);
		for (i = 0; i < 3; i++)
			ok += it[i].error == 0;
		failures += 3 - ok;
		assert_int_equal(
		        mg_store_add_run(st, &runs[3], &id, NULL, &err), 0);
		assert_int_equal(mgt_sql_int(db, "SELECT count(*) FROM runs"),
		                 ok + 1);
		check_rows_match_names(db);
		stored_total += ok;
		for (i = 0; i < 4; i++)
			mg_run_release(&runs[i]);
		mg_store_close(st);
		free(db);
		if (ok == 3)
			break;
	}
	assert_true(failures > 20);
	assert_true(stored_total > 3);
}

/* Column col of the point of (BenchmarkP, unit) at the commit of sha. */
static double point(const char *db, const char *sha, const char *unit,
                    const char *col)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	         "SELECT h.%s FROM history_points h JOIN commits c ON c.id = "
	         "h.commit_id WHERE c.sha = '%s' AND h.unit = '%s'",
	         col, sha, unit);
	return mgt_sql_double(db, sql);
}

/*
 * Sets built by the caller (as the server does, before the write lock)
 * are the ones stored, with the same rows as sets the store builds; a
 * second run of the same commit pools with the first in the point.
 */
static void test_prebuilt_sets(void **state)
{
	mgt_store_fixture *f = *state;
	const char *sha = "5555555555555555555555555555555555555555";
	mg_store_batch_item it;
	mg_store_sets *sets = NULL;
	mg_err err = MG_ERR_INIT;
	mg_run a, b;
	int64_t id;
	char *text;

	make_run(&a, sha, 2000, "BenchmarkP", 100);
	make_run(&b, sha, 2000, "BenchmarkP", 200);
	assert_int_equal(mg_store_add_run(f->st, &a, &id, NULL, &err), 0);
	assert_int_equal(mg_store_sets_build(&sets, &b, &err), 0);
	/*
	 * The store writes the sets it is given, not sets of its own: a
	 * change to the run after they were built does not reach the rows
	 * (the server never changes a run in between).
	 */
	b.samples[0].value = 999;
	memset(&it, 0, sizeof(it));
	it.run = &b;
	it.sets = sets;
	assert_int_equal(mg_store_add_runs(f->st, &it, 1), 0);
	assert_int_equal(it.error, 0);
	/* seq order in the text, whatever order the run listed them in */
	text = mgt_sql_text(f->db, "SELECT sets FROM run_samples WHERE "
	                           "run_id = 2");
	assert_string_equal(text, "[[1,\"B/op\",[[0,2000,100],[1,2000,100],"
	                          "[2,2000,100]]],[1,\"ns/op\",[[0,202,100],"
	                          "[1,201,100],[2,200,100]]]]");
	free(text);
	/* ns/op pooled: 100..102 and 200..202 */
	assert_true(point(f->db, sha, "ns/op", "n") == 6.0);
	assert_true(point(f->db, sha, "ns/op", "median") == 151.0);
	assert_true(point(f->db, sha, "ns/op", "min") == 100.0);
	assert_true(point(f->db, sha, "ns/op", "max") == 202.0);
	assert_true(point(f->db, sha, "B/op", "n") == 6.0);
	assert_true(point(f->db, sha, "B/op", "median") == 1500.0);
	assert_true(point(f->db, sha, "B/op", "min") == 1000.0);
	assert_true(point(f->db, sha, "B/op", "max") == 2000.0);
	mg_store_sets_free(sets);
	mg_run_release(&a);
	mg_run_release(&b);
}

/* A duplicate repetition is refused by name when the sets are built. */
static void test_sets_refuse_duplicates(void **state)
{
	mg_store_sets *sets = NULL;
	mg_err err = MG_ERR_INIT;
	mg_run run;

	(void)state;
	make_run(&run, "6666666666666666666666666666666666666666", 1,
	         "BenchmarkD", 1);
	assert_int_equal(mg_run_add_sample(&run, 0, "ns/op", 9, 100, 1), 0);
	assert_int_equal(mg_store_sets_build(&sets, &run, &err), MG_EINPUT);
	assert_null(sets);
	assert_string_equal(err.msg, "samples[6] ('BenchmarkD' ns/op #1): "
	                             "duplicate of samples[2]");
	mg_run_release(&run);
}

/* The text of the set of `unit` in sets (white box: store_int.h). */
static void set_text(const mg_store_sets *sets, const char *unit,
                     const char *want)
{
	size_t i;

	for (i = 0; i < sets->n; i++)
		if (strcmp(sets->v[i].unit, unit) == 0) {
			assert_int_equal(sets->v[i].json_len, strlen(want));
			assert_memory_equal(sets->json.ptr + sets->v[i].json,
			                    want, strlen(want));
			return;
		}
	fail_msg("no set of %s", unit);
}

/*
 * Samples in blocks of one unit, seq increasing, are taken as they are;
 * any other layout (a unit in two blocks, seq going down, a repeat) is
 * sorted into the same sets, or refused for the repeat.
 */
static void test_sets_of_any_layout(void **state)
{
	static const struct {
		const char *unit;
		int seq;
	} layouts[][6] = {
	        {{"ns/op", 0},
	         {"ns/op", 1},
	         {"ns/op", 2},
	         {"B/op", 0},
	         {"B/op", 1},
	         {"B/op", 2}},
	        {{"B/op", 0},
	         {"B/op", 1},
	         {"ns/op", 0},
	         {"ns/op", 1},
	         {"ns/op", 2},
	         {"B/op", 2}},
	        {{"ns/op", 2},
	         {"ns/op", 1},
	         {"ns/op", 0},
	         {"B/op", 2},
	         {"B/op", 1},
	         {"B/op", 0}},
	};
	mg_store_sets *sets = NULL;
	mg_err err = MG_ERR_INIT;
	mg_run run;
	size_t l, i, b;

	(void)state;
	for (l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
		mg_run_init(&run);
		assert_int_equal(mg_run_add_bench(&run, &b, "BenchmarkL",
		                                  "example.com/k", 0, NULL, 0),
		                 0);
		for (i = 0; i < 6; i++)
			assert_int_equal(
			        mg_run_add_sample(
			                &run, b, layouts[l][i].unit,
			                10 * layouts[l][i].seq +
			                        (layouts[l][i].unit[0] == 'B'),
			                100, layouts[l][i].seq),
			        0);
		assert_int_equal(mg_store_sets_build(&sets, &run, &err), 0);
		assert_int_equal(sets->n, 2);
		set_text(sets, "ns/op", "[[0,0,100],[1,10,100],[2,20,100]]");
		set_text(sets, "B/op", "[[0,1,100],[1,11,100],[2,21,100]]");
		mg_store_sets_free(sets);
		mg_run_release(&run);
	}
	/* a repeat inside a block */
	mg_run_init(&run);
	assert_int_equal(mg_run_add_bench(&run, &b, "BenchmarkL",
	                                  "example.com/k", 0, NULL, 0),
	                 0);
	assert_int_equal(mg_run_add_sample(&run, b, "ns/op", 1, 100, 0), 0);
	assert_int_equal(mg_run_add_sample(&run, b, "ns/op", 2, 100, 0), 0);
	assert_int_equal(mg_store_sets_build(&sets, &run, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "duplicate of samples[0]"));
	mg_run_release(&run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_forgotten_on_rollback,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_prebuilt_sets,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test(test_sets_refuse_duplicates),
	        cmocka_unit_test(test_sets_of_any_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
