/*
 * test_github.c - the GitHub and GitLab clients against tests/support's
 * fake (a real HTTP server on 127.0.0.1 that checks every request against
 * shared/contracts/github/contract.json): statuses with the contract's
 * headers and a trimmed description, the one marker comment created then
 * updated (also when it sits on the second page behind 150 others, and
 * when the answer to its POST was lost), retries after 502 and closed
 * connections, waits for rate limits (primary reset, Retry-After,
 * secondary), 422/401 as permanent with GitHub's message, App auth with a
 * JWT the fake verifies against the public half of a key generated here,
 * the installation token cache, check runs, GitLab notes and statuses; and
 * the pure helpers (trimming, Link headers, classification) by value.
 * Every test also asserts that the fake saw no contract violation.
 */
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "fakegh.h"
#include "forge.h"
#include "github.h"
#include "gitlab.h"
#include "mgtest.h"

static const char REPO[] = "octo/widgets";
static const char SHA[] = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
static const char MARK[] = MG_FORGE_COMMENT_MARKER;

struct fx {
	fakegh *f;
	mg_github *gh;
};

static mg_github *token_client(fakegh *f, int attempts, int64_t max_wait)
{
	mg_github_config cfg;
	mg_github *gh = NULL;
	mg_err err = MG_ERR_INIT;

	memset(&cfg, 0, sizeof(cfg));
	cfg.api_url = fakegh_url(f);
	cfg.user_agent = "memgate-test/1";
	cfg.token = "test-token";
	cfg.policy.attempts = attempts;
	cfg.policy.base_ms = 10;
	cfg.policy.max_ms = 40;
	cfg.policy.max_wait_ms = max_wait;
	cfg.policy.timeout_ms = 5000;
	if (mg_github_new(&gh, &cfg, &err) != 0)
		fail_msg("mg_github_new: %s", err.msg);
	return gh;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	x->f = fakegh_start();
	x->gh = token_client(x->f, 3, 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	mg_github_free(x->gh);
	fakegh_stop(x->f);
	free(x);
	return 0;
}

static void no_violations(fakegh *f)
{
	if (fakegh_violations(f) != 0)
		fail_msg("contract violation: %s", fakegh_first_violation(f));
}

static const mg_github_repo repo = {REPO, 0};

/* The i-th recorded request. */
static const fakegh_req *req(fakegh *f, size_t i)
{
	const fakegh_req *r = fakegh_request(f, i);

	if (r == NULL)
		fail_msg("no request %zu (only %zu)", i, fakegh_nrequests(f));
	return r;
}

/* ---- statuses ------------------------------------------------------------ */

static void test_status_headers_and_trim(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	char desc[301], want[200];
	const fakegh_req *r;
	mg_github_status s = {MG_FORGE_FAILURE, desc, NULL,
	                      "https://memgate.example/c/1"};

	memset(desc, 'a', 300);
	desc[300] = '\0';
	assert_int_equal(
	        mg_github_create_status(x->gh, &res, &repo, SHA, &s, &err), 0);
	assert_int_equal(res.outcome, MG_FORGE_OK);
	assert_int_equal(res.status, 201);
	assert_int_equal(res.requests, 1);
	assert_int_equal(res.id,
	                 fakegh_object_id(x->f, FAKEGH_STATUS, REPO, SHA, 0));
	r = req(x->f, 0);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->op, "repos/create-commit-status");
	assert_string_equal(fakegh_req_header(r, "Accept"),
	                    "application/vnd.github+json");
	assert_string_equal(fakegh_req_header(r, "X-GitHub-Api-Version"),
	                    "2022-11-28");
	assert_string_equal(fakegh_req_header(r, "Authorization"),
	                    "Bearer test-token");
	assert_string_equal(fakegh_req_header(r, "User-Agent"),
	                    "memgate-test/1");
	assert_string_equal(fakegh_req_header(r, "Content-Type"),
	                    "application/json");
	/* 139 of the 300 characters and the ellipsis: 140 in all. */
	memset(want, 'a', 139);
	snprintf(want + 139, sizeof(want) - 139, "\xE2\x80\xA6");
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 0,
	                                      "description"),
	                    want);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 0, "state"),
	        "failure");
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 0, "context"),
	        "memgate/memory");
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 0,
	                                      "target_url"),
	                    "https://memgate.example/c/1");
	no_violations(x->f);
}

/*
 * 100 emoji outside the BMP are 200 UTF-16 units: 69 of them (138 units)
 * and the ellipsis (1) fit the 140 limit, a 70th would not.
 */
static void test_status_trim_astral(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_buf desc = MG_BUF_INIT(MG_BUF_NOLIMIT), want = MG_BUF_INIT(4096);
	mg_github_status s = {MG_FORGE_SUCCESS, NULL, "perf/mem", NULL};
	int i;

	for (i = 0; i < 100; i++)
		mg_buf_puts(&desc, "\xF0\x9F\x98\x80");
	for (i = 0; i < 69; i++)
		mg_buf_puts(&want, "\xF0\x9F\x98\x80");
	mg_buf_puts(&want, "\xE2\x80\xA6");
	s.description = desc.ptr;
	assert_int_equal(
	        mg_github_create_status(x->gh, &res, &repo, SHA, &s, &err), 0);
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 0,
	                                      "description"),
	                    want.ptr);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_STATUS, REPO, SHA, 0, "context"),
	        "perf/mem");
	no_violations(x->f);
	mg_buf_release(&desc);
	mg_buf_release(&want);
}

