/*
 * pprof_out.c - output and options shared by cmd_top.c and cmd_diff.c.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>

#include "cli.h"
#include "pprof_out.h"

/* The change of v from base relative to base, in percent; false if the
 * base is 0 (a new or vanished function has no relative change). */
static bool relative_change(double *out, int64_t base, int64_t v)
{
	if (base == 0)
		return false;
	*out = 100.0 * (double)v / (double)(base < 0 ? -base : base);
	return true;
}

static void add_pct(cJSON *o, const char *key, int64_t v, int64_t total)
{
	cJSON_AddNumberToObject(o, key,
	                        total ? 100.0 * (double)v / (double)total : 0);
}

static int write_json(FILE *f, const mg_pprof_top *t, mg_err *err)
{
	cJSON *root = cJSON_CreateObject(), *rows, *labels;
	int64_t sum = 0;
	char *text = NULL;
	double rel;
	size_t i;

	if (root == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	cJSON_AddBoolToObject(root, "diff", t->diff);
	cJSON_AddStringToObject(root, "sample_type", t->sample_type);
	cJSON_AddStringToObject(root, "sample_unit", t->sample_unit);
	cJSON_AddStringToObject(root, "output_unit", t->output_unit);
	cJSON_AddNumberToObject(root, "total", (double)t->total);
	cJSON_AddNumberToObject(root, "shown_flat", (double)t->shown_flat);
	cJSON_AddNumberToObject(root, "dropped_nodes",
	                        (double)t->dropped_nodes);
	labels = cJSON_AddArrayToObject(root, "labels");
	for (i = 0; labels && i < t->nlabels; i++)
		cJSON_AddItemToArray(labels, cJSON_CreateString(t->labels[i]));
	rows = cJSON_AddArrayToObject(root, "rows");
	for (i = 0; rows && i < t->nrows; i++) {
		const mg_pprof_row *r = &t->rows[i];
		cJSON *o = cJSON_CreateObject();

		if (o == NULL)
			break;
		sum += r->flat;
		cJSON_AddStringToObject(o, "function", r->function);
		cJSON_AddStringToObject(o, "file", r->file);
		cJSON_AddStringToObject(o, "inline", r->inline_mark);
		cJSON_AddNumberToObject(o, "flat", (double)r->flat);
		cJSON_AddNumberToObject(o, "cum", (double)r->cum);
		add_pct(o, "flat_pct", r->flat, t->total);
		add_pct(o, "sum_pct", sum, t->total);
		add_pct(o, "cum_pct", r->cum, t->total);
		if (t->diff) {
			cJSON_AddNumberToObject(o, "base_flat",
			                        (double)r->base_flat);
			cJSON_AddNumberToObject(
			        o, "head_flat",
			        (double)(r->base_flat + r->flat));
			cJSON_AddNumberToObject(o, "base_cum",
			                        (double)r->base_cum);
			cJSON_AddNumberToObject(o, "head_cum",
			                        (double)(r->base_cum + r->cum));
			if (relative_change(&rel, r->base_flat, r->flat))
				cJSON_AddNumberToObject(o, "flat_change_pct",
				                        rel);
			else
				cJSON_AddNullToObject(o, "flat_change_pct");
			if (relative_change(&rel, r->base_cum, r->cum))
				cJSON_AddNumberToObject(o, "cum_change_pct",
				                        rel);
			else
				cJSON_AddNullToObject(o, "cum_change_pct");
		}
		cJSON_AddItemToArray(rows, o);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (text == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	fprintf(f, "%s\n", text);
	cJSON_free(text);
	return 0;
}

static void put_change(mg_buf *b, const char *what, int64_t base, int64_t v)
{
	double rel;

	if (relative_change(&rel, base, v))
		mg_buf_printf(b, "%s %+.1f%%", what, rel);
	else
		mg_buf_printf(b, "%s %s", what, v == 0 ? "0" : "new");
}

int mg_pprof_out_write(FILE *f, const mg_pprof_top *t, int format,
                       bool relative, mg_err *err)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	int error;

	if (format == MG_FORMAT_JSON)
		return write_json(f, t, err);
	error = mg_pprof_top_write_text(&b, t);
	if (error == 0 && relative && t->diff) {
		/* the same table, each row followed by its relative change */
		mg_buf rel = MG_BUF_INIT(MG_BUF_NOLIMIT);
		const char *line = b.ptr, *nl;
		size_t row = 0, header = t->nlabels + 1, i = 0;

		while (error == 0 && (nl = strchr(line, '\n')) != NULL) {
			error = mg_buf_put(&rel, line, (size_t)(nl - line));
			if (i >= header && row < t->nrows) {
				const mg_pprof_row *r = &t->rows[row++];

				mg_buf_puts(&rel, "  [");
				put_change(&rel, "flat", r->base_flat, r->flat);
				mg_buf_puts(&rel, ", ");
				put_change(&rel, "cum", r->base_cum, r->cum);
				mg_buf_putc(&rel, ']');
			}
			mg_buf_putc(&rel, '\n');
			line = nl + 1;
			i++;
		}
		mg_buf_release(&b);
		b = rel;
	}
	if (error < 0) {
		mg_buf_release(&b);
		return mg_err_set(err, error, "out of memory");
	}
	fwrite(b.ptr, 1, b.len, f);
	mg_buf_release(&b);
	return 0;
}

int mg_pprof_cli_parse(mg_pprof_cli *o, int argc, char **argv, const char *cmd,
                       const char *usage)
{
	static const struct option opts[] = {
	        {"sample-index", required_argument, NULL, 's'},
	        {"format", required_argument, NULL, 'f'},
	        {"max-size", required_argument, NULL, 'm'},
	        {"relative", no_argument, NULL, 'r'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	mg_err err = MG_ERR_INIT;
	long long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->format = MG_FORMAT_TEXT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->sample_index = optarg;
			break;
		case 'f':
			o->format = mg_cli_format_parse(
			        optarg, MG_FMT_BIT(MG_FORMAT_TEXT) |
			                        MG_FMT_BIT(MG_FORMAT_JSON));
			if (o->format < 0) {
				mg_cli_usage_error(cmd,
				                   "--format: expected text or "
				                   "json, got '%s'",
				                   optarg);
				return -1;
			}
			break;
		case 'n':
		case 'm':
			if (mg_cli_parse_count(&v, optarg,
			                       c == 'n' ? "-n" : "--max-size",
			                       &err) < 0) {
				mg_cli_usage_error(cmd, "%s", err.msg);
				return -1;
			}
			if (c == 'n')
				o->top.node_count = (size_t)v;
			else
				o->parse.max_decompressed = (size_t)v;
			break;
		case 'r':
			if (strcmp(cmd, "diff") != 0) {
				mg_cli_usage_error(cmd, "--relative is only "
				                        "for diff");
				return -1;
			}
			o->relative = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			mg_cli_usage_error(cmd, "invalid option");
			return -1;
		}
	}
	o->first_arg = optind;
	return 0;
}
