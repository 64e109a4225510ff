/*
 * test_ab.c - what `memgate ab` relies on in lib/: A/B sessions and noise
 * floors in the store (a real database file in a temp dir: round trip,
 * all-or-nothing under injected failures, refused input, the choice of
 * floor by environment and age, floors reaching a comparison), the A/A
 * noise floor statistic, and the `go test -bench` pattern that re-runs
 * chosen benchmarks.
 */
#include <math.h>
#include <sqlite3.h>

#include "abjson.h"
#include "compare.h"
#include "gobench.h"
#include "mgtest.h"
#include "stats.h"
#include "store.h"

static const char SHA_A[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char SHA_B[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

/*
 * A run of `sha` as `memgate ab` makes one: no branch, `rounds` samples
 * of BenchmarkHash-2 ns/op (base + round) and of BenchmarkTar/big
 * allocs/op (3), on a runner labelled `label`.
 */
static void make_run(mg_run *run, const char *sha, const char *label,
                     const char *project, double base, int rounds)
{
	size_t hash, tar;
	int i;

	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, project), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%s", sha);
	run->commit.commit_time = 1700000000;
	assert_int_equal(mg_run_set_str(&run->env.os, "linux"), 0);
	assert_int_equal(mg_run_set_str(&run->env.label, label), 0);
	assert_int_equal(mg_run_set_str(&run->bench_cmd, "go test"), 0);
	run->started_at = 1700000000000;
	run->ended_at = 1700000001000;
	assert_int_equal(mg_run_add_bench(run, &hash, "BenchmarkHash",
	                                  "example.com/x", 2, NULL, 0),
	                 0);
	assert_int_equal(mg_run_add_bench(run, &tar, "BenchmarkTar/big",
	                                  "example.com/x", 0, NULL, 0),
	                 0);
	for (i = 0; i < rounds; i++) {
		assert_int_equal(mg_run_add_sample(run, hash, "ns/op", base + i,
		                                   1000, i),
		                 0);
		assert_int_equal(
		        mg_run_add_sample(run, tar, "allocs/op", 3, 10, i), 0);
	}
}

static void test_session_round_trip(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_run base, head, back;
	mg_ab_session s = {5, 2, false, NULL, 0};
	int64_t ids[3];

	make_run(&base, SHA_A, "ci", "acme/x", 100, 5);
	make_run(&head, SHA_B, "ci", "acme/x", 200, 7);
	assert_int_equal(mg_store_add_ab(f->st, &base, &head, &s, ids, &err),
	                 0);
	assert_true(ids[0] > 0 && ids[1] > ids[0] && ids[2] > 0);
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM ab_sessions "
	                                    "WHERE rounds = 5 AND "
	                                    "confirm_rounds = 2 AND aa = 0"),
	                 1);
	assert_int_equal(mgt_sql_int(f->db,
	                             "SELECT base_run_id * 1000 + head_run_id "
	                             "FROM ab_sessions"),
	                 ids[0] * 1000 + ids[1]);
	/* Both runs whole, without a branch: no history points. */
	mg_run_init(&back);
	assert_int_equal(mg_store_get_run(f->st, ids[1], &back, &err), 0);
	assert_string_equal(back.commit.sha, SHA_B);
	assert_int_equal(back.nsamples, 14);
	assert_null(back.branch);
	mg_run_release(&back);
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM samples"),
	                 24);
	assert_int_equal(
	        mgt_sql_int(f->db, "SELECT count(*) FROM history_points"), 0);
	assert_int_equal(
	        mgt_sql_int(f->db, "SELECT count(*) FROM noise_floors"), 0);
	/* The units of each benchmark (0007), listed once. */
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM "
	                                    "benchmark_units"),
	                 2);
	mg_run_release(&base);
	mg_run_release(&head);
}

