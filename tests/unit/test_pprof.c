/*
 * test_pprof.c - the pprof reader and its -top / -diff_base report.
 *
 * Expected values come from Go's own tools, never from memgate:
 *  - fixtures (tests/fixtures/pprof, see its README): real profiles and
 *    `go tool pprof -top` / `-raw` outputs saved next to them;
 *  - with `go` installed: a stdlib-only module written here is run with
 *    -memprofile/-cpuprofile and `go tool pprof -top` is compared line by
 *    line with memgate for every sample type, the default, -nodecount
 *    and -diff_base; synthetic profiles with the corner cases (inlining,
 *    recursion, nameless frames, negative values) are compared the same
 *    way; without `go` those tests are skipped;
 *  - the small synthetic cases also carry expectations worked out by
 *    hand in the comments.
 * Hostile inputs (truncation, corrupt gzip, bad varints, bad indexes and
 * ids, a 2 GiB gzip bomb) must end in the documented error.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "mgtest.h"
#include "pprof.h"
#include "profile.pb-c.h"
#include "run.h"

int main(void);

/* Helpers ---------------------------------------------------------------- */

static char *fixture(const char *name, size_t *len)
{
	char *path = mgt_path(MG_FIXTURES "/pprof", name);
	char *data = mgt_read_file(path, len);

	if (data == NULL)
		fail_msg("cannot read fixture %s", path);
	free(path);
	return data;
}

static mg_pprof *parse_ok(const void *data, size_t len, const char *name)
{
	mg_err err = MG_ERR_INIT;
	mg_pprof *p = NULL;

	if (mg_pprof_parse(&p, data, len, NULL, name, &err) != 0)
		fail_msg("%s: %s", name, err.msg);
	return p;
}

static mg_pprof *load_fixture(const char *name)
{
	size_t len;
	char *data = fixture(name, &len);
	mg_pprof *p = parse_ok(data, len, name);

	free(data);
	return p;
}

static char *top_text(const mg_pprof *p, const char *which, size_t n)
{
	mg_err err = MG_ERR_INIT;
	mg_pprof_top *t = NULL;
	mg_pprof_top_opts o = {n};
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);

	if (mg_pprof_top_new(&t, p, which, &o, &err) != 0)
		fail_msg("top %s: %s", which ? which : "(default)", err.msg);
	assert_int_equal(mg_pprof_top_write_text(&b, t), 0);
	mg_pprof_top_free(t);
	return mg_buf_detach(&b);
}

static char *diff_text(const mg_pprof *base, const mg_pprof *head,
                       const char *which)
{
	mg_err err = MG_ERR_INIT;
	mg_pprof_top *t = NULL;
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);

	if (mg_pprof_diff(&t, base, head, which, NULL, &err) != 0)
		fail_msg("diff %s: %s", which ? which : "(default)", err.msg);
	assert_int_equal(mg_pprof_top_write_text(&b, t), 0);
	mg_pprof_top_free(t);
	return mg_buf_detach(&b);
}

/* Compare line by line and name the first differing row. */
static void assert_same_lines(const char *want, const char *got,
                              const char *what)
{
	const char *w = want, *g = got;
	int line = 1;

	while (*w || *g) {
		const char *we = strchr(w, '\n'), *ge = strchr(g, '\n');
		size_t wl = we ? (size_t)(we - w) : strlen(w);
		size_t gl = ge ? (size_t)(ge - g) : strlen(g);

		if (wl != gl || memcmp(w, g, wl) != 0) {
			print_error("%s: line %d differs\n  pprof:   '%.*s'\n"
			            "  memgate: '%.*s'\n",
			            what, line, (int)wl, w, (int)gl, g);
			fail();
		}
		w += wl + (we != NULL);
		g += gl + (ge != NULL);
		line++;
	}
}

/* Profile builder (protobuf-c) ---------------------------------------- */

#define TB_MAX 64

typedef struct tb {
	Perftools__Profiles__Profile p;
	char *strings[256];
	Perftools__Profiles__ValueType types[8], *type_ptrs[8];
	Perftools__Profiles__Mapping maps[TB_MAX], *map_ptrs[TB_MAX];
	Perftools__Profiles__Function funcs[TB_MAX], *func_ptrs[TB_MAX];
	Perftools__Profiles__Location locs[TB_MAX], *loc_ptrs[TB_MAX];
	Perftools__Profiles__Line lines[TB_MAX][4], *line_ptrs[TB_MAX][4];
	Perftools__Profiles__Sample samples[TB_MAX], *sample_ptrs[TB_MAX];
	uint64_t sample_locs[TB_MAX][16];
	int64_t sample_vals[TB_MAX][8];
} tb;

static void tb_init(tb *b)
{
	memset(b, 0, sizeof(*b));
	perftools__profiles__profile__init(&b->p);
	b->p.string_table = b->strings;
	b->strings[b->p.n_string_table++] = "";
	b->p.sample_type = b->type_ptrs;
	b->p.mapping = b->map_ptrs;
	b->p.function = b->func_ptrs;
	b->p.location = b->loc_ptrs;
	b->p.sample = b->sample_ptrs;
}

static int64_t tb_str(tb *b, const char *s)
{
	size_t i;

	for (i = 0; i < b->p.n_string_table; i++)
		if (strcmp(b->strings[i], s) == 0)
			return (int64_t)i;
	b->strings[i] = (char *)s;
	b->p.n_string_table++;
	return (int64_t)i;
}

static void tb_type(tb *b, const char *type, const char *unit)
{
	Perftools__Profiles__ValueType *vt = &b->types[b->p.n_sample_type];

	perftools__profiles__value_type__init(vt);
	vt->type = tb_str(b, type);
	vt->unit = tb_str(b, unit);
	b->type_ptrs[b->p.n_sample_type++] = vt;
}

static void tb_mapping(tb *b, uint64_t id, const char *file)
{
	Perftools__Profiles__Mapping *m = &b->maps[b->p.n_mapping];

	perftools__profiles__mapping__init(m);
	m->id = id;
	m->filename = tb_str(b, file);
	m->has_functions = 1;
	b->map_ptrs[b->p.n_mapping++] = m;
}

static void tb_func(tb *b, uint64_t id, const char *name, const char *file,
                    int64_t start_line)
{
	Perftools__Profiles__Function *f = &b->funcs[b->p.n_function];

	perftools__profiles__function__init(f);
	f->id = id;
	f->name = tb_str(b, name);
	f->system_name = f->name;
	f->filename = tb_str(b, file);
	f->start_line = start_line;
	b->func_ptrs[b->p.n_function++] = f;
}

/* A location; `funcs` lists its lines' function ids, innermost first. */
static void tb_loc(tb *b, uint64_t id, uint64_t mapping, size_t nlines,
                   const uint64_t *funcs)
{
	size_t i = b->p.n_location, j;
	Perftools__Profiles__Location *l = &b->locs[i];

	perftools__profiles__location__init(l);
	l->id = id;
	l->mapping_id = mapping;
	l->address = 0x1000 + 16 * id;
	for (j = 0; j < nlines; j++) {
		perftools__profiles__line__init(&b->lines[i][j]);
		b->lines[i][j].function_id = funcs[j];
		b->lines[i][j].line = (int64_t)(10 + j);
		b->line_ptrs[i][j] = &b->lines[i][j];
	}
	l->line = b->line_ptrs[i];
	l->n_line = nlines;
	b->loc_ptrs[b->p.n_location++] = l;
}

