/*
 * compare.c - the comparison engine: inputs, pairing, statistics,
 * Benjamini-Hochberg, verdicts, geomeans and attribution (see compare.h).
 *
 * Attribution normalises each side's heap profile to its own total: a
 * function's figure is its share of everything the package's benchmarks
 * allocated (what `go tool pprof -normalize` does, up to a constant).
 * A -memprofile covers every iteration of every benchmark of the package,
 * calibration rounds included (b.N = 1, 100, ... before the measured
 * round), so two runs with different b.N differ mostly by scale, and the
 * iteration counts we store (those of the printed lines) do not account
 * for the calibration rounds or for how the other benchmarks' iterations
 * mix in: a per-op figure would be biased by exactly the scale we want
 * to remove. Shares are scale-free. The price: growth that scales every
 * function alike cannot be attributed, but then no single function is to
 * blame either. A function is listed when its share grew by more than
 * MG_COMPARE_ATTR_MIN_GROWTH.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>

#include "compare_int.h"
#include "envinfo.h"

/* ---- thresholds ----------------------------------------------------- */

void mg_compare_thresholds_init(mg_compare_thresholds *t)
{
	t->items = NULL;
	t->n = 0;
}

void mg_compare_thresholds_release(mg_compare_thresholds *t)
{
	free(t->items);
	mg_compare_thresholds_init(t);
}

int mg_compare_threshold_value(double *value, bool *absolute, const char *s,
                               const char *what, mg_err *err)
{
	char *end = NULL;
	double v;

	while (*s == ' ' || *s == '\t')
		s++;
	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || !isfinite(v) || v < 0)
		goto bad;
	*absolute = true;
	while (*end == ' ' || *end == '\t')
		end++;
	if (*end == '%') {
		*absolute = false;
		v /= 100;
		end++;
		while (*end == ' ' || *end == '\t')
			end++;
	}
	if (*end != '\0')
		goto bad;
	*value = v;
	return 0;
bad:
	return mg_err_set(err, MG_EINPUT,
	                  "%s: expected a number >= 0, optionally with '%%', "
	                  "got '%.60s'",
	                  what, s);
}

int mg_compare_thresholds_set(mg_compare_thresholds *t, const char *unit,
                              double value, bool absolute, mg_err *err)
{
	mg_compare_threshold *items;
	size_t i;

	if (unit[0] == '\0' || strlen(unit) > MG_UNIT_MAX)
		return mg_err_set(err, MG_EINPUT,
		                  "threshold: unit '%.80s' is empty or longer "
		                  "than %d bytes",
		                  unit, MG_UNIT_MAX);
	for (i = 0; unit[i]; i++)
		if ((unsigned char)unit[i] <= ' ' || unit[i] == 0x7f)
			return mg_err_set(
			        err, MG_EINPUT,
			        "threshold: unit '%.80s' holds a space "
			        "or control character",
			        unit);
	for (i = 0; i < t->n; i++)
		if (strcmp(t->items[i].unit, unit) == 0)
			break;
	if (i == t->n) {
		if (t->n >= MG_COMPARE_MAX_THRESHOLDS)
			return mg_err_set(err, MG_ELIMIT,
			                  "more than %d thresholds",
			                  MG_COMPARE_MAX_THRESHOLDS);
		items = realloc(t->items, (t->n + 1) * sizeof(*items));
		if (items == NULL)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
		t->items = items;
		t->n++;
		snprintf(t->items[i].unit, sizeof(t->items[i].unit), "%s",
		         unit);
	}
	t->items[i].value = value;
	t->items[i].absolute = absolute;
	return 0;
}

int mg_compare_thresholds_parse(mg_compare_thresholds *t, const char *spec,
                                mg_err *err)
{
	mg_buf item = MG_BUF_INIT(1024);
	const char *s = spec;
	int error = 0;

	while (error == 0 && *s) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		char *eq, *unit, *val;
		double v;
		bool abs;

		mg_buf_reset(&item);
		if (mg_buf_put(&item, s, n) < 0) {
			error = mg_err_set(err, MG_EINPUT,
			                   "--threshold: item too long");
			break;
		}
		s = comma ? comma + 1 : s + n;
		unit = item.ptr;
		while (*unit == ' ')
			unit++;
		if (*unit == '\0' && comma)
			continue;
		eq = strchr(unit, '=');
		if (eq == NULL || eq == unit) {
			error = mg_err_set(
			        err, MG_EINPUT,
			        "--threshold: expected UNIT=VALUE, got "
			        "'%.80s'",
			        unit);
			break;
		}
		*eq = '\0';
		val = eq + 1;
		while (eq > unit && eq[-1] == ' ')
			*--eq = '\0';
		error = mg_compare_threshold_value(&v, &abs, val, unit, err);
		if (error == 0)
			error = mg_compare_thresholds_set(t, unit, v, abs, err);
		if (error < 0)
			mg_err_prefix(err, "--threshold");
	}
	mg_buf_release(&item);
	return error;
}

/* ---- lifecycle and inputs ------------------------------------------- */

void mg_compare_opts_init(mg_compare_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->alpha = MG_STATS_ALPHA;
	opts->confidence = MG_STATS_CONFIDENCE;
}

