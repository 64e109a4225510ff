/*
 * metrics.c - memgate metrics document and Bencher Metric Format readers
 * (formats in metrics.h). cJSON builds the tree; values are checked one
 * by one before they become samples.
 */
#include <math.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "jsonpos.h"
#include "metrics.h"
#include "stats.h"

/* Largest integer a double holds exactly (cJSON reads numbers so). */
#define MAX_EXACT 9007199254740991.0

struct ctx {
	const char *data;
	size_t len;
	const char *name;
	mg_err *err;
	bool bmf; /* paths start at the top, not at "benchmarks" */
};

/*
 * "<name>:<line>: field '<path>': <what>"; bench, unit and key may be
 * NULL to stop the path early.
 */
static int fail(struct ctx *c, int code, const char *bench, const char *unit,
                const char *key, const char *what)
{
	mg_jsonpos_step path[4];
	size_t n = 0;

	if (!c->bmf)
		path[n++] = (mg_jsonpos_step){"benchmarks", 0};
	if (bench != NULL) {
		path[n++] = (mg_jsonpos_step){bench, 0};
		if (unit != NULL) {
			path[n++] = (mg_jsonpos_step){unit, 0};
			if (key != NULL)
				path[n++] = (mg_jsonpos_step){key, 0};
		}
	}
	return mg_err_set(c->err, code, "%s:%zu: field '%s%s%s%s%s%s%s': %s",
	                  c->name, mg_jsonpos_line(c->data, c->len, path, n),
	                  c->bmf ? "" : "benchmarks",
	                  bench && !c->bmf ? "." : "", bench ? bench : "",
	                  unit ? "." : "", unit ? unit : "", key ? "." : "",
	                  key ? key : "", what);
}

