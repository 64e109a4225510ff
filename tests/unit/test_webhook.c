/*
 * test_webhook.c - X-Hub-Signature-256 verification with the contract's
 * test vectors (GitHub's docs vector, the pack's inline example with and
 * without a trailing newline, and the four example deliveries with the
 * headers of webhook-examples/signatures.json, read at test time), the
 * refusals (missing, malformed, wrong, empty secret, one byte changed),
 * and the parser on the example payloads and on mutations of them.
 *
 * Expected field values are those of the example files, as described in
 * webhook-examples/README.md (PR #1347, head 6dcb09b5..., base main at
 * e5bd3914..., push of one commit 9049f126... to refs/heads/main).
 */
#include <ctype.h>

#include <cjson/cJSON.h>

#include "mgtest.h"
#include "webhook.h"

#define EXAMPLES MG_SOURCE_DIR "/../shared/contracts/github/webhook-examples"

static const char HEAD_OPENED[] = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
static const char HEAD_SYNC[] = "9049f1265b7d61be4a8904a9a27120d2064dab3b";
static const char BASE[] = "e5bd3914e2e596debea16f433f57875b5b90bcd6";

static char *example(const char *name, size_t *len)
{
	char path[512];
	char *data;

	snprintf(path, sizeof(path), "%s/%s", EXAMPLES, name);
	data = mgt_read_file(path, len);
	if (data == NULL)
		fail_msg("cannot read %s (shared/ must sit beside the "
		         "repository)",
		         path);
	return data;
}

static void test_docs_vector(void **state)
{
	static const char body[] = "Hello, World!";
	static const char want[] = "sha256=757107ea0eb2509fc211221cce984b8a"
	                           "37570b6d7586c22c46f4379c8b043e17";
	char sig[MG_WEBHOOK_SIG_LEN + 1];
	mg_err err = MG_ERR_INIT;

	(void)state;
	assert_int_equal(mg_webhook_sign(sig, "It's a Secret to Everybody",
	                                 body, strlen(body), &err),
	                 0);
	assert_string_equal(sig, want);
	assert_int_equal(mg_webhook_verify("It's a Secret to Everybody", body,
	                                   strlen(body), want, &err),
	                 0);
}

static void test_inline_example_raw_bytes(void **state)
{
	static const char body[] =
	        "{\"zen\":\"Keep it logically awesome.\",\"hook_id\":1}";
	static const char sig[] = "sha256=1caea443dbbdb0e920a2a3202e3e499e"
	                          "d97623b647315cc428afb933d9e16818";
	static const char sig_lf[] = "sha256=d2bddb5ef639270adea0308245522693"
	                             "c2e6ae7184714b1ba73c1455e0be1ad6";
	char with_lf[sizeof(body) + 1];
	mg_err err = MG_ERR_INIT;

	(void)state;
	snprintf(with_lf, sizeof(with_lf), "%s\n", body);
	assert_int_equal(mg_webhook_verify("memgate-webhook-test-secret", body,
	                                   strlen(body), sig, &err),
	                 0);
	assert_int_equal(mg_webhook_verify("memgate-webhook-test-secret",
	                                   with_lf, strlen(with_lf), sig_lf,
	                                   &err),
	                 0);
	/* One extra newline changes everything: the raw bytes count. */
	assert_int_equal(mg_webhook_verify("memgate-webhook-test-secret",
	                                   with_lf, strlen(with_lf), sig, &err),
	                 MG_EAUTH);
	assert_non_null(strstr(err.msg, "does not match"));
}

/* Every example delivery verifies with its recorded header. */
static void test_example_signatures(void **state)
{
	size_t len, n = 0, blen;
	char *sigs = example("signatures.json", &len), *body;
	cJSON *root = cJSON_ParseWithLength(sigs, len);
	const cJSON *secret = cJSON_GetObjectItem(root, "secret");
	const cJSON *d;
	mg_err err = MG_ERR_INIT;

	(void)state;
	assert_true(cJSON_IsString(secret));
	cJSON_ArrayForEach(d, cJSON_GetObjectItem(root, "deliveries"))
	{
		const cJSON *h = cJSON_GetObjectItem(d, "headers");
		const char *sig = cJSON_GetObjectItem(h, "X-Hub-Signature-256")
		                          ->valuestring;

		body = example(d->string, &blen);
		assert_int_equal(
		        (double)blen,
		        cJSON_GetObjectItem(d, "body_bytes")->valuedouble);
		assert_int_equal(mg_webhook_verify(secret->valuestring, body,
		                                   blen, sig, &err),
		                 0);
		/* The same body under another secret, or changed: refused. */
		assert_int_equal(mg_webhook_verify("not-the-secret", body, blen,
		                                   sig, &err),
		                 MG_EAUTH);
		body[blen / 2] ^= 1;
		assert_int_equal(mg_webhook_verify(secret->valuestring, body,
		                                   blen, sig, &err),
		                 MG_EAUTH);
		free(body);
		n++;
	}
	assert_int_equal(n, 4);
	cJSON_Delete(root);
	free(sigs);
}

