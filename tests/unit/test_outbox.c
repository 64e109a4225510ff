/*
 * test_outbox.c - the notification outbox on a real SQLite file, delivered
 * to the fake GitHub/GitLab of tests/support: one status and one comment
 * after the first verdict, the same comment updated after the second, a
 * pending delivery superseded by a newer one, exactly one comment after a
 * "crash" between the POST and the done mark (store closed and reopened),
 * backoff after a 502, a rate limit honoured without counting an attempt,
 * a 422 failed for good with GitHub's message, giving up after
 * MG_OUTBOX_MAX_ATTEMPTS, enqueue validation and rollback with the
 * caller's transaction, GitLab and check-run deliveries.
 */
#include <openssl/evp.h>

#include "fakegh.h"
#include "mgtest.h"
#include "outbox.h"
#include "store.h"

static const char REPO[] = "octo/widgets";
static const char SHA[] = "9049f1265b7d61be4a8904a9a27120d2064dab3b";
/* A fixed "now": the outbox takes time as an argument. */
static const int64_t T0 = 1700000000000;

struct fx {
	char *dir;
	char *db;
	mg_store *st;
	fakegh *f;
	mg_github *gh;
	mg_gitlab *gl;
	mg_outbox_forges forges;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	mg_github_config cfg;
	mg_gitlab_config glc;
	mg_err err = MG_ERR_INIT;

	x->dir = mgt_tmpdir();
	x->db = mgt_path(x->dir, "memgate.db");
	if (mg_store_open(&x->st, x->db, 0, &err) != 0)
		fail_msg("open: %s", err.msg);
	x->f = fakegh_start();
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_url = fakegh_url(x->f);
	cfg.token = "test-token";
	/* One try per delivery: retries are the outbox's business here. */
	cfg.policy.attempts = 1;
	if (mg_github_new(&x->gh, &cfg, &err) != 0)
		fail_msg("github: %s", err.msg);
	memset(&glc, 0, sizeof(glc));
	glc.api_url = fakegh_gitlab_url(x->f);
	glc.token = "gl-token";
	glc.policy.attempts = 1;
	if (mg_gitlab_new(&x->gl, &glc, &err) != 0)
		fail_msg("gitlab: %s", err.msg);
	x->forges.github = x->gh;
	x->forges.gitlab = x->gl;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	mg_github_free(x->gh);
	mg_gitlab_free(x->gl);
	fakegh_stop(x->f);
	mg_store_close(x->st);
	free(x->db);
	mgt_tmpdir_free(x->dir);
	free(x);
	return 0;
}

static mg_outbox_msg status_msg(enum mg_forge_state state, const char *desc)
{
	mg_outbox_msg m;

	memset(&m, 0, sizeof(m));
	m.forge = MG_FORGE_GITHUB;
	m.kind = MG_OUTBOX_STATUS;
	m.repo = REPO;
	m.sha = SHA;
	m.state = state;
	m.description = desc;
	m.target_url = "https://memgate.example/p/widgets/c/1";
	return m;
}

static mg_outbox_msg comment_msg(const char *body)
{
	mg_outbox_msg m;

	memset(&m, 0, sizeof(m));
	m.forge = MG_FORGE_GITHUB;
	m.kind = MG_OUTBOX_COMMENT;
	m.repo = REPO;
	m.number = 12;
	m.body = body;
	return m;
}

/* A verdict's deliveries in one transaction, as the server will write. */
static void enqueue_verdict(mg_store *st, enum mg_forge_state state,
                            const char *desc, const char *body, int64_t now,
                            int64_t ids[2])
{
	mg_outbox_msg s = status_msg(state, desc), c = comment_msg(body);
	mg_err err = MG_ERR_INIT;

	assert_int_equal(mg_store_begin(st, &err), 0);
	assert_int_equal(mg_outbox_enqueue(st, &s, 0, now, &ids[0], &err), 0);
	assert_int_equal(mg_outbox_enqueue(st, &c, 0, now, &ids[1], &err), 0);
	assert_int_equal(mg_store_commit(st, &err), 0);
}

