/*
 * server.h - the state of a running memgate-server, shared by its
 * modules: configuration, database connections (one writer behind a
 * mutex with a bounded queue of waiters, a pool of read connections),
 * the HTTP daemon, and the counters of in-flight requests.
 *
 * SQLite connections are never used by two threads at once: the writer
 * is used only under write_lock, and a reader belongs to one request
 * from mg_srv_db_reader() to mg_srv_db_reader_put().
 */
#ifndef MG_SRV_SERVER_H
#define MG_SRV_SERVER_H

#include <pthread.h>
#include <time.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "err.h"
#include "store.h"

/*
 * How long a request waits for a read connection before it gets a 503.
 * The pool has `threads` connections and each HTTP connection its own
 * thread, so a burst of reads beyond that waits; 5 s is long enough not
 * to fail a burst, short enough to shed a flood.
 */
#define MG_SRV_READER_WAIT_MS 5000

typedef struct mg_srv_db {
	char *path;       /* database file */
	mg_store *writer; /* the one write connection */
	/*
	 * The profile directory beside the database: uploads write their
	 * profiles' files there before they queue (mg_store_stage_profiles).
	 */
	mg_blobdir *profiles;
	pthread_mutex_t write_lock; /* held while writer is used */
	atomic_long write_waiting;  /* requests queued for write_lock */
	int64_t write_queue;        /* most that may wait (cfg) */
	int64_t write_timeout_ms;   /* longest wait (cfg) */
	unsigned sync_flags;        /* MG_STORE_SYNC_FULL or 0 (cfg) */
	mg_store **readers;         /* all read connections */
	mg_store **idle;            /* stack of readers not in use */
	size_t nreaders, nidle;     /* readers opened, not in use */
	size_t max_readers;         /* opened on first need, up to this */
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;
	/* group commit of uploads (mg_srv_db_ingest) */
	pthread_mutex_t ingest_lock;
	pthread_cond_t ingest_cond;
	struct mg_srv_ingest *ingest_head, *ingest_tail; /* not yet taken */
	int64_t ingest_queued;                           /* jobs in that list */
	bool ingest_leader;    /* a thread is storing a batch */
	bool ingest_gathering; /* the leader waits for parsed uploads */
	atomic_int parsing;    /* uploads being parsed (mg_srv_db_parsing) */
	bool locks_ready; /* every mutex and condition here is initialised */
	/* WAL checkpoints, on their own thread and connection */
	pthread_t ckpt_thread;
	pthread_mutex_t ckpt_lock;
	pthread_cond_t ckpt_cond;
	mg_store *ckpt;        /* opened by the thread on first need */
	int ckpt_pages;        /* WAL pages at the last commit, 0: none due */
	bool ckpt_stop;        /* set by mg_srv_db_close */
	bool ckpt_started;     /* the thread exists */
	atomic_long ckpt_runs; /* checkpoints made, for the log */
	double ckpt_cpu_ms;    /* the thread's CPU, set as it ends */
	/* mg_srv_db_release_when_idle; release_at under ckpt_lock */
	atomic_int *inflight;       /* the server's requests, or NULL */
	struct timespec release_at; /* tv_sec 0: none due */
	/* deferred history points (history.c); all under hist_lock */
	pthread_t hist_thread;
	pthread_mutex_t hist_lock;
	pthread_cond_t hist_cond; /* wakes the thread */
	pthread_cond_t hist_done; /* an apply ended */
	bool hist_started, hist_stop;
	size_t hist_new;      /* runs stored since the last apply */
	int64_t hist_last_ms; /* when the last apply ended */
	int64_t hist_stored;  /* the highest run id stored */
	int64_t hist_applied; /* every run up to this id has its points */
	int64_t hist_wanted;  /* the highest run a reader waits for */
	int hist_waiters;     /* readers waiting */
	int hist_errors;      /* failed applies in a row */
	int hist_slice;       /* the slice the next partial apply writes */
	int hist_idle_looks;  /* looks in a row with no request in flight */
} mg_srv_db;