static void test_refusals(void **state)
{
	static const char body[] = "Hello, World!";
	char sig[MG_WEBHOOK_SIG_LEN + 1], bad[MG_WEBHOOK_SIG_LEN + 8];
	mg_err err = MG_ERR_INIT;
	size_t i;

	(void)state;
	assert_int_equal(
	        mg_webhook_sign(sig, "s3cret", body, strlen(body), &err), 0);
	assert_int_equal(
	        mg_webhook_verify("s3cret", body, strlen(body), NULL, &err),
	        MG_EAUTH);
	assert_non_null(strstr(err.msg, "no X-Hub-Signature-256"));
	/* An unsigned delivery is refused even without a secret. */
	assert_int_equal(mg_webhook_verify("", body, strlen(body), sig, &err),
	                 MG_EAUTH);
	assert_int_equal(mg_webhook_verify(NULL, body, strlen(body), sig, &err),
	                 MG_EAUTH);
	/* The legacy sha1= header, a short digest, junk, a trailing blank. */
	snprintf(bad, sizeof(bad), "sha1=%s", sig + 7);
	assert_int_equal(
	        mg_webhook_verify("s3cret", body, strlen(body), bad, &err),
	        MG_EAUTH);
	assert_non_null(strstr(err.msg, "expected 'sha256='"));
	snprintf(bad, sizeof(bad), "%.*s", MG_WEBHOOK_SIG_LEN - 1, sig);
	assert_int_equal(
	        mg_webhook_verify("s3cret", body, strlen(body), bad, &err),
	        MG_EAUTH);
	snprintf(bad, sizeof(bad), "%s ", sig);
	assert_int_equal(
	        mg_webhook_verify("s3cret", body, strlen(body), bad, &err),
	        MG_EAUTH);
	snprintf(bad, sizeof(bad), "%s", sig);
	bad[10] = 'g';
	assert_int_equal(
	        mg_webhook_verify("s3cret", body, strlen(body), bad, &err),
	        MG_EAUTH);
	/* Hex digits in upper case decode to the same bytes. */
	snprintf(bad, sizeof(bad), "%s", sig);
	for (i = 7; bad[i]; i++)
		bad[i] = (char)toupper((unsigned char)bad[i]);
	assert_int_equal(
	        mg_webhook_verify("s3cret", body, strlen(body), bad, &err), 0);
	/* Every single-digit change of the digest is refused. */
	for (i = 7; i < MG_WEBHOOK_SIG_LEN; i++) {
		snprintf(bad, sizeof(bad), "%s", sig);
		bad[i] = bad[i] == '0' ? '1' : '0';
		assert_int_equal(mg_webhook_verify("s3cret", body, strlen(body),
		                                   bad, &err),
		                 MG_EAUTH);
	}
}

static void test_parse_opened(void **state)
{
	mg_webhook_event ev;
	mg_err err = MG_ERR_INIT;
	size_t len;
	char *body = example("pull_request.opened.json", &len);

	(void)state;
	mg_webhook_event_init(&ev);
	assert_int_equal(mg_webhook_parse(&ev, "pull_request", body, len, &err),
	                 0);
	assert_int_equal(ev.kind, MG_WEBHOOK_PULL_REQUEST);
	assert_int_equal(ev.action, MG_WEBHOOK_PR_OPENED);
	assert_int_equal(ev.number, 1347);
	assert_string_equal(ev.head_sha, HEAD_OPENED);
	assert_string_equal(ev.head_ref, "new-topic");
	assert_string_equal(ev.head_repository, "octocat/Hello-World");
	assert_string_equal(ev.base_sha, BASE);
	assert_string_equal(ev.base_ref, "main");
	assert_string_equal(ev.repository, "octocat/Hello-World");
	assert_int_equal(ev.installation_id, 12345678);
	assert_false(ev.merged);
	assert_false(ev.draft);
	mg_webhook_event_release(&ev);
	free(body);
}

