/*
 * store_notify.c - comparisons, pull requests, webhook deliveries and
 * webhook-reported commits (see store_notify.h).
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "store_notify.h"

static int project_id(mg_store *st, const char *name, int64_t *id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__prepare(
	        st, &stmt, "SELECT id FROM projects WHERE name = ?1", err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, name);
	error = mg_store__step(st, stmt, err);
	if (error == SQLITE_ROW)
		*id = sqlite3_column_int64(stmt, 0);
	else if (error == SQLITE_DONE)
		error = mg_err_set(err, MG_ENOTFOUND, "unknown project '%s'",
		                   name);
	sqlite3_finalize(stmt);
	return error < 0 ? error : 0;
}

/* The id of commit sha, 0 when not stored. */
static int commit_id(mg_store *st, int64_t project, const char *sha,
                     int64_t *id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	*id = 0;
	error = mg_store__prepare(st, &stmt,
	                          "SELECT id FROM commits WHERE project_id = "
	                          "?1 AND sha = ?2",
	                          err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, project);
	mg_store__bind_text(stmt, 2, sha);
	error = mg_store__step(st, stmt, err);
	if (error == SQLITE_ROW)
		*id = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return error < 0 ? error : 0;
}

int mg_store_comparison_add(mg_store *st, const mg_comparison_row *row,
                            int64_t *id_out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int64_t pid, head = 0, base = 0;
	int error;

	error = project_id(st, row->project, &pid, err);
	if (error == 0)
		error = commit_id(st, pid, row->head_sha, &head, err);
	if (error == 0 && head == 0)
		error = mg_err_set(err, MG_ENOTFOUND, "unknown commit '%s'",
		                   row->head_sha);
	if (error == 0 && row->base_sha)
		error = commit_id(st, pid, row->base_sha, &base, err);
	if (error == 0)
		error = mg_store__prepare(
		        st, &stmt,
		        "INSERT INTO comparisons(project_id, base_commit_id, "
		        "head_commit_id, head_run_id, pr_number, verdict, "
		        "regressions, improvements, summary, result_json, "
		        "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
		        "?9, ?10, ?11)",
		        err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, pid);
	if (base)
		sqlite3_bind_int64(stmt, 2, base);
	sqlite3_bind_int64(stmt, 3, head);
	if (row->head_run_id)
		sqlite3_bind_int64(stmt, 4, row->head_run_id);
	if (row->pr_number)
		sqlite3_bind_int64(stmt, 5, row->pr_number);
	mg_store__bind_text(stmt, 6, row->verdict);
	sqlite3_bind_int64(stmt, 7, row->regressions);
	sqlite3_bind_int64(stmt, 8, row->improvements);
	mg_store__bind_text(stmt, 9, row->summary);
	mg_store__bind_text(stmt, 10, row->result_json);
	sqlite3_bind_int64(stmt, 11, row->created_at);
	error = mg_store__exec_stmt(st, stmt, err);
	sqlite3_finalize(stmt);
	if (error == 0 && id_out)
		*id_out = sqlite3_last_insert_rowid(st->db);
	return error;
}

int mg_store_comparison_changes(mg_store *st, const char *project,
                                int64_t number, int64_t *out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	*out = 0;
	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT count(*) FROM comparisons c JOIN projects p ON "
	        "p.id = c.project_id WHERE p.name = ?1 AND c.pr_number = ?2 "
	        "AND c.verdict IN ('regression', 'improvement')",
	        err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, project);
	sqlite3_bind_int64(stmt, 2, number);
	error = mg_store__step(st, stmt, err);
	if (error == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return error < 0 ? error : 0;
}

int mg_store_webhook_claim(mg_store *st, const char *id, const char *event,
                           int64_t now_ms, bool *fresh, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	*fresh = false;
	error = mg_store__prepare(st, &stmt,
	                          "INSERT OR IGNORE INTO webhook_deliveries("
	                          "delivery_id, event, received_at) VALUES "
	                          "(?1, ?2, ?3)",
	                          err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, id);
	mg_store__bind_text(stmt, 2, event);
	sqlite3_bind_int64(stmt, 3, now_ms);
	error = mg_store__exec_stmt(st, stmt, err);
	if (error == 0)
		*fresh = sqlite3_changes(st->db) > 0;
	sqlite3_finalize(stmt);
	return error;
}

