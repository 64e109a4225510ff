/*
 * jsonstrict.c - strict JSON syntax check and tree building into an arena
 * (jsonstrict.h). The check is a state machine with an explicit container
 * stack; the builder is a recursive descent that trusts the check (its
 * depth is bounded by it) and so tests nothing twice. The cursor at the
 * end shares the check's string, escape and number rules and the
 * builder's unescaping and number conversion, so that what it takes
 * reads as the tree would have it.
 */
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MG_JSONSTRICT_AVX2 1
#endif

#include "jsonstrict.h"
#include "utf8.h"

_Static_assert(MG_JSONSTRICT_MAX_DEPTH == 32,
               "the depth message says 32 levels");

/* ------------------------------------------------------------------ */
/* Pass 1: syntax */

enum scan_state {
	S_VALUE,        /* a value must follow (top level, after ':' or ',') */
	S_VALUE_OR_END, /* after '[': a value or ']' */
	S_KEY,          /* after ',' in an object: a key */
	S_KEY_OR_END,   /* after '{': a key or '}' */
	S_COLON,        /* after a key */
	S_NEXT,         /* after a member or element: ',' or the closer */
	S_DONE,         /* the top-level value is complete */
};

struct scan {
	const char *data;
	size_t len;
	size_t pos;      /* next byte to look at */
	size_t values;   /* containers and scalars so far (keys not counted) */
	size_t bad_utf8; /* offset of the first invalid UTF-8 byte, or len */
	size_t max_values;   /* the limit on values */
	size_t strings;      /* strings so far, keys included */
	size_t string_bytes; /* their bytes between the quotes, escaped */
	mg_err *err;
};

void mg_jsonstrict_line_col(const char *data, size_t pos, size_t *line,
                            size_t *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < pos; i++) {
		if (data[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int scan_fail(const struct scan *sc, size_t pos, const char *what)
{
	size_t line, col;

	mg_jsonstrict_line_col(sc->data, pos, &line, &col);
	return mg_err_set(sc->err, MG_EINPUT,
	                  "invalid JSON at line %zu, column %zu: %s", line, col,
	                  what);
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Characters that may not directly follow a number or a literal. */
static bool is_word(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || c == '.' || c == '+' || c == '-' ||
	       c == '_';
}

static bool hex4(const char *p, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (is_digit(c))
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return false;
	}
	*out = v;
	return true;
}

#ifndef __SSE2__
/*
 * Whether one of the 8 bytes of w is below 0x20, above 0x7f, '"' or '\\'.
 * (x - 0x01..) & ~x has the high bit set in some byte exactly when x has
 * a zero byte, and (x - 0x20..) & ~x when x has a byte below 0x20
 * (borrows can only add flags to bytes above one that is flagged anyway).
 */
static bool special8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
	        ((b - ones) & ~b) | w) &
	       (ones * 0x80);
}
#endif

#ifdef MG_JSONSTRICT_AVX2
/* plain_end() 32 bytes at a time, while 32 remain; i if none is plain. */
__attribute__((target("avx2"))) static size_t
plain_end_avx2(const char *d, size_t i, size_t len)
{
	const __m256i quote = _mm256_set1_epi8('"');
	const __m256i bslash = _mm256_set1_epi8('\\');
	const __m256i below = _mm256_set1_epi8(0x20);
	__m256i v, hit;
	unsigned mask;

	while (len - i >= 32) {
		v = _mm256_loadu_si256((const __m256i *)(const void *)(d + i));
		hit = _mm256_or_si256(
		        _mm256_or_si256(_mm256_cmpeq_epi8(v, quote),
		                        _mm256_cmpeq_epi8(v, bslash)),
		        _mm256_cmpgt_epi8(below, v));
		mask = (unsigned)_mm256_movemask_epi8(hit);
		if (mask != 0)
			return i + (size_t)__builtin_ctz(mask);
		i += 32;
	}
	return i;
}
#endif

/*
 * The offset of the first byte of d at or after i that is below 0x20,
 * above 0x7f, '"' or '\\' (the bytes of a string that need a look), or
 * len. 16 bytes at a time with SSE2 (every x86-64 has it), 8 otherwise:
 * base64 profiles make most of a large document, and byte by byte they
 * were 15% of a read. A string still going after its first 16 bytes is
 * most likely such a profile, and goes on 32 bytes at a time with AVX2:
 * a document that is nearly all of a 1 MiB profile (bench_runjson -b 1)
 * went through both passes in 0.26-0.36 ms with SSE2, 0.13-0.21 with
 * AVX2 (medians of 300).
 */
static size_t plain_end(const char *d, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i bslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);
	__m128i v, hit;
	int mask;

	while (len - i >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)(d + i));
		/* Signed: bytes above 0x7f are negative, so below 0x20 too. */
		hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
		                                _mm_cmpeq_epi8(v, bslash)),
		                   _mm_cmplt_epi8(v, space));
		mask = _mm_movemask_epi8(hit);
		if (mask != 0)
			return i + (size_t)__builtin_ctz((unsigned)mask);
		i += 16;
