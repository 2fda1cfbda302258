/*
 * oidc_partner: the identity providers of partners' organisations (a
 * police force's Entra ID, a trust's), in oidc_partner_providers
 * (sql/040). Written only by the operator's command line (`convene oidc
 * partner-set`); read by the partner sign-in routes (web_partner_sso.c).
 * Kept apart from the staff providers (oidc_config.c): nothing here is
 * read by the staff sign-in, and nothing of the staff providers by the
 * partner sign-in. The client secret leaves the table only for the token
 * request.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "db.h"
#include "oidc.h"
#include "str.h"

static int
err_set(char *err, size_t errlen, const char *msg)
{
	str_copy(err, msg, errlen);
	return -1;
}

int
oidc_partner_org_find(struct db *db, const char *ref, long *org_id)
{
	struct db_res r;
	const char *prm[1] = { ref };
	int n, result = -1;

	if (ref == NULL || ref[0] == '\0' || strlen(ref) > 200)
		return 1;
	if (strspn(ref, "0123456789") == strlen(ref) && strlen(ref) < 19) {
		if (db_exec(db, &r, "SELECT id FROM organisations WHERE id = "
		    "$1::bigint", 1, prm) != 0)
			return -1;
	} else if (db_exec(db, &r, "SELECT id FROM organisations WHERE name = "
	    "$1 LIMIT 2", 1, prm) != 0)
		return -1;
	n = db_res_rows(&r);
	if (n == 1) {
		*org_id = db_res_long(&r, 0, 0, 0);
		result = 0;
	} else
		result = n == 0 ? 1 : 2;
	db_res_free(&r);
	return result;
}

int
oidc_partner_load(struct db *db, long org_id, struct oidc_provider *p,
    char *name, size_t namelen)
{
	struct db_res r;
	char oid[24];
	const char *prm[1] = { oid };
	int result = 1;

	snprintf(oid, sizeof(oid), "%ld", org_id);
	if (db_exec(db, &r, "SELECT o.issuer, o.client_id, o.client_secret, "
	    "g.name FROM oidc_partner_providers o JOIN organisations g ON g.id "
	    "= o.organisation_id WHERE o.organisation_id = $1 AND g.active", 1,
	    prm) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		memset(p, 0, sizeof(*p));
		str_copy(p->issuer, db_res_get(&r, 0, 0), sizeof(p->issuer));
		str_copy(p->client_id, db_res_get(&r, 0, 1),
		    sizeof(p->client_id));
		str_copy(p->client_secret, db_res_get(&r, 0, 2),
		    sizeof(p->client_secret));
		/* For the log lines of oidc.c: which organisation. */
		snprintf(p->authority_code, sizeof(p->authority_code),
		    "organisation %ld", org_id);
		if (name != NULL)
			str_copy(name, db_res_get(&r, 0, 3), namelen);
		result = 0;
	}
	db_res_free(&r);
	return result;
}

int
oidc_partner_for_contact(struct db *db, long contact_id, long *org_id,
    char *name, size_t namelen)
{
	struct db_res r;
	char cid[24];
	const char *prm[1] = { cid };
	int result = 1;

	snprintf(cid, sizeof(cid), "%ld", contact_id);
	if (db_exec(db, &r, "SELECT g.id, g.name FROM contacts c JOIN "
	    "organisations g ON g.id = c.organisation_id JOIN "
	    "oidc_partner_providers o ON o.organisation_id = g.id WHERE c.id = "
	    "$1 AND c.active AND g.active", 1, prm) != 0)
		return -1;
	if (db_res_rows(&r) == 1) {
		*org_id = db_res_long(&r, 0, 0, 0);
		str_copy(name, db_res_get(&r, 0, 1), namelen);
		result = 0;
	}
	db_res_free(&r);
	return result;
}

static int
refuse(char *why, size_t whylen, const char *msg)
{
	str_copy(why, msg, whylen);
	return 1;
}

