/*
 * cmd_history.c - `memgate history`: one metric of one benchmark along a
 * branch, one row per commit (samples of all its runs pooled), newest
 * first, read from the local store. With --detect, the per-commit medians
 * (oldest first) go through lib/changepoint.h's E-divisive detection and
 * the commits that started a new level are marked and listed.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>

#include "buf.h"
#include "changepoint.h"
#include "cli.h"
#include "store.h"

/*
 * Commits read for --detect when --last is not given: enough history for
 * the permutation test to reach a small p on a shift a few dozen commits
 * back, and still instant (a test over 200 points takes milliseconds).
 */
#define HISTORY_DETECT_LAST 200

/* The change points of a history, indexed like its points (newest first). */
struct detection {
	mg_changepoint_opts opts;
	mg_changepoint *cps; /* by increasing index into the oldest-first
	                      * series: cps[i].index is point n - 1 - index */
	size_t ncps;
	bool *marked; /* per point (newest first): starts a new level */
};

static const char usage_text[] =
        "usage: memgate history --bench NAME [--unit UNIT] [--branch B]\n"
        "                       [--last N] [--package PKG] [--project P]\n"
        "                       [--db PATH] [--format text|json|csv]\n"
        "                       [--detect [--alpha A] [--min-change PCT]\n"
        "                        [--permutations N]]\n\n"
        "One row per commit of BRANCH (default: the project's default "
        "branch),\nnewest first: sha, date, subject, median, min, max, n.\n\n"
        "  --bench NAME    benchmark name, e.g. BenchmarkHash/small or "
        "BenchmarkHash-8\n"
        "  --unit UNIT     ns/op, B/op (default), allocs/op or a custom unit\n"
        "  --last N        at most N commits (default 50, 200 with --detect)\n"
        "  --package PKG   the Go package, when the name exists in several\n"
        "  --project P     default: from the origin remote (owner/repo)\n"
        "  --db PATH       default: .memgate/memgate.db at the repository "
        "root\n\n"
        "Change points:\n"
        "  --detect        find the commits where the metric moved to a new\n"
        "                  level: E-divisive with means (Matteson & James "
        "2014)\n"
        "                  on the per-commit medians, oldest first, with a\n"
        "                  permutation test (seeded: the same history gives "
        "the\n"
        "                  same answer). Text output marks those rows with "
        "'*'\n"
        "                  and lists them after the table with the medians\n"
        "                  before and after; json adds \"change_points\", "
        "csv a\n"
        "                  change_point column. Needs at least 6 commits, "
        "and a\n"
        "                  few on each side of a shift to reach a small p.\n"
        "  --alpha A       significance level of the test (default 0.01)\n"
        "  --min-change PCT  hide shifts smaller than PCT percent of the "
        "level\n"
        "                  before (merged into their neighbours; default 0)\n"
        "  --permutations N  permutations per test (default 999)\n"
        "The exit status is 0 whether or not change points are found.\n";

/* A commit time in UTC: "2026-01-02 03:04", or the day alone. */
static void print_time(FILE *f, int64_t t, bool day_only)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	if (day_only)
		strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
	else
		strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
	fputs(buf, f);
}

static void print_date(FILE *f, int64_t t)
{
	print_time(f, t, false);
}

static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

/* change_pct of a change point: null when the level before was 0. */
static cJSON *change_pct_json(double change)
{
	return isfinite(change) ? cJSON_CreateNumber(change * 100)
	                        : cJSON_CreateNull();
}

