/*
 * notify.h - pull-request verdicts in memgate-server (issue 7):
 *
 *   verdict.c       after a run is ingested, compare it with its baseline
 *                   and store the comparison and its outbox deliveries
 *                   (status, PR comment, check run) in one transaction;
 *   notify.c        the delivery thread: every second, or at once when
 *                   kicked, sends what the outbox holds through the forge
 *                   clients built from the configuration;
 *   webhooks.c      POST /webhooks/github;
 *   forge_config.c  which forge and comment mode a project uses.
 */
#ifndef MG_SRV_NOTIFY_H
#define MG_SRV_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "compare.h"
#include "config.h"
#include "err.h"
#include "forge.h"
#include "http.h"
#include "run.h"
#include "server.h"
#include "store.h"

/* How often the delivery thread looks for due deliveries. */
#define MG_NOTIFY_INTERVAL_MS 1000
/*
 * In-call tries of one forge request: a 502 or a dropped connection is
 * retried twice within seconds; a longer outage is the outbox's backoff.
 */
#define MG_NOTIFY_ATTEMPTS 3
#define MG_NOTIFY_BASE_MS 500
/* The longest comment posted (GitHub's limit, also GitLab's far above). */
#define MG_NOTIFY_COMMENT_MAX 65536
/* Projects named in gitlab_projects / comment_modes: a config line. */
#define MG_NOTIFY_MAX_LIST 4096

/* forge_config.c */

/*
 * The forge a project's verdicts go to; false when none is configured
 * for it (forge=none, or the selected forge has no URL/credentials).
 */
bool mg_notify_forge_for(const mg_srv_config *cfg, const char *project,
                         enum mg_forge_kind *out);
/* The comment mode of a project (enum mg_cfg_comment). */
int mg_notify_comment_mode(const mg_srv_config *cfg, const char *project);
/* Check the list keys (comment_modes) once at start; MG_EINPUT. */
int mg_notify_check_config(const mg_srv_config *cfg, mg_err *err);

/* notify.c */

/*
 * Build the forge clients (reading the App key file), open the thread's
 * own database connection and start the thread. Deliveries left pending
 * by an earlier process are sent by it too.
 */
int mg_notify_start(mg_srv *srv, mg_err *err);
/* Wake the thread now (after a verdict was stored). */
void mg_notify_kick(void);
/*
 * Let the delivery in flight finish (it is not cut: a half-sent
 * comment would be retried anyway), stop claiming, join the thread.
 */
void mg_notify_stop(void);

/* verdict.c */

/*
 * Called with the writer held, after run `run_id` was stored: for a
 * pull-request run (pr_number set) or a push run on the project's default
 * branch (with push_status), compute the verdict against the baseline and
 * store the comparison and its deliveries in one transaction. Nothing is
 * done when no forge is configured for the project.
 */
int mg_verdict_after_ingest(mg_srv *srv, mg_store *w, const mg_run *run,
                            int64_t run_id, mg_err *err);

/*
 * The commit status description: "2 regressions: BenchmarkHash B/op
 * +153%", "no regression in 47 benchmarks"; at most 140 characters.
 */
int mg_verdict_description(mg_buf *out, const mg_compare *c);

/* webhooks.c */
int mg_api_webhook_github(mg_req *r);

#endif
