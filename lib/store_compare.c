/*
 * store_compare.c - read queries for `memgate compare`: the runs of a
 * commit with their environments (see the comparison block of store.h).
 */
#include "envinfo.h"
#include "store_int.h"

void mg_commit_run_free(mg_commit_run *runs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mg_envinfo_release(&runs[i].env);
	free(runs);
}

int mg_store_commit_runs(mg_store *st, const char *project, const char *sha,
                         mg_commit_run **out, size_t *n_out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_commit_run *runs = NULL;
	size_t n = 0, cap = 0;
	int rc, error;

	*out = NULL;
	*n_out = 0;
	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT r.id, r.status, r.started_at, e.os, e.kernel, e.arch, "
	        "e.cpu_model, e.cores, e.mem_bytes, e.go_version, "
	        "e.gomaxprocs, e.gogc, e.gomemlimit, e.godebug, e.thp, e.label "
	        "FROM runs r JOIN projects p ON p.id = r.project_id JOIN "
	        "commits c ON c.id = r.commit_id JOIN environments e ON e.id = "
	        "r.environment_id WHERE p.name = ?1 AND c.sha = ?2 ORDER BY "
	        "r.id DESC LIMIT ?3",
	        err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, project);
	mg_store__bind_text(stmt, 2, sha);
	sqlite3_bind_int(stmt, 3, MG_STORE_MAX_COMMIT_RUNS);
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		mg_commit_run *r;
		const char *status;

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			mg_commit_run *nr = realloc(runs, ncap * sizeof(*nr));

			if (nr == NULL)
				goto oom;
			runs = nr;
			cap = ncap;
		}
		r = &runs[n++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(stmt, 0);
		status = (const char *)sqlite3_column_text(stmt, 1);
		r->status = status && strcmp(status, "ok") == 0 ? MG_RUN_OK
		                                                : MG_RUN_FAILED;
		r->started_at = sqlite3_column_int64(stmt, 2);
		r->env.cores = sqlite3_column_int64(stmt, 7);
		r->env.mem_bytes = sqlite3_column_int64(stmt, 8);
		if (mg_store__col_str(&r->env.os, stmt, 3) < 0 ||
		    mg_store__col_str(&r->env.kernel, stmt, 4) < 0 ||
		    mg_store__col_str(&r->env.arch, stmt, 5) < 0 ||
		    mg_store__col_str(&r->env.cpu_model, stmt, 6) < 0 ||
		    mg_store__col_str(&r->env.go_version, stmt, 9) < 0 ||
		    mg_store__col_str(&r->env.gomaxprocs, stmt, 10) < 0 ||
		    mg_store__col_str(&r->env.gogc, stmt, 11) < 0 ||
		    mg_store__col_str(&r->env.gomemlimit, stmt, 12) < 0 ||
		    mg_store__col_str(&r->env.godebug, stmt, 13) < 0 ||
		    mg_store__col_str(&r->env.thp, stmt, 14) < 0 ||
		    mg_store__col_str(&r->env.label, stmt, 15) < 0)
			goto oom;
	}
	if (rc < 0) {
		error = rc;
		goto fail;
	}
	sqlite3_finalize(stmt);
	*out = runs;
	*n_out = n;
	return 0;
oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory listing runs");
fail:
	sqlite3_finalize(stmt);
	mg_commit_run_free(runs, n);
	return error;
}

int mg_store_commit_has_runs(mg_store *st, const char *project, const char *sha,
                             bool *any, bool *ok, mg_err *err)
{
	mg_commit_run *runs = NULL;
	size_t n = 0, i;
	int error;

	*any = *ok = false;
	error = mg_store_commit_runs(st, project, sha, &runs, &n, err);
	for (i = 0; error == 0 && i < n; i++)
		if (runs[i].status == MG_RUN_OK)
			*ok = true;
	*any = error == 0 && n > 0;
	mg_commit_run_free(runs, n);
	return error;
}
