/*
 * test_runjson_tree.c - how runjson.c builds its tree: the arena
 * (jsonarena.c: alignment, limit, reserve, release), the strict reader's
 * tree (jsonstrict.c) against the tree cJSON builds from the same text,
 * its numbers against strtod(), the table-driven base64 decoder against a
 * bit-by-bit reference, and mg_runjson_read() in a loop: the heap in use
 * comes back to the same figure after every document, and errors found
 * deep in the tree still name their field.
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <cjson/cJSON.h>

#if defined(__SANITIZE_ADDRESS__)
/* ASan's allocator statistics (gcc 12 ships no header declaring it). */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

#include "mgtest.h"
#include "jsonarena.h"
#include "jsonstrict.h"
#include "base64.h"
#include "runjson.h"

/* ---- the arena ---- */

static void test_arena(void **state)
{
	mg_jsonarena a;
	unsigned char *p[100];
	struct mg_jsonarena_chunk *head;
	size_t i, used;

	(void)state;
	mg_jsonarena_init(&a, 1 << 20);
	assert_null(a.head);
	for (i = 0; i < 100; i++) {
		p[i] = mg_jsonarena_alloc(&a, i);
		assert_non_null(p[i]);
		/* as malloc: aligned for any type, distinct, writable */
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		memset(p[i], (int)i, i);
		if (i > 0)
			assert_true(p[i] != p[i - 1]);
	}
	for (i = 0; i < 100; i++) {
		size_t j;

		for (j = 0; j < i; j++)
			assert_int_equal(p[i][j], (unsigned char)i);
	}
	assert_true(a.used >= 99 * 100 / 2);
	assert_true(a.used <= 99 * 100 / 2 + 100 * MG_JSONARENA_OVERHEAD);

	/* The limit: refused past it, not in a new chunk. */
	used = a.used;
	assert_null(mg_jsonarena_alloc(&a, (1 << 20) - used + 1));
	assert_int_equal(a.used, used);
	assert_int_equal(mg_jsonarena_reserve(&a, (1 << 20) - used + 1),
	                 MG_ELIMIT);
	mg_jsonarena_release(&a);
	assert_null(a.head);
	assert_int_equal(a.used, 0);
	assert_int_equal(a.max, 1 << 20);

	/* Reserved room is used without another chunk. */
	assert_int_equal(mg_jsonarena_reserve(&a, 100 * (64 + 32)), 0);
	head = a.head;
	assert_non_null(head);
	for (i = 0; i < 100; i++)
		assert_non_null(mg_jsonarena_alloc(&a, 64));
	assert_ptr_equal(a.head, head);
	/* One larger than the rest of the limit's chunk size: its own. */
	p[0] = mg_jsonarena_alloc(&a, MG_JSONARENA_CHUNK_MIN * 4);
	assert_non_null(p[0]);
	memset(p[0], 1, MG_JSONARENA_CHUNK_MIN * 4);
	assert_true(a.head != head);
	mg_jsonarena_release(&a);
	assert_null(a.head);
}

/* ---- the strict reader's tree against cJSON's ---- */

static void assert_same_tree(const cJSON *mine, const cJSON *ref, bool list)
{
	const cJSON *head = mine, *prev = NULL;

	for (; mine && ref; prev = mine, mine = mine->next, ref = ref->next) {
		assert_int_equal(mine->type, ref->type);
		if (ref->string)
			assert_string_equal(mine->string, ref->string);
		else
			assert_null(mine->string);
		if (ref->valuestring)
			assert_string_equal(mine->valuestring,
			                    ref->valuestring);
		else
			assert_null(mine->valuestring);
		assert_int_equal(mine->valueint, ref->valueint);
		assert_memory_equal(&mine->valuedouble, &ref->valuedouble,
		                    sizeof(double));
		if (mine != head)
			assert_ptr_equal(mine->prev, prev);
		assert_same_tree(mine->child, ref->child, true);
	}
	assert_null(mine);
	assert_null(ref);
	if (list && head)
		assert_ptr_equal(head->prev, prev); /* as cJSON links it */
}

