/*
 * rota: see include/rota.h. A PUT reads the whole body into typed entries,
 * checks every rule (contacts of this organisation, windows in order, no
 * overlaps) before its first write, then replaces the rota in one
 * transaction with the organisation row locked, so two admins saving at
 * once follow each other. The trigger of sql/033 is the backstop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "auth.h"
#include "db.h"
#include "input.h"
#include "ltime.h"
#include "meeting.h"
#include "model.h"
#include "rota.h"
#include "str.h"

#define ID_LEN		24
#define FIELD_MAX	64

static int
internal(struct verr *e)
{
	return verr_set(e, 500, NULL, "something went wrong");
}

/* The duty setup of organisation sid as JSON, built by SQL. */
static const char load_sql[] =
    "SELECT json_build_object('organisation_id', o.id, 'organisation', "
    "o.name, 'agency', o.agency, 'duty_email', o.duty_email, 'duty_phone', "
    "o.duty_phone, 'rota', coalesce((SELECT json_agg(json_build_object("
    "'contact_id', c.id, 'name', c.name, 'email', c.email, 'phone', "
    "c.phone, 'starts_at', r.starts_at, 'ends_at', r.ends_at) ORDER BY "
    "r.starts_at) FROM duty_rota r JOIN contacts c ON c.id = r.contact_id "
    "WHERE r.organisation_id = o.id), '[]'::json))::text, "
    "o.authority_id = $2 FROM organisations o WHERE o.id = $1";

/* 1 loaded (*out, *mine: the caller's authority edits it), 0 no such
 * organisation, -1 error. */
static int
load(struct db *db, const struct auth_user *u, long id, json_t **out,
    int *mine)
{
	char sid[ID_LEN], aid[ID_LEN];
	const char *p[2] = { sid, aid };
	struct db_res r;
	int n;

	snprintf(sid, sizeof(sid), "%ld", id);
	snprintf(aid, sizeof(aid), "%ld", u->authority_id);
	if (db_exec(db, &r, load_sql, 2, p) != 0)
		return -1;
	if ((n = db_res_rows(&r)) == 1) {
		*out = json_loads(db_res_get(&r, 0, 0), 0, NULL);
		*mine = db_res_bool(&r, 0, 1);
		if (*out == NULL)
			n = -1;
	}
	db_res_free(&r);
	return n;
}

int
rota_get(struct db *db, const struct auth_user *u, long id, json_t *body,
    json_t **out, struct verr *e)
{
	int mine, n;

	(void)body;
	if ((n = load(db, u, id, out, &mine)) < 0)
		return internal(e);
	if (n == 0)
		return verr_set(e, 404, NULL, "there is no such organisation");
	return 0;
}

int
rota_overlap(const struct rota_entry *r, size_t n, size_t *a, size_t *b)
{
	size_t i, j;

	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (r[i].starts_at < r[j].ends_at &&
			    r[j].starts_at < r[i].ends_at) {
				*a = i;
				*b = j;
				return -1;
			}
	return 0;
}

/* Read entry i of the rota array into *out. */
static int
read_entry(json_t *jr, size_t i, struct rota_entry *out, struct verr *e)
{
	static const char *const keys[] = { "contact_id", "starts_at",
		"ends_at", NULL };
	char f[FIELD_MAX], prefix[FIELD_MAX / 2];

	snprintf(prefix, sizeof(prefix), "rota[%zu]", i);
	if (!json_is_object(jr))
		return verr_set(e, 422, prefix, "%s: must be an object",
		    prefix);
	snprintf(f, sizeof(f), "%s.", prefix);
	if (input_known_keys(jr, keys, f, e) != 0)
		return -1;
#define F(k) (snprintf(f, sizeof(f), "%s.%s", prefix, k), f)
	if (input_int(jr, "contact_id", F("contact_id"), INPUT_REQUIRED, 1,
	    MODEL_ID_MAX, &out->contact_id, NULL, e) != 0 ||
	    input_time(jr, "starts_at", F("starts_at"), INPUT_REQUIRED,
	    &out->starts_at, NULL, e) != 0 ||
	    input_time(jr, "ends_at", F("ends_at"), INPUT_REQUIRED,
	    &out->ends_at, NULL, e) != 0)
		return -1;
	if (out->ends_at <= out->starts_at)
		return verr_set(e, 422, F("ends_at"), "%s: must be after "
		    "starts_at", f);
#undef F
	return 0;
}

