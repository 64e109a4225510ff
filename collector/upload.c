/*
 * upload.c - POST runs to a memgate server with retries, and the spool
 * directory that keeps the runs it could not take (see upload.h for the
 * rules). Owns one mg_httpc client per mg_upload, so the runs of a
 * backfill share a connection.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "abjson.h"
#include "fsutil.h"
#include "gitrepo.h"
#include "log.h"
#include "runjson.h"
#include "upload.h"

#define RUNS_PATH "/api/v1/runs"
#define AB_PATH "/api/v1/ab-sessions"

struct mg_upload {
	mg_httpc *http;       /* one client: connection reuse */
	char *server;         /* base URL without the trailing slash */
	char *runs_url;       /* server + RUNS_PATH */
	char *ab_url;         /* server + AB_PATH */
	char *auth;           /* "Authorization: Bearer <token>" */
	mg_httpc_retry retry; /* the policy for each run */
	bool unreachable;     /* a run could not be delivered: try once */
};

void mg_upload_result_init(mg_upload_result *r)
{
	memset(r, 0, sizeof(*r));
}

void mg_upload_result_release(mg_upload_result *r)
{
	free(r->path);
	mg_upload_result_init(r);
}

static bool token_ok(const char *t)
{
	size_t i;

	for (i = 0; t[i]; i++)
		if (i == MG_UPLOAD_TOKEN_MAX || !isgraph((unsigned char)t[i]))
			return false;
	return i > 0;
}

