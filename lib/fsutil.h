/*
 * fsutil.h - file system helpers shared by the collector and the tests.
 */
#ifndef MG_FSUTIL_H
#define MG_FSUTIL_H

#include "buf.h"
#include "err.h"

/*
 * Remove a directory tree (or a file) without following symbolic links.
 * Returns 0, or -1 if something could not be removed (errno set).
 */
int mg_rmtree(const char *path);

/*
 * Append the whole file at path ("-": standard input) to out, whose max
 * bounds it. MG_ENOTFOUND when it does not exist, MG_EIO, MG_ELIMIT
 * ("'path': larger than N bytes"), MG_ENOMEM; err names the path.
 */
int mg_read_file(mg_buf *out, const char *path, mg_err *err);

#endif
