/*
 * log.c - the binaries' stderr logger. Each line is formatted into one
 * buffer and written with a single fputs so concurrent threads (the
 * server's request handlers) do not interleave within a line.
 */
#include <stdarg.h>

#include "log.h"

static enum mg_log_level current_level = MG_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void mg_log_set_level(enum mg_log_level level)
{
	current_level = level;
}

enum mg_log_level mg_log_get_level(void)
{
	return current_level;
}

int mg_log_level_parse(const char *name)
{
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

void mg_log(enum mg_log_level level, const char *component, const char *fmt,
            ...)
{
	char line[2048];
	struct tm tm;
	time_t now;
	va_list ap;
	size_t n;

	if (level > current_level)
		return;
	now = time(NULL);
	gmtime_r(&now, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	                      "%s %s: ", level_names[level], component);
	if (n < sizeof(line)) {
		va_start(ap, fmt);
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		va_end(ap);
	}
	n = strlen(line);
	if (n + 1 >= sizeof(line))
		n = sizeof(line) - 2;
	line[n] = '\n';
	line[n + 1] = '\0';
	fputs(line, stderr);
}
