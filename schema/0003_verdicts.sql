-- 0003_verdicts.sql: comparisons and their verdicts, the notification
-- outbox (written in the verdict's transaction so nothing is lost or sent
-- twice) and API tokens (only their SHA-256 is stored).

CREATE TABLE comparisons (
	id             INTEGER PRIMARY KEY,
	project_id     INTEGER NOT NULL REFERENCES projects(id),
	base_commit_id INTEGER REFERENCES commits(id),
	head_commit_id INTEGER NOT NULL REFERENCES commits(id),
	head_run_id    INTEGER REFERENCES runs(id),
	pr_number      INTEGER,
	verdict        TEXT NOT NULL CHECK (verdict IN
		('regression', 'improvement', 'unchanged', 'inconclusive')),
	regressions    INTEGER NOT NULL DEFAULT 0,
	improvements   INTEGER NOT NULL DEFAULT 0,
	summary        TEXT NOT NULL,               -- one line
	result_json    TEXT NOT NULL,               -- schema/verdict.schema.json
	created_at     INTEGER NOT NULL             -- unix ms
);
CREATE INDEX comparisons_by_head ON comparisons(project_id, head_commit_id);

CREATE TABLE outbox (
	id              INTEGER PRIMARY KEY,
	comparison_id   INTEGER REFERENCES comparisons(id),
	kind            TEXT NOT NULL,               -- status, comment, check
	target          TEXT NOT NULL,               -- e.g. "owner/repo#12"
	payload         TEXT NOT NULL,               -- JSON
	state           TEXT NOT NULL DEFAULT 'pending'
		CHECK (state IN ('pending', 'done', 'failed')),
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,            -- unix ms
	last_error      TEXT,
	created_at      INTEGER NOT NULL,
	delivered_at    INTEGER
);
CREATE INDEX outbox_pending ON outbox(state, next_attempt_at);

CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	project_id   INTEGER NOT NULL REFERENCES projects(id),
	token_sha256 TEXT NOT NULL UNIQUE CHECK (length(token_sha256) = 64),
	label        TEXT,
	created_at   INTEGER NOT NULL,
	revoked_at   INTEGER,
	last_used_at INTEGER
);
