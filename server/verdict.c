/*
 * verdict.c - the verdict of a pull-request (or default-branch push) run,
 * stored with its notifications.
 *
 * The server has no clone of the repository, so mg_compare_load (which
 * resolves revisions and merge bases with libgit2) cannot be used. The
 * baseline comes from what the store knows:
 *
 *   pull request   the run's base_sha (the collector sends the base
 *                  branch's commit of the pull request), else the base sha
 *                  a pull_request webhook recorded; from that commit, the
 *                  nearest first-parent ancestor with successful runs
 *                  within MG_COMPARE_MAX_WALK commits; failing that, the
 *                  newest commit of the base branch (base_ref, else the
 *                  default branch) with successful runs;
 *   push           the nearest first-parent ancestor of the pushed commit
 *                  with successful runs (a status only, never a comment).
 *
 * Each side pools the newest MG_VERDICT_RUNS successful runs of its
 * commit. The comparison row and the outbox rows are written in one
 * transaction: either the verdict is stored and will be posted, or
 * neither.
 */
#include <math.h>
#include <string.h>

#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "store_notify.h"

/* Runs pooled per side, as GET /compare does. */
#define MG_VERDICT_RUNS 10
/* Commits of the base branch looked at for the fallback baseline. */
#define MG_VERDICT_BRANCH_SCAN 50
/* GitHub's status description limit, in characters. */
#define MG_VERDICT_DESCRIPTION_MAX 140
/* The verdict JSON stored in comparisons.result_json. */
#define MG_VERDICT_JSON_MAX ((size_t)64 << 20)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int has_ok_run(mg_store *st, const char *project, const char *sha,
                      bool *out, mg_err *err)
{
	bool any;

	return mg_store_commit_has_runs(st, project, sha, &any, out, err);
}

/*
 * From `start` (included when with_start), the nearest first-parent
 * ancestor with successful runs into base; *found false when none.
 */
static int walk(mg_store *st, const char *project, const char *start,
                bool with_start, char base[MG_SHA_HEX + 1], bool *found,
                mg_err *err)
{
	char cur[MG_SHA_HEX + 1];
	size_t step;
	int error;

	*found = false;
	snprintf(cur, sizeof(cur), "%s", start);
	if (with_start) {
		error = has_ok_run(st, project, cur, found, err);
		if (error < 0 || *found) {
			memcpy(base, cur, sizeof(cur));
			return error;
		}
	}
	for (step = 0; step < MG_COMPARE_MAX_WALK; step++) {
		error = mg_store_first_parent(st, project, cur, base, err);
		if (error == MG_ENOTFOUND)
			return 0;
		if (error == 0)
			error = has_ok_run(st, project, base, found, err);
		if (error < 0 || *found)
			return error;
		memcpy(cur, base, sizeof(cur));
	}
	return 0;
}

/* The newest commit of `branch` with successful runs, not `head`. */
static int branch_tip(mg_store *st, const char *project, const char *branch,
                      const char *head, char base[MG_SHA_HEX + 1], bool *found,
                      mg_err *err)
{
	mg_commit_info *list = NULL;
	size_t n = 0, i;
	int error;

	*found = false;
	error = mg_store_commits(st, project, branch, MG_VERDICT_BRANCH_SCAN,
	                         &list, &n, err);
	if (error == MG_ENOTFOUND)
		return 0;
	for (i = 0; error == 0 && i < n && !*found; i++) {
		if (list[i].nruns == 0 || strcmp(list[i].sha, head) == 0)
			continue;
		error = has_ok_run(st, project, list[i].sha, found, err);
		if (error == 0 && *found)
			memcpy(base, list[i].sha, MG_SHA_HEX + 1);
	}
	mg_commit_info_free(list, n);
	return error;
}

