/*
 * it_server.c - memgate-server as a real process on 127.0.0.1 (port 0),
 * spoken to over HTTP with libcurl: every route, tokens and their
 * failures, bodies that must be refused (oversized, gzip bombs, truncated
 * gzip, wrong types, huge strings, invalid UTF-8, wrong media types), SQL
 * metacharacters stored verbatim, idempotent retries, the history route
 * against `memgate history` on the same database, the configuration's
 * precedence, and a graceful stop with an upload in flight.
 *
 * One server (reads need a token, 1 MiB body limit) serves the whole
 * group; tests use their own projects so they do not depend on order.
 */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "mgtest.h"
#include "runjson.h"
#include "srv.h"
#include "store.h"

struct fixture {
	char *dir, *db, *log;
	mgt_srv srv;
	char *token; /* for acme/widgets */
};

static struct fixture *F;

static int group_setup(void **state)
{
	const char *extra[] = {"--max-body", "1M", NULL};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	F = calloc(1, sizeof(*F));
	F->dir = mgt_tmpdir();
	F->db = mgt_path(F->dir, "server.db");
	F->log = mgt_path(F->dir, "server.log");
	mgt_srv_start(&F->srv, F->db, F->log, extra);
	F->token = mgt_srv_token(F->db, "acme/widgets");
	*state = F;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	assert_int_equal(mgt_srv_stop(&F->srv, SIGTERM), 0);
	mgt_srv_release(&F->srv);
	free(F->token);
	free(F->db);
	free(F->log);
	mgt_tmpdir_free(F->dir);
	free(F);
	curl_global_cleanup();
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

static char *url_of(const char *path)
{
	mg_buf b = MG_BUF_INIT(1 << 16);

	assert_int_equal(mg_buf_printf(&b, "%s%s", F->srv.url, path), 0);
	return mg_buf_detach(&b);
}

/* GET path (token may be NULL), expect `status`, return the parsed body. */
static cJSON *get_json(const char *path, const char *token, long status)
{
	char *url = url_of(path);
	mgt_req req = {NULL, url, token, NULL, 0, NULL, 0};
	mgt_resp resp;
	cJSON *doc;

	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	if (resp.status != status)
		fail_msg("GET %s: status %ld, want %ld: %s", path, resp.status,
		         status, resp.body.ptr);
	doc = cJSON_Parse(resp.body.ptr);
	if (doc == NULL)
		fail_msg("GET %s: not JSON: %s", path, resp.body.ptr);
	mgt_resp_release(&resp);
	free(url);
	return doc;
}

static void post(mgt_resp *resp, const char *token, const void *body,
                 size_t len, const char *const *headers)
{
	char *url = url_of("/api/v1/runs");
	mgt_req req = {"POST", url, token, body, len, headers, 0};

	assert_int_equal(mgt_http(resp, NULL, &req), 0);
	free(url);
}

/* POST and expect status; the answer's error.field (or NULL) into field. */
static void post_expect(const char *token, const void *body, size_t len,
                        const char *const *headers, long status,
                        const char *code, const char *field)
{
	mgt_resp resp;
	cJSON *doc, *err;

	post(&resp, token, body, len, headers);
	if (resp.status != status)
		fail_msg("POST: status %ld, want %ld: %s", resp.status, status,
		         resp.body.ptr);
	doc = cJSON_Parse(resp.body.ptr);
	assert_non_null(doc);
	err = cJSON_GetObjectItem(doc, "error");
	assert_non_null(err);
	if (code)
		assert_string_equal(
		        cJSON_GetObjectItem(err, "code")->valuestring, code);
	if (field) {
		cJSON *f = cJSON_GetObjectItem(err, "field");

		if (f == NULL || !cJSON_IsString(f))
			fail_msg("no field in %s", resp.body.ptr);
		assert_string_equal(f->valuestring, field);
	}
	cJSON_Delete(doc);
	mgt_resp_release(&resp);
}

static int64_t num(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItem(o, name);

	if (!cJSON_IsNumber(v))
		fail_msg("member '%s' is not a number", name);
	return (int64_t)v->valuedouble;
}

static const char *str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItem(o, name);

	if (!cJSON_IsString(v))
		fail_msg("member '%s' is not a string", name);
	return v->valuestring;
}

/* Replace the first `from` in doc by `to` (the document is rebuilt). */
static void replace(mg_buf *doc, const char *from, const char *to)
{
	mg_buf out = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *at = strstr(doc->ptr, from);

	if (at == NULL)
		fail_msg("'%s' not in the document", from);
	assert_int_equal(mg_buf_put(&out, doc->ptr, (size_t)(at - doc->ptr)),
	                 0);
	assert_int_equal(mg_buf_puts(&out, to), 0);
	assert_int_equal(mg_buf_puts(&out, at + strlen(from)), 0);
	mg_buf_release(doc);
	*doc = out;
}

static void gzip_buf(mg_buf *out, const void *data, size_t len)
{
	z_stream zs;
	unsigned char chunk[65536];
	int rc;

	memset(&zs, 0, sizeof(zs));
	assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + 15, 8,
	                              Z_DEFAULT_STRATEGY),
	                 Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)data;
	zs.avail_in = (uInt)len;
	do {
		zs.next_out = chunk;
		zs.avail_out = sizeof(chunk);
		rc = deflate(&zs, Z_FINISH);
		assert_true(rc == Z_OK || rc == Z_STREAM_END);
		assert_int_equal(
		        mg_buf_put(out, chunk, sizeof(chunk) - zs.avail_out),
		        0);
	} while (rc != Z_STREAM_END);
	deflateEnd(&zs);
}

/* ---- tests ------------------------------------------------------------ */

