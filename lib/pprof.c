/*
 * pprof.c - decoder of pprof profiles (perftools.profiles.Profile, see
 * lib/proto/profile.proto) into the array form of pprof_int.h.
 *
 * Input: gzip (one or more members, as Go's gzip reader accepts) or raw
 * protobuf. The decompressed bytes are kept: the string table points into
 * them. The top-level message is walked by hand in four passes, each
 * looking at a few field numbers and skipping the rest in O(1):
 *
 *   pass  fields                                   decoded by
 *   1     all (count messages, check wire types)   hand
 *   2     6 string_table, 1 sample_type, 3 mapping, protobuf-c (1, 3, 5, 11)
 *         5 function, 7-14 scalars and comments    and hand (scalars)
 *   3     4 location {1 id, 2 mapping_id, 4 line}   hand
 *   4     2 sample {1 location_id, 2 value, 3 label} hand
 *
 * Samples and locations are almost all of a large profile; decoding them
 * by hand straight into flat arrays (stacks as uint32 location indexes,
 * values as one int64 array) is what keeps parsing fast and the memory
 * close to the input size, where protobuf-c's unpack of the whole message
 * allocates one struct per sample, location and line (see
 * tests/bench/bench_pprof.c for the measurement). The small messages go
 * through protobuf-c with an allocator that charges the same budget.
 *
 * Checks (those of pprof's profile.CheckValid and postDecode, which
 * `go tool pprof` applies before reporting): string_table[0] is "", every
 * string index is in range, ids are non-zero and unique per table, every
 * sample location and line function exists, each sample has one value per
 * sample type. A location's unknown mapping id is tolerated, as pprof does.
 */
#include <errno.h>
#include <stdint.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "pprof_int.h"

/*
 * Tables are indexed with uint32: more entries than this cannot come from
 * a profile below the default 1 GiB cap (each entry takes >= 2 bytes on
 * the wire), only from a raised cap.
 */
#define PP_MAX_TABLE ((size_t)UINT32_MAX - 1)

/*
 * deflate cannot compress better than about 1032:1 (a 258-byte match in
 * 2 bits); with a little margin this tells a believable gzip trailer
 * from a damaged one, and bounds the first allocation.
 */
#define PP_DEFLATE_MAX_RATIO 1040

/*
 * Comments: Go writes none and pprof adds one per -add_comment; every
 * report de-duplicates them pairwise (as pprof's merge does), so a few
 * dozen is plenty.
 */
#define PP_MAX_COMMENTS 64

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* One decoded field: its number, wire type and value or payload. */
typedef struct pp_field {
	uint64_t num;
	int wt;
	const unsigned char *at;   /* where the field's key starts */
	uint64_t u;                /* varint, i64 and i32 values */
	const unsigned char *data; /* WT_LEN payload */
	size_t len;
} pp_field;

typedef struct pp_reader {
	mg_pprof *p;
	const unsigned char *base; /* start of the decompressed buffer */
	mg_err *err;
} pp_reader;

static bool str_eq(const pp_str *s, const char *lit, size_t n)
{
	return s->len == n && memcmp(s->ptr, lit, n) == 0;
}

/* Memory budget ------------------------------------------------------ */

static int charge(mg_pprof *p, size_t n, mg_err *err)
{
	if (n > p->mem_max || p->mem_used > p->mem_max - n) {
		p->alloc_error = MG_ELIMIT;
		return mg_err_set(err, MG_ELIMIT,
		                  "%s: parsing needs more than %zu bytes of "
		                  "memory",
		                  p->name, p->mem_max);
	}
	p->mem_used += n;
	return 0;
}

static void *pp_calloc(mg_pprof *p, size_t n, size_t size, mg_err *err)
{
	void *m;

	if (size != 0 && n > SIZE_MAX / size) {
		p->alloc_error = MG_ELIMIT;
		mg_err_set(err, MG_ELIMIT, "%s: table too large", p->name);
		return NULL;
	}
	if (charge(p, n * size, err) < 0)
		return NULL;
	m = calloc(n ? n : 1, size ? size : 1);
	if (m == NULL) {
		p->alloc_error = MG_ENOMEM;
		mg_err_set(err, MG_ENOMEM, "%s: out of memory", p->name);
	}
	return m;
}

/* Make room for `need` elements in a growable array, 1.5x at a time. */
static int pp_reserve(mg_pprof *p, void **arr, size_t *cap, size_t need,
                      size_t size, mg_err *err)
{
	size_t ncap;
	void *m;

	if (need <= *cap)
		return 0;
	ncap = *cap + *cap / 2 + 16;
	if (ncap < need)
		ncap = need;
	if (ncap > SIZE_MAX / size)
		return mg_err_set(err, MG_ELIMIT, "%s: table too large",
		                  p->name);
	if (charge(p, (ncap - *cap) * size, err) < 0)
		return MG_ELIMIT;
	m = realloc(*arr, ncap * size);
	if (m == NULL) {
		p->alloc_error = MG_ENOMEM;
		return mg_err_set(err, MG_ENOMEM, "%s: out of memory", p->name);
	}
	*arr = m;
	*cap = ncap;
	return 0;
}

/*
 * protobuf-c allocator charging the profile's budget. Each block carries
 * its size in front so that free can give it back.
 */
typedef union pb_head {
	size_t size;
	max_align_t align;
} pb_head;

static void *pb_alloc(void *data, size_t size)
{
	mg_pprof *p = data;
	pb_head *h;

	if (size > SIZE_MAX - sizeof(*h)) {
		p->alloc_error = MG_ELIMIT;
		return NULL;
	}
	if (charge(p, size + sizeof(*h), NULL) < 0)
		return NULL;
	h = malloc(size + sizeof(*h));
	if (h == NULL) {
		p->alloc_error = MG_ENOMEM;
		p->mem_used -= size + sizeof(*h);
		return NULL;
	}
	h->size = size + sizeof(*h);
	return h + 1;
}

static void pb_free(void *data, void *ptr)
{
	mg_pprof *p = data;
	pb_head *h;

	if (ptr == NULL)
		return;
	h = (pb_head *)ptr - 1;
	p->mem_used -= h->size;
	free(h);
}

