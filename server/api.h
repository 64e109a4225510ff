/*
 * api.h - the route handlers (see routes.c for the table and README for
 * the API reference). Each queues one answer through http.h's helpers.
 */
#ifndef MG_SRV_API_H
#define MG_SRV_API_H

#include "http.h"

/*
 * The longest Idempotency-Key accepted: collectors send a UUID or a
 * SHA-256 in hex (36 / 64 characters); 200 leaves room for prefixes.
 */
#define MG_API_MAX_IDEMPOTENCY_KEY 200
/* Query parameter values (benchmark names, branches, units). */
#define MG_API_MAX_PARAM 4096
/* Default and largest number of rows of the list routes. */
#define MG_API_DEFAULT_LIMIT 100
#define MG_API_MAX_LIMIT 100000

/*
 * Append the URL of a project's API root to out:
 * <base_url>/api/v1/projects/<project, percent-encoded>
 */
int mg_api_project_url(mg_buf *out, mg_req *r, const char *project);

/* api_runs.c */
int mg_api_runs_post(mg_req *r);
/* POST /api/v1/ab-sessions (api_ab.c) */
int mg_api_ab_post(mg_req *r);

/* api_query.c */
int mg_api_healthz(mg_req *r);
int mg_api_metrics(mg_req *r);
int mg_api_projects(mg_req *r);
int mg_api_project(mg_req *r);
int mg_api_commits(mg_req *r);
int mg_api_runs_list(mg_req *r);
int mg_api_run(mg_req *r);
int mg_api_profile(mg_req *r);
int mg_api_benchmarks(mg_req *r);
int mg_api_history(mg_req *r);

/* api_compare.c */
/* Runs of one commit pooled per side of a comparison. */
#define MG_API_COMPARE_RUNS 10
int mg_api_compare(mg_req *r);

#endif
