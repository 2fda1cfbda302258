/*
 * fuzz_oidc: libFuzzer target for what single sign-on reads from the
 * identity provider (server/oidc.c). The first byte chooses:
 *   even: the rest is an id_token, verified by oidc_jws_verify against a
 *         key set made at start (an RSA and an EC key from libcjose);
 *   odd:  the rest is a claims document (JSON), checked by
 *         oidc_claims_check, oidc_map_role and oidc_email_domain_ok.
 *
 * Properties checked beyond memory safety: a random token is never valid
 * (it would need a signature by our fresh keys); claims that pass have
 * exactly the expected iss and nonce, an aud naming the client, and an exp
 * (a NumericDate: integer or not) not in the past beyond the skew; a mapped role is one of the three.
 *
 *   ./scripts/fuzz.sh 600 fuzz_oidc
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <jansson.h>

#include "oidc.h"
#include "str.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW	1800000000L

static json_t *jwks;
static char *signed_token;	/* RS256, kid k1, by the RSA key */
static struct oidc_provider prov;

static void
sign_token(const cjose_jwk_t *k)
{
	static const char payload[] = "{\"sub\":\"s1\"}";
	cjose_err err;
	cjose_header_t *h = cjose_header_new(&err);
	cjose_jws_t *jws;
	const char *ser;

	if (h == NULL || !cjose_header_set(h, CJOSE_HDR_ALG, "RS256", &err) ||
	    !cjose_header_set(h, CJOSE_HDR_KID, "k1", &err) ||
	    (jws = cjose_jws_sign(k, h, (const uint8_t *)payload,
	    strlen(payload), &err)) == NULL ||
	    !cjose_jws_export(jws, &ser, &err) ||
	    (signed_token = strdup(ser)) == NULL)
		abort();
	cjose_jws_release(jws);
	cjose_header_release(h);
}

static void
add_key(json_t *keys, cjose_jwk_t *k, const char *kid)
{
	cjose_err err;
	char *pub = cjose_jwk_to_json(k, false, &err);
	json_t *j = pub != NULL ? json_loads(pub, 0, NULL) : NULL;

	if (j == NULL)
		abort();
	free(pub);
	json_object_set_new(j, "kid", json_string(kid));
	json_array_append_new(keys, j);
	cjose_jwk_release(k);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const uint8_t e[] = { 1, 0, 1 };
	cjose_err err;
	json_t *keys = json_array();

	(void)argc;
	(void)argv;
	cjose_jwk_t *rsa = cjose_jwk_create_RSA_random(2048, e, sizeof(e),
	    &err);

	if (rsa == NULL)
		abort();
	sign_token(rsa);
	add_key(keys, rsa, "k1");
	add_key(keys, cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err),
	    "e1");
	jwks = json_pack("{s:o}", "keys", keys);
	str_copy(prov.role_claim, "groups", sizeof(prov.role_claim));
	str_copy(prov.map_social_worker, "sw", sizeof(prov.map_social_worker));
	str_copy(prov.map_manager, "mgr", sizeof(prov.map_manager));
	str_copy(prov.map_admin, "adm", sizeof(prov.map_admin));
	return 0;
}

static void
claims(const char *s, size_t n)
{
	struct oidc_expect ex = { "https://idp.example", "client", "n0nce", NOW,
	    OIDC_SKEW_SECONDS };
	enum auth_role role;
	json_t *c = json_loadb(s, n, 0, NULL), *aud;
	const char *email;
	char why[100];

	if (c == NULL)
		return;
	if (oidc_claims_check(c, &ex, why, sizeof(why)) == 0) {
		aud = json_object_get(c, "aud");
		if (strcmp(json_string_value(json_object_get(c, "iss")),
		    ex.issuer) != 0 ||
		    strcmp(json_string_value(json_object_get(c, "nonce")),
		    ex.nonce) != 0 || aud == NULL ||
		    json_number_value(json_object_get(c, "exp")) +
		    OIDC_SKEW_SECONDS <= (double)NOW)
			abort();
	} else if (why[0] == '\0')
		abort();
	if (oidc_map_role(c, &prov, &role) == 0 && role != ROLE_SOCIAL_WORKER &&
	    role != ROLE_MANAGER && role != ROLE_ADMIN)
		abort();
	email = json_string_value(json_object_get(c, "email"));
	if (oidc_email_domain_ok(email, "north.gov.uk,x.org") &&
	    strchr(email, '@') == NULL)
		abort();
	json_decref(c);
}

static void
key(const char *s, size_t n)
{
	json_t *k = json_loadb(s, n, 0, NULL), *set, *c = NULL;
	char why[100];

	if (!json_is_object(k)) {
		json_decref(k);
		return;
	}
	json_object_set_new(k, "kid", json_string("k1"));
	set = json_pack("{s:[o]}", "keys", k);
	if (oidc_jws_verify(signed_token, set, &c, why, sizeof(why)) == 0 &&
	    !json_is_object(c))
		abort();
	json_decref(c);
	json_decref(set);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *c = NULL;
	char *s, why[100];

	if (size < 1 || size > 65536)
		return 0;
	if ((s = malloc(size)) == NULL)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	if (data[0] % 3 == 0) {
		if (oidc_jws_verify(s, jwks, &c, why, sizeof(why)) == 0)
			abort();	/* forged a signature by our keys? */
	} else if (data[0] % 3 == 1)
		claims(s, size - 1);
	else
		key(s, size - 1);
	free(s);
	return 0;
}
