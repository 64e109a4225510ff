/*
 * cmd_collect.c - `memgate collect`: measure the checked-out commit (the
 * CI step), or every commit of a range in temporary work trees (backfill),
 * and store each run in the local SQLite database.
 *
 * A backfill never touches the user's work tree or index: each commit is
 * written into its own temporary directory with libgit2 and removed
 * afterwards. Commits already measured with the same command on the same
 * environment are skipped, so an interrupted backfill resumes; Ctrl-C
 * kills the running command's process group and stores nothing of the
 * commit in progress.
 *
 * With --server (or MEMGATE_SERVER) each run is uploaded instead, through
 * collector/upload.c; with --db as well it is stored locally too, and
 * only then can a backfill skip commits already measured (the server is
 * not asked). A run the server does not take waits in the spool for
 * `memgate push`, and collect exits 2 so CI does not pass silently.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "ci_env.h"
#include "cli.h"
#include "envinfo.h"
#include "gitrepo.h"
#include "log.h"
#include "measure.h"
#include "measure_cmd.h"
#include "store.h"
#include "upload.h"

static const char usage_text[] =
        "usage: memgate collect [options]\n"
        "       memgate collect --range A..B | --last N [options]\n\n"
        "Measures the commit checked out in the current git work tree (or "
        "each\n"
        "commit of a range, in temporary work trees) and stores the run.\n\n"
        "What to run:\n"
        "  --build CMD           build command (shell), run first\n"
        "  --bench CMD           benchmark command (shell); default:\n"
        "                        go test -run='^$' -bench=. -benchmem "
        "-count=N ./...\n"
        "  --count N             repetitions for the default command (10)\n"
        "  --timeout SECS        per command (default 3600)\n"
        "  --profile KIND=PATH   store a profile the command writes "
        "(repeatable)\n"
        "  --go-profiles         one go test per package with -memprofile "
        "and\n"
        "                        -cpuprofile; every package's profiles are "
        "stored\n"
        "Which commits:\n"
        "  --range A..B          commits reachable from B and not from A\n"
        "  --last N              the last N commits of the current branch\n"
        "  --all-parents         walk merged branches too (default: first "
        "parent)\n"
        "  --shard I/N           measure only commits I, I+N, ... (CI "
        "matrix)\n"
        "  --allow-dirty         measure a work tree with uncommitted "
        "changes\n"
        "Where and what to record:\n"
        "  --db PATH             default: .memgate/memgate.db at the "
        "repository root\n"
        "  --project NAME        default: from the origin remote (owner/repo)\n"
        "  --branch NAME         default: the current branch\n"
        "  --pr N --base-ref REF pull request number and base branch\n"
        "  --runner-label L      a label for this kind of runner\n"
        "  --server URL          upload each run to a memgate server (default\n"
        "                        $MEMGATE_SERVER) instead of storing it; with\n"
        "                        --db too, both (and only then does a "
        "backfill\n"
        "                        skip commits already measured)\n"
        "  --token T             the server's token (default $MEMGATE_TOKEN)\n"
        "  --spool DIR           where runs wait when the server cannot take\n"
        "                        them (default .memgate/spool at the "
        "repository\n"
        "                        root); 'memgate push' sends them\n"
        "  --format text|json    what to print (default text)\n"
        "  --quiet               do not copy the commands' output to stderr\n\n"
        "In GitHub Actions (GITHUB_ACTIONS=true) the project, branch and pull\n"
        "request come from GITHUB_REPOSITORY, GITHUB_REF and the event file.\n"
        "Exit status: 0 stored, 2 a build or benchmark failed (the failed run\n"
        "is stored), a run was spooled instead of uploaded, or another "
        "error.\n";

struct collect {
	mg_measure_opts mo;
	const char *db_path;
	char *db_owned;
	char *project;
	char *branch;
	const char *label;
	const char *range;
	long long last;
	unsigned walk_flags;
	long long shard_i, shard_n;
	long long pr;
	char *base_ref;
	char *base_sha;
	bool allow_dirty;
	int format;
	mg_git *git;
	mg_store *store;
	char *clone_url;
	cJSON *report; /* json output: an array of runs */
	/* --server (upload.h): upload instead of, or besides, --db */
	const char *server, *token, *spool;
	char *spool_owned;
	mg_upload *upload;
	size_t nspooled; /* runs left in the spool for `memgate push` */
};

