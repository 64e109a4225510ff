/*
 * runjson_pull.c - a run document read in one pass, straight into an
 * mg_run: runjson.c's fast path (runjson_int.h).
 *
 * The tree reader goes over the text twice (jsonstrict.c's check, then its
 * tree) and makes a node per value before read_run() looks at a field,
 * so that any message can name its field by path. Under load that was a
 * third of the server's CPU per upload. Documents as collectors write
 * them are all alike: each object's members once, and the ones that
 * others depend on first (as mg_runjson_write() orders them). This reader
 * takes those with jsonstrict's cursor and makes the mg_run calls
 * read_run() makes, after the same checks.
 *
 * At anything else it gives up, without a word: an unknown or repeated
 * member, a wrong type, a string that is not UTF-8, a value out of range,
 * a member before one it needs (a benchmark's samples before its name,
 * package, procs or config; a profile's sample types before its kind and
 * package, or its other members but sha256 before them). mg_runjson_read()
 * then reads the text again through the tree, so every message still
 * comes from there, with its path. Giving up is always safe; what it
 * accepts must come out as the very run the tree reader would make
 * (runjson_fuzzer reads each input both ways and compares the two).
 */
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "jsonstrict.h"
#include "runjson.h"
#include "runjson_int.h"

#define NONE ((size_t)-1) /* the offset of a null string */
#define ANY_INT -MG_RUNJSON_MAX_INT, MG_RUNJSON_MAX_INT
#define BIT(k) (UINT32_C(1) << (k))

struct pull {
	mg_jsoncur cur;
	mg_run *run;
	/*
	 * NUL-terminated copies of the strings an object needs at once (a
	 * benchmark's name, package and config), by offset: a pointer would
	 * not survive the buffer's growth. Cut back after each object.
	 */
	mg_buf tmp;
};

/*
 * Read the value of member k of an object; bit j of seen is set when
 * member j came before it (object() checks that none comes twice).
 */
typedef bool (*member_fn)(struct pull *p, size_t k, uint32_t seen, void *ctx);
/* Read element i of an array. */
typedef bool (*element_fn)(struct pull *p, size_t i, void *ctx);

/* Which of keys[0..n) s is, trying hint first; n if none. */
static size_t find_key(const char *s, size_t len, const char *const *keys,
                       size_t n, size_t hint)
{
	size_t i, k;

	for (k = 0; k < n; k++) {
		i = hint + k < n ? hint + k : hint + k - n;
		/* neither keys[] nor the cursor's strings hold a NUL byte */
		if (keys[i][0] == s[0] && strncmp(keys[i], s, len) == 0 &&
		    keys[i][len] == '\0')
			return i;
	}
	return n;
}

/*
 * The object at the cursor, with each of keys[0..n) once (read_run()
 * wants them all) and nothing else; member() reads each value.
 */
static bool object(struct pull *p, const char *const *keys, size_t n,
                   member_fn member, void *ctx)
{
	uint32_t seen = 0;
	const char *s;
	size_t i, k, len, next = 0;
	bool more;

	if (!mg_jsoncur_enter(&p->cur, '{'))
		return false;
	for (i = 0;; i++) {
		if (!mg_jsoncur_more(&p->cur, '}', i, &more))
			return false;
		if (!more)
			break;
		if (!mg_jsoncur_key(&p->cur, &s, &len) || len == 0)
			return false;
		/* documents list the members in order: one comparison each */
		k = find_key(s, len, keys, n, next);
		if (k == n || (seen & BIT(k)) || !member(p, k, seen, ctx))
			return false;
		seen |= BIT(k);
		next = k + 1 < n ? k + 1 : 0;
	}
	return seen == BIT(n) - 1;
}

_Static_assert(R_N < 32, "object() keeps a bit per member");

/* The array at the cursor, at most max elements, each read by element(). */
static bool array(struct pull *p, size_t max, element_fn element, void *ctx)
{
	size_t i;
	bool more;

	if (!mg_jsoncur_enter(&p->cur, '['))
		return false;
	for (i = 0;; i++) {
		if (!mg_jsoncur_more(&p->cur, ']', i, &more))
			return false;
		if (!more)
			return true;
		if (i == max || !element(p, i, ctx))
			return false;
	}
}

/*
 * A string of at most MG_RUN_MAX_STR bytes, or null when nullable, copied
 * into tmp: *off is where, NONE for null.
 */
