/*
 * httpc.c - the libcurl client behind mg_httpc_do, gzip request bodies,
 * Retry-After parsing and the retry loop. See httpc.h for the contract.
 *
 * Response headers are collected by curl's header callback, which sees
 * the headers of every response of a transfer (a "100 Continue" first,
 * for instance): a status line clears what was collected, so the list
 * holds the final response's headers only.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>

#include <curl/curl.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "httpc.h"
#include "version.h"

/* Longest method name accepted ("OPTIONS" is 7). */
#define METHOD_MAX 16

struct mg_httpc {
	CURL *curl;                   /* reused: keeps connections alive */
	char errbuf[CURL_ERROR_SIZE]; /* curl's message for the last error */
};

/* State of one transfer, shared with curl's callbacks. */
struct xfer {
	mg_httpc_resp *resp; /* where the response goes */
	bool over_cap;       /* the body hit resp->body.max */
	bool oom;            /* an allocation failed in a callback */
};

int mg_httpc_global_init(mg_err *err)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		return mg_err_set(err, MG_EINTERNAL, "libcurl: %s",
		                  curl_easy_strerror(rc));
	return 0;
}

void mg_httpc_global_cleanup(void)
{
	curl_global_cleanup();
}

int mg_httpc_new(mg_httpc **out, mg_err *err)
{
	mg_httpc *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	/*
	 * The curl handle waits for the first request: memgate-server
	 * makes its forge clients at start but loads libcurl only when it
	 * sends something (server/curl_lazy.c).
	 */
	*out = c;
	return 0;
}

void mg_httpc_free(mg_httpc *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	free(c);
}

