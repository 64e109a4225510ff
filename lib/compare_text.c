/*
 * compare_text.c - the benchstat view of a comparison: the text that
 * `benchstat BASE HEAD` (golang.org/x/perf/cmd/benchstat, v2, default
 * options) prints for the same inputs, and benchstat's number scaling,
 * shared with the markdown renderer.
 *
 * What benchstat does, and so what this file reproduces:
 *
 *   values      tidied first: ns -> sec (x 1e-9) and MB -> B (x 1e6) in
 *               a unit's numerator ("ns/op" is shown as "sec/op").
 *   tables      one per distinct (file-level configuration, unit), in
 *               order of each configuration value's and unit's first
 *               appearance (base input first). Before each table, the
 *               configuration lines ("goos: linux") that changed from the
 *               previous table (all of them before the first); a blank
 *               line between tables.
 *   rows        one per full benchmark name without "Benchmark" (with
 *               its "-procs"), in order of first appearance; a "geomean"
 *               row when a table has more than one row.
 *   columns     one per input with data in the table: median, "± N%"
 *               (the interval's larger half-width relative to the median,
 *               "∞" when a bound is infinite, "?" when the bounds' signs
 *               differ from the median's), footnote marks; for the second
 *               input also "vs base": "~" when p > alpha, else the change
 *               of medians "%+.2f%%" ("0.00%" when equal, "?" from 0),
 *               and "(p=0.PPP n=N)" ("n=N1+N2" when sizes differ, no
 *               "p=" when p is 0).
 *   numbers     each row's medians share one scale: the smallest non-zero
 *               magnitude gets >= 3 significant digits with SI prefixes
 *               (T G M k m µ n) or, for byte units, IEC prefixes (Ti Gi
 *               Mi Ki); the geomean row is scaled alone.
 *   footnotes   numbered per table in order of appearance: "need >= N
 *               samples for confidence interval at level C", "all
 *               samples are equal", "need >= N samples to detect a
 *               difference at alpha level A", "summaries must be >0 to
 *               compute geomean", "ratios must be >0 to compute
 *               geomean", "benchmark set differs from baseline; geomeans
 *               may not be comparable".
 *   layout      benchstat's text table: cells with left margins (" │ "
 *               before each input's group, " ± " before ranges, "  "
 *               before deltas, " │" closing the header rows), column
 *               widths from the widest cell, spans widening only their
 *               first column, centered headers, right-aligned numbers.
 */
#include <math.h>

#include "compare_int.h"

/* ---- units and numbers ---------------------------------------------- */

/* Next unit token: separators '*' (back to numerator), '/', '-', space. */
static bool unit_token(const char **s, bool *denom, mg_slice *tok)
{
	const char *p = *s;

	for (; *p; p++) {
		if (*p == '*')
			*denom = false;
		else if (*p == '/')
			*denom = true;
		else if (*p != '-' && *p != ' ' && *p != '\t')
			break;
	}
	if (*p == '\0') {
		*s = p;
		return false;
	}
	tok->ptr = p;
	while (*p && *p != '*' && *p != '/' && *p != '-' && *p != ' ' &&
	       *p != '\t')
		p++;
	tok->len = (size_t)(p - tok->ptr);
	*s = p;
	return true;
}

void mg_compare__tidy_unit(mg_buf *out, const char *unit, double *factor)
{
	const char *s = unit, *copied = unit;
	bool denom = false;
	mg_slice tok;

	*factor = 1;
	if (strcmp(unit, "ns/op") == 0) {
		*factor = 1e-9;
		mg_buf_puts(out, "sec/op");
		return;
	}
	if (strcmp(unit, "MB/s") == 0) {
		*factor = 1e6;
		mg_buf_puts(out, "B/s");
		return;
	}
	while (unit_token(&s, &denom, &tok)) {
		if (denom)
			continue;
		if (mg_slice_eq(tok, "ns")) {
			mg_buf_put(out, copied, (size_t)(tok.ptr - copied));
			mg_buf_puts(out, "sec");
			*factor /= 1e9;
			copied = tok.ptr + tok.len;
		} else if (mg_slice_eq(tok, "MB")) {
			mg_buf_put(out, copied, (size_t)(tok.ptr - copied));
			mg_buf_puts(out, "B");
			*factor *= 1e6;
			copied = tok.ptr + tok.len;
		}
	}
	mg_buf_puts(out, copied);
}

bool mg_compare__unit_binary(const char *unit)
{
	const char *s = unit;
	bool denom = false;
	mg_slice tok;

	while (unit_token(&s, &denom, &tok))
		if (!denom &&
		    (mg_slice_eq(tok, "B") || mg_slice_eq(tok, "MB") ||
		     mg_slice_eq(tok, "bytes")))
			return true;
	return false;
}

struct factor {
	double factor;
	const char *prefix;
	double t100, t10,
	        t1; /* smallest values printed as 100.0, 10.00, 1.000 */
};

/*
 * The thresholds are parsed from the printed forms (99.995, 9.9995,
 * .99995 of each factor), so they match how printing rounds: a value
 * just below 99.995 would print as "100.00" with two decimals.
 */
static void si_factors(struct factor f[8])
{
	static const char *const prefix[8] = {"T", "G", "M", "k",
	                                      "",  "m", "µ", "n"};
	static const double pow10[8] = {1e12, 1e9,  1e6,  1e3,
	                                1,    1e-3, 1e-6, 1e-9};
	char buf[32];
	int i, exp = 12;

	for (i = 0; i < 8; i++, exp -= 3) {
		f[i].factor = pow10[i];
		f[i].prefix = prefix[i];
		snprintf(buf, sizeof(buf), "99.995e%d", exp);
		f[i].t100 = strtod(buf, NULL);
		snprintf(buf, sizeof(buf), "9.9995e%d", exp);
		f[i].t10 = strtod(buf, NULL);
		snprintf(buf, sizeof(buf), ".99995e%d", exp);
		f[i].t1 = strtod(buf, NULL);
	}
}

