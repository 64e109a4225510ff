/*
 * compare_md.c - the pull-request comment (GitHub-flavoured markdown):
 *
 *   **memgate: 2 regressions**, 1 improvement in 47 benchmarks (base
 *   `abc1234` → head `def5678`)
 *   ### Regressions               table, worst first as listed
 *   ### Improvements              table
 *   ### Where the memory went     attribution per regression
 *   <details> everything else </details>
 *   baseline, notes, the rule in force
 *
 * Everything taken from the inputs (benchmark, function, file and side
 * names, notes) is escaped (mg_compare_md_escape): a benchmark named
 * "Benchmark<script>|x" must neither inject HTML nor break the table.
 *
 * Size: GitHub refuses comments over 65536 characters, and a project with
 * hundreds of benchmarks x 3 units exceeds that. Rows are rendered first,
 * then kept by priority (summary and rule, regressions, notes,
 * attribution, improvements, the collapsed section) while they fit in
 * max_bytes (bytes >= characters, so the byte count is safe); each
 * trimmed section ends with a line saying how many rows were left out.
 */
#include <math.h>

#include "compare_int.h"

/* Room kept for the "N rows left out" lines and the table headers. */
#define MD_RESERVE 1536

int mg_compare_md_escape(mg_buf *out, const char *s)
{
	int error = 0;

	for (; *s && error == 0; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '<':
			error = mg_buf_puts(out, "&lt;");
			break;
		case '>':
			error = mg_buf_puts(out, "&gt;");
			break;
		case '&':
			error = mg_buf_puts(out, "&amp;");
			break;
		case '"':
			error = mg_buf_puts(out, "&quot;");
			break;
		case '@':
			/* No @mentions from benchmark names. */
			error = mg_buf_puts(out, "&#64;");
			break;
		case '\\':
		case '`':
		case '*':
		case '_':
		case '[':
		case ']':
		case '(':
		case ')':
		case '#':
		case '!':
		case '|':
		case '~':
		case '{':
		case '}':
		case '+':
		case '-':
		case '.':
		case ':':
			error = mg_buf_putc(out, '\\');
			if (error == 0)
				error = mg_buf_putc(out, (char)ch);
			break;
		default:
			error = mg_buf_putc(
			        out, ch < ' ' || ch == 0x7f ? ' ' : (char)ch);
		}
	}
	return error;
}

/* A section: rendered rows, of which `keep` are shown. */
struct md_sec {
	mg_buf head; /* heading and table header */
	char **rows;
	size_t *lens;
	size_t n, cap;
	size_t keep;
	const char *what; /* "regressions", ... for the trimming note */
};

static void sec_release(struct md_sec *s)
{
	size_t i;

	mg_buf_release(&s->head);
	for (i = 0; i < s->n; i++)
		free(s->rows[i]);
	free(s->rows);
	free(s->lens);
}

static int sec_add(struct md_sec *s, mg_buf *row)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		char **r = realloc(s->rows, cap * sizeof(*r));
		size_t *l;

		if (r == NULL)
			return MG_ENOMEM;
		s->rows = r;
		l = realloc(s->lens, cap * sizeof(*l));
		if (l == NULL)
			return MG_ENOMEM;
		s->lens = l;
		s->cap = cap;
	}
	s->lens[s->n] = row->len;
	s->rows[s->n] = mg_buf_detach(row);
	if (s->rows[s->n] == NULL)
		return MG_ENOMEM;
	s->n++;
	return 0;
}

static bool many_packages(const mg_compare *c)
{
	size_t i;

	for (i = 1; i < c->npairs; i++)
		if (strcmp(c->pairs[i].package, c->pairs[0].package) != 0)
			return true;
	return false;
}

static int put_bench(mg_buf *b, const mg_compare_pair *p, bool pkg)
{
	mg_buf name = MG_BUF_INIT(MG_BUF_NOLIMIT);
	int error;

	error = mg_buf_puts(&name, p->name);
	if (error == 0 && p->procs > 0)
		error = mg_buf_printf(&name, "-%d", p->procs);
	if (error == 0)
		error = mg_compare_md_escape(b, name.ptr);
	if (error == 0 && pkg && p->package[0]) {
		error = mg_buf_puts(b, " <sub>");
		if (error == 0)
			error = mg_compare_md_escape(b, p->package);
		if (error == 0)
			error = mg_buf_puts(b, "</sub>");
	}
	mg_buf_release(&name);
	return error;
}

