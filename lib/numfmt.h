/*
 * numfmt.h - numbers as text for the JSON memgate writes (run documents,
 * sample sets, API answers, `memgate parse-bench`): integers, and
 * doubles in the shortest of %.15g, %.16g and %.17g that strtod() reads
 * back as the same bits. printf is most of the cost of writing numbers,
 * so the common cases (integers, decimals of a few places) skip it with
 * the same output.
 */
#ifndef MG_NUMFMT_H
#define MG_NUMFMT_H

#include <stddef.h>
#include <stdint.h>

/* Room for any value of the functions below, with the NUL. */
#define MG_NUMFMT_MAX 40

/*
 * The decimal digits of v at the end of buf[0..24), not NUL-terminated;
 * returns where they start (the length is buf + 24 - start).
 */
char *mg_numfmt_int(char buf[24], int64_t v);
/* The digits of v written at out (room for 20), not NUL-terminated: their length. */
size_t mg_numfmt_int_at(char *out, int64_t v);

/*
 * v (finite) as the shortest of %.15g, %.16g and %.17g that reads back
 * as v, NUL-terminated in out; returns its length. Byte for byte what
 * that search gives, "-0" included.
 */
size_t mg_numfmt_double(char out[MG_NUMFMT_MAX], double v);

#endif
