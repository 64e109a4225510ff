/*
 * bench_collect_overhead.c - the time `memgate collect` adds on top of the
 * user's own benchmark command. In a temporary git repository, a bench
 * command that prints one fixed result line (so the run is stored as ok,
 * not as failed for printing nothing) is run N times (default 20)
 * directly, as `sh -c CMD` through posix_spawn (the way collect runs it),
 * and N times as `memgate collect --bench CMD --db ...`, interleaved so
 * machine drift hits both alike. The medians' difference is the added
 * time; the target is under 50 ms per run plus store time. The
 * store time is then measured on its own: the stored run is read back
 * and added again N times (each with a fresh idempotency key) between an
 * open and a close of the store, as one collect does; and the start-up
 * of the binary (`memgate version`) is shown for reference. With MEMGATE_BENCH_SERVER and
 * MEMGATE_TOKEN set, `collect --server` is timed too (upload instead of
 * store). Not a test: it prints figures.
 *
 *   bench_collect_overhead [runs] [path/to/memgate]
 *
 * The memgate binary defaults to $MEMGATE_BIN, else ../../collector/memgate
 * next to this program (the build tree's layout).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchrun.h"
#include "store.h"

extern char **environ;

#define MAX_RUNS 1000
#define BENCH_CMD "printf 'BenchmarkX 1 1 ns/op\\n'"

static int64_t now_ns(void)
{
	return mg_bench_clock_ns(CLOCK_MONOTONIC);
}

static double median_ms(int64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), mg_bench_cmp_i64);
	if (n % 2)
		return (double)v[n / 2] / 1e6;
	return (double)(v[n / 2 - 1] + v[n / 2]) / 2e6;
}

/* Run argv with output to /dev/null; the wall time, or exit on failure. */
static int64_t timed(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int64_t t0, t;
	pid_t pid;
	int status, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	t0 = now_ns();
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	if (rc != 0) {
		fprintf(stderr, "bench: cannot run %s: %s\n", argv[0],
		        strerror(rc));
		exit(2);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	t = now_ns() - t0;
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench: %s %s exited with %d\n", argv[0],
		        argv[1], WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		exit(2);
	}
	return t;
}

static void sh(const char *cmd)
{
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: failed: %s\n", cmd);
		exit(2);
	}
}

/*
 * Time what collect does with the store for one run: open (migrations
 * checked), mg_store_add_run of the first stored run with a fresh
 * idempotency key, close (the WAL checkpoint and its fsyncs), n times.
 */
static double store_ms(const char *db, int n)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	mg_run run;
	int64_t *t = calloc((size_t)n, sizeof(*t)), id;
	char key[64];
	double med;
	int i;

	mg_run_init(&run);
	if (t == NULL || mg_store_open(&st, db, 0, &err) < 0 ||
	    mg_store_get_run(st, 1, &run, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(2);
	}
	mg_store_close(st);
	for (i = 0; i < n; i++) {
		bool existed = false;
		int64_t t0;

		snprintf(key, sizeof(key), "bench-%d-%lld", i,
		         (long long)now_ns());
		if (mg_run_set_str(&run.idempotency_key, key) < 0)
			exit(2);
		t0 = now_ns();
		if (mg_store_open(&st, db, 0, &err) < 0 ||
		    mg_store_add_run(st, &run, &id, &existed, &err) < 0 ||
		    existed) {
			fprintf(stderr, "bench: store: %s\n", err.msg);
			exit(2);
		}
		mg_store_close(st);
		t[i] = now_ns() - t0;
	}
	med = median_ms(t, n);
	mg_run_release(&run);
	free(t);
	return med;
}

