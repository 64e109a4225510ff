/*
 * runjson.c - reading and writing the JSON run format (runjson.h,
 * schema/run.schema.json).
 *
 * Reading takes three steps over at most MG_RUNJSON_MAX_INPUT bytes:
 *  1. mg_jsonstrict_parse() checks the RFC 8259 syntax strictly (cJSON's
 *     own parser is lenient where it matters: jsonstrict.h), bounds the
 *     nesting depth and the number of values (which bounds the tree's
 *     memory) and notes the first invalid UTF-8 byte. Positions in its
 *     messages are line and column.
 *  2. It then builds the tree cJSON would build, in an arena that is
 *     dropped whole once the run is read (no malloc per node, no walk to
 *     free it). The text is known to be valid by then, so a failure
 *     there is a failed allocation.
 *  3. read_run() walks the tree into an mg_run, checking presence, types,
 *     integral numbers, sizes and UTF-8 per field so the message names it
 *     by its JSON path; then check_run() applies the format's rules
 *     (shared with the writer) and mg_run_validate() the store's. It
 *     copies every string it keeps: nothing points into the tree once
 *     the arena is gone.
 *
 * Before those, runjson_pull.c tries the document in one pass without a
 * tree, as collectors write it; at anything unusual it gives up and the
 * three steps read it (and word any message). check_run() and
 * mg_run_validate() apply to what either made.
 *
 * Writing does not go through cJSON: its printer tries "%1.15g" and keeps
 * the result when it is within an epsilon of the value, which drops the
 * last bits of doubles and of integers above 2^53, and it copies bytes
 * >= 0x80 unchecked. The writer below prints integers exactly, doubles in
 * the shortest "%.Ng" that reads back to the same value, and replaces
 * invalid UTF-8 with '?'. It streams into the caller's mg_buf, so a run
 * is never held twice.
 */
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "base64.h"
#include "jsonarena.h"
#include "jsonstrict.h"
#include "numfmt.h"
#include "runjson.h"
#include "runjson_int.h"
#include "utf8.h"

#define SHA256_HEX MG_RUNJSON__SHA256_HEX

_Static_assert(MG_RUNJSON_MAX_DEPTH == MG_JSONSTRICT_MAX_DEPTH,
               "runjson.h promises jsonstrict's depth limit");

/* ------------------------------------------------------------------ */
/* UTF-8 */

/* Offset of the first invalid UTF-8 byte of s, or len if none. */
static size_t utf8_check(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = mg_utf8_decode(p + i, len - i, NULL);
		if (n == 0)
			return i;
		i += n;
	}
	return len;
}

/*
 * Copy at most n - 1 bytes of s into a message-safe form: printable ASCII
 * stays, anything else becomes '?' (error messages travel in JSON bodies
 * and terminals).
 */
