/*
 * store_run.c - ingest of a whole run in one transaction, and loading it
 * back. Validation happens before the transaction starts, so bad input
 * is refused with a message naming the field and nothing is written;
 * a failure in the middle (disk, constraint, injected fault) rolls the
 * whole run back.
 */
#include <openssl/evp.h>

#include "buf.h"
#include "sampleset.h"
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
void mg_store__profile_sha(char out[65], const mg_profile *p)
{
	/* The run-document reader has checked the digest it carries. */
	if (p->sha256[0])
		memcpy(out, p->sha256, 65);
	else
		sha256_hex(out, p->data, p->len);
}

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
int mg_store__select_id(mg_store *st, sqlite3_stmt *stmt, int64_t *id,
                        mg_err *err)
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
	error = mg_store__select_id(st, stmt, id_out, err);
	if (error == MG_ENOTFOUND)
		error = mg_err_set(err, MG_EINTERNAL, "project insert: no id");
	sqlite3_finalize(stmt);
	return error;
}

int mg_store__run_by_key(mg_store *st, const char *project, const char *key,
                         int64_t *id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__cached(st, MG_STORE__C_FIND_IDEMPOTENT,
	                         "SELECT r.id FROM runs r JOIN projects p ON "
	                         "p.id = r.project_id WHERE p.name = ?1 AND "
	                         "r.idempotency_key = ?2",
	                         &stmt, err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, project);
	mg_store__bind_text(stmt, 2, key);
	error = mg_store__select_id(st, stmt, id, err);
	sqlite3_reset(stmt);
	return error;
}

static int put_commit(mg_store *st, int64_t project_id, const mg_run *run,
                      int64_t *commit_id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t i;
	int error;

	/* A commit seen again keeps what was first stored, fills gaps. */
	error = mg_store__cached(st, MG_STORE__C_COMMIT,
	                         "INSERT INTO commits(project_id, sha, author, "
	                         "commit_time, subject) VALUES (?1, ?2, ?3, "
	                         "?4, ?5) ON CONFLICT(project_id, sha) DO "
	                         "UPDATE SET author = coalesce(commits.author, "
	                         "excluded.author), subject = coalesce("
	                         "commits.subject, excluded.subject) "
	                         "RETURNING id",
	                         &stmt, err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, project_id);
	mg_store__bind_text(stmt, 2, run->commit.sha);
	mg_store__bind_text(stmt, 3, run->commit.author);
	sqlite3_bind_int64(stmt, 4, run->commit.commit_time);
	mg_store__bind_text(stmt, 5, run->commit.subject);
	error = mg_store__select_id(st, stmt, commit_id, err);
	sqlite3_reset(stmt);
	if (error < 0)
		return error == MG_ENOTFOUND ? MG_EINTERNAL : error;

	error = mg_store__cached(st, MG_STORE__C_PARENT,
	                         "INSERT OR IGNORE INTO commit_parents("
	                         "commit_id, idx, parent_sha) VALUES (?1, ?2, "
	                         "?3)",
	                         &stmt, err);
	for (i = 0; error == 0 && i < run->commit.nparents; i++) {
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, *commit_id);
		sqlite3_bind_int64(stmt, 2, (int64_t)i);
		mg_store__bind_text(stmt, 3, run->commit.parents[i]);
		error = mg_store__exec_stmt(st, stmt, err);
	}
	if (stmt)
		sqlite3_reset(stmt);
	if (error < 0 || run->branch == NULL)
		return error;

	error = mg_store__cached(st, MG_STORE__C_BRANCH,
	                         "INSERT OR IGNORE INTO commit_branches("
	                         "commit_id, branch) VALUES (?1, ?2)",
	                         &stmt, err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, *commit_id);
	mg_store__bind_text(stmt, 2, run->branch);
	error = mg_store__exec_stmt(st, stmt, err);
	sqlite3_reset(stmt);
	return error;
}