/*
 * Binary prefixes down to none: values in [1000, 1024) of a unit stay in
 * the smaller unit. The thresholds are 99.995, 9.9995 and .99995 rounded
 * to doubles (as hexadecimal constants) times the factor.
 */
static void iec_factors(struct factor f[5])
{
	static const char *const prefix[5] = {"Ti", "Gi", "Mi", "Ki", ""};
	char buf[48];
	int i, exp = 40;

	for (i = 0; i < 5; i++, exp -= 10) {
		f[i].factor = ldexp(1, exp);
		f[i].prefix = prefix[i];
		snprintf(buf, sizeof(buf), "0x1.8ffae147ae148p%d", 6 + exp);
		f[i].t100 = strtod(buf, NULL);
		snprintf(buf, sizeof(buf), "0x1.3ffbe76c8b439p%d", 3 + exp);
		f[i].t10 = strtod(buf, NULL);
		snprintf(buf, sizeof(buf), "0x1.fff972474538fp%d", -1 + exp);
		f[i].t1 = strtod(buf, NULL);
	}
}

void mg_compare__scaler(mg_compare_scaler *out, const double *vals, size_t n,
                        bool binary)
{
	struct factor si[8], iec[5], *f;
	size_t i, nf;
	double min = 0, v, thresh;
	char buf[32];
	int k;

	for (i = 0; i < n; i++) {
		v = fabs(vals[i]);
		if (v != 0 && (min == 0 || v < min))
			min = v;
	}
	out->prec = 3;
	out->factor = 1;
	out->prefix = "";
	if (min == 0 || !isfinite(min))
		return;
	if (binary) {
		iec_factors(iec);
		f = iec;
		nf = 5;
	} else {
		si_factors(si);
		f = si;
		nf = 8;
	}
	for (i = 0; i < nf; i++) {
		out->factor = f[i].factor;
		out->prefix = f[i].prefix;
		if (min >= f[i].t100) {
			out->prec = 1;
			return;
		}
		if (min >= f[i].t10) {
			out->prec = 2;
			return;
		}
		if (min >= f[i].t1) {
			out->prec = 3;
			return;
		}
	}
	/* Below the smallest prefix: more digits, up to 10 decimals. */
	v = min / f[nf - 1].factor;
	for (k = 0; k < 8; k++) {
		snprintf(buf, sizeof(buf), "9.9995e%d", -1 - k);
		thresh = strtod(buf, NULL);
		if (v >= thresh || k == 7) {
			out->prec = k + 3;
			return;
		}
	}
}

int mg_compare__scaled(mg_buf *out, const mg_compare_scaler *s, double val)
{
	return mg_buf_printf(out, "%.*f%s", s->prec, val / s->factor,
	                     s->prefix);
}

int mg_compare__shortest(mg_buf *out, double v)
{
	char buf[64], *e;
	int p;
	long exp;

	if (!isfinite(v) || v == 0)
		return mg_buf_printf(out, "%g", v);
	for (p = 1; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	snprintf(buf, sizeof(buf), "%.*e", p - 1, v);
	e = strchr(buf, 'e');
	exp = e ? strtol(e + 1, NULL, 10) : 0;
	/*
	 * Go's %v (strconv 'g', shortest): the exponent form below 1e-4 and
	 * from 1e6 on (`fmt.Println(1e6)` prints "1e+06"), digits else.
	 */
	if (exp < -4 || exp >= 6)
		return mg_buf_puts(out, buf);
	return mg_buf_printf(out, "%.*f",
	                     p - 1 - (int)exp > 0 ? p - 1 - (int)exp : 0, v);
}

/* ---- text tables (benchstat's texttab) ------------------------------ */

enum align { AL_LEFT, AL_CENTER, AL_RIGHT };

struct tt_cell {
	size_t row, col, span;
	char *value;
	const char *margin; /* static strings */
	enum align align;
	size_t order; /* insertion order, for a stable sort */
};

struct tt {
	struct tt_cell *cells;
	size_t n, cap;
	size_t cols;  /* columns used */
	bool *shrink; /* columns that never widen for a span */
	size_t nshrink;
	size_t row, col; /* where the next cell goes */
	int error;       /* first allocation failure */
};

static size_t runes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static void tt_release(struct tt *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->cells[i].value);
	free(t->cells);
	free(t->shrink);
	memset(t, 0, sizeof(*t));
}

static void tt_row(struct tt *t)
{
	if (t->n)
		t->row++;
	t->col = 0;
}

/*
 * Add a cell spanning `span` columns at the current position. The margin
 * defaults to one space, none in the first column or for an empty cell.
 */
static void tt_span(struct tt *t, size_t span, const char *value,
                    enum align align, const char *margin)
{
	struct tt_cell *cell;

	if (t->error)
		return;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tt_cell *n = realloc(t->cells, cap * sizeof(*n));

		if (n == NULL) {
			t->error = MG_ENOMEM;
			return;
		}
		t->cells = n;
		t->cap = cap;
	}
	cell = &t->cells[t->n];
	cell->value = mg_strdup(value);
	if (cell->value == NULL) {
		t->error = MG_ENOMEM;
		return;
	}
	cell->row = t->row;
	cell->col = t->col;
	cell->span = span;
	cell->align = align;
	cell->order = t->n;
	if (margin)
		cell->margin = margin;
	else
		cell->margin = t->col == 0 || value[0] == '\0' ? "" : " ";
	t->n++;
	t->col += span;
	if (t->col > t->cols)
		t->cols = t->col;
}

