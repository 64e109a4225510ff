/*
 * err.h - the one error convention of memgate.
 *
 * Functions return an int: 0 on success, a negative MG_E* code on failure.
 * The message travels in a caller-owned mg_err (a fixed array, so reporting
 * an error never allocates). The function that detects a problem writes the
 * message; callers pass the code up and leave the text alone. Only the
 * binaries translate codes into exit statuses or HTTP statuses.
 */
#ifndef MG_ERR_H
#define MG_ERR_H

enum mg_errcode {
	MG_OK = 0,
	MG_EINPUT = -1,     /* malformed or invalid input (user's fault) */
	MG_ENOTFOUND = -2,  /* a named thing does not exist */
	MG_ECONFLICT = -3,  /* already exists / state does not allow it */
	MG_ELIMIT = -4,     /* a configured size or count limit was hit */
	MG_ENOMEM = -5,     /* allocation failed */
	MG_EIO = -6,        /* file system or process error */
	MG_EDB = -7,        /* the database failed */
	MG_ENET = -8,       /* network failure talking to a peer */
	MG_EUPSTREAM = -9,  /* a remote service refused the request */
	MG_EINTERNAL = -10, /* a bug or an unexpected library state */
	MG_EAUTH = -11,     /* missing or invalid credentials */
};

#define MG_ERR_MSG_MAX 256

typedef struct mg_err {
	int code;                 /* last MG_E* code, 0 when clear */
	char msg[MG_ERR_MSG_MAX]; /* one line, lower case, no period */
} mg_err;

#define MG_ERR_INIT                                                            \
	{                                                                      \
		0,                                                             \
		{                                                              \
			0                                                      \
		}                                                              \
	}

/*
 * Format a message into err (which may be NULL) and return code, so the
 * detecting site is one line: `return mg_err_set(err, MG_EINPUT, ...)`.
 */
int mg_err_set(mg_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with "prefix: " (e.g. a file name). */
void mg_err_prefix(mg_err *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

void mg_err_clear(mg_err *err);

/* A short stable name of a code ("input", "db", ...), for logs and JSON. */
const char *mg_err_name(int code);

#endif
