/*
 * test_store.c - the SQLite store on real database files in temp dirs:
 * migrations (from empty and from every earlier version), a database from
 * the future, run round trips, all-or-nothing ingest under injected
 * failures, idempotency, validation, the history query and its plan, and
 * two processes writing at once.
 */
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mgtest.h"
#include "migrations.h"
#include "store.h"

struct fixture {
	char *dir;
	char *db;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = mgt_tmpdir();
	f->db = mgt_path(f->dir, "memgate.db");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->db);
	mgt_tmpdir_free(f->dir);
	free(f);
	return 0;
}

static const char SHA_A[] = "1111111111111111111111111111111111111111";
static const char SHA_B[] = "2222222222222222222222222222222222222222";
static const char SHA_C[] = "3333333333333333333333333333333333333333";

/*
 * A run of `sha` with two benchmarks (one with a -procs suffix), three
 * units, `reps` repetitions each; values derive from base so tests can
 * compute what the store must return.
 */
static void make_run(mg_run *run, const char *sha, int64_t time,
                     const char *branch, double base, int reps)
{
	mg_kv cfg[] = {{"goarch", "amd64"},
	               {"goos", "linux"},
	               {"pkg", "example.com/x"}};
	size_t b0, b1;
	int i;

	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, "acme/widgets"), 0);
	assert_int_equal(
	        mg_run_set_str(&run->clone_url, "https://git.example/acme"), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%s", sha);
	assert_int_equal(mg_run_add_parent(run, SHA_C), 0);
	assert_int_equal(
	        mg_run_set_str(&run->commit.author, "Ada <ada@example.com>"),
	        0);
	assert_int_equal(mg_run_set_str(&run->commit.subject, "speed up"), 0);
	run->commit.commit_time = time;
	assert_int_equal(mg_run_set_str(&run->branch, branch), 0);
	assert_int_equal(mg_run_set_str(&run->env.os, "linux"), 0);
	assert_int_equal(mg_run_set_str(&run->env.arch, "amd64"), 0);
	assert_int_equal(mg_run_set_str(&run->env.cpu_model, "Test CPU"), 0);
	run->env.cores = 2;
	run->env.mem_bytes = 24LL << 30;
	assert_int_equal(mg_run_set_str(&run->env.go_version, "go1.19.8"), 0);
	assert_int_equal(mg_run_set_str(&run->bench_cmd, "go test -bench ."),
	                 0);
	run->started_at = 1700000000000;
	run->ended_at = 1700000005000;
	run->wall_ns = 5000000000;
	run->peak_rss = 123456789;
	assert_int_equal(mg_run_add_bench(run, &b0, "BenchmarkHash",
	                                  "example.com/x", 2, cfg, 3),
	                 0);
	assert_int_equal(mg_run_add_bench(run, &b1, "BenchmarkTar/big",
	                                  "example.com/x", 0, cfg, 3),
	                 0);
	for (i = 0; i < reps; i++) {
		assert_int_equal(
		        mg_run_add_sample(run, b0, "ns/op", base + i, 1000, i),
		        0);
		assert_int_equal(
		        mg_run_add_sample(run, b0, "B/op", 64, 1000, i), 0);
		assert_int_equal(
		        mg_run_add_sample(run, b1, "allocs/op", 3, 500, i), 0);
	}
}

static void add_profile(mg_run *run)
{
	static const unsigned char bytes[] = {0x1f, 0x8b, 0x08, 0x00, 0x42};
	mg_profile *p;
	size_t idx;

	assert_int_equal(mg_run_add_profile(run, &idx, "heap", "example.com/x",
	                                    bytes, sizeof(bytes)),
	                 0);
	p = &run->profiles[idx];
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
}

/*
 * SHA-256 of add_profile()'s five bytes 1f 8b 08 00 42, computed with
 * `printf '\037\213\010\000\102' | sha256sum` (octal escapes: the
 * printf of dash has no \x).
 */
#define PROFILE_SHA                                                            \
	"193dfc563b94c7e10432e6268a6b5909827ba761ef16154fa3e4b647bf50354c"
#define OLD_BLOB_SQL                                                           \
	"INSERT INTO profile_blobs(sha256, size, data) VALUES ('" PROFILE_SHA  \
	"', 5, x'1f8b080042')"

/* Rows of table (with any WHERE clause after its name). */
static int64_t count_rows(const char *db, const char *table)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return mgt_sql_int(db, sql);
}

/*
 * Rows PRAGMA foreign_key_check reports. The ingest transaction runs with
 * enforcement off (lib/store_run.c ingest_fk), so every test that ingests
 * checks here that no reference dangles; also that the database is whole.
 */
static int64_t fk_violations(const char *db)
{
	sqlite3 *conn;
	sqlite3_stmt *stmt;
	int64_t n = 0;

	assert_int_equal(sqlite3_open(db, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn, "PRAGMA foreign_key_check",
	                                    -1, &stmt, NULL),
	                 SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW)
		n++;
	sqlite3_finalize(stmt);
	assert_int_equal(sqlite3_prepare_v2(conn, "PRAGMA integrity_check", -1,
	                                    &stmt, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "ok");
	sqlite3_finalize(stmt);
	sqlite3_close(conn);
	return n;
}

static void test_open_new(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	sqlite3 *conn;
	sqlite3_stmt *stmt;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_schema_version(st), mg_migrations_count);
	assert_int_equal(mg_store_latest_version(), mg_migrations_count);
	assert_true(mg_migrations_count >= 3);
	mg_store_close(st);

	/* The file really is in WAL mode, as seen by another connection. */
	assert_int_equal(sqlite3_open(f->db, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn, "PRAGMA journal_mode", -1,
	                                    &stmt, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "wal");
	sqlite3_finalize(stmt);
	sqlite3_close(conn);

	/* Reopening applies nothing and keeps the version. */
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_schema_version(st), mg_migrations_count);
	mg_store_close(st);
}

/*
 * Run 1 of 'old/project' (project 1) at SHA_B on main, stored the way
 * versions before 0010 did: one row per sample, BenchmarkHash ns/op 0.1
 * and 0.30000000000000004 (not exactly representable; they must come
 * back bit for bit).
 */
/*
 * The rows go into `samples`, which 0010 renamed to sample_rows (a view
 * of that name then shows them with the sets): TABLE is either.
 */
