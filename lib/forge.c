/*
 * forge.c - what the GitHub and GitLab clients share: result
 * classification (forge.h's table), error-body messages, the retrying
 * request loop (forge_int.h), character-limit trimming, Link headers and
 * ISO 8601 times.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <sys/time.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "forge_int.h"
#include "utf8.h"
#include "version.h"

/* Request headers a forge call passes besides its own. */
#define EXTRA_HEADERS 2
/* Bytes of a non-JSON error body quoted in a message. */
#define RAW_QUOTE_MAX 100

static const char *const state_names[] = {"pending", "success", "failure",
                                          "error"};

const char *mg_forge_state_name(enum mg_forge_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "error";
	return state_names[s];
}

int mg_forge_state_parse(enum mg_forge_state *out, const char *name,
                         mg_err *err)
{
	size_t i;

	for (i = 0; name && i < sizeof(state_names) / sizeof(state_names[0]);
	     i++)
		if (strcmp(name, state_names[i]) == 0) {
			*out = (enum mg_forge_state)i;
			return 0;
		}
	return mg_err_set(err, MG_EINPUT,
	                  "field 'state': expected pending, success, failure "
	                  "or error, got '%.40s'",
	                  name ? name : "");
}

const char *mg_forge_outcome_name(enum mg_forge_outcome o)
{
	switch (o) {
	case MG_FORGE_OK:
		return "ok";
	case MG_FORGE_RETRY:
		return "retry";
	case MG_FORGE_RATE_LIMITED:
		return "rate-limited";
	case MG_FORGE_PERMANENT:
		return "permanent";
	}
	return "permanent";
}

const char *mg_forge_kind_name(enum mg_forge_kind k)
{
	return k == MG_FORGE_GITLAB ? "gitlab" : "github";
}

void mg_forge_result_init(mg_forge_result *r)
{
	memset(r, 0, sizeof(*r));
	r->outcome = MG_FORGE_OK;
}

int64_t mg_forge_now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* ---- text ---------------------------------------------------------------- */

/*
 * Length in bytes of the valid UTF-8 sequence at s (at most `left` bytes),
 * or 0 if the bytes there are not one. *units gets its UTF-16 length.
 */
static size_t utf8_char(const unsigned char *s, size_t left, size_t *units)
{
	size_t n = mg_utf8_decode(s, left, NULL);

	*units = n == 4 ? 2 : 1;
	return n;
}

size_t mg_forge_text_units(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, total = 0, n, units;

	while (i < len) {
		n = utf8_char(p + i, len - i, &units);
		total += units;
		i += n ? n : 1;
	}
	return total;
}

/* Append s[0..len) with invalid UTF-8 bytes replaced by U+FFFD. */
static int put_clean(mg_buf *out, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, start = 0, n, units;
	int error;

	while (i < len) {
		n = utf8_char(p + i, len - i, &units);
		if (n) {
			i += n;
			continue;
		}
		error = mg_buf_put(out, s + start, i - start);
		if (error == 0)
			error = mg_buf_puts(out, "\xEF\xBF\xBD");
		if (error < 0)
			return error;
		start = ++i;
	}
	return mg_buf_put(out, s + start, i - start);
}

int mg_forge_trim(mg_buf *out, const char *s, size_t max_units,
                  const char *tail)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), tail_units, budget, used = 0, i = 0, n, units;
	int error;

	if (mg_forge_text_units(s, len) <= max_units)
		return put_clean(out, s, len);
	tail_units = tail ? mg_forge_text_units(tail, strlen(tail)) : 0;
	if (tail_units > max_units) {
		tail = NULL;
		tail_units = 0;
	}
	budget = max_units - tail_units;
	while (i < len) {
		n = utf8_char(p + i, len - i, &units);
		if (used + units > budget)
			break;
		used += units;
		i += n ? n : 1;
	}
	error = put_clean(out, s, i);
	if (error == 0 && tail)
		error = put_clean(out, tail, strlen(tail));
	return error;
}

