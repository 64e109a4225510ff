/*
 * test_proc.c - the process runner with real /bin/sh children: exit codes
 * and signals, environment and working directory, output capture, caps and
 * the log tail, timeouts and cancellation that kill the whole group
 * (grandchildren included), CPU time of descendants and the peak RSS of a
 * process tree, measured with tests/unit/helpers/alloc_child.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mgtest.h"
#include "proc.h"

#define MIB (1024 * 1024)

/* Run a shell command line with opts (cmd replaces opts->shell). */
static void run_sh(mg_proc_result *res, mg_proc_opts *o, const char *cmd)
{
	mg_err err = MG_ERR_INIT;
	int rc;

	o->shell = cmd;
	rc = mg_proc_run(res, o, &err);
	if (rc != 0)
		fail_msg("mg_proc_run: %s", err.msg);
}

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* True once pid no longer runs (gone, or a zombie waiting for init). */
static bool pid_gone(pid_t pid)
{
	char path[64], buf[512];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 200; i++) {
		FILE *f;
		const char *p;

		if (kill(pid, 0) != 0 && errno == ESRCH)
			return true;
		f = fopen(path, "r");
		if (f == NULL)
			return true;
		p = fgets(buf, sizeof(buf), f);
		fclose(f);
		if (p == NULL)
			return true;
		p = strrchr(buf, ')');
		if (p && (p[2] == 'Z' || p[2] == 'X'))
			return true;
		usleep(10000);
	}
	return false;
}

/* The first number after `prefix` in s, or -1. */
static long long num_after(const char *s, const char *prefix)
{
	const char *p = strstr(s, prefix);
	char *end;
	long long v;

	if (p == NULL)
		return -1;
	errno = 0;
	v = strtoll(p + strlen(prefix), &end, 10);
	if (errno != 0 || end == p + strlen(prefix))
		return -1;
	return v;
}

static void test_exit_codes(void **state)
{
	static const int codes[] = {0, 1, 3, 42, 255};
	mg_proc_result res;
	size_t i;

	(void)state;
	mg_proc_result_init(&res);
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		mg_proc_opts o = {0};
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "exit %d", codes[i]);
		run_sh(&res, &o, cmd);
		assert_int_equal(res.status, codes[i]);
		assert_int_equal(res.exit_code, codes[i]);
		assert_int_equal(res.term_signal, 0);
		assert_false(res.timed_out);
		assert_false(res.cancelled);
	}
	mg_proc_result_release(&res);
}

static void test_signal_death(void **state)
{
	mg_proc_result res;
	mg_proc_opts o = {0};

	(void)state;
	mg_proc_result_init(&res);
	run_sh(&res, &o, "kill -TERM $$; sleep 5");
	assert_int_equal(res.term_signal, SIGTERM);
	assert_int_equal(res.status, 128 + SIGTERM);
	assert_int_equal(res.exit_code, -1);
	assert_false(res.timed_out);

	run_sh(&res, &o, "kill -KILL $$; sleep 5");
	assert_int_equal(res.term_signal, SIGKILL);
	assert_int_equal(res.status, 128 + SIGKILL);
	mg_proc_result_release(&res);
}

/* argv is passed as is: no word splitting, no expansion. */
static void test_argv(void **state)
{
	const char *argv[] = {"printf", "[%s]", "a b", "$HOME", "*", NULL};
	mg_proc_opts o = {0};
	mg_proc_result res;
	mg_err err = MG_ERR_INIT;

	(void)state;
	mg_proc_result_init(&res);
	o.argv = argv;
	assert_int_equal(mg_proc_run(&res, &o, &err), 0);
	assert_string_equal(res.out.ptr, "[a b][$HOME][*]");
	assert_int_equal(res.status, 0);
	mg_proc_result_release(&res);
}