static void test_health_and_metrics(void **state)
{
	cJSON *doc = get_json("/healthz", NULL, 200);
	char *url = url_of("/metrics");
	mgt_req req = {NULL, url, NULL, NULL, 0, NULL, 0};
	mgt_resp resp;
	char *ctype;
	int tries;

	(void)state;
	assert_string_equal(str(doc, "status"), "ok");
	assert_int_equal(num(doc, "schema_version"), mg_store_latest_version());
	cJSON_Delete(doc);

	/*
	 * The healthz request above is counted by route and status once
	 * libmicrohttpd reports it completed, which can come just after the
	 * client has its answer: ask again for up to a second.
	 */
	for (tries = 0;; tries++) {
		assert_int_equal(mgt_http(&resp, NULL, &req), 0);
		assert_int_equal(resp.status, 200);
		if (strstr(resp.body.ptr, "memgate_http_requests_total{route="
		                          "\"/healthz\",method=\"GET\","
		                          "code=\"200\"}") ||
		    tries == 50)
			break;
		mgt_resp_release(&resp);
		usleep(20000);
	}
	ctype = mgt_resp_header(&resp, "Content-Type");
	assert_non_null(strstr(ctype, "text/plain"));
	free(ctype);
	assert_non_null(strstr(resp.body.ptr,
	                       "memgate_http_requests_total{route=\"/healthz\","
	                       "method=\"GET\",code=\"200\"}"));
	assert_non_null(strstr(resp.body.ptr,
	                       "# TYPE memgate_ingest_duration_seconds "
	                       "histogram"));
	assert_non_null(strstr(resp.body.ptr, "memgate_runs_stored "));
	assert_non_null(strstr(resp.body.ptr, "memgate_db_size_bytes "));
	assert_non_null(strstr(resp.body.ptr, "memgate_outbox_pending 0\n"));
	mgt_resp_release(&resp);
	free(url);
}

/*
 * After the failed uploads of the tests before (bad tokens, malformed and
 * oversized bodies, strange names), none is still counted as being
 * parsed: a count left behind would make every later batch's leader wait
 * for an upload that never comes (server.h, MG_SRV_INGEST_GATHER_MS).
 */
static void test_no_upload_left_parsing(void **state)
{
	char *url = url_of("/metrics");
	mgt_req req = {NULL, url, NULL, NULL, 0, NULL, 0};
	mgt_resp resp;

	(void)state;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 200);
	assert_non_null(strstr(resp.body.ptr, "\nmemgate_uploads_parsing 0\n"));
	assert_non_null(
	        strstr(resp.body.ptr, "\nmemgate_write_queue_depth 0\n"));
	mgt_resp_release(&resp);
	free(url);
}

