/*
 * oidc: OpenID Connect (authorisation code + PKCE) against an authority's
 * own identity provider: its settings in PostgreSQL, discovery and JWKS
 * fetched with libcurl and cached per process, the token request, and the
 * id_token checks (signature with libcjose; iss, aud, azp, exp, iat, nbf,
 * nonce). The pure checks are public so the unit tests reach them.
 * docs/sso.md says what is checked and why.
 */
#ifndef CONVENE_OIDC_H
#define CONVENE_OIDC_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>

#include "auth.h"

struct db;

#define OIDC_URL_MAX		512
#define OIDC_SKEW_SECONDS	120	/* clock skew allowed on exp/iat/nbf */
#define OIDC_PENDING_SECONDS	600	/* a sign-in's life at the provider */
#define OIDC_FETCH_MAX		(256 * 1024)	/* bytes of any response */
#define OIDC_CONNECT_TIMEOUT	3	/* seconds: a worker waits this long */
#define OIDC_TIMEOUT		5	/* seconds, whole request */
#define OIDC_CACHE_SECONDS	3600	/* discovery and JWKS kept this long */
#define OIDC_REFETCH_SECONDS	5	/* at most one JWKS fetch per issuer in
					   this time on an unknown kid */
#define OIDC_TOKEN_MAX		16384	/* bytes of an id_token */
#define OIDC_RANDOM_LEN		43	/* 32 random bytes, base64url */

/* One authority's provider, as `convene oidc set` stored it. */
struct oidc_provider {
	long	 authority_id;
	char	 authority_code[65];
	char	 issuer[OIDC_URL_MAX + 1];
	char	 client_id[257];
	char	 client_secret[1025];
	char	 allowed_domains[1025];
	char	 role_claim[65];
	char	 team_claim[65];
	char	 map_social_worker[257];
	char	 map_manager[257];
	char	 map_admin[257];
};

/* What an id_token must say. */
struct oidc_expect {
	const char	*issuer;
	const char	*client_id;
	const char	*nonce;
	time_t		 now;
	long		 skew;		/* seconds */
};

/* 1 when url is one we may call: https://, or http://127.0.0.1[:PORT]/
 * (loopback only, for the tests and a local provider; docs/sso.md). */
int	 oidc_url_allowed(const char *url);
/* 32 random bytes as base64url without padding into out (outlen >=
 * OIDC_RANDOM_LEN + 1). 0 on success. */
int	 oidc_random(char *out, size_t outlen);
/* The PKCE S256 challenge of verifier: base64url(SHA-256(verifier)). */
int	 oidc_pkce_challenge(const char *verifier, char *out, size_t outlen);
/* 1 when email is local@domain with domain (case-blind) exactly one of the
 * comma-separated allowed list; 0 otherwise (an empty list allows none). */
int	 oidc_email_domain_ok(const char *email, const char *allowed);
/* Check the claims of a verified id_token against e. 0 when they pass;
 * -1 with a short reason (no claim values) in why. */
int	 oidc_claims_check(const json_t *claims, const struct oidc_expect *e,
	    char *why, size_t whylen);
/* The role the claims map to under p (role_claim holds a string or an
 * array of strings; admin, then manager, then social worker wins).
 * 0 mapped, 1 when none. */
int	 oidc_map_role(const json_t *claims, const struct oidc_provider *p,
	    enum auth_role *role);
/*
 * Verify the compact JWS jwt against the key set jwks (a JSON object with
 * "keys"): alg RS256 or ES256 only, a kid naming a key of the matching type.
 * 0 valid, *claims set (caller owns); 1 no key has that kid (fetch the set
 * again); -1 invalid, with a short reason in why.
 */
int	 oidc_jws_verify(const char *jwt, const json_t *jwks, json_t **claims,
	    char *why, size_t whylen);

/* The provider of the authority with this code (or, code NULL, of id);
 * 0 found, 1 none, -1 database error. */
int	 oidc_provider_load(struct db *db, const char *code, long id,
	    struct oidc_provider *p);
/* Store p for authority p->authority_code (made when missing), in one
 * transaction with its audit entry. 0, or -1 with err set. */
/* The issuer, client id and secret of a registration, each checked and
 * named by its option; 0 or -1 with err set. */
