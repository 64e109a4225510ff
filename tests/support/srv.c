/*
 * srv.c - spawning memgate-server, HTTP with libcurl, run documents for
 * the server tests (see srv.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mgtest.h"
#include "runjson.h"
#include "srv.h"
#include "store.h"

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* The port of the last "listening on 127.0.0.1:PORT" line of the log. */
static unsigned read_port(const char *log)
{
	char *text = mgt_read_file(log, NULL);
	const char *p, *found = NULL;
	unsigned port = 0;

	if (text == NULL)
		return 0;
	for (p = text; (p = strstr(p, "listening on 127.0.0.1:")) != NULL; p++)
		found = p;
	if (found)
		port = (unsigned)strtoul(found + 23, NULL, 10);
	free(text);
	return port;
}

static void dump_log(const char *log)
{
	char *text = mgt_read_file(log, NULL);

	fprintf(stderr, "--- server log %s ---\n%s--- end ---\n", log,
	        text ? text : "(unreadable)\n");
	free(text);
}

void mgt_srv_start(mgt_srv *s, const char *db, const char *log,
                   const char *const *extra)
{
	const char *argv[64];
	int argc = 0, fd, i, status;
	pid_t pid;

	memset(s, 0, sizeof(*s));
	s->log = mg_strdup(log);
	assert_non_null(s->log);
	/* a fresh log per start, so the port read is this start's */
	fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	argv[argc++] = mgt_server_bin();
	argv[argc++] = "serve";
	argv[argc++] = "--listen";
	argv[argc++] = "127.0.0.1:0";
	argv[argc++] = "--db";
	argv[argc++] = db;
	for (i = 0; extra && extra[i] && argc < 63; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		/*
		 * A failed assertion ends the test without mgt_srv_stop:
		 * the server must not outlive it (and hold its port, files
		 * and CPU for the rest of the suite).
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(null, 0);
		dup2(null, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd);
	s->pid = pid;
	for (i = 0; i < 1000; i++) {
		s->port = read_port(log);
		if (s->port)
			break;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			s->pid = 0;
			dump_log(log);
			fail_msg("memgate-server exited during start-up");
		}
		sleep_ms(10);
	}
	if (s->port == 0) {
		dump_log(log);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		s->pid = 0;
		fail_msg("memgate-server printed no port within 10 s");
	}
	snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%u", s->port);
}

int mgt_srv_stop(mgt_srv *s, int sig)
{
	int status = 0, i;

	if (s->pid == 0)
		return -1;
	kill(s->pid, sig);
	for (i = 0; i < 3000; i++) {
		pid_t r = waitpid(s->pid, &status, WNOHANG);

		if (r == s->pid)
			break;
		if (r < 0 && errno != EINTR)
			break;
		sleep_ms(10);
	}
	if (i == 3000) {
		dump_log(s->log);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		s->pid = 0;
		fail_msg("memgate-server did not exit within 30 s");
	}
	s->pid = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

void mgt_srv_release(mgt_srv *s)
{
	if (s->pid)
		mgt_srv_stop(s, SIGKILL);
	free(s->log);
	s->log = NULL;
}

char *mgt_srv_token(const char *db, const char *project)
{
	mg_buf out = MG_BUF_INIT(1 << 16);
	char *const argv[] = {
	        (char *)mgt_server_bin(), "token", "create",   "--project",
	        (char *)project,          "--db",  (char *)db, NULL};
	char *tok;

	assert_int_equal(mgt_run(NULL, argv, &out, NULL), 0);
	while (out.len > 0 && out.ptr[out.len - 1] == '\n')
		mg_buf_truncate(&out, out.len - 1);
	assert_int_equal(out.len, MG_TOKEN_LEN);
	tok = mg_buf_detach(&out);
	assert_non_null(tok);
	return tok;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	mg_buf *b = arg;

	if (mg_buf_put(b, p, size * n) < 0)
		return 0;
	return size * n;
}

int mgt_http(mgt_resp *out, CURL *h, const mgt_req *req)
{
	struct curl_slist *hdrs = NULL;
	mg_buf auth = MG_BUF_INIT(4096);
	CURL *own = NULL;
	CURLcode rc;
	bool ctype = false;
	size_t i;

	memset(out, 0, sizeof(*out));
	mg_buf_init(&out->body, MG_BUF_NOLIMIT);
	mg_buf_init(&out->headers, 1 << 20);
	if (h == NULL) {
		own = h = curl_easy_init();
		if (h == NULL) {
			out->curl_error = CURLE_FAILED_INIT;
			return -1;
		}
	} else {
		curl_easy_reset(h);
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
	                 req->timeout_ms ? req->timeout_ms : 30000L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &out->headers);
	if (req->body) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		                 (curl_off_t)req->len);
	}
	if (req->method)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->method && strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	if (req->token) {
		mg_buf_printf(&auth, "Authorization: Bearer %s", req->token);
		hdrs = curl_slist_append(hdrs, auth.ptr);
	}
	/* curl would add a form type; uploads say what they are, unless
	 * the test gives its own */
	for (i = 0; req->headers && req->headers[i]; i++) {
		if (strncasecmp(req->headers[i], "Content-Type:", 13) == 0)
			ctype = true;
		hdrs = curl_slist_append(hdrs, req->headers[i]);
	}
	if (req->body && !ctype)
		hdrs = curl_slist_append(hdrs,
		                         "Content-Type: application/json");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	rc = curl_easy_perform(h);
	out->curl_error = (int)rc;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
	curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &out->seconds);
	curl_slist_free_all(hdrs);
	mg_buf_release(&auth);
	if (own)
		curl_easy_cleanup(own);
	if (rc != CURLE_OK) {
		out->status = 0;
		return -1;
	}
	return 0;
}

