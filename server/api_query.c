/*
 * api_query.c - the read routes: health, metrics, projects, commits,
 * runs, benchmarks, history and raw profiles. Each runs on the request's
 * read connection and answers JSON written with jsonw.h (profiles: the
 * stored bytes). Times are unix seconds for commits and unix
 * milliseconds for runs, as in the run format.
 */
#include <errno.h>

#include "api.h"
#include "auth.h"
#include "jsonw.h"
#include "metrics.h"
#include "server.h"

/*
 * Answers are built in memory; the largest is a history of 100,000
 * points (~200 bytes each) or a run of a million samples (~60 bytes
 * each): 256 MiB holds either.
 */
#define MAX_ANSWER ((size_t)256 << 20)

static int busy(mg_req *r, const mg_err *err)
{
	mg_http_header(r, "Retry-After", "1");
	return mg_http_error(r, 503, "busy", NULL, "%s", err->msg);
}

static int send_json(mg_req *r, int status, mg_jw *w)
{
	if (w->error) {
		int error = w->error;

		mg_jw_release(w);
		if (error == MG_ELIMIT)
			return mg_http_error(r, 500, "internal", NULL,
			                     "answer too large");
		return mg_http_error(r, 503, "out_of_memory", NULL,
		                     "out of memory");
	}
	return mg_http_json(r, status, &w->buf);
}

int mg_api_project_url(mg_buf *out, mg_req *r, const char *project)
{
	int error = mg_buf_printf(out, "%s/api/v1/projects/", r->srv->base_url);

	if (error == 0)
		error = mg_http_escape_segment(out, project);
	return error;
}

