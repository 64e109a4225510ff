/*
 * dashboard.c - the pages of the dashboard (routes in routes.c):
 *
 *   /                             projects, their latest default-branch
 *                                 commits and runs
 *   /p/{p}                        benchmarks by package, sparklines of
 *                                 B/op, allocs/op, ns/op, filter box
 *   /p/{p}/bench/{name}           history plots per unit, change points
 *   /p/{p}/compare?head=&base=    the verdict with distributions and the
 *                                 allocation attribution
 *   /p/{p}/runs/{id}              one run with its profiles' top tables
 *
 * Data comes from the request's read connection, as the JSON routes get
 * it; the comparison is the engine of lib/compare.h with the same choice
 * of runs as GET /api/v1/projects/{p}/compare. Access follows the JSON
 * routes: the pages are read routes, so they need a token unless
 * public_read is on.
 */
#include <errno.h>
#include <math.h>
#include <time.h>

#include "api.h"
#include "buf.h"
#include "auth.h"
#include "changepoint.h"
#include "compare.h"
#include "dashboard.h"
#include "store_notify.h"
#include "server.h"

/* Units with a sparkline on the project page, in this order. */
static const char *const SPARK_UNITS[] = {"B/op", "allocs/op", "ns/op"};
#define NSPARK (sizeof(SPARK_UNITS) / sizeof(SPARK_UNITS[0]))
/*
 * A sparkline is marked as a rise when the newest median is this much
 * above the median of the earlier points (the default B/op threshold of
 * the comparison is 2%; 5% keeps noisy ns/op lines from lighting up).
 */
#define SPARK_RISE 0.05
/* Units shown on a history page (a benchmark reports a handful). */
#define MAX_UNITS 64

/*
 * qsort's comparators here read a file-level pointer to what they sort
 * (C11 has no qsort_r), so sorting is serialised across request threads.
 */
static pthread_mutex_t sort_lock = PTHREAD_MUTEX_INITIALIZER;

static int busy(mg_req *r, const mg_err *err)
{
	mg_http_header(r, "Retry-After", "1");
	return mg_http_error(r, 503, "busy", NULL, "%s", err->msg);
}

/* The answer for a failed store call: HTML 404/400, else as the API. */
static int fail(mg_req *r, int error, const mg_err *err)
{
	if (error == MG_ENOTFOUND)
		return mg_page_error(r, 404, "%s", err->msg);
	if (error == MG_EINPUT)
		return mg_page_error(r, 400, "%s", err->msg);
	return mg_http_fail(r, error, err);
}

static void time_ms(mg_page *p, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char s[32];

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(s, sizeof(s), "%Y-%m-%d %H:%M UTC", &tm) == 0) {
		mg_page_puts(p, "–");
		return;
	}
	mg_page_puts(p, s);
}

/* href of a project page: /p/<project> */
static void project_href(mg_page *p, const char *project)
{
	mg_page_puts(p, "/p/");
	mg_page_seg(p, project);
}

static void run_link(mg_page *p, const char *project, int64_t id)
{
	mg_page_puts(p, "<a href=\"");
	project_href(p, project);
	mg_page_printf(p, "/runs/%lld\">#%lld</a>", (long long)id,
	               (long long)id);
}

/* href of a benchmark's history: name with its -procs suffix. */
static void bench_href(mg_page *p, const char *project, const char *package,
                       const char *name, int procs)
{
	char suffix[24] = "";

	project_href(p, project);
	mg_page_puts(p, "/bench/");
	mg_page_seg(p, name);
	if (procs > 0) {
		snprintf(suffix, sizeof(suffix), "-%d", procs);
		mg_page_puts(p, suffix);
	}
	if (package && package[0]) {
		mg_page_puts(p, "?package=");
		mg_page_seg(p, package);
	}
}

static void bytes_cell(mg_page *p, int64_t v)
{
	if (v <= 0)
		mg_page_puts(p, "–");
	else
		mg_page_printf(p, "%.1f MiB", (double)v / (1024.0 * 1024.0));
}

static void page_title2(char *out, size_t n, const char *what,
                        const char *project)
{
	snprintf(out, n, "%s · %s", what, project);
}

/* ---- / ------------------------------------------------------------------ */