static void clear_headers(mg_httpc_resp *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

void mg_httpc_resp_init(mg_httpc_resp *r)
{
	memset(r, 0, sizeof(*r));
	mg_buf_init(&r->body, MG_HTTPC_RESPONSE_MAX);
	r->ratelimit_limit = -1;
	r->ratelimit_remaining = -1;
	r->ratelimit_used = -1;
	r->ratelimit_reset = -1;
	r->retry_after_ms = -1;
}

void mg_httpc_resp_release(mg_httpc_resp *r)
{
	clear_headers(r);
	mg_buf_release(&r->body);
	mg_httpc_resp_init(r);
}

const char *mg_httpc_resp_header(const mg_httpc_resp *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	int error = mg_buf_put(&x->resp->body, data, n);

	(void)size; /* always 1 */
	if (error == MG_ELIMIT)
		x->over_cap = true;
	else if (error < 0)
		x->oom = true;
	return error < 0 ? 0 : n;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct xfer *x = ctx;
	mg_httpc_resp *r = x->resp;
	mg_httpc_header *h;
	mg_slice line = {data, n}, name, value;
	const char *colon;

	(void)size; /* always 1 */
	if (n >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new response begins: keep only the last one's headers. */
		clear_headers(r);
		return n;
	}
	while (line.len && is_blank(line.ptr[line.len - 1]))
		line.len--;
	colon = line.len ? memchr(line.ptr, ':', line.len) : NULL;
	if (colon == NULL || colon == line.ptr ||
	    line.len > MG_HTTPC_MAX_HEADER_LINE ||
	    r->nheaders == MG_HTTPC_MAX_RESP_HEADERS)
		return n;
	name = (mg_slice){line.ptr, (size_t)(colon - line.ptr)};
	value = mg_slice_trim((mg_slice){
	        colon + 1, line.len - (size_t)(colon + 1 - line.ptr)});
	if (r->nheaders == 0) {
		r->headers = calloc(MG_HTTPC_MAX_RESP_HEADERS, sizeof(*h));
		if (r->headers == NULL) {
			x->oom = true;
			return 0;
		}
	}
	h = &r->headers[r->nheaders];
	h->name = mg_slice_dup(name);
	h->value = mg_slice_dup(value);
	if (h->name == NULL || h->value == NULL) {
		free(h->name);
		free(h->value);
		x->oom = true;
		return 0;
	}
	r->nheaders++;
	return n;
}

/*
 * Copy url into out for messages, with user:password@ and the query
 * replaced: either may carry a credential, which must not be logged.
 */
static void redact_url(char *out, size_t size, const char *url)
{
	const char *scheme = strstr(url, "://");
	const char *auth, *end, *at = NULL, *p;

	if (scheme == NULL) {
		snprintf(out, size, "%.200s", url);
		return;
	}
	auth = scheme + 3;
	end = auth + strcspn(auth, "/?#");
	for (p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at)
		auth = at + 1;
	p = end + strcspn(end, "?#");
	snprintf(out, size, "%.*s%s%.*s%s", (int)(scheme + 3 - url), url,
	         at ? "***@" : "",
	         (int)(p - auth) > 200 ? 200 : (int)(p - auth), auth,
	         *p == '?' ? "?..." : "");
}

static bool method_ok(const char *m)
{
	size_t i;

	for (i = 0; m[i]; i++)
		if (i == METHOD_MAX || !isupper((unsigned char)m[i]))
			return false;
	return i > 0;
}

/* A header line we pass on must be one line with a name. */
static bool header_ok(const char *h)
{
	const char *colon = strchr(h, ':');

	return colon && colon != h && strpbrk(h, "\r\n") == NULL;
}

static int64_t header_int(const mg_httpc_resp *r, const char *name)
{
	const char *v = mg_httpc_resp_header(r, name);
	char *end = NULL;
	long long n;

	if (v == NULL || !isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return n;
}

/* Fill the response fields that mirror headers both callers need. */
static void parse_known_headers(mg_httpc_resp *r)
{
	const char *ra = mg_httpc_resp_header(r, "retry-after");
	int64_t ms;

	r->ratelimit_limit = header_int(r, "x-ratelimit-limit");
	r->ratelimit_remaining = header_int(r, "x-ratelimit-remaining");
	r->ratelimit_used = header_int(r, "x-ratelimit-used");
	r->ratelimit_reset = header_int(r, "x-ratelimit-reset");
	if (ra &&
	    mg_httpc_parse_retry_after(&ms, ra, (int64_t)time(NULL), NULL) == 0)
		r->retry_after_ms = ms;
}

static int add_header(struct curl_slist **list, const char *h, mg_err *err)
{
	struct curl_slist *l = curl_slist_append(*list, h);

	if (l == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	*list = l;
	return 0;
}

static int check_req(const mg_httpc_req *req, mg_err *err)
{
	size_t i;

	if (req->method == NULL || !method_ok(req->method))
		return mg_err_set(err, MG_EINPUT, "invalid HTTP method '%.20s'",
		                  req->method ? req->method : "");
	if (req->url == NULL || (strncmp(req->url, "http://", 7) != 0 &&
	                         strncmp(req->url, "https://", 8) != 0))
		return mg_err_set(err, MG_EINPUT,
		                  "URL must start with http:// or https://");
	if (req->nheaders > MG_HTTPC_MAX_HEADERS)
		return mg_err_set(err, MG_EINPUT,
		                  "more than %d request headers",
		                  MG_HTTPC_MAX_HEADERS);
	for (i = 0; i < req->nheaders; i++)
		if (!header_ok(req->headers[i]))
			return mg_err_set(err, MG_EINPUT,
			                  "request header %zu is not one "
			                  "'Name: value' line",
			                  i);
	if (req->body_len > MG_HTTPC_MAX_BODY)
		return mg_err_set(err, MG_EINPUT,
		                  "request body of %zu bytes is over the limit "
		                  "of %zu",
		                  req->body_len, MG_HTTPC_MAX_BODY);
	return 0;
}

/* Set curl's options for req; the body and headers stay owned by caller. */
static int setup(mg_httpc *c, struct xfer *x, const mg_httpc_req *req,
                 const mg_buf *body, struct curl_slist *headers)
{
	CURL *h = c->curl;
	char agent[64]; /* curl copies string options */
	CURLcode rc = CURLE_OK;
	bool has_body = req->body != NULL;

	snprintf(agent, sizeof(agent), "memgate/%s", mg_version());
	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	/* Any failing setopt is reported as one error below. */
	rc |= curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	rc |= curl_easy_setopt(h, CURLOPT_URL, req->url);
	rc |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	rc |= curl_easy_setopt(h, CURLOPT_PROTOCOLS,
	                       (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	rc |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	rc |= curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	                       (long)MG_HTTPC_CONNECT_TIMEOUT_MS);
	rc |= curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	                       (long)(req->timeout_ms > 0
	                                      ? req->timeout_ms
	                                      : MG_HTTPC_DEFAULT_TIMEOUT_MS));
	rc |= curl_easy_setopt(h, CURLOPT_USERAGENT, agent);
	rc |= curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	rc |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	rc |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	rc |= curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	if (strcmp(req->method, "HEAD") == 0)
		rc |= curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(req->method, "GET") != 0 || has_body)
		rc |= curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (has_body || strcmp(req->method, "POST") == 0) {
		rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		                       (curl_off_t)body->len);
		rc |= curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->ptr);
	}
	return rc == CURLE_OK ? 0 : MG_EINTERNAL;
}

