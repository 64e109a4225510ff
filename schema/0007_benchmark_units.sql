-- 0007_perf.sql: the units each benchmark has samples in get a table of
-- their own, replacing the samples_by_benchmark index.
--
-- That index was read only to list the units of a benchmark, but every
-- ingest paid for it: a run's samples land in one place in the samples
-- table (keyed by run) and in as many places in the index as the run has
-- (benchmark, unit) pairs, each a different page once the history is
-- long (600 pages, 2.4 MB of WAL, for a run of 200 benchmarks x 3
-- units). benchmark_units holds one row per pair; ingest adds only the
-- pairs it has not seen, which touches nothing for a known benchmark.

CREATE TABLE benchmark_units (
	benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
	unit         TEXT NOT NULL,
	PRIMARY KEY (benchmark_id, unit)
) WITHOUT ROWID;

INSERT INTO benchmark_units(benchmark_id, unit)
	SELECT DISTINCT benchmark_id, unit FROM samples;

DROP INDEX samples_by_benchmark;