int mg_dash_projects(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	mg_project_info *pr = NULL;
	size_t n = 0, i, j, shown = 0;
	mg_page p;
	int error;

	if (st == NULL)
		return busy(r, &err);
	error = mg_store_project_list(st, &pr, &n, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	mg_page_init(&p);
	mg_page_begin(&p, "Projects");
	mg_page_puts(&p, "<h1>Projects</h1>\n");
	for (i = 0; i < n && error == 0; i++) {
		mg_commit_info *c = NULL;
		int64_t open = 0;
		size_t nc = 0;

		if (!mg_auth_may_read(r, pr[i].name))
			continue;
		shown++;
		error = mg_store_commits(st, pr[i].name, NULL,
		                         MG_DASH_PROJECT_COMMITS, &c, &nc,
		                         &err);
		if (error < 0)
			break;
		mg_page_puts(&p, "<section class=\"project\"><h2><a href=\"");
		project_href(&p, pr[i].name);
		mg_page_puts(&p, "\">");
		mg_page_esc(&p, pr[i].name);
		mg_page_printf(&p,
		               "</a></h2><p class=\"mute\">%lld runs, last ",
		               (long long)pr[i].nruns);
		time_ms(&p, pr[i].last_run_at);
		mg_page_puts(&p, "; default branch <code>");
		mg_page_esc(&p, pr[i].default_branch);
		mg_page_puts(&p, "</code>");
		error = mg_store_open_regressions(st, pr[i].name, &open, &err);
		if (error < 0) {
			mg_commit_info_free(c, nc);
			break;
		}
		mg_page_printf(&p,
		               "; <span class=\"%s\">%lld open regression%s"
		               "</span></p>\n",
		               open ? "bad" : "mute", (long long)open,
		               open == 1 ? "" : "s");
		if (nc > 0)
			mg_page_puts(&p, "<div class=\"scroll\"><table><tr>"
			                 "<th>commit</th><th>subject</th>"
			                 "<th class=\"n\">runs</th><th>run</th>"
			                 "<th></th></tr>\n");
		for (j = 0; j < nc; j++) {
			mg_page_printf(&p,
			               "<tr><td class=\"mono\">%.12s</td><td>",
			               c[j].sha);
			mg_page_esc(&p, c[j].subject);
			mg_page_printf(&p, "</td><td class=\"n\">%lld</td><td>",
			               (long long)c[j].nruns);
			if (c[j].last_run_id)
				run_link(&p, pr[i].name, c[j].last_run_id);
			mg_page_puts(&p, "</td><td><a href=\"");
			project_href(&p, pr[i].name);
			mg_page_printf(&p,
			               "/compare?head=%s\">compare</a>"
			               "</td></tr>\n",
			               c[j].sha);
		}
		if (nc > 0)
			mg_page_puts(&p, "</table></div>");
		mg_page_puts(&p, "</section>\n");
		mg_commit_info_free(c, nc);
	}
	if (error == 0 && shown == 0)
		mg_page_puts(&p, "<p class=\"mute\">No projects yet: upload a "
		                 "run with <code>memgate collect</code>.</p>");
	mg_project_info_free(pr, n);
	if (error < 0) {
		mg_page_release(&p);
		return mg_http_fail(r, error, &err);
	}
	mg_page_end(&p);
	return mg_page_send(r, 200, &p);
}

/* ---- /p/{p} ------------------------------------------------------------- */

/*
 * One sparkline cell: the last MG_DASH_SPARK_POINTS medians of the
 * benchmark's unit on the default branch and the newest value. Returns
 * a store error; a benchmark without that unit on the branch is "–".
 */
static int spark_cell(mg_page *p, mg_store *st, const char *branch,
                      const mg_bench_info *b, const char *unit, mg_err *err)
{
	double v[MG_DASH_SPARK_POINTS], prior[MG_DASH_SPARK_POINTS];
	mg_history_point *pts = NULL;
	size_t n = 0, i;
	bool up = false;
	int error;

	/* By id: name resolution per cell made 1,000 benchmarks slow. */
	for (i = 0; i < b->nunits && strcmp(b->units[i], unit) != 0; i++)
		;
	error = i == b->nunits ? MG_ENOTFOUND
	                       : mg_store_history_of(st, b->id, unit, branch,
	                                             MG_DASH_SPARK_POINTS, &pts,
	                                             &n, err);
	if (error == MG_ENOTFOUND || (error == 0 && n == 0)) {
		mg_page_puts(p, "<td class=\"n mute\">–</td>");
		return 0;
	}
	if (error < 0)
		return error;
	/* newest first from the store; plots go oldest first */
	for (i = 0; i < n; i++)
		v[n - 1 - i] = pts[i].median;
	if (n >= 3) {
		memcpy(prior, v, (n - 1) * sizeof(*v));
		/* median of the earlier points, by a small insertion sort */
		for (i = 1; i < n - 1; i++) {
			double x = prior[i];
			size_t k = i;

			while (k > 0 && prior[k - 1] > x) {
				prior[k] = prior[k - 1];
				k--;
			}
			prior[k] = x;
		}
		{
			double m = (n - 1) % 2 ? prior[(n - 1) / 2]
			                       : (prior[(n - 1) / 2 - 1] +
			                          prior[(n - 1) / 2]) /
			                                 2;
			up = m > 0 ? v[n - 1] > m * (1 + SPARK_RISE)
			           : v[n - 1] > m;
		}
	}
	mg_page_printf(p, "<td class=\"n%s\">", up ? " bad" : "");
	mg_svg_sparkline(p, v, n, up);
	mg_page_puts(p, " ");
	mg_page_num(p, v[n - 1]);
	mg_page_puts(p, "</td>");
	mg_history_free(pts, n);
	return 0;
}

static const char FILTER_JS[] =
        "<script>(function(){var f=document.getElementById('filter');"
        "f.addEventListener('input',function(){var q=f.value.toLowerCase();"
        "document.querySelectorAll('tr[data-name]').forEach(function(r){"
        "r.hidden=q&&r.getAttribute('data-name').toLowerCase()"
        ".indexOf(q)<0;});});})();</script>";

int mg_dash_project(mg_req *r)
{
	const char *project = mg_req_param(r, "p");
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_history_reader(r, &err);
	mg_bench_info *b = NULL;
	mg_run_summary *runs = NULL;
	mg_project_info info;
	size_t n = 0, nruns = 0, i, u;
	char title[512];
	mg_page p;
	int error;

	if (st == NULL)
		return busy(r, &err);
	error = mg_store_project_get(st, project, &info, &err);
	if (error < 0)
		return fail(r, error, &err);
	mg_page_init(&p);
	if ((error = mg_store_benchmarks(st, project, &b, &n, &err)) < 0 ||
	    (error = mg_store_list_runs(st, project, 10, &runs, &nruns, &err)) <
	            0)
		goto done;
	page_title2(title, sizeof(title), "Benchmarks", project);
	mg_page_begin(&p, title);
	mg_page_puts(&p, "<h1>");
	mg_page_esc(&p, project);
	mg_page_printf(&p,
	               "</h1><p class=\"mute\">%zu benchmarks; "
	               "sparklines: the last %d commits of <code>",
	               n, MG_DASH_SPARK_POINTS);
	mg_page_esc(&p, info.default_branch);
	mg_page_puts(&p, "</code>, red when the newest median is 5% above "
	                 "the earlier ones.</p>\n");
	if (nruns > 0) {
		mg_page_puts(&p, "<p>Latest runs: ");
		for (i = 0; i < nruns; i++) {
			if (i)
				mg_page_puts(&p, ", ");
			run_link(&p, project, runs[i].id);
			mg_page_printf(&p,
			               " <span class=\"mono mute\">%.8s"
			               "</span>%s",
			               runs[i].sha,
			               runs[i].status == MG_RUN_OK
			                       ? ""
			                       : " <span class=\"bad\">failed"
			                         "</span>");
		}
		mg_page_puts(&p, " · <a href=\"");
		project_href(&p, project);
		mg_page_printf(&p,
		               "/compare?head=%s\">compare the latest "
		               "run</a></p>\n",
		               runs[0].sha);
	}
	mg_page_puts(&p, "<p><input id=\"filter\" class=\"filter\" "
	                 "type=\"search\" placeholder=\"filter benchmarks\" "
	                 "aria-label=\"filter benchmarks\"></p>\n");
	for (i = 0; i < n && error == 0; i++) {
		if (i == 0 || strcmp(b[i].package, b[i - 1].package) != 0) {
			if (i > 0)
				mg_page_puts(&p, "</table></div>\n");
			mg_page_puts(&p, "<h2>");
			mg_page_esc(&p, b[i].package[0] ? b[i].package
			                                : "(no package)");
			mg_page_puts(&p, "</h2><div class=\"scroll\"><table>"
			                 "<tr><th>benchmark</th>");
			for (u = 0; u < NSPARK; u++)
				mg_page_printf(&p, "<th class=\"n\">%s</th>",
				               SPARK_UNITS[u]);
			mg_page_puts(&p, "</tr>\n");
		}
		mg_page_puts(&p, "<tr data-name=\"");
		mg_page_esc(&p, b[i].name);
		mg_page_puts(&p, "\"><td><a href=\"");
		bench_href(&p, project, b[i].package, b[i].name, b[i].procs);
		mg_page_puts(&p, "\">");
		mg_page_esc(&p, b[i].name);
		if (b[i].procs > 0)
			mg_page_printf(&p, "-%d", b[i].procs);
		mg_page_puts(&p, "</a></td>");
		for (u = 0; u < NSPARK && error == 0; u++)
			error = spark_cell(&p, st, info.default_branch, &b[i],
			                   SPARK_UNITS[u], &err);
		mg_page_puts(&p, "</tr>\n");
	}
	if (n > 0)
		mg_page_puts(&p, "</table></div>\n");
	else
		mg_page_puts(&p, "<p class=\"mute\">No benchmarks yet.</p>");
	mg_page_puts(&p, FILTER_JS);
	mg_page_end(&p);
done:
	mg_bench_info_free(b, n);
	mg_run_summary_free(runs, nruns);
	mg_project_info_release(&info);
	if (error < 0) {
		mg_page_release(&p);
		return fail(r, error, &err);
	}
	return mg_page_send(r, 200, &p);
}

/* ---- /p/{p}/bench/{name} ------------------------------------------------ */

/* Does benchmark b match `name` ("BenchmarkX" or "BenchmarkX-8")? */
static bool bench_matches(const mg_bench_info *b, const char *name,
                          const char *package)
{
	size_t len = strlen(b->name);
	char suffix[24];

	if (package && strcmp(package, b->package) != 0)
		return false;
	if (strcmp(b->name, name) == 0)
		return true;
	if (b->procs <= 0 || strncmp(b->name, name, len) != 0)
		return false;
	snprintf(suffix, sizeof(suffix), "-%d", b->procs);
	return strcmp(name + len, suffix) == 0;
}

/* Units in reading order: the sparkline units first, then the rest. */
static void unit_order(const mg_bench_info *b, const char **out, size_t *n)
{
	size_t i, u;

	*n = 0;
	for (u = 0; u < NSPARK; u++)
		for (i = 0; i < b->nunits; i++)
			if (strcmp(b->units[i], SPARK_UNITS[u]) == 0)
				out[(*n)++] = b->units[i];
	for (i = 0; i < b->nunits && *n < MAX_UNITS; i++) {
		bool seen = false;

		for (u = 0; u < NSPARK; u++)
			seen = seen || strcmp(b->units[i], SPARK_UNITS[u]) == 0;
		if (!seen)
			out[(*n)++] = b->units[i];
	}
}

/* The run of commit sha in c (a branch's commits), 0 if none. */
static int64_t run_of(const mg_commit_info *c, size_t n, const char *sha)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(c[i].sha, sha) == 0)
			return c[i].last_run_id;
	return 0;
}

