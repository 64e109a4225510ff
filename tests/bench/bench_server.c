/*
 * bench_server.c - memgate-server's figures, measured against the real
 * binary over loopback. Not a test: it prints numbers.
 *
 *   1. ingest: U concurrent uploaders (default 8, keep-alive curl
 *      handles) POST R runs in all (default 200), each 200 benchmarks x
 *      3 units x 10 samples plus a 1 MiB heap profile; runs/s, latency
 *      p50/p99, and the server's RSS idle before, peak during (VmHWM and
 *      a 5 ms sampler) and idle after; from the server's debug log, the
 *      writer's batches and its CPU and wall time per run, the history
 *      thread's, and the checkpoint thread's CPU. Once with
 *      synchronous=FULL and once with NORMAL.
 *   2. history: a database of 10,000 commits x 100 samples (1,000,000
 *      samples, filled through the store API), then GET history of one
 *      benchmark/unit, all 10,000 points and a page of 100; p50/p99.
 *
 * The profile bytes are pseudo-random, distinct per run (the store
 * deduplicates identical blobs, which would flatter the figure). The
 * server never parses a profile on ingest, so their content does not
 * change its cost; only their size does.
 *
 *   3. with --against OTHER: ingest only, N pairs (--pairs, default 6)
 *      of this server and OTHER on the same documents, the first of
 *      each pair alternating, and the median of the pairs' differences
 *      (see bench_pairs).
 *
 *   With --runs-per-commit K, every K runs in a row are of one commit
 *   (CI re-runs), so the history thread pools them.
 *
 *   bench_server [--server PATH] [--runs R] [--uploaders U]
 *                [--runs-per-commit K]
 *                [--skip-ingest] [--skip-history] [--keep DIR]
 *                [--against OTHER [--pairs N] [--sync full|normal]]
 *
 * PATH defaults to $MEMGATE_SERVER_BIN, then ../../server/memgate-server
 * relative to this program's directory in the build tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "benchrun.h"
#include "buf.h"
#include "fsutil.h"
#include "run.h"
#include "runjson.h"
#include "store.h"

#define MAX_UPLOADERS 64
#define PROFILE_BYTES (1 << 20)

static const char *server_bin;
static char workdir[4096];
/* runs uploaded for each commit (--runs-per-commit): CI re-runs */
static int per_commit = 1;

static int64_t now_ns(void)
{
	return mg_bench_clock_ns(CLOCK_MONOTONIC);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

#define die(...) mg_bench_die("bench_server", __VA_ARGS__)

/* The q-quantile (nearest rank) of n sorted values, in ms. */
static double quantile_ms(const int64_t *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n + 0.999999);

	if (i == 0)
		i = 1;
	if (i > n)
		i = n;
	return (double)v[i - 1] / 1e6;
}

/* ---- the server process ----------------------------------------------- */

struct server {
	pid_t pid;
	unsigned port;
	char url[64];
	char log[4200];
};

static void start_server(struct server *s, const char *db, const char *sync,
                         const char *name)
{
	int fd, i;

	memset(s, 0, sizeof(*s));
	snprintf(s->log, sizeof(s->log), "%s/%s.log", workdir, name);
	fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		die("%s: %s", s->log, strerror(errno));
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		dup2(fd, 2);
		/* debug: the writer's own figures, see writer_summary() */
		execl(server_bin, server_bin, "serve", "--listen",
		      "127.0.0.1:0", "--db", db, "--sync", sync,
		      "--public-read", "--log-level=debug", (char *)NULL);
		_exit(127);
	}
	close(fd);
	for (i = 0; i < 1000 && s->port == 0; i++) {
		FILE *f = fopen(s->log, "r");
		char line[512];

		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "listening on 127.0.0.1:", 23) == 0)
				s->port =
				        (unsigned)strtoul(line + 23, NULL, 10);
		if (f)
			fclose(f);
		if (s->port == 0)
			sleep_ms(10);
	}
	if (s->port == 0)
		die("server did not start (see %s)", s->log);
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", s->port);
}

static void stop_server(struct server *s)
{
	int status;

	kill(s->pid, SIGTERM);
	waitpid(s->pid, &status, 0);
}