/* ---- Link header --------------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Whether the space-separated list [v, v+len) holds "next". */
static bool rel_has_next(const char *v, size_t len)
{
	size_t i = 0, start;

	while (i < len) {
		while (i < len && v[i] == ' ')
			i++;
		start = i;
		while (i < len && v[i] != ' ')
			i++;
		if (i - start == 4 && strncasecmp(v + start, "next", 4) == 0)
			return true;
	}
	return false;
}

int mg_forge_link_next(char **out, const char *link, mg_err *err)
{
	const char *p = link, *url, *url_end, *name, *val;
	size_t name_len, val_len;
	bool next;

	*out = NULL;
	if (link == NULL)
		return 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (*p != '<')
			return 0; /* the end, or something we cannot read */
		url = p + 1;
		url_end = strchr(url, '>');
		if (url_end == NULL)
			return 0;
		p = url_end + 1;
		next = false;
		for (;;) {
			p = skip_ws(p);
			if (*p != ';')
				break;
			p = skip_ws(p + 1);
			name = p;
			while (*p && *p != '=' && *p != ';' && *p != ',' &&
			       *p != ' ')
				p++;
			name_len = (size_t)(p - name);
			p = skip_ws(p);
			val = p;
			val_len = 0;
			if (*p == '=') {
				p = skip_ws(p + 1);
				if (*p == '"') {
					val = ++p;
					while (*p && *p != '"')
						p++;
					val_len = (size_t)(p - val);
					if (*p == '"')
						p++;
				} else {
					val = p;
					while (*p && *p != ';' && *p != ',')
						p++;
					val_len = (size_t)(p - val);
				}
			}
			if (name_len == 3 && strncasecmp(name, "rel", 3) == 0 &&
			    rel_has_next(val, val_len))
				next = true;
		}
		if (next) {
			*out = mg_slice_dup(
			        (mg_slice){url, (size_t)(url_end - url)});
			if (*out == NULL)
				return mg_err_set(err, MG_ENOMEM,
				                  "out of memory");
			return 0;
		}
		p = strchr(p, ',');
		if (p == NULL)
			return 0;
	}
}

/* ---- times --------------------------------------------------------------- */

static bool num(const char **p, int n, int *v)
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

static bool ch(const char **p, char c)
{
	if (**p != c)
		return false;
	(*p)++;
	return true;
}

int mg_forge_parse_time(int64_t *out_ms, const char *s, mg_err *err)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30,
	                            31, 31, 30, 31, 30, 31};
	const char *p = s ? s : "";
	struct tm tm;
	int y, mo, d, h, mi, sec, ms = 0, scale = 100;
	time_t t;

	if (!(num(&p, 4, &y) && ch(&p, '-') && num(&p, 2, &mo) && ch(&p, '-') &&
	      num(&p, 2, &d) && ch(&p, 'T') && num(&p, 2, &h) && ch(&p, ':') &&
	      num(&p, 2, &mi) && ch(&p, ':') && num(&p, 2, &sec)))
		goto bad;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			goto bad;
		while (isdigit((unsigned char)*p)) {
			ms += (*p - '0') * scale;
			scale /= 10;
			p++;
		}
	}
	if (!ch(&p, 'Z') || *p != '\0')
		goto bad;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		goto bad;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		goto bad;
	*out_ms = (int64_t)t * 1000 + ms;
	return 0;
bad:
	return mg_err_set(err, MG_EINPUT,
	                  "expected a time like 2024-01-02T03:04:05Z, got "
	                  "'%.40s'",
	                  s ? s : "");
}

/* ---- error bodies -------------------------------------------------------- */

/* Append to out (size bytes, NUL-terminated) without overflowing. */
static void add(char *out, size_t size, const char *s)
{
	size_t used = strlen(out);

	if (used + 1 < size)
		snprintf(out + used, size - used, "%s", s);
}

