/*
 * envinfo.h - the runner fingerprint: what kind of machine and toolchain
 * a run was measured on (an mg_env, see run.h), a stable hash of the
 * fields that make two machines "the same kind", and the list of fields
 * in which two environments differ.
 *
 * Sources (Linux): uname(2) for OS, kernel release and machine;
 * /proc/cpuinfo for the CPU model; sysconf for online CPUs and physical
 * memory; `go version` run through mg_proc; GOMAXPROCS, GOGC, GOMEMLIMIT
 * and GODEBUG from the environment the benchmarks will see;
 * /sys/kernel/mm/transparent_hugepage/enabled for THP.
 *
 * os and arch are stored Go style (GOOS/GOARCH: "linux", "amd64",
 * "arm64"), the spelling of the goos:/goarch: lines of benchmark output,
 * so the two can be compared; mg_envinfo_goarch() maps uname machines.
 *
 * The fingerprint (mg_env_fingerprint) is SHA-256 over the canonical form
 * (mg_env_canonical) of these fields, in this order:
 *
 *   field       canonical value                 why
 *   os          as stored                       different OS, different code
 *   kernel      "major.minor" of the release    memory management changes
 *                                               between series; patch builds
 *                                               of CI images (6.5.0-1025 vs
 *                                               -1021) must not split history
 *   arch        as stored                       different code
 *   cpu_model   runs of white space as one      speed, cache sizes
 *   cores       decimal                         GOMAXPROCS default, GC workers
 *   mem         GiB, rounded to nearest         machines of one size differ
 *                                               by the kernel's reservations
 *   go_version  as stored                       runtime and compiler change
 *                                               allocations
 *   gomaxprocs, gogc, gomemlimit, godebug       runtime behaviour
 *               as set
 *   thp         as stored                       RSS of large heaps
 *   label       as given                        the user's own split
 *
 * Canonical form: "memgate-env-v1\n", then one line per field in the order
 * above: "<name>=<byte length>:<value>\n" when set, "<name>-\n" when NULL
 * (so NULL, "" and values containing newlines can never collide). mg_env_diff
 * compares the same canonical values, so two environments have the same
 * fingerprint exactly when mg_env_diff() returns 0.
 */
#ifndef MG_ENVINFO_H
#define MG_ENVINFO_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "run.h"

/* `go version` is a local binary; 20 s covers a cold disk cache. */
#define MG_ENVINFO_GO_TIMEOUT_MS 20000
/* Its output is one line; more is not `go version`. */
#define MG_ENVINFO_GO_OUT_MAX 4096
/* Longest CPU model / THP / variable value we keep. */
#define MG_ENVINFO_VALUE_MAX 4096

typedef struct mg_envinfo_opts {
	const char *label; /* --runner-label, or NULL */
	/* go command: NULL runs "go" from PATH, "" skips `go version` */
	const char *go;
	const char *dir; /* where to run `go version` (go.mod may pick
			       another toolchain), NULL: here */
	/*
	 * The extra environment the benchmarks will get (mg_proc_opts.env
	 * syntax): it overrides ours for the GO* variables and is passed
	 * to `go version`.
	 */
	const char *const *env;
	int64_t go_timeout_ms; /* 0: MG_ENVINFO_GO_TIMEOUT_MS */
} mg_envinfo_opts;

/*
 * Fill *out (all fields NULL/0, e.g. fresh from mg_run_init) with this
 * machine's fingerprint; opts may be NULL. Unknown values stay NULL (no
 * cpuinfo model line, no THP file, no `go` or a failing `go version`).
 * On error *out is untouched. Errors: MG_EIO (uname failed), MG_ENOMEM.
 */
int mg_envinfo_collect(mg_env *out, const mg_envinfo_opts *opts, mg_err *err);

/* Go's GOARCH for a uname machine ("x86_64" -> "amd64"); else machine. */
const char *mg_envinfo_goarch(const char *machine);

/*
 * The CPU model from /proc/cpuinfo text: the first "model name" (x86),
 * else "Processor", "cpu model" or "cpu" (other architectures), else for
 * arm64 "CPU implementer 0x41 part 0xd0c". *out is malloc'd, or NULL if
 * nothing was found. Errors: MG_ENOMEM.
 */
int mg_envinfo_cpu_model(char **out, const char *cpuinfo, size_t len);

/*
 * The selected word of a transparent_hugepage setting such as
 * "always [madvise] never\n" ("madvise"); *out is malloc'd, NULL if there
 * is no bracketed word. Errors: MG_ENOMEM.
 */
int mg_envinfo_thp(char **out, const char *text);

/* Free the fields of an mg_env and zero it (mg_run_release does this too). */
void mg_envinfo_release(mg_env *e);

/* Bits naming the fields of an mg_env, in canonical order. */
enum mg_env_field {
	MG_ENV_OS = 1 << 0,
	MG_ENV_KERNEL = 1 << 1,
	MG_ENV_ARCH = 1 << 2,
	MG_ENV_CPU_MODEL = 1 << 3,
	MG_ENV_CORES = 1 << 4,
	MG_ENV_MEM = 1 << 5,
	MG_ENV_GO_VERSION = 1 << 6,
	MG_ENV_GOMAXPROCS = 1 << 7,
	MG_ENV_GOGC = 1 << 8,
	MG_ENV_GOMEMLIMIT = 1 << 9,
	MG_ENV_GODEBUG = 1 << 10,
	MG_ENV_THP = 1 << 11,
	MG_ENV_LABEL = 1 << 12,
};
#define MG_ENV_NFIELDS 13

/* "os", "kernel", ... for one bit; NULL for anything else. */
const char *mg_env_field_name(unsigned field);

/*
 * Append the canonical serialisation (format above) to out.
 * Errors: MG_ENOMEM, MG_ELIMIT (out's limit).
 */
int mg_env_canonical(mg_buf *out, const mg_env *e);

/*
 * SHA-256 of the canonical form as 64 lower-case hex digits and a NUL.
 * Errors: MG_ENOMEM, MG_EINTERNAL (OpenSSL failed).
 */
int mg_env_fingerprint(char out[65], const mg_env *e, mg_err *err);

/*
 * The set of fields (enum mg_env_field bits) whose canonical values
 * differ; 0 means same fingerprint. On allocation failure every field is
 * reported as different.
 */
unsigned mg_env_diff(const mg_env *a, const mg_env *b);

/*
 * Describe the fields in `fields` for a warning, with the raw values:
 * "kernel '6.1.0-13-amd64' vs '6.5.0-1025-azure', cores 2 vs 4".
 * NULL shows as "unset". Errors: MG_ENOMEM, MG_ELIMIT.
 */
int mg_env_diff_describe(mg_buf *out, const mg_env *a, const mg_env *b,
                         unsigned fields);

#endif
