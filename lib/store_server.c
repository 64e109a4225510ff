/*
 * store_server.c - the store queries of memgate-server: projects, API
 * tokens (SHA-256 only), commits of a branch, benchmarks of a project,
 * profile bytes, figures for /metrics, and a busy handler that tells the
 * server a lock wait ran out (so it answers 503, not 500).
 */
#include <stdint.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "buf.h"
#include "store_int.h"

static int oom(mg_err *err)
{
	return mg_err_set(err, MG_ENOMEM, "out of memory");
}

/*
 * Grow an array of `size`-byte items to hold one more; *cap doubles from
 * 16. New items are zeroed. 0 or MG_ENOMEM.
 */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (p == NULL)
		return MG_ENOMEM;
	memset((char *)p + *cap * size, 0, (ncap - *cap) * size);
	*arr = p;
	*cap = ncap;
	return 0;
}

static void hex_encode(char *out, const unsigned char *in, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	hex_encode(out, md, 32);
}

/* ---- projects ----------------------------------------------------------- */

/*
 * Step stmt to its end, filling one zeroed `size`-byte item per row with
 * row() (MG_ENOMEM from it). *arr and *n hold what was read even on
 * failure, for the caller's free function.
 */
static int read_rows(mg_store *st, sqlite3_stmt *stmt, size_t size,
                     int (*row)(void *item, sqlite3_stmt *stmt), void **arr,
                     size_t *n, mg_err *err)
{
	size_t cap = 0;
	int rc;

	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		if (grow(arr, &cap, *n, size) < 0)
			return oom(err);
		if (row((char *)*arr + (*n)++ * size, stmt) < 0)
			return oom(err);
	}
	return rc < 0 ? rc : 0;
}

static int check_project_name(const char *name, mg_err *err)
{
	size_t n = name ? strlen(name) : 0;
	size_t i;

	if (n == 0)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'name': project name is empty");
	if (n > MG_STORE_MAX_PROJECT_NAME)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'name': project name longer than %d "
		                  "bytes",
		                  MG_STORE_MAX_PROJECT_NAME);
	for (i = 0; i < n; i++)
		if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
			return mg_err_set(err, MG_EINPUT,
			                  "field 'name': control character in "
			                  "project name");
	return 0;
}

int mg_store_project_add(mg_store *st, const char *name, const char *clone_url,
                         const char *default_branch, int64_t *id_out,
                         mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	error = check_project_name(name, err);
	if (error < 0)
		return error;
	if (default_branch && default_branch[0] == '\0')
		return mg_err_set(err, MG_EINPUT,
		                  "field 'default_branch': empty");
	error = mg_store__prepare(st, &stmt,
	                          "INSERT INTO projects(name, clone_url, "
	                          "default_branch, created_at) VALUES (?1, ?2, "
	                          "coalesce(?3, 'main'), ?4) ON CONFLICT(name) "
	                          "DO NOTHING RETURNING id",
	                          err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, name);
	mg_store__bind_text(stmt, 2, clone_url);
	mg_store__bind_text(stmt, 3, default_branch);
	sqlite3_bind_int64(stmt, 4, mg_store__now_ms());
	rc = mg_store__step(st, stmt, err);
	if (rc < 0)
		error = rc;
	else if (rc != SQLITE_ROW)
		error = mg_err_set(err, MG_ECONFLICT,
		                   "project '%s' already exists", name);
	else if (id_out)
		*id_out = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return error;
}

void mg_project_info_release(mg_project_info *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->clone_url);
	free(p->default_branch);
	memset(p, 0, sizeof(*p));
}

void mg_project_info_free(mg_project_info *p, size_t n)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < n; i++)
		mg_project_info_release(&p[i]);
	free(p);
}

/*
 * The run figures come from runs_by_project_time, so a project's row
 * costs one index range, not a scan of runs.
 */
static const char project_sql[] =
        "SELECT p.id, p.name, p.clone_url, p.default_branch, p.created_at, "
        "(SELECT count(*) FROM runs r WHERE r.project_id = p.id), "
        "(SELECT max(stored_at) FROM runs r WHERE r.project_id = p.id) "
        "FROM projects p";

