/*
 * verdict_opts.h - the options every command that ends in a verdict
 * shares (`memgate compare`, `memgate ab`): output format, thresholds,
 * alpha, confidence, the markdown size and the settings file; how they
 * combine with `.memgate.ini`; and printing the verdict.
 */
#ifndef MG_VERDICT_OPTS_H
#define MG_VERDICT_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "compare.h"
#include "err.h"

typedef struct mg_verdict_opts {
	int format; /* enum mg_format: text, markdown or json */
	const char *threshold;
	double alpha, confidence;
	bool has_alpha, has_confidence;
	long long max_bytes; /* markdown limit, 0: the default */
	const char *config;  /* settings file, NULL: .memgate.ini if any */
} mg_verdict_opts;

/* getopt_long entries of the shared options, to copy into a table. */
#define MG_VERDICT_OPTIONS                                                     \
	{"format", required_argument, NULL, 'f'},                              \
	        {"threshold", required_argument, NULL, 't'},                   \
	        {"alpha", required_argument, NULL, 'a'},                       \
	        {"confidence", required_argument, NULL, 'c'},                  \
	        {"max-bytes", required_argument, NULL, 'm'},                   \
	{                                                                      \
		"config", required_argument, NULL, 'C'                         \
	}

/* Their --help lines. */
extern const char mg_verdict_opts_usage[];

void mg_verdict_opts_init(mg_verdict_opts *o);

/*
 * Take option `ch` (one of MG_VERDICT_OPTIONS) with its argument. 1 when
 * ch is not one of them, 0 when taken, MG_EINPUT for a bad value.
 */
int mg_verdict_opts_take(mg_verdict_opts *o, int ch, const char *arg,
                         mg_err *err);

/*
 * The comparison's settings: .memgate.ini at the repository root (or
 * --config), then the command line on top. A missing default file is
 * fine; a missing --config file is not. co->thresholds points at thr.
 */
int mg_verdict_opts_settings(const mg_verdict_opts *o, mg_compare_opts *co,
                             mg_compare_thresholds *thr, mg_err *err);

/*
 * Print the verdict on stdout in the chosen format; with text (benchstat's
 * table) the notes and, unless it is "no regression", the summary go to
 * stderr.
 */
int mg_verdict_opts_render(const mg_compare *c, const mg_verdict_opts *o,
                           mg_err *err);

#endif
