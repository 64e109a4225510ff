/*
 * github.c - the GitHub REST client (github.h): App JWTs and installation
 * tokens, commit statuses, the marker comment, check runs. Requests go
 * through forge.c's retrying loop; this file knows GitHub's paths, bodies
 * and authentication.
 */
#include <ctype.h>

#include <cjson/cJSON.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "forge_int.h"
#include "github.h"

/* Note appended when a comment had to be cut to GitHub's limit. */
#define TRIM_NOTE "\n\n_(trimmed by memgate to fit GitHub's size limit)_\n"
/* The Authorization header line around a token. */
#define AUTH_PREFIX "Authorization: Bearer "

struct inst_token {
	int64_t installation; /* installation id, 0: free slot */
	char *header;         /* "Authorization: Bearer <token>" */
	int64_t expires_ms;   /* expires_at, unix ms */
};

struct mg_github {
	mg_forge_http h;      /* base URL, curl handle, policy */
	char *token_header;   /* token auth: the Authorization line */
	char *app_id;         /* App auth */
	EVP_PKEY *key;        /* App auth: RSA private key */
	int64_t installation; /* App auth: the default installation */
	struct inst_token cache[MG_GITHUB_MAX_INSTALLATIONS];
	int token_requests; /* JWT exchanges made */
};

static const char ACCEPT[] = "Accept: application/vnd.github+json";
static const char VERSION[] = "X-GitHub-Api-Version: " MG_GITHUB_API_VERSION;

/* ---- configuration ------------------------------------------------------- */

/* A token goes into a header: printable ASCII without blanks. */
static bool token_ok(const char *t, size_t max)
{
	size_t i;

	for (i = 0; t[i]; i++)
		if (i == max || t[i] <= ' ' || t[i] > '~')
			return false;
	return i > 0;
}

static bool app_id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (i == MG_GITHUB_MAX_APP_ID ||
		    !(isalnum((unsigned char)id[i]) || id[i] == '.' ||
		      id[i] == '-' || id[i] == '_'))
			return false;
	return i > 0;
}