static int project_row(void *item, sqlite3_stmt *stmt)
{
	mg_project_info *p = item;

	p->id = sqlite3_column_int64(stmt, 0);
	p->created_at = sqlite3_column_int64(stmt, 4);
	p->nruns = sqlite3_column_int64(stmt, 5);
	p->last_run_at = sqlite3_column_int64(stmt, 6);
	if (mg_store__col_str(&p->name, stmt, 1) < 0 ||
	    mg_store__col_str(&p->clone_url, stmt, 2) < 0 ||
	    mg_store__col_str(&p->default_branch, stmt, 3) < 0)
		return MG_ENOMEM;
	return 0;
}

int mg_store_project_get(mg_store *st, const char *name, mg_project_info *out,
                         mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_project_info p;
	char sql[sizeof(project_sql) + 32];
	int rc, error;

	memset(&p, 0, sizeof(p));
	snprintf(sql, sizeof(sql), "%s WHERE p.name = ?1", project_sql);
	error = mg_store__prepare(st, &stmt, sql, err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, name);
	rc = mg_store__step(st, stmt, err);
	if (rc < 0)
		error = rc;
	else if (rc != SQLITE_ROW)
		error = mg_err_set(err, MG_ENOTFOUND, "project '%s' not found",
		                   name);
	else if (project_row(&p, stmt) < 0)
		error = oom(err);
	sqlite3_finalize(stmt);
	if (error < 0)
		mg_project_info_release(&p);
	else
		*out = p;
	return error;
}

int mg_store_project_list(mg_store *st, mg_project_info **out, size_t *n_out,
                          mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_project_info *arr = NULL;
	char sql[sizeof(project_sql) + 32];
	size_t n = 0;
	int error;

	snprintf(sql, sizeof(sql), "%s ORDER BY p.name", project_sql);
	error = mg_store__prepare(st, &stmt, sql, err);
	if (error == 0)
		error = read_rows(st, stmt, sizeof(*arr), project_row,
		                  (void **)&arr, &n, err);
	sqlite3_finalize(stmt);
	if (error < 0) {
		mg_project_info_free(arr, n);
		return error;
	}
	*out = arr;
	*n_out = n;
	return 0;
}

/* Resolve a project name to its id and default branch (may be NULL). */
static int project_id(mg_store *st, const char *name, int64_t *id,
                      char **default_branch, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error = 0;

	error = mg_store__prepare(st, &stmt,
	                          "SELECT id, default_branch FROM projects "
	                          "WHERE name = ?1",
	                          err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, name);
	rc = mg_store__step(st, stmt, err);
	if (rc < 0) {
		error = rc;
	} else if (rc != SQLITE_ROW) {
		error = mg_err_set(err, MG_ENOTFOUND, "project '%s' not found",
		                   name);
	} else {
		*id = sqlite3_column_int64(stmt, 0);
		if (default_branch &&
		    mg_store__col_str(default_branch, stmt, 1) < 0)
			error = oom(err);
	}
	sqlite3_finalize(stmt);
	return error;
}

/* ---- tokens ------------------------------------------------------------- */

int mg_store_token_create(mg_store *st, const char *project, const char *label,
                          char token_out[MG_TOKEN_LEN + 1], int64_t *id_out,
                          mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	unsigned char raw[32];
	char token[MG_TOKEN_LEN + 1], hash[65];
	int64_t pid = 0;
	int error;

	if (label && strlen(label) > MG_TOKEN_MAX_LABEL)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'label': longer than %d bytes",
		                  MG_TOKEN_MAX_LABEL);
	error = project_id(st, project, &pid, NULL, err);
	if (error < 0)
		return error;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return mg_err_set(err, MG_EINTERNAL,
		                  "no random bytes for a token (OpenSSL "
		                  "RAND_bytes failed)");
	memcpy(token, MG_TOKEN_PREFIX, sizeof(MG_TOKEN_PREFIX) - 1);
	hex_encode(token + sizeof(MG_TOKEN_PREFIX) - 1, raw, sizeof(raw));
	sha256_hex(hash, token, MG_TOKEN_LEN);
	error = mg_store__prepare(st, &stmt,
	                          "INSERT INTO api_tokens(project_id, "
	                          "token_sha256, label, created_at) VALUES "
	                          "(?1, ?2, ?3, ?4) RETURNING id",
	                          err);
	if (error < 0)
		goto cleanup;
	sqlite3_bind_int64(stmt, 1, pid);
	mg_store__bind_text(stmt, 2, hash);
	mg_store__bind_text(stmt, 3, label);
	sqlite3_bind_int64(stmt, 4, mg_store__now_ms());
	error = mg_store__step(st, stmt, err);
	if (error == SQLITE_ROW) {
		if (id_out)
			*id_out = sqlite3_column_int64(stmt, 0);
		memcpy(token_out, token, sizeof(token));
		error = 0;
	} else if (error >= 0) {
		error = mg_err_set(err, MG_EINTERNAL, "token insert: no id");
	}
