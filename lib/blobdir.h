/*
 * blobdir.h - a directory of immutable, content-addressed files: the
 * server keeps its profiles there instead of in the database, beside it
 * as "<db>-profiles/" (see store.h, MG_STORE_PROFILES_IN_DIR).
 *
 * A file appears whole or not at all: it is written under a temporary
 * name, flushed to disk and renamed. mg_blobdir_sync() makes the renames
 * themselves durable; the store calls it before the COMMIT of the rows
 * that name the files, so a committed row never names a file a crash can
 * take away. Names are what the caller gives (the store uses the
 * SHA-256 in hex); they must be plain file names.
 */
#ifndef MG_BLOBDIR_H
#define MG_BLOBDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

typedef struct mg_blobdir mg_blobdir;

/*
 * Open the directory at path; with create, make it (mode 0700) if it is
 * missing. MG_ENOTFOUND when it is missing and create is false, MG_EIO.
 */
int mg_blobdir_open(mg_blobdir **out, const char *path, bool create,
                    mg_err *err);
void mg_blobdir_free(mg_blobdir *d);
const char *mg_blobdir_path(const mg_blobdir *d);

/*
 * Store len bytes as file `name`, unless a file of that name and size is
 * there already (content addressing: same name, same bytes). *created
 * says whether this call wrote it. MG_EINPUT for a bad name, MG_EIO.
 */
int mg_blobdir_put(mg_blobdir *d, const char *name, const void *data,
                   size_t len, bool *created, mg_err *err);

/*
 * How many files this handle wrote (in part) with O_DIRECT: the whole
 * pages of a page-aligned block of 64 KiB or more go straight to the
 * disk, not through the page cache (mg_base64_decode's blocks are
 * page-aligned); on file systems without O_DIRECT, none.
 */
size_t mg_blobdir_direct_writes(const mg_blobdir *d);

/* Flush the directory itself, so the renames done so far survive. */
int mg_blobdir_sync(mg_blobdir *d, mg_err *err);

/* Remove file `name` (a put being undone); errors are ignored. */
void mg_blobdir_remove(mg_blobdir *d, const char *name);

/*
 * Read file `name`, which must be exactly `size` bytes, into a new
 * malloc'd block (*out, free() it). MG_ENOTFOUND, MG_EIO (also for a
 * size mismatch), MG_ENOMEM; err names the file.
 */
int mg_blobdir_read(mg_blobdir *d, const char *name, size_t size,
                    unsigned char **out, mg_err *err);

/*
 * Hard-link (or, across file systems, copy) file `name` into directory
 * `dest` (created if missing), durably. For backups. MG_EIO.
 */
int mg_blobdir_copy_to(mg_blobdir *d, const char *name, mg_blobdir *dest,
                       mg_err *err);

/*
 * Remove what is older than min_age_s seconds and unwanted: temporary
 * files a crash left behind, and the files visit() returns true for
 * (every other name goes to it, before its age is looked at, so visit()
 * must only decide). *removed counts removals. MG_EIO.
 */
int mg_blobdir_sweep(mg_blobdir *d, long min_age_s,
                     bool (*visit)(void *ctx, const char *name), void *ctx,
                     size_t *removed, mg_err *err);

#endif