/* Read and check body's members; entries go to a (ROTA_MAX_ENTRIES). */
static int
read_body(json_t *body, const char **email, const char **phone,
    struct rota_entry *a, size_t *n, struct verr *e)
{
	static const char *const keys[] = { "duty_email", "duty_phone",
		"rota", NULL };
	json_t *rota;
	size_t i, x, y;

	if (input_known_keys(body, keys, "", e) != 0 ||
	    input_email(body, "duty_email", "duty_email", INPUT_OPTIONAL,
	    email, e) != 0 ||
	    input_str(body, "duty_phone", "duty_phone", INPUT_OPTIONAL,
	    MODEL_PHONE_MAX, phone, e) != 0)
		return -1;
	rota = json_object_get(body, "rota");
	*n = 0;
	if (rota == NULL || json_is_null(rota))
		return 0;
	if (!json_is_array(rota) || json_array_size(rota) > ROTA_MAX_ENTRIES)
		return verr_set(e, 422, "rota", "rota: must be a list of at "
		    "most %d windows", ROTA_MAX_ENTRIES);
	for (i = 0; i < json_array_size(rota); i++)
		if (read_entry(json_array_get(rota, i), i, &a[i], e) != 0)
			return -1;
	*n = i;
	if (rota_overlap(a, *n, &x, &y) != 0) {
		char f[FIELD_MAX];

		snprintf(f, sizeof(f), "rota[%zu].starts_at", y);
		return verr_set(e, 422, f, "%s: overlaps rota[%zu]: one "
		    "contact is on duty at a time", f, x);
	}
	return 0;
}

/* Every contact of a[0..n) is an active contact of organisation sid. */
static int
check_contacts(struct db *db, const char *sid, const struct rota_entry *a,
    size_t n, struct verr *e)
{
	char cid[ID_LEN], f[FIELD_MAX];
	const char *p[2] = { sid, cid };
	struct db_res r;
	size_t i;
	int ok;

	for (i = 0; i < n; i++) {
		snprintf(cid, sizeof(cid), "%ld", a[i].contact_id);
		if (db_exec(db, &r, "SELECT 1 FROM contacts WHERE id = $2 AND "
		    "organisation_id = $1 AND active", 2, p) != 0)
			return internal(e);
		ok = db_res_rows(&r) == 1;
		db_res_free(&r);
		if (!ok) {
			snprintf(f, sizeof(f), "rota[%zu].contact_id", i);
			return verr_set(e, 422, f, "%s: is not an active "
			    "contact of this organisation", f);
		}
	}
	return 0;
}

/* Replace the rows: the organisation's columns, then its windows. */
static int
write_rota(struct db *db, const struct auth_user *u, const char *sid,
    const char *email, const char *phone, const struct rota_entry *a,
    size_t n)
{
	char cid[ID_LEN], s[LTIME_ISO_MAX], t[LTIME_ISO_MAX], uid[ID_LEN];
	const char *p[5] = { sid, cid, s, t, uid };
	const char *q[3] = { sid, email, phone };
	size_t i;

	if (db_cmd(db, "UPDATE organisations SET duty_email = $2, duty_phone = "
	    "$3 WHERE id = $1", 3, q) != 0 ||
	    db_cmd(db, "DELETE FROM duty_rota WHERE organisation_id = $1", 1,
	    p) != 0)
		return -1;
	snprintf(uid, sizeof(uid), "%ld", u->id);
	for (i = 0; i < n; i++) {
		snprintf(cid, sizeof(cid), "%ld", a[i].contact_id);
		ltime_format_utc(a[i].starts_at, s, sizeof(s));
		ltime_format_utc(a[i].ends_at, t, sizeof(t));
		if (db_cmd(db, "INSERT INTO duty_rota (organisation_id, "
		    "contact_id, starts_at, ends_at, created_by) VALUES ($1, "
		    "$2, $3, $4, $5)", 5, p) != 0)
			return -1;
	}
	return 0;
}

