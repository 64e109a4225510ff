/*
 * gitrepo.c - libgit2 behind mg_git. libgit2 is initialised once per open
 * repository (its init/shutdown pair is reference counted).
 */
#include <errno.h>
#include <git2.h>
#include <sys/stat.h>

#include "buf.h"
#include "gitrepo.h"

struct mg_git {
	git_repository *repo; /* the open repository */
};

/* Copy libgit2's last error into err, prefixed with what we were doing. */
static int git_fail(mg_err *err, int code, const char *what,
                    const char *subject)
{
	const git_error *e = git_error_last();

	return mg_err_set(err, code, "%s '%s': %s", what, subject,
	                  e && e->message ? e->message : "libgit2 error");
}

int mg_git_open(mg_git **out, const char *path, mg_err *err)
{
	mg_git *g;
	int rc;

	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	git_libgit2_init();
	/* Honour GIT_CEILING_DIRECTORIES as git itself does. */
	rc = git_repository_open_ext(&g->repo, path, 0,
	                             getenv("GIT_CEILING_DIRECTORIES"));
	if (rc < 0) {
		rc = rc == GIT_ENOTFOUND
		             ? mg_err_set(err, MG_ENOTFOUND,
		                          "'%s' is not inside a git repository",
		                          path)
		             : git_fail(err, MG_EIO, "cannot open repository",
		                        path);
		free(g);
		git_libgit2_shutdown();
		return rc;
	}
	*out = g;
	return 0;
}

void mg_git_free(mg_git *g)
{
	if (g == NULL)
		return;
	git_repository_free(g->repo);
	free(g);
	git_libgit2_shutdown();
}

const char *mg_git_workdir(const mg_git *g)
{
	return git_repository_workdir(g->repo);
}

static int lookup_commit(mg_git *g, git_commit **out, const char *rev,
                         mg_err *err)
{
	git_object *obj = NULL;
	int rc;

	rc = git_revparse_single(&obj, g->repo, rev);
	if (rc < 0)
		return git_fail(err,
		                rc == GIT_ENOTFOUND || rc == GIT_EAMBIGUOUS
		                        ? MG_ENOTFOUND
		                        : MG_EIO,
		                "unknown revision", rev);
	rc = git_object_peel((git_object **)out, obj, GIT_OBJECT_COMMIT);
	git_object_free(obj);
	if (rc < 0)
		return git_fail(err, MG_EINPUT, "not a commit", rev);
	return 0;
}

int mg_git_resolve(mg_git *g, mg_oid_hex out, const char *rev, mg_err *err)
{
	git_commit *c = NULL;
	int error;

	error = lookup_commit(g, &c, rev, err);
	if (error < 0)
		return error;
	git_oid_tostr(out, MG_SHA_HEX + 1, git_commit_id(c));
	git_commit_free(c);
	return 0;
}

int mg_git_describe(mg_git *g, mg_run *run, const char *sha, mg_err *err)
{
	git_commit *c = NULL;
	const git_signature *author;
	mg_buf who = MG_BUF_INIT(MG_RUN_MAX_STR);
	const char *summary;
	unsigned i;
	int error;

	error = lookup_commit(g, &c, sha, err);
	if (error < 0)
		return error;
	git_oid_tostr(run->commit.sha, sizeof(run->commit.sha),
	              git_commit_id(c));
	for (i = 0; i < git_commit_parentcount(c); i++) {
		mg_oid_hex p;

		git_oid_tostr(p, sizeof(p), git_commit_parent_id(c, i));
		error = mg_run_add_parent(run, p);
		if (error < 0)
			goto oom;
	}
	author = git_commit_author(c);
	if (author) {
		error = mg_buf_printf(&who, "%s <%s>", author->name,
		                      author->email);
		if (error == 0)
			error = mg_run_set_str(&run->commit.author, who.ptr);
		if (error < 0)
			goto oom;
	}
	run->commit.commit_time = (int64_t)git_commit_time(c);
	summary = git_commit_summary(c);
	error = mg_run_set_str(&run->commit.subject, summary ? summary : "");
	if (error < 0)
		goto oom;
	goto cleanup;

oom:
	error = mg_err_set(err, error, "commit '%s': out of memory", sha);
cleanup:
	mg_buf_release(&who);
	git_commit_free(c);
	return error;
}

