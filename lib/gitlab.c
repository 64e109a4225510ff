/*
 * gitlab.c - the GitLab v4 client (gitlab.h): commit statuses and the
 * marker note on a merge request, through forge.c's retrying loop.
 */
#include <cjson/cJSON.h>

#include "forge_int.h"
#include "gitlab.h"

#define TRIM_NOTE "\n\n_(trimmed by memgate to fit GitLab's size limit)_\n"

struct mg_gitlab {
	mg_forge_http h; /* base URL, curl handle, policy */
	char *auth;      /* "PRIVATE-TOKEN: <token>" */
};

int mg_gitlab_new(mg_gitlab **out, const mg_gitlab_config *cfg, mg_err *err)
{
	mg_buf auth = MG_BUF_INIT(MG_GITLAB_MAX_TOKEN + 32);
	mg_gitlab *gl;
	size_t i;
	int error;

	if (cfg->api_url == NULL)
		return mg_err_set(err, MG_EINPUT,
		                  "gitlab: field 'api_url': required (e.g. "
		                  "https://gitlab.example.com/api/v4)");
	for (i = 0; cfg->token && cfg->token[i]; i++)
		if (i == MG_GITLAB_MAX_TOKEN || cfg->token[i] <= ' ' ||
		    cfg->token[i] > '~')
			break;
	if (cfg->token == NULL || i == 0 || cfg->token[i] != '\0')
		return mg_err_set(err, MG_EINPUT,
		                  "gitlab: field 'token': expected 1 to %d "
		                  "printable characters without blanks",
		                  MG_GITLAB_MAX_TOKEN);
	gl = calloc(1, sizeof(*gl));
	if (gl == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_forge__http_init(&gl->h, MG_FORGE_GITLAB, cfg->api_url,
	                            cfg->user_agent, &cfg->policy, err);
	if (error < 0) {
		free(gl);
		return error;
	}
	if (mg_buf_printf(&auth, "PRIVATE-TOKEN: %s", cfg->token) < 0 ||
	    (gl->auth = mg_buf_detach(&auth)) == NULL) {
		mg_buf_release(&auth);
		mg_gitlab_free(gl);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	*out = gl;
	return 0;
}

void mg_gitlab_free(mg_gitlab *gl)
{
	if (gl == NULL)
		return;
	mg_forge__http_release(&gl->h);
	free(gl->auth);
	free(gl);
}

const char *mg_gitlab_state_name(enum mg_forge_state s)
{
	switch (s) {
	case MG_FORGE_PENDING:
		return "pending";
	case MG_FORGE_SUCCESS:
		return "success";
	case MG_FORGE_FAILURE:
	case MG_FORGE_ERROR:
		return "failed";
	}
	return "failed";
}

static int gl_send(mg_gitlab *gl, mg_forge_result *res, mg_httpc_resp *resp,
                   mg_forge_call call, mg_err *err)
{
	const char *hdrs[1] = {gl->auth};

	call.headers = hdrs;
	call.nheaders = 1;
	return mg_forge__send(&gl->h, res, resp, &call, err);
}

/* base + "/projects/" + the escaped project id or path. */
static int project_url(mg_gitlab *gl, mg_buf *url, const char *project)
{
	int error = mg_buf_printf(url, "%s/projects/", gl->h.base);

	return error < 0 ? error : mg_forge__put_escaped(url, project);
}

static int check_project(mg_forge_result *res, const char *project, mg_err *err)
{
	if (project == NULL ||
	    !mg_forge__line_ok(project, MG_GITLAB_MAX_PROJECT))
		return mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                      "gitlab: field 'project': expected a "
		                      "project id or path");
	return 0;
}

/* Whether a 400 says the status already is in the state we asked for. */
static bool already_there(const mg_forge_result *res, const char *state)
{
	const char *from;
	size_t n = strlen(state);

	if (res->status != 400 ||
	    strncmp(res->message, "Cannot transition status via :", 30) != 0)
		return false;
	from = strstr(res->message, " from :");
	return from && strncmp(from + 7, state, n) == 0 &&
	       (from[7 + n] == ' ' || from[7 + n] == '\0');
}

int mg_gitlab_create_status(mg_gitlab *gl, mg_forge_result *res,
                            const char *project, const char *sha,
                            const mg_gitlab_status *s, mg_err *err)
{
	mg_buf url = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 4 * 1024);
	mg_buf desc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *name = s->name ? s->name : MG_FORGE_DEFAULT_CONTEXT;
	const char *state = mg_gitlab_state_name(s->state);
	mg_httpc_resp resp;
	cJSON *o = NULL;
	char *body = NULL;
	int error;

	mg_forge_result_init(res);
	mg_httpc_resp_init(&resp);
	error = check_project(res, project, err);
	if (error < 0)
		goto cleanup;
	if (!mg_forge__is_sha(sha) || !mg_forge__line_ok(name, 255) ||
	    (s->ref && !mg_forge__line_ok(s->ref, 255)) ||
	    (s->target_url &&
	     !mg_forge__url_ok(s->target_url, MG_GITLAB_URL_MAX))) {
		error = mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                       "gitlab: status for '%.80s': bad sha, "
		                       "name, ref or target_url (at most 255 "
		                       "characters each)",
		                       project);
		goto cleanup;
	}
	o = cJSON_CreateObject();
	if (s->description)
		error = mg_forge_trim(&desc, s->description,
		                      MG_GITLAB_DESCRIPTION_MAX,
		                      "\xE2\x80\xA6");
	if (o == NULL || error < 0 ||
	    !cJSON_AddStringToObject(o, "state", state) ||
	    !cJSON_AddStringToObject(o, "name", name) ||
	    (s->ref && !cJSON_AddStringToObject(o, "ref", s->ref)) ||
	    (s->target_url &&
	     !cJSON_AddStringToObject(o, "target_url", s->target_url)) ||
	    (s->description &&
	     !cJSON_AddStringToObject(o, "description", desc.ptr)) ||
	    (body = cJSON_PrintUnformatted(o)) == NULL ||
	    project_url(gl, &url, project) < 0 ||
	    mg_buf_printf(&url, "/statuses/%s", sha) < 0) {
		error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                       "out of memory");
		goto cleanup;
	}
	error = gl_send(
	        gl, res, &resp,
	        (mg_forge_call){.method = "POST", .url = url.ptr, .body = body},
	        err);
	if (error < 0 && already_there(res, state)) {
		res->outcome = MG_FORGE_OK;
		mg_err_clear(err);
		error = 0;
	} else if (error == 0) {
		res->id = mg_forge__answer_id(&resp);
	}
