/*
 * api_runs.c - POST /api/v1/runs: ingest one run document (runjson.h).
 *
 * The body is read and parsed outside any lock; only the store call runs
 * under the single writer, in a batch with the uploads that arrived
 * meanwhile (group commit, mg_srv_db_ingest). A token for the run's
 * project is required (checked before the body is read, and against the
 * project named in the body after). The Idempotency-Key header (or the
 * document's idempotency_key; they must agree when both are given) makes
 * a retry return the first upload's id with 200 instead of storing it
 * again.
 *
 * Answers: 201 {"id", "project", "sha", "url", "compare_url",
 * "replayed": false} with a Location header; 200 with the same for a
 * replay ("replayed": true, Idempotent-Replayed: true); 400 naming the
 * field; 401/403; 413; 415; 503 with Retry-After when the writer is
 * saturated or the database stays locked.
 */
#include "api.h"
#include "auth.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "notify.h" /* issue 7 */
#include "runjson.h"
#include "server.h"

/* Printable ASCII without spaces, 1..MG_API_MAX_IDEMPOTENCY_KEY bytes. */
static int check_key(const char *key, mg_err *err)
{
	size_t i, n = strlen(key);

	if (n == 0 || n > MG_API_MAX_IDEMPOTENCY_KEY)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'Idempotency-Key': expected 1 to %d "
		                  "characters",
		                  MG_API_MAX_IDEMPOTENCY_KEY);
	for (i = 0; i < n; i++)
		if (key[i] <= 0x20 || key[i] >= 0x7f)
			return mg_err_set(err, MG_EINPUT,
			                  "field 'Idempotency-Key': only "
			                  "printable ASCII without spaces");
	return 0;
}

static int answer(mg_req *r, const mg_run *run, int64_t id, bool replayed)
{
	mg_buf url = MG_BUF_INIT(1 << 16), compare = MG_BUF_INIT(1 << 16);
	const char *base = run->base_sha          ? run->base_sha
	                   : run->commit.nparents ? run->commit.parents[0]
	                                          : NULL;
	mg_jw w;
	int error;

	error = mg_api_project_url(&url, r, run->project);
	if (error == 0)
		error = mg_buf_put(&compare, url.ptr, url.len);
	if (error == 0)
		error = mg_buf_printf(&url, "/runs/%lld", (long long)id);
	if (error == 0 && base)
		error = mg_buf_printf(&compare, "/compare?base=%s&head=%s",
		                      base, run->commit.sha);
	else if (error == 0)
		error = mg_buf_printf(&compare, "/compare?head=%s",
		                      run->commit.sha);
	mg_jw_init(&w, 1 << 18);
	mg_jw_obj(&w, NULL);
	mg_jw_int(&w, "id", id);
	mg_jw_str(&w, "project", run->project);
	mg_jw_str(&w, "sha", run->commit.sha);
	mg_jw_str(&w, "url", url.ptr);
	mg_jw_str(&w, "compare_url", compare.ptr);
	mg_jw_bool(&w, "replayed", replayed);
	mg_jw_obj_end(&w);
	if (error == 0 && w.error == 0)
		error = mg_http_header(r, "Location", url.ptr);
	if (error == 0 && replayed)
		error = mg_http_header(r, "Idempotent-Replayed", "true");
	mg_buf_release(&url);
	mg_buf_release(&compare);
	if (error < 0 || w.error) {
		mg_jw_release(&w);
		return mg_http_error(r, 503, "out_of_memory", NULL,
		                     "out of memory");
	}
	return mg_http_json(r, replayed ? 200 : 201, &w.buf);
}

/* A verdict for the pull request or the default branch, if one is due. */
static void after_ingest(mg_req *r, const mg_run *run, int64_t id)
{
	mg_err err = MG_ERR_INIT;
	enum mg_forge_kind forge;
	mg_store *w = NULL;

	/* the common case, decided without waiting for the writer */
	if (!mg_notify_forge_for(r->srv->cfg, run->project, &forge))
		return;
	if (mg_srv_db_writer(&r->srv->db, &w, &err) < 0 ||
	    mg_verdict_after_ingest(r->srv, w, run, id, &err) < 0)
		mg_log(MG_LOG_WARN, "verdict", "%s: run %lld: %s", r->id,
		       (long long)id, err.msg);
	if (w)
		mg_srv_db_writer_put(&r->srv->db);
}

