/*
 * metrics: GET /metrics in the Prometheus text format (version 0.0.4).
 * Every finished request is counted by route pattern, method and status in a
 * fixed open-addressing table of C11 atomics: recording is a hash, at most a
 * few compare-and-swaps to claim a slot the first time a series is seen, and
 * two relaxed increments; no lock, no allocation after the first call. Route
 * patterns, never raw paths, become labels, so no case data reaches a scraper
 * and the number of series is bounded by the route table. Figures that live
 * in the database (outbox depth, age of the oldest unsent message, failed
 * deliveries, replica replay age) are read at scrape time; when the database
 * is down the page still answers, with convene_db_up 0 and without them.
 *
 * Who may read it: with CONVENE_METRICS_TOKEN unset, only a client on
 * loopback that did not come through a proxy (no X-Forwarded-For, Forwarded
 * or X-Real-IP header), so a scraper on the same host works and nothing
 * behind nginx does. With the token set, anyone presenting
 * "Authorization: Bearer TOKEN", from any address, and nobody else.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "app.h"
#include "buf.h"
#include "db.h"
#include "deadline.h"
#include "feed.h"
#include "http.h"
#include "metrics.h"
#include "router.h"
#include "str.h"
#include "vocab.h"

#define METRICS_MAX_BODY	(4 * 1024 * 1024)
#define UNMATCHED		"(unmatched)"

/* Upper bounds of the buckets: microseconds and their le label. */
static const uint64_t bound_us[METRICS_BUCKETS] = {
	5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000,
	2500000, 5000000, 10000000
};
static const char *const bound_le[METRICS_BUCKETS] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
	"2.5", "5", "10"
};

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"
};
#define NMETHODS	(sizeof(methods) / sizeof(methods[0]))

/*
 * One series. key packs (route index + 1) << 16 | method << 10 | status;
 * 0 marks a free slot. bucket[METRICS_BUCKETS] counts requests slower than
 * the last bound; the total is the sum of all buckets, so a scrape always
 * sees a histogram whose +Inf bucket equals its count.
 */
struct slot {
	_Atomic uint32_t	key;
	_Atomic uint64_t	bucket[METRICS_BUCKETS + 1];
	_Atomic uint64_t	sum_us;
};

static struct slot slots[METRICS_SLOTS];
static _Atomic uint64_t unrecorded;
static time_t started_at;

/* Route patterns by index; index 0 is UNMATCHED. Built once, then only
 * read, so lookups need no lock. A pointer hash finds a pattern's index. */
static const char **patterns;
static size_t npatterns;
static const char **ptr_keys;
static uint32_t *ptr_vals;
static size_t ptr_cap;		/* a power of two, at least 2 * npatterns */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static size_t
ptr_hash(const void *p)
{
	uint64_t h = (uint64_t)(uintptr_t)p;

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (size_t)h;
}

static void
count_route(const struct route *r, void *arg)
{
	(void)r;
	(*(size_t *)arg)++;
}

static void
add_route(const struct route *r, void *arg)
{
	size_t i;

	(void)arg;
	for (i = ptr_hash(r->pattern) & (ptr_cap - 1); ptr_keys[i] != NULL;
	    i = (i + 1) & (ptr_cap - 1))
		if (ptr_keys[i] == r->pattern)
			return;		/* GET and POST on one pattern */
	ptr_keys[i] = r->pattern;
	ptr_vals[i] = (uint32_t)npatterns;
	patterns[npatterns++] = r->pattern;
}

/* The process's start, for convene_start_time_seconds: restarts of one
 * instance behind a balancer show as steps in it. */
static void metrics_started(void) __attribute__((constructor));

static void
metrics_started(void)
{
	started_at = time(NULL);
}

static void
build_index(void)
{
	size_t n = 0;

	router_each(count_route, &n);
	ptr_cap = 64;
	while (ptr_cap < 2 * (n + 1))
		ptr_cap *= 2;
	patterns = calloc(n + 1, sizeof(*patterns));
	ptr_keys = calloc(ptr_cap, sizeof(*ptr_keys));
	ptr_vals = calloc(ptr_cap, sizeof(*ptr_vals));
	if (patterns == NULL || ptr_keys == NULL || ptr_vals == NULL) {
		/* Everything is counted as unmatched then; nothing breaks. */
		free(patterns);
		free(ptr_keys);
		free(ptr_vals);
		patterns = NULL;
		ptr_keys = NULL;
		ptr_vals = NULL;
		return;
	}
	patterns[0] = UNMATCHED;
	npatterns = 1;
	router_each(add_route, NULL);
}

