/*
 * jsonarena.h - a bump allocator for building one JSON tree, dropped whole.
 *
 * Reading a large run document makes tens of thousands of small nodes and
 * key strings (a 1.78 MB upload: ~54,000 nodes and ~63,000 strings; as a
 * malloc/free pair each under cJSON, about a quarter of the read's CPU
 * time).
 * An arena hands them out by bumping a pointer in a few large chunks and
 * frees the chunks at once, so nothing walks the tree to free it.
 *
 * The limit set at init bounds what the arena hands out; an allocation
 * past it returns NULL, as a failed malloc would. A caller that knows
 * what it will need reserves it first (one malloc for the whole tree:
 * jsonstrict.c counts it while checking the syntax); otherwise chunks are
 * sized to the rest of the limit, within MG_JSONARENA_CHUNK_MIN and
 * MG_JSONARENA_CHUNK_MAX. Pages of a chunk never written cost only
 * address space.
 *
 * Under AddressSanitizer each allocation is followed by a poisoned red
 * zone and the unused rest of a chunk stays poisoned, so overflows of a
 * node or string are still reported; use after release is reported as
 * a use of freed heap memory, since chunks come from malloc.
 *
 * An arena is used by one thread at a time; it is not locked.
 */
#ifndef MG_JSONARENA_H
#define MG_JSONARENA_H

#include <stddef.h>

/* The smallest chunk, so that tiny limits do not make tiny mallocs. */
#define MG_JSONARENA_CHUNK_MIN (16 << 10)
/*
 * The largest chunk not reserved: glibc serves blocks up to 32 MiB from
 * mmap() only until one of that size is freed, then from the heap, where
 * the pages of one document's chunk are reused by the next document
 * instead of faulted in afresh. (Chunks doubling from 64 KiB, freed
 * together, went past glibc's trim threshold and were unmapped after
 * every document: 1,300 page faults per 1.78 MB run document cost more
 * than the arena saved.)
 */
#define MG_JSONARENA_CHUNK_MAX (32 << 20)
/*
 * The most an allocation of n bytes takes from the limit beyond n:
 * rounding up to malloc's alignment (16) and, under AddressSanitizer, a
 * 16-byte red zone. Callers size limits with it.
 */
#define MG_JSONARENA_OVERHEAD 32

struct mg_jsonarena_chunk;

typedef struct mg_jsonarena {
	struct mg_jsonarena_chunk *head; /* newest chunk first, or NULL */
	size_t used; /* bytes handed out, alignment included */
	size_t max;  /* limit on used */
} mg_jsonarena;

/*
 * Initialise an empty arena that hands out at most `max` bytes; nothing
 * is allocated before the first mg_jsonarena_reserve() or _alloc().
 */
void mg_jsonarena_init(mg_jsonarena *a, size_t max);

/*
 * Make sure the next allocations totalling `n` bytes (overheads
 * included) need no further malloc: a new chunk of n bytes unless the
 * current one has the room. MG_ELIMIT past the limit, MG_ENOMEM.
 */
int mg_jsonarena_reserve(mg_jsonarena *a, size_t n);

/*
 * `n` bytes aligned for any type (like malloc), valid until
 * mg_jsonarena_release(); NULL when the limit or malloc says no.
 * n == 0 gives a valid unique pointer.
 */
void *mg_jsonarena_alloc(mg_jsonarena *a, size_t n);

/* Free every chunk; the arena is empty again (same limit) afterwards. */
void mg_jsonarena_release(mg_jsonarena *a);

#endif
