/*
 * httpc.h - a small HTTP client on libcurl, shared by the collector's
 * upload and the server's GitHub client: one request (method, URL,
 * headers, an optional gzip-compressed body, timeouts) and its response
 * (status, the headers of the final response, a body captured up to a
 * cap), plus the retry policy both callers follow: exponential backoff
 * with jitter on connection errors, 408, 429 and 5xx, honouring
 * Retry-After (delta-seconds or HTTP-date).
 *
 * A client (mg_httpc) keeps one curl handle, so consecutive requests to
 * the same host reuse the connection; use a client from one thread at a
 * time. Nothing here prints: failures come back as MG_E* codes with the
 * message in mg_err, and the retry loop reports each retry through a
 * callback so the binaries can log it. Redirects are not followed (a
 * bearer token must not travel to another host) and only http and https
 * are allowed.
 */
#ifndef MG_HTTPC_H
#define MG_HTTPC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Connecting longer than this means the host is down or unreachable. */
#define MG_HTTPC_CONNECT_TIMEOUT_MS 10000
/* Whole request when the caller sets none: a 64 MiB upload at ~2 MB/s. */
#define MG_HTTPC_DEFAULT_TIMEOUT_MS 60000
/*
 * Response body kept when the caller sets no cap: JSON replies of our
 * server and of the GitHub API (a page of 100 items) stay far below.
 */
#define MG_HTTPC_RESPONSE_MAX ((size_t)4 << 20)
/* Request headers besides the ones the client adds itself. */
#define MG_HTTPC_MAX_HEADERS 32
/* Response headers kept (GitHub sends about 25); the rest are dropped. */
#define MG_HTTPC_MAX_RESP_HEADERS 64
/* One response header line; longer ones are dropped, not truncated. */
#define MG_HTTPC_MAX_HEADER_LINE 8192
/* Request body before compression: the server's limit (MG_RUNJSON_MAX_INPUT). */
#define MG_HTTPC_MAX_BODY ((size_t)64 << 20)
/* Retry-After larger than this (one day) is refused as nonsense. */
#define MG_HTTPC_MAX_RETRY_AFTER_S 86400

enum mg_httpc_flags {
	MG_HTTPC_GZIP = 1 << 0, /* gzip the body, send Content-Encoding */
};

typedef struct mg_httpc mg_httpc; /* opaque: one curl handle */

typedef struct mg_httpc_req {
	const char *method;         /* "GET", "POST", "PUT", ... */
	const char *url;            /* http:// or https:// */
	const char *const *headers; /* "Name: value" strings, or NULL */
	size_t nheaders;            /* at most MG_HTTPC_MAX_HEADERS */
	const void *body;           /* request body, NULL: none */
	size_t body_len;            /* at most MG_HTTPC_MAX_BODY */
	unsigned flags;             /* enum mg_httpc_flags */
	int64_t timeout_ms;  /* whole request; 0: MG_HTTPC_DEFAULT_TIMEOUT_MS */
	size_t max_response; /* body cap; 0: MG_HTTPC_RESPONSE_MAX */
} mg_httpc_req;

typedef struct mg_httpc_header {
	char *name;  /* as received, e.g. "Retry-After" */
	char *value; /* trimmed of surrounding blanks */
} mg_httpc_header;

typedef struct mg_httpc_resp {
	long status;              /* HTTP status; 0: no response */
	mg_buf body;              /* the response body, NUL-terminated */
	mg_httpc_header *headers; /* of the final response only */
	size_t nheaders;
	/* GitHub's rate limit headers, -1 when absent or not a number. */
	int64_t ratelimit_limit;     /* x-ratelimit-limit */
	int64_t ratelimit_remaining; /* x-ratelimit-remaining */
	int64_t ratelimit_used;      /* x-ratelimit-used */
	int64_t ratelimit_reset;     /* x-ratelimit-reset, unix seconds */
	int64_t retry_after_ms;      /* parsed Retry-After, -1 absent/invalid */
} mg_httpc_resp;

/*
 * Initialise libcurl once per process, before any thread starts (libcurl
 * requires it). Without it the first request initialises libcurl: safe in
 * memgate-server, whose server/curl_lazy.c loads and initialises libcurl
 * once under pthread_once, not in a program linking libcurl directly.
 * MG_EINTERNAL on failure.
 */
int mg_httpc_global_init(mg_err *err);
void mg_httpc_global_cleanup(void);

/* A new client; free it with mg_httpc_free (NULL is a no-op). */
int mg_httpc_new(mg_httpc **out, mg_err *err);
void mg_httpc_free(mg_httpc *c);