/* Replace control characters so a message stays one line. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* GitLab's message may be {"field": ["reason", ...]} or [..]. */
static void gitlab_message(const cJSON *m, char *out, size_t size)
{
	const cJSON *f, *r;
	bool first = true;

	if (cJSON_IsString(m)) {
		add(out, size, m->valuestring);
		return;
	}
	cJSON_ArrayForEach(f, m)
	{
		if (!first)
			add(out, size, "; ");
		first = false;
		if (f->string) {
			add(out, size, f->string);
			add(out, size, " ");
		}
		if (cJSON_IsString(f)) {
			add(out, size, f->valuestring);
			continue;
		}
		cJSON_ArrayForEach(r, f)
		{
			if (cJSON_IsString(r)) {
				add(out, size, r->valuestring);
				if (r->next)
					add(out, size, ", ");
			}
		}
	}
}

/* GitHub: message, then each errors[] item's message or field + code. */
static void github_message(const cJSON *root, char *out, size_t size)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
	const cJSON *errs = cJSON_GetObjectItemCaseSensitive(root, "errors");
	const cJSON *e, *em, *field, *code;
	bool first = true;

	if (cJSON_IsString(m))
		add(out, size, m->valuestring);
	cJSON_ArrayForEach(e, errs)
	{
		add(out, size, first ? ": " : "; ");
		first = false;
		if (cJSON_IsString(e)) {
			add(out, size, e->valuestring);
			continue;
		}
		em = cJSON_GetObjectItemCaseSensitive(e, "message");
		field = cJSON_GetObjectItemCaseSensitive(e, "field");
		code = cJSON_GetObjectItemCaseSensitive(e, "code");
		if (cJSON_IsString(em)) {
			add(out, size, em->valuestring);
			continue;
		}
		if (cJSON_IsString(field)) {
			add(out, size, "field '");
			add(out, size, field->valuestring);
			add(out, size, "' ");
		}
		if (cJSON_IsString(code))
			add(out, size, code->valuestring);
	}
}

void mg_forge_error_message(enum mg_forge_kind kind, const char *body,
                            size_t len, char *out, size_t size)
{
	cJSON *root;
	const cJSON *m;
	size_t n;

	if (size == 0)
		return;
	out[0] = '\0';
	if (body == NULL || len == 0)
		return;
	root = cJSON_ParseWithLength(body, len);
	if (root == NULL || !cJSON_IsObject(root)) {
		n = len < RAW_QUOTE_MAX ? len : RAW_QUOTE_MAX;
		if (n >= size)
			n = size - 1;
		memcpy(out, body, n);
		out[n] = '\0';
		goto done;
	}
	if (kind == MG_FORGE_GITHUB) {
		github_message(root, out, size);
	} else {
		m = cJSON_GetObjectItemCaseSensitive(root, "message");
		if (m == NULL)
			m = cJSON_GetObjectItemCaseSensitive(root, "error");
		if (m)
			gitlab_message(m, out, size);
	}
done:
	cJSON_Delete(root);
	one_line(out);
}

/* ---- classification ------------------------------------------------------ */

static int64_t header_epoch_ms(const mg_httpc_resp *resp, const char *name)
{
	const char *v = mg_httpc_resp_header(resp, name);
	char *end = NULL;
	long long n;

	if (v == NULL || !isdigit((unsigned char)v[0]))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || *end != '\0' || n > INT64_MAX / 1000)
		return -1;
	return (int64_t)n * 1000;
}