cleanup:
	cJSON_Delete(o);
	free(body);
	mg_buf_release(&url);
	mg_buf_release(&desc);
	mg_httpc_resp_release(&resp);
	return error;
}

static int gl_send_cb(void *ctx, mg_forge_result *res, mg_httpc_resp *resp,
                      const mg_forge_call *call, mg_err *err)
{
	return gl_send(ctx, res, resp, *call, err);
}

/* The id of the first non-system note starting with marker, or 0. */
static int find_note(mg_gitlab *gl, mg_forge_result *res, const char *project,
                     int64_t iid, const char *marker, int64_t *id, mg_err *err)
{
	mg_buf url = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 4 * 1024);
	char where[256];
	mg_forge_find f = {.send = gl_send_cb,
	                   .ctx = gl,
	                   .base = gl->h.base,
	                   .max_pages = MG_GITLAB_MAX_PAGES,
	                   .max_response = MG_GITLAB_LIST_RESPONSE_MAX,
	                   .marker = marker,
	                   .skip_system = true,
	                   .where = where,
	                   .item = "note"};
	int error;

	snprintf(where, sizeof(where), "gitlab: %.200s!%lld", project,
	         (long long)iid);
	if (project_url(gl, &url, project) < 0 ||
	    mg_buf_printf(&url,
	                  "/merge_requests/%lld/notes?sort=asc&"
	                  "order_by=created_at&per_page=%d",
	                  (long long)iid, MG_GITLAB_PER_PAGE) < 0) {
		mg_buf_release(&url);
		return mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                      "out of memory");
	}
	f.url = url.ptr;
	error = mg_forge__find_marked(&f, res, id, err);
	mg_buf_release(&url);
	return error;
}

int mg_gitlab_upsert_note(mg_gitlab *gl, mg_forge_result *res,
                          const char *project, int64_t mr_iid,
                          const char *marker, const char *body, mg_err *err)
{
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf url = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 4 * 1024);
	mg_httpc_resp resp;
	cJSON *o = NULL;
	char *json = NULL;
	int64_t id, wait = 0;
	int round, error;

	mg_forge_result_init(res);
	mg_httpc_resp_init(&resp);
	if (marker == NULL)
		marker = MG_FORGE_COMMENT_MARKER;
	error = check_project(res, project, err);
	if (error < 0)
		goto cleanup;
	if (mr_iid <= 0 || body == NULL ||
	    !mg_forge__line_ok(marker, MG_FORGE_MAX_MARKER)) {
		error = mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                       "gitlab: note on %.100s!%lld: bad merge "
		                       "request iid, marker or no body",
		                       project, (long long)mr_iid);
		goto cleanup;
	}
	o = cJSON_CreateObject();
	if (o == NULL ||
	    mg_forge__marked_body(&text, marker, body, MG_GITLAB_NOTE_MAX,
	                          TRIM_NOTE) < 0 ||
	    !cJSON_AddStringToObject(o, "body", text.ptr) ||
	    (json = cJSON_PrintUnformatted(o)) == NULL) {
		error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                       "out of memory");
		goto cleanup;
	}
	for (round = 1;; round++) {
		error = find_note(gl, res, project, mr_iid, marker, &id, err);
		if (error < 0)
			goto cleanup;
		mg_buf_reset(&url);
		error = project_url(gl, &url, project);
		if (error == 0)
			error = id ? mg_buf_printf(&url,
			                           "/merge_requests/%lld/notes/"
			                           "%lld",
			                           (long long)mr_iid,
			                           (long long)id)
			           : mg_buf_printf(&url,
			                           "/merge_requests/%lld/notes",
			                           (long long)mr_iid);
		if (error < 0) {
			error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM,
			                       err, "out of memory");
			goto cleanup;
		}
		error = gl_send(gl, res, &resp,
		                (mg_forge_call){.method = id ? "PUT" : "POST",
		                                .url = url.ptr,
		                                .body = json,
		                                .attempts = id ? 0 : 1,
		                                .fresh_connection = id == 0},
		                err);
		if (error == 0) {
			res->id = id ? id : mg_forge__answer_id(&resp);
			res->created = id == 0;
			goto cleanup;
		}
		if (id && res->status == 404 && round < gl->h.policy.attempts)
			continue; /* deleted meanwhile: list again */
		if (id || !mg_forge__retry_wait(&gl->h, res, round,
		                                gl->h.policy.attempts, &wait))
			goto cleanup;
		mg_forge__sleep_ms(wait, gl->h.policy.cancel);
	}
cleanup:
	cJSON_Delete(o);
	free(json);
	mg_buf_release(&text);
	mg_buf_release(&url);
	mg_httpc_resp_release(&resp);
	return error;
}
