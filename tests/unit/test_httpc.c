/*
 * test_httpc.c - the HTTP client against a real local server (libmicrohttpd
 * on 127.0.0.1, port 0) that replays scripted replies and records every
 * request it receives: gzip bodies inflate to the original, headers
 * arrive, 503 + Retry-After is retried after the delay the server asked
 * for, a refused connection is retried until the server comes up, the
 * response body cap, timeouts, credentials kept out of messages; and the
 * pure parts (Retry-After forms, backoff, what is retryable) by value.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "httpc.h"
#include "mgtest.h"

#define MAX_REPLIES 8
#define MAX_SEEN 8

struct reply {
	unsigned status;
	const char *header;  /* "Name: value" or NULL */
	const char *header2; /* a second one, or NULL */
	const char *body;    /* NULL: empty */
	size_t body_len;     /* 0: strlen(body) */
	int delay_ms;        /* sleep before answering */
};

struct seen {
	char method[16];
	char encoding[32];   /* Content-Encoding */
	char auth[128];      /* Authorization */
	char idem[64];       /* Idempotency-Key */
	char agent[64];      /* User-Agent */
	char expect[64];     /* Expect */
	unsigned char *body; /* raw, as received */
	size_t len;
	int64_t at_ms; /* monotonic time of the request */
};

struct server {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t mu;
	struct reply replies[MAX_REPLIES];
	int nreplies;
	int served; /* requests answered; past nreplies the last reply repeats */
	struct seen seen[MAX_SEEN];
	int nseen;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void copy_header(struct MHD_Connection *con, const char *name, char *out,
                        size_t size)
{
	const char *v = MHD_lookup_connection_value(con, MHD_HEADER_KIND, name);

	snprintf(out, size, "%s", v ? v : "");
}

/* Collect the upload, then record the request and send the next reply. */
static enum MHD_Result handler(void *cls, struct MHD_Connection *con,
                               const char *url, const char *method,
                               const char *version, const char *data,
                               size_t *data_size, void **con_cls)
{
	struct server *s = cls;
	mg_buf *body = *con_cls;
	struct MHD_Response *resp;
	struct reply r;
	struct seen *sn = NULL;
	enum MHD_Result ret;

	(void)url;
	(void)version;
	if (body == NULL) {
		body = calloc(1, sizeof(*body));
		mg_buf_init(body, (size_t)16 << 20);
		*con_cls = body;
		return MHD_YES;
	}
	if (*data_size) {
		mg_buf_put(body, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&s->mu);
	r = s->replies[s->served < s->nreplies ? s->served : s->nreplies - 1];
	s->served++;
	if (s->nseen < MAX_SEEN)
		sn = &s->seen[s->nseen++];
	if (sn) {
		snprintf(sn->method, sizeof(sn->method), "%s", method);
		copy_header(con, "Content-Encoding", sn->encoding,
		            sizeof(sn->encoding));
		copy_header(con, "Authorization", sn->auth, sizeof(sn->auth));
		copy_header(con, "Idempotency-Key", sn->idem, sizeof(sn->idem));
		copy_header(con, "User-Agent", sn->agent, sizeof(sn->agent));
		copy_header(con, "Expect", sn->expect, sizeof(sn->expect));
		sn->len = body->len;
		sn->body = malloc(body->len + 1);
		memcpy(sn->body, body->ptr, body->len + 1);
		sn->at_ms = now_ms();
	}
	pthread_mutex_unlock(&s->mu);
	if (r.delay_ms)
		usleep((useconds_t)r.delay_ms * 1000);
	resp = MHD_create_response_from_buffer(
	        r.body ? (r.body_len ? r.body_len : strlen(r.body)) : 0,
	        (void *)(r.body ? r.body : ""), MHD_RESPMEM_MUST_COPY);
	if (r.header) {
		const char *c = strchr(r.header, ':');
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(c - r.header),
		         r.header);
		MHD_add_response_header(resp, name, c + 2);
	}
	if (r.header2) {
		const char *c = strchr(r.header2, ':');
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(c - r.header2),
		         r.header2);
		MHD_add_response_header(resp, name, c + 2);
	}
	ret = MHD_queue_response(con, r.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *con, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	mg_buf *body = *con_cls;

	(void)cls;
	(void)con;
	(void)toe;
	if (body) {
		mg_buf_release(body);
		free(body);
		*con_cls = NULL;
	}
}

/* Start the server on 127.0.0.1:port (0: any free port). */
static void server_start(struct server *s, uint16_t port)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->d = MHD_start_daemon(
	        MHD_USE_THREAD_PER_CONNECTION |
	                MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
	        0, NULL, NULL, handler, s, MHD_OPTION_SOCK_ADDR,
	        (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, completed,
	        s, MHD_OPTION_END);
	assert_non_null(s->d);
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	s->port = info->port;
	assert_true(s->port > 0);
}

static struct server *server_new(void)
{
	struct server *s = calloc(1, sizeof(*s));

