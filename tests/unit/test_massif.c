/*
 * test_massif.c - the massif output file reader.
 *
 * The main input is real: the group setup compiles a small C program
 * whose allocations are known by construction (10 x 100 KiB in f(),
 * 1 MiB in g(), all live together once, then freed) and runs it under
 * `valgrind --tool=massif`. Expected figures come from the program, not
 * from the reader: the heap peak is 10 * 102400 + 1048576 bytes, g
 * allocated 1048576 of them itself, f 1024000, main none but called
 * both. Without cc or valgrind those tests are skipped. Hand-written
 * trees cover the corners a tiny C program does not produce (recursion,
 * C++ names, objects without debug information), and damaged copies of
 * the real file cover the error messages.
 */
#include <unistd.h>

#include "mgtest.h"
#include "massif.h"
#include "run.h"

static const char prog[] = "#include <stdlib.h>\n"
                           "#include <string.h>\n"
                           "static void *keep[11];\n"
                           "__attribute__((noinline)) static void f(int i)\n"
                           "{\n"
                           "	keep[i] = malloc(100 * 1024);\n"
                           "	memset(keep[i], 1, 100 * 1024);\n"
                           "}\n"
                           "__attribute__((noinline)) static void g(void)\n"
                           "{\n"
                           "	keep[10] = malloc(1024 * 1024);\n"
                           "	memset(keep[10], 1, 1024 * 1024);\n"
                           "}\n"
                           "int main(void)\n"
                           "{\n"
                           "	int i;\n"
                           "	for (i = 0; i < 10; i++)\n"
                           "		f(i);\n"
                           "	g();\n"
                           "	for (i = 0; i < 11; i++)\n"
                           "		free(keep[i]);\n"
                           "	return 0;\n"
                           "}\n";

#define F_BYTES (10 * 102400)
#define G_BYTES 1048576

static char *tmp;
static char *real; /* the massif file of prog, NULL if skipped */
static size_t real_len;

static int setup(void **state)
{
	char *src, *out;

	(void)state;
	tmp = mgt_tmpdir();
	src = mgt_path(tmp, "prog.c");
	out = mgt_path(tmp, "massif.out");
	mgt_write_file(src, prog, sizeof(prog) - 1);
	/* -O0 -g keeps f and g as frames with file:line information. */
	if (mgt_sh(tmp, NULL, "command -v valgrind >/dev/null 2>&1") == 0 &&
	    mgt_sh(tmp, NULL, "cc -O0 -g -o prog prog.c") == 0 &&
	    mgt_sh(tmp, NULL,
	           "valgrind --tool=massif --peak-inaccuracy=0.0 "
	           "--massif-out-file=massif.out ./prog >/dev/null 2>&1") == 0)
		real = mgt_read_file(out, &real_len);
	free(src);
	free(out);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(real);
	mgt_tmpdir_free(tmp);
	return 0;
}

static const mg_massif_func *find(const mg_massif *m, const char *fn)
{
	size_t i;

	for (i = 0; i < mg_massif_nfuncs(m); i++)
		if (strcmp(mg_massif_func_at(m, i)->function, fn) == 0)
			return mg_massif_func_at(m, i);
	return NULL;
}

static void test_real_program(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_massif *m = NULL;
	const mg_massif_func *f, *g, *mainf;
	const mg_massif_snapshot *s;

	(void)state;
	if (real == NULL)
		skip();
	assert_int_equal(
	        mg_massif_parse(&m, real, real_len, "massif.out", &err), 0);
	assert_string_equal(mg_massif_cmd(m), "./prog");
	assert_string_equal(mg_massif_time_unit(m), "i");
	assert_int_equal(mg_massif_peak_heap(m), F_BYTES + G_BYTES);
	/* Extra is the allocator's overhead: a few words per block. */
	assert_true(mg_massif_peak_total(m) >= F_BYTES + G_BYTES);
	assert_true(mg_massif_peak_total(m) < F_BYTES + G_BYTES + 11 * 64);
	assert_true(mg_massif_tree_snapshot(m) >= 0);
	s = mg_massif_snapshot_at(m, (size_t)mg_massif_tree_snapshot(m));
	assert_int_equal(s->tree, MG_MASSIF_TREE_PEAK);
	assert_int_equal(s->heap, F_BYTES + G_BYTES);

	f = find(m, "f");
	g = find(m, "g");
	mainf = find(m, "main");
	assert_non_null(f);
	assert_non_null(g);
	assert_non_null(mainf);
	assert_string_equal(g->file, "prog.c");
	assert_int_equal(g->flat, G_BYTES);
	assert_int_equal(g->cum, G_BYTES);
	assert_int_equal(f->flat, F_BYTES);
	assert_int_equal(f->cum, F_BYTES);
	assert_int_equal(mainf->flat, 0);
	assert_int_equal(mainf->cum, F_BYTES + G_BYTES);
	/* Sorted by flat: g first. */
	assert_ptr_equal(mg_massif_func_at(m, 0), g);
	assert_ptr_equal(mg_massif_func_at(m, 1), f);
	mg_massif_free(m);
}

