/*
 * Unit tests for oidc's pure parts: which URLs may be called, PKCE S256,
 * the random values, the email domain check, every claim check at and
 * around its limit, role mapping, and signature verification with keys
 * made here by libcjose (valid, unknown kid, tampered, alg none, HS256
 * keyed with the public key, a key of the wrong type), and the partner
 * single sign-on's email rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjose/cjose.h>
#include <jansson.h>
#include <sodium.h>

#include "oidc.h"
#include "str.h"

#define NOW	1800000000L

static void
test_url_allowed(void **state)
{
	(void)state;
	assert_true(oidc_url_allowed("https://login.microsoftonline.com/t/v2.0"));
	assert_true(oidc_url_allowed("http://127.0.0.1:8000"));
	assert_true(oidc_url_allowed("http://127.0.0.1/x"));
	assert_false(oidc_url_allowed("http://127.0.0.1.evil.example/"));
	assert_false(oidc_url_allowed("http://localhost:8000"));
	assert_false(oidc_url_allowed("http://idp.example"));
	assert_false(oidc_url_allowed("https:///x"));
	assert_false(oidc_url_allowed("ftp://x"));
	assert_false(oidc_url_allowed("https://a b"));
	assert_false(oidc_url_allowed("https://a\r\nb"));
	assert_false(oidc_url_allowed(NULL));
}

static void
test_pkce(void **state)
{
	char out[64];

	(void)state;
	/* Expected value computed independently: base64url(sha256(v)) with
	 * Python's hashlib. */
	assert_int_equal(oidc_pkce_challenge(
	    "dBjftJeZ4CVP-mJ0XP7FJnMRQe5G5R5EhpANnSgKNVM", out, sizeof(out)), 0);
	assert_string_equal(out, "UtrI1En8KxpC3CykEQR4budsRMGCOsYxG8vc1qQN_yo");
	assert_int_equal(oidc_pkce_challenge("x", out, 10), -1);
}

static void
test_random(void **state)
{
	char a[OIDC_RANDOM_LEN + 1], b[OIDC_RANDOM_LEN + 1];

	(void)state;
	assert_int_equal(oidc_random(a, sizeof(a)), 0);
	assert_int_equal(oidc_random(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), OIDC_RANDOM_LEN);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_"), OIDC_RANDOM_LEN);
	assert_string_not_equal(a, b);
	assert_int_equal(oidc_random(a, OIDC_RANDOM_LEN), -1);
}

static void
test_email_domain(void **state)
{
	(void)state;
	assert_true(oidc_email_domain_ok("a@north.gov.uk", "north.gov.uk"));
	assert_true(oidc_email_domain_ok("a@NORTH.gov.uk", "x.org,north.gov.uk"));
	assert_true(oidc_email_domain_ok("a@x.org", "x.org,north.gov.uk"));
	assert_false(oidc_email_domain_ok("a@sub.north.gov.uk", "north.gov.uk"));
	assert_false(oidc_email_domain_ok("a@north.gov.uk.evil", "north.gov.uk"));
	assert_false(oidc_email_domain_ok("a@evilnorth.gov.uk", "north.gov.uk"));
	assert_false(oidc_email_domain_ok("a@north.gov.uk", ""));
	assert_false(oidc_email_domain_ok("a@north.gov.uk", ","));
	assert_false(oidc_email_domain_ok("north.gov.uk", "north.gov.uk"));
	assert_false(oidc_email_domain_ok(NULL, "north.gov.uk"));
}

static json_t *
good_claims(void)
{
	return json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "iss",
	    "https://idp.example", "aud", "client", "sub", "s1", "exp",
	    (json_int_t)NOW + 300, "iat", (json_int_t)NOW - 10, "nonce", "n1");
}

static int
check(json_t *c)
{
	struct oidc_expect e = { "https://idp.example", "client", "n1", NOW,
	    OIDC_SKEW_SECONDS };
	char why[100];
	int rc = oidc_claims_check(c, &e, why, sizeof(why));

	json_decref(c);
	return rc;
}

