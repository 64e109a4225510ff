/*
 * dashboard_svg.c - the dashboard's plots as inline SVG written on the
 * server: crisp at any zoom, nothing to load, visible without scripts.
 * Sizes are in viewBox units and the CSS scales them to the page width;
 * colours come from the style sheet's classes so dark mode applies.
 * Hover text is the SVG <title> of each point (escaped like all text).
 */
#include <math.h>
#include <time.h>

#include "dashboard.h"

/* Sparkline box (viewBox units; drawn at this size in CSS pixels). */
#define SPARK_W 120
#define SPARK_H 24
/* History plot: box and margins for the axes' labels. */
#define HIST_W 900
#define HIST_H 280
#define HIST_L 64
#define HIST_R 12
#define HIST_T 12
#define HIST_B 36
/* Labelled ticks per axis. */
#define HIST_YTICKS 4
#define HIST_XTICKS 5
/* Strip plot box; rows of base and head samples. */
#define STRIP_W 600
#define STRIP_H 64
#define STRIP_L 44
#define STRIP_R 12

/* Lowest and highest finite value of v (and of w when given). */
static void range(const double *v, size_t n, double *lo, double *hi)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!isfinite(v[i]))
			continue;
		if (v[i] < *lo)
			*lo = v[i];
		if (v[i] > *hi)
			*hi = v[i];
	}
}

/* Make [lo, hi] a usable scale: finite, not empty, a little padded. */
static void pad_range(double *lo, double *hi)
{
	double d;

	if (!isfinite(*lo) || !isfinite(*hi)) {
		*lo = 0;
		*hi = 1;
	}
	d = *hi - *lo;
	if (d <= 0) {
		d = fabs(*hi) > 0 ? fabs(*hi) * 0.1 : 1;
		*lo -= d;
		*hi += d;
		return;
	}
	*lo -= d * 0.05;
	*hi += d * 0.05;
}

static double scale(double v, double lo, double hi, double a, double b)
{
	return a + (v - lo) / (hi - lo) * (b - a);
}

void mg_svg_sparkline(mg_page *p, const double *v, size_t n, bool up)
{
	double lo = INFINITY, hi = -INFINITY;
	size_t i;

	mg_page_printf(p,
	               "<svg class=\"spark%s\" width=\"%d\" height=\"%d\" "
	               "viewBox=\"0 0 %d %d\" role=\"img\">",
	               up ? " up" : "", SPARK_W, SPARK_H, SPARK_W, SPARK_H);
	range(v, n, &lo, &hi);
	pad_range(&lo, &hi);
	if (n > 0) {
		mg_page_puts(p, "<polyline class=\"line\" points=\"");
		for (i = 0; i < n; i++) {
			double x = n == 1 ? SPARK_W / 2.0
			                  : (double)i * (SPARK_W - 2) /
			                                    (double)(n - 1) +
			                            1;
			double y = scale(isfinite(v[i]) ? v[i] : lo, lo, hi,
			                 SPARK_H - 2, 2);

			mg_page_printf(p, "%s%.1f,%.1f", i ? " " : "", x, y);
		}
		mg_page_puts(p, "\"/>");
	}
	mg_page_puts(p, "</svg>");
}

static void date_of(char out[16], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, 16, "%Y-%m-%d", &tm) == 0)
		snprintf(out, 16, "?");
}

