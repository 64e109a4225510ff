/*
 * histchunk.h - the history points of one series (benchmark, unit,
 * branch) in chunks of text, the form the store keeps them in
 * (schema/0013, table history_chunks): a JSON array of
 *   [commit_time, commit_id, n, median, min, max]
 * in (commit_time, commit_id) order, at most MG_HISTCHUNK_MAX points.
 *
 * Values are written as sample sets write theirs (sampleset.h): they
 * read back bit for bit, here and in SQLite's JSON functions (the
 * `history_points` view).
 */
#ifndef MG_HISTCHUNK_H
#define MG_HISTCHUNK_H

#include <stdint.h>

#include "buf.h"
#include "err.h"

/*
 * Points in a chunk. Small enough that a chunk (about 45 bytes a point)
 * stays within a b-tree cell of a 4 KiB page, without overflow pages:
 * adding a point rewrites one page, as a row per point did.
 */
#define MG_HISTCHUNK_MAX 16

typedef struct mg_histchunk_point {
	int64_t commit_time, commit_id;
	int64_t n;
	double median, min, max;
} mg_histchunk_point;

/*
 * Append pt's element to out (an empty out starts the array; so does
 * the text of a chunk with its closing ']' cut off, to append to it);
 * mg_histchunk_end() closes it. MG_EINPUT for a value that is not
 * finite, or an integer beyond 2^53-1 (commit_id and n must be >= 1),
 * MG_ENOMEM.
 */
int mg_histchunk_add(mg_buf *out, const mg_histchunk_point *pt, mg_err *err);
int mg_histchunk_end(mg_buf *out, mg_err *err);

/*
 * Read the len bytes of text into out[0..*n), 1 <= *n <=
 * MG_HISTCHUNK_MAX. MG_EINPUT naming the element and what is wrong (not
 * JSON, not an array of [integer, integer, integer, number, number,
 * number], empty, more than MG_HISTCHUNK_MAX points, keys not
 * increasing), MG_ENOMEM.
 */
int mg_histchunk_decode(const char *text, size_t len,
                        mg_histchunk_point out[MG_HISTCHUNK_MAX], size_t *n,
                        mg_err *err);

/* <0, 0, >0 as a's (commit_time, commit_id) is before, at, after b's. */
int mg_histchunk_cmp(const mg_histchunk_point *a, const mg_histchunk_point *b);

#endif
