/*
 * store_run.c - ingest of a whole run in one transaction, and loading it
 * back. Validation happens before the transaction starts, so bad input
 * is refused with a message naming the field and nothing is written;
 * a failure in the middle (disk, constraint, injected fault) rolls the
 * whole run back.
 */
#include <openssl/evp.h>

#include "buf.h"
#include "store_int.h"

static void sha256_hex(char out[65], const void *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;
	int i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/*
 * Identical environments share a row: the key hashes every field, with a
 * separator that cannot occur in them and a marker for NULL.
 */
int mg_store__env_key(char out[65], const mg_env *e)
{
	const char *fields[] = {e->os,        e->kernel,     e->arch,
	                        e->cpu_model, e->go_version, e->gomaxprocs,
	                        e->gogc,      e->gomemlimit, e->godebug,
	                        e->thp,       e->label};
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t i;
	int error = 0;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]) && error == 0; i++)
		error = fields[i] ? mg_buf_printf(&b, "%s%c", fields[i], 0x1f)
		                  : mg_buf_printf(&b, "%c%c", 0x1e, 0x1f);
	if (error == 0)
		error = mg_buf_printf(&b, "%lld%c%lld", (long long)e->cores,
		                      0x1f, (long long)e->mem_bytes);
	if (error == 0)
		sha256_hex(out, b.ptr, b.len);
	mg_buf_release(&b);
	return error;
}

/* Run a one-row "SELECT id ..." prepared statement; MG_ENOTFOUND if none. */
static int select_id(mg_store *st, sqlite3_stmt *stmt, int64_t *id, mg_err *err)
{
	int rc = mg_store__step(st, stmt, err);

	if (rc < 0)
		return rc;
	if (rc != SQLITE_ROW)
		return MG_ENOTFOUND;
	*id = sqlite3_column_int64(stmt, 0);
	return 0;
}

int mg_store_project_ensure(mg_store *st, const char *name,
                            const char *clone_url, const char *default_branch,
                            int64_t *id_out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__prepare(st, &stmt,
	                          "INSERT INTO projects(name, clone_url, "
	                          "default_branch, created_at) VALUES "
	                          "(?1, ?2, coalesce(?3, 'main'), ?4) "
	                          "ON CONFLICT(name) DO UPDATE SET clone_url = "
	                          "coalesce(projects.clone_url, excluded."
	                          "clone_url) RETURNING id",
	                          err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, name);
	mg_store__bind_text(stmt, 2, clone_url);
	mg_store__bind_text(stmt, 3, default_branch);
	sqlite3_bind_int64(stmt, 4, mg_store__now_ms());
	error = select_id(st, stmt, id_out, err);
	if (error == MG_ENOTFOUND)
		error = mg_err_set(err, MG_EINTERNAL, "project insert: no id");
	sqlite3_finalize(stmt);
	return error;
}

static int find_idempotent(mg_store *st, const mg_run *run, int64_t *id,
                           mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__prepare(st, &stmt,
	                          "SELECT r.id FROM runs r JOIN projects p ON "
	                          "p.id = r.project_id WHERE p.name = ?1 AND "
	                          "r.idempotency_key = ?2",
	                          err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, run->project);
	mg_store__bind_text(stmt, 2, run->idempotency_key);
	error = select_id(st, stmt, id, err);
	sqlite3_finalize(stmt);
	return error;
}

static int put_commit(mg_store *st, int64_t project_id, const mg_run *run,
                      int64_t *commit_id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t i;
	int error;

	/* A commit seen again keeps what was first stored, fills gaps. */
	error = mg_store__prepare(
	        st, &stmt,
	        "INSERT INTO commits(project_id, sha, author, "
	        "commit_time, subject) VALUES (?1, ?2, ?3, "
	        "?4, ?5) ON CONFLICT(project_id, sha) DO "
	        "UPDATE SET author = coalesce(commits.author, "
	        "excluded.author), subject = coalesce("
	        "commits.subject, excluded.subject) "
	        "RETURNING id",
	        err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, project_id);
	mg_store__bind_text(stmt, 2, run->commit.sha);
	mg_store__bind_text(stmt, 3, run->commit.author);
	sqlite3_bind_int64(stmt, 4, run->commit.commit_time);
	mg_store__bind_text(stmt, 5, run->commit.subject);
	error = select_id(st, stmt, commit_id, err);
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (error < 0)
		return error == MG_ENOTFOUND ? MG_EINTERNAL : error;

	error = mg_store__prepare(st, &stmt,
	                          "INSERT OR IGNORE INTO commit_parents("
	                          "commit_id, idx, parent_sha) VALUES (?1, ?2, "
	                          "?3)",
	                          err);
	for (i = 0; error == 0 && i < run->commit.nparents; i++) {
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, *commit_id);
		sqlite3_bind_int64(stmt, 2, (int64_t)i);
		mg_store__bind_text(stmt, 3, run->commit.parents[i]);
		error = mg_store__exec_stmt(st, stmt, err);
	}
	sqlite3_finalize(stmt);
	stmt = NULL;
	if (error < 0 || run->branch == NULL)
		return error;

	error = mg_store__prepare(st, &stmt,
	                          "INSERT OR IGNORE INTO commit_branches("
	                          "commit_id, branch) VALUES (?1, ?2)",
	                          err);
	if (error == 0) {
		sqlite3_bind_int64(stmt, 1, *commit_id);
		mg_store__bind_text(stmt, 2, run->branch);
		error = mg_store__exec_stmt(st, stmt, err);
	}
	sqlite3_finalize(stmt);
	return error;
}