/*
 * A link to the commit on its forge, from the project's clone URL
 * ("https://host/owner/repo.git" or "git@host:owner/repo.git" ->
 * https://host/owner/repo/commit/SHA, which GitHub and GitLab both
 * answer); the bare short sha when the URL says nothing usable.
 */
static void commit_cell(mg_page *p, const char *clone_url, const char *sha)
{
	mg_buf url = MG_BUF_INIT(4096);
	const char *host = NULL, *path;
	size_t hlen = 0, plen;

	if (clone_url && strncmp(clone_url, "https://", 8) == 0) {
		host = clone_url + 8;
		path = strchr(host, '/');
		hlen = path ? (size_t)(path - host) : 0;
		path = path ? path + 1 : NULL;
	} else if (clone_url && strncmp(clone_url, "git@", 4) == 0) {
		host = clone_url + 4;
		path = strchr(host, ':');
		hlen = path ? (size_t)(path - host) : 0;
		path = path ? path + 1 : NULL;
	} else {
		path = NULL;
	}
	if (path == NULL || hlen == 0 || strchr(host, '@')) {
		mg_page_printf(p, "%.12s", sha);
		return;
	}
	plen = strlen(path);
	if (plen > 4 && strcmp(path + plen - 4, ".git") == 0)
		plen -= 4;
	if (mg_buf_printf(&url, "https://%.*s/%.*s/commit/%s", (int)hlen, host,
	                  (int)plen, path, sha) < 0) {
		mg_page_printf(p, "%.12s", sha);
		mg_buf_release(&url);
		return;
	}
	mg_page_puts(p, "<a href=\"");
	mg_page_esc(p, url.ptr);
	mg_page_printf(p, "\">%.12s</a>", sha);
	mg_buf_release(&url);
}

static int history_section(mg_page *p, mg_req *r, mg_store *st,
                           const mg_history_query *q, const char *clone_url,
                           const mg_commit_info *c, size_t nc, mg_err *err)
{
	mg_history_point *pts = NULL;
	mg_svg_point *sp = NULL;
	mg_changepoint *cps = NULL;
	double *med = NULL;
	size_t n = 0, ncp = 0, i;
	mg_err cperr = MG_ERR_INIT;
	int error;

	error = mg_store_history(st, q, &pts, &n, err);
	if (error == MG_ENOTFOUND) {
		mg_page_puts(p, "<h2>");
		mg_page_esc(p, q->unit);
		mg_page_puts(p, "</h2><p class=\"mute\">No points on this "
		                "branch.</p>");
		return 0;
	}
	if (error < 0)
		return error;
	sp = calloc(n ? n : 1, sizeof(*sp));
	med = calloc(n ? n : 1, sizeof(*med));
	if (sp == NULL || med == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		const mg_history_point *h = &pts[n - 1 - i];
		int64_t run = run_of(c, nc, h->sha);
		mg_page href;

		sp[i].sha = h->sha;
		sp[i].subject = h->subject;
		sp[i].commit_time = h->commit_time;
		sp[i].median = h->median;
		sp[i].min = h->min;
		sp[i].max = h->max;
		sp[i].n = h->n;
		med[i] = h->median;
		if (run == 0)
			continue;
		mg_page_init(&href);
		project_href(&href, q->project);
		mg_page_printf(&href, "/runs/%lld", (long long)run);
		if (href.error == 0)
			sp[i].href =
			        mg_req_strndup(r, href.buf.ptr, href.buf.len);
		mg_page_release(&href);
	}
	/* a failed detection (too long a series) only loses the marks */
	if (n >= MG_CHANGEPOINT_MIN_POINTS &&
	    mg_changepoint_detect(&cps, &ncp, med, n, NULL, &cperr) == 0)
		for (i = 0; i < ncp; i++)
			sp[cps[i].index].change = true;
	mg_page_puts(p, "<section class=\"unit\"><h2>");
	mg_page_esc(p, q->unit);
	mg_page_printf(p,
	               "</h2><p class=\"mute\">%zu commits, oldest left; "
	               "band: min to max of the pooled samples; dashed: "
	               "change points (%zu)</p>",
	               n, ncp);
	mg_svg_history(p, q->unit, sp, n);
	for (i = 0; i < ncp; i++) {
		const mg_svg_point *at = &sp[cps[i].index];

		mg_page_printf(p,
		               "<p class=\"changepoint\">Change at <span "
		               "class=\"mono\">%.12s</span> ",
		               at->sha);
		mg_page_esc(p, at->subject);
		mg_page_puts(p, ": ");
		mg_page_num(p, cps[i].before);
		mg_page_puts(p, " → ");
		mg_page_num(p, cps[i].after);
		mg_page_printf(p, " (%+.1f%%)</p>", cps[i].change * 100);
	}
	mg_page_puts(p, "<details><summary>points</summary><div "
	                "class=\"scroll\"><table class=\"points\"><tr>"
	                "<th>commit</th><th>subject</th><th class=\"n\">"
	                "median</th><th class=\"n\">min</th><th class=\"n\">"
	                "max</th><th class=\"n\">n</th><th>run</th></tr>\n");
	for (i = n; i-- > 0;) {
		mg_page_printf(p, "<tr data-sha=\"%s\"><td class=\"mono\">",
		               sp[i].sha);
		commit_cell(p, clone_url, sp[i].sha);
		mg_page_puts(p, "</td><td>");
		mg_page_esc(p, sp[i].subject);
		mg_page_puts(p, "</td><td class=\"n\">");
		mg_page_num(p, sp[i].median);
		mg_page_puts(p, "</td><td class=\"n\">");
		mg_page_num(p, sp[i].min);
		mg_page_puts(p, "</td><td class=\"n\">");
		mg_page_num(p, sp[i].max);
		mg_page_printf(p, "</td><td class=\"n\">%lld</td><td>",
		               (long long)sp[i].n);
		if (sp[i].href) {
			mg_page_puts(p, "<a href=\"");
			mg_page_esc(p, sp[i].href);
			mg_page_puts(p, "\">run</a>");
		}
		mg_page_puts(p, "</td></tr>\n");
	}
	mg_page_puts(p, "</table></div></details></section>\n");
cleanup:
	mg_changepoint_free(cps);
	free(sp);
	free(med);
	mg_history_free(pts, n);
	return error;
}

