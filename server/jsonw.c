/*
 * jsonw.c - the streaming JSON writer (see jsonw.h).
 */
#include <math.h>

#include "jsonw.h"
#include "numfmt.h"
#include "utf8.h"

void mg_jw_init(mg_jw *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	mg_buf_init(&w->buf, max);
}

void mg_jw_release(mg_jw *w)
{
	mg_buf_release(&w->buf);
	w->error = 0;
	w->depth = 0;
}

/*
 * Append n bytes: a copy when they fit (the common case once a handler
 * reserved room), mg_buf_put otherwise. A history answer makes some
 * hundred thousand small appends; mg_buf_put's checks were a tenth of
 * its cost.
 */
static int put(mg_buf *b, const char *s, size_t n)
{
	if (b->cap > b->len + n && b->max - b->len >= n) {
		memcpy(b->ptr + b->len, s, n);
		b->len += n;
		b->ptr[b->len] = '\0';
		return 0;
	}
	return mg_buf_put(b, s, n);
}

/* Length of the stretch at p[0..n) that needs no escaping. */
static size_t plain_len(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] >= 0x20 && p[i] < 0x80 && p[i] != '"' &&
	            p[i] != '\\';
	     i++)
		;
	return i;
}

int mg_jw_quote(mg_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	char tmp[128];
	int error;

	/* Names, shas, units: short and plain, one append with the quotes. */
	if (n + 2 <= sizeof(tmp) && plain_len(p, n) == n) {
		tmp[0] = '"';
		memcpy(tmp + 1, s, n);
		tmp[n + 1] = '"';
		return put(b, tmp, n + 2);
	}
	error = mg_buf_putc(b, '"');
	while (error == 0 && i < n) {
		/* copy the longest stretch that needs no escaping at once */
		for (run = i; run < n && p[run] >= 0x20 && p[run] < 0x80 &&
		              p[run] != '"' && p[run] != '\\';
		     run++)
			;
		if (run > i) {
			error = mg_buf_put(b, s + i, run - i);
			i = run;
			continue;
		}
		if (p[i] >= 0x80) {
			size_t len = mg_utf8_decode(p + i, n - i, NULL);

			if (len == 0) {
				error = mg_buf_puts(b, "\xef\xbf\xbd");
				i++;
			} else {
				error = mg_buf_put(b, s + i, len);
				i += len;
			}
			continue;
		}
		switch (p[i]) {
		case '"':
			error = mg_buf_puts(b, "\\\"");
			break;
		case '\\':
			error = mg_buf_puts(b, "\\\\");
			break;
		case '\n':
			error = mg_buf_puts(b, "\\n");
			break;
		case '\r':
			error = mg_buf_puts(b, "\\r");
			break;
		case '\t':
			error = mg_buf_puts(b, "\\t");
			break;
		default:
			error = mg_buf_printf(b, "\\u%04x", p[i]);
			break;
		}
		i++;
	}
	if (error == 0)
		error = mg_buf_putc(b, '"');
	return error;
}

/* Comma and member name before a value; false if writing is over. */
static bool begin_value(mg_jw *w, const char *key)
{
	size_t klen;

	if (w->error)
		return false;
	if (w->comma[w->depth])
		w->error = put(&w->buf, ",", 1);
	w->comma[w->depth] = true;
	if (w->error == 0 && key) {
		char tmp[64];

		klen = strlen(key);
		/* member names are literals: quote, colon, one append */
		if (klen + 3 <= sizeof(tmp) &&
		    plain_len((const unsigned char *)key, klen) == klen) {
			tmp[0] = '"';
			memcpy(tmp + 1, key, klen);
			tmp[klen + 1] = '"';
			tmp[klen + 2] = ':';
			w->error = put(&w->buf, tmp, klen + 3);
			return w->error == 0;
		}
		w->error = mg_jw_quote(&w->buf, key, klen);
		if (w->error == 0)
			w->error = mg_buf_putc(&w->buf, ':');
	}
	return w->error == 0;
}

void mg_jw_reserve(mg_jw *w, size_t bytes)
{
	/* a hint only: failing here just means growing later */
	if (w->error == 0 && bytes < w->buf.max)
		(void)mg_buf_grow(&w->buf, bytes);
}

static void put_raw(mg_jw *w, const char *s)
{
	if (w->error == 0)
		w->error = put(&w->buf, s, strlen(s));
}

static void open_level(mg_jw *w, const char *key, const char *bracket)
{
	if (!begin_value(w, key))
		return;
	if (w->depth >= MG_JW_MAX_DEPTH) {
		w->error = MG_ELIMIT;
		return;
	}
	put_raw(w, bracket);
	w->depth++;
	w->comma[w->depth] = false;
}

static void close_level(mg_jw *w, const char *bracket)
{
	if (w->error)
		return;
	if (w->depth == 0) {
		w->error = MG_EINTERNAL;
		return;
	}
	w->depth--;
	put_raw(w, bracket);
}

void mg_jw_obj(mg_jw *w, const char *key)
{
	open_level(w, key, "{");
}

void mg_jw_obj_end(mg_jw *w)
{
	close_level(w, "}");
}

void mg_jw_arr(mg_jw *w, const char *key)
{
	open_level(w, key, "[");
}

void mg_jw_arr_end(mg_jw *w)
{
	close_level(w, "]");
}

void mg_jw_strn(mg_jw *w, const char *key, const char *s, size_t n)
{
	if (begin_value(w, key))
		w->error = mg_jw_quote(&w->buf, s, n);
}

void mg_jw_str(mg_jw *w, const char *key, const char *s)
{
	if (s == NULL)
		mg_jw_null(w, key);
	else
		mg_jw_strn(w, key, s, strlen(s));
}

/*
 * Integers are most of what the server writes (ids, times, counts,
 * B/op): formatted by hand, as printf's generality costs more than the
 * rest of a history answer together.
 */
void mg_jw_int(mg_jw *w, const char *key, int64_t v)
{
	char buf[24], *p;

	if (!begin_value(w, key))
		return;
	p = mg_numfmt_int(buf, v);
	w->error = put(&w->buf, p, (size_t)(buf + 24 - p));
}

void mg_jw_num(mg_jw *w, const char *key, double v)
{
	char tmp[MG_NUMFMT_MAX];

	if (!isfinite(v)) {
		mg_jw_null(w, key);
		return;
	}
	if (!begin_value(w, key))
		return;
	/* Integral values (B/op, allocs/op) as integers, up to 2^53. */
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		char buf[24], *p = mg_numfmt_int(buf, (int64_t)v);

		w->error = put(&w->buf, p, (size_t)(buf + 24 - p));
		return;
	}
	w->error = put(&w->buf, tmp, mg_numfmt_double(tmp, v));
}

void mg_jw_bool(mg_jw *w, const char *key, bool v)
{
	if (begin_value(w, key))
		put_raw(w, v ? "true" : "false");
}

void mg_jw_null(mg_jw *w, const char *key)
{
	if (begin_value(w, key))
		put_raw(w, "null");
}