static void test_status_bad_arguments(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_SUCCESS, "ok", NULL, NULL};
	mg_github_repo bad = {"../etc", 0};

	assert_int_equal(
	        mg_github_create_status(x->gh, &res, &repo, "abc", &s, &err),
	        MG_EINPUT);
	assert_int_equal(res.outcome, MG_FORGE_PERMANENT);
	assert_non_null(strstr(err.msg, "field 'sha'"));
	assert_int_equal(
	        mg_github_create_status(x->gh, &res, &bad, SHA, &s, &err),
	        MG_EINPUT);
	assert_non_null(strstr(err.msg, "expected 'owner/repo'"));
	assert_int_equal(fakegh_nrequests(x->f), 0);
}

/* ---- the marker comment -------------------------------------------------- */

static void test_comment_created_then_updated(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	char want[256];
	int64_t id;

	assert_int_equal(mg_github_upsert_comment(x->gh, &res, &repo, 12, NULL,
	                                          "**2 regressions**", &err),
	                 0);
	assert_true(res.created);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "12"), 1);
	id = fakegh_object_id(x->f, FAKEGH_COMMENT, REPO, "12", 0);
	assert_int_equal(res.id, id);
	snprintf(want, sizeof(want), "%s\n**2 regressions**", MARK);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_COMMENT, REPO, "12", 0, "body"),
	        want);
	assert_int_equal(fakegh_count(x->f, "GET", "issues/list-comments"), 1);
	assert_int_equal(fakegh_count(x->f, "POST", "issues/create-comment"),
	                 1);
	assert_string_equal(req(x->f, 0)->query, "per_page=100");

	/* The next push: the same comment, updated in place. */
	assert_int_equal(mg_github_upsert_comment(x->gh, &res, &repo, 12, NULL,
	                                          "no change", &err),
	                 0);
	assert_false(res.created);
	assert_int_equal(res.id, id);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "12"), 1);
	assert_int_equal(
	        fakegh_object_updates(x->f, FAKEGH_COMMENT, REPO, "12", 0), 1);
	snprintf(want, sizeof(want), "%s\nno change", MARK);
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_COMMENT, REPO, "12", 0, "body"),
	        want);
	assert_int_equal(fakegh_count(x->f, "POST", "issues/create-comment"),
	                 1);
	assert_int_equal(fakegh_count(x->f, "PATCH", "issues/update-comment"),
	                 1);
	no_violations(x->f);
}

static void test_comment_found_on_second_page(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	char body[64];
	int i;

	/* A quote of our marker is someone else's comment, not ours. */
	fakegh_add_comment(x->f, REPO, 7, "> " MG_FORGE_COMMENT_MARKER "\nlol");
	for (i = 1; i < 150; i++) {
		snprintf(body, sizeof(body), "comment %d", i);
		fakegh_add_comment(x->f, REPO, 7, body);
	}
	assert_int_equal(mg_github_upsert_comment(x->gh, &res, &repo, 7, NULL,
	                                          "first", &err),
	                 0);
	assert_true(res.created);
	/* Pages of 100: 150 comments are two pages, both read. */
	assert_int_equal(fakegh_count(x->f, "GET", "issues/list-comments"), 2);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "7"), 151);

	assert_int_equal(mg_github_upsert_comment(x->gh, &res, &repo, 7, NULL,
	                                          "second", &err),
	                 0);
	assert_false(res.created);
	assert_int_equal(
	        res.id, fakegh_object_id(x->f, FAKEGH_COMMENT, REPO, "7", 150));
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "7"), 151);
	assert_int_equal(fakegh_count(x->f, "GET", "issues/list-comments"), 4);
	/* The second page was fetched through the Link header's URL. */
	assert_string_equal(req(x->f, 4)->query, "per_page=100&page=2");
	assert_string_equal(req(x->f, 5)->method, "PATCH");
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_COMMENT, REPO, "7", 0, "body"),
	        "> " MG_FORGE_COMMENT_MARKER "\nlol");
	no_violations(x->f);
}

/*
 * The POST that creates the comment is applied but its answer is lost:
 * the retry lists again, finds the comment and updates it.
 */
static void test_comment_lost_answer_no_duplicate(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	fakegh_fault lost = {.kind = FAKEGH_APPLY_THEN_CLOSE,
	                     .method = "POST",
	                     .path_prefix = "/repos/"};

	fakegh_fail(x->f, &lost);
	assert_int_equal(mg_github_upsert_comment(x->gh, &res, &repo, 3, NULL,
	                                          "verdict", &err),
	                 0);
	assert_false(res.created);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "3"), 1);
	assert_int_equal(res.id,
	                 fakegh_object_id(x->f, FAKEGH_COMMENT, REPO, "3", 0));
	assert_int_equal(fakegh_count(x->f, "POST", "issues/create-comment"),
	                 1);
	assert_int_equal(fakegh_count(x->f, "PATCH", "issues/update-comment"),
	                 1);
	assert_int_equal(req(x->f, 1)->status, 0); /* closed */
	no_violations(x->f);
}

static void test_comment_body_limit(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_buf big = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *sent;
	int i;

	for (i = 0; i < 10000; i++)
		mg_buf_puts(&big, "| row |\n"); /* 80,000 characters */
	assert_int_equal(mg_github_upsert_comment(x->gh, &res, &repo, 5, NULL,
	                                          big.ptr, &err),
	                 0);
	sent = fakegh_object_str(x->f, FAKEGH_COMMENT, REPO, "5", 0, "body");
	assert_non_null(sent);
	assert_true(strlen(sent) <= MG_GITHUB_COMMENT_MAX);
	assert_true(strlen(sent) > MG_GITHUB_COMMENT_MAX - 100);
	assert_int_equal(strncmp(sent, MARK, strlen(MARK)), 0);
	assert_non_null(strstr(sent, "trimmed by memgate"));
	no_violations(x->f);
	mg_buf_release(&big);
}

