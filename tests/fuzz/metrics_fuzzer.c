/*
 * metrics_fuzzer.c - libFuzzer target for the generic metrics readers:
 * the input is read as a memgate metrics document and as Bencher Metric
 * Format, each into its own run, and each run is checked.
 */
#include <stdint.h>

#include "metrics.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;

	mg_run_init(&run);
	if (mg_metrics_to_run(&run, (const char *)data, size, "fuzz.json",
	                      &err) == 0)
		mg_run_validate(&run, &err);
	mg_run_release(&run);
	mg_run_init(&run);
	if (mg_metrics_bmf_to_run(&run, (const char *)data, size, "fuzz.json",
	                          &err) == 0)
		mg_run_validate(&run, &err);
	mg_run_release(&run);
	mg_metrics_sniff((const char *)data, size);
	mg_metrics_bmf_sniff((const char *)data, size);
	return 0;
}