/* "1.718µ ± 1%" with the pair's common scale, tidied units. */
static int put_center(mg_buf *b, const mg_compare_scaler *sc, double factor,
                      const mg_stats_summary *s)
{
	double pct;
	int error;

	error = mg_compare__scaled(b, sc, s->center * factor);
	if (error < 0)
		return error;
	switch (mg_stats_range_pct(s, &pct)) {
	case MG_STATS_RANGE_INF:
		return mg_buf_puts(b, " ± ∞");
	case MG_STATS_RANGE_SIGN:
		return mg_buf_puts(b, " ± ?");
	default:
		return mg_buf_printf(b, " ± %.0f%%", pct);
	}
}

static int put_signed(mg_buf *b, const mg_compare_scaler *sc, double v)
{
	int error = 0;

	if (v >= 0)
		error = mg_buf_putc(b, '+');
	return error ? error : mg_compare__scaled(b, sc, v);
}

static bool exact_rule(const mg_compare_pair *p)
{
	return p->cmp.base_constant && p->cmp.head_constant &&
	       p->nbase >= MG_STATS_EXACT_MIN_N &&
	       p->nhead >= MG_STATS_EXACT_MIN_N;
}

/*
 * One table row: benchmark, unit, base, head, change, shift interval, p
 * (and the verdict when `verdict`).
 */
static int pair_row(mg_buf *b, const mg_compare_pair *p, bool pkg, bool verdict)
{
	mg_buf unit = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_compare_scaler sc;
	double factor, vals[2];
	size_t nv = 0;
	bool both = p->presence == MG_COMPARE_BOTH;
	int error;

	mg_compare__tidy_unit(&unit, p->unit, &factor);
	if (p->nbase)
		vals[nv++] = p->cmp.base.center * factor;
	if (p->nhead)
		vals[nv++] = p->cmp.head.center * factor;
	mg_compare__scaler(&sc, vals, nv, mg_compare__unit_binary(unit.ptr));
	error = mg_buf_puts(b, "| ");
	if (error == 0)
		error = put_bench(b, p, pkg);
	if (error == 0)
		error = mg_buf_puts(b, " | ");
	if (error == 0)
		error = mg_compare_md_escape(b, unit.ptr);
	if (error == 0)
		error = mg_buf_puts(b, " | ");
	if (error == 0)
		error = p->nbase ? put_center(b, &sc, factor, &p->cmp.base)
		                 : mg_buf_puts(b, "—");
	if (error == 0)
		error = mg_buf_puts(b, " | ");
	if (error == 0)
		error = p->nhead ? put_center(b, &sc, factor, &p->cmp.head)
		                 : mg_buf_puts(b, "—");
	if (error == 0)
		error = mg_buf_puts(b, " | ");
	if (error == 0 && both) {
		double bc = p->cmp.base.center, hc = p->cmp.head.center;

		if (bc == hc)
			error = mg_buf_puts(b, "0.00%");
		else if (bc == 0)
			error = mg_buf_puts(b, "?");
		else
			error = mg_buf_printf(b, "%+.2f%%",
			                      (hc / bc - 1) * 100);
	} else if (error == 0) {
		error = mg_buf_puts(b, p->presence == MG_COMPARE_ADDED
		                               ? "added"
		                               : "removed");
	}
	if (error == 0)
		error = mg_buf_puts(b, " | ");
	if (error == 0 && both && p->cmp.shift.ci_ok &&
	    isfinite(p->cmp.shift.lo) && isfinite(p->cmp.shift.hi)) {
		error = mg_buf_putc(b, '[');
		if (error == 0)
			error = put_signed(b, &sc, p->cmp.shift.lo * factor);
		if (error == 0)
			error = mg_buf_puts(b, ", ");
		if (error == 0)
			error = put_signed(b, &sc, p->cmp.shift.hi * factor);
		if (error == 0)
			error = mg_buf_putc(b, ']');
	} else if (error == 0) {
		error = mg_buf_puts(b, "—");
	}
	if (error == 0)
		error = mg_buf_puts(b, " | ");
	if (error == 0) {
		if (both && exact_rule(p))
			error = mg_buf_puts(b, "exact");
		else if (both && !isnan(p->p_adj) && p->p_adj < 0.001)
			error = mg_buf_puts(b, "<0.001");
		else if (both && !isnan(p->p_adj))
			error = mg_buf_printf(b, "%.3f", p->p_adj);
		else
			error = mg_buf_puts(b, "—");
	}
	if (error == 0 && verdict)
		error = mg_buf_printf(b, " | %s",
		                      both ? mg_stats_verdict_name(p->verdict)
		                      : p->presence == MG_COMPARE_ADDED
		                              ? "added"
		                              : "removed");
	if (error == 0)
		error = mg_buf_puts(b, " |\n");
	mg_buf_release(&unit);
	return error;
}