static void tt_cell(struct tt *t, const char *value, enum align align,
                    const char *margin)
{
	tt_span(t, 1, value, align, margin);
}

static void tt_set_shrink(struct tt *t, size_t col)
{
	if (t->error)
		return;
	if (col >= t->nshrink) {
		bool *n = realloc(t->shrink, (col + 1) * sizeof(*n));

		if (n == NULL) {
			t->error = MG_ENOMEM;
			return;
		}
		memset(n + t->nshrink, 0, (col + 1 - t->nshrink) * sizeof(*n));
		t->shrink = n;
		t->nshrink = col + 1;
	}
	t->shrink[col] = true;
}

static bool tt_shrinks(const struct tt *t, size_t col)
{
	return col < t->nshrink && t->shrink[col];
}

static int by_span(const void *a, const void *b)
{
	const struct tt_cell *x = a, *y = b;

	if (x->span != y->span)
		return x->span < y->span ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int by_position(const void *a, const void *b)
{
	const struct tt_cell *x = a, *y = b;

	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (*s != ' ')
			return false;
	return true;
}

static int pad(mg_buf *out, size_t n)
{
	int error = 0;

	while (n-- > 0 && error == 0)
		error = mg_buf_putc(out, ' ');
	return error;
}

/*
 * Lay the table out: each column as wide as its widest one-column cell
 * plus its widest margin; a spanning cell that does not fit widens the
 * non-shrink columns it spans, widest first, towards their average.
 */
static int tt_format(struct tt *t, mg_buf *out)
{
	size_t *lm = NULL, *ws = NULL, *offs = NULL, *span_cols = NULL;
	size_t i, col, row = 0, off = 0;
	int error = t->error;

	if (error || t->n == 0)
		return error;
	lm = calloc(t->cols + 1, sizeof(*lm));
	ws = calloc(t->cols + 1, sizeof(*ws));
	offs = calloc(t->cols + 1, sizeof(*offs));
	span_cols = calloc(t->cols + 1, sizeof(*span_cols));
	if (!lm || !ws || !offs || !span_cols) {
		error = MG_ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < t->n; i++) {
		size_t m = runes(t->cells[i].margin);

		if (m > lm[t->cells[i].col])
			lm[t->cells[i].col] = m;
	}
	qsort(t->cells, t->n, sizeof(*t->cells), by_span);
	for (i = 0; i < t->n; i++) {
		const struct tt_cell *cl = &t->cells[i];
		size_t w = runes(cl->value) + lm[cl->col], tw = 0, nspan = 0;
		size_t j, k;
		long need;

		if (cl->span == 1) {
			if (w > ws[cl->col])
				ws[cl->col] = w;
			continue;
		}
		for (col = cl->col; col < cl->col + cl->span; col++)
			tw += ws[col];
		if (tw >= w)
			continue;
		need = (long)w;
		for (col = cl->col; col < cl->col + cl->span; col++) {
			if (tt_shrinks(t, col))
				need -= (long)ws[col];
			else
				span_cols[nspan++] = col;
		}
		/* Widest first (insertion sort: a span is a few columns). */
		for (j = 1; j < nspan; j++)
			for (k = j;
			     k > 0 && ws[span_cols[k]] > ws[span_cols[k - 1]];
			     k--) {
				size_t tmp = span_cols[k];

				span_cols[k] = span_cols[k - 1];
				span_cols[k - 1] = tmp;
			}
		for (j = 0; j < nspan; j++) {
			long left = (long)(nspan - j);
			long avg = need > 0 ? (need + left - 1) / left
			                    : need / left;

			col = span_cols[j];
			if (avg > (long)ws[col])
				ws[col] = (size_t)avg;
			need -= (long)ws[col];
		}
	}
	for (col = 0; col < t->cols; col++)
		offs[col + 1] = offs[col] + ws[col];
	qsort(t->cells, t->n, sizeof(*t->cells), by_position);
	for (i = 0; i < t->n && error == 0; i++) {
		const struct tt_cell *cl = &t->cells[i];
		size_t m = runes(cl->margin), tw, len;

		if (blank(cl->value) && blank(cl->margin))
			continue;
		while (cl->row > row && error == 0) {
			error = mg_buf_putc(out, '\n');
			row++;
			off = 0;
		}
		/* Up to the cell's column, then its margin right-aligned. */
		error = pad(out, offs[cl->col] > off ? offs[cl->col] - off : 0);
		off = offs[cl->col] > off ? offs[cl->col] : off;
		if (error == 0)
			error = pad(out, lm[cl->col] > m ? lm[cl->col] - m : 0);
		if (error == 0)
			error = mg_buf_puts(out, cl->margin);
		off += lm[cl->col];
		tw = offs[cl->col + cl->span] - offs[cl->col] - lm[cl->col];
		len = runes(cl->value);
		if (error == 0 && cl->align == AL_RIGHT && tw > len)
			error = pad(out, tw - len);
		else if (error == 0 && cl->align == AL_CENTER && tw > len)
			error = pad(out, (tw - len) / 2);
		off += cl->align == AL_RIGHT && tw > len    ? tw - len
		       : cl->align == AL_CENTER && tw > len ? (tw - len) / 2
		                                            : 0;
		if (error == 0)
			error = mg_buf_puts(out, cl->value);
		off += len;
	}
	if (error == 0)
		error = mg_buf_putc(out, '\n');
cleanup:
	free(lm);
	free(ws);
	free(offs);
	free(span_cols);
	return error;
}

/* ---- the benchstat view --------------------------------------------- */

struct vcell {
	size_t table, row, side;
	size_t n, fill;
	double *v; /* tidied values */
	mg_stats_summary sum;
};

struct vtable {
	uint32_t *ranks; /* value rank per field, in display order */
	size_t urank;    /* unit order */
	size_t tidy;     /* index into view.tidy */
	size_t config;   /* a configuration of this table (for its values) */
};

struct view {
	mg_intern fields;  /* configuration keys */
	size_t *fshow;     /* fields in display order */
	mg_intern *vals;   /* per field: values seen, "" for absent */
	uint32_t *cranks;  /* per configuration: rank per displayed field */
	mg_intern tidy;    /* tidied units */
	size_t *tidy_of;   /* per unit id: index into tidy */
	double *factor;    /* per unit id */
	size_t *tidy_rank; /* per tidy unit: display order */
	mg_intern tables;  /* keys: cranks of a config + tidy index */
	struct vtable *tbl;
	size_t ntbl;     /* entries of tbl set up */
	mg_intern rows;  /* full names */
	mg_intern cells; /* keys: table, row, side */
	struct vcell *cell;
	size_t ncell_cap;
};

static void view_release(struct view *v)
{
	size_t i;

	if (v->vals)
		for (i = 0; i < v->fields.n; i++)
			mg_intern_release(&v->vals[i]);
	free(v->vals);
	mg_intern_release(&v->fields);
	free(v->fshow);
	free(v->cranks);
	mg_intern_release(&v->tidy);
	free(v->tidy_of);
	free(v->factor);
	free(v->tidy_rank);
	for (i = 0; i < v->ntbl; i++)
		free(v->tbl[i].ranks);
	free(v->tbl);
	mg_intern_release(&v->tables);
	mg_intern_release(&v->rows);
	if (v->cell)
		for (i = 0; i < v->cells.n; i++)
			free(v->cell[i].v);
	free(v->cell);
	mg_intern_release(&v->cells);
}

static const char *config_value(const mg_compare_config *cf, const char *key)
{
	size_t i;

	for (i = 0; i < cf->n; i++)
		if (strcmp(cf->kv[i].key, key) == 0)
			return cf->kv[i].value;
	return "";
}

/* go test's order of its own configuration lines. */
static int field_rank(const char *key)
{
	static const char *const known[] = {"goos", "goarch", "pkg", "cpu"};
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(key, known[i]) == 0)
			return i;
	return 4;
}

