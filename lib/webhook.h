/*
 * webhook.h - GitHub webhook deliveries: the X-Hub-Signature-256 check
 * and the parser of the events memgate acts on (shared/contracts/github/
 * CONTRACT.md section 8).
 *
 * The receiver's order (GitHub's docs): read the raw body, verify the
 * signature over those exact bytes, and only then parse. The signature is
 * "sha256=" + lowercase hex of HMAC-SHA256(key = secret, message = body),
 * compared in constant time; a missing or malformed header is refused
 * like a wrong one.
 *
 * Events and fields used:
 *
 *   X-GitHub-Event  action                  fields
 *   ping            -                       hook_id, repository.full_name?
 *   pull_request    opened, synchronize,    number, pull_request.head.{sha,
 *                   reopened, closed        ref,repo.full_name}, .base.{sha,
 *                                           ref}, .merged, .draft,
 *                                           repository.full_name,
 *                                           installation.id?, and for
 *                                           synchronize before, after
 *   push            -                       ref, before, after, created,
 *                                           deleted, forced, commits[].id,
 *                                           repository.{full_name,
 *                                           default_branch},
 *                                           installation.id?
 *
 * Other events and other pull_request actions (edited, labeled, ...) are
 * not errors: they parse to MG_WEBHOOK_IGNORED with the reason, and the
 * caller answers 2xx. Unknown keys are ignored.
 */
#ifndef MG_WEBHOOK_H
#define MG_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* GitHub does not deliver payloads over 25 MB (contract section 8). */
#define MG_WEBHOOK_MAX_BODY ((size_t)25 << 20)
/* A push payload lists at most 2048 commits (webhook-push schema). */
#define MG_WEBHOOK_MAX_COMMITS 2048
/* Longest ref, branch or repository name kept (git refs are far shorter). */
#define MG_WEBHOOK_MAX_NAME 1024
/* A webhook secret longer than this is a configuration mistake. */
#define MG_WEBHOOK_MAX_SECRET 1024
/* SHA-1 (40) or SHA-256 (64) object names. */
#define MG_WEBHOOK_SHA_MAX 64
/* The signature header: "sha256=" and 64 hex digits. */
#define MG_WEBHOOK_SIG_PREFIX "sha256="
#define MG_WEBHOOK_SIG_LEN (7 + 64)

/*
 * Check header (the X-Hub-Signature-256 value, NULL when absent) against
 * body and secret. 0 when it matches; MG_EAUTH when the header is
 * missing, malformed or wrong, or the secret is empty (an unsigned
 * delivery is never accepted); MG_EINPUT for a secret or body over the
 * limits.
 */
int mg_webhook_verify(const char *secret, const void *body, size_t len,
                      const char *header, mg_err *err);

/*
 * The header value GitHub would send for body: "sha256=<hex>" into out
 * (MG_WEBHOOK_SIG_LEN + 1 bytes). For tests and tools that sign.
 */
int mg_webhook_sign(char out[MG_WEBHOOK_SIG_LEN + 1], const char *secret,
                    const void *body, size_t len, mg_err *err);

enum mg_webhook_kind {
	MG_WEBHOOK_IGNORED = 0, /* an event or action memgate does not use */
	MG_WEBHOOK_PING,
	MG_WEBHOOK_PULL_REQUEST,
	MG_WEBHOOK_PUSH,
};

enum mg_webhook_pr_action {
	MG_WEBHOOK_PR_OPENED = 0,
	MG_WEBHOOK_PR_SYNCHRONIZE, /* new commits on the head branch */
	MG_WEBHOOK_PR_REOPENED,
	MG_WEBHOOK_PR_CLOSED, /* merged or not: see `merged` */
};

typedef struct mg_webhook_event {
	enum mg_webhook_kind kind;
	char ignored[96];        /* IGNORED: why ("event 'issues'") */
	char *repository;        /* repository.full_name; NULL: absent */
	int64_t installation_id; /* installation.id; 0: not an App delivery */

	/* ping */
	int64_t hook_id; /* the webhook's id */

	/* pull_request */
	enum mg_webhook_pr_action action;
	int64_t number;                        /* the PR number */
	char head_sha[MG_WEBHOOK_SHA_MAX + 1]; /* pull_request.head.sha */
	char *head_ref;                        /* pull_request.head.ref */
	char *head_repository;                 /* head.repo.full_name; NULL
	                                         * when the fork is gone */
	char base_sha[MG_WEBHOOK_SHA_MAX + 1]; /* pull_request.base.sha */
	char *base_ref;                        /* pull_request.base.ref */
	bool merged;                           /* closed: merged, not just
	                                         * closed */
	bool draft;                            /* pull_request.draft */

	/* synchronize and push: the ref's old and new commit */
	char before[MG_WEBHOOK_SHA_MAX + 1]; /* all zeros: ref created */
	char after[MG_WEBHOOK_SHA_MAX + 1];  /* all zeros: ref deleted */

	/* push */
	char *ref;            /* "refs/heads/main", "refs/tags/v1" */
	char *default_branch; /* repository.default_branch */
	char (*commits)[MG_WEBHOOK_SHA_MAX + 1]; /* commits[].id, in order */
	size_t ncommits;
	bool created; /* the push created the ref */
	bool deleted; /* the push deleted the ref */
	bool forced;  /* a force push */
} mg_webhook_event;

void mg_webhook_event_init(mg_webhook_event *ev);
/* Free what ev holds and initialise it again. */
void mg_webhook_event_release(mg_webhook_event *ev);

/*
 * Parse the body of a delivery whose X-GitHub-Event is `event` into out
 * (initialised by the caller; released and refilled). Verify the
 * signature first. MG_EINPUT for invalid JSON or a missing or mistyped
 * field, naming it ("webhook pull_request: field
 * 'pull_request.head.sha': expected 40 or 64 hex digits"); MG_ELIMIT for
 * a body over MG_WEBHOOK_MAX_BODY or too many commits; MG_ENOMEM. On
 * error out is left released (empty).
 */
int mg_webhook_parse(mg_webhook_event *out, const char *event, const void *body,
                     size_t len, mg_err *err);

/* "opened", "synchronize", "reopened", "closed". */
const char *mg_webhook_pr_action_name(enum mg_webhook_pr_action a);

/*
 * The branch a push went to ("main" for "refs/heads/main"), NULL for a
 * tag or another ref. Borrowed from ev.
 */
const char *mg_webhook_push_branch(const mg_webhook_event *ev);
/* Whether a push went to the repository's default branch. */
bool mg_webhook_push_is_default_branch(const mg_webhook_event *ev);

#endif
