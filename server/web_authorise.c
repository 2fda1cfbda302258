/*
 * web_authorise: the authorisation panel under the record on the meeting
 * page (submit for the team; review first, then oversight and each child's
 * decision for a manager) and its two forms. The rules are authorise.c's;
 * these pages only gather the fields and show its answers.
 */
#include <stdio.h>
#include <string.h>

#include "approval.h"
#include "auth.h"
#include "authorise.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "meeting.h"
#include "model.h"
#include "str.h"
#include "vocab.h"
#include "web.h"


/* "decision-<child id>" */
static void
decision_key(long child, char *out, size_t outlen)
{
	snprintf(out, outlen, "decision-%ld", child);
}

/* One select per child, the record's decision chosen unless the form
 * says otherwise. */
static json_t *
child_fields(const struct http_req *rq, const struct discussion *m,
    const struct web_errors *we)
{
	const struct vocab_term *t;
	const struct child_decision *cd;
	const char *cur;
	char key[48], v[64];
	json_t *a = json_array(), *f, *items;
	size_t i, k, n;

	t = vocab_terms(VOCAB_DECISION, &n);
	for (i = 0; a != NULL && i < m->nchildren; i++) {
		if ((cd = model_decision(m, m->children[i].id)) == NULL)
			continue;
		decision_key(cd->child_id, key, sizeof(key));
		cur = rq != NULL && rq->form.n > 0 ? web_field(rq, key, v,
		    sizeof(v)) : cd->decision;
		f = web_fld(we, key, m->children[i].name, NULL, NULL);
		items = json_array();
		for (k = 0; f != NULL && items != NULL && k < n; k++)
			json_array_append_new(items, json_pack("{s:s, s:s, s:b}",
			    "value", t[k].code, "text", t[k].words, "checked",
			    strcmp(t[k].code, cur) == 0));
		json_object_set_new(f, "items", items);
		json_array_append_new(a, f);
	}
	return a;
}

/* The manager's changes in words: "Sky: Section 47 joint to ...". */
static json_t *
changes_view(json_t *changes, const struct discussion *m)
{
	const struct child *ch;
	json_t *a = json_array(), *c;
	size_t i;

	json_array_foreach(changes, i, c) {
		ch = model_child(m, (long)json_integer_value(json_object_get(c,
		    "child_id")));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "child",
		    ch != NULL && ch->name != NULL ? ch->name : "Unborn baby",
		    "before", vocab_words(VOCAB_DECISION, json_string_value(
		    json_object_get(c, "before"))), "after",
		    vocab_words(VOCAB_DECISION, json_string_value(
		    json_object_get(c, "after")))));
	}
	return a;
}

/* The last authorised version: by whom, when, the oversight, changes. */
static json_t *
last_authorised(json_t *versions, const struct discussion *m)
{
	json_t *v, *last = NULL;
	char when[96];
	size_t i;

	json_array_foreach(json_object_get(versions, "versions"), i, v)
		if (strcmp(json_string_value(json_object_get(v, "status")),
		    "authorised") == 0)
			last = v;
	if (last == NULL)
		return json_null();
	web_when(json_string_value(json_object_get(last, "authorised_at")),
	    when, sizeof(when));
	return json_pack("{s:O, s:O, s:s, s:O, s:o}", "version",
	    json_object_get(last, "version"), "by", json_object_get(last,
	    "authorised_by"), "at", when, "oversight", json_object_get(last,
	    "oversight"), "changes", changes_view(json_object_get(last,
	    "changes"), m));
}

int
web_authorise_view(struct http_req *rq, const struct discussion *m,
    json_t *data, const struct web_errors *we)
{
	struct verr e = { 0 };
	json_t *v = NULL, *p;
	const char *status;
	int sw = rq->user.role == ROLE_SOCIAL_WORKER;
	int mgr = rq->user.role == ROLE_MANAGER;

	if (m->record == NULL || strcmp(m->status, "held") != 0)
		return 0;
	if (authorise_versions(rq->db, &rq->user, m->id, &v, &e) != 0)
		return -1;
	status = m->record->status;
	p = json_pack("{s:s, s:s, s:i, s:o, s:b, s:b, s:b, s:b}",
	    "status", status, "status_text", vocab_words(VOCAB_RECORD_STATUS,
	    status), "version", m->record->version, "last",
	    last_authorised(v, m), "draft", strcmp(status, "draft") == 0,
	    "awaiting", strcmp(status, "awaiting_authorisation") == 0,
	    "can_submit", sw && strcmp(status, "draft") == 0,
	    "can_authorise", mgr &&
	    strcmp(status, "awaiting_authorisation") == 0);
	json_decref(v);
	if (p == NULL)
		return -1;
	if (mgr && authorise_needs_review(rq->db, m) == 1)
		json_object_set_new(p, "needs_review", json_true());
	else if (mgr && strcmp(status, "awaiting_authorisation") == 0) {
		json_object_set_new(p, "f_oversight", web_fld(we, "oversight",
		    "Your oversight", "What you checked, what you agree or "
		    "change, and why. The team and, later, the child's record "
		    "read this.", rq->form.n > 0 ? form_get(&rq->form,
		    "oversight") : NULL));
		json_object_set_new(p, "children", child_fields(rq, m, we));
	}
	json_object_set_new(data, "authorisation", p);
	return 0;
}

int
web_authorise_submit_post(struct http_req *rq, struct http_resp *rs)
{
	struct verr e = { 0 };
	json_t *body, *out = NULL;
	long id;

	if (http_param_id(rq, 0, &id) != 0)
		return http_error(rq, rs, 404, NULL, "there is no such "
		    "discussion");
	if ((body = json_object()) == NULL)
		return rs->status = 500;
	if (authorise_submit(rq->db, &rq->user, id, body, &out, &e) != 0) {
		json_decref(body);
		return web_fail(rq, rs, &e);
	}
	json_decref(body);
	json_decref(out);
	return web_redirectf(rs, "/meetings/%ld?done=submitted", id);
}