static cJSON *parse(struct ctx *c, size_t max, int *error)
{
	const char *end = NULL;
	cJSON *root;

	if (c->len > max) {
		*error = mg_err_set(c->err, MG_ELIMIT,
		                    "%s: larger than %zu bytes", c->name, max);
		return NULL;
	}
	root = cJSON_ParseWithLengthOpts(c->data, c->len, &end, 0);
	if (root == NULL) {
		size_t pos = end != NULL && end >= c->data
		                     ? (size_t)(end - c->data)
		                     : c->len;

		*error = mg_err_set(c->err, MG_EINPUT, "%s:%zu: invalid JSON",
		                    c->name,
		                    mg_jsonpos_line_at(c->data, c->len, pos));
		return NULL;
	}
	if (!cJSON_IsObject(root)) {
		*error = mg_err_set(c->err, MG_EINPUT,
		                    "%s:1: expected a JSON object", c->name);
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

/* Add benchmark `name`, refusing one the run already has. */
static int new_bench(mg_run *run, size_t *bench, const cJSON *b, struct ctx *c)
{
	size_t before = run->nbenches;
	int error;

	if (b->string == NULL || b->string[0] == '\0')
		return fail(c, MG_EINPUT, "", NULL, NULL,
		            "empty benchmark name");
	if (strlen(b->string) > MG_RUN_MAX_STR)
		return fail(c, MG_ELIMIT, b->string, NULL, NULL,
		            "name longer than MG_RUN_MAX_STR");
	if (!cJSON_IsObject(b))
		return fail(c, MG_EINPUT, b->string, NULL, NULL,
		            "expected an object of units");
	error = mg_run_add_bench(run, bench, b->string, "", 0, NULL, 0);
	if (error == MG_ELIMIT)
		return fail(c, MG_ELIMIT, b->string, NULL, NULL,
		            "more benchmarks than MG_RUN_MAX_BENCHMARKS");
	if (error < 0)
		return mg_err_set(c->err, error, "out of memory");
	if (*bench < before)
		return fail(c, MG_EINPUT, b->string, NULL, NULL,
		            "benchmark given twice");
	return 0;
}

/* Check the unit names of one benchmark: valid, not repeated, not many. */
static int check_units(const cJSON *b, struct ctx *c)
{
	const cJSON *u, *v;
	size_t n = 0;

	cJSON_ArrayForEach(u, b)
	{
		if (++n > MG_METRICS_MAX_UNITS)
			return fail(c, MG_ELIMIT, b->string, u->string, NULL,
			            "more units than MG_METRICS_MAX_UNITS");
		if (mg_run_check_unit(u->string, "unit", NULL) < 0)
			return fail(c, MG_EINPUT, b->string, u->string, NULL,
			            "not a valid unit (printable ASCII without "
			            "spaces, at most 64 bytes)");
		for (v = b->child; v != u; v = v->next)
			if (strcmp(v->string, u->string) == 0)
				return fail(c, MG_EINPUT, b->string, u->string,
				            NULL, "unit given twice");
	}
	return 0;
}

static int add_value(mg_run *run, size_t bench, const cJSON *b, const cJSON *u,
                     const char *unit, const cJSON *v, const char *key,
                     int64_t iters, int64_t seq, struct ctx *c)
{
	int error;

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return fail(c, MG_EINPUT, b->string, u->string, key,
		            "expected a finite number");
	error = mg_run_add_sample(run, bench, unit, v->valuedouble, iters, seq);
	if (error == MG_ELIMIT)
		return fail(c, MG_ELIMIT, b->string, u->string, key,
		            "more samples than MG_RUN_MAX_SAMPLES");
	if (error < 0)
		return mg_err_set(c->err, error, "out of memory");
	return 0;
}

static int read_unit(mg_run *run, size_t bench, const cJSON *b, const cJSON *u,
                     struct ctx *c)
{
	const cJSON *values = u, *it;
	int64_t iters = 1, seq = 0;
	int error;

	if (cJSON_IsObject(u)) {
		const cJSON *dir, *n;

		cJSON_ArrayForEach(it, u)
		{
			if (strcmp(it->string, "values") != 0 &&
			    strcmp(it->string, "direction") != 0 &&
			    strcmp(it->string, "iterations") != 0)
				return fail(c, MG_EINPUT, b->string, u->string,
				            it->string,
				            "unknown member (expected values, "
				            "direction, iterations)");
		}
		values = cJSON_GetObjectItemCaseSensitive(u, "values");
		if (values == NULL)
			return fail(c, MG_EINPUT, b->string, u->string, NULL,
			            "no \"values\" member");
		dir = cJSON_GetObjectItemCaseSensitive(u, "direction");
		if (dir != NULL) {
			bool higher;

			if (cJSON_IsString(dir) &&
			    strcmp(dir->valuestring, "higher_is_better") == 0)
				higher = true;
			else if (cJSON_IsString(dir) &&
			         strcmp(dir->valuestring, "lower_is_better") ==
			                 0)
				higher = false;
			else
				return fail(c, MG_EINPUT, b->string, u->string,
				            "direction",
				            "expected \"lower_is_better\" or "
				            "\"higher_is_better\"");
			if (higher != (mg_stats_unit_better(u->string) ==
			               MG_STATS_HIGHER_BETTER))
				return fail(
				        c, MG_EINPUT, b->string, u->string,
				        "direction",
				        "disagrees with the unit: memgate "
				        "treats exactly the units ending in "
				        "'/s' as higher is better");
		}
		n = cJSON_GetObjectItemCaseSensitive(u, "iterations");
		if (n != NULL) {
			if (!cJSON_IsNumber(n) || n->valuedouble < 1 ||
			    n->valuedouble > MAX_EXACT ||
			    n->valuedouble != floor(n->valuedouble))
				return fail(c, MG_EINPUT, b->string, u->string,
				            "iterations",
				            "expected an integer >= 1");
			iters = (int64_t)n->valuedouble;
		}
	}
	if (!cJSON_IsArray(values))
		return add_value(run, bench, b, u, u->string, values,
		                 values == u ? NULL : "values", iters, 0, c);
	if (values->child == NULL)
		return fail(c, MG_EINPUT, b->string, u->string,
		            values == u ? NULL : "values", "empty list");
	cJSON_ArrayForEach(it, values)
	{
		error = add_value(run, bench, b, u, u->string, it,
		                  values == u ? NULL : "values", iters, seq++,
		                  c);
		if (error < 0)
			return error;
	}
	return 0;
}

int mg_metrics_to_run(mg_run *run, const char *data, size_t len,
                      const char *name, mg_err *err)
{
	struct ctx c = {data, len, name != NULL ? name : "metrics.json", err,
	                false};
	const cJSON *f, *v, *benches, *b, *u;
	cJSON *root;
	int error = 0;

	root = parse(&c, MG_METRICS_MAX_INPUT, &error);
	if (root == NULL)
		return error;
	f = cJSON_GetObjectItemCaseSensitive(root, "format");
	v = cJSON_GetObjectItemCaseSensitive(root, "version");
	if (!cJSON_IsString(f) || strcmp(f->valuestring, MG_METRICS_FORMAT)) {
		error = mg_err_set(
		        err, MG_EINPUT,
		        "%s:%zu: field 'format': expected \"%s\"", c.name,
		        mg_jsonpos_line(data, len,
		                        &(mg_jsonpos_step){"format", 0}, 1),
		        MG_METRICS_FORMAT);
		goto cleanup;
	}
	if (!cJSON_IsNumber(v) || v->valuedouble != MG_METRICS_VERSION) {
		error = mg_err_set(
		        err, MG_EINPUT,
		        "%s:%zu: field 'version': expected %d (the version "
		        "this "
		        "reader knows)",
		        c.name,
		        mg_jsonpos_line(data, len,
		                        &(mg_jsonpos_step){"version", 0}, 1),
		        MG_METRICS_VERSION);
		goto cleanup;
	}
	benches = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
	if (!cJSON_IsObject(benches)) {
		error = mg_err_set(
		        err, MG_EINPUT, "%s:%zu: field 'benchmarks': %s",
		        c.name,
		        mg_jsonpos_line(data, len,
		                        &(mg_jsonpos_step){"benchmarks", 0}, 1),
		        benches == NULL ? "missing" : "expected an object");
		goto cleanup;
	}
	cJSON_ArrayForEach(b, benches)
	{
		size_t bench;

		error = new_bench(run, &bench, b, &c);
		if (error == 0)
			error = check_units(b, &c);
		if (error < 0)
			goto cleanup;
		cJSON_ArrayForEach(u, b)
		{
			error = read_unit(run, bench, b, u, &c);
			if (error < 0)
				goto cleanup;
		}
	}

cleanup:
	cJSON_Delete(root);
	return error;
}

/* Bencher's built-in measures, with units that carry their direction. */
static const char *bmf_unit(const char *measure)
{
	static const struct {
		const char *slug;
		const char *unit;
	} builtin[] = {
	        {"latency", "latency-ns"},
	        {"throughput", "throughput-ops/s"},
	        {"file-size", "file-size-B"},
	        {"build-time", "build-time-s"},
	};
	size_t i;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (strcmp(measure, builtin[i].slug) == 0)
			return builtin[i].unit;
	return measure;
}

static int bmf_measure(mg_run *run, size_t bench, const cJSON *b,
                       const cJSON *m, struct ctx *c)
{
	const cJSON *v, *lo, *hi;
	int error;

	if (!cJSON_IsObject(m))
		return fail(c, MG_EINPUT, b->string, m->string, NULL,
		            "expected an object with \"value\"");
	v = cJSON_GetObjectItemCaseSensitive(m, "value");
	lo = cJSON_GetObjectItemCaseSensitive(m, "lower_value");
	hi = cJSON_GetObjectItemCaseSensitive(m, "upper_value");
	if (v == NULL)
		return fail(c, MG_EINPUT, b->string, m->string, NULL,
		            "no \"value\" member");
	if (lo != NULL && (!cJSON_IsNumber(lo) || !isfinite(lo->valuedouble)))
		return fail(c, MG_EINPUT, b->string, m->string, "lower_value",
		            "expected a finite number");
	if (hi != NULL && (!cJSON_IsNumber(hi) || !isfinite(hi->valuedouble)))
		return fail(c, MG_EINPUT, b->string, m->string, "upper_value",
		            "expected a finite number");
	error = add_value(run, bench, b, m, bmf_unit(m->string), v, "value", 1,
	                  0, c);
	if (error < 0)
		return error;
	if (lo != NULL && lo->valuedouble > v->valuedouble)
		return fail(c, MG_EINPUT, b->string, m->string, "lower_value",
		            "greater than value");
	if (hi != NULL && hi->valuedouble < v->valuedouble)
		return fail(c, MG_EINPUT, b->string, m->string, "upper_value",
		            "less than value");
	return 0;
}

int mg_metrics_bmf_to_run(mg_run *run, const char *data, size_t len,
                          const char *name, mg_err *err)
{
	struct ctx c = {data, len, name != NULL ? name : "bmf.json", err, true};
	const cJSON *b, *m;
	cJSON *root;
	int error = 0;

	root = parse(&c, MG_METRICS_MAX_INPUT, &error);
	if (root == NULL)
		return error;
	cJSON_ArrayForEach(b, root)
	{
		size_t bench;

		error = new_bench(run, &bench, b, &c);
		if (error == 0)
			error = check_units(b, &c);
		if (error < 0)
			goto cleanup;
		cJSON_ArrayForEach(m, b)
		{
			error = bmf_measure(run, bench, b, m, &c);
			if (error < 0)
				goto cleanup;
		}
	}

cleanup:
	cJSON_Delete(root);
	return error;
}

static bool starts_object(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
	                   data[i] == '\n' || data[i] == '\r'))
		i++;
	return i < len && data[i] == '{';
}

bool mg_metrics_sniff(const char *data, size_t len)
{
	return starts_object(data, len) &&
	       memmem(data, len, "\"" MG_METRICS_FORMAT "\"",
	              sizeof(MG_METRICS_FORMAT) + 1) != NULL;
}

bool mg_metrics_bmf_sniff(const char *data, size_t len)
{
	return starts_object(data, len) &&
	       memmem(data, len, "\"value\"", 7) != NULL &&
	       memmem(data, len, "\"benchmarks\"", 12) == NULL;
}
