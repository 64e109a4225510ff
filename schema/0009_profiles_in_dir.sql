-- Where a profile's bytes are: 'db' in profile_blobs.data as before, or
-- 'dir' in a file named by its digest in the directory "<db>-profiles"
-- beside the database, with data left empty. memgate-server writes new
-- profiles to the directory: a 1 MiB blob in SQLite costs its pages in
-- the WAL and again at the checkpoint, about 9 ms of CPU per upload
-- (tests/bench/bench_server), against one write of the file. Rows
-- written before this migration stay 'db' and are read as they are.
ALTER TABLE profile_blobs ADD COLUMN stored_in TEXT NOT NULL DEFAULT 'db'
	CHECK (stored_in IN ('db', 'dir'));