/* sec/op, B/op, allocs/op, then the rest (MG_COMPARE_CANONICAL_ORDER). */
static int unit_order(const char *tidy)
{
	if (strcmp(tidy, "sec/op") == 0)
		return 0;
	if (strcmp(tidy, "B/op") == 0)
		return 1;
	if (strcmp(tidy, "allocs/op") == 0)
		return 2;
	return 3;
}

/* Entries base side first, as benchstat reads the base file first. */
#define FOR_ENTRIES(c, i, s)                                                   \
	for (s = 0; s < 2; s++)                                                \
		for (i = 0; i < (c)->nentries; i++)                            \
			if ((c)->entries[i].side == s)

static int view_fields(struct view *v, const mg_compare *c, size_t *corder,
                       size_t ncorder)
{
	size_t i, j, k, idx, nf;
	int error = 0;

	for (i = 0; i < ncorder && error == 0; i++) {
		const mg_compare_config *cf = &c->configs[corder[i]];

		for (j = 0; j < cf->n && error == 0; j++)
			error = mg_intern_get(&v->fields, cf->kv[j].key,
			                      strlen(cf->kv[j].key), true, &idx,
			                      NULL);
	}
	if (error < 0)
		return error;
	nf = v->fields.n;
	v->fshow = calloc(nf + 1, sizeof(*v->fshow));
	v->vals = calloc(nf + 1, sizeof(*v->vals));
	v->cranks =
	        calloc((c->config_keys.n + 1) * (nf + 1), sizeof(*v->cranks));
	if (!v->fshow || !v->vals || !v->cranks)
		return MG_ENOMEM;
	for (i = 0; i < nf; i++)
		v->fshow[i] = i;
	if (c->opts.flags & MG_COMPARE_CANONICAL_ORDER) {
		/* Stable insertion sort by go test's key order. */
		for (i = 1; i < nf; i++)
			for (k = i;
			     k > 0 &&
			     field_rank(v->fields.keys[v->fshow[k]]) <
			             field_rank(
			                     v->fields.keys[v->fshow[k - 1]]);
			     k--) {
				size_t t = v->fshow[k];

				v->fshow[k] = v->fshow[k - 1];
				v->fshow[k - 1] = t;
			}
	}
	for (i = 0; i < ncorder && error == 0; i++) {
		const mg_compare_config *cf = &c->configs[corder[i]];

		for (j = 0; j < nf && error == 0; j++) {
			size_t f = v->fshow[j];
			const char *val = config_value(cf, v->fields.keys[f]);

			error = mg_intern_get(&v->vals[f], val, strlen(val),
			                      true, &idx, NULL);
			v->cranks[corder[i] * (nf + 1) + j] = (uint32_t)idx;
		}
	}
	return error;
}

