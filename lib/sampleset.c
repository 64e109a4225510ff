/*
 * sampleset.c - writing and reading the JSON of a sample set. Reading
 * goes through the strict reader (jsonstrict.h), whose numbers are the
 * doubles strtod() gives, then checks the shape element by element.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jsonstrict.h"
#include "numfmt.h"
#include "sampleset.h"

/* Each element is 4 values (the array and its 3 numbers), plus the root. */
#define MAX_VALUES (4 * MG_SAMPLESET_MAX + 1)

bool mg_sampleset_int_ok(int64_t v)
{
	return v <= MG_SAMPLESET_MAX_INT && v >= -MG_SAMPLESET_MAX_INT;
}

bool mg_sampleset_int_of(double d, int64_t *out)
{
	if (d != trunc(d) || fabs(d) > (double)MG_SAMPLESET_MAX_INT)
		return false;
	*out = (int64_t)d;
	return true;
}

int mg_sampleset_encode(mg_buf *out, const mg_sample *const *s, size_t n,
                        mg_err *err)
{
	size_t i;
	int error;

	mg_buf_reset(out);
	for (i = 0; i < n; i++)
		if (!isfinite(s[i]->value) || !mg_sampleset_int_ok(s[i]->seq) ||
		    !mg_sampleset_int_ok(s[i]->iterations))
			return mg_err_set(err, MG_EINPUT, "sample #%lld: %s",
			                  (long long)s[i]->seq,
			                  isfinite(s[i]->value)
			                          ? "seq or iterations beyond "
			                            "2^53-1"
			                          : "value not finite");
	/*
	 * Each element is put together here and appended at once: a run's
	 * 6,000 samples made 42,000 appends of a few bytes otherwise.
	 */
	for (i = 0, error = 0; i < n && error == 0; i++) {
		char el[2 * 24 + MG_NUMFMT_MAX + 8], *p = el;
		/* no negative zero: SQLite keeps none in a REAL either */
		double v = s[i]->value == 0 ? 0.0 : s[i]->value;

		*p++ = i ? ',' : '[';
		*p++ = '[';
		p += mg_numfmt_int_at(p, s[i]->seq);
		*p++ = ',';
		p += mg_numfmt_double(p, v);
		*p++ = ',';
		p += mg_numfmt_int_at(p, s[i]->iterations);
		*p++ = ']';
		if (i + 1 == n)
			*p++ = ']';
		error = mg_buf_put(out, el, (size_t)(p - el));
	}
	if (error == 0 && n == 0)
		error = mg_buf_puts(out, "[]");
	return error < 0 ? mg_err_set(err, MG_ENOMEM, "out of memory") : 0;
}

/* An integer-valued number within MG_SAMPLESET_MAX_INT. */
static bool get_int(const cJSON *v, int64_t *out)
{
	return cJSON_IsNumber(v) && mg_sampleset_int_of(v->valuedouble, out);
}

/*
 * The elements of the set `arr` (an array of n > 0) into v[0..n). The
 * message starts "sample set", which callers prefix with where it is.
 */
static int decode_items(const cJSON *arr, mg_sampleset_item *v, mg_err *err)
{
	const cJSON *e;
	size_t i = 0;

	cJSON_ArrayForEach(e, arr)
	{
		const cJSON *seq = cJSON_GetArrayItem(e, 0);
		const cJSON *val = cJSON_GetArrayItem(e, 1);

		/* strtod makes inf of 1e999: finite values only */
		if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 3 ||
		    !get_int(seq, &v[i].seq) || !cJSON_IsNumber(val) ||
		    !isfinite(val->valuedouble) ||
		    !get_int(cJSON_GetArrayItem(e, 2), &v[i].iterations))
			return mg_err_set(err, MG_EINPUT,
			                  "sample set: element %zu: expected "
			                  "[seq, value, iterations] (integer, "
			                  "finite number, integer within "
			                  "2^53-1)",
			                  i);
		v[i].value = val->valuedouble;
		if (i > 0 && v[i].seq <= v[i - 1].seq)
			return mg_err_set(
			        err, MG_EINPUT,
			        "sample set: element %zu: seq %lld after %lld "
			        "(seqs must increase)",
			        i, (long long)v[i].seq,
			        (long long)v[i - 1].seq);
		i++;
	}
	return 0;
}

