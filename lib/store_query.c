/*
 * store_query.c - reading runs back and the history query.
 */
#include "buf.h"
#include "histchunk.h"
#include "sampleset.h"
#include "store_int.h"

/* Copy a text column into *field (NULL stays NULL). */
static int load_run_row(mg_store *st, int64_t id, mg_run *out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	const char *sha, *status;
	int rc, error = 0;

	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT p.name, p.clone_url, p.default_branch, c.sha, "
	        "c.author, c.commit_time, c.subject, r.branch, r.dirty, "
	        "r.pr_number, r.base_ref, r.base_sha, r.started_at, "
	        "r.ended_at, r.build_cmd, r.bench_cmd, r.exit_status, "
	        "r.wall_ns, r.peak_rss_bytes, r.status, r.log_tail, "
	        "r.idempotency_key, e.os, e.kernel, e.arch, e.cpu_model, "
	        "e.cores, e.mem_bytes, e.go_version, e.gomaxprocs, e.gogc, "
	        "e.gomemlimit, e.godebug, e.thp, e.label FROM runs r JOIN "
	        "projects p ON p.id = r.project_id JOIN commits c ON c.id = "
	        "r.commit_id JOIN environments e ON e.id = r.environment_id "
	        "WHERE r.id = ?1",
	        err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	rc = mg_store__step(st, stmt, err);
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	if (rc != SQLITE_ROW) {
		error = mg_err_set(err, MG_ENOTFOUND, "run %lld not found",
		                   (long long)id);
		goto cleanup;
	}
	sha = (const char *)sqlite3_column_text(stmt, 3);
	snprintf(out->commit.sha, sizeof(out->commit.sha), "%s",
	         sha ? sha : "");
	out->commit.commit_time = sqlite3_column_int64(stmt, 5);
	out->dirty = sqlite3_column_int(stmt, 8) != 0;
	out->pr_number = sqlite3_column_int64(stmt, 9);
	out->started_at = sqlite3_column_int64(stmt, 12);
	out->ended_at = sqlite3_column_int64(stmt, 13);
	out->exit_status = sqlite3_column_int(stmt, 16);
	out->wall_ns = sqlite3_column_int64(stmt, 17);
	out->peak_rss = sqlite3_column_int64(stmt, 18);
	status = (const char *)sqlite3_column_text(stmt, 19);
	out->status =
	        status && strcmp(status, "ok") == 0 ? MG_RUN_OK : MG_RUN_FAILED;
	out->env.cores = sqlite3_column_int64(stmt, 26);
	out->env.mem_bytes = sqlite3_column_int64(stmt, 27);
	{
		struct {
			char **field;
			int col;
		} strs[] = {
		        {&out->project, 0},         {&out->clone_url, 1},
		        {&out->default_branch, 2},  {&out->commit.author, 4},
		        {&out->commit.subject, 6},  {&out->branch, 7},
		        {&out->base_ref, 10},       {&out->base_sha, 11},
		        {&out->build_cmd, 14},      {&out->bench_cmd, 15},
		        {&out->log_tail, 20},       {&out->idempotency_key, 21},
		        {&out->env.os, 22},         {&out->env.kernel, 23},
		        {&out->env.arch, 24},       {&out->env.cpu_model, 25},
		        {&out->env.go_version, 28}, {&out->env.gomaxprocs, 29},
		        {&out->env.gogc, 30},       {&out->env.gomemlimit, 31},
		        {&out->env.godebug, 32},    {&out->env.thp, 33},
		        {&out->env.label, 34},
		};
		size_t i;

		for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (mg_store__col_str(strs[i].field, stmt,
			                      strs[i].col) < 0) {
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
				goto cleanup;
			}
	}

cleanup:
	sqlite3_finalize(stmt);
	return error;
}

static int load_parents(mg_store *st, int64_t run_id, mg_run *out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	error = mg_store__prepare(st, &stmt,
	                          "SELECT cp.parent_sha FROM runs r JOIN "
	                          "commit_parents cp ON cp.commit_id = "
	                          "r.commit_id WHERE r.id = ?1 ORDER BY cp.idx",
	                          err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, run_id);
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		error = mg_run_add_parent(
		        out, (const char *)sqlite3_column_text(stmt, 0));
		if (error < 0) {
			mg_err_set(err, error, "loading parents");
			break;
		}
	}
	if (error == 0 && rc < 0)
		error = rc;
	sqlite3_finalize(stmt);
	return error;
}