/*
 * The WAL size (pages) at which a commit asks the checkpoint thread to
 * copy it into the database: SQLite's own default. At 16 times that the
 * thread is behind, and the writer checkpoints itself as SQLite would.
 */
#define MG_SRV_CKPT_PAGES 1000
#define MG_SRV_CKPT_PAGES_MAX 16000

/*
 * The writer's page cache. A run of 200 benchmarks x 3 units adds a
 * point at the end of 600 history series, each in a leaf page of its
 * own: with SQLite's 2,000 KiB those 600 pages (and the index above
 * them) did not fit, and every insert read its leaf back from the WAL.
 * (The history thread writes them now, on the same connection.)
 * The cache fills only as pages are used, and is dropped when the server
 * goes idle (mg_srv_db_release_memory).
 */
#define MG_SRV_WRITER_CACHE_KIB (32 * 1024)

/*
 * Runs stored by one leader in one transaction at most. Larger batches
 * amortise more (one commit, one write of the shared index pages) but
 * the first upload of a batch waits for the last: 8 runs of the
 * benchmark's size take ~100 ms on the reference machine.
 */
#define MG_SRV_INGEST_BATCH 8

/*
 * The longest a new leader waits for uploads still being parsed to join
 * its batch. Each commit rewrote the ~600 history leaves of a run's
 * series and synced, whatever the batch's size (history points are
 * written later now, history.c), so a fuller batch cost the writer less
 * per run: 3.1-3.2 -> 3.8-4.0 runs a batch, writer
 * 7.0-8.1 -> 6.3-7.3 ms of CPU per run, 74-83 -> 77-89 runs/s, p99
 * 153-183 -> 125-169 ms (tests/bench/bench_server, three alternating
 * pairs; 5 ms gave less). A lone upload never waits.
 */
#define MG_SRV_INGEST_GATHER_MS 10
/* One upload waiting to be stored (mg_srv_db_ingest). */
typedef struct mg_srv_ingest {
	mg_store_batch_item item; /* run and token in, result out */
	int state;                /* queued, taken by a leader, done */
	bool shed;                /* not stored: the writer was unavailable */
	struct mg_srv_ingest *next;
} mg_srv_ingest;

struct MHD_Daemon;

typedef struct mg_srv {
	const mg_srv_config *cfg;
	mg_srv_db db;
	struct MHD_Daemon *daemon;
	int listen_fd;             /* bound socket, -1 before mg_http_bind */
	uint16_t port;             /* bound port */
	char *base_url;            /* public_url, or http://host:port */
	atomic_int inflight;       /* requests between first call and end */
	atomic_uint_fast64_t nreq; /* requests so far, for ids */
	uint32_t id_prefix;        /* random per process, for request ids */
} mg_srv;

/*
 * Open the writer (migrating the schema, synchronous per cfg->sync); up
 * to nreaders read-only connections open when requests first need them.
 */
int mg_srv_db_open(mg_srv_db *db, const mg_srv_config *cfg, size_t nreaders,
                   mg_err *err);
void mg_srv_db_close(mg_srv_db *db);

/*
 * Let every connection not in use free its caches (see
 * mg_store_release_memory; a busy writer is skipped, not waited for),
 * then return the freed heap to the kernel (malloc_trim).
 */
void mg_srv_db_release_memory(mg_srv_db *db);

/*
 * The last request of a burst has ended: in MG_SRV_IDLE_RELEASE_MS, if no
 * request is in flight then (db->inflight), release the connections'
 * memory and return the freed heap to the kernel (malloc_trim), on the
 * checkpoint thread. Uploads that come one after another keep their
 * caches: releasing after each cost the next one ~5 ms of CPU (20 -> 25
 * ms per upload, one uploader, tests/bench/bench_server).
 */
