/*
 * store_ab.c - paired A/B sessions (`memgate ab`) and the noise floors
 * their A/A form measures. Locally a session is stored with both of its
 * runs in one transaction, so a pairing never points at half a session;
 * on the server the runs arrive one by one (POST /api/v1/runs) and the
 * session links them afterwards by their idempotency keys.
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

/*
 * Find the session pairing the same runs (*existed), or insert it. The
 * caller holds the write transaction, so nothing comes between the two.
 */
static int put_session(mg_store *st, const mg_ab_session *s, int64_t project_id,
                       const int64_t ids[2], int64_t *session_id, bool *existed,
                       mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__prepare(st, &stmt,
	                          "SELECT id FROM ab_sessions WHERE "
	                          "base_run_id = ?1 AND head_run_id = ?2",
	                          err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, ids[0]);
	sqlite3_bind_int64(stmt, 2, ids[1]);
	error = mg_store__select_id(st, stmt, session_id, err);
	sqlite3_finalize(stmt);
	*existed = error == 0;
	if (error != MG_ENOTFOUND)
		return error;
	error = mg_store__prepare(
	        st, &stmt,
	        "INSERT INTO ab_sessions(project_id, base_run_id, head_run_id, "
	        "rounds, confirm_rounds, aa, created_at) VALUES (?1, ?2, ?3, "
	        "?4, ?5, ?6, ?7) RETURNING id",
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
	error = mg_store__select_id(st, stmt, session_id, err);
	sqlite3_finalize(stmt);
	return error;
}

static int put_floors(mg_store *st, const mg_ab_session *s, int64_t project_id,
                      int64_t env_id, int64_t session_id, mg_err *err)
{
	sqlite3_stmt *put = NULL;
	size_t i;
	int error;

	/* The benchmarks exist if the head run measured them. */
	error = mg_store__prepare(
	        st, &put,
	        "INSERT INTO noise_floors(benchmark_id, unit, session_id, "
	        "environment_id, n, center, rel) SELECT id, ?5, ?6, ?7, ?8, "
	        "?9, ?10 FROM benchmarks WHERE project_id = ?1 AND package = "
	        "?2 AND name = ?3 AND procs = ?4",
	        err);
	for (i = 0; error == 0 && i < s->nfloors; i++) {
		const mg_ab_floor *f = &s->floors[i];

		sqlite3_reset(put);
		sqlite3_bind_int64(put, 1, project_id);
		mg_store__bind_text(put, 2, f->package ? f->package : "");
		mg_store__bind_text(put, 3, f->name);
		sqlite3_bind_int(put, 4, f->procs);
		mg_store__bind_text(put, 5, f->unit);
		sqlite3_bind_int64(put, 6, session_id);
		sqlite3_bind_int64(put, 7, env_id);
		sqlite3_bind_int64(put, 8, f->n);
		sqlite3_bind_double(put, 9, f->center);
		sqlite3_bind_double(put, 10, f->rel);
		error = mg_store__exec_stmt(st, put, err);
		if (error == 0 && sqlite3_changes(st->db) != 1)
			error = mg_err_set(err, MG_EINPUT,
			                   "field 'floors[%zu].name': no "
			                   "benchmark '%.200s' (procs %d) in "
			                   "the project",
			                   i, f->name, f->procs);
	}
	sqlite3_finalize(put);
	return error;
}

int mg_ab_session_validate(const mg_ab_session *s, mg_err *err)
{
	char field[64];
	size_t i;
	int error;

	if (s->rounds < 0 || s->rounds > MG_AB_MAX_ROUNDS)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'rounds': expected 0 to %d, got %lld",
		                  MG_AB_MAX_ROUNDS, (long long)s->rounds);
	if (s->confirm_rounds < 0 || s->confirm_rounds > MG_AB_MAX_ROUNDS)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'confirm_rounds': expected 0 to %d, "
		                  "got %lld",
		                  MG_AB_MAX_ROUNDS,
		                  (long long)s->confirm_rounds);
	if (s->nfloors > MG_AB_MAX_FLOORS)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'floors': more than %zu",
		                  MG_AB_MAX_FLOORS);
	for (i = 0; i < s->nfloors; i++) {
		const mg_ab_floor *f = &s->floors[i];

		if (f->name == NULL || f->name[0] == '\0' ||
		    strlen(f->name) > MG_RUN_MAX_STR ||
		    (f->package && strlen(f->package) > MG_RUN_MAX_STR))
			return mg_err_set(
			        err, MG_EINPUT,
			        "field 'floors[%zu].name': expected a "
			        "benchmark name",
			        i);
		if (f->procs < 0 || f->n < 0)
			return mg_err_set(err, MG_EINPUT,
			                  "field 'floors[%zu].%s': expected a "
			                  "count >= 0",
			                  i, f->procs < 0 ? "procs" : "n");
		if (!isfinite(f->rel) || f->rel < 0 || !isfinite(f->center))
			return mg_err_set(err, MG_EINPUT,
			                  "field 'floors[%zu].rel': expected a "
			                  "finite fraction >= 0",
			                  i);
		snprintf(field, sizeof(field), "floors[%zu].unit", i);
		error = mg_run_check_unit(f->unit ? f->unit : "", field, err);
		if (error < 0)
			return error;
	}
	return 0;
}