/* Refuse to prompt for a passphrase: a server has no terminal. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

static int load_key(EVP_PKEY **out, const char *pem, mg_err *err)
{
	size_t len = strlen(pem);
	EVP_PKEY *key = NULL;
	BIO *bio;

	if (len > MG_GITHUB_MAX_KEY_PEM)
		return mg_err_set(err, MG_EINPUT,
		                  "github: field 'app_key_pem': larger than "
		                  "%zu bytes",
		                  MG_GITHUB_MAX_KEY_PEM);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (key == NULL)
		return mg_err_set(err, MG_EINPUT,
		                  "github: field 'app_key_pem': not a PEM "
		                  "private key (or one with a passphrase)");
	if (!EVP_PKEY_is_a(key, "RSA")) {
		EVP_PKEY_free(key);
		return mg_err_set(err, MG_EINPUT,
		                  "github: field 'app_key_pem': GitHub Apps "
		                  "sign with RS256, the key is not RSA");
	}
	*out = key;
	return 0;
}

static char *auth_line(const char *token)
{
	mg_buf b = MG_BUF_INIT(MG_GITHUB_MAX_TOKEN + 64);

	if (mg_buf_printf(&b, "%s%s", AUTH_PREFIX, token) < 0) {
		mg_buf_release(&b);
		return NULL;
	}
	return mg_buf_detach(&b);
}

int mg_github_new(mg_github **out, const mg_github_config *cfg, mg_err *err)
{
	mg_github *gh;
	bool app = cfg->app_id || cfg->app_key_pem;
	int error;

	if (app == (cfg->token != NULL))
		return mg_err_set(err, MG_EINPUT,
		                  "github: set either 'token' or 'app_id' with "
		                  "'app_key_pem'");
	if (app && (cfg->app_id == NULL || cfg->app_key_pem == NULL))
		return mg_err_set(err, MG_EINPUT,
		                  "github: App auth needs both 'app_id' and "
		                  "'app_key_pem'");
	if (app && !app_id_ok(cfg->app_id))
		return mg_err_set(err, MG_EINPUT,
		                  "github: field 'app_id': expected the App id "
		                  "or client id, got '%.64s'",
		                  cfg->app_id);
	if (!app && !token_ok(cfg->token, MG_GITHUB_MAX_TOKEN))
		return mg_err_set(err, MG_EINPUT,
		                  "github: field 'token': expected 1 to %d "
		                  "printable characters without blanks",
		                  MG_GITHUB_MAX_TOKEN);
	if (cfg->installation_id < 0)
		return mg_err_set(err, MG_EINPUT,
		                  "github: field 'installation_id': negative");
	gh = calloc(1, sizeof(*gh));
	if (gh == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_forge__http_init(&gh->h, MG_FORGE_GITHUB,
	                            cfg->api_url ? cfg->api_url
	                                         : MG_GITHUB_API_URL,
	                            cfg->user_agent, &cfg->policy, err);
	if (error < 0) {
		free(gh);
		return error;
	}
	if (app) {
		error = load_key(&gh->key, cfg->app_key_pem, err);
		if (error < 0)
			goto fail;
		gh->app_id = mg_strdup(cfg->app_id);
		if (gh->app_id == NULL)
			goto oom;
		gh->installation = cfg->installation_id;
	} else {
		gh->token_header = auth_line(cfg->token);
		if (gh->token_header == NULL)
			goto oom;
	}
	*out = gh;
	return 0;
oom:
	error = mg_err_set(err, MG_ENOMEM, "out of memory");
fail:
	mg_github_free(gh);
	return error;
}

void mg_github_free(mg_github *gh)
{
	size_t i;

	if (gh == NULL)
		return;
	mg_forge__http_release(&gh->h);
	free(gh->token_header);
	free(gh->app_id);
	EVP_PKEY_free(gh->key);
	for (i = 0; i < MG_GITHUB_MAX_INSTALLATIONS; i++)
		free(gh->cache[i].header);
	free(gh);
}

bool mg_github_is_app(const mg_github *gh)
{
	return gh->key != NULL;
}

int mg_github_token_requests(const mg_github *gh)
{
	return gh->token_requests;
}

/* ---- the App JWT --------------------------------------------------------- */

/* Append base64url (RFC 4648 section 5, no padding) of data. */
static int put_b64url(mg_buf *out, const void *data, size_t len)
{
	unsigned char *tmp;
	size_t i, n;
	int error;

	tmp = malloc(4 * ((len + 2) / 3) + 1);
	if (tmp == NULL)
		return MG_ENOMEM;
	n = (size_t)EVP_EncodeBlock(tmp, data, (int)len);
	while (n > 0 && tmp[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		if (tmp[i] == '+')
			tmp[i] = '-';
		else if (tmp[i] == '/')
			tmp[i] = '_';
	}
	error = mg_buf_put(out, tmp, n);
	free(tmp);
	return error;
}

static int make_jwt(mg_buf *out, const char *app_id, EVP_PKEY *key,
                    int64_t now_s, mg_err *err)
{
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	mg_buf claims = MG_BUF_INIT(256);
	EVP_MD_CTX *md = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0, start = out->len;
	bool numeric = true;
	int error;
	size_t i;

	for (i = 0; app_id[i]; i++)
		if (!isdigit((unsigned char)app_id[i]))
			numeric = false;
	error = mg_buf_printf(&claims,
	                      numeric ? "{\"iat\":%lld,\"exp\":%lld,\"iss\":%s}"
	                              : "{\"iat\":%lld,\"exp\":%lld,"
	                                "\"iss\":\"%s\"}",
	                      (long long)(now_s - MG_GITHUB_JWT_BACKDATE_S),
	                      (long long)(now_s + MG_GITHUB_JWT_LIFETIME_S),
	                      app_id);
	if (error == 0)
		error = put_b64url(out, header, sizeof(header) - 1);
	if (error == 0)
		error = mg_buf_putc(out, '.');
	if (error == 0)
		error = put_b64url(out, claims.ptr, claims.len);
	if (error < 0) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (unsigned char *)out->ptr + start,
	                   out->len - start) != 1 ||
	    (sig = malloc(siglen)) == NULL ||
	    EVP_DigestSign(md, sig, &siglen, (unsigned char *)out->ptr + start,
	                   out->len - start) != 1) {
		ERR_clear_error();
		error = mg_err_set(err, MG_EINTERNAL,
		                   "github: cannot sign the App JWT");
		goto cleanup;
	}
	error = mg_buf_putc(out, '.');
	if (error == 0)
		error = put_b64url(out, sig, siglen);
	if (error < 0)
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
cleanup:
	if (error < 0)
		mg_buf_truncate(out, start);
	EVP_MD_CTX_free(md);
	free(sig);
	mg_buf_release(&claims);
	return error;
}

