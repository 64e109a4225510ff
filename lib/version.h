/*
 * version.h - memgate's version and the versions of the libraries it was
 * linked with, as reported by those libraries at run time.
 */
#ifndef MG_VERSION_H
#define MG_VERSION_H

#include "buf.h"

const char *mg_version(void);

/*
 * Append "name version" lines for the linked libraries (SQLite, libcurl,
 * zlib, cJSON, protobuf-c, OpenSSL) to out.
 */
int mg_version_libs(mg_buf *out);

/*
 * Append "libgit2 X.Y.Z": apart, so that a program without git (the
 * server) does not load libgit2 and its dependencies for a version line.
 */
int mg_version_libgit2(mg_buf *out);

#endif
