/*
 * cli.c - small helpers shared by the collector's subcommands.
 */
#include <errno.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "gitrepo.h"

static const char *const format_names[] = {"text", "markdown", "json", "csv"};

int mg_cli_format_parse(const char *s, unsigned allowed)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, format_names[i]) == 0 &&
		    (allowed & MG_FMT_BIT(i)))
			return i;
	return -1;
}

int mg_cli_fail(const mg_err *err)
{
	fprintf(stderr, "memgate: %s\n",
	        err->msg[0] ? err->msg : mg_err_name(err->code));
	return MG_EXIT_ERROR;
}

int mg_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("memgate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\nTry 'memgate %s --help'.\n", cmd);
	else
		fputs("\nTry 'memgate --help'.\n", stderr);
	return MG_EXIT_ERROR;
}

int mg_cli_default_db(char **out, mg_err *err)
{
	mg_buf path = MG_BUF_INIT(8192);
	mg_git *g = NULL;
	const char *wd;
	int error;

	error = mg_git_open(&g, ".", err);
	if (error < 0) {
		mg_err_prefix(err, "no --db given and no default");
		return error;
	}
	wd = mg_git_workdir(g);
	if (wd == NULL) {
		error = mg_err_set(err, MG_EINPUT,
		                   "no --db given and the repository is bare");
		goto cleanup;
	}
	error = mg_buf_printf(&path, "%s.memgate", wd);
	if (error < 0)
		goto oom;
	if (mkdir(path.ptr, 0755) != 0 && errno != EEXIST) {
		error = mg_err_set(err, MG_EIO, "cannot create '%s': %s",
		                   path.ptr, strerror(errno));
		goto cleanup;
	}
	error = mg_buf_puts(&path, "/memgate.db");
	if (error < 0)
		goto oom;
	*out = mg_buf_detach(&path);
	goto cleanup;
oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory");
cleanup:
	mg_buf_release(&path);
	mg_git_free(g);
	return error;
}

int mg_cli_default_project(char **out, mg_err *err)
{
	mg_git *g = NULL;
	char *url = NULL;
	int error;

	error = mg_git_open(&g, ".", err);
	if (error < 0) {
		mg_err_prefix(err, "no --project given and no default");
		return error;
	}
	error = mg_git_remote_url(g, &url, err);
	if (error < 0)
		goto cleanup;
	*out = mg_git_project_from_url(url);
	if (*out == NULL && mg_git_workdir(g)) {
		const char *wd = mg_git_workdir(g);
		size_t len = strlen(wd);
		const char *start;

		while (len > 1 && wd[len - 1] == '/')
			len--;
		for (start = wd + len; start > wd && start[-1] != '/'; start--)
			;
		*out = mg_slice_dup(
		        (mg_slice){start, (size_t)(wd + len - start)});
	}
	if (*out == NULL)
		error = mg_err_set(err, MG_EINPUT,
		                   "cannot tell the project name: use "
		                   "--project");
cleanup:
	free(url);
	mg_git_free(g);
	return error;
}

int mg_cli_parse_count(long long *out, const char *s, const char *opt,
                       mg_err *err)
{
	char *end = NULL;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v <= 0)
		return mg_err_set(err, MG_EINPUT,
		                  "option '%s': expected a positive whole "
		                  "number, got '%s'",
		                  opt, s);
	*out = v;
	return 0;
}

volatile sig_atomic_t mg_cli_interrupted;

static void on_signal(int sig)
{
	(void)sig;
	mg_cli_interrupted = 1;
}

void mg_cli_signals_catch(mg_cli_signals *saved)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &saved->old_int);
	sigaction(SIGTERM, &sa, &saved->old_term);
}

void mg_cli_signals_restore(const mg_cli_signals *saved)
{
	sigaction(SIGINT, &saved->old_int, NULL);
	sigaction(SIGTERM, &saved->old_term, NULL);
}

int mg_cli_open_upload(mg_upload **out, const char *server, const char *token,
                       const char **spool, char **spool_owned, mg_err *err)
{
	int error;

	if (token == NULL || token[0] == '\0')
		return mg_err_set(err, MG_EINPUT,
		                  "--server needs a token: set MEMGATE_TOKEN "
		                  "or pass --token");
	if (*spool == NULL) {
		error = mg_spool_default_dir(spool_owned, err);
		if (error < 0)
			return error;
		*spool = *spool_owned;
	}
	error = mg_upload_new(out, server, token, err);
	if (error == 0)
		mg_upload_retry(*out)->cancel = &mg_cli_interrupted;
	return error;
}