int mg_github_app_jwt(mg_buf *out, const char *app_id, const char *key_pem,
                      int64_t now_s, mg_err *err)
{
	EVP_PKEY *key = NULL;
	int error;

	if (app_id == NULL || !app_id_ok(app_id))
		return mg_err_set(err, MG_EINPUT,
		                  "github: field 'app_id': invalid");
	error = load_key(&key, key_pem ? key_pem : "", err);
	if (error < 0)
		return error;
	error = make_jwt(out, app_id, key, now_s, err);
	EVP_PKEY_free(key);
	return error;
}

/* ---- installation tokens ------------------------------------------------- */

static struct inst_token *cache_find(mg_github *gh, int64_t inst)
{
	size_t i;

	for (i = 0; i < MG_GITHUB_MAX_INSTALLATIONS; i++)
		if (gh->cache[i].installation == inst)
			return &gh->cache[i];
	return NULL;
}

/* A free slot, or the one expiring first. */
static struct inst_token *cache_slot(mg_github *gh, int64_t inst)
{
	struct inst_token *t = cache_find(gh, inst), *best = NULL;
	size_t i;

	if (t)
		return t;
	for (i = 0; i < MG_GITHUB_MAX_INSTALLATIONS; i++) {
		t = &gh->cache[i];
		if (t->installation == 0)
			return t;
		if (best == NULL || t->expires_ms < best->expires_ms)
			best = t;
	}
	return best;
}

static void cache_drop(struct inst_token *t)
{
	free(t->header);
	memset(t, 0, sizeof(*t));
}

/* Read {"token": ..., "expires_at": ...} into a cache slot. */
static int read_token(mg_github *gh, mg_forge_result *res, int64_t inst,
                      const mg_httpc_resp *resp, struct inst_token **out,
                      mg_err *err)
{
	cJSON *root = cJSON_ParseWithLength(resp->body.ptr, resp->body.len);
	const cJSON *tok = cJSON_GetObjectItemCaseSensitive(root, "token");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(root, "expires_at");
	struct inst_token *t;
	int64_t expires;
	char *header;
	int error;

	if (!cJSON_IsString(tok) ||
	    !token_ok(tok->valuestring, MG_GITHUB_MAX_TOKEN)) {
		error = mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EUPSTREAM,
		                       err,
		                       "github: installation %lld: the answer "
		                       "holds no usable 'token'",
		                       (long long)inst);
		goto cleanup;
	}
	if (!cJSON_IsString(exp) ||
	    mg_forge_parse_time(&expires, exp->valuestring, NULL) < 0) {
		error = mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EUPSTREAM,
		                       err,
		                       "github: installation %lld: field "
		                       "'expires_at': expected a time",
		                       (long long)inst);
		goto cleanup;
	}
	header = auth_line(tok->valuestring);
	if (header == NULL) {
		error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                       "out of memory");
		goto cleanup;
	}
	t = cache_slot(gh, inst);
	cache_drop(t);
	t->installation = inst;
	t->header = header;
	t->expires_ms = expires;
	*out = t;
	error = 0;
