/*
 * pprof_fuzzer.c - libFuzzer target for the pprof reader: parse the
 * input (gzip or raw protobuf) with small caps, and when it is accepted
 * build every report memgate makes of it: -top for each sample type
 * (also with a node count), a diff against itself (every row must come
 * out 0), and the per-function aggregates of an mg_run profile.
 */
#include <stdint.h>

#include "pprof.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Caps far below the defaults so the fuzzer explores, not allocates. */
#define FUZZ_MAX_DECOMPRESSED (4u << 20)
#define FUZZ_MAX_MEMORY (64u << 20)

static void reports(const mg_pprof *p)
{
	mg_err err = MG_ERR_INIT;
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_pprof_top_opts opts = {3};
	mg_pprof_top *t = NULL;
	char which[32];
	size_t i, r;

	for (i = 0; i < mg_pprof_sample_type_count(p); i++) {
		snprintf(which, sizeof(which), "%zu", i);
		if (mg_pprof_top_new(&t, p, which, NULL, &err) == 0) {
			mg_buf_reset(&text);
			mg_pprof_top_write_text(&text, t);
			mg_pprof_top_free(t);
		}
		if (mg_pprof_top_new(&t, p, which, &opts, &err) == 0) {
			if (t->nrows > 3)
				__builtin_trap();
			mg_pprof_top_free(t);
		}
		if (mg_pprof_diff(&t, p, p, which, NULL, &err) == 0) {
			for (r = 0; r < t->nrows; r++)
				if (t->rows[r].flat != 0 || t->rows[r].cum != 0)
					__builtin_trap();
			mg_pprof_top_write_text(&text, t);
			mg_pprof_top_free(t);
		}
	}
	mg_pprof_top_new(&t, p, NULL, NULL, &err);
	mg_pprof_top_free(t);
	mg_buf_release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_pprof_opts opts = {FUZZ_MAX_DECOMPRESSED, FUZZ_MAX_MEMORY};
	mg_err err = MG_ERR_INIT;
	mg_pprof *p = NULL;
	mg_run run;
	size_t index;

	if (mg_pprof_parse(&p, data, size, &opts, "fuzz.pb", &err) != 0)
		return 0;
	reports(p);
	mg_run_init(&run);
	if (mg_run_add_profile(&run, &index, "heap", "fuzz", data, size) == 0)
		mg_pprof_to_run(&run.profiles[index], p, &err);
	mg_run_release(&run);
	mg_pprof_free(p);
	return 0;
}