static const char table_head[] =
        "| Benchmark | Unit | Base | Head | Change | Shift (95% CI) | p "
        "(BH) |\n|:--|:--|--:|--:|--:|:--|--:|\n";
static const char table_head_v[] =
        "| Benchmark | Unit | Base | Head | Change | Shift (95% CI) | p "
        "(BH) | Verdict |\n|:--|:--|--:|--:|--:|:--|--:|:--|\n";

static int attr_block(mg_buf *b, const mg_compare_pair *p, bool pkg)
{
	size_t i;
	int error;

	error = mg_buf_puts(b, "**");
	if (error == 0)
		error = put_bench(b, p, pkg);
	if (error == 0)
		error = mg_buf_printf(b,
		                      "** %s: functions whose share of the "
		                      "allocated %s of ",
		                      p->unit,
		                      strcmp(p->unit, "B/op") == 0 ? "bytes"
		                                                   : "objects");
	if (error == 0)
		error = p->package[0] ? mg_compare_md_escape(b, p->package)
		                      : mg_buf_puts(b, "the package");
	if (error == 0)
		error = mg_buf_printf(
		        b,
		        " grew (%s, heap profiles normalised to "
		        "their totals):\n\n| Function | Base share "
		        "| Head share | Growth |\n|:--|--:|--:|--:|"
		        "\n",
		        p->attr[0].sample_type);
	for (i = 0; i < p->nattr && error == 0; i++) {
		const mg_compare_attr *a = &p->attr[i];

		error = mg_buf_puts(b, "| ");
		if (error == 0)
			error = mg_compare_md_escape(b, a->function);
		if (error == 0)
			error = mg_buf_printf(b,
			                      " | %.1f%% | %.1f%% | +%.1f "
			                      "points |\n",
			                      a->base_share * 100,
			                      a->head_share * 100,
			                      a->growth * 100);
	}
	if (error == 0)
		error = mg_buf_putc(b, '\n');
	return error;
}

static int put_side(mg_buf *b, const mg_compare *c, int s)
{
	const mg_compare_side_info *info = mg_compare_side(c, s);
	size_t n = mg_compare_side_runs(c, s), i;
	const int64_t *ids = mg_compare_side_run_ids(c, s);
	enum mg_compare_side_status st = mg_compare_side_status(c, s);
	int error;

	error = mg_buf_puts(b, s == 0 ? "**Base:** " : "**Head:** ");
	if (error == 0)
		error = mg_compare_md_escape(b, mg_compare__side_name(c, s));
	if (error == 0 && info->ref && info->sha &&
	    strncmp(info->ref, info->sha, strlen(info->ref)) != 0) {
		error = mg_buf_puts(b, " (");
		if (error == 0)
			error = mg_compare_md_escape(b, info->ref);
		if (error == 0)
			error = mg_buf_putc(b, ')');
	}
	if (error == 0 && info->sha) {
		error = mg_buf_puts(b, ", commit ");
		if (error == 0)
			error = mg_compare_md_escape(b, info->sha);
	}
	if (error == 0 && st != MG_COMPARE_SIDE_OK)
		error = mg_buf_puts(b, st == MG_COMPARE_SIDE_FAILED
		                               ? ", **its runs failed**"
		                               : ", **no runs**");
	if (error == 0 && n && ids[0] > 0) {
		error = mg_buf_printf(b, ", run%s", n > 1 ? "s" : "");
		for (i = 0; i < n && i < 16 && error == 0; i++)
			error = mg_buf_printf(b, "%s %lld", i ? "," : "",
			                      (long long)ids[i]);
		if (error == 0 && n > 16)
			error = mg_buf_printf(b, " and %zu more", n - 16);
		if (error == 0 && n > 1)
			error = mg_buf_puts(b, " pooled");
	}
	if (error == 0)
		error = mg_buf_puts(b, "  \n");
	return error;
}

