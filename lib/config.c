/*
 * config.c - `.memgate.ini` through inih (see config.h). inih reports the
 * line of the first error; the handler keeps the first message, so the
 * error names the place and the problem: ".memgate.ini:3: [thresholds]
 * 'B/op': expected a number >= 0, optionally with '%', got 'x'".
 */
#include <errno.h>
#include <ini.h>
#include <math.h>

#include "buf.h"
#include "config.h"

struct ctx {
	mg_config *cfg;
	mg_err err; /* the first problem found by the handler */
	bool failed;
};

/* Keep the first problem; returning 0 tells inih this line failed. */
static int keep(struct ctx *x, const mg_err *e)
{
	if (!x->failed) {
		x->err = *e;
		x->failed = true;
	}
	return 0;
}

static int parse_level(double *out, const char *value)
{
	char *end = NULL;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (end == value || *end != '\0' || errno != 0 || !(v > 0 && v < 1))
		return MG_EINPUT;
	*out = v;
	return 0;
}

static int on_entry(void *user, const char *section, const char *name,
                    const char *value)
{
	struct ctx *x = user;
	mg_err e = MG_ERR_INIT;
	double v;
	bool abs;

	if (strcmp(section, "thresholds") == 0) {
		char what[MG_UNIT_MAX + 32];

		snprintf(what, sizeof(what), "[thresholds] '%.*s'", MG_UNIT_MAX,
		         name);
		if (mg_compare_threshold_value(&v, &abs, value, what, &e) < 0)
			return keep(x, &e);
		if (mg_compare_thresholds_set(&x->cfg->thresholds, name, v, abs,
		                              &e) < 0) {
			mg_err_prefix(&e, "[thresholds]");
			return keep(x, &e);
		}
		return 1;
	}
	if (strcmp(section, "compare") != 0)
		return 1; /* another reader's section */
	if (strcmp(name, "alpha") == 0) {
		if (parse_level(&x->cfg->alpha, value) < 0) {
			mg_err_set(
			        &e, MG_EINPUT,
			        "[compare] 'alpha': expected a number between "
			        "0 and 1, got '%.60s'",
			        value);
			return keep(x, &e);
		}
		x->cfg->has_alpha = true;
		return 1;
	}
	if (strcmp(name, "confidence") == 0) {
		if (parse_level(&x->cfg->confidence, value) < 0) {
			mg_err_set(&e, MG_EINPUT,
			           "[compare] 'confidence': expected a number "
			           "between 0 and 1, got '%.60s'",
			           value);
			return keep(x, &e);
		}
		x->cfg->has_confidence = true;
		return 1;
	}
	mg_err_set(&e, MG_EINPUT,
	           "[compare] unknown key '%.60s' (known: alpha, confidence)",
	           name);
	return keep(x, &e);
}

void mg_config_init(mg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	mg_compare_thresholds_init(&cfg->thresholds);
}

void mg_config_release(mg_config *cfg)
{
	mg_compare_thresholds_release(&cfg->thresholds);
	mg_config_init(cfg);
}

int mg_config_parse(mg_config *cfg, const char *data, size_t len,
                    const char *name, mg_err *err)
{
	struct ctx x;
	char *text;
	size_t i, line = 1, start = 0;
	int rc;

	if (len > MG_CONFIG_MAX_BYTES)
		return mg_err_set(err, MG_ELIMIT, "%s: larger than %d bytes",
		                  name, MG_CONFIG_MAX_BYTES);
	/* inih reads C strings and splits long lines: check both first. */
	for (i = 0; i <= len; i++) {
		if (i < len && data[i] == '\0')
			return mg_err_set(err, MG_EINPUT,
			                  "%s:%zu: NUL byte in a text file",
			                  name, line);
		if (i == len || data[i] == '\n') {
			if (i - start > MG_CONFIG_MAX_LINE)
				return mg_err_set(err, MG_ELIMIT,
				                  "%s:%zu: line longer than %d "
				                  "bytes",
				                  name, line,
				                  MG_CONFIG_MAX_LINE);
			line++;
			start = i + 1;
		}
	}
	text = malloc(len + 1);
	if (text == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	memcpy(text, data, len);
	text[len] = '\0';
	memset(&x, 0, sizeof(x));
	x.cfg = cfg;
	rc = ini_parse_string(text, on_entry, &x);
	free(text);
	if (rc == 0)
		return 0;
	if (rc < 0)
		return mg_err_set(err, MG_ENOMEM, "%s: out of memory", name);
	if (x.failed)
		return mg_err_set(err, x.err.code ? x.err.code : MG_EINPUT,
		                  "%s:%d: %s", name, rc, x.err.msg);
	return mg_err_set(err, MG_EINPUT,
	                  "%s:%d: expected '[section]' or 'key = value'", name,
	                  rc);
}

int mg_config_load(mg_config *cfg, const char *path, mg_err *err)
{
	mg_buf text = MG_BUF_INIT(MG_CONFIG_MAX_BYTES);
	char chunk[4096];
	FILE *f = fopen(path, "rb");
	size_t n;
	int error = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return mg_err_set(err, MG_ENOTFOUND,
			                  "'%s': no such file", path);
		return mg_err_set(err, MG_EIO, "'%s': %s", path,
		                  strerror(errno));
	}
	while (error == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		error = mg_buf_put(&text, chunk, n);
	if (error == 0 && ferror(f))
		error = mg_err_set(err, MG_EIO, "'%s': read error", path);
	else if (error == MG_ELIMIT)
		mg_err_set(err, error, "%s: larger than %d bytes", path,
		           MG_CONFIG_MAX_BYTES);
	else if (error < 0)
		mg_err_set(err, error, "out of memory");
	fclose(f);
	if (error == 0)
		error = mg_config_parse(cfg, text.ptr, text.len, path, err);
	mg_buf_release(&text);
	return error;
}