/* Wire format --------------------------------------------------------- */

static inline int get_varint(const unsigned char **pos,
                             const unsigned char *end, uint64_t *out)
{
	const unsigned char *q = *pos;
	uint64_t v = 0;
	int i;

	if (q < end && *q < 0x80) {
		*out = *q;
		*pos = q + 1;
		return 0;
	}
	/* As Go's decoder: at most 10 bytes, excess high bits ignored. */
	for (i = 0; i < 10 && q < end; i++, q++) {
		v |= (uint64_t)(*q & 0x7f) << (7 * i);
		if (*q < 0x80) {
			*out = v;
			*pos = q + 1;
			return 0;
		}
	}
	return -1;
}

static int bad(pp_reader *r, const unsigned char *at, const char *what,
               const char *problem)
{
	return mg_err_set(r->err, MG_EINPUT, "%s: offset %zu: %s: %s",
	                  r->p->name, (size_t)(at - r->base), what, problem);
}

/* Decode the field at *pos; `what` names the enclosing message. */
static int next_field(pp_reader *r, const unsigned char **pos,
                      const unsigned char *end, pp_field *f, const char *what)
{
	const unsigned char *start = *pos;
	uint64_t key, n;

	if (get_varint(pos, end, &key) < 0)
		return bad(r, start, what, "bad varint in field key");
	f->at = start;
	f->num = key >> 3;
	f->wt = (int)(key & 7);
	f->data = NULL;
	f->len = 0;
	f->u = 0;
	switch (f->wt) {
	case WT_VARINT:
		if (get_varint(pos, end, &f->u) < 0)
			return bad(r, start, what, "bad varint");
		return 0;
	case WT_I64:
		if ((size_t)(end - *pos) < 8)
			return bad(r, start, what, "truncated 64-bit field");
		memcpy(&f->u, *pos, 8);
		*pos += 8;
		return 0;
	case WT_LEN:
		if (get_varint(pos, end, &n) < 0)
			return bad(r, start, what, "bad varint in length");
		if (n > (uint64_t)(end - *pos))
			return bad(r, start, what,
			           "length exceeds the data (truncated?)");
		f->data = *pos;
		f->len = (size_t)n;
		*pos += n;
		return 0;
	case WT_I32:
		if ((size_t)(end - *pos) < 4)
			return bad(r, start, what, "truncated 32-bit field");
		*pos += 4;
		return 0;
	default:
		return bad(r, start, what, "unknown wire type");
	}
}

static int want_wt(pp_reader *r, const pp_field *f, int wt, const char *what,
                   const char *field)
{
	char where[96];

	if (f->wt == wt)
		return 0;
	snprintf(where, sizeof(where), "%s field '%s'", what, field);
	return bad(r, f->at, where, "unexpected wire type");
}

/* Count the varints of a packed payload (bytes without continuation). */
static size_t packed_count(const unsigned char *d, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += d[i] < 0x80;
	return n;
}

/* Decompression ------------------------------------------------------- */

static int gunzip(mg_pprof *p, const unsigned char *data, size_t len,
                  size_t max, mg_err *err)
{
	z_stream zs;
	size_t cap, bound, out_len = 0;
	uint32_t isize;
	unsigned char *out = NULL, *grown;
	int zrc, error = 0;

	/*
	 * ISIZE, the last member's size mod 2^32, never exceeds the real
	 * size. If it is above the cap and deflate could have produced it
	 * from this many bytes, the input is a bomb: refuse it before
	 * inflating anything. (An implausible ISIZE means a damaged or
	 * truncated file, which inflating will report.)
	 */
	isize = (uint32_t)data[len - 4] | (uint32_t)data[len - 3] << 8 |
	        (uint32_t)data[len - 2] << 16 | (uint32_t)data[len - 1] << 24;
	bound = len <= SIZE_MAX / PP_DEFLATE_MAX_RATIO
	                ? len * PP_DEFLATE_MAX_RATIO
	                : SIZE_MAX;
	if (isize > max && isize <= bound)
		return mg_err_set(err, MG_ELIMIT,
		                  "%s: decompressed size %u exceeds the limit "
		                  "of %zu bytes",
		                  p->name, (unsigned)isize, max);
	cap = isize <= bound ? isize : bound;
	if (cap > max)
		cap = max;
	if (cap < 4096)
		cap = 4096;
	cap += 1; /* room for the NUL after the last string */
	if (charge(p, cap, err) < 0)
		return MG_ELIMIT;
	out = malloc(cap);
	if (out == NULL)
		return mg_err_set(err, MG_ENOMEM, "%s: out of memory", p->name);

	memset(&zs, 0, sizeof(zs));
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return mg_err_set(err, MG_ENOMEM, "%s: zlib init failed",
		                  p->name);
	}
	zs.next_in = (unsigned char *)data;
	for (;;) {
		/* zlib counts in uInt: at most 1 GiB per call */
		size_t room = cap - 1 - out_len;
		size_t in_left = len - (size_t)(zs.next_in - data);
		uInt avail;

		zs.avail_in = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
		if (room == 0) {
			size_t ncap;

			if (out_len >= max) {
				error = mg_err_set(
				        err, MG_ELIMIT,
				        "%s: decompressed size exceeds the "
				        "limit of %zu bytes",
				        p->name, max);
				goto cleanup;
			}
			ncap = out_len <= max / 2 ? out_len * 2 + 1 : max + 1;
			error = charge(p, ncap - cap, err);
			if (error < 0)
				goto cleanup;
			grown = realloc(out, ncap);
			if (grown == NULL) {
				error = mg_err_set(err, MG_ENOMEM,
				                   "%s: out of memory",
				                   p->name);
				goto cleanup;
			}
			out = grown;
			cap = ncap;
			room = cap - 1 - out_len;
		}
		avail = room > (1u << 30) ? (1u << 30) : (uInt)room;
		zs.next_out = out + out_len;
		zs.avail_out = avail;
		zrc = inflate(&zs, Z_NO_FLUSH);
		out_len += avail - zs.avail_out;
		if (zrc == Z_STREAM_END) {
			if ((size_t)(zs.next_in - data) == len)
				break;
			/* another gzip member follows (inflateReset keeps
			 * nothing of the previous one) */
			if (inflateReset(&zs) != Z_OK) {
				error = mg_err_set(err, MG_EINPUT,
				                   "%s: corrupt gzip data",
				                   p->name);
				goto cleanup;
			}
			continue;
		}
		if (zrc == Z_BUF_ERROR && zs.avail_out != 0) {
			error = mg_err_set(err, MG_EINPUT,
			                   "%s: truncated gzip data", p->name);
			goto cleanup;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			error = mg_err_set(
			        err, zrc == Z_MEM_ERROR ? MG_ENOMEM : MG_EINPUT,
			        "%s: corrupt gzip data: %s", p->name,
			        zs.msg ? zs.msg : "error");
			goto cleanup;
		}
	}
	p->buf = out;
	p->buf_len = out_len;
	out = NULL;