static void test_not_found(void **state)
{
	const char *argv[] = {"mg-no-such-program-4711", "x", NULL};
	const char *empty[] = {NULL};
	mg_proc_opts o = {0};
	mg_proc_result res;
	mg_err err = MG_ERR_INIT;

	(void)state;
	mg_proc_result_init(&res);
	o.argv = argv;
	assert_int_equal(mg_proc_run(&res, &o, &err), MG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'mg-no-such-program-4711'"));

	o.argv = NULL;
	o.shell = "true";
	o.dir = "/nonexistent/mg-dir";
	assert_int_equal(mg_proc_run(&res, &o, &err), MG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'/nonexistent/mg-dir'"));

	o.dir = NULL;
	o.shell = NULL;
	assert_int_equal(mg_proc_run(&res, &o, &err), MG_EINPUT);
	o.argv = empty;
	assert_int_equal(mg_proc_run(&res, &o, &err), MG_EINPUT);
	mg_proc_result_release(&res);
}

static void test_stdout_stderr(void **state)
{
	mg_proc_opts o = {0};
	mg_proc_result res;

	(void)state;
	mg_proc_result_init(&res);
	run_sh(&res, &o, "echo out1; echo err1 >&2; echo out2");
	assert_string_equal(res.out.ptr, "out1\nout2\n");
	assert_string_equal(res.err.ptr, "err1\n");
	assert_int_equal(res.out_total, 10);
	assert_int_equal(res.err_total, 5);
	assert_int_equal(res.tail_len, 15);

	/* merged: one pipe, so the order is the order of the writes */
	o.flags = MG_PROC_MERGE;
	run_sh(&res, &o, "echo out1; echo err1 >&2; echo out2");
	assert_string_equal(res.out.ptr, "out1\nerr1\nout2\n");
	assert_string_equal(res.err.ptr, "");
	assert_string_equal(res.tail, "out1\nerr1\nout2\n");
	mg_proc_result_release(&res);
}

static void test_env_and_dir(void **state)
{
	const char *env[] = {"MG_T_A=hello world", "MG_T_GONE", "MG_T_B=1",
	                     "MG_T_B=2", NULL};
	const char *bad[] = {"=x", NULL};
	char *dir = mgt_tmpdir();
	char real[PATH_MAX], want[PATH_MAX + 64];
	mg_proc_opts o = {0};
	mg_proc_result res;
	mg_err err = MG_ERR_INIT;

	(void)state;
	mg_proc_result_init(&res);
	assert_non_null(realpath(dir, real));
	setenv("MG_T_GONE", "still here", 1);
	setenv("MG_T_B", "0", 1);
	setenv("MG_T_INHERITED", "yes", 1);
	o.env = env;
	o.dir = dir;
	run_sh(&res, &o,
	       "printf '%s|%s|%s|%s|' \"$MG_T_A\" \"${MG_T_GONE-unset}\" "
	       "\"$MG_T_B\" \"$MG_T_INHERITED\"; pwd -P");
	snprintf(want, sizeof(want), "hello world|unset|2|yes|%s\n", real);
	assert_string_equal(res.out.ptr, want);
	/* our own environment is untouched */
	assert_string_equal(getenv("MG_T_GONE"), "still here");

	o.env = bad;
	assert_int_equal(mg_proc_run(&res, &o, &err), MG_EINPUT);
	unsetenv("MG_T_GONE");
	unsetenv("MG_T_B");
	unsetenv("MG_T_INHERITED");
	mg_proc_result_release(&res);
	mgt_tmpdir_free(dir);
}

/* stdin is /dev/null: a command that reads it sees EOF, never hangs. */
static void test_stdin_is_devnull(void **state)
{
	mg_proc_opts o = {0};
	mg_proc_result res;

	(void)state;
	mg_proc_result_init(&res);
	o.timeout_ms = 5000;
	run_sh(&res, &o, "cat; echo rc=$?");
	assert_string_equal(res.out.ptr, "rc=0\n");
	assert_false(res.timed_out);
	mg_proc_result_release(&res);
}

static void test_timeout_kills_group(void **state)
{
	mg_proc_opts o = {0};
	mg_proc_result res;
	long long pid;

	(void)state;
	mg_proc_result_init(&res);
	o.timeout_ms = 300;
	o.grace_ms = 2000;
	run_sh(&res, &o, "sleep 30 & echo sleeper $!; wait");
	assert_true(res.timed_out);
	assert_int_equal(res.term_signal, SIGTERM);
	assert_int_equal(res.status, 128 + SIGTERM);
	assert_true(res.wall_ns >= 300 * 1000000LL);
	assert_true(res.wall_ns < 3000 * 1000000LL);
	pid = num_after(res.out.ptr, "sleeper ");
	assert_true(pid > 1);
	assert_true(pid_gone((pid_t)pid));
	mg_proc_result_release(&res);
}

/* A group that ignores SIGTERM gets SIGKILL after the grace period. */
static void test_timeout_grace_then_kill(void **state)
{
	mg_proc_opts o = {0};
	mg_proc_result res;
	long long pid;

	(void)state;
	mg_proc_result_init(&res);
	o.timeout_ms = 200;
	o.grace_ms = 300;
	run_sh(&res, &o,
	       "trap '' TERM; sleep 30 & echo sleeper $!; "
	       "while :; do sleep 0.05; done");
	assert_true(res.timed_out);
	assert_int_equal(res.term_signal, SIGKILL);
	assert_true(res.wall_ns >= 500 * 1000000LL);
	assert_true(res.wall_ns < 4000 * 1000000LL);
	pid = num_after(res.out.ptr, "sleeper ");
	assert_true(pid > 1);
	assert_true(pid_gone((pid_t)pid));
	mg_proc_result_release(&res);
}

/*
 * Processes the command leaves behind in its group are killed once it
 * exits: at once if they closed the pipes, after linger_ms if they hold
 * them. The wall time is the command's own.
 */
static void test_stragglers_killed(void **state)
{
	mg_proc_opts o = {0};
	mg_proc_result res;
	long long pid;
	int64_t t0;

	(void)state;
	mg_proc_result_init(&res);
	o.linger_ms = 200;
	t0 = (int64_t)time(NULL);
	run_sh(&res, &o, "sleep 30 & echo sleeper $!");
	assert_int_equal(res.status, 0);
	assert_false(res.timed_out);
	assert_true(res.wall_ns < 1000 * 1000000LL);
	assert_true((int64_t)time(NULL) - t0 < 10);
	pid = num_after(res.out.ptr, "sleeper ");
	assert_true(pid > 1);
	assert_true(pid_gone((pid_t)pid));

	run_sh(&res, &o, "sleep 30 >/dev/null 2>&1 & echo sleeper $!");
	assert_int_equal(res.status, 0);
	pid = num_after(res.out.ptr, "sleeper ");
	assert_true(pid > 1);
	assert_true(pid_gone((pid_t)pid));
	mg_proc_result_release(&res);
}

static volatile sig_atomic_t cancel_flag;

static void on_usr1(int sig)
{
	(void)sig;
	cancel_flag = 1;
}

/* The child signals us (as a Ctrl-C would), we kill its group. */
static void test_cancel(void **state)
{
	struct sigaction sa, old;
	mg_proc_opts o = {0};
	mg_proc_result res;
	long long pid;

	(void)state;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
	cancel_flag = 0;
	mg_proc_result_init(&res);
	o.cancel = &cancel_flag;
	o.timeout_ms = 20000;
	run_sh(&res, &o, "sleep 30 & echo sleeper $!; kill -USR1 $PPID; wait");
	assert_true(res.cancelled);
	assert_false(res.timed_out);
	assert_int_equal(res.term_signal, SIGTERM);
	assert_true(res.wall_ns < 3000 * 1000000LL);
	pid = num_after(res.out.ptr, "sleeper ");
	assert_true(pid > 1);
	assert_true(pid_gone((pid_t)pid));
	sigaction(SIGUSR1, &old, NULL);
	mg_proc_result_release(&res);
}

static void test_output_cap(void **state)
{
	mg_proc_opts o = {0};
	mg_proc_result res;
	size_t i;

	(void)state;
	mg_proc_result_init(&res);
	o.stdout_max = 1000;
	o.stderr_max = 3;
	run_sh(&res, &o,
	       "head -c 100000 /dev/zero | tr '\\0' a; echo done >&2");
	assert_int_equal(res.status, 0);
	assert_int_equal(res.out.len, 1000);
	for (i = 0; i < res.out.len; i++)
		assert_int_equal(res.out.ptr[i], 'a');
	assert_true(res.out_truncated);
	assert_int_equal(res.out_total, 100000);
	assert_string_equal(res.err.ptr, "don");
	assert_true(res.err_truncated);
	assert_int_equal(res.err_total, 5);
	mg_proc_result_release(&res);
}

/* The tail is the last tail_max bytes of what was written, in order. */
static void check_tail(size_t tail_max, int lines)
{
	mg_buf want = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_proc_opts o = {0};
	mg_proc_result res;
	char cmd[128];
	size_t keep;
	int i;

	for (i = 1; i <= lines; i++)
		assert_int_equal(mg_buf_printf(&want, "line%d\n", i), 0);
	keep = want.len < tail_max ? want.len : tail_max;
	snprintf(cmd, sizeof(cmd),
	         "i=1; while [ $i -le %d ]; do echo line$i; i=$((i+1)); done",
	         lines);
	mg_proc_result_init(&res);
	o.flags = MG_PROC_MERGE;
	o.tail_max = tail_max;
	run_sh(&res, &o, cmd);
	assert_int_equal(res.out.len, want.len);
	assert_memory_equal(res.out.ptr, want.ptr, want.len);
	assert_int_equal(res.tail_len, keep);
	assert_int_equal(strlen(res.tail), keep);
	assert_memory_equal(res.tail, want.ptr + want.len - keep, keep);
	mg_proc_result_release(&res);
	mg_buf_release(&want);
}

static void test_tail_ring(void **state)
{
	(void)state;
	check_tail(100, 500);     /* many wraps, reads larger than the ring */
	check_tail(50000, 12000); /* ~100 KB through a 50 KB ring */
	check_tail(4096, 3);      /* everything fits */
}

/* MG_PROC_TEE copies both streams to our stderr as they arrive. */
static void test_tee(void **state)
{
	char *dir = mgt_tmpdir();
	char *path = mgt_path(dir, "stderr.txt");
	mg_proc_opts o = {0};
	mg_proc_result res;
	char *teed;
	int saved, fd;

	(void)state;
	mg_proc_result_init(&res);
	fflush(stderr);
	saved = dup(2);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
	o.flags = MG_PROC_TEE | MG_PROC_MERGE;
	o.shell = "echo teeout; echo teeerr >&2";
	assert_int_equal(mg_proc_run(&res, &o, NULL), 0);
	dup2(saved, 2);
	close(saved);
	teed = mgt_read_file(path, NULL);
	assert_non_null(teed);
	assert_string_equal(teed, "teeout\nteeerr\n");
	assert_string_equal(res.out.ptr, "teeout\nteeerr\n");
	free(teed);
	free(path);
	mg_proc_result_release(&res);
	mgt_tmpdir_free(dir);
}

/* Wall time, and CPU time that includes a grandchild's. */
static void test_wall_and_cpu(void **state)
{
	const char *env[] = {"MG_H=" MG_ALLOC_CHILD, NULL};
	mg_proc_opts o = {0};
	mg_proc_result res;

	(void)state;
	mg_proc_result_init(&res);
	run_sh(&res, &o, "sleep 0.3");
	assert_true(res.wall_ns >= 300 * 1000000LL);
	assert_true(res.wall_ns < 3000 * 1000000LL);
	assert_true(res.user_ns + res.sys_ns < 200 * 1000000LL);

	o.env = env;
	run_sh(&res, &o, "\"$MG_H\" spin 300; true");
	assert_int_equal(res.status, 0);
	print_message("spin 300 ms: user %.1f ms sys %.1f ms wall %.1f ms\n",
	              ms(res.user_ns), ms(res.sys_ns), ms(res.wall_ns));
	assert_true(res.user_ns + res.sys_ns >= 290 * 1000000LL);
	assert_true(res.wall_ns >= 290 * 1000000LL);
	mg_proc_result_release(&res);
}

/*
 * Two processes that each touch 64 MiB at the same time, one a grandchild
 * through a nested shell: the tree peak must be at least their sum, while
 * ru_maxrss (the largest single process) sees only one of them. The shell
 * alone stays small, so we do not count ourselves or our siblings.
 */
static void check_peak_rss(unsigned flags)
{
	const char *env[] = {"MG_H=" MG_ALLOC_CHILD, NULL};
	mg_proc_opts o = {0};
	mg_proc_result res;

	mg_proc_result_init(&res);
	o.env = env;
	o.flags = flags;
	run_sh(&res, &o,
	       "sh -c '\"$MG_H\" alloc 64 1000' & "
	       "\"$MG_H\" alloc 64 1000 & wait");
	print_message("flags %u: tree %.1f MiB sampled %.1f MiB single %.1f "
	              "MiB ru_maxrss %.1f MiB polls %lld max_tree %lld\n",
	              flags, (double)res.peak_rss_tree / MIB,
	              (double)res.peak_rss_sampled / MIB,
	              (double)res.peak_rss_single / MIB,
	              (double)res.maxrss_single / MIB, (long long)res.rss_polls,
	              (long long)res.max_tree);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.out.ptr, "touched"));
	assert_true(res.peak_rss_sampled >= 128LL * MIB);
	assert_true(res.peak_rss_tree >= 128LL * MIB);
	/* one process's own peak: one of the two, not their sum */
	assert_true(res.peak_rss_single >= 64LL * MIB);
	assert_true(res.peak_rss_single < 128LL * MIB);
	/* ru_maxrss normalised to bytes: KiB would be ~65536, not ~64 MiB */
	assert_true(res.maxrss_single >= 64LL * MIB);
	assert_true(res.max_tree >= 4); /* sh, sh, alloc_child x2 */
	assert_true(res.rss_polls >= 20);
	assert_false(res.rss_incomplete);

	run_sh(&res, &o, "sleep 0.2");
	assert_true(res.peak_rss_tree > 0);
	assert_true(res.peak_rss_tree < 16LL * MIB);
	mg_proc_result_release(&res);
}

