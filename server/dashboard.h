/*
 * dashboard.h - the HTML pages of memgate-server: projects, a project's
 * benchmarks with sparklines, a benchmark's history, a comparison and a
 * run. Server-rendered HTML with inline SVG plots and an embedded style
 * sheet: no JavaScript build step, no asset files to deploy, and the
 * plots show in e-mail previews of the links the PR comment carries.
 *
 * Every string that comes from outside (project, benchmark and package
 * names, commit subjects, authors, commands, logs, function names) goes
 * through mg_page_esc (text and attribute values) or mg_page_seg (URL
 * path segments and query values); nothing is written raw.
 */
#ifndef MG_SRV_DASHBOARD_H
#define MG_SRV_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "http.h"
#include "store.h"

/*
 * A page is built in memory; the largest is the benchmarks of a big
 * project (1,000 benchmarks x 3 sparklines is ~3 MB) or a comparison of
 * a whole run: 64 MiB is far above both and bounds a runaway.
 */
#define MG_PAGE_MAX ((size_t)64 << 20)
/* Commits per sparkline on the project page. */
#define MG_DASH_SPARK_POINTS 30
/*
 * Commits of a history page by default and at most: change point
 * detection costs ~10 ms per test at 200 points (changepoint.h), and
 * 1,000 points are still readable in a 1,000-pixel-wide plot.
 */
#define MG_DASH_HISTORY_POINTS 200
#define MG_DASH_HISTORY_MAX 1000
/* Rows of a profile's top table, as `go tool pprof -top` shows ~20. */
#define MG_DASH_TOP_FUNCS 20
/* Strip plots on a comparison page (each ~2 KB plus its samples). */
#define MG_DASH_MAX_STRIPS 300
/* Latest default-branch commits listed per project on `/`. */
#define MG_DASH_PROJECT_COMMITS 5

/* An HTML page being written: the first error sticks, later calls no-op. */
typedef struct mg_page {
	mg_buf buf;
	int error;
} mg_page;

void mg_page_init(mg_page *p);
void mg_page_release(mg_page *p);
void mg_page_puts(mg_page *p, const char *s);
void mg_page_printf(mg_page *p, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* s as HTML text or attribute value (& < > " ' as entities); NULL: "". */
void mg_page_esc(mg_page *p, const char *s);
/* s percent-encoded as one URL path segment (or query value). */
void mg_page_seg(mg_page *p, const char *s);
/* A number the way people read it: 1234567 -> "1.23M", 0.5 -> "0.5". */
void mg_page_num(mg_page *p, double v);

/* <!doctype html> ... <body><main> with the style sheet; title escaped. */
void mg_page_begin(mg_page *p, const char *title);
void mg_page_end(mg_page *p);

/*
 * Queue the page as text/html (or, when it failed, a 500/503 answer).
 * Takes over p's buffer.
 */
int mg_page_send(mg_req *r, int status, mg_page *p);
/* An HTML error page (404 for unknown projects, benchmarks, runs). */
int mg_page_error(mg_req *r, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* ---- plots (dashboard_svg.c) ------------------------------------------ */

/* A small line of n values, oldest first; `up` marks a rise. */
void mg_svg_sparkline(mg_page *p, const double *v, size_t n, bool up);

/* One point of a history plot, oldest first. */
typedef struct mg_svg_point {
	const char *sha;
	const char *subject; /* may be NULL */
	int64_t commit_time; /* unix seconds */
	double median, min, max;
	int64_t n;
	const char *href; /* link of the point (already a URL), or NULL */
	bool change;      /* a change point starts here */
} mg_svg_point;

/* History plot: median line, min-max band, change points marked. */
void mg_svg_history(mg_page *p, const char *unit, const mg_svg_point *pts,
                    size_t n);

/* Strip plot of base and head samples on one axis. */
void mg_svg_strip(mg_page *p, const double *base, size_t nbase,
                  const double *head, size_t nhead);

/* ---- pages (dashboard.c) ---------------------------------------------- */

int mg_dash_projects(mg_req *r);
int mg_dash_project(mg_req *r);
int mg_dash_bench(mg_req *r);
int mg_dash_compare(mg_req *r);
int mg_dash_run(mg_req *r);

#endif