static void test_ingest_and_read_back(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	unsigned char profile[4096];
	char sha[41], parent[41], path[512], *loc, *etag;
	const char *hdr[] = {"Idempotency-Key: read-back-1", NULL};
	cJSON *d, *arr, *b, *s;
	mgt_resp resp;
	int64_t id;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(profile); i++)
		profile[i] = (unsigned char)(i * 7 + 3);
	mgt_sha(sha, 1001);
	mgt_sha(parent, 1000);
	/* 3 benchmarks x 3 units x 5 samples */
	mgt_make_run_json(&doc, "acme/widgets", sha, parent, 1700000100, 3, 3,
	                  5, profile, sizeof(profile), 0);
	post(&resp, F->token, doc.ptr, doc.len, hdr);
	if (resp.status != 201)
		fail_msg("POST: %ld %s", resp.status, resp.body.ptr);
	d = cJSON_Parse(resp.body.ptr);
	id = num(d, "id");
	assert_true(id > 0);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItem(d, "replayed")));
	snprintf(path, sizeof(path),
	         "%s/api/v1/projects/acme%%2Fwidgets/runs/%lld", F->srv.url,
	         (long long)id);
	assert_string_equal(str(d, "url"), path);
	loc = mgt_resp_header(&resp, "Location");
	assert_string_equal(loc, path);
	free(loc);
	snprintf(path, sizeof(path),
	         "%s/api/v1/projects/acme%%2Fwidgets/compare?base=%s&head=%s",
	         F->srv.url, parent, sha);
	assert_string_equal(str(d, "compare_url"), path);
	cJSON_Delete(d);
	mgt_resp_release(&resp);

	/* the run, whole */
	snprintf(path, sizeof(path),
	         "/api/v1/projects/acme%%2Fwidgets/runs/%lld", (long long)id);
	d = get_json(path, F->token, 200);
	assert_int_equal(num(d, "samples_total"), 45);
	assert_string_equal(str(cJSON_GetObjectItem(d, "commit"), "sha"), sha);
	assert_string_equal(
	        cJSON_GetArrayItem(
	                cJSON_GetObjectItem(cJSON_GetObjectItem(d, "commit"),
	                                    "parents"),
	                0)
	                ->valuestring,
	        parent);
	arr = cJSON_GetObjectItem(d, "benchmarks");
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	cJSON_ArrayForEach(b, arr)
	{
		/* BenchmarkN: sample value = N*1000 + unit*100 + seq */
		int n = (int)strtol(str(b, "name") + 9, NULL, 10);

		assert_int_equal(
		        cJSON_GetArraySize(cJSON_GetObjectItem(b, "samples")),
		        15);
		cJSON_ArrayForEach(s, cJSON_GetObjectItem(b, "samples"))
		{
			int u = strcmp(str(s, "unit"), "B/op") == 0        ? 0
			        : strcmp(str(s, "unit"), "allocs/op") == 0 ? 1
			                                                   : 2;

			assert_int_equal(num(s, "value"),
			                 n * 1000 + u * 100 + num(s, "seq"));
		}
	}
	arr = cJSON_GetObjectItem(d, "profiles");
	assert_int_equal(cJSON_GetArraySize(arr), 1);
	assert_int_equal(num(cJSON_GetArrayItem(arr, 0), "size"),
	                 (int64_t)sizeof(profile));
	cJSON_Delete(d);

	/* the profile's bytes, as uploaded */
	{
		char *url;
		mgt_req req = {NULL, NULL, F->token, NULL, 0, NULL, 0};
		char inm[128];
		const char *h304[] = {inm, NULL};

		snprintf(path, sizeof(path),
		         "/api/v1/projects/acme%%2Fwidgets/runs/%lld/profiles/"
		         "heap",
		         (long long)id);
		url = url_of(path);
		req.url = url;
		assert_int_equal(mgt_http(&resp, NULL, &req), 0);
		assert_int_equal(resp.status, 200);
		assert_int_equal(resp.body.len, sizeof(profile));
		assert_memory_equal(resp.body.ptr, profile, sizeof(profile));
		loc = mgt_resp_header(&resp, "Content-Type");
		assert_string_equal(loc, "application/octet-stream");
		free(loc);
		etag = mgt_resp_header(&resp, "ETag");
		assert_non_null(etag);
		mgt_resp_release(&resp);
		snprintf(inm, sizeof(inm), "If-None-Match: %s", etag);
		req.headers = h304;
		assert_int_equal(mgt_http(&resp, NULL, &req), 0);
		assert_int_equal(resp.status, 304);
		assert_int_equal(resp.body.len, 0);
		mgt_resp_release(&resp);
		free(etag);
		free(url);
		/* a kind the run does not have */
		snprintf(path, sizeof(path),
		         "/api/v1/projects/acme%%2Fwidgets/runs/%lld/profiles/"
		         "cpu",
		         (long long)id);
		cJSON_Delete(get_json(path, F->token, 404));
	}

	/* commits of the default branch */
	d = get_json("/api/v1/projects/acme%2Fwidgets/commits?branch=main",
	             F->token, 200);
	arr = cJSON_GetObjectItem(d, "commits");
	b = NULL;
	cJSON_ArrayForEach(s, arr)
	{
		if (strcmp(str(s, "sha"), sha) == 0)
			b = s;
	}
	assert_non_null(b);
	assert_int_equal(num(b, "runs"), 1);
	assert_int_equal(num(b, "last_run_id"), id);
	assert_int_equal(num(b, "commit_time"), 1700000100);
	cJSON_Delete(d);

	/* benchmarks with their units */
	d = get_json("/api/v1/projects/acme%2Fwidgets/benchmarks", F->token,
	             200);
	arr = cJSON_GetObjectItem(d, "benchmarks");
	assert_true(cJSON_GetArraySize(arr) >= 3);
	b = cJSON_GetArrayItem(arr, 0);
	assert_string_equal(str(b, "name"), "Benchmark0");
	assert_string_equal(str(b, "package"), "pkg");
	assert_int_equal(num(b, "procs"), 8);
	/* sorted byte-wise: upper case before lower case */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(b, "units")),
	                 3);
	assert_string_equal(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(b, "units"), 0)
	                ->valuestring,
	        "B/op");
	assert_string_equal(
	        cJSON_GetArrayItem(cJSON_GetObjectItem(b, "units"), 1)
	                ->valuestring,
	        "allocs/op");
	cJSON_Delete(d);

	/* the project and the run lists */
	d = get_json("/api/v1/projects/acme%2Fwidgets", F->token, 200);
	assert_string_equal(str(d, "name"), "acme/widgets");
	assert_string_equal(str(d, "default_branch"), "main");
	assert_true(num(d, "runs") >= 1);
	snprintf(path, sizeof(path), "%s/api/v1/projects/acme%%2Fwidgets",
	         F->srv.url);
	assert_string_equal(str(d, "url"), path);
	cJSON_Delete(d);
	cJSON_Delete(
	        get_json("/api/v1/projects/acme%2Fnothing", F->token, 403));
	d = get_json("/api/v1/projects", F->token, 200);
	arr = cJSON_GetObjectItem(d, "projects");
	assert_int_equal(cJSON_GetArraySize(arr), 1); /* only its own */
	assert_string_equal(str(cJSON_GetArrayItem(arr, 0), "name"),
	                    "acme/widgets");
	cJSON_Delete(d);
	d = get_json("/api/v1/projects/acme%2Fwidgets/runs?limit=1000",
	             F->token, 200);
	b = NULL;
	arr = cJSON_GetObjectItem(d, "runs");
	cJSON_ArrayForEach(s, arr)
	{
		if (num(s, "id") == id)
			b = s;
	}
	assert_non_null(b);
	assert_int_equal(num(b, "samples"), 45);
	cJSON_Delete(d);
	mg_buf_release(&doc);
}

/*
 * The history route gives the rows `memgate history --format json`
 * prints for the same database (the CLI reads the file directly).
 */
static void test_history_matches_cli(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT), out = MG_BUF_INIT(1 << 20);
	char sha[41], prev[41] = "";
	const char *tok;
	char *token;
	cJSON *http, *cli, *pts, *p;
	int i;

	(void)state;
	token = mgt_srv_token(F->db, "acme/history");
	tok = token;
	for (i = 0; i < 4; i++) {
		mgt_resp resp;

		mgt_sha(sha, 2000 + (uint64_t)i);
		mg_buf_reset(&doc);
		mgt_make_run_json(&doc, "acme/history", sha, i ? prev : NULL,
		                  1700001000 + i * 60, 2, 2, 3, NULL, 0, 0);
		post(&resp, tok, doc.ptr, doc.len, NULL);
		assert_int_equal(resp.status, 201);
		mgt_resp_release(&resp);
		memcpy(prev, sha, sizeof(prev));
	}
	http = get_json("/api/v1/projects/acme%2Fhistory/history?benchmark="
	                "Benchmark1-8&unit=allocs%2Fop&limit=10",
	                tok, 200);
	pts = cJSON_GetObjectItem(http, "points");
	assert_int_equal(cJSON_GetArraySize(pts), 4);
	/* newest first; Benchmark1 allocs/op = 1100 + seq, seq 0..2 */
	p = cJSON_GetArrayItem(pts, 0);
	assert_string_equal(str(p, "sha"), sha);
	assert_int_equal(num(p, "median"), 1101);
	assert_int_equal(num(p, "min"), 1100);
	assert_int_equal(num(p, "max"), 1102);
	assert_int_equal(num(p, "n"), 3);

	assert_int_equal(
	        mgt_sh(NULL, &out,
	               "'%s' history --db '%s' --project acme/history "
	               "--bench Benchmark1-8 --unit allocs/op --last 10 "
	               "--format json",
	               mgt_memgate_bin(), F->db),
	        0);
	cli = cJSON_Parse(out.ptr);
	if (cli == NULL)
		fail_msg("memgate history printed: %s", out.ptr);
	{
		char *a = cJSON_PrintUnformatted(
		        cJSON_GetObjectItem(cli, "points"));
		char *b = cJSON_PrintUnformatted(pts);

		assert_string_equal(a, b);
		cJSON_free(a);
		cJSON_free(b);
	}
	cJSON_Delete(cli);
	cJSON_Delete(http);
	/* parameters the route checks */
	cJSON_Delete(
	        get_json("/api/v1/projects/acme%2Fhistory/history", tok, 400));
	cJSON_Delete(get_json("/api/v1/projects/acme%2Fhistory/history?"
	                      "benchmark=Nope",
	                      tok, 404));
	cJSON_Delete(get_json("/api/v1/projects/acme%2Fhistory/history?"
	                      "benchmark=Benchmark1&limit=0",
	                      tok, 400));
	cJSON_Delete(get_json("/api/v1/projects/acme%2Fhistory/commits?"
	                      "limit=x",
	                      tok, 400));
	mg_buf_release(&doc);
	mg_buf_release(&out);
	free(token);
}

