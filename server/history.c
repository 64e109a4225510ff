/*
 * history.c - the thread that writes deferred history points.
 *
 * The writer stores uploads with mg_store_defer_history: a run's points
 * wait in history_pending, and this thread writes them into
 * history_chunks (mg_store_history_apply), under the writer's lock like
 * any write.
 *  - Under load it writes one slice of the series (an eighth of the
 *    benchmarks) every MG_SRV_HISTORY_STEP runs stored, for every run
 *    that slice still lacks: each slice then covers about
 *    MG_SRV_HISTORY_BATCH runs, so each leaf is rewritten once for that
 *    many, while an upload waits for an eighth of the work at most.
 *    Written whole every 32 runs, the points of 200 benchmarks x 3 units
 *    held the writer 70-90 ms each time, and every upload queued then
 *    waited as long: those were the slowest 10% of uploads
 *    (tests/bench/bench_server).
 *  - When a reader waits for them (mg_srv_history_sync), when no request
 *    has been in flight for MG_SRV_HISTORY_POLL_MS (the end of a burst)
 *    and at shutdown it writes them all, MG_SRV_HISTORY_BATCH runs a
 *    transaction.
 *  - Stored runs wait at most MG_SRV_HISTORY_DELAY_MS for their next
 *    slice.
 * A history read first waits for the points of every run it could see,
 * so an upload followed by a read of its history finds its point, as
 * before. Start-up writes what a crash left.
 */
#include <errno.h>
#include <time.h>

#include "log.h"
#include "server.h"

/* How often the thread looks for the end of a burst while runs wait. */
#define MG_SRV_HISTORY_POLL_MS 20

/* A clock in ms: CLOCK_MONOTONIC, or the calling thread's CPU time. */
static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int64_t now_ms(void)
{
	return (int64_t)clock_ms(CLOCK_MONOTONIC);
}

/* Under hist_lock: a reader waits for runs not yet applied. */
static bool asked(const mg_srv_db *db)
{
	return db->hist_waiters > 0 && db->hist_applied < db->hist_wanted;
}

/* Under hist_lock: stored runs may lack points. */
static bool behind(const mg_srv_db *db)
{
	return db->hist_stored > db->hist_applied;
}

/*
 * Under hist_lock: no request in flight at this look and the one before
 * (MG_SRV_HISTORY_POLL_MS apart): a burst has ended. One look was not
 * enough: a lone client's next upload often comes within a few ms, and
 * then waited for the whole apply.
 */
static bool idle(mg_srv_db *db)
{
	if (db->inflight && atomic_load(db->inflight) > 0)
		db->hist_idle_looks = 0;
	else if (db->hist_idle_looks < 2)
		db->hist_idle_looks++;
	return db->hist_idle_looks >= 2;
}

/* Under hist_lock: write every pending point now. */
static bool due_all(mg_srv_db *db)
{
	return asked(db) || (behind(db) && idle(db));
}

/* Under hist_lock: write the next slice now. */
static bool due_slice(const mg_srv_db *db)
{
	return db->hist_new >= MG_SRV_HISTORY_STEP ||
	       (behind(db) &&
	        now_ms() - db->hist_last_ms >= MG_SRV_HISTORY_DELAY_MS);
}

/*
 * One transaction of points under the writer: slice -1 (all of up to
 * MG_SRV_HISTORY_BATCH runs) or one slice. Returns the runs read, or -1
 * after an error (logged).
 */
static long apply_once(mg_srv_db *db, int slice)
{
	mg_err err = MG_ERR_INIT;
	size_t applied = 0, max = slice < 0 ? MG_SRV_HISTORY_BATCH : SIZE_MAX;
	int64_t done = 0, wanted, stored;
	double t0, c0;
	int old_nice = 0;
	bool raised;
	int error;

	/*
	 * What this transaction will see, read before it begins: the runs
	 * the writer stored (it sets hist_stored under the write lock, after
	 * its commit) and those a reader saw committed and waits for.
	 */
	pthread_mutex_lock(&db->write_lock);
	pthread_mutex_lock(&db->hist_lock);
	stored = db->hist_stored;
	wanted = db->hist_wanted;
	pthread_mutex_unlock(&db->hist_lock);
	raised = mg_srv_writer_priority_raise(&old_nice);
	t0 = clock_ms(CLOCK_MONOTONIC);
	c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
	error = mg_store_history_apply(db->writer, slice, max, &applied, &done,
	                               &err);
	if (raised)
		mg_srv_writer_priority_restore(old_nice);
	pthread_mutex_unlock(&db->write_lock);
	if (error == 0 && applied > 0)
		mg_log(MG_LOG_DEBUG, "history",
		       "history points: %zu runs in %.1f ms (%.1f ms of CPU)",
		       applied, clock_ms(CLOCK_MONOTONIC) - t0,
		       clock_ms(CLOCK_THREAD_CPUTIME_ID) - c0);
	pthread_mutex_lock(&db->hist_lock);
	if (error == 0) {
		if (done > db->hist_applied)
			db->hist_applied = done;
		/* all of them, and none left: caught up with what it saw */
		if (slice < 0 && applied < max) {
			if (stored > db->hist_applied)
				db->hist_applied = stored;
			if (wanted > db->hist_applied)
				db->hist_applied = wanted;
		}
		db->hist_errors = 0;
	}
	db->hist_last_ms = now_ms();
	pthread_cond_broadcast(&db->hist_done);
	pthread_mutex_unlock(&db->hist_lock);
	if (error < 0) {
		mg_log(MG_LOG_WARN, "history", "%s", err.msg);
		return -1;
	}
	return (long)applied;
}

