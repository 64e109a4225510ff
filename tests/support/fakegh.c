/*
 * fakegh.c - the fake GitHub / GitLab of the test suite (fakegh.h).
 *
 * One libmicrohttpd daemon, a thread per connection (so a slow answer does
 * not hold up others), and one mutex around all state. Each request is
 * recorded, matched against the contract's operations (GitHub: method +
 * path template of contract.json "operations"; GitLab: the "gitlab"
 * section), checked (headers, path parameters, query, body schema), then
 * a queued fault may replace the answer. Answers follow the contract's
 * response examples and error shapes.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "buf.h"
#include "fakegh.h"

#define CONTRACT_PATH MG_SOURCE_DIR "/../shared/contracts/github/contract.json"
#define MAX_REQUESTS 4096
#define MAX_OBJECTS 8192
#define MAX_FAULTS 64
#define MAX_TOKENS 256
#define MAX_BODY ((size_t)16 << 20)
#define MAX_PARAMS 8
#define MAX_REPLY_HEADERS 12

struct token {
	char value[64];
	int64_t installation;
	int64_t expires; /* unix s */
};

struct obj {
	enum fakegh_kind kind;
	char *repo;
	char *key;
	int64_t id;
	cJSON *data; /* the fields as last written */
	int updates;
	int64_t created; /* unix s */
	int64_t updated;
};

struct fault_slot {
	fakegh_fault f;
	char method[16];
	char prefix[256];
	int left;
};

struct fakegh {
	struct MHD_Daemon *d;
	char url[64];
	char gl_url[80];
	cJSON *contract;
	const cJSON *ops;    /* contract "operations" */
	const cJSON *gitlab; /* contract "gitlab" */
	/* GitLab rules read from the contract's prose once, at start. */
	char gl_states[128]; /* "pending|running|..." */
	int gl_field_max;    /* ref / target_url / description */
	int gl_note_max;     /* note body */
	char gl_sorts[64];   /* "asc|desc" */
	char gl_orders[64];  /* "created_at|updated_at" */
	pthread_mutex_t mu;
	char token[256];
	char gl_token[256];
	char app_id[64];
	EVP_PKEY *pub;
	int64_t ttl;
	struct token tokens[MAX_TOKENS];
	int ntokens;
	struct fault_slot faults[MAX_FAULTS];
	int nfaults;
	fakegh_req *reqs;
	size_t nreqs;
	struct obj *objs;
	size_t nobjs;
	int64_t next_id;
	int64_t used; /* requests counted against the rate limit */
};

/* The answer being built for one request. */
struct reply {
	int status;
	mg_buf body;
	char *hname[MAX_REPLY_HEADERS];
	char *hvalue[MAX_REPLY_HEADERS];
	int nheaders;
};

/* One request on its way through the checks. */
struct rq {
	fakegh *f;
	struct MHD_Connection *con;
	fakegh_req *rec;
	const char *method;
	const char *path;
	bool apply; /* change state (false when a fault replaces the answer) */
	char pname[MAX_PARAMS][32];
	char pval[MAX_PARAMS][512];
	int nparams;
	cJSON *json; /* the parsed body */
	struct reply *r;
};

struct conn {
	mg_buf body;
	bool too_big;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fakegh: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

static char *xstrdup(const char *s)
{
	char *d = mg_strdup(s ? s : "");

	if (d == NULL)
		die("out of memory");
	return d;
}

static int64_t now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void iso(char out[32], int64_t s)
{
	time_t t = (time_t)s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- replies ------------------------------------------------------------- */

static void reply_header(struct reply *r, const char *name, const char *fmt,
                         ...) __attribute__((format(printf, 3, 4)));

static void reply_header(struct reply *r, const char *name, const char *fmt,
                         ...)
{
	char v[1024];
	va_list ap;

	if (r->nheaders == MAX_REPLY_HEADERS)
		die("too many reply headers");
	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	r->hname[r->nheaders] = xstrdup(name);
	r->hvalue[r->nheaders] = xstrdup(v);
	r->nheaders++;
}

static void reply_clear(struct reply *r)
{
	int i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->hname[i]);
		free(r->hvalue[i]);
	}
	r->nheaders = 0;
	mg_buf_release(&r->body);
	r->status = 0;
}

/* Answer status with a JSON document (taken over and freed). */
static void reply_json(struct reply *r, int status, cJSON *doc)
{
	char *s = cJSON_PrintUnformatted(doc);

	if (s == NULL)
		die("out of memory");
	mg_buf_reset(&r->body);
	if (mg_buf_puts(&r->body, s) < 0)
		die("out of memory");
	free(s);
	cJSON_Delete(doc);
	r->status = status;
}

static void reply_message(struct reply *r, int status, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddStringToObject(o, "documentation_url",
	                        "https://docs.github.com/rest");
	reply_json(r, status, o);
}

/* Record a contract violation (the first one of a request is kept). */
static void violate(struct rq *q, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static void violate(struct rq *q, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (q->rec->violation == NULL) {
		size_t n =
		        strlen(q->method) + strlen(q->path) + strlen(msg) + 8;

		q->rec->violation = malloc(n);
		if (q->rec->violation == NULL)
			die("out of memory");
		snprintf(q->rec->violation, n, "%s %s: %s", q->method, q->path,
		         msg);
	}
}

/* A 422 "Validation Failed" in the contract's validation-error shape. */
static void reply_invalid(struct rq *q, const char *resource, const char *field,
                          const char *code, const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *errs, *e;

	violate(q, "%s", msg);
	cJSON_AddStringToObject(o, "message", "Validation Failed");
	errs = cJSON_AddArrayToObject(o, "errors");
	e = cJSON_CreateObject();
	cJSON_AddStringToObject(e, "resource", resource);
	cJSON_AddStringToObject(e, "code", code);
	cJSON_AddStringToObject(e, "field", field);
	cJSON_AddStringToObject(e, "message", msg);
	cJSON_AddItemToArray(errs, e);
	cJSON_AddStringToObject(o, "documentation_url",
	                        "https://docs.github.com/rest");
	reply_json(q->r, 422, o);
}

/* ---- the JSON Schema subset of the contract ------------------------------ */

static size_t code_points(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static bool type_is(const cJSON *v, const char *t)
{
	if (strcmp(t, "string") == 0)
		return cJSON_IsString(v);
	if (strcmp(t, "integer") == 0)
		return cJSON_IsNumber(v) &&
		       v->valuedouble == floor(v->valuedouble);
	if (strcmp(t, "number") == 0)
		return cJSON_IsNumber(v);
	if (strcmp(t, "boolean") == 0)
		return cJSON_IsBool(v);
	if (strcmp(t, "object") == 0)
		return cJSON_IsObject(v);
	if (strcmp(t, "array") == 0)
		return cJSON_IsArray(v);
	if (strcmp(t, "null") == 0)
		return cJSON_IsNull(v);
	die("contract uses unknown type '%s'", t);
	return false;
}

static bool same_value(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring) == 0;
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return a->valuedouble == b->valuedouble;
	return cJSON_IsNull(a) && cJSON_IsNull(b);
}

/*
 * Validate v against schema; on failure write "<where>: <why>" into err
 * and the field's name into field. Keywords outside this subset
 * (description, default, format, x-*) do not constrain.
 */
static bool validate(const cJSON *schema, const cJSON *v, const char *where,
                     char *err, size_t n, char *field, size_t fn)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type");
	const cJSON *k, *e, *p;
	char sub[256];
	int count;
	bool ok;

	snprintf(field, fn, "%s", where);
	if (cJSON_IsString(t) && !type_is(v, t->valuestring)) {
		snprintf(err, n, "%s: expected %s", where, t->valuestring);
		return false;
	}
	if (cJSON_IsArray(t)) {
		ok = false;
		cJSON_ArrayForEach(e, t) ok = ok || type_is(v, e->valuestring);
		if (!ok) {
			snprintf(err, n, "%s: wrong type", where);
			return false;
		}
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "enum");
	if (k) {
		ok = false;
		cJSON_ArrayForEach(e, k) ok = ok || same_value(e, v);
		if (!ok) {
			snprintf(err, n, "%s: value not in the enum", where);
			return false;
		}
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "maxLength");
	if (k && cJSON_IsString(v) &&
	    code_points(v->valuestring) > (size_t)k->valuedouble) {
		snprintf(err, n, "%s is too long (maximum is %d characters)",
		         where, (int)k->valuedouble);
		return false;
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "required");
	if (k && cJSON_IsObject(v))
		cJSON_ArrayForEach(e, k)
		{
			if (!cJSON_HasObjectItem(v, e->valuestring)) {
				snprintf(field, fn, "%s", e->valuestring);
				snprintf(err, n, "%s.%s: missing", where,
				         e->valuestring);
				return false;
			}
		}
	k = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	if (k && cJSON_IsObject(v))
		cJSON_ArrayForEach(p, k)
		{
			e = cJSON_GetObjectItemCaseSensitive(v, p->string);
			snprintf(sub, sizeof(sub), "%s.%s", where, p->string);
			if (e && !validate(p, e, sub, err, n, field, fn))
				return false;
		}
	k = cJSON_GetObjectItemCaseSensitive(schema, "maxItems");
	if (k && cJSON_IsArray(v) &&
	    cJSON_GetArraySize(v) > (int)k->valuedouble) {
		snprintf(err, n, "%s: more than %d items", where,
		         (int)k->valuedouble);
		return false;
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "items");
	if (k && cJSON_IsArray(v)) {
		count = 0;
		cJSON_ArrayForEach(e, v)
		{
			snprintf(sub, sizeof(sub), "%s[%d]", where, count++);
			if (!validate(k, e, sub, err, n, field, fn))
				return false;
		}
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "oneOf");
	if (k) {
		count = 0;
		cJSON_ArrayForEach(e, k) count +=
		        validate(e, v, where, sub, sizeof(sub), field, fn);
		if (count != 1) {
			snprintf(err, n, "%s: matches %d of the oneOf branches",
			         where, count);
			return false;
		}
	}
	k = cJSON_GetObjectItemCaseSensitive(schema, "anyOf");
	if (k) {
		count = 0;
		cJSON_ArrayForEach(e, k) count +=
		        validate(e, v, where, sub, sizeof(sub), field, fn);
		if (count == 0) {
			snprintf(err, n,
			         "%s: matches none of the anyOf branches",
			         where);
			return false;
		}
	}
	snprintf(field, fn, "%s", where);
	return true;
}

