/*
 * store_ab.c - paired A/B sessions (`memgate ab`) and the noise floors
 * their A/A form measures. A session is stored with both of its runs in
 * one transaction: a pairing that points at half a session is never
 * visible.
 */
#include <math.h>

#include "buf.h"
#include "store_int.h"

/* The project and environment rows a stored run points at. */
static int run_refs(mg_store *st, int64_t run_id, int64_t *project_id,
                    int64_t *env_id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error, rc;

	error = mg_store__prepare(st, &stmt,
	                          "SELECT project_id, environment_id FROM runs "
	                          "WHERE id = ?1",
	                          err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, run_id);
	rc = mg_store__step(st, stmt, err);
	if (rc == SQLITE_ROW) {
		*project_id = sqlite3_column_int64(stmt, 0);
		*env_id = sqlite3_column_int64(stmt, 1);
		error = 0;
	} else {
		error = rc < 0 ? rc
		               : mg_err_set(err, MG_EINTERNAL,
		                            "run %lld vanished while stored",
		                            (long long)run_id);
	}
	sqlite3_finalize(stmt);
	return error;
}

static int put_session(mg_store *st, const mg_ab_session *s, int64_t project_id,
                       const int64_t ids[2], int64_t *session_id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__prepare(
	        st, &stmt,
	        "INSERT INTO ab_sessions(project_id, base_run_id, head_run_id, "
	        "rounds, confirm_rounds, aa, created_at) VALUES (?1, ?2, ?3, "
	        "?4, ?5, ?6, ?7)",
	        err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, project_id);
	sqlite3_bind_int64(stmt, 2, ids[0]);
	sqlite3_bind_int64(stmt, 3, ids[1]);
	sqlite3_bind_int64(stmt, 4, s->rounds);
	sqlite3_bind_int64(stmt, 5, s->confirm_rounds);
	sqlite3_bind_int(stmt, 6, s->aa);
	sqlite3_bind_int64(stmt, 7, mg_store__now_ms());
	error = mg_store__exec_stmt(st, stmt, err);
	sqlite3_finalize(stmt);
	if (error == 0)
		*session_id = sqlite3_last_insert_rowid(st->db);
	return error;
}

static int put_floors(mg_store *st, const mg_run *head, const mg_ab_session *s,
                      int64_t project_id, int64_t env_id, int64_t session_id,
                      mg_err *err)
{
	sqlite3_stmt *put = NULL;
	size_t i;
	int error;

	/* The benchmark rows exist: the head run was stored just before. */
	error = mg_store__prepare(
	        st, &put,
	        "INSERT INTO noise_floors(benchmark_id, unit, session_id, "
	        "environment_id, n, center, rel) SELECT id, ?5, ?6, ?7, ?8, "
	        "?9, ?10 FROM benchmarks WHERE project_id = ?1 AND package = "
	        "?2 AND name = ?3 AND procs = ?4",
	        err);
	for (i = 0; error == 0 && i < s->nfloors; i++) {
		const mg_ab_floor *f = &s->floors[i];
		const mg_bench *b = &head->benches[f->bench];

		sqlite3_reset(put);
		sqlite3_bind_int64(put, 1, project_id);
		mg_store__bind_text(put, 2, b->package ? b->package : "");
		mg_store__bind_text(put, 3, b->name);
		sqlite3_bind_int(put, 4, b->procs);
		mg_store__bind_text(put, 5, f->unit);
		sqlite3_bind_int64(put, 6, session_id);
		sqlite3_bind_int64(put, 7, env_id);
		sqlite3_bind_int64(put, 8, f->n);
		sqlite3_bind_double(put, 9, f->center);
		sqlite3_bind_double(put, 10, f->rel);
		error = mg_store__exec_stmt(st, put, err);
		if (error == 0 && sqlite3_changes(st->db) != 1)
			error = mg_err_set(
			        err, MG_EINTERNAL,
			        "noise floor %zu: benchmark '%.200s' "
			        "not stored",
			        i, b->name);
	}
	sqlite3_finalize(put);
	return error;
}