/* VmRSS or VmHWM of pid, in KiB. */
static long proc_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t n = strlen(field);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			v = strtol(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* User + system CPU time of pid so far, in ms. */
static double proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0, st = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* fields 14 and 15, counted after the ')' closing the name */
	p = strrchr(buf, ')');
	if (p == NULL || sscanf(p + 2,
	                        "%*c %*d %*d %*d %*d %*d %*u %*u %*u "
	                        "%*u %*u %llu %llu",
	                        &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static char *make_token(const char *db, const char *project)
{
	char cmd[9000], buf[256];
	FILE *p;

	snprintf(cmd, sizeof(cmd),
	         "'%s' token create --project '%s' --db '%s' "
	         "2>/dev/null",
	         server_bin, project, db);
	p = popen(cmd, "r");
	if (p == NULL || fgets(buf, sizeof(buf), p) == NULL)
		die("token create failed");
	pclose(p);
	buf[strcspn(buf, "\n")] = '\0';
	return mg_strdup(buf);
}

/* ---- ingest ------------------------------------------------------------ */

struct ingest {
	char url[128];
	const char *token;
	mg_buf *docs;
	int ndocs;
	atomic_int next;
	int64_t *lat; /* per doc, ns */
	atomic_int failures;
};

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void *ingest_thread(void *arg)
{
	struct ingest *in = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char auth[128];
	int i;

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", in->token);
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	/* no 100-continue round trip: the collector does not wait either */
	hdrs = curl_slist_append(hdrs, "Expect:");
	while ((i = atomic_fetch_add(&in->next, 1)) < in->ndocs) {
		int64_t t0 = now_ns();
		long status = 0;

		curl_easy_setopt(h, CURLOPT_URL, in->url);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, in->docs[i].ptr);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)in->docs[i].len);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		if (curl_easy_perform(h) == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		in->lat[i] = now_ns() - t0;
		if (status != 201)
			atomic_fetch_add(&in->failures, 1);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return NULL;
}

struct sampler {
	pid_t pid;
	atomic_bool stop;
	long peak_kb;
};

static void *rss_sampler(void *arg)
{
	struct sampler *s = arg;

	while (!atomic_load(&s->stop)) {
		long kb = proc_kb(s->pid, "VmRSS");

		if (kb > s->peak_kb)
			s->peak_kb = kb;
		sleep_ms(5);
	}
	return NULL;
}

/* The "<what>: N runs in X ms (Y ms of CPU)" lines of one kind. */
struct timed {
	long lines;
	double runs, wall, cpu, longest;
};

static void add_timed(struct timed *t, const char *line, const char *what)
{
	const char *p = strstr(line, what);
	unsigned n;
	double w, c;

	if (p == NULL || sscanf(p + strlen(what), ": %u runs in %lf ms (%lf ms",
	                        &n, &w, &c) != 3)
		return;
	t->lines++;
	t->runs += n;
	t->wall += w;
	t->cpu += c;
	if (w > t->longest)
		t->longest = w;
}

/*
 * The writer's side, from the server's debug log: the "group commit: N
 * runs in X ms (Y ms of CPU)" line of every batch, the same of every
 * transaction of history points (server/history.c), and the checkpoint
 * thread's CPU printed at exit.
 */
static void writer_summary(const char *path, int nruns)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	struct timed commits = {0}, points = {0};
	double ckpt = -1;

	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "checkpoint thread (");

		add_timed(&commits, line, "group commit");
		add_timed(&points, line, "history points");
		if (p)
			(void)sscanf(p, "checkpoint thread (%lf", &ckpt);
	}
	fclose(f);
	if (commits.lines == 0 || commits.runs == 0)
		return;
	printf("  writer: %ld commits of %.1f runs; per run %.1f ms of its "
	       "CPU, %.1f ms of wall time",
	       commits.lines, commits.runs / commits.lines,
	       commits.cpu / commits.runs, commits.wall / commits.runs);
	if (ckpt >= 0)
		printf("; checkpoint thread %.1f ms of CPU",
		       ckpt / (double)nruns);
	printf("\n");
	if (points.lines > 0)
		printf("  history points: %ld applies of %.1f runs (a slice or "
		       "all), longest %.1f ms; per run uploaded %.1f ms of "
		       "CPU, %.1f ms of wall time\n",
		       points.lines, points.runs / points.lines, points.longest,
		       points.cpu / nruns, points.wall / nruns);
}

