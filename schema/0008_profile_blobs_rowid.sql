-- Profile blobs in an ordinary (rowid) table. 0002 made profile_blobs
-- WITHOUT ROWID, keyed by the digest, so each blob was one index record
-- of up to megabytes: SQLite builds, compares and copies such a record
-- whole, and storing a run with a 1 MiB heap profile took 20-23 ms of CPU
-- against 16-18 ms with the blob in a rowid table and the digest in a
-- UNIQUE index (tests/bench figures, 6,000 samples a run). The digest
-- stays the key that profiles reference.
-- Rebuilt as SQLite documents for table changes: the migration runs with
-- foreign keys off and is checked with foreign_key_check before commit.
CREATE TABLE profile_blobs_0008 (
	id     INTEGER PRIMARY KEY,
	sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
	size   INTEGER NOT NULL,
	data   BLOB NOT NULL
);
INSERT INTO profile_blobs_0008(sha256, size, data)
	SELECT sha256, size, data FROM profile_blobs ORDER BY sha256;
DROP TABLE profile_blobs;
ALTER TABLE profile_blobs_0008 RENAME TO profile_blobs;