/* ---- failures ------------------------------------------------------------ */

static void test_retry_after_502(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_SUCCESS, "ok", NULL, NULL};
	fakegh_fault bad = {.kind = FAKEGH_502, .method = "POST", .count = 2};
	mg_github *once = token_client(x->f, 1, 0);

	fakegh_fail(x->f, &bad);
	assert_int_equal(
	        mg_github_create_status(x->gh, &res, &repo, SHA, &s, &err), 0);
	assert_int_equal(res.requests, 3);
	assert_int_equal(fakegh_count(x->f, "POST", NULL), 3);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 1);

	/* With one try, the 502 comes back as retryable. */
	bad.count = 1;
	fakegh_fail(x->f, &bad);
	assert_int_equal(
	        mg_github_create_status(once, &res, &repo, SHA, &s, &err),
	        MG_ENET);
	assert_int_equal(res.outcome, MG_FORGE_RETRY);
	assert_int_equal(res.status, 502);
	assert_string_equal(res.message, "Server Error");
	assert_int_equal(res.retry_at_ms, 0);
	no_violations(x->f);
	mg_github_free(once);
}

static void test_closed_connection_and_slow_answer(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_PENDING, "waiting", NULL, NULL};
	fakegh_fault drop = {.kind = FAKEGH_CLOSE, .method = "POST"};
	fakegh_fault slow = {
	        .kind = FAKEGH_SLOW, .method = "GET", .delay_ms = 1500};
	mg_github_config cfg;
	mg_github *quick;

	fakegh_fail(x->f, &drop);
	assert_int_equal(
	        mg_github_create_status(x->gh, &res, &repo, SHA, &s, &err), 0);
	assert_int_equal(res.requests, 2);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 1);

	/* A list page slower than the timeout is asked for again. */
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_url = fakegh_url(x->f);
	cfg.token = "test-token";
	cfg.policy.attempts = 3;
	cfg.policy.base_ms = 10;
	cfg.policy.timeout_ms = 300;
	assert_int_equal(mg_github_new(&quick, &cfg, &err), 0);
	fakegh_fail(x->f, &slow);
	assert_int_equal(mg_github_upsert_comment(quick, &res, &repo, 9, NULL,
	                                          "hi", &err),
	                 0);
	/* By method: the slow one gets its operation once it wakes up. */
	assert_int_equal(fakegh_count(x->f, "GET", NULL), 2);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_COMMENT, REPO, "9"), 1);
	/* The default User-Agent names memgate. */
	assert_int_equal(strncmp(fakegh_req_header(req(x->f, 2), "User-Agent"),
	                         "memgate/", 8),
	                 0);
	no_violations(x->f);
	mg_github_free(quick);
}

static void test_connection_refused(void **state)
{
	mg_github_config cfg;
	mg_github *gh;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_SUCCESS, NULL, NULL, NULL};

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_url = "http://127.0.0.1:1"; /* nothing listens on port 1 */
	cfg.token = "t";
	cfg.policy.attempts = 2;
	cfg.policy.base_ms = 5;
	assert_int_equal(mg_github_new(&gh, &cfg, &err), 0);
	assert_int_equal(
	        mg_github_create_status(gh, &res, &repo, SHA, &s, &err),
	        MG_ENET);
	assert_int_equal(res.outcome, MG_FORGE_RETRY);
	assert_int_equal(res.requests, 2);
	assert_int_equal(res.status, 0);
	assert_null(strstr(err.msg, "Bearer"));
	mg_github_free(gh);
}

static void test_primary_rate_limit(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_SUCCESS, "ok", NULL, NULL};
	int64_t reset = (int64_t)time(NULL) + 1;
	fakegh_fault limit = {.kind = FAKEGH_RATE_PRIMARY, .reset = reset};
	mg_github *patient = token_client(x->f, 3, 5000);

	/* A reset within max_wait_ms: slept through, not before reset. */
	fakegh_fail(x->f, &limit);
	assert_int_equal(
	        mg_github_create_status(patient, &res, &repo, SHA, &s, &err),
	        0);
	assert_int_equal(res.requests, 2);
	assert_int_equal(req(x->f, 0)->status, 403);
	assert_true(req(x->f, 1)->at_ms >= reset * 1000);

	/* An hour away: handed back with the time to wait for. */
	limit.reset = (int64_t)time(NULL) + 3600;
	fakegh_fail(x->f, &limit);
	assert_int_equal(
	        mg_github_create_status(x->gh, &res, &repo, SHA, &s, &err),
	        MG_EUPSTREAM);
	assert_int_equal(res.outcome, MG_FORGE_RATE_LIMITED);
	assert_int_equal(res.retry_at_ms, limit.reset * 1000);
	assert_int_equal(res.requests, 1);
	assert_non_null(strstr(res.message, "API rate limit exceeded"));
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 1);
	no_violations(x->f);
	mg_github_free(patient);
}

