/*
 * store_int.h - the mg_store body and statement helpers shared by the
 * store's source files (store.c: connection, migrations, transactions;
 * store_run.c: ingest and loading of runs; store_query.c: read queries).
 */
#ifndef MG_STORE_INT_H
#define MG_STORE_INT_H

#include <sqlite3.h>

#include "blobdir.h"
#include "buf.h"
#include "histchunk.h"
#include "intern.h"
#include "sampleset.h"
#include "store.h"

/*
 * Rows the connection has found or added while storing runs
 * (store_known.c): benchmark ids by key, and benchmark_units pairs. The
 * counts at BEGIN and at the current run's savepoint say what to forget
 * when either is rolled back.
 */
struct mg_store__known {
	mg_intern benches;  /* project id, package, name, procs */
	int64_t *bench_ids; /* by number in `benches` */
	size_t ids_cap;
	mg_intern units; /* benchmark id, unit */
	size_t tx_benches, tx_units;
	size_t run_benches, run_units;
	mg_buf key; /* scratch */
};

struct mg_store {
	sqlite3 *db;        /* the connection */
	char *path;         /* file name, for messages */
	int fail_after;     /* fault injection: steps until a forced failure */
	bool in_tx;         /* inside mg_store_begin/commit */
	bool defer_history; /* mg_store_defer_history */
	bool sync_full;     /* opened with MG_STORE_SYNC_FULL */
	/*
	 * Per slice of mg_store_history_apply: every pending run up to this
	 * id has that slice written, by this connection (0 when opened: a
	 * slice written again writes the same rows).
	 */
	int64_t hist_marks[MG_STORE_HISTORY_SLICES];
	/*
	 * Ingest statements kept prepared (mg_store__cached), indexed by
	 * enum mg_store__cached_slot; allocated on first use.
	 */
	sqlite3_stmt **cache;
	/*
	 * Scratch of the run being stored (store_run.c): the database id
	 * of each of its benchmarks, and its sets' numbers in (benchmark
	 * id, unit) order, which put_samples leaves for the history points.
	 */
	int64_t *bench_ids;
	size_t *set_order;
	struct mg_store__hook *commit_hook; /* mg_store_on_commit, or NULL */
	/*
	 * The profile directory: opened at mg_store_open with
	 * MG_STORE_PROFILES_IN_DIR, else on the first read of a profile
	 * kept there. `created` lists the files written by the open
	 * transaction, which a rollback removes and a commit first syncs.
	 */
	mg_blobdir *blobs;
	bool blobs_write;
	/*
	 * The open transaction added a 'dir' row: its file may have been
	 * written by another thread or process (staged, or left by a crash)
	 * whose directory sync we cannot vouch for, so COMMIT syncs first.
	 */
	bool dir_rows;
	char (*created)[65];
	size_t ncreated, created_cap;
	struct mg_store__known known;
};

/* Prepare sql; on failure set err with the SQLite message. */
int mg_store__prepare(mg_store *st, sqlite3_stmt **out, const char *sql,
                      mg_err *err);
/*
 * sqlite3_step() with fault injection; returns SQLITE_ROW, SQLITE_DONE or
 * MG_EDB (err set).
 */
int mg_store__step(mg_store *st, sqlite3_stmt *stmt, mg_err *err);
/* Step a statement expected to finish (no rows); 0 or MG_EDB. */
int mg_store__exec_stmt(mg_store *st, sqlite3_stmt *stmt, mg_err *err);
/* Run SQL without parameters (pragmas, DDL); 0 or MG_EDB. */
int mg_store__exec(mg_store *st, const char *sql, mg_err *err);
/*
 * Step a bound statement whose first column is an id: 0 with *id set,
 * MG_ENOTFOUND when there is no row (err untouched), or the step's error.
 */
int mg_store__select_id(mg_store *st, sqlite3_stmt *stmt, int64_t *id,
                        mg_err *err);
