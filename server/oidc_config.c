/*
 * oidc_config: each authority's identity provider settings in the
 * oidc_providers table. Written only by the operator's command line
 * (`convene oidc set`, main.c); read by the sign-in routes. The client
 * secret leaves this table only for the token request: the list the
 * sign-in page shows has the authority's code and name and nothing else.
 */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "db.h"
#include "oidc.h"
#include "str.h"

#define PROVIDER_COLUMNS "a.id, a.code, o.issuer, o.client_id, " \
	"o.client_secret, o.allowed_domains, o.role_claim, o.team_claim, " \
	"o.map_social_worker, o.map_manager, o.map_admin"

static void
fill(const struct db_res *r, struct oidc_provider *p)
{
	memset(p, 0, sizeof(*p));
	p->authority_id = db_res_long(r, 0, 0, 0);
	str_copy(p->authority_code, db_res_get(r, 0, 1),
	    sizeof(p->authority_code));
	str_copy(p->issuer, db_res_get(r, 0, 2), sizeof(p->issuer));
	str_copy(p->client_id, db_res_get(r, 0, 3), sizeof(p->client_id));
	str_copy(p->client_secret, db_res_get(r, 0, 4),
	    sizeof(p->client_secret));
	str_copy(p->allowed_domains, db_res_get(r, 0, 5),
	    sizeof(p->allowed_domains));
	str_copy(p->role_claim, db_res_get(r, 0, 6), sizeof(p->role_claim));
	str_copy(p->team_claim, db_res_get(r, 0, 7), sizeof(p->team_claim));
	str_copy(p->map_social_worker, db_res_get(r, 0, 8),
	    sizeof(p->map_social_worker));
	str_copy(p->map_manager, db_res_get(r, 0, 9), sizeof(p->map_manager));
	str_copy(p->map_admin, db_res_get(r, 0, 10), sizeof(p->map_admin));
}

int
oidc_provider_load(struct db *db, const char *code, long id,
    struct oidc_provider *p)
{
	struct db_res r;
	char sid[24];
	const char *prm[1];
	int rc;

	snprintf(sid, sizeof(sid), "%ld", id);
	prm[0] = code != NULL ? code : sid;
	if (db_exec(db, &r, code != NULL ?
	    "SELECT " PROVIDER_COLUMNS " FROM oidc_providers o JOIN "
	    "authorities a ON a.id = o.authority_id WHERE a.code = $1" :
	    "SELECT " PROVIDER_COLUMNS " FROM oidc_providers o JOIN "
	    "authorities a ON a.id = o.authority_id WHERE a.id = $1",
	    1, prm) != 0)
		return -1;
	rc = db_res_rows(&r) == 1 ? 0 : 1;
	if (rc == 0)
		fill(&r, p);
	db_res_free(&r);
	return rc;
}

static int
err_set(char *err, size_t errlen, const char *msg)
{
	str_copy(err, msg, errlen);
	return -1;
}

int
oidc_registration_check(const struct oidc_provider *p, char *err,
    size_t errlen)
{
	if (!oidc_url_allowed(p->issuer))
		return err_set(err, errlen, "--issuer: an https:// URL (or "
		    "http://127.0.0.1 for a provider on this machine)");
	if (p->client_id[0] == '\0' || str_has_ctl(p->client_id))
		return err_set(err, errlen, "--client-id: required");
	if (p->client_secret[0] == '\0' || str_has_ctl(p->client_secret))
		return err_set(err, errlen, "--client-secret-file: a file "
		    "holding the secret on one line");
	return 0;
}

int
oidc_registration_taken(struct db *db, const struct oidc_provider *p,
    int partner)
{
	struct db_res r;
	const char *prm[2] = { p->issuer, p->client_id };
	int n;

	/* Two constant statements: a table name cannot be a parameter. */
	if (db_exec(db, &r, partner ? "SELECT 1 FROM oidc_partner_providers "
	    "WHERE issuer = $1 AND client_id = $2" : "SELECT 1 FROM "
	    "oidc_providers WHERE issuer = $1 AND client_id = $2", 2,
	    prm) != 0)
		return -1;
	n = db_res_rows(&r);
	db_res_free(&r);
	return n > 0 ? 1 : 0;
}