static int find_base(mg_store *st, mg_compare *c, const mg_run *run,
                     const char *default_branch, char base[MG_SHA_HEX + 1],
                     bool *found, mg_err *err)
{
	const char *project = run->project, *head = run->commit.sha;
	char pr_base[MG_SHA_HEX + 1] = "";
	char *pr_ref = NULL;
	const char *start = run->base_sha, *ref = run->base_ref;
	int error = 0;

	*found = false;
	if (run->pr_number <= 0)
		return walk(st, project, head, false, base, found, err);
	if (start == NULL || ref == NULL) {
		error = mg_store_pr_base(st, project, run->pr_number, pr_base,
		                         &pr_ref, err);
		if (error == MG_ENOTFOUND)
			error = 0;
		if (start == NULL && pr_base[0])
			start = pr_base;
		if (ref == NULL)
			ref = pr_ref;
	}
	if (error == 0 && start)
		error = walk(st, project, start, true, base, found, err);
	if (error == 0 && !*found) {
		error = branch_tip(st, project, ref ? ref : default_branch,
		                   head, base, found, err);
		if (error == 0 && *found)
			error = mg_compare_add_note(
			        c, err,
			        "baseline: the newest commit of '%s' with "
			        "runs (%s%.12s has no measured ancestor known "
			        "to the server)",
			        ref ? ref : default_branch,
			        start ? "" : "no base commit was sent; ",
			        start ? start : "");
	}
	free(pr_ref);
	return error;
}

/* The regression with the largest relative change, or NULL. */
static const mg_compare_pair *worst(const mg_compare *c,
                                    enum mg_stats_verdict v, double *rel)
{
	const mg_compare_pair *best = NULL;
	size_t i, n = mg_compare_count(c);

	*rel = 0;
	for (i = 0; i < n; i++) {
		const mg_compare_pair *p = mg_compare_pair_at(c, i);
		double b, h, r;

		if (p->presence != MG_COMPARE_BOTH || p->verdict != v)
			continue;
		b = p->cmp.base.center;
		h = p->cmp.head.center;
		r = b != 0 ? (h - b) / fabs(b) : INFINITY;
		if (best == NULL || fabs(r) > fabs(*rel)) {
			best = p;
			*rel = r;
		}
	}
	return best;
}

int mg_verdict_description(mg_buf *out, const mg_compare *c)
{
	enum mg_stats_verdict v = mg_compare_verdict(c);
	size_t nreg = mg_compare_count_verdict(c, MG_STATS_REGRESSION);
	size_t nimp = mg_compare_count_verdict(c, MG_STATS_IMPROVEMENT);
	mg_buf text = MG_BUF_INIT(4096);
	const mg_compare_pair *p = NULL;
	double rel = 0;
	int error;

	if (v == MG_STATS_REGRESSION)
		p = worst(c, MG_STATS_REGRESSION, &rel);
	else if (v == MG_STATS_IMPROVEMENT)
		p = worst(c, MG_STATS_IMPROVEMENT, &rel);
	if (p && isfinite(rel))
		error = mg_buf_printf(
		        &text, "%zu %s: %s %s %+.0f%%",
		        v == MG_STATS_REGRESSION ? nreg : nimp,
		        v == MG_STATS_REGRESSION
		                ? (nreg == 1 ? "regression" : "regressions")
		                : (nimp == 1 ? "improvement" : "improvements"),
		        p->name, p->unit, rel * 100);
	else if (p)
		error = mg_buf_printf(&text, "%zu %s: %s %s from 0",
		                      v == MG_STATS_REGRESSION ? nreg : nimp,
		                      v == MG_STATS_REGRESSION
		                              ? "regression(s)"
		                              : "improvement(s)",
		                      p->name, p->unit);
	else
		error = mg_compare_write_summary(&text, c);
	if (error == 0)
		error = mg_forge_trim(out, text.ptr, MG_VERDICT_DESCRIPTION_MAX,
		                      "…");
	mg_buf_release(&text);
	return error;
}

static enum mg_forge_state state_of(enum mg_stats_verdict v)
{
	switch (v) {
	case MG_STATS_REGRESSION:
		return MG_FORGE_FAILURE;
	case MG_STATS_INCONCLUSIVE:
		return MG_FORGE_ERROR;
	default:
		return MG_FORGE_SUCCESS;
	}
}

/* <base_url>/p/<project>/compare?base=B&head=H */
static int compare_url(mg_buf *out, const mg_srv *srv, const char *project,
                       const char *base, const char *head)
{
	int error = mg_buf_printf(out, "%s/p/", srv->base_url);

	if (error == 0)
		error = mg_http_escape_segment(out, project);
	if (error == 0 && base)
		error = mg_buf_printf(out, "/compare?base=%s&head=%s", base,
		                      head);
	else if (error == 0)
		error = mg_buf_printf(out, "/compare?head=%s", head);
	return error;
}