cleanup:
	cJSON_Delete(root);
	return error;
}

/*
 * The Authorization line for installation inst: cached, or fetched now.
 * *fresh tells whether it was just fetched (a 401 with it is final).
 */
static int installation_auth(mg_github *gh, mg_forge_result *res, int64_t inst,
                             const char **out, bool *fresh, mg_err *err)
{
	mg_httpc_resp resp;
	mg_buf url = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 128);
	mg_buf jwt = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf auth = MG_BUF_INIT(MG_BUF_NOLIMIT);
	struct inst_token *t = cache_find(gh, inst);
	const char *hdrs[3];
	int64_t now = mg_forge_now_ms();
	int error;

	*fresh = false;
	if (t && now < t->expires_ms - MG_GITHUB_TOKEN_REFRESH_S * 1000) {
		*out = t->header;
		return 0;
	}
	mg_httpc_resp_init(&resp);
	error = make_jwt(&jwt, gh->app_id, gh->key, now / 1000, err);
	if (error < 0) {
		mg_forge__fail(res, MG_FORGE_PERMANENT, error, NULL, "%s",
		               err ? err->msg : "cannot sign the App JWT");
		goto cleanup;
	}
	if (mg_buf_printf(&url, "%s/app/installations/%lld/access_tokens",
	                  gh->h.base, (long long)inst) < 0 ||
	    mg_buf_printf(&auth, "%s%s", AUTH_PREFIX, jwt.ptr) < 0) {
		error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                       "out of memory");
		goto cleanup;
	}
	hdrs[0] = ACCEPT;
	hdrs[1] = VERSION;
	hdrs[2] = auth.ptr;
	gh->token_requests++;
	error = mg_forge__send(&gh->h, res, &resp,
	                       &(mg_forge_call){.method = "POST",
	                                        .url = url.ptr,
	                                        .headers = hdrs,
	                                        .nheaders = 3,
	                                        .body = "{}"},
	                       err);
	if (error < 0) {
		mg_err_prefix(err, "installation %lld token", (long long)inst);
		goto cleanup;
	}
	error = read_token(gh, res, inst, &resp, &t, err);
	if (error < 0)
		goto cleanup;
	*out = t->header;
	*fresh = true;
cleanup:
	mg_httpc_resp_release(&resp);
	mg_buf_release(&url);
	mg_buf_release(&jwt);
	mg_buf_release(&auth);
	return error;
}

/*
 * Send call to GitHub for repo with the common headers and the right
 * Authorization. With App auth a 401 on a cached token fetches a new one
 * and tries once more.
 */
static int gh_send(mg_github *gh, mg_forge_result *res, mg_httpc_resp *resp,
                   const mg_github_repo *repo, mg_forge_call call, mg_err *err)
{
	const char *hdrs[3] = {ACCEPT, VERSION, gh->token_header};
	int64_t inst = repo->installation_id ? repo->installation_id
	                                     : gh->installation;
	bool fresh = true;
	int error, pass;

	call.headers = hdrs;
	call.nheaders = 3;
	for (pass = 0; pass < 2; pass++) {
		if (gh->key) {
			error = installation_auth(gh, res, inst, &hdrs[2],
			                          &fresh, err);
			if (error < 0)
				return error;
		}
		error = mg_forge__send(&gh->h, res, resp, &call, err);
		if (error != MG_EAUTH || gh->key == NULL || fresh)
			return error;
		cache_drop(cache_find(gh, inst));
	}
	return error;
}

/* ---- arguments ----------------------------------------------------------- */

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_' || c == '.';
}

