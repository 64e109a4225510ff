-- 0001_core.sql: projects, commits, runner environments, runs, benchmarks
-- and their samples. Every repetition is a row in samples: nothing is ever
-- averaged away. Times are unix seconds (commits) or milliseconds (runs).

CREATE TABLE projects (
	id             INTEGER PRIMARY KEY,
	name           TEXT NOT NULL UNIQUE,      -- "owner/repo"
	clone_url      TEXT,
	default_branch TEXT NOT NULL DEFAULT 'main',
	created_at     INTEGER NOT NULL           -- unix ms
);

CREATE TABLE commits (
	id          INTEGER PRIMARY KEY,
	project_id  INTEGER NOT NULL REFERENCES projects(id),
	sha         TEXT NOT NULL CHECK (length(sha) = 40),
	author      TEXT,
	commit_time INTEGER NOT NULL,              -- committer time, unix s
	subject     TEXT,
	UNIQUE (project_id, sha)
);

-- Parents in order (idx 0 = first parent); parent_sha need not be stored
-- as a commit itself.
CREATE TABLE commit_parents (
	commit_id  INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
	idx        INTEGER NOT NULL,
	parent_sha TEXT NOT NULL CHECK (length(parent_sha) = 40),
	PRIMARY KEY (commit_id, idx)
) WITHOUT ROWID;
CREATE INDEX commit_parents_by_sha ON commit_parents(parent_sha);

-- Branches a commit was seen on (by a run or a push webhook).
CREATE TABLE commit_branches (
	commit_id INTEGER NOT NULL REFERENCES commits(id) ON DELETE CASCADE,
	branch    TEXT NOT NULL,
	PRIMARY KEY (commit_id, branch)
) WITHOUT ROWID;

-- A runner fingerprint; identical environments share one row
-- (fingerprint = SHA-256 over the fields, computed by the store).
CREATE TABLE environments (
	id          INTEGER PRIMARY KEY,
	fingerprint TEXT NOT NULL UNIQUE,
	os          TEXT,
	kernel      TEXT,
	arch        TEXT,
	cpu_model   TEXT,
	cores       INTEGER,
	mem_bytes   INTEGER,
	go_version  TEXT,
	gomaxprocs  TEXT,
	gogc        TEXT,
	gomemlimit  TEXT,
	godebug     TEXT,
	thp         TEXT,
	label       TEXT
);

CREATE TABLE runs (
	id              INTEGER PRIMARY KEY,
	project_id      INTEGER NOT NULL REFERENCES projects(id),
	commit_id       INTEGER NOT NULL REFERENCES commits(id),
	environment_id  INTEGER NOT NULL REFERENCES environments(id),
	branch          TEXT,
	dirty           INTEGER NOT NULL DEFAULT 0,
	pr_number       INTEGER,
	base_ref        TEXT,
	base_sha        TEXT,
	started_at      INTEGER NOT NULL,          -- unix ms
	ended_at        INTEGER NOT NULL,          -- unix ms
	build_cmd       TEXT,
	bench_cmd       TEXT,
	exit_status     INTEGER NOT NULL,
	wall_ns         INTEGER NOT NULL,
	peak_rss_bytes  INTEGER NOT NULL,          -- benchmark process tree
	status          TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
	log_tail        TEXT,
	idempotency_key TEXT,
	stored_at       INTEGER NOT NULL,          -- unix ms
	UNIQUE (project_id, idempotency_key)
);
CREATE INDEX runs_by_commit ON runs(commit_id, status);
CREATE INDEX runs_by_project_time ON runs(project_id, stored_at DESC);

-- A benchmark is identified by package, name (with sub-benchmarks, without
-- the -GOMAXPROCS suffix) and procs: "Foo-4" and "Foo-8" are compared
-- separately, as benchstat shows them as separate rows.
CREATE TABLE benchmarks (
	id         INTEGER PRIMARY KEY,
	project_id INTEGER NOT NULL REFERENCES projects(id),
	package    TEXT NOT NULL,
	name       TEXT NOT NULL,
	procs      INTEGER NOT NULL,
	UNIQUE (project_id, package, name, procs)
);

-- Configuration lines in force for a benchmark in one run (goos, goarch,
-- cpu, user keys), as read from the benchmark output.
CREATE TABLE run_benchmark_config (
	run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
	key          TEXT NOT NULL,
	value        TEXT NOT NULL,
	PRIMARY KEY (run_id, benchmark_id, key)
) WITHOUT ROWID;

CREATE TABLE samples (
	run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
	unit         TEXT NOT NULL,
	seq          INTEGER NOT NULL,             -- repetition within the run
	value        REAL NOT NULL,
	iterations   INTEGER NOT NULL,
	PRIMARY KEY (run_id, benchmark_id, unit, seq)
) WITHOUT ROWID;
CREATE INDEX samples_by_benchmark ON samples(benchmark_id, unit);

-- One point per (benchmark, unit, branch, commit): the pooled samples of
-- every ok run of that commit on that branch, recomputed in the ingest
-- transaction. It makes the history query a single index range scan.
CREATE TABLE history_points (
	benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
	unit         TEXT NOT NULL,
	branch       TEXT NOT NULL,
	commit_time  INTEGER NOT NULL,
	commit_id    INTEGER NOT NULL REFERENCES commits(id),
	n            INTEGER NOT NULL,
	median       REAL NOT NULL,
	min          REAL NOT NULL,
	max          REAL NOT NULL,
	PRIMARY KEY (benchmark_id, unit, branch, commit_time, commit_id)
) WITHOUT ROWID;
