/*
 * webhook.c - X-Hub-Signature-256 verification (HMAC-SHA256, constant-time
 * comparison) and the parser of ping, pull_request and push deliveries.
 * See webhook.h for the fields read.
 */
#include <ctype.h>
#include <math.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "webhook.h"

#define SHA256_LEN 32

/* ---- signatures ---------------------------------------------------------- */

static int hmac(unsigned char out[SHA256_LEN], const char *secret,
                const void *body, size_t len, mg_err *err)
{
	size_t slen = secret ? strlen(secret) : 0;
	unsigned int n = 0;

	if (slen == 0)
		return mg_err_set(err, MG_EAUTH,
		                  "webhook: no secret configured, deliveries "
		                  "cannot be verified");
	if (slen > MG_WEBHOOK_MAX_SECRET)
		return mg_err_set(err, MG_EINPUT,
		                  "webhook: secret longer than %d bytes",
		                  MG_WEBHOOK_MAX_SECRET);
	if (len > MG_WEBHOOK_MAX_BODY)
		return mg_err_set(err, MG_EINPUT,
		                  "webhook: body of %zu bytes over the limit "
		                  "of %zu",
		                  len, MG_WEBHOOK_MAX_BODY);
	/* An empty body is a valid message; HMAC wants a non-NULL pointer. */
	if (HMAC(EVP_sha256(), secret, (int)slen,
	         len ? (const unsigned char *)body : (const unsigned char *)"",
	         len, out, &n) == NULL ||
	    n != SHA256_LEN)
		return mg_err_set(err, MG_EINTERNAL,
		                  "webhook: HMAC-SHA256 failed");
	return 0;
}

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

int mg_webhook_sign(char out[MG_WEBHOOK_SIG_LEN + 1], const char *secret,
                    const void *body, size_t len, mg_err *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[SHA256_LEN];
	int error = hmac(mac, secret, body, len, err), i;

	if (error < 0)
		return error;
	memcpy(out, MG_WEBHOOK_SIG_PREFIX, 7);
	for (i = 0; i < SHA256_LEN; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[8 + 2 * i] = hex[mac[i] & 15];
	}
	out[MG_WEBHOOK_SIG_LEN] = '\0';
	return 0;
}

int mg_webhook_verify(const char *secret, const void *body, size_t len,
                      const char *header, mg_err *err)
{
	unsigned char mac[SHA256_LEN], got[SHA256_LEN];
	int error, i, hi, lo;

	if (header == NULL)
		return mg_err_set(err, MG_EAUTH,
		                  "webhook: no X-Hub-Signature-256 header");
	if (strlen(header) != MG_WEBHOOK_SIG_LEN ||
	    strncmp(header, MG_WEBHOOK_SIG_PREFIX, 7) != 0)
		goto malformed;
	for (i = 0; i < SHA256_LEN; i++) {
		hi = hexval(header[7 + 2 * i]);
		lo = hexval(header[8 + 2 * i]);
		if (hi < 0 || lo < 0)
			goto malformed;
		got[i] = (unsigned char)(hi << 4 | lo);
	}
	error = hmac(mac, secret, body, len, err);
	if (error < 0)
		return error;
	/* Constant time: the comparison must not leak the matching prefix. */
	if (CRYPTO_memcmp(mac, got, SHA256_LEN) != 0)
		return mg_err_set(err, MG_EAUTH,
		                  "webhook: X-Hub-Signature-256 does not match "
		                  "the body");
	return 0;
malformed:
	return mg_err_set(err, MG_EAUTH,
	                  "webhook: X-Hub-Signature-256: expected 'sha256=' "
	                  "and 64 hex digits");
}

/* ---- parsing ------------------------------------------------------------- */

static const char *const pr_actions[] = {"opened", "synchronize", "reopened",
                                         "closed"};

