/*
 * mgtest.c - temp dirs, files and child processes for the tests.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "mgtest.h"
#include "fsutil.h"

char *mgt_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	mg_buf b = MG_BUF_INIT(4096);

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	mkdir(base, 0700);
	assert_int_equal(mg_buf_printf(&b, "%s/mgtest.XXXXXX", base), 0);
	assert_non_null(mkdtemp(b.ptr));
	return mg_buf_detach(&b);
}

void mgt_tmpdir_free(char *path)
{
	const char *keep = getenv("MG_KEEP_TMP");

	if (path == NULL)
		return;
	if (keep && strcmp(keep, "1") == 0)
		fprintf(stderr, "kept %s\n", path);
	else
		mg_rmtree(path);
	free(path);
}

char *mgt_path(const char *dir, const char *name)
{
	mg_buf b = MG_BUF_INIT(8192);

	assert_int_equal(mg_buf_printf(&b, "%s/%s", dir, name), 0);
	return mg_buf_detach(&b);
}

char *mgt_read_file(const char *path, size_t *len)
{
	mg_buf b = MG_BUF_INIT(MG_BUF_NOLIMIT);
	char chunk[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(mg_buf_put(&b, chunk, n), 0);
	fclose(f);
	if (len)
		*len = b.len;
	return mg_buf_detach(&b);
}

void mgt_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

/*
 * Read both pipes until they close, so a child that fills one pipe while we
 * wait on the other cannot deadlock.
 */
static void pump(int fds[2], mg_buf *dst[2])
{
	struct pollfd p[2];
	char chunk[8192];
	int i, open_fds = 2;

	while (open_fds > 0) {
		for (i = 0; i < 2; i++) {
			p[i].fd = fds[i];
			p[i].events = POLLIN;
			p[i].revents = 0;
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;

			if (fds[i] < 0 || p[i].revents == 0)
				continue;
			n = read(fds[i], chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fds[i]);
				fds[i] = -1;
				open_fds--;
			} else if (dst[i]) {
				mg_buf_put(dst[i], chunk, (size_t)n);
			}
		}
	}
}

int mgt_run(const char *dir, char *const argv[], mg_buf *out, mg_buf *errout)
{
	int po[2], pe[2], status;
	int fds[2];
	mg_buf *dst[2] = {out, errout};
	pid_t pid;

	if (pipe(po) != 0)
		return -1;
	if (pipe(pe) != 0) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		close(po[0]);
		close(pe[0]);
		close(po[1]);
		close(pe[1]);
		if (dir && chdir(dir) != 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	fds[0] = po[0];
	fds[1] = pe[0];
	pump(fds, dst);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

int mgt_sh(const char *dir, mg_buf *out, const char *fmt, ...)
{
	mg_buf cmd = MG_BUF_INIT(1 << 20);
	char *argv[4];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	assert_int_equal(mg_buf_vprintf(&cmd, fmt, ap), 0);
	va_end(ap);
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = cmd.ptr;
	argv[3] = NULL;
	rc = mgt_run(dir, argv, out, NULL);
	mg_buf_release(&cmd);
	return rc;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);

	return v && v[0] ? v : fallback;
}

const char *mgt_memgate_bin(void)
{
	return env_or("MEMGATE_BIN", MG_BINARY_DIR "/collector/memgate");
}

const char *mgt_server_bin(void)
{
	return env_or("MEMGATE_SERVER_BIN",
	              MG_BINARY_DIR "/server/memgate-server");
}

/* ---- databases ------------------------------------------------------------ */

/* sql prepared on a new connection to db, stepped once. */
static sqlite3_stmt *first_row(const char *db, const char *sql, sqlite3 **conn,
                               bool *row)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_open(db, conn), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(*conn, sql, -1, &st, NULL),
	                 SQLITE_OK);
	*row = sqlite3_step(st) == SQLITE_ROW;
	return st;
}

/* The first column of sql's first row (asserted), as *i or *d. */
static void first_value(const char *db, const char *sql, int64_t *i, double *d)
{
	sqlite3 *conn = NULL;
	bool row;
	sqlite3_stmt *st = first_row(db, sql, &conn, &row);

	assert_true(row);
	if (i)
		*i = sqlite3_column_int64(st, 0);
	if (d)
		*d = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(conn);
}

int64_t mgt_sql_int(const char *db, const char *sql)
{
	int64_t v;

	first_value(db, sql, &v, NULL);
	return v;
}

double mgt_sql_double(const char *db, const char *sql)
{
	double v;

	first_value(db, sql, NULL, &v);
	return v;
}

void mgt_sql_exec(const char *db, const char *sql)
{
	sqlite3 *conn = NULL;

	assert_int_equal(sqlite3_open(db, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
}

char *mgt_sql_text(const char *db, const char *sql)
{
	sqlite3 *conn = NULL;
	bool row;
	sqlite3_stmt *st = first_row(db, sql, &conn, &row);
	const char *v = row ? (const char *)sqlite3_column_text(st, 0) : NULL;
	char *out = v ? mg_strdup(v) : NULL;

	sqlite3_finalize(st);
	sqlite3_close(conn);
	return out;
}

int mgt_store_setup(void **state)
{
	mgt_store_fixture *f = calloc(1, sizeof(*f));
	mg_err err = MG_ERR_INIT;

	assert_non_null(f);
	f->dir = mgt_tmpdir();
	f->db = mgt_path(f->dir, "memgate.db");
	assert_int_equal(mg_store_open(&f->st, f->db, 0, &err), 0);
	*state = f;
	return 0;
}

int mgt_store_teardown(void **state)
{
	mgt_store_fixture *f = *state;

	mg_store_close(f->st);
	free(f->db);
	mgt_tmpdir_free(f->dir);
	free(f);
	return 0;
}
