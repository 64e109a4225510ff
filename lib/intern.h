/*
 * intern.h - a set of byte strings numbered in order of first insertion,
 * with a hash index (open addressing, FNV-1a). Keys may hold NUL bytes.
 */
#ifndef MG_INTERN_H
#define MG_INTERN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mg_intern {
	char **keys;     /* owned copies, each NUL-terminated too */
	size_t *lens;    /* their lengths */
	size_t n;        /* keys held */
	size_t cap;      /* slots of keys/lens */
	uint32_t *slots; /* index + 1, 0 for an empty slot */
	size_t nslots;   /* a power of two, kept > 2 n */
} mg_intern;

/* Free every key and the index; the set is empty (and reusable) again. */
void mg_intern_release(mg_intern *in);

/*
 * Find key; when absent and add is true, insert it. *idx gets its number,
 * *added (may be NULL) whether it was inserted. MG_ENOTFOUND (add false),
 * MG_ELIMIT (more than UINT32_MAX - 1 keys), MG_ENOMEM.
 */
int mg_intern_get(mg_intern *in, const void *key, size_t len, bool add,
                  size_t *idx, bool *added);

/* Forget the keys numbered n and above (no-op if there are fewer). */
void mg_intern_truncate(mg_intern *in, size_t n);

#endif