static const char *
pattern_name(size_t idx)
{
	return patterns != NULL && idx < npatterns ? patterns[idx] : UNMATCHED;
}

static uint32_t
route_index(const char *route)
{
	size_t i;

	if (route == NULL || ptr_keys == NULL)
		return 0;
	for (i = ptr_hash(route) & (ptr_cap - 1); ptr_keys[i] != NULL;
	    i = (i + 1) & (ptr_cap - 1))
		if (ptr_keys[i] == route)
			return ptr_vals[i];
	/* Not a pointer from the tables (a copy of a pattern, or the front
	 * end's own "(unmatched)"): compare the text, rare and short. */
	for (i = 1; i < npatterns; i++)
		if (strcmp(patterns[i], route) == 0)
			return (uint32_t)i;
	return 0;
}

static uint32_t
method_index(const char *m)
{
	uint32_t i;

	for (i = 0; m != NULL && i < NMETHODS - 1; i++)
		if (strcmp(methods[i], m) == 0)
			return i;
	return NMETHODS - 1;
}

/* The slot for key, claimed if new; NULL when the table is full. */
static struct slot *
slot_for(uint32_t key)
{
	uint32_t cur;
	size_t i, n;

	i = (size_t)((key * 2654435761U) % METRICS_SLOTS);
	for (n = 0; n < METRICS_SLOTS; n++, i = (i + 1) % METRICS_SLOTS) {
		cur = atomic_load_explicit(&slots[i].key, memory_order_acquire);
		if (cur == key)
			return &slots[i];
		if (cur != 0)
			continue;
		if (atomic_compare_exchange_strong_explicit(&slots[i].key, &cur,
		    key, memory_order_acq_rel, memory_order_acquire))
			return &slots[i];
		if (cur == key)		/* another thread claimed it for us */
			return &slots[i];
	}
	return NULL;
}

void
metrics_request(const char *method, const char *route, int status,
    double ms)
{
	struct slot *s;
	uint64_t us;
	uint32_t key;
	size_t b;

	pthread_once(&once, build_index);
	if (status < 0 || status > 999)
		status = 0;
	key = ((route_index(route) + 1) << 16) | (method_index(method) << 10) |
	    (uint32_t)status;
	if ((s = slot_for(key)) == NULL) {
		atomic_fetch_add_explicit(&unrecorded, 1, memory_order_relaxed);
		return;
	}
	us = ms > 0 ? (uint64_t)(ms * 1000.0) : 0;
	for (b = 0; b < METRICS_BUCKETS && us > bound_us[b]; b++)
		;
	atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, us, memory_order_relaxed);
}

/* A copy of one series taken at scrape time. */
struct snap {
	uint32_t	key;
	uint64_t	bucket[METRICS_BUCKETS + 1];
	uint64_t	sum_us;
	uint64_t	total;
};

static int
snap_cmp(const void *a, const void *b)
{
	uint32_t x = ((const struct snap *)a)->key;
	uint32_t y = ((const struct snap *)b)->key;

	return x < y ? -1 : x > y;
}

/* Append s as a label value: backslash, double quote and newline escaped. */
static void
put_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			buf_puts(b, "\\\\");
		else if (*s == '"')
			buf_puts(b, "\\\"");
		else if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_append(b, s, 1);
	}
}

static void
put_series(struct buf *b, const char *name, uint32_t key)
{
	buf_puts(b, name);
	buf_puts(b, "{route=\"");
	put_label(b, pattern_name((key >> 16) - 1));
	buf_printf(b, "\",method=\"%s\"",
	    methods[((key >> 10) & 0x3f) % NMETHODS]);
}