static int store(mg_req *r, mg_run *run, const mg_store_sets *sets,
                 double t_parsed)
{
	mg_err err = MG_ERR_INIT;
	mg_srv_ingest job;
	double t_stored;
	int error;

	memset(&job, 0, sizeof(job));
	job.item.run = run;
	job.item.sets = sets;
	job.item.validated = true; /* by mg_runjson_read */
	job.item.token_id = r->token.id;
	job.item.now_ms = (int64_t)time(NULL) * 1000;
	error = mg_srv_db_ingest(&r->srv->db, &job, &err);
	if (error == MG_ELIMIT) {
		mg_metrics_busy();
		mg_http_header(r, "Retry-After", "1");
		return mg_http_error(r, 503, "busy", NULL, "%s; retry later",
		                     err.msg);
	}
	if (error < 0)
		return mg_http_fail(r, error, &err);
	t_stored = mg_req_elapsed(r);
	mg_log(MG_LOG_DEBUG, "ingest",
	       "%s: body+parse %.1f ms, queue+store %.1f ms", r->id,
	       t_parsed * 1e3, (t_stored - t_parsed) * 1e3);
	error = job.item.error;
	if (error < 0) {
		if (job.item.busy) {
			mg_metrics_busy();
			mg_http_header(r, "Retry-After", "1");
			return mg_http_error(
			        r, 503, "busy", NULL,
			        "the database is busy; retry later");
		}
		if (error == MG_EDB)
			mg_log(MG_LOG_WARN, "ingest", "%s: %s", r->id,
			       job.item.err.msg);
		return mg_http_fail(r, error, &job.item.err);
	}
	/* issue 7: verdict + outbox of a PR / default-branch run */
	if (!job.item.existed)
		after_ingest(r, run, job.item.id);
	mg_metrics_ingest(mg_req_elapsed(r), job.item.existed);
	if (!job.item.existed)
		mg_log(MG_LOG_DEBUG, "ingest",
		       "%s: run %lld of '%s' at %.12s: %zu samples", r->id,
		       (long long)job.item.id, run->project, run->commit.sha,
		       run->nsamples);
	return answer(r, run, job.item.id, job.item.existed);
}

int mg_api_runs_post(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store_sets *sets = NULL;
	const char *key;
	double t_parsed;
	mg_run run;
	int error, rc;

	/* counted out by mg_srv_db_ingest in store(), or at not_stored */
	mg_srv_db_parsing(&r->srv->db, 1);
	mg_run_init(&run);
	error = mg_runjson_read(&run, r->body.ptr, r->body.len, &err);
	t_parsed = mg_req_elapsed(r);
	/* the document is no longer needed; give its memory back now */
	mg_buf_release(&r->body);
	if (error < 0) {
		rc = mg_http_fail(r, error, &err);
		goto not_stored;
	}
	key = mg_req_header(r, "Idempotency-Key");
	if (key) {
		error = check_key(key, &err);
		if (error == 0 && run.idempotency_key &&
		    strcmp(run.idempotency_key, key) != 0)
			error = mg_err_set(&err, MG_EINPUT,
			                   "field 'idempotency_key': differs "
			                   "from the Idempotency-Key header");
		if (error == 0 && mg_run_set_str(&run.idempotency_key, key) < 0)
			error = mg_err_set(&err, MG_ENOMEM, "out of memory");
		if (error < 0) {
			rc = mg_http_fail(r, error, &err);
			goto not_stored;
		}
	}
	rc = mg_auth_project(r, run.project);
	if (rc != MG_AUTH_OK) {
		rc = rc < 0 ? rc : 0;
		goto not_stored;
	}
	/*
	 * Outside the write lock, in parallel with other uploads: the
	 * samples cut into sets, the profiles' files written.
	 */
	error = mg_store_sets_build(&sets, &run, &err);
	if (error < 0) {
		rc = mg_http_fail(r, error, &err);
		goto not_stored;
	}
	error = mg_store_stage_profiles(r->srv->db.profiles, &run, &err);
	if (error < 0) {
		mg_log(MG_LOG_WARN, "ingest", "%s: %s", r->id, err.msg);
		rc = mg_http_fail(r, error, &err);
		goto not_stored;
	}
	rc = store(r, &run, sets, t_parsed);
	goto cleanup;
not_stored:
	mg_srv_db_parsing(&r->srv->db, -1);
cleanup:
	mg_store_sets_free(sets);
	mg_run_release(&run);
	return rc;
}