cleanup:
	sqlite3_finalize(stmt);
	/* The token must not outlive this call anywhere but in token_out. */
	memset(token, 0, sizeof(token));
	memset(raw, 0, sizeof(raw));
	return error;
}

void mg_token_info_release(mg_token_info *t)
{
	if (t == NULL)
		return;
	free(t->project);
	free(t->label);
	memset(t, 0, sizeof(*t));
}

void mg_token_info_free(mg_token_info *t, size_t n)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < n; i++)
		mg_token_info_release(&t[i]);
	free(t);
}

static const char token_sql[] =
        "SELECT t.id, t.project_id, p.name, t.label, t.created_at, "
        "t.revoked_at, t.last_used_at FROM api_tokens t JOIN projects p ON "
        "p.id = t.project_id";

static int token_row(void *item, sqlite3_stmt *stmt)
{
	mg_token_info *t = item;

	t->id = sqlite3_column_int64(stmt, 0);
	t->project_id = sqlite3_column_int64(stmt, 1);
	t->created_at = sqlite3_column_int64(stmt, 4);
	t->revoked_at = sqlite3_column_int64(stmt, 5);
	t->last_used_at = sqlite3_column_int64(stmt, 6);
	if (mg_store__col_str(&t->project, stmt, 2) < 0 ||
	    mg_store__col_str(&t->label, stmt, 3) < 0)
		return MG_ENOMEM;
	return 0;
}

int mg_store_token_list(mg_store *st, const char *project, mg_token_info **out,
                        size_t *n_out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_token_info *arr = NULL;
	char sql[sizeof(token_sql) + 64];
	size_t n = 0;
	int error;

	snprintf(sql, sizeof(sql),
	         "%s WHERE ?1 IS NULL OR p.name = ?1 "
	         "ORDER BY t.id",
	         token_sql);
	error = mg_store__prepare(st, &stmt, sql, err);
	if (error == 0) {
		mg_store__bind_text(stmt, 1, project);
		error = read_rows(st, stmt, sizeof(*arr), token_row,
		                  (void **)&arr, &n, err);
	}
	sqlite3_finalize(stmt);
	if (error < 0) {
		mg_token_info_free(arr, n);
		return error;
	}
	*out = arr;
	*n_out = n;
	return 0;
}

int mg_store_token_revoke(mg_store *st, int64_t id, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__prepare(st, &stmt,
	                          "UPDATE api_tokens SET revoked_at = "
	                          "coalesce(revoked_at, ?2) WHERE id = ?1",
	                          err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, mg_store__now_ms());
	error = mg_store__exec_stmt(st, stmt, err);
	if (error == 0 && sqlite3_changes(st->db) == 0)
		error = mg_err_set(err, MG_ENOTFOUND, "token %lld not found",
		                   (long long)id);
	sqlite3_finalize(stmt);
	return error;
}

static bool token_well_formed(const char *token)
{
	size_t i, plen = sizeof(MG_TOKEN_PREFIX) - 1;

	if (token == NULL || strlen(token) != MG_TOKEN_LEN ||
	    strncmp(token, MG_TOKEN_PREFIX, plen) != 0)
		return false;
	for (i = plen; i < MG_TOKEN_LEN; i++)
		if (!((token[i] >= '0' && token[i] <= '9') ||
		      (token[i] >= 'a' && token[i] <= 'f')))
			return false;
	return true;
}