/* The run documents of an ingest, made once (before any timing). */
static mg_buf *make_docs(int nruns, size_t *bytes)
{
	mg_buf *docs = calloc((size_t)nruns, sizeof(*docs));
	int i;

	if (docs == NULL)
		die("out of memory");
	*bytes = 0;
	for (i = 0; i < nruns; i++) {
		mg_err err = MG_ERR_INIT;
		mg_run run;
		char parent[41];

		uint64_t c = (uint64_t)(i / per_commit);

		mg_bench_sha(parent, c + 1000000);
		mg_bench_make_run(&run, "bench/ingest", (uint64_t)i, parent,
		                  200, 3, 10, PROFILE_BYTES);
		/* its samples and profile stay the run's own */
		mg_bench_sha(run.commit.sha, c);
		run.commit.commit_time = 1600000000 + (int64_t)c * 60;
		mg_buf_init(&docs[i], MG_BUF_NOLIMIT);
		if (mg_runjson_write(&docs[i], &run, &err) < 0)
			die("runjson: %s", err.msg);
		*bytes += docs[i].len;
		mg_run_release(&run);
	}
	return docs;
}

/* What one ingest measured. */
struct figures {
	double rps, p50, p99, max, cpu, client_cpu;
	int failures;
};

/*
 * Upload docs with nup uploaders to a fresh server on a new database
 * `name`.db; with `print`, say everything measured (RSS, writer,
 * history thread); `out` gets the main figures.
 */
static void run_ingest(const char *sync, const char *name, mg_buf *docs,
                       int nruns, size_t bytes, int nup, bool print,
                       struct figures *out)
{
	char db[4200];
	struct server srv;
	struct ingest in;
	struct sampler smp;
	char log[sizeof(srv.log)];
	pthread_t t[MAX_UPLOADERS], st;
	int64_t t0, wall;
	long idle_before, idle_after, hwm;
	double cpu0, cpu1, ccpu0, ccpu1;
	int i;

	snprintf(db, sizeof(db), "%s/%s.db", workdir, name);
	unlink(db);
	memset(&in, 0, sizeof(in));
	in.ndocs = nruns;
	in.docs = docs;
	in.lat = calloc((size_t)nruns, sizeof(*in.lat));
	if (in.lat == NULL)
		die("out of memory");
	start_server(&srv, db, sync, name);
	in.token = make_token(db, "bench/ingest");
	snprintf(in.url, sizeof(in.url), "%s/api/v1/runs", srv.url);
	sleep_ms(300);
	idle_before = proc_kb(srv.pid, "VmRSS");

	memset(&smp, 0, sizeof(smp));
	smp.pid = srv.pid;
	atomic_init(&smp.stop, false);
	pthread_create(&st, NULL, rss_sampler, &smp);
	atomic_init(&in.next, 0);
	atomic_init(&in.failures, 0);
	cpu0 = proc_cpu_ms(srv.pid);
	ccpu0 = proc_cpu_ms(getpid());
	t0 = now_ns();
	for (i = 0; i < nup; i++)
		pthread_create(&t[i], NULL, ingest_thread, &in);
	for (i = 0; i < nup; i++)
		pthread_join(t[i], NULL);
	wall = now_ns() - t0;
	cpu1 = proc_cpu_ms(srv.pid);
	ccpu1 = proc_cpu_ms(getpid());
	atomic_store(&smp.stop, true);
	pthread_join(st, NULL);
	hwm = proc_kb(srv.pid, "VmHWM");
	if (print)
		sleep_ms(2000);
	idle_after = proc_kb(srv.pid, "VmRSS");
	snprintf(log, sizeof(log), "%s", srv.log);
	stop_server(&srv);

