/*
 * base64_fuzzer.c - mg_base64_decode() over arbitrary text: the vector
 * path and the tables agree (bytes, or the same refusal), and what
 * decodes encodes back to the very same text, since only the canonical
 * spelling of each byte string is accepted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_err e1 = MG_ERR_INIT, e2 = MG_ERR_INIT;
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	unsigned char *d1 = NULL, *d2 = NULL;
	size_t n1 = 0, n2 = 0;
	int r1, r2;

	mg_base64_set_vector(true);
	r1 = mg_base64_decode(&d1, &n1, (const char *)data, size, &e1);
	mg_base64_set_vector(false);
	r2 = mg_base64_decode(&d2, &n2, (const char *)data, size, &e2);
	mg_base64_set_vector(true);
	if (r1 != r2)
		abort();
	if (r1 < 0 && strcmp(e1.msg, e2.msg) != 0)
		abort();
	if (r1 == 0) {
		if (n1 != n2 || memcmp(d1, d2, n1) != 0 || n1 > size / 4 * 3)
			abort();
		if (mg_base64_encode(&text, d1, n1) < 0)
			abort();
		if (text.len != size || memcmp(text.ptr, data, size) != 0)
			abort();
	}
	mg_buf_release(&text);
	free(d1);
	free(d2);
	return 0;
}