static bool str(struct pull *p, bool nullable, size_t *off)
{
	const char *s;
	size_t n;

	if (nullable && mg_jsoncur_null(&p->cur)) {
		*off = NONE;
		return true;
	}
	if (!mg_jsoncur_string(&p->cur, &s, &n) || n > MG_RUN_MAX_STR)
		return false;
	*off = p->tmp.len;
	return mg_buf_put(&p->tmp, s, n) == 0 &&
	       mg_buf_putc(&p->tmp, '\0') == 0;
}

static const char *at(const struct pull *p, size_t off)
{
	return off == NONE ? NULL : p->tmp.ptr + off;
}

/* A string member into a field of the model (which copies it). */
static bool set(struct pull *p, char **field, bool nullable)
{
	size_t base = p->tmp.len, off;
	bool ok;

	ok = str(p, nullable, &off) && mg_run_set_str(field, at(p, off)) == 0;
	mg_buf_truncate(&p->tmp, base);
	return ok;
}

/*
 * Nullable string member k into the field of base that table f[0..n)
 * lists for it (mg_runjson__run_strs, mg_runjson__env_strs).
 */
static bool set_listed(struct pull *p, void *base,
                       const struct mg_runjson__str *f, size_t n, size_t k)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((size_t)f[i].item == k)
			return set(p, (char **)((char *)base + f[i].offset),
			           true);
	return false;
}

/* An integral number in [min, max] (null as 0 when nullable): get_int(). */
static bool integer(struct pull *p, int64_t min, int64_t max, bool nullable,
                    int64_t *out)
{
	double d;

	if (nullable && mg_jsoncur_null(&p->cur)) {
		*out = 0;
		return true;
	}
	if (!mg_jsoncur_number(&p->cur, &d) || !isfinite(d) || d != floor(d) ||
	    d > (double)MG_RUNJSON_MAX_INT || d < -(double)MG_RUNJSON_MAX_INT ||
	    (int64_t)d < min || (int64_t)d > max)
		return false;
	*out = (int64_t)d;
	return true;
}

/* Whether the n bytes at s are lit. */
static bool is(const char *s, size_t n, const char *lit)
{
	return n == strlen(lit) && memcmp(s, lit, n) == 0;
}

/* A commit sha (40 lower-case hex digits) into out. */
static bool sha(struct pull *p, char out[MG_SHA_HEX + 1])
{
	const char *s;
	size_t n;

	if (!mg_jsoncur_string(&p->cur, &s, &n) || n != MG_SHA_HEX)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return mg_sha_is_valid(out);
}

/* ---- the run and its small objects -------------------------------------- */

static bool parent(struct pull *p, size_t i, void *ctx)
{
	char s[MG_SHA_HEX + 1];

	(void)i;
	(void)ctx;
	return sha(p, s) && mg_run_add_parent(p->run, s) == 0;
}

static bool commit_member(struct pull *p, size_t k, uint32_t seen, void *ctx)
{
	mg_commit *c = &p->run->commit;

	(void)seen;
	(void)ctx;
	switch (k) {
	case C_SHA:
		return sha(p, c->sha);
	case C_PARENTS:
		return array(p, MG_RUN_MAX_PARENTS, parent, NULL);
	case C_AUTHOR:
		return set(p, &c->author, true);
	case C_TIME:
		return integer(p, ANY_INT, false, &c->commit_time);
	case C_SUBJECT:
		return set(p, &c->subject, true);
	}
	return false;
}

static bool pr_member(struct pull *p, size_t k, uint32_t seen, void *ctx)
{
	mg_run *run = p->run;

	(void)seen;
	(void)ctx;
	switch (k) {
	case PR_NUMBER:
		return integer(p, 1, MG_RUNJSON_MAX_INT, true, &run->pr_number);
	case PR_BASE_REF:
		return set(p, &run->base_ref, true);
	case PR_BASE_SHA:
		return set(p, &run->base_sha, true);
	}
	return false;
}

static bool env_member(struct pull *p, size_t k, uint32_t seen, void *ctx)
{
	mg_env *e = &p->run->env;

	(void)seen;
	(void)ctx;
	if (k == E_CORES)
		return integer(p, ANY_INT, false, &e->cores);
	if (k == E_MEM)
		return integer(p, ANY_INT, false, &e->mem_bytes);
	return set_listed(p, e, mg_runjson__env_strs, E_CORES, k);
}

static bool bench(struct pull *p, size_t i, void *ctx);
static bool profile(struct pull *p, size_t i, void *ctx);

