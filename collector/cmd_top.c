/*
 * cmd_top.c - `memgate top FILE`: the functions of a pprof profile by
 * flat and cumulative value, as `go tool pprof -top` lists them.
 */
#include "cli.h"
#include "pprof.h"
#include "pprof_out.h"

static const char usage_text[] =
        "usage: memgate top FILE [--sample-index T] [-n N] [--max-size BYTES]\n"
        "                   [--format text|json]\n\n"
        "Prints the functions of a pprof profile (gzip or raw protobuf) with\n"
        "their flat and cum values, in the order and format of\n"
        "`go tool pprof -top -sample_index=T FILE`. T is a sample type name\n"
        "(alloc_space, alloc_objects, inuse_space, inuse_objects, cpu,\n"
        "samples...) or index; by default the profile's default type.\n"
        "-n N shows the top N functions (pprof's -nodecount). --max-size caps\n"
        "the decompressed size (default 1 GiB).\n";

int cmd_top(int argc, char **argv)
{
	mg_err err = MG_ERR_INIT;
	mg_pprof_cli o;
	mg_pprof *p = NULL;
	mg_pprof_top *t = NULL;
	int rc, status = MG_EXIT_ERROR;

	rc = mg_pprof_cli_parse(&o, argc, argv, "top", usage_text);
	if (rc != 0)
		return rc > 0 ? MG_EXIT_OK : MG_EXIT_ERROR;
	if (argc - o.first_arg != 1)
		return mg_cli_usage_error("top", "expected one profile file");
	if (mg_pprof_load(&p, argv[o.first_arg], &o.parse, &err) < 0 ||
	    mg_pprof_top_new(&t, p, o.sample_index, &o.top, &err) < 0 ||
	    mg_pprof_out_write(stdout, t, o.format, false, &err) < 0) {
		status = mg_cli_fail(&err);
		goto cleanup;
	}
	status = MG_EXIT_OK;
cleanup:
	mg_pprof_top_free(t);
	mg_pprof_free(p);
	return status;
}
