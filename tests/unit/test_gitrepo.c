/*
 * test_gitrepo.c - mg_git on real repositories that the test builds with
 * the git command line in a temp dir:
 *
 *   c1 -- c2 -- c3 ----------- m (main)
 *            \               /
 *             f1 -- f2 -----   (feature, merged into main by m)
 */
#include "gitrepo.h"
#include "mgtest.h"

struct fixture {
	char *dir;
	mg_oid_hex c1, c2, c3, f1, f2, m;
};

static void git_ok(const char *dir, const char *cmd)
{
	mg_buf out = MG_BUF_INIT(1 << 20);
	int rc = mgt_sh(dir, &out, "%s 2>&1", cmd);

	if (rc != 0)
		fail_msg("'%s' failed (%d): %s", cmd, rc, out.ptr);
	mg_buf_release(&out);
}

static void rev(const char *dir, const char *name, mg_oid_hex out)
{
	mg_buf o = MG_BUF_INIT(1 << 10);

	assert_int_equal(mgt_sh(dir, &o, "git rev-parse %s", name), 0);
	assert_true(o.len >= 40);
	memcpy(out, o.ptr, 40);
	out[40] = '\0';
	mg_buf_release(&o);
}

/* Commit with a fixed date so commit_time is known: 1700000000 + n. */
static void commit(const char *dir, int n, const char *file,
                   const char *content, const char *msg)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
	         "printf '%s' > %s && git add %s && "
	         "GIT_COMMITTER_DATE='%d +0000' GIT_AUTHOR_DATE='%d +0000' "
	         "git commit -q -m '%s'",
	         content, file, file, 1700000000 + n, 1700000000 + n, msg);
	git_ok(dir, cmd);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *d;

	f->dir = mgt_tmpdir();
	d = f->dir;
	git_ok(d, "git init -q -b main . && git config user.name 'Ada' && "
	          "git config user.email ada@example.com && "
	          "git remote add origin "
	          "https://github.com/acme/widgets.git && mkdir -p sub/dir");
	commit(d, 1, "a.txt", "one\\n", "first commit");
	rev(d, "HEAD", f->c1);
	commit(d, 2, "a.txt", "two\\n", "second commit\n\nbody text");
	rev(d, "HEAD", f->c2);
	git_ok(d, "git checkout -q -b feature");
	commit(d, 3, "b.txt", "feature\\n", "feature one");
	rev(d, "HEAD", f->f1);
	commit(d, 5, "b.txt", "feature two\\n", "feature two");
	rev(d, "HEAD", f->f2);
	git_ok(d, "git checkout -q main");
	commit(d, 4, "c.txt", "three\\n", "third commit");
	rev(d, "HEAD", f->c3);
	git_ok(d, "GIT_COMMITTER_DATE='1700000006 +0000' git merge -q "
	          "--no-ff -m 'merge feature' feature");
	rev(d, "HEAD", f->m);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mgt_tmpdir_free(f->dir);
	free(f);
	return 0;
}