int mg_store__read_sets(sqlite3_stmt *stmt, int col, int64_t run_id,
                        mg_sampleset_keep_fn keep, void *arg,
                        mg_sampleset_run *out, mg_err *err)
{
	int error;

	error = mg_sampleset_run_read(
	        out, (const char *)sqlite3_column_text(stmt, col),
	        (size_t)sqlite3_column_bytes(stmt, col), keep, arg, err);
	if (error < 0) {
		if (error != MG_ENOMEM)
			error = err->code = MG_EDB;
		mg_err_prefix(err, "run %lld", (long long)run_id);
	}
	return error;
}

/*
 * Benchmark bench_id into out (*bench its index), with its configuration
 * in run run_id; cfg and info are load_samples()'s statements.
 */
static int load_bench(mg_store *st, sqlite3_stmt *cfg, sqlite3_stmt *info,
                      int64_t run_id, int64_t bench_id, mg_run *out,
                      size_t *bench, mg_err *err)
{
	mg_kv *kv = NULL;
	size_t nkv = 0, capkv = 0;
	int rc, error = 0;

	sqlite3_reset(cfg);
	sqlite3_bind_int64(cfg, 1, run_id);
	sqlite3_bind_int64(cfg, 2, bench_id);
	while ((rc = mg_store__step(st, cfg, err)) == SQLITE_ROW) {
		if (mg_array_grow((void **)&kv, &capkv, nkv, sizeof(*kv)) < 0)
			goto oom;
		kv[nkv].key =
		        mg_strdup((const char *)sqlite3_column_text(cfg, 0));
		kv[nkv].value =
		        mg_strdup((const char *)sqlite3_column_text(cfg, 1));
		nkv++;
		if (!kv[nkv - 1].key || !kv[nkv - 1].value)
			goto oom;
	}
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	sqlite3_reset(info);
	sqlite3_bind_int64(info, 1, bench_id);
	rc = mg_store__step(st, info, err);
	if (rc != SQLITE_ROW) {
		error = rc < 0 ? rc
		               : mg_err_set(
		                         err, MG_EDB,
		                         "run %lld: benchmark %lld not found",
		                         (long long)run_id,
		                         (long long)bench_id);
		goto cleanup;
	}
	error = mg_run_add_bench(out, bench,
	                         (const char *)sqlite3_column_text(info, 0),
	                         (const char *)sqlite3_column_text(info, 1),
	                         sqlite3_column_int(info, 2), kv, nkv);
	if (error == 0)
		goto cleanup;

oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory loading samples");
cleanup:
	while (nkv > 0) {
		nkv--;
		free(kv[nkv].key);
		free(kv[nkv].value);
	}
	free(kv);
	return error;
}

/*
 * A run's samples, benchmark by benchmark in id order, units in name
 * order, each benchmark added (with its configuration in this run) the
 * first time it appears. They are the run's run_samples row, or rows of
 * sample_rows for a run stored before 0010.
 */