static void test_to_run(void **state)
{
	mg_err err = MG_ERR_INIT;
	mg_massif *m = NULL;
	mg_run run;
	const mg_profile *p;
	size_t i;
	bool seen_g = false;

	(void)state;
	if (real == NULL)
		skip();
	assert_int_equal(
	        mg_massif_parse(&m, real, real_len, "massif.out", &err), 0);
	mg_run_init(&run);
	assert_int_equal(mg_massif_add_to_run(&run, m, "prog", 0,
	                                      (const unsigned char *)real,
	                                      real_len, &err),
	                 0);
	assert_int_equal(run.nbenches, 1);
	assert_string_equal(run.benches[0].name, "prog");
	assert_int_equal(run.nsamples, 2);
	assert_string_equal(run.samples[0].unit, "peak-heap-B");
	assert_true(run.samples[0].value == F_BYTES + G_BYTES);
	assert_string_equal(run.samples[1].unit, "peak-total-B");
	assert_int_equal(run.nprofiles, 1);
	p = &run.profiles[0];
	assert_string_equal(p->kind, "massif");
	assert_int_equal(p->nsample_types, 1);
	assert_string_equal(p->sample_types[0], "heap/bytes");
	assert_int_equal(p->len, real_len);
	for (i = 0; i < p->nfuncs; i++) {
		if (strcmp(p->funcs[i].function, "g") == 0) {
			seen_g = true;
			assert_int_equal(p->funcs[i].flat, G_BYTES);
		}
	}
	assert_true(seen_g);
	/* A second conversion into the same profile is refused. */
	assert_int_equal(mg_massif_to_profile(&run.profiles[0], m, &err),
	                 MG_ECONFLICT);
	assert_int_equal(mg_run_validate(&run, &err), MG_EINPUT); /* no sha */
	mg_run_release(&run);
	mg_massif_free(m);
}

/* Line number (from 1) of the first line that starts with `prefix`. */
static size_t line_of(const char *text, const char *prefix)
{
	size_t n = 1;
	const char *p = text;

	for (;;) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return n;
		p = strchr(p, '\n');
		if (p == NULL)
			return 0;
		p++;
		n++;
	}
}

static void expect_err(const char *text, size_t len, int code, const char *want)
{
	mg_err err = MG_ERR_INIT;
	mg_massif *m = NULL;

	assert_int_equal(mg_massif_parse(&m, text, len, "m.out", &err), code);
	assert_null(m);
	assert_string_equal(err.msg, want);
}

static void test_real_damaged(void **state)
{
	char *copy, *p, want[256];
	size_t n, cut;

	(void)state;
	if (real == NULL)
		skip();
	copy = malloc(real_len + 1);
	assert_non_null(copy);

	/* Cut after the line of g in the peak tree: main is missing. */
	memcpy(copy, real, real_len);
	copy[real_len] = '\0';
	p = strstr(copy, "heap_tree=peak\n");
	assert_non_null(p);
	p = strstr(p, ": g (prog.c:");
	assert_non_null(p);
	p = strchr(p, '\n') + 1;
	cut = (size_t)(p - copy);
	n = line_of(copy, "heap_tree=peak") + 2; /* root, g */
	snprintf(want, sizeof(want),
	         "m.out:%zu: field 'heap_tree': file ends inside a tree", n);
	expect_err(copy, cut, MG_EINPUT, want);

	/* A byte count that is not a number. */
	p = strstr(copy, "mem_heap_B=");
	assert_non_null(p);
	n = line_of(copy, "mem_heap_B=");
	memcpy(p, "mem_heap_B=x", 12);
	snprintf(want, sizeof(want),
	         "m.out:%zu: field 'mem_heap_B': expected a non-negative "
	         "integer, got 'x",
	         n);
	{
		mg_err err = MG_ERR_INIT;
		mg_massif *m = NULL;

		assert_int_equal(
		        mg_massif_parse(&m, copy, real_len, "m.out", &err),
		        MG_EINPUT);
		assert_memory_equal(err.msg, want, strlen(want));
	}
	free(copy);
}

