/*
 * webhooks.c - POST /webhooks/github.
 *
 * The route is public (GitHub sends no token) and answers 404 until
 * github.webhook_secret is set. Every delivery must carry a valid
 * X-Hub-Signature-256 (HMAC-SHA256 of the raw body, compared in constant
 * time by lib/webhook.c): otherwise 401, and nothing is parsed or
 * stored. Then:
 *
 *   ping           200, nothing stored;
 *   pull_request   opened, synchronize, reopened: the pull request (head,
 *                  base sha and ref) is recorded, and a pending status is
 *                  queued on the head unless the head already has runs
 *                  (its verdict is on its way and must not be replaced);
 *   push           to the default branch: the pushed commits are recorded
 *                  on that branch (baseline candidates). A single-commit,
 *                  non-forced push also records `before` as the commit's
 *                  first parent; for longer pushes the payload does not
 *                  say which commit is whose parent (merged branches are
 *                  listed too), so the parents come with the runs;
 *   anything else  200 with "ignored".
 *
 * X-GitHub-Delivery ids are recorded in the transaction that stores the
 * event, so a redelivery is answered 200 "duplicate" without effect,
 * while a delivery whose processing failed (and was rolled back) is
 * processed when GitHub sends it again. Only the single writer's short
 * transaction is waited for: the answer comes well within GitHub's 10 s.
 */
#include <string.h>
#include <time.h>

#include "jsonw.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "store_notify.h"
#include "webhook.h"

/* X-GitHub-Delivery is a GUID (36 characters); room for other forms. */
#define MG_WEBHOOK_MAX_DELIVERY_ID 128
/* X-GitHub-Event names are short words ("pull_request"). */
#define MG_WEBHOOK_MAX_EVENT 64

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int answer(mg_req *r, int status, const char *event, const char *result,
                  const char *why)
{
	mg_jw w;

	mg_jw_init(&w, 4096);
	mg_jw_obj(&w, NULL);
	mg_jw_str(&w, "event", event);
	mg_jw_str(&w, "result", result);
	if (why)
		mg_jw_str(&w, "reason", why);
	mg_jw_obj_end(&w);
	if (w.error) {
		mg_jw_release(&w);
		return mg_http_error(r, 503, "out_of_memory", NULL,
		                     "out of memory");
	}
	return mg_http_json(r, status, &w.buf);
}

static bool zero_sha(const char *s)
{
	return s[0] == '\0' || strspn(s, "0") == strlen(s);
}

/* Whether commit sha of project has runs already (its verdict exists). */
static int has_runs(mg_store *w, const char *project, const char *sha,
                    bool *out, mg_err *err)
{
	mg_commit_run *runs = NULL;
	size_t n = 0;
	int error;

	error = mg_store_commit_runs(w, project, sha, &runs, &n, err);
	*out = n > 0;
	mg_commit_run_free(runs, n);
	return error;
}

