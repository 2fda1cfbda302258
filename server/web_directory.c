/*
 * web_directory: the contacts directory that social workers choose invitees
 * from, and its administration: adding, editing and deactivating contacts
 * and organisations. Everyone signed in may read it; only administrators
 * change it. There is no directory model module, so each change here is one
 * transaction with its audit entry, every statement parameterised.
 * Deactivated entries stay (past meetings keep their snapshot of who was
 * invited) but are no longer offered.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "db.h"
#include "form.h"
#include "http.h"
#include "meeting.h"
#include "str.h"
#include "web.h"

#define ID_LEN	24

static const char *const yes_no[] = { "yes", "Active: offered when "
	"booking", "no", "Deactivated: not offered", NULL };

static const char *
agency_or_empty(const char *s)
{
	size_t i;

	for (i = 0; web_agencies[i] != NULL; i++)
		if (strcmp(s, web_agencies[i]) == 0)
			return web_agencies[i];
	return NULL;
}

int
web_dir_list(struct http_req *rq, struct http_resp *rs)
{
	const char *ag = http_query(rq, "agency"), *p[3];
	char aid[ID_LEN];
	struct db_res r;
	json_t *d, *agencies = json_array(), *a = NULL, *o = NULL, *items;
	const char *last_agency = "";
	long last_org = 0, org;
	int admin = rq->user.role == ROLE_ADMIN, i;
	size_t k;

	p[0] = ag != NULL && agency_or_empty(ag) ? ag : NULL;
	p[1] = admin ? "t" : "f";
	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	p[2] = aid;
	/* Editable: an administrator edits only what their authority
	 * created (docs/security.md). */
	if (db_exec(rq->db, &r, "SELECT o.id, o.name, o.agency, o.active, "
	    "c.id, c.name, c.role, c.email, c.phone, c.active, "
	    "$2 AND o.authority_id = $3, $2 AND c.authority_id = $3 FROM "
	    "organisations o JOIN agencies ag ON ag.code = o.agency LEFT JOIN "
	    "contacts c ON c.organisation_id = o.id AND (c.active OR $2) WHERE "
	    "($1::text IS NULL OR o.agency = $1) AND (o.active OR $2) ORDER BY "
	    "ag.sort_order, o.name, o.id, c.name, c.id", 3, p) != 0) {
		json_decref(agencies);
		return rs->status = 500;
	}
	for (i = 0; i < db_res_rows(&r); i++) {
		if (a == NULL || strcmp(last_agency, db_res_get(&r, i, 2))) {
			last_agency = db_res_get(&r, i, 2);
			a = json_pack("{s:s, s:[]}", "name",
			    web_agency_name(last_agency), "orgs");
			json_array_append_new(agencies, a);
			last_org = 0;
		}
		if ((org = db_res_long(&r, i, 0, 0)) != last_org) {
			o = json_pack("{s:I, s:s, s:b, s:b, s:[]}", "id",
			    (json_int_t)org, "name", db_res_get(&r, i, 1),
			    "active", db_res_bool(&r, i, 3), "editable",
			    db_res_bool(&r, i, 10), "contacts");
			json_array_append_new(json_object_get(a, "orgs"), o);
			last_org = org;
		}
		if (db_res_get(&r, i, 4) == NULL)
			continue;
		json_array_append_new(json_object_get(o, "contacts"),
		    json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:b}", "id",
		    (json_int_t)db_res_long(&r, i, 4, 0), "name",
		    db_res_get(&r, i, 5), "role", db_res_get(&r, i, 6),
		    "email", db_res_get(&r, i, 7), "phone",
		    db_res_get(&r, i, 8), "active", db_res_bool(&r, i, 9),
		    "editable", db_res_bool(&r, i, 11)));
	}
	db_res_free(&r);
	items = json_array();
	json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "value", "",
	    "text", "All agencies", "checked", p[0] == NULL));
	for (k = 0; web_agencies[k] != NULL; k++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:b}",
		    "value", web_agencies[k], "text",
		    web_agency_name(web_agencies[k]), "checked",
		    p[0] != NULL && strcmp(p[0], web_agencies[k]) == 0));
	d = json_pack("{s:o, s:b, s:o, s:b}", "agencies", agencies, "admin",
	    admin, "f_agency", web_fld(NULL, "agency", "Agency", NULL,
	    p[0] ? p[0] : ""), "done", http_query(rq, "done") != NULL);
	json_object_set_new(json_object_get(d, "f_agency"), "items", items);
	return web_page(rq, rs, 200, "directory", "Contacts directory", d);
}

