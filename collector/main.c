/*
 * main.c - entry point of the `memgate` collector CLI: global options and
 * dispatch to the cmd_<verb>() subcommands. Errors are translated into
 * exit statuses here and in the subcommands: 0 ok, 1 regression found,
 * 2 usage or runtime error.
 */
#include "buf.h"
#include "cli.h"
#include "log.h"
#include "version.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
        {"ab", cmd_ab, "measure two commits interleaved (A/B, A/A noise)"},
        {"collect", cmd_collect, "measure commits and store their runs"},
        {"compare", cmd_compare, "compare two benchmark files or commits"},
        {"diff", cmd_diff, "compare two pprof profiles by function"},
        {"history", cmd_history, "one metric of one benchmark along a branch"},
        {"parse-bench", cmd_parse_bench, "print samples of Go bench output"},
        {"push", cmd_push, "send the runs spooled while the server was down"},
        {"runs", cmd_runs, "list recent runs and their status"},
        {"top", cmd_top, "functions of a pprof profile, as pprof -top"},
        {"version", cmd_version, "print versions of memgate and its libraries"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *f)
{
	size_t i;

	fputs("usage: memgate [--verbose] <command> [options] [args]\n"
	      "       memgate --help | --version\n\n"
	      "memgate measures memory (and time) of Go benchmarks per commit "
	      "and\n"
	      "finds regressions.\n\n"
	      "Commands:\n",
	      f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name,
		        commands[i].summary);
	fputs("\nRun 'memgate <command> --help' for a command's options.\n"
	      "Exit status: 0 ok, 1 regression found, 2 usage or runtime "
	      "error.\n"
	      "Environment: MEMGATE_LOG=error|warn|info|debug sets the log "
	      "level.\n",
	      f);
}

int cmd_version(int argc, char **argv)
{
	mg_buf libs = MG_BUF_INIT(4096);

	(void)argc;
	(void)argv;
	printf("memgate %s\n", mg_version());
	if (mg_version_libs(&libs) == 0 && mg_version_libgit2(&libs) == 0)
		fputs(libs.ptr, stdout);
	mg_buf_release(&libs);
	return MG_EXIT_OK;
}

int main(int argc, char **argv)
{
	const char *env_level = getenv("MEMGATE_LOG");
	int i = 1;
	size_t c;

	if (env_level && mg_log_level_parse(env_level) >= 0)
		mg_log_set_level(mg_log_level_parse(env_level));
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return MG_EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			return cmd_version(0, NULL);
		} else if (strcmp(argv[i], "--verbose") == 0 ||
		           strcmp(argv[i], "-v") == 0) {
			mg_log_set_level(MG_LOG_DEBUG);
		} else {
			return mg_cli_usage_error(NULL, "unknown option '%s'",
			                          argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return MG_EXIT_ERROR;
	}
	if (strcmp(argv[i], "help") == 0) {
		usage(stdout);
		return MG_EXIT_OK;
	}
	for (c = 0; c < NCOMMANDS; c++)
		if (strcmp(argv[i], commands[c].name) == 0)
			return commands[c].fn(argc - i, argv + i);
	return mg_cli_usage_error(NULL, "unknown command '%s'", argv[i]);
}
