/*
 * run.c - building and releasing mg_run. Arrays grow by doubling; their
 * capacities are kept in hidden parallel counters implied by the count
 * (grow when count is a power of two), so the public struct stays plain.
 * mg_run_validate() holds the rules every stored or sent run must meet;
 * the store and the JSON run format (runjson.c) both apply it.
 */
#include <math.h>

#include "buf.h"
#include "run.h"

static void index_free(mg_run *run);

void mg_run_init(mg_run *run)
{
	memset(run, 0, sizeof(*run));
}

/*
 * Make room for one more element in an array that holds `count` elements,
 * reallocating at powers of two (capacity = next power of two >= count).
 */
static int grow_array(void **arr, size_t count, size_t elem, size_t max)
{
	size_t cap;
	void *p;

	if (count >= max)
		return MG_ELIMIT;
	if (count != 0 && (count & (count - 1)) != 0)
		return 0;
	cap = count ? count * 2 : 4;
	if (count != 0 && count < 4)
		return 0;
	p = realloc(*arr, cap * elem);
	if (p == NULL)
		return MG_ENOMEM;
	*arr = p;
	return 0;
}

int mg_run_set_str(char **field, const char *s)
{
	char *copy = NULL;

	if (s != NULL) {
		if (strlen(s) > MG_RUN_MAX_STR)
			return MG_ELIMIT;
		copy = mg_strdup(s);
		if (copy == NULL)
			return MG_ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void mg_env_release(mg_env *e)
{
	free(e->os);
	free(e->kernel);
	free(e->arch);
	free(e->cpu_model);
	free(e->go_version);
	free(e->gomaxprocs);
	free(e->gogc);
	free(e->gomemlimit);
	free(e->godebug);
	free(e->thp);
	free(e->label);
	memset(e, 0, sizeof(*e));
}

static void profile_release(mg_profile *p)
{
	size_t i;

	free(p->kind);
	free(p->package);
	free_strv(p->sample_types, p->nsample_types);
	free(p->default_sample_type);
	free(p->data);
	for (i = 0; i < p->nfuncs; i++) {
		free(p->funcs[i].function);
		free(p->funcs[i].file);
	}
	free(p->funcs);
}

void mg_run_release(mg_run *run)
{
	size_t i, j;

	index_free(run);
	free(run->project);
	free(run->clone_url);
	free(run->default_branch);
	free_strv(run->commit.parents, run->commit.nparents);
	free(run->commit.author);
	free(run->commit.subject);
	free(run->branch);
	free(run->base_ref);
	free(run->base_sha);
	mg_env_release(&run->env);
	free(run->build_cmd);
	free(run->bench_cmd);
	free(run->log_tail);
	free(run->idempotency_key);
	for (i = 0; i < run->nbenches; i++) {
		free(run->benches[i].name);
		free(run->benches[i].package);
		for (j = 0; j < run->benches[i].nconfig; j++) {
			free(run->benches[i].config[j].key);
			free(run->benches[i].config[j].value);
		}
		free(run->benches[i].config);
	}
	free(run->benches);
	mg_intern_release(&run->units);
	free(run->samples);
	for (i = 0; i < run->nprofiles; i++)
		profile_release(&run->profiles[i]);
	free(run->profiles);
	mg_run_init(run);
}

static bool config_equal(const mg_bench *b, const mg_kv *config, size_t nconfig)
{
	size_t i;

	if (b->nconfig != nconfig)
		return false;
	for (i = 0; i < nconfig; i++)
		if (strcmp(b->config[i].key, config[i].key) != 0 ||
		    strcmp(b->config[i].value, config[i].value) != 0)
			return false;
	return true;
}

/*
 * The benchmark index: open addressing over bench positions, so looking a
 * benchmark up by (name, package, procs, config) is O(1) instead of a
 * linear scan (100k benchmarks would otherwise cost 5e9 comparisons).
 */
struct mg_run_index {
	size_t *slots; /* bench positions; EMPTY_SLOT where free */
	size_t cap;    /* a power of two, at least twice the benches */
};

#define EMPTY_SLOT ((size_t)-1)

static uint64_t hash_str(uint64_t h, const char *s)
{
	/* FNV-1a, with the terminating NUL so "ab"+"c" != "a"+"bc". */
	do {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	} while (*s++);
	return h;
}

static uint64_t bench_hash(const char *name, const char *package, int procs,
                           const mg_kv *config, size_t nconfig)
{
	uint64_t h = 14695981039346656037ULL;
	char num[16];
	size_t i;

	snprintf(num, sizeof(num), "%d", procs);
	h = hash_str(hash_str(hash_str(h, name), package), num);
	for (i = 0; i < nconfig; i++)
		h = hash_str(hash_str(h, config[i].key), config[i].value);
	return h;
}

static bool bench_equal(const mg_bench *b, const char *name,
                        const char *package, int procs, const mg_kv *config,
                        size_t nconfig)
{
	return b->procs == procs && strcmp(b->name, name) == 0 &&
	       strcmp(b->package, package) == 0 &&
	       config_equal(b, config, nconfig);
}

/* The slot holding an equal bench, or the free slot where it would go. */
static size_t index_probe(const mg_run *run, uint64_t h, const char *name,
                          const char *package, int procs, const mg_kv *config,
                          size_t nconfig)
{
	const struct mg_run_index *ix = run->bench_index;
	size_t i = (size_t)h & (ix->cap - 1);

	while (ix->slots[i] != EMPTY_SLOT &&
	       !bench_equal(&run->benches[ix->slots[i]], name, package, procs,
	                    config, nconfig))
		i = (i + 1) & (ix->cap - 1);
	return i;
}

/* (Re)build the index with room for `want` benches at half load. */
static int index_rebuild(mg_run *run, size_t want)
{
	struct mg_run_index *ix = run->bench_index;
	size_t cap = 16, i;

	while (cap < 2 * want)
		cap *= 2;
	if (ix == NULL) {
		ix = calloc(1, sizeof(*ix));
		if (ix == NULL)
			return MG_ENOMEM;
		run->bench_index = ix;
	}
	free(ix->slots);
	ix->slots = malloc(cap * sizeof(*ix->slots));
	if (ix->slots == NULL) {
		ix->cap = 0;
		return MG_ENOMEM;
	}
	ix->cap = cap;
	for (i = 0; i < cap; i++)
		ix->slots[i] = EMPTY_SLOT;
	for (i = 0; i < run->nbenches; i++) {
		const mg_bench *b = &run->benches[i];
		uint64_t h = bench_hash(b->name, b->package, b->procs,
		                        b->config, b->nconfig);
		size_t j = (size_t)h & (cap - 1);

		while (ix->slots[j] != EMPTY_SLOT)
			j = (j + 1) & (cap - 1);
		ix->slots[j] = i;
	}
	return 0;
}

static int append_raw(mg_run *run, size_t *index_out, const char *name,
                      const char *package, int procs, const mg_kv *config,
                      size_t nconfig);
int mg_run_add_bench(mg_run *run, size_t *index_out, const char *name,
                     const char *package, int procs, const mg_kv *config,
                     size_t nconfig)
{
	uint64_t h;
	size_t slot;
	int error;

	if (package == NULL)
		package = "";
	if (run->bench_index == NULL ||
	    run->bench_index->cap < 2 * (run->nbenches + 1)) {
		error = index_rebuild(run, run->nbenches + 1);
		if (error < 0)
			return error;
	}
	h = bench_hash(name, package, procs, config, nconfig);
	slot = index_probe(run, h, name, package, procs, config, nconfig);
	if (run->bench_index->slots[slot] != EMPTY_SLOT) {
		*index_out = run->bench_index->slots[slot];
		return 0;
	}
	error = append_raw(run, index_out, name, package, procs, config,
	                   nconfig);
	if (error < 0)
		return error;
	run->bench_index->slots[slot] = *index_out;
	return 0;
}

static void index_free(mg_run *run)
{
	if (run->bench_index)
		free(run->bench_index->slots);
	free(run->bench_index);
	run->bench_index = NULL;
}

int mg_run_append_bench(mg_run *run, size_t *index_out, const char *name,
                        const char *package, int procs, const mg_kv *config,
                        size_t nconfig)
{
	/* The index no longer covers every bench: rebuild it when needed. */
	index_free(run);
	return append_raw(run, index_out, name, package, procs, config,
	                  nconfig);
}

static int append_raw(mg_run *run, size_t *index_out, const char *name,
                      const char *package, int procs, const mg_kv *config,
                      size_t nconfig)
{
	mg_bench *b;
	size_t i;
	int error;

	if (package == NULL)
		package = "";
	if (strlen(name) > MG_RUN_MAX_STR || strlen(package) > MG_RUN_MAX_STR)
		return MG_ELIMIT;
	error = grow_array((void **)&run->benches, run->nbenches,
	                   sizeof(*run->benches), MG_RUN_MAX_BENCHMARKS);
	if (error < 0)
		return error;
	b = &run->benches[run->nbenches];
	memset(b, 0, sizeof(*b));
	b->procs = procs;
	b->name = mg_strdup(name);
	b->package = mg_strdup(package);
	if (nconfig)
		b->config = calloc(nconfig, sizeof(*b->config));
	if (b->name == NULL || b->package == NULL ||
	    (nconfig && b->config == NULL))
		goto oom;
	for (i = 0; i < nconfig; i++) {
		b->config[i].key = mg_strdup(config[i].key);
		b->config[i].value = mg_strdup(config[i].value);
		b->nconfig = i + 1;
		if (b->config[i].key == NULL || b->config[i].value == NULL)
			goto oom;
	}
	*index_out = run->nbenches++;
	return 0;

oom:
	/* Count it so mg_run_release frees the partial entry. */
	run->nbenches++;
	return MG_ENOMEM;
}

int mg_run_add_sample(mg_run *run, size_t bench, const char *unit, double value,
                      int64_t iterations, int64_t seq)
{
	mg_sample *s;
	size_t idx;
	int error;

	if (bench >= run->nbenches)
		return MG_EINTERNAL;
	error = grow_array((void **)&run->samples, run->nsamples,
	                   sizeof(*run->samples), MG_RUN_MAX_SAMPLES);
	if (error < 0)
		return error;
	s = &run->samples[run->nsamples];
	/*
	 * A run has a handful of units over thousands of samples: they
	 * share one copy each (a strdup per sample was 6,000 mallocs and
	 * frees per uploaded run). Samples come in blocks of one unit, so
	 * the last sample's is the one to try before hashing.
	 */
	if (run->nsamples > 0 && strcmp(s[-1].unit, unit) == 0) {
		s->unit = s[-1].unit;
	} else {
		error = mg_intern_get(&run->units, unit, strlen(unit), true,
		                      &idx, NULL);
		if (error < 0)
			return error;
		s->unit = run->units.keys[idx];
	}
	s->bench = bench;
	s->value = value;
	s->iterations = iterations;
	s->seq = seq;
	run->nsamples++;
	return 0;
}

bool mg_run_in_blocks(const mg_run *run, const size_t *idx, size_t n)
{
	const char *units[8];
	size_t i, k, nunits = 0;

	for (i = 0; i < n; i++) {
		const mg_sample *s = &run->samples[idx[i]];

		if (i > 0 && s->unit == run->samples[idx[i - 1]].unit) {
			if (s->seq <= run->samples[idx[i - 1]].seq)
				return false;
			continue;
		}
		/* a new block: its unit must be new to this benchmark */
		if (nunits == sizeof(units) / sizeof(units[0]))
			return false;
		for (k = 0; k < nunits; k++)
			if (units[k] == s->unit ||
			    strcmp(units[k], s->unit) == 0)
				return false;
		units[nunits++] = s->unit;
	}
	return true;
}

int mg_run_group_samples(const mg_run *run, size_t **order_out,
                         size_t **first_out)
{
	size_t *order, *first, *next, i;

	order = calloc(run->nsamples ? run->nsamples : 1, sizeof(*order));
	first = calloc(run->nbenches + 1, sizeof(*first));
	next = calloc(run->nbenches + 1, sizeof(*next));
	if (order == NULL || first == NULL || next == NULL) {
		free(order);
		free(first);
		free(next);
		return MG_ENOMEM;
	}
	for (i = 0; i < run->nsamples; i++)
		first[run->samples[i].bench + 1]++;
	for (i = 0; i < run->nbenches; i++)
		first[i + 1] += first[i];
	memcpy(next, first, run->nbenches * sizeof(*next));
	for (i = 0; i < run->nsamples; i++)
		order[next[run->samples[i].bench]++] = i;
	free(next);
	*order_out = order;
	*first_out = first;
	return 0;
}

int mg_run_merge_samples(mg_run *dst, const mg_run *src, int64_t seq_offset,
                         mg_run_keep_fn keep, void *ctx, int64_t *max_seq)
{
	size_t *map = NULL, i;
	int error = 0;

	*max_seq = -1;
	if (src->nbenches == 0)
		return 0;
	/* SIZE_MAX: a benchmark of src that is not kept. */
	map = malloc(src->nbenches * sizeof(*map));
	if (map == NULL)
		return MG_ENOMEM;
	for (i = 0; i < src->nbenches && error == 0; i++) {
		const mg_bench *b = &src->benches[i];

		map[i] = SIZE_MAX;
		if (keep && !keep(ctx, b))
			continue;
		error = mg_run_add_bench(dst, &map[i], b->name, b->package,
		                         b->procs, b->config, b->nconfig);
	}
	for (i = 0; i < src->nsamples && error == 0; i++) {
		const mg_sample *s = &src->samples[i];

		if (map[s->bench] == SIZE_MAX)
			continue;
		error = mg_run_add_sample(dst, map[s->bench], s->unit, s->value,
		                          s->iterations, seq_offset + s->seq);
		if (s->seq > *max_seq)
			*max_seq = s->seq;
	}
	free(map);
	return error;
}

int mg_run_add_parent(mg_run *run, const char *sha)
{
	int error;
	char *copy;

	error = grow_array((void **)&run->commit.parents, run->commit.nparents,
	                   sizeof(char *), MG_RUN_MAX_PARENTS);
	if (error < 0)
		return error;
	copy = mg_strdup(sha);
	if (copy == NULL)
		return MG_ENOMEM;
	run->commit.parents[run->commit.nparents++] = copy;
	return 0;
}

int mg_run_add_profile(mg_run *run, size_t *index_out, const char *kind,
                       const char *package, const unsigned char *data,
                       size_t len)
{
	mg_profile *p;
	int error;

	error = grow_array((void **)&run->profiles, run->nprofiles,
	                   sizeof(*run->profiles), MG_RUN_MAX_PROFILES);
	if (error < 0)
		return error;
	p = &run->profiles[run->nprofiles];
	memset(p, 0, sizeof(*p));
	run->nprofiles++;
	p->kind = mg_strdup(kind);
	p->package = mg_strdup(package ? package : "");
	p->data = malloc(len ? len : 1);
	if (p->kind == NULL || p->package == NULL || p->data == NULL)
		return MG_ENOMEM;
	if (len)
		memcpy(p->data, data, len);
	p->len = len;
	*index_out = run->nprofiles - 1;
	return 0;
}

int mg_profile_add_sample_type(mg_profile *p, const char *type_unit)
{
	int error;
	char *copy;

	error = grow_array((void **)&p->sample_types, p->nsample_types,
	                   sizeof(char *), MG_RUN_MAX_SAMPLE_TYPES);
	if (error < 0)
		return error;
	copy = mg_strdup(type_unit);
	if (copy == NULL)
		return MG_ENOMEM;
	p->sample_types[p->nsample_types++] = copy;
	return 0;
}

size_t mg_profile_sample_type(const mg_profile *p, const char *type_unit)
{
	size_t t;

	for (t = 0; t < p->nsample_types; t++)
		if (strcmp(p->sample_types[t], type_unit) == 0)
			break;
	return t;
}

int mg_profile_add_func(mg_profile *p, size_t sample_type, const char *function,
                        const char *file, int64_t flat, int64_t cum)
{
	mg_func_agg *f;
	int error;

	if (sample_type >= p->nsample_types)
		return MG_EINTERNAL;
	error = grow_array((void **)&p->funcs, p->nfuncs, sizeof(*p->funcs),
	                   MG_RUN_MAX_SAMPLES);
	if (error < 0)
		return error;
	f = &p->funcs[p->nfuncs];
	f->function = mg_strdup(function);
	f->file = mg_strdup(file ? file : "");
	if (f->function == NULL || f->file == NULL) {
		free(f->function);
		free(f->file);
		return MG_ENOMEM;
	}
	f->sample_type = sample_type;
	f->flat = flat;
	f->cum = cum;
	p->nfuncs++;
	return 0;
}

bool mg_sha_is_valid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < MG_SHA_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[MG_SHA_HEX] == '\0';
}

/* ---- validation shared by the store and the JSON run format ---- */

static int check_str(const char *s, const char *field, bool required,
                     mg_err *err)
{
	if (s == NULL) {
		if (required)
			return mg_err_set(err, MG_EINPUT, "field '%s': missing",
			                  field);
		return 0;
	}
	if (required && s[0] == '\0')
		return mg_err_set(err, MG_EINPUT, "field '%s': empty", field);
	if (strlen(s) > MG_RUN_MAX_STR)
		return mg_err_set(err, MG_EINPUT,
		                  "field '%s': longer than %d bytes", field,
		                  MG_RUN_MAX_STR);
	return 0;
}

/* A unit is printable ASCII without spaces, as the Go format requires. */
int mg_run_check_unit(const char *u, const char *field, mg_err *err)
{
	char shown[65];
	size_t n;

	if (u == NULL || u[0] == '\0')
		return mg_err_set(err, MG_EINPUT, "field '%s': empty", field);
	for (n = 0; u[n]; n++)
		if ((unsigned char)u[n] <= ' ' || (unsigned char)u[n] >= 127)
			break;
	if (u[n] != '\0') {
		/*
		 * The message may end up in a JSON error body: show control
		 * and non-ASCII bytes as '?' rather than copy them.
		 */
		for (n = 0; u[n] && n < sizeof(shown) - 1; n++)
			shown[n] = (unsigned char)u[n] < ' ' ||
			                           (unsigned char)u[n] >= 127
			                   ? '?'
			                   : u[n];
		shown[n] = '\0';
		return mg_err_set(err, MG_EINPUT,
		                  "field '%s': invalid character in '%s'",
		                  field, shown);
	}
	if (n > MG_UNIT_MAX)
		return mg_err_set(err, MG_EINPUT, "field '%s': longer than %d",
		                  field, MG_UNIT_MAX);
	return 0;
}

int mg_run_validate(const mg_run *run, mg_err *err)
{
	char field[64];
	size_t i;
	int error = 0;

	if ((error = check_str(run->project, "project", true, err)) < 0 ||
	    (error = check_str(run->bench_cmd, "bench_cmd", false, err)) < 0 ||
	    (error = check_str(run->build_cmd, "build_cmd", false, err)) < 0 ||
	    (error = check_str(run->log_tail, "log_tail", false, err)) < 0 ||
	    (error = check_str(run->branch, "branch", false, err)) < 0 ||
	    (error = check_str(run->commit.subject, "commit.subject", false,
	                       err)) < 0)
		return error;
	if (!mg_sha_is_valid(run->commit.sha))
		return mg_err_set(err, MG_EINPUT,
		                  "field 'commit.sha': expected 40 lower-case "
		                  "hex digits, got '%.48s'",
		                  run->commit.sha);
	for (i = 0; i < run->commit.nparents; i++)
		if (!mg_sha_is_valid(run->commit.parents[i]))
			return mg_err_set(
			        err, MG_EINPUT,
			        "field 'commit.parents[%zu]': expected "
			        "40 lower-case hex digits",
			        i);
	if (run->base_sha && !mg_sha_is_valid(run->base_sha))
		return mg_err_set(err, MG_EINPUT,
		                  "field 'base_sha': expected 40 lower-case "
		                  "hex digits");
	if (run->status != MG_RUN_OK && run->status != MG_RUN_FAILED)
		return mg_err_set(err, MG_EINPUT, "field 'status': invalid");
	if (run->peak_rss < 0 || run->wall_ns < 0)
		return mg_err_set(err, MG_EINPUT, "field '%s': negative",
		                  run->peak_rss < 0 ? "peak_rss" : "wall_ns");
	for (i = 0; i < run->nbenches; i++) {
		if (run->benches[i].name == NULL ||
		    run->benches[i].name[0] == '\0')
			return mg_err_set(err, MG_EINPUT,
			                  "field 'benchmarks[%zu].name': empty",
			                  i);
		if (run->benches[i].procs < 0)
			return mg_err_set(err, MG_EINPUT,
			                  "field 'benchmarks[%zu].procs': "
			                  "negative",
			                  i);
	}
	for (i = 0; i < run->nsamples; i++) {
		const mg_sample *s = &run->samples[i];

		if (s->bench >= run->nbenches)
			return mg_err_set(err, MG_EINPUT,
			                  "field 'samples[%zu].benchmark': no "
			                  "such benchmark",
			                  i);
		/* Name the field only when there is something to say. */
		if (mg_run_check_unit(s->unit, "unit", NULL) < 0) {
			snprintf(field, sizeof(field), "samples[%zu].unit", i);
			return mg_run_check_unit(s->unit, field, err);
		}
		if (!isfinite(s->value))
			return mg_err_set(err, MG_EINPUT,
			                  "field 'samples[%zu].value': not a "
			                  "finite number",
			                  i);
		if (s->iterations < 0)
			return mg_err_set(err, MG_EINPUT,
			                  "field 'samples[%zu].iterations': "
			                  "negative",
			                  i);
	}
	for (i = 0; i < run->nprofiles; i++)
		if (run->profiles[i].kind == NULL ||
		    run->profiles[i].kind[0] == '\0')
			return mg_err_set(err, MG_EINPUT,
			                  "field 'profiles[%zu].kind': empty",
			                  i);
	return 0;
}