void mg_httpc_resp_init(mg_httpc_resp *r);
/* Free what a response holds and initialise it again. */
void mg_httpc_resp_release(mg_httpc_resp *r);
/* The value of response header `name` (case-insensitive), or NULL. */
const char *mg_httpc_resp_header(const mg_httpc_resp *r, const char *name);

/*
 * Send one request and receive its response into resp (released and
 * refilled). Any HTTP status is a success of this function: check
 * resp->status. Errors: MG_EINPUT for a bad request (URL, method, too
 * many headers, body over MG_HTTPC_MAX_BODY); MG_ENET when no complete
 * response arrived (connection refused, DNS, TLS, timeout, reset), with
 * resp->status 0; MG_ELIMIT when the body exceeded the cap (resp->status
 * and headers are set, the body holds the first bytes); MG_ENOMEM.
 * Messages name the method and the URL without credentials.
 */
int mg_httpc_do(mg_httpc *c, mg_httpc_resp *resp, const mg_httpc_req *req,
                mg_err *err);

/*
 * Gzip `len` bytes (RFC 1952, what Content-Encoding: gzip means) onto out.
 * MG_ELIMIT if out->max is hit, MG_ENOMEM, MG_EINTERNAL for a zlib error.
 */
int mg_httpc_gzip(mg_buf *out, const void *data, size_t len, mg_err *err);

/*
 * Parse a Retry-After value (RFC 9110 section 10.2.3): delta-seconds, or
 * an HTTP-date in any of the three forms recipients must accept
 * (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday,
 * 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994"). A date is
 * turned into a delay from now_unix (seconds); a date in the past is 0.
 * *out_ms gets the delay in ms. MG_EINPUT for anything else or a delay
 * over MG_HTTPC_MAX_RETRY_AFTER_S.
 */
int mg_httpc_parse_retry_after(int64_t *out_ms, const char *value,
                               int64_t now_unix, mg_err *err);

typedef struct mg_httpc_retry {
	int attempts;    /* tries in all, >= 1 (1: no retry) */
	int64_t base_ms; /* backoff before the first retry */
	int64_t max_ms;  /* largest backoff; doubling stops here */
	double jitter;   /* 0..1: that fraction of each delay is random */
	/*
	 * The longest Retry-After honoured; a server asking for more is
	 * not retried (waiting that long would only stall a CI job).
	 */
	int64_t retry_after_max_ms;
	/* Stop retrying once set (a SIGINT handler's flag); NULL: never. */
	volatile sig_atomic_t *cancel;
} mg_httpc_retry;

/*
 * Defaults for uploads: 5 tries over about 0.5 + 1 + 2 + 4 s with half
 * of each delay random, Retry-After honoured up to 2 minutes.
 */
#define MG_HTTPC_RETRY_DEFAULT                                                 \
	{                                                                      \
		5, 500, 30000, 0.5, 120000, NULL                               \
	}

/*
 * Whether a request is worth repeating: no response (MG_ENET), or status
 * 408 (request timeout), 429 (too many requests) or 5xx other than 501
 * and 505 (not implemented, version not supported: repeating cannot
 * help). 4xx mean the request itself is wrong.
 */
bool mg_httpc_is_retryable(int error, long status);

/*
 * The delay before retry number `retry` (1: the first retry): base_ms *
 * 2^(retry-1), at most max_ms; `jitter` of it is scaled by u (uniform in
 * [0, 1), the caller's random number) so that many clients that failed
 * together do not come back together ("equal jitter": the delay is in
 * [d * (1 - jitter), d)). A Retry-After (retry_after_ms >= 0) overrides
 * the backoff when longer, without jitter: the server said when.
 */
int64_t mg_httpc_retry_delay(const mg_httpc_retry *p, int retry,
                             int64_t retry_after_ms, double u);

/*
 * Called before each retry with what failed (error and err of the last
 * try, or the status it got) and the delay about to be slept.
 */
typedef void (*mg_httpc_retry_cb)(void *ctx, int retry, int64_t delay_ms,
                                  int error, long status, const mg_err *err);

/*
 * mg_httpc_do, repeated per the policy while mg_httpc_is_retryable says
 * so. Returns what the last try returned, with resp holding the last
 * response: a caller tells "gave up" by an MG_ENET error or a retryable
 * resp->status. A Retry-After above p->retry_after_max_ms ends the
 * retries early, and so does p->cancel (checked after each try and
 * during the sleep). `cb` may be NULL. Sleeps with nanosleep; jitter comes
 * from OpenSSL's RAND_bytes.
 */
int mg_httpc_do_retry(mg_httpc *c, mg_httpc_resp *resp, const mg_httpc_req *req,
                      const mg_httpc_retry *p, mg_httpc_retry_cb cb, void *ctx,
                      mg_err *err);

#endif
