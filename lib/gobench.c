/*
 * gobench.c - the Go benchmark format reader (grammar in gobench.h).
 *
 * One pass over the input, line by line, without a copy of the text
 * lines: results go to an array, everything they point to (names, units,
 * configuration copies, values, warning texts) to an arena of chunks that
 * never move, so nothing is allocated per line except what is kept.
 * Names, units and keys are interned, so a file with -count=10 keeps each
 * name once. Configuration is copied only when it changed since the last
 * result of its stream; results share the copy.
 *
 * go test -json input is split into streams, one per package, each with
 * its own configuration and its own unfinished line; plain text lines are
 * one more stream. Every stream feeds the same line reader.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>

#include "buf.h"
#include "gobench.h"
#include "utf8.h"

/* ---- arena: chunks that never move ---- */

#define ARENA_FIRST 4096     /* small inputs stay small (fuzzing) */
#define ARENA_MAX (1u << 20) /* chunks double up to 1 MiB */

struct chunk {
	struct chunk *next; /* older chunks */
	size_t used;        /* bytes handed out from data */
	size_t cap;         /* bytes in data */
	unsigned char data[];
};

struct arena {
	struct chunk *head; /* chunk being filled */
	size_t next_cap;    /* size of the next chunk */
};

static void *arena_alloc(struct arena *a, size_t size)
{
	struct chunk *c = a->head;
	size_t cap;

	if (size > ((size_t)-1) / 2)
		return NULL;
	/* 8 keeps doubles, int64_t and pointers aligned. */
	size = (size + 7) & ~(size_t)7;
	if (c != NULL && c->cap - c->used >= size) {
		c->used += size;
		return c->data + c->used - size;
	}
	if (a->next_cap == 0)
		a->next_cap = ARENA_FIRST;
	cap = size > a->next_cap ? size : a->next_cap;
	c = malloc(sizeof(*c) + cap);
	if (c == NULL)
		return NULL;
	c->cap = cap;
	c->used = size;
	if (size > a->next_cap && a->head != NULL) {
		/* A big block: keep filling the current chunk afterwards. */
		c->next = a->head->next;
		a->head->next = c;
	} else {
		c->next = a->head;
		a->head = c;
		if (a->next_cap < ARENA_MAX)
			a->next_cap *= 2;
	}
	return c->data;
}

