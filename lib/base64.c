/*
 * base64.c - see base64.h.
 *
 * Decoding checks as it goes: a character outside the alphabet stops it,
 * and the caller gets its offset. Two paths give the same bytes and the
 * same offsets (test_runjson and base64_fuzzer compare them):
 *  - tables, four look-ups per group of four characters;
 *  - with AVX2, 32 characters a step. Each character's high and low
 *    nibble index two 16-entry bit masks, whose AND is non-zero exactly
 *    for characters outside the alphabet (one bit per group of high
 *    nibbles: 2, 3, 4 and 6, 5 and 7, the rest). The high nibble, moved
 *    down by one for '/', picks what to add to make the 6-bit value.
 *    Multiply-adds then join pairs and pairs of pairs into 24-bit values,
 *    and byte shuffles put those in output order. A step that meets a
 *    bad character leaves it to the tables, which find its offset.
 */
#include <stdint.h>
#include <openssl/evp.h>

#include "base64.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define MG_BASE64_AVX2 1
#endif

static bool vector_on = true;

int mg_base64_encode(mg_buf *out, const unsigned char *data, size_t len)
{
	/*
	 * 48 KiB of input per call makes 64 KiB of text: EVP_EncodeBlock()
	 * counts in int, and only the last chunk needs padding since each
	 * other one is a multiple of 3 bytes.
	 */
	const size_t chunk = 3 * 16384;
	size_t n;
	int error, k;

	while (len > 0) {
		n = len < chunk ? len : chunk;
		error = mg_buf_grow(out, (n + 2) / 3 * 4);
		if (error < 0)
			return error;
		k = EVP_EncodeBlock((unsigned char *)out->ptr + out->len, data,
		                    (int)n);
		if (k < 0)
			return MG_EINTERNAL;
		out->len += (size_t)k;
		data += n;
		len -= n;
	}
	return 0;
}

/* The 6-bit value of every character, 0xff outside the alphabet. */
static const unsigned char b64_table[256] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3e, 0xff, 0xff, 0xff, 0x3f,
        0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06,
        0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12,
        0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24,
        0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30,
        0x31, 0x32, 0x33, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff,
};

/*
 * The tables of b64_decode(): character c at position k of a group of
 * four adds its 6 bits to a 24-bit value whose bytes are already in
 * output order (byte 0 in bits 0-7), or, outside the alphabet, sets bits
 * 24-31. One OR of four look-ups then decodes and checks a group.
 */
#define B64_V(c)                                                               \
	((c) >= 'A' && (c) <= 'Z'   ? (uint32_t)(c) - 'A'                      \
	 : (c) >= 'a' && (c) <= 'z' ? (uint32_t)(c) - 'a' + 26                 \
	 : (c) >= '0' && (c) <= '9' ? (uint32_t)(c) - '0' + 52                 \
	 : (c) == '+'               ? 62u                                      \
	 : (c) == '/'               ? 63u                                      \
	                            : 0xffu)
#define B64_BAD 0xff000000u
#define B64_D(c, k)                                                            \
	(B64_V(c) == 0xff ? B64_BAD                                            \
	 : (k) == 0       ? B64_V(c) << 2                                      \
	 : (k) == 1       ? B64_V(c) >> 4 | (B64_V(c) & 15) << 12              \
	 : (k) == 2       ? (B64_V(c) >> 2) << 8 | (B64_V(c) & 3) << 22        \
	                  : B64_V(c) << 16)
#define B64_R4(c, k)                                                           \
	B64_D(c, k), B64_D(c + 1, k), B64_D(c + 2, k), B64_D(c + 3, k)
#define B64_R16(c, k)                                                          \
	B64_R4(c, k), B64_R4(c + 4, k), B64_R4(c + 8, k), B64_R4(c + 12, k)
#define B64_R64(c, k)                                                          \
	B64_R16(c, k), B64_R16(c + 16, k), B64_R16(c + 32, k),                 \
	        B64_R16(c + 48, k)
#define B64_R256(k)                                                            \
	{                                                                      \
		B64_R64(0, k), B64_R64(64, k), B64_R64(128, k),                \
		        B64_R64(192, k)                                        \
	}

static const uint32_t b64_d[4][256] = {B64_R256(0), B64_R256(1), B64_R256(2),
                                       B64_R256(3)};
#undef B64_R256
#undef B64_R64
#undef B64_R16
#undef B64_R4
#undef B64_D
#undef B64_V

#ifdef MG_BASE64_AVX2
/*
 * The vector steps over s[0..n): returns how many characters they
 * decoded (a multiple of 32), 24 bytes each into out. A step stores 32
 * bytes, so it runs only while 44 or more characters remain (33 bytes or
 * more of output still to come), and stops before a bad character.
 */
