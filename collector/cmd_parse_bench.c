/*
 * cmd_parse_bench.c - `memgate parse-bench`: read Go benchmark output
 * (go test -bench text or go test -json) with lib/gobench and print what
 * was read, so a user can see exactly which samples memgate would store:
 * one JSON record per sample, or a per-benchmark summary.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "gobench.h"

static const char usage_text[] =
        "usage: memgate parse-bench [--format text|json] FILE...\n\n"
        "Reads Go benchmark output, as printed by `go test -bench` or\n"
        "`go test -bench -json`, and prints what memgate reads from it.\n"
        "FILE '-' is standard input.\n\n"
        "  --format text  a summary per benchmark and unit: n, median, min "
        "and\n"
        "                 max of its samples (the default)\n"
        "  --format json  an array with one record per sample: file, line,\n"
        "                 name, procs, iterations, unit, value, package and\n"
        "                 config; NaN and infinite values are the strings\n"
        "                 \"NaN\", \"+Inf\" and \"-Inf\"\n\n"
        "Malformed benchmark lines are reported on stderr as warnings\n"
        "(\"memgate: warning: FILE:LINE: ...\") and the rest is read.\n"
        "Exit status: 0 ok, 2 when a file cannot be read or holds no\n"
        "benchmark results.\n";

/* Read a whole file (or stdin for "-") up to the parser's input limit. */
static int read_input(mg_buf *b, const char *path, mg_err *err)
{
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	char chunk[65536];
	struct stat st;
	size_t n;
	int error = 0;

	if (f == NULL)
		return mg_err_set(err, MG_EIO, "%s: %s", path, strerror(errno));
	/* One allocation for regular files; the limit still applies. */
	if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0 && (size_t)st.st_size <= MG_GOBENCH_MAX_INPUT)
		error = mg_buf_grow(b, (size_t)st.st_size);
	while (error == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		error = mg_buf_put(b, chunk, n);
	if (error == MG_ELIMIT)
		mg_err_set(err, error, "%s: larger than the limit of %zu bytes",
		           path, MG_GOBENCH_MAX_INPUT);
	else if (error < 0)
		mg_err_set(err, error, "%s: out of memory", path);
	else if (ferror(f))
		error = mg_err_set(err, MG_EIO, "%s: read error", path);
	if (!is_stdin)
		fclose(f);
	return error;
}

static void put_json_string(FILE *out, const char *s)
{
	const char *run = s;

	putc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		fwrite(run, 1, (size_t)(s - run), out);
		run = s + 1;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c == '\t')
			fputs("\\t", out);
		else
			fprintf(out, "\\u%04x", c);
	}
	fwrite(run, 1, (size_t)(s - run), out);
	putc('"', out);
}

