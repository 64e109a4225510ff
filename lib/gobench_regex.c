/*
 * gobench_regex.c - the `go test -bench` pattern that re-runs chosen
 * benchmarks (see mg_gobench_bench_regex in gobench.h).
 */
#include "gobench.h"

/* Longest benchmark name taken (Go prints whatever b.Run was given). */
#define MAX_NAME 4096
/* Deepest sub-benchmark nesting in a pattern. */
#define MAX_LEVELS 32

/* RE2's metacharacters, escaped as regexp.QuoteMeta does. */
static int put_escaped(mg_buf *out, const char *s, size_t len)
{
	size_t i;
	int error = 0;

	for (i = 0; i < len && error == 0; i++) {
		if (strchr("\\.+*?()|[]{}^$", s[i]) && s[i] != '\0')
			error = mg_buf_putc(out, '\\');
		if (error == 0)
			error = mg_buf_putc(out, s[i]);
	}
	return error;
}

/* Component `level` of name (0-based), or false if it is not that deep. */
static bool component(const char *name, size_t level, const char **start,
                      size_t *len)
{
	const char *p = name, *slash;

	for (; level > 0; level--) {
		slash = strchr(p, '/');
		if (slash == NULL)
			return false;
		p = slash + 1;
	}
	slash = strchr(p, '/');
	*start = p;
	*len = slash ? (size_t)(slash - p) : strlen(p);
	return true;
}

/* Whether name i's component at level already appeared in names < i. */
static bool seen_before(const char *const *names, size_t i, size_t level,
                        const char *c, size_t len)
{
	const char *o;
	size_t j, olen;

	for (j = 0; j < i; j++)
		if (component(names[j], level, &o, &olen) && olen == len &&
		    memcmp(o, c, len) == 0)
			return true;
	return false;
}

int mg_gobench_bench_regex(mg_buf *out, const char *const *names, size_t n)
{
	const char *c;
	size_t level, i, len, taken;
	bool deeper = true;
	int error = 0;

	if (n == 0)
		return MG_EINPUT;
	for (i = 0; i < n; i++)
		if (strlen(names[i]) > MAX_NAME)
			return MG_ELIMIT;
	for (level = 0; deeper && error == 0; level++) {
		if (level == MAX_LEVELS)
			return MG_ELIMIT;
		if (level > 0)
			error = mg_buf_putc(out, '/');
		if (error == 0)
			error = mg_buf_puts(out, "^(?:");
		deeper = false;
		taken = 0;
		/* Quadratic in n, which is the handful of flagged names. */
		for (i = 0; i < n && error == 0; i++) {
			if (!component(names[i], level, &c, &len))
				continue;
			if (c[len] == '/')
				deeper = true;
			if (seen_before(names, i, level, c, len))
				continue;
			if (taken++ > 0)
				error = mg_buf_putc(out, '|');
			if (error == 0)
				error = put_escaped(out, c, len);
		}
		if (error == 0)
			error = mg_buf_puts(out, ")$");
	}
	return error;
}