#define MG_SRV_IDLE_RELEASE_MS 1000
void mg_srv_db_release_when_idle(mg_srv_db *db);

/* Borrow a reader; MG_ELIMIT after MG_SRV_READER_WAIT_MS. */
int mg_srv_db_reader(mg_srv_db *db, mg_store **out, mg_err *err);
void mg_srv_db_reader_put(mg_srv_db *db, mg_store *st);

/*
 * Take the writer. MG_ELIMIT (err says which) when write_queue requests
 * are already waiting or the wait exceeds write_timeout_ms: the caller
 * answers 503 with Retry-After. Release with mg_srv_db_writer_put.
 */
int mg_srv_db_writer(mg_srv_db *db, mg_store **out, mg_err *err);
void mg_srv_db_writer_put(mg_srv_db *db);

/*
 * Store one upload with group commit: the job joins a queue, and whichever
 * waiting thread finds no batch in progress becomes the leader: it takes
 * up to MG_SRV_INGEST_BATCH queued jobs (its own among them when it is
 * near the head), stores them with mg_store_add_runs under the writer,
 * and wakes their threads. So concurrent uploads share commits while a
 * lone upload is stored at once. The job must have been counted in
 * with mg_srv_db_parsing(db, 1); this counts it out. Returns 0 when the job was attempted
 * (job->item says how it ended), or MG_ELIMIT (err says why: queue full,
 * wait over write_timeout_ms, writer unavailable) for a 503.
 */
int mg_srv_db_ingest(mg_srv_db *db, mg_srv_ingest *job, mg_err *err);

/* Uploads queued for a batch plus requests waiting for the writer. */
long mg_srv_db_waiting(mg_srv_db *db);

/*
 * An upload starts (+1) or stops (-1) being parsed. mg_srv_db_ingest
 * counts its job out itself (queued or refused); an upload that fails
 * before calls this with -1. The leader of a batch waits for these.
 */
void mg_srv_db_parsing(mg_srv_db *db, int delta);

/*
 * Deferred history points (history.c). The writer keeps each run's points
 * in history_pending; a thread writes them, under load one slice of the
 * series (mg_store_history_apply) every MG_SRV_HISTORY_STEP runs, so each
 * slice covers the last MG_SRV_HISTORY_BATCH runs: every leaf of a series
 * is rewritten once per that many runs, and the writer is held for an
 * eighth of that work at a time. Readers, idle moments and shutdown take
 * everything, MG_SRV_HISTORY_BATCH runs a transaction.
 */
#define MG_SRV_HISTORY_BATCH 32
#define MG_SRV_HISTORY_STEP (MG_SRV_HISTORY_BATCH / MG_STORE_HISTORY_SLICES)
/* The longest stored runs wait for the next slice while requests come. */
#define MG_SRV_HISTORY_DELAY_MS 500
/* After the writer opened: defer, apply what is left, start the thread. */
int mg_srv_history_start(mg_srv_db *db, mg_err *err);
/* Stop the thread and apply what is pending (before the writer closes). */
void mg_srv_history_stop(mg_srv_db *db);
/*
 * n runs were stored, last_id the highest (under the writer, after their
 * commit).
 */
void mg_srv_history_stored(mg_srv_db *db, size_t n, int64_t last_id);
/*
 * Before a history read on reader: wait until the points of every run it
 * can see are written. MG_ELIMIT after write_timeout_ms (answer 503).
 */
int mg_srv_history_sync(mg_srv_db *db, mg_store *reader, mg_err *err);

/*
 * The thread holding the writer runs at nice -10 when it may (see
 * ingest_queue.c); false if the priority stays as it was.
 */
bool mg_srv_writer_priority_raise(int *old);
void mg_srv_writer_priority_restore(int old);

/* *ts = now (CLOCK_REALTIME, as pthread waits use) + ms. */
void mg_srv_deadline_after(struct timespec *ts, int64_t ms);

#endif