static int add_detection_json(cJSON *root, const mg_history_point *p, size_t n,
                              const struct detection *d)
{
	cJSON *info, *cps;
	size_t i;

	info = cJSON_AddObjectToObject(root, "detection");
	if (info == NULL)
		return -1;
	cJSON_AddStringToObject(info, "method", "e-divisive means");
	cJSON_AddNumberToObject(info, "alpha", d->opts.alpha);
	cJSON_AddNumberToObject(info, "permutations",
	                        (double)d->opts.permutations);
	cJSON_AddNumberToObject(info, "min_change_pct",
	                        d->opts.min_change * 100);
	cJSON_AddNumberToObject(info, "points", (double)n);
	cps = cJSON_AddArrayToObject(root, "change_points");
	if (cps == NULL)
		return -1;
	for (i = 0; i < d->ncps; i++) {
		const mg_changepoint *c = &d->cps[i];
		const mg_history_point *pt = &p[n - 1 - c->index];
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			return -1;
		cJSON_AddItemToArray(cps, o);
		cJSON_AddStringToObject(o, "sha", pt->sha);
		cJSON_AddNumberToObject(o, "commit_time",
		                        (double)pt->commit_time);
		cJSON_AddStringToObject(o, "subject",
		                        pt->subject ? pt->subject : "");
		cJSON_AddNumberToObject(o, "index", (double)c->index);
		cJSON_AddNumberToObject(o, "before", c->before);
		cJSON_AddNumberToObject(o, "after", c->after);
		cJSON_AddItemToObject(o, "change_pct",
		                      change_pct_json(c->change));
		cJSON_AddNumberToObject(o, "p", c->p);
		cJSON_AddNumberToObject(o, "score", c->score);
	}
	return 0;
}

static int print_json(const mg_history_point *p, size_t n,
                      const mg_history_query *q, const struct detection *d)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *rows;
	char *text;
	size_t i;

	if (root == NULL)
		return -1;
	cJSON_AddStringToObject(root, "project", q->project);
	cJSON_AddStringToObject(root, "benchmark", q->benchmark);
	cJSON_AddStringToObject(root, "unit", q->unit);
	rows = cJSON_AddArrayToObject(root, "points");
	for (i = 0; rows && i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			break;
		cJSON_AddStringToObject(o, "sha", p[i].sha);
		cJSON_AddNumberToObject(o, "commit_time",
		                        (double)p[i].commit_time);
		cJSON_AddStringToObject(o, "subject",
		                        p[i].subject ? p[i].subject : "");
		cJSON_AddNumberToObject(o, "median", p[i].median);
		cJSON_AddNumberToObject(o, "min", p[i].min);
		cJSON_AddNumberToObject(o, "max", p[i].max);
		cJSON_AddNumberToObject(o, "n", (double)p[i].n);
		if (d != NULL)
			cJSON_AddBoolToObject(o, "change_point", d->marked[i]);
		cJSON_AddItemToArray(rows, o);
	}
	if (d != NULL && add_detection_json(root, p, n, d) < 0) {
		cJSON_Delete(root);
		return -1;
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		return -1;
	puts(text);
	cJSON_free(text);
	return 0;
}

static void print_rows(const mg_history_point *p, size_t n, int format,
                       const struct detection *d)
{
	size_t i;

	if (format == MG_FORMAT_CSV)
		printf("sha,date,subject,median,min,max,n%s\n",
		       d ? ",change_point" : "");
	else
		printf("%s%-12s  %-16s  %12s  %12s  %12s  %4s  %s\n",
		       d ? "  " : "", "commit", "date (UTC)", "median", "min",
		       "max", "n", "subject");
	for (i = 0; i < n; i++) {
		if (format == MG_FORMAT_CSV) {
			printf("%s,", p[i].sha);
			print_date(stdout, p[i].commit_time);
			putchar(',');
			csv_field(stdout, p[i].subject);
			printf(",%.17g,%.17g,%.17g,%lld", p[i].median, p[i].min,
			       p[i].max, (long long)p[i].n);
			if (d != NULL)
				printf(",%d", d->marked[i] ? 1 : 0);
			putchar('\n');
			continue;
		}
		if (d != NULL)
			fputs(d->marked[i] ? "* " : "  ", stdout);
		printf("%.12s  ", p[i].sha);
		print_date(stdout, p[i].commit_time);
		printf("  %12.6g  %12.6g  %12.6g  %4lld  %.60s\n", p[i].median,
		       p[i].min, p[i].max, (long long)p[i].n,
		       p[i].subject ? p[i].subject : "");
	}
}

/*
 * The section after the table: one line per change point, newest first
 * like the table, e.g.
 *   abc123456789 2026-01-02 'subject': B/op 64 -> 128 (+100.0%, p=0.001)
 */