/*
 * "owner/repo" with both parts made of [A-Za-z0-9._-] (so they need no
 * escaping in a path), neither "." nor "..".
 */
static int check_repo(mg_github *gh, mg_forge_result *res,
                      const mg_github_repo *repo, mg_err *err)
{
	const char *n = repo ? repo->full_name : NULL;
	const char *slash = n ? strchr(n, '/') : NULL;
	size_t i, len = n ? strlen(n) : 0;
	bool ok = slash && slash != n && slash[1] && len <= MG_GITHUB_MAX_REPO;

	for (i = 0; ok && i < len; i++)
		if (n + i != slash && !name_char(n[i]))
			ok = false;
	if (ok && (strncmp(n, "./", 2) == 0 || strncmp(n, "../", 3) == 0 ||
	           strcmp(slash, "/.") == 0 || strcmp(slash, "/..") == 0))
		ok = false;
	if (!ok)
		return mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                      "github: field 'repository': expected "
		                      "'owner/repo', got '%.100s'",
		                      n ? n : "");
	if (gh->key && repo->installation_id <= 0 && gh->installation <= 0)
		return mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                      "github: %s: App auth needs an "
		                      "installation id",
		                      n);
	return 0;
}

static bool url_ok(const char *u)
{
	return u == NULL || mg_forge__url_ok(u, MG_GITHUB_MAX_URL);
}

static bool line_ok(const char *s, size_t max)
{
	return mg_forge__line_ok(s, max);
}

/* Add a string member; false on allocation failure. */
static bool add_str(cJSON *o, const char *name, const char *v)
{
	return cJSON_AddStringToObject(o, name, v) != NULL;
}

/* Print o unformatted into *out (malloc'd); MG_ENOMEM. */
static int print_json(char **out, cJSON *o)
{
	*out = o ? cJSON_PrintUnformatted(o) : NULL;
	return *out ? 0 : MG_ENOMEM;
}

/* ---- statuses ------------------------------------------------------------ */

int mg_github_create_status(mg_github *gh, mg_forge_result *res,
                            const mg_github_repo *repo, const char *sha,
                            const mg_github_status *s, mg_err *err)
{
	mg_buf url = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 512);
	mg_buf desc = MG_BUF_INIT(MG_BUF_NOLIMIT);
	const char *context =
	        s->context ? s->context : MG_FORGE_DEFAULT_CONTEXT;
	mg_httpc_resp resp;
	cJSON *o = NULL;
	char *body = NULL;
	int error;

	mg_forge_result_init(res);
	mg_httpc_resp_init(&resp);
	error = check_repo(gh, res, repo, err);
	if (error < 0)
		goto cleanup;
	if (!mg_forge__is_sha(sha) || !line_ok(context, 255) ||
	    !url_ok(s->target_url) || (unsigned)s->state > MG_FORGE_ERROR) {
		error = mg_forge__fail(
		        res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		        "github: status for '%.80s': %s", repo->full_name,
		        !mg_forge__is_sha(sha) ? "field 'sha': expected 40 or "
		                                 "64 hex digits"
		        : !line_ok(context, 255)
		                ? "field 'context': expected one line"
		        : !url_ok(s->target_url)
		                ? "field 'target_url': expected an http(s) URL"
		                : "field 'state': unknown state");
		goto cleanup;
	}
	o = cJSON_CreateObject();
	if (s->description)
		error = mg_forge_trim(&desc, s->description,
		                      MG_GITHUB_DESCRIPTION_MAX,
		                      "\xE2\x80\xA6");
	if (o == NULL || error < 0 ||
	    !add_str(o, "state", mg_forge_state_name(s->state)) ||
	    (s->target_url && !add_str(o, "target_url", s->target_url)) ||
	    (s->description && !add_str(o, "description", desc.ptr)) ||
	    !add_str(o, "context", context) || print_json(&body, o) < 0 ||
	    mg_buf_printf(&url, "%s/repos/%s/statuses/%s", gh->h.base,
	                  repo->full_name, sha) < 0) {
		error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                       "out of memory");
		goto cleanup;
	}
	error = gh_send(
	        gh, res, &resp, repo,
	        (mg_forge_call){.method = "POST", .url = url.ptr, .body = body},
	        err);
	if (error == 0)
		res->id = mg_forge__answer_id(&resp);
