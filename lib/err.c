/*
 * err.c - formatting of mg_err messages. Never allocates: messages longer
 * than MG_ERR_MSG_MAX are truncated with "..." at the end.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static void mark_truncated(char *msg, int n)
{
	if (n >= MG_ERR_MSG_MAX)
		memcpy(msg + MG_ERR_MSG_MAX - 4, "...", 4);
}

int mg_err_set(mg_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (err == NULL)
		return code;
	err->code = code;
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		err->msg[0] = '\0';
	mark_truncated(err->msg, n);
	return code;
}

void mg_err_prefix(mg_err *err, const char *fmt, ...)
{
	char prefix[MG_ERR_MSG_MAX];
	char old[MG_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	memcpy(old, err->msg, sizeof(old));
	n = snprintf(err->msg, sizeof(err->msg), "%s: %s", prefix, old);
	mark_truncated(err->msg, n);
}

void mg_err_clear(mg_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

const char *mg_err_name(int code)
{
	switch (code) {
	case MG_OK:
		return "ok";
	case MG_EINPUT:
		return "input";
	case MG_ENOTFOUND:
		return "not_found";
	case MG_ECONFLICT:
		return "conflict";
	case MG_ELIMIT:
		return "limit";
	case MG_ENOMEM:
		return "no_memory";
	case MG_EIO:
		return "io";
	case MG_EDB:
		return "database";
	case MG_ENET:
		return "network";
	case MG_EUPSTREAM:
		return "upstream";
	case MG_EAUTH:
		return "auth";
	default:
		return "internal";
	}
}
