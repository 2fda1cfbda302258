-- Accounts and sign-in (issue 14, section 2; docs/security.md).

-- Usernames are unique whatever their case: "Alex" and "alex" are one
-- account, and sign-in compares lower(username). A database that already
-- holds two such names stops here; rename one (docs/operations.md).
DO $$
BEGIN
	IF EXISTS (SELECT 1 FROM users GROUP BY lower(username)
	    HAVING count(*) > 1) THEN
		RAISE EXCEPTION 'two usernames differ only in case; rename one '
		    'before migrating (docs/operations.md)';
	END IF;
END $$;
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));

-- An admin's reset sets this: the next sign-in must choose a new password.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL
	DEFAULT false;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;

-- Every API token expires (default 90 days, chosen per token). Tokens made
-- before this migration get 90 days from now rather than dying at once.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
UPDATE api_tokens SET expires_at = now() + interval '90 days';
ALTER TABLE api_tokens ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE api_tokens ADD COLUMN label text NOT NULL DEFAULT ''
	CHECK (char_length(label) <= 100);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Sign-in budgets: token buckets, one per client address ("c:ADDR") and
-- one per account and client ("a:USERNAME|ADDR"). An attempt takes a token
-- from both (a correct password gives them back); tokens come back at rate
-- per second up to the capacity (server/throttle.c).
-- Replaces login_failures, which counted per username only (anyone could
-- lock anyone out).
CREATE TABLE signin_budget (
	key		text PRIMARY KEY,
	tokens		double precision NOT NULL,
	rate		double precision NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now()
);
DROP TABLE login_failures;

-- Keys the servers share (every instance signs and checks the same way).
-- Made by the first `convene serve`; never leaves the database and the
-- process memory.
CREATE TABLE server_keys (
	name		text PRIMARY KEY,
	key_hex		text NOT NULL CHECK (key_hex ~ '^[0-9a-f]{64}$'),
	created_at	timestamptz NOT NULL DEFAULT now()
);
