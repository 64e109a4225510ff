/*
 * store_known.c - what the connection has already found in the database
 * while storing runs: the id of each benchmark, and which (benchmark,
 * unit) pairs benchmark_units holds. A run of 200 benchmarks x 3 units
 * otherwise asks SQLite 800 times, under the write lock, about rows that
 * are nearly always there (1.5 of the writer's 9 ms per run).
 *
 * Nothing is ever deleted from those tables, so a remembered row stays
 * true, with one exception: a row found or added by a transaction that is
 * then rolled back (the whole of it, or one run's savepoint). What was
 * learnt since BEGIN, or since the savepoint, is forgotten with it.
 * Forgetting is always safe: the next run just asks again.
 */
#include <string.h>

#include "store_int.h"

/*
 * Bound on what is remembered: past it everything is forgotten and
 * learnt again, so a server that sees many projects stays small.
 */
#define MG_STORE_KNOWN_MAX 65536

static void forget_all(struct mg_store__known *k)
{
	mg_intern_release(&k->benches);
	mg_intern_release(&k->units);
	free(k->bench_ids);
	k->bench_ids = NULL;
	k->ids_cap = 0;
	k->tx_benches = k->tx_units = 0;
	k->run_benches = k->run_units = 0;
}

void mg_store__known_free(mg_store *st)
{
	forget_all(&st->known);
	mg_buf_release(&st->known.key);
}

/* project id, package NUL name NUL procs: the unique key of benchmarks */
static int bench_key(mg_buf *key, int64_t project_id, const mg_bench *b)
{
	const char *package = b->package ? b->package : "";
	int32_t procs = (int32_t)b->procs;

	mg_buf_reset(key);
	if (mg_buf_put(key, &project_id, sizeof(project_id)) < 0 ||
	    mg_buf_put(key, package, strlen(package) + 1) < 0 ||
	    mg_buf_put(key, b->name, strlen(b->name) + 1) < 0 ||
	    mg_buf_put(key, &procs, sizeof(procs)) < 0)
		return MG_ENOMEM;
	return 0;
}

static int unit_key(mg_buf *key, int64_t bench_id, const char *unit)
{
	mg_buf_reset(key);
	if (mg_buf_put(key, &bench_id, sizeof(bench_id)) < 0 ||
	    mg_buf_puts(key, unit) < 0)
		return MG_ENOMEM;
	return 0;
}

bool mg_store__known_bench(mg_store *st, int64_t project_id, const mg_bench *b,
                           int64_t *id)
{
	struct mg_store__known *k = &st->known;
	size_t idx;

	if (bench_key(&k->key, project_id, b) < 0 ||
	    mg_intern_get(&k->benches, k->key.ptr, k->key.len, false, &idx,
	                  NULL) < 0)
		return false;
	*id = k->bench_ids[idx];
	return true;
}

void mg_store__remember_bench(mg_store *st, int64_t project_id,
                              const mg_bench *b, int64_t id)
{
	struct mg_store__known *k = &st->known;
	size_t idx;

	if (k->benches.n + k->units.n >= MG_STORE_KNOWN_MAX)
		forget_all(k);
	if (k->benches.n == k->ids_cap) {
		size_t cap = k->ids_cap ? 2 * k->ids_cap : 64;
		int64_t *ids = realloc(k->bench_ids, cap * sizeof(*ids));

		if (ids == NULL)
			return;
		k->bench_ids = ids;
		k->ids_cap = cap;
	}
	if (bench_key(&k->key, project_id, b) < 0 ||
	    mg_intern_get(&k->benches, k->key.ptr, k->key.len, true, &idx,
	                  NULL) < 0)
		return;
	k->bench_ids[idx] = id;
}

bool mg_store__known_unit(mg_store *st, int64_t bench_id, const char *unit)
{
	struct mg_store__known *k = &st->known;
	size_t idx;

	return unit_key(&k->key, bench_id, unit) == 0 &&
	       mg_intern_get(&k->units, k->key.ptr, k->key.len, false, &idx,
	                     NULL) == 0;
}

void mg_store__remember_unit(mg_store *st, int64_t bench_id, const char *unit)
{
	struct mg_store__known *k = &st->known;
	size_t idx;

	if (k->benches.n + k->units.n >= MG_STORE_KNOWN_MAX)
		forget_all(k);
	if (unit_key(&k->key, bench_id, unit) == 0)
		(void)mg_intern_get(&k->units, k->key.ptr, k->key.len, true,
		                    &idx, NULL);
}

void mg_store__known_mark(mg_store *st, bool tx)
{
	struct mg_store__known *k = &st->known;

	if (tx) {
		k->tx_benches = k->benches.n;
		k->tx_units = k->units.n;
	}
	k->run_benches = k->benches.n;
	k->run_units = k->units.n;
}

void mg_store__known_undo(mg_store *st, bool tx)
{
	struct mg_store__known *k = &st->known;

	/* forget_all since the mark leaves less than it: nothing to do */
	mg_intern_truncate(&k->benches, tx ? k->tx_benches : k->run_benches);
	mg_intern_truncate(&k->units, tx ? k->tx_units : k->run_units);
}