void mg_svg_history(mg_page *p, const char *unit, const mg_svg_point *pts,
                    size_t n)
{
	const double x0 = HIST_L, x1 = HIST_W - HIST_R;
	const double y0 = HIST_H - HIST_B, y1 = HIST_T;
	double lo = INFINITY, hi = -INFINITY;
	size_t i;
	int t;

	for (i = 0; i < n; i++) {
		range(&pts[i].min, 1, &lo, &hi);
		range(&pts[i].max, 1, &lo, &hi);
		range(&pts[i].median, 1, &lo, &hi);
	}
	pad_range(&lo, &hi);
	mg_page_printf(p,
	               "<svg class=\"hist\" viewBox=\"0 0 %d %d\" role=\"img\" "
	               "aria-label=\"",
	               HIST_W, HIST_H);
	mg_page_esc(p, unit);
	mg_page_puts(p, " by commit\">");
	/* axes and y ticks */
	mg_page_printf(p,
	               "<line class=\"axis\" x1=\"%g\" y1=\"%g\" x2=\"%g\" "
	               "y2=\"%g\"/><line class=\"axis\" x1=\"%g\" y1=\"%g\" "
	               "x2=\"%g\" y2=\"%g\"/>",
	               x0, y0, x1, y0, x0, y0, x0, y1);
	for (t = 0; t <= HIST_YTICKS; t++) {
		double v = lo + (hi - lo) * t / HIST_YTICKS;
		double y = scale(v, lo, hi, y0, y1);

		mg_page_printf(p,
		               "<line class=\"axis\" x1=\"%g\" y1=\"%.1f\" "
		               "x2=\"%g\" y2=\"%.1f\" opacity=\".4\"/>"
		               "<text x=\"%g\" y=\"%.1f\" "
		               "text-anchor=\"end\">",
		               x0, y, x1, y, x0 - 4, y + 4);
		mg_page_num(p, v);
		mg_page_puts(p, "</text>");
	}
	if (n == 0) {
		mg_page_puts(p, "</svg>");
		return;
	}
#define XAT(i)                                                                 \
	(n == 1 ? (x0 + x1) / 2                                                \
	        : scale((double)(i), 0, (double)(n - 1), x0 + 6, x1 - 6))
	/* x ticks: dates of a few commits */
	for (t = 0; t < HIST_XTICKS; t++) {
		size_t k = n == 1 ? 0 : (size_t)t * (n - 1) / (HIST_XTICKS - 1);
		char d[16];

		/* short series: ticks would repeat a commit */
		if (t > 0 && k == (size_t)(t - 1) * (n - 1) / (HIST_XTICKS - 1))
			continue;
		date_of(d, pts[k].commit_time);
		mg_page_printf(p,
		               "<text x=\"%.1f\" y=\"%g\" "
		               "text-anchor=\"middle\">%s</text>",
		               XAT(k), y0 + 16, d);
	}
	/* min-max band: along the maxima, back along the minima */
	mg_page_puts(p, "<polygon class=\"band\" points=\"");
	for (i = 0; i < n; i++)
		mg_page_printf(p, "%s%.1f,%.1f", i ? " " : "", XAT(i),
		               scale(pts[i].max, lo, hi, y0, y1));
	for (i = n; i-- > 0;)
		mg_page_printf(p, " %.1f,%.1f", XAT(i),
		               scale(pts[i].min, lo, hi, y0, y1));
	mg_page_puts(p, "\"/>");
	/* change points: a dashed line where a new level starts */
	for (i = 0; i < n; i++)
		if (pts[i].change)
			mg_page_printf(p,
			               "<line class=\"cp\" x1=\"%.1f\" "
			               "y1=\"%g\" x2=\"%.1f\" y2=\"%g\" "
			               "data-sha=\"%s\"/>",
			               XAT(i), y1, XAT(i), y0, pts[i].sha);
	mg_page_puts(p, "<polyline class=\"line\" points=\"");
	for (i = 0; i < n; i++)
		mg_page_printf(p, "%s%.1f,%.1f", i ? " " : "", XAT(i),
		               scale(pts[i].median, lo, hi, y0, y1));
	mg_page_puts(p, "\"/>");
	for (i = 0; i < n; i++) {
		if (pts[i].href) {
			mg_page_puts(p, "<a href=\"");
			mg_page_esc(p, pts[i].href);
			mg_page_puts(p, "\">");
		}
		mg_page_printf(p,
		               "<circle class=\"pt%s\" data-sha=\"%s\" "
		               "cx=\"%.1f\" cy=\"%.1f\" r=\"3\"><title>%.12s ",
		               pts[i].change ? " cpt" : "", pts[i].sha, XAT(i),
		               scale(pts[i].median, lo, hi, y0, y1),
		               pts[i].sha);
		mg_page_esc(p, pts[i].subject);
		mg_page_puts(p, "\nmedian ");
		mg_page_num(p, pts[i].median);
		mg_page_puts(p, " ");
		mg_page_esc(p, unit);
		mg_page_puts(p, " (min ");
		mg_page_num(p, pts[i].min);
		mg_page_puts(p, ", max ");
		mg_page_num(p, pts[i].max);
		mg_page_printf(p, "), n=%lld%s</title></circle>",
		               (long long)pts[i].n,
		               pts[i].change ? "\nchange point" : "");
		if (pts[i].href)
			mg_page_puts(p, "</a>");
	}
#undef XAT
	mg_page_puts(p, "</svg>");
}

/* A fixed jitter in [-1, 1] for sample i, so the plot is reproducible. */
static double jitter(size_t i)
{
	uint32_t h = (uint32_t)i * 2654435761u;

	return ((double)(h >> 8) / (double)(1u << 24)) * 2 - 1;
}

static void strip_row(mg_page *p, const char *cls, const double *v, size_t n,
                      double lo, double hi, double y)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (isfinite(v[i]))
			mg_page_printf(
			        p,
			        "<circle class=\"%s\" cx=\"%.1f\" "
			        "cy=\"%.1f\" r=\"3\"/>",
			        cls,
			        scale(v[i], lo, hi, STRIP_L, STRIP_W - STRIP_R),
			        y + jitter(i) * 6);
}

void mg_svg_strip(mg_page *p, const double *base, size_t nbase,
                  const double *head, size_t nhead)
{
	double lo = INFINITY, hi = -INFINITY;

	range(base, nbase, &lo, &hi);
	range(head, nhead, &lo, &hi);
	pad_range(&lo, &hi);
	mg_page_printf(p,
	               "<svg class=\"strip\" viewBox=\"0 0 %d %d\" "
	               "role=\"img\"><text x=\"0\" y=\"20\">base</text>"
	               "<text x=\"0\" y=\"44\">head</text>"
	               "<line class=\"axis\" x1=\"%d\" y1=\"54\" x2=\"%d\" "
	               "y2=\"54\"/><text x=\"%d\" y=\"64\">",
	               STRIP_W, STRIP_H, STRIP_L, STRIP_W - STRIP_R, STRIP_L);
	mg_page_num(p, lo);
	mg_page_printf(p, "</text><text x=\"%d\" y=\"64\" text-anchor=\"end\">",
	               STRIP_W - STRIP_R);
	mg_page_num(p, hi);
	mg_page_puts(p, "</text>");
	strip_row(p, "sb", base, nbase, lo, hi, 16);
	strip_row(p, "sh", head, nhead, lo, hi, 40);
	mg_page_puts(p, "</svg>");
}
