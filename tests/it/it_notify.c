/*
 * it_notify.c - pull-request verdicts end to end (issue 7): a fake GitHub
 * (tests/support/fakegh, checking every request against the contract),
 * the real memgate-server pointed at it, runs uploaded over HTTP.
 *
 * The regression is built so that its verdict follows from the rules
 * without running the engine: allocs/op goes from 1 (5 samples) to 2 (5
 * samples), an absolute change of 1 with p = 0.0079 (all five head
 * samples above all five base ones: the smallest two-sided Mann-Whitney p
 * for 5 + 5, 2/252), below alpha 0.05, and allocs/op's default threshold
 * is 0 allocations: a regression, so the status must be "failure".
 */
#include <cjson/cJSON.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fakegh.h"
#include "mgtest.h"
#include "runjson.h"
#include "srv.h"
#include "webhook.h"

#define PROJECT "acme/widgets"
#define SECRET "it-notify-secret"
#define PUBLIC "http://memgate.test"

struct fixture {
	char *dir, *db, *log, *token;
	char *quiet, *calm; /* tokens of acme/quiet and acme/calm */
	fakegh *gh;
	mgt_srv srv;
};

static struct fixture *F;

static void start_server(void)
{
	const char *extra[] = {"--github-api-url",
	                       fakegh_url(F->gh),
	                       "--github-token",
	                       "test-token",
	                       "--github-webhook-secret",
	                       SECRET,
	                       "--public-url",
	                       PUBLIC,
	                       "--comment-modes",
	                       "acme/quiet=never,acme/calm=on-change",
	                       NULL};

	mgt_srv_start(&F->srv, F->db, F->log, extra);
}

static int group_setup(void **state)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	F = calloc(1, sizeof(*F));
	F->dir = mgt_tmpdir();
	F->db = mgt_path(F->dir, "server.db");
	F->log = mgt_path(F->dir, "server.log");
	F->gh = fakegh_start();
	F->token = mgt_srv_token(F->db, PROJECT);
	F->quiet = mgt_srv_token(F->db, "acme/quiet");
	F->calm = mgt_srv_token(F->db, "acme/calm");
	start_server();
	*state = F;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	assert_int_equal(mgt_srv_stop(&F->srv, SIGTERM), 0);
	mgt_srv_release(&F->srv);
	/* every request the server sent followed the contract */
	if (fakegh_violations(F->gh))
		fail_msg("contract violation: %s",
		         fakegh_first_violation(F->gh));
	fakegh_stop(F->gh);
	free(F->token);
	free(F->quiet);
	free(F->calm);
	free(F->db);
	free(F->log);
	mgt_tmpdir_free(F->dir);
	free(F);
	curl_global_cleanup();
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait up to 20 s for fakegh_objects(kind, key) to reach n. */
static size_t wait_in(const char *project, enum fakegh_kind kind,
                      const char *key, size_t n)
{
	double until = now_s() + 20;
	size_t got;

	while ((got = fakegh_objects(F->gh, kind, project, key)) < n &&
	       now_s() < until)
		usleep(50 * 1000);
	return got;
}

static size_t wait_objects(enum fakegh_kind kind, const char *key, size_t n)
{
	return wait_in(PROJECT, kind, key, n);
}

/*
 * A run of nbench benchmarks with B/op, allocs/op, ns/op x 5 samples,
 * allocs/op set to `allocs` in every sample; pr > 0 makes it a pull
 * request run on branch "feature" with base `base_sha`.
 */
