/*
 * oidc_cli: `convene oidc set|remove|list`, the operator's way to connect
 * an authority to its identity provider, and `convene oidc partner-set|
 * partner-remove|partner-list` for a partner organisation's
 * (docs/operations.md, docs/partners.md). The client
 * secret is read from a file, so it is in no shell history nor process
 * list, and is never printed back.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "db.h"
#include "oidc.h"
#include "str.h"

static const char *const flags[] = {
	"--issuer", "--client-id", "--client-secret-file", "--allowed-domains",
	"--role-claim", "--team-claim", "--map"
};

int
oidc_cli_flag(struct oidc_cli *o, const char *flag, const char *val,
    char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(flag, flags[i]) == 0)
			break;
	if (i == sizeof(flags) / sizeof(flags[0]))
		return 0;
	if (val == NULL) {
		snprintf(err, errlen, "%s needs a value", flag);
		return -1;
	}
	switch (i) {
	case 0: o->issuer = val; break;
	case 1: o->client_id = val; break;
	case 2: o->secret_file = val; break;
	case 3: o->domains = val; break;
	case 4: o->role_claim = val; break;
	case 5: o->team_claim = val; break;
	default:
		if (o->nmap >= 3) {
			snprintf(err, errlen, "--map: at most three (one per "
			    "role)");
			return -1;
		}
		o->map[o->nmap++] = val;
	}
	return 1;
}

/* The secret: the file's first line, without its newline. */
static int
read_secret(const char *path, char *out, size_t outlen)
{
	FILE *f;
	size_t n;
	int result = -1;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(out, (int)outlen, f) == NULL)
		goto out;
	n = strcspn(out, "\r\n");
	/* A line longer than the buffer is refused, not cut. */
	if (out[n] == '\0' && !feof(f))
		goto out;
	out[n] = '\0';
	result = n > 0 ? 0 : -1;
out:
	fclose(f);
	return result;
}

static int
set_map(struct oidc_provider *p, const char *m)
{
	const char *eq = strchr(m, '=');
	char *dst;
	size_t len, dlen;

	if (eq == NULL || eq[1] == '\0')
		return -1;
	len = (size_t)(eq - m);
	if (len == 13 && strncmp(m, "social_worker", len) == 0) {
		dst = p->map_social_worker;
		dlen = sizeof(p->map_social_worker);
	} else if (len == 7 && strncmp(m, "manager", len) == 0) {
		dst = p->map_manager;
		dlen = sizeof(p->map_manager);
	} else if (len == 5 && strncmp(m, "admin", len) == 0) {
		dst = p->map_admin;
		dlen = sizeof(p->map_admin);
	} else
		return -1;
	return str_copy(dst, eq + 1, dlen) >= dlen || str_has_ctl(eq + 1) ?
	    -1 : 0;
}

static int
cli_fail(const char *msg)
{
	fprintf(stderr, "convene: %s\n", msg);
	return 1;
}

static int
cmd_set(struct db *db, const char *code, const struct oidc_cli *o)
{
	struct oidc_provider p;
	char err[256];
	int i, result = 1;

	memset(&p, 0, sizeof(p));
	if (o->issuer == NULL || o->client_id == NULL || o->secret_file ==
	    NULL || o->domains == NULL || o->nmap == 0) {
		result = cli_fail("usage: convene oidc set AUTHORITY --issuer URL "
		    "--client-id ID --client-secret-file PATH --allowed-domains "
		    "a,b [--role-claim NAME] [--team-claim NAME] --map "
		    "ROLE=VALUE ...");
		goto out;
	}
	if (str_copy(p.authority_code, code, sizeof(p.authority_code)) >=
	    sizeof(p.authority_code) ||
	    str_copy(p.issuer, o->issuer, sizeof(p.issuer)) >= sizeof(p.issuer) ||
	    str_copy(p.client_id, o->client_id, sizeof(p.client_id)) >=
	    sizeof(p.client_id) ||
	    str_copy(p.allowed_domains, o->domains, sizeof(p.allowed_domains)) >=
	    sizeof(p.allowed_domains)) {
		result = cli_fail("AUTHORITY, --issuer, --client-id or "
		    "--allowed-domains: too long");
		goto out;
	}
	str_copy(p.role_claim, o->role_claim ? o->role_claim : "groups",
	    sizeof(p.role_claim));
	if (o->team_claim != NULL && str_copy(p.team_claim, o->team_claim,
	    sizeof(p.team_claim)) >= sizeof(p.team_claim)) {
		result = cli_fail("--team-claim: too long");
		goto out;
	}
	for (i = 0; i < o->nmap; i++)
		if (set_map(&p, o->map[i]) != 0) {
			result = cli_fail("--map: ROLE=VALUE, ROLE one of "
			    "social_worker, manager, admin");
			goto out;
		}
	if (read_secret(o->secret_file, p.client_secret,
	    sizeof(p.client_secret)) != 0) {
		result = cli_fail("--client-secret-file: could not read a secret "
		    "(one line, at most 1024 bytes) from that file");
		goto out;
	}
	if (oidc_provider_save(db, &p, err, sizeof(err)) != 0) {
		result = cli_fail(err);
		goto out;
	}
	printf("single sign-on set for %s (issuer %s)\n", p.authority_code,
	    p.issuer);
	result = 0;
out:
	sodium_memzero(&p, sizeof(p));
	return result;
}

