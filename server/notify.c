/*
 * notify.c - the delivery thread of memgate-server: sends the outbox's
 * due deliveries (lib/outbox.h) to GitHub or GitLab.
 *
 * The thread has its own database connection: a delivery waits on the
 * network for up to MG_FORGE_TIMEOUT_MS per request, and holding the
 * shared writer meanwhile would stall every upload. Its writes (claim,
 * done, reschedule) are one-row transactions that WAL serialises with the
 * writer's.
 *
 * Deliveries are claimed one at a time rather than through
 * mg_outbox_run_once's batch of MG_OUTBOX_BATCH: a claim leases the row
 * for MG_OUTBOX_LEASE_MS (15 minutes), so a shutdown between the items of
 * a claimed batch would leave the rest invisible to the next process for
 * that long. One at a time, a SIGTERM only waits for the delivery in
 * flight, and everything else stays due for the restarted server. The
 * outcome is handled as mg_outbox_run_once does: done, rescheduled with
 * backoff (or at the forge's retry time), or failed for good.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "log.h"
#include "notify.h"
#include "outbox.h"

/* The App private key file: a PEM is a few KB. */
#define MG_NOTIFY_MAX_KEY_FILE MG_GITHUB_MAX_KEY_PEM

static struct {
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool kicked;
	volatile sig_atomic_t stop;
	mg_store *st;
	mg_outbox_forges forges;
} nt = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double jitter(void)
{
	uint32_t x = 0;

	if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != (ssize_t)sizeof(x))
		x = (uint32_t)now_ms();
	return (double)x / 4294967296.0;
}