/* ---- state --------------------------------------------------------------- */

static struct obj *obj_add(fakegh *f, enum fakegh_kind kind, const char *repo,
                           const char *key, cJSON *data)
{
	struct obj *o;

	if (f->nobjs == MAX_OBJECTS)
		die("more than %d objects", MAX_OBJECTS);
	o = &f->objs[f->nobjs++];
	o->kind = kind;
	o->repo = xstrdup(repo);
	o->key = xstrdup(key);
	o->id = f->next_id++;
	o->data = data;
	o->created = o->updated = time(NULL);
	return o;
}

static struct obj *obj_by_id(fakegh *f, enum fakegh_kind kind, const char *repo,
                             int64_t id)
{
	size_t i;

	for (i = 0; i < f->nobjs; i++)
		if (f->objs[i].kind == kind && f->objs[i].id == id &&
		    strcasecmp(f->objs[i].repo, repo) == 0)
			return &f->objs[i];
	return NULL;
}

static struct obj *obj_nth(fakegh *f, enum fakegh_kind kind, const char *repo,
                           const char *key, size_t idx)
{
	size_t i, n = 0;

	for (i = 0; i < f->nobjs; i++)
		if (f->objs[i].kind == kind &&
		    strcasecmp(f->objs[i].repo, repo) == 0 &&
		    strcmp(f->objs[i].key, key) == 0 && n++ == idx)
			return &f->objs[i];
	return NULL;
}

static size_t obj_count(fakegh *f, enum fakegh_kind kind, const char *repo,
                        const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < f->nobjs; i++)
		if (f->objs[i].kind == kind &&
		    strcasecmp(f->objs[i].repo, repo) == 0 &&
		    strcmp(f->objs[i].key, key) == 0)
			n++;
	return n;
}

/* Copy the string members of src over dst's (update = merge). */
static void merge(cJSON *dst, const cJSON *src)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, src)
	{
		cJSON_DeleteItemFromObjectCaseSensitive(dst, e->string);
		cJSON_AddItemToObject(dst, e->string, cJSON_Duplicate(e, 1));
	}
}

/* ---- paths --------------------------------------------------------------- */

/*
 * Match path against template ("/repos/{owner}/{repo}/statuses/{sha}" or
 * GitLab's "/projects/:id/statuses/:sha"); params get the raw segments.
 * A parameter in `multi` may span the rest of the path (x-multi-segment).
 */
static bool match(struct rq *q, const char *tmpl, const char *path,
                  const char *multi)
{
	const char *t = tmpl, *p = path, *te, *pe;
	size_t tl, pl;

	q->nparams = 0;
	/* GitHub: a trailing slash on the path is a 404. */
	if (*p && p[strlen(p) - 1] == '/')
		return false;
	while (*t && *p) {
		if (*t != '/' || *p != '/')
			return false;
		t++;
		p++;
		te = t + strcspn(t, "/");
		pe = p + strcspn(p, "/");
		tl = (size_t)(te - t);
		pl = (size_t)(pe - p);
		if (pl == 0)
			return false; /* "//" or a trailing slash: 404 */
		if ((*t == '{' && t[tl - 1] == '}') || *t == ':') {
			if (q->nparams == MAX_PARAMS)
				return false;
			snprintf(q->pname[q->nparams], 32, "%.*s",
			         (int)(*t == ':' ? tl - 1 : tl - 2), t + 1);
			if (multi && strcmp(q->pname[q->nparams], multi) == 0 &&
			    *te == '\0')
				pe = p + strlen(p);
			snprintf(q->pval[q->nparams], 512, "%.*s",
			         (int)(pe - p), p);
			q->nparams++;
		} else if (tl != pl || strncmp(t, p, tl) != 0) {
			return false;
		}
		t = te;
		p = pe;
	}
	return *t == '\0' && *p == '\0';
}

static const char *param(const struct rq *q, const char *name)
{
	int i;

	for (i = 0; i < q->nparams; i++)
		if (strcmp(q->pname[i], name) == 0)
			return q->pval[i];
	return NULL;
}

static bool all_digits(const char *s)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return i > 0 && i < 19;
}