/* Take a string from the CI environment unless the flags set it. */
static void take(char **field, char **from)
{
	if (*field == NULL) {
		*field = *from;
		*from = NULL;
	}
}

/* Fill project, branch and PR from GitHub Actions' environment. */
static int read_actions_env(struct collect *c, mg_err *err)
{
	mg_ci_env ci;
	int error = mg_ci_env_read(&ci, err);

	take(&c->project, &ci.project);
	take(&c->branch, &ci.branch);
	take(&c->base_ref, &ci.base_ref);
	take(&c->base_sha, &ci.base_sha);
	if (c->pr == 0)
		c->pr = ci.pr;
	mg_ci_env_release(&ci);
	return error;
}

static void progress(const struct collect *c, size_t i, size_t n,
                     const mg_run *run, int64_t started_ms, const char *what)
{
	int64_t now = (int64_t)time(NULL) * 1000;
	double elapsed = (double)(now - started_ms) / 1000.0;
	double eta = i > 0 ? elapsed / (double)i * (double)(n - i) : 0;

	(void)c;
	if (isatty(2))
		fprintf(stderr,
		        "\r\033[K[%zu/%zu] %.7s %.40s  %s  elapsed %.0fs  eta "
		        "%.0fs",
		        i + 1, n, run->commit.sha,
		        run->commit.subject ? run->commit.subject : "", what,
		        elapsed, eta);
	else
		fprintf(stderr, "memgate: [%zu/%zu] %.7s %s: %s\n", i + 1, n,
		        run->commit.sha,
		        run->commit.subject ? run->commit.subject : "", what);
}

static void report_run(struct collect *c, const mg_run *run, int64_t id,
                       bool skipped)
{
	size_t i, nprof = run->nprofiles;

	if (c->format == MG_FORMAT_JSON) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			return;
		cJSON_AddStringToObject(o, "sha", run->commit.sha);
		cJSON_AddStringToObject(o, "status",
		                        skipped                    ? "skipped"
		                        : run->status == MG_RUN_OK ? "ok"
		                                                   : "failed");
		if (!skipped) {
			cJSON_AddNumberToObject(o, "run_id", (double)id);
			cJSON_AddNumberToObject(o, "benchmarks",
			                        (double)run->nbenches);
			cJSON_AddNumberToObject(o, "samples",
			                        (double)run->nsamples);
			cJSON_AddNumberToObject(o, "profiles", (double)nprof);
			cJSON_AddNumberToObject(o, "wall_ns",
			                        (double)run->wall_ns);
			cJSON_AddNumberToObject(o, "peak_rss_bytes",
			                        (double)run->peak_rss);
		}
		cJSON_AddItemToArray(c->report, o);
		return;
	}
	if (skipped) {
		printf("%.12s skipped (already measured)\n", run->commit.sha);
		return;
	}
	/* id 0: not stored locally and not (yet) on the server */
	if (id > 0)
		printf("%.12s run %lld ", run->commit.sha, (long long)id);
	else
		printf("%.12s ", run->commit.sha);
	printf("%s: %zu benchmarks, %zu samples, %zu "
	       "profiles, wall %.1fs, peak RSS %.1f MiB\n",
	       run->status == MG_RUN_OK ? "ok" : "FAILED", run->nbenches,
	       run->nsamples, nprof, (double)run->wall_ns / 1e9,
	       (double)run->peak_rss / (1024.0 * 1024.0));
	if (run->status != MG_RUN_OK && run->log_tail) {
		const char *tail = run->log_tail;
		size_t len = strlen(tail);

		/* The last lines say what failed. */
		for (i = len > 2000 ? len - 2000 : 0; i < len; i++)
			putchar(tail[i]);
		if (len && tail[len - 1] != '\n')
			putchar('\n');
	}
}

/*
 * Say what became of an upload (error: mg_upload_run's result). A run
 * spooled because the server was unreachable lets a backfill go on; a
 * wrong token or a rejected run stops it with the error.
 */