int
rota_put(struct db *db, const struct auth_user *u, long id, json_t *body,
    json_t **out, struct verr *e)
{
	struct rota_entry *a;
	const char *email = NULL, *phone = NULL, *p[1];
	char sid[ID_LEN];
	json_t *before = NULL, *after = NULL;
	size_t n = 0;
	int mine = 0, got, result = -1;

	snprintf(sid, sizeof(sid), "%ld", id);
	p[0] = sid;
	if ((a = calloc(ROTA_MAX_ENTRIES, sizeof(*a))) == NULL)
		return internal(e);
	if (read_body(body, &email, &phone, a, &n, e) != 0)
		goto out;
	if (db_begin(db) != 0 || db_cmd(db, "SELECT 1 FROM organisations "
	    "WHERE id = $1 FOR UPDATE", 1, p) != 0 ||
	    (got = load(db, u, id, &before, &mine)) < 0) {
		internal(e);
		goto out;
	}
	if (got == 0 || !mine) {
		verr_set(e, got == 0 ? 404 : 403, NULL, got == 0 ? "there is "
		    "no such organisation" : "only the admins of the authority "
		    "that added this organisation may change its duty rota");
		goto out;
	}
	if (check_contacts(db, sid, a, n, e) != 0)
		goto out;
	if (write_rota(db, u, sid, email, phone, a, n) != 0 ||
	    load(db, u, id, &after, &mine) != 1 ||
	    audit_record(db, u, "organisation.duty", "organisation", id,
	    before, after) != 0 || db_commit(db) != 0) {
		internal(e);
		goto out;
	}
	*out = after;
	after = NULL;
	result = 0;
out:
	if (result != 0)
		db_rollback(db);
	json_decref(before);
	json_decref(after);
	free(a);
	return result;
}

json_t *
rota_on_duty(struct db *db, time_t at, const char *agency)
{
	char t[LTIME_ISO_MAX];
	const char *p[2] = { t, agency };
	struct db_res r;
	json_t *o = NULL;

	ltime_format_utc(at, t, sizeof(t));
	if (db_exec(db, &r, "SELECT coalesce(json_agg(json_build_object("
	    "'organisation_id', o.id, 'organisation', o.name, 'agency', "
	    "o.agency, 'duty_email', o.duty_email, 'duty_phone', o.duty_phone, "
	    "'on_duty', (SELECT json_build_object('contact_id', c.id, 'name', "
	    "c.name, 'email', c.email, 'phone', c.phone, 'until', r.ends_at) "
	    "FROM duty_rota r JOIN contacts c ON c.id = r.contact_id WHERE "
	    "r.organisation_id = o.id AND r.starts_at <= $1::timestamptz AND "
	    "r.ends_at > $1::timestamptz AND c.active LIMIT 1)) ORDER BY "
	    "o.agency, o.name), '[]'::json)::text FROM organisations o "
	    "WHERE o.active AND ($2 = '' OR o.agency = $2) AND ("
	    "o.duty_email IS NOT NULL OR o.duty_phone IS NOT NULL OR EXISTS "
	    "(SELECT 1 FROM duty_rota r WHERE r.organisation_id = o.id AND "
	    "r.starts_at <= $1::timestamptz AND r.ends_at > $1::timestamptz))",
	    2, p) != 0)
		return NULL;
	o = json_loads(db_res_get(&r, 0, 0), 0, NULL);
	db_res_free(&r);
	return o;
}

json_t *
rota_contacts(struct db *db, long id)
{
	char sid[ID_LEN];
	const char *p[1] = { sid };
	struct db_res r;
	json_t *o;

	snprintf(sid, sizeof(sid), "%ld", id);
	if (db_exec(db, &r, "SELECT coalesce(json_agg(json_build_object("
	    "'value', id::text, 'text', name) ORDER BY name, id), '[]'::json)"
	    "::text FROM contacts WHERE organisation_id = $1 AND active", 1,
	    p) != 0)
		return NULL;
	o = json_loads(db_res_get(&r, 0, 0), 0, NULL);
	db_res_free(&r);
	return o;
}