cleanup:
	inflateEnd(&zs);
	free(out);
	return error;
}

/* Id lookup: a direct table for dense ids, a hash otherwise ------------ */

typedef struct pp_idmap {
	uint32_t *dense; /* id -> index, MG_PPROF_NONE; when ids are dense */
	uint64_t ndense;
	uint64_t *keys; /* open addressing, 0 = empty (0 is never an id) */
	uint32_t *vals;
	size_t mask;
} pp_idmap;

static void idmap_release(pp_idmap *m)
{
	free(m->dense);
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static inline uint32_t idmap_get(const pp_idmap *m, uint64_t id)
{
	size_t i;

	if (m->dense)
		return id < m->ndense ? m->dense[id] : MG_PPROF_NONE;
	if (m->keys == NULL || id == 0)
		return MG_PPROF_NONE;
	for (i = mix64(id) & m->mask; m->keys[i] != 0; i = (i + 1) & m->mask)
		if (m->keys[i] == id)
			return m->vals[i];
	return MG_PPROF_NONE;
}

/*
 * Build the map of `n` ids (read with `stride` from `ids`); `what` names
 * the table in messages. Zero and duplicate ids are errors, as in pprof.
 */
static int idmap_build(pp_idmap *m, mg_pprof *p, const void *ids, size_t n,
                       size_t stride, const char *what, mg_err *err)
{
	const unsigned char *b = ids;
	uint64_t max_id = 0, id;
	size_t i, j, size;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < n; i++) {
		memcpy(&id, b + i * stride, sizeof(id));
		if (id == 0)
			return mg_err_set(err, MG_EINPUT,
			                  "%s: %s %zu has the reserved id 0",
			                  p->name, what, i);
		if (id > max_id)
			max_id = id;
	}
	if (max_id <= 2 * (uint64_t)n + 1024) {
		m->ndense = max_id + 1;
		m->dense =
		        pp_calloc(p, (size_t)m->ndense, sizeof(uint32_t), err);
		if (m->dense == NULL)
			return p->alloc_error;
		memset(m->dense, 0xff, (size_t)m->ndense * sizeof(uint32_t));
		for (i = 0; i < n; i++) {
			memcpy(&id, b + i * stride, sizeof(id));
			if (m->dense[id] != MG_PPROF_NONE)
				return mg_err_set(err, MG_EINPUT,
				                  "%s: several %ss with id "
				                  "%llu",
				                  p->name, what,
				                  (unsigned long long)id);
			m->dense[id] = (uint32_t)i;
		}
		return 0;
	}
	for (size = 16; size < 2 * n; size *= 2)
		;
	m->mask = size - 1;
	m->keys = pp_calloc(p, size, sizeof(uint64_t), err);
	m->vals = pp_calloc(p, size, sizeof(uint32_t), err);
	if (m->keys == NULL || m->vals == NULL)
		return p->alloc_error;
	for (i = 0; i < n; i++) {
		memcpy(&id, b + i * stride, sizeof(id));
		for (j = mix64(id) & m->mask; m->keys[j] != 0;
		     j = (j + 1) & m->mask)
			if (m->keys[j] == id)
				return mg_err_set(err, MG_EINPUT,
				                  "%s: several %ss with id "
				                  "%llu",
				                  p->name, what,
				                  (unsigned long long)id);
		m->keys[j] = id;
		m->vals[j] = (uint32_t)i;
	}
	return 0;
}

/* Passes --------------------------------------------------------------- */

typedef struct pp_counts {
	size_t types, samples, mappings, locations, functions, strings;
	size_t comments;
	size_t sample_bytes; /* payload bytes of all samples */
} pp_counts;

static const char *const top_names[] = {
        "",
        "sample_type",
        "sample",
        "mapping",
        "location",
        "function",
        "string_table",
        "drop_frames",
        "keep_frames",
        "time_nanos",
        "duration_nanos",
        "period_type",
        "period",
        "comment",
        "default_sample_type",
};

/* Pass 1: count, check wire types, reject concatenated profiles. */
static int pass_count(pp_reader *r, pp_counts *c)
{
	const unsigned char *pos = r->p->buf, *end = pos + r->p->buf_len;
	pp_field f;
	uint64_t time_nanos = 0;
	int error;

	memset(c, 0, sizeof(*c));
	while (pos < end) {
		error = next_field(r, &pos, end, &f, "profile");
		if (error < 0)
			return error;
		if (f.num >= 1 && f.num <= 14) {
			int want = (f.num <= 6 || f.num == 11) ? WT_LEN
			                                       : WT_VARINT;

			if (f.num == 13 && f.wt == WT_LEN)
				want = WT_LEN;
			error = want_wt(r, &f, want, "profile",
			                top_names[f.num]);
			if (error < 0)
				return error;
		}
		switch (f.num) {
		case 1:
			c->types++;
			break;
		case 2:
			c->samples++;
			c->sample_bytes += f.len;
			break;
		case 3:
			c->mappings++;
			break;
		case 4:
			c->locations++;
			break;
		case 5:
			c->functions++;
			break;
		case 6:
			c->strings++;
			break;
		case 9:
			/* pprof refuses two profiles written back to back */
			if (time_nanos != 0)
				return mg_err_set(r->err, MG_EINPUT,
				                  "%s: concatenated profiles "
				                  "(time_nanos set twice)",
				                  r->p->name);
			time_nanos = f.u;
			break;
		case 13:
			c->comments += f.wt == WT_LEN
			                       ? packed_count(f.data, f.len)
			                       : 1;
			break;
		default:
			break;
		}
	}
	if (c->comments > PP_MAX_COMMENTS)
		return mg_err_set(r->err, MG_ELIMIT,
		                  "%s: %zu comments (the limit is %d)",
		                  r->p->name, c->comments, PP_MAX_COMMENTS);
	if (c->types > MG_PPROF_MAX_SAMPLE_TYPES)
		return mg_err_set(r->err, MG_ELIMIT,
		                  "%s: %zu sample types (the limit is %d)",
		                  r->p->name, c->types,
		                  MG_PPROF_MAX_SAMPLE_TYPES);
	if (c->samples > PP_MAX_TABLE || c->mappings > PP_MAX_TABLE ||
	    c->locations > PP_MAX_TABLE || c->functions > PP_MAX_TABLE ||
	    c->strings > PP_MAX_TABLE)
		return mg_err_set(r->err, MG_ELIMIT,
		                  "%s: more than %zu entries in a table",
		                  r->p->name, PP_MAX_TABLE);
	return 0;
}