int mg_git_head_branch(mg_git *g, char **out, mg_err *err)
{
	git_reference *head = NULL;
	int rc;

	*out = NULL;
	rc = git_repository_head(&head, g->repo);
	if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND)
		return mg_err_set(err, MG_ENOTFOUND,
		                  "the repository has no commits yet");
	if (rc < 0)
		return git_fail(err, MG_EIO, "cannot read", "HEAD");
	if (git_reference_is_branch(head)) {
		*out = mg_strdup(git_reference_shorthand(head));
		if (*out == NULL)
			rc = mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	git_reference_free(head);
	return rc < 0 ? rc : 0;
}

int mg_git_remote_url(mg_git *g, char **out, mg_err *err)
{
	git_remote *remote = NULL;
	git_strarray names = {0};
	const char *url;
	int rc;

	*out = NULL;
	rc = git_remote_lookup(&remote, g->repo, "origin");
	if (rc == GIT_ENOTFOUND) {
		rc = git_remote_list(&names, g->repo);
		if (rc < 0)
			return git_fail(err, MG_EIO, "cannot list", "remotes");
		rc = names.count ? git_remote_lookup(&remote, g->repo,
		                                     names.strings[0])
		                 : GIT_ENOTFOUND;
		git_strarray_dispose(&names);
	}
	if (rc == GIT_ENOTFOUND)
		return 0;
	if (rc < 0)
		return git_fail(err, MG_EIO, "cannot read remote", "origin");
	url = git_remote_url(remote);
	if (url) {
		*out = mg_strdup(url);
		if (*out == NULL)
			rc = mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	git_remote_free(remote);
	return rc < 0 ? rc : 0;
}

int mg_git_is_dirty(mg_git *g, bool *out, mg_err *err)
{
	git_status_options opts;
	git_status_list *list = NULL;

	git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION);
	opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	opts.flags = GIT_STATUS_OPT_EXCLUDE_SUBMODULES;
	if (git_status_list_new(&list, g->repo, &opts) < 0)
		return git_fail(err, MG_EIO, "cannot read status of",
		                mg_git_workdir(g) ? mg_git_workdir(g) : ".");
	*out = git_status_list_entrycount(list) > 0;
	git_status_list_free(list);
	return 0;
}

/* Push or hide one revision of a range. */
static int walk_rev(git_revwalk *walk, mg_git *g, const char *rev, bool hide,
                    mg_err *err)
{
	git_commit *c = NULL;
	int rc, error;

	error = lookup_commit(g, &c, rev, err);
	if (error < 0)
		return error;
	rc = hide ? git_revwalk_hide(walk, git_commit_id(c))
	          : git_revwalk_push(walk, git_commit_id(c));
	git_commit_free(c);
	if (rc < 0)
		return git_fail(err, MG_EIO, "cannot walk from", rev);
	return 0;
}

int mg_git_list(mg_git *g, mg_oid_hex **out, size_t *n_out, const char *range,
                size_t last, unsigned flags, mg_err *err)
{
	git_revwalk *walk = NULL;
	mg_oid_hex *list = NULL;
	const char *dots = strstr(range, "..");
	char *from = NULL;
	size_t n = 0, cap = 0;
	git_oid oid;
	int rc, error;

	if (git_revwalk_new(&walk, g->repo) < 0)
		return git_fail(err, MG_EIO, "cannot walk", range);
	/* Newest first while walking; reversed at the end. */
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if (flags & MG_GIT_FIRST_PARENT)
		git_revwalk_simplify_first_parent(walk);
	if (dots) {
		if (dots[2] == '.') {
			error = mg_err_set(err, MG_EINPUT,
			                   "range '%s': use A..B, not A...B",
			                   range);
			goto cleanup;
		}
		from = mg_slice_dup((mg_slice){range, (size_t)(dots - range)});
		if (from == NULL) {
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto cleanup;
		}
		error = walk_rev(walk, g, dots[2] ? dots + 2 : "HEAD", false,
		                 err);
		if (error == 0)
			error = walk_rev(walk, g, from[0] ? from : "HEAD", true,
			                 err);
	} else {
		error = walk_rev(walk, g, range, false, err);
	}
	if (error < 0)
		goto cleanup;
	while ((rc = git_revwalk_next(&oid, walk)) == 0) {
		if (n == cap) {
			mg_oid_hex *nl;

			if (cap >= MG_GIT_MAX_LIST) {
				error = mg_err_set(err, MG_ELIMIT,
				                   "range '%s': more than %d "
				                   "commits",
				                   range, MG_GIT_MAX_LIST);
				goto cleanup;
			}
			cap = cap ? cap * 2 : 64;
			nl = realloc(list, cap * sizeof(*list));
			if (nl == NULL) {
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
				goto cleanup;
			}
			list = nl;
		}
		git_oid_tostr(list[n], sizeof(list[n]), &oid);
		n++;
		if (!dots && last > 0 && n == last)
			break;
	}
	if (rc < 0 && rc != GIT_ITEROVER) {
		error = git_fail(err, MG_EIO, "cannot walk", range);
		goto cleanup;
	}
	/* Oldest first, the order a backfill measures them in. */
	{
		size_t i;

		for (i = 0; i < n / 2; i++) {
			mg_oid_hex tmp;

			memcpy(tmp, list[i], sizeof(tmp));
			memcpy(list[i], list[n - 1 - i], sizeof(tmp));
			memcpy(list[n - 1 - i], tmp, sizeof(tmp));
		}
	}
	*out = list;
	*n_out = n;
	list = NULL;
	error = 0;

cleanup:
	free(list);
	free(from);
	git_revwalk_free(walk);
	return error;
}