static void upload_to(const char *project, const char *token, const char *sha,
                      const char *parent, int nbench, double allocs, int64_t pr,
                      const char *base_sha)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	mgt_req req = {0};
	mgt_resp resp;
	char url[128];
	mg_run run;
	size_t i;

	mgt_make_run(&run, project, sha, parent, 1700000000 + (int64_t)pr,
	             nbench, 3, 5, NULL, 0, 0);
	for (i = 0; i < run.nsamples; i++)
		if (strcmp(run.samples[i].unit, "allocs/op") == 0)
			run.samples[i].value = allocs;
	if (pr > 0) {
		run.pr_number = pr;
		assert_int_equal(mg_run_set_str(&run.branch, "feature"), 0);
		assert_int_equal(mg_run_set_str(&run.base_ref, "main"), 0);
		assert_int_equal(mg_run_set_str(&run.base_sha, base_sha), 0);
	}
	assert_int_equal(mg_runjson_write(&doc, &run, &err), 0);
	mg_run_release(&run);
	snprintf(url, sizeof(url), "%s/api/v1/runs", F->srv.url);
	req.url = url;
	req.token = token;
	req.body = doc.ptr;
	req.len = doc.len;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	if (resp.status != 201)
		fail_msg("upload: %ld %s", resp.status, resp.body.ptr);
	mgt_resp_release(&resp);
	mg_buf_release(&doc);
}

static void upload(const char *sha, const char *parent, int nbench,
                   double allocs, int64_t pr, const char *base_sha)
{
	upload_to(PROJECT, F->token, sha, parent, nbench, allocs, pr, base_sha);
}

/*
 * To the server s with token tok: a default-branch run b (sha number n)
 * and pull request pr's head h on it with allocs/op head_allocs.
 */
static void upload_pr_to(const mgt_srv *s, char *tok, char b[41], char h[41],
                         uint64_t n, double head_allocs, int64_t pr)
{
	struct fixture saved = *F;

	/* upload() talks to F->srv with F->token */
	F->srv = *s;
	F->token = tok;
	mgt_sha(b, n);
	mgt_sha(h, n + 1);
	upload(b, NULL, 2, 1, 0, NULL);
	upload(h, b, 2, head_allocs, pr, b);
	F->srv = saved.srv;
	F->token = saved.token;
}

/* The dashboard's project list states open regressions per project. */
static void assert_open_regressions(const char *want)
{
	mgt_req req = {0};
	mgt_resp resp;
	char url[512];

	snprintf(url, sizeof(url), "%s/", F->srv.url);
	req.url = url;
	req.token = F->token;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 200);
	if (strstr(resp.body.ptr, want) == NULL)
		fail_msg("'%s' not on the projects page", want);
	mgt_resp_release(&resp);
}

static size_t count_status(int status)
{
	size_t i, n = 0;

	for (i = 0; i < fakegh_nrequests(F->gh); i++)
		n += fakegh_request(F->gh, i)->status == status;
	return n;
}

/* Whether process pid has libcurl mapped. */
static bool curl_mapped(pid_t pid)
{
	char path[64], *maps;
	bool found;

	snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
	maps = mgt_read_file(path, NULL);
	assert_non_null(maps);
	found = strstr(maps, "/libcurl") != NULL;
	free(maps);
	return found;
}

/*
 * memgate-server loads libcurl on first use (server/curl_lazy.c, for the
 * idle RSS of issue 6): not at start although GitHub is configured, not
 * for an upload that sends nothing (the first commit has nothing to be
 * judged against), then by the first delivery, which arrives. Runs first,
 * while the server of group_setup has sent nothing yet.
 */
static void test_curl_loaded_on_first_delivery(void **state)
{
	char base[41], head[41];

	(void)state;
	assert_false(curl_mapped(F->srv.pid));
	mgt_sha(base, 50);
	mgt_sha(head, 51);
	upload(base, NULL, 2, 1, 0, NULL);
	/* unchanged samples: a success, no open regression for later tests */
	usleep(300 * 1000); /* a delivery would have started by now */
	assert_false(curl_mapped(F->srv.pid));
	upload(head, base, 2, 1, 5, base);
	assert_int_equal(wait_objects(FAKEGH_STATUS, head, 1), 1);
	assert_string_equal(fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT,
	                                      head, 0, "state"),
	                    "success");
	assert_true(curl_mapped(F->srv.pid));
}

/*
 * A libcurl.so.4 that cannot be loaded (an empty file found first through
 * LD_LIBRARY_PATH): the delivery fails with a message naming the cause,
 * the server keeps serving, and `version` says why instead of crashing.
 */
