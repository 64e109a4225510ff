/*
 * sampleset.c - writing and reading the JSON of a sample set. Reading
 * goes through the strict reader (jsonstrict.h), whose numbers are the
 * doubles strtod() gives, then checks the shape element by element.
 */
#include <math.h>

#include "jsonstrict.h"
#include "numfmt.h"
#include "sampleset.h"

/* Each element is 4 values (the array and its 3 numbers), plus the root. */
#define MAX_VALUES (4 * MG_SAMPLESET_MAX + 1)

static int put_int(mg_buf *b, int64_t v)
{
	char buf[24], *p = mg_numfmt_int(buf, v);

	return mg_buf_put(b, p, (size_t)(buf + 24 - p));
}

/*
 * A finite double that reads back to the same bits. Negative zero
 * becomes 0: SQLite keeps no negative zero in any REAL either.
 */
static int put_double(mg_buf *b, double v)
{
	char tmp[MG_NUMFMT_MAX];

	return mg_buf_put(b, tmp, mg_numfmt_double(tmp, v == 0 ? 0.0 : v));
}

static bool int_ok(int64_t v)
{
	return v <= MG_SAMPLESET_MAX_INT && v >= -MG_SAMPLESET_MAX_INT;
}

int mg_sampleset_encode(mg_buf *out, const mg_sample *const *s, size_t n,
                        mg_err *err)
{
	size_t i;
	int error;

	mg_buf_reset(out);
	for (i = 0; i < n; i++)
		if (!isfinite(s[i]->value) || !int_ok(s[i]->seq) ||
		    !int_ok(s[i]->iterations))
			return mg_err_set(err, MG_EINPUT, "sample #%lld: %s",
			                  (long long)s[i]->seq,
			                  isfinite(s[i]->value)
			                          ? "seq or iterations beyond "
			                            "2^53-1"
			                          : "value not finite");
	error = mg_buf_putc(out, '[');
	for (i = 0; i < n && error == 0; i++) {
		if ((error = mg_buf_puts(out, i ? ",[" : "[")) < 0 ||
		    (error = put_int(out, s[i]->seq)) < 0 ||
		    (error = mg_buf_putc(out, ',')) < 0 ||
		    (error = put_double(out, s[i]->value)) < 0 ||
		    (error = mg_buf_putc(out, ',')) < 0 ||
		    (error = put_int(out, s[i]->iterations)) < 0)
			break;
		error = mg_buf_putc(out, ']');
	}
	if (error == 0)
		error = mg_buf_putc(out, ']');
	return error < 0 ? mg_err_set(err, MG_ENOMEM, "out of memory") : 0;
}

/* An integer-valued number within MG_SAMPLESET_MAX_INT. */
static bool get_int(const cJSON *v, int64_t *out)
{
	if (!cJSON_IsNumber(v) || v->valuedouble != trunc(v->valuedouble) ||
	    fabs(v->valuedouble) > (double)MG_SAMPLESET_MAX_INT)
		return false;
	*out = (int64_t)v->valuedouble;
	return true;
}

static int decode_tree(const cJSON *root, mg_sampleset_item **items,
                       size_t *n_out, mg_err *err)
{
	mg_sampleset_item *v = NULL;
	const cJSON *e;
	size_t n, i = 0;

	if (!cJSON_IsArray(root))
		return mg_err_set(err, MG_EINPUT, "sample set: not an array");
	n = (size_t)cJSON_GetArraySize(root);
	if (n == 0)
		return mg_err_set(err, MG_EINPUT, "sample set: empty");
	v = malloc(n * sizeof(*v));
	if (v == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	cJSON_ArrayForEach(e, root)
	{
		const cJSON *seq = cJSON_GetArrayItem(e, 0);
		const cJSON *val = cJSON_GetArrayItem(e, 1);

		/* strtod makes inf of 1e999: finite values only */
		if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 3 ||
		    !get_int(seq, &v[i].seq) || !cJSON_IsNumber(val) ||
		    !isfinite(val->valuedouble) ||
		    !get_int(cJSON_GetArrayItem(e, 2), &v[i].iterations)) {
			free(v);
			return mg_err_set(err, MG_EINPUT,
			                  "sample set: element %zu: expected "
			                  "[seq, value, iterations] (integer, "
			                  "finite number, integer within "
			                  "2^53-1)",
			                  i);
		}
		v[i].value = val->valuedouble;
		if (i > 0 && v[i].seq <= v[i - 1].seq) {
			mg_err_set(
			        err, MG_EINPUT,
			        "sample set: element %zu: seq %lld after %lld "
			        "(seqs must increase)",
			        i, (long long)v[i].seq,
			        (long long)v[i - 1].seq);
			free(v);
			return MG_EINPUT;
		}
		i++;
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
	size_t bad_utf8;
	int error;

	*items = NULL;
	*n = 0;
	mg_jsonarena_init(&arena, mg_jsonstrict_tree_size(len, MAX_VALUES));
	error = mg_jsonstrict_parse(&root, &bad_utf8, &arena, text, len,
	                            MAX_VALUES, err);
	if (error == MG_ELIMIT)
		error = mg_err_set(err, MG_ELIMIT,
		                   "sample set: more than %d elements",
		                   MG_SAMPLESET_MAX);
	else if (error < 0)
		mg_err_prefix(err, "sample set");
	if (error == 0)
		error = decode_tree(root, items, n, err);
	mg_jsonarena_release(&arena);
	return error;
}