int mg_dash_bench(mg_req *r)
{
	const char *project = mg_req_param(r, "p");
	const char *name = mg_req_param(r, "name");
	const char *package, *branch;
	const char *units[MAX_UNITS];
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_history_reader(r, &err);
	mg_bench_info *b = NULL;
	mg_commit_info *c = NULL;
	mg_project_info info;
	size_t n = 0, nc = 0, i, nmatch = 0, match = 0, nunits = 0;
	int64_t limit;
	char title[512];
	mg_page p;
	int error;

	if (st == NULL)
		return busy(r, &err);
	if ((error = mg_req_query(r, "package", MG_API_MAX_PARAM, &package,
	                          &err)) < 0 ||
	    (error = mg_req_query(r, "branch", MG_API_MAX_PARAM, &branch,
	                          &err)) < 0 ||
	    (error = mg_req_query_int(r, "limit", MG_DASH_HISTORY_POINTS, 1,
	                              MG_DASH_HISTORY_MAX, &limit, &err)) < 0)
		return fail(r, error, &err);
	error = mg_store_project_get(st, project, &info, &err);
	if (error < 0)
		return fail(r, error, &err);
	mg_page_init(&p);
	if (branch == NULL)
		branch = info.default_branch;
	if ((error = mg_store_benchmarks(st, project, &b, &n, &err)) < 0)
		goto done;
	for (i = 0; i < n; i++)
		if (bench_matches(&b[i], name, package)) {
			if (nmatch++ == 0)
				match = i;
		}
	if (nmatch == 0) {
		error = mg_err_set(&err, MG_ENOTFOUND,
		                   "benchmark '%s' not found in project '%s'",
		                   name, project);
		goto done;
	}
	page_title2(title, sizeof(title), name, project);
	mg_page_begin(&p, title);
	mg_page_puts(&p, "<p><a href=\"");
	project_href(&p, project);
	mg_page_puts(&p, "\">");
	mg_page_esc(&p, project);
	mg_page_puts(&p, "</a></p><h1>");
	mg_page_esc(&p, name);
	mg_page_puts(&p, "</h1>\n");
	if (nmatch > 1) {
		/* the same name in several packages or GOMAXPROCS values */
		mg_page_puts(&p, "<p>Several benchmarks have this name:</p>"
		                 "<ul>");
		for (i = 0; i < n; i++) {
			if (!bench_matches(&b[i], name, package))
				continue;
			mg_page_puts(&p, "<li><a href=\"");
			bench_href(&p, project, b[i].package, b[i].name,
			           b[i].procs);
			mg_page_puts(&p, "\">");
			mg_page_esc(&p, b[i].package);
			mg_page_puts(&p, " ");
			mg_page_esc(&p, b[i].name);
			mg_page_printf(&p, " (procs %d)</a></li>", b[i].procs);
		}
		mg_page_puts(&p, "</ul>");
		mg_page_end(&p);
		goto done;
	}
	mg_page_puts(&p, "<p class=\"mute\">package <code>");
	mg_page_esc(&p, b[match].package[0] ? b[match].package : "(none)");
	mg_page_puts(&p, "</code>, branch <code>");
	mg_page_esc(&p, branch);
	mg_page_puts(&p, "</code>; hover a point for its commit, click for "
	                 "its run</p>\n");
	if ((error = mg_store_commits(st, project, branch, MG_DASH_HISTORY_MAX,
	                              &c, &nc, &err)) < 0)
		goto done;
	unit_order(&b[match], units, &nunits);
	for (i = 0; i < nunits && error == 0; i++) {
		mg_history_query q;
		char full[MG_API_MAX_PARAM];

		snprintf(full, sizeof(full), "%s", b[match].name);
		if (b[match].procs > 0)
			snprintf(full, sizeof(full), "%s-%d", b[match].name,
			         b[match].procs);
		memset(&q, 0, sizeof(q));
		q.project = project;
		q.benchmark = full;
		q.package = b[match].package;
		q.unit = units[i];
		q.branch = branch;
		q.limit = limit;
		error = history_section(&p, r, st, &q, info.clone_url, c, nc,
		                        &err);
	}
	mg_page_end(&p);
done:
	mg_commit_info_free(c, nc);
	mg_bench_info_free(b, n);
	mg_project_info_release(&info);
	if (error < 0) {
		mg_page_release(&p);
		return fail(r, error, &err);
	}
	return mg_page_send(r, 200, &p);
}

/* ---- /p/{p}/compare ----------------------------------------------------- */

/* One sample of a side, for the strip plots. */
typedef struct sref {
	const char *package, *name, *unit;
	int procs;
	double value;
} sref;

/* The runs of one side, loaded, and their samples sorted by key. */
typedef struct side {
	const char *sha;
	mg_run runs[MG_API_COMPARE_RUNS];
	int64_t ids[MG_API_COMPARE_RUNS];
	size_t nruns;
	sref *s;
	size_t ns;
} side;

static int sref_key_cmp(const sref *a, const char *package, const char *name,
                        int procs, const char *unit)
{
	int c = strcmp(a->package, package);

	if (c == 0)
		c = strcmp(a->name, name);
	if (c == 0)
		c = (a->procs > procs) - (a->procs < procs);
	if (c == 0)
		c = strcmp(a->unit, unit);
	return c;
}

static int sref_cmp(const void *x, const void *y)
{
	const sref *b = y;

	return sref_key_cmp(x, b->package, b->name, b->procs, b->unit);
}

/* Index the samples of a side's runs (package "" when none). */
static int side_index(side *sd)
{
	size_t total = 0, i, k;

	for (i = 0; i < sd->nruns; i++)
		total += sd->runs[i].nsamples;
	sd->s = calloc(total ? total : 1, sizeof(*sd->s));
	if (sd->s == NULL)
		return MG_ENOMEM;
	for (i = 0; i < sd->nruns; i++) {
		const mg_run *run = &sd->runs[i];

		if (run->status != MG_RUN_OK)
			continue;
		for (k = 0; k < run->nsamples; k++) {
			const mg_bench *b =
			        &run->benches[run->samples[k].bench];
			sref *o = &sd->s[sd->ns++];

			o->package = b->package ? b->package : "";
			o->name = b->name;
			o->procs = b->procs;
			o->unit = run->samples[k].unit;
			o->value = run->samples[k].value;
		}
	}
	qsort(sd->s, sd->ns, sizeof(*sd->s), sref_cmp);
	return 0;
}

/* The values of one pair's samples on a side (malloc'd, *n of them). */
static double *side_values(const side *sd, const mg_compare_pair *pr, size_t *n)
{
	size_t lo = 0, hi = sd->ns, i;
	double *v;

	*n = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sref_key_cmp(&sd->s[mid], pr->package, pr->name, pr->procs,
		                 pr->unit) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (hi = lo;
	     hi < sd->ns && sref_key_cmp(&sd->s[hi], pr->package, pr->name,
	                                 pr->procs, pr->unit) == 0;
	     hi++)
		;
	v = malloc((hi - lo ? hi - lo : 1) * sizeof(*v));
	if (v == NULL)
		return NULL;
	for (i = lo; i < hi; i++)
		v[(*n)++] = sd->s[i].value;
	return v;
}

static void side_release(side *sd)
{
	size_t i;

	for (i = 0; i < sd->nruns; i++)
		mg_run_release(&sd->runs[i]);
	free(sd->s);
}

/*
 * Load the runs of sd->sha into the side and the comparison, as
 * GET .../compare chooses them: the newest MG_API_COMPARE_RUNS successful
 * runs, or the newest failed one when none succeeded.
 */
static int side_load(side *sd, mg_compare *c, enum mg_compare_side which,
                     mg_store *st, const char *project, mg_err *err)
{
	mg_compare_side_info info = {NULL, sd->sha, NULL};
	mg_commit_run *cr = NULL;
	size_t ncr = 0, i;
	char label[16];
	int error;

	snprintf(label, sizeof(label), "%.12s", sd->sha);
	info.label = label;
	error = mg_compare_set_side(c, which, &info, err);
	if (error == 0)
		error = mg_store_commit_runs(st, project, sd->sha, &cr, &ncr,
		                             err);
	if (error < 0)
		return error;
	for (i = 0; i < ncr && sd->nruns < MG_API_COMPARE_RUNS; i++)
		if (cr[i].status == MG_RUN_OK)
			sd->ids[sd->nruns++] = cr[i].id;
	if (sd->nruns == 0 && ncr > 0)
		sd->ids[sd->nruns++] = cr[0].id;
	mg_commit_run_free(cr, ncr);
	if (sd->nruns == 0)
		mg_compare_set_missing(c, which);
	for (i = 0; i < sd->nruns; i++)
		mg_run_init(&sd->runs[i]);
	for (i = 0; error == 0 && i < sd->nruns; i++) {
		error = mg_store_get_run(st, sd->ids[i], &sd->runs[i], err);
		if (error == 0)
			error = mg_compare_add_run(c, which, &sd->runs[i],
			                           sd->ids[i], err);
	}
	if (error == 0 && side_index(sd) < 0)
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
	return error;
}