static void test_curl_unloadable(void **state)
{
	char b[41], h[41], *libdir, *lib, *db2, *log2, *tok, *text = NULL;
	char *argv[] = {(char *)mgt_server_bin(), "version", NULL};
	const char *extra[] = {"--github-api-url", fakegh_url(F->gh),
	                       "--github-token", "test-token", NULL};
	mg_buf out = MG_BUF_INIT(1 << 16);
	mgt_req req = {0};
	mgt_resp resp;
	char url[128];
	double until;
	mgt_srv s2;

	(void)state;
	libdir = mgt_path(F->dir, "nocurl");
	assert_int_equal(mkdir(libdir, 0700), 0);
	lib = mgt_path(libdir, "libcurl.so.4");
	mgt_write_file(lib, "", 0);
	db2 = mgt_path(F->dir, "nocurl.db");
	log2 = mgt_path(F->dir, "nocurl.log");
	tok = mgt_srv_token(db2, PROJECT);
	/* the children get it; this process has its libcurl already */
	assert_int_equal(setenv("LD_LIBRARY_PATH", libdir, 1), 0);
	mgt_srv_start(&s2, db2, log2, extra);
	assert_int_equal(mgt_run(F->dir, argv, &out, NULL), 0);
	assert_int_equal(unsetenv("LD_LIBRARY_PATH"), 0);
	assert_non_null(strstr(out.ptr, "\nlibcurl unavailable: cannot load "
	                                "libcurl.so.4: "));
	upload_pr_to(&s2, tok, b, h, 1000, 1, 15);
	until = now_s() + 20;
	do {
		free(text);
		usleep(50 * 1000);
		text = mgt_read_file(log2, NULL);
		assert_non_null(text);
	} while (strstr(text, "cannot load libcurl.so.4") == NULL &&
	         now_s() < until);
	if (strstr(text, "failed: POST ") == NULL ||
	    strstr(text, ": cannot create a libcurl handle: cannot load "
	                 "libcurl.so.4: ") == NULL)
		fail_msg("no delivery failure naming libcurl in:\n%s", text);
	assert_false(curl_mapped(s2.pid));
	snprintf(url, sizeof(url), "%s/healthz", s2.url);
	req.url = url;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 200);
	mgt_resp_release(&resp);
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_STATUS, PROJECT, h), 0);
	assert_int_equal(mgt_srv_stop(&s2, SIGTERM), 0);
	mgt_srv_release(&s2);

	/* the same binary with the real library reports the version loaded */
	mg_buf_reset(&out);
	assert_int_equal(mgt_run(F->dir, argv, &out, NULL), 0);
	snprintf(url, sizeof(url), "\nlibcurl %s\n",
	         curl_version_info(CURLVERSION_NOW)->version);
	assert_non_null(strstr(out.ptr, url));
	mg_buf_release(&out);
	free(text);
	free(tok);
	free(log2);
	free(db2);
	free(lib);
	free(libdir);
}

