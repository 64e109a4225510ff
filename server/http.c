/*
 * http.c - libmicrohttpd glue (see http.h): the daemon with a thread per
 * connection, routing, body collection with limits
 * and gzip, the answer helpers, the access log and per-request memory.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include <zlib.h>

#include "auth.h"
#include "http.h"
#include "jsonw.h"
#include "log.h"
#include "metrics.h"
#include "server.h"

/* ---- per-request memory -------------------------------------------------- */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[]; /* cap bytes */
};

struct mg_req_header {
	const char *name, *value;
	struct mg_req_header *next;
};

void *mg_req_alloc(mg_req *r, size_t n)
{
	struct chunk *c = r->arena;
	size_t need = (n + 15) & ~(size_t)15;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	if (c == NULL || c->cap - c->used < need) {
		size_t cap =
		        need > MG_HTTP_ARENA_BLOCK ? need : MG_HTTP_ARENA_BLOCK;

		c = malloc(sizeof(*c) + cap);
		if (c == NULL)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = r->arena;
		r->arena = c;
	}
	p = (char *)c->data + c->used;
	c->used += need;
	return p;
}

char *mg_req_strndup(mg_req *r, const char *s, size_t n)
{
	char *p = mg_req_alloc(r, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static void req_free(mg_req *r)
{
	struct chunk *c = r->arena, *next;

	if (r->zs) {
		inflateEnd(r->zs);
		free(r->zs);
	}
	mg_buf_release(&r->body);
	mg_token_info_release(&r->token);
	mg_req_reader_done(r);
	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	free(r);
}

mg_store *mg_req_reader(mg_req *r, mg_err *err)
{
	if (r->reader == NULL &&
	    mg_srv_db_reader(&r->srv->db, &r->reader, err) < 0)
		return NULL;
	return r->reader;
}

mg_store *mg_req_history_reader(mg_req *r, mg_err *err)
{
	mg_store *st = mg_req_reader(r, err);

	if (st && mg_srv_history_sync(&r->srv->db, st, err) < 0)
		return NULL;
	return st;
}

void mg_req_reader_done(mg_req *r)
{
	if (r->reader) {
		mg_srv_db_reader_put(&r->srv->db, r->reader);
		r->reader = NULL;
	}
}

/* ---- URLs ---------------------------------------------------------------- */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode n bytes of s into a new arena string. NULL with
 * *bad set for a malformed escape or an encoded NUL (which no C string
 * can carry); NULL with *bad clear on ENOMEM.
 */
static char *pct_decode(mg_req *r, const char *s, size_t n, bool plus_space,
                        bool *bad)
{
	char *out = mg_req_alloc(r, n + 1);
	size_t i, o = 0;

	*bad = false;
	if (out == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			int hi, lo;

			if (i + 2 >= n)
				goto bad;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
				goto bad;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (s[i] == '+' && plus_space) {
			out[o++] = ' ';
		} else {
			out[o++] = s[i];
		}
	}
	out[o] = '\0';
	return out;
bad:
	*bad = true;
	return NULL;
}

int mg_http_escape_segment(mg_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int error = 0;

	/* RFC 3986 unreserved characters stay, everything else is %XX. */
	for (; *s && error == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~')
			error = mg_buf_putc(out, (char)c);
		else
			error = mg_buf_printf(out, "%%%c%c", hex[c >> 4],
			                      hex[c & 15]);
	}
	return error;
}

const char *mg_req_param(mg_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		if (strcmp(r->param_names[i], name) == 0)
			return r->params[i];
	return NULL;
}

const char *mg_req_header(mg_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

int mg_req_query(mg_req *r, const char *name, size_t max_len, const char **out,
                 mg_err *err)
{
	const char *raw;
	char *v;
	bool bad;

	*out = NULL;
	raw = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
	if (raw == NULL)
		return 0;
	v = pct_decode(r, raw, strlen(raw), true, &bad);
	if (v == NULL && bad)
		return mg_err_set(err, MG_EINPUT,
		                  "field '%s': invalid percent-encoding", name);
	if (v == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	if (strlen(v) > max_len)
		return mg_err_set(err, MG_EINPUT,
		                  "field '%s': longer than %zu bytes", name,
		                  max_len);
	*out = v;
	return 0;
}

int mg_req_query_int(mg_req *r, const char *name, int64_t def, int64_t min,
                     int64_t max, int64_t *out, mg_err *err)
{
	const char *v;
	char *end;
	long long x;
	int error;

	error = mg_req_query(r, name, 32, &v, err);
	if (error < 0)
		return error;
	if (v == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	x = strtoll(v, &end, 10);
	if (v[0] == '\0' || *end != '\0' || errno != 0 || x < min || x > max)
		return mg_err_set(err, MG_EINPUT,
		                  "field '%s': expected an integer from %lld "
		                  "to %lld, got '%s'",
		                  name, (long long)min, (long long)max, v);
	*out = x;
	return 0;
}

/* ---- routing ------------------------------------------------------------- */

/*
 * Split the raw path into decoded segments (r->params holds them until a
 * route is chosen). -1 if malformed, -2 on ENOMEM, else the count
 * (MG_HTTP_MAX_SEGMENTS + 1 when there are too many to match anything).
 */
static int split_path(mg_req *r, const char *url, char **seg)
{
	const char *p = url;
	int n = 0;

	if (*p != '/')
		return -1;
	p++;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		bool bad;

		if (n == MG_HTTP_MAX_SEGMENTS)
			return MG_HTTP_MAX_SEGMENTS + 1;
		seg[n] = pct_decode(r, p, len, false, &bad);
		if (seg[n] == NULL)
			return bad ? -1 : -2;
		n++;
		if (slash == NULL)
			return n;
		p = slash + 1;
	}
}

/* Does route `rt` match the segments? Fills r->params on success. */
static bool match_route(mg_req *r, const mg_route *rt, char **seg, int nseg)
{
	const char *p = rt->pattern + 1;
	int i = 0;

	r->nparams = 0;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (i >= nseg)
			return false;
		if (len >= 2 && p[0] == '{' && p[len - 1] == '}') {
			/* an empty segment is no value for a parameter */
			if (seg[i][0] == '\0')
				return false;
			r->param_names[r->nparams] =
			        mg_req_strndup(r, p + 1, len - 2);
			if (r->param_names[r->nparams] == NULL)
				return false;
			r->params[r->nparams++] = seg[i];
		} else if (strlen(seg[i]) != len ||
		           strncmp(seg[i], p, len) != 0) {
			return false;
		}
		i++;
		if (slash == NULL)
			return i == nseg;
		p = slash + 1;
	}
}

static bool method_is(const char *method, const char *want)
{
	if (strcmp(method, want) == 0)
		return true;
	return strcmp(want, "GET") == 0 && strcmp(method, "HEAD") == 0;
}

/*
 * Pick the route. Failures are kept in r->route_status (400 bad path,
 * 404, 405 with r->allow, 503 out of memory) and answered by
 * route_answer() once the request is complete: an answer queued on the
 * first callback makes libmicrohttpd close the connection.
 */
static void route(mg_req *r)
{
	char *seg[MG_HTTP_MAX_SEGMENTS];
	int nseg;
	size_t i;

	nseg = split_path(r, r->url, seg);
	if (nseg < 0) {
		r->route_status = nseg == -2 ? 503 : 400;
		return;
	}
	r->allow[0] = '\0';
	for (i = 0; i < mg_nroutes; i++) {
		const mg_route *rt = &mg_routes[i];
		size_t used = strlen(r->allow);

		if (nseg > MG_HTTP_MAX_SEGMENTS ||
		    !match_route(r, rt, seg, nseg))
			continue;
		if (method_is(r->method, rt->method)) {
			r->route = rt;
			return;
		}
		if (strstr(r->allow, rt->method) == NULL)
			snprintf(r->allow + used, sizeof(r->allow) - used,
			         "%s%s%s", used ? ", " : "", rt->method,
			         strcmp(rt->method, "GET") == 0 ? ", HEAD"
			                                        : "");
	}
	r->nparams = 0;
	r->route_status = r->allow[0] ? 405 : 404;
}

static int route_answer(mg_req *r)
{
	switch (r->route_status) {
	case 400:
		return mg_http_error(r, 400, "bad_path", NULL,
		                     "invalid percent-encoding in the path");
	case 405:
		mg_http_header(r, "Allow", r->allow);
		return mg_http_error(r, 405, "method_not_allowed", NULL,
		                     "method %s not allowed here; allowed: %s",
		                     r->method, r->allow);
	case 503:
		return mg_http_error(r, 503, "out_of_memory", NULL,
		                     "out of memory");
	default:
		return mg_http_error(r, 404, "not_found", NULL,
		                     "no such route");
	}
}

/* ---- answers ------------------------------------------------------------- */

int mg_http_header(mg_req *r, const char *name, const char *value)
{
	struct mg_req_header *h = mg_req_alloc(r, sizeof(*h));

	if (h == NULL)
		return MG_ENOMEM;
	h->name = mg_req_strndup(r, name, strlen(name));
	h->value = mg_req_strndup(r, value, strlen(value));
	if (h->name == NULL || h->value == NULL)
		return MG_ENOMEM;
	h->next = r->headers;
	r->headers = h;
	return 0;
}

int mg_http_reply(mg_req *r, int status, const char *content_type, void *data,
                  size_t len)
{
	struct MHD_Response *resp;
	struct mg_req_header *h;
	bool cache_set = false;
	enum MHD_Result ok;

	if (r->responded) {
		/* a handler bug: keep the first answer */
		mg_log(MG_LOG_ERROR, "http", "%s: second answer (%d) dropped",
		       r->id, status);
		free(data);
		return 0;
	}
	if (len == 0) {
		free(data);
		resp = MHD_create_response_from_buffer(0, (void *)"",
		                                       MHD_RESPMEM_PERSISTENT);
	} else {
		resp = MHD_create_response_from_buffer(len, data,
		                                       MHD_RESPMEM_MUST_FREE);
		if (resp == NULL)
			free(data);
	}
	if (resp == NULL)
		return -1;
	MHD_add_response_header(resp, "Content-Type", content_type);
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	for (h = r->headers; h; h = h->next) {
		MHD_add_response_header(resp, h->name, h->value);
		if (strcasecmp(h->name, "Cache-Control") == 0)
			cache_set = true;
	}
	if (!cache_set)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	ok = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	r->responded = true;
	r->status = status;
	r->resp_bytes = len;
	return ok == MHD_YES ? 0 : -1;
}

int mg_http_json(mg_req *r, int status, mg_buf *body)
{
	size_t len = body->len;
	char *data = mg_buf_detach(body);

	if (data == NULL)
		return mg_http_error(r, 503, "out_of_memory", NULL,
		                     "out of memory");
	return mg_http_reply(r, status, "application/json", data, len);
}

int mg_http_error(mg_req *r, int status, const char *code, const char *field,
                  const char *fmt, ...)
{
	char msg[MG_ERR_MSG_MAX];
	mg_jw w;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* error bodies are small: 4 KiB holds the longest message twice */
	mg_jw_init(&w, 4096);
	mg_jw_obj(&w, NULL);
	mg_jw_obj(&w, "error");
	mg_jw_str(&w, "code", code);
	mg_jw_str(&w, "message", msg);
	if (field)
		mg_jw_str(&w, "field", field);
	mg_jw_obj_end(&w);
	mg_jw_obj_end(&w);
	if (w.error) {
		mg_jw_release(&w);
		return mg_http_reply(r, status, "application/json", NULL, 0);
	}
	return mg_http_json(r, status, &w.buf);
}

const char *mg_http_field_of(const char *msg, char *buf, size_t n)
{
	const char *start = strstr(msg, "field '"), *end;

	if (start == NULL)
		return NULL;
	start += 7;
	end = strchr(start, '\'');
	if (end == NULL || (size_t)(end - start) >= n)
		return NULL;
	memcpy(buf, start, (size_t)(end - start));
	buf[end - start] = '\0';
	return buf;
}

int mg_http_fail(mg_req *r, int error, const mg_err *err)
{
	const char *msg = err && err->msg[0] ? err->msg : mg_err_name(error);
	char field[128];
	const char *f = mg_http_field_of(msg, field, sizeof(field));

	switch (error) {
	case MG_EINPUT:
		return mg_http_error(r, 400, "invalid_input", f, "%s", msg);
	case MG_EAUTH:
		mg_http_header(r, "WWW-Authenticate", "Bearer");
		return mg_http_error(r, 401, "unauthorized", f, "%s", msg);
	case MG_ENOTFOUND:
		return mg_http_error(r, 404, "not_found", f, "%s", msg);
	case MG_ECONFLICT:
		return mg_http_error(r, 409, "conflict", f, "%s", msg);
	case MG_ELIMIT:
		return mg_http_error(r, 413, "too_large", f, "%s", msg);
	case MG_ENOMEM:
		mg_http_header(r, "Retry-After", "1");
		return mg_http_error(r, 503, "out_of_memory", NULL,
		                     "out of memory; retry later");
	default:
		break;
	}
	if (error == MG_EDB && mg_store_busy_gave_up()) {
		mg_http_header(r, "Retry-After", "1");
		return mg_http_error(r, 503, "busy", NULL,
		                     "the database is busy; retry later");
	}
	/* Details (file paths, SQLite messages) go to the log only. */
	mg_log(MG_LOG_ERROR, "http", "%s: %s", r->id, msg);
	return mg_http_error(r, 500, "internal", NULL,
	                     "internal error (request %s)", r->id);
}

/* ---- bodies -------------------------------------------------------------- */

static void body_fail(mg_req *r, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void body_fail(mg_req *r, int error, const char *fmt, ...)
{
	va_list ap;

	if (r->body_error)
		return;
	r->body_error = error;
	va_start(ap, fmt);
	vsnprintf(r->body_msg, sizeof(r->body_msg), fmt, ap);
	va_end(ap);
	/* the rest is dropped: free what we have now */
	mg_buf_release(&r->body);
}

/*
 * Inflate n bytes into the body, within its limit. Several gzip members
 * in a row are one body (RFC 1952, section 2.2).
 */
static void inflate_some(mg_req *r, const char *data, size_t n)
{
	z_stream *zs = r->zs;
	unsigned char scratch[1];

	zs->next_in = (Bytef *)(uintptr_t)data;
	zs->avail_in = (uInt)n;
	while (zs->avail_in > 0 && r->body_error == 0) {
		size_t room = r->body.max - r->body.len, chunk;
		uInt in_before, out_before;
		int rc;

		if (r->gzip_end) {
			if (inflateReset(zs) != Z_OK) {
				body_fail(r, MG_EINPUT, "invalid gzip body");
				return;
			}
			r->gzip_end = false;
		}
		if (room == 0) {
			/* only a trailer may still come, no more output */
			zs->next_out = scratch;
			zs->avail_out = 1;
			chunk = 0;
		} else {
			chunk = room < 65536 ? room : 65536;
			if (mg_buf_grow(&r->body, chunk) < 0) {
				body_fail(r, MG_ENOMEM, "out of memory");
				return;
			}
			zs->next_out = (Bytef *)r->body.ptr + r->body.len;
			zs->avail_out = (uInt)chunk;
		}
		in_before = zs->avail_in;
		out_before = zs->avail_out;
		rc = inflate(zs, Z_NO_FLUSH);
		if (room == 0 && zs->avail_out == 0) {
			body_fail(r, MG_ELIMIT,
			          "body larger than %zu bytes after gunzip",
			          r->body.max);
			return;
		}
		if (chunk) {
			r->body.len += chunk - zs->avail_out;
			r->body.ptr[r->body.len] = '\0';
		}
		if (rc == Z_STREAM_END) {
			r->gzip_end = true;
		} else if (rc == Z_BUF_ERROR) {
			/* no progress possible: wait for more input */
			if (zs->avail_in == 0 || (zs->avail_in == in_before &&
			                          zs->avail_out == out_before))
				return;
		} else if (rc != Z_OK) {
			body_fail(r, MG_EINPUT, "invalid gzip body: %s",
			          zs->msg ? zs->msg : "corrupt data");
			return;
		}
	}
}

static void body_feed(mg_req *r, const char *data, size_t n)
{
	r->raw_bytes += n;
	if (r->body_error)
		return;
	if (r->raw_bytes > r->body.max) {
		body_fail(r, MG_ELIMIT, "body larger than %zu bytes",
		          r->body.max);
		return;
	}
	if (r->zs) {
		inflate_some(r, data, n);
		return;
	}
	if (mg_buf_put(&r->body, data, n) < 0)
		body_fail(r, MG_ENOMEM, "out of memory");
}

static bool has_token_ci(const char *list, const char *want)
{
	size_t n = strlen(want);

	while (*list == ' ' || *list == '\t')
		list++;
	return strncasecmp(list, want, n) == 0 &&
	       (list[n] == '\0' || list[n] == ';' || list[n] == ' ');
}

/*
 * Checks before a body is read: media type, encoding, declared length.
 * 1 if an answer was queued (the body is then never read).
 */
static int body_start(mg_req *r)
{
	const char *ctype = mg_req_header(r, "Content-Type");
	const char *enc = mg_req_header(r, "Content-Encoding");
	const char *clen = mg_req_header(r, "Content-Length");
	size_t max = (size_t)r->srv->cfg->max_body;
	int rc;

	if (ctype && !has_token_ci(ctype, "application/json")) {
		mg_http_header(r, "Connection", "close");
		rc = mg_http_error(r, 415, "unsupported_media_type",
		                   "Content-Type",
		                   "expected Content-Type application/json");
		return rc < 0 ? rc : 1;
	}
	if (enc && !has_token_ci(enc, "identity") &&
	    !has_token_ci(enc, "gzip")) {
		mg_http_header(r, "Connection", "close");
		rc = mg_http_error(r, 415, "unsupported_media_type",
		                   "Content-Encoding",
		                   "only gzip bodies are accepted");
		return rc < 0 ? rc : 1;
	}
	if (clen) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(clen, &end, 10);
		if (errno == 0 && *end == '\0' && v > max) {
			mg_http_header(r, "Connection", "close");
			rc = mg_http_error(r, 413, "too_large", NULL,
			                   "body of %llu bytes exceeds the "
			                   "limit of %zu bytes",
			                   v, max);
			return rc < 0 ? rc : 1;
		}
		r->body.max = max;
		/* one allocation for the whole declared body */
		if (errno == 0 && *end == '\0' && v > 0 &&
		    !(enc && has_token_ci(enc, "gzip")))
			mg_buf_grow(&r->body, (size_t)v);
	}
	r->body.max = max;
	if (enc && has_token_ci(enc, "gzip")) {
		z_stream *zs = calloc(1, sizeof(*zs));

		/* 16 + 15: a gzip wrapper around a 32 KiB window */
		if (zs == NULL || inflateInit2(zs, 16 + 15) != Z_OK) {
			free(zs);
			rc = mg_http_error(r, 503, "out_of_memory", NULL,
			                   "out of memory");
			return rc < 0 ? rc : 1;
		}
		r->zs = zs;
	}
	return 0;
}

/* ---- the libmicrohttpd callbacks ----------------------------------------- */

static double ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

double mg_req_elapsed(const mg_req *r)
{
	return ms_since(&r->start) / 1e3;
}

static enum MHD_Result run_handler(mg_req *r)
{
	int rc = r->route->fn(r);

	if (rc == 0 && !r->responded)
		rc = mg_http_error(r, 500, "internal", NULL,
		                   "internal error (request %s)", r->id);
	mg_req_reader_done(r);
	return rc < 0 ? MHD_NO : MHD_YES;
}

static mg_req *req_new(mg_srv *srv, struct MHD_Connection *conn,
                       const char *url, const char *method)
{
	mg_req *r = calloc(1, sizeof(*r));
	uint64_t n;

	if (r == NULL)
		return NULL;
	r->srv = srv;
	r->conn = conn;
	r->url = url;
	r->method = method;
	mg_buf_init(&r->body, 0);
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	n = atomic_fetch_add(&srv->nreq, 1) + 1;
	snprintf(r->id, sizeof(r->id), "%08x-%llx", (unsigned)srv->id_prefix,
	         (unsigned long long)n);
	atomic_fetch_add(&srv->inflight, 1);
	return r;
}

/*
 * Headers are complete. Only uploads are checked now (token, size,
 * encoding), so a refused upload is answered before its body is sent;
 * everything else waits for the final callback, which keeps the
 * connection alive.
 */
static enum MHD_Result first_call(mg_req *r)
{
	int rc;

	route(r);
	if (r->route == NULL || !(r->route->flags & MG_ROUTE_BODY))
		return MHD_YES;
	rc = mg_auth_check(r);
	if (rc == MG_AUTH_OK)
		rc = body_start(r);
	/* no database connection is held while the body trickles in */
	mg_req_reader_done(r);
	return rc < 0 ? MHD_NO : MHD_YES;
}

/* The request is complete: answer it. */
static enum MHD_Result last_call(mg_req *r)
{
	mg_err err = MG_ERR_INIT;
	int rc;

	if (r->route == NULL) {
		rc = route_answer(r);
		return rc < 0 ? MHD_NO : MHD_YES;
	}
	if (!(r->route->flags & MG_ROUTE_BODY)) {
		rc = mg_auth_check(r);
		if (rc != MG_AUTH_OK) {
			mg_req_reader_done(r);
			return rc < 0 ? MHD_NO : MHD_YES;
		}
		return run_handler(r);
	}
	if (r->zs && r->body_error == 0 && r->raw_bytes > 0 && !r->gzip_end)
		body_fail(r, MG_EINPUT, "truncated gzip body");
	if (r->zs && r->body_error == 0 && r->raw_bytes == 0)
		body_fail(r, MG_EINPUT, "empty gzip body");
	if (r->body_error) {
		mg_err_set(&err, r->body_error, "%s", r->body_msg);
		rc = mg_http_fail(r, r->body_error, &err);
		return rc < 0 ? MHD_NO : MHD_YES;
	}
	return run_handler(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *data,
                                  size_t *size, void **con_cls)
{
	mg_srv *srv = cls;
	mg_req *r = *con_cls;

	(void)version;
	if (r == NULL) {
		r = req_new(srv, conn, url, method);
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		return first_call(r);
	}
	if (*size > 0) {
		bool takes_body = r->route && (r->route->flags & MG_ROUTE_BODY);

		if (r->responded || r->body_error || !takes_body) {
			r->raw_bytes += *size;
			/*
			 * Dropped bytes: after a 413, or a body sent where
			 * none belongs. Read on (so the client gets the
			 * answer, not a reset) up to a bound, then close.
			 */
			if (r->raw_bytes / MG_HTTP_DISCARD_FACTOR >
			    (uint64_t)srv->cfg->max_body)
				return MHD_NO;
		} else {
			body_feed(r, data, *size);
		}
		*size = 0;
		return MHD_YES;
	}
	if (r->responded)
		return MHD_YES;
	return last_call(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	mg_srv *srv = cls;
	mg_req *r = *con_cls;
	char path[256];
	bool big;
	size_t i;

	(void)conn;
	if (r == NULL)
		return;
	/* The path as sent, cut and with control bytes masked, for the log. */
	for (i = 0; r->url[i] && i + 1 < sizeof(path); i++)
		path[i] = ((unsigned char)r->url[i] < 0x20 ||
		           (unsigned char)r->url[i] == 0x7f)
		                  ? '?'
		                  : r->url[i];
	path[i] = '\0';
	mg_metrics_request(r->route ? (int)(r->route - mg_routes) : -1,
	                   r->status);
	mg_log(MG_LOG_INFO, "http", "%s %s %s %d %llu %.1fms%s", r->id,
	       r->method, path, r->status, (unsigned long long)r->resp_bytes,
	       ms_since(&r->start),
	       toe == MHD_REQUEST_TERMINATED_COMPLETED_OK   ? ""
	       : toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? " (client closed)"
	       : toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timeout)"
	       : toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? " (shutdown)"
	                                                       : " (aborted)");
	big = r->raw_bytes >= MG_HTTP_TRIM_AFTER;
	req_free(r);
	*con_cls = NULL;
	/*
	 * The last request of a burst of uploads: unless another comes
	 * within a second, drop SQLite's page caches and hand the memory the
	 * bodies and runs used back to the kernel, so an idle server is
	 * small. The next upload re-reads a few pages from the OS page cache.
	 */
	if (atomic_fetch_sub(&srv->inflight, 1) == 1 && big)
		mg_srv_db_release_when_idle(&srv->db);
}

/*
 * Keep paths and query strings raw: segments are decoded one by one
 * after splitting (so %2F stays inside its segment), and query values by
 * mg_req_query.
 */
static size_t unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
        __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	mg_log(MG_LOG_WARN, "mhd", "%s", msg);
}

/* ---- the daemon ---------------------------------------------------------- */

/* Split "host:port" / "[v6]:port" and resolve it (numeric port only). */
static int resolve_listen(const char *listen, struct addrinfo **out,
                          mg_err *err)
{
	struct addrinfo hints;
	char host[256];
	const char *colon = strrchr(listen, ':');
	size_t hlen;
	int rc;

	if (colon == NULL || colon[1] == '\0')
		return mg_err_set(
		        err, MG_EINPUT,
		        "field 'listen': expected host:port, got '%s'", listen);
	hlen = (size_t)(colon - listen);
	if (hlen >= 2 && listen[0] == '[' && listen[hlen - 1] == ']') {
		listen++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return mg_err_set(err, MG_EINPUT,
		                  "field 'listen': host name too long");
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(hlen ? host : NULL, colon + 1, &hints, out);
	if (rc != 0)
		return mg_err_set(err, MG_EINPUT,
		                  "field 'listen': cannot resolve '%s': %s",
		                  listen, gai_strerror(rc));
	return 0;
}

int mg_http_bind(mg_srv *srv, mg_err *err)
{
	struct addrinfo *ai = NULL;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, one = 1, error;

	error = resolve_listen(srv->cfg->listen, &ai, err);
	if (error < 0)
		return error;
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
		error = mg_err_set(err, MG_EIO, "cannot listen on %s: %s",
		                   srv->cfg->listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return error;
	}
	freeaddrinfo(ai);
	srv->listen_fd = fd;
	if (ss.ss_family == AF_INET6)
		srv->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else
		srv->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return 0;
}

int mg_http_start(mg_srv *srv, mg_err *err)
{
	const mg_srv_config *cfg = srv->cfg;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	unsigned flags;

	/*
	 * A thread per connection, not a pool: handlers block (an upload
	 * waits for its group commit, a read for a connection), and a pool
	 * thread serves several connections, so one blocked upload stalled
	 * the others it had accepted (libmicrohttpd's epoll mode accepts a
	 * burst of connections in one thread): four concurrent uploads were
	 * handled one after another and never shared a commit. Measured with
	 * 8 uploaders: 34-39 -> 41-44 runs/s, p99 290-550 -> 245-270 ms; peak
	 * RSS 36-54 -> 70 MiB, as 8 bodies are now parsed at once. The
	 * connection limit bounds the threads; 1 MiB stacks are plenty for
	 * handlers that keep big data on the heap.
	 */
	flags = MHD_USE_INTERNAL_POLLING_THREAD |
	        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL | MHD_USE_ITC |
	        MHD_USE_ERROR_LOG;
	if (getsockname(srv->listen_fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* the logger first, so that no message goes around it */
	srv->daemon = MHD_start_daemon(
	        flags, 0, NULL, NULL, on_request, srv,
	        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)srv->listen_fd,
	        MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1 << 20),
	        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
	        MHD_OPTION_CONNECTION_TIMEOUT,
	        (unsigned)cfg->connection_timeout, MHD_OPTION_NOTIFY_COMPLETED,
	        on_completed, srv, MHD_OPTION_UNESCAPE_CALLBACK, unescape_none,
	        NULL, MHD_OPTION_END);
	if (srv->daemon == NULL)
		return mg_err_set(err, MG_EIO,
		                  "cannot start the HTTP daemon on %s",
		                  cfg->listen);
	return 0;
}

void mg_http_stop(mg_srv *srv, int timeout_s)
{
	struct timespec t0, tick = {0, 20 * 1000000L};
	MHD_socket fd;
	sigset_t sigs;

	if (srv->daemon == NULL)
		return;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	fd = MHD_quiesce_daemon(srv->daemon);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (atomic_load(&srv->inflight) > 0 &&
	       ms_since(&t0) < timeout_s * 1000.0) {
		if (sigtimedwait(&sigs, NULL, &tick) > 0) {
			mg_log(MG_LOG_WARN, "http",
			       "second signal: not waiting for %d requests",
			       atomic_load(&srv->inflight));
			break;
		}
	}
	if (atomic_load(&srv->inflight) > 0)
		mg_log(MG_LOG_WARN, "http",
		       "stopping with %d requests in flight",
		       atomic_load(&srv->inflight));
	MHD_stop_daemon(srv->daemon);
	srv->daemon = NULL;
	/* quiesced: the listening socket is ours to close, after the stop */
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	srv->listen_fd = -1;
}

int mg_req_query_sha(mg_req *r, const char *name, const char **out, mg_err *err)
{
	int error = mg_req_query(r, name, MG_SHA_HEX, out, err);

	if (error == 0 && *out && !mg_sha_is_valid(*out))
		error = mg_err_set(err, MG_EINPUT,
		                   "field '%s': expected 40 lower-case hex "
		                   "digits",
		                   name);
	return error;
}