cleanup:
	cJSON_Delete(o);
	free(body);
	mg_buf_release(&url);
	mg_buf_release(&desc);
	mg_httpc_resp_release(&resp);
	return error;
}

/* ---- the marker comment -------------------------------------------------- */

static bool marker_ok(const char *m)
{
	return line_ok(m, MG_FORGE_MAX_MARKER);
}

int mg_github_comment_body(mg_buf *out, const char *marker, const char *body,
                           mg_err *err)
{
	if (marker == NULL)
		marker = MG_FORGE_COMMENT_MARKER;
	if (!marker_ok(marker) || body == NULL)
		return mg_err_set(err, MG_EINPUT, "github: comment: %s",
		                  body ? "field 'marker': expected one short "
		                         "line"
		                       : "no body");
	if (mg_forge__marked_body(out, marker, body, MG_GITHUB_COMMENT_MAX,
	                          TRIM_NOTE) < 0)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	return 0;
}

struct gh_send_ctx {
	mg_github *gh;
	const mg_github_repo *repo;
};

static int gh_send_cb(void *ctx, mg_forge_result *res, mg_httpc_resp *resp,
                      const mg_forge_call *call, mg_err *err)
{
	struct gh_send_ctx *c = ctx;

	return gh_send(c->gh, res, resp, c->repo, *call, err);
}

/*
 * Walk the comment pages of PR number until one starts with marker; *id
 * gets its id, or 0 when no page has it.
 */
static int find_comment(mg_github *gh, mg_forge_result *res,
                        const mg_github_repo *repo, int64_t number,
                        const char *marker, int64_t *id, mg_err *err)
{
	mg_buf url = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 512);
	char where[256];
	struct gh_send_ctx ctx = {gh, repo};
	mg_forge_find f = {.send = gh_send_cb,
	                   .ctx = &ctx,
	                   .base = gh->h.base,
	                   .max_pages = MG_GITHUB_MAX_PAGES,
	                   .max_response = MG_GITHUB_LIST_RESPONSE_MAX,
	                   .marker = marker,
	                   .where = where,
	                   .item = "comment"};
	int error;

	snprintf(where, sizeof(where), "github: %.200s#%lld", repo->full_name,
	         (long long)number);
	if (mg_buf_printf(&url, "%s/repos/%s/issues/%lld/comments?per_page=%d",
	                  gh->h.base, repo->full_name, (long long)number,
	                  MG_GITHUB_PER_PAGE) < 0)
		return mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                      "out of memory");
	f.url = url.ptr;
	error = mg_forge__find_marked(&f, res, id, err);
	mg_buf_release(&url);
	return error;
}

