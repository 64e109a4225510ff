/*
 * histblob.c - see histblob.h.
 */
#include <string.h>

#include "histblob.h"

static void put_le(unsigned char *p, uint64_t v, int bytes)
{
	int i;

	for (i = 0; i < bytes; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* one load: the history thread reads 600 records a run per slice */
	memcpy(&v, p, (size_t)bytes);
#else
	int i;

	for (i = bytes - 1; i >= 0; i--)
		v = v << 8 | p[i];
#endif
	return v;
}

static void put_double(unsigned char *p, double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	put_le(p, v, 8);
}

static double get_double(const unsigned char *p)
{
	uint64_t v = get_le(p, 8);
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

size_t mg_histblob_put(unsigned char *p, const mg_histblob_point *pt)
{
	put_le(p, (uint64_t)pt->bench_id, 8);
	put_le(p + 8, pt->n, 4);
	put_double(p + 12, pt->median);
	put_double(p + 20, pt->min);
	put_double(p + 28, pt->max);
	put_le(p + 36, pt->unit_len, 2);
	memcpy(p + MG_HISTBLOB_FIXED, pt->unit, pt->unit_len);
	return MG_HISTBLOB_FIXED + pt->unit_len;
}

/* The unit length of the whole record at `at`: 1, 0 at the end, or <0. */
static int record_at(const unsigned char *b, size_t len, size_t at,
                     size_t *unit_len, mg_err *err)
{
	if (at >= len)
		return 0;
	if (len - at < MG_HISTBLOB_FIXED)
		return mg_err_set(err, MG_EINPUT,
		                  "damaged points at byte %zu: %zu bytes left, "
		                  "a record needs %d",
		                  at, len - at, MG_HISTBLOB_FIXED);
	*unit_len = (size_t)get_le(b + at + 36, 2);
	if (len - at - MG_HISTBLOB_FIXED < *unit_len)
		return mg_err_set(err, MG_EINPUT,
		                  "damaged points at byte %zu: unit of %zu "
		                  "bytes past the end",
		                  at, *unit_len);
	return 1;
}

int mg_histblob_next(const unsigned char *b, size_t len, size_t *off,
                     mg_histblob_point *pt, mg_err *err)
{
	size_t at = *off;
	int rc = record_at(b, len, at, &pt->unit_len, err);

	if (rc <= 0)
		return rc;
	pt->bench_id = (int64_t)get_le(b + at, 8);
	pt->n = (uint32_t)get_le(b + at + 8, 4);
	pt->median = get_double(b + at + 12);
	pt->min = get_double(b + at + 20);
	pt->max = get_double(b + at + 28);
	pt->unit = (const char *)b + at + MG_HISTBLOB_FIXED;
	*off = at + MG_HISTBLOB_FIXED + pt->unit_len;
	return 1;
}

int mg_histblob_skip(const unsigned char *b, size_t len, size_t *off,
                     int64_t *bench_id, mg_err *err)
{
	size_t unit_len = 0;
	int rc = record_at(b, len, *off, &unit_len, err);

	if (rc <= 0)
		return rc;
	*bench_id = (int64_t)get_le(b + *off, 8);
	*off += MG_HISTBLOB_FIXED + unit_len;
	return 1;
}