/* Check a string index read from the profile; `what` names the field. */
static int str_index(pp_reader *r, int64_t idx, uint32_t *out, const char *what,
                     size_t item)
{
	if (idx < 0 || (uint64_t)idx >= r->p->nstrings)
		return mg_err_set(r->err, MG_EINPUT,
		                  "%s: %s %zu: string index %lld out of range "
		                  "(%zu strings)",
		                  r->p->name, what, item, (long long)idx,
		                  r->p->nstrings);
	if (out)
		*out = (uint32_t)idx;
	return 0;
}

/* A protobuf-c unpack returned NULL: over budget, or malformed. */
static int pb_failed(pp_reader *r, const pp_field *f, const char *what)
{
	if (r->p->alloc_error == MG_ELIMIT)
		return mg_err_set(r->err, MG_ELIMIT,
		                  "%s: parsing needs more than %zu bytes of "
		                  "memory",
		                  r->p->name, r->p->mem_max);
	if (r->p->alloc_error == MG_ENOMEM)
		return mg_err_set(r->err, MG_ENOMEM, "%s: out of memory",
		                  r->p->name);
	return bad(r, f->at, what, "malformed message");
}

static int unpack_value_type(pp_reader *r, const pp_field *f,
                             ProtobufCAllocator *al, int64_t *type,
                             int64_t *unit, const char *what)
{
	Perftools__Profiles__ValueType *vt;

	r->p->alloc_error = 0;
	vt = perftools__profiles__value_type__unpack(al, f->len, f->data);
	if (vt == NULL)
		return pb_failed(r, f, what);
	*type = vt->type;
	*unit = vt->unit;
	perftools__profiles__value_type__free_unpacked(vt, al);
	return 0;
}