/* good_claims with name set to v (reference stolen; NULL deletes). */
static json_t *
with(const char *name, json_t *v)
{
	json_t *c = good_claims();

	if (v == NULL)
		json_object_del(c, name);
	else
		json_object_set_new(c, name, v);
	return c;
}

static void
test_claims(void **state)
{
	(void)state;
	assert_int_equal(check(good_claims()), 0);
	assert_int_equal(check(with("iss", json_string("https://other"))), -1);
	assert_int_equal(check(with("iss", NULL)), -1);
	assert_int_equal(check(with("aud", json_string("other"))), -1);
	assert_int_equal(check(with("aud", NULL)), -1);
	assert_int_equal(check(with("aud", json_pack("[s]", "client"))), 0);
	/* Several audiences need azp naming us. */
	assert_int_equal(check(with("aud", json_pack("[s,s]", "client", "x"))),
	    -1);
	assert_int_equal(check(with("azp", json_string("x"))), -1);
	assert_int_equal(check(with("azp", json_string("client"))), 0);
	assert_int_equal(check(with("sub", NULL)), -1);
	assert_int_equal(check(with("sub", json_string(""))), -1);
	/* exp: within the skew passes, beyond it fails. */
	assert_int_equal(check(with("exp", json_integer(NOW - 100))), 0);
	assert_int_equal(check(with("exp", json_integer(NOW -
	    OIDC_SKEW_SECONDS))), -1);
	assert_int_equal(check(with("exp", json_string("later"))), -1);
	/* Far beyond any date, integer or not: refused, and no overflow
	 * (UBSan) on the way. */
	assert_int_equal(check(with("exp", json_integer(INT64_MAX))), -1);
	assert_int_equal(check(with("exp", json_real(2e112))), -1);
	assert_int_equal(check(with("exp", json_real(NOW + 300.5))), 0);
	assert_int_equal(check(with("iat", json_integer(INT64_MIN))), -1);
	assert_int_equal(check(with("exp", NULL)), -1);
	/* iat: a little ahead passes, far ahead or far behind fails. */
	assert_int_equal(check(with("iat", json_integer(NOW + 100))), 0);
	assert_int_equal(check(with("iat", json_integer(NOW + 200))), -1);
	assert_int_equal(check(with("iat", json_integer(NOW - 3600))), -1);
	assert_int_equal(check(with("iat", NULL)), -1);
	assert_int_equal(check(with("nbf", json_integer(NOW + 100))), 0);
	assert_int_equal(check(with("nbf", json_integer(NOW + 200))), -1);
	assert_int_equal(check(with("nbf", json_string("x"))), -1);
	assert_int_equal(check(with("nonce", json_string("n2"))), -1);
	assert_int_equal(check(with("nonce", json_string("n"))), -1);
	assert_int_equal(check(with("nonce", NULL)), -1);
	assert_int_equal(check(json_array()), -1);
}

static void
test_map_role(void **state)
{
	struct oidc_provider p;
	enum auth_role r;
	json_t *c;

	(void)state;
	memset(&p, 0, sizeof(p));
	str_copy(p.role_claim, "groups", sizeof(p.role_claim));
	str_copy(p.map_social_worker, "sw", sizeof(p.map_social_worker));
	str_copy(p.map_manager, "mgr", sizeof(p.map_manager));
	c = json_pack("{s:[s,s]}", "groups", "sw", "mgr");
	assert_int_equal(oidc_map_role(c, &p, &r), 0);
	assert_int_equal(r, ROLE_MANAGER);
	json_decref(c);
	c = json_pack("{s:s}", "groups", "sw");
	assert_int_equal(oidc_map_role(c, &p, &r), 0);
	assert_int_equal(r, ROLE_SOCIAL_WORKER);
	json_decref(c);
	/* admin is not mapped: an empty value never matches. */
	c = json_pack("{s:[s]}", "groups", "");
	assert_int_equal(oidc_map_role(c, &p, &r), 1);
	json_decref(c);
	c = json_pack("{s:[s]}", "roles", "sw");
	assert_int_equal(oidc_map_role(c, &p, &r), 1);
	json_decref(c);
}