static int load_samples(mg_store *st, int64_t run_id, mg_run *out, mg_err *err)
{
	sqlite3_stmt *rows = NULL, *sets = NULL, *cfg = NULL, *info = NULL;
	mg_sampleset_run decoded;
	int64_t last_bench_id = -1;
	size_t bench = 0, i, k;
	int rc, error;

	memset(&decoded, 0, sizeof(decoded));
	if ((error = mg_store__prepare(
	             st, &rows,
	             "SELECT benchmark_id, unit, seq, value, iterations FROM "
	             "sample_rows WHERE run_id = ?1 ORDER BY 1, 2, 3",
	             err)) < 0 ||
	    (error = mg_store__prepare(st, &sets,
	                               "SELECT sets FROM run_samples WHERE "
	                               "run_id = ?1",
	                               err)) < 0 ||
	    (error = mg_store__prepare(st, &cfg,
	                               "SELECT key, value FROM "
	                               "run_benchmark_config WHERE run_id = ?1 "
	                               "AND benchmark_id = ?2 ORDER BY key",
	                               err)) < 0 ||
	    (error = mg_store__prepare(st, &info,
	                               "SELECT name, package, procs FROM "
	                               "benchmarks WHERE id = ?1",
	                               err)) < 0)
		goto cleanup;
	sqlite3_bind_int64(rows, 1, run_id);
	while ((rc = mg_store__step(st, rows, err)) == SQLITE_ROW) {
		int64_t bench_id = sqlite3_column_int64(rows, 0);

		if (bench_id != last_bench_id &&
		    (error = load_bench(st, cfg, info, run_id, bench_id, out,
		                        &bench, err)) < 0)
			goto cleanup;
		last_bench_id = bench_id;
		error = mg_run_add_sample(
		        out, bench, (const char *)sqlite3_column_text(rows, 1),
		        sqlite3_column_double(rows, 3),
		        sqlite3_column_int64(rows, 4),
		        sqlite3_column_int64(rows, 2));
		if (error < 0)
			goto oom;
	}
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	sqlite3_bind_int64(sets, 1, run_id);
	rc = mg_store__step(st, sets, err);
	if (rc == SQLITE_ROW)
		error = mg_store__read_sets(sets, 0, run_id, NULL, NULL,
		                            &decoded, err);
	else
		error = rc < 0 ? rc : 0;
	for (i = 0; error == 0 && i < decoded.n; i++) {
		const mg_sampleset_entry *e = &decoded.v[i];

		if (e->bench_id != last_bench_id &&
		    (error = load_bench(st, cfg, info, run_id, e->bench_id, out,
		                        &bench, err)) < 0)
			goto cleanup;
		last_bench_id = e->bench_id;
		for (k = e->first; k < e->first + e->n; k++) {
			const mg_sampleset_item *it = &decoded.items[k];

			error = mg_run_add_sample(out, bench, e->unit,
			                          it->value, it->iterations,
			                          it->seq);
			if (error < 0)
				goto oom;
		}
	}
	goto cleanup;

oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory loading samples");
cleanup:
	mg_sampleset_run_free(&decoded);
	sqlite3_finalize(rows);
	sqlite3_finalize(sets);
	sqlite3_finalize(cfg);
	sqlite3_finalize(info);
	return error;
}

static int find_sample_type(const mg_profile *p, const char *name, size_t *idx)
{
	size_t i, n = strlen(name);

	for (i = 0; i < p->nsample_types; i++)
		if (strncmp(p->sample_types[i], name, n) == 0 &&
		    (p->sample_types[i][n] == '/' ||
		     p->sample_types[i][n] == '\0')) {
			*idx = i;
			return 0;
		}
	return MG_ENOTFOUND;
}

static int split_sample_types(mg_profile *p, const char *csv)
{
	mg_buf item = MG_BUF_INIT(MG_RUN_MAX_STR);
	const char *s = csv;
	int error = 0;

	while (error == 0 && s && *s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);

		mg_buf_reset(&item);
		error = mg_buf_put(&item, s, n);
		if (error == 0)
			error = mg_profile_add_sample_type(p, item.ptr);
		s = comma ? comma + 1 : NULL;
	}
	mg_buf_release(&item);
	return error;
}