/* The session and its floors, once both runs are stored. */
static int put_pairing(mg_store *st, const mg_ab_session *s,
                       const int64_t run_ids[2], int64_t ids[3], bool *existed,
                       mg_err *err)
{
	int64_t project_id = 0, env_id = 0, base_project = 0, base_env = 0;
	int error;

	if ((error = run_refs(st, run_ids[0], &base_project, &base_env, err)) <
	            0 ||
	    (error = run_refs(st, run_ids[1], &project_id, &env_id, err)) < 0)
		return error;
	if (base_project != project_id)
		return mg_err_set(err, MG_EINPUT,
		                  "the base and head runs belong to different "
		                  "projects");
	error = put_session(st, s, project_id, run_ids, &ids[2], existed, err);
	if (error == 0 && !*existed)
		error = put_floors(st, s, project_id, env_id, ids[2], err);
	if (error == 0) {
		ids[0] = run_ids[0];
		ids[1] = run_ids[1];
	}
	return error;
}

int mg_store_add_ab(mg_store *st, const mg_run *base, const mg_run *head,
                    const mg_ab_session *s, int64_t ids[3], mg_err *err)
{
	int64_t run_ids[2] = {0, 0};
	bool existed;
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
	error = mg_ab_session_validate(s, err);
	if (error < 0)
		return error;
	error = mg_store_begin(st, err);
	if (error < 0)
		return error;
	if ((error = mg_store__put_run(st, base, NULL, &run_ids[0], &existed,
	                               err)) < 0 ||
	    (error = mg_store__put_run(st, head, NULL, &run_ids[1], &existed,
	                               err)) < 0 ||
	    (error = put_pairing(st, s, run_ids, ids, &existed, err)) < 0) {
		mg_store_rollback(st);
		return error;
	}
	return mg_store_commit(st, err);
}

/* A run of `project` by its idempotency key; MG_ENOTFOUND if none. */
static int run_by_key(mg_store *st, const char *project, const char *key,
                      const char *field, int64_t *id, mg_err *err)
{
	int error = mg_store__run_by_key(st, project, key, id, err);

	if (error == MG_ENOTFOUND)
		return mg_err_set(err, MG_ENOTFOUND,
		                  "field '%s': no run with idempotency key "
		                  "'%.64s' in project '%.200s' (yet)",
		                  field, key, project);
	return error;
}

int mg_store_link_ab(mg_store *st, const char *project, const char *base_key,
                     const char *head_key, const mg_ab_session *s,
                     int64_t ids[3], bool *existed, mg_err *err)
{
	int64_t run_ids[2] = {0, 0};
	int error;

	*existed = false;
	error = mg_ab_session_validate(s, err);
	if (error < 0)
		return error;
	error = mg_store_begin(st, err);
	if (error < 0)
		return error;
	if ((error = run_by_key(st, project, base_key, "base_run_key",
	                        &run_ids[0], err)) < 0 ||
	    (error = run_by_key(st, project, head_key, "head_run_key",
	                        &run_ids[1], err)) < 0 ||
	    (error = put_pairing(st, s, run_ids, ids, existed, err)) < 0) {
		mg_store_rollback(st);
		return error;
	}
	if (*existed) {
		mg_store_rollback(st); /* nothing was written */
		return 0;
	}
	return mg_store_commit(st, err);
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