#define OLD_RUN_SQL(TABLE)                                                     \
	"INSERT INTO commits(id, project_id, sha, commit_time) VALUES (1, 1, " \
	"'2222222222222222222222222222222222222222', 900);"                    \
	"INSERT INTO environments(id, fingerprint) VALUES (1, 'old');"         \
	"INSERT INTO runs(id, project_id, commit_id, environment_id, branch, " \
	"started_at, ended_at, exit_status, wall_ns, peak_rss_bytes, status, " \
	"stored_at) VALUES (1, 1, 1, 1, 'main', 1, 2, 0, 1, 1, 'ok', 1);"      \
	"INSERT INTO benchmarks(id, project_id, package, name, procs) VALUES " \
	"(1, 1, 'example.com/x', 'BenchmarkHash', 2);"                         \
	"INSERT INTO " TABLE "(run_id, benchmark_id, unit, seq, value, "       \
	"iterations) VALUES (1, 1, 'ns/op', 0, 0.1, 10), (1, 1, 'ns/op', 1, "  \
	"0.30000000000000004, 10);"

/*
 * Run 2 of 'old/project', at commit 3333... on branch 'sets', stored the
 * way versions 0010 and 0011 did: a sample_sets row per (benchmark,
 * unit). Values that need 17 digits, and a unit whose " and \ the text
 * of 0012 must escape.
 */
#define OLD_SETS_SQL                                                           \
	"INSERT INTO commits(id, project_id, sha, commit_time) VALUES (2, 1, " \
	"'3333333333333333333333333333333333333333', 950);"                    \
	"INSERT INTO runs(id, project_id, commit_id, environment_id, branch, " \
	"started_at, ended_at, exit_status, wall_ns, peak_rss_bytes, status, " \
	"stored_at) VALUES (2, 1, 2, 1, 'sets', 1, 2, 0, 1, 1, 'ok', 1);"      \
	"INSERT INTO sample_sets(run_id, benchmark_id, unit, n, samples) "     \
	"VALUES (2, 1, 'ns/op', 2, "                                           \
	"'[[0,0.1,10],[1,0.30000000000000004,10]]'), "                         \
	"(2, 1, 'x\"y\\z', 1, '[[5,-2.5e-300,3]]');"

/* After the upgrade, run 2 (OLD_SETS_SQL) reads back bit for bit. */
static void check_old_sets(mg_store *st, const char *db)
{
	mg_err err = MG_ERR_INIT;
	mg_run old;

	mg_run_init(&old);
	assert_int_equal(mg_store_get_run(st, 2, &old, &err), 0);
	assert_int_equal(old.nbenches, 1);
	assert_string_equal(old.benches[0].name, "BenchmarkHash");
	assert_int_equal(old.nsamples, 3);
	assert_string_equal(old.samples[0].unit, "ns/op");
	assert_true(old.samples[0].value == 0.1);
	assert_true(old.samples[1].value == 0.1 + 0.2);
	assert_int_equal(old.samples[1].iterations, 10);
	assert_string_equal(old.samples[2].unit, "x\"y\\z");
	assert_true(old.samples[2].value == -2.5e-300);
	assert_int_equal(old.samples[2].seq, 5);
	assert_int_equal(old.samples[2].iterations, 3);
	mg_run_release(&old);
	/* and through the view, for SQL */
	assert_true(mgt_sql_double(db, "SELECT value FROM samples WHERE "
	                               "run_id = 2 AND seq = 1") == 0.1 + 0.2);
	assert_int_equal(mgt_sql_int(db, "SELECT count(*) FROM samples WHERE "
	                                 "run_id = 2 AND unit = 'x\"y\\z' "
	                                 "AND seq = 5 AND iterations = 3"),
	                 1);
	assert_int_equal(mgt_sql_int(db, "SELECT n FROM run_samples WHERE "
	                                 "run_id = 2"),
	                 3);
	/* its points, which that version never wrote, rebuilt by 0013 */
	assert_int_equal(mgt_sql_int(db, "SELECT count(*) FROM history_points "
	                                 "WHERE commit_id = 2 AND branch = "
	                                 "'sets'"),
	                 2);
	assert_true(mgt_sql_double(db, "SELECT median FROM history_points "
	                               "WHERE commit_id = 2 AND unit = "
	                               "'ns/op'") == (0.1 + (0.1 + 0.2)) / 2);
	assert_true(mgt_sql_double(db, "SELECT max FROM history_points WHERE "
	                               "commit_id = 2 AND unit = 'x\"y\\z'") ==
	            -2.5e-300);
}

/*
 * A new run of 'old/project' at SHA_B on main, BenchmarkHash ns/op
 * base and base + 1; the point of the commit pools it with the others:
 * *n and *median of that point.
 */
static void add_old_project_run(mg_store *st, const char *db, double base,
                                int64_t *n, double *median)
{
	static const char point[] = "FROM history_points WHERE benchmark_id = "
	                            "1 AND unit = 'ns/op' AND commit_id = 1";
	char sql[256];
	mg_err err = MG_ERR_INIT;
	mg_run run;
	int64_t id;

	make_run(&run, SHA_B, 900, "main", base, 2);
	assert_int_equal(mg_run_set_str(&run.project, "old/project"), 0);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);
	snprintf(sql, sizeof(sql), "SELECT n %s", point);
	*n = mgt_sql_int(db, sql);
	snprintf(sql, sizeof(sql), "SELECT median %s", point);
	*median = mgt_sql_double(db, sql);
}

/*
 * After the upgrade: the old run reads back whole, and new runs of the
 * same commit and branch pool their samples (sets) with the old rows in
 * the commit's history point.
 */
static void check_old_run(mg_store *st, const char *db)
{
	mg_err err = MG_ERR_INIT;
	mg_run old;
	int64_t n;
	double median;

	mg_run_init(&old);
	assert_int_equal(mg_store_get_run(st, 1, &old, &err), 0);
	assert_int_equal(old.nsamples, 2);
	assert_true(old.samples[0].value == 0.1);
	assert_true(old.samples[1].value == 0.1 + 0.2);
	assert_int_equal(old.samples[1].seq, 1);
	mg_run_release(&old);

	/* 2 old samples (0.1, 0.3) + 2 new (100, 101) */
	add_old_project_run(st, db, 100, &n, &median);
	assert_int_equal(n, 4);
	assert_true(median == (0.1 + 0.2 + 100) / 2);
	assert_int_equal(mgt_sql_int(db, "SELECT count(*) FROM samples s JOIN "
	                                 "runs r ON r.id = s.run_id WHERE "
	                                 "r.commit_id = 1"),
	                 2 + 6);
	/* one more: 0.1, 0.3, 100, 101, 200, 201 */
	add_old_project_run(st, db, 200, &n, &median);
	assert_int_equal(n, 6);
	assert_true(median == 100.5);
	assert_true(mgt_sql_double(db, "SELECT max FROM history_points WHERE "
	                               "benchmark_id = 1 AND unit = 'ns/op' "
	                               "AND commit_id = 1") == 201);
}

