/*
 * utf8.h - decoding one UTF-8 sequence, for the readers and writers that
 * check or escape text (run documents, JSON answers, forge comments, Go
 * benchmark lines).
 */
#ifndef MG_UTF8_H
#define MG_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The sequence at s (n > 0 bytes readable): its length, 1 to 4, with the
 * code point in *cp (cp may be NULL); 0 when the bytes there are not a
 * valid sequence (RFC 3629: no overlong forms, surrogates or code points
 * above U+10FFFF).
 */
size_t mg_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

#endif
