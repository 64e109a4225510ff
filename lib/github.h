/*
 * github.h - the GitHub REST client that posts memgate's verdicts: a
 * commit status on the head commit, the one pull-request comment found
 * again by its hidden marker and updated in place, and (GitHub App only)
 * a check run. Requests follow shared/contracts/github/ (API version
 * 2022-11-28): every one carries Accept: application/vnd.github+json,
 * X-GitHub-Api-Version, Authorization: Bearer and User-Agent.
 *
 * Authentication is either a token (a personal access token or the
 * GITHUB_TOKEN an Actions job passes) or a GitHub App: an RS256 JWT
 * (issued 60 s in the past, expiring 9 minutes ahead, GitHub allows at
 * most 10), signed with the App's private key by OpenSSL, is exchanged
 * for an installation token (POST /app/installations/{id}/access_tokens)
 * that is cached per installation until MG_GITHUB_TOKEN_REFRESH_S before
 * its expires_at. A 401 with a cached token drops it and tries once more
 * with a fresh one (a token revoked early).
 *
 * Every operation fills an mg_forge_result (forge.h): OK, RETRY,
 * RATE_LIMITED with the time to wait for, or PERMANENT with GitHub's
 * message, so the outbox can schedule. A client is one curl handle: use
 * it from one thread at a time. The client never logs; tokens and keys
 * never appear in messages.
 */
#ifndef MG_GITHUB_H
#define MG_GITHUB_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "forge.h"

#define MG_GITHUB_API_URL "https://api.github.com"
#define MG_GITHUB_API_VERSION "2022-11-28"
/*
 * GitHub's limits, in characters (counted as UTF-16 units, see
 * mg_forge_text_units): a status description answers 422 above 140, a
 * comment body above 65536 (both observed, contract sections 2 and 4),
 * check run output.summary and output.text have maxLength 65535 (spec).
 */
#define MG_GITHUB_DESCRIPTION_MAX 140
#define MG_GITHUB_COMMENT_MAX 65536
#define MG_GITHUB_CHECK_TEXT_MAX 65535
/* Check run name and output title: not limited by the spec; one line. */
#define MG_GITHUB_CHECK_NAME_MAX 200
/* A target_url / details_url longer than this is refused (one link). */
#define MG_GITHUB_MAX_URL 2048
/* "owner/repo": 39 + 1 + 100 characters on github.com; GHES alike. */
#define MG_GITHUB_MAX_REPO 200
/* Comments per page: the maximum GitHub serves (contract section 1). */
#define MG_GITHUB_PER_PAGE 100
/*
 * Pages of comments scanned for the marker: 10,000 comments. A pull
 * request with more is refused (MG_ELIMIT, permanent) rather than
 * answered with a second memgate comment.
 */
#define MG_GITHUB_MAX_PAGES 100
/*
 * One page of comments: 100 bodies of up to 65536 characters, each at
 * most 6 bytes when JSON-escaped (\uXXXX), plus their metadata.
 */
#define MG_GITHUB_LIST_RESPONSE_MAX ((size_t)48 << 20)
/* The JWT: issued this far in the past against clock drift (docs). */
#define MG_GITHUB_JWT_BACKDATE_S 60
/* ...and valid this long after now; GitHub refuses more than 600 s. */
#define MG_GITHUB_JWT_LIFETIME_S 540
/* An installation token (valid 1 h) is renewed this long before expiry. */
#define MG_GITHUB_TOKEN_REFRESH_S 300
/*
 * Longest token accepted, from config or from GitHub: classic ones are
 * 40 characters, the new stateless installation tokens (ghs_APPID_JWT)
 * are longer and GitHub says not to rely on a length.
 */
#define MG_GITHUB_MAX_TOKEN 8192
/* App id or client id ("Iv1.0123abcd...") length. */
#define MG_GITHUB_MAX_APP_ID 64
/* Installations whose tokens are cached at once (oldest evicted). */
#define MG_GITHUB_MAX_INSTALLATIONS 64
/* A private key PEM larger than this is not an RSA key we expect. */
#define MG_GITHUB_MAX_KEY_PEM ((size_t)64 << 10)

typedef struct mg_github mg_github; /* opaque client */

typedef struct mg_github_config {
	const char *api_url;     /* NULL: MG_GITHUB_API_URL; GHES: .../api/v3 */
	const char *user_agent;  /* NULL: "memgate/<version>" */
	const char *token;       /* token auth: a PAT or GITHUB_TOKEN */
	const char *app_id;      /* App auth: App id (or client id) */
	const char *app_key_pem; /* App auth: the private key, PEM text */
	int64_t installation_id; /* App auth: used when a call gives 0 */
	mg_forge_policy policy;  /* in-call retries; zeros: defaults */
} mg_github_config;

/*
 * A client for cfg (copied: cfg's strings may be freed after). Exactly
 * one of token or (app_id + app_key_pem) must be set. MG_EINPUT names
 * the bad field (an unreadable key, a non-RSA key, a token with blanks);
 * no request is made here.
 */