/* ---- contacts ---------------------------------------------------------------- */

static json_t *
org_items(struct db *db, const char *current)
{
	struct db_res r;
	json_t *items;
	int i;

	if (db_exec(db, &r, "SELECT o.id::text, o.name, a.name FROM "
	    "organisations o JOIN agencies a ON a.code = o.agency WHERE "
	    "o.active ORDER BY a.sort_order, o.name", 0, NULL) != 0)
		return NULL;
	items = json_array();
	json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "value", "",
	    "text", "Choose an organisation", "checked", 0));
	for (i = 0; i < db_res_rows(&r); i++)
		json_array_append_new(items, json_pack("{s:s, s:s++, s:b}",
		    "value", db_res_get(&r, i, 0), "text", db_res_get(&r, i, 1),
		    " - ", db_res_get(&r, i, 2), "checked",
		    strcmp(db_res_get(&r, i, 0), current) == 0));
	db_res_free(&r);
	return items;
}

/* The stored contact id as strings: name, role, email, phone, org, active.
 * 1 when there is none that authority created (another authority's
 * contact is not for its administrators to edit). */
static int
contact_load(struct db *db, long authority, long id,
    char vals[6][WEB_NAME_BUF])
{
	char sid[ID_LEN], aid[ID_LEN];
	const char *p[2] = { sid, aid };
	struct db_res r;
	int i, rc = 1;

	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(aid, sizeof(aid), "%ld", authority);
	if (db_exec(db, &r, "SELECT name, role, email, phone, "
	    "organisation_id::text, CASE WHEN active THEN 'yes' ELSE 'no' END "
	    "FROM contacts WHERE id = $1 AND authority_id = $2", 2, p) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		for (i = 0; i < 6; i++)
			str_copy(vals[i], db_res_get(&r, 0, i), WEB_NAME_BUF);
		rc = 0;
	}
	db_res_free(&r);
	return rc;
}

static int
contact_page(struct http_req *rq, struct http_resp *rs, long id,
    struct web_errors *we, char vals[6][WEB_NAME_BUF])
{
	json_t *d, *f, *items;

	if ((items = org_items(rq->db, vals[4])) == NULL)
		return rs->status = 500;
	d = json_pack("{s:I, s:b}", "id", (json_int_t)id, "editing", id > 0);
	json_object_set_new(d, "f_name", web_fld(we, "name", "Full name", NULL,
	    vals[0]));
	json_object_set_new(d, "f_role", web_fld(we, "role", "Role (optional)",
	    "For example, Detective Sergeant or Named nurse", vals[1]));
	json_object_set_new(d, "f_email", f = web_fld(we, "email",
	    "Email address", "Invites are sent here; use a secure address "
	    "such as nhs.net or a police .pnn address", vals[2]));
	json_object_set_new(f, "type", json_string("email"));
	json_object_set_new(f, "spellcheck_off", json_true());
	json_object_set_new(d, "f_phone", f = web_fld(we, "phone",
	    "Phone (optional)", NULL, vals[3]));
	json_object_set_new(f, "type", json_string("tel"));
	json_object_set_new(f, "width", json_string("govuk-input--width-20"));
	json_object_set_new(d, "f_org", f = web_fld(we, "organisation_id",
	    "Organisation", "Add the organisation first if it is not listed",
	    vals[4]));
	json_object_set_new(f, "items", items);
	if (id > 0) {
		json_object_set_new(d, "f_active", f = web_fld(we, "active",
		    "Is this contact active?", NULL, vals[5]));
		json_object_set_new(f, "items", web_choices("active", yes_no,
		    vals[5]));
	}
	json_object_set_new(d, "back", json_pack("{s:s, s:s}", "href",
	    "/directory", "text", "Back to the directory"));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "directory_contact", id > 0 ?
	    "Edit a contact" : "Add a contact", d);
}