/*
 * For each earlier version k: build the database by applying the first k
 * migrations by hand, put a project and a run stored as those versions
 * did in it when the tables exist, then let mg_store_open upgrade it. The
 * data must survive, be read back and pooled, and a run must store.
 */
static void test_migrate_from_each_version(void **state)
{
	struct fixture *f = *state;
	int k;

	for (k = 0; k < mg_migrations_count; k++) {
		char name[64];
		char *db;
		sqlite3 *conn;
		mg_store *st = NULL;
		mg_err err = MG_ERR_INIT;
		mg_run run;
		int64_t id;
		int i;

		snprintf(name, sizeof(name), "v%d.db", k);
		db = mgt_path(f->dir, name);
		assert_int_equal(sqlite3_open(db, &conn), SQLITE_OK);
		for (i = 0; i < k; i++) {
			char pragma[64];

			assert_int_equal(sqlite3_exec(conn,
			                              mg_migrations[i].sql,
			                              NULL, NULL, NULL),
			                 SQLITE_OK);
			snprintf(pragma, sizeof(pragma),
			         "PRAGMA user_version = %d", i + 1);
			assert_int_equal(
			        sqlite3_exec(conn, pragma, NULL, NULL, NULL),
			        SQLITE_OK);
		}
		if (k >= 1)
			assert_int_equal(
			        sqlite3_exec(conn,
			                     "INSERT INTO projects(name, "
			                     "default_branch, created_at) "
			                     "VALUES ('old/project', 'trunk', "
			                     "1)",
			                     NULL, NULL, NULL),
			        SQLITE_OK);
		/* a run of the old project with a row per sample (before 0010) */
		if (k >= 1)
			assert_int_equal(
			        sqlite3_exec(
			                conn,
			                k >= 10 ? OLD_RUN_SQL("sample_rows")
			                        : OLD_RUN_SQL("samples"),
			                NULL, NULL, NULL),
			        SQLITE_OK);
		/* a run with sets, where they were a table (0010, 0011) */
		if (k >= 10 && k <= 11)
			assert_int_equal(sqlite3_exec(conn, OLD_SETS_SQL, NULL,
			                              NULL, NULL),
			                 SQLITE_OK);
		/*
		 * The blob add_profile() will store, already there from an
		 * older version (0008 rebuilds the table): it must survive
		 * and the new run's profile must share it.
		 */
		if (k >= 2)
			assert_int_equal(sqlite3_exec(conn, OLD_BLOB_SQL, NULL,
			                              NULL, NULL),
			                 SQLITE_OK);
		sqlite3_close(conn);

		assert_int_equal(mg_store_open(&st, db, 0, &err), 0);
		assert_int_equal(mg_store_schema_version(st),
		                 mg_migrations_count);
		make_run(&run, SHA_A, 1000, "main", 100, 2);
		add_profile(&run);
		assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
		                 0);
		mg_run_release(&run);
		if (k >= 1)
			check_old_run(st, db);
		if (k >= 10 && k <= 11)
			check_old_sets(st, db);
		mg_store_close(st);
		assert_int_equal(count_rows(db, "projects"), k >= 1 ? 2 : 1);
		assert_int_equal(count_rows(db, "profiles"), 1);
		assert_int_equal(count_rows(db,
		                            "profile_blobs WHERE data = "
		                            "x'1f8b080042' AND size = 5 AND "
		                            "sha256 = '" PROFILE_SHA "'"),
		                 1);
		assert_int_equal(count_rows(db, "profile_blobs"), 1);
		assert_int_equal(fk_violations(db), 0);
		free(db);
	}
}

static void test_future_database_refused(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	sqlite3 *conn;
	char pragma[64];

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	mg_store_close(st);
	assert_int_equal(sqlite3_open(f->db, &conn), SQLITE_OK);
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
	         mg_migrations_count + 1);
	assert_int_equal(sqlite3_exec(conn, pragma, NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(conn);

	st = NULL;
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), MG_ECONFLICT);
	assert_null(st);
	assert_non_null(strstr(err.msg, "newer than this memgate"));
	assert_non_null(strstr(err.msg, f->db));
}