static int report_upload(struct collect *c, const mg_run *run,
                         const mg_upload_result *up, int error, mg_err *err)
{
	const char *server = mg_upload_server(c->upload);
	cJSON *o =
	        c->report
	                ? cJSON_GetArrayItem(c->report,
	                                     cJSON_GetArraySize(c->report) - 1)
	                : NULL;

	static const char *const outcomes[] = {"created",      "existed",
	                                       "unreachable",  "token refused",
	                                       "wrong server", "rejected"};

	if (o && (error == 0 || up->path))
		cJSON_AddStringToObject(o, "upload", outcomes[up->outcome]);
	if (o && error == 0) {
		cJSON_AddNumberToObject(o, "server_run_id", (double)up->id);
		cJSON_AddStringToObject(o, "server", server);
		if (up->url[0])
			cJSON_AddStringToObject(o, "url", up->url);
	} else if (o && up->path) {
		cJSON_AddStringToObject(o, "kept_in", up->path);
	}
	if (error == 0) {
		if (c->format != MG_FORMAT_JSON)
			printf("%.12s %s %s: run %lld%s%s\n", run->commit.sha,
			       up->outcome == MG_UPLOAD_EXISTED
			               ? "was already on"
			               : "uploaded to",
			       server, (long long)up->id, up->url[0] ? " " : "",
			       up->url);
		return 0;
	}
	if (up->path == NULL)
		return error;
	if (up->outcome == MG_UPLOAD_REJECTED) {
		fprintf(stderr, "memgate: the rejected run is kept in '%s'\n",
		        up->path);
		return error;
	}
	c->nspooled++;
	if (up->outcome == MG_UPLOAD_AUTH)
		return error; /* a configuration error: stop, say it last */
	fprintf(stderr, "memgate: %s\nmemgate: %.12s spooled to '%s'\n",
	        err->msg, run->commit.sha, up->path);
	mg_err_clear(err);
	return 0;
}

/*
 * Measure commit `sha` in `dir` (the user's work tree for the checked-out
 * commit, a temporary one in a backfill) and store it. *failed is set when
 * the run was stored as failed.
 */
static int collect_commit(struct collect *c, const char *sha, const char *dir,
                          bool is_worktree, bool check_done, size_t i, size_t n,
                          int64_t started_ms, bool *failed, mg_err *err)
{
	mg_envinfo_opts eo;
	mg_run run;
	int64_t id = 0;
	mg_upload_result up;
	bool dirty = false, done = false;
	char *tmp = NULL;
	mg_buf tmpdir = MG_BUF_INIT(4096);
	int error;

	mg_run_init(&run);
	mg_upload_result_init(&up);
	memset(&eo, 0, sizeof(eo));
	eo.label = c->label;
	eo.dir = dir;
	if (mg_run_set_str(&run.project, c->project) < 0 ||
	    mg_run_set_str(&run.clone_url, c->clone_url) < 0 ||
	    mg_run_set_str(&run.branch, c->branch) < 0 ||
	    mg_run_set_str(&run.base_ref, c->base_ref) < 0 ||
	    mg_run_set_str(&run.base_sha, c->base_sha) < 0) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	run.pr_number = c->pr;
	error = mg_git_describe(c->git, &run, sha, err);
	if (error < 0)
		goto cleanup;
	if (is_worktree) {
		error = mg_git_is_dirty(c->git, &dirty, err);
		if (error < 0)
			goto cleanup;
		if (dirty && !c->allow_dirty) {
			error = mg_err_set(err, MG_EINPUT,
			                   "the work tree has uncommitted "
			                   "changes: commit them or pass "
			                   "--allow-dirty");
			goto cleanup;
		}
		run.dirty = dirty;
	}
	error = mg_envinfo_collect(&run.env, &eo, err);
	if (error < 0)
		goto cleanup;
	if (check_done && c->store) {
		char *cmd = c->mo.bench_cmd
		                    ? mg_strdup(c->mo.bench_cmd)
		                    : mg_measure_default_cmd(c->mo.count);

		if (cmd == NULL) {
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto cleanup;
		}
		run.bench_cmd = cmd;
		error = mg_store_has_run(c->store, &run, &done, err);
		if (error < 0)
			goto cleanup;
		if (done) {
			progress(c, i, n, &run, started_ms, "skipped");
			report_run(c, &run, 0, true);
			goto cleanup;
		}
	}
	if (!is_worktree) {
		error = mg_buf_printf(&tmpdir, "%s/memgate-wt.XXXXXX",
		                      getenv("TMPDIR") ? getenv("TMPDIR")
		                                       : "/tmp");
		if (error < 0 || mkdtemp(tmpdir.ptr) == NULL) {
			error = mg_err_set(err, MG_EIO,
			                   "cannot create a temp dir: %s",
			                   strerror(errno));
			goto cleanup;
		}
		tmp = tmpdir.ptr;
		error = mg_git_checkout_to(c->git, sha, tmp, err);
		if (error < 0)
			goto cleanup;
		dir = tmp;
	}
	progress(c, i, n, &run, started_ms, "measuring");
	run.started_at = (int64_t)time(NULL) * 1000;
	error = mg_measure(&run, dir, &c->mo, err);
	run.ended_at = (int64_t)time(NULL) * 1000;
	if (isatty(2))
		fputc('\n', stderr);
	if (error < 0)
		goto cleanup;
	if (c->store) {
		error = mg_store_add_run(c->store, &run, &id, NULL, err);
		if (error < 0)
			goto cleanup;
	}
	*failed = run.status != MG_RUN_OK;
	if (c->upload) {
		error = mg_upload_run(c->upload, &up, &run, c->spool, err);
		if (c->store == NULL)
			id = up.id;
	}
	report_run(c, &run, id, false);
	if (c->upload)
		error = report_upload(c, &run, &up, error, err);

cleanup:
	if (tmp)
		mg_rmtree(tmp);
	mg_buf_release(&tmpdir);
	mg_upload_result_release(&up);
	mg_run_release(&run);
	return error;
}

