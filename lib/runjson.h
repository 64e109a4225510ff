/*
 * runjson.h - the JSON run format: the document `memgate collect --server`
 * uploads and `memgate-server` checks on POST /api/v1/runs. It carries one
 * mg_run (run.h) whole; schema/run.schema.json describes it as a JSON
 * Schema (draft 2020-12) with the limits below.
 *
 * Version 1, field by field (every field is required; "?" marks those that
 * may be null, which stands for a NULL string in the model):
 *
 *   format            "memgate-run"
 *   version           1
 *   project           string, not empty ("owner/repo")
 *   clone_url?, default_branch?             string
 *   commit            {sha, parents[], author?, commit_time, subject?}
 *                     sha and parents: 40 lower-case hex digits;
 *                     commit_time: unix seconds
 *   branch?           string
 *   dirty             true | false
 *   pr?               {number?, base_ref?, base_sha?}; number >= 1
 *   environment       {os?, kernel?, arch?, cpu_model?, cores, mem_bytes,
 *                      go_version?, gomaxprocs?, gogc?, gomemlimit?,
 *                      godebug?, thp?, label?}
 *   started_at, ended_at                    unix milliseconds
 *   build_cmd?, bench_cmd?                  string
 *   exit_status       int (C int range)
 *   wall_ns, peak_rss_bytes                 >= 0
 *   status            "ok" | "failed"
 *   log_tail?, idempotency_key?             string
 *   benchmarks        [{name, package, procs, config: {key: value},
 *                       samples: [{unit, value, iterations, seq}]}]
 *   profiles          [{kind, package, sample_types: ["type/unit"],
 *                       default_sample_type?, data_base64, sha256,
 *                       functions: [{sample_type, function, file, flat,
 *                                    cum}]}]
 *
 * Samples are grouped under their benchmark (mg_sample.bench is implied by
 * the position); a function names its sample type by the string listed in
 * the profile's sample_types. data_base64 is the raw profile (RFC 4648
 * base64 with padding, no line breaks) and sha256 its hex digest, checked
 * on read. Integers must be integral JSON numbers within +-(2^53-1): cJSON
 * holds numbers as doubles, and so do JavaScript and many other readers
 * (I-JSON, RFC 7493); 2^53 ns is 104 days, 2^53 bytes 8 PiB.
 *
 * Names in a run must be unique where the store keys them: a benchmark by
 * (package, name, procs), a sample by (unit, seq) within its benchmark, a
 * config key within its benchmark, a sample type by its type name within
 * its profile, a function by (sample_type, function, file).
 *
 * Members not listed above are ignored, so a later minor revision can add
 * fields without breaking older servers; a change that older readers must
 * not misread increments "version", which readers refuse when unknown.
 */
#ifndef MG_RUNJSON_H
#define MG_RUNJSON_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"
#include "run.h"

#define MG_RUNJSON_FORMAT "memgate-run" /* the "format" member */
#define MG_RUNJSON_VERSION 1            /* the one version this code reads */

/*
 * Limits of the reader; the writer refuses runs that would exceed them, so
 * whatever it writes, the reader reads.
 */
/* The server's default body limit; profiles travel as base64 inside. */
#define MG_RUNJSON_MAX_INPUT (64 << 20)
/* The format nests 5 levels; the rest is room for later fields. */
#define MG_RUNJSON_MAX_DEPTH 32
/*
 * JSON values (objects, arrays, scalars; keys not counted). The tree is
 * built in one arena block (lib/jsonstrict.c) sized before it is built:
 * a cJSON node and alignment room per value plus the document's length
 * for the strings, mg_jsonstrict_tree_size(), so this bounds the tree
 * near 0.5 GiB for a 64 MiB document (cJSON's own parser took ~100 bytes
 * per value in malloc'd pieces: 434 MiB of peak RSS was measured for a
 * 50 MB document of 4.06 million values). A sample costs 5 values, so
 * this allows ~800,000 samples, 8 times a run of 10,000 benchmarks x 3
 * units x -count=10 (issue 6 sizes a typical run at 6,000).
 */
#define MG_RUNJSON_MAX_VALUES (1 << 22)
/* Configuration keys per benchmark (Go prints goos, goarch, pkg, cpu). */
#define MG_RUNJSON_MAX_CONFIG 64
/* The largest magnitude of an integer: 2^53 - 1, exact in a double. */
#define MG_RUNJSON_MAX_INT 9007199254740991LL

/*
 * Append the JSON document of `run` to out (compact, UTF-8, no trailing
 * newline). The run is checked first, with the reader's rules (messages
 * name the field by its JSON path, "benchmarks[2].samples[0].unit") and
 * then mg_run_validate(). Invalid UTF-8 in strings (a legacy-encoded
 * commit message, a log cut inside a character) is written as '?', one
 * per bad byte, so lengths stay within limits. Numbers are exact: integers
 * as such, doubles in the shortest form that reads back to the same bits.
 * Returns 0; MG_EINPUT for a run that breaks a rule; MG_ELIMIT when the
 * document would exceed MG_RUNJSON_MAX_INPUT bytes or
 * MG_RUNJSON_MAX_VALUES values (or out->max); MG_ENOMEM. On error out
 * keeps its previous contents.
 */
int mg_runjson_write(mg_buf *out, const mg_run *run, mg_err *err);

/*
 * Read a run document of `len` bytes (no NUL terminator needed). Strict:
 * RFC 8259 syntax (no control characters in strings, no leading zeros,
 * no "\u0000", which a C string cannot hold), UTF-8 throughout, every
 * field present with its type, integers integral and in range, strings
 * at most MG_RUN_MAX_STR bytes, arrays within the run.h limits, shas and
 * units well formed, base64 canonical, sha256 matching, no duplicates
 * (see above), and finally mg_run_validate(). Unknown members are
 * ignored; an unknown "format" or "version" is refused.
 *
 * On success *out receives the run (release it with mg_run_release();
 * whatever *out held is overwritten, not freed). On error *out is
 * untouched and err says what and where: "field 'benchmarks[3].samples[0]
 * .unit': expected a string", or "invalid JSON at line 1, column 12: ..."
 * for syntax. Returns MG_EINPUT, MG_ELIMIT (input or value count over the
 * limits above), or MG_ENOMEM.
 *
 * Memory: the input and the run built from it are alive at once; decoded
 * profiles add 3/4 of their base64 size. A document with unknown members
 * or members in an order the one-pass reader cannot follow (see
 * runjson_pull.c), and one that is refused, is read through a tree as
 * well: one arena block, see MG_RUNJSON_MAX_VALUES; 8.7 MB reserved and
 * 5.5 MB touched for the 1.78 MB document of the ingest benchmark.
 */
int mg_runjson_read(mg_run *out, const char *data, size_t len, mg_err *err);

/*
 * Whether mg_runjson_read() tries its one-pass reader first (the
 * default); off, every document goes through the tree. For tests and
 * benchmarks that compare the two; not thread-safe.
 */
void mg_runjson_set_pull(bool on);
/* How many documents the one-pass reader has read in this process. */
unsigned long mg_runjson_pulled(void);

#endif