/* The number of elements of `root` if it is a non-empty array, else 0. */
static size_t set_size(const cJSON *root, mg_err *err)
{
	if (!cJSON_IsArray(root)) {
		mg_err_set(err, MG_EINPUT, "sample set: not an array");
		return 0;
	}
	if (cJSON_GetArraySize(root) == 0)
		mg_err_set(err, MG_EINPUT, "sample set: empty");
	return (size_t)cJSON_GetArraySize(root);
}

/*
 * text[0..len) into *root, in *arena (the caller releases it), at most
 * max values; MG_ELIMIT says "more than MG_SAMPLESET_MAX <items>". The
 * messages start with `what`.
 */
static int parse(mg_jsonarena *arena, cJSON **root, const char *text,
                 size_t len, size_t max, const char *what, const char *items,
                 mg_err *err)
{
	size_t bad_utf8;
	int error;

	mg_jsonarena_init(arena, mg_jsonstrict_tree_size(len, max));
	error = mg_jsonstrict_parse(root, &bad_utf8, arena, text, len, max,
	                            err);
	if (error == MG_ELIMIT)
		return mg_err_set(err, MG_ELIMIT, "%s: more than %d %s", what,
		                  MG_SAMPLESET_MAX, items);
	if (error < 0)
		mg_err_prefix(err, "%s", what);
	return error;
}

static int decode_tree(const cJSON *root, mg_sampleset_item **items,
                       size_t *n_out, mg_err *err)
{
	mg_sampleset_item *v;
	size_t n = set_size(root, err);

	if (n == 0)
		return MG_EINPUT;
	v = malloc(n * sizeof(*v));
	if (v == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if (decode_items(root, v, err) < 0) {
		free(v);
		return MG_EINPUT;
	}
	*items = v;
	*n_out = n;
	return 0;
}

int mg_sampleset_decode(const char *text, size_t len, mg_sampleset_item **items,
                        size_t *n, mg_err *err)
{
	mg_jsonarena arena;
	cJSON *root = NULL;
	int error;

	*items = NULL;
	*n = 0;
	error = parse(&arena, &root, text, len, MAX_VALUES, "sample set",
	              "elements", err);
	if (error == 0)
		error = decode_tree(root, items, n, err);
	mg_jsonarena_release(&arena);
	return error;
}

/* ---- a run's sets ------------------------------------------------------ */

/*
 * The run text's values: each sample is 4 (its array and 3 numbers), each
 * entry 3 more plus its set's array, and an entry has a sample at least.
 */
#define RUN_MAX_VALUES (8 * (size_t)MG_SAMPLESET_MAX + 1)

/* An mg_buf append's error (0 passes) as the run text's message. */
static int buf_error(int error, mg_err *err)
{
	if (error == 0)
		return 0;
	return mg_err_set(err, error, "run samples: %s",
	                  error == MG_ENOMEM ? "out of memory" : "too long");
}

int mg_sampleset_run_add(mg_buf *out, int64_t bench_id, const char *unit,
                         const char *set, size_t len, mg_err *err)
{
	char num[24];
	size_t i, n;
	int error;

	if (bench_id < 1 || bench_id > MG_SAMPLESET_MAX_INT)
		return mg_err_set(err, MG_EINPUT, "benchmark id %lld",
		                  (long long)bench_id);
	n = mg_numfmt_int_at(num, bench_id);
	/* the sets' text is most of it: one growth for the entry */
	error = mg_buf_grow(out, len + strlen(unit) + 32);
	if (error == 0)
		error = mg_buf_puts(out, out->len ? ",[" : "[[");
	if (error == 0)
		error = mg_buf_put(out, num, n);
	if (error == 0)
		error = mg_buf_put(out, ",\"", 2);
	/* unit names are printable ASCII: only " and \ need escaping */
	for (i = 0; error == 0 && unit[i]; i++) {
		if (unit[i] == '"' || unit[i] == '\\')
			error = mg_buf_putc(out, '\\');
		if (error == 0)
			error = mg_buf_putc(out, unit[i]);
	}
	if (error == 0)
		error = mg_buf_put(out, "\",", 2);
	if (error == 0)
		error = mg_buf_put(out, set, len);
	if (error == 0)
		error = mg_buf_putc(out, ']');
	return buf_error(error, err);
}

int mg_sampleset_run_end(mg_buf *out, mg_err *err)
{
	int error = mg_buf_puts(out, out->len ? "]" : "[]");

	return buf_error(error, err);
}

void mg_sampleset_run_free(mg_sampleset_run *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r->items);
	free(r->units);
	memset(r, 0, sizeof(*r));
}