static int64_t later(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/* x-ratelimit-reset in ms; one minute from now when absent. */
static int64_t reset_ms(const mg_httpc_resp *resp, int64_t now_ms)
{
	if (resp->ratelimit_reset < 0 ||
	    resp->ratelimit_reset >= INT64_MAX / 1000)
		return now_ms + MG_FORGE_RATE_LIMIT_MIN_WAIT_MS;
	return resp->ratelimit_reset * 1000;
}

static enum mg_forge_outcome rate_limit(enum mg_forge_kind kind,
                                        const mg_httpc_resp *resp,
                                        int64_t now_ms, int64_t *retry_at)
{
	char msg[MG_FORGE_MSG_MAX];
	int64_t at = -1, reset;

	if (resp->retry_after_ms >= 0)
		at = now_ms + resp->retry_after_ms;
	if (kind == MG_FORGE_GITHUB) {
		if (resp->ratelimit_remaining == 0) {
			reset = reset_ms(resp, now_ms);
			at = later(at, reset);
		}
		if (at < 0) {
			mg_forge_error_message(kind, resp->body.ptr,
			                       resp->body.len, msg,
			                       sizeof(msg));
			if (resp->status == 429 ||
			    strcasestr(msg, "rate limit") != NULL)
				at = now_ms + MG_FORGE_RATE_LIMIT_MIN_WAIT_MS;
		}
	} else if (resp->status == 429) {
		reset = header_epoch_ms(resp, "ratelimit-reset");
		if (at < 0)
			at = reset;
		if (at < 0)
			at = now_ms + MG_FORGE_RATE_LIMIT_MIN_WAIT_MS;
	}
	if (at < 0)
		return MG_FORGE_PERMANENT; /* a 403 about permissions */
	/* A reset already past (clock skew): try again in a second. */
	*retry_at = later(at, now_ms + 1000);
	return MG_FORGE_RATE_LIMITED;
}

enum mg_forge_outcome mg_forge_classify(enum mg_forge_kind kind, int error,
                                        const mg_httpc_resp *resp,
                                        int64_t now_ms, int64_t *retry_at_ms)
{
	long st = resp ? resp->status : 0;

	*retry_at_ms = 0;
	if (error == MG_ENET || error == MG_ENOMEM)
		return MG_FORGE_RETRY;
	if (error < 0 && error != MG_ELIMIT)
		return MG_FORGE_PERMANENT;
	if (st >= 200 && st <= 299)
		/* A success we could not read whole will not read better. */
		return error < 0 ? MG_FORGE_PERMANENT : MG_FORGE_OK;
	if (st == 403 || st == 429)
		return rate_limit(kind, resp, now_ms, retry_at_ms);
	if (mg_httpc_is_retryable(0, st)) {
		if (resp->retry_after_ms >= 0)
			*retry_at_ms = now_ms + resp->retry_after_ms;
		return MG_FORGE_RETRY;
	}
	return MG_FORGE_PERMANENT;
}

/* ---- the request loop ---------------------------------------------------- */

int mg_forge__http_init(mg_forge_http *h, enum mg_forge_kind kind,
                        const char *base, const char *agent,
                        const mg_forge_policy *policy, mg_err *err)
{
	const char *name = mg_forge_kind_name(kind);
	mg_buf b = MG_BUF_INIT(MG_FORGE_MAX_BASE_URL + 64);
	size_t len, i;
	int error;

	memset(h, 0, sizeof(*h));
	h->kind = kind;
	len = base ? strlen(base) : 0;
	if (len == 0 || len > MG_FORGE_MAX_BASE_URL ||
	    (strncmp(base, "http://", 7) != 0 &&
	     strncmp(base, "https://", 8) != 0))
		return mg_err_set(err, MG_EINPUT,
		                  "%s: field 'api_url': expected an http:// "
		                  "or https:// URL of at most %d bytes",
		                  name, MG_FORGE_MAX_BASE_URL);
	for (i = 0; i < len; i++)
		if (base[i] == '?' || base[i] == '#' ||
		    (unsigned char)base[i] <= ' ' || base[i] == 0x7f)
			return mg_err_set(err, MG_EINPUT,
			                  "%s: field 'api_url': '%.100s' must "
			                  "not hold a query, fragment or blank",
			                  name, base);
	while (len > 8 && base[len - 1] == '/')
		len--;
	if (agent && (strpbrk(agent, "\r\n") || !*agent))
		return mg_err_set(err, MG_EINPUT,
		                  "%s: field 'user_agent': must be one "
		                  "non-empty line",
		                  name);
	h->base = mg_slice_dup((mg_slice){base, len});
	error = agent ? mg_buf_printf(&b, "User-Agent: %.200s", agent)
	              : mg_buf_printf(&b, "User-Agent: memgate/%s",
	                              mg_version());
	if (h->base == NULL || error < 0) {
		mg_buf_release(&b);
		mg_forge__http_release(h);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	h->agent = mg_buf_detach(&b);
	if (policy)
		h->policy = *policy;
	if (h->policy.attempts <= 0)
		h->policy.attempts = MG_FORGE_DEFAULT_ATTEMPTS;
	if (h->policy.base_ms <= 0)
		h->policy.base_ms = MG_FORGE_DEFAULT_BASE_MS;
	if (h->policy.max_ms <= 0)
		h->policy.max_ms = MG_FORGE_DEFAULT_MAX_MS;
	if (h->policy.timeout_ms <= 0)
		h->policy.timeout_ms = MG_FORGE_TIMEOUT_MS;
	if (h->policy.max_wait_ms < 0)
		h->policy.max_wait_ms = 0;
	error = mg_httpc_new(&h->http, err);
	if (h->agent == NULL || error < 0) {
		mg_forge__http_release(h);
		return error < 0 ? error
		                 : mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	return 0;
}

void mg_forge__http_release(mg_forge_http *h)
{
	mg_httpc_free(h->http);
	free(h->base);
	free(h->agent);
	memset(h, 0, sizeof(*h));
}

void mg_forge__sleep_ms(int64_t ms, volatile sig_atomic_t *cancel)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		if (cancel && *cancel)
			return;
}

double mg_forge__rand_unit(void)
{
	uint32_t v;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		return 0.5;
	return (double)v / 4294967296.0;
}

int mg_forge__fail(mg_forge_result *res, enum mg_forge_outcome outcome,
                   int code, mg_err *err, const char *fmt, ...)
{
	va_list ap;

	res->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return mg_err_set(err, code, "%s", res->message);
}

int mg_forge__put_escaped(mg_buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	int error = 0;

	for (; error == 0 && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
			error = mg_buf_putc(out, (char)c);
		else
			error = mg_buf_printf(out, "%%%c%c", hex[c >> 4],
			                      hex[c & 15]);
	}
	return error;
}

bool mg_forge__is_sha(const char *s)
{
	size_t n = 0;

	if (s == NULL)
		return false;
	while (isxdigit((unsigned char)s[n]))
		n++;
	return s[n] == '\0' && (n == 40 || n == 64);
}

bool mg_forge__line_ok(const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i]; i++)
		if (i == max || s[i] == '\n' || s[i] == '\r')
			return false;
	return i > 0;
}