static int load_profiles(mg_store *st, int64_t run_id, mg_run *out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL, *funcs = NULL;
	int rc, error;

	if ((error = mg_store__prepare(
	             st, &stmt,
	             "SELECT p.id, p.kind, p.package, p.sample_types, "
	             "p.default_sample_type, b.data, b.sha256, b.stored_in, "
	             "b.size FROM profiles p JOIN profile_blobs b ON b.sha256 "
	             "= p.sha256 WHERE p.run_id = ?1 ORDER BY p.id",
	             err)) < 0 ||
	    (error = mg_store__prepare(st, &funcs,
	                               "SELECT sample_type, function, file, "
	                               "flat, cum FROM profile_functions WHERE "
	                               "profile_id = ?1",
	                               err)) < 0)
		goto cleanup;
	sqlite3_bind_int64(stmt, 1, run_id);
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		unsigned char *bytes;
		mg_profile *p;
		size_t idx, len;

		error = mg_store__blob_bytes(
		        st, (const char *)sqlite3_column_text(stmt, 6),
		        (const char *)sqlite3_column_text(stmt, 7),
		        sqlite3_column_int64(stmt, 8),
		        sqlite3_column_blob(stmt, 5),
		        (size_t)sqlite3_column_bytes(stmt, 5), &bytes, &len,
		        err);
		if (error < 0)
			goto cleanup;
		error = mg_run_add_profile(
		        out, &idx, (const char *)sqlite3_column_text(stmt, 1),
		        (const char *)sqlite3_column_text(stmt, 2), NULL, 0);
		if (error < 0) {
			free(bytes);
			goto oom;
		}
		/* hand the bytes over rather than copy them once more */
		p = &out->profiles[idx];
		free(p->data);
		p->data = bytes;
		p->len = len;
		if (split_sample_types(p, (const char *)sqlite3_column_text(
		                                  stmt, 3)) < 0 ||
		    mg_store__col_str(&p->default_sample_type, stmt, 4) < 0)
			goto oom;
		sqlite3_reset(funcs);
		sqlite3_bind_int64(funcs, 1, sqlite3_column_int64(stmt, 0));
		while ((rc = mg_store__step(st, funcs, err)) == SQLITE_ROW) {
			size_t t;

			if (find_sample_type(
			            p,
			            (const char *)sqlite3_column_text(funcs, 0),
			            &t) < 0) {
				error = mg_err_set(
				        err, MG_EINTERNAL,
				        "profile of run %lld: unknown "
				        "sample type",
				        (long long)run_id);
				goto cleanup;
			}
			error = mg_profile_add_func(
			        p, t,
			        (const char *)sqlite3_column_text(funcs, 1),
			        (const char *)sqlite3_column_text(funcs, 2),
			        sqlite3_column_int64(funcs, 3),
			        sqlite3_column_int64(funcs, 4));
			if (error < 0)
				goto oom;
		}
		if (rc < 0) {
			error = rc;
			goto cleanup;
		}
	}
	error = rc < 0 ? rc : 0;
	goto cleanup;

oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory loading profiles");
cleanup:
	sqlite3_finalize(stmt);
	sqlite3_finalize(funcs);
	return error;
}

int mg_store_get_run(mg_store *st, int64_t id, mg_run *out, mg_err *err)
{
	int error;

	error = load_run_row(st, id, out, err);
	if (error == 0)
		error = load_parents(st, id, out, err);
	if (error == 0)
		error = load_samples(st, id, out, err);
	if (error == 0)
		error = load_profiles(st, id, out, err);
	if (error < 0)
		mg_run_release(out);
	return error;
}

/*
 * The history query, a series' chunks newest first (schema/0013); kept
 * in one place so EXPLAIN shows the real one.
 */
static const char history_sql[] =
        "SELECT first_time, first_commit, points FROM history_chunks WHERE "
        "benchmark_id = ?1 AND "
        "unit = ?2 AND branch = ?3 ORDER BY first_time DESC, first_commit "
        "DESC";

/*
 * Split "BenchmarkX/y-8" into name and procs when the suffix is a number;
 * *procs is -1 when there is none.
 */
static void split_procs(const char *full, size_t *name_len, int *procs)
{
	const char *dash = strrchr(full, '-');
	const char *p;
	long v = 0;

	*name_len = strlen(full);
	*procs = -1;
	if (dash == NULL || dash[1] == '\0' || strchr(dash, '/'))
		return;
	for (p = dash + 1; *p; p++) {
		if (*p < '0' || *p > '9' || v > 1000000)
			return;
		v = v * 10 + (*p - '0');
	}
	*name_len = (size_t)(dash - full);
	*procs = (int)v;
}

/*
 * Resolve the benchmark of a history query: an exact name match first;
 * failing that, the name with its -procs suffix taken off.
 */