/* The nearest first-parent ancestor of head with a successful run. */
static int find_base(mg_store *st, const char *project, const char *head,
                     char base[MG_SHA_HEX + 1], bool *found, mg_err *err)
{
	char cur[MG_SHA_HEX + 1];
	size_t step, i;
	int error = 0;

	*found = false;
	snprintf(cur, sizeof(cur), "%s", head);
	for (step = 0; step < MG_COMPARE_MAX_WALK; step++) {
		mg_commit_run *cr = NULL;
		size_t ncr = 0;

		error = mg_store_first_parent(st, project, cur, base, err);
		if (error == MG_ENOTFOUND)
			return 0;
		if (error == 0)
			error = mg_store_commit_runs(st, project, base, &cr,
			                             &ncr, err);
		for (i = 0; error == 0 && i < ncr; i++)
			if (cr[i].status == MG_RUN_OK)
				*found = true;
		mg_commit_run_free(cr, ncr);
		if (error < 0 || *found)
			return error;
		memcpy(cur, base, sizeof(cur));
	}
	return 0;
}

static const char *verdict_class(enum mg_stats_verdict v)
{
	return v == MG_STATS_REGRESSION    ? "bad"
	       : v == MG_STATS_IMPROVEMENT ? "good"
	                                   : "";
}

/* Rank for the table: regressions, improvements, the rest. */
static int verdict_rank(const mg_compare_pair *pr)
{
	if (pr->presence != MG_COMPARE_BOTH)
		return 3;
	switch (pr->verdict) {
	case MG_STATS_REGRESSION:
		return 0;
	case MG_STATS_IMPROVEMENT:
		return 1;
	default:
		return 2;
	}
}

static const mg_compare *sort_cmp_c;

static int pair_order(const void *x, const void *y)
{
	const mg_compare_pair *a =
	        mg_compare_pair_at(sort_cmp_c, *(const size_t *)x);
	const mg_compare_pair *b =
	        mg_compare_pair_at(sort_cmp_c, *(const size_t *)y);
	int ra = verdict_rank(a), rb = verdict_rank(b);

	if (ra != rb)
		return ra - rb;
	return (*(const size_t *)x > *(const size_t *)y) -
	       (*(const size_t *)x < *(const size_t *)y);
}

static const char SORT_JS[] =
        "<script>(function(){document.querySelectorAll('table.sortable th')"
        ".forEach(function(th,i){th.style.cursor='pointer';"
        "th.addEventListener('click',function(){var t=th.closest('table'),"
        "rows=Array.from(t.querySelectorAll('tr[data-k]')),d=th.dataset.d="
        "th.dataset.d==='1'?'-1':'1';rows.sort(function(a,b){"
        "var x=a.children[i].dataset.v||a.children[i].textContent,"
        "y=b.children[i].dataset.v||b.children[i].textContent,"
        "nx=parseFloat(x),ny=parseFloat(y);"
        "return (isNaN(nx)||isNaN(ny)?x.localeCompare(y):nx-ny)*d;});"
        "rows.forEach(function(r){t.appendChild(r);});});});})();</script>";

static void pair_name(mg_page *p, const mg_compare_pair *pr)
{
	mg_page_esc(p, pr->name);
	if (pr->procs > 0)
		mg_page_printf(p, "-%d", pr->procs);
}

static void compare_table(mg_page *p, const char *project, const mg_compare *c,
                          const size_t *order, size_t n)
{
	size_t i;

	mg_page_puts(p, "<div class=\"scroll\"><table class=\"sortable "
	                "verdicts\"><tr><th>benchmark</th><th>unit</th>"
	                "<th class=\"n\">base</th><th class=\"n\">head</th>"
	                "<th class=\"n\">change</th><th class=\"n\">p (adj.)"
	                "</th><th>verdict</th></tr>\n");
	for (i = 0; i < n; i++) {
		const mg_compare_pair *pr = mg_compare_pair_at(c, order[i]);
		double ch = NAN;

		if (pr->presence == MG_COMPARE_BOTH && pr->cmp.base.center != 0)
			ch = pr->cmp.head.center / pr->cmp.base.center - 1;
		mg_page_printf(p,
		               "<tr data-k=\"%zu\" data-verdict=\"%s\">"
		               "<td><a href=\"",
		               i,
		               pr->presence == MG_COMPARE_BOTH
		                       ? mg_stats_verdict_name(pr->verdict)
		               : pr->presence == MG_COMPARE_ADDED ? "added"
		                                                  : "removed");
		bench_href(p, project, pr->package, pr->name, pr->procs);
		mg_page_puts(p, "\">");
		pair_name(p, pr);
		mg_page_puts(p, "</a>");
		if (pr->package[0]) {
			mg_page_puts(p, " <span class=\"mute\">");
			mg_page_esc(p, pr->package);
			mg_page_puts(p, "</span>");
		}
		mg_page_puts(p, "</td><td>");
		mg_page_esc(p, pr->unit);
		if (pr->presence == MG_COMPARE_BOTH) {
			mg_page_printf(p,
			               "</td><td class=\"n\" data-v=\"%.17g\">",
			               pr->cmp.base.center);
			mg_page_num(p, pr->cmp.base.center);
			mg_page_printf(p,
			               "</td><td class=\"n\" data-v=\"%.17g\">",
			               pr->cmp.head.center);
			mg_page_num(p, pr->cmp.head.center);
			if (isfinite(ch))
				mg_page_printf(p,
				               "</td><td class=\"n %s\" "
				               "data-v=\"%.6g\">%+.2f%%",
				               verdict_class(pr->verdict), ch,
				               ch * 100);
			else
				mg_page_puts(p, "</td><td class=\"n\">–");
			if (isfinite(pr->p_adj))
				mg_page_printf(p, "</td><td class=\"n\">%.3g",
				               pr->p_adj);
			else
				mg_page_puts(p, "</td><td class=\"n\">–");
			mg_page_printf(p,
			               "</td><td class=\"%s\">%s</td></tr>\n",
			               verdict_class(pr->verdict),
			               mg_stats_verdict_name(pr->verdict));
		} else {
			mg_page_printf(p,
			               "</td><td class=\"n\">%s</td>"
			               "<td class=\"n\">%s</td><td></td>"
			               "<td></td><td>%s</td></tr>\n",
			               pr->nbase ? "yes" : "–",
			               pr->nhead ? "yes" : "–",
			               pr->presence == MG_COMPARE_ADDED
			                       ? "added"
			                       : "removed");
		}
	}
	mg_page_puts(p, "</table></div>\n");
}

static void attribution(mg_page *p, const mg_compare *c, const size_t *order,
                        size_t n)
{
	size_t i, k, shown = 0;

	for (i = 0; i < n; i++) {
		const mg_compare_pair *pr = mg_compare_pair_at(c, order[i]);

		if (!pr->attr_tried)
			continue;
		if (shown++ == 0)
			mg_page_puts(p,
			             "<h2>Allocation attribution</h2><p "
			             "class=\"mute\">functions whose share of "
			             "the package's allocations grew most "
			             "(heap profiles)</p>\n");
		mg_page_puts(p, "<h3>");
		pair_name(p, pr);
		mg_page_puts(p, " ");
		mg_page_esc(p, pr->unit);
		mg_page_puts(p, "</h3>");
		if (pr->nattr == 0) {
			mg_page_puts(p,
			             pr->attr_profiles
			                     ? "<p class=\"mute\">no function "
			                       "grew by more than 0.5%</p>"
			                     : "<p class=\"mute\">no heap "
			                       "profiles on both sides</p>");
			continue;
		}
		mg_page_puts(p,
		             "<div class=\"scroll\"><table class=\"attr\">"
		             "<tr><th>function</th><th>sample type</th>"
		             "<th class=\"n\">base share</th><th class=\"n\">"
		             "head share</th><th class=\"n\">growth</th>"
		             "</tr>\n");
		for (k = 0; k < pr->nattr; k++) {
			const mg_compare_attr *a = &pr->attr[k];

			mg_page_puts(p, "<tr><td class=\"mono\">");
			mg_page_esc(p, a->function);
			mg_page_puts(p, "</td><td>");
			mg_page_esc(p, a->sample_type);
			mg_page_printf(p,
			               "</td><td class=\"n\">%.1f%%</td>"
			               "<td class=\"n\">%.1f%%</td><td "
			               "class=\"n bad\">+%.1f%%</td></tr>\n",
			               a->base_share * 100, a->head_share * 100,
			               a->growth * 100);
		}
		mg_page_puts(p, "</table></div>\n");
	}
}

