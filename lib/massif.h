/*
 * massif.h - reader of the output file of valgrind's heap profiler,
 * `valgrind --tool=massif --massif-out-file=FILE cmd`, the text format
 * ms_print reads (valgrind docs, "Massif: a heap profiler", section
 * "Massif's Output File Format").
 *
 * The format, line by line (a line ends at '\n'; one '\r' before it is
 * dropped):
 *
 *   desc: <options given to massif>        first line
 *   cmd: <the profiled command line>       second line
 *   time_unit: i|ms|B                      third line
 *   #-----------                           separator: lines starting with
 *                                          '#' outside a tree are skipped
 *                                          (massif writes one after
 *                                          "snapshot=N" too)
 *   snapshot=<N>                           N counts from 0, in order
 *   time=<T>                               then these five, in this order
 *   mem_heap_B=<bytes>                     useful heap bytes
 *   mem_heap_extra_B=<bytes>               allocator overhead (headers,
 *                                          alignment)
 *   mem_stacks_B=<bytes>                   stacks (0 unless --stacks=yes)
 *   heap_tree=empty|detailed|peak          detailed and peak snapshots are
 *                                          followed by their tree
 *
 * A tree is one line per node, the depth given by the number of leading
 * spaces:
 *
 *   n2: 2072576 (heap allocation functions) malloc/new/new[], ...
 *    n1: 1048576 0x1091C3: g (a.c:5)
 *     n0: 1048576 0x109210: main (a.c:6)
 *    n1: 1024000 0x10916D: f (a.c:4)
 *     n0: 1024000 0x109201: main (a.c:6)
 *
 * "n<K>:" says the node has K children, which follow it (depth + 1),
 * depth first. The root (depth 0) is all heap bytes of the snapshot. A
 * node at depth 1 is a code location that called an allocation function
 * directly; its children are the locations that called it, and so on
 * down the stack: the tree is a call tree read from the allocation
 * outwards, and each node's bytes are the sum over the stacks that pass
 * through the path from the root to it. A node whose text does not start
 * with "0x" is massif's "in N places, below massif's threshold" summary
 * (or the root); its bytes belong to no named function. A named node is
 * "0x<hex>: <function> (<file>:<line>)" or "(in <object>)" without debug
 * information; the function may itself hold spaces and parentheses (C++
 * signatures), so the location is the last parenthesised group.
 *
 * Checks beyond ms_print's: the children of a node must all be present
 * (a file cut short inside a tree is an error, not a smaller tree) and
 * may not add up to more bytes than the node.
 *
 * Function aggregates, in pprof's terms so that massif functions compare
 * like pprof functions (sample type "heap/bytes", in the chosen
 * snapshot):
 *   flat(F) = bytes of the depth-1 nodes whose location is in F: memory F
 *             allocated itself (F was the innermost frame, the one that
 *             called malloc/new);
 *   cum(F)  = bytes of the nodes whose location is in F and that have no
 *             ancestor below the root in F as well: memory allocated by
 *             F or by anything F called, each stack counted once even if
 *             F recurses.
 * A function is identified by (function, file); file is the source file
 * without the line number, or the object for "(in <object>)" frames, or
 * "" when neither is given. Bytes under --depth's cut-off or below the
 * threshold are in the cum of the frames massif did print, as massif
 * attributes them.
 *
 * The chosen snapshot is the one marked heap_tree=peak (the last if there
 * are several), else the detailed snapshot with the largest total
 * (heap + extra + stacks; the first on a tie), else none: then there are
 * no aggregates, only the peaks.
 *
 * The result copies what it keeps, so the input may be freed right after
 * parsing.
 */
#ifndef MG_MASSIF_H
#define MG_MASSIF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "run.h"

/*
 * Input size. Massif keeps at most --max-snapshots (default 100) of which
 * every tenth is detailed, cut at --depth (default 30) and --threshold
 * (1%): real files are kilobytes to a few MB. 256 MiB allows
 * --threshold=0 runs of large programs and still bounds our memory.
 */
#define MG_MASSIF_MAX_INPUT ((size_t)256 << 20)
/* Longest line: C++ template signatures reach a few KB. */
#define MG_MASSIF_MAX_LINE 65536
/* Tree depth: massif refuses --depth above 200, plus the root. */
#define MG_MASSIF_MAX_DEPTH 256
/* Snapshots: --max-snapshots allows up to 1000 (default 100). */
#define MG_MASSIF_MAX_SNAPSHOTS 100000
/* Nodes of one tree: --threshold=0 with deep stacks of a big program. */
#define MG_MASSIF_MAX_NODES 1000000
/* Distinct (function, file) pairs kept from the chosen tree. */
#define MG_MASSIF_MAX_FUNCS 100000

