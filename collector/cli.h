/*
 * cli.h - what the collector's subcommands share: the command table,
 * output formats and exit codes. Each subcommand lives in cmd_<verb>.c
 * and is an `int cmd_<verb>(int argc, char **argv)` returning an exit
 * status (MG_EXIT_*); it prints its own errors as "memgate: <msg>".
 */
#ifndef MG_CLI_H
#define MG_CLI_H

#include <signal.h>

#include "err.h"
#include "upload.h"

enum mg_exit {
	MG_EXIT_OK = 0,         /* success, no regression */
	MG_EXIT_REGRESSION = 1, /* a regression was found */
	MG_EXIT_ERROR = 2,      /* usage or runtime error */
};

enum mg_format {
	MG_FORMAT_TEXT,
	MG_FORMAT_MARKDOWN,
	MG_FORMAT_JSON,
	MG_FORMAT_CSV,
};

/* Parse a --format value; -1 if it is not one of `allowed` (a bit set). */
int mg_cli_format_parse(const char *s, unsigned allowed);
#define MG_FMT_BIT(f) (1u << (f))

/* Print "memgate: <err->msg>" on stderr and return MG_EXIT_ERROR. */
int mg_cli_fail(const mg_err *err);
/* Print "memgate: <fmt>" and a hint to --help; return MG_EXIT_ERROR. */
int mg_cli_usage_error(const char *cmd, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/*
 * Defaults taken from the git repository around the current directory:
 * the database `.memgate/memgate.db` at the work tree's root (its folder
 * is created), and the project name from the origin URL ("owner/repo"),
 * else the work tree's directory name. Results are malloc'd.
 */
int mg_cli_default_db(char **out, mg_err *err);
int mg_cli_default_project(char **out, mg_err *err);

/* Parse a whole positive number for option `opt`; MG_EINPUT otherwise. */
int mg_cli_parse_count(long long *out, const char *s, const char *opt,
                       mg_err *err);

/*
 * Ctrl-C and SIGTERM during long work: while caught they only set
 * mg_cli_interrupted, which the command (and mg_proc_run's cancel)
 * checks at safe points, so nothing is left half-stored.
 */
typedef struct mg_cli_signals {
	struct sigaction old_int, old_term;
} mg_cli_signals;

extern volatile sig_atomic_t mg_cli_interrupted;
void mg_cli_signals_catch(mg_cli_signals *saved);
void mg_cli_signals_restore(const mg_cli_signals *saved);

/*
 * --server: the uploader for `server` with `token` (refused when missing,
 * before anything is measured), the spool (*spool, or the default, then
 * owned by *spool_owned), and retries that stop waiting on Ctrl-C.
 */
int mg_cli_open_upload(mg_upload **out, const char *server, const char *token,
                       const char **spool, char **spool_owned, mg_err *err);

/* Subcommands (cmd_<verb>.c). */
int cmd_version(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_runs(int argc, char **argv);
int cmd_parse_bench(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_push(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_ab(int argc, char **argv);

#endif