static void test_open_and_describe(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_git *g = NULL;
	mg_oid_hex sha;
	char *sub = mgt_path(f->dir, "sub/dir");
	char *branch = NULL, *url = NULL, *name;
	mg_run run;

	/* Discovery from a subdirectory, as git does. */
	assert_int_equal(mg_git_open(&g, sub, &err), 0);
	assert_non_null(strstr(mg_git_workdir(g), f->dir));
	assert_int_equal(mg_git_resolve(g, sha, "HEAD~1", &err), 0);
	assert_string_equal(sha, f->c3);
	assert_int_equal(mg_git_resolve(g, sha, "feature", &err), 0);
	assert_string_equal(sha, f->f2);
	assert_int_equal(mg_git_resolve(g, sha, "nonexistent", &err),
	                 MG_ENOTFOUND);
	assert_non_null(strstr(err.msg, "'nonexistent'"));

	mg_run_init(&run);
	assert_int_equal(mg_git_describe(g, &run, f->c2, &err), 0);
	assert_string_equal(run.commit.sha, f->c2);
	assert_int_equal(run.commit.nparents, 1);
	assert_string_equal(run.commit.parents[0], f->c1);
	assert_string_equal(run.commit.author, "Ada <ada@example.com>");
	assert_string_equal(run.commit.subject, "second commit");
	assert_int_equal(run.commit.commit_time, 1700000002);
	mg_run_release(&run);

	mg_run_init(&run);
	assert_int_equal(mg_git_describe(g, &run, "HEAD", &err), 0);
	assert_int_equal(run.commit.nparents, 2);
	assert_string_equal(run.commit.parents[0], f->c3);
	assert_string_equal(run.commit.parents[1], f->f2);
	mg_run_release(&run);

	assert_int_equal(mg_git_head_branch(g, &branch, &err), 0);
	assert_string_equal(branch, "main");
	free(branch);
	assert_int_equal(mg_git_remote_url(g, &url, &err), 0);
	assert_string_equal(url, "https://github.com/acme/widgets.git");
	name = mg_git_project_from_url(url);
	assert_string_equal(name, "acme/widgets");
	free(name);
	free(url);
	mg_git_free(g);
	free(sub);

	/* Detached HEAD has no branch. */
	git_ok(f->dir, "git checkout -q --detach HEAD~1");
	assert_int_equal(mg_git_open(&g, f->dir, &err), 0);
	assert_int_equal(mg_git_head_branch(g, &branch, &err), 0);
	assert_null(branch);
	mg_git_free(g);
}

static void test_not_a_repository(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_git *g = NULL;
	char *dir = mgt_tmpdir();

	(void)state;
	/*
	 * TMPDIR lives in the build tree, which may itself be in a repo:
	 * stop the search at its parent, as git would.
	 */
	*strrchr(dir, '/') = '\0';
	setenv("GIT_CEILING_DIRECTORIES", dir, 1);
	dir[strlen(dir)] = '/';
	assert_int_equal(mg_git_open(&g, dir, &err), MG_ENOTFOUND);
	assert_null(g);
	assert_non_null(strstr(err.msg, "is not inside a git repository"));
	unsetenv("GIT_CEILING_DIRECTORIES");
	mgt_tmpdir_free(dir);
}

static void test_dirty(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_git *g = NULL;
	bool dirty = true;

	assert_int_equal(mg_git_open(&g, f->dir, &err), 0);
	assert_int_equal(mg_git_is_dirty(g, &dirty, &err), 0);
	assert_false(dirty);
	/* Untracked files do not make a tree dirty... */
	git_ok(f->dir, "echo x > untracked.txt");
	assert_int_equal(mg_git_is_dirty(g, &dirty, &err), 0);
	assert_false(dirty);
	/* ...a modified tracked file does. */
	git_ok(f->dir, "echo changed >> a.txt");
	assert_int_equal(mg_git_is_dirty(g, &dirty, &err), 0);
	assert_true(dirty);
	mg_git_free(g);
}

static void test_list_ranges(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_git *g = NULL;
	mg_oid_hex *list = NULL;
	size_t n = 0;
	char range[128];

	assert_int_equal(mg_git_open(&g, f->dir, &err), 0);
	/* First parent from c1 (excluded) to main: c2, c3, m, oldest first */
	snprintf(range, sizeof(range), "%s..main", f->c1);
	assert_int_equal(
	        mg_git_list(g, &list, &n, range, 0, MG_GIT_FIRST_PARENT, &err),
	        0);
	assert_int_equal(n, 3);
	assert_string_equal(list[0], f->c2);
	assert_string_equal(list[1], f->c3);
	assert_string_equal(list[2], f->m);
	free(list);

	/* All parents: the feature commits too. */
	assert_int_equal(mg_git_list(g, &list, &n, range, 0, 0, &err), 0);
	assert_int_equal(n, 5);
	assert_string_equal(list[0], f->c2);
	assert_string_equal(list[4], f->m);
	free(list);

	/* The last 2 commits of main. */
	assert_int_equal(
	        mg_git_list(g, &list, &n, "main", 2, MG_GIT_FIRST_PARENT, &err),
	        0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], f->c3);
	assert_string_equal(list[1], f->m);
	free(list);

	assert_int_equal(
	        mg_git_list(g, &list, &n, "main...feature", 0, 0, &err),
	        MG_EINPUT);
	assert_int_equal(mg_git_list(g, &list, &n, "nope..main", 0, 0, &err),
	                 MG_ENOTFOUND);
	mg_git_free(g);
}