const char *mg_webhook_pr_action_name(enum mg_webhook_pr_action a)
{
	if ((unsigned)a >= sizeof(pr_actions) / sizeof(pr_actions[0]))
		return "?";
	return pr_actions[a];
}

void mg_webhook_event_init(mg_webhook_event *ev)
{
	memset(ev, 0, sizeof(*ev));
}

void mg_webhook_event_release(mg_webhook_event *ev)
{
	free(ev->repository);
	free(ev->head_ref);
	free(ev->head_repository);
	free(ev->base_ref);
	free(ev->ref);
	free(ev->default_branch);
	free(ev->commits);
	mg_webhook_event_init(ev);
}

/* Parse state: the event name for messages and the error sink. */
struct ctx {
	const char *event;
	mg_err *err;
};

static int bad(struct ctx *c, const char *field, const char *want)
{
	return mg_err_set(c->err, MG_EINPUT,
	                  "webhook %s: field '%s': expected %s", c->event,
	                  field, want);
}

/* The member at a dotted path ("pull_request.head.sha"), or NULL. */
static const cJSON *at(const cJSON *root, const char *path)
{
	char name[64];
	const char *dot;
	size_t n;

	while (root && *path) {
		dot = strchr(path, '.');
		n = dot ? (size_t)(dot - path) : strlen(path);
		if (n >= sizeof(name))
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		root = cJSON_IsObject(root)
		               ? cJSON_GetObjectItemCaseSensitive(root, name)
		               : NULL;
		path += n + (dot != NULL);
	}
	return root;
}

/* A copy of the string at path (NULL allowed when optional and absent). */
static int get_str(struct ctx *c, const cJSON *root, const char *path,
                   bool optional, char **out)
{
	const cJSON *v = at(root, path);
	size_t len;

	*out = NULL;
	if (optional && (v == NULL || cJSON_IsNull(v)))
		return 0;
	if (!cJSON_IsString(v))
		return bad(c, path, "a string");
	len = strlen(v->valuestring);
	if (len == 0 || len > MG_WEBHOOK_MAX_NAME)
		return bad(c, path, "a non-empty string of at most 1024 bytes");
	*out = mg_strdup(v->valuestring);
	return *out ? 0 : mg_err_set(c->err, MG_ENOMEM, "out of memory");
}

static bool is_sha(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	return s[n] == '\0' && (n == 40 || n == 64);
}

static int get_sha(struct ctx *c, const cJSON *root, const char *path,
                   char out[MG_WEBHOOK_SHA_MAX + 1])
{
	const cJSON *v = at(root, path);

	if (!cJSON_IsString(v) || !is_sha(v->valuestring))
		return bad(c, path, "40 or 64 hex digits");
	snprintf(out, MG_WEBHOOK_SHA_MAX + 1, "%s", v->valuestring);
	return 0;
}

/* A positive integer (ids and numbers are below 2^53 in JSON). */
static int get_id(struct ctx *c, const cJSON *root, const char *path,
                  bool optional, int64_t *out)
{
	const cJSON *v = at(root, path);

	*out = 0;
	if (optional && v == NULL)
		return 0;
	if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1) ||
	    v->valuedouble >= 9007199254740992.0 ||
	    v->valuedouble != floor(v->valuedouble))
		return bad(c, path, "a positive integer");
	*out = (int64_t)v->valuedouble;
	return 0;
}

static int get_bool(struct ctx *c, const cJSON *root, const char *path,
                    bool null_ok, bool *out)
{
	const cJSON *v = at(root, path);

	*out = false;
	if (null_ok && (v == NULL || cJSON_IsNull(v)))
		return 0;
	if (!cJSON_IsBool(v))
		return bad(c, path, "true or false");
	*out = cJSON_IsTrue(v);
	return 0;
}

/* installation.id, when the delivery comes to a GitHub App. */
static int get_installation(struct ctx *c, const cJSON *root,
                            mg_webhook_event *ev)
{
	const cJSON *inst = at(root, "installation");

	if (inst == NULL || cJSON_IsNull(inst))
		return 0;
	return get_id(c, root, "installation.id", false, &ev->installation_id);
}

