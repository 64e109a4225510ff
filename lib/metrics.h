/*
 * metrics.h - readers of two generic metric documents, for tools that are
 * not Go benchmarks (Rust, Python, shell scripts reporting their own
 * memory figures):
 *
 * 1. memgate's metrics document (schema/metrics.schema.json):
 *
 *   {
 *     "format": "memgate-metrics",
 *     "version": 1,
 *     "benchmarks": {
 *       "<benchmark name>": {
 *         "<unit>": <number>
 *                 | [<number>, ...]
 *                 | {"values": <number> | [<number>, ...],
 *                    "direction": "lower_is_better" | "higher_is_better",
 *                    "iterations": <integer >= 1>}
 *       }
 *     }
 *   }
 *
 *    Each number is one sample (a list is the repetitions, seq 0, 1, ...)
 *    with iterations 1 unless given. The unit is any run.h unit
 *    ("peak-rss-B", "B/op", "ops/s"). memgate judges a unit by its name:
 *    higher is better exactly for units ending in "/s" (stats.h,
 *    mg_stats_unit_better); "direction", when given, must agree, so a
 *    document never silently regresses the wrong way. Members other than
 *    these are refused at the top level of a unit object (a typo must not
 *    drop a setting) and ignored at the top level of the document.
 *
 * 2. Bencher Metric Format (BMF, bencher.dev), the best-known generic
 *    format for this purpose:
 *
 *   {"<benchmark name>": {"<measure>": {"value": <number>,
 *                                       "lower_value": <number>,
 *                                       "upper_value": <number>}}}
 *
 *    value is required; lower_value and upper_value are optional bounds,
 *    checked (finite numbers, lower <= value <= upper) but not stored: the
 *    run model has no intervals. One sample per measure, iterations 1,
 *    seq 0. Bencher's built-in measure slugs get units that carry their
 *    unit and direction: "latency" -> "latency-ns", "throughput" ->
 *    "throughput-ops/s", "file-size" -> "file-size-B", "build-time" ->
 *    "build-time-s"; any other measure name is the unit as written.
 *
 * Every value must be a finite number. Benchmarks are added with package
 * "" and procs 0; a name already in the run, or given twice, is refused.
 * Errors: "<name>:<line>: field '<path>': <what>", the line found by
 * re-scanning the text (jsonpos.h); on error run may hold part of the
 * document: discard it.
 */
#ifndef MG_METRICS_H
#define MG_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "run.h"

/*
 * Input size: ~50 bytes per value, 256 MiB is 5 million values
 * (MG_RUN_MAX_SAMPLES); cJSON's tree costs a few times the text.
 */
#define MG_METRICS_MAX_INPUT ((size_t)256 << 20)
/* Units of one benchmark: more looks like a document built wrong. */
#define MG_METRICS_MAX_UNITS 256

#define MG_METRICS_FORMAT "memgate-metrics"
#define MG_METRICS_VERSION 1

/*
 * Read a memgate metrics document into run (benches and samples only).
 * MG_EINPUT malformed, MG_ELIMIT over a limit, MG_ENOMEM.
 */
int mg_metrics_to_run(mg_run *run, const char *data, size_t len,
                      const char *name, mg_err *err);

/* Read a Bencher Metric Format document into run, likewise. */
int mg_metrics_bmf_to_run(mg_run *run, const char *data, size_t len,
                          const char *name, mg_err *err);

/* Content sniffing for auto-detection (cheap, not a validation). */
bool mg_metrics_sniff(const char *data, size_t len);
/* A JSON object whose text holds a "value" member and no "benchmarks". */
bool mg_metrics_bmf_sniff(const char *data, size_t len);

#endif
