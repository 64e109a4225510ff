/*
 * fakegh.h - a fake GitHub (and GitLab) for tests: a real HTTP server on
 * 127.0.0.1 (libmicrohttpd, port 0) that
 *
 *  - checks every request against shared/contracts/github/contract.json,
 *    loaded at start from MG_SOURCE_DIR "/../shared/contracts/github/"
 *    (the tests abort with a clear message when it is missing): the
 *    operation's method and path template, its required headers, query
 *    parameters and limits, and its request body schema (type, required,
 *    enum, maxLength, maxItems, items, properties, oneOf, anyOf); GitLab
 *    routes are checked against the contract's "gitlab" section;
 *  - records each request (method, path, query, headers, body, the status
 *    it answered, the wall-clock time it arrived, any contract violation);
 *  - keeps state like the real service: comments per pull request with
 *    ids and paginated listing (Link headers), commit statuses, check
 *    runs, GitLab notes and statuses, App installation tokens;
 *  - can be told to fail the next matching requests: 502, a primary rate
 *    limit (403, x-ratelimit-remaining 0, x-ratelimit-reset), a secondary
 *    one (403 + retry-after), 429 + Retry-After, 422 with a validation
 *    error, a slow answer, a closed connection (with or without the
 *    change applied first), or any status and body.
 *
 * With an App configured, POST /app/installations/{id}/access_tokens (not
 * part of the contract pack; shape from GitHub's "generating an
 * installation access token" docs) checks the RS256 JWT with the App's
 * public key (alg, iss, iat, exp at most 10 minutes ahead) and issues a
 * token with expires_at = now + ttl; repository routes then accept only
 * unexpired issued tokens. GitLab lists also take per_page/page and
 * answer with Link and X-Next-Page (GitLab's offset pagination; the
 * contract's gitlab section names only sort and order_by).
 */
#ifndef MG_FAKEGH_H
#define MG_FAKEGH_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

typedef struct fakegh fakegh;

/* Start the server; aborts the test with a message if it cannot. */
fakegh *fakegh_start(void);
void fakegh_stop(fakegh *f);

/* "http://127.0.0.1:PORT": the GitHub API base URL to configure. */
const char *fakegh_url(const fakegh *f);
/* "http://127.0.0.1:PORT/api/v4": the GitLab API base URL. */
const char *fakegh_gitlab_url(const fakegh *f);

/* Token auth: the one token accepted (default "test-token"). */
void fakegh_set_token(fakegh *f, const char *token);
/*
 * App auth: JWTs must have iss = app_id and verify with pub (the fake
 * keeps a reference); issued tokens live ttl_s seconds.
 */
void fakegh_set_app(fakegh *f, const char *app_id, EVP_PKEY *pub,
                    int64_t ttl_s);
/* GitLab's PRIVATE-TOKEN (default "gl-token"). */
void fakegh_set_gitlab_token(fakegh *f, const char *token);

enum fakegh_fault_kind {
	FAKEGH_502 = 0,          /* 502 Bad Gateway, nothing applied */
	FAKEGH_RATE_PRIMARY,     /* 403, remaining 0, reset = fault.reset */
	FAKEGH_RATE_SECONDARY,   /* 403 "secondary rate limit", retry-after */
	FAKEGH_429,              /* 429 with Retry-After: retry_after */
	FAKEGH_422,              /* the contract's 422 example body */
	FAKEGH_SLOW,             /* sleep delay_ms, then answer normally */
	FAKEGH_CLOSE,            /* drop the connection, nothing applied */
	FAKEGH_APPLY_THEN_CLOSE, /* apply the change, then drop */
	FAKEGH_ANSWER,           /* answer status with body */
};

typedef struct fakegh_fault {
	enum fakegh_fault_kind kind;
	const char *method;      /* NULL: any */
	const char *path_prefix; /* NULL: any path */
	int count;               /* matching requests it hits; 0: 1 */
	int64_t reset;           /* RATE_PRIMARY: unix seconds */
	int retry_after;         /* 429, RATE_SECONDARY: seconds; 0: none */
	int delay_ms;            /* SLOW */
	int status;              /* ANSWER */
	const char *body;        /* ANSWER: JSON body */
} fakegh_fault;

/* Queue a fault; faults are consumed in the order they were added. */
void fakegh_fail(fakegh *f, const fakegh_fault *fault);

typedef struct fakegh_req {
	char method[16];
	char *path;  /* as received (not unescaped), without query */
	char *query; /* raw query, "" if none */
	char *body;  /* NUL-terminated */
	size_t body_len;
	char **hnames; /* request headers */
	char **hvalues;
	size_t nheaders;
	int status;      /* what the fake answered; 0: connection closed */
	int64_t at_ms;   /* unix ms when the request was complete */
	char *violation; /* contract violation, NULL if none */
	char *op;        /* contract operation id ("issues/list-comments") */
} fakegh_req;

/* Requests received so far, in order; pointers stay valid until stop. */
size_t fakegh_nrequests(fakegh *f);
const fakegh_req *fakegh_request(fakegh *f, size_t i);
/* Header value of a recorded request (case-insensitive), or NULL. */
const char *fakegh_req_header(const fakegh_req *r, const char *name);
/* Requests with this method (NULL: any) and operation id (NULL: any). */
size_t fakegh_count(fakegh *f, const char *method, const char *op);
/* Requests that broke the contract; the first one's message, or NULL. */
size_t fakegh_violations(fakegh *f);
const char *fakegh_first_violation(fakegh *f);
/* Installation tokens issued. */
int fakegh_tokens_issued(fakegh *f);

enum fakegh_kind {
	FAKEGH_COMMENT = 0, /* key: PR number */
	FAKEGH_STATUS,      /* key: sha; every POST is kept (history) */
	FAKEGH_CHECK,       /* key: head sha */
	FAKEGH_NOTE,        /* GitLab; key: MR iid */
	FAKEGH_GL_STATUS,   /* GitLab; key: sha */
};

/* Seed a comment by another user; returns its id. */
int64_t fakegh_add_comment(fakegh *f, const char *repo, int64_t number,
                           const char *body);
/* Seed a GitLab note (system: 1 for a system note); returns its id. */
int64_t fakegh_add_note(fakegh *f, const char *project, int64_t iid,
                        const char *body, int system);
/* Objects of a kind for repo (GitLab: the decoded project) and key. */
size_t fakegh_objects(fakegh *f, enum fakegh_kind kind, const char *repo,
                      const char *key);
/*
 * The idx-th one's id, and a string field as last written ("body",
 * "state", "output.summary": a dot goes one object deeper), or NULL.
 */
int64_t fakegh_object_id(fakegh *f, enum fakegh_kind kind, const char *repo,
                         const char *key, size_t idx);
const char *fakegh_object_str(fakegh *f, enum fakegh_kind kind,
                              const char *repo, const char *key, size_t idx,
                              const char *field);
/* How many times the idx-th object was updated after its creation. */
int fakegh_object_updates(fakegh *f, enum fakegh_kind kind, const char *repo,
                          const char *key, size_t idx);

/*
 * A fresh 2048-bit RSA key (OpenSSL EVP), its private key as PEM text
 * (free()), and a new key object with only its public half.
 */
EVP_PKEY *fakegh_rsa_key(void);
char *fakegh_private_pem(EVP_PKEY *key);
EVP_PKEY *fakegh_public_key(EVP_PKEY *key);

#endif
