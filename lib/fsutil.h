/*
 * fsutil.h - file system helpers shared by the collector and the tests.
 */
#ifndef MG_FSUTIL_H
#define MG_FSUTIL_H

/*
 * Remove a directory tree (or a file) without following symbolic links.
 * Returns 0, or -1 if something could not be removed (errno set).
 */
int mg_rmtree(const char *path);

#endif