/* The shortest of %.15g..%.17g that reads back as v. */
static const char *fmt_double(char buf[32], double v)
{
	int prec;

	for (prec = 15; prec < 17; prec++) {
		snprintf(buf, 32, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return buf;
	}
	snprintf(buf, 32, "%.17g", v);
	return buf;
}

static void put_json_number(FILE *out, double v)
{
	char buf[32];

	if (isnan(v))
		fputs("\"NaN\"", out);
	else if (isinf(v))
		fputs(v > 0 ? "\"+Inf\"" : "\"-Inf\"", out);
	else
		fputs(fmt_double(buf, v), out);
}

static void print_json(FILE *out, mg_gobench **gbs, size_t ngb)
{
	const char *sep = "";
	size_t f, i, j, k;

	fputs("[", out);
	for (f = 0; f < ngb; f++) {
		for (i = 0; i < mg_gobench_count(gbs[f]); i++) {
			const mg_gobench_result *r =
			        mg_gobench_result_at(gbs[f], i);

			for (j = 0; j < r->nvalues; j++) {
				fprintf(out, "%s\n{\"file\": ", sep);
				sep = ",";
				put_json_string(out, mg_gobench_name(gbs[f]));
				fprintf(out,
				        ", \"line\": %zu, \"name\": ", r->line);
				put_json_string(out, r->name);
				fprintf(out,
				        ", \"procs\": %d, \"iterations\": "
				        "%lld, \"unit\": ",
				        r->procs, (long long)r->iterations);
				put_json_string(out, r->values[j].unit);
				fputs(", \"value\": ", out);
				put_json_number(out, r->values[j].value);
				fputs(", \"package\": ", out);
				put_json_string(out, r->package);
				fputs(", \"config\": {", out);
				for (k = 0; k < r->nconfig; k++) {
					if (k > 0)
						fputs(", ", out);
					put_json_string(out, r->config[k].key);
					fputs(": ", out);
					put_json_string(out,
					                r->config[k].value);
				}
				fputs("}}", out);
			}
		}
	}
	fputs("\n]\n", out);
}

/* ---- text: one row per (package, benchmark, procs, unit) ---- */

struct group {
	const char *pkg; /* borrowed from the parse results */
	const char *name;
	const char *unit;
	int procs;
	double *vals; /* every sample, in input order */
	size_t n;
	size_t cap;
	uint64_t hash;
};

struct groups {
	struct group *g; /* in order of first appearance */
	size_t n;
	size_t cap;
	size_t *slot; /* hash table of index + 1, 0 = free */
	size_t nslot;
};

static uint64_t str_hash(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;
}

static bool group_is(const struct group *g, const mg_gobench_result *r,
                     const char *unit)
{
	return g->procs == r->procs && strcmp(g->name, r->name) == 0 &&
	       strcmp(g->unit, unit) == 0 && strcmp(g->pkg, r->package) == 0;
}

static int groups_rehash(struct groups *gs)
{
	size_t nslot = gs->nslot ? gs->nslot * 2 : 1024, i, j;
	size_t *slot = calloc(nslot, sizeof(*slot));

	if (slot == NULL)
		return MG_ENOMEM;
	for (i = 0; i < gs->n; i++) {
		j = gs->g[i].hash & (nslot - 1);
		while (slot[j] != 0)
			j = (j + 1) & (nslot - 1);
		slot[j] = i + 1;
	}
	free(gs->slot);
	gs->slot = slot;
	gs->nslot = nslot;
	return 0;
}

static int groups_add(struct groups *gs, const mg_gobench_result *r,
                      const char *unit, double v)
{
	uint64_t h = 0xcbf29ce484222325ull;
	struct group *g = NULL;
	size_t j;

	h = str_hash(str_hash(str_hash(h, r->package), r->name), unit) ^
	    (uint64_t)r->procs;
	if ((gs->n + 1) * 2 > gs->nslot && groups_rehash(gs) < 0)
		return MG_ENOMEM;
	for (j = h & (gs->nslot - 1); gs->slot[j] != 0;
	     j = (j + 1) & (gs->nslot - 1)) {
		if (gs->g[gs->slot[j] - 1].hash == h &&
		    group_is(&gs->g[gs->slot[j] - 1], r, unit)) {
			g = &gs->g[gs->slot[j] - 1];
			break;
		}
	}
	if (g == NULL) {
		if (gs->n == gs->cap) {
			size_t cap = gs->cap ? gs->cap * 2 : 64;
			struct group *ng = realloc(gs->g, cap * sizeof(*ng));

			if (ng == NULL)
				return MG_ENOMEM;
			gs->g = ng;
			gs->cap = cap;
		}
		g = &gs->g[gs->n];
		memset(g, 0, sizeof(*g));
		g->pkg = r->package;
		g->name = r->name;
		g->unit = unit;
		g->procs = r->procs;
		g->hash = h;
		gs->slot[j] = ++gs->n;
	}
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 8;
		double *nv = realloc(g->vals, cap * sizeof(*nv));

		if (nv == NULL)
			return MG_ENOMEM;
		g->vals = nv;
		g->cap = cap;
	}
	g->vals[g->n++] = v;
	return 0;
}

static void groups_release(struct groups *gs)
{
	size_t i;

	for (i = 0; i < gs->n; i++)
		free(gs->g[i].vals);
	free(gs->g);
	free(gs->slot);
}

