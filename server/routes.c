/*
 * routes.c - the route table of memgate-server, matched in order (first
 * full match of path and method wins). {name} matches one non-empty
 * path segment, percent-decoded: a project "owner/repo" is written
 * owner%2Frepo. Webhooks (POST /webhooks/github) and the dashboard
 * pages (/, /p/...) will be added here.
 */
#include "api.h"
#include "metrics.h"
#include "notify.h"    /* issue 7 */
#include "dashboard.h" /* issue 8 */

const mg_route mg_routes[] = {
        {"GET", "/healthz", MG_ROUTE_PUBLIC, 0, mg_api_healthz},
        {"GET", "/metrics", MG_ROUTE_PUBLIC, 0, mg_api_metrics},
        {"POST", "/api/v1/runs", MG_ROUTE_WRITE, MG_ROUTE_BODY,
         mg_api_runs_post},
        {"POST", "/api/v1/ab-sessions", MG_ROUTE_WRITE, MG_ROUTE_BODY,
         mg_api_ab_post},
        {"GET", "/api/v1/projects", MG_ROUTE_READ, 0, mg_api_projects},
        {"GET", "/api/v1/projects/{p}", MG_ROUTE_READ, 0, mg_api_project},
        {"GET", "/api/v1/projects/{p}/commits", MG_ROUTE_READ, 0,
         mg_api_commits},
        {"GET", "/api/v1/projects/{p}/runs", MG_ROUTE_READ, 0,
         mg_api_runs_list},
        {"GET", "/api/v1/projects/{p}/runs/{id}", MG_ROUTE_READ, 0, mg_api_run},
        {"GET", "/api/v1/projects/{p}/runs/{id}/profiles/{kind}", MG_ROUTE_READ,
         0, mg_api_profile},
        {"GET", "/api/v1/projects/{p}/benchmarks", MG_ROUTE_READ, 0,
         mg_api_benchmarks},
        {"GET", "/api/v1/projects/{p}/history", MG_ROUTE_READ, 0,
         mg_api_history},
        {"GET", "/api/v1/projects/{p}/compare", MG_ROUTE_READ, 0,
         mg_api_compare},
        /* issue 7: signed by GitHub, no token (webhooks.c) */
        {"POST", "/webhooks/github", MG_ROUTE_PUBLIC, MG_ROUTE_BODY,
         mg_api_webhook_github},
        /* issue 8: the dashboard's HTML pages (dashboard.c) */
        {"GET", "/", MG_ROUTE_READ, 0, mg_dash_projects},
        {"GET", "/p/{p}", MG_ROUTE_READ, 0, mg_dash_project},
        {"GET", "/p/{p}/bench/{name}", MG_ROUTE_READ, 0, mg_dash_bench},
        {"GET", "/p/{p}/compare", MG_ROUTE_READ, 0, mg_dash_compare},
        {"GET", "/p/{p}/runs/{id}", MG_ROUTE_READ, 0, mg_dash_run},
};

const size_t mg_nroutes = sizeof(mg_routes) / sizeof(mg_routes[0]);

_Static_assert(sizeof(mg_routes) / sizeof(mg_routes[0]) <=
                       MG_METRICS_MAX_ROUTES,
               "raise MG_METRICS_MAX_ROUTES");