static char *arena_strdup(struct arena *a, const char *s, size_t len)
{
	char *d = arena_alloc(a, len + 1);

	if (d == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

static void arena_release(struct arena *a)
{
	struct chunk *c = a->head, *next;

	while (c != NULL) {
		next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
}

/* ---- the parse result ---- */

struct mg_gobench {
	char *name;                 /* input name for messages */
	mg_gobench_result *results; /* in input order */
	size_t nresults;
	size_t cap_results;
	size_t nsamples;  /* values over all results */
	size_t nonfinite; /* of which NaN or +-Inf */
	mg_gobench_warning *warnings;
	size_t nwarnings;
	size_t cap_warnings;
	size_t dropped;              /* warnings not kept */
	mg_gobench_unit_meta *units; /* Unit line metadata */
	size_t nunits;
	size_t cap_units;
	bool json;          /* saw go test -json events */
	struct arena arena; /* every string and value array */
};

/* ---- interned strings ---- */

struct istr {
	const char *s; /* NUL-terminated copy in the arena; NULL: free slot */
	uint32_t len;  /* length of s */
	uint32_t hash; /* low bits of the hash */
	int32_t aux;   /* owner's data (stream or metadata index), -1 */
};

struct itab {
	struct istr *slot; /* open addressing, linear probing */
	size_t cap;        /* power of two */
	size_t n;          /* used slots, kept under cap / 2 */
};

/*
 * A multiplicative hash over 8-byte words, seeded per parse so that
 * colliding inputs cannot be prepared in advance.
 */
static uint64_t hash_bytes(const char *s, size_t n, uint64_t seed)
{
	uint64_t h = seed ^ ((uint64_t)n * 0x9e3779b97f4a7c15ull);
	uint64_t w;

	while (n >= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		s += 8;
		n -= 8;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return h;
}

static int itab_grow(struct itab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 256, i, j;
	struct istr *slot = calloc(cap, sizeof(*slot));

	if (slot == NULL)
		return MG_ENOMEM;
	for (i = 0; i < t->cap; i++) {
		if (t->slot[i].s == NULL)
			continue;
		j = t->slot[i].hash & (cap - 1);
		while (slot[j].s != NULL)
			j = (j + 1) & (cap - 1);
		slot[j] = t->slot[i];
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

/*
 * Find or add s; *out stays valid until the next itab_get on t. The
 * 32-bit hash in the slot suffices: the table never nears 2^32 slots
 * (its strings come from at most MG_GOBENCH_MAX_INPUT bytes).
 */
static int itab_get(struct itab *t, struct arena *a, uint64_t seed,
                    const char *s, size_t n, struct istr **out)
{
	uint32_t h = (uint32_t)hash_bytes(s, n, seed);
	struct istr *e;
	size_t i;

	if (t->n + 1 > t->cap / 2 && itab_grow(t) < 0)
		return MG_ENOMEM;
	for (i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		e = &t->slot[i];
		if (e->s == NULL)
			break;
		if (e->hash == h && e->len == n && memcmp(e->s, s, n) == 0) {
			*out = e;
			return 0;
		}
	}
	e->s = arena_strdup(a, s, n);
	if (e->s == NULL)
		return MG_ENOMEM;
	e->len = (uint32_t)n;
	e->hash = h;
	e->aux = -1;
	t->n++;
	*out = e;
	return 0;
}

/* ---- Unicode classes, as Go's unicode package has them ---- */

struct urange {
	uint32_t lo;     /* first code point */
	uint32_t hi;     /* last code point */
	uint32_t stride; /* lo, lo+stride, ... hi are in the class */
};

/*
 * Letters of category Ll (unicode.IsLower) and Lu (unicode.IsUpper) from
 * U+0080 up, generated from Go 1.19's unicode package (Unicode 13.0.0);
 * test_gobench checks them against the installed Go.
 */
/* Three entries a line keep the tables short. */
/* clang-format off */
static const struct urange lower_ranges[] = {
	{0x00b5, 0x00b5, 1}, {0x00df, 0x00f6, 1}, {0x00f8, 0x00ff, 1},
	{0x0101, 0x0137, 2}, {0x0138, 0x0148, 2}, {0x0149, 0x0177, 2},
	{0x017a, 0x017e, 2}, {0x017f, 0x0180, 1}, {0x0183, 0x0183, 1},
	{0x0185, 0x0185, 1}, {0x0188, 0x0188, 1}, {0x018c, 0x018d, 1},
	{0x0192, 0x0192, 1}, {0x0195, 0x0195, 1}, {0x0199, 0x019b, 1},
	{0x019e, 0x019e, 1}, {0x01a1, 0x01a5, 2}, {0x01a8, 0x01a8, 1},
	{0x01aa, 0x01ab, 1}, {0x01ad, 0x01ad, 1}, {0x01b0, 0x01b0, 1},
	{0x01b4, 0x01b4, 1}, {0x01b6, 0x01b6, 1}, {0x01b9, 0x01ba, 1},
	{0x01bd, 0x01bf, 1}, {0x01c6, 0x01cc, 3}, {0x01ce, 0x01dc, 2},
	{0x01dd, 0x01ef, 2}, {0x01f0, 0x01f0, 1}, {0x01f3, 0x01f3, 1},
	{0x01f5, 0x01f5, 1}, {0x01f9, 0x0233, 2}, {0x0234, 0x0239, 1},
	{0x023c, 0x023c, 1}, {0x023f, 0x0240, 1}, {0x0242, 0x0242, 1},
	{0x0247, 0x024f, 2}, {0x0250, 0x0293, 1}, {0x0295, 0x02af, 1},
	{0x0371, 0x0371, 1}, {0x0373, 0x037b, 4}, {0x037c, 0x037d, 1},
	{0x0390, 0x0390, 1}, {0x03ac, 0x03ce, 1}, {0x03d0, 0x03d1, 1},
	{0x03d5, 0x03d7, 1}, {0x03d9, 0x03ef, 2}, {0x03f0, 0x03f3, 1},
	{0x03f5, 0x03fb, 3}, {0x03fc, 0x03fc, 1}, {0x0430, 0x045f, 1},
	{0x0461, 0x0481, 2}, {0x048b, 0x04bf, 2}, {0x04c2, 0x04ce, 2},
	{0x04cf, 0x052f, 2}, {0x0560, 0x0588, 1}, {0x10d0, 0x10fa, 1},
	{0x10fd, 0x10ff, 1}, {0x13f8, 0x13fd, 1}, {0x1c80, 0x1c88, 1},
	{0x1d00, 0x1d2b, 1}, {0x1d6b, 0x1d77, 1}, {0x1d79, 0x1d9a, 1},
	{0x1e01, 0x1e95, 2}, {0x1e96, 0x1e9d, 1}, {0x1e9f, 0x1eff, 2},
	{0x1f00, 0x1f07, 1}, {0x1f10, 0x1f15, 1}, {0x1f20, 0x1f27, 1},
	{0x1f30, 0x1f37, 1}, {0x1f40, 0x1f45, 1}, {0x1f50, 0x1f57, 1},
	{0x1f60, 0x1f67, 1}, {0x1f70, 0x1f7d, 1}, {0x1f80, 0x1f87, 1},
	{0x1f90, 0x1f97, 1}, {0x1fa0, 0x1fa7, 1}, {0x1fb0, 0x1fb4, 1},
	{0x1fb6, 0x1fb7, 1}, {0x1fbe, 0x1fbe, 1}, {0x1fc2, 0x1fc4, 1},
	{0x1fc6, 0x1fc7, 1}, {0x1fd0, 0x1fd3, 1}, {0x1fd6, 0x1fd7, 1},
	{0x1fe0, 0x1fe7, 1}, {0x1ff2, 0x1ff4, 1}, {0x1ff6, 0x1ff7, 1},
	{0x210a, 0x210a, 1}, {0x210e, 0x210f, 1}, {0x2113, 0x2113, 1},
	{0x212f, 0x2139, 5}, {0x213c, 0x213d, 1}, {0x2146, 0x2149, 1},
	{0x214e, 0x214e, 1}, {0x2184, 0x2184, 1}, {0x2c30, 0x2c5e, 1},
	{0x2c61, 0x2c61, 1}, {0x2c65, 0x2c66, 1}, {0x2c68, 0x2c6c, 2},
	{0x2c71, 0x2c71, 1}, {0x2c73, 0x2c74, 1}, {0x2c76, 0x2c7b, 1},
	{0x2c81, 0x2ce3, 2}, {0x2ce4, 0x2ce4, 1}, {0x2cec, 0x2cec, 1},
	{0x2cee, 0x2cee, 1}, {0x2cf3, 0x2cf3, 1}, {0x2d00, 0x2d25, 1},
	{0x2d27, 0x2d27, 1}, {0x2d2d, 0x2d2d, 1}, {0xa641, 0xa66d, 2},
	{0xa681, 0xa69b, 2}, {0xa723, 0xa72f, 2}, {0xa730, 0xa731, 1},
	{0xa733, 0xa771, 2}, {0xa772, 0xa778, 1}, {0xa77a, 0xa77a, 1},
	{0xa77c, 0xa77c, 1}, {0xa77f, 0xa787, 2}, {0xa78c, 0xa78c, 1},
	{0xa78e, 0xa78e, 1}, {0xa791, 0xa791, 1}, {0xa793, 0xa795, 1},
	{0xa797, 0xa7a9, 2}, {0xa7af, 0xa7af, 1}, {0xa7b5, 0xa7bf, 2},
	{0xa7c3, 0xa7c3, 1}, {0xa7c8, 0xa7c8, 1}, {0xa7ca, 0xa7ca, 1},
	{0xa7f6, 0xa7f6, 1}, {0xa7fa, 0xa7fa, 1}, {0xab30, 0xab5a, 1},
	{0xab60, 0xab68, 1}, {0xab70, 0xabbf, 1}, {0xfb00, 0xfb06, 1},
	{0xfb13, 0xfb17, 1}, {0xff41, 0xff5a, 1}, {0x10428, 0x1044f, 1},
	{0x104d8, 0x104fb, 1}, {0x10cc0, 0x10cf2, 1}, {0x118c0, 0x118df, 1},
	{0x16e60, 0x16e7f, 1}, {0x1d41a, 0x1d433, 1}, {0x1d44e, 0x1d454, 1},
	{0x1d456, 0x1d467, 1}, {0x1d482, 0x1d49b, 1}, {0x1d4b6, 0x1d4b9, 1},
	{0x1d4bb, 0x1d4bb, 1}, {0x1d4bd, 0x1d4c3, 1}, {0x1d4c5, 0x1d4cf, 1},
	{0x1d4ea, 0x1d503, 1}, {0x1d51e, 0x1d537, 1}, {0x1d552, 0x1d56b, 1},
	{0x1d586, 0x1d59f, 1}, {0x1d5ba, 0x1d5d3, 1}, {0x1d5ee, 0x1d607, 1},
	{0x1d622, 0x1d63b, 1}, {0x1d656, 0x1d66f, 1}, {0x1d68a, 0x1d6a5, 1},
	{0x1d6c2, 0x1d6da, 1}, {0x1d6dc, 0x1d6e1, 1}, {0x1d6fc, 0x1d714, 1},
	{0x1d716, 0x1d71b, 1}, {0x1d736, 0x1d74e, 1}, {0x1d750, 0x1d755, 1},
	{0x1d770, 0x1d788, 1}, {0x1d78a, 0x1d78f, 1}, {0x1d7aa, 0x1d7c2, 1},
	{0x1d7c4, 0x1d7c9, 1}, {0x1d7cb, 0x1d7cb, 1}, {0x1e922, 0x1e943, 1},
}; /* 171 ranges */
static const struct urange upper_ranges[] = {
	{0x00c0, 0x00d6, 1}, {0x00d8, 0x00de, 1}, {0x0100, 0x0136, 2},
	{0x0139, 0x0147, 2}, {0x014a, 0x0178, 2}, {0x0179, 0x017d, 2},
	{0x0181, 0x0182, 1}, {0x0184, 0x0184, 1}, {0x0186, 0x0187, 1},
	{0x0189, 0x018b, 1}, {0x018e, 0x0191, 1}, {0x0193, 0x0194, 1},
	{0x0196, 0x0198, 1}, {0x019c, 0x019d, 1}, {0x019f, 0x01a0, 1},
	{0x01a2, 0x01a6, 2}, {0x01a7, 0x01a7, 1}, {0x01a9, 0x01a9, 1},
	{0x01ac, 0x01ac, 1}, {0x01ae, 0x01af, 1}, {0x01b1, 0x01b3, 1},
	{0x01b5, 0x01b5, 1}, {0x01b7, 0x01b8, 1}, {0x01bc, 0x01bc, 1},
	{0x01c4, 0x01cd, 3}, {0x01cf, 0x01db, 2}, {0x01de, 0x01ee, 2},
	{0x01f1, 0x01f1, 1}, {0x01f4, 0x01f4, 1}, {0x01f6, 0x01f8, 1},
	{0x01fa, 0x0232, 2}, {0x023a, 0x023b, 1}, {0x023d, 0x023e, 1},
	{0x0241, 0x0241, 1}, {0x0243, 0x0246, 1}, {0x0248, 0x024e, 2},
	{0x0370, 0x0370, 1}, {0x0372, 0x0372, 1}, {0x0376, 0x0376, 1},
	{0x037f, 0x037f, 1}, {0x0386, 0x0386, 1}, {0x0388, 0x038a, 1},
	{0x038c, 0x038c, 1}, {0x038e, 0x038f, 1}, {0x0391, 0x03a1, 1},
	{0x03a3, 0x03ab, 1}, {0x03cf, 0x03cf, 1}, {0x03d2, 0x03d4, 1},
	{0x03d8, 0x03ee, 2}, {0x03f4, 0x03f4, 1}, {0x03f7, 0x03f7, 1},
	{0x03f9, 0x03fa, 1}, {0x03fd, 0x042f, 1}, {0x0460, 0x0480, 2},
	{0x048a, 0x04c0, 2}, {0x04c1, 0x04cd, 2}, {0x04d0, 0x052e, 2},
	{0x0531, 0x0556, 1}, {0x10a0, 0x10c5, 1}, {0x10c7, 0x10c7, 1},
	{0x10cd, 0x10cd, 1}, {0x13a0, 0x13f5, 1}, {0x1c90, 0x1cba, 1},
	{0x1cbd, 0x1cbf, 1}, {0x1e00, 0x1e94, 2}, {0x1e9e, 0x1efe, 2},
	{0x1f08, 0x1f0f, 1}, {0x1f18, 0x1f1d, 1}, {0x1f28, 0x1f2f, 1},
	{0x1f38, 0x1f3f, 1}, {0x1f48, 0x1f4d, 1}, {0x1f59, 0x1f5f, 2},
	{0x1f68, 0x1f6f, 1}, {0x1fb8, 0x1fbb, 1}, {0x1fc8, 0x1fcb, 1},
	{0x1fd8, 0x1fdb, 1}, {0x1fe8, 0x1fec, 1}, {0x1ff8, 0x1ffb, 1},
	{0x2102, 0x2102, 1}, {0x2107, 0x2107, 1}, {0x210b, 0x210d, 1},
	{0x2110, 0x2112, 1}, {0x2115, 0x2115, 1}, {0x2119, 0x211d, 1},
	{0x2124, 0x212a, 2}, {0x212b, 0x212d, 1}, {0x2130, 0x2133, 1},
	{0x213e, 0x213f, 1}, {0x2145, 0x2145, 1}, {0x2183, 0x2183, 1},
	{0x2c00, 0x2c2e, 1}, {0x2c60, 0x2c60, 1}, {0x2c62, 0x2c64, 1},
	{0x2c67, 0x2c6d, 2}, {0x2c6e, 0x2c70, 1}, {0x2c72, 0x2c72, 1},
	{0x2c75, 0x2c75, 1}, {0x2c7e, 0x2c80, 1}, {0x2c82, 0x2ce2, 2},
	{0x2ceb, 0x2ceb, 1}, {0x2ced, 0x2ced, 1}, {0x2cf2, 0x2cf2, 1},
	{0xa640, 0xa66c, 2}, {0xa680, 0xa69a, 2}, {0xa722, 0xa72e, 2},
	{0xa732, 0xa76e, 2}, {0xa779, 0xa77d, 2}, {0xa77e, 0xa786, 2},
	{0xa78b, 0xa78b, 1}, {0xa78d, 0xa78d, 1}, {0xa790, 0xa790, 1},
	{0xa792, 0xa792, 1}, {0xa796, 0xa7aa, 2}, {0xa7ab, 0xa7ae, 1},
	{0xa7b0, 0xa7b4, 1}, {0xa7b6, 0xa7be, 2}, {0xa7c2, 0xa7c2, 1},
	{0xa7c4, 0xa7c7, 1}, {0xa7c9, 0xa7c9, 1}, {0xa7f5, 0xa7f5, 1},
	{0xff21, 0xff3a, 1}, {0x10400, 0x10427, 1}, {0x104b0, 0x104d3, 1},
	{0x10c80, 0x10cb2, 1}, {0x118a0, 0x118bf, 1}, {0x16e40, 0x16e5f, 1},
	{0x1d400, 0x1d419, 1}, {0x1d434, 0x1d44d, 1}, {0x1d468, 0x1d481, 1},
	{0x1d49c, 0x1d49c, 1}, {0x1d49e, 0x1d49f, 1}, {0x1d4a2, 0x1d4a2, 1},
	{0x1d4a5, 0x1d4a6, 1}, {0x1d4a9, 0x1d4ac, 1}, {0x1d4ae, 0x1d4b5, 1},
	{0x1d4d0, 0x1d4e9, 1}, {0x1d504, 0x1d505, 1}, {0x1d507, 0x1d50a, 1},
	{0x1d50d, 0x1d514, 1}, {0x1d516, 0x1d51c, 1}, {0x1d538, 0x1d539, 1},
	{0x1d53b, 0x1d53e, 1}, {0x1d540, 0x1d544, 1}, {0x1d546, 0x1d546, 1},
	{0x1d54a, 0x1d550, 1}, {0x1d56c, 0x1d585, 1}, {0x1d5a0, 0x1d5b9, 1},
	{0x1d5d4, 0x1d5ed, 1}, {0x1d608, 0x1d621, 1}, {0x1d63c, 0x1d655, 1},
	{0x1d670, 0x1d689, 1}, {0x1d6a8, 0x1d6c0, 1}, {0x1d6e2, 0x1d6fa, 1},
	{0x1d71c, 0x1d734, 1}, {0x1d756, 0x1d76e, 1}, {0x1d790, 0x1d7a8, 1},
	{0x1d7ca, 0x1d7ca, 1}, {0x1e900, 0x1e921, 1},
}; /* 158 ranges */
/* clang-format on */

static bool in_ranges(const struct urange *t, size_t n, uint32_t r)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t[mid].hi < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && t[lo].lo <= r && (r - t[lo].lo) % t[lo].stride == 0;
}

static bool is_lower(uint32_t r)
{
	if (r < 0x80)
		return r >= 'a' && r <= 'z';
	return in_ranges(lower_ranges,
	                 sizeof(lower_ranges) / sizeof(lower_ranges[0]), r);
}

static bool is_upper(uint32_t r)
{
	if (r < 0x80)
		return r >= 'A' && r <= 'Z';
	return in_ranges(upper_ranges,
	                 sizeof(upper_ranges) / sizeof(upper_ranges[0]), r);
}

/* unicode.IsSpace: ASCII \t \n \v \f \r ' ', and White_Space above. */
static bool is_space(uint32_t r)
{
	if (r < 0x80)
		return r == ' ' || (r >= '\t' && r <= '\r');
	return r == 0x85 || r == 0xa0 || r == 0x1680 ||
	       (r >= 0x2000 && r <= 0x200a) || r == 0x2028 || r == 0x2029 ||
	       r == 0x202f || r == 0x205f || r == 0x3000;
}

#define RUNE_ERROR 0xfffdu

/*
 * Decode the rune at s (n > 0 bytes) as utf8.DecodeRune does: a byte
 * that does not start a valid, shortest, non-surrogate sequence decodes
 * as U+FFFD of size 1.
 */
static uint32_t decode_rune(const unsigned char *s, size_t n, size_t *size)
{
	uint32_t r;
	size_t len = mg_utf8_decode(s, n, &r);

	*size = len ? len : 1;
	return len ? r : RUNE_ERROR;
}

static size_t encode_rune(char *d, uint32_t r)
{
	if (r < 0x80) {
		d[0] = (char)r;
		return 1;
	}
	if (r < 0x800) {
		d[0] = (char)(0xc0 | (r >> 6));
		d[1] = (char)(0x80 | (r & 0x3f));
		return 2;
	}
	if (r < 0x10000) {
		d[0] = (char)(0xe0 | (r >> 12));
		d[1] = (char)(0x80 | ((r >> 6) & 0x3f));
		d[2] = (char)(0x80 | (r & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | (r >> 18));
	d[1] = (char)(0x80 | ((r >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((r >> 6) & 0x3f));
	d[3] = (char)(0x80 | (r & 0x3f));
	return 4;
}

#define ONES 0x0101010101010101ull  /* a byte pattern times ONES: 8 of it */
#define HIGHS 0x8080808080808080ull /* the high bit of each byte */

/*
 * True if s is valid UTF-8 without NUL bytes: what a kept string must be
 * (C strings end at NUL; JSON output must be UTF-8). ASCII goes 8 bytes
 * at a time.
 */
static bool text_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, size;
	uint64_t w;

	while (i + 8 <= n) {
		memcpy(&w, u + i, 8);
		if ((w & HIGHS) || ((w - ONES) & ~w & HIGHS))
			break;
		i += 8;
	}
	while (i < n) {
		if (u[i] == 0)
			return false;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (decode_rune(u + i, n - i, &size) == RUNE_ERROR && size == 1)
			return false;
		i += size;
	}
	return true;
}

/* ---- fields ---- */

/*
 * Word-at-a-time scans (little-endian, where the first byte in memory is
 * the lowest): each returns a mask with the high bit of every byte that
 * stops the scan set. Exact per byte: no carry crosses a byte.
 */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SWAR 1
static uint64_t zero_bytes(uint64_t x)
{
	return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}

/* Bytes <= ' ' or >= 0x80: what ends a field's fast ASCII run. */
static uint64_t field_stops(uint64_t w)
{
	return (w & HIGHS) | (~((w & ~HIGHS) + ONES * 0x5f) & HIGHS);
}

/* Bytes other than ' ' and '\t': what ends a run of blanks. */
static uint64_t blank_stops(uint64_t w)
{
	return ~(zero_bytes(w ^ (ONES * ' ')) | zero_bytes(w ^ (ONES * '\t'))) &
	       HIGHS;
}
#else
#define SWAR 0
#endif

/*
 * benchfmt's splitField: the run of non-space runes at *pos (possibly
 * empty), then *pos moves past the white space after it. Go's output
 * pads columns with runs of blanks, so both loops first skip ASCII 8
 * bytes at a time and decode UTF-8 only for bytes above it.
 */
static mg_slice next_field(const char **pos, const char *end)
{
	const unsigned char *s = (const unsigned char *)*pos;
	const unsigned char *e = (const unsigned char *)end;
	mg_slice f;
	size_t size;
	uint64_t w, m;

	f.ptr = *pos;
	for (;;) {
#if SWAR
		while (e - s >= 8) {
			memcpy(&w, s, 8);
			m = field_stops(w);
			if (m != 0) {
				s += __builtin_ctzll(m) / 8;
				break;
			}
			s += 8;
		}
#endif
		/* '!' (0x21) to DEL (0x7f) are never white space. */
		while (s < e && (unsigned)(*s - 0x21) < 0x5f)
			s++;
		if (s == e)
			break;
		if (*s < 0x80) {
			if (*s == ' ' || (*s >= '\t' && *s <= '\r'))
				break;
			s++; /* another control byte: part of the field */
			continue;
		}
		if (is_space(decode_rune(s, (size_t)(e - s), &size)))
			break;
		s += size;
	}
	f.len = (size_t)((const char *)s - f.ptr);
	for (;;) {
#if SWAR
		while (e - s >= 8) {
			memcpy(&w, s, 8);
			m = blank_stops(w);
			if (m != 0) {
				s += __builtin_ctzll(m) / 8;
				break;
			}
			s += 8;
		}
#endif
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		if (s == e)
			break;
		if (*s < 0x80) {
			if (*s < '\t' || *s > '\r')
				break;
			s++;
			continue;
		}
		if (!is_space(decode_rune(s, (size_t)(e - s), &size)))
			break;
		s += size;
	}
	*pos = (const char *)s;
	return f;
}

/* ---- numbers, as Go's strconv reads them ---- */

enum { NUM_OK = 0, NUM_SYNTAX = 1, NUM_RANGE = 2 };

/* strconv.Atoi on a 64-bit machine: [+-]digits, int64 range. */
static int parse_int64(mg_slice f, int64_t *out)
{
	const char *s = f.ptr;
	size_t i = 0;
	uint64_t v = 0, lim = (uint64_t)INT64_MAX;
	bool neg = false;

	if (f.len > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		lim += neg;
		i = 1;
	}
	if (i == f.len)
		return NUM_SYNTAX;
	for (; i < f.len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9)
			return NUM_SYNTAX;
		/* strconv stops at the first overflow, before later bytes. */
		if (v > (lim - d) / 10)
			return NUM_RANGE;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return NUM_OK;
}

static bool lower_eq(const char *s, size_t n, const char *lit)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] | 0x20) != lit[i])
			return false;
	return true;
}

/*
 * strconv's special values: "nan", or optionally signed "inf" or
 * "infinity", in any case, and nothing after them.
 */
static bool parse_special(const char *s, size_t n, double *out)
{
	double sign = 1;

	if (n == 3 && lower_eq(s, 3, "nan")) {
		*out = NAN;
		return true;
	}
	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		sign = s[0] == '-' ? -1 : 1;
		s++;
		n--;
	}
	if ((n == 3 && lower_eq(s, 3, "inf")) ||
	    (n == 8 && lower_eq(s, 8, "infinity"))) {
		*out = sign * INFINITY;
		return true;
	}
	return false;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(unsigned char c)
{
	return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/*
 * strconv's underscoreOK: each '_' sits between digits, or between the
 * base prefix and a digit.
 */
static bool underscore_ok(const char *s, size_t n)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;

	if (n >= 1 && (s[0] == '-' || s[0] == '+')) {
		s++;
		n--;
	}
	if (n >= 2 && s[0] == '0' &&
	    ((s[1] | 0x20) == 'b' || (s[1] | 0x20) == 'o' ||
	     (s[1] | 0x20) == 'x')) {
		i = 2;
		saw = '0';
		hex = (s[1] | 0x20) == 'x';
	}
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_digit(c) || (hex && is_hex(c))) {
			saw = '0';
			continue;
		}
		if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/*
 * The syntax of strconv.ParseFloat's readFloat over all of s: optional
 * sign, decimal digits with an optional '.' and e exponent, or 0x hex
 * digits with an optional '.' and a mandatory p exponent; '_' allowed as
 * underscore_ok says.
 */
static bool float_syntax_ok(const char *s, size_t n)
{
	size_t i = 0;
	bool hex, sawdot = false, sawdigits = false, underscores = false;

	if (n > 0 && (s[0] == '+' || s[0] == '-'))
		i = 1;
	hex = i + 2 < n && s[i] == '0' && (s[i + 1] | 0x20) == 'x';
	if (hex)
		i += 2;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '_') {
			underscores = true;
		} else if (c == '.') {
			if (sawdot)
				break;
			sawdot = true;
		} else if (is_digit(c) || (hex && is_hex(c))) {
			sawdigits = true;
		} else {
			break;
		}
	}
	if (!sawdigits)
		return false;
	if (i < n && (s[i] | 0x20) == (hex ? 'p' : 'e')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit((unsigned char)s[i]))
			return false;
		for (; i < n && (is_digit((unsigned char)s[i]) || s[i] == '_');
		     i++)
			if (s[i] == '_')
				underscores = true;
	} else if (hex) {
		return false;
	}
	if (i != n)
		return false;
	return !underscores || underscore_ok(s, n);
}

/* Powers of ten that a double holds exactly. */
static const double pow10_exact[] = {
        1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

struct parser;
static int parse_float_slow(struct parser *p, mg_slice f, double *out);

/*
 * strconv.ParseFloat(f, 64). Most values are digits with at most one '.'
 * and few enough digits that m / 10^k with both exact is the correctly
 * rounded result (one IEEE division); the rest goes to strtod after a
 * syntax check, since glibc's strtod is correctly rounded too.
 */
static int parse_float(struct parser *p, mg_slice f, double *out)
{
	const unsigned char *s = (const unsigned char *)f.ptr;
	uint64_t m = 0;
	size_t i, nd = 0, dot = (size_t)-1;

	for (i = 0; i < f.len; i++) {
		unsigned d = s[i] - '0';

		if (d <= 9) {
			if (nd == 19)
				return parse_float_slow(p, f, out);
			m = m * 10 + d;
			nd++;
		} else if (s[i] == '.' && dot == (size_t)-1) {
			dot = i;
		} else {
			return parse_float_slow(p, f, out);
		}
	}
	if (nd == 0)
		return NUM_SYNTAX;
	if (dot == (size_t)-1) {
		*out = (double)m; /* rounds to nearest, as float64(int) */
		return NUM_OK;
	}
	if (m <= (1ull << 53) && f.len - dot - 1 <= 22) {
		*out = (double)m / pow10_exact[f.len - dot - 1];
		return NUM_OK;
	}
	return parse_float_slow(p, f, out);
}

/* ---- the parser ---- */

struct cfg {
	const char *key;   /* interned */
	const char *value; /* arena copy */
	size_t vlen;       /* strlen(value) */
};

/* The configuration as results see it, shared until it changes. */
struct snap {
	const mg_gobench_kv *kv; /* arena array, NULL if n == 0 */
	size_t n;
	const char *pkg; /* value of pkg (or the -json Package), or "" */
};

struct stream {
	const char *package; /* -json Package (interned); NULL: plain text */
	struct cfg *cfg;     /* configuration in force, benchfmt's order */
	size_t ncfg;
	size_t cap_cfg;
	const struct snap *snap; /* copy for results, NULL after a change */
	mg_buf pending;          /* -json: the unfinished line */
	bool overlong;           /* pending passed MG_GOBENCH_MAX_LINE */
	size_t line;             /* input line of the last event */
};

struct parser {
	mg_gobench *gb;
	const char *name; /* gb->name */
	mg_err *err;
	int error;              /* fatal error code, 0 while parsing goes on */
	uint64_t seed;          /* hash seed */
	struct itab strs;       /* names, units, keys, packages (aux: stream) */
	struct itab umeta;      /* "unit key" of Unit metadata (aux: index) */
	struct stream *streams; /* [0] is plain text */
	size_t nstreams;
	size_t cap_streams;
	const char *pkg_key; /* interned "pkg" */
	size_t copies_left;  /* configuration entries we may still copy */
	locale_t c_locale;   /* strtod_l must not depend on setlocale */
	mg_buf scratch;      /* a number for strtod; a decoded name */
	mg_buf jtext;        /* decoded -json Output */
	mg_slice units[MG_GOBENCH_MAX_VALUES];      /* units of the line */
	double vals[MG_GOBENCH_MAX_VALUES];         /* values of the line */
	mg_slice unit_cache[MG_GOBENCH_MAX_VALUES]; /* previous line's */
	mg_slice last_name; /* previous result's interned name */
};

static int fail(struct parser *p, int code, size_t line, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static int fail(struct parser *p, int code, size_t line, const char *fmt, ...)
{
	char msg[MG_ERR_MSG_MAX];
	va_list ap;

	if (p->error != 0)
		return p->error;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->error = mg_err_set(p->err, code, "%s:%zu: %s", p->name, line, msg);
	return p->error;
}

static int fail_nomem(struct parser *p)
{
	if (p->error == 0)
		p->error = mg_err_set(p->err, MG_ENOMEM, "%s: out of memory",
		                      p->name);
	return p->error;
}

static int parse_float_slow(struct parser *p, mg_slice f, double *out)
{
	char *end;
	double v;
	size_t i;

	if (parse_special(f.ptr, f.len, out))
		return NUM_OK;
	if (!float_syntax_ok(f.ptr, f.len))
		return NUM_SYNTAX;
	mg_buf_reset(&p->scratch);
	for (i = 0; i < f.len; i++) {
		if (f.ptr[i] == '_')
			continue;
		if (mg_buf_putc(&p->scratch, f.ptr[i]) < 0) {
			fail_nomem(p);
			return NUM_SYNTAX;
		}
	}
	errno = 0;
	v = strtod_l(p->scratch.ptr, &end, p->c_locale);
	if (end != p->scratch.ptr + p->scratch.len)
		return NUM_SYNTAX;
	/* Overflow is an error in Go; underflow to 0 or a subnormal is not. */
	if (errno == ERANGE && isinf(v))
		return NUM_RANGE;
	*out = v;
	return NUM_OK;
}

/*
 * Quote a token of the input for a message: at most 40 bytes, cut on a
 * UTF-8 boundary, control bytes shown as '?'.
 */
static const char *quote(char buf[48], const char *s, size_t n)
{
	size_t i, lim = n > 40 ? 40 : n;

	while (lim < n && lim > 0 && ((unsigned char)s[lim] & 0xc0) == 0x80)
		lim--;
	for (i = 0; i < lim; i++)
		buf[i] =
		        (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (lim < n) {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
	return buf;
}

static void warn(struct parser *p, size_t line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void warn(struct parser *p, size_t line, const char *fmt, ...)
{
	mg_gobench *gb = p->gb;
	mg_gobench_warning *w;
	char msg[MG_ERR_MSG_MAX];
	va_list ap;
	int n;

	if (gb->nwarnings >= MG_GOBENCH_MAX_WARNINGS) {
		gb->dropped++;
		return;
	}
	if (gb->nwarnings == gb->cap_warnings) {
		size_t cap = gb->cap_warnings ? gb->cap_warnings * 2 : 16;

		w = realloc(gb->warnings, cap * sizeof(*w));
		if (w == NULL) {
			fail_nomem(p);
			return;
		}
		gb->warnings = w;
		gb->cap_warnings = cap;
	}
	n = snprintf(msg, sizeof(msg), "%s:%zu: ", p->name, line);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	w = &gb->warnings[gb->nwarnings];
	w->line = line;
	w->msg = arena_strdup(&gb->arena, msg, strlen(msg));
	if (w->msg == NULL) {
		fail_nomem(p);
		return;
	}
	gb->nwarnings++;
}

/* ---- configuration ---- */

/*
 * benchfmt's parseKeyValueLine: key runes from a lower-case letter up to
 * ':', none of them upper-case or white space; then nothing (delete), or
 * at least one space or tab and the value.
 */
static bool config_split(const char *line, size_t n, mg_slice *key,
                         mg_slice *val)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t i = 0, size;
	uint32_t r;

	for (;;) {
		if (i >= n)
			return false;
		if (s[i] < 0x80) {
			r = s[i];
			size = 1;
		} else {
			r = decode_rune(s + i, n - i, &size);
		}
		if (i == 0 && !is_lower(r))
			return false;
		if (is_space(r) || is_upper(r))
			return false;
		if (i > 0 && r == ':')
			break;
		i += size;
	}
	key->ptr = line;
	key->len = i;
	val->ptr = line + i + 1;
	val->len = n - i - 1;
	if (val->len == 0)
		return true;
	if (val->ptr[0] != ' ' && val->ptr[0] != '\t')
		return false;
	while (val->len > 0 && (val->ptr[0] == ' ' || val->ptr[0] == '\t')) {
		val->ptr++;
		val->len--;
	}
	return true;
}

/* Set (or with an empty value delete) key in st, as benchfmt does. */
static void config_line(struct parser *p, struct stream *st, mg_slice key,
                        mg_slice val, size_t lineno)
{
	struct istr *k;
	struct cfg *c = NULL;
	char q[48];
	size_t i;

	if (itab_get(&p->strs, &p->gb->arena, p->seed, key.ptr, key.len, &k) <
	    0) {
		fail_nomem(p);
		return;
	}
	for (i = 0; i < st->ncfg; i++)
		if (st->cfg[i].key == k->s)
			c = &st->cfg[i];
	if (val.len == 0) {
		/* Delete: the last entry takes its place (benchfmt's order). */
		if (c != NULL) {
			*c = st->cfg[st->ncfg - 1];
			st->ncfg--;
			st->snap = NULL;
		}
		return;
	}
	if (c != NULL && c->vlen == val.len &&
	    memcmp(c->value, val.ptr, val.len) == 0)
		return;
	if (c == NULL) {
		if (st->ncfg == MG_GOBENCH_MAX_CONFIG_KEYS) {
			warn(p, lineno,
			     "more than %d configuration keys, '%s' ignored",
			     MG_GOBENCH_MAX_CONFIG_KEYS,
			     quote(q, key.ptr, key.len));
			return;
		}
		if (st->ncfg == st->cap_cfg) {
			size_t cap = st->cap_cfg ? st->cap_cfg * 2 : 8;
			struct cfg *nc = realloc(st->cfg, cap * sizeof(*nc));

			if (nc == NULL) {
				fail_nomem(p);
				return;
			}
			st->cfg = nc;
			st->cap_cfg = cap;
		}
		c = &st->cfg[st->ncfg++];
		c->key = k->s;
	}
	c->value = arena_strdup(&p->gb->arena, val.ptr, val.len);
	if (c->value == NULL) {
		fail_nomem(p);
		return;
	}
	c->vlen = val.len;
	st->snap = NULL;
}

/* The configuration copy for results of st, made after a change. */
static const struct snap *snapshot(struct parser *p, struct stream *st,
                                   size_t lineno)
{
	struct snap *sn;
	mg_gobench_kv *kv = NULL;
	size_t i, n = st->ncfg;
	bool add_pkg = false;

	if (st->snap != NULL)
		return st->snap;
	sn = arena_alloc(&p->gb->arena, sizeof(*sn));
	if (sn == NULL) {
		fail_nomem(p);
		return NULL;
	}
	sn->pkg = "";
	for (i = 0; i < st->ncfg; i++)
		if (st->cfg[i].key == p->pkg_key)
			sn->pkg = st->cfg[i].value;
	/* -json: the event's Package stands in for a missing pkg line. */
	if (sn->pkg[0] == '\0' && st->package != NULL &&
	    st->package[0] != '\0') {
		add_pkg = true;
		n++;
	}
	if (n > p->copies_left) {
		fail(p, MG_ELIMIT, lineno,
		     "the configuration changes too often (copies exceed the "
		     "limit for this input size)");
		return NULL;
	}
	p->copies_left -= n;
	if (n > 0) {
		kv = arena_alloc(&p->gb->arena, n * sizeof(*kv));
		if (kv == NULL) {
			fail_nomem(p);
			return NULL;
		}
		for (i = 0; i < st->ncfg; i++) {
			kv[i].key = st->cfg[i].key;
			kv[i].value = st->cfg[i].value;
		}
		if (add_pkg) {
			kv[i].key = p->pkg_key;
			kv[i].value = st->package;
			sn->pkg = st->package;
		}
	}
	sn->kv = kv;
	sn->n = n;
	st->snap = sn;
	return sn;
}

/* ---- result lines ---- */

/* Split "Name-8" into the name and GOMAXPROCS, as benchfmt's Name does. */
static size_t split_procs(mg_slice name, int *procs)
{
	size_t nd = 0, i;
	long v = 0;

	*procs = 0;
	while (nd < name.len &&
	       is_digit((unsigned char)name.ptr[name.len - 1 - nd]))
		nd++;
	if (nd == 0 || nd == name.len || name.ptr[name.len - 1 - nd] != '-')
		return name.len;
	for (i = name.len - nd; i < name.len; i++) {
		v = v * 10 + (name.ptr[i] - '0');
		/* Too large for GOMAXPROCS: part of the name. */
		if (v > MG_GOBENCH_MAX_PROCS)
			return name.len;
	}
	*procs = (int)v;
	return name.len - nd - 1;
}

static const char *intern_unit(struct parser *p, size_t i, mg_slice u)
{
	mg_slice *c = &p->unit_cache[i];
	struct istr *e;

	/* Lines of one benchmark repeat their units in the same order. */
	if (c->len == u.len && c->ptr != NULL &&
	    memcmp(c->ptr, u.ptr, u.len) == 0)
		return c->ptr;
	if (itab_get(&p->strs, &p->gb->arena, p->seed, u.ptr, u.len, &e) < 0)
		return NULL;
	c->ptr = e->s;
	c->len = u.len;
	return e->s;
}

static void add_result(struct parser *p, struct stream *st, const char *line,
                       mg_slice name, int64_t iters, size_t nv, size_t lineno)
{
	mg_gobench *gb = p->gb;
	mg_gobench_result *r;
	mg_gobench_value *vals;
	const struct snap *sn;
	struct istr *e;
	size_t i, nlen;
	int procs;

	nlen = 9 + split_procs(name, &procs);
	/* -count N prints a benchmark's lines one after another. */
	if (p->last_name.len != nlen || p->last_name.ptr == NULL ||
	    memcmp(p->last_name.ptr, line, nlen) != 0) {
		if (itab_get(&p->strs, &gb->arena, p->seed, line, nlen, &e) <
		    0) {
			fail_nomem(p);
			return;
		}
		p->last_name.ptr = e->s;
		p->last_name.len = nlen;
	}
	sn = snapshot(p, st, lineno);
	if (sn == NULL)
		return;
	if (nv > MG_GOBENCH_MAX_SAMPLES - gb->nsamples) {
		fail(p, MG_ELIMIT, lineno, "more than %d samples",
		     MG_GOBENCH_MAX_SAMPLES);
		return;
	}
	vals = arena_alloc(&gb->arena, nv * sizeof(*vals));
	if (vals == NULL) {
		fail_nomem(p);
		return;
	}
	for (i = 0; i < nv; i++) {
		vals[i].unit = intern_unit(p, i, p->units[i]);
		if (vals[i].unit == NULL) {
			fail_nomem(p);
			return;
		}
		vals[i].value = p->vals[i];
		if (!isfinite(p->vals[i]))
			gb->nonfinite++;
	}
	if (gb->nresults == gb->cap_results) {
		size_t cap = gb->cap_results ? gb->cap_results * 2 : 64;

		r = realloc(gb->results, cap * sizeof(*r));
		if (r == NULL) {
			fail_nomem(p);
			return;
		}
		gb->results = r;
		gb->cap_results = cap;
	}
	r = &gb->results[gb->nresults++];
	r->name = p->last_name.ptr;
	r->package = sn->pkg;
	r->procs = procs;
	r->iterations = iters;
	r->values = vals;
	r->nvalues = nv;
	r->config = sn->kv;
	r->nconfig = sn->n;
	r->line = lineno;
	gb->nsamples += nv;
}

/* A line that starts with "Benchmark" (benchfmt's parseBenchmarkLine). */
static void bench_line(struct parser *p, struct stream *st, const char *line,
                       size_t n, size_t lineno)
{
	const char *pos = line + 9, *end = line + n;
	mg_slice name, f, u;
	int64_t iters = 0;
	size_t nv = 0;
	char q1[48], q2[48], q3[48];
	int rc;

	name = next_field(&pos, end);
	/* "BenchmarkX" alone: go test -v and -json announce a benchmark. */
	if (pos == end && name.len == n - 9)
		return;
	if (!text_ok(line, n)) {
		warn(p, lineno, "not valid UTF-8 (or a NUL byte), skipped");
		return;
	}
	f = next_field(&pos, end);
	if (f.len == 0) {
		warn(p, lineno, "'%s': missing iteration count",
		     quote(q1, line, 9 + name.len));
		return;
	}
	rc = parse_int64(f, &iters);
	if (rc != NUM_OK) {
		warn(p, lineno, "field 'iterations': %s, got '%s'",
		     rc == NUM_RANGE ? "value out of range"
		                     : "expected an integer",
		     quote(q2, f.ptr, f.len));
		return;
	}
	for (;;) {
		f = next_field(&pos, end);
		if (f.len == 0 && nv > 0)
			break;
		if (f.len == 0) {
			warn(p, lineno, "'%s': missing measurements",
			     quote(q1, line, 9 + name.len));
			return;
		}
		if (nv == MG_GOBENCH_MAX_VALUES) {
			warn(p, lineno, "'%s': more than %d measurements",
			     quote(q1, line, 9 + name.len),
			     MG_GOBENCH_MAX_VALUES);
			return;
		}
		u = next_field(&pos, end);
		rc = parse_float(p, f, &p->vals[nv]);
		if (p->error != 0)
			return;
		if (rc != NUM_OK) {
			if (u.len > 0)
				quote(q3, u.ptr, u.len);
			else
				snprintf(q3, sizeof(q3), "value %zu", nv + 1);
			warn(p, lineno, "field '%s': %s, got '%s'", q3,
			     rc == NUM_RANGE ? "value out of range"
			                     : "expected a number",
			     quote(q2, f.ptr, f.len));
			return;
		}
		if (u.len == 0) {
			warn(p, lineno, "'%s': value '%s' has no unit",
			     quote(q1, line, 9 + name.len),
			     quote(q2, f.ptr, f.len));
			return;
		}
		p->units[nv++] = u;
	}
	add_result(p, st, line, name, iters, nv, lineno);
}

/* ---- Unit metadata lines ---- */

static bool is_unit_line(const char *line, size_t n, const char **rest)
{
	const char *pos = line;
	mg_slice f;

	if (n < 4 || memcmp(line, "Unit", 4) != 0)
		return false;
	f = next_field(&pos, line + n);
	if (f.len != 4)
		return false;
	*rest = pos;
	return true;
}

static void unit_meta(struct parser *p, const char *unit, mg_slice u,
                      mg_slice f, size_t lineno)
{
	mg_gobench *gb = p->gb;
	mg_gobench_unit_meta *m;
	const char *eq = memchr(f.ptr, '=', f.len);
	struct istr *e;
	char q1[48], q2[48], q3[48];
	size_t klen;

	if (eq == NULL || eq == f.ptr) {
		warn(p, lineno, "unit '%s': expected key=value, got '%s'",
		     quote(q1, u.ptr, u.len), quote(q2, f.ptr, f.len));
		return;
	}
	klen = (size_t)(eq - f.ptr);
	/* The pair's identity is "unit key": neither holds a space. */
	mg_buf_reset(&p->scratch);
	if (mg_buf_put(&p->scratch, u.ptr, u.len) < 0 ||
	    mg_buf_putc(&p->scratch, ' ') < 0 ||
	    mg_buf_put(&p->scratch, f.ptr, klen) < 0 ||
	    itab_get(&p->umeta, &gb->arena, p->seed, p->scratch.ptr,
	             p->scratch.len, &e) < 0) {
		fail_nomem(p);
		return;
	}
	if (e->aux >= 0) {
		m = &gb->units[e->aux];
		if (strlen(m->value) != f.len - klen - 1 ||
		    memcmp(m->value, eq + 1, f.len - klen - 1) != 0)
			warn(p, lineno,
			     "unit '%s': metadata '%s' already set to '%s'",
			     quote(q1, u.ptr, u.len), quote(q2, f.ptr, klen),
			     quote(q3, m->value, strlen(m->value)));
		return;
	}
	if (gb->nunits == MG_GOBENCH_MAX_UNIT_META) {
		warn(p, lineno,
		     "more than %d unit metadata entries, '%s' "
		     "ignored",
		     MG_GOBENCH_MAX_UNIT_META, quote(q1, f.ptr, f.len));
		return;
	}
	if (gb->nunits == gb->cap_units) {
		size_t cap = gb->cap_units ? gb->cap_units * 2 : 8;

		m = realloc(gb->units, cap * sizeof(*m));
		if (m == NULL) {
			fail_nomem(p);
			return;
		}
		gb->units = m;
		gb->cap_units = cap;
	}
	e->aux = (int32_t)gb->nunits;
	m = &gb->units[gb->nunits];
	m->unit = unit;
	m->key = arena_strdup(&gb->arena, f.ptr, klen);
	m->value = arena_strdup(&gb->arena, eq + 1, f.len - klen - 1);
	m->line = lineno;
	if (m->key == NULL || m->value == NULL) {
		fail_nomem(p);
		return;
	}
	gb->nunits++;
}

/* "Unit <unit> <key>=<value>..." after the "Unit" field. */
static void unit_line(struct parser *p, const char *line, size_t n,
                      const char *rest, size_t lineno)
{
	const char *end = line + n;
	mg_slice u, f;
	struct istr *e;
	const char *unit;

	if (!text_ok(line, n)) {
		warn(p, lineno, "not valid UTF-8 (or a NUL byte), skipped");
		return;
	}
	u = next_field(&rest, end);
	if (u.len == 0) {
		warn(p, lineno, "Unit line: missing unit");
		return;
	}
	if (itab_get(&p->strs, &p->gb->arena, p->seed, u.ptr, u.len, &e) < 0) {
		fail_nomem(p);
		return;
	}
	unit = e->s;
	for (;;) {
		f = next_field(&rest, end);
		if (f.len == 0 || p->error)
			break;
		unit_meta(p, unit, u, f, lineno);
	}
}

/* ---- lines ---- */

static bool starts_with_benchmark(const char *line, size_t n)
{
	return n >= 9 && memcmp(line, "Benchmark", 9) == 0;
}

/* One complete line of a stream (its '\r' already dropped). */
static void process_line(struct parser *p, struct stream *st, const char *line,
                         size_t n, size_t lineno)
{
	const char *rest;
	mg_slice key, val;
	unsigned char c;

	if (n == 0)
		return;
	if (starts_with_benchmark(line, n)) {
		bench_line(p, st, line, n, lineno);
		return;
	}
	c = (unsigned char)line[0];
	if (c == 'U') {
		if (is_unit_line(line, n, &rest))
			unit_line(p, line, n, rest, lineno);
		return;
	}
	if (!((c >= 'a' && c <= 'z') || c >= 0x80))
		return;
	if (!config_split(line, n, &key, &val))
		return;
	if (!text_ok(line, n)) {
		warn(p, lineno, "not valid UTF-8 (or a NUL byte), skipped");
		return;
	}
	config_line(p, st, key, val, lineno);
}

/*
 * A line over MG_GOBENCH_MAX_LINE (only its start is given): benchfmt
 * stops reading there; we skip it, and say so if it would have counted.
 */
static void overlong_line(struct parser *p, const char *line, size_t n,
                          size_t lineno)
{
	const char *rest;
	mg_slice key, val;

	if (starts_with_benchmark(line, n) || is_unit_line(line, n, &rest) ||
	    config_split(line, n, &key, &val))
		warn(p, lineno, "line longer than %d bytes, skipped",
		     MG_GOBENCH_MAX_LINE);
}

static void complete_line(struct parser *p, struct stream *st, const char *line,
                          size_t n, bool overlong, size_t lineno)
{
	if (n > 0 && line[n - 1] == '\r')
		n--;
	if (overlong || n > MG_GOBENCH_MAX_LINE)
		overlong_line(p, line, n, lineno);
	else
		process_line(p, st, line, n, lineno);
}

/* Append -json output text to st, reading each line it completes. */
static void feed(struct parser *p, struct stream *st, const char *text,
                 size_t len, size_t lineno)
{
	st->line = lineno;
	while (len > 0 && p->error == 0) {
		const char *nl = memchr(text, '\n', len);
		size_t seg = nl ? (size_t)(nl - text) : len;

		if (nl != NULL && st->pending.len == 0 && !st->overlong) {
			complete_line(p, st, text, seg, false, lineno);
		} else {
			size_t room = st->pending.max - st->pending.len;

			if (!st->overlong) {
				if (seg > room)
					st->overlong = true;
				if (mg_buf_put(&st->pending, text,
				               seg > room ? room : seg) < 0) {
					fail_nomem(p);
					return;
				}
			}
			if (nl != NULL) {
				complete_line(p, st, st->pending.ptr,
				              st->pending.len, st->overlong,
				              lineno);
				mg_buf_reset(&st->pending);
				st->overlong = false;
			}
		}
		if (nl == NULL)
			break;
		text += seg + 1;
		len -= seg + 1;
	}
}

/* ---- go test -json events ---- */

struct jstr {
	const char *ptr; /* raw bytes between the quotes */
	size_t len;
	bool plain; /* ASCII without escapes: the bytes are the value */
	bool set;   /* member present (and not null) */
};

#define JSON_BAD ((size_t)-1)

static size_t json_ws(const char *s, size_t n, size_t i)
{
	while (i < n &&
	       (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
		i++;
	return i;
}

/* Scan the string at s[i] == '"'; index after it, or JSON_BAD. */
static size_t json_string(const char *s, size_t n, size_t i, struct jstr *js)
{
	size_t start = ++i, k;
	bool plain = true;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"') {
			if (js != NULL) {
				js->ptr = s + start;
				js->len = i - start;
				js->plain = plain;
				js->set = true;
			}
			return i + 1;
		}
		if (c < 0x20)
			return JSON_BAD;
		if (c >= 0x80)
			plain = false;
		if (c != '\\') {
			i++;
			continue;
		}
		plain = false;
		if (i + 1 >= n)
			return JSON_BAD;
		switch (s[i + 1]) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			i += 2;
			break;
		case 'u':
			if (i + 6 > n)
				return JSON_BAD;
			for (k = 2; k < 6; k++)
				if (!is_hex((unsigned char)s[i + k]))
					return JSON_BAD;
			i += 6;
			break;
		default:
			return JSON_BAD;
		}
	}
	return JSON_BAD;
}

static size_t json_lit(const char *s, size_t n, size_t i, const char *lit)
{
	size_t l = strlen(lit);

	if (n - i < l || memcmp(s + i, lit, l) != 0)
		return JSON_BAD;
	return i + l;
}

static size_t json_number(const char *s, size_t n, size_t i)
{
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0') {
		i++;
	} else if (i < n && s[i] >= '1' && s[i] <= '9') {
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	} else {
		return JSON_BAD;
	}
	if (i < n && s[i] == '.') {
		i++;
		if (i >= n || !is_digit((unsigned char)s[i]))
			return JSON_BAD;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || !is_digit((unsigned char)s[i]))
			return JSON_BAD;
		while (i < n && is_digit((unsigned char)s[i]))
			i++;
	}
	return i;
}

static size_t json_value(const char *s, size_t n, size_t i, int depth);

/* An object or array at s[i]; its members' values are checked, not kept. */
static size_t json_compound(const char *s, size_t n, size_t i, int depth)
{
	char close = s[i] == '{' ? '}' : ']';

	if (depth >= MG_GOBENCH_JSON_MAX_DEPTH)
		return JSON_BAD;
	i = json_ws(s, n, i + 1);
	if (i < n && s[i] == close)
		return i + 1;
	for (;;) {
		if (close == '}') {
			if (i >= n || s[i] != '"')
				return JSON_BAD;
			i = json_string(s, n, i, NULL);
			if (i == JSON_BAD)
				return JSON_BAD;
			i = json_ws(s, n, i);
			if (i >= n || s[i] != ':')
				return JSON_BAD;
			i = json_ws(s, n, i + 1);
		}
		i = json_value(s, n, i, depth + 1);
		if (i == JSON_BAD)
			return JSON_BAD;
		i = json_ws(s, n, i);
		if (i < n && s[i] == ',') {
			i = json_ws(s, n, i + 1);
			continue;
		}
		if (i < n && s[i] == close)
			return i + 1;
		return JSON_BAD;
	}
}

static size_t json_value(const char *s, size_t n, size_t i, int depth)
{
	if (i >= n)
		return JSON_BAD;
	switch (s[i]) {
	case '"':
		return json_string(s, n, i, NULL);
	case '{':
	case '[':
		return json_compound(s, n, i, depth);
	case 't':
		return json_lit(s, n, i, "true");
	case 'f':
		return json_lit(s, n, i, "false");
	case 'n':
		return json_lit(s, n, i, "null");
	default:
		return json_number(s, n, i);
	}
}

static bool key_is(const struct jstr *k, const char *name)
{
	/* encoding/json matches member names without regard to case. */
	return k->plain && k->len == strlen(name) &&
	       strncasecmp(k->ptr, name, k->len) == 0;
}

/*
 * Read a test2json event: a JSON object, alone on its line, with a string
 * "Action". Action, Package and Output are returned undecoded; a member
 * that is null leaves the earlier value, one of another type makes the
 * line no event (as json.Unmarshal into strings would fail).
 */
static bool json_event(const char *s, size_t n, struct jstr *action,
                       struct jstr *package, struct jstr *output)
{
	size_t i = json_ws(s, n, 0);

	if (i >= n || s[i] != '{')
		return false;
	i = json_ws(s, n, i + 1);
	if (i < n && s[i] == '}') {
		i++;
		goto end;
	}
	for (;;) {
		struct jstr key = {NULL, 0, false, false}, *dst = NULL;

		if (i >= n || s[i] != '"')
			return false;
		i = json_string(s, n, i, &key);
		if (i == JSON_BAD)
			return false;
		i = json_ws(s, n, i);
		if (i >= n || s[i] != ':')
			return false;
		i = json_ws(s, n, i + 1);
		if (key_is(&key, "Action"))
			dst = action;
		else if (key_is(&key, "Package"))
			dst = package;
		else if (key_is(&key, "Output"))
			dst = output;
		if (dst != NULL && i < n && s[i] == '"')
			i = json_string(s, n, i, dst);
		else if (dst != NULL && i < n && s[i] == 'n')
			i = json_lit(s, n, i, "null");
		else if (dst != NULL)
			return false;
		else
			i = json_value(s, n, i, 1);
		if (i == JSON_BAD)
			return false;
		i = json_ws(s, n, i);
		if (i < n && s[i] == ',') {
			i = json_ws(s, n, i + 1);
			continue;
		}
		if (i < n && s[i] == '}') {
			i++;
			break;
		}
		return false;
	}
end:
	return json_ws(s, n, i) == n && action->set;
}

static uint32_t hex4(const char *s)
{
	uint32_t v = 0;
	int k;

	for (k = 0; k < 4; k++) {
		unsigned char c = (unsigned char)s[k];

		v = v * 16 + (is_digit(c) ? (uint32_t)(c - '0')
		                          : (uint32_t)((c | 0x20) - 'a' + 10));
	}
	return v;
}

/*
 * Decode a scanned JSON string as encoding/json does: escapes resolved,
 * unpaired surrogates and invalid UTF-8 bytes each become U+FFFD.
 */
static int json_decode(mg_buf *dst, const struct jstr *js)
{
	const char *s = js->ptr, *end = js->ptr + js->len;
	char u[8];
	size_t size;
	uint32_t r;
	int error = 0;

	if (js->plain)
		return mg_buf_put(dst, s, js->len);
	while (s < end && error == 0) {
		const char *run = s;

		while (s < end && *s != '\\' && (unsigned char)*s < 0x80)
			s++;
		if (s > run) {
			error = mg_buf_put(dst, run, (size_t)(s - run));
			continue;
		}
		if ((unsigned char)*s >= 0x80) {
			r = decode_rune((const unsigned char *)s,
			                (size_t)(end - s), &size);
			if (r == RUNE_ERROR && size == 1)
				error = mg_buf_put(dst, "\xef\xbf\xbd", 3);
			else
				error = mg_buf_put(dst, s, size);
			s += size;
			continue;
		}
		/* json_string checked the escape. */
		switch (s[1]) {
		case 'b':
			r = '\b';
			break;
		case 'f':
			r = '\f';
			break;
		case 'n':
			r = '\n';
			break;
		case 'r':
			r = '\r';
			break;
		case 't':
			r = '\t';
			break;
		case 'u':
			r = hex4(s + 2);
			if (r >= 0xd800 && r <= 0xdfff) {
				uint32_t lo = 0;

				if (r < 0xdc00 && end - s >= 12 &&
				    s[6] == '\\' && s[7] == 'u')
					lo = hex4(s + 8);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					r = 0x10000 + ((r - 0xd800) << 10) +
					    (lo - 0xdc00);
					s += 6;
				} else {
					r = RUNE_ERROR;
				}
			}
			s += 4;
			break;
		default: /* '"', '\\', '/' */
			r = (unsigned char)s[1];
			break;
		}
		s += 2;
		error = mg_buf_put(dst, u, encode_rune(u, r));
	}
	return error;
}

static int find_stream(struct parser *p, const char *pkg, size_t len,
                       size_t lineno, struct stream **out)
{
	struct stream *st;
	struct istr *e;

	if (itab_get(&p->strs, &p->gb->arena, p->seed, pkg, len, &e) < 0)
		return fail_nomem(p);
	if (e->aux >= 0) {
		*out = &p->streams[e->aux];
		return 0;
	}
	if (p->nstreams == MG_GOBENCH_MAX_STREAMS + 1)
		return fail(p, MG_ELIMIT, lineno,
		            "more than %d packages in -json output",
		            MG_GOBENCH_MAX_STREAMS);
	if (p->nstreams == p->cap_streams) {
		size_t cap = p->cap_streams * 2;

		st = realloc(p->streams, cap * sizeof(*st));
		if (st == NULL)
			return fail_nomem(p);
		p->streams = st;
		p->cap_streams = cap;
	}
	e->aux = (int32_t)p->nstreams;
	st = &p->streams[p->nstreams++];
	memset(st, 0, sizeof(*st));
	st->package = e->s;
	/* One byte more than a line may have, for its '\r'. */
	mg_buf_init(&st->pending, MG_GOBENCH_MAX_LINE + 1);
	*out = st;
	return 0;
}

/* A line that may be a test2json event; false if it is not one. */
static bool json_line(struct parser *p, const char *s, size_t n, size_t lineno)
{
	struct jstr action = {NULL, 0, false, false}, pkg = action;
	struct jstr output = action;
	struct stream *st = NULL;

	if (!json_event(s, n, &action, &pkg, &output))
		return false;
	p->gb->json = true;
	mg_buf_reset(&p->scratch);
	if (json_decode(&p->scratch, &action) < 0) {
		fail_nomem(p);
		return true;
	}
	if (!output.set || strcmp(p->scratch.ptr, "output") != 0)
		return true;
	mg_buf_reset(&p->scratch);
	mg_buf_reset(&p->jtext);
	if ((pkg.set && json_decode(&p->scratch, &pkg) < 0) ||
	    json_decode(&p->jtext, &output) < 0) {
		fail_nomem(p);
		return true;
	}
	if (find_stream(p, p->scratch.ptr, p->scratch.len, lineno, &st) < 0)
		return true;
	feed(p, st, p->jtext.ptr, p->jtext.len, lineno);
	return true;
}

/* ---- parse ---- */

static int parser_init(struct parser *p, mg_gobench *gb, size_t len,
                       mg_err *err)
{
	struct istr *e;
	int local;

	memset(p, 0, sizeof(*p));
	p->gb = gb;
	p->name = gb->name;
	p->err = err;
	/* Stack addresses vary per process (ASLR): a cheap seed. */
	p->seed = (uint64_t)(uintptr_t)&local * 0x9e3779b97f4a7c15ull ^
	          (uint64_t)len;
	p->copies_left = MG_GOBENCH_CONFIG_COPIES_BASE + len / 4;
	mg_buf_init(&p->scratch, MG_GOBENCH_MAX_INPUT);
	mg_buf_init(&p->jtext, MG_GOBENCH_MAX_INPUT);
	p->c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
	p->streams = calloc(4, sizeof(*p->streams));
	if (p->c_locale == (locale_t)0 || p->streams == NULL)
		return fail_nomem(p);
	p->cap_streams = 4;
	p->nstreams = 1; /* plain text: no package, no pending line */
	if (itab_get(&p->strs, &gb->arena, p->seed, "pkg", 3, &e) < 0)
		return fail_nomem(p);
	p->pkg_key = e->s;
	return 0;
}

static void parser_release(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nstreams; i++) {
		free(p->streams[i].cfg);
		mg_buf_release(&p->streams[i].pending);
	}
	free(p->streams);
	free(p->strs.slot);
	free(p->umeta.slot);
	mg_buf_release(&p->scratch);
	mg_buf_release(&p->jtext);
	if (p->c_locale != (locale_t)0)
		freelocale(p->c_locale);
}