static int rule_line(mg_buf *b, const mg_compare *c)
{
	const char *seen[64];
	size_t nseen = 0, i, j;
	int error;

	error = mg_buf_puts(b, "<sub>A regression is a change that is "
	                       "significant (Mann-Whitney U, α = ");
	if (error == 0)
		error = mg_compare__shortest(b, c->opts.alpha);
	if (error == 0)
		error = mg_buf_puts(b,
		                    " on Benjamini-Hochberg adjusted p-values) "
		                    "and larger than its threshold:");
	for (i = 0; i < c->npairs && error == 0 && nseen < 64; i++) {
		const mg_stats_rule *r = &c->pairs[i].rule;

		for (j = 0; j < nseen; j++)
			if (seen[j] == c->pairs[i].unit)
				break;
		if (j < nseen)
			continue;
		seen[nseen++] = c->pairs[i].unit;
		error = mg_buf_printf(b, "%s ", nseen > 1 ? "," : "");
		if (error == 0)
			error = mg_compare_md_escape(b, c->pairs[i].unit);
		if (error == 0 && r->absolute && r->threshold == 0)
			error = mg_buf_puts(b, " any change");
		else if (error == 0 && r->absolute)
			error = mg_buf_printf(b, " %g", r->threshold);
		else if (error == 0)
			error = mg_buf_printf(b, " %g%%", r->threshold * 100);
	}
	if (error == 0)
		error = mg_buf_puts(b,
		                    ". Benchmarks constant on both sides (3+ "
		                    "samples each) are compared exactly. "
		                    "Shift: Hodges-Lehmann estimate of head − "
		                    "base.</sub>\n");
	return error;
}

/* "**Geomean:** sec/op 2.295µ → 2.090µ (-8.94%) · B/op ..." */
static int geomean_line(mg_buf *b, const mg_compare *c)
{
	mg_buf unit = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t i;
	int error = 0;

	for (i = 0; i < c->ngeo && error == 0; i++) {
		const mg_compare_geomean *g = &c->geo[i];
		mg_compare_scaler sc;
		double factor, v[2];
		size_t nv = 0;
		bool bin;

		mg_buf_reset(&unit);
		mg_compare__tidy_unit(&unit, g->unit, &factor);
		bin = mg_compare__unit_binary(unit.ptr);
		if (isfinite(g->base))
			v[nv++] = g->base * factor;
		if (isfinite(g->head))
			v[nv++] = g->head * factor;
		mg_compare__scaler(&sc, v, nv, bin);
		error = mg_buf_puts(b, i ? " · " : "**Geomean:** ");
		if (error == 0)
			error = mg_compare_md_escape(b, unit.ptr);
		if (error == 0)
			error = mg_buf_putc(b, ' ');
		if (error == 0)
			error = isfinite(g->base)
			                ? mg_compare__scaled(b, &sc,
			                                     g->base * factor)
			                : mg_buf_puts(b, "?");
		if (error == 0)
			error = mg_buf_puts(b, " → ");
		if (error == 0)
			error = isfinite(g->head)
			                ? mg_compare__scaled(b, &sc,
			                                     g->head * factor)
			                : mg_buf_puts(b, "?");
		if (error == 0 && isfinite(g->ratio))
			error = mg_buf_printf(b, " (%+.2f%%)",
			                      (g->ratio - 1) * 100);
	}
	if (error == 0 && c->ngeo)
		error = mg_buf_puts(b, "  \n");
	mg_buf_release(&unit);
	return error;
}

