/*
 * gbench.c - Google Benchmark JSON reader (format in gbench.h). cJSON
 * builds the tree; the entries are walked once and every value checked
 * before it becomes a sample.
 */
#include <math.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "gbench.h"
#include "jsonpos.h"

/* Largest integer a double holds exactly (cJSON reads numbers so). */
#define MAX_EXACT 9007199254740991.0

struct ctx {
	const char *data;
	size_t len;
	const char *name;
	mg_err *err;
};

/* "<name>:<line>: field 'benchmarks[i].<key>': <what>" */
static int fail_at(struct ctx *c, size_t i, const char *key, int code,
                   const char *what)
{
	mg_jsonpos_step path[3] = {{"benchmarks", 0}, {NULL, i}, {key, 0}};
	size_t line = mg_jsonpos_line(c->data, c->len, path, key ? 3 : 2);

	if (key == NULL)
		return mg_err_set(c->err, code,
		                  "%s:%zu: field 'benchmarks[%zu]': %s",
		                  c->name, line, i, what);
	return mg_err_set(c->err, code,
	                  "%s:%zu: field 'benchmarks[%zu].%s': %s", c->name,
	                  line, i, key, what);
}

static const char *const ignored[] = {
        "name",
        "family_index",
        "per_family_instance_index",
        "run_name",
        "run_type",
        "repetitions",
        "repetition_index",
        "threads",
        "iterations",
        "real_time",
        "cpu_time",
        "time_unit",
        "aggregate_name",
        "aggregate_unit",
        "error_occurred",
        "error_message",
        "label",
        "memory_iterations",
        "big_o",
        "rms",
        "complexity",
};

static const struct {
	const char *key;
	const char *unit;
} known[] = {
        {"bytes_per_second", "B/s"},
        {"items_per_second", "items/s"},
        {"allocs_per_iter", "allocs/op"},
        {"max_bytes_used", "max-bytes-used-B"},
        {"total_allocated_bytes", "total-alloc-B"},
        {"net_heap_growth", "net-heap-growth-B"},
};

static bool is_ignored(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		if (strcmp(key, ignored[i]) == 0)
			return true;
	return false;
}

/* Configuration from the scalar members of "context". */
static int read_context(mg_kv **out, size_t *nout, const cJSON *context,
                        struct ctx *c)
{
	const cJSON *it;
	mg_kv *kv;
	size_t n = 0;

	*out = NULL;
	*nout = 0;
	if (context == NULL)
		return 0;
	if (!cJSON_IsObject(context))
		return mg_err_set(
		        c->err, MG_EINPUT,
		        "%s:%zu: field 'context': expected an object", c->name,
		        mg_jsonpos_line(c->data, c->len,
		                        &(mg_jsonpos_step){"context", 0}, 1));
	kv = calloc(MG_GBENCH_MAX_CONFIG, sizeof(*kv));
	if (kv == NULL)
		return mg_err_set(c->err, MG_ENOMEM, "out of memory");
	cJSON_ArrayForEach(it, context)
	{
		char num[64];
		const char *v = NULL;

		if (n == MG_GBENCH_MAX_CONFIG)
			break; /* the rest describes the machine further */
		if (cJSON_IsString(it)) {
			v = it->valuestring;
		} else if (cJSON_IsNumber(it)) {
			snprintf(num, sizeof(num), "%.17g", it->valuedouble);
			v = num;
		} else if (cJSON_IsBool(it)) {
			v = cJSON_IsTrue(it) ? "true" : "false";
		}
		if (v == NULL || it->string == NULL || it->string[0] == '\0')
			continue;
		kv[n].key = mg_strdup(it->string);
		kv[n].value = mg_strdup(v);
		n++;
		if (kv[n - 1].key == NULL || kv[n - 1].value == NULL)
			goto nomem;
	}
	*out = kv;
	*nout = n;
	return 0;
nomem:
	while (n-- > 0) {
		free(kv[n].key);
		free(kv[n].value);
	}
	free(kv);
	return mg_err_set(c->err, MG_ENOMEM, "out of memory");
}

static int time_scale(const char *unit, double *scale)
{
	if (strcmp(unit, "ns") == 0)
		*scale = 1;
	else if (strcmp(unit, "us") == 0)
		*scale = 1e3;
	else if (strcmp(unit, "ms") == 0)
		*scale = 1e6;
	else if (strcmp(unit, "s") == 0)
		*scale = 1e9;
	else
		return -1;
	return 0;
}

