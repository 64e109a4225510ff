/*
 * proc.h - run one command (a build or a benchmark) as a measured process
 * tree: its own process group, a timeout that kills the whole group,
 * captured output with hard caps, wall and CPU time, and the peak resident
 * memory of the whole tree.
 *
 * The child runs in a new process group (so the group can be killed as
 * one, and so a Ctrl-C on the terminal reaches only us: the caller sets
 * opts.cancel from its SIGINT handler and we kill the group). Its stdin is
 * /dev/null, its stdout and stderr are pipes we read in one poll() loop.
 * The same loop samples /proc every opts.sample_ms, so no thread is needed.
 *
 * Peak RSS of a tree. ru_maxrss (from wait4) is the wrong tool twice
 * over: it is the high-water mark of the single largest process among the
 * child and the descendants it waited for, not of the tree (two 100 MiB
 * workers under a shell report 100 MiB), and Linux charges a process that
 * execs with the peak RSS of the address space it replaced (exec_mmap),
 * which for a spawned child is the spawner's: with 200 MiB touched in the
 * caller, `sleep 0.2` reports a ru_maxrss of 200 MiB (test_proc prints
 * it). So it is reported as maxrss_single, for reference only.
 *
 * The sampler instead sums the resident set (the `rss` field of
 * /proc/<pid>/stat, the same counter as VmRSS = RssAnon + RssFile +
 * RssShmem) over every live descendant at each poll and keeps the largest
 * sum. Every third poll it also reads each process's VmHWM (the peak of
 * its own address space since its exec, so a spike between polls is not
 * lost while the process lives) and looks for new descendants by
 * following /proc/<pid>/task/<tid>/children from the child (every thread,
 * since Go forks from any thread); the polls between only re-read the
 * processes already known. peak_rss_tree is max(largest sum, largest
 * VmHWM): never less than the largest single process seen, and 0 when no
 * process of the tree was ever seen alive (a command shorter than a poll).
 *
 * A process seen once stays counted while it lives even if it is
 * re-parented (its start time guards against pid reuse); one that lives
 * less than a discovery interval (60 ms) may be missed, as may one whose
 * parent exits before a walk sees it (a double fork). Without that /proc
 * file (CONFIG_PROC_CHILDREN off), or with MG_PROC_RSS_SCAN, the walk reads
 * every /proc/[0-9]* /stat instead and follows ppid links, also taking
 * every member of the child's process group (which catches double forks,
 * at a cost that grows with the processes on the machine). Shared pages
 * (the same binary mapped by two processes) count once per process, as
 * `top` would add them up; but one address space used by two processes
 * (a vfork child before its exec, a CLONE_VM helper) counts once: equal
 * vsize marks the candidates, kcmp(2) decides.
 *
 * Processes the child leaves behind in its group when it exits are
 * killed (SIGKILL) once they close the output pipes or after linger_ms:
 * a measurement must not leave load behind for the next one. Wall time
 * stops at the child's own exit.
 *
 * The caller must not ignore SIGCHLD (auto-reaped children cannot be
 * waited for) and should ignore SIGPIPE when using MG_PROC_TEE on a
 * stderr that may be a closed pipe.
 */
#ifndef MG_PROC_H
#define MG_PROC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/*
 * Captured stdout: the benchmark output we parse. `go test -bench -count=10
 * ./...` over a large module prints a few MB; 256 MiB leaves two orders of
 * magnitude of room while still bounding our memory.
 */
#define MG_PROC_STDOUT_MAX ((size_t)256 << 20)
/* Captured stderr (when not merged): compiler errors, warnings, logs. */
#define MG_PROC_STDERR_MAX ((size_t)16 << 20)
/*
 * Log tail kept for failure reports: the last 32 KiB of the combined
 * output, enough for a page of Go compiler errors or a panic trace, and
 * below MG_RUN_MAX_STR (64 KiB) so it always fits a stored run.
 */
#define MG_PROC_TAIL_MAX ((size_t)32 << 10)
/* SIGTERM -> SIGKILL grace after a timeout or a cancel. */
#define MG_PROC_KILL_GRACE_MS 5000
/*
 * After the child itself exits, how long processes it left behind in its
 * group may keep the output pipes open before the group is killed.
 */
#define MG_PROC_LINGER_MS 1000
/*
 * RSS poll interval. The RSS of a Go process falls slowly (the scavenger
 * returns memory over seconds), so 20 ms misses little of a peak, and
 * VmHWM keeps the exact peak of each process that lives to be read. Cost
 * measured by tests/bench/bench_proc.c on a 2-vCPU VM: 100-160 us of our
 * CPU per poll for a small tree (a VM wake-up alone is ~40 us), 0.5-0.8%
 * of one CPU at 20 ms.
 */
