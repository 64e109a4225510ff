/*
 * version_git.c - libgit2's version line (see mg_version_libgit2).
 */
#include <git2.h>

#include "version.h"

int mg_version_libgit2(mg_buf *out)
{
	int major = 0, minor = 0, rev = 0;

	git_libgit2_version(&major, &minor, &rev);
	return mg_buf_printf(out, "libgit2 %d.%d.%d\n", major, minor, rev);
}