#define HEAD "desc: (none)\ncmd: ./t\ntime_unit: i\n#-----------\n"
#define SNAP(n, heap, tree)                                                    \
	"snapshot=" #n "\ntime=1\nmem_heap_B=" #heap                           \
	"\nmem_heap_extra_B=8\nmem_stacks_B=0\nheap_tree=" tree "\n"

static void test_recursion_and_names(void **state)
{
	/*
	 * rec calls itself twice before allocating 300 bytes; its cum must
	 * count them once. A C++ method with parentheses in its signature,
	 * and a frame from a library without debug information.
	 */
	static const char text[] = HEAD SNAP(
	        0, 500,
	        "detailed") "n3: 500 (heap allocation functions) "
	                    "malloc/new/new[], "
	                    "--alloc-fns, etc.\n"
	                    " n1: 300 0x1: rec (r.c:3)\n"
	                    "  n1: 300 0x2: rec (r.c:4)\n"
	                    "   n1: 300 0x3: rec (r.c:4)\n"
	                    "    n0: 300 0x4: main (r.c:9)\n"
	                    " n1: 150 0x5: std::vector<int, "
	                    "std::allocator<int> >::"
	                    "push_back(int const&) (stl_vector.h:1189)\n"
	                    "  n0: 150 0x6: ??? (in /usr/lib/libfoo.so.1)\n"
	                    " n0: 50 in 2 places, below massif's threshold "
	                    "(1.00%)\n"
	                    "#-----------\n" SNAP(1, 900, "empty");
	mg_err err = MG_ERR_INIT;
	mg_massif *m = NULL;
	const mg_massif_func *f;

	(void)state;
	assert_int_equal(
	        mg_massif_parse(&m, text, sizeof(text) - 1, "t.out", &err), 0);
	assert_int_equal(mg_massif_nsnapshots(m), 2);
	assert_int_equal(mg_massif_peak_heap(m), 900);
	assert_int_equal(mg_massif_peak_total(m), 908);
	assert_int_equal(mg_massif_tree_snapshot(m), 0);
	f = find(m, "rec");
	assert_non_null(f);
	assert_int_equal(f->flat, 300);
	assert_int_equal(f->cum, 300);
	assert_string_equal(f->file, "r.c");
	f = find(m, "std::vector<int, std::allocator<int> >::push_back(int "
	            "const&)");
	assert_non_null(f);
	assert_string_equal(f->file, "stl_vector.h");
	assert_int_equal(f->flat, 150);
	f = find(m, "???");
	assert_non_null(f);
	assert_string_equal(f->file, "/usr/lib/libfoo.so.1");
	assert_int_equal(f->flat, 0);
	assert_int_equal(f->cum, 150);
	assert_int_equal(mg_massif_nfuncs(m), 4);
	mg_massif_free(m);
}

static void test_choice_without_peak(void **state)
{
	/* No peak tree: the detailed snapshot with the larger total wins. */
	static const char text[] = HEAD SNAP(
	        0, 100,
	        "detailed") "n1: 100 (heap)\n"
	                    " n0: 100 0x1: a (a.c:1)\n" SNAP(
	                            1, 200,
	                            "detailed") "n1: 200 (heap)\n"
	                                        " n0: 200 0x1: b "
	                                        "(b.c:1)\n" SNAP(
	                                                2, 150,
	                                                "detailed") "n1: 150 "
	                                                            "(heap)\n"
	                                                            " n0: 150 "
	                                                            "0x1: c "
	                                                            "(c.c:1)\n";
	mg_err err = MG_ERR_INIT;
	mg_massif *m = NULL;

	(void)state;
	assert_int_equal(
	        mg_massif_parse(&m, text, sizeof(text) - 1, "t.out", &err), 0);
	assert_int_equal(mg_massif_tree_snapshot(m), 1);
	assert_int_equal(mg_massif_nfuncs(m), 1);
	assert_string_equal(mg_massif_func_at(m, 0)->function, "b");
	assert_int_equal(mg_massif_func_at(m, 0)->flat, 200);
	mg_massif_free(m);
}