/* Decode %XX escapes (GitLab project paths arrive as group%2Fproject). */
static void unescape(char *s)
{
	char *w = s;
	int hi, lo;

	for (; *s; s++) {
		if (*s == '%' && isxdigit((unsigned char)s[1]) &&
		    isxdigit((unsigned char)s[2])) {
			hi = isdigit((unsigned char)s[1])
			             ? s[1] - '0'
			             : tolower((unsigned char)s[1]) - 'a' + 10;
			lo = isdigit((unsigned char)s[2])
			             ? s[2] - '0'
			             : tolower((unsigned char)s[2]) - 'a' + 10;
			*w++ = (char)(hi * 16 + lo);
			s += 2;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

/* The value of query parameter name of the recorded request, or NULL. */
static bool query_get(const char *query, const char *name, char *out, size_t n)
{
	size_t len = strlen(name);
	const char *p = query;

	while (p && *p) {
		if (strncmp(p, name, len) == 0 && p[len] == '=') {
			snprintf(out, n, "%.*s", (int)strcspn(p + len + 1, "&"),
			         p + len + 1);
			return true;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
	return false;
}

/* ---- checks shared by the GitHub operations ------------------------------ */

static const char *hdr(struct rq *q, const char *name)
{
	return MHD_lookup_connection_value(q->con, MHD_HEADER_KIND, name);
}

static bool token_valid(fakegh *f, const char *tok, bool *installation)
{
	int64_t now = time(NULL);
	int i;

	*installation = false;
	if (f->pub == NULL)
		return strcmp(tok, f->token) == 0;
	for (i = 0; i < f->ntokens; i++)
		if (strcmp(tok, f->tokens[i].value) == 0) {
			*installation = true;
			return now < f->tokens[i].expires;
		}
	return false;
}

/*
 * The contract's required headers of op: a value with "<...>" is a
 * pattern (the text before "<" is a fixed prefix, something must
 * follow); any other value must match exactly (Content-Type may carry
 * parameters). 0 when fine; otherwise the reply is set.
 */
static int check_headers(struct rq *q, const cJSON *op)
{
	const cJSON *req =
	        cJSON_GetObjectItemCaseSensitive(op, "required_headers");
	const cJSON *h;
	const char *v, *lt;
	size_t pre;
	char msg[300];

	cJSON_ArrayForEach(h, req)
	{
		v = hdr(q, h->string);
		lt = strchr(h->valuestring, '<');
		if (v == NULL) {
			snprintf(msg, sizeof(msg), "missing header '%s'",
			         h->string);
			goto bad;
		}
		if (lt) {
			pre = (size_t)(lt - h->valuestring);
			if (strncmp(v, h->valuestring, pre) != 0 ||
			    v[pre] == '\0') {
				snprintf(msg, sizeof(msg),
				         "header '%s': expected '%s', got "
				         "'%.80s'",
				         h->string, h->valuestring, v);
				goto bad;
			}
			continue;
		}
		pre = strlen(h->valuestring);
		if (strcasecmp(h->string, "Content-Type") == 0
		            ? strncmp(v, h->valuestring, pre) != 0 ||
		                      (v[pre] != '\0' && v[pre] != ';')
		            : strcmp(v, h->valuestring) != 0) {
			snprintf(msg, sizeof(msg),
			         "header '%s': expected '%s', got '%.80s'",
			         h->string, h->valuestring, v);
			goto bad;
		}
	}
	return 0;
bad:
	violate(q, "%s", msg);
	/* GitHub refuses a missing User-Agent with 403. */
	reply_message(q->r,
	              strcasecmp(h->string, "User-Agent") == 0 ? 403 : 400,
	              msg);
	return -1;
}

static int check_auth(struct rq *q, bool *installation)
{
	const char *a = hdr(q, "Authorization");

	if (a == NULL || strncmp(a, "Bearer ", 7) != 0 ||
	    !token_valid(q->f, a + 7, installation)) {
		reply_message(q->r, 401, "Bad credentials");
		return -1;
	}
	return 0;
}

/* Path parameters of type integer must be digits. */
static int check_path_params(struct rq *q, const cJSON *op)
{
	const cJSON *p, *name, *type;
	const char *v;

	cJSON_ArrayForEach(p,
	                   cJSON_GetObjectItemCaseSensitive(op, "path_params"))
	{
		name = cJSON_GetObjectItemCaseSensitive(p, "name");
		type = cJSON_GetObjectItemCaseSensitive(p, "type");
		v = param(q, name->valuestring);
		if (v == NULL || *v == '\0' ||
		    (strcmp(type->valuestring, "integer") == 0 &&
		     !all_digits(v))) {
			violate(q, "path parameter '%s': bad value '%.40s'",
			        name->valuestring, v ? v : "");
			reply_message(q->r, 404, "Not Found");
			return -1;
		}
	}
	return 0;
}

/* Query parameters must be declared; integers within their maximum. */
static int check_query(struct rq *q, const cJSON *op)
{
	const cJSON *decl =
	        cJSON_GetObjectItemCaseSensitive(op, "query_params");
	const cJSON *d, *found, *type, *max;
	const char *p = q->rec->query;
	char name[64], value[64];
	size_t nl;

	while (*p) {
		nl = strcspn(p, "=&");
		snprintf(name, sizeof(name), "%.*s", (int)nl, p);
		found = NULL;
		cJSON_ArrayForEach(d, decl)
		{
			if (strcmp(cJSON_GetObjectItemCaseSensitive(d, "name")
			                   ->valuestring,
			           name) == 0)
				found = d;
		}
		if (found == NULL) {
			violate(q,
			        "query parameter '%s' is not in the "
			        "contract",
			        name);
			reply_message(q->r, 400, "unknown query parameter");
			return -1;
		}
		query_get(q->rec->query, name, value, sizeof(value));
		type = cJSON_GetObjectItemCaseSensitive(found, "type");
		max = cJSON_GetObjectItemCaseSensitive(found, "maximum");
		if (type && strcmp(type->valuestring, "integer") == 0 &&
		    (!all_digits(value) ||
		     (max && strtoll(value, NULL, 10) > max->valuedouble))) {
			violate(q,
			        "query parameter '%s': '%s' not an integer "
			        "within the maximum",
			        name, value);
			reply_message(q->r, 422, "Validation Failed");
			return -1;
		}
		p += strcspn(p, "&");
		if (*p == '&')
			p++;
	}
	return 0;
}

/* The body against the operation's request_body_schema. */
static int check_body(struct rq *q, const cJSON *op, const char *resource)
{
	const cJSON *schema =
	        cJSON_GetObjectItemCaseSensitive(op, "request_body_schema");
	char err[512], field[128];

	if (schema == NULL || cJSON_IsNull(schema)) {
		if (q->rec->body_len) {
			violate(q, "a body where the contract has none");
			reply_message(q->r, 400, "unexpected body");
			return -1;
		}
		return 0;
	}
	q->json = cJSON_ParseWithLength(q->rec->body, q->rec->body_len);
	if (q->json == NULL) {
		violate(q, "body is not JSON");
		reply_message(q->r, 400, "Problems parsing JSON");
		return -1;
	}
	if (!cJSON_IsObject(q->json)) {
		violate(q, "body is not a JSON object");
		reply_message(q->r, 400, "Body should be a JSON object");
		return -1;
	}
	if (!validate(schema, q->json, "body", err, sizeof(err), field,
	              sizeof(field))) {
		reply_invalid(q, resource, field, "invalid", err);
		return -1;
	}
	return 0;
}

static void ratelimit_headers(fakegh *f, struct reply *r)
{
	reply_header(r, "x-ratelimit-limit", "5000");
	reply_header(r, "x-ratelimit-remaining", "%lld",
	             (long long)(5000 - f->used));
	reply_header(r, "x-ratelimit-used", "%lld", (long long)f->used);
	reply_header(r, "x-ratelimit-reset", "%lld",
	             (long long)time(NULL) + 3600);
	reply_header(r, "x-ratelimit-resource", "core");
}

/* ---- GitHub operations --------------------------------------------------- */

static cJSON *comment_json(fakegh *f, const char *owner_repo,
                           const struct obj *o)
{
	cJSON *c = cJSON_CreateObject(), *user;
	const cJSON *login = cJSON_GetObjectItemCaseSensitive(o->data, "user");
	char buf[512], t[32];

	cJSON_AddNumberToObject(c, "id", (double)o->id);
	cJSON_AddStringToObject(c, "node_id", "IC_fake");
	snprintf(buf, sizeof(buf), "%s/repos/%s/issues/comments/%lld", f->url,
	         owner_repo, (long long)o->id);
	cJSON_AddStringToObject(c, "url", buf);
	snprintf(buf, sizeof(buf), "https://github.invalid/%s/pull/%s",
	         owner_repo, o->key);
	cJSON_AddStringToObject(c, "html_url", buf);
	cJSON_AddStringToObject(
	        c, "body",
	        cJSON_GetObjectItemCaseSensitive(o->data, "body")->valuestring);
	user = cJSON_AddObjectToObject(c, "user");
	cJSON_AddStringToObject(user, "login",
	                        login ? login->valuestring : "memgate[bot]");
	cJSON_AddNumberToObject(user, "id", 1);
	cJSON_AddStringToObject(user, "type", login ? "User" : "Bot");
	iso(t, o->created);
	cJSON_AddStringToObject(c, "created_at", t);
	iso(t, o->updated);
	cJSON_AddStringToObject(c, "updated_at", t);
	snprintf(buf, sizeof(buf), "%s/repos/%s/issues/%s", f->url, owner_repo,
	         o->key);
	cJSON_AddStringToObject(c, "issue_url", buf);
	cJSON_AddStringToObject(c, "author_association", "NONE");
	return c;
}

static void op_create_status(struct rq *q, const char *repo)
{
	fakegh *f = q->f;
	struct obj *o;
	cJSON *s;
	char t[32], loc[512];

	if (!q->apply)
		return;
	o = obj_add(f, FAKEGH_STATUS, repo, param(q, "sha"),
	            cJSON_Duplicate(q->json, 1));
	s = cJSON_Duplicate(q->json, 1);
	cJSON_AddNumberToObject(s, "id", (double)o->id);
	cJSON_AddStringToObject(s, "node_id", "SC_fake");
	iso(t, o->created);
	cJSON_AddStringToObject(s, "created_at", t);
	cJSON_AddStringToObject(s, "updated_at", t);
	snprintf(loc, sizeof(loc), "%s/repos/%s/statuses/%s", f->url, repo,
	         param(q, "sha"));
	cJSON_AddStringToObject(s, "url", loc);
	reply_header(q->r, "Location", "%s", loc);
	reply_json(q->r, 201, s);
}

static void page_link(fakegh *f, struct reply *r, const char *path,
                      const char *extra, int per, int page, int last)
{
	char link[2048];
	size_t n = 0;

	if (last <= 1)
		return;
	link[0] = '\0';
	if (page < last)
		n += (size_t)snprintf(link + n, sizeof(link) - n,
		                      "<%s%s?%sper_page=%d&page=%d>; "
		                      "rel=\"next\", ",
		                      f->url, path, extra, per, page + 1);
	n += (size_t)snprintf(link + n, sizeof(link) - n,
	                      "<%s%s?%sper_page=%d&page=%d>; rel=\"last\"",
	                      f->url, path, extra, per, last);
	if (page > 1)
		snprintf(link + n, sizeof(link) - n,
		         ", <%s%s?%sper_page=%d&page=%d>; rel=\"prev\", "
		         "<%s%s?%sper_page=%d&page=1>; rel=\"first\"",
		         f->url, path, extra, per, page - 1, f->url, path,
		         extra, per);
	reply_header(r, "Link", "%s", link);
}

/* per_page / page of the request (defaults 30 and 1). */
static void paging(const struct rq *q, int *per, int *page)
{
	char v[32];

	*per = query_get(q->rec->query, "per_page", v, sizeof(v))
	               ? (int)strtol(v, NULL, 10)
	               : 30;
	*page = query_get(q->rec->query, "page", v, sizeof(v))
	                ? (int)strtol(v, NULL, 10)
	                : 1;
	if (*per < 1)
		*per = 30;
	if (*page < 1)
		*page = 1;
}

static void op_list_comments(struct rq *q, const char *repo)
{
	fakegh *f = q->f;
	const char *num = param(q, "issue_number");
	size_t total = obj_count(f, FAKEGH_COMMENT, repo, num), i;
	int per, page, last;
	cJSON *arr = cJSON_CreateArray();

	paging(q, &per, &page);
	last = (int)((total + (size_t)per - 1) / (size_t)per);
	for (i = (size_t)(page - 1) * (size_t)per;
	     i < total && i < (size_t)page * (size_t)per; i++)
		cJSON_AddItemToArray(
		        arr,
		        comment_json(f, repo,
		                     obj_nth(f, FAKEGH_COMMENT, repo, num, i)));
	page_link(f, q->r, q->path, "", per, page, last);
	reply_json(q->r, 200, arr);
}

static void op_create_comment(struct rq *q, const char *repo)
{
	struct obj *o;

	if (!q->apply)
		return;
	o = obj_add(q->f, FAKEGH_COMMENT, repo, param(q, "issue_number"),
	            cJSON_Duplicate(q->json, 1));
	reply_header(q->r, "Location", "%s/repos/%s/issues/comments/%lld",
	             q->f->url, repo, (long long)o->id);
	reply_json(q->r, 201, comment_json(q->f, repo, o));
}

static void op_update_comment(struct rq *q, const char *repo)
{
	struct obj *o = obj_by_id(q->f, FAKEGH_COMMENT, repo,
	                          strtoll(param(q, "comment_id"), NULL, 10));

	if (o == NULL) {
		reply_message(q->r, 404, "Not Found");
		return;
	}
	if (!q->apply)
		return;
	merge(o->data, q->json);
	o->updates++;
	o->updated = time(NULL);
	reply_json(q->r, 200, comment_json(q->f, repo, o));
}

static cJSON *check_json(const struct obj *o)
{
	cJSON *c = cJSON_Duplicate(o->data, 1);

	cJSON_AddNumberToObject(c, "id", (double)o->id);
	return c;
}

static void op_check(struct rq *q, const char *repo, bool create,
                     bool installation)
{
	const cJSON *status;
	struct obj *o;

	if (!installation) {
		violate(q, "check runs need a GitHub App installation token");
		reply_message(q->r, 403,
		              "Resource not accessible by personal "
		              "access token");
		return;
	}
	/* Contract x-spec-note: GitHub's discriminator needs `status`. */
	status = cJSON_GetObjectItemCaseSensitive(q->json, "status");
	if (create && status == NULL) {
		reply_invalid(q, "CheckRun", "status", "missing_field",
		              "body.status: missing (discriminator)");
		return;
	}
	if (create) {
		if (!q->apply)
			return;
		o = obj_add(
		        q->f, FAKEGH_CHECK, repo,
		        cJSON_GetObjectItemCaseSensitive(q->json, "head_sha")
		                ->valuestring,
		        cJSON_Duplicate(q->json, 1));
		reply_json(q->r, 201, check_json(o));
		return;
	}
	o = obj_by_id(q->f, FAKEGH_CHECK, repo,
	              strtoll(param(q, "check_run_id"), NULL, 10));
	if (o == NULL) {
		reply_message(q->r, 404, "Not Found");
		return;
	}
	if (!q->apply)
		return;
	merge(o->data, q->json);
	o->updates++;
	reply_json(q->r, 200, check_json(o));
}

/* POST /app/installations/{id}/access_tokens */

static int b64url_decode(mg_buf *out, const char *s, size_t len)
{
	mg_buf tmp = MG_BUF_INIT(MG_BUF_NOLIMIT);
	unsigned char *dec;
	size_t i, pad;
	int n;

	for (i = 0; i < len; i++) {
		char c = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];

		if (!isalnum((unsigned char)c) && c != '+' && c != '/')
			goto bad;
		mg_buf_putc(&tmp, c);
	}
	pad = (4 - tmp.len % 4) % 4;
	if (pad == 3)
		goto bad;
	for (i = 0; i < pad; i++)
		mg_buf_putc(&tmp, '=');
	dec = malloc(tmp.len);
	if (dec == NULL)
		die("out of memory");
	n = EVP_DecodeBlock(dec, (unsigned char *)tmp.ptr, (int)tmp.len);
	if (n < 0) {
		free(dec);
		goto bad;
	}
	mg_buf_put(out, dec, (size_t)n - pad);
	free(dec);
	mg_buf_release(&tmp);
	return 0;
bad:
	mg_buf_release(&tmp);
	return -1;
}

/* NULL when jwt is a valid App JWT for f, else why not. */
static const char *jwt_problem(fakegh *f, const char *jwt)
{
	const char *d1 = strchr(jwt, '.'),
	           *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	mg_buf head = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf claims = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf sig = MG_BUF_INIT(MG_BUF_NOLIMIT);
	cJSON *h = NULL, *c = NULL;
	const cJSON *alg, *iat, *exp, *iss;
	EVP_MD_CTX *md = NULL;
	const char *why = NULL;
	char issbuf[64];
	int64_t now = time(NULL);

	if (d1 == NULL || d2 == NULL || strchr(d2 + 1, '.') ||
	    b64url_decode(&head, jwt, (size_t)(d1 - jwt)) < 0 ||
	    b64url_decode(&claims, d1 + 1, (size_t)(d2 - d1 - 1)) < 0 ||
	    b64url_decode(&sig, d2 + 1, strlen(d2 + 1)) < 0) {
		why = "not three base64url parts";
		goto done;
	}
	h = cJSON_Parse(head.ptr);
	c = cJSON_Parse(claims.ptr);
	alg = cJSON_GetObjectItemCaseSensitive(h, "alg");
	iat = cJSON_GetObjectItemCaseSensitive(c, "iat");
	exp = cJSON_GetObjectItemCaseSensitive(c, "exp");
	iss = cJSON_GetObjectItemCaseSensitive(c, "iss");
	if (!cJSON_IsString(alg) || strcmp(alg->valuestring, "RS256") != 0) {
		why = "alg is not RS256";
		goto done;
	}
	if (cJSON_IsNumber(iss))
		snprintf(issbuf, sizeof(issbuf), "%.0f", iss->valuedouble);
	else if (cJSON_IsString(iss))
		snprintf(issbuf, sizeof(issbuf), "%s", iss->valuestring);
	else
		issbuf[0] = '\0';
	if (strcmp(issbuf, f->app_id) != 0) {
		why = "iss is not the App id";
		goto done;
	}
	if (!cJSON_IsNumber(iat) || !cJSON_IsNumber(exp) ||
	    iat->valuedouble > (double)now + 1 ||
	    exp->valuedouble <= (double)now ||
	    exp->valuedouble > (double)now + 600) {
		why = "iat/exp: issued in the future, expired, or exp more "
		      "than 10 minutes ahead";
		goto done;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, f->pub) != 1 ||
	    EVP_DigestVerify(md, (unsigned char *)sig.ptr, sig.len,
	                     (const unsigned char *)jwt,
	                     (size_t)(d2 - jwt)) != 1)
		why = "RS256 signature does not verify with the App's key";
done:
	EVP_MD_CTX_free(md);
	cJSON_Delete(h);
	cJSON_Delete(c);
	mg_buf_release(&head);
	mg_buf_release(&claims);
	mg_buf_release(&sig);
	return why;
}

static void op_access_token(struct rq *q)
{
	fakegh *f = q->f;
	const char *auth = hdr(q, "Authorization");
	const char *why;
	struct token *t;
	cJSON *o;
	char when[32];

	if (hdr(q, "Accept") == NULL ||
	    strcmp(hdr(q, "Accept"), "application/vnd.github+json") != 0 ||
	    hdr(q, "X-GitHub-Api-Version") == NULL ||
	    hdr(q, "User-Agent") == NULL) {
		violate(q, "token request without the common headers");
		reply_message(q->r, 400, "missing headers");
		return;
	}
	if (f->pub == NULL) {
		violate(q, "token request but no App is configured");
		reply_message(q->r, 404, "Not Found");
		return;
	}
	if (auth == NULL || strncmp(auth, "Bearer ", 7) != 0) {
		reply_message(q->r, 401,
		              "A JSON web token could not be "
		              "decoded");
		return;
	}
	why = jwt_problem(f, auth + 7);
	if (why) {
		reply_message(q->r, 401, why);
		return;
	}
	if (!q->apply)
		return;
	if (f->ntokens == MAX_TOKENS)
		die("more than %d tokens", MAX_TOKENS);
	t = &f->tokens[f->ntokens++];
	t->installation = strtoll(param(q, "installation_id"), NULL, 10);
	t->expires = time(NULL) + f->ttl;
	snprintf(t->value, sizeof(t->value), "ghs_fake%d_%lld", f->ntokens,
	         (long long)t->installation);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "token", t->value);
	iso(when, t->expires);
	cJSON_AddStringToObject(o, "expires_at", when);
	cJSON_AddStringToObject(o, "repository_selection", "all");
	reply_json(q->r, 201, o);
}

static void github(struct rq *q)
{
	fakegh *f = q->f;
	const cJSON *op = NULL, *o, *path, *method, *p;
	const char *multi = NULL, *opid;
	char repo[300];
	bool inst = false;

	if (match(q, "/app/installations/{installation_id}/access_tokens",
	          q->path, NULL) &&
	    strcmp(q->method, "POST") == 0 &&
	    all_digits(param(q, "installation_"
	                        "id"))) {
		q->rec->op = xstrdup("apps/create-installation-access-token");
		op_access_token(q);
		return;
	}
	cJSON_ArrayForEach(o, f->ops)
	{
		path = cJSON_GetObjectItemCaseSensitive(o, "path");
		method = cJSON_GetObjectItemCaseSensitive(o, "method");
		multi = NULL;
		cJSON_ArrayForEach(
		        p, cJSON_GetObjectItemCaseSensitive(o, "path_params"))
		{
			if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			            p, "x-multi-segment")))
				multi = cJSON_GetObjectItemCaseSensitive(p,
				                                         "name")
				                ->valuestring;
		}
		if (strcmp(method->valuestring, q->method) == 0 &&
		    match(q, path->valuestring, q->path, multi)) {
			op = o;
			break;
		}
	}
	if (op == NULL) {
		violate(q, "no contract operation has this method and path");
		reply_message(q->r, 404, "Not Found");
		return;
	}
	opid = op->string;
	q->rec->op = xstrdup(opid);
	f->used++;
	ratelimit_headers(f, q->r);
	if (check_headers(q, op) < 0 || check_auth(q, &inst) < 0 ||
	    check_path_params(q, op) < 0 || check_query(q, op) < 0)
		return;
	snprintf(repo, sizeof(repo), "%s/%s", param(q, "owner"),
	         param(q, "repo"));
	if (strcmp(opid, "repos/create-commit-status") == 0) {
		if (check_body(q, op, "Status") == 0)
			op_create_status(q, repo);
	} else if (strcmp(opid, "issues/list-comments") == 0) {
		if (check_body(q, op, "IssueComment") == 0)
			op_list_comments(q, repo);
	} else if (strcmp(opid, "issues/create-comment") == 0) {
		if (check_body(q, op, "IssueComment") == 0)
			op_create_comment(q, repo);
	} else if (strcmp(opid, "issues/update-comment") == 0) {
		if (check_body(q, op, "IssueComment") == 0)
			op_update_comment(q, repo);
	} else if (strcmp(opid, "checks/create") == 0 ||
	           strcmp(opid, "checks/update") == 0) {
		if (check_body(q, op, "CheckRun") == 0)
			op_check(q, repo, strcmp(opid, "checks/create") == 0,
			         inst);
	} else {
		reply_message(q->r, 501, "the fake does not serve this");
	}
}

