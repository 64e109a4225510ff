/*
 * ingest_queue.c - group commit of uploads (mg_srv_db_ingest): one queue
 * in front of the writer; the first waiting thread that finds no batch in
 * progress stores up to MG_SRV_INGEST_BATCH queued runs in one
 * transaction (mg_store_add_runs) and wakes their threads. A lone upload
 * is stored at once; the queue's bound and wait give the same 503s as a
 * wait for the writer itself.
 */
#include <errno.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the calling thread: the writer's own share of a batch. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * The leader stores its batch at a raised priority. While it does, the
 * other upload threads are busy parsing, and the scheduler shares the two
 * cores among all of them alike: the one thread they all wait for took
 * 13.4 ms of wall time per run for 7.5 ms of CPU. At nice -10: 11 ms,
 * and 71-76 -> 78-81 runs/s (tests/bench/bench_server, alternating).
 * Raising a priority needs root, CAP_SYS_NICE or an RLIMIT_NICE
 * (LimitNICE= in deploy/memgate-server.service); without, the server runs
 * as before, which it says once.
 */
#define MG_SRV_WRITER_NICE (-10)

static atomic_bool nice_refused;

bool mg_srv_writer_priority_raise(int *old)
{
	pid_t tid = gettid();

	if (atomic_load(&nice_refused))
		return false;
	errno = 0;
	*old = getpriority(PRIO_PROCESS, (id_t)tid);
	if (errno != 0 || *old <= MG_SRV_WRITER_NICE)
		return false;
	if (setpriority(PRIO_PROCESS, (id_t)tid, MG_SRV_WRITER_NICE) == 0)
		return true;
	if (!atomic_exchange(&nice_refused, true))
		mg_log(MG_LOG_INFO, "ingest",
		       "the writer runs at normal priority (nice %d: %s); "
		       "allow it with LimitNICE=%d",
		       MG_SRV_WRITER_NICE, strerror(errno), MG_SRV_WRITER_NICE);
	return false;
}

void mg_srv_writer_priority_restore(int old)
{
	/* lowering a priority is always allowed */
	(void)setpriority(PRIO_PROCESS, (id_t)gettid(), old);
}

enum { JOB_QUEUED, JOB_TAKEN, JOB_DONE };

/* Under ingest_lock: the first MG_SRV_INGEST_BATCH queued jobs. */
static size_t take_batch(mg_srv_db *db, mg_srv_ingest **batch)
{
	size_t n = 0;

	while (db->ingest_head && n < MG_SRV_INGEST_BATCH) {
		mg_srv_ingest *j = db->ingest_head;

		db->ingest_head = j->next;
		j->next = NULL;
		j->state = JOB_TAKEN;
		batch[n++] = j;
	}
	if (db->ingest_head == NULL)
		db->ingest_tail = NULL;
	db->ingest_queued -= (int64_t)n;
	return n;
}

/*
 * Under ingest_lock, as the new leader: give uploads that are still being
 * parsed up to MG_SRV_INGEST_GATHER_MS to join the batch (see server.h).
 */
static void gather(mg_srv_db *db)
{
	struct timespec until;

	if (db->ingest_queued >= MG_SRV_INGEST_BATCH ||
	    atomic_load(&db->parsing) == 0)
		return;
	mg_srv_deadline_after(&until, MG_SRV_INGEST_GATHER_MS);
	db->ingest_gathering = true;
	while (db->ingest_queued < MG_SRV_INGEST_BATCH &&
	       atomic_load(&db->parsing) > 0 &&
	       pthread_cond_timedwait(&db->ingest_cond, &db->ingest_lock,
	                              &until) != ETIMEDOUT)
		;
	db->ingest_gathering = false;
}

void mg_srv_db_parsing(mg_srv_db *db, int delta)
{
	if (delta > 0) {
		atomic_fetch_add(&db->parsing, delta);
		return;
	}
	/* a gathering leader re-checks: one fewer to wait for */
	pthread_mutex_lock(&db->ingest_lock);
	atomic_fetch_add(&db->parsing, delta);
	if (db->ingest_gathering)
		pthread_cond_broadcast(&db->ingest_cond);
	pthread_mutex_unlock(&db->ingest_lock);
}

