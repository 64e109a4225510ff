/*
 * abjson.c - reading and writing the A/B session document (abjson.h).
 * cJSON parses it; every field is checked for its type and range with a
 * message naming the field and its line (lib/jsonpos.h), and the session
 * as a whole by mg_ab_session_validate.
 */
#include <cjson/cJSON.h>
#include <math.h>

#include "abjson.h"
#include "jsonpos.h"

void mg_abjson_init(mg_abjson *d)
{
	memset(d, 0, sizeof(*d));
}

void mg_abjson_release(mg_abjson *d)
{
	size_t i;

	free(d->project);
	free(d->key);
	free(d->base_key);
	free(d->head_key);
	free(d->floors);
	for (i = 0; i < d->nstrings; i++)
		free(d->strings[i]);
	free(d->strings);
	mg_abjson_init(d);
}

static bool key_ok(const char *k)
{
	size_t n = k ? strlen(k) : 0, i;

	if (n == 0 || n > MG_ABJSON_MAX_KEY)
		return false;
	for (i = 0; i < n; i++)
		if (k[i] <= 0x20 || k[i] >= 0x7f)
			return false;
	return true;
}

int mg_abjson_write(mg_buf *out, const char *project, const char *key,
                    const char *base_key, const char *head_key,
                    const mg_ab_session *s, mg_err *err)
{
	cJSON *root = cJSON_CreateObject(), *floors, *f;
	char *text = NULL;
	size_t i;
	int error = 0;

	if (!key_ok(key) || !key_ok(base_key) || !key_ok(head_key)) {
		cJSON_Delete(root);
		return mg_err_set(err, MG_EINPUT,
		                  "session keys: expected 1 to %d printable "
		                  "characters",
		                  MG_ABJSON_MAX_KEY);
	}
	error = mg_ab_session_validate(s, err);
	if (error < 0) {
		cJSON_Delete(root);
		return error;
	}
	/* "format" first: `memgate push` tells documents apart by it. */
	if (root == NULL ||
	    !cJSON_AddStringToObject(root, "format", MG_ABJSON_FORMAT) ||
	    !cJSON_AddNumberToObject(root, "version", MG_ABJSON_VERSION) ||
	    !cJSON_AddStringToObject(root, "project", project) ||
	    !cJSON_AddStringToObject(root, "idempotency_key", key) ||
	    !cJSON_AddStringToObject(root, "base_run_key", base_key) ||
	    !cJSON_AddStringToObject(root, "head_run_key", head_key) ||
	    !cJSON_AddNumberToObject(root, "rounds", (double)s->rounds) ||
	    !cJSON_AddNumberToObject(root, "confirm_rounds",
	                             (double)s->confirm_rounds) ||
	    !cJSON_AddBoolToObject(root, "aa", s->aa) ||
	    (floors = cJSON_AddArrayToObject(root, "floors")) == NULL)
		goto oom;
	for (i = 0; i < s->nfloors; i++) {
		const mg_ab_floor *fl = &s->floors[i];

		f = cJSON_CreateObject();
		if (f == NULL || !cJSON_AddItemToArray(floors, f) ||
		    !cJSON_AddStringToObject(f, "package",
		                             fl->package ? fl->package : "") ||
		    !cJSON_AddStringToObject(f, "name", fl->name) ||
		    !cJSON_AddNumberToObject(f, "procs", fl->procs) ||
		    !cJSON_AddStringToObject(f, "unit", fl->unit) ||
		    !cJSON_AddNumberToObject(f, "n", (double)fl->n) ||
		    !cJSON_AddNumberToObject(f, "median", fl->center) ||
		    !cJSON_AddNumberToObject(f, "noise_floor", fl->rel))
			goto oom;
	}
	text = cJSON_PrintUnformatted(root);
	if (text == NULL)
		goto oom;
	error = mg_buf_puts(out, text);
	if (error < 0)
		error = mg_err_set(err, error, "session document too large");
	cJSON_free(text);
	cJSON_Delete(root);
	return error;
oom:
	cJSON_Delete(root);
	return mg_err_set(err, MG_ENOMEM, "out of memory");
}