/* Parse s strictly; the tree must be cJSON's. Returns the strict tree. */
static cJSON *parse_both(mg_jsonarena *a, const char *s, size_t len)
{
	mg_err err = MG_ERR_INIT;
	cJSON *mine = NULL, *ref;
	size_t bad_utf8;

	mg_jsonarena_init(a, mg_jsonstrict_tree_size(len, 1000000));
	assert_int_equal(
	        mg_jsonstrict_parse(&mine, &bad_utf8, a, s, len, 1000000, &err),
	        0);
	assert_int_equal(bad_utf8, len);
	ref = cJSON_ParseWithLengthOpts(s, len, NULL, 0);
	assert_non_null(ref);
	assert_same_tree(mine, ref, false);
	cJSON_Delete(ref);
	return mine;
}

/* 200 characters that need no look. */
#define LONG_PLAIN                                                             \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"     \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"     \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"     \
	"~!@#$%^&"

static void test_tree(void **state)
{
	static const char *const docs[] = {
	        "0",
	        "\"\"",
	        " [ true , false , null , { } , [ ] , \"x\" ] ",
	        "{\"a\":1,\"a\":[1],\"b\":{\"a\":null},\"\":\"empty key\"}",
	        "{\"s\":\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\",\"k\\u0022y\":"
	        "\"\\u00e9\\u20ac\\ud83d\\ude00\\u0041\\uFFFF\",\"raw\":"
	        "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}",
	        "[0,-0,1,-1,0.5,-0.0,1234.5,0.1,0.30000000000000004,"
	        "123456789012345,1234567890123456,12345678901234567890,"
	        "9007199254740993,1e308,1e400,-1e400,5e-324,2.5E-3,1E+2,"
	        "0.000000000000000000000001,1.7976931348623157e308,"
	        "2147483647,2147483648,-2147483648,-2147483649,0.0000001]",
	        "{\"a\":[{\"b\":{\"c\":[[[{\"d\":\"deep\"}]]]}}]}\n",
	};
	mg_jsonarena a;
	cJSON *t, *c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		parse_both(&a, docs[i], strlen(docs[i]));
		mg_jsonarena_release(&a);
	}

	/* Values checked by hand, not only against cJSON. */
	t = parse_both(&a, docs[4], strlen(docs[4]));
	c = cJSON_GetObjectItemCaseSensitive(t, "s");
	assert_string_equal(c->valuestring, "a\"b\\c/d\b\f\n\r\t");
	c = cJSON_GetObjectItemCaseSensitive(t, "k\"y");
	assert_non_null(c);
	/* U+00E9, U+20AC, U+1F600 (a surrogate pair), 'A', U+FFFF */
	assert_string_equal(c->valuestring, "\xc3\xa9\xe2\x82\xac"
	                                    "\xf0\x9f\x98\x80"
	                                    "A\xef\xbf\xbf");
	mg_jsonarena_release(&a);

	t = parse_both(&a, docs[5], strlen(docs[5]));
	c = t->child->next; /* -0 */
	assert_true(c->valuedouble == 0 && signbit(c->valuedouble));
	c = cJSON_GetArrayItem(t, 7);
	assert_true(c->valuedouble == 0.1);
	c = cJSON_GetArrayItem(t, 14); /* 1e400 */
	assert_true(isinf(c->valuedouble) && c->valuedouble > 0);
	assert_int_equal(c->valueint, INT_MAX);
	c = cJSON_GetArrayItem(t, 24); /* -2147483649 */
	assert_int_equal(c->valueint, INT_MIN);
	mg_jsonarena_release(&a);
}

/*
 * Strings past 16 bytes are scanned 32 bytes at a time where the CPU has
 * AVX2: an escape, a UTF-8 character, a control character or a bad byte
 * at every offset of a long string must be found where it is.
 */