static void parse_lines(struct parser *p, const char *data, size_t len)
{
	const char *s = data, *end = data + len;
	size_t lineno = 0, i;

	while (s < end && p->error == 0) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = (size_t)((nl ? nl : end) - s);

		lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		/* JSON only where a '{' starts the line after blanks. */
		i = 0;
		while (i < n && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i < n && s[i] == '{' && json_line(p, s, n, lineno)) {
			/* an event */
		} else if (n > MG_GOBENCH_MAX_LINE) {
			overlong_line(p, s, MG_GOBENCH_MAX_LINE, lineno);
		} else {
			process_line(p, &p->streams[0], s, n, lineno);
		}
		s = nl ? nl + 1 : end;
	}
	/* Output that did not end in a newline is a last line, as for text. */
	for (i = 1; i < p->nstreams && p->error == 0; i++) {
		struct stream *st = &p->streams[i];

		if (st->pending.len > 0 || st->overlong)
			complete_line(p, st, st->pending.ptr, st->pending.len,
			              st->overlong, st->line);
	}
}

void mg_gobench_free(mg_gobench *gb)
{
	if (gb == NULL)
		return;
	free(gb->name);
	free(gb->results);
	free(gb->warnings);
	free(gb->units);
	arena_release(&gb->arena);
	free(gb);
}