/* The organisation named on the command line: 0 with *org_id, else the
 * exit status with the message printed. */
static int
org_of(struct db *db, const char *ref, long *org_id)
{
	int rc = oidc_partner_org_find(db, ref, org_id);

	if (rc < 0)
		return cli_fail("could not read the directory");
	if (rc == 1)
		return cli_fail("ORGANISATION: no organisation of the "
		    "directory has that id or name");
	if (rc == 2)
		return cli_fail("ORGANISATION: several organisations have that "
		    "name (one per agency); give its id");
	return 0;
}

/* `convene oidc partner-set ORGANISATION --issuer URL --client-id ID
 * --client-secret-file PATH`: no domains, roles or teams, which are
 * staff settings and mean nothing for a partner. */
static int
cmd_partner_set(struct db *db, const char *ref, const struct oidc_cli *o)
{
	struct oidc_provider p;
	char err[256];
	long org = 0;
	int result = 1;

	memset(&p, 0, sizeof(p));
	if (o->issuer == NULL || o->client_id == NULL || o->secret_file ==
	    NULL || o->domains != NULL || o->role_claim != NULL ||
	    o->team_claim != NULL || o->nmap != 0) {
		result = cli_fail("usage: convene oidc partner-set "
		    "ORGANISATION --issuer URL --client-id ID "
		    "--client-secret-file PATH (no --allowed-domains, "
		    "--role-claim, --team-claim or --map: a partner provider "
		    "gives no staff access)");
		goto out;
	}
	if ((result = org_of(db, ref, &org)) != 0)
		goto out;
	result = 1;
	if (str_copy(p.issuer, o->issuer, sizeof(p.issuer)) >=
	    sizeof(p.issuer) || str_copy(p.client_id, o->client_id,
	    sizeof(p.client_id)) >= sizeof(p.client_id)) {
		result = cli_fail("--issuer or --client-id: too long");
		goto out;
	}
	if (read_secret(o->secret_file, p.client_secret,
	    sizeof(p.client_secret)) != 0) {
		result = cli_fail("--client-secret-file: could not read a "
		    "secret (one line, at most 1024 bytes) from that file");
		goto out;
	}
	if (oidc_partner_save(db, org, &p, err, sizeof(err)) != 0) {
		result = cli_fail(err);
		goto out;
	}
	printf("partner single sign-on set for organisation %ld (issuer %s)\n",
	    org, p.issuer);
	result = 0;
out:
	sodium_memzero(&p, sizeof(p));
	return result;
}

static int
cmd_partner_remove(struct db *db, const char *ref)
{
	long org = 0;
	int rc;

	if ((rc = org_of(db, ref, &org)) != 0)
		return rc;
	if ((rc = oidc_partner_remove(db, org)) < 0)
		return cli_fail("could not remove the provider");
	printf(rc == 0 ? "partner single sign-on removed for organisation "
	    "%ld\n" : "organisation %ld had no single sign-on\n", org);
	return 0;
}

static int
cmd_partner_list(struct db *db)
{
	json_t *a, *e;
	size_t i;

	if ((a = oidc_partner_list(db)) == NULL)
		return cli_fail("could not read the providers");
	json_array_foreach(a, i, e)
		printf("%" JSON_INTEGER_FORMAT "\t%s\t%s\t%s\n",
		    json_integer_value(json_object_get(e, "id")),
		    json_string_value(json_object_get(e, "agency")),
		    json_string_value(json_object_get(e, "name")),
		    json_string_value(json_object_get(e, "issuer")));
	json_decref(a);
	return 0;
}

int
oidc_cli_run(struct db *db, int argc, char **argv, const struct oidc_cli *o)
{
	const char *verb = argc > 1 ? argv[1] : "";
	json_t *a, *e;
	size_t i;
	int rc;

	if (strcmp(verb, "set") == 0 && argc == 3)
		return cmd_set(db, argv[2], o);
	if (strcmp(verb, "remove") == 0 && argc == 3) {
		rc = oidc_provider_remove(db, argv[2]);
		if (rc < 0)
			return cli_fail("could not remove the provider");
		printf(rc == 0 ? "single sign-on removed for %s\n" :
		    "%s had no single sign-on\n", argv[2]);
		return 0;
	}
	if (strcmp(verb, "list") == 0 && argc == 2) {
		if ((a = oidc_provider_list(db)) == NULL)
			return cli_fail("could not read the providers");
		json_array_foreach(a, i, e)
			printf("%s\n", json_string_value(json_object_get(e,
			    "authority")));
		json_decref(a);
		return 0;
	}
	if (strcmp(verb, "partner-set") == 0 && argc == 3)
		return cmd_partner_set(db, argv[2], o);
	if (strcmp(verb, "partner-remove") == 0 && argc == 3)
		return cmd_partner_remove(db, argv[2]);
	if (strcmp(verb, "partner-list") == 0 && argc == 2)
		return cmd_partner_list(db);
	return cli_fail("usage: convene oidc set AUTHORITY ... | oidc remove "
	    "AUTHORITY | oidc list | oidc partner-set ORGANISATION ... | oidc "
	    "partner-remove ORGANISATION | oidc partner-list");
}