	assert_non_null(s);
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

static void server_free(struct server *s)
{
	int i;

	if (s->d)
		MHD_stop_daemon(s->d);
	for (i = 0; i < s->nseen; i++)
		free(s->seen[i].body);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static void script(struct server *s, struct reply r)
{
	assert_true(s->nreplies < MAX_REPLIES);
	s->replies[s->nreplies++] = r;
}

static char *url_of(const struct server *s, const char *path)
{
	mg_buf b = MG_BUF_INIT(256);

	assert_int_equal(
	        mg_buf_printf(&b, "http://127.0.0.1:%u%s", s->port, path), 0);
	return mg_buf_detach(&b);
}

/* Inflate a gzip stream; independent of mg_httpc_gzip's deflate side. */
static unsigned char *gunzip(const unsigned char *in, size_t len,
                             size_t *out_len)
{
	z_stream zs;
	size_t cap = 1 << 20;
	unsigned char *out = malloc(cap);
	int rc;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	rc = inflate(&zs, Z_FINISH);
	assert_int_equal(rc, Z_STREAM_END);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

static void test_gzip_body_and_headers(void **state)
{
	struct server *s = server_new();
	mg_httpc *c = NULL;
	mg_httpc_resp resp;
	mg_err err = MG_ERR_INIT;
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *hdrs[] = {"Authorization: Bearer tok-123",
	                      "Idempotency-Key: 0123abcd",
	                      "Content-Type: application/json"};
	mg_httpc_req req = {0};
	unsigned char *plain;
	size_t plain_len, i;
	char *url;

	(void)state;
	/* 20,000 lines of JSON-ish text: compresses well, over 1 MiB raw */
	for (i = 0; i < 20000; i++)
		assert_int_equal(
		        mg_buf_printf(&doc,
		                      "{\"unit\":\"B/op\",\"value\":%zu}"
		                      "\n",
		                      i * 7919 % 100003),
		        0);
	script(s, (struct reply){201, "X-RateLimit-Remaining: 42",
	                         "x-ratelimit-reset: 1700000000", "{\"id\":7}",
	                         0, 0});
	server_start(s, 0);
	url = url_of(s, "/api/v1/runs");
	req.method = "POST";
	req.url = url;
	req.headers = hdrs;
	req.nheaders = 3;
	req.body = doc.ptr;
	req.body_len = doc.len;
	req.flags = MG_HTTPC_GZIP;
	mg_httpc_resp_init(&resp);
	assert_int_equal(mg_httpc_new(&c, &err), 0);
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), 0);
	assert_int_equal(resp.status, 201);
	assert_string_equal(resp.body.ptr, "{\"id\":7}");
	assert_int_equal(resp.ratelimit_remaining, 42);
	assert_int_equal(resp.ratelimit_reset, 1700000000);
	assert_int_equal(resp.ratelimit_limit, -1);
	assert_int_equal(resp.retry_after_ms, -1);
	assert_string_equal(
	        mg_httpc_resp_header(&resp, "x-RATELIMIT-remaining"), "42");
	assert_null(mg_httpc_resp_header(&resp, "Retry-After"));

	assert_int_equal(s->nseen, 1);
	assert_string_equal(s->seen[0].method, "POST");
	assert_string_equal(s->seen[0].encoding, "gzip");
	assert_string_equal(s->seen[0].auth, "Bearer tok-123");
	assert_string_equal(s->seen[0].idem, "0123abcd");
	assert_true(strncmp(s->seen[0].agent, "memgate/", 8) == 0);
	assert_string_equal(s->seen[0].expect, "");
	/* compressed on the wire, the original after inflating */
	assert_true(s->seen[0].len < doc.len / 3);
	plain = gunzip(s->seen[0].body, s->seen[0].len, &plain_len);
	assert_int_equal(plain_len, doc.len);
	assert_memory_equal(plain, doc.ptr, doc.len);
	free(plain);

	/* without the flag the body goes as is */
	req.flags = 0;
	req.body = "{}";
	req.body_len = 2;
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), 0);
	assert_int_equal(s->nseen, 2);
	assert_string_equal(s->seen[1].encoding, "");
	assert_int_equal(s->seen[1].len, 2);
	assert_memory_equal(s->seen[1].body, "{}", 2);