int
web_dir_contact_form(struct http_req *rq, struct http_resp *rs)
{
	char vals[6][WEB_NAME_BUF];
	long id = 0;
	int rc;

	memset(vals, 0, sizeof(vals));
	str_copy(vals[5], "yes", sizeof(vals[5]));
	if (rq->nparams > 0) {
		if (http_param_id(rq, 0, &id) != 0 ||
		    (rc = contact_load(rq->db, rq->user.authority_id, id,
		    vals)) > 0)
			return http_error(rq, rs, 404, NULL, "there is no such "
			    "contact");
		if (rc < 0)
			return rs->status = 500;
	}
	return contact_page(rq, rs, id, NULL, vals);
}

/* Insert or update the contact (one transaction, audited): only one the
 * caller's authority created is updated. 0 done, 1 the email is taken, 2
 * no such contact of the caller's authority, -1 error. */
static int
contact_save(struct http_req *rq, long *id, char vals[6][WEB_NAME_BUF])
{
	char sid[ID_LEN], aid[ID_LEN];
	const char *p[8];
	struct db_res r;
	json_t *after;
	int i, rc = -1;

	snprintf(sid, sizeof(sid), "%ld", *id);
	for (i = 0; i < 6; i++)
		p[i] = vals[i];
	p[6] = sid;
	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	p[7] = aid;
	if (db_begin(rq->db) != 0)
		return -1;
	if (db_exec(rq->db, &r, *id > 0 ? "UPDATE contacts SET name = $1, "
	    "role = $2, email = $3, phone = $4, organisation_id = $5, "
	    "active = ($6 = 'yes') WHERE id = $7 AND authority_id = $8 "
	    "RETURNING id" :
	    "INSERT INTO contacts (name, role, email, phone, organisation_id, "
	    "active, authority_id) SELECT $1, $2, $3, $4, $5, ($6 = 'yes'), $8 "
	    "WHERE $7 = '0' RETURNING id", 8, p) != 0) {
		rc = strcmp(db_last_sqlstate(), "23505") == 0 ? 1 : -1;
		goto out;
	}
	if (db_res_rows(&r) == 0) {
		db_res_free(&r);
		rc = 2;
		goto out;
	}
	*id = db_res_long(&r, 0, 0, 0);
	db_res_free(&r);
	after = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", vals[0], "role",
	    vals[1], "email", vals[2], "organisation_id", vals[4], "active",
	    vals[5]);
	if (*id == 0 || after == NULL || audit_record(rq->db, &rq->user,
	    strcmp(sid, "0") == 0 ? "contact.create" : "contact.update",
	    "contact", *id, NULL, after) != 0) {
		json_decref(after);
		goto out;
	}
	json_decref(after);
	rc = db_commit(rq->db) == 0 ? 0 : -1;
out:
	db_rollback(rq->db);
	return rc;
}

int
web_dir_contact_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	char vals[6][WEB_NAME_BUF];
	long id = 0, org;
	int rc, status = 500;

	web_errors_init(&we);
	if (rq->nparams > 0 && http_param_id(rq, 0, &id) != 0) {
		status = http_error(rq, rs, 404, NULL, "there is no such "
		    "contact");
		goto out;
	}
	web_field(rq, "name", vals[0], sizeof(vals[0]));
	web_field(rq, "role", vals[1], sizeof(vals[1]));
	web_field(rq, "email", vals[2], sizeof(vals[2]));
	web_field(rq, "phone", vals[3], sizeof(vals[3]));
	web_field(rq, "organisation_id", vals[4], sizeof(vals[4]));
	web_field(rq, "active", vals[5], sizeof(vals[5]));
	if (id == 0)
		str_copy(vals[5], "yes", sizeof(vals[5]));
	web_check_text(&we, "name", vals[0], 1, MEETING_NAME_MAX, 0,
	    "the contact's full name");
	web_check_text(&we, "role", vals[1], 0, MEETING_NAME_MAX, 0,
	    "the role");
	if (vals[2][0] == '\0')
		web_error(&we, "email", NULL, "Enter the email address");
	else if (!str_email_valid(vals[2]))
		web_error(&we, "email", NULL, "Enter an email address in the "
		    "correct format, like name@example.org");
	web_check_text(&we, "phone", vals[3], 0, 40, 0, "the phone number");
	if (str_to_long(vals[4], 1, 9007199254740991L, &org) != 0)
		web_error(&we, "organisation_id", NULL, "Select the "
		    "organisation");
	if (strcmp(vals[5], "yes") != 0 && strcmp(vals[5], "no") != 0)
		web_error(&we, "active", NULL, "Select whether the contact is "
		    "active");
	if (!web_errors_any(&we)) {
		if ((rc = contact_save(rq, &id, vals)) < 0)
			goto out;
		if (rc == 2) {
			status = http_error(rq, rs, 404, NULL, "there is no "
			    "such contact");
			goto out;
		}
		if (rc > 0)
			web_error(&we, "email", NULL, "A contact with this email "
			    "address is already in the directory");
	}
	if (web_errors_any(&we)) {
		status = contact_page(rq, rs, id, &we, vals);
		goto out;
	}
	status = http_redirect(rs, "/directory?done=1");
