/*
 * oidc: the protocol side of single sign-on. Nothing here writes crypto or
 * parses JSON by hand: libsodium hashes and encodes (PKCE, random values),
 * libcjose checks JWS signatures, jansson reads every document, libcurl
 * fetches. Every fetch has a size ceiling (OIDC_FETCH_MAX) and tight
 * timeouts, because it runs on a request thread of the slow lane while a
 * person waits. Discovery documents and key sets are cached in this
 * process for OIDC_CACHE_SECONDS; an id_token signed with a kid we do not
 * know makes one fetch of the key set (the provider has rotated its keys),
 * no more often than every OIDC_REFETCH_SECONDS, so forged kids cannot make
 * us hammer the provider. After a failed fetch, none is tried for that
 * issuer for OIDC_REFETCH_SECONDS either: a provider that is down costs
 * one connect timeout, not one per sign-in.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cjose/cjose.h>
#include <curl/curl.h>
#include <sodium.h>

#include "buf.h"
#include "log.h"
#include "oidc.h"
#include "str.h"

#define CACHE_SLOTS	16	/* issuers per process; more evict the oldest */

int
oidc_url_allowed(const char *url)
{
	static const char loop[] = "http://127.0.0.1";
	size_t n = sizeof(loop) - 1;

	if (url == NULL || strlen(url) > OIDC_URL_MAX || str_has_ctl(url) ||
	    strchr(url, ' ') != NULL)
		return 0;
	if (strncmp(url, "https://", 8) == 0)
		return url[8] != '\0' && url[8] != '/';
	/* Loopback only: a provider on this machine (the tests). Not
	 * "localhost", which a resolver may send elsewhere. */
	return strncmp(url, loop, n) == 0 && (url[n] == ':' || url[n] == '/' ||
	    url[n] == '\0');
}

int
oidc_random(char *out, size_t outlen)
{
	unsigned char b[32];

	if (outlen < OIDC_RANDOM_LEN + 1)
		return -1;
	randombytes_buf(b, sizeof(b));
	sodium_bin2base64(out, outlen, b, sizeof(b),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(b, sizeof(b));
	return 0;
}

int
oidc_pkce_challenge(const char *verifier, char *out, size_t outlen)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	if (verifier == NULL || outlen < sodium_base64_ENCODED_LEN(sizeof(h),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -1;
	crypto_hash_sha256(h, (const unsigned char *)verifier,
	    strlen(verifier));
	sodium_bin2base64(out, outlen, h, sizeof(h),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int
oidc_email_domain_ok(const char *email, const char *allowed)
{
	const char *at, *dom, *p, *comma;
	size_t n, dn;

	if (email == NULL || allowed == NULL || !str_email_valid(email) ||
	    (at = strrchr(email, '@')) == NULL)
		return 0;
	dom = at + 1;
	dn = strlen(dom);
	for (p = allowed; *p != '\0'; p = comma + (*comma != '\0')) {
		comma = p + strcspn(p, ",");
		n = (size_t)(comma - p);
		/* Exact domains only: "council.gov.uk" does not admit
		 * "evil.council.gov.uk.example" nor a subdomain. */
		if (n == dn && n > 0 && strncasecmp(p, dom, n) == 0)
			return 1;
		if (*comma == '\0')
			break;
	}
	return 0;
}

static int
why_set(char *why, size_t whylen, const char *msg)
{
	if (why != NULL && whylen > 0)
		str_copy(why, msg, whylen);
	return -1;
}

/* A NumericDate claim as seconds; -1 when absent, not a number, or out
 * of range. */
static long long
claim_time(const json_t *claims, const char *name)
{
	json_t *v = json_object_get(claims, name);

	/* Bounded, so that adding the skew cannot overflow. */
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) < 1000000000000LL)
		return json_integer_value(v);
	/* A NumericDate may have a fraction; one beyond any real date (or
	 * not finite) is refused before the cast could overflow. */
	if (json_is_real(v) && json_real_value(v) >= 0 &&
	    json_real_value(v) < 1e12)
		return (long long)json_real_value(v);
	return -1;
}

static int
aud_ok(const json_t *claims, const char *client_id)
{
	json_t *aud = json_object_get(claims, "aud"), *a, *azp;
	size_t i;
	int found = 0;

	azp = json_object_get(claims, "azp");
	if (azp != NULL && (!json_is_string(azp) ||
	    strcmp(json_string_value(azp), client_id) != 0))
		return 0;
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), client_id) == 0;
	if (!json_is_array(aud) || json_array_size(aud) == 0)
		return 0;
	json_array_foreach(aud, i, a)
		if (json_is_string(a) &&
		    strcmp(json_string_value(a), client_id) == 0)
			found = 1;
	/* Several audiences: the token must say it was issued to us. */
	if (json_array_size(aud) > 1 && azp == NULL)
		return 0;
	return found;
}