static bool run_member(struct pull *p, size_t k, uint32_t seen, void *ctx)
{
	mg_run *run = p->run;
	const char *s;
	int64_t v;
	size_t n;

	(void)seen;
	(void)ctx;
	switch (k) {
	case R_FORMAT:
		return mg_jsoncur_string(&p->cur, &s, &n) &&
		       is(s, n, MG_RUNJSON_FORMAT);
	case R_VERSION:
		return integer(p, ANY_INT, false, &v) &&
		       v == MG_RUNJSON_VERSION;
	case R_PROJECT:
		return set(p, &run->project, false);
	case R_COMMIT:
		return object(p, mg_runjson__keys_commit, C_N, commit_member,
		              NULL);
	case R_DIRTY:
		return mg_jsoncur_bool(&p->cur, &run->dirty);
	case R_PR:
		return mg_jsoncur_null(&p->cur) ||
		       object(p, mg_runjson__keys_pr, PR_N, pr_member, NULL);
	case R_ENV:
		return object(p, mg_runjson__keys_env, E_N, env_member, NULL);
	case R_STARTED:
		return integer(p, ANY_INT, false, &run->started_at);
	case R_ENDED:
		return integer(p, ANY_INT, false, &run->ended_at);
	case R_EXIT:
		if (!integer(p, INT_MIN, INT_MAX, false, &v))
			return false;
		run->exit_status = (int)v;
		return true;
	case R_WALL:
		return integer(p, ANY_INT, false, &run->wall_ns);
	case R_RSS:
		return integer(p, ANY_INT, false, &run->peak_rss);
	case R_STATUS:
		if (!mg_jsoncur_string(&p->cur, &s, &n) ||
		    !(is(s, n, "ok") || is(s, n, "failed")))
			return false;
		run->status = is(s, n, "ok") ? MG_RUN_OK : MG_RUN_FAILED;
		return true;
	case R_BENCHMARKS:
		return array(p, MG_RUN_MAX_BENCHMARKS, bench, NULL);
	case R_PROFILES:
		return array(p, MG_RUN_MAX_PROFILES, profile, NULL);
	}
	return set_listed(p, run, mg_runjson__run_strs, MG_RUNJSON__RUN_STRS,
	                  k);
}

/* ---- benchmarks ---------------------------------------------------------- */

struct bench {
	size_t name, package; /* offsets in tmp */
	int64_t procs;
	size_t config[2 * MG_RUNJSON_MAX_CONFIG]; /* key, value, ... */
	size_t nconfig;
	size_t idx; /* in run->benches, once appended */
};

struct sample {
	size_t unit;
	double value;
	int64_t iterations, seq;
};

static bool sample_member(struct pull *p, size_t k, uint32_t seen, void *ctx)
{
	struct sample *s = ctx;

	(void)seen;
	switch (k) {
	case SM_UNIT:
		return str(p, false, &s->unit);
	case SM_VALUE:
		return mg_jsoncur_number(&p->cur, &s->value);
	case SM_ITERATIONS:
		return integer(p, ANY_INT, false, &s->iterations);
	case SM_SEQ:
		return integer(p, ANY_INT, false, &s->seq);
	}
	return false;
}

/* The n bytes of lit, next in the text (no whitespace before them). */
static bool lit(mg_jsoncur *c, const char *lit, size_t n)
{
	if (c->len - c->pos < n || memcmp(c->data + c->pos, lit, n) != 0)
		return false;
	c->pos += n;
	return true;
}

#define LIT(c, s) lit(c, s, sizeof(s) - 1)

/*
 * A sample exactly as mg_runjson_write() writes it, its members in order
 * and no whitespace between them: matched byte for byte, without a key
 * lookup or a copy of the unit to tmp (a run has thousands of samples).
 * false, and the cursor where it was, for any other form.
 */
static bool sample_as_written(struct pull *p, struct sample *s,
                              char unit[MG_UNIT_MAX + 1])
{
	mg_jsoncur *c = &p->cur;
	size_t pos = c->pos, values = c->values, n;
	const char *u;

	if (mg_jsoncur_enter(c, '{') && LIT(c, "\"unit\":") &&
	    mg_jsoncur_string(c, &u, &n) && n <= MG_UNIT_MAX &&
	    LIT(c, ",\"value\":") && mg_jsoncur_number(c, &s->value) &&
	    LIT(c, ",\"iterations\":") &&
	    integer(p, ANY_INT, false, &s->iterations) && LIT(c, ",\"seq\":") &&
	    integer(p, ANY_INT, false, &s->seq) && LIT(c, "}")) {
		memcpy(unit, u, n);
		unit[n] = '\0';
		return true;
	}
	c->pos = pos;
	c->values = values;
	return false;
}