static void profile_links(mg_page *p, const char *project, const char *what,
                          const side *sd)
{
	size_t i, k;

	for (i = 0; i < sd->nruns; i++)
		for (k = 0; k < sd->runs[i].nprofiles; k++) {
			const mg_profile *pf = &sd->runs[i].profiles[k];

			mg_page_printf(p, "<li>%s run ", what);
			run_link(p, project, sd->ids[i]);
			mg_page_puts(p, ": <a class=\"profile\" href=\"/api/v1/"
			                "projects/");
			mg_page_seg(p, project);
			mg_page_printf(p, "/runs/%lld/profiles/",
			               (long long)sd->ids[i]);
			mg_page_seg(p, pf->kind);
			mg_page_puts(p, "?package=");
			mg_page_seg(p, pf->package ? pf->package : "");
			mg_page_puts(p, "\">");
			mg_page_esc(p, pf->kind);
			mg_page_puts(p, " ");
			mg_page_esc(p, pf->package);
			mg_page_puts(p, "</a></li>");
		}
}

static void compare_body(mg_page *p, const char *project, const mg_compare *c,
                         const side *base, const side *head, size_t *order)
{
	mg_buf sum = MG_BUF_INIT(1 << 16);
	size_t n = mg_compare_count(c), i, strips = 0;

	if (mg_compare_write_summary(&sum, c) == 0) {
		mg_page_printf(p, "<p class=\"summary %s\">",
		               verdict_class(mg_compare_verdict(c)));
		mg_page_esc(p, sum.ptr);
		mg_page_puts(p, "</p>\n");
	}
	mg_buf_release(&sum);
	mg_page_printf(p,
	               "<p>verdict: <strong class=\"verdict %s\">%s"
	               "</strong></p>\n",
	               verdict_class(mg_compare_verdict(c)),
	               mg_stats_verdict_name(mg_compare_verdict(c)));
	if (mg_compare_note_count(c) > 0) {
		mg_page_puts(p, "<ul class=\"notes\">");
		for (i = 0; i < mg_compare_note_count(c); i++) {
			mg_page_puts(p, "<li>");
			mg_page_esc(p, mg_compare_note_at(c, i));
			mg_page_puts(p, "</li>");
		}
		mg_page_puts(p, "</ul>\n");
	}
	for (i = 0; i < n; i++)
		order[i] = i;
	pthread_mutex_lock(&sort_lock);
	sort_cmp_c = c;
	qsort(order, n, sizeof(*order), pair_order);
	sort_cmp_c = NULL;
	pthread_mutex_unlock(&sort_lock);
	mg_page_puts(p, "<h2>Benchmarks</h2>");
	compare_table(p, project, c, order, n);
	if (mg_compare_geomean_count(c) > 0) {
		mg_page_puts(p, "<h3>Geometric means</h3><div class=\"scroll\">"
		                "<table><tr><th>unit</th><th class=\"n\">base"
		                "</th><th class=\"n\">head</th><th class=\"n\">"
		                "ratio</th></tr>");
		for (i = 0; i < mg_compare_geomean_count(c); i++) {
			const mg_compare_geomean *g =
			        mg_compare_geomean_at(c, i);

			mg_page_puts(p, "<tr><td>");
			mg_page_esc(p, g->unit);
			mg_page_puts(p, "</td><td class=\"n\">");
			mg_page_num(p, g->base);
			mg_page_puts(p, "</td><td class=\"n\">");
			mg_page_num(p, g->head);
			mg_page_puts(p, "</td><td class=\"n\">");
			mg_page_num(p, g->ratio);
			mg_page_puts(p, "</td></tr>");
		}
		mg_page_puts(p, "</table></div>\n");
	}
	attribution(p, c, order, n);
	mg_page_puts(p, "<h2>Distributions</h2><p class=\"mute\">each dot a "
	                "sample: <span style=\"color:var(--base)\">base"
	                "</span>, <span style=\"color:var(--head)\">head"
	                "</span></p>\n");
	for (i = 0; i < n && strips < MG_DASH_MAX_STRIPS; i++) {
		const mg_compare_pair *pr = mg_compare_pair_at(c, order[i]);
		double *bv, *hv;
		size_t nb, nh;

		if (pr->presence != MG_COMPARE_BOTH)
			continue;
		bv = side_values(base, pr, &nb);
		hv = side_values(head, pr, &nh);
		if (bv && hv) {
			mg_page_printf(p,
			               "<figure class=\"dist\" data-n-base="
			               "\"%zu\" data-n-head=\"%zu\">"
			               "<figcaption>",
			               nb, nh);
			pair_name(p, pr);
			mg_page_puts(p, " ");
			mg_page_esc(p, pr->unit);
			mg_page_puts(p, "</figcaption>");
			mg_svg_strip(p, bv, nb, hv, nh);
			mg_page_puts(p, "</figure>\n");
			strips++;
		} else if (p->error == 0) {
			p->error = MG_ENOMEM;
		}
		free(bv);
		free(hv);
	}
	if (strips == MG_DASH_MAX_STRIPS)
		mg_page_printf(p, "<p class=\"mute\">first %d shown</p>",
		               MG_DASH_MAX_STRIPS);
	mg_page_puts(p, "<h2>Profiles</h2><p class=\"mute\">raw pprof "
	                "files; <code>go tool pprof -top -diff_base BASE "
	                "HEAD</code> compares two</p><ul>");
	profile_links(p, project, "base", base);
	profile_links(p, project, "head", head);
	mg_page_puts(p, "</ul>\n");
	mg_page_puts(p, SORT_JS);
}

