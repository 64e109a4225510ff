/*
 * api_ab.c - POST /api/v1/ab-sessions: the pairing of two uploaded runs
 * by `memgate ab` (lib/abjson.h), with the noise floors of an A/A
 * session. The runs come first through POST /api/v1/runs; the session
 * names them by their idempotency keys. A session whose runs are not
 * stored yet is answered 409, and the collector keeps it in its spool
 * for a later push. Posting the same pairing again answers 200 with the
 * first session.
 */
#include "abjson.h"
#include "api.h"
#include "auth.h"
#include "jsonw.h"
#include "log.h"
#include "server.h"

static int answer(mg_req *r, const int64_t ids[3], bool existed)
{
	mg_jw w;

	mg_jw_init(&w, 4096);
	mg_jw_obj(&w, NULL);
	mg_jw_int(&w, "id", ids[2]);
	mg_jw_int(&w, "base_run", ids[0]);
	mg_jw_int(&w, "head_run", ids[1]);
	mg_jw_bool(&w, "replayed", existed);
	mg_jw_obj_end(&w);
	if (w.error) {
		mg_jw_release(&w);
		return mg_http_error(r, 503, "out_of_memory", NULL,
		                     "out of memory");
	}
	return mg_http_json(r, existed ? 200 : 201, &w.buf);
}

int mg_api_ab_post(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_abjson d;
	mg_store *w = NULL;
	int64_t ids[3] = {0, 0, 0};
	bool existed = false;
	int error, rc;

	mg_abjson_init(&d);
	error = mg_abjson_read(&d, r->body.ptr, r->body.len, &err);
	mg_buf_release(&r->body);
	if (error < 0) {
		rc = mg_http_fail(r, error, &err);
		goto cleanup;
	}
	rc = mg_auth_project(r, d.project);
	if (rc != MG_AUTH_OK) {
		rc = rc < 0 ? rc : 0;
		goto cleanup;
	}
	error = mg_srv_db_writer(&r->srv->db, &w, &err);
	if (error == MG_ELIMIT) {
		mg_http_header(r, "Retry-After", "1");
		rc = mg_http_error(r, 503, "busy", NULL, "%s; retry later",
		                   err.msg);
		goto cleanup;
	}
	if (error < 0) {
		rc = mg_http_fail(r, error, &err);
		goto cleanup;
	}
	error = mg_store_link_ab(w, d.project, d.base_key, d.head_key,
	                         &d.session, ids, &existed, &err);
	mg_srv_db_writer_put(&r->srv->db);
	if (error == MG_ENOTFOUND) {
		/* The runs may still be on their way (or in a spool). */
		rc = mg_http_error(r, 409, "runs_missing", NULL, "%s", err.msg);
		goto cleanup;
	}
	if (error < 0) {
		rc = mg_http_fail(r, error, &err);
		goto cleanup;
	}
	mg_log(MG_LOG_DEBUG, "ab",
	       "%s: session %lld of '%s': runs %lld, %lld, "
	       "%zu floors%s",
	       r->id, (long long)ids[2], d.project, (long long)ids[0],
	       (long long)ids[1], d.session.nfloors,
	       existed ? " (replayed)" : "");
	rc = answer(r, ids, existed);
cleanup:
	mg_abjson_release(&d);
	return rc;
}