static void test_idempotent_retry(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *key[] = {"Idempotency-Key: retry-7f3a", NULL};
	const char *bad[] = {"Idempotency-Key: has space", NULL};
	char sha[41], *h;
	mgt_resp resp;
	cJSON *d;
	int64_t first;

	(void)state;
	mgt_sha(sha, 3000);
	mgt_make_run_json(&doc, "acme/widgets", sha, NULL, 1700002000, 1, 1, 2,
	                  NULL, 0, 0);
	post(&resp, F->token, doc.ptr, doc.len, key);
	assert_int_equal(resp.status, 201);
	d = cJSON_Parse(resp.body.ptr);
	first = num(d, "id");
	cJSON_Delete(d);
	mgt_resp_release(&resp);

	/* the retry: same id, 200, nothing stored twice */
	post(&resp, F->token, doc.ptr, doc.len, key);
	assert_int_equal(resp.status, 200);
	d = cJSON_Parse(resp.body.ptr);
	assert_int_equal(num(d, "id"), first);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(d, "replayed")));
	h = mgt_resp_header(&resp, "Idempotent-Replayed");
	assert_string_equal(h, "true");
	free(h);
	cJSON_Delete(d);
	mgt_resp_release(&resp);
	d = get_json("/api/v1/projects/acme%2Fwidgets/commits?limit=1000",
	             F->token, 200);
	{
		cJSON *c, *commits = cJSON_GetObjectItem(d, "commits");
		int found = 0;

		cJSON_ArrayForEach(c, commits)
		{
			if (strcmp(str(c, "sha"), sha) != 0)
				continue;
			found++;
			assert_int_equal(num(c, "runs"), 1);
		}
		assert_int_equal(found, 1);
	}
	cJSON_Delete(d);

	/* the key in the document must agree with the header */
	replace(&doc, "\"idempotency_key\":null",
	        "\"idempotency_key\":\"another\"");
	post_expect(F->token, doc.ptr, doc.len, key, 400, "invalid_input",
	            "idempotency_key");
	post_expect(F->token, doc.ptr, doc.len, bad, 400, "invalid_input",
	            "Idempotency-Key");
	mg_buf_release(&doc);
}

static void test_auth_failures(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT), out = MG_BUF_INIT(1 << 16);
	const char *basic[] = {"Authorization: Basic dXNlcjpwdw==", NULL};
	char sha[41], *other, *revoked, *www, *log;
	char *url = url_of("/api/v1/projects/acme%2Fwidgets/commits");
	mgt_req req = {NULL, url, NULL, NULL, 0, NULL, 0};
	mgt_resp resp;
	int rc;

	(void)state;
	other = mgt_srv_token(F->db, "acme/other");
	revoked = mgt_srv_token(F->db, "acme/widgets");
	mgt_sha(sha, 4000);
	mgt_make_run_json(&doc, "acme/widgets", sha, NULL, 1700003000, 1, 1, 1,
	                  NULL, 0, 0);

	/* uploads: no token, a bad one, another scheme */
	post(&resp, NULL, doc.ptr, doc.len, NULL);
	assert_int_equal(resp.status, 401);
	www = mgt_resp_header(&resp, "WWW-Authenticate");
	assert_non_null(www);
	assert_non_null(strstr(www, "Bearer"));
	free(www);
	mgt_resp_release(&resp);
	post_expect("mgt_0000000000000000000000000000000000000000000000000000"
	            "000000000000",
	            doc.ptr, doc.len, NULL, 401, "unauthorized", NULL);
	post_expect("not-even-a-token", doc.ptr, doc.len, NULL, 401,
	            "unauthorized", NULL);
	post_expect(NULL, doc.ptr, doc.len, basic, 401, "unauthorized", NULL);
	/* a valid token of another project */
	post_expect(other, doc.ptr, doc.len, NULL, 403, "forbidden", "project");
	/* a revoked token: first it works, then it does not */
	post(&resp, revoked, doc.ptr, doc.len, NULL);
	assert_int_equal(resp.status, 201);
	mgt_resp_release(&resp);
	{
		mg_buf list = MG_BUF_INIT(1 << 20);
		char id[32];
		const char *line;

		assert_int_equal(
		        mgt_sh(NULL, &list,
		               "'%s' token list --project acme/widgets "
		               "--db '%s'",
		               mgt_server_bin(), F->db),
		        0);
		/* the last token is the one created above */
		line = strrchr(list.ptr, '\n');
		while (line > list.ptr && line[-1] != '\n')
			line--;
		assert_int_equal(sscanf(line, "%31s", id), 1);
		assert_null(strstr(list.ptr, revoked)); /* never printed */
		rc = mgt_sh(NULL, &out, "'%s' token revoke %s --db '%s'",
		            mgt_server_bin(), id, F->db);
		assert_int_equal(rc, 0);
		mg_buf_release(&list);
		assert_int_equal(mgt_sh(NULL, &list,
		                        "'%s' token list --db '%s' | grep "
		                        "'^%s '",
		                        mgt_server_bin(), F->db, id),
		                 0);
		assert_non_null(strstr(list.ptr, "revoked"));
		mg_buf_release(&list);
	}
	post_expect(revoked, doc.ptr, doc.len, NULL, 401, "unauthorized", NULL);

	/* reads need a token here; a token of another project is refused */
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 401);
	mgt_resp_release(&resp);
	req.token = other;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 403);
	mgt_resp_release(&resp);
	req.token = F->token;
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 200);
	mgt_resp_release(&resp);
	/* health and metrics stay public */
	cJSON_Delete(get_json("/healthz", NULL, 200));

	/* tokens never reach the log */
	log = mgt_read_file(F->log, NULL);
	assert_non_null(log);
	assert_null(strstr(log, F->token));
	assert_null(strstr(log, other));
	assert_null(strstr(log, revoked));
	free(log);
	free(other);
	free(revoked);
	free(url);
	mg_buf_release(&doc);
	mg_buf_release(&out);
}