static const char *const tables[] = {
        "runs",         "samples",  "benchmarks",  "commits",
        "environments", "projects", "ab_sessions", "noise_floors",
};
#define NTABLES (sizeof(tables) / sizeof(tables[0]))

static void counts(const char *db, int64_t out[NTABLES])
{
	char sql[128];
	size_t t;

	for (t = 0; t < NTABLES; t++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s",
		         tables[t]);
		out[t] = mgt_sql_int(db, sql);
	}
}

static void test_session_all_or_nothing(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_run base, head;
	mg_ab_floor fl[2] = {
	        {"example.com/x", "BenchmarkHash", 2, "ns/op", 5, 102, 0.04},
	        {"example.com/x", "BenchmarkTar/big", 0, "allocs/op", 5, 3, 0}};
	mg_ab_session s = {5, 0, true, fl, 2};
	int64_t before[NTABLES], now[NTABLES], ids[3];
	int n, failures = 0;
	size_t t;

	make_run(&base, SHA_A, "ci", "acme/x", 100, 5);
	make_run(&head, SHA_A, "ci", "acme/x", 101, 5);
	counts(f->db, before);
	for (n = 1;; n++) {
		mg_store_fail_after(f->st, n);
		mg_err_clear(&err);
		if (mg_store_add_ab(f->st, &base, &head, &s, ids, &err) == 0)
			break;
		failures++;
		assert_int_equal(err.code, MG_EDB);
		counts(f->db, now);
		for (t = 0; t < NTABLES; t++)
			assert_int_equal(now[t], before[t]);
	}
	mg_store_fail_after(f->st, 0);
	/* Two runs, a session and two floors: every step was failed. */
	assert_true(failures > 20);
	counts(f->db, now);
	assert_int_equal(now[0], 2);
	assert_int_equal(now[6], 1);
	assert_int_equal(now[7], 2);
	mg_run_release(&base);
	mg_run_release(&head);
}

static void test_session_refused(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_run base, head, other;
	mg_ab_floor bad_bench = {
	        "example.com/x", "BenchmarkNone", 2, "ns/op", 5, 100, 0.1};
	mg_ab_floor bad_rel = {
	        "example.com/x", "BenchmarkHash", 2, "ns/op", 5, 100, -0.1};
	mg_ab_floor bad_unit = {
	        "example.com/x", "BenchmarkHash", 2, "ns op", 5, 100, 0.1};
	mg_ab_session s = {5, 0, true, &bad_bench, 1};
	int64_t ids[3];

	make_run(&base, SHA_A, "ci", "acme/x", 100, 5);
	make_run(&head, SHA_A, "ci", "acme/x", 100, 5);
	make_run(&other, SHA_B, "ci", "acme/other", 100, 5);
	assert_int_equal(mg_store_add_ab(f->st, &base, &head, &s, ids, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "floors[0].name"));
	s.floors = &bad_rel;
	mg_err_clear(&err);
	assert_int_equal(mg_store_add_ab(f->st, &base, &head, &s, ids, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "floors[0].rel"));
	s.floors = &bad_unit;
	mg_err_clear(&err);
	assert_int_equal(mg_store_add_ab(f->st, &base, &head, &s, ids, &err),
	                 MG_EINPUT);
	s.nfloors = 0;
	mg_err_clear(&err);
	assert_int_equal(mg_store_add_ab(f->st, &base, &other, &s, ids, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "different projects"));
	/* An invalid run names the side and the field. */
	snprintf(head.commit.sha, sizeof(head.commit.sha), "xyz");
	mg_err_clear(&err);
	assert_int_equal(mg_store_add_ab(f->st, &base, &head, &s, ids, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "head run"));
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM runs"), 0);
	mg_run_release(&base);
	mg_run_release(&head);
	mg_run_release(&other);
}