static void test_run_round_trip(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run in, out;
	int64_t id;
	bool existed = true;
	size_t i;

	make_run(&in, SHA_A, 1000, "main", 100, 3);
	add_profile(&in);
	assert_int_equal(mg_run_set_str(&in.env.gogc, "200"), 0);
	assert_int_equal(mg_run_set_str(&in.base_ref, "main"), 0);
	in.pr_number = 42;
	in.dirty = true;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_add_run(st, &in, &id, &existed, &err), 0);
	assert_false(existed);
	mg_store_close(st);

	/* Close and reopen: the data comes from the file. */
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	mg_run_init(&out);
	assert_int_equal(mg_store_get_run(st, id, &out, &err), 0);
	assert_string_equal(out.project, "acme/widgets");
	assert_string_equal(out.clone_url, "https://git.example/acme");
	assert_string_equal(out.default_branch, "main");
	assert_string_equal(out.commit.sha, SHA_A);
	assert_int_equal(out.commit.nparents, 1);
	assert_string_equal(out.commit.parents[0], SHA_C);
	assert_string_equal(out.commit.author, "Ada <ada@example.com>");
	assert_string_equal(out.commit.subject, "speed up");
	assert_int_equal(out.commit.commit_time, 1000);
	assert_string_equal(out.branch, "main");
	assert_true(out.dirty);
	assert_int_equal(out.pr_number, 42);
	assert_string_equal(out.base_ref, "main");
	assert_string_equal(out.env.cpu_model, "Test CPU");
	assert_string_equal(out.env.gogc, "200");
	assert_null(out.env.gomemlimit);
	assert_int_equal(out.env.cores, 2);
	assert_int_equal(out.env.mem_bytes, 24LL << 30);
	assert_int_equal(out.started_at, 1700000000000);
	assert_int_equal(out.wall_ns, 5000000000);
	assert_int_equal(out.peak_rss, 123456789);
	assert_int_equal(out.status, MG_RUN_OK);
	assert_string_equal(out.bench_cmd, "go test -bench .");
	assert_null(out.build_cmd);

	assert_int_equal(out.nbenches, 2);
	assert_int_equal(out.nsamples, in.nsamples);
	for (i = 0; i < out.nbenches; i++) {
		const mg_bench *b = &out.benches[i];

		assert_int_equal(b->nconfig, 3);
		assert_string_equal(b->config[0].key, "goarch");
		assert_string_equal(b->config[2].value, "example.com/x");
		if (strcmp(b->name, "BenchmarkHash") == 0)
			assert_int_equal(b->procs, 2);
		else
			assert_string_equal(b->name, "BenchmarkTar/big");
	}
	/* Every repetition came back with its own value and iterations. */
	{
		double ns_sum = 0;
		int ns_n = 0;

		for (i = 0; i < out.nsamples; i++) {
			const mg_sample *s = &out.samples[i];

			if (strcmp(s->unit, "ns/op") == 0) {
				ns_sum += s->value;
				ns_n++;
				assert_int_equal(s->iterations, 1000);
				assert_true(s->value == 100 + s->seq);
			}
		}
		assert_int_equal(ns_n, 3);
		assert_true(ns_sum == 100 + 101 + 102);
	}
	assert_int_equal(out.nprofiles, 1);
	assert_string_equal(out.profiles[0].kind, "heap");
	assert_int_equal(out.profiles[0].len, 5);
	assert_memory_equal(out.profiles[0].data, in.profiles[0].data, 5);
	assert_int_equal(out.profiles[0].nsample_types, 2);
	assert_string_equal(out.profiles[0].sample_types[1],
	                    "alloc_space/bytes");
	assert_string_equal(out.profiles[0].default_sample_type, "alloc_space");
	assert_int_equal(out.profiles[0].nfuncs, 2);
	for (i = 0; i < 2; i++) {
		const mg_func_agg *fa = &out.profiles[0].funcs[i];

		assert_string_equal(fa->function, "main.hash");
		if (fa->sample_type == 1) {
			assert_int_equal(fa->flat, 4096);
			assert_int_equal(fa->cum, 8192);
		} else {
			assert_int_equal(fa->flat, 2);
			assert_int_equal(fa->cum, 3);
		}
	}
	mg_run_release(&out);
	mg_run_release(&in);

	mg_run_init(&out);
	assert_int_equal(mg_store_get_run(st, id + 100, &out, &err),
	                 MG_ENOTFOUND);
	mg_store_close(st);
	assert_int_equal(fk_violations(f->db), 0);
}

static const char *const all_tables[] = {
        "projects",         "commits",
        "commit_parents",   "commit_branches",
        "environments",     "runs",
        "benchmarks",       "run_benchmark_config",
        "samples",          "history_points",
        "profile_blobs",    "profiles",
        "profile_functions"};
#define NTABLES (sizeof(all_tables) / sizeof(all_tables[0]))

/*
 * Fail the 1st, 2nd, ... statement of an ingest in turn. Each failing
 * attempt must leave every table exactly as it was; the first attempt
 * that gets through must store the whole run.
 */
static void test_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run base, run;
	int64_t before[NTABLES], id;
	size_t t;
	int n, failures = 0;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	/* Something already stored, which must not be disturbed. */
	make_run(&base, SHA_B, 900, "main", 50, 2);
	assert_int_equal(mg_store_add_run(st, &base, &id, NULL, &err), 0);
	mg_run_release(&base);
	for (t = 0; t < NTABLES; t++)
		before[t] = count_rows(f->db, all_tables[t]);

	make_run(&run, SHA_A, 1000, "main", 100, 3);
	add_profile(&run);
	for (n = 1;; n++) {
		mg_store_fail_after(st, n);
		mg_err_clear(&err);
		if (mg_store_add_run(st, &run, &id, NULL, &err) == 0)
			break;
		failures++;
		assert_int_equal(err.code, MG_EDB);
		assert_non_null(strstr(err.msg, "injected failure"));
		for (t = 0; t < NTABLES; t++)
			assert_int_equal(count_rows(f->db, all_tables[t]),
			                 before[t]);
	}
	mg_store_fail_after(st, 0);
	/* Samples, benchmarks, configs, profile, points...: many steps. */
	assert_true(failures > 20);
	assert_int_equal(count_rows(f->db, "runs"), before[5] + 1);
	assert_int_equal(count_rows(f->db, "samples"),
	                 before[8] + (int64_t)run.nsamples);
	assert_int_equal(count_rows(f->db, "profile_functions"), 2);
	assert_int_equal(fk_violations(f->db), 0);
	mg_run_release(&run);
	mg_store_close(st);
}

/* The samples stored for run `id`. */
static int64_t run_samples(const char *db, int64_t id)
{
	char table[64];

	snprintf(table, sizeof(table), "samples WHERE run_id = %lld",
	         (long long)id);
	return count_rows(db, table);
}

/*
 * Group commit (mg_store_add_runs): each run ends as it would alone. A
 * run refused by validation, and a second upload of an idempotency key
 * in the same batch, leave the others committed.
 */
static void test_batch(void **state)
{
	struct fixture *f = *state;
	mg_store_batch_item it[4];
	mg_store *st = NULL;
	mg_err err = MG_ERR_INIT;
	mg_run runs[4];
	int i;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	make_run(&runs[0], SHA_A, 1000, "main", 100, 3);
	assert_int_equal(mg_run_set_str(&runs[0].idempotency_key, "k1"), 0);
	make_run(&runs[1], "not-a-sha", 1001, "main", 100, 3);
	make_run(&runs[2], SHA_A, 1000, "main", 100, 3);
	assert_int_equal(mg_run_set_str(&runs[2].idempotency_key, "k1"), 0);
	make_run(&runs[3], SHA_B, 1002, "main", 200, 2);
	memset(it, 0, sizeof(it));
	for (i = 0; i < 4; i++)
		it[i].run = &runs[i];
	assert_int_equal(mg_store_add_runs(st, it, 4), 0);

	assert_int_equal(it[0].error, 0);
	assert_false(it[0].existed);
	assert_int_equal(it[1].error, MG_EINPUT);
	assert_non_null(strstr(it[1].err.msg, "commit.sha"));
	assert_int_equal(it[2].error, 0);
	assert_true(it[2].existed);
	assert_int_equal(it[2].id, it[0].id);
	assert_int_equal(it[3].error, 0);
	assert_false(it[3].existed);
	assert_true(it[3].id > it[0].id);
	assert_int_equal(count_rows(f->db, "runs"), 2);
	/* make_run: 3 samples per repetition */
	assert_int_equal(run_samples(f->db, it[0].id), 9);
	assert_int_equal(run_samples(f->db, it[3].id), 6);
	assert_int_equal(fk_violations(f->db), 0);
	for (i = 0; i < 4; i++)
		mg_run_release(&runs[i]);
	mg_store_close(st);
}

