/*
 * enquiry_api: the routes of Section 47 enquiries (server/enquiry.c).
 */
#include <string.h>

#include "api.h"
#include "auth.h"
#include "enquiry.h"
#include "http.h"
#include "meeting.h"
#include "router.h"

static int
h_list(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	const char *st = http_query(rq, "status");
	json_t *out;
	int all = 0;

	if (st != NULL && st[0] != '\0') {
		if (strcmp(st, "all") == 0)
			all = 1;
		else if (strcmp(st, "open") != 0)
			return http_error(rq, rs, 400, "status", "status: must be "
			    "open or all");
	}
	if (enquiry_list(rq->db, &rq->user, all, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	return http_json(rs, 200, out);
}

static int
path_id(struct http_req *rq, struct http_resp *rs, long *id)
{
	if (http_param_id(rq, 0, id) == 0)
		return 0;
	http_error(rq, rs, 404, NULL, "there is no such Section 47 enquiry");
	return -1;
}

static int
h_get(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *out;
	long id;

	if (path_id(rq, rs, &id) != 0)
		return rs->status;
	if (enquiry_get(rq->db, &rq->user, id, &out, &e) != 0)
		return http_error_verr(rq, rs, &e);
	return http_json(rs, 200, out);
}

static int
h_patch(struct http_req *rq, struct http_resp *rs)
{
	return api_run_op(rq, rs, enquiry_update, "Section 47 enquiry", 0);
}

const struct route enquiry_routes[] = {
	{ "GET", "/api/v1/enquiries", AUTH_TOKEN, ROLE_STAFF, h_list, 0,
	  "Section 47 enquiries per child with their conference clocks "
	  "(?status=open|all)" },
	{ "GET", "/api/v1/enquiries/{id}", AUTH_TOKEN, ROLE_STAFF, h_get, 0,
	  "one Section 47 enquiry" },
	{ "PATCH", "/api/v1/enquiries/{id}", AUTH_TOKEN, ROLE_STAFF, h_patch,
	  0, "record the conference: booked for, held on, or not required "
	  "(a manager)" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
