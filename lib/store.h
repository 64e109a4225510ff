/*
 * store.h - memgate's SQLite store: schema migrations, ingest of whole runs
 * (one transaction each: a run is stored entirely or not at all) and the
 * read queries shared by the CLI and the server.
 *
 * A store is one connection: use it from one thread at a time. Several
 * processes may open the same file; writers wait for each other (busy
 * timeout + BEGIN IMMEDIATE) rather than failing with "database is
 * locked". Only prepared statements with bound values touch the database.
 */
#ifndef MG_STORE_H
#define MG_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "run.h"

typedef struct mg_store mg_store;

/* How long a writer waits for another before giving up (ms). */
#define MG_STORE_BUSY_TIMEOUT_MS 30000

enum mg_store_open_flags {
	MG_STORE_READONLY = 1 << 0,  /* open read-only, never migrate */
	MG_STORE_SYNC_FULL = 1 << 1, /* synchronous=FULL (default NORMAL) */
};

/*
 * Open (creating if needed) the database at path, apply pending migrations
 * in order and check the schema version. Fails with MG_ECONFLICT if the
 * file was written by a newer memgate (its user_version is higher than
 * the migrations this binary carries).
 */
int mg_store_open(mg_store **out, const char *path, unsigned flags,
                  mg_err *err);
void mg_store_close(mg_store *st);

/* PRAGMA user_version of the open database. */
int mg_store_schema_version(mg_store *st);
/* The number of migrations this binary carries (the latest version). */
int mg_store_latest_version(void);

/*
 * Explicit transactions, for callers that group several writes (a verdict
 * and its outbox rows). Writes take the write lock at BEGIN (IMMEDIATE) so
 * two writers never deadlock on a lock upgrade. Rollback keeps err as is.
 */
int mg_store_begin(mg_store *st, mg_err *err);
int mg_store_commit(mg_store *st, mg_err *err);
void mg_store_rollback(mg_store *st);

/*
 * Ensure the project exists; creates it with the given clone URL and
 * default branch (NULL: "main") if new. *id_out gets its id.
 */
int mg_store_project_ensure(mg_store *st, const char *name,
                            const char *clone_url, const char *default_branch,
                            int64_t *id_out, mg_err *err);

/*
 * Store a whole run in one transaction: project (created if needed),
 * commit and parents, environment, run, benchmarks, configuration,
 * samples, profiles and their aggregates, and the history points of the
 * run's commit. If run->idempotency_key was already stored for the
 * project, nothing is written, *id_out gets the original run id and
 * *existed_out is set to true.
 * Errors: MG_EINPUT (invalid run, message names the field), MG_EDB.
 */
int mg_store_add_run(mg_store *st, const mg_run *run, int64_t *id_out,
                     bool *existed_out, mg_err *err);

/*
 * Load run `id` into *out (caller-initialised with mg_run_init; release
 * with mg_run_release). Profiles are loaded with their bytes and
 * aggregates. MG_ENOTFOUND if there is no such run.
 */
int mg_store_get_run(mg_store *st, int64_t id, mg_run *out, mg_err *err);

/* One row of a metric's history: the pooled samples of one commit. */
typedef struct mg_history_point {
	char sha[MG_SHA_HEX + 1];
	int64_t commit_time; /* unix seconds */
	char *subject;       /* owned by the array; see mg_history_free */
	int64_t n;           /* samples pooled */
	double median;
	double min;
	double max;
} mg_history_point;

typedef struct mg_history_query {
	const char *project;
	const char *benchmark; /* name, with or without a -procs suffix */
	const char *package;   /* NULL: the only package with that name */
	const char *unit;
	const char *branch; /* NULL: the project's default branch */
	int64_t limit;      /* newest first, at most this many */
} mg_history_query;

/*
 * The history of one benchmark and unit on one branch, newest commit
 * first. MG_ENOTFOUND for an unknown project or benchmark; MG_EINPUT if
 * the name matches benchmarks in several packages and none was given.
 */
int mg_store_history(mg_store *st, const mg_history_query *q,
                     mg_history_point **out, size_t *n_out, mg_err *err);
void mg_history_free(mg_history_point *points, size_t n);

/*
 * The query plan of the history query, one "detail" line per step, for
 * the test that shows it is an index range scan. Caller frees *out.
 */
int mg_store_explain_history(mg_store *st, char **out, mg_err *err);

/* One line of `memgate runs`. */
typedef struct mg_run_summary {
	int64_t id;
	char sha[MG_SHA_HEX + 1];
	char *project; /* owned by the array */
	char *branch;  /* owned, NULL if none */
	char *subject; /* owned, NULL if none */
	enum mg_run_status status;
	int64_t started_at; /* unix ms */
	int64_t wall_ns;
	int64_t peak_rss;
	int64_t nsamples;
} mg_run_summary;

/*
 * The most recent runs (by id), of one project or all (project NULL).
 */
int mg_store_list_runs(mg_store *st, const char *project, int64_t limit,
                       mg_run_summary **out, size_t *n_out, mg_err *err);
void mg_run_summary_free(mg_run_summary *runs, size_t n);

/*
 * Whether `probe` (project, commit.sha, bench_cmd, env) was already
 * measured: a run of the same commit with the same benchmark command on
 * an identical environment, whatever its status. A backfill skips such
 * commits, so an interrupted one resumes where it stopped.
 */
int mg_store_has_run(mg_store *st, const mg_run *probe, bool *out, mg_err *err);

/*
 * Test hook (fault injection, as SQLite's and curl's test suites do):
 * make the nth sqlite3_step() from now fail with MG_EDB; 0 disables.
 */
void mg_store_fail_after(mg_store *st, int n);

#endif
