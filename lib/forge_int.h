/*
 * forge_int.h - the request loop shared by github.c and gitlab.c: one
 * HTTP client, the API base URL, the User-Agent and the retry policy, and
 * a send function that retries per the policy and classifies the result
 * (forge.h's table). Not for use outside the forge clients.
 */
#ifndef MG_FORGE_INT_H
#define MG_FORGE_INT_H

#include "forge.h"
#include "httpc.h"

typedef struct mg_forge_http {
	enum mg_forge_kind kind; /* whose error bodies and rate limits */
	mg_httpc *http;          /* one curl handle: reused connections */
	char *base;              /* API base URL, no trailing slash */
	char *agent;             /* "User-Agent: ..." header line */
	mg_forge_policy policy;  /* with the defaults filled in */
} mg_forge_http;

/* Longest API base URL accepted (a GHES host name and path fit easily). */
#define MG_FORGE_MAX_BASE_URL 1024

/*
 * Validate and copy the base URL (http:// or https://, no query, no
 * fragment, no trailing slash kept), the user agent (NULL:
 * "memgate/<version>") and the policy (NULL or zeros: defaults).
 */
int mg_forge__http_init(mg_forge_http *h, enum mg_forge_kind kind,
                        const char *base, const char *agent,
                        const mg_forge_policy *policy, mg_err *err);
void mg_forge__http_release(mg_forge_http *h);

typedef struct mg_forge_call {
	const char *method;         /* "GET", "POST", "PATCH", "PUT" */
	const char *url;            /* absolute, below h->base */
	const char *const *headers; /* besides User-Agent and Content-Type */
	size_t nheaders;
	const char *body;    /* JSON (sent with Content-Type), or NULL */
	size_t max_response; /* 0: MG_HTTPC_RESPONSE_MAX */
	int attempts;        /* 0: the policy's; 1: no retry */
	/*
	 * Send on a new connection. libcurl silently sends a request
	 * again when a reused connection turns out dead before any answer
	 * arrives; for a POST that creates something, the first copy may
	 * have been applied already (a duplicate comment). A connection of
	 * its own is never "reused", so curl never repeats it behind our
	 * back and the caller's list-then-create retry decides instead.
	 */
	bool fresh_connection;
} mg_forge_call;

/*
 * Send call, retrying MG_FORGE_RETRY outcomes with backoff and jitter and
 * sleeping through rate limits up to policy.max_wait_ms, until it
 * succeeds or the tries are used up. res (not reset: requests add up
 * across the calls of one operation) gets the outcome, status, message
 * and retry time of the last try; resp keeps the last response.
 * Returns 0 on a 2xx; otherwise MG_ENET (retry), MG_EUPSTREAM (refused or
 * rate limited), MG_EAUTH (401), MG_ENOMEM, with err saying
 * "<forge>: <METHOD> <path>: <status> <message>".
 */
int mg_forge__send(mg_forge_http *h, mg_forge_result *res, mg_httpc_resp *resp,
                   const mg_forge_call *call, mg_err *err);

/*
 * Record a failure decided before or after the HTTP exchange (arguments
 * we refuse, a response we cannot read): sets res->outcome and message
 * and err with the same text; returns code.
 */
int mg_forge__fail(mg_forge_result *res, enum mg_forge_outcome outcome,
                   int code, mg_err *err, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));

/* Sleep ms (early return once *cancel is set). */
void mg_forge__sleep_ms(int64_t ms, volatile sig_atomic_t *cancel);
/* A uniform number in [0, 1) (OpenSSL's RAND_bytes). */
double mg_forge__rand_unit(void);

/*
 * Append s to out percent-encoded (everything but RFC 3986 unreserved
 * characters), for path segments such as GitLab's "group%2Fproject".
 */
int mg_forge__put_escaped(mg_buf *out, const char *s);

/* Whether s is 40 or 64 hex digits (a SHA-1 or SHA-256 object name). */
bool mg_forge__is_sha(const char *s);
/* Whether s is one non-empty line of at most max bytes. */
bool mg_forge__line_ok(const char *s, size_t max);
/* Whether u is an http(s) URL of at most max bytes without blanks. */
bool mg_forge__url_ok(const char *u, size_t max);
/* Whether body starts with marker (after leading blank lines). */
bool mg_forge__has_marker(const char *body, const char *marker);
/*
 * The marker on its own first line (unless body starts with it), then
 * body, cut to max_units with tail appended when cut. MG_ENOMEM.
 */
int mg_forge__marked_body(mg_buf *out, const char *marker, const char *body,
                          size_t max_units, const char *tail);
/* The numeric "id" member of a JSON answer, 0 if absent. */
int64_t mg_forge__answer_id(const mg_httpc_resp *resp);
/*
 * After try number `round` failed with res: whether to try again (a
 * transient failure or a rate limit short enough for the policy, tries
 * left, not cancelled) and after how many ms (*wait).
 */
bool mg_forge__retry_wait(const mg_forge_http *h, const mg_forge_result *res,
                          int round, int attempts, int64_t *wait);

/* Sends one call the forge's way (its authentication headers). */
typedef int (*mg_forge_send_fn)(void *ctx, mg_forge_result *res,
                                mg_httpc_resp *resp, const mg_forge_call *call,
                                mg_err *err);

/* A paginated list of comments (GitHub) or notes (GitLab) to search. */
typedef struct mg_forge_find {
	mg_forge_send_fn send;
	void *ctx;
	const char *base;    /* the API base: next-page links stay below it */
	const char *url;     /* the first page */
	int max_pages;       /* pages read at most */
	size_t max_response; /* bytes of one page */
	const char *marker;
	bool skip_system;  /* ignore items with "system": true (GitLab) */
	const char *where; /* for messages: "github: acme/x#12" */
	const char *item;  /* "comment" or "note" */
} mg_forge_find;

/*
 * Walk the pages (following Link: rel="next") until an item whose body
 * starts with the marker; *id gets its id, 0 when none has it. Errors as
 * mg_forge__send, or MG_ELIMIT / MG_EUPSTREAM (not an array, a next link
 * leaving the base) with res PERMANENT.
 */
int mg_forge__find_marked(const mg_forge_find *f, mg_forge_result *res,
                          int64_t *id, mg_err *err);

#endif
