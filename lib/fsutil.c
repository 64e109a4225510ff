/*
 * fsutil.c - removing the temporary trees the collector creates (work
 * trees of a backfill, per-package profile folders) and the tests' temp
 * dirs: depth first, links removed rather than followed.
 */
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