static int resolve_benchmark(mg_store *st, int64_t project_id,
                             const mg_history_query *q, int64_t *id,
                             mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t name_len;
	int procs, attempt, rc, error = 0, found = 0;
	char *name = NULL;

	error = mg_store__prepare(st, &stmt,
	                          "SELECT id, package, procs FROM benchmarks "
	                          "WHERE project_id = ?1 AND name = ?2 AND "
	                          "(?3 IS NULL OR package = ?3) AND (?4 < 0 "
	                          "OR procs = ?4) LIMIT 2",
	                          err);
	if (error < 0)
		return error;
	split_procs(q->benchmark, &name_len, &procs);
	for (attempt = 0; attempt < 2 && found == 0; attempt++) {
		if (attempt == 1) {
			if (procs < 0)
				break;
			name = mg_slice_dup((mg_slice){q->benchmark, name_len});
			if (name == NULL) {
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
				goto cleanup;
			}
		}
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, project_id);
		mg_store__bind_text(stmt, 2, attempt ? name : q->benchmark);
		mg_store__bind_text(stmt, 3, q->package);
		sqlite3_bind_int(stmt, 4, attempt ? procs : -1);
		while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
			*id = sqlite3_column_int64(stmt, 0);
			found++;
		}
		if (rc < 0) {
			error = rc;
			goto cleanup;
		}
	}
	if (found == 0)
		error = mg_err_set(err, MG_ENOTFOUND,
		                   "benchmark '%s' not found in project '%s'",
		                   q->benchmark, q->project);
	else if (found > 1)
		error = mg_err_set(err, MG_EINPUT,
		                   "benchmark '%s' is ambiguous: it exists in "
		                   "several packages or with several -procs "
		                   "suffixes; name the package or the suffix",
		                   q->benchmark);
cleanup:
	free(name);
	sqlite3_finalize(stmt);
	return error;
}

static int resolve_project(mg_store *st, const char *name, int64_t *id,
                           char **default_branch, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	error = mg_store__prepare(st, &stmt,
	                          "SELECT id, default_branch FROM projects "
	                          "WHERE name = ?1",
	                          err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, name);
	rc = mg_store__step(st, stmt, err);
	if (rc == SQLITE_ROW) {
		*id = sqlite3_column_int64(stmt, 0);
		error = mg_store__col_str(default_branch, stmt, 1) < 0
		                ? mg_err_set(err, MG_ENOMEM, "out of memory")
		                : 0;
	} else {
		error = rc < 0 ? rc
		               : mg_err_set(err, MG_ENOTFOUND,
		                            "project '%s' not found", name);
	}
	sqlite3_finalize(stmt);
	return error;
}

void mg_history_free(mg_history_point *points, size_t n)
{
	size_t i;

	if (points == NULL)
		return;
	for (i = 0; i < n; i++)
		free(points[i].subject);
	free(points);
}

/*
 * Point v of the series into p, with its commit's sha and subject:
 * 1, or 0 if the commit is gone (the points of a commit go with it).
 */