int mg_upload_new(mg_upload **out, const char *server, const char *token,
                  mg_err *err)
{
	static const mg_httpc_retry defaults = MG_HTTPC_RETRY_DEFAULT;
	mg_buf b = MG_BUF_INIT(MG_UPLOAD_URL_MAX + 64);
	mg_upload *u = NULL;
	size_t len = strlen(server);
	int error;

	while (len > 0 && server[len - 1] == '/')
		len--;
	if ((strncmp(server, "http://", 7) != 0 &&
	     strncmp(server, "https://", 8) != 0) ||
	    len > MG_UPLOAD_URL_MAX || strpbrk(server, " \t\r\n?#"))
		return mg_err_set(err, MG_EINPUT,
		                  "--server: expected an http:// or https:// "
		                  "URL without query, got '%.100s'",
		                  server);
	if (token == NULL || !token_ok(token))
		return mg_err_set(
		        err, MG_EINPUT,
		        "the token (--token or MEMGATE_TOKEN) must be "
		        "1 to %d printable characters without blanks",
		        MG_UPLOAD_TOKEN_MAX);
	u = calloc(1, sizeof(*u));
	if (u == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	u->retry = defaults;
	error = mg_httpc_new(&u->http, err);
	if (error < 0)
		goto fail;
	u->server = mg_slice_dup((mg_slice){server, len});
	if (u->server == NULL ||
	    mg_buf_printf(&b, "%s" RUNS_PATH, u->server) < 0)
		goto oom;
	u->runs_url = mg_buf_detach(&b);
	if (u->runs_url == NULL ||
	    mg_buf_printf(&b, "%s" AB_PATH, u->server) < 0)
		goto oom;
	u->ab_url = mg_buf_detach(&b);
	if (u->ab_url == NULL ||
	    mg_buf_printf(&b, "Authorization: Bearer %s", token) < 0)
		goto oom;
	u->auth = mg_buf_detach(&b);
	if (u->auth == NULL)
		goto oom;
	*out = u;
	return 0;
oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory");
fail:
	mg_buf_release(&b);
	mg_upload_free(u);
	return error;
}

void mg_upload_free(mg_upload *u)
{
	if (u == NULL)
		return;
	mg_httpc_free(u->http);
	free(u->server);
	free(u->runs_url);
	free(u->ab_url);
	if (u->auth) /* the token should not linger in freed memory */
		memset(u->auth, 0, strlen(u->auth));
	free(u->auth);
	free(u);
}

mg_httpc_retry *mg_upload_retry(mg_upload *u)
{
	return &u->retry;
}

const char *mg_upload_server(const mg_upload *u)
{
	return u->server;
}

int mg_upload_new_key(char *out, mg_err *err)
{
	unsigned char raw[MG_UPLOAD_KEY_HEX / 2];
	size_t i;

	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return mg_err_set(err, MG_EINTERNAL,
		                  "cannot make an idempotency key: OpenSSL's "
		                  "random generator failed");
	for (i = 0; i < sizeof(raw); i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

static bool key_ok(const char *k)
{
	size_t i;

	for (i = 0; i < MG_UPLOAD_KEY_HEX; i++)
		if (!isxdigit((unsigned char)k[i]) ||
		    isupper((unsigned char)k[i]))
			return false;
	return k[i] == '\0';
}

static void on_retry(void *ctx, int retry, int64_t delay_ms, int error,
                     long status, const mg_err *err)
{
	const mg_upload *u = ctx;

	if (error < 0)
		mg_log(MG_LOG_WARN, "upload", "%s; retry %d of %d in %.1f s",
		       err->msg, retry, u->retry.attempts - 1,
		       (double)delay_ms / 1000.0);
	else
		mg_log(MG_LOG_WARN, "upload",
		       "server answered %ld; retry %d of %d in %.1f s", status,
		       retry, u->retry.attempts - 1, (double)delay_ms / 1000.0);
}

/*
 * The server's message from {"error":{"code","message","field"}}, as
 * "field 'x': message", else the start of the body with control
 * characters replaced (whatever a proxy in between may have sent).
 */
static void server_message(char *out, size_t size, const mg_httpc_resp *r)
{
	cJSON *doc = cJSON_ParseWithLength(r->body.ptr, r->body.len);
	cJSON *e = cJSON_GetObjectItemCaseSensitive(doc, "error");
	cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
	cJSON *field = cJSON_GetObjectItemCaseSensitive(e, "field");
	size_t i;

	/* Our server's messages may name the field already. */
	if (cJSON_IsString(msg) && cJSON_IsString(field) &&
	    field->valuestring[0] &&
	    strstr(msg->valuestring, "field '") == NULL)
		snprintf(out, size, "field '%s': %s", field->valuestring,
		         msg->valuestring);
	else if (cJSON_IsString(msg))
		snprintf(out, size, "%s", msg->valuestring);
	else
		snprintf(out, size, "%.160s", r->body.ptr);
	cJSON_Delete(doc);
	for (i = 0; out[i]; i++)
		if (iscntrl((unsigned char)out[i]))
			out[i] = ' ';
	if (out[0] == '\0')
		snprintf(out, size, "(no message)");
}

/* Read the run id (and url, if any) of a 2xx reply. */
static void read_reply(mg_upload_result *res, const mg_httpc_resp *r)
{
	cJSON *doc = cJSON_ParseWithLength(r->body.ptr, r->body.len);
	cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "id");
	cJSON *url = cJSON_GetObjectItemCaseSensitive(doc, "url");

	if (cJSON_IsNumber(id) && id->valuedouble >= 0 &&
	    id->valuedouble < 9007199254740992.0)
		res->id = (int64_t)id->valuedouble;
	if (cJSON_IsString(url))
		snprintf(res->url, sizeof(res->url), "%s", url->valuestring);
	cJSON_Delete(doc);
}

int mg_upload_send(mg_upload *u, mg_upload_result *res, const char *doc,
                   size_t len, const char *key, mg_err *err)
{
	mg_httpc_resp resp;
	mg_httpc_retry policy = u->retry;
	char idem[64], msg[200];
	const char *headers[] = {u->auth, "Content-Type: application/json",
	                         "Accept: application/json", idem};
	mg_httpc_req req;
	long st;
	int error;

	if (!key_ok(key))
		return mg_err_set(err, MG_EINPUT,
		                  "invalid idempotency key '%.40s'", key);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", key);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	/* A/B session documents (abjson.h) wait in the same spool. */
	req.url = mg_abjson_is_session(doc, len) ? u->ab_url : u->runs_url;
	req.headers = headers;
	req.nheaders = sizeof(headers) / sizeof(headers[0]);
	req.body = doc;
	req.body_len = len;
	req.flags = MG_HTTPC_GZIP;
	req.timeout_ms = MG_UPLOAD_TIMEOUT_MS;
	req.max_response = MG_UPLOAD_REPLY_MAX;
	if (u->unreachable)
		policy.attempts = 1;
	res->outcome = MG_UPLOAD_UNREACHABLE;
	res->id = 0;
	res->url[0] = '\0';
	mg_httpc_resp_init(&resp);
	error = mg_httpc_do_retry(u->http, &resp, &req, &policy, on_retry, u,
	                          err);
	st = resp.status;
	res->status = st;
	if (error == MG_ENET || (error == 0 && mg_httpc_is_retryable(0, st))) {
		u->unreachable = true;
		if (error == 0) {
			server_message(msg, sizeof(msg), &resp);
			error = mg_err_set(err, MG_ENET,
			                   "server %s answered %ld: %s",
			                   u->server, st, msg);
		}
		goto cleanup;
	}
	if (error < 0) { /* a reply over the cap, ENOMEM: not the run's fault */
		mg_err_prefix(err, "upload to %s", u->server);
		goto cleanup;
	}
	u->unreachable = false;
	if (st >= 200 && st <= 299) {
		res->outcome =
		        st == 200 ? MG_UPLOAD_EXISTED : MG_UPLOAD_CREATED;
		read_reply(res, &resp);
		goto cleanup;
	}
	server_message(msg, sizeof(msg), &resp);
	if (st == 409 && req.url == u->ab_url) {
		/* The session's runs are not there yet: send it later. */
		res->outcome = MG_UPLOAD_UNREACHABLE;
		error = mg_err_set(err, MG_ENET,
		                   "server %s cannot pair the runs yet (409): "
		                   "%s",
		                   u->server, msg);
	} else if (st == 401 || st == 403) {
		res->outcome = MG_UPLOAD_AUTH;
		error = mg_err_set(err, MG_EAUTH,
		                   "server %s refused the token (%ld): %s",
		                   u->server, st, msg);
	} else if (st == 400 || st == 413 || st == 415 || st == 422) {
		res->outcome = MG_UPLOAD_REJECTED;
		error = mg_err_set(err, MG_EINPUT,
		                   "server %s rejected the run (%ld): %s",
		                   u->server, st, msg);
	} else {
		res->outcome = MG_UPLOAD_MISCONFIG;
		error = mg_err_set(err, MG_EUPSTREAM,
		                   "POST %s answered %ld (is --server right?): "
		                   "%s",
		                   req.url, st, msg);
	}
cleanup:
	mg_httpc_resp_release(&resp);
	return error;
}

int mg_upload_run(mg_upload *u, mg_upload_result *res, mg_run *run,
                  const char *spool_dir, mg_err *err)
{
	mg_buf doc = MG_BUF_INIT(MG_RUNJSON_MAX_INPUT);
	mg_buf rejected = MG_BUF_INIT(8192);
	char key[MG_UPLOAD_KEY_HEX + 1];
	mg_err serr = MG_ERR_INIT;
	int error;

	if (run->idempotency_key == NULL) {
		error = mg_upload_new_key(key, err);
		if (error < 0)
			return error;
		if (mg_run_set_str(&run->idempotency_key, key) < 0)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	error = mg_runjson_write(&doc, run, err);
	if (error < 0) {
		/* No server could take it either (a bug, or a giant run). */
		res->outcome = MG_UPLOAD_REJECTED;
		goto cleanup;
	}
	error = mg_upload_send(u, res, doc.ptr, doc.len, run->idempotency_key,
	                       err);
	if (error == 0 || error == MG_ENOMEM)
		goto cleanup;
	if (res->outcome == MG_UPLOAD_REJECTED) {
		if (mg_buf_printf(&rejected, "%s/rejected", spool_dir) < 0 ||
		    mg_spool_write(rejected.ptr, run->idempotency_key, doc.ptr,
		                   doc.len, &res->path, &serr) < 0)
			mg_log(MG_LOG_WARN, "upload", "cannot keep the run: %s",
			       serr.msg);
		goto cleanup;
	}
	if (mg_spool_write(spool_dir, run->idempotency_key, doc.ptr, doc.len,
	                   &res->path, &serr) < 0) {
		mg_err_set(err, MG_EIO, "%s; and %s", err->msg, serr.msg);
		error = MG_EIO;
	}
cleanup:
	mg_buf_release(&doc);
	mg_buf_release(&rejected);
	return error;
}

/* The spool. */

int mg_spool_default_dir(char **out, mg_err *err)
{
	mg_buf path = MG_BUF_INIT(8192);
	mg_git *g = NULL;
	int error;

	error = mg_git_open(&g, ".", err);
	if (error < 0) {
		mg_err_prefix(err, "no --spool given and no default");
		return error;
	}
	if (mg_git_workdir(g) == NULL) {
		error = mg_err_set(err, MG_EINPUT,
		                   "no --spool given and the repository is "
		                   "bare");
	} else if (mg_buf_printf(&path, "%s.memgate/spool", mg_git_workdir(g)) <
	                   0 ||
	           (*out = mg_buf_detach(&path)) == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	mg_buf_release(&path);
	mg_git_free(g);
	return error;
}

/* mkdir -p for the spool and its parent (.memgate/spool/rejected). */
static int make_dirs(const char *dir, mg_err *err)
{
	char path[4096];
	size_t i, len = strlen(dir);

	if (len >= sizeof(path))
		return mg_err_set(err, MG_EINPUT, "spool path too long");
	memcpy(path, dir, len + 1);
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return mg_err_set(err, MG_EIO, "cannot create '%s': %s",
			                  path, strerror(errno));
		path[i] = i < len ? '/' : '\0';
	}
	return 0;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	int rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int mg_spool_write(const char *dir, const char *key, const char *doc,
                   size_t len, char **path_out, mg_err *err)
{
	mg_buf tmp = MG_BUF_INIT(8192), final = MG_BUF_INIT(8192);
	size_t off = 0;
	int fd, error, saved;

	if (!key_ok(key))
		return mg_err_set(err, MG_EINPUT,
		                  "invalid idempotency key '%.40s'", key);
	error = make_dirs(dir, err);
	if (error < 0)
		return error;
	if (mg_buf_printf(&tmp, "%s/.%s.json.XXXXXX", dir, key) < 0 ||
	    mg_buf_printf(&final, "%s/%s.json", dir, key) < 0) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	fd = mkstemp(tmp.ptr);
	if (fd < 0) {
		error = mg_err_set(err, MG_EIO, "cannot create '%s': %s",
		                   tmp.ptr, strerror(errno));
		goto cleanup;
	}
	errno = 0;
	while (off < len) {
		ssize_t n = write(fd, doc + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	/* Synced before the rename: the name never points at a partial run. */
	saved = off < len ? (errno ? errno : ENOSPC) : 0;
	if (saved == 0 && fsync(fd) != 0)
		saved = errno;
	if (close(fd) != 0 && saved == 0)
		saved = errno;
	if (saved) {
		error = mg_err_set(err, MG_EIO, "cannot write '%s': %s",
		                   tmp.ptr, strerror(saved));
		unlink(tmp.ptr);
		goto cleanup;
	}
	if (rename(tmp.ptr, final.ptr) != 0) {
		error = mg_err_set(err, MG_EIO,
		                   "cannot rename '%s' to '%s': %s", tmp.ptr,
		                   final.ptr, strerror(errno));
		unlink(tmp.ptr);
		goto cleanup;
	}
	sync_dir(dir); /* best effort: the rename itself is durable-ish */
	if (path_out) {
		*path_out = mg_buf_detach(&final);
		if (*path_out == NULL)
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
	}
cleanup:
	mg_buf_release(&tmp);
	mg_buf_release(&final);
	return error;
}

struct entry {
	char key[MG_UPLOAD_KEY_HEX + 1];
	struct timespec mtime;
};

static int by_mtime(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->key, y->key);
}

int mg_spool_list(char ***keys, size_t *n_out, bool *more, const char *dir,
                  mg_err *err)
{
	struct entry *ents = NULL;
	char **out = NULL;
	size_t n = 0, i;
	struct dirent *de;
	DIR *d = opendir(dir);
	int error = 0;

	*keys = NULL;
	*n_out = 0;
	*more = false;
	if (d == NULL && errno == ENOENT)
		return 0;
	if (d == NULL)
		return mg_err_set(err, MG_EIO, "cannot read '%s': %s", dir,
		                  strerror(errno));
	ents = calloc(MG_SPOOL_MAX_FILES, sizeof(*ents));
	if (ents == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	while ((de = readdir(d)) != NULL) {
		char key[MG_UPLOAD_KEY_HEX + 1];
		struct stat st;

		if (strlen(de->d_name) != MG_UPLOAD_KEY_HEX + 5 ||
		    strcmp(de->d_name + MG_UPLOAD_KEY_HEX, ".json") != 0)
			continue;
		memcpy(key, de->d_name, MG_UPLOAD_KEY_HEX);
		key[MG_UPLOAD_KEY_HEX] = '\0';
		if (!key_ok(key) ||
		    fstatat(dirfd(d), de->d_name, &st, 0) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == MG_SPOOL_MAX_FILES) {
			*more = true;
			break;
		}
		memcpy(ents[n].key, key, sizeof(key));
		ents[n].mtime = st.st_mtim;
		n++;
	}
	qsort(ents, n, sizeof(*ents), by_mtime);
	out = calloc(n ? n : 1, sizeof(*out));
	if (out == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (i = 0; i < n; i++) {
		out[i] = mg_strdup(ents[i].key);
		if (out[i] == NULL) {
			mg_spool_list_free(out, i);
			error = mg_err_set(err, MG_ENOMEM, "out of memory");
			goto cleanup;
		}
	}
	*keys = out;
	*n_out = n;
cleanup:
	free(ents);
	closedir(d);
	return error;
}

void mg_spool_list_free(char **keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}

int mg_spool_read(mg_buf *out, const char *dir, const char *key, mg_err *err)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s.json", dir, key);
	out->max = MG_RUNJSON_MAX_INPUT;
	return mg_read_file(out, path, err);
}

int mg_spool_remove(const char *dir, const char *key, mg_err *err)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/%s.json", dir, key);
	if (unlink(path) != 0)
		return mg_err_set(err, MG_EIO, "cannot remove '%s': %s", path,
		                  strerror(errno));
	sync_dir(dir);
	return 0;
}

int mg_spool_reject(const char *dir, const char *key, char **path_out,
                    mg_err *err)
{
	mg_buf from = MG_BUF_INIT(8192), sub = MG_BUF_INIT(8192);
	mg_buf to = MG_BUF_INIT(8192);
	int error = 0;

	if (mg_buf_printf(&from, "%s/%s.json", dir, key) < 0 ||
	    mg_buf_printf(&sub, "%s/rejected", dir) < 0 ||
	    mg_buf_printf(&to, "%s/%s.json", sub.ptr, key) < 0) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	error = make_dirs(sub.ptr, err);
	if (error < 0)
		goto cleanup;
	if (rename(from.ptr, to.ptr) != 0) {
		error = mg_err_set(err, MG_EIO, "cannot move '%s' to '%s': %s",
		                   from.ptr, to.ptr, strerror(errno));
		goto cleanup;
	}
	*path_out = mg_buf_detach(&to);
	if (*path_out == NULL)
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
cleanup:
	mg_buf_release(&from);
	mg_buf_release(&sub);
	mg_buf_release(&to);
	return error;
}