static void test_retry_after_and_secondary(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_SUCCESS, "ok", NULL, NULL};
	fakegh_fault t429 = {.kind = FAKEGH_429, .retry_after = 1};
	fakegh_fault sec = {.kind = FAKEGH_RATE_SECONDARY};
	mg_github *patient = token_client(x->f, 3, 5000);
	int64_t before;

	fakegh_fail(x->f, &t429);
	assert_int_equal(
	        mg_github_create_status(patient, &res, &repo, SHA, &s, &err),
	        0);
	assert_int_equal(req(x->f, 0)->status, 429);
	assert_true(req(x->f, 1)->at_ms - req(x->f, 0)->at_ms >= 1000);

	/* A secondary limit without retry-after: wait one minute. */
	fakegh_fail(x->f, &sec);
	before = mg_forge_now_ms();
	assert_int_equal(
	        mg_github_create_status(patient, &res, &repo, SHA, &s, &err),
	        MG_EUPSTREAM);
	assert_int_equal(res.outcome, MG_FORGE_RATE_LIMITED);
	assert_true(res.retry_at_ms >= before + 60000);
	assert_true(res.retry_at_ms <= mg_forge_now_ms() + 60000);
	assert_non_null(strstr(res.message, "secondary rate limit"));
	no_violations(x->f);
	mg_github_free(patient);
}

static void test_permanent_422_and_401(void **state)
{
	struct fx *x = *state;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_SUCCESS, "ok", NULL, NULL};
	fakegh_fault v = {.kind = FAKEGH_422};

	fakegh_fail(x->f, &v);
	assert_int_equal(
	        mg_github_create_status(x->gh, &res, &repo, SHA, &s, &err),
	        MG_EUPSTREAM);
	assert_int_equal(res.outcome, MG_FORGE_PERMANENT);
	assert_int_equal(res.status, 422);
	assert_int_equal(res.requests, 1);
	assert_string_equal(res.message,
	                    "Validation Failed: description is "
	                    "too long (maximum is 140 characters)");
	assert_non_null(strstr(err.msg, "github: POST /repos/octo/widgets/"
	                                "statuses/"));

	fakegh_set_token(x->f, "another-token");
	assert_int_equal(mg_github_upsert_comment(x->gh, &res, &repo, 1, NULL,
	                                          "x", &err),
	                 MG_EAUTH);
	assert_int_equal(res.outcome, MG_FORGE_PERMANENT);
	assert_int_equal(res.status, 401);
	assert_string_equal(res.message, "Bad credentials");
	assert_null(strstr(err.msg, "test-token"));
	no_violations(x->f);
}

/* The fake itself refuses what breaks the contract. */
static void test_fake_enforces_contract(void **state)
{
	struct fx *x = *state;
	mg_httpc *h;
	mg_httpc_resp resp;
	mg_err err = MG_ERR_INIT;
	char url[256], body[400];
	const char *ok_headers[] = {"Accept: application/vnd.github+json",
	                            "X-GitHub-Api-Version: 2022-11-28",
	                            "Authorization: Bearer test-token",
	                            "User-Agent: raw",
	                            "Content-Type: application/json"};
	mg_httpc_req rq = {"POST", url, ok_headers + 1, 4, body, 0, 0, 5000, 0};

	assert_int_equal(mg_httpc_new(&h, &err), 0);
	mg_httpc_resp_init(&resp);
	snprintf(url, sizeof(url), "%s/repos/%s/statuses/%s", fakegh_url(x->f),
	         REPO, SHA);
	snprintf(body, sizeof(body), "{\"state\":\"success\"}");
	rq.body_len = strlen(body);
	/* No Accept header. */
	assert_int_equal(mg_httpc_do(h, &resp, &rq, &err), 0);
	assert_int_equal(resp.status, 400);
	assert_int_equal(fakegh_violations(x->f), 1);
	/* A description over 140 characters and a state outside the enum. */
	rq.headers = ok_headers;
	rq.nheaders = 5;
	snprintf(body, sizeof(body),
	         "{\"state\":\"success\",\"description\":"
	         "\"%0141d\"}",
	         0);
	rq.body_len = strlen(body);
	assert_int_equal(mg_httpc_do(h, &resp, &rq, &err), 0);
	assert_int_equal(resp.status, 422);
	snprintf(body, sizeof(body), "{\"state\":\"green\"}");
	rq.body_len = strlen(body);
	assert_int_equal(mg_httpc_do(h, &resp, &rq, &err), 0);
	assert_int_equal(resp.status, 422);
	/* A trailing slash does not name an operation. */
	snprintf(url, sizeof(url), "%s/repos/%s/statuses/%s/", fakegh_url(x->f),
	         REPO, SHA);
	assert_int_equal(mg_httpc_do(h, &resp, &rq, &err), 0);
	assert_int_equal(resp.status, 404);
	assert_int_equal(fakegh_violations(x->f), 4);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 0);
	mg_httpc_resp_release(&resp);
	mg_httpc_free(h);
}

/* ---- GitHub App ---------------------------------------------------------- */

struct app {
	EVP_PKEY *key;
	char *pem;
};

static mg_github *app_client(fakegh *f, struct app *a, int64_t ttl)
{
	mg_github_config cfg;
	mg_github *gh = NULL;
	mg_err err = MG_ERR_INIT;
	EVP_PKEY *pub;

	a->key = fakegh_rsa_key();
	a->pem = fakegh_private_pem(a->key);
	pub = fakegh_public_key(a->key);
	fakegh_set_app(f, "4242", pub, ttl);
	EVP_PKEY_free(pub);
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_url = fakegh_url(f);
	cfg.app_id = "4242";
	cfg.app_key_pem = a->pem;
	cfg.installation_id = 77;
	cfg.policy.attempts = 2;
	cfg.policy.base_ms = 10;
	if (mg_github_new(&gh, &cfg, &err) != 0)
		fail_msg("mg_github_new: %s", err.msg);
	return gh;
}

static void app_free(struct app *a)
{
	EVP_PKEY_free(a->key);
	free(a->pem);
}