out:
	web_errors_free(&we);
	return rs->status = status;
}

/* ---- organisations ----------------------------------------------------------- */

static int
org_page(struct http_req *rq, struct http_resp *rs, long id,
    struct web_errors *we, char vals[3][WEB_NAME_BUF])
{
	json_t *d, *f, *items = json_array();
	size_t i;

	json_array_append_new(items, json_pack("{s:s, s:s, s:b}", "value", "",
	    "text", "Choose an agency", "checked", 0));
	for (i = 0; web_agencies[i] != NULL; i++)
		json_array_append_new(items, json_pack("{s:s, s:s, s:b}",
		    "value", web_agencies[i], "text",
		    web_agency_name(web_agencies[i]), "checked",
		    strcmp(vals[1], web_agencies[i]) == 0));
	d = json_pack("{s:I, s:b}", "id", (json_int_t)id, "editing", id > 0);
	json_object_set_new(d, "f_name", web_fld(we, "name", "Name of the "
	    "organisation", "For example, Northshire Police Child Abuse "
	    "Investigation Unit", vals[0]));
	json_object_set_new(d, "f_agency", f = web_fld(we, "agency", "Agency",
	    NULL, vals[1]));
	json_object_set_new(f, "items", items);
	if (id > 0) {
		json_object_set_new(d, "f_active", f = web_fld(we, "active",
		    "Is this organisation active?", "Its contacts are offered "
		    "only while it is active", vals[2]));
		json_object_set_new(f, "items", web_choices("active", yes_no,
		    vals[2]));
	}
	json_object_set_new(d, "back", json_pack("{s:s, s:s}", "href",
	    "/directory", "text", "Back to the directory"));
	if (we != NULL)
		web_errors_put(we, d);
	return web_page(rq, rs, 200, "directory_org", id > 0 ?
	    "Edit an organisation" : "Add an organisation", d);
}

int
web_dir_org_form(struct http_req *rq, struct http_resp *rs)
{
	char vals[3][WEB_NAME_BUF], sid[ID_LEN], aid[ID_LEN];
	const char *p[2] = { sid, aid };
	struct db_res r;
	long id = 0;
	int found;

	memset(vals, 0, sizeof(vals));
	str_copy(vals[2], "yes", sizeof(vals[2]));
	if (rq->nparams > 0) {
		if (http_param_id(rq, 0, &id) != 0)
			return http_error(rq, rs, 404, NULL, "there is no such "
			    "organisation");
		snprintf(sid, sizeof(sid), "%ld", id);
		snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
		if (db_exec(rq->db, &r, "SELECT name, agency, CASE WHEN active "
		    "THEN 'yes' ELSE 'no' END FROM organisations WHERE id = $1 "
		    "AND authority_id = $2", 2, p) != 0)
			return rs->status = 500;
		if ((found = db_res_rows(&r) == 1)) {
			str_copy(vals[0], db_res_get(&r, 0, 0), WEB_NAME_BUF);
			str_copy(vals[1], db_res_get(&r, 0, 1), WEB_NAME_BUF);
			str_copy(vals[2], db_res_get(&r, 0, 2), WEB_NAME_BUF);
		}
		db_res_free(&r);
		if (!found)
			return http_error(rq, rs, 404, NULL, "there is no such "
			    "organisation");
	}
	return org_page(rq, rs, id, NULL, vals);
}

