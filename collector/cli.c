/*
 * cli.c - small helpers shared by the collector's subcommands.
 */
#include <stdarg.h>

#include "cli.h"

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
	fprintf(stderr, "\nTry 'memgate %s --help'.\n", cmd ? cmd : "");
	return MG_EXIT_ERROR;
}
