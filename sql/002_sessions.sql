-- Browser sessions and sign-in throttling live in PostgreSQL so that any
-- number of instances can share them. Only hashes of session ids are kept.
CREATE TABLE sessions (
	id_hash		text PRIMARY KEY,
	user_id		bigint NOT NULL REFERENCES users(id),
	csrf		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	last_seen_at	timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_failures (
	id		bigserial PRIMARY KEY,
	username	text NOT NULL,
	at		timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_user_at ON login_failures (lower(username), at);