static void test_errors(void **state)
{
	(void)state;
	expect_err("", 0, MG_EINPUT,
	           "m.out:1: field 'desc': unexpected end of file in the "
	           "header");
	expect_err("desc: x\ncmd: y\nunit: i\n", 23, MG_EINPUT,
	           "m.out:3: field 'time_unit': expected the header line, "
	           "got 'unit: i'");
	{
		static const char t[] = HEAD "snapshot=1\n";
		expect_err(t, sizeof(t) - 1, MG_EINPUT,
		           "m.out:5: field 'snapshot': expected the next "
		           "snapshot number, got '1'");
	}
	{
		static const char t[] =
		        HEAD SNAP(0, 10, "detailed") "n1: 10 (heap)\n"
		                                     " n0: 11 0x1: a (a.c:1)\n";
		expect_err(t, sizeof(t) - 1, MG_EINPUT,
		           "m.out:12: field 'heap_tree': children hold more "
		           "bytes than their parent, got '11'");
	}
	{
		static const char t[] = HEAD SNAP(
		        0, 10, "detailed") "n1: 10 (heap)\n"
		                           "  n0: 10 0x1: a (a.c:1)\n";
		expect_err(t, sizeof(t) - 1, MG_EINPUT,
		           "m.out:12: field 'heap_tree': expected a node at "
		           "the depth of the children still missing, got '  "
		           "n0: 10 0x1: a (a.c:1)'");
	}
	{
		static const char t[] = HEAD SNAP(0, 10, "huge");
		expect_err(t, sizeof(t) - 1, MG_EINPUT,
		           "m.out:10: field 'heap_tree': expected empty, "
		           "detailed or peak, got 'huge'");
	}
	{
		static const char t[] =
		        HEAD SNAP(0, 10, "detailed") "n1: 10 (heap)\n"
		                                     " n0: 10 0xZ: a (a.c:1)\n";
		expect_err(t, sizeof(t) - 1, MG_EINPUT,
		           "m.out:12: field 'heap_tree': expected '0x<hex>: "
		           "<function>', got '0xZ: a (a.c:1)'");
	}
}

static void test_limits(void **state)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	int i;

	(void)state;
	/* A chain one deeper than MG_MASSIF_MAX_DEPTH allows. */
	assert_int_equal(mg_buf_puts(&b, HEAD SNAP(0, 1, "detailed")), 0);
	for (i = 0; i <= MG_MASSIF_MAX_DEPTH; i++) {
		mg_buf_printf(&b, "%*sn1: 1 0x1: f%d (a.c:1)\n", i, "", i);
	}
	{
		char want[128];

		snprintf(want, sizeof(want),
		         "m.out:%d: field 'heap_tree': tree deeper than "
		         "MG_MASSIF_MAX_DEPTH",
		         11 + MG_MASSIF_MAX_DEPTH);
		expect_err(b.ptr, b.len, MG_ELIMIT, want);
	}
	mg_buf_reset(&b);
	assert_int_equal(mg_buf_puts(&b, "desc: "), 0);
	for (i = 0; i <= MG_MASSIF_MAX_LINE; i++)
		mg_buf_putc(&b, 'x');
	expect_err(b.ptr, b.len, MG_ELIMIT,
	           "m.out:1: line longer than MG_MASSIF_MAX_LINE (65536 "
	           "bytes)");
	mg_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_real_program),
	        cmocka_unit_test(test_to_run),
	        cmocka_unit_test(test_real_damaged),
	        cmocka_unit_test(test_recursion_and_names),
	        cmocka_unit_test(test_choice_without_peak),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