static int cmp_entry(const void *a, const void *b)
{
	const mg_sampleset_entry *x = a, *y = b;

	if (x->bench_id != y->bench_id)
		return x->bench_id < y->bench_id ? -1 : 1;
	return strcmp(x->unit, y->unit);
}

/*
 * Entry i (`e`) of the run's array into out->v[i], its samples from
 * out->items[out->nitems], its unit copied to *units.
 */
static int decode_entry(mg_sampleset_run *out, const cJSON *e, size_t i,
                        char **units, mg_err *err)
{
	const cJSON *id = cJSON_GetArrayItem(e, 0);
	const cJSON *unit = cJSON_GetArrayItem(e, 1);
	const cJSON *set = cJSON_GetArrayItem(e, 2);
	mg_sampleset_entry *en = &out->v[i];
	size_t n;
	int64_t bench_id;

	if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 3 ||
	    !get_int(id, &bench_id) || bench_id < 1 || !cJSON_IsString(unit))
		return mg_err_set(err, MG_EINPUT,
		                  "run samples: entry %zu: expected [benchmark "
		                  "id, unit, set] (integer from 1, string, "
		                  "array)",
		                  i);
	if (mg_run_check_unit(unit->valuestring, "unit", err) < 0) {
		mg_err_prefix(err, "run samples: entry %zu", i);
		return MG_EINPUT;
	}
	n = set_size(set, err);
	if (n == 0 || decode_items(set, out->items + out->nitems, err) < 0) {
		mg_err_prefix(err,
		              "run samples: entry %zu (benchmark %lld, "
		              "unit '%s')",
		              i, (long long)bench_id, unit->valuestring);
		return MG_EINPUT;
	}
	en->bench_id = bench_id;
	en->unit = *units;
	en->first = out->nitems;
	en->n = n;
	out->nitems += n;
	n = strlen(unit->valuestring) + 1;
	memcpy(*units, unit->valuestring, n);
	*units += n;
	return 0;
}

