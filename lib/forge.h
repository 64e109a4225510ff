/*
 * forge.h - what the GitHub (github.h) and GitLab (gitlab.h) clients
 * share: the verdict states, the result of one forge operation, the retry
 * policy of a call, and the text helpers both need (trimming to a
 * character limit, the Link header of paginated lists).
 *
 * A forge operation never decides *when* to try again; it says *whether*
 * and *not before when*, in an mg_forge_result, so the outbox (outbox.h)
 * can schedule it:
 *
 *   outcome          when                                     retry_at_ms
 *   MG_FORGE_OK      2xx                                      0
 *   MG_FORGE_RETRY   no response (network, timeout), 408,     0: use your
 *                    5xx except 501/505, a body over the cap  own backoff
 *   MG_FORGE_RATE_LIMITED  403/429 with rate-limit signs      not before
 *                    (GitHub contract section 1, GitLab 429)  this time
 *   MG_FORGE_PERMANENT  any other 4xx (400, 401, 403 without  0
 *                    rate-limit signs, 404, 410, 422), 501,
 *                    505, or arguments we refuse to send
 *
 * Inside one call, transient failures are retried up to policy.attempts
 * times with exponential backoff and jitter, and rate-limit waits no
 * longer than policy.max_wait_ms are slept; everything else comes back.
 */
#ifndef MG_FORGE_H
#define MG_FORGE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "httpc.h"

/* The commit status context (GitHub) / name (GitLab) by default. */
#define MG_FORGE_DEFAULT_CONTEXT "memgate/memory"
/*
 * The hidden first line that identifies memgate's one comment on a pull
 * request: an HTML comment is not rendered, and a comment is ours only
 * when its body starts with it (a user quoting our comment starts with
 * "> " and is left alone).
 */
#define MG_FORGE_COMMENT_MARKER "<!-- memgate:verdict -->"
/* Longest marker accepted: it is one short line, not content. */
#define MG_FORGE_MAX_MARKER 200
/* Longest message kept from a forge's error body (fits in mg_err). */
#define MG_FORGE_MSG_MAX 200
/*
 * One request's time limit by default. GitHub ends requests that run
 * longer than 10 s on its side; waiting 30 s means that when we give up,
 * GitHub has either done the work or dropped it, which keeps the
 * find-then-create comment flow from racing a write still in flight.
 */
#define MG_FORGE_TIMEOUT_MS 30000
/* Tries per request when the caller's policy gives none. */
#define MG_FORGE_DEFAULT_ATTEMPTS 3
/* First in-call backoff and its cap by default. */
#define MG_FORGE_DEFAULT_BASE_MS 1000
#define MG_FORGE_DEFAULT_MAX_MS 30000
/*
 * GitHub's docs: a secondary rate limit without retry-after or a reset
 * means "wait at least one minute".
 */
#define MG_FORGE_RATE_LIMIT_MIN_WAIT_MS 60000

/* The verdict as a commit state; each forge maps it to its own words. */
enum mg_forge_state {
	MG_FORGE_PENDING = 0, /* benchmarks awaited */
	MG_FORGE_SUCCESS,     /* no regression */
	MG_FORGE_FAILURE,     /* regression found */
	MG_FORGE_ERROR,       /* memgate could not decide */
};

/* "pending", "success", "failure", "error". */
const char *mg_forge_state_name(enum mg_forge_state s);
/* The reverse; MG_EINPUT for another word. */
int mg_forge_state_parse(enum mg_forge_state *out, const char *name,
                         mg_err *err);

enum mg_forge_outcome {
	MG_FORGE_OK = 0,       /* done */
	MG_FORGE_RETRY,        /* transient: try again after a backoff */
	MG_FORGE_RATE_LIMITED, /* try again, not before retry_at_ms */
	MG_FORGE_PERMANENT,    /* repeating the same request cannot help */
};

typedef struct mg_forge_result {
	enum mg_forge_outcome outcome;
	long status; /* HTTP status of the last response, 0: none */
	/*
	 * Unix ms: not before this. Always set for MG_FORGE_RATE_LIMITED;
	 * for MG_FORGE_RETRY only when the server sent Retry-After (0:
	 * the caller's backoff decides).
	 */
	int64_t retry_at_ms;
	int requests; /* HTTP requests this call made */
	int64_t id;   /* id of the status/comment/note/check run */
	bool created; /* comment/note/check run: created, not updated */
	/* The forge's own words (its error body's message) or ours. */
	char message[MG_FORGE_MSG_MAX];
} mg_forge_result;