/* A sample; `locs` leaf first. */
static void tb_sample(tb *b, size_t nlocs, const uint64_t *locs, size_t nvals,
                      const int64_t *vals)
{
	size_t i = b->p.n_sample;
	Perftools__Profiles__Sample *s = &b->samples[i];

	perftools__profiles__sample__init(s);
	if (nlocs)
		memcpy(b->sample_locs[i], locs, nlocs * sizeof(*locs));
	memcpy(b->sample_vals[i], vals, nvals * sizeof(*vals));
	s->location_id = b->sample_locs[i];
	s->n_location_id = nlocs;
	s->value = b->sample_vals[i];
	s->n_value = nvals;
	b->sample_ptrs[b->p.n_sample++] = s;
}

static unsigned char *tb_pack(tb *b, size_t *len)
{
	size_t n = perftools__profiles__profile__get_packed_size(&b->p);
	unsigned char *out = malloc(n + 1);

	assert_non_null(out);
	*len = perftools__profiles__profile__pack(&b->p, out);
	assert_int_equal(*len, n);
	return out;
}

static unsigned char *gzip_bytes(const unsigned char *in, size_t len,
                                 size_t *out_len)
{
	uLong cap = compressBound((uLong)len) + 64;
	unsigned char *out = malloc(cap);
	z_stream zs;

	assert_non_null(out);
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8,
	                              Z_DEFAULT_STRATEGY),
	                 Z_OK);
	zs.next_in = (unsigned char *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	*out_len = zs.total_out;
	deflateEnd(&zs);
	return out;
}

static int parse_err(const void *data, size_t len, const mg_pprof_opts *o,
                     mg_err *err)
{
	mg_pprof *p = NULL;
	int rc = mg_pprof_parse(&p, data, len, o, "t.pb", err);

	if (rc == 0)
		mg_pprof_free(p);
	return rc;
}

static void expect_error(tb *b, int code, const char *needle)
{
	mg_err err = MG_ERR_INIT;
	size_t len;
	unsigned char *data = tb_pack(b, &len);
	int rc = parse_err(data, len, NULL, &err);

	if (rc != code || strstr(err.msg, needle) == NULL)
		fail_msg("expected %d '%s', got %d '%s'", code, needle, rc,
		         err.msg);
	free(data);
}

/* Fixtures (no Go needed) -------------------------------------------- */

static void check_fixture_top(const char *profile, const char *which, size_t n,
                              const char *expected)
{
	mg_pprof *p = load_fixture(profile);
	size_t len;
	char *want = fixture(expected, &len);
	char *got = top_text(p, which, n);

	assert_same_lines(want, got, expected);
	free(want);
	free(got);
	mg_pprof_free(p);
}

static void test_fixture_heap_tops(void **state)
{
	static const char *const types[] = {"alloc_space", "alloc_objects",
	                                    "inuse_space", "inuse_objects"};
	char name[64];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "heap.%s.top.txt", types[i]);
		check_fixture_top("heap.pb.gz", types[i], 0, name);
	}
	/* go test -memprofile declares alloc_space as the default type */
	check_fixture_top("heap.pb.gz", NULL, 0, "heap.default.top.txt");
	check_fixture_top("heap.pb.gz", "alloc_objects", 5,
	                  "heap.alloc_objects.n5.top.txt");
}

static void test_fixture_cpu_tops(void **state)
{
	(void)state;
	check_fixture_top("cpu.pb.gz", "samples", 0, "cpu.samples.top.txt");
	check_fixture_top("cpu.pb.gz", "cpu", 0, "cpu.cpu.top.txt");
	check_fixture_top("cpu.pb.gz", NULL, 0, "cpu.cpu.top.txt");
}

static void test_fixture_diffs(void **state)
{
	static const char *const types[] = {"alloc_space", "alloc_objects",
	                                    "inuse_space", "inuse_objects"};
	mg_pprof *base = load_fixture("heap.pb.gz");
	mg_pprof *head = load_fixture("heap2.pb.gz");
	char name[64];
	size_t i, len;

	(void)state;
	for (i = 0; i < 4; i++) {
		char *got = diff_text(base, head, types[i]);
		char *want;

		snprintf(name, sizeof(name), "diff.%s.top.txt", types[i]);
		want = fixture(name, &len);
		assert_same_lines(want, got, name);
		free(want);
		free(got);
	}
	mg_pprof_free(base);
	mg_pprof_free(head);
}

/*
 * Sum each column of the Samples section of `go tool pprof -raw`: the
 * header line names the types, each sample line starts with its values
 * followed by ':'.
 */
static size_t raw_sums(const char *raw, int64_t *sums, size_t max)
{
	const char *line = strstr(raw, "Samples:\n");
	size_t ntypes = 0, i;

	assert_non_null(line);
	line = strchr(line, '\n') + 1;
	for (i = 0; line[i] != '\n'; i++)
		if (line[i] == '/')
			ntypes++;
	assert_true(ntypes > 0 && ntypes <= max);
	memset(sums, 0, ntypes * sizeof(*sums));
	line = strchr(line, '\n') + 1;
	while (*line) {
		const char *colon = strchr(line, ':');
		const char *nl = strchr(line, '\n');
		char *end;

		if (colon && (!nl || colon < nl) &&
		    strncmp(line, "                ", 16) != 0) {
			const char *q = line;

			for (i = 0; i < ntypes; i++) {
				sums[i] += strtoll(q, &end, 10);
				assert_true(end > q);
				q = end;
			}
		}
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	return ntypes;
}

static void test_fixture_sums_and_run(void **state)
{
	static const char *const names[][2] = {{"heap.pb.gz", "heap.raw.txt"},
	                                       {"cpu.pb.gz", "cpu.raw.txt"}};
	size_t k;

	(void)state;
	for (k = 0; k < 2; k++) {
		mg_pprof *p = load_fixture(names[k][0]);
		size_t len, nt, t, i;
		char *raw = fixture(names[k][1], &len);
		int64_t sums[8];
		mg_profile prof;
		mg_err err = MG_ERR_INIT;

		nt = raw_sums(raw, sums, 8);
		assert_int_equal(mg_pprof_sample_type_count(p), nt);
		memset(&prof, 0, sizeof(prof));
		assert_int_equal(mg_pprof_to_run(&prof, p, &err), 0);
		assert_int_equal(prof.nsample_types, nt);
		for (t = 0; t < nt; t++) {
			int64_t flat = 0;
			mg_pprof_top *top = NULL;
			char tu[128];

			/* every sample's value is the flat of its leaf */
			assert_int_equal(mg_pprof_sum(p, t), sums[t]);
			snprintf(tu, sizeof(tu), "%s/%s",
			         mg_pprof_sample_type(p, t),
			         mg_pprof_sample_unit(p, t));
			assert_string_equal(prof.sample_types[t], tu);
			for (i = 0; i < prof.nfuncs; i++)
				if (prof.funcs[i].sample_type == t)
					flat += prof.funcs[i].flat;
			assert_int_equal(flat, sums[t]);
			/*
			 * The report's rows (those above the cutoff) are
			 * found in the run, with the same values, in order.
			 */
			assert_int_equal(
			        mg_pprof_top_new(&top, p, tu, NULL, &err),
			        MG_EINPUT);
			assert_int_equal(
			        mg_pprof_top_new(&top, p,
			                         mg_pprof_sample_type(p, t),
			                         NULL, &err),
			        0);
			assert_int_equal(top->total, sums[t]);
			i = 0;
			for (size_t r = 0; r < top->nrows; r++, i++) {
				while (i < prof.nfuncs &&
				       (prof.funcs[i].sample_type != t ||
				        strcmp(prof.funcs[i].function,
				               top->rows[r].function) != 0))
					i++;
				assert_true(i < prof.nfuncs);
				assert_int_equal(prof.funcs[i].flat,
				                 top->rows[r].flat);
				assert_int_equal(prof.funcs[i].cum,
				                 top->rows[r].cum);
			}
			mg_pprof_top_free(top);
		}
		if (k == 0)
			assert_string_equal(prof.default_sample_type,
			                    "alloc_space");
		/* a second fill is refused */
		assert_int_equal(mg_pprof_to_run(&prof, p, &err), MG_ECONFLICT);
		for (i = 0; i < prof.nfuncs; i++) {
			free(prof.funcs[i].function);
			free(prof.funcs[i].file);
		}
		for (i = 0; i < prof.nsample_types; i++)
			free(prof.sample_types[i]);
		free(prof.funcs);
		free(prof.sample_types);
		free(prof.default_sample_type);
		free(raw);
		mg_pprof_free(p);
	}
}

static void test_raw_and_gzip_equal(void **state)
{
	mg_pprof *gz = load_fixture("heap.pb.gz");
	size_t len;
	char *data = fixture("heap.pb.gz", &len);
	mg_buf raw = MG_BUF_INIT(MG_BUF_NOLIMIT);
	unsigned char chunk[65536];
	z_stream zs;
	mg_pprof *rp;
	char *a, *b;
	int zrc;

	(void)state;
	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 16 + 15), Z_OK);
	zs.next_in = (unsigned char *)data;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		zrc = inflate(&zs, Z_NO_FLUSH);
		assert_true(zrc == Z_OK || zrc == Z_STREAM_END);
		mg_buf_put(&raw, chunk, sizeof(chunk) - zs.avail_out);
	} while (zrc != Z_STREAM_END);
	inflateEnd(&zs);
	rp = parse_ok(raw.ptr, raw.len, "heap.pb");
	a = top_text(gz, "inuse_space", 0);
	b = top_text(rp, "inuse_space", 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
	/* two gzip members decompress to their concatenation, as in Go */
	{
		size_t l1, l2;
		unsigned char *m1 =
		        gzip_bytes((unsigned char *)raw.ptr, raw.len / 2, &l1);
		unsigned char *m2 =
		        gzip_bytes((unsigned char *)raw.ptr + raw.len / 2,
		                   raw.len - raw.len / 2, &l2);
		unsigned char *both = malloc(l1 + l2);
		mg_pprof *mp;

		memcpy(both, m1, l1);
		memcpy(both + l1, m2, l2);
		mp = parse_ok(both, l1 + l2, "two-members.pb.gz");
		a = top_text(mp, "inuse_space", 0);
		b = top_text(rp, "inuse_space", 0);
		assert_string_equal(a, b);
		free(a);
		free(b);
		mg_pprof_free(mp);
		free(m1);
		free(m2);
		free(both);
	}
	mg_pprof_free(rp);
	mg_pprof_free(gz);
	mg_buf_release(&raw);
	free(data);
}