static void print_change_points(const mg_history_point *p, size_t n,
                                const struct detection *d, const char *unit)
{
	size_t i;

	if (n < MG_CHANGEPOINT_MIN_POINTS) {
		printf("\nchange points: none (%zu commits, at least %d "
		       "needed)\n",
		       n, MG_CHANGEPOINT_MIN_POINTS);
		return;
	}
	if (d->ncps == 0) {
		printf("\nchange points: none (%zu commits, alpha %g)\n", n,
		       d->opts.alpha);
		return;
	}
	printf("\nchange points (%zu commits, alpha %g):\n", n, d->opts.alpha);
	for (i = d->ncps; i-- > 0;) {
		const mg_changepoint *c = &d->cps[i];
		const mg_history_point *pt = &p[n - 1 - c->index];

		printf("  %.12s ", pt->sha);
		print_time(stdout, pt->commit_time, true);
		printf(" '%.60s': %s %.6g -> %.6g (",
		       pt->subject ? pt->subject : "", unit, c->before,
		       c->after);
		if (isfinite(c->change))
			printf("%+.1f%%", c->change * 100);
		else
			fputs("from 0", stdout);
		printf(", p=%.2g)\n", c->p);
	}
}

/* Run the detection over the medians of p (newest first) into d. */
static int detect(struct detection *d, const mg_history_point *p, size_t n,
                  mg_err *err)
{
	double *x = NULL;
	size_t i;
	int error;

	x = calloc(n ? n : 1, sizeof(*x));
	d->marked = calloc(n ? n : 1, sizeof(*d->marked));
	if (x == NULL || d->marked == NULL) {
		free(x);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++)
		x[i] = p[n - 1 - i].median;
	error = mg_changepoint_detect(&d->cps, &d->ncps, x, n, &d->opts, err);
	if (error < 0)
		mg_err_prefix(err, "change points");
	for (i = 0; error == 0 && i < d->ncps; i++)
		d->marked[n - 1 - d->cps[i].index] = true;
	free(x);
	return error;
}

/* --alpha: a number strictly between 0 and 1. */
static int parse_alpha(double *out, const char *s, mg_err *err)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0 && v < 1))
		return mg_err_set(err, MG_EINPUT,
		                  "option '--alpha': expected a number between "
		                  "0 and 1, got '%s'",
		                  s);
	*out = v;
	return 0;
}

/* --min-change: a percentage, "5" or "5%", as a fraction. */
static int parse_pct(double *out, const char *s, mg_err *err)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end != s && *end == '%')
		end++;
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0) || !isfinite(v))
		return mg_err_set(
		        err, MG_EINPUT,
		        "option '--min-change': expected a percentage "
		        ">= 0, got '%s'",
		        s);
	*out = v / 100;
	return 0;
}

/*
 * A server's database may hold runs whose history points memgate-server
 * had not written yet when it stopped (lib/store_history.c): write them
 * first, in one transaction, as the server does at its next start, so
 * the rows are those it would serve.
 */
