/*
 * config.h - the repository configuration file, `.memgate.ini` at the
 * root of the work tree, read by the collector (and the server) so that
 * a project states its comparison rules once. INI as inih reads it
 * (';' or '#' starts a comment line, ';' also after a value):
 *
 *   [thresholds]          smallest change that counts, per unit
 *   allocs/op = 0         absolute: any change
 *   B/op = 2%             relative to the base median
 *   ns/op = 10%
 *   * = 10%               every other unit
 *
 *   [compare]
 *   alpha = 0.05          significance level (Benjamini-Hochberg adjusted)
 *   confidence = 0.95     level of the intervals shown
 *
 * Other sections are left to other readers (the server's own keys);
 * unknown keys in these two sections are errors, so a typo is not
 * silently ignored. Command-line flags override the file.
 */
#ifndef MG_CONFIG_H
#define MG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "compare.h"
#include "err.h"

#define MG_CONFIG_FILE ".memgate.ini"
/* A configuration file is a few dozen lines; 64 KiB is plenty. */
#define MG_CONFIG_MAX_BYTES 65536
/*
 * Longest line: inih reads lines into a 200-byte buffer that must also
 * hold "\r\n\0", and splits longer lines silently; refuse them instead.
 */
#define MG_CONFIG_MAX_LINE 197

typedef struct mg_config {
	mg_compare_thresholds thresholds; /* [thresholds] */
	double alpha;                     /* [compare] alpha */
	bool has_alpha;
	double confidence; /* [compare] confidence */
	bool has_confidence;
} mg_config;

void mg_config_init(mg_config *cfg);
void mg_config_release(mg_config *cfg);

/*
 * Parse `len` bytes of configuration into cfg (initialised); `name`
 * prefixes messages: "NAME:LINE: ...". MG_EINPUT for malformed input,
 * MG_ELIMIT beyond MG_CONFIG_MAX_BYTES or MG_CONFIG_MAX_LINE, MG_ENOMEM.
 * On error cfg holds what was read before the error.
 */
int mg_config_parse(mg_config *cfg, const char *data, size_t len,
                    const char *name, mg_err *err);

/*
 * Read and parse the file at path. MG_ENOTFOUND when it does not exist
 * (no configuration is not an error for callers), MG_EIO, and the errors
 * of mg_config_parse.
 */
int mg_config_load(mg_config *cfg, const char *path, mg_err *err);

#endif