/* A compact JWS of payload under key with this alg and kid. */
static char *
make_jws(const cjose_jwk_t *key, const char *alg, const char *kid,
    const char *payload)
{
	cjose_err err;
	cjose_header_t *h = cjose_header_new(&err);
	cjose_jws_t *jws;
	const char *ser;
	char *out;

	assert_true(cjose_header_set(h, CJOSE_HDR_ALG, alg, &err));
	assert_true(cjose_header_set(h, CJOSE_HDR_KID, kid, &err));
	jws = cjose_jws_sign(key, h, (const uint8_t *)payload,
	    strlen(payload), &err);
	assert_non_null(jws);
	assert_true(cjose_jws_export(jws, &ser, &err));
	out = strdup(ser);
	cjose_jws_release(jws);
	cjose_header_release(h);
	return out;
}

/* {"keys": [the public part of key, with kid]} */
static json_t *
key_set(const cjose_jwk_t *key, const char *kid)
{
	cjose_err err;
	char *pub = cjose_jwk_to_json(key, false, &err);
	json_t *k = json_loads(pub, 0, NULL);

	free(pub);
	json_object_set_new(k, "kid", json_string(kid));
	return json_pack("{s:[o]}", "keys", k);
}

static void
test_jws_verify(void **state)
{
	static const uint8_t e65537[] = { 1, 0, 1 };
	static const char payload[] = "{\"sub\":\"s1\"}";
	cjose_err err;
	cjose_jwk_t *rsa, *ec, *oct;
	json_t *jwks, *ecks, *claims = NULL;
	char why[100], *t;
	size_t n;

	(void)state;
	rsa = cjose_jwk_create_RSA_random(2048, e65537, sizeof(e65537), &err);
	ec = cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err);
	oct = cjose_jwk_create_oct_random(256, &err);
	assert_non_null(rsa);
	assert_non_null(ec);
	assert_non_null(oct);
	jwks = key_set(rsa, "k1");
	ecks = key_set(ec, "e1");

	t = make_jws(rsa, "RS256", "k1", payload);
	assert_int_equal(oidc_jws_verify(t, jwks, &claims, why, sizeof(why)),
	    0);
	assert_string_equal(json_string_value(json_object_get(claims, "sub")),
	    "s1");
	json_decref(claims);
	claims = NULL;
	/* Unknown kid: fetch the set again. */
	assert_int_equal(oidc_jws_verify(t, ecks, &claims, why, sizeof(why)),
	    1);
	/* One signature byte changed. */
	n = strlen(t);
	t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
	assert_int_equal(oidc_jws_verify(t, jwks, &claims, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "bad signature");
	free(t);

	t = make_jws(ec, "ES256", "e1", payload);
	assert_int_equal(oidc_jws_verify(t, ecks, &claims, why, sizeof(why)),
	    0);
	json_decref(claims);
	claims = NULL;
	free(t);
	/* An RS256 header naming an EC key's kid finds no usable key. */
	t = make_jws(rsa, "RS256", "e1", payload);
	assert_int_equal(oidc_jws_verify(t, ecks, &claims, why, sizeof(why)),
	    1);
	free(t);
	/* HS256 is refused before any key is looked at. */
	t = make_jws(oct, "HS256", "k1", payload);
	assert_int_equal(oidc_jws_verify(t, jwks, &claims, why, sizeof(why)),
	    -1);
	assert_string_equal(why, "alg not allowed");
	free(t);
	/* alg none, unsigned. */
	assert_int_equal(oidc_jws_verify("eyJhbGciOiJub25lIiwia2lkIjoiazEifQ."
	    "eyJzdWIiOiJzMSJ9.", jwks, &claims, why, sizeof(why)), -1);
	assert_int_equal(oidc_jws_verify("not a jws", jwks, &claims, why,
	    sizeof(why)), -1);
	/* A part whose length leaves one character over made libcjose
	 * assert (abort the server); found by tests/fuzz/fuzz_oidc.c. */
	assert_int_equal(oidc_jws_verify("eyJhiGbOciJSUzI1NiMSJ=.c2n0.eyJzdWI",
	    jwks, &claims, why, sizeof(why)), -1);
	assert_int_equal(oidc_jws_verify("eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0."
	    "eyJzdWIiOiJzMSJ9.c2lnb", jwks, &claims, why, sizeof(why)), -1);
	assert_int_equal(oidc_jws_verify("a.b", jwks, &claims, why,
	    sizeof(why)), -1);
	assert_int_equal(oidc_jws_verify("a.b.c.d", jwks, &claims, why,
	    sizeof(why)), -1);
	/* So did a key member of such a length in the provider's key set. */
	{
		json_t *bad = json_deep_copy(jwks);
		json_t *k = json_array_get(json_object_get(bad, "keys"), 0);

		json_object_set_new(k, "n", json_string("AAAAA"));
		t = make_jws(rsa, "RS256", "k1", payload);
		assert_int_equal(oidc_jws_verify(t, bad, &claims, why,
		    sizeof(why)), 1);
		free(t);
		json_decref(bad);
	}
	assert_int_equal(oidc_jws_verify(NULL, jwks, &claims, why,
	    sizeof(why)), -1);
	assert_null(claims);

	json_decref(jwks);
	json_decref(ecks);
	cjose_jwk_release(rsa);
	cjose_jwk_release(ec);
	cjose_jwk_release(oct);
}