bool mg_abjson_is_session(const char *data, size_t len)
{
	static const char start[] = "{\"format\":\"" MG_ABJSON_FORMAT "\"";

	return len >= sizeof(start) - 1 &&
	       memcmp(data, start, sizeof(start) - 1) == 0;
}

/* Where a reader is, for messages: the document and a path into it. */
struct rd {
	const char *data;
	size_t len;
	mg_err *err;
};

static int bad(struct rd *r, size_t fi, const char *field, const char *what)
{
	mg_jsonpos_step path[3] = {{"floors", 0}, {NULL, fi}, {field, 0}};
	size_t line;

	if (fi == (size_t)-1) {
		path[0].key = field;
		line = mg_jsonpos_line(r->data, r->len, path, 1);
		return mg_err_set(r->err, MG_EINPUT, "line %zu: field '%s': %s",
		                  line, field, what);
	}
	line = mg_jsonpos_line(r->data, r->len, path, 3);
	return mg_err_set(r->err, MG_EINPUT,
	                  "line %zu: field 'floors[%zu].%s': %s", line, fi,
	                  field, what);
}

/* A string member, copied into *out (or into d->strings with keep). */
static int get_str(struct rd *r, const cJSON *obj, const char *name, size_t fi,
                   size_t max, char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsString(v) || v->valuestring == NULL)
		return bad(r, fi, name, "expected a string");
	if (strlen(v->valuestring) > max)
		return bad(r, fi, name, "too long");
	*out = mg_strdup(v->valuestring);
	if (*out == NULL)
		return mg_err_set(r->err, MG_ENOMEM, "out of memory");
	return 0;
}

/* A whole number member in [lo, hi]. */
static int get_int(struct rd *r, const cJSON *obj, const char *name, size_t fi,
                   int64_t lo, int64_t hi, int64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	char what[96];

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble != floor(v->valuedouble) ||
	    v->valuedouble < (double)lo || v->valuedouble > (double)hi) {
		snprintf(what, sizeof(what),
		         "expected a whole number from %lld "
		         "to %lld",
		         (long long)lo, (long long)hi);
		return bad(r, fi, name, what);
	}
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int get_num(struct rd *r, const cJSON *obj, const char *name, size_t fi,
                   double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return bad(r, fi, name, "expected a finite number");
	*out = v->valuedouble;
	return 0;
}

/* Keep s in d->strings (owned) for a fi to point at. */
static int keep(mg_abjson *d, char *s)
{
	char **n = realloc(d->strings, (d->nstrings + 1) * sizeof(*n));

	if (n == NULL) {
		free(s);
		return MG_ENOMEM;
	}
	d->strings = n;
	d->strings[d->nstrings++] = s;
	return 0;
}

static int read_floor(struct rd *r, mg_abjson *d, const cJSON *f, size_t i)
{
	mg_ab_floor *fl = &d->floors[i];
	char *pkg = NULL, *name = NULL, *unit = NULL;
	int64_t procs = 0, n = 0;
	int error;

	if (!cJSON_IsObject(f))
		return bad(r, i, "name", "expected an object");
	if ((error = get_str(r, f, "package", i, MG_RUN_MAX_STR, &pkg)) < 0 ||
	    (error = keep(d, pkg)) < 0 ||
	    (error = get_str(r, f, "name", i, MG_RUN_MAX_STR, &name)) < 0 ||
	    (error = keep(d, name)) < 0 ||
	    (error = get_str(r, f, "unit", i, MG_UNIT_MAX, &unit)) < 0 ||
	    (error = keep(d, unit)) < 0)
		return error == MG_ENOMEM
		               ? mg_err_set(r->err, MG_ENOMEM, "out of memory")
		               : error;
	fl->package = pkg;
	fl->name = name;
	fl->unit = unit;
	if ((error = get_int(r, f, "procs", i, 0, 1 << 20, &procs)) < 0 ||
	    (error = get_int(r, f, "n", i, 0, MG_RUN_MAX_SAMPLES, &n)) < 0 ||
	    (error = get_num(r, f, "median", i, &fl->center)) < 0 ||
	    (error = get_num(r, f, "noise_floor", i, &fl->rel)) < 0)
		return error;
	fl->procs = (int)procs;
	fl->n = n;
	return 0;
}