static int parse_ping(struct ctx *c, const cJSON *root, mg_webhook_event *ev)
{
	int error;

	ev->kind = MG_WEBHOOK_PING;
	error = get_id(c, root, "hook_id", false, &ev->hook_id);
	if (error == 0)
		error = get_str(c, root, "repository.full_name", true,
		                &ev->repository);
	if (error == 0)
		error = get_installation(c, root, ev);
	return error;
}

static int parse_pull_request(struct ctx *c, const cJSON *root,
                              mg_webhook_event *ev)
{
	const cJSON *action = at(root, "action");
	size_t i, n = sizeof(pr_actions) / sizeof(pr_actions[0]);
	int error;

	if (!cJSON_IsString(action))
		return bad(c, "action", "a string");
	for (i = 0; i < n; i++)
		if (strcmp(action->valuestring, pr_actions[i]) == 0)
			break;
	if (i == n) {
		ev->kind = MG_WEBHOOK_IGNORED;
		snprintf(ev->ignored, sizeof(ev->ignored),
		         "pull_request action '%.60s'", action->valuestring);
		return 0;
	}
	ev->kind = MG_WEBHOOK_PULL_REQUEST;
	ev->action = (enum mg_webhook_pr_action)i;
	if (!cJSON_IsObject(at(root, "pull_request")))
		return bad(c, "pull_request", "an object");
	if ((error = get_id(c, root, "number", false, &ev->number)) < 0 ||
	    (error = get_sha(c, root, "pull_request.head.sha", ev->head_sha)) <
	            0 ||
	    (error = get_str(c, root, "pull_request.head.ref", false,
	                     &ev->head_ref)) < 0 ||
	    (error = get_str(c, root, "pull_request.head.repo.full_name", true,
	                     &ev->head_repository)) < 0 ||
	    (error = get_sha(c, root, "pull_request.base.sha", ev->base_sha)) <
	            0 ||
	    (error = get_str(c, root, "pull_request.base.ref", false,
	                     &ev->base_ref)) < 0 ||
	    (error = get_bool(c, root, "pull_request.merged", true,
	                      &ev->merged)) < 0 ||
	    (error = get_bool(c, root, "pull_request.draft", true,
	                      &ev->draft)) < 0 ||
	    (error = get_str(c, root, "repository.full_name", false,
	                     &ev->repository)) < 0 ||
	    (error = get_installation(c, root, ev)) < 0)
		return error;
	if (ev->action == MG_WEBHOOK_PR_SYNCHRONIZE &&
	    ((error = get_sha(c, root, "before", ev->before)) < 0 ||
	     (error = get_sha(c, root, "after", ev->after)) < 0))
		return error;
	return 0;
}