/* mg_jw_str of the project URL plus `suffix` (printf). */
static void url_member(mg_jw *w, mg_req *r, const char *key,
                       const char *project, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

static void url_member(mg_jw *w, mg_req *r, const char *key,
                       const char *project, const char *fmt, ...)
{
	mg_buf url = MG_BUF_INIT(1 << 16);
	va_list ap;
	int error;

	error = mg_api_project_url(&url, r, project);
	if (error == 0) {
		va_start(ap, fmt);
		error = mg_buf_vprintf(&url, fmt, ap);
		va_end(ap);
	}
	if (error < 0 && w->error == 0)
		w->error = error;
	mg_jw_str(w, key, url.ptr);
	mg_buf_release(&url);
}

/* ---- health and metrics ------------------------------------------------- */

int mg_api_healthz(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	mg_jw w;
	int error;

	if (st == NULL)
		return busy(r, &err);
	error = mg_store_ping(st, &err);
	mg_jw_init(&w, 4096);
	mg_jw_obj(&w, NULL);
	mg_jw_str(&w, "status", error < 0 ? "error" : "ok");
	mg_jw_int(&w, "schema_version", mg_store_schema_version(st));
	if (error < 0)
		mg_jw_str(&w, "error", mg_err_name(error));
	mg_jw_obj_end(&w);
	return send_json(r, error < 0 ? 503 : 200, &w);
}

int mg_api_metrics(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	mg_buf out = MG_BUF_INIT(1 << 22);
	char *data;
	size_t len;
	int error;

	if (st == NULL)
		return busy(r, &err);
	error = mg_metrics_render(&out, r->srv, st, &err);
	if (error < 0) {
		mg_buf_release(&out);
		return mg_http_fail(r, error, &err);
	}
	len = out.len;
	data = mg_buf_detach(&out);
	if (data == NULL)
		return mg_http_fail(r, MG_ENOMEM, NULL);
	return mg_http_reply(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	                     data, len);
}

/* ---- projects ----------------------------------------------------------- */

static void project_json(mg_jw *w, mg_req *r, const mg_project_info *p)
{
	mg_jw_obj(w, NULL);
	mg_jw_str(w, "name", p->name);
	mg_jw_str(w, "clone_url", p->clone_url);
	mg_jw_str(w, "default_branch", p->default_branch);
	mg_jw_int(w, "created_at", p->created_at);
	mg_jw_int(w, "runs", p->nruns);
	if (p->last_run_at)
		mg_jw_int(w, "last_run_at", p->last_run_at);
	else
		mg_jw_null(w, "last_run_at");
	url_member(w, r, "url", p->name, "%s", "");
	mg_jw_obj_end(w);
}

int mg_api_projects(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	mg_project_info *p = NULL;
	size_t n = 0, i;
	mg_jw w;
	int error;

	if (st == NULL)
		return busy(r, &err);
	error = mg_store_project_list(st, &p, &n, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	mg_jw_init(&w, MAX_ANSWER);
	mg_jw_obj(&w, NULL);
	mg_jw_arr(&w, "projects");
	for (i = 0; i < n; i++)
		if (mg_auth_may_read(r, p[i].name))
			project_json(&w, r, &p[i]);
	mg_jw_arr_end(&w);
	mg_jw_obj_end(&w);
	mg_project_info_free(p, n);
	return send_json(r, 200, &w);
}

/* Look the {p} project up; answers 404 itself (then returns 1). */
static int get_project(mg_req *r, mg_store *st, mg_project_info *out)
{
	mg_err err = MG_ERR_INIT;
	int error = mg_store_project_get(st, mg_req_param(r, "p"), out, &err);

	if (error == 0)
		return 0;
	error = mg_http_fail(r, error, &err);
	return error < 0 ? error : 1;
}

int mg_api_project(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	mg_project_info p;
	mg_jw w;
	int rc;

	if (st == NULL)
		return busy(r, &err);
	rc = get_project(r, st, &p);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	mg_jw_init(&w, 1 << 20);
	project_json(&w, r, &p);
	mg_project_info_release(&p);
	return send_json(r, 200, &w);
}

/* ---- commits ------------------------------------------------------------ */

int mg_api_commits(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	mg_commit_info *c = NULL;
	mg_project_info p;
	const char *branch;
	int64_t limit;
	size_t n = 0, i, j;
	mg_jw w;
	int error, rc;

	if (st == NULL)
		return busy(r, &err);
	if ((error = mg_req_query(r, "branch", MG_API_MAX_PARAM, &branch,
	                          &err)) < 0 ||
	    (error = mg_req_query_int(r, "limit", MG_API_DEFAULT_LIMIT, 1,
	                              MG_API_MAX_LIMIT, &limit, &err)) < 0)
		return mg_http_fail(r, error, &err);
	rc = get_project(r, st, &p);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (branch == NULL)
		branch = mg_req_strndup(r, p.default_branch,
		                        strlen(p.default_branch));
	mg_project_info_release(&p);
	if (branch == NULL)
		return mg_http_fail(r, MG_ENOMEM, NULL);
	error = mg_store_commits(st, mg_req_param(r, "p"), branch, limit, &c,
	                         &n, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	mg_jw_init(&w, MAX_ANSWER);
	mg_jw_obj(&w, NULL);
	mg_jw_str(&w, "project", mg_req_param(r, "p"));
	mg_jw_str(&w, "branch", branch);
	mg_jw_arr(&w, "commits");
	for (i = 0; i < n; i++) {
		mg_jw_obj(&w, NULL);
		mg_jw_str(&w, "sha", c[i].sha);
		mg_jw_arr(&w, "parents");
		for (j = 0; j < c[i].nparents; j++)
			mg_jw_str(&w, NULL, c[i].parents[j]);
		mg_jw_arr_end(&w);
		mg_jw_str(&w, "author", c[i].author);
		mg_jw_int(&w, "commit_time", c[i].commit_time);
		mg_jw_str(&w, "subject", c[i].subject);
		mg_jw_int(&w, "runs", c[i].nruns);
		if (c[i].last_run_id)
			mg_jw_int(&w, "last_run_id", c[i].last_run_id);
		else
			mg_jw_null(&w, "last_run_id");
		mg_jw_obj_end(&w);
	}
	mg_jw_arr_end(&w);
	mg_jw_obj_end(&w);
	mg_commit_info_free(c, n);
	return send_json(r, 200, &w);
}

/* ---- runs --------------------------------------------------------------- */

int mg_api_runs_list(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	mg_run_summary *runs = NULL;
	mg_project_info p;
	int64_t limit;
	size_t n = 0, i;
	mg_jw w;
	int error, rc;

	if (st == NULL)
		return busy(r, &err);
	error = mg_req_query_int(r, "limit", MG_API_DEFAULT_LIMIT, 1,
	                         MG_API_MAX_LIMIT, &limit, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	rc = get_project(r, st, &p);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	mg_project_info_release(&p);
	error = mg_store_list_runs(st, mg_req_param(r, "p"), limit, &runs, &n,
	                           &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	mg_jw_init(&w, MAX_ANSWER);
	mg_jw_obj(&w, NULL);
	mg_jw_arr(&w, "runs");
	for (i = 0; i < n; i++) {
		mg_jw_obj(&w, NULL);
		mg_jw_int(&w, "id", runs[i].id);
		mg_jw_str(&w, "sha", runs[i].sha);
		mg_jw_str(&w, "branch", runs[i].branch);
		mg_jw_str(&w, "subject", runs[i].subject);
		mg_jw_str(&w, "status",
		          runs[i].status == MG_RUN_OK ? "ok" : "failed");
		mg_jw_int(&w, "started_at", runs[i].started_at);
		mg_jw_int(&w, "wall_ns", runs[i].wall_ns);
		mg_jw_int(&w, "peak_rss_bytes", runs[i].peak_rss);
		mg_jw_int(&w, "samples", runs[i].nsamples);
		url_member(&w, r, "url", runs[i].project, "/runs/%lld",
		           (long long)runs[i].id);
		mg_jw_obj_end(&w);
	}
	mg_jw_arr_end(&w);
	mg_jw_obj_end(&w);
	mg_run_summary_free(runs, n);
	return send_json(r, 200, &w);
}

/*
 * The {id} of the path as a run of the {p} project: 1 if an answer (400,
 * 404) was queued instead. A run of another project is "not found" so
 * ids do not reveal what other projects hold.
 */
static int get_run_id(mg_req *r, mg_store *st, int64_t *id)
{
	const char *s = mg_req_param(r, "id");
	mg_err err = MG_ERR_INIT;
	char *end, *project = NULL;
	long long v;
	int error;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (s[0] < '1' || s[0] > '9' || *end != '\0' || errno != 0)
		return mg_http_error(
		               r, 400, "invalid_input", "id",
		               "field 'id': expected a run id (a positive "
		               "integer)") < 0
		               ? -1
		               : 1;
	error = mg_store_run_project(st, v, &project, &err);
	if (error == 0 && strcmp(project, mg_req_param(r, "p")) != 0)
		error = mg_err_set(&err, MG_ENOTFOUND,
		                   "run %lld not found in project '%s'", v,
		                   mg_req_param(r, "p"));
	free(project);
	if (error < 0)
		return mg_http_fail(r, error, &err) < 0 ? -1 : 1;
	*id = v;
	return 0;
}

static void commit_json(mg_jw *w, const mg_commit *c)
{
	size_t i;

	mg_jw_obj(w, "commit");
	mg_jw_str(w, "sha", c->sha);
	mg_jw_arr(w, "parents");
	for (i = 0; i < c->nparents; i++)
		mg_jw_str(w, NULL, c->parents[i]);
	mg_jw_arr_end(w);
	mg_jw_str(w, "author", c->author);
	mg_jw_int(w, "commit_time", c->commit_time);
	mg_jw_str(w, "subject", c->subject);
	mg_jw_obj_end(w);
}

static void env_json(mg_jw *w, const mg_env *e)
{
	mg_jw_obj(w, "environment");
	mg_jw_str(w, "os", e->os);
	mg_jw_str(w, "kernel", e->kernel);
	mg_jw_str(w, "arch", e->arch);
	mg_jw_str(w, "cpu_model", e->cpu_model);
	mg_jw_int(w, "cores", e->cores);
	mg_jw_int(w, "mem_bytes", e->mem_bytes);
	mg_jw_str(w, "go_version", e->go_version);
	mg_jw_str(w, "gomaxprocs", e->gomaxprocs);
	mg_jw_str(w, "gogc", e->gogc);
	mg_jw_str(w, "gomemlimit", e->gomemlimit);
	mg_jw_str(w, "godebug", e->godebug);
	mg_jw_str(w, "thp", e->thp);
	mg_jw_str(w, "label", e->label);
	mg_jw_obj_end(w);
}

/*
 * Benchmarks with their samples nested, as in the run format. Samples
 * are grouped per benchmark first (a counting sort over the indexes,
 * stable, so each benchmark keeps its stored order).
 */
static void benches_json(mg_jw *w, const mg_run *run)
{
	size_t *start = NULL, *order = NULL, b, j;

	if (mg_run_group_samples(run, &order, &start) < 0) {
		if (w->error == 0)
			w->error = MG_ENOMEM;
		return;
	}
	mg_jw_arr(w, "benchmarks");
	for (b = 0; b < run->nbenches; b++) {
		const mg_bench *bench = &run->benches[b];

		mg_jw_obj(w, NULL);
		mg_jw_str(w, "name", bench->name);
		mg_jw_str(w, "package", bench->package ? bench->package : "");
		mg_jw_int(w, "procs", bench->procs);
		mg_jw_obj(w, "config");
		for (j = 0; j < bench->nconfig; j++)
			mg_jw_str(w, bench->config[j].key,
			          bench->config[j].value);
		mg_jw_obj_end(w);
		mg_jw_arr(w, "samples");
		for (j = start[b]; j < start[b + 1]; j++) {
			const mg_sample *sm = &run->samples[order[j]];

			mg_jw_obj(w, NULL);
			mg_jw_str(w, "unit", sm->unit);
			mg_jw_num(w, "value", sm->value);
			mg_jw_int(w, "iterations", sm->iterations);
			mg_jw_int(w, "seq", sm->seq);
			mg_jw_obj_end(w);
		}
		mg_jw_arr_end(w);
		mg_jw_obj_end(w);
	}
	mg_jw_arr_end(w);
	free(start);
	free(order);
}

static void profiles_json(mg_jw *w, mg_req *r, const mg_run *run, int64_t id)
{
	size_t i, j;

	mg_jw_arr(w, "profiles");
	for (i = 0; i < run->nprofiles; i++) {
		const mg_profile *p = &run->profiles[i];
		mg_buf q = MG_BUF_INIT(1 << 16);

		mg_jw_obj(w, NULL);
		mg_jw_str(w, "kind", p->kind);
		mg_jw_str(w, "package", p->package ? p->package : "");
		mg_jw_arr(w, "sample_types");
		for (j = 0; j < p->nsample_types; j++)
			mg_jw_str(w, NULL, p->sample_types[j]);
		mg_jw_arr_end(w);
		mg_jw_str(w, "default_sample_type", p->default_sample_type);
		mg_jw_int(w, "size", (int64_t)p->len);
		mg_jw_int(w, "functions", (int64_t)p->nfuncs);
		if (mg_http_escape_segment(&q, p->kind) == 0 &&
		    mg_buf_puts(&q, "?package=") == 0 &&
		    mg_http_escape_segment(&q, p->package ? p->package : "") ==
		            0)
			url_member(w, r, "url", run->project,
			           "/runs/%lld/profiles/%s", (long long)id,
			           q.ptr);
		else if (w->error == 0)
			w->error = MG_ENOMEM;
		mg_buf_release(&q);
		mg_jw_obj_end(w);
	}
	mg_jw_arr_end(w);
}

int mg_api_run(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	int64_t id = 0;
	mg_run run;
	mg_jw w;
	int error, rc;

	if (st == NULL)
		return busy(r, &err);
	rc = get_run_id(r, st, &id);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	mg_run_init(&run);
	error = mg_store_get_run(st, id, &run, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	mg_jw_init(&w, MAX_ANSWER);
	mg_jw_obj(&w, NULL);
	mg_jw_int(&w, "id", id);
	mg_jw_str(&w, "project", run.project);
	commit_json(&w, &run.commit);
	mg_jw_str(&w, "branch", run.branch);
	mg_jw_bool(&w, "dirty", run.dirty);
	if (run.pr_number > 0 || run.base_ref || run.base_sha) {
		mg_jw_obj(&w, "pr");
		if (run.pr_number > 0)
			mg_jw_int(&w, "number", run.pr_number);
		else
			mg_jw_null(&w, "number");
		mg_jw_str(&w, "base_ref", run.base_ref);
		mg_jw_str(&w, "base_sha", run.base_sha);
		mg_jw_obj_end(&w);
	} else {
		mg_jw_null(&w, "pr");
	}
	env_json(&w, &run.env);
	mg_jw_int(&w, "started_at", run.started_at);
	mg_jw_int(&w, "ended_at", run.ended_at);
	mg_jw_str(&w, "build_cmd", run.build_cmd);
	mg_jw_str(&w, "bench_cmd", run.bench_cmd);
	mg_jw_int(&w, "exit_status", run.exit_status);
	mg_jw_int(&w, "wall_ns", run.wall_ns);
	mg_jw_int(&w, "peak_rss_bytes", run.peak_rss);
	mg_jw_str(&w, "status", run.status == MG_RUN_OK ? "ok" : "failed");
	mg_jw_str(&w, "log_tail", run.log_tail);
	mg_jw_str(&w, "idempotency_key", run.idempotency_key);
	mg_jw_int(&w, "samples_total", (int64_t)run.nsamples);
	benches_json(&w, &run);
	profiles_json(&w, r, &run, id);
	mg_jw_obj_end(&w);
	mg_run_release(&run);
	return send_json(r, 200, &w);
}

/* Letters, digits, '-' and '_' of s (in place), for a file name. */
static const char *safe_name(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			s[i] = '_';
	return s;
}

int mg_api_profile(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	const char *package, *inm;
	unsigned char *data = NULL;
	char sha[65], etag[70], disp[160], kind[64];
	size_t len = 0;
	int64_t id = 0;
	int error, rc;

	if (st == NULL)
		return busy(r, &err);
	error = mg_req_query(r, "package", MG_API_MAX_PARAM, &package, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	rc = get_run_id(r, st, &id);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	error = mg_store_run_profile(st, id, mg_req_param(r, "kind"), package,
	                             &data, &len, sha, &err);
	snprintf(kind, sizeof(kind), "%s", mg_req_param(r, "kind"));
	if (error < 0)
		return mg_http_fail(r, error, &err);
	/* Stored profiles never change: the digest is a strong validator. */
	snprintf(etag, sizeof(etag), "\"%s\"", sha);
	mg_http_header(r, "ETag", etag);
	mg_http_header(r, "Cache-Control",
	               r->srv->cfg->public_read ? "public, max-age=31536000"
	                                        : "private, max-age=31536000");
	snprintf(disp, sizeof(disp), "attachment; filename=\"run%lld-%s%s\"",
	         (long long)id, safe_name(kind, sizeof(kind)),
	         len >= 2 && data[0] == 0x1f && data[1] == 0x8b ? ".pb.gz"
	                                                        : ".pb");
	mg_http_header(r, "Content-Disposition", disp);
	inm = mg_req_header(r, "If-None-Match");
	if (inm && strcmp(inm, etag) == 0) {
		free(data);
		return mg_http_reply(r, 304, "application/octet-stream", NULL,
		                     0);
	}
	return mg_http_reply(r, 200, "application/octet-stream", data, len);
}

/* ---- benchmarks and history --------------------------------------------- */

int mg_api_benchmarks(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_reader(r, &err);
	mg_bench_info *b = NULL;
	size_t n = 0, i, j;
	mg_jw w;
	int error;

	if (st == NULL)
		return busy(r, &err);
	error = mg_store_benchmarks(st, mg_req_param(r, "p"), &b, &n, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	mg_jw_init(&w, MAX_ANSWER);
	mg_jw_obj(&w, NULL);
	mg_jw_str(&w, "project", mg_req_param(r, "p"));
	mg_jw_arr(&w, "benchmarks");
	for (i = 0; i < n; i++) {
		mg_jw_obj(&w, NULL);
		mg_jw_str(&w, "name", b[i].name);
		mg_jw_str(&w, "package", b[i].package);
		mg_jw_int(&w, "procs", b[i].procs);
		mg_jw_arr(&w, "units");
		for (j = 0; j < b[i].nunits; j++)
			mg_jw_str(&w, NULL, b[i].units[j]);
		mg_jw_arr_end(&w);
		mg_jw_obj_end(&w);
	}
	mg_jw_arr_end(&w);
	mg_jw_obj_end(&w);
	mg_bench_info_free(b, n);
	return send_json(r, 200, &w);
}

/*
 * The same rows and members as `memgate history --format json`
 * (collector/cmd_history.c), plus the branch that was used.
 */
int mg_api_history(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = mg_req_history_reader(r, &err);
	mg_history_query q;
	mg_history_point *pts = NULL;
	mg_project_info p;
	size_t n = 0, i;
	mg_jw w;
	int error, rc;

	if (st == NULL)
		return busy(r, &err);
	memset(&q, 0, sizeof(q));
	q.project = mg_req_param(r, "p");
	if ((error = mg_req_query(r, "benchmark", MG_API_MAX_PARAM,
	                          &q.benchmark, &err)) < 0 ||
	    (error = mg_req_query(r, "unit", MG_UNIT_MAX, &q.unit, &err)) < 0 ||
	    (error = mg_req_query(r, "branch", MG_API_MAX_PARAM, &q.branch,
	                          &err)) < 0 ||
	    (error = mg_req_query(r, "package", MG_API_MAX_PARAM, &q.package,
	                          &err)) < 0 ||
	    (error = mg_req_query_int(r, "limit", 50, 1, MG_API_MAX_LIMIT,
	                              &q.limit, &err)) < 0)
		return mg_http_fail(r, error, &err);
	if (q.benchmark == NULL || q.benchmark[0] == '\0')
		return mg_http_error(r, 400, "invalid_input", "benchmark",
		                     "field 'benchmark': required");
	if (q.unit == NULL)
		q.unit = "B/op";
	rc = get_project(r, st, &p);
	if (rc != 0)
		return rc < 0 ? rc : 0;
	if (q.branch == NULL)
		q.branch = mg_req_strndup(r, p.default_branch,
		                          strlen(p.default_branch));
	mg_project_info_release(&p);
	if (q.branch == NULL)
		return mg_http_fail(r, MG_ENOMEM, NULL);
	error = mg_store_history(st, &q, &pts, &n, &err);
	if (error < 0)
		return mg_http_fail(r, error, &err);
	mg_jw_init(&w, MAX_ANSWER);
	/* a point is ~150 bytes: one allocation for the whole answer */
	mg_jw_reserve(&w, 256 + n * 160);
	mg_jw_obj(&w, NULL);
	mg_jw_str(&w, "project", q.project);
	mg_jw_str(&w, "benchmark", q.benchmark);
	mg_jw_str(&w, "unit", q.unit);
	mg_jw_str(&w, "branch", q.branch);
	mg_jw_arr(&w, "points");
	for (i = 0; i < n; i++) {
		mg_jw_obj(&w, NULL);
		mg_jw_str(&w, "sha", pts[i].sha);
		mg_jw_int(&w, "commit_time", pts[i].commit_time);
		mg_jw_str(&w, "subject", pts[i].subject ? pts[i].subject : "");
		mg_jw_num(&w, "median", pts[i].median);
		mg_jw_num(&w, "min", pts[i].min);
		mg_jw_num(&w, "max", pts[i].max);
		mg_jw_int(&w, "n", pts[i].n);
		mg_jw_obj_end(&w);
	}
	mg_jw_arr_end(&w);
	mg_jw_obj_end(&w);
	mg_history_free(pts, n);
	return send_json(r, 200, &w);
}
