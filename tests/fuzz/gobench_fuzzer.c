/*
 * gobench_fuzzer.c - libFuzzer target for the Go benchmark reader: parse
 * the input as a file, and move what was read into a run, as the
 * collector does.
 */
#include <stdint.h>

#include "gobench.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_err err = MG_ERR_INIT;
	mg_gobench *gb = NULL;
	mg_run run;

	if (mg_gobench_parse(&gb, (const char *)data, size, "fuzz.txt", &err) !=
	    0)
		return 0;
	mg_run_init(&run);
	mg_gobench_to_run(&run, gb, &err);
	mg_run_release(&run);
	mg_gobench_free(gb);
	return 0;
}