bool mg_forge__url_ok(const char *u, size_t max)
{
	size_t i;

	if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0)
		return false;
	for (i = 0; u[i]; i++)
		if (i == max || (unsigned char)u[i] <= ' ' || u[i] == 0x7f)
			return false;
	return true;
}

bool mg_forge__has_marker(const char *body, const char *marker)
{
	while (*body == ' ' || *body == '\t' || *body == '\r' || *body == '\n')
		body++;
	return strncmp(body, marker, strlen(marker)) == 0;
}

int mg_forge__marked_body(mg_buf *out, const char *marker, const char *body,
                          size_t max_units, const char *tail)
{
	mg_buf full = MG_BUF_INIT(MG_BUF_NOLIMIT);
	int error = 0;

	if (!mg_forge__has_marker(body, marker))
		error = mg_buf_printf(&full, "%s\n", marker);
	if (error == 0)
		error = mg_buf_puts(&full, body);
	if (error == 0)
		error = mg_forge_trim(out, full.ptr, max_units, tail);
	mg_buf_release(&full);
	return error;
}

int64_t mg_forge__answer_id(const mg_httpc_resp *resp)
{
	cJSON *root = cJSON_ParseWithLength(resp->body.ptr, resp->body.len);
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
	int64_t v = 0;

	/* Ids are integers below 2^53, exact in cJSON's double. */
	if (cJSON_IsNumber(id) && id->valuedouble > 0 &&
	    id->valuedouble < 9007199254740992.0)
		v = (int64_t)id->valuedouble;
	cJSON_Delete(root);
	return v;
}

