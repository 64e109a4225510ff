/*
 * cmd_diff.c - `memgate diff BASE HEAD`: where two pprof profiles differ,
 * function by function, as `go tool pprof -top -diff_base=BASE HEAD`
 * shows it: HEAD minus BASE, percentages of BASE's total.
 */
#include "cli.h"
#include "pprof.h"
#include "pprof_out.h"

static const char usage_text[] =
        "usage: memgate diff BASE HEAD [--sample-index T] [-n N] [--relative]\n"
        "                    [--max-size BYTES] [--format text|json]\n\n"
        "Prints the change from profile BASE to profile HEAD per function,\n"
        "largest flat change first, in the format of\n"
        "`go tool pprof -top -diff_base=BASE -sample_index=T HEAD`\n"
        "(percentages are of BASE's total). --relative appends each\n"
        "function's change relative to its own BASE value; --format json\n"
        "gives base, head, change and relative change of flat and cum.\n";

int cmd_diff(int argc, char **argv)
{
	mg_err err = MG_ERR_INIT;
	mg_pprof_cli o;
	mg_pprof *base = NULL, *head = NULL;
	mg_pprof_top *t = NULL;
	int rc, status = MG_EXIT_ERROR;

	rc = mg_pprof_cli_parse(&o, argc, argv, "diff", usage_text);
	if (rc != 0)
		return rc > 0 ? MG_EXIT_OK : MG_EXIT_ERROR;
	if (argc - o.first_arg != 2)
		return mg_cli_usage_error("diff",
		                          "expected two profiles, BASE and "
		                          "HEAD");
	if (mg_pprof_load(&base, argv[o.first_arg], &o.parse, &err) < 0 ||
	    mg_pprof_load(&head, argv[o.first_arg + 1], &o.parse, &err) < 0 ||
	    mg_pprof_diff(&t, base, head, o.sample_index, &o.top, &err) < 0 ||
	    mg_pprof_out_write(stdout, t, o.format, o.relative, &err) < 0) {
		status = mg_cli_fail(&err);
		goto cleanup;
	}
	status = MG_EXIT_OK;
cleanup:
	mg_pprof_top_free(t);
	mg_pprof_free(base);
	mg_pprof_free(head);
	return status;
}