typedef struct verdict {
	mg_compare *c;
	char base[MG_SHA_HEX + 1];
	bool have_base;
	mg_buf summary, description, markdown, json, url;
} verdict;

static void verdict_release(verdict *v)
{
	mg_compare_free(v->c);
	mg_buf_release(&v->summary);
	mg_buf_release(&v->description);
	mg_buf_release(&v->markdown);
	mg_buf_release(&v->json);
	mg_buf_release(&v->url);
}

static int compute(verdict *v, mg_srv *srv, mg_store *w, const mg_run *run,
                   const char *default_branch, bool with_comment, mg_err *err)
{
	mg_compare_opts opts;
	int error;

	mg_compare_opts_init(&opts);
	opts.flags |= MG_COMPARE_CANONICAL_ORDER;
	error = mg_compare_new(&v->c, &opts, err);
	if (error == 0)
		error = find_base(w, v->c, run, default_branch, v->base,
		                  &v->have_base, err);
	if (error == 0 && !v->have_base)
		error = mg_compare_add_note(
		        v->c, err,
		        "no baseline: no commit of the base known to the "
		        "server has a successful run");
	if (error == 0 && v->have_base)
		error = mg_compare_add_commit(v->c, w, MG_COMPARE_BASE,
		                              run->project, v->base,
		                              MG_VERDICT_RUNS, NULL, err);
	else if (error == 0)
		mg_compare_set_missing(v->c, MG_COMPARE_BASE);
	if (error == 0)
		error = mg_compare_add_commit(v->c, w, MG_COMPARE_HEAD,
		                              run->project, run->commit.sha,
		                              MG_VERDICT_RUNS, NULL, err);
	if (error == 0)
		error = mg_compare_run(v->c, err);
	if (error == 0 && mg_compare_write_summary(&v->summary, v->c) < 0)
		error = mg_err_set(err, MG_ENOMEM, "summary: out of memory");
	if (error == 0 && mg_verdict_description(&v->description, v->c) < 0)
		error = mg_err_set(err, MG_ENOMEM,
		                   "description: out of memory");
	/*
	 * The marker line and its newline are added by the forge client:
	 * leave room for them within GitHub's limit.
	 */
	if (error == 0 && with_comment)
		error = mg_compare_write_markdown(
		        &v->markdown, v->c,
		        MG_NOTIFY_COMMENT_MAX - MG_FORGE_MAX_MARKER - 2, err);
	if (error == 0)
		error = mg_compare_write_json(&v->json, v->c, err);
	if (error == 0 &&
	    compare_url(&v->url, srv, run->project,
	                v->have_base ? v->base : NULL, run->commit.sha) < 0)
		error = mg_err_set(err, MG_ENOMEM, "url: out of memory");
	return error;
}

static const char *verdict_word(enum mg_stats_verdict v)
{
	switch (v) {
	case MG_STATS_REGRESSION:
		return "regression";
	case MG_STATS_IMPROVEMENT:
		return "improvement";
	case MG_STATS_UNCHANGED:
		return "unchanged";
	default:
		return "inconclusive";
	}
}