int mg_git_merge_base(mg_git *g, mg_oid_hex out, const char *a, const char *b,
                      mg_err *err)
{
	git_commit *ca = NULL, *cb = NULL;
	git_oid base;
	int rc, error;

	error = lookup_commit(g, &ca, a, err);
	if (error == 0)
		error = lookup_commit(g, &cb, b, err);
	if (error == 0) {
		rc = git_merge_base(&base, g->repo, git_commit_id(ca),
		                    git_commit_id(cb));
		if (rc == GIT_ENOTFOUND)
			error = mg_err_set(err, MG_ENOTFOUND,
			                   "'%s' and '%s' have no common "
			                   "ancestor",
			                   a, b);
		else if (rc < 0)
			error = git_fail(err, MG_EIO, "merge base of", a);
		else
			git_oid_tostr(out, MG_SHA_HEX + 1, &base);
	}
	git_commit_free(ca);
	git_commit_free(cb);
	return error;
}

int mg_git_checkout_to(mg_git *g, const char *sha, const char *dir, mg_err *err)
{
	git_checkout_options opts;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	int error;

	git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION);
	error = lookup_commit(g, &c, sha, err);
	if (error < 0)
		return error;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		error = mg_err_set(err, MG_EIO, "cannot create '%s': %s", dir,
		                   strerror(errno));
		goto cleanup;
	}
	if (git_commit_tree(&tree, c) < 0) {
		error = git_fail(err, MG_EIO, "cannot read tree of", sha);
		goto cleanup;
	}
	/*
	 * FORCE writes every file of the tree into the (empty) target; the
	 * repository's own index must stay as the user left it.
	 */
	opts.checkout_strategy = GIT_CHECKOUT_FORCE |
	                         GIT_CHECKOUT_DONT_UPDATE_INDEX |
	                         GIT_CHECKOUT_RECREATE_MISSING;
	opts.target_directory = dir;
	if (git_checkout_tree(g->repo, (git_object *)tree, &opts) < 0)
		error = git_fail(err, MG_EIO, "cannot check out", sha);
cleanup:
	git_tree_free(tree);
	git_commit_free(c);
	return error;
}

char *mg_git_project_from_url(const char *url)
{
	const char *end, *slash1, *slash2;
	size_t len;

	if (url == NULL)
		return NULL;
	len = strlen(url);
	while (len > 0 && url[len - 1] == '/')
		len--;
	if (len > 4 && memcmp(url + len - 4, ".git", 4) == 0)
		len -= 4;
	end = url + len;
	/* The last two components, separated by '/' or scp-style ':'. */
	for (slash1 = end;
	     slash1 > url && slash1[-1] != '/' && slash1[-1] != ':'; slash1--)
		;
	if (slash1 == url || slash1 == end)
		return NULL;
	for (slash2 = slash1 - 1;
	     slash2 > url && slash2[-1] != '/' && slash2[-1] != ':'; slash2--)
		;
	if (slash2 == slash1 - 1)
		return mg_slice_dup((mg_slice){slash1, (size_t)(end - slash1)});
	return mg_slice_dup((mg_slice){slash2, (size_t)(end - slash2)});
}
