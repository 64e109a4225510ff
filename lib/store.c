/*
 * store.c - opening the database, migrations and transactions.
 *
 * Migrations are schema/NNNN_*.sql embedded at build time; PRAGMA
 * user_version holds the number of the last one applied. Each migration
 * runs in its own transaction together with the user_version update, so a
 * crash mid-way leaves the previous version intact.
 */
#include <sys/time.h>
#include <time.h>

#include "buf.h"
#include "migrations.h"
#include "store_int.h"

int64_t mg_store__now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int db_error(mg_store *st, mg_err *err, const char *what)
{
	return mg_err_set(err, MG_EDB, "%s: %s: %s", st->path, what,
	                  sqlite3_errmsg(st->db));
}

int mg_store__prepare(mg_store *st, sqlite3_stmt **out, const char *sql,
                      mg_err *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK) {
		*out = NULL;
		return db_error(st, err, "prepare");
	}
	return 0;
}

int mg_store__cached(mg_store *st, enum mg_store__cached_slot slot,
                     const char *sql, sqlite3_stmt **out, mg_err *err)
{
	sqlite3_stmt *stmt;

	if (st->cache == NULL) {
		st->cache = calloc(MG_STORE__NCACHED, sizeof(*st->cache));
		if (st->cache == NULL)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	stmt = st->cache[slot];
	if (stmt) {
		sqlite3_reset(stmt);
		sqlite3_clear_bindings(stmt);
		*out = stmt;
		return 0;
	}
	if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                       &stmt, NULL) != SQLITE_OK) {
		*out = NULL;
		return db_error(st, err, "prepare");
	}
	st->cache[slot] = stmt;
	*out = stmt;
	return 0;
}

int mg_store__step(mg_store *st, sqlite3_stmt *stmt, mg_err *err)
{
	int rc;

	if (st->fail_after > 0 && --st->fail_after == 0)
		return mg_err_set(err, MG_EDB, "%s: injected failure",
		                  st->path);
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW || rc == SQLITE_DONE)
		return rc;
	return db_error(st, err, "step");
}

int mg_store__exec_stmt(mg_store *st, sqlite3_stmt *stmt, mg_err *err)
{
	int rc = mg_store__step(st, stmt, err);

	if (rc < 0)
		return rc;
	if (rc != SQLITE_DONE)
		return mg_err_set(err, MG_EINTERNAL,
		                  "%s: statement returned rows", st->path);
	return 0;
}

int mg_store__exec(mg_store *st, const char *sql, mg_err *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		mg_err_set(err, MG_EDB, "%s: %s", st->path,
		           msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return MG_EDB;
	}
	return 0;
}

int mg_store__col_str(char **field, sqlite3_stmt *stmt, int col)
{
	const char *s = (const char *)sqlite3_column_text(stmt, col);

	*field = NULL;
	if (s == NULL)
		return 0;
	*field = mg_strdup(s);
	return *field ? 0 : MG_ENOMEM;
}

int mg_store__bind_text(sqlite3_stmt *stmt, int idx, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(stmt, idx);
	return sqlite3_bind_text(stmt, idx, s, -1, SQLITE_STATIC);
}

static int read_user_version(mg_store *st, int *out, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	rc = mg_store__prepare(st, &stmt, "PRAGMA user_version", err);
	if (rc < 0)
		return rc;
	rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		rc = db_error(st, err, "reading user_version");
		goto cleanup;
	}
	*out = sqlite3_column_int(stmt, 0);
	rc = 0;
cleanup:
	sqlite3_finalize(stmt);
	return rc;
}

/*
 * Apply migrations one transaction at a time. The version is re-read after
 * taking the write lock, so two processes opening a new file at once do
 * not both apply the same migration: the second waits, then sees it done.
 */
/* Fails with the first dangling reference foreign_key_check reports. */
static int check_foreign_keys(mg_store *st, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error = 0;

	error = mg_store__prepare(st, &stmt, "PRAGMA foreign_key_check", err);
	if (error < 0)
		return error;
	rc = mg_store__step(st, stmt, err);
	if (rc == SQLITE_ROW)
		error = mg_err_set(err, MG_EDB,
		                   "%s: table %s row %lld references a "
		                   "missing %s row",
		                   st->path, sqlite3_column_text(stmt, 0),
		                   (long long)sqlite3_column_int64(stmt, 1),
		                   sqlite3_column_text(stmt, 2));
	else if (rc < 0)
		error = rc;
	sqlite3_finalize(stmt);
	return error;
}