/* ---- GitLab -------------------------------------------------------------- */

static void gl_error(struct rq *q, int status, const char *field,
                     const char *msg)
{
	cJSON *o = cJSON_CreateObject(), *m, *a;

	violate(q, "%s: %s", field, msg);
	if (status == 400 && strstr(msg, "too long")) {
		m = cJSON_AddObjectToObject(o, "message");
		a = cJSON_AddArrayToObject(m, field);
		cJSON_AddItemToArray(a, cJSON_CreateString(msg));
	} else {
		cJSON_AddStringToObject(o, "error", msg);
	}
	reply_json(q->r, status, o);
}

static bool in_list(const char *list, const char *v)
{
	size_t n = strlen(v);
	const char *p = list;

	while ((p = strstr(p, v)) != NULL) {
		if ((p == list || p[-1] == '|') && (p[n] == '|' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

static cJSON *note_json(const struct obj *o)
{
	cJSON *n = cJSON_CreateObject(), *a;
	const cJSON *sys = cJSON_GetObjectItemCaseSensitive(o->data, "system");
	char t[32];

	cJSON_AddNumberToObject(n, "id", (double)o->id);
	cJSON_AddStringToObject(
	        n, "body",
	        cJSON_GetObjectItemCaseSensitive(o->data, "body")->valuestring);
	a = cJSON_AddObjectToObject(n, "author");
	cJSON_AddNumberToObject(a, "id", 1);
	cJSON_AddStringToObject(a, "username", "memgate");
	iso(t, o->created);
	cJSON_AddStringToObject(n, "created_at", t);
	iso(t, o->updated);
	cJSON_AddStringToObject(n, "updated_at", t);
	cJSON_AddBoolToObject(n, "system", cJSON_IsTrue(sys));
	cJSON_AddNumberToObject(n, "noteable_id", 2);
	cJSON_AddStringToObject(n, "noteable_type", "MergeRequest");
	cJSON_AddNumberToObject(n, "project_id", 5);
	cJSON_AddNumberToObject(n, "noteable_iid", strtod(o->key, NULL));
	cJSON_AddBoolToObject(n, "resolvable", 0);
	cJSON_AddBoolToObject(n, "confidential", 0);
	cJSON_AddBoolToObject(n, "internal", 0);
	return n;
}

static int gl_body(struct rq *q)
{
	const char *ct = hdr(q, "Content-Type");

	if (ct == NULL || strncmp(ct, "application/json", 16) != 0) {
		gl_error(q, 400, "Content-Type", "expected application/json");
		return -1;
	}
	q->json = cJSON_ParseWithLength(q->rec->body, q->rec->body_len);
	if (!cJSON_IsObject(q->json)) {
		gl_error(q, 400, "body", "not a JSON object");
		return -1;
	}
	return 0;
}

/* A string parameter: required or optional, at most max characters. */
static int gl_str(struct rq *q, const char *name, bool required, int max,
                  const char **out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(q->json, name);
	char msg[128];

	*out = NULL;
	if (v == NULL && !required)
		return 0;
	if (!cJSON_IsString(v)) {
		snprintf(msg, sizeof(msg), "%s is missing", name);
		gl_error(q, 400, name, msg);
		return -1;
	}
	if (max > 0 && code_points(v->valuestring) > (size_t)max) {
		snprintf(msg, sizeof(msg),
		         "is too long (maximum is %d "
		         "characters)",
		         max);
		gl_error(q, 400, name, msg);
		return -1;
	}
	*out = v->valuestring;
	return 0;
}

static void gl_status(struct rq *q, const char *project)
{
	fakegh *f = q->f;
	const char *state, *name, *ctx, *s;
	const char *sha = param(q, "sha");
	struct obj *last = NULL, *o;
	size_t i, n;
	char msg[256];
	cJSON *r;

	if (gl_body(q) < 0 || gl_str(q, "state", true, 0, &state) < 0 ||
	    gl_str(q, "name", false, 255, &name) < 0 ||
	    gl_str(q, "context", false, 255, &ctx) < 0 ||
	    gl_str(q, "ref", false, f->gl_field_max, &s) < 0 ||
	    gl_str(q, "target_url", false, f->gl_field_max, &s) < 0 ||
	    gl_str(q, "description", false, f->gl_field_max, &s) < 0)
		return;
	if (!in_list(f->gl_states, state)) {
		gl_error(q, 400, "state", "state does not have a valid value");
		return;
	}
	if (name == NULL)
		name = ctx ? ctx : "default";
	n = obj_count(f, FAKEGH_GL_STATUS, project, sha);
	for (i = 0; i < n; i++) {
		o = obj_nth(f, FAKEGH_GL_STATUS, project, sha, i);
		if (strcmp(cJSON_GetObjectItemCaseSensitive(o->data, "name")
		                   ->valuestring,
		           name) == 0)
			last = o;
	}
	/*
	 * GitLab's state machine refuses pending -> pending and running ->
	 * running (public issue reports quote the message).
	 */
	if (last &&
	    strcmp(cJSON_GetObjectItemCaseSensitive(last->data, "status")
	                   ->valuestring,
	           state) == 0 &&
	    (strcmp(state, "pending") == 0 || strcmp(state, "running") == 0)) {
		snprintf(
		        msg, sizeof(msg),
		        "Cannot transition status via :%s from :%s (Reason(s): "
		        "Status cannot transition via \"%s\")",
		        strcmp(state, "pending") == 0 ? "enqueue" : "run",
		        state,
		        strcmp(state, "pending") == 0 ? "enqueue" : "run");
		r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "message", msg);
		reply_json(q->r, 400, r);
		return;
	}
	if (!q->apply)
		return;
	r = cJSON_Duplicate(q->json, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(r, "state");
	cJSON_AddStringToObject(r, "status", state);
	cJSON_DeleteItemFromObjectCaseSensitive(r, "name");
	cJSON_AddStringToObject(r, "name", name);
	o = obj_add(f, FAKEGH_GL_STATUS, project, sha, r);
	r = cJSON_Duplicate(o->data, 1);
	cJSON_AddNumberToObject(r, "id", (double)o->id);
	cJSON_AddStringToObject(r, "sha", sha);
	reply_json(q->r, 201, r);
}

static void gl_notes_list(struct rq *q, const char *project)
{
	fakegh *f = q->f;
	const char *iid = param(q, "merge_request_iid");
	size_t total = obj_count(f, FAKEGH_NOTE, project, iid), i, k;
	int per, page, last;
	char v[64], extra[128];
	bool desc;
	cJSON *arr;

	if (query_get(q->rec->query, "sort", v, sizeof(v)) &&
	    !in_list(f->gl_sorts, v)) {
		gl_error(q, 400, "sort", "sort does not have a valid value");
		return;
	}
	desc = !query_get(q->rec->query, "sort", v, sizeof(v)) ||
	       strcmp(v, "desc") == 0;
	snprintf(extra, sizeof(extra), "sort=%s&", desc ? "desc" : "asc");
	if (query_get(q->rec->query, "order_by", v, sizeof(v))) {
		if (!in_list(f->gl_orders, v)) {
			gl_error(q, 400, "order_by",
			         "order_by does not have a valid value");
			return;
		}
		snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
		         "order_by=%s&", v);
	}
	paging(q, &per, &page);
	if (per > 100) {
		gl_error(q, 400, "per_page", "per_page over 100");
		return;
	}
	last = (int)((total + (size_t)per - 1) / (size_t)per);
	arr = cJSON_CreateArray();
	for (i = (size_t)(page - 1) * (size_t)per;
	     i < total && i < (size_t)page * (size_t)per; i++) {
		k = desc ? total - 1 - i : i;
		cJSON_AddItemToArray(arr, note_json(obj_nth(f, FAKEGH_NOTE,
		                                            project, iid, k)));
	}
	page_link(f, q->r, q->path, extra, per, page, last);
	if (page < last)
		reply_header(q->r, "X-Next-Page", "%d", page + 1);
	reply_header(q->r, "X-Total", "%zu", total);
	reply_json(q->r, 200, arr);
}

static void gl_note_write(struct rq *q, const char *project, bool create)
{
	fakegh *f = q->f;
	const char *body;
	struct obj *o;

	if (gl_body(q) < 0 ||
	    gl_str(q, "body", true, f->gl_note_max, &body) < 0)
		return;
	if (create) {
		if (!q->apply)
			return;
		o = obj_add(f, FAKEGH_NOTE, project,
		            param(q, "merge_request_iid"),
		            cJSON_Duplicate(q->json, 1));
		reply_json(q->r, 201, note_json(o));
		return;
	}
	o = obj_by_id(f, FAKEGH_NOTE, project,
	              strtoll(param(q, "note_id"), NULL, 10));
	if (o == NULL || strcmp(o->key, param(q, "merge_request_iid")) != 0) {
		cJSON *r = cJSON_CreateObject();

		cJSON_AddStringToObject(r, "message", "404 Not found");
		reply_json(q->r, 404, r);
		return;
	}
	if (!q->apply)
		return;
	merge(o->data, q->json);
	o->updates++;
	o->updated = time(NULL);
	reply_json(q->r, 200, note_json(o));
}

static void gitlab(struct rq *q)
{
	static const char *const routes[] = {"commit_status", "mr_note_list",
	                                     "mr_note_create",
	                                     "mr_note_update"};
	fakegh *f = q->f;
	const char *sub = q->path + strlen("/api/v4"), *tok, *route = NULL;
	const cJSON *r;
	char project[512];
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		r = cJSON_GetObjectItemCaseSensitive(f->gitlab, routes[i]);
		if (strcmp(cJSON_GetObjectItemCaseSensitive(r, "method")
		                   ->valuestring,
		           q->method) == 0 &&
		    match(q,
		          cJSON_GetObjectItemCaseSensitive(r, "path")
		                  ->valuestring,
		          sub, NULL)) {
			route = routes[i];
			break;
		}
	}
	if (route == NULL) {
		violate(q, "no GitLab route of the contract matches");
		reply_message(q->r, 404, "404 Not Found");
		return;
	}
	q->rec->op = xstrdup(route);
	tok = hdr(q, "PRIVATE-TOKEN");
	if (tok == NULL || strcmp(tok, f->gl_token) != 0) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "message", "401 Unauthorized");
		reply_json(q->r, 401, o);
		return;
	}
	if (hdr(q, "User-Agent") == NULL)
		violate(q, "no User-Agent");
	if ((param(q, "merge_request_iid") &&
	     !all_digits(param(q, "merge_request_iid"))) ||
	    (param(q, "note_id") && !all_digits(param(q, "note_id")))) {
		gl_error(q, 404, "path", "bad iid or note id");
		return;
	}
	snprintf(project, sizeof(project), "%s", param(q, "id"));
	unescape(project);
	if (strcmp(route, "commit_status") == 0)
		gl_status(q, project);
	else if (strcmp(route, "mr_note_list") == 0)
		gl_notes_list(q, project);
	else
		gl_note_write(q, project, strcmp(route, "mr_note_create") == 0);
}

