/*
 * log.h - one line per event on stderr, for the binaries only (lib/ code
 * returns errors instead of logging):
 *   2026-01-02T03:04:05Z warn store: busy, retrying (attempt 2)
 * The level is set once at start-up from --verbose or MEMGATE_LOG.
 */
#ifndef MG_LOG_H
#define MG_LOG_H

enum mg_log_level {
	MG_LOG_ERROR = 0,
	MG_LOG_WARN = 1,
	MG_LOG_INFO = 2,
	MG_LOG_DEBUG = 3,
};

void mg_log_set_level(enum mg_log_level level);
enum mg_log_level mg_log_get_level(void);
/* Parse "error", "warn", "info" or "debug"; -1 if unknown. */
int mg_log_level_parse(const char *name);
void mg_log(enum mg_log_level level, const char *component, const char *fmt,
            ...) __attribute__((format(printf, 3, 4)));

#endif