static void test_peak_rss_tree(void **state)
{
	(void)state;
	check_peak_rss(0);
}

static void test_peak_rss_tree_scan(void **state)
{
	(void)state;
	check_peak_rss(MG_PROC_RSS_SCAN);
}

/*
 * Two processes sharing one address space (what vfork and posix_spawn
 * create until the exec, and what LeakSanitizer's tracer is) hold its
 * pages once: the tree is one 64 MiB, not two.
 */
static void test_shared_mm_counted_once(void **state)
{
	const char *env[] = {"MG_H=" MG_ALLOC_CHILD, NULL};
	mg_proc_opts o = {0};
	mg_proc_result res;

	(void)state;
	mg_proc_result_init(&res);
	o.env = env;
	run_sh(&res, &o, "\"$MG_H\" shared 64 600; true");
	print_message("shared mm: tree %.1f MiB max_tree %lld\n",
	              (double)res.peak_rss_tree / MIB, (long long)res.max_tree);
	assert_int_equal(res.status, 0);
	assert_true(res.max_tree >= 3); /* sh, the helper, its clone */
	assert_true(res.peak_rss_tree >= 64LL * MIB);
	assert_true(res.peak_rss_tree < 112LL * MIB);
	mg_proc_result_release(&res);
}

/*
 * Our own memory is not the child's: with 200 MiB touched here, a small
 * child's tree peak stays small. (Its ru_maxrss does not on Linux, which
 * charges an exec with the peak of the address space it replaces: ours.)
 */