int mg_dash_compare(mg_req *r)
{
	const char *project = mg_req_param(r, "p"), *head_q, *base_q, *tspec;
	char found[MG_SHA_HEX + 1], head_sha[MG_SHA_HEX + 1], title[512];
	mg_compare_thresholds th;
	mg_compare_opts opts;
	mg_project_info info;
	mg_compare *c = NULL;
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	side *base = NULL, *head = NULL;
	size_t *order = NULL;
	bool have_base = true;
	mg_page p;
	int error;

	if (st == NULL)
		return busy(r, &err);
	mg_compare_thresholds_init(&th);
	mg_page_init(&p);
	memset(&info, 0, sizeof(info));
	if ((error = mg_req_query_sha(r, "head", &head_q, &err)) < 0 ||
	    (error = mg_req_query_sha(r, "base", &base_q, &err)) < 0 ||
	    (error = mg_req_query(r, "threshold", MG_API_MAX_PARAM, &tspec,
	                          &err)) < 0)
		goto done;
	if (tspec &&
	    (error = mg_compare_thresholds_parse(&th, tspec, &err)) < 0)
		goto done;
	if ((error = mg_store_project_get(st, project, &info, &err)) < 0)
		goto done;
	if (head_q == NULL) {
		/* the newest commit of the default branch */
		mg_commit_info *ci = NULL;
		size_t nci = 0;

		error = mg_store_commits(st, project, NULL, 1, &ci, &nci, &err);
		if (error == 0 && nci == 0)
			error = mg_err_set(&err, MG_ENOTFOUND,
			                   "project '%s' has no commits yet",
			                   project);
		if (error == 0)
			snprintf(head_sha, sizeof(head_sha), "%s", ci[0].sha);
		mg_commit_info_free(ci, nci);
		if (error < 0)
			goto done;
		head_q = head_sha;
	}
	base = calloc(1, sizeof(*base));
	head = calloc(1, sizeof(*head));
	if (base == NULL || head == NULL) {
		error = mg_err_set(&err, MG_ENOMEM, "out of memory");
		goto done;
	}
	mg_compare_opts_init(&opts);
	opts.thresholds = &th;
	opts.flags |= MG_COMPARE_CANONICAL_ORDER;
	if ((error = mg_compare_new(&c, &opts, &err)) < 0)
		goto done;
	if (base_q == NULL) {
		error = find_base(st, project, head_q, found, &have_base, &err);
		if (error == 0 && !have_base)
			error = mg_compare_add_note(
			        c, &err,
			        "no baseline: no first-parent ancestor of "
			        "%.12s "
			        "known to the server has a successful run",
			        head_q);
		base_q = have_base ? found : NULL;
	}
	head->sha = head_q;
	base->sha = base_q;
	if (error == 0)
		error = side_load(head, c, MG_COMPARE_HEAD, st, project, &err);
	if (error == 0 && head->nruns == 0)
		error = mg_err_set(&err, MG_ENOTFOUND,
		                   "commit '%s' has no runs in project '%s'",
		                   head_q, project);
	if (error == 0 && base_q)
		error = side_load(base, c, MG_COMPARE_BASE, st, project, &err);
	else if (error == 0)
		mg_compare_set_missing(c, MG_COMPARE_BASE);
	if (error == 0)
		error = mg_compare_run(c, &err);
	if (error < 0)
		goto done;
	order = calloc(mg_compare_count(c) + 1, sizeof(*order));
	if (order == NULL) {
		error = mg_err_set(&err, MG_ENOMEM, "out of memory");
		goto done;
	}
	page_title2(title, sizeof(title), "Compare", project);
	mg_page_begin(&p, title);
	mg_page_puts(&p, "<p><a href=\"");
	project_href(&p, project);
	mg_page_puts(&p, "\">");
	mg_page_esc(&p, project);
	mg_page_printf(&p,
	               "</a></p><h1>Compare <span class=\"mono\">%.12s"
	               "</span> → <span class=\"mono\">%.12s</span></h1>"
	               "\n<p class=\"mute\">base ",
	               base_q ? base_q : "(none)", head_q);
	mg_page_printf(&p, "%s (%zu runs), head %s (%zu runs)</p>\n",
	               base_q ? base_q : "none", base->nruns, head_q,
	               head->nruns);
	compare_body(&p, project, c, base, head, order);
	mg_page_end(&p);
done:
	free(order);
	if (base)
		side_release(base);
	if (head)
		side_release(head);
	free(base);
	free(head);
	mg_compare_free(c);
	mg_compare_thresholds_release(&th);
	mg_project_info_release(&info);
	if (error < 0) {
		mg_page_release(&p);
		return fail(r, error, &err);
	}
	return mg_page_send(r, 200, &p);
}

/* ---- /p/{p}/runs/{id} --------------------------------------------------- */

static const mg_run *sort_run;

/* Samples by benchmark, then unit, then sequence. */
static int sample_order(const void *x, const void *y)
{
	const mg_sample *a = &sort_run->samples[*(const size_t *)x];
	const mg_sample *b = &sort_run->samples[*(const size_t *)y];
	int c;

	if (a->bench != b->bench)
		return a->bench < b->bench ? -1 : 1;
	c = strcmp(a->unit, b->unit);
	if (c)
		return c;
	return (a->value > b->value) - (a->value < b->value);
}

/*
 * Benchmarks of a run: one row per benchmark and unit with the median
 * and the number of samples.
 */
static void run_benches(mg_page *p, const char *project, const mg_run *run)
{
	size_t *idx, i, j;

	if (run->nsamples == 0) {
		mg_page_puts(p, "<p class=\"mute\">No samples.</p>");
		return;
	}
	idx = malloc(run->nsamples * sizeof(*idx));
	if (idx == NULL) {
		if (p->error == 0)
			p->error = MG_ENOMEM;
		return;
	}
	for (i = 0; i < run->nsamples; i++)
		idx[i] = i;
	pthread_mutex_lock(&sort_lock);
	sort_run = run;
	qsort(idx, run->nsamples, sizeof(*idx), sample_order);
	sort_run = NULL;
	pthread_mutex_unlock(&sort_lock);
	mg_page_puts(p, "<div class=\"scroll\"><table class=\"benches\"><tr>"
	                "<th>benchmark</th><th>unit</th><th class=\"n\">"
	                "median</th><th class=\"n\">min</th><th class=\"n\">"
	                "max</th><th class=\"n\">n</th></tr>\n");
	for (i = 0; i < run->nsamples; i = j) {
		const mg_sample *s = &run->samples[idx[i]];
		const mg_bench *b = &run->benches[s->bench];
		double med;
		size_t k;

		for (j = i; j < run->nsamples &&
		            run->samples[idx[j]].bench == s->bench &&
		            strcmp(run->samples[idx[j]].unit, s->unit) == 0;
		     j++)
			;
		k = j - i;
		med = k % 2 ? run->samples[idx[i + k / 2]].value
		            : (run->samples[idx[i + k / 2 - 1]].value +
		               run->samples[idx[i + k / 2]].value) /
		                      2;
		mg_page_puts(p, "<tr><td><a href=\"");
		bench_href(p, project, b->package, b->name, b->procs);
		mg_page_puts(p, "\">");
		mg_page_esc(p, b->name);
		if (b->procs > 0)
			mg_page_printf(p, "-%d", b->procs);
		mg_page_puts(p, "</a></td><td>");
		mg_page_esc(p, s->unit);
		mg_page_puts(p, "</td><td class=\"n\">");
		mg_page_num(p, med);
		mg_page_puts(p, "</td><td class=\"n\">");
		mg_page_num(p, run->samples[idx[i]].value);
		mg_page_puts(p, "</td><td class=\"n\">");
		mg_page_num(p, run->samples[idx[j - 1]].value);
		mg_page_printf(p, "</td><td class=\"n\">%zu</td></tr>\n", k);
	}
	mg_page_puts(p, "</table></div>\n");
	free(idx);
}

static const mg_func_agg *sort_funcs;

static int func_order(const void *x, const void *y)
{
	const mg_func_agg *a = &sort_funcs[*(const size_t *)x];
	const mg_func_agg *b = &sort_funcs[*(const size_t *)y];

	if (a->flat != b->flat)
		return a->flat > b->flat ? -1 : 1;
	return strcmp(a->function, b->function);
}

