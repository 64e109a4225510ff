/*
 * intern.c - a set of byte strings numbered in order of first insertion,
 * with an open-addressing hash index (FNV-1a). Used to intern names while
 * comparing runs, and by the store to remember ids it has looked up.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "intern.h"

static uint32_t fnv1a(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

void mg_intern_release(mg_intern *in)
{
	size_t i;

	for (i = 0; i < in->n; i++)
		free(in->keys[i]);
	free(in->keys);
	free(in->lens);
	free(in->slots);
	memset(in, 0, sizeof(*in));
}

/* Index every key of in into the zeroed slots[nslots]. */
static void fill(const mg_intern *in, uint32_t *slots, size_t nslots)
{
	size_t i, j;

	for (i = 0; i < in->n; i++) {
		j = fnv1a(in->keys[i], in->lens[i]) & (nslots - 1);
		while (slots[j] != 0)
			j = (j + 1) & (nslots - 1);
		slots[j] = (uint32_t)(i + 1);
	}
}

static int rehash(mg_intern *in, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (slots == NULL)
		return MG_ENOMEM;
	fill(in, slots, nslots);
	free(in->slots);
	in->slots = slots;
	in->nslots = nslots;
	return 0;
}

int mg_intern_get(mg_intern *in, const void *key, size_t len, bool add,
                  size_t *idx, bool *added)
{
	size_t j;
	char *copy;

	if (added)
		*added = false;
	if (in->nslots) {
		j = fnv1a(key, len) & (in->nslots - 1);
		for (; in->slots[j] != 0; j = (j + 1) & (in->nslots - 1)) {
			size_t k = in->slots[j] - 1;

			if (in->lens[k] == len &&
			    memcmp(in->keys[k], key, len) == 0) {
				*idx = k;
				return 0;
			}
		}
	}
	if (!add)
		return MG_ENOTFOUND;
	if (in->n >= UINT32_MAX - 1)
		return MG_ELIMIT;
	if ((in->n + 1) * 2 >= in->nslots &&
	    rehash(in, in->nslots ? in->nslots * 2 : 64) < 0)
		return MG_ENOMEM;
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		char **keys = realloc(in->keys, cap * sizeof(*keys));
		size_t *lens;

		if (keys == NULL)
			return MG_ENOMEM;
		in->keys = keys;
		lens = realloc(in->lens, cap * sizeof(*lens));
		if (lens == NULL)
			return MG_ENOMEM;
		in->lens = lens;
		in->cap = cap;
	}
	copy = malloc(len + 1);
	if (copy == NULL)
		return MG_ENOMEM;
	memcpy(copy, key, len);
	copy[len] = '\0';
	in->keys[in->n] = copy;
	in->lens[in->n] = len;
	j = fnv1a(key, len) & (in->nslots - 1);
	while (in->slots[j] != 0)
		j = (j + 1) & (in->nslots - 1);
	in->slots[j] = (uint32_t)(in->n + 1);
	*idx = in->n++;
	if (added)
		*added = true;
	return 0;
}

void mg_intern_truncate(mg_intern *in, size_t n)
{
	size_t i;

	if (n >= in->n)
		return;
	for (i = n; i < in->n; i++)
		free(in->keys[i]);
	in->n = n;
	/* the same slots, refilled without the keys dropped: cannot fail */
	memset(in->slots, 0, in->nslots * sizeof(*in->slots));
	fill(in, in->slots, in->nslots);
}