static bool sample(struct pull *p, size_t i, void *ctx)
{
	const struct bench *b = ctx;
	size_t base = p->tmp.len;
	char unit[MG_UNIT_MAX + 1];
	struct sample s;
	bool ok;

	(void)i;
	/* read_bench() bounds the run's samples, not only this array's */
	if (p->run->nsamples >= MG_RUN_MAX_SAMPLES)
		return false;
	if (sample_as_written(p, &s, unit))
		return mg_run_add_sample(p->run, b->idx, unit, s.value,
		                         s.iterations, s.seq) == 0;
	ok = object(p, mg_runjson__keys_sample, SM_N, sample_member, &s) &&
	     mg_run_add_sample(p->run, b->idx, at(p, s.unit), s.value,
	                       s.iterations, s.seq) == 0;
	mg_buf_truncate(&p->tmp, base);
	return ok;
}

/* A benchmark's config: any keys, string values. */
static bool config(struct pull *p, struct bench *b)
{
	const char *s;
	size_t i, n;
	bool more;

	if (!mg_jsoncur_enter(&p->cur, '{'))
		return false;
	for (i = 0;; i++) {
		if (!mg_jsoncur_more(&p->cur, '}', i, &more))
			return false;
		if (!more)
			return true;
		if (i == MG_RUNJSON_MAX_CONFIG ||
		    !mg_jsoncur_key(&p->cur, &s, &n) || n > MG_RUN_MAX_STR)
			return false;
		b->config[2 * i] = p->tmp.len;
		if (mg_buf_put(&p->tmp, s, n) < 0 ||
		    mg_buf_putc(&p->tmp, '\0') < 0 ||
		    !str(p, false, &b->config[2 * i + 1]))
			return false;
		b->nconfig = i + 1;
	}
}

/* Append the benchmark: its samples need its index. */
static bool append_bench(struct pull *p, struct bench *b)
{
	mg_kv kv[MG_RUNJSON_MAX_CONFIG];
	size_t i;

	for (i = 0; i < b->nconfig; i++) {
		kv[i].key = (char *)at(p, b->config[2 * i]);
		kv[i].value = (char *)at(p, b->config[2 * i + 1]);
	}
	return mg_run_append_bench(p->run, &b->idx, at(p, b->name),
	                           at(p, b->package), (int)b->procs, kv,
	                           b->nconfig) == 0;
}

static bool bench_member(struct pull *p, size_t k, uint32_t seen, void *ctx)
{
	struct bench *b = ctx;

	switch (k) {
	case B_NAME:
		return str(p, false, &b->name);
	case B_PACKAGE:
		return str(p, false, &b->package);
	case B_PROCS:
		return integer(p, INT_MIN, INT_MAX, false, &b->procs);
	case B_CONFIG:
		return config(p, b);
	case B_SAMPLES:
		/* the benchmark is appended with all the members before */
		return seen == BIT(B_SAMPLES) - 1 && append_bench(p, b) &&
		       array(p, MG_RUN_MAX_SAMPLES, sample, b);
	}
	return false;
}

static bool bench(struct pull *p, size_t i, void *ctx)
{
	size_t base = p->tmp.len;
	struct bench b;
	bool ok;

	(void)i;
	(void)ctx;
	b.nconfig = 0;
	ok = object(p, mg_runjson__keys_bench, B_N, bench_member, &b);
	mg_buf_truncate(&p->tmp, base);
	return ok;
}

/* ---- profiles ------------------------------------------------------------ */

struct profile {
	size_t kind, package; /* offsets in tmp */
	size_t idx;           /* in run->profiles, once added */
	char sha[MG_RUNJSON__SHA256_HEX + 1];
};

static mg_profile *prof(struct pull *p, const struct profile *pr)
{
	return &p->run->profiles[pr->idx];
}

static bool sample_type(struct pull *p, size_t i, void *ctx)
{
	size_t base = p->tmp.len, off;
	bool ok;

	(void)i;
	ok = str(p, false, &off) &&
	     mg_profile_add_sample_type(prof(p, ctx), at(p, off)) == 0;
	mg_buf_truncate(&p->tmp, base);
	return ok;
}

struct func {
	size_t type, function, file; /* offsets in tmp */
	int64_t flat, cum;
};

static bool func_member(struct pull *p, size_t k, uint32_t seen, void *ctx)
{
	struct func *f = ctx;

	(void)seen;
	switch (k) {
	case FN_TYPE:
		return str(p, false, &f->type);
	case FN_FUNCTION:
		return str(p, false, &f->function);
	case FN_FILE:
		return str(p, false, &f->file);
	case FN_FLAT:
		return integer(p, ANY_INT, false, &f->flat);
	case FN_CUM:
		return integer(p, ANY_INT, false, &f->cum);
	}
	return false;
}

