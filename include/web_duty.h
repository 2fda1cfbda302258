/*
 * web_duty: the pages of duty contacts and chasers (docs/chasers.md,
 * docs/web.md): the at-risk panel of the meeting page with its "Log a
 * call" form, the at-risk list of the home page, and the admin's duty
 * rota page. Views of calls.c and rota.c.
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
int	 web_duty_meeting_view(struct http_req *rq,
	    const struct discussion *m, json_t *d, const struct web_errors *we);
/* Add "evidence" {chases, calls} (when there is any) to the attendance
 * page's data d: what was tried, beside the absence reason. 0 or -1. */
int	 web_duty_evidence(struct http_req *rq, const struct discussion *m,
	    json_t *d);
/* Add "at_risk" (the meetings at risk, soonest first) to the home page's
 * data d. 0 or -1. */
int	 web_duty_home_view(struct http_req *rq, json_t *d);

/* POST /meetings/{id}/calls: log a call, back to the meeting page. */
int	 web_duty_call_post(struct http_req *rq, struct http_resp *rs);

/* The booking form: mark {"on_duty": true} on the contacts of groups (its
 * directory groups) who are on duty at the slot of rq's "when" fields (now
 * when they are empty or not a time), for the agencies in stat (the
 * statutory codes). 0 or -1. */
int	 web_duty_mark_on_duty(struct http_req *rq, json_t *groups,
	    json_t *stat);

/* GET and POST /directory/organisations/{id}/rota: an organisation's duty
 * inbox, phone and rota, for the admins of the authority that added it
 * (through rota_put, so the page refuses what the API refuses). */
int	 web_duty_rota_form(struct http_req *rq, struct http_resp *rs);
int	 web_duty_rota_post(struct http_req *rq, struct http_resp *rs);

#endif