int mg_gobench_parse(mg_gobench **out, const char *data, size_t len,
                     const char *name, mg_err *err)
{
	struct parser p;
	mg_gobench *gb;
	int error;

	if (name == NULL)
		name = "<input>";
	if (len > MG_GOBENCH_MAX_INPUT)
		return mg_err_set(err, MG_ELIMIT,
		                  "%s: input of %zu bytes is larger than the "
		                  "limit of %zu bytes",
		                  name, len, MG_GOBENCH_MAX_INPUT);
	gb = calloc(1, sizeof(*gb));
	if (gb == NULL)
		return mg_err_set(err, MG_ENOMEM, "%s: out of memory", name);
	gb->name = mg_strdup(name);
	if (gb->name == NULL) {
		free(gb);
		return mg_err_set(err, MG_ENOMEM, "%s: out of memory", name);
	}
	error = parser_init(&p, gb, len, err);
	if (error == 0) {
		parse_lines(&p, data ? data : "", data ? len : 0);
		error = p.error;
	}
	parser_release(&p);
	if (error == 0 && gb->nresults == 0) {
		if (gb->nwarnings > 0)
			error = mg_err_set(err, MG_EINPUT,
			                   "%s: no benchmark results (first "
			                   "problem: %s)",
			                   name, gb->warnings[0].msg);
		else
			error = mg_err_set(err, MG_EINPUT,
			                   "%s: no benchmark results", name);
	}
	if (error < 0) {
		mg_gobench_free(gb);
		return error;
	}
	*out = gb;
	return 0;
}

