-- Partners: directory contacts (police, health, education, ...) invited to
-- a discussion open its meeting pack with the link in their invitation and
-- a one-time code sent to their directory email (server/partner.c,
-- docs/partners.md). Nothing here holds a child's name or date of birth.

-- How long after a meeting its invited partners may still open the pack and
-- the record, in working days (docs/partners.md). 0: the day of the
-- meeting only.
ALTER TABLE authorities ADD COLUMN partner_access_working_days integer
	NOT NULL DEFAULT 10 CHECK (partner_access_working_days BETWEEN 0 AND 60);

-- A partner's reason when declining from the pack (PARTNER_REASON_MAX).
ALTER TABLE participants ADD COLUMN reply_reason text
	CHECK (length(reply_reason) <= 2000);

-- One-time sign-in codes: only the HMAC of the code under the server key is
-- kept; single use, PARTNER_CODE_TRIES tries, PARTNER_CODE_SECONDS to live.
CREATE TABLE partner_codes (
	id		bigserial PRIMARY KEY,
	contact_id	bigint NOT NULL REFERENCES contacts(id),
	code_mac	text NOT NULL CHECK (length(code_mac) = 64),
	tries		integer NOT NULL DEFAULT 0 CHECK (tries >= 0),
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL,
	used_at		timestamptz
);
CREATE INDEX partner_codes_contact ON partner_codes (contact_id, created_at);

-- Partner sessions: like staff sessions (only the hash of the cookie), for
-- a contact, never a user.
CREATE TABLE partner_sessions (
	id_hash		text PRIMARY KEY,
	contact_id	bigint NOT NULL REFERENCES contacts(id),
	csrf		text NOT NULL,
	via		text NOT NULL CHECK (via IN ('code', 'totp')),
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_seen_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX partner_sessions_contact ON partner_sessions (contact_id);

-- A contact's TOTP secret (RFC 6238), sealed like staff secrets (mfa.c,
-- bound to the contact); confirmed once a first code was right, from when
-- the contact signs in with it instead of emailed codes.
CREATE TABLE partner_totp (
	contact_id	bigint PRIMARY KEY REFERENCES contacts(id),
	secret_sealed	text NOT NULL CHECK (secret_sealed ~ '^[0-9a-f]+$'
			    AND length(secret_sealed) <= 400),
	confirmed_at	timestamptz,
	last_step	bigint NOT NULL DEFAULT 0,
	created_at	timestamptz NOT NULL DEFAULT now()
);

-- Every view of a pack or record by a partner: who, which discussion, what,
-- when, from which address. Shown to the discussion's team and managers.
CREATE TABLE record_views (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES discussions(id)
			ON DELETE CASCADE,
	contact_id	bigint NOT NULL REFERENCES contacts(id),
	page		text NOT NULL CHECK (page IN ('pack', 'record')),
	address		text NOT NULL DEFAULT '' CHECK (length(address) <= 64),
	viewed_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX record_views_discussion ON record_views (discussion_id,
	viewed_at);

-- A partner's answer to "is the record accurate?", per record version.
CREATE TABLE record_checks (
	id		bigserial PRIMARY KEY,
	discussion_id	bigint NOT NULL REFERENCES discussions(id)
			ON DELETE CASCADE,
	participant_id	bigint NOT NULL REFERENCES participants(id)
			ON DELETE CASCADE,
	version		integer NOT NULL,
	answer		text NOT NULL CHECK (answer IN ('accurate', 'dissent')),
	answered_at	timestamptz NOT NULL DEFAULT now(),
	UNIQUE (discussion_id, participant_id, version)
);
