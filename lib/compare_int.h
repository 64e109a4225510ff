/*
 * compare_int.h - the mg_compare body and helpers shared by the engine
 * (compare.c), its renderers (compare_text.c, compare_md.c,
 * compare_json.c) and the store loader (compare_baseline.c).
 *
 * Every sample given to the engine is one entry: its side, benchmark,
 * configuration, unit (ids into interned tables, numbered in order of
 * first appearance) and value. The engine pools entries per (benchmark,
 * unit) into pairs; the text renderer groups the same entries the way
 * benchstat does (per configuration and unit), so both read one copy.
 */
#ifndef MG_COMPARE_INT_H
#define MG_COMPARE_INT_H

#include <stdint.h>

#include "compare.h"
#include "intern.h"

typedef struct mg_compare_bench {
	char *package;  /* "" if none */
	char *name;     /* "BenchmarkX/sub" */
	int procs;      /* 0 if none */
	char *fullname; /* benchstat's row label: "X/sub-8" */
} mg_compare_bench;

typedef struct mg_compare_config {
	mg_kv *kv; /* in the order the input gave them */
	size_t n;
} mg_compare_config;

typedef struct mg_compare_entry {
	uint32_t bench;  /* into benches */
	uint32_t config; /* into configs */
	uint32_t unit;   /* into units */
	uint32_t side;   /* enum mg_compare_side */
	double value;    /* as measured, in the unit as measured */
} mg_compare_entry;

/* Heap-profile figures of one package and sample type, both sides. */
typedef struct mg_compare_prof {
	char *package;
	int type;        /* 0: alloc_space, 1: alloc_objects */
	mg_intern funcs; /* function names */
	int64_t (*v)[2]; /* flat per function and side */
	size_t vcap;
	int64_t total[2]; /* sum of flat per side */
	bool has[2];      /* a profile was seen on that side */
} mg_compare_prof;

typedef struct mg_compare_sidedata {
	char *label;
	char *sha;
	char *ref;
	mg_compare_side_info info; /* points at the three above */
	bool ok;                   /* an ok run was added */
	bool failed;               /* a failed run was added */
	bool missing;              /* mg_compare_set_missing */
	int64_t *run_ids;
	size_t nruns;
	mg_env env;   /* of the first ok run */
	bool has_env; /* env holds a copy */
} mg_compare_sidedata;

typedef struct mg_compare_floor {
	double rel; /* noise floor, relative */
} mg_compare_floor;

struct mg_compare {
	mg_compare_opts opts;
	mg_compare_thresholds thr; /* copy of opts.thresholds */
	mg_compare_sidedata side[2];
	mg_intern units;
	mg_intern bench_keys; /* package NUL name NUL procs */
	mg_compare_bench *benches;
	size_t bench_cap;
	mg_intern config_keys; /* serialised kv lists */
	mg_compare_config *configs;
	size_t config_cap;
	mg_compare_entry *entries;
	size_t nentries;
	size_t entry_cap;
	mg_intern prof_keys; /* package NUL type */
	mg_compare_prof *profs;
	size_t prof_cap;
	mg_intern floor_keys; /* package NUL name NUL procs NUL unit */
	double *floors;
	size_t floor_cap;
	char **notes;
	size_t nnotes;
	/* results */
	bool done;
	mg_compare_pair *pairs;
	double **values; /* per pair: base values then head values */
	size_t npairs;
	mg_compare_attr *attrs; /* all pairs' attribution, pairs point in */
	size_t nattrs;
	mg_compare_geomean *geo;
	size_t ngeo;
	size_t nbench_both;
	enum mg_stats_verdict verdict;
};

/* benchstat's unit tidying: "ns/op" -> "sec/op" x 1e-9, "MB/s" -> "B/s". */
void mg_compare__tidy_unit(mg_buf *out, const char *unit, double *factor);
/* True if the (tidied) unit counts bytes in its numerator: binary prefixes. */
bool mg_compare__unit_binary(const char *unit);

/* benchunit's scaler: digits after the point, factor and prefix. */
typedef struct mg_compare_scaler {
	int prec;
	double factor;
	const char *prefix;
} mg_compare_scaler;

/* The common scale showing >= 3 significant digits of every value. */
void mg_compare__scaler(mg_compare_scaler *out, const double *vals, size_t n,
                        bool binary);
/* Append val formatted with the scaler ("1.718µ"). */
int mg_compare__scaled(mg_buf *out, const mg_compare_scaler *s, double val);
/* Go's %v for a float64 in [0, 1] and other plain values (shortest). */
int mg_compare__shortest(mg_buf *out, double v);
/* Short label of a side for summaries: label, else "base"/"head". */
const char *mg_compare__side_name(const mg_compare *c, enum mg_compare_side s);

/* Mark a side failed: a stand-in failed run carries the run id. */
int mg_compare__add_failed(mg_compare *c, enum mg_compare_side side, int64_t id,
                           mg_err *err);

#endif
