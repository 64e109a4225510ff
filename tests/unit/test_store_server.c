/*
 * test_store_server.c - the server's store queries (lib/store_server.c)
 * on real database files: projects, tokens (hash only, revocation,
 * lookups that cannot tell bad from revoked), commits of a branch with
 * their parents, benchmarks with their units, profile bytes, figures for
 * /metrics, and the busy handler that lets the server answer 503.
 */
#include <openssl/evp.h>
#include <sqlite3.h>

#include "mgtest.h"
#include "store.h"

/* A run of `sha` (parent may be NULL) on `branch`; samples by formula. */
static void add_run(mg_store *st, const char *project, const char *sha,
                    const char *parent, int64_t time, const char *branch,
                    int64_t *id)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;
	size_t b0, b1, p;
	int k;

	mg_run_init(&run);
	assert_int_equal(mg_run_set_str(&run.project, project), 0);
	snprintf(run.commit.sha, sizeof(run.commit.sha), "%s", sha);
	if (parent)
		assert_int_equal(mg_run_add_parent(&run, parent), 0);
	run.commit.commit_time = time;
	assert_int_equal(mg_run_set_str(&run.commit.subject, "subject"), 0);
	assert_int_equal(mg_run_set_str(&run.branch, branch), 0);
	assert_int_equal(mg_run_set_str(&run.bench_cmd, "go test"), 0);
	run.started_at = time * 1000;
	run.ended_at = time * 1000 + 1;
	run.status = MG_RUN_OK;
	assert_int_equal(
	        mg_run_add_bench(&run, &b0, "BenchmarkA", "p/a", 8, NULL, 0),
	        0);
	assert_int_equal(
	        mg_run_add_bench(&run, &b1, "BenchmarkB", "p/b", 4, NULL, 0),
	        0);
	for (k = 0; k < 3; k++) {
		assert_int_equal(
		        mg_run_add_sample(&run, b0, "ns/op", 10 + k, 100, k),
		        0);
		assert_int_equal(
		        mg_run_add_sample(&run, b0, "B/op", 64, 100, k), 0);
		assert_int_equal(
		        mg_run_add_sample(&run, b1, "allocs/op", 2, 100, k), 0);
	}
	assert_int_equal(mg_run_add_profile(&run, &p, "heap", "p/a",
	                                    (const unsigned char *)"HEAPA", 5),
	                 0);
	assert_int_equal(mg_run_add_profile(&run, &p, "heap", "p/b",
	                                    (const unsigned char *)"HEAPBB", 6),
	                 0);
	assert_int_equal(mg_run_add_profile(&run, &p, "cpu", "p/a",
	                                    (const unsigned char *)"CPU", 3),
	                 0);
	assert_int_equal(mg_store_add_run(st, &run, id, NULL, &err), 0);
	mg_run_release(&run);
}

static void test_projects(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_project_info *list = NULL, p;
	size_t n = 0;
	int64_t id = 0, run;

	assert_int_equal(mg_store_project_add(f->st, "b/two", "https://x/b",
	                                      "trunk", &id, &err),
	                 0);
	assert_true(id > 0);
	assert_int_equal(
	        mg_store_project_add(f->st, "b/two", NULL, NULL, NULL, &err),
	        MG_ECONFLICT);
	assert_int_equal(
	        mg_store_project_add(f->st, "", NULL, NULL, NULL, &err),
	        MG_EINPUT);
	assert_non_null(strstr(err.msg, "field 'name'"));
	assert_int_equal(
	        mg_store_project_add(f->st, "a\nb", NULL, NULL, NULL, &err),
	        MG_EINPUT);
	add_run(f->st, "a/one", "1111111111111111111111111111111111111111",
	        NULL, 1000, "main", &run);

	assert_int_equal(mg_store_project_list(f->st, &list, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].name, "a/one"); /* by name */
	assert_int_equal(list[0].nruns, 1);
	assert_true(list[0].last_run_at > 0);
	assert_string_equal(list[1].name, "b/two");
	assert_string_equal(list[1].default_branch, "trunk");
	assert_string_equal(list[1].clone_url, "https://x/b");
	assert_int_equal(list[1].nruns, 0);
	assert_int_equal(list[1].last_run_at, 0);
	mg_project_info_free(list, n);

	assert_int_equal(mg_store_project_get(f->st, "b/two", &p, &err), 0);
	assert_int_equal(p.id, id);
	mg_project_info_release(&p);
	assert_int_equal(mg_store_project_get(f->st, "nope", &p, &err),
	                 MG_ENOTFOUND);
}