int mg_compare_new(mg_compare **out, const mg_compare_opts *opts, mg_err *err)
{
	mg_compare *c;
	size_t i;

	if (!(opts->alpha > 0 && opts->alpha < 1))
		return mg_err_set(err, MG_EINPUT,
		                  "alpha must be between 0 and 1, got %g",
		                  opts->alpha);
	if (!(opts->confidence > 0 && opts->confidence < 1))
		return mg_err_set(err, MG_EINPUT,
		                  "confidence must be between 0 and 1, got %g",
		                  opts->confidence);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	c->opts = *opts;
	c->opts.thresholds = NULL;
	for (i = 0; opts->thresholds && i < opts->thresholds->n; i++) {
		const mg_compare_threshold *t = &opts->thresholds->items[i];
		int error = mg_compare_thresholds_set(
		        &c->thr, t->unit, t->value, t->absolute, err);

		if (error < 0) {
			mg_compare_free(c);
			return error;
		}
	}
	c->opts.thresholds = &c->thr;
	c->verdict = MG_STATS_INCONCLUSIVE;
	*out = c;
	return 0;
}

static void prof_release(mg_compare_prof *p)
{
	free(p->package);
	mg_intern_release(&p->funcs);
	free(p->v);
}

void mg_compare_free(mg_compare *c)
{
	size_t i, j;

	if (c == NULL)
		return;
	mg_compare_thresholds_release(&c->thr);
	for (i = 0; i < 2; i++) {
		free(c->side[i].label);
		free(c->side[i].sha);
		free(c->side[i].ref);
		free(c->side[i].run_ids);
		mg_envinfo_release(&c->side[i].env);
	}
	mg_intern_release(&c->units);
	if (c->benches) {
		for (i = 0; i < c->bench_keys.n; i++) {
			free(c->benches[i].package);
			free(c->benches[i].name);
			free(c->benches[i].fullname);
		}
	}
	mg_intern_release(&c->bench_keys);
	free(c->benches);
	if (c->configs) {
		for (i = 0; i < c->config_keys.n; i++) {
			for (j = 0; j < c->configs[i].n; j++) {
				free(c->configs[i].kv[j].key);
				free(c->configs[i].kv[j].value);
			}
			free(c->configs[i].kv);
		}
	}
	mg_intern_release(&c->config_keys);
	free(c->configs);
	free(c->entries);
	if (c->profs)
		for (i = 0; i < c->prof_keys.n; i++)
			prof_release(&c->profs[i]);
	mg_intern_release(&c->prof_keys);
	free(c->profs);
	mg_intern_release(&c->floor_keys);
	free(c->floors);
	for (i = 0; i < c->nnotes; i++)
		free(c->notes[i]);
	free(c->notes);
	if (c->values)
		for (i = 0; i < c->npairs; i++)
			free(c->values[i]);
	free(c->values);
	free(c->pairs);
	free(c->attrs);
	free(c->geo);
	free(c);
}

static int dup_opt(char **field, const char *s)
{
	free(*field);
	*field = NULL;
	if (s == NULL)
		return 0;
	if (strlen(s) > MG_COMPARE_MAX_NOTE)
		return MG_EINPUT;
	*field = mg_strdup(s);
	return *field ? 0 : MG_ENOMEM;
}

int mg_compare_set_side(mg_compare *c, enum mg_compare_side side,
                        const mg_compare_side_info *info, mg_err *err)
{
	mg_compare_sidedata *sd = &c->side[side];
	int error;

	if ((error = dup_opt(&sd->label, info->label)) < 0 ||
	    (error = dup_opt(&sd->sha, info->sha)) < 0 ||
	    (error = dup_opt(&sd->ref, info->ref)) < 0)
		return mg_err_set(err, error,
		                  error == MG_EINPUT ? "side label too long"
		                                     : "out of memory");
	sd->info.label = sd->label;
	sd->info.sha = sd->sha;
	sd->info.ref = sd->ref;
	return 0;
}

void mg_compare_set_missing(mg_compare *c, enum mg_compare_side side)
{
	c->side[side].missing = true;
}

int mg_compare_add_note(mg_compare *c, mg_err *err, const char *fmt, ...)
{
	mg_buf b = MG_BUF_INIT(MG_COMPARE_MAX_NOTE);
	char **notes;
	va_list ap;
	int error;

	if (c->nnotes >= MG_COMPARE_MAX_NOTES)
		return 0;
	va_start(ap, fmt);
	error = mg_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (error == MG_ELIMIT) {
		/* Keep what fits: a note is for people. */
		va_start(ap, fmt);
		mg_buf_release(&b);
		b.max = MG_BUF_NOLIMIT;
		error = mg_buf_vprintf(&b, fmt, ap);
		va_end(ap);
		if (error == 0)
			mg_buf_truncate(&b, MG_COMPARE_MAX_NOTE);
	}
	if (error < 0)
		goto oom;
	notes = realloc(c->notes, (c->nnotes + 1) * sizeof(*notes));
	if (notes == NULL)
		goto oom;
	c->notes = notes;
	c->notes[c->nnotes] = mg_buf_detach(&b);
	if (c->notes[c->nnotes] == NULL)
		goto oom;
	c->nnotes++;
	return 0;
oom:
	mg_buf_release(&b);
	return mg_err_set(err, MG_ENOMEM, "out of memory");
}

