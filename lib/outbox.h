/*
 * outbox.h - the durable queue of verdict notifications (table `outbox`,
 * schema/0003_verdicts.sql) and the worker that delivers them to GitHub or
 * GitLab.
 *
 * Life of a delivery:
 *
 *   enqueue    INSERT state 'pending', next_attempt_at = now, inside the
 *              caller's transaction, so it is stored with the verdict or
 *              not at all. An older pending delivery of the same kind to
 *              the same target (the same status context on the same
 *              commit, the same PR comment) is superseded: marked 'done'
 *              with delivered_at NULL and last_error "superseded by N",
 *              so a stale verdict retried later can never overwrite a
 *              newer one.
 *   claim      rows with state 'pending' and next_attempt_at <= now, oldest
 *              first; in one transaction each gets attempts + 1 and
 *              next_attempt_at = now + MG_OUTBOX_LEASE_MS. The lease is
 *              the crash guard: a worker that dies mid-delivery leaves
 *              the row pending, and it becomes due again when the lease
 *              ends; no second worker takes it meanwhile.
 *   deliver    the forge call, outside any transaction.
 *   then       done (state 'done', delivered_at; never sent again), or
 *              reschedule (transient failure: next_attempt_at = now +
 *              exponential backoff with jitter, or the forge's retry
 *              time if later; a rate limit does not count as an
 *              attempt), or failed (permanent: 4xx, or
 *              MG_OUTBOX_MAX_ATTEMPTS used up), with last_error.
 *
 * Exactly once, as seen on the pull request: a delivery whose request
 * succeeded but whose "done" mark was lost (crash, database error) is
 * delivered again after its lease, and that is harmless by construction:
 *  - comment: the operation is "find the comment that starts with the
 *    marker, update it, create it only if none exists", so a repeat finds
 *    the comment the first try created and updates it to the same text;
 *    there is never a second comment;
 *  - status: a repeat posts the same state, description and URL for the
 *    same commit and context; GitHub shows the newest status per context,
 *    so nothing visible changes (GitLab answers "cannot transition" to
 *    an unchanged state, which the client counts as success);
 *  - check run: a repeat creates a second run with the same name and
 *    content; GitHub shows only the newest run of a name.
 *
 * Run one worker per database: deliveries to the same target are sent in
 * id order only within one worker.
 */
#ifndef MG_OUTBOX_H
#define MG_OUTBOX_H

#include <stdint.h>

#include "err.h"
#include "forge.h"
#include "github.h"
#include "gitlab.h"
#include "store.h"

/*
 * How long a claimed delivery is reserved for its worker: longer than
 * one delivery can take (a comment lists up to 100 pages with in-call
 * retries, each request at most 30 s).
 */
#define MG_OUTBOX_LEASE_MS (15 * 60 * 1000)
/* Deliveries claimed per mg_outbox_run_once. */
#define MG_OUTBOX_BATCH 32
/*
 * Tries before a delivery fails for good: with the backoff below the
 * last one comes about 5 hours after the first, enough to ride out a
 * GitHub outage without retrying forever.
 */
#define MG_OUTBOX_MAX_ATTEMPTS 10
/* Backoff after the first failure, doubling per attempt up to the cap. */
#define MG_OUTBOX_BACKOFF_BASE_MS 30000
#define MG_OUTBOX_BACKOFF_MAX_MS 3600000
/*
 * Largest payload stored: a GitLab note may hold 1,000,000 characters
 * (up to 4 bytes each, plus JSON escaping).
 */
#define MG_OUTBOX_MAX_PAYLOAD ((size_t)8 << 20)
/* last_error is cut to this many bytes. */
#define MG_OUTBOX_MAX_ERROR 1000

enum mg_outbox_kind {
	MG_OUTBOX_STATUS = 0, /* commit status on sha */
	MG_OUTBOX_COMMENT,    /* the marker comment / note on a PR / MR */
	MG_OUTBOX_CHECK,      /* a check run on sha (GitHub App only) */
};

/* What to deliver; strings are copied into the payload at enqueue. */
typedef struct mg_outbox_msg {
	enum mg_forge_kind forge;
	enum mg_outbox_kind kind;
	const char *repo;          /* GitHub "owner/repo"; GitLab id or path */
	int64_t installation_id;   /* GitHub App; 0: the client's default */
	const char *sha;           /* status, check: the head commit */
	int64_t number;            /* comment: PR number / MR iid */
	enum mg_forge_state state; /* status state; check conclusion */
	const char *context;       /* status context / check name; NULL:
	                            * MG_FORGE_DEFAULT_CONTEXT */
	const char *description;   /* status description / check title */
	const char *target_url;    /* status target_url / check details_url */
	const char *body;          /* comment body / check summary */
	const char *marker;        /* comment; NULL: MG_FORGE_COMMENT_MARKER */
	const char *ref;           /* GitLab status: the MR source branch */
} mg_outbox_msg;

