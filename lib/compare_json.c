/*
 * compare_json.c - the machine-readable verdict, documented field by
 * field in schema/verdict.schema.json (JSON Schema 2020-12). Numbers that
 * are not finite (an infinite interval bound, an undefined geomean) are
 * written as null: JSON has no infinities.
 */
#include <cjson/cJSON.h>
#include <math.h>

#include "compare_int.h"

/* The format's version: bump on incompatible changes. */
#define VERDICT_VERSION 1

static bool add_num(cJSON *o, const char *key, double v)
{
	cJSON *n = isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();

	return n && cJSON_AddItemToObject(o, key, n);
}

static bool add_str(cJSON *o, const char *key, const char *s)
{
	cJSON *n = s ? cJSON_CreateString(s) : cJSON_CreateNull();

	return n && cJSON_AddItemToObject(o, key, n);
}

static const char *side_status(enum mg_compare_side_status s)
{
	switch (s) {
	case MG_COMPARE_SIDE_OK:
		return "ok";
	case MG_COMPARE_SIDE_FAILED:
		return "failed";
	default:
		return "missing";
	}
}

static cJSON *side_json(const mg_compare *c, int s)
{
	const mg_compare_side_info *info = mg_compare_side(c, s);
	const int64_t *ids = mg_compare_side_run_ids(c, s);
	size_t i, n = mg_compare_side_runs(c, s);
	cJSON *o = cJSON_CreateObject(), *runs;
	bool ok;

	if (o == NULL)
		return NULL;
	ok = add_str(o, "label", mg_compare__side_name(c, s)) &&
	     add_str(o, "sha", info->sha) && add_str(o, "ref", info->ref) &&
	     add_str(o, "status", side_status(mg_compare_side_status(c, s)));
	runs = ok ? cJSON_AddArrayToObject(o, "runs") : NULL;
	for (i = 0; runs && i < n; i++)
		if (ids[i] > 0 &&
		    !cJSON_AddItemToArray(runs,
		                          cJSON_CreateNumber((double)ids[i])))
			runs = NULL;
	if (runs == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static cJSON *summary_json(const mg_stats_summary *s)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	if (!add_num(o, "n", (double)s->n) ||
	    !add_num(o, "median", s->center) || !add_num(o, "low", s->lo) ||
	    !add_num(o, "high", s->hi) ||
	    !add_num(o, "confidence", s->confidence)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool add_obj(cJSON *o, const char *key, cJSON *v)
{
	if (v == NULL)
		return false;
	if (!cJSON_AddItemToObject(o, key, v)) {
		cJSON_Delete(v);
		return false;
	}
	return true;
}

static cJSON *pair_json(const mg_compare_pair *p)
{
	cJSON *o = cJSON_CreateObject(), *rule, *attr, *shift;
	bool both = p->presence == MG_COMPARE_BOTH, ok;
	size_t i;

	if (o == NULL)
		return NULL;
	ok = add_str(o, "package", p->package) &&
	     add_str(o, "benchmark", p->name) &&
	     add_num(o, "procs", p->procs) && add_str(o, "unit", p->unit) &&
	     add_str(o, "presence",
	             both                              ? "both"
	             : p->presence == MG_COMPARE_ADDED ? "added"
	                                               : "removed") &&
	     add_str(o, "verdict",
	             both ? mg_stats_verdict_name(p->verdict) : NULL);
	if (ok)
		ok = p->nbase ? add_obj(o, "base", summary_json(&p->cmp.base))
		              : add_obj(o, "base", cJSON_CreateNull());
	if (ok)
		ok = p->nhead ? add_obj(o, "head", summary_json(&p->cmp.head))
		              : add_obj(o, "head", cJSON_CreateNull());
	if (ok && both) {
		double b = p->cmp.base.center, h = p->cmp.head.center;

		ok = add_num(o, "change",
		             b == h   ? 0
		             : b == 0 ? NAN
		                      : h / b - 1) &&
		     add_num(o, "p", p->cmp.test.p) &&
		     add_num(o, "p_adjusted", p->p_adj) &&
		     cJSON_AddBoolToObject(
		             o, "exact",
		             p->cmp.base_constant && p->cmp.head_constant &&
		                     p->nbase >= MG_STATS_EXACT_MIN_N &&
		                     p->nhead >= MG_STATS_EXACT_MIN_N) != NULL;
		shift = ok ? cJSON_AddObjectToObject(o, "shift") : NULL;
		ok = shift && add_num(shift, "estimate", p->cmp.shift.shift) &&
		     add_num(shift, "low", p->cmp.shift.lo) &&
		     add_num(shift, "high", p->cmp.shift.hi) &&
		     add_num(shift, "confidence", p->cmp.shift.confidence);
	}
	rule = ok ? cJSON_AddObjectToObject(o, "rule") : NULL;
	ok = rule && add_num(rule, "threshold", p->rule.threshold) &&
	     cJSON_AddBoolToObject(rule, "relative", !p->rule.absolute) &&
	     add_num(rule, "alpha", p->rule.alpha) &&
	     add_num(rule, "noise_floor",
	             p->rule.noise_floor > 0 ? p->rule.noise_floor : NAN) &&
	     add_str(rule, "better",
	             p->rule.better == MG_STATS_HIGHER_BETTER ? "higher"
	                                                      : "lower");
	attr = ok ? cJSON_AddArrayToObject(o, "attribution") : NULL;
	ok = attr != NULL;
	for (i = 0; ok && i < p->nattr; i++) {
		const mg_compare_attr *a = &p->attr[i];
		cJSON *x = cJSON_CreateObject();

		ok = x && cJSON_AddItemToArray(attr, x) &&
		     add_str(x, "function", a->function) &&
		     add_str(x, "sample_type", a->sample_type) &&
		     add_num(x, "base", (double)a->base) &&
		     add_num(x, "head", (double)a->head) &&
		     add_num(x, "base_share", a->base_share) &&
		     add_num(x, "head_share", a->head_share) &&
		     add_num(x, "growth", a->growth);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static bool add_counts(cJSON *root, const mg_compare *c)
{
	cJSON *o = cJSON_AddObjectToObject(root, "counts");
	size_t i, added = 0, removed = 0;

	for (i = 0; i < c->npairs; i++) {
		if (c->pairs[i].presence == MG_COMPARE_ADDED)
			added++;
		else if (c->pairs[i].presence == MG_COMPARE_REMOVED)
			removed++;
	}
	return o && add_num(o, "benchmarks", (double)c->nbench_both) &&
	       add_num(o, "pairs", (double)c->npairs) &&
	       add_num(o, "regression",
	               (double)mg_compare_count_verdict(c,
	                                                MG_STATS_REGRESSION)) &&
	       add_num(o, "improvement",
	               (double)mg_compare_count_verdict(
	                       c, MG_STATS_IMPROVEMENT)) &&
	       add_num(o, "unchanged",
	               (double)mg_compare_count_verdict(c,
	                                                MG_STATS_UNCHANGED)) &&
	       add_num(o, "inconclusive",
	               (double)mg_compare_count_verdict(
	                       c, MG_STATS_INCONCLUSIVE)) &&
	       add_num(o, "added", (double)added) &&
	       add_num(o, "removed", (double)removed);
}

static bool add_options(cJSON *root, const mg_compare *c)
{
	cJSON *o = cJSON_AddObjectToObject(root, "options"), *t;
	size_t i;
	bool ok;

	ok = o && add_num(o, "alpha", c->opts.alpha) &&
	     add_num(o, "confidence", c->opts.confidence) &&
	     add_str(o, "multiple_comparisons", "benjamini-hochberg");
	t = ok ? cJSON_AddArrayToObject(o, "thresholds") : NULL;
	ok = t != NULL;
	for (i = 0; ok && i < c->thr.n; i++) {
		cJSON *x = cJSON_CreateObject();

		ok = x && cJSON_AddItemToArray(t, x) &&
		     add_str(x, "unit", c->thr.items[i].unit) &&
		     add_num(x, "value", c->thr.items[i].value) &&
		     cJSON_AddBoolToObject(x, "relative",
		                           !c->thr.items[i].absolute) != NULL;
	}
	return ok;
}

int mg_compare_write_json(mg_buf *out, const mg_compare *c, mg_err *err)
{
	mg_buf sum = MG_BUF_INIT(MG_BUF_NOLIMIT);
	cJSON *root = cJSON_CreateObject(), *arr;
	char *text = NULL;
	size_t i;
	bool ok;
	int error = 0;

	ok = root && mg_compare_write_summary(&sum, c) == 0 &&
	     add_num(root, "version", VERDICT_VERSION) &&
	     add_str(root, "verdict", mg_stats_verdict_name(c->verdict)) &&
	     add_str(root, "summary", sum.ptr) && add_counts(root, c) &&
	     add_obj(root, "base", side_json(c, 0)) &&
	     add_obj(root, "head", side_json(c, 1)) && add_options(root, c);
	arr = ok ? cJSON_AddArrayToObject(root, "results") : NULL;
	ok = arr != NULL;
	for (i = 0; ok && i < c->npairs; i++) {
		cJSON *x = pair_json(&c->pairs[i]);

		ok = x && cJSON_AddItemToArray(arr, x);
		if (x && !ok)
			cJSON_Delete(x);
	}
	arr = ok ? cJSON_AddArrayToObject(root, "geomeans") : NULL;
	ok = arr != NULL;
	for (i = 0; ok && i < c->ngeo; i++) {
		const mg_compare_geomean *g = &c->geo[i];
		cJSON *x = cJSON_CreateObject();

		ok = x && cJSON_AddItemToArray(arr, x) &&
		     add_str(x, "unit", g->unit) &&
		     add_num(x, "base", g->base) &&
		     add_num(x, "head", g->head) &&
		     add_num(x, "ratio", g->ratio) &&
		     add_num(x, "benchmarks_base", (double)g->nbase) &&
		     add_num(x, "benchmarks_head", (double)g->nhead) &&
		     add_num(x, "benchmarks_paired", (double)g->npaired);
	}
	arr = ok ? cJSON_AddArrayToObject(root, "notes") : NULL;
	ok = arr != NULL;
	for (i = 0; ok && i < c->nnotes; i++)
		ok = cJSON_AddItemToArray(arr, cJSON_CreateString(c->notes[i]));
	if (ok)
		text = cJSON_Print(root);
	if (text == NULL)
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
	else
		error = mg_buf_puts(out, text);
	if (error == MG_ELIMIT)
		mg_err_set(err, error, "JSON output too large");
	else if (error == MG_ENOMEM && text)
		mg_err_set(err, error, "out of memory");
	if (error == 0)
		error = mg_buf_putc(out, '\n');
	cJSON_free(text);
	cJSON_Delete(root);
	mg_buf_release(&sum);
	return error;
}
