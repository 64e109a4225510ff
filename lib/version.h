/*
 * version.h - memgate's version and the versions of the libraries it was
 * linked with, as reported by those libraries at run time.
 */
#ifndef MG_VERSION_H
#define MG_VERSION_H

#include "buf.h"

const char *mg_version(void);

/*
 * Append "name version" lines for the linked libraries (SQLite, libgit2,
 * libcurl, zlib, cJSON, protobuf-c, OpenSSL) to out.
 */
int mg_version_libs(mg_buf *out);

#endif
