/*
 * histchunk.c - see histchunk.h. A chunk is read with the strict
 * reader's cursor (jsonstrict.h), no tree: the history of 10,000 commits
 * is 625 chunks. Text it does not take goes through the strict reader's
 * tree, which says what is wrong.
 */
#include <math.h>
#include <string.h>

#include "histchunk.h"
#include "jsonstrict.h"
#include "numfmt.h"
#include "sampleset.h"

/* Each point is 7 values (its array and 6 numbers), plus the root. */
#define MAX_VALUES (7 * (MG_HISTCHUNK_MAX + 1) + 1)

int mg_histchunk_add(mg_buf *out, const mg_histchunk_point *pt, mg_err *err)
{
	const int64_t ints[3] = {pt->commit_time, pt->commit_id, pt->n};
	const double reals[3] = {pt->median, pt->min, pt->max};
	char el[3 * 24 + 3 * MG_NUMFMT_MAX + 8], *p = el;
	size_t i;

	if (!mg_sampleset_int_ok(pt->commit_time) ||
	    !mg_sampleset_int_ok(pt->commit_id) ||
	    !mg_sampleset_int_ok(pt->n) || pt->commit_id < 1 || pt->n < 1 ||
	    !isfinite(pt->median) || !isfinite(pt->min) || !isfinite(pt->max))
		return mg_err_set(err, MG_EINPUT,
		                  "history point of commit %lld: a value out "
		                  "of range",
		                  (long long)pt->commit_id);
	/* put together here, appended at once */
	*p++ = out->len ? ',' : '[';
	*p++ = '[';
	for (i = 0; i < 3; i++) {
		p += mg_numfmt_int_at(p, ints[i]);
		*p++ = ',';
	}
	for (i = 0; i < 3; i++) {
		/* no negative zero: SQLite keeps none in a REAL */
		p += mg_numfmt_double(p, reals[i] == 0 ? 0.0 : reals[i]);
		*p++ = i < 2 ? ',' : ']';
	}
	if (mg_buf_put(out, el, (size_t)(p - el)) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	return 0;
}

int mg_histchunk_end(mg_buf *out, mg_err *err)
{
	if (mg_buf_puts(out, out->len ? "]" : "[]") < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	return 0;
}

int mg_histchunk_cmp(const mg_histchunk_point *a, const mg_histchunk_point *b)
{
	if (a->commit_time != b->commit_time)
		return a->commit_time < b->commit_time ? -1 : 1;
	return (a->commit_id > b->commit_id) - (a->commit_id < b->commit_id);
}

/*
 * The six numbers of an element into p, if they are what a point holds
 * (strtod makes inf of 1e999: finite values only).
 */
static bool point_of(const double d[6], mg_histchunk_point *p)
{
	if (!mg_sampleset_int_of(d[0], &p->commit_time) ||
	    !mg_sampleset_int_of(d[1], &p->commit_id) ||
	    !mg_sampleset_int_of(d[2], &p->n) || p->commit_id < 1 || p->n < 1 ||
	    !isfinite(d[3]) || !isfinite(d[4]) || !isfinite(d[5]))
		return false;
	p->median = d[3];
	p->min = d[4];
	p->max = d[5];
	return true;
}

/* One element with the cursor: "[" six numbers "]". */
static bool pull_point(mg_jsoncur *c, mg_histchunk_point *p)
{
	double d[6];

	return mg_jsoncur_numbers(c, d, 6) && point_of(d, p);
}

/* The whole text with the cursor: false at anything it does not take. */
static bool pull(const char *text, size_t len, mg_histchunk_point *out,
                 size_t *n)
{
	mg_jsoncur c;
	size_t i = 0;
	bool more = false, ok;

	mg_jsoncur_init(&c, text, len, MAX_VALUES);
	ok = mg_jsoncur_enter(&c, '[');
	while (ok && (ok = mg_jsoncur_more(&c, ']', i, &more)) && more) {
		ok = i < MG_HISTCHUNK_MAX && pull_point(&c, &out[i]) &&
		     (i == 0 || mg_histchunk_cmp(&out[i - 1], &out[i]) < 0);
		i++;
	}
	ok = ok && i > 0 && mg_jsoncur_end(&c);
	mg_jsoncur_free(&c);
	*n = i;
	return ok;
}

static int decode_tree(const cJSON *root, mg_histchunk_point *out, size_t *n,
                       mg_err *err)
{
	const cJSON *e;
	size_t i = 0;

	if (!cJSON_IsArray(root))
		return mg_err_set(err, MG_EINPUT,
		                  "history chunk: not an array");
	if (cJSON_GetArraySize(root) == 0)
		return mg_err_set(err, MG_EINPUT, "history chunk: empty");
	if (cJSON_GetArraySize(root) > MG_HISTCHUNK_MAX)
		return mg_err_set(err, MG_EINPUT,
		                  "history chunk: more than %d points",
		                  MG_HISTCHUNK_MAX);
	cJSON_ArrayForEach(e, root)
	{
		mg_histchunk_point *p = &out[i];
		const cJSON *x;
		double d[6];
		size_t k = 0;

		cJSON_ArrayForEach(x, e)
		{
			if (k == 6 || !cJSON_IsNumber(x))
				break;
			d[k++] = x->valuedouble;
		}
		if (!cJSON_IsArray(e) || k != 6 || x != NULL || !point_of(d, p))
			return mg_err_set(
			        err, MG_EINPUT,
			        "history chunk: element %zu: expected "
			        "[commit_time, commit_id, n, median, "
			        "min, max] (integers within 2^53-1, "
			        "commit_id and n from 1, finite "
			        "numbers)",
			        i);
		if (i > 0 && mg_histchunk_cmp(&out[i - 1], p) >= 0)
			return mg_err_set(err, MG_EINPUT,
			                  "history chunk: element %zu: commit "
			                  "(%lld, %lld) not after (%lld, %lld)",
			                  i, (long long)p->commit_time,
			                  (long long)p->commit_id,
			                  (long long)out[i - 1].commit_time,
			                  (long long)out[i - 1].commit_id);
		i++;
	}
	*n = i;
	return 0;
}

int mg_histchunk_decode(const char *text, size_t len,
                        mg_histchunk_point out[MG_HISTCHUNK_MAX], size_t *n,
                        mg_err *err)
{
	mg_jsonarena arena;
	cJSON *root = NULL;
	size_t bad_utf8;
	int error;

	if (pull(text, len, out, n))
		return 0;
	*n = 0;
	mg_jsonarena_init(&arena, mg_jsonstrict_tree_size(len, MAX_VALUES));
	error = mg_jsonstrict_parse(&root, &bad_utf8, &arena, text, len,
	                            MAX_VALUES, err);
	if (error == MG_ELIMIT)
		error = mg_err_set(err, MG_EINPUT,
		                   "history chunk: more than %d points",
		                   MG_HISTCHUNK_MAX);
	else if (error < 0)
		mg_err_prefix(err, "history chunk");
	if (error == 0)
		error = decode_tree(root, out, n, err);
	if (error < 0)
		*n = 0;
	mg_jsonarena_release(&arena);
	return error;
}
