/*
 * runjson_int.h - what runjson.c shares with runjson_pull.c, its fast
 * path. Not for other modules.
 */
#ifndef MG_RUNJSON_INT_H
#define MG_RUNJSON_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "run.h"

#define MG_RUNJSON__SHA256_HEX 64

/*
 * The members of each object of the format, as both readers know them:
 * X_N keys in keys_x[], indexed by the enum (read_run() and the pull
 * reader look them up here, so a member is named in one place).
 */
enum {
	R_FORMAT,
	R_VERSION,
	R_PROJECT,
	R_CLONE_URL,
	R_DEFAULT_BRANCH,
	R_COMMIT,
	R_BRANCH,
	R_DIRTY,
	R_PR,
	R_ENV,
	R_STARTED,
	R_ENDED,
	R_BUILD_CMD,
	R_BENCH_CMD,
	R_EXIT,
	R_WALL,
	R_RSS,
	R_STATUS,
	R_LOG_TAIL,
	R_IDEMPOTENCY,
	R_BENCHMARKS,
	R_PROFILES,
	R_N
};
enum { C_SHA, C_PARENTS, C_AUTHOR, C_TIME, C_SUBJECT, C_N };
enum { PR_NUMBER, PR_BASE_REF, PR_BASE_SHA, PR_N };
enum {
	E_OS,
	E_KERNEL,
	E_ARCH,
	E_CPU,
	E_GO,
	E_GOMAXPROCS,
	E_GOGC,
	E_GOMEMLIMIT,
	E_GODEBUG,
	E_THP,
	E_LABEL,
	E_CORES, /* the integers come last */
	E_MEM,
	E_N
};
enum { B_NAME, B_PACKAGE, B_PROCS, B_CONFIG, B_SAMPLES, B_N };
enum { SM_UNIT, SM_VALUE, SM_ITERATIONS, SM_SEQ, SM_N };
enum { P_KIND, P_PACKAGE, P_TYPES, P_DEFAULT, P_DATA, P_SHA, P_FUNCS, P_N };
enum { FN_TYPE, FN_FUNCTION, FN_FILE, FN_FLAT, FN_CUM, FN_N };

extern const char *const mg_runjson__keys_run[R_N];
extern const char *const mg_runjson__keys_commit[C_N];
extern const char *const mg_runjson__keys_pr[PR_N];
extern const char *const mg_runjson__keys_env[E_N];
extern const char *const mg_runjson__keys_bench[B_N];
extern const char *const mg_runjson__keys_sample[SM_N];
extern const char *const mg_runjson__keys_profile[P_N];
extern const char *const mg_runjson__keys_func[FN_N];

/* The run's nullable strings: the member and where it goes in mg_run. */
struct mg_runjson__str {
	int item;
	size_t offset;
};
#define MG_RUNJSON__RUN_STRS 7
extern const struct mg_runjson__str mg_runjson__run_strs[MG_RUNJSON__RUN_STRS];
/* The environment's (E_OS..E_LABEL, all nullable). */
extern const struct mg_runjson__str mg_runjson__env_strs[E_CORES];

/* The lower-case hex SHA-256 of data, NUL-terminated. */
void mg_runjson__sha256_hex(char out[MG_RUNJSON__SHA256_HEX + 1],
                            const void *data, size_t len);

/*
 * Read the document into run (initialised, empty) without a tree, when it
 * has the usual shape: true when it did. false when it did not, for any
 * reason (out of memory too), with nothing said: the caller releases run
 * and reads the text through the tree, whose messages say what is wrong.
 * What this accepts must come out as the very run the tree reader makes
 * of it.
 */
bool mg_runjson__pull(mg_run *run, const char *data, size_t len);

#endif