int mg_store_pr_put(mg_store *st, const char *project, int64_t number,
                    const char *head_sha, const char *base_sha,
                    const char *base_ref, int64_t now_ms, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int64_t pid;
	int error;

	error = project_id(st, project, &pid, err);
	if (error == 0)
		error = mg_store__prepare(
		        st, &stmt,
		        "INSERT INTO pull_requests(project_id, number, "
		        "head_sha, base_sha, base_ref, updated_at) VALUES "
		        "(?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO UPDATE SET "
		        "head_sha = excluded.head_sha, base_sha = "
		        "excluded.base_sha, base_ref = excluded.base_ref, "
		        "updated_at = excluded.updated_at",
		        err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, pid);
	sqlite3_bind_int64(stmt, 2, number);
	mg_store__bind_text(stmt, 3, head_sha);
	mg_store__bind_text(stmt, 4, base_sha);
	mg_store__bind_text(stmt, 5, base_ref);
	sqlite3_bind_int64(stmt, 6, now_ms);
	error = mg_store__exec_stmt(st, stmt, err);
	sqlite3_finalize(stmt);
	return error;
}

int mg_store_pr_base(mg_store *st, const char *project, int64_t number,
                     char base_sha[MG_SHA_HEX + 1], char **base_ref,
                     mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	const char *s;
	int error;

	base_sha[0] = '\0';
	*base_ref = NULL;
	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT r.base_sha, r.base_ref FROM pull_requests r JOIN "
	        "projects p ON p.id = r.project_id WHERE p.name = ?1 AND "
	        "r.number = ?2",
	        err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, project);
	sqlite3_bind_int64(stmt, 2, number);
	error = mg_store__step(st, stmt, err);
	if (error == SQLITE_DONE)
		error = mg_err_set(err, MG_ENOTFOUND,
		                   "pull request %lld not recorded",
		                   (long long)number);
	if (error == SQLITE_ROW) {
		error = 0;
		s = (const char *)sqlite3_column_text(stmt, 0);
		if (s && strlen(s) == MG_SHA_HEX)
			memcpy(base_sha, s, MG_SHA_HEX + 1);
		s = (const char *)sqlite3_column_text(stmt, 1);
		if (s) {
			*base_ref = strdup(s);
			if (*base_ref == NULL)
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
		}
	}
	sqlite3_finalize(stmt);
	return error;
}

int mg_store_commit_seen(mg_store *st, const char *project, const char *sha,
                         const char *parent, const char *branch,
                         int64_t commit_time, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int64_t pid, cid = 0;
	int error;

	error = project_id(st, project, &pid, err);
	if (error == 0)
		error = mg_store__prepare(st, &stmt,
		                          "INSERT OR IGNORE INTO commits("
		                          "project_id, sha, commit_time) "
		                          "VALUES (?1, ?2, ?3)",
		                          err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, pid);
	mg_store__bind_text(stmt, 2, sha);
	sqlite3_bind_int64(stmt, 3, commit_time);
	error = mg_store__exec_stmt(st, stmt, err);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (error == 0)
		error = commit_id(st, pid, sha, &cid, err);
	if (error == 0 && parent)
		error = mg_store__prepare(
		        st, &stmt,
		        "INSERT OR IGNORE INTO commit_parents("
		        "commit_id, idx, parent_sha) VALUES "
		        "(?1, 0, ?2)",
		        err);
	if (error == 0 && parent) {
		sqlite3_bind_int64(stmt, 1, cid);
		mg_store__bind_text(stmt, 2, parent);
		error = mg_store__exec_stmt(st, stmt, err);
		sqlite3_finalize(stmt);
		stmt = NULL;
	}
	if (error == 0 && branch)
		error = mg_store__prepare(
		        st, &stmt,
		        "INSERT OR IGNORE INTO commit_branches("
		        "commit_id, branch) VALUES (?1, ?2)",
		        err);
	if (error == 0 && branch) {
		sqlite3_bind_int64(stmt, 1, cid);
		mg_store__bind_text(stmt, 2, branch);
		error = mg_store__exec_stmt(st, stmt, err);
		sqlite3_finalize(stmt);
	}
	return error;
}

int mg_store_open_regressions(mg_store *st, const char *project, int64_t *out,
                              mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int64_t pid;
	int rc, error;

	error = project_id(st, project, &pid, err);
	if (error == 0)
		error = mg_store__prepare(
		        st, &stmt,
		        "SELECT count(*) FROM comparisons c WHERE c.project_id "
		        "= "
		        "?1 AND c.pr_number IS NOT NULL AND c.verdict = "
		        "'regression' AND c.id = (SELECT max(c2.id) FROM "
		        "comparisons c2 WHERE c2.project_id = c.project_id AND "
		        "c2.pr_number = c.pr_number)",
		        err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, pid);
	rc = mg_store__step(st, stmt, err);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(stmt, 0);
	else
		error = rc < 0 ? rc : MG_EINTERNAL;
	sqlite3_finalize(stmt);
	return error;
}