static int summary_line(mg_buf *b, const mg_compare *c)
{
	size_t reg = mg_compare_count_verdict(c, MG_STATS_REGRESSION);
	size_t imp = mg_compare_count_verdict(c, MG_STATS_IMPROVEMENT);
	size_t nb = mg_compare_benchmarks(c);
	mg_buf why = MG_BUF_INIT(MG_BUF_NOLIMIT);
	int error;

	if (reg)
		error = mg_buf_printf(b, "**memgate: %zu regression%s**", reg,
		                      reg == 1 ? "" : "s");
	else if (c->verdict == MG_STATS_INCONCLUSIVE)
		error = mg_buf_puts(b, "**memgate: inconclusive**");
	else
		error = mg_buf_puts(b, "**memgate: no regression**");
	if (error == 0 && imp)
		error = mg_buf_printf(b, ", %zu improvement%s", imp,
		                      imp == 1 ? "" : "s");
	if (error == 0 && !reg && c->verdict == MG_STATS_INCONCLUSIVE) {
		error = mg_compare_write_summary(&why, c);
		if (error == 0) {
			const char *w = strchr(why.ptr, ':');

			error = mg_buf_puts(b, " —");
			if (error == 0)
				error = mg_compare_md_escape(b, w ? w + 1
				                                  : why.ptr);
		}
	}
	if (error == 0)
		error = mg_buf_printf(b, " in %zu benchmark%s (base ", nb,
		                      nb == 1 ? "" : "s");
	if (error == 0)
		error = mg_compare_md_escape(b, mg_compare__side_name(c, 0));
	if (error == 0)
		error = mg_buf_puts(b, " → head ");
	if (error == 0)
		error = mg_compare_md_escape(b, mg_compare__side_name(c, 1));
	if (error == 0)
		error = mg_buf_puts(b, ")\n\n");
	mg_buf_release(&why);
	return error;
}

/* Render every section's rows. */
static int build_sections(const mg_compare *c, struct md_sec sec[5],
                          size_t *n_unchanged, size_t *n_inconclusive,
                          size_t *n_oneside)
{
	mg_buf row = MG_BUF_INIT(MG_BUF_NOLIMIT);
	bool pkg = many_packages(c), noprof = false;
	size_t i;
	int error = 0;

	/* 0 regressions, 1 notes, 2 attribution, 3 improvements, 4 rest */
	for (i = 0; i < c->npairs && error == 0; i++) {
		const mg_compare_pair *p = &c->pairs[i];
		int s;

		if (p->presence != MG_COMPARE_BOTH) {
			s = 4;
			(*n_oneside)++;
		} else if (p->verdict == MG_STATS_REGRESSION) {
			s = 0;
		} else if (p->verdict == MG_STATS_IMPROVEMENT) {
			s = 3;
		} else {
			s = 4;
			if (p->verdict == MG_STATS_UNCHANGED)
				(*n_unchanged)++;
			else
				(*n_inconclusive)++;
		}
		mg_buf_reset(&row);
		error = pair_row(&row, p, pkg, s == 4);
		if (error == 0)
			error = sec_add(&sec[s], &row);
		if (error == 0 && p->nattr) {
			error = attr_block(&row, p, pkg);
			if (error == 0)
				error = sec_add(&sec[2], &row);
		}
		if (p->attr_tried && !p->attr_profiles)
			noprof = true;
	}
	for (i = 0; i < c->nnotes && error == 0; i++) {
		mg_buf_reset(&row);
		error = mg_buf_puts(&row, "- ");
		if (error == 0)
			error = mg_compare_md_escape(&row, c->notes[i]);
		if (error == 0)
			error = mg_buf_putc(&row, '\n');
		if (error == 0)
			error = sec_add(&sec[1], &row);
	}
	if (noprof && error == 0) {
		mg_buf_reset(&row);
		error = mg_buf_puts(&row,
		                    "- Attribution needs heap profiles of the "
		                    "package on both sides (`memgate collect "
		                    "--go-profiles`).\n");
		if (error == 0)
			error = sec_add(&sec[1], &row);
	}
	mg_buf_release(&row);
	return error;
}

