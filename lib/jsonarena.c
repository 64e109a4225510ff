/*
 * jsonarena.c - bump allocation for JSON trees (jsonarena.h).
 *
 * A chunk is a malloc'd header followed by its bytes; allocations are
 * carved from the newest chunk, aligned to ALIGN. The arena never frees
 * single allocations: release frees the chunks.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "jsonarena.h"

/* Alignment of every allocation: enough for any type, as malloc's. */
#define ALIGN alignof(max_align_t)

#if defined(__SANITIZE_ADDRESS__)
#define MG_ARENA_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MG_ARENA_ASAN 1
#endif
#endif

#ifdef MG_ARENA_ASAN
#include <sanitizer/asan_interface.h>
/* Poisoned bytes after each allocation, so an overflow is reported. */
#define REDZONE ALIGN
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define REDZONE 0
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

_Static_assert(ALIGN - 1 + REDZONE <= MG_JSONARENA_OVERHEAD,
               "MG_JSONARENA_OVERHEAD too small");

struct mg_jsonarena_chunk {
	struct mg_jsonarena_chunk *next; /* older chunk */
	size_t size;                     /* bytes after the header */
	size_t pos;                      /* bytes of them handed out */
	alignas(max_align_t) unsigned char data[];
};

void mg_jsonarena_init(mg_jsonarena *a, size_t max)
{
	a->head = NULL;
	a->used = 0;
	a->max = max;
}

/* Add an empty chunk of `size` bytes in front. */
static struct mg_jsonarena_chunk *chunk_add(mg_jsonarena *a, size_t size)
{
	struct mg_jsonarena_chunk *c;

	if (size > SIZE_MAX - sizeof(*c))
		return NULL;
	c = malloc(sizeof(*c) + size);
	if (c == NULL)
		return NULL;
	c->next = a->head;
	c->size = size;
	c->pos = 0;
	POISON(c->data, size);
	a->head = c;
	return c;
}

int mg_jsonarena_reserve(mg_jsonarena *a, size_t n)
{
	if (n > a->max - a->used)
		return MG_ELIMIT;
	if (a->head != NULL && a->head->size - a->head->pos >= n)
		return 0;
	return chunk_add(a, n) ? 0 : MG_ENOMEM;
}

void *mg_jsonarena_alloc(mg_jsonarena *a, size_t n)
{
	struct mg_jsonarena_chunk *c = a->head;
	size_t need, size;
	void *p;

	/* Rounded up to ALIGN (n == 0 still takes ALIGN bytes). */
	if (n > SIZE_MAX / 2)
		return NULL;
	need = ((n ? n : 1) + ALIGN - 1) / ALIGN * ALIGN + REDZONE;
	if (need > a->max - a->used)
		return NULL;
	if (c == NULL || c->size - c->pos < need) {
		/* The rest of the current chunk is left unused. */
		size = a->max - a->used;
		if (size > MG_JSONARENA_CHUNK_MAX)
			size = MG_JSONARENA_CHUNK_MAX;
		if (size < MG_JSONARENA_CHUNK_MIN)
			size = MG_JSONARENA_CHUNK_MIN;
		if (size < need)
			size = need;
		c = chunk_add(a, size);
		if (c == NULL)
			return NULL;
	}
	p = c->data + c->pos;
	c->pos += need;
	a->used += need;
	UNPOISON(p, n);
	return p;
}

void mg_jsonarena_release(mg_jsonarena *a)
{
	struct mg_jsonarena_chunk *c = a->head, *next;

	while (c) {
		next = c->next;
		UNPOISON(c->data, c->size);
		free(c);
		c = next;
	}
	mg_jsonarena_init(a, a->max);
}
