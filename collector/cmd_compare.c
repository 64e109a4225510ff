/*
 * cmd_compare.c - `memgate compare`: compare two Go benchmark files, or
 * two commits from the local store, and print the verdict as benchstat's
 * text table, the pull-request comment (markdown) or JSON. Exit status 1
 * when a regression is found, 0 otherwise, 2 on errors.
 *
 * Settings come from the command line, then `.memgate.ini` at the root of
 * the repository (thresholds, alpha, confidence), then the defaults of
 * lib/stats. In GitHub Actions, --pr takes the base branch and the head
 * commit from the pull_request event (collector/ci_env.c).
 */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>

#include "buf.h"
#include "fsutil.h"
#include "ci_env.h"
#include "cli.h"
#include "compare.h"
#include "gitrepo.h"
#include "gobench.h"
#include "store.h"
#include "verdict_opts.h"

/* Parse warnings shown per input file; more are only counted. */
#define MAX_SHOWN_WARNINGS 20

static const char usage_text[] =
        "usage: memgate compare OLD.txt NEW.txt [options]\n"
        "       memgate compare --base REF [--head REF] [options]\n"
        "       memgate compare --base-ref BRANCH [--head REF] [options]\n"
        "       memgate compare --pr [options]\n\n"
        "Compares benchmark results, base against head: two files of Go\n"
        "benchmark output, or the runs of two commits in the store "
        "(several\nruns of one commit pooled). Prints what `benchstat OLD "
        "NEW` prints\n(text), the pull-request comment (markdown) or the "
        "verdict as JSON.\n\n";

static const char usage_store[] =
        "From the store:\n"
        "  --base REF         the base commit (a ref or sha)\n"
        "  --head REF         the head commit (default HEAD)\n"
        "  --base-ref BRANCH  base: the merge-base of head and BRANCH, or "
        "the\n"
        "                     nearest first-parent ancestor of it with "
        "runs\n"
        "  --pr               in GitHub Actions: BRANCH and head from the\n"
        "                     pull_request event; other events: the "
        "head's\n"
        "                     nearest first-parent ancestor with runs\n"
        "  --max-walk N       commits searched for a baseline (default 50)\n"
        "  --db PATH          default: .memgate/memgate.db at the "
        "repository root\n"
        "  --project NAME     default: from the origin remote "
        "(owner/repo)\n\n"
        "Exit status: 0 no regression, 1 regression found, 2 error.\n";

struct opts {
	mg_verdict_opts v;
	const char *base, *head, *base_ref, *db, *project;
	bool pr;
	long long max_walk;
	const char *files[2];
	size_t nfiles;
};