/*
 * Every statement of a batch of three runs failed in turn, each time on a
 * fresh database: a run either failed with the injected error and left
 * nothing, or is there whole; a failure inside one run leaves the runs
 * around it committed. (The injection counts prepared statements, not
 * BEGIN/SAVEPOINT/COMMIT.)
 */
/* The regular files in dir (. and .. aside). */
static int64_t count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int64_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_type == DT_REG;
	closedir(d);
	return n;
}

/*
 * Every statement of a batch fails in turn (fault injection), on a fresh
 * database each time: a failed run leaves nothing, the others are whole.
 * With profiles in their directory, that includes the files: exactly one
 * per blob row that the database kept, each run's profile distinct.
 */
static void batch_all_or_nothing(const struct fixture *f, unsigned flags)
{
	const char *shas[3] = {SHA_A, SHA_B,
	                       "4444444444444444444444444444444444444444"};
	bool isolated = false;
	int n, i, failures = 0;

	for (n = 1;; n++) {
		mg_store_batch_item it[3];
		mg_err err = MG_ERR_INIT;
		mg_store *st = NULL;
		mg_run runs[3];
		char *db, name[32];
		int ok = 0, stored = 0;

		snprintf(name, sizeof(name), "batch-%u-%d.db", flags, n);
		db = mgt_path(f->dir, name);
		assert_int_equal(mg_store_open(&st, db, flags, &err), 0);
		memset(it, 0, sizeof(it));
		for (i = 0; i < 3; i++) {
			make_run(&runs[i], shas[i], 1000 + i, "main", 10 * i,
			         2);
			add_profile(&runs[i]);
			/* distinct bytes, so each run has a blob of its own */
			runs[i].profiles[0].data[4] = (unsigned char)i;
			it[i].run = &runs[i];
		}
		mg_store_fail_after(st, n);
		(void)mg_store_add_runs(st, it, 3);
		mg_store_fail_after(st, 0);
		for (i = 0; i < 3; i++) {
			if (it[i].error == 0) {
				ok++;
				assert_int_equal(run_samples(db, it[i].id), 6);
				continue;
			}
			failures++;
			assert_int_equal(it[i].error, MG_EDB);
			assert_non_null(
			        strstr(it[i].err.msg, "injected failure"));
		}
		stored = (int)count_rows(db, "runs");
		assert_int_equal(stored, ok);
		assert_int_equal(count_rows(db, "samples"), 6 * ok);
		assert_int_equal(count_rows(db, "profiles"), ok);
		assert_int_equal(fk_violations(db), 0);
		if (flags & MG_STORE_PROFILES_IN_DIR) {
			char *dir = mg_store_profile_dir(db);

			assert_int_equal(count_rows(db, "profile_blobs WHERE "
			                                "stored_in = 'dir'"),
			                 ok);
			assert_int_equal(count_files(dir), ok);
			free(dir);
		}
		if (ok == 2)
			isolated = true;
		for (i = 0; i < 3; i++)
			mg_run_release(&runs[i]);
		mg_store_close(st);
		free(db);
		if (ok == 3)
			break;
	}
	/* many statements per run, so many failures */
	assert_true(failures > 30);
	assert_true(isolated);
}

static void test_batch_all_or_nothing(void **state)
{
	batch_all_or_nothing(*state, 0);
}

static void test_batch_all_or_nothing_profile_files(void **state)
{
	batch_all_or_nothing(*state, MG_STORE_PROFILES_IN_DIR);
}

/* Bits of a random finite double (any sign, exponent and mantissa). */
static double random_double(uint64_t *x)
{
	double d;

	do {
		*x ^= *x << 13;
		*x ^= *x >> 7;
		*x ^= *x << 17;
		memcpy(&d, x, sizeof(d));
	} while (!isfinite(d));
	return d;
}

/*
 * Sample values come back bit for bit, through the store and through the
 * `samples` view (SQLite's own JSON reading): tricky values and 3,000
 * random bit patterns, in seq order per unit. (Not -0.0: SQLite has no
 * negative zero, stored REAL or parsed.)
 */