/* NaN sorts last, so median, min and max come from the numbers. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return (x > y) - (x < y);
}

static const char *fmt_value(char buf[32], double v)
{
	if (isnan(v))
		return "NaN";
	if (isinf(v))
		return v > 0 ? "+Inf" : "-Inf";
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, 32, "%.0f", v);
	else
		snprintf(buf, 32, "%.6g", v);
	return buf;
}

static void full_name(char *buf, size_t size, const struct group *g)
{
	if (g->procs > 0)
		snprintf(buf, size, "%s-%d", g->name, g->procs);
	else
		snprintf(buf, size, "%s", g->name);
}

static int print_text(FILE *out, mg_gobench **gbs, size_t ngb)
{
	struct groups gs = {NULL, 0, 0, NULL, 0};
	const char *pkg = NULL;
	char name[512], b1[32], b2[32], b3[32];
	size_t f, i, j, width = 4, uwidth = 4;
	int error = 0;

	for (f = 0; f < ngb && error == 0; f++)
		for (i = 0; i < mg_gobench_count(gbs[f]) && error == 0; i++) {
			const mg_gobench_result *r =
			        mg_gobench_result_at(gbs[f], i);

			for (j = 0; j < r->nvalues && error == 0; j++)
				error = groups_add(&gs, r, r->values[j].unit,
				                   r->values[j].value);
		}
	if (error < 0) {
		groups_release(&gs);
		return error;
	}
	for (i = 0; i < gs.n; i++) {
		full_name(name, sizeof(name), &gs.g[i]);
		if (strlen(name) > width)
			width = strlen(name);
		if (strlen(gs.g[i].unit) > uwidth)
			uwidth = strlen(gs.g[i].unit);
	}
	for (i = 0; i < gs.n; i++) {
		struct group *g = &gs.g[i];
		size_t nn = g->n;
		double med;

		if (pkg == NULL || strcmp(pkg, g->pkg) != 0) {
			if (pkg != NULL)
				putc('\n', out);
			pkg = g->pkg;
			if (pkg[0] != '\0')
				fprintf(out, "pkg: %s\n", pkg);
			fprintf(out, "%-*s  %-*s  %5s  %12s  %12s  %12s\n",
			        (int)width, "name", (int)uwidth, "unit", "n",
			        "median", "min", "max");
		}
		qsort(g->vals, g->n, sizeof(*g->vals), cmp_double);
		while (nn > 0 && isnan(g->vals[nn - 1]))
			nn--;
		if (nn == 0)
			med = NAN;
		else if (nn % 2 == 1)
			med = g->vals[nn / 2];
		else
			med = (g->vals[nn / 2 - 1] + g->vals[nn / 2]) / 2;
		full_name(name, sizeof(name), g);
		fprintf(out, "%-*s  %-*s  %5zu  %12s  %12s  %12s\n", (int)width,
		        name, (int)uwidth, g->unit, g->n, fmt_value(b1, med),
		        fmt_value(b2, nn ? g->vals[0] : NAN),
		        fmt_value(b3, nn ? g->vals[nn - 1] : NAN));
	}
	groups_release(&gs);
	return 0;
}

static void print_warnings(const mg_gobench *gb)
{
	size_t i;

	for (i = 0; i < mg_gobench_nwarnings(gb); i++)
		fprintf(stderr, "memgate: warning: %s\n",
		        mg_gobench_warning_at(gb, i)->msg);
	if (mg_gobench_warnings_dropped(gb) > 0)
		fprintf(stderr, "memgate: warning: %s: %zu more warnings\n",
		        mg_gobench_name(gb), mg_gobench_warnings_dropped(gb));
}

int cmd_parse_bench(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	mg_err err = MG_ERR_INIT;
	mg_gobench **gbs = NULL;
	mg_buf data = MG_BUF_INIT(MG_GOBENCH_MAX_INPUT);
	size_t i, ngb = 0;
	int c, format = MG_FORMAT_TEXT, status = MG_EXIT_ERROR, error;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			format = mg_cli_format_parse(
			        optarg, MG_FMT_BIT(MG_FORMAT_TEXT) |
			                        MG_FMT_BIT(MG_FORMAT_JSON));
			if (format < 0)
				return mg_cli_usage_error(
				        "parse-bench",
				        "--format must be text or json, not "
				        "'%s'",
				        optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			return MG_EXIT_OK;
		default:
			return mg_cli_usage_error("parse-bench",
			                          "unknown option");
		}
	}
	if (optind >= argc)
		return mg_cli_usage_error("parse-bench", "no input files");
	gbs = calloc((size_t)(argc - optind), sizeof(*gbs));
	if (gbs == NULL) {
		mg_err_set(&err, MG_ENOMEM, "out of memory");
		return mg_cli_fail(&err);
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		const char *path = argv[i];

		mg_buf_reset(&data);
		error = read_input(&data, path, &err);
		if (error == 0)
			error = mg_gobench_parse(
			        &gbs[ngb], data.ptr, data.len,
			        strcmp(path, "-") == 0 ? "<stdin>" : path,
			        &err);
		if (error < 0) {
			mg_cli_fail(&err);
			goto cleanup;
		}
		print_warnings(gbs[ngb++]);
	}
	mg_buf_release(&data);
	if (format == MG_FORMAT_JSON) {
		print_json(stdout, gbs, ngb);
	} else if (print_text(stdout, gbs, ngb) < 0) {
		mg_err_set(&err, MG_ENOMEM, "out of memory");
		mg_cli_fail(&err);
		goto cleanup;
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		mg_err_set(&err, MG_EIO, "writing the output failed");
		mg_cli_fail(&err);
		goto cleanup;
	}
	status = MG_EXIT_OK;

cleanup:
	mg_buf_release(&data);
	for (i = 0; i < ngb; i++)
		mg_gobench_free(gbs[i]);
	free(gbs);
	return status;
}
