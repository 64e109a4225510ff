/*
 * http.h - the libmicrohttpd glue of memgate-server: the daemon, the
 * route table, one mg_req per request and the helpers handlers answer
 * with.
 *
 * A request's life: on the first callback (headers complete) the route
 * is matched, the token checked and, for routes with a body, its size
 * (Content-Length) checked against max_body; then the body is collected
 * (inflated when Content-Encoding is gzip, the limit applying after
 * inflation too); then the handler runs and queues exactly one answer.
 * Everything a request allocates hangs off its mg_req and is freed from
 * the completion callback, which also writes the access log line and
 * counts the request in the metrics.
 *
 * Paths: segments are split on '/' first and percent-decoded after, so
 * a project "owner/repo" is one segment written owner%2Frepo:
 *   /api/v1/projects/owner%2Frepo/runs/12
 */
#ifndef MG_SRV_HTTP_H
#define MG_SRV_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "buf.h"
#include "err.h"
#include "store.h"

struct MHD_Connection;
typedef struct mg_srv mg_srv;
typedef struct mg_req mg_req;

/* Path segments of a route (ours have at most 8). */
#define MG_HTTP_MAX_SEGMENTS 16
/* Arena block for a request's small allocations (params, headers). */
#define MG_HTTP_ARENA_BLOCK 4096
/*
 * A body over the limit is read and dropped until this multiple of the
 * limit, so that a client without Content-Length (chunked) still gets
 * its 413: libmicrohttpd 0.9 cannot answer while a body is still
 * arriving. Past it the connection is closed: a bound on what a client
 * can make us read for nothing.
 */
#define MG_HTTP_DISCARD_FACTOR 4
/*
 * After a request body at least this large, the server returns freed
 * memory to the kernel once no request is in flight (malloc_trim): a
 * run upload is a few MB, a read request a few hundred bytes.
 */
#define MG_HTTP_TRIM_AFTER (256 * 1024)
/* The longest Authorization header value we look at. */
#define MG_HTTP_MAX_AUTH 256

enum mg_route_auth {
	MG_ROUTE_PUBLIC = 0, /* no token, ever (/healthz, /metrics) */
	MG_ROUTE_READ = 1,   /* a token unless public_read is on */
	MG_ROUTE_WRITE = 2,  /* always a token */
};

enum mg_route_flags {
	MG_ROUTE_BODY = 1 << 0, /* takes a request body (up to max_body) */
};

/*
 * A handler queues one answer with the mg_http_* helpers and returns
 * their result: 0, or a negative value when the answer could not be
 * queued (the connection is then closed).
 */
typedef int (*mg_handler)(mg_req *r);

typedef struct mg_route {
	const char *method;  /* "GET" (HEAD matches it too), "POST" */
	const char *pattern; /* "/api/v1/projects/{p}/runs/{id}" */
	enum mg_route_auth auth;
	unsigned flags; /* enum mg_route_flags */
	mg_handler fn;
} mg_route;

/* routes.c: the table, matched in order. */
extern const mg_route mg_routes[];
extern const size_t mg_nroutes;

struct mg_req_header;

struct mg_req {
	mg_srv *srv;
	struct MHD_Connection *conn;
	char id[24];           /* request id, also in X-Request-Id */
	const char *method;    /* libmicrohttpd's, valid for the request */
	const char *url;       /* raw (still percent-encoded) path */
	const mg_route *route; /* NULL when nothing matched */
	int route_status;      /* why nothing matched: 400, 404, 405, 503 */
	char allow[64];        /* methods of the path, for a 405 */
	const char *param_names[MG_HTTP_MAX_SEGMENTS];
	char *params[MG_HTTP_MAX_SEGMENTS]; /* decoded {name} segments */
	size_t nparams;
	struct timespec start; /* monotonic, at the first callback */
	/* body */
	mg_buf body;        /* collected (and inflated) body */
	void *zs;           /* z_stream while inflating gzip, else NULL */
	bool gzip_end;      /* the gzip stream ended cleanly */
	uint64_t raw_bytes; /* body bytes received off the wire */
	int body_error;     /* MG_ELIMIT / MG_EINPUT once the body failed */
	char body_msg[128]; /* what failed */
	/* auth */
	bool has_token;      /* token verified (token is filled) */
	mg_token_info token; /* the caller's token */
	mg_store *reader;    /* borrowed from the pool, see mg_req_reader */
	/* answer */
	bool responded;
	int status;
	uint64_t resp_bytes;
	struct mg_req_header *headers; /* extra answer headers */
	void *arena;                   /* chunks of small allocations */
};