int
oidc_claims_check(const json_t *claims, const struct oidc_expect *e,
    char *why, size_t whylen)
{
	const char *iss, *nonce, *sub;
	long long exp, iat, nbf, now = (long long)e->now;

	if (!json_is_object(claims))
		return why_set(why, whylen, "claims are not an object");
	iss = json_string_value(json_object_get(claims, "iss"));
	if (iss == NULL || strcmp(iss, e->issuer) != 0)
		return why_set(why, whylen, "wrong issuer");
	if (!aud_ok(claims, e->client_id))
		return why_set(why, whylen, "wrong audience");
	sub = json_string_value(json_object_get(claims, "sub"));
	if (sub == NULL || sub[0] == '\0' || strlen(sub) > 255 ||
	    str_has_ctl(sub))
		return why_set(why, whylen, "no usable subject");
	exp = claim_time(claims, "exp");
	iat = claim_time(claims, "iat");
	nbf = claim_time(claims, "nbf");
	if (exp < 0 || exp + e->skew <= now)
		return why_set(why, whylen, "expired");
	if (iat < 0 || iat > now + e->skew)
		return why_set(why, whylen, "issued in the future");
	/* A token for a sign-in we started at most OIDC_PENDING_SECONDS ago
	 * cannot have been issued long before it. */
	if (iat + OIDC_PENDING_SECONDS + e->skew < now)
		return why_set(why, whylen, "issued too long ago");
	if (json_object_get(claims, "nbf") != NULL &&
	    (nbf < 0 || nbf > now + e->skew))
		return why_set(why, whylen, "not yet valid");
	nonce = json_string_value(json_object_get(claims, "nonce"));
	if (nonce == NULL || e->nonce == NULL ||
	    strlen(nonce) != strlen(e->nonce) ||
	    sodium_memcmp(nonce, e->nonce, strlen(nonce)) != 0)
		return why_set(why, whylen, "nonce mismatch");
	return 0;
}

/* 1 when the claim is value, or an array holding value. */
static int
claim_has(const json_t *claims, const char *name, const char *value)
{
	json_t *c = json_object_get(claims, name), *v;
	size_t i;

	if (value == NULL || value[0] == '\0')
		return 0;
	if (json_is_string(c))
		return strcmp(json_string_value(c), value) == 0;
	json_array_foreach(c, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), value) == 0)
			return 1;
	return 0;
}

int
oidc_map_role(const json_t *claims, const struct oidc_provider *p,
    enum auth_role *role)
{
	/* The highest role wins, so that adding someone to the admin group
	 * does what it says even while they remain in a staff group. */
	if (claim_has(claims, p->role_claim, p->map_admin))
		*role = ROLE_ADMIN;
	else if (claim_has(claims, p->role_claim, p->map_manager))
		*role = ROLE_MANAGER;
	else if (claim_has(claims, p->role_claim, p->map_social_worker))
		*role = ROLE_SOCIAL_WORKER;
	else
		return 1;
	return 0;
}

/*
 * 1 when s[0..n) can be base64url: its alphabet, no padding, and not a
 * length that leaves one character over (n % 4 == 1), which no encoding
 * makes. libcjose 0.6.2.1 asserts on that length and would abort the
 * whole server (found by tests/fuzz/fuzz_oidc.c), so nothing reaches it
 * without passing here.
 */