int
metrics_render_http(struct buf *b)
{
	struct snap *sn, *agg;
	uint64_t cum;
	size_t i, j, k, n = 0;
	uint32_t group;

	pthread_once(&once, build_index);
	if ((sn = calloc(METRICS_SLOTS, sizeof(*sn))) == NULL)
		return -1;
	for (i = 0; i < METRICS_SLOTS; i++) {
		sn[n].key = atomic_load_explicit(&slots[i].key,
		    memory_order_acquire);
		if (sn[n].key == 0)
			continue;
		for (j = 0; j <= METRICS_BUCKETS; j++) {
			sn[n].bucket[j] = atomic_load_explicit(
			    &slots[i].bucket[j], memory_order_relaxed);
			sn[n].total += sn[n].bucket[j];
		}
		sn[n].sum_us = atomic_load_explicit(&slots[i].sum_us,
		    memory_order_relaxed);
		if (sn[n].total > 0)
			n++;
	}
	qsort(sn, n, sizeof(*sn), snap_cmp);

	buf_puts(b, "# HELP convene_http_requests_total Requests answered, "
	    "by route pattern, method and status.\n"
	    "# TYPE convene_http_requests_total counter\n");
	for (i = 0; i < n; i++) {
		put_series(b, "convene_http_requests_total", sn[i].key);
		buf_printf(b, ",status=\"%u\"} %llu\n",
		    (unsigned)(sn[i].key & 0x3ff),
		    (unsigned long long)sn[i].total);
	}
	buf_printf(b, "# HELP convene_http_requests_unrecorded_total "
	    "Requests not counted above because the series table was full.\n"
	    "# TYPE convene_http_requests_unrecorded_total counter\n"
	    "convene_http_requests_unrecorded_total %llu\n",
	    (unsigned long long)atomic_load(&unrecorded));
	buf_printf(b, "# HELP convene_http_slow_clients_cut_total Connections "
	    "closed because their request came too slowly (deadline.h).\n"
	    "# TYPE convene_http_slow_clients_cut_total counter\n"
	    "convene_http_slow_clients_cut_total %lu\n", deadline_cuts());
	buf_printf(b, "# HELP convene_feed_builds_total Calendar feeds built "
	    "from the database (cache misses).\n"
	    "# TYPE convene_feed_builds_total counter\n"
	    "convene_feed_builds_total %lu\n"
	    "# HELP convene_feed_builds_shared_total Feed polls answered by "
	    "another poll's build of the same feed, after waiting for it.\n"
	    "# TYPE convene_feed_builds_shared_total counter\n"
	    "convene_feed_builds_shared_total %lu\n", feed_builds(),
	    feed_builds_shared());

	/* The histogram is by route and method: statuses are summed. The
	 * snapshot is sorted by key, so each group is one run of entries. */
	buf_puts(b, "# HELP convene_http_request_duration_seconds Time from "
	    "the request's first byte to its response being queued.\n"
	    "# TYPE convene_http_request_duration_seconds histogram\n");
	for (i = 0; i < n; i = k) {
		group = sn[i].key >> 10;
		agg = &sn[i];
		for (k = i + 1; k < n && (sn[k].key >> 10) == group; k++) {
			for (j = 0; j <= METRICS_BUCKETS; j++)
				agg->bucket[j] += sn[k].bucket[j];
			agg->sum_us += sn[k].sum_us;
			agg->total += sn[k].total;
		}
		cum = 0;
		for (j = 0; j < METRICS_BUCKETS; j++) {
			cum += agg->bucket[j];
			put_series(b, "convene_http_request_duration_seconds_bucket",
			    agg->key);
			buf_printf(b, ",le=\"%s\"} %llu\n", bound_le[j],
			    (unsigned long long)cum);
		}
		put_series(b, "convene_http_request_duration_seconds_bucket",
		    agg->key);
		buf_printf(b, ",le=\"+Inf\"} %llu\n",
		    (unsigned long long)agg->total);
		put_series(b, "convene_http_request_duration_seconds_sum",
		    agg->key);
		buf_printf(b, "} %llu.%06llu\n",
		    (unsigned long long)(agg->sum_us / 1000000),
		    (unsigned long long)(agg->sum_us % 1000000));
		put_series(b, "convene_http_request_duration_seconds_count",
		    agg->key);
		buf_printf(b, "} %llu\n", (unsigned long long)agg->total);
	}
	free(sn);
	return b->failed ? -1 : 0;
}

static void
gauge(struct buf *b, const char *name, const char *help, const char *labels,
    double v)
{
	if (help != NULL)
		buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help,
		    name);
	buf_printf(b, "%s%s %.10g\n", name, labels ? labels : "", v);
}

/*
 * Outbox figures: depth and oldest age through the outbox_due partial index;
 * failed deliveries by a scan of the failed rows. The table belongs to the
 * invites migration: a database without it gives no outbox lines rather than
 * an error. Returns 0 when the statements ran.
 */
