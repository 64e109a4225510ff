/*
 * measure.c - running the user's build and benchmark commands on one
 * checked-out commit, and turning their output into an mg_run.
 */
#include <errno.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "gobench.h"
#include "log.h"
#include "measure.h"
#include "measure_cmd.h"
#include "pprof.h"
#include "proc.h"

int mg_measure_shell_quote(mg_buf *out, const char *s)
{
	int error = mg_buf_putc(out, '\'');

	for (; error == 0 && *s; s++)
		error = *s == '\'' ? mg_buf_puts(out, "'\\''")
		                   : mg_buf_putc(out, *s);
	return error ? error : mg_buf_putc(out, '\'');
}

char *mg_measure_go_cmd(int count, const char *regex, const char *packages)
{
	mg_buf b = MG_BUF_INIT(MG_RUN_MAX_STR);

	if (mg_buf_puts(&b, "go test -run='^$' -bench=") < 0 ||
	    (regex ? mg_measure_shell_quote(&b, regex) : mg_buf_putc(&b, '.')) <
	            0 ||
	    mg_buf_printf(&b, " -benchmem -count=%d%s%s",
	                  count > 0 ? count : 10,
	                  packages && !packages[0] ? "" : " ",
	                  packages ? packages : "./...") < 0) {
		mg_buf_release(&b);
		return NULL;
	}
	return mg_buf_detach(&b);
}

char *mg_measure_default_cmd(int count)
{
	return mg_measure_go_cmd(count, NULL, NULL);
}

/* Mark the run failed and keep the log tail (and a reason first). */
static int fail_run(mg_run *run, int exit_status, const char *reason,
                    const char *tail)
{
	mg_buf log = MG_BUF_INIT(MG_RUN_MAX_STR);

	run->status = MG_RUN_FAILED;
	run->exit_status = exit_status;
	mg_buf_printf(&log, "memgate: %s\n", reason);
	if (tail) {
		size_t len = strlen(tail);
		size_t room = MG_RUN_MAX_STR - log.len;

		/* Keep the end of the output: that is where errors are. */
		mg_buf_puts(&log, len > room ? tail + len - room : tail);
	}
	if (mg_run_set_str(&run->log_tail, log.ptr) < 0) {
		mg_buf_release(&log);
		return MG_ENOMEM;
	}
	mg_buf_release(&log);
	return 0;
}

/*
 * Run one shell command in dir. *ok tells whether it exited 0 in time;
 * when it did not, the run is marked failed with a reason.
 */
