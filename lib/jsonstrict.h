/*
 * jsonstrict.h - a strict JSON reader that builds a cJSON-shaped tree in
 * an arena (jsonarena.h), for the run documents of runjson.c, and a
 * cursor over the same syntax for readers that want no tree (the end of
 * this file).
 *
 * Two passes over the text:
 *  1. a syntax check of RFC 8259 itself, because cJSON is lenient where
 *     it matters: it skips any byte <= 0x20 as whitespace, keeps raw
 *     control characters in strings, takes "+1" and "01" as numbers,
 *     reads "\uZZZZ" as U+0000 and stops a string at "\u0000" without
 *     telling. It also bounds the nesting depth and the number of values,
 *     counts what the tree will take, and notes the first invalid UTF-8
 *     byte (invalid UTF-8 is not a syntax error here: the caller names
 *     the field that holds it). Its messages give line and column.
 *  2. the tree, built from text now known to be valid, with the nodes
 *     cJSON_ParseWithLengthOpts() would make for it: same types, member
 *     order (duplicate keys kept), strings unescaped to UTF-8, numbers
 *     read as strtod() reads them (the same doubles; valueint saturated
 *     as cJSON does), prev links as cJSON sets them. Nodes and strings
 *     come from an arena sized in pass 1, and strings are copied with
 *     memcpy() rather than byte by byte. On the 1.78 MB run document of
 *     the ingest benchmark (bench_runjson), cJSON's parse and delete took
 *     5.3 ms of CPU with malloc, and 3.5 ms with an arena behind its
 *     allocation hooks; both passes here take 1.25 ms. cJSON's hooks are
 *     process-wide (setting them also turns off realloc() in every
 *     cJSON_Print* of the process), so this reader leaves them alone.
 *
 * The tree may be read with the whole cJSON API that does not allocate or
 * free (cJSON_ArrayForEach, cJSON_Is*, cJSON_GetObjectItem...); never give
 * it to cJSON_Delete() or to a function that adds, replaces or detaches
 * items.
 */
#ifndef MG_JSONSTRICT_H
#define MG_JSONSTRICT_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "err.h"
#include "jsonarena.h"

/* Containers open at once; the message names the number, 32. */
#define MG_JSONSTRICT_MAX_DEPTH 32
/* cJSON copies at most 63 characters of a number before strtod(). */
#define MG_JSONSTRICT_MAX_NUMBER 63

/*
 * Check the `len` bytes of data (no NUL terminator needed) and build the
 * tree of the one JSON value they hold into `arena`, which the caller
 * initialised (its limit bounds the tree; the text's own size and value
 * count already do: see mg_jsonstrict_tree_size()). *root is valid until
 * the arena is released. *bad_utf8 receives the offset of the first byte
 * that is not valid UTF-8 inside a string, or len if there is none.
 *
 * Returns 0; MG_EINPUT "invalid JSON at line L, column C: <what>" for
 * syntax (including nesting deeper than MG_JSONSTRICT_MAX_DEPTH, "\u0000",
 * lone surrogates, numbers longer than MG_JSONSTRICT_MAX_NUMBER);
 * MG_ELIMIT "document has more than N JSON values" past max_values
 * (containers and scalars; keys not counted); MG_ENOMEM when the arena
 * refuses. On error *root is untouched and whatever the arena took is
 * freed only with it.
 */
int mg_jsonstrict_parse(cJSON **root, size_t *bad_utf8, mg_jsonarena *arena,
                        const char *data, size_t len, size_t max_values,
                        mg_err *err);

/*
 * The most the tree of a text of `len` bytes with `values` values can
 * take from an arena: a node per value, a key per value at most, and the
 * strings' bytes (fewer than the text's) with their terminators.
 */
size_t mg_jsonstrict_tree_size(size_t len, size_t values);

/* The 1-based line and column of byte `pos` of data, for messages. */
void mg_jsonstrict_line_col(const char *data, size_t pos, size_t *line,
                            size_t *col);

/*
 * A cursor over a JSON text, for a reader that knows the shape it
 * expects and wants no tree (runjson_pull.c). Strings come back
 * unescaped, pointing into the text when they have no escape; strings in
 * invalid UTF-8 are not taken (mg_jsonstrict_parse() notes them, and its
 * caller refuses them). Each call returns true when the text
 * holds what was asked for there, and moves past it; false means "not
 * that" (or a value past max_values), with the position unspecified: the
 * caller gives up and reads the text with mg_jsonstrict_parse(), which
 * says what is wrong. Whatever the cursor takes, mg_jsonstrict_parse()
 * takes too, as the same values (numbers are converted by the same code).
 * Whitespace is skipped before each token; values are counted as
 * mg_jsonstrict_parse() counts them (keys not).
 */
typedef struct mg_jsoncur {
	const char *data;
	size_t len, pos;
	size_t values, max_values;
	locale_t c_locale; /* for numbers strtod_l() reads, or 0 */
	char *esc;         /* the last string that had escapes, unescaped */
	size_t esc_cap;
} mg_jsoncur;

void mg_jsoncur_init(mg_jsoncur *c, const char *data, size_t len,
                     size_t max_values);
void mg_jsoncur_free(mg_jsoncur *c);
/* The next byte after whitespace, not taken; '\0' at the end. */
char mg_jsoncur_peek(mg_jsoncur *c);
/* Open a container: open is '{' or '['. */
bool mg_jsoncur_enter(mg_jsoncur *c, char open);
/*
 * Before member or element i (0, 1, ...) of the container: takes the ','
 * before it, or the closer (*more false).
 */
bool mg_jsoncur_more(mg_jsoncur *c, char close, size_t i, bool *more);
/*
 * A member's key and its ':', or a string value: *s (not NUL-terminated)
 * is valid until the next string is read, and holds no NUL byte.
 */
bool mg_jsoncur_key(mg_jsoncur *c, const char **s, size_t *n);
bool mg_jsoncur_string(mg_jsoncur *c, const char **s, size_t *n);
bool mg_jsoncur_number(mg_jsoncur *c, double *d);
/* An array of exactly n numbers, into d[0..n). */
bool mg_jsoncur_numbers(mg_jsoncur *c, double *d, size_t n);
bool mg_jsoncur_bool(mg_jsoncur *c, bool *b);
/* Takes null if it is next; false (nothing taken) otherwise. */
bool mg_jsoncur_null(mg_jsoncur *c);
/* Nothing but whitespace is left. */
bool mg_jsoncur_end(mg_jsoncur *c);
/*
 * Pass over an array that holds only numbers and arrays of them, to any
 * depth, without reading the numbers: true if its brackets balance and
 * nothing but digits, '-', '+', '.', 'e', 'E', ',' and whitespace lies
 * between them. Unlike the rest of the cursor, what this takes may not be
 * JSON ("[1..2,,]"): it is for a reader that does not want those values,
 * and leaves their checks to whoever reads them. Its values are not
 * counted.
 */
bool mg_jsoncur_skip_numbers(mg_jsoncur *c);

#endif