/* The form as the API's body: oversight, and each child's decision. */
static json_t *
auth_body(struct http_req *rq, const struct discussion *m)
{
	const struct child_decision *cd;
	char key[48], v[64];
	json_t *b, *a;
	size_t i;

	a = json_array();
	for (i = 0; a != NULL && i < m->ndecisions; i++) {
		cd = &m->decisions[i];
		decision_key(cd->child_id, key, sizeof(key));
		if (web_field(rq, key, v, sizeof(v))[0] != '\0')
			json_array_append_new(a, json_pack("{s:I, s:s}",
			    "child_id", (json_int_t)cd->child_id, "decision",
			    v));
	}
	b = json_pack("{s:s, s:o}", "oversight", form_get(&rq->form,
	    "oversight") != NULL ? form_get(&rq->form, "oversight") : "",
	    "children", a);
	return b;
}

/* The API's error on the form: children[i] is the i-th child of the body,
 * which follows the record's decisions, so its select. */
static void
error_of(const struct verr *e, const struct discussion *m,
    struct web_errors *we)
{
	char pre[MODEL_MAX_CHILDREN][24], key[MODEL_MAX_CHILDREN][48];
	const char *map[2 * MODEL_MAX_CHILDREN + 3];
	size_t i, n = 0;

	for (i = 0; i < m->ndecisions && i < MODEL_MAX_CHILDREN; i++) {
		snprintf(pre[i], sizeof(pre[i]), "children[%zu]", i);
		decision_key(m->decisions[i].child_id, key[i], sizeof(key[i]));
		map[n++] = pre[i];
		map[n++] = key[i];
	}
	map[n++] = "oversight";
	map[n++] = "oversight";
	map[n] = NULL;
	web_error_verr(we, e, map);
}

int
web_authorise_post(struct http_req *rq, struct http_resp *rs)
{
	struct discussion *m = NULL;
	struct web_errors we;
	struct verr e = { 0 };
	json_t *body = NULL, *out = NULL;
	long id;
	int rc;

	if (web_discussion_load(rq, rs, &id, &m) != 0)
		return rs->status;
	web_errors_init(&we);
	if ((body = auth_body(rq, m)) == NULL) {
		rc = rs->status = 500;
		goto out;
	}
	if (authorise_record(rq->db, &rq->user, id, body, 0, &out, &e) == 0) {
		rc = web_redirectf(rs, "/meetings/%ld?done=authorised", id);
		goto out;
	}
	if (e.status != 422) {
		rc = web_fail(rq, rs, &e);
		goto out;
	}
	error_of(&e, m, &we);
	rc = web_meeting_page(rq, rs, m, &we);
out:
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	model_discussion_free(m);
	return rc;
}

/* ---- approval before the meeting (server/approval.c) --------------------- */

static const char *const approval_pairs[] = { "approve", "Approve: it may "
	"go ahead without them", "refuse", "Refuse: invite the missing agency "
	"or cancel", NULL };

int
web_approval_view(struct http_req *rq, const struct discussion *m,
    json_t *data, const struct web_errors *we)
{
	const char *a = m->approval;
	json_t *p, *f;

	if (a == NULL)
		return 0;
	p = json_pack("{s:b, s:b, s:b, s:s?}", "pending", strcmp(a,
	    "pending") == 0, "refused", strcmp(a, "refused") == 0, "approved",
	    strcmp(a, "approved") == 0, "note", m->approval_note);
	if (p == NULL)
		return -1;
	if (rq->user.role == ROLE_MANAGER && strcmp(a, "approved") != 0) {
		f = web_fld(we, "decision", "Your decision", NULL, NULL);
		json_object_set_new(f, "items", web_choices("decision",
		    approval_pairs, rq->form.n > 0 ? form_get(&rq->form,
		    "decision") : NULL));
		json_object_set_new(p, "f_decision", f);
		json_object_set_new(p, "f_note", web_fld(we, "note", "Note "
		    "(needed to refuse)", "Tell the social worker what to "
		    "change.", rq->form.n > 0 ? form_get(&rq->form, "note") :
		    NULL));
	}
	json_object_set_new(data, "approval", p);
	return 0;
}

int
web_approval_post(struct http_req *rq, struct http_resp *rs)
{
	static const char *const map[] = { "decision", "decision", "note",
		"note", "approval", "decision", NULL };
	struct discussion *m = NULL;
	struct web_errors we;
	struct verr e = { 0 };
	const char *dec = form_get(&rq->form, "decision");
	const char *note = form_get(&rq->form, "note");
	json_t *body, *out = NULL;
	long id;
	int rc;

	if (web_discussion_load(rq, rs, &id, &m) != 0)
		return rs->status;
	web_errors_init(&we);
	body = json_pack("{s:s, s:s?}", "decision", dec != NULL ? dec : "",
	    "note", note != NULL && note[0] != '\0' ? note : NULL);
	if (body == NULL)
		rc = rs->status = 500;
	else if (approval_decide(rq->db, &rq->user, id, body, &out, &e) == 0)
		rc = web_redirectf(rs, "/meetings/%ld?done=approval", id);
	else if (e.status == 422) {
		web_error_verr(&we, &e, map);
		rc = web_meeting_page(rq, rs, m, &we);
	} else
		rc = web_fail(rq, rs, &e);
	json_decref(body);
	json_decref(out);
	web_errors_free(&we);
	model_discussion_free(m);
	return rc;
}