/* ---- accessors ---- */

const char *mg_gobench_name(const mg_gobench *gb)
{
	return gb->name;
}

size_t mg_gobench_count(const mg_gobench *gb)
{
	return gb->nresults;
}

const mg_gobench_result *mg_gobench_result_at(const mg_gobench *gb, size_t i)
{
	return i < gb->nresults ? &gb->results[i] : NULL;
}

size_t mg_gobench_nsamples(const mg_gobench *gb)
{
	return gb->nsamples;
}

size_t mg_gobench_nonfinite(const mg_gobench *gb)
{
	return gb->nonfinite;
}

bool mg_gobench_is_json(const mg_gobench *gb)
{
	return gb->json;
}

size_t mg_gobench_nwarnings(const mg_gobench *gb)
{
	return gb->nwarnings;
}

const mg_gobench_warning *mg_gobench_warning_at(const mg_gobench *gb, size_t i)
{
	return i < gb->nwarnings ? &gb->warnings[i] : NULL;
}

size_t mg_gobench_warnings_dropped(const mg_gobench *gb)
{
	return gb->dropped;
}

size_t mg_gobench_nunit_meta(const mg_gobench *gb)
{
	return gb->nunits;
}

const mg_gobench_unit_meta *mg_gobench_unit_meta_at(const mg_gobench *gb,
                                                    size_t i)
{
	return i < gb->nunits ? &gb->units[i] : NULL;
}

