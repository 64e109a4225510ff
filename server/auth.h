/*
 * auth.h - bearer tokens on requests. A token belongs to one project
 * (store.h, "API tokens"); it is sent as `Authorization: Bearer mgt_...`.
 *
 *   route        public_read off          public_read on
 *   public       no token looked at       no token looked at
 *   read         token of the project     none needed (a bad one: 401)
 *   write        token of the project     token of the project
 *
 * Missing token: 401 with WWW-Authenticate; malformed, unknown or revoked
 * token: 401; a valid token of another project: 403.
 */
#ifndef MG_SRV_AUTH_H
#define MG_SRV_AUTH_H

#include <stdbool.h>

#include "http.h"

/* mg_auth_* results besides a negative "could not answer". */
enum mg_auth_result {
	MG_AUTH_OK = 0,       /* go on */
	MG_AUTH_ANSWERED = 1, /* 401/403/503 was queued; stop */
};

/*
 * Check the request against its route's auth level; for routes with a
 * {p} parameter, also that the token is for that project.
 */
int mg_auth_check(mg_req *r);
/* For a project named in a body: 403 unless the token is for it. */
int mg_auth_project(mg_req *r, const char *project);
/* May the caller read project `name`? (for filtering lists) */
bool mg_auth_may_read(mg_req *r, const char *name);

#endif
