/*
 * store_sets.c - a run's samples cut into the sets the store keeps: one
 * per (benchmark, unit), its samples in seq order encoded as a set's
 * text (sampleset.h), and its values sorted for the history point.
 *
 * None of it needs the database, so the server builds it in the upload's
 * own thread before the run queues for the writer: sorting 6,000 samples
 * and writing their text was 2.5 of the single writer's 9 ms per run
 * (tests/bench/bench_server). The CLI's store builds it in the writer.
 */
#include <stdlib.h>
#include <string.h>

#include "stats.h"
#include "store_int.h"

static int cmp_unit_seq(const void *a, const void *b)
{
	const mg_sample *x = *(const mg_sample *const *)a;
	const mg_sample *y = *(const mg_sample *const *)b;
	/* a run's samples share one copy of each unit (mg_run_add_sample) */
	int c = x->unit == y->unit ? 0 : strcmp(x->unit, y->unit);

	if (c)
		return c;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

/*
 * The run's samples in (benchmark, unit, seq) order: grouped by benchmark
 * (a counting sort), then each group sorted, which compares a few dozen
 * samples instead of thousands; a group already in blocks is left as
 * it is (its sets then come in the order of their units in the run).
 */
static const mg_sample **sort_samples(const mg_run *run)
{
	const mg_sample **v;
	size_t *order = NULL, *first = NULL, i;

	v = malloc(run->nsamples * sizeof(*v));
	if (v == NULL || mg_run_group_samples(run, &order, &first) < 0) {
		free(v);
		return NULL;
	}
	for (i = 0; i < run->nsamples; i++)
		v[i] = &run->samples[order[i]];
	for (i = 0; i < run->nbenches; i++)
		if (!mg_run_in_blocks(run, order + first[i],
		                      first[i + 1] - first[i]))
			qsort(v + first[i], first[i + 1] - first[i], sizeof(*v),
			      cmp_unit_seq);
	free(order);
	free(first);
	return v;
}

void mg_store_sets_free(mg_store_sets *s)
{
	if (s == NULL)
		return;
	free(s->v);
	free(s->values);
	mg_buf_release(&s->json);
	free(s);
}

/* Append the set of v[0..n) to s; its samples share benchmark and unit. */
static int add_set(mg_store_sets *s, const mg_run *run, const mg_sample **v,
                   size_t n, mg_buf *text, mg_err *err)
{
	struct mg_store__set *set = &s->v[s->n];
	size_t first = (size_t)(v - s->order), k;
	int error;

	for (k = 1; k < n; k++) {
		if (v[k]->seq != v[k - 1]->seq)
			continue;
		return mg_err_set(err, MG_EINPUT,
		                  "samples[%zu] ('%s' %s #%lld): duplicate of "
		                  "samples[%zu]",
		                  (size_t)(v[k] - run->samples),
		                  run->benches[v[k]->bench].name, v[k]->unit,
		                  (long long)v[k]->seq,
		                  (size_t)(v[k - 1] - run->samples));
	}
	error = mg_sampleset_encode(text, v, n, err);
	if (error < 0) {
		mg_err_prefix(err, "samples of '%s' %s",
		              run->benches[v[0]->bench].name, v[0]->unit);
		return error;
	}
	set->bench = v[0]->bench;
	set->unit = v[0]->unit;
	set->n = n;
	set->json = s->json.len;
	set->json_len = text->len;
	set->values = first;
	if (mg_buf_put(&s->json, text->ptr, text->len) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	for (k = 0; k < n; k++)
		s->values[first + k] = v[k]->value;
	mg_stats_sort(s->values + first, n);
	s->n++;
	return 0;
}

int mg_store_sets_build(mg_store_sets **out, const mg_run *run, mg_err *err)
{
	mg_store_sets *s;
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t i, j;
	int error = 0;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	s->run = run;
	mg_buf_init(&s->json, MG_BUF_NOLIMIT);
	if (run->nsamples == 0)
		goto done;
	s->order = sort_samples(run);
	s->v = malloc(run->nsamples * sizeof(*s->v));
	s->values = malloc(run->nsamples * sizeof(*s->values));
	if (s->order == NULL || s->v == NULL || s->values == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto done;
	}
	for (i = 0; i < run->nsamples && error == 0; i = j) {
		const mg_sample *a = s->order[i];

		for (j = i + 1;
		     j < run->nsamples && s->order[j]->bench == a->bench &&
		     (s->order[j]->unit == a->unit ||
		      strcmp(s->order[j]->unit, a->unit) == 0);
		     j++)
			;
		error = add_set(s, run, &s->order[i], j - i, &text, err);
	}
done:
	mg_buf_release(&text);
	/* the order served only to cut the sets */
	free(s->order);
	s->order = NULL;
	if (error < 0) {
		mg_store_sets_free(s);
		return error;
	}
	*out = s;
	return 0;
}