static int map_curl_error(CURLcode rc)
{
	switch (rc) {
	case CURLE_OUT_OF_MEMORY:
		return MG_ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return MG_EINPUT;
	default:
		return MG_ENET;
	}
}

int mg_httpc_do(mg_httpc *c, mg_httpc_resp *resp, const mg_httpc_req *req,
                mg_err *err)
{
	struct curl_slist *headers = NULL;
	mg_buf body = MG_BUF_INIT(MG_BUF_NOLIMIT);
	struct xfer x = {resp, false, false};
	char where[300];
	CURLcode rc;
	long status = 0;
	size_t i;
	int error;

	mg_httpc_resp_release(resp);
	if (req->max_response)
		resp->body.max = req->max_response;
	error = check_req(req, err);
	if (error < 0)
		return error;
	redact_url(where, sizeof(where), req->url);
	if (c->curl == NULL)
		c->curl = curl_easy_init();
	/*
	 * A linked libcurl fails here only when its global init or an
	 * allocation did; server/curl_lazy.c also when libcurl cannot be
	 * loaded, and then its curl_easy_strerror says why.
	 */
	if (c->curl == NULL)
		return mg_err_set(err, MG_EINTERNAL,
		                  "%s %s: cannot create a libcurl handle: %s",
		                  req->method, where,
		                  curl_easy_strerror(CURLE_FAILED_INIT));
	if (req->body && (req->flags & MG_HTTPC_GZIP)) {
		error = mg_httpc_gzip(&body, req->body, req->body_len, err);
		if (error == 0)
			error = add_header(&headers, "Content-Encoding: gzip",
			                   err);
	} else if (req->body) {
		/* Borrowed, never written: curl only reads POSTFIELDS. */
		body.ptr = (char *)req->body;
		body.len = req->body_len;
	}
	/* No "Expect: 100-continue" round trip before larger bodies. */
	if (error == 0)
		error = add_header(&headers, "Expect:", err);
	for (i = 0; error == 0 && i < req->nheaders; i++)
		error = add_header(&headers, req->headers[i], err);
	if (error < 0)
		goto cleanup;
	if (setup(c, &x, req, &body, headers) < 0) {
		error = mg_err_set(err, MG_EINTERNAL,
		                   "%s %s: libcurl refused an option",
		                   req->method, where);
		goto cleanup;
	}
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (x.oom) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (rc != CURLE_OK && !x.over_cap) {
		clear_headers(resp);
		error = mg_err_set(err, map_curl_error(rc), "%s %s: %s",
		                   req->method, where,
		                   c->errbuf[0] ? c->errbuf
		                                : curl_easy_strerror(rc));
		goto cleanup;
	}
	resp->status = status;
	parse_known_headers(resp);
	if (x.over_cap)
		error = mg_err_set(err, MG_ELIMIT,
		                   "%s %s: response body larger than %zu bytes",
		                   req->method, where, resp->body.max);

cleanup:
	curl_slist_free_all(headers);
	if (req->body && (req->flags & MG_HTTPC_GZIP))
		mg_buf_release(&body);
	return error;
}