static int view_units(struct view *v, const mg_compare *c)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t i, s, idx, k, n;
	size_t *order = NULL;
	int error = 0;

	v->tidy_of = calloc(c->units.n + 1, sizeof(*v->tidy_of));
	v->factor = calloc(c->units.n + 1, sizeof(*v->factor));
	if (!v->tidy_of || !v->factor)
		return MG_ENOMEM;
	/* Tidy units in order of first appearance. */
	for (i = 0; i < c->units.n; i++)
		v->tidy_of[i] = SIZE_MAX;
	FOR_ENTRIES(c, i, s)
	{
		const mg_compare_entry *e = &c->entries[i];

		if (v->tidy_of[e->unit] != SIZE_MAX)
			continue;
		mg_buf_reset(&b);
		mg_compare__tidy_unit(&b, c->units.keys[e->unit],
		                      &v->factor[e->unit]);
		error = mg_intern_get(&v->tidy, b.ptr, b.len, true, &idx, NULL);
		if (error < 0)
			goto cleanup;
		v->tidy_of[e->unit] = idx;
	}
	n = v->tidy.n;
	v->tidy_rank = calloc(n + 1, sizeof(*v->tidy_rank));
	order = calloc(n + 1, sizeof(*order));
	if (!v->tidy_rank || !order) {
		error = MG_ENOMEM;
		goto cleanup;
	}
	for (i = 0; i < n; i++)
		order[i] = i;
	if (c->opts.flags & MG_COMPARE_CANONICAL_ORDER) {
		for (i = 1; i < n; i++)
			for (k = i;
			     k > 0 &&
			     unit_order(v->tidy.keys[order[k]]) <
			             unit_order(v->tidy.keys[order[k - 1]]);
			     k--) {
				size_t t = order[k];

				order[k] = order[k - 1];
				order[k - 1] = t;
			}
	}
	for (i = 0; i < n; i++)
		v->tidy_rank[order[i]] = i;
cleanup:
	free(order);
	mg_buf_release(&b);
	return error;
}

/* Tables, rows and cells of the entries, and their values. */
static int view_build(struct view *v, const mg_compare *c)
{
	size_t *corder = NULL, ncorder = 0, i, s, idx, nf;
	bool *seen = NULL, added;
	uint32_t *key = NULL;
	int error;

	seen = calloc(c->config_keys.n + 1, sizeof(*seen));
	corder = calloc(c->config_keys.n + 1, sizeof(*corder));
	if (!seen || !corder) {
		error = MG_ENOMEM;
		goto cleanup;
	}
	FOR_ENTRIES(c, i, s)
	{
		if (!seen[c->entries[i].config]) {
			seen[c->entries[i].config] = true;
			corder[ncorder++] = c->entries[i].config;
		}
	}
	error = view_fields(v, c, corder, ncorder);
	if (error == 0)
		error = view_units(v, c);
	if (error < 0)
		goto cleanup;
	nf = v->fields.n;
	key = calloc(nf + 2, sizeof(*key));
	if (key == NULL) {
		error = MG_ENOMEM;
		goto cleanup;
	}
	FOR_ENTRIES(c, i, s)
	{
		const mg_compare_entry *e = &c->entries[i];
		const char *fn = c->benches[e->bench].fullname;
		size_t t, r, k;
		uint32_t ck[3];
		struct vtable *vt;

		memcpy(key, v->cranks + e->config * (nf + 1),
		       nf * sizeof(*key));
		key[nf] = (uint32_t)v->tidy_of[e->unit];
		error = mg_intern_get(&v->tables, key, (nf + 1) * sizeof(*key),
		                      true, &t, &added);
		if (error < 0)
			goto cleanup;
		if (added) {
			struct vtable *n =
			        realloc(v->tbl, v->tables.n * sizeof(*n));

			if (n == NULL) {
				error = MG_ENOMEM;
				goto cleanup;
			}
			v->tbl = n;
			vt = &v->tbl[t];
			vt->ranks = malloc((nf + 1) * sizeof(*vt->ranks));
			v->ntbl++;
			if (vt->ranks == NULL) {
				error = MG_ENOMEM;
				goto cleanup;
			}
			memcpy(vt->ranks, key, nf * sizeof(*key));
			vt->tidy = v->tidy_of[e->unit];
			vt->urank = v->tidy_rank[vt->tidy];
			vt->config = e->config;
		}
		error = mg_intern_get(&v->rows, fn, strlen(fn), true, &r, NULL);
		if (error < 0)
			goto cleanup;
		ck[0] = (uint32_t)t;
		ck[1] = (uint32_t)r;
		ck[2] = (uint32_t)s;
		if (v->cells.n == v->ncell_cap) {
			size_t cap = v->ncell_cap ? v->ncell_cap * 2 : 64;
			struct vcell *n = realloc(v->cell, cap * sizeof(*n));

			if (n == NULL) {
				error = MG_ENOMEM;
				goto cleanup;
			}
			v->cell = n;
			v->ncell_cap = cap;
		}
		error = mg_intern_get(&v->cells, ck, sizeof(ck), true, &k,
		                      &added);
		if (error < 0)
			goto cleanup;
		if (added) {
			memset(&v->cell[k], 0, sizeof(v->cell[k]));
			v->cell[k].table = t;
			v->cell[k].row = r;
			v->cell[k].side = s;
		}
		v->cell[k].n++;
	}
	for (i = 0; i < v->cells.n; i++) {
		v->cell[i].v = malloc(v->cell[i].n * sizeof(double));
		if (v->cell[i].v == NULL) {
			error = MG_ENOMEM;
			goto cleanup;
		}
	}
	FOR_ENTRIES(c, i, s)
	{
		const mg_compare_entry *e = &c->entries[i];
		const char *fn = c->benches[e->bench].fullname;
		uint32_t ck[3];
		size_t t, r, k;

		memcpy(key, v->cranks + e->config * (nf + 1),
		       nf * sizeof(*key));
		key[nf] = (uint32_t)v->tidy_of[e->unit];
		if (mg_intern_get(&v->tables, key, (nf + 1) * sizeof(*key),
		                  false, &t, NULL) < 0 ||
		    mg_intern_get(&v->rows, fn, strlen(fn), false, &r, NULL) <
		            0)
			continue;
		ck[0] = (uint32_t)t;
		ck[1] = (uint32_t)r;
		ck[2] = (uint32_t)s;
		if (mg_intern_get(&v->cells, ck, sizeof(ck), false, &k, NULL) <
		    0)
			continue;
		v->cell[k].v[v->cell[k].fill++] = e->value * v->factor[e->unit];
	}
	(void)idx;
cleanup:
	free(key);
	free(seen);
	free(corder);
	return error;
}