/* Formatting rules --------------------------------------------------- */

static void test_format(void **state)
{
	char b[64];

	(void)state;
	/* 1024-based units, two decimals, ".00" dropped */
	mg_pprof_format_value(b, sizeof(b), 524308, "bytes", "kB");
	assert_string_equal(b, "512.02kB"); /* 524308/1024 = 512.0195 */
	mg_pprof_format_value(b, sizeof(b), 1572864, "bytes", "MB");
	assert_string_equal(b, "1.50MB"); /* 1.5 * 2^20 */
	mg_pprof_format_value(b, sizeof(b), 8196096, "bytes", "kB");
	assert_string_equal(b, "8004kB"); /* exactly 8004 * 1024 */
	mg_pprof_format_value(b, sizeof(b), (int64_t)3 << 30, "bytes",
	                      "minimum");
	assert_string_equal(b, "3GB");
	mg_pprof_format_value(b, sizeof(b), 100, "bytes", "MB");
	assert_string_equal(b, "0"); /* 0.0000954 rounds to "0.00" */
	mg_pprof_format_value(b, sizeof(b), -655360, "bytes", "MB");
	assert_string_equal(b, "-0.62MB"); /* -0.625 rounds half to even */
	mg_pprof_format_value(b, sizeof(b), 1500000, "nanoseconds", "auto");
	assert_string_equal(b, "1.50ms");
	mg_pprof_format_value(b, sizeof(b), 120000000, "nanoseconds", "ms");
	assert_string_equal(b, "120ms");
	mg_pprof_format_value(b, sizeof(b), 42, "count", "count");
	assert_string_equal(b, "42");
	mg_pprof_format_value(b, sizeof(b), 42, "widgets", "widgets");
	assert_string_equal(b, "42widgets");
	/* percentages: 2 decimals from 1%, 2 significant digits below */
	mg_pprof_format_percent(b, sizeof(b), 3442, 10000);
	assert_string_equal(b, "34.42%");
	mg_pprof_format_percent(b, sizeof(b), 14, 100000);
	assert_string_equal(b, "0.014%");
	mg_pprof_format_percent(b, sizeof(b), 6, 10000);
	assert_string_equal(b, " 0.06%");
	mg_pprof_format_percent(b, sizeof(b), 0, 10);
	assert_string_equal(b, "    0%");
	mg_pprof_format_percent(b, sizeof(b), 9996, 10000);
	assert_string_equal(b, "  100%");
	mg_pprof_format_percent(b, sizeof(b), -5, 10);
	assert_string_equal(b, "50.00%"); /* the absolute value */
	mg_pprof_format_percent(b, sizeof(b), 1, 0);
	assert_string_equal(b, "    0%");
}

/* Synthetic profiles with hand-worked results ------------------------- */

/*
 * Corner cases in one profile (types objects/count, space/bytes):
 *   f1 main.main, f2 main.work, f3 main.helper, f4 main.rec,
 *   f5 nameless (start_line 7), f6 main.leaf
 *   L1 [main]  L2 [helper, work] (helper inlined into work)
 *   L3 [helper] (called)  L4 [rec]  L5 [f5] on /usr/bin/app
 *   L6 no lines, mapping 2 without file  L7 no lines on /usr/bin/app
 *   L8 [leaf] on an unknown mapping id 99 (pprof tolerates it)
 * samples (leaf first):            objects space
 *   L2 L1                          1       100
 *   L3 L1                          2       200
 *   L4 L4 L4 L1 (recursion)        3       300
 *   L5 L1                          4       400
 *   L6 L1                          5       500
 *   L7 L1                          6       600
 *   L8 L1                          7       700
 *   L1                             8       800
 *   (no locations)                 9       900
 */
static void build_corners(tb *b)
{
	static const uint64_t f1[] = {1}, f21[] = {3, 2}, f3[] = {3},
	                      f4[] = {4}, f5[] = {5}, f6[] = {6};
	static const uint64_t s1[] = {2, 1}, s2[] = {3, 1}, s3[] = {4, 4, 4, 1},
	                      s4[] = {5, 1}, s5[] = {6, 1}, s6[] = {7, 1},
	                      s7[] = {8, 1}, s8[] = {1};
	int64_t v[2];
	int i;

	tb_init(b);
	tb_type(b, "objects", "count");
	tb_type(b, "space", "bytes");
	tb_mapping(b, 1, "/usr/bin/app");
	tb_mapping(b, 2, "");
	tb_func(b, 1, "main.main", "main.go", 1);
	tb_func(b, 2, "main.work", "work.go", 1);
	tb_func(b, 3, "main.helper", "helper.go", 1);
	tb_func(b, 4, "main.rec", "rec.go", 1);
	tb_func(b, 5, "", "", 7);
	tb_func(b, 6, "main.leaf", "leaf.go", 1);
	tb_loc(b, 1, 1, 1, f1);
	tb_loc(b, 2, 1, 2, f21);
	tb_loc(b, 3, 1, 1, f3);
	tb_loc(b, 4, 1, 1, f4);
	tb_loc(b, 5, 1, 1, f5);
	tb_loc(b, 6, 2, 0, NULL);
	tb_loc(b, 7, 1, 0, NULL);
	tb_loc(b, 8, 99, 1, f6);
	for (i = 1; i <= 9; i++) {
		static const uint64_t *const st[] = {s1, s2, s3, s4,  s5,
		                                     s6, s7, s8, NULL};
		static const size_t sn[] = {2, 2, 4, 2, 2, 2, 2, 1, 0};

		v[0] = i;
		v[1] = 100 * i;
		tb_sample(b, sn[i - 1], st[i - 1], 2, v);
	}
	b->p.time_nanos = 1700000000000000000LL;
}

