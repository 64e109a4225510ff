/*
 * it_server_load.c - memgate-server under concurrent uploads, as a real
 * process over loopback:
 *   - 16 uploaders at once (each also retrying one upload with its
 *     idempotency key): no run lost, none stored twice, all whole;
 *   - a saturated writer answers 503 with Retry-After, and uploads that
 *     honour it all get in;
 *   - SIGKILL in the middle of 8 uploaders: after a restart PRAGMA
 *     integrity_check is ok and every run that got a 2xx is there with
 *     all its samples and its profile;
 *   - `go tool pprof -top URL` reads a stored profile through the
 *     profile route (skipped without Go).
 */
#include <cjson/cJSON.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgtest.h"
#include "profile.pb-c.h"
#include "srv.h"
#include "store.h"

struct fixture {
	char *dir;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->dir = mgt_tmpdir();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mgt_tmpdir_free(f->dir);
	free(f);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static int64_t json_id(const mgt_resp *r)
{
	cJSON *d = cJSON_Parse(r->body.ptr);
	cJSON *id = d ? cJSON_GetObjectItem(d, "id") : NULL;
	int64_t v = cJSON_IsNumber(id) ? (int64_t)id->valuedouble : -1;

	cJSON_Delete(d);
	return v;
}

/* ---- uploaders --------------------------------------------------------- */

#define MAX_RUNS 4096

struct shared {
	const char *url; /* .../api/v1/runs */
	const char *token;
	int per_thread; /* uploads each (0: until stop) */
	int nbench, nunits, nsamples;
	size_t profile_len;
	bool honour_503; /* wait Retry-After and resend */
	atomic_bool stop;
	atomic_int next; /* commit counter */
	pthread_mutex_t lock;
	int64_t ids[MAX_RUNS]; /* ids answered 2xx */
	int nids;
	int replays_ok; /* retries answered 200 with the same id */
	int n503, n503_with_retry_after, nfail;
};

struct worker {
	struct shared *sh;
	int index;
};

static void record(struct shared *sh, int64_t id)
{
	pthread_mutex_lock(&sh->lock);
	if (sh->nids < MAX_RUNS)
		sh->ids[sh->nids++] = id;
	pthread_mutex_unlock(&sh->lock);
}

/* One upload, resent after a 503 if asked to; returns the final status. */
static long upload(struct shared *sh, CURL *h, const mg_buf *doc,
                   const char *key, int64_t *id)
{
	char hdr[128];
	const char *headers[] = {hdr, NULL};
	mgt_req req = {"POST",   sh->url, sh->token, doc->ptr,
	               doc->len, headers, 30000};
	mgt_resp resp;
	long status;
	int attempt;

	snprintf(hdr, sizeof(hdr), "Idempotency-Key: %s", key);
	for (attempt = 0;; attempt++) {
		if (mgt_http(&resp, h, &req) < 0) {
			mgt_resp_release(&resp);
			return 0;
		}
		status = resp.status;
		if (status == 503) {
			char *ra = mgt_resp_header(&resp, "Retry-After");

			pthread_mutex_lock(&sh->lock);
			sh->n503++;
			if (ra && strcmp(ra, "1") == 0)
				sh->n503_with_retry_after++;
			pthread_mutex_unlock(&sh->lock);
			free(ra);
			mgt_resp_release(&resp);
			if (!sh->honour_503 || attempt > 200)
				return status;
			/* Retry-After: 1 second; a tenth keeps the test short */
			sleep_ms(100);
			continue;
		}
		if (status == 200 || status == 201)
			*id = json_id(&resp);
		mgt_resp_release(&resp);
		return status;
	}
}

static void *uploader(void *arg)
{
	struct worker *w = arg;
	struct shared *sh = w->sh;
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	CURL *h = curl_easy_init();
	int i;

	for (i = 0; (sh->per_thread == 0 || i < sh->per_thread) &&
	            !atomic_load(&sh->stop);
	     i++) {
		int n = atomic_fetch_add(&sh->next, 1);
		char sha[41], key[64];
		int64_t id = -1, again = -1;
		long st;

		mgt_sha(sha, 10000 + (uint64_t)n);
		snprintf(key, sizeof(key), "load-%d", n);
		mg_buf_reset(&doc);
		mgt_make_run_json(&doc, "acme/load", sha, NULL, 1700000000 + n,
		                  sh->nbench, sh->nunits, sh->nsamples, NULL,
		                  sh->profile_len, (uint64_t)n);
		st = upload(sh, h, &doc, key, &id);
		if (st == 201) {
			record(sh, id);
		} else if (st == 0 && atomic_load(&sh->stop)) {
			break;
		} else {
			pthread_mutex_lock(&sh->lock);
			sh->nfail++;
			pthread_mutex_unlock(&sh->lock);
			continue;
		}
		/* every uploader retries its first upload once */
		if (i == 0 && upload(sh, h, &doc, key, &again) == 200 &&
		    again == id) {
			pthread_mutex_lock(&sh->lock);
			sh->replays_ok++;
			pthread_mutex_unlock(&sh->lock);
		}
	}
	curl_easy_cleanup(h);
	mg_buf_release(&doc);
	return NULL;
}

static void run_uploaders(struct shared *sh, int nthreads, long stop_after_ms,
                          mgt_srv *kill_me)
{
	pthread_t t[32];
	struct worker w[32];
	int i;

	for (i = 0; i < nthreads; i++) {
		w[i].sh = sh;
		w[i].index = i;
		assert_int_equal(pthread_create(&t[i], NULL, uploader, &w[i]),
		                 0);
	}
	if (stop_after_ms > 0) {
		sleep_ms(stop_after_ms);
		atomic_store(&sh->stop, true);
		if (kill_me)
			assert_int_equal(mgt_srv_stop(kill_me, SIGKILL),
			                 128 + SIGKILL);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
}

static void shared_init(struct shared *sh, const char *url, const char *token)
{
	memset(sh, 0, sizeof(*sh));
	sh->url = url;
	sh->token = token;
	atomic_init(&sh->stop, false);
	atomic_init(&sh->next, 0);
	pthread_mutex_init(&sh->lock, NULL);
}

static int cmp_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int64_t query_int(sqlite3 *db, const char *sql, int64_t arg)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, arg);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A server, its token for acme/load and uploaders' shared state. */
struct load {
	char *db, *log, *token;
	char url[128];
	mgt_srv s;
	struct shared sh;
};

/*
 * Start a server on <name>.db (extra: its further arguments) and prepare
 * uploads of runs of nbench x 3 units x nsamples with a profile_len-byte
 * profile, per_thread each (0: until stopped), resent after a 503.
 */
static void start_load(struct load *l, const struct fixture *f,
                       const char *name, const char *const *extra,
                       int per_thread, int nbench, int nsamples,
                       size_t profile_len)
{
	char file[64];

	snprintf(file, sizeof(file), "%s.db", name);
	l->db = mgt_path(f->dir, file);
	snprintf(file, sizeof(file), "%s.log", name);
	l->log = mgt_path(f->dir, file);
	mgt_srv_start(&l->s, l->db, l->log, extra);
	l->token = mgt_srv_token(l->db, "acme/load");
	snprintf(l->url, sizeof(l->url), "%s/api/v1/runs", l->s.url);
	shared_init(&l->sh, l->url, l->token);
	l->sh.per_thread = per_thread;
	l->sh.nbench = nbench;
	l->sh.nunits = 3;
	l->sh.nsamples = nsamples;
	l->sh.profile_len = profile_len;
	l->sh.honour_503 = true;
}

/*
 * The profile of run `id` is kept as a file beside the database
 * (schema/0009): the row says 'dir' and holds no bytes, and the file has
 * `size` bytes whose SHA-256 is the row's digest.
 */
static void assert_profile_file(sqlite3 *conn, const char *db, int64_t id,
                                size_t size)
{
	sqlite3_stmt *st;
	unsigned char md[32];
	char hex[65], *dir, *path;
	size_t len = 0, i;
	char *bytes;

	assert_int_equal(sqlite3_prepare_v2(conn,
	                                    "SELECT b.sha256, b.stored_in, "
	                                    "length(b.data), b.size FROM "
	                                    "profiles p JOIN profile_blobs b "
	                                    "ON b.sha256 = p.sha256 WHERE "
	                                    "p.run_id = ?1",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	sqlite3_bind_int64(st, 1, id);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 1), "dir");
	assert_int_equal(sqlite3_column_int64(st, 2), 0);
	assert_int_equal(sqlite3_column_int64(st, 3), (int64_t)size);
	dir = mg_store_profile_dir(db);
	path = mgt_path(dir, (const char *)sqlite3_column_text(st, 0));
	bytes = mgt_read_file(path, &len);
	assert_non_null(bytes);
	assert_int_equal(len, size);
	SHA256((const unsigned char *)bytes, len, md);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	assert_string_equal(hex, (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	free(bytes);
	free(path);
	free(dir);
}

/* After the server was stopped. */
static void end_load(struct load *l)
{
	mgt_srv_release(&l->s);
	pthread_mutex_destroy(&l->sh.lock);
	free(l->token);
	free(l->db);
	free(l->log);
}

/*
 * Points in the answer of GET .../history for bench and unit, asked with
 * the route's largest limit: how many runs a timed load stores depends on
 * the machine (1,170 on a fast one).
 */
static int history_points(struct load *l, const char *bench, const char *unit)
{
	char url[512];
	mgt_req req = {NULL, url, l->token, NULL, 0, NULL, 0};
	mgt_resp resp;
	cJSON *d, *pts;
	int n;

	snprintf(url, sizeof(url),
	         "%s/api/v1/projects/acme%%2Fload/history?benchmark=%s&"
	         "unit=%s&limit=100000",
	         l->s.url, bench, unit);
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 200);
	d = cJSON_Parse(resp.body.ptr);
	pts = cJSON_GetObjectItem(d, "points");
	assert_true(cJSON_IsArray(pts));
	n = cJSON_GetArraySize(pts);
	cJSON_Delete(d);
	mgt_resp_release(&resp);
	return n;
}

/* A gauge of GET /metrics, -1 if absent. */
static long metric(struct load *l, const char *name)
{
	char url[256], *p;
	mgt_req req = {NULL, url, l->token, NULL, 0, NULL, 0};
	mgt_resp resp;
	size_t len = strlen(name);
	long v = -1;

	snprintf(url, sizeof(url), "%s/metrics", l->s.url);
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 200);
	for (p = resp.body.ptr; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
		if (strncmp(p, name, len) == 0 && p[len] == ' ')
			v = strtol(p + len + 1, NULL, 10);
	mgt_resp_release(&resp);
	return v;
}

/* ---- tests ------------------------------------------------------------- */

static void test_16_concurrent_uploaders(void **state)
{
	struct fixture *f = *state;
	struct load l;
	sqlite3 *conn;
	int i;

	start_load(&l, f, "c16", NULL, 4, 20, 5, 8192);
	run_uploaders(&l.sh, 16, 0, NULL);

	assert_int_equal(l.sh.nfail, 0);
	assert_int_equal(l.sh.nids, 64);
	assert_int_equal(l.sh.replays_ok, 16);
	qsort(l.sh.ids, (size_t)l.sh.nids, sizeof(l.sh.ids[0]), cmp_id);
	for (i = 1; i < l.sh.nids; i++)
		assert_true(l.sh.ids[i] != l.sh.ids[i - 1]); /* no id twice */
	assert_int_equal(mgt_srv_stop(&l.s, SIGTERM), 0);

	assert_int_equal(
	        sqlite3_open_v2(l.db, &conn, SQLITE_OPEN_READONLY, NULL),
	        SQLITE_OK);
	/* exactly the answered runs, each whole: 20 x 3 x 5 samples */
	assert_int_equal(query_int(conn, "SELECT count(*) FROM runs", 0), 64);
	for (i = 0; i < l.sh.nids; i++) {
		assert_int_equal(query_int(conn,
		                           "SELECT count(*) FROM samples WHERE "
		                           "run_id = ?1",
		                           l.sh.ids[i]),
		                 300);
		assert_profile_file(conn, l.db, l.sh.ids[i], 8192);
	}
	assert_int_equal(
	        query_int(conn,
	                  "SELECT count(DISTINCT idempotency_key) FROM "
	                  "runs",
	                  0),
	        64);
	sqlite3_close(conn);
	end_load(&l);
}

/*
 * The server writes history points later, 32 runs at a time
 * (server/history.c). Read at once after 40 uploads (8 of them then
 * still pending), the history has a point for every run answered (one
 * commit each), and none is left waiting after the read.
 */
static void test_history_read_after_upload(void **state)
{
	struct fixture *f = *state;
	struct load l;

	start_load(&l, f, "hist", NULL, 5, 20, 5, 8192);
	run_uploaders(&l.sh, 8, 0, NULL);
	assert_int_equal(l.sh.nids, 40);
	assert_int_equal(history_points(&l, "Benchmark3", "ns/op"), 40);
	assert_int_equal(metric(&l, "memgate_history_pending_runs"), 0);
	assert_int_equal(mgt_srv_stop(&l.s, SIGTERM), 0);
	end_load(&l);
}

/*
 * A run stored by another process with its points pending (as a server
 * that stopped would leave it), and the database's write lock held by a
 * third: a history read waits for the points, then answers 503 with
 * Retry-After after write_timeout_ms instead of rows without them; the
 * history thread's attempt fails and is logged. Once the lock is free
 * the same read shows the point.
 */
static void test_history_read_while_locked(void **state)
{
	struct fixture *f = *state;
	const char *const extra[] = {"--write-timeout-ms", "400", NULL};
	char url[512], sha[41];
	mgt_req req = {NULL, url, NULL, NULL, 0, NULL, 0};
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mgt_resp resp;
	sqlite3 *lock;
	struct load l;
	int64_t id;
	mg_run run;
	char *ra, *log;
	size_t len = 0;
	int i;

	start_load(&l, f, "locked", extra, 1, 5, 3, 1024);
	run_uploaders(&l.sh, 1, 0, NULL);
	assert_int_equal(l.sh.nids, 1);
	assert_int_equal(history_points(&l, "Benchmark2", "B/op"), 1);

	assert_int_equal(mg_store_open(&st, l.db, 0, &err), 0);
	mg_store_defer_history(st, true);
	mgt_sha(sha, 777);
	mgt_make_run(&run, "acme/load", sha, NULL, 1800000000, 5, 3, 3, NULL, 0,
	             777);
	assert_int_equal(mg_store_add_run(st, &run, &id, NULL, &err), 0);
	mg_run_release(&run);
	mg_store_close(st);

	assert_int_equal(sqlite3_open(l.db, &lock), SQLITE_OK);
	assert_int_equal(
	        sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	        SQLITE_OK);
	snprintf(url, sizeof(url),
	         "%s/api/v1/projects/acme%%2Fload/history?benchmark="
	         "Benchmark2&unit=B/op",
	         l.s.url);
	req.token = l.token;
	/* twice: the history thread's own wait for the lock runs out too */
	for (i = 0; i < 2; i++) {
		assert_int_equal(mgt_http(&resp, NULL, &req), 0);
		assert_int_equal(resp.status, 503);
		ra = mgt_resp_header(&resp, "Retry-After");
		assert_non_null(ra);
		assert_string_equal(ra, "1");
		assert_non_null(strstr(resp.body.ptr, "history points"));
		free(ra);
		mgt_resp_release(&resp);
	}
	assert_int_equal(sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL),
	                 SQLITE_OK);
	sqlite3_close(lock);
	log = mgt_read_file(l.log, &len);
	assert_non_null(log);
	assert_non_null(strstr(log, "warn history: history points: "));
	free(log);

	assert_int_equal(history_points(&l, "Benchmark2", "B/op"), 2);
	assert_int_equal(metric(&l, "memgate_history_pending_runs"), 0);
	assert_int_equal(mgt_srv_stop(&l.s, SIGTERM), 0);
	end_load(&l);
}

/*
 * No room to wait for the writer (queue 0, 8 read connections): concurrent
 * uploads meet 503 + Retry-After, never 500, and all get in when resent.
 */
static void test_saturated_writer_503(void **state)
{
	struct fixture *f = *state;
	struct load l;
	const char *extra[] = {"--threads", "8", "--write-queue", "0", NULL};
	sqlite3 *conn;

	start_load(&l, f, "sat", extra, 4, 100, 5, 0);
	run_uploaders(&l.sh, 8, 0, NULL);
	assert_int_equal(l.sh.nfail, 0);
	assert_int_equal(l.sh.nids, 32);
	assert_true(l.sh.n503 > 0);
	assert_int_equal(l.sh.n503_with_retry_after, l.sh.n503);
	{
		char murl[128];
		mgt_req req = {NULL, murl, NULL, NULL, 0, NULL, 0};
		mgt_resp resp;

		snprintf(murl, sizeof(murl), "%s/metrics", l.s.url);
		assert_int_equal(mgt_http(&resp, NULL, &req), 0);
		assert_null(strstr(resp.body.ptr, "code=\"500\""));
		assert_non_null(strstr(resp.body.ptr,
		                       "memgate_busy_rejections_total "));
		assert_null(strstr(resp.body.ptr,
		                   "memgate_busy_rejections_total 0\n"));
		mgt_resp_release(&resp);
	}
	assert_int_equal(mgt_srv_stop(&l.s, SIGTERM), 0);
	assert_int_equal(
	        sqlite3_open_v2(l.db, &conn, SQLITE_OPEN_READONLY, NULL),
	        SQLITE_OK);
	assert_int_equal(query_int(conn, "SELECT count(*) FROM runs", 0), 32);
	sqlite3_close(conn);
	end_load(&l);
}

/*
 * WAL checkpoints happen on their own thread (server/db.c), not in the
 * committing upload: 32 uploads of 200 benchmarks x 3 units x 10 samples
 * make well over 1,000 pages of WAL even when the writer stores them in
 * a few large batches (each batch writes the 600 history leaves once),
 * so while the server is still up the database file itself (~100 KB of
 * schema before the first checkpoint) must grow past 2 MB, and the log
 * counts the thread's work. Profiles are files: they add nothing to the
 * WAL. Once the burst is over, the same thread releases the caches
 * (MG_SRV_IDLE_RELEASE_MS later).
 */
static void test_wal_checkpointed_while_serving(void **state)
{
	struct fixture *f = *state;
	struct load l;
	const char *extra[] = {"--log-level", "debug", NULL};
	char *text, *line;
	struct stat stb;
	int tries;

	start_load(&l, f, "ckpt", extra, 8, 200, 10, 1024);
	run_uploaders(&l.sh, 4, 0, NULL);
	assert_int_equal(l.sh.nfail, 0);
	assert_int_equal(l.sh.nids, 32);
	for (tries = 0; tries < 100; tries++) {
		assert_int_equal(stat(l.db, &stb), 0);
		if (stb.st_size > 2 * 1024 * 1024)
			break;
		usleep(50000);
	}
	assert_true(stb.st_size > 2 * 1024 * 1024);
	/* a second after the burst, the same thread gives memory back */
	for (tries = 0, text = NULL; tries < 100; tries++) {
		free(text);
		text = mgt_read_file(l.log, NULL);
		assert_non_null(text);
		if (strstr(text, "caches released, heap trimmed"))
			break;
		usleep(50000);
	}
	assert_non_null(strstr(text, "caches released, heap trimmed"));
	free(text);
	assert_int_equal(mgt_srv_stop(&l.s, SIGTERM), 0);
	text = mgt_read_file(l.log, NULL);
	assert_non_null(text);
	line = strstr(text, " WAL checkpoints by the checkpoint thread");
	assert_non_null(line);
	while (line > text && line[-1] != ' ')
		line--;
	assert_true(strtol(line, NULL, 10) >= 1);
	free(text);
	end_load(&l);
}

/* Releases the write lock test_group_commit holds, 1.5 s in. */
static void *release_lock(void *arg)
{
	sqlite3 *conn = arg;

	usleep(1500 * 1000);
	sqlite3_exec(conn, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

/*
 * Uploads that arrive while one is being stored share the next commit:
 * with the database locked by another connection for 1.5 s, the first of
 * 4 concurrent uploads waits for the lock as its batch's leader, and the
 * others queue behind it and are stored together. The leader may have
 * gathered one or two of them first (MG_SRV_INGEST_GATHER_MS): 3 + 1,
 * 2 + 2 or 1 + 3, never 1 + 1 + 1 + 1. The debug log names every batch.
 */
static void test_group_commit(void **state)
{
	struct fixture *f = *state;
	const char *extra[] = {"--log-level", "debug", NULL};
	struct load l;
	sqlite3 *conn;
	pthread_t t;
	char *text, *p;
	long n, most = 0, sum = 0;

	start_load(&l, f, "group", extra, 1, 10, 3, 0);
	assert_int_equal(sqlite3_open(l.db, &conn), SQLITE_OK);
	assert_int_equal(
	        sqlite3_exec(conn, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	        SQLITE_OK);
	assert_int_equal(pthread_create(&t, NULL, release_lock, conn), 0);
	run_uploaders(&l.sh, 4, 0, NULL);
	pthread_join(t, NULL);
	sqlite3_close(conn);
	assert_int_equal(l.sh.nfail, 0);
	assert_int_equal(l.sh.nids, 4);
	assert_int_equal(mgt_srv_stop(&l.s, SIGTERM), 0);
	text = mgt_read_file(l.log, NULL);
	assert_non_null(text);
	for (p = text; (p = strstr(p, "group commit: ")) != NULL; p++) {
		n = strtol(p + 14, NULL, 10);
		sum += n;
		if (n > most)
			most = n;
	}
	/* the 4 first uploads, then the 4 replays of run_uploaders */
	assert_int_equal(sum, 8);
	assert_true(most >= 2);
	free(text);
	end_load(&l);
}

static void test_sigkill_during_uploads(void **state)
{
	struct fixture *f = *state;
	struct load l;
	char *check = NULL;
	sqlite3 *conn;
	sqlite3_stmt *st;
	int64_t stored, pending;
	int i;

	start_load(&l, f, "kill", NULL, 0, 50, 4, 64 * 1024);
	/* 8 uploaders until the server is killed, 1.5 s in */
	run_uploaders(&l.sh, 8, 1500, &l.s);
	assert_true(l.sh.nids > 0);

	assert_int_equal(
	        sqlite3_open_v2(l.db, &conn, SQLITE_OPEN_READWRITE, NULL),
	        SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn, "PRAGMA integrity_check", -1,
	                                    &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	check = mg_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	assert_string_equal(check, "ok");
	free(check);
	/* every 2xx run, whole; a run may be stored without its answer */
	for (i = 0; i < l.sh.nids; i++) {
		assert_int_equal(query_int(conn,
		                           "SELECT count(*) FROM samples WHERE "
		                           "run_id = ?1",
		                           l.sh.ids[i]),
		                 600);
		assert_profile_file(conn, l.db, l.sh.ids[i], 64 * 1024);
	}
	stored = query_int(conn, "SELECT count(*) FROM runs", 0);
	assert_true(stored >= l.sh.nids);
	/*
	 * Each stored run's history points are written (150: 50 benchmarks x
	 * 3 units, one commit each) or wait in history_pending, whole.
	 */
	pending = query_int(conn, "SELECT count(*) FROM history_pending", 0);
	assert_int_equal(query_int(conn,
	                           "SELECT count(*) FROM runs r WHERE "
	                           "EXISTS (SELECT 1 FROM history_pending p "
	                           "WHERE p.run_id = r.id) = ((SELECT "
	                           "count(*) FROM history_points h WHERE "
	                           "h.commit_id = r.commit_id) = 150)",
	                           0),
	                 0);
	/* no run is partial, answered or not */
	assert_int_equal(query_int(conn,
	                           "SELECT count(*) FROM runs r WHERE (SELECT "
	                           "count(*) FROM samples s WHERE s.run_id = "
	                           "r.id) != 600",
	                           0),
	                 0);
	sqlite3_close(conn);
	print_message("SIGKILL: %d runs answered 2xx, %lld stored, %lld with "
	              "points pending\n",
	              l.sh.nids, (long long)stored, (long long)pending);

	/* the restarted server serves them */
	mgt_srv_release(&l.s);
	mgt_srv_start(&l.s, l.db, l.log,
	              (const char *[]){"--public-read", NULL});
	{
		char rurl[256];
		mgt_req req = {NULL, rurl, NULL, NULL, 0, NULL, 0};
		mgt_resp resp;
		cJSON *d;

		snprintf(rurl, sizeof(rurl),
		         "%s/api/v1/projects/acme%%2Fload/runs/%lld", l.s.url,
		         (long long)l.sh.ids[l.sh.nids - 1]);
		assert_int_equal(mgt_http(&resp, NULL, &req), 0);
		assert_int_equal(resp.status, 200);
		d = cJSON_Parse(resp.body.ptr);
		assert_int_equal((int)cJSON_GetObjectItem(d, "samples_total")
		                         ->valuedouble,
		                 600);
		cJSON_Delete(d);
		mgt_resp_release(&resp);
	}
	/* and the start wrote the points the crash left pending */
	assert_int_equal(metric(&l, "memgate_history_pending_runs"), 0);
	assert_int_equal(history_points(&l, "Benchmark7", "B/op"), stored);
	assert_int_equal(mgt_srv_stop(&l.s, SIGTERM), 0);
	assert_int_equal(
	        sqlite3_open_v2(l.db, &conn, SQLITE_OPEN_READONLY, NULL),
	        SQLITE_OK);
	assert_int_equal(
	        query_int(conn, "SELECT count(*) FROM history_pending", 0), 0);
	assert_int_equal(
	        query_int(conn, "SELECT count(*) FROM history_points", 0),
	        stored * 150);
	sqlite3_close(conn);
	if (pending > 0) {
		size_t len = 0;
		char *log = mgt_read_file(l.log, &len), msg[96];

		snprintf(msg, sizeof(msg),
		         "start: history points of %lld runs written",
		         (long long)pending);
		assert_non_null(log);
		assert_non_null(strstr(log, msg));
		free(log);
	}
	end_load(&l);
}

/* ---- go tool pprof ------------------------------------------------------ */

/*
 * A heap-like profile built field by field with protobuf-c: one sample
 * type alloc_space/bytes; main.grow (called from main.main) allocated
 * 3000 bytes, main.main itself 1000. So pprof must show main.grow with
 * flat 3000B = 75% and main.main with flat 1000B = 25%, cum 4000B = 100%.
 */
static void make_profile(mg_buf *out)
{
	Perftools__Profiles__Profile p = PERFTOOLS__PROFILES__PROFILE__INIT;
	Perftools__Profiles__ValueType vt =
	        PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	Perftools__Profiles__ValueType period =
	        PERFTOOLS__PROFILES__VALUE_TYPE__INIT;
	Perftools__Profiles__Function fn[2] = {
	        PERFTOOLS__PROFILES__FUNCTION__INIT,
	        PERFTOOLS__PROFILES__FUNCTION__INIT};
	Perftools__Profiles__Line line[2] = {PERFTOOLS__PROFILES__LINE__INIT,
	                                     PERFTOOLS__PROFILES__LINE__INIT};
	Perftools__Profiles__Line *lp[2] = {&line[0], &line[1]};
	Perftools__Profiles__Location loc[2] = {
	        PERFTOOLS__PROFILES__LOCATION__INIT,
	        PERFTOOLS__PROFILES__LOCATION__INIT};
	Perftools__Profiles__Sample smp[2] = {
	        PERFTOOLS__PROFILES__SAMPLE__INIT,
	        PERFTOOLS__PROFILES__SAMPLE__INIT};
	Perftools__Profiles__ValueType *vtp[1] = {&vt};
	Perftools__Profiles__Function *fnp[2] = {&fn[0], &fn[1]};
	Perftools__Profiles__Location *locp[2] = {&loc[0], &loc[1]};
	Perftools__Profiles__Sample *smpp[2] = {&smp[0], &smp[1]};
	char *strings[] = {"",        "alloc_space", "bytes", "main.grow",
	                   "main.go", "main.main",   "space"};
	uint64_t stack0[2] = {1, 2}, stack1[1] = {2};
	int64_t v0[1] = {3000}, v1[1] = {1000};
	size_t n;
	int i;

	vt.type = 1;
	vt.unit = 2;
	period.type = 6;
	period.unit = 2;
	for (i = 0; i < 2; i++) {
		fn[i].id = (uint64_t)i + 1;
		fn[i].name = i == 0 ? 3 : 5;
		fn[i].system_name = fn[i].name;
		fn[i].filename = 4;
		line[i].function_id = (uint64_t)i + 1;
		line[i].line = 10 + i;
		loc[i].id = (uint64_t)i + 1;
		loc[i].address = 0x1000 + (uint64_t)i * 16;
		loc[i].n_line = 1;
		loc[i].line = &lp[i];
	}
	smp[0].n_location_id = 2;
	smp[0].location_id = stack0;
	smp[0].n_value = 1;
	smp[0].value = v0;
	smp[1].n_location_id = 1;
	smp[1].location_id = stack1;
	smp[1].n_value = 1;
	smp[1].value = v1;
	p.n_sample_type = 1;
	p.sample_type = vtp;
	p.n_sample = 2;
	p.sample = smpp;
	p.n_location = 2;
	p.location = locp;
	p.n_function = 2;
	p.function = fnp;
	p.n_string_table = sizeof(strings) / sizeof(strings[0]);
	p.string_table = strings;
	p.period_type = &period;
	p.period = 524288;
	n = perftools__profiles__profile__get_packed_size(&p);
	assert_int_equal(mg_buf_grow(out, n), 0);
	perftools__profiles__profile__pack(&p, (uint8_t *)out->ptr);
	out->len = n;
}

static void test_go_tool_pprof(void **state)
{
	struct fixture *f = *state;
	char *db = mgt_path(f->dir, "pprof.db"),
	     *log = mgt_path(f->dir, "pprof.log");
	mg_buf prof = MG_BUF_INIT(1 << 20), doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf out = MG_BUF_INIT(1 << 20);
	char url[128], sha[41], *token;
	mgt_req req = {"POST", url, NULL, NULL, 0, NULL, 0};
	mgt_resp resp;
	mgt_srv s;
	int64_t id;

	if (mgt_sh(NULL, NULL, "command -v go >/dev/null 2>&1") != 0) {
		print_message("go not installed: skipped\n");
		skip();
	}
	make_profile(&prof);
	mgt_srv_start(&s, db, log, (const char *[]){"--public-read", NULL});
	token = mgt_srv_token(db, "acme/pprof");
	mgt_sha(sha, 42);
	mgt_make_run_json(&doc, "acme/pprof", sha, NULL, 1700000000, 1, 1, 1,
	                  prof.ptr, prof.len, 0);
	snprintf(url, sizeof(url), "%s/api/v1/runs", s.url);
	req.token = token;
	req.body = doc.ptr;
	req.len = doc.len;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 201);
	id = json_id(&resp);
	mgt_resp_release(&resp);

	/* pprof fetches the URL itself; %2F must survive its URL handling */
	assert_int_equal(
	        mgt_sh(f->dir, &out,
	               "GOCACHE='%s/gocache' PPROF_TMPDIR='%s' HOME='%s' "
	               "go tool pprof -top -unit=B "
	               "'%s/api/v1/projects/acme%%2Fpprof/runs/%lld/profiles/"
	               "heap' 2>&1",
	               f->dir, f->dir, f->dir, s.url, (long long)id),
	        0);
	print_message("%s", out.ptr);
	assert_non_null(strstr(out.ptr, "4000B total"));
	assert_non_null(strstr(out.ptr,
	                       "3000B 75.00% 75.00%      3000B 75.00%  "
	                       "main.grow"));
	assert_non_null(strstr(out.ptr,
	                       "1000B 25.00%   100%      4000B   100%  "
	                       "main.main"));
	/* reads are public here: an unknown project is a plain 404 */
	snprintf(url, sizeof(url), "%s/api/v1/projects/acme%%2Fnope/benchmarks",
	         s.url);
	req.method = NULL;
	req.token = NULL;
	req.body = NULL;
	req.len = 0;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 404);
	mgt_resp_release(&resp);
	assert_int_equal(mgt_srv_stop(&s, SIGTERM), 0);
	mgt_srv_release(&s);
	mg_buf_release(&prof);
	mg_buf_release(&doc);
	mg_buf_release(&out);
	free(token);
	free(db);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_16_concurrent_uploaders,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_history_read_after_upload,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_history_read_while_locked,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_saturated_writer_503,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(
	                test_wal_checkpointed_while_serving, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_group_commit, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_sigkill_during_uploads,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_go_tool_pprof, setup,
	                                        teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
