/*
 * srv.h - helpers for tests that run a real memgate-server: spawn the
 * built binary on 127.0.0.1 port 0 and read the port it prints, send
 * HTTP requests with libcurl (usable from several threads: nothing here
 * asserts once the server is up), get tokens through its CLI, and build
 * run documents of a chosen size.
 */
#ifndef MG_TEST_SRV_H
#define MG_TEST_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <curl/curl.h>

#include "buf.h"
#include "run.h"

typedef struct mgt_srv {
	pid_t pid;     /* the server process, 0 when stopped */
	unsigned port; /* bound port, read from its "listening on" line */
	char url[64];  /* http://127.0.0.1:PORT */
	char *log;     /* file receiving the server's stderr (owned) */
} mgt_srv;

/*
 * Start `memgate-server serve --listen 127.0.0.1:0 --db DB` plus `extra`
 * (NULL-terminated, may be NULL), stderr appended to `log` (a path).
 * Waits up to 10 s for the port; on failure prints the log and fails
 * the test. `s` is overwritten: mgt_srv_release a started one first.
 */
void mgt_srv_start(mgt_srv *s, const char *db, const char *log,
                   const char *const *extra);
/*
 * Send `sig` (SIGTERM, SIGKILL, ...) and wait up to 30 s for the exit.
 * Returns the exit status, or 128 + signal.
 */
int mgt_srv_stop(mgt_srv *s, int sig);
void mgt_srv_release(mgt_srv *s);

/*
 * `memgate-server token create --project P --db DB`: the token (malloc'd).
 * Fails the test if the command fails.
 */
char *mgt_srv_token(const char *db, const char *project);

typedef struct mgt_req {
	const char *method; /* NULL: GET, or POST with a body */
	const char *url;    /* full URL */
	const char *token;  /* Authorization: Bearer, or NULL */
	const void *body;   /* request body, or NULL */
	size_t len;
	const char *const *headers; /* "Name: value", NULL-terminated */
	long timeout_ms;            /* 0: 30 s */
} mgt_req;

typedef struct mgt_resp {
	long status;    /* HTTP status, 0 if the transfer failed */
	int curl_error; /* CURLcode, 0 on success */
	mg_buf body;    /* answer body */
	mg_buf headers; /* raw answer headers */
	double seconds; /* total time of the transfer */
} mgt_resp;

/*
 * One request. `h` may be a reused easy handle (keep-alive) or NULL for a
 * fresh one. Returns 0, or -1 if the transfer failed (out->curl_error).
 * Never asserts: safe in threads. Release out with mgt_resp_release.
 */
int mgt_http(mgt_resp *out, CURL *h, const mgt_req *req);
void mgt_resp_release(mgt_resp *r);
/* The value of answer header `name` (case-insensitive), malloc'd or NULL. */
char *mgt_resp_header(const mgt_resp *r, const char *name);

/*
 * A valid run of `project` at commit `sha` (40 hex) with parent `parent`
 * (or NULL): nbench benchmarks "BenchmarkN" x nunits units ("B/op",
 * "allocs/op", "ns/op", then "uK") x nsamples samples whose values are
 * bench*1000 + unit*100 + seq, and, if profile_len > 0, one "heap"
 * profile of package "pkg" holding `profile` bytes (or pseudo-random
 * ones from `seed` when profile is NULL). run is initialised here.
 */
void mgt_make_run(mg_run *run, const char *project, const char *sha,
                  const char *parent, int64_t commit_time, int nbench,
                  int nunits, int nsamples, const void *profile,
                  size_t profile_len, uint64_t seed);
/* mgt_make_run, then the JSON document into out (fails the test on error). */
void mgt_make_run_json(mg_buf *out, const char *project, const char *sha,
                       const char *parent, int64_t commit_time, int nbench,
                       int nunits, int nsamples, const void *profile,
                       size_t profile_len, uint64_t seed);
/* A 40-hex sha made from n (distinct n, distinct shas). */
void mgt_sha(char out[41], uint64_t n);

#endif