/* ---- into a run ---- */

/* Results of one benchmark share name, procs and configuration copy. */
struct bench_slot {
	const char *name;        /* interned; NULL: free slot */
	const mg_gobench_kv *kv; /* the configuration copy */
	const char *pkg;
	int procs;
	size_t bench; /* index in run->benches */
};

/* Next seq of (benchmark, unit) in the run. */
struct seq_slot {
	const char *unit; /* NULL: free slot */
	size_t bench;
	uint64_t hash;
	int64_t next;
};

struct to_run {
	struct bench_slot *b;
	size_t bcap, bn;
	struct seq_slot *s;
	size_t scap, sn;
};

static uint64_t ptr_hash(const void *a, const void *b, uint64_t c)
{
	uint64_t h = (uint64_t)(uintptr_t)a * 0x9e3779b97f4a7c15ull;

	h ^= (uint64_t)(uintptr_t)b * 0xc2b2ae3d27d4eb4full;
	h ^= c * 0x165667b19e3779f9ull;
	return h ^ (h >> 31);
}

static int bench_grow(struct to_run *t)
{
	size_t cap = t->bcap ? t->bcap * 2 : 64, i, j;
	struct bench_slot *b = calloc(cap, sizeof(*b));

	if (b == NULL)
		return MG_ENOMEM;
	for (i = 0; i < t->bcap; i++) {
		if (t->b[i].name == NULL)
			continue;
		j = ptr_hash(t->b[i].name, t->b[i].kv,
		             (uint64_t)t->b[i].procs) &
		    (cap - 1);
		while (b[j].name != NULL)
			j = (j + 1) & (cap - 1);
		b[j] = t->b[i];
	}
	free(t->b);
	t->b = b;
	t->bcap = cap;
	return 0;
}