static void test_pr_status_and_comment(void **state)
{
	char base[41], head1[41], head2[41], key[] = "7";
	fakegh_fault fault = {0};
	const char *s;

	(void)state;
	mgt_sha(base, 100);
	mgt_sha(head1, 101);
	mgt_sha(head2, 102);
	/* the first status POST fails with 502: retried within seconds */
	fault.kind = FAKEGH_502;
	fault.method = "POST";
	fault.path_prefix = "/repos/acme/widgets/statuses/" /* head1 only */;
	upload(base, NULL, 2, 1, 0, NULL);
	fakegh_fail(F->gh, &fault);
	upload(head1, base, 2, 2, 7, base);

	assert_int_equal(wait_objects(FAKEGH_COMMENT, key, 1), 1);
	assert_int_equal(wait_objects(FAKEGH_STATUS, head1, 1), 1);
	assert_true(count_status(502) >= 1);
	s = fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT, head1, 0, "state");
	assert_string_equal(s, "failure");
	s = fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT, head1, 0,
	                      "description");
	assert_non_null(strstr(s, "2 regressions: "));
	assert_non_null(strstr(s, "allocs/op +100%"));
	s = fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT, head1, 0,
	                      "context");
	assert_string_equal(s, "memgate/memory");
	s = fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT, head1, 0,
	                      "target_url");
	assert_non_null(strstr(s, PUBLIC "/p/acme%2Fwidgets/compare?base="));
	assert_non_null(strstr(s, head1));
	s = fakegh_object_str(F->gh, FAKEGH_COMMENT, PROJECT, key, 0, "body");
	assert_non_null(s);
	assert_int_equal(strncmp(s, "<!-- memgate:verdict -->", 24), 0);
	assert_non_null(strstr(s, "allocs/op"));
	assert_open_regressions("1 open regression<");

	/* a second push to the pull request: the same comment, updated */
	upload(head2, head1, 2, 2, 7, base);
	assert_int_equal(wait_objects(FAKEGH_STATUS, head2, 1), 1);
	/* the first commit of main had nothing to be judged against */
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_STATUS, PROJECT, base),
	                 0);
	{
		double until = now_s() + 20;

		while (fakegh_object_updates(F->gh, FAKEGH_COMMENT, PROJECT,
		                             key, 0) < 1 &&
		       now_s() < until)
			usleep(50 * 1000);
	}
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_COMMENT, PROJECT, key),
	                 1);
	assert_true(fakegh_object_updates(F->gh, FAKEGH_COMMENT, PROJECT, key,
	                                  0) >= 1);
	s = fakegh_object_str(F->gh, FAKEGH_COMMENT, PROJECT, key, 0, "body");
	assert_non_null(strstr(s, head2));
	s = fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT, head2, 0, "state");
	assert_string_equal(s, "failure");
	/* the first head keeps its one status */
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_STATUS, PROJECT, head1),
	                 1);
	/* a fixing push: the pull request's latest verdict is no regression */
	upload(head1, head2, 2, 1, 7, base);
	assert_int_equal(wait_objects(FAKEGH_STATUS, head1, 2), 2);
	assert_open_regressions("0 open regressions<");
}

/*
 * SIGTERM while the status is being delivered (the fake answers slowly):
 * the server finishes that delivery and stops without starting the
 * comment, which the restarted server then posts, once.
 */
static void test_restart_between_verdict_and_delivery(void **state)
{
	char base[41], head[41], key[] = "8";
	fakegh_fault fault = {0};

	(void)state;
	mgt_sha(base, 200);
	mgt_sha(head, 201);
	upload(base, NULL, 2, 1, 0, NULL);
	fault.kind = FAKEGH_SLOW;
	fault.method = "POST";
	fault.path_prefix = "/repos/acme/widgets/statuses/";
	fault.delay_ms = 2000;
	fakegh_fail(F->gh, &fault);
	upload(head, base, 2, 2, 8, base);
	usleep(500 * 1000);
	assert_int_equal(mgt_srv_stop(&F->srv, SIGTERM), 0);
	mgt_srv_release(&F->srv);
	/* the verdict is stored, the comment not yet posted */
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_COMMENT, PROJECT, key),
	                 0);
	start_server();
	assert_int_equal(wait_objects(FAKEGH_COMMENT, key, 1), 1);
	assert_int_equal(wait_objects(FAKEGH_STATUS, head, 1), 1);
	sleep(2); /* nothing more arrives */
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_COMMENT, PROJECT, key),
	                 1);
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_STATUS, PROJECT, head),
	                 1);
}

/*
 * A push run on the default branch: a status against its first parent,
 * no comment; here unchanged (identical samples), so "success".
 */
static void test_push_status(void **state)
{
	char c1[41], c2[41];

	(void)state;
	mgt_sha(c1, 500);
	mgt_sha(c2, 501);
	upload(c1, NULL, 2, 1, 0, NULL);
	upload(c2, c1, 2, 1, 0, NULL);
	assert_int_equal(wait_objects(FAKEGH_STATUS, c2, 1), 1);
	assert_string_equal(fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT, c2,
	                                      0, "state"),
	                    "success");
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_STATUS, PROJECT, c1), 0);
}