static int parse_push(struct ctx *c, const cJSON *root, mg_webhook_event *ev)
{
	const cJSON *commits = at(root, "commits"), *commit;
	char field[48];
	size_t n, i = 0;
	int error;

	ev->kind = MG_WEBHOOK_PUSH;
	if ((error = get_str(c, root, "ref", false, &ev->ref)) < 0 ||
	    (error = get_sha(c, root, "before", ev->before)) < 0 ||
	    (error = get_sha(c, root, "after", ev->after)) < 0 ||
	    (error = get_bool(c, root, "created", false, &ev->created)) < 0 ||
	    (error = get_bool(c, root, "deleted", false, &ev->deleted)) < 0 ||
	    (error = get_bool(c, root, "forced", false, &ev->forced)) < 0 ||
	    (error = get_str(c, root, "repository.full_name", false,
	                     &ev->repository)) < 0 ||
	    (error = get_str(c, root, "repository.default_branch", false,
	                     &ev->default_branch)) < 0 ||
	    (error = get_installation(c, root, ev)) < 0)
		return error;
	if (!cJSON_IsArray(commits))
		return bad(c, "commits", "an array");
	n = (size_t)cJSON_GetArraySize(commits);
	if (n > MG_WEBHOOK_MAX_COMMITS)
		return mg_err_set(c->err, MG_ELIMIT,
		                  "webhook push: field 'commits': %zu commits, "
		                  "more than the %d GitHub sends",
		                  n, MG_WEBHOOK_MAX_COMMITS);
	if (n == 0)
		return 0;
	ev->commits = calloc(n, sizeof(*ev->commits));
	if (ev->commits == NULL)
		return mg_err_set(c->err, MG_ENOMEM, "out of memory");
	cJSON_ArrayForEach(commit, commits)
	{
		snprintf(field, sizeof(field), "commits[%zu].id", i);
		if (!cJSON_IsObject(commit))
			return bad(c, field, "an object with an id");
		error = get_sha(c, commit, "id", ev->commits[i]);
		if (error < 0)
			return bad(c, field, "40 or 64 hex digits");
		i++;
	}
	ev->ncommits = i;
	return 0;
}

int mg_webhook_parse(mg_webhook_event *out, const char *event, const void *body,
                     size_t len, mg_err *err)
{
	struct ctx c = {event, err};
	const char *end = NULL;
	cJSON *root = NULL;
	int error;

	mg_webhook_event_release(out);
	if (event == NULL ||
	    (strcmp(event, "ping") != 0 && strcmp(event, "pull_request") != 0 &&
	     strcmp(event, "push") != 0)) {
		out->kind = MG_WEBHOOK_IGNORED;
		snprintf(out->ignored, sizeof(out->ignored), "event '%.60s'",
		         event ? event : "");
		return 0;
	}
	if (len > MG_WEBHOOK_MAX_BODY)
		return mg_err_set(
		        err, MG_ELIMIT,
		        "webhook %s: body of %zu bytes over the limit "
		        "of %zu",
		        event, len, MG_WEBHOOK_MAX_BODY);
	root = cJSON_ParseWithLengthOpts(body, len, &end, false);
	if (root == NULL) {
		/* cJSON reports how far it got; without it, say byte 0. */
		size_t at_byte = end && end >= (const char *)body
		                         ? (size_t)(end - (const char *)body)
		                         : 0;
		return mg_err_set(err, MG_EINPUT,
		                  "webhook %s: invalid JSON near byte %zu",
		                  event, at_byte);
	}
	while (end < (const char *)body + len &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != (const char *)body + len) {
		error = mg_err_set(err, MG_EINPUT,
		                   "webhook %s: data after the JSON value at "
		                   "byte %zu",
		                   event, (size_t)(end - (const char *)body));
		goto cleanup;
	}
	if (!cJSON_IsObject(root)) {
		error = mg_err_set(err, MG_EINPUT,
		                   "webhook %s: body is not a JSON object",
		                   event);
		goto cleanup;
	}
	if (strcmp(event, "ping") == 0)
		error = parse_ping(&c, root, out);
	else if (strcmp(event, "pull_request") == 0)
		error = parse_pull_request(&c, root, out);
	else
		error = parse_push(&c, root, out);
cleanup:
	cJSON_Delete(root);
	if (error < 0)
		mg_webhook_event_release(out);
	return error;
}

const char *mg_webhook_push_branch(const mg_webhook_event *ev)
{
	if (ev->kind != MG_WEBHOOK_PUSH || ev->ref == NULL ||
	    strncmp(ev->ref, "refs/heads/", 11) != 0 || ev->ref[11] == '\0')
		return NULL;
	return ev->ref + 11;
}

bool mg_webhook_push_is_default_branch(const mg_webhook_event *ev)
{
	const char *b = mg_webhook_push_branch(ev);

	return b && ev->default_branch && strcmp(b, ev->default_branch) == 0;
}
