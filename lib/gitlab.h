/*
 * gitlab.h - the GitLab REST (v4) client, memgate's second forge: the
 * verdict as a commit status and as one merge-request note found again by
 * its hidden marker and updated in place, with GitHub's result rules
 * (forge.h). Shapes follow shared/contracts/github/CONTRACT.md section
 * 10: authentication by the PRIVATE-TOKEN header, a project given as its
 * numeric id or its path (sent URL-encoded, "group%2Fproject").
 *
 * A client is one curl handle: use it from one thread at a time. Tokens
 * never appear in messages.
 */
#ifndef MG_GITLAB_H
#define MG_GITLAB_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "forge.h"

/*
 * GitLab's limits (contract section 10): status description, target_url
 * and ref at most 255 characters; a note body at most 1,000,000.
 */
#define MG_GITLAB_DESCRIPTION_MAX 255
#define MG_GITLAB_URL_MAX 255
#define MG_GITLAB_NOTE_MAX 1000000
/* Longest project id or path ("group/sub/project") accepted. */
#define MG_GITLAB_MAX_PROJECT 1024
/* Notes per page (GitLab's maximum) and pages scanned: 10,000 notes. */
#define MG_GITLAB_PER_PAGE 100
#define MG_GITLAB_MAX_PAGES 100
/*
 * One page of notes. Notes can be 1,000,000 characters, so a worst case
 * page does not fit any sane cap; 64 MiB holds 100 notes of 100 KiB
 * JSON-escaped, far beyond real merge requests. Larger: permanent error.
 */
#define MG_GITLAB_LIST_RESPONSE_MAX ((size_t)64 << 20)
/* Longest token accepted (personal/project access tokens are ~26). */
#define MG_GITLAB_MAX_TOKEN 1024

typedef struct mg_gitlab mg_gitlab; /* opaque client */

typedef struct mg_gitlab_config {
	const char *api_url;    /* required: "https://gitlab.example/api/v4" */
	const char *user_agent; /* NULL: "memgate/<version>" */
	const char *token;      /* required: sent as PRIVATE-TOKEN */
	mg_forge_policy policy; /* in-call retries; zeros: defaults */
} mg_gitlab_config;

int mg_gitlab_new(mg_gitlab **out, const mg_gitlab_config *cfg, mg_err *err);
void mg_gitlab_free(mg_gitlab *gl);

/*
 * GitLab's word for a verdict state: pending, success, and "failed" for
 * both failure and error (GitLab has no error state; the description
 * tells them apart).
 */
const char *mg_gitlab_state_name(enum mg_forge_state s);

typedef struct mg_gitlab_status {
	enum mg_forge_state state;
	const char *description; /* trimmed to 255 characters; NULL: none */
	const char *name;        /* NULL: MG_FORGE_DEFAULT_CONTEXT */
	const char *target_url;  /* NULL: none; longer than 255: refused */
	const char *ref;         /* the MR's source branch; NULL: none */
} mg_gitlab_status;

/*
 * POST /projects/:id/statuses/:sha. GitLab refuses to move a status to
 * the state it is already in ("Cannot transition status via :enqueue
 * from :pending", 400; seen in public issue reports, not in the docs):
 * that answer means the wanted state is there, and counts as success
 * with res->id 0, so repeating a delivery stays harmless.
 */
int mg_gitlab_create_status(mg_gitlab *gl, mg_forge_result *res,
                            const char *project, const char *sha,
                            const mg_gitlab_status *s, mg_err *err);

/*
 * Create or update memgate's one note on merge request mr_iid: list the
 * notes (sort=asc, order_by=created_at, per_page=100, following Link
 * rel="next"), PUT the first non-system note whose body starts with the
 * marker (NULL: MG_FORGE_COMMENT_MARKER), else POST a new one. The body
 * gets the marker as its first line and is cut to MG_GITLAB_NOTE_MAX.
 * Idempotent the same way as mg_github_upsert_comment.
 */
int mg_gitlab_upsert_note(mg_gitlab *gl, mg_forge_result *res,
                          const char *project, int64_t mr_iid,
                          const char *marker, const char *body, mg_err *err);

#endif