static void test_oversized_bodies(void **state)
{
	size_t big = (size_t)3 << 20, i;
	char *body = malloc(big);
	const char *chunked[] = {"Transfer-Encoding: chunked", NULL};
	const char *gz[] = {"Content-Encoding: gzip", NULL};
	mg_buf bomb = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mgt_resp resp;

	(void)state;
	assert_non_null(body);
	memset(body, ' ', big);
	/* declared length over the 1 MiB limit: refused before reading */
	post(&resp, F->token, body, big, NULL);
	assert_int_equal(resp.status, 413);
	assert_non_null(strstr(resp.body.ptr, "\"too_large\""));
	mgt_resp_release(&resp);
	/*
	 * No declared length (chunked): the excess is read and dropped, then
	 * refused (the server drops the connection only past 4x the limit).
	 */
	post(&resp, F->token, body, (size_t)3 << 19, chunked);
	assert_int_equal(resp.status, 413);
	mgt_resp_release(&resp);
	/* small on the wire, 3 MiB once inflated: a zip bomb */
	for (i = 0; i < big; i++)
		body[i] = '0';
	gzip_buf(&bomb, body, big);
	assert_true(bomb.len < 64 * 1024);
	post(&resp, F->token, bomb.ptr, bomb.len, gz);
	assert_int_equal(resp.status, 413);
	assert_non_null(strstr(resp.body.ptr, "after gunzip"));
	mgt_resp_release(&resp);
	/* without a token the size is not even looked at */
	post(&resp, NULL, body, big, NULL);
	assert_int_equal(resp.status, 401);
	mgt_resp_release(&resp);
	mg_buf_release(&bomb);
	free(body);
	/* the server is still fine */
	cJSON_Delete(get_json("/healthz", NULL, 200));
}

static void test_malformed_bodies(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT),
	       gz = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf huge = MG_BUF_INIT(MG_BUF_NOLIMIT), tmp;
	const char *gzh[] = {"Content-Encoding: gzip", NULL};
	const char *text[] = {"Content-Type: text/plain", NULL};
	const char *br[] = {"Content-Encoding: br", NULL};
	char sha[41];
	mgt_resp resp;
	int i;

	(void)state;
	mgt_sha(sha, 5000);
	mgt_make_run_json(&doc, "acme/widgets", sha, NULL, 1700004000, 2, 2, 2,
	                  NULL, 0, 0);
	/* a good gzip body is accepted */
	gzip_buf(&gz, doc.ptr, doc.len);
	post(&resp, F->token, gz.ptr, gz.len, gzh);
	assert_int_equal(resp.status, 201);
	mgt_resp_release(&resp);
	/* truncated gzip, garbage gzip, an empty body */
	post_expect(F->token, gz.ptr, gz.len / 2, gzh, 400, "invalid_input",
	            NULL);
	post(&resp, F->token, gz.ptr, gz.len - 4, gzh);
	assert_int_equal(resp.status, 400);
	assert_non_null(strstr(resp.body.ptr, "truncated gzip body"));
	mgt_resp_release(&resp);
	post_expect(F->token, "definitely not gzip", 19, gzh, 400,
	            "invalid_input", NULL);
	post_expect(F->token, "", 0, NULL, 400, "invalid_input", NULL);
	post_expect(F->token, "{\"format\":", 10, NULL, 400, "invalid_input",
	            NULL);
	/* media types */
	post_expect(F->token, doc.ptr, doc.len, text, 415,
	            "unsupported_media_type", "Content-Type");
	post_expect(F->token, doc.ptr, doc.len, br, 415,
	            "unsupported_media_type", "Content-Encoding");

	/* wrong types, each answer names the field */
	tmp = (mg_buf)MG_BUF_INIT(MG_BUF_NOLIMIT);
	assert_int_equal(mg_buf_put(&tmp, doc.ptr, doc.len), 0);
	replace(&tmp, "\"dirty\":false", "\"dirty\":\"no\"");
	post_expect(F->token, tmp.ptr, tmp.len, NULL, 400, "invalid_input",
	            "dirty");
	mg_buf_reset(&tmp);
	assert_int_equal(mg_buf_put(&tmp, doc.ptr, doc.len), 0);
	replace(&tmp, "\"seq\":0", "\"seq\":\"0\"");
	post_expect(F->token, tmp.ptr, tmp.len, NULL, 400, "invalid_input",
	            "benchmarks[0].samples[0].seq");
	mg_buf_reset(&tmp);
	assert_int_equal(mg_buf_put(&tmp, doc.ptr, doc.len), 0);
	replace(&tmp, sha, "XYZ");
	post_expect(F->token, tmp.ptr, tmp.len, NULL, 400, "invalid_input",
	            "commit.sha");
	/* a string over the 64 KiB limit */
	assert_int_equal(mg_buf_puts(&huge, "\"subject\":\""), 0);
	for (i = 0; i < 70000; i++)
		assert_int_equal(mg_buf_putc(&huge, 'x'), 0);
	assert_int_equal(mg_buf_putc(&huge, '"'), 0);
	mg_buf_reset(&tmp);
	assert_int_equal(mg_buf_put(&tmp, doc.ptr, doc.len), 0);
	replace(&tmp, "\"subject\":\"a commit\"", huge.ptr);
	post_expect(F->token, tmp.ptr, tmp.len, NULL, 400, "invalid_input",
	            "commit.subject");
	/* invalid UTF-8 (a lone continuation byte, an overlong '/') */
	mg_buf_reset(&tmp);
	assert_int_equal(mg_buf_put(&tmp, doc.ptr, doc.len), 0);
	replace(&tmp, "\"subject\":\"a commit\"", "\"subject\":\"a \x80 b\"");
	post_expect(F->token, tmp.ptr, tmp.len, NULL, 400, "invalid_input",
	            NULL);
	mg_buf_reset(&tmp);
	assert_int_equal(mg_buf_put(&tmp, doc.ptr, doc.len), 0);
	replace(&tmp, "\"subject\":\"a commit\"", "\"subject\":\"\xc0\xaf\"");
	post_expect(F->token, tmp.ptr, tmp.len, NULL, 400, "invalid_input",
	            NULL);
	mg_buf_release(&tmp);
	mg_buf_release(&huge);
	mg_buf_release(&doc);
	mg_buf_release(&gz);
}

