/*
 * metrics: counters for GET /metrics in the Prometheus text format: requests
 * by route and status, a latency histogram, and figures read from the
 * database (outbox depth and age, pool use). Lock-free to record.
 */
#ifndef CONVENE_METRICS_H
#define CONVENE_METRICS_H

struct buf;

/* Latency histogram bounds, in seconds (le labels); one more bucket past
 * the last holds the slower requests. */
#define METRICS_BUCKETS		11
/* Distinct (route, method, status) series kept; requests past that are
 * counted in convene_http_requests_unrecorded_total. */
#define METRICS_SLOTS		2048

/* Count one finished request. route is the route's pattern (a constant
 * string from the route table, or "(unmatched)"). Safe from any thread;
 * never blocks or allocates after the first call. */
void	 metrics_request(const char *method, const char *route, int status,
	    double ms);

/* Append the request counters and latency histograms, in the Prometheus
 * text exposition format, to b. 0, or -1 when b is full or out of memory. */
int	 metrics_render_http(struct buf *b);

#endif
