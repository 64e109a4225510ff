/*
 * histchunk_fuzzer.c - mg_histchunk_decode() on arbitrary bytes. What it
 * accepts must survive the round trip: encoded again and decoded, every
 * key, n and value (bit for bit, -0 as 0) is the same, and that text is a
 * fixed point of encode(decode(.)).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "histchunk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void encode(mg_buf *b, const mg_histchunk_point *v, size_t n)
{
	mg_err err = MG_ERR_INIT;
	size_t i;

	mg_buf_reset(b);
	for (i = 0; i < n; i++)
		if (mg_histchunk_add(b, &v[i], &err) < 0)
			abort();
	if (mg_histchunk_end(b, &err) < 0)
		abort();
}

static bool same_real(double got, double was)
{
	double want = was == 0 ? 0.0 : was;

	return memcmp(&got, &want, sizeof(want)) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_histchunk_point a[MG_HISTCHUNK_MAX], b[MG_HISTCHUNK_MAX];
	mg_buf t1 = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       t2 = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	size_t na = 0, nb = 0, i;

	if (mg_histchunk_decode((const char *)data, size, a, &na, &err) < 0)
		return 0;
	if (na == 0 || na > MG_HISTCHUNK_MAX)
		abort();
	encode(&t1, a, na);
	if (mg_histchunk_decode(t1.ptr, t1.len, b, &nb, &err) < 0 || nb != na)
		abort();
	for (i = 0; i < na; i++)
		if (b[i].commit_time != a[i].commit_time ||
		    b[i].commit_id != a[i].commit_id || b[i].n != a[i].n ||
		    !same_real(b[i].median, a[i].median) ||
		    !same_real(b[i].min, a[i].min) ||
		    !same_real(b[i].max, a[i].max) ||
		    (i > 0 && mg_histchunk_cmp(&a[i - 1], &a[i]) >= 0))
			abort();
	encode(&t2, b, nb);
	if (t2.len != t1.len || memcmp(t1.ptr, t2.ptr, t1.len) != 0)
		abort();
	mg_buf_release(&t1);
	mg_buf_release(&t2);
	return 0;
}
