/*
 * gitrepo.h - what memgate needs from git, through libgit2: find the
 * repository around a directory, describe commits, list the commits of a
 * range, find merge bases, and check a commit out into a separate
 * directory without touching the user's work tree or index.
 */
#ifndef MG_GITREPO_H
#define MG_GITREPO_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "run.h"

typedef struct mg_git mg_git;

/* An object id in hex, NUL-terminated. */
typedef char mg_oid_hex[MG_SHA_HEX + 1];

/* Commits listed by mg_git_list at most (a backfill of 100k is plenty). */
#define MG_GIT_MAX_LIST 100000

/*
 * Open the repository containing `path` (searching upwards, as git does).
 * MG_ENOTFOUND if there is none.
 */
int mg_git_open(mg_git **out, const char *path, mg_err *err);
void mg_git_free(mg_git *g);

/* The work tree's root directory (with a trailing '/'), NULL if bare. */
const char *mg_git_workdir(const mg_git *g);

/* Resolve a revision ("HEAD", "main", "v1.2^", a short sha) to a commit. */
int mg_git_resolve(mg_git *g, mg_oid_hex out, const char *rev, mg_err *err);

/*
 * Fill run->commit for commit `sha`: sha, parents (first first), author
 * "Name <email>", committer time, subject (first line of the message).
 */
int mg_git_describe(mg_git *g, mg_run *run, const char *sha, mg_err *err);

/* The branch HEAD points at ("main"); *out NULL when HEAD is detached. */
int mg_git_head_branch(mg_git *g, char **out, mg_err *err);

/* The URL of remote "origin" (else the first remote); NULL if none. */
int mg_git_remote_url(mg_git *g, char **out, mg_err *err);

/* True if tracked files differ from HEAD (untracked files do not count). */
int mg_git_is_dirty(mg_git *g, bool *out, mg_err *err);

enum mg_git_list_flags {
	MG_GIT_FIRST_PARENT = 1 << 0, /* follow first parents only */
};

/*
 * The commits of `range`, oldest first: "A..B" (reachable from B, not from
 * A), or a single revision R with `last` > 0 (the last `last` commits
 * ending at R). *out is malloc'd (free()), *n_out its length.
 */
int mg_git_list(mg_git *g, mg_oid_hex **out, size_t *n_out, const char *range,
                size_t last, unsigned flags, mg_err *err);

/* The best common ancestor of a and b (revisions). */
int mg_git_merge_base(mg_git *g, mg_oid_hex out, const char *a, const char *b,
                      mg_err *err);

/*
 * Write the tree of commit `sha` into directory `dir` (created if
 * missing). The repository's index, HEAD and work tree are not touched.
 */
int mg_git_checkout_to(mg_git *g, const char *sha, const char *dir,
                       mg_err *err);

/*
 * A project name from a remote URL: "https://host/owner/repo.git" and
 * "git@host:owner/repo.git" give "owner/repo". Returns a malloc'd string,
 * NULL if the URL has no path (or on ENOMEM).
 */
char *mg_git_project_from_url(const char *url);

#endif