static void test_tokens(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	char tok[MG_TOKEN_LEN + 1], tok2[MG_TOKEN_LEN + 1], hex[65], *stored;
	unsigned char md[32];
	unsigned int mdlen;
	mg_token_info t, *list = NULL;
	int64_t id = 0, id2 = 0;
	size_t n = 0, i;

	assert_int_equal(
	        mg_store_token_create(f->st, "x/y", NULL, tok, &id, &err),
	        MG_ENOTFOUND);
	assert_int_equal(
	        mg_store_project_add(f->st, "x/y", NULL, NULL, NULL, &err), 0);
	assert_int_equal(
	        mg_store_token_create(f->st, "x/y", "ci", tok, &id, &err), 0);
	assert_int_equal(
	        mg_store_token_create(f->st, "x/y", NULL, tok2, &id2, &err), 0);
	assert_int_equal(strlen(tok), MG_TOKEN_LEN);
	assert_memory_equal(tok, "mgt_", 4);
	assert_string_not_equal(tok, tok2);

	/* only the SHA-256 is in the database, computed here independently */
	EVP_Digest(tok, strlen(tok), md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	stored = mgt_sql_text(f->db, "SELECT token_sha256 FROM api_tokens "
	                             "ORDER BY id LIMIT 1");
	assert_string_equal(stored, hex);
	free(stored);
	stored = mgt_sql_text(f->db, "SELECT count(*) FROM api_tokens WHERE "
	                             "instr(token_sha256, 'mgt_') OR "
	                             "instr(coalesce(label, ''), 'mgt_')");
	assert_string_equal(stored, "0");
	free(stored);

	assert_int_equal(mg_store_token_verify(f->st, tok, &t, &err), 0);
	assert_int_equal(t.id, id);
	assert_string_equal(t.project, "x/y");
	assert_string_equal(t.label, "ci");
	mg_token_info_release(&t);
	/* bad, unknown and revoked tokens read the same */
	tok2[10] ^= 1;
	assert_int_equal(mg_store_token_verify(f->st, tok2, &t, &err),
	                 MG_EAUTH);
	assert_string_equal(err.msg, "invalid or revoked token");
	assert_int_equal(mg_store_token_verify(f->st, "mgt_short", &t, &err),
	                 MG_EAUTH);
	assert_int_equal(mg_store_token_revoke(f->st, id, &err), 0);
	assert_int_equal(mg_store_token_revoke(f->st, id, &err), 0);
	assert_int_equal(mg_store_token_verify(f->st, tok, &t, &err), MG_EAUTH);
	assert_string_equal(err.msg, "invalid or revoked token");
	assert_int_equal(mg_store_token_revoke(f->st, 9999, &err),
	                 MG_ENOTFOUND);

	/* use is recorded, at most once a minute */
	assert_int_equal(mg_store_token_touch(f->st, id2, 100000, &err), 0);
	assert_int_equal(mg_store_token_touch(f->st, id2, 130000, &err), 0);
	assert_int_equal(mg_store_token_list(f->st, "x/y", &list, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_true(list[0].revoked_at > 0);
	assert_int_equal(list[1].revoked_at, 0);
	assert_int_equal(list[1].last_used_at, 100000);
	mg_token_info_free(list, n);
	assert_int_equal(mg_store_token_list(f->st, "other/p", &list, &n, &err),
	                 0);
	assert_int_equal(n, 0);
	mg_token_info_free(list, n);
}

static void test_commits_benchmarks_profiles(void **state)
{
	mgt_store_fixture *f = *state;
	static const char c1[] = "1111111111111111111111111111111111111111";
	static const char c2[] = "2222222222222222222222222222222222222222";
	static const char c3[] = "3333333333333333333333333333333333333333";
	mg_err err = MG_ERR_INIT;
	mg_commit_info *c = NULL;
	mg_bench_info *b = NULL;
	unsigned char *data = NULL;
	char sha[65], parent[41], *proj = NULL;
	int64_t r1, r2, r3, r4;
	size_t n = 0, len = 0;

	add_run(f->st, "o/p", c1, NULL, 1000, "main", &r1);
	add_run(f->st, "o/p", c2, c1, 2000, "main", &r2);
	add_run(f->st, "o/p", c2, c1, 2000, "main", &r3); /* measured twice */
	add_run(f->st, "o/p", c3, c2, 3000, "feature", &r4);

	assert_int_equal(mg_store_commits(f->st, "o/p", NULL, 10, &c, &n, &err),
	                 0);
	assert_int_equal(n, 2); /* main only, newest first */
	assert_string_equal(c[0].sha, c2);
	assert_int_equal(c[0].nruns, 2);
	assert_int_equal(c[0].last_run_id, r3);
	assert_int_equal(c[0].nparents, 1);
	assert_string_equal(c[0].parents[0], c1);
	assert_string_equal(c[1].sha, c1);
	assert_int_equal(c[1].nparents, 0);
	mg_commit_info_free(c, n);
	assert_int_equal(
	        mg_store_commits(f->st, "o/p", "feature", 1, &c, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(c[0].sha, c3);
	mg_commit_info_free(c, n);
	assert_int_equal(
	        mg_store_commits(f->st, "no/such", NULL, 10, &c, &n, &err),
	        MG_ENOTFOUND);
	assert_int_equal(mg_store_commits(f->st, "o/p", NULL, 0, &c, &n, &err),
	                 MG_EINPUT);

	assert_int_equal(mg_store_first_parent(f->st, "o/p", c3, parent, &err),
	                 0);
	assert_string_equal(parent, c2);
	assert_int_equal(mg_store_first_parent(f->st, "o/p", c1, parent, &err),
	                 MG_ENOTFOUND);

	assert_int_equal(mg_store_benchmarks(f->st, "o/p", &b, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(b[0].package, "p/a");
	assert_string_equal(b[0].name, "BenchmarkA");
	assert_int_equal(b[0].procs, 8);
	assert_int_equal(b[0].nunits, 2); /* byte order: B/op < ns/op */
	assert_string_equal(b[0].units[0], "B/op");
	assert_string_equal(b[0].units[1], "ns/op");
	assert_int_equal(b[1].nunits, 1);
	assert_string_equal(b[1].units[0], "allocs/op");
	mg_bench_info_free(b, n);

	assert_int_equal(mg_store_run_project(f->st, r2, &proj, &err), 0);
	assert_string_equal(proj, "o/p");
	free(proj);
	assert_int_equal(mg_store_run_project(f->st, 999, &proj, &err),
	                 MG_ENOTFOUND);

	/* two heap profiles (two packages): the package must be named */
	assert_int_equal(mg_store_run_profile(f->st, r2, "heap", NULL, &data,
	                                      &len, sha, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "field 'package'"));
	assert_int_equal(mg_store_run_profile(f->st, r2, "heap", "p/b", &data,
	                                      &len, sha, &err),
	                 0);
	assert_int_equal(len, 6);
	assert_memory_equal(data, "HEAPBB", 6);
	free(data);
	assert_int_equal(mg_store_run_profile(f->st, r2, "cpu", NULL, &data,
	                                      &len, sha, &err),
	                 0);
	assert_int_equal(len, 3);
	assert_int_equal(strlen(sha), 64);
	free(data);
	assert_int_equal(mg_store_run_profile(f->st, r2, "block", NULL, &data,
	                                      &len, sha, &err),
	                 MG_ENOTFOUND);
}

static void test_stats_and_ping(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store_stats s;
	int64_t id;

	add_run(f->st, "o/p", "1111111111111111111111111111111111111111", NULL,
	        1000, "main", &id);
	assert_int_equal(mg_store_stats_get(f->st, &s, &err), 0);
	assert_int_equal(s.runs, 1);
	assert_int_equal(s.projects, 1);
	assert_int_equal(s.outbox_pending, 0);
	assert_true(s.db_bytes >= 4096);
	assert_true(s.wal_bytes > 0); /* WAL mode, not yet checkpointed */
	assert_int_equal(mg_store_ping(f->st, &err), 0);
}

/*
 * Another connection holds the write lock: a writer with a 100 ms busy
 * timeout gives up with MG_EDB, and mg_store_busy_gave_up() says why
 * (once).
 */
static void test_busy_timeout(void **state)
{
	mgt_store_fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_store *other = NULL;
	int64_t id;

	assert_int_equal(mg_store_open(&other, f->db, 0, &err), 0);
	assert_int_equal(mg_store_begin(other, &err), 0);
	assert_int_equal(mg_store_set_busy_timeout(f->st, 100), 0);
	assert_false(mg_store_busy_gave_up());
	assert_int_equal(
	        mg_store_project_add(f->st, "q/r", NULL, NULL, &id, &err),
	        MG_EDB);
	assert_true(mg_store_busy_gave_up());
	assert_false(mg_store_busy_gave_up());
	mg_store_rollback(other);
	assert_int_equal(
	        mg_store_project_add(f->st, "q/r", NULL, NULL, &id, &err), 0);
	assert_false(mg_store_busy_gave_up());
	mg_store_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_projects, mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_tokens, mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_commits_benchmarks_profiles, mgt_store_setup,
	                mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(test_stats_and_ping,
	                                        mgt_store_setup,
	                                        mgt_store_teardown),
	        cmocka_unit_test_setup_teardown(
	                test_busy_timeout, mgt_store_setup, mgt_store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
