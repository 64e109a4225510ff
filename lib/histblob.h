/*
 * histblob.h - the history points of one run as one blob, the form
 * history_pending keeps them in (schema/0011) until they are written
 * into history_chunks (store_history.c).
 *
 * A blob is a sequence of records, one per (benchmark, unit), integers
 * and doubles little-endian so a database file reads the same on any
 * machine:
 *   int64 benchmark id, uint32 n, double median, double min, double max,
 *   uint16 unit length, the unit's bytes.
 */
#ifndef MG_HISTBLOB_H
#define MG_HISTBLOB_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Bytes of a record before its unit. */
#define MG_HISTBLOB_FIXED (8 + 4 + 3 * 8 + 2)

typedef struct mg_histblob_point {
	int64_t bench_id;
	uint32_t n;
	double median, min, max;
	const char *unit; /* into the blob, not NUL-terminated */
	size_t unit_len;
} mg_histblob_point;

/*
 * Write pt's record at p, which has room for MG_HISTBLOB_FIXED +
 * pt->unit_len (<= UINT16_MAX) bytes; returns the bytes written.
 */
size_t mg_histblob_put(unsigned char *p, const mg_histblob_point *pt);

/*
 * The record at *off of the len-byte blob b into *pt, *off moved past
 * it: 1; 0 at the end; MG_EINPUT (err names the byte offset) when the
 * rest is not a whole record.
 */
int mg_histblob_next(const unsigned char *b, size_t len, size_t *off,
                     mg_histblob_point *pt, mg_err *err);

/*
 * As mg_histblob_next, reading only the record's benchmark id: for a
 * reader that wants the records of some benchmarks (one slice).
 */
int mg_histblob_skip(const unsigned char *b, size_t len, size_t *off,
                     int64_t *bench_id, mg_err *err);

#endif