/* Without ingest_lock: store the batch under the writer. */
static void store_batch(mg_srv_db *db, mg_srv_ingest **batch, size_t n)
{
	mg_store_batch_item items[MG_SRV_INGEST_BATCH];
	mg_store *w = NULL;
	mg_err err = MG_ERR_INIT;
	double t0, c0;
	size_t i, stored = 0;
	int64_t last = 0;
	int old_nice = 0;
	bool raised;

	if (mg_srv_db_writer(db, &w, &err) < 0) {
		for (i = 0; i < n; i++) {
			batch[i]->shed = true;
			batch[i]->item.error = MG_ELIMIT;
			batch[i]->item.err = err;
		}
		return;
	}
	for (i = 0; i < n; i++)
		items[i] = batch[i]->item;
	raised = mg_srv_writer_priority_raise(&old_nice);
	t0 = now_s();
	c0 = cpu_s();
	(void)mg_store_add_runs(w, items, n);
	for (i = 0; i < n; i++) {
		if (items[i].error < 0 || items[i].existed)
			continue;
		stored++;
		if (items[i].id > last)
			last = items[i].id;
	}
	mg_srv_history_stored(db, stored, last);
	mg_srv_db_writer_put(db);
	if (raised)
		mg_srv_writer_priority_restore(old_nice);
	mg_log(MG_LOG_DEBUG, "ingest",
	       "group commit: %zu runs in %.1f ms (%.1f ms of CPU)", n,
	       (now_s() - t0) * 1e3, (cpu_s() - c0) * 1e3);
	for (i = 0; i < n; i++)
		batch[i]->item = items[i];
}

static void unlink_job(mg_srv_db *db, mg_srv_ingest *job)
{
	mg_srv_ingest **p, *prev = NULL;

	for (p = &db->ingest_head; *p; prev = *p, p = &(*p)->next) {
		if (*p != job)
			continue;
		*p = job->next;
		if (db->ingest_tail == job)
			db->ingest_tail = prev;
		db->ingest_queued--;
		return;
	}
}

int mg_srv_db_ingest(mg_srv_db *db, mg_srv_ingest *job, mg_err *err)
{
	mg_srv_ingest *batch[MG_SRV_INGEST_BATCH];
	struct timespec deadline;
	size_t i, n;
	int rc = 0;

	job->state = JOB_QUEUED;
	job->shed = false;
	job->next = NULL;
	mg_srv_deadline_after(&deadline, db->write_timeout_ms);
	pthread_mutex_lock(&db->ingest_lock);
	/* parsed: queued below or refused, in the same critical section */
	atomic_fetch_sub(&db->parsing, 1);
	if (db->ingest_gathering)
		pthread_cond_broadcast(&db->ingest_cond);
	/* With no batch in progress this job is taken at once: no wait. */
	if (db->ingest_leader && db->ingest_queued >= db->write_queue) {
		int64_t waiting = db->ingest_queued;

		pthread_mutex_unlock(&db->ingest_lock);
		return mg_err_set(err, MG_ELIMIT,
		                  "%lld uploads already waiting to be stored",
		                  (long long)waiting);
	}
	if (db->ingest_tail)
		db->ingest_tail->next = job;
	else
		db->ingest_head = job;
	db->ingest_tail = job;
	db->ingest_queued++;
	while (job->state != JOB_DONE) {
		if (!db->ingest_leader && db->ingest_head) {
			db->ingest_leader = true;
			gather(db);
			n = take_batch(db, batch);
			pthread_mutex_unlock(&db->ingest_lock);
			store_batch(db, batch, n);
			pthread_mutex_lock(&db->ingest_lock);
			for (i = 0; i < n; i++)
				batch[i]->state = JOB_DONE;
			db->ingest_leader = false;
			/* the stored ones, and one to lead the next batch */
			pthread_cond_broadcast(&db->ingest_cond);
			continue;
		}
		/* Once taken, a job is finished by its leader: no timeout. */
		rc = job->state == JOB_QUEUED
		             ? pthread_cond_timedwait(&db->ingest_cond,
		                                      &db->ingest_lock,
		                                      &deadline)
		             : pthread_cond_wait(&db->ingest_cond,
		                                 &db->ingest_lock);
		if (rc == ETIMEDOUT && job->state == JOB_QUEUED) {
			unlink_job(db, job);
			pthread_mutex_unlock(&db->ingest_lock);
			return mg_err_set(
			        err, MG_ELIMIT,
			        "waited %lld ms for the database writer",
			        (long long)db->write_timeout_ms);
		}
	}
	pthread_mutex_unlock(&db->ingest_lock);
	if (job->shed) {
		*err = job->item.err;
		return MG_ELIMIT;
	}
	return 0;
}

long mg_srv_db_waiting(mg_srv_db *db)
{
	long n;

	pthread_mutex_lock(&db->ingest_lock);
	n = (long)db->ingest_queued;
	pthread_mutex_unlock(&db->ingest_lock);
	return n + atomic_load(&db->write_waiting);
}