	/* a GET has no body */
	req.method = "GET";
	req.body = NULL;
	req.body_len = 0;
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), 0);
	assert_string_equal(s->seen[2].method, "GET");
	assert_int_equal(s->seen[2].len, 0);

	mg_httpc_resp_release(&resp);
	mg_httpc_free(c);
	mg_buf_release(&doc);
	free(url);
	server_free(s);
}

static void test_bad_requests(void **state)
{
	mg_httpc *c = NULL;
	mg_httpc_resp resp;
	mg_err err = MG_ERR_INIT;
	const char *inject[] = {"X-A: 1\r\nX-Evil: 2"};
	mg_httpc_req req = {0};

	(void)state;
	mg_httpc_resp_init(&resp);
	assert_int_equal(mg_httpc_new(&c, &err), 0);
	req.method = "POST";
	req.url = "ftp://127.0.0.1/x";
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "http://"));
	req.url = "http://127.0.0.1:1/x";
	req.method = "post";
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), MG_EINPUT);
	req.method = "POST";
	req.headers = inject;
	req.nheaders = 1;
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), MG_EINPUT);
	assert_non_null(strstr(err.msg, "header 0"));
	req.nheaders = MG_HTTPC_MAX_HEADERS + 1;
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), MG_EINPUT);
	req.nheaders = 0;
	req.body = "x";
	req.body_len = MG_HTTPC_MAX_BODY + 1;
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), MG_EINPUT);
	assert_int_equal(resp.status, 0);
	mg_httpc_resp_release(&resp);
	mg_httpc_free(c);
}

static void test_retry_after_503(void **state)
{
	struct server *s = server_new();
	mg_httpc_retry p = {4, 10, 100, 0.5, 5000, NULL};
	mg_httpc *c = NULL;
	mg_httpc_resp resp;
	mg_err err = MG_ERR_INIT;
	mg_httpc_req req = {0};
	int64_t gap;
	char *url;

	(void)state;
	script(s, (struct reply){503, "Retry-After: 1", NULL,
	                         "{\"error\":{\"code\":\"busy\"}}", 0, 0});
	script(s, (struct reply){201, NULL, NULL, "{\"id\":1}", 0, 0});
	server_start(s, 0);
	url = url_of(s, "/api/v1/runs");
	req.method = "POST";
	req.url = url;
	req.body = "{}";
	req.body_len = 2;
	mg_httpc_resp_init(&resp);
	assert_int_equal(mg_httpc_new(&c, &err), 0);
	assert_int_equal(
	        mg_httpc_do_retry(c, &resp, &req, &p, NULL, NULL, &err), 0);
	assert_int_equal(resp.status, 201);
	assert_int_equal(s->nseen, 2);
	/*
	 * The server asked for 1 s; the backoff alone would be 5..10 ms.
	 * The upper bound leaves room for a loaded machine.
	 */
	gap = s->seen[1].at_ms - s->seen[0].at_ms;
	assert_true(gap >= 990);
	assert_true(gap < 2500);

	/* A Retry-After over the policy's maximum is not waited for. */
	s->nreplies = 0;
	s->served = 0;
	script(s, (struct reply){503, "Retry-After: 3600", NULL, NULL, 0, 0});
	assert_int_equal(
	        mg_httpc_do_retry(c, &resp, &req, &p, NULL, NULL, &err), 0);
	assert_int_equal(resp.status, 503);
	assert_int_equal(resp.retry_after_ms, 3600000);
	assert_int_equal(s->nseen, 3);

	/* A 400 is final: one try. */
	s->nreplies = 0;
	s->served = 0;
	script(s, (struct reply){400, NULL, NULL, "{\"error\":{}}", 0, 0});
	assert_int_equal(
	        mg_httpc_do_retry(c, &resp, &req, &p, NULL, NULL, &err), 0);
	assert_int_equal(resp.status, 400);
	assert_int_equal(s->nseen, 4);

	/* 500 every time: all four tries, then the last 500 comes back. */
	s->nreplies = 0;
	s->served = 0;
	script(s, (struct reply){500, NULL, NULL, "oops", 0, 0});
	assert_int_equal(
	        mg_httpc_do_retry(c, &resp, &req, &p, NULL, NULL, &err), 0);
	assert_int_equal(resp.status, 500);
	assert_string_equal(resp.body.ptr, "oops");
	assert_int_equal(s->served, 4);

	mg_httpc_resp_release(&resp);
	mg_httpc_free(c);
	free(url);
	server_free(s);
}