/* An A/A session on runner `label` with one floor per benchmark. */
static void add_aa(mg_store *st, const char *label, double hash_floor,
                   double tar_floor)
{
	mg_err err = MG_ERR_INIT;
	mg_run a, b;
	mg_ab_floor fl[2] = {{"example.com/x", "BenchmarkHash", 2, "ns/op", 4,
	                      101, hash_floor},
	                     {"example.com/x", "BenchmarkTar/big", 0,
	                      "allocs/op", 4, 3, tar_floor}};
	mg_ab_session s = {4, 0, true, fl, tar_floor >= 0 ? 2 : 1};
	int64_t ids[3];

	make_run(&a, SHA_A, label, "acme/x", 100, 4);
	make_run(&b, SHA_A, label, "acme/x", 100, 4);
	assert_int_equal(mg_store_add_ab(st, &a, &b, &s, ids, &err), 0);
	mg_run_release(&a);
	mg_run_release(&b);
}

struct seen {
	double hash, tar;
	bool hash_same, tar_same;
	int calls;
};

static int collect(void *ctx, const char *package, const char *name, int procs,
                   const char *unit, double rel, bool same_env)
{
	struct seen *s = ctx;

	assert_string_equal(package, "example.com/x");
	s->calls++;
	if (strcmp(name, "BenchmarkHash") == 0) {
		assert_int_equal(procs, 2);
		assert_string_equal(unit, "ns/op");
		s->hash = rel;
		s->hash_same = same_env;
	} else {
		assert_string_equal(name, "BenchmarkTar/big");
		assert_string_equal(unit, "allocs/op");
		s->tar = rel;
		s->tar_same = same_env;
	}
	return 0;
}