/* Copy an environment (mg_envinfo_release frees it). */
static int env_copy(mg_env *dst, const mg_env *src)
{
	struct {
		char **d;
		const char *s;
	} f[] = {
	        {&dst->os, src->os},
	        {&dst->kernel, src->kernel},
	        {&dst->arch, src->arch},
	        {&dst->cpu_model, src->cpu_model},
	        {&dst->go_version, src->go_version},
	        {&dst->gomaxprocs, src->gomaxprocs},
	        {&dst->gogc, src->gogc},
	        {&dst->gomemlimit, src->gomemlimit},
	        {&dst->godebug, src->godebug},
	        {&dst->thp, src->thp},
	        {&dst->label, src->label},
	};
	size_t i;

	dst->cores = src->cores;
	dst->mem_bytes = src->mem_bytes;
	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (f[i].s == NULL)
			continue;
		*f[i].d = mg_strdup(f[i].s);
		if (*f[i].d == NULL)
			return MG_ENOMEM;
	}
	return 0;
}

/* benchstat's row label: the name without "Benchmark", and "-procs". */
static char *fullname_of(const char *name, int procs)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);

	if (strncmp(name, "Benchmark", 9) == 0)
		name += 9;
	if (mg_buf_puts(&b, name) < 0 ||
	    (procs > 0 && mg_buf_printf(&b, "-%d", procs) < 0)) {
		mg_buf_release(&b);
		return NULL;
	}
	return mg_buf_detach(&b);
}

static int bench_id(mg_compare *c, const mg_bench *b, uint32_t *out)
{
	mg_buf key = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_compare_bench *nb;
	size_t idx = 0;
	bool added;
	int error;

	if ((error = mg_buf_puts(&key, b->package ? b->package : "")) < 0 ||
	    (error = mg_buf_putc(&key, '\0')) < 0 ||
	    (error = mg_buf_puts(&key, b->name)) < 0 ||
	    (error = mg_buf_printf(&key, "%c%d", '\0', b->procs)) < 0)
		goto cleanup;
	/* Room first, so a new key always has its bench. */
	error = mg_array_grow((void **)&c->benches, &c->bench_cap,
	                      c->bench_keys.n, sizeof(*c->benches));
	if (error == 0)
		error = mg_intern_get(&c->bench_keys, key.ptr, key.len, true,
		                      &idx, &added);
	if (error < 0 || !added)
		goto cleanup;
	nb = &c->benches[idx];
	nb->package = mg_strdup(b->package ? b->package : "");
	nb->name = mg_strdup(b->name);
	nb->procs = b->procs;
	nb->fullname = fullname_of(b->name, b->procs);
	if (!nb->package || !nb->name || !nb->fullname)
		error = MG_ENOMEM;
cleanup:
	mg_buf_release(&key);
	*out = (uint32_t)idx;
	return error;
}

static int config_id(mg_compare *c, const mg_bench *b, uint32_t *out)
{
	mg_buf key = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_compare_config *nc;
	size_t idx = 0, i;
	bool added;
	int error = 0;

	for (i = 0; i < b->nconfig && error == 0; i++) {
		error = mg_buf_puts(&key, b->config[i].key);
		if (error == 0)
			error = mg_buf_putc(&key, '\0');
		if (error == 0)
			error = mg_buf_puts(&key, b->config[i].value);
		if (error == 0)
			error = mg_buf_putc(&key, '\0');
	}
	if (error == 0)
		error = mg_array_grow((void **)&c->configs, &c->config_cap,
		                      c->config_keys.n, sizeof(*c->configs));
	if (error == 0)
		error = mg_intern_get(&c->config_keys, key.ptr, key.len, true,
		                      &idx, &added);
	if (error < 0 || !added)
		goto cleanup;
	nc = &c->configs[idx];
	nc->n = 0;
	nc->kv = b->nconfig ? calloc(b->nconfig, sizeof(*nc->kv)) : NULL;
	if (b->nconfig && nc->kv == NULL) {
		error = MG_ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < b->nconfig; i++) {
		nc->kv[i].key = mg_strdup(b->config[i].key);
		nc->kv[i].value = mg_strdup(b->config[i].value);
		nc->n++;
		if (!nc->kv[i].key || !nc->kv[i].value) {
			error = MG_ENOMEM;
			break;
		}
	}
cleanup:
	mg_buf_release(&key);
	*out = (uint32_t)idx;
	return error;
}

/* The profile figures of (package, type), created on first use. */
static int prof_get(mg_compare *c, const char *package, int type,
                    mg_compare_prof **out)
{
	mg_buf key = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t idx;
	bool added;
	int error;

	if ((error = mg_buf_puts(&key, package)) < 0 ||
	    (error = mg_buf_printf(&key, "%c%d", '\0', type)) < 0)
		goto cleanup;
	error = mg_array_grow((void **)&c->profs, &c->prof_cap, c->prof_keys.n,
	                      sizeof(*c->profs));
	if (error == 0)
		error = mg_intern_get(&c->prof_keys, key.ptr, key.len, true,
		                      &idx, &added);
	if (error < 0)
		goto cleanup;
	if (added) {
		memset(&c->profs[idx], 0, sizeof(c->profs[idx]));
		c->profs[idx].type = type;
		c->profs[idx].package = mg_strdup(package);
		if (c->profs[idx].package == NULL) {
			error = MG_ENOMEM;
			goto cleanup;
		}
	}
	*out = &c->profs[idx];
cleanup:
	mg_buf_release(&key);
	return error;
}