int	 oidc_registration_check(const struct oidc_provider *p, char *err,
	    size_t errlen);
/* 1 when a partner (partner != 0) or staff provider already has p's issuer
 * and client id: one registration may not serve both. 0 not, -1 error. */
int	 oidc_registration_taken(struct db *db, const struct oidc_provider *p,
	    int partner);
int	 oidc_provider_save(struct db *db, struct oidc_provider *p,
	    char *err, size_t errlen);
/* Remove the authority's provider; 0, 1 when there was none, -1. */
int	 oidc_provider_remove(struct db *db, const char *code);
/* The configured providers, [{authority, name}] for the sign-in page
 * (caller owns); NULL on error. Nothing secret. */
json_t	*oidc_provider_list(struct db *db);

/*
 * Partners' organisations (oidc_partner.c, sql/040): providers kept apart
 * from the staff ones above. Only issuer, client_id and client_secret of
 * struct oidc_provider are used; authority_code holds "organisation N"
 * for the log lines.
 */
/* The organisation named by ref (its id, or its exact name): 0 with
 * *org_id, 1 none, 2 the name is several organisations', -1 error. */
int	 oidc_partner_org_find(struct db *db, const char *ref, long *org_id);
/* The provider of organisation org_id (and the organisation's name into
 * name when not NULL): 0 found, 1 none, -1 error. */
int	 oidc_partner_load(struct db *db, long org_id, struct oidc_provider *p,
	    char *name, size_t namelen);
/* The partner provider of contact_id's organisation: 0 with *org_id and
 * the organisation's name, 1 none, -1 error. */
int	 oidc_partner_for_contact(struct db *db, long contact_id,
	    long *org_id, char *name, size_t namelen);
/* Store p for org_id with its audit entry, one transaction; refused when
 * a staff provider has the same issuer and client id. 0, or -1 with err
 * set. */
int	 oidc_partner_save(struct db *db, long org_id,
	    const struct oidc_provider *p, char *err, size_t errlen);
/* Remove org_id's provider (and its sign-ins under way); 0, 1 when there
 * was none, -1. */
int	 oidc_partner_remove(struct db *db, long org_id);
/* Whether verified claims name the invitee whose directory address is
 * directory_email: a usable "email" equal to it ignoring case, and
 * "email_verified" not false (absent is accepted, as Entra ID sends none).
 * 0 yes; 1 no, with a reason naming no value in why. */
int	 oidc_partner_email_ok(const json_t *claims,
	    const char *directory_email, char *why, size_t whylen);
/* [{id, name, agency, issuer}] (caller owns); NULL on error. */
json_t	*oidc_partner_list(struct db *db);

/* The provider's endpoints from discovery (cached); 0 on success. */
int	 oidc_discover(const char *issuer, char *authz, char *token,
	    size_t len);
/* Exchange code for the token response's id_token (caller frees);
 * NULL with a reason in why. */
char	*oidc_token_request(const struct oidc_provider *p, const char *code,
	    const char *redirect_uri, const char *verifier, char *why,
	    size_t whylen);
/* Verify jwt with the issuer's keys (cached; fetched again once on an
 * unknown kid, at most every OIDC_REFETCH_SECONDS) and check its claims.
 * 0 with *claims (caller owns), -1 with a reason in why. */
int	 oidc_id_token_check(const struct oidc_provider *p, const char *jwt,
	    const char *nonce, json_t **claims, char *why, size_t whylen);

/* The command line's `convene oidc ...` options, gathered by main.c. */
struct oidc_cli {
	const char	*issuer, *client_id, *secret_file, *domains;
	const char	*role_claim, *team_claim;
	const char	*map[3];	/* social_worker, manager, admin */
	int		 nmap;
};

/* Take one of the oidc options (flag and its value): 1 taken, 0 not an
 * oidc option, -1 with err set. */
int	 oidc_cli_flag(struct oidc_cli *o, const char *flag, const char *val,
	    char *err, size_t errlen);
/* Run `convene oidc set|remove|list` (argv[0] is "oidc"); exit status. */
int	 oidc_cli_run(struct db *db, int argc, char **argv,
	    const struct oidc_cli *o);

#endif