static int table_cmp(const struct vtable *x, const struct vtable *y,
                     size_t nfields)
{
	size_t i;

	for (i = 0; i < nfields; i++)
		if (x->ranks[i] != y->ranks[i])
			return x->ranks[i] < y->ranks[i] ? -1 : 1;
	if (x->urank != y->urank)
		return x->urank < y->urank ? -1 : 1;
	return 0;
}

static const char *const super_digits[10] = {"⁰", "¹", "²", "³", "⁴",
                                             "⁵", "⁶", "⁷", "⁸", "⁹"};

static int superscript(mg_buf *out, size_t n)
{
	char digits[24];
	int len, i, error = 0;

	len = snprintf(digits, sizeof(digits), "%zu", n);
	for (i = 0; i < len && error == 0; i++)
		error = mg_buf_puts(out, super_digits[digits[i] - '0']);
	return error;
}

/* A footnote cell: the marks of msgs, numbered per table. */
static int warn_cell(struct tt *t, mg_intern *notes, const char *const *msgs,
                     size_t n)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t i, idx;
	int error = 0;

	for (i = 0; i < n && error == 0; i++) {
		error = mg_intern_get(notes, msgs[i], strlen(msgs[i]), true,
		                      &idx, NULL);
		if (error == 0 && i > 0)
			error = mg_buf_putc(&b, ' ');
		if (error == 0)
			error = superscript(&b, idx + 1);
	}
	if (error == 0)
		tt_cell(t, b.ptr, AL_LEFT, NULL);
	mg_buf_release(&b);
	return error;
}

/* benchstat's column start: the label, then 3 columns, then 6 per input. */
static size_t start_col(size_t exp)
{
	return exp == 0 ? 1 : 1 + 3 + (exp - 1) * 6;
}

struct trow {
	size_t row;     /* rank of the full name */
	size_t cell[2]; /* per column, SIZE_MAX if none */
};

/* A cell by table, row and side, for grouping the cells per table. */
struct cellref {
	size_t table, row, side, cell;
};

static int by_cellref(const void *a, const void *b)
{
	const struct cellref *x = a, *y = b;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return x->side < y->side ? -1 : x->side > y->side;
}

/* The footnote explaining an infinite interval, into b. */
static int ci_note(mg_buf *b, double confidence)
{
	bool strict;
	size_t n = mg_stats_summary_min_samples(confidence, &strict);
	int error;

	error = mg_buf_printf(b,
	                      "need %s %zu samples for confidence interval at "
	                      "level ",
	                      strict ? ">" : ">=", n);
	return error ? error : mg_compare__shortest(b, confidence);
}

struct geo_col {
	bool has_summary, has_ratio;
	double summary, ratio;
	const char *warn[3];
	size_t nwarn;
};

static int geo_column(struct geo_col *g, const struct view *v,
                      const struct trow *rows, size_t nrows, size_t col,
                      size_t nbase)
{
	double *sums = NULL, *ratios = NULL;
	size_t ns = 0, nr = 0, i;
	bool bad = false;

	memset(g, 0, sizeof(*g));
	sums = malloc((nrows + 1) * sizeof(*sums));
	ratios = malloc((nrows + 1) * sizeof(*ratios));
	if (!sums || !ratios) {
		free(sums);
		free(ratios);
		return MG_ENOMEM;
	}
	for (i = 0; i < nrows; i++) {
		const struct vcell *cl, *base;
		double a, b;

		if (rows[i].cell[col] == SIZE_MAX)
			continue;
		cl = &v->cell[rows[i].cell[col]];
		sums[ns++] = cl->sum.center;
		if (col == 0 || rows[i].cell[0] == SIZE_MAX)
			continue;
		base = &v->cell[rows[i].cell[0]];
		a = cl->sum.center;
		b = base->sum.center;
		if (a == b) {
			ratios[nr++] = 1;
		} else if (b == 0) {
			bad = true;
			ratios[nr++] = 0;
		} else {
			ratios[nr++] = a / b;
		}
	}
	if (col > 0 && nbase != nr)
		g->warn[g->nwarn++] = "benchmark set differs from baseline; "
		                      "geomeans may not be comparable";
	g->summary = mg_stats_geomean(sums, ns);
	if (isnan(g->summary))
		g->warn[g->nwarn++] = "summaries must be >0 to compute geomean";
	else
		g->has_summary = true;
	if (col > 0 && !bad) {
		g->ratio = mg_stats_geomean(ratios, nr);
		if (isnan(g->ratio))
			g->warn[g->nwarn++] =
			        "ratios must be >0 to compute geomean";
		else
			g->has_ratio = true;
	}
	free(sums);
	free(ratios);
	return 0;
}

