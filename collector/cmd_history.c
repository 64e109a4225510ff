/*
 * cmd_history.c - `memgate history`: one metric of one benchmark along a
 * branch, one row per commit (samples of all its runs pooled), newest
 * first, read from the local store.
 */
#include <cjson/cJSON.h>
#include <getopt.h>

#include "buf.h"
#include "cli.h"
#include "store.h"

static const char usage_text[] =
        "usage: memgate history --bench NAME [--unit UNIT] [--branch B]\n"
        "                       [--last N] [--package PKG] [--project P]\n"
        "                       [--db PATH] [--format text|json|csv]\n\n"
        "One row per commit of BRANCH (default: the project's default "
        "branch),\nnewest first: sha, date, subject, median, min, max, n.\n\n"
        "  --bench NAME    benchmark name, e.g. BenchmarkHash/small or "
        "BenchmarkHash-8\n"
        "  --unit UNIT     ns/op, B/op (default), allocs/op or a custom unit\n"
        "  --last N        at most N commits (default 50)\n"
        "  --package PKG   the Go package, when the name exists in several\n"
        "  --project P     default: from the origin remote (owner/repo)\n"
        "  --db PATH       default: .memgate/memgate.db at the repository "
        "root\n";

static void print_date(FILE *f, int64_t t)
{
	char buf[32];
	struct tm tm;
	time_t tt = (time_t)t;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
	fputs(buf, f);
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

static int print_json(const mg_history_point *p, size_t n,
                      const mg_history_query *q)
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
		cJSON_AddItemToArray(rows, o);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		return -1;
	puts(text);
	cJSON_free(text);
	return 0;
}

static void print_rows(const mg_history_point *p, size_t n, int format)
{
	size_t i;

	if (format == MG_FORMAT_CSV)
		puts("sha,date,subject,median,min,max,n");
	else
		printf("%-12s  %-16s  %12s  %12s  %12s  %4s  %s\n", "commit",
		       "date (UTC)", "median", "min", "max", "n", "subject");
	for (i = 0; i < n; i++) {
		if (format == MG_FORMAT_CSV) {
			printf("%s,", p[i].sha);
			print_date(stdout, p[i].commit_time);
			putchar(',');
			csv_field(stdout, p[i].subject);
			printf(",%.17g,%.17g,%.17g,%lld\n", p[i].median,
			       p[i].min, p[i].max, (long long)p[i].n);
			continue;
		}
		printf("%.12s  ", p[i].sha);
		print_date(stdout, p[i].commit_time);
		printf("  %12.6g  %12.6g  %12.6g  %4lld  %.60s\n", p[i].median,
		       p[i].min, p[i].max, (long long)p[i].n,
		       p[i].subject ? p[i].subject : "");
	}
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
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	mg_history_query q = {NULL, NULL, NULL, "B/op", NULL, 50};
	mg_err err = MG_ERR_INIT;
	mg_history_point *pts = NULL;
	mg_store *st = NULL;
	char *db = NULL, *project = NULL;
	long long last;
	size_t n = 0;
	int c, format = MG_FORMAT_TEXT, status = MG_EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
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
			if (mg_cli_parse_count(&last, optarg, "--last", &err) <
			    0) {
				free(db);
				return mg_cli_fail(&err);
			}
			q.limit = last;
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
		case 'h':
			fputs(usage_text, stdout);
			free(db);
			return MG_EXIT_OK;
		default:
			free(db);
			return mg_cli_usage_error("history", "bad option");
		}
	}
	if (optind < argc || q.benchmark == NULL) {
		free(db);
		return mg_cli_usage_error(
		        "history", optind < argc ? "unexpected argument"
		                                 : "--bench NAME is required");
	}
	if (db == NULL && mg_cli_default_db(&db, &err) < 0)
		goto done;
	if (q.project == NULL) {
		if (mg_cli_default_project(&project, &err) < 0)
			goto done;
		q.project = project;
	}
	if (mg_store_open(&st, db, 0, &err) < 0 ||
	    mg_store_history(st, &q, &pts, &n, &err) < 0)
		goto done;
	if (format == MG_FORMAT_JSON) {
		if (print_json(pts, n, &q) < 0) {
			mg_err_set(&err, MG_ENOMEM, "out of memory");
			goto done;
		}
	} else {
		print_rows(pts, n, format);
	}
	status = MG_EXIT_OK;

done:
	if (status != MG_EXIT_OK)
		mg_cli_fail(&err);
	mg_history_free(pts, n);
	mg_store_close(st);
	free(db);
	free(project);
	return status;
}
