/*
 * bench_pprof.c - how fast and how lean `memgate top` is next to
 * `go tool pprof -top` on a large heap profile. Not a test: it prints
 * figures.
 *
 * It writes a synthetic but realistic heap profile (4 sample types as Go's
 * -memprofile has, ~100k locations, ~20k functions, 1 to 3 lines per
 * location for inlining, deep stacks under common runtime/testing frames,
 * some recursion), by default ~50 MB decompressed, gzipped to a temporary
 * file. Then, each in a child process (so peak RSS is the work's own, read
 * with wait4):
 *   - memgate: mg_pprof_load + mg_pprof_top_new + the text table,
 *   - protobuf-c: perftools__profiles__profile__unpack of the whole
 *     message, for comparison with memgate's hand-decoded hot fields,
 *   - go tool pprof -top (the pprof binary from `go env GOTOOLDIR`),
 * best of N runs, and prints times, MB/s of decompressed data, peak RSS
 * and the ratios, and whether memgate's table equals pprof's.
 *
 * usage: bench_pprof [-m MB] [-r RUNS] [-k]   (-k keeps the profile)
 */
#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "buf.h"
#include "pprof.h"
#include "profile.pb-c.h"

int main(int argc, char **argv);

/* Protobuf writer --------------------------------------------------------- */