/* ---- faults -------------------------------------------------------------- */

static struct fault_slot *take_fault(fakegh *f, const char *method,
                                     const char *path)
{
	int i;

	for (i = 0; i < f->nfaults; i++) {
		struct fault_slot *s = &f->faults[i];

		if (s->left == 0 ||
		    (s->method[0] && strcmp(s->method, method)) ||
		    (s->prefix[0] &&
		     strncmp(path, s->prefix, strlen(s->prefix))))
			continue;
		s->left--;
		return s;
	}
	return NULL;
}

static void fault_reply(fakegh *f, const struct fault_slot *s, struct rq *q)
{
	struct reply *r = q->r;
	const cJSON *ex;

	reply_clear(r);
	mg_buf_init(&r->body, MG_BUF_NOLIMIT);
	switch (s->f.kind) {
	case FAKEGH_502:
		reply_message(r, 502, "Server Error");
		break;
	case FAKEGH_RATE_PRIMARY:
		reply_header(r, "x-ratelimit-limit", "5000");
		reply_header(r, "x-ratelimit-remaining", "0");
		reply_header(r, "x-ratelimit-used", "5000");
		reply_header(r, "x-ratelimit-reset", "%lld",
		             (long long)s->f.reset);
		reply_header(r, "x-ratelimit-resource", "core");
		reply_message(r, 403,
		              "API rate limit exceeded for "
		              "installation ID 1.");
		break;
	case FAKEGH_RATE_SECONDARY:
		if (s->f.retry_after > 0)
			reply_header(r, "retry-after", "%d", s->f.retry_after);
		reply_message(r, 403,
		              "You have exceeded a secondary rate "
		              "limit. Please wait a few minutes before "
		              "you try again.");
		break;
	case FAKEGH_429:
		if (s->f.retry_after > 0)
			reply_header(r, "Retry-After", "%d", s->f.retry_after);
		reply_message(r, 429, "Too Many Requests");
		break;
	case FAKEGH_422:
		ex = cJSON_GetObjectItemCaseSensitive(
		        cJSON_GetObjectItemCaseSensitive(f->contract,
		                                         "error_examples"),
		        strstr(q->path, "/statuses/")
		                ? "422_status_description_too_long"
		                : "422_comment_body_too_long");
		reply_json(r, 422, cJSON_Duplicate(ex, 1));
		break;
	case FAKEGH_ANSWER:
		r->status = s->f.status;
		mg_buf_puts(&r->body, s->f.body ? s->f.body : "");
		break;
	default:
		break;
	}
}

