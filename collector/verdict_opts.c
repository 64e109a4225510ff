/*
 * verdict_opts.c - options and output shared by the commands that end in
 * a verdict (see verdict_opts.h).
 */
#include <errno.h>

#include "buf.h"
#include "cli.h"
#include "config.h"
#include "gitrepo.h"
#include "verdict_opts.h"

const char mg_verdict_opts_usage[] =
        "  --format F         text (default), markdown or json\n"
        "  --threshold LIST   smallest change that counts, per unit, e.g.\n"
        "                     allocs/op=0,B/op=2%,ns/op=10% (N%: relative, "
        "N:\n"
        "                     absolute; '*' for every other unit)\n"
        "  --alpha A          significance level (default 0.05, "
        "Benjamini-\n"
        "                     Hochberg adjusted over all pairs)\n"
        "  --confidence C     level of the intervals (default 0.95)\n"
        "  --max-bytes N      markdown size limit (default 65536, GitHub's)\n"
        "  --config PATH      settings file (default: .memgate.ini at the\n"
        "                     repository root, if any)\n";

void mg_verdict_opts_init(mg_verdict_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = MG_FORMAT_TEXT;
}

static int parse_level(double *out, const char *s, const char *opt, mg_err *err)
{
	char *end = NULL;

	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(*out > 0 && *out < 1))
		return mg_err_set(err, MG_EINPUT,
		                  "%s: expected a number between 0 and 1, got "
		                  "'%s'",
		                  opt, s);
	return 0;
}

int mg_verdict_opts_take(mg_verdict_opts *o, int ch, const char *arg,
                         mg_err *err)
{
	switch (ch) {
	case 'f':
		o->format = mg_cli_format_parse(
		        arg, MG_FMT_BIT(MG_FORMAT_TEXT) |
		                     MG_FMT_BIT(MG_FORMAT_MARKDOWN) |
		                     MG_FMT_BIT(MG_FORMAT_JSON));
		if (o->format < 0)
			return mg_err_set(
			        err, MG_EINPUT,
			        "--format: expected text, markdown or "
			        "json, got '%s'",
			        arg);
		return 0;
	case 't':
		o->threshold = arg;
		return 0;
	case 'a':
		o->has_alpha = true;
		return parse_level(&o->alpha, arg, "--alpha", err);
	case 'c':
		o->has_confidence = true;
		return parse_level(&o->confidence, arg, "--confidence", err);
	case 'm':
		if (mg_cli_parse_count(&o->max_bytes, arg, "--max-bytes", err) <
		    0)
			return MG_EINPUT;
		if (o->max_bytes < MG_COMPARE_MD_MIN)
			return mg_err_set(err, MG_EINPUT,
			                  "--max-bytes: at least %d",
			                  MG_COMPARE_MD_MIN);
		return 0;
	case 'C':
		o->config = arg;
		return 0;
	default:
		return 1;
	}
}

/*
 * Settings: .memgate.ini (or --config), then the command line on top.
 * A missing default file is fine; a missing --config file is not.
 */
int mg_verdict_opts_settings(const mg_verdict_opts *o, mg_compare_opts *co,
                             mg_compare_thresholds *thr, mg_err *err)
{
	mg_config cfg;
	mg_buf path = MG_BUF_INIT(8192);
	const char *file = o->config;
	mg_git *g = NULL;
	size_t i;
	int error = 0;

	mg_config_init(&cfg);
	mg_compare_opts_init(co);
	if (file == NULL && mg_git_open(&g, ".", NULL) == 0 &&
	    mg_git_workdir(g)) {
		if (mg_buf_printf(&path, "%s%s", mg_git_workdir(g),
		                  MG_CONFIG_FILE) < 0) {
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto cleanup;
		}
		file = path.ptr;
	}
	if (file) {
		error = mg_config_load(&cfg, file, err);
		if (error == MG_ENOTFOUND && o->config == NULL) {
			mg_err_clear(err);
			error = 0;
		}
		if (error < 0)
			goto cleanup;
	}
	for (i = 0; i < cfg.thresholds.n && error == 0; i++)
		error = mg_compare_thresholds_set(
		        thr, cfg.thresholds.items[i].unit,
		        cfg.thresholds.items[i].value,
		        cfg.thresholds.items[i].absolute, err);
	if (error == 0 && o->threshold)
		error = mg_compare_thresholds_parse(thr, o->threshold, err);
	if (cfg.has_alpha)
		co->alpha = cfg.alpha;
	if (cfg.has_confidence)
		co->confidence = cfg.confidence;
	if (o->has_alpha)
		co->alpha = o->alpha;
	if (o->has_confidence)
		co->confidence = o->confidence;
	co->thresholds = thr;
cleanup:
	mg_config_release(&cfg);
	mg_buf_release(&path);
	mg_git_free(g);
	return error;
}

int mg_verdict_opts_render(const mg_compare *c, const mg_verdict_opts *o,
                           mg_err *err)
{
	mg_buf out = MG_BUF_INIT(MG_BUF_NOLIMIT), sum = MG_BUF_INIT(4096);
	size_t i;
	int error;

	switch (o->format) {
	case MG_FORMAT_MARKDOWN:
		error = mg_compare_write_markdown(&out, c, (size_t)o->max_bytes,
		                                  err);
		break;
	case MG_FORMAT_JSON:
		error = mg_compare_write_json(&out, c, err);
		break;
	default:
		error = mg_compare_write_text(&out, c, err);
	}
	if (error == 0 && fwrite(out.ptr, 1, out.len, stdout) != out.len)
		error = mg_err_set(err, MG_EIO, "writing the output: %s",
		                   strerror(errno));
	/* Text is benchstat's: say the rest on stderr. */
	if (error == 0 && o->format == MG_FORMAT_TEXT) {
		for (i = 0; i < mg_compare_note_count(c); i++)
			fprintf(stderr, "memgate: note: %s\n",
			        mg_compare_note_at(c, i));
		if (mg_compare_verdict(c) == MG_STATS_REGRESSION ||
		    mg_compare_verdict(c) == MG_STATS_INCONCLUSIVE) {
			mg_compare_write_summary(&sum, c);
			fprintf(stderr, "memgate: %s\n", sum.ptr);
		}
	}
	mg_buf_release(&out);
	mg_buf_release(&sum);
	return error;
}