#ifdef MG_JSONSTRICT_AVX2
		if (len - i >= 32 && __builtin_cpu_supports("avx2"))
			i = plain_end_avx2(d, i, len);
#endif
	}
#else
	uint64_t w;

	while (len - i >= 8) {
		memcpy(&w, d + i, 8);
		if (special8(w))
			break;
		i += 8;
	}
#endif
	while (i < len && (unsigned char)d[i] >= 0x20 &&
	       (unsigned char)d[i] < 0x80 && d[i] != '"' && d[i] != '\\')
		i++;
	return i;
}

/*
 * The length of the escape at d[i] (a '\\'): 2, 6, or 12 for a surrogate
 * pair; 0 if it is not a valid one, *what saying why.
 */
static size_t escape_len(const char *d, size_t i, size_t len, const char **what)
{
	unsigned u, lo;
	char c;

	*what = "unexpected end of input in a string";
	if (i + 1 >= len)
		return 0;
	c = d[i + 1];
	if (c != 'u') {
		*what = "invalid escape";
		return c != 0 && strchr("\"\\/bfnrt", c) != NULL ? 2 : 0;
	}
	*what = "invalid \\u escape";
	if (len - i < 6 || !hex4(d + i + 2, &u))
		return 0;
	*what = "\\u0000 in a string is not supported";
	if (u == 0)
		return 0;
	*what = "unpaired surrogate";
	if (u >= 0xdc00 && u <= 0xdfff)
		return 0;
	if (u < 0xd800 || u > 0xdbff)
		return 6;
	if (len - i < 12 || d[i + 6] != '\\' || d[i + 7] != 'u' ||
	    !hex4(d + i + 8, &lo) || lo < 0xdc00 || lo > 0xdfff)
		return 0;
	return 12;
}

/* A string starting at the '"' at sc->pos; leaves pos after its end. */
static int scan_string(struct scan *sc)
{
	const char *d = sc->data, *what;
	size_t i = sc->pos + 1, n;

	for (;;) {
		unsigned char c;

		i = plain_end(d, i, sc->len);
		if (i >= sc->len)
			break;
		c = (unsigned char)d[i];
		if (c == '"') {
			sc->strings++;
			sc->string_bytes += i - sc->pos - 1;
			sc->pos = i + 1;
			return 0;
		}
		if (c >= 0x80) {
			n = mg_utf8_decode((const unsigned char *)d + i,
			                   sc->len - i, NULL);
			if (n == 0 && sc->bad_utf8 == sc->len)
				sc->bad_utf8 = i;
			i += n ? n : 1;
			continue;
		}
		if (c < 0x20)
			return scan_fail(sc, i,
			                 "control character in a string "
			                 "(must be escaped)");
		/* c is '\\' */
		n = escape_len(d, i, sc->len, &what);
		if (n == 0)
			return scan_fail(sc, i + 1 >= sc->len ? sc->len : i,
			                 what);
		i += n;
	}
	return scan_fail(sc, sc->len, "unexpected end of input in a string");
}

/*
 * The length of the RFC 8259 number at d[i..len), or 0 when there is none
 * there or a word character follows it ("01", "1x", "-").
 */
