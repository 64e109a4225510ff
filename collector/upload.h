/*
 * upload.h - sending runs to a memgate server and the local spool that
 * keeps the runs the server could not take yet.
 *
 * A run travels as its JSON document (lib/runjson.h), gzipped, in
 * POST <server>/api/v1/runs with "Authorization: Bearer <token>" and an
 * "Idempotency-Key" header that repeats the document's idempotency_key:
 * a random 128-bit key made once per run, so a retried upload, or a push
 * of a run whose first upload did arrive after all, is stored once.
 *
 * What the server answers decides what happens to the run:
 *
 *   2xx                      stored (201 new, 200 the key was seen)
 *   no answer, 408, 429, 5xx retried with backoff; then spooled
 *   401, 403                 the token is wrong: spooled, and an error
 *   400, 413, 415, 422       the run itself is invalid: never retried,
 *                            kept aside in <spool>/rejected/ for a look
 *   any other status         the URL is wrong (404, 405, ...): spooled
 *
 * The spool is a directory (default .memgate/spool/ at the repository
 * root) of one file per run, <key>.json, holding the exact document
 * that was (or would have been) sent. Files are written to a temporary
 * name, synced and renamed, so a crash never leaves a half-written run
 * under a spool name; `memgate push` sends them and deletes each one
 * only after the server answered 2xx.
 */
#ifndef MG_UPLOAD_H
#define MG_UPLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "httpc.h"
#include "run.h"

/* A 128-bit idempotency key in lower-case hex. */
#define MG_UPLOAD_KEY_HEX 32
/* The server's reply to a run: a small JSON object. */
#define MG_UPLOAD_REPLY_MAX ((size_t)64 << 10)
/* A server base URL; longer ones are typing accidents. */
#define MG_UPLOAD_URL_MAX 2048
/* A token: ours are short, the limit leaves room for other schemes. */
#define MG_UPLOAD_TOKEN_MAX 1024
/*
 * One upload, retries included, may take this long: a 64 MiB run over a
 * slow CI uplink (~1 MB/s) with room to spare.
 */
#define MG_UPLOAD_TIMEOUT_MS (10 * 60 * 1000)
/* Spool files one push looks at; the rest wait for the next push. */
#define MG_SPOOL_MAX_FILES 10000

typedef struct mg_upload mg_upload; /* opaque: server, token, client */

enum mg_upload_outcome {
	MG_UPLOAD_CREATED = 0,     /* 201: stored now */
	MG_UPLOAD_EXISTED = 1,     /* 200: the key was stored before */
	MG_UPLOAD_UNREACHABLE = 2, /* no answer or 408/429/5xx: spool */
	MG_UPLOAD_AUTH = 3,        /* 401/403: spool, fix the token */
	MG_UPLOAD_MISCONFIG = 4,   /* 404 and other statuses: spool */
	MG_UPLOAD_REJECTED = 5,    /* 400/413/415/422: the run is invalid */
};

typedef struct mg_upload_result {
	enum mg_upload_outcome outcome;
	long status;   /* last HTTP status, 0 if none */
	int64_t id;    /* the server's run id when stored, else 0 */
	char url[512]; /* the reply's "url" member if it had one, else "" */
	char *path;    /* spool or rejected file written, else NULL (owned) */
} mg_upload_result;

void mg_upload_result_init(mg_upload_result *r);
void mg_upload_result_release(mg_upload_result *r);

/*
 * Prepare uploads to `server` (http:// or https://, a trailing slash is
 * ignored) with `token`. MG_EINPUT for a bad URL or token, MG_ENOMEM.
 * Retries are logged at warn level through mg_log.
 */
int mg_upload_new(mg_upload **out, const char *server, const char *token,
                  mg_err *err);
void mg_upload_free(mg_upload *u);
/* The retry policy in force (the defaults of MG_HTTPC_RETRY_DEFAULT). */
mg_httpc_retry *mg_upload_retry(mg_upload *u);
/* The server's base URL as given, without the trailing slash. */
const char *mg_upload_server(const mg_upload *u);

/* A new random idempotency key (OpenSSL RAND_bytes); out has 33 bytes. */
int mg_upload_new_key(char *out, mg_err *err);

/*
 * Send one run document (`doc`, `len` bytes, whose idempotency_key is
 * `key`). Returns 0 when the server stored it (result->outcome CREATED
 * or EXISTED, result->id set); otherwise an error with err saying what
 * the server said, and result->outcome telling the caller what to do:
 * MG_ENET (UNREACHABLE), MG_EAUTH (AUTH), MG_EUPSTREAM (MISCONFIG),
 * MG_EINPUT (REJECTED), or MG_ENOMEM with outcome UNREACHABLE.
 */
int mg_upload_send(mg_upload *u, mg_upload_result *result, const char *doc,
                   size_t len, const char *key, mg_err *err);

/*
 * The collector's path for a fresh run: give it a key (unless it has
 * one), write its document, send it, and on failure write it to the
 * spool in `spool_dir` (or, when rejected, to spool_dir/rejected/);
 * result->path names that file. After the server was unreachable once,
 * later runs of the same mg_upload are tried once only, not retried:
 * a backfill against a server that is down should not wait out every
 * retry for every commit. Returns as mg_upload_send; a spool that cannot
 * be written is MG_EIO, and then the message names both failures. A run
 * that cannot be written as a document at all (mg_runjson_write: a bug,
 * or a run over the format's limits) is MG_EINPUT or MG_ELIMIT with
 * outcome REJECTED and no file.
 */
int mg_upload_run(mg_upload *u, mg_upload_result *result, mg_run *run,
                  const char *spool_dir, mg_err *err);

/*
 * The spool directory's default: .memgate/spool at the root of the git
 * work tree around the current directory (not created here). Malloc'd.
 */
int mg_spool_default_dir(char **out, mg_err *err);

/*
 * Write doc to dir/<key>.json atomically (temp file, fsync, rename,
 * fsync of the directory), creating dir (and its parent) if needed.
 * *path_out (may be NULL) gets the file's path, malloc'd.
 */
int mg_spool_write(const char *dir, const char *key, const char *doc,
                   size_t len, char **path_out, mg_err *err);

/*
 * The keys of the runs in the spool (files named <32 hex>.json; other
 * files are left alone), oldest file first, at most MG_SPOOL_MAX_FILES;
 * *more is set when there were more. A missing directory is an empty
 * spool. Free with mg_spool_list_free.
 */
int mg_spool_list(char ***keys, size_t *n, bool *more, const char *dir,
                  mg_err *err);
void mg_spool_list_free(char **keys, size_t n);

/* Append dir/<key>.json to out, whose limit becomes MG_RUNJSON_MAX_INPUT. */
int mg_spool_read(mg_buf *out, const char *dir, const char *key, mg_err *err);
/* Delete dir/<key>.json (after the server stored it). */
int mg_spool_remove(const char *dir, const char *key, mg_err *err);
/*
 * Move dir/<key>.json to dir/rejected/ (the server refused the run as
 * invalid: pushing it again cannot help). *path_out gets the new path.
 */
int mg_spool_reject(const char *dir, const char *key, char **path_out,
                    mg_err *err);

#endif
