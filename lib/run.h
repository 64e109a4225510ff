/*
 * run.h - the in-memory model of one measured run: the commit it measured,
 * the runner environment, the commands and their outcome, every benchmark
 * sample and the profiles. The collector builds it, the JSON run format
 * (schema/run.schema.json) serialises it, and the store persists it in one
 * transaction.
 *
 * An mg_run owns every string and array it points to; build it with the
 * mg_run_add_* functions (which copy their inputs) and release it with
 * mg_run_release(). Plain fields (ints, the fixed-size sha) may be set
 * directly; string fields are set with mg_run_set_str().
 */
#ifndef MG_RUN_H
#define MG_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "intern.h"

#define MG_SHA_HEX 40 /* a git SHA-1 object id in hex */

/* Size limits for one run: a run larger than this is refused as input. */
#define MG_RUN_MAX_BENCHMARKS 100000 /* distinct benchmarks in one run */
#define MG_RUN_MAX_SAMPLES 5000000 /* samples: 100k benchmarks x 5 units x 10 */
#define MG_RUN_MAX_PROFILES 4096   /* one heap + one cpu per package */
#define MG_RUN_MAX_STR 65536       /* a single string (log tail, command) */
#define MG_RUN_MAX_PARENTS 64      /* parents of a commit (octopus merges) */
#define MG_RUN_MAX_SAMPLE_TYPES 64 /* per profile; Go writes 1 to 4 */
#define MG_UNIT_MAX 64 /* "allocs/op", "MB/s", custom b.ReportMetric units */

typedef struct mg_kv {
	char *key;   /* configuration key, e.g. "goos", "cpu" */
	char *value; /* its value as read */
} mg_kv;

typedef struct mg_commit {
	char sha[MG_SHA_HEX + 1]; /* hex object id, NUL-terminated */
	char **parents;           /* parent shas, first parent first */
	size_t nparents;
	char *author;        /* "Name <email>" */
	int64_t commit_time; /* committer time, unix seconds */
	char *subject;       /* first line of the message */
} mg_commit;

typedef struct mg_env {
	char *os;          /* e.g. "linux" */
	char *kernel;      /* uname release */
	char *arch;        /* e.g. "amd64" / "x86_64" */
	char *cpu_model;   /* /proc/cpuinfo model name */
	int64_t cores;     /* online CPUs */
	int64_t mem_bytes; /* physical memory */
	char *go_version;  /* `go version` output, or NULL */
	char *gomaxprocs;  /* the GOMAXPROCS variable as set, or NULL */
	char *gogc;        /* GOGC as set, or NULL */
	char *gomemlimit;  /* GOMEMLIMIT as set, or NULL */
	char *godebug;     /* GODEBUG as set, or NULL */
	char *thp;         /* transparent_hugepage/enabled selection */
	char *label;       /* --runner-label, or NULL */
} mg_env;

typedef struct mg_bench {
	char *name;    /* full name without the -procs suffix, "BenchmarkX/y" */
	char *package; /* the "pkg:" configuration in force, "" if none */
	int procs;     /* GOMAXPROCS suffix (-8), 0 if absent */
	mg_kv *config; /* configuration lines in force (goos, cpu, ...) */
	size_t nconfig;
} mg_bench;

typedef struct mg_sample {
	size_t bench; /* index into mg_run.benches */
	char *unit; /* "ns/op", "B/op", "allocs/op", "MB/s", custom; the run's */
	double value;       /* as printed by the benchmark */
	int64_t iterations; /* b.N of the line the value came from */
	int64_t seq;        /* repetition number within the run, from 0 */
} mg_sample;

typedef struct mg_func_agg {
	size_t sample_type; /* index into mg_profile.sample_types */
	char *function;     /* function name as pprof prints it */
	char *file;         /* source file, "" if unknown */
	int64_t flat;       /* value in the function itself */
	int64_t cum;        /* value in the function and its callees */
} mg_func_agg;

typedef struct mg_profile {
	char *kind;          /* "heap", "cpu", ... */
	char *package;       /* the package whose benchmarks produced it */
	char **sample_types; /* "type/unit" pairs, e.g. "alloc_space/bytes" */
	size_t nsample_types;
	char *default_sample_type; /* as the profile declares, or NULL */
	unsigned char *data;       /* the raw bytes as produced (gzip or not) */
	size_t len;
	/*
	 * SHA-256 of data in hex, when known and checked (the run-document
	 * reader sets it); "" otherwise, and the store computes it.
	 */
	char sha256[65];
	mg_func_agg *funcs; /* per-function aggregates, every sample type */
	size_t nfuncs;
} mg_profile;

enum mg_run_status {
	MG_RUN_OK = 0,     /* commands succeeded, samples are valid */
	MG_RUN_FAILED = 1, /* build or benchmark failed; see log_tail */
};

