-- Multi-factor authentication for local accounts: TOTP (RFC 6238) and
-- recovery codes (identity issue, section 2; docs/security.md, "Multi-factor
-- authentication"). The serving role gets DML on these tables from the
-- grants migrate.c rebuilds after every run; nothing here grants by hand.

-- One TOTP authenticator per user. The secret is sealed with an AEAD key
-- derived from the server key (server_keys), with the user id as associated
-- data, so the column alone (a backup, a replica) does not give codes and a
-- sealed secret cannot be moved to another user. confirmed_at is NULL until
-- the user has typed a first valid code; only then does sign-in ask for one.
-- last_step is the last 30-second time step accepted: a code is used once.
CREATE TABLE mfa_totp (
	user_id		bigint PRIMARY KEY REFERENCES users (id),
	secret_sealed	text NOT NULL CHECK (secret_sealed ~ '^[0-9a-f]+$'
			    AND length(secret_sealed) <= 400),
	confirmed_at	timestamptz,
	last_step	bigint NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- Single-use recovery codes, kept only as a keyed hash (HMAC under the
-- server key, bound to the user). Issuing a new set deletes the old one.
CREATE TABLE mfa_recovery_codes (
	id		bigserial PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users (id),
	code_hash	text NOT NULL CHECK (code_hash ~ '^[0-9a-f]{64}$'),
	used_at		timestamptz,
	created_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (user_id, code_hash)
);

-- A correct password for an account with TOTP: the second step's state.
-- The browser holds 32 random bytes in a cookie; only their hash is here.
-- Five minutes to live (server/mfa.c), deleted when used.
CREATE TABLE mfa_pending (
	id_hash		text PRIMARY KEY CHECK (id_hash ~ '^[0-9a-f]{64}$'),
	user_id		bigint NOT NULL REFERENCES users (id),
	created_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mfa_pending_user ON mfa_pending (user_id);

-- Managers and admins always need TOTP; this makes everyone in the
-- authority need it.
ALTER TABLE authorities ADD COLUMN mfa_required_for_everyone boolean
	NOT NULL DEFAULT false;