/* Quotes, semicolons and comment markers are data, stored as sent. */
static void test_sql_metacharacters_verbatim(void **state)
{
	static const char project[] = "o'; DROP TABLE runs;--/r\"x";
	static const char bench[] = "Bench'); DELETE FROM samples; --";
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT), path = MG_BUF_INIT(1 << 16);
	mg_buf esc = MG_BUF_INIT(1 << 16);
	char sha[41], *token;
	mgt_resp resp;
	cJSON *d, *b;
	mg_run run;
	mg_err err = MG_ERR_INIT;
	size_t i;

	(void)state;
	token = mgt_srv_token(F->db, project);
	mgt_sha(sha, 6000);
	mgt_make_run(&run, project, sha, NULL, 1700005000, 1, 1, 3, NULL, 0, 0);
	assert_int_equal(mg_run_set_str(&run.benches[0].name, bench), 0);
	assert_int_equal(mg_runjson_write(&doc, &run, &err), 0);
	mg_run_release(&run);
	post(&resp, token, doc.ptr, doc.len, NULL);
	assert_int_equal(resp.status, 201);
	d = cJSON_Parse(resp.body.ptr);
	assert_string_equal(str(d, "project"), project);
	cJSON_Delete(d);
	mgt_resp_release(&resp);

	/* percent-encode the project for the path, the name for the query */
	for (i = 0; project[i]; i++)
		mg_buf_printf(&esc, "%%%02X", (unsigned char)project[i]);
	mg_buf_printf(&path, "/api/v1/projects/%s/benchmarks", esc.ptr);
	d = get_json(path.ptr, token, 200);
	assert_string_equal(str(d, "project"), project);
	b = cJSON_GetArrayItem(cJSON_GetObjectItem(d, "benchmarks"), 0);
	assert_string_equal(str(b, "name"), bench);
	cJSON_Delete(d);
	mg_buf_reset(&path);
	mg_buf_printf(&path,
	              "/api/v1/projects/%s/history?unit=B%%2Fop&"
	              "benchmark=",
	              esc.ptr);
	for (i = 0; bench[i]; i++)
		mg_buf_printf(&path, "%%%02X", (unsigned char)bench[i]);
	d = get_json(path.ptr, token, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(d, "points")),
	                 1);
	assert_string_equal(str(d, "benchmark"), bench);
	cJSON_Delete(d);
	/* and nothing was dropped */
	d = get_json("/healthz", NULL, 200);
	cJSON_Delete(d);
	mg_buf_release(&doc);
	mg_buf_release(&path);
	mg_buf_release(&esc);
	free(token);
}

/*
 * The verdict of a head whose Benchmark1 B/op doubled against its parent:
 * 10 samples a side, base 1000..1009 and head 2000..2018, so the samples
 * do not overlap (Mann-Whitney p < 0.001, still < 0.05 after adjusting
 * for the 6 pairs) and +100% is far past the 2% B/op threshold.
 */