typedef struct mg_run {
	char *project;        /* project name, e.g. "owner/repo" */
	char *clone_url;      /* remote URL, or NULL */
	char *default_branch; /* the project's default branch, or NULL */
	mg_commit commit;     /* the measured commit */
	char *branch;         /* branch the run was made on, or NULL */
	bool dirty;           /* work tree had uncommitted changes */
	int64_t pr_number;    /* pull request number, 0 if none */
	char *base_ref;       /* pull request base branch, or NULL */
	char *base_sha;       /* pull request base sha, or NULL */
	mg_env env;           /* runner fingerprint */
	int64_t started_at;   /* unix milliseconds */
	int64_t ended_at;     /* unix milliseconds */
	char *build_cmd;      /* build command line, or NULL */
	char *bench_cmd;      /* benchmark command line */
	int exit_status;      /* of the failing or last command */
	int64_t wall_ns;      /* wall time of the benchmark command */
	int64_t peak_rss;     /* bytes, benchmark process tree; 0 unknown */
	enum mg_run_status status;
	char *log_tail;        /* output tail when failed, or NULL */
	char *idempotency_key; /* makes a retried upload store once */
	mg_bench *benches;
	size_t nbenches;
	mg_sample *samples;
	size_t nsamples;
	mg_profile *profiles;
	size_t nprofiles;
	struct mg_run_index *bench_index; /* private: hash of benches, for
					   * mg_run_add_bench's lookup */
	mg_intern units; /* private: the samples' unit strings, one each */
} mg_run;

void mg_run_init(mg_run *run);
/* Free the strings of an environment and zero it. */
void mg_env_release(mg_env *e);
void mg_run_release(mg_run *run);

/* Replace *field (a string member of run or its parts) with a copy of s. */
int mg_run_set_str(char **field, const char *s);

/*
 * Find or add the benchmark (name, package, procs) with the given config.
 * *index_out receives its position in run->benches.
 */
int mg_run_add_bench(mg_run *run, size_t *index_out, const char *name,
                     const char *package, int procs, const mg_kv *config,
                     size_t nconfig);
/*
 * Add the benchmark without looking for an equal one first: for readers of
 * documents that list each benchmark once (mg_run_add_bench's search is
 * linear, so n additions cost n^2/2 comparisons). Copies its inputs.
 */
int mg_run_append_bench(mg_run *run, size_t *index_out, const char *name,
                        const char *package, int procs, const mg_kv *config,
                        size_t nconfig);
int mg_run_add_sample(mg_run *run, size_t bench, const char *unit, double value,
                      int64_t iterations, int64_t seq);
/*
 * The samples grouped by benchmark, in run order within each (a counting
 * sort): benchmark b's indexes are (*order)[(*first)[b] .. (*first)[b +
 * 1]). Both malloc'd, for free(). 0 or MG_ENOMEM.
 */
int mg_run_group_samples(const mg_run *run, size_t **order, size_t **first);
/*
 * Whether the samples idx[0..n) of one benchmark (in run order) are in
 * blocks of one unit each, no unit in two blocks, seq increasing within
 * a block: then no two have the same unit and seq, and each block is
 * the benchmark's samples of its unit in seq order, without a sort. That
 * is how mg_runjson_write() and collectors lay them out. Units are
 * compared by pointer first (a run interns them), by string otherwise.
 */
bool mg_run_in_blocks(const mg_run *run, const size_t *idx, size_t n);

/* Whether to take benchmark b of a run being merged. */
typedef bool (*mg_run_keep_fn)(void *ctx, const mg_bench *b);

/*
 * Append src's samples to dst, adding its benchmarks (matched by name,
 * package and procs) where dst lacks them; each sample's seq is shifted by
 * seq_offset. keep (NULL: everything) selects src's benchmarks. *max_seq
 * gets the largest seq taken from src, -1 if none. MG_ENOMEM, MG_ELIMIT.
 */
int mg_run_merge_samples(mg_run *dst, const mg_run *src, int64_t seq_offset,
                         mg_run_keep_fn keep, void *ctx, int64_t *max_seq);
int mg_run_add_parent(mg_run *run, const char *sha);
/* Add a profile; copies data. *index_out gets its position. */
int mg_run_add_profile(mg_run *run, size_t *index_out, const char *kind,
                       const char *package, const unsigned char *data,
                       size_t len);
int mg_profile_add_sample_type(mg_profile *p, const char *type_unit);
/* The index of sample type type_unit ("space/bytes") in p, or p->nsample_types. */
size_t mg_profile_sample_type(const mg_profile *p, const char *type_unit);
int mg_profile_add_func(mg_profile *p, size_t sample_type, const char *function,
                        const char *file, int64_t flat, int64_t cum);

/* True if s is 40 lower-case hex digits. */
bool mg_sha_is_valid(const char *s);

/*
 * Check a run before it is stored or sent: required fields present,
 * strings within MG_RUN_MAX_STR, shas well formed, units valid, sample
 * values finite, counts not negative. Returns 0, or MG_EINPUT with a
 * message naming the field in model terms ("field 'samples[4].unit': ...";
 * samples are numbered across the whole run).
 */
int mg_run_validate(const mg_run *run, mg_err *err);

/*
 * Check a benchmark unit: non-empty printable ASCII without spaces, at most
 * MG_UNIT_MAX bytes. `field` names it in the message.
 */
int mg_run_check_unit(const char *unit, const char *field, mg_err *err);

#endif