int mg_store_token_verify(mg_store *st, const char *token, mg_token_info *out,
                          mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_token_info t;
	char hash[65], sql[sizeof(token_sql) + 64];
	int rc, error = 0;

	memset(&t, 0, sizeof(t));
	/*
	 * The lookup is by hash: the database compares digests, never the
	 * secret, so its timing reveals nothing usable about the token.
	 */
	if (!token_well_formed(token))
		return mg_err_set(err, MG_EAUTH, "invalid or revoked token");
	sha256_hex(hash, token, MG_TOKEN_LEN);
	snprintf(sql, sizeof(sql), "%s WHERE t.token_sha256 = ?1", token_sql);
	error = mg_store__prepare(st, &stmt, sql, err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, hash);
	rc = mg_store__step(st, stmt, err);
	if (rc < 0)
		error = rc;
	else if (rc != SQLITE_ROW ||
	         sqlite3_column_type(stmt, 5) != SQLITE_NULL)
		error = mg_err_set(err, MG_EAUTH, "invalid or revoked token");
	else if (token_row(&t, stmt) < 0)
		error = oom(err);
	sqlite3_finalize(stmt);
	if (error < 0)
		mg_token_info_release(&t);
	else
		*out = t;
	return error;
}

int mg_store_token_touch(mg_store *st, int64_t id, int64_t now_ms, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__prepare(st, &stmt,
	                          "UPDATE api_tokens SET last_used_at = ?2 "
	                          "WHERE id = ?1 AND (last_used_at IS NULL OR "
	                          "last_used_at < ?2 - 60000)",
	                          err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	sqlite3_bind_int64(stmt, 2, now_ms);
	error = mg_store__exec_stmt(st, stmt, err);
	sqlite3_finalize(stmt);
	return error;
}

/* ---- commits and benchmarks -------------------------------------------- */

void mg_commit_info_free(mg_commit_info *c, size_t n)
{
	size_t i, j;

	if (c == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < c[i].nparents; j++)
			free(c[i].parents[j]);
		free(c[i].parents);
		free(c[i].author);
		free(c[i].subject);
	}
	free(c);
}

/* Split the space-separated parent list of the commits query. */
static int split_parents(mg_commit_info *c, const char *list)
{
	const char *s = list;
	size_t cap = 0;

	while (s && *s) {
		const char *sp = strchr(s, ' ');
		size_t len = sp ? (size_t)(sp - s) : strlen(s);

		if (grow((void **)&c->parents, &cap, c->nparents,
		         sizeof(*c->parents)) < 0)
			return MG_ENOMEM;
		c->parents[c->nparents] = mg_slice_dup((mg_slice){s, len});
		if (c->parents[c->nparents] == NULL)
			return MG_ENOMEM;
		c->nparents++;
		s = sp ? sp + 1 : NULL;
	}
	return 0;
}

static int commit_row(void *item, sqlite3_stmt *stmt)
{
	mg_commit_info *c = item;

	snprintf(c->sha, sizeof(c->sha), "%s",
	         (const char *)sqlite3_column_text(stmt, 0));
	c->commit_time = sqlite3_column_int64(stmt, 3);
	c->nruns = sqlite3_column_int64(stmt, 4);
	c->last_run_id = sqlite3_column_int64(stmt, 5);
	if (mg_store__col_str(&c->author, stmt, 1) < 0 ||
	    mg_store__col_str(&c->subject, stmt, 2) < 0 ||
	    split_parents(c, (const char *)sqlite3_column_text(stmt, 6)) < 0)
		return MG_ENOMEM;
	return 0;
}

int mg_store_commits(mg_store *st, const char *project, const char *branch,
                     int64_t limit, mg_commit_info **out, size_t *n_out,
                     mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_commit_info *arr = NULL;
	char *default_branch = NULL;
	int64_t pid = 0;
	size_t n = 0;
	int error;

	if (limit <= 0 || limit > 100000)
		return mg_err_set(
		        err, MG_EINPUT,
		        "field 'limit': must be between 1 and 100000");
	error = project_id(st, project, &pid, &default_branch, err);
	if (error < 0)
		return error;
	/*
	 * Parents come ordered by idx from the primary key of
	 * commit_parents, which group_concat follows in practice; the
	 * subquery's ORDER BY makes it explicit.
	 */
	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT c.sha, c.author, c.subject, c.commit_time, (SELECT "
	        "count(*) FROM runs r WHERE r.commit_id = c.id), (SELECT "
	        "max(r.id) FROM runs r WHERE r.commit_id = c.id), (SELECT "
	        "group_concat(parent_sha, ' ') FROM (SELECT parent_sha FROM "
	        "commit_parents cp WHERE cp.commit_id = c.id ORDER BY cp.idx)) "
	        "FROM commit_branches cb JOIN commits c ON c.id = cb.commit_id "
	        "WHERE cb.branch = ?2 AND c.project_id = ?1 ORDER BY "
	        "c.commit_time DESC, c.id DESC LIMIT ?3",
	        err);
	if (error < 0)
		goto cleanup;
	sqlite3_bind_int64(stmt, 1, pid);
	mg_store__bind_text(stmt, 2, branch ? branch : default_branch);
	sqlite3_bind_int64(stmt, 3, limit);
	error = read_rows(st, stmt, sizeof(*arr), commit_row, (void **)&arr, &n,
	                  err);
	if (error == 0) {
		*out = arr;
		*n_out = n;
		arr = NULL;
		n = 0;
	}
cleanup:
	mg_commit_info_free(arr, n);
	sqlite3_finalize(stmt);
	free(default_branch);
	return error;
}