bool mg_forge__retry_wait(const mg_forge_http *h, const mg_forge_result *res,
                          int round, int attempts, int64_t *wait)
{
	const mg_forge_policy *p = &h->policy;
	mg_httpc_retry rp = {0, p->base_ms, p->max_ms, 0.5, 0, NULL};
	int64_t backoff, until;

	if (round >= attempts || (p->cancel && *p->cancel))
		return false;
	until = res->retry_at_ms > 0 ? res->retry_at_ms - mg_forge_now_ms() : 0;
	if (res->outcome == MG_FORGE_RATE_LIMITED) {
		/* The server said when: sleep only if not too long. */
		*wait = until;
		return until <= p->max_wait_ms;
	}
	if (res->outcome != MG_FORGE_RETRY)
		return false;
	backoff = mg_httpc_retry_delay(&rp, round, -1, mg_forge__rand_unit());
	/* A 503 with Retry-After: at least that long, too. */
	if (until > backoff && until > p->max_wait_ms)
		return false;
	*wait = until > backoff ? until : backoff;
	return true;
}

/* "METHOD /path" of url for messages: no host, no query (tokens). */
static void where(char *out, size_t size, const mg_forge_http *h,
                  const mg_forge_call *call)
{
	const char *path = call->url;
	size_t blen = strlen(h->base);

	if (strncmp(path, h->base, blen) == 0)
		path += blen;
	snprintf(out, size, "%s %.*s", call->method, (int)strcspn(path, "?#"),
	         path);
}

static int code_for(enum mg_forge_outcome o, int error, long status)
{
	if (o == MG_FORGE_RETRY)
		return error == MG_ENOMEM ? MG_ENOMEM : MG_ENET;
	if (error == MG_EINPUT)
		return MG_EINPUT;
	if (status == 401)
		return MG_EAUTH;
	return MG_EUPSTREAM;
}

int mg_forge__send(mg_forge_http *h, mg_forge_result *res, mg_httpc_resp *resp,
                   const mg_forge_call *call, mg_err *err)
{
	const char *hdrs[MG_HTTPC_MAX_HEADERS];
	const mg_forge_policy *p = &h->policy;
	mg_httpc *http = h->http, *own = NULL;
	mg_err herr = MG_ERR_INIT;
	enum mg_forge_outcome o = MG_FORGE_PERMANENT;
	char at[300];
	int64_t now = 0, retry_at = 0, wait = 0;
	int attempts = call->attempts > 0 ? call->attempts : p->attempts;
	int try, error = 0;
	size_t n = 0, i;

	if (call->nheaders + EXTRA_HEADERS > MG_HTTPC_MAX_HEADERS)
		return mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINTERNAL,
		                      err, "too many request headers");
	for (i = 0; i < call->nheaders; i++)
		hdrs[n++] = call->headers[i];
	hdrs[n++] = h->agent;
	if (call->body)
		hdrs[n++] = "Content-Type: application/json";
	where(at, sizeof(at), h, call);
	if (call->fresh_connection) {
		/* A handle of its own has no connection to reuse. */
		error = mg_httpc_new(&own, err);
		if (error < 0)
			return mg_forge__fail(res, MG_FORGE_RETRY, error, NULL,
			                      "%s", err ? err->msg : "libcurl");
		http = own;
	}
	for (try = 1;; try++) {
		mg_httpc_req req = {call->method,
		                    call->url,
		                    hdrs,
		                    n,
		                    call->body,
		                    call->body ? strlen(call->body) : 0,
		                    0,
		                    p->timeout_ms,
		                    call->max_response};

		error = mg_httpc_do(http, resp, &req, &herr);
		res->requests++;
		now = mg_forge_now_ms();
		o = mg_forge_classify(h->kind, error, resp, now, &retry_at);
		res->outcome = o;
		res->status = resp->status;
		res->retry_at_ms = retry_at;
		if (o == MG_FORGE_OK) {
			res->message[0] = '\0';
			mg_httpc_free(own);
			return 0;
		}
		if (error < 0 && resp->status == 0)
			snprintf(res->message, sizeof(res->message), "%.*s",
			         (int)sizeof(res->message) - 1, herr.msg);
		else
			mg_forge_error_message(h->kind, resp->body.ptr,
			                       resp->body.len, res->message,
			                       sizeof(res->message));
		if (!mg_forge__retry_wait(h, res, try, attempts, &wait))
			break;
		mg_forge__sleep_ms(wait, p->cancel);
	}
	mg_httpc_free(own);
	if (error < 0 && resp->status == 0)
		return mg_err_set(err, code_for(o, error, 0), "%s: %s",
		                  mg_forge_kind_name(h->kind), herr.msg);
	if (o == MG_FORGE_RATE_LIMITED)
		return mg_err_set(err, MG_EUPSTREAM,
		                  "%s: %s: %ld rate limited for %lld s: %s",
		                  mg_forge_kind_name(h->kind), at, resp->status,
		                  (long long)((retry_at - now + 999) / 1000),
		                  res->message);
	return mg_err_set(err, code_for(o, error, resp->status),
	                  "%s: %s: %ld %s", mg_forge_kind_name(h->kind), at,
	                  resp->status, res->message);
}