__attribute__((target("avx2"))) static size_t
decode_avx2(unsigned char *out, const unsigned char *s, size_t n)
{
#define MG_B64_LANES(...) _mm256_setr_epi8(__VA_ARGS__, __VA_ARGS__)
	/* Bits for the groups of high nibbles a low nibble is bad in. */
	const __m256i bad_lo =
	        MG_B64_LANES(0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11,
	                     0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
	/* The group of each high nibble. */
	const __m256i bad_hi =
	        MG_B64_LANES(0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08,
	                     0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	/* Added per high nibble: index 1 is '/', 2 '+', 3 digits, ... */
	const __m256i shift = MG_B64_LANES(0, 16, 19, 4, -65, -65, -71, -71, 0,
	                                   0, 0, 0, 0, 0, 0, 0);
	/* The 24-bit values' bytes, high first, to the front of the lane. */
	const __m256i order = MG_B64_LANES(2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13,
	                                   12, -1, -1, -1, -1);
#undef MG_B64_LANES
	const __m256i pack = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 7, 7);
	const __m256i nibble = _mm256_set1_epi8(0x0f);
	const __m256i slash = _mm256_set1_epi8('/');
	const __m256i join2 = _mm256_set1_epi32(0x01400140);
	const __m256i join4 = _mm256_set1_epi32(0x00011000);
	__m256i v, hi, bad;
	size_t i = 0;

	while (n - i >= 44) {
		v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
		hi = _mm256_and_si256(_mm256_srli_epi32(v, 4), nibble);
		bad = _mm256_and_si256(
		        _mm256_shuffle_epi8(bad_lo,
		                            _mm256_and_si256(v, nibble)),
		        _mm256_shuffle_epi8(bad_hi, hi));
		if (!_mm256_testz_si256(bad, bad))
			break;
		hi = _mm256_add_epi8(hi, _mm256_cmpeq_epi8(v, slash));
		v = _mm256_add_epi8(v, _mm256_shuffle_epi8(shift, hi));
		/* a << 6 | b per pair, then (ab) << 12 | (cd) per group */
		v = _mm256_madd_epi16(_mm256_maddubs_epi16(v, join2), join4);
		v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, order),
		                                pack);
		_mm256_storeu_si256((__m256i *)(void *)out, v);
		out += 24;
		i += 32;
	}
	return i;
}
#endif

void mg_base64_set_vector(bool on)
{
	vector_on = on;
}

bool mg_base64_vector(void)
{
#ifdef MG_BASE64_AVX2
	return vector_on && __builtin_cpu_supports("avx2");
#else
	return false;
#endif
}

/*
 * Decode the n characters of s (no padding) into out, 3 bytes for 4
 * characters and 1 or 2 for a last group of 2 or 3; a last group of
 * 2 or 3 leaves its spare bits out. Returns n, or the offset of the first
 * character outside the alphabet. For a 1 MiB profile, checking first
 * and then decoding with EVP_DecodeBlock took 9 ms, most of a run
 * document's parse time; a look-up per character and shifts 0.67 ms;
 * the pre-shifted tables above 0.52 ms; AVX2 0.07-0.10 ms
 * (bench_runjson, minimum of 300).
 */
static size_t b64_decode(unsigned char *out, const unsigned char *s, size_t n)
{
	const unsigned char *t = b64_table;
	size_t i = 0, k;
	uint32_t v;

#ifdef MG_BASE64_AVX2
	if (mg_base64_vector()) {
		i = decode_avx2(out, s, n);
		out += i / 4 * 3;
	}
#endif
	for (; i + 4 <= n; i += 4) {
		v = b64_d[0][s[i]] | b64_d[1][s[i + 1]] | b64_d[2][s[i + 2]] |
		    b64_d[3][s[i + 3]];
		if (v & B64_BAD)
			break;
		out[0] = (unsigned char)v;
		out[1] = (unsigned char)(v >> 8);
		out[2] = (unsigned char)(v >> 16);
		out += 3;
	}
	for (k = i; k < n; k++)
		if (t[s[k]] & 0x80)
			return k;
	if (n - i >= 2) { /* the padded last group */
		v = (uint32_t)t[s[i]] << 18 | (uint32_t)t[s[i + 1]] << 12;
		if (n - i == 3)
			v |= (uint32_t)t[s[i + 2]] << 6;
		*out++ = (unsigned char)(v >> 16);
		if (n - i == 3)
			*out = (unsigned char)(v >> 8);
	}
	return n;
}

int mg_base64_decode(unsigned char **out, size_t *out_len, const char *s,
                     size_t len, mg_err *err)
{
	unsigned char *buf;
	size_t i, pad = 0, n;

	if (len > MG_BASE64_MAX_TEXT)
		return mg_err_set(err, MG_ELIMIT,
		                  "base64 text longer than %d bytes",
		                  MG_BASE64_MAX_TEXT);
	if (len % 4 != 0)
		return mg_err_set(
		        err, MG_EINPUT,
		        "invalid base64: length %zu is not a multiple "
		        "of 4",
		        len);
	if (len > 0 && s[len - 1] == '=') {
		pad = 1;
		if (s[len - 2] == '=')
			pad = 2;
	}
	n = len / 4 * 3;
	/* page-aligned, so a profile file can be written with O_DIRECT */
	if (posix_memalign((void **)&buf, 4096, n ? n : 1) != 0)
		buf = NULL;
	if (buf == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	i = b64_decode(buf, (const unsigned char *)s, len - pad);
	if (i < len - pad) {
		free(buf);
		return mg_err_set(err, MG_EINPUT,
		                  "invalid base64 at offset %zu", i);
	}
	/*
	 * One encoding per byte string: the bits that the padding leaves
	 * unused must be zero (b64_decode leaves them out).
	 */
	if ((pad == 2 && (b64_table[(unsigned char)s[len - 3]] & 0x0f) != 0) ||
	    (pad == 1 && (b64_table[(unsigned char)s[len - 2]] & 0x03) != 0)) {
		free(buf);
		return mg_err_set(err, MG_EINPUT,
		                  "invalid base64 at offset %zu: non-zero "
		                  "padding bits",
		                  len - pad - 1);
	}
	*out = buf;
	*out_len = n - pad;
	return 0;
}