static const mg_pprof_row *row(const mg_pprof_top *t, const char *name,
                               size_t nth)
{
	size_t i;

	for (i = 0; i < t->nrows; i++)
		if (strcmp(t->rows[i].function, name) == 0 && nth-- == 0)
			return &t->rows[i];
	fail_msg("no row '%s'", name);
	return NULL;
}

static void test_corners_by_hand(void **state)
{
	tb b;
	size_t len;
	unsigned char *data;
	mg_pprof *p;
	mg_pprof_top *t = NULL;
	mg_err err = MG_ERR_INIT;
	const mg_pprof_row *r;

	(void)state;
	build_corners(&b);
	data = tb_pack(&b, &len);
	p = parse_ok(data, len, "corners.pb");
	/* no default_sample_type: the last type */
	assert_int_equal(mg_pprof_top_new(&t, p, NULL, NULL, &err), 0);
	assert_string_equal(t->sample_type, "space");
	/* total = 100+...+900 = 4500, including the stackless sample */
	assert_int_equal(t->total, 4500);
	/* main.main: flat 800 (L1 alone), cum 100+..+800 = 3600 */
	r = row(t, "main.main", 0);
	assert_int_equal(r->flat, 800);
	assert_int_equal(r->cum, 3600);
	/* recursion counts once: main.rec flat 300, cum 300 */
	r = row(t, "main.rec", 0);
	assert_int_equal(r->flat, 300);
	assert_int_equal(r->cum, 300);
	/* helper: flat 100 (inlined, L2 leaf) + 200 (called from main) */
	r = row(t, "main.helper", 0);
	assert_int_equal(r->flat, 300);
	assert_int_equal(r->cum, 300);
	/* reached by an inlined and by a real call */
	assert_string_equal(r->inline_mark, "(partial-inline)");
	/* work: flat 0, cum 100 (L2) */
	r = row(t, "main.work", 0);
	assert_int_equal(r->flat, 0);
	assert_int_equal(r->cum, 100);
	assert_string_equal(r->inline_mark, "");
	/* unknown mapping tolerated, function named */
	r = row(t, "main.leaf", 0);
	assert_int_equal(r->flat, 700);
	/* no lines, mapping without file */
	r = row(t, "<unknown>", 0);
	assert_int_equal(r->flat, 500);
	/*
	 * Two different nodes print as "[app]": the nameless function
	 * (start_line 7, 400) and the line-less location (600); ordered by
	 * flat.
	 */
	assert_int_equal(row(t, "[app]", 0)->flat, 600);
	assert_int_equal(row(t, "[app]", 1)->flat, 400);
	/* order: |flat| desc: main.main 800 first, main.work (0) last */
	assert_string_equal(t->rows[0].function, "main.main");
	assert_string_equal(t->rows[t->nrows - 1].function, "main.work");
	/* unit: smallest value 300B vs total 4.39kB: "B" */
	assert_string_equal(t->output_unit, "B");
	mg_pprof_top_free(t);

	/* by number and with the inuse_ prefix rule */
	assert_int_equal(mg_pprof_top_new(&t, p, "0", NULL, &err), 0);
	assert_string_equal(t->sample_type, "objects");
	assert_int_equal(t->total, 45);
	mg_pprof_top_free(t);
	assert_int_equal(mg_pprof_top_new(&t, p, "inuse_space", NULL, &err), 0);
	assert_string_equal(t->sample_type, "space");
	mg_pprof_top_free(t);
	assert_int_equal(mg_pprof_top_new(&t, p, "2", NULL, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "outside the range [0..1]"));
	assert_int_equal(mg_pprof_top_new(&t, p, "cpu", NULL, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "objects space"));
	mg_pprof_free(p);
	free(data);
}

/*
 * Negative values (pprof keeps them; its diffs are made of them): a
 * profile with one sample of -50 and one of 30 under main.main.
 * total = |-50| + |30| = 80; flat = cum = -20.
 */
static void test_negative_values(void **state)
{
	static const uint64_t f1[] = {1}, f2[] = {2}, s1[] = {1}, s2[] = {2, 1};
	tb b;
	size_t len;
	unsigned char *data;
	mg_pprof *p;
	mg_pprof_top *t = NULL;
	mg_err err = MG_ERR_INIT;
	int64_t v;
	char *text;

	(void)state;
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_func(&b, 1, "main.main", "m.go", 1);
	tb_func(&b, 2, "main.f", "m.go", 1);
	tb_loc(&b, 1, 0, 1, f1);
	tb_loc(&b, 2, 0, 1, f2);
	v = -50;
	tb_sample(&b, 1, s1, 1, &v);
	v = 30;
	tb_sample(&b, 2, s2, 1, &v);
	data = tb_pack(&b, &len);
	p = parse_ok(data, len, "neg.pb");
	assert_int_equal(mg_pprof_top_new(&t, p, NULL, NULL, &err), 0);
	assert_int_equal(t->total, 80);
	assert_int_equal(row(t, "main.main", 0)->flat, -50);
	assert_int_equal(row(t, "main.main", 0)->cum, -20);
	assert_int_equal(row(t, "main.f", 0)->flat, 30);
	assert_int_equal(t->shown_flat, -20);
	/* |flat| orders the rows: -50 before 30 */
	assert_string_equal(t->rows[0].function, "main.main");
	mg_pprof_top_free(t);
	text = top_text(p, NULL, 0);
	/* flat% is of |value|: 50/80 = 62.50%; sum -50/80 */
	assert_non_null(strstr(text, "      -50B 62.50% 62.50%       -20B "
	                             "25.00%  main.main\n"));
	free(text);
	mg_pprof_free(p);
	free(data);
}

/*
 * Diff by hand: base main.main -> main.f 100 bytes, head 160 bytes and
 * main.g 40. Rows: main.f +60, main.g +40, main.main flat 0 cum +100;
 * percentages of the base total 100.
 */