/* Pass 2: strings, sample types, mappings, functions and scalars. */
static int pass_tables(pp_reader *r, const pp_counts *c)
{
	mg_pprof *p = r->p;
	const unsigned char *pos = p->buf, *end = pos + p->buf_len;
	ProtobufCAllocator al = {pb_alloc, pb_free, p};
	int64_t *types = NULL, *maps = NULL, *funcs = NULL;
	int64_t *comments = NULL, pt_type = 0, pt_unit = 0;
	size_t nt = 0, nm = 0, nf = 0, nc = 0, i;
	pp_field f;
	int error = 0;

	p->strings = pp_calloc(p, c->strings, sizeof(*p->strings), r->err);
	p->sample_types = pp_calloc(p, c->types, sizeof(pp_value_type), r->err);
	p->mappings = pp_calloc(p, c->mappings, sizeof(pp_mapping), r->err);
	p->functions = pp_calloc(p, c->functions, sizeof(pp_function), r->err);
	p->comments = pp_calloc(p, c->comments, sizeof(uint32_t), r->err);
	/* raw string indexes, checked once the table is complete */
	types = pp_calloc(p, c->types * 2, sizeof(int64_t), r->err);
	maps = pp_calloc(p, c->mappings * 2, sizeof(int64_t), r->err);
	funcs = pp_calloc(p, c->functions * 2, sizeof(int64_t), r->err);
	comments = pp_calloc(p, c->comments, sizeof(int64_t), r->err);
	if (!p->strings || !p->sample_types || !p->mappings || !p->functions ||
	    !p->comments || !types || !maps || !funcs || !comments) {
		error = p->alloc_error;
		goto cleanup;
	}

	while (pos < end) {
		error = next_field(r, &pos, end, &f, "profile");
		if (error < 0)
			goto cleanup;
		switch (f.num) {
		case 1:
			error = unpack_value_type(r, &f, &al, &types[2 * nt],
			                          &types[2 * nt + 1],
			                          "sample_type");
			nt++;
			break;
		case 3: {
			Perftools__Profiles__Mapping *m;

			p->alloc_error = 0;
			m = perftools__profiles__mapping__unpack(&al, f.len,
			                                         f.data);
			if (m == NULL) {
				error = pb_failed(r, &f, "mapping");
				break;
			}
			p->mappings[nm].id = m->id;
			maps[2 * nm] = m->filename;
			maps[2 * nm + 1] = m->build_id;
			nm++;
			perftools__profiles__mapping__free_unpacked(m, &al);
			break;
		}
		case 5: {
			Perftools__Profiles__Function *fn;

			p->alloc_error = 0;
			fn = perftools__profiles__function__unpack(&al, f.len,
			                                           f.data);
			if (fn == NULL) {
				error = pb_failed(r, &f, "function");
				break;
			}
			p->functions[nf].id = fn->id;
			p->functions[nf].start_line = fn->start_line;
			funcs[2 * nf] = fn->name;
			funcs[2 * nf + 1] = fn->filename;
			/* system_name is checked as pprof does, then unused */
			if (fn->system_name < 0 ||
			    (uint64_t)fn->system_name >= c->strings)
				error = str_index(r, fn->system_name, NULL,
				                  "function", nf);
			nf++;
			perftools__profiles__function__free_unpacked(fn, &al);
			break;
		}
		case 6:
			p->strings[p->nstrings].ptr = (const char *)f.data;
			p->strings[p->nstrings].len = f.len;
			p->nstrings++;
			break;
		case 7:
			p->drop_frames = (int64_t)f.u;
			break;
		case 8:
			p->keep_frames = (int64_t)f.u;
			break;
		case 9:
			p->time_nanos = (int64_t)f.u;
			break;
		case 10:
			p->duration_nanos = (int64_t)f.u;
			break;
		case 11:
			error = unpack_value_type(r, &f, &al, &pt_type,
			                          &pt_unit, "period_type");
			break;
		case 12:
			p->period = (int64_t)f.u;
			break;
		case 13:
			if (f.wt == WT_VARINT) {
				comments[nc++] = (int64_t)f.u;
			} else {
				const unsigned char *q = f.data;
				const unsigned char *qe = q + f.len;
				uint64_t v;

				while (q < qe && error == 0) {
					if (get_varint(&q, qe, &v) < 0)
						error = bad(r, q, "comment",
						            "bad varint");
					else
						comments[nc++] = (int64_t)v;
				}
			}
			break;
		case 14:
			p->default_sample_type = (int64_t)f.u;
			break;
		default:
			break;
		}
		if (error < 0)
			goto cleanup;
	}
	p->ntypes = nt;
	p->nmappings = nm;
	p->nfunctions = nf;
	p->ncomments = nc;

	if (p->nstrings == 0) {
		error = mg_err_set(r->err, MG_EINPUT,
		                   "%s: the string table is empty (not a "
		                   "profile?)",
		                   p->name);
		goto cleanup;
	}
	if (p->strings[0].len != 0) {
		error = mg_err_set(r->err, MG_EINPUT,
		                   "%s: string_table[0] must be empty",
		                   p->name);
		goto cleanup;
	}
	for (i = 0; i < nt && error == 0; i++) {
		error = str_index(r, types[2 * i], &p->sample_types[i].type,
		                  "sample_type", i);
		if (error == 0)
			error = str_index(r, types[2 * i + 1],
			                  &p->sample_types[i].unit,
			                  "sample_type", i);
	}
	for (i = 0; i < nm && error == 0; i++) {
		error = str_index(r, maps[2 * i], &p->mappings[i].filename,
		                  "mapping", i);
		if (error == 0)
			error = str_index(r, maps[2 * i + 1],
			                  &p->mappings[i].build_id, "mapping",
			                  i);
	}
	for (i = 0; i < nf && error == 0; i++) {
		error = str_index(r, funcs[2 * i], &p->functions[i].name,
		                  "function", i);
		if (error == 0)
			error = str_index(r, funcs[2 * i + 1],
			                  &p->functions[i].filename, "function",
			                  i);
	}
	for (i = 0; i < nc && error == 0; i++)
		error = str_index(r, comments[i], &p->comments[i], "comment",
		                  i);
	if (error == 0)
		error = str_index(r, p->drop_frames, NULL, "drop_frames", 0);
	if (error == 0)
		error = str_index(r, p->keep_frames, NULL, "keep_frames", 0);
	if (error == 0)
		error = str_index(r, p->default_sample_type, NULL,
		                  "default_sample_type", 0);
	if (error == 0)
		error = str_index(r, pt_type, &p->period_type.type,
		                  "period_type", 0);
	if (error == 0)
		error = str_index(r, pt_unit, &p->period_type.unit,
		                  "period_type", 0);
cleanup:
	free(types);
	free(maps);
	free(funcs);
	free(comments);
	return error;
}

/* Decode one Location message into p->locations[i] and its lines. */
static int decode_location(pp_reader *r, const pp_field *lf, size_t i,
                           const pp_idmap *funcs, const pp_idmap *maps,
                           size_t *lines_cap)
{
	mg_pprof *p = r->p;
	pp_location *loc = &p->locations[i];
	const unsigned char *pos = lf->data, *end = pos + lf->len;
	uint64_t mapping_id = 0;
	pp_field f;
	int error;

	loc->line_off = p->nlines;
	while (pos < end) {
		error = next_field(r, &pos, end, &f, "location");
		if (error < 0)
			return error;
		if (f.num == 1 || f.num == 2) {
			error = want_wt(r, &f, WT_VARINT, "location",
			                f.num == 1 ? "id" : "mapping_id");
			if (error < 0)
				return error;
			if (f.num == 1)
				loc->id = f.u;
			else
				mapping_id = f.u;
		} else if (f.num == 4) {
			const unsigned char *q, *qe;
			uint64_t func_id = 0;
			uint32_t fi;
			pp_field lnf;

			error = want_wt(r, &f, WT_LEN, "location", "line");
			if (error < 0)
				return error;
			q = f.data;
			qe = q + f.len;
			while (q < qe) {
				error = next_field(r, &q, qe, &lnf, "line");
				if (error < 0)
					return error;
				if (lnf.num == 1) {
					error = want_wt(r, &lnf, WT_VARINT,
					                "line", "function_id");
					if (error < 0)
						return error;
					func_id = lnf.u;
				}
			}
			fi = idmap_get(funcs, func_id);
			if (fi == MG_PPROF_NONE)
				return mg_err_set(
				        r->err, MG_EINPUT,
				        "%s: location %zu (id %llu): line %u: "
				        "function id %llu does not exist",
				        p->name, i, (unsigned long long)loc->id,
				        (unsigned)(p->nlines - loc->line_off),
				        (unsigned long long)func_id);
			if (p->nlines - loc->line_off >= UINT32_MAX)
				return mg_err_set(r->err, MG_ELIMIT,
				                  "%s: location %zu: too many "
				                  "lines",
				                  p->name, i);
			error = pp_reserve(p, (void **)&p->line_func, lines_cap,
			                   p->nlines + 1, sizeof(uint32_t),
			                   r->err);
			if (error < 0)
				return error;
			p->line_func[p->nlines++] = fi;
		}
	}
	loc->nlines = (uint32_t)(p->nlines - loc->line_off);
	/* an unknown mapping id leaves the location unmapped, as in pprof */
	loc->mapping = idmap_get(maps, mapping_id);
	return 0;
}