static void test_peak_excludes_spawner(void **state)
{
	size_t len = (size_t)200 * MIB, i;
	volatile unsigned char *big = malloc(len);
	mg_proc_opts o = {0};
	mg_proc_result res;

	(void)state;
	assert_non_null(big);
	for (i = 0; i < len; i += 4096)
		big[i] = 1;
	mg_proc_result_init(&res);
	run_sh(&res, &o, "sleep 0.2");
	print_message("spawner 200 MiB: tree %.1f MiB single %.1f MiB "
	              "ru_maxrss %.1f MiB\n",
	              (double)res.peak_rss_tree / MIB,
	              (double)res.peak_rss_single / MIB,
	              (double)res.maxrss_single / MIB);
	assert_true(res.peak_rss_tree > 0);
	assert_true(res.peak_rss_tree < 16LL * MIB);
	assert_true(res.peak_rss_single < 16LL * MIB);
	free((void *)big);
	mg_proc_result_release(&res);
}

/* Without sampling the tree peak falls back to ru_maxrss. */
static void test_no_rss(void **state)
{
	const char *env[] = {"MG_H=" MG_ALLOC_CHILD, NULL};
	mg_proc_opts o = {0};
	mg_proc_result res;

	(void)state;
	mg_proc_result_init(&res);
	o.env = env;
	o.flags = MG_PROC_NO_RSS;
	run_sh(&res, &o, "\"$MG_H\" alloc 32 100; true");
	assert_int_equal(res.rss_polls, 0);
	assert_int_equal(res.peak_rss_sampled, 0);
	assert_true(res.maxrss_single >= 32LL * MIB);
	assert_int_equal(res.peak_rss_tree, res.maxrss_single);
	mg_proc_result_release(&res);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n++;
	closedir(d);
	return n;
}