static mg_outbox_item get(mg_store *st, int64_t id)
{
	mg_outbox_item it;
	mg_err err = MG_ERR_INIT;

	if (mg_outbox_get(st, id, &it, &err) != 0)
		fail_msg("get %lld: %s", (long long)id, err.msg);
	return it;
}

static int run(struct fx *x, int64_t now)
{
	mg_err err = MG_ERR_INIT;
	int n = mg_outbox_run_once(x->st, &x->forges, now, &err);

	if (n < 0)
		fail_msg("run_once: %s", err.msg);
	return n;
}

static const fakegh_req *req(fakegh *f, size_t i)
{
	const fakegh_req *r = fakegh_request(f, i);

	if (r == NULL)
		fail_msg("no request %zu", i);
	return r;
}

static void no_violations(fakegh *f)
{
	if (fakegh_violations(f) != 0)
		fail_msg("contract violation: %s", fakegh_first_violation(f));
}

static void test_two_verdicts_one_comment(void **state)
{
	struct fx *x = *state;
	int64_t ids[2];
	mg_outbox_item it;
	size_t before;

	enqueue_verdict(x->st, MG_FORGE_FAILURE, "1 regression: B/op +153%",
	                "verdict 1", T0, ids);
	assert_int_equal(run(x, T0), 2);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 1);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "12"), 1);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 0, "state"),
	        "failure");
	it = get(x->st, ids[1]);
	assert_int_equal(it.state, MG_OUTBOX_DONE);
	assert_int_equal(it.delivered_at, T0);
	assert_int_equal(it.attempts, 1);
	assert_int_equal(it.kind, MG_OUTBOX_COMMENT);
	assert_string_equal(it.target, "github:octo/widgets#12 "
	                               "<!-- memgate:verdict -->");
	mg_outbox_item_release(&it);

	/* Delivered is never sent again. */
	before = fakegh_nrequests(x->f);
	assert_int_equal(run(x, T0 + 86400000), 0);
	assert_int_equal(fakegh_nrequests(x->f), before);

	/* The second push: a new status, the same comment updated. */
	enqueue_verdict(x->st, MG_FORGE_SUCCESS, "no regression", "verdict 2",
	                T0 + 1000, ids);
	assert_int_equal(run(x, T0 + 1000), 2);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "12"), 1);
	assert_int_equal(
	        fakegh_object_updates(x->f, FAKEGH_COMMENT, REPO, "12", 0), 1);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_COMMENT, REPO, "12", 0, "body"),
	        MG_FORGE_COMMENT_MARKER "\nverdict 2");
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 2);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 1, "state"),
	        "success");
	no_violations(x->f);
}

static void test_newer_verdict_supersedes(void **state)
{
	struct fx *x = *state;
	int64_t old[2], new[2];
	mg_outbox_item it;
	char want[64];

	enqueue_verdict(x->st, MG_FORGE_PENDING, "measuring", "stale", T0, old);
	enqueue_verdict(x->st, MG_FORGE_FAILURE, "1 regression", "fresh",
	                T0 + 1, new);
	it = get(x->st, old[1]);
	assert_int_equal(it.state, MG_OUTBOX_DONE);
	assert_int_equal(it.delivered_at, 0);
	snprintf(want, sizeof(want), "superseded by delivery %lld",
	         (long long)new[1]);
	assert_string_equal(it.last_error, want);
	mg_outbox_item_release(&it);
	assert_int_equal(run(x, T0 + 1), 2);
	assert_int_equal(fakegh_count(x->f, "POST", "issues/create-comment"),
	                 1);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 1);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_COMMENT, REPO, "12", 0, "body"),
	        MG_FORGE_COMMENT_MARKER "\nfresh");
	no_violations(x->f);
}

/*
 * The worker claims and delivers, then dies before marking done. After a
 * restart the deliveries come due when the lease ends, and the comment is
 * updated, not duplicated; the status is posted again with the same
 * state, which GitHub shows as one.
 */
