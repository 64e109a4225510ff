/*
 * metrics.h - the counters behind GET /metrics (Prometheus text format,
 * version 0.0.4): requests by route, method and status; the ingest
 * latency histogram; runs ingested since start; rejections for a busy
 * writer. Gauges read at scrape time come from the database (runs stored,
 * database and WAL size, outbox depth) and from the process (RSS,
 * in-flight requests). Counters are lock-free atomics.
 */
#ifndef MG_SRV_METRICS_H
#define MG_SRV_METRICS_H

#include <stdbool.h>

#include "buf.h"
#include "err.h"
#include "store.h"

typedef struct mg_srv mg_srv;

/* Routes the request counters can tell apart (the table is smaller). */
#define MG_METRICS_MAX_ROUTES 64

/* A finished request: route index (-1 unmatched) and its status. */
void mg_metrics_request(int route, int status);
/* One POST /api/v1/runs answered 2xx after `seconds`; replayed or new. */
void mg_metrics_ingest(double seconds, bool replayed);
/* An upload refused with 503 because the writer was saturated. */
void mg_metrics_busy(void);

/* Write the whole exposition; reader supplies the database gauges. */
int mg_metrics_render(mg_buf *out, mg_srv *srv, mg_store *reader, mg_err *err);

#endif
