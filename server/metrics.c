/*
 * metrics.c - counters and the Prometheus text exposition (metrics.h).
 * Request counters are indexed by route and status code; both are small
 * ranges, so a fixed array of atomics needs no lock and no allocation.
 */
#include <stdatomic.h>
#include <unistd.h>

#include "http.h"
#include "metrics.h"
#include "server.h"

/* Status codes 100..599 are counted exactly. */
#define STATUS_MIN 100
#define STATUS_N 500

/* Route index + 1; slot 0 counts requests that matched no route. */
static atomic_uint_fast64_t requests[MG_METRICS_MAX_ROUTES + 1][STATUS_N];
/* Requests that ended before an answer was queued (client went away). */
static atomic_uint_fast64_t unanswered;

/*
 * Ingest latency buckets in seconds: a run is stored in milliseconds to
 * a few hundred; the top buckets catch uploads of huge runs or slow
 * clients.
 */
static const double ingest_le[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                   0.5,   1,    2.5,   5,    10};
#define NBUCKETS (sizeof(ingest_le) / sizeof(ingest_le[0]))
static atomic_uint_fast64_t ingest_bucket[NBUCKETS];
static atomic_uint_fast64_t ingest_count;
static atomic_uint_fast64_t ingest_sum_us; /* microseconds */
static atomic_uint_fast64_t ingest_new, ingest_replayed;
static atomic_uint_fast64_t busy_rejections;

void mg_metrics_request(int route, int status)
{
	if (route >= MG_METRICS_MAX_ROUTES)
		route = -1;
	if (status < STATUS_MIN || status >= STATUS_MIN + STATUS_N) {
		atomic_fetch_add(&unanswered, 1);
		return;
	}
	atomic_fetch_add(&requests[route + 1][status - STATUS_MIN], 1);
}

void mg_metrics_ingest(double seconds, bool replayed)
{
	size_t i;

	for (i = 0; i < NBUCKETS; i++)
		if (seconds <= ingest_le[i])
			atomic_fetch_add(&ingest_bucket[i], 1);
	atomic_fetch_add(&ingest_count, 1);
	atomic_fetch_add(&ingest_sum_us, (uint_fast64_t)(seconds * 1e6));
	atomic_fetch_add(replayed ? &ingest_replayed : &ingest_new, 1);
}

void mg_metrics_busy(void)
{
	atomic_fetch_add(&busy_rejections, 1);
}

static int64_t rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f == NULL)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return (int64_t)rss * sysconf(_SC_PAGESIZE);
}

static int help(mg_buf *out, const char *name, const char *type,
                const char *text)
{
	return mg_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text,
	                     name, type);
}

static int render_requests(mg_buf *out)
{
	size_t rt, s;
	int error;

	error = help(out, "memgate_http_requests_total", "counter",
	             "HTTP requests answered, by route, method and status.");
	for (rt = 0; rt <= MG_METRICS_MAX_ROUTES && error == 0; rt++) {
		const mg_route *route = rt ? &mg_routes[rt - 1] : NULL;

		if (rt > mg_nroutes)
			break;
		for (s = 0; s < STATUS_N && error == 0; s++) {
			uint_fast64_t v = atomic_load(&requests[rt][s]);

			if (v == 0)
				continue;
			error = mg_buf_printf(
			        out,
			        "memgate_http_requests_total{route=\"%s\","
			        "method=\"%s\",code=\"%zu\"} %llu\n",
			        route ? route->pattern : "unmatched",
			        route ? route->method : "", s + STATUS_MIN,
			        (unsigned long long)v);
		}
	}
	if (error == 0)
		error = help(out, "memgate_http_requests_unanswered_total",
		             "counter",
		             "Requests that ended before an answer (client "
		             "gone, timeout).");
	if (error == 0)
		error = mg_buf_printf(
		        out,
		        "memgate_http_requests_unanswered_total "
		        "%llu\n",
		        (unsigned long long)atomic_load(&unanswered));
	return error;
}