static void test_compare(void **state)
{
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT), path = MG_BUF_INIT(1024);
	char base[41], head[41], other[41], *token;
	mg_err err = MG_ERR_INIT;
	mgt_resp resp;
	mg_run run;
	cJSON *d;
	size_t i;

	(void)state;
	token = mgt_srv_token(F->db, "acme/compare");
	mgt_sha(base, 8000);
	mgt_sha(head, 8001);
	mgt_sha(other, 8002);
	mgt_make_run_json(&doc, "acme/compare", base, NULL, 1700007000, 2, 3,
	                  10, NULL, 0, 0);
	post(&resp, token, doc.ptr, doc.len, NULL);
	assert_int_equal(resp.status, 201);
	mgt_resp_release(&resp);
	mgt_make_run(&run, "acme/compare", head, base, 1700007060, 2, 3, 10,
	             NULL, 0, 0);
	for (i = 0; i < run.nsamples; i++)
		if (run.samples[i].bench == 1 &&
		    strcmp(run.samples[i].unit, "B/op") == 0)
			run.samples[i].value *= 2;
	mg_buf_reset(&doc);
	assert_int_equal(mg_runjson_write(&doc, &run, &err), 0);
	mg_run_release(&run);
	post(&resp, token, doc.ptr, doc.len, NULL);
	assert_int_equal(resp.status, 201);
	d = cJSON_Parse(resp.body.ptr);
	/* the upload answer links to the comparison with its parent */
	assert_non_null(strstr(str(d, "compare_url"), base));
	cJSON_Delete(d);
	mgt_resp_release(&resp);

	/* base found as head's first parent with runs */
	mg_buf_printf(&path, "/api/v1/projects/acme%%2Fcompare/compare?head=%s",
	              head);
	d = get_json(path.ptr, token, 200);
	assert_string_equal(str(d, "verdict"), "regression");
	assert_string_equal(str(cJSON_GetObjectItem(d, "base"), "sha"), base);
	assert_string_equal(str(cJSON_GetObjectItem(d, "head"), "sha"), head);
	cJSON_Delete(d);
	/* explicit base, and a threshold that forgives 150% */
	mg_buf_reset(&path);
	mg_buf_printf(&path,
	              "/api/v1/projects/acme%%2Fcompare/compare?base=%s&head=%s"
	              "&threshold=B%%2Fop%%3D150%%25",
	              base, head);
	d = get_json(path.ptr, token, 200);
	assert_string_not_equal(str(d, "verdict"), "regression");
	cJSON_Delete(d);
	/* the base against itself */
	mg_buf_reset(&path);
	mg_buf_printf(
	        &path,
	        "/api/v1/projects/acme%%2Fcompare/compare?base=%s&head=%s",
	        base, base);
	d = get_json(path.ptr, token, 200);
	assert_string_equal(str(d, "verdict"), "unchanged");
	cJSON_Delete(d);
	/* a commit without runs, a malformed sha, no head */
	mg_buf_reset(&path);
	mg_buf_printf(&path, "/api/v1/projects/acme%%2Fcompare/compare?head=%s",
	              other);
	cJSON_Delete(get_json(path.ptr, token, 404));
	cJSON_Delete(get_json("/api/v1/projects/acme%2Fcompare/compare?"
	                      "head=XYZ",
	                      token, 400));
	cJSON_Delete(get_json("/api/v1/projects/acme%2Fcompare/compare", token,
	                      400));
	/* the first commit has no baseline: inconclusive */
	mg_buf_reset(&path);
	mg_buf_printf(&path, "/api/v1/projects/acme%%2Fcompare/compare?head=%s",
	              base);
	d = get_json(path.ptr, token, 200);
	assert_string_equal(str(d, "verdict"), "inconclusive");
	cJSON_Delete(d);
	mg_buf_release(&doc);
	mg_buf_release(&path);
	free(token);
}

static void test_route_errors(void **state)
{
	char *url = url_of("/api/v1/projects");
	mgt_req req = {"DELETE", url, F->token, NULL, 0, NULL, 0};
	mgt_resp resp;
	char *allow;

	(void)state;
	cJSON_Delete(get_json("/nope", NULL, 404));
	cJSON_Delete(get_json("/api/v1/projects/", F->token, 404));
	cJSON_Delete(get_json("/api/v1/projects/acme%2Fwidgets/runs/abc",
	                      F->token, 400));
	cJSON_Delete(get_json("/api/v1/projects/acme%2Fwidgets/runs/999999",
	                      F->token, 404));
	cJSON_Delete(get_json("/api/v1/projects/a%zzb", F->token, 400));
	cJSON_Delete(get_json("/api/v1/projects/a%00b", F->token, 400));
	/* a literal slash is two segments: not a project route */
	cJSON_Delete(get_json("/api/v1/projects/acme/widgets/commits", F->token,
	                      404));
	cJSON_Delete(get_json("/api/v1/projects/acme%2Fwidgets/compare?"
	                      "base=a&head=b",
	                      F->token, 400));
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 405);
	allow = mgt_resp_header(&resp, "Allow");
	assert_string_equal(allow, "GET, HEAD");
	free(allow);
	mgt_resp_release(&resp);
	/* HEAD of a GET route: headers only */
	req.method = "HEAD";
	assert_int_equal(mgt_http(&resp, NULL, &req), 0);
	assert_int_equal(resp.status, 200);
	assert_int_equal(resp.body.len, 0);
	mgt_resp_release(&resp);
	free(url);
}

static void test_config_precedence(void **state)
{
	char *cfg = mgt_path(F->dir, "memgate.ini");
	char *bad = mgt_path(F->dir, "bad.ini");
	mg_buf out = MG_BUF_INIT(1 << 20);
	static const char ini[] = "; test config\n"
	                          "[server]\nthreads = 3\n"
	                          "[limits]\nmax_body = 2M\n"
	                          "[auth]\npublic_read = yes\n";
	static const char typo[] = "[limits]\nmax_bodyy = 1\n";
	const char *bin = mgt_server_bin();

	(void)state;
	mgt_write_file(cfg, ini, sizeof(ini) - 1);
	mgt_write_file(bad, typo, sizeof(typo) - 1);
	/* file only */
	assert_int_equal(mgt_sh(NULL, &out,
	                        "env -u MEMGATE_MAX_BODY '%s' config "
	                        "--config '%s'",
	                        bin, cfg),
	                 0);
	assert_non_null(strstr(out.ptr, "max_body = 2097152  ; file"));
	assert_non_null(strstr(out.ptr, "threads = 3  ; file"));
	assert_non_null(strstr(out.ptr, "public_read = true  ; file"));
	assert_non_null(strstr(out.ptr, "listen = 127.0.0.1:8080  ; default"));
	/* the environment beats the file */
	mg_buf_reset(&out);
	assert_int_equal(mgt_sh(NULL, &out,
	                        "MEMGATE_MAX_BODY=3M MEMGATE_CONFIG='%s' '%s' "
	                        "config",
	                        cfg, bin),
	                 0);
	assert_non_null(strstr(out.ptr, "max_body = 3145728  ; environment"));
	assert_non_null(strstr(out.ptr, "threads = 3  ; file"));
	/* a flag beats both */
	mg_buf_reset(&out);
	assert_int_equal(mgt_sh(NULL, &out,
	                        "MEMGATE_MAX_BODY=3M '%s' config --config '%s' "
	                        "--max-body=4M --no-public-read",
	                        bin, cfg),
	                 0);
	assert_non_null(strstr(out.ptr, "max_body = 4194304  ; flag"));
	assert_non_null(strstr(out.ptr, "public_read = false  ; flag"));
	/* errors name the place */
	mg_buf_reset(&out);
	assert_int_equal(
	        mgt_sh(NULL, &out, "'%s' config --config '%s' 2>&1", bin, bad),
	        2);
	assert_non_null(strstr(out.ptr, "bad.ini:2: unknown key 'max_bodyy' in "
	                                "section [limits]"));
	mg_buf_reset(&out);
	assert_int_equal(mgt_sh(NULL, &out,
	                        "MEMGATE_THREADS=lots '%s' config 2>&1", bin),
	                 2);
	assert_non_null(strstr(out.ptr, "environment MEMGATE_THREADS"));
	mg_buf_reset(&out);
	assert_int_equal(
	        mgt_sh(NULL, &out, "'%s' config --max-body 1Q 2>&1", bin), 2);
	assert_non_null(strstr(out.ptr, "flag --max-body"));
	mg_buf_release(&out);
	free(cfg);
	free(bad);
}

