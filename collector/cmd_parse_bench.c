/*
 * cmd_parse_bench.c - `memgate parse-bench`: read benchmark results and
 * print what was read, so a user can see exactly which samples memgate
 * would store: one JSON record per sample, or a per-benchmark summary.
 * Go benchmark output (go test -bench text or go test -json) is read
 * with lib/gobench; Google Benchmark JSON (lib/gbench), memgate metrics
 * documents and Bencher Metric Format (lib/metrics) and massif output
 * files (lib/massif) are read into an mg_run and printed from there.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "gbench.h"
#include "gobench.h"
#include "massif.h"
#include "numfmt.h"
#include "metrics.h"
#include "run.h"

static const char usage_text[] =
        "usage: memgate parse-bench [--format text|json]\n"
        "                           [--input go|gbench|metrics|bmf|massif] "
        "FILE...\n\n"
        "Reads benchmark results and prints what memgate reads from them.\n"
        "FILE '-' is standard input.\n\n"
        "  --input go       Go benchmark output, as printed by `go test\n"
        "                   -bench` or `go test -bench -json`\n"
        "  --input gbench   Google Benchmark JSON "
        "(--benchmark_format=json)\n"
        "  --input metrics  a memgate metrics document\n"
        "                   (schema/metrics.schema.json)\n"
        "  --input bmf      Bencher Metric Format JSON\n"
        "  --input massif   a valgrind massif output file: samples\n"
        "                   peak-heap-B and peak-total-B of a benchmark\n"
        "                   named after the profiled command\n"
        "  Without --input each file's format is guessed from its "
        "content.\n\n"
        "  --format text  a summary per benchmark and unit: n, median, min "
        "and\n"
        "                 max of its samples (the default)\n"
        "  --format json  an array with one record per sample: file, line,\n"
        "                 name, procs, iterations, unit, value, package and\n"
        "                 config; NaN and infinite values are the strings\n"
        "                 \"NaN\", \"+Inf\" and \"-Inf\"; line is 0 for "
        "formats\n"
        "                 other than go\n\n"
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

static void put_json_number(FILE *out, double v)
{
	char buf[MG_NUMFMT_MAX];

	if (isnan(v))
		fputs("\"NaN\"", out);
	else if (isinf(v))
		fputs(v > 0 ? "\"+Inf\"" : "\"-Inf\"", out);
	else
		fwrite(buf, 1, mg_numfmt_double(buf, v), out);
}

enum input_kind {
	INPUT_AUTO,
	INPUT_GO,
	INPUT_GBENCH,
	INPUT_METRICS,
	INPUT_BMF,
	INPUT_MASSIF,
};

/* One input file: Go results, or a run read from another format. */
struct input {
	mg_gobench *gb; /* INPUT_GO */
	mg_run *run;    /* every other format */
	char *name;     /* file name for messages and records */
};

static void print_run_json(FILE *out, const struct input *in, const char **sep)
{
	size_t i, k;

	for (i = 0; i < in->run->nsamples; i++) {
		const mg_sample *s = &in->run->samples[i];
		const mg_bench *b = &in->run->benches[s->bench];

		fprintf(out, "%s\n{\"file\": ", *sep);
		*sep = ",";
		put_json_string(out, in->name);
		fputs(", \"line\": 0, \"name\": ", out);
		put_json_string(out, b->name);
		fprintf(out,
		        ", \"procs\": %d, \"iterations\": %lld, \"unit\": ",
		        b->procs, (long long)s->iterations);
		put_json_string(out, s->unit);
		fputs(", \"value\": ", out);
		put_json_number(out, s->value);
		fputs(", \"package\": ", out);
		put_json_string(out, b->package);
		fputs(", \"config\": {", out);
		for (k = 0; k < b->nconfig; k++) {
			if (k > 0)
				fputs(", ", out);
			put_json_string(out, b->config[k].key);
			fputs(": ", out);
			put_json_string(out, b->config[k].value);
		}
		fputs("}}", out);
	}
}