static void test_restart_between_post_and_done(void **state)
{
	struct fx *x = *state;
	mg_outbox_item *items, it;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	int64_t ids[2];
	size_t n, i;

	enqueue_verdict(x->st, MG_FORGE_FAILURE, "1 regression", "verdict", T0,
	                ids);
	assert_int_equal(mg_outbox_claim(x->st, T0, 10, &items, &n, &err), 0);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(
		        mg_outbox_deliver(&x->forges, &items[i], &res, &err),
		        0);
		assert_int_equal(res.outcome, MG_FORGE_OK);
	}
	mg_outbox_items_free(items, n);
	mg_store_close(x->st); /* the crash: no done mark */
	x->st = NULL;
	assert_int_equal(mg_store_open(&x->st, x->db, 0, &err), 0);

	/* Still leased: nobody else takes them meanwhile. */
	assert_int_equal(run(x, T0 + 1000), 0);
	assert_int_equal(run(x, T0 + MG_OUTBOX_LEASE_MS), 2);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "12"), 1);
	assert_int_equal(fakegh_count(x->f, "POST", "issues/create-comment"),
	                 1);
	assert_int_equal(fakegh_count(x->f, "PATCH", "issues/update-comment"),
	                 1);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 2);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 1, "state"),
	        fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 0, "state"));
	it = get(x->st, ids[1]);
	assert_int_equal(it.state, MG_OUTBOX_DONE);
	assert_int_equal(it.attempts, 2);
	mg_outbox_item_release(&it);
	assert_int_equal(run(x, T0 + 2 * MG_OUTBOX_LEASE_MS), 0);
	no_violations(x->f);
}

static void test_backoff_after_502(void **state)
{
	struct fx *x = *state;
	mg_outbox_msg s = status_msg(MG_FORGE_SUCCESS, "ok");
	fakegh_fault bad = {.kind = FAKEGH_502};
	mg_err err = MG_ERR_INIT;
	mg_outbox_item it;
	int64_t id, next;

	assert_int_equal(mg_outbox_enqueue(x->st, &s, 0, T0, &id, &err), 0);
	fakegh_fail(x->f, &bad);
	assert_int_equal(run(x, T0), 0);
	it = get(x->st, id);
	assert_int_equal(it.state, MG_OUTBOX_PENDING);
	assert_int_equal(it.attempts, 1);
	/* 30 s, half of it random: between 15 and 30 s later. */
	assert_true(it.next_attempt_at >= T0 + 15000);
	assert_true(it.next_attempt_at <= T0 + 30000);
	assert_string_equal(it.last_error, "502 Server Error");
	next = it.next_attempt_at;
	mg_outbox_item_release(&it);
	assert_int_equal(run(x, next - 1), 0);
	assert_int_equal(fakegh_nrequests(x->f), 1);
	assert_int_equal(run(x, next), 1);
	it = get(x->st, id);
	assert_int_equal(it.state, MG_OUTBOX_DONE);
	assert_int_equal(it.attempts, 2);
	assert_null(it.last_error);
	mg_outbox_item_release(&it);

	assert_int_equal(mg_outbox_backoff_ms(1, 0), 30000);
	assert_int_equal(mg_outbox_backoff_ms(1, 0.5), 22500);
	assert_int_equal(mg_outbox_backoff_ms(5, 0), 480000);
	assert_int_equal(mg_outbox_backoff_ms(30, 0), 3600000);
	no_violations(x->f);
}

static void test_rate_limit_not_counted(void **state)
{
	struct fx *x = *state;
	int64_t ids[2], now = mg_forge_now_ms();
	int64_t reset = now / 1000 + 3600;
	fakegh_fault limit = {.kind = FAKEGH_RATE_PRIMARY, .reset = reset};
	mg_outbox_item it;
	int i;

	enqueue_verdict(x->st, MG_FORGE_FAILURE, "1 regression", "v", now, ids);
	fakegh_fail(x->f, &limit);
	assert_int_equal(run(x, now), 0);
	/* The first was refused; the second was not even tried. */
	assert_int_equal(fakegh_nrequests(x->f), 1);
	for (i = 0; i < 2; i++) {
		it = get(x->st, ids[i]);
		assert_int_equal(it.state, MG_OUTBOX_PENDING);
		assert_int_equal(it.attempts, 0);
		assert_int_equal(it.next_attempt_at, reset * 1000);
		assert_non_null(strstr(it.last_error, "rate limit"));
		mg_outbox_item_release(&it);
	}
	assert_int_equal(run(x, reset * 1000 - 1), 0);
	assert_int_equal(run(x, reset * 1000), 2);
	no_violations(x->f);
}