/* Pass 3: locations, with lines resolved to function indexes. */
static int pass_locations(pp_reader *r, const pp_counts *c, pp_idmap *locs)
{
	mg_pprof *p = r->p;
	const unsigned char *pos = p->buf, *end = pos + p->buf_len;
	pp_idmap funcs, maps;
	size_t lines_cap = 0;
	pp_field f;
	int error;

	memset(&funcs, 0, sizeof(funcs));
	memset(&maps, 0, sizeof(maps));
	error = idmap_build(&funcs, p, &p->functions[0].id, p->nfunctions,
	                    sizeof(pp_function), "function", r->err);
	if (error == 0)
		error = idmap_build(&maps, p, &p->mappings[0].id, p->nmappings,
		                    sizeof(pp_mapping), "mapping", r->err);
	if (error < 0)
		goto cleanup;
	p->locations = pp_calloc(p, c->locations, sizeof(pp_location), r->err);
	if (p->locations == NULL) {
		error = p->alloc_error;
		goto cleanup;
	}
	/* most Go locations have one line: start there */
	error = pp_reserve(p, (void **)&p->line_func, &lines_cap,
	                   c->locations + 16, sizeof(uint32_t), r->err);
	while (error == 0 && pos < end) {
		error = next_field(r, &pos, end, &f, "profile");
		if (error == 0 && f.num == 4)
			error = decode_location(r, &f, p->nlocations++, &funcs,
			                        &maps, &lines_cap);
	}
	if (error == 0)
		error = idmap_build(locs, p, &p->locations[0].id, p->nlocations,
		                    sizeof(pp_location), "location", r->err);
cleanup:
	idmap_release(&funcs);
	idmap_release(&maps);
	return error;
}

/* Check a Label's string indexes as pprof's postDecode does. */
static int check_label(pp_reader *r, const pp_field *lf, size_t sample,
                       size_t nsamples)
{
	mg_pprof *p = r->p;
	const unsigned char *pos = lf->data, *end = pos + lf->len;
	int64_t key = 0, str = 0, num = 0, unit = 0;
	pp_field f;
	int error;

	while (pos < end) {
		error = next_field(r, &pos, end, &f, "label");
		if (error < 0)
			return error;
		if (f.num < 1 || f.num > 4)
			continue;
		error = want_wt(r, &f, WT_VARINT, "label", "key/str/num");
		if (error < 0)
			return error;
		if (f.num == 1)
			key = (int64_t)f.u;
		else if (f.num == 2)
			str = (int64_t)f.u;
		else if (f.num == 3)
			num = (int64_t)f.u;
		else
			unit = (int64_t)f.u;
	}
	(void)num;
	/* pprof reads str when set, else the unit of a numeric label */
	error = str_index(r, key, NULL, "label of sample", sample);
	if (error == 0 && str != 0)
		error = str_index(r, str, NULL, "label of sample", sample);
	else if (error == 0 && unit != 0)
		error = str_index(r, unit, NULL, "label of sample", sample);
	if (error < 0 || str == 0 ||
	    !str_eq(&p->strings[key], "pprof::base", 11) ||
	    !str_eq(&p->strings[str], "true", 4))
		return error;
	/* a diff saved by pprof: its total counts only the base samples */
	if (p->base_mark == NULL) {
		p->base_mark = pp_calloc(p, nsamples, 1, r->err);
		if (p->base_mark == NULL)
			return p->alloc_error;
	}
	p->base_mark[sample] = 1;
	return 0;
}

/* Append the location ids of a sample field (packed or single). */
static int sample_locs(pp_reader *r, const pp_field *f, size_t si,
                       const pp_idmap *locs, size_t *cap)
{
	mg_pprof *p = r->p;
	const unsigned char *q, *qe;
	uint64_t id;
	uint32_t li;
	size_t n;
	int error;

	if (f->wt == WT_VARINT) {
		q = NULL;
		qe = NULL;
		n = 1;
	} else if (f->wt == WT_LEN) {
		q = f->data;
		qe = q + f->len;
		n = packed_count(q, f->len);
	} else {
		return want_wt(r, f, WT_LEN, "sample", "location_id");
	}
	error = pp_reserve(p, (void **)&p->sample_locs, cap,
	                   p->nsample_locs + n, sizeof(uint32_t), r->err);
	if (error < 0)
		return error;
	if (q == NULL) {
		id = f->u;
		goto one;
	}
	while (q < qe) {
		if (get_varint(&q, qe, &id) < 0)
			return bad(r, q, "sample location_id", "bad varint");
	one:
		li = idmap_get(locs, id);
		if (li == MG_PPROF_NONE)
			return mg_err_set(r->err, MG_EINPUT,
			                  "%s: sample %zu: location id %llu "
			                  "does not exist",
			                  p->name, si, (unsigned long long)id);
		p->sample_locs[p->nsample_locs++] = li;
	}
	return 0;
}

static int sample_values(pp_reader *r, const pp_field *f, size_t si,
                         size_t *nvals)
{
	mg_pprof *p = r->p;
	int64_t *dst = p->values + si * p->ntypes;
	const unsigned char *q, *qe;
	uint64_t v;

	if (f->wt == WT_VARINT) {
		if (*nvals < p->ntypes)
			dst[*nvals] = (int64_t)f->u;
		(*nvals)++;
		return 0;
	}
	if (f->wt != WT_LEN)
		return want_wt(r, f, WT_LEN, "sample", "value");
	q = f->data;
	qe = q + f->len;
	while (q < qe) {
		if (get_varint(&q, qe, &v) < 0)
			return bad(r, q, "sample value", "bad varint");
		if (*nvals < p->ntypes)
			dst[*nvals] = (int64_t)v;
		(*nvals)++;
	}
	return 0;
}