int
oidc_partner_email_ok(const json_t *claims, const char *directory_email,
    char *why, size_t whylen)
{
	const char *email = json_string_value(json_object_get(claims, "email"));

	if (email == NULL || email[0] == '\0' || strlen(email) > 254 ||
	    str_has_ctl(email))
		return refuse(why, whylen, "no usable email claim");
	if (json_is_false(json_object_get(claims, "email_verified")))
		return refuse(why, whylen, "email_verified is false");
	if (directory_email == NULL ||
	    strcasecmp(directory_email, email) != 0)
		return refuse(why, whylen, "the email is not the invited "
		    "contact's");
	return 0;
}

int
oidc_partner_save(struct db *db, long org_id, const struct oidc_provider *p,
    char *err, size_t errlen)
{
	json_t *after = NULL;
	char oid[24];
	const char *prm[4] = { oid, p->issuer, p->client_id,
	    p->client_secret };
	int rc, result = -1;

	if (oidc_registration_check(p, err, errlen) != 0)
		return -1;
	snprintf(oid, sizeof(oid), "%ld", org_id);
	if (db_begin(db) != 0 || (rc = oidc_registration_taken(db, p, 0)) < 0)
		goto fail;
	if (rc > 0) {
		err_set(err, errlen, "--client-id: this registration is a "
		    "council's staff sign-in; register a separate client for "
		    "the partner organisation");
		goto out;
	}
	if (db_cmd(db, "INSERT INTO oidc_partner_providers (organisation_id, "
	    "issuer, client_id, client_secret) VALUES ($1, $2, $3, $4) ON "
	    "CONFLICT (organisation_id) DO UPDATE SET issuer = $2, client_id = "
	    "$3, client_secret = $4, updated_at = now()", 4, prm) != 0)
		goto fail;
	/* The audit entry names the issuer, never the secret. */
	after = json_pack("{s:s, s:s}", "issuer", p->issuer, "client_id",
	    p->client_id);
	if (audit_record(db, NULL, "oidc.partner_configure", "organisation",
	    org_id, NULL, after) != 0 || db_commit(db) != 0)
		goto fail;
	result = 0;
	goto out;
fail:
	err_set(err, errlen, "could not store the provider");
out:
	db_rollback(db);
	json_decref(after);
	return result;
}

int
oidc_partner_remove(struct db *db, long org_id)
{
	struct db_res r;
	char oid[24];
	const char *prm[1] = { oid };
	int result = -1;

	db_res_init(&r);
	snprintf(oid, sizeof(oid), "%ld", org_id);
	if (db_begin(db) != 0 ||
	    db_exec(db, &r, "DELETE FROM oidc_partner_providers WHERE "
	    "organisation_id = $1 RETURNING 1", 1, prm) != 0)
		goto out;
	if (db_res_rows(&r) == 0) {
		result = 1;
		goto out;
	}
	if (db_cmd(db, "DELETE FROM oidc_partner_pending WHERE "
	    "organisation_id = $1", 1, prm) != 0 ||
	    audit_record(db, NULL, "oidc.partner_remove", "organisation",
	    org_id, NULL, NULL) != 0 || db_commit(db) != 0)
		goto out;
	result = 0;
out:
	db_rollback(db);
	db_res_free(&r);
	return result;
}

json_t *
oidc_partner_list(struct db *db)
{
	struct db_res r;
	json_t *a;
	int i, n;

	if (db_exec(db, &r, "SELECT g.id, g.name, g.agency, o.issuer FROM "
	    "oidc_partner_providers o JOIN organisations g ON g.id = "
	    "o.organisation_id ORDER BY g.name", 0, NULL) != 0)
		return NULL;
	a = json_array();
	n = db_res_rows(&r);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s}", "id",
		    (json_int_t)db_res_long(&r, i, 0, 0), "name",
		    db_res_get(&r, i, 1), "agency", db_res_get(&r, i, 2),
		    "issuer", db_res_get(&r, i, 3)));
	db_res_free(&r);
	return a;
}
