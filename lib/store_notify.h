/*
 * store_notify.h - the store's side of pull-request verdicts: the
 * comparisons table (one row per verdict posted), the pull requests and
 * commits that GitHub webhooks report, and the webhook delivery ids
 * already processed (schema/0003_verdicts.sql, 0005_webhooks.sql).
 *
 * None of these functions begins a transaction: inside the caller's
 * (mg_store_begin) they commit with it, outside one each statement is
 * its own.
 */
#ifndef MG_STORE_NOTIFY_H
#define MG_STORE_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "run.h"
#include "store.h"

/* A verdict to record; strings are borrowed. */
typedef struct mg_comparison_row {
	const char *project;
	const char *base_sha; /* NULL: no baseline */
	const char *head_sha; /* required; the commit must be stored */
	int64_t head_run_id;  /* 0: none */
	int64_t pr_number;    /* 0: not a pull request */
	const char *verdict;  /* regression, improvement, unchanged,
	                       * inconclusive */
	int64_t regressions;
	int64_t improvements;
	const char *summary;     /* one line */
	const char *result_json; /* schema/verdict.schema.json */
	int64_t created_at;      /* unix ms */
} mg_comparison_row;

/*
 * Insert a comparison; *id_out gets its id. MG_ENOTFOUND when the project
 * or the head commit is unknown; MG_EDB.
 */
int mg_store_comparison_add(mg_store *st, const mg_comparison_row *row,
                            int64_t *id_out, mg_err *err);

/*
 * Open regressions of a project: pull requests whose latest verdict is a
 * regression (a later push that fixed it makes it count no more). Runs
 * on branches without a pull request do not count.
 */
int mg_store_open_regressions(mg_store *st, const char *project, int64_t *out,
                              mg_err *err);

/*
 * Comparisons of pull request `number` whose verdict is regression or
 * improvement, into *out (0 when none or the project is unknown).
 */
int mg_store_comparison_changes(mg_store *st, const char *project,
                                int64_t number, int64_t *out, mg_err *err);

/*
 * Record that webhook delivery `id` (X-GitHub-Delivery) is processed:
 * *fresh is false when it already was (nothing written).
 */
int mg_store_webhook_claim(mg_store *st, const char *id, const char *event,
                           int64_t now_ms, bool *fresh, mg_err *err);

/* Insert or update a pull request; MG_ENOTFOUND for an unknown project. */
int mg_store_pr_put(mg_store *st, const char *project, int64_t number,
                    const char *head_sha, const char *base_sha,
                    const char *base_ref, int64_t now_ms, mg_err *err);

/*
 * The base sha and ref of a recorded pull request: base_sha gets "" and
 * *base_ref NULL (caller frees) when unknown. MG_ENOTFOUND when the pull
 * request is not recorded.
 */
int mg_store_pr_base(mg_store *st, const char *project, int64_t number,
                     char base_sha[MG_SHA_HEX + 1], char **base_ref,
                     mg_err *err);

/*
 * Record commit `sha` of `project` as seen on `branch` (may be NULL),
 * with its first parent when known (parent may be NULL). A commit already
 * stored keeps what it has (its time, subject and parents from a run);
 * commit_time is only used for a new row. MG_ENOTFOUND for an unknown
 * project.
 */
int mg_store_commit_seen(mg_store *st, const char *project, const char *sha,
                         const char *parent, const char *branch,
                         int64_t commit_time, mg_err *err);

#endif
