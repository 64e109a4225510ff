/*
 * mgtest.h - helpers shared by the test executables: per-test temporary
 * directories (removed at teardown unless MG_KEEP_TMP=1), file helpers,
 * and running a child process with its output captured.
 */
#ifndef MG_TEST_H
#define MG_TEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "store.h"

/* Create a fresh directory under $TMPDIR; returns a malloc'd path. */
char *mgt_tmpdir(void);
/* Remove a directory tree (unless MG_KEEP_TMP=1), then free(path). */
void mgt_tmpdir_free(char *path);
/* Join dir and name into a malloc'd path. */
char *mgt_path(const char *dir, const char *name);
/* Read a whole file; NULL if it cannot be read. *len gets the size. */
char *mgt_read_file(const char *path, size_t *len);
/* Write bytes to a file; asserts on failure. */
void mgt_write_file(const char *path, const void *data, size_t len);

/*
 * Run argv (argv[0] looked up in PATH) in dir (NULL: the current one),
 * capturing stdout and stderr into out/errout (either may be NULL).
 * Returns the exit status, or 128+signal, or -1 if it could not start.
 */
int mgt_run(const char *dir, char *const argv[], mg_buf *out, mg_buf *errout);
/* Run a /bin/sh command line the same way. */
int mgt_sh(const char *dir, mg_buf *out, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/*
 * The first column of the first row of `sql`, read from the database file
 * db on a connection of its own: as an integer or a double (asserts there
 * is a row), or as malloc'd text (NULL when there is no row or the value
 * is NULL).
 */
int64_t mgt_sql_int(const char *db, const char *sql);
double mgt_sql_double(const char *db, const char *sql);
char *mgt_sql_text(const char *db, const char *sql);
/* Run sql (any number of statements) on db; asserts that it succeeds. */
void mgt_sql_exec(const char *db, const char *sql);

/*
 * cmocka setup/teardown of a fresh store (memgate.db in a temp dir, open):
 * *state is an mgt_store_fixture.
 */
typedef struct mgt_store_fixture {
	char *dir, *db;
	mg_store *st;
} mgt_store_fixture;
int mgt_store_setup(void **state);
int mgt_store_teardown(void **state);

/* The built binaries, from the MEMGATE_BIN / MEMGATE_SERVER_BIN env. */
const char *mgt_memgate_bin(void);
const char *mgt_server_bin(void);

#endif