/* Repeated runs (and failed spawns) leave no descriptor or child behind. */
static void test_no_leaks(void **state)
{
	const char *argv[] = {"true", NULL};
	const char *missing[] = {"mg-no-such-program-4711", NULL};
	mg_proc_opts o = {0};
	mg_proc_result res;
	int before, i;

	(void)state;
	mg_proc_result_init(&res);
	before = count_fds();
	for (i = 0; i < 50; i++) {
		o.argv = i % 5 == 4 ? missing : argv;
		o.flags = i % 2 ? MG_PROC_MERGE : 0;
		mg_proc_run(&res, &o, NULL);
	}
	assert_int_equal(count_fds(), before);
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
	mg_proc_result_release(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_exit_codes),
	        cmocka_unit_test(test_signal_death),
	        cmocka_unit_test(test_argv),
	        cmocka_unit_test(test_not_found),
	        cmocka_unit_test(test_stdout_stderr),
	        cmocka_unit_test(test_env_and_dir),
	        cmocka_unit_test(test_stdin_is_devnull),
	        cmocka_unit_test(test_timeout_kills_group),
	        cmocka_unit_test(test_timeout_grace_then_kill),
	        cmocka_unit_test(test_stragglers_killed),
	        cmocka_unit_test(test_cancel),
	        cmocka_unit_test(test_output_cap),
	        cmocka_unit_test(test_tail_ring),
	        cmocka_unit_test(test_tee),
	        cmocka_unit_test(test_wall_and_cpu),
	        cmocka_unit_test(test_peak_rss_tree),
	        cmocka_unit_test(test_peak_rss_tree_scan),
	        cmocka_unit_test(test_shared_mm_counted_once),
	        cmocka_unit_test(test_peak_excludes_spawner),
	        cmocka_unit_test(test_no_rss),
	        cmocka_unit_test(test_no_leaks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