static int render_ingest(mg_buf *out)
{
	size_t i;
	int error;

	error = help(out, "memgate_ingest_duration_seconds", "histogram",
	             "Time from request start to answer of stored uploads.");
	for (i = 0; i < NBUCKETS && error == 0; i++)
		error = mg_buf_printf(
		        out,
		        "memgate_ingest_duration_seconds_bucket{le=\"%g\"} "
		        "%llu\n",
		        ingest_le[i],
		        (unsigned long long)atomic_load(&ingest_bucket[i]));
	if (error == 0)
		error = mg_buf_printf(
		        out,
		        "memgate_ingest_duration_seconds_bucket{le=\"+Inf\"} "
		        "%llu\nmemgate_ingest_duration_seconds_sum %.6f\n"
		        "memgate_ingest_duration_seconds_count %llu\n",
		        (unsigned long long)atomic_load(&ingest_count),
		        (double)atomic_load(&ingest_sum_us) / 1e6,
		        (unsigned long long)atomic_load(&ingest_count));
	if (error == 0)
		error = help(out, "memgate_runs_ingested_total", "counter",
		             "Uploads answered 2xx since start; replayed = "
		             "an Idempotency-Key seen before.");
	if (error == 0)
		error = mg_buf_printf(
		        out,
		        "memgate_runs_ingested_total{result=\"created\"} %llu\n"
		        "memgate_runs_ingested_total{result=\"replayed\"} "
		        "%llu\n",
		        (unsigned long long)atomic_load(&ingest_new),
		        (unsigned long long)atomic_load(&ingest_replayed));
	if (error == 0)
		error = help(out, "memgate_busy_rejections_total", "counter",
		             "Uploads answered 503 because the writer was "
		             "saturated.");
	if (error == 0)
		error = mg_buf_printf(
		        out, "memgate_busy_rejections_total %llu\n",
		        (unsigned long long)atomic_load(&busy_rejections));
	return error;
}

int mg_metrics_render(mg_buf *out, mg_srv *srv, mg_store *reader, mg_err *err)
{
	mg_store_stats s;
	int error;

	error = mg_store_stats_get(reader, &s, err);
	if (error < 0)
		return error;
	error = render_requests(out);
	if (error == 0)
		error = render_ingest(out);
	if (error == 0)
		error = mg_buf_printf(
		        out,
		        "# HELP memgate_runs_stored Runs in the database.\n"
		        "# TYPE memgate_runs_stored gauge\n"
		        "memgate_runs_stored %lld\n"
		        "# HELP memgate_projects Projects in the database.\n"
		        "# TYPE memgate_projects gauge\n"
		        "memgate_projects %lld\n"
		        "# HELP memgate_db_size_bytes Size of the database "
		        "file (pages in use).\n"
		        "# TYPE memgate_db_size_bytes gauge\n"
		        "memgate_db_size_bytes %lld\n"
		        "# HELP memgate_db_wal_bytes Size of the write-ahead "
		        "log file.\n"
		        "# TYPE memgate_db_wal_bytes gauge\n"
		        "memgate_db_wal_bytes %lld\n"
		        "# HELP memgate_outbox_pending Notifications waiting "
		        "for delivery.\n"
		        "# TYPE memgate_outbox_pending gauge\n"
		        "memgate_outbox_pending %lld\n"
		        "# HELP memgate_http_requests_in_flight Requests being "
		        "handled.\n"
		        "# TYPE memgate_http_requests_in_flight gauge\n"
		        "memgate_http_requests_in_flight %d\n"
		        "# HELP memgate_write_queue_depth Uploads waiting for "
		        "the database writer.\n"
		        "# TYPE memgate_write_queue_depth gauge\n"
		        "memgate_write_queue_depth %ld\n"
		        "# HELP memgate_uploads_parsing Uploads received and "
		        "being parsed, not yet queued for the writer.\n"
		        "# TYPE memgate_uploads_parsing gauge\n"
		        "memgate_uploads_parsing %d\n"
		        "# HELP memgate_history_pending_runs Stored runs whose "
		        "history points are not written yet.\n"
		        "# TYPE memgate_history_pending_runs gauge\n"
		        "memgate_history_pending_runs %lld\n"
		        "# HELP process_resident_memory_bytes Resident memory "
		        "size in bytes.\n"
		        "# TYPE process_resident_memory_bytes gauge\n"
		        "process_resident_memory_bytes %lld\n",
		        (long long)s.runs, (long long)s.projects,
		        (long long)s.db_bytes, (long long)s.wal_bytes,
		        (long long)s.outbox_pending,
		        atomic_load(&srv->inflight),
		        mg_srv_db_waiting(&srv->db),
		        atomic_load(&srv->db.parsing),
		        (long long)s.history_pending, (long long)rss_bytes());
	if (error < 0)
		return mg_err_set(err, error, "metrics: out of memory");
	return 0;
}
