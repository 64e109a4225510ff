-- 0005_webhooks.sql: what GitHub webhooks told the server.

-- One row per X-GitHub-Delivery processed: a redelivery (GitHub's
-- "Redeliver" button, or its retry after a slow answer) carries the same
-- id and is answered without being processed again. Written in the
-- transaction that records the event.
CREATE TABLE webhook_deliveries (
	delivery_id TEXT PRIMARY KEY,
	event       TEXT NOT NULL,
	received_at INTEGER NOT NULL               -- unix ms
) WITHOUT ROWID;

-- Open pull requests as the last pull_request event described them: the
-- base of a run that came without base_sha, and the head awaiting runs.
CREATE TABLE pull_requests (
	project_id INTEGER NOT NULL REFERENCES projects(id),
	number     INTEGER NOT NULL,
	head_sha   TEXT NOT NULL,
	base_sha   TEXT,
	base_ref   TEXT,
	updated_at INTEGER NOT NULL,               -- unix ms
	PRIMARY KEY (project_id, number)
) WITHOUT ROWID;