static int run_cmd(mg_proc_result *res, mg_run *run, const char *cmd,
                   const char *what, const char *dir, const mg_measure_opts *o,
                   bool *ok, mg_err *err)
{
	mg_proc_opts po;
	char reason[256];
	int error;

	memset(&po, 0, sizeof(po));
	po.shell = cmd;
	po.dir = dir;
	po.timeout_ms = o->timeout_ms;
	po.cancel = o->cancel;
	po.flags = o->tee ? MG_PROC_TEE : 0;
	*ok = false;
	error = mg_proc_run(res, &po, err);
	if (error < 0) {
		mg_err_prefix(err, "%s command", what);
		return error;
	}
	if (res->cancelled)
		return mg_err_set(err, MG_ECONFLICT, "interrupted");
	if (res->peak_rss_tree > run->peak_rss)
		run->peak_rss = res->peak_rss_tree;
	if (res->timed_out)
		snprintf(reason, sizeof(reason),
		         "%s command timed out after %lld ms: %s", what,
		         (long long)o->timeout_ms, cmd);
	else if (res->status != 0)
		snprintf(reason, sizeof(reason),
		         "%s command failed with status %d: %s", what,
		         res->status, cmd);
	else {
		*ok = true;
		return 0;
	}
	if (fail_run(run, res->status ? res->status : 124, reason, res->tail) <
	    0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	return 0;
}

/* Read a profile file, parse it and add it with its aggregates. */
static int add_profile(mg_run *run, const char *kind, const char *package,
                       const char *path, mg_err *err)
{
	mg_buf data = MG_BUF_INIT(MG_MEASURE_PROFILE_MAX);
	mg_pprof *p = NULL;
	size_t idx;
	int error;

	error = mg_read_file(&data, path, err);
	if (error < 0)
		goto cleanup;
	error = mg_pprof_parse(&p, data.ptr, data.len, NULL, path, err);
	if (error < 0)
		goto cleanup;
	error = mg_run_add_profile(run, &idx, kind, package,
	                           (const unsigned char *)data.ptr, data.len);
	if (error < 0) {
		mg_err_set(err, error, "'%s': cannot keep the profile", path);
		goto cleanup;
	}
	error = mg_pprof_to_run(&run->profiles[idx], p, err);
cleanup:
	mg_pprof_free(p);
	mg_buf_release(&data);
	return error;
}

static int parse_output(mg_run *run, const mg_buf *out, const char *name,
                        mg_err *err)
{
	mg_gobench *gb = NULL;
	size_t i;
	int error;

	error = mg_gobench_parse(&gb, out->ptr, out->len, name, err);
	if (error < 0)
		return error;
	for (i = 0; i < mg_gobench_nwarnings(gb); i++)
		mg_log(MG_LOG_WARN, "collect", "%s",
		       mg_gobench_warning_at(gb, i)->msg);
	error = mg_gobench_to_run(run, gb, err);
	mg_gobench_free(gb);
	return error;
}

/* List the module's packages with `go list ./...`. */
static int go_packages(char ***out, size_t *n_out, const char *dir,
                       const mg_measure_opts *o, mg_err *err)
{
	mg_proc_result res;
	mg_proc_opts po;
	char **pkgs = NULL;
	size_t n = 0;
	char *line, *save = NULL;
	int error;

	memset(&po, 0, sizeof(po));
	po.shell = "go list ./...";
	po.dir = dir;
	po.timeout_ms = o->timeout_ms;
	po.cancel = o->cancel;
	mg_proc_result_init(&res);
	error = mg_proc_run(&res, &po, err);
	if (error == 0 && res.status != 0)
		error = mg_err_set(err, MG_EIO,
		                   "'go list ./...' failed: %.200s",
		                   res.tail ? res.tail : "");
	for (line = error == 0 ? strtok_r(res.out.ptr, "\n", &save) : NULL;
	     line; line = strtok_r(NULL, "\n", &save)) {
		char **np = realloc(pkgs, (n + 1) * sizeof(*pkgs));

		if (np == NULL || (np[n] = mg_strdup(line)) == NULL) {
			if (np)
				pkgs = np;
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			break;
		}
		pkgs = np;
		n++;
	}
	mg_proc_result_release(&res);
	*out = pkgs;
	*n_out = n;
	return error;
}

/*
 * One `go test` per package, each with its own heap and CPU profile
 * (go test refuses profiles for several packages at once). The outputs
 * are parsed together; each profile is stored with its package.
 */
static int measure_go_profiles(mg_run *run, const char *dir,
                               const mg_measure_opts *o, const char *bench,
                               mg_err *err)
{
	mg_buf all = MG_BUF_INIT(MG_PROC_STDOUT_MAX);
	mg_buf cmd = MG_BUF_INIT(65536);
	mg_buf mem = MG_BUF_INIT(8192), cpu = MG_BUF_INIT(8192);
	mg_proc_result res;
	mg_buf tmpdir = MG_BUF_INIT(4096);
	const char *tmpl;
	char **pkgs = NULL;
	size_t npkgs = 0, i;
	bool ok = true;
	int error;

	mg_proc_result_init(&res);
	if (mg_buf_printf(&tmpdir, "%s/memgate-prof.XXXXXX",
	                  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if (mkdtemp(tmpdir.ptr) == NULL) {
		mg_buf_release(&tmpdir);
		return mg_err_set(err, MG_EIO, "cannot create a temp dir: %s",
		                  strerror(errno));
	}
	tmpl = tmpdir.ptr;
	error = go_packages(&pkgs, &npkgs, dir, o, err);
	if (error < 0)
		goto cleanup;
	for (i = 0; i < npkgs && ok; i++) {
		mg_buf_reset(&cmd);
		mg_buf_reset(&mem);
		mg_buf_reset(&cpu);
		if (mg_buf_printf(&mem, "%s/%zu.mem", tmpl, i) < 0 ||
		    mg_buf_printf(&cpu, "%s/%zu.cpu", tmpl, i) < 0 ||
		    mg_buf_printf(&cmd,
		                  "%s -memprofile '%s' -cpuprofile '%s' -o "
		                  "'%s/%zu.test' '%s'",
		                  bench, mem.ptr, cpu.ptr, tmpl, i,
		                  pkgs[i]) < 0) {
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto cleanup;
		}
		error = run_cmd(&res, run, cmd.ptr, "benchmark", dir, o, &ok,
		                err);
		if (error < 0)
			goto cleanup;
		run->wall_ns += res.wall_ns;
		if (!ok)
			break;
		error = mg_buf_put(&all, res.out.ptr, res.out.len);
		if (error < 0) {
			mg_err_set(err, error, "benchmark output too large");
			goto cleanup;
		}
		/* A package without benchmarks writes no profile. */
		if (access(mem.ptr, R_OK) == 0) {
			error = add_profile(run, "heap", pkgs[i], mem.ptr, err);
			if (error == 0)
				error = add_profile(run, "cpu", pkgs[i],
				                    cpu.ptr, err);
			if (error < 0)
				goto cleanup;
		}
	}
	if (ok) {
		error = parse_output(run, &all, "benchmark output", err);
		if (error == MG_EINPUT) {
			error = fail_run(run, 0, err->msg, NULL);
			mg_err_clear(err);
		}
	}

cleanup:
	for (i = 0; i < npkgs; i++)
		free(pkgs[i]);
	free(pkgs);
	mg_rmtree(tmpl);
	mg_buf_release(&tmpdir);
	mg_proc_result_release(&res);
	mg_buf_release(&all);
	mg_buf_release(&cmd);
	mg_buf_release(&mem);
	mg_buf_release(&cpu);
	return error;
}

int mg_measure_build(mg_run *run, const char *dir, const mg_measure_opts *o,
                     mg_err *err)
{
	mg_proc_result res;
	bool ok;
	int error = 0;

	run->status = MG_RUN_OK;
	if (mg_run_set_str(&run->build_cmd, o->build_cmd) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if (o->build_cmd == NULL)
		return 0;
	mg_proc_result_init(&res);
	error = run_cmd(&res, run, o->build_cmd, "build", dir, o, &ok, err);
	mg_proc_result_release(&res);
	return error;
}

int mg_measure(mg_run *run, const char *dir, const mg_measure_opts *o,
               mg_err *err)
{
	mg_proc_result res;
	char *bench = NULL;
	bool ok = true;
	size_t i;
	int error = 0;

	mg_proc_result_init(&res);
	run->status = MG_RUN_OK;
	bench = o->bench_cmd ? mg_strdup(o->bench_cmd)
	                     : mg_measure_default_cmd(o->count);
	if (bench == NULL || mg_run_set_str(&run->bench_cmd, bench) < 0 ||
	    mg_run_set_str(&run->build_cmd, o->build_cmd) < 0) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (o->build_cmd) {
		error = run_cmd(&res, run, o->build_cmd, "build", dir, o, &ok,
		                err);
		if (error < 0 || !ok)
			goto cleanup;
	}
	if (o->measure || o->repeat || o->measure_name || o->massif ||
	    o->pprof_url) {
		error = mg_measure_command(run, dir, o, err);
		if (error < 0 || run->status != MG_RUN_OK)
			goto cleanup;
		/* --profile files the measured command wrote, as below. */
		goto profiles;
	}
	if (o->go_profiles) {
		/* One package at a time: the default's ./... must go. */
		char *cmd = o->bench_cmd
		                    ? NULL
		                    : mg_measure_go_cmd(o->count, NULL, "");

		if (o->bench_cmd == NULL && cmd == NULL) {
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto cleanup;
		}
		error = measure_go_profiles(run, dir, o, cmd ? cmd : bench,
		                            err);
		free(cmd);
		goto cleanup;
	}
	error = run_cmd(&res, run, bench, "benchmark", dir, o, &ok, err);
	run->wall_ns = res.wall_ns;
	if (error < 0 || !ok)
		goto cleanup;
	error = parse_output(run, &res.out, "benchmark output", err);
	if (error == MG_EINPUT) {
		/* Exit 0 without results: never "no regression". */
		error = fail_run(run, 0, err->msg, res.tail);
		mg_err_clear(err);
		goto cleanup;
	}
profiles:
	for (i = 0; error == 0 && i < o->nprofiles; i++) {
		mg_buf path = MG_BUF_INIT(8192);
		const char *p = o->profiles[i].path;

		if (p[0] != '/' && mg_buf_printf(&path, "%s/%s", dir, p) < 0)
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
		if (error == 0)
			error = add_profile(run, o->profiles[i].kind, "",
			                    p[0] == '/' ? p : path.ptr, err);
		mg_buf_release(&path);
	}

cleanup:
	mg_proc_result_release(&res);
	free(bench);
	return error;
}