/*
 * Bind and listen on cfg->listen (srv->port gets the bound port, useful
 * with port 0), then start the daemon on that socket. Separate steps so
 * srv->base_url can be set from the port before the first request.
 */
int mg_http_bind(mg_srv *srv, mg_err *err);
int mg_http_start(mg_srv *srv, mg_err *err);
/*
 * Stop accepting, wait up to timeout_s for in-flight requests (a SIGINT
 * or SIGTERM arriving meanwhile cuts the wait short), then stop.
 */
void mg_http_stop(mg_srv *srv, int timeout_s);

/* Seconds since the request's first callback. */
double mg_req_elapsed(const mg_req *r);

/* Small allocations freed with the request; NULL on ENOMEM. */
void *mg_req_alloc(mg_req *r, size_t n);
char *mg_req_strndup(mg_req *r, const char *s, size_t n);

/* The decoded value of route parameter `name` ("p", "id"), or NULL. */
const char *mg_req_param(mg_req *r, const char *name);
/* A request header, or NULL. */
const char *mg_req_header(mg_req *r, const char *name);
/*
 * Query parameter `name`, percent-decoded ('+' is a space): *out NULL
 * when absent. MG_EINPUT (err names the field) for bad encoding, a NUL,
 * or more than max_len bytes.
 */
int mg_req_query(mg_req *r, const char *name, size_t max_len, const char **out,
                 mg_err *err);
/* The same for a commit sha: 40 lower-case hex digits, or MG_EINPUT. */
int mg_req_query_sha(mg_req *r, const char *name, const char **out,
                     mg_err *err);
/* An integer query parameter within [min, max]; def when absent. */
int mg_req_query_int(mg_req *r, const char *name, int64_t def, int64_t min,
                     int64_t max, int64_t *out, mg_err *err);

/*
 * This request's read connection, taken from the pool on first use and
 * returned when the request ends (or by mg_req_reader_done). NULL (and
 * err set, MG_ELIMIT) if the pool stayed empty too long.
 */
mg_store *mg_req_reader(mg_req *r, mg_err *err);
/*
 * The same, for a read of history points: once the points of every run
 * it can see are written (mg_srv_history_sync). NULL with err set
 * (MG_ELIMIT: answer 503) otherwise.
 */
mg_store *mg_req_history_reader(mg_req *r, mg_err *err);
void mg_req_reader_done(mg_req *r);

/* Add a header to the answer (copied). */
int mg_http_header(mg_req *r, const char *name, const char *value);

/*
 * Queue the answer. mg_http_reply takes ownership of `data` (malloc'd,
 * may be NULL when len is 0); mg_http_json takes over the buffer.
 */
int mg_http_reply(mg_req *r, int status, const char *content_type, void *data,
                  size_t len);
int mg_http_json(mg_req *r, int status, mg_buf *body);
/*
 * A JSON error answer: {"error": {"code", "message", "field"}} (field
 * omitted when NULL).
 */
int mg_http_error(mg_req *r, int status, const char *code, const char *field,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * Answer for an MG_E* failure: the status and code follow from the
 * error (400 input, 401 auth, 404 not found, 409 conflict, 413 limit,
 * 503 busy or out of memory with Retry-After, 500 otherwise), the field
 * from "field 'x'" in the message. Messages of 500s are logged, not
 * sent.
 */
int mg_http_fail(mg_req *r, int error, const mg_err *err);

/* Extract "x" from a message containing "field 'x'" into buf; NULL if none. */
const char *mg_http_field_of(const char *msg, char *buf, size_t n);

/* Percent-encode s for one path segment into out. */
int mg_http_escape_segment(mg_buf *out, const char *s);

#endif