static int seq_grow(struct to_run *t)
{
	size_t cap = t->scap ? t->scap * 2 : 64, i, j;
	struct seq_slot *s = calloc(cap, sizeof(*s));

	if (s == NULL)
		return MG_ENOMEM;
	for (i = 0; i < t->scap; i++) {
		if (t->s[i].unit == NULL)
			continue;
		j = t->s[i].hash & (cap - 1);
		while (s[j].unit != NULL)
			j = (j + 1) & (cap - 1);
		s[j] = t->s[i];
	}
	free(t->s);
	t->s = s;
	t->scap = cap;
	return 0;
}

/* The counter of (bench, unit); unit must outlive the table. */
static int seq_slot_get(struct to_run *t, size_t bench, const char *unit,
                        struct seq_slot **out)
{
	uint64_t h = hash_bytes(unit, strlen(unit), 0) ^
	             ((uint64_t)bench * 0x9e3779b97f4a7c15ull);
	size_t i;

	if (t->sn + 1 > t->scap / 2 && seq_grow(t) < 0)
		return MG_ENOMEM;
	for (i = h & (t->scap - 1);; i = (i + 1) & (t->scap - 1)) {
		struct seq_slot *s = &t->s[i];

		if (s->unit == NULL) {
			s->unit = unit;
			s->bench = bench;
			s->hash = h;
			s->next = 0;
			t->sn++;
			*out = s;
			return 0;
		}
		if (s->hash == h && s->bench == bench &&
		    strcmp(s->unit, unit) == 0) {
			*out = s;
			return 0;
		}
	}
}