	qsort(in.lat, (size_t)nruns, sizeof(*in.lat), mg_bench_cmp_i64);
	out->rps = nruns / ((double)wall / 1e9);
	out->p50 = quantile_ms(in.lat, (size_t)nruns, 0.50);
	out->p99 = quantile_ms(in.lat, (size_t)nruns, 0.99);
	out->max = (double)in.lat[nruns - 1] / 1e6;
	out->cpu = (cpu1 - cpu0) / nruns;
	out->client_cpu = (ccpu1 - ccpu0) / nruns;
	out->failures = atomic_load(&in.failures);
	if (print) {
		printf("ingest, synchronous=%s: %d runs (200 benchmarks x 3 "
		       "units x 10 samples + 1 MiB profile; %.2f MB/run "
		       "JSON) by %d uploaders\n",
		       sync, nruns, (double)bytes / nruns / 1e6, nup);
		printf("  %.1f runs/s, %.1f MB/s; latency p50 %.1f ms, p99 "
		       "%.1f ms, max %.1f ms; failures %d\n",
		       out->rps, (double)bytes / ((double)wall / 1e3), out->p50,
		       out->p99, out->max, out->failures);
		printf("  server CPU %.1f ms/run (user+system, all threads); "
		       "uploaders (this program, curl) %.1f ms/run\n",
		       out->cpu, out->client_cpu);
		printf("  server RSS: idle before %.1f MB, peak %.1f MB (VmHWM "
		       "%.1f MB), idle after %.1f MB\n",
		       idle_before / 1024.0, smp.peak_kb / 1024.0, hwm / 1024.0,
		       idle_after / 1024.0);
		writer_summary(log, nruns);
	}
	free(in.lat);
	free((char *)in.token);
}

static void free_docs(mg_buf *docs, int nruns)
{
	int i;

	for (i = 0; i < nruns; i++)
		mg_buf_release(&docs[i]);
	free(docs);
}

static void bench_ingest(const char *sync, int nruns, int nup)
{
	struct figures f;
	size_t bytes;
	mg_buf *docs = make_docs(nruns, &bytes);
	char name[64];

	snprintf(name, sizeof(name), "ingest-%s", sync);
	run_ingest(sync, name, docs, nruns, bytes, nup, true, &f);
	free_docs(docs, nruns);
}

/* Remove a database of run_ingest() and its profile files. */
static void remove_db(const char *name)
{
	char path[4300];
	static const char *const ext[] = {".db", ".db-wal", ".db-shm"};
	size_t i;

	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s%s", workdir, name, ext[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/%s.db-profiles", workdir, name);
	(void)mg_rmtree(path);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The database of pair k's side w (0: A, this server; 1: B, OTHER). */
static void pair_name(char *buf, size_t n, int k, int w)
{
	snprintf(buf, n, "pair%d-%c", k, "AB"[w]);
}

/*
 * --against OTHER --pairs N: this VM's speed drifts by a third within
 * minutes, so two servers compare only when measured close together.
 * Each pair runs both on the same documents, one right after the other,
 * the first to go alternating; the summary is the median of the pairs'
 * differences and how many pairs each side won.
 */