static void test_permanent_and_give_up(void **state)
{
	struct fx *x = *state;
	mg_outbox_msg s = status_msg(MG_FORGE_SUCCESS, "ok");
	fakegh_fault v = {.kind = FAKEGH_422};
	fakegh_fault bad = {.kind = FAKEGH_502, .count = 100};
	mg_err err = MG_ERR_INIT;
	mg_outbox_item it;
	int64_t id, now = T0;
	int i;

	assert_int_equal(mg_outbox_enqueue(x->st, &s, 0, T0, &id, &err), 0);
	fakegh_fail(x->f, &v);
	assert_int_equal(run(x, T0), 0);
	it = get(x->st, id);
	assert_int_equal(it.state, MG_OUTBOX_FAILED);
	assert_string_equal(it.last_error, "422 Validation Failed: description "
	                                   "is too long (maximum is 140 "
	                                   "characters)");
	mg_outbox_item_release(&it);
	assert_int_equal(run(x, T0 + 86400000), 0);
	assert_int_equal(fakegh_nrequests(x->f), 1);

	/* 502 every time: failed after MG_OUTBOX_MAX_ATTEMPTS tries. */
	s.sha = "1111111111111111111111111111111111111111";
	assert_int_equal(mg_outbox_enqueue(x->st, &s, 0, T0, &id, &err), 0);
	fakegh_fail(x->f, &bad);
	for (i = 0; i < MG_OUTBOX_MAX_ATTEMPTS; i++) {
		assert_int_equal(run(x, now), 0);
		it = get(x->st, id);
		now = it.next_attempt_at;
		mg_outbox_item_release(&it);
	}
	it = get(x->st, id);
	assert_int_equal(it.state, MG_OUTBOX_FAILED);
	assert_int_equal(it.attempts, MG_OUTBOX_MAX_ATTEMPTS);
	assert_string_equal(it.last_error, "gave up after 10 attempts: 502 "
	                                   "Server Error");
	mg_outbox_item_release(&it);
	assert_int_equal(fakegh_nrequests(x->f), 1 + MG_OUTBOX_MAX_ATTEMPTS);
	no_violations(x->f);
}

