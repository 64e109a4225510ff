/*
 * sampleset_fuzzer.c - mg_sampleset_decode() on arbitrary bytes. What it
 * accepts must survive the round trip: encoded again and decoded, every
 * seq, value (bit for bit) and iteration count is the same, and the text
 * is a fixed point of encode(decode(.)).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sampleset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_sampleset_item *a = NULL, *b = NULL;
	mg_sample *s = NULL;
	const mg_sample **ps = NULL;
	mg_buf t1 = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       t2 = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	size_t na = 0, nb = 0, i;

	if (mg_sampleset_decode((const char *)data, size, &a, &na, &err) < 0)
		return 0;
	s = calloc(na, sizeof(*s));
	ps = calloc(na, sizeof(*ps));
	if (s == NULL || ps == NULL)
		abort();
	for (i = 0; i < na; i++) {
		s[i].value = a[i].value;
		s[i].seq = a[i].seq;
		s[i].iterations = a[i].iterations;
		ps[i] = &s[i];
	}
	if (mg_sampleset_encode(&t1, ps, na, &err) < 0 ||
	    mg_sampleset_decode(t1.ptr, t1.len, &b, &nb, &err) < 0 || nb != na)
		abort();
	for (i = 0; i < na; i++) {
		/* -0.0 is written as 0, as SQLite would store it */
		double want = a[i].value == 0 ? 0.0 : a[i].value;

		if (memcmp(&b[i].value, &want, sizeof(want)) != 0 ||
		    b[i].seq != a[i].seq || b[i].iterations != a[i].iterations)
			abort();
		s[i].value = b[i].value;
	}
	if (mg_sampleset_encode(&t2, ps, na, &err) < 0 || t2.len != t1.len ||
	    memcmp(t1.ptr, t2.ptr, t1.len) != 0)
		abort();
	mg_buf_release(&t1);
	mg_buf_release(&t2);
	free(a);
	free(b);
	free(s);
	free(ps);
	return 0;
}