static int migrate_one(mg_store *st, mg_err *err)
{
	const mg_migration *m;
	char pragma[64];
	int version, error;

	error = mg_store_begin(st, err);
	if (error < 0)
		return error;
	error = read_user_version(st, &version, err);
	if (error < 0)
		goto rollback;
	if (version > mg_migrations_count) {
		error = mg_err_set(err, MG_ECONFLICT,
		                   "%s: database schema version %d is newer "
		                   "than this memgate understands (%d); "
		                   "upgrade memgate",
		                   st->path, version, mg_migrations_count);
		goto rollback;
	}
	if (version == mg_migrations_count) {
		error = mg_store_commit(st, err);
		return error < 0 ? error : 1;
	}
	m = &mg_migrations[version];
	error = mg_store__exec(st, m->sql, err);
	if (error == 0)
		error = check_foreign_keys(st, err);
	if (error < 0) {
		mg_err_prefix(err, "migration %s", m->name);
		goto rollback;
	}
	snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d",
	         m->version);
	error = mg_store__exec(st, pragma, err);
	if (error < 0)
		goto rollback;
	return mg_store_commit(st, err);

rollback:
	mg_store_rollback(st);
	return error;
}

/*
 * Migrations run with foreign keys off, as SQLite's procedure for
 * rebuilding a table requires (0008), and each is checked with
 * foreign_key_check before it commits.
 */
static int migrate(mg_store *st, mg_err *err)
{
	int rc;

	sqlite3_exec(st->db, "PRAGMA foreign_keys = OFF", NULL, NULL, NULL);
	while ((rc = migrate_one(st, err)) == 0)
		;
	sqlite3_exec(st->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
	return rc < 0 ? rc : 0;
}

/*
 * Switching a new file to WAL takes a lock SQLite does not wait for (the
 * busy handler is not called), so two processes creating one database at
 * once saw "database is locked" (test_concurrent_writers, now and then on
 * a loaded machine). Retry every 10 ms for the busy timeout.
 */
static int set_wal(mg_store *st, mg_err *err)
{
	const struct timespec tick = {0, 10 * 1000000L};
	int waited;

	for (waited = 0;; waited += 10) {
		int rc = sqlite3_exec(st->db, "PRAGMA journal_mode = WAL", NULL,
		                      NULL, NULL);

		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY ||
		    waited >= MG_STORE_BUSY_TIMEOUT_MS)
			return db_error(st, err, "journal_mode = WAL");
		nanosleep(&tick, NULL);
	}
}

