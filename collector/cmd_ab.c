/*
 * cmd_ab.c - `memgate ab`: a paired A/B measurement of two commits on
 * this runner. Both commits are checked out into temporary work trees
 * and built; then their benchmark commands run interleaved, one
 * repetition per round (base, head, head, base, ...), so that drift of
 * the machine (a neighbour's load, thermal throttling, a cache warming)
 * falls on both sides alike instead of on whichever side ran second.
 * This is the mode for ns/op and peak RSS on shared CI runners.
 *
 * With one commit on both sides (`--base HEAD --head HEAD`, "A/A") the
 * same code is compared with itself: what differs is the benchmark's own
 * noise, which is stored per benchmark and unit as its noise floor
 * (mg_stats_noise_floor) and used by every later comparison.
 *
 * --confirm: when the comparison finds regressions, only the flagged
 * benchmarks run again for more interleaved rounds (a -bench pattern
 * built from their names), and the verdict is made on all the samples.
 *
 * The two runs, their pairing and any floors are stored in one
 * transaction, after the verdict: Ctrl-C stores nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <unistd.h>

#include "abjson.h"
#include "buf.h"
#include "cli.h"
#include "compare.h"
#include "envinfo.h"
#include "fsutil.h"
#include "gitrepo.h"
#include "gobench.h"
#include "measure.h"
#include "stats.h"
#include "store.h"
#include "upload.h"
#include "verdict_opts.h"

/* Rounds at most: each is a process per package and side. */
#define MAX_ROUNDS 1000
/* Benchmarks re-run by --confirm at most (the pattern stays readable). */
#define MAX_CONFIRM 500

static const char usage_text[] =
        "usage: memgate ab --base REF [--head REF] [options]\n\n"
        "Checks out and builds both commits in temporary work trees, then "
        "runs\ntheir benchmarks interleaved on this machine, one repetition "
        "per round\n(base, head, head, base, ...), stores both runs with "
        "their pairing and\nprints the verdict. With the same commit on both "
        "sides (A/A, e.g.\n--base HEAD --head HEAD) it measures each "
        "benchmark's noise floor\ninstead: later comparisons never call a "
        "change within it a regression.\n\n"
        "  --base REF            the base commit (a ref or sha)\n"
        "  --head REF            the head commit (default HEAD)\n"
        "  --count N             interleaved rounds (default 10)\n"
        "  --confirm             when regressions are found, re-run only "
        "those\n"
        "                        benchmarks for more rounds before the "
        "verdict\n"
        "  --confirm-count N     rounds of --confirm (default: --count)\n"
        "  --build CMD           build command (shell), once per commit\n"
        "  --bench CMD           one round's benchmark command (shell); "
        "default:\n"
        "                        go test -run='^$' -bench=. -benchmem "
        "-count=1 ./...\n"
        "                        '{bench}' in CMD becomes the quoted -bench "
        "pattern\n"
        "                        ('.', or the flagged benchmarks for "
        "--confirm)\n"
        "  --go-profiles         heap and CPU profiles per package in the "
        "first\n"
        "                        round (for attribution)\n"
        "  --timeout SECS        per command (default 3600)\n"
        "  --db PATH             default: .memgate/memgate.db at the "
        "repository root\n"
        "  --project NAME        default: from the origin remote "
        "(owner/repo)\n"
        "  --runner-label L      a label for this kind of runner\n"
        "  --server URL          also upload both runs and the session to "
        "a\n"
        "                        memgate server (default $MEMGATE_SERVER)\n"
        "  --token T             the server's token (default "
        "$MEMGATE_TOKEN)\n"
        "  --spool DIR           where uploads wait when the server cannot "
        "take\n"
        "                        them (default .memgate/spool); 'memgate "
        "push'\n"
        "                        sends them\n"
        "  --quiet               do not copy the commands' output to "
        "stderr\n";

static const char usage_tail[] =
        "\nThe runs are stored without a branch: they do not enter the "
        "history of\nany branch, but `memgate compare` finds them by commit.\n"
        "Exit status: 0 no regression (or A/A done), 1 regression found, 2 "
        "a build\nor benchmark failed (the failed run is stored) or another "
        "error.\n";

enum { BASE = 0, HEAD = 1 };

struct side {
	const char *rev;
	mg_oid_hex sha;
	mg_buf dir; /* the temporary work tree, "" until created */
	mg_run run;
	int64_t next_seq; /* the seq of this side's next sample */
};

/* A benchmark flagged for confirmation. */
struct flagged {
	const char *package; /* points into a compare's results */
	const char *name;
	int procs;
};