static void test_enqueue_rules(void **state)
{
	struct fx *x = *state;
	mg_outbox_msg m = status_msg(MG_FORGE_SUCCESS, "ok");
	mg_err err = MG_ERR_INIT;
	mg_outbox_item it;
	mg_outbox_item *items;
	size_t n;
	int64_t id;

	m.sha = "nope";
	assert_int_equal(mg_outbox_enqueue(x->st, &m, 0, T0, &id, &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg, "outbox: field 'sha': expected 40 or 64 "
	                             "hex digits");
	m = comment_msg(NULL);
	assert_int_equal(mg_outbox_enqueue(x->st, &m, 0, T0, &id, &err),
	                 MG_EINPUT);
	m = status_msg(MG_FORGE_SUCCESS, "ok");
	m.forge = MG_FORGE_GITLAB;
	m.kind = MG_OUTBOX_CHECK;
	assert_int_equal(mg_outbox_enqueue(x->st, &m, 0, T0, &id, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "GitHub only"));

	/* Written with the caller's transaction, gone with its rollback. */
	m = status_msg(MG_FORGE_SUCCESS, "ok");
	assert_int_equal(mg_store_begin(x->st, &err), 0);
	assert_int_equal(mg_outbox_enqueue(x->st, &m, 0, T0, &id, &err), 0);
	mg_store_rollback(x->st);
	assert_int_equal(mg_outbox_get(x->st, id, &it, &err), MG_ENOTFOUND);
	assert_int_equal(mg_outbox_claim(x->st, T0, 10, &items, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_null(items);
	/* Claims do not overlap: the second claim finds nothing. */
	assert_int_equal(mg_outbox_enqueue(x->st, &m, 0, T0, &id, &err), 0);
	assert_int_equal(mg_outbox_claim(x->st, T0, 10, &items, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_int_equal(items[0].id, id);
	assert_int_equal(items[0].attempts, 1);
	mg_outbox_items_free(items, n);
	assert_int_equal(mg_outbox_claim(x->st, T0, 10, &items, &n, &err), 0);
	assert_int_equal(n, 0);
	assert_int_equal(fakegh_nrequests(x->f), 0);
}

static void test_gitlab_and_missing_client(void **state)
{
	struct fx *x = *state;
	mg_outbox_msg s = status_msg(MG_FORGE_FAILURE, "1 regression");
	mg_outbox_msg c = comment_msg("gitlab verdict");
	mg_outbox_forges only_github = {x->gh, NULL};
	mg_err err = MG_ERR_INIT;
	mg_outbox_item it;
	int64_t ids[2];

	s.forge = c.forge = MG_FORGE_GITLAB;
	s.repo = c.repo = "grp/proj";
	s.ref = "feature";
	assert_int_equal(mg_outbox_enqueue(x->st, &s, 0, T0, &ids[0], &err), 0);
	assert_int_equal(mg_outbox_enqueue(x->st, &c, 0, T0, &ids[1], &err), 0);
	assert_int_equal(run(x, T0), 2);
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_GL_STATUS,
	                                      "grp/proj", SHA, 0, "status"),
	                    "failed");
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_GL_STATUS,
	                                      "grp/proj", SHA, 0, "ref"),
	                    "feature");
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_NOTE, "grp/proj",
	                                      "12", 0, "body"),
	                    MG_FORGE_COMMENT_MARKER "\ngitlab verdict");

	c.body = "again";
	assert_int_equal(mg_outbox_enqueue(x->st, &c, 0, T0, &ids[1], &err), 0);
	assert_int_equal(mg_outbox_run_once(x->st, &only_github, T0, &err), 0);
	it = get(x->st, ids[1]);
	assert_int_equal(it.state, MG_OUTBOX_FAILED);
	assert_non_null(strstr(it.last_error, "no gitlab client configured"));
	mg_outbox_item_release(&it);
	no_violations(x->f);
}

static void test_check_run_delivery(void **state)
{
	struct fx *x = *state;
	EVP_PKEY *key = fakegh_rsa_key(), *pub = fakegh_public_key(key);
	char *pem = fakegh_private_pem(key);
	mg_outbox_msg m = status_msg(MG_FORGE_ERROR, "could not decide");
	mg_outbox_forges app = {NULL, NULL};
	mg_github_config cfg;
	mg_err err = MG_ERR_INIT;

	fakegh_set_app(x->f, "99", pub, 3600);
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_url = fakegh_url(x->f);
	cfg.app_id = "99";
	cfg.app_key_pem = pem;
	assert_int_equal(mg_github_new(&app.github, &cfg, &err), 0);
	m.kind = MG_OUTBOX_CHECK;
	m.installation_id = 31;
	m.body = "summary of the verdict";
	assert_int_equal(mg_outbox_enqueue(x->st, &m, 0, T0, NULL, &err), 0);
	assert_int_equal(mg_outbox_run_once(x->st, &app, T0, &err), 1);
	assert_string_equal(req(x->f, 0)->path,
	                    "/app/installations/31/access_tokens");
	/* "error" (memgate could not decide) is a neutral conclusion. */
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_CHECK, REPO, SHA, 0,
	                                      "conclusion"),
	                    "neutral");
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_CHECK, REPO, SHA, 0,
	                                      "output.title"),
	                    "could not decide");
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_CHECK, REPO, SHA, 0,
	                                      "details_url"),
	                    "https://memgate.example/p/widgets/c/1");
	no_violations(x->f);
	mg_github_free(app.github);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
	free(pem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	        T(test_two_verdicts_one_comment),
	        T(test_newer_verdict_supersedes),
	        T(test_restart_between_post_and_done),
	        T(test_backoff_after_502),
	        T(test_rate_limit_not_counted),
	        T(test_permanent_and_give_up),
	        T(test_enqueue_rules),
	        T(test_gitlab_and_missing_client),
	        T(test_check_run_delivery),
#undef T
	};
	mg_err err = MG_ERR_INIT;
	int rc;

	if (mg_httpc_global_init(&err) != 0)
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mg_httpc_global_cleanup();
	return rc;
}