/* comment_modes: never posts no comment; on-change waits for a change. */
static void test_comment_modes(void **state)
{
	char b[41], h[41], h2[41];

	(void)state;
	mgt_sha(b, 600);
	mgt_sha(h, 601);
	upload_to("acme/quiet", F->quiet, b, NULL, 2, 1, 0, NULL);
	upload_to("acme/quiet", F->quiet, h, b, 2, 2, 11, b);
	assert_int_equal(wait_in("acme/quiet", FAKEGH_STATUS, h, 1), 1);
	assert_string_equal(fakegh_object_str(F->gh, FAKEGH_STATUS,
	                                      "acme/quiet", h, 0, "state"),
	                    "failure");

	mgt_sha(b, 700);
	mgt_sha(h, 701);
	mgt_sha(h2, 702);
	upload_to("acme/calm", F->calm, b, NULL, 2, 1, 0, NULL);
	upload_to("acme/calm", F->calm, h, b, 2, 1, 12, b); /* unchanged */
	assert_int_equal(wait_in("acme/calm", FAKEGH_STATUS, h, 1), 1);
	assert_string_equal(fakegh_object_str(F->gh, FAKEGH_STATUS, "acme/calm",
	                                      h, 0, "state"),
	                    "success");
	usleep(300 * 1000); /* a comment would follow its status at once */
	assert_int_equal(
	        fakegh_objects(F->gh, FAKEGH_COMMENT, "acme/calm", "12"), 0);
	upload_to("acme/calm", F->calm, h2, h, 2, 2, 12, b); /* regression */
	assert_int_equal(wait_in("acme/calm", FAKEGH_COMMENT, "12", 1), 1);
	assert_int_equal(wait_in("acme/calm", FAKEGH_STATUS, h2, 1), 1);
	/* statuses come before comments: the quiet one had its chance */
	assert_int_equal(
	        fakegh_objects(F->gh, FAKEGH_COMMENT, "acme/quiet", "11"), 0);
}

/* A 429 with Retry-After: the comment waits that long, then goes out. */
static void test_rate_limit_waits(void **state)
{
	char b[41], h[41], key[] = "13";
	fakegh_fault fault = {0};
	int64_t limited_at = 0, posted_at = 0;
	size_t i;

	(void)state;
	mgt_sha(b, 800);
	mgt_sha(h, 801);
	fault.kind = FAKEGH_429;
	fault.method = "POST";
	fault.path_prefix = "/repos/acme/widgets/issues/13/comments";
	fault.retry_after = 2;
	fakegh_fail(F->gh, &fault);
	upload(b, NULL, 2, 1, 0, NULL);
	upload(h, b, 2, 2, 13, b);
	assert_int_equal(wait_objects(FAKEGH_COMMENT, key, 1), 1);
	for (i = 0; i < fakegh_nrequests(F->gh); i++) {
		const fakegh_req *r = fakegh_request(F->gh, i);

		if (strcmp(r->method, "POST") != 0 ||
		    strcmp(r->path, fault.path_prefix) != 0)
			continue;
		if (r->status == 429)
			limited_at = r->at_ms;
		else if (r->status == 201)
			posted_at = r->at_ms;
	}
	assert_true(limited_at > 0 && posted_at > 0);
	/* Retry-After is whole seconds; allow for the clock's rounding */
	assert_true(posted_at - limited_at >= 1900);
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_COMMENT, PROJECT, key),
	                 1);
}

/*
 * GitHub App auth (a second fake and server): the JWT is exchanged for an
 * installation token, and the verdict also becomes a check run.
 */