/* ---- the daemon ---------------------------------------------------------- */

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
	fakegh_req *r = cls;

	(void)kind;
	r->hnames = realloc(r->hnames, (r->nheaders + 1) * sizeof(char *));
	r->hvalues = realloc(r->hvalues, (r->nheaders + 1) * sizeof(char *));
	if (r->hnames == NULL || r->hvalues == NULL)
		die("out of memory");
	r->hnames[r->nheaders] = xstrdup(key);
	r->hvalues[r->nheaders] = xstrdup(value);
	r->nheaders++;
	return MHD_YES;
}

static enum MHD_Result add_arg(void *cls, enum MHD_ValueKind kind,
                               const char *key, const char *value)
{
	mg_buf *q = cls;

	(void)kind;
	mg_buf_printf(q, "%s%s%s%s", q->len ? "&" : "", key, value ? "=" : "",
	              value ? value : "");
	return MHD_YES;
}

static enum MHD_Result serve(fakegh *f, struct MHD_Connection *con,
                             const char *url, const char *method,
                             struct conn *c)
{
	struct reply r = {0, MG_BUF_INIT(MG_BUF_NOLIMIT), {0}, {0}, 0};
	mg_buf query = MG_BUF_INIT(MG_BUF_NOLIMIT);
	struct rq q;
	struct fault_slot *fault;
	struct MHD_Response *resp;
	enum MHD_Result ret = MHD_NO;
	fakegh_req *rec;
	int delay = 0, i;
	bool close_after = false;