/* Bind a string or NULL. */
int mg_store__bind_text(sqlite3_stmt *stmt, int idx, const char *s);
/*
 * The key of an environment row: SHA-256 (hex) over every field, so
 * identical environments share one row. 0 or MG_ENOMEM.
 */
int mg_store__env_key(char out[65], const mg_env *e);
/*
 * Copy text column `col` into a new string at *field (NULL for SQL NULL).
 * 0 or MG_ENOMEM.
 */
int mg_store__col_str(char **field, sqlite3_stmt *stmt, int col);
/*
 * Write a whole (validated) run inside the caller's transaction (see
 * mg_store_add_run); sets are run's, or NULL to build them here.
 * 0, MG_EINPUT, MG_EDB, MG_ENOMEM.
 */
int mg_store__put_run(mg_store *st, const mg_run *run,
                      const mg_store_sets *sets, int64_t *id_out,
                      bool *existed_out, mg_err *err);
/*
 * The history points of a run just stored (store_history.c): kept in
 * history_pending, and written at once unless defer_history. Uses
 * st->bench_ids and set_order as put_samples left them, and the run's
 * rows. 0, MG_EDB, MG_ENOMEM.
 */
int mg_store__history_put(mg_store *st, const mg_store_sets *sets,
                          int64_t run_id, mg_err *err);
/* Foreign-key enforcement off (false) around an ingest transaction. */
void mg_store__ingest_fk(mg_store *st, bool on);
/*
 * The run of `project` stored with idempotency key `key`; MG_ENOTFOUND
 * (err unset) if none.
 */
int mg_store__run_by_key(mg_store *st, const char *project, const char *key,
                         int64_t *id, mg_err *err);
/*
 * The bytes of the profile blob with digest sha: `stored_in` and `size`
 * as profile_blobs has them, (blob, bloblen) its data column. A 'db'
 * blob is copied, a 'dir' one read from its file; *out is malloc'd,
 * *len its size.
 * 0, MG_ENOTFOUND / MG_EIO naming the file, MG_ENOMEM.
 */
int mg_store__blob_bytes(mg_store *st, const char *sha, const char *stored_in,
                         int64_t size, const void *blob, size_t bloblen,
                         unsigned char **out, size_t *len, mg_err *err);
/* Open st's profile directory if not yet; create: make it if missing. */
int mg_store__open_blobs(mg_store *st, bool create, mg_err *err);
/*
 * Write the file of a blob new to the open transaction (see `created`).
 * 0 or the blobdir's error.
 */
int mg_store__put_blob_file(mg_store *st, const char *sha, const void *data,
                            size_t len, mg_err *err);
/* Remove the profile files created after the first `keep` of this tx. */
void mg_store__unlink_created(mg_store *st, size_t keep);
/* Make the renames of this transaction's files durable (before COMMIT). */
int mg_store__sync_created(mg_store *st, mg_err *err);
/* Copy the files that the backup at dest/dest_path names. */
int mg_store__backup_profiles(mg_store *st, sqlite3 *dest,
                              const char *dest_path, mg_err *err);

/* The digest of p's bytes: the one the reader checked, or computed. */
void mg_store__profile_sha(char out[65], const mg_profile *p);
/*
 * Decode the sets in column col of stmt (run_samples.sets of run run_id)
 * that keep() wants (NULL: all; see mg_sampleset_run_read()) into *out
 * (mg_sampleset_run_free() it, on success or not). Text that does not
 * decode is a damaged database: MG_EDB, the message naming the run, the
 * entry and what is wrong.
 */
int mg_store__read_sets(sqlite3_stmt *stmt, int col, int64_t run_id,
                        mg_sampleset_keep_fn keep, void *arg,
                        mg_sampleset_run *out, mg_err *err);