static int fill_point(mg_store *st, sqlite3_stmt *commit,
                      const mg_histchunk_point *v, mg_history_point *p,
                      mg_err *err)
{
	const char *sha;
	size_t sha_len;
	int rc;

	sqlite3_reset(commit);
	sqlite3_bind_int64(commit, 1, v->commit_id);
	rc = mg_store__step(st, commit, err);
	if (rc != SQLITE_ROW)
		return rc < 0 ? rc : 0;
	memset(p, 0, sizeof(*p));
	/* commits.sha is CHECKed to 40 characters */
	sha = (const char *)sqlite3_column_text(commit, 0);
	sha_len = (size_t)sqlite3_column_bytes(commit, 0);
	if (sha == NULL || sha_len >= sizeof(p->sha))
		sha_len = 0;
	else
		memcpy(p->sha, sha, sha_len);
	p->sha[sha_len] = '\0';
	p->commit_time = v->commit_time;
	if (mg_store__col_str(&p->subject, commit, 1) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	p->n = v->n;
	p->median = v->median;
	p->min = v->min;
	p->max = v->max;
	return 1;
}

/*
 * The newest `limit` points of a series into a new array, newest first:
 * its chunks newest first, each read from its end. On error nothing is
 * handed out.
 */
static int read_history(mg_store *st, int64_t bench_id, const char *unit,
                        const char *branch, int64_t limit,
                        mg_history_point **out, size_t *n_out, mg_err *err)
{
	sqlite3_stmt *chunks = NULL, *commit = NULL;
	mg_history_point *pts = NULL;
	mg_histchunk_point v[MG_HISTCHUNK_MAX];
	size_t n = 0, cap, m, k;
	int rc = 0, error;

	if ((error = mg_store__cached(st, MG_STORE__C_HISTORY, history_sql,
	                              &chunks, err)) < 0 ||
	    (error = mg_store__cached(st, MG_STORE__C_HISTORY_COMMIT,
	                              "SELECT sha, subject FROM commits "
	                              "WHERE id = ?1",
	                              &commit, err)) < 0)
		return error;
	cap = limit < 64 ? (size_t)limit : 64;
	pts = calloc(cap, sizeof(*pts));
	if (pts == NULL)
		goto oom;
	sqlite3_bind_int64(chunks, 1, bench_id);
	mg_store__bind_text(chunks, 2, unit);
	mg_store__bind_text(chunks, 3, branch);
	while ((int64_t)n < limit &&
	       (rc = mg_store__step(st, chunks, err)) == SQLITE_ROW) {
		mg_histchunk_point key = {sqlite3_column_int64(chunks, 0),
		                          sqlite3_column_int64(chunks, 1),
		                          0,
		                          0,
		                          0,
		                          0};

		error = mg_store__decode_chunk(
		        (const char *)sqlite3_column_text(chunks, 2),
		        (size_t)sqlite3_column_bytes(chunks, 2), &key, bench_id,
		        unit, branch, v, &m, err);
		if (error < 0)
			goto cleanup;
		for (k = m; k-- > 0 && (int64_t)n < limit;) {
			if (mg_array_grow((void **)&pts, &cap, n,
			                  sizeof(*pts)) < 0)
				goto oom;
			rc = fill_point(st, commit, &v[k], &pts[n], err);
			if (rc < 0) {
				error = rc;
				goto cleanup;
			}
			n += (size_t)rc;
		}
	}
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	sqlite3_reset(chunks);
	sqlite3_reset(commit);
	*out = pts;
	*n_out = n;
	return 0;

oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory");
cleanup:
	sqlite3_reset(chunks);
	sqlite3_reset(commit);
	mg_history_free(pts, n);
	return error;
}

int mg_store_history(mg_store *st, const mg_history_query *q,
                     mg_history_point **out, size_t *n_out, mg_err *err)
{
	char *default_branch = NULL;
	int64_t project_id = 0, bench_id = 0;
	int error;

	if (q->limit <= 0 || q->limit > 1000000)
		return mg_err_set(err, MG_EINPUT,
		                  "limit must be between 1 and 1000000");
	error = resolve_project(st, q->project, &project_id, &default_branch,
	                        err);
	if (error < 0)
		return error;
	error = resolve_benchmark(st, project_id, q, &bench_id, err);
	if (error == 0)
		error = read_history(st, bench_id, q->unit,
		                     q->branch ? q->branch : default_branch,
		                     q->limit, out, n_out, err);
	free(default_branch);
	return error;
}

int mg_store_history_of(mg_store *st, int64_t bench_id, const char *unit,
                        const char *branch, int64_t limit,
                        mg_history_point **out, size_t *n_out, mg_err *err)
{
	if (limit <= 0 || limit > 1000000)
		return mg_err_set(err, MG_EINPUT,
		                  "limit must be between 1 and 1000000");
	/* statements kept prepared: pages ask for thousands of series */
	return read_history(st, bench_id, unit, branch, limit, out, n_out, err);
}

int mg_store_explain_history(mg_store *st, char **out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_buf plan = MG_BUF_INIT(1 << 16);
	mg_buf sql = MG_BUF_INIT(4096);
	int rc, error;

	error = mg_buf_printf(&sql, "EXPLAIN QUERY PLAN %s", history_sql);
	if (error < 0)
		return mg_err_set(err, error, "out of memory");
	error = mg_store__prepare(st, &stmt, sql.ptr, err);
	if (error < 0)
		goto cleanup;
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		error = mg_buf_printf(
		        &plan, "%s\n",
		        (const char *)sqlite3_column_text(stmt, 3));
		if (error < 0) {
			mg_err_set(err, error, "out of memory");
			goto cleanup;
		}
	}
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	*out = mg_buf_detach(&plan);
	if (*out == NULL)
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
cleanup:
	sqlite3_finalize(stmt);
	mg_buf_release(&plan);
	mg_buf_release(&sql);
	return error;
}