static int
render_outbox(struct buf *b, struct db *db)
{
	struct db_res r;

	if (db_exec(db, &r, "SELECT to_regclass('outbox') IS NOT NULL", 0,
	    NULL) != 0)
		return -1;
	if (!db_res_bool(&r, 0, 0)) {
		db_res_free(&r);
		return 0;
	}
	db_res_free(&r);
	if (db_exec(db, &r, "SELECT (SELECT count(*) FROM outbox WHERE status "
	    "IN ('queued', 'sending')), (SELECT coalesce(extract(epoch FROM "
	    "now() - min(created_at)), 0)::float8 FROM outbox WHERE status IN "
	    "('queued', 'sending')), (SELECT count(*) FROM outbox WHERE "
	    "status = 'failed')", 0, NULL) != 0)
		return -1;
	gauge(b, "convene_outbox_depth", "Invite emails queued or being sent.",
	    NULL, (double)db_res_long(&r, 0, 0, 0));
	gauge(b, "convene_outbox_oldest_unsent_age_seconds", "Age of the "
	    "oldest invite email not yet sent (0 when none is waiting).", NULL,
	    strtod(db_res_get(&r, 0, 1) ? db_res_get(&r, 0, 1) : "0", NULL));
	buf_printf(b, "# HELP convene_outbox_failed_total Invite emails given "
	    "up on after their last attempt (falls only when an operator "
	    "requeues them).\n# TYPE convene_outbox_failed_total counter\n"
	    "convene_outbox_failed_total %ld\n", db_res_long(&r, 0, 2, 0));
	db_res_free(&r);
	return 0;
}

/* Replica figures: is it reachable, and how long since it replayed a
 * transaction from the primary (grows while the primary is idle too). */
static void
render_replica(struct buf *b, struct db_pool *stats_pool)
{
	struct db_res r;
	struct db *db;
	const char *v;
	int up = 0;

	db_res_init(&r);
	/* SET LOCAL: the time limit ends with this transaction and never
	 * reaches the statistics queries that use the same connections. */
	if ((db = db_pool_get(stats_pool, 1000)) != NULL &&
	    db_begin(db) == 0 &&
	    db_cmd(db, "SET LOCAL statement_timeout = '2s'", 0, NULL) == 0 &&
	    db_exec(db, &r, "SELECT pg_is_in_recovery(), extract(epoch FROM "
	    "now() - pg_last_xact_replay_timestamp())::float8", 0, NULL) == 0)
		up = 1;
	db_rollback(db);
	gauge(b, "convene_stats_replica_up", "1 when the statistics replica "
	    "answers (statistics fall back to the primary otherwise).", NULL,
	    up);
	if (up) {
		gauge(b, "convene_stats_replica_in_recovery", "1 when the "
		    "statistics database is a standby.", NULL,
		    db_res_bool(&r, 0, 0));
		if ((v = db_res_get(&r, 0, 1)) != NULL)
			gauge(b, "convene_stats_replica_replay_age_seconds",
			    "Time since the replica last replayed a "
			    "transaction.", NULL, strtod(v, NULL));
	}
	db_res_free(&r);
	db_pool_put(stats_pool, db);
}

/*
 * Chaser figures (docs/chasers.md): chases sent by kind, counted from the
 * chases table so every instance reports the deployment's total, and the
 * time from booking until every statutory agency had accepted, as a
 * summary over the meetings where that happened.
 */
static int
render_chases(struct buf *b, struct db *db)
{
	const char *p[1] = { vocab_name(VOCAB_CHASE_KIND) }, *v;
	struct db_res r;
	int i;

	if (db_exec(db, &r, "SELECT v.code, count(k.id) FROM vocabulary v "
	    "LEFT JOIN chases k ON k.kind = v.code WHERE v.list = $1 GROUP BY "
	    "v.code ORDER BY v.code", 1, p) != 0)
		return -1;
	buf_printf(b, "# HELP convene_chases_sent_total Chasers sent to "
	    "agencies that had not accepted a meeting, by kind.\n"
	    "# TYPE convene_chases_sent_total counter\n");
	for (i = 0; i < db_res_rows(&r); i++)
		buf_printf(b, "convene_chases_sent_total{kind=\"%s\"} %ld\n",
		    db_res_get(&r, i, 0), db_res_long(&r, i, 1, 0));
	db_res_free(&r);
	if (db_exec(db, &r, "SELECT count(*), coalesce(sum(extract(epoch FROM "
	    "all_accepted_at - created_at)), 0)::float8 FROM discussions WHERE "
	    "all_accepted_at IS NOT NULL", 0, NULL) != 0)
		return -1;
	v = db_res_get(&r, 0, 1);
	buf_printf(b, "# HELP convene_booking_to_all_accepted_seconds Time "
	    "from booking a meeting until every statutory agency had "
	    "accepted.\n# TYPE convene_booking_to_all_accepted_seconds "
	    "summary\nconvene_booking_to_all_accepted_seconds_sum %.10g\n"
	    "convene_booking_to_all_accepted_seconds_count %ld\n",
	    strtod(v != NULL ? v : "0", NULL), db_res_long(&r, 0, 0, 0));
	db_res_free(&r);
	return 0;
}