static void test_tree_long_strings(void **state)
{
	static const char *const inserts[] = {"\\\"", "\\n", "\xc3\xa9",
	                                      "\\u20ac"};
	static const char *const decoded[] = {"\"", "\n", "\xc3\xa9",
	                                      "\xe2\x82\xac"};
	char doc[512], want[512], msg[64];
	mg_err err = MG_ERR_INIT;
	mg_jsonarena a;
	cJSON *t;
	size_t k, i, n, bad;

	(void)state;
	for (k = 0; k < 200; k++) {
		for (i = 0; i < sizeof(inserts) / sizeof(inserts[0]); i++) {
			n = (size_t)snprintf(doc, sizeof(doc),
			                     "[\"%.*s%s%.*s\"]", (int)k,
			                     LONG_PLAIN, inserts[i],
			                     (int)(199 - k), LONG_PLAIN);
			t = parse_both(&a, doc, n);
			snprintf(want, sizeof(want), "%.*s%s%.*s", (int)k,
			         LONG_PLAIN, decoded[i], (int)(199 - k),
			         LONG_PLAIN);
			assert_string_equal(t->child->valuestring, want);
			mg_jsonarena_release(&a);
		}
		/* A raw control character: refused at its column. */
		n = (size_t)snprintf(doc, sizeof(doc), "[\"%.*s\t%.*s\"]",
		                     (int)k, LONG_PLAIN, (int)(199 - k),
		                     LONG_PLAIN);
		mg_jsonarena_init(&a, mg_jsonstrict_tree_size(n, 100));
		assert_int_equal(
		        mg_jsonstrict_parse(&t, &bad, &a, doc, n, 100, &err),
		        MG_EINPUT);
		snprintf(msg, sizeof(msg), "line 1, column %zu: control",
		         k + 3);
		assert_non_null(strstr(err.msg, msg));
		mg_jsonarena_release(&a);
		/* A byte that is not UTF-8: parsed, and its offset noted. */
		n = (size_t)snprintf(doc, sizeof(doc), "[\"%.*s\xff%.*s\"]",
		                     (int)k, LONG_PLAIN, (int)(199 - k),
		                     LONG_PLAIN);
		mg_jsonarena_init(&a, mg_jsonstrict_tree_size(n, 100));
		assert_int_equal(
		        mg_jsonstrict_parse(&t, &bad, &a, doc, n, 100, &err),
		        0);
		assert_int_equal(bad, k + 2);
		assert_int_equal(strlen(t->child->valuestring), 200);
		mg_jsonarena_release(&a);
	}
}

/*
 * Plain decimals take a fast path (an exact mantissa divided by an exact
 * power of ten): each must be the double strtod() gives, for random
 * mantissas of 1 to 17 digits and 0 to 24 places after the point.
 */
static void test_tree_numbers(void **state)
{
	enum { N = 2000 };
	static char lits[N][64];
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	mg_jsonarena a;
	cJSON *t, *c;
	size_t i;

	(void)state;
	mg_buf_puts(&text, "[");
	for (i = 0; i < N; i++) {
		char digits[24];
		unsigned nd, places, k;
		int n = 0;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		nd = 1 + (unsigned)(x % 17);
		places = (unsigned)(x >> 8) % 25;
		for (k = 0; k < nd; k++)
			digits[k] = (char)('0' + (x >> (2 * k + 16)) % 10);
		if (nd > 1 && digits[0] == '0')
			digits[0] = '1'; /* no leading zero */
		digits[nd] = '\0';
		/* places digits after the point: "ddd.dd" or "0.000ddd" */
		if (x >> 63)
			lits[i][n++] = '-';
		if (places == 0)
			snprintf(lits[i] + n, 64 - (size_t)n, "%s", digits);
		else if (places < nd)
			snprintf(lits[i] + n, 64 - (size_t)n, "%.*s.%s",
			         (int)(nd - places), digits,
			         digits + nd - places);
		else {
			lits[i][n++] = '0';
			lits[i][n++] = '.';
			for (k = nd; k < places; k++)
				lits[i][n++] = '0';
			snprintf(lits[i] + n, 64 - (size_t)n, "%s", digits);
		}
		mg_buf_printf(&text, "%s%s", i ? "," : "", lits[i]);
	}
	mg_buf_puts(&text, "]");
	t = parse_both(&a, text.ptr, text.len);
	for (i = 0, c = t->child; i < N; i++, c = c->next) {
		double want = strtod(lits[i], NULL);

		assert_non_null(c);
		if (memcmp(&want, &c->valuedouble, sizeof(want)) != 0)
			fail_msg("%s: got %.17g, strtod %.17g", lits[i],
			         c->valuedouble, want);
	}
	assert_null(c);
	mg_jsonarena_release(&a);
	mg_buf_release(&text);
}