static void test_diff_by_hand(void **state)
{
	static const uint64_t f1[] = {1}, f2[] = {2}, f3[] = {3}, sf[] = {2, 1},
	                      sg[] = {3, 1};
	tb b, h;
	size_t lb, lh;
	unsigned char *db, *dh;
	mg_pprof *base, *head;
	mg_pprof_top *t = NULL;
	mg_err err = MG_ERR_INIT;
	int64_t v;
	char *text;

	(void)state;
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_func(&b, 1, "main.main", "m.go", 1);
	tb_func(&b, 2, "main.f", "m.go", 1);
	tb_loc(&b, 1, 0, 1, f1);
	tb_loc(&b, 2, 0, 1, f2);
	v = 100;
	tb_sample(&b, 2, sf, 1, &v);
	tb_init(&h);
	tb_type(&h, "space", "bytes");
	tb_func(&h, 1, "main.main", "m.go", 1);
	tb_func(&h, 2, "main.f", "m.go", 1);
	tb_func(&h, 3, "main.g", "m.go", 1);
	tb_loc(&h, 1, 0, 1, f1);
	tb_loc(&h, 2, 0, 1, f2);
	tb_loc(&h, 3, 0, 1, f3);
	v = 160;
	tb_sample(&h, 2, sf, 1, &v);
	v = 40;
	tb_sample(&h, 2, sg, 1, &v);
	db = tb_pack(&b, &lb);
	dh = tb_pack(&h, &lh);
	base = parse_ok(db, lb, "base.pb");
	head = parse_ok(dh, lh, "head.pb");
	assert_int_equal(mg_pprof_diff(&t, base, head, NULL, NULL, &err), 0);
	assert_true(t->diff);
	assert_int_equal(t->total, 100);
	assert_int_equal(t->nrows, 3);
	assert_string_equal(t->rows[0].function, "main.f");
	assert_int_equal(t->rows[0].flat, 60);
	assert_int_equal(t->rows[0].base_flat, 100);
	assert_string_equal(t->rows[1].function, "main.g");
	assert_int_equal(t->rows[1].flat, 40);
	assert_int_equal(t->rows[1].base_flat, 0);
	assert_string_equal(t->rows[2].function, "main.main");
	assert_int_equal(t->rows[2].cum, 100);
	assert_int_equal(t->rows[2].base_cum, 100);
	mg_pprof_top_free(t);
	text = diff_text(base, head, NULL);
	assert_non_null(strstr(text, "Showing nodes accounting for 100B, "
	                             "100% of 100B total\n"));
	assert_non_null(strstr(text, "       60B 60.00% 60.00%        60B "
	                             "60.00%  main.f\n"));
	free(text);
	/* different sample types are refused */
	{
		mg_pprof *cpu = load_fixture("cpu.pb.gz");

		assert_int_equal(mg_pprof_diff(&t, base, cpu, NULL, NULL, &err),
		                 MG_EINPUT);
		assert_non_null(strstr(err.msg, "different sample types"));
		mg_pprof_free(cpu);
	}
	mg_pprof_free(base);
	mg_pprof_free(head);
	free(db);
	free(dh);
}

/* Hostile input ------------------------------------------------------ */

static void test_truncated_and_corrupt(void **state)
{
	size_t len, raw_len, i;
	char *gz = fixture("heap.pb.gz", &len);
	unsigned char *raw;
	mg_err err = MG_ERR_INIT;
	tb b;
	int rc;

	(void)state;
	/* every truncation of the gzip file is an error, never a crash */
	for (i = 0; i < len; i += (i < 64 ? 1 : 97)) {
		rc = parse_err(gz, i, NULL, &err);
		assert_true(rc == MG_EINPUT || rc == MG_ELIMIT);
	}
	assert_int_equal(parse_err(gz, len - 9, NULL, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "gzip"));
	/* corrupt deflate data */
	for (i = 20; i < 40; i++)
		gz[i] = (char)(gz[i] ^ 0x5a);
	assert_int_equal(parse_err(gz, len, NULL, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "corrupt gzip"));
	/* trailing garbage after the member, as Go's reader refuses */
	free(gz);
	gz = fixture("heap.pb.gz", &len);
	gz = realloc(gz, len + 3);
	memcpy(gz + len, "xyz", 3);
	assert_int_equal(parse_err(gz, len + 3, NULL, &err), MG_EINPUT);
	free(gz);

	/* every truncation and byte flip of a raw profile: no crash */
	build_corners(&b);
	raw = tb_pack(&b, &raw_len);
	for (i = 0; i < raw_len; i++) {
		unsigned char *cp = malloc(raw_len);

		rc = parse_err(raw, i, NULL, &err);
		assert_true(rc == 0 || rc == MG_EINPUT || rc == MG_ELIMIT);
		memcpy(cp, raw, raw_len);
		cp[i] ^= 0xff;
		rc = parse_err(cp, raw_len, NULL, &err);
		assert_true(rc == 0 || rc == MG_EINPUT || rc == MG_ELIMIT);
		free(cp);
	}
	free(raw);
	assert_int_equal(parse_err("", 0, NULL, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "empty profile"));
}

static void test_bad_wire_data(void **state)
{
	/* field 6 (string), then a length varint that never ends */
	static const unsigned char bad_varint[] = {0x32, 0x00, 0x32,
	                                           0xff, 0xff, 0xff};
	/* 11 continuation bytes: too long for a varint */
	static const unsigned char long_varint[] = {0x48, 0x80, 0x80, 0x80,
	                                            0x80, 0x80, 0x80, 0x80,
	                                            0x80, 0x80, 0x80, 0x01};
	/* a string of 5 bytes with 2 present */
	static const unsigned char short_len[] = {0x32, 0x00, 0x32,
	                                          0x05, 'a',  'b'};
	/* sample (field 2) sent as a varint */
	static const unsigned char wire[] = {0x32, 0x00, 0x10, 0x01};
	/* wire type 3 (group) */
	static const unsigned char group[] = {0x32, 0x00, 0x7b};
	/* time_nanos twice: two profiles written back to back */
	static const unsigned char concat[] = {0x32, 0x00, 0x48, 0x01,
	                                       0x32, 0x00, 0x48, 0x02};
	/* only unknown fields 15 and 16, and an empty string table */
	static const unsigned char unknown_only[] = {0x78, 0x01, 0x82, 0x01,
	                                             0x00, 0x32, 0x00};
	static const unsigned char no_strings[] = {0x48, 0x01};
	static const unsigned char not_empty0[] = {0x32, 0x01, 'x'};
	static const char legacy[] =
	        "heap profile: 1: 8 [1: 8] @ heap/1048576\n"
	        "1: 8 [1: 8] @ 0x1 0x2\n";
	mg_err err = MG_ERR_INIT;

	(void)state;
	assert_int_equal(parse_err(bad_varint, sizeof(bad_varint), NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "bad varint"));
	assert_non_null(strstr(err.msg, "offset 2"));
	assert_int_equal(
	        parse_err(long_varint, sizeof(long_varint), NULL, &err),
	        MG_EINPUT);
	assert_non_null(strstr(err.msg, "bad varint"));
	assert_int_equal(parse_err(short_len, sizeof(short_len), NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "length exceeds the data"));
	assert_int_equal(parse_err(wire, sizeof(wire), NULL, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "field 'sample'"));
	assert_int_equal(parse_err(group, sizeof(group), NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "unknown wire type"));
	assert_int_equal(parse_err(concat, sizeof(concat), NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "concatenated"));
	/* unknown fields are skipped: this is a valid, empty profile */
	assert_int_equal(
	        parse_err(unknown_only, sizeof(unknown_only), NULL, &err), 0);
	assert_int_equal(parse_err(no_strings, sizeof(no_strings), NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "string table is empty"));
	assert_int_equal(parse_err(not_empty0, sizeof(not_empty0), NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "string_table[0]"));
	/* the old text format, which pprof still reads, is named */
	assert_int_equal(parse_err(legacy, strlen(legacy), NULL, &err),
	                 MG_EINPUT);
	assert_non_null(strstr(err.msg, "legacy text profile"));
}

