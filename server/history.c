/*
 * history.c - the thread that writes deferred history points.
 *
 * The writer stores uploads with mg_store_defer_history: a run's points
 * wait in history_pending, and this thread writes them into
 * history_points (mg_store_history_apply) up to MG_SRV_HISTORY_BATCH runs
 * a transaction, under the writer's lock like any write. It applies
 *  - at once when a reader waits for them (mg_srv_history_sync),
 *  - when MG_SRV_HISTORY_BATCH runs are pending,
 *  - when no request is in flight (the end of a burst),
 *  - and at the latest MG_SRV_HISTORY_DELAY_MS after a run was stored.
 * A history read first waits for the points of every run it could see,
 * so an upload followed by a read of its history finds its point, as
 * before. Start-up applies what a crash left; shutdown what is pending.
 */
#include <errno.h>
#include <time.h>

#include "log.h"
#include "server.h"

/* How often the thread looks for the end of a burst while runs wait. */
#define MG_SRV_HISTORY_POLL_MS 20

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A clock in ms: CLOCK_MONOTONIC, or the calling thread's CPU time. */
static double clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Under hist_lock: a reader waits for runs not yet applied. */
static bool asked(const mg_srv_db *db)
{
	return db->hist_waiters > 0 && db->hist_applied < db->hist_wanted;
}

/* Under hist_lock: whether to apply now. */
static bool due(mg_srv_db *db)
{
	if (asked(db) || db->hist_pending >= MG_SRV_HISTORY_BATCH)
		return true;
	if (db->hist_pending == 0)
		return false;
	if (db->inflight == NULL || atomic_load(db->inflight) == 0)
		return true;
	return now_ms() - db->hist_since_ms >= MG_SRV_HISTORY_DELAY_MS;
}

/*
 * One transaction of points under the writer. Returns the runs applied,
 * or -1 after an error (logged).
 */
static long apply_once(mg_srv_db *db)
{
	mg_err err = MG_ERR_INIT;
	size_t applied = 0;
	int64_t last = 0, wanted;
	double t0, c0;
	int old_nice = 0;
	bool raised;
	int error;

	/*
	 * A reader asks for runs it saw committed: asked before this
	 * transaction begins, they are in its view.
	 */
	pthread_mutex_lock(&db->hist_lock);
	wanted = db->hist_wanted;
	pthread_mutex_unlock(&db->hist_lock);
	pthread_mutex_lock(&db->write_lock);
	raised = mg_srv_writer_priority_raise(&old_nice);
	t0 = clock_ms(CLOCK_MONOTONIC);
	c0 = clock_ms(CLOCK_THREAD_CPUTIME_ID);
	error = mg_store_history_apply(db->writer, MG_SRV_HISTORY_BATCH,
	                               &applied, &last, &err);
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
		if (last > db->hist_applied)
			db->hist_applied = last;
		/* none left: every run a reader saw pending is done */
		if (applied < MG_SRV_HISTORY_BATCH) {
			if (wanted > db->hist_applied)
				db->hist_applied = wanted;
			db->hist_pending = 0;
		} else {
			db->hist_pending -= db->hist_pending < applied
			                            ? db->hist_pending
			                            : applied;
		}
		db->hist_errors = 0;
	}
	pthread_cond_broadcast(&db->hist_done);
	pthread_mutex_unlock(&db->hist_lock);
	if (error < 0) {
		mg_log(MG_LOG_WARN, "history", "%s", err.msg);
		return -1;
	}
	return (long)applied;
}

static void *applier(void *arg)
{
	mg_srv_db *db = arg;
	struct timespec until;

	pthread_setname_np(pthread_self(), "mg-history");
	pthread_mutex_lock(&db->hist_lock);
	while (!db->hist_stop) {
		long n;

		if (db->hist_pending == 0 && !asked(db)) {
			pthread_cond_wait(&db->hist_cond, &db->hist_lock);
			continue;
		}
		if (!due(db) || db->hist_errors > 0) {
			/* after an error, retry at the pace of the delay */
			mg_srv_deadline_after(&until,
			                      db->hist_errors
			                              ? MG_SRV_HISTORY_DELAY_MS
			                              : MG_SRV_HISTORY_POLL_MS);
			if (pthread_cond_timedwait(&db->hist_cond,
			                           &db->hist_lock,
			                           &until) == ETIMEDOUT)
				db->hist_errors = 0;
			continue;
		}
		pthread_mutex_unlock(&db->hist_lock);
		n = apply_once(db);
		pthread_mutex_lock(&db->hist_lock);
		if (n < 0)
			db->hist_errors++;
		else
			db->hist_runs += (int64_t)n;
	}
	pthread_mutex_unlock(&db->hist_lock);
	return NULL;
}

/* Apply everything pending, on the calling thread; false after an error. */
static bool apply_all(mg_srv_db *db, const char *when)
{
	int64_t total = 0;
	long n;

	do {
		n = apply_once(db);
		if (n > 0)
			total += n;
	} while (n == MG_SRV_HISTORY_BATCH);
	if (total > 0)
		mg_log(MG_LOG_INFO, "history",
		       "%s: history points of %lld runs written", when,
		       (long long)total);
	return n >= 0;
}

int mg_srv_history_start(mg_srv_db *db, mg_err *err)
{
	int rc;

	if (pthread_mutex_init(&db->hist_lock, NULL) != 0 ||
	    pthread_cond_init(&db->hist_cond, NULL) != 0 ||
	    pthread_cond_init(&db->hist_done, NULL) != 0)
		return mg_err_set(err, MG_EINTERNAL, "cannot create locks");
	db->hist_locks_ready = true;
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
	if (db->hist_started) {
		pthread_mutex_lock(&db->hist_lock);
		db->hist_stop = true;
		pthread_cond_signal(&db->hist_cond);
		pthread_mutex_unlock(&db->hist_lock);
		pthread_join(db->hist_thread, NULL);
		db->hist_started = false;
		/* a clean stop leaves nothing for the next start */
		(void)apply_all(db, "shutdown");
		mg_log(MG_LOG_DEBUG, "history",
		       "history points of %lld runs written by the history "
		       "thread",
		       (long long)db->hist_runs);
	}
	if (db->hist_locks_ready) {
		pthread_mutex_destroy(&db->hist_lock);
		pthread_cond_destroy(&db->hist_cond);
		pthread_cond_destroy(&db->hist_done);
		db->hist_locks_ready = false;
	}
}

void mg_srv_history_stored(mg_srv_db *db, size_t n)
{
	if (n == 0 || !db->hist_started)
		return;
	pthread_mutex_lock(&db->hist_lock);
	if (db->hist_pending == 0)
		db->hist_since_ms = now_ms();
	db->hist_pending += n;
	if (due(db))
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

size_t mg_srv_history_pending(mg_srv_db *db)
{
	size_t n;

	if (!db->hist_started)
		return 0;
	pthread_mutex_lock(&db->hist_lock);
	n = db->hist_pending;
	pthread_mutex_unlock(&db->hist_lock);
	return n;
}