static int bench_index(struct to_run *t, mg_run *run,
                       const mg_gobench_result *r, size_t *out)
{
	mg_kv kv[MG_GOBENCH_MAX_CONFIG_KEYS + 1];
	size_t i;
	int error;

	if (t->bn + 1 > t->bcap / 2 && bench_grow(t) < 0)
		return MG_ENOMEM;
	for (i = ptr_hash(r->name, r->config, (uint64_t)r->procs) &
	         (t->bcap - 1);
	     ; i = (i + 1) & (t->bcap - 1)) {
		struct bench_slot *b = &t->b[i];

		if (b->name == NULL)
			break;
		if (b->name == r->name && b->kv == r->config &&
		    b->pkg == r->package && b->procs == r->procs) {
			*out = b->bench;
			return 0;
		}
	}
	/* mg_run_add_bench copies; it takes mutable pointers. */
	for (i = 0; i < r->nconfig; i++) {
		kv[i].key = (char *)r->config[i].key;
		kv[i].value = (char *)r->config[i].value;
	}
	error = mg_run_add_bench(run, out, r->name, r->package, r->procs, kv,
	                         r->nconfig);
	if (error < 0)
		return error;
	for (i = ptr_hash(r->name, r->config, (uint64_t)r->procs) &
	         (t->bcap - 1);
	     t->b[i].name != NULL; i = (i + 1) & (t->bcap - 1))
		;
	t->b[i].name = r->name;
	t->b[i].kv = r->config;
	t->b[i].pkg = r->package;
	t->b[i].procs = r->procs;
	t->b[i].bench = *out;
	t->bn++;
	return 0;
}

int mg_gobench_to_run(mg_run *run, const mg_gobench *gb, mg_err *err)
{
	struct to_run t = {NULL, 0, 0, NULL, 0, 0};
	struct seq_slot *s;
	size_t i, j, bench, line = 0;
	int error = 0;

	/* Continue the numbering of samples the run already holds. */
	for (i = 0; i < run->nsamples && error == 0; i++) {
		error = seq_slot_get(&t, run->samples[i].bench,
		                     run->samples[i].unit, &s);
		if (error == 0 && s->next <= run->samples[i].seq)
			s->next = run->samples[i].seq + 1;
	}
	for (i = 0; i < gb->nresults && error == 0; i++) {
		const mg_gobench_result *r = &gb->results[i];

		line = r->line;
		error = bench_index(&t, run, r, &bench);
		for (j = 0; j < r->nvalues && error == 0; j++) {
			if (!isfinite(r->values[j].value))
				continue;
			error = seq_slot_get(&t, bench, r->values[j].unit, &s);
			if (error == 0)
				error = mg_run_add_sample(
				        run, bench, r->values[j].unit,
				        r->values[j].value, r->iterations,
				        s->next++);
		}
	}
	if (error == MG_ELIMIT)
		mg_err_set(err, error,
		           "%s:%zu: the run would hold more than %d benchmarks "
		           "or %d samples",
		           gb->name, line, MG_RUN_MAX_BENCHMARKS,
		           MG_RUN_MAX_SAMPLES);
	else if (error == MG_ENOMEM)
		mg_err_set(err, error, "%s: out of memory", gb->name);
	else if (error < 0)
		mg_err_set(err, error,
		           "%s:%zu: cannot add the result to the run", gb->name,
		           line);
	free(t.b);
	free(t.s);
	return error;
}
