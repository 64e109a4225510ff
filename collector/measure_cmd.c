/*
 * measure_cmd.c - `memgate collect --measure` (see measure_cmd.h): run an
 * arbitrary command N times as a measured process tree, optionally under
 * massif, with a heap profile scraper thread beside it.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "httpc.h"
#include "log.h"
#include "massif.h"
#include "measure_cmd.h"
#include "pprof.h"
#include "proc.h"

/* ---- the heap profile scraper ---- */

struct scraper {
	const char *url;
	int64_t interval_ms;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;          /* under mu */
	mg_buf peak;        /* raw profile with the largest inuse_space */
	int64_t peak_inuse; /* its inuse_space, -1 before the first */
	mg_buf last;        /* the last profile that parsed */
	size_t fetches;     /* attempts */
	size_t good;        /* profiles that parsed */
	mg_err last_err;    /* why the last attempt failed */
};

/* inuse_space of a raw heap profile, or a negative MG_E* code. */
static int fetch_one(struct scraper *s, mg_httpc *h, int64_t *inuse,
                     mg_httpc_resp *resp)
{
	mg_httpc_req req;
	mg_pprof *p = NULL;
	size_t idx;
	int error;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = s->url;
	req.timeout_ms = MG_MEASURE_PPROF_TIMEOUT_MS;
	req.max_response = MG_MEASURE_PPROF_MAX;
	error = mg_httpc_do(h, resp, &req, &s->last_err);
	if (error < 0)
		return error;
	if (resp->status != 200)
		return mg_err_set(&s->last_err, MG_EUPSTREAM,
		                  "GET %s: HTTP status %ld", s->url,
		                  resp->status);
	error = mg_pprof_parse(&p, resp->body.ptr, resp->body.len, NULL, s->url,
	                       &s->last_err);
	if (error < 0)
		return error;
	error = mg_pprof_sample_index(&idx, p, "inuse_space", &s->last_err);
	if (error == 0)
		*inuse = mg_pprof_sum(p, idx);
	mg_pprof_free(p);
	return error;
}

static void *scrape(void *arg)
{
	struct scraper *s = arg;
	mg_httpc *h = NULL;
	mg_httpc_resp resp;
	struct timespec next;
	bool stop = false;

	mg_httpc_resp_init(&resp);
	if (mg_httpc_new(&h, &s->last_err) < 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!stop) {
		int64_t inuse = 0;

		s->fetches++;
		if (fetch_one(s, h, &inuse, &resp) == 0) {
			s->good++;
			mg_buf_reset(&s->last);
			if (mg_buf_put(&s->last, resp.body.ptr, resp.body.len) <
			    0)
				mg_buf_reset(&s->last);
			if (inuse > s->peak_inuse && s->last.len > 0) {
				mg_buf_reset(&s->peak);
				if (mg_buf_put(&s->peak, resp.body.ptr,
				               resp.body.len) == 0)
					s->peak_inuse = inuse;
			}
		}
		next.tv_sec += s->interval_ms / 1000;
		next.tv_nsec += (s->interval_ms % 1000) * 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		pthread_mutex_lock(&s->mu);
		while (!s->stop &&
		       pthread_cond_timedwait(&s->cv, &s->mu, &next) == 0)
			;
		stop = s->stop;
		pthread_mutex_unlock(&s->mu);
		/* After a slow fetch, start the next interval from now. */
		{
			struct timespec now;

			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > next.tv_sec)
				next = now;
		}
	}
	mg_httpc_resp_release(&resp);
	mg_httpc_free(h);
	return NULL;
}

static int scraper_start(struct scraper *s, mg_err *err)
{
	pthread_condattr_t ca;

	s->stop = false;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&s->mu, NULL);
	if (pthread_create(&s->thread, NULL, scrape, s) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		return mg_err_set(err, MG_EIO,
		                  "cannot start the profile scraper thread");
	}
	return 0;
}

static void scraper_stop(struct scraper *s)
{
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
}

/* Store a raw heap profile with its aggregates as a profile of `kind`. */
static int add_pprof(mg_run *run, const char *kind, const mg_buf *raw,
                     const char *url, mg_err *err)
{
	mg_pprof *p = NULL;
	size_t idx;
	int error;

	error = mg_pprof_parse(&p, raw->ptr, raw->len, NULL, url, err);
	if (error < 0)
		return error;
	error = mg_run_add_profile(run, &idx, kind, "",
	                           (const unsigned char *)raw->ptr, raw->len);
	if (error < 0)
		error = mg_err_set(err, error, "cannot keep the %s profile",
		                   kind);
	else
		error = mg_pprof_to_run(&run->profiles[idx], p, err);
	mg_pprof_free(p);
	return error;
}

