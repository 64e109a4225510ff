-- Runs whose history points are not written yet. Inside the ingest
-- transaction a run of 200 benchmarks x 3 units adds a point to 600
-- series, each at the end of its own leaf of history_points: ~600 pages
-- rewritten, logged to the WAL and checkpointed for every commit, however
-- few runs it holds. memgate-server stores the run's own points here
-- instead (one row, appended) and writes them into history_points later,
-- for many runs at once (store_history.c, mg_store_history_apply), so
-- each leaf is written once for all of them. The row goes in the same
-- transaction as the run: a crash loses no point, the next start applies
-- what is left.
--
-- `points` holds the run's point of every (benchmark, unit) it has, as
-- computed from its own samples (little-endian records, see
-- store_history.c). A commit with several ok runs on the branch has its
-- points recomputed from all their samples instead.
CREATE TABLE history_pending (
	run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
	points BLOB NOT NULL
);
