/*
 * ci_env.h - what GitHub Actions tells a step about the run: repository,
 * branch, and for pull_request events the pull request from the event
 * file (GITHUB_EVENT_PATH). Shared by `memgate collect` (to record the
 * pull request with the run) and `memgate compare --pr` (to find the base
 * branch and the head commit).
 */
#ifndef MG_CI_ENV_H
#define MG_CI_ENV_H

#include <stdbool.h>

#include "err.h"

/* An event file is a few KiB; GitHub caps webhook payloads at 25 MB. */
#define MG_CI_EVENT_MAX ((size_t)32 << 20)

typedef struct mg_ci_env {
	bool actions;      /* GITHUB_ACTIONS=true; nothing else is set if not */
	char *project;     /* GITHUB_REPOSITORY, "owner/repo", or NULL */
	char *branch;      /* GITHUB_HEAD_REF (pull requests), else
	                 * GITHUB_REF_NAME, or NULL */
	char *event;       /* GITHUB_EVENT_NAME, or NULL */
	bool pull_request; /* a pull_request(_target) event with its file */
	long long pr;      /* the event's "number", 0 if none */
	char *base_ref;    /* pull_request.base.ref, or NULL */
	char *base_sha;    /* pull_request.base.sha, or NULL */
	char *head_ref;    /* pull_request.head.ref, or NULL */
	char *head_sha;    /* pull_request.head.sha, or NULL */
} mg_ci_env;

/*
 * Read the environment (and the event file of a pull_request event) into
 * *out; release with mg_ci_env_release (also after an error). Outside
 * Actions everything stays NULL/0. Errors: MG_EIO (event file
 * unreadable), MG_ELIMIT (larger than MG_CI_EVENT_MAX), MG_EINPUT (not
 * JSON), MG_ENOMEM.
 */
int mg_ci_env_read(mg_ci_env *out, mg_err *err);
void mg_ci_env_release(mg_ci_env *e);

#endif