/* ---- graceful stop ---------------------------------------------------- */

struct slow_upload {
	const char *url, *token;
	mg_buf *doc;
	size_t sent;
	long status;
};

/* Send half the body, pause 600 ms (the stop signal arrives), the rest. */
static size_t slow_read(char *buf, size_t size, size_t n, void *arg)
{
	struct slow_upload *u = arg;
	size_t half = u->doc->len / 2, want = size * n, left;

	if (u->sent == half) {
		struct timespec ts = {0, 600 * 1000000L};

		nanosleep(&ts, NULL);
	}
	left = (u->sent < half ? half : u->doc->len) - u->sent;
	if (want > left)
		want = left;
	memcpy(buf, u->doc->ptr + u->sent, want);
	u->sent += want;
	return want;
}

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void *slow_thread(void *arg)
{
	struct slow_upload *u = arg;
	CURL *h = curl_easy_init();
	struct curl_slist *hdrs = NULL;
	char auth[128];

	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", u->token);
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, u->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, slow_read);
	curl_easy_setopt(h, CURLOPT_READDATA, u);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	                 (curl_off_t)u->doc->len);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &u->status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return NULL;
}

static void test_graceful_stop(void **state)
{
	char *db = mgt_path(F->dir, "stop.db");
	char *log = mgt_path(F->dir, "stop.log");
	mg_buf doc = MG_BUF_INIT(MG_BUF_NOLIMIT), url = MG_BUF_INIT(256);
	struct slow_upload u = {NULL, NULL, &doc, 0, 0};
	struct timespec ts = {0, 200 * 1000000L};
	mgt_srv s;
	pthread_t t;
	char sha[41], *token, *text;

	(void)state;
	mgt_srv_start(&s, db, log, NULL);
	token = mgt_srv_token(db, "acme/stop");
	mgt_sha(sha, 7000);
	mgt_make_run_json(&doc, "acme/stop", sha, NULL, 1700006000, 20, 3, 5,
	                  NULL, 0, 0);
	mg_buf_printf(&url, "%s/api/v1/runs", s.url);
	u.url = url.ptr;
	u.token = token;
	assert_int_equal(pthread_create(&t, NULL, slow_thread, &u), 0);
	nanosleep(&ts, NULL); /* the upload is half sent, then paused */
	assert_int_equal(mgt_srv_stop(&s, SIGTERM), 0);
	pthread_join(t, NULL);
	/* the in-flight upload was finished and answered before the exit */
	assert_int_equal(u.status, 201);
	text = mgt_read_file(log, NULL);
	assert_non_null(
	        strstr(text, "SIGTERM: stopping (finishing 1 requests"));
	assert_non_null(strstr(text, "POST /api/v1/runs 201"));
	assert_non_null(strstr(text, "info server: stopped"));
	free(text);
	/* and it is in the database, after a restart */
	mgt_srv_release(&s);
	mgt_srv_start(&s, db, log, (const char *[]){"--public-read", NULL});
	{
		mg_buf p = MG_BUF_INIT(256);
		char *full;
		mgt_req req = {NULL, NULL, NULL, NULL, 0, NULL, 0};
		mgt_resp resp;
		cJSON *d;

		mg_buf_printf(&p, "%s/api/v1/projects/acme%%2Fstop/runs/1",
		              s.url);
		full = mg_buf_detach(&p);
		req.url = full;
		assert_int_equal(mgt_http(&resp, NULL, &req), 0);
		assert_int_equal(resp.status, 200);
		d = cJSON_Parse(resp.body.ptr);
		assert_int_equal(num(d, "samples_total"), 300);
		cJSON_Delete(d);
		mgt_resp_release(&resp);
		free(full);
	}
	assert_int_equal(mgt_srv_stop(&s, SIGINT), 0);
	mgt_srv_release(&s);
	mg_buf_release(&doc);
	mg_buf_release(&url);
	free(token);
	free(db);
	free(log);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_health_and_metrics),
	        cmocka_unit_test(test_ingest_and_read_back),
	        cmocka_unit_test(test_history_matches_cli),
	        cmocka_unit_test(test_idempotent_retry),
	        cmocka_unit_test(test_auth_failures),
	        cmocka_unit_test(test_oversized_bodies),
	        cmocka_unit_test(test_malformed_bodies),
	        cmocka_unit_test(test_sql_metacharacters_verbatim),
	        cmocka_unit_test(test_no_upload_left_parsing),
	        cmocka_unit_test(test_compare),
	        cmocka_unit_test(test_route_errors),
	        cmocka_unit_test(test_config_precedence),
	        cmocka_unit_test(test_graceful_stop),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