static void test_merge_base(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_git *g = NULL;
	mg_oid_hex base;

	assert_int_equal(mg_git_open(&g, f->dir, &err), 0);
	assert_int_equal(mg_git_merge_base(g, base, f->c3, f->f2, &err), 0);
	assert_string_equal(base, f->c2);
	assert_int_equal(mg_git_merge_base(g, base, "main", f->f1, &err), 0);
	assert_string_equal(base, f->f1);
	mg_git_free(g);
}

/*
 * Checking c1 out elsewhere writes c1's files there and leaves the
 * user's work tree (with an uncommitted change), index and HEAD alone.
 */
static void test_checkout_elsewhere(void **state)
{
	struct fixture *f = *state;
	mg_err err = MG_ERR_INIT;
	mg_git *g = NULL;
	mg_buf before = MG_BUF_INIT(1 << 16), after = MG_BUF_INIT(1 << 16);
	char *target = mgt_tmpdir();
	char *wt = mgt_path(target, "wt");
	char *file;
	char *content;
	mg_oid_hex head;

	git_ok(f->dir, "echo local edit >> a.txt && git add a.txt && "
	               "echo unstaged >> c.txt");
	assert_int_equal(mgt_sh(f->dir, &before,
	                        "git status --porcelain && git diff --cached "
	                        "&& git diff && git rev-parse HEAD"),
	                 0);
	assert_int_equal(mg_git_open(&g, f->dir, &err), 0);
	assert_int_equal(mg_git_checkout_to(g, f->c1, wt, &err), 0);

	file = mgt_path(wt, "a.txt");
	content = mgt_read_file(file, NULL);
	assert_string_equal(content, "one\n");
	free(content);
	free(file);
	file = mgt_path(wt, "c.txt");
	assert_null(mgt_read_file(file, NULL)); /* not in c1 */
	free(file);

	assert_int_equal(mgt_sh(f->dir, &after,
	                        "git status --porcelain && git diff --cached "
	                        "&& git diff && git rev-parse HEAD"),
	                 0);
	assert_string_equal(before.ptr, after.ptr);
	assert_int_equal(mg_git_resolve(g, head, "HEAD", &err), 0);
	assert_string_equal(head, f->m);
	mg_git_free(g);
	mg_buf_release(&before);
	mg_buf_release(&after);
	free(wt);
	mgt_tmpdir_free(target);
}

static void test_project_from_url(void **state)
{
	static const char *const cases[][2] = {
	        {"https://github.com/acme/widgets.git", "acme/widgets"},
	        {"https://github.com/acme/widgets", "acme/widgets"},
	        {"https://github.com/acme/widgets/", "acme/widgets"},
	        {"git@github.com:acme/widgets.git", "acme/widgets"},
	        {"ssh://git@gitlab.example/group/sub/proj.git", "sub/proj"},
	        {"/srv/git/widgets.git", "git/widgets"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *name = mg_git_project_from_url(cases[i][0]);

		assert_non_null(name);
		assert_string_equal(name, cases[i][1]);
		free(name);
	}
	assert_null(mg_git_project_from_url("widgets"));
	assert_null(mg_git_project_from_url(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_open_and_describe, setup,
	                                        teardown),
	        cmocka_unit_test(test_not_a_repository),
	        cmocka_unit_test_setup_teardown(test_dirty, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_list_ranges, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_merge_base, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_checkout_elsewhere, setup,
	                                        teardown),
	        cmocka_unit_test(test_project_from_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