/* A port nothing listens on: bind port 0, note the port, close. */
static uint16_t free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

struct refused_ctx {
	struct server *s;
	uint16_t port;
	int calls;
	int last_error;
	int64_t delays[8];
};

/* Before the second retry, bring the server up on the refused port. */
static void on_retry(void *ctx, int retry, int64_t delay_ms, int error,
                     long status, const mg_err *err)
{
	struct refused_ctx *r = ctx;

	(void)status;
	(void)err;
	r->delays[r->calls++] = delay_ms;
	r->last_error = error;
	if (retry == 2)
		server_start(r->s, r->port);
}

static void test_refused_then_retried(void **state)
{
	struct refused_ctx rc = {0};
	mg_httpc_retry p = {5, 20, 1000, 0, 5000, NULL};
	mg_httpc *c = NULL;
	mg_httpc_resp resp;
	mg_err err = MG_ERR_INIT;
	mg_httpc_req req = {0};
	char url[64];

	(void)state;
	rc.s = server_new();
	rc.port = free_port();
	script(rc.s, (struct reply){201, NULL, NULL, "{\"id\":3}", 0, 0});
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/v1/runs", rc.port);
	req.method = "POST";
	req.url = url;
	req.body = "{}";
	req.body_len = 2;
	mg_httpc_resp_init(&resp);
	assert_int_equal(mg_httpc_new(&c, &err), 0);

	/* one try: refused is MG_ENET, no status, the message says where */
	p.attempts = 1;
	assert_int_equal(
	        mg_httpc_do_retry(c, &resp, &req, &p, on_retry, &rc, &err),
	        MG_ENET);
	assert_int_equal(resp.status, 0);
	assert_int_equal(rc.calls, 0);
	assert_non_null(strstr(err.msg, "POST http://127.0.0.1:"));

	p.attempts = 5;
	assert_int_equal(
	        mg_httpc_do_retry(c, &resp, &req, &p, on_retry, &rc, &err), 0);
	assert_int_equal(resp.status, 201);
	assert_int_equal(rc.calls, 2);
	assert_int_equal(rc.last_error, MG_ENET);
	/* no jitter: exactly base, then twice base */
	assert_int_equal(rc.delays[0], 20);
	assert_int_equal(rc.delays[1], 40);
	assert_int_equal(rc.s->nseen, 1);

	mg_httpc_resp_release(&resp);
	mg_httpc_free(c);
	server_free(rc.s);
}

static void test_body_cap(void **state)
{
	struct server *s = server_new();
	mg_httpc *c = NULL;
	mg_httpc_resp resp;
	mg_err err = MG_ERR_INIT;
	mg_httpc_req req = {0};
	char *big = malloc(100000), *url;

	(void)state;
	memset(big, 'x', 100000);
	script(s, (struct reply){200, NULL, NULL, big, 100000, 0});
	server_start(s, 0);
	url = url_of(s, "/big");
	req.method = "GET";
	req.url = url;
	req.max_response = 1000;
	mg_httpc_resp_init(&resp);
	assert_int_equal(mg_httpc_new(&c, &err), 0);
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), MG_ELIMIT);
	assert_int_equal(resp.status, 200);
	assert_true(resp.body.len <= 1000);
	assert_non_null(strstr(err.msg, "larger than 1000 bytes"));
	/* a cap that fits: the whole body */
	req.max_response = 100000;
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), 0);
	assert_int_equal(resp.body.len, 100000);
	assert_memory_equal(resp.body.ptr, big, 100000);

	mg_httpc_resp_release(&resp);
	mg_httpc_free(c);
	free(url);
	free(big);
	server_free(s);
}

