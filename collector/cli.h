/*
 * cli.h - what the collector's subcommands share: the command table,
 * output formats and exit codes. Each subcommand lives in cmd_<verb>.c
 * and is an `int cmd_<verb>(int argc, char **argv)` returning an exit
 * status (MG_EXIT_*); it prints its own errors as "memgate: <msg>".
 */
#ifndef MG_CLI_H
#define MG_CLI_H

#include "err.h"

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

/* Subcommands (cmd_<verb>.c). */
int cmd_version(int argc, char **argv);

#endif
