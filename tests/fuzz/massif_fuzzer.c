/*
 * massif_fuzzer.c - libFuzzer target for the massif output file reader:
 * parse the input, and move what was read into a run as the collector
 * does.
 */
#include <stdint.h>

#include "massif.h"
#include "run.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_err err = MG_ERR_INIT;
	mg_massif *m = NULL;
	mg_run run;

	if (mg_massif_parse(&m, (const char *)data, size, "fuzz.out", &err) !=
	    0)
		return 0;
	mg_run_init(&run);
	mg_massif_add_to_run(&run, m, "fuzz", 0, data, size, &err);
	mg_run_release(&run);
	mg_massif_free(m);
	return 0;
}