static void test_parse_synchronize_push_ping(void **state)
{
	mg_webhook_event ev;
	mg_err err = MG_ERR_INIT;
	size_t len;
	char *body = example("pull_request.synchronize.json", &len);

	(void)state;
	mg_webhook_event_init(&ev);
	assert_int_equal(mg_webhook_parse(&ev, "pull_request", body, len, &err),
	                 0);
	assert_int_equal(ev.action, MG_WEBHOOK_PR_SYNCHRONIZE);
	assert_string_equal(ev.before, HEAD_OPENED);
	assert_string_equal(ev.after, HEAD_SYNC);
	assert_string_equal(ev.head_sha, HEAD_SYNC);
	free(body);

	body = example("push.json", &len);
	assert_int_equal(mg_webhook_parse(&ev, "push", body, len, &err), 0);
	assert_int_equal(ev.kind, MG_WEBHOOK_PUSH);
	assert_string_equal(ev.ref, "refs/heads/main");
	assert_string_equal(ev.before, BASE);
	assert_string_equal(ev.after, HEAD_SYNC);
	assert_int_equal(ev.ncommits, 1);
	assert_string_equal(ev.commits[0], HEAD_SYNC);
	assert_string_equal(ev.default_branch, "main");
	assert_string_equal(ev.repository, "octocat/Hello-World");
	assert_string_equal(mg_webhook_push_branch(&ev), "main");
	assert_true(mg_webhook_push_is_default_branch(&ev));
	assert_false(ev.created || ev.deleted || ev.forced);
	assert_int_equal(ev.installation_id, 12345678);
	free(body);

	body = example("ping.json", &len);
	assert_int_equal(mg_webhook_parse(&ev, "ping", body, len, &err), 0);
	assert_int_equal(ev.kind, MG_WEBHOOK_PING);
	assert_int_equal(ev.hook_id, 109948940);
	assert_string_equal(ev.repository, "octocat/Hello-World");
	/* A repository hook: no installation. */
	assert_int_equal(ev.installation_id, 0);
	mg_webhook_event_release(&ev);
	free(body);
}

/* Parse a mutated copy of an example; returns the error code. */
static int parse_mutated(const char *file, const char *event,
                         void (*mutate)(cJSON *), mg_webhook_event *ev,
                         mg_err *err)
{
	size_t len;
	char *body = example(file, &len), *text;
	cJSON *root = cJSON_ParseWithLength(body, len);
	int rc;

	mutate(root);
	text = cJSON_PrintUnformatted(root);
	rc = mg_webhook_parse(ev, event, text, strlen(text), err);
	free(text);
	cJSON_Delete(root);
	free(body);
	return rc;
}

static void drop_head_sha(cJSON *root)
{
	cJSON_DeleteItemFromObject(
	        cJSON_GetObjectItem(cJSON_GetObjectItem(root, "pull_request"),
	                            "head"),
	        "sha");
}

static void short_base_sha(cJSON *root)
{
	cJSON *base = cJSON_GetObjectItem(
	        cJSON_GetObjectItem(root, "pull_request"), "base");

	cJSON_ReplaceItemInObject(base, "sha", cJSON_CreateString("e5bd39"));
}

static void action_labeled(cJSON *root)
{
	cJSON_ReplaceItemInObject(root, "action",
	                          cJSON_CreateString("labeled"));
}

static void closed_merged(cJSON *root)
{
	cJSON_ReplaceItemInObject(root, "action", cJSON_CreateString("closed"));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(root, "pull_request"),
	                          "merged", cJSON_CreateTrue());
}

static void number_string(cJSON *root)
{
	cJSON_ReplaceItemInObject(root, "number", cJSON_CreateString("1347"));
}

static void drop_after(cJSON *root)
{
	cJSON_DeleteItemFromObject(root, "after");
}

static void tag_push(cJSON *root)
{
	cJSON_ReplaceItemInObject(root, "ref",
	                          cJSON_CreateString("refs/tags/v1.0"));
}