int mg_forge__find_marked(const mg_forge_find *f, mg_forge_result *res,
                          int64_t *id, mg_err *err)
{
	mg_httpc_resp resp;
	char *url = mg_strdup(f->url), *next = NULL;
	size_t blen = strlen(f->base);
	cJSON *root = NULL;
	const cJSON *it, *body, *iid;
	mg_forge_call call = {.method = "GET", .max_response = f->max_response};
	int page, error = 0;

	*id = 0;
	mg_httpc_resp_init(&resp);
	if (url == NULL)
		return mg_forge__fail(res, MG_FORGE_RETRY, MG_ENOMEM, err,
		                      "out of memory");
	for (page = 1;; page++) {
		if (page > f->max_pages) {
			error = mg_forge__fail(
			        res, MG_FORGE_PERMANENT, MG_ELIMIT, err,
			        "%s: more than %d pages of %ss, memgate's %s "
			        "not found",
			        f->where, f->max_pages, f->item, f->item);
			break;
		}
		call.url = url;
		error = f->send(f->ctx, res, &resp, &call, err);
		if (error < 0)
			break;
		cJSON_Delete(root);
		root = cJSON_ParseWithLength(resp.body.ptr, resp.body.len);
		if (!cJSON_IsArray(root)) {
			error = mg_forge__fail(res, MG_FORGE_PERMANENT,
			                       MG_EUPSTREAM, err,
			                       "%s: %s page %d is not a JSON "
			                       "array",
			                       f->where, f->item, page);
			break;
		}
		cJSON_ArrayForEach(it, root)
		{
			body = cJSON_GetObjectItemCaseSensitive(it, "body");
			iid = cJSON_GetObjectItemCaseSensitive(it, "id");
			if (cJSON_IsString(body) && cJSON_IsNumber(iid) &&
			    iid->valuedouble > 0 &&
			    !(f->skip_system &&
			      cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			              it, "system"))) &&
			    mg_forge__has_marker(body->valuestring,
			                         f->marker)) {
				*id = (int64_t)iid->valuedouble;
				goto done;
			}
		}
		error = mg_forge_link_next(
		        &next, mg_httpc_resp_header(&resp, "link"), err);
		if (error < 0 || next == NULL)
			break;
		/* The token must not travel to another host. */
		if (strncmp(next, f->base, blen) != 0 || next[blen] != '/') {
			error = mg_forge__fail(res, MG_FORGE_PERMANENT,
			                       MG_EUPSTREAM, err,
			                       "%s: next page link leaves the "
			                       "API base URL",
			                       f->where);
			break;
		}
		free(url);
		url = next;
		next = NULL;
	}
done:
	cJSON_Delete(root);
	free(url);
	free(next);
	mg_httpc_resp_release(&resp);
	return error;
}
