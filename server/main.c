/*
 * main.c - entry point of `memgate-server`: global options and dispatch to
 * its subcommands. Exit status: 0 ok, 2 usage or runtime error.
 */
#include <microhttpd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "store.h"
#include "version.h"

static void usage(FILE *f)
{
	fputs("usage: memgate-server [--verbose] [<command>] [options]\n"
	      "       memgate-server --help | --version\n\n"
	      "memgate-server ingests runs from memgate collectors, compares "
	      "them and\nposts verdicts to pull requests.\n\n"
	      "Commands:\n"
	      "  migrate --db PATH   create or upgrade the database schema and "
	      "exit\n"
	      "  version             print versions of memgate-server and its "
	      "libraries\n\n"
	      "Exit status: 0 ok, 2 usage or runtime error.\n"
	      "Environment: MEMGATE_LOG=error|warn|info|debug sets the log "
	      "level.\n",
	      f);
}

static int print_version(void)
{
	mg_buf libs = MG_BUF_INIT(4096);

	printf("memgate-server %s\n", mg_version());
	if (mg_version_libs(&libs) == 0)
		fputs(libs.ptr, stdout);
	printf("libmicrohttpd %s\n", MHD_get_version());
	mg_buf_release(&libs);
	return 0;
}

static int cmd_migrate(int argc, char **argv)
{
	mg_err err = MG_ERR_INIT;
	mg_store *st = NULL;
	const char *db = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
			db = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return 0;
		} else {
			fprintf(stderr,
			        "memgate-server: migrate: unknown "
			        "argument '%s'\n",
			        argv[i]);
			return 2;
		}
	}
	if (db == NULL) {
		fputs("memgate-server: migrate: --db PATH is required\n",
		      stderr);
		return 2;
	}
	if (mg_store_open(&st, db, 0, &err) < 0) {
		fprintf(stderr, "memgate-server: %s\n", err.msg);
		return 2;
	}
	printf("%s: schema version %d\n", db, mg_store_schema_version(st));
	mg_store_close(st);
	return 0;
}

int main(int argc, char **argv)
{
	const char *env_level = getenv("MEMGATE_LOG");
	int i = 1;

	if (env_level && mg_log_level_parse(env_level) >= 0)
		mg_log_set_level(mg_log_level_parse(env_level));
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0) {
			return print_version();
		} else if (strcmp(argv[i], "--verbose") == 0) {
			mg_log_set_level(MG_LOG_DEBUG);
		} else {
			fprintf(stderr,
			        "memgate-server: unknown option '%s'\n"
			        "Try 'memgate-server --help'.\n",
			        argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[i], "version") == 0)
		return print_version();
	if (strcmp(argv[i], "migrate") == 0)
		return cmd_migrate(argc - i, argv + i);
	fprintf(stderr,
	        "memgate-server: unknown command '%s'\n"
	        "Try 'memgate-server --help'.\n",
	        argv[i]);
	return 2;
}