static int put_env(mg_store *st, const mg_env *e, int64_t *env_id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	char key[65];
	int error;

	if (mg_store__env_key(key, e) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_store__cached(
	        st, MG_STORE__C_ENV,
	        "INSERT INTO environments(fingerprint, os, kernel, arch, "
	        "cpu_model, cores, mem_bytes, go_version, gomaxprocs, gogc, "
	        "gomemlimit, godebug, thp, label) VALUES (?1, ?2, ?3, ?4, ?5, "
	        "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT("
	        "fingerprint) DO UPDATE SET os = os RETURNING id",
	        &stmt, err);
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
	error = mg_store__select_id(st, stmt, env_id, err);
	sqlite3_reset(stmt);
	return error == MG_ENOTFOUND ? MG_EINTERNAL : error;
}

static int put_run_row(mg_store *st, const mg_run *run, int64_t project_id,
                       int64_t commit_id, int64_t env_id, int64_t *run_id,
                       mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__cached(
	        st, MG_STORE__C_RUN,
	        "INSERT INTO runs(project_id, commit_id, environment_id, "
	        "branch, dirty, pr_number, base_ref, base_sha, started_at, "
	        "ended_at, build_cmd, bench_cmd, exit_status, wall_ns, "
	        "peak_rss_bytes, status, log_tail, idempotency_key, "
	        "stored_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	        "?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19) RETURNING id",
	        &stmt, err);
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
	error = mg_store__select_id(st, stmt, run_id, err);
	sqlite3_reset(stmt);
	return error == MG_ENOTFOUND ? MG_EINTERNAL : error;
}

/*
 * The id of a benchmark, added if new. Looked up first: an upsert that
 * finds the row still rewrites it, and a run's benchmarks are nearly
 * always known already.
 */
static int bench_id(mg_store *st, int64_t project_id, const mg_bench *b,
                    int64_t *id, mg_err *err)
{
	sqlite3_stmt *find = NULL, *add = NULL;
	const char *package = b->package ? b->package : "";
	int error;

	if (mg_store__known_bench(st, project_id, b, id))
		return 0;
	if ((error = mg_store__cached(st, MG_STORE__C_BENCH_FIND,
	                              "SELECT id FROM benchmarks WHERE "
	                              "project_id = ?1 AND package = ?2 AND "
	                              "name = ?3 AND procs = ?4",
	                              &find, err)) < 0)
		return error;
	sqlite3_bind_int64(find, 1, project_id);
	mg_store__bind_text(find, 2, package);
	mg_store__bind_text(find, 3, b->name);
	sqlite3_bind_int(find, 4, b->procs);
	error = mg_store__select_id(st, find, id, err);
	sqlite3_reset(find);
	if (error == 0)
		mg_store__remember_bench(st, project_id, b, *id);
	if (error != MG_ENOTFOUND)
		return error;
	if ((error = mg_store__cached(st, MG_STORE__C_BENCH_ADD,
	                              "INSERT INTO benchmarks(project_id, "
	                              "package, name, procs) VALUES (?1, ?2, "
	                              "?3, ?4) RETURNING id",
	                              &add, err)) < 0)
		return error;
	sqlite3_bind_int64(add, 1, project_id);
	mg_store__bind_text(add, 2, package);
	mg_store__bind_text(add, 3, b->name);
	sqlite3_bind_int(add, 4, b->procs);
	error = mg_store__select_id(st, add, id, err);
	sqlite3_reset(add);
	if (error == 0)
		mg_store__remember_bench(st, project_id, b, *id);
	return error == MG_ENOTFOUND ? MG_EINTERNAL : error;
}

/* Drop the scratch of the run being stored (st->bench_ids, set_order). */
static void scratch_free(mg_store *st)
{
	free(st->bench_ids);
	free(st->set_order);
	st->bench_ids = NULL;
	st->set_order = NULL;
}