static int put_env(mg_store *st, const mg_env *e, int64_t *env_id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	char key[65];
	int error;

	if (mg_store__env_key(key, e) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_store__prepare(
	        st, &stmt,
	        "INSERT INTO environments(fingerprint, os, kernel, arch, "
	        "cpu_model, cores, mem_bytes, go_version, gomaxprocs, gogc, "
	        "gomemlimit, godebug, thp, label) VALUES (?1, ?2, ?3, ?4, ?5, "
	        "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT("
	        "fingerprint) DO UPDATE SET os = os RETURNING id",
	        err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, key);
	mg_store__bind_text(stmt, 2, e->os);
	mg_store__bind_text(stmt, 3, e->kernel);
	mg_store__bind_text(stmt, 4, e->arch);
	mg_store__bind_text(stmt, 5, e->cpu_model);
	sqlite3_bind_int64(stmt, 6, e->cores);
	sqlite3_bind_int64(stmt, 7, e->mem_bytes);
	mg_store__bind_text(stmt, 8, e->go_version);
	mg_store__bind_text(stmt, 9, e->gomaxprocs);
	mg_store__bind_text(stmt, 10, e->gogc);
	mg_store__bind_text(stmt, 11, e->gomemlimit);
	mg_store__bind_text(stmt, 12, e->godebug);
	mg_store__bind_text(stmt, 13, e->thp);
	mg_store__bind_text(stmt, 14, e->label);
	error = select_id(st, stmt, env_id, err);
	sqlite3_finalize(stmt);
	return error == MG_ENOTFOUND ? MG_EINTERNAL : error;
}

static int put_run_row(mg_store *st, const mg_run *run, int64_t project_id,
                       int64_t commit_id, int64_t env_id, int64_t *run_id,
                       mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__prepare(
	        st, &stmt,
	        "INSERT INTO runs(project_id, commit_id, environment_id, "
	        "branch, dirty, pr_number, base_ref, base_sha, started_at, "
	        "ended_at, build_cmd, bench_cmd, exit_status, wall_ns, "
	        "peak_rss_bytes, status, log_tail, idempotency_key, "
	        "stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) RETURNING id",
	        err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, project_id);
	sqlite3_bind_int64(stmt, 2, commit_id);
	sqlite3_bind_int64(stmt, 3, env_id);
	mg_store__bind_text(stmt, 4, run->branch);
	sqlite3_bind_int(stmt, 5, run->dirty ? 1 : 0);
	if (run->pr_number > 0)
		sqlite3_bind_int64(stmt, 6, run->pr_number);
	mg_store__bind_text(stmt, 7, run->base_ref);
	mg_store__bind_text(stmt, 8, run->base_sha);
	sqlite3_bind_int64(stmt, 9, run->started_at);
	sqlite3_bind_int64(stmt, 10, run->ended_at);
	mg_store__bind_text(stmt, 11, run->build_cmd);
	mg_store__bind_text(stmt, 12, run->bench_cmd);
	sqlite3_bind_int(stmt, 13, run->exit_status);
	sqlite3_bind_int64(stmt, 14, run->wall_ns);
	sqlite3_bind_int64(stmt, 15, run->peak_rss);
	mg_store__bind_text(stmt, 16,
	                    run->status == MG_RUN_OK ? "ok" : "failed");
	mg_store__bind_text(stmt, 17, run->log_tail);
	mg_store__bind_text(stmt, 18, run->idempotency_key);
	sqlite3_bind_int64(stmt, 19, mg_store__now_ms());
	error = select_id(st, stmt, run_id, err);
	sqlite3_finalize(stmt);
	return error == MG_ENOTFOUND ? MG_EINTERNAL : error;
}

/* Benchmarks, their configuration in this run, then every sample. */
static int put_samples(mg_store *st, const mg_run *run, int64_t project_id,
                       int64_t run_id, mg_err *err)
{
	sqlite3_stmt *bench = NULL, *config = NULL, *sample = NULL;
	int64_t *ids = NULL;
	size_t i, j;
	int error;

	if (run->nbenches == 0)
		return 0;
	ids = calloc(run->nbenches, sizeof(*ids));
	if (ids == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if ((error = mg_store__prepare(
	             st, &bench,
	             "INSERT INTO benchmarks(project_id, package, name, procs) "
	             "VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET "
	             "procs = procs RETURNING id",
	             err)) < 0 ||
	    (error = mg_store__prepare(
	             st, &config,
	             "INSERT INTO run_benchmark_config(run_id, benchmark_id, "
	             "key, value) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO "
	             "UPDATE SET value = excluded.value",
	             err)) < 0 ||
	    (error = mg_store__prepare(
	             st, &sample,
	             "INSERT INTO samples(run_id, benchmark_id, unit, seq, "
	             "value, iterations) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	             err)) < 0)
		goto cleanup;

	for (i = 0; i < run->nbenches; i++) {
		const mg_bench *b = &run->benches[i];

		sqlite3_reset(bench);
		sqlite3_bind_int64(bench, 1, project_id);
		mg_store__bind_text(bench, 2, b->package ? b->package : "");
		mg_store__bind_text(bench, 3, b->name);
		sqlite3_bind_int(bench, 4, b->procs);
		error = select_id(st, bench, &ids[i], err);
		if (error < 0)
			goto cleanup;
		sqlite3_reset(bench);
		for (j = 0; j < b->nconfig; j++) {
			sqlite3_reset(config);
			sqlite3_bind_int64(config, 1, run_id);
			sqlite3_bind_int64(config, 2, ids[i]);
			mg_store__bind_text(config, 3, b->config[j].key);
			mg_store__bind_text(config, 4, b->config[j].value);
			error = mg_store__exec_stmt(st, config, err);
			if (error < 0)
				goto cleanup;
		}
	}
	for (i = 0; i < run->nsamples; i++) {
		const mg_sample *s = &run->samples[i];

		sqlite3_reset(sample);
		sqlite3_bind_int64(sample, 1, run_id);
		sqlite3_bind_int64(sample, 2, ids[s->bench]);
		mg_store__bind_text(sample, 3, s->unit);
		sqlite3_bind_int64(sample, 4, s->seq);
		sqlite3_bind_double(sample, 5, s->value);
		sqlite3_bind_int64(sample, 6, s->iterations);
		error = mg_store__exec_stmt(st, sample, err);
		if (error < 0) {
			mg_err_prefix(err, "samples[%zu] ('%s' %s #%lld)", i,
			              run->benches[s->bench].name, s->unit,
			              (long long)s->seq);
			goto cleanup;
		}
	}

cleanup:
	sqlite3_finalize(bench);
	sqlite3_finalize(config);
	sqlite3_finalize(sample);
	free(ids);
	return error == MG_ENOTFOUND ? MG_EINTERNAL : error;
}

static int join_sample_types(mg_buf *out, const mg_profile *p)
{
	size_t i;
	int error = 0;

	for (i = 0; i < p->nsample_types && error == 0; i++)
		error = mg_buf_printf(out, "%s%s", i ? "," : "",
		                      p->sample_types[i]);
	return error;
}

/* The sample type name without its unit: "alloc_space/bytes" -> alloc_space */
static mg_slice type_name(const char *type_unit)
{
	mg_slice s = mg_slice_from(type_unit);
	const char *slash = strchr(type_unit, '/');

	if (slash)
		s.len = (size_t)(slash - type_unit);
	return s;
}

static int put_profile(mg_store *st, const mg_profile *p, int64_t run_id,
                       mg_err *err)
{
	sqlite3_stmt *blob = NULL, *prof = NULL, *func = NULL;
	mg_buf types = MG_BUF_INIT(MG_BUF_NOLIMIT);
	char sha[65];
	int64_t profile_id;
	size_t i;
	int error;

	sha256_hex(sha, p->data, p->len);
	if (join_sample_types(&types, p) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if ((error = mg_store__prepare(st, &blob,
	                               "INSERT OR IGNORE INTO profile_blobs("
	                               "sha256, size, data) VALUES (?1, ?2, "
	                               "?3)",
	                               err)) < 0 ||
	    (error = mg_store__prepare(
	             st, &prof,
	             "INSERT INTO profiles(run_id, kind, package, "
	             "sample_types, default_sample_type, sha256, size) VALUES "
	             "(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
	             err)) < 0 ||
	    (error = mg_store__prepare(
	             st, &func,
	             "INSERT INTO profile_functions(profile_id, sample_type, "
	             "function, file, flat, cum) VALUES (?1, ?2, ?3, ?4, ?5, "
	             "?6)",
	             err)) < 0)
		goto cleanup;

	mg_store__bind_text(blob, 1, sha);
	sqlite3_bind_int64(blob, 2, (int64_t)p->len);
	sqlite3_bind_blob64(blob, 3, p->data, p->len, SQLITE_STATIC);
	error = mg_store__exec_stmt(st, blob, err);
	if (error < 0)
		goto cleanup;

	sqlite3_bind_int64(prof, 1, run_id);
	mg_store__bind_text(prof, 2, p->kind);
	mg_store__bind_text(prof, 3, p->package ? p->package : "");
	mg_store__bind_text(prof, 4, types.ptr);
	mg_store__bind_text(prof, 5, p->default_sample_type);
	mg_store__bind_text(prof, 6, sha);
	sqlite3_bind_int64(prof, 7, (int64_t)p->len);
	error = select_id(st, prof, &profile_id, err);
	if (error < 0)
		goto cleanup;

	for (i = 0; i < p->nfuncs; i++) {
		const mg_func_agg *f = &p->funcs[i];
		mg_slice t = type_name(p->sample_types[f->sample_type]);

		sqlite3_reset(func);
		sqlite3_bind_int64(func, 1, profile_id);
		sqlite3_bind_text(func, 2, t.ptr, (int)t.len, SQLITE_STATIC);
		mg_store__bind_text(func, 3, f->function);
		mg_store__bind_text(func, 4, f->file ? f->file : "");
		sqlite3_bind_int64(func, 5, f->flat);
		sqlite3_bind_int64(func, 6, f->cum);
		error = mg_store__exec_stmt(st, func, err);
		if (error < 0) {
			mg_err_prefix(err, "profile '%s' function '%.80s'",
			              p->kind, f->function);
			goto cleanup;
		}
	}

cleanup:
	sqlite3_finalize(blob);
	sqlite3_finalize(prof);
	sqlite3_finalize(func);
	mg_buf_release(&types);
	return error == MG_ENOTFOUND ? MG_EINTERNAL : error;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Recompute the history point of every (benchmark, unit) this run touched:
 * the pooled samples of all ok runs of the same commit on the same branch.
 */
static int update_history(mg_store *st, const mg_run *run, int64_t run_id,
                          int64_t commit_id, mg_err *err)
{
	sqlite3_stmt *pairs = NULL, *vals = NULL, *put = NULL;
	double *v = NULL;
	size_t n, cap = 0;
	int error, rc;

	if (run->status != MG_RUN_OK || run->branch == NULL)
		return 0;
	if ((error = mg_store__prepare(st, &pairs,
	                               "SELECT DISTINCT benchmark_id, unit "
	                               "FROM samples WHERE run_id = ?1",
	                               err)) < 0 ||
	    (error = mg_store__prepare(
	             st, &vals,
	             /*
	              * CROSS JOIN keeps runs (few per commit) as the outer
	              * loop: otherwise SQLite may scan every sample of the
	              * benchmark across all runs, making ingest slower as the
	              * database grows.
	              */
	             "SELECT s.value FROM runs r CROSS JOIN samples s ON "
	             "s.run_id = "
	             "r.id AND s.benchmark_id = ?3 AND s.unit = ?4 WHERE "
	             "r.commit_id = ?1 AND r.branch = ?2 AND r.status = 'ok'",
	             err)) < 0 ||
	    (error = mg_store__prepare(
	             st, &put,
	             "INSERT OR REPLACE INTO history_points(benchmark_id, "
	             "unit, "
	             "branch, commit_time, commit_id, n, median, min, max) "
	             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	             err)) < 0)
		goto cleanup;
	sqlite3_bind_int64(pairs, 1, run_id);
	while ((rc = mg_store__step(st, pairs, err)) == SQLITE_ROW) {
		int64_t bench_id = sqlite3_column_int64(pairs, 0);
		const char *unit = (const char *)sqlite3_column_text(pairs, 1);

		sqlite3_reset(vals);
		sqlite3_bind_int64(vals, 1, commit_id);
		mg_store__bind_text(vals, 2, run->branch);
		sqlite3_bind_int64(vals, 3, bench_id);
		mg_store__bind_text(vals, 4, unit);
		n = 0;
		while ((rc = mg_store__step(st, vals, err)) == SQLITE_ROW) {
			if (n == cap) {
				double *nv;

				cap = cap ? cap * 2 : 64;
				nv = realloc(v, cap * sizeof(*v));
				if (nv == NULL) {
					error = mg_err_set(err, MG_ENOMEM,
					                   "out of memory");
					goto cleanup;
				}
				v = nv;
			}
			v[n++] = sqlite3_column_double(vals, 0);
		}
		if (rc < 0 || n == 0) {
			error = rc < 0 ? rc : MG_EINTERNAL;
			goto cleanup;
		}
		qsort(v, n, sizeof(*v), cmp_double);
		sqlite3_reset(put);
		sqlite3_bind_int64(put, 1, bench_id);
		mg_store__bind_text(put, 2, unit);
		mg_store__bind_text(put, 3, run->branch);
		sqlite3_bind_int64(put, 4, run->commit.commit_time);
		sqlite3_bind_int64(put, 5, commit_id);
		sqlite3_bind_int64(put, 6, (int64_t)n);
		sqlite3_bind_double(put, 7,
		                    n % 2 ? v[n / 2]
		                          : (v[n / 2 - 1] + v[n / 2]) / 2);
		sqlite3_bind_double(put, 8, v[0]);
		sqlite3_bind_double(put, 9, v[n - 1]);
		error = mg_store__exec_stmt(st, put, err);
		if (error < 0)
			goto cleanup;
	}
	error = rc < 0 ? rc : 0;

cleanup:
	sqlite3_finalize(pairs);
	sqlite3_finalize(vals);
	sqlite3_finalize(put);
	free(v);
	return error;
}

/*
 * Write a whole run inside the caller's transaction. An idempotency key
 * already stored answers with the original id and *existed_out true.
 */
int mg_store__put_run(mg_store *st, const mg_run *run, int64_t *id_out,
                      bool *existed_out, mg_err *err)
{
	int64_t project_id = 0, commit_id = 0, env_id = 0, run_id = 0;
	size_t i;
	int error;

	*existed_out = false;
	if (run->idempotency_key) {
		error = find_idempotent(st, run, &run_id, err);
		if (error == 0) {
			*id_out = run_id;
			*existed_out = true;
			return 0;
		}
		if (error != MG_ENOTFOUND)
			return error;
	}
	if ((error = mg_store_project_ensure(st, run->project, run->clone_url,
	                                     run->default_branch, &project_id,
	                                     err)) < 0 ||
	    (error = put_commit(st, project_id, run, &commit_id, err)) < 0 ||
	    (error = put_env(st, &run->env, &env_id, err)) < 0 ||
	    (error = put_run_row(st, run, project_id, commit_id, env_id,
	                         &run_id, err)) < 0 ||
	    (error = put_samples(st, run, project_id, run_id, err)) < 0)
		return error;
	for (i = 0; i < run->nprofiles; i++) {
		error = put_profile(st, &run->profiles[i], run_id, err);
		if (error < 0)
			return error;
	}
	error = update_history(st, run, run_id, commit_id, err);
	if (error < 0)
		return error;
	*id_out = run_id;
	return 0;
}

int mg_store_add_run(mg_store *st, const mg_run *run, int64_t *id_out,
                     bool *existed_out, mg_err *err)
{
	int64_t run_id = 0;
	bool existed = false;
	int error;

	error = mg_run_validate(run, err);
	if (error < 0)
		return error;
	error = mg_store_begin(st, err);
	if (error < 0)
		return error;
	error = mg_store__put_run(st, run, &run_id, &existed, err);
	if (error < 0 || existed) {
		/* Nothing written, or nothing to write: end the transaction. */
		mg_store_rollback(st);
		if (error < 0)
			return error;
	} else {
		error = mg_store_commit(st, err);
		if (error < 0)
			return error;
	}
	*id_out = run_id;
	if (existed_out)
		*existed_out = existed;
	return 0;
}