static void test_tree_errors(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_jsonarena a;
	cJSON *root = NULL;
	size_t bad;

	(void)state;
	mg_jsonarena_init(&a, 1 << 20);
	assert_int_equal(
	        mg_jsonstrict_parse(&root, &bad, &a, "[1,2,3]", 7, 3, &err),
	        MG_ELIMIT);
	assert_string_equal(err.msg, "document has more than 3 JSON values");
	assert_int_equal(mg_jsonstrict_parse(&root, &bad, &a, "{\"a\":\n 01}",
	                                     10, 9, &err),
	                 MG_EINPUT);
	assert_string_equal(
	        err.msg, "invalid JSON at line 2, column 2: malformed number");
	assert_null(root);
	mg_jsonarena_release(&a);

	/* An arena too small for the tree: refused, nothing kept. */
	mg_jsonarena_init(&a, 100);
	assert_int_equal(mg_jsonstrict_parse(&root, &bad, &a,
	                                     "[\"abc\",\"def\"]", 13, 9, &err),
	                 MG_ENOMEM);
	assert_string_equal(err.msg, "out of memory");
	assert_null(root);
	mg_jsonarena_release(&a);

	/* Invalid UTF-8 is noted, not refused: the caller names the field. */
	mg_jsonarena_init(&a, 1 << 20);
	assert_int_equal(mg_jsonstrict_parse(&root, &bad, &a,
	                                     "[\"ok\",\"b\xc0\"]", 11, 9, &err),
	                 0);
	assert_int_equal(bad, 8);
	assert_string_equal(root->child->next->valuestring, "b\xc0");
	mg_jsonarena_release(&a);
}

/* ---- base64: the table decoder against a bit-by-bit reference ---- */

static size_t ref_b64_decode(unsigned char *out, const char *s, size_t len)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	                            "opqrstuvwxyz0123456789+/";
	uint32_t bits = 0;
	int nbits = 0;
	size_t i, n = 0;

	for (i = 0; i < len && s[i] != '='; i++) {
		bits = bits << 6 | (uint32_t)(strchr(alpha, s[i]) - alpha);
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			out[n++] = (unsigned char)(bits >> nbits);
		}
	}
	return n;
}

static void test_base64_tables(void **state)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	                            "opqrstuvwxyz0123456789+/";
	unsigned char data[300], want[300], *got;
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	size_t len, i, k, glen, wlen;
	char bad[] = "QUJDREVGR0hJ";

	(void)state;
	for (len = 0; len <= sizeof(data); len++) {
		for (i = 0; i < len; i++)
			data[i] = (unsigned char)(i * 131 + len * 7 + (i >> 3));
		mg_buf_reset(&text);
		assert_int_equal(mg_base64_encode(&text, data, len), 0);
		wlen = ref_b64_decode(want, text.ptr, text.len);
		assert_int_equal(wlen, len);
		assert_int_equal(
		        mg_base64_decode(&got, &glen, text.ptr, text.len, &err),
		        0);
		assert_int_equal(glen, len);
		if (len)
			assert_memory_equal(got, want, len);
		free(got);
	}
	/* Every character of the alphabet at every position of a group. */
	for (k = 0; k < 4; k++)
		for (i = 0; i < 64; i++) {
			char g[9] = "AAAAAAAA";

			g[4 + k] = alpha[i];
			wlen = ref_b64_decode(want, g, 8);
			assert_int_equal(
			        mg_base64_decode(&got, &glen, g, 8, &err), 0);
			assert_int_equal(glen, wlen);
			assert_memory_equal(got, want, wlen);
			free(got);
		}
	/* A bad character is found where it is, in any position. */
	for (i = 0; i < strlen(bad); i++) {
		char msg[64];
		char c = bad[i];

		bad[i] = '*';
		assert_int_equal(
		        mg_base64_decode(&got, &glen, bad, strlen(bad), &err),
		        MG_EINPUT);
		snprintf(msg, sizeof(msg), "invalid base64 at offset %zu", i);
		assert_string_equal(err.msg, msg);
		bad[i] = c;
	}
	mg_buf_release(&text);
}

/* ---- mg_runjson_read() in a loop ---- */

/* Bytes of heap in use, as the allocator counts them, mmap()ed included. */
static size_t heap_in_use(void)
{
#if defined(__SANITIZE_ADDRESS__)
	return __sanitizer_get_current_allocated_bytes();
#else
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
#endif
}