static int add(mg_run *run, struct ctx *c, size_t i, const char *key,
               size_t bench, const char *unit, double v, int64_t iters,
               int64_t seq)
{
	int error;

	if (!isfinite(v))
		return fail_at(c, i, key, MG_EINPUT,
		               "expected a finite number");
	error = mg_run_add_sample(run, bench, unit, v, iters, seq);
	if (error == MG_ELIMIT)
		return fail_at(c, i, key, MG_ELIMIT,
		               "more samples than MG_RUN_MAX_SAMPLES");
	if (error < 0)
		return mg_err_set(c->err, error, "out of memory");
	return 0;
}

static int read_entry(mg_run *run, const cJSON *e, size_t i,
                      const mg_kv *config, size_t nconfig, int64_t **seqs,
                      size_t *nseqs, mg_gbench_stats *st, struct ctx *c)
{
	const cJSON *name, *rt, *iters, *tu, *it;
	const char *units[MG_GBENCH_MAX_COUNTERS];
	size_t nunits = 0;
	double scale = 1, v;
	int64_t n, seq;
	size_t bench;
	int error;

	if (!cJSON_IsObject(e))
		return fail_at(c, i, NULL, MG_EINPUT, "expected an object");
	rt = cJSON_GetObjectItemCaseSensitive(e, "run_type");
	if (rt != NULL && !cJSON_IsString(rt))
		return fail_at(c, i, "run_type", MG_EINPUT,
		               "expected a string");
	if (rt != NULL && strcmp(rt->valuestring, "aggregate") == 0) {
		st->aggregates++;
		return 0;
	}
	if (rt != NULL && strcmp(rt->valuestring, "iteration") != 0)
		return fail_at(c, i, "run_type", MG_EINPUT,
		               "expected \"iteration\" or \"aggregate\"");
	if (cJSON_IsTrue(
	            cJSON_GetObjectItemCaseSensitive(e, "error_occurred"))) {
		st->errored++;
		return 0;
	}
	name = cJSON_GetObjectItemCaseSensitive(e, "run_name");
	if (name == NULL)
		name = cJSON_GetObjectItemCaseSensitive(e, "name");
	if (!cJSON_IsString(name) || name->valuestring[0] == '\0')
		return fail_at(c, i, name == NULL ? NULL : name->string,
		               MG_EINPUT,
		               name == NULL ? "no \"name\" member"
		                            : "expected a non-empty string");
	if (strlen(name->valuestring) > MG_RUN_MAX_STR)
		return fail_at(c, i, name->string, MG_ELIMIT,
		               "longer than MG_RUN_MAX_STR");
	iters = cJSON_GetObjectItemCaseSensitive(e, "iterations");
	if (!cJSON_IsNumber(iters) || iters->valuedouble < 0 ||
	    iters->valuedouble > MAX_EXACT ||
	    iters->valuedouble != floor(iters->valuedouble))
		return fail_at(c, i, "iterations", MG_EINPUT,
		               "expected a non-negative integer");
	n = (int64_t)iters->valuedouble;
	tu = cJSON_GetObjectItemCaseSensitive(e, "time_unit");
	if (tu != NULL &&
	    (!cJSON_IsString(tu) || time_scale(tu->valuestring, &scale) < 0))
		return fail_at(c, i, "time_unit", MG_EINPUT,
		               "expected \"ns\", \"us\", \"ms\" or \"s\"");
	error = mg_run_add_bench(run, &bench, name->valuestring, "", 0, config,
	                         nconfig);
	if (error == MG_ELIMIT)
		return fail_at(c, i, name->string, MG_ELIMIT,
		               "more benchmarks than MG_RUN_MAX_BENCHMARKS");
	if (error < 0)
		return mg_err_set(c->err, error, "out of memory");
	if (bench >= *nseqs) {
		size_t cap = run->nbenches > 16 ? run->nbenches * 2 : 32;
		int64_t *ns = realloc(*seqs, cap * sizeof(*ns));

		if (ns == NULL)
			return mg_err_set(c->err, MG_ENOMEM, "out of memory");
		memset(ns + *nseqs, 0, (cap - *nseqs) * sizeof(*ns));
		*seqs = ns;
		*nseqs = cap;
	}
	/*
	 * Not repetition_index: with --benchmark_enable_random_interleaving
	 * or two families of one run_name it need not be unique.
	 */
	seq = (*seqs)[bench];
	(*seqs)[bench]++;
	st->entries++;

	cJSON_ArrayForEach(it, e)
	{
		const char *key = it->string, *unit = NULL;
		size_t k;

		if (key == NULL)
			continue;
		if (!cJSON_IsNumber(it)) {
			if (strcmp(key, "real_time") == 0 ||
			    strcmp(key, "cpu_time") == 0)
				return fail_at(c, i, key, MG_EINPUT,
				               "expected a number");
			continue;
		}
		v = it->valuedouble;
		if (strcmp(key, "real_time") == 0) {
			unit = "ns/op";
			v *= scale;
		} else if (strcmp(key, "cpu_time") == 0) {
			unit = "cpu-ns/op";
			v *= scale;
		} else if (is_ignored(key)) {
			continue;
		}
		for (k = 0;
		     unit == NULL && k < sizeof(known) / sizeof(known[0]); k++)
			if (strcmp(key, known[k].key) == 0)
				unit = known[k].unit;
		if (unit == NULL) {
			if (mg_run_check_unit(key, key, NULL) < 0) {
				st->skipped_counters++;
				continue;
			}
			unit = key;
		}
		for (k = 0; k < nunits; k++)
			if (strcmp(units[k], unit) == 0)
				return fail_at(c, i, key, MG_EINPUT,
				               "a second value for this unit");
		if (nunits == MG_GBENCH_MAX_COUNTERS)
			return fail_at(
			        c, i, key, MG_ELIMIT,
			        "more values than MG_GBENCH_MAX_COUNTERS");
		units[nunits++] = unit;
		error = add(run, c, i, key, bench, unit, v, n, seq);
		if (error < 0)
			return error;
	}
	return 0;
}