int mg_github_new(mg_github **out, const mg_github_config *cfg, mg_err *err);
void mg_github_free(mg_github *gh);

/* Whether the client authenticates as a GitHub App. */
bool mg_github_is_app(const mg_github *gh);
/* Installation tokens fetched so far (each one is a JWT exchange). */
int mg_github_token_requests(const mg_github *gh);

/* Where an operation goes. */
typedef struct mg_github_repo {
	const char *full_name;   /* "owner/repo" */
	int64_t installation_id; /* App auth: 0 means the config's */
} mg_github_repo;

typedef struct mg_github_status {
	enum mg_forge_state state;
	const char *description; /* trimmed to 140 characters; NULL: none */
	const char *context;     /* NULL: MG_FORGE_DEFAULT_CONTEXT */
	const char *target_url;  /* NULL: none */
} mg_github_status;

/*
 * POST /repos/{owner}/{repo}/statuses/{sha}; sha is 40 or 64 hex
 * digits. res->id gets the status id. Posting the same state again is
 * harmless (the newest status of a context wins), so this is safe to
 * repeat. Errors as in forge.h; MG_EINPUT (permanent) for bad arguments.
 */
int mg_github_create_status(mg_github *gh, mg_forge_result *res,
                            const mg_github_repo *repo, const char *sha,
                            const mg_github_status *s, mg_err *err);

/*
 * The body memgate sends for a comment: the marker (NULL:
 * MG_FORGE_COMMENT_MARKER) on its own first line unless body already
 * starts with it, then body, cut to MG_GITHUB_COMMENT_MAX characters
 * with a note saying so. Invalid UTF-8 becomes U+FFFD.
 */
int mg_github_comment_body(mg_buf *out, const char *marker, const char *body,
                           mg_err *err);

/*
 * Create or update memgate's one comment on pull request `number`: list
 * the comments (per_page=100, following Link rel="next"), take the first
 * whose body starts with the marker, PATCH it, or POST a new one if none
 * does. res->id gets the comment id and res->created says which.
 *
 * Idempotent: repeating the call (after a crash, or a lost answer to the
 * POST) finds the comment the first call created and updates it. For
 * the same reason a failed POST is never repeated blindly: a retry lists
 * again first.
 */
int mg_github_upsert_comment(mg_github *gh, mg_forge_result *res,
                             const mg_github_repo *repo, int64_t number,
                             const char *marker, const char *body, mg_err *err);

enum mg_github_check_status {
	MG_GITHUB_CHECK_QUEUED = 0,
	MG_GITHUB_CHECK_IN_PROGRESS,
	MG_GITHUB_CHECK_COMPLETED,
};

enum mg_github_conclusion {
	MG_GITHUB_CONCLUSION_NONE = 0, /* not completed yet */
	MG_GITHUB_CONCLUSION_SUCCESS,
	MG_GITHUB_CONCLUSION_FAILURE,
	MG_GITHUB_CONCLUSION_NEUTRAL,
	MG_GITHUB_CONCLUSION_CANCELLED,
	MG_GITHUB_CONCLUSION_SKIPPED,
	MG_GITHUB_CONCLUSION_TIMED_OUT,
	MG_GITHUB_CONCLUSION_ACTION_REQUIRED,
};

typedef struct mg_github_check {
	int64_t check_run_id; /* 0: create a run; else update that run */
	const char *name;     /* NULL: MG_FORGE_DEFAULT_CONTEXT */
	const char *head_sha; /* create: required */
	enum mg_github_check_status status; /* always sent (contract s. 5) */
	/* Required with MG_GITHUB_CHECK_COMPLETED, refused otherwise. */
	enum mg_github_conclusion conclusion;
	const char *title;       /* output.title; NULL: the name */
	const char *summary;     /* output.summary, trimmed to 65535 */
	const char *text;        /* output.text, trimmed; NULL: none */
	const char *details_url; /* NULL: none */
	const char *external_id; /* NULL: none */
	int64_t completed_at_ms; /* unix ms; 0: now (completed only) */
} mg_github_check;

/*
 * Create (POST /repos/{o}/{r}/check-runs) or update (PATCH
 * .../check-runs/{id}) a check run; res->id gets its id. GitHub lets only
 * Apps do this: with token auth the call fails (MG_EINPUT, permanent)
 * without a request. Creating again after a lost answer makes a second
 * run with the same name; GitHub shows the newest run of a name, so a
 * duplicate is harmless.
 */
int mg_github_check_run(mg_github *gh, mg_forge_result *res,
                        const mg_github_repo *repo, const mg_github_check *c,
                        mg_err *err);

/*
 * The App JWT for now_s (unix seconds), as the client builds it:
 * base64url(header).base64url(claims).base64url(RS256 signature) with
 * claims {"iat": now_s - 60, "exp": now_s + 540, "iss": app_id}; an all
 * digits app_id is written as a number, a client id as a string.
 */
int mg_github_app_jwt(mg_buf *out, const char *app_id, const char *key_pem,
                      int64_t now_s, mg_err *err);

#endif
