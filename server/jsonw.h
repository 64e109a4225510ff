/*
 * jsonw.h - a small streaming JSON writer for the server's answers. It
 * appends compact UTF-8 JSON to an mg_buf; the first error (ENOMEM, the
 * buffer's limit, nesting too deep) sticks in w->error and later calls do
 * nothing, so a handler writes a whole document and checks once.
 *
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 (a
 * project name given on the command line) become U+FFFD. Doubles are
 * written in the shortest of %.15g..%.17g that reads back to the same
 * value, non-finite ones as null. `key` is the member name inside an
 * object and NULL inside an array or at the top.
 */
#ifndef MG_SRV_JSONW_H
#define MG_SRV_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"

/* Nesting of the documents we write (a run is 5 deep). */
#define MG_JW_MAX_DEPTH 16

typedef struct mg_jw {
	mg_buf buf;                      /* the document */
	int error;                       /* first MG_E* error, 0 if none */
	unsigned depth;                  /* open objects and arrays */
	bool comma[MG_JW_MAX_DEPTH + 1]; /* a value was written at this level */
} mg_jw;

void mg_jw_init(mg_jw *w, size_t max);
void mg_jw_release(mg_jw *w);

/* Make room for about `bytes` more (a hint; never fails). */
void mg_jw_reserve(mg_jw *w, size_t bytes);

void mg_jw_obj(mg_jw *w, const char *key);
void mg_jw_obj_end(mg_jw *w);
void mg_jw_arr(mg_jw *w, const char *key);
void mg_jw_arr_end(mg_jw *w);
void mg_jw_str(mg_jw *w, const char *key, const char *s); /* NULL: null */
void mg_jw_strn(mg_jw *w, const char *key, const char *s, size_t n);
void mg_jw_int(mg_jw *w, const char *key, int64_t v);
void mg_jw_num(mg_jw *w, const char *key, double v);
void mg_jw_bool(mg_jw *w, const char *key, bool v);
void mg_jw_null(mg_jw *w, const char *key);

/* Append s as a JSON string literal (quotes included) to b. */
int mg_jw_quote(mg_buf *b, const char *s, size_t n);

#endif