	pthread_mutex_lock(&f->mu);
	if (f->nreqs == MAX_REQUESTS)
		die("more than %d requests", MAX_REQUESTS);
	rec = &f->reqs[f->nreqs++];
	snprintf(rec->method, sizeof(rec->method), "%s", method);
	rec->path = xstrdup(url);
	MHD_get_connection_values(con, MHD_GET_ARGUMENT_KIND, add_arg, &query);
	rec->query = xstrdup(query.ptr);
	rec->body_len = c->body.len;
	rec->body = xstrdup(c->body.ptr);
	MHD_get_connection_values(con, MHD_HEADER_KIND, add_header, rec);
	rec->at_ms = now_ms();
	fault = take_fault(f, method, url);
	if (fault && fault->f.kind == FAKEGH_SLOW)
		delay = fault->f.delay_ms;
	pthread_mutex_unlock(&f->mu);

	if (delay)
		usleep((useconds_t)delay * 1000);
	if (fault && fault->f.kind == FAKEGH_CLOSE)
		goto cleanup; /* rec->status stays 0 */

	pthread_mutex_lock(&f->mu);
	memset(&q, 0, sizeof(q));
	q.f = f;
	q.con = con;
	q.rec = rec;
	q.method = method;
	q.path = url;
	q.r = &r;
	q.apply = fault == NULL || fault->f.kind == FAKEGH_SLOW ||
	          fault->f.kind == FAKEGH_APPLY_THEN_CLOSE;
	if (c->too_big) {
		violate(&q, "body over %zu bytes", MAX_BODY);
		reply_message(&r, 413, "Payload Too Large");
	} else if (strncmp(url, "/api/v4/", 8) == 0) {
		gitlab(&q);
	} else {
		github(&q);
	}
	if (fault && fault->f.kind != FAKEGH_SLOW &&
	    fault->f.kind != FAKEGH_APPLY_THEN_CLOSE)
		fault_reply(f, fault, &q);
	close_after = fault && fault->f.kind == FAKEGH_APPLY_THEN_CLOSE;
	if (r.status == 0) {
		/* A check failed without saying how: a bug of the fake. */
		violate(&q, "fakegh produced no answer");
		reply_message(&r, 500, "fakegh: no answer");
	}
	rec->status = close_after ? 0 : r.status;
	cJSON_Delete(q.json);
	pthread_mutex_unlock(&f->mu);
	if (close_after)
		goto cleanup;

	resp = MHD_create_response_from_buffer(r.body.len, r.body.ptr,
	                                       MHD_RESPMEM_MUST_COPY);
	if (resp == NULL)
		die("cannot create a response");
	MHD_add_response_header(resp, "Content-Type",
	                        "application/json; charset=utf-8");
	for (i = 0; i < r.nheaders; i++)
		MHD_add_response_header(resp, r.hname[i], r.hvalue[i]);
	ret = MHD_queue_response(con, (unsigned)r.status, resp);
	MHD_destroy_response(resp);
cleanup:
	reply_clear(&r);
	mg_buf_release(&query);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *con,
                               const char *url, const char *method,
                               const char *version, const char *data,
                               size_t *size, void **con_cls)
{
	struct conn *c = *con_cls;

	(void)version;
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			die("out of memory");
		mg_buf_init(&c->body, MAX_BODY);
		*con_cls = c;
		return MHD_YES;
	}
	if (*size) {
		if (mg_buf_put(&c->body, data, *size) < 0)
			c->too_big = true;
		*size = 0;
		return MHD_YES;
	}
	return serve(cls, con, url, method, c);
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct conn *c = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (c) {
		mg_buf_release(&c->body);
		free(c);
	}
	*con_cls = NULL;
}

/* Keep paths and query values as sent (GitLab's "group%2Fproject"). */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	return strlen(s);
}

/* ---- contract loading ---------------------------------------------------- */

static const char *prose(const cJSON *gitlab, const char *op,
                         const char *param_name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
	        cJSON_GetObjectItemCaseSensitive(
	                cJSON_GetObjectItemCaseSensitive(gitlab, op), "params"),
	        param_name);

	if (!cJSON_IsString(v))
		die("%s: gitlab.%s.params.%s missing", CONTRACT_PATH, op,
		    param_name);
	return v->valuestring;
}

/* The leading "a|b|c" of a prose value (after an optional prefix). */
static void prose_list(char *out, size_t n, const char *text,
                       const char *prefix)
{
	const char *p = text;
	size_t len;

	if (prefix) {
		p = strstr(text, prefix);
		if (p == NULL)
			die("%s: cannot read '%s'", CONTRACT_PATH, text);
		p += strlen(prefix);
	}
	len = strspn(p, "abcdefghijklmnopqrstuvwxyz_|");
	if (len == 0 || len >= n)
		die("%s: cannot read '%s'", CONTRACT_PATH, text);
	snprintf(out, n, "%.*s", (int)len, p);
}

/* The number after marker in a prose value, commas ignored. */
static int prose_number(const char *text, const char *marker)
{
	const char *p = strstr(text, marker);
	long v = 0;

	if (p == NULL)
		die("%s: no '%s' in '%s'", CONTRACT_PATH, marker, text);
	for (p += strlen(marker); isdigit((unsigned char)*p) || *p == ','; p++)
		if (*p != ',')
			v = v * 10 + (*p - '0');
	if (v == 0)
		die("%s: no number in '%s'", CONTRACT_PATH, text);
	return (int)v;
}

static void load_contract(fakegh *f)
{
	size_t len = 0;
	FILE *fp = fopen(CONTRACT_PATH, "rb");
	char *text;

	if (fp == NULL)
		die("cannot open the contract %s: %s (the repository's "
		    "shared/ folder must sit beside it)",
		    CONTRACT_PATH, strerror(errno));
	text = malloc((size_t)4 << 20);
	if (text == NULL)
		die("out of memory");
	len = fread(text, 1, ((size_t)4 << 20) - 1, fp);
	fclose(fp);
	text[len] = '\0';
	f->contract = cJSON_Parse(text);
	free(text);
	if (f->contract == NULL)
		die("%s is not JSON", CONTRACT_PATH);
	f->ops = cJSON_GetObjectItemCaseSensitive(f->contract, "operations");
	f->gitlab = cJSON_GetObjectItemCaseSensitive(f->contract, "gitlab");
	if (!cJSON_IsObject(f->ops) || !cJSON_IsObject(f->gitlab))
		die("%s: no 'operations' or 'gitlab'", CONTRACT_PATH);
	prose_list(f->gl_states, sizeof(f->gl_states),
	           prose(f->gitlab, "commit_status", "state"), "required: ");
	f->gl_field_max = prose_number(
	        prose(f->gitlab, "commit_status", "description"), "<=");
	f->gl_note_max = prose_number(
	        prose(f->gitlab, "mr_note_create", "body"), "max ");
	prose_list(f->gl_sorts, sizeof(f->gl_sorts),
	           prose(f->gitlab, "mr_note_list", "sort"), NULL);
	prose_list(f->gl_orders, sizeof(f->gl_orders),
	           prose(f->gitlab, "mr_note_list", "order_by"), NULL);
}

/* ---- public -------------------------------------------------------------- */

fakegh *fakegh_start(void)
{
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;
	fakegh *f = calloc(1, sizeof(*f));

	if (f == NULL)
		die("out of memory");
	load_contract(f);
	pthread_mutex_init(&f->mu, NULL);
	snprintf(f->token, sizeof(f->token), "test-token");
	snprintf(f->gl_token, sizeof(f->gl_token), "gl-token");
	f->reqs = calloc(MAX_REQUESTS, sizeof(*f->reqs));
	f->objs = calloc(MAX_OBJECTS, sizeof(*f->objs));
	if (f->reqs == NULL || f->objs == NULL)
		die("out of memory");
	f->next_id = 1000;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;
	f->d = MHD_start_daemon(
	        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
	        0, NULL, NULL, handler, f, MHD_OPTION_SOCK_ADDR,
	        (struct sockaddr *)&addr, MHD_OPTION_NOTIFY_COMPLETED,
	        completed, NULL, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape,
	        NULL, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
	        MHD_OPTION_END);
	if (f->d == NULL)
		die("cannot start libmicrohttpd");
	info = MHD_get_daemon_info(f->d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0)
		die("cannot read the bound port");
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%u",
	         (unsigned)info->port);
	snprintf(f->gl_url, sizeof(f->gl_url), "%s/api/v4", f->url);
	return f;
}