static int check_session(const mg_run *base, const mg_run *head,
                         const mg_ab_session *s, mg_err *err)
{
	size_t i;
	int error;

	if ((error = mg_run_validate(base, err)) < 0) {
		mg_err_prefix(err, "base run");
		return error;
	}
	if ((error = mg_run_validate(head, err)) < 0) {
		mg_err_prefix(err, "head run");
		return error;
	}
	if (strcmp(base->project, head->project) != 0)
		return mg_err_set(err, MG_EINPUT,
		                  "the base and head runs belong to different "
		                  "projects ('%.200s', '%.200s')",
		                  base->project, head->project);
	if (s->rounds < 0 || s->confirm_rounds < 0)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'rounds': expected a count >= 0");
	for (i = 0; i < s->nfloors; i++) {
		const mg_ab_floor *f = &s->floors[i];

		if (f->bench >= head->nbenches)
			return mg_err_set(err, MG_EINPUT,
			                  "field 'floors[%zu].bench': no "
			                  "benchmark %zu in the head run",
			                  i, f->bench);
		if (!isfinite(f->rel) || f->rel < 0 || !isfinite(f->center))
			return mg_err_set(err, MG_EINPUT,
			                  "field 'floors[%zu].rel': expected a "
			                  "finite fraction >= 0",
			                  i);
		if ((error = mg_run_check_unit(f->unit, "floors[].unit", err)) <
		    0)
			return error;
	}
	return 0;
}

int mg_store_add_ab(mg_store *st, const mg_run *base, const mg_run *head,
                    const mg_ab_session *s, int64_t ids[3], mg_err *err)
{
	int64_t project_id = 0, env_id = 0, run_ids[2] = {0, 0};
	bool existed;
	int error;

	error = check_session(base, head, s, err);
	if (error < 0)
		return error;
	error = mg_store_begin(st, err);
	if (error < 0)
		return error;
	if ((error = mg_store__put_run(st, base, &run_ids[0], &existed, err)) <
	            0 ||
	    (error = mg_store__put_run(st, head, &run_ids[1], &existed, err)) <
	            0 ||
	    (error = run_refs(st, run_ids[1], &project_id, &env_id, err)) < 0 ||
	    (error = put_session(st, s, project_id, run_ids, &ids[2], err)) <
	            0 ||
	    (error = put_floors(st, head, s, project_id, env_id, ids[2], err)) <
	            0) {
		mg_store_rollback(st);
		return error;
	}
	error = mg_store_commit(st, err);
	if (error < 0)
		return error;
	ids[0] = run_ids[0];
	ids[1] = run_ids[1];
	return 0;
}

int mg_store_noise_floors(mg_store *st, const char *project, const mg_env *env,
                          mg_store_floor_cb cb, void *ctx, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	char key[65] = "";
	int64_t last_bench = -1;
	char *last_unit = NULL;
	int error, rc;

	if (env && mg_store__env_key(key, env) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	/*
	 * Newest first within each benchmark and unit, the runner's own
	 * environment before any other: the first row of each group wins.
	 */
	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT f.benchmark_id, f.unit, b.package, b.name, b.procs, "
	        "f.rel, e.fingerprint = ?2 FROM projects p JOIN benchmarks b "
	        "ON b.project_id = p.id JOIN noise_floors f ON f.benchmark_id "
	        "= b.id JOIN environments e ON e.id = f.environment_id WHERE "
	        "p.name = ?1 ORDER BY f.benchmark_id, f.unit, 7 DESC, "
	        "f.session_id DESC",
	        err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, project);
	mg_store__bind_text(stmt, 2, key);
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		int64_t bench = sqlite3_column_int64(stmt, 0);
		const char *unit = (const char *)sqlite3_column_text(stmt, 1);

		if (bench == last_bench && last_unit && unit &&
		    strcmp(unit, last_unit) == 0)
			continue;
		free(last_unit);
		last_bench = bench;
		last_unit = unit ? mg_strdup(unit) : NULL;
		if (unit && last_unit == NULL) {
			rc = mg_err_set(err, MG_ENOMEM, "out of memory");
			break;
		}
		rc = cb(ctx, (const char *)sqlite3_column_text(stmt, 2),
		        (const char *)sqlite3_column_text(stmt, 3),
		        sqlite3_column_int(stmt, 4), unit,
		        sqlite3_column_double(stmt, 5),
		        env != NULL && sqlite3_column_int(stmt, 6) != 0);
		if (rc < 0)
			break;
	}
	free(last_unit);
	sqlite3_finalize(stmt);
	return rc < 0 ? rc : 0;
}