/* The "vs base" cells: delta, "(p=... n=...)" and their footnotes. */
static int render_delta(struct tt *o, mg_intern *notes,
                        const struct vcell *base, const struct vcell *cl,
                        double alpha, mg_err *err)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT), m = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *msgs[1];
	size_t nm = 0, need;
	mg_stats_utest u;
	bool strict;
	double pct;
	int error;

	error = mg_stats_mannwhitney(&u, base->v, base->n, cl->v, cl->n, err);
	if (error < 0)
		return error;
	switch (mg_stats_delta_pct(u.p, alpha, base->sum.center, cl->sum.center,
	                           &pct)) {
	case MG_STATS_DELTA_NONE:
		error = mg_buf_puts(&b, "~");
		break;
	case MG_STATS_DELTA_UNKNOWN:
		error = mg_buf_puts(&b, "?");
		break;
	default:
		if (base->sum.center == cl->sum.center)
			error = mg_buf_puts(&b, "0.00%");
		else
			error = mg_buf_printf(&b, "%+.2f%%", pct);
	}
	tt_cell(o, b.ptr, AL_RIGHT, NULL);
	mg_buf_reset(&b);
	if (error == 0)
		error = mg_buf_putc(&b, '(');
	if (error == 0 && u.p != 0)
		error = mg_buf_printf(&b, "p=%0.3f ", u.p);
	if (error == 0 && base->n == cl->n)
		error = mg_buf_printf(&b, "n=%zu)", base->n);
	else if (error == 0)
		error = mg_buf_printf(&b, "n=%zu+%zu)", base->n, cl->n);
	tt_cell(o, b.ptr, AL_LEFT, NULL);
	if (error == 0 && u.status == MG_STATS_UTEST_EQUAL) {
		msgs[nm++] = "all samples are equal";
	} else if (error == 0 && u.p > alpha) {
		need = mg_stats_utest_min_samples(alpha, &strict);
		if (base->n < need && cl->n < need) {
			error = mg_buf_printf(&m,
			                      "need %s %zu samples to detect a "
			                      "difference at alpha level ",
			                      strict ? ">" : ">=", need);
			if (error == 0)
				error = mg_compare__shortest(&m, alpha);
			msgs[nm++] = m.ptr;
		}
	}
	if (error == 0)
		error = warn_cell(o, notes, msgs, nm);
	mg_buf_release(&b);
	mg_buf_release(&m);
	if (error < 0 && err && err->code == 0)
		mg_err_set(err, error, "out of memory");
	return error;
}

/* One table: header rows, a row per benchmark, the geomean row, notes. */
static int render_table(mg_buf *out, const mg_compare *c, struct view *v,
                        size_t t, const size_t *cells, size_t ncells,
                        mg_err *err)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_intern notes = {0};
	struct tt o = {0};
	struct trow *rows = NULL;
	size_t nrows = 0, i, j, ncols = 0, col_side[2], nbase = 0, rclose;
	const char *unit = v->tidy.keys[v->tbl[t].tidy];
	bool binary = mg_compare__unit_binary(unit);
	bool has[2] = {false, false};
	double alpha = c->opts.alpha;
	int error = 0;

	/* The table's cells come sorted by row, then side. */
	rows = calloc(ncells + 1, sizeof(*rows));
	if (rows == NULL)
		return MG_ENOMEM;
	for (i = 0; i < ncells; i++)
		has[v->cell[cells[i]].side] = true;
	for (i = 0; i < 2; i++)
		if (has[i])
			col_side[ncols++] = i;
	for (i = 0; i < ncells; i++) {
		const struct vcell *cl = &v->cell[cells[i]];

		if (nrows == 0 || rows[nrows - 1].row != cl->row) {
			rows[nrows].row = cl->row;
			rows[nrows].cell[0] = SIZE_MAX;
			rows[nrows].cell[1] = SIZE_MAX;
			nrows++;
		}
		for (j = 0; j < ncols; j++)
			if (col_side[j] == cl->side)
				rows[nrows - 1].cell[j] = cells[i];
	}

	for (i = 0; i < nrows; i++)
		if (rows[i].cell[0] != SIZE_MAX)
			nbase++;

	/* Header: input names, then units and "vs base". */
	rclose = start_col(ncols);
	tt_row(&o);
	for (j = 0; j < ncols; j++) {
		o.col = start_col(j);
		tt_span(&o, start_col(j + 1) - start_col(j),
		        mg_compare__side_name(c, col_side[j]), AL_CENTER,
		        " │ ");
	}
	o.col = rclose;
	tt_cell(&o, "", AL_LEFT, " │");
	tt_row(&o);
	for (j = 0; j < ncols; j++) {
		size_t l = start_col(j), k;

		o.col = l;
		tt_span(&o, 3, unit, AL_CENTER, " │ ");
		if (j > 0)
			tt_span(&o, 3, "vs base", AL_LEFT, "  ");
		for (k = l + 1; k < o.col; k++)
			tt_set_shrink(&o, k);
	}
	o.col = rclose;
	tt_cell(&o, "", AL_LEFT, " │");

	for (i = 0; i < nrows && error == 0 && o.error == 0; i++) {
		mg_compare_scaler sc;
		double centers[2];
		size_t nc = 0;

		for (j = 0; j < ncols; j++)
			if (rows[i].cell[j] != SIZE_MAX)
				centers[nc++] =
				        v->cell[rows[i].cell[j]].sum.center;
		mg_compare__scaler(&sc, centers, nc, binary);
		tt_row(&o);
		tt_cell(&o, v->rows.keys[rows[i].row], AL_LEFT, NULL);
		for (j = 0; j < ncols && error == 0; j++) {
			const struct vcell *cl, *base;
			const char *msgs[2];
			size_t nm = 0;
			double pct;

			if (rows[i].cell[j] == SIZE_MAX)
				continue;
			cl = &v->cell[rows[i].cell[j]];
			o.col = start_col(j);
			mg_buf_reset(&b);
			error = mg_compare__scaled(&b, &sc, cl->sum.center);
			tt_cell(&o, b.ptr, AL_RIGHT, NULL);
			mg_buf_reset(&b);
			switch (mg_stats_range_pct(&cl->sum, &pct)) {
			case MG_STATS_RANGE_INF:
				error = error ? error : mg_buf_puts(&b, "∞");
				break;
			case MG_STATS_RANGE_SIGN:
				error = error ? error : mg_buf_puts(&b, "?");
				break;
			default:
				error = error ? error
				              : mg_buf_printf(&b, "%.0f%%",
				                              pct);
			}
			tt_cell(&o, b.ptr, AL_RIGHT, " ± ");
			mg_buf_reset(&b);
			if (error == 0 &&
			    (isinf(cl->sum.lo) || isinf(cl->sum.hi)))
				error = ci_note(&b, c->opts.confidence);
			if (b.len)
				msgs[nm++] = b.ptr;
			if (error == 0)
				error = warn_cell(&o, &notes, msgs, nm);
			if (j == 0 || rows[i].cell[0] == SIZE_MAX || error)
				continue;
			base = &v->cell[rows[i].cell[0]];
			error = render_delta(&o, &notes, base, cl, alpha, err);
		}
	}
	if (nrows > 1 && error == 0 && o.error == 0) {
		tt_row(&o);
		tt_cell(&o, "geomean", AL_LEFT, NULL);
		for (j = 0; j < ncols && error == 0; j++) {
			struct geo_col g;
			mg_compare_scaler sc;

			error = geo_column(&g, v, rows, nrows, j, nbase);
			if (error < 0)
				break;
			if (g.has_summary) {
				o.col = start_col(j);
				mg_buf_reset(&b);
				mg_compare__scaler(&sc, &g.summary, 1, binary);
				error = mg_compare__scaled(&b, &sc, g.summary);
				tt_cell(&o, b.ptr, AL_RIGHT, NULL);
			}
			if (j > 0) {
				o.col = start_col(j) + 3;
				mg_buf_reset(&b);
				if (g.has_ratio) {
					error = error ? error
					              : mg_buf_printf(
					                        &b, "%+.2f%%",
					                        (g.ratio - 1) *
					                                100);
					tt_cell(&o, b.ptr, AL_RIGHT, NULL);
				} else {
					tt_cell(&o, "?", AL_LEFT, NULL);
				}
			}
			o.col = start_col(j + 1) - 1;
			if (error == 0)
				error = warn_cell(&o, &notes, g.warn, g.nwarn);
		}
	}
	if (error == 0)
		error = tt_format(&o, out);
	for (i = 0; i < notes.n && error == 0; i++) {
		error = superscript(out, i + 1);
		if (error == 0)
			error = mg_buf_printf(out, " %s\n", notes.keys[i]);
	}
	tt_release(&o);
	mg_intern_release(&notes);
	mg_buf_release(&b);
	free(rows);
	return error;
}

