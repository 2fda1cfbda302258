/*
 * web_duty: the pages of duty contacts and chasers (docs/chasers.md,
 * docs/web.md): the at-risk panel of the meeting page with its "Log a
 * call" form and the at-risk list of the home page. Views of calls.c.
 */
#ifndef CONVENE_WEB_DUTY_H
#define CONVENE_WEB_DUTY_H

#include <jansson.h>

struct discussion;
struct http_req;
struct http_resp;
struct web_errors;

/* Add "at_risk_panel" to the meeting page's data d (nothing when no
 * agency is at risk and nothing was chased or called). 0 or -1. */
int	 web_duty_meeting_view(struct http_req *rq, const struct discussion *m,
	    json_t *d, const struct web_errors *we);
/* Add "at_risk" (the meetings at risk, soonest first) to the home page's
 * data d. 0 or -1. */
int	 web_duty_home_view(struct http_req *rq, json_t *d);

/* POST /meetings/{id}/calls: log a call, back to the meeting page. */
int	 web_duty_call_post(struct http_req *rq, struct http_resp *rs);

#endif