static void test_sample_values_exact(void **state)
{
	struct fixture *f = *state;
	static const double tricky[] = {0.1,
	                                1.0 / 3,
	                                5e-324,
	                                2.2250738585072014e-308,
	                                1.7976931348623157e308,
	                                1e15,
	                                1e15 + 0.5,
	                                123456789012345678.0,
	                                -9007199254740993.0,
	                                0.30000000000000004,
	                                1e-7,
	                                64,
	                                -3};
	enum { NT = sizeof(tricky) / sizeof(tricky[0]), N = 1000 };
	const char *units[3] = {"ns/op", "B/op", "x-units"};
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run run, back;
	sqlite3 *conn;
	sqlite3_stmt *stmt;
	uint64_t x = 88172645463325252ULL;
	double *want = malloc(3 * N * sizeof(*want));
	size_t b, i, u, n = 0;
	int64_t id;

	assert_non_null(want);
	make_run(&run, SHA_A, 1000, "main", 1, 0);
	assert_int_equal(mg_run_add_bench(&run, &b, "BenchmarkExact",
	                                  "example.com/x", 0, NULL, 0),
	                 0);
	for (u = 0; u < 3; u++)
		for (i = 0; i < N; i++) {
			double v = i < NT ? tricky[i] : random_double(&x);

			want[u * N + i] = v;
			/* added in reverse seq order: the store sorts */
			assert_int_equal(
			        mg_run_add_sample(&run, b, units[u], v,
			                          (int64_t)i + 1,
			                          (int64_t)(N - 1 - i)),
			        0);
			want[u * N + i] = v;
		}
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_run_init(&back);
	assert_int_equal(mg_store_get_run(st, id, &back, &err), 0);
	assert_int_equal(back.nsamples, 3 * N);
	for (i = 0; i < back.nsamples; i++) {
		const mg_sample *s = &back.samples[i];
		double w;

		for (u = 0; strcmp(units[u], s->unit) != 0; u++)
			;
		w = want[u * N + (size_t)(N - 1 - s->seq)];
		assert_memory_equal(&s->value, &w, sizeof(w));
		assert_int_equal(s->iterations, N - s->seq);
	}
	mg_run_release(&back);
	mg_store_close(st);

	assert_int_equal(sqlite3_open(f->db, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn,
	                                    "SELECT unit, seq, value FROM "
	                                    "samples WHERE run_id = ?1",
	                                    -1, &stmt, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int64(stmt, 1, id);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		const char *unit = (const char *)sqlite3_column_text(stmt, 0);
		int64_t seq = sqlite3_column_int64(stmt, 1);
		double v = sqlite3_column_double(stmt, 2), w;

		for (u = 0; strcmp(units[u], unit) != 0; u++)
			;
		w = want[u * N + (size_t)(N - 1 - seq)];
		assert_memory_equal(&v, &w, sizeof(w));
		assert_int_equal(sqlite3_column_type(stmt, 2), SQLITE_FLOAT);
		n++;
	}
	assert_int_equal(n, 3 * N);
	sqlite3_finalize(stmt);
	sqlite3_close(conn);
	mg_run_release(&run);
	free(want);
}

#define SHA_B_LIT "2222222222222222222222222222222222222222"
#define SHA_C_LIT "3333333333333333333333333333333333333333"

/*
 * History points of runs whose benchmarks come in another order than
 * their ids, with 101 repetitions in descending order, and in id order
 * with 7 values out of order: each point has the n, median, min and max
 * of its own values.
 */
static void test_history_points_any_order(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run a, b;
	size_t tar, hash;
	int64_t id;
	int i;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	make_run(&a, SHA_A, 1000, "main", 100, 2);
	assert_int_equal(mg_store_add_run(st, &a, &id, NULL, &err), 0);
	mg_run_release(&a);

	/* BenchmarkTar/big (the higher id) first; 101 values, descending */
	make_run(&b, SHA_B, 2000, "main", 0, 0);
	assert_int_equal(mg_run_add_bench(&b, &tar, "BenchmarkTar/big",
	                                  "example.com/x", 0, NULL, 0),
	                 0);
	assert_int_equal(mg_run_add_bench(&b, &hash, "BenchmarkHash",
	                                  "example.com/x", 2, NULL, 0),
	                 0);
	for (i = 0; i < 101; i++) {
		assert_int_equal(
		        mg_run_add_sample(&b, tar, "allocs/op", 300 - i, 10, i),
		        0);
		assert_int_equal(mg_run_add_sample(&b, hash, "ns/op",
		                                   1000 - 2 * i, 10, i),
		                 0);
	}
	assert_int_equal(mg_store_add_run(st, &b, &id, NULL, &err), 0);
	mg_run_release(&b);

	/* in id order, 7 values out of order: the fast path */
	make_run(&b, SHA_C, 3000, "main", 0, 0);
	assert_int_equal(mg_run_add_bench(&b, &hash, "BenchmarkHash",
	                                  "example.com/x", 2, NULL, 0),
	                 0);
	for (i = 0; i < 7; i++)
		assert_int_equal(mg_run_add_sample(&b, hash, "ns/op",
		                                   (double)((i * 3) % 7), 10,
		                                   i),
		                 0);
	assert_int_equal(mg_store_add_run(st, &b, &id, NULL, &err), 0);
	mg_run_release(&b);
	mg_store_close(st);
	/* values 0, 3, 6, 2, 5, 1, 4 */
	assert_int_equal(mgt_sql_int(f->db,
	                             "SELECT h.n = 7 AND h.median = 3 AND "
	                             "h.min = 0 AND h.max = 6 FROM "
	                             "history_points h JOIN commits c ON c.id "
	                             "= h.commit_id WHERE c.sha = '" SHA_C_LIT
	                             "'"),
	                 1);

	assert_int_equal(mgt_sql_int(f->db,
	                             "SELECT count(*) FROM history_points h "
	                             "JOIN commits c ON c.id = h.commit_id "
	                             "WHERE c.sha = '" SHA_B_LIT "'"),
	                 2);
	assert_int_equal(
	        mgt_sql_int(f->db,
	                    "SELECT h.n = 101 AND h.median = 250 AND "
	                    "h.min = 200 AND h.max = 300 FROM "
	                    "history_points h JOIN benchmarks b ON "
	                    "b.id = h.benchmark_id JOIN commits c ON "
	                    "c.id = h.commit_id WHERE c.sha = '" SHA_B_LIT
	                    "' AND b.name = 'BenchmarkTar/big'"),
	        1);
	assert_int_equal(
	        mgt_sql_int(f->db,
	                    "SELECT h.n = 101 AND h.median = 900 AND "
	                    "h.min = 800 AND h.max = 1000 FROM "
	                    "history_points h JOIN benchmarks b ON "
	                    "b.id = h.benchmark_id JOIN commits c ON "
	                    "c.id = h.commit_id WHERE c.sha = '" SHA_B_LIT
	                    "' AND b.name = 'BenchmarkHash'"),
	        1);
}

/*
 * A sample set damaged in the database (edited by hand, say) is an error
 * naming the row, for a reader and for a writer pooling the commit's
 * runs; never samples made up or dropped.
 */
static void test_damaged_set_is_an_error(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run run, back;
	int64_t id, id2;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	make_run(&run, SHA_A, 1000, "main", 100, 2);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_store_close(st);
	/* B/op's set gets a first element of two numbers */
	mgt_sql_exec(f->db, "UPDATE run_samples SET sets = replace(sets, "
	                    "'\"B/op\",[', '\"B/op\",[[0,1],')");

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	mg_run_init(&back);
	assert_int_equal(mg_store_get_run(st, id, &back, &err), MG_EDB);
	assert_non_null(strstr(err.msg, "run 1: run samples: entry 0 "
	                                "(benchmark 1, unit 'B/op'): sample "
	                                "set: element 0: expected [seq, "
	                                "value, iterations]"));
	/* the same commit and branch again: pooling reads the damaged set */
	assert_int_equal(mg_store_add_run(st, &run, &id2, NULL, &err), MG_EDB);
	assert_non_null(strstr(err.msg, "run 1: run samples: entry 0 "
	                                "(benchmark 1, unit 'B/op'): sample "
	                                "set: element 0"));
	mg_store_close(st);
	assert_int_equal(count_rows(f->db, "runs"), 1);
	mg_run_release(&run);
}

/* Two samples of one benchmark, unit and seq: refused by name. */
static void test_duplicate_sample_refused(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run run;
	int64_t id;

	make_run(&run, SHA_A, 1000, "main", 100, 2);
	assert_int_equal(mg_run_add_sample(&run, 0, "B/op", 65, 1000, 1), 0);
	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "samples[6] ('BenchmarkHash' B/op "
	                                "#1): duplicate of samples[4]"));
	mg_store_close(st);
	assert_int_equal(count_rows(f->db, "runs"), 0);
	assert_int_equal(count_rows(f->db, "samples"), 0);
	mg_run_release(&run);
}