static void test_app_token_cached(void **state)
{
	struct fx *x = *state;
	struct app a;
	mg_github *gh = app_client(x->f, &a, 3600);
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_FAILURE, "1 regression", NULL, NULL};
	mg_github_check c = {0};
	size_t i;

	assert_true(mg_github_is_app(gh));
	assert_int_equal(
	        mg_github_create_status(gh, &res, &repo, SHA, &s, &err), 0);
	assert_int_equal(mg_github_upsert_comment(gh, &res, &repo, 4, NULL,
	                                          "body", &err),
	                 0);
	c.head_sha = SHA;
	c.status = MG_GITHUB_CHECK_COMPLETED;
	c.conclusion = MG_GITHUB_CONCLUSION_FAILURE;
	c.title = "1 regression";
	c.summary = "BenchmarkHash B/op +153%";
	assert_int_equal(mg_github_check_run(gh, &res, &repo, &c, &err), 0);
	assert_true(res.created);
	/* One JWT exchange served all four repository requests. */
	assert_int_equal(fakegh_tokens_issued(x->f), 1);
	assert_int_equal(mg_github_token_requests(gh), 1);
	assert_int_equal(fakegh_count(x->f, "POST",
	                              "apps/create-installation-access-token"),
	                 1);
	assert_string_equal(req(x->f, 0)->path,
	                    "/app/installations/77/access_tokens");
	assert_int_equal(
	        strncmp(fakegh_req_header(req(x->f, 0), "Authorization"),
	                "Bearer ey", 9),
	        0);
	for (i = 1; i < fakegh_nrequests(x->f); i++)
		assert_string_equal(
		        fakegh_req_header(req(x->f, i), "Authorization"),
		        "Bearer ghs_fake1_77");
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_CHECK, REPO, SHA, 0,
	                                      "conclusion"),
	                    "failure");
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_CHECK, REPO, SHA, 0, "name"),
	        "memgate/memory");
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_CHECK, REPO, SHA, 0,
	                                      "output.summary"),
	                    "BenchmarkHash B/op +153%");
	no_violations(x->f);
	mg_github_free(gh);
	app_free(&a);
}

/* Tokens that expire within the refresh margin are fetched anew. */
static void test_app_token_refresh_and_revocation(void **state)
{
	struct fx *x = *state;
	struct app a;
	mg_github *gh = app_client(x->f, &a, 120);
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_SUCCESS, NULL, NULL, NULL};
	fakegh_fault revoked = {.kind = FAKEGH_ANSWER,
	                        .method = "POST",
	                        .path_prefix = "/repos/",
	                        .status = 401,
	                        .body = "{\"message\":\"Bad credentials\"}"};
	int i;

	for (i = 0; i < 3; i++)
		assert_int_equal(
		        mg_github_create_status(gh, &res, &repo, SHA, &s, &err),
		        0);
	assert_int_equal(fakegh_tokens_issued(x->f), 3);
	mg_github_free(gh);
	app_free(&a);

	/* A long-lived token answered with 401 is dropped and replaced. */
	gh = app_client(x->f, &a, 3600);
	assert_int_equal(
	        mg_github_create_status(gh, &res, &repo, SHA, &s, &err), 0);
	fakegh_fail(x->f, &revoked);
	assert_int_equal(
	        mg_github_create_status(gh, &res, &repo, SHA, &s, &err), 0);
	assert_int_equal(mg_github_token_requests(gh), 2);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 5);
	no_violations(x->f);
	mg_github_free(gh);
	app_free(&a);
}

static void test_app_wrong_key(void **state)
{
	struct fx *x = *state;
	struct app a, other;
	mg_github *gh = app_client(x->f, &a, 3600);
	mg_github_config cfg;
	mg_github *bad;
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_status s = {MG_FORGE_SUCCESS, NULL, NULL, NULL};

	other.key = fakegh_rsa_key();
	other.pem = fakegh_private_pem(other.key);
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_url = fakegh_url(x->f);
	cfg.app_id = "4242";
	cfg.app_key_pem = other.pem;
	cfg.installation_id = 77;
	assert_int_equal(mg_github_new(&bad, &cfg, &err), 0);
	assert_int_equal(
	        mg_github_create_status(bad, &res, &repo, SHA, &s, &err),
	        MG_EAUTH);
	assert_int_equal(res.outcome, MG_FORGE_PERMANENT);
	assert_int_equal(res.status, 401);
	assert_non_null(strstr(res.message, "signature does not verify"));
	assert_int_equal(fakegh_objects(x->f, FAKEGH_STATUS, REPO, SHA), 0);
	assert_int_equal(fakegh_tokens_issued(x->f), 0);

	mg_github_free(bad);
	/* Not a key at all: refused before any request. */
	cfg.app_key_pem = "-----BEGIN PRIVATE KEY-----\nnope\n";
	assert_int_equal(mg_github_new(&bad, &cfg, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "app_key_pem"));
	mg_github_free(gh);
	app_free(&a);
	app_free(&other);
}