static bool func(struct pull *p, size_t i, void *ctx)
{
	mg_profile *pf = prof(p, ctx);
	size_t base = p->tmp.len, t;
	struct func f;
	bool ok;

	(void)i;
	ok = object(p, mg_runjson__keys_func, FN_N, func_member, &f);
	if (ok) {
		t = mg_profile_sample_type(pf, at(p, f.type));
		ok = t < pf->nsample_types &&
		     mg_profile_add_func(pf, t, at(p, f.function),
		                         at(p, f.file), f.flat, f.cum) == 0;
	}
	mg_buf_truncate(&p->tmp, base);
	return ok;
}

/* The profile's text, decoded; taken over by the profile as read_profile(). */
static bool data(struct pull *p, mg_profile *pf)
{
	mg_err err = MG_ERR_INIT;
	unsigned char *bytes = NULL;
	const char *s;
	size_t n, len = 0;

	/* the one string allowed past MG_RUN_MAX_STR */
	if (!mg_jsoncur_string(&p->cur, &s, &n) ||
	    mg_base64_decode(&bytes, &len, s, n, &err) < 0)
		return false;
	free(pf->data);
	pf->data = bytes;
	pf->len = len;
	return true;
}

static bool profile_member(struct pull *p, size_t k, uint32_t seen, void *ctx)
{
	const uint32_t named = BIT(P_KIND) | BIT(P_PACKAGE);
	struct profile *pr = ctx;
	const char *s;
	size_t base, off, n;
	bool ok;

	/*
	 * The profile is made at its sample_types, from its kind and
	 * package; the members that fill it in come after.
	 */
	if (k != P_KIND && k != P_PACKAGE && k != P_SHA && k != P_TYPES &&
	    !(seen & BIT(P_TYPES)))
		return false;
	switch (k) {
	case P_KIND:
		return str(p, false, &pr->kind);
	case P_PACKAGE:
		return str(p, false, &pr->package);
	case P_TYPES:
		return (seen & named) == named &&
		       mg_run_add_profile(p->run, &pr->idx, at(p, pr->kind),
		                          at(p, pr->package), NULL, 0) == 0 &&
		       array(p, MG_RUN_MAX_SAMPLE_TYPES, sample_type, pr);
	case P_DEFAULT:
		/* set only when a string: as read_profile() */
		base = p->tmp.len;
		ok = str(p, true, &off) &&
		     (off == NONE ||
		      mg_run_set_str(&prof(p, pr)->default_sample_type,
		                     at(p, off)) == 0);
		mg_buf_truncate(&p->tmp, base);
		return ok;
	case P_DATA:
		return data(p, prof(p, pr));
	case P_SHA:
		if (!mg_jsoncur_string(&p->cur, &s, &n) ||
		    n != MG_RUNJSON__SHA256_HEX)
			return false;
		memcpy(pr->sha, s, n);
		pr->sha[n] = '\0';
		return true;
	case P_FUNCS:
		return array(p, MG_RUN_MAX_SAMPLES, func, pr);
	}
	return false;
}

static bool profile(struct pull *p, size_t i, void *ctx)
{
	size_t base = p->tmp.len;
	struct profile pr;
	char actual[MG_RUNJSON__SHA256_HEX + 1];
	mg_profile *pf;
	bool ok;

	(void)i;
	(void)ctx;
	ok = object(p, mg_runjson__keys_profile, P_N, profile_member, &pr);
	mg_buf_truncate(&p->tmp, base);
	if (!ok)
		return false;
	/* every member was there: the profile was added and has its data */
	pf = prof(p, &pr);
	mg_runjson__sha256_hex(actual, pf->data, pf->len);
	if (strcmp(actual, pr.sha) != 0)
		return false;
	memcpy(pf->sha256, actual, sizeof(pf->sha256));
	return true;
}

/* ------------------------------------------------------------------------ */

bool mg_runjson__pull(mg_run *run, const char *data, size_t len)
{
	struct pull p;
	bool ok;

	mg_jsoncur_init(&p.cur, data, len, MG_RUNJSON_MAX_VALUES);
	p.run = run;
	mg_buf_init(&p.tmp, MG_BUF_NOLIMIT);
	ok = object(&p, mg_runjson__keys_run, R_N, run_member, NULL) &&
	     mg_jsoncur_end(&p.cur);
	mg_jsoncur_free(&p.cur);
	mg_buf_release(&p.tmp);
	return ok;
}