static size_t number_len(const char *d, size_t i, size_t len)
{
	size_t start = i;

	if (d[i] == '-')
		i++;
	if (i < len && d[i] == '0') {
		i++;
	} else if (i < len && d[i] >= '1' && d[i] <= '9') {
		while (i < len && is_digit(d[i]))
			i++;
	} else {
		return 0;
	}
	if (i < len && d[i] == '.') {
		i++;
		if (i >= len || !is_digit(d[i]))
			return 0;
		while (i < len && is_digit(d[i]))
			i++;
	}
	if (i < len && (d[i] == 'e' || d[i] == 'E')) {
		i++;
		if (i < len && (d[i] == '+' || d[i] == '-'))
			i++;
		if (i >= len || !is_digit(d[i]))
			return 0;
		while (i < len && is_digit(d[i]))
			i++;
	}
	if (i < len && is_word(d[i]))
		return 0;
	return i - start;
}

/*
 * A number in RFC 8259 form. cJSON copies at most 63 characters of a
 * number before strtod(), so longer ones (valid JSON, but never written
 * by memgate) are refused here rather than misread there.
 */
static int scan_number(struct scan *sc)
{
	size_t n = number_len(sc->data, sc->pos, sc->len);

	if (n == 0)
		return scan_fail(sc, sc->pos, "malformed number");
	if (n > MG_JSONSTRICT_MAX_NUMBER)
		return scan_fail(sc, sc->pos,
		                 "number longer than 63 characters");
	sc->pos += n;
	return 0;
}

/* Whether d[pos..len) starts with word, not followed by a word character. */
static bool literal_at(const char *d, size_t pos, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len - pos >= n && memcmp(d + pos, word, n) == 0 &&
	       (pos + n == len || !is_word(d[pos + n]));
}

static int scan_literal(struct scan *sc)
{
	static const char *const lits[] = {"true", "false", "null"};
	size_t i;

	for (i = 0; i < sizeof(lits) / sizeof(lits[0]); i++) {
		if (literal_at(sc->data, sc->pos, sc->len, lits[i])) {
			sc->pos += strlen(lits[i]);
			return 0;
		}
	}
	return scan_fail(sc, sc->pos, "unexpected character");
}

static int scan_scalar(struct scan *sc, char c)
{
	if (c == '"')
		return scan_string(sc);
	if (c == '-' || is_digit(c))
		return scan_number(sc);
	return scan_literal(sc);
}

/*
 * Check the syntax of the whole input; a container stack of
 * MG_JSONSTRICT_MAX_DEPTH entries replaces recursion.
 */
static int scan(struct scan *sc)
{
	char stack[MG_JSONSTRICT_MAX_DEPTH];
	size_t depth = 0;
	enum scan_state st = S_VALUE;
	int error;
	char c;

	while (sc->pos < sc->len) {
		c = sc->data[sc->pos];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			sc->pos++;
			continue;
		}
		switch (st) {
		case S_VALUE_OR_END:
			if (c == ']')
				goto close;
			/* fall through */
		case S_VALUE:
			if (++sc->values > sc->max_values)
				return mg_err_set(sc->err, MG_ELIMIT,
				                  "document has more than %zu "
				                  "JSON values",
				                  sc->max_values);
			if (c == '{' || c == '[') {
				if (depth == MG_JSONSTRICT_MAX_DEPTH)
					return scan_fail(
					        sc, sc->pos,
					        "nested deeper than 32 "
					        "levels");
				stack[depth++] = c;
				sc->pos++;
				st = c == '{' ? S_KEY_OR_END : S_VALUE_OR_END;
				continue;
			}
			error = scan_scalar(sc, c);
			if (error < 0)
				return error;
			st = depth ? S_NEXT : S_DONE;
			continue;
		case S_KEY_OR_END:
			if (c == '}')
				goto close;
			/* fall through */
		case S_KEY:
			if (c != '"')
				return scan_fail(sc, sc->pos,
				                 "expected a string key");
			error = scan_string(sc);
			if (error < 0)
				return error;
			st = S_COLON;
			continue;
		case S_COLON:
			if (c != ':')
				return scan_fail(sc, sc->pos, "expected ':'");
			sc->pos++;
			st = S_VALUE;
			continue;
		case S_NEXT:
			if (c == ',') {
				sc->pos++;
				st = stack[depth - 1] == '{' ? S_KEY : S_VALUE;
				continue;
			}
			if (c == '}' || c == ']')
				goto close;
			return scan_fail(sc, sc->pos,
			                 stack[depth - 1] == '{'
			                         ? "expected ',' or '}'"
			                         : "expected ',' or ']'");
		case S_DONE:
			return scan_fail(sc, sc->pos,
			                 "unexpected data after the document");
		}
	close:
		if ((c == '}') != (stack[depth - 1] == '{'))
			return scan_fail(sc, sc->pos, "mismatched bracket");
		depth--;
		sc->pos++;
		st = depth ? S_NEXT : S_DONE;
	}
	if (st != S_DONE)
		return scan_fail(sc, sc->len, "unexpected end of input");
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pass 2: the tree */