void fakegh_stop(fakegh *f)
{
	size_t i, j;

	if (f == NULL)
		return;
	MHD_stop_daemon(f->d);
	for (i = 0; i < f->nreqs; i++) {
		fakegh_req *r = &f->reqs[i];

		free(r->path);
		free(r->query);
		free(r->body);
		free(r->violation);
		free(r->op);
		for (j = 0; j < r->nheaders; j++) {
			free(r->hnames[j]);
			free(r->hvalues[j]);
		}
		free(r->hnames);
		free(r->hvalues);
	}
	for (i = 0; i < f->nobjs; i++) {
		free(f->objs[i].repo);
		free(f->objs[i].key);
		cJSON_Delete(f->objs[i].data);
	}
	free(f->reqs);
	free(f->objs);
	EVP_PKEY_free(f->pub);
	cJSON_Delete(f->contract);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

const char *fakegh_url(const fakegh *f)
{
	return f->url;
}

const char *fakegh_gitlab_url(const fakegh *f)
{
	return f->gl_url;
}

void fakegh_set_token(fakegh *f, const char *token)
{
	pthread_mutex_lock(&f->mu);
	snprintf(f->token, sizeof(f->token), "%s", token);
	pthread_mutex_unlock(&f->mu);
}

void fakegh_set_app(fakegh *f, const char *app_id, EVP_PKEY *pub, int64_t ttl_s)
{
	pthread_mutex_lock(&f->mu);
	snprintf(f->app_id, sizeof(f->app_id), "%s", app_id);
	EVP_PKEY_up_ref(pub);
	EVP_PKEY_free(f->pub);
	f->pub = pub;
	f->ttl = ttl_s;
	pthread_mutex_unlock(&f->mu);
}

void fakegh_set_gitlab_token(fakegh *f, const char *token)
{
	pthread_mutex_lock(&f->mu);
	snprintf(f->gl_token, sizeof(f->gl_token), "%s", token);
	pthread_mutex_unlock(&f->mu);
}

void fakegh_fail(fakegh *f, const fakegh_fault *fault)
{
	struct fault_slot *s;

	pthread_mutex_lock(&f->mu);
	if (f->nfaults == MAX_FAULTS)
		die("more than %d faults", MAX_FAULTS);
	s = &f->faults[f->nfaults++];
	s->f = *fault;
	snprintf(s->method, sizeof(s->method), "%s",
	         fault->method ? fault->method : "");
	snprintf(s->prefix, sizeof(s->prefix), "%s",
	         fault->path_prefix ? fault->path_prefix : "");
	s->f.method = NULL;
	s->f.path_prefix = NULL;
	s->left = fault->count > 0 ? fault->count : 1;
	pthread_mutex_unlock(&f->mu);
}

size_t fakegh_nrequests(fakegh *f)
{
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = f->nreqs;
	pthread_mutex_unlock(&f->mu);
	return n;
}

const fakegh_req *fakegh_request(fakegh *f, size_t i)
{
	return i < fakegh_nrequests(f) ? &f->reqs[i] : NULL;
}

const char *fakegh_req_header(const fakegh_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->hnames[i], name) == 0)
			return r->hvalues[i];
	return NULL;
}

size_t fakegh_count(fakegh *f, const char *method, const char *op)
{
	size_t i, n = 0;

	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->nreqs; i++)
		if ((method == NULL ||
		     strcmp(f->reqs[i].method, method) == 0) &&
		    (op == NULL ||
		     (f->reqs[i].op && strcmp(f->reqs[i].op, op) == 0)))
			n++;
	pthread_mutex_unlock(&f->mu);
	return n;
}

size_t fakegh_violations(fakegh *f)
{
	size_t i, n = 0;

	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->nreqs; i++)
		n += f->reqs[i].violation != NULL;
	pthread_mutex_unlock(&f->mu);
	return n;
}

const char *fakegh_first_violation(fakegh *f)
{
	const char *v = NULL;
	size_t i;

	pthread_mutex_lock(&f->mu);
	for (i = 0; i < f->nreqs && v == NULL; i++)
		v = f->reqs[i].violation;
	pthread_mutex_unlock(&f->mu);
	return v;
}

int fakegh_tokens_issued(fakegh *f)
{
	int n;

	pthread_mutex_lock(&f->mu);
	n = f->ntokens;
	pthread_mutex_unlock(&f->mu);
	return n;
}

int64_t fakegh_add_comment(fakegh *f, const char *repo, int64_t number,
                           const char *body)
{
	cJSON *d = cJSON_CreateObject();
	char key[32];
	int64_t id;

	cJSON_AddStringToObject(d, "body", body);
	cJSON_AddStringToObject(d, "user", "octocat");
	snprintf(key, sizeof(key), "%lld", (long long)number);
	pthread_mutex_lock(&f->mu);
	id = obj_add(f, FAKEGH_COMMENT, repo, key, d)->id;
	pthread_mutex_unlock(&f->mu);
	return id;
}

int64_t fakegh_add_note(fakegh *f, const char *project, int64_t iid,
                        const char *body, int system)
{
	cJSON *d = cJSON_CreateObject();
	char key[32];
	int64_t id;

	cJSON_AddStringToObject(d, "body", body);
	cJSON_AddBoolToObject(d, "system", system);
	snprintf(key, sizeof(key), "%lld", (long long)iid);
	pthread_mutex_lock(&f->mu);
	id = obj_add(f, FAKEGH_NOTE, project, key, d)->id;
	pthread_mutex_unlock(&f->mu);
	return id;
}

size_t fakegh_objects(fakegh *f, enum fakegh_kind kind, const char *repo,
                      const char *key)
{
	size_t n;

	pthread_mutex_lock(&f->mu);
	n = obj_count(f, kind, repo, key);
	pthread_mutex_unlock(&f->mu);
	return n;
}

int64_t fakegh_object_id(fakegh *f, enum fakegh_kind kind, const char *repo,
                         const char *key, size_t idx)
{
	struct obj *o;
	int64_t id;

	pthread_mutex_lock(&f->mu);
	o = obj_nth(f, kind, repo, key, idx);
	id = o ? o->id : 0;
	pthread_mutex_unlock(&f->mu);
	return id;
}

const char *fakegh_object_str(fakegh *f, enum fakegh_kind kind,
                              const char *repo, const char *key, size_t idx,
                              const char *field)
{
	const cJSON *v;
	struct obj *o;
	char name[64];
	const char *dot;

	pthread_mutex_lock(&f->mu);
	o = obj_nth(f, kind, repo, key, idx);
	v = o ? o->data : NULL;
	/* "output.summary": one level per dot. */
	while (v && *field) {
		dot = strchr(field, '.');
		snprintf(name, sizeof(name), "%.*s",
		         (int)(dot ? (size_t)(dot - field) : strlen(field)),
		         field);
		v = cJSON_GetObjectItemCaseSensitive(v, name);
		field = dot ? dot + 1 : "";
	}
	pthread_mutex_unlock(&f->mu);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int fakegh_object_updates(fakegh *f, enum fakegh_kind kind, const char *repo,
                          const char *key, size_t idx)
{
	struct obj *o;
	int n;

	pthread_mutex_lock(&f->mu);
	o = obj_nth(f, kind, repo, key, idx);
	n = o ? o->updates : -1;
	pthread_mutex_unlock(&f->mu);
	return n;
}

EVP_PKEY *fakegh_rsa_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	if (k == NULL)
		die("cannot generate an RSA key");
	return k;
}

char *fakegh_private_pem(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL, *out;
	long n;

	if (bio == NULL ||
	    PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
		die("cannot write the key as PEM");
	n = BIO_get_mem_data(bio, &data);
	out = malloc((size_t)n + 1);
	if (out == NULL)
		die("out of memory");
	memcpy(out, data, (size_t)n);
	out[n] = '\0';
	BIO_free(bio);
	return out;
}

EVP_PKEY *fakegh_public_key(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_mem());
	EVP_PKEY *pub;

	if (bio == NULL || PEM_write_bio_PUBKEY(bio, key) != 1)
		die("cannot write the public key");
	pub = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pub == NULL)
		die("cannot read the public key back");
	return pub;
}
