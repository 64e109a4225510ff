/*
 * cmd_runs.c - `memgate runs`: the most recent runs in the local store,
 * with their status, so a failed build is visible at a glance.
 */
#include <cjson/cJSON.h>
#include <getopt.h>

#include "buf.h"
#include "cli.h"
#include "store.h"

static const char usage_text[] =
        "usage: memgate runs [--project P] [--last N] [--db PATH]\n"
        "                    [--format text|json]\n\n"
        "Lists the most recent runs (default 20), newest first: id, status,\n"
        "commit, branch, samples, wall time, peak RSS, subject. Without\n"
        "--project, runs of every project in the database are listed.\n";

static int print_json(const mg_run_summary *r, size_t n)
{
	cJSON *arr = cJSON_CreateArray();
	char *text;
	size_t i;

	if (arr == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			break;
		cJSON_AddNumberToObject(o, "id", (double)r[i].id);
		cJSON_AddStringToObject(o, "project", r[i].project);
		cJSON_AddStringToObject(o, "sha", r[i].sha);
		if (r[i].branch)
			cJSON_AddStringToObject(o, "branch", r[i].branch);
		cJSON_AddStringToObject(o, "status",
		                        r[i].status == MG_RUN_OK ? "ok"
		                                                 : "failed");
		cJSON_AddNumberToObject(o, "started_at",
		                        (double)r[i].started_at);
		cJSON_AddNumberToObject(o, "wall_ns", (double)r[i].wall_ns);
		cJSON_AddNumberToObject(o, "peak_rss_bytes",
		                        (double)r[i].peak_rss);
		cJSON_AddNumberToObject(o, "samples", (double)r[i].nsamples);
		cJSON_AddStringToObject(o, "subject",
		                        r[i].subject ? r[i].subject : "");
		cJSON_AddItemToArray(arr, o);
	}
	text = cJSON_Print(arr);
	cJSON_Delete(arr);
	if (text == NULL)
		return -1;
	puts(text);
	cJSON_free(text);
	return 0;
}

int cmd_runs(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"project", required_argument, NULL, 'P'},
	        {"last", required_argument, NULL, 'n'},
	        {"db", required_argument, NULL, 'd'},
	        {"format", required_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	mg_err err = MG_ERR_INIT;
	mg_run_summary *runs = NULL;
	mg_store *st = NULL;
	const char *project = NULL;
	char *db = NULL;
	long long last = 20;
	size_t i, n = 0;
	int c, format = MG_FORMAT_TEXT, status = MG_EXIT_ERROR;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			project = optarg;
			break;
		case 'n':
			if (mg_cli_parse_count(&last, optarg, "--last", &err) <
			    0) {
				free(db);
				return mg_cli_fail(&err);
			}
			break;
		case 'd':
			free(db);
			db = mg_strdup(optarg);
			break;
		case 'f':
			format = mg_cli_format_parse(
			        optarg, MG_FMT_BIT(MG_FORMAT_TEXT) |
			                        MG_FMT_BIT(MG_FORMAT_JSON));
			if (format < 0) {
				free(db);
				return mg_cli_usage_error(
				        "runs",
				        "--format: expected text or json, "
				        "got '%s'",
				        optarg);
			}
			break;
		case 'h':
			fputs(usage_text, stdout);
			free(db);
			return MG_EXIT_OK;
		default:
			free(db);
			return mg_cli_usage_error("runs", "bad option");
		}
	}
	if (optind < argc) {
		free(db);
		return mg_cli_usage_error("runs", "unexpected argument '%s'",
		                          argv[optind]);
	}
	if (db == NULL && mg_cli_default_db(&db, &err) < 0)
		goto done;
	if (mg_store_open(&st, db, 0, &err) < 0 ||
	    mg_store_list_runs(st, project, last, &runs, &n, &err) < 0)
		goto done;
	if (format == MG_FORMAT_JSON) {
		if (print_json(runs, n) < 0) {
			mg_err_set(&err, MG_ENOMEM, "out of memory");
			goto done;
		}
	} else {
		printf("%6s  %-6s  %-12s  %-16s  %7s  %8s  %10s  %s\n", "id",
		       "status", "commit", "branch", "samples", "wall",
		       "peak RSS", "subject");
		for (i = 0; i < n; i++)
			printf("%6lld  %-6s  %.12s  %-16.16s  %7lld  %7.1fs  "
			       "%7.1f MiB  %.50s\n",
			       (long long)runs[i].id,
			       runs[i].status == MG_RUN_OK ? "ok" : "FAILED",
			       runs[i].sha,
			       runs[i].branch ? runs[i].branch : "-",
			       (long long)runs[i].nsamples,
			       (double)runs[i].wall_ns / 1e9,
			       (double)runs[i].peak_rss / (1024.0 * 1024.0),
			       runs[i].subject ? runs[i].subject : "");
	}
	status = MG_EXIT_OK;

done:
	if (status != MG_EXIT_OK)
		mg_cli_fail(&err);
	mg_run_summary_free(runs, n);
	mg_store_close(st);
	free(db);
	return status;
}
