-- OpenID Connect single sign-on (identity issue, section 1; docs/sso.md).

-- One identity provider per authority, set by `convene oidc set` (the
-- operator). The client secret is read by the service for the token
-- request only: no page or API returns any column of this table.
CREATE TABLE oidc_providers (
	authority_id	bigint PRIMARY KEY REFERENCES authorities(id),
	issuer		text NOT NULL CHECK (issuer ~ '^https?://[^[:space:]]+$'
			    AND length(issuer) <= 512),
	client_id	text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 256),
	client_secret	text NOT NULL
			    CHECK (length(client_secret) BETWEEN 1 AND 1024),
	-- lower-case domains separated by commas; an email outside them is
	-- refused
	allowed_domains	text NOT NULL
			    CHECK (allowed_domains ~ '^[a-z0-9.,-]+$'
			    AND length(allowed_domains) <= 1024),
	role_claim	text NOT NULL DEFAULT 'groups'
			    CHECK (role_claim ~ '^[A-Za-z0-9_:./-]{1,64}$'),
	team_claim	text NOT NULL DEFAULT ''
			    CHECK (team_claim ~ '^[A-Za-z0-9_:./-]{0,64}$'),
	-- the value of role_claim (a group, an app role) that makes each role;
	-- '' = that role is never given by single sign-on
	map_social_worker text NOT NULL DEFAULT ''
			    CHECK (length(map_social_worker) <= 256),
	map_manager	text NOT NULL DEFAULT ''
			    CHECK (length(map_manager) <= 256),
	map_admin	text NOT NULL DEFAULT ''
			    CHECK (length(map_admin) <= 256),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- A user signed in by single sign-on is linked by (issuer, subject), never
-- by email: an address can be reassigned, a subject cannot.
CREATE TABLE oidc_identities (
	user_id		bigint PRIMARY KEY REFERENCES users(id),
	issuer		text NOT NULL,
	subject		text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_sign_in_at	timestamptz,
	UNIQUE (issuer, subject)
);

-- A user signed in by single sign-on has no password anyone knows (a hash
-- of random bytes, thrown away) and may not be given one: a password
-- reset would let a leaver in after the provider had shut them out, and
-- would skip the provider's MFA. Enforced here, so every path that writes
-- users (the admin pages, the API, the command line) is covered.
CREATE FUNCTION oidc_no_local_password() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.password_hash IS DISTINCT FROM OLD.password_hash AND EXISTS (
	    SELECT 1 FROM oidc_identities WHERE user_id = NEW.id) THEN
		RAISE EXCEPTION 'user % signs in with single sign-on and has '
		    'no local password', NEW.id USING ERRCODE = 'check_violation';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER users_oidc_no_local_password BEFORE UPDATE OF password_hash
	ON users FOR EACH ROW EXECUTE FUNCTION oidc_no_local_password();

-- Sign-ins on their way through the identity provider: the hash of the
-- state sent, with the nonce and PKCE verifier that go with it. Taken
-- (deleted) by the callback, so each is used once; they live ten minutes.
CREATE TABLE oidc_pending (
	state_hash	text PRIMARY KEY CHECK (state_hash ~ '^[0-9a-f]{64}$'),
	authority_id	bigint NOT NULL REFERENCES authorities(id),
	nonce		text NOT NULL CHECK (length(nonce) BETWEEN 32 AND 128),
	verifier	text NOT NULL CHECK (length(verifier) BETWEEN 43 AND 128),
	-- the client address (http_client_addr), for the per-client cap
	client		text NOT NULL CHECK (length(client) <= 64),
	expires_at	timestamptz NOT NULL
);
CREATE INDEX oidc_pending_expires ON oidc_pending (expires_at);
CREATE INDEX oidc_pending_client ON oidc_pending (client);
