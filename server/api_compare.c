/*
 * api_compare.c - GET /api/v1/projects/{p}/compare?head=SHA[&base=SHA]
 * [&threshold=LIST]: the verdict of lib/compare.h for the runs of two
 * commits, as the JSON of schema/verdict.schema.json.
 *
 * Each side pools the newest MG_API_COMPARE_RUNS successful runs of its
 * commit (a side with only failed runs is "failed", one with none
 * "missing", and the verdict is then inconclusive). Without base, the
 * baseline is the nearest first-parent ancestor of head, as recorded by
 * the uploaded runs, that has successful runs, within MG_COMPARE_MAX_WALK
 * commits. The server has no clone of the repository, so merge bases
 * (`memgate compare --base-ref`) are the collector's business: it sends
 * base_sha with pull-request runs, and the upload answer links here with
 * it. threshold overrides the per-unit rules as `memgate compare
 * --threshold` does ("allocs/op=0,B/op=2%").
 */
#include "api.h"
#include "compare.h"
#include "server.h"

/* The longest --threshold list: a few dozen units. */
#define MAX_THRESHOLD_PARAM 4096

/* Has commit `sha` a successful run? */
static int has_ok_run(mg_store *st, const char *project, const char *sha,
                      bool *out, mg_err *err)
{
	bool any;

	return mg_store_commit_has_runs(st, project, sha, &any, out, err);
}

/*
 * The nearest first-parent ancestor of head with successful runs, into
 * base; *found false (with a note on c) when there is none within the
 * walk.
 */
static int find_base(mg_store *st, mg_compare *c, const char *project,
                     const char *head, char base[MG_SHA_HEX + 1], bool *found,
                     mg_err *err)
{
	char cur[MG_SHA_HEX + 1];
	size_t step;
	int error = 0;

	*found = false;
	snprintf(cur, sizeof(cur), "%s", head);
	for (step = 0; step < MG_COMPARE_MAX_WALK; step++) {
		error = mg_store_first_parent(st, project, cur, base, err);
		if (error == MG_ENOTFOUND)
			break;
		if (error == 0)
			error = has_ok_run(st, project, base, found, err);
		if (error < 0 || *found)
			return error;
		memcpy(cur, base, sizeof(cur));
	}
	return mg_compare_add_note(c, err,
	                           "no baseline: none of the first-parent "
	                           "ancestors of %.12s known to the server "
	                           "(%zu looked at) has a successful run",
	                           head, step);
}

int mg_api_compare(mg_req *r)
{
	const char *project = mg_req_param(r, "p"), *head, *base, *tspec;
	char found_base[MG_SHA_HEX + 1];
	mg_compare_thresholds th;
	mg_compare_opts opts;
	mg_project_info p;
	mg_compare *c = NULL;
	mg_err err = MG_ERR_INIT;
	mg_buf out = MG_BUF_INIT((size_t)256 << 20);
	mg_store *st;
	bool have_base = true, any = false, ok;
	int error;

	mg_compare_thresholds_init(&th);
	memset(&p, 0, sizeof(p));
	st = mg_req_reader(r, &err);
	if (st == NULL) {
		mg_http_header(r, "Retry-After", "1");
		return mg_http_error(r, 503, "busy", NULL, "%s", err.msg);
	}
	if ((error = mg_req_query_sha(r, "head", &head, &err)) < 0 ||
	    (error = mg_req_query_sha(r, "base", &base, &err)) < 0 ||
	    (error = mg_req_query(r, "threshold", MAX_THRESHOLD_PARAM, &tspec,
	                          &err)) < 0)
		goto fail;
	if (head == NULL) {
		error = mg_err_set(&err, MG_EINPUT, "field 'head': required");
		goto fail;
	}
	if (tspec &&
	    (error = mg_compare_thresholds_parse(&th, tspec, &err)) < 0) {
		mg_err_prefix(&err, "field 'threshold'");
		goto fail;
	}
	if ((error = mg_store_project_get(st, project, &p, &err)) < 0 ||
	    (error = mg_store_commit_has_runs(st, project, head, &any, &ok,
	                                      &err)) < 0)
		goto fail;
	if (!any) {
		error = mg_err_set(&err, MG_ENOTFOUND,
		                   "commit '%s' has no runs in project '%s'",
		                   head, project);
		goto fail;
	}
	mg_compare_opts_init(&opts);
	opts.thresholds = &th;
	opts.flags |= MG_COMPARE_CANONICAL_ORDER;
	error = mg_compare_new(&c, &opts, &err);
	if (error == 0 && base == NULL) {
		error = find_base(st, c, project, head, found_base, &have_base,
		                  &err);
		base = have_base ? found_base : NULL;
	}
	if (error == 0 && base)
		error = mg_compare_add_commit(c, st, MG_COMPARE_BASE, project,
		                              base, MG_API_COMPARE_RUNS, NULL,
		                              &err);
	else if (error == 0)
		mg_compare_set_missing(c, MG_COMPARE_BASE);
	if (error == 0)
		error = mg_compare_add_commit(c, st, MG_COMPARE_HEAD, project,
		                              head, MG_API_COMPARE_RUNS, NULL,
		                              &err);
	if (error == 0)
		error = mg_compare_run(c, &err);
	if (error == 0)
		error = mg_compare_write_json(&out, c, &err);
	if (error < 0)
		goto fail;
	mg_compare_free(c);
	mg_compare_thresholds_release(&th);
	mg_project_info_release(&p);
	return mg_http_json(r, 200, &out);

fail:
	mg_compare_free(c);
	mg_compare_thresholds_release(&th);
	mg_project_info_release(&p);
	mg_buf_release(&out);
	return mg_http_fail(r, error, &err);
}