static int parse_profile_opt(struct collect *c, const char *arg, mg_err *err)
{
	const char *eq = strchr(arg, '=');
	mg_measure_profile *p;

	if (eq == NULL || eq == arg || eq[1] == '\0')
		return mg_err_set(err, MG_EINPUT,
		                  "--profile: expected KIND=PATH, got '%s'",
		                  arg);
	if (c->mo.nprofiles == MG_MEASURE_MAX_PROFILES)
		return mg_err_set(err, MG_ELIMIT, "--profile: more than %d",
		                  MG_MEASURE_MAX_PROFILES);
	p = &c->mo.profiles[c->mo.nprofiles];
	p->kind = mg_slice_dup((mg_slice){arg, (size_t)(eq - arg)});
	p->path = eq + 1;
	if (p->kind == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	c->mo.nprofiles++;
	return 0;
}

static int parse_shard(struct collect *c, const char *arg, mg_err *err)
{
	char *end = NULL;

	errno = 0;
	c->shard_i = strtoll(arg, &end, 10);
	if (errno == 0 && end != arg && *end == '/') {
		const char *n = end + 1;

		c->shard_n = strtoll(n, &end, 10);
		if (errno == 0 && end != n && *end == '\0' && c->shard_n > 0 &&
		    c->shard_i >= 0 && c->shard_i < c->shard_n)
			return 0;
	}
	return mg_err_set(err, MG_EINPUT,
	                  "--shard: expected I/N with 0 <= I < N, got '%s'",
	                  arg);
}

static int parse_args(struct collect *c, int argc, char **argv, mg_err *err,
                      bool *help)
{
	static const struct option opts[] = {
	        {"build", required_argument, NULL, 'b'},
	        {"bench", required_argument, NULL, 'B'},
	        {"count", required_argument, NULL, 'c'},
	        {"timeout", required_argument, NULL, 't'},
	        {"profile", required_argument, NULL, 'p'},
	        {"go-profiles", no_argument, NULL, 'g'},
	        {"measure", required_argument, NULL, MG_MEASURE_OPT_MEASURE},
	        {"repeat", required_argument, NULL, MG_MEASURE_OPT_REPEAT},
	        {"name", required_argument, NULL, MG_MEASURE_OPT_NAME},
	        {"massif", no_argument, NULL, MG_MEASURE_OPT_MASSIF},
	        {"pprof-url", required_argument, NULL,
	         MG_MEASURE_OPT_PPROF_URL},
	        {"pprof-interval", required_argument, NULL,
	         MG_MEASURE_OPT_PPROF_INTERVAL},
	        {"range", required_argument, NULL, 'r'},
	        {"last", required_argument, NULL, 'l'},
	        {"all-parents", no_argument, NULL, 'a'},
	        {"shard", required_argument, NULL, 's'},
	        {"allow-dirty", no_argument, NULL, 'D'},
	        {"db", required_argument, NULL, 'd'},
	        {"project", required_argument, NULL, 'P'},
	        {"branch", required_argument, NULL, 'R'},
	        {"pr", required_argument, NULL, 'n'},
	        {"base-ref", required_argument, NULL, 'e'},
	        {"runner-label", required_argument, NULL, 'L'},
	        {"format", required_argument, NULL, 'f'},
	        {"server", required_argument, NULL, 'S'},
	        {"token", required_argument, NULL, 'T'},
	        {"spool", required_argument, NULL, 'O'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	long long v;
	int o, error = 0;

	optind = 1;
	while (error == 0 &&
	       (o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (o) {
		case 'b':
			c->mo.build_cmd = optarg;
			break;
		case 'B':
			c->mo.bench_cmd = optarg;
			break;
		case 'c':
			error = mg_cli_parse_count(&v, optarg, "--count", err);
			c->mo.count = v > 100000 ? 100000 : (int)v;
			break;
		case 't':
			error = mg_cli_parse_count(&v, optarg, "--timeout",
			                           err);
			c->mo.timeout_ms = v * 1000;
			break;
		case 'p':
			error = parse_profile_opt(c, optarg, err);
			break;
		case 'g':
			c->mo.go_profiles = true;
			break;
		case MG_MEASURE_OPT_MEASURE:
		case MG_MEASURE_OPT_REPEAT:
		case MG_MEASURE_OPT_NAME:
		case MG_MEASURE_OPT_MASSIF:
		case MG_MEASURE_OPT_PPROF_URL:
		case MG_MEASURE_OPT_PPROF_INTERVAL:
			error = mg_measure_cmd_option(&c->mo, o, optarg, err);
			break;
		case 'r':
			c->range = optarg;
			break;
		case 'l':
			error = mg_cli_parse_count(&c->last, optarg, "--last",
			                           err);
			break;
		case 'a':
			c->walk_flags &= ~(unsigned)MG_GIT_FIRST_PARENT;
			break;
		case 's':
			error = parse_shard(c, optarg, err);
			break;
		case 'D':
			c->allow_dirty = true;
			break;
		case 'd':
			c->db_path = optarg;
			break;
		case 'P':
			free(c->project);
			c->project = mg_strdup(optarg);
			break;
		case 'R':
			free(c->branch);
			c->branch = mg_strdup(optarg);
			break;
		case 'n':
			error = mg_cli_parse_count(&c->pr, optarg, "--pr", err);
			break;
		case 'e':
			free(c->base_ref);
			c->base_ref = mg_strdup(optarg);
			break;
		case 'L':
			c->label = optarg;
			break;
		case 'f':
			c->format = mg_cli_format_parse(
			        optarg, MG_FMT_BIT(MG_FORMAT_TEXT) |
			                        MG_FMT_BIT(MG_FORMAT_JSON));
			if (c->format < 0)
				error = mg_err_set(err, MG_EINPUT,
				                   "--format: expected text or "
				                   "json, got '%s'",
				                   optarg);
			break;
		case 'q':
			c->mo.tee = false;
			break;
		case 'S':
			c->server = optarg;
			break;
		case 'T':
			c->token = optarg;
			break;
		case 'O':
			c->spool = optarg;
			break;
		case 'h':
			*help = true;
			return 0;
		default:
			error = mg_err_set(err, MG_EINPUT,
			                   "bad option (see --help)");
		}
	}
	if (error == 0 && optind < argc)
		error = mg_err_set(err, MG_EINPUT, "unexpected argument '%s'",
		                   argv[optind]);
	if (error == 0 && c->range && c->last)
		error = mg_err_set(err, MG_EINPUT,
		                   "--range and --last exclude each other");
	if (c->server == NULL && getenv("MEMGATE_SERVER") &&
	    getenv("MEMGATE_SERVER")[0])
		c->server = getenv("MEMGATE_SERVER");
	if (c->token == NULL)
		c->token = getenv("MEMGATE_TOKEN");
	return error;
}

/* Project, branch, database: flags first, then Actions, then git. */
static int resolve_context(struct collect *c, mg_err *err)
{
	int error;

	error = read_actions_env(c, err);
	if (error < 0)
		return error;
	error = mg_git_open(&c->git, ".", err);
	if (error < 0)
		return error;
	error = mg_git_remote_url(c->git, &c->clone_url, err);
	if (error < 0)
		return error;
	if (c->project == NULL) {
		error = mg_cli_default_project(&c->project, err);
		if (error < 0)
			return error;
	}
	if (c->branch == NULL) {
		error = mg_git_head_branch(c->git, &c->branch, err);
		if (error < 0)
			return error;
	}
	if (c->server) {
		error = mg_cli_open_upload(&c->upload, c->server, c->token,
		                           &c->spool, &c->spool_owned, err);
		if (error < 0 || c->db_path == NULL)
			return error;
	} else if (c->db_path == NULL) {
		error = mg_cli_default_db(&c->db_owned, err);
		if (error < 0)
			return error;
		c->db_path = c->db_owned;
	}
	return mg_store_open(&c->store, c->db_path, 0, err);
}

static int run_collect(struct collect *c, bool *any_failed, mg_err *err)
{
	mg_oid_hex *list = NULL, head;
	size_t n = 0, i, k = 0, todo = 0;
	int64_t started = (int64_t)time(NULL) * 1000;
	bool failed = false;
	int error;

	if (c->range == NULL && c->last == 0) {
		error = mg_git_resolve(c->git, head, "HEAD", err);
		if (error == 0)
			error = collect_commit(c, head, mg_git_workdir(c->git),
			                       true, false, 0, 1, started,
			                       &failed, err);
		*any_failed = failed;
		return error;
	}
	error = mg_git_list(c->git, &list, &n, c->range ? c->range : "HEAD",
	                    (size_t)c->last, c->walk_flags, err);
	if (error < 0)
		return error;
	for (i = 0; i < n; i++)
		if (c->shard_n == 0 || (long long)i % c->shard_n == c->shard_i)
			todo++;
	for (i = 0; i < n && error == 0; i++) {
		if (c->shard_n && (long long)i % c->shard_n != c->shard_i)
			continue;
		if (mg_cli_interrupted) {
			error = mg_err_set(err, MG_ECONFLICT, "interrupted");
			break;
		}
		failed = false;
		error = collect_commit(c, list[i], NULL, false, true, k++, todo,
		                       started, &failed, err);
		if (failed)
			*any_failed = true;
	}
	free(list);
	return error;
}

int cmd_collect(int argc, char **argv)
{
	struct collect c;
	mg_cli_signals sigs;
	mg_err err = MG_ERR_INIT;
	bool help = false, failed = false;
	size_t i;
	int status = MG_EXIT_ERROR;

	memset(&c, 0, sizeof(c));
	c.mo.count = 10;
	c.mo.timeout_ms = 3600 * 1000;
	c.mo.tee = true;
	c.mo.cancel = &mg_cli_interrupted;
	c.walk_flags = MG_GIT_FIRST_PARENT;
	c.format = MG_FORMAT_TEXT;
	if (parse_args(&c, argc, argv, &err, &help) < 0) {
		mg_cli_usage_error("collect", "%s", err.msg);
		goto cleanup;
	}
	if (help) {
		fputs(usage_text, stdout);
		fputs(mg_measure_cmd_usage, stdout);
		status = MG_EXIT_OK;
		goto cleanup;
	}
	mg_cli_signals_catch(&sigs);
	if (c.format == MG_FORMAT_JSON)
		c.report = cJSON_CreateArray();
	if (resolve_context(&c, &err) < 0 || run_collect(&c, &failed, &err) < 0)
		mg_cli_fail(&err);
	else
		status = failed ? MG_EXIT_ERROR : MG_EXIT_OK;
	mg_cli_signals_restore(&sigs);
	if (c.report) {
		char *text = cJSON_Print(c.report);

		if (text)
			puts(text);
		cJSON_free(text);
	}
	if (failed && status == MG_EXIT_ERROR)
		fputs("memgate: a build or benchmark failed; the failed run "
		      "was stored\n",
		      stderr);
	if (c.nspooled) {
		fprintf(stderr,
		        "memgate: %zu run%s not uploaded but kept in '%s'; "
		        "run 'memgate push' to send\n",
		        c.nspooled, c.nspooled == 1 ? " was" : "s were",
		        c.spool);
		status = MG_EXIT_ERROR;
	}

cleanup:
	for (i = 0; i < c.mo.nprofiles; i++)
		free((char *)c.mo.profiles[i].kind);
	cJSON_Delete(c.report);
	mg_store_close(c.store);
	mg_upload_free(c.upload);
	free(c.spool_owned);
	mg_git_free(c.git);
	free(c.db_owned);
	free(c.project);
	free(c.branch);
	free(c.base_ref);
	free(c.base_sha);
	free(c.clone_url);
	return status;
}
