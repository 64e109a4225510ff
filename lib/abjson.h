/*
 * abjson.h - the JSON document of one A/B session (`memgate ab`), as the
 * collector uploads it to POST /api/v1/ab-sessions after the session's
 * two runs (schema/ab.schema.json):
 *
 *   {"format": "memgate-ab", "version": 1, "project": "acme/x",
 *    "idempotency_key": "...", "base_run_key": "...",
 *    "head_run_key": "...", "rounds": 10, "confirm_rounds": 0,
 *    "aa": true, "floors": [{"package": "example.com/x",
 *    "name": "BenchmarkHash", "procs": 2, "unit": "ns/op", "n": 10,
 *    "median": 51.2, "noise_floor": 0.031}]}
 *
 * The runs are named by their idempotency keys: the document can wait in
 * the spool with them and be sent after them by `memgate push`.
 */
#ifndef MG_ABJSON_H
#define MG_ABJSON_H

#include "buf.h"
#include "err.h"
#include "store.h"

#define MG_ABJSON_FORMAT "memgate-ab"
#define MG_ABJSON_VERSION 1
/* The largest document read: 100k floors of ~250 bytes. */
#define MG_ABJSON_MAX_INPUT (32 << 20)
/* A key: the collector's are 32 hex digits; room for other clients. */
#define MG_ABJSON_MAX_KEY 128

typedef struct mg_abjson {
	char *project;
	char *key;             /* the session's idempotency key */
	char *base_key;        /* the base run's idempotency key */
	char *head_key;        /* the head run's */
	mg_ab_session session; /* floors point into this document */
	mg_ab_floor *floors;   /* owned: session.floors */
	char **strings;        /* owned copies the floors point at */
	size_t nstrings;
} mg_abjson;

void mg_abjson_init(mg_abjson *d);
void mg_abjson_release(mg_abjson *d);

/* Write a session document. MG_ENOMEM, MG_EINPUT (invalid session). */
int mg_abjson_write(mg_buf *out, const char *project, const char *key,
                    const char *base_key, const char *head_key,
                    const mg_ab_session *s, mg_err *err);

/*
 * Read one (into an initialised d). MG_EINPUT with "line N: field 'x':
 * ..." for anything malformed, another format or version, a key that is
 * not 1..MG_ABJSON_MAX_KEY printable characters, or an invalid session;
 * MG_ELIMIT above MG_ABJSON_MAX_INPUT; MG_ENOMEM.
 */
int mg_abjson_read(mg_abjson *d, const char *data, size_t len, mg_err *err);

/* Whether a spooled document is a session (not a run), by its start. */
bool mg_abjson_is_session(const char *data, size_t len);

#endif
