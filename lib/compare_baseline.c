/*
 * compare_baseline.c - both sides of a comparison from the store: the
 * runs of the head commit, and the baseline (see mg_compare_load in
 * compare.h). Revisions are resolved in the repository with libgit2;
 * only commits that the store has runs of can be compared.
 */
#include "compare_int.h"
#include "envinfo.h"

/* Runs pooled per side when the caller does not say. */
#define DEFAULT_MAX_RUNS 20

struct found {
	mg_commit_run *runs; /* of the chosen commit */
	size_t nruns;
	bool *use; /* which of them are pooled */
	size_t nuse;
};

static void found_release(struct found *f)
{
	mg_commit_run_free(f->runs, f->nruns);
	free(f->use);
	memset(f, 0, sizeof(*f));
}

/* Pool the runs marked in `use` (at most max) into one side. */
static int add_runs(mg_compare *c, mg_store *st, enum mg_compare_side side,
                    const struct found *f, size_t max, mg_err *err)
{
	size_t i, added = 0;
	int error = 0;

	for (i = 0; i < f->nruns && added < max && error == 0; i++) {
		mg_run run;

		if (!f->use[i])
			continue;
		mg_run_init(&run);
		error = mg_store_get_run(st, f->runs[i].id, &run, err);
		if (error == 0)
			error = mg_compare_add_run(c, side, &run, f->runs[i].id,
			                           err);
		mg_run_release(&run);
		added++;
	}
	return error;
}

static int set_side(mg_compare *c, enum mg_compare_side side, const char *sha,
                    const char *ref, mg_err *err)
{
	char label[8];
	mg_compare_side_info info;

	snprintf(label, sizeof(label), "%.7s", sha);
	info.label = label;
	info.sha = sha;
	info.ref = ref;
	return mg_compare_set_side(c, side, &info, err);
}

/* Resolve a branch as given, then as a remote-tracking branch of origin. */
static int resolve_branch(mg_git *g, mg_oid_hex out, const char *ref,
                          mg_err *err)
{
	static const char *const prefix[] = {"", "origin/",
	                                     "refs/remotes/origin/"};
	mg_buf name = MG_BUF_INIT(4096);
	size_t i;
	int error = MG_ENOTFOUND;

	for (i = 0; i < 3 && error == MG_ENOTFOUND; i++) {
		mg_buf_reset(&name);
		if (mg_buf_printf(&name, "%s%s", prefix[i], ref) < 0) {
			error = mg_err_set(err, MG_EINPUT, "ref too long");
			break;
		}
		error = mg_git_resolve(g, out, name.ptr, NULL);
		if (error < 0 && error != MG_ENOTFOUND)
			error = MG_ENOTFOUND;
		if (error == 0)
			break;
	}
	mg_buf_release(&name);
	if (error == MG_ENOTFOUND)
		return mg_err_set(err, MG_ENOTFOUND,
		                  "base branch '%.200s' not found (nor "
		                  "origin/%.200s): fetch it first",
		                  ref, ref);
	return error;
}

/* Head: the successful runs of the head commit, newest first. */
static int load_head(mg_compare *c, mg_store *st, const char *project,
                     const char *sha, size_t max_runs, char fp[65], mg_err *err)
{
	struct found f = {0};
	size_t i, nfailed = 0;
	int error;

	fp[0] = '\0';
	error = mg_store_commit_runs(st, project, sha, &f.runs, &f.nruns, err);
	if (error < 0)
		return error;
	f.use = calloc(f.nruns + 1, sizeof(*f.use));
	if (f.use == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < f.nruns; i++) {
		if (f.runs[i].status != MG_RUN_OK) {
			nfailed++;
			continue;
		}
		if (fp[0] == '\0') {
			error = mg_env_fingerprint(fp, &f.runs[i].env, err);
			if (error < 0)
				goto cleanup;
		}
		f.use[i] = true;
		f.nuse++;
	}
	if (f.nuse) {
		error = add_runs(c, st, MG_COMPARE_HEAD, &f, max_runs, err);
		for (i = 0; error == 0 && i < f.nruns; i++)
			if (f.use[i]) {
				error = mg_compare_load_floors(
				        c, st, project, &f.runs[i].env, err);
				break;
			}
	} else if (nfailed) {
		error = mg_compare__add_failed(c, MG_COMPARE_HEAD, f.runs[0].id,
		                               err);
		if (error == 0)
			error = mg_compare_add_note(
			        c, err,
			        "every run of the head commit %.12s failed "
			        "(%zu)",
			        sha, nfailed);
	} else {
		mg_compare_set_missing(c, MG_COMPARE_HEAD);
		error = mg_compare_add_note(c, err,
		                            "the store has no run of the head "
		                            "commit %.12s in project '%s'",
		                            sha, project);
	}
cleanup:
	found_release(&f);
	return error;
}

