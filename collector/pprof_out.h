/*
 * pprof_out.h - output of `memgate top` and `memgate diff`: the text
 * table exactly as `go tool pprof -top` prints it, or JSON with the raw
 * values (and, for a diff, each function's base and head values and
 * relative change).
 */
#ifndef MG_PPROF_OUT_H
#define MG_PPROF_OUT_H

#include <stdbool.h>
#include <stdio.h>

#include "pprof.h"

/*
 * Write the report to f in MG_FORMAT_TEXT or MG_FORMAT_JSON. With
 * `relative` (text diffs), each row ends with the change of flat and cum
 * relative to the base's values. Returns 0 or an MG_E* code.
 */
int mg_pprof_out_write(FILE *f, const mg_pprof_top *t, int format,
                       bool relative, mg_err *err);

/* Parse the options shared by top and diff into *opts and friends. */
typedef struct mg_pprof_cli {
	const char *sample_index; /* --sample-index, NULL: the default */
	mg_pprof_top_opts top;    /* -n */
	mg_pprof_opts parse;      /* --max-size */
	int format;               /* MG_FORMAT_TEXT or MG_FORMAT_JSON */
	bool relative;            /* --relative (diff) */
	int first_arg;            /* index of the first operand in argv */
} mg_pprof_cli;

/*
 * Parse argv for `cmd` ("top" or "diff"); returns -1 after printing a
 * usage error, 1 after printing help, 0 to go on.
 */
int mg_pprof_cli_parse(mg_pprof_cli *o, int argc, char **argv, const char *cmd,
                       const char *usage);

#endif