static int catch_up(mg_store *st, mg_err *err)
{
	size_t applied;

	return mg_store_history_apply(st, -1, SIZE_MAX, &applied, NULL, err);
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"bench", required_argument, NULL, 'b'},
	        {"unit", required_argument, NULL, 'u'},
	        {"branch", required_argument, NULL, 'B'},
	        {"last", required_argument, NULL, 'n'},
	        {"package", required_argument, NULL, 'p'},
	        {"project", required_argument, NULL, 'P'},
	        {"db", required_argument, NULL, 'd'},
	        {"format", required_argument, NULL, 'f'},
	        {"detect", no_argument, NULL, 'D'},
	        {"alpha", required_argument, NULL, 'a'},
	        {"min-change", required_argument, NULL, 'm'},
	        {"permutations", required_argument, NULL, 'R'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	mg_history_query q = {NULL, NULL, NULL, "B/op", NULL, 50};
	mg_err err = MG_ERR_INIT;
	mg_history_point *pts = NULL;
	mg_store *st = NULL;
	struct detection det;
	const char *usage_msg = NULL;
	char *db = NULL, *project = NULL;
	long long count;
	size_t n = 0;
	bool detect_on = false, last_given = false, detect_opt = false;
	int c, format = MG_FORMAT_TEXT, status = MG_EXIT_ERROR;

	memset(&det, 0, sizeof(det));
	mg_changepoint_opts_default(&det.opts);
	optind = 1;
	while (usage_msg == NULL &&
	       (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			q.benchmark = optarg;
			break;
		case 'u':
			q.unit = optarg;
			break;
		case 'B':
			q.branch = optarg;
			break;
		case 'n':
			if (mg_cli_parse_count(&count, optarg, "--last", &err) <
			    0)
				goto done;
			q.limit = count;
			last_given = true;
			break;
		case 'p':
			q.package = optarg;
			break;
		case 'P':
			q.project = optarg;
			break;
		case 'd':
			free(db);
			db = mg_strdup(optarg);
			break;
		case 'f':
			format = mg_cli_format_parse(
			        optarg, MG_FMT_BIT(MG_FORMAT_TEXT) |
			                        MG_FMT_BIT(MG_FORMAT_JSON) |
			                        MG_FMT_BIT(MG_FORMAT_CSV));
			if (format < 0) {
				free(db);
				return mg_cli_usage_error(
				        "history",
				        "--format: expected text, json or "
				        "csv, got '%s'",
				        optarg);
			}
			break;
		case 'D':
			detect_on = true;
			break;
		case 'a':
			if (parse_alpha(&det.opts.alpha, optarg, &err) < 0)
				goto done;
			detect_opt = true;
			break;
		case 'm':
			if (parse_pct(&det.opts.min_change, optarg, &err) < 0)
				goto done;
			detect_opt = true;
			break;
		case 'R':
			if (mg_cli_parse_count(&count, optarg, "--permutations",
			                       &err) < 0)
				goto done;
			if (count > MG_CHANGEPOINT_MAX_PERMUTATIONS) {
				mg_err_set(
				        &err, MG_EINPUT,
				        "option '--permutations': at most %d",
				        MG_CHANGEPOINT_MAX_PERMUTATIONS);
				goto done;
			}
			det.opts.permutations = (unsigned)count;
			detect_opt = true;
			break;
		case 'h':
			fputs(usage_text, stdout);
			free(db);
			return MG_EXIT_OK;
		default:
			usage_msg = "bad option";
			break;
		}
	}
	if (usage_msg == NULL && optind < argc)
		usage_msg = "unexpected argument";
	if (usage_msg == NULL && q.benchmark == NULL)
		usage_msg = "--bench NAME is required";
	if (usage_msg == NULL && detect_opt && !detect_on)
		usage_msg = "--alpha, --min-change and --permutations need "
		            "--detect";
	if (usage_msg != NULL) {
		free(db);
		return mg_cli_usage_error("history", "%s", usage_msg);
	}
	if (detect_on && q.limit > MG_CHANGEPOINT_MAX_POINTS) {
		free(db);
		return mg_cli_usage_error("history",
		                          "--last: at most %d commits with "
		                          "--detect",
		                          MG_CHANGEPOINT_MAX_POINTS);
	}
	if (detect_on && !last_given)
		q.limit = HISTORY_DETECT_LAST;
	if (db == NULL && mg_cli_default_db(&db, &err) < 0)
		goto done;
	if (q.project == NULL) {
		if (mg_cli_default_project(&project, &err) < 0)
			goto done;
		q.project = project;
	}
	if (mg_store_open(&st, db, 0, &err) < 0 || catch_up(st, &err) < 0 ||
	    mg_store_history(st, &q, &pts, &n, &err) < 0)
		goto done;
	if (detect_on && detect(&det, pts, n, &err) < 0)
		goto done;
	if (format == MG_FORMAT_JSON) {
		if (print_json(pts, n, &q, detect_on ? &det : NULL) < 0) {
			mg_err_set(&err, MG_ENOMEM, "out of memory");
			goto done;
		}
	} else {
		print_rows(pts, n, format, detect_on ? &det : NULL);
		if (detect_on && format == MG_FORMAT_TEXT)
			print_change_points(pts, n, &det, q.unit);
	}
	status = MG_EXIT_OK;

done:
	if (status != MG_EXIT_OK)
		mg_cli_fail(&err);
	mg_changepoint_free(det.cps);
	free(det.marked);
	mg_history_free(pts, n);
	mg_store_close(st);
	free(db);
	free(project);
	return status;
}