int main(int argc, char **argv)
{
	char self[4096], bin[4200], work[4096], db[4300], spool[4300];
	char cmd[8600];
	const char *tmp = getenv("TMPDIR"), *server, *token;
	char *direct[] = {"/bin/sh", "-c", BENCH_CMD, NULL};
	char *collect[] = {
	        bin,    "collect", "--quiet",   "--bench",       BENCH_CMD,
	        "--db", db,        "--project", "acme/overhead", NULL};
	char *upload[] = {bin,       "collect",   "--quiet",       "--bench",
	                  BENCH_CMD, "--project", "acme/overhead", "--server",
	                  NULL,      "--spool",   spool,           NULL};
	char *version[] = {bin, "version", NULL};
	int64_t *d, *c, *u, *v;
	double md, mc, ms, mv;
	long long n = 20;
	ssize_t len;
	int i;

	if (argc > 1) {
		char *end;

		errno = 0;
		n = strtoll(argv[1], &end, 10);
		if (errno || *end || n < 1 || n > MAX_RUNS) {
			fprintf(stderr,
			        "usage: bench_collect_overhead [runs 1..%d] "
			        "[memgate]\n",
			        MAX_RUNS);
			return 2;
		}
	}
	if (argc > 2) {
		snprintf(bin, sizeof(bin), "%s", argv[2]);
	} else if (getenv("MEMGATE_BIN")) {
		snprintf(bin, sizeof(bin), "%s", getenv("MEMGATE_BIN"));
	} else {
		len = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (len <= 0)
			return 2;
		self[len] = '\0';
		snprintf(bin, sizeof(bin), "%s/../../collector/memgate",
		         dirname(self));
	}
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "bench: no memgate at '%s'\n", bin);
		return 2;
	}
	snprintf(work, sizeof(work), "%s/bench-overhead.XXXXXX",
	         tmp ? tmp : "/tmp");
	if (mkdtemp(work) == NULL)
		return 2;
	snprintf(db, sizeof(db), "%s/m.db", work);
	snprintf(spool, sizeof(spool), "%s/spool", work);
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && git init -q -b main . && git config user.name B "
	         "&& git config user.email b@example.com && echo x > f && "
	         "git add f && git commit -q -m one",
	         work);
	sh(cmd);
	if (chdir(work) != 0)
		return 2;
	d = calloc((size_t)n, sizeof(*d));
	c = calloc((size_t)n, sizeof(*c));
	u = calloc((size_t)n, sizeof(*u));
	v = calloc((size_t)n, sizeof(*v));
	if (!d || !c || !u || !v)
		return 2;
	/* warm-up: page cache, the database created and migrated */
	timed(direct);
	timed(collect);
	for (i = 0; i < n; i++) {
		d[i] = timed(direct);
		c[i] = timed(collect);
		v[i] = timed(version);
	}
	md = median_ms(d, (int)n);
	mc = median_ms(c, (int)n);
	mv = median_ms(v, (int)n);
	ms = store_ms(db, (int)n);
	printf("runs: %lld each, bench command: %s\n", n, BENCH_CMD);
	printf("direct (sh -c) median:     %8.3f ms\n", md);
	printf("memgate collect median:    %8.3f ms\n", mc);
	printf("added by collect:          %8.3f ms per run (target < 50 ms "
	       "plus store)\n",
	       mc - md);
	printf("  of which the store:      %8.3f ms (open, add_run, close)\n",
	       ms);
	printf("  of which start-up:       %8.3f ms (`memgate version`)\n", mv);
	printf("added without the store:   %8.3f ms per run\n", mc - md - ms);
	server = getenv("MEMGATE_BENCH_SERVER");
	token = getenv("MEMGATE_TOKEN");
	if (server && token) {
		upload[8] = (char *)server;
		timed(upload);
		for (i = 0; i < n; i++)
			u[i] = timed(upload);
		printf("collect --server median:   %8.3f ms (added %.3f ms, "
		       "upload included)\n",
		       median_ms(u, (int)n), median_ms(u, (int)n) - md);
	}
	if (getenv("MG_KEEP_TMP") == NULL) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", work);
		sh(cmd);
	}
	free(d);
	free(c);
	free(u);
	free(v);
	return 0;
}