void mg_run_summary_free(mg_run_summary *runs, size_t n)
{
	size_t i;

	if (runs == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(runs[i].project);
		free(runs[i].branch);
		free(runs[i].subject);
	}
	free(runs);
}

int mg_store_list_runs(mg_store *st, const char *project, int64_t limit,
                       mg_run_summary **out, size_t *n_out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_run_summary *runs = NULL;
	size_t n = 0;
	int rc, error;

	if (limit <= 0 || limit > 100000)
		return mg_err_set(err, MG_EINPUT,
		                  "limit must be between 1 and 100000");
	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT r.id, c.sha, p.name, r.branch, c.subject, r.status, "
	        "r.started_at, r.wall_ns, r.peak_rss_bytes, (SELECT count(*) "
	        "FROM sample_rows s WHERE s.run_id = r.id) + (SELECT "
	        "coalesce(sum(n), 0) FROM run_samples s WHERE s.run_id = r.id) "
	        "FROM runs r JOIN "
	        "projects p ON p.id = r.project_id JOIN commits c ON c.id = "
	        "r.commit_id WHERE ?1 IS NULL OR p.name = ?1 ORDER BY r.id "
	        "DESC LIMIT ?2",
	        err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, project);
	sqlite3_bind_int64(stmt, 2, limit);
	runs = calloc((size_t)limit, sizeof(*runs));
	if (runs == NULL)
		goto oom;
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		mg_run_summary *r = &runs[n++];
		const char *status = (const char *)sqlite3_column_text(stmt, 5);

		r->id = sqlite3_column_int64(stmt, 0);
		snprintf(r->sha, sizeof(r->sha), "%s",
		         (const char *)sqlite3_column_text(stmt, 1));
		if (mg_store__col_str(&r->project, stmt, 2) < 0 ||
		    mg_store__col_str(&r->branch, stmt, 3) < 0 ||
		    mg_store__col_str(&r->subject, stmt, 4) < 0)
			goto oom;
		r->status = status && strcmp(status, "ok") == 0 ? MG_RUN_OK
		                                                : MG_RUN_FAILED;
		r->started_at = sqlite3_column_int64(stmt, 6);
		r->wall_ns = sqlite3_column_int64(stmt, 7);
		r->peak_rss = sqlite3_column_int64(stmt, 8);
		r->nsamples = sqlite3_column_int64(stmt, 9);
	}
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	*out = runs;
	*n_out = n;
	runs = NULL;
	n = 0;
	goto cleanup;

oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory");
cleanup:
	mg_run_summary_free(runs, n);
	sqlite3_finalize(stmt);
	return error;
}

int mg_store_has_run(mg_store *st, const mg_run *probe, bool *out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	char key[65];
	int rc, error;

	if (mg_store__env_key(key, &probe->env) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT 1 FROM runs r JOIN projects p ON p.id = r.project_id "
	        "JOIN commits c ON c.id = r.commit_id JOIN environments e ON "
	        "e.id = r.environment_id WHERE p.name = ?1 AND c.sha = ?2 AND "
	        "r.bench_cmd IS ?3 AND e.fingerprint = ?4 LIMIT 1",
	        err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, probe->project);
	mg_store__bind_text(stmt, 2, probe->commit.sha);
	mg_store__bind_text(stmt, 3, probe->bench_cmd);
	mg_store__bind_text(stmt, 4, key);
	rc = mg_store__step(st, stmt, err);
	if (rc < 0)
		error = rc;
	else
		*out = rc == SQLITE_ROW;
	sqlite3_finalize(stmt);
	return error;
}