static void many_commits(cJSON *root)
{
	cJSON *commits = cJSON_GetObjectItem(root, "commits");
	const cJSON *one = cJSON_GetArrayItem(commits, 0);
	int i;

	for (i = 0; i < MG_WEBHOOK_MAX_COMMITS; i++)
		cJSON_AddItemToArray(commits, cJSON_Duplicate(one, 1));
}

static void bad_commit_id(cJSON *root)
{
	cJSON_ReplaceItemInObject(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(root, "commits"), 0),
	        "id", cJSON_CreateString("not-a-sha"));
}

static void test_parse_errors(void **state)
{
	mg_webhook_event ev;
	mg_err err = MG_ERR_INIT;

	(void)state;
	mg_webhook_event_init(&ev);
	assert_int_equal(parse_mutated("pull_request.opened.json",
	                               "pull_request", drop_head_sha, &ev,
	                               &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg, "webhook pull_request: field "
	                             "'pull_request.head.sha': expected 40 or "
	                             "64 hex digits");
	assert_null(ev.repository); /* left empty on error */
	assert_int_equal(parse_mutated("pull_request.opened.json",
	                               "pull_request", short_base_sha, &ev,
	                               &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "'pull_request.base.sha'"));
	assert_int_equal(parse_mutated("pull_request.opened.json",
	                               "pull_request", number_string, &ev,
	                               &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg, "webhook pull_request: field 'number': "
	                             "expected a positive integer");
	assert_int_equal(parse_mutated("pull_request.synchronize.json",
	                               "pull_request", drop_after, &ev, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "field 'after'"));
	assert_int_equal(
	        parse_mutated("push.json", "push", many_commits, &ev, &err),
	        MG_ELIMIT);
	assert_non_null(strstr(err.msg, "2049 commits"));
	assert_int_equal(
	        parse_mutated("push.json", "push", bad_commit_id, &ev, &err),
	        MG_EINPUT);
	assert_non_null(strstr(err.msg, "'commits[0].id'"));

	assert_int_equal(mg_webhook_parse(&ev, "push", "{\"ref\":", 7, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "webhook push: invalid JSON"));
	assert_int_equal(mg_webhook_parse(&ev, "ping", "[1,2]", 5, &err),
	                 MG_EINPUT);
	assert_string_equal(err.msg, "webhook ping: body is not a JSON object");
	assert_int_equal(
	        mg_webhook_parse(&ev, "ping", "{\"hook_id\":1} x", 15, &err),
	        MG_EINPUT);
	assert_non_null(strstr(err.msg, "data after the JSON value"));
	mg_webhook_event_release(&ev);
}

static void test_parse_ignored_and_variants(void **state)
{
	mg_webhook_event ev;
	mg_err err = MG_ERR_INIT;

	(void)state;
	mg_webhook_event_init(&ev);
	assert_int_equal(parse_mutated("pull_request.opened.json",
	                               "pull_request", action_labeled, &ev,
	                               &err),
	                 0);
	assert_int_equal(ev.kind, MG_WEBHOOK_IGNORED);
	assert_string_equal(ev.ignored, "pull_request action 'labeled'");
	assert_int_equal(mg_webhook_parse(&ev, "issues", "{}", 2, &err), 0);
	assert_int_equal(ev.kind, MG_WEBHOOK_IGNORED);
	assert_string_equal(ev.ignored, "event 'issues'");
	assert_int_equal(parse_mutated("pull_request.opened.json",
	                               "pull_request", closed_merged, &ev,
	                               &err),
	                 0);
	assert_int_equal(ev.action, MG_WEBHOOK_PR_CLOSED);
	assert_true(ev.merged);
	assert_string_equal(mg_webhook_pr_action_name(ev.action), "closed");
	assert_int_equal(
	        parse_mutated("push.json", "push", tag_push, &ev, &err), 0);
	assert_null(mg_webhook_push_branch(&ev));
	assert_false(mg_webhook_push_is_default_branch(&ev));
	mg_webhook_event_release(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_docs_vector),
	        cmocka_unit_test(test_inline_example_raw_bytes),
	        cmocka_unit_test(test_example_signatures),
	        cmocka_unit_test(test_refusals),
	        cmocka_unit_test(test_parse_opened),
	        cmocka_unit_test(test_parse_synchronize_push_ping),
	        cmocka_unit_test(test_parse_errors),
	        cmocka_unit_test(test_parse_ignored_and_variants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
