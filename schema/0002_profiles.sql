-- 0002_profiles.sql: pprof profiles stored raw (deduplicated by SHA-256)
-- with their per-function aggregates for every sample type.

CREATE TABLE profile_blobs (
	sha256 TEXT PRIMARY KEY CHECK (length(sha256) = 64),
	size   INTEGER NOT NULL,
	data   BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE profiles (
	id                  INTEGER PRIMARY KEY,
	run_id              INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	kind                TEXT NOT NULL,         -- heap, cpu, ...
	package             TEXT NOT NULL,
	sample_types        TEXT NOT NULL,         -- "alloc_space/bytes,..."
	default_sample_type TEXT,
	sha256              TEXT NOT NULL REFERENCES profile_blobs(sha256),
	size                INTEGER NOT NULL
);
CREATE INDEX profiles_by_run ON profiles(run_id, kind, package);

CREATE TABLE profile_functions (
	profile_id  INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
	sample_type TEXT NOT NULL,                 -- e.g. "alloc_space"
	function    TEXT NOT NULL,
	file        TEXT NOT NULL,
	flat        INTEGER NOT NULL,
	cum         INTEGER NOT NULL,
	PRIMARY KEY (profile_id, sample_type, function, file)
) WITHOUT ROWID;