int mg_github_upsert_comment(mg_github *gh, mg_forge_result *res,
                             const mg_github_repo *repo, int64_t number,
                             const char *marker, const char *body, mg_err *err)
{
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf url = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 512);
	mg_httpc_resp resp;
	cJSON *o = NULL;
	char *json = NULL;
	int64_t id, wait = 0;
	int round, error;

	mg_forge_result_init(res);
	mg_httpc_resp_init(&resp);
	if (marker == NULL)
		marker = MG_FORGE_COMMENT_MARKER;
	error = check_repo(gh, res, repo, err);
	if (error < 0)
		goto cleanup;
	if (number <= 0 || !marker_ok(marker) || body == NULL) {
		error = mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                       "github: comment on %.100s#%lld: %s",
		                       repo->full_name, (long long)number,
		                       number <= 0 ? "field 'number': expected "
		                                     "a pull request number"
		                       : body == NULL
		                               ? "no body"
		                               : "field 'marker': expected "
		                                 "one short line");
		goto cleanup;
	}
	error = mg_github_comment_body(&text, marker, body, err);
	o = cJSON_CreateObject();
	if (error < 0 || o == NULL || !add_str(o, "body", text.ptr) ||
	    print_json(&json, o) < 0) {
		error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                       "out of memory");
		goto cleanup;
	}
	for (round = 1;; round++) {
		error = find_comment(gh, res, repo, number, marker, &id, err);
		if (error < 0)
			goto cleanup;
		mg_buf_reset(&url);
		if (id) {
			error = mg_buf_printf(
			        &url, "%s/repos/%s/issues/comments/%lld",
			        gh->h.base, repo->full_name, (long long)id);
		} else {
			error = mg_buf_printf(
			        &url, "%s/repos/%s/issues/%lld/comments",
			        gh->h.base, repo->full_name, (long long)number);
		}
		if (error < 0) {
			error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM,
			                       err, "out of memory");
			goto cleanup;
		}
		/* PATCH is idempotent; a POST is retried by listing again. */
		error = gh_send(gh, res, &resp, repo,
		                (mg_forge_call){.method = id ? "PATCH" : "POST",
		                                .url = url.ptr,
		                                .body = json,
		                                .attempts = id ? 0 : 1,
		                                .fresh_connection = id == 0},
		                err);
		if (error == 0) {
			res->id = id ? id : mg_forge__answer_id(&resp);
			res->created = id == 0;
			goto cleanup;
		}
		/*
		 * Someone deleted the comment between the list and the
		 * PATCH: list again, which creates a new one.
		 */
		if (id && res->status == 404 && round < gh->h.policy.attempts)
			continue;
		if (id || !mg_forge__retry_wait(&gh->h, res, round,
		                                gh->h.policy.attempts, &wait))
			goto cleanup;
		mg_forge__sleep_ms(wait, gh->h.policy.cancel);
	}
cleanup:
	cJSON_Delete(o);
	free(json);
	mg_buf_release(&text);
	mg_buf_release(&url);
	mg_httpc_resp_release(&resp);
	return error;
}

/* ---- check runs ---------------------------------------------------------- */

static const char *const check_status_names[] = {"queued", "in_progress",
                                                 "completed"};
static const char *const conclusion_names[] = {
        NULL,        "success", "failure",   "neutral",
        "cancelled", "skipped", "timed_out", "action_required"};

static int check_args(const mg_github_check *c, const char *name)
{
	if ((unsigned)c->status > MG_GITHUB_CHECK_COMPLETED ||
	    (unsigned)c->conclusion > MG_GITHUB_CONCLUSION_ACTION_REQUIRED)
		return -1;
	if ((c->status == MG_GITHUB_CHECK_COMPLETED) !=
	    (c->conclusion != MG_GITHUB_CONCLUSION_NONE))
		return -2;
	if (c->check_run_id == 0 && !mg_forge__is_sha(c->head_sha))
		return -3;
	if (!line_ok(name, MG_GITHUB_CHECK_NAME_MAX) ||
	    (c->title && !line_ok(c->title, MG_GITHUB_CHECK_NAME_MAX)))
		return -4;
	if (!url_ok(c->details_url) ||
	    (c->external_id && !line_ok(c->external_id, 255)))
		return -5;
	return 0;
}

static int iso_time(char out[32], int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return -1;
	return 0;
}