static void test_floor_choice(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_run probe;
	struct seen s;

	/* Oldest to newest: ci (0.10), laptop (0.30, tar 0.20), ci (0.05). */
	add_aa(f->st, "ci", 0.10, -1);
	add_aa(f->st, "laptop", 0.30, 0.20);
	add_aa(f->st, "ci", 0.05, -1);

	/* On ci: its newest floor; tar only has the laptop's. */
	make_run(&probe, SHA_B, "ci", "acme/x", 0, 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(mg_store_noise_floors(f->st, "acme/x", &probe.env,
	                                       collect, &s, &err),
	                 0);
	assert_int_equal(s.calls, 2);
	assert_true(s.hash == 0.05 && s.hash_same);
	assert_true(s.tar == 0.20 && !s.tar_same);
	mg_run_release(&probe);

	/* On the laptop: its own, although older. */
	make_run(&probe, SHA_B, "laptop", "acme/x", 0, 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(mg_store_noise_floors(f->st, "acme/x", &probe.env,
	                                       collect, &s, &err),
	                 0);
	assert_true(s.hash == 0.30 && s.hash_same);
	assert_true(s.tar == 0.20 && s.tar_same);
	mg_run_release(&probe);

	/* No environment: the newest of all. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(
	        mg_store_noise_floors(f->st, "acme/x", NULL, collect, &s, &err),
	        0);
	assert_true(s.hash == 0.05 && !s.hash_same);
	assert_int_equal(s.calls, 2);

	/* An unknown project has none. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(mg_store_noise_floors(f->st, "acme/none", NULL,
	                                       collect, &s, &err),
	                 0);
	assert_int_equal(s.calls, 0);
}

/* The floors reach the pairs of a comparison, with a note. */
static void test_floors_in_compare(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_compare *c = NULL;
	mg_compare_opts co;
	mg_run base, head;
	size_t i, seen = 0;

	add_aa(f->st, "ci", 0.25, 0.5);
	make_run(&base, SHA_A, "ci", "acme/x", 100, 10);
	make_run(&head, SHA_B, "ci", "acme/x", 120, 10);
	mg_compare_opts_init(&co);
	assert_int_equal(mg_compare_new(&c, &co, &err), 0);
	assert_int_equal(mg_compare_add_run(c, MG_COMPARE_BASE, &base, 1, &err),
	                 0);
	assert_int_equal(mg_compare_add_run(c, MG_COMPARE_HEAD, &head, 2, &err),
	                 0);
	assert_int_equal(
	        mg_compare_load_floors(c, f->st, "acme/x", &head.env, &err), 0);
	assert_int_equal(mg_compare_run(c, &err), 0);
	for (i = 0; i < mg_compare_count(c); i++) {
		const mg_compare_pair *p = mg_compare_pair_at(c, i);

		if (strcmp(p->unit, "ns/op") == 0) {
			/* +20% is significant, but within the 25% floor. */
			assert_true(p->rule.noise_floor == 0.25);
			assert_true(p->cmp.test.p < 0.001);
			assert_int_equal(p->verdict, MG_STATS_UNCHANGED);
			seen++;
		} else {
			assert_true(p->rule.noise_floor == 0.5);
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	assert_int_equal(mg_compare_note_count(c), 1);
	assert_non_null(strstr(mg_compare_note_at(c, 0),
	                       "noise floors of 2 benchmark/unit pairs"));
	mg_compare_free(c);
	mg_run_release(&base);
	mg_run_release(&head);
}

/* A commit's runs to one side, as the server fills its verdicts. */
static void test_add_commit(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_compare *c = NULL;
	mg_compare_opts co;
	mg_run run;
	int64_t id;
	size_t n_ok = 99, i;

	add_aa(f->st, "ci", 0.25, 0.5);
	/* Base: two ok runs and a failed one; head: one ok run. */
	for (i = 0; i < 3; i++) {
		make_run(&run, SHA_A, "ci", "acme/x", 100 + (double)i, 5);
		run.status = i == 1 ? MG_RUN_FAILED : MG_RUN_OK;
		assert_int_equal(mg_store_add_run(f->st, &run, &id, NULL, &err),
		                 0);
		mg_run_release(&run);
	}
	make_run(&run, SHA_B, "ci", "acme/x", 100, 5);
	assert_int_equal(mg_store_add_run(f->st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);
	mg_compare_opts_init(&co);
	assert_int_equal(mg_compare_new(&c, &co, &err), 0);
	/* The A/A session's two runs of SHA_A count too: at most 3. */
	assert_int_equal(mg_compare_add_commit(c, f->st, MG_COMPARE_BASE,
	                                       "acme/x", SHA_A, 3, &n_ok, &err),
	                 0);
	assert_int_equal(n_ok, 3);
	assert_int_equal(mg_compare_add_commit(c, f->st, MG_COMPARE_HEAD,
	                                       "acme/x", SHA_B, 3, &n_ok, &err),
	                 0);
	assert_int_equal(n_ok, 1);
	assert_int_equal(mg_compare_side_runs(c, MG_COMPARE_BASE), 3);
	assert_string_equal(mg_compare_side(c, MG_COMPARE_HEAD)->label,
	                    "bbbbbbbbbbbb");
	assert_int_equal(mg_compare_run(c, &err), 0);
	for (i = 0; i < mg_compare_count(c); i++)
		assert_true(mg_compare_pair_at(c, i)->rule.noise_floor > 0);
	assert_int_equal(mg_compare_note_count(c), 1);
	mg_compare_free(c);

	/* Only failed runs: failed; none: missing. */
	make_run(&run, SHA_B, "ci", "acme/y", 100, 5);
	run.status = MG_RUN_FAILED;
	assert_int_equal(mg_store_add_run(f->st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);
	assert_int_equal(mg_compare_new(&c, &co, &err), 0);
	assert_int_equal(mg_compare_add_commit(c, f->st, MG_COMPARE_HEAD,
	                                       "acme/y", SHA_B, 3, &n_ok, &err),
	                 0);
	assert_int_equal(n_ok, 0);
	assert_int_equal(mg_compare_add_commit(c, f->st, MG_COMPARE_BASE,
	                                       "acme/y", SHA_A, 3, &n_ok, &err),
	                 0);
	assert_int_equal(mg_compare_run(c, &err), 0);
	assert_int_equal(mg_compare_side_status(c, MG_COMPARE_HEAD),
	                 MG_COMPARE_SIDE_FAILED);
	assert_int_equal(mg_compare_side_status(c, MG_COMPARE_BASE),
	                 MG_COMPARE_SIDE_MISSING);
	assert_int_equal(mg_compare_verdict(c), MG_STATS_INCONCLUSIVE);
	mg_compare_free(c);
}

/* Runs uploaded one by one, paired afterwards by their keys. */
static void test_link_by_keys(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_run a, b, other;
	mg_ab_floor fl = {
	        "example.com/x", "BenchmarkHash", 2, "ns/op", 4, 101, 0.07};
	mg_ab_session s = {4, 0, true, &fl, 1};
	int64_t ids[3], again[3], ra, rb;
	bool existed = true;

	make_run(&a, SHA_A, "ci", "acme/x", 100, 4);
	make_run(&b, SHA_A, "ci", "acme/x", 100, 4);
	make_run(&other, SHA_B, "ci", "acme/other", 100, 4);
	assert_int_equal(mg_run_set_str(&a.idempotency_key, "key-a"), 0);
	assert_int_equal(mg_run_set_str(&b.idempotency_key, "key-b"), 0);
	assert_int_equal(mg_run_set_str(&other.idempotency_key, "key-o"), 0);
	assert_int_equal(mg_store_add_run(f->st, &a, &ra, NULL, &err), 0);
	/* The head run has not arrived: nothing is written. */
	assert_int_equal(mg_store_link_ab(f->st, "acme/x", "key-a", "key-b", &s,
	                                  ids, &existed, &err),
	                 MG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "head_run_key"));
	assert_int_equal(mgt_sql_int(f->db, "SELECT count(*) FROM ab_sessions"),
	                 0);
	assert_int_equal(mg_store_add_run(f->st, &b, &rb, NULL, &err), 0);
	assert_int_equal(mg_store_link_ab(f->st, "acme/x", "key-a", "key-b", &s,
	                                  ids, &existed, &err),
	                 0);
	assert_false(existed);
	assert_true(ids[0] == ra && ids[1] == rb && ids[2] > 0);
	assert_int_equal(mgt_sql_int(f->db,
	                             "SELECT count(*) FROM noise_floors WHERE "
	                             "rel = 0.07 AND n = 4"),
	                 1);
	/* Sent again (a retried upload): the first session, nothing new. */
	assert_int_equal(mg_store_link_ab(f->st, "acme/x", "key-a", "key-b", &s,
	                                  again, &existed, &err),
	                 0);
	assert_true(existed);
	assert_int_equal(again[2], ids[2]);
	assert_int_equal(
	        mgt_sql_int(f->db, "SELECT count(*) FROM noise_floors"), 1);
	/* A key of another project is not found in this one. */
	assert_int_equal(mg_store_add_run(f->st, &other, &ra, NULL, &err), 0);
	assert_int_equal(mg_store_link_ab(f->st, "acme/x", "key-a", "key-o", &s,
	                                  ids, &existed, &err),
	                 MG_ENOTFOUND);
	mg_run_release(&a);
	mg_run_release(&b);
	mg_run_release(&other);
}

static void test_abjson(void **state)
{
	mg_ab_floor fl[2] = {
	        {"example.com/x", "BenchmarkHash", 2, "ns/op", 10, 51.25,
	         0.031},
	        {"", "BenchmarkTar/\"big\"", 0, "allocs/op", 10, 3, 0}};
	mg_ab_session s = {10, 2, true, fl, 2};
	mg_buf doc = MG_BUF_INIT(1 << 20), again = MG_BUF_INIT(1 << 20);
	mg_err err = MG_ERR_INIT;
	mg_abjson d;
	static const char bad_floor[] =
	        "{\"format\": \"memgate-ab\", \"version\": 1,\n"
	        "\"project\": \"p\", \"idempotency_key\": \"k\",\n"
	        "\"base_run_key\": \"b\", \"head_run_key\": \"h\",\n"
	        "\"rounds\": 3, \"confirm_rounds\": 0, \"aa\": true,\n"
	        "\"floors\": [\n"
	        "  {\"package\": \"\", \"name\": \"B\", \"procs\": 0,\n"
	        "   \"unit\": \"ns/op\", \"n\": 3, \"median\": 1,\n"
	        "   \"noise_floor\": \"x\"}]}";

	(void)state;
	assert_int_equal(
	        mg_abjson_write(&doc, "acme/x", "k-s", "k-b", "k-h", &s, &err),
	        0);
	assert_true(mg_abjson_is_session(doc.ptr, doc.len));
	assert_false(mg_abjson_is_session("{\"format\":\"memgate-run\"", 24));
	mg_abjson_init(&d);
	assert_int_equal(mg_abjson_read(&d, doc.ptr, doc.len, &err), 0);
	assert_string_equal(d.project, "acme/x");
	assert_string_equal(d.key, "k-s");
	assert_string_equal(d.base_key, "k-b");
	assert_string_equal(d.head_key, "k-h");
	assert_true(d.session.rounds == 10 && d.session.confirm_rounds == 2 &&
	            d.session.aa);
	assert_int_equal(d.session.nfloors, 2);
	assert_string_equal(d.session.floors[0].package, "example.com/x");
	assert_string_equal(d.session.floors[1].name, "BenchmarkTar/\"big\"");
	assert_int_equal(d.session.floors[0].procs, 2);
	assert_true(d.session.floors[0].rel == 0.031 &&
	            d.session.floors[0].center == 51.25);
	assert_int_equal(mg_abjson_write(&again, d.project, d.key, d.base_key,
	                                 d.head_key, &d.session, &err),
	                 0);
	assert_string_equal(doc.ptr, again.ptr);
	mg_abjson_release(&d);

	/* Errors name the field and its line. */
	mg_abjson_init(&d);
	assert_int_equal(
	        mg_abjson_read(&d, bad_floor, sizeof(bad_floor) - 1, &err),
	        MG_EINPUT);
	assert_string_equal(err.msg, "line 8: field 'floors[0].noise_floor': "
	                             "expected a finite number");
	mg_abjson_release(&d);
	mg_abjson_init(&d);
	assert_int_equal(
	        mg_abjson_read(&d, "{\"format\": \"memgate-run\"}", 27, &err),
	        MG_EINPUT);
	assert_non_null(strstr(err.msg, "field 'format'"));
	mg_abjson_release(&d);
	mg_abjson_init(&d);
	assert_int_equal(mg_abjson_read(&d, "[1, 2", 5, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "not valid JSON"));
	mg_abjson_release(&d);
	/* The writer refuses what the reader would. */
	fl[0].rel = NAN;
	assert_int_equal(
	        mg_abjson_write(&doc, "acme/x", "k-s", "k-b", "k-h", &s, &err),
	        MG_EINPUT);
	fl[0].rel = 0.5;
	assert_int_equal(
	        mg_abjson_write(&doc, "acme/x", "k s", "k-b", "k-h", &s, &err),
	        MG_EINPUT);
	mg_buf_release(&doc);
	mg_buf_release(&again);
}

/*
 * 1..10 against itself: the 100 differences y_j - x_i are d = -9..9,
 * each 10 - |d| times. For 10 vs 10 the two-sided 5% critical value of
 * U is 23 (the Mann-Whitney table), so the interval is the 24th smallest
 * and the 24th largest difference: -3 and +3 (the cumulative counts of
 * -9..-4 are 1, 3, 6, 10, 15, 21, then -3 brings 28). The pooled median
 * is 5.5: the floor is 3 / 5.5.
 */
static void test_noise_floor_statistic(void **state)
{
	double x[10], y[10], big[10], rel, rel10;
	double same[5] = {7, 7, 7, 7, 7}, zero[6] = {-1, 0, 1, -1, 0, 1};
	mg_err err = MG_ERR_INIT;
	int i;

	(void)state;
	for (i = 0; i < 10; i++) {
		x[i] = i + 1;
		y[i] = 10 - i;
		big[i] = (i + 1) * 1000.0;
	}
	assert_int_equal(mg_stats_noise_floor(&rel, x, 10, y, 10, 0.95, &err),
	                 0);
	assert_true(fabs(rel - 3 / 5.5) < 1e-12);
	/* Relative: the same shape at 1000x the scale has the same floor. */
	assert_int_equal(
	        mg_stats_noise_floor(&rel10, big, 10, big, 10, 0.95, &err), 0);
	assert_true(fabs(rel10 - rel) < 1e-12);
	/* No noise at all. */
	assert_int_equal(
	        mg_stats_noise_floor(&rel, same, 5, same, 5, 0.95, &err), 0);
	assert_true(rel == 0);
	/* Too few samples for a 95% interval (2 vs 2), a zero median. */
	assert_int_equal(mg_stats_noise_floor(&rel, x, 2, y, 2, 0.95, &err),
	                 MG_ENOTFOUND);
	assert_int_equal(
	        mg_stats_noise_floor(&rel, zero, 6, zero, 6, 0.95, &err),
	        MG_ENOTFOUND);
}

static void expect_regex(const char *const *names, size_t n, const char *want)
{
	mg_buf out = MG_BUF_INIT(4096);

	assert_int_equal(mg_gobench_bench_regex(&out, names, n), 0);
	assert_string_equal(out.ptr, want);
	mg_buf_release(&out);
}

static void test_bench_regex(void **state)
{
	const char *one[] = {"BenchmarkHash"};
	const char *subs[] = {"BenchmarkSizes/large", "BenchmarkHash",
	                      "BenchmarkSizes/small", "BenchmarkTar/a/b"};
	const char *meta[] = {"BenchmarkRe/a.b*c", "BenchmarkRe/(x|y)",
	                      "BenchmarkRe/[1]{2}^$+?\\"};
	const char *deep[5000];
	char names[5000][16];
	mg_buf out = MG_BUF_INIT(1024);
	size_t i;

	(void)state;
	expect_regex(one, 1, "^(?:BenchmarkHash)$");
	/* One group per level; each component once, in order of appearance. */
	expect_regex(subs, 4,
	             "^(?:BenchmarkSizes|BenchmarkHash|BenchmarkTar)$"
	             "/^(?:large|small|a)$/^(?:b)$");
	/* Metacharacters escaped as regexp.QuoteMeta does. */
	expect_regex(meta, 3,
	             "^(?:BenchmarkRe)$/^(?:a\\.b\\*c|\\(x\\|y\\)|"
	             "\\[1\\]\\{2\\}\\^\\$\\+\\?\\\\)$");
	assert_int_equal(mg_gobench_bench_regex(&out, one, 0), MG_EINPUT);
	/* Beyond the buffer's limit: refused, not truncated. */
	for (i = 0; i < 5000; i++) {
		snprintf(names[i], sizeof(names[i]), "BenchmarkN%zu", i);
		deep[i] = names[i];
	}
	assert_int_equal(mg_gobench_bench_regex(&out, deep, 5000), MG_ELIMIT);
	mg_buf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_session_round_trip,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_session_all_or_nothing,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_session_refused,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_floor_choice, mgt_store_setup, mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_floors_in_compare,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_add_commit, mgt_store_setup, mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_link_by_keys, mgt_store_setup, mgt_store_teardown),
	        cmocka_unit_test(test_abjson),
	        cmocka_unit_test(test_noise_floor_statistic),
	        cmocka_unit_test(test_bench_regex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
