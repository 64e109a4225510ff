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

#include "blobdir.h"
#include "err.h"
#include "run.h"

typedef struct mg_store mg_store;

/* How long a writer waits for another before giving up (ms). */
#define MG_STORE_BUSY_TIMEOUT_MS 30000

enum mg_store_open_flags {
	MG_STORE_READONLY = 1 << 0,  /* open read-only, never migrate */
	MG_STORE_SYNC_FULL = 1 << 1, /* synchronous=FULL (default NORMAL) */
	/*
	 * Write new profiles' bytes as files in "<path>-profiles/" (see
	 * blobdir.h) rather than into the database; the server's choice. A
	 * store opened without it still reads such profiles from there.
	 */
	MG_STORE_PROFILES_IN_DIR = 1 << 2,
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

/* The directory of profile files of the database at db_path (malloc'd). */
char *mg_store_profile_dir(const char *db_path);

/*
 * Write the files of run's profiles into dir (the profile directory of
 * a store opened with MG_STORE_PROFILES_IN_DIR) before the run is
 * queued for the writer: the store then finds them there and writes
 * only rows, so the writing and flushing of megabytes happens outside
 * the write lock, in parallel. A run that is not stored in the end
 * leaves its new files to mg_store_sweep_profiles. 0 or MG_EIO.
 */
int mg_store_stage_profiles(mg_blobdir *dir, const mg_run *run, mg_err *err);

/*
 * Remove what a crash can leave in the profile directory: temporary
 * files, and files no row names, both only once older than min_age_s
 * (younger ones may belong to a transaction still open in another
 * process). *removed counts them. A store without the directory: 0.
 */
int mg_store_sweep_profiles(mg_store *st, long min_age_s, size_t *removed,
                            mg_err *err);

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
 * One upload of a batch (mg_store_add_runs). The caller sets run, and
 * token_id/now_ms to record the uploading token's use (0: none); the
 * store sets the rest, as mg_store_add_run would for that run alone.
 */
/*
 * A run's samples cut into the sets the store writes, one per (benchmark,
 * unit): sorted, checked for duplicate repetitions, encoded. The writer
 * builds them itself unless the caller did, outside the write lock.
 * Borrows the run, which must outlive it.
 * 0, MG_EINPUT (a duplicate sample, or a value a set cannot hold, named),
 * MG_ENOMEM.
 */
typedef struct mg_store_sets mg_store_sets;
int mg_store_sets_build(mg_store_sets **out, const mg_run *run, mg_err *err);
void mg_store_sets_free(mg_store_sets *s);

typedef struct mg_store_batch_item {
	const mg_run *run;
	const mg_store_sets *sets; /* of run, or NULL: built by the store */
	int64_t token_id; /* > 0: mg_store_token_touch in the same commit */
	int64_t now_ms;
	/*
	 * The caller has run mg_run_validate on run (mg_runjson_read does),
	 * so the store need not again while it holds the write lock.
	 */
	bool validated;
	int64_t id;   /* the run's id, or the first upload's on a replay */
	bool existed; /* a replay of an idempotency key */
	bool busy;    /* error: the database stayed locked (retry later) */
	int error;    /* 0, or the MG_E* code of this run's failure */
	mg_err err;
} mg_store_batch_item;

/*
 * Store several runs in one transaction (group commit): one commit, one
 * sync and one write of the index pages the runs share, instead of one
 * per run. Each run is written under its own savepoint, so a run that
 * fails is undone alone and the others are still committed; every item
 * says how it ended. Returns 0 when the transaction committed, or the
 * error that failed all the runs still pending (BEGIN or COMMIT).
 * Must be called outside a transaction.
 */
int mg_store_add_runs(mg_store *st, mg_store_batch_item *items, size_t n);

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
 * The same rows for a benchmark already known by id (from
 * mg_store_benchmarks) on an explicit branch: no name resolution, and the
 * statement stays prepared on the connection, for pages that draw
 * thousands of series.
 */
int mg_store_history_of(mg_store *st, int64_t bench_id, const char *unit,
                        const char *branch, int64_t limit,
                        mg_history_point **out, size_t *n_out, mg_err *err);

/*
 * Keep the history points of the runs this connection stores in
 * history_pending instead of writing them in each run's transaction;
 * mg_store_history_apply writes them later, many runs at once. Until
 * then mg_store_history does not show those runs. memgate-server's
 * writer defers; the CLI does not. See store_history.c.
 */
void mg_store_defer_history(mg_store *st, bool on);

/*
 * Write pending points in one transaction, lowest run id first; *applied
 * gets how many runs were read (fewer than max_runs: none was left), and
 * *done_upto (may be NULL) an id up to which every run has all its points
 * written (0 if this call cannot tell).
 *  - slice -1: every point of up to max_runs runs; their rows go.
 *  - slice 0 .. MG_STORE_HISTORY_SLICES - 1: only the points of
 *    benchmarks whose id is slice modulo MG_STORE_HISTORY_SLICES, of up
 *    to max_runs runs this connection has not written that slice of yet.
 *    A row goes once every slice of it was written. Each call rewrites
 *    an eighth of the series' leaves, so a writer that takes the slices
 *    in turn holds the lock an eighth as long each time.
 * A pending row that does not read back is recomputed from the run's
 * samples. 0, MG_EDB (a damaged sample set is named), MG_ENOMEM.
 */
#define MG_STORE_HISTORY_SLICES 8
int mg_store_history_apply(mg_store *st, int slice, size_t max_runs,
                           size_t *applied, int64_t *done_upto, mg_err *err);

/*
 * How many runs' points are pending (*n) and the highest of their run
 * ids (*max_run_id, 0 if none); either may be NULL.
 */
int mg_store_history_pending(mg_store *st, int64_t *n, int64_t *max_run_id,
                             mg_err *err);

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
 * Copy the whole database into dest_path (created or overwritten) with
 * SQLite's online backup: a consistent snapshot even while another
 * process (the server) keeps writing.
 */
int mg_store_backup(mg_store *st, const char *dest_path, mg_err *err);

/*
 * Test hook (fault injection, as SQLite's and curl's test suites do):
 * make the nth sqlite3_step() from now fail with MG_EDB; 0 disables.
 */
void mg_store_fail_after(mg_store *st, int n);

/*
 * ---- Server queries (lib/store_server.c) -------------------------------
 * Projects, API tokens, commit and benchmark listings, profile bytes and
 * figures for the metrics route: what memgate-server needs beyond the
 * CLI's queries. Same rules as above: one connection per thread.
 */

/* Longest project name accepted by mg_store_project_add ("owner/repo"). */
#define MG_STORE_MAX_PROJECT_NAME 256

typedef struct mg_project_info {
	int64_t id;
	char *name;           /* owned */
	char *clone_url;      /* owned, NULL if unknown */
	char *default_branch; /* owned */
	int64_t created_at;   /* unix ms */
	int64_t nruns;        /* runs stored */
	int64_t last_run_at;  /* stored_at of the newest run, unix ms; 0 none */
} mg_project_info;

/*
 * Create a project; MG_ECONFLICT if the name exists, MG_EINPUT for an
 * empty name, one longer than MG_STORE_MAX_PROJECT_NAME or one holding
 * control characters. default_branch NULL means "main".
 */
int mg_store_project_add(mg_store *st, const char *name, const char *clone_url,
                         const char *default_branch, int64_t *id_out,
                         mg_err *err);
/* One project by name into *out (release with mg_project_info_release). */
int mg_store_project_get(mg_store *st, const char *name, mg_project_info *out,
                         mg_err *err);
/* Every project, ordered by name; free with mg_project_info_free. */
int mg_store_project_list(mg_store *st, mg_project_info **out, size_t *n_out,
                          mg_err *err);
void mg_project_info_release(mg_project_info *p);
void mg_project_info_free(mg_project_info *p, size_t n);

/*
 * API tokens: "mgt_" and 64 hex digits (256 random bits from OpenSSL's
 * RAND_bytes). Only their SHA-256 is stored, so a token is shown once, at
 * creation, and cannot be recovered.
 */
#define MG_TOKEN_PREFIX "mgt_"
#define MG_TOKEN_LEN 68 /* the prefix and 64 hex digits */
/* Longest label of a token (free text shown by `token list`). */
#define MG_TOKEN_MAX_LABEL 200

typedef struct mg_token_info {
	int64_t id;
	int64_t project_id;
	char *project;        /* owned */
	char *label;          /* owned, NULL if none */
	int64_t created_at;   /* unix ms */
	int64_t revoked_at;   /* unix ms, 0 if active */
	int64_t last_used_at; /* unix ms, 0 if never */
} mg_token_info;

/*
 * Create a token for an existing project (MG_ENOTFOUND otherwise); the
 * token is written to token_out, NUL-terminated, and must be shown to the
 * user now: only its hash is kept.
 */
int mg_store_token_create(mg_store *st, const char *project, const char *label,
                          char token_out[MG_TOKEN_LEN + 1], int64_t *id_out,
                          mg_err *err);
/* Tokens of one project (NULL: all), by id; free with mg_token_info_free. */
int mg_store_token_list(mg_store *st, const char *project, mg_token_info **out,
                        size_t *n_out, mg_err *err);
void mg_token_info_release(mg_token_info *t);
void mg_token_info_free(mg_token_info *t, size_t n);
/*
 * Revoke token `id`: MG_ENOTFOUND if there is none. Revoking a revoked
 * token succeeds and keeps the first revocation time.
 */
int mg_store_token_revoke(mg_store *st, int64_t id, mg_err *err);
/*
 * Look a presented token up by its SHA-256. Fills *out (release with
 * mg_token_info_release) for an active token; MG_EAUTH if the token is
 * malformed, unknown or revoked (one message for all three, so a caller
 * cannot tell them apart).
 */
int mg_store_token_verify(mg_store *st, const char *token, mg_token_info *out,
                          mg_err *err);
/*
 * Record that token `id` was used at now_ms; written at most once a
 * minute per token so that it costs no extra commit per request.
 */
int mg_store_token_touch(mg_store *st, int64_t id, int64_t now_ms, mg_err *err);

/* One commit of a branch, for GET /api/v1/projects/{p}/commits. */
typedef struct mg_commit_info {
	char sha[MG_SHA_HEX + 1];
	char **parents; /* owned, first parent first */
	size_t nparents;
	char *author;        /* owned, NULL if unknown */
	char *subject;       /* owned, NULL if unknown */
	int64_t commit_time; /* unix s */
	int64_t nruns;       /* runs of this commit (any branch, any status) */
	int64_t last_run_id; /* the newest of them, 0 if none */
} mg_commit_info;

/*
 * The commits seen on `branch` (NULL: the project's default branch),
 * newest commit time first, at most limit (1..100000). MG_ENOTFOUND for
 * an unknown project.
 */
int mg_store_commits(mg_store *st, const char *project, const char *branch,
                     int64_t limit, mg_commit_info **out, size_t *n_out,
                     mg_err *err);
void mg_commit_info_free(mg_commit_info *c, size_t n);

/* One benchmark of a project with the units it has samples in. */
typedef struct mg_bench_info {
	int64_t id;
	char *package; /* owned, "" if none */
	char *name;    /* owned, without the -procs suffix */
	int procs;
	char **units; /* owned, sorted */
	size_t nunits;
} mg_bench_info;

/* Benchmarks of a project by package, name, procs; MG_ENOTFOUND. */
int mg_store_benchmarks(mg_store *st, const char *project, mg_bench_info **out,
                        size_t *n_out, mg_err *err);
void mg_bench_info_free(mg_bench_info *b, size_t n);

/*
 * The first parent of commit `sha` as stored with its runs (out: 40 hex
 * and NUL); MG_ENOTFOUND if the commit or its parents are not known.
 */
int mg_store_first_parent(mg_store *st, const char *project, const char *sha,
                          char out[MG_SHA_HEX + 1], mg_err *err);

/* The project of run `id` (caller frees *out); MG_ENOTFOUND. */
int mg_store_run_project(mg_store *st, int64_t id, char **out, mg_err *err);

/*
 * The raw bytes of the profile `kind` of run `id`, from the package
 * `package` (NULL: the run's only profile of that kind). *data (free())
 * gets *len bytes and sha256_hex their digest. MG_ENOTFOUND if the run
 * has no such profile; MG_EINPUT if package is NULL and several packages
 * have one.
 */
int mg_store_run_profile(mg_store *st, int64_t id, const char *kind,
                         const char *package, unsigned char **data, size_t *len,
                         char sha256_hex[65], mg_err *err);

/* Figures for GET /metrics. */
typedef struct mg_store_stats {
	int64_t projects;        /* rows in projects */
	int64_t runs;            /* rows in runs */
	int64_t outbox_pending;  /* notifications not yet delivered */
	int64_t history_pending; /* runs whose history points wait */
	int64_t db_bytes;        /* page_count x page_size */
	int64_t wal_bytes;       /* size of the -wal file, 0 if none */
} mg_store_stats;

int mg_store_stats_get(mg_store *st, mg_store_stats *out, mg_err *err);

/*
 * Free what the connection caches (pages, statements' scratch) and can
 * rebuild: for an idle server giving memory back. Never fails.
 */
void mg_store_release_memory(mg_store *st);

/*
 * Let the connection's page cache grow to kib KiB (SQLite's default is
 * 2,000 KiB). Pages are allocated as they are used and given back by
 * mg_store_release_memory. Never fails.
 */
void mg_store_set_cache_kib(mg_store *st, int kib);

/* A cheap query proving the database answers (GET /healthz). */
int mg_store_ping(mg_store *st, mg_err *err);

/*
 * Replace the 30 s busy timeout with `ms` for this connection. When the
 * wait ends without the lock, the failing call returns MG_EDB as before
 * and mg_store_busy_gave_up() returns true once, in the same thread, so
 * the server can answer 503 instead of 500.
 */
int mg_store_set_busy_timeout(mg_store *st, int ms);
bool mg_store_busy_gave_up(void);

/*
 * Take WAL checkpoints off this connection's commits: instead of SQLite's
 * automatic checkpoint (run by the committing thread once the WAL passes
 * 1,000 pages), fn(arg, pages) is called after each commit with the WAL's
 * size in pages, and the caller checkpoints from another connection with
 * mg_store_checkpoint. NULL fn restores the automatic checkpoint.
 */
int mg_store_on_commit(mg_store *st, void (*fn)(void *arg, int pages),
                       void *arg);
/*
 * A PASSIVE checkpoint: copy what it can of the WAL into the database
 * without waiting for readers or the writer. *pages_left (may be NULL)
 * gets the WAL pages not yet copied.
 */
int mg_store_checkpoint(mg_store *st, int *pages_left, mg_err *err);

/* ---- end of server queries ---------------------------------------------- */

/*
 * ---- Comparison queries (lib/store_compare.c) --------------------------
 * What `memgate compare --base/--head/--pr` needs to find the runs of a
 * commit and pick a baseline on the same environment.
 */

/* Runs of one commit listed at most (a commit is measured a few times). */
#define MG_STORE_MAX_COMMIT_RUNS 1000

/* One run of a commit, with the environment it ran on. */
typedef struct mg_commit_run {
	int64_t id;
	enum mg_run_status status;
	int64_t started_at; /* unix ms */
	mg_env env;         /* owned; see mg_commit_run_free */
} mg_commit_run;

/*
 * The runs of commit `sha` in `project`, newest first (by id), at most
 * MG_STORE_MAX_COMMIT_RUNS. *n_out is 0 when the commit or project is
 * unknown (not an error). Free with mg_commit_run_free.
 */
int mg_store_commit_runs(mg_store *st, const char *project, const char *sha,
                         mg_commit_run **out, size_t *n_out, mg_err *err);
void mg_commit_run_free(mg_commit_run *runs, size_t n);

/*
 * Whether commit `sha` of `project` has runs at all (*any) and a
 * successful one (*ok). Unknown commits and projects have none.
 */
int mg_store_commit_has_runs(mg_store *st, const char *project, const char *sha,
                             bool *any, bool *ok, mg_err *err);

/*
 * ---- Paired A/B sessions and noise floors (lib/store_ab.c) -------------
 * `memgate ab` measures two commits on one runner, interleaved; its A/A
 * form (one commit on both sides) measures each benchmark's noise floor.
 */

/* One benchmark and unit's floor, as measured by an A/A session. */
typedef struct mg_ab_floor {
	const char *package; /* "" if none */
	const char *name;    /* without the -procs suffix */
	int procs;
	const char *unit; /* as measured */
	int64_t n;        /* samples per side */
	double center;    /* median of both sides pooled */
	double rel;       /* the floor: a relative change, >= 0 */
} mg_ab_floor;

typedef struct mg_ab_session {
	int64_t rounds;            /* interleaved rounds of the whole command */
	int64_t confirm_rounds;    /* extra rounds of flagged benchmarks */
	bool aa;                   /* base and head are one commit */
	const mg_ab_floor *floors; /* A/A only; benchmarks of the head run */
	size_t nfloors;
} mg_ab_session;

/* Rounds a session may claim (memgate ab runs at most 1000). */
#define MG_AB_MAX_ROUNDS 1000000
/* Floors of one session: one per benchmark and unit of a run. */
#define MG_AB_MAX_FLOORS ((size_t)MG_RUN_MAX_BENCHMARKS * 8)

/*
 * Check a session's own fields (counts, floors: names, units, finite
 * values >= 0). MG_EINPUT naming the field ("floors[3].unit: ...").
 */
int mg_ab_session_validate(const mg_ab_session *s, mg_err *err);

/*
 * Store both runs of a session, the session and its floors in one
 * transaction (all or nothing). Both runs must be of one project. ids
 * get the base run, the head run and the session. MG_EINPUT (an invalid
 * run or session, a floor naming no benchmark of the head run), MG_EDB.
 */
int mg_store_add_ab(mg_store *st, const mg_run *base, const mg_run *head,
                    const mg_ab_session *s, int64_t ids[3], mg_err *err);

/*
 * The same for runs stored before (uploaded one by one), found by their
 * idempotency keys in `project`. Pairing the same two runs again finds
 * the first session (*existed true) and writes nothing. MG_ENOTFOUND
 * when a run is not (yet) stored, MG_EINPUT, MG_EDB.
 */
int mg_store_link_ab(mg_store *st, const char *project, const char *base_key,
                     const char *head_key, const mg_ab_session *s,
                     int64_t ids[3], bool *existed, mg_err *err);

/*
 * Called for each noise floor to apply; a negative return stops the walk
 * and is returned.
 */
typedef int (*mg_store_floor_cb)(void *ctx, const char *package,
                                 const char *name, int procs, const char *unit,
                                 double rel, bool same_env);

/*
 * The newest floor of every benchmark and unit of `project`, preferring
 * floors measured on environment `env` (NULL: any): a floor from another
 * environment is given only when `env` has none, with same_env false.
 * An unknown project has none (not an error).
 */
int mg_store_noise_floors(mg_store *st, const char *project, const mg_env *env,
                          mg_store_floor_cb cb, void *ctx, mg_err *err);

/* ---- end of comparison queries ---------------------------------------- */

#endif