/* Pass 4: samples. */
static int pass_samples(pp_reader *r, const pp_counts *c, const pp_idmap *locs)
{
	mg_pprof *p = r->p;
	const unsigned char *pos = p->buf, *end = pos + p->buf_len;
	size_t cap = 0, si = 0;
	pp_field f, sf;
	int error;

	if (c->samples > 0 && p->ntypes == 0)
		return mg_err_set(r->err, MG_EINPUT,
		                  "%s: samples without sample types", p->name);
	p->sample_off = pp_calloc(p, c->samples + 1, sizeof(uint64_t), r->err);
	p->values =
	        pp_calloc(p, c->samples, p->ntypes * sizeof(int64_t), r->err);
	if (p->sample_off == NULL || p->values == NULL)
		return p->alloc_error;
	/* a Go heap sample spends ~3 payload bytes per stack frame */
	error = pp_reserve(p, (void **)&p->sample_locs, &cap,
	                   c->sample_bytes / 3 + 16, sizeof(uint32_t), r->err);
	while (error == 0 && pos < end) {
		const unsigned char *q, *qe;
		size_t nvals = 0;

		error = next_field(r, &pos, end, &f, "profile");
		if (error < 0 || f.num != 2)
			continue;
		p->sample_off[si] = p->nsample_locs;
		q = f.data;
		qe = q + f.len;
		while (error == 0 && q < qe) {
			error = next_field(r, &q, qe, &sf, "sample");
			if (error < 0)
				break;
			if (sf.num == 1)
				error = sample_locs(r, &sf, si, locs, &cap);
			else if (sf.num == 2)
				error = sample_values(r, &sf, si, &nvals);
			else if (sf.num == 3 && sf.wt == WT_LEN)
				error = check_label(r, &sf, si, c->samples);
			else if (sf.num == 3)
				error = want_wt(r, &sf, WT_LEN, "sample",
				                "label");
		}
		if (error == 0 && nvals != p->ntypes)
			error = mg_err_set(r->err, MG_EINPUT,
			                   "%s: sample %zu has %zu values but "
			                   "the profile has %zu sample types",
			                   p->name, si, nvals, p->ntypes);
		si++;
	}
	p->nsamples = si;
	p->sample_off[si] = p->nsample_locs;
	return error;
}

/* Accessor strings --------------------------------------------------- */

static int finish(mg_pprof *p, mg_err *err)
{
	size_t i;

	/*
	 * Every string is followed by the key of the next field (or the
	 * spare byte at the end of buf); all fields have been decoded, so
	 * the strings can be terminated in place.
	 */
	for (i = 1; i < p->nstrings; i++)
		((char *)p->strings[i].ptr)[p->strings[i].len] = '\0';
	p->strings[0].ptr = "";
	p->type_names = pp_calloc(p, p->ntypes, sizeof(char *), err);
	p->unit_names = pp_calloc(p, p->ntypes, sizeof(char *), err);
	if (p->type_names == NULL || p->unit_names == NULL)
		return p->alloc_error;
	for (i = 0; i < p->ntypes; i++) {
		p->type_names[i] =
		        (char *)p->strings[p->sample_types[i].type].ptr;
		p->unit_names[i] =
		        (char *)p->strings[p->sample_types[i].unit].ptr;
	}
	return 0;
}

/* The text formats pprof also reads ("heap profile: ...", "--- ..."). */
static bool is_legacy_text(const unsigned char *in, size_t len)
{
	static const char *const heads[] = {
	        "heap profile:",
	        "heap_v2/",
	        "--- ",
	        "goroutine profile:",
	        "threadcreate profile:",
	        "cycles/second",
	};
	size_t i, n;

	for (i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		n = strlen(heads[i]);
		if (len >= n && memcmp(in, heads[i], n) == 0)
			return true;
	}
	return false;
}

