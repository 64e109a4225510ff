/*
 * store_history.c - the history points of a run: one per (benchmark,
 * unit) it has, the pooled samples of every ok run of its commit on its
 * branch (history_chunks, read by mg_store_history).
 *
 * A run's transaction keeps its own points as one history_pending row
 * (histblob.h), and writing pending points into history_chunks is one
 * step for every caller: the run's transaction takes it at once, or,
 * with mg_store_defer_history (memgate-server), mg_store_history_apply
 * takes it later for many runs, all their points or one slice of the
 * series. Each run adds a point at the end of every series it has, each
 * series in its own leaf: written in the run's transaction, every commit
 * rewrites those ~600 leaves (and logs and checkpoints them) for the 3
 * or 4 runs it holds; written for 30-50 runs at a time, each leaf is
 * rewritten once for all of them (server/history.c). The points of a
 * series are kept 16 to a row (histchunk.h), so those 30-50 points are
 * one read and one write of the series' last chunk, not an insert each.
 *
 * A pending row holds the run's own points. When its commit has other ok
 * runs on the branch, or the row does not read back, the commit's points
 * are recomputed from all their samples instead.
 */
#include "histblob.h"
#include "histchunk.h"
#include "store_int.h"

/*
 * The samples of the ok runs of commit ?1 on branch ?2: (benchmark id,
 * unit, value, NULL, run id) per row stored before 0010, (NULL, NULL,
 * NULL, sets, run id) per run since. CROSS JOIN keeps runs (few per
 * commit) as the outer loop: otherwise SQLite may scan every sample of a
 * benchmark across all runs, making ingest slower as the database grows.
 */
static int pooled_stmt(mg_store *st, sqlite3_stmt **out, mg_err *err)
{
	return mg_store__cached(
	        st, MG_STORE__C_POOLED,
	        "SELECT s.benchmark_id, s.unit, s.value, NULL, r.id FROM runs "
	        "r CROSS JOIN sample_rows s ON s.run_id = r.id WHERE "
	        "r.commit_id = ?1 AND r.status = 'ok' AND r.branch = ?2 "
	        "UNION ALL SELECT NULL, NULL, NULL, s.sets, r.id FROM runs r "
	        "CROSS JOIN run_samples s ON s.run_id = r.id WHERE "
	        "r.commit_id = ?1 AND r.status = 'ok' AND r.branch = ?2",
	        out, err);
}

/* ---- deferred points (history_pending, histblob.h) ---------------------- */

void mg_store_defer_history(mg_store *st, bool on)
{
	st->defer_history = on;
}