/* Summaries of every cell. */
static int view_summaries(struct view *v, const mg_compare *c, mg_err *err)
{
	size_t i;
	int error;

	for (i = 0; i < v->cells.n; i++) {
		error = mg_stats_summarize(&v->cell[i].sum, v->cell[i].v,
		                           v->cell[i].n, c->opts.confidence,
		                           err);
		if (error < 0)
			return error;
	}
	return 0;
}

int mg_compare_write_text(mg_buf *out, const mg_compare *c, mg_err *err)
{
	struct view v;
	struct cellref *refs = NULL;
	size_t *order = NULL, *first = NULL, *cells = NULL, i, f, nf;
	size_t prev = SIZE_MAX;
	int error;

	memset(&v, 0, sizeof(v));
	error = view_build(&v, c);
	if (error < 0) {
		mg_err_set(err, error, "out of memory");
		goto cleanup;
	}
	error = view_summaries(&v, c, err);
	if (error < 0)
		goto cleanup;
	order = calloc(v.ntbl + 1, sizeof(*order));
	first = calloc(v.ntbl + 1, sizeof(*first));
	refs = calloc(v.cells.n + 1, sizeof(*refs));
	cells = calloc(v.cells.n + 1, sizeof(*cells));
	if (order == NULL || first == NULL || refs == NULL || cells == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < v.ntbl; i++)
		order[i] = i;
	/* Cells grouped by table, each group by row then side. */
	for (i = 0; i < v.cells.n; i++) {
		refs[i].table = v.cell[i].table;
		refs[i].row = v.cell[i].row;
		refs[i].side = v.cell[i].side;
		refs[i].cell = i;
	}
	qsort(refs, v.cells.n, sizeof(*refs), by_cellref);
	for (i = 0; i < v.cells.n; i++)
		cells[i] = refs[i].cell;
	for (i = v.cells.n; i-- > 0;)
		first[refs[i].table] = i;
	nf = v.fields.n;
	/* Insertion sort: tables are configurations x units, a few. */
	for (i = 1; i < v.ntbl; i++)
		for (f = i; f > 0 && table_cmp(&v.tbl[order[f]],
		                               &v.tbl[order[f - 1]], nf) < 0;
		     f--) {
			size_t tmp = order[f];

			order[f] = order[f - 1];
			order[f - 1] = tmp;
		}
	for (i = 0; i < v.ntbl && error == 0; i++) {
		const struct vtable *t = &v.tbl[order[i]];

		if (i > 0)
			error = mg_buf_putc(out, '\n');
		for (f = 0; f < nf && error == 0; f++) {
			size_t field = v.fshow[f];

			if (prev != SIZE_MAX &&
			    v.tbl[prev].ranks[f] == t->ranks[f])
				continue;
			error = mg_buf_printf(out, "%s: %s\n",
			                      v.fields.keys[field],
			                      v.vals[field].keys[t->ranks[f]]);
		}
		prev = order[i];
		if (error < 0)
			break;
		{
			size_t tb = order[i], n = 0;

			while (first[tb] + n < v.cells.n &&
			       refs[first[tb] + n].table == tb)
				n++;
			error = render_table(out, c, &v, tb, cells + first[tb],
			                     n, err);
		}
	}
	if (error < 0 && err && err->code == 0)
		mg_err_set(err, error,
		           error == MG_ELIMIT ? "text output too large"
		                              : "out of memory");
cleanup:
	free(order);
	free(first);
	free(refs);
	free(cells);
	view_release(&v);
	return error;
}