typedef struct mg_massif mg_massif; /* opaque parse result */

enum mg_massif_tree {
	MG_MASSIF_TREE_EMPTY = 0,    /* heap_tree=empty */
	MG_MASSIF_TREE_DETAILED = 1, /* heap_tree=detailed */
	MG_MASSIF_TREE_PEAK = 2,     /* heap_tree=peak */
};

typedef struct mg_massif_snapshot {
	int64_t time;       /* in time_unit */
	int64_t heap;       /* mem_heap_B */
	int64_t heap_extra; /* mem_heap_extra_B */
	int64_t stacks;     /* mem_stacks_B */
	enum mg_massif_tree tree;
} mg_massif_snapshot;

typedef struct mg_massif_func {
	const char *function; /* as massif prints it, "???" if unknown */
	const char *file;     /* source file or object, "" if unknown */
	int64_t flat;         /* bytes, see the definition above */
	int64_t cum;          /* bytes, likewise */
} mg_massif_func;

/*
 * Parse `len` bytes of a massif output file; `name` is only for
 * messages. On success the caller owns *out (mg_massif_free); on error
 * *out is untouched and err says "<name>:<line>: field '<f>': ...".
 * MG_EINPUT for malformed input, MG_ELIMIT when a limit above is hit,
 * MG_ENOMEM.
 */
int mg_massif_parse(mg_massif **out, const char *data, size_t len,
                    const char *name, mg_err *err);
void mg_massif_free(mg_massif *m);

/* Header strings, borrowed while m lives. */
const char *mg_massif_desc(const mg_massif *m);
const char *mg_massif_cmd(const mg_massif *m);
const char *mg_massif_time_unit(const mg_massif *m);

size_t mg_massif_nsnapshots(const mg_massif *m);
/* The i-th snapshot (i < nsnapshots), borrowed. */
const mg_massif_snapshot *mg_massif_snapshot_at(const mg_massif *m, size_t i);
/* Largest mem_heap_B over all snapshots (0 if none). */
int64_t mg_massif_peak_heap(const mg_massif *m);
/* Largest heap + extra + stacks over all snapshots (0 if none). */
int64_t mg_massif_peak_total(const mg_massif *m);
/* Index of the snapshot the aggregates come from, -1 if none. */
int64_t mg_massif_tree_snapshot(const mg_massif *m);

/*
 * Function aggregates of the chosen snapshot, sorted by flat, then cum
 * (both descending), then function and file; borrowed.
 */
size_t mg_massif_nfuncs(const mg_massif *m);
const mg_massif_func *mg_massif_func_at(const mg_massif *m, size_t i);

/* The sample type of the aggregates in a stored profile. */
#define MG_MASSIF_SAMPLE_TYPE "heap/bytes"
/* Profile kind and sample units used by mg_massif_add_to_run. */
#define MG_MASSIF_KIND "massif"
#define MG_MASSIF_UNIT_PEAK_HEAP "peak-heap-B"
#define MG_MASSIF_UNIT_PEAK_TOTAL "peak-total-B"

/*
 * Fill dst (a profile with no sample types yet) with the one sample type
 * MG_MASSIF_SAMPLE_TYPE, as default too, and one aggregate per function
 * in mg_massif_nfuncs order. MG_ECONFLICT if dst already has sample
 * types, MG_ENOMEM.
 */
int mg_massif_to_profile(mg_profile *dst, const mg_massif *m, mg_err *err);

/*
 * Add to run what a massif file says about benchmark `bench` (found or
 * added, package ""): samples MG_MASSIF_UNIT_PEAK_HEAP and
 * MG_MASSIF_UNIT_PEAK_TOTAL (iterations 1, repetition `seq`), and, when
 * `raw` is not NULL, a profile of kind MG_MASSIF_KIND holding the raw
 * file with the aggregates of mg_massif_to_profile.
 */
int mg_massif_add_to_run(mg_run *run, const mg_massif *m, const char *bench,
                         int64_t seq, const unsigned char *raw, size_t rawlen,
                         mg_err *err);

#endif