/* May this request read the metrics? 0 yes; otherwise the answer is in rs. */
static int
metrics_access(struct http_req *rq, struct http_resp *rs)
{
	const char *want = rq->app->cfg.metrics_token;
	const char *h;
	size_t n;

	if (want[0] != '\0') {
		h = http_header(rq, "Authorization");
		n = strlen(want);
		if (h != NULL && strncmp(h, "Bearer ", 7) == 0 &&
		    strlen(h + 7) == n && sodium_memcmp(h + 7, want, n) == 0)
			return 0;
		http_error(rq, rs, 401, NULL, "send the metrics token as "
		    "Authorization: Bearer");
		http_resp_header(rs, "WWW-Authenticate", "Bearer");
		return -1;
	}
	if (http_peer_loopback(rq) &&
	    http_header(rq, "X-Forwarded-For") == NULL &&
	    http_header(rq, "Forwarded") == NULL &&
	    http_header(rq, "X-Real-IP") == NULL)
		return 0;
	http_error(rq, rs, 403, NULL, "metrics are served to this host only; "
	    "set CONVENE_METRICS_TOKEN to scrape from elsewhere");
	return -1;
}

/* GET /metrics: everything above, in the text format. */
static int
h_metrics(struct http_req *rq, struct http_resp *rs)
{
	struct app *app = rq->app;
	struct buf b;
	struct db *db;
	int up = 0;

	if (metrics_access(rq, rs) != 0)
		return rs->status;
	buf_init(&b, METRICS_MAX_BODY);
	if (metrics_render_http(&b) != 0)
		goto out;
	/* A short wait: a scrape must not queue behind a saturated pool, and
	 * an exhausted pool is itself worth seeing in the figures. */
	if ((db = db_pool_get(app->pool, 1000)) != NULL &&
	    db_begin(db) == 0 &&
	    db_cmd(db, "SET LOCAL statement_timeout = '2s'", 0, NULL) == 0 &&
	    render_outbox(&b, db) == 0 && render_chases(&b, db) == 0)
		up = 1;
	db_rollback(db);
	gauge(&b, "convene_db_up", "1 when the primary database answered "
	    "this scrape.", NULL, up);
	/* Read after borrowing, so a scrape counts itself: in use >= 1
	 * whenever the database is up. */
	gauge(&b, "convene_db_pool_in_use", "Database connections lent to "
	    "requests right now.", "{pool=\"primary\"}",
	    db_pool_in_use(app->pool));
	if (app->stats_pool != NULL)
		gauge(&b, "convene_db_pool_in_use", NULL, "{pool=\"stats\"}",
		    db_pool_in_use(app->stats_pool));
	gauge(&b, "convene_db_pool_size", "Database connections each pool "
	    "may open.", "{pool=\"primary\"}", db_pool_size(app->pool));
	if (app->stats_pool != NULL)
		gauge(&b, "convene_db_pool_size", NULL, "{pool=\"stats\"}",
		    db_pool_size(app->stats_pool));
	db_pool_put(app->pool, db);
	if (app->stats_pool != NULL)
		render_replica(&b, app->stats_pool);
	gauge(&b, "convene_start_time_seconds", "When this instance started, "
	    "in seconds since the Unix epoch.", NULL, (double)started_at);
	if (b.failed)
		goto out;
	http_send(rs, 200, "text/plain; version=0.0.4; charset=utf-8",
	    buf_cstr(&b), b.len);
out:
	buf_free(&b);
	return rs->status;
}

const struct route ops_routes[] = {
	{ "GET", "/metrics", AUTH_NONE, 0, h_metrics, ROUTE_NO_DB,
	    "Prometheus metrics (loopback, or CONVENE_METRICS_TOKEN)" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