enum mg_outbox_state {
	MG_OUTBOX_PENDING = 0,
	MG_OUTBOX_DONE,
	MG_OUTBOX_FAILED,
};

/* One row of the outbox. */
typedef struct mg_outbox_item {
	int64_t id;
	int64_t comparison_id; /* 0: none */
	enum mg_outbox_kind kind;
	char *target;  /* owned: "github:owner/repo@sha/context", ... */
	char *payload; /* owned: the JSON form of the mg_outbox_msg */
	enum mg_outbox_state state;
	int attempts;            /* tries started (claims) */
	int64_t next_attempt_at; /* unix ms */
	char *last_error;        /* owned, NULL if none */
	int64_t created_at;      /* unix ms */
	int64_t delivered_at;    /* unix ms; 0: not delivered (yet) */
} mg_outbox_item;

void mg_outbox_item_release(mg_outbox_item *it);
void mg_outbox_items_free(mg_outbox_item *items, size_t n);

/*
 * Store msg for delivery at now_ms, linked to comparison_id (0: none).
 * Inside a transaction of the caller (mg_store_begin) the row becomes
 * visible with the caller's commit; outside one it is committed at once.
 * *id_out (may be NULL) gets the row id. MG_EINPUT names the missing or
 * bad field (a check for GitLab, a status without a sha, ...); MG_ELIMIT
 * for a payload over MG_OUTBOX_MAX_PAYLOAD; MG_EDB. After an error inside
 * the caller's transaction, the caller rolls it back (verdict included).
 */
int mg_outbox_enqueue(mg_store *st, const mg_outbox_msg *msg,
                      int64_t comparison_id, int64_t now_ms, int64_t *id_out,
                      mg_err *err);

/*
 * Claim up to max due deliveries (see the table above) in a transaction
 * of its own (so not inside the caller's). *out (free with
 * mg_outbox_items_free; NULL when none) gets *n_out items, with attempts
 * already counting this try.
 */
int mg_outbox_claim(mg_store *st, int64_t now_ms, size_t max,
                    mg_outbox_item **out, size_t *n_out, mg_err *err);

/*
 * Mark a delivery done. A row that is no longer pending (superseded
 * meanwhile, or already done) is left alone: done is never undone.
 */
int mg_outbox_mark_done(mg_store *st, int64_t id, int64_t now_ms, mg_err *err);
/*
 * Put a pending delivery back for next_at_ms with the error text; with
 * counted false the claim's attempt is given back (a rate limit is not a
 * failure of the delivery).
 */
int mg_outbox_reschedule(mg_store *st, int64_t id, int64_t next_at_ms,
                         const char *error, bool counted, mg_err *err);
/* Mark a pending delivery failed for good, with the reason. */
int mg_outbox_fail(mg_store *st, int64_t id, const char *error, mg_err *err);

/* Row id into *out (release with mg_outbox_item_release); MG_ENOTFOUND. */
int mg_outbox_get(mg_store *st, int64_t id, mg_outbox_item *out, mg_err *err);

/*
 * The delay after the attempts-th failed try: MG_OUTBOX_BACKOFF_BASE_MS *
 * 2^(attempts-1), at most MG_OUTBOX_BACKOFF_MAX_MS, of which half is
 * scaled by u in [0, 1) (equal jitter, as mg_httpc_retry_delay).
 */
int64_t mg_outbox_backoff_ms(int attempts, double u);

/* The forge clients deliveries go to; NULL: that forge is not set up. */
typedef struct mg_outbox_forges {
	mg_github *github;
	mg_gitlab *gitlab;
} mg_outbox_forges;

/*
 * Send one claimed delivery through its forge client; res says what
 * happened (forge.h). A payload that cannot be read, or a forge without
 * a client, is a permanent failure.
 */
int mg_outbox_deliver(const mg_outbox_forges *forges,
                      const mg_outbox_item *item, mg_forge_result *res,
                      mg_err *err);

/*
 * One pass of the worker: claim what is due at now_ms (at most
 * MG_OUTBOX_BATCH), deliver each, and mark it done, rescheduled or
 * failed as its result says. Once a forge rate-limits us, the rest of the
 * batch for that forge is put back until the same time without trying.
 * Returns the number delivered (>= 0), or MG_EDB/MG_ENOMEM when the store
 * fails (what was claimed but not marked is retried after the lease).
 */
int mg_outbox_run_once(mg_store *st, const mg_outbox_forges *forges,
                       int64_t now_ms, mg_err *err);

/* "status", "comment", "check"; and the state names of the table. */
const char *mg_outbox_kind_name(enum mg_outbox_kind k);
const char *mg_outbox_state_name(enum mg_outbox_state s);

#endif