void mgt_resp_release(mgt_resp *r)
{
	mg_buf_release(&r->body);
	mg_buf_release(&r->headers);
}

char *mgt_resp_header(const mgt_resp *r, const char *name)
{
	const char *line = r->headers.ptr;
	size_t n = strlen(name);

	while (line && *line) {
		const char *eol = strstr(line, "\r\n");
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (len > n && strncasecmp(line, name, n) == 0 &&
		    line[n] == ':') {
			const char *v = line + n + 1;

			while (*v == ' ')
				v++;
			return mg_slice_dup(
			        (mg_slice){v, len - (size_t)(v - line)});
		}
		line = eol ? eol + 2 : NULL;
	}
	return NULL;
}

void mgt_sha(char out[41], uint64_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint64_t x = n;
	int i;

	/* splitmix64 digits, then n itself in the last 12, so distinct n
	 * never collide */
	for (i = 0; i < 28; i++) {
		if (i % 16 == 0) {
			x += 0x9e3779b97f4a7c15ULL;
			x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
			x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
			x ^= x >> 31;
		}
		out[i] = hex[(x >> ((i % 16) * 4)) & 15];
	}
	for (i = 0; i < 12; i++)
		out[39 - i] = hex[(n >> (4 * i)) & 15];
	out[40] = '\0';
}

void mgt_make_run(mg_run *run, const char *project, const char *sha,
                  const char *parent, int64_t commit_time, int nbench,
                  int nunits, int nsamples, const void *profile,
                  size_t profile_len, uint64_t seed)
{
	static const char *const units[] = {"B/op", "allocs/op", "ns/op"};
	int b, u, k;

	mg_run_init(run);
	assert_int_equal(mg_run_set_str(&run->project, project), 0);
	snprintf(run->commit.sha, sizeof(run->commit.sha), "%s", sha);
	if (parent)
		assert_int_equal(mg_run_add_parent(run, parent), 0);
	run->commit.commit_time = commit_time;
	assert_int_equal(mg_run_set_str(&run->commit.subject, "a commit"), 0);
	assert_int_equal(mg_run_set_str(&run->commit.author, "T <t@x>"), 0);
	assert_int_equal(mg_run_set_str(&run->branch, "main"), 0);
	assert_int_equal(mg_run_set_str(&run->env.os, "linux"), 0);
	assert_int_equal(mg_run_set_str(&run->env.arch, "amd64"), 0);
	run->env.cores = 2;
	run->env.mem_bytes = 1 << 30;
	run->started_at = commit_time * 1000;
	run->ended_at = commit_time * 1000 + 1000;
	assert_int_equal(mg_run_set_str(&run->bench_cmd, "go test -bench=."),
	                 0);
	run->wall_ns = 1000000000;
	run->peak_rss = 50 << 20;
	run->status = MG_RUN_OK;
	for (b = 0; b < nbench; b++) {
		char name[32];
		size_t idx;

		snprintf(name, sizeof(name), "Benchmark%d", b);
		assert_int_equal(
		        mg_run_append_bench(run, &idx, name, "pkg", 8, NULL, 0),
		        0);
		for (u = 0; u < nunits; u++) {
			char unit[16];

			if (u < 3)
				snprintf(unit, sizeof(unit), "%s", units[u]);
			else
				snprintf(unit, sizeof(unit), "u%d", u);
			for (k = 0; k < nsamples; k++)
				assert_int_equal(
				        mg_run_add_sample(run, idx, unit,
				                          b * 1000.0 +
				                                  u * 100.0 + k,
				                          1000, k),
				        0);
		}
	}
	if (profile_len > 0) {
		unsigned char *bytes = NULL;
		size_t idx, i;

		if (profile == NULL) {
			uint64_t x = seed * 0x9e3779b97f4a7c15ULL + 1;

			bytes = malloc(profile_len);
			assert_non_null(bytes);
			for (i = 0; i < profile_len; i++) {
				x ^= x << 13;
				x ^= x >> 7;
				x ^= x << 17;
				bytes[i] = (unsigned char)x;
			}
			profile = bytes;
		}
		assert_int_equal(mg_run_add_profile(run, &idx, "heap", "pkg",
		                                    profile, profile_len),
		                 0);
		assert_int_equal(
		        mg_profile_add_sample_type(&run->profiles[idx],
		                                   "alloc_space/bytes"),
		        0);
		free(bytes);
	}
}

void mgt_make_run_json(mg_buf *out, const char *project, const char *sha,
                       const char *parent, int64_t commit_time, int nbench,
                       int nunits, int nsamples, const void *profile,
                       size_t profile_len, uint64_t seed)
{
	mg_err err = MG_ERR_INIT;
	mg_run run;
	int rc;

	mgt_make_run(&run, project, sha, parent, commit_time, nbench, nunits,
	             nsamples, profile, profile_len, seed);
	rc = mg_runjson_write(out, &run, &err);
	mg_run_release(&run);
	if (rc != 0)
		fail_msg("mg_runjson_write: %s", err.msg);
}
