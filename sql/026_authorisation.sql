-- A manager's authorisation of the record (issue 12, section 1;
-- docs/api.md "Authorisation"). The record goes draft -> awaiting_authorisation
-- (the team submits) -> authorised (a manager, with their oversight). A
-- change to the record or the attendance after that is allowed to the team
-- but makes a new version awaiting authorisation, and takes the sign-off
-- away (server/authorise.c authorise_reopen); each authorised version is
-- kept here as it was authorised, readable for ever after.

ALTER TABLE records
	ADD COLUMN submitted_by bigint REFERENCES users(id),
	ADD COLUMN submitted_at timestamptz;

CREATE TABLE record_versions (
	discussion_id	bigint NOT NULL
			REFERENCES records(discussion_id) ON DELETE CASCADE,
	version		integer NOT NULL CHECK (version >= 1),
	-- The record as authorised (the API's record object).
	record		jsonb NOT NULL,
	-- The manager's changes to decisions: [{child_id, before, after}].
	changes		jsonb NOT NULL DEFAULT '[]',
	oversight	text NOT NULL
			CHECK (length(oversight) BETWEEN 1 AND 5000),
	authorised_by	bigint NOT NULL REFERENCES users(id),
	authorised_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (discussion_id, version)
);

-- The manager's queue reads records by status.
CREATE INDEX records_status ON records (status)
	WHERE status <> 'authorised';