int mg_httpc_gzip(mg_buf *out, const void *data, size_t len, mg_err *err)
{
	z_stream zs;
	size_t start = out->len;
	uLong bound;
	int zrc, error;

	if (len > UINT_MAX)
		return mg_err_set(err, MG_ELIMIT, "gzip: input too large");
	memset(&zs, 0, sizeof(zs));
	/* 15 + 16: a gzip wrapper (RFC 1952) around a 32 KiB-window deflate. */
	zrc = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	                   Z_DEFAULT_STRATEGY);
	if (zrc != Z_OK)
		return mg_err_set(err,
		                  zrc == Z_MEM_ERROR ? MG_ENOMEM : MG_EINTERNAL,
		                  "gzip: cannot initialise zlib");
	bound = deflateBound(&zs, (uLong)len);
	error = mg_buf_grow(out, bound);
	if (error < 0) {
		deflateEnd(&zs);
		return mg_err_set(err, error,
		                  error == MG_ELIMIT ? "gzip: output too large"
		                                     : "out of memory");
	}
	zs.next_in = (Bytef *)data;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out->ptr + start;
	zs.avail_out = (uInt)bound;
	/* The buffer holds deflateBound bytes, so one call finishes. */
	zrc = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (zrc != Z_STREAM_END) {
		out->ptr[start] = '\0';
		return mg_err_set(err, MG_EINTERNAL,
		                  "gzip: deflate failed (%d)", zrc);
	}
	out->len = start + zs.total_out;
	out->ptr[out->len] = '\0';
	return 0;
}

/* Retry-After dates. */

static const char *const wkday[] = {"Mon", "Tue", "Wed", "Thu",
                                    "Fri", "Sat", "Sun"};
static const char *const weekday[] = {"Monday",   "Tuesday", "Wednesday",
                                      "Thursday", "Friday",  "Saturday",
                                      "Sunday"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Consume the literal lit at *p. */
static bool lit(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/* Consume exactly n digits at *p into *v. */
static bool digits(const char **p, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return true;
}

/* Consume one name of the table; *idx gets its position. */
static bool name_of(const char **p, const char *const *table, int n, int *idx)
{
	int i;

	for (i = 0; i < n; i++)
		if (lit(p, table[i])) {
			*idx = i;
			return true;
		}
	return false;
}

/* "HH:MM:SS" */
static bool hms(const char **p, int *h, int *m, int *s)
{
	return digits(p, 2, h) && lit(p, ":") && digits(p, 2, m) &&
	       lit(p, ":") && digits(p, 2, s) && *h < 24 && *m < 60 &&
	       *s < 61; /* 60: a leap second */
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	static const int before[] = {0,   31,  59,  90,  120, 151,
	                             181, 212, 243, 273, 304, 334};
	int64_t yb = y - 1; /* leap days before year y, from year 1 */
	int64_t leaps = yb / 4 - yb / 100 + yb / 400;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	/* 719162: days from 0001-01-01 to 1970-01-01 */
	return yb * 365 + leaps + before[m] + (m > 1 && leap) + (d - 1) -
	       719162;
}

static bool day_ok(int y, int m, int d)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return d >= 1 && d <= mdays[m] && !(m == 1 && d == 29 && !leap);
}

/* An HTTP-date in any of its three forms, as unix seconds. */
static bool parse_http_date(const char *s, int64_t now_unix, int64_t *out)
{
	const char *p = s;
	int wd, d = 0, mon = 0, y = 0, h = 0, mi = 0, sec = 0;
	bool ok;

	/* Each form is tried from the start: "Sunday" begins with "Sun". */
	if (name_of(&p, weekday, 7, &wd) && lit(&p, ", ")) {
		/* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		ok = digits(&p, 2, &d) && lit(&p, "-") &&
		     name_of(&p, months, 12, &mon) && lit(&p, "-") &&
		     digits(&p, 2, &y) && lit(&p, " ") &&
		     hms(&p, &h, &mi, &sec) && lit(&p, " GMT");
		if (ok) {
			/*
			 * RFC 9110: a two-digit year more than 50 years
			 * ahead is the latest such year in the past.
			 */
			int now_y = 1970 + (int)(now_unix / 31556952);

			y += (now_y / 100) * 100;
			if (y > now_y + 50)
				y -= 100;
		}
	} else if ((p = s, name_of(&p, wkday, 7, &wd)) && lit(&p, ", ")) {
		/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		ok = digits(&p, 2, &d) && lit(&p, " ") &&
		     name_of(&p, months, 12, &mon) && lit(&p, " ") &&
		     digits(&p, 4, &y) && lit(&p, " ") &&
		     hms(&p, &h, &mi, &sec) && lit(&p, " GMT");
	} else if ((p = s, name_of(&p, wkday, 7, &wd)) && lit(&p, " ")) {
		/* asctime: Sun Nov  6 08:49:37 1994 */
		ok = name_of(&p, months, 12, &mon) && lit(&p, " ");
		if (ok && *p == ' ') {
			p++;
			ok = digits(&p, 1, &d);
		} else if (ok) {
			ok = digits(&p, 2, &d);
		}
		ok = ok && lit(&p, " ") && hms(&p, &h, &mi, &sec) &&
		     lit(&p, " ") && digits(&p, 4, &y);
	} else {
		return false;
	}
	if (!ok || *p != '\0' || !day_ok(y, mon, d))
		return false;
	*out = days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + sec;
	return true;
}