static int
b64url_ok(const char *s, size_t n)
{
	size_t i;

	if (n % 4 == 1)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* 1 when jwt is three base64url parts, the header not empty (an empty
 * signature goes on, to be refused by the alg check with its reason). */
static int
compact_ok(const char *jwt)
{
	const char *p = jwt, *dot;
	int part;

	for (part = 0; part < 3; part++) {
		dot = strchr(p, '.');
		if ((part < 2) != (dot != NULL))
			return 0;
		if (dot == NULL)
			dot = p + strlen(p);
		if ((part == 0 && dot == p) || !b64url_ok(p, (size_t)(dot - p)))
			return 0;
		p = dot + 1;
	}
	return 1;
}

/* 1 when every base64url member a key of kty may have is well formed
 * (see b64url_ok): the provider's key set reaches libcjose too. */
static int
key_members_ok(const json_t *k)
{
	static const char *const names[] = { "n", "e", "x", "y", "k", "d" };
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (json_object_get(k, names[i]) == NULL)
			continue;
		if ((v = json_string_value(json_object_get(k, names[i]))) ==
		    NULL || !b64url_ok(v, strlen(v)))
			return 0;
	}
	return 1;
}

/* The key of jwks with this kid, suitable for alg; NULL when none. */
static json_t *
find_key(const json_t *jwks, const char *kid, const char *alg)
{
	json_t *keys = json_object_get(jwks, "keys"), *k;
	const char *kty, *use, *kalg, *want;
	size_t i;

	want = strcmp(alg, "RS256") == 0 ? "RSA" : "EC";
	json_array_foreach(keys, i, k) {
		kty = json_string_value(json_object_get(k, "kty"));
		use = json_string_value(json_object_get(k, "use"));
		kalg = json_string_value(json_object_get(k, "alg"));
		if (!json_is_string(json_object_get(k, "kid")) ||
		    strcmp(json_string_value(json_object_get(k, "kid")),
		    kid) != 0)
			continue;
		if (kty == NULL || strcmp(kty, want) != 0 ||
		    (use != NULL && strcmp(use, "sig") != 0) ||
		    (kalg != NULL && strcmp(kalg, alg) != 0) ||
		    !key_members_ok(k))
			continue;
		return k;
	}
	return NULL;
}

int
oidc_jws_verify(const char *jwt, const json_t *jwks, json_t **claims,
    char *why, size_t whylen)
{
	cjose_err err;
	cjose_jws_t *jws = NULL;
	cjose_jwk_t *jwk = NULL;
	cjose_header_t *hdr;
	json_t *key, *c = NULL;
	const char *alg, *kid;
	uint8_t *plain = NULL;
	size_t plen = 0;
	int result = -1;

	if (jwt == NULL || strlen(jwt) > OIDC_TOKEN_MAX) {
		why_set(why, whylen, "no id_token, or too long");
		goto out;
	}
	if (!compact_ok(jwt) ||
	    (jws = cjose_jws_import(jwt, strlen(jwt), &err)) == NULL) {
		why_set(why, whylen, "id_token is not a JWS");
		goto out;
	}
	hdr = cjose_jws_get_protected(jws);
	alg = hdr ? cjose_header_get(hdr, CJOSE_HDR_ALG, &err) : NULL;
	kid = hdr ? cjose_header_get(hdr, CJOSE_HDR_KID, &err) : NULL;
	/* An allow-list: never "none", never HS256 (whose key would be the
	 * public one), only what providers sign id_tokens with. */
	if (alg == NULL || (strcmp(alg, "RS256") != 0 &&
	    strcmp(alg, "ES256") != 0)) {
		why_set(why, whylen, "alg not allowed");
		goto out;
	}
	if (kid == NULL || kid[0] == '\0') {
		why_set(why, whylen, "no kid");
		goto out;
	}
	if ((key = find_key(jwks, kid, alg)) == NULL) {
		why_set(why, whylen, "unknown kid");
		result = 1;
		goto out;
	}
	/* cjose's JSON is jansson; the import copies what it needs. */
	if ((jwk = cjose_jwk_import_json((cjose_header_t *)key,
	    &err)) == NULL) {
		why_set(why, whylen, "provider key unusable");
		goto out;
	}
	if (!cjose_jws_verify(jws, jwk, &err)) {
		why_set(why, whylen, "bad signature");
		goto out;
	}
	if (!cjose_jws_get_plaintext(jws, &plain, &plen, &err) ||
	    (c = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL || !json_is_object(c)) {
		why_set(why, whylen, "claims unreadable");
		goto out;
	}
	*claims = c;
	c = NULL;
	result = 0;
out:
	json_decref(c);
	cjose_jwk_release(jwk);
	cjose_jws_release(jws);	/* owns plain and the header */
	return result;
}

/* ---- fetching ------------------------------------------------------------ */

static size_t
write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	/* Over the ceiling: returning short makes curl stop. */
	if (buf_append(b, data, size * n) != 0)
		return 0;
	return size * n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* libcurl's global state, held for the life of the process: the delivery
 * worker's init and cleanup (worker.c) are counted by libcurl (thread-safe
 * since 7.84), so this reference keeps it up whatever they do. */
