/*
 * jsonpos.c - find the line of a value in JSON text (see jsonpos.h). The
 * scanner is lenient: it trusts that cJSON accepted the text, skips a
 * value by counting brackets outside strings, and gives up (returning
 * what it has) at anything unexpected.
 */
#include <stdbool.h>

#include "jsonpos.h"

static size_t skip_ws(const char *d, size_t len, size_t i)
{
	while (i < len &&
	       (d[i] == ' ' || d[i] == '\t' || d[i] == '\n' || d[i] == '\r'))
		i++;
	return i;
}

/* i at the opening quote; returns the offset after the closing one. */
static size_t skip_string(const char *d, size_t len, size_t i)
{
	for (i++; i < len; i++) {
		if (d[i] == '\\')
			i++;
		else if (d[i] == '"')
			return i + 1;
	}
	return len;
}

/* Offset after the value starting at i. */
static size_t skip_value(const char *d, size_t len, size_t i)
{
	size_t depth = 0;

	while (i < len) {
		char c = d[i];

		if (c == '"') {
			i = skip_string(d, len, i);
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return i; /* end of the enclosing container */
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' ||
		                          c == '\n' || c == '\r')) {
			return i;
		}
		i++;
	}
	return len;
}

size_t mg_jsonpos_line_at(const char *data, size_t len, size_t pos)
{
	size_t line = 1, i;

	if (pos > len)
		pos = len;
	for (i = 0; i < pos; i++)
		if (data[i] == '\n')
			line++;
	return line;
}

/* Offset of the value of member key in the object at i, or len. */
static size_t find_member(const char *d, size_t len, size_t i, const char *key)
{
	size_t klen = strlen(key);

	i = skip_ws(d, len, i + 1);
	while (i < len && d[i] == '"') {
		size_t start = i + 1, end = skip_string(d, len, i);
		bool match = end - start - 1 == klen &&
		             memcmp(d + start, key, klen) == 0;

		i = skip_ws(d, len, end);
		if (i >= len || d[i] != ':')
			return len;
		i = skip_ws(d, len, i + 1);
		if (match)
			return i;
		i = skip_ws(d, len, skip_value(d, len, i));
		if (i >= len || d[i] != ',')
			return len;
		i = skip_ws(d, len, i + 1);
	}
	return len;
}

/* Offset of element index of the array at i, or len. */
static size_t find_index(const char *d, size_t len, size_t i, size_t index)
{
	size_t k;

	i = skip_ws(d, len, i + 1);
	if (i < len && d[i] == ']')
		return len;
	for (k = 0; k < index; k++) {
		i = skip_ws(d, len, skip_value(d, len, i));
		if (i >= len || d[i] != ',')
			return len;
		i = skip_ws(d, len, i + 1);
	}
	return i;
}

size_t mg_jsonpos_line(const char *data, size_t len,
                       const mg_jsonpos_step *path, size_t n)
{
	size_t i = skip_ws(data, len, 0), s, next;

	for (s = 0; s < n && i < len; s++) {
		if (path[s].key != NULL && data[i] == '{')
			next = find_member(data, len, i, path[s].key);
		else if (path[s].key == NULL && data[i] == '[')
			next = find_index(data, len, i, path[s].index);
		else
			next = len;
		if (next >= len)
			break;
		i = next;
	}
	return mg_jsonpos_line_at(data, len, i);
}