/* The JWT's claims, decoded here with OpenSSL's base64 and checked. */
static void test_app_jwt_claims(void **state)
{
	EVP_PKEY *key = fakegh_rsa_key();
	char *pem = fakegh_private_pem(key);
	mg_buf jwt = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	unsigned char claims[256];
	char b64[256];
	const char *d1, *d2;
	size_t n, i;
	cJSON *c;

	(void)state;
	assert_int_equal(mg_github_app_jwt(&jwt, "4242", pem, 1700000000, &err),
	                 0);
	d1 = strchr(jwt.ptr, '.');
	d2 = strchr(d1 + 1, '.');
	n = (size_t)(d2 - d1 - 1);
	for (i = 0; i < n; i++)
		b64[i] = d1[1 + i] == '-'   ? '+'
		         : d1[1 + i] == '_' ? '/'
		                            : d1[1 + i];
	while (i % 4)
		b64[i++] = '=';
	b64[i] = '\0';
	assert_true(EVP_DecodeBlock(claims, (unsigned char *)b64, (int)i) > 0);
	claims[sizeof(claims) - 1] = '\0';
	c = cJSON_Parse((char *)claims);
	assert_non_null(c);
	assert_int_equal(cJSON_GetObjectItem(c, "iat")->valuedouble,
	                 1700000000 - 60);
	assert_int_equal(cJSON_GetObjectItem(c, "exp")->valuedouble,
	                 1700000000 + 540);
	assert_int_equal(cJSON_GetObjectItem(c, "iss")->valuedouble, 4242);
	cJSON_Delete(c);
	/* No padding and no characters outside base64url. */
	assert_null(strpbrk(jwt.ptr, "=+/"));
	mg_buf_release(&jwt);
	free(pem);
	EVP_PKEY_free(key);
}

static void test_check_run_update_and_token_mode(void **state)
{
	struct fx *x = *state;
	struct app a;
	mg_github *gh = app_client(x->f, &a, 3600);
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	mg_github_check c = {0};
	mg_buf big = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *sent;
	int i;

	c.head_sha = SHA;
	c.status = MG_GITHUB_CHECK_IN_PROGRESS;
	c.summary = "measuring";
	assert_int_equal(mg_github_check_run(gh, &res, &repo, &c, &err), 0);
	for (i = 0; i < 7000; i++)
		mg_buf_puts(&big, "0123456789");
	c.check_run_id = res.id;
	c.status = MG_GITHUB_CHECK_COMPLETED;
	c.conclusion = MG_GITHUB_CONCLUSION_SUCCESS;
	c.summary = big.ptr;
	assert_int_equal(mg_github_check_run(gh, &res, &repo, &c, &err), 0);
	assert_false(res.created);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_CHECK, REPO, SHA), 1);
	assert_int_equal(
	        fakegh_object_updates(x->f, FAKEGH_CHECK, REPO, SHA, 0), 1);
	sent = fakegh_object_str(x->f, FAKEGH_CHECK, REPO, SHA, 0,
	                         "output.summary");
	assert_true(strlen(sent) <= MG_GITHUB_CHECK_TEXT_MAX);
	assert_non_null(strstr(sent, "trimmed by memgate"));
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_CHECK, REPO, SHA, 0, "status"),
	        "completed");
	/* A conclusion without completed is refused before any request. */
	c.status = MG_GITHUB_CHECK_IN_PROGRESS;
	assert_int_equal(mg_github_check_run(gh, &res, &repo, &c, &err),
	                 MG_EINPUT);
	/* Token auth cannot create check runs. */
	c.check_run_id = 0;
	c.conclusion = MG_GITHUB_CONCLUSION_NONE;
	assert_int_equal(mg_github_check_run(x->gh, &res, &repo, &c, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "GitHub App"));
	assert_int_equal(fakegh_nrequests(x->f), 3); /* token, POST, PATCH */
	no_violations(x->f);
	mg_buf_release(&big);
	mg_github_free(gh);
	app_free(&a);
}

/* ---- GitLab -------------------------------------------------------------- */

static mg_gitlab *gitlab_client(fakegh *f)
{
	mg_gitlab_config cfg;
	mg_gitlab *gl = NULL;
	mg_err err = MG_ERR_INIT;

	memset(&cfg, 0, sizeof(cfg));
	cfg.api_url = fakegh_gitlab_url(f);
	cfg.token = "gl-token";
	cfg.policy.attempts = 3;
	cfg.policy.base_ms = 10;
	if (mg_gitlab_new(&gl, &cfg, &err) != 0)
		fail_msg("mg_gitlab_new: %s", err.msg);
	return gl;
}

static void test_gitlab_note_and_status(void **state)
{
	struct fx *x = *state;
	mg_gitlab *gl = gitlab_client(x->f);
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	char want[128], desc[301];
	mg_gitlab_status s = {MG_FORGE_PENDING, desc, NULL, NULL, "feature"};
	fakegh_fault bad = {.kind = FAKEGH_502, .method = "PUT"};
	int64_t id;

	fakegh_add_note(x->f, "grp/sub/proj", 8,
	                MG_FORGE_COMMENT_MARKER " system note", 1);
	fakegh_add_note(x->f, "grp/sub/proj", 8, "looks good", 0);
	assert_int_equal(mg_gitlab_upsert_note(gl, &res, "grp/sub/proj", 8,
	                                       NULL, "v1", &err),
	                 0);
	assert_true(res.created);
	id = res.id;
	assert_int_equal(fakegh_objects(x->f, FAKEGH_NOTE, "grp/sub/proj", "8"),
	                 3);
	/* The project path travels as one escaped segment. */
	assert_string_equal(req(x->f, 0)->path,
	                    "/api/v4/projects/grp%2Fsub%2Fproj/"
	                    "merge_requests/8/notes");
	assert_string_equal(req(x->f, 0)->query,
	                    "sort=asc&order_by=created_at&per_page=100");
	assert_string_equal(fakegh_req_header(req(x->f, 0), "PRIVATE-TOKEN"),
	                    "gl-token");
	fakegh_fail(x->f, &bad);
	assert_int_equal(mg_gitlab_upsert_note(gl, &res, "grp/sub/proj", 8,
	                                       NULL, "v2", &err),
	                 0);
	assert_false(res.created);
	assert_int_equal(res.id, id);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_NOTE, "grp/sub/proj", "8"),
	                 3);
	snprintf(want, sizeof(want), "%s\nv2", MARK);
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_NOTE, "grp/sub/proj",
	                                      "8", 2, "body"),
	                    want);

	memset(desc, 'd', 300);
	desc[300] = '\0';
	assert_int_equal(mg_gitlab_create_status(gl, &res, "42", SHA, &s, &err),
	                 0);
	assert_int_equal(strlen(fakegh_object_str(x->f, FAKEGH_GL_STATUS, "42",
	                                          SHA, 0, "description")),
	                 254 + 3); /* 254 'd' and the 3-byte ellipsis */
	/* pending again: GitLab says "cannot transition", which is fine. */
	assert_int_equal(mg_gitlab_create_status(gl, &res, "42", SHA, &s, &err),
	                 0);
	assert_int_equal(res.outcome, MG_FORGE_OK);
	assert_int_equal(req(x->f, fakegh_nrequests(x->f) - 1)->status, 400);
	s.state = MG_FORGE_FAILURE;
	assert_int_equal(mg_gitlab_create_status(gl, &res, "42", SHA, &s, &err),
	                 0);
	assert_string_equal(fakegh_object_str(x->f, FAKEGH_GL_STATUS, "42", SHA,
	                                      1, "status"),
	                    "failed");
	assert_string_equal(
	        fakegh_object_str(x->f, FAKEGH_GL_STATUS, "42", SHA, 1, "name"),
	        "memgate/memory");
	assert_int_equal(fakegh_objects(x->f, FAKEGH_GL_STATUS, "42", SHA), 2);
	/* Only the deliberate "cannot transition" 400 was a refusal. */
	assert_int_equal(fakegh_violations(x->f), 0);
	mg_gitlab_free(gl);
}

