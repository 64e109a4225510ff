/*
 * auth.c - bearer token checks (the rules are in auth.h). Tokens are
 * looked up by their SHA-256 on the request's read connection; nothing
 * here logs or echoes a token.
 */
#include "auth.h"
#include "server.h"

static int answered(int rc)
{
	return rc < 0 ? rc : MG_AUTH_ANSWERED;
}

static int unauthorized(mg_req *r, const char *msg)
{
	mg_http_header(r, "WWW-Authenticate", "Bearer realm=\"memgate\"");
	if (r->route && (r->route->flags & MG_ROUTE_BODY))
		mg_http_header(r, "Connection", "close");
	return answered(mg_http_error(r, 401, "unauthorized", NULL, "%s", msg));
}

/*
 * The token of "Authorization: Bearer <token>" (scheme case-insensitive,
 * RFC 7235), NULL if the header is absent or not a bearer credential.
 */
static const char *bearer(mg_req *r, bool *present)
{
	const char *h = mg_req_header(r, "Authorization");

	*present = h != NULL;
	if (h == NULL || strlen(h) > MG_HTTP_MAX_AUTH ||
	    strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return h;
}

int mg_auth_check(mg_req *r)
{
	const mg_route *rt = r->route;
	const mg_srv_config *cfg = r->srv->cfg;
	const char *token, *project;
	mg_err err = MG_ERR_INIT;
	mg_store *st;
	bool present;
	int error;

	if (rt->auth == MG_ROUTE_PUBLIC)
		return MG_AUTH_OK;
	token = bearer(r, &present);
	if (!present && rt->auth == MG_ROUTE_READ && cfg->public_read)
		return MG_AUTH_OK;
	if (!present)
		return unauthorized(r, "missing bearer token (Authorization: "
		                       "Bearer mgt_...)");
	if (token == NULL)
		return unauthorized(r,
		                    "expected an Authorization header of the "
		                    "form 'Bearer <token>'");
	st = mg_req_reader(r, &err);
	if (st == NULL) {
		mg_http_header(r, "Retry-After", "1");
		return answered(
		        mg_http_error(r, 503, "busy", NULL, "%s", err.msg));
	}
	error = mg_store_token_verify(st, token, &r->token, &err);
	if (error == MG_EAUTH)
		return unauthorized(r, err.msg);
	if (error < 0)
		return answered(mg_http_fail(r, error, &err));
	r->has_token = true;
	project = mg_req_param(r, "p");
	if (rt->auth == MG_ROUTE_READ && !cfg->public_read && project)
		return mg_auth_project(r, project);
	return MG_AUTH_OK;
}

int mg_auth_project(mg_req *r, const char *project)
{
	if (!r->has_token)
		return unauthorized(r, "missing bearer token");
	if (strcmp(r->token.project, project) == 0)
		return MG_AUTH_OK;
	return answered(mg_http_error(r, 403, "forbidden", "project",
	                              "this token is for another project"));
}

bool mg_auth_may_read(mg_req *r, const char *name)
{
	if (r->srv->cfg->public_read)
		return true;
	return r->has_token && strcmp(r->token.project, name) == 0;
}
