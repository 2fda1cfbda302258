-- Single sign-on for partners' organisations (issue 13, part 1;
-- docs/partners.md, docs/sso.md): a police force's or trust's own OpenID
-- provider, set by `convene oidc partner-set` (the operator).
--
-- Kept apart from the staff providers (oidc_providers, sql/024) on
-- purpose: the staff routes read only oidc_providers and oidc_pending, the
-- partner routes only the two tables here, so a partner's provider can
-- never provision a staff user nor give a staff session, and a staff
-- provider's answer can never open a meeting pack.

-- One provider per organisation of the directory. The client secret is
-- read by the service for the token request only: no page or API returns
-- any column of this table.
CREATE TABLE oidc_partner_providers (
	organisation_id	bigint PRIMARY KEY REFERENCES organisations(id),
	issuer		text NOT NULL CHECK (issuer ~ '^https?://[^[:space:]]+$'
			    AND length(issuer) <= 512),
	client_id	text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 256),
	client_secret	text NOT NULL
			    CHECK (length(client_secret) BETWEEN 1 AND 1024),
	updated_at	timestamptz NOT NULL DEFAULT now()
);

-- Partner sign-ins on their way through the organisation's provider: the
-- hash of the state, the invitation (pack link) and contact it was started
-- for, the nonce and PKCE verifier. Taken (deleted) by the callback, so
-- each is used once; they live ten minutes (OIDC_PENDING_SECONDS).
CREATE TABLE oidc_partner_pending (
	state_hash	text PRIMARY KEY CHECK (state_hash ~ '^[0-9a-f]{64}$'),
	organisation_id	bigint NOT NULL REFERENCES organisations(id),
	participant_id	bigint NOT NULL REFERENCES participants(id)
			    ON DELETE CASCADE,
	contact_id	bigint NOT NULL REFERENCES contacts(id),
	nonce		text NOT NULL CHECK (length(nonce) BETWEEN 32 AND 128),
	verifier	text NOT NULL CHECK (length(verifier) BETWEEN 43 AND 128),
	client		text NOT NULL CHECK (length(client) <= 64),
	expires_at	timestamptz NOT NULL
);
CREATE INDEX oidc_partner_pending_expires ON oidc_partner_pending
	(expires_at);
CREATE INDEX oidc_partner_pending_client ON oidc_partner_pending (client);

-- A partner session may now also come from single sign-on.
ALTER TABLE partner_sessions DROP CONSTRAINT partner_sessions_via_check;
ALTER TABLE partner_sessions ADD CONSTRAINT partner_sessions_via_check
	CHECK (via IN ('code', 'totp', 'sso'));
