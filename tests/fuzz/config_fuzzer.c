/*
 * config_fuzzer.c - libFuzzer target for the `.memgate.ini` reader: parse
 * the input as the collector reads the file.
 */
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_err err = MG_ERR_INIT;
	mg_config cfg;

	mg_config_init(&cfg);
	mg_config_parse(&cfg, (const char *)data, size, "fuzz.ini", &err);
	mg_config_release(&cfg);
	return 0;
}