static void
curl_start(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		log_error("oidc", "libcurl did not initialise");
}

/*
 * GET url (post NULL) or POST the form post to it; the JSON object answered
 * (caller owns) when the status is *status_out. Only URLs oidc_url_allowed
 * admits, no redirects, at most OIDC_FETCH_MAX bytes.
 */
static json_t *
fetch_json(const char *url, const char *post, long *status_out)
{
	CURL *c = NULL;
	struct buf b;
	struct curl_slist *h = NULL;
	json_t *result = NULL;
	long status = 0;

	buf_init(&b, OIDC_FETCH_MAX);
	pthread_once(&curl_once, curl_start);
	if (!oidc_url_allowed(url) || (c = curl_easy_init()) == NULL)
		goto out;
	h = curl_slist_append(h, "Accept: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)OIDC_CONNECT_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)OIDC_TIMEOUT);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE, (long)OIDC_FETCH_MAX);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (post != NULL)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
	if (curl_easy_perform(c) != CURLE_OK || b.failed)
		goto out;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	*status_out = status;
	result = json_loadb(b.data ? b.data : "", b.len,
	    JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(result)) {
		json_decref(result);
		result = NULL;
	}
out:
	curl_slist_free_all(h);
	if (c != NULL)
		curl_easy_cleanup(c);
	/* A token response holds secrets: wipe before freeing. */
	if (b.data != NULL)
		sodium_memzero(b.data, b.len);
	buf_free(&b);
	return result;
}

/* ---- the cache ----------------------------------------------------------- */

struct slot {
	char	 issuer[OIDC_URL_MAX + 1];
	json_t	*discovery;
	time_t	 discovery_at;
	json_t	*jwks;
	time_t	 jwks_at;
	time_t	 failed_at;	/* last failed fetch: none again for
				   OIDC_REFETCH_SECONDS */
};

static struct slot cache[CACHE_SLOTS];
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;

/* The slot for issuer, claiming the oldest when it has none. Lock held. */
static struct slot *
slot_for(const char *issuer)
{
	struct slot *s, *oldest = &cache[0];
	size_t i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		s = &cache[i];
		if (strcmp(s->issuer, issuer) == 0)
			return s;
		if (s->discovery_at < oldest->discovery_at)
			oldest = s;
	}
	json_decref(oldest->discovery);
	json_decref(oldest->jwks);
	memset(oldest, 0, sizeof(*oldest));
	str_copy(oldest->issuer, issuer, sizeof(oldest->issuer));
	return oldest;
}

/*
 * 1 when a fetch for issuer failed less than OIDC_REFETCH_SECONDS ago:
 * while a provider is down, sign-ins fail at once rather than each
 * holding a slow-lane thread for the connect timeout.
 */
static int
recently_failed(const char *issuer, time_t now)
{
	struct slot *s;
	int yes;

	pthread_mutex_lock(&cache_mu);
	s = slot_for(issuer);
	yes = s->failed_at != 0 && now - s->failed_at < OIDC_REFETCH_SECONDS;
	pthread_mutex_unlock(&cache_mu);
	return yes;
}

static void
mark_failed(const char *issuer, time_t now)
{
	pthread_mutex_lock(&cache_mu);
	slot_for(issuer)->failed_at = now;
	pthread_mutex_unlock(&cache_mu);
}

/* The discovery document of issuer (a copy the caller owns); NULL when it
 * cannot be had or does not name issuer as its own. */