static const char *shown(char *buf, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s[i] && i < n - 1; i++)
		buf[i] =
		        (unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e
		                ? '?'
		                : s[i];
	buf[i] = '\0';
	return buf;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ------------------------------------------------------------------ */
/* JSON paths for messages */

/*
 * A path element on the caller's stack, formatted only when a message
 * needs it: "benchmarks[3].samples[0].unit".
 */
typedef struct jp {
	const struct jp *up; /* parent; NULL for the document itself */
	const char *key;     /* member name, or NULL for an array index */
	size_t index;        /* array index when key is NULL */
} jp;

static const jp ROOT = {NULL, NULL, 0};

static size_t jp_format(char *buf, size_t n, const jp *p)
{
	size_t used;
	int k;

	if (p->up == NULL) {
		buf[0] = '\0';
		return 0;
	}
	used = jp_format(buf, n, p->up);
	if (p->key) {
		char key[64];

		k = snprintf(buf + used, n - used, "%s%s", used ? "." : "",
		             shown(key, sizeof(key), p->key));
	} else {
		k = snprintf(buf + used, n - used, "[%zu]", p->index);
	}
	if (k < 0)
		return used;
	return used + (size_t)k < n ? used + (size_t)k : n - 1;
}

static int bad(mg_err *err, const jp *p, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* An input error about the field at p: "field 'x.y': <fmt>". */
static int bad(mg_err *err, const jp *p, const char *fmt, ...)
{
	char path[160], msg[MG_ERR_MSG_MAX];
	va_list ap;

	jp_format(path, sizeof(path), p);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mg_err_set(err, MG_EINPUT, "field '%s': %s", path, msg);
}

static int bad_key(mg_err *err, const jp *up, const char *key, const char *msg)
{
	jp p = {up, key, 0};

	return bad(err, &p, "%s", msg);
}

static int oom(mg_err *err)
{
	return mg_err_set(err, MG_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------ */
/* Shared checks: the format's rules on an mg_run (reader and writer) */

static bool is_hex_lower(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return s[n] == '\0';
}

static int check_sha(const char *s, const jp *p, mg_err *err)
{
	char buf[49];

	if (mg_sha_is_valid(s))
		return 0;
	return bad(err, p, "expected 40 lower-case hex digits, got '%s'",
	           shown(buf, sizeof(buf), s));
}

static int check_len(const char *s, const jp *up, const char *key, mg_err *err)
{
	if (s != NULL && strlen(s) > MG_RUN_MAX_STR) {
		jp p = {up, key, 0};

		return bad(err, &p, "longer than %d bytes", MG_RUN_MAX_STR);
	}
	return 0;
}

static int check_nonempty(const char *s, const jp *up, const char *key,
                          mg_err *err)
{
	if (s == NULL)
		return bad_key(err, up, key, "missing");
	if (s[0] == '\0')
		return bad_key(err, up, key, "empty");
	return check_len(s, up, key, err);
}

/* An integer field: |v| <= 2^53 - 1, and v >= 0 when nonneg. */
static int check_int(int64_t v, bool nonneg, const jp *up, const char *key,
                     mg_err *err)
{
	if (nonneg && v < 0)
		return bad_key(err, up, key, "negative");
	if (v > MG_RUNJSON_MAX_INT || v < -MG_RUNJSON_MAX_INT)
		return bad_key(err, up, key, "out of range (beyond 2^53-1)");
	return 0;
}

/* The nullable strings f[0..n) of base (keys naming f's items): lengths. */
static int check_strs(const void *base, const struct mg_runjson__str *f,
                      size_t n, const char *const *keys, const jp *up,
                      mg_err *err)
{
	size_t i;
	int error;

	for (i = 0; i < n; i++) {
		error = check_len(
		        *(char *const *)((const char *)base + f[i].offset), up,
		        keys[f[i].item], err);
		if (error < 0)
			return error;
	}
	return 0;
}

/* Key comparisons of model elements, for the duplicate checks. */
static int key_bench(const void *a, const void *b)
{
	const mg_bench *x = a, *y = b;
	int c = strcmp(x->package, y->package);

	if (c == 0)
		c = strcmp(x->name, y->name);
	if (c == 0)
		c = (x->procs > y->procs) - (x->procs < y->procs);
	return c;
}

static int key_sample(const void *a, const void *b)
{
	const mg_sample *x = a, *y = b;
	int c = (x->bench > y->bench) - (x->bench < y->bench);

	/* a run's samples share one copy of each unit (mg_run_add_sample) */
	if (c == 0 && x->unit != y->unit)
		c = strcmp(x->unit, y->unit);
	if (c == 0)
		c = (x->seq > y->seq) - (x->seq < y->seq);
	return c;
}

static int key_kv(const void *a, const void *b)
{
	const mg_kv *x = a, *y = b;

	return strcmp(x->key, y->key);
}

static int key_func(const void *a, const void *b)
{
	const mg_func_agg *x = a, *y = b;
	int c = (x->sample_type > y->sample_type) -
	        (x->sample_type < y->sample_type);

	if (c == 0)
		c = strcmp(x->function, y->function);
	if (c == 0)
		c = strcmp(x->file, y->file);
	return c;
}

/* The elements that find_dup() compares, and how. */
struct dup_sort {
	const char *base;                       /* element 0 */
	size_t size;                            /* bytes per element */
	int (*key)(const void *, const void *); /* compares two elements */
};

static int cmp_by_key(const void *a, const void *b, void *arg)
{
	const struct dup_sort *ds = arg;
	size_t i = *(const size_t *)a, j = *(const size_t *)b;
	int c = ds->key(ds->base + i * ds->size, ds->base + j * ds->size);

	/* Equal keys stay in index order, so the earlier one comes first. */
	return c ? c : (i > j) - (i < j);
}

/*
 * Look among the n elements whose indexes are idx[0..n) (sorted here,
 * in O(n log n)) for equal keys. If some repeat an earlier element and
 * one has a lower index than *dup (or *found is false), *found is set,
 * *dup is that index and *orig the element it repeats.
 */
static void dup_among(bool *found, size_t *dup, size_t *orig,
                      const struct dup_sort *ds, size_t *idx, size_t n)
{
	size_t i;

	if (n > 1)
		qsort_r(idx, n, sizeof(*idx), cmp_by_key, (void *)ds);
	for (i = 1; i < n; i++) {
		if (ds->key(ds->base + idx[i - 1] * ds->size,
		            ds->base + idx[i] * ds->size) != 0 ||
		    (*found && idx[i] > *dup))
			continue;
		*found = true;
		*dup = idx[i];
		*orig = idx[i - 1];
	}
}

/*
 * Look for elements with equal keys among the n elements of base (each
 * `size` bytes). If there are some, *found is set, *dup is the lowest
 * index that repeats an earlier element and *orig that one.
 */
static int find_dup(bool *found, size_t *dup, size_t *orig, const void *base,
                    size_t n, size_t size,
                    int (*key)(const void *, const void *))
{
	struct dup_sort ds = {base, size, key};
	size_t *idx, i;

	*found = false;
	*dup = *orig = 0;
	if (n < 2)
		return 0;
	idx = malloc(n * sizeof(*idx));
	if (idx == NULL)
		return MG_ENOMEM;
	for (i = 0; i < n; i++)
		idx[i] = i;
	dup_among(found, dup, orig, &ds, idx, n);
	free(idx);
	return 0;
}

static int check_config(const mg_bench *b, const jp *bp, mg_err *err)
{
	jp cp = {bp, "config", 0};
	size_t j, dup, orig;
	bool found;
	char buf[64];
	int error;

	if (b->nconfig > MG_RUNJSON_MAX_CONFIG)
		return bad(err, &cp, "more than %d entries",
		           MG_RUNJSON_MAX_CONFIG);
	for (j = 0; j < b->nconfig; j++) {
		const mg_kv *kv = &b->config[j];

		if (kv->key == NULL || kv->key[0] == '\0')
			return bad(err, &cp, "empty key");
		if (strlen(kv->key) > MG_RUN_MAX_STR)
			return bad(err, &cp, "key longer than %d bytes",
			           MG_RUN_MAX_STR);
		if (kv->value == NULL)
			return bad_key(err, &cp, kv->key, "missing");
		error = check_len(kv->value, &cp, kv->key, err);
		if (error < 0)
			return error;
	}
	if (find_dup(&found, &dup, &orig, b->config, b->nconfig,
	             sizeof(*b->config), key_kv) < 0)
		return oom(err);
	if (found)
		return bad(err, &cp, "duplicate key '%s'",
		           shown(buf, sizeof(buf), b->config[dup].key));
	return 0;
}

static int check_benches(const mg_run *run, mg_err *err)
{
	jp arr = {&ROOT, "benchmarks", 0};
	size_t i, dup, orig;
	bool found;
	int error;

	for (i = 0; i < run->nbenches; i++) {
		const mg_bench *b = &run->benches[i];
		jp bp = {&arr, NULL, i};

		if ((error = check_nonempty(b->name, &bp, "name", err)) < 0)
			return error;
		if (b->package == NULL)
			return bad_key(err, &bp, "package", "missing");
		if ((error = check_len(b->package, &bp, "package", err)) < 0)
			return error;
		if (b->procs < 0)
			return bad_key(err, &bp, "procs", "negative");
		if ((error = check_config(b, &bp, err)) < 0)
			return error;
	}
	if (find_dup(&found, &dup, &orig, run->benches, run->nbenches,
	             sizeof(*run->benches), key_bench) < 0)
		return oom(err);
	if (found) {
		jp dp = {&arr, NULL, dup};

		return bad(err, &dp,
		           "duplicate of benchmarks[%zu] (same package, name "
		           "and procs)",
		           orig);
	}
	return 0;
}

/* Position of samples[k] among the samples of its benchmark. */
static size_t sample_ordinal(const mg_run *run, size_t k)
{
	size_t i, n = 0;

	for (i = 0; i < k; i++)
		n += run->samples[i].bench == run->samples[k].bench;
	return n;
}

/*
 * *ok_unit: the unit of the last sample checked, known good. Units are
 * interned, so most samples share that very pointer and skip the check.
 */
static int check_sample(const mg_sample *s, size_t j, const char **ok_unit,
                        mg_err *err)
{
	jp arr = {&ROOT, "benchmarks", 0};
	jp bp = {&arr, NULL, s->bench};
	jp sp = {&bp, "samples", 0};
	jp ep = {&sp, NULL, j};
	char field[160];
	int error;

	if (s->unit != *ok_unit &&
	    mg_run_check_unit(s->unit, "unit", NULL) < 0) {
		jp up = {&ep, "unit", 0};

		jp_format(field, sizeof(field), &up);
		return mg_run_check_unit(s->unit, field, err);
	}
	*ok_unit = s->unit;
	if (!isfinite(s->value))
		return bad_key(err, &ep, "value", "not a finite number");
	if ((error = check_int(s->iterations, true, &ep, "iterations", err)) <
	            0 ||
	    (error = check_int(s->seq, true, &ep, "seq", err)) < 0)
		return error;
	return 0;
}

/*
 * find_dup() for the samples, whose benchmarks are known to exist:
 * grouped by benchmark first (a counting sort), so each sort takes a few
 * dozen samples instead of the run's thousands (6,000 in the ingest
 * benchmark: 0.27 ms of a 3 ms read as one sort).
 */
static int find_dup_sample(bool *found, size_t *dup, size_t *orig,
                           const mg_run *run)
{
	struct dup_sort ds = {(const char *)run->samples, sizeof(*run->samples),
	                      key_sample};
	size_t *order = NULL, *first = NULL, b;

	*found = false;
	*dup = *orig = 0;
	if (mg_run_group_samples(run, &order, &first) < 0)
		return MG_ENOMEM;
	for (b = 0; b < run->nbenches; b++)
		/* as written: no two with one unit and seq, no sort */
		if (!mg_run_in_blocks(run, order + first[b],
		                      first[b + 1] - first[b]))
			dup_among(found, dup, orig, &ds, order + first[b],
			          first[b + 1] - first[b]);
	free(order);
	free(first);
	return 0;
}

static int check_samples(const mg_run *run, mg_err *err)
{
	size_t *seen = NULL, k, dup, orig;
	const char *ok_unit = NULL;
	bool found;
	int error = 0;

	if (run->nsamples == 0)
		return 0;
	seen = calloc(run->nbenches ? run->nbenches : 1, sizeof(*seen));
	if (seen == NULL)
		return oom(err);
	for (k = 0; k < run->nsamples && error == 0; k++) {
		const mg_sample *s = &run->samples[k];

		if (s->bench >= run->nbenches)
			error = mg_err_set(err, MG_EINPUT,
			                   "field 'samples[%zu].benchmark': no "
			                   "such benchmark",
			                   k);
		else
			error = check_sample(s, seen[s->bench]++, &ok_unit,
			                     err);
	}
	free(seen);
	if (error < 0)
		return error;
	if (find_dup_sample(&found, &dup, &orig, run) < 0)
		return oom(err);
	if (found) {
		jp arr = {&ROOT, "benchmarks", 0};
		jp bp = {&arr, NULL, run->samples[dup].bench};
		jp sp = {&bp, "samples", 0};
		jp ep = {&sp, NULL, sample_ordinal(run, dup)};

		return bad(err, &ep,
		           "duplicate of samples[%zu] (same unit and seq)",
		           sample_ordinal(run, orig));
	}
	return 0;
}

/* The type part of a "type/unit" sample type. */
static size_t type_len(const char *type_unit)
{
	const char *slash = strchr(type_unit, '/');

	return slash ? (size_t)(slash - type_unit) : strlen(type_unit);
}

static int check_sample_types(const mg_profile *p, const jp *pp, mg_err *err)
{
	jp tp = {pp, "sample_types", 0};
	size_t t, u, n;
	char buf[64];

	for (t = 0; t < p->nsample_types; t++) {
		const char *s = p->sample_types[t];
		jp ti = {&tp, NULL, t};

		if (s == NULL || s[0] == '\0')
			return bad(err, &ti, "empty");
		if (strlen(s) > MG_RUN_MAX_STR)
			return bad(err, &ti, "longer than %d bytes",
			           MG_RUN_MAX_STR);
		/* The store keys function values by the type name alone. */
		n = type_len(s);
		for (u = 0; u < t; u++)
			if (type_len(p->sample_types[u]) == n &&
			    memcmp(p->sample_types[u], s, n) == 0)
				return bad(err, &ti,
				           "duplicate sample type '%s' (as "
				           "sample_types[%zu])",
				           shown(buf, sizeof(buf), s), u);
	}
	return 0;
}

static int check_funcs(const mg_profile *p, const jp *pp, mg_err *err)
{
	jp fp = {pp, "functions", 0};
	size_t j, dup, orig;
	bool found;
	int error;

	for (j = 0; j < p->nfuncs; j++) {
		const mg_func_agg *f = &p->funcs[j];
		jp fi = {&fp, NULL, j};

		if (f->sample_type >= p->nsample_types)
			return bad_key(err, &fi, "sample_type",
			               "no such sample type");
		if (f->function == NULL)
			return bad_key(err, &fi, "function", "missing");
		if (f->file == NULL)
			return bad_key(err, &fi, "file", "missing");
		if ((error = check_len(f->function, &fi, "function", err)) <
		            0 ||
		    (error = check_len(f->file, &fi, "file", err)) < 0 ||
		    (error = check_int(f->flat, false, &fi, "flat", err)) < 0 ||
		    (error = check_int(f->cum, false, &fi, "cum", err)) < 0)
			return error;
	}
	if (find_dup(&found, &dup, &orig, p->funcs, p->nfuncs,
	             sizeof(*p->funcs), key_func) < 0)
		return oom(err);
	if (found) {
		jp fi = {&fp, NULL, dup};

		return bad(err, &fi,
		           "duplicate of functions[%zu] (same sample_type, "
		           "function and file)",
		           orig);
	}
	return 0;
}

static int check_profiles(const mg_run *run, mg_err *err)
{
	jp arr = {&ROOT, "profiles", 0};
	size_t i;
	int error;

	for (i = 0; i < run->nprofiles; i++) {
		const mg_profile *p = &run->profiles[i];
		jp pp = {&arr, NULL, i};

		if ((error = check_nonempty(p->kind, &pp, "kind", err)) < 0)
			return error;
		if (p->package == NULL)
			return bad_key(err, &pp, "package", "missing");
		if ((error = check_len(p->package, &pp, "package", err)) < 0 ||
		    (error = check_len(p->default_sample_type, &pp,
		                       "default_sample_type", err)) < 0 ||
		    (error = check_sample_types(p, &pp, err)) < 0 ||
		    (error = check_funcs(p, &pp, err)) < 0)
			return error;
	}
	return 0;
}

/*
 * The format's rules on a run, with messages naming JSON paths. The reader
 * applies them to what it built, the writer before writing, so that what
 * one writes the other reads.
 */
static int check_run(const mg_run *run, mg_err *err)
{
	const mg_env *e = &run->env;
	jp cp = {&ROOT, "commit", 0}, ep = {&ROOT, "environment", 0};
	jp pr = {&ROOT, "pr", 0}, sha = {&cp, "sha", 0};
	jp parents = {&cp, "parents", 0}, base = {&pr, "base_sha", 0};
	size_t i;
	int error;

	if ((error = check_nonempty(run->project, &ROOT, "project", err)) < 0 ||
	    (error = check_strs(run, mg_runjson__run_strs, MG_RUNJSON__RUN_STRS,
	                        mg_runjson__keys_run, &ROOT, err)) < 0 ||
	    (error = check_sha(run->commit.sha, &sha, err)) < 0)
		return error;
	for (i = 0; i < run->commit.nparents; i++) {
		jp pi = {&parents, NULL, i};

		if ((error = check_sha(run->commit.parents[i], &pi, err)) < 0)
			return error;
	}
	if ((error = check_len(run->commit.author, &cp, "author", err)) < 0 ||
	    (error = check_len(run->commit.subject, &cp, "subject", err)) < 0 ||
	    (error = check_int(run->commit.commit_time, false, &cp,
	                       "commit_time", err)) < 0 ||
	    (error = check_int(run->pr_number, true, &pr, "number", err)) < 0 ||
	    (error = check_len(run->base_ref, &pr, "base_ref", err)) < 0 ||
	    (run->base_sha &&
	     (error = check_sha(run->base_sha, &base, err)) < 0) ||
	    (error = check_strs(e, mg_runjson__env_strs, E_CORES,
	                        mg_runjson__keys_env, &ep, err)) < 0 ||
	    (error = check_int(e->cores, true, &ep, "cores", err)) < 0 ||
	    (error = check_int(e->mem_bytes, true, &ep, "mem_bytes", err)) <
	            0 ||
	    (error = check_int(run->started_at, false, &ROOT, "started_at",
	                       err)) < 0 ||
	    (error = check_int(run->ended_at, false, &ROOT, "ended_at", err)) <
	            0 ||
	    (error = check_int(run->wall_ns, true, &ROOT, "wall_ns", err)) <
	            0 ||
	    (error = check_int(run->peak_rss, true, &ROOT, "peak_rss_bytes",
	                       err)) < 0)
		return error;
	if (run->status != MG_RUN_OK && run->status != MG_RUN_FAILED)
		return bad_key(err, &ROOT, "status",
		               "expected 'ok' or 'failed'");
	if ((error = check_benches(run, err)) < 0 ||
	    (error = check_samples(run, err)) < 0 ||
	    (error = check_profiles(run, err)) < 0)
		return error;
	return 0;
}

/* ------------------------------------------------------------------ */
/* SHA-256 */

void mg_runjson__sha256_hex(char out[SHA256_HEX + 1], const void *data,
                            size_t len)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned int i;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[SHA256_HEX] = '\0';
}

/* ------------------------------------------------------------------ */
/* Step 3: the tree into an mg_run */

enum { NULLABLE = 1 }; /* null is accepted and read as NULL / 0 */

/*
 * Find the members named keys[0..n) of obj; items[i] is NULL for a missing
 * one. A known key given twice is an error: readers of JSON disagree on
 * which one counts (cJSON takes the first, many others the last).
 */
static int pick(const cJSON **items, const cJSON *obj, const jp *up,
                const char *const *keys, size_t n, mg_err *err)
{
	const cJSON *c;
	size_t i, k, next = 0;

	for (i = 0; i < n; i++)
		items[i] = NULL;
	cJSON_ArrayForEach(c, obj)
	{
		if (c->string == NULL)
			continue;
		/*
		 * Try the key after the last one found first: documents list
		 * members in this order, so each one costs one comparison
		 * (there are four per sample).
		 */
		for (k = 0; k < n; k++) {
			i = next + k < n ? next + k : next + k - n;
			if (c->string[0] != keys[i][0] ||
			    strcmp(c->string, keys[i]) != 0)
				continue;
			if (items[i] != NULL)
				return bad_key(err, up, keys[i],
				               "duplicate key");
			items[i] = c;
			next = i + 1 < n ? i + 1 : 0;
			break;
		}
	}
	return 0;
}

static int get_str_at(const char **out, const cJSON *v, const jp *p,
                      unsigned flags, mg_err *err)
{
	size_t n, at;

	if (v == NULL)
		return bad(err, p, "missing");
	if ((flags & NULLABLE) && cJSON_IsNull(v)) {
		*out = NULL;
		return 0;
	}
	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return bad(err, p, "%s",
		           (flags & NULLABLE) ? "expected a string or null"
		                              : "expected a string");
	n = strlen(v->valuestring);
	if (n > MG_RUN_MAX_STR)
		return bad(err, p, "longer than %d bytes", MG_RUN_MAX_STR);
	at = utf8_check(v->valuestring, n);
	if (at < n)
		return bad(err, p, "invalid UTF-8 at byte %zu", at);
	*out = v->valuestring;
	return 0;
}

static int get_str(const char **out, const cJSON *v, const jp *up,
                   const char *key, unsigned flags, mg_err *err)
{
	jp p = {up, key, 0};

	return get_str_at(out, v, &p, flags, err);
}

/* Copy a string member into a model field. */
static int set_str(char **field, const cJSON *v, const jp *up, const char *key,
                   unsigned flags, mg_err *err)
{
	const char *s;
	int error;

	error = get_str(&s, v, up, key, flags, err);
	if (error < 0)
		return error;
	if (mg_run_set_str(field, s) < 0)
		return oom(err);
	return 0;
}

/* An integral number in [min, max]; null reads as 0 when NULLABLE. */
static int get_int(int64_t *out, const cJSON *v, const jp *up, const char *key,
                   int64_t min, int64_t max, unsigned flags, mg_err *err)
{
	jp p = {up, key, 0};
	double d;

	if (v == NULL)
		return bad(err, &p, "missing");
	if ((flags & NULLABLE) && cJSON_IsNull(v)) {
		*out = 0;
		return 0;
	}
	if (!cJSON_IsNumber(v))
		return bad(err, &p, "%s",
		           (flags & NULLABLE) ? "expected an integer or null"
		                              : "expected an integer");
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d))
		return bad(err, &p, "expected an integer, got %.17g", d);
	if (d > (double)MG_RUNJSON_MAX_INT || d < -(double)MG_RUNJSON_MAX_INT)
		return bad(err, &p, "out of range (beyond 2^53-1)");
	if ((int64_t)d < min)
		return min == 0
		               ? bad(err, &p, "negative")
		               : bad(err, &p, "less than %lld", (long long)min);
	if ((int64_t)d > max)
		return bad(err, &p, "greater than %lld", (long long)max);
	*out = (int64_t)d;
	return 0;
}

static int get_number(double *out, const cJSON *v, const jp *up,
                      const char *key, mg_err *err)
{
	if (v == NULL)
		return bad_key(err, up, key, "missing");
	if (!cJSON_IsNumber(v))
		return bad_key(err, up, key, "expected a number");
	*out = v->valuedouble;
	return 0;
}

static int get_bool(bool *out, const cJSON *v, const jp *up, const char *key,
                    mg_err *err)
{
	if (v == NULL)
		return bad_key(err, up, key, "missing");
	if (!cJSON_IsBool(v))
		return bad_key(err, up, key, "expected true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

static int get_object(const cJSON *v, const jp *up, const char *key,
                      mg_err *err)
{
	if (v == NULL)
		return bad_key(err, up, key, "missing");
	if (!cJSON_IsObject(v))
		return bad_key(err, up, key, "expected an object");
	return 0;
}

static int get_array(size_t *count, const cJSON *v, const jp *up,
                     const char *key, size_t max, mg_err *err)
{
	const cJSON *c;
	size_t n = 0;

	if (v == NULL)
		return bad_key(err, up, key, "missing");
	if (!cJSON_IsArray(v))
		return bad_key(err, up, key, "expected an array");
	cJSON_ArrayForEach(c, v)
	{
		if (++n > max) {
			jp p = {up, key, 0};

			return bad(err, &p, "more than %zu entries", max);
		}
	}
	*count = n;
	return 0;
}

/* A failure of an mg_run_add_* call after the input was checked. */
static int model_err(int code, mg_err *err)
{
	if (code == MG_ENOMEM)
		return oom(err);
	return mg_err_set(err, code, "run model refused checked input");
}

static int read_commit(mg_run *run, const cJSON *v, mg_err *err)
{
	const cJSON *it[C_N], *c;
	jp cp = {&ROOT, "commit", 0}, pa = {&cp, "parents", 0};
	jp sp = {&cp, "sha", 0};
	const char *s;
	size_t i = 0, n;
	int error;

	if ((error = get_object(v, &ROOT, "commit", err)) < 0 ||
	    (error = pick(it, v, &cp, mg_runjson__keys_commit, C_N, err)) < 0 ||
	    (error = get_str(&s, it[C_SHA], &cp, "sha", 0, err)) < 0 ||
	    (error = check_sha(s, &sp, err)) < 0)
		return error;
	memcpy(run->commit.sha, s, MG_SHA_HEX + 1);
	error = get_array(&n, it[C_PARENTS], &cp, "parents", MG_RUN_MAX_PARENTS,
	                  err);
	if (error < 0)
		return error;
	cJSON_ArrayForEach(c, it[C_PARENTS])
	{
		jp pi = {&pa, NULL, i++};

		if ((error = get_str_at(&s, c, &pi, 0, err)) < 0 ||
		    (error = check_sha(s, &pi, err)) < 0)
			return error;
		error = mg_run_add_parent(run, s);
		if (error < 0)
			return model_err(error, err);
	}
	if ((error = set_str(&run->commit.author, it[C_AUTHOR], &cp, "author",
	                     NULLABLE, err)) < 0 ||
	    (error = get_int(&run->commit.commit_time, it[C_TIME], &cp,
	                     "commit_time", -MG_RUNJSON_MAX_INT,
	                     MG_RUNJSON_MAX_INT, 0, err)) < 0 ||
	    (error = set_str(&run->commit.subject, it[C_SUBJECT], &cp,
	                     "subject", NULLABLE, err)) < 0)
		return error;
	return 0;
}

static int read_pr(mg_run *run, const cJSON *v, mg_err *err)
{
	const cJSON *it[PR_N];
	jp pp = {&ROOT, "pr", 0};
	int error;

	if (v == NULL)
		return bad_key(err, &ROOT, "pr", "missing");
	if (cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsObject(v))
		return bad_key(err, &ROOT, "pr", "expected an object or null");
	if ((error = pick(it, v, &pp, mg_runjson__keys_pr, PR_N, err)) < 0 ||
	    (error = get_int(&run->pr_number, it[PR_NUMBER], &pp, "number", 1,
	                     MG_RUNJSON_MAX_INT, NULLABLE, err)) < 0 ||
	    (error = set_str(&run->base_ref, it[PR_BASE_REF], &pp, "base_ref",
	                     NULLABLE, err)) < 0 ||
	    (error = set_str(&run->base_sha, it[PR_BASE_SHA], &pp, "base_sha",
	                     NULLABLE, err)) < 0)
		return error;
	return 0;
}

static int read_env(mg_env *e, const cJSON *v, mg_err *err)
{
	const cJSON *it[E_N];
	jp ep = {&ROOT, "environment", 0};
	size_t i;
	int error;

	if ((error = get_object(v, &ROOT, "environment", err)) < 0 ||
	    (error = pick(it, v, &ep, mg_runjson__keys_env, E_N, err)) < 0)
		return error;
	for (i = 0; i < E_CORES; i++) {
		const struct mg_runjson__str *f = &mg_runjson__env_strs[i];
		char **field = (char **)((char *)e + f->offset);

		error = set_str(field, it[f->item], &ep,
		                mg_runjson__keys_env[f->item], NULLABLE, err);
		if (error < 0)
			return error;
	}
	if ((error = get_int(&e->cores, it[E_CORES], &ep, "cores",
	                     -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0, err)) <
	            0 ||
	    (error = get_int(&e->mem_bytes, it[E_MEM], &ep, "mem_bytes",
	                     -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0, err)) <
	            0)
		return error;
	return 0;
}

static int read_config(mg_kv **out, size_t *n, const cJSON *v, const jp *bp,
                       mg_err *err)
{
	jp cp = {bp, "config", 0};
	const cJSON *c;
	const char *s;
	size_t i = 0, at, klen;
	int error;

	error = get_object(v, bp, "config", err);
	if (error < 0)
		return error;
	*n = 0;
	cJSON_ArrayForEach(c, v)
	{
		if (++*n > MG_RUNJSON_MAX_CONFIG)
			return bad(err, &cp, "more than %d entries",
			           MG_RUNJSON_MAX_CONFIG);
	}
	*out = calloc(*n ? *n : 1, sizeof(**out));
	if (*out == NULL)
		return oom(err);
	cJSON_ArrayForEach(c, v)
	{
		klen = strlen(c->string);
		if (klen > MG_RUN_MAX_STR)
			return bad(err, &cp, "key longer than %d bytes",
			           MG_RUN_MAX_STR);
		at = utf8_check(c->string, klen);
		if (at < klen)
			return bad(err, &cp,
			           "key with invalid UTF-8 at byte %zu", at);
		error = get_str(&s, c, &cp, c->string, 0, err);
		if (error < 0)
			return error;
		(*out)[i].key = c->string;
		(*out)[i].value = c->valuestring;
		i++;
	}
	return 0;
}

static int read_sample(mg_run *run, size_t bench, const cJSON *v, const jp *sp,
                       mg_err *err)
{
	const cJSON *it[SM_N];
	const char *unit;
	int64_t iterations, seq;
	double value = 0;
	int error;

	if (!cJSON_IsObject(v))
		return bad(err, sp, "expected an object");
	if ((error = pick(it, v, sp, mg_runjson__keys_sample, SM_N, err)) < 0 ||
	    (error = get_str(&unit, it[SM_UNIT], sp, "unit", 0, err)) < 0 ||
	    (error = get_number(&value, it[SM_VALUE], sp, "value", err)) < 0 ||
	    (error = get_int(&iterations, it[SM_ITERATIONS], sp, "iterations",
	                     -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0, err)) <
	            0 ||
	    (error = get_int(&seq, it[SM_SEQ], sp, "seq", -MG_RUNJSON_MAX_INT,
	                     MG_RUNJSON_MAX_INT, 0, err)) < 0)
		return error;
	error = mg_run_add_sample(run, bench, unit, value, iterations, seq);
	return error < 0 ? model_err(error, err) : 0;
}

static int read_bench(mg_run *run, const cJSON *v, const jp *bp, mg_err *err)
{
	const cJSON *it[B_N], *c;
	jp sp = {bp, "samples", 0};
	const char *name, *package;
	mg_kv *config = NULL;
	size_t nconfig = 0, idx, n, i = 0;
	int64_t procs;
	int error;

	if (!cJSON_IsObject(v))
		return bad(err, bp, "expected an object");
	if ((error = pick(it, v, bp, mg_runjson__keys_bench, B_N, err)) < 0 ||
	    (error = get_str(&name, it[B_NAME], bp, "name", 0, err)) < 0 ||
	    (error = get_str(&package, it[B_PACKAGE], bp, "package", 0, err)) <
	            0 ||
	    (error = get_int(&procs, it[B_PROCS], bp, "procs", INT_MIN, INT_MAX,
	                     0, err)) < 0 ||
	    (error = read_config(&config, &nconfig, it[B_CONFIG], bp, err)) < 0)
		goto cleanup;
	error = mg_run_append_bench(run, &idx, name, package, (int)procs,
	                            config, nconfig);
	if (error < 0) {
		error = model_err(error, err);
		goto cleanup;
	}
	error = get_array(&n, it[B_SAMPLES], bp, "samples", MG_RUN_MAX_SAMPLES,
	                  err);
	if (error < 0)
		goto cleanup;
	if (n > MG_RUN_MAX_SAMPLES - run->nsamples) {
		error = bad(err, &sp, "more than %d samples in the run",
		            MG_RUN_MAX_SAMPLES);
		goto cleanup;
	}
	cJSON_ArrayForEach(c, it[B_SAMPLES])
	{
		jp ep = {&sp, NULL, i++};

		error = read_sample(run, idx, c, &ep, err);
		if (error < 0)
			goto cleanup;
	}

cleanup:
	free(config);
	return error;
}

static int read_funcs(mg_profile *p, const cJSON *v, const jp *pp, mg_err *err)
{
	const cJSON *it[FN_N], *c;
	jp fp = {pp, "functions", 0};
	const char *type, *function, *file;
	int64_t flat, cum;
	size_t i = 0, n, t;
	int error;

	error = get_array(&n, v, pp, "functions", MG_RUN_MAX_SAMPLES, err);
	if (error < 0)
		return error;
	cJSON_ArrayForEach(c, v)
	{
		jp fi = {&fp, NULL, i++};

		if (!cJSON_IsObject(c))
			return bad(err, &fi, "expected an object");
		if ((error = pick(it, c, &fi, mg_runjson__keys_func, FN_N,
		                  err)) < 0 ||
		    (error = get_str(&type, it[FN_TYPE], &fi, "sample_type", 0,
		                     err)) < 0 ||
		    (error = get_str(&function, it[FN_FUNCTION], &fi,
		                     "function", 0, err)) < 0 ||
		    (error = get_str(&file, it[FN_FILE], &fi, "file", 0, err)) <
		            0 ||
		    (error = get_int(&flat, it[FN_FLAT], &fi, "flat",
		                     -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0,
		                     err)) < 0 ||
		    (error = get_int(&cum, it[FN_CUM], &fi, "cum",
		                     -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0,
		                     err)) < 0)
			return error;
		t = mg_profile_sample_type(p, type);
		if (t == p->nsample_types)
			return bad_key(err, &fi, "sample_type",
			               "not one of the profile's sample_types");
		error = mg_profile_add_func(p, t, function, file, flat, cum);
		if (error < 0)
			return model_err(error, err);
	}
	return 0;
}

static int read_profile(mg_run *run, const cJSON *v, const jp *pp, mg_err *err)
{
	const cJSON *it[P_N], *c;
	jp tp = {pp, "sample_types", 0}, hp = {pp, "sha256", 0};
	jp dp = {pp, "data_base64", 0};
	const char *kind, *package, *s, *dflt, *sha;
	unsigned char *data = NULL;
	char actual[SHA256_HEX + 1], path[160];
	size_t len = 0, idx, n, i = 0;
	mg_profile *p;
	int error;

	if (!cJSON_IsObject(v))
		return bad(err, pp, "expected an object");
	if ((error = pick(it, v, pp, mg_runjson__keys_profile, P_N, err)) < 0 ||
	    (error = get_str(&kind, it[P_KIND], pp, "kind", 0, err)) < 0 ||
	    (error = get_str(&package, it[P_PACKAGE], pp, "package", 0, err)) <
	            0 ||
	    (error = get_array(&n, it[P_TYPES], pp, "sample_types",
	                       MG_RUN_MAX_SAMPLE_TYPES, err)) < 0 ||
	    (error = get_str(&dflt, it[P_DEFAULT], pp, "default_sample_type",
	                     NULLABLE, err)) < 0 ||
	    (error = get_str(&sha, it[P_SHA], pp, "sha256", 0, err)) < 0)
		return error;
	if (!is_hex_lower(sha, SHA256_HEX) || strlen(sha) != SHA256_HEX)
		return bad(err, &hp, "expected 64 lower-case hex digits");
	/* data_base64 is the one string allowed past MG_RUN_MAX_STR. */
	if (it[P_DATA] == NULL)
		return bad(err, &dp, "missing");
	if (!cJSON_IsString(it[P_DATA]) || it[P_DATA]->valuestring == NULL)
		return bad(err, &dp, "expected a string");
	s = it[P_DATA]->valuestring;
	error = mg_base64_decode(&data, &len, s, strlen(s), err);
	if (error < 0) {
		jp_format(path, sizeof(path), &dp);
		mg_err_prefix(err, "field '%s'", path);
		return error;
	}
	mg_runjson__sha256_hex(actual, data, len);
	if (strcmp(actual, sha) != 0) {
		free(data);
		return bad(err, &hp,
		           "does not match data_base64, whose sha256 is %s",
		           actual);
	}
	error = mg_run_add_profile(run, &idx, kind, package, NULL, 0);
	if (error < 0) {
		free(data);
		return model_err(error, err);
	}
	/* Take the decoded bytes over rather than copy them once more. */
	p = &run->profiles[idx];
	free(p->data);
	p->data = data;
	p->len = len;
	memcpy(p->sha256, actual, sizeof(p->sha256));
	cJSON_ArrayForEach(c, it[P_TYPES])
	{
		jp ti = {&tp, NULL, i++};

		error = get_str_at(&s, c, &ti, 0, err);
		if (error < 0)
			return error;
		error = mg_profile_add_sample_type(p, s);
		if (error < 0)
			return model_err(error, err);
	}
	if (dflt && mg_run_set_str(&p->default_sample_type, dflt) < 0)
		return oom(err);
	return read_funcs(p, it[P_FUNCS], pp, err);
}

static int read_list(mg_run *run, const cJSON *v, const char *key, size_t max,
                     int (*read_one)(mg_run *, const cJSON *, const jp *,
                                     mg_err *),
                     mg_err *err)
{
	jp arr = {&ROOT, key, 0};
	const cJSON *c;
	size_t n, i = 0;
	int error;

	error = get_array(&n, v, &ROOT, key, max, err);
	if (error < 0)
		return error;
	cJSON_ArrayForEach(c, v)
	{
		jp ep = {&arr, NULL, i++};

		error = read_one(run, c, &ep, err);
		if (error < 0)
			return error;
	}
	return 0;
}

const char *const mg_runjson__keys_run[R_N] = {
        [R_FORMAT] = "format",
        [R_VERSION] = "version",
        [R_PROJECT] = "project",
        [R_CLONE_URL] = "clone_url",
        [R_DEFAULT_BRANCH] = "default_branch",
        [R_COMMIT] = "commit",
        [R_BRANCH] = "branch",
        [R_DIRTY] = "dirty",
        [R_PR] = "pr",
        [R_ENV] = "environment",
        [R_STARTED] = "started_at",
        [R_ENDED] = "ended_at",
        [R_BUILD_CMD] = "build_cmd",
        [R_BENCH_CMD] = "bench_cmd",
        [R_EXIT] = "exit_status",
        [R_WALL] = "wall_ns",
        [R_RSS] = "peak_rss_bytes",
        [R_STATUS] = "status",
        [R_LOG_TAIL] = "log_tail",
        [R_IDEMPOTENCY] = "idempotency_key",
        [R_BENCHMARKS] = "benchmarks",
        [R_PROFILES] = "profiles",
};
const char *const mg_runjson__keys_commit[C_N] = {"sha", "parents", "author",
                                                  "commit_time", "subject"};
const char *const mg_runjson__keys_pr[PR_N] = {"number", "base_ref",
                                               "base_sha"};
const char *const mg_runjson__keys_env[E_N] = {
        "os",         "kernel", "arch",       "cpu_model", "go_version",
        "gomaxprocs", "gogc",   "gomemlimit", "godebug",   "thp",
        "label",      "cores",  "mem_bytes"};
const char *const mg_runjson__keys_bench[B_N] = {"name", "package", "procs",
                                                 "config", "samples"};
const char *const mg_runjson__keys_sample[SM_N] = {"unit", "value",
                                                   "iterations", "seq"};
const char *const mg_runjson__keys_profile[P_N] = {
        "kind",        "package", "sample_types", "default_sample_type",
        "data_base64", "sha256",  "functions"};
const char *const mg_runjson__keys_func[FN_N] = {"sample_type", "function",
                                                 "file", "flat", "cum"};

const struct mg_runjson__str mg_runjson__run_strs[MG_RUNJSON__RUN_STRS] = {
        {R_CLONE_URL, offsetof(mg_run, clone_url)},
        {R_DEFAULT_BRANCH, offsetof(mg_run, default_branch)},
        {R_BRANCH, offsetof(mg_run, branch)},
        {R_BUILD_CMD, offsetof(mg_run, build_cmd)},
        {R_BENCH_CMD, offsetof(mg_run, bench_cmd)},
        {R_LOG_TAIL, offsetof(mg_run, log_tail)},
        {R_IDEMPOTENCY, offsetof(mg_run, idempotency_key)},
};
const struct mg_runjson__str mg_runjson__env_strs[E_CORES] = {
        {E_OS, offsetof(mg_env, os)},
        {E_KERNEL, offsetof(mg_env, kernel)},
        {E_ARCH, offsetof(mg_env, arch)},
        {E_CPU, offsetof(mg_env, cpu_model)},
        {E_GO, offsetof(mg_env, go_version)},
        {E_GOMAXPROCS, offsetof(mg_env, gomaxprocs)},
        {E_GOGC, offsetof(mg_env, gogc)},
        {E_GOMEMLIMIT, offsetof(mg_env, gomemlimit)},
        {E_GODEBUG, offsetof(mg_env, godebug)},
        {E_THP, offsetof(mg_env, thp)},
        {E_LABEL, offsetof(mg_env, label)},
};

/* "format" and "version" first: a document of another kind or version
 * gets that message, not one about a field it was never meant to have.
 */
static int read_header(const cJSON **it, mg_err *err)
{
	jp fp = {&ROOT, "format", 0};
	const char *format;
	int64_t version;
	char buf[64];
	int error;

	error = get_str(&format, it[R_FORMAT], &ROOT, "format", 0, err);
	if (error < 0)
		return error;
	if (strcmp(format, MG_RUNJSON_FORMAT) != 0)
		return bad(err, &fp, "expected '%s', got '%s'",
		           MG_RUNJSON_FORMAT, shown(buf, sizeof(buf), format));
	error = get_int(&version, it[R_VERSION], &ROOT, "version",
	                -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0, err);
	if (error < 0)
		return error;
	if (version != MG_RUNJSON_VERSION) {
		jp vp = {&ROOT, "version", 0};

		return bad(err, &vp,
		           "unsupported version %lld (this memgate reads "
		           "version %d)",
		           (long long)version, MG_RUNJSON_VERSION);
	}
	return 0;
}

static int read_run(mg_run *run, const cJSON *root, mg_err *err)
{
	const cJSON *it[R_N];
	jp sp = {&ROOT, "status", 0};
	const char *status;
	int64_t exit_status;
	char buf[64];
	size_t i;
	int error;

	if (!cJSON_IsObject(root))
		return mg_err_set(err, MG_EINPUT,
		                  "run document: expected a JSON object");
	if ((error = pick(it, root, &ROOT, mg_runjson__keys_run, R_N, err)) <
	            0 ||
	    (error = read_header(it, err)) < 0 ||
	    (error = set_str(&run->project, it[R_PROJECT], &ROOT, "project", 0,
	                     err)) < 0)
		return error;
	for (i = 0; i < MG_RUNJSON__RUN_STRS; i++) {
		const struct mg_runjson__str *f = &mg_runjson__run_strs[i];
		char **field = (char **)((char *)run + f->offset);

		error = set_str(field, it[f->item], &ROOT,
		                mg_runjson__keys_run[f->item], NULLABLE, err);
		if (error < 0)
			return error;
	}
	if ((error = read_commit(run, it[R_COMMIT], err)) < 0 ||
	    (error = get_bool(&run->dirty, it[R_DIRTY], &ROOT, "dirty", err)) <
	            0 ||
	    (error = read_pr(run, it[R_PR], err)) < 0 ||
	    (error = read_env(&run->env, it[R_ENV], err)) < 0 ||
	    (error = get_int(&run->started_at, it[R_STARTED], &ROOT,
	                     "started_at", -MG_RUNJSON_MAX_INT,
	                     MG_RUNJSON_MAX_INT, 0, err)) < 0 ||
	    (error = get_int(&run->ended_at, it[R_ENDED], &ROOT, "ended_at",
	                     -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0, err)) <
	            0 ||
	    (error = get_int(&exit_status, it[R_EXIT], &ROOT, "exit_status",
	                     INT_MIN, INT_MAX, 0, err)) < 0 ||
	    (error = get_int(&run->wall_ns, it[R_WALL], &ROOT, "wall_ns",
	                     -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0, err)) <
	            0 ||
	    (error = get_int(&run->peak_rss, it[R_RSS], &ROOT, "peak_rss_bytes",
	                     -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT, 0, err)) <
	            0 ||
	    (error = get_str(&status, it[R_STATUS], &ROOT, "status", 0, err)) <
	            0)
		return error;
	run->exit_status = (int)exit_status;
	if (strcmp(status, "ok") == 0)
		run->status = MG_RUN_OK;
	else if (strcmp(status, "failed") == 0)
		run->status = MG_RUN_FAILED;
	else
		return bad(err, &sp, "expected 'ok' or 'failed', got '%s'",
		           shown(buf, sizeof(buf), status));
	if ((error = read_list(run, it[R_BENCHMARKS], "benchmarks",
	                       MG_RUN_MAX_BENCHMARKS, read_bench, err)) < 0 ||
	    (error = read_list(run, it[R_PROFILES], "profiles",
	                       MG_RUN_MAX_PROFILES, read_profile, err)) < 0)
		return error;
	return 0;
}

/*
 * Steps 1 to 3 into run (initialised): the text checked, its tree, the
 * tree read.
 */
static int read_tree(mg_run *run, const char *data, size_t len, mg_err *err)
{
	mg_jsonarena arena;
	cJSON *root;
	size_t bad_utf8, line, col;
	int error;

	mg_jsonarena_init(&arena,
	                  mg_jsonstrict_tree_size(len, MG_RUNJSON_MAX_VALUES));
	error = mg_jsonstrict_parse(&root, &bad_utf8, &arena, data, len,
	                            MG_RUNJSON_MAX_VALUES, err);
	if (error == MG_ELIMIT)
		error = mg_err_set(err, MG_ELIMIT,
		                   "run document has more than %d JSON values",
		                   MG_RUNJSON_MAX_VALUES);
	else if (error == MG_ENOMEM)
		error = mg_err_set(err, MG_ENOMEM,
		                   "out of memory parsing the run document");
	if (error < 0) {
		mg_jsonarena_release(&arena);
		return error;
	}
	error = read_run(run, root, err);
	/* read_run() copied what it keeps: the tree goes with the arena. */
	mg_jsonarena_release(&arena);
	/* Only strings that no field reads are left to report this way. */
	if (error == 0 && bad_utf8 < len) {
		mg_jsonstrict_line_col(data, bad_utf8, &line, &col);
		error = mg_err_set(err, MG_EINPUT,
		                   "invalid UTF-8 at line %zu, column %zu",
		                   line, col);
	}
	return error;
}

static bool pull_on = true;
static unsigned long pulled; /* documents the one pass read */

void mg_runjson_set_pull(bool on)
{
	pull_on = on;
}

unsigned long mg_runjson_pulled(void)
{
	return __atomic_load_n(&pulled, __ATOMIC_RELAXED);
}

int mg_runjson_read(mg_run *out, const char *data, size_t len, mg_err *err)
{
	mg_run run;
	int error = 0;

	if (len == 0)
		return mg_err_set(err, MG_EINPUT, "empty run document");
	if (len > MG_RUNJSON_MAX_INPUT)
		return mg_err_set(err, MG_ELIMIT,
		                  "run document larger than %d bytes",
		                  MG_RUNJSON_MAX_INPUT);
	mg_run_init(&run);
	/*
	 * The usual document in one pass (runjson_pull.c); anything else,
	 * and every message, through the tree.
	 */
	if (pull_on && mg_runjson__pull(&run, data, len)) {
		__atomic_fetch_add(&pulled, 1, __ATOMIC_RELAXED);
	} else {
		mg_run_release(&run);
		mg_run_init(&run);
		error = read_tree(&run, data, len, err);
	}
	if (error == 0)
		error = check_run(&run, err);
	if (error == 0)
		error = mg_run_validate(&run, err);
	if (error < 0) {
		mg_run_release(&run);
		return error;
	}
	*out = run;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Writing */

struct writer {
	mg_buf *out;
	size_t values; /* as jsonstrict counts them: MG_RUNJSON_MAX_VALUES */
	int error;     /* the first append error; later appends do nothing */
};

static void w_put(struct writer *w, const char *s, size_t n)
{
	if (w->error == 0)
		w->error = mg_buf_put(w->out, s, n);
}

/* Punctuation and keys, written as they are: ",\"sha\":" */
static void w_lit(struct writer *w, const char *s)
{
	w_put(w, s, strlen(s));
}

static void w_str(struct writer *w, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, n, k;
	char esc[8];

	w->values++;
	if (s == NULL) {
		w_lit(w, "null");
		return;
	}
	n = strlen(s);
	w_put(w, "\"", 1);
	while (i < n) {
		unsigned char c = p[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			k = mg_utf8_decode(p + i, n - i, NULL);
			if (k > 0) {
				i += k;
				continue;
			}
		}
		w_put(w, s + start, i - start);
		switch (c) {
		case '"':
			w_lit(w, "\\\"");
			break;
		case '\\':
			w_lit(w, "\\\\");
			break;
		case '\n':
			w_lit(w, "\\n");
			break;
		case '\t':
			w_lit(w, "\\t");
			break;
		case '\r':
			w_lit(w, "\\r");
			break;
		default:
			/* An invalid UTF-8 byte keeps its one byte of room. */
			if (c >= 0x80) {
				w_lit(w, "?");
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				w_lit(w, esc);
			}
		}
		start = ++i;
	}
	w_put(w, s + start, n - start);
	w_put(w, "\"", 1);
}

static void w_int(struct writer *w, int64_t v)
{
	char buf[24], *p = mg_numfmt_int(buf, v);

	w->values++;
	w_put(w, p, (size_t)(buf + 24 - p));
}

/* v (finite) as the shortest text that reads back as v. */
static void w_double(struct writer *w, double v)
{
	char buf[MG_NUMFMT_MAX];
	size_t n = mg_numfmt_double(buf, v);

	w->values++;
	w_put(w, buf, n);
}

static void w_bool(struct writer *w, bool v)
{
	w->values++;
	w_lit(w, v ? "true" : "false");
}

static void w_open(struct writer *w, const char *text)
{
	w->values++;
	w_lit(w, text);
}

static void w_commit(struct writer *w, const mg_commit *c)
{
	size_t i;

	w_open(w, ",\"commit\":{");
	w_lit(w, "\"sha\":");
	w_str(w, c->sha);
	w_open(w, ",\"parents\":[");
	for (i = 0; i < c->nparents; i++) {
		if (i)
			w_lit(w, ",");
		w_str(w, c->parents[i]);
	}
	w_lit(w, "],\"author\":");
	w_str(w, c->author);
	w_lit(w, ",\"commit_time\":");
	w_int(w, c->commit_time);
	w_lit(w, ",\"subject\":");
	w_str(w, c->subject);
	w_lit(w, "}");
}

static void w_pr(struct writer *w, const mg_run *run)
{
	w_lit(w, ",\"pr\":");
	if (run->pr_number == 0 && run->base_ref == NULL &&
	    run->base_sha == NULL) {
		w->values++;
		w_lit(w, "null");
		return;
	}
	w_open(w, "{\"number\":");
	if (run->pr_number > 0) {
		w_int(w, run->pr_number);
	} else {
		w->values++;
		w_lit(w, "null");
	}
	w_lit(w, ",\"base_ref\":");
	w_str(w, run->base_ref);
	w_lit(w, ",\"base_sha\":");
	w_str(w, run->base_sha);
	w_lit(w, "}");
}

static void w_env(struct writer *w, const mg_env *e)
{
	w_open(w, ",\"environment\":{\"os\":");
	w_str(w, e->os);
	w_lit(w, ",\"kernel\":");
	w_str(w, e->kernel);
	w_lit(w, ",\"arch\":");
	w_str(w, e->arch);
	w_lit(w, ",\"cpu_model\":");
	w_str(w, e->cpu_model);
	w_lit(w, ",\"cores\":");
	w_int(w, e->cores);
	w_lit(w, ",\"mem_bytes\":");
	w_int(w, e->mem_bytes);
	w_lit(w, ",\"go_version\":");
	w_str(w, e->go_version);
	w_lit(w, ",\"gomaxprocs\":");
	w_str(w, e->gomaxprocs);
	w_lit(w, ",\"gogc\":");
	w_str(w, e->gogc);
	w_lit(w, ",\"gomemlimit\":");
	w_str(w, e->gomemlimit);
	w_lit(w, ",\"godebug\":");
	w_str(w, e->godebug);
	w_lit(w, ",\"thp\":");
	w_str(w, e->thp);
	w_lit(w, ",\"label\":");
	w_str(w, e->label);
	w_lit(w, "}");
}

/*
 * Benchmarks with their samples: order[first[b]..first[b + 1]) lists the
 * samples of benchmark b in run order (mg_run_group_samples).
 */
static void w_benches(struct writer *w, const mg_run *run, const size_t *order,
                      const size_t *first)
{
	size_t i, j;

	w_open(w, ",\"benchmarks\":[");
	for (i = 0; i < run->nbenches; i++) {
		const mg_bench *b = &run->benches[i];

		w_open(w, i ? ",{\"name\":" : "{\"name\":");
		w_str(w, b->name);
		w_lit(w, ",\"package\":");
		w_str(w, b->package);
		w_lit(w, ",\"procs\":");
		w_int(w, b->procs);
		w_open(w, ",\"config\":{");
		for (j = 0; j < b->nconfig; j++) {
			if (j)
				w_lit(w, ",");
			/* A key is a string, but not a value to count. */
			w_str(w, b->config[j].key);
			w->values--;
			w_lit(w, ":");
			w_str(w, b->config[j].value);
		}
		w_open(w, "},\"samples\":[");
		for (j = first[i]; j < first[i + 1]; j++) {
			const mg_sample *s = &run->samples[order[j]];

			w_open(w, j > first[i] ? ",{\"unit\":" : "{\"unit\":");
			w_str(w, s->unit);
			w_lit(w, ",\"value\":");
			w_double(w, s->value);
			w_lit(w, ",\"iterations\":");
			w_int(w, s->iterations);
			w_lit(w, ",\"seq\":");
			w_int(w, s->seq);
			w_lit(w, "}");
		}
		w_lit(w, "]}");
	}
	w_lit(w, "]");
}

static void w_profile(struct writer *w, const mg_profile *p, bool comma)
{
	char sha[SHA256_HEX + 1];
	size_t j;

	w_open(w, comma ? ",{\"kind\":" : "{\"kind\":");
	w_str(w, p->kind);
	w_lit(w, ",\"package\":");
	w_str(w, p->package);
	w_open(w, ",\"sample_types\":[");
	for (j = 0; j < p->nsample_types; j++) {
		if (j)
			w_lit(w, ",");
		w_str(w, p->sample_types[j]);
	}
	w_lit(w, "],\"default_sample_type\":");
	w_str(w, p->default_sample_type);
	w_lit(w, ",\"data_base64\":\"");
	w->values++;
	if (w->error == 0)
		w->error = mg_base64_encode(w->out, p->data, p->len);
	mg_runjson__sha256_hex(sha, p->data, p->len);
	w_lit(w, "\",\"sha256\":");
	w_str(w, sha);
	w_open(w, ",\"functions\":[");
	for (j = 0; j < p->nfuncs; j++) {
		const mg_func_agg *f = &p->funcs[j];

		w_open(w, j ? ",{\"sample_type\":" : "{\"sample_type\":");
		w_str(w, p->sample_types[f->sample_type]);
		w_lit(w, ",\"function\":");
		w_str(w, f->function);
		w_lit(w, ",\"file\":");
		w_str(w, f->file);
		w_lit(w, ",\"flat\":");
		w_int(w, f->flat);
		w_lit(w, ",\"cum\":");
		w_int(w, f->cum);
		w_lit(w, "}");
	}
	w_lit(w, "]}");
}

static void w_run(struct writer *w, const mg_run *run, const size_t *order,
                  const size_t *first)
{
	size_t i;

	w_open(w, "{\"format\":");
	w_str(w, MG_RUNJSON_FORMAT);
	w_lit(w, ",\"version\":");
	w_int(w, MG_RUNJSON_VERSION);
	w_lit(w, ",\"project\":");
	w_str(w, run->project);
	w_lit(w, ",\"clone_url\":");
	w_str(w, run->clone_url);
	w_lit(w, ",\"default_branch\":");
	w_str(w, run->default_branch);
	w_commit(w, &run->commit);
	w_lit(w, ",\"branch\":");
	w_str(w, run->branch);
	w_lit(w, ",\"dirty\":");
	w_bool(w, run->dirty);
	w_pr(w, run);
	w_env(w, &run->env);
	w_lit(w, ",\"started_at\":");
	w_int(w, run->started_at);
	w_lit(w, ",\"ended_at\":");
	w_int(w, run->ended_at);
	w_lit(w, ",\"build_cmd\":");
	w_str(w, run->build_cmd);
	w_lit(w, ",\"bench_cmd\":");
	w_str(w, run->bench_cmd);
	w_lit(w, ",\"exit_status\":");
	w_int(w, run->exit_status);
	w_lit(w, ",\"wall_ns\":");
	w_int(w, run->wall_ns);
	w_lit(w, ",\"peak_rss_bytes\":");
	w_int(w, run->peak_rss);
	w_lit(w, ",\"status\":");
	w_str(w, run->status == MG_RUN_OK ? "ok" : "failed");
	w_lit(w, ",\"log_tail\":");
	w_str(w, run->log_tail);
	w_lit(w, ",\"idempotency_key\":");
	w_str(w, run->idempotency_key);
	w_benches(w, run, order, first);
	w_open(w, ",\"profiles\":[");
	for (i = 0; i < run->nprofiles; i++)
		w_profile(w, &run->profiles[i], i > 0);
	w_lit(w, "]}");
}

int mg_runjson_write(mg_buf *out, const mg_run *run, mg_err *err)
{
	struct writer w = {out, 0, 0};
	size_t start = out->len, max = out->max;
	size_t *order = NULL, *first = NULL;
	int error;

	/* check_run() also makes sure every sample's benchmark exists. */
	error = check_run(run, err);
	if (error == 0)
		error = mg_run_validate(run, err);
	if (error < 0)
		return error;
	if (mg_run_group_samples(run, &order, &first) < 0)
		return oom(err);
	/* The reader's input limit, through the buffer's own limit. */
	if (out->max - out->len > (size_t)MG_RUNJSON_MAX_INPUT)
		out->max = out->len + MG_RUNJSON_MAX_INPUT;
	w_run(&w, run, order, first);
	out->max = max;
	free(order);
	free(first);
	if (w.error == MG_ELIMIT)
		error = mg_err_set(
		        err, MG_ELIMIT, "run document larger than %zu bytes",
		        out->max - start < (size_t)MG_RUNJSON_MAX_INPUT
		                ? out->max - start
		                : (size_t)MG_RUNJSON_MAX_INPUT);
	else if (w.error < 0)
		error = oom(err);
	else if (w.values > MG_RUNJSON_MAX_VALUES)
		error = mg_err_set(err, MG_ELIMIT,
		                   "run has %zu JSON values, more than the run "
		                   "format's %d",
		                   w.values, MG_RUNJSON_MAX_VALUES);
	if (error < 0)
		mg_buf_truncate(out, start);
	return error;
}
