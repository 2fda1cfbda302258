-- Idempotency keys for POST /api/v1/meetings. A client that lost the reply
-- to a booking (a dropped connection, a 503 after COMMIT) sends the same
-- request again with the same Idempotency-Key header and gets the meeting
-- it booked, instead of a second booking. The key row is written in the
-- booking's own transaction, so a key exists exactly when its booking does.
-- Only a hash of the request is kept, never the request or the response
-- (they name children): a replay reads the meeting afresh.
CREATE TABLE idempotency_keys (
	user_id		bigint NOT NULL REFERENCES users(id),
	key		text NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
	request_hash	text NOT NULL,
	discussion_id	bigint NOT NULL REFERENCES discussions(id),
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (user_id, key)
);