static void bench_pairs(const char *sync, const char *other, int pairs,
                        int nruns, int nup)
{
	const char *bins[2] = {server_bin, other};
	double d_rps[64], d_cpu[64], d_p99[64], a[3][64], b[3][64];
	int won_rps = 0, won_cpu = 0, won_p99 = 0, k, j;
	size_t bytes;
	mg_buf *docs = make_docs(nruns, &bytes);

	printf("pairs, synchronous=%s, %d runs by %d uploaders each: A %s, "
	       "B %s\n",
	       sync, nruns, nup, bins[0], bins[1]);
	for (k = 0; k < pairs; k++) {
		struct figures f[2];

		for (j = 0; j < 2; j++) {
			int w = (k % 2) ? 1 - j : j;
			char name[64];

			pair_name(name, sizeof(name), k, w);
			server_bin = bins[w];
			run_ingest(sync, name, docs, nruns, bytes, nup, false,
			           &f[w]);
			if (f[w].failures)
				die("%s: %d uploads failed", bins[w],
				    f[w].failures);
		}
		server_bin = bins[0];
		printf("  pair %d (%s first): A %.1f runs/s, p99 %.1f ms, "
		       "CPU %.1f ms/run; B %.1f runs/s, p99 %.1f ms, CPU "
		       "%.1f ms/run\n",
		       k + 1, k % 2 ? "B" : "A", f[0].rps, f[0].p99, f[0].cpu,
		       f[1].rps, f[1].p99, f[1].cpu);
		fflush(stdout);
		a[0][k] = f[0].rps;
		a[1][k] = f[0].p99;
		a[2][k] = f[0].cpu;
		b[0][k] = f[1].rps;
		b[1][k] = f[1].p99;
		b[2][k] = f[1].cpu;
		d_rps[k] = f[0].rps - f[1].rps;
		d_cpu[k] = f[0].cpu - f[1].cpu;
		d_p99[k] = f[0].p99 - f[1].p99;
		won_rps += d_rps[k] > 0;
		won_cpu += d_cpu[k] < 0;
		won_p99 += d_p99[k] < 0;
	}
	/*
	 * The databases go only now. On ext4 without a journal (this VM's),
	 * a new inode is not taken from those freed in the last 60 s (300 s
	 * more while their table block is dirty): each profile file created
	 * after the 300 of a removed database scans past them
	 * (recently_deleted() under openat, 11% of the connection threads'
	 * CPU in perf). A server that keeps its profiles does not see that.
	 * 20 pairs of 300 runs keep ~13 GB here until the end.
	 */
	for (k = 0; k < pairs; k++)
		for (j = 0; j < 2; j++) {
			char name[64];

			pair_name(name, sizeof(name), k, j);
			remove_db(name);
		}
	printf("  A - B, median of %d pairs: %+.1f runs/s (A more in %d), "
	       "%+.2f ms of server CPU per run (A less in %d), p99 %+.1f ms "
	       "(A lower in %d)\n",
	       pairs, median(d_rps, pairs), won_rps, median(d_cpu, pairs),
	       won_cpu, median(d_p99, pairs), won_p99);
	printf("  medians: A %.1f runs/s, p99 %.1f ms, CPU %.1f ms/run; B "
	       "%.1f runs/s, p99 %.1f ms, CPU %.1f ms/run\n",
	       median(a[0], pairs), median(a[1], pairs), median(a[2], pairs),
	       median(b[0], pairs), median(b[1], pairs), median(b[2], pairs));
	free_docs(docs, nruns);
}

/* ---- history ----------------------------------------------------------- */

static void fill_history_db(const char *db, int ncommits)
{
	mg_store *st = NULL;
	mg_err err = MG_ERR_INIT;
	char parent[41] = "";
	int64_t t0 = now_ns();
	int i;

	if (mg_store_open(&st, db, 0, &err) < 0)
		die("%s", err.msg);
	for (i = 0; i < ncommits; i++) {
		mg_run run;
		int64_t id;

		/* 10 benchmarks x 1 unit x 10 samples = 100 samples a run */
		mg_bench_make_run(&run, "bench/history", (uint64_t)i,
		                  i ? parent : NULL, 10, 1, 10, 0);
		if (mg_store_add_run(st, &run, &id, NULL, &err) < 0)
			die("%s", err.msg);
		memcpy(parent, run.commit.sha, sizeof(parent));
		mg_run_release(&run);
	}
	mg_store_close(st);
	printf("history: filled %d commits x 100 samples (%d samples) in "
	       "%.1f s\n",
	       ncommits, ncommits * 100, (double)(now_ns() - t0) / 1e9);
}

static size_t to_buf(char *p, size_t size, size_t n, void *arg)
{
	return mg_buf_put(arg, p, size * n) < 0 ? 0 : size * n;
}

static void history_requests(const struct server *srv, int limit, int n)
{
	char url[512];
	int64_t *lat = calloc((size_t)n, sizeof(*lat));
	CURL *h = curl_easy_init();
	mg_buf body = MG_BUF_INIT(MG_BUF_NOLIMIT);
	long status = 0;
	size_t len = 0;
	int i;

	snprintf(url, sizeof(url),
	         "%s/api/v1/projects/bench%%2Fhistory/history?benchmark="
	         "BenchmarkServer%%2Fcase3-2&unit=B%%2Fop&limit=%d",
	         srv->url, limit);
	for (i = -20; i < n; i++) { /* 20 warm-up requests */
		int64_t t0;

		mg_buf_reset(&body);
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
		t0 = now_ns();
		if (curl_easy_perform(h) != CURLE_OK)
			die("history request failed");
		if (i >= 0)
			lat[i] = now_ns() - t0;
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		len = body.len;
	}
	if (status != 200)
		die("history: status %ld: %s", status, body.ptr);
	qsort(lat, (size_t)n, sizeof(*lat), mg_bench_cmp_i64);
	printf("  GET history limit=%d (%zu bytes): p50 %.2f ms, p99 %.2f ms, "
	       "max %.2f ms over %d requests\n",
	       limit, len, quantile_ms(lat, (size_t)n, 0.5),
	       quantile_ms(lat, (size_t)n, 0.99), (double)lat[n - 1] / 1e6, n);
	mg_buf_release(&body);
	curl_easy_cleanup(h);
	free(lat);
}