struct build {
	const char *data;
	size_t len;
	size_t pos; /* next byte to look at */
	mg_jsonarena *arena;
	locale_t c_locale; /* for strtod_l, made on first use, or 0 */
};

static void skip_ws(struct build *b)
{
	while (b->pos < b->len &&
	       (b->data[b->pos] == ' ' || b->data[b->pos] == '\t' ||
	        b->data[b->pos] == '\n' || b->data[b->pos] == '\r'))
		b->pos++;
}

static cJSON *new_node(struct build *b)
{
	cJSON *n = mg_jsonarena_alloc(b->arena, sizeof(*n));

	if (n != NULL)
		memset(n, 0, sizeof(*n));
	return n;
}

static size_t put_utf8(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Unescape the checked string text [p, end) into out; returns its end. */
static char *unescape(char *out, const char *p, const char *end)
{
	unsigned u, lo;

	while (p < end) {
		if (*p != '\\') {
			*out++ = *p++;
			continue;
		}
		switch (p[1]) {
		case 'b':
			*out++ = '\b';
			break;
		case 'f':
			*out++ = '\f';
			break;
		case 'n':
			*out++ = '\n';
			break;
		case 'r':
			*out++ = '\r';
			break;
		case 't':
			*out++ = '\t';
			break;
		case 'u':
			hex4(p + 2, &u);
			if (u >= 0xd800 && u <= 0xdbff) {
				/* pass 1 saw the low surrogate after it */
				hex4(p + 8, &lo);
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				p += 6;
			}
			out += put_utf8(out, u);
			p += 6;
			continue;
		default: /* '"', '\\', '/' */
			*out++ = p[1];
			break;
		}
		p += 2;
	}
	return out;
}

/*
 * The string whose opening quote is at pos, unescaped and NUL-terminated
 * in the arena; pos moves past its closing quote. Most strings have no
 * escape: they are found by plain_end() and copied by memcpy().
 */
static char *build_string(struct build *b)
{
	const char *d = b->data, *s = d + b->pos + 1;
	size_t i = b->pos + 1, end;
	char *out, *o;

	/* Up to the closing quote or the first escape. */
	for (;;) {
		i = plain_end(d, i, b->len);
		if (d[i] == '"' || d[i] == '\\')
			break;
		i++; /* a byte of a UTF-8 sequence: copied as it is */
	}
	end = i;
	if (d[i] == '\\') {
		for (; d[end] != '"'; end++)
			if (d[end] == '\\')
				end++;
	}
	/* Unescaping never lengthens: "\uXXXX" is 6 bytes for 3 at most. */
	out = mg_jsonarena_alloc(b->arena, end - b->pos);
	if (out == NULL)
		return NULL;
	memcpy(out, s, i - b->pos - 1);
	o = out + (i - b->pos - 1);
	if (i < end)
		o = unescape(o, d + i, d + end);
	*o = '\0';
	b->pos = end + 1;
	return out;
}

#if FLT_EVAL_METHOD == 0
/* Powers of ten that a double holds exactly. */
static const double exact_pow10[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
#endif

/*
 * The value of the k-byte RFC 8259 number at p. A plain decimal of at
 * most 15 digits and at most 22 after the point is m / 10^k with m and
 * 10^k exact doubles, so one division rounds it correctly (Clinger's fast
 * path), the very double that strtod() returns; anything else goes to
 * strtod_l() in the C locale, made on first use into *loc (cJSON swaps
 * '.' for the locale's decimal point; the result is the same). 0 or
 * MG_ENOMEM.
 */
static int number_value(const char *p, size_t k, locale_t *loc, double *out)
{
	char buf[MG_JSONSTRICT_MAX_NUMBER + 1];
	bool neg = false, plain = true, frac = false;
	int digits = 0, scale = 0;
	uint64_t m = 0;
	size_t i = 0;
	double d;

	if (p[0] == '-') {
		neg = true;
		i = 1;
	}
	for (; i < k; i++) {
		char c = p[i];

		if (c >= '0' && c <= '9') {
			if (++digits <= 15)
				m = m * 10 + (uint64_t)(c - '0');
			scale += frac;
		} else if (c == '.') {
			frac = true;
		} else {
			plain = false; /* the exponent */
			break;
		}
	}
#if FLT_EVAL_METHOD == 0
	if (plain && digits <= 15 && scale <= 22) {
		d = (double)m / exact_pow10[scale];
		*out = neg ? -d : d;
		return 0;
	}
#endif
	if (*loc == (locale_t)0) {
		*loc = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
		if (*loc == (locale_t)0)
			return MG_ENOMEM;
	}
	memcpy(buf, p, k);
	buf[k] = '\0';
	*out = strtod_l(buf, NULL, *loc);
	return 0;
}

/* The number at pos: pass 1 made sure it is one, of at most 63 bytes. */
static int build_number(struct build *b, cJSON *n)
{
	size_t k = number_len(b->data, b->pos, b->len);
	double d;
	int error;

	error = number_value(b->data + b->pos, k, &b->c_locale, &d);
	if (error < 0)
		return error;
	b->pos += k;
	n->type = cJSON_Number;
	n->valuedouble = d;
	/* valueint as cJSON sets it: saturated, truncated */
	if (d >= INT_MAX)
		n->valueint = INT_MAX;
	else if (d <= (double)INT_MIN)
		n->valueint = INT_MIN;
	else
		n->valueint = (int)d;
	return 0;
}

static int build_value(struct build *b, cJSON *n);

/* The members or elements of the container opening at pos. */
static int build_container(struct build *b, cJSON *n, bool object)
{
	char close = object ? '}' : ']';
	cJSON *child, *last = NULL;
	int error;

	n->type = object ? cJSON_Object : cJSON_Array;
	b->pos++;
	skip_ws(b);
	if (b->data[b->pos] == close) {
		b->pos++;
		return 0;
	}
	for (;;) {
		child = new_node(b);
		if (child == NULL)
			return MG_ENOMEM;
		if (object) {
			child->string = build_string(b);
			if (child->string == NULL)
				return MG_ENOMEM;
			skip_ws(b);
			b->pos++; /* ':' */
			skip_ws(b);
		}
		error = build_value(b, child);
		if (error < 0)
			return error;
		/* cJSON links prev too, and the head's prev is the tail. */
		if (last == NULL) {
			n->child = child;
		} else {
			last->next = child;
			child->prev = last;
		}
		last = child;
		n->child->prev = last;
		skip_ws(b);
		if (b->data[b->pos++] == close)
			return 0;
		skip_ws(b); /* after ',' */
	}
}

static int build_value(struct build *b, cJSON *n)
{
	switch (b->data[b->pos]) {
	case '{':
		return build_container(b, n, true);
	case '[':
		return build_container(b, n, false);
	case '"':
		n->type = cJSON_String;
		n->valuestring = build_string(b);
		return n->valuestring ? 0 : MG_ENOMEM;
	case 't':
		n->type = cJSON_True;
		n->valueint = 1;
		b->pos += 4;
		return 0;
	case 'f':
		n->type = cJSON_False;
		b->pos += 5;
		return 0;
	case 'n':
		n->type = cJSON_NULL;
		b->pos += 4;
		return 0;
	default:
		return build_number(b, n);
	}
}

/* ------------------------------------------------------------------ */

size_t mg_jsonstrict_tree_size(size_t len, size_t values)
{
	return values * (sizeof(cJSON) + 3 * MG_JSONARENA_OVERHEAD) + len;
}

int mg_jsonstrict_parse(cJSON **root, size_t *bad_utf8, mg_jsonarena *arena,
                        const char *data, size_t len, size_t max_values,
                        mg_err *err)
{
	struct scan sc = {data, len, 0, 0, len, max_values, 0, 0, err};
	struct build b = {data, len, 0, arena, (locale_t)0};
	cJSON *top;
	int error;

	error = scan(&sc);
	if (error < 0)
		return error;
	/*
	 * What the tree takes, exactly but for the strings' escapes: one
	 * chunk for it all, so the tree is one malloc.
	 */
	if (mg_jsonarena_reserve(
	            arena, sc.values * (sizeof(cJSON) + MG_JSONARENA_OVERHEAD) +
	                           sc.strings * (1 + MG_JSONARENA_OVERHEAD) +
	                           sc.string_bytes) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	skip_ws(&b);
	top = new_node(&b);
	error = top ? build_value(&b, top) : MG_ENOMEM;
	if (b.c_locale != (locale_t)0)
		freelocale(b.c_locale);
	if (error < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	*root = top;
	*bad_utf8 = sc.bad_utf8;
	return 0;
}

/* ------------------------------------------------------------------ */
/* The cursor */

void mg_jsoncur_init(mg_jsoncur *c, const char *data, size_t len,
                     size_t max_values)
{
	c->data = data;
	c->len = len;
	c->pos = 0;
	c->values = 0;
	c->max_values = max_values;
	c->c_locale = (locale_t)0;
	c->esc = NULL;
	c->esc_cap = 0;
}

void mg_jsoncur_free(mg_jsoncur *c)
{
	if (c->c_locale != (locale_t)0)
		freelocale(c->c_locale);
	c->c_locale = (locale_t)0;
	free(c->esc);
	c->esc = NULL;
	c->esc_cap = 0;
}

char mg_jsoncur_peek(mg_jsoncur *c)
{
	const char *d = c->data;

	while (c->pos < c->len && (d[c->pos] == ' ' || d[c->pos] == '\n' ||
	                           d[c->pos] == '\t' || d[c->pos] == '\r'))
		c->pos++;
	return c->pos < c->len ? d[c->pos] : '\0';
}

/* One more value, within the limit. */
static bool count_value(mg_jsoncur *c)
{
	return ++c->values <= c->max_values;
}

bool mg_jsoncur_enter(mg_jsoncur *c, char open)
{
	if (mg_jsoncur_peek(c) != open || !count_value(c))
		return false;
	c->pos++;
	return true;
}

bool mg_jsoncur_more(mg_jsoncur *c, char close, size_t i, bool *more)
{
	char ch = mg_jsoncur_peek(c);

	if (ch == close) {
		c->pos++;
		*more = false;
		return true;
	}
	*more = true;
	if (i == 0)
		return true;
	/* after ',' a value or key must follow, so "[1,]" fails there */
	if (ch != ',')
		return false;
	c->pos++;
	return true;
}

/*
 * The string whose opening quote is at pos, if it is valid UTF-8 (the
 * tree reader would refuse it otherwise): *s and *n are its bytes,
 * unescaped. Without an escape they are the text's own; with, c->esc's,
 * valid until the next string.
 */
static bool cur_string(mg_jsoncur *c, const char **s, size_t *n)
{
	const char *d = c->data, *what;
	size_t start, i, k;
	bool escaped = false;
	char *end;

	if (c->pos >= c->len || d[c->pos] != '"')
		return false;
	start = c->pos + 1;
	for (i = start;;) {
		i = plain_end(d, i, c->len);
		if (i >= c->len)
			return false;
		if (d[i] == '"')
			break;
		if ((unsigned char)d[i] >= 0x80)
			k = mg_utf8_decode((const unsigned char *)d + i,
			                   c->len - i, NULL);
		else if (d[i] == '\\')
			k = escape_len(d, i, c->len, &what);
		else
			k = 0; /* a control character */
		if (k == 0)
			return false;
		escaped |= d[i] == '\\';
		i += k;
	}
	c->pos = i + 1;
	*s = d + start;
	*n = i - start;
	if (!escaped)
		return true;
	/* unescaping never lengthens */
	if (*n > c->esc_cap) {
		end = realloc(c->esc, *n);
		if (end == NULL)
			return false;
		c->esc = end;
		c->esc_cap = *n;
	}
	end = unescape(c->esc, d + start, d + i);
	*s = c->esc;
	*n = (size_t)(end - c->esc);
	return true;
}

bool mg_jsoncur_key(mg_jsoncur *c, const char **s, size_t *n)
{
	if (mg_jsoncur_peek(c) != '"' || !cur_string(c, s, n) ||
	    mg_jsoncur_peek(c) != ':')
		return false;
	c->pos++;
	return true;
}

bool mg_jsoncur_string(mg_jsoncur *c, const char **s, size_t *n)
{
	return mg_jsoncur_peek(c) == '"' && count_value(c) &&
	       cur_string(c, s, n);
}

bool mg_jsoncur_number(mg_jsoncur *c, double *out)
{
	const char *d = c->data;
	char ch = mg_jsoncur_peek(c);
	size_t i, k, start;
	uint64_t m = 0;

	if ((ch != '-' && !is_digit(ch)) || !count_value(c))
		return false;
	/*
	 * Most numbers of a run document are integers of a few digits: read
	 * at once what number_len() and number_value() would make of them
	 * (the same double: m is exact below 10^15).
	 */
	i = c->pos + (ch == '-');
	start = i;
	if (i < c->len && d[i] == '0')
		i++;
	else
		while (i < c->len && is_digit(d[i]) && i - start < 15)
			m = m * 10 + (uint64_t)(d[i++] - '0');
	if (i > start && i < c->len && !is_word(d[i])) {
		*out = ch == '-' ? -(double)m : (double)m;
		c->pos = i;
		return true;
	}
	k = number_len(c->data, c->pos, c->len);
	if (k == 0 || k > MG_JSONSTRICT_MAX_NUMBER ||
	    number_value(c->data + c->pos, k, &c->c_locale, out) < 0)
		return false;
	c->pos += k;
	return true;
}

bool mg_jsoncur_numbers(mg_jsoncur *c, double *d, size_t n)
{
	bool more = false;
	size_t k;

	if (!mg_jsoncur_enter(c, '['))
		return false;
	for (k = 0; k < n; k++)
		if (!mg_jsoncur_more(c, ']', k, &more) || !more ||
		    !mg_jsoncur_number(c, &d[k]))
			return false;
	return mg_jsoncur_more(c, ']', n, &more) && !more;
}

/* The literal word at pos: counted and taken. */
static bool literal(mg_jsoncur *c, const char *word)
{
	if (!literal_at(c->data, c->pos, c->len, word) || !count_value(c))
		return false;
	c->pos += strlen(word);
	return true;
}

bool mg_jsoncur_bool(mg_jsoncur *c, bool *b)
{
	char ch = mg_jsoncur_peek(c);

	*b = ch == 't';
	return literal(c, ch == 't' ? "true" : "false");
}

bool mg_jsoncur_null(mg_jsoncur *c)
{
	return mg_jsoncur_peek(c) == 'n' && literal(c, "null");
}

/* 1: a byte a number or a separator may hold; '[' and ']' apart */
static const unsigned char skip_allowed[256] = {
        ['0'] = 1, ['1'] = 1, ['2'] = 1,  ['3'] = 1,  ['4'] = 1,
        ['5'] = 1, ['6'] = 1, ['7'] = 1,  ['8'] = 1,  ['9'] = 1,
        ['-'] = 1, ['+'] = 1, ['.'] = 1,  ['e'] = 1,  ['E'] = 1,
        [','] = 1, [' '] = 1, ['\n'] = 1, ['\t'] = 1, ['\r'] = 1,
};

/*
 * The bracket ch moves *depth: true when it closes the array (depth 0,
 * *ok true) or goes past MG_JSONSTRICT_MAX_DEPTH (*ok false).
 */
static bool skip_bracket(char ch, size_t *depth, bool *ok)
{
	if (ch == '[') {
		*ok = ++*depth <= MG_JSONSTRICT_MAX_DEPTH;
		return !*ok;
	}
	*ok = true;
	return --*depth == 0;
}

#ifdef __SSE2__
/*
 * mg_jsoncur_skip_numbers() 16 bytes at a time, from d[*i] (after the
 * opening '['), while 16 remain: returns true when it has decided (*ok:
 * the array closes at *i - 1), false when fewer than 16 bytes are left.
 * The depth after each byte is a prefix sum of +1 for '[' and -1 for ']'
 * (four shifted adds), so a set's brackets cost nothing one by one. The
 * history thread passes over 7 of 8 sets of a pooled run this way; a byte
 * at a time, the loop was 45% of its CPU.
 */
static bool skip_sse2(const char *d, size_t len, size_t *i, size_t *depth,
                      bool *ok)
{
	const __m128i open = _mm_set1_epi8('['), close = _mm_set1_epi8(']');
	const __m128i lo = _mm_set1_epi8('+' - 1), hi = _mm_set1_epi8('9' + 1);
	const __m128i maxd = _mm_set1_epi8(MG_JSONSTRICT_MAX_DEPTH);
	const __m128i case_bit = _mm_set1_epi8(0x20), e = _mm_set1_epi8('e');
	const __m128i sp = _mm_set1_epi8(' '), nl = _mm_set1_epi8('\n');
	const __m128i tab = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r');

	while (len - *i >= 16) {
		__m128i v = _mm_loadu_si128(
		        (const __m128i *)(const void *)(d + *i));
		__m128i o = _mm_cmpeq_epi8(v, open),
		        c = _mm_cmpeq_epi8(v, close);
		/* '+' ',' '-' '.' and digits, '/' apart; signed: 0x80+ < lo */
		__m128i good =
		        _mm_andnot_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('/')),
		                         _mm_and_si128(_mm_cmpgt_epi8(v, lo),
		                                       _mm_cmplt_epi8(v, hi)));
		/* [ is -1 in o and ] in c: +1 and -1 */
		__m128i dep = _mm_sub_epi8(c, o), ee, ws;
		unsigned zero, over, bad, stop;

		/* 'e' and 'E' in one compare (of v | 0x20), whitespace */
		ee = _mm_cmpeq_epi8(_mm_or_si128(v, case_bit), e);
		ws = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, sp),
		                               _mm_cmpeq_epi8(v, nl)),
		                  _mm_or_si128(_mm_cmpeq_epi8(v, tab),
		                               _mm_cmpeq_epi8(v, cr)));
		good = _mm_or_si128(_mm_or_si128(good, ws),
		                    _mm_or_si128(ee, _mm_or_si128(o, c)));
		dep = _mm_add_epi8(dep, _mm_slli_si128(dep, 1));
		dep = _mm_add_epi8(dep, _mm_slli_si128(dep, 2));
		dep = _mm_add_epi8(dep, _mm_slli_si128(dep, 4));
		dep = _mm_add_epi8(dep, _mm_slli_si128(dep, 8));
		/* depth <= MAX_DEPTH here: every byte's fits in a signed char */
		dep = _mm_add_epi8(dep, _mm_set1_epi8((char)*depth));
		zero = (unsigned)_mm_movemask_epi8(
		        _mm_cmpeq_epi8(dep, _mm_setzero_si128()));
		over = (unsigned)_mm_movemask_epi8(_mm_cmpgt_epi8(dep, maxd));
		bad = (unsigned)_mm_movemask_epi8(good) ^ 0xffffu;
		stop = over | bad;
		/* the first byte at depth 0 is the closing ']' */
		if (zero &&
		    (stop == 0 || __builtin_ctz(zero) < __builtin_ctz(stop))) {
			*i += (size_t)__builtin_ctz(zero) + 1;
			*ok = true;
			return true;
		}
		if (stop) {
			*ok = false;
			return true;
		}
		*depth = (size_t)(signed char)(_mm_extract_epi16(dep, 7) >> 8);
		*i += 16;
	}
	return false;
}
#endif

bool mg_jsoncur_skip_numbers(mg_jsoncur *c)
{
	const unsigned char *d = (const unsigned char *)c->data;
	size_t i, depth = 1;
	bool ok = false;

	if (mg_jsoncur_peek(c) != '[')
		return false;
	i = c->pos + 1;
#ifdef __SSE2__
	if (skip_sse2(c->data, c->len, &i, &depth, &ok)) {
		c->pos = i;
		return ok;
	}
#endif
	for (; i < c->len; i++) {
		if (d[i] == '[' || d[i] == ']') {
			if (skip_bracket((char)d[i], &depth, &ok)) {
				c->pos = i + 1;
				return ok;
			}
		} else if (!skip_allowed[d[i]]) {
			return false;
		}
	}
	return false;
}

bool mg_jsoncur_end(mg_jsoncur *c)
{
	return mg_jsoncur_peek(c) == '\0' && c->pos == c->len;
}