static void test_timeout_and_redaction(void **state)
{
	struct server *s = server_new();
	mg_httpc *c = NULL;
	mg_httpc_resp resp;
	mg_err err = MG_ERR_INIT;
	mg_httpc_req req = {0};
	char url[128];
	int64_t t0;

	(void)state;
	script(s, (struct reply){200, NULL, NULL, "late", 0, 800});
	server_start(s, 0);
	snprintf(url, sizeof(url),
	         "http://user:hunter2@127.0.0.1:%u/slow?token=sekrit", s->port);
	req.method = "GET";
	req.url = url;
	req.timeout_ms = 200;
	mg_httpc_resp_init(&resp);
	assert_int_equal(mg_httpc_new(&c, &err), 0);
	t0 = now_ms();
	assert_int_equal(mg_httpc_do(c, &resp, &req, &err), MG_ENET);
	assert_true(now_ms() - t0 < 700);
	assert_int_equal(resp.status, 0);
	assert_null(strstr(err.msg, "hunter2"));
	assert_null(strstr(err.msg, "sekrit"));
	assert_non_null(strstr(err.msg, "GET http://***@127.0.0.1:"));
	mg_httpc_resp_release(&resp);
	mg_httpc_free(c);
	server_free(s);
}

static void test_parse_retry_after(void **state)
{
	/* 784111777 = Sun, 06 Nov 1994 08:49:37 GMT (GNU date -d ... +%s) */
	const int64_t when = 784111777, now = when - 30;
	mg_err err = MG_ERR_INIT;
	int64_t ms = -5;
	static const char *const bad[] = {"",
	                                  "soon",
	                                  "-1",
	                                  "1.5",
	                                  "12345678901",
	                                  "86401",
	                                  "Sun, 31 Feb 1994 08:49:37 GMT",
	                                  "Sun, 06 Nov 1994 08:49:37",
	                                  "Sun, 06 Nov 1994 24:00:00 GMT",
	                                  "Sunday 06-Nov-94 08:49:37 GMT",
	                                  "Sun Nov 6 08:49:37 1994"};
	size_t i;

	(void)state;
	assert_int_equal(mg_httpc_parse_retry_after(&ms, "120", now, &err), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(mg_httpc_parse_retry_after(&ms, " 0 ", now, &err), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(mg_httpc_parse_retry_after(&ms, "86400", now, &err),
	                 0);
	assert_int_equal(ms, 86400000);
	assert_int_equal(
	        mg_httpc_parse_retry_after(&ms, "Sun, 06 Nov 1994 08:49:37 GMT",
	                                   now, &err),
	        0);
	assert_int_equal(ms, 30000);
	assert_int_equal(
	        mg_httpc_parse_retry_after(
	                &ms, "Sunday, 06-Nov-94 08:49:37 GMT", now, &err),
	        0);
	assert_int_equal(ms, 30000);
	assert_int_equal(mg_httpc_parse_retry_after(
	                         &ms, "Sun Nov  6 08:49:37 1994", now, &err),
	                 0);
	assert_int_equal(ms, 30000);
	/* a date in the past: retry now */
	assert_int_equal(
	        mg_httpc_parse_retry_after(&ms, "Sun, 06 Nov 1994 08:49:37 GMT",
	                                   when + 99, &err),
	        0);
	assert_int_equal(ms, 0);
	/*
	 * 2024-02-29 00:00:00 GMT is 1709164800: 19782 days after the epoch
	 * (54 years of 365 days = 19710, plus 13 leap days 1972..2020, plus
	 * 31 + 28 days of 2024 before Feb 29: 19710 + 13 + 59 = 19782).
	 */
	assert_int_equal(
	        mg_httpc_parse_retry_after(&ms, "Thu, 29 Feb 2024 00:00:10 GMT",
	                                   1709164800, &err),
	        0);
	assert_int_equal(ms, 10000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = -5;
		assert_int_equal(
		        mg_httpc_parse_retry_after(&ms, bad[i], now, &err),
		        MG_EINPUT);
		assert_int_equal(ms, -5);
		assert_non_null(strstr(err.msg, "Retry-After"));
	}
}

static void test_backoff(void **state)
{
	mg_httpc_retry p = {5, 100, 1000, 0.5, 60000, NULL};
	mg_httpc_retry none = {5, 100, 1000, 0, 60000, NULL};

	(void)state;
	/* doubling from base, capped at max */
	assert_int_equal(mg_httpc_retry_delay(&none, 1, -1, 0.7), 100);
	assert_int_equal(mg_httpc_retry_delay(&none, 2, -1, 0.7), 200);
	assert_int_equal(mg_httpc_retry_delay(&none, 3, -1, 0.7), 400);
	assert_int_equal(mg_httpc_retry_delay(&none, 4, -1, 0.7), 800);
	assert_int_equal(mg_httpc_retry_delay(&none, 5, -1, 0.7), 1000);
	assert_int_equal(mg_httpc_retry_delay(&none, 60, -1, 0.7), 1000);
	/* half random: 100 - 100 * 0.5 * u */
	assert_int_equal(mg_httpc_retry_delay(&p, 1, -1, 0), 100);
	assert_int_equal(mg_httpc_retry_delay(&p, 1, -1, 0.5), 75);
	assert_int_equal(mg_httpc_retry_delay(&p, 1, -1, 0.999), 51);
	assert_int_equal(mg_httpc_retry_delay(&p, 3, -1, 0.5), 300);
	/* Retry-After wins when longer, the backoff when the server says 0 */
	assert_int_equal(mg_httpc_retry_delay(&p, 1, 5000, 0.5), 5000);
	assert_int_equal(mg_httpc_retry_delay(&p, 3, 0, 0), 400);
}

static void test_retryable(void **state)
{
	(void)state;
	assert_true(mg_httpc_is_retryable(MG_ENET, 0));
	assert_false(mg_httpc_is_retryable(MG_ELIMIT, 200));
	assert_false(mg_httpc_is_retryable(MG_EINPUT, 0));
	assert_true(mg_httpc_is_retryable(0, 500));
	assert_true(mg_httpc_is_retryable(0, 502));
	assert_true(mg_httpc_is_retryable(0, 503));
	assert_true(mg_httpc_is_retryable(0, 504));
	assert_true(mg_httpc_is_retryable(0, 408));
	assert_true(mg_httpc_is_retryable(0, 429));
	assert_false(mg_httpc_is_retryable(0, 501));
	assert_false(mg_httpc_is_retryable(0, 505));
	assert_false(mg_httpc_is_retryable(0, 200));
	assert_false(mg_httpc_is_retryable(0, 201));
	assert_false(mg_httpc_is_retryable(0, 400));
	assert_false(mg_httpc_is_retryable(0, 401));
	assert_false(mg_httpc_is_retryable(0, 403));
	assert_false(mg_httpc_is_retryable(0, 413));
}

static void test_gzip_limit(void **state)
{
	mg_buf small = MG_BUF_INIT(10);
	mg_err err = MG_ERR_INIT;

	(void)state;
	/* even "" needs an 18-byte gzip header and trailer */
	assert_int_equal(mg_httpc_gzip(&small, "hello", 5, &err), MG_ELIMIT);
	assert_int_equal(small.len, 0);
	mg_buf_release(&small);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_gzip_body_and_headers),
	        cmocka_unit_test(test_bad_requests),
	        cmocka_unit_test(test_retry_after_503),
	        cmocka_unit_test(test_refused_then_retried),
	        cmocka_unit_test(test_body_cap),
	        cmocka_unit_test(test_timeout_and_redaction),
	        cmocka_unit_test(test_parse_retry_after),
	        cmocka_unit_test(test_backoff),
	        cmocka_unit_test(test_retryable),
	        cmocka_unit_test(test_gzip_limit),
	};
	int rc;

	mg_httpc_global_init(NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	mg_httpc_global_cleanup();
	return rc;
}