static void test_bad_references(void **state)
{
	static const uint64_t f1[] = {1}, s1[] = {1}, s42[] = {42};
	static const uint64_t f9[] = {9}, f0[] = {0};
	int64_t v[3] = {1, 2, 3};
	tb b;

	(void)state;
	/* string index out of range in a function name */
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_func(&b, 1, "main.main", "m.go", 1);
	b.funcs[0].name = 99;
	expect_error(&b, MG_EINPUT, "function 0: string index 99 out of range");
	/* negative string index */
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	b.types[0].unit = -1;
	expect_error(&b, MG_EINPUT, "string index -1 out of range");
	/* a sample naming a location that does not exist */
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_func(&b, 1, "main.main", "m.go", 1);
	tb_loc(&b, 1, 0, 1, f1);
	tb_sample(&b, 1, s42, 1, v);
	expect_error(&b, MG_EINPUT, "sample 0: location id 42 does not exist");
	/* a line naming a function that does not exist, or id 0 */
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_loc(&b, 1, 0, 1, f9);
	expect_error(&b, MG_EINPUT, "function id 9 does not exist");
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_func(&b, 1, "main.main", "m.go", 1);
	tb_loc(&b, 1, 0, 1, f0);
	expect_error(&b, MG_EINPUT, "function id 0 does not exist");
	/* zero ids */
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_func(&b, 1, "main.main", "m.go", 1);
	tb_loc(&b, 0, 0, 1, f1);
	expect_error(&b, MG_EINPUT, "location 0 has the reserved id 0");
	tb_init(&b);
	tb_func(&b, 0, "main.main", "m.go", 1);
	expect_error(&b, MG_EINPUT, "function 0 has the reserved id 0");
	tb_init(&b);
	tb_mapping(&b, 0, "/bin/x");
	expect_error(&b, MG_EINPUT, "mapping 0 has the reserved id 0");
	/* duplicate ids, dense and sparse */
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_func(&b, 1, "main.main", "m.go", 1);
	tb_loc(&b, 3, 0, 1, f1);
	tb_loc(&b, 3, 0, 1, f1);
	expect_error(&b, MG_EINPUT, "several locations with id 3");
	tb_init(&b);
	tb_func(&b, 1ULL << 60, "a", "m.go", 1);
	tb_func(&b, 1ULL << 60, "b", "m.go", 1);
	expect_error(&b, MG_EINPUT,
	             "several functions with id 1152921504606846976");
	/* sample value count must match the sample types */
	tb_init(&b);
	tb_type(&b, "objects", "count");
	tb_type(&b, "space", "bytes");
	tb_func(&b, 1, "main.main", "m.go", 1);
	tb_loc(&b, 1, 0, 1, f1);
	tb_sample(&b, 1, s1, 3, v);
	expect_error(
	        &b, MG_EINPUT,
	        "sample 0 has 3 values but the profile has 2 sample types");
	tb_init(&b);
	tb_func(&b, 1, "main.main", "m.go", 1);
	tb_loc(&b, 1, 0, 1, f1);
	tb_sample(&b, 1, s1, 1, v);
	expect_error(&b, MG_EINPUT, "samples without sample types");
}

static void test_sparse_ids(void **state)
{
	/* ids far apart use the hash map; results must not change */
	static const uint64_t big = 0xfedcba9876543210ULL;
	uint64_t f[1] = {big - 1}, s[2] = {big, 7};
	tb b;
	int64_t v = 5;
	size_t len;
	unsigned char *data;
	mg_pprof *p;
	mg_pprof_top *t = NULL;
	mg_err err = MG_ERR_INIT;

	(void)state;
	tb_init(&b);
	tb_type(&b, "space", "bytes");
	tb_func(&b, big - 1, "main.far", "m.go", 1);
	tb_func(&b, 3, "main.main", "m.go", 1);
	tb_loc(&b, big, 0, 1, f);
	f[0] = 3;
	tb_loc(&b, 7, 0, 1, f);
	tb_sample(&b, 2, s, 1, &v);
	data = tb_pack(&b, &len);
	p = parse_ok(data, len, "sparse.pb");
	assert_int_equal(mg_pprof_top_new(&t, p, NULL, NULL, &err), 0);
	assert_int_equal(row(t, "main.far", 0)->flat, 5);
	assert_int_equal(row(t, "main.main", 0)->cum, 5);
	mg_pprof_top_free(t);
	mg_pprof_free(p);
	free(data);
}

static void test_memory_budget(void **state)
{
	mg_pprof_opts o = {0, 4096};
	size_t len;
	char *gz = fixture("heap.pb.gz", &len);
	mg_err err = MG_ERR_INIT;

	(void)state;
	assert_int_equal(parse_err(gz, len, &o, &err), MG_ELIMIT);
	assert_non_null(strstr(err.msg, "more than 4096 bytes of memory"));
	o.max_memory = 0;
	o.max_decompressed = 1000;
	assert_int_equal(parse_err(gz, len, &o, &err), MG_ELIMIT);
	assert_non_null(strstr(err.msg, "limit of 1000 bytes"));
	free(gz);
}

/*
 * A gzip member whose data is 2 GiB of zeros, built without compressing
 * 2 GiB: a raw deflate chunk for 1 MiB of zeros ending in a full flush
 * depends on nothing before it, so it can be repeated; the trailer's CRC
 * is combined arithmetically.
 */
