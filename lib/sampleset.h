/*
 * sampleset.h - the repetitions of one (run, benchmark, unit) as one
 * text: a JSON array of [seq, value, iterations], the form the store
 * keeps them in (schema/0010, table sample_sets).
 *
 * Values are written so that they read back bit for bit, here and in
 * SQLite's JSON functions (the `samples` view): integers digit by digit,
 * other doubles as the shortest of %.15g, %.16g and %.17g that
 * round-trips. seq and iterations are integers within +-(2^53 - 1), so
 * that a JSON number holds them exactly.
 */
#ifndef MG_SAMPLESET_H
#define MG_SAMPLESET_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "run.h"

/* The largest integer a JSON number (a double) holds exactly. */
#define MG_SAMPLESET_MAX_INT 9007199254740991LL
/* Elements of one set the decoder accepts. */
#define MG_SAMPLESET_MAX 1000000

typedef struct mg_sampleset_item {
	int64_t seq;
	double value;
	int64_t iterations;
} mg_sampleset_item;

/*
 * Replace out's contents with the text of s[0..n), which the caller has
 * put in seq order. MG_EINPUT (message names s[i]'s seq) for a value
 * that is not finite or an integer beyond MG_SAMPLESET_MAX_INT,
 * MG_ENOMEM.
 */
int mg_sampleset_encode(mg_buf *out, const mg_sample *const *s, size_t n,
                        mg_err *err);

/*
 * Read the len bytes of text: *items gets a malloc'd array of *n >= 1
 * elements (free() it). MG_EINPUT naming the element and what is wrong
 * (not JSON, not an array of [integer, number, integer], an empty array,
 * an integer out of range, seqs not increasing), MG_ELIMIT past
 * MG_SAMPLESET_MAX elements, MG_ENOMEM.
 */
int mg_sampleset_decode(const char *text, size_t len, mg_sampleset_item **items,
                        size_t *n, mg_err *err);

#endif