/* For sorting set numbers by (benchmark id, unit). */
struct set_cmp_ctx {
	const mg_store_sets *sets;
	const int64_t *bench_ids;
};

static int cmp_set_key(const void *a, const void *b, void *arg)
{
	const struct set_cmp_ctx *c = arg;
	const struct mg_store__set *x = &c->sets->v[*(const size_t *)a];
	const struct mg_store__set *y = &c->sets->v[*(const size_t *)b];
	int64_t bx = c->bench_ids[x->bench], by = c->bench_ids[y->bench];

	if (bx != by)
		return bx < by ? -1 : 1;
	return strcmp(x->unit, y->unit);
}

/*
 * st->set_order: the sets' numbers in (benchmark id, unit) order, the
 * order of the entries of run_samples and of the keys of benchmark_units,
 * so that each is written front to back.
 */
static int order_sets(mg_store *st, const mg_store_sets *sets, mg_err *err)
{
	struct set_cmp_ctx ctx = {sets, st->bench_ids};
	size_t i;

	st->set_order = malloc(sets->n * sizeof(*st->set_order));
	if (st->set_order == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	for (i = 0; i < sets->n; i++)
		st->set_order[i] = i;
	qsort_r(st->set_order, sets->n, sizeof(*st->set_order), cmp_set_key,
	        &ctx);
	return 0;
}

/* Every (benchmark, unit) of the run in benchmark_units. */
static int put_units(mg_store *st, const mg_store_sets *sets, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	size_t i;
	int error;

	error = mg_store__cached(st, MG_STORE__C_UNIT,
	                         "INSERT OR IGNORE INTO benchmark_units("
	                         "benchmark_id, unit) VALUES (?1, ?2)",
	                         &stmt, err);
	for (i = 0; error == 0 && i < sets->n; i++) {
		const struct mg_store__set *s = &sets->v[st->set_order[i]];
		int64_t bench_id = st->bench_ids[s->bench];

		if (mg_store__known_unit(st, bench_id, s->unit))
			continue;
		sqlite3_reset(stmt);
		sqlite3_bind_int64(stmt, 1, bench_id);
		mg_store__bind_text(stmt, 2, s->unit);
		error = mg_store__exec_stmt(st, stmt, err);
		if (error == 0)
			mg_store__remember_unit(st, bench_id, s->unit);
	}
	if (stmt)
		sqlite3_reset(stmt);
	return error;
}

/*
 * Every sample: one run_samples row, the text of all the run's sets in
 * (benchmark id, unit) order (sampleset.h). Put together here because
 * only the writer knows the benchmarks' ids; the sets' own text was
 * written before (mg_store_sets_build).
 */
static int put_sample_sets(mg_store *st, const mg_store_sets *sets,
                           int64_t run_id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t i, total = 0;
	int error;

	/* the entries add an id, a unit and punctuation to each set */
	error = mg_buf_grow(&text, sets->json.len + 48 * sets->n);
	if (error < 0)
		return mg_err_set(err, error, "out of memory");
	for (i = 0; i < sets->n && error == 0; i++) {
		const struct mg_store__set *s = &sets->v[st->set_order[i]];

		error = mg_sampleset_run_add(&text, st->bench_ids[s->bench],
		                             s->unit, sets->json.ptr + s->json,
		                             s->json_len, err);
		total += s->n;
	}
	if (error == 0)
		error = mg_sampleset_run_end(&text, err);
	if (error == 0 && text.len > INT_MAX)
		error = mg_err_set(err, MG_ELIMIT, "run samples: %zu bytes",
		                   text.len);
	if (error == 0)
		error = mg_store__cached(st, MG_STORE__C_SAMPLE_SET,
		                         "INSERT INTO run_samples(run_id, n, "
		                         "sets) VALUES (?1, ?2, ?3)",
		                         &stmt, err);
	if (error == 0) {
		sqlite3_bind_int64(stmt, 1, run_id);
		sqlite3_bind_int64(stmt, 2, (int64_t)total);
		sqlite3_bind_text(stmt, 3, text.ptr, (int)text.len,
		                  SQLITE_STATIC);
		error = mg_store__exec_stmt(st, stmt, err);
		sqlite3_reset(stmt);
	}
	mg_buf_release(&text);
	return error;
}

/*
 * Benchmarks, their configuration in this run, then every sample and the
 * units. The benchmarks' ids and the sets' order stay in st (bench_ids,
 * set_order) for mg_store__history_put.
 */
static int put_samples(mg_store *st, const mg_store_sets *sets,
                       int64_t project_id, int64_t run_id, mg_err *err)
{
	const mg_run *run = sets->run;
	sqlite3_stmt *config = NULL;
	int64_t *ids;
	size_t i, j;
	int error = 0;

	scratch_free(st); /* an earlier run's, if it failed before the end */
	if (run->nbenches == 0)
		return 0;
	ids = calloc(run->nbenches, sizeof(*ids));
	if (ids == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	st->bench_ids = ids;
	for (i = 0; i < run->nbenches; i++) {
		const mg_bench *b = &run->benches[i];

		error = bench_id(st, project_id, b, &ids[i], err);
		if (error < 0)
			goto cleanup;
		if (b->nconfig == 0)
			continue;
		error = mg_store__cached(
		        st, MG_STORE__C_CONFIG,
		        "INSERT INTO run_benchmark_config(run_id, "
		        "benchmark_id, key, value) VALUES (?1, ?2, ?3, ?4) ON "
		        "CONFLICT DO UPDATE SET value = excluded.value",
		        &config, err);
		for (j = 0; error == 0 && j < b->nconfig; j++) {
			sqlite3_reset(config);
			sqlite3_bind_int64(config, 1, run_id);
			sqlite3_bind_int64(config, 2, ids[i]);
			mg_store__bind_text(config, 3, b->config[j].key);
			mg_store__bind_text(config, 4, b->config[j].value);
			error = mg_store__exec_stmt(st, config, err);
		}
		if (error < 0)
			goto cleanup;
	}
	if (sets->n == 0)
		goto cleanup;
	if ((error = order_sets(st, sets, err)) < 0 ||
	    (error = put_sample_sets(st, sets, run_id, err)) < 0)
		goto cleanup;
	error = put_units(st, sets, err);

cleanup:
	if (config)
		sqlite3_reset(config);
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

	mg_store__profile_sha(sha, p);
	if (join_sample_types(&types, p) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if ((error = mg_store__cached(st, MG_STORE__C_BLOB,
	                              "INSERT OR IGNORE INTO profile_blobs("
	                              "sha256, size, data, stored_in) VALUES "
	                              "(?1, ?2, ?3, ?4)",
	                              &blob, err)) < 0 ||
	    (error = mg_store__cached(
	             st, MG_STORE__C_PROFILE,
	             "INSERT INTO profiles(run_id, kind, package, "
	             "sample_types, default_sample_type, sha256, size) VALUES "
	             "(?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
	             &prof, err)) < 0 ||
	    (error = mg_store__cached(
	             st, MG_STORE__C_FUNC,
	             "INSERT INTO profile_functions(profile_id, sample_type, "
	             "function, file, flat, cum) VALUES (?1, ?2, ?3, ?4, ?5, "
	             "?6)",
	             &func, err)) < 0)
		goto cleanup;

	mg_store__bind_text(blob, 1, sha);
	sqlite3_bind_int64(blob, 2, (int64_t)p->len);
	if (st->blobs_write) {
		/* the row says where; the file is written once, if new */
		sqlite3_bind_zeroblob(blob, 3, 0);
		mg_store__bind_text(blob, 4, "dir");
	} else {
		sqlite3_bind_blob64(blob, 3, p->data, p->len, SQLITE_STATIC);
		mg_store__bind_text(blob, 4, "db");
	}
	error = mg_store__exec_stmt(st, blob, err);
	if (error == 0 && st->blobs_write && sqlite3_changes(st->db) == 1) {
		st->dir_rows = true;
		error = mg_store__put_blob_file(st, sha, p->data, p->len, err);
	}
	if (error < 0)
		goto cleanup;

	sqlite3_bind_int64(prof, 1, run_id);
	mg_store__bind_text(prof, 2, p->kind);
	mg_store__bind_text(prof, 3, p->package ? p->package : "");
	mg_store__bind_text(prof, 4, types.ptr);
	mg_store__bind_text(prof, 5, p->default_sample_type);
	mg_store__bind_text(prof, 6, sha);
	sqlite3_bind_int64(prof, 7, (int64_t)p->len);
	error = mg_store__select_id(st, prof, &profile_id, err);
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
	if (blob)
		sqlite3_reset(blob);
	if (prof)
		sqlite3_reset(prof);
	if (func)
		sqlite3_reset(func);
	mg_buf_release(&types);
	return error == MG_ENOTFOUND ? MG_EINTERNAL : error;
}

/*
 * Write a whole run inside the caller's transaction. An idempotency key
 * already stored answers with the original id and *existed_out true.
 */
int mg_store__put_run(mg_store *st, const mg_run *run,
                      const mg_store_sets *sets, int64_t *id_out,
                      bool *existed_out, mg_err *err)
{
	int64_t project_id = 0, commit_id = 0, env_id = 0, run_id = 0;
	mg_store_sets *own = NULL;
	size_t i;
	int error;

	*existed_out = false;
	if (run->idempotency_key) {
		error = mg_store__run_by_key(
		        st, run->project, run->idempotency_key, &run_id, err);
		if (error == 0) {
			*id_out = run_id;
			*existed_out = true;
			return 0;
		}
		if (error != MG_ENOTFOUND)
			return error;
	}
	if (sets == NULL) {
		error = mg_store_sets_build(&own, run, err);
		if (error < 0)
			return error;
		sets = own;
	}
	if ((error = mg_store_project_ensure(st, run->project, run->clone_url,
	                                     run->default_branch, &project_id,
	                                     err)) < 0 ||
	    (error = put_commit(st, project_id, run, &commit_id, err)) < 0 ||
	    (error = put_env(st, &run->env, &env_id, err)) < 0 ||
	    (error = put_run_row(st, run, project_id, commit_id, env_id,
	                         &run_id, err)) < 0 ||
	    (error = put_samples(st, sets, project_id, run_id, err)) < 0)
		goto cleanup;
	for (i = 0; i < run->nprofiles; i++) {
		error = put_profile(st, &run->profiles[i], run_id, err);
		if (error < 0)
			goto cleanup;
	}
	error = mg_store__history_put(st, sets, run_id, err);
	if (error == 0)
		*id_out = run_id;
cleanup:
	scratch_free(st);
	mg_store_sets_free(own);
	return error;
}

/*
 * Foreign-key enforcement off for the length of an ingest transaction.
 * A run's writes reference only rows the same transaction has just found
 * or inserted (its commit, run, benchmarks), so the per-row parent lookups
 * SQLite makes for every sample and history point check nothing that can
 * fail, and they were half the store's time: 17 -> 9 ms of CPU for a run
 * of 6,000 samples. The store tests run PRAGMA foreign_key_check after
 * ingests instead. The pragma is a no-op inside a transaction, hence
 * around it; every other write keeps enforcement on.
 */
void mg_store__ingest_fk(mg_store *st, bool on)
{
	sqlite3_exec(st->db,
	             on ? "PRAGMA foreign_keys = ON"
	                : "PRAGMA foreign_keys = OFF",
	             NULL, NULL, NULL);
}

/* A batch of one: the same transaction, savepoint and checks. */
int mg_store_add_run(mg_store *st, const mg_run *run, int64_t *id_out,
                     bool *existed_out, mg_err *err)
{
	mg_store_batch_item it;

	memset(&it, 0, sizeof(it));
	it.run = run;
	(void)mg_store_add_runs(st, &it, 1);
	if (it.error < 0) {
		if (err)
			*err = it.err;
		return it.error;
	}
	*id_out = it.id;
	if (existed_out)
		*existed_out = it.existed;
	return 0;
}

/* ---- group commit ------------------------------------------------------- */

/* One run of a batch, under its own savepoint. */
static int batch_put(mg_store *st, mg_store_batch_item *it)
{
	int error;

	error = mg_store__exec(st, "SAVEPOINT mg_batch_run", &it->err);
	if (error < 0)
		return error;
	mg_store__known_mark(st, false);
	error = mg_store__put_run(st, it->run, it->sets, &it->id, &it->existed,
	                          &it->err);
	/* Recording the token's use is bookkeeping: it never fails a run. */
	if (error == 0 && it->token_id > 0)
		(void)mg_store_token_touch(st, it->token_id, it->now_ms, NULL);
	if (error == 0)
		error = mg_store__exec(st, "RELEASE mg_batch_run", &it->err);
	return error;
}

/*
 * Undo the run that just failed. False when SQLite had already rolled the
 * whole transaction back (it does on I/O errors, a full disk or a lost
 * lock): the runs written before it are gone too.
 */
static bool batch_undo(mg_store *st)
{
	if (sqlite3_get_autocommit(st->db)) {
		st->in_tx = false;
		mg_store__known_undo(st, true);
		return false;
	}
	sqlite3_exec(st->db, "ROLLBACK TO mg_batch_run; RELEASE mg_batch_run",
	             NULL, NULL, NULL);
	mg_store__known_undo(st, false);
	return true;
}

static void batch_fail_pending(mg_store_batch_item *items, size_t n, int error,
                               const mg_err *err)
{
	bool busy = mg_store_busy_gave_up();
	size_t i;

	for (i = 0; i < n; i++) {
		if (items[i].error < 0)
			continue;
		items[i].error = error;
		items[i].err = *err;
		items[i].busy = busy;
		items[i].id = 0;
		items[i].existed = false;
	}
}

int mg_store_add_runs(mg_store *st, mg_store_batch_item *items, size_t n)
{
	mg_err err = MG_ERR_INIT;
	size_t i, j;
	int error;

	/* a lock given up earlier on this thread is not this batch's */
	(void)mg_store_busy_gave_up();
	for (i = 0; i < n; i++) {
		items[i].id = 0;
		items[i].existed = false;
		items[i].busy = false;
		mg_err_clear(&items[i].err);
		items[i].error =
		        items[i].validated
		                ? 0
		                : mg_run_validate(items[i].run, &items[i].err);
	}
	mg_store__ingest_fk(st, false);
again:
	error = mg_store_begin(st, &err);
	if (error < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		size_t files = st->ncreated;

		if (items[i].error < 0)
			continue;
		error = batch_put(st, &items[i]);
		if (error == 0)
			continue;
		items[i].error = error;
		items[i].busy = mg_store_busy_gave_up();
		if (batch_undo(st)) {
			mg_store__unlink_created(st, files);
			continue;
		}
		mg_store__unlink_created(st, 0);
		/*
		 * The transaction is gone with the runs before this one:
		 * store them again without it. Each pass drops one run, so
		 * this ends.
		 */
		for (j = 0; j < i; j++) {
			items[j].id = 0;
			items[j].existed = false;
		}
		goto again;
	}
	error = mg_store_commit(st, &err);
	if (error < 0)
		goto fail;
	mg_store__ingest_fk(st, true);
	return 0;

fail:
	mg_store__ingest_fk(st, true);
	batch_fail_pending(items, n, error, &err);
	return error;
}
