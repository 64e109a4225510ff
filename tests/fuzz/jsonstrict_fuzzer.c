/*
 * jsonstrict_fuzzer.c - mg_jsonstrict_parse() on arbitrary bytes, with
 * cJSON as the oracle: whatever text the strict reader accepts, cJSON
 * accepts too (it is the more lenient), and the two trees must be the
 * same node for node: types, keys, strings byte for byte, the bits of
 * every double, valueint, member order, and the prev links cJSON keeps
 * (the head's prev is the tail).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <cjson/cJSON.h>

#include "jsonarena.h"
#include "jsonstrict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Fuzz inputs are small; this only keeps a pathological one bounded. */
#define FUZZ_MAX_VALUES 100000

static bool same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* The lists starting at mine and ref; the document's root is no list. */
static bool same(const cJSON *mine, const cJSON *ref, bool list)
{
	const cJSON *head = mine, *prev = NULL;

	for (; mine && ref; prev = mine, mine = mine->next, ref = ref->next) {
		if (mine->type != ref->type ||
		    !same_str(mine->string, ref->string) ||
		    !same_str(mine->valuestring, ref->valuestring) ||
		    mine->valueint != ref->valueint ||
		    memcmp(&mine->valuedouble, &ref->valuedouble,
		           sizeof(double)) != 0)
			return false;
		if (mine != head && mine->prev != prev)
			return false;
		if (!same(mine->child, ref->child, true))
			return false;
	}
	if (mine != NULL || ref != NULL)
		return false;
	/* A list's head points back at its tail. */
	return !list || head == NULL || head->prev == prev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mg_err err = MG_ERR_INIT;
	mg_jsonarena arena;
	cJSON *mine, *ref;
	size_t bad_utf8;

	mg_jsonarena_init(&arena,
	                  mg_jsonstrict_tree_size(size, FUZZ_MAX_VALUES));
	if (mg_jsonstrict_parse(&mine, &bad_utf8, &arena, (const char *)data,
	                        size, FUZZ_MAX_VALUES, &err) == 0) {
		if (bad_utf8 > size)
			abort();
		ref = cJSON_ParseWithLengthOpts((const char *)data, size, NULL,
		                                0);
		if (ref == NULL)
			abort(); /* strict accepted what cJSON refuses */
		if (!same(mine, ref, false))
			abort(); /* not the tree cJSON builds */
		cJSON_Delete(ref);
	} else if (err.code == 0 || err.msg[0] == '\0') {
		abort(); /* an error without a message */
	}
	mg_jsonarena_release(&arena);
	return 0;
}
