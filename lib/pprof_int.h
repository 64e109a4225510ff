/*
 * pprof_int.h - the parsed form of a profile, shared by pprof.c (the
 * decoder) and pprof_top.c (aggregation and the -top report). Ids are
 * resolved to array indexes at parse time and every index has been
 * checked, so the aggregation code never validates again.
 */
#ifndef MG_PPROF_INT_H
#define MG_PPROF_INT_H

#include "pprof.h"

#define MG_PPROF_NONE UINT32_MAX /* "no such index" in the uint32 fields */

typedef struct pp_str {
	const char *ptr; /* into mg_pprof.buf, NUL-terminated after parsing */
	size_t len;      /* length; the string may contain NUL bytes */
} pp_str;

typedef struct pp_function {
	uint64_t id;
	uint32_t name;     /* string index */
	uint32_t filename; /* string index */
	int64_t start_line;
} pp_function;

typedef struct pp_mapping {
	uint64_t id;
	uint32_t filename; /* string index */
	uint32_t build_id; /* string index */
} pp_mapping;

typedef struct pp_location {
	uint64_t id;
	uint64_t line_off; /* first entry in mg_pprof.line_func */
	uint32_t nlines;   /* inlined frames: line[0] is the innermost */
	uint32_t mapping;  /* index into mappings, MG_PPROF_NONE if none */
} pp_location;

typedef struct pp_value_type {
	uint32_t type; /* string index */
	uint32_t unit; /* string index */
} pp_value_type;

struct mg_pprof {
	char *name;         /* for messages */
	unsigned char *buf; /* decompressed profile, strings point into it */
	size_t buf_len;
	size_t mem_used; /* bytes charged against mem_max */
	size_t mem_max;  /* budget of the parsed form */
	int alloc_error; /* MG_ELIMIT or MG_ENOMEM of the last failure */
	unsigned char *base_mark; /* per sample: labelled pprof::base=true,
				     NULL when no sample is */

	pp_str *strings; /* the string table; strings[0] is "" */
	size_t nstrings;
	pp_value_type *sample_types;
	size_t ntypes;
	char **type_names; /* NUL-terminated copies for the accessors */
	char **unit_names;
	pp_mapping *mappings;
	size_t nmappings;
	pp_function *functions;
	size_t nfunctions;
	pp_location *locations;
	size_t nlocations;
	uint32_t *line_func; /* function index of every Line, by location */
	size_t nlines;

	size_t nsamples;
	uint64_t *sample_off;  /* nsamples + 1 offsets into sample_locs */
	uint32_t *sample_locs; /* location indexes, leaf first */
	size_t nsample_locs;
	int64_t *values; /* nsamples * ntypes, sample-major */

	int64_t drop_frames, keep_frames; /* string indexes */
	int64_t time_nanos, duration_nanos, period;
	pp_value_type period_type;
	uint32_t *comments; /* string indexes */
	size_t ncomments;
	int64_t default_sample_type; /* string index, 0 if unset */
};

#endif