/* A partner's claims against the invitee's directory address. */
static void
test_partner_email(void **state)
{
	char why[160], big[300];
	json_t *c;

	(void)state;
	c = json_pack("{s:s, s:b}", "email", "Petra@Police.Example",
	    "email_verified", 1);
	assert_int_equal(oidc_partner_email_ok(c, "petra@police.example", why,
	    sizeof(why)), 0);
	assert_int_equal(oidc_partner_email_ok(c, "olly@police.example", why,
	    sizeof(why)), 1);
	assert_string_equal(why, "the email is not the invited contact's");
	/* A prefix or a longer address is another address. */
	assert_int_equal(oidc_partner_email_ok(c, "petra@police.example.org",
	    why, sizeof(why)), 1);
	assert_int_equal(oidc_partner_email_ok(c, "petra@police.exampl", why,
	    sizeof(why)), 1);
	assert_int_equal(oidc_partner_email_ok(c, NULL, why, sizeof(why)), 1);
	json_decref(c);
	/* email_verified absent (Entra ID): accepted; false: refused. */
	c = json_pack("{s:s}", "email", "petra@police.example");
	assert_int_equal(oidc_partner_email_ok(c, "petra@police.example", why,
	    sizeof(why)), 0);
	json_object_set_new(c, "email_verified", json_false());
	assert_int_equal(oidc_partner_email_ok(c, "petra@police.example", why,
	    sizeof(why)), 1);
	assert_string_equal(why, "email_verified is false");
	json_decref(c);
	/* No email, not a string, empty, control characters, too long. */
	c = json_pack("{s:s}", "sub", "x");
	assert_int_equal(oidc_partner_email_ok(c, "petra@police.example", why,
	    sizeof(why)), 1);
	assert_string_equal(why, "no usable email claim");
	json_object_set_new(c, "email", json_integer(1));
	assert_int_equal(oidc_partner_email_ok(c, "1", why, sizeof(why)), 1);
	json_object_set_new(c, "email", json_string(""));
	assert_int_equal(oidc_partner_email_ok(c, "", why, sizeof(why)), 1);
	json_object_set_new(c, "email", json_string("petra@police.example\n"));
	assert_int_equal(oidc_partner_email_ok(c, "petra@police.example\n",
	    why, sizeof(why)), 1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	json_object_set_new(c, "email", json_string(big));
	assert_int_equal(oidc_partner_email_ok(c, big, why, sizeof(why)), 1);
	json_decref(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_allowed),
		cmocka_unit_test(test_pkce),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_email_domain),
		cmocka_unit_test(test_claims),
		cmocka_unit_test(test_map_role),
		cmocka_unit_test(test_jws_verify),
		cmocka_unit_test(test_partner_email),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
