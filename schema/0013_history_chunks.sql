-- History points in chunks of up to 16 per row, instead of a row each.
-- The server writes the points of 30-50 runs at a time
-- (store_history.c): as rows, each of a run's 600 points was its own
-- insert, SQLite finding its place in a key of five columns, about 4 µs
-- a point and a fifth of the server's CPU per run. As chunks, a
-- series' new points are appended to the text of its last chunk: one
-- read and one write per series for all of them. Measured with
-- tests/bench/bench_server: see server/README.md, Performance.
--
-- `points` is a JSON array of [commit_time, commit_id, n, median, min,
-- max] in (commit_time, commit_id) order (lib/histchunk.h), values
-- written to read back bit for bit. A chunk's key is that of its first
-- point; `last_time` and `last_commit` are its last point's, so that an
-- append needs no decoding.
CREATE TABLE history_chunks (
	benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
	unit         TEXT NOT NULL,
	branch       TEXT NOT NULL,
	first_time   INTEGER NOT NULL,
	first_commit INTEGER NOT NULL,
	last_time    INTEGER NOT NULL,
	last_commit  INTEGER NOT NULL,
	n            INTEGER NOT NULL CHECK (n BETWEEN 1 AND 16),
	points       TEXT NOT NULL,
	PRIMARY KEY (benchmark_id, unit, branch, first_time, first_commit)
) WITHOUT ROWID;

-- Points are derived from the samples, so they are rebuilt rather than
-- converted (SQLite 3.40 has no exact REAL-to-text conversion): every
-- ok run on a branch goes to history_pending with a blob that does not
-- read back, which makes the next apply recompute its commit's points
-- from the samples of all its runs, as it would for a damaged row.
-- Runs already pending keep their row.
INSERT OR IGNORE INTO history_pending(run_id, points)
	SELECT id, x'00' FROM runs WHERE status = 'ok' AND branch IS NOT NULL;

DROP TABLE history_points;

-- The former table's rows, for SQL users and scripts.
CREATE VIEW history_points(benchmark_id, unit, branch, commit_time,
                           commit_id, n, median, min, max) AS
	SELECT h.benchmark_id, h.unit, h.branch, p.value ->> 0, p.value ->> 1,
	       p.value ->> 2, CAST(p.value ->> 3 AS REAL),
	       CAST(p.value ->> 4 AS REAL), CAST(p.value ->> 5 AS REAL)
	FROM history_chunks h, json_each(h.points) p;
