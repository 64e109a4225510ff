-- One row per (run, benchmark, unit) holds all its repetitions, instead
-- of one row per repetition. A run of 200 benchmarks x 3 units x 10
-- samples inserted 6,000 rows, half of the single writer's time on the
-- server (with those INSERTs left out, 14.6 -> 6.9 ms of the writer's
-- CPU per run, tests/bench/bench_server); as 600 rows it is a tenth.
--
-- `samples` is a JSON array of [seq, value, iterations] in seq order,
-- values written so that they read back bit for bit (the shortest of
-- %.15g..%.17g that does). Rows stored before this migration stay
-- where they were, in sample_rows, and are never rewritten: SQLite has
-- no exact conversion of a REAL to text. The view `samples` shows both
-- with the former columns, for the readers and for SQL users.
ALTER TABLE samples RENAME TO sample_rows;

CREATE TABLE sample_sets (
	run_id       INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
	benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
	unit         TEXT NOT NULL,
	n            INTEGER NOT NULL CHECK (n > 0),
	samples      TEXT NOT NULL,
	PRIMARY KEY (run_id, benchmark_id, unit)
) WITHOUT ROWID;

CREATE VIEW samples(run_id, benchmark_id, unit, seq, value, iterations) AS
	SELECT run_id, benchmark_id, unit, seq, value, iterations
	FROM sample_rows
	UNION ALL
	SELECT s.run_id, s.benchmark_id, s.unit, e.value ->> 0,
	       CAST(e.value ->> 1 AS REAL), e.value ->> 2
	FROM sample_sets s, json_each(s.samples) e;
