/*
 * outbox.c - the notification outbox (outbox.h): rows in the `outbox`
 * table with a JSON payload per delivery, claims with a lease, and the
 * worker pass that hands claimed rows to the GitHub or GitLab client.
 *
 * Payload (one JSON object; absent members are NULL / 0):
 *   {"forge": "github"|"gitlab", "kind": "status"|"comment"|"check",
 *    "repo": str, "installation_id": int, "sha": str, "number": int,
 *    "state": "pending"|"success"|"failure"|"error", "context": str,
 *    "description": str, "target_url": str, "body": str, "marker": str,
 *    "ref": str}
 */
#include <cjson/cJSON.h>

#include "forge_int.h"
#include "outbox.h"
#include "store_int.h"

static const char *const kind_names[] = {"status", "comment", "check"};
static const char *const state_names[] = {"pending", "done", "failed"};

const char *mg_outbox_kind_name(enum mg_outbox_kind k)
{
	return (unsigned)k <= MG_OUTBOX_CHECK ? kind_names[k] : "?";
}

const char *mg_outbox_state_name(enum mg_outbox_state s)
{
	return (unsigned)s <= MG_OUTBOX_FAILED ? state_names[s] : "?";
}

static int index_of(const char *const *names, int n, const char *s)
{
	int i;

	for (i = 0; s && i < n; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

void mg_outbox_item_release(mg_outbox_item *it)
{
	free(it->target);
	free(it->payload);
	free(it->last_error);
	memset(it, 0, sizeof(*it));
}

void mg_outbox_items_free(mg_outbox_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mg_outbox_item_release(&items[i]);
	free(items);
}

int64_t mg_outbox_backoff_ms(int attempts, double u)
{
	mg_httpc_retry p = {0,
	                    MG_OUTBOX_BACKOFF_BASE_MS,
	                    MG_OUTBOX_BACKOFF_MAX_MS,
	                    0.5,
	                    0,
	                    NULL};

	return mg_httpc_retry_delay(&p, attempts < 1 ? 1 : attempts, -1, u);
}

/* ---- messages and payloads ----------------------------------------------- */

static int check_msg(const mg_outbox_msg *m, mg_err *err)
{
	const char *why = NULL;

	if ((unsigned)m->forge > MG_FORGE_GITLAB ||
	    (unsigned)m->kind > MG_OUTBOX_CHECK ||
	    (unsigned)m->state > MG_FORGE_ERROR)
		why = "unknown forge, kind or state";
	else if (m->repo == NULL || !mg_forge__line_ok(m->repo, 1024))
		why = "field 'repo': required, one line";
	else if (m->kind != MG_OUTBOX_COMMENT && !mg_forge__is_sha(m->sha))
		why = "field 'sha': expected 40 or 64 hex digits";
	else if (m->kind == MG_OUTBOX_COMMENT &&
	         (m->number <= 0 || m->body == NULL))
		why = "a comment needs 'number' and 'body'";
	else if (m->kind == MG_OUTBOX_CHECK && m->forge != MG_FORGE_GITHUB)
		why = "check runs exist on GitHub only";
	else if (m->installation_id < 0)
		why = "field 'installation_id': negative";
	if (why)
		return mg_err_set(err, MG_EINPUT, "outbox: %s", why);
	return 0;
}

/* The key deliveries to the same place share (see "supersede"). */
static int make_target(mg_buf *out, const mg_outbox_msg *m)
{
	const char *forge = mg_forge_kind_name(m->forge);

	if (m->kind == MG_OUTBOX_COMMENT)
		return mg_buf_printf(out, "%s:%s#%lld %s", forge, m->repo,
		                     (long long)m->number,
		                     m->marker ? m->marker
		                               : MG_FORGE_COMMENT_MARKER);
	return mg_buf_printf(out, "%s:%s@%s/%s", forge, m->repo, m->sha,
	                     m->context ? m->context
	                                : MG_FORGE_DEFAULT_CONTEXT);
}

static bool add_opt_str(cJSON *o, const char *name, const char *v)
{
	return v == NULL || cJSON_AddStringToObject(o, name, v) != NULL;
}

static bool add_opt_int(cJSON *o, const char *name, int64_t v)
{
	return v == 0 || cJSON_AddNumberToObject(o, name, (double)v) != NULL;
}

static char *payload_of(const mg_outbox_msg *m)
{
	cJSON *o = cJSON_CreateObject();
	char *s = NULL;

	if (o && add_opt_str(o, "forge", mg_forge_kind_name(m->forge)) &&
	    add_opt_str(o, "kind", kind_names[m->kind]) &&
	    add_opt_str(o, "repo", m->repo) &&
	    add_opt_int(o, "installation_id", m->installation_id) &&
	    add_opt_str(o, "sha", m->sha) &&
	    add_opt_int(o, "number", m->number) &&
	    add_opt_str(o, "state", mg_forge_state_name(m->state)) &&
	    add_opt_str(o, "context", m->context) &&
	    add_opt_str(o, "description", m->description) &&
	    add_opt_str(o, "target_url", m->target_url) &&
	    add_opt_str(o, "body", m->body) &&
	    add_opt_str(o, "marker", m->marker) &&
	    add_opt_str(o, "ref", m->ref))
		s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

/* A payload read back: strings borrowed from the cJSON tree. */
struct msg_view {
	cJSON *root;
	mg_outbox_msg m;
};

static const char *opt_str(const cJSON *root, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int64_t opt_int(const cJSON *root, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
	    v->valuedouble >= 9007199254740992.0)
		return 0;
	return (int64_t)v->valuedouble;
}

static int read_payload(struct msg_view *v, const char *payload, mg_err *err)
{
	int forge, kind;

	memset(v, 0, sizeof(*v));
	v->root = cJSON_Parse(payload);
	if (!cJSON_IsObject(v->root))
		goto bad;
	forge = index_of((const char *const[]){"github", "gitlab"}, 2,
	                 opt_str(v->root, "forge"));
	kind = index_of(kind_names, 3, opt_str(v->root, "kind"));
	if (forge < 0 || kind < 0 ||
	    mg_forge_state_parse(&v->m.state, opt_str(v->root, "state"), NULL) <
	            0)
		goto bad;
	v->m.forge = (enum mg_forge_kind)forge;
	v->m.kind = (enum mg_outbox_kind)kind;
	v->m.repo = opt_str(v->root, "repo");
	v->m.installation_id = opt_int(v->root, "installation_id");
	v->m.sha = opt_str(v->root, "sha");
	v->m.number = opt_int(v->root, "number");
	v->m.context = opt_str(v->root, "context");
	v->m.description = opt_str(v->root, "description");
	v->m.target_url = opt_str(v->root, "target_url");
	v->m.body = opt_str(v->root, "body");
	v->m.marker = opt_str(v->root, "marker");
	v->m.ref = opt_str(v->root, "ref");
	if (check_msg(&v->m, err) < 0)
		return MG_EINPUT;
	return 0;
bad:
	return mg_err_set(err, MG_EINPUT,
	                  "outbox: payload is not a delivery this memgate "
	                  "understands");
}

/* ---- rows ---------------------------------------------------------------- */

static int enqueue_rows(mg_store *st, const mg_outbox_msg *m,
                        int64_t comparison_id, int64_t now_ms,
                        const char *target, const char *payload,
                        int64_t *id_out, mg_err *err)
{
	sqlite3_stmt *ins = NULL, *sup = NULL;
	char note[64];
	int64_t id;
	int error;

	error = mg_store__prepare(
	        st, &ins,
	        "INSERT INTO outbox (comparison_id, kind, target, payload, "
	        "state, attempts, next_attempt_at, created_at) "
	        "VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5)",
	        err);
	if (error < 0)
		goto cleanup;
	if (comparison_id > 0)
		sqlite3_bind_int64(ins, 1, comparison_id);
	else
		sqlite3_bind_null(ins, 1);
	mg_store__bind_text(ins, 2, kind_names[m->kind]);
	mg_store__bind_text(ins, 3, target);
	mg_store__bind_text(ins, 4, payload);
	sqlite3_bind_int64(ins, 5, now_ms);
	error = mg_store__exec_stmt(st, ins, err);
	if (error < 0)
		goto cleanup;
	id = sqlite3_last_insert_rowid(st->db);
	snprintf(note, sizeof(note), "superseded by delivery %lld",
	         (long long)id);
	error = mg_store__prepare(
	        st, &sup,
	        "UPDATE outbox SET state = 'done', last_error = ?1 "
	        "WHERE state = 'pending' AND kind = ?2 AND target = ?3 "
	        "AND id < ?4",
	        err);
	if (error < 0)
		goto cleanup;
	mg_store__bind_text(sup, 1, note);
	mg_store__bind_text(sup, 2, kind_names[m->kind]);
	mg_store__bind_text(sup, 3, target);
	sqlite3_bind_int64(sup, 4, id);
	error = mg_store__exec_stmt(st, sup, err);
	if (error == 0 && id_out)
		*id_out = id;
cleanup:
	sqlite3_finalize(ins);
	sqlite3_finalize(sup);
	return error;
}

int mg_outbox_enqueue(mg_store *st, const mg_outbox_msg *msg,
                      int64_t comparison_id, int64_t now_ms, int64_t *id_out,
                      mg_err *err)
{
	mg_buf target = MG_BUF_INIT(4096);
	char *payload = NULL;
	bool own_tx = !st->in_tx;
	int error;

	error = check_msg(msg, err);
	if (error < 0)
		return error;
	error = make_target(&target, msg);
	if (error < 0) {
		error = mg_err_set(err, error, "outbox: target too long");
		goto cleanup;
	}
	payload = payload_of(msg);
	if (payload == NULL) {
		error = mg_err_set(err, MG_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (strlen(payload) > MG_OUTBOX_MAX_PAYLOAD) {
		error = mg_err_set(
		        err, MG_ELIMIT,
		        "outbox: payload of %zu bytes over the limit "
		        "of %zu",
		        strlen(payload), MG_OUTBOX_MAX_PAYLOAD);
		goto cleanup;
	}
	if (own_tx) {
		error = mg_store_begin(st, err);
		if (error < 0)
			goto cleanup;
	}
	error = enqueue_rows(st, msg, comparison_id, now_ms, target.ptr,
	                     payload, id_out, err);
	if (own_tx) {
		if (error == 0)
			error = mg_store_commit(st, err);
		else
			mg_store_rollback(st);
	}
cleanup:
	mg_buf_release(&target);
	free(payload);
	return error;
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? mg_strdup((const char *)t) : NULL;
}

#define ITEM_COLUMNS                                                           \
	"id, comparison_id, kind, target, payload, state, attempts, "          \
	"next_attempt_at, last_error, created_at, delivered_at"

static int read_item(sqlite3_stmt *s, mg_outbox_item *it, mg_err *err)
{
	int kind = index_of(kind_names, 3,
	                    (const char *)sqlite3_column_text(s, 2));
	int state = index_of(state_names, 3,
	                     (const char *)sqlite3_column_text(s, 5));

	memset(it, 0, sizeof(*it));
	it->id = sqlite3_column_int64(s, 0);
	it->comparison_id = sqlite3_column_int64(s, 1);
	it->kind = kind < 0 ? MG_OUTBOX_STATUS : (enum mg_outbox_kind)kind;
	it->target = col_dup(s, 3);
	it->payload = col_dup(s, 4);
	it->state = state < 0 ? MG_OUTBOX_FAILED : (enum mg_outbox_state)state;
	it->attempts = sqlite3_column_int(s, 6);
	it->next_attempt_at = sqlite3_column_int64(s, 7);
	it->last_error = col_dup(s, 8);
	it->created_at = sqlite3_column_int64(s, 9);
	it->delivered_at = sqlite3_column_int64(s, 10);
	if (it->target == NULL || it->payload == NULL ||
	    (sqlite3_column_type(s, 8) != SQLITE_NULL && !it->last_error)) {
		mg_outbox_item_release(it);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	if (kind < 0) {
		mg_outbox_item_release(it);
		return mg_err_set(err, MG_EDB,
		                  "outbox: delivery %lld has unknown kind",
		                  (long long)sqlite3_column_int64(s, 0));
	}
	return 0;
}

int mg_outbox_get(mg_store *st, int64_t id, mg_outbox_item *out, mg_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;

	rc = mg_store__prepare(
	        st, &s, "SELECT " ITEM_COLUMNS " FROM outbox WHERE id = ?",
	        err);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = mg_store__step(st, s, err);
	if (rc == SQLITE_ROW)
		rc = read_item(s, out, err);
	else if (rc == SQLITE_DONE)
		rc = mg_err_set(err, MG_ENOTFOUND, "outbox: no delivery %lld",
		                (long long)id);
	sqlite3_finalize(s);
	return rc;
}

int mg_outbox_claim(mg_store *st, int64_t now_ms, size_t max,
                    mg_outbox_item **out, size_t *n_out, mg_err *err)
{
	sqlite3_stmt *sel = NULL, *upd = NULL;
	mg_outbox_item *items = NULL;
	size_t n = 0, i;
	int rc, error;

	*out = NULL;
	*n_out = 0;
	if (max == 0)
		return 0;
	items = calloc(max, sizeof(*items));
	if (items == NULL)
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	error = mg_store_begin(st, err);
	if (error < 0)
		goto fail;
	error = mg_store__prepare(
	        st, &sel,
	        "SELECT " ITEM_COLUMNS " FROM outbox WHERE state = 'pending' "
	        "AND next_attempt_at <= ?1 ORDER BY id LIMIT ?2",
	        err);
	if (error < 0)
		goto rollback;
	sqlite3_bind_int64(sel, 1, now_ms);
	sqlite3_bind_int64(sel, 2, (sqlite3_int64)max);
	while ((rc = mg_store__step(st, sel, err)) == SQLITE_ROW) {
		error = read_item(sel, &items[n], err);
		if (error < 0)
			goto rollback;
		n++;
	}
	if (rc < 0) {
		error = rc;
		goto rollback;
	}
	error = mg_store__prepare(st, &upd,
	                          "UPDATE outbox SET attempts = attempts + 1, "
	                          "next_attempt_at = ?1 WHERE id = ?2",
	                          err);
	if (error < 0)
		goto rollback;
	for (i = 0; i < n; i++) {
		sqlite3_reset(upd);
		sqlite3_bind_int64(upd, 1, now_ms + MG_OUTBOX_LEASE_MS);
		sqlite3_bind_int64(upd, 2, items[i].id);
		error = mg_store__exec_stmt(st, upd, err);
		if (error < 0)
			goto rollback;
		items[i].attempts++;
		items[i].next_attempt_at = now_ms + MG_OUTBOX_LEASE_MS;
	}
	error = mg_store_commit(st, err);
	if (error < 0)
		goto fail;
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	if (n == 0) {
		free(items);
		items = NULL;
	}
	*out = items;
	*n_out = n;
	return 0;

rollback:
	mg_store_rollback(st);
fail:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	mg_outbox_items_free(items, n);
	return error;
}

/*
 * Run one UPDATE of row ?1 with ?2 = a, ?3 = text, ?4 = b; a statement
 * may leave some of them out (binding an unused number is harmless).
 */
static int update_pending(mg_store *st, const char *sql, int64_t id, int64_t a,
                          const char *text, int64_t b, mg_err *err)
{
	sqlite3_stmt *s = NULL;
	char cut[MG_OUTBOX_MAX_ERROR + 1];
	int error;

	error = mg_store__prepare(st, &s, sql, err);
	if (error < 0)
		return error;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, a);
	if (text) {
		snprintf(cut, sizeof(cut), "%s", text);
		sqlite3_bind_text(s, 3, cut, -1, SQLITE_TRANSIENT);
	} else {
		sqlite3_bind_null(s, 3);
	}
	sqlite3_bind_int64(s, 4, b);
	error = mg_store__exec_stmt(st, s, err);
	sqlite3_finalize(s);
	return error;
}

int mg_outbox_mark_done(mg_store *st, int64_t id, int64_t now_ms, mg_err *err)
{
	return update_pending(st,
	                      "UPDATE outbox SET state = 'done', "
	                      "delivered_at = ?2, last_error = ?3 "
	                      "WHERE id = ?1 AND state = 'pending'",
	                      id, now_ms, NULL, 0, err);
}

int mg_outbox_reschedule(mg_store *st, int64_t id, int64_t next_at_ms,
                         const char *error, bool counted, mg_err *err)
{
	return update_pending(st,
	                      "UPDATE outbox SET next_attempt_at = ?2, "
	                      "last_error = ?3, "
	                      "attempts = max(attempts - ?4, 0) "
	                      "WHERE id = ?1 AND state = 'pending'",
	                      id, next_at_ms, error, counted ? 0 : 1, err);
}

int mg_outbox_fail(mg_store *st, int64_t id, const char *error, mg_err *err)
{
	return update_pending(st,
	                      "UPDATE outbox SET state = 'failed', "
	                      "last_error = ?3 "
	                      "WHERE id = ?1 AND state = 'pending'",
	                      id, 0, error ? error : "failed", 0, err);
}

/* ---- delivery ------------------------------------------------------------ */

static enum mg_github_conclusion conclusion_of(enum mg_forge_state s)
{
	switch (s) {
	case MG_FORGE_SUCCESS:
		return MG_GITHUB_CONCLUSION_SUCCESS;
	case MG_FORGE_FAILURE:
		return MG_GITHUB_CONCLUSION_FAILURE;
	case MG_FORGE_ERROR:
		/* memgate could not decide: say so without blocking merges */
		return MG_GITHUB_CONCLUSION_NEUTRAL;
	case MG_FORGE_PENDING:
		break;
	}
	return MG_GITHUB_CONCLUSION_NONE;
}

static int deliver_github(mg_github *gh, const mg_outbox_msg *m,
                          mg_forge_result *res, mg_err *err)
{
	mg_github_repo repo = {m->repo, m->installation_id};

	switch (m->kind) {
	case MG_OUTBOX_STATUS: {
		mg_github_status s = {m->state, m->description, m->context,
		                      m->target_url};

		return mg_github_create_status(gh, res, &repo, m->sha, &s, err);
	}
	case MG_OUTBOX_COMMENT:
		return mg_github_upsert_comment(gh, res, &repo, m->number,
		                                m->marker, m->body, err);
	case MG_OUTBOX_CHECK: {
		mg_github_check c = {0};

		c.name = m->context;
		c.head_sha = m->sha;
		c.conclusion = conclusion_of(m->state);
		c.status = c.conclusion == MG_GITHUB_CONCLUSION_NONE
		                   ? MG_GITHUB_CHECK_IN_PROGRESS
		                   : MG_GITHUB_CHECK_COMPLETED;
		c.title = m->description;
		c.summary = m->body;
		c.details_url = m->target_url;
		return mg_github_check_run(gh, res, &repo, &c, err);
	}
	}
	return mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
	                      "outbox: unknown kind");
}

static int deliver_gitlab(mg_gitlab *gl, const mg_outbox_msg *m,
                          mg_forge_result *res, mg_err *err)
{
	if (m->kind == MG_OUTBOX_STATUS) {
		mg_gitlab_status s = {m->state, m->description, m->context,
		                      m->target_url, m->ref};

		return mg_gitlab_create_status(gl, res, m->repo, m->sha, &s,
		                               err);
	}
	if (m->kind == MG_OUTBOX_COMMENT)
		return mg_gitlab_upsert_note(gl, res, m->repo, m->number,
		                             m->marker, m->body, err);
	return mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
	                      "outbox: GitLab has no check runs");
}

int mg_outbox_deliver(const mg_outbox_forges *forges,
                      const mg_outbox_item *item, mg_forge_result *res,
                      mg_err *err)
{
	struct msg_view v;
	int error;

	mg_forge_result_init(res);
	error = read_payload(&v, item->payload, err);
	if (error < 0) {
		mg_forge__fail(res, MG_FORGE_PERMANENT, error, NULL, "%s",
		               err ? err->msg : "unreadable payload");
		goto cleanup;
	}
	if (v.m.forge == MG_FORGE_GITHUB && forges->github)
		error = deliver_github(forges->github, &v.m, res, err);
	else if (v.m.forge == MG_FORGE_GITLAB && forges->gitlab)
		error = deliver_gitlab(forges->gitlab, &v.m, res, err);
	else
		error = mg_forge__fail(res, MG_FORGE_PERMANENT, MG_EINPUT, err,
		                       "outbox: no %s client configured",
		                       mg_forge_kind_name(v.m.forge));
cleanup:
	cJSON_Delete(v.root);
	return error;
}

/* The forge of a payload without reading the rest (for rate limits). */
static int forge_of(const mg_outbox_item *it)
{
	return strncmp(it->target, "gitlab:", 7) == 0 ? MG_FORGE_GITLAB
	                                              : MG_FORGE_GITHUB;
}

/* Decide the row's next state from one delivery's result. */
static int settle(mg_store *st, const mg_outbox_item *it,
                  const mg_forge_result *res, int64_t now_ms, mg_err *err)
{
	char msg[MG_OUTBOX_MAX_ERROR + 1];
	int64_t next;

	switch (res->outcome) {
	case MG_FORGE_OK:
		return mg_outbox_mark_done(st, it->id, now_ms, err);
	case MG_FORGE_RATE_LIMITED:
		snprintf(msg, sizeof(msg), "rate limited (%ld): %s",
		         res->status, res->message);
		return mg_outbox_reschedule(st, it->id, res->retry_at_ms, msg,
		                            false, err);
	case MG_FORGE_RETRY:
		if (it->attempts >= MG_OUTBOX_MAX_ATTEMPTS) {
			snprintf(msg, sizeof(msg),
			         "gave up after %d attempts: %ld %s",
			         it->attempts, res->status, res->message);
			return mg_outbox_fail(st, it->id, msg, err);
		}
		next = now_ms + mg_outbox_backoff_ms(it->attempts,
		                                     mg_forge__rand_unit());
		if (res->retry_at_ms > next)
			next = res->retry_at_ms;
		snprintf(msg, sizeof(msg), "%ld %s", res->status, res->message);
		return mg_outbox_reschedule(st, it->id, next, msg, true, err);
	case MG_FORGE_PERMANENT:
		break;
	}
	snprintf(msg, sizeof(msg), "%ld %s", res->status, res->message);
	return mg_outbox_fail(st, it->id, msg, err);
}

int mg_outbox_run_once(mg_store *st, const mg_outbox_forges *forges,
                       int64_t now_ms, mg_err *err)
{
	int64_t limited_until[MG_FORGE_GITLAB + 1] = {0};
	mg_outbox_item *items = NULL;
	mg_forge_result res;
	char msg[MG_FORGE_MSG_MAX + 32];
	size_t n = 0, i;
	int error, delivered = 0, f;

	error = mg_outbox_claim(st, now_ms, MG_OUTBOX_BATCH, &items, &n, err);
	if (error < 0)
		return error;
	for (i = 0; i < n; i++) {
		f = forge_of(&items[i]);
		if (limited_until[f]) {
			snprintf(msg, sizeof(msg),
			         "not tried: %s rate limit in force",
			         mg_forge_kind_name((enum mg_forge_kind)f));
			error = mg_outbox_reschedule(st, items[i].id,
			                             limited_until[f], msg,
			                             false, err);
			if (error < 0)
				goto cleanup;
			continue;
		}
		/* The forge's verdict is in res; err only for our store. */
		mg_outbox_deliver(forges, &items[i], &res, NULL);
		if (res.outcome == MG_FORGE_RATE_LIMITED)
			limited_until[f] = res.retry_at_ms;
		error = settle(st, &items[i], &res, now_ms, err);
		if (error < 0)
			goto cleanup;
		if (res.outcome == MG_FORGE_OK)
			delivered++;
	}
cleanup:
	mg_outbox_items_free(items, n);
	return error < 0 ? error : delivered;
}
