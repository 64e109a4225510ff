/*
 * base64.h - standard base64 (RFC 4648, section 4) for the profiles that
 * run documents carry as text (runjson.c). The decoder takes one encoding
 * per byte string only, so a document cannot smuggle two spellings of
 * the same profile past the SHA-256 it names.
 *
 * Decoding a 1 MiB profile is a large part of reading a run document on
 * the server; where the CPU has AVX2 it decodes and checks 32 characters
 * at a time (base64.c says how), and byte-wise tables elsewhere.
 */
#ifndef MG_BASE64_H
#define MG_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

/* Texts longer than this are refused (the largest run document). */
#define MG_BASE64_MAX_TEXT (64 * 1024 * 1024)

/* Append the base64 (padded, one line) of data to out. MG_ENOMEM. */
int mg_base64_encode(mg_buf *out, const unsigned char *data, size_t len);

/*
 * Decode canonical base64: length a multiple of 4, only the standard
 * alphabet, '=' only as one or two final padding characters, unused bits
 * zero. *out (free() it) receives *out_len bytes; MG_EINPUT with "invalid
 * base64 at offset N", MG_ENOMEM, or MG_ELIMIT above MG_BASE64_MAX_TEXT.
 */
int mg_base64_decode(unsigned char **out, size_t *out_len, const char *s,
                     size_t len, mg_err *err);

/*
 * Whether the decoder may use the vector path (when the CPU has one).
 * On by default; tests and the fuzzer turn it off to compare both paths.
 * Not for use while another thread decodes.
 */
void mg_base64_set_vector(bool on);

/* Whether mg_base64_decode() runs the vector path on this machine now. */
bool mg_base64_vector(void);

#endif