static void test_idempotency_key(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run run;
	int64_t id1, id2;
	bool existed;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	make_run(&run, SHA_A, 1000, "main", 100, 3);
	assert_int_equal(mg_run_set_str(&run.idempotency_key, "upload-7"), 0);
	assert_int_equal(mg_store_add_run(st, &run, &id1, &existed, &err), 0);
	assert_false(existed);
	assert_int_equal(mg_store_add_run(st, &run, &id2, &existed, &err), 0);
	assert_true(existed);
	assert_int_equal(id1, id2);
	assert_int_equal(count_rows(f->db, "runs"), 1);
	assert_int_equal(count_rows(f->db, "samples"), 9);
	/* Without a key, the same run is a new repetition. */
	free(run.idempotency_key);
	run.idempotency_key = NULL;
	assert_int_equal(mg_store_add_run(st, &run, &id2, &existed, &err), 0);
	assert_true(id2 != id1);
	mg_run_release(&run);
	mg_store_close(st);
}

static void test_validation(void **state)
{
	char bad_unit[] = "allocs op";
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run run;
	int64_t id;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);

	make_run(&run, "not-a-sha", 1000, "main", 100, 1);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg, "field 'commit.sha': expected 40 "
	                             "lower-case hex digits, got 'not-a-sha'");
	mg_run_release(&run);

	make_run(&run, SHA_A, 1000, "main", 100, 1);
	run.samples[1].value = 0.0 / 0.0;
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg,
	                    "field 'samples[1].value': not a finite number");
	mg_run_release(&run);

	make_run(&run, SHA_A, 1000, "main", 100, 1);
	/* units belong to the run (shared by its samples): point elsewhere */
	run.samples[2].unit = bad_unit;
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "samples[2].unit"));
	mg_run_release(&run);

	/* SQL metacharacters are data, stored verbatim. */
	make_run(&run, SHA_A, 1000, "main", 100, 1);
	assert_int_equal(
	        mg_run_set_str(&run.project, "x'); DROP TABLE runs; --"), 0);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);
	mg_run_init(&run);
	assert_int_equal(mg_store_get_run(st, id, &run, &err), 0);
	assert_string_equal(run.project, "x'); DROP TABLE runs; --");
	mg_run_release(&run);

	assert_int_equal(count_rows(f->db, "runs"), 1);
	mg_store_close(st);
}

/*
 * History: commits at times 1000..1004 on main with ns/op medians we
 * know, a second run of one commit (pooled), a failed run and a run on
 * another branch (both ignored).
 */
