/*
 * db.c - memgate-server's database connections: one writer serialized by
 * a mutex, with a bounded number of waiters so a saturated server sheds
 * load (503) instead of piling up threads, and a fixed pool of read-only
 * connections (WAL lets them read while the writer writes), and the
 * thread that checkpoints the WAL. Uploads reach the writer through the
 * group-commit queue of ingest_queue.c.
 */
#include <errno.h>
#include <malloc.h>
#include <time.h>

#include "log.h"
#include "server.h"

void mg_srv_deadline_after(struct timespec *ts, int64_t ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += (time_t)(ms / 1000);
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* ---- checkpoints ---------------------------------------------------------
 *
 * SQLite checkpoints the WAL in the thread that commits, so every few
 * uploads one of them also copied ~4 MB into the database file (and
 * synced it) while holding the writer, and the uploads queued behind it
 * waited. Here a commit only notes the WAL's size; a thread of its own,
 * with its own connection, copies it (PASSIVE: it never blocks the
 * writer), and the writer's next transaction starts the WAL over.
 */

/* The writer's commit hook: under the writer, so quick. */
static void on_commit(void *arg, int pages)
{
	mg_srv_db *db = arg;

	if (pages < MG_SRV_CKPT_PAGES)
		return;
	if (pages >= MG_SRV_CKPT_PAGES_MAX) {
		/* the thread is behind: bound the WAL as SQLite would */
		(void)mg_store_checkpoint(db->writer, NULL, NULL);
		return;
	}
	pthread_mutex_lock(&db->ckpt_lock);
	db->ckpt_pages = pages;
	pthread_cond_signal(&db->ckpt_cond);
	pthread_mutex_unlock(&db->ckpt_lock);
}

/* Under ckpt_lock: wait for a checkpoint due, a release due, or stop. */
static bool wait_for_work(mg_srv_db *db)
{
	bool release = false;

	while (!db->ckpt_stop && db->ckpt_pages == 0 && !release) {
		if (db->release_at.tv_sec == 0)
			pthread_cond_wait(&db->ckpt_cond, &db->ckpt_lock);
		else if (pthread_cond_timedwait(&db->ckpt_cond, &db->ckpt_lock,
		                                &db->release_at) == ETIMEDOUT) {
			db->release_at.tv_sec = 0;
			release = true;
		}
	}
	return release;
}

/* One PASSIVE checkpoint on the thread's own connection. */
static void checkpoint_once(mg_srv_db *db)
{
	mg_err err = MG_ERR_INIT;
	int left = 0;

	/* On first need: an idle server holds no extra connection. */
	if (db->ckpt == NULL &&
	    mg_store_open(&db->ckpt, db->path, db->sync_flags, &err) < 0) {
		mg_log(MG_LOG_WARN, "db", "checkpoints: %s", err.msg);
		return;
	}
	if (mg_store_checkpoint(db->ckpt, &left, &err) < 0)
		mg_log(MG_LOG_WARN, "db", "%s", err.msg);
	else
		atomic_fetch_add(&db->ckpt_runs, 1);
	/* it reads the WAL, not pages: keep no cache between runs */
	mg_store_release_memory(db->ckpt);
}

static void *checkpoints(void *arg)
{
	mg_srv_db *db = arg;
	struct timespec ts;
	bool release;
	int pages;

	pthread_mutex_lock(&db->ckpt_lock);
	for (;;) {
		release = wait_for_work(db);
		if (db->ckpt_stop)
			break;
		pages = db->ckpt_pages;
		db->ckpt_pages = 0;
		pthread_mutex_unlock(&db->ckpt_lock);
		if (pages)
			checkpoint_once(db);
		if (release &&
		    (db->inflight == NULL || atomic_load(db->inflight) == 0)) {
			mg_srv_db_release_memory(db);
			mg_log(MG_LOG_DEBUG, "db",
			       "idle for %d ms: caches released, heap trimmed",
			       MG_SRV_IDLE_RELEASE_MS);
		}
		pthread_mutex_lock(&db->ckpt_lock);
	}
	pthread_mutex_unlock(&db->ckpt_lock);
	/* the thread's own CPU, for the log at close */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	db->ckpt_cpu_ms = (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
	return NULL;
}

void mg_srv_db_release_when_idle(mg_srv_db *db)
{
	if (!db->ckpt_started)
		return;
	pthread_mutex_lock(&db->ckpt_lock);
	mg_srv_deadline_after(&db->release_at, MG_SRV_IDLE_RELEASE_MS);
	pthread_cond_signal(&db->ckpt_cond);
	pthread_mutex_unlock(&db->ckpt_lock);
}

static int start_checkpoints(mg_srv_db *db, mg_err *err)
{
	int rc;

	if (mg_store_on_commit(db->writer, on_commit, db) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	rc = pthread_create(&db->ckpt_thread, NULL, checkpoints, db);
	if (rc != 0) {
		(void)mg_store_on_commit(db->writer, NULL, NULL);
		return mg_err_set(err, MG_EINTERNAL,
		                  "cannot start the checkpoint thread: %s",
		                  strerror(rc));
	}
	db->ckpt_started = true;
	return 0;
}

static void stop_checkpoints(mg_srv_db *db)
{
	if (!db->ckpt_started)
		return;
	pthread_mutex_lock(&db->ckpt_lock);
	db->ckpt_stop = true;
	pthread_cond_signal(&db->ckpt_cond);
	pthread_mutex_unlock(&db->ckpt_lock);
	pthread_join(db->ckpt_thread, NULL);
	db->ckpt_started = false;
	mg_store_close(db->ckpt);
	db->ckpt = NULL;
	mg_log(MG_LOG_DEBUG, "db",
	       "%ld WAL checkpoints by the checkpoint thread (%.1f ms of CPU)",
	       atomic_load(&db->ckpt_runs), db->ckpt_cpu_ms);
}

/*
 * A crash between writing a profile file and committing its row leaves
 * the file behind; take such files away at start. The hour of grace
 * spares a transaction still open in another process on this database.
 */
#define MG_SRV_SWEEP_AGE_S 3600

static void sweep_profiles(mg_store *st, const char *path)
{
	mg_err err = MG_ERR_INIT;
	size_t removed = 0;

	if (mg_store_sweep_profiles(st, MG_SRV_SWEEP_AGE_S, &removed, &err) < 0)
		mg_log(MG_LOG_WARN, "db", "%s: profile files: %s", path,
		       err.msg);
	else if (removed > 0)
		mg_log(MG_LOG_INFO, "db",
		       "%s: removed %zu profile files no run refers to (left "
		       "by an interrupted upload)",
		       path, removed);
}

int mg_srv_db_open(mg_srv_db *db, const mg_srv_config *cfg, size_t nreaders,
                   mg_err *err)
{
	unsigned flags = cfg->sync == MG_CFG_SYNC_FULL ? MG_STORE_SYNC_FULL : 0;
	char *dir;
	int error;

	memset(db, 0, sizeof(*db));
	db->write_queue = cfg->write_queue;
	db->write_timeout_ms = cfg->write_timeout_ms;
	atomic_init(&db->write_waiting, 0);
	db->path = mg_strdup(cfg->db);
	db->readers = calloc(nreaders, sizeof(*db->readers));
	db->idle = calloc(nreaders, sizeof(*db->idle));
	if (db->path == NULL || db->readers == NULL || db->idle == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto fail;
	}
	db->sync_flags = flags;
	if (pthread_mutex_init(&db->write_lock, NULL) != 0 ||
	    pthread_mutex_init(&db->pool_lock, NULL) != 0 ||
	    pthread_cond_init(&db->pool_cond, NULL) != 0 ||
	    pthread_mutex_init(&db->ingest_lock, NULL) != 0 ||
	    pthread_cond_init(&db->ingest_cond, NULL) != 0 ||
	    pthread_mutex_init(&db->ckpt_lock, NULL) != 0 ||
	    pthread_cond_init(&db->ckpt_cond, NULL) != 0 ||
	    pthread_mutex_init(&db->hist_lock, NULL) != 0 ||
	    pthread_cond_init(&db->hist_cond, NULL) != 0 ||
	    pthread_cond_init(&db->hist_done, NULL) != 0) {
		error = mg_err_set(err, MG_EINTERNAL, "cannot create locks");
		goto fail;
	}
	db->locks_ready = true;
	/* profiles go to files beside the database (schema/0009) */
	error = mg_store_open(&db->writer, cfg->db,
	                      flags | MG_STORE_PROFILES_IN_DIR, err);
	if (error < 0)
		goto fail;
	/*
	 * Before the sweep, whose lookups walk the whole blob index; what
	 * they cached is given back before the server starts listening.
	 */
	mg_store_set_cache_kib(db->writer, MG_SRV_WRITER_CACHE_KIB);
	sweep_profiles(db->writer, cfg->db);
	mg_srv_db_release_memory(db);
	dir = mg_store_profile_dir(cfg->db);
	if (dir == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto fail;
	}
	error = mg_blobdir_open(&db->profiles, dir, false, err);
	free(dir);
	if (error < 0)
		goto fail;
	/*
	 * The writer's lock waits are bounded by the same timeout as the
	 * queue, so another process holding the lock (a CLI command) shows
	 * up as a 503, not as a request stuck for 30 s.
	 */
	mg_store_set_busy_timeout(db->writer, (int)cfg->write_timeout_ms);
	error = start_checkpoints(db, err);
	if (error == 0)
		error = mg_srv_history_start(db, err);
	if (error < 0)
		goto fail;
	/*
	 * Readers open on first need (mg_srv_db_reader): each costs a few
	 * hundred KiB of schema and cache, which an idle server (or one
	 * that only ingests) does not need to hold.
	 */
	db->max_readers = nreaders;
	return 0;

fail:
	mg_srv_db_close(db);
	return error;
}

void mg_srv_db_close(mg_srv_db *db)
{
	size_t i;

	mg_srv_history_stop(db);
	stop_checkpoints(db);
	for (i = 0; i < db->nreaders; i++)
		mg_store_close(db->readers[i]);
	/* The writer last: closing the last connection checkpoints the WAL. */
	mg_store_close(db->writer);
	mg_blobdir_free(db->profiles);
	if (db->locks_ready) {
		pthread_mutex_destroy(&db->write_lock);
		pthread_mutex_destroy(&db->pool_lock);
		pthread_cond_destroy(&db->pool_cond);
		pthread_mutex_destroy(&db->ingest_lock);
		pthread_cond_destroy(&db->ingest_cond);
		pthread_mutex_destroy(&db->ckpt_lock);
		pthread_cond_destroy(&db->ckpt_cond);
		pthread_mutex_destroy(&db->hist_lock);
		pthread_cond_destroy(&db->hist_cond);
		pthread_cond_destroy(&db->hist_done);
	}
	free(db->readers);
	free(db->idle);
	free(db->path);
	memset(db, 0, sizeof(*db));
}

int mg_srv_db_reader(mg_srv_db *db, mg_store **out, mg_err *err)
{
	struct timespec deadline;
	int rc = 0;

	mg_srv_deadline_after(&deadline, MG_SRV_READER_WAIT_MS);
	pthread_mutex_lock(&db->pool_lock);
	if (db->nidle == 0 && db->nreaders < db->max_readers) {
		mg_store *st = NULL;

		/* Under the lock: rare (at most max_readers times), quick. */
		rc = mg_store_open(&st, db->path, MG_STORE_READONLY, err);
		if (rc == 0)
			db->readers[db->nreaders++] = st;
		pthread_mutex_unlock(&db->pool_lock);
		*out = st;
		return rc;
	}
	while (db->nidle == 0 && rc == 0)
		rc = pthread_cond_timedwait(&db->pool_cond, &db->pool_lock,
		                            &deadline);
	if (db->nidle == 0) {
		pthread_mutex_unlock(&db->pool_lock);
		return mg_err_set(err, MG_ELIMIT,
		                  "no database connection free for %d ms",
		                  MG_SRV_READER_WAIT_MS);
	}
	*out = db->idle[--db->nidle];
	pthread_mutex_unlock(&db->pool_lock);
	return 0;
}

void mg_srv_db_reader_put(mg_srv_db *db, mg_store *st)
{
	if (st == NULL)
		return;
	pthread_mutex_lock(&db->pool_lock);
	db->idle[db->nidle++] = st;
	pthread_cond_signal(&db->pool_cond);
	pthread_mutex_unlock(&db->pool_lock);
}

int mg_srv_db_writer(mg_srv_db *db, mg_store **out, mg_err *err)
{
	struct timespec deadline;
	long waiting;
	int rc;

	/* Uncontended: no queue slot needed. */
	if (pthread_mutex_trylock(&db->write_lock) == 0) {
		*out = db->writer;
		return 0;
	}
	waiting = atomic_fetch_add(&db->write_waiting, 1);
	if (waiting >= db->write_queue) {
		atomic_fetch_sub(&db->write_waiting, 1);
		return mg_err_set(err, MG_ELIMIT,
		                  "%ld uploads already waiting to be stored",
		                  waiting);
	}
	mg_srv_deadline_after(&deadline, db->write_timeout_ms);
	rc = pthread_mutex_timedlock(&db->write_lock, &deadline);
	atomic_fetch_sub(&db->write_waiting, 1);
	if (rc == ETIMEDOUT)
		return mg_err_set(err, MG_ELIMIT,
		                  "waited %lld ms for the database writer",
		                  (long long)db->write_timeout_ms);
	if (rc != 0)
		return mg_err_set(err, MG_EINTERNAL, "write lock: %s",
		                  strerror(rc));
	*out = db->writer;
	return 0;
}

void mg_srv_db_writer_put(mg_srv_db *db)
{
	pthread_mutex_unlock(&db->write_lock);
}

void mg_srv_db_release_memory(mg_srv_db *db)
{
	size_t i;

	if (pthread_mutex_trylock(&db->write_lock) == 0) {
		mg_store_release_memory(db->writer);
		pthread_mutex_unlock(&db->write_lock);
	}
	pthread_mutex_lock(&db->pool_lock);
	for (i = 0; i < db->nidle; i++)
		mg_store_release_memory(db->idle[i]);
	pthread_mutex_unlock(&db->pool_lock);
	malloc_trim(0);
}
