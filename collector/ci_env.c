/*
 * ci_env.c - GitHub Actions' environment and pull_request event file
 * (see ci_env.h). Fields used from the event:
 *
 *   number                    the pull request number
 *   pull_request.base.ref     the branch the pull request targets
 *   pull_request.base.sha     its tip when the event fired
 *   pull_request.head.ref     the pull request's branch
 *   pull_request.head.sha     its last commit
 */
#include <cjson/cJSON.h>
#include <errno.h>

#include "buf.h"
#include "ci_env.h"
#include "fsutil.h"

static char *dup_env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] ? mg_strdup(v) : NULL;
}

static int dup_json(char **field, const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsString(v) || v->valuestring[0] == '\0')
		return 0;
	*field = mg_strdup(v->valuestring);
	return *field ? 0 : MG_ENOMEM;
}

static int read_event(mg_ci_env *e, const char *path, mg_err *err)
{
	mg_buf text = MG_BUF_INIT(MG_CI_EVENT_MAX);
	cJSON *ev = NULL, *pr, *side, *num;
	int error;

	error = mg_read_file(&text, path, err);
	if (error < 0) {
		mg_err_prefix(err, "GITHUB_EVENT_PATH");
		goto cleanup;
	}
	ev = cJSON_ParseWithLength(text.ptr, text.len);
	if (ev == NULL) {
		error = mg_err_set(err, MG_EINPUT, "'%s': not valid JSON",
		                   path);
		goto cleanup;
	}
	pr = cJSON_GetObjectItemCaseSensitive(ev, "pull_request");
	if (!cJSON_IsObject(pr))
		goto cleanup;
	e->pull_request = true;
	num = cJSON_GetObjectItemCaseSensitive(ev, "number");
	if (cJSON_IsNumber(num) && num->valuedouble > 0 &&
	    num->valuedouble < 1e15)
		e->pr = (long long)num->valuedouble;
	side = cJSON_GetObjectItemCaseSensitive(pr, "base");
	if (cJSON_IsObject(side) && (dup_json(&e->base_ref, side, "ref") < 0 ||
	                             dup_json(&e->base_sha, side, "sha") < 0))
		error = MG_ENOMEM;
	side = cJSON_GetObjectItemCaseSensitive(pr, "head");
	if (error == 0 && cJSON_IsObject(side) &&
	    (dup_json(&e->head_ref, side, "ref") < 0 ||
	     dup_json(&e->head_sha, side, "sha") < 0))
		error = MG_ENOMEM;
	if (error < 0)
		mg_err_set(err, error, "out of memory");
cleanup:
	cJSON_Delete(ev);
	mg_buf_release(&text);
	return error;
}

int mg_ci_env_read(mg_ci_env *out, mg_err *err)
{
	const char *v = getenv("GITHUB_ACTIONS"), *path;

	memset(out, 0, sizeof(*out));
	if (v == NULL || strcmp(v, "true") != 0)
		return 0;
	out->actions = true;
	out->project = dup_env("GITHUB_REPOSITORY");
	/* GITHUB_HEAD_REF is set for pull_request events only. */
	out->branch = dup_env("GITHUB_HEAD_REF");
	if (out->branch == NULL)
		out->branch = dup_env("GITHUB_REF_NAME");
	out->event = dup_env("GITHUB_EVENT_NAME");
	path = getenv("GITHUB_EVENT_PATH");
	if (out->event &&
	    (strcmp(out->event, "pull_request") == 0 ||
	     strcmp(out->event, "pull_request_target") == 0) &&
	    path && path[0])
		return read_event(out, path, err);
	return 0;
}

void mg_ci_env_release(mg_ci_env *e)
{
	free(e->project);
	free(e->branch);
	free(e->event);
	free(e->base_ref);
	free(e->base_sha);
	free(e->head_ref);
	free(e->head_sha);
	memset(e, 0, sizeof(*e));
}