/* Insert or update the organisation (one transaction, audited): only one
 * the caller's authority created is updated. 0 done, 1 the name is taken,
 * 2 no such organisation of the caller's authority, -1 error. */
static int
org_save(struct http_req *rq, long *id, char vals[3][WEB_NAME_BUF])
{
	char sid[ID_LEN], aid[ID_LEN];
	const char *p[5] = { vals[0], vals[1], vals[2], sid, aid };
	struct db_res r;
	json_t *after;
	int rc = -1, created = *id == 0;

	snprintf(sid, sizeof(sid), "%ld", *id);
	snprintf(aid, sizeof(aid), "%ld", rq->user.authority_id);
	if (db_begin(rq->db) != 0)
		return -1;
	if (db_exec(rq->db, &r, created ? "INSERT INTO organisations (name, "
	    "agency, active, authority_id) SELECT $1, $2, ($3 = 'yes'), $5 "
	    "WHERE $4 = '0' RETURNING id" : "UPDATE organisations SET "
	    "name = $1, agency = $2, active = ($3 = 'yes') WHERE id = $4 AND "
	    "authority_id = $5 RETURNING id", 5, p) != 0) {
		rc = strcmp(db_last_sqlstate(), "23505") == 0 ? 1 : -1;
		goto out;
	}
	*id = db_res_rows(&r) ? db_res_long(&r, 0, 0, 0) : 0;
	db_res_free(&r);
	if (*id == 0 && !created) {
		rc = 2;
		goto out;
	}
	after = json_pack("{s:s, s:s, s:s}", "name", vals[0], "agency",
	    vals[1], "active", vals[2]);
	if (*id == 0 || after == NULL || audit_record(rq->db, &rq->user,
	    created ? "organisation.create" : "organisation.update",
	    "organisation", *id, NULL, after) != 0) {
		json_decref(after);
		goto out;
	}
	json_decref(after);
	rc = db_commit(rq->db) == 0 ? 0 : -1;
out:
	db_rollback(rq->db);
	return rc;
}

int
web_dir_org_post(struct http_req *rq, struct http_resp *rs)
{
	struct web_errors we;
	char vals[3][WEB_NAME_BUF];
	long id = 0;
	int rc, status = 500;

	web_errors_init(&we);
	if (rq->nparams > 0 && http_param_id(rq, 0, &id) != 0) {
		status = http_error(rq, rs, 404, NULL, "there is no such "
		    "organisation");
		goto out;
	}
	web_field(rq, "name", vals[0], sizeof(vals[0]));
	web_field(rq, "agency", vals[1], sizeof(vals[1]));
	web_field(rq, "active", vals[2], sizeof(vals[2]));
	if (id == 0)
		str_copy(vals[2], "yes", sizeof(vals[2]));
	web_check_text(&we, "name", vals[0], 1, MEETING_NAME_MAX, 0,
	    "the name of the organisation");
	if (agency_or_empty(vals[1]) == NULL)
		web_error(&we, "agency", NULL, "Select the agency");
	if (strcmp(vals[2], "yes") != 0 && strcmp(vals[2], "no") != 0)
		web_error(&we, "active", NULL, "Select whether the organisation "
		    "is active");
	if (!web_errors_any(&we)) {
		if ((rc = org_save(rq, &id, vals)) < 0)
			goto out;
		if (rc == 2) {
			status = http_error(rq, rs, 404, NULL, "there is no "
			    "such organisation");
			goto out;
		}
		if (rc > 0)
			web_error(&we, "name", NULL, "This agency already has an "
			    "organisation with that name");
	}
	if (web_errors_any(&we)) {
		status = org_page(rq, rs, id, &we, vals);
		goto out;
	}
	status = http_redirect(rs, "/directory?done=1");
out:
	web_errors_free(&we);
	return rs->status = status;
}