#define MG_PROC_SAMPLE_MS 20
/* Live processes the sampler tracks in one tree (a make -j build). */
#define MG_PROC_MAX_TREE 4096
/* Extra environment entries accepted in opts.env. */
#define MG_PROC_MAX_ENV 1024

enum mg_proc_flags {
	MG_PROC_MERGE = 1 << 0,    /* stderr into the stdout pipe and buffer */
	MG_PROC_TEE = 1 << 1,      /* also copy all output to our stderr */
	MG_PROC_NO_RSS = 1 << 2,   /* do not sample /proc (ru_maxrss only) */
	MG_PROC_RSS_SCAN = 1 << 3, /* find descendants by scanning /proc */
};

typedef struct mg_proc_opts {
	const char *const *argv; /* argv[0] searched in PATH; NULL: use sh */
	const char *shell;       /* command line for /bin/sh -c if !argv */
	const char *dir;         /* working directory, NULL: ours */
	/*
	 * Extra environment, NULL-terminated: "NAME=value" sets or replaces
	 * NAME, "NAME" alone removes it; the rest is inherited. PATH lookup
	 * of argv[0] uses our PATH, not one set here.
	 */
	const char *const *env;
	int64_t timeout_ms; /* 0: no timeout */
	int64_t grace_ms;   /* 0: MG_PROC_KILL_GRACE_MS */
	int64_t linger_ms;  /* 0: MG_PROC_LINGER_MS */
	int sample_ms;      /* 0: MG_PROC_SAMPLE_MS */
	size_t stdout_max;  /* 0: MG_PROC_STDOUT_MAX */
	size_t stderr_max;  /* 0: MG_PROC_STDERR_MAX */
	size_t tail_max;    /* 0: MG_PROC_TAIL_MAX */
	unsigned flags;     /* enum mg_proc_flags */
	/*
	 * If not NULL, polled every loop turn (a signal interrupts poll(), so
	 * a handler that sets it is seen at once): non-zero kills the group
	 * like a timeout and sets result.cancelled.
	 */
	volatile sig_atomic_t *cancel;
} mg_proc_opts;

typedef struct mg_proc_result {
	int status;            /* exit code, or 128 + signal (shell style) */
	int exit_code;         /* exit code, -1 if killed by a signal */
	int term_signal;       /* signal that killed the child, 0 if none */
	bool timed_out;        /* we killed it at opts.timeout_ms */
	bool cancelled;        /* we killed it because *opts.cancel was set */
	int64_t wall_ns;       /* spawn to the child's exit, CLOCK_MONOTONIC */
	int64_t user_ns;       /* user CPU of the child + waited descendants */
	int64_t sys_ns;        /* system CPU, likewise */
	int64_t peak_rss_tree; /* bytes: max(peak_rss_sampled,
				  peak_rss_single); maxrss_single if
				  MG_PROC_NO_RSS */
	int64_t peak_rss_sampled; /* bytes: largest sum over a /proc poll */
	int64_t peak_rss_single;  /* bytes: largest VmHWM of one process */
	int64_t maxrss_single;    /* bytes: ru_maxrss (KiB on Linux) * 1024,
				  includes our own peak (see above) */
	int64_t rss_polls;        /* /proc polls made */
	int64_t max_tree;         /* most processes seen live in one poll */
	bool rss_incomplete;      /* MG_PROC_MAX_TREE hit or /proc unreadable */
	mg_buf out;               /* stdout (or both, merged), first bytes */
	mg_buf err;               /* stderr, first bytes (empty when merged) */
	uint64_t out_total;       /* bytes the child wrote to stdout (pipe) */
	uint64_t err_total;       /* bytes the child wrote to stderr */
	bool out_truncated;       /* out_total > out.len */
	bool err_truncated;       /* err_total > err.len */
	char *tail;      /* last tail_max bytes of all output, NUL-ended */
	size_t tail_len; /* bytes in tail */
} mg_proc_result;

void mg_proc_result_init(mg_proc_result *res);
void mg_proc_result_release(mg_proc_result *res);

/*
 * Run the command described by opts and wait for it (and for the output
 * pipes to close). res must be initialised (mg_proc_result_init); it is
 * reset first. A command that runs and fails, times out or is cancelled
 * is a success of this function: look at res->status, timed_out and
 * cancelled. Errors: MG_EINPUT (no command, bad env entry), MG_ENOTFOUND
 * (argv[0] or dir does not exist), MG_EIO (spawn, pipe or wait failed),
 * MG_ENOMEM. On error no process is left running.
 */
int mg_proc_run(mg_proc_result *res, const mg_proc_opts *opts, mg_err *err);

#endif