static void test_app_check_run(void **state)
{
	char b[41], h[41], *pem, *keyfile, *db2, *log2, *tok;
	EVP_PKEY *key, *pub;
	fakegh *gh2;
	mgt_srv s2;
	const char *extra[] = {"--github-api-url",
	                       NULL,
	                       "--github-app-id",
	                       "4242",
	                       "--github-app-private-key",
	                       NULL,
	                       "--github-installation-id",
	                       "77",
	                       NULL};
	double until;

	(void)state;
	gh2 = fakegh_start();
	key = fakegh_rsa_key();
	pub = fakegh_public_key(key);
	fakegh_set_app(gh2, "4242", pub, 3600);
	pem = fakegh_private_pem(key);
	keyfile = mgt_path(F->dir, "app.pem");
	mgt_write_file(keyfile, pem, strlen(pem));
	db2 = mgt_path(F->dir, "app.db");
	log2 = mgt_path(F->dir, "app.log");
	extra[1] = fakegh_url(gh2);
	extra[5] = keyfile;
	tok = mgt_srv_token(db2, PROJECT);
	mgt_srv_start(&s2, db2, log2, extra);
	upload_pr_to(&s2, tok, b, h, 900, 2, 14);
	free(tok);
	until = now_s() + 20;
	while (fakegh_objects(gh2, FAKEGH_CHECK, PROJECT, h) < 1 &&
	       now_s() < until)
		usleep(50 * 1000);
	assert_int_equal(fakegh_objects(gh2, FAKEGH_CHECK, PROJECT, h), 1);
	until = now_s() + 20;
	while (fakegh_objects(gh2, FAKEGH_COMMENT, PROJECT, "14") < 1 &&
	       now_s() < until)
		usleep(50 * 1000);
	assert_int_equal(fakegh_objects(gh2, FAKEGH_COMMENT, PROJECT, "14"), 1);
	assert_int_equal(fakegh_objects(gh2, FAKEGH_STATUS, PROJECT, h), 1);
	assert_true(fakegh_tokens_issued(gh2) >= 1);
	assert_int_equal(fakegh_violations(gh2), 0);
	assert_int_equal(mgt_srv_stop(&s2, SIGTERM), 0);
	mgt_srv_release(&s2);
	fakegh_stop(gh2);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(key);
	free(pem);
	free(keyfile);
	free(db2);
	free(log2);
}

static long webhook(const char *event, const char *delivery, const char *body,
                    const char *secret, mg_buf *answer)
{
	char sig[MG_WEBHOOK_SIG_LEN + 1], h1[128], h2[128], h3[128], url[128];
	const char *headers[4] = {h1, h2, NULL, NULL};
	mgt_req req = {0};
	mgt_resp resp;
	long status;

	snprintf(h1, sizeof(h1), "X-GitHub-Event: %s", event);
	snprintf(h2, sizeof(h2), "X-GitHub-Delivery: %s", delivery);
	if (secret) {
		assert_int_equal(
		        mg_webhook_sign(sig, secret, body, strlen(body), NULL),
		        0);
		snprintf(h3, sizeof(h3), "X-Hub-Signature-256: %s", sig);
		headers[2] = h3;
	}
	snprintf(url, sizeof(url), "%s/webhooks/github", F->srv.url);
	req.method = "POST";
	req.url = url;
	req.body = body;
	req.len = strlen(body);
	req.headers = headers;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	status = resp.status;
	if (answer)
		mg_buf_put(answer, resp.body.ptr, resp.body.len);
	mgt_resp_release(&resp);
	return status;
}