static void put_varint(mg_buf *b, uint64_t v)
{
	char tmp[10];
	int n = 0;

	while (v >= 0x80) {
		tmp[n++] = (char)(v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (char)v;
	if (mg_buf_put(b, tmp, (size_t)n) < 0)
		abort();
}

static void put_key(mg_buf *b, int field, int wt)
{
	put_varint(b, (uint64_t)field << 3 | (uint64_t)wt);
}

static void put_uint(mg_buf *b, int field, uint64_t v)
{
	if (v == 0)
		return;
	put_key(b, field, 0);
	put_varint(b, v);
}

static void put_bytes(mg_buf *b, int field, const void *d, size_t n)
{
	put_key(b, field, 2);
	put_varint(b, n);
	if (mg_buf_put(b, d, n) < 0)
		abort();
}

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static uint64_t rnd_below(uint64_t n)
{
	return rnd() % n;
}

#define NFUNCS 20000
#define NLOCS 100000
#define NBASE 6 /* common outer frames: main, testing, ... */

/* Build the profile in memory; returns the raw protobuf bytes. */
static void generate(mg_buf *out, size_t target)
{
	mg_buf msg = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf packed = MG_BUF_INIT(MG_BUF_NOLIMIT);
	uint64_t stack[200];
	uint32_t *parent, *func;
	size_t nstrings = 0, i, j;
	static const char *const fixed[] = {
	        "",
	        "alloc_objects",
	        "count",
	        "alloc_space",
	        "bytes",
	        "inuse_objects",
	        "inuse_space",
	        "space",
	        "/tmp/go-build/b001/big.test",
	        "bytes",
	};

	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		put_bytes(out, 6, fixed[i], strlen(fixed[i]));
	nstrings = i;
	/* sample types: alloc_objects alloc_space inuse_objects inuse_space */
	for (i = 0; i < 4; i++) {
		mg_buf_reset(&msg);
		put_uint(&msg, 1, 1 + 2 * i);
		put_uint(&msg, 2, i % 2 ? 4 : 2);
		put_bytes(out, 1, msg.ptr, msg.len);
	}
	mg_buf_reset(&msg);
	put_uint(&msg, 1, 7);
	put_uint(&msg, 2, 4);
	put_bytes(out, 11, msg.ptr, msg.len); /* period_type space/bytes */
	put_uint(out, 12, 1);
	put_uint(out, 9, 1700000000000000000ULL);
	put_uint(out, 14, 3); /* default: alloc_space */
	mg_buf_reset(&msg);
	put_uint(&msg, 1, 1);
	put_uint(&msg, 2, 0x400000);
	put_uint(&msg, 3, 0x800000);
	put_uint(&msg, 5, 8);
	put_uint(&msg, 7, 1);
	put_uint(&msg, 8, 1);
	put_uint(&msg, 9, 1);
	put_uint(&msg, 10, 1);
	put_bytes(out, 3, msg.ptr, msg.len);

	/* functions: a name and a file each */
	for (i = 0; i < NFUNCS; i++) {
		char name[128], file[96];
		int n;

		if (i < NBASE)
			n = snprintf(
			        name, sizeof(name), "%s",
			        (const char *[]){"runtime.goexit", "main.main",
			                         "testing.(*M).Run",
			                         "testing.(*B).launch",
			                         "testing.(*B).runN",
			                         "example.com/big.Bench"}[i]);
		else
			n = snprintf(
			        name, sizeof(name),
			        "example.com/big/pkg%zu.(*Type%zu).Method%zu",
			        i % 97, i % 13, i);
		put_bytes(out, 6, name, (size_t)n);
		n = snprintf(file, sizeof(file), "/src/big/pkg%zu/file%zu.go",
		             i % 97, i % 7);
		put_bytes(out, 6, file, (size_t)n);
		mg_buf_reset(&msg);
		put_uint(&msg, 1, i + 1);
		put_uint(&msg, 2, nstrings);
		put_uint(&msg, 4, nstrings + 1);
		put_uint(&msg, 5, 10 + i % 400);
		put_bytes(out, 5, msg.ptr, msg.len);
		nstrings += 2;
	}
	/*
	 * Locations form a call tree, as call sites do: location i is called
	 * from parent[i], picked in [i/2, 3i/4), so stacks are ~30 deep. A
	 * few call sites call their own function (recursion); 30% hold 2-3
	 * lines, inlined helpers from a pool of 500 small functions.
	 */
	parent = calloc(NLOCS, sizeof(*parent));
	func = calloc(NLOCS, sizeof(*func));
	if (parent == NULL || func == NULL)
		abort();
	for (i = 0; i < NLOCS; i++) {
		size_t nl =
		        i >= NBASE && rnd_below(10) >= 7 ? 2 + rnd_below(2) : 1;

		if (i == 0)
			parent[i] = UINT32_MAX;
		else if (i < NBASE + 50)
			parent[i] = (uint32_t)(i < NBASE ? i - 1 : NBASE - 1);
		else
			parent[i] = (uint32_t)(i / 2 + rnd_below(i / 4));
		if (i < NBASE)
			func[i] = (uint32_t)(i + 1);
		else if (rnd_below(20) == 0)
			func[i] = func[parent[i]];
		else
			func[i] = (uint32_t)(NBASE + 501 +
			                     rnd_below(NFUNCS - NBASE - 500));
		mg_buf_reset(&msg);
		put_uint(&msg, 1, i + 1);
		put_uint(&msg, 2, 1);
		put_uint(&msg, 3, 0x401000 + 16 * i);
		for (j = 0; j < nl; j++) {
			mg_buf line = MG_BUF_INIT(MG_BUF_NOLIMIT);
			/* line[0] is the innermost (inlined) function */
			uint64_t f = j + 1 == nl ? func[i]
			                         : NBASE + 1 + rnd_below(500);

			put_uint(&line, 1, f);
			put_uint(&line, 2, 1 + rnd_below(300));
			put_bytes(&msg, 4, line.ptr, line.len);
			mg_buf_release(&line);
		}
		put_bytes(out, 4, msg.ptr, msg.len);
	}
	/* samples until the target size; hot leaves are picked more often */
	while (out->len < target) {
		uint64_t objs = 1 + rnd_below(64), size = 8 << rnd_below(12);
		uint32_t loc =
		        (uint32_t)(NBASE + rnd_below(NLOCS - NBASE) *
		                                   rnd_below(NLOCS - NBASE) /
		                                   (NLOCS - NBASE));
		size_t d = 0, k;

		for (; loc != UINT32_MAX && d < 200; loc = parent[loc])
			stack[d++] = loc + 1;
		mg_buf_reset(&msg);
		mg_buf_reset(&packed);
		for (k = 0; k < d; k++)
			put_varint(&packed, stack[k]);
		put_bytes(&msg, 1, packed.ptr, packed.len);
		mg_buf_reset(&packed);
		put_varint(&packed, objs);
		put_varint(&packed, objs * size);
		put_varint(&packed, rnd_below(4) ? 0 : objs / 2);
		put_varint(&packed, rnd_below(4) ? 0 : objs / 2 * size);
		put_bytes(&msg, 2, packed.ptr, packed.len);
		mg_buf_reset(&packed);
		put_uint(&packed, 1, 9); /* label bytes=size */
		put_uint(&packed, 3, size);
		put_bytes(&msg, 3, packed.ptr, packed.len);
		put_bytes(out, 2, msg.ptr, msg.len);
	}
	free(parent);
	free(func);
	mg_buf_release(&msg);
	mg_buf_release(&packed);
}

static int write_gzip(const char *path, const mg_buf *data)
{
	gzFile gz = gzopen(path, "wb6");
	size_t off = 0;

	if (gz == NULL)
		return -1;
	while (off < data->len) {
		unsigned n = data->len - off > (1u << 30)
		                     ? (1u << 30)
		                     : (unsigned)(data->len - off);

		if (gzwrite(gz, data->ptr + off, n) != (int)n) {
			gzclose(gz);
			return -1;
		}
		off += n;
	}
	return gzclose(gz) == Z_OK ? 0 : -1;
}

/* Measurement ------------------------------------------------------------- */

typedef struct result {
	double secs; /* wall time, best run */
	long rss_kb; /* peak RSS of that run */
	int ok;
} result;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

enum job { JOB_MEMGATE, JOB_PROTOBUF_C, JOB_PPROF };

static const char *profile_path, *pprof_bin, *out_mg, *out_go;

/* Runs in the child: exits 0 on success. */
static void child(enum job job)
{
	mg_err err = MG_ERR_INIT;

	if (job == JOB_MEMGATE) {
		mg_pprof *p = NULL;
		mg_pprof_top *t = NULL;
		mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
		FILE *f;

		if (mg_pprof_load(&p, profile_path, NULL, &err) < 0 ||
		    mg_pprof_top_new(&t, p, NULL, NULL, &err) < 0 ||
		    mg_pprof_top_write_text(&b, t) < 0) {
			fprintf(stderr, "memgate: %s\n", err.msg);
			_exit(1);
		}
		f = fopen(out_mg, "w");
		if (f == NULL)
			_exit(1);
		fwrite(b.ptr, 1, b.len, f);
		fclose(f);
		_exit(0);
	}
	if (job == JOB_PROTOBUF_C) {
		/* decompress as memgate does, then unpack everything */
		gzFile gz = gzopen(profile_path, "rb");
		mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
		char chunk[1 << 16];
		int n;
		Perftools__Profiles__Profile *m;

		if (gz == NULL)
			_exit(1);
		while ((n = gzread(gz, chunk, sizeof(chunk))) > 0)
			if (mg_buf_put(&b, chunk, (size_t)n) < 0)
				_exit(1);
		gzclose(gz);
		m = perftools__profiles__profile__unpack(
		        NULL, b.len, (const uint8_t *)b.ptr);
		if (m == NULL)
			_exit(1);
		_exit(0);
	}
	if (job == JOB_PPROF) {
		FILE *f = freopen(out_go, "w", stdout);

		if (f == NULL)
			_exit(1);
		setenv("TZ", "UTC", 1);
		execl(pprof_bin, "pprof", "-top", profile_path, (char *)NULL);
		_exit(127);
	}
	_exit(1);
}

static result measure(enum job job, int runs)
{
	result best = {0, 0, 0};
	int i;

	for (i = 0; i < runs; i++) {
		struct rusage ru;
		double t0 = now(), dt;
		int status;
		pid_t pid;

		fflush(NULL);
		pid = fork();
		if (pid < 0)
			return best;
		if (pid == 0)
			child(job);
		while (wait4(pid, &status, 0, &ru) < 0)
			if (errno != EINTR)
				return best;
		dt = now() - t0;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return best;
		if (!best.ok || dt < best.secs) {
			best.secs = dt;
			best.rss_kb = ru.ru_maxrss;
		}
		best.ok = 1;
	}
	return best;
}

static char *run_capture(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char line[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	if (fgets(line, sizeof(line), f) == NULL) {
		pclose(f);
		return NULL;
	}
	pclose(f);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return n ? mg_strdup(line) : NULL;
}

static bool same_file(const char *a, const char *b)
{
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	bool same = fa && fb;
	int ca, cb;

	while (same) {
		ca = getc(fa);
		cb = getc(fb);
		if (ca != cb)
			same = false;
		if (ca == EOF || cb == EOF)
			break;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return same;
}

int main(int argc, char **argv)
{
	mg_buf raw = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *tmp = getenv("TMPDIR");
	char path[4096], pmg[4200], pgo[4200];
	size_t mb = 50;
	int runs = 3, keep = 0, opt;
	result mg, pbc, go;
	double mbytes;
	char *tooldir;

	while ((opt = getopt(argc, argv, "m:r:k")) != -1) {
		if (opt == 'm')
			mb = (size_t)strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			runs = (int)strtol(optarg, NULL, 10);
		else if (opt == 'k')
			keep = 1;
		else {
			fprintf(stderr, "usage: bench_pprof [-m MB] [-r RUNS] "
			                "[-k]\n");
			return 2;
		}
	}
	if (mb == 0 || runs <= 0)
		return 2;
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	snprintf(path, sizeof(path), "%s/bench_pprof.%d.pb.gz", tmp,
	         (int)getpid());
	snprintf(pmg, sizeof(pmg), "%s.memgate.txt", path);
	snprintf(pgo, sizeof(pgo), "%s.pprof.txt", path);
	profile_path = path;
	out_mg = pmg;
	out_go = pgo;

	generate(&raw, mb << 20);
	if (write_gzip(path, &raw) < 0) {
		fprintf(stderr, "bench_pprof: cannot write %s\n", path);
		return 1;
	}
	mbytes = (double)raw.len / 1e6;
	printf("profile: %s, %.1f MB decompressed, %d locations, %d "
	       "functions, 4 sample types\n",
	       path, mbytes, NLOCS, NFUNCS);
	mg_buf_release(&raw);

	mg = measure(JOB_MEMGATE, runs);
	if (!mg.ok) {
		fprintf(stderr, "bench_pprof: memgate failed\n");
		return 1;
	}
	printf("memgate parse+top:      %7.3f s  %7.1f MB/s  peak RSS %7.1f "
	       "MB\n",
	       mg.secs, mbytes / mg.secs, (double)mg.rss_kb / 1024);
	pbc = measure(JOB_PROTOBUF_C, runs);
	if (pbc.ok)
		printf("protobuf-c full unpack: %7.3f s  %7.1f MB/s  peak RSS "
		       "%7.1f MB (gunzip+unpack only, no report)\n",
		       pbc.secs, mbytes / pbc.secs, (double)pbc.rss_kb / 1024);

	tooldir = run_capture("go env GOTOOLDIR 2>/dev/null");
	if (tooldir == NULL) {
		printf("go not found: no comparison with go tool pprof\n");
	} else {
		mg_buf bin = MG_BUF_INIT(8192);

		mg_buf_printf(&bin, "%s/pprof", tooldir);
		pprof_bin = bin.ptr;
		go = measure(JOB_PPROF, runs);
		if (go.ok) {
			printf("go tool pprof -top:     %7.3f s  %7.1f MB/s  "
			       "peak RSS %7.1f MB\n",
			       go.secs, mbytes / go.secs,
			       (double)go.rss_kb / 1024);
			printf("ratio: memgate is %.1fx faster, peak RSS %.2fx "
			       "of pprof's (%s)\n",
			       go.secs / mg.secs,
			       (double)mg.rss_kb / (double)go.rss_kb,
			       go.secs / mg.secs >= 10 && mg.rss_kb <= go.rss_kb
			               ? "target met"
			               : "TARGET MISSED");
			printf("output identical to pprof's: %s\n",
			       same_file(pmg, pgo) ? "yes" : "NO");
		} else {
			printf("go tool pprof failed\n");
		}
		mg_buf_release(&bin);
		free(tooldir);
	}
	if (!keep) {
		remove(path);
		remove(pmg);
		remove(pgo);
	}
	return 0;
}