static void test_gitlab_auth_and_pages(void **state)
{
	struct fx *x = *state;
	mg_gitlab *gl = gitlab_client(x->f);
	mg_forge_result res;
	mg_err err = MG_ERR_INIT;
	char body[32];
	int i;

	for (i = 0; i < 120; i++) {
		snprintf(body, sizeof(body), "note %d", i);
		fakegh_add_note(x->f, "5", 1, body, 0);
	}
	assert_int_equal(
	        mg_gitlab_upsert_note(gl, &res, "5", 1, NULL, "a", &err), 0);
	assert_int_equal(
	        mg_gitlab_upsert_note(gl, &res, "5", 1, NULL, "b", &err), 0);
	assert_false(res.created);
	assert_int_equal(fakegh_objects(x->f, FAKEGH_NOTE, "5", "1"), 121);
	assert_int_equal(fakegh_count(x->f, "GET", "mr_note_list"), 4);
	fakegh_set_gitlab_token(x->f, "rotated");
	assert_int_equal(
	        mg_gitlab_upsert_note(gl, &res, "5", 1, NULL, "c", &err),
	        MG_EAUTH);
	assert_int_equal(res.outcome, MG_FORGE_PERMANENT);
	assert_string_equal(res.message, "401 Unauthorized");
	no_violations(x->f);
	mg_gitlab_free(gl);
}

/* ---- pure helpers -------------------------------------------------------- */

static void test_trim_and_units(void **state)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);

	(void)state;
	/* a, U+1F600 (2 units), b; an invalid byte counts one. */
	assert_int_equal(mg_forge_text_units("a\xF0\x9F\x98\x80"
	                                     "b",
	                                     6),
	                 4);
	assert_int_equal(mg_forge_text_units("\xFF", 1), 1);
	assert_int_equal(mg_forge_trim(&b, "hello", 5, "~"), 0);
	assert_string_equal(b.ptr, "hello");
	mg_buf_reset(&b);
	assert_int_equal(mg_forge_trim(&b, "hello!", 5, "~"), 0);
	assert_string_equal(b.ptr, "hell~");
	mg_buf_reset(&b);
	/* The emoji does not fit in 2 units next to the tail: cut before. */
	assert_int_equal(mg_forge_trim(&b, "a\xF0\x9F\x98\x80zz", 3, "~"), 0);
	assert_string_equal(b.ptr, "a~");
	mg_buf_reset(&b);
	/* Invalid UTF-8 becomes U+FFFD, so the JSON stays valid. */
	assert_int_equal(mg_forge_trim(&b, "x\xC3(y", 10, NULL), 0);
	assert_string_equal(b.ptr, "x\xEF\xBF\xBD(y");
	mg_buf_release(&b);
}

static void test_link_next(void **state)
{
	char *next = NULL;
	mg_err err = MG_ERR_INIT;

	(void)state;
	assert_int_equal(
	        mg_forge_link_next(&next,
	                           "<https://api.github.com/r?page=2>; "
	                           "rel=\"next\", <https://api.github."
	                           "com/r?page=5>; rel=\"last\"",
	                           &err),
	        0);
	assert_string_equal(next, "https://api.github.com/r?page=2");
	free(next);
	/* Order, case and several rel values do not matter. */
	assert_int_equal(
	        mg_forge_link_next(&next,
	                           "<u1>; rel=\"prev\", <u3>;REL=\"last "
	                           "NEXT\"",
	                           &err),
	        0);
	assert_string_equal(next, "u3");
	free(next);
	assert_int_equal(mg_forge_link_next(&next, "<u1>; rel=prev", &err), 0);
	assert_null(next);
	assert_int_equal(mg_forge_link_next(&next, "garbage", &err), 0);
	assert_null(next);
	assert_int_equal(mg_forge_link_next(&next, NULL, &err), 0);
	assert_null(next);
}