static void test_webhooks(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT), ans = MG_BUF_INIT(1 << 16);
	char head[41], basesha[41], pushed[41], url[256];
	const char *ping = "{\"zen\":\"Keep it simple.\",\"hook_id\":1,"
	                   "\"repository\":{\"full_name\":\"" PROJECT "\"}}";
	mgt_req req = {0};
	mgt_resp resp;

	(void)state;
	mgt_sha(head, 301);
	mgt_sha(basesha, 300);
	mgt_sha(pushed, 302);
	/* signatures: missing, wrong secret, tampered body */
	assert_int_equal(webhook("ping", "d-1", ping, NULL, NULL), 401);
	assert_int_equal(webhook("ping", "d-2", ping, "wrong", NULL), 401);
	assert_int_equal(webhook("ping", "d-3", ping, SECRET, &ans), 200);
	assert_non_null(strstr(ans.ptr, "pong"));

	mg_buf_printf(&doc,
	              "{\"action\":\"opened\",\"number\":9,"
	              "\"pull_request\":{\"draft\":false,\"merged\":false,"
	              "\"head\":{\"sha\":\"%s\",\"ref\":\"feature\","
	              "\"repo\":{\"full_name\":\"" PROJECT "\"}},"
	              "\"base\":{\"sha\":\"%s\",\"ref\":\"main\"}},"
	              "\"repository\":{\"full_name\":\"" PROJECT "\","
	              "\"default_branch\":\"main\"}}",
	              head, basesha);
	mg_buf_reset(&ans);
	assert_int_equal(webhook("pull_request", "d-pr", doc.ptr, SECRET, &ans),
	                 200);
	assert_non_null(strstr(ans.ptr, "pending status queued"));
	mg_buf_reset(&ans);
	assert_int_equal(webhook("pull_request", "d-pr", doc.ptr, SECRET, &ans),
	                 200);
	assert_non_null(strstr(ans.ptr, "duplicate"));
	assert_int_equal(wait_objects(FAKEGH_STATUS, head, 1), 1);
	sleep(1);
	/* processed once: one pending status */
	assert_int_equal(fakegh_objects(F->gh, FAKEGH_STATUS, PROJECT, head),
	                 1);
	assert_string_equal(fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT,
	                                      head, 0, "state"),
	                    "pending");

	/* a push to main records the commit on the branch */
	mg_buf_reset(&doc);
	mg_buf_printf(&doc,
	              "{\"ref\":\"refs/heads/main\",\"before\":\"%s\","
	              "\"after\":\"%s\",\"created\":false,\"deleted\":false,"
	              "\"forced\":false,\"commits\":[{\"id\":\"%s\"}],"
	              "\"repository\":{\"full_name\":\"" PROJECT "\","
	              "\"default_branch\":\"main\"}}",
	              basesha, pushed, pushed);
	mg_buf_reset(&ans);
	assert_int_equal(webhook("push", "d-push", doc.ptr, SECRET, &ans), 200);
	snprintf(url, sizeof(url),
	         "%s/api/v1/projects/acme%%2Fwidgets/commits?branch=main",
	         F->srv.url);
	req.url = url;
	req.token = F->token;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body.ptr, pushed));
	assert_non_null(strstr(resp.body.ptr, basesha)); /* its parent */
	mgt_resp_release(&resp);
	mg_buf_release(&doc);
	mg_buf_release(&ans);
}

static void test_comment_size_limit(void **state)
{
	char base[41], head[41], key[] = "10";
	const char *body;

	(void)state;
	mgt_sha(base, 400);
	mgt_sha(head, 401);
	upload(base, NULL, 500, 1, 0, NULL);
	upload(head, base, 500, 2, 10, base);
	assert_int_equal(wait_objects(FAKEGH_COMMENT, key, 1), 1);
	body = fakegh_object_str(F->gh, FAKEGH_COMMENT, PROJECT, key, 0,
	                         "body");
	assert_non_null(body);
	assert_true(strlen(body) <= 65536);
	/* 500 regressions at ~100 bytes a row cannot all fit: trimmed */
	assert_true(strlen(body) > 30000);
	assert_non_null(strstr(fakegh_object_str(F->gh, FAKEGH_STATUS, PROJECT,
	                                         head, 0, "description"),
	                       "500 regressions"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_curl_loaded_on_first_delivery),
	        cmocka_unit_test(test_curl_unloadable),
	        cmocka_unit_test(test_pr_status_and_comment),
	        cmocka_unit_test(test_restart_between_verdict_and_delivery),
	        cmocka_unit_test(test_push_status),
	        cmocka_unit_test(test_comment_modes),
	        cmocka_unit_test(test_rate_limit_waits),
	        cmocka_unit_test(test_app_check_run),
	        cmocka_unit_test(test_webhooks),
	        cmocka_unit_test(test_comment_size_limit),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