static int pull_request(mg_req *r, mg_store *w, const mg_webhook_event *ev,
                        bool *queued, mg_err *err)
{
	const mg_srv_config *cfg = r->srv->cfg;
	mg_buf url = MG_BUF_INIT(MG_GITHUB_MAX_URL);
	enum mg_forge_kind forge;
	mg_outbox_msg msg;
	bool ran = false;
	int error;

	*queued = false;
	error = mg_store_pr_put(w, ev->repository, ev->number, ev->head_sha,
	                        ev->base_sha, ev->base_ref, now_ms(), err);
	if (error < 0 || strlen(ev->head_sha) != MG_SHA_HEX ||
	    !mg_notify_forge_for(cfg, ev->repository, &forge) ||
	    forge != MG_FORGE_GITHUB)
		return error;
	error = has_runs(w, ev->repository, ev->head_sha, &ran, err);
	if (error < 0 || ran)
		return error;
	if (mg_buf_printf(&url, "%s/p/", r->srv->base_url) < 0 ||
	    mg_http_escape_segment(&url, ev->repository) < 0 ||
	    mg_buf_printf(&url, "/compare?head=%s", ev->head_sha) < 0) {
		mg_buf_release(&url);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	memset(&msg, 0, sizeof(msg));
	msg.forge = MG_FORGE_GITHUB;
	msg.kind = MG_OUTBOX_STATUS;
	msg.repo = ev->repository;
	msg.installation_id = ev->installation_id;
	msg.sha = ev->head_sha;
	msg.state = MG_FORGE_PENDING;
	msg.context = cfg->status_context;
	msg.description = "waiting for benchmark results";
	msg.target_url = url.ptr;
	error = mg_outbox_enqueue(w, &msg, 0, now_ms(), NULL, err);
	*queued = error == 0;
	mg_buf_release(&url);
	return error;
}

static int push(mg_store *w, const mg_webhook_event *ev, size_t *recorded,
                mg_err *err)
{
	const char *branch = mg_webhook_push_branch(ev);
	int64_t t = (int64_t)time(NULL);
	bool linear = ev->ncommits == 1 && !ev->created && !ev->forced &&
	              !zero_sha(ev->before) && strlen(ev->before) == MG_SHA_HEX;
	size_t i;
	int error = 0;

	*recorded = 0;
	for (i = 0; error == 0 && i < ev->ncommits; i++) {
		if (strlen(ev->commits[i]) != MG_SHA_HEX)
			continue; /* SHA-256 repositories: not stored yet */
		error = mg_store_commit_seen(w, ev->repository, ev->commits[i],
		                             linear ? ev->before : NULL, branch,
		                             t, err);
		*recorded += error == 0;
	}
	if (error == 0 && ev->ncommits == 0 && !zero_sha(ev->after) &&
	    strlen(ev->after) == MG_SHA_HEX) {
		error = mg_store_commit_seen(w, ev->repository, ev->after, NULL,
		                             branch, t, err);
		*recorded += error == 0;
	}
	return error;
}

/* Store the event under the writer; *result says what happened. */
static int process(mg_req *r, const char *delivery, const char *event,
                   const mg_webhook_event *ev, const char **result, mg_err *err)
{
	mg_store *w = NULL;
	bool fresh = true, queued = false;
	size_t recorded = 0;
	int error;

	error = mg_srv_db_writer(&r->srv->db, &w, err);
	if (error < 0)
		return error;
	error = mg_store_begin(w, err);
	if (error < 0)
		goto put;
	if (delivery)
		error = mg_store_webhook_claim(w, delivery, event, now_ms(),
		                               &fresh, err);
	if (error == 0 && !fresh) {
		*result = "duplicate";
	} else if (error == 0 && ev->kind == MG_WEBHOOK_PULL_REQUEST) {
		error = pull_request(r, w, ev, &queued, err);
		*result =
		        queued ? "recorded, pending status queued" : "recorded";
	} else if (error == 0) {
		error = push(w, ev, &recorded, err);
		*result = "recorded";
	}
	if (error == MG_ENOTFOUND) {
		/* keep the delivery id: resending cannot create the project */
		mg_store_rollback(w);
		error = mg_store_begin(w, err);
		if (error == 0 && delivery)
			error = mg_store_webhook_claim(w, delivery, event,
			                               now_ms(), &fresh, err);
		*result = "ignored";
	}
	if (error == 0)
		error = mg_store_commit(w, err);
	else
		mg_store_rollback(w);
put:
	mg_srv_db_writer_put(&r->srv->db);
	if (queued && error == 0)
		mg_notify_kick();
	return error;
}

int mg_api_webhook_github(mg_req *r)
{
	const char *secret = r->srv->cfg->github_webhook_secret;
	const char *event, *delivery, *result = "ignored";
	mg_webhook_event ev;
	mg_err err = MG_ERR_INIT;
	int error, rc;

	if (secret == NULL || secret[0] == '\0')
		return mg_http_error(r, 404, "not_found", NULL,
		                     "webhooks are not configured "
		                     "(github.webhook_secret)");
	error = mg_webhook_verify(secret, r->body.ptr, r->body.len,
	                          mg_req_header(r, "X-Hub-Signature-256"),
	                          &err);
	if (error < 0) {
		mg_log(MG_LOG_WARN, "webhook", "%s: refused: %s", r->id,
		       err.msg);
		if (error == MG_EINPUT)
			return mg_http_fail(r, error, &err);
		return mg_http_error(r, 401, "unauthorized",
		                     "X-Hub-Signature-256",
		                     "missing or wrong signature");
	}
	event = mg_req_header(r, "X-GitHub-Event");
	delivery = mg_req_header(r, "X-GitHub-Delivery");
	if (event == NULL || event[0] == '\0' ||
	    strlen(event) > MG_WEBHOOK_MAX_EVENT)
		return mg_http_error(r, 400, "invalid_input", "X-GitHub-Event",
		                     "header 'X-GitHub-Event': required, at "
		                     "most %d characters",
		                     MG_WEBHOOK_MAX_EVENT);
	if (delivery && (delivery[0] == '\0' ||
	                 strlen(delivery) > MG_WEBHOOK_MAX_DELIVERY_ID))
		return mg_http_error(r, 400, "invalid_input",
		                     "X-GitHub-Delivery",
		                     "header 'X-GitHub-Delivery': 1 to %d "
		                     "characters",
		                     MG_WEBHOOK_MAX_DELIVERY_ID);
	mg_webhook_event_init(&ev);
	error = mg_webhook_parse(&ev, event, r->body.ptr, r->body.len, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	if (ev.kind == MG_WEBHOOK_PING) {
		rc = answer(r, 200, event, "pong", NULL);
		goto cleanup;
	}
	if (ev.kind == MG_WEBHOOK_IGNORED ||
	    (ev.kind == MG_WEBHOOK_PULL_REQUEST &&
	     ev.action == MG_WEBHOOK_PR_CLOSED) ||
	    (ev.kind == MG_WEBHOOK_PUSH &&
	     (ev.deleted || !mg_webhook_push_is_default_branch(&ev))) ||
	    ev.repository == NULL) {
		rc = answer(r, 200, event, "ignored",
		            ev.kind == MG_WEBHOOK_IGNORED ? ev.ignored
		            : ev.kind == MG_WEBHOOK_PUSH
		                    ? "not a push to the default branch"
		                    : "no action needed");
		goto cleanup;
	}
	error = process(r, delivery, event, &ev, &result, &err);
	if (error == MG_ELIMIT) {
		mg_http_header(r, "Retry-After", "1");
		rc = mg_http_error(r, 503, "busy", NULL, "%s", err.msg);
		goto cleanup;
	}
	if (error < 0) {
		rc = mg_http_fail(r, error, &err);
		goto cleanup;
	}
	mg_log(MG_LOG_INFO, "webhook", "%s: %s %s for '%s': %s", r->id, event,
	       delivery ? delivery : "(no id)", ev.repository, result);
	rc = answer(r, 200, event, result, NULL);
cleanup:
	mg_webhook_event_release(&ev);
	return rc;
}