static enum mg_forge_outcome classify(enum mg_forge_kind k, long status,
                                      int64_t remaining, int64_t reset,
                                      int64_t retry_after, const char *body,
                                      int64_t *at)
{
	mg_httpc_resp r;
	enum mg_forge_outcome o;

	mg_httpc_resp_init(&r);
	r.status = status;
	r.ratelimit_remaining = remaining;
	r.ratelimit_reset = reset;
	r.retry_after_ms = retry_after;
	if (body)
		mg_buf_puts(&r.body, body);
	o = mg_forge_classify(k, 0, &r, 1000000, at);
	mg_httpc_resp_release(&r);
	return o;
}

static void test_classification(void **state)
{
	int64_t at;

	(void)state;
	assert_int_equal(classify(MG_FORGE_GITHUB, 201, -1, -1, -1, NULL, &at),
	                 MG_FORGE_OK);
	assert_int_equal(classify(MG_FORGE_GITHUB, 502, -1, -1, -1, NULL, &at),
	                 MG_FORGE_RETRY);
	assert_int_equal(at, 0);
	assert_int_equal(
	        classify(MG_FORGE_GITHUB, 503, -1, -1, 5000, NULL, &at),
	        MG_FORGE_RETRY);
	assert_int_equal(at, 1005000);
	assert_int_equal(classify(MG_FORGE_GITHUB, 501, -1, -1, -1, NULL, &at),
	                 MG_FORGE_PERMANENT);
	/* Primary: remaining 0 waits for reset (unix s). */
	assert_int_equal(classify(MG_FORGE_GITHUB, 403, 0, 2000, -1, NULL, &at),
	                 MG_FORGE_RATE_LIMITED);
	assert_int_equal(at, 2000000);
	/* Both: the later wins. */
	assert_int_equal(
	        classify(MG_FORGE_GITHUB, 429, 0, 1001, 30000, NULL, &at),
	        MG_FORGE_RATE_LIMITED);
	assert_int_equal(at, 1030000);
	/* Secondary by message alone: one minute. */
	assert_int_equal(classify(MG_FORGE_GITHUB, 403, 10, 2000, -1,
	                          "{\"message\":\"You have exceeded a "
	                          "secondary rate limit\"}",
	                          &at),
	                 MG_FORGE_RATE_LIMITED);
	assert_int_equal(at, 1060000);
	/* A permission 403 is permanent. */
	assert_int_equal(classify(MG_FORGE_GITHUB, 403, 4000, 2000, -1,
	                          "{\"message\":\"Resource not accessible by "
	                          "integration\"}",
	                          &at),
	                 MG_FORGE_PERMANENT);
	assert_int_equal(classify(MG_FORGE_GITHUB, 404, -1, -1, -1, NULL, &at),
	                 MG_FORGE_PERMANENT);
	assert_int_equal(classify(MG_FORGE_GITHUB, 422, -1, -1, -1, NULL, &at),
	                 MG_FORGE_PERMANENT);
	/* A reset in the past still waits a second. */
	assert_int_equal(classify(MG_FORGE_GITHUB, 403, 0, 10, -1, NULL, &at),
	                 MG_FORGE_RATE_LIMITED);
	assert_int_equal(at, 1001000);
	assert_int_equal(classify(MG_FORGE_GITLAB, 429, -1, -1, -1, NULL, &at),
	                 MG_FORGE_RATE_LIMITED);
	assert_int_equal(at, 1060000);
	assert_int_equal(classify(MG_FORGE_GITLAB, 403, -1, -1, -1, NULL, &at),
	                 MG_FORGE_PERMANENT);
}

static void test_error_messages(void **state)
{
	char out[MG_FORGE_MSG_MAX];
	static const char gl[] = "{\"message\":{\"body\":[\"is too long\"],"
	                         "\"name\":[\"is bad\"]}}";
	static const char gh[] =
	        "{\"message\":\"Validation Failed\","
	        "\"errors\":[{\"resource\":\"IssueComment\","
	        "\"code\":\"unprocessable\",\"field\":\"data\"}]"
	        "}";

	(void)state;
	mg_forge_error_message(MG_FORGE_GITLAB, gl, strlen(gl), out,
	                       sizeof(out));
	assert_string_equal(out, "body is too long; name is bad");
	mg_forge_error_message(MG_FORGE_GITHUB, gh, strlen(gh), out,
	                       sizeof(out));
	assert_string_equal(out, "Validation Failed: field 'data' "
	                         "unprocessable");
	mg_forge_error_message(MG_FORGE_GITHUB, "<html>\nBad", 11, out,
	                       sizeof(out));
	assert_string_equal(out, "<html> Bad");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	        T(test_status_headers_and_trim),
	        T(test_status_trim_astral),
	        T(test_status_bad_arguments),
	        T(test_comment_created_then_updated),
	        T(test_comment_found_on_second_page),
	        T(test_comment_lost_answer_no_duplicate),
	        T(test_comment_body_limit),
	        T(test_retry_after_502),
	        T(test_closed_connection_and_slow_answer),
	        cmocka_unit_test(test_connection_refused),
	        T(test_primary_rate_limit),
	        T(test_retry_after_and_secondary),
	        T(test_permanent_422_and_401),
	        T(test_fake_enforces_contract),
	        T(test_app_token_cached),
	        T(test_app_token_refresh_and_revocation),
	        T(test_app_wrong_key),
	        cmocka_unit_test(test_app_jwt_claims),
	        T(test_check_run_update_and_token_mode),
	        T(test_gitlab_note_and_status),
	        T(test_gitlab_auth_and_pages),
	        cmocka_unit_test(test_trim_and_units),
	        cmocka_unit_test(test_link_next),
	        cmocka_unit_test(test_classification),
	        cmocka_unit_test(test_error_messages),
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
