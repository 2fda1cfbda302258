/*
 * record_pdf_http: the routes that hand out the record as a PDF, one for
 * signed-in pages (a link on the meeting page) and one for the API. Both go
 * through the one visibility rule (meeting_visible: 404 for a discussion
 * the caller may not see), answer 409 on "record" before the record is
 * written, and send the file as an attachment named by the case reference
 * and version only, never by a child's name, and never cached.
 */
#include <stdio.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "meeting.h"
#include "model.h"
#include "record_pdf.h"
#include "router.h"

#define DISPOSITION_MAX	160
#define FILENAME_MAX_LEN	96

/* GET /meetings/{id}/record.pdf and GET /api/v1/meetings/{id}/record.pdf */
static int
h_record_pdf(struct http_req *rq, struct http_resp *rs)
{
	char name[FILENAME_MAX_LEN], disp[DISPOSITION_MAX], err[256];
	struct discussion *d = NULL;
	struct verr e = { 0 };
	struct buf pdf;
	long id;

	rs->status = 500;
	buf_init(&pdf, RECORD_PDF_MAX);
	if (http_param_id(rq, 0, &id) != 0) {
		http_error(rq, rs, 404, "id", "there is no strategy discussion "
		    "with that id");
		goto out;
	}
	if (meeting_visible(rq->db, &rq->user, id, &e) != 0) {
		if (e.status != 500)
			http_error(rq, rs, e.status, e.field[0] ? e.field :
			    NULL, "%s", e.msg);
		goto out;
	}
	switch (model_discussion_load(rq->db, id, &d)) {
	case 0:
		break;
	case 1:
		http_error(rq, rs, 404, NULL, "there is no strategy discussion "
		    "%ld that you can see", id);
		goto out;
	default:
		goto out;
	}
	if (d->record == NULL) {
		http_error(rq, rs, 409, "record", "the record of this strategy "
		    "discussion has not been written yet");
		goto out;
	}
	if (record_pdf_render(d, &pdf, err, sizeof(err)) != 0) {
		/* err is cairo's or a size: no case data in it. */
		log_error("record_pdf", "discussion %ld: %s", id, err);
		goto out;
	}
	record_pdf_filename(d, name, sizeof(name));
	snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
	if (http_resp_header(rs, "Content-Disposition", disp) != 0 ||
	    http_resp_header(rs, "Cache-Control", "no-store") != 0)
		goto out;
	http_send(rs, 200, "application/pdf", pdf.data, pdf.len);
out:
	model_discussion_free(d);
	buf_free(&pdf);
	return rs->status;
}

const struct route record_pdf_routes[] = {
	{ "GET", "/meetings/{id}/record.pdf", AUTH_SESSION, ROLE_STAFF,
	  h_record_pdf, 0, "the record of the discussion as a PDF" },
	{ "GET", "/api/v1/meetings/{id}/record.pdf", AUTH_TOKEN, ROLE_STAFF,
	  h_record_pdf, 0, "the record of the discussion as a PDF" },
	{ NULL, NULL, AUTH_NONE, 0, NULL, 0, NULL }
};