static void bench_history(void)
{
	char db[4200];
	struct server srv;

	snprintf(db, sizeof(db), "%s/history.db", workdir);
	unlink(db);
	fill_history_db(db, 10000);
	start_server(&srv, db, "full", "history");
	history_requests(&srv, 10000, 200);
	history_requests(&srv, 100, 1000);
	printf("  server RSS after: %.1f MB\n",
	       proc_kb(srv.pid, "VmRSS") / 1024.0);
	stop_server(&srv);
}

int main(int argc, char **argv)
{
	static char self_rel[4200];
	const char *keep = NULL, *against = NULL, *sync = "full";
	int runs = 200, up = 8, pairs = 6, i;
	bool ingest = true, history = true;

	server_bin = getenv("MEMGATE_SERVER_BIN");
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--server") == 0 && i + 1 < argc)
			server_bin = argv[++i];
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--uploaders") == 0 && i + 1 < argc)
			up = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--skip-ingest") == 0)
			ingest = false;
		else if (strcmp(argv[i], "--skip-history") == 0)
			history = false;
		else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc)
			keep = argv[++i];
		else if (strcmp(argv[i], "--against") == 0 && i + 1 < argc)
			against = argv[++i];
		else if (strcmp(argv[i], "--pairs") == 0 && i + 1 < argc)
			pairs = (int)strtol(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--sync") == 0 && i + 1 < argc)
			sync = argv[++i];
		else if (strcmp(argv[i], "--runs-per-commit") == 0 &&
		         i + 1 < argc)
			per_commit = (int)strtol(argv[++i], NULL, 10);
		else
			die("usage: bench_server [--server PATH] [--runs R] "
			    "[--uploaders U] [--runs-per-commit K] "
			    "[--skip-ingest] [--skip-history] [--keep DIR] "
			    "[--against OTHER [--pairs N] [--sync "
			    "full|normal]]");
	}
	if (runs < 1 || up < 1 || up > MAX_UPLOADERS)
		die("bad --runs or --uploaders");
	if (per_commit < 1 || per_commit > runs)
		die("--runs-per-commit: 1 to --runs");
	if (pairs < 1 || pairs > 64)
		die("--pairs: 1 to 64");
	if (strcmp(sync, "full") != 0 && strcmp(sync, "normal") != 0)
		die("--sync: full or normal");
	if (server_bin == NULL) {
		char self[4096];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		char *slash;

		if (n <= 0)
			die("cannot find memgate-server; use --server");
		self[n] = '\0';
		slash = strrchr(self, '/');
		*slash = '\0';
		snprintf(self_rel, sizeof(self_rel),
		         "%s/../../server/memgate-server", self);
		server_bin = self_rel;
	}
	if (keep) {
		snprintf(workdir, sizeof(workdir), "%s", keep);
		mkdir(workdir, 0700);
	} else {
		snprintf(workdir, sizeof(workdir), "%s/bench_server.XXXXXX",
		         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
		if (mkdtemp(workdir) == NULL)
			die("mkdtemp: %s", strerror(errno));
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("bench_server: %s, %ld CPUs\n", server_bin,
	       sysconf(_SC_NPROCESSORS_ONLN));
	if (against) {
		bench_pairs(sync, against, pairs, runs, up);
	} else {
		if (ingest) {
			bench_ingest("full", runs, up);
			bench_ingest("normal", runs, up);
		}
		if (history)
			bench_history();
	}
	curl_global_cleanup();
	if (keep == NULL)
		(void)mg_rmtree(workdir);
	return 0;
}