static unsigned char *make_bomb(size_t *len, uint32_t isize_override)
{
	static unsigned char zeros[1 << 20];
	unsigned char tmp[1 << 16];
	mg_buf head = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf chunk = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf tail = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf out = MG_BUF_INIT(MG_BUF_NOLIMIT);
	static const unsigned char gzhdr[] = {0x1f, 0x8b, 8, 0, 0,
	                                      0,    0,    0, 0, 3};
	z_stream zs;
	uLong crc, c1;
	uint32_t isize;
	unsigned char trailer[8];
	int i, pass;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(
	        deflateInit2(&zs, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY),
	        Z_OK);
	for (pass = 0; pass < 3; pass++) {
		mg_buf *dst = pass == 0 ? &head : pass == 1 ? &chunk : &tail;

		zs.next_in = zeros;
		zs.avail_in = pass < 2 ? sizeof(zeros) : 0;
		do {
			zs.next_out = tmp;
			zs.avail_out = sizeof(tmp);
			deflate(&zs, pass < 2 ? Z_FULL_FLUSH : Z_FINISH);
			mg_buf_put(dst, tmp, sizeof(tmp) - zs.avail_out);
		} while (zs.avail_out == 0);
	}
	deflateEnd(&zs);
	mg_buf_put(&out, gzhdr, sizeof(gzhdr));
	mg_buf_put(&out, head.ptr, head.len);
	for (i = 1; i < 2048; i++)
		mg_buf_put(&out, chunk.ptr, chunk.len);
	mg_buf_put(&out, tail.ptr, tail.len);
	c1 = crc32(0, zeros, sizeof(zeros));
	crc = c1;
	for (i = 1; i < 2048; i++)
		crc = crc32_combine(crc, c1, sizeof(zeros));
	isize = isize_override ? isize_override : (uint32_t)(1u << 31);
	for (i = 0; i < 4; i++) {
		trailer[i] = (unsigned char)(crc >> (8 * i));
		trailer[4 + i] = (unsigned char)(isize >> (8 * i));
	}
	mg_buf_put(&out, trailer, 8);
	mg_buf_release(&head);
	mg_buf_release(&chunk);
	mg_buf_release(&tail);
	*len = out.len;
	return (unsigned char *)mg_buf_detach(&out);
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, resident = 0;

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
		resident = 0;
	fclose(f);
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Parse in a child and report (code, seconds, peak RSS growth in KiB) so
 * the memory is the parse's own.
 */
static void parse_in_child(const unsigned char *data, size_t len,
                           const mg_pprof_opts *o, int *code, double *secs,
                           long *grow_kb, char *msg, size_t msg_size)
{
	int fds[2], status;
	pid_t pid;
	struct {
		int code;
		double secs;
		long grow;
		char msg[MG_ERR_MSG_MAX];
	} r;

	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		mg_err err = MG_ERR_INIT;
		struct rusage ru;
		long before = rss_kb();
		double t0 = now_s();

		memset(&r, 0, sizeof(r));
		r.code = parse_err(data, len, o, &err);
		r.secs = now_s() - t0;
		getrusage(RUSAGE_SELF, &ru);
		r.grow = ru.ru_maxrss - before;
		memcpy(r.msg, err.msg, sizeof(r.msg));
		if (write(fds[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &r, sizeof(r)), (ssize_t)sizeof(r));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	*code = r.code;
	*secs = r.secs;
	*grow_kb = r.grow;
	snprintf(msg, msg_size, "%s", r.msg);
}

static void test_gzip_bomb(void **state)
{
	size_t len;
	unsigned char *bomb = make_bomb(&len, 0);
	mg_pprof_opts o = {32u << 20, 0};
	char msg[MG_ERR_MSG_MAX];
	double secs;
	long grow;
	int code;

	(void)state;
	/* ~2 MB of gzip for 2 GiB of zeros */
	assert_true(len < (8u << 20));
	/* default cap: the trailer's size alone refuses it, at once */
	parse_in_child(bomb, len, NULL, &code, &secs, &grow, msg, sizeof(msg));
	assert_int_equal(code, MG_ELIMIT);
	assert_non_null(strstr(msg, "decompressed size 2147483648 exceeds "
	                            "the limit of 1073741824 bytes"));
	assert_true(secs < 1.0);
	assert_true(grow < 64 * 1024);
	free(bomb);

	/*
	 * A trailer that lies (declares 1000 bytes): inflation stops at the
	 * cap (32 MiB here), with memory near the cap, quickly.
	 */
	bomb = make_bomb(&len, 1000);
	parse_in_child(bomb, len, &o, &code, &secs, &grow, msg, sizeof(msg));
	assert_int_equal(code, MG_ELIMIT);
	assert_non_null(strstr(msg, "decompressed size exceeds the limit of "
	                            "33554432 bytes"));
	assert_true(secs < 5.0);
	if (grow > 3 * 32 * 1024)
		fail_msg("bomb grew RSS by %ld KiB", grow);
	free(bomb);
}

/* Go at test time ---------------------------------------------------- */

static char *go_tmp; /* the module's directory */
static bool go_ready;

static bool have_go(void)
{
	mg_buf out = MG_BUF_INIT(4096);
	int rc = mgt_sh(NULL, &out, "go version 2>/dev/null");

	mg_buf_release(&out);
	return rc == 0;
}

static const char go_module_src[] =
        "package mgprof\n\n"
        "import (\n"
        "\t\"crypto/sha256\"\n"
        "\t\"encoding/json\"\n"
        "\t\"fmt\"\n"
        "\t\"sort\"\n"
        "\t\"strings\"\n"
        "\t\"testing\"\n"
        ")\n\n"
        "var sink []byte\n"
        "var sinks [][]byte\n"
        "var keep [][]byte\n\n"
        "// inlinedAlloc is small enough for the compiler to inline it.\n"
        "func inlinedAlloc(n int) []byte {\n"
        "\treturn make([]byte, n)\n"
        "}\n\n"
        "//go:noinline\n"
        "func allocA(n int) []byte {\n"
        "\treturn make([]byte, n)\n"
        "}\n\n"
        "//go:noinline\n"
        "func allocB(n int) []byte {\n"
        "\tb := inlinedAlloc(n)\n"
        "\treturn append(b, 1)\n"
        "}\n\n"
        "//go:noinline\n"
        "func recurse(depth, n int) [][]byte {\n"
        "\tout := [][]byte{make([]byte, n)}\n"
        "\tif depth > 0 {\n"
        "\t\tout = append(out, recurse(depth-1, n)...)\n"
        "\t}\n"
        "\treturn out\n"
        "}\n\n"
        "type node struct {\n"
        "\tName     string\n"
        "\tValue    int\n"
        "\tChildren []*node\n"
        "}\n\n"
        "func tree(depth int) *node {\n"
        "\tn := &node{Name: fmt.Sprintf(\"n%d\", depth), Value: depth}\n"
        "\tif depth > 0 {\n"
        "\t\tn.Children = []*node{tree(depth - 1), tree(depth - 1)}\n"
        "\t}\n"
        "\treturn n\n"
        "}\n\n"
        "func BenchmarkA(b *testing.B) {\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tsink = allocA(1024)\n"
        "\t}\n"
        "}\n\n"
        "func BenchmarkB(b *testing.B) {\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tsink = allocB(4096)\n"
        "\t}\n"
        "}\n\n"
        "func BenchmarkRecurse(b *testing.B) {\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tsinks = recurse(5, 512)\n"
        "\t}\n"
        "}\n\n"
        "func BenchmarkJSON(b *testing.B) {\n"
        "\tt := tree(4)\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tsink, _ = json.Marshal(t)\n"
        "\t}\n"
        "}\n\n"
        "func BenchmarkStrings(b *testing.B) {\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tvar sb strings.Builder\n"
        "\t\tfor j := 0; j < 20; j++ {\n"
        "\t\t\tfmt.Fprintf(&sb, \"%d-%s;\", j, \"x\")\n"
        "\t\t}\n"
        "\t\tsink = []byte(strings.ToUpper(sb.String()))\n"
        "\t}\n"
        "}\n\n"
        "func BenchmarkKeep(b *testing.B) {\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tif len(keep) < 500 {\n"
        "\t\t\tkeep = append(keep, allocA(256))\n"
        "\t\t}\n"
        "\t}\n"
        "}\n\n"
        "func BenchmarkCPU(b *testing.B) {\n"
        "\tdata := make([]byte, 1<<16)\n"
        "\tfor i := 0; i < b.N; i++ {\n"
        "\t\tfor j := 0; j < 8; j++ {\n"
        "\t\t\ts := sha256.Sum256(data)\n"
        "\t\t\tdata[j] = s[0]\n"
        "\t\t}\n"
        "\t\tx := make([]int, 2000)\n"
        "\t\tfor j := range x {\n"
        "\t\t\tx[j] = (j * 7919) % 2003\n"
        "\t\t}\n"
        "\t\tsort.Ints(x)\n"
        "\t}\n"
        "}\n";

/* Write the module and run its benchmarks twice (base and head). */
static int go_setup(void **state)
{
	mg_buf out = MG_BUF_INIT(1 << 20);
	const char *home = getenv("HOME");
	char *path;
	int rc;

	(void)state;
	if (!have_go())
		return 0;
	setenv("TZ", "UTC", 1);
	setenv("GOFLAGS", "", 1);
	unsetenv("GOTOOLCHAIN");
	go_tmp = mgt_tmpdir();
	if (home == NULL || access(home, W_OK) != 0) {
		/* no usable home: keep Go's caches in the test's directory */
		path = mgt_path(go_tmp, "gopath");
		setenv("GOPATH", path, 1);
		free(path);
		path = mgt_path(go_tmp, "gocache");
		setenv("GOCACHE", path, 1);
		free(path);
	}
	path = mgt_path(go_tmp, "go.mod");
	mgt_write_file(path, "module example.com/mgprof\n\ngo 1.19\n", 35);
	free(path);
	path = mgt_path(go_tmp, "alloc_test.go");
	mgt_write_file(path, go_module_src, strlen(go_module_src));
	free(path);
	rc = mgt_sh(go_tmp, &out,
	            "go test -run '^$' -bench . -benchmem -memprofile mem.out "
	            "-memprofilerate=1 -cpuprofile cpu.out -count 1 "
	            "-benchtime 200x >go1.log 2>&1 && "
	            "go test -run '^$' -bench . -benchmem -memprofile mem2.out "
	            "-memprofilerate=1 -count 1 -benchtime 300x >go2.log 2>&1");
	if (rc != 0) {
		print_error("go test failed (%d), see %s/go1.log\n", rc,
		            go_tmp);
		return -1;
	}
	mg_buf_release(&out);
	go_ready = true;
	return 0;
}

static int go_teardown(void **state)
{
	(void)state;
	mgt_tmpdir_free(go_tmp);
	go_tmp = NULL;
	return 0;
}

/* Run `go tool pprof -top ARGS` in the module directory. */
static char *go_pprof(const char *args)
{
	mg_buf out = MG_BUF_INIT(MG_BUF_NOLIMIT);
	int rc =
	        mgt_sh(go_tmp, &out, "go tool pprof -top %s 2>/dev/null", args);

	if (rc != 0)
		fail_msg("go tool pprof -top %s failed (%d)", args, rc);
	return mg_buf_detach(&out);
}

static mg_pprof *load_go(const char *name)
{
	char *path = mgt_path(go_tmp, name);
	mg_err err = MG_ERR_INIT;
	mg_pprof *p = NULL;

	if (mg_pprof_load(&p, path, NULL, &err) != 0)
		fail_msg("%s", err.msg);
	free(path);
	return p;
}

static void test_go_heap(void **state)
{
	static const char *const which[] = {NULL, "alloc_space",
	                                    "alloc_objects", "inuse_space",
	                                    "inuse_objects"};
	mg_pprof *p;
	char args[128], what[160];
	size_t i;

	(void)state;
	if (!go_ready)
		skip();
	p = load_go("mem.out");
	for (i = 0; i < 5; i++) {
		char *want, *got;

		snprintf(args, sizeof(args), "-nodecount=100000 %s%s mem.out",
		         which[i] ? "-sample_index=" : "",
		         which[i] ? which[i] : "");
		want = go_pprof(args);
		got = top_text(p, which[i], 100000);
		snprintf(what, sizeof(what), "pprof -top %s", args);
		assert_same_lines(want, got, what);
		free(want);
		free(got);
	}
	/* -nodecount below the number of nodes: "Showing top N ..." */
	{
		char *want = go_pprof("-nodecount=4 -sample_index=1 mem.out");
		char *got = top_text(p, "1", 4);

		assert_same_lines(want, got, "pprof -top -nodecount=4");
		free(want);
		free(got);
	}
	mg_pprof_free(p);
}

static void test_go_cpu(void **state)
{
	mg_pprof *p;
	char *want, *got;

	(void)state;
	if (!go_ready)
		skip();
	p = load_go("cpu.out");
	want = go_pprof("cpu.out");
	got = top_text(p, NULL, 0);
	assert_same_lines(want, got, "pprof -top cpu.out");
	free(want);
	free(got);
	want = go_pprof("-sample_index=samples cpu.out");
	got = top_text(p, "samples", 0);
	assert_same_lines(want, got, "pprof -top -sample_index=samples");
	free(want);
	free(got);
	mg_pprof_free(p);
}

static void test_go_diff(void **state)
{
	static const char *const which[] = {NULL, "alloc_space",
	                                    "alloc_objects", "inuse_space",
	                                    "inuse_objects"};
	mg_pprof *base, *head;
	char args[160];
	size_t i;

	(void)state;
	if (!go_ready)
		skip();
	base = load_go("mem.out");
	head = load_go("mem2.out");
	for (i = 0; i < 5; i++) {
		char *want, *got;

		snprintf(args, sizeof(args), "%s%s -diff_base=mem.out mem2.out",
		         which[i] ? "-sample_index=" : "",
		         which[i] ? which[i] : "");
		want = go_pprof(args);
		got = diff_text(base, head, which[i]);
		assert_same_lines(want, got, args);
		free(want);
		free(got);
		/* and the other way round */
		snprintf(args, sizeof(args), "%s%s -diff_base=mem2.out mem.out",
		         which[i] ? "-sample_index=" : "",
		         which[i] ? which[i] : "");
		want = go_pprof(args);
		got = diff_text(head, base, which[i]);
		assert_same_lines(want, got, args);
		free(want);
		free(got);
	}
	mg_pprof_free(base);
	mg_pprof_free(head);
}

/* The synthetic corner cases, compared with pprof too. */
static void test_go_corners(void **state)
{
	tb b, h;
	size_t len;
	unsigned char *data;
	char *path, *want, *got;
	mg_pprof *p, *ph;
	const char *types[] = {"objects", "space"};
	size_t i;

	(void)state;
	if (!go_ready)
		skip();
	build_corners(&b);
	data = tb_pack(&b, &len);
	path = mgt_path(go_tmp, "corners.pb");
	mgt_write_file(path, data, len);
	free(path);
	p = parse_ok(data, len, "corners.pb");
	free(data);
	/* the head: values changed, one sample gone, one negative */
	build_corners(&h);
	h.sample_vals[0][1] = 5000;
	h.sample_vals[2][1] = -300;
	h.sample_vals[3][0] = 0;
	h.sample_vals[3][1] = 0;
	h.sample_vals[5][1] = 601;
	h.p.duration_nanos = 2500000000LL;
	data = tb_pack(&h, &len);
	path = mgt_path(go_tmp, "corners2.pb");
	mgt_write_file(path, data, len);
	free(path);
	ph = parse_ok(data, len, "corners2.pb");
	free(data);
	for (i = 0; i < 2; i++) {
		char args[128];

		snprintf(args, sizeof(args), "-sample_index=%s corners.pb",
		         types[i]);
		want = go_pprof(args);
		got = top_text(p, types[i], 0);
		assert_same_lines(want, got, args);
		free(want);
		free(got);
		snprintf(args, sizeof(args), "-sample_index=%s corners2.pb",
		         types[i]);
		want = go_pprof(args);
		got = top_text(ph, types[i], 0);
		assert_same_lines(want, got, args);
		free(want);
		free(got);
		snprintf(args, sizeof(args),
		         "-sample_index=%s -diff_base=corners.pb corners2.pb",
		         types[i]);
		want = go_pprof(args);
		got = diff_text(p, ph, types[i]);
		assert_same_lines(want, got, args);
		free(want);
		free(got);
	}
	mg_pprof_free(p);
	mg_pprof_free(ph);
}

int main(void)
{
	const struct CMUnitTest fixtures[] = {
	        cmocka_unit_test(test_fixture_heap_tops),
	        cmocka_unit_test(test_fixture_cpu_tops),
	        cmocka_unit_test(test_fixture_diffs),
	        cmocka_unit_test(test_fixture_sums_and_run),
	        cmocka_unit_test(test_raw_and_gzip_equal),
	        cmocka_unit_test(test_format),
	        cmocka_unit_test(test_corners_by_hand),
	        cmocka_unit_test(test_negative_values),
	        cmocka_unit_test(test_diff_by_hand),
	        cmocka_unit_test(test_truncated_and_corrupt),
	        cmocka_unit_test(test_bad_wire_data),
	        cmocka_unit_test(test_bad_references),
	        cmocka_unit_test(test_sparse_ids),
	        cmocka_unit_test(test_memory_budget),
	        cmocka_unit_test(test_gzip_bomb),
	};
	const struct CMUnitTest with_go[] = {
	        cmocka_unit_test(test_go_heap),
	        cmocka_unit_test(test_go_cpu),
	        cmocka_unit_test(test_go_diff),
	        cmocka_unit_test(test_go_corners),
	};
	int failed;

	failed = cmocka_run_group_tests_name("pprof", fixtures, NULL, NULL);
	failed += cmocka_run_group_tests_name("pprof_vs_go", with_go, go_setup,
	                                      go_teardown);
	return failed;
}