static json_t *
discovery(const char *issuer)
{
	char url[OIDC_URL_MAX + 64];
	struct slot *s;
	json_t *d = NULL, *got;
	time_t now = time(NULL);
	const char *iss;
	long status = 0;
	size_t n = strlen(issuer);

	pthread_mutex_lock(&cache_mu);
	s = slot_for(issuer);
	if (s->discovery != NULL && now - s->discovery_at < OIDC_CACHE_SECONDS)
		d = json_deep_copy(s->discovery);
	pthread_mutex_unlock(&cache_mu);
	if (d != NULL)
		return d;
	if (recently_failed(issuer, now))
		return NULL;
	/* Fetched outside the lock: a slow provider holds up only its own
	 * sign-ins. Two threads may both fetch; the last one is kept. */
	if (snprintf(url, sizeof(url), "%.*s/.well-known/openid-configuration",
	    (int)(n > 0 && issuer[n - 1] == '/' ? n - 1 : n), issuer) >=
	    (int)sizeof(url))
		return NULL;
	if ((got = fetch_json(url, NULL, &status)) == NULL || status != 200) {
		log_warn("oidc", "discovery of %s failed (HTTP %ld)", issuer,
		    status);
		json_decref(got);
		mark_failed(issuer, now);
		return NULL;
	}
	iss = json_string_value(json_object_get(got, "issuer"));
	if (iss == NULL || strcmp(iss, issuer) != 0) {
		log_warn("oidc", "discovery of %s names another issuer", issuer);
		json_decref(got);
		mark_failed(issuer, now);
		return NULL;
	}
	pthread_mutex_lock(&cache_mu);
	s = slot_for(issuer);
	json_decref(s->discovery);
	s->discovery = json_deep_copy(got);
	s->discovery_at = now;
	pthread_mutex_unlock(&cache_mu);
	return got;
}

static int
endpoint(const json_t *d, const char *name, char *out, size_t len)
{
	const char *v = json_string_value(json_object_get(d, name));

	if (v == NULL || !oidc_url_allowed(v) || str_copy(out, v, len) >= len)
		return -1;
	return 0;
}

int
oidc_discover(const char *issuer, char *authz, char *token, size_t len)
{
	json_t *d;
	int result = -1;

	if ((d = discovery(issuer)) == NULL)
		goto out;
	if (endpoint(d, "authorization_endpoint", authz, len) != 0 ||
	    endpoint(d, "token_endpoint", token, len) != 0) {
		log_warn("oidc", "discovery of %s: endpoints missing or not "
		    "allowed", issuer);
		goto out;
	}
	result = 0;
out:
	json_decref(d);
	return result;
}

/* The issuer's key set (a copy the caller owns): the cached one unless
 * refresh, in which case it is fetched again unless that was done less
 * than OIDC_REFETCH_SECONDS ago. */
static json_t *
key_set(const char *issuer, int refresh)
{
	char uri[OIDC_URL_MAX + 1];
	struct slot *s;
	json_t *d, *k = NULL, *got = NULL;
	time_t now = time(NULL);
	long status = 0;

	pthread_mutex_lock(&cache_mu);
	s = slot_for(issuer);
	if (s->jwks != NULL && ((!refresh &&
	    now - s->jwks_at < OIDC_CACHE_SECONDS) ||
	    (refresh && now - s->jwks_at < OIDC_REFETCH_SECONDS)))
		k = json_deep_copy(s->jwks);
	pthread_mutex_unlock(&cache_mu);
	if (k != NULL)
		return k;
	if (recently_failed(issuer, now) || (d = discovery(issuer)) == NULL)
		return NULL;
	if (endpoint(d, "jwks_uri", uri, sizeof(uri)) != 0 ||
	    (got = fetch_json(uri, NULL, &status)) == NULL || status != 200 ||
	    !json_is_array(json_object_get(got, "keys"))) {
		log_warn("oidc", "key set of %s could not be fetched (HTTP %ld)",
		    issuer, status);
		json_decref(d);
		json_decref(got);
		mark_failed(issuer, now);
		return NULL;
	}
	json_decref(d);
	pthread_mutex_lock(&cache_mu);
	s = slot_for(issuer);
	json_decref(s->jwks);
	s->jwks = json_deep_copy(got);
	s->jwks_at = now;
	pthread_mutex_unlock(&cache_mu);
	log_info("oidc", "fetched the key set of %s (%zu keys)", issuer,
	    json_array_size(json_object_get(got, "keys")));
	return got;
}

