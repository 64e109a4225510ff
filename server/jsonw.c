/*
 * jsonw.c - the streaming JSON writer (see jsonw.h).
 */
#include <math.h>

#include "jsonw.h"

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

/* Length of the valid UTF-8 sequence at s (n > 0 bytes), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

int mg_jw_quote(mg_buf *b, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run;
	int error;

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
			size_t len = utf8_seq(p + i, n - i);

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
		w->error = mg_buf_putc(&w->buf, ',');
	w->comma[w->depth] = true;
	if (w->error == 0 && key) {
		klen = strlen(key);
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
		w->error = mg_buf_puts(&w->buf, s);
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

/* Decimal digits of v into the end of buf; returns where they start. */
static char *fmt_int(char buf[24], int64_t v)
{
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	char *p = buf + 24;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return p;
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
	p = fmt_int(buf, v);
	w->error = mg_buf_put(&w->buf, p, (size_t)(buf + 24 - p));
}

void mg_jw_num(mg_jw *w, const char *key, double v)
{
	char tmp[40];
	int prec;

	if (!isfinite(v)) {
		mg_jw_null(w, key);
		return;
	}
	if (!begin_value(w, key))
		return;
	/* Integral values (B/op, allocs/op) skip the round-trip search. */
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		char buf[24], *p = fmt_int(buf, (int64_t)v);

		w->error = mg_buf_put(&w->buf, p, (size_t)(buf + 24 - p));
		return;
	}
	for (prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	w->error = mg_buf_puts(&w->buf, tmp);
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