static int prof_add(mg_compare_prof *p, int side, const char *function,
                    int64_t flat)
{
	size_t idx;
	bool added;
	int error;

	error = mg_array_grow((void **)&p->v, &p->vcap, p->funcs.n,
	                      sizeof(*p->v));
	if (error == 0)
		error = mg_intern_get(&p->funcs, function, strlen(function),
		                      true, &idx, &added);
	if (error < 0)
		return error;
	if (added) {
		p->v[idx][0] = 0;
		p->v[idx][1] = 0;
	}
	/* Wrap like Go's sums instead of overflowing (UB in C). */
	p->v[idx][side] = (int64_t)((uint64_t)p->v[idx][side] + (uint64_t)flat);
	p->total[side] = (int64_t)((uint64_t)p->total[side] + (uint64_t)flat);
	return 0;
}

static const char *const attr_types[2] = {"alloc_space", "alloc_objects"};

/* Index of sample type `name` ("alloc_space/bytes" matches alloc_space). */
static bool find_type(const mg_profile *p, const char *name, size_t *out)
{
	size_t i, n = strlen(name);

	for (i = 0; i < p->nsample_types; i++)
		if (strncmp(p->sample_types[i], name, n) == 0 &&
		    (p->sample_types[i][n] == '/' ||
		     p->sample_types[i][n] == '\0')) {
			*out = i;
			return true;
		}
	return false;
}

static int add_profiles(mg_compare *c, int side, const mg_run *run)
{
	size_t i, j, t, idx;
	int error;

	for (i = 0; i < run->nprofiles; i++) {
		const mg_profile *p = &run->profiles[i];

		if (p->kind == NULL || strcmp(p->kind, "heap") != 0)
			continue;
		for (t = 0; t < 2; t++) {
			mg_compare_prof *pf;

			if (!find_type(p, attr_types[t], &idx))
				continue;
			error = prof_get(c, p->package ? p->package : "",
			                 (int)t, &pf);
			if (error < 0)
				return error;
			pf->has[side] = true;
			for (j = 0; j < p->nfuncs; j++) {
				if (p->funcs[j].sample_type != idx)
					continue;
				error = prof_add(pf, side, p->funcs[j].function,
				                 p->funcs[j].flat);
				if (error < 0)
					return error;
			}
		}
	}
	return 0;
}