static int parse_args(struct opts *o, int argc, char **argv, bool *help,
                      mg_err *err)
{
	static const struct option opts[] = {
	        MG_VERDICT_OPTIONS,
	        {"base", required_argument, NULL, 'b'},
	        {"head", required_argument, NULL, 'H'},
	        {"base-ref", required_argument, NULL, 'r'},
	        {"pr", no_argument, NULL, 'p'},
	        {"max-walk", required_argument, NULL, 'w'},
	        {"db", required_argument, NULL, 'd'},
	        {"project", required_argument, NULL, 'P'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	int ch, error = 0;

	optind = 1;
	while (error == 0 &&
	       (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		error = mg_verdict_opts_take(&o->v, ch, optarg, err);
		if (error <= 0)
			continue;
		error = 0;
		switch (ch) {
		case 'b':
			o->base = optarg;
			break;
		case 'H':
			o->head = optarg;
			break;
		case 'r':
			o->base_ref = optarg;
			break;
		case 'p':
			o->pr = true;
			break;
		case 'w':
			error = mg_cli_parse_count(&o->max_walk, optarg,
			                           "--max-walk", err);
			if (error == 0 && o->max_walk > 100000)
				o->max_walk = 100000;
			break;
		case 'd':
			o->db = optarg;
			break;
		case 'P':
			o->project = optarg;
			break;
		case 'h':
			*help = true;
			return 0;
		default:
			error = mg_err_set(err, MG_EINPUT, "bad option");
		}
	}
	if (error < 0)
		return error;
	while (optind < argc) {
		if (o->nfiles == 2)
			return mg_err_set(err, MG_EINPUT,
			                  "unexpected argument '%s'",
			                  argv[optind]);
		o->files[o->nfiles++] = argv[optind++];
	}
	if (o->nfiles == 1)
		return mg_err_set(err, MG_EINPUT,
		                  "give two files (OLD NEW), or --base/--head");
	if (o->nfiles == 2 &&
	    (o->base || o->head || o->base_ref || o->pr || o->db))
		return mg_err_set(
		        err, MG_EINPUT,
		        "files and --base/--head/--base-ref/--pr/--db "
		        "exclude each other");
	if (o->nfiles == 0 && !o->base && !o->base_ref && !o->pr)
		return mg_err_set(err, MG_EINPUT,
		                  "nothing to compare: give OLD NEW, --base, "
		                  "--base-ref or --pr");
	if (o->base && o->base_ref)
		return mg_err_set(err, MG_EINPUT,
		                  "--base and --base-ref exclude each other");
	return 0;
}

/* One side from a Go benchmark file; labelled with the path as given. */
static int load_file(mg_compare *c, int side, const char *path, mg_err *err)
{
	mg_buf text = MG_BUF_INIT(MG_GOBENCH_MAX_INPUT);
	mg_compare_side_info info = {path, NULL, NULL};
	mg_gobench *gb = NULL;
	mg_run run;
	size_t i, n;
	int error;

	mg_run_init(&run);
	error = mg_compare_set_side(c, side, &info, err);
	if (error == 0)
		error = mg_read_file(&text, path, err);
	if (error < 0)
		goto cleanup;
	error = mg_gobench_parse(&gb, text.ptr, text.len, path, err);
	if (error == MG_EINPUT) {
		/* No results: nothing measured on this side. */
		char msg[MG_ERR_MSG_MAX];

		snprintf(msg, sizeof(msg), "%s", err->msg);
		mg_err_clear(err);
		mg_compare_set_missing(c, side);
		error = mg_compare_add_note(c, err, "%s", msg);
		goto cleanup;
	}
	if (error < 0)
		goto cleanup;
	n = mg_gobench_nwarnings(gb);
	for (i = 0; i < n && i < MAX_SHOWN_WARNINGS; i++)
		fprintf(stderr, "memgate: %s\n",
		        mg_gobench_warning_at(gb, i)->msg);
	if (n + mg_gobench_warnings_dropped(gb) > MAX_SHOWN_WARNINGS)
		fprintf(stderr, "memgate: %s: %zu more warnings\n", path,
		        n + mg_gobench_warnings_dropped(gb) -
		                MAX_SHOWN_WARNINGS);
	error = mg_gobench_to_run(&run, gb, err);
	if (error == 0)
		error = mg_compare_add_run(c, side, &run, 0, err);
cleanup:
	mg_gobench_free(gb);
	mg_run_release(&run);
	mg_buf_release(&text);
	return error;
}

/* Whether the store has runs of revision rev (resolved in g). */
static bool has_runs(mg_store *st, mg_git *g, const char *project,
                     const char *rev)
{
	mg_oid_hex sha;
	mg_commit_run *runs = NULL;
	size_t n = 0;

	if (mg_git_resolve(g, sha, rev, NULL) < 0 ||
	    mg_store_commit_runs(st, project, sha, &runs, &n, NULL) < 0)
		return false;
	mg_commit_run_free(runs, n);
	return n > 0;
}

static int load_store(mg_compare *c, const struct opts *o, mg_err *err)
{
	mg_compare_source src;
	mg_ci_env ci;
	mg_git *g = NULL;
	mg_store *st = NULL;
	char *db = NULL, *project = NULL;
	int error;

	memset(&src, 0, sizeof(src));
	error = mg_ci_env_read(&ci, err);
	if (error == 0)
		error = mg_git_open(&g, ".", err);
	if (error < 0)
		goto cleanup;
	if (o->project)
		project = mg_strdup(o->project);
	else if (ci.project)
		project = mg_strdup(ci.project);
	else
		error = mg_cli_default_project(&project, err);
	if (error == 0 && project == NULL)
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
	if (error == 0 && o->db == NULL)
		error = mg_cli_default_db(&db, err);
	if (error == 0)
		error = mg_store_open(&st, o->db ? o->db : db,
		                      MG_STORE_READONLY, err);
	if (error < 0)
		goto cleanup;
	src.project = project;
	src.head = o->head ? o->head : "HEAD";
	src.base = o->base;
	src.base_ref = o->base_ref;
	src.max_walk = (size_t)o->max_walk;
	if (o->pr && ci.pull_request) {
		if (src.base_ref == NULL && src.base == NULL)
			src.base_ref = ci.base_ref;
		/*
		 * The event's head commit, unless only the checked-out one
		 * (a pull_request checkout is the merge commit) was measured.
		 */
		if (o->head == NULL && ci.head_sha &&
		    (has_runs(st, g, project, ci.head_sha) ||
		     !has_runs(st, g, project, "HEAD")))
			src.head = ci.head_sha;
	}
	error = mg_compare_load(c, st, g, &src, err);
cleanup:
	mg_store_close(st);
	mg_git_free(g);
	mg_ci_env_release(&ci);
	free(db);
	free(project);
	return error;
}

int cmd_compare(int argc, char **argv)
{
	struct opts o;
	mg_compare_opts co;
	mg_compare_thresholds thr;
	mg_err err = MG_ERR_INIT;
	mg_compare *c = NULL;
	bool help = false;
	int status = MG_EXIT_ERROR, error;

	memset(&o, 0, sizeof(o));
	mg_verdict_opts_init(&o.v);
	mg_compare_thresholds_init(&thr);
	if (parse_args(&o, argc, argv, &help, &err) < 0) {
		mg_cli_usage_error("compare", "%s", err.msg);
		goto cleanup;
	}
	if (help) {
		fputs(usage_text, stdout);
		fputs(mg_verdict_opts_usage, stdout);
		fputs(usage_store, stdout);
		status = MG_EXIT_OK;
		goto cleanup;
	}
	error = mg_verdict_opts_settings(&o.v, &co, &thr, &err);
	if (error == 0)
		error = mg_compare_new(&c, &co, &err);
	if (error == 0 && o.nfiles == 2) {
		error = load_file(c, MG_COMPARE_BASE, o.files[0], &err);
		if (error == 0)
			error = load_file(c, MG_COMPARE_HEAD, o.files[1], &err);
	} else if (error == 0) {
		error = load_store(c, &o, &err);
	}
	if (error == 0)
		error = mg_compare_run(c, &err);
	if (error == 0)
		error = mg_verdict_opts_render(c, &o.v, &err);
	if (error < 0) {
		mg_cli_fail(&err);
		goto cleanup;
	}
	status = mg_compare_verdict(c) == MG_STATS_REGRESSION
	                 ? MG_EXIT_REGRESSION
	                 : MG_EXIT_OK;
cleanup:
	mg_compare_free(c);
	mg_compare_thresholds_release(&thr);
	return status;
}