int mg_compare_write_markdown(mg_buf *out, const mg_compare *c,
                              size_t max_bytes, mg_err *err)
{
	struct md_sec sec[5];
	mg_buf head = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       foot = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	size_t nu = 0, ni = 0, no = 0, used, i, s;
	static const char *const what[5] = {
	        "regressions", "notes", "attributions", "improvements", "rows"};
	int error;

	if (max_bytes == 0)
		max_bytes = MG_COMPARE_MD_MAX;
	if (max_bytes < MG_COMPARE_MD_MIN)
		return mg_err_set(err, MG_EINPUT,
		                  "markdown limit %zu is below the minimum %d",
		                  max_bytes, MG_COMPARE_MD_MIN);
	memset(sec, 0, sizeof(sec));
	for (s = 0; s < 5; s++) {
		mg_buf_init(&sec[s].head, MG_BUF_NOLIMIT);
		sec[s].what = what[s];
	}
	error = summary_line(&head, c);
	if (error == 0)
		error = build_sections(c, sec, &nu, &ni, &no);
	if (error == 0)
		error = geomean_line(&foot, c);
	if (error == 0)
		error = put_side(&foot, c, 0);
	if (error == 0)
		error = put_side(&foot, c, 1);
	if (error == 0)
		error = mg_buf_putc(&foot, '\n');
	if (error == 0)
		error = rule_line(&foot, c);
	if (error < 0)
		goto cleanup;
	if (sec[0].n)
		error = mg_buf_printf(&sec[0].head, "### Regressions\n\n%s",
		                      table_head);
	if (error == 0 && sec[3].n)
		error = mg_buf_printf(&sec[3].head, "### Improvements\n\n%s",
		                      table_head);
	if (error == 0 && sec[2].n)
		error = mg_buf_puts(&sec[2].head,
		                    "### Where the memory went\n\n");
	if (error == 0 && sec[1].n)
		error = mg_buf_puts(&sec[1].head, "**Notes:**\n\n");
	if (error == 0 && sec[4].n) {
		error = mg_buf_puts(&sec[4].head, "<details><summary>");
		if (error == 0)
			error = mg_buf_printf(
			        &sec[4].head,
			        "%zu unchanged, %zu inconclusive, "
			        "%zu on one side only",
			        nu, ni, no);
		if (error == 0)
			error = mg_buf_printf(&sec[4].head, "</summary>\n\n%s",
			                      table_head_v);
	}
	if (error < 0)
		goto cleanup;

	/* Keep rows by priority while they fit. */
	used = head.len + foot.len + MD_RESERVE;
	for (s = 0; s < 5; s++)
		used += sec[s].head.len + (sec[s].n ? 2 : 0);
	used += sizeof("\n</details>\n");
	if (used > max_bytes) {
		error = mg_err_set(err, MG_ELIMIT,
		                   "markdown limit %zu too small for the "
		                   "summary",
		                   max_bytes);
		goto cleanup;
	}
	for (s = 0; s < 5; s++)
		for (i = 0; i < sec[s].n; i++) {
			if (used + sec[s].lens[i] > max_bytes)
				break;
			used += sec[s].lens[i];
			sec[s].keep++;
		}

	/* Display order: regressions, improvements, attribution, rest. */
	error = mg_buf_put(&doc, head.ptr, head.len);
	{
		static const int order[5] = {0, 3, 2, 4, 1};
		size_t k;

		for (k = 0; k < 5 && error == 0; k++) {
			struct md_sec *x = &sec[order[k]];

			if (x->n == 0)
				continue;
			error = mg_buf_put(&doc, x->head.ptr, x->head.len);
			for (i = 0; i < x->keep && error == 0; i++)
				error = mg_buf_put(&doc, x->rows[i],
				                   x->lens[i]);
			if (error == 0 && x->keep < x->n)
				error = mg_buf_printf(
				        &doc,
				        "%s*… %zu more %s left out to stay "
				        "within the comment size limit*\n",
				        order[k] == 2 || order[k] == 1 ? ""
				                                       : "\n",
				        x->n - x->keep, x->what);
			if (error == 0 && order[k] == 4)
				error = mg_buf_puts(&doc, "\n</details>\n");
			if (error == 0)
				error = mg_buf_putc(&doc, '\n');
		}
	}
	if (error == 0)
		error = mg_buf_put(&doc, foot.ptr, foot.len);
	if (error == 0 && doc.len > max_bytes)
		error = MG_EINTERNAL;
	if (error == 0)
		error = mg_buf_put(out, doc.ptr, doc.len);
	if (error < 0)
		mg_err_set(err, error,
		           error == MG_EINTERNAL
		                   ? "markdown exceeded its size limit"
		           : error == MG_ELIMIT ? "markdown output too large"
		                                : "out of memory");
cleanup:
	for (s = 0; s < 5; s++)
		sec_release(&sec[s]);
	mg_buf_release(&head);
	mg_buf_release(&foot);
	mg_buf_release(&doc);
	return error;
}
