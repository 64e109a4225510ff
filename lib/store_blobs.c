/*
 * store_blobs.c - profiles kept as files beside the database (migration
 * 0009): where the directory is, reading a blob wherever it is kept, the
 * files of a transaction (synced before its commit, removed by its
 * rollback), crash leftovers, and the copy that goes with a backup.
 */
#include "store_int.h"

#define DIR_SUFFIX "-profiles"

char *mg_store_profile_dir(const char *db_path)
{
	size_t n = strlen(db_path);
	char *s = malloc(n + sizeof(DIR_SUFFIX));

	if (s) {
		memcpy(s, db_path, n);
		memcpy(s + n, DIR_SUFFIX, sizeof(DIR_SUFFIX));
	}
	return s;
}

/* Open the directory of st (creating it only for a writer). */
int mg_store__open_blobs(mg_store *st, bool create, mg_err *err)
{
	char *path;
	int error;

	if (st->blobs)
		return 0;
	path = mg_store_profile_dir(st->path);
	if (path == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_blobdir_open(&st->blobs, path, create, err);
	free(path);
	return error;
}

int mg_store__blob_bytes(mg_store *st, const char *sha, const char *stored_in,
                         int64_t size, const void *blob, size_t bloblen,
                         unsigned char **out, size_t *len, mg_err *err)
{
	unsigned char *copy;
	int error;

	*out = NULL;
	if (stored_in && strcmp(stored_in, "dir") == 0) {
		if (size < 0)
			return mg_err_set(err, MG_EINTERNAL,
			                  "profile %s: size %lld", sha,
			                  (long long)size);
		error = mg_store__open_blobs(st, false, err);
		if (error == 0)
			error = mg_blobdir_read(st->blobs, sha, (size_t)size,
			                        out, err);
		/* the message names the file, and so the digest */
		*len = error < 0 ? 0 : (size_t)size;
		return error;
	}
	copy = malloc(bloblen ? bloblen : 1);
	if (copy == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if (bloblen)
		memcpy(copy, blob, bloblen);
	*out = copy;
	*len = bloblen;
	return 0;
}

/*
 * Write a new blob's file for the open transaction and remember it, so a
 * rollback takes it away again.
 */
int mg_store__put_blob_file(mg_store *st, const char *sha, const void *data,
                            size_t len, mg_err *err)
{
	bool created;
	int error;

	if (st->ncreated == st->created_cap) {
		size_t cap = st->created_cap ? st->created_cap * 2 : 8;
		void *p = realloc(st->created, cap * sizeof(*st->created));

		if (p == NULL)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
		st->created = p;
		st->created_cap = cap;
	}
	error = mg_blobdir_put(st->blobs, sha, data, len, &created, err);
	if (error < 0)
		return error;
	/* A file already there was committed before, or is a leftover. */
	if (created)
		snprintf(st->created[st->ncreated++], 65, "%s", sha);
	return 0;
}

int mg_store_stage_profiles(mg_blobdir *dir, const mg_run *run, mg_err *err)
{
	bool created, any = false;
	size_t i;
	int error;

	for (i = 0; i < run->nprofiles; i++) {
		const mg_profile *p = &run->profiles[i];
		char sha[65];

		mg_store__profile_sha(sha, p);
		error = mg_blobdir_put(dir, sha, p->data, p->len, &created,
		                       err);
		if (error < 0)
			return error;
		any = any || created;
	}
	return any ? mg_blobdir_sync(dir, err) : 0;
}

void mg_store__unlink_created(mg_store *st, size_t keep)
{
	while (st->ncreated > keep)
		mg_blobdir_remove(st->blobs, st->created[--st->ncreated]);
}

int mg_store__sync_created(mg_store *st, mg_err *err)
{
	if (st->ncreated == 0 && !st->dir_rows)
		return 0;
	return mg_blobdir_sync(st->blobs, err);
}

struct sweep_ctx {
	mg_store *st;
	sqlite3_stmt *find;
	int error;
	mg_err *err;
};

/* True (remove) when no row names the file. */
static bool unreferenced(void *arg, const char *name)
{
	struct sweep_ctx *c = arg;
	int rc;

	if (c->error < 0)
		return false;
	sqlite3_reset(c->find);
	mg_store__bind_text(c->find, 1, name);
	rc = mg_store__step(c->st, c->find, c->err);
	if (rc < 0) {
		c->error = rc;
		return false;
	}
	return rc == SQLITE_DONE;
}

int mg_store_sweep_profiles(mg_store *st, long min_age_s, size_t *removed,
                            mg_err *err)
{
	struct sweep_ctx c = {st, NULL, 0, err};
	int error;

	*removed = 0;
	error = mg_store__open_blobs(st, false, err);
	if (error == MG_ENOTFOUND) {
		mg_err_clear(err);
		return 0;
	}
	if (error < 0)
		return error;
	error = mg_store__prepare(st, &c.find,
	                          "SELECT 1 FROM profile_blobs WHERE sha256 = "
	                          "?1 AND stored_in = 'dir'",
	                          err);
	/*
	 * One read transaction for all the lookups: alone, each SELECT
	 * took and dropped SQLite's shared lock and re-read the WAL index,
	 * and a start with 100,000 profiles took 1.4 s before listening.
	 */
	if (error == 0)
		error = mg_store__exec(st, "BEGIN", err);
	if (error == 0) {
		error = mg_blobdir_sweep(st->blobs, min_age_s, unreferenced, &c,
		                         removed, err);
		sqlite3_reset(c.find);
		(void)sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL);
	}
	if (error == 0)
		error = c.error;
	sqlite3_finalize(c.find);
	return error;
}

/*
 * After the database copy at dest_path is made: put the files its rows
 * name in dest_path's profile directory. Files are never changed once
 * written, so copying after the snapshot is as good as during it.
 */
int mg_store__backup_profiles(mg_store *st, sqlite3 *dest,
                              const char *dest_path, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_blobdir *to = NULL;
	char *path = NULL;
	int rc, error = 0;

	rc = sqlite3_prepare_v2(dest,
	                        "SELECT sha256 FROM profile_blobs WHERE "
	                        "stored_in = 'dir'",
	                        -1, &stmt, NULL);
	if (rc != SQLITE_OK) {
		/* a database from before 0009 has no such column, no files */
		sqlite3_finalize(stmt);
		return 0;
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *sha = (const char *)sqlite3_column_text(stmt, 0);

		if (to == NULL) {
			path = mg_store_profile_dir(dest_path);
			if (path == NULL) {
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
				goto cleanup;
			}
			if ((error = mg_store__open_blobs(st, false, err)) <
			            0 ||
			    (error = mg_blobdir_open(&to, path, true, err)) < 0)
				goto cleanup;
		}
		error = mg_blobdir_copy_to(st->blobs, sha ? sha : "", to, err);
		if (error < 0)
			goto cleanup;
	}
	if (rc != SQLITE_DONE) {
		error = mg_err_set(err, MG_EDB, "%s: backup: %s", dest_path,
		                   sqlite3_errmsg(dest));
		goto cleanup;
	}
	if (to)
		error = mg_blobdir_sync(to, err);
cleanup:
	sqlite3_finalize(stmt);
	mg_blobdir_free(to);
	free(path);
	return error;
}