int mg_pprof_parse(mg_pprof **out, const void *data, size_t len,
                   const mg_pprof_opts *opts, const char *name, mg_err *err)
{
	const unsigned char *in = data;
	size_t max_dec = MG_PPROF_DEFAULT_MAX_DECOMPRESSED;
	size_t max_mem = 0;
	mg_pprof *p;
	pp_reader r;
	pp_counts counts;
	pp_idmap locs;
	int error;

	if (opts && opts->max_decompressed)
		max_dec = opts->max_decompressed;
	if (opts && opts->max_memory)
		max_mem = opts->max_memory;
	memset(&locs, 0, sizeof(locs));
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	p->name = mg_strdup(name ? name : "profile");
	if (p->name == NULL) {
		free(p);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	/* until the size is known, only the decompression cap applies */
	p->mem_max = max_mem ? max_mem : SIZE_MAX;

	if (len == 0) {
		error = mg_err_set(err, MG_EINPUT, "%s: empty profile",
		                   p->name);
		goto fail;
	}
	if (is_legacy_text(in, len)) {
		error = mg_err_set(err, MG_EINPUT,
		                   "%s: legacy text profile format is not "
		                   "supported (Go writes protobuf since 1.9)",
		                   p->name);
		goto fail;
	}
	if (len >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
		if (len < 18) {
			error = mg_err_set(err, MG_EINPUT,
			                   "%s: truncated gzip data", p->name);
			goto fail;
		}
		error = gunzip(p, in, len, max_dec, err);
		if (error < 0)
			goto fail;
	} else {
		if (len > max_dec) {
			error = mg_err_set(err, MG_ELIMIT,
			                   "%s: size %zu exceeds the limit of "
			                   "%zu bytes",
			                   p->name, len, max_dec);
			goto fail;
		}
		p->buf = malloc(len + 1);
		if (p->buf == NULL) {
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto fail;
		}
		memcpy(p->buf, in, len);
		p->buf_len = len;
		p->mem_used = len + 1;
	}
	if (max_mem == 0) {
		size_t f = MG_PPROF_DEFAULT_MEMORY_FACTOR;

		p->mem_max =
		        p->buf_len <= (SIZE_MAX -
		                       MG_PPROF_DEFAULT_MEMORY_EXTRA) /
		                                f
		                ? p->buf_len * f + MG_PPROF_DEFAULT_MEMORY_EXTRA
		                : SIZE_MAX;
	}

	r.p = p;
	r.base = p->buf;
	r.err = err;
	error = pass_count(&r, &counts);
	if (error == 0)
		error = pass_tables(&r, &counts);
	if (error == 0)
		error = pass_locations(&r, &counts, &locs);
	if (error == 0)
		error = pass_samples(&r, &counts, &locs);
	if (error == 0)
		error = finish(p, err);
	idmap_release(&locs);
	if (error < 0)
		goto fail;
	*out = p;
	return 0;
fail:
	mg_pprof_free(p);
	return error;
}

int mg_pprof_load(mg_pprof **out, const char *path, const mg_pprof_opts *opts,
                  mg_err *err)
{
	size_t max = opts && opts->max_decompressed
	                     ? opts->max_decompressed
	                     : MG_PPROF_DEFAULT_MAX_DECOMPRESSED;
	unsigned char *data = NULL, *grown;
	size_t len = 0, cap = 0, n;
	FILE *f;
	int error = 0;

	max += max / 16;
	f = fopen(path, "rb");
	if (f == NULL)
		return mg_err_set(err, MG_EIO, "%s: %s", path, strerror(errno));
	for (;;) {
		if (len == cap) {
			if (cap > max) {
				error = mg_err_set(err, MG_ELIMIT,
				                   "%s: file larger than %zu "
				                   "bytes",
				                   path, max);
				goto cleanup;
			}
			cap = cap ? 2 * cap : 65536;
			grown = realloc(data, cap);
			if (grown == NULL) {
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
				goto cleanup;
			}
			data = grown;
		}
		n = fread(data + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		error = mg_err_set(err, MG_EIO, "%s: read error", path);
		goto cleanup;
	}
	if (len > max) {
		error = mg_err_set(err, MG_ELIMIT,
		                   "%s: file larger than %zu bytes", path, max);
		goto cleanup;
	}
	error = mg_pprof_parse(out, data, len, opts, path, err);
cleanup:
	fclose(f);
	free(data);
	return error;
}

void mg_pprof_free(mg_pprof *p)
{
	if (p == NULL)
		return;
	free(p->name);
	free(p->buf);
	free(p->strings);
	free(p->sample_types);
	free(p->type_names);
	free(p->unit_names);
	free(p->mappings);
	free(p->functions);
	free(p->locations);
	free(p->line_func);
	free(p->sample_off);
	free(p->sample_locs);
	free(p->values);
	free(p->comments);
	free(p->base_mark);
	free(p);
}

const char *mg_pprof_name(const mg_pprof *p)
{
	return p->name;
}

size_t mg_pprof_sample_type_count(const mg_pprof *p)
{
	return p->ntypes;
}

const char *mg_pprof_sample_type(const mg_pprof *p, size_t i)
{
	return i < p->ntypes ? p->type_names[i] : NULL;
}

const char *mg_pprof_sample_unit(const mg_pprof *p, size_t i)
{
	return i < p->ntypes ? p->unit_names[i] : NULL;
}

const char *mg_pprof_default_sample_type(const mg_pprof *p)
{
	const pp_str *s = &p->strings[p->default_sample_type];

	return s->len ? s->ptr : NULL;
}

int mg_pprof_sample_index(size_t *out, const mg_pprof *p, const char *which,
                          mg_err *err)
{
	mg_buf list = MG_BUF_INIT(1024);
	const char *noinuse;
	char *end;
	long long n;
	size_t i;
	int error;

	if (p->ntypes == 0)
		return mg_err_set(err, MG_EINPUT, "%s: profile has no samples",
		                  p->name);
	if (which == NULL || which[0] == '\0') {
		const pp_str *dst = &p->strings[p->default_sample_type];

		for (i = 0; dst->len && i < p->ntypes; i++)
			if (str_eq(&p->strings[p->sample_types[i].type],
			           dst->ptr, dst->len)) {
				*out = i;
				return 0;
			}
		*out = p->ntypes - 1;
		return 0;
	}
	errno = 0;
	n = strtoll(which, &end, 10);
	if (errno == 0 && end != which && *end == '\0') {
		if (n < 0 || (unsigned long long)n >= p->ntypes)
			return mg_err_set(err, MG_EINPUT,
			                  "%s: sample index %s is outside the "
			                  "range [0..%zu]",
			                  p->name, which, p->ntypes - 1);
		*out = (size_t)n;
		return 0;
	}
	noinuse = strncmp(which, "inuse_", 6) == 0 ? which + 6 : which;
	for (i = 0; i < p->ntypes; i++) {
		const pp_str *t = &p->strings[p->sample_types[i].type];

		if (str_eq(t, which, strlen(which)) ||
		    str_eq(t, noinuse, strlen(noinuse))) {
			*out = i;
			return 0;
		}
	}
	for (i = 0; i < p->ntypes; i++)
		mg_buf_printf(&list, "%s%s", i ? " " : "", p->type_names[i]);
	error = mg_err_set(
	        err, MG_EINPUT,
	        "%s: sample type '%s' not found; the profile has: %s", p->name,
	        which, list.ptr);
	mg_buf_release(&list);
	return error;
}

int64_t mg_pprof_time_nanos(const mg_pprof *p)
{
	return p->time_nanos;
}

int64_t mg_pprof_duration_nanos(const mg_pprof *p)
{
	return p->duration_nanos;
}

int64_t mg_pprof_period(const mg_pprof *p)
{
	return p->period;
}

size_t mg_pprof_sample_count(const mg_pprof *p)
{
	return p->nsamples;
}

size_t mg_pprof_location_count(const mg_pprof *p)
{
	return p->nlocations;
}

size_t mg_pprof_function_count(const mg_pprof *p)
{
	return p->nfunctions;
}

int64_t mg_pprof_sum(const mg_pprof *p, size_t i)
{
	uint64_t sum = 0;
	size_t s;

	if (i >= p->ntypes)
		return 0;
	for (s = 0; s < p->nsamples; s++)
		sum += (uint64_t)p->values[s * p->ntypes + i];
	return (int64_t)sum;
}

const char *mg_pprof_drop_frames(const mg_pprof *p)
{
	return p->strings[p->drop_frames].ptr;
}

const char *mg_pprof_keep_frames(const mg_pprof *p)
{
	return p->strings[p->keep_frames].ptr;
}