/* Checks in C before the write, each naming its option. */
static int
validate(const struct oidc_provider *p, char *err, size_t errlen)
{
	const char *d = p->allowed_domains;

	if (strspn(p->authority_code, "abcdefghijklmnopqrstuvwxyz0123456789_-")
	    != strlen(p->authority_code) || p->authority_code[0] == '\0')
		return err_set(err, errlen, "AUTHORITY: a code of a-z, 0-9, "
		    "_ and -");
	if (oidc_registration_check(p, err, errlen) != 0)
		return -1;
	if (d[0] == '\0' || strspn(d, "abcdefghijklmnopqrstuvwxyz0123456789"
	    ".,-") != strlen(d))
		return err_set(err, errlen, "--allowed-domains: lower-case "
		    "domains separated by commas");
	if (p->role_claim[0] == '\0' || strspn(p->role_claim,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	    "_:./-") != strlen(p->role_claim))
		return err_set(err, errlen, "--role-claim: a claim name");
	if (strspn(p->team_claim, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_:./-") !=
	    strlen(p->team_claim))
		return err_set(err, errlen, "--team-claim: a claim name");
	if (p->map_social_worker[0] == '\0' && p->map_manager[0] == '\0' &&
	    p->map_admin[0] == '\0')
		return err_set(err, errlen, "--map: at least one of "
		    "social_worker=VALUE, manager=VALUE, admin=VALUE");
	if ((p->map_social_worker[0] != '\0' || p->map_manager[0] != '\0') &&
	    p->team_claim[0] == '\0')
		return err_set(err, errlen, "--team-claim: required when staff "
		    "roles are mapped (their team comes from it)");
	return 0;
}

int
oidc_provider_save(struct db *db, struct oidc_provider *p, char *err,
    size_t errlen)
{
	struct db_res r;
	json_t *after = NULL;
	const char *prm[10];
	int rc, result = -1;

	db_res_init(&r);
	if (validate(p, err, errlen) != 0)
		return -1;
	if (db_begin(db) != 0)
		goto fail;
	prm[0] = p->authority_code;
	if (db_exec(db, &r, "WITH i AS (INSERT INTO authorities (code, name) "
	    "VALUES ($1, $1) ON CONFLICT (code) DO NOTHING RETURNING id) "
	    "SELECT id FROM i UNION ALL SELECT id FROM authorities WHERE "
	    "code = $1 LIMIT 1", 1, prm) != 0 || db_res_rows(&r) != 1)
		goto fail;
	/* One registration never serves partners and staff (sql/040). */
	if ((rc = oidc_registration_taken(db, p, 1)) < 0)
		goto fail;
	if (rc > 0) {
		err_set(err, errlen, "--client-id: this registration is a "
		    "partner organisation's sign-in; register a separate client "
		    "for staff");
		goto out;
	}
	prm[0] = db_res_get(&r, 0, 0);
	prm[1] = p->issuer;
	prm[2] = p->client_id;
	prm[3] = p->client_secret;
	prm[4] = p->allowed_domains;
	prm[5] = p->role_claim;
	prm[6] = p->team_claim;
	prm[7] = p->map_social_worker;
	prm[8] = p->map_manager;
	prm[9] = p->map_admin;
	if (db_cmd(db, "INSERT INTO oidc_providers (authority_id, issuer, "
	    "client_id, client_secret, allowed_domains, role_claim, team_claim, "
	    "map_social_worker, map_manager, map_admin) VALUES ($1, $2, $3, $4, "
	    "$5, $6, $7, $8, $9, $10) ON CONFLICT (authority_id) DO UPDATE SET "
	    "issuer = $2, client_id = $3, client_secret = $4, allowed_domains = "
	    "$5, role_claim = $6, team_claim = $7, map_social_worker = $8, "
	    "map_manager = $9, map_admin = $10, updated_at = now()", 10,
	    prm) != 0)
		goto fail;
	p->authority_id = db_res_long(&r, 0, 0, 0);
	/* The audit entry names the issuer, never the secret. */
	after = json_pack("{s:s, s:s}", "issuer", p->issuer, "client_id",
	    p->client_id);
	if (audit_record(db, NULL, "oidc.configure", "authority",
	    p->authority_id, NULL, after) != 0 || db_commit(db) != 0)
		goto fail;
	result = 0;
	goto out;
fail:
	err_set(err, errlen, "could not store the provider");
out:
	db_rollback(db);
	json_decref(after);
	db_res_free(&r);
	return result;
}

int
oidc_provider_remove(struct db *db, const char *code)
{
	struct db_res r;
	const char *prm[1] = { code };
	int result = -1;

	db_res_init(&r);
	if (db_begin(db) != 0 ||
	    db_exec(db, &r, "DELETE FROM oidc_providers o USING authorities a "
	    "WHERE a.id = o.authority_id AND a.code = $1 RETURNING a.id", 1,
	    prm) != 0)
		goto out;
	if (db_res_rows(&r) == 0) {
		result = 1;
		goto out;
	}
	if (audit_record(db, NULL, "oidc.remove", "authority",
	    db_res_long(&r, 0, 0, 0), NULL, NULL) != 0 || db_commit(db) != 0)
		goto out;
	result = 0;
out:
	db_rollback(db);
	db_res_free(&r);
	return result;
}

json_t *
oidc_provider_list(struct db *db)
{
	struct db_res r;
	json_t *a;
	int i, n;

	if (db_exec(db, &r, "SELECT a.code, a.name FROM oidc_providers o JOIN "
	    "authorities a ON a.id = o.authority_id ORDER BY a.name", 0,
	    NULL) != 0)
		return NULL;
	a = json_array();
	n = db_res_rows(&r);
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "authority",
		    db_res_get(&r, i, 0), "name", db_res_get(&r, i, 1)));
	db_res_free(&r);
	return a;
}