/* The median of the sorted v[0..n), n > 0. */
static double median_of(const double *v, size_t n)
{
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The run's own points into one history_pending row. */
static int defer_points(mg_store *st, const mg_store_sets *sets, int64_t run_id,
                        mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	unsigned char *blob;
	size_t i, len = 0, off = 0;
	int error;

	for (i = 0; i < sets->n; i++) {
		/* units are checked names, far below either bound */
		if (strlen(sets->v[i].unit) > UINT16_MAX ||
		    sets->v[i].n > UINT32_MAX)
			return mg_err_set(err, MG_EINTERNAL,
			                  "history point too large");
		len += MG_HISTBLOB_FIXED + strlen(sets->v[i].unit);
	}
	blob = malloc(len);
	if (blob == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	for (i = 0; i < sets->n; i++) {
		const struct mg_store__set *s = &sets->v[st->set_order[i]];
		const double *v = sets->values + s->values;
		mg_histblob_point pt;

		pt.bench_id = st->bench_ids[s->bench];
		pt.n = (uint32_t)s->n;
		pt.median = median_of(v, s->n);
		pt.min = v[0];
		pt.max = v[s->n - 1];
		pt.unit = s->unit;
		pt.unit_len = strlen(s->unit);
		off += mg_histblob_put(blob + off, &pt);
	}
	error = mg_store__cached(st, MG_STORE__C_PENDING,
	                         "INSERT INTO history_pending(run_id, points) "
	                         "VALUES (?1, ?2)",
	                         &stmt, err);
	if (error == 0) {
		sqlite3_bind_int64(stmt, 1, run_id);
		sqlite3_bind_blob(stmt, 2, blob, (int)len, SQLITE_STATIC);
		error = mg_store__exec_stmt(st, stmt, err);
		sqlite3_reset(stmt);
	}
	free(blob);
	return error;
}

static int apply_pending(mg_store *st, int slice, size_t max_runs,
                         size_t *applied, int64_t *done, int64_t *mark,
                         mg_err *err);

int mg_store__history_put(mg_store *st, const mg_store_sets *sets,
                          int64_t run_id, mg_err *err)
{
	const mg_run *run = sets->run;
	size_t applied;
	int64_t done, mark;
	int error;

	if (run->status != MG_RUN_OK || run->branch == NULL || sets->n == 0)
		return 0;
	error = defer_points(st, sets, run_id, err);
	/* at once: this run's row, and any a server left */
	if (error == 0 && !st->defer_history)
		error = apply_pending(st, -1, SIZE_MAX, &applied, &done, &mark,
		                      err);
	return error;
}

/* ---- applying them ------------------------------------------------------- */

/* Whether benchmark bench_id's points belong to slice (-1: all do). */
static bool in_slice(int64_t bench_id, int slice)
{
	return slice < 0 ||
	       (uint64_t)bench_id % MG_STORE_HISTORY_SLICES == (uint64_t)slice;
}

/* A point to write; unit and branch are numbers in struct apply's sets. */
struct point {
	int64_t bench_id;
	uint32_t unit, branch;
	mg_histchunk_point cp; /* its commit's key, n, median, min, max */
	size_t seq; /* order added: of two points of one key, the last wins */
};

/* A commit whose points are recomputed from all its runs' samples. */
struct group {
	int64_t commit_id, commit_time;
	uint32_t branch;
	int64_t last_run; /* the highest of its runs the apply read pending */
};

/* One pooled value of a group (recompute). */
struct value {
	int64_t bench_id;
	uint32_t unit;
	double v;
};

struct apply {
	mg_intern units, branches;
	mg_buf text; /* a chunk's text, read or being written */
	struct point *pts;
	size_t npts, ptscap;
	struct group *groups;
	size_t ngroups, groupscap;
	struct value *vals;
	size_t nvals, valscap;
};

static int intern(mg_intern *in, const char *s, size_t len, uint32_t *idx,
                  mg_err *err)
{
	size_t i;
	int error = mg_intern_get(in, s, len, true, &i, NULL);

	if (error < 0)
		return mg_err_set(err, error, "out of memory");
	*idx = (uint32_t)i;
	return 0;
}

static int add_point(struct apply *a, const struct point *pt, mg_err *err)
{
	if (mg_array_grow((void **)&a->pts, &a->ptscap, a->npts,
	                  sizeof(*a->pts)) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	a->pts[a->npts] = *pt;
	a->pts[a->npts].seq = a->npts;
	a->npts++;
	return 0;
}

/*
 * Whether run run_id's point of benchmark bench_id is to be written by
 * an apply of slice (-1: all). An apply of all after some of one slice
 * leaves out what they wrote: rewriting those points was most of its
 * time (32 runs in 169 ms against 5-9 ms for a slice of 50, since each
 * point then went into the middle of its series).
 */
static bool wanted(const mg_store *st, int slice, int64_t bench_id,
                   int64_t run_id)
{
	if (slice >= 0)
		return in_slice(bench_id, slice);
	return st->hist_marks[(uint64_t)bench_id % MG_STORE_HISTORY_SLICES] <
	       run_id;
}

/*
 * The points of run run_id's pending blob, at the commit and branch of
 * `at`. MG_EDB if the blob does not read back (the caller recomputes the
 * run's points from its samples, so nothing is said about it),
 * MG_ENOMEM.
 */
static int decode_points(const mg_store *st, struct apply *a,
                         const unsigned char *b, size_t len, int64_t run_id,
                         const struct point *at, int slice, mg_err *err)
{
	mg_histblob_point hp;
	size_t off = 0, rec = 0;
	int64_t id;
	int rc;

	/* a slice is an eighth of them: look at the others' ids only */
	while ((rc = mg_histblob_skip(b, len, &off, &id, NULL)) == 1) {
		struct point pt = *at;

		if (!wanted(st, slice, id, run_id)) {
			rec = off;
			continue;
		}
		/* the record skip has just checked */
		(void)mg_histblob_next(b, len, &rec, &hp, NULL);
		pt.bench_id = hp.bench_id;
		pt.cp.n = hp.n;
		pt.cp.median = hp.median;
		pt.cp.min = hp.min;
		pt.cp.max = hp.max;
		rc = intern(&a->units, hp.unit, hp.unit_len, &pt.unit, err);
		if (rc == 0)
			rc = add_point(a, &pt, err);
		if (rc < 0)
			return rc;
	}
	return rc < 0 ? MG_EDB : 0;
}

static int cmp_value(const void *x, const void *y)
{
	const struct value *a = x, *b = y;

	if (a->bench_id != b->bench_id)
		return a->bench_id < b->bench_id ? -1 : 1;
	if (a->unit != b->unit)
		return a->unit < b->unit ? -1 : 1;
	return (a->v > b->v) - (a->v < b->v);
}

/* What a recompute of group g in an apply of slice wants (wanted()). */
struct want {
	const mg_store *st;
	int slice;
	int64_t run_id;
};

static bool want_bench(int64_t bench_id, void *arg)
{
	const struct want *w = arg;

	return wanted(w->st, w->slice, bench_id, w->run_id);
}

/* Value v of benchmark bench_id, unit number u, to pool. */
static int add_value(struct apply *a, int64_t bench_id, uint32_t u, double v,
                     mg_err *err)
{
	if (mg_array_grow((void **)&a->vals, &a->valscap, a->nvals,
	                  sizeof(*a->vals)) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	a->vals[a->nvals].bench_id = bench_id;
	a->vals[a->nvals].unit = u;
	a->vals[a->nvals].v = v;
	a->nvals++;
	return 0;
}

/*
 * Group g's points: the samples of all ok runs of its commit on its
 * branch. Only the benchmarks the apply wants are read, as for a run of
 * its own (wanted(), by the group's last pending run): each run's sets
 * are read again for each slice, and each read decodes that slice's
 * eighth and passes over the rest.
 */
static int recompute(mg_store *st, struct apply *a, const struct group *g,
                     int slice, mg_err *err)
{
	struct want w = {st, slice, g->last_run};
	sqlite3_stmt *stmt = NULL;
	size_t i, j;
	int rc, error;

	a->nvals = 0;
	error = pooled_stmt(st, &stmt, err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(stmt, 1, g->commit_id);
	sqlite3_bind_text(stmt, 2, a->branches.keys[g->branch],
	                  (int)a->branches.lens[g->branch], SQLITE_STATIC);
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		mg_sampleset_run sets;
		size_t k;

		uint32_t u = 0;

		/* a row of sample_rows (stored before 0010): one value */
		if (sqlite3_column_type(stmt, 3) == SQLITE_NULL) {
			int64_t id = sqlite3_column_int64(stmt, 0);

			if (!want_bench(id, &w))
				continue;
			rc = intern(&a->units,
			            (const char *)sqlite3_column_text(stmt, 1),
			            (size_t)sqlite3_column_bytes(stmt, 1), &u,
			            err);
			if (rc == 0)
				rc = add_value(a, id, u,
				               sqlite3_column_double(stmt, 2),
				               err);
			if (rc < 0)
				break;
			continue;
		}
		/* the reader keeps only what w wants */
		rc = mg_store__read_sets(stmt, 3, sqlite3_column_int64(stmt, 4),
		                         want_bench, &w, &sets, err);
		for (i = 0; rc == 0 && i < sets.n; i++) {
			const mg_sampleset_entry *e = &sets.v[i];

			rc = intern(&a->units, e->unit, strlen(e->unit), &u,
			            err);
			for (k = e->first; rc == 0 && k < e->first + e->n; k++)
				rc = add_value(a, e->bench_id, u,
				               sets.items[k].value, err);
		}
		mg_sampleset_run_free(&sets);
		if (rc < 0)
			break;
	}
	sqlite3_reset(stmt);
	if (rc < 0)
		return rc;
	if (a->nvals > 1)
		qsort(a->vals, a->nvals, sizeof(*a->vals), cmp_value);
	for (i = 0; i < a->nvals; i = j) {
		const struct value *v = &a->vals[i];
		struct point pt;
		size_t n;

		for (j = i;
		     j < a->nvals && a->vals[j].bench_id == v->bench_id &&
		     a->vals[j].unit == v->unit;
		     j++)
			;
		n = j - i;
		/* v[0..n) sorted by value */
		memset(&pt, 0, sizeof(pt));
		pt.bench_id = v->bench_id;
		pt.unit = v->unit;
		pt.branch = g->branch;
		pt.cp.commit_time = g->commit_time;
		pt.cp.commit_id = g->commit_id;
		pt.cp.n = (int64_t)n;
		pt.cp.median =
		        n % 2 ? v[n / 2].v : (v[n / 2 - 1].v + v[n / 2].v) / 2;
		pt.cp.min = v[0].v;
		pt.cp.max = v[n - 1].v;
		error = add_point(a, &pt, err);
		if (error < 0)
			return error;
	}
	return 0;
}

/* The chunks' key order: benchmark, unit, branch, time, commit; then seq. */
static int cmp_point(const void *x, const void *y, void *arg)
{
	const struct point *p = x, *q = y;
	const struct apply *a = arg;
	int c;

	if (p->bench_id != q->bench_id)
		return p->bench_id < q->bench_id ? -1 : 1;
	if (p->unit != q->unit &&
	    (c = strcmp(a->units.keys[p->unit], a->units.keys[q->unit])) != 0)
		return c;
	if (p->branch != q->branch &&
	    (c = strcmp(a->branches.keys[p->branch],
	                a->branches.keys[q->branch])) != 0)
		return c;
	if ((c = mg_histchunk_cmp(&p->cp, &q->cp)) != 0)
		return c;
	return (p->seq > q->seq) - (p->seq < q->seq);
}

/* ---- points into history_chunks (histchunk.h) ---------------------------- */

int mg_store__decode_chunk(const char *text, size_t len,
                           const mg_histchunk_point *key, int64_t bench_id,
                           const char *unit, const char *branch,
                           mg_histchunk_point *v, size_t *n, mg_err *err)
{
	int error = mg_histchunk_decode(text, len, v, n, err);

	if (error == 0 && mg_histchunk_cmp(&v[0], key) != 0)
		error = mg_err_set(err, MG_EDB,
		                   "history chunk: its first point is not its "
		                   "key");
	if (error < 0) {
		if (error != MG_ENOMEM)
			error = err->code = MG_EDB;
		mg_err_prefix(err,
		              "history of benchmark %lld, unit '%s', branch "
		              "'%s'",
		              (long long)bench_id, unit, branch);
	}
	return error;
}

/* The series being written, and the chunk of it last read. */
struct series {
	struct apply *a;
	int64_t bench_id;
	const char *unit, *branch;
	size_t unit_len, branch_len;
	bool found;               /* a chunk was read */
	mg_histchunk_point first; /* its key (its first point's) */
	mg_histchunk_point last;  /* its last point's key */
	int64_t n;                /* its points; its text in a->text */
};

/* The columns read of a chunk; ?1..?3 the series in every statement. */
#define CHUNK_COLS                                                             \
	"SELECT first_time, first_commit, last_time, last_commit, n, points "  \
	"FROM history_chunks WHERE benchmark_id = ?1 AND unit = ?2 AND "       \
	"branch = ?3 "

static void bind_series(sqlite3_stmt *stmt, const struct series *s)
{
	sqlite3_bind_int64(stmt, 1, s->bench_id);
	sqlite3_bind_text(stmt, 2, s->unit, (int)s->unit_len, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 3, s->branch, (int)s->branch_len,
	                  SQLITE_STATIC);
}

/*
 * One chunk of the series into s: the last one (at NULL), the last one
 * whose key is at or before *at's, or failing that the first one.
 */
static int read_chunk(mg_store *st, struct series *s,
                      const mg_histchunk_point *at, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	if (at == NULL)
		error = mg_store__cached(st, MG_STORE__C_CHUNK_LAST,
		                         CHUNK_COLS "ORDER BY first_time DESC, "
		                                    "first_commit DESC LIMIT 1",
		                         &stmt, err);
	else
		error = mg_store__cached(
		        st, MG_STORE__C_CHUNK_AT,
		        CHUNK_COLS "AND first_time <= ?4 AND (first_time < ?4 "
		                   "OR first_commit <= ?5) ORDER BY first_time "
		                   "DESC, first_commit DESC LIMIT 1",
		        &stmt, err);
	if (error < 0)
		return error;
	bind_series(stmt, s);
	if (at) {
		sqlite3_bind_int64(stmt, 4, at->commit_time);
		sqlite3_bind_int64(stmt, 5, at->commit_id);
	}
	rc = mg_store__step(st, stmt, err);
	if (rc == SQLITE_DONE && at) {
		sqlite3_reset(stmt);
		error = mg_store__cached(st, MG_STORE__C_CHUNK_FIRST,
		                         CHUNK_COLS "ORDER BY first_time, "
		                                    "first_commit LIMIT 1",
		                         &stmt, err);
		if (error < 0)
			return error;
		bind_series(stmt, s);
		rc = mg_store__step(st, stmt, err);
	}
	s->found = rc == SQLITE_ROW;
	mg_buf_reset(&s->a->text);
	if (s->found) {
		s->first.commit_time = sqlite3_column_int64(stmt, 0);
		s->first.commit_id = sqlite3_column_int64(stmt, 1);
		s->last.commit_time = sqlite3_column_int64(stmt, 2);
		s->last.commit_id = sqlite3_column_int64(stmt, 3);
		s->n = sqlite3_column_int64(stmt, 4);
		if (mg_buf_put(&s->a->text, sqlite3_column_text(stmt, 5),
		               (size_t)sqlite3_column_bytes(stmt, 5)) < 0)
			rc = mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	sqlite3_reset(stmt);
	return rc < 0 ? rc : 0;
}

/* The text of p[0..n) into text. */
static int encode_points(mg_buf *text, const mg_histchunk_point *p, size_t n,
                         mg_err *err)
{
	size_t i;
	int error = 0;

	mg_buf_reset(text);
	for (i = 0; i < n && error == 0; i++)
		error = mg_histchunk_add(text, &p[i], err);
	return error < 0 ? error : mg_histchunk_end(text, err);
}

/*
 * Statement `slot` (sql: an INSERT or an UPDATE of a chunk, ?1..?9 its
 * columns in the table's order) for the chunk of key *first, n points,
 * the last one's key *last, its text in s->a->text.
 */
static int put_chunk(mg_store *st, struct series *s,
                     enum mg_store__cached_slot slot, const char *sql,
                     const mg_histchunk_point *first,
                     const mg_histchunk_point *last, size_t n, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	mg_buf *text = &s->a->text;
	int error;

	error = mg_store__cached(st, slot, sql, &stmt, err);
	if (error < 0)
		return error;
	bind_series(stmt, s);
	sqlite3_bind_int64(stmt, 4, first->commit_time);
	sqlite3_bind_int64(stmt, 5, first->commit_id);
	sqlite3_bind_int64(stmt, 6, last->commit_time);
	sqlite3_bind_int64(stmt, 7, last->commit_id);
	sqlite3_bind_int64(stmt, 8, (int64_t)n);
	sqlite3_bind_text(stmt, 9, text->ptr, (int)text->len, SQLITE_STATIC);
	error = mg_store__exec_stmt(st, stmt, err);
	sqlite3_reset(stmt);
	return error;
}

/* A new chunk of p[0..n), 1 <= n <= MG_HISTCHUNK_MAX. */
static int insert_chunk(mg_store *st, struct series *s,
                        const mg_histchunk_point *p, size_t n, mg_err *err)
{
	int error = encode_points(&s->a->text, p, n, err);

	if (error < 0)
		return error;
	return put_chunk(st, s, MG_STORE__C_CHUNK_PUT,
	                 "INSERT INTO history_chunks(benchmark_id, unit, "
	                 "branch, first_time, first_commit, last_time, "
	                 "last_commit, n, points) VALUES (?1, ?2, ?3, ?4, ?5, "
	                 "?6, ?7, ?8, ?9)",
	                 &p[0], &p[n - 1], n, err);
}

/* p[0..n) as new chunks, full ones first. */
static int insert_chunks(mg_store *st, struct series *s,
                         const mg_histchunk_point *p, size_t n, mg_err *err)
{
	size_t i, c;
	int error = 0;

	for (i = 0; i < n && error == 0; i += c) {
		c = n - i < MG_HISTCHUNK_MAX ? n - i : MG_HISTCHUNK_MAX;
		error = insert_chunk(st, s, p + i, c, err);
	}
	return error;
}

/*
 * The chunk read into s (its key unchanged) now holds the text in
 * s->a->text: n points, the last one's key *last.
 */
static int update_chunk(mg_store *st, struct series *s,
                        const mg_histchunk_point *last, size_t n, mg_err *err)
{
	return put_chunk(st, s, MG_STORE__C_CHUNK_SET,
	                 "UPDATE history_chunks SET last_time = ?6, "
	                 "last_commit = ?7, n = ?8, points = ?9 WHERE "
	                 "benchmark_id = ?1 AND unit = ?2 AND branch = ?3 AND "
	                 "first_time = ?4 AND first_commit = ?5",
	                 &s->first, last, n, err);
}

/* Remove the chunk read into s. */
static int delete_chunk(mg_store *st, struct series *s, mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int error;

	error = mg_store__cached(st, MG_STORE__C_CHUNK_DEL,
	                         "DELETE FROM history_chunks WHERE "
	                         "benchmark_id = ?1 AND unit = ?2 AND branch "
	                         "= ?3 AND first_time = ?4 AND first_commit = "
	                         "?5",
	                         &stmt, err);
	if (error < 0)
		return error;
	bind_series(stmt, s);
	sqlite3_bind_int64(stmt, 4, s->first.commit_time);
	sqlite3_bind_int64(stmt, 5, s->first.commit_id);
	error = mg_store__exec_stmt(st, stmt, err);
	sqlite3_reset(stmt);
	return error;
}

/*
 * The points of the chunk read into s into v[0..*n). A chunk that does
 * not read back is a damaged database: MG_EDB naming the series.
 */
static int decode_chunk(struct series *s, mg_histchunk_point *v, size_t *n,
                        mg_err *err)
{
	return mg_store__decode_chunk(s->a->text.ptr, s->a->text.len, &s->first,
	                              s->bench_id, s->unit, s->branch, v, n,
	                              err);
}

/*
 * The sorted, one-per-key w[0..m) and p[0..k) merged into out (room for
 * m + k), p's point taking the place of w's of the same key; the count.
 */
static size_t merge(const mg_histchunk_point *w, size_t m,
                    const mg_histchunk_point *p, size_t k,
                    mg_histchunk_point *out)
{
	size_t i = 0, j = 0, n = 0;

	while (i < m || j < k) {
		int c = i == m   ? 1
		        : j == k ? -1
		                 : mg_histchunk_cmp(&w[i], &p[j]);

		if (c < 0) {
			out[n++] = w[i++];
			continue;
		}
		i += c == 0;
		out[n++] = p[j++];
	}
	return n;
}

/*
 * Point p, before the first point of the series' last chunk: into the
 * chunk that holds its place (or the first chunk, if p comes before
 * every point), replacing a point of its key; a chunk grown past
 * MG_HISTCHUNK_MAX is split in two.
 */
static int merge_point(mg_store *st, struct series *s,
                       const mg_histchunk_point *p, mg_err *err)
{
	mg_histchunk_point w[MG_HISTCHUNK_MAX], v[MG_HISTCHUNK_MAX + 1];
	size_t m = 0, n, half;
	int error;

	if ((error = read_chunk(st, s, p, err)) < 0)
		return error;
	if (!s->found)
		return mg_err_set(err, MG_EINTERNAL, "no chunk to merge into");
	if ((error = decode_chunk(s, w, &m, err)) < 0)
		return error;
	n = merge(w, m, p, 1, v);
	/* its first key may change: a new row */
	if ((error = delete_chunk(st, s, err)) < 0)
		return error;
	half = n > MG_HISTCHUNK_MAX ? n / 2 : n;
	error = insert_chunk(st, s, v, half, err);
	if (error == 0 && half < n)
		error = insert_chunk(st, s, v + half, n - half, err);
	return error;
}

/*
 * Points p[0..k), none before the first point of the series' last chunk
 * (read into s), into that chunk: appended to its text without decoding
 * it when all come after its last point, else merged with its points.
 * What does not fit goes into new chunks after it.
 */
static int write_last(mg_store *st, struct series *s,
                      const mg_histchunk_point *p, size_t k, mg_err *err)
{
	mg_histchunk_point w[MG_HISTCHUNK_MAX], *v = NULL;
	mg_buf *text = &s->a->text;
	size_t m = 0, n, i = 0, c;
	int error = 0;

	if (mg_histchunk_cmp(&p[0], &s->last) > 0 && text->len >= 2 &&
	    text->ptr[text->len - 1] == ']') {
		/* the usual case: newer commits, appended */
		mg_buf_truncate(text, text->len - 1); /* its ']' */
		for (; i < k && s->n < MG_HISTCHUNK_MAX && error == 0; i++) {
			error = mg_histchunk_add(text, &p[i], err);
			s->n++;
		}
		if (error == 0 && i > 0)
			error = mg_histchunk_end(text, err);
		if (error == 0 && i > 0)
			error = update_chunk(st, s, &p[i - 1], (size_t)s->n,
			                     err);
		return error < 0 ? error
		                 : insert_chunks(st, s, p + i, k - i, err);
	}
	/* some at or before its last point: merged, then laid out again */
	if ((error = decode_chunk(s, w, &m, err)) < 0)
		return error;
	v = malloc((m + k) * sizeof(*v));
	if (v == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	n = merge(w, m, p, k, v);
	c = n < MG_HISTCHUNK_MAX ? n : MG_HISTCHUNK_MAX;
	error = encode_points(text, v, c, err);
	if (error == 0)
		error = update_chunk(st, s, &v[c - 1], c, err);
	if (error == 0)
		error = insert_chunks(st, s, v + c, n - c, err);
	free(v);
	return error;
}

/*
 * The points of one series, v[0..n) in key order, one per key. Those
 * before its last chunk (a commit stored late, or older than the newest)
 * go in one at a time; the rest, usually all, into the last chunk and
 * after it, with one read and one write for all of them.
 */
static int write_series(mg_store *st, struct series *s, mg_histchunk_point *v,
                        size_t n, mg_err *err)
{
	mg_histchunk_point first;
	size_t i = 0;
	int error;

	if ((error = read_chunk(st, s, NULL, err)) < 0)
		return error;
	if (!s->found)
		return insert_chunks(st, s, v, n, err);
	first = s->first; /* s is the chunk read last */
	for (; i < n && mg_histchunk_cmp(&v[i], &first) < 0; i++)
		if ((error = merge_point(st, s, &v[i], err)) < 0)
			return error;
	if (i == n)
		return 0;
	/* a merge may have changed the last chunk (a series of one) */
	if (i > 0 && (error = read_chunk(st, s, NULL, err)) < 0)
		return error;
	return write_last(st, s, v + i, n - i, err);
}

static bool same_series(const struct point *p, const struct point *q)
{
	return p->bench_id == q->bench_id && p->unit == q->unit &&
	       p->branch == q->branch;
}

static int write_points(mg_store *st, struct apply *a, mg_err *err)
{
	mg_histchunk_point *v;
	size_t i, j, n;
	int error = 0;

	if (a->npts == 0)
		return 0;
	if (a->npts > 1)
		qsort_r(a->pts, a->npts, sizeof(*a->pts), cmp_point, a);
	v = malloc(a->npts * sizeof(*v));
	if (v == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	for (i = 0; i < a->npts && error == 0; i = j) {
		const struct point *pt = &a->pts[i];
		struct series s;

		memset(&s, 0, sizeof(s));
		s.a = a;
		s.bench_id = pt->bench_id;
		s.unit = a->units.keys[pt->unit];
		s.unit_len = a->units.lens[pt->unit];
		s.branch = a->branches.keys[pt->branch];
		s.branch_len = a->branches.lens[pt->branch];
		for (j = i, n = 0; j < a->npts && same_series(&a->pts[j], pt);
		     j++) {
			const struct point *q = &a->pts[j];

			/* of two points of one key, the last added */
			if (j + 1 < a->npts && same_series(&a->pts[j + 1], q) &&
			    mg_histchunk_cmp(&a->pts[j + 1].cp, &q->cp) == 0)
				continue;
			v[n++] = q->cp;
		}
		error = write_series(st, &s, v, n, err);
	}
	free(v);
	return error;
}

/*
 * Read up to max_runs pending rows, lowest run id first, into a's points
 * (or groups to recompute); *last the highest run id read.
 */
static int read_pending(mg_store *st, struct apply *a, int slice, int64_t after,
                        size_t max_runs, size_t *nruns, int64_t *last,
                        mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	error = mg_store__cached(
	        st, MG_STORE__C_PENDING_READ,
	        "SELECT p.run_id, p.points, r.commit_id, c.commit_time, "
	        "r.branch, (SELECT count(*) FROM runs o WHERE o.commit_id = "
	        "r.commit_id AND o.status = 'ok' AND o.branch = r.branch) "
	        "FROM history_pending p JOIN runs r ON r.id = p.run_id JOIN "
	        "commits c ON c.id = r.commit_id WHERE p.run_id > ?2 ORDER BY "
	        "p.run_id LIMIT ?1",
	        &stmt, err);
	if (error < 0)
		return error;
	/* LIMIT -1: no limit */
	sqlite3_bind_int64(stmt, 1,
	                   max_runs > INT64_MAX ? -1 : (int64_t)max_runs);
	sqlite3_bind_int64(stmt, 2, after);
	while ((rc = mg_store__step(st, stmt, err)) == SQLITE_ROW) {
		struct point at;
		size_t k;

		memset(&at, 0, sizeof(at));
		*last = sqlite3_column_int64(stmt, 0);
		(*nruns)++;
		at.cp.commit_id = sqlite3_column_int64(stmt, 2);
		at.cp.commit_time = sqlite3_column_int64(stmt, 3);
		rc = intern(&a->branches,
		            (const char *)sqlite3_column_text(stmt, 4),
		            (size_t)sqlite3_column_bytes(stmt, 4), &at.branch,
		            err);
		if (rc < 0)
			break;
		if (sqlite3_column_int64(stmt, 5) <= 1) {
			size_t before = a->npts;

			rc = decode_points(
			        st, a, sqlite3_column_blob(stmt, 1),
			        (size_t)sqlite3_column_bytes(stmt, 1), *last,
			        &at, slice, err);
			if (rc == 0)
				continue;
			if (rc != MG_EDB)
				break;
			/*
			 * A row that does not read back holds only what the
			 * run's samples give again: recompute from them,
			 * rather than stop every history read behind it.
			 */
			a->npts = before;
			rc = 0;
		}
		/* pooled with the commit's other runs: once per commit */
		for (k = 0; k < a->ngroups; k++)
			if (a->groups[k].commit_id == at.cp.commit_id &&
			    a->groups[k].branch == at.branch)
				break;
		if (k < a->ngroups) {
			/* rows come in run id order */
			a->groups[k].last_run = *last;
			continue;
		}
		if (mg_array_grow((void **)&a->groups, &a->groupscap,
		                  a->ngroups, sizeof(*a->groups)) < 0) {
			rc = mg_err_set(err, MG_ENOMEM, "out of memory");
			break;
		}
		a->groups[a->ngroups].commit_id = at.cp.commit_id;
		a->groups[a->ngroups].commit_time = at.cp.commit_time;
		a->groups[a->ngroups].branch = at.branch;
		a->groups[a->ngroups].last_run = *last;
		a->ngroups++;
	}
	sqlite3_reset(stmt);
	return rc < 0 ? rc : 0;
}

/*
 * Pending rows read and written at a time: their points are in memory
 * together (a run of 200 benchmarks x 3 units has 600). A database
 * migrated to 0013 has every run pending, and the CLI writes them all at
 * its next write.
 */
#define APPLY_BATCH 64

/*
 * The points of slice (-1: all) of up to max_runs pending rows after run
 * id `after`, lowest first: *nruns rows read, *last the highest id.
 */
static int apply_batch(mg_store *st, int slice, int64_t after, size_t max_runs,
                       size_t *nruns, int64_t *last, mg_err *err)
{
	struct apply a;
	size_t i;
	int error;

	memset(&a, 0, sizeof(a));
	mg_buf_init(&a.text, MG_BUF_NOLIMIT);
	error = read_pending(st, &a, slice, after, max_runs, nruns, last, err);
	for (i = 0; error == 0 && i < a.ngroups; i++)
		error = recompute(st, &a, &a.groups[i], slice, err);
	if (error == 0)
		error = write_points(st, &a, err);
	mg_intern_release(&a.units);
	mg_intern_release(&a.branches);
	mg_buf_release(&a.text);
	free(a.pts);
	free(a.groups);
	free(a.vals);
	return error;
}

/*
 * Inside the caller's transaction: write the points of slice (-1: all)
 * of up to max_runs pending rows, lowest run id first, APPLY_BATCH rows
 * at a time, and delete the rows whose every slice is written. *done:
 * the highest run id deleted (0: none); *mark: what st->hist_marks[slice]
 * becomes once the caller commits.
 */
static int apply_pending(mg_store *st, int slice, size_t max_runs,
                         size_t *applied, int64_t *done, int64_t *mark,
                         mg_err *err)
{
	sqlite3_stmt *del = NULL;
	int64_t last = 0, upto;
	size_t nruns = 0, n, want;
	int error = 0, s;

	*mark = slice < 0 ? 0 : st->hist_marks[slice];
	do {
		want = max_runs - nruns < APPLY_BATCH ? max_runs - nruns
		                                      : APPLY_BATCH;
		n = 0;
		error = apply_batch(st, slice, nruns ? last : *mark, want, &n,
		                    &last, err);
		nruns += n;
	} while (error == 0 && n == want && nruns < max_runs);
	if (nruns > 0)
		*mark = last;
	/* the rows written in full: all of this call's, or all slices' */
	upto = slice < 0 ? last : *mark;
	for (s = 0; slice >= 0 && s < MG_STORE_HISTORY_SLICES; s++)
		if (s != slice && st->hist_marks[s] < upto)
			upto = st->hist_marks[s];
	if (error == 0 && upto > 0)
		error = mg_store__cached(st, MG_STORE__C_PENDING_DONE,
		                         "DELETE FROM history_pending WHERE "
		                         "run_id <= ?1",
		                         &del, err);
	if (error == 0 && upto > 0) {
		sqlite3_bind_int64(del, 1, upto);
		error = mg_store__exec_stmt(st, del, err);
		sqlite3_reset(del);
	}
	*applied = error == 0 ? nruns : 0;
	*done = error == 0 ? upto : 0;
	return error;
}

/*
 * An apply commits without waiting for the disk, even on a store opened
 * with synchronous=FULL: it only moves points from history_pending into
 * history_chunks in one transaction. Lost to a power cut, it leaves the
 * pending rows as they were, and the next start writes them again. It
 * cannot outlive its loss either: WAL frames count in order, so the
 * next FULL commit (a run's) syncs them with its own. The history
 * thread, which holds the writer's lock while it applies, made 27
 * fdatasync calls in 2 s of ingest before and 1 after
 * (tests/bench/bench_server under perf).
 */
static void history_sync(mg_store *st, bool restore)
{
	if (st->sync_full)
		sqlite3_exec(st->db,
		             restore ? "PRAGMA synchronous = FULL"
		                     : "PRAGMA synchronous = NORMAL",
		             NULL, NULL, NULL);
}

int mg_store_history_apply(mg_store *st, int slice, size_t max_runs,
                           size_t *applied, int64_t *done_upto, mg_err *err)
{
	int64_t last = 0, done = 0, mark = 0;
	int error, s;

	*applied = 0;
	if (done_upto)
		*done_upto = 0;
	if (slice >= MG_STORE_HISTORY_SLICES)
		return mg_err_set(err, MG_EINTERNAL, "history slice %d", slice);
	/* nothing pending: no need to wait for the write lock */
	error = mg_store_history_pending(st, NULL, &last, err);
	if (error == 0 && last > (slice < 0 ? 0 : st->hist_marks[slice])) {
		/* as for ingest: every row written references rows that exist */
		mg_store__ingest_fk(st, false);
		history_sync(st, false);
		error = mg_store_begin(st, err);
		if (error == 0)
			error = apply_pending(st, slice, max_runs, applied,
			                      &done, &mark, err);
		if (error == 0)
			error = mg_store_commit(st, err);
		else if (st->in_tx)
			mg_store_rollback(st);
		history_sync(st, true);
		mg_store__ingest_fk(st, true);
	}
	if (error < 0) {
		*applied = 0;
		mg_err_prefix(err, "history points");
		return error;
	}
	/* committed: the marks move */
	if (slice >= 0 && mark > st->hist_marks[slice])
		st->hist_marks[slice] = mark;
	for (s = 0; slice < 0 && s < MG_STORE_HISTORY_SLICES; s++)
		if (st->hist_marks[s] < done)
			st->hist_marks[s] = done;
	if (done_upto)
		*done_upto = done;
	return 0;
}

int mg_store_history_pending(mg_store *st, int64_t *n, int64_t *max_run_id,
                             mg_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc, error;

	/*
	 * Kept prepared: every history read and every apply asks. max(run_id)
	 * alone is one step down the table's b-tree; count(*) reads it all.
	 */
	error = n ? mg_store__cached(st, MG_STORE__C_PENDING_COUNT,
	                             "SELECT count(*), coalesce(max(run_id), "
	                             "0) FROM history_pending",
	                             &stmt, err)
	          : mg_store__cached(st, MG_STORE__C_PENDING_MAX,
	                             "SELECT 0, coalesce(max(run_id), 0) "
	                             "FROM history_pending",
	                             &stmt, err);
	if (error < 0)
		return error;
	rc = mg_store__step(st, stmt, err);
	if (rc == SQLITE_ROW && n)
		*n = sqlite3_column_int64(stmt, 0);
	if (rc == SQLITE_ROW && max_run_id)
		*max_run_id = sqlite3_column_int64(stmt, 1);
	sqlite3_reset(stmt);
	return rc == SQLITE_ROW ? 0 : rc;
}