/* The request body of a check run create or update. */
static int check_body(char **out, const mg_github_check *c, const char *name)
{
	mg_buf summary = MG_BUF_INIT(MG_BUF_NOLIMIT);
	mg_buf text = MG_BUF_INIT(MG_BUF_NOLIMIT);
	cJSON *o = cJSON_CreateObject(), *output = NULL;
	char when[32];
	bool ok = o != NULL;

	ok = ok && add_str(o, "name", name);
	if (ok && c->check_run_id == 0)
		ok = add_str(o, "head_sha", c->head_sha);
	ok = ok && add_str(o, "status", check_status_names[c->status]);
	if (ok && c->status == MG_GITHUB_CHECK_COMPLETED)
		ok = add_str(o, "conclusion",
		             conclusion_names[c->conclusion]) &&
		     iso_time(when, c->completed_at_ms
		                            ? c->completed_at_ms
		                            : mg_forge_now_ms()) == 0 &&
		     add_str(o, "completed_at", when);
	if (ok && c->details_url)
		ok = add_str(o, "details_url", c->details_url);
	if (ok && c->external_id)
		ok = add_str(o, "external_id", c->external_id);
	if (ok)
		ok = mg_forge_trim(&summary, c->summary ? c->summary : "",
		                   MG_GITHUB_CHECK_TEXT_MAX, TRIM_NOTE) == 0 &&
		     (c->text == NULL ||
		      mg_forge_trim(&text, c->text, MG_GITHUB_CHECK_TEXT_MAX,
		                    TRIM_NOTE) == 0);
	if (ok)
		ok = (output = cJSON_AddObjectToObject(o, "output")) != NULL &&
		     add_str(output, "title", c->title ? c->title : name) &&
		     add_str(output, "summary", summary.ptr) &&
		     (c->text == NULL || add_str(output, "text", text.ptr));
	ok = ok && print_json(out, o) == 0;
	cJSON_Delete(o);
	mg_buf_release(&summary);
	mg_buf_release(&text);
	return ok ? 0 : MG_ENOMEM;
}

int mg_github_check_run(mg_github *gh, mg_forge_result *res,
                        const mg_github_repo *repo, const mg_github_check *c,
                        mg_err *err)
{
	static const char *const why[] = {
	        "",
	        "unknown status or conclusion",
	        "a conclusion goes with status completed, and only with it",
	        "field 'head_sha': expected 40 or 64 hex digits",
	        "name and title must be one line of at most 200 characters",
	        "bad details_url or external_id"};
	mg_buf url = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 512);
	const char *name = c->name ? c->name : MG_FORGE_DEFAULT_CONTEXT;
	mg_httpc_resp resp;
	char *body = NULL;
	int error, bad;

	mg_forge_result_init(res);
	mg_httpc_resp_init(&resp);
	error = check_repo(gh, res, repo, err);
	if (error < 0)
		goto cleanup;
	if (gh->key == NULL) {
		error = mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                       "github: check runs need GitHub App "
		                       "auth, not a token");
		goto cleanup;
	}
	bad = check_args(c, name);
	if (bad < 0) {
		error = mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                       "github: check run on %.100s: %s",
		                       repo->full_name, why[-bad]);
		goto cleanup;
	}
	if (check_body(&body, c, name) < 0 ||
	    (c->check_run_id
	             ? mg_buf_printf(&url, "%s/repos/%s/check-runs/%lld",
	                             gh->h.base, repo->full_name,
	                             (long long)c->check_run_id)
	             : mg_buf_printf(&url, "%s/repos/%s/check-runs", gh->h.base,
	                             repo->full_name)) < 0) {
		error = mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                       "out of memory");
		goto cleanup;
	}
	error = gh_send(
	        gh, res, &resp, repo,
	        (mg_forge_call){.method = c->check_run_id ? "PATCH" : "POST",
	                        .url = url.ptr,
	                        .body = body},
	        err);
	if (error == 0) {
		res->id = c->check_run_id ? c->check_run_id
		                          : mg_forge__answer_id(&resp);
		res->created = c->check_run_id == 0;
	}
cleanup:
	free(body);
	mg_buf_release(&url);
	mg_httpc_resp_release(&resp);
	return error;
}
