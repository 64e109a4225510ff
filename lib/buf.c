/*
 * buf.c - mg_buf growth policy: double the allocation, but never beyond
 * max + 1 bytes, so a limit hit fails before a large allocation is made.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

char mg_buf__empty[1];

void mg_buf_init(mg_buf *b, size_t max)
{
	b->ptr = mg_buf__empty;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

int mg_array_grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t c;
	void *p;

	if (n < *cap)
		return 0;
	for (c = *cap ? *cap : 16; c <= n; c *= 2)
		if (c > SIZE_MAX / 2 / size)
			return MG_ENOMEM;
	p = realloc(*arr, c * size);
	if (p == NULL)
		return MG_ENOMEM;
	*arr = p;
	*cap = c;
	return 0;
}

int mg_buf_grow(mg_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > b->max || b->len > b->max - extra)
		return MG_ELIMIT;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	if (cap < need)
		cap = need;
	p = realloc(b->cap ? b->ptr : NULL, cap);
	if (p == NULL)
		return MG_ENOMEM;
	if (b->cap == 0)
		p[0] = '\0';
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int mg_buf_put(mg_buf *b, const void *data, size_t len)
{
	int error;

	/*
	 * Room already, within max (cap is 0 while ptr is the shared empty
	 * string; a caller may lower max below cap): the writers of JSON
	 * and sample sets append a few bytes at a time, and growing cost
	 * them more than the copy.
	 */
	if (b->cap > 0 && len < b->cap - b->len && len <= b->max &&
	    b->len <= b->max - len) {
		memmove(b->ptr + b->len, data, len);
		b->len += len;
		b->ptr[b->len] = '\0';
		return 0;
	}
	if (len == 0)
		return 0;
	error = mg_buf_grow(b, len);
	if (error < 0)
		return error;
	memmove(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int mg_buf_puts(mg_buf *b, const char *s)
{
	return mg_buf_put(b, s, strlen(s));
}

int mg_buf_putc(mg_buf *b, char c)
{
	if (b->len + 1 < b->cap && b->len < b->max) {
		b->ptr[b->len++] = c;
		b->ptr[b->len] = '\0';
		return 0;
	}
	return mg_buf_put(b, &c, 1);
}

int mg_buf_vprintf(mg_buf *b, const char *fmt, va_list ap)
{
	va_list copy;
	int n, error;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return MG_EINTERNAL;
	error = mg_buf_grow(b, (size_t)n);
	if (error < 0)
		return error;
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int mg_buf_printf(mg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int error;

	va_start(ap, fmt);
	error = mg_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return error;
}

void mg_buf_reset(mg_buf *b)
{
	b->len = 0;
	if (b->cap)
		b->ptr[0] = '\0';
}

void mg_buf_truncate(mg_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

char *mg_buf_detach(mg_buf *b)
{
	char *p;

	if (b->cap == 0)
		p = calloc(1, 1);
	else
		p = b->ptr;
	mg_buf_init(b, b->max);
	return p;
}

void mg_buf_release(mg_buf *b)
{
	if (b->cap)
		free(b->ptr);
	mg_buf_init(b, b->max);
}

mg_slice mg_slice_from(const char *s)
{
	mg_slice sl = {s, strlen(s)};
	return sl;
}

int mg_slice_eq(mg_slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len == n && memcmp(s.ptr, lit, n) == 0;
}

int mg_slice_has_prefix(mg_slice s, const char *lit)
{
	size_t n = strlen(lit);
	return s.len >= n && memcmp(s.ptr, lit, n) == 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

mg_slice mg_slice_trim(mg_slice s)
{
	while (s.len && is_space(s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && is_space(s.ptr[s.len - 1]))
		s.len--;
	return s;
}

char *mg_slice_dup(mg_slice s)
{
	char *p = malloc(s.len + 1);

	if (p == NULL)
		return NULL;
	if (s.len)
		memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	return p;
}

char *mg_strdup(const char *s)
{
	return s ? mg_slice_dup(mg_slice_from(s)) : NULL;
}