/* Apply everything pending, on the calling thread; false after an error. */
static bool apply_all(mg_srv_db *db, const char *when)
{
	int64_t total = 0;
	long n;

	do {
		n = apply_once(db, -1);
		if (n > 0)
			total += n;
	} while (n == MG_SRV_HISTORY_BATCH);
	if (total > 0 && when)
		mg_log(MG_LOG_INFO, "history",
		       "%s: history points of %lld runs written", when,
		       (long long)total);
	return n >= 0;
}

static void *applier(void *arg)
{
	mg_srv_db *db = arg;
	struct timespec until;

	pthread_setname_np(pthread_self(), "mg-history");
	pthread_mutex_lock(&db->hist_lock);
	while (!db->hist_stop) {
		bool all;
		int slice;
		long n;

		if (!behind(db) && !asked(db)) {
			pthread_cond_wait(&db->hist_cond, &db->hist_lock);
			continue;
		}
		all = due_all(db);
		if (db->hist_errors > 0 || (!all && !due_slice(db))) {
			/*
			 * After an error (the lock held by another process,
			 * a damaged row), retry at the pace of the delay, or
			 * of the polls while a reader waits.
			 */
			mg_srv_deadline_after(&until,
			                      db->hist_errors && !asked(db)
			                              ? MG_SRV_HISTORY_DELAY_MS
			                              : MG_SRV_HISTORY_POLL_MS);
			if (pthread_cond_timedwait(&db->hist_cond,
			                           &db->hist_lock,
			                           &until) == ETIMEDOUT)
				db->hist_errors = 0;
			continue;
		}
		db->hist_new = 0;
		slice = db->hist_slice;
		pthread_mutex_unlock(&db->hist_lock);
		n = all ? (apply_all(db, NULL) ? 0 : -1)
		        : apply_once(db, slice);
		pthread_mutex_lock(&db->hist_lock);
		if (!all)
			db->hist_slice = (slice + 1) % MG_STORE_HISTORY_SLICES;
		if (n < 0)
			db->hist_errors++;
	}
	pthread_mutex_unlock(&db->hist_lock);
	return NULL;
}

int mg_srv_history_start(mg_srv_db *db, mg_err *err)
{
	int rc;

	mg_store_defer_history(db->writer, true);
	/* what a crash (or an older server's pending rows) left */
	(void)apply_all(db, "start");
	rc = pthread_create(&db->hist_thread, NULL, applier, db);
	if (rc != 0)
		return mg_err_set(err, MG_EINTERNAL,
		                  "cannot start the history thread: %s",
		                  strerror(rc));
	db->hist_started = true;
	return 0;
}

void mg_srv_history_stop(mg_srv_db *db)
{
	if (!db->hist_started)
		return;
	pthread_mutex_lock(&db->hist_lock);
	db->hist_stop = true;
	pthread_cond_signal(&db->hist_cond);
	pthread_mutex_unlock(&db->hist_lock);
	pthread_join(db->hist_thread, NULL);
	db->hist_started = false;
	/* a clean stop leaves nothing for the next start */
	(void)apply_all(db, "shutdown");
}

void mg_srv_history_stored(mg_srv_db *db, size_t n, int64_t last_id)
{
	if (n == 0 || !db->hist_started)
		return;
	pthread_mutex_lock(&db->hist_lock);
	db->hist_new += n;
	if (last_id > db->hist_stored)
		db->hist_stored = last_id;
	if (due_slice(db))
		pthread_cond_signal(&db->hist_cond);
	pthread_mutex_unlock(&db->hist_lock);
}

int mg_srv_history_sync(mg_srv_db *db, mg_store *reader, mg_err *err)
{
	struct timespec deadline;
	int64_t want = 0;
	int rc = 0, error;

	if (!db->hist_started)
		return 0;
	/* the highest pending run this reader can see */
	error = mg_store_history_pending(reader, NULL, &want, err);
	if (error < 0 || want == 0)
		return error;
	mg_srv_deadline_after(&deadline, db->write_timeout_ms);
	pthread_mutex_lock(&db->hist_lock);
	if (want > db->hist_wanted)
		db->hist_wanted = want;
	db->hist_waiters++;
	pthread_cond_signal(&db->hist_cond);
	while (db->hist_applied < want && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&db->hist_done, &db->hist_lock,
		                            &deadline);
	db->hist_waiters--;
	if (db->hist_applied >= want)
		rc = 0;
	pthread_mutex_unlock(&db->hist_lock);
	if (rc == ETIMEDOUT)
		return mg_err_set(err, MG_ELIMIT,
		                  "waited %lld ms for the history points of "
		                  "run %lld to be written",
		                  (long long)db->write_timeout_ms,
		                  (long long)want);
	return 0;
}