static int configure(mg_store *st, unsigned flags, mg_err *err)
{
	int error;

	sqlite3_busy_timeout(st->db, MG_STORE_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	error = mg_store__exec(st, "PRAGMA foreign_keys = ON", err);
	if (error < 0 || (flags & MG_STORE_READONLY))
		return error;
	/*
	 * WAL: readers never block the writer and vice versa, which the
	 * server's concurrent history queries during ingest rely on.
	 */
	error = set_wal(st, err);
	/*
	 * Statement journals (the undo copy of the pages a statement changes
	 * inside a larger transaction) in memory, not in a temp file: a run's
	 * 32-row sample inserts each need one, and writing them out cost a
	 * quarter of the ingest's store time (14.4 -> 11.0 ms of CPU per run
	 * of 6,000 samples). They hold only the pages of one statement.
	 */
	if (error == 0)
		error = mg_store__exec(st, "PRAGMA temp_store = MEMORY", err);
	if (error < 0)
		return error;
	st->sync_full = (flags & MG_STORE_SYNC_FULL) != 0;
	return mg_store__exec(st,
	                      (flags & MG_STORE_SYNC_FULL)
	                              ? "PRAGMA synchronous = FULL"
	                              : "PRAGMA synchronous = NORMAL",
	                      err);
}

int mg_store_open(mg_store **out, const char *path, unsigned flags, mg_err *err)
{
	mg_store *st;
	int oflags, error, version;

	st = calloc(1, sizeof(*st));
	if (st == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	mg_buf_init(&st->known.key, MG_BUF_NOLIMIT);
	st->path = mg_strdup(path);
	if (st->path == NULL) {
		free(st);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	oflags = (flags & MG_STORE_READONLY)
	                 ? SQLITE_OPEN_READONLY
	                 : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	if (sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX,
	                    NULL) != SQLITE_OK) {
		error = mg_err_set(err, MG_EDB, "%s: cannot open: %s", path,
		                   st->db ? sqlite3_errmsg(st->db)
		                          : "out of memory");
		goto fail;
	}
	error = configure(st, flags, err);
	if (error < 0)
		goto fail;
	if (flags & MG_STORE_READONLY) {
		error = read_user_version(st, &version, err);
		if (error < 0)
			goto fail;
		if (version != mg_migrations_count) {
			error = mg_err_set(
			        err, MG_ECONFLICT,
			        "%s: schema version %d, this memgate "
			        "needs %d",
			        path, version, mg_migrations_count);
			goto fail;
		}
	} else {
		error = migrate(st, err);
		if (error < 0)
			goto fail;
	}
	if (flags & MG_STORE_PROFILES_IN_DIR) {
		error = mg_store__open_blobs(st, true, err);
		if (error < 0)
			goto fail;
		st->blobs_write = true;
	}
	*out = st;
	return 0;

fail:
	mg_store_close(st);
	return error;
}

void mg_store_close(mg_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; st->cache && i < MG_STORE__NCACHED; i++)
		sqlite3_finalize(st->cache[i]);
	free(st->cache);
	free(st->bench_ids);
	free(st->set_order);
	mg_store__known_free(st);
	sqlite3_close(st->db);
	free(st->commit_hook);
	mg_blobdir_free(st->blobs);
	free(st->created);
	free(st->path);
	free(st);
}

int mg_store_schema_version(mg_store *st)
{
	int v = -1;

	if (read_user_version(st, &v, NULL) < 0)
		return -1;
	return v;
}

int mg_store_latest_version(void)
{
	return mg_migrations_count;
}

int mg_store_begin(mg_store *st, mg_err *err)
{
	int error;

	if (st->in_tx)
		return mg_err_set(err, MG_EINTERNAL, "%s: nested transaction",
		                  st->path);
	error = mg_store__exec(st, "BEGIN IMMEDIATE", err);
	if (error < 0)
		return error;
	st->in_tx = true;
	st->ncreated = 0;
	st->dir_rows = false;
	mg_store__known_mark(st, true);
	return 0;
}

int mg_store_commit(mg_store *st, mg_err *err)
{
	int error;

	/* The files first: a committed row must never name a lost file. */
	error = mg_store__sync_created(st, err);
	if (error == 0)
		error = mg_store__exec(st, "COMMIT", err);
	if (error < 0) {
		mg_store_rollback(st);
		return error;
	}
	st->in_tx = false;
	st->ncreated = 0;
	st->dir_rows = false;
	return 0;
}

void mg_store_rollback(mg_store *st)
{
	if (!st->in_tx)
		return;
	/* A failed statement may already have ended it; ignore that. */
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	mg_store__unlink_created(st, 0);
	mg_store__known_undo(st, true);
	st->dir_rows = false;
	st->in_tx = false;
}

void mg_store_fail_after(mg_store *st, int n)
{
	st->fail_after = n;
}

int mg_store_backup(mg_store *st, const char *dest_path, mg_err *err)
{
	sqlite3 *dest = NULL;
	sqlite3_backup *b = NULL;
	int rc, error = 0;

	if (sqlite3_open_v2(dest_path, &dest,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		error = mg_err_set(
		        err, MG_EIO, "%s: cannot open: %s", dest_path,
		        dest ? sqlite3_errmsg(dest) : "out of memory");
		goto cleanup;
	}
	b = sqlite3_backup_init(dest, "main", st->db, "main");
	if (b == NULL) {
		error = mg_err_set(err, MG_EDB, "%s: backup: %s", dest_path,
		                   sqlite3_errmsg(dest));
		goto cleanup;
	}
	/*
	 * Copy in steps of 256 pages: between steps a writer (a running
	 * server) may commit, and the backup then restarts from the new
	 * state, so the copy is always one consistent snapshot.
	 */
	do {
		rc = sqlite3_backup_step(b, 256);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	if (rc != SQLITE_DONE)
		error = mg_err_set(err, MG_EDB, "%s: backup: %s", dest_path,
		                   sqlite3_errstr(rc));
cleanup:
	if (b && sqlite3_backup_finish(b) != SQLITE_OK && error == 0)
		error = mg_err_set(err, MG_EDB, "%s: backup: %s", dest_path,
		                   sqlite3_errmsg(dest));
	if (error == 0)
		error = mg_store__backup_profiles(st, dest, dest_path, err);
	sqlite3_close(dest);
	return error;
}