/* bench_server's run shape, smaller: nbench x 3 units x 10 + a profile. */
static void make_doc(mg_buf *doc, int nbench, size_t plen)
{
	static const char *const units[] = {"B/op", "allocs/op", "ns/op"};
	mg_err err = MG_ERR_INIT;
	unsigned char *p = malloc(plen);
	mg_run run;
	size_t idx, i;
	int b, u, k;

	assert_non_null(p);
	mg_run_init(&run);
	assert_int_equal(mg_run_set_str(&run.project, "t/loop"), 0);
	snprintf(run.commit.sha, sizeof(run.commit.sha), "%040d", 7);
	run.status = MG_RUN_OK;
	for (b = 0; b < nbench; b++) {
		char name[32];

		snprintf(name, sizeof(name), "BenchmarkLoop/%d", b);
		assert_int_equal(mg_run_append_bench(&run, &idx, name,
		                                     "ex/loop", 2, NULL, 0),
		                 0);
		for (u = 0; u < 3; u++)
			for (k = 0; k < 10; k++)
				assert_int_equal(
				        mg_run_add_sample(&run, idx, units[u],
				                          1000.5 * b + u + k,
				                          1000, k),
				        0);
	}
	for (i = 0; i < plen; i++)
		p[i] = (unsigned char)(i * 2654435761u >> 13);
	assert_int_equal(
	        mg_run_add_profile(&run, &idx, "heap", "ex/loop", p, plen), 0);
	assert_int_equal(
	        mg_profile_add_sample_type(&run.profiles[idx], "space/bytes"),
	        0);
	free(p);
	assert_int_equal(mg_runjson_write(doc, &run, &err), 0);
	mg_run_release(&run);
}

static void test_read_loop(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	size_t first = 0, i;
	mg_run run;

	(void)state;
	make_doc(&doc, 50, 64 << 10);
	for (i = 0; i < 40; i++) {
		assert_int_equal(mg_runjson_read(&run, doc.ptr, doc.len, &err),
		                 0);
		assert_int_equal(run.nsamples, 50 * 3 * 10);
		assert_int_equal(run.profiles[0].len, 64 << 10);
		mg_run_release(&run);
		/*
		 * glibc counts the small blocks it caches per thread (tcache)
		 * as in use, and that cache settles over the first reads (14
		 * of them, since a run's unit strings are shared and few
		 * small blocks come back per read); so do lazily made library
		 * tables (OpenSSL's). From then on a read must give back all
		 * it took, tree included: a leak of as little as a byte per
		 * sample would show as 1,500 bytes per read.
		 */
		if (i == 20)
			first = heap_in_use();
		else if (i > 20)
			assert_int_equal(heap_in_use(), first);
	}
	mg_buf_release(&doc);
}

/* Errors found in the tree, after it was built, in a loop as well. */
static void test_read_loop_errors(void **state)
{
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
	        {"\"unit\":\"allocs/op\"", "\"unit\":7",
	         "field 'benchmarks[0].samples[10].unit': expected a string"},
	        {"\"seq\":9}]}", "\"seq\":9,\"seq\":9}]}",
	         "field 'benchmarks[0].samples[29].seq': duplicate key"},
	        {"\"name\":\"BenchmarkLoop/3\"", "\"name\":\"BenchmarkLoop/2\"",
	         "field 'benchmarks[3]': duplicate of benchmarks[2] (same "
	         "package, name and procs)"},
	        {"\"kind\":\"heap\"", "\"kind\":\"heap\",\"x\\u00e9\":\"\xe9\"",
	         "invalid UTF-8 at line 1, column "},
	        {"\"sha256\":\"", "\"sha256\":\"0",
	         "field 'profiles[0].sha256': expected 64 lower-case hex "
	         "digits"},
	};
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_err err = MG_ERR_INIT;
	size_t i, k;
	mg_run run;

	(void)state;
	make_doc(&doc, 5, 3000);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at = strstr(doc.ptr, cases[i].from);
		mg_buf bad = MG_BUF_INIT(MG_BUF_NOLIMIT);

		assert_non_null(at);
		mg_buf_put(&bad, doc.ptr, (size_t)(at - doc.ptr));
		mg_buf_puts(&bad, cases[i].to);
		mg_buf_puts(&bad, at + strlen(cases[i].from));
		for (k = 0; k < 3; k++) {
			mg_err_clear(&err);
			assert_int_equal(
			        mg_runjson_read(&run, bad.ptr, bad.len, &err),
			        MG_EINPUT);
			assert_memory_equal(err.msg, cases[i].msg,
			                    strlen(cases[i].msg));
		}
		mg_buf_release(&bad);
	}
	mg_buf_release(&doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_arena),
	        cmocka_unit_test(test_tree),
	        cmocka_unit_test(test_tree_long_strings),
	        cmocka_unit_test(test_tree_numbers),
	        cmocka_unit_test(test_tree_errors),
	        cmocka_unit_test(test_base64_tables),
	        cmocka_unit_test(test_read_loop),
	        cmocka_unit_test(test_read_loop_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
