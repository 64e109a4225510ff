-- One row per run holds all its samples, instead of one row per (run,
-- benchmark, unit). A run of 200 benchmarks x 3 units wrote 600
-- sample_sets rows, each its own insert into a b-tree: the largest part
-- of the single writer's time on the server. Every reader wants a whole
-- run's samples (a run read back, a comparison, a commit's pooled
-- history point), so one text per run serves them as well. Measured
-- with tests/bench/bench_server against the sample_sets layout: see
-- server/README.md, Performance.
--
-- `sets` is a JSON array with one [benchmark_id, "unit", set] per
-- (benchmark, unit), `set` being the sample_sets text of before (an
-- array of [seq, value, iterations], values written to read back bit
-- for bit; lib/sampleset.h). `n` is the number of samples in all.
--
-- The existing sets move here as they are: their text is concatenated,
-- never converted, so every value stays exact. Rows of sample_rows
-- (before 0010) stay where they are.
CREATE TABLE run_samples (
	run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
	n      INTEGER NOT NULL CHECK (n > 0),
	sets   TEXT NOT NULL
);

-- sample_sets' key is (run_id, benchmark_id, unit): the subquery reads
-- it in that order, which the readers do not rely on.
INSERT INTO run_samples(run_id, n, sets)
	SELECT run_id, sum(n),
	       '[' || group_concat('[' || benchmark_id || ',' ||
	                           json_quote(unit) || ',' || samples || ']',
	                           ',') || ']'
	FROM (SELECT run_id, benchmark_id, unit, n, samples FROM sample_sets
	      ORDER BY run_id, benchmark_id, unit)
	GROUP BY run_id;

DROP VIEW samples;
DROP TABLE sample_sets;

CREATE VIEW samples(run_id, benchmark_id, unit, seq, value, iterations) AS
	SELECT run_id, benchmark_id, unit, seq, value, iterations
	FROM sample_rows
	UNION ALL
	SELECT r.run_id, s.value ->> 0, s.value ->> 1, e.value ->> 0,
	       CAST(e.value ->> 1 AS REAL), e.value ->> 2
	FROM run_samples r, json_each(r.sets) s, json_each(s.value, '$[2]') e;