/* The top table of one sample type, as `go tool pprof -top` shows it. */
static void top_table(mg_page *p, const mg_profile *pf, size_t type)
{
	size_t *idx, n = 0, i;
	int64_t total = 0, running = 0;

	idx = malloc((pf->nfuncs ? pf->nfuncs : 1) * sizeof(*idx));
	if (idx == NULL) {
		if (p->error == 0)
			p->error = MG_ENOMEM;
		return;
	}
	for (i = 0; i < pf->nfuncs; i++)
		if (pf->funcs[i].sample_type == type) {
			idx[n++] = i;
			total += pf->funcs[i].flat;
		}
	pthread_mutex_lock(&sort_lock);
	sort_funcs = pf->funcs;
	qsort(idx, n, sizeof(*idx), func_order);
	sort_funcs = NULL;
	pthread_mutex_unlock(&sort_lock);
	mg_page_puts(p, "<h4>");
	mg_page_esc(p, pf->sample_types[type]);
	mg_page_printf(p, "</h4><p class=\"mute\">%zu functions, total ", n);
	mg_page_num(p, (double)total);
	mg_page_puts(p, "</p>");
	if (n == 0) {
		free(idx);
		return;
	}
	mg_page_puts(p, "<div class=\"scroll\"><table class=\"top\"><tr>"
	                "<th class=\"n\">flat</th><th class=\"n\">flat%</th>"
	                "<th class=\"n\">sum%</th><th class=\"n\">cum</th>"
	                "<th class=\"n\">cum%</th><th>function</th></tr>\n");
	for (i = 0; i < n && i < MG_DASH_TOP_FUNCS; i++) {
		const mg_func_agg *f = &pf->funcs[idx[i]];
		double t = total ? (double)total : 1;

		running += f->flat;
		mg_page_puts(p, "<tr><td class=\"n\">");
		mg_page_num(p, (double)f->flat);
		mg_page_printf(p,
		               "</td><td class=\"n\">%.2f%%</td><td "
		               "class=\"n\">%.2f%%</td><td class=\"n\">",
		               (double)f->flat / t * 100,
		               (double)running / t * 100);
		mg_page_num(p, (double)f->cum);
		mg_page_printf(p,
		               "</td><td class=\"n\">%.2f%%</td><td "
		               "class=\"mono\">",
		               (double)f->cum / t * 100);
		mg_page_esc(p, f->function);
		if (f->file && f->file[0]) {
			mg_page_puts(p, " <span class=\"mute\">");
			mg_page_esc(p, f->file);
			mg_page_puts(p, "</span>");
		}
		mg_page_puts(p, "</td></tr>\n");
	}
	mg_page_puts(p, "</table></div>\n");
	free(idx);
}

static void kv(mg_page *p, const char *k, const char *v)
{
	if (v == NULL || v[0] == '\0')
		return;
	mg_page_printf(p, "<dt>%s</dt><dd>", k);
	mg_page_esc(p, v);
	mg_page_puts(p, "</dd>");
}

static void run_header(mg_page *p, const mg_run *run, int64_t id)
{
	const mg_env *e = &run->env;
	char num[64];

	mg_page_puts(p, "<dl class=\"kv\">");
	mg_page_printf(p, "<dt>commit</dt><dd class=\"mono\">%s</dd>",
	               run->commit.sha);
	kv(p, "subject", run->commit.subject);
	kv(p, "author", run->commit.author);
	kv(p, "branch", run->branch);
	if (run->dirty)
		kv(p, "work tree", "dirty");
	if (run->pr_number > 0) {
		snprintf(num, sizeof(num), "#%lld", (long long)run->pr_number);
		kv(p, "pull request", num);
	}
	kv(p, "PR base", run->base_sha);
	mg_page_printf(p, "<dt>status</dt><dd class=\"%s\">%s (exit %d)</dd>",
	               run->status == MG_RUN_OK ? "good" : "bad",
	               run->status == MG_RUN_OK ? "ok" : "failed",
	               run->exit_status);
	mg_page_puts(p, "<dt>started</dt><dd>");
	time_ms(p, run->started_at);
	mg_page_printf(p,
	               "</dd><dt>wall time</dt><dd>%.2f s</dd>"
	               "<dt>peak RSS</dt><dd>",
	               (double)run->wall_ns / 1e9);
	bytes_cell(p, run->peak_rss);
	mg_page_puts(p, "</dd>");
	kv(p, "OS", e->os);
	kv(p, "kernel", e->kernel);
	kv(p, "arch", e->arch);
	kv(p, "CPU", e->cpu_model);
	snprintf(num, sizeof(num), "%lld", (long long)e->cores);
	kv(p, "cores", e->cores > 0 ? num : NULL);
	if (e->mem_bytes > 0) {
		mg_page_puts(p, "<dt>memory</dt><dd>");
		bytes_cell(p, e->mem_bytes);
		mg_page_puts(p, "</dd>");
	}
	kv(p, "Go", e->go_version);
	kv(p, "GOMAXPROCS", e->gomaxprocs);
	kv(p, "GOGC", e->gogc);
	kv(p, "GOMEMLIMIT", e->gomemlimit);
	kv(p, "GODEBUG", e->godebug);
	kv(p, "THP", e->thp);
	kv(p, "runner", e->label);
	mg_page_printf(p, "<dt>run id</dt><dd>%lld</dd></dl>\n", (long long)id);
	if (run->build_cmd) {
		mg_page_puts(p, "<h3>build command</h3><pre>");
		mg_page_esc(p, run->build_cmd);
		mg_page_puts(p, "</pre>");
	}
	mg_page_puts(p, "<h3>benchmark command</h3><pre>");
	mg_page_esc(p, run->bench_cmd);
	mg_page_puts(p, "</pre>\n");
	if (run->log_tail && run->log_tail[0]) {
		mg_page_puts(p, "<h3>log</h3><pre class=\"log\">");
		mg_page_esc(p, run->log_tail);
		mg_page_puts(p, "</pre>\n");
	}
}

int mg_dash_run(mg_req *r)
{
	const char *project = mg_req_param(r, "p"), *s = mg_req_param(r, "id");
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	char *owner = NULL, title[512];
	mg_run run;
	mg_page p;
	size_t i, t;
	long long id;
	char *end;
	int error;

	if (st == NULL)
		return busy(r, &err);
	errno = 0;
	id = strtoll(s, &end, 10);
	if (s[0] < '1' || s[0] > '9' || *end != '\0' || errno != 0)
		return mg_page_error(r, 404, "no run '%s'", s);
	error = mg_store_run_project(st, id, &owner, &err);
	if (error == 0 && strcmp(owner, project) != 0)
		error = mg_err_set(&err, MG_ENOTFOUND,
		                   "run %lld not found in project '%s'", id,
		                   project);
	free(owner);
	if (error < 0)
		return fail(r, error, &err);
	mg_run_init(&run);
	error = mg_store_get_run(st, id, &run, &err);
	if (error < 0) {
		mg_run_release(&run);
		return fail(r, error, &err);
	}
	mg_page_init(&p);
	snprintf(title, sizeof(title), "Run %lld · %s", id, project);
	mg_page_begin(&p, title);
	mg_page_puts(&p, "<p><a href=\"");
	project_href(&p, project);
	mg_page_puts(&p, "\">");
	mg_page_esc(&p, project);
	mg_page_printf(&p, "</a></p><h1>Run %lld</h1>\n", id);
	mg_page_puts(&p, "<p><a href=\"");
	project_href(&p, project);
	mg_page_printf(&p,
	               "/compare?head=%s\">compare with its baseline</a>"
	               "</p>\n",
	               run.commit.sha);
	run_header(&p, &run, id);
	mg_page_printf(&p,
	               "<h2>Benchmarks</h2><p class=\"mute\">%zu "
	               "benchmarks, %zu samples</p>",
	               run.nbenches, run.nsamples);
	run_benches(&p, project, &run);
	if (run.nprofiles > 0)
		mg_page_puts(&p, "<h2>Profiles</h2>");
	for (i = 0; i < run.nprofiles; i++) {
		const mg_profile *pf = &run.profiles[i];

		mg_page_puts(&p, "<section class=\"profile\"><h3>");
		mg_page_esc(&p, pf->kind);
		mg_page_puts(&p, " ");
		mg_page_esc(&p, pf->package);
		mg_page_puts(&p, " <a href=\"/api/v1/projects/");
		mg_page_seg(&p, project);
		mg_page_printf(&p, "/runs/%lld/profiles/", id);
		mg_page_seg(&p, pf->kind);
		mg_page_puts(&p, "?package=");
		mg_page_seg(&p, pf->package ? pf->package : "");
		mg_page_printf(&p, "\">raw (%zu bytes)</a></h3>", pf->len);
		for (t = 0; t < pf->nsample_types; t++)
			top_table(&p, pf, t);
		mg_page_puts(&p, "</section>\n");
	}
	mg_page_end(&p);
	mg_run_release(&run);
	return mg_page_send(r, 200, &p);
}