int mg_abjson_read(mg_abjson *d, const char *data, size_t len, mg_err *err)
{
	struct rd r = {data, len, err};
	cJSON *root = NULL;
	const cJSON *v, *floors, *f;
	char *format = NULL;
	int64_t version = 0, count;
	size_t i = 0, n;
	int error;

	if (len > MG_ABJSON_MAX_INPUT)
		return mg_err_set(err, MG_ELIMIT,
		                  "session document larger than %d bytes",
		                  MG_ABJSON_MAX_INPUT);
	root = cJSON_ParseWithLengthOpts(data, len, NULL, 0);
	if (root == NULL)
		return mg_err_set(
		        err, MG_EINPUT, "line %zu: not valid JSON",
		        mg_jsonpos_line_at(
		                data, len,
		                (size_t)(cJSON_GetErrorPtr()
		                                 ? cJSON_GetErrorPtr() - data
		                                 : 0)));
	if (!cJSON_IsObject(root)) {
		error = mg_err_set(err, MG_EINPUT,
		                   "line 1: expected a JSON object");
		goto cleanup;
	}
	if ((error = get_str(&r, root, "format", (size_t)-1, 64, &format)) < 0)
		goto cleanup;
	if (strcmp(format, MG_ABJSON_FORMAT) != 0) {
		error = bad(&r, (size_t)-1, "format",
		            "expected \"" MG_ABJSON_FORMAT "\"");
		goto cleanup;
	}
	if ((error = get_int(&r, root, "version", (size_t)-1, MG_ABJSON_VERSION,
	                     MG_ABJSON_VERSION, &version)) < 0 ||
	    (error = get_str(&r, root, "project", (size_t)-1, MG_RUN_MAX_STR,
	                     &d->project)) < 0 ||
	    (error = get_str(&r, root, "idempotency_key", (size_t)-1,
	                     MG_ABJSON_MAX_KEY, &d->key)) < 0 ||
	    (error = get_str(&r, root, "base_run_key", (size_t)-1,
	                     MG_ABJSON_MAX_KEY, &d->base_key)) < 0 ||
	    (error = get_str(&r, root, "head_run_key", (size_t)-1,
	                     MG_ABJSON_MAX_KEY, &d->head_key)) < 0 ||
	    (error = get_int(&r, root, "rounds", (size_t)-1, 0,
	                     MG_AB_MAX_ROUNDS, &d->session.rounds)) < 0 ||
	    (error = get_int(&r, root, "confirm_rounds", (size_t)-1, 0,
	                     MG_AB_MAX_ROUNDS, &d->session.confirm_rounds)) < 0)
		goto cleanup;
	if (d->project[0] == '\0') {
		error = bad(&r, (size_t)-1, "project", "must not be empty");
		goto cleanup;
	}
	if (!key_ok(d->key) || !key_ok(d->base_key) || !key_ok(d->head_key)) {
		error = bad(&r, (size_t)-1,
		            !key_ok(d->key)        ? "idempotency_key"
		            : !key_ok(d->base_key) ? "base_run_key"
		                                   : "head_run_key",
		            "expected printable ASCII without spaces");
		goto cleanup;
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "aa");
	if (!cJSON_IsBool(v)) {
		error = bad(&r, (size_t)-1, "aa", "expected true or false");
		goto cleanup;
	}
	d->session.aa = cJSON_IsTrue(v);
	floors = cJSON_GetObjectItemCaseSensitive(root, "floors");
	if (!cJSON_IsArray(floors)) {
		error = bad(&r, (size_t)-1, "floors", "expected an array");
		goto cleanup;
	}
	count = cJSON_GetArraySize(floors);
	n = (size_t)count;
	if (n > MG_AB_MAX_FLOORS) {
		error = bad(&r, (size_t)-1, "floors", "too many");
		goto cleanup;
	}
	d->floors = calloc(n + 1, sizeof(*d->floors));
	if (d->floors == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	cJSON_ArrayForEach(f, floors)
	{
		error = read_floor(&r, d, f, i++);
		if (error < 0)
			goto cleanup;
	}
	d->session.floors = d->floors;
	d->session.nfloors = n;
	error = mg_ab_session_validate(&d->session, err);
cleanup:
	free(format);
	cJSON_Delete(root);
	return error;
}
