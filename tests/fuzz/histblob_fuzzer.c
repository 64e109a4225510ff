/*
 * histblob_fuzzer.c - mg_histblob_next() over arbitrary bytes: it stops
 * at the end or at the first damaged record, never reads past the blob,
 * and what it reads writes back to the same bytes. mg_histblob_skip()
 * at each record agrees with it: the same answer, id and next offset.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "histblob.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_err err = MG_ERR_INIT;
	mg_histblob_point pt;
	size_t off = 0, before, skipped;
	unsigned char *copy;
	int64_t id = 0;
	int rc;

	for (;;) {
		before = skipped = off;
		rc = mg_histblob_next(data, size, &off, &pt, &err);
		if (mg_histblob_skip(data, size, &skipped, &id, NULL) != rc ||
		    (rc == 1 && (skipped != off || id != pt.bench_id)))
			abort();
		if (rc <= 0)
			break;
		if (off <= before || off > size ||
		    off - before != MG_HISTBLOB_FIXED + pt.unit_len)
			abort();
		copy = malloc(off - before);
		if (copy == NULL)
			abort();
		if (mg_histblob_put(copy, &pt) != off - before ||
		    memcmp(copy, data + before, off - before) != 0)
			abort();
		free(copy);
	}
	if (rc == 0 && off < size)
		abort();
	if (rc < 0 && (rc != MG_EINPUT || strstr(err.msg, "byte") == NULL))
		abort();
	return 0;
}
