/*
 * web_stats: the statistics pages: the dashboard (GET /stats: filters,
 * GOV.UK summary cards, server-drawn SVG charts with a text alternative and
 * the data table beneath each), the discussions behind a figure
 * (GET /stats/discussions) and a manager's review of a flagged discussion
 * and sign-off. Their routes are in stats_routes (server/stats_api.c).
 */
#ifndef CONVENE_WEB_STATS_H
#define CONVENE_WEB_STATS_H

struct db;
struct db_pool;
struct http_req;
struct http_resp;

int	 web_stats_dashboard(struct http_req *, struct http_resp *);
int	 web_stats_list(struct http_req *, struct http_resp *);
int	 web_stats_review_form(struct http_req *, struct http_resp *);
int	 web_stats_review_post(struct http_req *, struct http_resp *);
int	 web_stats_sign_off_post(struct http_req *, struct http_resp *);

/*
 * The connection statistics are read from (server/stats_api.c): the read
 * replica's when one is configured and answers, else the request's own.
 * Give it back with stats_read_db_put(db, owner).
 */
struct db *stats_read_db(struct http_req *rq, struct db_pool **owner);
void	 stats_read_db_put(struct db *db, struct db_pool *owner);

#endif