void mg_bench_info_free(mg_bench_info *b, size_t n)
{
	size_t i, j;

	if (b == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = 0; j < b[i].nunits; j++)
			free(b[i].units[j]);
		free(b[i].units);
		free(b[i].package);
		free(b[i].name);
	}
	free(b);
}

/* Add unit to b->units; *cap is the array's room. 0 or MG_ENOMEM. */
static int add_unit(mg_bench_info *b, size_t *cap, const char *unit)
{
	if (grow((void **)&b->units, cap, b->nunits, sizeof(*b->units)) < 0)
		return MG_ENOMEM;
	b->units[b->nunits] = mg_strdup(unit);
	if (b->units[b->nunits] == NULL)
		return MG_ENOMEM;
	b->nunits++;
	return 0;
}

int mg_store_benchmarks(mg_store *st, const char *project, mg_bench_info **out,
                        size_t *n_out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_bench_info *arr = NULL, *b = NULL;
	int64_t pid = 0;
	size_t n = 0, cap = 0, ucap = 0;
	int rc, error;

	error = project_id(st, project, &pid, NULL, err);
	if (error < 0)
		return error;
	/* One pass: a row per (benchmark, unit), the units in order. */
	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT b.id, b.package, b.name, b.procs, u.unit FROM "
	        "benchmarks b LEFT JOIN benchmark_units u ON u.benchmark_id = "
	        "b.id WHERE b.project_id = ?1 ORDER BY b.package, b.name, "
	        "b.procs, u.unit",
	        err);
	if (error < 0)
		goto cleanup;
	sqlite3_bind_int64(stmt, 1, pid);
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		const char *unit = (const char *)sqlite3_column_text(stmt, 4);

		if (b == NULL || b->id != sqlite3_column_int64(stmt, 0)) {
			if (grow((void **)&arr, &cap, n, sizeof(*arr)) < 0)
				goto nomem;
			b = &arr[n++];
			ucap = 0;
			b->id = sqlite3_column_int64(stmt, 0);
			b->procs = sqlite3_column_int(stmt, 3);
			if (mg_store__col_str(&b->package, stmt, 1) < 0 ||
			    mg_store__col_str(&b->name, stmt, 2) < 0)
				goto nomem;
		}
		if (unit && add_unit(b, &ucap, unit) < 0)
			goto nomem;
	}
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	*out = arr;
	*n_out = n;
	arr = NULL;
	n = 0;
	goto cleanup;
nomem:
	error = oom(err);
cleanup:
	mg_bench_info_free(arr, n);
	sqlite3_finalize(stmt);
	return error;
}

/* ---- runs and profiles -------------------------------------------------- */

int mg_store_first_parent(mg_store *st, const char *project, const char *sha,
                          char out[MG_SHA_HEX + 1], mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT cp.parent_sha FROM projects p JOIN commits c ON "
	        "c.project_id = p.id JOIN commit_parents cp ON cp.commit_id = "
	        "c.id AND cp.idx = 0 WHERE p.name = ?1 AND c.sha = ?2",
	        err);
	if (error < 0)
		return error;
	mg_store__bind_text(stmt, 1, project);
	mg_store__bind_text(stmt, 2, sha);
	rc = mg_store__step(st, stmt, err);
	if (rc < 0)
		error = rc;
	else if (rc != SQLITE_ROW)
		error = mg_err_set(err, MG_ENOTFOUND,
		                   "no parent of commit '%.40s' is known", sha);
	else
		snprintf(out, MG_SHA_HEX + 1, "%s",
		         (const char *)sqlite3_column_text(stmt, 0));
	sqlite3_finalize(stmt);
	return error;
}