int mg_compare_add_run(mg_compare *c, enum mg_compare_side side,
                       const mg_run *run, int64_t run_id, mg_err *err)
{
	mg_compare_sidedata *sd = &c->side[side];
	uint32_t *bid = NULL, *cid = NULL;
	size_t i, idx;
	int64_t *ids;
	int error = 0;

	if (c->done)
		return mg_err_set(err, MG_ECONFLICT,
		                  "the comparison was already computed");
	if (sd->nruns >= MG_COMPARE_MAX_RUNS)
		return mg_err_set(err, MG_ELIMIT,
		                  "more than %d runs on one side",
		                  MG_COMPARE_MAX_RUNS);
	if (run->nsamples > MG_COMPARE_MAX_SAMPLES - c->nentries)
		return mg_err_set(err, MG_ELIMIT,
		                  "more than %zu samples in one comparison",
		                  MG_COMPARE_MAX_SAMPLES);
	ids = realloc(sd->run_ids, (sd->nruns + 1) * sizeof(*ids));
	if (ids == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	sd->run_ids = ids;
	sd->run_ids[sd->nruns++] = run_id;
	if (run->status != MG_RUN_OK) {
		sd->failed = true;
		return 0;
	}
	sd->ok = true;
	if (!sd->has_env) {
		sd->has_env = true;
		if (env_copy(&sd->env, &run->env) < 0)
			goto oom;
	}
	if (run->nbenches) {
		bid = calloc(run->nbenches, sizeof(*bid));
		cid = calloc(run->nbenches, sizeof(*cid));
		if (bid == NULL || cid == NULL)
			goto oom;
	}
	for (i = 0; i < run->nbenches && error == 0; i++) {
		error = bench_id(c, &run->benches[i], &bid[i]);
		if (error == 0)
			error = config_id(c, &run->benches[i], &cid[i]);
	}
	if (error < 0)
		goto fail;
	if (c->nentries + run->nsamples > c->entry_cap) {
		size_t cap = c->entry_cap ? c->entry_cap : 1024;
		mg_compare_entry *e;

		while (cap < c->nentries + run->nsamples)
			cap *= 2;
		e = realloc(c->entries, cap * sizeof(*e));
		if (e == NULL)
			goto oom;
		c->entries = e;
		c->entry_cap = cap;
	}
	for (i = 0; i < run->nsamples; i++) {
		const mg_sample *s = &run->samples[i];
		mg_compare_entry *e;

		if (s->bench >= run->nbenches || !isfinite(s->value))
			continue;
		error = mg_intern_get(&c->units, s->unit, strlen(s->unit), true,
		                      &idx, NULL);
		if (error < 0)
			goto fail;
		e = &c->entries[c->nentries++];
		e->bench = bid[s->bench];
		e->config = cid[s->bench];
		e->unit = (uint32_t)idx;
		e->side = (uint32_t)side;
		e->value = s->value;
	}
	error = add_profiles(c, (int)side, run);
	if (error < 0)
		goto fail;
	free(bid);
	free(cid);
	return 0;
oom:
	error = MG_ENOMEM;
fail:
	free(bid);
	free(cid);
	return mg_err_set(err, error,
	                  error == MG_ELIMIT ? "too many distinct keys"
	                                     : "out of memory");
}

static int floor_key(mg_buf *key, const char *package, const char *name,
                     int procs, const char *unit)
{
	if (mg_buf_puts(key, package ? package : "") < 0 ||
	    mg_buf_putc(key, '\0') < 0 || mg_buf_puts(key, name) < 0 ||
	    mg_buf_printf(key, "%c%d%c", '\0', procs, '\0') < 0 ||
	    mg_buf_puts(key, unit) < 0)
		return MG_ENOMEM;
	return 0;
}

int mg_compare_set_noise_floor(mg_compare *c, const char *package,
                               const char *name, int procs, const char *unit,
                               double rel, mg_err *err)
{
	mg_buf key = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t idx;
	bool added;
	int error;

	if (!isfinite(rel) || rel < 0)
		return mg_err_set(err, MG_EINPUT,
		                  "noise floor of '%.80s' %s: expected a "
		                  "fraction >= 0, got %g",
		                  name, unit, rel);
	if (c->floor_keys.n >= MG_COMPARE_MAX_FLOORS)
		return mg_err_set(err, MG_ELIMIT, "more than %d noise floors",
		                  MG_COMPARE_MAX_FLOORS);
	error = floor_key(&key, package, name, procs, unit);
	if (error == 0)
		error = mg_array_grow((void **)&c->floors, &c->floor_cap,
		                      c->floor_keys.n, sizeof(*c->floors));
	if (error == 0)
		error = mg_intern_get(&c->floor_keys, key.ptr, key.len, true,
		                      &idx, &added);
	if (error == 0)
		c->floors[idx] = rel;
	mg_buf_release(&key);
	if (error < 0)
		return mg_err_set(err, error, "out of memory");
	return 0;
}

/* ---- computing ------------------------------------------------------ */

/* sec/op first, then B/op, allocs/op, then the rest as first seen. */
static int unit_rank(const char *unit)
{
	if (strcmp(unit, "ns/op") == 0 || strcmp(unit, "sec/op") == 0)
		return 0;
	if (strcmp(unit, "B/op") == 0)
		return 1;
	if (strcmp(unit, "allocs/op") == 0)
		return 2;
	return 3;
}

struct pair_slot {
	uint32_t bench;
	uint32_t unit;
	size_t brank; /* bench order: first seen, base side first */
	size_t urank; /* unit order */
	size_t n[2];  /* samples per side */
	size_t fill[2];
	double *v; /* n[0] base values then n[1] head values */
};

static int cmp_slot(const void *a, const void *b)
{
	const struct pair_slot *x = a, *y = b;

	if (x->brank != y->brank)
		return x->brank < y->brank ? -1 : 1;
	if (x->urank != y->urank)
		return x->urank < y->urank ? -1 : 1;
	return 0;
}

static void rule_for(const mg_compare *c, const mg_compare_bench *b,
                     const char *unit, mg_stats_rule *rule)
{
	mg_buf key = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const mg_compare_threshold *star = NULL, *hit = NULL;
	size_t i, idx;

	mg_stats_rule_default(rule, unit);
	rule->alpha = c->opts.alpha;
	for (i = 0; i < c->thr.n; i++) {
		if (strcmp(c->thr.items[i].unit, unit) == 0)
			hit = &c->thr.items[i];
		else if (strcmp(c->thr.items[i].unit, "*") == 0)
			star = &c->thr.items[i];
	}
	if (hit == NULL)
		hit = star;
	if (hit) {
		rule->threshold = hit->value;
		rule->absolute = hit->absolute;
	}
	if (c->floor_keys.n &&
	    floor_key(&key, b->package, b->name, b->procs, unit) == 0 &&
	    mg_intern_get((mg_intern *)&c->floor_keys, key.ptr, key.len, false,
	                  &idx, NULL) == 0)
		rule->noise_floor = c->floors[idx];
	mg_buf_release(&key);
}

/* Group the entries into pairs of (benchmark, unit), in output order. */
static int build_slots(mg_compare *c, struct pair_slot **out, size_t *n_out)
{
	mg_intern keys = {0};
	struct pair_slot *slots = NULL;
	size_t nslots = 0, cap = 0, *brank = NULL, nb = 0, i, s, idx;
	size_t *urank = NULL;
	bool added;
	int error = 0;

	brank = malloc((c->bench_keys.n + 1) * sizeof(*brank));
	urank = malloc((c->units.n + 1) * sizeof(*urank));
	if (brank == NULL || urank == NULL)
		goto oom;
	for (i = 0; i < c->bench_keys.n; i++)
		brank[i] = SIZE_MAX;
	for (i = 0; i < c->units.n; i++)
		urank[i] =
		        (size_t)unit_rank(c->units.keys[i]) * (c->units.n + 1) +
		        i;
	/* Base first, so benchmarks keep the base file's order. */
	for (s = 0; s < 2; s++) {
		for (i = 0; i < c->nentries; i++) {
			const mg_compare_entry *e = &c->entries[i];
			uint32_t key[2] = {e->bench, e->unit};
			struct pair_slot *p;

			if (e->side != s)
				continue;
			if (brank[e->bench] == SIZE_MAX)
				brank[e->bench] = nb++;
			error = mg_intern_get(&keys, key, sizeof(key), true,
			                      &idx, &added);
			if (error < 0)
				goto cleanup;
			if (added) {
				error = mg_array_grow((void **)&slots, &cap,
				                      nslots, sizeof(*slots));
				if (error < 0)
					goto cleanup;
				p = &slots[nslots++];
				memset(p, 0, sizeof(*p));
				p->bench = e->bench;
				p->unit = e->unit;
			}
			slots[idx].n[s]++;
		}
	}
	for (i = 0; i < nslots; i++) {
		slots[i].brank = brank[slots[i].bench];
		slots[i].urank = urank[slots[i].unit];
		slots[i].v = malloc((slots[i].n[0] + slots[i].n[1]) *
		                    sizeof(double));
		if (slots[i].v == NULL)
			goto oom;
	}
	/* Fill through the intern index, then sort (it moves slots). */
	for (i = 0; i < c->nentries; i++) {
		const mg_compare_entry *e = &c->entries[i];
		uint32_t key[2] = {e->bench, e->unit};
		struct pair_slot *p;

		if (mg_intern_get(&keys, key, sizeof(key), false, &idx, NULL) <
		    0)
			continue;
		p = &slots[idx];
		if (e->side == 0)
			p->v[p->fill[0]++] = e->value;
		else
			p->v[p->n[0] + p->fill[1]++] = e->value;
	}
	if (nslots > 1) /* slots is NULL when no side has samples */
		qsort(slots, nslots, sizeof(*slots), cmp_slot);
	*out = slots;
	*n_out = nslots;
	slots = NULL;
	nslots = 0;
	goto cleanup;
oom:
	error = MG_ENOMEM;
cleanup:
	for (i = 0; i < nslots; i++)
		free(slots[i].v);
	free(slots);
	free(brank);
	free(urank);
	mg_intern_release(&keys);
	return error;
}

static int cmp_attr(const void *a, const void *b)
{
	const mg_compare_attr *x = a, *y = b;

	if (x->growth != y->growth)
		return x->growth > y->growth ? -1 : 1;
	return strcmp(x->function, y->function);
}

/*
 * The functions of pair p's package whose share of its allocations (of
 * the sample type matching the unit) grew most, appended to c->attrs;
 * the pair's attr pointer is set afterwards, once attrs stops moving.
 */
static int attribute(mg_compare *c, mg_compare_pair *p, size_t *first,
                     size_t *count)
{
	mg_buf key = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_compare_attr *cand = NULL, *na;
	mg_compare_prof *pf;
	size_t idx, i, n = 0;
	int type = strcmp(p->unit, "B/op") == 0 ? 0 : 1, error;

	*first = c->nattrs;
	*count = 0;
	p->attr_tried = true;
	error = mg_buf_puts(&key, p->package);
	if (error == 0)
		error = mg_buf_printf(&key, "%c%d", '\0', type);
	if (error < 0)
		goto cleanup;
	if (mg_intern_get(&c->prof_keys, key.ptr, key.len, false, &idx, NULL) <
	    0)
		goto cleanup;
	pf = &c->profs[idx];
	if (!pf->has[0] || !pf->has[1] || pf->total[0] <= 0 ||
	    pf->total[1] <= 0)
		goto cleanup;
	p->attr_profiles = true;
	cand = calloc(pf->funcs.n + 1, sizeof(*cand));
	if (cand == NULL) {
		error = MG_ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < pf->funcs.n; i++) {
		double bs = (double)pf->v[i][0] / (double)pf->total[0];
		double hs = (double)pf->v[i][1] / (double)pf->total[1];

		if (!(hs - bs > MG_COMPARE_ATTR_MIN_GROWTH))
			continue;
		cand[n].function = pf->funcs.keys[i];
		cand[n].sample_type = attr_types[type];
		cand[n].base = pf->v[i][0];
		cand[n].head = pf->v[i][1];
		cand[n].base_share = bs;
		cand[n].head_share = hs;
		cand[n].growth = hs - bs;
		n++;
	}
	qsort(cand, n, sizeof(*cand), cmp_attr);
	if (n > MG_COMPARE_ATTR_TOP)
		n = MG_COMPARE_ATTR_TOP;
	if (n == 0)
		goto cleanup;
	na = realloc(c->attrs, (c->nattrs + n) * sizeof(*na));
	if (na == NULL) {
		error = MG_ENOMEM;
		goto cleanup;
	}
	c->attrs = na;
	memcpy(c->attrs + c->nattrs, cand, n * sizeof(*cand));
	c->nattrs += n;
	*count = n;
cleanup:
	free(cand);
	mg_buf_release(&key);
	return error;
}

/* Geomean rows, per unit in pair order (benchstat's summarizeCol). */
static int compute_geomeans(mg_compare *c)
{
	double *bv = NULL, *hv = NULL, *rv = NULL;
	size_t u, i, nb, nh, nr;
	bool bad;
	int error = 0;

	c->geo = calloc(c->units.n + 1, sizeof(*c->geo));
	bv = malloc((c->npairs + 1) * sizeof(*bv));
	hv = malloc((c->npairs + 1) * sizeof(*hv));
	rv = malloc((c->npairs + 1) * sizeof(*rv));
	if (c->geo == NULL || bv == NULL || hv == NULL || rv == NULL) {
		error = MG_ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < c->npairs; i++) {
		const char *unit = c->pairs[i].unit;
		mg_compare_geomean *g;
		size_t j;

		for (u = 0; u < c->ngeo; u++)
			if (c->geo[u].unit == unit)
				break;
		if (u < c->ngeo)
			continue;
		nb = nh = nr = 0;
		bad = false;
		for (j = i; j < c->npairs; j++) {
			const mg_compare_pair *p = &c->pairs[j];
			double a, b;

			if (p->unit != unit)
				continue;
			if (p->nbase)
				bv[nb++] = p->cmp.base.center;
			if (p->nhead)
				hv[nh++] = p->cmp.head.center;
			if (p->presence != MG_COMPARE_BOTH)
				continue;
			a = p->cmp.head.center;
			b = p->cmp.base.center;
			if (a == b)
				rv[nr++] = 1; /* 0/0 counts as no change */
			else if (b == 0)
				bad = true;
			else
				rv[nr++] = a / b;
		}
		g = &c->geo[c->ngeo++];
		g->unit = unit;
		g->base = mg_stats_geomean(bv, nb);
		g->head = mg_stats_geomean(hv, nh);
		g->ratio = bad ? NAN : mg_stats_geomean(rv, nr);
		g->nbase = nb;
		g->nhead = nh;
		g->npaired = nr + (bad ? 1 : 0);
	}
cleanup:
	free(bv);
	free(hv);
	free(rv);
	return error;
}

static void env_note(mg_compare *c)
{
	mg_buf d = MG_BUF_INIT(MG_COMPARE_MAX_NOTE);
	unsigned diff;

	if (!c->side[0].has_env || !c->side[1].has_env ||
	    c->side[0].env.os == NULL || c->side[1].env.os == NULL)
		return;
	diff = mg_env_diff(&c->side[0].env, &c->side[1].env);
	if (diff == 0)
		return;
	mg_env_diff_describe(&d, &c->side[0].env, &c->side[1].env, diff);
	/* A note that cannot be allocated is left out, not an error. */
	mg_compare_add_note(c, NULL,
	                    "the base and head runs come from different "
	                    "environments (%s): time and memory may differ "
	                    "for that reason alone",
	                    d.ptr);
	mg_buf_release(&d);
}

int mg_compare_run(mg_compare *c, mg_err *err)
{
	struct pair_slot *slots = NULL;
	size_t nslots = 0, i, *afirst = NULL, *acount = NULL;
	double *p = NULL;
	bool *bench_both = NULL;
	int error;

	if (c->done)
		return mg_err_set(err, MG_ECONFLICT,
		                  "the comparison was already computed");
	c->done = true;
	error = build_slots(c, &slots, &nslots);
	if (error < 0)
		goto fail;
	c->pairs = calloc(nslots + 1, sizeof(*c->pairs));
	c->values = calloc(nslots + 1, sizeof(*c->values));
	p = malloc((nslots + 1) * sizeof(*p));
	afirst = calloc(nslots + 1, sizeof(*afirst));
	acount = calloc(nslots + 1, sizeof(*acount));
	bench_both = calloc(c->bench_keys.n + 1, sizeof(*bench_both));
	if (!c->pairs || !c->values || !p || !afirst || !acount || !bench_both)
		goto oom;
	for (i = 0; i < nslots; i++) {
		struct pair_slot *s = &slots[i];
		mg_compare_pair *pr = &c->pairs[i];
		const mg_compare_bench *b = &c->benches[s->bench];

		c->values[i] = s->v;
		s->v = NULL;
		c->npairs++;
		pr->package = b->package;
		pr->name = b->name;
		pr->procs = b->procs;
		pr->unit = c->units.keys[s->unit];
		pr->nbase = s->n[0];
		pr->nhead = s->n[1];
		pr->p_adj = NAN;
		pr->verdict = MG_STATS_INCONCLUSIVE;
		p[i] = NAN;
		rule_for(c, b, pr->unit, &pr->rule);
		if (s->n[0] && s->n[1]) {
			pr->presence = MG_COMPARE_BOTH;
			bench_both[s->bench] = true;
			error = mg_stats_compare(
			        &pr->cmp, c->values[i], s->n[0],
			        c->values[i] + s->n[0], s->n[1],
			        c->opts.confidence, err);
			if (error < 0)
				goto named;
			/* Pairs without a test take no part in BH. */
			if (pr->cmp.test.status == MG_STATS_UTEST_OK)
				p[i] = pr->cmp.test.p;
			continue;
		}
		pr->presence = s->n[0] ? MG_COMPARE_REMOVED : MG_COMPARE_ADDED;
		error = mg_stats_summarize(
		        s->n[0] ? &pr->cmp.base : &pr->cmp.head, c->values[i],
		        s->n[0] ? s->n[0] : s->n[1], c->opts.confidence, err);
		if (error < 0)
			goto named;
	}
	error = mg_stats_bh(p, p, c->npairs, err);
	if (error < 0)
		goto fail;
	for (i = 0; i < c->npairs; i++) {
		mg_compare_pair *pr = &c->pairs[i];

		if (pr->presence != MG_COMPARE_BOTH)
			continue;
		pr->p_adj = p[i];
		/* No test: only the exact rule decides, p is not looked at. */
		pr->verdict = mg_stats_judge(&pr->cmp, isnan(p[i]) ? 1 : p[i],
		                             &pr->rule);
		if (pr->verdict == MG_STATS_REGRESSION &&
		    (strcmp(pr->unit, "B/op") == 0 ||
		     strcmp(pr->unit, "allocs/op") == 0)) {
			error = attribute(c, pr, &afirst[i], &acount[i]);
			if (error < 0)
				goto oom;
		}
	}
	for (i = 0; i < c->npairs; i++) {
		c->pairs[i].attr = acount[i] ? c->attrs + afirst[i] : NULL;
		c->pairs[i].nattr = acount[i];
	}
	for (i = 0; i < c->bench_keys.n; i++)
		if (bench_both[i])
			c->nbench_both++;
	error = compute_geomeans(c);
	if (error < 0)
		goto oom;
	env_note(c);
	c->verdict = MG_STATS_UNCHANGED;
	if (mg_compare_count_verdict(c, MG_STATS_REGRESSION))
		c->verdict = MG_STATS_REGRESSION;
	else if (mg_compare_side_status(c, MG_COMPARE_BASE) !=
	                 MG_COMPARE_SIDE_OK ||
	         mg_compare_side_status(c, MG_COMPARE_HEAD) !=
	                 MG_COMPARE_SIDE_OK ||
	         c->nbench_both == 0)
		c->verdict = MG_STATS_INCONCLUSIVE;
	else if (mg_compare_count_verdict(c, MG_STATS_IMPROVEMENT))
		c->verdict = MG_STATS_IMPROVEMENT;
	error = 0;
	goto cleanup;

named:
	mg_err_prefix(err, "%s %s", c->pairs[i].name, c->pairs[i].unit);
	goto fail;
oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory");
fail:
	c->verdict = MG_STATS_INCONCLUSIVE;
cleanup:
	for (i = 0; i < nslots; i++)
		free(slots[i].v);
	free(slots);
	free(p);
	free(afirst);
	free(acount);
	free(bench_both);
	return error;
}

/* ---- results -------------------------------------------------------- */

size_t mg_compare_count(const mg_compare *c)
{
	return c->npairs;
}

const mg_compare_pair *mg_compare_pair_at(const mg_compare *c, size_t i)
{
	return i < c->npairs ? &c->pairs[i] : NULL;
}

size_t mg_compare_geomean_count(const mg_compare *c)
{
	return c->ngeo;
}

const mg_compare_geomean *mg_compare_geomean_at(const mg_compare *c, size_t i)
{
	return i < c->ngeo ? &c->geo[i] : NULL;
}

enum mg_stats_verdict mg_compare_verdict(const mg_compare *c)
{
	return c->verdict;
}

size_t mg_compare_count_verdict(const mg_compare *c, enum mg_stats_verdict v)
{
	size_t i, n = 0;

	for (i = 0; i < c->npairs; i++)
		if (c->pairs[i].presence == MG_COMPARE_BOTH &&
		    c->pairs[i].verdict == v)
			n++;
	return n;
}

size_t mg_compare_benchmarks(const mg_compare *c)
{
	return c->nbench_both;
}

size_t mg_compare_note_count(const mg_compare *c)
{
	return c->nnotes;
}

const char *mg_compare_note_at(const mg_compare *c, size_t i)
{
	return i < c->nnotes ? c->notes[i] : NULL;
}

enum mg_compare_side_status mg_compare_side_status(const mg_compare *c,
                                                   enum mg_compare_side s)
{
	const mg_compare_sidedata *sd = &c->side[s];

	if (sd->ok)
		return MG_COMPARE_SIDE_OK;
	if (sd->failed)
		return MG_COMPARE_SIDE_FAILED;
	return MG_COMPARE_SIDE_MISSING;
}

const mg_compare_side_info *mg_compare_side(const mg_compare *c,
                                            enum mg_compare_side s)
{
	return &c->side[s].info;
}

size_t mg_compare_side_runs(const mg_compare *c, enum mg_compare_side s)
{
	return c->side[s].nruns;
}

const int64_t *mg_compare_side_run_ids(const mg_compare *c,
                                       enum mg_compare_side s)
{
	return c->side[s].run_ids;
}

const mg_compare_opts *mg_compare_options(const mg_compare *c)
{
	return &c->opts;
}

const mg_compare_thresholds *mg_compare_overrides(const mg_compare *c)
{
	return &c->thr;
}

const char *mg_compare__side_name(const mg_compare *c, enum mg_compare_side s)
{
	if (c->side[s].label && c->side[s].label[0])
		return c->side[s].label;
	return s == MG_COMPARE_BASE ? "base" : "head";
}

int mg_compare_write_summary(mg_buf *out, const mg_compare *c)
{
	size_t reg = mg_compare_count_verdict(c, MG_STATS_REGRESSION);
	size_t imp = mg_compare_count_verdict(c, MG_STATS_IMPROVEMENT);
	size_t nb = c->nbench_both;
	int s;

	if (reg == 0 && c->verdict == MG_STATS_INCONCLUSIVE) {
		for (s = 0; s < 2; s++) {
			enum mg_compare_side_status st =
			        mg_compare_side_status(c, s);

			if (st == MG_COMPARE_SIDE_OK)
				continue;
			return mg_buf_printf(
			        out, "inconclusive: the %s %s",
			        s == 0 ? "base" : "head",
			        st == MG_COMPARE_SIDE_FAILED
			                ? "failed"
			                : "has no successful runs");
		}
		return mg_buf_puts(out, "inconclusive: no benchmark was "
		                        "measured on both sides");
	}
	if (reg) {
		int error = mg_buf_printf(out, "%zu regression%s", reg,
		                          reg == 1 ? "" : "s");

		if (error == 0 && imp)
			error = mg_buf_printf(out, ", %zu improvement%s", imp,
			                      imp == 1 ? "" : "s");
		if (error == 0)
			error = mg_buf_printf(out, " in %zu benchmark%s", nb,
			                      nb == 1 ? "" : "s");
		return error;
	}
	if (imp)
		return mg_buf_printf(out,
		                     "no regression, %zu improvement%s in %zu "
		                     "benchmark%s",
		                     imp, imp == 1 ? "" : "s", nb,
		                     nb == 1 ? "" : "s");
	return mg_buf_printf(out, "no regression in %zu benchmark%s", nb,
	                     nb == 1 ? "" : "s");
}
