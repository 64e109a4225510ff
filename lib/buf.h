/*
 * buf.h - growable byte buffer with a hard size limit, and read-only slices.
 *
 * An mg_buf owns its allocation. MG_BUF_INIT points ptr at a shared empty
 * string, so ptr is never NULL and the contents are always NUL-terminated.
 * Every append returns 0, MG_ENOMEM, or MG_ELIMIT when the result would
 * exceed `max` bytes: everything fed from outside has a limit.
 */
#ifndef MG_BUF_H
#define MG_BUF_H

#include <stddef.h>
#include <stdarg.h>

#include "err.h"

extern char mg_buf__empty[1];

typedef struct mg_buf {
	char *ptr;  /* contents, NUL-terminated; mg_buf__empty until grown */
	size_t len; /* bytes used, excluding the terminating NUL */
	size_t cap; /* bytes allocated (0 while ptr is mg_buf__empty) */
	size_t max; /* the largest len allowed */
} mg_buf;

#define MG_BUF_NOLIMIT ((size_t)-1 / 2)
#define MG_BUF_INIT(limit)                                                     \
	{                                                                      \
		mg_buf__empty, 0, 0, (limit)                                   \
	}

/* A borrowed view of bytes; never owns, never NUL-terminated. */
typedef struct mg_slice {
	const char *ptr;
	size_t len;
} mg_slice;

void mg_buf_init(mg_buf *b, size_t max);
/* Ensure room for `extra` more bytes plus the NUL. */
int mg_buf_grow(mg_buf *b, size_t extra);
int mg_buf_put(mg_buf *b, const void *data, size_t len);
int mg_buf_puts(mg_buf *b, const char *s);
int mg_buf_putc(mg_buf *b, char c);
int mg_buf_printf(mg_buf *b, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
int mg_buf_vprintf(mg_buf *b, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));
/* Drop the contents, keep the allocation. */
void mg_buf_reset(mg_buf *b);
/* Shorten to len bytes (len <= b->len). */
void mg_buf_truncate(mg_buf *b, size_t len);
/*
 * Hand the allocation to the caller (free() it); the buffer is left empty.
 * Returns a malloc'd empty string for a never-grown buffer, NULL on ENOMEM.
 */
char *mg_buf_detach(mg_buf *b);
/* Free the allocation and re-initialise with the same max. */
void mg_buf_release(mg_buf *b);

/*
 * Room in the malloc'd array *arr (*cap elements of `size` bytes) for
 * element n: *cap doubles, from 16, until it is past n. 0, or MG_ENOMEM
 * with *arr and *cap untouched.
 */
int mg_array_grow(void **arr, size_t *cap, size_t n, size_t size);

/* Slice helpers used by the text parsers. */
mg_slice mg_slice_from(const char *s);
int mg_slice_eq(mg_slice s, const char *lit);
int mg_slice_has_prefix(mg_slice s, const char *lit);
mg_slice mg_slice_trim(mg_slice s);
/* Copy into a new NUL-terminated malloc'd string, NULL on ENOMEM. */
char *mg_slice_dup(mg_slice s);

/* Error-checked allocation helpers; free with free(). */
char *mg_strdup(const char *s);

#endif