int mg_verdict_after_ingest(mg_srv *srv, mg_store *w, const mg_run *run,
                            int64_t run_id, mg_err *err)
{
	const mg_srv_config *cfg = srv->cfg;
	verdict v;
	mg_project_info p;
	mg_comparison_row row;
	mg_outbox_msg msg;
	enum mg_forge_kind forge;
	enum mg_stats_verdict vv;
	int64_t cmp_id = 0, changes = 0, t = now_ms();
	bool pr = run->pr_number > 0, comment = false, in_tx = false;
	int mode, error;

	memset(&v, 0, sizeof(v));
	v.summary = (mg_buf)MG_BUF_INIT(4096);
	v.description = (mg_buf)MG_BUF_INIT(1024);
	v.markdown = (mg_buf)MG_BUF_INIT(MG_NOTIFY_COMMENT_MAX);
	v.json = (mg_buf)MG_BUF_INIT(MG_VERDICT_JSON_MAX);
	v.url = (mg_buf)MG_BUF_INIT(MG_GITHUB_MAX_URL);
	memset(&p, 0, sizeof(p));
	if (!mg_notify_forge_for(cfg, run->project, &forge))
		return 0;
	error = mg_store_project_get(w, run->project, &p, err);
	if (error < 0)
		goto cleanup;
	if (!pr && !(cfg->push_status && run->branch && p.default_branch &&
	             strcmp(run->branch, p.default_branch) == 0))
		goto cleanup;
	mode = mg_notify_comment_mode(cfg, run->project);
	comment = pr && mode != MG_CFG_COMMENT_NEVER;
	error = compute(&v, srv, w, run, p.default_branch, comment, err);
	if (error < 0)
		goto cleanup;
	vv = mg_compare_verdict(v.c);
	/*
	 * A push without a measured ancestor (the first runs of a project,
	 * or history the server never saw) has nothing to be judged
	 * against: an "error" status on the default branch would only be
	 * noise, so none is posted.
	 */
	if (!pr && !v.have_base)
		goto cleanup;

	memset(&row, 0, sizeof(row));
	row.project = run->project;
	row.base_sha = v.have_base ? v.base : NULL;
	row.head_sha = run->commit.sha;
	row.head_run_id = run_id;
	row.pr_number = pr ? run->pr_number : 0;
	row.verdict = verdict_word(vv);
	row.regressions =
	        (int64_t)mg_compare_count_verdict(v.c, MG_STATS_REGRESSION);
	row.improvements =
	        (int64_t)mg_compare_count_verdict(v.c, MG_STATS_IMPROVEMENT);
	row.summary = v.summary.ptr;
	row.result_json = v.json.ptr;
	row.created_at = t;

	error = mg_store_begin(w, err);
	if (error < 0)
		goto cleanup;
	in_tx = true;
	error = mg_store_comparison_add(w, &row, &cmp_id, err);
	/*
	 * on-change: no comment until a verdict of this pull request
	 * changed something (this one included); then keep updating it.
	 */
	if (error == 0 && comment && mode == MG_CFG_COMMENT_ON_CHANGE) {
		error = mg_store_comparison_changes(
		        w, run->project, run->pr_number, &changes, err);
		comment = changes > 0;
	}
	memset(&msg, 0, sizeof(msg));
	msg.forge = forge;
	msg.repo = run->project;
	msg.sha = run->commit.sha;
	msg.number = run->pr_number;
	msg.state = state_of(vv);
	msg.context = cfg->status_context;
	msg.description = v.description.ptr;
	msg.target_url = v.url.ptr;
	msg.ref = run->branch;
	if (error == 0) {
		msg.kind = MG_OUTBOX_STATUS;
		error = mg_outbox_enqueue(w, &msg, cmp_id, t, NULL, err);
	}
	if (error == 0 && comment) {
		msg.kind = MG_OUTBOX_COMMENT;
		msg.body = v.markdown.ptr;
		error = mg_outbox_enqueue(w, &msg, cmp_id, t, NULL, err);
	}
	if (error == 0 && forge == MG_FORGE_GITHUB && cfg->github_app_id &&
	    cfg->github_app_private_key) {
		msg.kind = MG_OUTBOX_CHECK;
		msg.body = v.summary.ptr;
		msg.description = v.description.ptr;
		error = mg_outbox_enqueue(w, &msg, cmp_id, t, NULL, err);
	}
	if (error == 0)
		error = mg_store_commit(w, err);
	if (error < 0)
		goto cleanup;
	in_tx = false;
	mg_log(MG_LOG_INFO, "verdict",
	       "%s %.12s (%s%lld): %s (comparison %lld, base %.12s)",
	       run->project, run->commit.sha, pr ? "PR #" : "push, run ",
	       (long long)(pr ? run->pr_number : run_id), v.summary.ptr,
	       (long long)cmp_id, v.have_base ? v.base : "none");
	mg_notify_kick();

cleanup:
	if (in_tx)
		mg_store_rollback(w);
	mg_project_info_release(&p);
	verdict_release(&v);
	return error;
}
