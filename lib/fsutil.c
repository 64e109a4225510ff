/*
 * fsutil.c - removing the temporary trees the collector creates (work
 * trees of a backfill, per-package profile folders) and the tests' temp
 * dirs: depth first, links removed rather than followed; reading a whole
 * file within a buffer's limit.
 */
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

#include "fsutil.h"

static int rm_entry(const char *path, const struct stat *st, int flag,
                    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int mg_rmtree(const char *path)
{
	return nftw(path, rm_entry, 64, FTW_DEPTH | FTW_PHYS);
}

int mg_read_file(mg_buf *out, const char *path, mg_err *err)
{
	char chunk[65536];
	int in = strcmp(path, "-") == 0;
	FILE *f = in ? stdin : fopen(path, "rb");
	size_t n;
	int error = 0;

	if (f == NULL)
		return mg_err_set(err, errno == ENOENT ? MG_ENOTFOUND : MG_EIO,
		                  "cannot read '%s': %s", path,
		                  strerror(errno));
	while (error == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		error = mg_buf_put(out, chunk, n);
	if (error == MG_ELIMIT)
		error = mg_err_set(err, error, "'%s': larger than %zu bytes",
		                   path, out->max);
	else if (error < 0)
		error = mg_err_set(err, error, "'%s': out of memory", path);
	else if (ferror(f))
		error = mg_err_set(err, MG_EIO, "cannot read '%s'", path);
	if (!in)
		fclose(f);
	return error;
}