struct ab {
	mg_measure_opts mo;
	mg_verdict_opts v;
	mg_compare_opts co;
	mg_compare_thresholds thr;
	const char *bench_tmpl; /* --bench, NULL: the go test default */
	long long rounds, confirm_rounds;
	bool confirm, quiet;
	const char *db_path;
	const char *server, *token, *spool;
	char *spool_owned;
	mg_upload *upload;
	size_t nspooled; /* uploads left in the spool for `memgate push` */
	char *db_owned;
	char *project, *clone_url;
	const char *label;
	mg_git *git;
	mg_store *store;
	struct side side[2];
	bool aa;
	int64_t confirm_done; /* rounds of --confirm run */
	size_t nconfirmed;    /* benchmarks they ran */
	struct flagged *flagged;
	size_t nflagged;
};

static int parse_args(struct ab *a, int argc, char **argv, bool *help,
                      mg_err *err)
{
	static const struct option opts[] = {
	        MG_VERDICT_OPTIONS,
	        {"base", required_argument, NULL, 'b'},
	        {"head", required_argument, NULL, 'H'},
	        {"count", required_argument, NULL, 'n'},
	        {"confirm", no_argument, NULL, 'k'},
	        {"confirm-count", required_argument, NULL, 'K'},
	        {"build", required_argument, NULL, 'B'},
	        {"bench", required_argument, NULL, 'x'},
	        {"go-profiles", no_argument, NULL, 'g'},
	        {"timeout", required_argument, NULL, 'T'},
	        {"db", required_argument, NULL, 'd'},
	        {"project", required_argument, NULL, 'P'},
	        {"runner-label", required_argument, NULL, 'l'},
	        {"server", required_argument, NULL, 'S'},
	        {"token", required_argument, NULL, 'o'},
	        {"spool", required_argument, NULL, 's'},
	        {"quiet", no_argument, NULL, 'q'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	long long v;
	int ch, error = 0;

	optind = 1;
	while (error == 0 &&
	       (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		error = mg_verdict_opts_take(&a->v, ch, optarg, err);
		if (error <= 0)
			continue;
		error = 0;
		switch (ch) {
		case 'b':
			a->side[BASE].rev = optarg;
			break;
		case 'H':
			a->side[HEAD].rev = optarg;
			break;
		case 'n':
		case 'K':
			error = mg_cli_parse_count(
			        &v, optarg,
			        ch == 'n' ? "--count" : "--confirm-count", err);
			if (error == 0 && v > MAX_ROUNDS)
				error = mg_err_set(
				        err, MG_EINPUT, "%s: at most %d rounds",
				        ch == 'n' ? "--count"
				                  : "--confirm-count",
				        MAX_ROUNDS);
			if (ch == 'n')
				a->rounds = v;
			else
				a->confirm_rounds = v;
			break;
		case 'k':
			a->confirm = true;
			break;
		case 'B':
			a->mo.build_cmd = optarg;
			break;
		case 'x':
			a->bench_tmpl = optarg;
			break;
		case 'g':
			a->mo.go_profiles = true;
			break;
		case 'T':
			error = mg_cli_parse_count(&v, optarg, "--timeout",
			                           err);
			a->mo.timeout_ms = v * 1000;
			break;
		case 'd':
			a->db_path = optarg;
			break;
		case 'P':
			a->project = mg_strdup(optarg);
			if (a->project == NULL)
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
			break;
		case 'S':
			a->server = optarg;
			break;
		case 'o':
			a->token = optarg;
			break;
		case 's':
			a->spool = optarg;
			break;
		case 'l':
			a->label = optarg;
			break;
		case 'q':
			a->quiet = true;
			a->mo.tee = false;
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
	if (optind < argc)
		return mg_err_set(err, MG_EINPUT, "unexpected argument '%s'",
		                  argv[optind]);
	if (a->side[BASE].rev == NULL)
		return mg_err_set(err, MG_EINPUT,
		                  "--base is required (for A/A: --base HEAD "
		                  "--head HEAD)");
	if (a->side[HEAD].rev == NULL)
		a->side[HEAD].rev = "HEAD";
	if (a->confirm_rounds == 0)
		a->confirm_rounds = a->rounds;
	return 0;
}

/*
 * One round's command: --bench with '{bench}' replaced by the quoted
 * pattern, or the go test default with -count=1. regex NULL: everything;
 * packages NULL: ./... (the default command only).
 */
static char *round_cmd(const struct ab *a, const char *regex,
                       const char *packages, bool profiles)
{
	mg_buf b = MG_BUF_INIT(MG_RUN_MAX_STR);
	const char *p, *hole;

	if (a->bench_tmpl == NULL)
		return mg_measure_go_cmd(
		        1, regex,
		        a->mo.go_profiles && profiles ? "" : packages);
	for (p = a->bench_tmpl; (hole = strstr(p, "{bench}")) != NULL;
	     p = hole + 7) {
		if (mg_buf_put(&b, p, (size_t)(hole - p)) < 0 ||
		    mg_measure_shell_quote(&b, regex ? regex : ".") < 0)
			goto fail;
	}
	if (mg_buf_puts(&b, p) < 0)
		goto fail;
	return mg_buf_detach(&b);
fail:
	mg_buf_release(&b);
	return NULL;
}

/* Keep only the flagged benchmarks of a --confirm round. */
static bool keep_flagged(void *ctx, const mg_bench *b)
{
	const struct ab *a = ctx;
	size_t i;

	for (i = 0; i < a->nflagged; i++)
		if (a->flagged[i].procs == b->procs &&
		    strcmp(a->flagged[i].name, b->name) == 0 &&
		    strcmp(a->flagged[i].package,
		           b->package ? b->package : "") == 0)
			return true;
	return false;
}

/*
 * Measure one round of one side in its work tree and add the samples
 * to the side's run. The first round also keeps the profiles and names
 * the run's command. A failed round marks the side's run failed.
 */
static int run_round(struct ab *a, struct side *sd, const char *cmd, bool first,
                     bool confirming, mg_err *err)
{
	mg_measure_opts mo = a->mo;
	char *prof_cmd = NULL;
	mg_run r;
	int64_t max_seq;
	int error;

	mg_run_init(&r);
	mo.build_cmd = NULL;
	mo.bench_cmd = cmd;
	mo.go_profiles = a->mo.go_profiles && first;
	mo.nprofiles = first ? a->mo.nprofiles : 0;
	if (mo.go_profiles && a->bench_tmpl == NULL) {
		/* One package per go test: the package list must go. */
		prof_cmd = round_cmd(a, NULL, NULL, true);
		if (prof_cmd == NULL)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
		mo.bench_cmd = prof_cmd;
	}
	error = mg_measure(&r, sd->dir.ptr, &mo, err);
	free(prof_cmd);
	if (error < 0)
		goto cleanup;
	sd->run.wall_ns += r.wall_ns;
	if (r.peak_rss > sd->run.peak_rss)
		sd->run.peak_rss = r.peak_rss;
	if (r.status != MG_RUN_OK) {
		sd->run.status = MG_RUN_FAILED;
		sd->run.exit_status = r.exit_status;
		sd->run.log_tail = r.log_tail;
		r.log_tail = NULL;
		goto cleanup;
	}
	error = mg_run_merge_samples(&sd->run, &r, sd->next_seq,
	                             confirming ? keep_flagged : NULL, a,
	                             &max_seq);
	if (error < 0) {
		error = mg_err_set(err, error, "%s: too many samples",
		                   sd->run.commit.sha);
		goto cleanup;
	}
	sd->next_seq += max_seq + 1;
	if (first) {
		/* The first round's profiles become the run's. */
		sd->run.profiles = r.profiles;
		sd->run.nprofiles = r.nprofiles;
		r.profiles = NULL;
		r.nprofiles = 0;
		if (mg_run_set_str(&sd->run.bench_cmd, cmd) < 0)
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
	}
cleanup:
	mg_run_release(&r);
	return error;
}

static bool side_failed(const struct ab *a)
{
	return a->side[BASE].run.status != MG_RUN_OK ||
	       a->side[HEAD].run.status != MG_RUN_OK;
}

/*
 * `n` interleaved rounds: base first in even rounds, head first in odd
 * ones. Stops at the first failed round (the side is marked failed).
 */
static int run_rounds(struct ab *a, long long n, const char *cmd,
                      bool confirming, mg_err *err)
{
	long long r;
	int k, error = 0;

	for (r = 0; r < n && error == 0 && !side_failed(a); r++) {
		for (k = 0; k < 2 && error == 0 && !side_failed(a); k++) {
			int s = (r % 2 == 0) == (k == 0) ? BASE : HEAD;

			if (mg_cli_interrupted)
				return mg_err_set(err, MG_ECONFLICT,
				                  "interrupted");
			if (!a->quiet)
				fprintf(stderr,
				        "memgate: %sround %lld/%lld: %s "
				        "%.12s\n",
				        confirming ? "confirmation " : "",
				        r + 1, n, s == BASE ? "base" : "head",
				        a->side[s].sha);
			error = run_round(a, &a->side[s], cmd,
			                  r == 0 && !confirming, confirming,
			                  err);
		}
	}
	return error;
}

/* Describe, check out and build one side. */
static int prepare_side(struct ab *a, struct side *sd, mg_err *err)
{
	mg_envinfo_opts eo;
	int error;

	error = mg_git_resolve(a->git, sd->sha, sd->rev, err);
	if (error < 0)
		return error;
	if (mg_run_set_str(&sd->run.project, a->project) < 0 ||
	    mg_run_set_str(&sd->run.clone_url, a->clone_url) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_git_describe(a->git, &sd->run, sd->sha, err);
	if (error < 0)
		return error;
	if (mg_buf_printf(&sd->dir, "%s/memgate-ab.XXXXXX",
	                  getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if (mkdtemp(sd->dir.ptr) == NULL) {
		mg_buf_reset(&sd->dir);
		return mg_err_set(err, MG_EIO, "cannot create a temp dir: %s",
		                  strerror(errno));
	}
	error = mg_git_checkout_to(a->git, sd->sha, sd->dir.ptr, err);
	if (error < 0)
		return error;
	memset(&eo, 0, sizeof(eo));
	eo.label = a->label;
	eo.dir = sd->dir.ptr;
	error = mg_envinfo_collect(&sd->run.env, &eo, err);
	if (error < 0)
		return error;
	sd->run.started_at = (int64_t)time(NULL) * 1000;
	if (!a->quiet && a->mo.build_cmd)
		fprintf(stderr, "memgate: building %.12s\n", sd->sha);
	return mg_measure_build(&sd->run, sd->dir.ptr, &a->mo, err);
}

/* A comparison of the two sides as they stand, with the stored floors. */
static int judge(struct ab *a, mg_compare **out, const int64_t ids[2],
                 mg_err *err)
{
	mg_compare *c = NULL;
	mg_compare_side_info info;
	char label[2][16];
	int s, error;

	error = mg_compare_new(&c, &a->co, err);
	for (s = 0; s < 2 && error == 0; s++) {
		snprintf(label[s], sizeof(label[s]), "%.12s", a->side[s].sha);
		info.label = label[s];
		info.sha = a->side[s].sha;
		info.ref = a->side[s].rev;
		error = mg_compare_set_side(
		        c, s == BASE ? MG_COMPARE_BASE : MG_COMPARE_HEAD, &info,
		        err);
		if (error == 0)
			error = mg_compare_add_run(
			        c,
			        s == BASE ? MG_COMPARE_BASE : MG_COMPARE_HEAD,
			        &a->side[s].run, ids[s], err);
	}
	if (error == 0 && !a->aa)
		error = mg_compare_load_floors(c, a->store, a->project,
		                               &a->side[HEAD].run.env, err);
	if (error == 0)
		error = mg_compare_add_note(c, err,
		                            "paired A/B on one runner: %lld "
		                            "interleaved rounds",
		                            (long long)a->rounds);
	if (error == 0 && a->confirm_done)
		error = mg_compare_add_note(
		        c, err,
		        "--confirm: %lld confirmation rounds of %zu flagged "
		        "benchmark%s",
		        (long long)a->confirm_done, a->nconfirmed,
		        a->nconfirmed == 1 ? "" : "s");
	if (error == 0)
		error = mg_compare_run(c, err);
	if (error < 0) {
		mg_compare_free(c);
		return error;
	}
	*out = c;
	return 0;
}

/* The regressions of c, as the set --confirm re-runs. */
static int flag_regressions(struct ab *a, const mg_compare *c, mg_err *err)
{
	size_t i, j;

	free(a->flagged);
	a->flagged = NULL;
	a->nflagged = 0;
	for (i = 0; i < mg_compare_count(c); i++) {
		const mg_compare_pair *p = mg_compare_pair_at(c, i);
		struct flagged *nf;

		if (p->verdict != MG_STATS_REGRESSION)
			continue;
		for (j = 0; j < a->nflagged; j++)
			if (a->flagged[j].procs == p->procs &&
			    strcmp(a->flagged[j].name, p->name) == 0 &&
			    strcmp(a->flagged[j].package, p->package) == 0)
				break;
		if (j < a->nflagged)
			continue;
		if (a->nflagged == MAX_CONFIRM)
			break;
		nf = realloc(a->flagged, (a->nflagged + 1) * sizeof(*nf));
		if (nf == NULL)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
		a->flagged = nf;
		nf[a->nflagged].package = p->package;
		nf[a->nflagged].name = p->name;
		nf[a->nflagged].procs = p->procs;
		a->nflagged++;
	}
	return 0;
}

/*
 * --confirm: the flagged benchmarks (a->flagged, pointing into c) run
 * again for confirm_rounds interleaved rounds. The pattern and the
 * package list narrow the command; the results are filtered as well,
 * since the pattern may select a few others.
 */
static int confirm_rounds(struct ab *a, mg_err *err)
{
	mg_buf re = MG_BUF_INIT(MG_RUN_MAX_STR / 2);
	mg_buf pkgs = MG_BUF_INIT(MG_RUN_MAX_STR / 2);
	const char **names = NULL;
	char *cmd = NULL;
	bool all_pkgs = false;
	size_t i, j;
	int error = 0;

	names = calloc(a->nflagged, sizeof(*names));
	if (names == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	for (i = 0; i < a->nflagged; i++)
		names[i] = a->flagged[i].name;
	if (mg_gobench_bench_regex(&re, names, a->nflagged) < 0) {
		/* Too long a pattern: run everything, keep the flagged. */
		mg_buf_reset(&re);
	}
	for (i = 0; i < a->nflagged && !all_pkgs && error == 0; i++) {
		const char *p = a->flagged[i].package;

		for (j = 0; j < i; j++)
			if (strcmp(a->flagged[j].package, p) == 0)
				break;
		if (p[0] == '\0')
			all_pkgs = true;
		else if (j == i && pkgs.len)
			error = mg_buf_putc(&pkgs, ' ');
		if (error == 0 && p[0] && j == i)
			error = mg_measure_shell_quote(&pkgs, p);
	}
	if (error < 0) {
		/* Too long a list: every package, filtered afterwards. */
		all_pkgs = true;
		error = 0;
	}
	cmd = round_cmd(a, re.len ? re.ptr : NULL, all_pkgs ? NULL : pkgs.ptr,
	                false);
	if (cmd == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	fprintf(stderr,
	        "memgate: confirming %zu benchmark%s with %lld more "
	        "rounds: %s\n",
	        a->nflagged, a->nflagged == 1 ? "" : "s", a->confirm_rounds,
	        cmd);
	error = run_rounds(a, a->confirm_rounds, cmd, true, err);
	if (error == 0) {
		a->confirm_done = a->confirm_rounds;
		a->nconfirmed = a->nflagged;
	}
cleanup:
	free(cmd);
	free(names);
	mg_buf_release(&re);
	mg_buf_release(&pkgs);
	return error;
}

/* ---- A/A: noise floors -------------------------------------------------- */

struct keyed {
	const mg_run *run;
	const mg_sample *s;
};

static int cmp_keyed(const void *pa, const void *pb)
{
	const struct keyed *x = pa, *y = pb;
	const mg_bench *bx = &x->run->benches[x->s->bench];
	const mg_bench *by = &y->run->benches[y->s->bench];
	int c;

	if ((c = strcmp(bx->package ? bx->package : "",
	                by->package ? by->package : "")) != 0 ||
	    (c = strcmp(bx->name, by->name)) != 0)
		return c;
	if (bx->procs != by->procs)
		return bx->procs < by->procs ? -1 : 1;
	return strcmp(x->s->unit, y->s->unit);
}

/* A run's samples ordered by benchmark and unit. */
static struct keyed *sorted_samples(const mg_run *run)
{
	struct keyed *k = malloc((run->nsamples + 1) * sizeof(*k));
	size_t i;

	if (k == NULL)
		return NULL;
	for (i = 0; i < run->nsamples; i++) {
		k[i].run = run;
		k[i].s = &run->samples[i];
	}
	qsort(k, run->nsamples, sizeof(*k), cmp_keyed);
	return k;
}

/* Copy the values of the group of equal keys starting at k[i]; count. */
static size_t group(double *v, const struct keyed *k, size_t n, size_t i)
{
	size_t m = 0, j;

	for (j = i; j < n && cmp_keyed(&k[i], &k[j]) == 0; j++)
		v[m++] = k[j].s->value;
	return m;
}

/*
 * The floor of every benchmark and unit present on both sides of an A/A
 * session, indexed by the head run's benchmarks.
 */
static int measure_floors(struct ab *a, mg_ab_floor **out, size_t *n_out,
                          mg_err *err)
{
	const mg_run *b = &a->side[BASE].run, *h = &a->side[HEAD].run;
	struct keyed *kb = sorted_samples(b), *kh = sorted_samples(h);
	/* vb takes the head's group too, for the pooled median. */
	double *vb = malloc((b->nsamples + h->nsamples + 1) * sizeof(double));
	double *vh = malloc((h->nsamples + 1) * sizeof(double));
	mg_ab_floor *fl = NULL;
	size_t i = 0, j = 0, n = 0, nb, nh;
	int error = 0;

	*out = NULL;
	*n_out = 0;
	fl = calloc(h->nsamples + 1, sizeof(*fl));
	if (!kb || !kh || !vb || !vh || !fl) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	while (i < b->nsamples && j < h->nsamples && error == 0) {
		int c = cmp_keyed(&kb[i], &kh[j]);
		double rel, center;

		if (c < 0) {
			i += group(vb, kb, b->nsamples, i);
			continue;
		}
		if (c > 0) {
			j += group(vh, kh, h->nsamples, j);
			continue;
		}
		nb = group(vb, kb, b->nsamples, i);
		nh = group(vh, kh, h->nsamples, j);
		error = mg_stats_noise_floor(&rel, vb, nb, vh, nh,
		                             a->co.confidence, err);
		if (error == 0) {
			memcpy(vb + nb, vh, nh * sizeof(double));
			error = mg_stats_median(&center, vb, nb + nh, err);
		}
		if (error == 0) {
			const mg_bench *hb = &h->benches[kh[j].s->bench];

			fl[n].package = hb->package ? hb->package : "";
			fl[n].name = hb->name;
			fl[n].procs = hb->procs;
			fl[n].unit = kh[j].s->unit;
			fl[n].n = (int64_t)(nb < nh ? nb : nh);
			fl[n].center = center;
			fl[n].rel = rel;
			n++;
		} else if (error == MG_ENOTFOUND) {
			error = 0; /* too few samples: no floor */
		}
		i += nb;
		j += nh;
	}
	if (error == 0) {
		*out = fl;
		*n_out = n;
		fl = NULL;
	}
cleanup:
	free(kb);
	free(kh);
	free(vb);
	free(vh);
	free(fl);
	return error;
}

static void json_str(mg_buf *o, const char *s)
{
	mg_buf_putc(o, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			mg_buf_printf(o, "\\%c", ch);
		else if (ch < 0x20)
			mg_buf_printf(o, "\\u%04x", ch);
		else
			mg_buf_putc(o, (char)ch);
	}
	mg_buf_putc(o, '"');
}

/* The floors an A/A session measured, in the chosen format. */
static int print_floors(const struct ab *a, const mg_ab_floor *fl, size_t n,
                        const int64_t ids[3], mg_err *err)
{
	const mg_run *h = &a->side[HEAD].run;
	mg_buf o = MG_BUF_INIT(MG_BUF_NOLIMIT), name = MG_BUF_INIT(8192);
	size_t i;
	int error = 0;

	if (a->v.format == MG_FORMAT_JSON) {
		mg_buf_printf(&o,
		              "{\n  \"session\": %lld,\n  \"commit\": "
		              "\"%s\",\n  \"rounds\": %lld,\n  \"runs\": "
		              "[%lld, %lld],\n  \"floors\": [",
		              (long long)ids[2], h->commit.sha, a->rounds,
		              (long long)ids[0], (long long)ids[1]);
	} else if (a->v.format == MG_FORMAT_MARKDOWN) {
		mg_buf_printf(&o,
		              "**A/A noise floors** of `%.12s`, %lld "
		              "interleaved rounds (session %lld)\n\n"
		              "| benchmark | unit | n | median | noise floor "
		              "|\n|---|---|--:|--:|--:|\n",
		              h->commit.sha, a->rounds, (long long)ids[2]);
	} else {
		mg_buf_printf(&o,
		              "A/A noise floors of %.12s, %lld interleaved "
		              "rounds (session %lld; runs %lld, %lld)\n%-48s "
		              "%-12s %4s %14s %8s\n",
		              h->commit.sha, a->rounds, (long long)ids[2],
		              (long long)ids[0], (long long)ids[1], "benchmark",
		              "unit", "n", "median", "floor");
	}
	for (i = 0; i < n; i++) {
		const mg_ab_floor *b = &fl[i];

		mg_buf_reset(&name);
		if (b->procs)
			mg_buf_printf(&name, "%s-%d", b->name, b->procs);
		else
			mg_buf_puts(&name, b->name);
		if (a->v.format == MG_FORMAT_JSON) {
			mg_buf_puts(&o, i ? ",\n    {" : "\n    {");
			mg_buf_puts(&o, "\"package\": ");
			json_str(&o, b->package);
			mg_buf_puts(&o, ", \"name\": ");
			json_str(&o, b->name);
			mg_buf_printf(&o,
			              ", \"procs\": %d, \"unit\": ", b->procs);
			json_str(&o, fl[i].unit);
			mg_buf_printf(&o,
			              ", \"n\": %lld, \"median\": %.17g, "
			              "\"noise_floor\": %.17g}",
			              (long long)fl[i].n, fl[i].center,
			              fl[i].rel);
		} else if (a->v.format == MG_FORMAT_MARKDOWN) {
			mg_buf_puts(&o, "| ");
			mg_compare_md_escape(&o, name.ptr);
			mg_buf_puts(&o, " | ");
			mg_compare_md_escape(&o, fl[i].unit);
			mg_buf_printf(&o, " | %lld | %.4g | %.2f%% |\n",
			              (long long)fl[i].n, fl[i].center,
			              fl[i].rel * 100);
		} else {
			mg_buf_printf(&o, "%-48s %-12s %4lld %14.6g %7.2f%%\n",
			              name.ptr, fl[i].unit, (long long)fl[i].n,
			              fl[i].center, fl[i].rel * 100);
		}
	}
	if (a->v.format == MG_FORMAT_JSON)
		mg_buf_puts(&o, n ? "\n  ]\n}\n" : "]\n}\n");
	if (o.ptr == NULL)
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
	else if (fwrite(o.ptr, 1, o.len, stdout) != o.len)
		error = mg_err_set(err, MG_EIO, "writing the output: %s",
		                   strerror(errno));
	mg_buf_release(&o);
	mg_buf_release(&name);
	return error;
}

/* --server: where uploads go and wait. */
static int open_upload(struct ab *a, mg_err *err)
{
	if (a->server == NULL && getenv("MEMGATE_SERVER") &&
	    getenv("MEMGATE_SERVER")[0])
		a->server = getenv("MEMGATE_SERVER");
	if (a->server == NULL)
		return 0;
	if (a->token == NULL)
		a->token = getenv("MEMGATE_TOKEN");
	return mg_cli_open_upload(&a->upload, a->server, a->token, &a->spool,
	                          &a->spool_owned, err);
}

/* Project, database and repository: flags first, then git. */
static int resolve_context(struct ab *a, mg_err *err)
{
	int error;

	error = mg_git_open(&a->git, ".", err);
	if (error == 0)
		error = mg_git_remote_url(a->git, &a->clone_url, err);
	if (error == 0 && a->project == NULL)
		error = mg_cli_default_project(&a->project, err);
	if (error == 0 && a->db_path == NULL) {
		error = mg_cli_default_db(&a->db_owned, err);
		a->db_path = a->db_owned;
	}
	if (error == 0)
		error = mg_store_open(&a->store, a->db_path, 0, err);
	if (error == 0)
		error = mg_verdict_opts_settings(&a->v, &a->co, &a->thr, err);
	if (error == 0)
		error = open_upload(a, err);
	return error;
}

/* Idempotency keys for both runs: shared by the store and the server. */
static int set_keys(struct ab *a, char session_key[MG_UPLOAD_KEY_HEX + 1],
                    mg_err *err)
{
	char key[MG_UPLOAD_KEY_HEX + 1];
	int s, error;

	for (s = 0; s < 2; s++) {
		error = mg_upload_new_key(key, err);
		if (error < 0)
			return error;
		if (mg_run_set_str(&a->side[s].run.idempotency_key, key) < 0)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	return mg_upload_new_key(session_key, err);
}

/*
 * Send both runs, then the session naming them by key. What the server
 * cannot take now waits in the spool, in that order, for `memgate push`;
 * *spooled counts it. A token refused or a document rejected is an
 * error.
 */
static int upload_session(struct ab *a, const mg_ab_session *sess,
                          const char *session_key, size_t *spooled, mg_err *err)
{
	mg_buf doc = MG_BUF_INIT(MG_ABJSON_MAX_INPUT);
	mg_upload_result res;
	mg_err serr = MG_ERR_INIT;
	int s, error = 0;

	*spooled = 0;
	mg_upload_result_init(&res);
	for (s = 0; s < 2 && error == 0; s++) {
		error = mg_upload_run(a->upload, &res, &a->side[s].run,
		                      a->spool, err);
		if (error < 0 && res.outcome == MG_UPLOAD_UNREACHABLE &&
		    res.path) {
			fprintf(stderr, "memgate: %s; kept in '%s'\n", err->msg,
			        res.path);
			mg_err_clear(err);
			error = 0;
			(*spooled)++;
		}
		mg_upload_result_release(&res);
		mg_upload_result_init(&res);
	}
	if (error == 0)
		error = mg_abjson_write(&doc, a->project, session_key,
		                        a->side[BASE].run.idempotency_key,
		                        a->side[HEAD].run.idempotency_key, sess,
		                        err);
	if (error < 0)
		goto cleanup;
	/* Behind spooled runs, the session waits its turn in the spool. */
	if (*spooled == 0)
		error = mg_upload_send(a->upload, &res, doc.ptr, doc.len,
		                       session_key, err);
	if (*spooled || (error < 0 && res.outcome == MG_UPLOAD_UNREACHABLE)) {
		mg_err_clear(err);
		error = mg_spool_write(a->spool, session_key, doc.ptr, doc.len,
		                       &res.path, &serr);
		if (error < 0)
			error = mg_err_set(err, error, "%s", serr.msg);
		else
			(*spooled)++;
	} else if (error == 0) {
		fprintf(stderr, "memgate: uploaded to %s: A/B session %lld\n",
		        mg_upload_server(a->upload), (long long)res.id);
	}
cleanup:
	mg_upload_result_release(&res);
	mg_buf_release(&doc);
	return error;
}

/*
 * Measure, judge (and confirm), store, then print. Returns the exit
 * status through *status.
 */
static int run_ab(struct ab *a, int *status, mg_err *err)
{
	mg_compare *c = NULL;
	mg_ab_floor *floors = NULL;
	mg_ab_session sess;
	size_t nfloors = 0;
	int64_t ids[3] = {0, 0, 0};
	char session_key[MG_UPLOAD_KEY_HEX + 1] = "";
	size_t spooled = 0;
	char *cmd = NULL;
	int s, error = 0;

	for (s = 0; s < 2 && error == 0; s++)
		error = prepare_side(a, &a->side[s], err);
	if (error < 0)
		return error;
	a->aa = strcmp(a->side[BASE].sha, a->side[HEAD].sha) == 0;
	cmd = round_cmd(a, NULL, NULL, false);
	if (cmd == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if (!side_failed(a))
		error = run_rounds(a, a->rounds, cmd, false, err);
	free(cmd);
	if (error == 0 && !side_failed(a) && !a->aa && a->confirm) {
		error = judge(a, &c, ids, err);
		if (error == 0)
			error = flag_regressions(a, c, err);
		if (error == 0 && a->nflagged)
			error = confirm_rounds(a, err);
	}
	if (error == 0 && a->aa && !side_failed(a))
		error = measure_floors(a, &floors, &nfloors, err);
	if (error < 0)
		goto cleanup;
	for (s = 0; s < 2; s++) {
		struct side *sd = &a->side[s];

		sd->run.ended_at = (int64_t)time(NULL) * 1000;
		/* An ok side without samples was never measured. */
		if (side_failed(a) && sd->run.status == MG_RUN_OK &&
		    sd->run.nsamples == 0) {
			sd->run.status = MG_RUN_FAILED;
			if (mg_run_set_str(&sd->run.log_tail,
			                   "memgate: not measured: the other "
			                   "commit of the A/B session failed") <
			    0) {
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
				goto cleanup;
			}
		}
	}
	memset(&sess, 0, sizeof(sess));
	sess.rounds = a->rounds;
	sess.confirm_rounds = a->confirm_done;
	sess.aa = a->aa;
	sess.floors = floors;
	sess.nfloors = nfloors;
	if (a->upload) {
		error = set_keys(a, session_key, err);
		if (error < 0)
			goto cleanup;
	}
	error = mg_store_add_ab(a->store, &a->side[BASE].run,
	                        &a->side[HEAD].run, &sess, ids, err);
	if (error < 0)
		goto cleanup;
	if (a->upload) {
		error = upload_session(a, &sess, session_key, &spooled, err);
		if (error < 0)
			goto cleanup;
		a->nspooled = spooled;
	}
	if (side_failed(a)) {
		for (s = 0; s < 2; s++)
			if (a->side[s].run.status != MG_RUN_OK)
				fprintf(stderr,
				        "memgate: the %s commit %.12s failed "
				        "(stored as run %lld):\n%s\n",
				        s == BASE ? "base" : "head",
				        a->side[s].sha, (long long)ids[s],
				        a->side[s].run.log_tail
				                ? a->side[s].run.log_tail
				                : "");
		*status = MG_EXIT_ERROR;
		goto cleanup;
	}
	if (a->aa) {
		error = print_floors(a, floors, nfloors, ids, err);
		*status = MG_EXIT_OK;
		goto cleanup;
	}
	/* The verdict printed names the stored runs. */
	free(a->flagged); /* it pointed into the first comparison */
	a->flagged = NULL;
	a->nflagged = 0;
	mg_compare_free(c);
	c = NULL;
	error = judge(a, &c, ids, err);
	if (error == 0)
		error = mg_verdict_opts_render(c, &a->v, err);
	if (error == 0) {
		*status = mg_compare_verdict(c) == MG_STATS_REGRESSION
		                  ? MG_EXIT_REGRESSION
		                  : MG_EXIT_OK;
		if (!a->quiet)
			fprintf(stderr,
			        "memgate: stored base run %lld, head run "
			        "%lld (A/B session %lld)\n",
			        (long long)ids[0], (long long)ids[1],
			        (long long)ids[2]);
	}
cleanup:
	free(a->flagged);
	a->flagged = NULL;
	mg_compare_free(c);
	free(floors);
	return error;
}

int cmd_ab(int argc, char **argv)
{
	struct ab a;
	mg_cli_signals sigs;
	mg_err err = MG_ERR_INIT;
	bool help = false;
	int s, status = MG_EXIT_ERROR;

	memset(&a, 0, sizeof(a));
	mg_verdict_opts_init(&a.v);
	mg_compare_thresholds_init(&a.thr);
	a.rounds = 10;
	a.mo.count = 1;
	a.mo.timeout_ms = 3600 * 1000;
	a.mo.tee = true;
	a.mo.cancel = &mg_cli_interrupted;
	for (s = 0; s < 2; s++) {
		mg_run_init(&a.side[s].run);
		mg_buf_init(&a.side[s].dir, 4096);
	}
	if (parse_args(&a, argc, argv, &help, &err) < 0) {
		mg_cli_usage_error("ab", "%s", err.msg);
		goto cleanup;
	}
	if (help) {
		fputs(usage_text, stdout);
		fputs("The verdict:\n", stdout);
		fputs(mg_verdict_opts_usage, stdout);
		fputs(usage_tail, stdout);
		status = MG_EXIT_OK;
		goto cleanup;
	}
	mg_cli_signals_catch(&sigs);
	if (resolve_context(&a, &err) < 0 || run_ab(&a, &status, &err) < 0) {
		mg_cli_fail(&err);
		status = MG_EXIT_ERROR;
	}
	mg_cli_signals_restore(&sigs);
	if (a.nspooled) {
		fprintf(stderr,
		        "memgate: %zu upload%s kept in '%s'; run 'memgate "
		        "push' to send\n",
		        a.nspooled, a.nspooled == 1 ? " was" : "s were",
		        a.spool);
		status = MG_EXIT_ERROR;
	}
cleanup:
	for (s = 0; s < 2; s++) {
		if (a.side[s].dir.len)
			mg_rmtree(a.side[s].dir.ptr);
		mg_buf_release(&a.side[s].dir);
		mg_run_release(&a.side[s].run);
	}
	mg_compare_thresholds_release(&a.thr);
	mg_store_close(a.store);
	mg_upload_free(a.upload);
	free(a.spool_owned);
	mg_git_free(a.git);
	free(a.db_owned);
	free(a.project);
	free(a.clone_url);
	return status;
}
