-- 0006_ab.sql: paired A/B sessions (`memgate ab`) and the noise floors
-- their A/A form (the same commit on both sides) measures.

-- One `memgate ab`: two runs measured on one runner, interleaved round by
-- round (base, head, head, base, ...) so that drift hits both alike.
CREATE TABLE ab_sessions (
	id             INTEGER PRIMARY KEY,
	project_id     INTEGER NOT NULL REFERENCES projects(id),
	base_run_id    INTEGER NOT NULL REFERENCES runs(id),
	head_run_id    INTEGER NOT NULL REFERENCES runs(id),
	rounds         INTEGER NOT NULL,           -- of the whole command
	confirm_rounds INTEGER NOT NULL,           -- of flagged benchmarks
	aa             INTEGER NOT NULL,           -- 1: one commit, A/A
	created_at     INTEGER NOT NULL,           -- unix ms
	-- Two runs pair once: a retried upload of a session finds it.
	UNIQUE (base_run_id, head_run_id)
);
CREATE INDEX ab_sessions_by_head ON ab_sessions(head_run_id);

-- What an A/A session measured per benchmark and unit: `rel` is the
-- relative shift its own noise cannot tell from zero (lib/stats.h,
-- mg_stats_noise_floor). Comparisons use the newest floor of each
-- benchmark and unit, from the same runner environment when there is one.
CREATE TABLE noise_floors (
	benchmark_id   INTEGER NOT NULL REFERENCES benchmarks(id),
	unit           TEXT NOT NULL,
	session_id     INTEGER NOT NULL REFERENCES ab_sessions(id),
	environment_id INTEGER NOT NULL REFERENCES environments(id),
	n              INTEGER NOT NULL,           -- samples per side
	center         REAL NOT NULL,              -- pooled median
	rel            REAL NOT NULL CHECK (rel >= 0),
	PRIMARY KEY (benchmark_id, unit, session_id)
) WITHOUT ROWID;
