/*
 * sampleset.h - the repetitions of one (run, benchmark, unit) as one
 * text: a JSON array of [seq, value, iterations] (a "set"); and all the
 * sets of a run as one text, the form the store keeps them in
 * (schema/0012, table run_samples).
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

/* Whether v is within +-MG_SAMPLESET_MAX_INT. */
bool mg_sampleset_int_ok(int64_t v);
/* d as *out, if it is an integer within +-MG_SAMPLESET_MAX_INT. */
bool mg_sampleset_int_of(double d, int64_t *out);
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

/*
 * A run's sets: a JSON array of [benchmark id, "unit", set], one per
 * (benchmark, unit), e.g. [[7,"B/op",[[0,64,100],[1,64,100]]]].
 *
 * mg_sampleset_run_add() appends the entry of one set whose text (from
 * mg_sampleset_encode) is set[0..len): an empty out starts the array.
 * mg_sampleset_run_end() closes it ("[]" for no set). MG_EINPUT for a
 * bench_id outside 1..MG_SAMPLESET_MAX_INT, MG_ENOMEM, MG_ELIMIT (out's
 * limit).
 */
int mg_sampleset_run_add(mg_buf *out, int64_t bench_id, const char *unit,
                         const char *set, size_t len, mg_err *err);
int mg_sampleset_run_end(mg_buf *out, mg_err *err);

/* One set of a decoded run: its samples are items[first .. first + n). */
typedef struct mg_sampleset_entry {
	int64_t bench_id;
	const char *unit; /* NUL-terminated, owned by the mg_sampleset_run */
	size_t first, n;
} mg_sampleset_entry;

typedef struct mg_sampleset_run {
	mg_sampleset_entry *v; /* in (bench_id, unit) order */
	size_t n;
	mg_sampleset_item *items;
	size_t nitems;
	char *units; /* the entries' units, one allocation */
} mg_sampleset_run;

/*
 * Read a run's text into *out (mg_sampleset_run_free() it, on success
 * or not). The entries come back in (bench_id, unit) order whatever
 * their order in the text. MG_EINPUT naming the entry and what is wrong
 * (not JSON, not an array of [integer, string, set], a benchmark id out
 * of range, a unit that is not a unit name, the same benchmark and unit
 * twice, or the set's own refusal), MG_ELIMIT past MG_SAMPLESET_MAX
 * samples in all, MG_ENOMEM.
 */
int mg_sampleset_run_decode(mg_sampleset_run *out, const char *text, size_t len,
                            mg_err *err);

/* Whether a reader wants benchmark bench_id's sets. */
typedef bool (*mg_sampleset_keep_fn)(int64_t bench_id, void *arg);

/*
 * mg_sampleset_run_decode() for the store's readers, of the entries
 * keep() accepts (NULL: all). A text as the store writes it (entries in
 * (bench_id, unit) order, units without escapes) is read in one pass
 * without a tree, and an entry not kept has its id and unit read and its
 * set passed over: its numbers are neither converted nor checked, which
 * is what makes a slice of a run cheap to read. Anything else goes to
 * mg_sampleset_run_decode(), whose errors are returned, and whose
 * entries are then filtered. So the result and any error are
 * mg_sampleset_run_decode()'s, filtered, except that a fault inside a
 * set not kept may pass unnoticed.
 */
int mg_sampleset_run_read(mg_sampleset_run *out, const char *text, size_t len,
                          mg_sampleset_keep_fn keep, void *arg, mg_err *err);
void mg_sampleset_run_free(mg_sampleset_run *r);

#endif