/* ---- massif ---- */

/*
 * Of the massif files of repetition rep in tmp (one per traced process),
 * keep the one with the largest peak total: *best and its raw bytes.
 */
static int pick_massif(mg_massif **best, mg_buf *raw, const char *tmp, int rep,
                       mg_err *err)
{
	char prefix[32], path[4096];
	DIR *d = opendir(tmp);
	struct dirent *e;
	size_t nfiles = 0;
	int error = 0;

	*best = NULL;
	if (d == NULL)
		return mg_err_set(err, MG_EIO, "cannot list '%s'", tmp);
	snprintf(prefix, sizeof(prefix), "massif.%d.", rep);
	while (error == 0 && (e = readdir(d)) != NULL) {
		mg_buf data = MG_BUF_INIT(MG_MASSIF_MAX_INPUT);
		mg_massif *m = NULL;

		if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
			continue;
		if (++nfiles > MG_MEASURE_MAX_MASSIF_FILES) {
			error = mg_err_set(err, MG_ELIMIT,
			                   "more than %d massif files",
			                   MG_MEASURE_MAX_MASSIF_FILES);
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", tmp, e->d_name);
		error = mg_read_file(&data, path, err);
		if (error == 0)
			error = mg_massif_parse(&m, data.ptr, data.len, path,
			                        err);
		if (error == 0 &&
		    (*best == NULL ||
		     mg_massif_peak_total(m) > mg_massif_peak_total(*best))) {
			mg_massif_free(*best);
			*best = m;
			m = NULL;
			mg_buf_release(raw);
			*raw = data;
			mg_buf_init(&data, MG_MASSIF_MAX_INPUT);
		}
		mg_massif_free(m);
		mg_buf_release(&data);
	}
	closedir(d);
	if (error == 0 && *best == NULL)
		error = mg_err_set(err, MG_EIO,
		                   "valgrind wrote no massif file (is the "
		                   "command found?)");
	if (error < 0) {
		mg_massif_free(*best);
		*best = NULL;
	}
	return error;
}

/* ---- the command ---- */

static int fail_run(mg_run *run, int status, const char *reason,
                    const char *tail, mg_err *err)
{
	mg_buf log = MG_BUF_INIT(MG_RUN_MAX_STR);

	run->status = MG_RUN_FAILED;
	run->exit_status = status;
	mg_buf_printf(&log, "memgate: %s\n", reason);
	if (tail != NULL) {
		size_t len = strlen(tail), room = MG_RUN_MAX_STR - log.len;

		/* The end of the output: that is where errors are. */
		mg_buf_puts(&log, len > room ? tail + len - room : tail);
	}
	if (mg_run_set_str(&run->log_tail, log.ptr) < 0) {
		mg_buf_release(&log);
		return mg_err_set(err, MG_ENOMEM, "out of memory");
	}
	mg_buf_release(&log);
	return 0;
}

static int add_samples(mg_run *run, size_t bench, const mg_proc_result *res,
                       int64_t seq, mg_err *err)
{
	const struct {
		const char *unit;
		double value;
	} s[] = {
	        {"wall-ns", (double)res->wall_ns},
	        {"user-ns", (double)res->user_ns},
	        {"sys-ns", (double)res->sys_ns},
	        {"peak-rss-B", (double)res->peak_rss_tree},
	        {"exit-status", (double)res->status},
	};
	size_t i;

	for (i = 0; i < sizeof(s) / sizeof(s[0]); i++)
		if (mg_run_add_sample(run, bench, s[i].unit, s[i].value, 1,
		                      seq) < 0)
			return mg_err_set(err, MG_ENOMEM, "out of memory");
	return 0;
}

const char mg_measure_cmd_usage[] =
        "\nMeasuring any command (instead of Go benchmarks):\n"
        "  --measure CMD         measure any command (shell) instead of Go\n"
        "                        benchmarks: wall-ns, user-ns, sys-ns, "
        "peak-rss-B\n"
        "                        (whole process tree) and exit-status per\n"
        "                        repetition\n"
        "  --repeat N            repetitions of --measure (default 1)\n"
        "  --name NAME           benchmark name for --measure (default: "
        "CMD)\n"
        "  --massif              run CMD under valgrind --tool=massif; adds\n"
        "                        peak-heap-B, peak-total-B and the "
        "allocation\n"
        "                        sites at the peak\n"
        "  --pprof-url URL       while CMD runs, fetch Go heap profiles from "
        "URL;\n"
        "                        stores the largest (inuse_space) and the "
        "last\n"
        "  --pprof-interval S    seconds between fetches (default 1)\n";

int mg_measure_cmd_option(mg_measure_opts *mo, int opt, const char *arg,
                          mg_err *err)
{
	char *end = NULL;
	double v;

	switch (opt) {
	case MG_MEASURE_OPT_MEASURE:
		if (arg[0] == '\0')
			return mg_err_set(err, MG_EINPUT,
			                  "--measure: empty command");
		mo->measure = true;
		mo->bench_cmd = arg;
		return 0;
	case MG_MEASURE_OPT_NAME:
		if (arg[0] == '\0')
			return mg_err_set(err, MG_EINPUT, "--name: empty");
		mo->measure_name = arg;
		return 0;
	case MG_MEASURE_OPT_MASSIF:
		mo->massif = true;
		return 0;
	case MG_MEASURE_OPT_PPROF_URL:
		mo->pprof_url = arg;
		return 0;
	default:
		break;
	}
	errno = 0;
	v = strtod(arg, &end);
	if (opt == MG_MEASURE_OPT_REPEAT) {
		if (errno != 0 || end == arg || *end != '\0' || v < 1 ||
		    v > MG_MEASURE_MAX_REPEAT || v != (double)(int)v)
			return mg_err_set(
			        err, MG_EINPUT,
			        "--repeat: expected an integer from 1 "
			        "to %d, got '%s'",
			        MG_MEASURE_MAX_REPEAT, arg);
		mo->repeat = (int)v;
		return 0;
	}
	/* A fetch every 10 ms to every day. */
	if (errno != 0 || end == arg || *end != '\0' || !(v >= 0.01) ||
	    v > 86400)
		return mg_err_set(
		        err, MG_EINPUT,
		        "--pprof-interval: expected seconds from 0.01 "
		        "to 86400, got '%s'",
		        arg);
	mo->pprof_interval_ms = (int64_t)(v * 1000);
	return 0;
}

int mg_measure_command(mg_run *run, const char *dir, const mg_measure_opts *o,
                       mg_err *err)
{
	const char *cmd = o->bench_cmd;
	const char *name = o->measure_name ? o->measure_name : cmd;
	int repeat = o->repeat > 0 ? o->repeat : 1;
	struct scraper sc;
	mg_buf tmpdir = MG_BUF_INIT(4096), outfile = MG_BUF_INIT(8192);
	mg_buf best_raw = MG_BUF_INIT(MG_MASSIF_MAX_INPUT);
	mg_massif *best = NULL;
	mg_proc_result res;
	mg_proc_opts po;
	const char *argv[8];
	size_t bench;
	int rep, error = 0;
	bool curl_init = false;

	memset(&sc, 0, sizeof(sc));
	mg_buf_init(&sc.peak, MG_MEASURE_PPROF_MAX);
	mg_buf_init(&sc.last, MG_MEASURE_PPROF_MAX);
	sc.peak_inuse = -1;
	sc.url = o->pprof_url;
	sc.interval_ms = o->pprof_interval_ms > 0
	                         ? o->pprof_interval_ms
	                         : MG_MEASURE_PPROF_INTERVAL_MS;
	mg_proc_result_init(&res);
	if (!o->measure) {
		error = mg_err_set(err, MG_EINPUT,
		                   "--repeat, --name, --massif and --pprof-url "
		                   "need --measure");
		goto cleanup;
	}
	if (o->go_profiles) {
		error = mg_err_set(err, MG_EINPUT,
		                   "--measure and --go-profiles exclude each "
		                   "other");
		goto cleanup;
	}
	if (cmd == NULL || name == NULL || name[0] == '\0') {
		error = mg_err_set(err, MG_EINPUT, "--measure: empty command");
		goto cleanup;
	}
	error = mg_run_add_bench(run, &bench, name, "", 0, NULL, 0);
	if (error < 0) {
		mg_err_set(err, error, "cannot add benchmark '%s'", name);
		goto cleanup;
	}
	if (o->massif) {
		if (mg_buf_printf(&tmpdir, "%s/memgate-massif.XXXXXX",
		                  getenv("TMPDIR") ? getenv("TMPDIR")
		                                   : "/tmp") < 0 ||
		    mkdtemp(tmpdir.ptr) == NULL) {
			error = mg_err_set(err, MG_EIO,
			                   "cannot create a temp dir: %s",
			                   strerror(errno));
			mg_buf_release(&tmpdir);
			goto cleanup;
		}
	}
	if (o->pprof_url != NULL) {
		/* Before any thread: libcurl's global set-up is not safe. */
		error = mg_httpc_global_init(err);
		if (error < 0)
			goto cleanup;
		curl_init = true;
	}
	for (rep = 0; rep < repeat; rep++) {
		char reason[512];

		memset(&po, 0, sizeof(po));
		po.shell = cmd;
		po.dir = dir;
		po.timeout_ms = o->timeout_ms;
		po.cancel = o->cancel;
		po.flags = o->tee ? MG_PROC_TEE : 0;
		if (o->massif) {
			mg_buf_reset(&outfile);
			if (mg_buf_printf(&outfile,
			                  "--massif-out-file=%s/massif.%d.%%p",
			                  tmpdir.ptr, rep) < 0) {
				error = mg_err_set(err, MG_ENOMEM,
				                   "out of memory");
				goto cleanup;
			}
			argv[0] = "valgrind";
			argv[1] = "--tool=massif";
			argv[2] = "--trace-children=yes";
			argv[3] = outfile.ptr;
			argv[4] = "/bin/sh";
			argv[5] = "-c";
			argv[6] = cmd;
			argv[7] = NULL;
			po.argv = argv;
		}
		if (o->pprof_url != NULL) {
			error = scraper_start(&sc, err);
			if (error < 0)
				goto cleanup;
		}
		error = mg_proc_run(&res, &po, err);
		if (o->pprof_url != NULL)
			scraper_stop(&sc);
		if (error == MG_ENOTFOUND && o->massif)
			mg_err_set(err, error,
			           "--massif: valgrind is not installed");
		if (error < 0)
			goto cleanup;
		if (res.cancelled) {
			error = mg_err_set(err, MG_ECONFLICT, "interrupted");
			goto cleanup;
		}
		run->wall_ns += res.wall_ns;
		if (res.peak_rss_tree > run->peak_rss)
			run->peak_rss = res.peak_rss_tree;
		error = add_samples(run, bench, &res, rep, err);
		if (error < 0)
			goto cleanup;
		if (res.timed_out || res.status != 0) {
			if (res.timed_out)
				snprintf(reason, sizeof(reason),
				         "measured command timed out after "
				         "%lld ms: %.200s",
				         (long long)o->timeout_ms, cmd);
			else
				snprintf(reason, sizeof(reason),
				         "measured command failed with status "
				         "%d: %.200s",
				         res.status, cmd);
			error = fail_run(run, res.status ? res.status : 124,
			                 reason, res.tail, err);
			break;
		}
		if (o->massif) {
			mg_massif *m = NULL;
			mg_buf raw = MG_BUF_INIT(MG_MASSIF_MAX_INPUT);

			error = pick_massif(&m, &raw, tmpdir.ptr, rep, err);
			if (error == 0)
				error = mg_massif_add_to_run(run, m, name, rep,
				                             NULL, 0, err);
			if (error == 0 &&
			    (best == NULL ||
			     mg_massif_peak_total(m) >
			             mg_massif_peak_total(best))) {
				mg_massif_free(best);
				best = m;
				m = NULL;
				mg_buf_release(&best_raw);
				best_raw = raw;
				mg_buf_init(&raw, MG_MASSIF_MAX_INPUT);
			}
			mg_massif_free(m);
			mg_buf_release(&raw);
			if (error < 0)
				goto cleanup;
		}
	}
	if (error == 0 && best != NULL) {
		size_t pi;

		error = mg_run_add_profile(run, &pi, MG_MASSIF_KIND, "",
		                           (const unsigned char *)best_raw.ptr,
		                           best_raw.len);
		if (error < 0)
			error = mg_err_set(err, error, "out of memory");
		else
			error = mg_massif_to_profile(&run->profiles[pi], best,
			                             err);
	}
	if (error == 0 && o->pprof_url != NULL) {
		if (sc.good == 0)
			mg_log(MG_LOG_WARN, "collect",
			       "--pprof-url %s gave no heap profile in %zu "
			       "attempts: %s",
			       o->pprof_url, sc.fetches, sc.last_err.msg);
		if (sc.peak.len > 0)
			error = add_pprof(run, "heap-peak", &sc.peak,
			                  o->pprof_url, err);
		if (error == 0 && sc.last.len > 0)
			error = add_pprof(run, "heap-last", &sc.last,
			                  o->pprof_url, err);
	}

cleanup:
	if (tmpdir.len > 0)
		mg_rmtree(tmpdir.ptr);
	if (curl_init)
		mg_httpc_global_cleanup();
	mg_massif_free(best);
	mg_buf_release(&best_raw);
	mg_buf_release(&tmpdir);
	mg_buf_release(&outfile);
	mg_buf_release(&sc.peak);
	mg_buf_release(&sc.last);
	mg_proc_result_release(&res);
	return error;
}