int mg_sampleset_run_decode(mg_sampleset_run *out, const char *text, size_t len,
                            mg_err *err)
{
	mg_jsonarena arena;
	cJSON *root = NULL;
	const cJSON *e, *set;
	size_t n, items = 0, unit_bytes = 0, i = 0;
	char *units;
	int error;

	memset(out, 0, sizeof(*out));
	error = parse(&arena, &root, text, len, RUN_MAX_VALUES, "run samples",
	              "samples", err);
	if (error < 0)
		goto cleanup;
	if (!cJSON_IsArray(root)) {
		error = mg_err_set(err, MG_EINPUT, "run samples: not an array");
		goto cleanup;
	}
	/* sizes first, so that nothing grows while entries point into it */
	cJSON_ArrayForEach(e, root)
	{
		const cJSON *unit = cJSON_GetArrayItem(e, 1);

		set = cJSON_GetArrayItem(e, 2);
		if (cJSON_IsArray(set))
			items += (size_t)cJSON_GetArraySize(set);
		if (cJSON_IsString(unit))
			unit_bytes += strlen(unit->valuestring) + 1;
	}
	if (items > MG_SAMPLESET_MAX) {
		error = mg_err_set(err, MG_ELIMIT,
		                   "run samples: more than %d samples",
		                   MG_SAMPLESET_MAX);
		goto cleanup;
	}
	n = (size_t)cJSON_GetArraySize(root);
	out->v = malloc((n ? n : 1) * sizeof(*out->v));
	out->items = malloc((items ? items : 1) * sizeof(*out->items));
	out->units = units = malloc(unit_bytes ? unit_bytes : 1);
	if (out->v == NULL || out->items == NULL || units == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	cJSON_ArrayForEach(e, root)
	{
		if ((error = decode_entry(out, e, i, &units, err)) < 0)
			goto cleanup;
		i++;
	}
	out->n = n;
	if (n > 1)
		qsort(out->v, n, sizeof(*out->v), cmp_entry);
	for (i = 1; i < n; i++)
		if (cmp_entry(&out->v[i - 1], &out->v[i]) == 0) {
			error = mg_err_set(err, MG_EINPUT,
			                   "run samples: benchmark %lld, unit "
			                   "'%s' twice",
			                   (long long)out->v[i].bench_id,
			                   out->v[i].unit);
			goto cleanup;
		}

cleanup:
	if (error < 0)
		out->n = 0;
	mg_jsonarena_release(&arena);
	return error;
}

/* ---- a run's sets in one pass ------------------------------------------ */

/* What pull_run() has taken so far. */
struct pull {
	mg_sampleset_run *out;
	size_t vcap, icap;
	size_t ulen, ucap; /* out->units: the kept entries' units, in order */
};

/* A set's elements appended to p->out->items; false: not as written. */
static bool pull_set(mg_jsoncur *c, struct pull *p, size_t *n, bool *oom)
{
	mg_sampleset_run *out = p->out;
	bool more;
	size_t k;

	if (!mg_jsoncur_enter(c, '['))
		return false;
	for (k = 0;; k++) {
		mg_sampleset_item *it;
		double d[3];

		if (!mg_jsoncur_more(c, ']', k, &more))
			return false;
		if (!more)
			break;
		if (!mg_jsoncur_numbers(c, d, 3))
			return false;
		if (out->nitems >= MG_SAMPLESET_MAX)
			return false;
		if (mg_array_grow((void **)&out->items, &p->icap, out->nitems,
		                  sizeof(*out->items)) < 0) {
			*oom = true;
			return false;
		}
		it = &out->items[out->nitems];
		if (!mg_sampleset_int_of(d[0], &it->seq) || !isfinite(d[1]) ||
		    !mg_sampleset_int_of(d[2], &it->iterations) ||
		    (k > 0 && it->seq <= it[-1].seq))
			return false;
		it->value = d[1];
		out->nitems++;
	}
	*n = k;
	return k > 0;
}

/*
 * One entry. The previous one's key is *prev_id, prev[0..*prev_len) (in
 * the text); it becomes this one's.
 */
static bool pull_entry(mg_jsoncur *c, struct pull *p, size_t i,
                       int64_t *prev_id, const char **prev, size_t *prev_len,
                       mg_sampleset_keep_fn keep, void *arg, bool *oom)
{
	mg_sampleset_run *out = p->out;
	mg_sampleset_entry *en;
	mg_err err = MG_ERR_INIT;
	const char *unit;
	size_t len, first = out->nitems, n;
	int64_t id;
	double d;
	bool more;
	int cmp;

	if (!mg_jsoncur_enter(c, '[') || !mg_jsoncur_more(c, ']', 0, &more) ||
	    !more || !mg_jsoncur_number(c, &d) ||
	    !mg_sampleset_int_of(d, &id) || id < 1 ||
	    !mg_jsoncur_more(c, ']', 1, &more) || !more ||
	    !mg_jsoncur_string(c, &unit, &len))
		return false;
	/* a unit with an escape is not in the text: the tree reads it */
	if (unit < c->data || unit >= c->data + c->len)
		return false;
	/* strictly after the previous entry: sorted, no key twice */
	cmp = i == 0 ? 1 : id != *prev_id ? (id > *prev_id ? 1 : -1) : 0;
	if (cmp == 0) {
		cmp = memcmp(unit, *prev, len < *prev_len ? len : *prev_len);
		if (cmp == 0)
			cmp = len > *prev_len ? 1 : len < *prev_len ? -1 : 0;
	}
	if (cmp <= 0)
		return false;
	*prev_id = id;
	*prev = unit;
	*prev_len = len;
	/* the unit, NUL-terminated, checked; kept only with the entry */
	if (mg_array_grow((void **)&out->units, &p->ucap, p->ulen + len, 1) <
	    0) {
		*oom = true;
		return false;
	}
	memcpy(out->units + p->ulen, unit, len);
	out->units[p->ulen + len] = '\0';
	if (mg_run_check_unit(out->units + p->ulen, "unit", &err) < 0)
		return false;
	if (!mg_jsoncur_more(c, ']', 2, &more) || !more)
		return false;
	if (keep && !keep(id, arg)) {
		if (!mg_jsoncur_skip_numbers(c))
			return false;
	} else {
		if (!pull_set(c, p, &n, oom))
			return false;
		if (mg_array_grow((void **)&out->v, &p->vcap, out->n,
		                  sizeof(*out->v)) < 0) {
			*oom = true;
			return false;
		}
		en = &out->v[out->n++];
		en->bench_id = id;
		en->unit = NULL; /* pointed at once out->units stops moving */
		en->first = first;
		en->n = n;
		p->ulen += len + 1;
	}
	return mg_jsoncur_more(c, ']', 3, &more) && !more;
}

/* The whole text as the store writes it; false: anything else. */
static bool pull_run(mg_sampleset_run *out, const char *text, size_t len,
                     mg_sampleset_keep_fn keep, void *arg, bool *oom)
{
	struct pull p = {out, 0, 0, 0, 0};
	const char *prev = NULL;
	size_t prev_len = 0, i;
	int64_t prev_id = 0;
	mg_jsoncur c;
	bool ok, more;
	char *u;

	mg_jsoncur_init(&c, text, len, RUN_MAX_VALUES);
	ok = mg_jsoncur_enter(&c, '[');
	for (i = 0; ok; i++) {
		ok = mg_jsoncur_more(&c, ']', i, &more);
		if (!ok || !more)
			break;
		ok = pull_entry(&c, &p, i, &prev_id, &prev, &prev_len, keep,
		                arg, oom);
	}
	ok = ok && mg_jsoncur_end(&c);
	mg_jsoncur_free(&c);
	if (!ok)
		return false;
	/* the kept entries' units lie in out->units in their order */
	for (i = 0, u = out->units; i < out->n; i++) {
		out->v[i].unit = u;
		u += strlen(u) + 1;
	}
	return true;
}

int mg_sampleset_run_read(mg_sampleset_run *out, const char *text, size_t len,
                          mg_sampleset_keep_fn keep, void *arg, mg_err *err)
{
	bool oom = false;
	size_t i, j;
	int error;

	memset(out, 0, sizeof(*out));
	if (pull_run(out, text, len, keep, arg, &oom))
		return 0;
	mg_sampleset_run_free(out);
	if (oom)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_sampleset_run_decode(out, text, len, err);
	if (error < 0 || keep == NULL)
		return error;
	for (i = j = 0; i < out->n; i++)
		if (keep(out->v[i].bench_id, arg))
			out->v[j++] = out->v[i];
	out->n = j;
	return 0;
}
