/*
 * gbench_fuzzer.c - libFuzzer target for the Google Benchmark JSON
 * reader: read the input into a run, as `memgate parse-bench --input
 * gbench` does, and check the run.
 */
#include <stdint.h>

#include "gbench.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;

	mg_run_init(&run);
	if (mg_gbench_to_run(&run, (const char *)data, size, "fuzz.json", NULL,
	                     &err) == 0)
		mg_run_validate(&run, &err);
	mg_gbench_sniff((const char *)data, size);
	mg_run_release(&run);
	return 0;
}