int mg_gbench_to_run(mg_run *run, const char *data, size_t len,
                     const char *name, mg_gbench_stats *stats, mg_err *err)
{
	struct ctx c = {data, len, name != NULL ? name : "gbench.json", err};
	mg_gbench_stats st = {0, 0, 0, 0};
	const char *end = NULL;
	cJSON *root = NULL;
	const cJSON *benchmarks, *e;
	mg_kv *config = NULL;
	size_t nconfig = 0, i = 0, nseqs = 0;
	int64_t *seqs = NULL;
	int error;

	if (len > MG_GBENCH_MAX_INPUT)
		return mg_err_set(
		        err, MG_ELIMIT,
		        "%s: larger than MG_GBENCH_MAX_INPUT (%zu bytes)",
		        c.name, MG_GBENCH_MAX_INPUT);
	root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
	if (root == NULL) {
		size_t pos =
		        end != NULL && end >= data ? (size_t)(end - data) : len;

		return mg_err_set(err, MG_EINPUT, "%s:%zu: invalid JSON",
		                  c.name, mg_jsonpos_line_at(data, len, pos));
	}
	if (!cJSON_IsObject(root)) {
		error = mg_err_set(err, MG_EINPUT,
		                   "%s:1: expected a JSON object", c.name);
		goto cleanup;
	}
	benchmarks = cJSON_GetObjectItemCaseSensitive(root, "benchmarks");
	if (!cJSON_IsArray(benchmarks)) {
		error = mg_err_set(
		        err, MG_EINPUT, "%s:%zu: field 'benchmarks': %s",
		        c.name,
		        mg_jsonpos_line(data, len,
		                        &(mg_jsonpos_step){"benchmarks", 0}, 1),
		        benchmarks == NULL ? "missing" : "expected an array");
		goto cleanup;
	}
	error = read_context(&config, &nconfig,
	                     cJSON_GetObjectItemCaseSensitive(root, "context"),
	                     &c);
	if (error < 0)
		goto cleanup;
	cJSON_ArrayForEach(e, benchmarks)
	{
		error = read_entry(run, e, i, config, nconfig, &seqs, &nseqs,
		                   &st, &c);
		if (error < 0)
			goto cleanup;
		i++;
	}
	if (stats != NULL)
		*stats = st;
	error = 0;

cleanup:
	while (nconfig-- > 0) {
		free(config[nconfig].key);
		free(config[nconfig].value);
	}
	free(config);
	free(seqs);
	cJSON_Delete(root);
	return error;
}

bool mg_gbench_sniff(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && (data[i] == ' ' || data[i] == '\t' ||
	                   data[i] == '\n' || data[i] == '\r'))
		i++;
	if (i >= len || data[i] != '{')
		return false;
	return memmem(data, len, "\"benchmarks\"", 12) != NULL &&
	       memmem(data, len, "\"context\"", 9) != NULL;
}