void mg_forge_result_init(mg_forge_result *r);
/* "ok", "retry", "rate-limited", "permanent". */
const char *mg_forge_outcome_name(enum mg_forge_outcome o);

/* How one client call retries; zeros mean the defaults above. */
typedef struct mg_forge_policy {
	int attempts;       /* tries per request, >= 1 */
	int64_t base_ms;    /* backoff before the first retry */
	int64_t max_ms;     /* backoff cap */
	int64_t timeout_ms; /* per request */
	/*
	 * A rate-limit wait up to this long is slept inside the call;
	 * a longer one is returned as MG_FORGE_RATE_LIMITED. 0: never
	 * sleep (the server's outbox worker reschedules instead).
	 */
	int64_t max_wait_ms;
	volatile sig_atomic_t *cancel; /* stop sleeping once set; NULL */
} mg_forge_policy;

/*
 * Length of a UTF-8 string in UTF-16 code units (a character outside the
 * BMP counts two). Forge limits are in "characters"; GitHub does not say
 * whether it counts code points or UTF-16 units, and every UTF-8 string
 * has at least as many units as code points, so staying within the limit
 * in units satisfies both readings. Invalid bytes count one each.
 */
size_t mg_forge_text_units(const char *s, size_t len);

/*
 * Append s to out, cut to at most max_units UTF-16 units (at a character
 * boundary) when longer, with `tail` (may be NULL) appended within the
 * same limit to show the cut. MG_ENOMEM / MG_ELIMIT from the buffer.
 */
int mg_forge_trim(mg_buf *out, const char *s, size_t max_units,
                  const char *tail);

/*
 * The rel="next" URL of an RFC 8288 Link header (as GitHub and GitLab
 * send for paginated lists), or NULL when there is none (the last page).
 * Parameter names and values are compared case-insensitively. *out is
 * malloc'd. MG_ENOMEM only; a malformed header counts as "no next".
 */
int mg_forge_link_next(char **out, const char *link, mg_err *err);

/*
 * Parse "YYYY-MM-DDTHH:MM:SS" plus "Z" or fractional seconds and "Z"
 * (ISO 8601 in UTC, as both forges write times) into unix ms.
 */
int mg_forge_parse_time(int64_t *out_ms, const char *s, mg_err *err);

/* Wall-clock time in unix ms (rate-limit resets are wall-clock times). */
int64_t mg_forge_now_ms(void);

/* Which forge's rules apply (error bodies, rate-limit headers). */
enum mg_forge_kind {
	MG_FORGE_GITHUB = 0,
	MG_FORGE_GITLAB,
};

/* "github", "gitlab". */
const char *mg_forge_kind_name(enum mg_forge_kind k);

/*
 * Classify one try: `error` is what mg_httpc_do returned and `status`,
 * `body` and the header getter describe the response. For
 * MG_FORGE_RATE_LIMITED *retry_at_ms gets the earliest time to try again
 * (unix ms, later than now_ms), following the GitHub contract's section 1
 * algorithm: x-ratelimit-remaining 0 means wait for x-ratelimit-reset,
 * retry-after means wait that long (the later of both when both are
 * there), and a 429, or a 403 whose message speaks of a rate limit,
 * without either header means wait one minute. GitLab sends 429 with
 * Retry-After or RateLimit-Reset. A 403 without any of these signs is a
 * permission problem: permanent.
 */
enum mg_forge_outcome mg_forge_classify(enum mg_forge_kind kind, int error,
                                        const mg_httpc_resp *resp,
                                        int64_t now_ms, int64_t *retry_at_ms);

/*
 * The message of a forge's error body into out (size bytes): GitHub's
 * `message` with the `errors[]` details (a 422 says which field and why),
 * GitLab's `message` (a string or an object of field: [reasons]) or
 * `error`; the start of the body when it is not JSON; "" when empty.
 */
void mg_forge_error_message(enum mg_forge_kind kind, const char *body,
                            size_t len, char *out, size_t size);

#endif