/*
 * Mark the ok runs of f with fingerprint fp (every ok run when fp is
 * NULL); returns how many.
 */
static int mark_runs(struct found *f, const char *fp, size_t *n, mg_err *err)
{
	char rfp[65];
	size_t i;
	int error;

	free(f->use);
	f->use = calloc(f->nruns + 1, sizeof(*f->use));
	if (f->use == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	f->nuse = 0;
	for (i = 0; i < f->nruns; i++) {
		if (f->runs[i].status != MG_RUN_OK)
			continue;
		if (fp) {
			error = mg_env_fingerprint(rfp, &f->runs[i].env, err);
			if (error < 0)
				return error;
			if (strcmp(rfp, fp) != 0)
				continue;
		}
		f->use[i] = true;
		f->nuse++;
	}
	*n = f->nuse;
	return 0;
}

/* The candidate base commits, nearest first, and how they were chosen. */
static int candidates(mg_git *g, const mg_compare_source *src, const char *head,
                      mg_oid_hex **list, size_t *n, mg_buf *how, mg_err *err)
{
	mg_oid_hex start, tip;
	mg_buf rev = MG_BUF_INIT(4096);
	size_t max = src->max_walk ? src->max_walk : MG_COMPARE_MAX_WALK, i;
	int error;

	*list = NULL;
	*n = 0;
	if (src->base) {
		error = mg_git_resolve(g, start, src->base, err);
		if (error < 0)
			return error;
		*list = calloc(1, sizeof(**list));
		if (*list == NULL)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
		memcpy((*list)[0], start, sizeof(start));
		*n = 1;
		return mg_buf_puts(how, "the given base");
	}
	if (src->base_ref) {
		error = resolve_branch(g, tip, src->base_ref, err);
		if (error == 0)
			error = mg_git_merge_base(g, start, head, tip, err);
		if (error < 0)
			return error;
		error = mg_buf_printf(how, "the merge-base of the head and %s",
		                      src->base_ref);
	} else {
		error = mg_buf_printf(&rev, "%s^", head);
		if (error == 0 && mg_git_resolve(g, start, rev.ptr, NULL) < 0) {
			/* A root commit has nothing to compare with. */
			mg_buf_release(&rev);
			return mg_buf_puts(how,
			                   "the head's first parent (none)");
		}
		if (error == 0)
			error = mg_buf_puts(how, "the head's first parent");
	}
	mg_buf_release(&rev);
	if (error < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_git_list(g, list, n, start, max, MG_GIT_FIRST_PARENT, err);
	if (error < 0)
		return error;
	/* mg_git_list gives oldest first. */
	for (i = 0; i < *n / 2; i++) {
		mg_oid_hex t;

		memcpy(t, (*list)[i], sizeof(t));
		memcpy((*list)[i], (*list)[*n - 1 - i], sizeof(t));
		memcpy((*list)[*n - 1 - i], t, sizeof(t));
	}
	return 0;
}

static int load_base(mg_compare *c, mg_store *st, mg_git *g,
                     const mg_compare_source *src, const char *head,
                     const char *head_fp, size_t max_runs, mg_err *err)
{
	mg_oid_hex *list = NULL;
	mg_buf how = MG_BUF_INIT(MG_COMPARE_MAX_NOTE);
	struct found cur = {0}, fallback = {0};
	size_t n = 0, i, k, fb_at = 0;
	const char *ref = src->base ? src->base : src->base_ref;
	int error;

	error = candidates(g, src, head, &list, &n, &how, err);
	if (error < 0)
		goto cleanup;
	for (i = 0; i < n; i++) {
		error = mg_store_commit_runs(st, src->project, list[i],
		                             &cur.runs, &cur.nruns, err);
		if (error < 0)
			goto cleanup;
		error = mark_runs(&cur, NULL, &k, err);
		if (error < 0)
			goto cleanup;
		if (k == 0) {
			if (src->base && cur.nruns) {
				/* An explicit base that failed: say so. */
				error = mg_compare__add_failed(
				        c, MG_COMPARE_BASE, cur.runs[0].id,
				        err);
				if (error == 0)
					error = set_side(c, MG_COMPARE_BASE,
					                 list[i], ref, err);
				if (error == 0)
					error = mg_compare_add_note(
					        c, err,
					        "every run of the base commit "
					        "%.12s failed",
					        list[i]);
				goto cleanup;
			}
			found_release(&cur);
			continue;
		}
		if (head_fp[0] != '\0') {
			error = mark_runs(&cur, head_fp, &k, err);
			if (error < 0)
				goto cleanup;
		}
		if (k > 0)
			break;
		/* Ok runs, other environment: remember the nearest. */
		if (fallback.runs == NULL) {
			error = mark_runs(&cur, NULL, &k, err);
			if (error < 0)
				goto cleanup;
			fallback = cur;
			fb_at = i;
			memset(&cur, 0, sizeof(cur));
		} else {
			found_release(&cur);
		}
	}
	if (i < n) {
		error = set_side(c, MG_COMPARE_BASE, list[i], ref, err);
		if (error == 0)
			error = add_runs(c, st, MG_COMPARE_BASE, &cur, max_runs,
			                 err);
		if (error == 0 && i > 0)
			error = mg_compare_add_note(
			        c, err,
			        "base %.12s is %zu commit%s before %s (%.12s) "
			        "on "
			        "its first-parent chain: the nearer ones have "
			        "no "
			        "successful run%s",
			        list[i], i, i == 1 ? "" : "s", how.ptr, list[0],
			        head_fp[0] ? " on the head's environment" : "");
	} else if (fallback.runs) {
		error = set_side(c, MG_COMPARE_BASE, list[fb_at], ref, err);
		if (error == 0)
			error = add_runs(c, st, MG_COMPARE_BASE, &fallback,
			                 max_runs, err);
		if (error == 0)
			error = mg_compare_add_note(
			        c, err,
			        "no run on the head's environment within %zu "
			        "commits of %s: base %.12s (%zu commit%s back) "
			        "was measured on another environment",
			        n, how.ptr, list[fb_at], fb_at,
			        fb_at == 1 ? "" : "s");
	} else {
		if (n)
			error = set_side(c, MG_COMPARE_BASE, list[0], ref, err);
		mg_compare_set_missing(c, MG_COMPARE_BASE);
		if (error == 0)
			error = mg_compare_add_note(
			        c, err,
			        "no successful run of a base within %zu "
			        "commit%s from %s%s%.12s%s",
			        n, n == 1 ? "" : "s", how.ptr, n ? " (" : "",
			        n ? list[0] : "", n ? ")" : "");
	}
cleanup:
	found_release(&cur);
	found_release(&fallback);
	mg_buf_release(&how);
	free(list);
	return error;
}

int mg_compare_load(mg_compare *c, mg_store *st, mg_git *g,
                    const mg_compare_source *src, mg_err *err)
{
	mg_oid_hex head;
	char fp[65];
	size_t max_runs = src->max_runs ? src->max_runs : DEFAULT_MAX_RUNS;
	int error;

	if (max_runs > MG_COMPARE_MAX_RUNS)
		max_runs = MG_COMPARE_MAX_RUNS;
	c->opts.flags |= MG_COMPARE_CANONICAL_ORDER;
	error = mg_git_resolve(g, head, src->head, err);
	if (error < 0)
		return error;
	error = set_side(c, MG_COMPARE_HEAD, head, src->head, err);
	if (error == 0)
		error = load_head(c, st, src->project, head, max_runs, fp, err);
	if (error == 0)
		error = load_base(c, st, g, src, head, fp, max_runs, err);
	return error;
}