int
oidc_id_token_check(const struct oidc_provider *p, const char *jwt,
    const char *nonce, json_t **claims, char *why, size_t whylen)
{
	struct oidc_expect e;
	json_t *jwks = NULL, *c = NULL;
	int rc, result = -1;

	if ((jwks = key_set(p->issuer, 0)) == NULL) {
		why_set(why, whylen, "no key set");
		goto out;
	}
	rc = oidc_jws_verify(jwt, jwks, &c, why, whylen);
	if (rc == 1) {
		/* Perhaps the provider rotated its keys since we fetched. */
		json_decref(jwks);
		if ((jwks = key_set(p->issuer, 1)) == NULL) {
			why_set(why, whylen, "no key set");
			goto out;
		}
		rc = oidc_jws_verify(jwt, jwks, &c, why, whylen);
	}
	if (rc != 0)
		goto out;
	e.issuer = p->issuer;
	e.client_id = p->client_id;
	e.nonce = nonce;
	e.now = time(NULL);
	e.skew = OIDC_SKEW_SECONDS;
	if (oidc_claims_check(c, &e, why, whylen) != 0)
		goto out;
	*claims = c;
	c = NULL;
	result = 0;
out:
	json_decref(c);
	json_decref(jwks);
	return result;
}

/* Append "&name=value" (value escaped) to b. */
static void
form_add(struct buf *b, CURL *c, const char *name, const char *value)
{
	char *v = curl_easy_escape(c, value, 0);

	if (v == NULL) {
		b->failed = 1;
		return;
	}
	buf_printf(b, "%s%s=%s", b->len > 0 ? "&" : "", name, v);
	curl_free(v);
}

char *
oidc_token_request(const struct oidc_provider *p, const char *code,
    const char *redirect_uri, const char *verifier, char *why, size_t whylen)
{
	char authz[OIDC_URL_MAX + 1], token[OIDC_URL_MAX + 1];
	struct buf body;
	CURL *esc = NULL;
	json_t *resp = NULL;
	const char *idt, *err;
	char *result = NULL;
	long status = 0;

	buf_init(&body, 8192);
	if (oidc_discover(p->issuer, authz, token, sizeof(token)) != 0) {
		why_set(why, whylen, "discovery failed");
		goto out;
	}
	pthread_once(&curl_once, curl_start);
	if ((esc = curl_easy_init()) == NULL)
		goto out;
	/* client_secret_post: the secret goes in the body over TLS, never in
	 * a URL or a log line. */
	form_add(&body, esc, "grant_type", "authorization_code");
	form_add(&body, esc, "code", code);
	form_add(&body, esc, "redirect_uri", redirect_uri);
	form_add(&body, esc, "code_verifier", verifier);
	form_add(&body, esc, "client_id", p->client_id);
	form_add(&body, esc, "client_secret", p->client_secret);
	if (body.failed) {
		why_set(why, whylen, "token request too large");
		goto out;
	}
	if ((resp = fetch_json(token, buf_cstr(&body), &status)) == NULL) {
		why_set(why, whylen, "token endpoint unreachable");
		goto out;
	}
	if (status != 200) {
		/* The provider's error code is a short token (RFC 6749 5.2),
		 * e.g. invalid_grant for a code used twice; its description
		 * may echo input, so it is not logged. */
		err = json_string_value(json_object_get(resp, "error"));
		snprintf(why, whylen, "token endpoint refused (HTTP %ld, %s)",
		    status, err != NULL && strlen(err) < 40 &&
		    strspn(err, "abcdefghijklmnopqrstuvwxyz_") == strlen(err) ?
		    err : "no error code");
		goto out;
	}
	idt = json_string_value(json_object_get(resp, "id_token"));
	if (idt == NULL || strlen(idt) > OIDC_TOKEN_MAX ||
	    (result = strdup(idt)) == NULL) {
		why_set(why, whylen, "no id_token in the token response");
		goto out;
	}
out:
	json_decref(resp);
	if (esc != NULL)
		curl_easy_cleanup(esc);
	if (body.data != NULL)
		sodium_memzero(body.data, body.len);
	buf_free(&body);
	return result;
}