int mg_store_run_project(mg_store *st, int64_t id, char **out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error = 0;

	error = mg_store__prepare(st, &stmt,
	                          "SELECT p.name FROM runs r JOIN projects p "
	                          "ON p.id = r.project_id WHERE r.id = ?1",
	                          err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	rc = mg_store__step(st, stmt, err);
	if (rc < 0)
		error = rc;
	else if (rc != SQLITE_ROW)
		error = mg_err_set(err, MG_ENOTFOUND, "run %lld not found",
		                   (long long)id);
	else if (mg_store__col_str(out, stmt, 0) < 0)
		error = oom(err);
	sqlite3_finalize(stmt);
	return error;
}

int mg_store_run_profile(mg_store *st, int64_t id, const char *kind,
                         const char *package, unsigned char **data, size_t *len,
                         char sha256_hex[65], mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	unsigned char *copy = NULL;
	size_t n;
	int rc, error = 0;

	error = mg_store__prepare(
	        st, &stmt,
	        "SELECT p.sha256, b.data, b.stored_in, b.size FROM profiles p "
	        "JOIN profile_blobs b ON b.sha256 = p.sha256 WHERE p.run_id = "
	        "?1 AND p.kind = ?2 AND (?3 IS NULL OR p.package = ?3) ORDER "
	        "BY p.id LIMIT 2",
	        err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, id);
	mg_store__bind_text(stmt, 2, kind);
	mg_store__bind_text(stmt, 3, package);
	rc = mg_store__step(st, stmt, err);
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	if (rc != SQLITE_ROW) {
		error = mg_err_set(err, MG_ENOTFOUND,
		                   "run %lld has no '%s' profile%s%s%s",
		                   (long long)id, kind, package ? " of '" : "",
		                   package ? package : "", package ? "'" : "");
		goto cleanup;
	}
	snprintf(sha256_hex, 65, "%s",
	         (const char *)sqlite3_column_text(stmt, 0));
	error = mg_store__blob_bytes(
	        st, sha256_hex, (const char *)sqlite3_column_text(stmt, 2),
	        sqlite3_column_int64(stmt, 3), sqlite3_column_blob(stmt, 1),
	        (size_t)sqlite3_column_bytes(stmt, 1), &copy, &n, err);
	if (error < 0)
		goto cleanup;
	rc = mg_store__step(st, stmt, err);
	if (rc < 0) {
		error = rc;
		goto cleanup;
	}
	if (rc == SQLITE_ROW) {
		error = mg_err_set(err, MG_EINPUT,
		                   "field 'package': run %lld has '%s' "
		                   "profiles of several packages; name one",
		                   (long long)id, kind);
		goto cleanup;
	}
	*data = copy;
	*len = n;
	copy = NULL;
cleanup:
	free(copy);
	sqlite3_finalize(stmt);
	return error;
}

/* ---- figures and health ------------------------------------------------- */

static int one_int(mg_store *st, const char *sql, int64_t *out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	error = mg_store__prepare(st, &stmt, sql, err);
	if (error < 0)
		return error;
	rc = mg_store__step(st, stmt, err);
	if (rc < 0)
		error = rc;
	else
		*out = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_finalize(stmt);
	return error;
}

int mg_store_stats_get(mg_store *st, mg_store_stats *out, mg_err *err)
{
	mg_store_stats s;
	int64_t pages = 0, page_size = 0;
	struct stat sb;
	char *wal = NULL;
	int error;

	memset(&s, 0, sizeof(s));
	if ((error = one_int(st, "SELECT count(*) FROM projects", &s.projects,
	                     err)) < 0 ||
	    (error = one_int(st, "SELECT count(*) FROM runs", &s.runs, err)) <
	            0 ||
	    (error = one_int(st,
	                     "SELECT count(*) FROM outbox WHERE state = "
	                     "'pending'",
	                     &s.outbox_pending, err)) < 0 ||
	    (error = mg_store_history_pending(st, &s.history_pending, NULL,
	                                      err)) < 0 ||
	    (error = one_int(st, "PRAGMA page_count", &pages, err)) < 0 ||
	    (error = one_int(st, "PRAGMA page_size", &page_size, err)) < 0)
		return error;
	s.db_bytes = pages * page_size;
	wal = malloc(strlen(st->path) + 5);
	if (wal == NULL)
		return oom(err);
	memcpy(wal, st->path, strlen(st->path));
	memcpy(wal + strlen(st->path), "-wal", 5);
	if (stat(wal, &sb) == 0)
		s.wal_bytes = (int64_t)sb.st_size;
	free(wal);
	*out = s;
	return 0;
}

void mg_store_release_memory(mg_store *st)
{
	sqlite3_db_release_memory(st->db);
}

void mg_store_set_cache_kib(mg_store *st, int kib)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA cache_size = -%d", kib);
	/* a pragma with a number cannot fail but for out of memory */
	(void)sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

int mg_store_ping(mg_store *st, mg_err *err)
{
	int64_t v = 0;
	int error;

	error = one_int(st, "PRAGMA user_version", &v, err);
	if (error == 0 && v != mg_store_latest_version())
		error = mg_err_set(
		        err, MG_EDB, "%s: schema version %lld, expected %d",
		        st->path, (long long)v, mg_store_latest_version());
	return error;
}

/* ---- busy handling ------------------------------------------------------ */

static _Thread_local bool busy_gave_up;

/*
 * Back off like SQLite's own handler (short sleeps first, so a lock held
 * for a moment costs little), and give up once `ms` have passed.
 */
static int busy_handler(void *arg, int count)
{
	static const int delays[] = {1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50};
	const int ndelays = (int)(sizeof(delays) / sizeof(delays[0]));
	int limit = (int)(intptr_t)arg;
	int waited = 0, delay, i;
	struct timespec ts;

	for (i = 0; i < count && i < ndelays; i++)
		waited += delays[i];
	if (count >= ndelays)
		waited += (count - ndelays) * 100;
	delay = count < ndelays ? delays[count] : 100;
	if (waited + delay > limit) {
		delay = limit - waited;
		if (delay <= 0) {
			busy_gave_up = true;
			return 0;
		}
	}
	ts.tv_sec = delay / 1000;
	ts.tv_nsec = (long)(delay % 1000) * 1000000L;
	nanosleep(&ts, NULL);
	return 1;
}

int mg_store_set_busy_timeout(mg_store *st, int ms)
{
	busy_gave_up = false;
	if (ms < 0)
		ms = 0;
	return sqlite3_busy_handler(st->db, busy_handler,
	                            (void *)(intptr_t)ms) == SQLITE_OK
	               ? 0
	               : MG_EINTERNAL;
}

bool mg_store_busy_gave_up(void)
{
	bool v = busy_gave_up;

	busy_gave_up = false;
	return v;
}

/* ---- checkpoints --------------------------------------------------------- */

struct mg_store__hook {
	void (*fn)(void *arg, int pages);
	void *arg;
};

static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	const struct mg_store__hook *h = arg;

	(void)db;
	(void)name;
	h->fn(h->arg, pages);
	return SQLITE_OK;
}

int mg_store_on_commit(mg_store *st, void (*fn)(void *arg, int pages),
                       void *arg)
{
	struct mg_store__hook *h;

	if (fn == NULL) {
		free(st->commit_hook);
		st->commit_hook = NULL;
		/* installs SQLite's own hook again */
		return sqlite3_wal_autocheckpoint(st->db, 1000) == SQLITE_OK
		               ? 0
		               : MG_EINTERNAL;
	}
	h = st->commit_hook ? st->commit_hook : malloc(sizeof(*h));
	if (h == NULL)
		return MG_ENOMEM;
	h->fn = fn;
	h->arg = arg;
	st->commit_hook = h;
	/* replaces the automatic checkpoint, which is itself a WAL hook */
	sqlite3_wal_hook(st->db, wal_hook, h);
	return 0;
}

int mg_store_checkpoint(mg_store *st, int *pages_left, mg_err *err)
{
	int log = 0, done = 0, rc;

	rc = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
	                               &log, &done);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return mg_err_set(err, MG_EDB, "%s: checkpoint: %s", st->path,
		                  sqlite3_errmsg(st->db));
	if (pages_left)
		*pages_left = log > done ? log - done : 0;
	return 0;
}