static void test_history(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_history_point *pts = NULL;
	mg_history_query q = {
	        "acme/widgets", "BenchmarkHash-2", NULL, "ns/op", NULL, 3};
	mg_run run;
	int64_t id;
	size_t n = 0;
	int c;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	for (c = 0; c < 5; c++) {
		char sha[41];

		memset(sha, 'a' + c, 40);
		sha[40] = '\0';
		/* ns/op samples base..base+4: median base+2 */
		make_run(&run, sha, 1000 + c, "main", 100 * (c + 1), 5);
		assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err),
		                 0);
		if (c == 4) {
			/* Same commit again, 10 higher: pooled median. */
			mg_run_release(&run);
			make_run(&run, sha, 1000 + c, "main", 510, 5);
			assert_int_equal(
			        mg_store_add_run(st, &run, &id, NULL, &err), 0);
			/* A failed run must not move the point. */
			mg_run_release(&run);
			make_run(&run, sha, 1000 + c, "main", 9000, 5);
			run.status = MG_RUN_FAILED;
			assert_int_equal(
			        mg_store_add_run(st, &run, &id, NULL, &err), 0);
			/* Nor a run on another branch. */
			mg_run_release(&run);
			make_run(&run, sha, 1000 + c, "feature", 7000, 5);
			assert_int_equal(
			        mg_store_add_run(st, &run, &id, NULL, &err), 0);
		}
		mg_run_release(&run);
	}

	assert_int_equal(mg_store_history(st, &q, &pts, &n, &err), 0);
	assert_int_equal(n, 3);
	/* Newest first: commit 'e' pools 500..504 and 510..514. */
	assert_string_equal(pts[0].sha,
	                    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
	assert_int_equal(pts[0].commit_time, 1004);
	assert_int_equal(pts[0].n, 10);
	assert_true(pts[0].median == (504.0 + 510.0) / 2);
	assert_true(pts[0].min == 500 && pts[0].max == 514);
	assert_string_equal(pts[0].subject, "speed up");
	assert_int_equal(pts[1].commit_time, 1003);
	assert_int_equal(pts[1].n, 5);
	assert_true(pts[1].median == 402);
	assert_int_equal(pts[2].commit_time, 1002);
	mg_history_free(pts, n);

	/* The other branch has its own series. */
	q.branch = "feature";
	q.limit = 50;
	assert_int_equal(mg_store_history(st, &q, &pts, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_true(pts[0].median == 7002);
	mg_history_free(pts, n);

	q.branch = NULL;
	q.benchmark = "BenchmarkTar/big";
	q.unit = "allocs/op";
	assert_int_equal(mg_store_history(st, &q, &pts, &n, &err), 0);
	assert_int_equal(n, 5);
	assert_true(pts[4].median == 3 && pts[4].n == 5);
	mg_history_free(pts, n);

	q.benchmark = "BenchmarkNope";
	assert_int_equal(mg_store_history(st, &q, &pts, &n, &err),
	                 MG_ENOTFOUND);
	assert_string_equal(err.msg, "benchmark 'BenchmarkNope' not found in "
	                             "project 'acme/widgets'");
	q.project = "nobody/else";
	assert_int_equal(mg_store_history(st, &q, &pts, &n, &err),
	                 MG_ENOTFOUND);
	mg_store_close(st);
}

static void test_history_plan_is_index_range_scan(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	char *plan = NULL;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	assert_int_equal(mg_store_explain_history(st, &plan, &err), 0);
	print_message("history plan:\n%s", plan);
	/*
	 * A SEARCH on the chunks' primary key with all three equality
	 * columns (each point's commit is then one keyed lookup)...
	 */
	assert_non_null(strstr(plan, "SEARCH history_chunks USING PRIMARY "
	                             "KEY (benchmark_id=? AND unit=? AND "
	                             "branch=?)"));
	/* ...and no full scan or sort step: newest first from the key. */
	assert_null(strstr(plan, "SCAN"));
	assert_null(strstr(plan, "TEMP B-TREE"));
	free(plan);
	mg_store_close(st);
}

/*
 * Two processes store 25 runs each into the same new file at once. Both
 * must succeed without "database is locked" and all 50 runs must be
 * there, each whole.
 */
static void test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	pid_t pids[2];
	int w, status;

	for (w = 0; w < 2; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			mg_err err = MG_ERR_INIT;
			mg_store *st = NULL;
			int i, rc = 0;

			if (mg_store_open(&st, f->db, 0, &err) < 0) {
				fprintf(stderr, "writer %d: %s\n", w, err.msg);
				_exit(1);
			}
			for (i = 0; i < 25 && rc == 0; i++) {
				mg_run run;
				char sha[41];
				int64_t id;

				snprintf(sha, sizeof(sha), "%040d",
				         w * 100 + i);
				make_run(&run, sha, 2000 + i, "main", 10, 3);
				rc = mg_store_add_run(st, &run, &id, NULL,
				                      &err);
				if (rc < 0)
					fprintf(stderr, "writer %d: %s\n", w,
					        err.msg);
				mg_run_release(&run);
			}
			mg_store_close(st);
			_exit(rc == 0 ? 0 : 1);
		}
	}
	for (w = 0; w < 2; w++) {
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(count_rows(f->db, "runs"), 50);
	assert_int_equal(count_rows(f->db, "commits"), 50);
	assert_int_equal(count_rows(f->db, "samples"), 50 * 9);
	assert_int_equal(count_rows(f->db, "projects"), 1);
	assert_int_equal(count_rows(f->db, "environments"), 1);
	assert_int_equal(fk_violations(f->db), 0);
}

static void test_list_and_has_run(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run_summary *runs = NULL;
	mg_run run, probe;
	size_t n = 0;
	int64_t id;
	bool has = true;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	make_run(&probe, SHA_A, 1000, "main", 100, 1);
	assert_int_equal(mg_store_has_run(st, &probe, &has, &err), 0);
	assert_false(has);

	make_run(&run, SHA_A, 1000, "main", 100, 2);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);
	make_run(&run, SHA_B, 1001, "main", 100, 2);
	run.status = MG_RUN_FAILED;
	assert_int_equal(mg_run_set_str(&run.log_tail, "build failed"), 0);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);

	/* Same commit, command and environment: measured already. */
	assert_int_equal(mg_store_has_run(st, &probe, &has, &err), 0);
	assert_true(has);
	/* Another command or another runner label is not. */
	assert_int_equal(mg_run_set_str(&probe.bench_cmd, "go test -bench X"),
	                 0);
	assert_int_equal(mg_store_has_run(st, &probe, &has, &err), 0);
	assert_false(has);
	assert_int_equal(mg_run_set_str(&probe.bench_cmd, "go test -bench ."),
	                 0);
	assert_int_equal(mg_run_set_str(&probe.env.label, "big-runner"), 0);
	assert_int_equal(mg_store_has_run(st, &probe, &has, &err), 0);
	assert_false(has);
	mg_run_release(&probe);

	assert_int_equal(mg_store_list_runs(st, NULL, 10, &runs, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(runs[0].id, id); /* newest first */
	assert_string_equal(runs[0].sha, SHA_B);
	assert_int_equal(runs[0].status, MG_RUN_FAILED);
	assert_int_equal(runs[1].status, MG_RUN_OK);
	assert_int_equal(runs[1].nsamples, 6);
	assert_string_equal(runs[1].project, "acme/widgets");
	assert_string_equal(runs[1].branch, "main");
	mg_run_summary_free(runs, n);
	assert_int_equal(mg_store_list_runs(st, "other", 10, &runs, &n, &err),
	                 0);
	assert_int_equal(n, 0);
	mg_run_summary_free(runs, n);
	mg_store_close(st);
}

/*
 * A backup taken while another process keeps writing is a consistent
 * database: integrity_check ok, and its runs are whole.
 */
static void test_backup_while_writing(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	char *copy = mgt_path(f->dir, "copy.db");
	mg_run run;
	int64_t id, runs, samples;
	pid_t pid;
	int i, status;

	assert_int_equal(mg_store_open(&st, f->db, 0, &err), 0);
	make_run(&run, SHA_A, 1000, "main", 10, 3);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		mg_store *w = NULL;
		int rc = mg_store_open(&w, f->db, 0, &err);

		for (i = 0; rc == 0 && i < 40; i++) {
			char sha[41];

			snprintf(sha, sizeof(sha), "%040d", i + 7);
			make_run(&run, sha, 2000 + i, "main", 10, 3);
			rc = mg_store_add_run(w, &run, &id, NULL, &err);
			mg_run_release(&run);
		}
		mg_store_close(w);
		_exit(rc == 0 ? 0 : 1);
	}
	for (i = 0; i < 5; i++)
		assert_int_equal(mg_store_backup(st, copy, &err), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	mg_store_close(st);

	runs = count_rows(copy, "runs");
	samples = count_rows(copy, "samples");
	assert_true(runs >= 1 && runs <= 41);
	assert_int_equal(samples, runs * 9);
	{
		sqlite3 *conn;
		sqlite3_stmt *stmt;

		assert_int_equal(sqlite3_open(copy, &conn), SQLITE_OK);
		assert_int_equal(sqlite3_prepare_v2(conn,
		                                    "PRAGMA integrity_check",
		                                    -1, &stmt, NULL),
		                 SQLITE_OK);
		assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
		assert_string_equal((const char *)sqlite3_column_text(stmt, 0),
		                    "ok");
		sqlite3_finalize(stmt);
		sqlite3_close(conn);
	}
	/* The copy opens as a memgate store of the current version. */
	assert_int_equal(mg_store_open(&st, copy, 0, &err), 0);
	assert_int_equal(mg_store_schema_version(st), mg_migrations_count);
	mg_store_close(st);
	assert_int_equal(mg_store_open(&st, "/nonexistent/dir/x.db", 0, &err),
	                 MG_EDB);
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_open_new, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_migrate_from_each_version,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_future_database_refused,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_run_round_trip, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_batch_all_or_nothing,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_batch_all_or_nothing_profile_files, setup,
	                teardown),
	        cmocka_unit_test_setup_teardown(test_sample_values_exact, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_duplicate_sample_refused,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_history_points_any_order,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_damaged_set_is_an_error,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_idempotency_key, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_validation, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_history_plan_is_index_range_scan, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_concurrent_writers, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_backup_while_writing,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_list_and_has_run, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