int mg_httpc_parse_retry_after(int64_t *out_ms, const char *value,
                               int64_t now_unix, mg_err *err)
{
	mg_slice v = mg_slice_trim(mg_slice_from(value));
	char text[64];
	int64_t secs, when;
	size_t i;

	if (v.len == 0 || v.len >= sizeof(text))
		goto bad;
	memcpy(text, v.ptr, v.len);
	text[v.len] = '\0';
	for (i = 0; i < v.len && isdigit((unsigned char)text[i]); i++)
		;
	if (i == v.len) {
		/* delta-seconds; more than 10 digits is over the limit */
		if (v.len > 10)
			goto bad;
		secs = strtoll(text, NULL, 10);
	} else if (parse_http_date(text, now_unix, &when)) {
		secs = when > now_unix ? when - now_unix : 0;
	} else {
		goto bad;
	}
	if (secs > MG_HTTPC_MAX_RETRY_AFTER_S)
		goto bad;
	*out_ms = secs * 1000;
	return 0;
bad:
	return mg_err_set(err, MG_EINPUT,
	                  "header 'Retry-After': expected seconds or an "
	                  "HTTP-date, got '%.64s'",
	                  value);
}

/* The retry policy. */

bool mg_httpc_is_retryable(int error, long status)
{
	if (error == MG_ENET)
		return true;
	if (error != 0)
		return false;
	if (status == 408 || status == 429)
		return true;
	return status >= 500 && status <= 599 && status != 501 && status != 505;
}

int64_t mg_httpc_retry_delay(const mg_httpc_retry *p, int retry,
                             int64_t retry_after_ms, double u)
{
	int64_t d = p->base_ms > 0 ? p->base_ms : 0;
	double j = p->jitter < 0 ? 0 : p->jitter > 1 ? 1 : p->jitter;
	int i;

	for (i = 1; i < retry && d < p->max_ms; i++)
		d *= 2;
	if (d > p->max_ms)
		d = p->max_ms;
	if (u < 0 || u >= 1)
		u = 0;
	d -= (int64_t)((double)d * j * u);
	if (retry_after_ms > d)
		d = retry_after_ms;
	return d;
}

/* A uniform number in [0, 1) from OpenSSL's generator. */
static double rand_unit(void)
{
	uint32_t v;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		return 0.5;
	return (double)v / 4294967296.0;
}

/* Sleep ms, returning early when *cancel gets set (by a signal). */
static void sleep_ms(int64_t ms, volatile sig_atomic_t *cancel)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		if (cancel && *cancel)
			return;
}

int mg_httpc_do_retry(mg_httpc *c, mg_httpc_resp *resp, const mg_httpc_req *req,
                      const mg_httpc_retry *p, mg_httpc_retry_cb cb, void *ctx,
                      mg_err *err)
{
	int64_t ra, delay;
	int attempt, error;

	for (attempt = 1;; attempt++) {
		error = mg_httpc_do(c, resp, req, err);
		if (attempt >= p->attempts || (p->cancel && *p->cancel) ||
		    !mg_httpc_is_retryable(error, resp->status))
			return error;
		ra = error == 0 ? resp->retry_after_ms : -1;
		if (ra > p->retry_after_max_ms)
			return error;
		delay = mg_httpc_retry_delay(p, attempt, ra, rand_unit());
		if (cb)
			cb(ctx, attempt, delay, error, resp->status, err);
		sleep_ms(delay, p->cancel);
		if (p->cancel && *p->cancel)
			return error;
	}
}