static void print_json(FILE *out, struct input *ins, size_t ngb)
{
	const char *sep = "";
	size_t f, i, j, k;

	fputs("[", out);
	for (f = 0; f < ngb; f++) {
		mg_gobench *gbs_f = ins[f].gb;

		if (ins[f].run != NULL) {
			print_run_json(out, &ins[f], &sep);
			continue;
		}
		for (i = 0; i < mg_gobench_count(gbs_f); i++) {
			const mg_gobench_result *r =
			        mg_gobench_result_at(gbs_f, i);

			for (j = 0; j < r->nvalues; j++) {
				fprintf(out, "%s\n{\"file\": ", sep);
				sep = ",";
				put_json_string(out, mg_gobench_name(gbs_f));
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

/* Group the samples of a run: a result view of its benchmark. */
static int groups_add_run(struct groups *gs, const mg_run *run)
{
	size_t i;
	int error = 0;

	for (i = 0; i < run->nsamples && error == 0; i++) {
		const mg_sample *s = &run->samples[i];
		const mg_bench *b = &run->benches[s->bench];
		mg_gobench_result r;

		memset(&r, 0, sizeof(r));
		r.name = b->name;
		r.package = b->package;
		r.procs = b->procs;
		error = groups_add(gs, &r, s->unit, s->value);
	}
	return error;
}

static int print_text(FILE *out, struct input *ins, size_t ngb)
{
	struct groups gs = {NULL, 0, 0, NULL, 0};
	const char *pkg = NULL;
	char name[512], b1[32], b2[32], b3[32];
	size_t f, i, j, width = 4, uwidth = 4;
	int error = 0;

	for (f = 0; f < ngb && error == 0; f++) {
		if (ins[f].run != NULL) {
			error = groups_add_run(&gs, ins[f].run);
			continue;
		}
		for (i = 0; i < mg_gobench_count(ins[f].gb) && error == 0;
		     i++) {
			const mg_gobench_result *r =
			        mg_gobench_result_at(ins[f].gb, i);

			for (j = 0; j < r->nvalues && error == 0; j++)
				error = groups_add(&gs, r, r->values[j].unit,
				                   r->values[j].value);
		}
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

static int input_parse(const char *s)
{
	static const char *const names[] = {"go", "gbench", "metrics", "bmf",
	                                    "massif"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0)
			return INPUT_GO + (int)i;
	return -1;
}

/*
 * Guess a file's format: massif files start with "desc:"; go test -json
 * is JSON objects with an "Action" member on the first line; the JSON
 * documents are told apart by their marker members; the rest is Go text.
 */
static int input_detect(const char *data, size_t len)
{
	const char *nl = memchr(data, '\n', len);
	size_t first = nl != NULL ? (size_t)(nl - data) : len;

	if (len >= 5 && memcmp(data, "desc:", 5) == 0)
		return INPUT_MASSIF;
	if (memmem(data, first, "\"Action\"", 8) != NULL)
		return INPUT_GO;
	if (mg_metrics_sniff(data, len))
		return INPUT_METRICS;
	if (mg_gbench_sniff(data, len))
		return INPUT_GBENCH;
	if (mg_metrics_bmf_sniff(data, len))
		return INPUT_BMF;
	return INPUT_GO;
}

/* Read data of the given kind into in (a run for non-Go formats). */
static int input_read(struct input *in, int kind, const mg_buf *data,
                      mg_err *err)
{
	mg_massif *m = NULL;
	int error;

	if (kind == INPUT_AUTO)
		kind = input_detect(data->ptr, data->len);
	if (kind == INPUT_GO)
		return mg_gobench_parse(&in->gb, data->ptr, data->len, in->name,
		                        err);
	in->run = calloc(1, sizeof(*in->run));
	if (in->run == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	mg_run_init(in->run);
	switch (kind) {
	case INPUT_GBENCH:
		error = mg_gbench_to_run(in->run, data->ptr, data->len,
		                         in->name, NULL, err);
		break;
	case INPUT_METRICS:
		error = mg_metrics_to_run(in->run, data->ptr, data->len,
		                          in->name, err);
		break;
	case INPUT_BMF:
		error = mg_metrics_bmf_to_run(in->run, data->ptr, data->len,
		                              in->name, err);
		break;
	default:
		error = mg_massif_parse(&m, data->ptr, data->len, in->name,
		                        err);
		if (error == 0)
			error = mg_massif_add_to_run(in->run, m,
			                             mg_massif_cmd(m)[0] != '\0'
			                                     ? mg_massif_cmd(m)
			                                     : in->name,
			                             0, NULL, 0, err);
		mg_massif_free(m);
		break;
	}
	/* As for Go input: an input without results is a mistake. */
	if (error == 0 && in->run->nsamples == 0)
		error = mg_err_set(err, MG_EINPUT, "%s: no benchmark results",
		                   in->name);
	return error;
}

int cmd_parse_bench(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"format", required_argument, NULL, 'f'},
	        {"input", required_argument, NULL, 'i'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	mg_err err = MG_ERR_INIT;
	struct input *gbs = NULL;
	mg_buf data = MG_BUF_INIT(MG_GOBENCH_MAX_INPUT);
	size_t i, ngb = 0;
	int c, format = MG_FORMAT_TEXT, status = MG_EXIT_ERROR, error;
	int kind = INPUT_AUTO;

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
		case 'i':
			kind = input_parse(optarg);
			if (kind < 0)
				return mg_cli_usage_error(
				        "parse-bench",
				        "--input must be go, gbench, metrics, "
				        "bmf or massif, not '%s'",
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
		gbs[ngb].name =
		        mg_strdup(strcmp(path, "-") == 0 ? "<stdin>" : path);
		if (gbs[ngb].name == NULL) {
			mg_err_set(&err, MG_ENOMEM, "out of memory");
			mg_cli_fail(&err);
			goto cleanup;
		}
		ngb++;
		error = read_input(&data, path, &err);
		if (error == 0)
			error = input_read(&gbs[ngb - 1], kind, &data, &err);
		if (error < 0) {
			mg_cli_fail(&err);
			goto cleanup;
		}
		if (gbs[ngb - 1].gb != NULL)
			print_warnings(gbs[ngb - 1].gb);
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
	for (i = 0; i < ngb; i++) {
		mg_gobench_free(gbs[i].gb);
		if (gbs[i].run != NULL)
			mg_run_release(gbs[i].run);
		free(gbs[i].run);
		free(gbs[i].name);
	}
	free(gbs);
	return status;
}