/*
 * Decode the text of a history chunk of key *key (the first point it
 * must hold), of the series (bench_id, unit, branch), into v[0..*n).
 * Text that does not decode is a damaged database: MG_EDB, the message
 * naming the series and what is wrong. For the writer and the reader.
 */
int mg_store__decode_chunk(const char *text, size_t len,
                           const mg_histchunk_point *key, int64_t bench_id,
                           const char *unit, const char *branch,
                           mg_histchunk_point *v, size_t *n, mg_err *err);

/*
 * store_known.c. Lookups answer from memory (false: ask the database);
 * remembering may silently fail (out of memory), which costs only a
 * query later. mark at BEGIN (tx true) and at each run's savepoint;
 * undo when either is rolled back.
 */
bool mg_store__known_bench(mg_store *st, int64_t project_id, const mg_bench *b,
                           int64_t *id);
void mg_store__remember_bench(mg_store *st, int64_t project_id,
                              const mg_bench *b, int64_t id);
bool mg_store__known_unit(mg_store *st, int64_t bench_id, const char *unit);
void mg_store__remember_unit(mg_store *st, int64_t bench_id, const char *unit);
void mg_store__known_mark(mg_store *st, bool tx);
void mg_store__known_undo(mg_store *st, bool tx);
void mg_store__known_free(mg_store *st);

/* Current time, unix milliseconds. */
int64_t mg_store__now_ms(void);

/* One (benchmark, unit) of a run's samples (store_sets.c). */
struct mg_store__set {
	size_t bench;     /* index into run->benches */
	const char *unit; /* the run's own string */
	size_t n;         /* samples */
	size_t json;      /* its set's text: sets->json.ptr + json, */
	size_t json_len;  /* json_len bytes */
	size_t values; /* its n values, ascending, at sets->values + values */
};

struct mg_store_sets {
	const mg_run *run;
	const mg_sample **order; /* while building only */
	struct mg_store__set *v; /* by (benchmark index, unit) */
	size_t n;
	mg_buf json;
	double *values;
};

/* Slots of the ingest statements kept prepared on the connection. */
enum mg_store__cached_slot {
	MG_STORE__C_FIND_IDEMPOTENT,
	MG_STORE__C_COMMIT,
	MG_STORE__C_PARENT,
	MG_STORE__C_BRANCH,
	MG_STORE__C_ENV,
	MG_STORE__C_RUN,
	MG_STORE__C_BENCH_FIND,
	MG_STORE__C_BENCH_ADD,
	MG_STORE__C_CONFIG,
	MG_STORE__C_SAMPLE_SET,
	MG_STORE__C_BLOB,
	MG_STORE__C_PROFILE,
	MG_STORE__C_FUNC,
	MG_STORE__C_UNIT,
	MG_STORE__C_POOLED,
	MG_STORE__C_CHUNK_LAST,
	MG_STORE__C_CHUNK_AT,
	MG_STORE__C_CHUNK_FIRST,
	MG_STORE__C_CHUNK_PUT,
	MG_STORE__C_CHUNK_SET,
	MG_STORE__C_CHUNK_DEL,
	MG_STORE__C_PENDING,
	MG_STORE__C_PENDING_READ,
	MG_STORE__C_PENDING_DONE,
	MG_STORE__C_PENDING_COUNT,
	MG_STORE__C_PENDING_MAX,
	MG_STORE__C_HISTORY,
	MG_STORE__C_HISTORY_COMMIT,
	MG_STORE__NCACHED
};

/*
 * The statement of `slot`, prepared from sql on first use and kept until
 * mg_store_close (ingest runs the same dozen statements for every run;
 * preparing them each time cost more than some of them take to run).
 * The statement comes back reset with its bindings cleared; callers
 * reset it again once done, so no cached statement holds a read snapshot
 * between calls. 0 or MG_EDB.
 */
int mg_store__cached(mg_store *st, enum mg_store__cached_slot slot,
                     const char *sql, sqlite3_stmt **out, mg_err *err);

#endif
