/*
 * jsonpos.h - line numbers for messages about JSON documents.
 *
 * cJSON keeps no positions, so a reader that finds a wrong value in a
 * parsed tree cannot say where it was. These helpers scan the text again,
 * only on the error path, and find the line of the value at a path of
 * member names and array indexes. The document is assumed to have parsed
 * already; on text that is not JSON they stop early and return the line
 * of the deepest step they reached.
 */
#ifndef MG_JSONPOS_H
#define MG_JSONPOS_H

#include <stddef.h>

typedef struct mg_jsonpos_step {
	const char *key; /* member name (matched as written), NULL: index */
	size_t index;    /* array index when key is NULL */
} mg_jsonpos_step;

/*
 * Line (from 1) of the value at path (n steps) in data, or of the deepest
 * step found. A member named twice is found at its first occurrence.
 */
size_t mg_jsonpos_line(const char *data, size_t len,
                       const mg_jsonpos_step *path, size_t n);

/* Line (from 1) of byte offset pos (clamped to len). */
size_t mg_jsonpos_line_at(const char *data, size_t len, size_t pos);

#endif