static int read_key(char **out, const char *path, mg_err *err)
{
	mg_buf b = MG_BUF_INIT(MG_NOTIFY_MAX_KEY_FILE);
	char chunk[4096];
	FILE *f = fopen(path, "rb");
	size_t n;
	int error = 0;

	if (f == NULL)
		return mg_err_set(err, MG_EIO, "'%s': cannot open: %s", path,
		                  strerror(errno));
	while (error == 0 && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		error = mg_buf_put(&b, chunk, n);
	if (error == 0 && ferror(f))
		error = mg_err_set(err, MG_EIO, "'%s': read error", path);
	else if (error == MG_ELIMIT)
		error = mg_err_set(err, MG_ELIMIT,
		                   "'%s': larger than %zu bytes", path,
		                   (size_t)MG_NOTIFY_MAX_KEY_FILE);
	else if (error < 0)
		error = mg_err_set(err, error, "out of memory");
	fclose(f);
	if (error == 0)
		*out = mg_buf_detach(&b);
	mg_buf_release(&b);
	return error;
}

static void policy_init(mg_forge_policy *p)
{
	memset(p, 0, sizeof(*p));
	p->attempts = MG_NOTIFY_ATTEMPTS;
	p->base_ms = MG_NOTIFY_BASE_MS;
	p->max_wait_ms = 0; /* rate limits: rescheduled, never slept */
	p->cancel = &nt.stop;
}

static int make_forges(const mg_srv_config *cfg, mg_err *err)
{
	char *pem = NULL;
	int error = 0;

	if (cfg->github_token ||
	    (cfg->github_app_id && cfg->github_app_private_key)) {
		mg_github_config gc;

		memset(&gc, 0, sizeof(gc));
		gc.api_url = cfg->github_api_url;
		policy_init(&gc.policy);
		if (cfg->github_app_id && cfg->github_app_private_key) {
			error = read_key(&pem, cfg->github_app_private_key,
			                 err);
			gc.app_id = cfg->github_app_id;
			gc.app_key_pem = pem;
			gc.installation_id = cfg->github_installation_id;
		} else {
			gc.token = cfg->github_token;
		}
		if (error == 0)
			error = mg_github_new(&nt.forges.github, &gc, err);
		if (pem) {
			/* the client keeps its own copy of the key */
			memset(pem, 0, strlen(pem));
			free(pem);
		}
		if (error < 0)
			return error;
	}
	if (cfg->gitlab_url && cfg->gitlab_token) {
		mg_gitlab_config lc;

		memset(&lc, 0, sizeof(lc));
		lc.api_url = cfg->gitlab_url;
		lc.token = cfg->gitlab_token;
		policy_init(&lc.policy);
		error = mg_gitlab_new(&nt.forges.gitlab, &lc, err);
	}
	return error;
}

/* Deliver one due item; false when there was none (or the store failed). */
static bool deliver_one(void)
{
	mg_err err = MG_ERR_INIT;
	mg_outbox_item *items = NULL;
	mg_forge_result res;
	size_t n = 0;
	int64_t t = now_ms(), next;
	int error;

	error = mg_outbox_claim(nt.st, t, 1, &items, &n, &err);
	if (error < 0) {
		mg_log(MG_LOG_WARN, "notify", "claim: %s", err.msg);
		return false;
	}
	if (n == 0)
		return false;
	mg_forge_result_init(&res);
	error = mg_outbox_deliver(&nt.forges, &items[0], &res, &err);
	t = now_ms();
	if (error < 0 && res.outcome == MG_FORGE_OK)
		res.outcome = MG_FORGE_PERMANENT;
	if (error < 0 && res.message[0] == '\0')
		snprintf(res.message, sizeof(res.message), "%.199s", err.msg);
	switch (res.outcome) {
	case MG_FORGE_OK:
		error = mg_outbox_mark_done(nt.st, items[0].id, t, &err);
		mg_log(MG_LOG_INFO, "notify", "%s %lld to %s: delivered",
		       mg_outbox_kind_name(items[0].kind),
		       (long long)items[0].id, items[0].target);
		break;
	case MG_FORGE_RATE_LIMITED:
		error = mg_outbox_reschedule(nt.st, items[0].id,
		                             res.retry_at_ms, res.message,
		                             false, &err);
		mg_log(MG_LOG_WARN, "notify",
		       "%s %lld: rate limited for %lld s",
		       mg_outbox_kind_name(items[0].kind),
		       (long long)items[0].id,
		       (long long)((res.retry_at_ms - t) / 1000));
		break;
	case MG_FORGE_RETRY:
		if (items[0].attempts >= MG_OUTBOX_MAX_ATTEMPTS) {
			error = mg_outbox_fail(nt.st, items[0].id, res.message,
			                       &err);
			break;
		}
		next = t + mg_outbox_backoff_ms(items[0].attempts, jitter());
		if (res.retry_at_ms > next)
			next = res.retry_at_ms;
		error = mg_outbox_reschedule(nt.st, items[0].id, next,
		                             res.message, true, &err);
		mg_log(MG_LOG_WARN, "notify",
		       "%s %lld to %s: %s; retry in %lld s",
		       mg_outbox_kind_name(items[0].kind),
		       (long long)items[0].id, items[0].target, res.message,
		       (long long)((next - t) / 1000));
		break;
	case MG_FORGE_PERMANENT:
		error = mg_outbox_fail(nt.st, items[0].id, res.message, &err);
		mg_log(MG_LOG_WARN, "notify", "%s %lld to %s: failed: %s",
		       mg_outbox_kind_name(items[0].kind),
		       (long long)items[0].id, items[0].target, res.message);
		break;
	}
	if (error < 0)
		mg_log(MG_LOG_WARN, "notify", "outbox %lld: %s",
		       (long long)items[0].id, err.msg);
	mg_outbox_items_free(items, n);
	return error == 0;
}

static void *loop(void *arg)
{
	struct timespec until;

	(void)arg;
	while (!nt.stop) {
		while (!nt.stop && deliver_one())
			;
		pthread_mutex_lock(&nt.lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += MG_NOTIFY_INTERVAL_MS / 1000;
		until.tv_nsec += (long)(MG_NOTIFY_INTERVAL_MS % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!nt.stop && !nt.kicked)
			if (pthread_cond_timedwait(&nt.cond, &nt.lock,
			                           &until) != 0)
				break;
		nt.kicked = false;
		pthread_mutex_unlock(&nt.lock);
	}
	return NULL;
}

int mg_notify_start(mg_srv *srv, mg_err *err)
{
	int error;

	error = mg_notify_check_config(srv->cfg, err);
	if (error == 0)
		error = make_forges(srv->cfg, err);
	if (error == 0 && nt.forges.github == NULL && nt.forges.gitlab == NULL)
		return 0; /* nothing to deliver to: no thread */
	if (error == 0)
		error = mg_store_open(&nt.st, srv->cfg->db,
		                      srv->cfg->sync == MG_CFG_SYNC_FULL
		                              ? MG_STORE_SYNC_FULL
		                              : 0,
		                      err);
	if (error == 0 && pthread_create(&nt.thread, NULL, loop, NULL) != 0)
		error = mg_err_set(err, MG_ENOMEM,
		                   "cannot start the delivery thread");
	if (error < 0) {
		mg_store_close(nt.st);
		nt.st = NULL;
		mg_github_free(nt.forges.github);
		mg_gitlab_free(nt.forges.gitlab);
		memset(&nt.forges, 0, sizeof(nt.forges));
		return error;
	}
	nt.running = true;
	mg_log(MG_LOG_INFO, "notify", "delivering verdicts to %s%s%s",
	       nt.forges.github ? "GitHub" : "",
	       nt.forges.github && nt.forges.gitlab ? " and " : "",
	       nt.forges.gitlab ? "GitLab" : "");
	return 0;
}

void mg_notify_kick(void)
{
	pthread_mutex_lock(&nt.lock);
	nt.kicked = true;
	pthread_cond_signal(&nt.cond);
	pthread_mutex_unlock(&nt.lock);
}

void mg_notify_stop(void)
{
	if (!nt.running)
		return;
	pthread_mutex_lock(&nt.lock);
	nt.stop = 1;
	pthread_cond_signal(&nt.cond);
	pthread_mutex_unlock(&nt.lock);
	pthread_join(nt.thread, NULL);
	nt.running = false;
	mg_store_close(nt.st);
	nt.st = NULL;
	mg_github_free(nt.forges.github);
	mg_gitlab_free(nt.forges.gitlab);
	memset(&nt.forges, 0, sizeof(nt.forges));
}
